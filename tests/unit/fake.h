/* SPDX-License-Identifier: MIT */
/*
 * The fake kernel the unit tests run the library against: a temporary
 * directory with sys/ and dev/ trees built per test, and a syscall table
 * installed as vfd_sys that emulates the VFIO and iommufd UAPI the
 * library uses. Fds are real (device nodes are plain files, device fds from
 * a group are /dev/null), so a leak shows in /proc/self/fd; kernel objects
 * (bindings, IOAS, mappings, triggers, mmaps...) are counted so that a test
 * can assert that everything the library created was undone. Any seam call
 * can be made to fail.
 */
#ifndef FAKE_H
#define FAKE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

#define FAKE_NR_REGIONS 9
#define FAKE_NR_IRQS 5
#define FAKE_MAX_AREAS 8
#define FAKE_MAX_VECTORS 64
#define FAKE_MAX_RANGES 16

/* device numbers the fake hands out, as a kernel would */
#define FAKE_CDEV_MAJOR 511
#define FAKE_GROUP_MAJOR 510

/* the offset of region @i in a device fd, as vfio-pci lays them out */
#define FAKE_REGION_OFFSET(i) ((uint64_t)(i) << 40)

struct fake_region {
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_READ/WRITE/MMAP */
	uint64_t size;
	unsigned int nr_areas; /* sparse mmap areas, 0: no capability */
	struct {
		uint64_t offset;
		uint64_t size;
	} areas[FAKE_MAX_AREAS];
	/* claim more areas than the capability has room for */
	unsigned int nr_areas_lie;
	bool has_type;
	uint32_t type, subtype;
	bool msix_mappable;
	/* a raw capability chain replacing the built one: @raw_len bytes
	 * placed right after struct vfio_region_info (offset 32), the first
	 * capability at @raw_first (offsets count from the info's start) */
	const void *raw;
	size_t raw_len;
	uint32_t raw_first;
	/* the file offset the kernel reports (0: the usual one) */
	uint64_t fd_offset;
	/* misbehaving kernels: always ask for @grow more bytes of argsz */
	uint32_t grow;
	uint8_t *mem; /* contents for pread/pwrite, up to 64 KiB */
	size_t short_io; /* non-zero: transfer at most this many bytes */
};

struct fake_irq {
	uint32_t flags; /* VFIO_IRQ_INFO_* */
	uint32_t count;
	int trigger[FAKE_MAX_VECTORS]; /* eventfd per vector, -1: none */
	uint64_t masked;
	/* vectors the index is enabled with, 0: disabled; the first eventfd
	 * set enables start + count of them (vfio_msi_enable()); with
	 * VFIO_IRQ_INFO_NORESIZE an enabled index does not grow (EINVAL) */
	uint32_t enabled;
	/* non-zero: the vectors the platform can give; an enable asking for
	 * more returns this number, nothing enabled (vfio_msi_enable()) */
	uint32_t avail;
};

/* a migratable device (fake_mig.c; with fake_pci.mig_flags): the state
 * machine as a migration driver enforces it, one arc per SET (a
 * multi-step request is -EINVAL, so the library's walk shows), data fds
 * (memfds whose reads and writes the fake serves) carrying @regs in the
 * fake's own stream format, and the failures tests inject */
