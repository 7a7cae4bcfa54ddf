/* SPDX-License-Identifier: MIT */
/*
 * libvfiodev - open a Linux VFIO device from its PCI address.
 *
 * The one public header. Every function returns 0 (or a non-negative
 * value) on success and a negative errno on failure; constructors take the
 * output pointer last and leave it untouched on failure. No kernel UAPI type
 * appears here, so this header builds on any distribution.
 *
 * Threads: a context and a space may be used from any number of threads; a
 * device is one thread's (its mmap and IRQ state are not locked), except
 * where a function's Context: line says otherwise.
 */
#ifndef VFIODEV_H
#define VFIODEV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** VFIODEV_BDF_LEN - room for a PCI address ("dddd:bb:dd.f") and its NUL */
#define VFIODEV_BDF_LEN 20

struct vfiodev_ctx;
struct vfiodev_space;
struct vfiodev_device;

/**
 * enum vfiodev_backend - how a device reaches its DMA address space
 * @VFIODEV_BACKEND_AUTO: try the vfio cdev + iommufd path, fall back to the
 *	group/container path when it is not available.
 * @VFIODEV_BACKEND_IOMMUFD: only the cdev (/dev/vfio/devices/vfioX) +
 *	/dev/iommu path.
 * @VFIODEV_BACKEND_CONTAINER: only the legacy group (/dev/vfio/N) +
 *	container (/dev/vfio/vfio) path, Type1 IOMMU (or noiommu).
 */
enum vfiodev_backend {
	VFIODEV_BACKEND_AUTO = 0,
	VFIODEV_BACKEND_IOMMUFD = 1,
	VFIODEV_BACKEND_CONTAINER = 2,
};

/**
 * vfiodev_backend_name() - printable name of a backend
 * @backend: a backend value
 *
 * Context: any thread; no lock, no blocking.
 * Return: "auto", "iommufd", "container" or "unknown"; never NULL.
 */
const char *vfiodev_backend_name(enum vfiodev_backend backend);

/* ------------------------------------------------------------------ */
/* Context                                                              */
/* ------------------------------------------------------------------ */

/**
 * typedef vfiodev_log_fn - log callback
 * @data: the pointer given to vfiodev_ctx_set_log_fn()
 * @priority: syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG)
 * @file: source file of the message
 * @line: source line
 * @fn: function name
 * @format: printf format
 * @args: its arguments
 */
typedef void (*vfiodev_log_fn)(void *data, int priority, const char *file, int line,
			       const char *fn, const char *format, va_list args);

/**
 * struct vfiodev_ctx_opts - options of vfiodev_ctx_new()
 * @sz: sizeof(struct vfiodev_ctx_opts), set by VFIODEV_OPTS_INIT
 * @sysfs_root: sysfs mount point, default "/sys" or $VFIODEV_SYSFS_ROOT;
 *	an absolute path of at most 128 bytes
 * @dev_root: device directory, default "/dev" or $VFIODEV_DEV_ROOT; an
 *	absolute path of at most 128 bytes
 * @log_priority: initial log priority + 1 (0 keeps the default: LOG_ERR,
 *	or $VFIODEV_LOG, which takes a number or err/warning/info/debug)
 * @no_module_load: never load kernel modules (by default, where built with
 *	libkmod, opening a device loads iommufd, vfio and vfio_iommu_type1
 *	when a path needs them, before taking any lock, without running
 *	modprobe.d install commands; failures the open absorbs are logged at
 *	LOG_INFO); vfiodev_bind() and vfiodev_modules_load() load modules as
 *	asked whatever this says
 * @reserved: zero (room for a later field; no implicit padding, so an
 *	initialiser that names only some fields zeroes it)
 */
struct vfiodev_ctx_opts {
	size_t sz;
	const char *sysfs_root;
	const char *dev_root;
	int log_priority;
	bool no_module_load;
	uint8_t reserved[3];
};

/**
 * VFIODEV_OPTS_INIT() - declare and zero an options struct with its size set
 * @type: the struct type name without "struct", e.g. vfiodev_device_opts
 * @name: the variable to declare
 */
#ifdef __cplusplus
#define VFIODEV_OPTS_INIT(type, name)                                          \
	struct type name;                                                      \
	memset(&name, 0, sizeof(name));                                        \
	name.sz = sizeof(struct type)
#else
/* every byte zero, padding included (an initialiser alone need not zero
 * it, and the library refuses non-zero bytes past the fields it knows) */
#define VFIODEV_OPTS_INIT(type, name)                                          \
	struct type name = ({                                                  \
		memset(&name, 0, sizeof(struct type));                         \
		(struct type){ .sz = sizeof(struct type) };                    \
	})
#endif

/**
 * vfiodev_ctx_new() - create a library context
 * @opts: options, or NULL for defaults
 * @out: receives the context (refcount 1)
 *
 * Context: any thread; reads the environment (VFIODEV_LOG, VFIODEV_BACKEND,
 * VFIODEV_SYSFS_ROOT, VFIODEV_DEV_ROOT); opens nothing yet.
 * Return: 0, -EINVAL for bad options, -ENOMEM.
 */
int vfiodev_ctx_new(const struct vfiodev_ctx_opts *opts, struct vfiodev_ctx **out);

/**
 * vfiodev_ctx_ref() - take a reference on a context
 * @ctx: the context, may be NULL
 *
 * Context: any thread (atomic).
 * Return: @ctx.
 */
struct vfiodev_ctx *vfiodev_ctx_ref(struct vfiodev_ctx *ctx);

/**
 * vfiodev_ctx_unref() - drop a reference; the last one frees the context
 * @ctx: the context, may be NULL
 *
 * Context: any thread (atomic); the last reference closes the context's
 * /dev/iommu fd and frees it: no object made from it may still be in use.
 * Return: NULL, always, so that callers can write ctx = vfiodev_ctx_unref(ctx).
 */
struct vfiodev_ctx *vfiodev_ctx_unref(struct vfiodev_ctx *ctx);

/**
 * vfiodev_ctx_set_log_fn() - route the context's log messages
 * @ctx: the context
 * @fn: the callback, or NULL to restore the default (stderr)
 * @data: passed to @fn
 *
 * Context: any thread, also while others log: a logging thread uses the old
 * callback with its own data or the new one with its own, never a mix. The
 * callback may be called from every thread that uses the context.
 */
void vfiodev_ctx_set_log_fn(struct vfiodev_ctx *ctx, vfiodev_log_fn fn, void *data);

/**
 * vfiodev_ctx_set_log_priority() - set the most verbose priority logged
 * @ctx: the context
 * @priority: a syslog priority, LOG_EMERG (0) .. LOG_DEBUG (7)
 *
 * Context: any thread (atomic).
 */
void vfiodev_ctx_set_log_priority(struct vfiodev_ctx *ctx, int priority);

/**
 * vfiodev_ctx_get_log_priority() - the current log priority
 * @ctx: the context
 *
 * Context: any thread (atomic).
 * Return: a syslog priority.
 */
int vfiodev_ctx_get_log_priority(const struct vfiodev_ctx *ctx);

/**
 * vfiodev_ctx_adopt_iommufd() - use an iommufd opened elsewhere
 * @ctx: the context, before any device or space of it has used iommufd
 * @fd: an open /dev/iommu file (passed by a privileged helper such as
 *	libvirt, or inherited from a parent process)
 *
 * The fd is checked like every node the library opens: it must be the
 * character device /sys/class/misc/iommu/dev names. The context keeps a
 * duplicate (close-on-exec) for every device and space it opens on the
 * iommufd path, and closes it with its last reference; @fd stays the
 * caller's, who may close it at once.
 *
 * Context: any thread; takes the context's lock.
 * Return: 0; -EBUSY when the context already has an iommufd; -ENXIO when @fd
 * is not /dev/iommu; -EBADF, or dup's error.
 */
int vfiodev_ctx_adopt_iommufd(struct vfiodev_ctx *ctx, int fd);

/* ------------------------------------------------------------------ */
/* Address spaces                                                       */
/* ------------------------------------------------------------------ */

/**
 * VFIODEV_DMA_BIT_MASK() - the highest IOVA a device with an @n-bit DMA mask
 *	reaches, for vfiodev_space_opts.iova_max and vfiodev_dma_opts.iova_max
 * @n: address bits, 1..64
 */
#define VFIODEV_DMA_BIT_MASK(n) ((n) >= 64 ? ~0ull : (1ull << (n)) - 1)

/**
 * struct vfiodev_space_opts - options of vfiodev_space_new()
 * @sz: sizeof(struct vfiodev_space_opts)
 * @backend: pin the space to one backend; AUTO lets its first device choose
 *	(a forced backend from $VFIODEV_BACKEND applies when this is AUTO)
 * @iova_max: the highest IOVA any mapping of the space may touch (a DMA
 *	mask, e.g. VFIODEV_DMA_BIT_MASK(28) for a 28-bit device); 0: no limit.
 *	vfiodev_dma_map_any() never hands out an IOVA above it, and
 *	vfiodev_dma_map() refuses one.
 */
struct vfiodev_space_opts {
	size_t sz;
	enum vfiodev_backend backend;
	uint64_t iova_max;
};

/**
 * vfiodev_space_new() - create a DMA address space
 * @ctx: the context
 * @opts: options, or NULL
 * @out: receives the space (refcount 1)
 *
 * A space is usable at once: memory can be mapped before any device joins
 * (a VMM lays out guest memory first). The space's record of mappings is
 * the truth: a space pinned to the iommufd backend creates its IOAS now and
 * maps into it as it goes; otherwise the mappings are recorded and replayed
 * into the kernel object (IOAS or Type1 container) that the first device's
 * backend creates when it joins. Until a device has joined, the IOVA ranges
 * are provisional (see vfiodev_space_ranges_provisional()).
 *
 * Context: may block (opens /dev/iommu for an iommufd space); a space
 * pinned to iommufd may load the iommufd module when /dev/iommu is missing
 * (libkmod; not with vfiodev_ctx_opts.no_module_load).
 * Return: 0, -EINVAL, -ENOMEM, or the error of creating the IOAS: -ENOENT
 * when /dev/iommu does not exist (a kernel without CONFIG_IOMMUFD, or the
 * module could not be loaded), -EACCES without the right to open it.
 */
int vfiodev_space_new(struct vfiodev_ctx *ctx, const struct vfiodev_space_opts *opts,
		      struct vfiodev_space **out);

/**
 * vfiodev_space_ref() - take a reference on a space
 * @space: the space, may be NULL
 *
 * Context: any thread (atomic).
 * Return: @space.
 */
struct vfiodev_space *vfiodev_space_ref(struct vfiodev_space *space);

/**
 * vfiodev_space_unref() - drop a reference; the last one unmaps everything
 *	and destroys the IOAS or container
 * @space: the space, may be NULL
 *
 * The last reference also frees the memory of vfiodev_dma_alloc() and
 * unmaps the library's mappings of vfiodev_dma_map_file() still in the
 * space, even where the kernel refused to unmap them (the kernel object
 * goes with the space, so nothing can reach them any more); the caller's
 * own buffers stay the caller's.
 *
 * Context: any thread; the last reference unmaps everything and destroys the
 * kernel object (ioctls; takes the space's lock).
 * Return: NULL.
 */
struct vfiodev_space *vfiodev_space_unref(struct vfiodev_space *space);

/**
 * vfiodev_space_backend() - the backend a space is bound to
 * @space: the space
 *
 * Context: any thread; lock-free.
 * Return: IOMMUFD or CONTAINER once its kernel object exists (its first
 * device joined, or at once for a space pinned to iommufd), else AUTO.
 */
enum vfiodev_backend vfiodev_space_backend(const struct vfiodev_space *space);

/**
 * struct vfiodev_iova_range - an inclusive range of usable IOVAs
 * @start: first usable IOVA
 * @last: last usable IOVA (inclusive)
 * @reserved: written as zero (room to grow; callers pass arrays of this)
 */
struct vfiodev_iova_range {
	uint64_t start;
	uint64_t last;
	uint64_t reserved[2];
};

/**
 * vfiodev_space_iova_ranges() - the IOVA ranges the space may map into
 * @space: the space
 * @ranges: array to fill, may be NULL when @n is 0
 * @n: capacity of @ranges
 *
 * The ranges are the kernel's (IOMMU_IOAS_IOVA_RANGES, or the Type1
 * VFIO_IOMMU_GET_INFO IOVA-range capability), read again whenever a device
 * joins. Before the first device they are provisional: the empty IOAS's
 * ranges, or every address for a space with no kernel object yet, less the
 * x86 interrupt window 0xfee00000-0xfeefffff that every x86 IOMMU reserves.
 * Mappings recorded in provisional ranges that a device's reserved regions
 * exclude make that device's join fail.
 *
 * Context: any thread; takes the space's lock.
 * Return: the number of ranges (which may exceed @n; only @n are written).
 */
int vfiodev_space_iova_ranges(struct vfiodev_space *space,
			      struct vfiodev_iova_range *ranges, size_t n);

/**
 * vfiodev_space_ranges_provisional() - whether the ranges may still shrink
 * @space: the space
 *
 * Context: any thread; takes the space's lock.
 * Return: true while no device is attached to the space (its ranges are
 * provisional), false once they are the kernel's for its devices.
 */
bool vfiodev_space_ranges_provisional(struct vfiodev_space *space);

/**
 * vfiodev_space_iommufd() - the kernel handles of an iommufd space
 * @space: the space
 * @ioas_id: receives the IOAS id, may be NULL
 *
 * For ioctls the library does not wrap. The fd is borrowed: it belongs to
 * the context and stays valid while the space lives; do not close it, and
 * do not unmap the library's mappings behind its back.
 *
 * Context: any thread; takes the space's lock.
 * Return: the /dev/iommu fd, or -ENODEV when the space has no IOAS (it is a
 * container, or its kernel object does not exist yet).
 */
int vfiodev_space_iommufd(struct vfiodev_space *space, uint32_t *ioas_id);

/**
 * vfiodev_space_container_fd() - the Type1 container of a space
 * @space: the space
 *
 * Borrowed like vfiodev_space_iommufd()'s fd: valid while the space holds a
 * group.
 *
 * Context: any thread; takes the space's lock.
 * Return: the /dev/vfio/vfio fd, or -ENODEV when the space has none.
 */
int vfiodev_space_container_fd(struct vfiodev_space *space);

/* ------------------------------------------------------------------ */
/* DMA                                                                  */
/* ------------------------------------------------------------------ */

/** VFIODEV_DMA_READ - the device may read the memory (host to device) */
#define VFIODEV_DMA_READ (1u << 0)
/** VFIODEV_DMA_WRITE - the device may write the memory (device to host) */
#define VFIODEV_DMA_WRITE (1u << 1)
/**
 * VFIODEV_DMA_FIXED_IOVA - vfiodev_dma_map_file() and vfiodev_dma_copy():
 *	map at the IOVA the call's @iova points to, instead of picking one
 */
#define VFIODEV_DMA_FIXED_IOVA (1u << 8)

/**
 * struct vfiodev_dma_opts - where vfiodev_dma_map_any() and
 *	vfiodev_dma_alloc() may place a buffer
 * @sz: sizeof(struct vfiodev_dma_opts)
 * @iova_max: the highest IOVA the mapping may touch, below the space's own
 *	limit (0: the space's limit only)
 * @align: IOVA alignment, a power of two >= the page size; 0: like the
 *	buffer (a 1 GiB- or 2 MiB-aligned buffer at least that long gets an
 *	IOVA aligned the same, so the IOMMU can use superpages, falling back
 *	to the page size when no such IOVA is free)
 */
struct vfiodev_dma_opts {
	size_t sz;
	uint64_t iova_max;
	uint64_t align;
};

/**
 * vfiodev_dma_map() - map a buffer at a chosen IOVA
 * @space: the space
 * @vaddr: page-aligned start of the buffer
 * @len: page-aligned length, > 0
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE
 * @iova: page-aligned IOVA, inside one of the space's IOVA ranges and at or
 *	below its iova_max
 *
 * The arguments come in vfiodev_dma_map_any()'s order. On a space whose
 * kernel object does not exist yet, the mapping is recorded and reaches the
 * kernel when the first device joins.
 *
 * Context: takes the space's lock; may block in the kernel (page pinning).
 * Return: 0; -EINVAL for misaligned or out-of-range arguments, -EEXIST when
 * the IOVA range or the buffer overlaps a mapping (map a buffer once, so
 * that vfiodev_dma_translate() has one answer), -ERANGE when the buffer
 * (@vaddr + @len, a virtual address, not the IOVA) reaches 2^48 (the
 * translate table covers 48-bit addresses), or the kernel's error (-ENOMEM
 * when RLIMIT_MEMLOCK is too low, for example); a failed call changes
 * nothing. "Page-aligned" means the space's IOVA alignment: the larger of
 * the CPU's page and the IOMMU's smallest page (64 KiB on some arm64 and
 * POWER systems).
 */
