// SPDX-License-Identifier: MIT
/*
 * In-guest tests of the DMA space on a real kernel, public API only:
 *   vmspace first BDF [BDF]  a space laid out before any device; the
 *                            devices join and DMA through those mappings
 *   vmspace limit BDF        a space limited to the edu's 28-bit DMA mask:
 *                            map_any never goes above it, says ENOSPC when
 *                            full, and the device DMAs at the highest IOVA
 * Prints "VMTEST <name> PASS|FAIL ..." lines like vmtest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <vfiodev.h>

#include "edu.h"
#include "vmresult.h"

#define PG 4096ull
#define SZ_2M (2ull << 20)
#define LEN 2048

static struct vfiodev_ctx *ctx;

static void *pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* RAM at @src -> device -> RAM at @dst; 0 when the bytes came back */
static int copy_through(struct edu *e, uint64_t src, uint64_t dst,
			const uint8_t *s, const uint8_t *d)
{
	int ret = edu_dma(e, src, 0, LEN, 0, 0);

	if (!ret)
		ret = edu_dma(e, dst, 0, LEN, 1, 0);
	if (!ret && memcmp(s, d, LEN))
		ret = -EIO;
	return ret;
}

static int t_first(int n, char **bdfs)
{
	struct vfiodev_device *dev[2] = { NULL, NULL };
	struct vfiodev_space *sp;
	uint8_t *src = pages(PG), *dst = pages(PG);
	uint64_t is = 0, id = 0;
	int ret;

	ret = vfiodev_space_new(ctx, NULL, &sp);
	if (!ret)
		ret = vfiodev_dma_map_any(sp, src, PG, VFIODEV_DMA_READ, NULL, &is);
	if (!ret)
		ret = vfiodev_dma_map_any(sp, dst, PG, VFIODEV_DMA_WRITE, NULL, &id);
	result("space-first/map-before-device",
	       !ret && vfiodev_space_ranges_provisional(sp) &&
		       vfiodev_space_backend(sp) == VFIODEV_BACKEND_AUTO,
	       "map: %s", strerror(-ret));
	if (ret)
		return 1;
	for (int i = 0; i < n; i++) {
		VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
		struct edu e;
		char name[64];

		o.space = sp;
		ret = vfiodev_device_open(ctx, bdfs[i], &o, &dev[i]);
		snprintf(name, sizeof(name), "space-first/join-%d", i);
		result(name, !ret && !vfiodev_space_ranges_provisional(sp),
		       "open %s: %s", bdfs[i], strerror(-ret));
		if (ret)
			continue;
		ret = edu_init(&e, dev[i]);
		for (int k = 0; k < LEN; k++)
			src[k] = (uint8_t)(k * 7 + i + 1);
		memset(dst, 0, PG);
		if (!ret)
			ret = copy_through(&e, is, id, src, dst);
		snprintf(name, sizeof(name), "space-first/dma-%d", i);
		result(name, !ret, "%s: DMA through the earlier mappings: %s",
		       bdfs[i], strerror(-ret));
	}
	for (int i = 0; i < n; i++)
		vfiodev_device_close(dev[i]);
	vfiodev_space_unref(sp);
	return 0;
}

static int t_limit(const char *bdf)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *sp;
	uint8_t *src = pages(PG), *views[160];
	uint64_t is = 0, iova, highest = 0, max = VFIODEV_DMA_BIT_MASK(28);
	int fd, ret, nr = 0, last = 0;
	bool above = false;
	struct edu e;

	so.iova_max = max;
	ret = vfiodev_space_new(ctx, &so, &sp);
	o.space = sp;
	if (!ret)
		ret = vfiodev_device_open(ctx, bdf, &o, &dev);
	if (!ret)
		ret = edu_init(&e, dev);
	if (!ret)
		ret = vfiodev_dma_map_any(sp, src, PG, VFIODEV_DMA_READ, NULL, &is);
	if (ret) {
		result("limit/setup", false, "%s", strerror(-ret));
		return 1;
	}
	/* 2 MiB of memory seen through many addresses: 256 MiB of IOVA
	 * without 256 MiB of RAM */
	fd = memfd_create("vmspace", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, SZ_2M)) {
		result("limit/setup", false, "memfd: %s", strerror(errno));
		return 1;
	}
	for (nr = 0; nr < 160; nr++) {
		/* a 2 MiB-aligned view, so the IOVA is 2 MiB-aligned too */
		uint8_t *raw = mmap(NULL, 2 * SZ_2M, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint8_t *v =
			(uint8_t *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));

		v = mmap(v, SZ_2M, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
		views[nr] = v;
		last = vfiodev_dma_map_any(sp, v, SZ_2M,
					   VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					   NULL, &iova);
		if (last)
			break;
		if (iova + SZ_2M - 1 > max)
			above = true;
		if (iova > highest)
			highest = iova;
	}
	printf("limit: %d 2 MiB mappings under 2^28, highest IOVA 0x%llx, then %s\n",
	       nr, (unsigned long long)highest, strerror(-last));
	result("limit/never-above", !above && nr >= 120,
	       "%d mappings, one above 0x%llx: %d", nr, (unsigned long long)max,
	       above);
	result("limit/enospc-when-full", last == -ENOSPC,
	       "the call past the end: %s", strerror(-last));
	/* the device writes the last page under its mask */
	for (int k = 0; k < LEN; k++)
		src[k] = (uint8_t)(k * 3 + 5);
	ret = nr ? copy_through(&e, is, highest + SZ_2M - PG, src,
				views[0] + SZ_2M - PG) :
		   -ENOSPC;
	result("limit/dma-at-the-highest-iova", !ret, "DMA to IOVA 0x%llx: %s",
	       (unsigned long long)(highest + SZ_2M - PG), strerror(-ret));
	vfiodev_device_close(dev);
	vfiodev_space_unref(sp);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: vmspace first BDF [BDF] | limit BDF\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret)
		return 1;
	vfiodev_ctx_set_log_priority(ctx, LOG_INFO);
	if (!strcmp(argv[1], "first"))
		ret = t_first(argc - 2 > 2 ? 2 : argc - 2, argv + 2);
	else if (!strcmp(argv[1], "limit"))
		ret = t_limit(argv[2]);
	else
		ret = 2;
	vfiodev_ctx_unref(ctx);
	return ret || failures ? 1 : 0;
}
