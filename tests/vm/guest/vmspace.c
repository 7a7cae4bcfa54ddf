// SPDX-License-Identifier: MIT
/*
 * In-guest tests of the DMA space on a real kernel, public API only:
 *   vmspace first BDF [BDF]  a space laid out before any device; the
 *                            devices join and DMA through those mappings
 *   vmspace limit BDF        a space limited to the edu's 28-bit DMA mask:
 *                            map_any never goes above it, says ENOSPC when
 *                            full, and the device DMAs at the highest IOVA
 *   vmspace superpage BDF    2 MiB of hugetlb DMA memory gets a 2 MiB-aligned
 *                            IOVA and ONE 2 MiB entry in the VT-d page table
 *                            (read from debugfs), gone after the free
 *   vmspace file BDF         guest RAM in a memfd mapped from the file: the
 *                            device reads and writes the file's pages; on
 *                            iommufd through IOMMU_IOAS_MAP_FILE where the
 *                            kernel has it (an ioctl probe says)
 *   vmspace dirty BDF        dirty tracking: unsupported on QEMU's VT-d via
 *                            iommufd; Type1's bitmap after the edu wrote
 *   vmspace copy BDF BDF     a mapping copied into a second space: the
 *                            second device DMAs through it, and on iommufd
 *                            the pages are pinned once (VmPin)
 * Prints "VMTEST <name> PASS|FAIL ..." lines like vmtest. What a test
 * expects of the kernel it learns from the kernel (debugfs, an ioctl
 * probe), never from the kernel's label.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <vfiodev.h>

#include "guestlib.h"
#include "vmresult.h"

#define PG 4096ull
#define SZ_2M (2ull << 20)
#define LEN GUEST_DMA_LEN

static struct vfiodev_ctx *ctx;

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* a line of @path holds @s (a line is read with its newline) */
static bool file_has(const char *path, const char *s)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, s);
	if (f)
		fclose(f);
	return found;
}

static int t_first(int n, char **bdfs)
{
	struct vfiodev_device *dev[2] = { NULL, NULL };
	struct vfiodev_space *sp;
	uint8_t *src = guest_pages(PG), *dst = guest_pages(PG);
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
			ret = guest_round_trip(&e, is, id, src, dst, NULL, 0);
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
	uint8_t *src = guest_pages(PG), *views[160];
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
	ret = nr ? guest_round_trip(&e, is, highest + SZ_2M - PG, src,
				    views[0] + SZ_2M - PG, NULL, 0) :
		   -ENOSPC;
	result("limit/dma-at-the-highest-iova", !ret, "DMA to IOVA 0x%llx: %s",
	       (unsigned long long)(highest + SZ_2M - PG), strerror(-ret));
	vfiodev_device_close(dev);
	vfiodev_space_unref(sp);
	close(fd);
	return 0;
}

