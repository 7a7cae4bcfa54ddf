// SPDX-License-Identifier: MIT
/*
 * Discovery: what sysfs says about PCI devices (IDs, driver, IOMMU group
 * and its members, vfio cdev) and which open paths are usable right now.
 * Enumeration goes through libudev when the context uses the real /sys
 * (libudev refuses any other root), through readdir otherwise.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "internal.h"

#ifdef HAVE_LIBUDEV
#include <libudev.h>
#endif

static unsigned long read_hex(const struct vfiodev_ctx *ctx, const char *bdf,
			      const char *attr)
{
	char buf[32];

	if (sysfs_read(ctx, buf, sizeof(buf), "bus/pci/devices/%s/%s", bdf, attr) <= 0)
		return 0;
	return strtoul(buf, NULL, 16);
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct vfiodev_pci_member *)a)->bdf,
		      ((const struct vfiodev_pci_member *)b)->bdf);
}

/*
 * The members of @d's group. What cannot be read may hide a blocker, so
 * it counts as one rather than as nothing: a member whose driver link is
 * unreadable blocks (its driver ""), and a group that cannot be listed, or
 * a member whose name does not fit a struct vfiodev_pci_member and that
 * has (or may have) a host driver, makes the membership unknown.
 */
static int read_members(const struct vfiodev_ctx *ctx, struct vfiodev_pci_device *d)
{
	char path[512], driver[VFIODEV_NAME_LEN];
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int ret = 0, err;

	if (sysfs_path(ctx, path, sizeof(path),
		       "kernel/iommu_groups/%d/devices", d->iommu_group) ||
	    !(dir = opendir(path))) {
		d->members_unknown = true;
		return 0;
	}
	while ((de = readdir(dir))) {
		struct vfiodev_pci_member *m;
		bool unreadable;

		if (de->d_name[0] == '.')
			continue;
		err = sysfs_link_name(ctx, driver, sizeof(driver),
				      "kernel/iommu_groups/%d/devices/%s/driver",
				      d->iommu_group, de->d_name);
		if (err)
			driver[0] = '\0';
		/* a link there but unreadable: a driver we cannot name */
		unreadable = err && err != -ENOENT;
		if (strlen(de->d_name) >= sizeof(m->bdf)) {
			if (unreadable || !driver_keeps_group_viable(driver))
				d->members_unknown = true;
			continue;
		}
		if (d->nr_members == cap) {
			size_t ncap = cap ? cap * 2 : 4;

			m = realloc(d->members, ncap * sizeof(*m));
			if (!m) {
				ret = -ENOMEM;
				break;
			}
			d->members = m;
			cap = ncap;
		}
		m = &d->members[d->nr_members++];
		memset(m, 0, sizeof(*m));
		strcpy(m->bdf, de->d_name);
		strcpy(m->driver, driver);
		m->blocking = unreadable || !driver_keeps_group_viable(m->driver);
	}
	closedir(dir);
	if (d->nr_members > 1)
		qsort(d->members, d->nr_members, sizeof(*d->members), cmp_member);
	return ret;
}

/* vfio-dev/vfioN, and its major:minor when the kernel has the cdev */
static void read_cdev(const struct vfiodev_ctx *ctx, struct vfiodev_pci_device *d)
{
	char path[512], buf[32];
	struct dirent *de;
	dev_t devnum;
	DIR *dir;

	if (sysfs_path(ctx, path, sizeof(path), "bus/pci/devices/%s/vfio-dev",
		       d->bdf))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "vfio", 4) &&
		    isdigit((unsigned char)de->d_name[4]) &&
		    strlen(de->d_name) < sizeof(d->cdev)) {
			strcpy(d->cdev, de->d_name);
			break;
		}
	}
	closedir(dir);
	if (!d->cdev[0] ||
	    sysfs_read(ctx, buf, sizeof(buf), "bus/pci/devices/%s/vfio-dev/%s/dev",
		       d->bdf, d->cdev) <= 0 ||
	    parse_devnum(buf, &devnum))
		return;
	d->has_cdev_devnum = true;
	d->cdev_major = major(devnum);
	d->cdev_minor = minor(devnum);
}

void pci_device_clear(struct vfiodev_pci_device *d)
{
	free(d->members);
	d->members = NULL;
	d->nr_members = 0;
}

int pci_device_read(const struct vfiodev_ctx *ctx, const char *bdf,
		    struct vfiodev_pci_device *d)
{
	char name[64];
	int ret;

