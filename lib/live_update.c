// SPDX-License-Identifier: MIT
/*
 * Live update: a running iommufd space and its devices handed from one
 * process to another without a reset or a re-pin. The old process hands
 * the space over (vfiodev_space_hand_over(): from then on its objects go
 * without undoing the kernel's), passes the /dev/iommu fd, the device fds
 * and a description of the file mappings (the kernel has no call that
 * lists them); the new one adopts the space (vfiodev_space_adopt()) and
 * the devices (vfiodev_device_adopt()), and takes the pinned-page
 * accounting over (vfiodev_space_change_process(), Linux 6.13+).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>

#include "internal.h"

/* the first mapping whose pages are this process's memory (the kernel
 * took them by address), or NULL; caller holds the lock */
static const struct itree_node *address_mapping(struct vfiodev_space *space)
{
	const struct itree_node *n;

	for (n = vfd_itree_ceil(&space->tree, 0); n;
	     n = vfd_itree_next(&space->tree, n))
		if (!(n->vaddr & MAPF_RESERVED) && !(n->vaddr & MAPF_KFILE))
			return n;
	return NULL;
}

/* an iommufd space with its IOAS, whose every mapping the kernel took from
 * a file; else -errno after one line. Caller holds the lock */
static int movable(struct vfiodev_space *space, const char *what)
{
	const struct itree_node *n;

	if (!space->ops || space->ops->backend != VFIODEV_BACKEND_IOMMUFD ||
	    !vfd_space_kernel_live(space)) {
		vfd_err(space->ctx,
			"%s: only an iommufd space with its IOAS can move to another process (a Type1 container's mappings are its process's)",
			what);
		return -EOPNOTSUPP;
	}
	if (space->dirty_on || space->dirty_hwpt) {
		/* the devices sit on the tracking HWPT: an adoption would
		 * move them back to the IOAS under running DMA */
		vfd_err(space->ctx,
			"%s: dirty tracking is on (the devices sit on HWPT %u): stop it first (vfiodev_space_dirty_stop())",
			what, space->dirty_hwpt);
		return -EBUSY;
	}
	n = vfd_itree_ceil(&space->tree, 0);
	for (; n; n = vfd_itree_next(&space->tree, n)) {
		if ((n->vaddr & MAPF_RESERVED) || !(n->vaddr & MAPF_DMABUF))
			continue;
		/* the kernel moves file pages only
		 * (iommufd_ioas_change_process: IOPT_ADDRESS_FILE), and a BAR's
		 * dma-buf has no mmap a new process could describe it by */
		vfd_err(space->ctx,
			"%s: the mapping at IOVA 0x%llx+0x%llx is a dma-buf (%s): unmap it first, and map it again in the new process",
			what, (unsigned long long)n->iova,
			(unsigned long long)n->len,
			n->vaddr & MAPF_REGION ? "a device's BAR" :
						 "another driver's buffer");
		return -EINVAL;
	}
	n = address_mapping(space);
	if (n) {
		vfd_err(space->ctx,
			"%s: the mapping at IOVA 0x%llx+0x%llx was made from an address (%s), so its pages are this process's memory: only vfiodev_dma_map_file() mappings the kernel took from the file (IOMMU_IOAS_MAP_FILE, Linux 6.13+, with a device in the space) can move",
			what, (unsigned long long)n->iova,
			(unsigned long long)n->len,
			n->vaddr & MAPF_ALLOC ?
				"vfiodev_dma_alloc()" :
			n->vaddr & MAPF_FILE ?
				"a file mapped before the space's first device, or on a kernel without MAP_FILE" :
				"vfiodev_dma_map() or a copy");
		return -EINVAL;
	}
	return 0;
}

VFIODEV_EXPORT int vfiodev_space_hand_over(struct vfiodev_space *space)
{
	int ret;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	ret = space->handed_over ? 0 : movable(space, "hand over");
	if (!ret)
		space->handed_over = true;
	pthread_mutex_unlock(&space->lock);
	if (!ret)
		vfd_dbg(space->ctx,
			"space of IOAS %u handed over: its objects go without undoing the kernel's",
			space->ioas_id);
	return ret;
}

VFIODEV_EXPORT int vfiodev_space_change_process(struct vfiodev_space *space)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };
	int ret;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	ret = movable(space, "change process");
	if (!ret) {
		ret = sys_ioctl(space->iommufd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
		if (ret)
			vfd_err(space->ctx, "IOMMU_IOAS_CHANGE_PROCESS: %s%s",
				strerror(-ret),
				ret == -ENOTTY ?
					" (Linux 6.13+ moves pinned-page accounting)" :
				ret == -EINVAL ?
					" (another IOAS of this iommufd holds a mapping made from an address or a dma-buf: the kernel moves all of them or none)" :
				ret == -EBUSY ?
					" (a mapping of this iommufd is being unmapped)" :
					"");
	}
	pthread_mutex_unlock(&space->lock);
	return ret == -ENOTTY ? -EOPNOTSUPP : ret;
}

/* the kernel has a mapping at [@iova, +@len): a one-page map (of the
 * IOAS's page size) at each end must meet it (-EEXIST); one that succeeds
 * is undone at once. Only the ends are probed: a description spanning two
 * mappings with a hole between them passes */
