/* SPDX-License-Identifier: MIT */
/*
 * The fake kernel's own objects, shared by fake.c (files, the seam, fault
 * injection), fake_vfio.c (device, group and container ioctls) and
 * fake_iommufd.c (/dev/iommu). Tests only see fake.h.
 */
#ifndef FAKE_PRIV_H
#define FAKE_PRIV_H

#include "fake.h"

enum fake_kind {
	FK_CDEV, /* an open vfio cdev */
	FK_DEVICE, /* a device fd from VFIO_GROUP_GET_DEVICE_FD */
	FK_GROUP, /* an open group node */
	FK_CONTAINER, /* an open /dev/vfio/vfio */
	FK_IOMMUFD, /* an open /dev/iommu */
	FK_MIG, /* a migration data fd (fake_mig.c) */
};

struct fake_map {
	uint64_t iova, len, va; /* va 0: pinned from a file */
	bool shared; /* IOMMU_IOAS_COPY: the source's pinned pages */
	/* MAP_FILE of a dma-buf: it, and its generation then */
	const struct fake_dmabuf *dmabuf;
	unsigned int dmabuf_gen;
};

struct fake_maps {
	struct fake_map *v;
	size_t n, cap;
};

struct fake_ioas {
	uint32_t id;
	struct fake_maps maps;
	struct fake_ioas *next;
};

/* a paging HWPT of an IOAS, allocated with dirty tracking */
struct fake_hwpt {
	uint32_t id;
	struct fake_ioas *ioas;
	bool tracking;
	struct fake_maps dirty; /* written ranges since the last read */
	struct fake_hwpt *next;
};

/* an iommufd context: lives while a file or a bound device holds it */
struct fake_ictx {
	int files;
	int nbound;
	uint32_t next_id;
	struct fake_ioas *ioas;
	unsigned int changed_process; /* IOMMU_IOAS_CHANGE_PROCESS done */
	struct fake_hwpt *hwpts;
	struct fake_ictx *next;
};

/* a container: lives while its file or a group in it holds it */
struct fake_container {
	int files;
	int ngroups;
	int iommu; /* VFIO_*_IOMMU, 0: none set */
	bool dirty; /* VFIO_IOMMU_DIRTY_PAGES started */
	struct fake_maps maps;
	struct fake_container *next;
};

/* an open file description; dup()ed fds share one */
struct fake_file {
	enum fake_kind kind;
	int refs;
	dev_t rdev;
	struct fake_pci *pci; /* CDEV, DEVICE */
	bool bound; /* CDEV: access granted by BIND */
	uint32_t devid;
	struct fake_ictx *ictx; /* CDEV when bound, IOMMUFD */
	struct fake_ioas *attached; /* CDEV */
	struct fake_hwpt *hwpt; /* CDEV: attached through this HWPT */
	struct fake_group *group; /* GROUP, DEVICE */
	/* DEVICE: the group file it holds open, as the kernel's device
	 * files do, so the group is released only after its devices */
	struct fake_file *gfile;
	struct fake_container *ct; /* CONTAINER */
	struct fake_migf *migf; /* MIG */
	struct fake_file *next;
};

struct fake_state {
	char root[256];
	char sysfs[300];
	char dev[300];
	struct fake_pci *pcis;
	struct fake_group *groups;
	struct fake_ictx *ictxs;
	struct fake_container *cts;
	struct fake_file *files;
	struct fake_implicit implicit;
};

extern struct fake_state fk;

/* a registered device node */
struct fake_node {
	char path[4096]; /* resolved, so links to a node find it */
	enum fake_kind kind;
	dev_t rdev;
	struct fake_pci *pci;
	int group;
	unsigned int opens;
	struct fake_node *next;
};

extern struct fake_node *fake_nodes;
struct fake_node *fake_node_lookup(const char *path);

/* a dma-buf the fake exported (fake_vfio.c): a memfd known by inode */
struct fake_dmabuf {
	ino_t ino;
	dev_t dev;
	int fd; /* as exported, to tell whether it is still open */
	const struct fake_pci *pci; /* NULL: another exporter's */
	uint64_t size;
	uint32_t nr_ranges;
	bool foreign;
	bool revoked; /* now: MAP_FILE of it is -ENODEV */
	unsigned int generation; /* bumped by each revoke */
};