int vfiodev_dma_map(struct vfiodev_space *space, void *vaddr, size_t len,
		    unsigned int flags, uint64_t iova);

/**
 * vfiodev_dma_map_any() - map a buffer at an IOVA the library picks
 * @space: the space
 * @vaddr: page-aligned start of the buffer
 * @len: page-aligned length, > 0
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE
 * @opts: limit and alignment, or NULL (the space's limit, the buffer's
 *	alignment)
 * @iova: receives the IOVA: the lowest free one inside the ranges, above
 *	page 0, aligned and under the limits
 *
 * noiommu spaces (a device opened through Linux 7.x's noiommu cdev): the
 * space's IOAS pins the buffer, and its device DMAs to the pages' physical
 * (bus) addresses, which the kernel reports (IOMMU_IOAS_NOIOMMU_GET_PA).
 * One model then holds for every call: addresses given or taken for the
 * device are bus addresses. *@iova receives the bus address of the first
 * byte; vfiodev_dma_translate() answers with bus addresses and
 * vfiodev_dma_translate_len() with the bytes physically contiguous from
 * there (a buffer whose pages are not contiguous is the caller's to split,
 * one translate_len per piece, as for a PRP or SGL list);
 * vfiodev_dma_iova_to_vaddr() and vfiodev_dma_unmap() take bus addresses
 * (the first byte's for unmap; both walk the mappings, O(n)); the limit in
 * @opts bounds the bus addresses (a buffer with pages above it: -ENOSPC:
 * the kernel placed them, the library cannot move them). vfiodev_dma_map()
 * at a chosen IOVA (-EINVAL), vfiodev_dma_unmap_range() and
 * vfiodev_dma_copy() (-EOPNOTSUPP) have no meaning there. A noiommu space
 * takes no IOMMU-translated device and no mappings made before its first
 * device (-EXDEV).
 *
 * Context: as vfiodev_dma_map().
 * Return: 0; -ENOSPC when no range has room under the constraints (the log
 * says which constraint left none); -EOPNOTSUPP in a noiommu space the
 * kernel cannot map into (a noiommu group's container, or a kernel without
 * IOMMU_IOAS_NOIOMMU_GET_PA); or as vfiodev_dma_map().
 */
int vfiodev_dma_map_any(struct vfiodev_space *space, void *vaddr, size_t len,
			unsigned int flags, const struct vfiodev_dma_opts *opts,
			uint64_t *iova);

/**
 * vfiodev_dma_unmap() - remove one mapping
 * @space: the space
 * @iova: the IOVA the mapping starts at (a noiommu space: the bus address
 *	vfiodev_dma_map_any() gave)
 * @len: its length (must equal the mapped length)
 *
 * Context: takes the space's lock.
 * Return: 0, -ENOENT when no such mapping exists, or the kernel's error
 * (the mapping then stays).
 */
int vfiodev_dma_unmap(struct vfiodev_space *space, uint64_t iova, size_t len);

/**
 * vfiodev_dma_unmap_vaddr() - remove the mapping of a buffer
 * @space: the space
 * @vaddr: the start of the mapped buffer (the address given to the map)
 *
 * Context: takes the space's lock.
 * Return: 0, -ENOENT when no mapping starts at @vaddr, or the kernel's error.
 */
int vfiodev_dma_unmap_vaddr(struct vfiodev_space *space, const void *vaddr);

/**
 * vfiodev_dma_unmap_range() - remove every mapping inside an IOVA range
 * @space: the space
 * @iova: the first IOVA of the range
 * @len: its length, > 0 (UINT64_MAX - @iova + 1 reaches the top)
 * @unmapped: receives the bytes unmapped, may be NULL
 *
 * Mappings must lie wholly inside the range: if one straddles an edge,
 * nothing is unmapped. Memory from vfiodev_dma_alloc() is refused the same
 * way (free it with vfiodev_dma_free()).
 *
 * Context: takes the space's lock.
 * Return: 0 (also when the range holds no mapping), -EINVAL for a straddling
 * mapping or a bad range, or the first kernel error; the mappings before it
 * are gone (and counted in @unmapped), the others stay.
 */
int vfiodev_dma_unmap_range(struct vfiodev_space *space, uint64_t iova,
			    uint64_t len, uint64_t *unmapped);

/**
 * vfiodev_dma_unmap_all() - remove every mapping of the space
 * @space: the space
 *
 * Memory from vfiodev_dma_alloc() is unmapped and freed too.
 *
 * Context: takes the space's lock.
 * Return: 0 or the first kernel error; every mapping is attempted, and the
 * ones the kernel refused to unmap stay recorded.
 */
int vfiodev_dma_unmap_all(struct vfiodev_space *space);

/**
 * vfiodev_dma_translate() - the IOVA of a virtual address
 * @space: the space
 * @vaddr: any address inside a mapped buffer
 * @iova: receives the IOVA
 *
 * The hot path of a userspace driver: a walk of a radix table by virtual
 * address, with no lock and no atomic read-modify-write. Safe against any
 * concurrent map and unmap; an address that is being unmapped at the same
 * time translates to its old IOVA or to -ENOENT.
 *
 * Context: lock-free; any thread.
 * Return: 0, -ENOENT when @vaddr is not mapped.
 */
int vfiodev_dma_translate(struct vfiodev_space *space, const void *vaddr,
			  uint64_t *iova);

/**
 * vfiodev_dma_translate_len() - the IOVA of an address and how far it runs
 * @space: the space
 * @vaddr: any address inside a mapped buffer
 * @iova: receives the IOVA
 * @len: receives the bytes from @vaddr to the end of its mapping (IOVA-
 *	contiguous: @vaddr + k is at @iova + k for k < *@len)
 *
 * One call per mapping crossed builds a PRP or SGL list. The IOVA and the
 * length always come from one mapping: while another thread unmaps the
 * address and maps it again elsewhere, the answer is the old mapping, the
 * new one, or -ENOENT, never one's IOVA with the other's length.
 *
 * Context: lock-free, as vfiodev_dma_translate().
 * Return: 0, -ENOENT when @vaddr is not mapped (or was remapped during the
 * call).
 */
int vfiodev_dma_translate_len(struct vfiodev_space *space, const void *vaddr,
			      uint64_t *iova, size_t *len);

/**
 * vfiodev_dma_iova_to_vaddr() - the virtual address behind an IOVA
 * @space: the space
 * @iova: any IOVA inside a mapping (e.g. a DMA fault address)
 * @vaddr: receives the virtual address
 * @len: receives the bytes from @iova to the end of its mapping, may be NULL
 *
 * Context: takes the space's lock; O(log n).
 * Return: 0, -ENOENT when @iova is not mapped.
 */
int vfiodev_dma_iova_to_vaddr(struct vfiodev_space *space, uint64_t iova,
			      void **vaddr, size_t *len);

/**
 * vfiodev_dma_alloc() - allocate memory for DMA, mapped
 * @space: the space
 * @len: bytes, > 0 (rounded up to the space's IOVA alignment, the larger
 *	of the CPU's page and the IOMMU's smallest page, or to 2 MiB for
 *	requests of 2 MiB or more)
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE
 * @opts: limit and alignment as for vfiodev_dma_map_any(), or NULL
 * @vaddr: receives the memory: zeroed, aligned as its length was rounded
 * @iova: receives its IOVA
 *
 * Requests of 2 MiB or more are backed by 2 MiB hugetlb pages when the
 * system has free ones, else by 2 MiB-aligned anonymous memory advised for
 * transparent hugepages; smaller ones by anonymous pages. The IOVA follows
 * the memory's alignment, so hugepages become IOMMU superpages. The memory
 * is faulted in for writing before it is mapped, so that a read-only
 * mapping pins the buffer's own pages and not the shared zero page (which,
 * before Linux 6.2, the device would go on reading after the CPU's first
 * write). The memory is the space's: vfiodev_dma_free() returns it, and
 * the space's last vfiodev_space_unref() frees what is left.
 *
 * Context: as vfiodev_dma_map().
 * Return: 0, -ENOMEM, or as vfiodev_dma_map_any(); on failure nothing is
 * left allocated or mapped.
 */
int vfiodev_dma_alloc(struct vfiodev_space *space, size_t len,
		      unsigned int flags, const struct vfiodev_dma_opts *opts,
		      void **vaddr, uint64_t *iova);

/**
 * vfiodev_dma_free() - unmap and free memory from vfiodev_dma_alloc()
 * @space: the space it was allocated in
 * @vaddr: the address vfiodev_dma_alloc() returned, may be NULL
 *
 * Context: takes the space's lock.
 * Return: 0, -ENOENT when @vaddr is no such allocation, or the kernel's
 * unmap error (the memory then stays mapped and allocated).
 */
int vfiodev_dma_free(struct vfiodev_space *space, void *vaddr);

/**
 * vfiodev_dma_map_file() - map a range of a memfd, shmem or hugetlbfs file,
 *	or of a dma-buf
 * @space: the space
 * @fd: the file (guest RAM in a memfd, for example) or a dma-buf another
 *	driver exported; the caller keeps it
 * @offset: page-aligned byte offset of the range in the file (for a
 *	hugetlbfs file: aligned to its huge page size, 2 MiB or 1 GiB)
 * @len: page-aligned length, > 0, within the file (hugetlbfs: huge pages)
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE, and
 *	VFIODEV_DMA_FIXED_IOVA to map at *@iova
 * @opts: limit and alignment when the IOVA is picked (as for
 *	vfiodev_dma_map_any()), or NULL
 * @vaddr: receives the library's own shared mapping of the range (read and
 *	write when @fd allows it, else read-only), which vfiodev_dma_translate()
 *	knows; it is unmapped with the DMA mapping, by any vfiodev_dma_unmap*()
 * @iova: in: the IOVA with VFIODEV_DMA_FIXED_IOVA; out: the IOVA used
 *
 * On an iommufd space with a device, Linux 6.13+ is given the file itself
 * (IOMMU_IOAS_MAP_FILE: the pages are pinned from the file, without a walk
 * of a virtual range); older kernels (ENOTTY, learned once per context and
 * logged at info) and the container path are given the library's mapping
 * (IOMMU_IOAS_MAP / VFIO_IOMMU_MAP_DMA). The caller sees the same result
 * either way. A mapping recorded before the space's first device, or
 * replayed into a new container, is replayed from the address.
 *
 * A dma-buf (its file system is DMA_BUF_MAGIC) has no pages the kernel
 * could pin through an address: it reaches an iommufd space only through
 * IOMMU_IOAS_MAP_FILE, once a device has joined (an IOAS without one
 * takes any file and checks it only at the attach: -ENXIO before), and a
 * container space refuses it. Linux 6.19+ takes a single-range buffer of
 * vfio-pci (vfiodev_region_dma_buf() of another device, perhaps in another
 * process); it refuses other exporters' buffers and, before 6.19, any
 * dma-buf: -EOPNOTSUPP, the log line says which. It is not copied to
 * another space by address (vfiodev_dma_copy() refuses it). *@vaddr is then
 * the buffer's own mapping where its exporter offers mmap, else an address
 * range the library reserved (PROT_NONE) that stands for the buffer in
 * vfiodev_dma_translate() and vfiodev_dma_unmap_vaddr(). What a revoke of
 * the buffer means: see vfiodev_dma_map_region().
 *
 * Context: as vfiodev_dma_map().
 * Otherwise the file must be a regular file of memfd, tmpfs/shmem or
 * hugetlbfs: a device node, directory, pipe or socket is refused before
 * any mmap, even where it lives on a tmpfs (devtmpfs, a container's /dev).
 *
 * Return: 0; -EBADF for a bad @fd; -EINVAL for misaligned arguments, a
 * range past the end of the file, a file that is neither a regular file
 * nor a dma-buf, or a file the kernel cannot pin (not memfd, shmem or
 * hugetlbfs); -EOPNOTSUPP for a dma-buf the space cannot take (container,
 * noiommu, or the kernel's refusal); -ENXIO for a dma-buf and a space
 * without its kernel object yet; otherwise as vfiodev_dma_map_any(). On
 * failure nothing is left mapped.
 */
int vfiodev_dma_map_file(struct vfiodev_space *space, int fd, uint64_t offset,
			 size_t len, unsigned int flags,
			 const struct vfiodev_dma_opts *opts, void **vaddr,
			 uint64_t *iova);

/**
 * vfiodev_dma_map_region() - map a range of a device's BAR into a space,
 *	for peer-to-peer DMA
 * @space: the space another device DMAs through: on iommufd with its IOAS,
 *	on the container path with or without its container yet (the
 *	mapping is then recorded and replayed by address at the first join)
 * @dev: the device whose BAR it is, of the same context (any space, or
 *	this one)
 * @index: the BAR's region index (0-5)
 * @offset: page-aligned offset of the range in the BAR
 * @len: page-aligned length, > 0, within the BAR
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE (the peer reads and/or
 *	writes the BAR), and VFIODEV_DMA_FIXED_IOVA to map at *@iova
 * @opts: limit and alignment when the IOVA is picked, or NULL. Without an
 *	alignment the IOVA is aligned as the range's physical address is (a
 *	BAR is aligned to its size: a 64 MiB range at offset 0 of a 64 MiB
 *	BAR gets a 64 MiB-aligned IOVA, at most 1 GiB), falling back to the
 *	page size when no such IOVA is free
 * @vaddr: receives the library's own shared mapping of the range, aligned
 *	like it (so vfio-pci can map it with 2 MiB / 1 GiB entries): the CPU's
 *	view of the same bytes, which vfiodev_dma_translate() knows. On
 *	iommufd, where the kernel offers no mmap of the range (a sparse BAR's
 *	MSI-X page), an address range the library reserved (PROT_NONE) stands
 *	for it: the dma-buf needs no mapping
 * @iova: in: the IOVA with VFIODEV_DMA_FIXED_IOVA; out: the IOVA used
 *
 * A BAR's mmap is device memory (VM_PFNMAP) that iommufd cannot pin. On an
 * iommufd space the range is exported as a single-range dma-buf
 * (VFIO_DEVICE_FEATURE_DMA_BUF) and that is mapped (IOMMU_IOAS_MAP_FILE):
 * Linux 6.19+; an older kernel fails with -EOPNOTSUPP and a line saying
 * so, and a space on the container path (vfiodev_space_opts.backend) can
 * map it instead. The IOAS holds its own reference on the buffer: the
 * library closes the dma-buf's fd at once. On the container path Type1
 * maps the library's mmap of the range, on every kernel.
 *
 * The mapping is one of the space's like any other: any vfiodev_dma_unmap*()
 * removes it, and the space's teardown; the kernel mapping goes first,
 * then the library's mmap. It also goes when @dev closes
 * (vfiodev_device_close() unmaps every BAR range of the device from every
 * space, logged at info): the mmap holds the device's kernel file, which
 * would otherwise keep the device open, unresettable and, on the group
 * path, its group in its container. A device the kernel asks back (the
 * request IRQ, an unbind) is released by closing it.
 *
 * Revocation (iommufd): the kernel revokes the dma-buf while @dev's memory
 * decoding is off (a write of its command register) and across its reset.
 * The mapping then stays in the space, its IOVA taken, and is unmapped as
 * usual, but the IOMMU no longer maps it, for good (also after decoding
 * is back): the peer's DMA to it faults. The library cannot see this (the
 * kernel has no query or event for it) and translate keeps answering:
 * unmap the range and map it again once the device is back. A range
 * exported while decoding is off is refused (-ENODEV). On the container
 * path the mapping follows the BAR's physical address whatever the device
 * does: do not reset a device whose BAR a peer DMAs into.
 *
 * Context: takes the space's lock, then the context's (the mmap and the
 * export are made under it); one thread per @dev, as vfiodev_region_mmap().
 * Return: 0; -EINVAL for a region that is not a present BAR, a range that
 * is empty, misaligned or past the BAR, or (container path) a range the
 * kernel offers no mmap of; -EXDEV for a device of another context;
 * -ENXIO when the space has no backend yet (an AUTO space before its first
 * device); -EOPNOTSUPP for a noiommu space and where iommufd cannot take a
 * BAR (before Linux 6.19, or a driver that exports no dma-buf); -ENODEV
 * for a BAR vfio-pci did not claim or a buffer made while decoding is off;
 * otherwise as vfiodev_dma_map_any(). On failure nothing is left: no
 * mapping, mmap or dma-buf.
 */