/* HugePages_Free from /proc/meminfo, -1 when unknown */
static long hugepages_free(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * The VT-d second-level table of @bdf's domain, as the kernel's debugfs
 * dumps it: one line per leaf, "0x<iova pfn> |" then the entry of each
 * level from PML5E down, the last being the leaf (PDE for a 2 MiB page,
 * PTE for 4 KiB). Counts the leaves inside [pfn, pfn + npages) and tells
 * the level and value of the leaf at @pfn. -ENOENT: no such file.
 */
struct leaves {
	int count; /* leaves starting inside the span */
	int first_level; /* entries on the line of @pfn: 4 = PDE leaf, 5 = PTE */
	uint64_t first_e; /* the leaf entry at @pfn */
};

static int vtd_leaves(const char *bdf, uint64_t pfn, uint64_t npages,
		      struct leaves *out)
{
	char path[160], line[512];
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/iommu/intel/%s/domain_translation_struct", bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*out = (struct leaves){ 0 };
	while (fgets(line, sizeof(line), f)) {
		unsigned long long p, e[5];
		int n;

		if (sscanf(line, "0x%llx |", &p) != 1)
			continue;
		n = sscanf(strchr(line, '|') + 1, "%llx %llx %llx %llx %llx",
			   &e[0], &e[1], &e[2], &e[3], &e[4]);
		if (p < pfn || p >= pfn + npages || n < 4)
			continue;
		out->count++;
		if (p == pfn) {
			out->first_level = n;
			out->first_e = e[n - 1];
		}
	}
	fclose(f);
	return 0;
}

static int t_superpage(const char *bdf)
{
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *sp;
	struct leaves lv, small, after;
	uint8_t *mem = NULL, *page = guest_pages(PG), *src = guest_pages(PG);
	uint64_t iova = 0, ipage = 0, is = 0;
	long before = hugepages_free(), during;
	int ret, r;
	struct edu e;

	ret = vfiodev_device_open(ctx, bdf, NULL, &dev);
	if (!ret)
		ret = edu_init(&e, dev);
	sp = dev ? vfiodev_device_space(dev) : NULL;
	if (!ret)
		ret = vfiodev_dma_alloc(sp, SZ_2M,
					VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					NULL, (void **)&mem, &iova);
	if (!ret)
		ret = vfiodev_dma_map_any(sp, page, PG, VFIODEV_DMA_READ, NULL,
					  &ipage);
	if (!ret)
		ret = vfiodev_dma_map_any(sp, src, PG, VFIODEV_DMA_READ, NULL, &is);
	if (ret) {
		result("superpage/setup", false, "%s", strerror(-ret));
		return 1;
	}
	during = hugepages_free();
	printf("superpage: 2 MiB at IOVA 0x%llx (hugepages free %ld -> %ld), a 4 KiB page at 0x%llx\n",
	       (unsigned long long)iova, before, during, (unsigned long long)ipage);
	result("superpage/hugetlb-at-2m-aligned-iova",
	       !(iova % SZ_2M) && before > 0 && during == before - 1,
	       "IOVA 0x%llx, hugepages free %ld -> %ld",
	       (unsigned long long)iova, before, during);

	/* the device reaches both ends of the buffer */
	for (int k = 0; k < LEN; k++)
		src[k] = (uint8_t)(k * 5 + 1);
	ret = guest_round_trip(&e, is, iova, src, mem, NULL, 0);
	if (!ret)
		ret = guest_round_trip(&e, is, iova + SZ_2M - PG, src,
				       mem + SZ_2M - PG, NULL, 0);
	result("superpage/edu-dma-both-ends", !ret, "%s", strerror(-ret));

	r = vtd_leaves(bdf, iova / PG, SZ_2M / PG, &lv);
	/* a kernel with the dump (CONFIG_INTEL_IOMMU_DEBUGFS: the directory
	 * exists; the custom kernels) must have the device's file */
	if (r == -ENOENT && !is_dir("/sys/kernel/debug/iommu/intel")) {
		const char *why =
			!file_has("/proc/filesystems", "\tdebugfs\n") ?
				"this kernel has no debugfs (no CONFIG_DEBUG_FS): the IOMMU's entries cannot be read" :
			!file_has("/proc/mounts", " /sys/kernel/debug debugfs ") ?
				NULL :
				"debugfs has no iommu/intel/ on this kernel (no CONFIG_INTEL_IOMMU_DEBUGFS, as in Debian's config): the IOMMU's entries cannot be read";

		if (!why) {
			result("superpage/one-2m-vtd-entry", false,
			       "debugfs is not mounted on /sys/kernel/debug (the scenario mounts it)");
			result("superpage/entry-gone-after-free", false,
			       "debugfs is not mounted on /sys/kernel/debug");
			goto out;
		}
		result_skip("superpage/one-2m-vtd-entry", "%s", why);
		result_skip("superpage/entry-gone-after-free", "%s", why);
		goto out;
	}
	vtd_leaves(bdf, ipage / PG, 1, &small);
	printf("superpage: VT-d leaves in the 2 MiB: %d (entries on the line %d, leaf 0x%llx); the 4 KiB page: %d leaf, %d entries\n",
	       lv.count, lv.first_level, (unsigned long long)lv.first_e,
	       small.count, small.first_level);
	/* 4 entries (PML5E..PDE) with PS (bit 7) in the PDE: a 2 MiB leaf;
	 * the 4 KiB page next to it must show 5 (down to the PTE) */
	result("superpage/one-2m-vtd-entry",
	       !r && lv.count == 1 && lv.first_level == 4 &&
		       (lv.first_e & (1ull << 7)) && small.count == 1 &&
		       small.first_level == 5,
	       "read: %s; %d leaves, level %d, entry 0x%llx; 4 KiB control: %d leaves at level %d",
	       strerror(-r), lv.count, lv.first_level,
	       (unsigned long long)lv.first_e, small.count, small.first_level);
	ret = vfiodev_dma_free(sp, mem);
	mem = NULL;
	r = vtd_leaves(bdf, iova / PG, SZ_2M / PG, &after);
	result("superpage/entry-gone-after-free",
	       !ret && !r && after.count == 0 && hugepages_free() == before,
	       "free: %s; %d leaves left; hugepages free %ld", strerror(-ret),
	       after.count, hugepages_free());
out:
	if (mem)
		vfiodev_dma_free(sp, mem);
	vfiodev_device_close(dev);
	return 0;
}

/* ---- map_file and copy -------------------------------------------------- */

/* the library's lines still reach stderr; note the MAP_FILE fallback */
static struct guest_log map_file_log = {
	.watch = "IOMMU_IOAS_MAP_FILE: not in this kernel"
};

/*
 * IOMMU_IOAS_MAP_FILE (Linux 6.13+) in the running kernel, asked of the
 * kernel itself: iommufd answers a command it lacks with ENOTTY, and one it
 * has, given IOAS 0 (no such object), with another error. 1: it has it,
 * 0: not, -errno: /dev/iommu cannot be opened.
 */
static int kernel_has_map_file(void)
{
	struct iommu_ioas_map_file cmd = { .size = sizeof(cmd), .fd = -1 };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd) < 0 && errno == ENOTTY ? 0 : 1;
	close(fd);
	return ret;
}

