// SPDX-License-Identifier: MIT
/*
 * The fake kernel's migration driver: VFIO_DEVICE_FEATURE's migration
 * features for a device with mig_flags, its data fds, and DMA logging.
 *
 * The driver takes one arc per SET (the arcs linux/vfio.h lists for its
 * flags); anything else is -EINVAL, so a test sees the library walk. Its
 * stream: "FAKEMIG1", then records of [type, offset, length, sum] and
 * @length bytes of the registers at @offset; type 2 ends the stream with
 * the sum of all registers. Pre-copy streams the first half, and the
 * second half again when it was dirtied; STOP_COPY all of it and the end.
 * Resuming checks the magic as it comes and the whole stream when the
 * device leaves RESUMING.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

#define MAGIC "FAKEMIG1"
#define STREAM_MAX 4096
#define REC_DATA 1
#define REC_END 2

struct fake_migf {
	struct fake_pci *p;
	bool saving;
	bool disabled;
	uint8_t buf[STREAM_MAX];
	size_t filled, pos;
};

static int nr_files;

int fake_mig_files(void)
{
	return nr_files;
}

enum {
	ST_ERROR,
	ST_STOP,
	ST_RUNNING,
	ST_STOP_COPY,
	ST_RESUMING,
	ST_RP2P,
	ST_PC,
	ST_PCP2P
};
#define P2P VFIO_MIGRATION_P2P
#define PRE VFIO_MIGRATION_PRE_COPY

/* the single arcs: @need flags present, @without absent */
static const struct {
	uint8_t from, to, need, without;
} arc_list[] = {
	{ ST_STOP, ST_RESUMING, 0, 0 },
	{ ST_RESUMING, ST_STOP, 0, 0 },
	{ ST_STOP, ST_STOP_COPY, 0, 0 },
	{ ST_STOP_COPY, ST_STOP, 0, 0 },
	{ ST_RUNNING, ST_STOP, 0, P2P },
	{ ST_STOP, ST_RUNNING, 0, P2P },
	{ ST_RUNNING, ST_RP2P, P2P, 0 },
	{ ST_RP2P, ST_RUNNING, P2P, 0 },
	{ ST_RP2P, ST_STOP, P2P, 0 },
	{ ST_STOP, ST_RP2P, P2P, 0 },
	{ ST_RUNNING, ST_PC, PRE, 0 },
	{ ST_PC, ST_RUNNING, PRE, 0 },
	{ ST_PC, ST_STOP_COPY, PRE, P2P },
	{ ST_PC, ST_PCP2P, PRE | P2P, 0 },
	{ ST_PCP2P, ST_PC, PRE | P2P, 0 },
	{ ST_PCP2P, ST_RP2P, PRE | P2P, 0 },
	{ ST_PCP2P, ST_STOP_COPY, PRE | P2P, 0 },
	{ ST_RP2P, ST_PCP2P, PRE | P2P, 0 },
};

static bool is_arc(uint64_t flags, uint32_t from, uint32_t to)
{
	for (size_t i = 0; i < ARRAY_SIZE(arc_list); i++)
		if (arc_list[i].from == from && arc_list[i].to == to &&
		    (flags & arc_list[i].need) == arc_list[i].need &&
		    !(flags & arc_list[i].without))
			return true;
	return false;
}

static uint8_t regs_sum(const uint8_t *r)
{
	unsigned int s = 0;

	for (int i = 0; i < FAKE_MIG_REGS; i++)
		s += r[i];
	return (uint8_t)s;
}

static void put(struct fake_migf *m, const void *b, size_t n)
{
	if (m->filled + n > STREAM_MAX)
		abort();
	memcpy(m->buf + m->filled, b, n);
	m->filled += n;
}

static void put_rec(struct fake_migf *m, const uint8_t *regs, uint8_t off,
		    uint8_t len)
{
	uint8_t h[4] = { REC_DATA, off, len, 0 };

	put(m, h, 4);
	put(m, regs + off, len);
}

static void put_end(struct fake_migf *m, const uint8_t *regs)
{
	uint8_t h[4] = { REC_END, 0, 0, regs_sum(regs) };

	put(m, h, 4);
}

/* a data fd of a new session: a memfd, served by the fake */
static int migf_new(struct fake_pci *p, bool saving, struct fake_migf **out)
{
	struct fake_migf *m = calloc(1, sizeof(*m));
	struct fake_file *f;
	int fd;

	if (!m)
		return -ENOMEM;
	fd = memfd_create("fake-mig", MFD_CLOEXEC);
	if (fd < 0) {
		free(m);
		return -errno;
	}
	m->p = p;
	m->saving = saving;
	f = fake_file_new(fd, FK_MIG);
	f->pci = p;
	f->migf = m;
	nr_files++;
	*out = m;
	return fd;
}

