// SPDX-License-Identifier: MIT
/*
 * The fake kernel's core: the fd table, the syscall table the library is
 * pointed at, fault injection, and accounting of live kernel objects. The
 * world's lifetime, logs and fixtures are in fake_world.c, the trees in
 * fake_tree.c, the ioctls in fake_vfio.c, fake_container.c and
 * fake_iommufd.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

#define FAKE_MAX_FD 4096

static struct fake_file *fdtab[FAKE_MAX_FD];

struct mmap_rec {
	uintptr_t addr;
	size_t len;
};

static struct mmap_rec *mrecs;
static size_t nr_mrecs, cap_mrecs;

/* fault injection state */
static struct {
	unsigned long calls;
	unsigned long eligible;
	unsigned long nth;
	int err;
	bool fired;
	char desc[512];
	struct {
		unsigned long req;
		int err;
		unsigned int skip;
	} ioctls[8];
	char open_suffix[128];
	int open_err;
	struct {
		unsigned long req;
		unsigned int n;
	} counts[64];
} fi;

static void die(const char *what)
{
	perror(what);
	abort();
}

/* ---- files ------------------------------------------------------------- */

struct fake_file *fake_file_of(int fd)
{
	return fd >= 0 && fd < FAKE_MAX_FD ? fdtab[fd] : NULL;
}

struct fake_file *fake_file_new(int fd, enum fake_kind kind)
{
	struct fake_file *f = calloc(1, sizeof(*f));

	if (!f)
		die("calloc");
	f->kind = kind;
	f->refs = 1;
	f->next = fk.files;
	fk.files = f;
	fdtab[fd] = f;
	return f;
}

static void file_unlink(struct fake_file *f)
{
	for (struct fake_file **pp = &fk.files; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			return;
		}
	}
}

void fake_file_put(struct fake_file *f)
{
	if (--f->refs)
		return;
	switch (f->kind) {
	case FK_CDEV:
	case FK_DEVICE:
		fake_device_release(f);
		break;
	case FK_GROUP:
		fake_group_release(f);
		break;
	case FK_CONTAINER:
		f->ct->files--;
		fake_container_put(f->ct);
		break;
	case FK_IOMMUFD:
		f->ictx->files--;
		fake_ictx_put(f->ictx);
		break;
	case FK_MIG:
		fake_mig_release(f);
		break;
	}
	file_unlink(f);
	free(f);
}

static void fd_drop(int fd)
{
	struct fake_file *f = fake_file_of(fd);

	if (!f)
		return;
	fdtab[fd] = NULL;
	fake_file_put(f);
}

/* ---- fault injection --------------------------------------------------- */

unsigned long fake_calls(void)
{
	return fi.calls;
}

void fake_fail_nth(unsigned long n, int err)
{
	fi.nth = n;
	fi.err = err;
	fi.eligible = 0;
	fi.fired = false;
	fi.desc[0] = '\0';
}

bool fake_fault_fired(void)
{
	return fi.fired;
}

const char *fake_fault_desc(void)
{
	return fi.desc;
}

void fake_fail_ioctl(unsigned long req, int err, unsigned int skip)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fi.ioctls); i++)
		if (fi.ioctls[i].req == req || !fi.ioctls[i].req)
			break;
	if (i == ARRAY_SIZE(fi.ioctls))
		abort();
	fi.ioctls[i].req = err ? req : 0;
	fi.ioctls[i].err = err;
	fi.ioctls[i].skip = skip;
}

void fake_fail_open(const char *suffix, int err)
{
	snprintf(fi.open_suffix, sizeof(fi.open_suffix), "%s", suffix ? suffix : "");
	fi.open_err = suffix ? err : 0;
}

/* every seam call passes here; true when this one must fail */
static bool fault_now(void)
{
	fi.calls++;
	if (!fi.nth)
		return false;
	return ++fi.eligible == fi.nth;
}

static int fault_fire(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fault_fire(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fi.desc, sizeof(fi.desc), fmt, ap);
	va_end(ap);
	fi.fired = true;
	fi.nth = 0;
	return -fi.err;
}

static void count_ioctl(unsigned long req)
{
	for (size_t i = 0; i < ARRAY_SIZE(fi.counts); i++) {
		if (fi.counts[i].req == req || !fi.counts[i].req) {
			fi.counts[i].req = req;
			fi.counts[i].n++;
			return;
		}
	}
}