static int t_file(const char *bdf)
{
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *sp;
	uint8_t pat[LEN], back[LEN];
	uint64_t iova;
	struct edu e;
	uint8_t *va;
	int fd, ret;

	vfiodev_ctx_set_log_fn(ctx, guest_log_fn, &map_file_log);
	fd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 16 * PG))
		return 1;
	for (int i = 0; i < LEN; i++)
		pat[i] = (uint8_t)(i * 13 + 5);
	/* the "guest" wrote the page through the file, not through us */
	if (pwrite(fd, pat, LEN, 4 * PG) != LEN)
		return 1;
	ret = vfiodev_device_open(ctx, bdf, NULL, &dev);
	if (!ret)
		ret = edu_init(&e, dev);
	sp = dev ? vfiodev_device_space(dev) : NULL;
	if (!ret)
		ret = vfiodev_dma_map_file(sp, fd, 4 * PG, 8 * PG,
					   VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					   NULL, (void **)&va, &iova);
	result("space-file/map-memfd", !ret, "%s", strerror(-ret));
	if (ret) {
		vfiodev_device_close(dev);
		return 1;
	}
	/* device reads file offset 4 pages, writes file offset 6 pages */
	ret = edu_dma(&e, iova, 0, LEN, 0, 0);
	if (!ret)
		ret = edu_dma(&e, iova + 2 * PG, 0, LEN, 1, 0);
	if (!ret && pread(fd, back, LEN, 6 * PG) != LEN)
		ret = -EIO;
	if (!ret && memcmp(back, pat, LEN))
		ret = -EIO;
	result("space-file/dma-through-the-file", !ret,
	       "device read at file offset 0x4000, wrote at 0x6000: %s",
	       strerror(-ret));
	/* with a device in the space, the library maps a file only through
	 * IOMMU_IOAS_MAP_FILE, or, told ENOTTY, logs the fallback line and maps
	 * its mmap: a mapping without that line was made by the ioctl */
	if (vfiodev_device_backend(dev) == VFIODEV_BACKEND_CONTAINER) {
		result_skip("space-file/map-file-ioctl",
			    "the container path maps the library's mmap of the file (VFIO_IOMMU_MAP_DMA has no file form); IOMMU_IOAS_MAP_FILE is unit-tested against the fake kernel");
	} else {
		int has = kernel_has_map_file();

		printf("space-file: the kernel %s IOMMU_IOAS_MAP_FILE (probe); the library %s\n",
		       has > 0	? "has" :
		       has == 0 ? "lacks" :
				  "(probe failed)",
		       map_file_log.seen ? "fell back to its mmap" :
					   "used the ioctl");
		if (has == 0 && map_file_log.seen)
			result_skip("space-file/map-file-ioctl",
				    "this kernel has no IOMMU_IOAS_MAP_FILE (Linux 6.13+; the probe: ENOTTY); the fallback mapped the library's mmap of the file, the path with the ioctl is unit-tested against the fake kernel");
		else
			result("space-file/map-file-ioctl",
			       has > 0 && !map_file_log.seen,
			       "the kernel %s IOMMU_IOAS_MAP_FILE (probe: %s), the library %s",
			       has > 0 ? "has" : "lacks",
			       has < 0 ? strerror(-has) :
			       has     ? "not ENOTTY" :
					 "ENOTTY",
			       map_file_log.seen ? "fell back to mapping its mmap" :
						   "logged no fallback");
	}
	ret = vfiodev_dma_unmap(sp, iova, 8 * PG);
	result("space-file/unmap", !ret, "%s", strerror(-ret));
	vfiodev_device_close(dev);
	close(fd);
	vfiodev_ctx_set_log_fn(ctx, NULL, NULL);
	return 0;
}