static void migf_disable(struct fake_migf **slot)
{
	if (*slot) {
		(*slot)->disabled = true;
		(*slot)->p = NULL;
		*slot = NULL;
	}
}

void fake_mig_release(struct fake_file *f)
{
	struct fake_migf *m = f->migf;

	if (m->p && m->p->mig.saving == m)
		m->p->mig.saving = NULL;
	if (m->p && m->p->mig.resuming == m)
		m->p->mig.resuming = NULL;
	free(m);
	nr_files--;
}

/* the resumed stream, whole: 0 and the registers, or -EINVAL */
static int parse(const struct fake_migf *m, uint8_t *regs)
{
	size_t o = 8;

	if (m->filled < 8 || memcmp(m->buf, MAGIC, 8))
		return -EINVAL;
	while (o + 4 <= m->filled) {
		const uint8_t *h = m->buf + o;

		if (h[0] == REC_END)
			return o + 4 == m->filled && h[3] == regs_sum(regs) ?
				       0 :
				       -EINVAL;
		if (h[0] != REC_DATA || h[1] + h[2] > FAKE_MIG_REGS ||
		    o + 4 + h[2] > m->filled)
			return -EINVAL;
		memcpy(regs + h[1], h + 4, h[2]);
		o += 4 + (size_t)h[2];
	}
	return -EINVAL; /* no end record */
}

/* one arc's work: the data fd it opens (or -1), or -errno */
static int arc_do(struct fake_pci *p, uint32_t from, uint32_t to)
{
	struct fake_mig *g = &p->mig;
	struct fake_migf *m;
	int fd;

	if ((from == ST_RUNNING && to == ST_PC) ||
	    (from == ST_RP2P && to == ST_PCP2P)) {
		fd = migf_new(p, true, &m);
		if (fd < 0)
			return fd;
		put(m, MAGIC, 8);
		put_rec(m, g->regs, 0, FAKE_MIG_REGS / 2);
		g->saving = m;
		return fd;
	}
	if (to == ST_STOP_COPY) {
		if (from == ST_STOP) {
			fd = migf_new(p, true, &m);
			if (fd < 0)
				return fd;
			put(m, MAGIC, 8);
			g->saving = m;
		} else {
			fd = -1; /* the pre-copy session goes on */
			m = g->saving;
		}
		put_rec(m, g->regs, 0, FAKE_MIG_REGS);
		put_end(m, g->regs);
		return fd;
	}
	if (from == ST_STOP && to == ST_RESUMING) {
		fd = migf_new(p, false, &m);
		if (fd >= 0)
			g->resuming = m;
		return fd;
	}
	if (from == ST_RESUMING && to == ST_STOP) {
		uint8_t regs[FAKE_MIG_REGS];
		int ret;

		memcpy(regs, g->regs, sizeof(regs));
		ret = g->resuming ? parse(g->resuming, regs) : -EINVAL;
		if (ret)
			return ret;
		memcpy(g->regs, regs, sizeof(regs));
		migf_disable(&g->resuming);
		return -1;
	}
	if ((from == ST_PC && to == ST_RUNNING) ||
	    (from == ST_PCP2P && to == ST_RP2P) ||
	    (from == ST_STOP_COPY && to == ST_STOP))
		migf_disable(&g->saving);
	return -1;
}

