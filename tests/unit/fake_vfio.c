// SPDX-License-Identifier: MIT
/*
 * The fake kernel's VFIO: device ioctls (on a cdev or a device fd from a
 * group), group ioctls and container (Type1 / noiommu) ioctls, with the
 * argument checks and object lifetimes of the real thing, so that a
 * library that skips a step, passes a short argsz or tears down in the
 * wrong order gets the error a kernel would give.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

#define offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

/* ---- mapping tables (shared with fake_iommufd.c) ----------------------- */

int fake_maps_add(struct fake_maps *m, uint64_t iova, uint64_t len, uint64_t va)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct fake_map *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = (struct fake_map){ iova, len, va };
	return 0;
}

bool fake_maps_overlap(const struct fake_maps *m, uint64_t iova, uint64_t len)
{
	uint64_t last = iova + len - 1;

	for (size_t i = 0; i < m->n; i++)
		if (iova <= m->v[i].iova + m->v[i].len - 1 && m->v[i].iova <= last)
			return true;
	return false;
}

int fake_maps_remove(struct fake_maps *m, uint64_t iova, uint64_t len,
		     uint64_t *out)
{
	uint64_t last = iova + len - 1, done = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < m->n; i++) {
		uint64_t ml = m->v[i].iova + m->v[i].len - 1;

		if (ml < iova || m->v[i].iova > last)
			continue;
		if (m->v[i].iova < iova || ml > last)
			return -EINVAL; /* would split a mapping */
	}
	i = 0;
	while (i < m->n) {
		uint64_t ml = m->v[i].iova + m->v[i].len - 1;

		if (m->v[i].iova >= iova && ml <= last) {
			done += m->v[i].len;
			m->v[i] = m->v[--m->n];
		} else {
			i++;
		}
	}
	*out = done;
	return 0;
}

