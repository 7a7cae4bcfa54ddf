// SPDX-License-Identifier: MIT
/*
 * The two ways into a bound device, checked without opening anything: the
 * vfio cdev + /dev/iommu, and the group + container. Each node must exist,
 * be the character device sysfs names (the library refuses any other), and
 * let the user read and write it; each check becomes a finding, so that
 * discovery (verdict only) and diagnosis (verdict and findings) agree.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

struct node {
	const char *path;
	int err; /* 0 when it exists */
	struct stat st;
};

/* O_PATH: a stat through the seam that opens no device */
static void node_stat(const char *path, struct node *n)
{
	int fd;

	memset(n, 0, sizeof(*n));
	n->path = path;
	fd = sys_open(path, O_PATH);
	if (fd < 0) {
		n->err = fd;
		return;
	}
	n->err = sys_fstat(fd, &n->st);
	sys_close(fd);
}

static bool node_rw(const struct node_user *u, const struct node *n)
{
	mode_t m = n->st.st_mode;

	/* the calling process: the kernel's own answer, ACLs included */
	if (u->self)
		return faccessat(AT_FDCWD, n->path, R_OK | W_OK, AT_EACCESS) == 0;
	if (u->uid == 0)
		return true;
	if (n->st.st_uid == u->uid)
		return (m & 0600) == 0600;
	if (vfd_node_user_in_group(u, n->st.st_gid))
		return (m & 0060) == 0060;
	return (m & 0006) == 0006;
}

static void owner_names(const struct stat *st, char *buf, size_t len)
{
	char pwbuf[1024], grbuf[1024], user[64], group[64];
	struct passwd pw, *pr = NULL;
	struct group gr, *grr = NULL;

	if (!getpwuid_r(st->st_uid, &pw, pwbuf, sizeof(pwbuf), &pr) && pr)
		snprintf(user, sizeof(user), "%s", pr->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned int)st->st_uid);
	if (!getgrgid_r(st->st_gid, &gr, grbuf, sizeof(grbuf), &grr) && grr)
		snprintf(group, sizeof(group), "%s", grr->gr_name);
	else
		snprintf(group, sizeof(group), "%u", (unsigned int)st->st_gid);
	snprintf(buf, len, "owner %s:%s, mode 0%03o", user, group,
		 (unsigned int)(st->st_mode & 07777));
}

static void set_reason(struct path_args *a, char *reason)
{
	if (!a->cdev_reason)
		a->cdev_reason = reason;
	else
		free(reason);
}

/* what a node is, what udev rule keeps its owner, and the mode the
 * kernel creates it with (a recreated node should not be stricter) */
struct node_kind {
	const char *what; /* "group node", "/dev/iommu" */
	const char *match; /* udev match: SUBSYSTEM=="vfio" */
	unsigned int mode;
};

/*
 * A node that exists: the right device, and read-write for the user.
 * Findings for both; true when usable.
 */
