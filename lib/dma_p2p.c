// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer DMA: a range of a device's BAR mapped into a space, so that
 * another device can DMA into it. iommufd cannot pin a BAR's VM_PFNMAP
 * pages, so there the range goes in as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF
 * and IOMMU_IOAS_MAP_FILE, Linux 6.19+); Type1 follows an mmap's PFNs, so
 * the container path maps the library's mmap of the range. Either way the
 * record holds that mmap's address (translate answers for it), and an unmap
 * undoes the kernel mapping first, then the mmap, then the dma-buf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define SZ_1G (1ull << 30)

/* the alignment of the range's physical address (a BAR is aligned to its
 * size): the largest power of two that divides @offset and fits in @len,
 * at most 1 GiB */
static uint64_t range_align(uint64_t offset, uint64_t len)
{
	uint64_t a = SZ_1G;

	while (a > 1 && (a > len || offset & (a - 1)))
		a >>= 1;
	return a;
}

static int check_range(struct vfiodev_space *space, struct vfiodev_device *dev,
		       unsigned int index, uint64_t offset, uint64_t len)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	struct vfiodev_region_info ri;
	int ret;

	ret = vfiodev_region_get_info(dev, index, &ri);
	if (ret)
		return ret;
	if (index > VFIODEV_PCI_BAR5_REGION || !ri.size) {
		vfd_err(space->ctx,
			"%s: dma map of region %u: only a present BAR (regions 0-5) can be mapped for peer-to-peer DMA",
			dev->name, index);
		return -EINVAL;
	}
	if (!len || (offset | len) & (pg - 1) || offset + len < offset ||
	    offset + len > ri.size) {
		vfd_err(space->ctx,
			"%s: dma map of region %u: range 0x%llx+0x%llx is empty, not page-aligned or past the BAR's 0x%llx bytes",
			dev->name, index, (unsigned long long)offset,
			(unsigned long long)len, (unsigned long long)ri.size);
		return -EINVAL;
	}
	return 0;
}

/* how the space takes a BAR now: 1 on iommufd (a dma-buf), 0 on the
 * container path (the address; recorded until the container exists), or
 * -errno with *@why set; caller holds the lock */
static int bar_path(const struct vfiodev_space *space, const char **why)
{
	if (space->noiommu) {
		*why = "a noiommu space has no IOMMU to put another device's BAR behind";
		return -EOPNOTSUPP;
	}
	if (space->ops && space->ops->backend == VFIODEV_BACKEND_IOMMUFD &&
	    vfd_space_kernel_live(space))
		return 1;
	if ((space->ops && space->ops->backend == VFIODEV_BACKEND_CONTAINER) ||
	    (!space->ops && space->pinned && space->want == VFIODEV_BACKEND_CONTAINER))
		return 0;
	*why = "the space has no backend yet (iommufd takes a BAR as a dma-buf, the container path by address: join a device first, or make the space with a backend)";
	return -ENXIO;
}

/* the range's CPU view: the library's mmap of it; on iommufd, where the
 * kernel offers no mmap of the range (a sparse BAR's MSI-X page), a
 * PROT_NONE stand-in, as the dma-buf needs no address */
static int cpu_view(struct vfiodev_device *dev, unsigned int index,
		    uint64_t offset, uint64_t len, bool iommufd, void **va)
{
	int ret, err;

	ret = vfd_region_mmap_range(dev, index, offset, len, iommufd, va);
	if (ret != -EOPNOTSUPP)
		return ret;
	*va = sys_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0,
		       &err);
	if (*va == MAP_FAILED) {
		vfd_err(dev->ctx, "%s: reserving 0x%llx bytes for region %u: %s",
			dev->name, (unsigned long long)len, index, strerror(-err));
		return err;
	}
	vfd_dbg(dev->ctx,
		"%s: region %u 0x%llx+0x%llx has no mmap: a reserved address stands for it",
		dev->name, index, (unsigned long long)offset,
		(unsigned long long)len);
	return 0;
}

