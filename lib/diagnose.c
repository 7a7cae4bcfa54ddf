// SPDX-License-Identifier: MIT
/*
 * Diagnosis: everything that decides whether a device can be opened, each
 * check a finding with what was found and the exact fix. It only reads
 * sysfs and procfs and stats nodes, so it is safe to run beside a program
 * that has the device open. A failure of one open path is a warning while
 * the other path works, and an error once no path is left. A device the
 * host uses gets what frees it, not the bind that would cut the host off.
 */
#include <dirent.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "host_use.h"
#include "internal.h"

#define OK VFIODEV_SEVERITY_OK
#define INFO VFIODEV_SEVERITY_INFO
#define WARN VFIODEV_SEVERITY_WARNING
#define ERR VFIODEV_SEVERITY_ERROR

/* "8 MiB", "1.5 GiB": for people; the exact byte count goes beside it */
static void human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u < ARRAY_SIZE(units) - 1) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)v);
	else
		snprintf(buf, len, "%.*f %s", d == (double)(uint64_t)d ? 0 : 1,
			 d, units[u]);
}

static int count_entries(const struct vfiodev_ctx *ctx, const char *rel,
			 char *first, size_t len)
{
	char path[512];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	first[0] = '\0';
	if (vfd_sysfs_path(ctx, path, sizeof(path), "%s", rel))
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (!n++ && strlen(de->d_name) < len)
			strcpy(first, de->d_name);
	}
	closedir(dir);
	return n;
}

static bool attr_is(const struct vfiodev_ctx *ctx, const char *rel, const char *want)
{
	char buf[64];

	return vfd_sysfs_read(ctx, buf, sizeof(buf), "%s", rel) > 0 &&
	       !strcmp(buf, want);
}

static bool attr_exists(const struct vfiodev_ctx *ctx, const char *rel)
{
	char buf[8];

	return vfd_sysfs_read(ctx, buf, sizeof(buf), "%s", rel) >= 0;
}

/* valid on both vendors' kernels: amd_iommu has no "on" */
static const char enable_iommu[] =
	"enable an IOMMU: VT-d (Intel) or AMD-Vi (AMD) on in the firmware, then on the kernel command line intel_iommu=on (Intel; AMD's is on by default) and no amd_iommu=off or iommu=off";

/*
 * A module option reaches vfio only as it loads; once it is there the
 * parameter is written, and a vfio without it has no noiommu mode at all.
 */
static const char *noiommu_mode_remedy(const struct vfiodev_ctx *ctx)
{
	if (attr_exists(ctx, "module/vfio/parameters/enable_unsafe_noiommu_mode"))
		return "echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode, then vfiodev bind and allow_noiommu";
	if (vfd_module_state(ctx, "vfio") == VFIODEV_MODULE_ABSENT)
		return "modprobe vfio enable_unsafe_noiommu_mode=1, then vfiodev bind and allow_noiommu";
	return "none with this kernel: vfio has no enable_unsafe_noiommu_mode parameter (built without CONFIG_VFIO_NOIOMMU)";
}

static void check_iommu(const struct vfiodev_ctx *ctx,
			const struct vfiodev_pci_device *d, bool allow_noiommu,
			struct diag *dg)
{
	const char *subject = "an IOMMU translates the device's DMA";
	const char *noiommu_param =
		"module/vfio/parameters/enable_unsafe_noiommu_mode";
	char unit[64];
	int units = count_entries(ctx, "class/iommu", unit, sizeof(unit));

