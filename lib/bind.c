// SPDX-License-Identifier: MIT
/*
 * Binding a PCI device to vfio-pci and giving it back: first the modules
 * the bind needs (the driver and the IOMMU backend, through libkmod), then
 * driver_override, unbind and drivers_probe. The PCI core reports a failed
 * probe nowhere but in the kernel log, so every bind is checked by reading
 * the driver link back. A device the host is using (host_use.c) is refused
 * unless the caller forces it.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host_use.h"
#include "internal.h"

#define DEFAULT_DRIVER "vfio-pci"

bool vfd_driver_is_vfio(const char *driver)
{
	return driver && strstr(driver, "vfio");
}

bool vfd_driver_keeps_group_viable(const char *driver)
{
	return !driver || !*driver || vfd_driver_is_vfio(driver) ||
	       !strcmp(driver, "pci-stub") || !strcmp(driver, "pcieport");
}

static const char *const module_state_names[] = {
	[VFIODEV_MODULE_ABSENT] = "absent",
	[VFIODEV_MODULE_BUILTIN] = "built-in",
	[VFIODEV_MODULE_LOADED] = "loaded",
	[VFIODEV_MODULE_INSERTED] = "inserted",
};

VFIODEV_EXPORT const char *vfiodev_module_state_name(enum vfiodev_module_state state)
{
	if ((unsigned int)state < ARRAY_SIZE(module_state_names))
		return module_state_names[state];
	return "unknown";
}

static bool module_going(const struct vfiodev_ctx *ctx, const char *mod)
{
	char state[32];

	return vfd_sysfs_read(ctx, state, sizeof(state), "module/%s/initstate",
			      mod) > 0 &&
	       !strcmp(state, "going");
}

static bool driver_registered(const struct vfiodev_ctx *ctx, const char *driver)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", driver);
	return vfd_sysfs_exists(ctx, rel);
}

static const char *load_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "not in the kernel's module index (the kernel was built without it, or /lib/modules lacks it)";
	case -EPERM:
	case -EACCES:
		return "permission denied (loading modules needs root)";
	case -EBUSY:
		return "it is being unloaded; try again once it is gone";
	case -ENOTSUP:
		return "cannot load modules here (built without libkmod, or the sysfs root is not /sys): load it with modprobe";
	default:
		return strerror(-err);
	}
}

/*
 * Make one module present. @driver names the PCI driver the module
 * registers, when it is one: a registered driver is proof enough.
 */
static int present_state(const struct vfiodev_ctx *ctx, const char *mod,
			 const char *driver)
{
	int state = vfd_module_state(ctx, mod);

	if (state == VFIODEV_MODULE_ABSENT && driver &&
	    driver_registered(ctx, driver))
		state = VFIODEV_MODULE_BUILTIN;
	return state;
}

/*
 * @before is the module's state when the call began: a module that an
 * earlier load pulled in (vfio's softdep brings vfio_iommu_type1 along)
 * still counts as inserted by this call.
 */
static int module_ensure(struct vfiodev_ctx *ctx, const char *name,
			 const char *driver, bool required, int before,
			 int fail_prio, struct vfiodev_module_status *st)
{
	int state, ret;

	memset(st, 0, sizeof(*st));
	vfd_module_sysname(name, st->name, sizeof(st->name));
	st->required = required;
	state = present_state(ctx, st->name, driver);
	if (state != VFIODEV_MODULE_ABSENT) {
		st->state = before == VFIODEV_MODULE_ABSENT &&
					    state == VFIODEV_MODULE_LOADED ?
				    VFIODEV_MODULE_INSERTED :
				    state;
		return 0;
	}
	/* a module on its way out cannot be loaded until it is gone */
	ret = module_going(ctx, st->name) ? -EBUSY : vfd_kmod_load(ctx, st->name);
	if (ret) {
		st->error = ret;
		if (required)
			vfd_log(ctx, fail_prio, "module %s: cannot load it: %s",
				st->name, load_error(ret));
		else
			vfd_log(ctx, fail_prio, "module %s: not available (%s)",
				st->name, load_error(ret));
		return ret;
	}
	/* libkmod also succeeds for a module its index lists as built in */
	st->state = vfd_module_state(ctx, st->name) == VFIODEV_MODULE_LOADED ?
			    VFIODEV_MODULE_INSERTED :
			    VFIODEV_MODULE_BUILTIN;
	return 0;
}