/* export the range and map the dma-buf at the placed or fixed IOVA; the
 * IOAS keeps its own reference on the buffer, so the fd goes at once */
static int map_as_dma_buf(struct vfiodev_space *space, struct vfiodev_device *dev,
			  unsigned int index, uint64_t offset, uint64_t len,
			  unsigned int flags, uint64_t va, uint64_t iova,
			  const struct vfd_placement *p, uint64_t *out)
{
	struct vfiodev_dma_range r = { .offset = offset, .length = len };
	struct map_src src = { .fd = -1, .dmabuf = true };
	const char *why;
	int ret;

	ret = vfd_region_dma_buf(dev, index, &r, 1, &why);
	if (ret < 0) {
		vfd_err(space->ctx,
			"%s: dma map of region %u at 0x%llx+0x%llx: its export as a dma-buf: %s%s%s",
			dev->name, index, (unsigned long long)offset,
			(unsigned long long)len, strerror(-ret), why,
			ret == -ENOTTY ?
				"; iommufd maps a BAR only as a dma-buf: a space on the container path maps it by address" :
				"");
		return ret == -ENOTTY ? -EOPNOTSUPP : ret;
	}
	src.fd = ret;
	ret = vfd_dma_map_locked(space, va, len, flags, iova, p,
				 MAPF_REGION | MAPF_DMABUF, &src, out);
	sys_close(src.fd);
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_map_region(struct vfiodev_space *space,
					  struct vfiodev_device *dev,
					  unsigned int index, uint64_t offset,
					  size_t len, unsigned int flags,
					  const struct vfiodev_dma_opts *opts,
					  void **vaddr, uint64_t *iova)
{
	struct vfd_placement p;
	const char *why = NULL;
	struct vfd_p2p *e;
	void *va = NULL;
	bool fixed;
	int ret, path;

	if (!space || !dev)
		return -EINVAL;
	check_arg(space->ctx, vaddr && iova);
	if (dev->ctx != space->ctx) {
		vfd_err(space->ctx,
			"%s: dma map of region %u: the device and the space belong to different contexts",
			dev->name, index);
		return -EXDEV;
	}
	ret = vfd_dma_fixed_or_placed(space, &flags, opts, &p, &fixed);
	if (!ret)
		ret = check_range(space, dev, index, offset, len);
	if (ret)
		return ret;
	if (!p.align)
		p.natural = range_align(offset, len);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_lock(&space->lock);
	path = bar_path(space, &why);
	if (path < 0) {
		ret = path;
		vfd_err(space->ctx, "%s: dma map of region %u: %s", dev->name,
			index, why);
		goto unlock;
	}
	ret = cpu_view(dev, index, offset, len, path == 1, &va);
	if (ret)
		goto unlock;
	if (path == 1)
		ret = map_as_dma_buf(space, dev, index, offset, len, flags,
				     (uintptr_t)va, fixed ? *iova : 0,
				     fixed ? NULL : &p, iova);
	else
		ret = vfd_dma_map_locked(space, (uintptr_t)va, len, flags,
					 fixed ? *iova : 0, fixed ? NULL : &p,
					 MAPF_REGION, NULL, iova);
	if (ret) {
		sys_munmap(va, len);
		goto unlock;
	}
	e->va = (uintptr_t)va;
	e->len = len;
	e->space = space;
	e->next = space->p2p;
	space->p2p = e;
	/* the device's close unmaps it */
	pthread_mutex_lock(&space->ctx->lock);
	e->dev = dev;
	e->dev_next = dev->p2p;
	dev->p2p = e;
	pthread_mutex_unlock(&space->ctx->lock);
	pthread_mutex_unlock(&space->lock);
	vfd_dbg(space->ctx, "%s: region %u 0x%llx+0x%zx mapped at IOVA 0x%llx%s",
		dev->name, index, (unsigned long long)offset, len,
		(unsigned long long)*iova, path == 1 ? " as a dma-buf" : "");
	*vaddr = va;
	return 0;
unlock:
	pthread_mutex_unlock(&space->lock);
	free(e);
	return ret;
}

/*
 * vfiodev_dma_map_file() of a dma-buf: only iommufd's MAP_FILE takes one
 * (Linux 6.19+, and today only vfio-pci's single-range buffers; the
 * kernel's answer is passed on). The record's address is the buffer's own
 * mmap where its exporter has one, else a PROT_NONE reservation standing
 * for it (translate and unmap_vaddr answer for that address)
 */
int vfd_dma_map_dmabuf(struct vfiodev_space *space, int fd, uint64_t offset,
		       size_t len, unsigned int flags,
		       const struct vfd_placement *p, uint64_t *iova, void **vaddr)
{
	struct map_src src = { .fd = fd, .offset = offset, .dmabuf = true };
	const char *why;
	void *va;
	int ret, err;

	pthread_mutex_lock(&space->lock);
	ret = bar_path(space, &why);
	if (ret == 0) {
		why = "a dma-buf reaches a space only through iommufd's IOMMU_IOAS_MAP_FILE (Linux 6.19+); the container path maps addresses";
		ret = -EOPNOTSUPP;
	} else if (ret == 1 && !space->nr_devices) {
		/* before 6.19 an IOAS without a device takes any file and
		 * fails only at the attach */
		why = "the space has no device yet: map a dma-buf once one has joined (the kernel checks the buffer only then)";
		ret = -ENXIO;
	}
	if (ret <= 0) {
		pthread_mutex_unlock(&space->lock);
		vfd_err(space->ctx, "dma map file: fd %d is a dma-buf: %s", fd, why);
		return ret;
	}
	va = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      (off_t)offset, &err);
	if (va == MAP_FAILED)
		va = sys_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0, &err);
	if (va == MAP_FAILED) {
		pthread_mutex_unlock(&space->lock);
		vfd_err(space->ctx,
			"dma map file: reserving 0x%zx bytes for dma-buf fd %d: %s",
			len, fd, strerror(-err));
		return err;
	}
	ret = vfd_dma_map_locked(space, (uintptr_t)va, len, flags, p ? 0 : *iova,
				 p, MAPF_FILE | MAPF_DMABUF, &src, iova);
	pthread_mutex_unlock(&space->lock);
	if (ret) {
		sys_munmap(va, len);
		return ret;
	}
	*vaddr = va;
	return 0;
}

