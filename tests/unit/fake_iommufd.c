// SPDX-License-Identifier: MIT
/*
 * The fake kernel's /dev/iommu: IOAS objects with their mappings, the
 * IOVA_RANGES protocol (EMSGSIZE when the caller's array is short),
 * IOMMU_DESTROY, which refuses an IOAS a device is still attached to,
 * IOMMU_IOAS_MAP_FILE (Linux 6.13+, ENOTTY unless fake_cfg.map_file) and
 * IOMMU_IOAS_COPY, whose mappings share the source's pinned pages.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/iommufd.h>

#include "fake_priv.h"

static struct fake_ioas *ioas_find(struct fake_ictx *c, uint32_t id)
{
	for (struct fake_ioas *a = c->ioas; a; a = a->next)
		if (a->id == id)
			return a;
	return NULL;
}

static void ioas_free(struct fake_ictx *c, struct fake_ioas *a)
{
	for (struct fake_ioas **pp = &c->ioas; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	fake_maps_free(&a->maps);
	free(a);
}

/* the context goes when neither a file nor a bound device holds it; its
 * IOAS go with it (the library should have destroyed them already) */
void fake_ictx_put(struct fake_ictx *c)
{
	if (c->files || c->nbound)
		return;
	fake_hwpts_free(c);
	while (c->ioas) {
		fk.implicit.ioas_destroys++;
		ioas_free(c, c->ioas);
	}
	for (struct fake_ictx **pp = &fk.ictxs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

static bool ioas_in_use(const struct fake_ioas *a)
{
	for (struct fake_file *f = fk.files; f; f = f->next)
		if (f->kind == FK_CDEV && f->attached == a)
			return true;
	return false;
}

static int iova_ranges(struct fake_ictx *c, struct iommu_ioas_iova_ranges *cmd)
{
	struct iommu_iova_range *out = (void *)(uintptr_t)cmd->allowed_iovas;
	uint32_t n = (uint32_t)fake_cfg.nr_ioas_ranges;

	if (cmd->size < sizeof(*cmd) || cmd->__reserved)
		return -EINVAL;
	if (!ioas_find(c, cmd->ioas_id))
		return -ENOENT;
	for (uint32_t i = 0; i < n && i < cmd->num_iovas; i++) {
		out[i].start = fake_cfg.ioas_ranges[i].start;
		out[i].last = fake_cfg.ioas_ranges[i].last;
	}
	cmd->out_iova_alignment = fake_cfg.ioas_alignment;
	if (cmd->num_iovas < n) {
		/* a broken kernel may fail to say how much room it needs */
		if (!fake_cfg.ranges_lie)
			cmd->num_iovas = n;
		return -EMSGSIZE;
	}
	cmd->num_iovas = n;
	return 0;
}

/* what MAP, MAP_FILE and COPY check alike for the destination */
static int ioas_dest_check(struct fake_ioas *a, uint32_t flags, uint64_t iova,
			   uint64_t len)
{
	const uint32_t known = IOMMU_IOAS_MAP_FIXED_IOVA |
			       IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	uint64_t align = fake_cfg.ioas_alignment ? fake_cfg.ioas_alignment : 1;

	if (flags & ~known)
		return -EOPNOTSUPP;
	/* the library always picks the IOVA itself */
	if (!(flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		return -EOPNOTSUPP;
	if (!(flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;
	if (!len || (iova | len) & (align - 1))
		return -EINVAL;
	if (!fake_ranges_allow(fake_cfg.ioas_ranges, fake_cfg.nr_ioas_ranges,
			       iova, len))
		return -EINVAL;
	if (fake_maps_overlap(&a->maps, iova, len))
		return -EEXIST;
	return 0;
}

uint64_t fake_pa_of(uint64_t va)
{
	uint64_t run = fake_cfg.pa_run_pages ? fake_cfg.pa_run_pages : 4;
	uint64_t page = va >> 12;

	/* runs of @run pages, each followed by a page of hole */
	return 0x100000000ull + (page / run) * (run + 1) * 4096 +
	       (page % run) * 4096 + (va & 4095);
}

/* Linux 7.x: the physical address behind a mapped IOVA of a noiommu IOAS
 * and how far it is contiguous (capped by the length asked and, here, the
 * mapping) */
static int noiommu_get_pa(struct fake_ictx *c, struct iommu_ioas_noiommu_get_pa *q)
{
	uint64_t run = fake_cfg.pa_run_pages ? fake_cfg.pa_run_pages : 4;
	const struct fake_map *m = NULL;
	struct fake_ioas *a;
	uint64_t va, left;

	if (!fake_cfg.noiommu_get_pa)
		return -ENOTTY;
	if (q->size < sizeof(*q) || q->flags || q->__reserved || !q->length)
		return -EINVAL;
	a = ioas_find(c, q->ioas_id);
	if (!a)
		return -ENOENT;
	for (size_t i = 0; i < a->maps.n; i++)
		if (q->iova >= a->maps.v[i].iova &&
		    q->iova - a->maps.v[i].iova < a->maps.v[i].len)
			m = &a->maps.v[i];
	if (!m)
		return -ENOENT;
	va = m->va + (q->iova - m->iova);
	/* to the end of the page run, of the mapping, of the length */
	left = (run - ((va >> 12) % run)) * 4096 - (va & 4095);
	if (left > m->len - (q->iova - m->iova))
		left = m->len - (q->iova - m->iova);
	if (left > q->length)
		left = q->length;
	q->out_phys = fake_pa_of(va);
	q->length = left;
	return 0;
}

static int ioas_map(struct fake_ictx *c, struct iommu_ioas_map *m)
{
	struct fake_ioas *a;
	int ret;

	if (m->size < sizeof(*m) || m->__reserved)
		return -EINVAL;
	a = ioas_find(c, m->ioas_id);
	if (!a)
		return -ENOENT;
	ret = ioas_dest_check(a, m->flags, m->iova, m->length);
	if (ret)
		return ret;
	if (!fake_va_valid(m->user_va, m->length))
		return -EFAULT;
	return fake_maps_add(&a->maps, m->iova, m->length, m->user_va);
}

static int ioas_map_file(struct fake_ictx *c, struct iommu_ioas_map_file *m)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	const struct fake_dmabuf *d;
	struct fake_ioas *a;
	struct stat st;
	int ret;

	if (!fake_cfg.map_file)
		return -ENOTTY; /* Linux 6.12 and older */
	if (m->size < sizeof(*m))
		return -EINVAL;
	a = ioas_find(c, m->ioas_id);
	if (!a)
		return -ENOENT;
	ret = ioas_dest_check(a, m->flags, m->iova, m->length);
	if (ret)
		return ret;
	if (fstat(m->fd, &st))
		return -EBADF;
	d = fake_dmabuf_of(m->fd);
	if (d && fake_cfg.map_file_dmabuf) {
		/* iopt_map_file_pages(): vfio-pci's private interconnect */
		if (d->foreign || d->nr_ranges != 1)
			return -EOPNOTSUPP;
		if (d->revoked)
			return -ENODEV;
		if (m->start + m->length > d->size || m->start + m->length < m->start)
			return -EINVAL;
		ret = fake_maps_add(&a->maps, m->iova, m->length, 0);
		if (!ret) {
			struct fake_map *fm = &a->maps.v[a->maps.n - 1];

			fm->dmabuf = d;
			fm->dmabuf_gen = d->generation;
		}
		return ret;
	}
	if (d)
		return -EINVAL; /* before 6.19: no memfd to pin from */
	/* memfd_pin_folios(): shmem or hugetlbfs only (sealable: memfd) */
	if (fcntl(m->fd, F_GET_SEALS) < 0)
		return -EINVAL;
	if (m->start & (pg - 1) || m->start + m->length > (uint64_t)st.st_size)
		return -EINVAL;
	return fake_maps_add(&a->maps, m->iova, m->length, 0);
}

/* Linux 6.13's iommufd_ioas_change_process(): every area of every IOAS
 * must be a file's (not an address's, not a dma-buf's), else nothing moves */
static int change_process(struct fake_ictx *c, struct iommu_ioas_change_process *cp)
{
	if (!fake_cfg.change_process)
		return -ENOTTY;
	if (cp->size < sizeof(*cp))
		return -EINVAL;
	if (cp->__reserved)
		return -EOPNOTSUPP;
	for (struct fake_ioas *a = c->ioas; a; a = a->next)
		for (size_t i = 0; i < a->maps.n; i++)
			if (a->maps.v[i].va || a->maps.v[i].dmabuf)
				return -EINVAL;
	c->changed_process++;
	return 0;
}

int fake_ioas_dmabuf_maps(int *all)
{
	int dead = 0;

	*all = 0;
	for (struct fake_ictx *c = fk.ictxs; c; c = c->next)
		for (struct fake_ioas *a = c->ioas; a; a = a->next)
			for (size_t i = 0; i < a->maps.n; i++) {
				const struct fake_map *m = &a->maps.v[i];

				if (!m->dmabuf)
					continue;
				++*all;
				if (!fake_dmabuf_live(m->dmabuf, m->dmabuf_gen))
					dead++;
			}
	return dead;
}

static int ioas_copy(struct fake_ictx *c, struct iommu_ioas_copy *cp)
{
	struct fake_ioas *src, *dst;
	const struct fake_map *from = NULL;
	int ret;

	if (cp->size < sizeof(*cp))
		return -EINVAL;
	src = ioas_find(c, cp->src_ioas_id);
	dst = ioas_find(c, cp->dst_ioas_id);
	if (!src || !dst)
		return -ENOENT;
	for (size_t i = 0; i < src->maps.n; i++)
		if (src->maps.v[i].iova == cp->src_iova &&
		    src->maps.v[i].len == cp->length)
			from = &src->maps.v[i];
	if (!from)
		return -ENOENT;
	ret = ioas_dest_check(dst, cp->flags, cp->dst_iova, cp->length);
	if (ret)
		return ret;
	ret = fake_maps_add(&dst->maps, cp->dst_iova, cp->length, from->va);
	if (!ret)
		dst->maps.v[dst->maps.n - 1].shared = true;
	return ret;
}

static int ioas_unmap(struct fake_ictx *c, struct iommu_ioas_unmap *u)
{
	struct fake_ioas *a;
	uint64_t done = 0;
	int ret;

	if (u->size < sizeof(*u))
		return -EINVAL;
	a = ioas_find(c, u->ioas_id);
	if (!a)
		return -ENOENT;
	ret = fake_maps_remove(&a->maps, u->iova, u->length, &done);
	if (ret)
		return ret;
	if (!done)
		return -ENOENT;
	u->length = done;
	return 0;
}

int fake_iommufd_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_ictx *c = f->ictx;

	switch (req) {
	case IOMMU_IOAS_ALLOC: {
		struct iommu_ioas_alloc *cmd = arg;
		struct fake_ioas *a;

		if (cmd->size < sizeof(*cmd))
			return -EINVAL;
		if (cmd->flags)
			return -EOPNOTSUPP;
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		a->id = c->next_id++;
		a->next = c->ioas;
		c->ioas = a;
		cmd->out_ioas_id = a->id;
		return 0;
	}
	case IOMMU_DESTROY: {
		struct iommu_destroy *cmd = arg;
		struct fake_hwpt *h;
		struct fake_ioas *a;

		if (cmd->size < sizeof(*cmd))
			return -EINVAL;
		h = fake_hwpt_find(c, cmd->id);
		if (h)
			return fake_hwpt_destroy(c, h);
		a = ioas_find(c, cmd->id);
		if (!a)
			return -ENOENT;
		if (ioas_in_use(a))
			return -EBUSY;
		for (h = c->hwpts; h; h = h->next)
			if (h->ioas == a)
				return -EBUSY; /* the HWPT holds it */
		ioas_free(c, a);
		return 0;
	}
	case IOMMU_IOAS_IOVA_RANGES:
		return iova_ranges(c, arg);
	case IOMMU_IOAS_MAP:
		return ioas_map(c, arg);
	case IOMMU_IOAS_UNMAP:
		return ioas_unmap(c, arg);
	case IOMMU_GET_HW_INFO:
		return fake_hw_info(c, arg);
	case IOMMU_HWPT_ALLOC:
		return fake_hwpt_alloc(c, arg);
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		return fake_hwpt_set_dirty(c, arg);
	case IOMMU_HWPT_GET_DIRTY_BITMAP:
		return fake_hwpt_get_dirty(c, arg);
	case IOMMU_IOAS_MAP_FILE:
		return ioas_map_file(c, arg);
	case IOMMU_IOAS_COPY:
		return ioas_copy(c, arg);
	case IOMMU_IOAS_CHANGE_PROCESS:
		return change_process(c, arg);
	case IOMMU_IOAS_NOIOMMU_GET_PA:
		return noiommu_get_pa(c, arg);
	case IOMMU_OPTION: {
		struct iommu_option *o = arg;

		if (o->size < sizeof(*o) || o->__reserved)
			return -EINVAL;
		if (o->option_id != IOMMU_OPTION_RLIMIT_MODE || o->object_id)
			return -EOPNOTSUPP;
		if (o->op == IOMMU_OPTION_OP_GET) {
			o->val64 = 0;
			return 0;
		}
		return o->op == IOMMU_OPTION_OP_SET && o->val64 <= 1 ? 0 : -EINVAL;
	}
	}
	return -ENOTTY;
}