/* kB of pinned (VmPin) or locked (VmLck) memory of this process */
static long status_kb(const char *key)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

static int t_copy(char **bdfs)
{
	struct vfiodev_device *a = NULL, *b = NULL;
	struct vfiodev_space *s1, *s2;
	const size_t len = 16 * PG;
	uint8_t *buf = guest_pages(len), *other = guest_pages(len),
		*dst = guest_pages(PG);
	uint64_t src_iova, cp_iova, other_iova, dst_iova;
	long pin0, pin1, pin2, pin3;
	const char *key;
	bool iommufd;
	struct edu e;
	int ret;

	if (!buf || !other || !dst || vfiodev_space_new(ctx, NULL, &s1) ||
	    vfiodev_space_new(ctx, NULL, &s2))
		return 1;
	ret = guest_open(ctx, bdfs[0], s1, VFIODEV_BACKEND_AUTO, false, &a);
	if (!ret)
		ret = guest_open(ctx, bdfs[1], s2, VFIODEV_BACKEND_AUTO, false, &b);
	if (!ret)
		ret = edu_init(&e, b);
	if (ret) {
		result("space-copy/open", false, "%s", strerror(-ret));
		return 1;
	}
	iommufd = vfiodev_device_backend(a) == VFIODEV_BACKEND_IOMMUFD;
	/* iommufd charges mm->pinned_vm (VmPin), Type1 mm->locked_vm (VmLck) */
	key = iommufd ? "VmPin:" : "VmLck:";
	pin0 = status_kb(key);
	ret = vfiodev_dma_map_any(s1, buf, len, VFIODEV_DMA_READ, NULL, &src_iova);
	pin1 = status_kb(key);
	if (!ret)
		ret = vfiodev_dma_copy(s2, s1, src_iova, len, VFIODEV_DMA_READ,
				       NULL, &cp_iova);
	pin2 = status_kb(key);
	if (!ret)
		ret = vfiodev_dma_map_any(s2, other, len, VFIODEV_DMA_READ,
					  NULL, &other_iova);
	pin3 = status_kb(key);
	if (!ret)
		ret = vfiodev_dma_map_any(s2, dst, PG, VFIODEV_DMA_WRITE, NULL,
					  &dst_iova);
	result("space-copy/copy", !ret, "%s", strerror(-ret));
	if (ret)
		goto out;
	printf("space-copy: %s kB: %ld, after map %ld, after copy %ld, after a second buffer %ld (%zu kB each)\n",
	       key, pin0, pin1, pin2, pin3, len / 1024);
	for (int i = 0; i < LEN; i++)
		buf[8 * PG + i] = (uint8_t)(i * 3 + 1);
	memset(dst, 0, PG);
	ret = guest_round_trip(&e, cp_iova + 8 * PG, dst_iova, buf + 8 * PG,
			       dst, NULL, 0);
	result("space-copy/dma-in-second-space", !ret,
	       "the second space's device through the copy: %s", strerror(-ret));
	/* the counter moves for a new buffer, and not for the copy */
	if (iommufd)
		result("space-copy/pinned-once",
		       pin1 - pin0 == (long)(len / 1024) && pin2 == pin1 &&
			       pin3 - pin2 == (long)(len / 1024),
		       "%s %ld -> %ld -> %ld -> %ld kB: expected +%zu, +0, +%zu",
		       key, pin0, pin1, pin2, pin3, len / 1024, len / 1024);
	else
		result_skip("space-copy/pinned-once",
			    "container path: Type1 has no copy between containers, the copy pins the pages again (%s +%ld kB); IOMMU_IOAS_COPY needs iommufd",
			    key, pin2 - pin1);
out:
	vfiodev_device_close(a);
	vfiodev_device_close(b);
	vfiodev_space_unref(s1);
	vfiodev_space_unref(s2);
	return 0;
}