void vfd_p2p_device_gone(struct vfiodev_device *dev)
{
	struct vfiodev_space *space;
	bool other, found;
	struct vfd_p2p *e;
	uint64_t va;
	int ret;

	for (;;) {
		pthread_mutex_lock(&dev->ctx->lock);
		e = dev->p2p;
		if (!e) {
			pthread_mutex_unlock(&dev->ctx->lock);
			return;
		}
		va = e->va;
		space = vfd_space_tryget(e->space);
		if (!space) {
			/* its teardown is under way and releases the entry */
			dev->p2p = e->dev_next;
			e->dev = NULL;
		}
		pthread_mutex_unlock(&dev->ctx->lock);
		if (!space)
			continue;
		ret = vfd_dma_unmap_buffer(space, va, false, &other, &found);
		if (ret) {
			/* the kernel kept it: so does the space, without us */
			pthread_mutex_lock(&dev->ctx->lock);
			if (dev->p2p == e) {
				dev->p2p = e->dev_next;
				e->dev = NULL;
			}
			pthread_mutex_unlock(&dev->ctx->lock);
			vfd_warn(dev->ctx,
				 "%s: closing: its BAR mapping at 0x%llx stays in a space (the unmap failed: %s)",
				 dev->name, (unsigned long long)va, strerror(-ret));
		} else {
			vfd_info(dev->ctx,
				 "%s: closing: its BAR mapping at 0x%llx left its space",
				 dev->name, (unsigned long long)va);
		}
		vfiodev_space_unref(space);
	}
}