unsigned int fake_ioctl_count(unsigned long req)
{
	for (size_t i = 0; i < ARRAY_SIZE(fi.counts); i++)
		if (fi.counts[i].req == req)
			return fi.counts[i].n;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), sl = strlen(suffix);

	return sl && l >= sl && !strcmp(s + l - sl, suffix);
}

/* ---- the seam ---------------------------------------------------------- */

static struct {
	char suffix[128];
	void (*fn)(void *);
	void *arg;
} open_hook;

/* O_PATH fds of fake nodes: what they name, for fstat and reopening */
static struct fake_node *path_nodes[FAKE_MAX_FD];

void fake_on_open(const char *suffix, void (*fn)(void *), void *arg)
{
	snprintf(open_hook.suffix, sizeof(open_hook.suffix), "%s", suffix);
	open_hook.arg = arg;
	open_hook.fn = fn;
}

static int f_open(const char *path, int flags)
{
	struct fake_node *n;
	struct fake_file *f;
	struct fake_group *g = NULL;
	int fd;

	if (fault_now())
		return fault_fire("open %s", path);
	if (fi.open_err && ends_with(path, fi.open_suffix))
		return -fi.open_err;
	/* a reopen of an O_PATH fd: the node that fd names in this thread's
	 * table (thread-self), or in the leader's (self) */
	if (!strncmp(path, "/proc/", 6) &&
	    (fake_cfg.no_proc || (fake_cfg.no_thread_self &&
				  !strncmp(path, "/proc/thread-self/", 18))))
		return -ENOENT;
	if (!strncmp(path, "/proc/self/fd/", 14) && fake_cfg.leader_fd_node)
		path = fake_path("%s", fake_cfg.leader_fd_node);
	else if (!strncmp(path, "/proc/self/fd/", 14) ||
		 !strncmp(path, "/proc/thread-self/fd/", 21)) {
		long pfd = strtol(strchr(path + 6, '/') + 4, NULL, 10);

		if (fake_cfg.reopen_node)
			path = fake_path("%s", fake_cfg.reopen_node);
		else if (pfd >= 0 && pfd < FAKE_MAX_FD && path_nodes[pfd])
			path = path_nodes[pfd]->path;
	}
	n = fake_node_lookup(path);
	if (flags & O_PATH) {
		/* no device open: only a name to fstat (and reopen) */
		fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fd >= FAKE_MAX_FD) {
			close(fd);
			return -EMFILE;
		}
		path_nodes[fd] = n;
		return fd;
	}
	if (!n) {
		fd = open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	n->opens++;
	if (n->kind == FK_GROUP) {
		g = fake_group_get(n->group);
		if (g->open)
			return -EBUSY;
		/* a cdev bound to iommufd blocks its group
		 * (vfio_device_block_group) */
		for (struct fake_file *o = fk.files; o; o = o->next)
			if (o->kind == FK_CDEV && o->bound && o->pci &&
			    o->pci->group == n->group)
				return -EBUSY;
	}
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fd >= FAKE_MAX_FD) {
		close(fd);
		return -EMFILE;
	}
	f = fake_file_new(fd, n->kind);
	f->rdev = n->rdev;
	switch (n->kind) {
	case FK_CDEV:
		f->pci = n->pci;
		break;
	case FK_GROUP:
		f->group = g;
		g->open = true;
		break;
	case FK_CONTAINER:
		f->ct = calloc(1, sizeof(*f->ct));
		if (!f->ct)
			die("calloc");
		f->ct->files = 1;
		f->ct->next = fk.cts;
		fk.cts = f->ct;
		break;
	case FK_IOMMUFD:
		f->ictx = calloc(1, sizeof(*f->ictx));
		if (!f->ictx)
			die("calloc");
		f->ictx->files = 1;
		f->ictx->next_id = 1;
		f->ictx->next = fk.ictxs;
		fk.ictxs = f->ictx;
		break;
	case FK_DEVICE:
	case FK_MIG: /* no node: made by a state change */
		break;
	}
	return fd;
}

/* a duplicate shares the open file, as the kernel's do */
static int f_dupfd(int fd)
{
	struct fake_file *f = fake_file_of(fd);
	int r;

	if (fault_now())
		return fault_fire("dup fd %d", fd);
	r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r < 0)
		return -errno;
	if (r >= FAKE_MAX_FD) {
		close(r);
		return -EMFILE;
	}
	if (f) {
		fdtab[r] = f;
		f->refs++;
	}
	return r;
}

