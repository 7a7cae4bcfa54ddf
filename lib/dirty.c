// SPDX-License-Identifier: MIT
/*
 * Dirty page tracking of a space, for live migration, with one API for
 * both backends:
 * - container: Type1's VFIO_IOMMU_DIRTY_PAGES on the container (start,
 *   stop, read-and-clear a bitmap), sized by the migration capability of
 *   VFIO_IOMMU_GET_INFO. Without devices that pin pages, Type1 reports
 *   every page of a mapping dirty on each read (the kernel cannot see
 *   device writes: it assumes all).
 * - iommufd: a paging HWPT of the space's IOAS allocated with
 *   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, the space's devices moved onto it,
 *   tracking enabled with IOMMU_HWPT_SET_DIRTY_TRACKING and read with
 *   IOMMU_HWPT_GET_DIRTY_BITMAP; every device's IOMMU must offer it
 *   (IOMMU_HW_CAP_DIRTY_TRACKING in IOMMU_GET_HW_INFO).
 */
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *hw_info_name(uint32_t type)
{
	switch (type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD:
		return "Intel VT-d";
	case 2:
		return "Arm SMMUv3";
	case 0:
		return "an IOMMU without a hardware description";
	}
	return "an IOMMU of unknown type";
}

/* every device's IOMMU tracks dirty pages: 0, else -EOPNOTSUPP (logged
 * once per call, naming the device and the IOMMU) */
static int iommufd_dirty_capable(struct vfiodev_space *space)
{
	if (!space->devices) {
		vfd_err(space->ctx,
			"dirty tracking: the space has no device yet (the IOMMU decides)");
		return -ENODEV;
	}
	for (struct vfiodev_device *d = space->devices; d; d = d->space_next) {
		struct iommu_hw_info hw = { .size = sizeof(hw), .dev_id = d->devid };
		int ret = sys_ioctl(space->iommufd, IOMMU_GET_HW_INFO, &hw);

		if (ret) {
			vfd_err(space->ctx, "%s: IOMMU_GET_HW_INFO: %s",
				d->name, strerror(-ret));
			return ret;
		}
		if (!(hw.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING)) {
			vfd_err(space->ctx,
				"%s: dirty tracking not supported: %s reports no IOMMU_HW_CAP_DIRTY_TRACKING%s",
				d->name, hw_info_name(hw.out_data_type),
				hw.out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD ?
					" (second-stage A/D bits, ECAP.SLADS)" :
					"");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int container_dirty_capable(struct vfiodev_space *space)
{
	if (space->container_fd < 0) {
		vfd_err(space->ctx,
			"dirty tracking: the space has no device yet (the container decides)");
		return -ENODEV;
	}
	if (space->noiommu || !space->dirty_pgsizes ||
	    space->iommu_type != VFIO_TYPE1v2_IOMMU || sizeof(void *) != 8) {
		vfd_err(space->ctx, "dirty tracking not supported: %s",
			space->noiommu ?
				"a noiommu container has no IOMMU" :
			!space->dirty_pgsizes ?
				"Type1 reports no migration capability (Linux 5.8+)" :
			space->iommu_type != VFIO_TYPE1v2_IOMMU ?
				"the container has Type1, not Type1v2 (the kernel refuses dirty tracking with EACCES)" :
				"Type1's dirty bitmap carries a 64-bit pointer: not from a 32-bit process");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int type1_dirty(struct vfiodev_space *space, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap cmd = {
		.argsz = sizeof(cmd),
		.flags = flag,
	};
	int ret = sys_ioctl(space->container_fd, VFIO_IOMMU_DIRTY_PAGES, &cmd);

	if (ret)
		vfd_err(space->ctx, "VFIO_IOMMU_DIRTY_PAGES (%s): %s",
			flag == VFIO_IOMMU_DIRTY_PAGES_FLAG_START ? "start" : "stop",
			strerror(-ret));
	return ret;
}

static int tracking_on(struct vfiodev_space *space)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = space->dirty_hwpt,
	};
	int ret = sys_ioctl(space->iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);

	if (ret)
		vfd_err(space->ctx,
			"IOMMU_HWPT_SET_DIRTY_TRACKING (on) of HWPT %u: %s",
			space->dirty_hwpt, strerror(-ret));
	return ret;
}

/* attach the space's devices, from the first up to @until (NULL: all), to
 * @pt_id; stop at the first that fails, or with @all go on past it. 0, or
 * the first failure (*@failed: its device) */
static int attach_each(struct vfiodev_space *space, uint32_t pt_id,
		       const struct vfiodev_device *until, bool all,
		       struct vfiodev_device **failed)
{
	struct vfiodev_device *d;
	int ret = 0;

	*failed = NULL;
	for (d = space->devices; d && d != until; d = d->space_next) {
		struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at),
							    .pt_id = pt_id };
		int r = sys_ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);

		if (!r)
			continue;
		vfd_err(space->ctx, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT to %u: %s",
			d->name, pt_id, strerror(-r));
		if (!ret) {
			ret = r;
			*failed = d;
		}
		if (!all)
			break;
	}
	return ret;
}

