// SPDX-License-Identifier: MIT
/*
 * Live update of a running "VMM": process A opens QEMU's edu device, maps
 * guest RAM from a memfd (vfiodev_dma_map_file: IOMMU_IOAS_MAP_FILE) and
 * lets the device DMA; then it hands the space over and execs its own
 * binary, B, giving it the /dev/iommu fd, the device fd and the memfd.
 * B adopts the IOAS and the device (no bind, no reset, nothing mapped or
 * pinned again), takes the pinned-page accounting over
 * (IOMMU_IOAS_CHANGE_PROCESS, Linux 6.13+) and the device DMAs into the
 * same memory again.
 *
 *   live-update <edu pci-address>
 *
 * Exit status: 0 when B's DMA and checks passed; 77 when this kernel or
 * path cannot do it (the container path, or a kernel without
 * CHANGE_PROCESS, Linux 6.13+, which also has MAP_FILE); 1 on a failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "edu.h"

#define RAM (64u << 10)
#define RAM_IOVA 0x100000ull
#define MARK 0x12345000ull /* a register value A sets and B reads back */

static int fail(const char *what, int err)
{
	fprintf(stderr, "live-update: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	return 1;
}

/* the kernel's count of the pages pinned for this process's memory map
 * (VmPin), in KiB */
static long vm_pin_kib(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* the CPU writes a page of guest RAM, the edu copies it to the next page
 * through the IOMMU; 0 when every byte arrived */
static int dma_round(struct edu *e, uint8_t *ram, unsigned int page, int tag)
{
	uint8_t *src = ram + page * 4096u, *dst = src + 4096;
	uint64_t iova = RAM_IOVA + page * 4096u;
	int ret;

	for (int j = 0; j < 2048; j++)
		src[j] = (uint8_t)(j * 7 + tag);
	memset(dst, 0, 2048);
	ret = edu_dma(e, iova, 0, 2048, 0, 0);
	if (!ret)
		ret = edu_dma(e, iova + 4096, 0, 2048, 1, 0);
	if (ret)
		return ret;
	return memcmp(src, dst, 2048) ? -EIO : 0;
}

/* the kernel accounts no pins of a process with CAP_IPC_LOCK (iommufd's
 * IOPT_PAGES_ACCOUNT_NONE), so there would be nothing to move: A drops it
 * from its effective set, as a VMM that runs without it would be */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* a duplicate without close-on-exec */
static int keep_open_across_exec(int fd)
{
	return fcntl(fd, F_DUPFD, 3);
}

static int process_a(const char *self, const char *bdf)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct vfiodev_ctx *ctx;
	uint32_t ioas, devid;
	uint64_t iova = RAM_IOVA;
	char args[8][32];
	struct edu e;
	uint8_t *ram;
	int ret, memfd, ifd, dfd;

	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret)
		return fail("context", ret);
	ret = vfiodev_device_open(ctx, bdf, NULL, &dev);
	if (ret)
		return fail("open", ret);
	space = vfiodev_device_space(dev);
	if (vfiodev_device_backend(dev) != VFIODEV_BACKEND_IOMMUFD) {
		printf("A: the device is on the container path (%s): live update needs iommufd\n",
		       vfiodev_device_fallback_reason(dev) ?
			       vfiodev_device_fallback_reason(dev) :
			       "as asked");
		return 77;
	}
	/* asks the kernel with nothing mapped yet: Linux 6.13+ has it */
	ret = vfiodev_space_change_process(space);
	if (ret == -EOPNOTSUPP) {
		printf("A: this kernel has no IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13+)\n");
		return 77;
	}
	if (ret)
		return fail("change process probe", ret);
	ret = edu_init(&e, dev);
	if (ret)
		return fail("edu BAR0", ret);

	ret = drop_ipc_lock();
	if (ret)
		return fail("drop CAP_IPC_LOCK", ret);
	/* guest RAM: a memfd the kernel pins from the file */
	memfd = memfd_create("guest-ram", 0);
	if (memfd < 0 || ftruncate(memfd, RAM))
		return fail("memfd", errno);
	ret = vfiodev_dma_map_file(space, memfd, 0, RAM,
				   VFIODEV_DMA_READ | VFIODEV_DMA_WRITE |
					   VFIODEV_DMA_FIXED_IOVA,
				   NULL, (void **)&ram, &iova);
	if (ret)
		return fail("map guest RAM", ret);
	ret = dma_round(&e, ram, 0, 0x21);
	if (ret)
		return fail("A's DMA", ret);
	edu_write64(&e, EDU_REG_DMA_SRC, MARK);
	printf("A: edu DMAed through IOVA 0x%llx; VmPin %ld kB\n",
	       (unsigned long long)iova, vm_pin_kib());

	/* what B needs, open across the exec (the library's fds are
	 * close-on-exec), then A's objects go without undoing the kernel's */
	ifd = keep_open_across_exec(vfiodev_space_iommufd(space, &ioas));
	dfd = keep_open_across_exec(vfiodev_device_fd(dev));
	if (ifd < 0 || dfd < 0)
		return fail("dup", errno);
	ret = vfiodev_device_iommufd_id(dev, &devid);
	if (!ret)
		ret = vfiodev_space_hand_over(space);
	if (ret)
		return fail("hand over", ret);
	vfiodev_device_close(dev);
	vfiodev_ctx_unref(ctx);

	fflush(stdout);
	snprintf(args[0], sizeof(args[0]), "%d", ifd);
	snprintf(args[1], sizeof(args[1]), "%d", dfd);
	snprintf(args[2], sizeof(args[2]), "%d", memfd);
	snprintf(args[3], sizeof(args[3]), "%u", ioas);
	snprintf(args[4], sizeof(args[4]), "%u", devid);
	execl(self, "live-update", "--resume", bdf, args[0], args[1], args[2],
	      args[3], args[4], (char *)NULL);
	return fail("exec", errno);
}