/* as on Linux, the fd is gone even when close reports an error */
static int f_close(int fd)
{
	int inj = 0, r;

	if (fault_now())
		inj = fault_fire("close fd %d%s", fd,
				 fake_file_of(fd) ? " (a node)" : "");
	fd_drop(fd);
	if (fd >= 0 && fd < FAKE_MAX_FD)
		path_nodes[fd] = NULL;
	r = close(fd);
	if (inj)
		return inj;
	return r < 0 ? -errno : 0;
}

static int f_ioctl(int fd, unsigned long req, void *arg)
{
	struct fake_file *f;

	count_ioctl(req);
	if (fault_now())
		return fault_fire("ioctl %s on fd %d", fake_ioctl_name(req), fd);
	for (size_t i = 0; i < ARRAY_SIZE(fi.ioctls); i++) {
		if (!fi.ioctls[i].req || fi.ioctls[i].req != req)
			continue;
		if (fi.ioctls[i].skip) {
			fi.ioctls[i].skip--;
			break;
		}
		return -fi.ioctls[i].err;
	}
	f = fake_file_of(fd);
	/* an O_PATH fd takes no ioctl (EBADF), as in the kernel */
	if (!f && fd >= 0 && fd < FAKE_MAX_FD && path_nodes[fd])
		return -EBADF;
	if (!f)
		return fcntl(fd, F_GETFD) < 0 ? -EBADF : -ENOTTY;
	if (f->kind == FK_IOMMUFD)
		return fake_iommufd_ioctl(f, req, arg);
	return fake_vfio_ioctl(f, req, arg);
}

static int f_fstat(int fd, struct stat *st)
{
	struct fake_file *f = fake_file_of(fd);
	struct fake_node *pn = fd >= 0 && fd < FAKE_MAX_FD ? path_nodes[fd] : NULL;

	/* a plain file (a sysfs attribute) or a fake device node */
	if (fault_now())
		return fault_fire(f || pn ? "fstat fd %d" : "fstat file fd %d", fd);
	if (pn) {
		/* an O_PATH fd of a node: its number, as the kernel shows */
		if (fstat(fd, st) < 0)
			return -errno;
		st->st_mode = S_IFCHR | 0600;
		st->st_rdev = pn->rdev;
		return 0;
	}
	if (!f)
		return fstat(fd, st) < 0 ? -errno : 0;
	/* the backing file's identity (st_dev, st_ino), a device's type */
	if (fstat(fd, st) < 0)
		memset(st, 0, sizeof(*st));
	/* a device fd from a group is an anonymous inode: no type bits */
	st->st_mode = f->kind == FK_DEVICE ? 0600 : S_IFCHR | 0600;
	st->st_rdev = f->rdev;
	st->st_nlink = 1;
	return 0;
}

static ssize_t f_read(int fd, void *buf, size_t len)
{
	struct fake_file *f = fake_file_of(fd);
	ssize_t n;

	if (fault_now())
		return fault_fire("read fd %d", fd);
	if (f && f->kind == FK_MIG)
		return fake_mig_read(f, buf, len);
	n = read(fd, buf, len);
	return n < 0 ? -errno : n;
}