int vfiodev_dma_map_region(struct vfiodev_space *space, struct vfiodev_device *dev,
			   unsigned int index, uint64_t offset, size_t len,
			   unsigned int flags, const struct vfiodev_dma_opts *opts,
			   void **vaddr, uint64_t *iova);

/**
 * vfiodev_dma_copy() - map in @dst the memory of one of @src's mappings
 * @dst: the space to map into
 * @src: a space of the same context
 * @src_iova: the IOVA of a whole mapping of @src
 * @len: its length
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE (no more than the
 *	source mapping allows), and VFIODEV_DMA_FIXED_IOVA to map at *@iova
 * @opts: limit and alignment when the IOVA is picked, or NULL
 * @iova: in: the IOVA in @dst with VFIODEV_DMA_FIXED_IOVA; out: the IOVA
 *
 * When both spaces are iommufd IOAS with devices, the kernel shares the
 * pinned pages (IOMMU_IOAS_COPY: no second pin, no second RLIMIT_MEMLOCK
 * charge); otherwise the memory is mapped again from its recorded address
 * (the container path pins it a second time). vfiodev_dma_translate() in
 * @dst answers for the same addresses. The copy is a mapping of @dst of
 * its own: unmap it there. Memory @src owns (vfiodev_dma_alloc(),
 * vfiodev_dma_map_file()) must stay mapped in @src until the copy is
 * unmapped, or @dst's record names an address that is gone.
 *
 * Context: takes both spaces' locks (in a fixed order, so copies in either
 * direction do not deadlock); the source mapping cannot change meanwhile.
 * Return: 0; -ENOENT when [@src_iova, +@len) is not exactly one mapping of
 * @src; -EPERM for flags the source mapping does not have; -EXDEV for
 * spaces of different contexts; -EEXIST when @dst is @src (the buffer is
 * mapped there already: a buffer is mapped once per space); -EOPNOTSUPP
 * for a device's BAR (vfiodev_dma_map_region() maps it into @dst) and for
 * noiommu spaces; otherwise as vfiodev_dma_map_any().
 */
int vfiodev_dma_copy(struct vfiodev_space *dst, struct vfiodev_space *src,
		     uint64_t src_iova, size_t len, unsigned int flags,
		     const struct vfiodev_dma_opts *opts, uint64_t *iova);

/**
 * vfiodev_space_hand_over() - give a running iommufd space to another
 *	process (live update)
 * @space: an iommufd space with its IOAS, every mapping of which the kernel
 *	took from a file (vfiodev_dma_map_file() on Linux 6.13+ with a device
 *	in the space: IOMMU_IOAS_MAP_FILE)
 *
 * For a VMM that replaces itself (an exec of a new binary, or a new process
 * given the fds over a unix socket) while its devices keep running and
 * DMA stays mapped: the new process adopts the IOAS (vfiodev_space_adopt())
 * and the devices (vfiodev_device_adopt()). After this call the space and
 * its devices are this process's objects only: vfiodev_device_close() of a
 * device leaves it bound, attached and its interrupts set, the space's
 * last unref leaves the IOAS and its mappings, and both only free memory,
 * close this process's fds and unmap its CPU views. Maps, unmaps and joins
 * are refused (-EPERM). Hand over before the new process adopts; keep the
 * fds it needs open (a duplicate without close-on-exec for an exec: the
 * library's own are close-on-exec) until it has them: the kernel ties the
 * binding to the open file, which lives while any process holds it.
 *
 * Context: takes the space's lock.
 * Return: 0 (also when handed over already); -EOPNOTSUPP for a container
 * space or one without its IOAS; -EBUSY while dirty tracking is on (the
 * devices sit on the tracking HWPT, and the adoption would move them);
 * -EINVAL when a mapping's pages are this process's memory
 * (vfiodev_dma_alloc(), vfiodev_dma_map(), a file mapped before the first
 * device or without MAP_FILE) or a dma-buf (vfiodev_dma_map_region(), a
 * dma-buf through vfiodev_dma_map_file(): the kernel moves file pages
 * only): the log names it.
 */
int vfiodev_space_hand_over(struct vfiodev_space *space);

/**
 * struct vfiodev_adopt_map - one file mapping of an adopted IOAS, as the
 *	process that made it describes it
 * @fd: the file (a memfd, for example), open in this process
 * @flags: VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE, as mapped
 * @offset: page-aligned offset of the range in the file
 * @len: page-aligned length
 * @iova: the IOVA it is mapped at
 * @reserved: zero
 */
struct vfiodev_adopt_map {
	int fd;
	uint32_t flags;
	uint64_t offset;
	uint64_t len;
	uint64_t iova;
	uint64_t reserved[2];
};

/**
 * struct vfiodev_space_adopt_opts - what vfiodev_space_adopt() takes over
 * @sz: sizeof(struct vfiodev_space_adopt_opts)
 * @ioas_id: the IOAS (vfiodev_space_iommufd() in the old process)
 * @reserved0: zero
 * @maps: its mappings, every one of them (the kernel has no call that lists
 *	them: the old process passes its own record)
 * @nr_maps: how many
 */
struct vfiodev_space_adopt_opts {
	size_t sz;
	uint32_t ioas_id;
	uint32_t reserved0;
	const struct vfiodev_adopt_map *maps;
	size_t nr_maps;
};

/**
 * vfiodev_space_adopt() - take over a running IOAS (live update)
 * @ctx: a context whose iommufd is the old process's
 *	(vfiodev_ctx_adopt_iommufd() of the fd it passed)
 * @opts: the IOAS and its mappings
 * @out: receives the space (refcount 1), pinned to iommufd
 *
 * Nothing is mapped again and nothing is pinned again: the kernel keeps
 * the IOAS, its mappings and its attached devices across the hand-over.
 * The space reads the IOAS's IOVA ranges (which proves the IOAS exists in
 * this iommufd) and records each described mapping at its IOVA, with the
 * library's own shared mmap of the file range as its address (so
 * vfiodev_dma_translate() and vfiodev_dma_unmap_vaddr() work, and the
 * mapping is unmapped with it, as vfiodev_dma_map_file()'s). Each
 * mapping's ends are probed: a one-page IOMMU_IOAS_MAP (of the IOAS's page
 * size) of a scratch page at each must meet it (-EEXIST), so a description
 * of a mapping the IOAS does not have is refused; where it does not, the
 * probe's page is mapped, and pinned, for the moment before it is undone.
 * Only the ends are probed: describe each mapping exactly as it was made.
 * Then vfiodev_device_adopt() the devices into it, and
 * vfiodev_space_change_process().
 *
 * Context: any thread.
 * Return: 0; -EINVAL for a malformed description; -ENOENT when the IOAS
 * (or a described mapping) is not there; -EEXIST or -EINVAL when two
 * descriptions overlap or fall outside the IOAS's ranges; mmap's error. On
 * failure the IOAS is left as it was.
 */
int vfiodev_space_adopt(struct vfiodev_ctx *ctx,
			const struct vfiodev_space_adopt_opts *opts,
			struct vfiodev_space **out);

/**
 * vfiodev_space_change_process() - charge the space's pinned pages to this
 *	process (live update)
 * @space: an iommufd space whose mappings all came from files (as for
 *	vfiodev_space_hand_over())
 *
 * IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13+): the pinned-page accounting of
 * every MAP_FILE mapping of every IOAS of the context's iommufd moves to
 * the calling process (its VmPin, or its user's locked memory in the
 * default RLIMIT mode), all or nothing. Call it in the new process after
 * vfiodev_space_adopt().
 *
 * Context: takes the space's lock; one ioctl.
 * Return: 0; -EOPNOTSUPP for a container space or a kernel without the
 * ioctl (the log says Linux 6.13+); -EINVAL when a mapping of this space
 * was made from an address (checked first, named in the log) or another
 * IOAS of the iommufd holds one or a dma-buf (the kernel's refusal);
 * -ENOMEM when this process's limit cannot take the pages.
 */
int vfiodev_space_change_process(struct vfiodev_space *space);

/** VFIODEV_DIRTY_TRACKING - vfiodev_dirty_info: tracking is started */
#define VFIODEV_DIRTY_TRACKING (1u << 0)

/**
 * struct vfiodev_dirty_info - the dirty page tracking a space offers
 * @flags: VFIODEV_DIRTY_TRACKING when started
 * @reserved0: zero
 * @pgsizes: the page sizes a bitmap may be read at (bit n: 2^n bytes)
 * @max_bitmap_bytes: the largest bitmap one read may fill (0: no limit)
 * @reserved: written as zero
 */
struct vfiodev_dirty_info {
	uint32_t flags;
	uint32_t reserved0;
	uint64_t pgsizes;
	uint64_t max_bitmap_bytes;
	uint32_t reserved[4];
};

/**
 * vfiodev_space_dirty_info() - can the space track dirty pages, and how
 * @space: a space with at least one device (its IOMMU decides)
 * @info: receives what it offers
 *
 * Container: Type1's migration capability. iommufd: every device's IOMMU
 * must report IOMMU_HW_CAP_DIRTY_TRACKING (hardware dirty bits; QEMU's
 * emulated VT-d, for one, has none).
 *
 * Context: takes the space's lock; asks the kernel.
 * Return: 0; -EOPNOTSUPP when the space cannot track (the log names the
 * device and its IOMMU); -ENODEV before the first device and again after
 * the last one left.
 */
int vfiodev_space_dirty_info(struct vfiodev_space *space,
			     struct vfiodev_dirty_info *info);

/**
 * vfiodev_space_dirty_start() - start tracking the pages devices write
 * @space: the space
 *
 * Container: VFIO_IOMMU_DIRTY_PAGES start; Type1 cannot see device writes,
 * so without devices that pin pages it reports every page of a mapping
 * dirty on every read. iommufd: a tracking HWPT of the space's IOAS is
 * allocated and the space's devices (and any that join) are attached to
 * it; its IOMMU sets a dirty bit per written page. Tracking ends with
 * vfiodev_space_dirty_stop(), or when the space's kernel object goes
 * (the last group leaving a container).
 *
 * Context: takes the space's lock.
 * Return: 0; -EOPNOTSUPP as vfiodev_space_dirty_info(); -EALREADY; or the
 * kernel's error, with the devices left where they were.
 */
int vfiodev_space_dirty_start(struct vfiodev_space *space);

/**
 * vfiodev_space_dirty_stop() - stop tracking (iommufd: the devices go back
 *	to the IOAS and the tracking HWPT is destroyed)
 * @space: the space
 *
 * Context: takes the space's lock.
 * Return: 0; -EINVAL when not started; or the kernel's error.
 */
int vfiodev_space_dirty_stop(struct vfiodev_space *space);

/**
 * vfiodev_space_dirty_read() - read and clear the dirty bits of an IOVA range
 * @space: the space, tracking
 * @iova: start of the range, aligned to @pgsize
 * @len: length, a multiple of @pgsize; on the container path the range
 *	must not split a mapping (several whole mappings are fine)
 * @pgsize: the bitmap's page size, one of vfiodev_dirty_info.pgsizes
 * @bitmap: receives one bit per page: bit n (bit n % 64 of word n / 64) is
 *	the page at @iova + n * @pgsize; zeroed first
 * @bitmap_bytes: its size, at least (len / pgsize + 63) / 64 * 8
 *
 * Context: takes the space's lock.
 * Return: 0; -EINVAL for unaligned or splitting ranges, page sizes the
 * space does not offer, a short bitmap, or tracking not started; or the
 * kernel's error.
 */
int vfiodev_space_dirty_read(struct vfiodev_space *space, uint64_t iova,
			     uint64_t len, uint64_t pgsize, uint64_t *bitmap,
			     size_t bitmap_bytes);

/* ------------------------------------------------------------------ */
/* Devices                                                              */
/* ------------------------------------------------------------------ */

/**
 * struct vfiodev_device_opts - options of vfiodev_device_open()
 * @sz: sizeof(struct vfiodev_device_opts)
 * @space: the space to join; NULL creates a private one
 * @backend: force a backend (AUTO also honours $VFIODEV_BACKEND)
 * @allow_noiommu: accept a noiommu device: no DMA isolation, no IOVA
 *	translation; refused (-EPERM) unless set. Linux 7.x with
 *	CONFIG_IOMMUFD_NOIOMMU gives it a cdev (noiommu-vfioN in
 *	/dev/vfio/devices), which AUTO opens through iommufd (it needs
 *	CAP_SYS_RAWIO; the kernel taints): its space pins memory and answers
 *	with bus addresses
 *	(see "noiommu spaces" at vfiodev_dma_map_any()). Older kernels serve it
 *	through its group /dev/vfio/noiommu-N only, whose container can map
 *	nothing (-EOPNOTSUPP).
 * @reserved: zero, as in struct vfiodev_ctx_opts
 * @vf_token: the VF token, a UUID ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
 *	for a VF whose PF is bound to vfio-pci (its user set the token with
 *	vfiodev_device_set_vf_token()); NULL: none. Group path: passed in the
 *	VFIO_GROUP_GET_DEVICE_FD string; iommufd path: VFIO_DEVICE_BIND_FLAG_TOKEN
 *	(Linux 6.17+; older kernels refuse the flag, and AUTO falls back to the
 *	group path with that reason). A wrong or missing token: -EACCES
 */
struct vfiodev_device_opts {
	size_t sz;
	struct vfiodev_space *space;
	enum vfiodev_backend backend;
	bool allow_noiommu;
	uint8_t reserved[3];
	const char *vf_token;
};

/**
 * vfiodev_device_open() - open a PCI device by its address
 * @ctx: the context
 * @bdf: "0000:00:03.0" or "00:03.0" (domain 0)
 * @opts: options, or NULL
 * @out: receives the device
 *
 * Resolves @bdf through sysfs to its vfio cdev, opens the node, checks with
 * fstat() that it is the character device sysfs names, binds it to iommufd
 * and attaches it to the space's IOAS. In AUTO mode, when any step of that
 * path fails, it opens the device through its IOMMU group and a Type1
 * container instead; vfiodev_device_fallback_reason() says why.
 *
 * Context: any thread; several threads may open devices at once (devices of
 * one group wait for each other and share one space). Takes the context's and
 * the space's locks; blocks in the kernel (node opens, binding, attaching);
 * where built with libkmod, may load the iommufd, vfio and vfio_iommu_type1
 * modules when their nodes or the Type1 backend are missing.
 * Return: 0; -EINVAL for a malformed BDF; -ENODEV when the device does not
 * exist or is not bound to a VFIO driver; -ENXIO when a node is not the
 * device sysfs names; -EPERM for a non-viable group or a noiommu group not
 * allowed; the kernel's error otherwise.
 */
int vfiodev_device_open(struct vfiodev_ctx *ctx, const char *bdf,
			const struct vfiodev_device_opts *opts,
			struct vfiodev_device **out);