	if (d->iommu_group >= 0 && !d->noiommu) {
		vfd_diag_add(dg, OK, DIAG_ANY, "iommu", vfd_strfmt("%s", subject),
			     vfd_strfmt("%s is in IOMMU group %d%s%s", d->bdf,
					d->iommu_group, units ? ", IOMMU " : "",
					unit),
			     NULL);
		return;
	}
	if (d->noiommu) {
		vfd_diag_add(dg, allow_noiommu ? WARN : ERR, DIAG_ANY, "iommu",
			     vfd_strfmt("%s", subject),
			     vfd_strfmt("no IOMMU: %s is in VFIO noiommu group %d (vfio's enable_unsafe_noiommu_mode): no DMA isolation, no IOVA translation%s",
					d->bdf, d->iommu_group,
					allow_noiommu ?
						"" :
						"; the library refuses it unless allow_noiommu is set"),
			     allow_noiommu ?
				     NULL :
				     vfd_strfmt("open it with allow_noiommu (vfiodev --allow-noiommu), knowing the device can DMA anywhere; or %s",
						enable_iommu));
		return;
	}
	/* no group: why? */
	if (units) {
		vfd_diag_add(dg, ERR, DIAG_ANY, "iommu", vfd_strfmt("%s", subject),
			     vfd_strfmt("IOMMU %s is on, but %s is in no IOMMU group",
					unit, d->bdf),
			     vfd_strfmt("look for IOMMU (DMAR/AMD-Vi) errors about %s in the kernel log (dmesg | grep -i -e dmar -e iommu); the device may sit behind a bridge the IOMMU does not cover",
					d->bdf));
		return;
	}
	if (attr_is(ctx, noiommu_param, "Y")) {
		vfd_diag_add(dg, ERR, DIAG_ANY, "iommu", vfd_strfmt("%s", subject),
			     vfd_strfmt("no IOMMU: /sys/class/iommu is empty and %s has no IOMMU group; vfio's unsafe noiommu mode is on",
					d->bdf),
			     vfd_strfmt("vfiodev bind %s (vfio-pci then puts it in a noiommu group), and open it with allow_noiommu (vfiodev --allow-noiommu): no DMA isolation; or %s",
					d->bdf, enable_iommu));
		return;
	}
	if (attr_exists(ctx, "firmware/acpi/tables/DMAR") ||
	    attr_exists(ctx, "firmware/acpi/tables/IVRS")) {
		bool intel = attr_exists(ctx, "firmware/acpi/tables/DMAR");

		vfd_diag_add(dg, ERR, DIAG_ANY, "iommu", vfd_strfmt("%s", subject),
			     vfd_strfmt("IOMMU off: the firmware describes one (ACPI %s table) but the kernel did not enable it; %s has no IOMMU group",
					intel ? "DMAR" : "IVRS", d->bdf),
			     vfd_strfmt("%s, then reboot (iommu=pt keeps host devices fast)",
					intel ? "add intel_iommu=on to the kernel command line and remove any iommu=off" :
						"the AMD IOMMU is on unless the command line turns it off: remove amd_iommu=off and iommu=off from it (see /proc/cmdline)"));
		return;
	}
	vfd_diag_add(dg, ERR, DIAG_ANY, "iommu", vfd_strfmt("%s", subject),
		     vfd_strfmt("no IOMMU: /sys/class/iommu is empty, the firmware describes none, and %s has no IOMMU group",
				d->bdf),
		     vfd_strfmt("%s; without isolation: %s", enable_iommu,
				noiommu_mode_remedy(ctx)));
}

/*
 * The remedy for a device the host uses: what frees it, not the bind that
 * would cut the host off it (vfiodev_bind() refuses it too).
 */
static char *host_use_remedy(const char *bdf, const struct vfd_host_use *u)
{
	return vfd_strfmt("free it on the host first (%s), then vfiodev bind %s; vfiodev bind --force %s takes it anyway, and the host loses it",
			  u->undo, bdf, bdf);
}