#define FAKE_MIG_REGS 64
#define FAKE_MIG_DIRTY 8
struct fake_migf;
struct fake_pci;
struct fake_mig {
	uint32_t state; /* VFIO_DEVICE_STATE_*: RUNNING from fake_pci_add */
	uint8_t regs[FAKE_MIG_REGS]; /* the device's internal state */
	unsigned int arcs; /* arcs taken (successful SETs that moved) */
	/* pre-copy: the second half of @regs changed since it was read (a
	 * read at the temporary end takes it); @reinit: new initial data
	 * appears with the next info (REINIT when v2 was set) */
	bool dirty, reinit;
	bool v2_feature; /* the kernel has PRECOPY_INFOv2 (7.x; else ENOTTY) */
	bool precopy_v2; /* ... and it was set */
	bool no_data_size; /* MIG_DATA_SIZE: ENOTTY */
	/* a pre-copy read at the temporary end returns 0 (mtty) instead of
	 * ENOMSG */
	bool eof_zero;
	/* a failed RESUMING -> STOP goes to ERROR (else stays RESUMING) */
	bool load_error;
	/* the arc @fail_from -> @fail_to fails with @fail_err (when set),
	 * leaving the device in ERROR when @fail_to_error */
	bool fail_arc, fail_to_error;
	uint32_t fail_from, fail_to;
	int fail_err;
	bool fd_every_arc; /* a protocol breach: every arc hands out an fd */
	unsigned int eintr; /* the next reads and writes of data fds: EINTR */
	size_t io_max; /* a read or write moves at most this (0: no limit) */
	size_t enomem_above; /* longer reads or writes fail ENOMEM (0: none) */
	/* DMA logging (log ops): @dma_log offers it; the device logs at
	 * @log_pgsize (0: 4 KiB) and takes at most @log_max_ranges (0: 256) */
	bool dma_log, logging;
	uint64_t log_pgsize;
	uint32_t log_max_ranges, log_nr_ranges;
	struct {
		uint64_t iova, len;
	} written[FAKE_MIG_DIRTY]; /* DMA writes not yet reported */
	unsigned int nr_written;
	struct fake_migf *saving, *resuming;
};

/* the device DMA-wrote [@iova, +@len): logged while logging */
void fake_mig_dma_write(struct fake_pci *p, uint64_t iova, uint64_t len);
/* data fds of the fake alive (to tell a leak) */
int fake_mig_files(void);
/* what VFIO_DEVICE_RESET does: RUNNING, every session disabled */
void fake_mig_reset(struct fake_pci *p);

struct fake_pci {
	char bdf[48]; /* its kernel name: a BDF, an mdev's UUID */
	/* a mediated device (fake_mdev_device): its group is emulated, and
	 * iommufd binds it through an access object, attached to an IOAS
	 * only (a HWPT id: ENOENT, as iommufd_access_attach() answers) */
	bool emulated;
	int group;
	int cdev_index; /* vfio-dev/vfio<N>, -1: none */
	dev_t cdev_rdev;
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	uint32_t num_regions;
	uint32_t num_irqs;
	struct fake_region regions[FAKE_NR_REGIONS];
	struct fake_irq irqs[FAKE_NR_IRQS];
	int open_count; /* bound cdev files + device fds from its group */
	unsigned int resets;
	/* VFIO_DEVICE_FEATURE: low-power entry (SET) is always offered,
	 * migration (GET, 8 bytes) only when @mig_flags is non-zero */
	uint64_t mig_flags;
	struct fake_mig mig;
	unsigned int low_power_entries;
	/* hot reset: devices with the same non-zero @reset_bus go together
	 * (0: no slot or bus reset, ENODEV); @vfio_driver: bound to vfio-pci */
	int reset_bus;
	bool vfio_driver;
	unsigned int hot_resets;
	/* SR-IOV: a PF bound to vfio-pci keeps the VF token its user set
	 * (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN); its VFs (@pf set) open only
	 * with that token (EACCES), others refuse any token (EINVAL) */
	bool is_pf;
	uint8_t vf_token[16];
	unsigned int dma_bufs; /* dma-bufs exported */
	bool mem_off; /* COMMAND.MEM cleared (the config space's byte 4) */
	struct fake_pci *pf;
	struct fake_pci *next;
};

struct fake_container;

struct fake_group {
	int id;
	bool viable;
	bool noiommu;
	bool open; /* a group node is open (the kernel allows one) */
	int device_fds;
	struct fake_container *container;
	struct fake_group *next;
};

