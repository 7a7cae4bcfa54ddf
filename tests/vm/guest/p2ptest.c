// SPDX-License-Identifier: MIT
/*
 * In-guest tests of peer-to-peer DMA into a BAR (topology ivshmem: an edu
 * and QEMU's ivshmem-plain, whose BAR2 is a host file), public API only:
 *
 *   p2ptest revoke <edu> <peer>   a dma-buf mapping revoked by a
 *                                 memory-decode toggle of the peer, reported
 *                                 as the docs say, remapped, torn down
 *   p2ptest faults <peer>         BAR2's mmap aligned to min(size, 1 GiB);
 *                                 page faults touching it, against an
 *                                 unaligned mmap of the same BAR
 *   p2ptest probe <peer>          "dmabuf" when the kernel's probe of
 *                                 VFIO_DEVICE_FEATURE_DMA_BUF says yes
 *
 * Each DMA the host should find in the backing file is announced as
 * "VMSHM <name> <offset> <len> <tag|zero>" (pattern: byte j is
 * (j * 7 + tag) & 0xff), which run.sh checks after the guest exited.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "edu.h"
#include "vmresult.h"

#define BAR 2u
#define LEN 2048u
#define RANGE (2ull << 20)
#define OFF (4ull << 20) /* where revoke works in the BAR */
#define SZ_2M (2ull << 20)

static void shm_expect(const char *name, uint64_t off, unsigned int len, int tag)
{
	if (tag < 0)
		printf("VMSHM %s 0x%llx %u zero\n", name,
		       (unsigned long long)off, len);
	else
		printf("VMSHM %s 0x%llx %u 0x%x\n", name,
		       (unsigned long long)off, len, tag);
	fflush(stdout);
}

/* RAM (a pattern) -> the edu's buffer -> @iova; the bytes that differ
 * from @tag's pattern (@tag < 0: from zero) in the CPU's view @view */
static int dma_into(struct edu *e, struct vfiodev_space *s, uint64_t iova,
		    volatile uint8_t *view, int wtag, int want, int *bad)
{
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, lim);
	uint64_t src_iova;
	uint8_t *src;
	int ret;

	lim.iova_max = EDU_IOVA_LIMIT - 1;
	ret = vfiodev_dma_alloc(s, 4096, VFIODEV_DMA_READ, &lim, (void **)&src,
				&src_iova);
	if (ret)
		return ret;
	for (unsigned int j = 0; j < LEN; j++)
		src[j] = (uint8_t)(j * 7 + (unsigned int)wtag);
	ret = edu_dma(e, src_iova, 0, LEN, 0, 0);
	if (!ret)
		ret = edu_dma(e, iova, 0, LEN, 1, 0);
	vfiodev_dma_free(s, src);
	*bad = 0;
	for (unsigned int j = 0; j < LEN; j++)
		*bad += view[j] !=
			(want < 0 ? 0 : (uint8_t)(j * 7 + (unsigned int)want));
	return ret;
}

static int count_fds(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* mappings of VFIO device files (a BAR mmap holds its device) */
static int count_vfio_maps(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "vfio") != NULL;
	fclose(f);
	return n;
}

