// SPDX-License-Identifier: MIT
/*
 * What a VMM does with passed-through devices, on libvfiodev, written to be
 * read and copied. QEMU's edu devices stand in for the guest's devices.
 *
 *   vmm-passthrough BDF BDF
 *
 * 1. Guest RAM is a memfd, mapped into one address space at its guest
 *    physical address (vfiodev_dma_map_file: the kernel pins it from the
 *    file where it can, IOMMU_IOAS_MAP_FILE, else from the library's
 *    mapping of it).
 * 2. Both devices are plugged into that space and DMA into guest RAM: the
 *    "guest" wrote a page through the file, each device copies it into a
 *    page of its own, the VMM checks through the file.
 * 3. The dirty log (for live migration) is read after the DMA: the pages the
 *    devices wrote must be in it. Where the IOMMU has no dirty tracking the
 *    VMM is told so and would fall back to stopping the guest to migrate.
 * 4. A device reset as a guest's bus reset would ask for it: a hot reset
 *    of the first device's slot or bus, when it has one (it resets every
 *    device the report lists; all must be held here), else its own reset.
 *    Both devices must still DMA afterwards.
 * 5. The second device is unplugged and plugged again: into a new space
 *    that gets guest RAM as a copy of the first space's mapping
 *    (vfiodev_dma_copy: iommufd shares the pinned pages), or back into the
 *    first space when it shares an IOMMU group with the first device (a
 *    group's devices share one space).
 *
 * Exit status 0 when every step that applies worked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>
#include <vfiodev.h>

#include "edu.h"

#define PAGE 4096ull
#define GUEST_RAM (8ull << 20)
#define GPA_BASE (16ull << 20) /* below the edu's 28-bit DMA limit */
#define XFER 2048u

static int guest_ram_fd;

static void guest_write(uint64_t gpa, const void *p, size_t len)
{
	if (pwrite(guest_ram_fd, p, len, (off_t)(gpa - GPA_BASE)) != (ssize_t)len)
		perror("pwrite");
}

static void guest_read(uint64_t gpa, void *p, size_t len)
{
	if (pread(guest_ram_fd, p, len, (off_t)(gpa - GPA_BASE)) != (ssize_t)len)
		perror("pread");
}

/* the device copies XFER bytes from guest page @from to guest page @to */
static int device_copy(const struct edu *e, const char *name, uint64_t from,
		       uint64_t to, uint8_t seed)
{
	uint8_t in[XFER], out[XFER];
	int ret;

	for (unsigned int i = 0; i < XFER; i++)
		in[i] = (uint8_t)(i * 7 + seed);
	memset(out, 0, sizeof(out));
	guest_write(from, in, XFER);
	guest_write(to, out, XFER);
	ret = edu_dma(e, from, 0, XFER, 0, 0);
	if (!ret)
		ret = edu_dma(e, to, 0, XFER, 1, 0);
	if (!ret) {
		guest_read(to, out, XFER);
		if (memcmp(in, out, XFER))
			ret = -EIO;
	}
	printf("vmm: %s copied guest page 0x%llx to 0x%llx: %s\n", name,
	       (unsigned long long)from, (unsigned long long)to,
	       ret ? strerror(-ret) : "ok");
	return ret;
}

static int plug(struct vfiodev_ctx *ctx, const char *bdf,
		struct vfiodev_space *space, struct vfiodev_device **dev,
		struct edu *e)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	int ret;

	opts.space = space;
	ret = vfiodev_device_open(ctx, bdf, &opts, dev);
	if (!ret)
		ret = edu_init(e, *dev);
	printf("vmm: plug %s (%s, IOMMU group %d): %s\n", bdf,
	       ret ? "-" : vfiodev_backend_name(vfiodev_device_backend(*dev)),
	       ret ? -1 : vfiodev_device_iommu_group(*dev),
	       ret ? strerror(-ret) : "ok");
	return ret;
}

/* step 3: which guest pages did devices write since tracking started */
static int dirty_log(struct vfiodev_space *space, bool tracking,
		     const uint64_t *want, size_t nwant)
{
	size_t pages = GUEST_RAM / PAGE, dirty = 0;
	uint64_t *map;
	int ret;

	if (!tracking)
		return 0;
	map = calloc(pages / 64, sizeof(*map));
	if (!map)
		return -ENOMEM;
	ret = vfiodev_space_dirty_read(space, GPA_BASE, GUEST_RAM, PAGE, map,
				       pages / 8);
	for (size_t i = 0; !ret && i < pages; i++)
		dirty += (map[i / 64] >> (i % 64)) & 1;
	for (size_t k = 0; !ret && k < nwant; k++) {
		size_t i = (want[k] - GPA_BASE) / PAGE;

		if (!((map[i / 64] >> (i % 64)) & 1)) {
			printf("vmm: guest page 0x%llx was written by a device but is not in the dirty log\n",
			       (unsigned long long)want[k]);
			ret = -EIO;
		}
	}
	if (!ret)
		printf("vmm: dirty log: %zu of %zu guest pages (the %zu the devices wrote among them)\n",
		       dirty, pages, nwant);
	free(map);
	return ret;
}

