// SPDX-License-Identifier: MIT
/*
 * The device's own logging of its DMA writes
 * (VFIO_DEVICE_FEATURE_DMA_LOGGING_*), the migration's dirty tracking where the
 * IOMMU has none: start over IOVA ranges, read-and-clear reports, stop.
 * Arguments are checked before the kernel is asked, each refusal named.
 */
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static bool pow2_page(uint64_t v)
{
	return v >= 4096 && !(v & (v - 1));
}

static int log_refused(struct vfiodev_device *dev, const char *what, int ret)
{
	if (ret == -ENOTTY) {
		vfd_err(dev->ctx,
			"%s: DMA logging %s: the device's driver has no DMA logging",
			dev->name, what);
		return -EOPNOTSUPP;
	}
	vfd_err(dev->ctx, "%s: DMA logging %s: %s%s", dev->name, what,
		strerror(-ret),
		ret == -E2BIG ? " (the kernel takes fewer ranges: merge them)" : "");
	return ret;
}

static int range_cmp(const void *a, const void *b)
{
	const struct vfiodev_dma_log_range *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

VFIODEV_EXPORT int vfiodev_mig_dma_log_start(struct vfiodev_device *dev,
					     const struct vfiodev_dma_log_range *ranges,
					     size_t nr, uint64_t *page_size)
{
	struct vfio_device_feature_dma_logging_control c = { 0 };
	struct vfio_device_feature_dma_logging_range *kr;
	struct vfiodev_dma_log_range *sorted;
	uint64_t pg;
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, ranges && nr && page_size);
	pg = *page_size;
	if (!pow2_page(pg)) {
		vfd_err(dev->ctx,
			"%s: DMA logging start: page size 0x%llx is not a power of two of at least 4 KiB",
			dev->name, (unsigned long long)pg);
		return -EINVAL;
	}
	for (size_t i = 0; i < nr; i++) {
		uint64_t o = ranges[i].iova, l = ranges[i].length;

		if (!l || (o | l) & (pg - 1) || o + l < o) {
			vfd_err(dev->ctx,
				"%s: DMA logging start: range %zu (0x%llx+0x%llx) is empty, wraps or is not aligned to the page size 0x%llx",
				dev->name, i, (unsigned long long)o,
				(unsigned long long)l, (unsigned long long)pg);
			return -EINVAL;
		}
	}
	/* vfio core's own limit: the ranges' array fits in a page */
	if (nr > (size_t)sysconf(_SC_PAGESIZE) / sizeof(*kr)) {
		vfd_err(dev->ctx,
			"%s: DMA logging start: %zu ranges: the kernel takes at most %zu (a page of them): merge them",
			dev->name, nr, (size_t)sysconf(_SC_PAGESIZE) / sizeof(*kr));
		return -E2BIG;
	}
	sorted = malloc(nr * sizeof(*sorted));
	kr = calloc(nr, sizeof(*kr));
	if (!sorted || !kr) {
		free(sorted);
		free(kr);
		vfd_err(dev->ctx,
			"%s: DMA logging start: out of memory for %zu ranges",
			dev->name, nr);
		return -ENOMEM;
	}
	memcpy(sorted, ranges, nr * sizeof(*sorted));
	qsort(sorted, nr, sizeof(*sorted), range_cmp);
	for (size_t i = 1; i < nr; i++) {
		if (sorted[i].iova < sorted[i - 1].iova + sorted[i - 1].length) {
			vfd_err(dev->ctx,
				"%s: DMA logging start: ranges at 0x%llx and 0x%llx overlap",
				dev->name, (unsigned long long)sorted[i - 1].iova,
				(unsigned long long)sorted[i].iova);
			free(sorted);
			free(kr);
			return -EINVAL;
		}
	}
	free(sorted);
	for (size_t i = 0; i < nr; i++) {
		kr[i].iova = ranges[i].iova;
		kr[i].length = ranges[i].length;
	}
	c.page_size = pg;
	c.num_ranges = (uint32_t)nr;
	c.ranges = (uintptr_t)kr;
	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			      &c, sizeof(c));
	free(kr);
	if (ret < 0)
		return log_refused(dev, "start", ret);
	*page_size = c.page_size;
	vfd_dbg(dev->ctx, "%s: DMA logging of %zu range%s at page size 0x%llx",
		dev->name, nr, nr == 1 ? "" : "s", (unsigned long long)c.page_size);
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_dma_log_stop(struct vfiodev_device *dev)
{
	int ret;

	if (!dev)
		return -EINVAL;
	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
			      NULL, 0);
	return ret < 0 ? log_refused(dev, "stop", ret) : 0;
}

VFIODEV_EXPORT int vfiodev_mig_dma_log_report(struct vfiodev_device *dev,
					      uint64_t iova, uint64_t length,
					      uint64_t page_size, uint64_t *bitmap,
					      size_t bitmap_bytes)
{
	struct vfio_device_feature_dma_logging_report r = { 0 };
	uint64_t pages;
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, bitmap);
	if (!pow2_page(page_size) || !length ||
	    (iova | length) & (page_size - 1) || iova + length < iova) {
		vfd_err(dev->ctx,
			"%s: DMA logging report of 0x%llx+0x%llx at page size 0x%llx: the page size must be a power of two of at least 4 KiB and the range non-empty, aligned to it and not wrapping",
			dev->name, (unsigned long long)iova,
			(unsigned long long)length, (unsigned long long)page_size);
		return -EINVAL;
	}
	pages = length / page_size;
	if (bitmap_bytes / 8 < (pages + 63) / 64) {
		vfd_err(dev->ctx,
			"%s: DMA logging report: %zu bitmap bytes for %llu pages (%llu needed)",
			dev->name, bitmap_bytes, (unsigned long long)pages,
			(unsigned long long)((pages + 63) / 64 * 8));
		return -EINVAL;
	}
	/* the kernel only sets bits */
	memset(bitmap, 0, (size_t)((pages + 63) / 64 * 8));
	r.iova = iova;
	r.length = length;
	r.page_size = page_size;
	r.bitmap = (uintptr_t)bitmap;
	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_GET |
				      VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
			      &r, sizeof(r));
	return ret < 0 ? log_refused(dev, "report", ret) : 0;
}