static int test_revoke(const char *edu_bdf, const char *peer_bdf)
{
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, lim);
	struct vfiodev_device *edu_dev = NULL, *peer = NULL;
	int fds0 = count_fds(), maps0 = count_vfio_maps(), bad, ret, probe;
	struct vfiodev_space *s;
	struct vfiodev_ctx *ctx;
	uint64_t iova, iova2;
	uint8_t *view, *view2;
	uint32_t cmd;
	struct edu e;

	if (vfiodev_ctx_new(NULL, &ctx) ||
	    vfiodev_device_open(ctx, edu_bdf, NULL, &edu_dev) ||
	    vfiodev_device_open(ctx, peer_bdf, NULL, &peer) ||
	    edu_init(&e, edu_dev)) {
		result("p2p/revoke-open", false, "cannot open %s and %s",
		       edu_bdf, peer_bdf);
		return 1;
	}
	s = vfiodev_device_space(edu_dev);
	lim.iova_max = EDU_IOVA_LIMIT - 1;
	ret = vfiodev_dma_map_region(s, peer, BAR, OFF, RANGE,
				     VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, &lim,
				     (void **)&view, &iova);
	/* the kernel's own answer: it exports VFIO dma-bufs (6.19+) */
	probe = vfiodev_device_feature(peer,
				       VFIODEV_FEATURE_PROBE | VFIODEV_FEATURE_GET,
				       11 /* VFIO_DEVICE_FEATURE_DMA_BUF */,
				       NULL, 0);
	if (ret == -EOPNOTSUPP && !probe &&
	    vfiodev_device_backend(edu_dev) == VFIODEV_BACKEND_IOMMUFD) {
		result("p2p/revoke-before", false,
		       "the kernel exports VFIO dma-bufs and the space is iommufd, yet the BAR map said EOPNOTSUPP");
		goto out;
	}
	if (ret == -EOPNOTSUPP ||
	    (!ret && vfiodev_device_backend(edu_dev) != VFIODEV_BACKEND_IOMMUFD)) {
		const char *why =
			ret ? "iommufd on this kernel cannot take a BAR (no VFIO dma-buf export: Linux 6.19+)" :
			      "the container path maps the BAR by address (Type1 follows its PFNs): no dma-buf to revoke";

		if (!ret)
			vfiodev_dma_unmap(s, iova, RANGE);
		result_skip("p2p/revoke-before", "%s", why);
		result_skip("p2p/revoke-after", "%s", why);
		result_skip("p2p/revoke-remap", "%s", why);
		result_skip("p2p/revoke-teardown", "%s", why);
		goto out;
	}
	if (ret) {
		result("p2p/revoke-before", false, "map of BAR%u: %s", BAR,
		       strerror(-ret));
		goto out;
	}
	ret = dma_into(&e, s, iova, view, 0x11, 0x11, &bad);
	/* the page the revoked DMA will aim at: written now, so that what
	 * the host finds there later shows the second DMA did not land */
	if (!ret && !bad)
		ret = dma_into(&e, s, iova + 4096, view + 4096, 0x44, 0x44, &bad);
	result("p2p/revoke-before", !ret && !bad,
	       "DMA through the dma-buf mapping at IOVA 0x%llx: %s, %d bytes differ",
	       (unsigned long long)iova, strerror(-ret), bad);
	shm_expect("revoke-before", OFF, LEN, 0x11);

	/* memory decoding off and on: vfio-pci revokes the dma-buf, and
	 * iommufd drops its IOMMU entries for good */
	ret = vfiodev_pci_config_read(peer, 4, 2, &cmd);
	if (!ret)
		ret = vfiodev_pci_config_write(peer, 4, 2, cmd & ~2u);
	if (!ret)
		ret = vfiodev_pci_config_write(peer, 4, 2, cmd);
	if (!ret)
		ret = dma_into(&e, s, iova + 4096, view + 4096, 0x22, 0x44, &bad);
	result("p2p/revoke-after", !ret && !bad,
	       "after the revoke the DMA to IOVA 0x%llx changed the BAR (%d of %u bytes), or %s",
	       (unsigned long long)iova + 4096, bad, LEN, strerror(-ret));
	shm_expect("revoke-after", OFF + 4096, LEN, 0x44);

	/* the record kept it: unmapped as usual, then mapped again */
	ret = vfiodev_dma_unmap(s, iova, RANGE);
	if (!ret)
		ret = vfiodev_dma_map_region(s, peer, BAR, OFF, RANGE,
					     VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					     &lim, (void **)&view2, &iova2);
	if (!ret) {
		ret = dma_into(&e, s, iova2 + 8192, view2 + 8192, 0x33, 0x33, &bad);
		result("p2p/revoke-remap", !ret && !bad,
		       "the new mapping at IOVA 0x%llx: %s, %d bytes differ",
		       (unsigned long long)iova2, strerror(-ret), bad);
		shm_expect("revoke-remap", OFF + 8192, LEN, 0x33);
		ret = vfiodev_dma_unmap(s, iova2, RANGE);
	} else {
		result("p2p/revoke-remap", false, "unmap or map again: %s",
		       strerror(-ret));
	}
	vfiodev_device_close(peer);
	vfiodev_device_close(edu_dev);
	vfiodev_ctx_unref(ctx);
	result("p2p/revoke-teardown",
	       !ret && count_fds() == fds0 && count_vfio_maps() == maps0,
	       "unmap %s; fds %d -> %d, VFIO mappings %d -> %d", strerror(-ret),
	       fds0, count_fds(), maps0, count_vfio_maps());
	return failures ? 1 : 0;
out:
	vfiodev_device_close(peer);
	vfiodev_device_close(edu_dev);
	vfiodev_ctx_unref(ctx);
	return failures ? 1 : 0;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static long touch(volatile const uint8_t *p, uint64_t size)
{
	long before = minflt();
	unsigned int sum = 0;

	for (uint64_t o = 0; o < size; o += 4096)
		sum += p[o];
	(void)sum;
	return minflt() - before;
}

/* the kernel shows vfio-pci's huge_fault (6.12+, with THP): in its
 * symbols where it has /proc/kallsyms, else from THP and the release */