static bool node_usable(const struct path_args *a, struct diag *dg,
			enum diag_path path, const struct node_kind *k,
			const struct node *n, bool have_want, dev_t want)
{
	const struct node_user *u = a->user;
	char owner[160];
	dev_t got = n->st.st_rdev;

	if (!S_ISCHR(n->st.st_mode) || (have_want && got != want)) {
		vfd_diag_add(dg, VFIODEV_SEVERITY_WARNING, path, "node",
			     vfd_strfmt("%s %s", k->what, n->path),
			     !S_ISCHR(n->st.st_mode) ?
				     vfd_strfmt("%s is not a character device: the library refuses it",
						n->path) :
				     vfd_strfmt("%s is %u:%u but sysfs names %u:%u (a stale or planted node): the library refuses it",
						n->path, major(got), minor(got),
						major(want), minor(want)),
			     have_want ?
				     vfd_strfmt("rm %s && mknod -m 0%o %s c %u %u",
						n->path, k->mode, n->path,
						major(want), minor(want)) :
				     vfd_strfmt("rm %s && udevadm trigger --action=add",
						n->path));
		return false;
	}
	vfd_diag_add(dg, VFIODEV_SEVERITY_OK, path, "node",
		     vfd_strfmt("%s %s", k->what, n->path),
		     have_want ? vfd_strfmt("a character device, %u:%u as sysfs names",
					    major(got), minor(got)) :
				 vfd_strfmt("a character device (%u:%u)",
					    major(got), minor(got)),
		     NULL);

	owner_names(&n->st, owner, sizeof(owner));
	if (!node_rw(u, n)) {
		char who[64];

		/* chown and udev take a uid the passwd database lacks as
		 * a number, not as node_user's "uid N" */
		if (!strncmp(u->name, "uid ", 4))
			snprintf(who, sizeof(who), "%u", (unsigned int)u->uid);
		else
			snprintf(who, sizeof(who), "%s", u->name);
		vfd_diag_add(dg, VFIODEV_SEVERITY_WARNING, path, "permission",
			     vfd_strfmt("read-write access to %s for %s (uid %u)",
					n->path, u->name, (unsigned int)u->uid),
			     vfd_strfmt("%s (uid %u) cannot open %s read-write: %s",
					u->name, (unsigned int)u->uid, n->path,
					owner),
			     vfd_strfmt("chown %s %s (lasting: a udev rule such as '%s, OWNER=\"%s\"' in /etc/udev/rules.d/90-vfiodev.rules)",
					who, n->path, k->match, who));
		return false;
	}
	vfd_diag_add(dg, VFIODEV_SEVERITY_OK, path, "permission",
		     vfd_strfmt("read-write access to %s for %s (uid %u)",
				n->path, u->name, (unsigned int)u->uid),
		     vfd_strfmt("granted (%s)", owner), NULL);
	return true;
}

/* a node at a fixed path whose number sysfs may name at @class_dev */
static bool fixed_node(struct vfiodev_ctx *ctx, struct path_args *a,
		       struct diag *dg, enum diag_path path,
		       const struct node_kind *k, const char *node_path,
		       const char *class_dev, char **why)
{
	char buf[32];
	bool have = false;
	dev_t want = 0;
	struct node n;

	if (class_dev && vfd_sysfs_read(ctx, buf, sizeof(buf), "%s", class_dev) > 0 &&
	    !vfd_parse_devnum(buf, &want))
		have = true;
	node_stat(node_path, &n);
	if (n.err) {
		vfd_diag_add(dg, VFIODEV_SEVERITY_WARNING, path, "node",
			     vfd_strfmt("%s %s", k->what, node_path),
			     vfd_strfmt("%s: %s", node_path, strerror(-n.err)),
			     n.err != -ENOENT ? NULL :
			     have ? vfd_strfmt("mknod -m 0%o %s c %u %u (lasting: udevadm trigger --action=add)",
					       k->mode, node_path, major(want),
					       minor(want)) :
				    vfd_strfmt("udevadm trigger --action=add (the kernel has not registered the device yet)"));
		*why = vfd_strfmt("%s: %s", node_path, strerror(-n.err));
		return false;
	}
	if (!node_usable(a, dg, path, k, &n, have, want)) {
		*why = vfd_strfmt("%s is unusable (wrong device or no access)",
				  node_path);
		return false;
	}
	return true;
}

/* the vfio cdev: the first candidate that exists decides, as in
 * vfd_devnode_open() */
static bool cdev_node(struct vfiodev_ctx *ctx, struct path_args *a,
		      struct diag *dg, const struct vfiodev_pci_device *d)
{
	static const struct node_kind kind = { "vfio cdev",
					       "SUBSYSTEM==\"vfio-dev\"", 0600 };
	char cands[3][256], tried[800] = "";
	dev_t want = makedev(d->cdev_major, d->cdev_minor);
	size_t nc = 0;
	struct node n;