static int probe_mapped(struct vfiodev_space *space, uint64_t iova, uint64_t len)
{
	uint64_t pg = space->iova_align;
	uint64_t at[2] = { iova, iova + len - pg };
	void *scratch;
	int err, ret = 0;

	scratch = sys_mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0, &err);
	if (scratch == MAP_FAILED) {
		vfd_err(space->ctx, "adopt: a page to probe IOAS %u with: %s",
			space->ioas_id, strerror(-err));
		return err;
	}
	for (int i = 0; i < 2 && !ret; i++) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
			.ioas_id = space->ioas_id,
			.user_va = (uintptr_t)scratch,
			.length = pg,
			.iova = at[i],
		};
		struct iommu_ioas_unmap un = {
			.size = sizeof(un),
			.ioas_id = space->ioas_id,
			.iova = at[i],
			.length = pg,
		};

		ret = sys_ioctl(space->iommufd, IOMMU_IOAS_MAP, &map);
		if (ret == -EEXIST) {
			ret = 0;
			continue;
		}
		if (!ret) {
			sys_ioctl(space->iommufd, IOMMU_IOAS_UNMAP, &un);
			ret = -ENOENT;
		}
		vfd_err(space->ctx,
			"adopt: IOAS %u has no mapping at IOVA 0x%llx (the description's 0x%llx+0x%llx)%s%s",
			space->ioas_id, (unsigned long long)at[i],
			(unsigned long long)iova, (unsigned long long)len,
			ret == -ENOENT ? "" : ": ",
			ret == -ENOENT ? "" : strerror(-ret));
	}
	sys_munmap(scratch, pg);
	return ret;
}

/* record one described mapping: the library's mmap of the file range is
 * its address; the kernel is not asked to map (it holds it already) */
static int adopt_mapping(struct vfiodev_space *space,
			 const struct vfiodev_adopt_map *m, unsigned int i)
{
	uint64_t pg = space->iova_align; /* the IOMMU's page, at least the CPU's */
	int prot = PROT_READ, err, ret;
	void *va;

	if (m->fd < 0 || !m->len || (m->offset | m->len | m->iova) & (pg - 1) ||
	    !m->flags || m->flags & ~(VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)) {
		vfd_err(space->ctx,
			"adopt: mapping %u (fd %d, 0x%llx+0x%llx at IOVA 0x%llx, flags 0x%x) is not page-aligned, empty, or has no fd or DMA flags",
			i, m->fd, (unsigned long long)m->offset,
			(unsigned long long)m->len, (unsigned long long)m->iova,
			m->flags);
		return -EINVAL;
	}
	ret = probe_mapped(space, m->iova, m->len);
	if (ret)
		return ret;
	if (m->flags & VFIODEV_DMA_WRITE)
		prot |= PROT_WRITE;
	va = sys_mmap(NULL, m->len, prot, MAP_SHARED, m->fd, (off_t)m->offset, &err);
	if (va == MAP_FAILED) {
		vfd_err(space->ctx,
			"adopt: mmap of mapping %u (fd %d at 0x%llx): %s", i,
			m->fd, (unsigned long long)m->offset, strerror(-err));
		return err;
	}
	ret = vfd_dma_map_locked(space, (uintptr_t)va, m->len, m->flags, m->iova,
				 NULL, MAPF_FILE | MAPF_KFILE, NULL, NULL);
	if (ret)
		sys_munmap(va, m->len);
	return ret;
}

VFIODEV_EXPORT int vfiodev_space_adopt(struct vfiodev_ctx *ctx,
				       const struct vfiodev_space_adopt_opts *opts,
				       struct vfiodev_space **out)
{
	struct vfiodev_space *space;
	int iommufd, ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, out && opts);
	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_space_adopt_opts, nr_maps),
			     "vfiodev_space_adopt_opts");
	if (ret)
		return ret;
	if (!opts->ioas_id || (opts->nr_maps && !opts->maps)) {
		vfd_err(ctx, "adopt: %s",
			!opts->ioas_id ? "IOAS id 0" : "nr_maps without maps");
		return -EINVAL;
	}
	iommufd = vfd_ctx_iommufd(ctx);
	if (iommufd < 0)
		return iommufd;
	ret = vfiodev_space_new(ctx, NULL, &space);
	if (ret)
		return ret;
	pthread_mutex_lock(&space->lock);
	/* until it is whole, a failure must leave the IOAS as it found it */
	space->handed_over = true;
	space->want = VFIODEV_BACKEND_IOMMUFD;
	space->pinned = true;
	space->iommufd = iommufd;
	space->ioas_id = opts->ioas_id;
	space->ops = &vfd_iommufd_backend_ops;
	/* the IOAS's ranges (its devices' reserved regions): proves it */
	ret = vfd_space_refresh_limits(space);
	if (ret)
		vfd_err(ctx, "adopt: IOAS %u of the context's iommufd: %s (the old process's /dev/iommu fd goes to vfiodev_ctx_adopt_iommufd() first)",
			opts->ioas_id, strerror(-ret));
	space->handed_over = false; /* lets the record take the mappings */
	for (size_t i = 0; !ret && i < opts->nr_maps; i++)
		ret = adopt_mapping(space, &opts->maps[i], (unsigned int)i);
	if (ret) {
		space->handed_over = true;
		pthread_mutex_unlock(&space->lock);
		vfiodev_space_unref(space);
		return ret;
	}
	space->synced = true;
	pthread_mutex_unlock(&space->lock);
	vfd_dbg(ctx, "adopted IOAS %u with %zu mappings", opts->ioas_id,
		opts->nr_maps);
	*out = space;
	return 0;
}
