// SPDX-License-Identifier: MIT
/*
 * DMA memory: zeroed, already mapped buffers the space owns
 * (vfiodev_dma_alloc/free): hugetlb or THP-advised memory for large ones,
 * pages rounded to the IOMMU's for small ones, faulted in before the pin.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define SZ_2M (2ull << 20)

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

static void dma_mem_populate(void *p, uint64_t len, uint64_t pg);

/* zeroed memory for @len bytes, its length and address rounded to @align
 * (the space's IOVA alignment, at least a page): hugetlb for 2 MiB and more
 * when there are free hugepages, else THP-advised anonymous memory aligned
 * to 2 MiB; small requests get pages, over-allocated and trimmed where the
 * IOMMU's page is larger than the CPU's. *@huge says which */
static void *dma_mem_get(uint64_t *len, uint64_t align, bool *huge)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), l, big;
	uintptr_t a;
	void *p;

	*huge = false;
	if (align < pg)
		align = pg;
	if (*len >= SZ_2M && align < SZ_2M)
		align = SZ_2M;
	l = (*len + align - 1) & ~(align - 1);
	if (align == SZ_2M) {
		p = mmap(NULL, l, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB,
			 -1, 0);
		if (p != MAP_FAILED) {
			dma_mem_populate(p, l, SZ_2M);
			*huge = true;
			*len = l;
			return p;
		}
	}
	/* over-allocate, keep the aligned middle */
	big = align == pg ? l : l + align;
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a != (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if (big - (a - (uintptr_t)p) > l)
		munmap((char *)a + l, big - (a - (uintptr_t)p) - l);
	if (l >= SZ_2M)
		madvise((void *)a, l, MADV_HUGEPAGE);
	dma_mem_populate((void *)a, l, pg);
	*len = l;
	return (void *)a;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* fault @len bytes at @p in for writing before the kernel pins them: a
 * read-only pin of memory never written takes the shared zero page (THP:
 * the huge zero page), and before Linux 6.2 it stays pinned after the
 * CPU's first write moves the buffer to a page of its own, so the device
 * reads zeros (seen on 6.1: an NVMe fetching an all-zero command) */
static void dma_mem_populate(void *p, uint64_t len, uint64_t pg)
{
	if (!madvise(p, len, MADV_POPULATE_WRITE))
		return;
	/* before 5.14: a write to each page (the memory is zero already) */
	for (uint64_t off = 0; off < len; off += pg)
		((volatile char *)p)[off] = 0;
}

VFIODEV_EXPORT int vfiodev_dma_alloc(struct vfiodev_space *space, size_t len,
				     unsigned int flags,
				     const struct vfiodev_dma_opts *opts,
				     void **vaddr, uint64_t *iova)
{
	struct vfd_placement p;
	uint64_t l = len, align;
	bool huge;
	void *mem;
	int ret;

	if (!space)
		return -EINVAL;
	check_arg(space->ctx, vaddr && iova && len);
	ret = vfd_dma_placed(space, flags, opts, &p);
	if (ret)
		return ret;
	pthread_mutex_lock(&space->lock);
	align = space->iova_align;
	pthread_mutex_unlock(&space->lock);
	mem = dma_mem_get(&l, align, &huge);
	if (!mem) {
		vfd_err(space->ctx, "dma alloc: no memory for %zu bytes", len);
		return -ENOMEM;
	}
	pthread_mutex_lock(&space->lock);
	ret = vfd_dma_map_locked(space, (uintptr_t)mem, l, flags, 0, &p,
				 MAPF_ALLOC | (huge ? MAPF_HUGETLB : 0), NULL,
				 iova);
	pthread_mutex_unlock(&space->lock);
	if (ret) {
		munmap(mem, l);
		return ret;
	}
	vfd_dbg(space->ctx, "dma alloc: %zu bytes at %p (%s), IOVA 0x%llx", len,
		mem, huge ? "hugetlb" : "anonymous", (unsigned long long)*iova);
	*vaddr = mem;
	return 0;
}

VFIODEV_EXPORT int vfiodev_dma_free(struct vfiodev_space *space, void *vaddr)
{
	bool other, found;
	int ret;

	if (!space)
		return -EINVAL;
	if (!vaddr)
		return 0;
	ret = vfd_dma_unmap_buffer(space, (uintptr_t)vaddr, true, &other, &found);
	if (!found)
		vfd_err(space->ctx,
			"dma free: %p is not memory of vfiodev_dma_alloc() in this space",
			vaddr);
	return ret;
}