/*
 * Dirty tracking. iommufd on QEMU's VT-d: no hardware dirty bits, so the
 * query and the start say -EOPNOTSUPP. Type1 (forced container): the
 * kernel cannot see device writes and documents that, without a device
 * that pins pages, every page of a mapping reads dirty on every read; the
 * bitmap must show exactly the mapped pages (the page the edu wrote among
 * them), none of the hole between two mappings, and again on a second read.
 */
static int dirty_bits(const uint64_t *map, size_t first, size_t n)
{
	int c = 0;

	for (size_t i = first; i < first + n; i++)
		c += (int)((map[i / 64] >> (i % 64)) & 1);
	return c;
}

static int t_dirty(const char *bdf)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_dirty_info info;
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *sp;
	uint8_t *a = guest_pages(16 * PG), *b = guest_pages(4 * PG),
		*src = guest_pages(PG);
	uint64_t map[1];
	struct edu e;
	int ret, r2;

	ret = vfiodev_device_open(ctx, bdf, NULL, &dev);
	if (ret)
		return 1;
	if (vfiodev_device_backend(dev) == VFIODEV_BACKEND_IOMMUFD) {
		sp = vfiodev_device_space(dev);
		ret = vfiodev_space_dirty_info(sp, &info);
		r2 = vfiodev_space_dirty_start(sp);
		result("dirty/iommufd-says-unsupported",
		       ret == -EOPNOTSUPP && r2 == -EOPNOTSUPP,
		       "info: %s, start: %s (QEMU's VT-d has no dirty bits)",
		       strerror(-ret), strerror(-r2));
	} else {
		result_skip("dirty/iommufd-says-unsupported",
			    "no iommufd on this kernel: the device took the container path");
	}
	vfiodev_device_close(dev);

	o.backend = VFIODEV_BACKEND_CONTAINER;
	ret = vfiodev_device_open(ctx, bdf, &o, &dev);
	sp = ret ? NULL : vfiodev_device_space(dev);
	if (!ret)
		ret = edu_init(&e, dev);
	if (!ret)
		ret = vfiodev_dma_map(sp, a, 16 * PG, VFIODEV_DMA_WRITE, 0x100000);
	if (!ret)
		ret = vfiodev_dma_map(sp, b, 4 * PG, VFIODEV_DMA_WRITE, 0x120000);
	if (!ret)
		ret = vfiodev_dma_map(sp, src, PG, VFIODEV_DMA_READ, 0x200000);
	if (!ret)
		ret = vfiodev_space_dirty_info(sp, &info);
	result("dirty/type1-info", !ret && info.pgsizes & PG,
	       "%s, page sizes 0x%llx", strerror(-ret),
	       ret ? 0ull : (unsigned long long)info.pgsizes);
	if (ret) {
		vfiodev_device_close(dev);
		return 1;
	}
	ret = vfiodev_space_dirty_start(sp);
	result("dirty/type1-start", !ret, "%s", strerror(-ret));
	/* the edu writes page 5 of the first mapping */
	memset(src, 0x5a, LEN);
	ret = edu_dma(&e, 0x200000, 0, LEN, 0, 0);
	if (!ret)
		ret = edu_dma(&e, 0x105000, 0, LEN, 1, 0);
	if (!ret && a[5 * PG] != 0x5a)
		ret = -EIO;
	/* 0x100000-0x123fff: 16 mapped pages, a 16-page hole, 4 mapped */
	if (!ret)
		ret = vfiodev_space_dirty_read(sp, 0x100000, 36 * PG, PG, map,
					       sizeof(map));
	result("dirty/type1-bitmap",
	       !ret && dirty_bits(map, 0, 16) == 16 && dirty_bits(map, 16, 16) == 0 &&
		       dirty_bits(map, 32, 4) == 4 && dirty_bits(map, 5, 1) == 1,
	       "%s: bitmap 0x%llx (want 16 mapped, the hole clear, 4 mapped)",
	       strerror(-ret), ret ? 0ull : (unsigned long long)map[0]);
	printf("dirty: Type1 bitmap after the edu wrote page 5: 0x%llx\n",
	       (unsigned long long)map[0]);
	ret = vfiodev_space_dirty_read(sp, 0x100000, 36 * PG, PG, map, sizeof(map));
	result("dirty/type1-read-again", !ret && dirty_bits(map, 0, 36) == 20,
	       "%s: bitmap 0x%llx (Type1 without pinning devices reports every mapped page on every read)",
	       strerror(-ret), ret ? 0ull : (unsigned long long)map[0]);
	ret = vfiodev_space_dirty_read(sp, 0x100000, 8 * PG, PG, map, sizeof(map));
	result("dirty/type1-refuses-a-split", ret == -EINVAL, "%s", strerror(-ret));
	ret = vfiodev_space_dirty_stop(sp);
	r2 = vfiodev_space_dirty_read(sp, 0x100000, 16 * PG, PG, map, sizeof(map));
	result("dirty/type1-stop", !ret && r2 == -EINVAL, "stop: %s, read: %s",
	       strerror(-ret), strerror(-r2));
	vfiodev_device_close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 3) {
		fprintf(stderr,
			"usage: vmspace first BDF [BDF] | limit BDF | superpage BDF | file BDF | dirty BDF | copy BDF BDF\n");
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
	else if (!strcmp(argv[1], "superpage"))
		ret = t_superpage(argv[2]);
	else if (!strcmp(argv[1], "dirty"))
		ret = t_dirty(argv[2]);
	else if (!strcmp(argv[1], "file"))
		ret = t_file(argv[2]);
	else if (!strcmp(argv[1], "copy") && argc >= 4)
		ret = t_copy(argv + 2);
	else
		ret = 2;
	vfiodev_ctx_unref(ctx);
	return ret || failures ? 1 : 0;
}