static int have_huge_fault(char *why, size_t len)
{
	bool thp = !access("/sys/kernel/mm/transparent_hugepage", F_OK);
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned int major = 0, minor = 0;
	struct utsname u;
	char line[256];
	int found = 0;

	if (f) {
		while (!found && fgets(line, sizeof(line), f))
			found = strstr(line, " vfio_pci_mmap_huge_fault") != NULL;
		fclose(f);
		if (!found)
			snprintf(why, len,
				 "this kernel's vfio-pci has no huge_fault (vfio_pci_mmap_huge_fault is not in /proc/kallsyms: Linux 6.12+ with THP has it)");
		return found;
	}
	if (!thp) {
		snprintf(why, len,
			 "no THP in this kernel (/sys/kernel/mm/transparent_hugepage): vfio-pci's huge_fault needs CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP, which needs TRANSPARENT_HUGEPAGE");
		return 0;
	}
	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    major * 1000 + minor < 6012) {
		snprintf(why, len, "Linux %s: vfio-pci has huge_fault from 6.12",
			 u.release);
		return 0;
	}
	return 1;
}

static int test_faults(const char *peer_bdf)
{
	struct vfiodev_region_info ri;
	struct vfiodev_device *peer;
	struct vfiodev_ctx *ctx;
	uint64_t align = 4096;
	long aligned, unaligned;
	char why[200] = "";
	uint8_t *p, *raw, *q;
	int huge;

	if (vfiodev_ctx_new(NULL, &ctx) ||
	    vfiodev_device_open(ctx, peer_bdf, NULL, &peer) ||
	    vfiodev_region_get_info(peer, BAR, &ri) ||
	    vfiodev_region_mmap(peer, BAR, (void **)&p)) {
		result("p2p/mmap-aligned", false,
		       "cannot open and mmap BAR%u of %s", BAR, peer_bdf);
		result_skip("p2p/huge-faults", "no mmap");
		return 1;
	}
	while (align < ri.size && align < (1ull << 30))
		align <<= 1;
	result("p2p/mmap-aligned",
	       !((uintptr_t)p & (align - 1)) && ri.mmap_align_shift &&
		       (1ull << ri.mmap_align_shift) == align,
	       "BAR%u (0x%llx bytes) mmapped at %p, not aligned to 0x%llx (info says shift %u)",
	       BAR, (unsigned long long)ri.size, (void *)p,
	       (unsigned long long)align, ri.mmap_align_shift);
	aligned = touch(p, ri.size);
	vfiodev_region_munmap(peer, BAR);
	/* the same BAR one page off a 2 MiB boundary */
	raw = mmap(NULL, ri.size + 2 * SZ_2M, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q = raw == MAP_FAILED ?
		    MAP_FAILED :
		    mmap((void *)((((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1)) + 4096),
			 ri.size, PROT_READ, MAP_SHARED | MAP_FIXED,
			 vfiodev_device_fd(peer), (off_t)ri.offset);
	unaligned = q == MAP_FAILED ? -1 : touch(q, ri.size);
	if (raw != MAP_FAILED)
		munmap(raw, ri.size + 2 * SZ_2M);
	printf("p2p: BAR%u 0x%llx bytes: %ld minor faults aligned, %ld one page off\n",
	       BAR, (unsigned long long)ri.size, aligned, unaligned);
	huge = have_huge_fault(why, sizeof(why));
	if (huge)
		result("p2p/huge-faults",
		       aligned <= (long)(ri.size / SZ_2M) + 8 &&
			       unaligned >= (long)(ri.size / 4096 / 2),
		       "aligned %ld faults (at most %llu + 8 expected: one per 2 MiB), one page off %ld",
		       aligned, (unsigned long long)(ri.size / SZ_2M), unaligned);
	else
		result_skip("p2p/huge-faults",
			    "%s (measured %ld faults aligned, %ld unaligned)",
			    why, aligned, unaligned);
	vfiodev_device_close(peer);
	vfiodev_ctx_unref(ctx);
	return failures ? 1 : 0;
}

/* "dmabuf" when the kernel's probe says the device exports dma-bufs */
static int test_probe(const char *peer_bdf)
{
	struct vfiodev_device *peer;
	struct vfiodev_ctx *ctx;
	int probe;

	if (vfiodev_ctx_new(NULL, &ctx) ||
	    vfiodev_device_open(ctx, peer_bdf, NULL, &peer))
		return 1;
	probe = vfiodev_device_feature(peer,
				       VFIODEV_FEATURE_PROBE | VFIODEV_FEATURE_GET,
				       11 /* VFIO_DEVICE_FEATURE_DMA_BUF */,
				       NULL, 0);
	printf("%s\n", probe ? "none" : "dmabuf");
	vfiodev_device_close(peer);
	vfiodev_ctx_unref(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "probe"))
		return test_probe(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "revoke"))
		return test_revoke(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "faults"))
		return test_faults(argv[2]);
	fprintf(stderr,
		"usage: %s revoke <edu> <peer> | faults <peer> | probe <peer>\n",
		argv[0]);
	return 2;
}