static void check_driver(const struct vfiodev_ctx *ctx,
			 const struct vfiodev_pci_device *d, struct diag *dg)
{
	const char *b = d->bdf;
	struct vfd_host_use u;
	int state;

	if (!vfd_driver_is_vfio(d->driver)) {
		state = vfd_module_state(ctx, "vfio_pci");
		if (state == VFIODEV_MODULE_ABSENT)
			vfd_diag_add(dg, ERR, DIAG_ANY, "module",
				     vfd_strfmt("module vfio-pci"),
				     vfd_strfmt("not loaded: the vfio-pci driver is not registered"),
				     vfd_strfmt("modprobe vfio-pci (vfiodev bind %s loads it)",
						b));
		else
			vfd_diag_add(dg, OK, DIAG_ANY, "module",
				     vfd_strfmt("module vfio-pci"),
				     vfd_strfmt("%s",
						vfiodev_module_state_name(state)),
				     NULL);
	}
	if (vfd_driver_is_vfio(d->driver))
		vfd_diag_add(dg, OK, DIAG_ANY, "driver",
			     vfd_strfmt("driver of %s", b),
			     vfd_strfmt("bound to %s", d->driver), NULL);
	else if (vfd_host_use(ctx, b, &u))
		vfd_diag_add(dg, ERR, DIAG_ANY, "driver",
			     vfd_strfmt("driver of %s", b),
			     vfd_strfmt("%s%s%s; in use by the host: %s",
					d->driver[0] ? "bound to " :
						       "not bound to any driver",
					d->driver,
					d->driver[0] ? ", not to a VFIO driver" : "",
					u.what),
			     host_use_remedy(b, &u));
	else if (!d->driver[0])
		vfd_diag_add(dg, ERR, DIAG_ANY, "driver",
			     vfd_strfmt("driver of %s", b),
			     vfd_strfmt("not bound to any driver%s%s%s",
					d->driver_override[0] ?
						" (driver_override is " :
						"",
					d->driver_override,
					d->driver_override[0] ? ")" : ""),
			     vfd_strfmt("vfiodev bind %s (or: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override && echo %s > /sys/bus/pci/drivers_probe)",
					b, b, b));
	else
		vfd_diag_add(dg, ERR, DIAG_ANY, "driver",
			     vfd_strfmt("driver of %s", b),
			     vfd_strfmt("bound to %s, not to a VFIO driver",
					d->driver),
			     vfd_strfmt("vfiodev bind %s (or: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override && echo %s > /sys/bus/pci/drivers/%s/unbind && echo %s > /sys/bus/pci/drivers_probe)",
					b, b, b, d->driver, b));
}

/*
 * Every other group member with a host driver blocks both paths; the
 * device's own driver is the 'driver' finding.
 */