/* kernel behaviour the tests adjust (reset by fake_init) */
struct fake_config {
	/* iommufd: the allowed IOVA ranges of every IOAS */
	struct vfiodev_iova_range ioas_ranges[FAKE_MAX_RANGES];
	size_t nr_ioas_ranges;
	uint64_t ioas_alignment;
	bool ranges_lie; /* EMSGSIZE without asking for more room */
	/* legacy container */
	int api_version;
	bool type1, type1v2, noiommu;
	bool type1_iova_cap; /* report the IOVA-range capability */
	struct vfiodev_iova_range type1_ranges[FAKE_MAX_RANGES];
	size_t nr_type1_ranges;
	uint64_t type1_pgsizes;
	/* no /proc: reopening through /proc/.../fd fails with ENOENT;
	 * @no_thread_self: a kernel before 3.17 (no /proc/thread-self) */
	bool no_proc, no_thread_self;
	/* the calling thread unshared its fd table: /proc/self/fd/N is the
	 * leader's fd N, this node (relative to the root) */
	const char *leader_fd_node;
	/* /proc/.../fd/N reopens this node instead (the inode was swapped) */
	const char *reopen_node;
	/* VFIO_IOMMU_GET_INFO asks for this argsz whatever it got (0: honest) */
	uint32_t type1_argsz_ask;
	unsigned int dma_entry_limit; /* 0: unlimited */
	/* iommufd has IOMMU_IOAS_MAP_FILE (Linux 6.13+); false: ENOTTY */
	bool map_file;
	/* iommufd has IOMMU_IOAS_NOIOMMU_GET_PA (Linux 7.x noiommu; false:
	 * ENOTTY); the physical pages of a buffer come in runs of
	 * @pa_run_pages (0: 4) contiguous pages, with a page's hole between */
	bool noiommu_get_pa;
	/* VFIO_DEVICE_FEATURE_DMA_BUF (Linux 6.19+; false: ENOTTY) */
	bool dma_buf;
	/* IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13+; false: ENOTTY) */
	bool change_process;
	/* IOMMU_IOAS_MAP_FILE takes a (single-range vfio-pci) dma-buf, Linux
	 * 6.19+; false: such an fd is no memfd to it (EINVAL) */
	bool map_file_dmabuf;
	unsigned int pa_run_pages;
	/* the cdev bind takes VFIO_DEVICE_BIND_FLAG_TOKEN (Linux 6.17+;
	 * false: EINVAL); @bind_token_e2big: 6.17 without its fix (E2BIG) */
	bool bind_token, bind_token_e2big;
	/* Type1 reports the migration capability (dirty tracking) */
	bool type1_migration;
	/* capability chains packed as before Linux 6.6 (4-byte offsets; Type1
	 * in 6.1's order: migration, the 12-byte DMA-avail, IOVA ranges) */
	bool caps_packed;
	/* the IOMMU has hardware dirty bits (IOMMU_HW_CAP_DIRTY_TRACKING) */
	bool hw_dirty;
};

extern struct fake_config fake_cfg;

/* kernel objects alive now; all zero once everything is closed */
struct fake_live {
	int files; /* open files of registered nodes, group device fds */
	int iommufds; /* iommufd contexts */
	int containers; /* container objects */
	int bindings; /* cdev files bound to an iommufd */
	int ioas; /* IOAS objects */
	int attached; /* cdev files attached to an IOAS */
	int mappings; /* IOAS and Type1 mappings */
	int groups_in_container;
	int iommus_set; /* containers with an IOMMU driver set */
	int irq_triggers; /* vectors with an eventfd */
	int mmaps; /* mmaps made through the seam, not yet unmapped */
	int dma_bufs; /* exported dma-bufs whose fd is still open */
	uint64_t pinned; /* bytes pinned: a copy's shared pages count once */
	int hwpts; /* HWPT objects */
};

/* a device wrote [@iova, +@len) of IOAS @ioas_id: the dirty bits of the
 * tracking HWPTs on it (iommufd) are set */
void fake_dirty_write(uint32_t ioas_id, uint64_t iova, uint64_t len);

/* a dma-buf of @size bytes another driver exported (no vfio-pci buffer:
 * Linux 6.19's iommufd refuses it, EOPNOTSUPP); the caller closes it */
