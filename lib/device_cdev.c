// SPDX-License-Identifier: MIT
/*
 * The cdev path of a device open (lib/device.c): the device's vfio cdev as
 * sysfs names it (what a context learned of the kernel's cdevs spares the
 * later opens), its node opened and proved the device's before and after
 * the open, the bind to the context's iommufd; the reason it failed, in
 * words, for the fallback.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* @dev->fallback_reason, formatted; -ENOMEM (the old reason kept) */
int vfd_device_set_reason(struct vfiodev_device *dev, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfd_vstrfmt(fmt, ap);
	va_end(ap);
	if (!s)
		return -ENOMEM;
	free(dev->fallback_reason);
	dev->fallback_reason = s;
	return 0;
}

/* the cdev name @dev's device had when the context last opened it, into
 * @dev->cdev_name; false when none is remembered */
static bool cdev_seen_get(struct vfiodev_device *dev)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	bool found = false;

	pthread_mutex_lock(&ctx->lock);
	for (size_t i = 0; i < ARRAY_SIZE(ctx->cdev_seen) && !found; i++)
		if (!strcmp(ctx->cdev_seen[i].sysdir, dev->sysdir)) {
			snprintf(dev->cdev_name, sizeof(dev->cdev_name), "%s",
				 ctx->cdev_seen[i].name);
			found = true;
		}
	pthread_mutex_unlock(&ctx->lock);
	return found;
}

static void cdev_seen_put(struct vfiodev_device *dev)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	size_t i;

	pthread_mutex_lock(&ctx->lock);
	for (i = 0; i < ARRAY_SIZE(ctx->cdev_seen); i++)
		if (!strcmp(ctx->cdev_seen[i].sysdir, dev->sysdir))
			break;
	if (i == ARRAY_SIZE(ctx->cdev_seen))
		i = ctx->cdev_seen_next++ % ARRAY_SIZE(ctx->cdev_seen);
	snprintf(ctx->cdev_seen[i].sysdir, sizeof(ctx->cdev_seen[i].sysdir),
		 "%s", dev->sysdir);
	snprintf(ctx->cdev_seen[i].name, sizeof(ctx->cdev_seen[i].name), "%s",
		 dev->cdev_name);
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * sysfs's vfio cdev of @dev, read once per open. Whether the kernel
 * numbers cdevs (CONFIG_VFIO_DEVICE_CDEV) is learned once per context:
 * from the first device whose entry has a number (later opens do not ask
 * for it), or has none and is not noiommu (whose cdev before 7.x has none
 * on any kernel: later opens ask sysfs nothing)
 */
int vfd_device_cdev_of(struct vfiodev_device *dev)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	int ret;

	if (dev->cdev_read)
		return dev->cdev_ret;
	dev->cdev_read = true;
	if (__atomic_load_n(&ctx->no_cdev_numbers, __ATOMIC_RELAXED))
		return dev->cdev_ret = -ENOENT;
	/* the name the device had at its last open, if its entry, with a
	 * number, is still there (a rebind may give another): one access()
	 * for the directory's four calls */
	if (cdev_seen_get(dev) &&
	    !vfd_sysfs_dir_cdev_numbered(ctx, dev->sysdir, dev->cdev_name))
		return dev->cdev_ret = 0;
	ret = vfd_sysfs_dir_vfio_entry(ctx, dev->sysdir, dev->cdev_name,
				       sizeof(dev->cdev_name));
	if (ret)
		return dev->cdev_ret = ret;
	if (__atomic_load_n(&ctx->cdev_numbers, __ATOMIC_RELAXED)) {
		/* the kernel numbers cdevs: only a noiommu device's (before
		 * 7.x) has none, and has no node either, which the node's
		 * open finds (cdev_node_open() asks sysfs then) */
		dev->cdev_unproved = true;
		return dev->cdev_ret = 0;
	}
	ret = vfd_sysfs_dir_cdev_numbered(ctx, dev->sysdir, dev->cdev_name);
	if (!ret)
		__atomic_store_n(&ctx->cdev_numbers, true, __ATOMIC_RELAXED);
	else if (ret == -ENOENT && strncmp(dev->cdev_name, "noiommu-", 8) &&
		 !vfd_sysfs_dev_group_noiommu(dev))
		__atomic_store_n(&ctx->no_cdev_numbers, true, __ATOMIC_RELAXED);
	return dev->cdev_ret = ret;
}

/* the device's vfio cdev, as sysfs names it, usable by this open; else
 * @dev->fallback_reason says why not */