static bool check_group(const struct vfiodev_ctx *ctx,
			const struct vfiodev_pci_device *d, struct diag *dg)
{
	struct vfd_host_use u;
	char list[1024] = "";
	bool viable = true;
	size_t used = 0;

	if (d->iommu_group < 0)
		return false;
	for (size_t i = 0; i < d->nr_members; i++) {
		const struct vfiodev_pci_member *m = &d->members[i];

		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used,
						 "%s%s (%s)", i ? ", " : "", m->bdf,
						 m->driver[0] ? m->driver :
								"no driver");
		if (!m->blocking || !strcmp(m->bdf, d->bdf))
			continue;
		viable = false;
		if (!m->driver[0]) {
			vfd_diag_add(dg, ERR, DIAG_ANY, "group",
				     vfd_strfmt("IOMMU group %d is viable",
						d->iommu_group),
				     vfd_strfmt("group %d may not be viable: the driver link of %s cannot be read",
						d->iommu_group, m->bdf),
				     vfd_strfmt("ls -l /sys/bus/pci/devices/%s/driver; a member bound to a host driver must be released: vfiodev bind %s",
						m->bdf, m->bdf));
			continue;
		}
		if (vfd_host_use(ctx, m->bdf, &u)) {
			vfd_diag_add(dg, ERR, DIAG_ANY, "group",
				     vfd_strfmt("IOMMU group %d is viable",
						d->iommu_group),
				     vfd_strfmt("group %d is not viable: %s is bound to %s, a host driver, and in use by the host: %s; neither path can open %s until it is released",
						d->iommu_group, m->bdf,
						m->driver, u.what, d->bdf),
				     host_use_remedy(m->bdf, &u));
			continue;
		}
		vfd_diag_add(dg, ERR, DIAG_ANY, "group",
			     vfd_strfmt("IOMMU group %d is viable", d->iommu_group),
			     vfd_strfmt("group %d is not viable: %s is bound to %s, a host driver; neither path can open %s until it is released",
					d->iommu_group, m->bdf, m->driver, d->bdf),
			     vfd_strfmt("vfiodev bind %s (or release it: echo %s > /sys/bus/pci/drivers/%s/unbind)",
					m->bdf, m->bdf, m->driver));
	}
	if (d->members_unknown) {
		viable = false;
		vfd_diag_add(dg, ERR, DIAG_ANY, "group",
			     vfd_strfmt("IOMMU group %d is viable", d->iommu_group),
			     vfd_strfmt("the members of group %d could not all be read (the group cannot be listed, or a device whose name is no PCI address has a host driver): a blocker may be among them",
					d->iommu_group),
			     vfd_strfmt("ls -l /sys/kernel/iommu_groups/%d/devices/*/driver: every member must have no driver, or a VFIO driver, pci-stub or pcieport",
					d->iommu_group));
	}
	if (viable)
		vfd_diag_add(dg, OK, DIAG_ANY, "group",
			     vfd_strfmt("IOMMU group %d is viable", d->iommu_group),
			     vfd_strfmt("members: %s", list), NULL);
	return viable;
}

static void check_memlock(const struct node_user *u, uint64_t map_bytes,
			  struct diag *dg)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t need = map_bytes;
	char lim[32], hard[32], want[32];
	struct rlimit rl;
	const char *note =
		u->self ? "" :
			  " (the limit shown is this process's; the program's own applies)";

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return;
	/* whole pages are pinned; a size that rounds past 2^64 fits under
	 * no finite limit */
	if (page > 0 && need % (uint64_t)page) {
		if (need > UINT64_MAX - (uint64_t)page)
			need = UINT64_MAX;
		else
			need += (uint64_t)page - need % (uint64_t)page;
	}
	human(rl.rlim_cur, lim, sizeof(lim));
	human(rl.rlim_max, hard, sizeof(hard));
	human(need, want, sizeof(want));
	if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "unlimited");
	if (rl.rlim_max == RLIM_INFINITY)
		snprintf(hard, sizeof(hard), "unlimited");

	if (vfd_node_user_has_cap(u, CAP_IPC_LOCK)) {
		vfd_diag_add(dg, OK, DIAG_ANY, "memlock",
			     vfd_strfmt("RLIMIT_MEMLOCK for DMA mappings"),
			     vfd_strfmt("%s holds CAP_IPC_LOCK: pinned memory is not charged to RLIMIT_MEMLOCK (%s)",
					u->name, lim),
			     NULL);
		return;
	}
	if (!map_bytes) {
		vfd_diag_add(dg, INFO, DIAG_ANY, "memlock",
			     vfd_strfmt("RLIMIT_MEMLOCK for DMA mappings"),
			     vfd_strfmt("RLIMIT_MEMLOCK is %s (hard %s)%s: VFIO pins every mapped page and charges it to this limit",
					lim, hard, note),
			     NULL);
		return;
	}
	if (rl.rlim_cur == RLIM_INFINITY || need <= rl.rlim_cur) {
		vfd_diag_add(dg, OK, DIAG_ANY, "memlock",
			     vfd_strfmt("RLIMIT_MEMLOCK for a mapping of %llu bytes",
					(unsigned long long)map_bytes),
			     vfd_strfmt("RLIMIT_MEMLOCK is %s%s, enough for %s",
					lim, note, want),
			     NULL);
		return;
	}
	if (need == UINT64_MAX) {
		vfd_diag_add(dg, ERR, DIAG_ANY, "memlock",
			     vfd_strfmt("RLIMIT_MEMLOCK for a mapping of %llu bytes",
					(unsigned long long)map_bytes),
			     vfd_strfmt("RLIMIT_MEMLOCK is %s (hard %s)%s, and no finite limit holds a mapping of %llu bytes: the map fails with ENOMEM",
					lim, hard, note,
					(unsigned long long)map_bytes),
			     vfd_strfmt("lift the program's limit: ulimit -l unlimited in the shell that starts it, LimitMEMLOCK=infinity in its systemd unit, or prlimit --memlock=unlimited --pid PID; or grant it CAP_IPC_LOCK"));
		return;
	}
	vfd_diag_add(
		dg, ERR, DIAG_ANY, "memlock",
		vfd_strfmt("RLIMIT_MEMLOCK for a mapping of %llu bytes",
			   (unsigned long long)map_bytes),
		vfd_strfmt("RLIMIT_MEMLOCK is %s (hard %s)%s, but a mapping of %llu bytes pins %s: the map fails with ENOMEM",
			   lim, hard, note, (unsigned long long)map_bytes, want),
		vfd_strfmt("raise the program's limit to at least %llu bytes: ulimit -l %llu in the shell that starts it%s, LimitMEMLOCK=%llu in its systemd unit, or prlimit --memlock=%llu:%llu --pid PID; or grant it CAP_IPC_LOCK",
			   (unsigned long long)need,
			   (unsigned long long)(need / 1024 + (need % 1024 != 0)),
			   rl.rlim_max != RLIM_INFINITY && need > rl.rlim_max ?
				   " (as root: it exceeds the hard limit)" :
				   "",
			   (unsigned long long)need, (unsigned long long)need,
			   (unsigned long long)need));
}