/* the HWPT goes (with it its tracking); on failure it stays known, so the
 * next stop, start or the space's release tries again (the kernel frees
 * it with the /dev/iommu fd at the latest) */
int vfd_dirty_hwpt_destroy(struct vfiodev_space *space)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = space->dirty_hwpt };
	int ret = sys_ioctl(space->iommufd, IOMMU_DESTROY, &cmd);

	if (ret) {
		vfd_err(space->ctx,
			"IOMMU_DESTROY of HWPT %u: %s (tried again at the next stop, start and at the space's release)",
			space->dirty_hwpt, strerror(-ret));
		return ret;
	}
	space->dirty_hwpt = 0;
	return 0;
}

/* tracking is off, but a HWPT of a failed start or stop lives on, maybe
 * with devices that could not leave it: move them to the IOAS and destroy
 * it. 0 when it is gone */
static int hwpt_leftover_clear(struct vfiodev_space *space)
{
	struct vfiodev_device *stuck;
	int ret;

	ret = attach_each(space, space->ioas_id, NULL, true, &stuck);
	if (ret) {
		vfd_err(space->ctx,
			"%s: still attached to the tracking HWPT %u of a failed dirty start or stop (moving it to IOAS %u: %s)",
			stuck->name, space->dirty_hwpt, space->ioas_id,
			strerror(-ret));
		return ret;
	}
	return vfd_dirty_hwpt_destroy(space);
}

/* a start that fails leaves nothing behind, or, where a device cannot go
 * back to the IOAS, the HWPT it sits on, known for a retry */
static void iommufd_start_undo(struct vfiodev_space *space,
			       const struct vfiodev_device *until)
{
	struct vfiodev_device *stuck;

	if (attach_each(space, space->ioas_id, until, true, &stuck)) {
		vfd_err(space->ctx,
			"%s: stays attached to the tracking HWPT %u (without tracking): vfiodev_space_dirty_stop() or the space's release tries to move it back",
			stuck->name, space->dirty_hwpt);
		return;
	}
	vfd_dirty_hwpt_destroy(space);
}

static int iommufd_dirty_start(struct vfiodev_space *space)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = space->devices->devid,
		.pt_id = space->ioas_id,
	};
	struct vfiodev_device *failed;
	int ret;

	if (space->dirty_hwpt) {
		ret = hwpt_leftover_clear(space);
		if (ret)
			return ret;
	}
	ret = sys_ioctl(space->iommufd, IOMMU_HWPT_ALLOC, &alloc);
	if (ret) {
		vfd_err(space->ctx, "IOMMU_HWPT_ALLOC with dirty tracking: %s",
			strerror(-ret));
		return ret;
	}
	space->dirty_hwpt = alloc.out_hwpt_id;
	ret = attach_each(space, space->dirty_hwpt, NULL, false, &failed);
	if (ret) {
		iommufd_start_undo(space, failed);
		return ret;
	}
	ret = tracking_on(space);
	if (ret)
		iommufd_start_undo(space, NULL);
	return ret;
}

/* the devices go back to the IOAS first: if one cannot, all stay on the
 * HWPT and tracking goes on, nothing lost */
static int iommufd_dirty_stop(struct vfiodev_space *space)
{
	struct vfiodev_device *failed, *stuck;
	int ret;

	ret = attach_each(space, space->ioas_id, NULL, false, &failed);
	if (ret && attach_each(space, space->dirty_hwpt, failed, true, &stuck))
		vfd_err(space->ctx,
			"%s: left the tracking HWPT %u and could not go back: its writes are no longer tracked",
			stuck->name, space->dirty_hwpt);
	/* with every device on the IOAS tracking is over, whether the HWPT
	 * goes now or at a retry */
	if (!ret)
		vfd_dirty_hwpt_destroy(space);
	return ret;
}

/* a stop with tracking off: the HWPT a failed start or stop left, if any
 * (-ENOENT: none) */
static int iommufd_dirty_leftover(struct vfiodev_space *space)
{
	return space->dirty_hwpt ? hwpt_leftover_clear(space) : -ENOENT;
}