static bool valid_driver_name(const char *d)
{
	return *d && strlen(d) < VFIODEV_NAME_LEN && !strchr(d, '/') &&
	       strcmp(d, ".") && strcmp(d, "..");
}

/* the device's IOMMU group is a VFIO noiommu group */
static bool device_noiommu(const struct vfiodev_ctx *ctx, const char *bdf)
{
	return vfd_sysfs_group_is_noiommu(ctx, vfd_sysfs_iommu_group(ctx, bdf));
}

/*
 * A VFIO device without a cdev node number shows a kernel without
 * CONFIG_VFIO_DEVICE_CDEV, where iommufd alone opens nothing. noiommu
 * devices never have a cdev, so they show nothing.
 */
static bool kernel_lacks_cdev(const struct vfiodev_ctx *ctx)
{
	char path[512], bdf[BDF_BUF + 8], buf[32];
	bool lacks = false;
	struct dirent *de;
	DIR *dir;

	if (vfd_sysfs_path(ctx, path, sizeof(path), "class/vfio-dev"))
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while (!lacks && (de = readdir(dir))) {
		if (strncmp(de->d_name, "vfio", 4) ||
		    !isdigit((unsigned char)de->d_name[4]))
			continue;
		if (vfd_sysfs_read(ctx, buf, sizeof(buf), "class/vfio-dev/%s/dev",
				   de->d_name) != -ENOENT)
			continue;
		lacks = vfd_sysfs_link_name(ctx, bdf, sizeof(bdf),
					    "class/vfio-dev/%s/device",
					    de->d_name) ||
			!device_noiommu(ctx, bdf);
	}
	closedir(dir);
	return lacks;
}

VFIODEV_EXPORT int vfiodev_modules_load(struct vfiodev_ctx *ctx, const char *driver,
					struct vfiodev_module_status *status,
					size_t n)
{
	static const char *const backends[] = { "iommufd", "vfio_iommu_type1" };
	struct vfiodev_module_status st[3];
	int before[3], ret;
	size_t k = 0;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, status || !n);
	if (!driver)
		driver = DEFAULT_DRIVER;
	check_arg(ctx, valid_driver_name(driver));

	before[0] = present_state(ctx, driver, driver);
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		before[i + 1] = vfd_module_state(ctx, backends[i]);
	ret = module_ensure(ctx, driver, driver, true, before[0], LOG_ERR, &st[k++]);
	if (!ret) {
		/* the kernel needs one IOMMU backend: iommufd when it has
		 * it and the vfio cdev (the cdev path), else Type1 for the
		 * container */
		if (module_ensure(ctx, backends[0], NULL, false, before[1],
				  LOG_INFO, &st[k++]) ||
		    kernel_lacks_cdev(ctx))
			ret = module_ensure(ctx, backends[1], NULL, true,
					    before[2], LOG_ERR, &st[k++]);
	}
	for (size_t i = 0; i < k && i < n; i++)
		status[i] = st[i];
	return ret ? ret : (int)k;
}