/* the dma-buf behind @fd, or NULL */
struct fake_dmabuf *fake_dmabuf_of(int fd);
/* a mapping made at @generation still reaches the BAR */
bool fake_dmabuf_live(const struct fake_dmabuf *d, unsigned int generation);
void fake_dmabufs_reset(void);
/* the device's memory decoding is now @on (config COMMAND.MEM): off
 * revokes its dma-bufs, and one exported while off is born revoked */
void fake_dmabufs_decode(struct fake_pci *p, bool on);
/* exported dma-bufs whose fd is still open (fake_live) */
int fake_dmabufs_open(void);

/* forget every file, mmap and armed fault (fake.c) */
void fake_seam_reset(void);

/* fd -> open file description, NULL when the fd is not a fake node */
struct fake_file *fake_file_of(int fd);
/* register a real fd as a new file of @kind */
struct fake_file *fake_file_new(int fd, enum fake_kind kind);
/* drop a reference on a file; the last one runs the kernel's release */
void fake_file_put(struct fake_file *f);

int fake_vfio_ioctl(struct fake_file *f, unsigned long req, void *arg);
struct vfio_device_feature;
/* fake_mig.c: the migration features of a device with mig_flags (-ENOTTY
 * for the rest, so the caller goes on), the data fds' ioctl, read, write
 * and release, and the device's reset and last close */
int fake_mig_feature(struct fake_pci *p, struct vfio_device_feature *f);
int fake_mig_fd_ioctl(struct fake_file *f, unsigned long req, void *arg);
ssize_t fake_mig_read(struct fake_file *f, void *buf, size_t len);
ssize_t fake_mig_write(struct fake_file *f, const void *buf, size_t len);
void fake_mig_release(struct fake_file *f);
void fake_mig_close(struct fake_pci *p);
/* vfio-pci's VF token rule (@tok NULL: none given): 0, -EACCES, -EINVAL */
int fake_vf_token_check(const struct fake_pci *p, const uint8_t *tok);
int fake_group_ioctl(struct fake_file *f, unsigned long req, void *arg);
int fake_container_ioctl(struct fake_file *f, unsigned long req, void *arg);
int fake_iommufd_ioctl(struct fake_file *f, unsigned long req, void *arg);
/* fake_dirty.c: the dirty-tracking ioctls of both backends */
int fake_type1_dirty(struct fake_container *ct, void *arg);
int fake_hw_info(struct fake_ictx *c, void *arg);
int fake_hwpt_alloc(struct fake_ictx *c, void *arg);
int fake_hwpt_set_dirty(struct fake_ictx *c, void *arg);
int fake_hwpt_get_dirty(struct fake_ictx *c, void *arg);
struct fake_hwpt *fake_hwpt_find(struct fake_ictx *c, uint32_t id);
/* IOMMU_DESTROY of a HWPT: -EBUSY while a device is attached to it */
int fake_hwpt_destroy(struct fake_ictx *c, struct fake_hwpt *h);
void fake_hwpts_free(struct fake_ictx *c);
const char *fake_ioctl_name(unsigned long req);

/* kernel-side teardown when the last fd of a file goes */
void fake_device_release(struct fake_file *f);
void fake_group_release(struct fake_file *f);
void fake_container_put(struct fake_container *ct);
void fake_ictx_put(struct fake_ictx *ictx);
void fake_group_unset(struct fake_group *g);
void fake_irq_clear(struct fake_pci *p);

/* capability chains as the kernel builds them: 8-byte aligned, each
 * header's next the offset of the following one from the info's start */
struct fake_capbuf {
	uint8_t b[2048];
	size_t len;
	uint32_t first;
	size_t last; /* offset of the last header in b, or SIZE_MAX */
	size_t base; /* where b lands in the caller's buffer */
};

void *fake_cap_add(struct fake_capbuf *c, uint16_t id, size_t size);

#ifndef offsetofend
#define offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))
#endif

/* mapping tables */
int fake_maps_add(struct fake_maps *m, uint64_t iova, uint64_t len, uint64_t va);
bool fake_maps_overlap(const struct fake_maps *m, uint64_t iova, uint64_t len);
/* remove mappings inside [iova, iova + len); -EINVAL when one would be
 * split; *out receives the bytes removed */
int fake_maps_remove(struct fake_maps *m, uint64_t iova, uint64_t len,
		     uint64_t *out);
void fake_maps_free(struct fake_maps *m);
bool fake_ranges_allow(const struct vfiodev_iova_range *r, size_t n,
		       uint64_t iova, uint64_t len);
/* the user memory behind a mapping must exist, as pinning needs it */
bool fake_va_valid(uint64_t va, uint64_t len);

#endif /* FAKE_PRIV_H */