void fake_maps_free(struct fake_maps *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

bool fake_ranges_allow(const struct vfiodev_iova_range *r, size_t n,
		       uint64_t iova, uint64_t len)
{
	uint64_t last = iova + len - 1;

	if (last < iova)
		return false;
	for (size_t i = 0; i < n; i++)
		if (iova >= r[i].start && last <= r[i].last)
			return true;
	return false;
}

bool fake_va_valid(uint64_t va, uint64_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t a = va & ~(page - 1);

	return msync((void *)(uintptr_t)a, len + (va - a), MS_ASYNC) == 0;
}

/* ---- lifetimes --------------------------------------------------------- */

void fake_irq_clear(struct fake_pci *p)
{
	bool any = false;

	for (int i = 0; i < FAKE_NR_IRQS; i++) {
		for (int v = 0; v < FAKE_MAX_VECTORS; v++) {
			any |= p->irqs[i].trigger[v] >= 0;
			p->irqs[i].trigger[v] = -1;
		}
		p->irqs[i].masked = 0;
	}
	if (any)
		fk.implicit.irq_teardowns++;
}

void fake_device_release(struct fake_file *f)
{
	struct fake_pci *p = f->pci;

	if (f->kind == FK_CDEV) {
		if (f->attached) {
			f->attached = NULL;
			fk.implicit.detaches++;
		}
		if (!f->bound)
			return;
		f->bound = false;
		fk.implicit.unbinds++;
		f->ictx->nbound--;
		fake_ictx_put(f->ictx);
		f->ictx = NULL;
	} else {
		f->group->device_fds--;
		fake_file_put(f->gfile);
	}
	/* vfio-pci disables the device's interrupts on its last close */
	if (--p->open_count == 0)
		fake_irq_clear(p);
}

void fake_container_put(struct fake_container *ct)
{
	if (ct->files || ct->ngroups)
		return;
	for (struct fake_container **pp = &fk.cts; *pp; pp = &(*pp)->next) {
		if (*pp == ct) {
			*pp = ct->next;
			break;
		}
	}
	fake_maps_free(&ct->maps);
	free(ct);
}

void fake_group_unset(struct fake_group *g)
{
	struct fake_container *ct = g->container;

	g->container = NULL;
	ct->ngroups--;
	/* the last group out takes the IOMMU driver and its mappings */
	if (!ct->ngroups) {
		ct->iommu = 0;
		fake_maps_free(&ct->maps);
	}
	fake_container_put(ct);
}

void fake_group_release(struct fake_file *f)
{
	struct fake_group *g = f->group;

	g->open = false;
	if (g->container) {
		fk.implicit.group_unsets++;
		fake_group_unset(g);
	}
}

/* ---- device ioctls ----------------------------------------------------- */

struct capbuf {
	uint8_t b[2048];
	size_t len;
	uint32_t first;
	size_t last; /* offset of the last header in b, or SIZE_MAX */
	size_t base; /* where b lands in the caller's buffer */
};

static void *cap_add(struct capbuf *c, uint16_t id, size_t size)
{
	size_t off = (c->len + 7) & ~(size_t)7;
	struct vfio_info_cap_header *h = (void *)(c->b + off);
	uint32_t abs = (uint32_t)(c->base + off);

	memset(h, 0, size);
	h->id = id;
	h->version = 1;
	if (c->last != SIZE_MAX)
		((struct vfio_info_cap_header *)(void *)(c->b + c->last))->next = abs;
	else
		c->first = abs;
	c->last = off;
	c->len = off + size;
	return h;
}

static int region_info(struct fake_pci *p, struct vfio_region_info *info)
{
	struct capbuf c = { .last = SIZE_MAX, .base = sizeof(*info) };
	const uint8_t *caps = c.b;
	struct fake_region *r;
	size_t clen;
	uint32_t first, need;

	if (info->argsz < sizeof(*info) || info->index >= p->num_regions)
		return -EINVAL;
	r = &p->regions[info->index];
	if (r->has_type) {
		struct vfio_region_info_cap_type *t =
			cap_add(&c, VFIO_REGION_INFO_CAP_TYPE, sizeof(*t));

		t->type = r->type;
		t->subtype = r->subtype;
	}
	if (r->msix_mappable)
		cap_add(&c, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
			sizeof(struct vfio_info_cap_header));
	/* last, so that a lying nr_areas runs past the end of the buffer */
	if (r->nr_areas || r->nr_areas_lie) {
		struct vfio_region_info_cap_sparse_mmap *sp =
			cap_add(&c, VFIO_REGION_INFO_CAP_SPARSE_MMAP,
				sizeof(*sp) + r->nr_areas * sizeof(sp->areas[0]));

		sp->nr_areas = r->nr_areas_lie ? r->nr_areas_lie : r->nr_areas;
		for (unsigned int i = 0; i < r->nr_areas; i++) {
			sp->areas[i].offset = r->areas[i].offset;
			sp->areas[i].size = r->areas[i].size;
		}
	}
	clen = c.len;
	first = c.first;
	if (r->raw) {
		caps = r->raw;
		clen = r->raw_len;
		first = r->raw_first;
	}

	info->flags = r->flags;
	info->size = r->size;
	info->offset = FAKE_REGION_OFFSET(info->index);
	info->cap_offset = 0;
	if (!clen)
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
	need = (uint32_t)(sizeof(*info) + clen);
	if (r->grow)
		need = info->argsz + r->grow;
	if (info->argsz < need) {
		info->argsz = need;
		return 0;
	}
	memcpy((uint8_t *)info + sizeof(*info), caps, clen);
	info->cap_offset = first;
	return 0;
}

static int set_irqs(struct fake_pci *p, struct vfio_irq_set *s)
{
	const size_t minsz = offsetofend(struct vfio_irq_set, count);
	uint32_t data = s->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t action = s->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	struct fake_irq *irq;
	size_t size;

	if (s->argsz < minsz || s->index >= p->num_irqs)
		return -EINVAL;
	irq = &p->irqs[s->index];
	if (s->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;
	if (__builtin_popcount(data) != 1 || __builtin_popcount(action) != 1)
		return -EINVAL;
	if (!s->count && !(data == VFIO_IRQ_SET_DATA_NONE &&
			   action == VFIO_IRQ_SET_ACTION_TRIGGER))
		return -EINVAL;
	if (s->start >= irq->count || s->count > irq->count - s->start)
		return -EINVAL;
	size = data == VFIO_IRQ_SET_DATA_EVENTFD ? 4 : data == VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
	if (s->argsz - minsz < size * s->count)
		return -EINVAL;

	if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
		/* vfio-pci masks only INTx */
		if (!(irq->flags & VFIO_IRQ_INFO_MASKABLE))
			return -EINVAL;
		for (uint32_t i = s->start; i < s->start + s->count; i++) {
			if (action == VFIO_IRQ_SET_ACTION_MASK)
				irq->masked |= 1ull << i;
			else
				irq->masked &= ~(1ull << i);
		}
		return 0;
	}
	if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
		const int32_t *fds = (const int32_t *)(void *)s->data;

		for (uint32_t i = 0; i < s->count; i++)
			if (fds[i] < -1 || (fds[i] >= 0 && fcntl(fds[i], F_GETFD) < 0))
				return -EBADF;
		for (uint32_t i = 0; i < s->count; i++)
			irq->trigger[s->start + i] = fds[i];
		return 0;
	}
	if (!s->count) {
		for (int v = 0; v < FAKE_MAX_VECTORS; v++)
			irq->trigger[v] = -1;
		return 0;
	}
	/* loopback: fire the vectors that have an eventfd */
	for (uint32_t i = s->start; i < s->start + s->count; i++) {
		uint64_t one = 1;

		if (irq->trigger[i] >= 0 &&
		    write(irq->trigger[i], &one, sizeof(one)) != sizeof(one))
			return -EIO;
	}
	return 0;
}

