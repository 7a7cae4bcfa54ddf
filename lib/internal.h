/* SPDX-License-Identifier: MIT */
/*
 * Private declarations shared by the library's files: the objects' layouts,
 * the syscall seam, logging, and the backend ops table.
 */
#ifndef VFIODEV_INTERNAL_H
#define VFIODEV_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <syslog.h>

#include "vfiodev.h"

#define VFIODEV_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* the end of a struct's field: where a newer version's next field lands */
#define offsetofend(type, field)                                               \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/* "dddd:bb:dd.f" (domain up to 8 digits) plus NUL */
#define BDF_BUF VFIODEV_BDF_LEN

/* ---- the syscall seam -------------------------------------------------
 * Every call that reaches the kernel for a device, a node or sysfs goes
 * through this table, and every entry returns a result or -errno (never
 * -1 with errno), so each caller converts nothing. Unit tests link the
 * static library and point vfd_sys at a fake kernel.
 */
struct vfd_sys {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	int (*fstat)(int fd, struct stat *st);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	/* returns the address, or MAP_FAILED with *err set to -errno */
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off, int *err);
	int (*munmap)(void *addr, size_t len);
	ssize_t (*readlink)(const char *path, char *buf, size_t len);
	/* a close-on-exec duplicate (F_DUPFD_CLOEXEC), or -errno */
	int (*dupfd)(int fd);
	int (*fstatfs)(int fd, struct statfs *st);
};

extern const struct vfd_sys *vfd_sys;
extern const struct vfd_sys vfd_sys_real;

#define sys_open(p, f) vfd_sys->open((p), (f))
#define sys_close(fd) vfd_sys->close(fd)
#define sys_ioctl(fd, r, a) vfd_sys->ioctl((fd), (r), (void *)(a))
#define sys_fstat(fd, st) vfd_sys->fstat((fd), (st))
#define sys_fstatfs(fd, st) vfd_sys->fstatfs((fd), (st))
#define sys_read(fd, b, l) vfd_sys->read((fd), (b), (l))
#define sys_write(fd, b, l) vfd_sys->write((fd), (b), (l))
#define sys_pread(fd, b, l, o) vfd_sys->pread((fd), (b), (l), (o))
#define sys_pwrite(fd, b, l, o) vfd_sys->pwrite((fd), (b), (l), (o))
#define sys_mmap(a, l, p, f, fd, o, e)                                         \
	vfd_sys->mmap((a), (l), (p), (f), (fd), (o), (e))
#define sys_munmap(a, l) vfd_sys->munmap((a), (l))
#define sys_readlink(p, b, l) vfd_sys->readlink((p), (b), (l))
#define sys_dupfd(fd) vfd_sys->dupfd(fd)

/* ---- context ----------------------------------------------------------- */
struct kmod_ctx;
struct udev;

struct log_sink {
	vfiodev_log_fn fn;
	void *data;
	struct log_sink *older;
};

struct vfiodev_ctx {
	int refcount;
	char *sysfs_root;
	char *dev_root;
	/* the log callback and its data, published together (a reader never
	 * pairs one callback with another's data); replaced sinks are kept
	 * until the context goes, as a logging thread may still use one */
	struct log_sink *log;
	struct log_sink *log_default;
	int log_priority; /* read and written with relaxed atomics */
	bool no_module_load; /* vfiodev_ctx_opts.no_module_load */
	bool no_map_file; /* the kernel lacks IOMMU_IOAS_MAP_FILE (atomic) */
	enum vfiodev_backend env_backend; /* $VFIODEV_BACKEND */

	pthread_mutex_t lock; /* iommufd, group owners */
	/* libkmod and libudev are not thread-safe: held across every use of
	 * ctx->kmod / ctx->udev, including their lazy creation */
	pthread_mutex_t ext_lock;
	int iommufd; /* shared /dev/iommu fd, -1 until needed */
	/* the major of vfio's device cdevs once a node's check proved one
	 * (0 before; atomic): vfd_cdev_node_open() */
	unsigned int vfio_cdev_major;
	/* a vfio device (not noiommu) had no cdev number: the kernel gives
	 * none (no CONFIG_VFIO_DEVICE_CDEV); or one had: it does. Atomic */
	bool no_cdev_numbers, cdev_numbers;
	/* the vfio cdev names of the devices opened last (under lock): a
	 * later open checks its entry is still there instead of reading the
	 * device's vfio-dev directory (cdev_of()) */
	struct {
		char sysdir[160];
		char name[64];
	} cdev_seen[4];
	unsigned int cdev_seen_next;
	/* which space holds each IOMMU group with an open device: the kernel
	 * wants one group in one container / one IOAS, so a device opened
	 * without a space joins its group's */
	struct group_owner *owners;
	size_t nr_owners, cap_owners;
	struct kmod_ctx *kmod;
	struct udev *udev;
	bool udev_usable; /* roots are the real /sys and /dev */
};

void vfd_logv(const struct vfiodev_ctx *ctx, int priority, const char *file,
	      int line, const char *fn, const char *fmt, va_list args);