/* write @val to an attribute below sysfs */
static int attr_write(const struct vfiodev_ctx *ctx, const char *val,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int attr_write(const struct vfiodev_ctx *ctx, const char *val,
		      const char *fmt, ...)
{
	char rel[256], path[512];
	size_t len = strlen(val);
	struct stat st;
	va_list ap;
	ssize_t n;
	int fd, ret;

	va_start(ap, fmt);
	ret = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (ret < 0 || (size_t)ret >= sizeof(rel))
		return -ENAMETOOLONG;
	ret = vfd_sysfs_path(ctx, path, sizeof(path), "%s", rel);
	if (ret)
		return ret;
	/* O_NONBLOCK: a FIFO planted under an injected root must not hang
	 * the open; only a regular file (every sysfs attribute) is written */
	fd = sys_open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fd;
	ret = sys_fstat(fd, &st);
	if (!ret && !S_ISREG(st.st_mode)) {
		vfd_err(ctx, "%s is not a sysfs attribute (not a regular file)",
			path);
		ret = -EINVAL;
	}
	if (ret) {
		sys_close(fd);
		return ret;
	}
	n = sys_write(fd, val, len);
	sys_close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

/* the device's driver, "" when it has none */
static int current_driver(const struct vfiodev_ctx *ctx, const char *bdf,
			  char *buf, size_t len)
{
	int ret;

	ret = vfd_sysfs_link_name(ctx, buf, len, "bus/pci/devices/%s/driver", bdf);
	if (ret == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return ret;
}

/* bdf normalised and present, or -EINVAL/-ENODEV logged */
static int device_arg(struct vfiodev_ctx *ctx, const char *bdf, char norm[BDF_BUF])
{
	if (vfiodev_bdf_normalise(bdf, norm)) {
		vfd_err(ctx, "'%s' is not a PCI address (expected dddd:bb:dd.f or bb:dd.f)",
			bdf ? bdf : "(null)");
		return -EINVAL;
	}
	if (vfd_sysfs_device_exists(ctx, norm)) {
		vfd_err(ctx, "%s: no such PCI device in %s/bus/pci/devices",
			norm, ctx->sysfs_root);
		return -ENODEV;
	}
	return 0;
}

/* kernels before 3.16 have no driver_override: nothing to clear */
static int override_clear(const struct vfiodev_ctx *ctx, const char *bdf)
{
	int ret = attr_write(ctx, "\n", "bus/pci/devices/%s/driver_override", bdf);

	return ret == -ENOENT ? 0 : ret;
}

/*
 * Ask the PCI core to probe the device, and check that @driver took it.
 * Returns 0, -EIO when it did not, or the errno of the step that failed.
 */
static int probe_check(const struct vfiodev_ctx *ctx, const char *bdf,
		       const char *driver, const char **step)
{
	char now[VFIODEV_NAME_LEN];
	int ret;

	*step = "writing bus/pci/drivers_probe";
	ret = attr_write(ctx, bdf, "bus/pci/drivers_probe");
	if (ret)
		return ret;
	*step = "reading the driver link back";
	ret = current_driver(ctx, bdf, now, sizeof(now));
	if (!ret && strcmp(now, driver))
		ret = -EIO;
	return ret;
}

/*
 * Probe the (driverless) device with @driver in driver_override.
 * @keep_override: leave the override set (a VFIO driver matches nothing
 * without it, so a later re-probe keeps the device on it).
 */
static int probe_with(const struct vfiodev_ctx *ctx, const char *bdf,
		      const char *driver, bool keep_override, const char **step)
{
	int ret;

	*step = "writing driver_override";
	ret = attr_write(ctx, driver, "bus/pci/devices/%s/driver_override", bdf);
	if (ret)
		return ret;
	ret = probe_check(ctx, bdf, driver, step);
	if (ret || !keep_override)
		override_clear(ctx, bdf);
	return ret;
}

/*
 * Rollback of a failed bind: the driverless device goes back to @prev.
 * Through driver_override first (@prev may match the device only that
 * way); when the override cannot name @prev, it is cleared (an override
 * naming another driver makes every bind fail) and the address written to
 * drivers/<prev>/bind.
 */
static void give_back(struct vfiodev_ctx *ctx, const char *bdf, const char *prev)
{
	char now[VFIODEV_NAME_LEN];
	const char *step;
	int ret;

	if (!probe_with(ctx, bdf, prev, false, &step))
		return;
	override_clear(ctx, bdf);
	ret = attr_write(ctx, bdf, "bus/pci/drivers/%s/bind", prev);
	if (!ret) {
		ret = current_driver(ctx, bdf, now, sizeof(now));
		if (!ret && strcmp(now, prev))
			ret = -EIO;
	}
	if (ret)
		vfd_warn(ctx, "%s: could not give it back to %s (%s): it has no driver now",
			 bdf, prev, strerror(-ret));
}

/* why a driver did not claim a device, as far as sysfs tells */
static const char *probe_hint(const struct vfiodev_ctx *ctx, const char *bdf,
			      const char *driver)
{
	if (vfd_driver_is_vfio(driver) && vfd_sysfs_iommu_group(ctx, bdf) < 0)
		return ": the device has no IOMMU group (enable the IOMMU, or vfio's enable_unsafe_noiommu_mode)";
	return "; see the kernel log";
}

/*
 * Bound, a VFIO device shows whether the kernel has the vfio cdev. Without
 * it (iommufd may still be there) only the container path opens the
 * device, and that needs vfio_iommu_type1. The bind stands either way.
 */
static void type1_if_no_cdev(struct vfiodev_ctx *ctx, const char *bdf)
{
	struct vfiodev_module_status st;
	char name[32];
	dev_t devnum;

	if (!vfd_sysfs_vfio_cdev(ctx, bdf, name, sizeof(name), &devnum) ||
	    device_noiommu(ctx, bdf))
		return;
	module_ensure(ctx, "vfio_iommu_type1", NULL, true,
		      vfd_module_state(ctx, "vfio_iommu_type1"), LOG_WARNING, &st);
}

/*
 * Taking a device the host uses cuts the host off its network or pulls a
 * disk from under a file system: refused unless @force, before anything
 * is loaded or written. A device already on @driver is not taken again.
 */
static int host_use_check(struct vfiodev_ctx *ctx, const char *bdf,
			  const char *driver, bool force)
{
	char cur[VFIODEV_NAME_LEN];
	struct vfd_host_use u;

	if (!current_driver(ctx, bdf, cur, sizeof(cur)) && !strcmp(cur, driver))
		return 0;
	if (!vfd_host_use(ctx, bdf, &u))
		return 0;
	if (force) {
		vfd_warn(ctx, "%s: in use by the host: %s; taking it anyway (force)",
			 bdf, u.what);
		return 0;
	}
	vfd_err(ctx, "%s: in use by the host: %s; bind with force to take it anyway (vfiodev bind --force)",
		bdf, u.what);
	return -EBUSY;
}

/* @norm, bound to @cur ("" for none), goes to @driver: the override
 * first, so that from then on only @driver matches the device and no probe
 * in between (a hotplug event, another tool) can hand it back to its host
 * driver; then the unbind and the probe. On failure the device goes back
 * to @cur */
static int rebind(struct vfiodev_ctx *ctx, const char *norm, const char *cur,
		  const char *driver)
{
	const char *step;
	int ret;

	ret = attr_write(ctx, driver, "bus/pci/devices/%s/driver_override", norm);
	if (ret) {
		vfd_err(ctx, "%s: binding to %s: writing driver_override: %s",
			norm, driver, strerror(-ret));
		return ret;
	}
	if (*cur) {
		ret = attr_write(ctx, norm, "bus/pci/devices/%s/driver/unbind",
				 norm);
		if (ret) {
			vfd_err(ctx, "%s: unbinding it from %s: %s", norm, cur,
				strerror(-ret));
			override_clear(ctx, norm);
			return ret;
		}
	}
	ret = probe_check(ctx, norm, driver, &step);
	if (!ret)
		return 0;
	if (ret == -EIO)
		vfd_err(ctx, "%s: %s did not claim the device (its probe failed%s)",
			norm, driver, probe_hint(ctx, norm, driver));
	else
		vfd_err(ctx, "%s: binding to %s: %s: %s", norm, driver, step,
			strerror(-ret));
	override_clear(ctx, norm);
	if (*cur)
		give_back(ctx, norm, cur);
	return ret;
}

VFIODEV_EXPORT int vfiodev_bind(struct vfiodev_ctx *ctx, const char *bdf,
				const struct vfiodev_bind_opts *opts,
				char *prev_driver, size_t len)
{
	char norm[BDF_BUF], cur[VFIODEV_NAME_LEN];
	const char *driver = DEFAULT_DRIVER;
	bool no_modules = false, force = false;
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, prev_driver || !len);
	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_bind_opts, force),
			     "vfiodev_bind_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_bind_opts, driver) && opts->driver)
		driver = opts->driver;
	if (OPTS_HAS(opts, vfiodev_bind_opts, no_modules))
		no_modules = opts->no_modules;
	if (OPTS_HAS(opts, vfiodev_bind_opts, force))
		force = opts->force;
	check_arg(ctx, valid_driver_name(driver));
	ret = device_arg(ctx, bdf, norm);
	if (ret)
		return ret;
	if (len)
		prev_driver[0] = '\0';
	ret = host_use_check(ctx, norm, driver, force);
	if (ret)
		return ret;
	if (!no_modules) {
		ret = vfiodev_modules_load(ctx, driver, NULL, 0);
		if (ret < 0)
			return ret; /* logged, naming the module */
	}
	ret = current_driver(ctx, norm, cur, sizeof(cur));
	if (ret) {
		vfd_err(ctx, "%s: reading its driver link: %s", norm,
			strerror(-ret));
		return ret;
	}
	if (len)
		snprintf(prev_driver, len, "%s", cur);
	if (!strcmp(cur, driver)) {
		vfd_info(ctx, "%s: already bound to %s", norm, driver);
	} else if (!driver_registered(ctx, driver)) {
		vfd_err(ctx, "%s: driver %s is not registered with the PCI bus (module not loaded?)",
			norm, driver);
		return -ENODEV;
	} else {
		ret = rebind(ctx, norm, cur, driver);
		if (ret)
			return ret;
		vfd_info(ctx, "%s: bound to %s%s%s", norm, driver,
			 *cur ? ", was bound to " : " (it had no driver)", cur);
	}
	if (!no_modules && vfd_driver_is_vfio(driver))
		type1_if_no_cdev(ctx, norm);
	return 0;
}

VFIODEV_EXPORT int vfiodev_unbind(struct vfiodev_ctx *ctx, const char *bdf,
				  const char *restore_driver)
{
	char norm[BDF_BUF], cur[VFIODEV_NAME_LEN];
	const char *step;
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, !restore_driver || !*restore_driver ||
			       valid_driver_name(restore_driver));
	ret = device_arg(ctx, bdf, norm);
	if (ret)
		return ret;
	/* a driver to give it to must be there before the device is let go */
	if (restore_driver && *restore_driver &&
	    !driver_registered(ctx, restore_driver)) {
		ret = vfd_kmod_load(ctx, restore_driver);
		if (ret || !driver_registered(ctx, restore_driver)) {
			vfd_err(ctx, "%s: not released: driver %s is not registered with the PCI bus%s%s",
				norm, restore_driver,
				ret ? ", and loading its module failed: " : "",
				ret ? load_error(ret) : "");
			return -ENODEV;
		}
	}
	ret = current_driver(ctx, norm, cur, sizeof(cur));
	if (ret) {
		vfd_err(ctx, "%s: reading its driver link: %s", norm,
			strerror(-ret));
		return ret;
	}
	if (*cur) {
		ret = attr_write(ctx, norm, "bus/pci/devices/%s/driver/unbind",
				 norm);
		if (ret) {
			vfd_err(ctx, "%s: unbinding it from %s: %s", norm, cur,
				strerror(-ret));
			return ret;
		}
	}
	ret = override_clear(ctx, norm);
	if (ret) {
		vfd_err(ctx, "%s: clearing driver_override: %s", norm,
			strerror(-ret));
		return ret;
	}

	if (!restore_driver) {
		ret = attr_write(ctx, norm, "bus/pci/drivers_probe");
		if (ret) {
			vfd_err(ctx, "%s: writing bus/pci/drivers_probe: %s",
				norm, strerror(-ret));
			return ret;
		}
		ret = current_driver(ctx, norm, cur, sizeof(cur));
		vfd_info(ctx, "%s: released; the kernel gave it %s%s", norm,
			 !ret && *cur ? "to " : "no driver", !ret ? cur : "");
		return 0;
	}
	if (!*restore_driver) {
		vfd_info(ctx, "%s: released, left without a driver", norm);
		return 0;
	}
	ret = probe_with(ctx, norm, restore_driver,
			 vfd_driver_is_vfio(restore_driver), &step);
	if (ret == -EIO) {
		vfd_err(ctx, "%s: %s did not take it back (its probe failed%s)",
			norm, restore_driver,
			probe_hint(ctx, norm, restore_driver));
		return ret;
	}
	if (ret) {
		vfd_err(ctx, "%s: giving it back to %s: %s: %s", norm,
			restore_driver, step, strerror(-ret));
		return ret;
	}
	vfd_info(ctx, "%s: released and given back to %s", norm, restore_driver);
	return 0;
}