/**
 * vfiodev_device_open_sysfs() - open any VFIO device by its sysfs directory
 * @ctx: the context
 * @sysfs_dir: the device's directory: "/sys/bus/mdev/devices/<uuid>" (a
 *	mediated device), "/sys/bus/pci/devices/<bdf>", another bus's
 *	"/sys/bus/<bus>/devices/<name>", or the /sys/devices/... directory
 *	those link to; below the context's sysfs root
 * @opts: options, or NULL; vf_token is refused (-EINVAL) for a device that
 *	is not on the PCI bus
 * @out: receives the device
 *
 * The door for devices without a PCI address, as QEMU's sysfsdev=. A PCI
 * device's directory opens exactly as vfiodev_device_open() of its BDF
 * (one code path). Any other device must be bound to a driver that
 * registered it with VFIO (its vfio-dev entry in sysfs); it is then
 * opened as a PCI device is: its vfio cdev through iommufd, with the same
 * fstat() identity check (the node's major:minor against
 * vfio-dev/vfioN/dev), else, in AUTO mode, its IOMMU group and a Type1
 * container, the reason kept as for a PCI device. The device's name (in
 * log lines, vfiodev_device_name()) is its kernel name: the UUID of an
 * mdev; vfiodev_device_bdf() is "" for it.
 *
 * A mediated device (mdev): vfio gives each an emulated IOMMU group of its
 * own (/dev/vfio/N, a software group without an IOMMU; sysfs names it
 * "vfio-noiommu", but it is no noiommu group and needs no allow_noiommu),
 * whose container takes it beside real groups, and which
 * VFIO_GROUP_GET_DEVICE_FD opens by the device's UUID. On iommufd the
 * kernel binds an mdev through emulated access (an iommufd access object
 * attached to the space's IOAS, not a page table of an IOMMU).
 *
 * DMA for an mdev: the device does no DMA of its own; its vendor driver
 * reads and writes the space's memory on its behalf, pinning pages through
 * the space (vfio_pin_pages() or vfio_dma_rw() on the mappings, for as long
 * as it needs them; an unmap makes the driver let go first). The mappings
 * are still the caller's: map what the device may reach with
 * vfiodev_dma_map() and its siblings, as for a PCI device; what is not
 * mapped the vendor driver cannot reach. An mdev in an iommufd space with
 * dirty tracking on cannot be attached (the kernel has no IOMMU page table
 * for it: the attach fails); on Type1 the pages the vendor driver pinned
 * are what a dirty read reports.
 *
 * What does not apply to an mdev (calls for PCI functions): hot reset
 * (vfiodev_device_hot_reset_info() and vfiodev_device_hot_reset(): -ENODEV,
 * no slot or bus), VF tokens (vfiodev_device_set_vf_token(): -ENOTTY;
 * vfiodev_device_opts.vf_token: -EINVAL), and the calls that take a BDF
 * (vfiodev_bind(), vfiodev_unbind(), vfiodev_diagnose(),
 * vfiodev_pci_lookup(): -EINVAL for a UUID; an mdev is bound by its
 * parent's driver when created). Config space (vfiodev_pci_config_read()
 * and its siblings) works where the vendor driver emulates one (its type's
 * device_api is "vfio-pci"); vfiodev_device_reset() is VFIO_DEVICE_RESET
 * as for any device.
 *
 * Context: as vfiodev_device_open(); also resolves @sysfs_dir (realpath).
 * Return: 0; -EINVAL for a NULL or empty path, a path outside the sysfs
 * root, or a VF token for a non-PCI device; -ENODEV when the path is no
 * device directory of a bus, or the device is not bound to a driver that
 * registered it with VFIO; otherwise as vfiodev_device_open().
 */
int vfiodev_device_open_sysfs(struct vfiodev_ctx *ctx, const char *sysfs_dir,
			      const struct vfiodev_device_opts *opts,
			      struct vfiodev_device **out);

/**
 * vfiodev_device_open_fd() - adopt a vfio cdev fd opened by someone else
 * @ctx: the context
 * @fd: an fd of /dev/vfio/devices/vfioX, not yet bound. On success the
 *	library owns it and closes it in vfiodev_device_close(): the kernel
 *	ties the iommufd binding to the open file, so a duplicate kept by the
 *	caller would keep the device bound. Do not keep duplicates. On failure
 *	@fd stays the caller's to close (if the failure came after
 *	VFIO_DEVICE_BIND_IOMMUFD it stays bound until closed: VFIO has no unbind)
 * @bdf: the device's PCI address, used to check the fd's identity against
 *	sysfs; NULL skips that check (the fd must still be a character device)
 * @opts: options (backend must be AUTO or IOMMUFD), or NULL
 * @out: receives the device
 *
 * For a program that received the fd from a privileged helper.
 *
 * Context: as vfiodev_device_open().
 * Return: 0; -ENXIO when @fd is not the device @bdf names; -EINVAL.
 */
int vfiodev_device_open_fd(struct vfiodev_ctx *ctx, int fd, const char *bdf,
			   const struct vfiodev_device_opts *opts,
			   struct vfiodev_device **out);

/**
 * vfiodev_device_adopt() - take over a bound, attached vfio cdev fd from
 *	the process that handed it over (live update)
 * @ctx: the context
 * @fd: the device's cdev fd, bound to the context's iommufd (the old
 *	process's, adopted) and attached to @opts->space's IOAS. The library
 *	owns it from now on, as vfiodev_device_open_fd()'s
 * @bdf: its PCI address (checked against the fd's device number), or NULL
 * @devid: the iommufd device id the bind gave (vfiodev_device_iommufd_id()
 *	in the old process)
 * @opts: @opts->space is required: the space vfiodev_space_adopt() made
 * @out: receives the device
 *
 * No bind and no reset: the device keeps running, its DMA mapped, its
 * registers and interrupts as the old process left them (set the eventfds
 * again to receive them here). The attach to the IOAS, which the kernel
 * answers without a change when the device sits on it already, proves the
 * fd is bound to this iommufd; IOMMU_GET_HW_INFO proves the id names a
 * device of it, but not that it is this fd's: the id is trusted as given.
 * What the old process's library knew of the device is not carried over:
 * a migration driver's pre-copy info v2 opt-in, for one, which the kernel
 * keeps, is asked again (vfiodev_mig_precopy_v2()) for the new process's
 * library to pass VFIODEV_MIG_PRECOPY_REINIT on.
 *
 * Context: as vfiodev_device_open_fd().
 * Return: 0; -EINVAL without @devid or an adopted iommufd space; the
 * kernel's error for an id or an fd that are not this iommufd's; otherwise
 * as vfiodev_device_open_fd().
 */
int vfiodev_device_adopt(struct vfiodev_ctx *ctx, int fd, const char *bdf,
			 uint32_t devid, const struct vfiodev_device_opts *opts,
			 struct vfiodev_device **out);

/**
 * vfiodev_device_iommufd_id() - the device's iommufd device id
 * @dev: a device on the iommufd path
 * @devid: receives the id VFIO_DEVICE_BIND_IOMMUFD gave
 *
 * For ioctls the library does not wrap (IOMMU_HWPT_ALLOC, ...) and for a
 * live update (vfiodev_device_adopt() in the new process).
 *
 * Context: any thread.
 * Return: 0; -ENODEV on the container path.
 */
int vfiodev_device_iommufd_id(const struct vfiodev_device *dev, uint32_t *devid);

/**
 * vfiodev_device_close() - release the device: mmaps, IRQ eventfds, its
 *	binding or group, and its reference on the space
 * @dev: the device, may be NULL
 *
 * On the group/container path the last open device of an IOMMU group takes
 * the group out of the container and closes it, so the device can be
 * opened into another space or process at once; the space keeps its
 * mappings (replayed into the container the next group joins).
 *
 * Context: the thread that owns @dev (a device is not thread-safe); takes the
 * space's lock; blocks in the kernel (detach, unbind of the fd).
 */
void vfiodev_device_close(struct vfiodev_device *dev);

/**
 * vfiodev_device_bdf() - the normalised PCI address
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: "dddd:bb:dd.f" ("" for an fd opened without a BDF, and for a
 * device that is not on the PCI bus: see vfiodev_device_name()).
 */
const char *vfiodev_device_bdf(const struct vfiodev_device *dev);

/**
 * vfiodev_device_name() - the device's kernel name
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: its name in sysfs: "dddd:bb:dd.f" for a PCI device, the UUID of
 * a mediated device; "fd N" for an fd adopted without a BDF.
 */
const char *vfiodev_device_name(const struct vfiodev_device *dev);

/**
 * vfiodev_device_backend() - the backend the device was opened with
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: VFIODEV_BACKEND_IOMMUFD or VFIODEV_BACKEND_CONTAINER.
 */
enum vfiodev_backend vfiodev_device_backend(const struct vfiodev_device *dev);

/**
 * vfiodev_device_fallback_reason() - why the cdev path was not taken
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: a short sentence: why the cdev path failed ("no vfio cdev in
 * sysfs (kernel without CONFIG_VFIO_DEVICE_CDEV)"), or what chose the
 * group path without trying it ("the space already uses the container
 * backend", the space's options, the environment); NULL when the device
 * uses the cdev path or the caller asked for the container backend.
 */
const char *vfiodev_device_fallback_reason(const struct vfiodev_device *dev);

/**
 * vfiodev_device_node() - the device node the library opened
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: "/dev/vfio/devices/vfio0" or, on the group path, "/dev/vfio/5".
 */
const char *vfiodev_device_node(const struct vfiodev_device *dev);

/**
 * vfiodev_device_devnum() - the cdev's major:minor, verified with fstat()
 * @dev: the device
 * @major: receives the major number
 * @minor: receives the minor number
 *
 * Context: any thread; no lock, no blocking.
 * Return: 0, -ENOENT on the group path (no cdev; vfiodev_device_node()
 * names the group node, which was verified too).
 */
int vfiodev_device_devnum(const struct vfiodev_device *dev, unsigned int *major,
			  unsigned int *minor);

/**
 * vfiodev_device_fd() - the VFIO device fd, for ioctls the library lacks
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: the fd; it stays owned by the library.
 */
int vfiodev_device_fd(const struct vfiodev_device *dev);

/**
 * vfiodev_device_space() - the space the device is attached to
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: the space (no reference is taken).
 */
struct vfiodev_space *vfiodev_device_space(const struct vfiodev_device *dev);

/**
 * vfiodev_device_iommu_group() - the IOMMU group number
 * @dev: the device
 *
 * Context: any thread; no lock, no blocking.
 * Return: the group number, or -ENOENT if unknown (fd opened without BDF).
 */
int vfiodev_device_iommu_group(const struct vfiodev_device *dev);

/** VFIODEV_DEVICE_RESET - the device supports vfiodev_device_reset() */
#define VFIODEV_DEVICE_RESET (1u << 0)
/** VFIODEV_DEVICE_PCI - a PCI device (config space region present) */
#define VFIODEV_DEVICE_PCI (1u << 1)
/** VFIODEV_DEVICE_NOIOMMU - a noiommu device (its group, or 7.x's noiommu
 *	cdev): no IOMMU between it and memory */
#define VFIODEV_DEVICE_NOIOMMU (1u << 2)

/**
 * struct vfiodev_device_info - what VFIO_DEVICE_GET_INFO reports
 * @flags: VFIODEV_DEVICE_* bits
 * @num_regions: number of region indexes
 * @num_irqs: number of IRQ indexes
 * @reserved: written as zero; room for fields a later version adds without
 *	changing the size (the rule of every output struct here)
 */
struct vfiodev_device_info {
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t reserved[5];
};

/**
 * vfiodev_device_get_info() - device flags and counts
 * @dev: the device
 * @info: receives the information
 *
 * Context: any thread; no lock, no blocking.
 * Return: 0.
 */
int vfiodev_device_get_info(const struct vfiodev_device *dev,
			    struct vfiodev_device_info *info);

/** VFIODEV_FEATURE_GET - read the feature's data into the buffer */
#define VFIODEV_FEATURE_GET (1u << 0)
/** VFIODEV_FEATURE_SET - write the feature from the buffer */
#define VFIODEV_FEATURE_SET (1u << 1)
/** VFIODEV_FEATURE_PROBE - only ask whether the feature (and, with GET
 * and/or SET, those accesses) is supported; no data moves */
#define VFIODEV_FEATURE_PROBE (1u << 2)

/**
 * vfiodev_device_feature() - VFIO_DEVICE_FEATURE: probe, get or set a
 *	device feature
 * @dev: the device
 * @flags: VFIODEV_FEATURE_GET or VFIODEV_FEATURE_SET, or
 *	VFIODEV_FEATURE_PROBE alone or with either or both of them
 * @feature: the kernel's feature index (VFIO_DEVICE_FEATURE_* in
 *	linux/vfio.h: 1 migration, 2 migration state, 3 low-power entry...),
 *	at most 0xffff
 * @data: the feature's data: read for SET, written for GET; NULL when @len
 *	is 0
 * @len: its size in bytes (the feature's own structure; 0 for a probe or a
 *	feature without data), at most 65536
 *
 * A pass-through: the library knows no feature and assumes none exists;
 * probe first. Some features change the device's state (low-power entry,
 * migration states).
 *
 * Context: one thread per device; an ioctl that may block (a migration
 * state change can take long).
 * Return: 0; -ENOTTY when the device or the kernel has no such feature (or
 * no VFIO_DEVICE_FEATURE at all; logged at info level for a probe); -EINVAL
 * for bad flags or sizes; the kernel's error otherwise.
 */
int vfiodev_device_feature(struct vfiodev_device *dev, unsigned int flags,
			   uint32_t feature, void *data, size_t len);

/**
 * vfiodev_device_reset() - VFIO_DEVICE_RESET
 * @dev: the device
 *
 * The kernel picks the method: function-level reset, power management, or
 * a slot or bus reset when the device is alone on its slot or bus. A device
 * that shares its bus with others and has no reset of its own reports no
 * support: reset it, and them, with vfiodev_device_hot_reset(). What
 * survives is as for vfiodev_device_hot_reset().
 *
 * Context: one thread per device (a device is not thread-safe); blocks while
 * the kernel resets it (a function-level or bus reset can take hundreds of
 * milliseconds).
 * Return: 0, -ENOTSUP when the device does not report reset support, or the
 * kernel's error.
 */
int vfiodev_device_reset(struct vfiodev_device *dev);

/**
 * vfiodev_device_set_vf_token() - set the VF token of a PF bound to
 *	vfio-pci (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)
 * @pf: the physical function, opened through this library
 * @uuid: the token, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 *
 * Its VFs (created by root writing sriov_numvfs, with vfio_pci's
 * enable_sriov=1) can then be opened only with this token
 * (vfiodev_device_opts.vf_token). Share it with their users only.
 *
 * Context: one thread per device.
 * Return: 0; -EINVAL for a malformed @uuid; -ENOTTY when @pf is not a PF
 * bound to vfio-pci; or the kernel's error.
 */
int vfiodev_device_set_vf_token(struct vfiodev_device *pf, const char *uuid);

/** VFIODEV_RESET_PEER_HELD - this context holds the device for a bus reset:
 *	iommufd path, it is bound to the context's /dev/iommu or its IOMMU
 *	group is owned through a device that is; group path, its group is
 *	open in a space of this context */
#define VFIODEV_RESET_PEER_HELD (1u << 0)
/** VFIODEV_RESET_PEER_VFIO - the device is bound to a VFIO PCI driver
 *	(vfio-pci or a variant), as a bus reset requires of every device */
#define VFIODEV_RESET_PEER_VFIO (1u << 1)

/**
 * struct vfiodev_reset_peer - a device a bus reset would reset too
 * @bdf: its PCI address, "dddd:bb:dd.f"
 * @group: its IOMMU group, or -1
 * @flags: VFIODEV_RESET_PEER_* bits
 * @reserved: written as zero
 */
struct vfiodev_reset_peer {
	char bdf[VFIODEV_BDF_LEN];
	int32_t group;
	uint32_t flags;
	uint32_t reserved[4];
};

/**
 * vfiodev_device_hot_reset_info() - the devices a slot or bus reset of @dev
 *	affects (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO), @dev among them
 * @dev: the device
 * @peers: receives up to *@n entries, or NULL when *@n is 0
 * @n: in: room in @peers; out: the number of affected devices (also on
 *	-ENOSPC, so a second call with that room succeeds)
 *
 * Context: one thread per device; reads sysfs for each peer.
 * Return: 0; -ENOSPC when @peers is too small; -ENODEV when the device has
 * no slot or bus reset (on a root bus, for example); or the kernel's error.
 */
int vfiodev_device_hot_reset_info(struct vfiodev_device *dev,
				  struct vfiodev_reset_peer *peers, size_t *n);

/**
 * vfiodev_device_hot_reset() - reset the slot or bus of @dev, and with it
 *	every device vfiodev_device_hot_reset_info() names
 * @dev: the device
 *
 * Every affected device must be held by this context and bound to a VFIO
 * driver; the call checks that first and names each device that is not,
 * so a refusal changes nothing. iommufd path: the kernel is given no group
 * fds (Linux 6.6+: every device bound to the context's /dev/iommu, or of a
 * group owned through one); group path: the fd of every affected group,
 * from the spaces of this context that hold them.
 *
 * What survives, on every affected device (the kernel saves and restores
 * it around the reset): PCI config space, with BARs, the command register
 * and the MSI/MSI-X setup; the IRQ eventfds set through vfiodev_irq_*; the
 * DMA mappings (the IOMMU is not touched); region mmaps, which refault. What
 * does not: the device's internal state (its registers, queues, firmware
 * state), which the caller sets up again.
 *
 * Context: one thread per device; blocks while the kernel resets the bus
 * (hundreds of milliseconds); takes the context's and spaces' locks briefly.
 * Return: 0; -EPERM when an affected device is not held by this context or
 * not bound to a VFIO driver (the log names each); -ENODEV when there is no
 * slot or bus reset; or the kernel's error.
 */
