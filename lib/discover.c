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

static void device_paths(struct vfiodev_ctx *ctx, struct vfiodev_pci_device *d)
{
	struct node_user self;
	struct path_args args = { .allow_noiommu = true, .user = &self };

	d->paths = 0;
	if (!vfd_driver_is_vfio(d->driver) || d->iommu_group < 0 || d->members_unknown)
		return;
	for (size_t i = 0; i < d->nr_members; i++)
		if (d->members[i].blocking)
			return;
	vfd_node_user_self(&self);
	d->paths = vfd_paths_evaluate(ctx, d, &args, NULL);
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
	ret = vfd_pci_device_read(ctx, bdf, d);
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
	vfd_pci_device_clear(dev);
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

	ret = vfd_sysfs_path(ctx, path, sizeof(path), "bus/pci/devices");
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
	ret = vfd_opts_check(ctx, opts,
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
		if ((o.vfio_only && !vfd_driver_is_vfio(d->driver)) ||
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