	memset(d, 0, sizeof(*d));
	d->iommu_group = -1;
	if (strlen(bdf) >= sizeof(d->bdf) || sysfs_device_exists(ctx, bdf))
		return -ENODEV;
	strcpy(d->bdf, bdf);
	d->vendor = (uint16_t)read_hex(ctx, bdf, "vendor");
	d->device = (uint16_t)read_hex(ctx, bdf, "device");
	d->subsystem_vendor = (uint16_t)read_hex(ctx, bdf, "subsystem_vendor");
	d->subsystem_device = (uint16_t)read_hex(ctx, bdf, "subsystem_device");
	d->class_code = (uint32_t)read_hex(ctx, bdf, "class");
	if (sysfs_link_name(ctx, d->driver, sizeof(d->driver),
			    "bus/pci/devices/%s/driver", bdf))
		d->driver[0] = '\0';
	/* the kernel shows an unset override as "(null)" */
	if (sysfs_read(ctx, d->driver_override, sizeof(d->driver_override),
		       "bus/pci/devices/%s/driver_override", bdf) < 0 ||
	    !strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	if (sysfs_read(ctx, d->reset_methods, sizeof(d->reset_methods),
		       "bus/pci/devices/%s/reset_method", bdf) < 0)
		d->reset_methods[0] = '\0';
	ret = sysfs_iommu_group(ctx, bdf);
	if (ret >= 0) {
		d->iommu_group = ret;
		d->noiommu = sysfs_read(ctx, name, sizeof(name),
					"kernel/iommu_groups/%d/name", ret) > 0 &&
			     !strcmp(name, "vfio-noiommu");
		ret = read_members(ctx, d);
		if (ret) {
			pci_device_clear(d);
			return ret;
		}
	}
	read_cdev(ctx, d);
	return 0;
}

/* the paths the calling process could open now, with no findings kept */
static void device_paths(struct vfiodev_ctx *ctx, struct vfiodev_pci_device *d)
{
	struct node_user self;
	struct path_args args = { .allow_noiommu = true, .user = &self };

	d->paths = 0;
	if (!driver_is_vfio(d->driver) || d->iommu_group < 0 || d->members_unknown)
		return;
	for (size_t i = 0; i < d->nr_members; i++)
		if (d->members[i].blocking)
			return;
	node_user_self(&self);
	d->paths = paths_evaluate(ctx, d, &args, NULL);
	free(args.cdev_reason);
}

static int lookup(struct vfiodev_ctx *ctx, const char *bdf,
		  struct vfiodev_pci_device **out)
{
	struct vfiodev_pci_device *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = pci_device_read(ctx, bdf, d);
	if (ret) {
		free(d);
		return ret;
	}
	device_paths(ctx, d);
	*out = d;
	return 0;
}

VFIODEV_EXPORT int vfiodev_pci_lookup(struct vfiodev_ctx *ctx, const char *bdf,
				      struct vfiodev_pci_device **out)
{
	char norm[BDF_BUF];
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, out);
	if (vfiodev_bdf_normalise(bdf, norm)) {
		vfd_err(ctx, "'%s' is not a PCI address (expected dddd:bb:dd.f or bb:dd.f)",
			bdf ? bdf : "(null)");
		return -EINVAL;
	}
	ret = lookup(ctx, norm, out);
	if (ret == -ENODEV)
		vfd_err(ctx, "%s: no such PCI device in %s/bus/pci/devices",
			norm, ctx->sysfs_root);
	else if (ret)
		vfd_err(ctx, "%s: reading it from sysfs: %s", norm, strerror(-ret));
	return ret;
}

VFIODEV_EXPORT void vfiodev_pci_device_free(struct vfiodev_pci_device *dev)
{
	if (!dev)
		return;
	pci_device_clear(dev);
	free(dev);
}