int vfiodev_device_hot_reset(struct vfiodev_device *dev);

/* ------------------------------------------------------------------ */
/* Migration (VFIO migration v2)                                        */
/* ------------------------------------------------------------------ */

/**
 * enum vfiodev_mig_state - a device's migration state (the kernel's
 *	enum vfio_device_mig_state, same values)
 * @VFIODEV_MIG_ERROR: the device failed an arc and could not return to a
 *	valid state; only vfiodev_mig_reset() leaves it. Never a target
 * @VFIODEV_MIG_STOP: stopped: no DMA, no interrupts, its state frozen
 * @VFIODEV_MIG_RUNNING: running normally (the state after open and reset)
 * @VFIODEV_MIG_STOP_COPY: stopped, its state streamed out through the data fd
 * @VFIODEV_MIG_RESUMING: stopped, loading a state written to the data fd
 * @VFIODEV_MIG_RUNNING_P2P: running, but starting no peer-to-peer DMA
 *	(VFIODEV_MIG_CAP_P2P)
 * @VFIODEV_MIG_PRE_COPY: running, with a first part of its state (and
 *	what changes) streamed out ahead (VFIODEV_MIG_CAP_PRE_COPY)
 * @VFIODEV_MIG_PRE_COPY_P2P: PRE_COPY, starting no peer-to-peer DMA (both)
 */
enum vfiodev_mig_state {
	VFIODEV_MIG_ERROR = 0,
	VFIODEV_MIG_STOP = 1,
	VFIODEV_MIG_RUNNING = 2,
	VFIODEV_MIG_STOP_COPY = 3,
	VFIODEV_MIG_RESUMING = 4,
	VFIODEV_MIG_RUNNING_P2P = 5,
	VFIODEV_MIG_PRE_COPY = 6,
	VFIODEV_MIG_PRE_COPY_P2P = 7,
};

/**
 * vfiodev_mig_state_name() - printable name of a migration state
 * @state: a state
 *
 * Context: any thread; no lock, no blocking.
 * Return: "error", "stop", "running", "stop-copy", "resuming",
 * "running-p2p", "pre-copy", "pre-copy-p2p" or "unknown"; never NULL.
 */
const char *vfiodev_mig_state_name(enum vfiodev_mig_state state);

/** VFIODEV_MIG_CAP_STOP_COPY - STOP, STOP_COPY and RESUMING (every
 *	migratable device) */
#define VFIODEV_MIG_CAP_STOP_COPY (1u << 0)
/** VFIODEV_MIG_CAP_P2P - RUNNING_P2P (and PRE_COPY_P2P with PRE_COPY) */
#define VFIODEV_MIG_CAP_P2P (1u << 1)
/** VFIODEV_MIG_CAP_PRE_COPY - PRE_COPY, and vfiodev_mig_precopy_info() */
#define VFIODEV_MIG_CAP_PRE_COPY (1u << 2)
/** VFIODEV_MIG_CAP_DMA_LOGGING - the device logs its DMA writes
 *	(vfiodev_mig_dma_log_start()) */
#define VFIODEV_MIG_CAP_DMA_LOGGING (1u << 8)
/** VFIODEV_MIG_CAP_PRECOPY_INFO_V2 - the kernel has
 *	VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 (Linux 7.x):
 *	vfiodev_mig_precopy_v2() works */
#define VFIODEV_MIG_CAP_PRECOPY_INFO_V2 (1u << 9)

/**
 * struct vfiodev_mig_info - what a device offers for migration
 * @caps: VFIODEV_MIG_CAP_* bits: the first three are the kernel's
 *	VFIO_MIGRATION_* flags, the others come from probes
 * @state: the device's state now (enum vfiodev_mig_state)
 * @reserved: written as zero
 */
struct vfiodev_mig_info {
	uint32_t caps;
	uint32_t state;
	uint32_t reserved[6];
};

/**
 * vfiodev_mig_get_info() - can the device migrate, and in which states
 * @dev: the device
 * @info: receives its capabilities and current state
 *
 * VFIO_DEVICE_FEATURE_MIGRATION and MIG_DEVICE_STATE, and probes of
 * DMA_LOGGING_START and MIG_PRECOPY_INFOv2 (a probe changes nothing).
 *
 * Context: one thread per device; a few ioctls.
 * Return: 0; -EOPNOTSUPP when the device's driver has no migration (one
 * line at info level: a query, not a failure); or the kernel's error.
 */
int vfiodev_mig_get_info(struct vfiodev_device *dev, struct vfiodev_mig_info *info);

/**
 * vfiodev_mig_get_state() - the device's migration state
 * @dev: the device
 * @state: receives it
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EOPNOTSUPP when the device cannot migrate; the kernel's error.
 */
int vfiodev_mig_get_state(struct vfiodev_device *dev, enum vfiodev_mig_state *state);

/**
 * struct vfiodev_mig_result - what vfiodev_mig_set_state() did
 * @data_fd: the data fd the last arc opened (the caller's: close() it when
 *	the stream is done; close-on-exec), or -1
 * @state: the state the device is in now, read back after a failure
 *	(VFIODEV_MIG_ERROR also when it could not be read)
 * @steps: arcs taken
 * @reserved: written as zero
 */
struct vfiodev_mig_result {
	int32_t data_fd;
	uint32_t state;
	uint32_t steps;
	uint32_t reserved[5];
};

/**
 * vfiodev_mig_set_state() - move the device to a migration state, arc by arc
 * @dev: the device
 * @target: the state to reach; one the device supports, not ERROR
 * @res: receives the data fd and where the device ended (written on every
 *	return: data_fd -1 unless a stream was opened; a refusal before any
 *	arc leaves state as read, or 0 when not even that was); may be NULL
 *	only when @target opens no stream (STOP, RUNNING, RUNNING_P2P)
 *
 * The library reads the current state and walks the shortest path of
 * single arcs to @target, one VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE per arc,
 * with the kernel's rules: arcs touching a state the device lacks are
 * skipped over (RUNNING -> STOP is RUNNING -> RUNNING_P2P -> STOP with P2P,
 * one arc without), and no saving state (PRE_COPY, PRE_COPY_P2P, STOP_COPY)
 * is passed through unless the path stays among them from its start
 * (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY). With STOP_COPY alone, the walks
 * of more than one arc are RUNNING -> STOP -> STOP_COPY or RESUMING,
 * STOP_COPY -> STOP -> RUNNING or RESUMING, and RESUMING -> STOP -> RUNNING
 * or STOP_COPY. With P2P
 * and PRE_COPY too, they are (R: RUNNING, RP: RUNNING_P2P):
 * STOP -> RP -> R (-> PRE_COPY); STOP -> RP -> PRE_COPY_P2P;
 * R -> RP -> STOP (-> STOP_COPY, or -> RESUMING); R -> RP -> PRE_COPY_P2P;
 * RP -> STOP -> STOP_COPY or RESUMING; RP -> R -> PRE_COPY;
 * STOP_COPY -> STOP -> RESUMING, or -> RP (-> R);
 * RESUMING -> STOP -> STOP_COPY, or -> RP (-> R (-> PRE_COPY), or
 * -> PRE_COPY_P2P); PRE_COPY -> PRE_COPY_P2P -> STOP_COPY;
 * PRE_COPY -> R -> RP (-> STOP (-> RESUMING));
 * PRE_COPY_P2P -> RP -> R, or -> STOP (-> RESUMING). Without P2P, RP drops
 * out of these (RUNNING -> STOP is one arc); without PRE_COPY, the paths to
 * and from its states. STOP_COPY -> PRE_COPY or PRE_COPY_P2P has no path
 * (-EINVAL before any ioctl), nor has anything out of ERROR.
 *
 * The streams: RUNNING(_P2P) -> PRE_COPY(_P2P), STOP -> STOP_COPY and STOP
 * -> RESUMING open a new data fd (@res->data_fd). Moving among the saving
 * states keeps the session: PRE_COPY -> STOP_COPY returns -1, and the rest
 * of the state arrives on the PRE_COPY fd. Leaving the saving states or
 * RESUMING ends the session (the kernel disables its fd; close it). Leaving
 * RESUMING makes the device check and load what was written: an incomplete
 * or corrupted stream fails that arc (the device stays in RESUMING, or goes
 * to ERROR, as its driver decides).
 *
 * On failure the device is where the failed arc left it: the state before
 * that arc (so possibly part way along the path), or ERROR; @res->state
 * says which and the log line names the arc. From ERROR, or from a
 * RESUMING that cannot complete, only vfiodev_mig_reset() recovers:
 * VFIO_DEVICE_RESET returns the device to RUNNING and disables the open
 * data fds.
 *
 * Context: one thread per device; an ioctl per arc, each of which may block
 * while the driver stops or saves the device.
 * Return: 0 (also when already in @target: no arc, data_fd -1); -EINVAL
 * for an invalid target, a path that does not exist or a device in ERROR
 * (nothing asked of the kernel); -EOPNOTSUPP for a device without
 * migration or a state it does not support; -EPROTO when the kernel hands
 * a data fd to an arc in the middle of a path (closed); or the kernel's
 * error for the failed arc.
 */
int vfiodev_mig_set_state(struct vfiodev_device *dev, enum vfiodev_mig_state target,
			  struct vfiodev_mig_result *res);

/**
 * vfiodev_mig_reset() - VFIO_DEVICE_RESET to leave ERROR (or abort a
 *	RESUMING session): the device returns to RUNNING
 * @dev: a device that can migrate
 *
 * Unlike vfiodev_device_reset() this does not ask for the RESET flag of the
 * device's info: the migration protocol requires every migration driver to
 * take VFIO_DEVICE_RESET (the mtty sample takes it and reports no flag).
 * What the reset does to the device's other state is its driver's
 * business (mtty keeps its registers). Data fds stay the caller's to close;
 * the kernel has disabled them.
 *
 * Context: one thread per device; blocks while the device resets.
 * Return: 0 once the device reports RUNNING; -EOPNOTSUPP for a device that
 * cannot migrate; -EIO when it reports another state after the reset; or
 * the kernel's error.
 */
int vfiodev_mig_reset(struct vfiodev_device *dev);

/**
 * vfiodev_mig_data_size() - the device's estimate of what STOP_COPY will
 *	stream (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)
 * @dev: the device
 * @bytes: receives the estimate, in bytes
 *
 * Works in every state.
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EOPNOTSUPP when the kernel or the device lacks it; the
 * kernel's error.
 */
int vfiodev_mig_data_size(struct vfiodev_device *dev, uint64_t *bytes);

/** VFIODEV_MIG_PRECOPY_REINIT - vfiodev_mig_precopy: new initial data is on
 *	the stream (after vfiodev_mig_precopy_v2() only) */
#define VFIODEV_MIG_PRECOPY_REINIT (1u << 0)

/**
 * struct vfiodev_mig_precopy - what is left to read in pre-copy
 * @initial_bytes: initial data not yet read; leave PRE_COPY for STOP_COPY
 *	once it is 0
 * @dirty_bytes: state the device changed since it was read
 * @flags: VFIODEV_MIG_PRECOPY_REINIT, reported only after
 *	vfiodev_mig_precopy_v2() (0 otherwise: the v1 ioctl's flags are not
 *	an output)
 * @reserved: written as zero
 */
struct vfiodev_mig_precopy {
	uint64_t initial_bytes;
	uint64_t dirty_bytes;
	uint32_t flags;
	uint32_t reserved[5];
};

/**
 * vfiodev_mig_precopy_info() - VFIO_MIG_GET_PRECOPY_INFO on a pre-copy data fd
 * @dev: the device the fd belongs to
 * @data_fd: the fd vfiodev_mig_set_state() returned for PRE_COPY(_P2P)
 * @info: receives the estimates
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EINVAL when the device is not in PRE_COPY or PRE_COPY_P2P;
 * -ENOTTY when @data_fd is no pre-copy data fd; -ENODEV when its session
 * has ended (a reset, a state change); or the kernel's error.
 */
int vfiodev_mig_precopy_info(struct vfiodev_device *dev, int data_fd,
			     struct vfiodev_mig_precopy *info);

/**
 * vfiodev_mig_precopy_v2() - opt in to pre-copy info v2
 *	(VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, Linux 7.x)
 * @dev: a device with VFIODEV_MIG_CAP_PRE_COPY
 *
 * From then on (until the device is closed) vfiodev_mig_precopy_info()
 * reports VFIODEV_MIG_PRECOPY_REINIT: the device put new initial data on
 * the stream (a reconfiguration), and initial_bytes counts it again.
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EOPNOTSUPP when the kernel lacks it (Linux before 7.0) or the
 * device has no PRE_COPY (the log says which); the kernel's error.
 */
int vfiodev_mig_precopy_v2(struct vfiodev_device *dev);

/** VFIODEV_MIG_MORE_LATER - vfiodev_mig_save(): a pre-copy stream reached
 *	its temporary end (ENOMSG); more may come */
#define VFIODEV_MIG_MORE_LATER 1

/**
 * typedef vfiodev_mig_sink_fn - receives the bytes of a saved stream
 * @data: the pointer given to vfiodev_mig_save()
 * @buf: the next bytes of the stream
 * @len: how many, > 0
 *
 * Return: 0 to go on, or -errno to stop (vfiodev_mig_save() returns it).
 */
typedef int (*vfiodev_mig_sink_fn)(void *data, const void *buf, size_t len);

/**
 * typedef vfiodev_mig_source_fn - gives the bytes of a stream to load
 * @data: the pointer given to vfiodev_mig_load()
 * @buf: where to put the next bytes
 * @len: room in @buf
 *
 * Return: the number of bytes put (> 0), 0 at the end of the stream, or
 * -errno to stop (vfiodev_mig_load() returns it).
 */
typedef ssize_t (*vfiodev_mig_source_fn)(void *data, void *buf, size_t len);

/**
 * struct vfiodev_mig_xfer_opts - options of the data fd helpers
 * @sz: sizeof(struct vfiodev_mig_xfer_opts)
 * @chunk: the most bytes one read() or write() moves, the size of the
 *	bounce buffer: 4 KiB to 64 MiB, 0: 1 MiB. When the buffer cannot be
 *	allocated, or the driver answers ENOMEM, the chunk is halved down to
 *	4 KiB before the call gives up
 * @max_bytes: vfiodev_mig_save(): refuse (-EFBIG) a stream longer than
 *	this; 0: no limit
 */
struct vfiodev_mig_xfer_opts {
	size_t sz;
	size_t chunk;
	uint64_t max_bytes;
};

/**
 * vfiodev_mig_save() - read what a saving state has for now into a sink
 * @dev: the device the fd belongs to
 * @data_fd: a data fd of PRE_COPY, PRE_COPY_P2P or STOP_COPY
 * @sink: called with each piece, in stream order
 * @data: passed to @sink
 * @opts: options, or NULL
 * @bytes: receives the bytes given to @sink (also on failure); may be NULL
 *
 * Reads until the stream ends: in STOP_COPY, read() returning 0 is the end
 * of the device's state; in PRE_COPY(_P2P), ENOMSG is the stream's
 * temporary end (VFIODEV_MIG_MORE_LATER), and some drivers (mtty) return 0
 * there instead: in a pre-copy state both mean "nothing more now", and the
 * rest comes after the move to STOP_COPY, on the same fd. EINTR is retried.
 * The bytes are opaque and their order is the stream: keep it.
 *
 * Context: one thread per fd; blocks in read().
 * Return: 0 at the end of the stream; VFIODEV_MIG_MORE_LATER at a
 * pre-copy's temporary end; -EFBIG past @opts->max_bytes; -ENOMEM when not
 * even 4 KiB could be had; @sink's error; or read()'s (-ENODEV: the session
 * ended).
 */
int vfiodev_mig_save(struct vfiodev_device *dev, int data_fd,
		     vfiodev_mig_sink_fn sink, void *data,
		     const struct vfiodev_mig_xfer_opts *opts, uint64_t *bytes);

