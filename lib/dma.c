// SPDX-License-Identifier: MIT
/*
 * The public DMA calls of a space: map (at a chosen IOVA or the lowest one
 * that fits the limit and alignment), unmap (one mapping, by buffer, a
 * range, all), translate both ways, and DMA memory. Each call checks
 * everything before it asks the kernel, and changes the record only after
 * the kernel said yes, so a failed call changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SZ_2M (2ull << 20)
#define SZ_1G (1ull << 30)

/* the IOVA alignment a buffer asks for by itself: 1 GiB or 2 MiB when it is
 * that aligned and at least that long, else none beyond the page */
static uint64_t natural_align(uint64_t va, uint64_t len)
{
	if (!(va & (SZ_1G - 1)) && len >= SZ_1G)
		return SZ_1G;
	if (!(va & (SZ_2M - 1)) && len >= SZ_2M)
		return SZ_2M;
	return 0;
}

static int placement_of(struct vfiodev_space *space,
			const struct vfiodev_dma_opts *opts,
			struct vfd_placement *p)
{
	struct vfiodev_ctx *ctx = space->ctx;
	int ret;

	p->iova_max = UINT64_MAX;
	p->align = 0;
	p->natural = 0;
	if (!opts)
		return 0; /* the common case: the space's limits only */
	ret = vfd_opts_check(ctx, opts, offsetofend(struct vfiodev_dma_opts, align),
			     "vfiodev_dma_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_dma_opts, iova_max) && opts->iova_max)
		p->iova_max = opts->iova_max;
	if (OPTS_HAS(opts, vfiodev_dma_opts, align))
		p->align = opts->align;
	if (p->align & (p->align - 1)) {
		vfd_err(ctx, "vfiodev_dma_opts: align 0x%llx is not a power of two",
			(unsigned long long)p->align);
		return -EINVAL;
	}
	return 0;
}

/* the lowest fit for @len under the space's and the call's constraints;
 * on -ENOSPC the log says which constraint left no room */
static int pick_iova(struct vfiodev_space *space, uint64_t va, uint64_t len,
		     const struct vfd_placement *p, uint64_t *out)
{
	uint64_t a = space->iova_align, hi, lo, want;
	const struct itree *t = &space->tree;
	int ret;

	hi = p->iova_max < space->iova_max ? p->iova_max : space->iova_max;
	want = p->align	  ? p->align :
	       p->natural ? p->natural :
			    natural_align(va, len);
	if (want < a)
		want = a;
	lo = a; /* never page 0: a device that DMAs to 0 is a bug to catch */
	ret = vfd_itree_fit(t, len, want, lo, hi, out);
	if (!ret)
		return 0;
	if (!p->align && want > a && !vfd_itree_fit(t, len, a, lo, hi, out))
		return 0; /* no superpage-aligned room: page alignment */
	if (hi != UINT64_MAX && !vfd_itree_fit(t, len, a, lo, UINT64_MAX, out))
		vfd_err(space->ctx,
			"dma map: no free IOVA range of 0x%llx bytes at or below the IOVA limit 0x%llx",
			(unsigned long long)len, (unsigned long long)hi);
	else if (want > a && !vfd_itree_fit(t, len, a, lo, hi, out))
		vfd_err(space->ctx,
			"dma map: no free IOVA range of 0x%llx bytes aligned to 0x%llx",
			(unsigned long long)len, (unsigned long long)want);
	else
		vfd_err(space->ctx,
			"dma map: no free IOVA range of 0x%llx bytes: the IOVA ranges are full",
			(unsigned long long)len);
	return -ENOSPC;
}

static int check_fixed(struct vfiodev_space *space, uint64_t iova, uint64_t len)
{
	struct vfiodev_ctx *ctx = space->ctx;
	uint64_t last = iova + (len - 1);
	const struct itree_node *n;

	if (iova & (space->iova_align - 1) || last < iova) {
		vfd_err(ctx, "dma map: IOVA 0x%llx+0x%llx is misaligned (0x%llx) or wraps",
			(unsigned long long)iova, (unsigned long long)len,
			(unsigned long long)space->iova_align);
		return -EINVAL;
	}
	if (last > space->iova_max) {
		vfd_err(ctx, "dma map: IOVA 0x%llx+0x%llx is above the space's IOVA limit 0x%llx",
			(unsigned long long)iova, (unsigned long long)len,
			(unsigned long long)space->iova_max);
		return -EINVAL;
	}
	n = vfd_itree_overlap(&space->tree, iova, last);
	if (n) {
		if (n->vaddr & MAPF_RESERVED) {
			vfd_err(ctx, "dma map: IOVA 0x%llx+0x%llx is outside the %sIOVA ranges (0x%llx-0x%llx is reserved)",
				(unsigned long long)iova, (unsigned long long)len,
				space->nr_devices ? "" : "provisional ",
				(unsigned long long)n->iova,
				(unsigned long long)vfd_itree_last(n));
			return -EINVAL;
		}
		vfd_err(ctx, "dma map: IOVA 0x%llx+0x%llx overlaps an existing mapping at IOVA 0x%llx",
			(unsigned long long)iova, (unsigned long long)len,
			(unsigned long long)n->iova);
		return -EEXIST;
	}
	return 0;
}

/* what a buffer must be before an IOVA is looked for: page-aligned, in a
 * space that can map it, and not mapped already (the translate table's
 * check also makes the tables the set will fill) */
static inline int check_buffer(struct vfiodev_space *space, uint64_t va,
			       uint64_t len, const struct vfd_placement *p)
{
	uint64_t busy, a = space->iova_align;
	int ret;

	if (space->handed_over) {
		vfd_err(space->ctx,
			"dma map: the space was handed over to another process (vfiodev_space_hand_over())");
		return -EPERM;
	}
	if (!len || (va | len) & (a - 1)) {
		vfd_err(space->ctx,
			"dma map: buffer 0x%llx+0x%llx is not page-aligned (0x%llx)",
			(unsigned long long)va, (unsigned long long)len,
			(unsigned long long)a);
		return -EINVAL;
	}
	if (space->noiommu &&
	    (!vfd_space_kernel_live(space) || !space->ops->bus_addr)) {
		vfd_err(space->ctx,
			"dma map: a noiommu group's container cannot pin memory or say where it is (Linux 7.x's noiommu cdev through iommufd can)");
		return -EOPNOTSUPP;
	}
	if (space->noiommu && !p) {
		vfd_err(space->ctx,
			"dma map: a noiommu space's devices DMA to bus addresses: the library picks the IOVA (vfiodev_dma_map_any())");
		return -EINVAL;
	}
	ret = vfd_vtable_check(&space->vt, va, len, &busy);
	if (ret == -ENOMEM) {
		vfd_err(space->ctx,
			"dma map: out of memory for the translation table");
		return ret;
	}
	if (ret == -ERANGE) {
		vfd_err(space->ctx,
			"dma map: buffer 0x%llx+0x%llx reaches past the 48-bit address space the table covers",
			(unsigned long long)va, (unsigned long long)len);
		return ret;
	}
	if (ret) {
		uint64_t other = 0;

		vfd_vtable_lookup(&space->vt, busy, &other, NULL);
		vfd_err(space->ctx,
			"dma map: buffer 0x%llx+0x%llx overlaps the one mapped at IOVA 0x%llx (map a buffer once)",
			(unsigned long long)va, (unsigned long long)len,
			(unsigned long long)other);
		return -EEXIST;
	}
	return 0;
}

/* map @va+@len at @iova (fixed) or at a picked IOVA (@p non-NULL); @mflags
 * are MAPF_* bits recorded with it; @src (or NULL) where the kernel may
 * take the pages from instead of the address. Caller holds space->lock */
int vfd_dma_map_locked(struct vfiodev_space *space, uint64_t va, uint64_t len,
		       unsigned int flags, uint64_t iova,
		       const struct vfd_placement *p, unsigned int mflags,
		       const struct map_src *src, uint64_t *out)
{
	struct vfiodev_ctx *ctx = space->ctx;
	struct vfiodev_mapping m;
	int ret;

	ret = check_buffer(space, va, len, p);
	if (ret)
		return ret;
	ret = p ? pick_iova(space, va, len, p, &iova) :
		  check_fixed(space, iova, len);
	if (ret)
		return ret;
	if (vfd_itree_reserve(&space->tree, 1)) {
		vfd_err(ctx, "dma map: out of memory for the mapping record");
		return -ENOMEM;
	}
	m = (struct vfiodev_mapping){
		.vaddr = va, .iova = iova, .len = len, .flags = flags
	};
	if (vfd_space_kernel_live(space)) {
		ret = src && space->ops->map_from ?
			      space->ops->map_from(space, &m, src) :
			      space->ops->map(space, &m);
		if (ret < 0)
			return ret;
		if (ret > 0)
			mflags |= MAPF_KFILE;
	}
	if (space->noiommu) {
		/* translate answers with bus addresses */
		ret = vfd_noiommu_publish(space, &m,
					  p && p->iova_max < space->iova_max ?
						  p->iova_max :
						  space->iova_max,
					  out);
		if (ret)
			return ret;
	} else {
		/* cannot fail: the check made the tables, the tree its nodes */
		vfd_vtable_set(&space->vt, va, len, iova);
		if (out)
			*out = iova;
	}
	vfd_itree_insert(&space->tree, iova, len, va | flags | mflags);
	space->nr_maps++;
	return 0;
}

static int check_flags(const struct vfiodev_space *space, unsigned int flags)
{
	if (!flags || flags & ~(VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)) {
		vfd_err(space->ctx,
			"dma map: flags 0x%x must be VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE",
			flags);
		return -EINVAL;
	}
	return 0;
}

VFIODEV_EXPORT int vfiodev_dma_map(struct vfiodev_space *space, void *vaddr,
				   size_t len, unsigned int flags, uint64_t iova)
{
	int ret;

	if (!space)
		return -EINVAL;
	ret = check_flags(space, flags);
	if (ret)
		return ret;
	pthread_mutex_lock(&space->lock);
	ret = vfd_dma_map_locked(space, (uintptr_t)vaddr, len, flags, iova,
				 NULL, 0, NULL, NULL);
	pthread_mutex_unlock(&space->lock);
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_map_any(struct vfiodev_space *space, void *vaddr,
				       size_t len, unsigned int flags,
				       const struct vfiodev_dma_opts *opts,
				       uint64_t *iova)
{
	struct vfd_placement p;
	int ret;

	if (!space)
		return -EINVAL;
	check_arg(space->ctx, iova);
	ret = check_flags(space, flags);
	if (!ret)
		ret = placement_of(space, opts, &p);
	if (ret)
		return ret;
	pthread_mutex_lock(&space->lock);
	ret = vfd_dma_map_locked(space, (uintptr_t)vaddr, len, flags, 0, &p, 0,
				 NULL, iova);
	pthread_mutex_unlock(&space->lock);
	return ret;
}

/* a BAR mapping (dma_p2p.c) left the record: off both lists, its mmap
 * (or stand-in) gone */
static void p2p_release(struct vfiodev_space *space, uint64_t va)
{
	struct vfd_p2p **pp, *e;

	for (pp = &space->p2p; *pp; pp = &(*pp)->next) {
		e = *pp;
		if (e->va != va)
			continue;
		*pp = e->next;
		pthread_mutex_lock(&space->ctx->lock);
		if (e->dev) {
			struct vfd_p2p **dp = &e->dev->p2p;

			while (*dp != e)
				dp = &(*dp)->dev_next;
			*dp = e->dev_next;
		}
		pthread_mutex_unlock(&space->ctx->lock);
		sys_munmap((void *)(uintptr_t)e->va, e->len);
		free(e);
		return;
	}
}

/* unmap entry @n from the kernel and the record; caller holds the lock */
static int unmap_node(struct vfiodev_space *space, const struct itree_node *n)
{
	struct vfiodev_mapping m = vfd_node_mapping(n);
	uint64_t n_flags = n->vaddr & MAPF_MASK;
	int ret;

	if (space->handed_over) {
		vfd_err(space->ctx,
			"dma unmap: the space was handed over to another process (vfiodev_space_hand_over()): its mappings are that process's");
		return -EPERM;
	}
	if (vfd_space_kernel_live(space)) {
		ret = space->ops->unmap(space, &m);
		if (ret)
			return ret;
	}
	vfd_vtable_clear(&space->vt, m.vaddr, m.len);
	vfd_itree_remove(&space->tree, m.iova);
	vfd_itree_trim(&space->tree);
	if (n_flags & MAPF_ALLOC)
		munmap((void *)(uintptr_t)m.vaddr, m.len);
	else if (n_flags & MAPF_FILE)
		sys_munmap((void *)(uintptr_t)m.vaddr, m.len);
	else if (n_flags & MAPF_REGION)
		p2p_release(space, m.vaddr);
	space->nr_maps--;
	return 0;
}

/* the first entry after IOVA @end, where an entry that ended there was
 * (entries move when one is removed: look them up again) */
static const struct itree_node *ceil_after(const struct itree *t, uint64_t end)
{
	return end == UINT64_MAX ? NULL : vfd_itree_ceil(t, end + 1);
}

static bool is_mapping(const struct itree_node *n)
{
	return !(n->vaddr & MAPF_RESERVED);
}

VFIODEV_EXPORT int vfiodev_dma_unmap(struct vfiodev_space *space, uint64_t iova,
				     size_t len)
{
	const struct itree_node *n;
	int ret = -ENOENT;
	bool alloc, found;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	if (space->noiommu) {
		/* @iova is the bus address vfiodev_dma_map_any() gave */
		uint64_t va = 0, contig;

		n = vfd_noiommu_find(space, iova, &va, &contig);
		if (n && va != (n->vaddr & ~MAPF_MASK))
			n = NULL;
	} else {
		n = vfd_itree_find(&space->tree, iova);
	}
	alloc = n && (n->vaddr & MAPF_ALLOC);
	found = n && is_mapping(n) && (space->noiommu || n->iova == iova) &&
		n->len == len && !alloc;
	if (found)
		ret = unmap_node(space, n);
	pthread_mutex_unlock(&space->lock);
	/* the kernel's own ENOENT was logged by the backend */
	if (!found)
		vfd_err(space->ctx,
			"dma unmap: no mapping at IOVA 0x%llx of 0x%zx bytes%s",
			(unsigned long long)iova, len,
			alloc ? " (memory of vfiodev_dma_alloc(): use vfiodev_dma_free())" :
				"");
	return ret;
}

/* the entry of the mapping that starts at @va, or NULL; caller holds the
 * lock */
static const struct itree_node *node_at_vaddr(struct vfiodev_space *space,
					      uint64_t va)
{
	const struct itree_node *n;
	uint64_t iova;

	if (vfd_vtable_lookup(&space->vt, va, &iova, NULL))
		return NULL;
	if (space->noiommu) {
		/* the table holds bus addresses there: a walk, O(n) */
		for (n = vfd_itree_ceil(&space->tree, 0); n;
		     n = vfd_itree_next(&space->tree, n))
			if (is_mapping(n) && (n->vaddr & ~MAPF_MASK) == va)
				return n;
		return NULL;
	}
	n = vfd_itree_find(&space->tree, iova);
	if (!n || (n->vaddr & ~MAPF_MASK) != va)
		return NULL;
	return n;
}

/* unmap the buffer that starts at @va if it is (@alloc) or is not memory
 * of vfiodev_dma_alloc(); -ENOENT, with *@other set when a buffer of the
 * other kind starts there */
static inline int unmap_buffer(struct vfiodev_space *space, uint64_t va,
			       bool alloc, bool *other, bool *found)
{
	const struct itree_node *n;
	int ret = -ENOENT;

	pthread_mutex_lock(&space->lock);
	n = node_at_vaddr(space, va);
	*other = n && !(n->vaddr & MAPF_ALLOC) == alloc;
	*found = n && !*other;
	if (*found)
		ret = unmap_node(space, n);
	pthread_mutex_unlock(&space->lock);
	return ret;
}

int vfd_dma_unmap_buffer(struct vfiodev_space *space, uint64_t va, bool alloc,
			 bool *other, bool *found)
{
	return unmap_buffer(space, va, alloc, other, found);
}

VFIODEV_EXPORT int vfiodev_dma_unmap_vaddr(struct vfiodev_space *space,
					   const void *vaddr)
{
	bool other, found;
	int ret;

	if (!space)
		return -EINVAL;
	/* a kernel refusal was logged by the backend */
	ret = unmap_buffer(space, (uintptr_t)vaddr, false, &other, &found);
	if (!found)
		vfd_err(space->ctx, "dma unmap: no mapping starts at %p%s", vaddr,
			other ? " (memory of vfiodev_dma_alloc(): use vfiodev_dma_free())" :
				"");
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_unmap_range(struct vfiodev_space *space,
					   uint64_t iova, uint64_t len,
					   uint64_t *unmapped)
{
	const struct itree_node *n;
	struct itree *t;
	uint64_t last = iova + (len - 1), done = 0, end;
	int ret = 0;

	if (!space)
		return -EINVAL;
	if (!len || last < iova) {
		vfd_err(space->ctx,
			"dma unmap: range 0x%llx+0x%llx is empty or wraps",
			(unsigned long long)iova, (unsigned long long)len);
		return -EINVAL;
	}
	t = &space->tree;
	pthread_mutex_lock(&space->lock);
	if (space->noiommu) {
		/* a range of bus addresses does not name whole mappings */
		pthread_mutex_unlock(&space->lock);
		vfd_err(space->ctx,
			"dma unmap: a noiommu space's mappings are not ranges of bus addresses: unmap each (vfiodev_dma_unmap() with its first byte's, or vfiodev_dma_unmap_vaddr())");
		return -EOPNOTSUPP;
	}
	/* check every mapping first: all or nothing for straddlers */
	for (n = vfd_itree_ceil(t, iova); n; n = vfd_itree_next(t, n)) {
		if (n->iova > last)
			break;
		if (!is_mapping(n))
			continue;
		if (n->iova < iova || vfd_itree_last(n) > last ||
		    n->vaddr & MAPF_ALLOC) {
			vfd_err(space->ctx,
				"dma unmap: the mapping at IOVA 0x%llx+0x%llx %s the range 0x%llx+0x%llx: nothing unmapped",
				(unsigned long long)n->iova,
				(unsigned long long)n->len,
				n->vaddr & MAPF_ALLOC ?
					"is memory of vfiodev_dma_alloc() in" :
					"straddles an edge of",
				(unsigned long long)iova, (unsigned long long)len);
			ret = -EINVAL;
			goto out;
		}
	}
	for (n = vfd_itree_ceil(t, iova); n && n->iova <= last;
	     n = ceil_after(t, end)) {
		uint64_t l = n->len;

		end = vfd_itree_last(n);
		if (!is_mapping(n))
			continue;
		ret = unmap_node(space, n);
		if (ret)
			break;
		done += l;
	}
out:
	pthread_mutex_unlock(&space->lock);
	if (unmapped)
		*unmapped = done;
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_unmap_all(struct vfiodev_space *space)
{
	const struct itree_node *n;
	struct itree *t;
	uint64_t end;
	int ret = 0;

	if (!space)
		return -EINVAL;
	t = &space->tree;
	pthread_mutex_lock(&space->lock);
	for (n = vfd_itree_ceil(t, 0); n; n = ceil_after(t, end)) {
		int r;

		end = vfd_itree_last(n);
		if (!is_mapping(n))
			continue;
		/* a refused unmap keeps its entry: the record stays the
		 * kernel's truth */
		r = unmap_node(space, n);
		if (r && !ret)
			ret = r;
	}
	pthread_mutex_unlock(&space->lock);
	return ret;
}

void vfd_dma_release_owned(struct vfiodev_space *space)
{
	const struct itree_node *n;

	for (n = vfd_itree_ceil(&space->tree, 0); n;
	     n = vfd_itree_next(&space->tree, n)) {
		if (!is_mapping(n) ||
		    !(n->vaddr & (MAPF_ALLOC | MAPF_FILE | MAPF_REGION)))
			continue;
		vfd_dbg(space->ctx,
			"space release: memory at 0x%llx+0x%llx freed though its IOVA 0x%llx was not unmapped",
			(unsigned long long)(n->vaddr & ~MAPF_MASK),
			(unsigned long long)n->len, (unsigned long long)n->iova);
		if (n->vaddr & MAPF_REGION)
			p2p_release(space, n->vaddr & ~MAPF_MASK);
		else if (n->vaddr & MAPF_FILE)
			sys_munmap((void *)(uintptr_t)(n->vaddr & ~MAPF_MASK),
				   n->len);
		else
			munmap((void *)(uintptr_t)(n->vaddr & ~MAPF_MASK), n->len);
	}
}

VFIODEV_EXPORT int vfiodev_dma_translate(struct vfiodev_space *space,
					 const void *vaddr, uint64_t *iova)
{
	if (__builtin_expect(!space || !iova, 0))
		return -EINVAL;
	return vfd_vtable_lookup(&space->vt, (uintptr_t)vaddr, iova, NULL);
}

VFIODEV_EXPORT int vfiodev_dma_translate_len(struct vfiodev_space *space,
					     const void *vaddr, uint64_t *iova,
					     size_t *len)
{
	uint64_t l;
	int ret;

	if (__builtin_expect(!space || !iova || !len, 0))
		return -EINVAL;
	ret = vfd_vtable_lookup(&space->vt, (uintptr_t)vaddr, iova, &l);
	if (!ret)
		*len = (size_t)l;
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_iova_to_vaddr(struct vfiodev_space *space,
					     uint64_t iova, void **vaddr,
					     size_t *len)
{
	const struct itree_node *n;
	int ret = -ENOENT;

	if (!space || !vaddr)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	if (space->noiommu) {
		uint64_t va, contig;

		/* a bus address: to the end of its contiguous run */
		if (vfd_noiommu_find(space, iova, &va, &contig)) {
			*vaddr = (void *)(uintptr_t)va;
			if (len)
				*len = (size_t)contig;
			ret = 0;
		}
		pthread_mutex_unlock(&space->lock);
		return ret;
	}
	n = vfd_itree_find(&space->tree, iova);
	if (n && is_mapping(n)) {
		*vaddr = (void *)(uintptr_t)((n->vaddr & ~MAPF_MASK) +
					     (iova - n->iova));
		if (len)
			*len = (size_t)(n->len - (iova - n->iova));
		ret = 0;
	}
	pthread_mutex_unlock(&space->lock);
	return ret;
}

int vfd_dma_placed(struct vfiodev_space *space, unsigned int flags,
		   const struct vfiodev_dma_opts *opts, struct vfd_placement *p)
{
	return check_flags(space, flags) ?: placement_of(space, opts, p);
}

/* VFIODEV_DMA_FIXED_IOVA: the IOVA comes from *@iova; else a placement */
int vfd_dma_fixed_or_placed(struct vfiodev_space *space, unsigned int *flags,
			    const struct vfiodev_dma_opts *opts,
			    struct vfd_placement *p, bool *fixed)
{
	*fixed = *flags & VFIODEV_DMA_FIXED_IOVA;
	*flags &= ~VFIODEV_DMA_FIXED_IOVA;
	return vfd_dma_placed(space, *flags, opts, p);
}

/* for the benchmark and tests: bytes of bookkeeping the record holds */
size_t vfd_space_record_bytes(struct vfiodev_space *space)
{
	size_t b;

	pthread_mutex_lock(&space->lock);
	b = vfd_itree_bytes(&space->tree) + vfd_vtable_bytes(&space->vt);
	pthread_mutex_unlock(&space->lock);
	return b;
}