static int bind_iommufd(struct fake_file *f, struct vfio_device_bind_iommufd *b)
{
	struct fake_file *ifile;

	if (f->kind != FK_CDEV)
		return -ENOTTY;
	if (b->argsz < offsetofend(struct vfio_device_bind_iommufd, out_devid) ||
	    b->flags)
		return -EINVAL;
	if (f->bound)
		return -EINVAL;
	ifile = fake_file_of(b->iommufd);
	if (!ifile || ifile->kind != FK_IOMMUFD)
		return -EBADF;
	/* a cdev gives access to one opener at a time */
	if (f->pci->open_count)
		return -EBUSY;
	f->bound = true;
	f->ictx = ifile->ictx;
	f->ictx->nbound++;
	f->devid = f->ictx->next_id++;
	f->pci->open_count++;
	b->out_devid = f->devid;
	return 0;
}

static int attach_pt(struct fake_file *f, struct vfio_device_attach_iommufd_pt *a)
{
	if (f->kind != FK_CDEV)
		return -ENOTTY;
	if (!f->bound)
		return -EINVAL;
	if (a->argsz < offsetofend(struct vfio_device_attach_iommufd_pt, pt_id) ||
	    a->flags)
		return -EINVAL;
	for (struct fake_ioas *io = f->ictx->ioas; io; io = io->next) {
		if (io->id == a->pt_id) {
			/* attaching again replaces the page table */
			f->attached = io;
			return 0;
		}
	}
	return -ENOENT;
}

static int device_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_pci *p = f->pci;

	switch (req) {
	case VFIO_DEVICE_BIND_IOMMUFD:
		return bind_iommufd(f, arg);
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return attach_pt(f, arg);
	case VFIO_DEVICE_DETACH_IOMMUFD_PT: {
		struct vfio_device_detach_iommufd_pt *d = arg;

		if (f->kind != FK_CDEV)
			return -ENOTTY;
		if (!f->bound || d->argsz < sizeof(*d) || d->flags)
			return -EINVAL;
		f->attached = NULL;
		return 0;
	}
	}
	/* an unbound cdev grants no access */
	if (f->kind == FK_CDEV && !f->bound)
		return -EINVAL;

	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *info = arg;

		if (info->argsz < offsetofend(struct vfio_device_info, num_irqs))
			return -EINVAL;
		info->flags = p->flags;
		info->num_regions = p->num_regions;
		info->num_irqs = p->num_irqs;
		if (info->argsz >= offsetofend(struct vfio_device_info, cap_offset))
			info->cap_offset = 0;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(p, arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *info = arg;

		if (info->argsz < sizeof(*info) || info->index >= p->num_irqs)
			return -EINVAL;
		info->flags = p->irqs[info->index].flags;
		info->count = p->irqs[info->index].count;
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(p, arg);
	case VFIO_DEVICE_RESET:
		if (!(p->flags & VFIO_DEVICE_FLAGS_RESET))
			return -EINVAL;
		p->resets++;
		return 0;
	}
	return -ENOTTY;
}