static int process_b(char **argv)
{
	VFIODEV_OPTS_INIT(vfiodev_space_adopt_opts, ao);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, dopt);
	struct vfiodev_adopt_map m = {
		.flags = VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
		.len = RAM,
		.iova = RAM_IOVA,
	};
	const char *bdf = argv[0];
	int ifd = atoi(argv[1]), dfd = atoi(argv[2]), ret;
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct vfiodev_ctx *ctx;
	long pin0, pin1;
	uint64_t mark;
	struct edu e;
	uint8_t *ram;
	size_t len;

	m.fd = atoi(argv[3]);
	ao.ioas_id = (uint32_t)strtoul(argv[4], NULL, 0);
	ao.maps = &m;
	ao.nr_maps = 1;
	ret = vfiodev_ctx_new(NULL, &ctx);
	if (!ret)
		ret = vfiodev_ctx_adopt_iommufd(ctx, ifd);
	if (ret)
		return fail("B: adopt the iommufd", ret);
	close(ifd);
	ret = vfiodev_space_adopt(ctx, &ao, &space);
	if (ret)
		return fail("B: adopt the IOAS", ret);
	dopt.space = space;
	ret = vfiodev_device_adopt(ctx, dfd, bdf,
				   (uint32_t)strtoul(argv[5], NULL, 0), &dopt,
				   &dev);
	if (ret)
		return fail("B: adopt the device", ret);
	ret = edu_init(&e, dev);
	if (ret)
		return fail("B: edu BAR0", ret);
	mark = edu_read64(&e, EDU_REG_DMA_SRC);
	pin0 = vm_pin_kib();
	ret = vfiodev_space_change_process(space);
	if (ret)
		return fail("B: change process", ret);
	pin1 = vm_pin_kib();
	printf("B: adopted IOAS %u and the device; the register A set reads 0x%llx; VmPin %ld kB before CHANGE_PROCESS, %ld kB after\n",
	       ao.ioas_id, (unsigned long long)mark, pin0, pin1);
	/* the same guest RAM, through B's own view of the memfd */
	ret = vfiodev_dma_iova_to_vaddr(space, RAM_IOVA, (void **)&ram, &len);
	if (!ret)
		ret = dma_round(&e, ram, 2, 0x43);
	printf("B: edu DMA into the same memory: %s\n",
	       ret ? strerror(-ret) : "every byte arrived");
	if (!ret && (mark != MARK || pin1 - pin0 != RAM / 1024))
		ret = -EPROTO;
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
	vfiodev_ctx_unref(ctx);
	close(m.fd);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "--resume"))
		return process_b(argv + 2);
	if (argc != 2) {
		fprintf(stderr, "usage: %s <edu pci-address>\n", argv[0]);
		return 2;
	}
	return process_a("/proc/self/exe", argv[1]);
}