	if (!vfd_devnode_udev_lookup(ctx, want, cands[nc], sizeof(cands[0])))
		nc++;
	snprintf(cands[nc++], sizeof(cands[0]), "%s/vfio/devices/%s",
		 ctx->dev_root, d->cdev);
	snprintf(cands[nc++], sizeof(cands[0]), "%s/char/%u:%u", ctx->dev_root,
		 d->cdev_major, d->cdev_minor);
	for (size_t i = 0; i < nc; i++) {
		size_t l = strlen(tried);

		node_stat(cands[i], &n);
		if (n.err == -ENOENT) {
			snprintf(tried + l, sizeof(tried) - l, "%s%s",
				 l ? ", " : "", cands[i]);
			continue;
		}
		if (n.err) {
			vfd_diag_add(dg, VFIODEV_SEVERITY_WARNING, DIAG_CDEV,
				     "node", vfd_strfmt("vfio cdev %s", cands[i]),
				     vfd_strfmt("%s: %s", cands[i], strerror(-n.err)),
				     NULL);
			set_reason(a, vfd_strfmt("opening the node of %s: %s",
						 d->cdev, strerror(-n.err)));
			return false;
		}
		if (node_usable(a, dg, DIAG_CDEV, &kind, &n, true, want))
			return true;
		set_reason(a, vfd_strfmt("the node of %s, %s, is unusable (wrong device or no access)",
					 d->cdev, cands[i]));
		return false;
	}
	vfd_diag_add(dg, VFIODEV_SEVERITY_WARNING, DIAG_CDEV, "node",
		     vfd_strfmt("vfio cdev %s (%u:%u)", d->cdev, d->cdev_major,
				d->cdev_minor),
		     vfd_strfmt("no node for it (tried %s)", tried),
		     vfd_strfmt("mknod -m 0%o %s/vfio/devices/%s c %u %u (lasting: udevadm trigger --action=add --subsystem-match=vfio-dev)",
				kind.mode, ctx->dev_root, d->cdev,
				d->cdev_major, d->cdev_minor));
	set_reason(a, vfd_strfmt("sysfs names %s (%u:%u) but no node exists for it",
				 d->cdev, d->cdev_major, d->cdev_minor));
	return false;
}

static bool eval_cdev(struct vfiodev_ctx *ctx, const struct vfiodev_pci_device *d,
		      struct path_args *a, struct diag *dg)
{
	/* iommufd's misc device: 0660 */
	static const struct node_kind iommu = { "iommufd node",
						"KERNEL==\"iommu\"", 0660 };
	bool forced = a->backend == VFIODEV_BACKEND_IOMMUFD;
	char node[256], *why = NULL;
	struct node n;
	bool ok;