/* ---- group ioctls ------------------------------------------------------ */

static int get_device_fd(struct fake_file *gf, const char *bdf)
{
	struct fake_group *g = gf->group;
	struct fake_pci *p;
	struct fake_file *df;
	int fd;

	if (!g->container || !g->container->iommu)
		return -EINVAL;
	p = fake_pci_find(bdf);
	if (!p || p->group != g->id)
		return -ENODEV;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	df = fake_file_new(fd, FK_DEVICE);
	df->pci = p;
	df->group = g;
	df->gfile = gf;
	gf->refs++;
	g->device_fds++;
	p->open_count++;
	return fd;
}

static int group_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_group *g = f->group;

	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = 0;
		if (g->viable)
			st->flags |= VFIO_GROUP_FLAGS_VIABLE;
		if (g->container)
			st->flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		struct fake_file *cf = fake_file_of(*(const int *)arg);
		struct fake_container *ct;

		if (g->container)
			return -EINVAL;
		if (!g->viable)
			return -EPERM;
		if (!cf || cf->kind != FK_CONTAINER)
			return -EBADF;
		ct = cf->ct;
		/* noiommu and IOMMU groups never share a container */
		if (ct->iommu && (ct->iommu == VFIO_NOIOMMU_IOMMU) != g->noiommu)
			return -EPERM;
		g->container = ct;
		ct->ngroups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->container)
			return -EINVAL;
		if (g->device_fds)
			return -EBUSY;
		fake_group_unset(g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		return get_device_fd(f, arg);
	}
	return -ENOTTY;
}

/* ---- container ioctls -------------------------------------------------- */

static bool ext_supported(unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
		return fake_cfg.type1;
	case VFIO_TYPE1v2_IOMMU:
		return fake_cfg.type1v2;
	case VFIO_NOIOMMU_IOMMU:
		return fake_cfg.noiommu;
	}
	return false;
}

static bool container_noiommu_groups(const struct fake_container *ct)
{
	for (struct fake_group *g = fk.groups; g; g = g->next)
		if (g->container == ct)
			return g->noiommu;
	return false;
}

static int type1_info(struct fake_container *ct, struct vfio_iommu_type1_info *info)
{
	struct capbuf c = { .last = SIZE_MAX, .base = sizeof(*info) };
	uint32_t need;

	(void)ct;
	if (info->argsz < offsetofend(struct vfio_iommu_type1_info, iova_pgsizes))
		return -EINVAL;
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = fake_cfg.type1_pgsizes;
	if (info->argsz < offsetofend(struct vfio_iommu_type1_info, cap_offset))
		return 0;
	info->cap_offset = 0;
	/* a capability before the one the library wants, so that it walks */
	{
		struct vfio_iommu_type1_info_dma_avail *av =
			cap_add(&c, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, sizeof(*av));

		av->avail = 65535;
	}
	if (fake_cfg.type1_iova_cap) {
		struct vfio_iommu_type1_info_cap_iova_range *r;
		size_t n = fake_cfg.nr_type1_ranges;

		r = cap_add(&c, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			    sizeof(*r) + n * sizeof(r->iova_ranges[0]));
		r->nr_iovas = (uint32_t)n;
		for (size_t i = 0; i < n; i++) {
			r->iova_ranges[i].start = fake_cfg.type1_ranges[i].start;
			r->iova_ranges[i].end = fake_cfg.type1_ranges[i].last;
		}
	}
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	need = (uint32_t)(sizeof(*info) + c.len);
	if (info->argsz < need) {
		info->argsz = need;
		return 0;
	}
	memcpy((uint8_t *)info + sizeof(*info), c.b, c.len);
	info->cap_offset = c.first;
	return 0;
}