/**
 * vfiodev_mig_save_buf() - vfiodev_mig_save() into a buffer
 * @dev: the device the fd belongs to
 * @data_fd: a data fd of a saving state
 * @buf: the buffer
 * @cap: its size
 * @len: receives the bytes stored
 *
 * Context: as vfiodev_mig_save().
 * Return: as vfiodev_mig_save(); -ENOSPC when the stream is longer than
 * @cap (the first @cap bytes are in @buf, and at least one more byte was
 * taken from the fd: the stream cannot be resumed, start the migration
 * again with a larger buffer: vfiodev_mig_data_size() estimates it).
 */
int vfiodev_mig_save_buf(struct vfiodev_device *dev, int data_fd, void *buf,
			 size_t cap, size_t *len);

/**
 * vfiodev_mig_load() - write a stream from a source into a resuming device
 * @dev: the device the fd belongs to (in RESUMING)
 * @data_fd: the fd vfiodev_mig_set_state() returned for RESUMING
 * @source: gives the stream's bytes, in order, until it returns 0
 * @data: passed to @source
 * @opts: options (@chunk), or NULL
 * @bytes: receives the bytes the device took (also on failure); may be NULL
 *
 * Short writes and EINTR are continued. The device checks the stream as it
 * comes (a header that is not its own is refused at once) and as a whole
 * when it leaves RESUMING (vfiodev_mig_set_state() to STOP or RUNNING).
 *
 * Context: one thread per fd; blocks in write().
 * Return: 0; @source's error; -ENOMEM when the device takes no more (its
 * drivers answer ENOMEM past the state they expect) or no buffer could be
 * had; or write()'s error (the device's refusal of the stream: mtty says
 * EFAULT for a foreign header).
 */
int vfiodev_mig_load(struct vfiodev_device *dev, int data_fd,
		     vfiodev_mig_source_fn source, void *data,
		     const struct vfiodev_mig_xfer_opts *opts, uint64_t *bytes);

/**
 * vfiodev_mig_load_buf() - vfiodev_mig_load() from a buffer
 * @dev: the device the fd belongs to (in RESUMING)
 * @data_fd: the fd of RESUMING
 * @buf: the stream
 * @len: its length
 *
 * Context: as vfiodev_mig_load().
 * Return: as vfiodev_mig_load().
 */
int vfiodev_mig_load_buf(struct vfiodev_device *dev, int data_fd,
			 const void *buf, size_t len);

/**
 * struct vfiodev_dma_log_range - an IOVA range whose DMA writes the device
 *	logs
 * @iova: start, aligned to the page size asked for
 * @length: length, > 0, a multiple of that page size
 */
struct vfiodev_dma_log_range {
	uint64_t iova;
	uint64_t length;
};

/**
 * vfiodev_mig_dma_log_start() - start the device's own logging of its DMA
 *	writes (VFIO_DEVICE_FEATURE_DMA_LOGGING_START)
 * @dev: the device
 * @ranges: the IOVA ranges to log, not overlapping
 * @nr: how many: at most a page of them (256 with 4 KiB pages; vfio
 *	core's limit, checked first: -E2BIG); drivers merge them as they need
 * @page_size: in: the granularity asked for, a power of two, at least
 *	4 KiB; out: the one the device chose
 *
 * Device-side dirty tracking, for devices whose IOMMU has no dirty bits
 * (vfiodev_space_dirty_start() is the IOMMU's). One start, then a stop:
 * what a second start does is the driver's (some refuse it, the mtty
 * sample takes it).
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EINVAL for empty, unaligned, wrapping or overlapping ranges
 * (checked first); -E2BIG for more ranges than the kernel takes (checked
 * first); -EOPNOTSUPP when the device has no DMA logging; the kernel's
 * error.
 */
int vfiodev_mig_dma_log_start(struct vfiodev_device *dev,
			      const struct vfiodev_dma_log_range *ranges,
			      size_t nr, uint64_t *page_size);

/**
 * vfiodev_mig_dma_log_stop() - stop the device's DMA logging
 *	(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP)
 * @dev: the device
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EOPNOTSUPP when the device has no DMA logging; the kernel's
 * error.
 */
int vfiodev_mig_dma_log_stop(struct vfiodev_device *dev);

/**
 * vfiodev_mig_dma_log_report() - read and clear the device's DMA log of an
 *	IOVA range (VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT)
 * @dev: the device, logging
 * @iova: start of the range, aligned to @page_size
 * @length: its length, > 0, a multiple of @page_size
 * @page_size: a bit's granularity, a power of two, at least 4 KiB (need
 *	not be the one logging started with)
 * @bitmap: receives one bit per page: bit n (bit n % 64 of word n / 64) is
 *	the page at @iova + n * @page_size; zeroed first
 * @bitmap_bytes: its size, at least (length / page_size + 63) / 64 * 8
 *
 * After any error the log must be taken as lost: count every page dirty.
 *
 * Context: one thread per device; one ioctl.
 * Return: 0; -EINVAL for bad arguments (checked first) or logging not
 * started; -EOPNOTSUPP when the device has no DMA logging; the kernel's
 * error.
 */
int vfiodev_mig_dma_log_report(struct vfiodev_device *dev, uint64_t iova,
			       uint64_t length, uint64_t page_size,
			       uint64_t *bitmap, size_t bitmap_bytes);

/* ------------------------------------------------------------------ */
/* Regions                                                              */
/* ------------------------------------------------------------------ */

/* PCI region indexes, as VFIO numbers them. */
#define VFIODEV_PCI_BAR0_REGION 0
#define VFIODEV_PCI_BAR5_REGION 5
#define VFIODEV_PCI_ROM_REGION 6
#define VFIODEV_PCI_CONFIG_REGION 7
#define VFIODEV_PCI_VGA_REGION 8

/** VFIODEV_REGION_READ - vfiodev_region_read() works */
#define VFIODEV_REGION_READ (1u << 0)
/** VFIODEV_REGION_WRITE - vfiodev_region_write() works */
#define VFIODEV_REGION_WRITE (1u << 1)
/** VFIODEV_REGION_MMAP - vfiodev_region_mmap() works (whole, or its
 *	sparse areas when VFIODEV_REGION_SPARSE) */
#define VFIODEV_REGION_MMAP (1u << 2)
/** VFIODEV_REGION_HAS_TYPE - @type and @subtype are valid */
#define VFIODEV_REGION_HAS_TYPE (1u << 3)
/** VFIODEV_REGION_MSIX_MAPPABLE - the MSI-X table may be mmapped */
#define VFIODEV_REGION_MSIX_MAPPABLE (1u << 4)
/** VFIODEV_REGION_SPARSE - only the sparse areas can be mmapped */
#define VFIODEV_REGION_SPARSE (1u << 5)

/**
 * struct vfiodev_region_info - one region, with its capabilities
 * @index: region index
 * @flags: VFIODEV_REGION_* bits: READ and WRITE (vfiodev_region_read() and
 *	vfiodev_region_write() work), MMAP (vfiodev_region_mmap() works),
 *	HAS_TYPE (@type and @subtype are valid), MSIX_MAPPABLE (the MSI-X table
 *	inside the BAR may be mmapped too), SPARSE (only the areas
 *	vfiodev_region_sparse_areas() lists can be mmapped: vfiodev_region_mmap()
 *	reserves the whole region and maps them, the rest faults)
 * @size: region size in bytes (0: the region is absent)
 * @offset: offset of the region in the device fd
 * @type: region type (when VFIODEV_REGION_HAS_TYPE)
 * @subtype: region subtype (when VFIODEV_REGION_HAS_TYPE)
 * @nr_sparse: number of sparse mmap areas (when VFIODEV_REGION_SPARSE)
 * @mmap_align_shift: when VFIODEV_REGION_MMAP, vfiodev_region_mmap() places
 *	the region at a virtual address aligned to 2^@mmap_align_shift bytes:
 *	its size rounded up to a power of two, at least a page, at most 1 GiB
 *	(vfio-pci maps a BAR with 2 MiB and 1 GiB entries only where the
 *	address is aligned like the BAR); sparse areas sit at their offsets
 *	from that base; 0 otherwise
 * @reserved: written as zero (room to grow)
 */
struct vfiodev_region_info {
	uint32_t index;
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
	uint32_t type;
	uint32_t subtype;
	uint32_t nr_sparse;
	uint32_t mmap_align_shift;
	uint32_t reserved[6];
};

/**
 * struct vfiodev_sparse_area - a part of a region that may be mmapped
 * @offset: offset inside the region
 * @size: size in bytes
 * @reserved: written as zero (room to grow; callers pass arrays of this)
 */
struct vfiodev_sparse_area {
	uint64_t offset;
	uint64_t size;
	uint64_t reserved[2];
};

/**
 * vfiodev_region_get_info() - VFIO_DEVICE_GET_REGION_INFO with its
 *	capability chain parsed
 * @dev: the device
 * @index: region index, below num_regions
 * @info: receives the information
 *
 * Context: any thread (an ioctl; no device state is changed).
 * Return: 0, -EINVAL for an index out of range, -EPROTO for a malformed
 * capability chain, or the kernel's error.
 */
int vfiodev_region_get_info(const struct vfiodev_device *dev, unsigned int index,
			    struct vfiodev_region_info *info);

/**
 * vfiodev_region_sparse_areas() - the sparse mmap areas of a region
 * @dev: the device
 * @index: region index
 * @areas: array to fill
 * @n: its capacity
 *
 * Context: any thread (an ioctl; no device state is changed).
 * Return: the number of areas (which may exceed @n), 0 when the region has
 * no sparse capability.
 */
int vfiodev_region_sparse_areas(const struct vfiodev_device *dev, unsigned int index,
				struct vfiodev_sparse_area *areas, size_t n);

/**
 * vfiodev_region_mmap() - map a region into memory
 * @dev: the device
 * @index: region index; it must be mmappable
 * @addr: receives the start of the mapping, covering the whole region
 *
 * For a region with sparse areas, the whole region is reserved and only the
 * areas are mapped; the rest faults (use vfiodev_region_read/write there).
 * The mapping lives until vfiodev_region_munmap() or device close; a second
 * call returns the same address.
 *
 * Context: one thread per device: the device's mmap state is not locked.
 * Return: 0, -EINVAL when the region cannot be mmapped, or mmap's error.
 */
int vfiodev_region_mmap(struct vfiodev_device *dev, unsigned int index, void **addr);

/** VFIODEV_DMA_BUF_RANGES_MAX - the most ranges one dma-buf may have here */
#define VFIODEV_DMA_BUF_RANGES_MAX 1024

/**
 * struct vfiodev_dma_range - a range of a region
 * @offset: page-aligned offset inside the region
 * @length: page-aligned length, > 0
 */
struct vfiodev_dma_range {
	uint64_t offset;
	uint64_t length;
};

/**
 * vfiodev_region_dma_buf() - export ranges of a BAR as a dma-buf
 * @dev: the device
 * @index: the BAR's region index (0-5)
 * @ranges: the ranges, in the order the dma-buf lays them out
 * @nr: how many, 1 to VFIODEV_DMA_BUF_RANGES_MAX
 * @fd: receives the dma-buf's fd (read-write, close-on-exec)
 *
 * VFIO_DEVICE_FEATURE_DMA_BUF (Linux 6.19+, CONFIG_VFIO_PCI_DMABUF, which
 * needs PCI_P2PDMA): another driver, or an iommufd IOAS through
 * IOMMU_IOAS_MAP_FILE (a single-range buffer), can take the fd for
 * peer-to-peer DMA into the BAR. The fd is the caller's: close it when
 * done (the device stays referenced while it is open). The kernel revokes
 * the buffer, and with it the DMA mappings importers made from it, while
 * the device's memory decoding is off (a dma-buf made then starts revoked:
 * enable it in the command register first), across a reset, and when the
 * device is unbound or its fd closed (vfiodev_device_close()); a revoked
 * buffer stays a valid fd whose mappings no longer reach the BAR.
 *
 * Context: one ioctl; any thread.
 * Return: 0; -EINVAL for a region that is not a present BAR or a range
 * that is empty, not page-aligned or past the region (checked before the
 * kernel is asked); -EOPNOTSUPP where the kernel or the device's driver
 * cannot export (the log says which); or the kernel's error.
 */
int vfiodev_region_dma_buf(struct vfiodev_device *dev, unsigned int index,
			   const struct vfiodev_dma_range *ranges, size_t nr,
			   int *fd);

/**
 * vfiodev_region_munmap() - undo vfiodev_region_mmap()
 * @dev: the device
 * @index: region index
 *
 * Context: one thread per device, as vfiodev_region_mmap().
 * Return: 0, -EINVAL, -ENOENT when the region is not mapped (logged).
 */
int vfiodev_region_munmap(struct vfiodev_device *dev, unsigned int index);

/**
 * vfiodev_region_read() - read from a region through the device fd
 * @dev: the device
 * @index: region index
 * @offset: offset inside the region
 * @buf: destination
 * @len: bytes to read; offset + len must stay inside the region
 *
 * Context: any thread once the region's info is known (after an earlier
 * call on it, or from one thread); blocks in pread().
 * Return: 0 when all @len bytes were read, -EINVAL, -EIO on a short read.
 */
int vfiodev_region_read(struct vfiodev_device *dev, unsigned int index,
			uint64_t offset, void *buf, size_t len);

/**
 * vfiodev_region_write() - write to a region through the device fd
 * @dev: the device
 * @index: region index
 * @offset: offset inside the region
 * @buf: source
 * @len: bytes to write
 *
 * Context: as vfiodev_region_read(); blocks in pwrite().
 * Return: 0 when all @len bytes were written, -EINVAL (a NULL @buf with a
 * non-zero @len, or a range outside the region: logged), -EIO.
 */
int vfiodev_region_write(struct vfiodev_device *dev, unsigned int index,
			 uint64_t offset, const void *buf, size_t len);

/**
 * vfiodev_pci_config_read() - read 1, 2 or 4 bytes of PCI config space
 * @dev: the device
 * @offset: config space offset, aligned to @width
 * @width: 1, 2 or 4
 * @val: receives the value (little-endian register, host order)
 *
 * Context: as vfiodev_region_read().
 * Return: 0, -EINVAL, -EIO.
 */
int vfiodev_pci_config_read(struct vfiodev_device *dev, uint32_t offset,
			    unsigned int width, uint32_t *val);

/**
 * vfiodev_pci_config_write() - write 1, 2 or 4 bytes of PCI config space
 * @dev: the device
 * @offset: config space offset, aligned to @width
 * @width: 1, 2 or 4
 * @val: the value
 *
 * Context: as vfiodev_region_write().
 * Return: 0, -EINVAL, -EIO.
 */
int vfiodev_pci_config_write(struct vfiodev_device *dev, uint32_t offset,
			     unsigned int width, uint32_t val);

/**
 * vfiodev_pci_enable_bus_master() - set memory space and bus master enable
 *	in the command register
 * @dev: the device
 *
 * Context: one thread per device (a read-modify-write of the command
 * register).
 * Return: 0 or as vfiodev_pci_config_write().
 */
int vfiodev_pci_enable_bus_master(struct vfiodev_device *dev);

/* ------------------------------------------------------------------ */
/* Interrupts                                                           */
/* ------------------------------------------------------------------ */

#define VFIODEV_PCI_INTX_IRQ 0
#define VFIODEV_PCI_MSI_IRQ 1
#define VFIODEV_PCI_MSIX_IRQ 2
#define VFIODEV_PCI_ERR_IRQ 3
#define VFIODEV_PCI_REQ_IRQ 4

/**
 * VFIODEV_IRQ_EVENTFD - the index signals eventfds: vfiodev_irq_set_eventfds()
 *	works on it (else -ENOTSUP)
 */
#define VFIODEV_IRQ_EVENTFD (1u << 0)
/**
 * VFIODEV_IRQ_MASKABLE - vfiodev_irq_mask() and vfiodev_irq_unmask() work on
 *	the index (vfio-pci: INTx only; else -ENOTSUP)
 */
#define VFIODEV_IRQ_MASKABLE (1u << 1)
/**
 * VFIODEV_IRQ_AUTOMASKED - the kernel masks the interrupt each time it fires
 *	(level-triggered INTx): the caller unmasks it with vfiodev_irq_unmask()
 *	after serving the device, or no further interrupt arrives
 */