void vfd_logf(const struct vfiodev_ctx *ctx, int priority, const char *file,
	      int line, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

void vfd_log_stderr(void *data, int priority, const char *file, int line,
		    const char *fn, const char *fmt, va_list args);
int vfd_log_priority_parse(const char *s);

#define vfd_log(ctx, prio, ...)                                                \
	do {                                                                   \
		if ((ctx) && __atomic_load_n(&(ctx)->log_priority,             \
					     __ATOMIC_RELAXED) >= (prio))      \
			vfd_logf((ctx), (prio), __FILE__, __LINE__, __func__,  \
				 __VA_ARGS__);                                 \
	} while (0)
#define vfd_err(ctx, ...) vfd_log(ctx, LOG_ERR, __VA_ARGS__)
#define vfd_warn(ctx, ...) vfd_log(ctx, LOG_WARNING, __VA_ARGS__)
#define vfd_info(ctx, ...) vfd_log(ctx, LOG_INFO, __VA_ARGS__)
#define vfd_dbg(ctx, ...) vfd_log(ctx, LOG_DEBUG, __VA_ARGS__)

/* the longest sysfs or dev root a context takes: node paths are built in
 * 256-byte buffers from a root and a name of at most ~100 bytes */
#define VFD_ROOT_MAX 128

/* the largest info buffer (argsz) a kernel reply may ask for: region and
 * Type1 info with their capability chains are a few hundred bytes */
#define VFD_INFO_ARGSZ_MAX 65536u

/* argument checks at public entries: log and return -EINVAL */
#define check_arg(ctx, cond)                                                       \
	do {                                                                       \
		if (!(cond)) {                                                     \
			vfd_err(ctx, "%s: invalid argument: %s", __func__, #cond); \
			return -EINVAL;                                            \
		}                                                                  \
	} while (0)

/* opts structs: accept older (smaller) and newer ones whose unknown tail is
 * zero; refuse a non-zero unknown tail (libbpf's rule) */
int vfd_opts_check(const struct vfiodev_ctx *ctx, const void *opts,
		   size_t known_sz, const char *name);

/* a field is present in a caller's opts if its size covers it */
#define OPTS_HAS(opts, type, field)                                            \
	((opts) &&                                                             \
	 (opts)->sz >= offsetof(struct type, field) + sizeof((opts)->field))

/* the IOMMU group -> space registry: lib/space.c (the space layer owns it;
 * the entries live in the context, under ctx->lock) */
struct group_owner {
	int group;
	struct vfiodev_space *space; /* not referenced: entries die with it */
	unsigned int users; /* open devices of the group */
};

/* a space of this context other than @space holds @group */
bool vfd_ctx_group_held_elsewhere(struct vfiodev_ctx *ctx, int group,
				  const struct vfiodev_space *space);
/* a device of @group is open in @space; false when out of memory */
bool vfd_ctx_group_get(struct vfiodev_ctx *ctx, int group,
		       struct vfiodev_space *space);
int vfd_ctx_group_claim(struct vfiodev_ctx *ctx, int group,
			struct vfiodev_space *fresh, struct vfiodev_space **out);
/* it closed: the last one frees the group for any space */
void vfd_ctx_group_put(struct vfiodev_ctx *ctx, int group,
		       struct vfiodev_space *space);
/* a dup of @group's fd from a container space of this context, for a hot
 * reset; -ENOENT when no space holds it open */
int vfd_ctx_group_fd(struct vfiodev_ctx *ctx, int group);

/* the shared /dev/iommu fd, opened on first use; -errno on failure */
/* iommufd.c: the context's /dev/iommu fd, opened and checked once */
int vfd_ctx_iommufd(struct vfiodev_ctx *ctx);

/* ---- sysfs and nodes (sysfs.c, devnode.c) ------------------------------ */
int vfd_sysfs_path(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* open @path read-only if it is a regular file, never blocking (a planted
 * FIFO); the fd or -errno (-EINVAL: not a regular file) */
int vfd_open_regular(const char *path);
int vfd_sysfs_read(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* the final component of a symlink below sysfs (driver name, group no.) */
int vfd_sysfs_link_name(const struct vfiodev_ctx *ctx, char *buf, size_t len,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int vfd_sysfs_device_exists(const struct vfiodev_ctx *ctx, const char *bdf);

/* where a device lives in sysfs: the directory its bus lists it in,
 * relative to the root ("bus/pci/devices/0000:00:03.0",
 * "bus/mdev/devices/<uuid>"), and its kernel name (the directory's last
 * component: a BDF, an mdev's UUID), which VFIO_GROUP_GET_DEVICE_FD takes */
enum vfd_bus { VFD_BUS_UNKNOWN, VFD_BUS_PCI, VFD_BUS_MDEV, VFD_BUS_OTHER };
struct vfd_sysdev {
	char dir[160];
	char name[64];
	char bus[32];
	enum vfd_bus kind;
};
/* a PCI device's (@bdf normalised) */
void vfd_sysdev_pci(struct vfd_sysdev *d, const char *bdf);
/* a caller's sysfs directory of a device (bus/<bus>/devices/<name> or the
 * /sys/devices/... directory it links to), checked to be a bus device
 * below the context's root; logs each refusal. 0, -EINVAL (malformed, or
 * outside the root), -ENODEV (no such device, or no bus device) */
int vfd_sysdev_resolve(const struct vfiodev_ctx *ctx, const char *path,
		       struct vfd_sysdev *d);
/* the directory-based forms of the helpers below: @dir as vfd_sysdev.dir */
int vfd_sysfs_dir_vfio_entry(const struct vfiodev_ctx *ctx, const char *dir,
			     char *name, size_t len);
int vfd_sysfs_dir_cdev_numbered(const struct vfiodev_ctx *ctx, const char *dir,
				const char *name);
int vfd_sysfs_dir_cdev_name(const struct vfiodev_ctx *ctx, const char *dir,
			    char *name, size_t len);
int vfd_sysfs_dir_cdev_devnum(const struct vfiodev_ctx *ctx, const char *dir,
			      const char *name, dev_t *devnum);
int vfd_sysfs_dir_iommu_group(const struct vfiodev_ctx *ctx, const char *dir);
/* an emulated IOMMU group: the one vfio gives each mediated device (a
 * software group without an IOMMU; vfio names it "vfio-noiommu" too, but
 * its node is /dev/vfio/N and Type1 containers take it) */
bool vfd_sysfs_group_is_emulated(const struct vfiodev_ctx *ctx, int group_id);
/* vfio-dev/vfioX: name and major:minor of the cdev sysfs names */
int vfd_sysfs_vfio_cdev(const struct vfiodev_ctx *ctx, const char *bdf,
			char *name, size_t len, dev_t *devnum);
/* @bdf's vfio-dev entry ("vfio3"), with or without a cdev number */
int vfd_sysfs_vfio_dev_entry(const struct vfiodev_ctx *ctx, const char *bdf,
			     char *name, size_t len);
/* the number of @bdf's vfio cdev @name, from its "dev" attribute */
int vfd_sysfs_vfio_cdev_devnum(const struct vfiodev_ctx *ctx, const char *bdf,
			       const char *name, dev_t *devnum);
/* the name of @bdf's vfio cdev ("vfio3"): its vfio-dev entry, when that
 * has a number */
int vfd_sysfs_vfio_cdev_name(const struct vfiodev_ctx *ctx, const char *bdf,
			     char *name, size_t len);
/* sysfs links char device @devnum to a path ending in @suffix: 0,
 * -ENXIO (another device's), -ENOENT (nobody's) */
int vfd_sysfs_char_dev_is(const struct vfiodev_ctx *ctx, dev_t devnum,
			  const char *suffix);
/* char device @devnum is the vfio cdev @name of the device whose kernel
 * name is @dev (a BDF, a UUID): 0, -ENXIO, -ENOENT */
int vfd_sysfs_cdev_is(const struct vfiodev_ctx *ctx, dev_t devnum,
		      const char *dev, const char *name);
int vfd_sysfs_iommu_group(const struct vfiodev_ctx *ctx, const char *bdf);
bool vfd_sysfs_group_is_noiommu(const struct vfiodev_ctx *ctx, int group_id);
bool vfd_sysfs_dev_group_noiommu(struct vfiodev_device *dev);
int vfd_parse_dec(const char *s, unsigned long max, unsigned long *out,
		  const char **end);
int vfd_parse_devnum(const char *s, dev_t *out);

/* open the node of a char device and verify it with fstat; sets @path */
/* the vfio cdev @name of the device in sysfs directory @dir (as
 * vfd_sysdev.dir) opened, its number proved through sysfs */
int vfd_cdev_node_open(struct vfiodev_ctx *ctx, const char *dir,
		       const char *name, char *path, size_t len, dev_t *devnum);
int vfd_devnode_open(struct vfiodev_ctx *ctx, const char *what, dev_t devnum,
		     const char *const *fallbacks, char *path, size_t len);
/* which step of vfd_node_open() failed */
enum node_step { NODE_LOOKUP, NODE_VERIFY, NODE_OPEN };
/* open a device node: O_PATH, checked against @devnum (or the sysfs
 * attribute @dev_attr when not NULL), then reopened read-write through
 * /proc/thread-self/fd and proved the same node; the check logs its
 * refusals, the caller the rest */
int vfd_node_open(const struct vfiodev_ctx *ctx, const char *path, dev_t devnum,
		  const char *dev_attr, enum node_step *step);
/* the fd is the character device @devnum (or the one @dev_attr names);
 * *@st: its fstat */
int vfd_chardev_fstat(const struct vfiodev_ctx *ctx, int fd, const char *path,
		      struct stat *st);
int vfd_devnode_check(const struct vfiodev_ctx *ctx, int fd, const char *path,
		      dev_t devnum, struct stat *st);
int vfd_devnode_verify(const struct vfiodev_ctx *ctx, int fd, const char *path,
		       const char *dev_attr, struct stat *st);
int vfd_devnode_udev_lookup(struct vfiodev_ctx *ctx, dev_t devnum, char *path,
			    size_t len);

/* ---- modules (kmod.c) -------------------------------------------------- */
/* load a module by name or alias; 0 also when it is built in or loaded */
int vfd_kmod_load(struct vfiodev_ctx *ctx, const char *name);
/* as vfd_kmod_load(), for a device open: nothing when the context
 * says no_module_load (-EPERM) */
int vfd_kmod_load_for_open(struct vfiodev_ctx *ctx, const char *name);
#define VFD_NEED_VFIO 0x1u
#define VFD_NEED_TYPE1 0x2u
unsigned int vfd_container_missing(const struct vfiodev_ctx *ctx);
void vfd_container_prepare(struct vfiodev_ctx *ctx, unsigned int need);
/* /dev/iommu is missing (a stat) */
bool vfd_iommufd_node_missing(const struct vfiodev_ctx *ctx);
int vfd_module_present(const struct vfiodev_ctx *ctx, const char *name);
/* kmod.c: the kernel's spelling of a module name ('-' becomes '_'), and
 * whether a path exists under the sysfs root */
void vfd_module_sysname(const char *name, char *out, size_t len);
bool vfd_sysfs_exists(const struct vfiodev_ctx *ctx, const char *rel);

/* ---- capability chains (caps.c) ---------------------------------------- */
/* find capability @id in the chain that starts at @first inside the
 * @argsz bytes of @buf; 0 and *@out, -ENOENT, or -EPROTO when malformed */
/* a field of a capability that may be misaligned (packed chains before
 * Linux 6.6): @p is the capability, @off the field's offset */
static inline uint32_t vfd_cap_u32(const void *p, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)p + off, sizeof(v));
	return v;
}

static inline uint64_t vfd_cap_u64(const void *p, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)p + off, sizeof(v));
	return v;
}

int vfd_vfio_cap_find(const void *buf, size_t argsz, uint32_t first,
		      uint16_t id, size_t min_size, const void **out);
/* walk and validate the whole chain: 0 or -EPROTO */
int vfd_vfio_cap_validate(const void *buf, size_t argsz, uint32_t first);
int vfd_vfio_info_ioctl(const struct vfiodev_ctx *ctx, int fd,
			unsigned long req, const void *hdr, size_t hdr_len,
			size_t *size, const char *what, void **out);

/* ---- spaces and backends ----------------------------------------------- */
struct vfiodev_mapping {
	uint64_t vaddr;
	uint64_t iova;
	uint64_t len;
	unsigned int flags;
};

struct vfiodev_group {
	int id;
	int fd;
	int users; /* attached devices: the last to leave releases the group */
	bool noiommu;
	struct vfiodev_group *next;
};

/* where the pages of a mapping come from, beyond its address */
struct map_src {
	int fd; /* a file: IOMMU_IOAS_MAP_FILE (-1: none) */
	uint64_t offset;
	int iommufd; /* another IOAS of this /dev/iommu: IOMMU_IOAS_COPY */
	uint32_t ioas_id; /* 0: none */
	uint64_t iova;
	/* @fd is a dma-buf: IOMMU_IOAS_MAP_FILE or nothing (its pages have
	 * no address the kernel could pin) */
	bool dmabuf;
};

/* what the kernel allows a space with the devices attached now, as its
 * backend reads it; the core applies it (space.c), after a join succeeded
 * and after every leave */
struct vfd_limits {
	struct vfiodev_iova_range *ranges; /* allocated; NULL: provisional */
	size_t nr_ranges;
	uint64_t iova_align; /* the IOMMU's smallest page; 0: the CPU's */
	/* Type1 dirty tracking: page sizes and bitmap limit; 0: none */
	uint64_t dirty_pgsizes, dirty_max_bitmap;
};

/* dirty page tracking as each backend does it (dirty.c); the caller
 * holds space->lock */
struct dirty_ops {
	/* 0, or -errno (logged) when the space's IOMMU cannot track */
	int (*capable)(struct vfiodev_space *space);
	/* the page sizes a bitmap may be read at, and the largest bitmap
	 * one read takes (0: any) */
	void (*limits)(const struct vfiodev_space *space, uint64_t *pgsizes,
		       uint64_t *max_bitmap);
	int (*start)(struct vfiodev_space *space);
	int (*stop)(struct vfiodev_space *space);
	/* tracking is off: clear what a failed start or stop left
	 * (-ENOENT: nothing) */
	int (*leftover)(struct vfiodev_space *space);
	/* into a zeroed @bitmap of @bytes */
	int (*read)(struct vfiodev_space *space, uint64_t iova, uint64_t len,
		    uint64_t pgsize, uint64_t *bitmap, size_t bytes);
};

extern const struct dirty_ops vfd_iommufd_dirty_ops;
extern const struct dirty_ops vfd_type1_dirty_ops;

struct backend_ops {
	enum vfiodev_backend backend;
	const struct dirty_ops *dirty;
	/* join @dev to the space, creating the kernel object on the first
	 * join; the space's limits are not touched (->read_limits). iommufd:
	 * @dev->fd is the open cdev; container: the attach opens the group
	 * and sets @dev->fd */
	int (*attach)(struct vfiodev_space *space, struct vfiodev_device *dev);
	/* true when the kernel object went with the device (the container
	 * with its last group): the core forgets what lived in it */
	bool (*detach)(struct vfiodev_space *space, struct vfiodev_device *dev);
	/* the limits of the kernel object as it is now (none: *@lim zero) */
	int (*read_limits)(struct vfiodev_space *space, struct vfd_limits *lim);
	int (*map)(struct vfiodev_space *space, const struct vfiodev_mapping *m);
	/* map @m from a file or another IOAS (NULL: the backend maps by
	 * address only); falls back to ->map where the kernel lacks it. 1:
	 * the kernel took the pages from the file (MAPF_KFILE), 0: from the
	 * address or the other IOAS */
	int (*map_from)(struct vfiodev_space *space,
			const struct vfiodev_mapping *m, const struct map_src *src);
	int (*unmap)(struct vfiodev_space *space, const struct vfiodev_mapping *m);
	void (*destroy)(struct vfiodev_space *space);
	/* a noiommu space: the bus address of @iova (mapped) and how far it
	 * is contiguous from there, at most @len (NULL: the backend has no
	 * such query, so a noiommu space cannot map) */
	int (*bus_addr)(struct vfiodev_space *space, uint64_t iova,
			uint64_t len, uint64_t *bus, uint64_t *contig);
};

extern const struct backend_ops vfd_iommufd_backend_ops;
extern const struct backend_ops vfd_container_backend_ops;

/* ---- the mapping record (iova_tree.c, vtable.c) ------------------------ */
#define ITREE_PAGE_SHIFT 12
/* flags kept in the low bits of itree_node.vaddr (addresses are page
 * aligned); the first two are VFIODEV_DMA_READ and VFIODEV_DMA_WRITE */
#define MAPF_RESERVED 0x4u /* not a mapping: IOVA outside the ranges */
#define MAPF_ALLOC 0x8u /* memory of vfiodev_dma_alloc(): freed with it */
#define MAPF_HUGETLB 0x10u /* ... and that memory is hugetlb */
#define MAPF_FILE                                                              \
	0x20u /* the library's mmap of a caller's file: unmapped with it */
/* the library's mmap of a device region (a BAR, for peer-to-peer DMA):
 * unmapped with it, its dma-buf closed after (struct vfd_p2p) */
#define MAPF_REGION 0x40u
/* the kernel took the pages from the file or dma-buf (IOMMU_IOAS_MAP_FILE),
 * not from the address: they are not this process's memory (live update) */
#define MAPF_KFILE 0x80u
/* the pages are a dma-buf's (a BAR): no address the kernel could pin, no
 * copy by address */
#define MAPF_DMABUF 0x100u
#define MAPF_MASK 0xfffull

/* 24 bytes: a mapping (or a reserved IOVA span), an entry of the B+tree
 * by IOVA (iova_tree.c); a pointer to one is valid until the next insert
 * or remove. The free bytes in front of an entry are not stored: they are
 * its IOVA less its predecessor's end, and each node keeps which of its
 * entries have any (iova_tree.h) */
struct itree_node {
	uint64_t iova;
	uint64_t len;
	uint64_t vaddr; /* | MAPF_* and DMA flags */
};

struct bt_leaf;
struct itree_hint;
struct itree {
	void *root; /* a struct bt_leaf when height is 0 */
	unsigned int height;
	struct bt_leaf *head, *tail; /* the leaves, chained in IOVA order */
	void *spare; /* nodes reserved for inserts */
	size_t nr_spare, nr_nodes;
	size_t count;
	/* the path of the last lookup, which the insert or remove that
	 * follows it takes instead of descending again (a cache: lookups
	 * through a const tree write it; callers hold the space's lock) */
	struct itree_hint *hint;
};

static inline uint64_t vfd_itree_last(const struct itree_node *n)
{
	return n->iova + (n->len - 1);
}

/* IOVA ranges a space takes from the kernel (real lists are a handful) */
#define VFD_IOVA_RANGES_MAX 256u

int vfd_itree_init(struct itree *t);
void vfd_itree_fini(struct itree *t);
size_t vfd_itree_bytes(const struct itree *t);
/* make the next @inserts inserts need no allocation; -ENOMEM */
int vfd_itree_reserve(struct itree *t, size_t inserts);
/* add an entry that overlaps nothing, after vfd_itree_reserve() */
void vfd_itree_insert(struct itree *t, uint64_t iova, uint64_t len, uint64_t vaddr);
/* remove the entry that starts at @iova (it must exist); freed nodes stay
 * reserved until vfd_itree_trim() */
void vfd_itree_remove(struct itree *t, uint64_t iova);
void vfd_itree_trim(struct itree *t);
/* 0 when every invariant of the tree holds, else -EPROTO (tests) */
int vfd_itree_check(const struct itree *t);
struct itree_node *vfd_itree_find(const struct itree *t, uint64_t iova);
struct itree_node *vfd_itree_overlap(const struct itree *t, uint64_t first,
				     uint64_t last);
/* the first entry whose last byte is >= @iova */
struct itree_node *vfd_itree_ceil(const struct itree *t, uint64_t iova);
struct itree_node *vfd_itree_next(const struct itree *t, const struct itree_node *e);
struct itree_node *vfd_itree_last_node(const struct itree *t);
int vfd_itree_fit(const struct itree *t, uint64_t len, uint64_t align,
		  uint64_t lo, uint64_t hi, uint64_t *out);

#define VT_VA_BITS 48
#define VT_L1_SHIFT 30
#define VT_L2_SHIFT 21
#define VT_L3_SHIFT 12
#define VT_L1_ENTRIES (1u << (VT_VA_BITS - VT_L1_SHIFT))
#define VT_ENTRIES 512u
#define VT_TABLE 1ull
#define VT_LEAF 2ull

/* a slot: the IOVA of its first byte | VT_LEAF, or a table | VT_TABLE, or
 * 0; @end: the end (exclusive, page-aligned, at most 2^48) of the mapping
 * the slot belongs to, shifted left by VT_END_SHIFT, above the slot's
 * sequence (its low VT_SEQ_BITS), which every set of the slot bumps */
struct vt_entry {
	uint64_t word;
	uint64_t end;
};

#define VT_SEQ_BITS 27
#define VT_SEQ_MASK ((1ull << VT_SEQ_BITS) - 1)
/* the end's bits 12..48 land in bits 27..63 */
#define VT_END_SHIFT (VT_SEQ_BITS - 12)

struct vtable {
	struct vt_entry *l1;
	struct vt_entry **tables;
	size_t nr_tables, cap_tables;
	size_t l1_pages; /* pages of l1 written */
	uint64_t l1_seen[VT_L1_ENTRIES * sizeof(struct vt_entry) / 4096 / 64];
};

int vfd_vtable_init(struct vtable *vt);
void vfd_vtable_fini(struct vtable *vt);
size_t vfd_vtable_bytes(const struct vtable *vt);
/* 0, -EEXIST (*@busy: a mapped address in the range), -ERANGE, -ENOMEM;
 * on 0 the tables the range needs exist: a set of it cannot fail */
int vfd_vtable_check(struct vtable *vt, uint64_t va, uint64_t len, uint64_t *busy);
int vfd_vtable_set(struct vtable *vt, uint64_t va, uint64_t len, uint64_t iova);
void vfd_vtable_clear(struct vtable *vt, uint64_t va, uint64_t len);

/* lock-free: a few dependent loads. A lookup that races with an unmap of
 * the same address sees the old or no translation. With @len, the end is
 * read between two reads of the slot (end, word, end again): a writer
 * stores a new end (and sequence) before the word it belongs to, so equal
 * ends around a leaf word mean that word and that end are one mapping's;
 * if the slot changed in between it was unmapped meanwhile, and -ENOENT
 * is a true answer. A torn pair would need the slot set 2^27 times
 * between two adjacent loads */
static inline int vfd_vtable_lookup(const struct vtable *vt, uint64_t va,
				    uint64_t *iova, uint64_t *len)
{
	const struct vt_entry *e;
	uint64_t w, off;

	if (__builtin_expect(va >> VT_VA_BITS, 0))
		return -ENOENT;
	/* unrolled: each level's offset mask is a constant */
	e = &vt->l1[va >> VT_L1_SHIFT];
	w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
	off = va & ((1ull << VT_L1_SHIFT) - 1);
	if (w & VT_TABLE) {
		e = (const struct vt_entry *)(uintptr_t)(w - VT_TABLE) +
		    ((va >> VT_L2_SHIFT) & (VT_ENTRIES - 1));
		w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
		off = va & ((1ull << VT_L2_SHIFT) - 1);
		if (w & VT_TABLE) {
			e = (const struct vt_entry *)(uintptr_t)(w - VT_TABLE) +
			    ((va >> VT_L3_SHIFT) & (VT_ENTRIES - 1));
			w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
			off = va & ((1ull << VT_L3_SHIFT) - 1);
		}
	}
	if (__builtin_expect(!(w & VT_LEAF), 0))
		return -ENOENT;
	if (len) {
		uint64_t end = __atomic_load_n(&e->end, __ATOMIC_ACQUIRE), again;

		w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
		again = __atomic_load_n(&e->end, __ATOMIC_RELAXED);
		if (__builtin_expect(!(w & VT_LEAF) || again != end, 0))
			return -ENOENT;
		*len = ((end >> VT_END_SHIFT) & ~0xfffull) - va;
	}
	*iova = (w - VT_LEAF) + off;
	return 0;
}

/* the mapping a record node stands for, as the backends take it */
static inline struct vfiodev_mapping vfd_node_mapping(const struct itree_node *n)
{
	return (struct vfiodev_mapping){
		.vaddr = n->vaddr & ~MAPF_MASK,
		.iova = n->iova,
		.len = n->len,
		.flags = (unsigned int)(n->vaddr &
					(VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)),
	};
}

struct vfiodev_space {
	int refcount;
	struct vfiodev_ctx *ctx;
	enum vfiodev_backend want; /* from opts; AUTO lets a device choose */
	bool pinned; /* want came from vfiodev_space_opts, not the environment */
	/* NULL until the kernel object exists (the first device, or at once
	 * for a space pinned to iommufd); until then maps are only recorded */
	const struct backend_ops *ops;
	unsigned int nr_devices;
	bool noiommu;
	/* the kernel object holds every recorded mapping */
	bool synced;

	/* iommufd */
	int iommufd; /* the ctx's fd, borrowed */
	uint32_t ioas_id;

	/* container */
	int container_fd;
	int iommu_type;
	struct vfiodev_group *groups;

	pthread_mutex_t lock; /* joins, maps, unmaps, the record */
	struct vtable vt; /* vaddr -> IOVA, read without the lock */
	struct itree tree; /* mappings and reserved spans by IOVA */
	size_t nr_maps; /* mappings in the tree */
	struct vfiodev_iova_range *resv; /* the reserved spans in the tree */
	size_t nr_resv;
	struct vfiodev_iova_range *ranges;
	size_t nr_ranges;
	uint64_t iova_align;
	uint64_t iova_max; /* space-wide limit (inclusive) */
	struct vfiodev_device *devices; /* attached, via space_next */
	/* dirty tracking (dirty.c): Type1's migration capability, read at
	 * each join; iommufd's tracking HWPT the devices are attached to */
	uint64_t dirty_pgsizes;
	uint64_t dirty_max_bitmap;
	bool dirty_on;
	uint32_t dirty_hwpt;
	struct vfd_p2p *p2p; /* what the MAPF_REGION mappings hold */
	/* live update: the kernel objects belong to another process now (or
	 * are being adopted): the last unref and the devices' closes free
	 * the library's objects only; maps, unmaps and joins are refused */
	bool handed_over;
};

/* a BAR range mapped into a space (dma_p2p.c): the library's mmap of it
 * (or, on iommufd where the kernel offers none, a PROT_NONE stand-in),
 * on the space's list (its lock) and the exporting device's (ctx->lock),
 * whose close unmaps it */
struct vfd_p2p {
	uint64_t va, len;
	struct vfiodev_space *space;
	struct vfiodev_device *dev; /* NULL: the device went first */
	struct vfd_p2p *next;
	struct vfd_p2p *dev_next;
};
/* the device closes: every BAR mapping of it leaves its space */
void vfd_p2p_device_gone(struct vfiodev_device *dev);

/* a reference, unless the space is already being released */
struct vfiodev_space *vfd_space_tryget(struct vfiodev_space *space);
int vfd_space_join(struct vfiodev_space *space, struct vfiodev_device *dev,
		   const struct backend_ops *ops);
void vfd_space_leave(struct vfiodev_space *space, struct vfiodev_device *dev);
/* the kernel's IOVA ranges; NULL, 0: unknown (provisional ranges).
 * -EADDRINUSE, changing nothing, when a recorded mapping lies outside */
/* read the backend's limits and apply them; caller holds space->lock */
int vfd_space_refresh_limits(struct vfiodev_space *space);
int vfd_space_set_ranges(struct vfiodev_space *space,
			 const struct vfiodev_iova_range *r, size_t n);
/* the kernel object is gone (a detach said so, or the backend destroyed
 * it): the record stays, to be replayed, what lived in the object does
 * not */
void vfd_space_kernel_gone(struct vfiodev_space *space);
/* bytes of bookkeeping the record holds (bench, tests) */
size_t vfd_space_record_bytes(struct vfiodev_space *space);
/* iommufd.c: the context's /dev/iommu fd, loading iommufd when the node
 * is missing; -errno */
int vfd_iommufd_open(struct vfiodev_ctx *ctx);
/* iommufd.c: create the IOAS of a space pinned to iommufd */
int vfd_iommufd_space_create(struct vfiodev_space *space);

/* dma.c: where a picked IOVA may go */
struct vfd_placement {
	uint64_t iova_max; /* inclusive */
	uint64_t align; /* 0: natural */
	/* with align 0: the alignment the buffer asks for (a BAR range: its
	 * own), page alignment when none is free; 0: from the address */
	uint64_t natural;
};

/* the space's kernel object exists and holds the record */
static inline bool vfd_space_kernel_live(const struct vfiodev_space *space)
{
	return space->ops && space->synced;
}

/* map @va+@len at @iova (fixed) or at a picked IOVA (@p non-NULL), with
 * MAPF_* @mflags, the pages from @src where the kernel can; the caller
 * holds space->lock */
int vfd_dma_map_locked(struct vfiodev_space *space, uint64_t va, uint64_t len,
		       unsigned int flags, uint64_t iova,
		       const struct vfd_placement *p, unsigned int mflags,
		       const struct map_src *src, uint64_t *out);
/* the last reference's teardown, after the kernel object went: memory the
 * library allocated or mmapped for mappings still recorded (the kernel
 * refused their unmap) is released whatever the unmap said */
void vfd_dma_release_owned(struct vfiodev_space *space);
/* @flags (READ and/or WRITE) and @opts checked into @p */
int vfd_dma_placed(struct vfiodev_space *space, unsigned int flags,
		   const struct vfiodev_dma_opts *opts, struct vfd_placement *p);
/* unmap the buffer that starts at @va if it is (@alloc) or is not memory
 * of vfiodev_dma_alloc(): *@found says whether it was there (else -ENOENT,
 * nothing logged, *@other set when a buffer of the other kind starts
 * there); the kernel's refusal is logged by the backend */
int vfd_dma_unmap_buffer(struct vfiodev_space *space, uint64_t va, bool alloc,
			 bool *other, bool *found);
/* VFIODEV_DMA_FIXED_IOVA taken out of *@flags into *@fixed; the rest and
 * @opts checked into @p */
int vfd_dma_fixed_or_placed(struct vfiodev_space *space, unsigned int *flags,
			    const struct vfiodev_dma_opts *opts,
			    struct vfd_placement *p, bool *fixed);

/* dma_noiommu.c: publish @m's bus addresses in the translate table (the
 * bus address of its first byte in *@out; on failure the kernel mapping is
 * undone); find the mapping holding bus address @bus. Caller holds the
 * lock */
int vfd_noiommu_publish(struct vfiodev_space *space,
			const struct vfiodev_mapping *m, uint64_t limit,
			uint64_t *out);
const struct itree_node *vfd_noiommu_find(struct vfiodev_space *space, uint64_t bus,
					  uint64_t *va, uint64_t *contig);

/* dma_p2p.c: */
/* vfiodev_dma_map_file() of a checked dma-buf range at a picked (@p) or
 * fixed (*@iova) IOVA; takes the lock */
int vfd_dma_map_dmabuf(struct vfiodev_space *space, int fd, uint64_t offset,
		       size_t len, unsigned int flags,
		       const struct vfd_placement *p, uint64_t *iova, void **vaddr);

/* dirty.c: the tracking HWPT goes before its IOAS (iommufd destroy) */
int vfd_dirty_hwpt_destroy(struct vfiodev_space *space);

/* device_info.c: a UUID "8-4-4-4-12" (hex) into 16 bytes and its lower
 * case form; -EINVAL when malformed */
int vfd_uuid_parse(const char *s, uint8_t out[16], char norm[37]);
/* what an EACCES from the kernel's VF token check means for @dev, for a
 * log line (" (...)"), on either path; "" for other errors */
const char *vfd_vf_token_hint(const struct vfiodev_device *dev, int err);

/* container.c: the node of a VFIO group, identity-checked; @space: the
 * one it is opened for (names the holder when busy), or NULL */
int vfd_group_node_open(struct vfiodev_ctx *ctx, const struct vfiodev_space *space,
			int group_id, bool noiommu, char *path, size_t len);

/* ---- devices ----------------------------------------------------------- */
struct region_map {
	void *addr; /* mmap, NULL when not mapped */
	size_t len;
	/* offset and size in the device fd, cached after the first info */
	uint64_t fd_offset;
	uint64_t size;
	bool known;
};

struct vfiodev_device {
	struct vfiodev_ctx *ctx;
	struct vfiodev_space *space;
	char bdf[BDF_BUF]; /* "" when not a PCI device (an mdev) */
	/* the kernel's name ("0000:00:03.0", an mdev's UUID: what
	 * VFIO_GROUP_GET_DEVICE_FD takes) or "fd 5", for log lines */
	char name[64];
	/* its sysfs directory (vfd_sysdev.dir), "" for an fd without one */
	char sysdir[160];
	enum vfd_bus bus;
	enum vfiodev_backend backend;
	char *fallback_reason;
	char group_failure[512]; /* why the group path failed, in words */
	char node[256];
	dev_t devnum;
	bool has_devnum;
	/* the vfio cdev as sysfs named it before the open (read once, by the
	 * module preparation or the cdev path; checked again after the open) */
	bool cdev_read;
	/* the cdev path was prepared for (prepare_modules()): only its
	 * module, and the context's /dev/iommu opened, with this result */
	bool cdev_prepared;
	int iommufd_ret;
	bool noiommu_read, group_noiommu; /* vfd_sysfs_dev_group_noiommu() */
	bool cdev_unproved; /* its number not asked for (cdev_of()) */
	int cdev_ret;
	char cdev_name[64];
	int group_id;
	struct vfiodev_group *group; /* container path */
	int fd;
	bool fd_borrowed; /* open_fd() until it succeeds: not ours to close */
	bool allow_noiommu;
	/* the cdev is "noiommu-vfioN" (Linux 7.x: noiommu through iommufd) */
	bool noiommu_cdev;
	bool attached; /* joined to its space */
	bool group_registered; /* counted in ctx->owners */
	struct vfiodev_device *space_next; /* the space's attached devices */
	struct vfd_p2p *p2p; /* its BAR ranges mapped into spaces */
	/* vfiodev_device_adopt(): the fd is bound already, with this id */
	uint32_t adopt_devid;
	bool has_vf_token; /* vfiodev_device_opts.vf_token */
	bool token_refused; /* the cdev bind does not take the token */
	uint8_t vf_token[16];
	char vf_token_str[40]; /* normalised, lower case */
	uint32_t devid; /* iommufd device id */
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	uint32_t num_regions;
	uint32_t num_irqs;
	struct region_map *maps; /* num_regions entries */
	/* per IRQ index (num_irqs entries, allocated by the first eventfd
	 * set): the vectors the kernel enabled and their eventfds (irq.c) */
	struct vfd_irq_vecs *irqs;
	/* VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 was set (migration.c): the
	 * pre-copy info's flags are an output */
	bool mig_precopy_v2;
};

/* the largest alignment of a region's mmap (region.c aligns one to its
 * size rounded up to a power of two, at least a page) */
#define VFD_MMAP_ALIGN_MAX (1ull << 30)
/* a shared mmap of [@offset, +@len) of region @index (page-aligned, inside
 * one mmappable area), at an address congruent to @offset modulo the
 * smaller of the region's and the range's mmap alignment, so vfio-pci can
 * map it with huge entries; independent of vfiodev_region_mmap(). A range
 * the kernel offers no mmap of is -EINVAL, or with @quiet -EOPNOTSUPP
 * without a log line */
int vfd_region_mmap_range(struct vfiodev_device *dev, unsigned int index,
			  uint64_t offset, uint64_t len, bool quiet, void **addr);
/* VFIO_DEVICE_FEATURE_DMA_BUF of checked ranges, without a log line:
 * the fd, or -errno with *@why set to what the refusal means (" (...)") */
int vfd_region_dma_buf(struct vfiodev_device *dev, unsigned int index,
		       const struct vfiodev_dma_range *ranges, size_t nr,
		       const char **why);

/* migration.c: VFIO_DEVICE_FEATURE with up to 64 bytes of data, no log
 * line (-errno or the ioctl's result); the states from @from to @to that a
 * device with VFIO_MIGRATION_* @flags walks, both ends in @path: the
 * number of arcs, -1 when there is no path */
int vfd_mig_feature(struct vfiodev_device *dev, uint32_t flags, void *data,
		    size_t len);
int vfd_mig_path(uint64_t flags, unsigned int from, unsigned int to,
		 uint8_t path[8]);

/* VFIO_DEVICE_GET_INFO into @dev; allocates the region map table */
int vfd_device_load_info(struct vfiodev_device *dev);
/* the close path: undo the device's mmaps */
void vfd_region_unmap_all(struct vfiodev_device *dev);
/* ... and its IRQ triggers, and forget them */
void vfd_irq_disable_all(struct vfiodev_device *dev);
/* forget them only: the kernel's triggers stay (a handed-over device's,
 * for the process that took it) */
void vfd_irq_forget_all(struct vfiodev_device *dev);
/* device_cdev.c: the cdev path of an open (device.c), on failure
 * @dev->fallback_reason says why; the vfio cdev of @dev, read once */
int vfd_device_set_reason(struct vfiodev_device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int vfd_device_cdev_of(struct vfiodev_device *dev);
int vfd_device_open_cdev(struct vfiodev_space *space, struct vfiodev_device *dev);

/* ---- binding, discovery, diagnosis (bind.c, discover.c, paths.c,
 * diagnose.c) ------------------------------------------------------------ */
/* a driver that does no DMA of its own behind VFIO's back, so it leaves its
 * IOMMU group viable (the kernel's driver_managed_dma): VFIO drivers,
 * pci-stub, pcieport */
bool vfd_driver_keeps_group_viable(const char *driver);
/* a VFIO driver: vfio-pci or a variant driver ("mlx5_vfio_pci") */
bool vfd_driver_is_vfio(const char *driver);
/* enum vfiodev_module_state of a module, from sysfs alone */
int vfd_module_state(const struct vfiodev_ctx *ctx, const char *name);
/* snprintf into a malloc'd string; NULL when out of memory */
char *vfd_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* vfd_strfmt() with a va_list; NULL when out of memory */
char *vfd_vstrfmt(const char *fmt, va_list ap);

/* fill @d from sysfs; @d->paths is left 0. 0, -ENODEV, -ENOMEM */
int vfd_pci_device_read(const struct vfiodev_ctx *ctx, const char *bdf,
			struct vfiodev_pci_device *d);
void vfd_pci_device_clear(struct vfiodev_pci_device *d);

/* the user who has to open the nodes */
struct node_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	bool self; /* the calling process: capabilities can be read */
	char name[64];
};
void vfd_node_user_self(struct node_user *u);
void vfd_node_user_of(struct node_user *u, uid_t uid, gid_t gid);
/* the user holds capability @cap (CAP_IPC_LOCK...): read for the calling
 * process, assumed for root otherwise */
bool vfd_node_user_has_cap(const struct node_user *u, int cap);
bool vfd_node_user_in_group(const struct node_user *u, gid_t gid);

/* a diagnosis under construction: the findings sink (findings.c), a leaf
 * that the checks write into (diagnose.c, paths.c); NULL records nothing */
struct diag {
	struct vfiodev_diagnosis *out;
	enum diag_path *tags; /* parallel to out->findings */
	size_t cap;
	bool oom;
};
/* which open path a finding concerns: its severity is settled once both
 * paths are known (a failure is an error only when no path is left) */
enum diag_path { DIAG_ANY = 0, DIAG_CDEV = 1, DIAG_GROUP = 2 };
/* takes ownership of @subject, @found and @remedy (each may be NULL) */
void vfd_diag_add(struct diag *dg, enum vfiodev_severity sev, enum diag_path path,
		  const char *check, char *subject, char *found, char *remedy);

struct path_args {
	enum vfiodev_backend backend; /* forced backend, or AUTO */
	bool allow_noiommu;
	const struct node_user *user;
	char *cdev_reason; /* out, malloc'd: why the cdev path is out */
	bool noiommu_cdev; /* out: the cdev path is 7.x's noiommu cdev */
};
/* VFIODEV_PATH_* bits of the paths that can be opened now; each check is
 * recorded in @dg. Needs @d bound to a VFIO driver and in a viable group
 * (the caller checks both). */
unsigned int vfd_paths_evaluate(struct vfiodev_ctx *ctx,
				const struct vfiodev_pci_device *d,
				struct path_args *a, struct diag *dg);

#endif /* VFIODEV_INTERNAL_H */