static int cdev_usable(struct vfiodev_device *dev)
{
	const char *name = dev->cdev_name;
	int ret;

	ret = vfd_device_cdev_of(dev);
	if (ret == -ENOENT && vfd_sysfs_dev_group_noiommu(dev)) {
		/* before 7.x vfio registers noiommu devices without a cdev
		 * number: only the group serves them */
		vfd_device_set_reason(dev,
				      "noiommu device: this kernel gives it no vfio cdev (Linux 7.x with CONFIG_IOMMUFD_NOIOMMU does)");
		return ret;
	}
	dev->noiommu_cdev = !ret && !strncmp(name, "noiommu-", 8);
	if (dev->noiommu_cdev && !dev->allow_noiommu) {
		vfd_device_set_reason(dev, "%s is a noiommu device (no DMA isolation); refused unless allow_noiommu is set",
				      name);
		return -EPERM;
	}
	if (ret)
		vfd_device_set_reason(dev,
				      ret == -ENOENT ?
					      "no vfio cdev in sysfs (kernel without CONFIG_VFIO_DEVICE_CDEV)" :
					      "reading the vfio cdev from sysfs: %s",
				      strerror(-ret));
	return ret;
}

/* the node of the cdev, opened and proved the device's into @dev->fd */
static int cdev_node_open(struct vfiodev_device *dev)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	const char *name = dev->cdev_name;
	int fd, ret;

	fd = vfd_cdev_node_open(ctx, dev->sysdir, name, dev->node,
				sizeof(dev->node), &dev->devnum);
	if (fd == -ENOENT && dev->cdev_unproved &&
	    vfd_sysfs_dir_cdev_numbered(ctx, dev->sysdir, name) == -ENOENT) {
		/* no number after all (a noiommu device before 7.x): the
		 * reasons of a cdev sysfs does not number */
		dev->cdev_ret = -ENOENT;
		return cdev_usable(dev);
	}
	if (fd < 0) {
		if (fd == -ENOENT)
			vfd_device_set_reason(dev, "sysfs names %s but no node exists for it (a noiommu device has none)",
					      name);
		else if (fd == -ENXIO)
			vfd_device_set_reason(dev, "the node of %s is not %s's: refused",
					      name, dev->name);
		else
			vfd_device_set_reason(dev, "opening the node of %s: %s%s",
					      name, strerror(-fd),
					      dev->noiommu_cdev && fd == -EPERM ?
						      " (a noiommu cdev needs CAP_SYS_RAWIO)" :
						      "");
		return fd;
	}
	dev->fd = fd;
	dev->has_devnum = true;

	/* vfio reuses minors: if the device was rebound between the check and
	 * the open, the node now open may be another device's. An open cdev
	 * pins its device, so a check now is final; it is the only one of
	 * whose cdev the number is when the check before the open went by
	 * vfio's major (vfd_cdev_node_open()) */
	ret = vfd_sysfs_cdev_is(ctx, dev->devnum, dev->name, name);
	if (ret) {
		vfd_device_set_reason(dev, "the node of %s is not the device's once open (%s): the device was rebound meanwhile, or the node is another vfio device's (stale or planted)",
				      name,
				      ret == -ENXIO ?
					      "its number is another device's" :
					      strerror(-ret));
		vfd_err(ctx, "%s: %s", dev->name, dev->fallback_reason);
		return -ENXIO;
	}
	cdev_seen_put(dev);
	return 0;
}

/* the cdev path; on failure, @dev->fallback_reason says why */
int vfd_device_open_cdev(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	struct vfiodev_ctx *ctx = space->ctx;
	int ret;

	ret = cdev_usable(dev);
	if (ret)
		return ret;
	ret = cdev_node_open(dev);
	if (ret)
		goto fail;
	ret = dev->cdev_prepared ? dev->iommufd_ret : vfd_iommufd_open(ctx);
	if (ret < 0) {
		vfd_device_set_reason(dev, "%s/iommu: %s%s", ctx->dev_root,
				      strerror(-ret),
				      ret == -ENOENT ?
					      " (kernel without CONFIG_IOMMUFD)" :
					      "");
		goto fail;
	}
	ret = vfd_space_join(space, dev, &vfd_iommufd_backend_ops);
	if (ret && dev->token_refused) {
		vfd_device_set_reason(dev, "the kernel's cdev bind refused the VF token (%s): a kernel before Linux 6.17 (no VFIO_DEVICE_BIND_FLAG_TOKEN), 6.17 without its fix (E2BIG), or a device that takes no token",
				      strerror(-ret));
		goto fail;
	}
	if (ret == -ENOENT && dev->bus == VFD_BUS_MDEV && space->dirty_on) {
		vfd_device_set_reason(dev,
				      "a mediated device joins through emulated access, which takes an IOAS, not the space's dirty-tracking page table: stop dirty tracking to open it");
		goto fail;
	}
	if (ret) {
		vfd_device_set_reason(dev,
				      ret == -ENOTTY ?
					      "VFIO_DEVICE_BIND_IOMMUFD is not supported by this kernel" :
					      "binding to iommufd: %s%s",
				      strerror(-ret), vfd_vf_token_hint(dev, ret));
		goto fail;
	}
	return 0;
fail:
	if (dev->fd >= 0)
		sys_close(dev->fd);
	dev->fd = -1;
	dev->has_devnum = false;
	dev->node[0] = '\0';
	return ret;
}