	if (a->backend == VFIODEV_BACKEND_CONTAINER) {
		set_reason(a, vfd_strfmt("the container backend is forced"));
		return false;
	}
	/* information while the group path may serve; a lost path when
	 * the iommufd backend is forced */
	if (d->noiommu && d->has_cdev_devnum && !strncmp(d->cdev, "noiommu-", 8)) {
		/* Linux 7.x (CONFIG_IOMMUFD_NOIOMMU): a noiommu cdev, bound to
		 * iommufd like any other; its open wants CAP_SYS_RAWIO */
		bool rawio = vfd_node_user_has_cap(a->user, CAP_SYS_RAWIO);

		vfd_diag_add(dg, rawio ? VFIODEV_SEVERITY_OK : VFIODEV_SEVERITY_WARNING,
			     DIAG_CDEV, "kernel",
			     vfd_strfmt("a vfio cdev for %s", d->bdf),
			     vfd_strfmt("%s has the noiommu cdev %s (%u:%u): opened through iommufd with allow_noiommu, its space pins memory and gives bus addresses; the open needs CAP_SYS_RAWIO (%s for %s) and taints the kernel",
					d->bdf, d->cdev, d->cdev_major, d->cdev_minor,
					rawio ? "held" : "missing", a->user->name),
			     rawio ? NULL :
				     vfd_strfmt("run the program as root, or grant it the capability (setcap cap_sys_rawio+ep PROGRAM)"));
		if (!rawio) {
			set_reason(a, vfd_strfmt("the noiommu cdev %s needs CAP_SYS_RAWIO",
						 d->cdev));
			return false;
		}
		a->noiommu_cdev = true;
	} else if (d->noiommu) {
		vfd_diag_add(dg, forced ? VFIODEV_SEVERITY_WARNING : VFIODEV_SEVERITY_INFO,
			     DIAG_CDEV, "kernel",
			     vfd_strfmt("a vfio cdev for %s", d->bdf),
			     vfd_strfmt("IOMMU group %d is a noiommu group: this kernel gives it no vfio cdev (Linux 7.x with CONFIG_IOMMUFD_NOIOMMU does), only /dev/vfio/noiommu-%d",
					d->iommu_group, d->iommu_group),
			     forced ? vfd_strfmt("open it through the group path: the container backend (vfiodev --backend container), with allow_noiommu") :
				      NULL);
		set_reason(a, vfd_strfmt("noiommu group: the kernel has no vfio cdev for it"));
		return false;
	} else if (!d->has_cdev_devnum) {
		const char *iommufd =
			vfd_module_state(ctx, "iommufd") == VFIODEV_MODULE_ABSENT ?
				"; iommufd is not there either (no /sys/class/misc/iommu: no CONFIG_IOMMUFD, or not loaded)" :
				"";

		vfd_diag_add(
			dg, forced ? VFIODEV_SEVERITY_WARNING : VFIODEV_SEVERITY_INFO,
			DIAG_CDEV, "kernel",
			vfd_strfmt("kernel support for the vfio cdev and iommufd"),
			d->cdev[0] ?
				vfd_strfmt("%s/vfio-dev/%s has no dev attribute: the kernel was built without CONFIG_VFIO_DEVICE_CDEV, so the cdev/iommufd path is unavailable%s",
					   d->bdf, d->cdev, iommufd) :
				vfd_strfmt("%s has no vfio-dev directory: the kernel lacks the vfio cdev (Linux before 6.6, or no CONFIG_VFIO_DEVICE_CDEV)%s",
					   d->bdf, iommufd),
			forced ? vfd_strfmt("a kernel with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y (Linux 6.6 or later), or the container backend (vfiodev --backend container)") :
				 vfd_strfmt("none needed while the group/container path works; for the cdev/iommufd path, a kernel with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y (Linux 6.6 or later)"));
		set_reason(a, vfd_strfmt("no vfio cdev in sysfs (kernel without CONFIG_VFIO_DEVICE_CDEV)"));
		return false;
	}
	if (!a->noiommu_cdev)
		vfd_diag_add(dg, VFIODEV_SEVERITY_OK, DIAG_CDEV, "kernel",
			     vfd_strfmt("kernel support for the vfio cdev and iommufd"),
			     vfd_strfmt("%s has the vfio cdev %s (%u:%u)", d->bdf,
					d->cdev, d->cdev_major, d->cdev_minor),
			     NULL);
	ok = cdev_node(ctx, a, dg, d);

	/* no node and no module: iommufd is a module not loaded yet */
	snprintf(node, sizeof(node), "%s/iommu", ctx->dev_root);
	node_stat(node, &n);
	if (n.err == -ENOENT &&
	    vfd_module_state(ctx, "iommufd") == VFIODEV_MODULE_ABSENT) {
		bool can_load = vfd_node_user_has_cap(a->user, CAP_SYS_MODULE);

		vfd_diag_add(dg,
			     can_load ? VFIODEV_SEVERITY_INFO :
					VFIODEV_SEVERITY_WARNING,
			     DIAG_CDEV, "module", vfd_strfmt("module iommufd"),
			     vfd_strfmt("iommufd is not loaded (no /sys/class/misc/iommu)%s",
					can_load ? ": the library loads it when it opens the device" :
						   ", and this user cannot load it"),
			     vfd_strfmt("modprobe iommufd"));
		if (!can_load) {
			set_reason(a, vfd_strfmt("%s: iommufd is not loaded", node));
			ok = false;
		}
		return ok;
	}
	if (!fixed_node(ctx, a, dg, DIAG_CDEV, &iommu, node,
			"class/misc/iommu/dev", &why)) {
		set_reason(a, why);
		return false;
	}
	return ok;
}

