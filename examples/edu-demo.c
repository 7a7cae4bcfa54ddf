// SPDX-License-Identifier: MIT
/*
 * The demo: open QEMU's edu device by PCI address and show what the
 * library did (node, major:minor check, backend and why), then a DMA round
 * trip through the IOMMU and the device's MSI arriving on an eventfd.
 *
 *   edu-demo 0000:00:03.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "edu.h"

#define LEN 2048

static int fail(const char *what, int err)
{
	printf("  FAILED: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(int argc, char **argv)
{
	struct vfiodev_ctx *ctx;
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct edu edu;
	const char *reason;
	unsigned int maj, min;
	uint64_t iova_src, iova_dst, n;
	uint8_t *src, *dst;
	int efd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <pci-address of an edu device>\n",
			argv[0]);
		return 2;
	}
	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret)
		return fail("context", ret);
	ret = vfiodev_device_open(ctx, argv[1], NULL, &dev);
	if (ret)
		return fail("open", ret);

	reason = vfiodev_device_fallback_reason(dev);
	printf("  opened %s by its PCI address\n", vfiodev_device_bdf(dev));
	printf("  node      %s", vfiodev_device_node(dev));
	if (!vfiodev_device_devnum(dev, &maj, &min))
		printf("  (char %u:%u = what sysfs names, checked with fstat)",
		       maj, min);
	printf("\n  backend   %s\n",
	       vfiodev_backend_name(vfiodev_device_backend(dev)));
	printf("  why       %s\n",
	       reason ? reason : "the vfio cdev and /dev/iommu are available");

	ret = edu_init(&edu, dev);
	if (ret)
		return fail("BAR0 mmap / id check", ret);
	printf("  BAR0      mmapped, id register 0x%08x\n",
	       edu_read32(&edu, EDU_REG_ID));

	src = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		return fail("mmap", errno);
	for (int i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	space = vfiodev_device_space(dev);
	ret = vfiodev_dma_map_any(space, src, 4096, VFIODEV_DMA_READ, NULL,
				  &iova_src);
	if (!ret)
		ret = vfiodev_dma_map_any(space, dst, 4096, VFIODEV_DMA_WRITE,
					  NULL, &iova_dst);
	if (ret)
		return fail("dma map", ret);

	efd = eventfd(0, EFD_CLOEXEC);
	ret = efd < 0 ? -errno :
			vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSI_IRQ, 0, 1,
						 &efd);
	if (ret)
		return fail("MSI eventfd", ret);

	ret = edu_dma(&edu, iova_src, 0, LEN, 0, 0);
	if (!ret)
		ret = edu_dma(&edu, iova_dst, 0, LEN, 1, 1);
	if (ret)
		return fail("DMA", ret);
	n = edu_wait_eventfd(efd, 5000);
	edu_irq_ack(&edu);
	printf("  DMA       %d bytes RAM -> device -> RAM via IOVA 0x%llx and 0x%llx: %s\n",
	       LEN, (unsigned long long)iova_src, (unsigned long long)iova_dst,
	       memcmp(src, dst, LEN) ? "MISMATCH" : "every byte matches");
	printf("  MSI       %s\n", n ? "completion interrupt delivered to the eventfd" :
				       "NO interrupt within 5 s");
	ret = memcmp(src, dst, LEN) || !n;

	close(efd);
	vfiodev_device_close(dev);
	vfiodev_ctx_unref(ctx);
	return ret;
}
