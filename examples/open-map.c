// SPDX-License-Identifier: MIT
/*
 * The smallest useful program: open a device by PCI address, map a buffer
 * for DMA, read BAR0 register 0, and say which backend was taken and why.
 *
 *   cc open-map.c $(pkg-config --cflags --libs libvfiodev) -o open-map
 *   ./open-map 0000:00:03.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <vfiodev.h>

int main(int argc, char **argv)
{
	struct vfiodev_ctx *ctx;
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	const char *reason;
	unsigned int maj, min;
	uint64_t iova;
	uint32_t reg0;
	void *buf;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <pci-address>\n", argv[0]);
		return 2;
	}
	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret) {
		fprintf(stderr, "vfiodev_ctx_new: %s\n", strerror(-ret));
		return 1;
	}
	ret = vfiodev_device_open(ctx, argv[1], NULL, &dev);
	if (ret) {
		fprintf(stderr, "%s: cannot open: %s\n", argv[1], strerror(-ret));
		vfiodev_ctx_unref(ctx);
		return 1;
	}
	reason = vfiodev_device_fallback_reason(dev);
	printf("device:  %s\n", vfiodev_device_bdf(dev));
	printf("node:    %s", vfiodev_device_node(dev));
	if (!vfiodev_device_devnum(dev, &maj, &min))
		printf(" (%u:%u, verified with fstat)", maj, min);
	printf("\nbackend: %s%s%s\n",
	       vfiodev_backend_name(vfiodev_device_backend(dev)),
	       reason ? " - fell back because: " : "", reason ? reason : "");

	/* one page the device may read and write, at an IOVA the library picks */
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	space = vfiodev_device_space(dev);
	ret = buf == MAP_FAILED ?
		      -1 :
		      vfiodev_dma_map_any(space, buf, 4096,
					  VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					  NULL, &iova);
	if (ret)
		fprintf(stderr, "dma map: %s\n",
			ret < 0 ? strerror(-ret) : "mmap failed");
	else
		printf("dma:     %p mapped at IOVA 0x%llx\n", buf,
		       (unsigned long long)iova);

	ret = vfiodev_region_read(dev, VFIODEV_PCI_BAR0_REGION, 0, &reg0,
				  sizeof(reg0));
	if (ret)
		fprintf(stderr, "BAR0 read: %s\n", strerror(-ret));
	else
		printf("BAR0[0]: 0x%08x\n", reg0);

	vfiodev_device_close(dev); /* unmaps: the private space goes with it */
	vfiodev_ctx_unref(ctx);
	if (buf != MAP_FAILED)
		munmap(buf, 4096);
	return ret ? 1 : 0;
}