static unsigned int eval_group(struct vfiodev_ctx *ctx,
			       const struct vfiodev_pci_device *d,
			       struct path_args *a, struct diag *dg)
{
	static const struct node_kind group = { "group node",
						"SUBSYSTEM==\"vfio\"", 0600 };
	/* vfio's misc device: 0666, the container alone grants nothing */
	static const struct node_kind container = { "container node",
						    "KERNEL==\"vfio\"", 0666 };
	char name[32], node[256], class_dev[64], *why = NULL;
	bool ok = true;
	int state;

	if (a->backend == VFIODEV_BACKEND_IOMMUFD)
		return 0;
	snprintf(name, sizeof(name), "%s%d", d->noiommu ? "noiommu-" : "",
		 d->iommu_group);
	snprintf(node, sizeof(node), "%s/vfio/%s", ctx->dev_root, name);
	/* class/vfio/<group>/dev exists from Linux 6.2 on */
	snprintf(class_dev, sizeof(class_dev), "class/vfio/%s/dev", name);
	if (!fixed_node(ctx, a, dg, DIAG_GROUP, &group, node, class_dev, &why))
		ok = false;
	free(why);
	why = NULL;
	snprintf(node, sizeof(node), "%s/vfio/vfio", ctx->dev_root);
	if (!fixed_node(ctx, a, dg, DIAG_GROUP, &container, node,
			"class/misc/vfio/dev", &why))
		ok = false;
	free(why);

	if (d->noiommu) {
		bool rawio = vfd_node_user_has_cap(a->user, CAP_SYS_RAWIO);

		vfd_diag_add(dg, rawio ? VFIODEV_SEVERITY_OK : VFIODEV_SEVERITY_WARNING,
			     DIAG_GROUP, "permission",
			     vfd_strfmt("CAP_SYS_RAWIO for %s (uid %u), which a noiommu group requires",
					a->user->name, (unsigned int)a->user->uid),
			     vfd_strfmt("%s", rawio ? "held" :
						      "missing: the kernel refuses to open a noiommu group without it"),
			     rawio ? NULL :
				     vfd_strfmt("run the program as root, or grant it the capability (setcap cap_sys_rawio+ep PROGRAM)"));
		if (!rawio)
			ok = false;
		return ok ? VFIODEV_PATH_NOIOMMU : 0;
	}

	state = vfd_module_state(ctx, "vfio_iommu_type1");
	if (state != VFIODEV_MODULE_ABSENT) {
		vfd_diag_add(dg, VFIODEV_SEVERITY_OK, DIAG_GROUP, "module",
			     vfd_strfmt("module vfio_iommu_type1 (the container's IOMMU driver)"),
			     vfd_strfmt("%s", vfiodev_module_state_name(state)),
			     NULL);
	} else {
		bool can_load = vfd_node_user_has_cap(a->user, CAP_SYS_MODULE);

		vfd_diag_add(dg,
			     can_load ? VFIODEV_SEVERITY_INFO :
					VFIODEV_SEVERITY_WARNING,
			     DIAG_GROUP, "module",
			     vfd_strfmt("module vfio_iommu_type1 (the container's IOMMU driver)"),
			     vfd_strfmt("not loaded: VFIO_SET_IOMMU fails with ENODEV without it%s",
					can_load ? "; the library loads it when it opens the device" :
						   ", and this user cannot load it"),
			     vfd_strfmt("modprobe vfio_iommu_type1"));
		if (!can_load)
			ok = false;
	}
	return ok ? VFIODEV_PATH_CONTAINER : 0;
}

unsigned int vfd_paths_evaluate(struct vfiodev_ctx *ctx,
				const struct vfiodev_pci_device *d,
				struct path_args *a, struct diag *dg)
{
	unsigned int paths = 0;

	if (eval_cdev(ctx, d, a, dg))
		/* a noiommu cdev opens only with allow_noiommu, as its group */
		paths |= a->noiommu_cdev ? VFIODEV_PATH_NOIOMMU :
					   VFIODEV_PATH_IOMMUFD;
	paths |= eval_group(ctx, d, a, dg);
	return paths;
}