static int map_dma(struct fake_container *ct, struct vfio_iommu_type1_dma_map *m)
{
	uint64_t pg = fake_cfg.type1_pgsizes & -fake_cfg.type1_pgsizes;

	if (!ct->iommu)
		return -EINVAL;
	if (ct->iommu == VFIO_NOIOMMU_IOMMU)
		return -ENOTTY;
	if (m->argsz < offsetofend(struct vfio_iommu_type1_dma_map, size))
		return -EINVAL;
	if (m->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) ||
	    !(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (!m->size || (m->size | m->iova | m->vaddr) & (pg - 1) ||
	    m->iova + m->size - 1 < m->iova)
		return -EINVAL;
	if (fake_cfg.type1_iova_cap &&
	    !fake_ranges_allow(fake_cfg.type1_ranges, fake_cfg.nr_type1_ranges,
			       m->iova, m->size))
		return -EINVAL;
	if (fake_maps_overlap(&ct->maps, m->iova, m->size))
		return -EEXIST;
	if (fake_cfg.dma_entry_limit && ct->maps.n >= fake_cfg.dma_entry_limit)
		return -ENOSPC;
	if (!fake_va_valid(m->vaddr, m->size))
		return -EFAULT;
	return fake_maps_add(&ct->maps, m->iova, m->size, m->vaddr);
}

static int container_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_container *ct = f->ct;
	unsigned long ext = (unsigned long)(uintptr_t)arg;

	switch (req) {
	case VFIO_GET_API_VERSION:
		return fake_cfg.api_version;
	case VFIO_CHECK_EXTENSION:
		return ext_supported(ext) ? 1 : 0;
	case VFIO_SET_IOMMU:
		if (!ct->ngroups)
			return -EINVAL;
		if (ct->iommu)
			return -EBUSY;
		if (!ext_supported(ext))
			return -ENODEV;
		if ((ext == VFIO_NOIOMMU_IOMMU) != container_noiommu_groups(ct))
			return -EINVAL;
		ct->iommu = (int)ext;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		if (!ct->iommu)
			return -EINVAL;
		if (ct->iommu == VFIO_NOIOMMU_IOMMU)
			return -ENOTTY;
		return type1_info(ct, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(ct, arg);
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *u = arg;
		uint64_t done = 0;
		int ret;

		if (!ct->iommu)
			return -EINVAL;
		if (ct->iommu == VFIO_NOIOMMU_IOMMU)
			return -ENOTTY;
		if (u->argsz < offsetofend(struct vfio_iommu_type1_dma_unmap, size) ||
		    u->flags)
			return -EINVAL;
		ret = fake_maps_remove(&ct->maps, u->iova, u->size, &done);
		if (ret)
			return ret;
		u->size = done;
		return 0;
	}
	}
	return -ENOTTY;
}

int fake_vfio_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	switch (f->kind) {
	case FK_CDEV:
	case FK_DEVICE:
		return device_ioctl(f, req, arg);
	case FK_GROUP:
		return group_ioctl(f, req, arg);
	case FK_CONTAINER:
		return container_ioctl(f, req, arg);
	case FK_IOMMUFD:
		break;
	}
	return -ENOTTY;
}

const char *fake_ioctl_name(unsigned long req)
{
	static const struct {
		unsigned long req;
		const char *name;
	} names[] = {
#define N(x) { x, #x }
		N(VFIO_GET_API_VERSION), N(VFIO_CHECK_EXTENSION),
		N(VFIO_SET_IOMMU), N(VFIO_GROUP_GET_STATUS),
		N(VFIO_GROUP_SET_CONTAINER), N(VFIO_GROUP_UNSET_CONTAINER),
		N(VFIO_GROUP_GET_DEVICE_FD), N(VFIO_DEVICE_GET_INFO),
		N(VFIO_DEVICE_GET_REGION_INFO), N(VFIO_DEVICE_GET_IRQ_INFO),
		N(VFIO_DEVICE_SET_IRQS), N(VFIO_DEVICE_RESET),
		N(VFIO_DEVICE_BIND_IOMMUFD), N(VFIO_DEVICE_ATTACH_IOMMUFD_PT),
		N(VFIO_DEVICE_DETACH_IOMMUFD_PT), N(VFIO_IOMMU_GET_INFO),
		N(VFIO_IOMMU_MAP_DMA), N(VFIO_IOMMU_UNMAP_DMA),
		N(IOMMU_DESTROY), N(IOMMU_IOAS_ALLOC), N(IOMMU_IOAS_IOVA_RANGES),
		N(IOMMU_IOAS_MAP), N(IOMMU_IOAS_UNMAP),
#undef N
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].req == req)
			return names[i].name;
	return "(unknown ioctl)";
}
