// SPDX-License-Identifier: MIT
/*
 * A region's memory exported as a dma-buf (Linux 6.19+:
 * VFIO_DEVICE_FEATURE_DMA_BUF): the fd another driver, or iommufd's
 * IOMMU_IOAS_MAP_FILE, can take for peer-to-peer DMA into a BAR.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* what the kernel's refusal means, for the log line */
static const char *dma_buf_why(int err)
{
	switch (err) {
	case -ENOTTY:
		return " (this kernel has no VFIO_DEVICE_FEATURE_DMA_BUF: Linux 6.19+ with CONFIG_VFIO_PCI_DMABUF)";
	case -EOPNOTSUPP:
		return " (the device's VFIO driver exports no dma-buf)";
	case -ENODEV:
		return " (not a BAR whose resources vfio-pci claimed)";
	default:
		return "";
	}
}

int vfd_region_dma_buf(struct vfiodev_device *dev, unsigned int index,
		       const struct vfiodev_dma_range *ranges, size_t nr,
		       const char **why)
{
	struct vfio_device_feature *f;
	struct vfio_device_feature_dma_buf *db;
	size_t sz;
	int ret;

	sz = sizeof(*f) + sizeof(*db) + nr * sizeof(db->dma_ranges[0]);
	f = calloc(1, sz);
	if (!f) {
		*why = " (out of memory)";
		return -ENOMEM;
	}
	f->argsz = (uint32_t)sz;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct vfio_device_feature_dma_buf *)f->data;
	db->region_index = index;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = (uint32_t)nr;
	for (size_t i = 0; i < nr; i++) {
		db->dma_ranges[i].offset = ranges[i].offset;
		db->dma_ranges[i].length = ranges[i].length;
	}
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_FEATURE, f);
	free(f);
	*why = ret < 0 ? dma_buf_why(ret) : "";
	return ret;
}

VFIODEV_EXPORT int vfiodev_region_dma_buf(struct vfiodev_device *dev,
					  unsigned int index,
					  const struct vfiodev_dma_range *ranges,
					  size_t nr, int *fd)
{
	struct vfiodev_region_info ri;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	const char *why;
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, fd && ranges && nr && nr <= VFIODEV_DMA_BUF_RANGES_MAX);
	ret = vfiodev_region_get_info(dev, index, &ri);
	if (ret)
		return ret;
	/* the kernel's rules first, each refusal named */
	if (index > VFIODEV_PCI_BAR5_REGION || !ri.size) {
		vfd_err(dev->ctx,
			"%s: dma-buf of region %u: only a present BAR (regions 0-5) can be exported",
			dev->name, index);
		return -EINVAL;
	}
	for (size_t i = 0; i < nr; i++) {
		uint64_t o = ranges[i].offset, l = ranges[i].length;

		if (!l || (o | l) & (pg - 1) || o + l < o || o + l > ri.size) {
			vfd_err(dev->ctx,
				"%s: dma-buf of region %u: range %zu (0x%llx+0x%llx) is empty, not page-aligned or past the region's 0x%llx bytes",
				dev->name, index, i, (unsigned long long)o,
				(unsigned long long)l, (unsigned long long)ri.size);
			return -EINVAL;
		}
	}
	ret = vfd_region_dma_buf(dev, index, ranges, nr, &why);
	if (ret < 0) {
		vfd_err(dev->ctx, "%s: dma-buf of region %u (%zu range%s): %s%s",
			dev->name, index, nr, nr == 1 ? "" : "s",
			strerror(-ret), why);
		return ret == -ENOTTY ? -EOPNOTSUPP : ret;
	}
	vfd_dbg(dev->ctx, "%s: region %u exported as dma-buf fd %d (%zu range%s)",
		dev->name, index, ret, nr, nr == 1 ? "" : "s");
	*fd = ret;
	return 0;
}
