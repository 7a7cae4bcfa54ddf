// SPDX-License-Identifier: MIT
/*
 * Slot and bus resets (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO and
 * VFIO_DEVICE_PCI_HOT_RESET): which devices a reset takes with it, whether
 * this context holds each, and the reset itself, with the proof of
 * ownership each path needs: on the iommufd path none (every affected
 * device is bound to, or owned through, the context's /dev/iommu), on the
 * group path the fd of every affected group.
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* a bus and the buses below it: far more than any real topology */
#define MAX_PEERS 4096u

/* the kernel's list of affected devices; *@out is freed by the caller */
static int reset_info_read(struct vfiodev_device *dev,
			   struct vfio_pci_hot_reset_info **out)
{
	struct vfio_pci_hot_reset_info *info;
	uint32_t room = 8;
	int ret;

	if (dev->bus != VFD_BUS_PCI && dev->bus != VFD_BUS_UNKNOWN) {
		vfd_err(dev->ctx,
			"%s: no slot or bus reset: a device of the %s bus has no PCI slot or bus (vfiodev_device_reset() resets it alone)",
			dev->name, dev->bus == VFD_BUS_MDEV ? "mdev" : "non-PCI");
		return -ENODEV;
	}
	for (int tries = 0; tries < 3; tries++) {
		size_t argsz = sizeof(*info) + room * sizeof(info->devices[0]);

		info = calloc(1, argsz);
		if (!info) {
			vfd_err(dev->ctx, "%s: hot reset info: out of memory",
				dev->name);
			return -ENOMEM;
		}
		info->argsz = (uint32_t)argsz;
		ret = sys_ioctl(dev->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
		if (!ret && info->count <= room) {
			*out = info;
			return 0;
		}
		if (ret && ret != -ENOSPC) {
			if (ret == -ENODEV)
				vfd_err(dev->ctx,
					"%s: no slot or bus reset: the device is on a root bus, or its bus cannot be reset",
					dev->name);
			else
				vfd_err(dev->ctx,
					"%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s",
					dev->name, strerror(-ret));
			free(info);
			return ret;
		}
		/* ENOSPC (or a count past the room): the count says how many */
		if (info->count <= room || info->count > MAX_PEERS) {
			vfd_err(dev->ctx,
				"%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: implausible count %u (room for %u)",
				dev->name, info->count, room);
			free(info);
			return -EPROTO;
		}
		room = info->count;
		free(info);
	}
	vfd_err(dev->ctx,
		"%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the count kept growing",
		dev->name);
	return -EPROTO;
}

static void peer_fill(struct vfiodev_ctx *ctx,
		      const struct vfio_pci_dependent_device *d,
		      bool devid_mode, struct vfiodev_reset_peer *p)
{
	char drv[64];
	int fd;

	memset(p, 0, sizeof(*p));
	snprintf(p->bdf, sizeof(p->bdf), "%04x:%02x:%02x.%x", d->segment,
		 d->bus, d->devfn >> 3, d->devfn & 7);
	if (devid_mode) {
		p->group = vfd_sysfs_iommu_group(ctx, p->bdf);
		if (p->group < 0)
			p->group = -1;
		/* the kernel answers for ownership through the iommufd */
		if (d->devid != (uint32_t)VFIO_PCI_DEVID_NOT_OWNED)
			p->flags |= VFIODEV_RESET_PEER_HELD;
	} else {
		p->group = (int32_t)d->group_id;
		fd = vfd_ctx_group_fd(ctx, p->group);
		if (fd >= 0) {
			p->flags |= VFIODEV_RESET_PEER_HELD;
			sys_close(fd);
		}
	}
	/* vfio-pci or a variant driver (mlx5_vfio_pci, ...) */
	if (!vfd_sysfs_link_name(ctx, drv, sizeof(drv),
				 "bus/pci/devices/%s/driver", p->bdf) &&
	    strstr(drv, "vfio"))
		p->flags |= VFIODEV_RESET_PEER_VFIO;
}

VFIODEV_EXPORT int vfiodev_device_hot_reset_info(struct vfiodev_device *dev,
						 struct vfiodev_reset_peer *peers,
						 size_t *n)
{
	struct vfio_pci_hot_reset_info *info;
	bool devid_mode;
	int ret;

	if (!dev || !n || (*n && !peers))
		return -EINVAL;
	ret = reset_info_read(dev, &info);
	if (ret)
		return ret;
	devid_mode = info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	if (*n < info->count) {
		vfd_dbg(dev->ctx, "%s: hot reset info: %u devices, room for %zu",
			dev->name, info->count, *n);
		ret = -ENOSPC;
	}
	for (uint32_t i = 0; !ret && i < info->count; i++)
		peer_fill(dev->ctx, &info->devices[i], devid_mode, &peers[i]);
	*n = info->count;
	free(info);
	return ret;
}

/* the group fds the group path hands over, one per affected group */
struct fds {
	int *v;
	uint32_t n;
};

static void fds_close(struct fds *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		sys_close(f->v[i]);
	free(f->v);
}

static int do_reset(struct vfiodev_device *dev, const struct fds *f)
{
	struct vfio_pci_hot_reset *r;
	size_t argsz = sizeof(*r) + f->n * sizeof(r->group_fds[0]);
	int ret;

	r = calloc(1, argsz);
	if (!r) {
		vfd_err(dev->ctx, "%s: hot reset: out of memory", dev->name);
		return -ENOMEM;
	}
	r->argsz = (uint32_t)argsz;
	r->count = f->n;
	for (uint32_t i = 0; i < f->n; i++)
		r->group_fds[i] = f->v[i];
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_PCI_HOT_RESET, r);
	free(r);
	if (ret)
		vfd_err(dev->ctx, "%s: VFIO_DEVICE_PCI_HOT_RESET: %s%s",
			dev->name, strerror(-ret),
			ret == -EBUSY ? " (a device's memory is in use: retry)" :
					"");
	return ret;
}