int fake_dmabuf_foreign(uint64_t size);
/* IOAS mappings made from a dma-buf: all (*@all) and those a revoke (a
 * reset of the exporting device) left without the BAR behind them */
int fake_ioas_dmabuf_maps(int *all);

/* what the kernel undid by itself because an fd was closed: the library
 * must not rely on these for objects it promises to tear down */
struct fake_implicit {
	int detaches;
	int unbinds;
	int irq_teardowns;
	int group_unsets;
	int ioas_destroys;
};

/* world */
int fake_init(void);
void fake_fini(void);
const char *fake_root(void);
const char *fake_sysfs_root(void);
const char *fake_dev_root(void);
/* "<root>/<rel>", in one of a few rotating static buffers */
const char *fake_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fake_fd_count(void);

/* tree builders; paths are relative to the world's root */
void fake_mkdir(const char *rel);
void fake_write(const char *rel, const char *content);
void fake_symlink(const char *target, const char *rel);
void fake_unlink(const char *rel);

/* a PCI device in sysfs: bus/pci/devices/<bdf>, bound to @driver (NULL:
 * no driver), in IOMMU group @group (-1: none), with the default VFIO
 * model (PCI + reset, 9 regions, 5 IRQ indexes) */
struct fake_pci *fake_pci_add(const char *bdf, int group, const char *driver);
struct fake_pci *fake_pci_find(const char *bdf);
/* vfio-dev/vfio<index>/dev in sysfs naming FAKE_CDEV_MAJOR:index */
void fake_pci_cdev_sysfs(struct fake_pci *p, int index);
/* Linux 7.x's noiommu cdev: vfio-dev/noiommu-vfio@index with its number and
 * the node dev/vfio/devices/noiommu-vfio@index */
void fake_pci_noiommu_cdev(struct fake_pci *p, int index);
/* the physical address the fake gives the page of virtual address @va */
uint64_t fake_pa_of(uint64_t va);
/* the sysfs entry plus the node dev/vfio/devices/vfio<index> */
void fake_pci_cdev(struct fake_pci *p, int index);

/* class devices below a PCI device, as sysfs lays them out. @rel is the
 * device's directory ("sys/bus/pci/devices/<bdf>/virtio0/net/eth0"): its
 * subsystem link and sys/class/<class>/<name> are made. An interface
 * has flags (IFF_UP when @up); a block device dev = @devnum ("259:0"),
 * and a partition (@rel below its disk) its "partition" attribute */
void fake_netdev(const char *rel, bool up);
void fake_blockdev(const char *rel, const char *devnum, bool partition);

/* procfs beside sys/ (the library reads it there): @ifname has the IPv4
 * address @addr/@plen, its subnet route and, when @gw is not NULL, the
 * default route through @gw (proc/net/route and proc/net/fib_trie, with
 * loopback's 127.0.0.1 too); a mount of @devnum ("259:1") from @source on
 * @mountpoint (a line of proc/self/mountinfo, after / and /proc) */
void fake_proc_ipv4(const char *ifname, const char *addr, unsigned int plen,
		    const char *gw);
void fake_proc_mount(const char *devnum, const char *source, const char *mountpoint);

/* device nodes: plain files registered with what they are */
void fake_node_cdev(struct fake_pci *p, const char *rel, dev_t rdev);
struct fake_group *fake_group_get(int id);
/* dev/vfio/<id> (or noiommu-<id>) and class/vfio/<name>/dev */
struct fake_group *fake_group_node(int id);
/* a noiommu group: kernel/iommu_groups/<id>/name and dev/vfio/noiommu-<id> */
struct fake_group *fake_group_noiommu(int id);
void fake_node_group(int id, const char *rel, dev_t rdev);
void fake_node_container(void);
void fake_node_iommu(void);

/* bound to vfio-pci with a cdev (index >= 0) and a group node; creates
 * the container and /dev/iommu nodes if missing */
struct fake_pci *fake_std_device(const char *bdf, int group, int cdev_index);