static void check_dma_entries(const struct vfiodev_ctx *ctx, uint64_t count,
			      struct diag *dg)
{
	const char *param = "module/vfio_iommu_type1/parameters/dma_entry_limit";
	char buf[32];
	unsigned long long limit;

	if (vfd_sysfs_read(ctx, buf, sizeof(buf), "%s", param) <= 0) {
		vfd_diag_add(dg, INFO, DIAG_ANY, "dma-entry-limit",
			     vfd_strfmt("vfio_iommu_type1 dma_entry_limit"),
			     vfd_strfmt("not readable (vfio_iommu_type1 not loaded yet): the default is 65535 mappings per container"),
			     NULL);
		return;
	}
	limit = strtoull(buf, NULL, 10);
	if (!count) {
		vfd_diag_add(dg, INFO, DIAG_ANY, "dma-entry-limit",
			     vfd_strfmt("vfio_iommu_type1 dma_entry_limit"),
			     vfd_strfmt("a container holds at most %llu separate DMA mappings",
					limit),
			     NULL);
		return;
	}
	if (count <= limit) {
		vfd_diag_add(dg, OK, DIAG_ANY, "dma-entry-limit",
			     vfd_strfmt("vfio_iommu_type1 dma_entry_limit for %llu mappings",
					(unsigned long long)count),
			     vfd_strfmt("the limit is %llu", limit), NULL);
		return;
	}
	vfd_diag_add(dg, ERR, DIAG_ANY, "dma-entry-limit",
		     vfd_strfmt("vfio_iommu_type1 dma_entry_limit for %llu mappings",
				(unsigned long long)count),
		     vfd_strfmt("the limit is %llu mappings per container: mapping number %llu fails with ENOSPC",
				limit, limit + 1),
		     vfd_strfmt("echo %llu > /sys/%s (lasting: 'options vfio_iommu_type1 dma_entry_limit=%llu' in /etc/modprobe.d/vfio.conf)",
				(unsigned long long)count, param,
				(unsigned long long)count));
}