#define VFIODEV_IRQ_AUTOMASKED (1u << 2)
/**
 * VFIODEV_IRQ_NORESIZE - the kernel cannot add vectors to the index while it
 *	is enabled (vfio-pci: MSI, ERR and REQ; MSI-X before Linux 6.5 or
 *	where the platform cannot allocate MSI-X vectors dynamically; INTx has
 *	one vector). vfiodev_irq_set_eventfds() then grows the index by
 *	disabling and re-enabling it with all its vectors: interrupts in that
 *	gap may be lost. Enable all the vectors needed in the first call to
 *	avoid it.
 */
#define VFIODEV_IRQ_NORESIZE (1u << 3)

/**
 * struct vfiodev_irq_info - one IRQ index
 * @index: the index (VFIODEV_PCI_*_IRQ for PCI devices)
 * @flags: VFIODEV_IRQ_* bits: EVENTFD (vfiodev_irq_set_eventfds() works),
 *	MASKABLE (vfiodev_irq_mask() and vfiodev_irq_unmask() work),
 *	AUTOMASKED (each interrupt masks itself until vfiodev_irq_unmask()),
 *	NORESIZE (an enabled index cannot grow in the kernel: the library grows
 *	it by disabling and re-enabling it, see vfiodev_irq_set_eventfds())
 * @count: number of vectors (0: the index is not supported)
 * @reserved: written as zero (room to grow)
 */
struct vfiodev_irq_info {
	uint32_t index;
	uint32_t flags;
	uint32_t count;
	uint32_t reserved[5];
};

/**
 * vfiodev_irq_get_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @dev: the device
 * @index: IRQ index, below num_irqs
 * @info: receives the information
 *
 * Context: any thread (an ioctl).
 * Return: 0, -EINVAL, or the kernel's error.
 */
int vfiodev_irq_get_info(const struct vfiodev_device *dev, unsigned int index,
			 struct vfiodev_irq_info *info);

/**
 * vfiodev_irq_set_eventfds() - signal vectors to eventfds
 * @dev: the device
 * @index: IRQ index
 * @start: first vector
 * @count: number of vectors, start + count <= info.count
 * @fds: @count eventfds; -1 leaves a vector without one (and takes away the
 *	one it had)
 *
 * Sets vectors @start to @start + @count - 1; the index's other vectors keep
 * what they had. The first call enables the index (MSI/MSI-X with @start +
 * @count vectors, those below @start without an eventfd); a later call may
 * go past them and the index grows to @start + @count vectors. Where the
 * kernel cannot grow an enabled index (VFIODEV_IRQ_NORESIZE: MSI, and MSI-X
 * before Linux 6.5), the library disables the index and enables it again
 * with every vector in one call: the vectors this call names get its @fds
 * (a -1 leaves that one without), the others the eventfds they had. It logs
 * that at info level; interrupts the device raises in between may be lost.
 * If that re-enable fails, the previous vectors are restored (or, if that
 * fails too, the index is left disabled) and the error is returned.
 *
 * The library keeps the eventfd numbers it was given to send them again on
 * such a resize: keep each eventfd open while it is set. After a failed call
 * on an enabled index the kernel may have taken the eventfds of the call's
 * vectors away: set them again. vfiodev_irq_disable() forgets them all.
 *
 * Context: one thread per device: the device's IRQ state is not locked.
 * Return: 0, -EINVAL, -ENOTSUP (no VFIODEV_IRQ_EVENTFD), -ENOSPC (the
 * platform cannot give the index that many vectors), -ENOMEM, or the
 * kernel's error.
 */
int vfiodev_irq_set_eventfds(struct vfiodev_device *dev, unsigned int index,
			     unsigned int start, unsigned int count,
			     const int *fds);

/**
 * vfiodev_irq_disable() - tear down every trigger of an index
 * @dev: the device
 * @index: IRQ index
 *
 * Disables the index (MSI/MSI-X: all its vectors); the next
 * vfiodev_irq_set_eventfds() enables it afresh.
 *
 * Context: one thread per device, as vfiodev_irq_set_eventfds().
 * Return: 0, -EINVAL, or the kernel's error.
 */
int vfiodev_irq_disable(struct vfiodev_device *dev, unsigned int index);

/**
 * vfiodev_irq_mask() - mask vectors (maskable indexes only, e.g. INTx)
 * @dev: the device
 * @index: IRQ index
 * @start: first vector
 * @count: number of vectors
 *
 * Context: any thread (an ioctl).
 * Return: 0, -ENOTSUP when the index is not maskable, -EINVAL, or the
 * kernel's error.
 */
int vfiodev_irq_mask(struct vfiodev_device *dev, unsigned int index,
		     unsigned int start, unsigned int count);

/**
 * vfiodev_irq_unmask() - unmask vectors (after an automasked INTx fired)
 * @dev: the device
 * @index: IRQ index
 * @start: first vector
 * @count: number of vectors
 *
 * Context: any thread (an ioctl); the usual place is the thread that read
 * the eventfd.
 * Return: as vfiodev_irq_mask().
 */
int vfiodev_irq_unmask(struct vfiodev_device *dev, unsigned int index,
		       unsigned int start, unsigned int count);

/**
 * vfiodev_irq_trigger() - fire vectors from software (loopback test)
 * @dev: the device
 * @index: IRQ index
 * @start: first vector
 * @count: number of vectors
 *
 * Context: any thread (an ioctl).
 * Return: 0, -EINVAL, or the kernel's error.
 */
int vfiodev_irq_trigger(struct vfiodev_device *dev, unsigned int index,
			unsigned int start, unsigned int count);

/* ------------------------------------------------------------------ */
/* Binding, discovery and diagnosis                                     */
/* ------------------------------------------------------------------ */

/** VFIODEV_NAME_LEN - room for a driver or module name and its NUL */
#define VFIODEV_NAME_LEN 64

/**
 * vfiodev_bdf_normalise() - check and normalise a PCI address
 * @in: "dddd:bb:dd.f" (4 to 8 domain digits) or "bb:dd.f" (domain 0), hex
 *	digits of either case
 * @out: receives the address in the form the kernel uses in sysfs, e.g.
 *	"0000:00:03.0"; untouched on failure
 *
 * The rule vfiodev_device_open() and every call taking a BDF apply.
 *
 * Context: any thread; no lock, no blocking.
 * Return: 0, or -EINVAL for anything else (device above 0x1f, function
 * above 7, trailing characters, NULL).
 */
int vfiodev_bdf_normalise(const char *in, char out[VFIODEV_BDF_LEN]);

/**
 * enum vfiodev_module_state - where a kernel module stands
 * @VFIODEV_MODULE_ABSENT: neither loaded nor built in (or not loadable)
 * @VFIODEV_MODULE_BUILTIN: built into the kernel: nothing to load
 * @VFIODEV_MODULE_LOADED: a module that was already loaded
 * @VFIODEV_MODULE_INSERTED: loaded by this call, through libkmod
 */
enum vfiodev_module_state {
	VFIODEV_MODULE_ABSENT = 0,
	VFIODEV_MODULE_BUILTIN = 1,
	VFIODEV_MODULE_LOADED = 2,
	VFIODEV_MODULE_INSERTED = 3,
};

/**
 * vfiodev_module_state_name() - printable name of a module state
 * @state: a state
 *
 * Context: any thread; no lock, no blocking.
 * Return: "absent", "built-in", "loaded", "inserted" or "unknown".
 */
const char *vfiodev_module_state_name(enum vfiodev_module_state state);

/**
 * struct vfiodev_module_status - one module a bind needs
 * @name: module name, as libkmod and /proc/modules spell it ("vfio_pci")
 * @state: where it stands after the call
 * @required: the bind cannot work without it (an optional module is
 *	one of two alternatives, such as iommufd before vfio_iommu_type1)
 * @error: 0, or the negative errno of the failed load
 * @reserved: written as zero; room for fields a later version adds without
 *	changing the size (callers pass arrays of this struct)
 */
struct vfiodev_module_status {
	char name[VFIODEV_NAME_LEN];
	enum vfiodev_module_state state;
	bool required;
	int error;
	uint64_t reserved[4];
};

/**
 * vfiodev_modules_load() - load the modules a bind to a VFIO driver needs
 * @ctx: the context
 * @driver: the driver to bind to, NULL for "vfio-pci"
 * @status: array to fill with one entry per module considered, may be NULL
 *	when @n is 0
 * @n: capacity of @status
 *
 * Loads, with libkmod, the driver's module and the IOMMU backend the
 * running kernel needs: iommufd when the kernel has it, else
 * vfio_iommu_type1 (the driver does not pull it in, and without it the
 * container path fails). vfio_iommu_type1 is loaded beside iommufd too
 * when a VFIO device in sysfs shows that the kernel lacks the vfio cdev
 * (a /sys/class/vfio-dev/vfioN without dev): iommufd alone then opens
 * nothing. A built-in module counts as loaded. Each failure is logged
 * with the module's name.
 *
 * Context: any thread; takes the context's libkmod lock; loads modules (the
 * caller needs CAP_SYS_MODULE), which may block while their init runs.
 * Return: the number of modules considered (which may exceed @n; only @n
 * entries are written); -ENOENT when a required module is not in the
 * kernel's module index, -EPERM when loading needs root, -ENOTSUP when
 * built without libkmod or with a fake sysfs root, or libkmod's error.
 * The entries are written on failure too.
 */
int vfiodev_modules_load(struct vfiodev_ctx *ctx, const char *driver,
			 struct vfiodev_module_status *status, size_t n);

/**
 * struct vfiodev_bind_opts - options of vfiodev_bind()
 * @sz: sizeof(struct vfiodev_bind_opts)
 * @driver: the driver to bind to, NULL for "vfio-pci"
 * @no_modules: do not load modules (the caller did, or wants to)
 * @force: bind even a device the host is using (an interface that is up
 *	with an address or a route, a block device with a mounted file
 *	system, swap or a holder, the boot display): the host loses it
 * @reserved: zero, as in struct vfiodev_ctx_opts
 */
struct vfiodev_bind_opts {
	size_t sz;
	const char *driver;
	bool no_modules;
	bool force;
	uint8_t reserved[6];
};

/**
 * vfiodev_bind() - bind a PCI device to vfio-pci
 * @ctx: the context
 * @bdf: "0000:00:03.0" or "00:03.0"
 * @opts: options, or NULL
 * @prev_driver: receives the driver the device had ("" when none), for
 *	vfiodev_unbind(); may be NULL when @len is 0
 * @len: size of @prev_driver (VFIODEV_NAME_LEN is enough)
 *
 * Loads the modules (vfiodev_modules_load()) unless told not to, then, in
 * this order: writes the driver to the device's driver_override (from then
 * on no other driver can take it), unbinds the device from its current
 * driver, and writes its address to drivers_probe. A device already bound
 * to the driver is left as it is (@prev_driver is then that driver). A
 * failure before the unbind leaves the device on its driver, with
 * driver_override cleared; a failure after it gives the device back to its
 * previous driver (through driver_override, or, when that cannot be
 * written, by clearing it and writing the address to the driver's bind).
 * Once the device is bound (unless @opts says no_modules), a device
 * without a vfio cdev (no vfio-dev/vfioN/dev: a kernel without
 * CONFIG_VFIO_DEVICE_CDEV) gets vfio_iommu_type1 loaded as well, since
 * only the container path can open it; a failure there is logged as a
 * warning and the bind stands.
 *
 * A device the host is using is refused before anything is loaded or
 * written, unless @opts says force: a network interface of it that is up
 * with an address or a route (/proc/net/route, fib_trie, if_inet6,
 * ipv6_route), a block device of it or a partition with a mounted file
 * system (/proc/self/mountinfo), swap (/proc/swaps) or a holder (dm, md,
 * LVM: its holders/ in sysfs), or the boot display (boot_vga). The log
 * line names each user ("eth0 (10.0.2.15/24, default route)", "nvme0n1
 * (mounted on /mnt)"). procfs is read beside the context's sysfs root:
 * /proc for /sys. A device already bound to the driver is not checked.
 *
 * Context: any thread; reads sysfs and procfs (the host's use), writes
 * sysfs (needs root); unless @opts->no_modules, may load the driver's
 * modules; unbinding the current driver blocks until that driver lets the
 * device go.
 * Return: 0; -EINVAL for a malformed BDF; -ENODEV when the device does not
 * exist; -EBUSY when the host uses it and @opts does not say force; -EIO
 * when the driver did not claim the device (its probe failed:
 * see the kernel log); a module error as vfiodev_modules_load(); or the
 * errno of the sysfs write that failed (-EACCES/-EPERM: not root).
 */
int vfiodev_bind(struct vfiodev_ctx *ctx, const char *bdf,
		 const struct vfiodev_bind_opts *opts, char *prev_driver,
		 size_t len);

/**
 * vfiodev_unbind() - release a PCI device from its driver, and restore one
 * @ctx: the context
 * @bdf: the device
 * @restore_driver: NULL: clear driver_override and let the kernel probe
 *	the device again (it gets the driver that matches it by default);
 *	"": leave it without a driver; a driver name: bind it to that driver
 *	(the @prev_driver vfiodev_bind() returned)
 *
 * A named @restore_driver must be registered with the PCI bus, or its
 * module load, before the device is released; otherwise the device is
 * left on its driver.
 *
 * Context: any thread; writes sysfs (needs root); blocks until every process
 * holding the device (its vfio fds) has closed it: the kernel's release waits
 * for them; may load @restore_driver's module.
 * Return: 0; -ENODEV when the device does not exist, or @restore_driver
 * is neither registered nor loadable; -EIO when @restore_driver did not
 * take the device; or the errno of the sysfs write that failed.
 */
int vfiodev_unbind(struct vfiodev_ctx *ctx, const char *bdf,
		   const char *restore_driver);

/** VFIODEV_PATH_IOMMUFD - the vfio cdev + /dev/iommu path can be opened now */
#define VFIODEV_PATH_IOMMUFD (1u << 0)
/** VFIODEV_PATH_CONTAINER - the group + Type1 container path can be opened now */
#define VFIODEV_PATH_CONTAINER (1u << 1)
/** VFIODEV_PATH_NOIOMMU - a noiommu device can be opened now (allow_noiommu):
 *	its group, or Linux 7.x's noiommu cdev through iommufd */
#define VFIODEV_PATH_NOIOMMU (1u << 2)

/**
 * struct vfiodev_pci_member - a device of an IOMMU group
 * @bdf: its PCI address
 * @driver: its driver, "" when none
 * @blocking: its driver makes the group non-viable (a host driver that
 *	does its own DMA: anything but a VFIO driver, pci-stub or pcieport);
 *	also set, with @driver "", when its driver link cannot be read
 * @reserved: zero; room for fields a later version adds without changing
 *	the size (the members come as an array of this struct)
 */
struct vfiodev_pci_member {
	char bdf[VFIODEV_BDF_LEN];
	char driver[VFIODEV_NAME_LEN];
	bool blocking;
	uint64_t reserved[4];
};

/**
 * struct vfiodev_pci_device - what sysfs says about one PCI device
 * @bdf: PCI address, "dddd:bb:dd.f"
 * @vendor: vendor ID
 * @device: device ID
 * @subsystem_vendor: subsystem vendor ID
 * @subsystem_device: subsystem device ID
 * @class_code: class, subclass and programming interface (0x010802)
 * @driver: bound driver, "" when none
 * @driver_override: driver_override, "" when unset
 * @reset_methods: the kernel's reset_method list ("flr bus"), "" if unknown
 * @iommu_group: IOMMU group number, -1 when the device has none
 * @noiommu: the group is a VFIO noiommu group (no DMA isolation)
 * @nr_members: number of entries in @members
 * @members: every device of the IOMMU group, this one included, by address
 * @cdev: name of the vfio cdev ("vfio0"), "" when the device has none
 * @has_cdev_devnum: @cdev_major and @cdev_minor are valid (the kernel has
 *	CONFIG_VFIO_DEVICE_CDEV)
 * @cdev_major: the cdev's major number
 * @cdev_minor: the cdev's minor number
 * @paths: VFIODEV_PATH_* bits: the ways the calling process could open the
 *	device right now (bound, group viable, nodes present, correct and
 *	accessible, kernel support present)
 * @members_unknown: @members may miss a blocker: the group's devices could
 *	not be listed, or a member whose name does not fit @bdf has (or may
 *	have) a host driver. The group then counts as not viable.
 */
