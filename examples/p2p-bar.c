// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer DMA: QEMU's edu device writes into another device's BAR.
 * The library maps a range of the peer's BAR into the edu's DMA space
 * (vfiodev_dma_map_region(): a dma-buf on iommufd, the BAR's mmap on the
 * container path) at an IOVA below the edu's 28-bit DMA limit; the edu
 * copies a pattern from RAM into its buffer and from there to that IOVA,
 * and the CPU reads it back through the library's mapping of the BAR.
 *
 *   p2p-bar <edu> <peer> [--bar N] [--offset BYTES] [--len BYTES] [--tag N]
 *   p2p-bar 0000:00:03.0 0000:00:05.0 --bar 2 --offset 0x200000
 *
 * The pattern: byte j is (j * 7 + tag) & 0xff, 2048 bytes at the start of
 * the range. With QEMU's ivshmem-plain as the peer the bytes land in the
 * host's memory-backend-file. Exit status: 0 when the bytes arrived, 1 on
 * a failure, 3 when this kernel and path cannot map a BAR (iommufd before
 * Linux 6.19: run it with VFIODEV_BACKEND=container).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edu.h"

#define LEN 2048

static int fail(const char *what, int err)
{
	fprintf(stderr, "p2p-bar: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s <edu pci-address> <peer pci-address> [--bar N] [--offset BYTES] [--len BYTES] [--tag N]\n",
		argv0);
	return 2;
}

int main(int argc, char **argv)
{
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, limit);
	unsigned int bar = VFIODEV_PCI_BAR0_REGION + 2, tag = 0x5a;
	uint64_t offset = 0, len = 2u << 20, iova, src_iova;
	struct vfiodev_device *edu_dev, *peer;
	struct vfiodev_space *space;
	struct vfiodev_ctx *ctx;
	uint8_t *src, *bar_view;
	struct edu edu;
	int ret, bad = 0;

	if (argc < 3)
		return usage(argv[0]);
	for (int i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage(argv[0]);
		if (!strcmp(argv[i], "--bar"))
			bar = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--offset"))
			offset = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--len"))
			len = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--tag"))
			tag = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else
			return usage(argv[0]);
	}

	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret)
		return fail("context", ret);
	ret = vfiodev_device_open(ctx, argv[1], NULL, &edu_dev);
	if (ret)
		return fail("open the edu", ret);
	ret = vfiodev_device_open(ctx, argv[2], NULL, &peer);
	if (ret)
		return fail("open the peer", ret);
	ret = edu_init(&edu, edu_dev);
	if (ret)
		return fail("edu BAR0", ret);
	space = vfiodev_device_space(edu_dev);
	printf("edu %s and peer %s on the %s backend\n", argv[1], argv[2],
	       vfiodev_backend_name(vfiodev_device_backend(edu_dev)));

	/* the peer's BAR range, where the edu can reach it */
	limit.iova_max = EDU_IOVA_LIMIT - 1;
	ret = vfiodev_dma_map_region(space, peer, bar, offset, len,
				     VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
				     &limit, (void **)&bar_view, &iova);
	if (ret == -EOPNOTSUPP) {
		printf("cannot map a BAR on this path: %s\n", strerror(-ret));
		return 3;
	}
	if (ret)
		return fail("map the peer's BAR", ret);
	printf("BAR%u 0x%llx+0x%llx mapped at IOVA 0x%llx (CPU view %p)\n", bar,
	       (unsigned long long)offset, (unsigned long long)len,
	       (unsigned long long)iova, (void *)bar_view);

	/* RAM -> the edu's buffer -> the peer's BAR */
	ret = vfiodev_dma_alloc(space, 4096, VFIODEV_DMA_READ, &limit,
				(void **)&src, &src_iova);
	if (ret)
		return fail("DMA memory", ret);
	for (int j = 0; j < LEN; j++)
		src[j] = (uint8_t)(j * 7 + tag);
	ret = edu_dma(&edu, src_iova, 0, LEN, 0, 0);
	if (!ret)
		ret = edu_dma(&edu, iova, 0, LEN, 1, 0);
	if (ret)
		return fail("edu DMA", ret);
	for (int j = 0; j < LEN; j++)
		bad += bar_view[j] != (uint8_t)(j * 7 + tag);
	printf("%d bytes DMAed into BAR%u at offset 0x%llx: %s\n", LEN, bar,
	       (unsigned long long)offset,
	       bad ? "MISMATCH (read back through the CPU)" :
		     "every byte arrived (read back through the CPU)");

	vfiodev_dma_free(space, src);
	ret = vfiodev_dma_unmap(space, iova, len);
	if (ret)
		return fail("unmap", ret);
	vfiodev_device_close(peer);
	vfiodev_device_close(edu_dev);
	vfiodev_ctx_unref(ctx);
	return bad ? 1 : 0;
}