/*
 * A path failure is an error only when no path is left, and then only a
 * warning with a remedy: information ("the kernel lacks the cdev, none
 * needed while the group path works") stays information. Should no
 * warning have a remedy, the others become the errors, so that a
 * diagnosis without a path is never free of errors.
 */
static void settle(struct diag *dg, unsigned int paths)
{
	struct vfiodev_diagnosis *o = dg->out;
	bool promoted = false;

	if (paths)
		return;
	for (int pass = 0; pass < 2 && !promoted; pass++) {
		for (size_t i = 0; i < o->nr_findings; i++) {
			struct vfiodev_finding *f = o->findings[i];

			if (dg->tags[i] == DIAG_ANY || f->severity != WARN ||
			    (!pass && !f->remedy))
				continue;
			f->severity = ERR;
			promoted = true;
		}
	}
}

static char *choose_backend(struct vfiodev_diagnosis *o, unsigned int paths,
			    enum vfiodev_backend forced, bool allow_noiommu,
			    const struct path_args *a)
{
	const char *cdev_reason = a->cdev_reason;

	if (paths & VFIODEV_PATH_IOMMUFD) {
		o->backend = VFIODEV_BACKEND_IOMMUFD;
		return vfd_strfmt("%sthe vfio cdev and /dev/iommu are usable",
				  forced == VFIODEV_BACKEND_IOMMUFD ?
					  "the iommufd backend is forced, and " :
					  "");
	}
	if (paths & VFIODEV_PATH_CONTAINER) {
		o->backend = VFIODEV_BACKEND_CONTAINER;
		if (forced == VFIODEV_BACKEND_CONTAINER)
			return vfd_strfmt("the container backend is forced");
		return vfd_strfmt("%s", cdev_reason ?
						cdev_reason :
						"the cdev path is unavailable");
	}
	if ((paths & VFIODEV_PATH_NOIOMMU) && allow_noiommu && a->noiommu_cdev) {
		o->backend = VFIODEV_BACKEND_IOMMUFD;
		return vfd_strfmt(
			"noiommu cdev, opened through iommufd (allow_noiommu): DMA to bus addresses");
	}
	if ((paths & VFIODEV_PATH_NOIOMMU) && allow_noiommu) {
		o->backend = VFIODEV_BACKEND_CONTAINER;
		return vfd_strfmt(
			"noiommu group, opened through the group path (allow_noiommu)");
	}
	o->backend = VFIODEV_BACKEND_AUTO;
	if (paths & VFIODEV_PATH_NOIOMMU)
		return vfd_strfmt("only a noiommu %s is usable, and allow_noiommu is not set",
				  a->noiommu_cdev ? "cdev or group" : "group");
	return vfd_strfmt("no path is usable: see the errors");
}