VFIODEV_EXPORT int vfiodev_device_hot_reset(struct vfiodev_device *dev)
{
	struct vfio_pci_hot_reset_info *info;
	struct fds f = { NULL, 0 };
	char why[512];
	size_t used = 0;
	bool devid_mode;
	int ret;

	if (!dev)
		return -EINVAL;
	ret = reset_info_read(dev, &info);
	if (ret)
		return ret;
	devid_mode = info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	if (!devid_mode) {
		f.v = calloc(info->count, sizeof(*f.v));
		if (!f.v) {
			vfd_err(dev->ctx, "%s: hot reset: out of memory", dev->name);
			free(info);
			return -ENOMEM;
		}
	}
	why[0] = '\0';
	for (uint32_t i = 0; i < info->count; i++) {
		struct vfiodev_reset_peer p;
		const char *miss = NULL;
		bool seen = false;

		peer_fill(dev->ctx, &info->devices[i], devid_mode, &p);
		if (!(p.flags & VFIODEV_RESET_PEER_VFIO))
			miss = "is not bound to a VFIO driver";
		else if (!(p.flags & VFIODEV_RESET_PEER_HELD))
			miss = devid_mode ?
				       "is not bound to this context's /dev/iommu (open it here first)" :
				       "is in a group this context does not hold (open it here first)";
		if (miss) {
			if (used < sizeof(why))
				used += (size_t)snprintf(why + used,
							 sizeof(why) - used,
							 "%s%s %s", used ? ", " : "",
							 p.bdf, miss);
			ret = -EPERM;
			continue;
		}
		if (devid_mode || ret)
			continue;
		for (uint32_t k = 0; k < i; k++)
			seen |= info->devices[k].group_id == (uint32_t)p.group;
		if (seen)
			continue;
		f.v[f.n] = vfd_ctx_group_fd(dev->ctx, p.group);
		if (f.v[f.n] < 0) {
			/* released since peer_fill() looked, or no fd to dup */
			ret = f.v[f.n] == -ENOENT ? -EPERM : f.v[f.n];
			if (used < sizeof(why))
				used += (size_t)snprintf(why + used,
							 sizeof(why) - used,
							 "%sgroup %d: %s",
							 used ? ", " : "", p.group,
							 ret == -EPERM ?
								 "released meanwhile" :
								 strerror(-ret));
			continue;
		}
		f.n++;
	}
	if (ret)
		vfd_err(dev->ctx, "%s: hot reset refused: %s", dev->name, why);
	else
		ret = do_reset(dev, &f);
	if (!ret)
		vfd_info(dev->ctx, "%s: hot reset of %u device%s (%s)",
			 dev->name, info->count, info->count == 1 ? "" : "s",
			 devid_mode ? "iommufd: no group fds" : "group fds");
	fds_close(&f);
	free(info);
	return ret;
}