/* step 4: a bus reset when the device has one, else its own reset */
static int reset(struct vfiodev_device *dev)
{
	struct vfiodev_reset_peer peers[8];
	size_t n = 8;
	int ret;

	ret = vfiodev_device_hot_reset_info(dev, peers, &n);
	if (ret == -ENODEV) {
		ret = vfiodev_device_reset(dev);
		printf("vmm: %s has no slot or bus reset; its own reset: %s\n",
		       vfiodev_device_bdf(dev), ret ? strerror(-ret) : "ok");
		return ret == -ENOTSUP ? 0 : ret;
	}
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		printf("vmm: a bus reset of %s also resets %s (group %d)%s\n",
		       vfiodev_device_bdf(dev), peers[i].bdf, peers[i].group,
		       peers[i].flags & VFIODEV_RESET_PEER_HELD ?
			       "" :
			       ", not held here");
	ret = vfiodev_device_hot_reset(dev);
	printf("vmm: hot reset: %s\n", ret ? strerror(-ret) : "ok");
	return ret;
}

int main(int argc, char **argv)
{
	struct vfiodev_ctx *ctx;
	struct vfiodev_space *vm, *vm2 = NULL;
	struct vfiodev_device *a = NULL, *b = NULL;
	struct vfiodev_dirty_info di;
	struct edu ea, eb;
	uint64_t gpa = GPA_BASE, written[2];
	bool tracking = false;
	void *ram;
	int ret, fails = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: vmm-passthrough BDF BDF\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vfiodev_ctx_new(NULL, &ctx))
		return 1;
	vfiodev_ctx_set_log_priority(ctx, LOG_INFO);

	/* 1. guest RAM */
	guest_ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (guest_ram_fd < 0 || ftruncate(guest_ram_fd, GUEST_RAM) ||
	    vfiodev_space_new(ctx, NULL, &vm))
		return 1;
	ret = vfiodev_dma_map_file(vm, guest_ram_fd, 0, GUEST_RAM,
				   VFIODEV_DMA_READ | VFIODEV_DMA_WRITE |
					   VFIODEV_DMA_FIXED_IOVA,
				   NULL, &ram, &gpa);
	printf("vmm: guest RAM, %llu MiB of memfd at GPA 0x%llx: %s\n",
	       (unsigned long long)(GUEST_RAM >> 20), (unsigned long long)gpa,
	       ret ? strerror(-ret) : "ok");
	if (ret)
		return 1;

	/* 2. two devices in the VM's space */
	if (plug(ctx, argv[1], vm, &a, &ea) || plug(ctx, argv[2], vm, &b, &eb))
		return 1;

	/* 3. dirty tracking across device DMA */
	ret = vfiodev_space_dirty_info(vm, &di);
	if (!ret)
		ret = vfiodev_space_dirty_start(vm);
	tracking = !ret;
	if (ret)
		printf("vmm: no dirty tracking here (%s): migration would stop the guest\n",
		       strerror(-ret));
	written[0] = GPA_BASE + 17 * PAGE;
	written[1] = GPA_BASE + 18 * PAGE;
	fails += !!device_copy(&ea, argv[1], GPA_BASE + 16 * PAGE, written[0], 1);
	fails += !!device_copy(&eb, argv[2], GPA_BASE + 16 * PAGE, written[1], 2);
	fails += !!dirty_log(vm, tracking, written, 2);
	if (tracking)
		vfiodev_space_dirty_stop(vm);

	/* 4. reset, then both still work without being set up again */
	ret = reset(a);
	fails += !!ret;
	fails += !!device_copy(&ea, argv[1], GPA_BASE + 20 * PAGE,
			       GPA_BASE + 21 * PAGE, 3);
	fails += !!device_copy(&eb, argv[2], GPA_BASE + 20 * PAGE,
			       GPA_BASE + 22 * PAGE, 4);

	/* 5. unplug the second device, plug it again */
	{
		int ga = vfiodev_device_iommu_group(a);
		int gb = vfiodev_device_iommu_group(b);
		struct vfiodev_space *target = vm;

		vfiodev_device_close(b);
		b = NULL;
		printf("vmm: unplugged %s\n", argv[2]);
		if (ga != gb) {
			uint64_t gpa2 = GPA_BASE;

			/* a space of its own, guest RAM shared with the first */
			ret = vfiodev_space_new(ctx, NULL, &vm2);
			if (!ret)
				ret = vfiodev_dma_copy(vm2, vm, GPA_BASE, GUEST_RAM,
						       VFIODEV_DMA_READ |
							       VFIODEV_DMA_WRITE |
							       VFIODEV_DMA_FIXED_IOVA,
						       NULL, &gpa2);
			printf("vmm: a new space for %s with guest RAM copied from the first: %s\n",
			       argv[2], ret ? strerror(-ret) : "ok");
			fails += !!ret;
			target = vm2;
		} else {
			printf("vmm: %s shares IOMMU group %d with %s: it rejoins the first space\n",
			       argv[2], gb, argv[1]);
		}
		if (!ret && !plug(ctx, argv[2], target, &b, &eb))
			fails += !!device_copy(&eb, argv[2], GPA_BASE + 24 * PAGE,
					       GPA_BASE + 25 * PAGE, 5);
		else
			fails++;
	}

	vfiodev_device_close(b);
	vfiodev_device_close(a);
	vfiodev_space_unref(vm2);
	vfiodev_space_unref(vm);
	vfiodev_ctx_unref(ctx);
	close(guest_ram_fd);
	printf("vmm: %s\n", fails ? "FAILED" : "all steps ok");
	return fails ? 1 : 0;
}