static int state_set(struct fake_pci *p, struct vfio_device_feature_mig_state *s)
{
	struct fake_mig *g = &p->mig;
	uint32_t from = g->state, to = s->device_state;
	int fd;

	s->data_fd = -1;
	if (to == from)
		return 0;
	if (!is_arc(p->mig_flags, from, to))
		return -EINVAL;
	if (g->fail_arc && g->fail_from == from && g->fail_to == to) {
		if (g->fail_to_error)
			g->state = ST_ERROR;
		return -g->fail_err;
	}
	fd = arc_do(p, from, to);
	if (fd < -1) {
		if (from == ST_RESUMING && g->load_error)
			g->state = ST_ERROR;
		return fd;
	}
	g->state = to;
	g->arcs++;
	if (fd < 0 && g->fd_every_arc) {
		struct fake_migf *m;

		fd = migf_new(p, true, &m);
		m->disabled = true;
	}
	s->data_fd = fd;
	return 0;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int log_start(struct fake_mig *g,
		     struct vfio_device_feature_dma_logging_control *c)
{
	const struct vfio_device_feature_dma_logging_range *r =
		(const void *)(uintptr_t)c->ranges;
	uint32_t max = g->log_max_ranges ? g->log_max_ranges : 256;

	if (!c->num_ranges)
		return -EINVAL;
	if (c->num_ranges > max)
		return -E2BIG;
	for (uint32_t i = 0; i < c->num_ranges; i++) {
		if (!c->page_size || r[i].iova % c->page_size ||
		    r[i].length % c->page_size)
			return -EINVAL;
		if (r[i].iova + r[i].length < r[i].iova)
			return -EOVERFLOW;
		for (uint32_t j = 0; j < i; j++)
			if (r[i].iova < r[j].iova + r[j].length &&
			    r[j].iova < r[i].iova + r[i].length)
				return -EINVAL;
	}
	if (g->logging)
		return -EBUSY;
	g->logging = true;
	g->log_nr_ranges = c->num_ranges;
	g->nr_written = 0;
	c->page_size = g->log_pgsize ? g->log_pgsize : 4096;
	return 0;
}

static int log_report(struct fake_mig *g,
		      struct vfio_device_feature_dma_logging_report *r)
{
	uint64_t *bm = (uint64_t *)(uintptr_t)r->bitmap;
	unsigned int keep = 0;

	if (!g->logging)
		return -EINVAL;
	if (r->page_size < 4096 || !pow2(r->page_size))
		return -EINVAL;
	if (r->iova + r->length < r->iova)
		return -EOVERFLOW;
	for (unsigned int i = 0; i < g->nr_written; i++) {
		uint64_t a = g->written[i].iova, e = a + g->written[i].len;

		if (e <= r->iova || a >= r->iova + r->length) {
			g->written[keep++] = g->written[i];
			continue;
		}
		if (a < r->iova)
			a = r->iova;
		if (e > r->iova + r->length)
			e = r->iova + r->length;
		for (uint64_t pg = (a - r->iova) / r->page_size;
		     pg <= (e - 1 - r->iova) / r->page_size; pg++)
			bm[pg / 64] |= 1ull << (pg % 64);
	}
	g->nr_written = keep;
	return 0;
}

void fake_mig_dma_write(struct fake_pci *p, uint64_t iova, uint64_t len)
{
	struct fake_mig *g = &p->mig;

	if (g->logging && g->nr_written < FAKE_MIG_DIRTY) {
		g->written[g->nr_written].iova = iova;
		g->written[g->nr_written].len = len;
		g->nr_written++;
	}
}

/* as vfio_check_feature(): @ops the accesses offered, @minsz the data */
static int check(const struct vfio_device_feature *f, uint32_t ops, size_t minsz)
{
	uint32_t acc = f->flags &
		       (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET);

	if (!acc || acc & ~ops)
		return -EINVAL;
	if (f->flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (f->argsz < sizeof(*f) + minsz)
		return -EINVAL;
	return 1;
}

int fake_mig_feature(struct fake_pci *p, struct vfio_device_feature *f)
{
	struct fake_mig *g = &p->mig;
	uint32_t idx = f->flags & VFIO_DEVICE_FEATURE_MASK;
	int ret;

	switch (idx) {
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: {
		struct vfio_device_feature_mig_state *s = (void *)f->data;

		if (!p->mig_flags)
			return -ENOTTY;
		ret = check(f, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET,
			    sizeof(*s));
		if (ret != 1)
			return ret;
		if (f->flags & VFIO_DEVICE_FEATURE_GET) {
			s->device_state = g->state;
			s->data_fd = -1;
			return 0;
		}
		return state_set(p, s);
	}
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: {
		/* a fresh STOP_COPY stream: magic, every register, the end */
		uint64_t len = 8 + 4 + FAKE_MIG_REGS + 4;

		if (!p->mig_flags || g->no_data_size)
			return -ENOTTY;
		ret = check(f, VFIO_DEVICE_FEATURE_GET, 8);
		if (ret != 1)
			return ret;
		memcpy(f->data, &len, 8);
		return 0;
	}
	case VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2:
		if (!p->mig_flags || !g->v2_feature)
			return -ENOTTY;
		/* 7.3 checks the device's PRE_COPY before the access */
		if (!(p->mig_flags & VFIO_MIGRATION_PRE_COPY))
			return -EINVAL;
		ret = check(f, VFIO_DEVICE_FEATURE_SET, 0);
		if (ret != 1)
			return ret;
		g->precopy_v2 = true;
		return 0;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		if (!g->dma_log)
			return -ENOTTY;
		ret = check(f, VFIO_DEVICE_FEATURE_SET,
			    sizeof(struct vfio_device_feature_dma_logging_control));
		if (ret != 1)
			return ret;
		return log_start(g, (void *)f->data);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
		if (!g->dma_log)
			return -ENOTTY;
		ret = check(f, VFIO_DEVICE_FEATURE_SET, 0);
		if (ret != 1)
			return ret;
		if (!g->logging)
			return -EINVAL;
		g->logging = false;
		return 0;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		if (!g->dma_log)
			return -ENOTTY;
		ret = check(f, VFIO_DEVICE_FEATURE_GET,
			    sizeof(struct vfio_device_feature_dma_logging_report));
		if (ret != 1)
			return ret;
		return log_report(g, (void *)f->data);
	}
	return -ENOTTY;
}

static bool precopy(const struct fake_pci *p)
{
	return p && (p->mig.state == ST_PC || p->mig.state == ST_PCP2P);
}

int fake_mig_fd_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_migf *m = f->migf;
	struct vfio_precopy_info *info = arg;

	if (req != VFIO_MIG_GET_PRECOPY_INFO || !m->saving)
		return -ENOTTY;
	if (info->argsz < offsetofend(struct vfio_precopy_info, dirty_bytes))
		return -EINVAL;
	if (m->disabled)
		return -ENODEV;
	if (!precopy(m->p))
		return -EINVAL;
	if (m->p->mig.precopy_v2)
		info->flags = 0; /* v1 hands back what it was given */
	if (m->p->mig.reinit) {
		m->p->mig.reinit = false;
		put_rec(m, m->p->mig.regs, 0, FAKE_MIG_REGS / 2);
		if (m->p->mig.precopy_v2)
			info->flags |= VFIO_PRECOPY_INFO_REINIT;
	}
	info->initial_bytes = m->filled - m->pos;
	info->dirty_bytes = m->p->mig.dirty ? 4 + FAKE_MIG_REGS / 2 : 0;
	return 0;
}

/* the injected slowness and failures of one read or write */
static ssize_t io_limit(struct fake_migf *m, size_t *len)
{
	struct fake_mig *g;

	if (m->disabled)
		return -ENODEV;
	g = &m->p->mig;
	if (g->eintr) {
		g->eintr--;
		return -EINTR;
	}
	if (g->enomem_above && *len > g->enomem_above)
		return -ENOMEM;
	if (g->io_max && *len > g->io_max)
		*len = g->io_max;
	return 0;
}

ssize_t fake_mig_read(struct fake_file *f, void *buf, size_t len)
{
	struct fake_migf *m = f->migf;
	ssize_t ret;

	if (!m->saving)
		return -EBADF;
	ret = io_limit(m, &len);
	if (ret)
		return ret;
	if (m->pos == m->filled && precopy(m->p)) {
		if (!m->p->mig.dirty)
			return m->p->mig.eof_zero ? 0 : -ENOMSG;
		m->p->mig.dirty = false;
		put_rec(m, m->p->mig.regs, FAKE_MIG_REGS / 2, FAKE_MIG_REGS / 2);
	}
	if (len > m->filled - m->pos)
		len = m->filled - m->pos;
	memcpy(buf, m->buf + m->pos, len);
	m->pos += len;
	return (ssize_t)len;
}

ssize_t fake_mig_write(struct fake_file *f, const void *buf, size_t len)
{
	struct fake_migf *m = f->migf;
	ssize_t ret;

	if (m->saving)
		return -EBADF;
	ret = io_limit(m, &len);
	if (ret)
		return ret;
	if (len > STREAM_MAX - m->filled)
		return -ENOMEM; /* more than the device's state, as mtty */
	memcpy(m->buf + m->filled, buf, len);
	if (m->filled < 8 && m->filled + len >= 8 && memcmp(m->buf, MAGIC, 8))
		return -EINVAL; /* not this device's stream */
	m->filled += len;
	return (ssize_t)len;
}

void fake_mig_reset(struct fake_pci *p)
{
	p->mig.state = ST_RUNNING;
	migf_disable(&p->mig.saving);
	migf_disable(&p->mig.resuming);
}

void fake_mig_close(struct fake_pci *p)
{
	migf_disable(&p->mig.saving);
	migf_disable(&p->mig.resuming);
	p->mig.precopy_v2 = false;
}