static int diagnose(struct vfiodev_ctx *ctx, const char *bdf,
		    const struct vfiodev_diagnose_opts *opts, struct diag *dg)
{
	struct vfiodev_diagnosis *o = dg->out;
	enum vfiodev_backend forced = ctx->env_backend;
	struct vfiodev_pci_device d;
	struct node_user user;
	struct path_args args = { 0 };
	bool allow_noiommu = false;
	unsigned int paths = 0;
	uint64_t map_bytes = 0, map_count = 0;
	int ret;

	if (OPTS_HAS(opts, vfiodev_diagnose_opts, map_bytes))
		map_bytes = opts->map_bytes;
	if (OPTS_HAS(opts, vfiodev_diagnose_opts, map_count))
		map_count = opts->map_count;
	if (OPTS_HAS(opts, vfiodev_diagnose_opts, backend) && opts->backend)
		forced = opts->backend;
	if (OPTS_HAS(opts, vfiodev_diagnose_opts, allow_noiommu))
		allow_noiommu = opts->allow_noiommu;
	if (OPTS_HAS(opts, vfiodev_diagnose_opts, gid) && opts->check_user)
		vfd_node_user_of(&user, opts->uid, opts->gid);
	else
		vfd_node_user_self(&user);

	ret = vfd_pci_device_read(ctx, bdf, &d);
	if (ret == -ENODEV) {
		vfd_diag_add(dg, ERR, DIAG_ANY, "device",
			     vfd_strfmt("PCI device %s", bdf),
			     vfd_strfmt("no such device in %s/bus/pci/devices",
					ctx->sysfs_root),
			     vfd_strfmt("check the address: vfiodev list (or lspci -D) shows the devices"));
		o->backend_reason = vfd_strfmt("the device does not exist");
		return 0;
	}
	if (ret)
		return ret;
	vfd_diag_add(dg, OK, DIAG_ANY, "device", vfd_strfmt("PCI device %s", bdf),
		     vfd_strfmt("%04x:%04x, class 0x%06x", d.vendor, d.device,
				d.class_code),
		     NULL);

	check_iommu(ctx, &d, allow_noiommu, dg);
	check_driver(ctx, &d, dg);
	if (check_group(ctx, &d, dg) && vfd_driver_is_vfio(d.driver)) {
		args.backend = forced;
		args.allow_noiommu = allow_noiommu;
		args.user = &user;
		paths = vfd_paths_evaluate(ctx, &d, &args, dg);
		settle(dg, paths);
		o->backend_reason =
			choose_backend(o, paths, forced, allow_noiommu, &args);
		free(args.cdev_reason);
	} else {
		o->backend = VFIODEV_BACKEND_AUTO;
		o->backend_reason =
			vfd_strfmt("%s",
				   !vfd_driver_is_vfio(d.driver) ?
					   "the device is not bound to a VFIO driver" :
				   d.iommu_group < 0 ?
					   "the device has no IOMMU group" :
					   "its IOMMU group is not viable");
	}
	o->paths = paths;

	/* noiommu maps nothing through VFIO: nothing is pinned or charged */
	if (!d.noiommu)
		check_memlock(&user, map_bytes, dg);
	/* iommufd has no such limit; noiommu maps nothing */
	if (o->backend == VFIODEV_BACKEND_CONTAINER && !d.noiommu)
		check_dma_entries(ctx, map_count, dg);
	vfd_pci_device_clear(&d);
	return 0;
}

VFIODEV_EXPORT int vfiodev_diagnose(struct vfiodev_ctx *ctx, const char *bdf,
				    const struct vfiodev_diagnose_opts *opts,
				    struct vfiodev_diagnosis **out)
{
	struct diag dg = { 0 };
	char norm[BDF_BUF];
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, out);
	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_diagnose_opts, gid),
			     "vfiodev_diagnose_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_diagnose_opts, backend) &&
	    (unsigned int)opts->backend > VFIODEV_BACKEND_CONTAINER) {
		vfd_err(ctx, "vfiodev_diagnose_opts: unknown backend %d",
			opts->backend);
		return -EINVAL;
	}
	if (vfiodev_bdf_normalise(bdf, norm)) {
		vfd_err(ctx, "'%s' is not a PCI address (expected dddd:bb:dd.f or bb:dd.f)",
			bdf ? bdf : "(null)");
		return -EINVAL;
	}
	dg.out = calloc(1, sizeof(*dg.out));
	if (!dg.out)
		return -ENOMEM;
	snprintf(dg.out->bdf, sizeof(dg.out->bdf), "%s", norm);
	ret = diagnose(ctx, norm, opts, &dg);
	if (!ret && (dg.oom || !dg.out->backend_reason))
		ret = -ENOMEM;
	free(dg.tags);
	if (ret) {
		vfd_err(ctx, "%s: diagnosis failed: %s", norm, strerror(-ret));
		vfiodev_diagnosis_free(dg.out);
		return ret;
	}
	dg.out->usable = true;
	for (size_t i = 0; i < dg.out->nr_findings; i++)
		if (dg.out->findings[i]->severity == ERR)
			dg.out->usable = false;
	*out = dg.out;
	return 0;
}