/* a growable array of names */
struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *ns, const char *s)
{
	char *dup;

	if (ns->n == ns->cap) {
		size_t ncap = ns->cap ? ns->cap * 2 : 32;
		char **v = realloc(ns->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = ncap;
	}
	dup = strdup(s);
	if (!dup)
		return -ENOMEM;
	ns->v[ns->n++] = dup;
	return 0;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static bool is_bdf(const char *s)
{
	char norm[BDF_BUF];

	return !vfiodev_bdf_normalise(s, norm) && !strcmp(norm, s);
}

static int scan_sysfs(const struct vfiodev_ctx *ctx, struct names *ns)
{
	char path[512];
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	ret = sysfs_path(ctx, path, sizeof(path), "bus/pci/devices");
	if (ret)
		return ret;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!ret && (de = readdir(dir)))
		if (is_bdf(de->d_name))
			ret = names_add(ns, de->d_name);
	closedir(dir);
	return ret;
}

#ifdef HAVE_LIBUDEV
static int scan_udev(struct vfiodev_ctx *ctx, struct names *ns)
{
	struct udev_enumerate *e;
	struct udev_list_entry *entry;
	int ret;

	/* libudev is not thread-safe: one user of ctx->udev at a time */
	pthread_mutex_lock(&ctx->ext_lock);
	if (!ctx->udev)
		ctx->udev = udev_new();
	e = ctx->udev ? udev_enumerate_new(ctx->udev) : NULL;
	if (!e) {
		pthread_mutex_unlock(&ctx->ext_lock);
		return -ENOMEM;
	}
	ret = udev_enumerate_add_match_subsystem(e, "pci");
	if (!ret)
		ret = udev_enumerate_scan_devices(e);
	udev_list_entry_foreach (entry,
				 ret ? NULL : udev_enumerate_get_list_entry(e)) {
		const char *syspath = udev_list_entry_get_name(entry);
		const char *name = strrchr(syspath, '/');

		if (name && is_bdf(name + 1)) {
			ret = names_add(ns, name + 1);
			if (ret)
				break;
		}
	}
	udev_enumerate_unref(e);
	pthread_mutex_unlock(&ctx->ext_lock);
	return ret;
}
#endif

static int enumerate(struct vfiodev_ctx *ctx, struct names *ns)
{
#ifdef HAVE_LIBUDEV
	if (ctx->udev_usable) {
		int ret = scan_udev(ctx, ns);

		if (!ret)
			return 0;
		vfd_info(ctx, "libudev enumeration failed (%s); reading sysfs",
			 strerror(-ret));
		names_free(ns);
		memset(ns, 0, sizeof(*ns));
	}
#endif
	return scan_sysfs(ctx, ns);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

VFIODEV_EXPORT void vfiodev_pci_list_free(struct vfiodev_pci_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->nr_devices; i++)
		vfiodev_pci_device_free(list->devices[i]);
	free(list->devices);
	free(list);
}

VFIODEV_EXPORT int vfiodev_pci_scan(struct vfiodev_ctx *ctx,
				    const struct vfiodev_pci_scan_opts *opts,
				    struct vfiodev_pci_list **out)
{
	struct vfiodev_pci_scan_opts o = { 0 };
	struct vfiodev_pci_list *list;
	struct names ns = { 0 };
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, out);
	ret = opts_check(ctx, opts,
			 offsetofend(struct vfiodev_pci_scan_opts, device),
			 "vfiodev_pci_scan_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_pci_scan_opts, vfio_only))
		o.vfio_only = opts->vfio_only;
	if (OPTS_HAS(opts, vfiodev_pci_scan_opts, vendor))
		o.vendor = opts->vendor;
	if (OPTS_HAS(opts, vfiodev_pci_scan_opts, device))
		o.device = opts->device;

	ret = enumerate(ctx, &ns);
	if (ret) {
		vfd_err(ctx, "enumerating PCI devices in %s/bus/pci/devices: %s",
			ctx->sysfs_root, strerror(-ret));
		names_free(&ns);
		return ret;
	}
	/* qsort's base must not be NULL, even for no elements */
	if (ns.n)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_name);
	list = calloc(1, sizeof(*list));
	if (list && ns.n)
		list->devices = calloc(ns.n, sizeof(*list->devices));
	if (!list || (ns.n && !list->devices)) {
		free(list);
		names_free(&ns);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ns.n; i++) {
		struct vfiodev_pci_device *d;

		ret = lookup(ctx, ns.v[i], &d);
		if (ret == -ENODEV)
			continue; /* removed while we looked */
		if (ret) {
			vfd_err(ctx, "%s: reading it from sysfs: %s", ns.v[i],
				strerror(-ret));
			vfiodev_pci_list_free(list);
			names_free(&ns);
			return ret;
		}
		if ((o.vfio_only && !driver_is_vfio(d->driver)) ||
		    (o.vendor && d->vendor != o.vendor) ||
		    (o.device && d->device != o.device)) {
			vfiodev_pci_device_free(d);
			continue;
		}
		list->devices[list->nr_devices++] = d;
	}
	names_free(&ns);
	*out = list;
	return 0;
}
