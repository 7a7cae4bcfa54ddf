// SPDX-License-Identifier: MIT
/*
 * The fake kernel's dirty page tracking: Type1's VFIO_IOMMU_DIRTY_PAGES
 * (start, stop, a bitmap where every mapped page is dirty, as the kernel
 * reports without page-pinning devices; the range must not split a
 * mapping) and iommufd's tracking HWPTs (IOMMU_GET_HW_INFO, HWPT_ALLOC with
 * DIRTY_TRACKING, SET_DIRTY_TRACKING, GET_DIRTY_BITMAP of the ranges
 * fake_dirty_write() marked), with the kernel's argument checks.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

static void bit_set(uint64_t *map, uint64_t n)
{
	map[n / 64] |= 1ull << (n % 64);
}

/* ---- Type1 ------------------------------------------------------------- */

int fake_type1_dirty(struct fake_container *ct, void *arg)
{
	struct vfio_iommu_type1_dirty_bitmap *d = arg;
	const uint32_t all = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			     VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			     VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap_get *g;
	uint64_t pg = fake_cfg.type1_pgsizes & -fake_cfg.type1_pgsizes, last;

	if (d->argsz < sizeof(*d) || d->flags & ~all ||
	    __builtin_popcount(d->flags) != 1)
		return -EINVAL;
	if (!ct->iommu || ct->iommu == VFIO_NOIOMMU_IOMMU)
		return -EINVAL;
	if (ct->iommu != VFIO_TYPE1v2_IOMMU)
		return -EACCES;
	if (d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		ct->dirty = true;
		return 0;
	}
	if (d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		ct->dirty = false;
		return 0;
	}
	if (d->argsz < sizeof(*d) + sizeof(*g) || !ct->dirty)
		return -EINVAL;
	g = (void *)d->data;
	if (g->bitmap.pgsize != pg || !g->size || (g->iova | g->size) & (pg - 1) ||
	    g->bitmap.size < (g->size / pg + 63) / 64 * 8)
		return -EINVAL;
	last = g->iova + g->size - 1;
	for (size_t i = 0; i < ct->maps.n; i++) {
		const struct fake_map *m = &ct->maps.v[i];
		uint64_t ml = m->iova + m->len - 1;

		if (ml < g->iova || m->iova > last)
			continue;
		if (m->iova < g->iova || ml > last)
			return -EINVAL; /* would bisect a vfio_dma */
		/* no device pins pages: the whole mapping is dirty */
		for (uint64_t a = m->iova; a <= ml; a += pg)
			bit_set((uint64_t *)g->bitmap.data, (a - g->iova) / pg);
	}
	return 0;
}

/* ---- iommufd ----------------------------------------------------------- */

static struct fake_file *bound_dev(struct fake_ictx *c, uint32_t dev_id)
{
	for (struct fake_file *f = fk.files; f; f = f->next)
		if (f->kind == FK_CDEV && f->bound && f->ictx == c &&
		    f->devid == dev_id)
			return f;
	return NULL;
}

int fake_hw_info(struct fake_ictx *c, void *arg)
{
	struct iommu_hw_info *h = arg;

	if (h->size < offsetofend(struct iommu_hw_info, out_capabilities) || h->flags)
		return -EINVAL;
	if (!bound_dev(c, h->dev_id))
		return -ENOENT;
	h->out_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	h->data_len = 0;
	h->out_capabilities = fake_cfg.hw_dirty ? IOMMU_HW_CAP_DIRTY_TRACKING : 0;
	return 0;
}

struct fake_hwpt *fake_hwpt_find(struct fake_ictx *c, uint32_t id)
{
	for (struct fake_hwpt *h = c->hwpts; h; h = h->next)
		if (h->id == id)
			return h;
	return NULL;
}

int fake_hwpt_alloc(struct fake_ictx *c, void *arg)
{
	struct iommu_hwpt_alloc *a = arg;
	struct fake_ioas *io;
	struct fake_hwpt *h;

	if (a->size < offsetofend(struct iommu_hwpt_alloc, data_uptr))
		return -EINVAL;
	if (a->flags & ~(uint32_t)IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		return -EOPNOTSUPP;
	if (!bound_dev(c, a->dev_id))
		return -ENOENT;
	for (io = c->ioas; io && io->id != a->pt_id; io = io->next)
		;
	if (!io)
		return -ENOENT;
	if (a->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !fake_cfg.hw_dirty)
		return -EOPNOTSUPP;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->id = c->next_id++;
	h->ioas = io;
	h->next = c->hwpts;
	c->hwpts = h;
	a->out_hwpt_id = h->id;
	return 0;
}

int fake_hwpt_set_dirty(struct fake_ictx *c, void *arg)
{
	struct iommu_hwpt_set_dirty_tracking *s = arg;
	struct fake_hwpt *h;

	if (s->size < sizeof(*s) || s->__reserved)
		return -EINVAL;
	if (s->flags & ~(uint32_t)IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	h = fake_hwpt_find(c, s->hwpt_id);
	if (!h)
		return -ENOENT;
	h->tracking = s->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	fake_maps_free(&h->dirty); /* enabling starts clean */
	return 0;
}

int fake_hwpt_get_dirty(struct fake_ictx *c, void *arg)
{
	struct iommu_hwpt_get_dirty_bitmap *g = arg;
	uint64_t align = fake_cfg.ioas_alignment ? fake_cfg.ioas_alignment : 1;
	uint64_t *map = (uint64_t *)(uintptr_t)g->data;
	struct fake_hwpt *h;

	if (g->size < sizeof(*g) || g->__reserved)
		return -EINVAL;
	if (g->flags & ~(uint32_t)IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
		return -EOPNOTSUPP;
	h = fake_hwpt_find(c, g->hwpt_id);
	if (!h)
		return -ENOENT;
	if (!g->page_size || g->page_size & (g->page_size - 1) || !g->length ||
	    (g->iova | g->length) & (g->page_size - 1) ||
	    (g->iova | g->length) & (align - 1))
		return -EINVAL;
	for (size_t i = 0; i < h->dirty.n; i++) {
		const struct fake_map *d = &h->dirty.v[i];

		for (uint64_t a = d->iova & ~(g->page_size - 1);
		     a < d->iova + d->len; a += g->page_size)
			if (a >= g->iova && a < g->iova + g->length)
				bit_set(map, (a - g->iova) / g->page_size);
	}
	if (!(g->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR))
		fake_maps_free(&h->dirty);
	return 0;
}

int fake_hwpt_destroy(struct fake_ictx *c, struct fake_hwpt *h)
{
	for (struct fake_file *f = fk.files; f; f = f->next)
		if (f->kind == FK_CDEV && f->hwpt == h)
			return -EBUSY;
	for (struct fake_hwpt **pp = &c->hwpts; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	fake_maps_free(&h->dirty);
	free(h);
	return 0;
}

void fake_hwpts_free(struct fake_ictx *c)
{
	while (c->hwpts) {
		struct fake_hwpt *h = c->hwpts;

		c->hwpts = h->next;
		fake_maps_free(&h->dirty);
		free(h);
	}
}

void fake_dirty_write(uint32_t ioas_id, uint64_t iova, uint64_t len)
{
	for (struct fake_ictx *c = fk.ictxs; c; c = c->next)
		for (struct fake_hwpt *h = c->hwpts; h; h = h->next)
			if (h->tracking && h->ioas->id == ioas_id)
				fake_maps_add(&h->dirty, iova, len, 0);
}
