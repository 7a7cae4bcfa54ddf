// SPDX-License-Identifier: MIT
/*
 * The fake kernel's VFIO devices: the ioctls of a cdev or of a device fd
 * from a group (bind/attach, info, regions with capability chains, IRQs,
 * reset), with the argument checks and lifetimes of the real thing, so
 * that a library that skips a step, passes a short argsz or tears down in
 * the wrong order gets the error a kernel would give. Groups and
 * containers are in fake_container.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

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
		p->irqs[i].enabled = 0;
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
			f->hwpt = NULL;
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
	if (--p->open_count == 0) {
		fake_irq_clear(p);
		/* the core forgets the v2 opt-in; mtty's close ends its
		 * sessions and keeps its migration state */
		fake_mig_close(p);
	}
}

/* ---- device ioctls ----------------------------------------------------- */

/* append a capability to @c, chained after the previous one */
void *fake_cap_add(struct fake_capbuf *c, uint16_t id, size_t size)
{
	/* Linux 6.6+ aligns each capability to 8 bytes; before, they were
	 * packed (fake_cfg.caps_packed), so one may sit at 4 mod 8 */
	size_t a = fake_cfg.caps_packed ? 4 : 8;
	size_t off = (c->len + a - 1) & ~(a - 1);
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
	struct fake_capbuf c = { .last = SIZE_MAX, .base = sizeof(*info) };
	const uint8_t *caps = c.b;
	struct fake_region *r;
	size_t clen;
	uint32_t first, need;

	if (info->argsz < sizeof(*info) || info->index >= p->num_regions)
		return -EINVAL;
	r = &p->regions[info->index];
	if (r->has_type) {
		struct vfio_region_info_cap_type *t =
			fake_cap_add(&c, VFIO_REGION_INFO_CAP_TYPE, sizeof(*t));

		t->type = r->type;
		t->subtype = r->subtype;
	}
	if (r->msix_mappable)
		fake_cap_add(&c, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
			     sizeof(struct vfio_info_cap_header));
	/* last, so that a lying nr_areas runs past the end of the buffer */
	if (r->nr_areas || r->nr_areas_lie) {
		struct vfio_region_info_cap_sparse_mmap *sp =
			fake_cap_add(&c, VFIO_REGION_INFO_CAP_SPARSE_MMAP,
				     sizeof(*sp) +
					     r->nr_areas * sizeof(sp->areas[0]));

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
	info->offset = r->fd_offset ? r->fd_offset :
				      FAKE_REGION_OFFSET(info->index);
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
	size = data == VFIO_IRQ_SET_DATA_EVENTFD ? 4 :
	       data == VFIO_IRQ_SET_DATA_BOOL	 ? 1 :
						   0;
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
		uint32_t end = s->start + s->count;

		/* Linux 6.1's vfio_msi_set_block(): on an enabled index,
		 * "start + count > vdev->num_ctx" is EINVAL before anything
		 * changes; 6.5+ drops NORESIZE where MSI-X can allocate
		 * vectors dynamically, and then the index grows */
		if (irq->enabled && end > irq->enabled &&
		    (irq->flags & VFIO_IRQ_INFO_NORESIZE))
			return -EINVAL;
		if (!irq->enabled && irq->avail && end > irq->avail)
			return (int)irq->avail;
		for (uint32_t i = 0; i < s->count; i++)
			if (fds[i] < -1 ||
			    (fds[i] >= 0 && fcntl(fds[i], F_GETFD) < 0))
				return -EBADF;
		for (uint32_t i = 0; i < s->count; i++)
			irq->trigger[s->start + i] = fds[i];
		if (end > irq->enabled)
			irq->enabled = end;
		return 0;
	}
	if (!s->count) {
		for (int v = 0; v < FAKE_MAX_VECTORS; v++)
			irq->trigger[v] = -1;
		irq->enabled = 0;
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

/* vfio-pci's VF token rule: @tok is NULL when none was given */
int fake_vf_token_check(const struct fake_pci *p, const uint8_t *tok)
{
	if (p->pf)
		return tok && !memcmp(tok, p->pf->vf_token, 16) ? 0 : -EACCES;
	return tok && !p->is_pf ? -EINVAL : 0;
}

static int bind_iommufd(struct fake_file *f, struct vfio_device_bind_iommufd *b)
{
	struct fake_file *ifile;
	const uint8_t *tok = NULL;
	int ret;

	if (f->kind != FK_CDEV)
		return -ENOTTY;
	if (b->argsz < offsetofend(struct vfio_device_bind_iommufd, out_devid))
		return -EINVAL;
	if (b->flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
		if (!fake_cfg.bind_token)
			return -EINVAL; /* before 6.17: no flags at all */
		if (fake_cfg.bind_token_e2big)
			return -E2BIG;
		if (b->argsz < sizeof(*b))
			return -EINVAL;
		tok = (const uint8_t *)(uintptr_t)b->token_uuid_ptr;
	}
	if (b->flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN)
		return -EINVAL;
	/* before 6.17 the cdev path checked no token at all */
	if (fake_cfg.bind_token) {
		ret = fake_vf_token_check(f->pci, tok);
		if (ret)
			return ret;
	}
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
			f->hwpt = NULL;
			return 0;
		}
	}
	{
		struct fake_hwpt *h = fake_hwpt_find(f->ictx, a->pt_id);

		if (h && f->pci->emulated)
			return -ENOENT; /* an access object takes an IOAS */
		if (h) {
			f->attached = h->ioas;
			f->hwpt = h;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- dma-bufs ----------------------------------------------------------
 * A memfd stands in for each dma-buf; the table knows it by inode, so the
 * seam's fstatfs() can answer DMA_BUF_MAGIC, mmap() refuse it as
 * vfio-pci's buffers are refused (no mmap op: EINVAL) and MAP_FILE take it
 * as Linux 6.19's iommufd does. A reset revokes a device's buffers: the
 * IOAS mappings made from them stop reaching the BAR for good */
#define FAKE_MAX_DMABUFS 64
static struct fake_dmabuf dmabufs[FAKE_MAX_DMABUFS];
static size_t nr_dmabufs;

struct fake_dmabuf *fake_dmabuf_of(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	for (size_t i = 0; i < nr_dmabufs; i++)
		if (dmabufs[i].ino == st.st_ino && dmabufs[i].dev == st.st_dev)
			return &dmabufs[i];
	return NULL;
}

static int dmabuf_new(struct fake_pci *p, uint64_t size, uint32_t nr_ranges,
		      bool cloexec)
{
	struct fake_dmabuf *d;
	struct stat st;
	int fd;

	if (nr_dmabufs == FAKE_MAX_DMABUFS)
		return -ENOMEM;
	fd = memfd_create("fake-dmabuf", cloexec ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) || fstat(fd, &st)) {
		close(fd);
		return -EIO;
	}
	d = &dmabufs[nr_dmabufs++];
	*d = (struct fake_dmabuf){ .ino = st.st_ino,
				   .dev = st.st_dev,
				   .fd = fd,
				   .pci = p,
				   .size = size,
				   .nr_ranges = nr_ranges };
	return fd;
}

int fake_dmabuf_foreign(uint64_t size)
{
	int fd = dmabuf_new(NULL, size, 1, true);

	if (fd >= 0)
		dmabufs[nr_dmabufs - 1].foreign = true;
	return fd;
}

/* VFIO_DEVICE_RESET, a memory-decode change: vfio_pci_dma_buf_move();
 * the buffers come back after, the IOAS mappings made from them do not */
static void dmabufs_revoke(const struct fake_pci *p)
{
	for (size_t i = 0; i < nr_dmabufs; i++)
		if (dmabufs[i].pci == p)
			dmabufs[i].generation++;
}

void fake_dmabufs_decode(struct fake_pci *p, bool on)
{
	if (!on && !p->mem_off)
		dmabufs_revoke(p);
	p->mem_off = !on;
	for (size_t i = 0; i < nr_dmabufs; i++)
		if (dmabufs[i].pci == p)
			dmabufs[i].revoked = !on;
}

bool fake_dmabuf_live(const struct fake_dmabuf *d, unsigned int generation)
{
	return d->generation == generation;
}

int fake_dmabufs_open(void)
{
	int n = 0;

	for (size_t i = 0; i < nr_dmabufs; i++) {
		struct stat st;

		if (!fstat(dmabufs[i].fd, &st) && st.st_ino == dmabufs[i].ino &&
		    st.st_dev == dmabufs[i].dev)
			n++;
	}
	return n;
}

void fake_dmabufs_reset(void)
{
	nr_dmabufs = 0;
}

/* Linux 6.19's VFIO_DEVICE_FEATURE_DMA_BUF (fake_cfg.dma_buf): checked as
 * vfio_pci_core_feature_dma_buf() checks it, the buffer's size the
 * ranges' total */
static int dma_buf_get(struct fake_pci *p, struct vfio_device_feature *f)
{
	const struct vfio_device_feature_dma_buf *db = (const void *)f->data;
	uint64_t total = 0;
	int fd;

	if (!fake_cfg.dma_buf)
		return -ENOTTY;
	if (f->argsz < sizeof(*f) + sizeof(*db) ||
	    (f->flags & ~VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_GET)
		return -EINVAL;
	if (!db->nr_ranges || db->flags ||
	    f->argsz < sizeof(*f) + sizeof(*db) +
			       db->nr_ranges * sizeof(db->dma_ranges[0]))
		return -EINVAL;
	if (db->region_index >= VFIO_PCI_ROM_REGION_INDEX ||
	    db->region_index >= p->num_regions || !p->regions[db->region_index].size)
		return -ENODEV;
	for (uint32_t i = 0; i < db->nr_ranges; i++) {
		uint64_t o = db->dma_ranges[i].offset, l = db->dma_ranges[i].length;

		if (!l || (o | l) & 4095 || o + l > p->regions[db->region_index].size)
			return -EINVAL;
		total += l;
	}
	fd = dmabuf_new(p, total, db->nr_ranges, db->open_flags & O_CLOEXEC);
	if (fd >= 0) {
		p->dma_bufs++;
		/* made while decoding is off: revoked from the start */
		dmabufs[nr_dmabufs - 1].revoked = p->mem_off;
	}
	return fd;
}

/* as the kernel's vfio_check_feature(): unsupported access -EINVAL, a
 * short buffer -EINVAL, a probe answers without touching data */
static int device_feature(struct fake_pci *p, struct vfio_device_feature *f)
{
	uint32_t ops, minsz, idx = f->flags & VFIO_DEVICE_FEATURE_MASK;
	uint32_t acc = f->flags &
		       (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET);
	int ret;

	if (f->argsz < sizeof(*f))
		return -EINVAL;
	ret = fake_mig_feature(p, f);
	if (ret != -ENOTTY)
		return ret;
	if (idx == VFIO_DEVICE_FEATURE_DMA_BUF &&
	    !(f->flags & VFIO_DEVICE_FEATURE_PROBE))
		return dma_buf_get(p, f);
	if (idx == VFIO_DEVICE_FEATURE_PCI_VF_TOKEN && p->is_pf) {
		ops = VFIO_DEVICE_FEATURE_SET;
		minsz = 16;
	} else if (idx == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY) {
		ops = VFIO_DEVICE_FEATURE_SET;
		minsz = 0;
	} else if (idx == VFIO_DEVICE_FEATURE_MIGRATION && p->mig_flags) {
		ops = VFIO_DEVICE_FEATURE_GET;
		minsz = 8;
	} else if (idx == VFIO_DEVICE_FEATURE_DMA_BUF && fake_cfg.dma_buf) {
		ops = VFIO_DEVICE_FEATURE_GET;
		minsz = 16;
	} else {
		return -ENOTTY;
	}
	if (!acc || acc & ~ops)
		return -EINVAL;
	if (f->flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (f->argsz < sizeof(*f) + minsz)
		return -EINVAL;
	if (idx == VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)
		memcpy(p->vf_token, f->data, 16);
	else if (idx == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY)
		p->low_power_entries++;
	else
		memcpy(f->data, &p->mig_flags, 8);
	return 0;
}

/* ---- hot reset --------------------------------------------------------- */

/* the devid VFIO_DEVICE_GET_PCI_HOT_RESET_INFO reports for @q to a cdev
 * bound to @c: its own when bound there, OWNED when a device of its group
 * is (the group's DMA ownership), else NOT_OWNED */
static uint32_t peer_devid(const struct fake_ictx *c, const struct fake_pci *q)
{
	uint32_t id = (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;

	for (struct fake_file *g = fk.files; g; g = g->next) {
		if (g->kind != FK_CDEV || !g->bound || g->ictx != c)
			continue;
		if (g->pci == q)
			return g->devid;
		if (q->group >= 0 && g->pci->group == q->group)
			id = VFIO_PCI_DEVID_OWNED;
	}
	return id;
}

static void peer_addr(const struct fake_pci *q, struct vfio_pci_dependent_device *d)
{
	unsigned int seg = 0, bus = 0, dev = 0, fn = 0;

	sscanf(q->bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn);
	d->segment = (uint16_t)seg;
	d->bus = (uint8_t)bus;
	d->devfn = (uint8_t)(dev << 3 | fn);
}

static int hot_reset_info(struct fake_file *f, struct vfio_pci_hot_reset_info *info)
{
	struct fake_pci *p = f->pci;
	bool cdev = f->kind == FK_CDEV;
	uint32_t n = 0;

	if (info->argsz < sizeof(*info))
		return -EINVAL;
	if (!p->reset_bus)
		return -ENODEV;
	for (struct fake_pci *q = fk.pcis; q; q = q->next)
		n += q->reset_bus == p->reset_bus;
	info->flags = cdev ? VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
				      VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED :
			     0;
	if (n > (info->argsz - sizeof(*info)) / sizeof(info->devices[0])) {
		info->count = n;
		return -ENOSPC;
	}
	info->count = 0;
	for (struct fake_pci *q = fk.pcis; q; q = q->next) {
		struct vfio_pci_dependent_device *d;

		if (q->reset_bus != p->reset_bus)
			continue;
		d = &info->devices[info->count++];
		peer_addr(q, d);
		if (!cdev) {
			d->group_id = (uint32_t)q->group;
			continue;
		}
		d->devid = peer_devid(f->ictx, q);
		if (d->devid == (uint32_t)VFIO_PCI_DEVID_NOT_OWNED)
			info->flags &= ~VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	}
	return 0;
}

static int hot_reset(struct fake_file *f, struct vfio_pci_hot_reset *r)
{
	struct fake_pci *p = f->pci;
	bool cdev = f->kind == FK_CDEV;

	if (r->argsz < sizeof(*r) || r->flags)
		return -EINVAL;
	/* a cdev proves ownership through its iommufd, a group device fd
	 * through group fds: one or the other */
	if (!!r->count == cdev)
		return -EINVAL;
	if (r->argsz < sizeof(*r) + r->count * sizeof(r->group_fds[0]))
		return -EINVAL;
	if (!p->reset_bus)
		return -ENODEV;
	for (uint32_t i = 0; i < r->count; i++) {
		struct fake_file *g = fake_file_of(r->group_fds[i]);

		if (!g)
			return -EBADF;
		if (g->kind != FK_GROUP)
			return -EINVAL;
	}
	for (struct fake_pci *q = fk.pcis; q; q = q->next) {
		bool owned = false;

		if (q->reset_bus != p->reset_bus)
			continue;
		if (!q->vfio_driver)
			return -EINVAL; /* not in the dev_set */
		if (cdev)
			owned = peer_devid(f->ictx, q) !=
				(uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
		for (uint32_t i = 0; !cdev && i < r->count; i++)
			owned |= fake_file_of(r->group_fds[i])->group->id == q->group;
		if (!owned)
			return -EINVAL;
	}
	for (struct fake_pci *q = fk.pcis; q; q = q->next)
		if (q->reset_bus == p->reset_bus)
			q->hot_resets++;
	return 0;
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
		f->hwpt = NULL;
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
		/* a migration driver takes it without the flag (mtty) */
		if (!(p->flags & VFIO_DEVICE_FLAGS_RESET) && !p->mig_flags)
			return -EINVAL;
		p->resets++;
		dmabufs_revoke(p);
		fake_mig_reset(p);
		return 0;
	case VFIO_DEVICE_FEATURE:
		return device_feature(p, arg);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return hot_reset_info(f, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return hot_reset(f, arg);
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
		return fake_group_ioctl(f, req, arg);
	case FK_CONTAINER:
		return fake_container_ioctl(f, req, arg);
	case FK_MIG:
		return fake_mig_fd_ioctl(f, req, arg);
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
		N(VFIO_GET_API_VERSION),
		N(VFIO_CHECK_EXTENSION),
		N(VFIO_SET_IOMMU),
		N(VFIO_GROUP_GET_STATUS),
		N(VFIO_GROUP_SET_CONTAINER),
		N(VFIO_GROUP_UNSET_CONTAINER),
		N(VFIO_GROUP_GET_DEVICE_FD),
		N(VFIO_DEVICE_GET_INFO),
		N(VFIO_DEVICE_GET_REGION_INFO),
		N(VFIO_DEVICE_GET_IRQ_INFO),
		N(VFIO_DEVICE_SET_IRQS),
		N(VFIO_DEVICE_RESET),
		N(VFIO_DEVICE_FEATURE),
		N(VFIO_MIG_GET_PRECOPY_INFO),
		N(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO),
		N(VFIO_DEVICE_PCI_HOT_RESET),
		N(VFIO_DEVICE_BIND_IOMMUFD),
		N(VFIO_DEVICE_ATTACH_IOMMUFD_PT),
		N(VFIO_DEVICE_DETACH_IOMMUFD_PT),
		N(VFIO_IOMMU_GET_INFO),
		N(VFIO_IOMMU_MAP_DMA),
		N(VFIO_IOMMU_UNMAP_DMA),
		N(IOMMU_DESTROY),
		N(IOMMU_IOAS_ALLOC),
		N(IOMMU_IOAS_IOVA_RANGES),
		N(IOMMU_IOAS_MAP),
		N(IOMMU_IOAS_MAP_FILE),
		N(IOMMU_IOAS_COPY),
		N(IOMMU_IOAS_CHANGE_PROCESS),
		N(IOMMU_GET_HW_INFO),
		N(IOMMU_HWPT_ALLOC),
		N(IOMMU_HWPT_SET_DIRTY_TRACKING),
		N(IOMMU_HWPT_GET_DIRTY_BITMAP),
		N(VFIO_IOMMU_DIRTY_PAGES),
		N(IOMMU_IOAS_UNMAP),
#undef N
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].req == req)
			return names[i].name;
	return "(unknown ioctl)";
}