/* mediated devices (fake_mdev.c), laid out as the kernel's mdev core does:
 * a parent <sys>/devices/virtual/<driver>/<parent> linked from
 * class/mdev_bus/<parent>; a type mdev_supported_types/<id> with its
 * attributes (@description NULL: none, as 6.12's mtty) and create; a
 * device <parent dir>/<uuid> linked from bus/mdev/devices, with its
 * subsystem, driver, mdev_type, remove, its own emulated IOMMU group
 * (@group; "vfio-noiommu" by name, node dev/vfio/<group>) and a vfio cdev
 * (@cdev_index >= 0, with its node). Writes to create and remove act: a
 * create makes a device (groups from 200, cdevs from 100, the type's
 * available_instances less one; 0 left: EUSERS; a UUID taken: EEXIST);
 * a remove of an open device fails EDEADLK (the kernel would block) and
 * counts in fake_mdev_removes_while_open */
void fake_mdev_parent(const char *parent, const char *driver);
void fake_mdev_type(const char *parent, const char *id, const char *name,
		    const char *description, const char *device_api, int available);
struct fake_pci *fake_mdev_device(const char *parent, const char *type,
				  const char *uuid, int group, int cdev_index);
extern unsigned int fake_mdev_removes_while_open;
extern unsigned int fake_mdev_writes; /* create and remove writes */
/* the seam's write, for mdev attributes: -ENOTTY when @fd is none */
ssize_t fake_mdev_write(int fd, const void *buf, size_t len);

/* accounting */
void fake_live(struct fake_live *out);
void fake_implicit(struct fake_implicit *out);
/* true when no kernel object is alive; else describes them in @why */
bool fake_all_released(char *why, size_t len);
unsigned int fake_ioctl_count(unsigned long req);
/* opens of registered nodes whose path ends with @suffix */
unsigned int fake_open_count(const char *suffix);

/* fault injection */
unsigned long fake_calls(void); /* seam calls so far (all kinds) */
/* fail the @n-th injectable seam call from now (1 = the next) with
 * -@err; 0 disarms. munmap is never failed: with valid arguments it
 * cannot fail on Linux, and the sweep must not invent leaks */
void fake_fail_nth(unsigned long n, int err);
bool fake_fault_fired(void);
const char *fake_fault_desc(void);
/* fail every ioctl @req after @skip successful ones; err 0 clears */
void fake_fail_ioctl(unsigned long req, int err, unsigned int skip);
/* fail every open of a path ending with @suffix; NULL clears */
void fake_fail_open(const char *suffix, int err);
/* call @fn(@arg) once, when a path ending in @suffix is next opened (before
 * the open); NULL @fn clears it */
void fake_on_open(const char *suffix, void (*fn)(void *), void *arg);
/* likewise, once, before the next ioctl @req */
void fake_on_ioctl(unsigned long req, void (*fn)(void *), void *arg);

/* log capture */
void fake_log_fn(void *data, int priority, const char *file, int line,
		 const char *fn, const char *format, va_list args);
/* a captured line at @priority (-1: any) containing @substr */
bool fake_log_has(int priority, const char *substr);
void fake_log_clear(void);
/* the captured lines at @priority (-1: any) */
unsigned int fake_log_count(int priority);
void fake_log_dump(void);

/* the seam itself, for tests that open nodes the way a caller would */
extern const struct vfd_sys fake_sys;

/* a context on the fake roots, logging everything into the capture;
 * created on first use, released by the teardown */
struct vfiodev_ctx *fake_ctx(void);

/* another context on the fake roots, logging into the capture (a second
 * process, say); the caller unrefs it */
struct vfiodev_ctx *fake_ctx_new(void);

/* cmocka fixtures: a fresh world per test; the teardown fails the test
 * when an fd or a kernel object is left behind */
int fake_setup(void **state);
int fake_teardown(void **state);

/* an fd of a registered node, opened through the fake (a caller's fd) */
int fake_open_node(const char *rel);

#endif /* FAKE_H */