static ssize_t f_write(int fd, const void *buf, size_t len)
{
	struct fake_file *f = fake_file_of(fd);
	ssize_t n;

	if (fault_now())
		return fault_fire("write fd %d", fd);
	if (f && f->kind == FK_MIG)
		return fake_mig_write(f, buf, len);
	n = fake_mdev_write(fd, buf, len);
	if (n != -ENOTTY)
		return n;
	n = write(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* region access through a device fd: offset bits 40+ pick the region */
static ssize_t region_io(struct fake_file *f, void *buf, size_t len, off_t off,
			 bool wr)
{
	uint64_t idx = (uint64_t)off >> 40;
	uint64_t roff = (uint64_t)off & ((1ull << 40) - 1);
	struct fake_region *r;
	size_t n;

	if (f->kind == FK_CDEV && !f->bound)
		return -EINVAL;
	if (f->kind != FK_CDEV && f->kind != FK_DEVICE)
		return -EINVAL;
	if (idx >= f->pci->num_regions)
		return -EINVAL;
	r = &f->pci->regions[idx];
	if (!(r->flags &
	      (wr ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ)))
		return -EINVAL;
	if (roff >= r->size)
		return -EINVAL;
	n = len;
	if (n > r->size - roff)
		n = (size_t)(r->size - roff);
	if (r->short_io && n > r->short_io)
		n = r->short_io;
	if (!r->mem) {
		r->mem = calloc(1, 65536);
		if (!r->mem)
			die("calloc");
	}
	for (size_t i = 0; i < n; i++) {
		if (roff + i >= 65536) {
			if (!wr)
				((uint8_t *)buf)[i] = 0;
			continue;
		}
		if (wr)
			r->mem[roff + i] = ((const uint8_t *)buf)[i];
		else
			((uint8_t *)buf)[i] = r->mem[roff + i];
	}
	/* vfio-pci's memory-decode changes move the device's dma-bufs */
	if (wr && idx == VFIO_PCI_CONFIG_REGION_INDEX && roff <= 4 && roff + n > 4)
		fake_dmabufs_decode(f->pci, r->mem[4] & 0x2);
	return (ssize_t)n;
}

static ssize_t f_pread(int fd, void *buf, size_t len, off_t off)
{
	struct fake_file *f;
	ssize_t n;

	if (fault_now())
		return fault_fire("pread fd %d", fd);
	f = fake_file_of(fd);
	if (f)
		return region_io(f, buf, len, off, false);
	n = pread(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

static ssize_t f_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	struct fake_file *f;
	ssize_t n;

	if (fault_now())
		return fault_fire("pwrite fd %d", fd);
	f = fake_file_of(fd);
	if (f)
		return region_io(f, (void *)buf, len, off, true);
	n = pwrite(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

static void mrec_add(void *p, size_t len)
{
	if (nr_mrecs == cap_mrecs) {
		size_t cap = cap_mrecs ? cap_mrecs * 2 : 16;
		struct mmap_rec *n = realloc(mrecs, cap * sizeof(*n));

		if (!n)
			die("realloc");
		mrecs = n;
		cap_mrecs = cap;
	}
	mrecs[nr_mrecs++] = (struct mmap_rec){ (uintptr_t)p, len };
}

/* vfio-pci's checks: a shared mapping of an mmappable region, inside it,
 * and, when the region is sparse, inside one area */
static int device_mmap_check(struct fake_file *f, size_t len, int flags, off_t off)
{
	uint64_t idx = (uint64_t)off >> 40;
	uint64_t roff = (uint64_t)off & ((1ull << 40) - 1);
	struct fake_region *r;

	if (f->kind != FK_CDEV && f->kind != FK_DEVICE)
		return -ENODEV;
	if (f->kind == FK_CDEV && !f->bound)
		return -EINVAL;
	if (!(flags & MAP_SHARED))
		return -EINVAL;
	if (idx >= f->pci->num_regions)
		return -EINVAL;
	r = &f->pci->regions[idx];
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	if (roff + len > r->size || roff + len < roff)
		return -EINVAL;
	if (r->nr_areas) {
		for (unsigned int i = 0; i < r->nr_areas; i++)
			if (roff >= r->areas[i].offset &&
			    roff + len <= r->areas[i].offset + r->areas[i].size)
				return 0;
		return -EINVAL;
	}
	return 0;
}

static void mrec_remove(uintptr_t a, size_t len);

static void *f_mmap(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off, int *err)
{
	struct fake_file *f;
	void *p;

	if (fault_now()) {
		*err = fault_fire("mmap fd %d len 0x%zx", fd, len);
		return MAP_FAILED;
	}
	f = fake_file_of(fd);
	if (!f) {
		const struct fake_dmabuf *d = fake_dmabuf_of(fd);

		/* vfio-pci's dma-bufs have no mmap op */
		if (d && !d->foreign) {
			*err = -EINVAL;
			return MAP_FAILED;
		}
	}
	if (f) {
		int ret = device_mmap_check(f, len, flags, off);

		if (ret) {
			*err = ret;
			return MAP_FAILED;
		}
		/* device memory: anonymous pages stand in for the BAR */
		p = mmap(addr, len, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | (flags & MAP_FIXED), -1, 0);
	} else {
		p = mmap(addr, len, prot, flags, fd, off);
	}
	if (p == MAP_FAILED) {
		*err = -errno;
		return p;
	}
	if (flags & MAP_FIXED)
		mrec_remove((uintptr_t)p, len);
	mrec_add(p, (len + 4095) & ~(size_t)4095);
	*err = 0;
	return p;
}

/* [@a, +@len) is no longer mapped (munmap, or a MAP_FIXED mapping over
 * it): what is left of each record it overlaps stays recorded */
static void mrec_remove(uintptr_t a, size_t len)
{
	size_t i = 0;

	len = (len + 4095) & ~(size_t)4095; /* the kernel works in pages */

	/* a part before the range stays where it was, a part after it
	 * becomes a record of its own */
	while (i < nr_mrecs) {
		uintptr_t s = mrecs[i].addr, e = s + mrecs[i].len;

		if (e <= a || s >= a + len) {
			i++;
			continue;
		}
		if (e > a + len)
			mrec_add((void *)(a + len), e - (a + len));
		if (s < a) {
			mrecs[i].len = a - s;
			i++;
		} else {
			mrecs[i] = mrecs[--nr_mrecs];
		}
	}
}

static int f_munmap(void *addr, size_t len)
{
	/* counted, never failed: see fake_fail_nth() */
	fi.calls++;
	if (munmap(addr, len) < 0)
		return -errno;
	mrec_remove((uintptr_t)addr, len);
	return 0;
}

static ssize_t f_readlink(const char *path, char *buf, size_t len)
{
	ssize_t n;

	if (fault_now())
		return fault_fire("readlink %s", path);
	n = readlink(path, buf, len);
	return n < 0 ? -errno : n;
}

/*
 * The fake kernel's state is one set of globals: each call holds one lock,
 * so that tests with threads (concurrent opens, a logger beside a mapper)
 * see the kernel serialise as the real one does per object, and the thread
 * sanitizer sees the order. The open hook runs outside it.
 */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
/* FAKE_TRACE=1: every seam call on stderr */
static bool trace;

__attribute__((constructor)) static void trace_init(void)
{
	trace = getenv("FAKE_TRACE") != NULL;
}

#define LOCKED(ret, name, params, args)                                        \
	static ret l_##name params                                             \
	{                                                                      \
		ret r;                                                         \
                                                                               \
		pthread_mutex_lock(&fake_lock);                                \
		if (trace)                                                     \
			fprintf(stderr, "  [seam] %s\n", #name);               \
		r = f_##name args;                                             \
		pthread_mutex_unlock(&fake_lock);                              \
		return r;                                                      \
	}

static int l_open(const char *path, int flags)
{
	int r;

	pthread_mutex_lock(&fake_lock);
	if (trace)
		fprintf(stderr, "  [seam] open %s%s\n", path,
			flags & O_PATH ? " (O_PATH)" : "");
	if (open_hook.fn && ends_with(path, open_hook.suffix)) {
		void (*fn)(void *) = open_hook.fn;
		void *arg = open_hook.arg;

		open_hook.fn = NULL; /* once */
		pthread_mutex_unlock(&fake_lock);
		fn(arg);
		pthread_mutex_lock(&fake_lock);
	}
	r = f_open(path, flags);
	pthread_mutex_unlock(&fake_lock);
	return r;
}

LOCKED(int, close, (int fd), (fd))
static struct {
	unsigned long req;
	void (*fn)(void *);
	void *arg;
} ioctl_hook;

void fake_on_ioctl(unsigned long req, void (*fn)(void *), void *arg)
{
	ioctl_hook.req = req;
	ioctl_hook.arg = arg;
	ioctl_hook.fn = fn;
}

static int l_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	pthread_mutex_lock(&fake_lock);
	if (trace)
		fprintf(stderr, "  [seam] ioctl %s\n", fake_ioctl_name(req));
	if (ioctl_hook.fn && ioctl_hook.req == req) {
		void (*fn)(void *) = ioctl_hook.fn;
		void *harg = ioctl_hook.arg;

		ioctl_hook.fn = NULL; /* once */
		pthread_mutex_unlock(&fake_lock);
		fn(harg);
		pthread_mutex_lock(&fake_lock);
	}
	r = f_ioctl(fd, req, arg);
	pthread_mutex_unlock(&fake_lock);
	return r;
}
static int f_fstatfs(int fd, struct statfs *st)
{
	if (fault_now())
		return fault_fire("fstatfs fd %d", fd);
	if (fstatfs(fd, st))
		return -errno;
	if (fake_dmabuf_of(fd))
		st->f_type = 0x444d4142; /* DMA_BUF_MAGIC */
	return 0;
}

LOCKED(int, fstat, (int fd, struct stat *st), (fd, st))
LOCKED(int, fstatfs, (int fd, struct statfs *st), (fd, st))
LOCKED(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))
LOCKED(ssize_t, write, (int fd, const void *buf, size_t len), (fd, buf, len))
LOCKED(ssize_t, pread, (int fd, void *buf, size_t len, off_t off),
       (fd, buf, len, off))
LOCKED(ssize_t, pwrite, (int fd, const void *buf, size_t len, off_t off),
       (fd, buf, len, off))
LOCKED(void *, mmap,
       (void *addr, size_t len, int prot, int flags, int fd, off_t off, int *err),
       (addr, len, prot, flags, fd, off, err))
LOCKED(int, munmap, (void *addr, size_t len), (addr, len))
LOCKED(ssize_t, readlink, (const char *path, char *buf, size_t len),
       (path, buf, len))
LOCKED(int, dupfd, (int fd), (fd))

const struct vfd_sys fake_sys = {
	.open = l_open,
	.close = l_close,
	.ioctl = l_ioctl,
	.fstat = l_fstat,
	.read = l_read,
	.write = l_write,
	.pread = l_pread,
	.pwrite = l_pwrite,
	.mmap = l_mmap,
	.munmap = l_munmap,
	.readlink = l_readlink,
	.dupfd = l_dupfd,
	.fstatfs = l_fstatfs,
};

int fake_open_node(const char *rel)
{
	return f_open(fake_path("%s", rel), O_RDWR);
}

/* ---- accounting -------------------------------------------------------- */

int fake_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		die("/proc/self/fd");
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

void fake_live(struct fake_live *out)
{
	memset(out, 0, sizeof(*out));
	for (struct fake_file *f = fk.files; f; f = f->next) {
		out->files++;
		if (f->kind == FK_CDEV && f->bound)
			out->bindings++;
		if (f->kind == FK_CDEV && f->attached)
			out->attached++;
	}
	for (struct fake_ictx *c = fk.ictxs; c; c = c->next) {
		out->iommufds++;
		for (struct fake_hwpt *h = c->hwpts; h; h = h->next)
			out->hwpts++;
		for (struct fake_ioas *a = c->ioas; a; a = a->next) {
			out->ioas++;
			out->mappings += (int)a->maps.n;
			for (size_t i = 0; i < a->maps.n; i++)
				if (!a->maps.v[i].shared)
					out->pinned += a->maps.v[i].len;
		}
	}
	for (struct fake_container *ct = fk.cts; ct; ct = ct->next) {
		out->containers++;
		out->mappings += (int)ct->maps.n;
		for (size_t i = 0; i < ct->maps.n; i++)
			out->pinned += ct->maps.v[i].len;
		if (ct->iommu)
			out->iommus_set++;
	}
	for (struct fake_group *g = fk.groups; g; g = g->next)
		if (g->container)
			out->groups_in_container++;
	for (struct fake_pci *p = fk.pcis; p; p = p->next)
		for (int i = 0; i < FAKE_NR_IRQS; i++)
			for (int v = 0; v < FAKE_MAX_VECTORS; v++)
				if (p->irqs[i].trigger[v] >= 0)
					out->irq_triggers++;
	out->mmaps = (int)nr_mrecs;
	out->dma_bufs = fake_dmabufs_open();
}

void fake_implicit(struct fake_implicit *out)
{
	*out = fk.implicit;
}

bool fake_all_released(char *why, size_t len)
{
	struct fake_live l;
	int n;

	fake_live(&l);
	n = snprintf(why, len,
		     "files %d iommufds %d containers %d bindings %d ioas %d attached %d mappings %d groups_in_container %d iommus_set %d irq_triggers %d mmaps %d hwpts %d dma_bufs %d",
		     l.files, l.iommufds, l.containers, l.bindings, l.ioas,
		     l.attached, l.mappings, l.groups_in_container,
		     l.iommus_set, l.irq_triggers, l.mmaps, l.hwpts, l.dma_bufs);
	(void)n;
	return !(l.files | l.iommufds | l.containers | l.bindings | l.ioas |
		 l.attached | l.mappings | l.groups_in_container |
		 l.iommus_set | l.irq_triggers | l.mmaps | l.hwpts | l.dma_bufs);
}

/* ---- reset ------------------------------------------------------------- */

void fake_seam_reset(void)
{
	/* a failed test may leave fds behind: release them so the next
	 * test starts from a clean kernel */
	for (int fd = 0; fd < FAKE_MAX_FD; fd++) {
		if (fdtab[fd]) {
			fd_drop(fd);
			close(fd);
		}
	}
	for (size_t i = 0; i < nr_mrecs; i++)
		munmap((void *)mrecs[i].addr, mrecs[i].len);
	free(mrecs);
	mrecs = NULL;
	nr_mrecs = cap_mrecs = 0;
	fake_dmabufs_reset();
	memset(&fi, 0, sizeof(fi));
	memset(&open_hook, 0, sizeof(open_hook));
	memset(path_nodes, 0, sizeof(path_nodes));
}