struct vfiodev_pci_device {
	char bdf[VFIODEV_BDF_LEN];
	uint16_t vendor;
	uint16_t device;
	uint16_t subsystem_vendor;
	uint16_t subsystem_device;
	uint32_t class_code;
	char driver[VFIODEV_NAME_LEN];
	char driver_override[VFIODEV_NAME_LEN];
	char reset_methods[VFIODEV_NAME_LEN];
	int iommu_group;
	bool noiommu;
	size_t nr_members;
	struct vfiodev_pci_member *members;
	char cdev[32];
	bool has_cdev_devnum;
	unsigned int cdev_major;
	unsigned int cdev_minor;
	unsigned int paths;
	bool members_unknown;
};

/**
 * struct vfiodev_pci_list - the result of vfiodev_pci_scan()
 * @nr_devices: number of devices
 * @devices: the devices, sorted by address
 */
struct vfiodev_pci_list {
	size_t nr_devices;
	struct vfiodev_pci_device **devices;
};

/**
 * struct vfiodev_pci_scan_opts - options of vfiodev_pci_scan()
 * @sz: sizeof(struct vfiodev_pci_scan_opts)
 * @vfio_only: only devices bound to a VFIO driver
 * @vendor: only this vendor ID (0: any)
 * @device: only this device ID (0: any)
 * @reserved: zero, as in struct vfiodev_ctx_opts
 */
struct vfiodev_pci_scan_opts {
	size_t sz;
	bool vfio_only;
	uint16_t vendor;
	uint16_t device;
	uint8_t reserved[2];
};

/**
 * vfiodev_pci_scan() - enumerate PCI devices
 * @ctx: the context
 * @opts: filters, or NULL for every device
 * @out: receives the list; free it with vfiodev_pci_list_free()
 *
 * Enumerates with libudev when the library has it and the context uses the
 * real /sys, else by reading <sysfs>/bus/pci/devices.
 *
 * Context: any thread; reads sysfs (through libudev where built with it and
 * the roots are the real ones, under the context's libudev lock).
 * Return: 0, -ENOENT when there is no PCI bus in sysfs, -ENOMEM.
 */
int vfiodev_pci_scan(struct vfiodev_ctx *ctx,
		     const struct vfiodev_pci_scan_opts *opts,
		     struct vfiodev_pci_list **out);

/**
 * vfiodev_pci_list_free() - free a list from vfiodev_pci_scan()
 * @list: the list, may be NULL
 *
 * Context: any thread; no lock, no blocking.
 */
void vfiodev_pci_list_free(struct vfiodev_pci_list *list);

/**
 * vfiodev_pci_lookup() - describe one PCI device
 * @ctx: the context
 * @bdf: its address
 * @out: receives the description; free it with vfiodev_pci_device_free()
 *
 * Context: as vfiodev_pci_scan().
 * Return: 0, -EINVAL for a malformed BDF, -ENODEV when there is no such
 * device, -ENOMEM.
 */
int vfiodev_pci_lookup(struct vfiodev_ctx *ctx, const char *bdf,
		       struct vfiodev_pci_device **out);

/**
 * vfiodev_pci_device_free() - free a description from vfiodev_pci_lookup()
 * @dev: the description, may be NULL
 *
 * Context: any thread; no lock, no blocking.
 */
void vfiodev_pci_device_free(struct vfiodev_pci_device *dev);

/**
 * enum vfiodev_severity - how much a diagnosis finding matters
 * @VFIODEV_SEVERITY_OK: checked and fine
 * @VFIODEV_SEVERITY_INFO: worth knowing, changes nothing
 * @VFIODEV_SEVERITY_WARNING: a path or feature is lost, the device can
 *	still be used
 * @VFIODEV_SEVERITY_ERROR: the device cannot be opened (or the mapping
 *	asked about cannot be made) until it is fixed
 */
enum vfiodev_severity {
	VFIODEV_SEVERITY_OK = 0,
	VFIODEV_SEVERITY_INFO = 1,
	VFIODEV_SEVERITY_WARNING = 2,
	VFIODEV_SEVERITY_ERROR = 3,
};

/**
 * vfiodev_severity_name() - printable name of a severity
 * @severity: a severity
 *
 * Context: any thread; no lock, no blocking.
 * Return: "ok", "info", "warning", "error" or "unknown".
 */
const char *vfiodev_severity_name(enum vfiodev_severity severity);

/**
 * struct vfiodev_finding - one thing a diagnosis checked
 * @severity: how much it matters
 * @check: a stable identifier of the kind of check, for scripts: "device"
 *	(it exists), "iommu" (an IOMMU, or noiommu mode, serves it), "module",
 *	"driver", "kernel" (support for the cdev and iommufd), "group"
 *	(viability), "node" (present and the right device), "permission"
 *	(read-write access to a node, and CAP_SYS_RAWIO for a noiommu
 *	group), "memlock", "dma-entry-limit"
 * @subject: what was checked, in words
 * @found: what was found
 * @remedy: the command or sysfs write that fixes it, NULL when there is
 *	nothing to fix
 */
struct vfiodev_finding {
	enum vfiodev_severity severity;
	const char *check;
	const char *subject;
	const char *found;
	const char *remedy;
};

/**
 * struct vfiodev_diagnose_opts - options of vfiodev_diagnose()
 * @sz: sizeof(struct vfiodev_diagnose_opts)
 * @map_bytes: check RLIMIT_MEMLOCK against DMA mappings of this many bytes
 *	in all, rounded up to whole pages (0: only report the limit); not
 *	checked for a noiommu group, which maps nothing through VFIO
 * @map_count: check Type1's dma_entry_limit against this many separate
 *	mappings (0: only report the limit)
 * @backend: the backend the open would be forced to (AUTO also honours
 *	$VFIODEV_BACKEND)
 * @allow_noiommu: the open would set allow_noiommu
 * @check_user: check node permissions for @uid and @gid (and @uid's
 *	supplementary groups) instead of the calling process
 * @uid: user to check when @check_user
 * @gid: primary group to check when @check_user
 */
struct vfiodev_diagnose_opts {
	size_t sz;
	uint64_t map_bytes;
	uint64_t map_count;
	enum vfiodev_backend backend;
	bool allow_noiommu;
	bool check_user;
	uid_t uid;
	gid_t gid;
};

/**
 * struct vfiodev_diagnosis - the result of vfiodev_diagnose()
 * @bdf: the device's address, normalised
 * @usable: no finding is an error: vfiodev_device_open() with the same
 *	options should succeed (and the mappings asked about fit)
 * @backend: the backend an open would take (IOMMUFD or CONTAINER), AUTO
 *	when neither path is usable
 * @backend_reason: why that backend, in words; never NULL
 * @paths: VFIODEV_PATH_* bits of the paths that are usable
 * @nr_findings: number of findings
 * @findings: the findings, in the order they were checked
 */
struct vfiodev_diagnosis {
	char bdf[VFIODEV_BDF_LEN];
	bool usable;
	enum vfiodev_backend backend;
	const char *backend_reason;
	unsigned int paths;
	size_t nr_findings;
	struct vfiodev_finding **findings;
};

/**
 * vfiodev_diagnose() - explain whether and how a device can be opened
 * @ctx: the context
 * @bdf: the device's address
 * @opts: options, or NULL
 * @out: receives the diagnosis; free it with vfiodev_diagnosis_free()
 *
 * Reads sysfs and stats device nodes; it opens no VFIO node and changes
 * nothing. Checks: the device exists; an IOMMU is on (or noiommu mode);
 * the modules; the driver; kernel support for the cdev and iommufd; the
 * IOMMU group's viability, naming each device that blocks it and its
 * driver; each node the paths need (present, a character device with the
 * major:minor sysfs names, read-write for the user); RLIMIT_MEMLOCK; and
 * Type1's dma_entry_limit. Every problem comes with its remedy. What
 * loses one open path is a warning while the other path works; once no
 * path is left, those warnings become errors (information stays
 * information).
 *
 * Context: any thread; reads sysfs and /dev, opens nothing and loads no
 * module.
 * Return: 0 (also when the device does not exist: that is a finding),
 * -EINVAL for a malformed BDF or options, -ENOMEM.
 */
int vfiodev_diagnose(struct vfiodev_ctx *ctx, const char *bdf,
		     const struct vfiodev_diagnose_opts *opts,
		     struct vfiodev_diagnosis **out);

/**
 * vfiodev_diagnosis_free() - free a diagnosis
 * @diag: the diagnosis, may be NULL
 *
 * Context: any thread; no lock, no blocking.
 */
void vfiodev_diagnosis_free(struct vfiodev_diagnosis *diag);

/* ------------------------------------------------------------------ */
/* Mediated devices (mdev)                                              */
/* ------------------------------------------------------------------ */

/** VFIODEV_UUID_LEN - room for a UUID ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
 *	and its NUL */
#define VFIODEV_UUID_LEN 37

/**
 * struct vfiodev_mdev_type - a type of mediated device a parent can create
 * @id: the type's directory in the parent's mdev_supported_types ("mtty-2"):
 *	what vfiodev_mdev_create() takes
 * @name: its name attribute ("Dual port serial"), "" when absent
 * @description: its description attribute, "" when absent (the attribute is
 *	optional: 6.12's mtty has none), cut at 255 bytes, new lines kept
 * @device_api: the VFIO API of its devices ("vfio-pci", "vfio-ccw"...), ""
 *	when absent
 * @available_instances: how many more devices of the type can be created
 *	now; -1 when the attribute cannot be read
 * @nr_devices: devices of the type that exist now (its devices directory)
 * @reserved: zero; room for fields a later version adds without changing
 *	the size (the types come as an array of this struct)
 */
struct vfiodev_mdev_type {
	char id[VFIODEV_NAME_LEN];
	char name[VFIODEV_NAME_LEN];
	char description[256];
	char device_api[VFIODEV_NAME_LEN];
	int64_t available_instances;
	uint32_t nr_devices;
	uint32_t reserved[9];
};

/**
 * struct vfiodev_mdev_parent - a device that creates mediated devices
 * @name: its entry in /sys/class/mdev_bus ("mtty"; a PCI address for a
 *	GPU): what vfiodev_mdev_create() takes
 * @driver: its driver, "" when none
 * @nr_types: entries in @types
 * @types: its types, sorted by id
 * @reserved: zero, as in struct vfiodev_mdev_type
 */
struct vfiodev_mdev_parent {
	char name[VFIODEV_NAME_LEN];
	char driver[VFIODEV_NAME_LEN];
	size_t nr_types;
	struct vfiodev_mdev_type *types;
	uint64_t reserved[4];
};

/**
 * struct vfiodev_mdev_device - a mediated device that exists
 * @uuid: its UUID (lower case, as its name in sysfs), zero-padded
 * @parent: its parent's name, "" when its link cannot be read
 * @type: its type's id ("mtty-2"), "" when its link cannot be read
 * @driver: its driver, "" when none
 * @iommu_group: its (emulated) IOMMU group, -1 when it has none
 * @cdev: its vfio-dev entry ("vfio0"; a kernel without
 *	CONFIG_VFIO_DEVICE_CDEV gives it no device number), "" when none
 * @sysfs_path: "<sysfs root>/bus/mdev/devices/<uuid>", what
 *	vfiodev_device_open_sysfs() takes
 * @reserved: zero, as in struct vfiodev_mdev_type
 */
struct vfiodev_mdev_device {
	char uuid[VFIODEV_UUID_LEN + 3];
	char parent[VFIODEV_NAME_LEN];
	char type[VFIODEV_NAME_LEN];
	char driver[VFIODEV_NAME_LEN];
	int32_t iommu_group;
	char cdev[32];
	char sysfs_path[256];
	uint32_t reserved[9];
};

/**
 * struct vfiodev_mdev_list - the result of vfiodev_mdev_scan()
 * @nr_parents: entries in @parents
 * @parents: the parents, sorted by name, each with its types
 * @nr_devices: entries in @devices
 * @devices: the mediated devices, sorted by UUID
 */
struct vfiodev_mdev_list {
	size_t nr_parents;
	struct vfiodev_mdev_parent *parents;
	size_t nr_devices;
	struct vfiodev_mdev_device *devices;
};

/**
 * struct vfiodev_mdev_scan_opts - options of vfiodev_mdev_scan()
 * @sz: sizeof(struct vfiodev_mdev_scan_opts)
 * @parent: only this parent and its devices (NULL: every parent)
 */
struct vfiodev_mdev_scan_opts {
	size_t sz;
	const char *parent;
};

/**
 * vfiodev_mdev_scan() - the mdev parents, their types, and the mediated
 *	devices
 * @ctx: the context
 * @opts: a filter, or NULL for everything
 * @out: receives the list; free it with vfiodev_mdev_list_free()
 *
 * Reads <sysfs>/class/mdev_bus (a parent's mdev_supported_types) and
 * <sysfs>/bus/mdev/devices, as mdevctl does for its non-persistent
 * devices. No parent is no error: the list is then empty.
 *
 * Context: any thread; reads sysfs.
 * Return: 0; -ENODEV when @opts names a parent that does not exist (the
 * log lists those that do); -ENOMEM.
 */
int vfiodev_mdev_scan(struct vfiodev_ctx *ctx,
		      const struct vfiodev_mdev_scan_opts *opts,
		      struct vfiodev_mdev_list **out);

/**
 * vfiodev_mdev_list_free() - free a list from vfiodev_mdev_scan()
 * @list: the list, may be NULL
 *
 * Context: any thread; no lock, no blocking.
 */
void vfiodev_mdev_list_free(struct vfiodev_mdev_list *list);

/**
 * struct vfiodev_mdev_create_opts - options of vfiodev_mdev_create()
 * @sz: sizeof(struct vfiodev_mdev_create_opts)
 * @uuid: the new device's UUID, any case; NULL: a random (version 4) one
 */
struct vfiodev_mdev_create_opts {
	size_t sz;
	const char *uuid;
};

/**
 * vfiodev_mdev_create() - create a mediated device
 * @ctx: the context
 * @parent: the parent's name, as in struct vfiodev_mdev_parent
 * @type: the type's id, as in struct vfiodev_mdev_type ("mtty-2")
 * @opts: options, or NULL (a random UUID)
 * @uuid: receives the device's UUID, lower case (may be NULL)
 *
 * Writes the UUID to the type's create attribute; the kernel binds the new
 * device to the parent's mdev driver, which registers it with VFIO: it can
 * be opened at once with vfiodev_device_open_sysfs() of
 * <sysfs>/bus/mdev/devices/<uuid>. The device lasts until removed or until
 * the parent goes (a reboot included): mdevctl's non-persistent devices;
 * nothing is written for a later boot.
 *
 * Context: any thread; writes sysfs (root only); the parent's driver may
 * take a while to set the device up.
 * Return: 0; -EINVAL for a malformed UUID; -ENODEV when there is no such
 * parent; -ENOENT when the parent has no such type (the log lists its
 * types); -ENOSPC when the type has no instances left
 * (available_instances 0, or the kernel's EUSERS or ENOSPC); -EEXIST when
 * a mediated device with that UUID exists; -EACCES when the create
 * attribute may not be written (root only); the kernel's error otherwise.
 */
int vfiodev_mdev_create(struct vfiodev_ctx *ctx, const char *parent,
			const char *type,
			const struct vfiodev_mdev_create_opts *opts,
			char uuid[VFIODEV_UUID_LEN]);

/**
 * vfiodev_mdev_remove() - remove a mediated device
 * @ctx: the context
 * @uuid: its UUID, any case
 *
 * Writes its remove attribute. The kernel does not refuse the removal of
 * an open device: the write waits (uninterruptibly, once a signal came)
 * until every user closed it, and meanwhile the device has left
 * bus/mdev/devices (seen on 6.12 and 7.3). So the call first checks that the device is
 * not open: its IOMMU group node is opened and closed again, which the
 * kernel refuses (EBUSY) while a program holds the device, through its
 * group or bound through its cdev; an open cdev fd not yet bound is not
 * seen. Close the device first (vfiodev_device_close()).
 *
 * Context: any thread; writes sysfs (root only); blocks while the parent's
 * driver tears the device down.
 * Return: 0; -EINVAL for a malformed UUID; -ENODEV when there is no such
 * mediated device; -EBUSY when it is open (in this process or another);
 * -EACCES when the remove attribute may not be written; the kernel's error
 * otherwise.
 */
int vfiodev_mdev_remove(struct vfiodev_ctx *ctx, const char *uuid);

#ifdef __cplusplus
}
#endif

#endif /* VFIODEV_H */