static int type1_dirty_start(struct vfiodev_space *space)
{
	return type1_dirty(space, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static int type1_dirty_stop(struct vfiodev_space *space)
{
	return type1_dirty(space, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
}

static int type1_dirty_leftover(struct vfiodev_space *space)
{
	(void)space;
	return -ENOENT;
}

/* Type1 refuses a range that splits a mapping: say so from the record */
static int range_whole(struct vfiodev_space *space, uint64_t iova, uint64_t last)
{
	const struct itree_node *a = vfd_itree_find(&space->tree, iova);
	const struct itree_node *b = vfd_itree_find(&space->tree, last);

	if ((a && !(a->vaddr & MAPF_RESERVED) && a->iova < iova) ||
	    (b && !(b->vaddr & MAPF_RESERVED) && vfd_itree_last(b) > last)) {
		vfd_err(space->ctx,
			"dirty read: 0x%llx-0x%llx splits a mapping (Type1 reads whole mappings)",
			(unsigned long long)iova, (unsigned long long)last);
		return -EINVAL;
	}
	return 0;
}

static int type1_read(struct vfiodev_space *space, uint64_t iova, uint64_t len,
		      uint64_t pgsize, uint64_t *bitmap, size_t bytes)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap hdr;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} cmd = {
		.hdr = { .argsz = sizeof(cmd),
			 .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
		.get = { .iova = iova,
			 .size = len,
			 .bitmap = { .pgsize = pgsize,
				     .size = bytes,
				     .data = (__u64 *)bitmap } },
	};
	int ret;

	ret = sys_ioctl(space->container_fd, VFIO_IOMMU_DIRTY_PAGES, &cmd);
	if (ret)
		vfd_err(space->ctx,
			"VFIO_IOMMU_DIRTY_PAGES (bitmap of 0x%llx+0x%llx): %s",
			(unsigned long long)iova, (unsigned long long)len,
			strerror(-ret));
	return ret;
}

static int iommufd_read(struct vfiodev_space *space, uint64_t iova,
			uint64_t len, uint64_t pgsize, uint64_t *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = space->dirty_hwpt,
		.iova = iova,
		.length = len,
		.page_size = pgsize,
		.data = (uintptr_t)bitmap,
	};
	int ret = sys_ioctl(space->iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	if (ret)
		vfd_err(space->ctx,
			"IOMMU_HWPT_GET_DIRTY_BITMAP of 0x%llx+0x%llx: %s",
			(unsigned long long)iova, (unsigned long long)len,
			strerror(-ret));
	return ret;
}

/* any power of two the IOAS alignment allows, any bitmap size */
static void iommufd_dirty_limits(const struct vfiodev_space *space,
				 uint64_t *pgsizes, uint64_t *max_bitmap)
{
	*pgsizes = ~(space->iova_align - 1);
	*max_bitmap = 0;
}

/* what Type1's migration capability said at the last join */
static void type1_dirty_limits(const struct vfiodev_space *space,
			       uint64_t *pgsizes, uint64_t *max_bitmap)
{
	*pgsizes = space->dirty_pgsizes;
	*max_bitmap = space->dirty_max_bitmap;
}

static int type1_dirty_read(struct vfiodev_space *space, uint64_t iova, uint64_t len,
			    uint64_t pgsize, uint64_t *bitmap, size_t bytes)
{
	int ret = range_whole(space, iova, iova + len - 1);

	return ret ? ret : type1_read(space, iova, len, pgsize, bitmap, bytes);
}

static int iommufd_dirty_read(struct vfiodev_space *space, uint64_t iova,
			      uint64_t len, uint64_t pgsize, uint64_t *bitmap,
			      size_t bytes)
{
	(void)bytes;
	return iommufd_read(space, iova, len, pgsize, bitmap);
}

const struct dirty_ops vfd_iommufd_dirty_ops = {
	.capable = iommufd_dirty_capable,
	.limits = iommufd_dirty_limits,
	.start = iommufd_dirty_start,
	.stop = iommufd_dirty_stop,
	.leftover = iommufd_dirty_leftover,
	.read = iommufd_dirty_read,
};

const struct dirty_ops vfd_type1_dirty_ops = {
	.capable = container_dirty_capable,
	.limits = type1_dirty_limits,
	.start = type1_dirty_start,
	.stop = type1_dirty_stop,
	.leftover = type1_dirty_leftover,
	.read = type1_dirty_read,
};

/* the space's backend's tracking, or NULL (logged) before its first device */
static const struct dirty_ops *dirty_of(struct vfiodev_space *space)
{
	if (!space->ops) {
		vfd_err(space->ctx,
			"dirty tracking: the space has no device yet (the IOMMU decides)");
		return NULL;
	}
	return space->ops->dirty;
}

static int dirty_capable(struct vfiodev_space *space, const struct dirty_ops **d)
{
	*d = dirty_of(space);
	return *d ? (*d)->capable(space) : -ENODEV;
}

VFIODEV_EXPORT int vfiodev_space_dirty_info(struct vfiodev_space *space,
					    struct vfiodev_dirty_info *info)
{
	const struct dirty_ops *d;
	int ret;

	if (!space || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&space->lock);
	ret = dirty_capable(space, &d);
	if (!ret) {
		info->flags = space->dirty_on ? VFIODEV_DIRTY_TRACKING : 0;
		d->limits(space, &info->pgsizes, &info->max_bitmap_bytes);
	}
	pthread_mutex_unlock(&space->lock);
	return ret;
}

VFIODEV_EXPORT int vfiodev_space_dirty_start(struct vfiodev_space *space)
{
	const struct dirty_ops *d;
	int ret;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	ret = dirty_capable(space, &d);
	if (!ret && space->dirty_on)
		ret = -EALREADY;
	if (!ret)
		ret = d->start(space);
	if (!ret)
		space->dirty_on = true;
	pthread_mutex_unlock(&space->lock);
	if (ret == -EALREADY)
		vfd_err(space->ctx, "dirty tracking: already started");
	return ret;
}

VFIODEV_EXPORT int vfiodev_space_dirty_stop(struct vfiodev_space *space)
{
	const struct dirty_ops *d;
	int ret = 0;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	d = space->ops ? space->ops->dirty : NULL;
	if (!space->dirty_on && d) {
		/* what a failed start or stop left: try again */
		ret = d->leftover(space);
		if (ret != -ENOENT) {
			pthread_mutex_unlock(&space->lock);
			return ret;
		}
	}
	if (!space->dirty_on) {
		pthread_mutex_unlock(&space->lock);
		vfd_err(space->ctx, "dirty tracking: not started");
		return -EINVAL;
	}
	ret = d->stop(space);
	if (!ret)
		space->dirty_on = false;
	pthread_mutex_unlock(&space->lock);
	return ret;
}

VFIODEV_EXPORT int vfiodev_space_dirty_read(struct vfiodev_space *space,
					    uint64_t iova, uint64_t len,
					    uint64_t pgsize, uint64_t *bitmap,
					    size_t bitmap_bytes)
{
	uint64_t pages, need, sizes, max;
	int ret;

	if (!space || !bitmap)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	if (!space->dirty_on) {
		pthread_mutex_unlock(&space->lock);
		vfd_err(space->ctx, "dirty read: tracking is not started");
		return -EINVAL;
	}
	space->ops->dirty->limits(space, &sizes, &max);
	ret = -EINVAL;
	if (!pgsize || pgsize & (pgsize - 1) || !(sizes & pgsize))
		vfd_err(space->ctx,
			"dirty read: page size 0x%llx is not one the space offers (0x%llx)",
			(unsigned long long)pgsize, (unsigned long long)sizes);
	else if (!len || (iova | len) & (pgsize - 1) || iova + len - 1 < iova)
		vfd_err(space->ctx,
			"dirty read: range 0x%llx+0x%llx is not aligned to the page size",
			(unsigned long long)iova, (unsigned long long)len);
	else
		ret = 0;
	pages = ret ? 0 : len / pgsize;
	need = (pages + 63) / 64 * 8;
	if (!ret && bitmap_bytes < need) {
		vfd_err(space->ctx,
			"dirty read: %zu bytes of bitmap for %llu pages (needs %llu)",
			bitmap_bytes, (unsigned long long)pages,
			(unsigned long long)need);
		ret = -EINVAL;
	}
	if (!ret && max && need > max) {
		vfd_err(space->ctx,
			"dirty read: %llu bytes of bitmap for 0x%llx bytes is more than Type1 reads at once (%llu): read it in parts",
			(unsigned long long)need, (unsigned long long)len,
			(unsigned long long)max);
		ret = -EINVAL;
	}
	if (!ret) {
		/* the kernels OR bits in, or skip holes: start from zero */
		memset(bitmap, 0, need);
		ret = space->ops->dirty->read(space, iova, len, pgsize, bitmap,
					      need);
	}
	pthread_mutex_unlock(&space->lock);
	return ret;
}
