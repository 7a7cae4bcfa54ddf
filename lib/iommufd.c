// SPDX-License-Identifier: MIT
/*
 * The iommufd backend: a space is an IOAS in the context's /dev/iommu; a
 * device joins by VFIO_DEVICE_BIND_IOMMUFD on its cdev fd and
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* the IOAS's allowed ranges and alignment into @lim: a device's reserved
 * regions shrink them and its IOMMU may raise the alignment at attach, and
 * the kernel gives both back at detach */
static int ioas_read_limits(struct vfiodev_space *space, struct vfd_limits *lim)
{
	struct iommu_ioas_iova_ranges cmd;
	struct iommu_iova_range *r = NULL;
	struct vfiodev_iova_range *out;
	uint32_t n = 4;
	int ret;

	for (;;) {
		free(r);
		r = calloc(n, sizeof(*r));
		if (!r)
			return -ENOMEM;
		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		cmd.ioas_id = space->ioas_id;
		cmd.num_iovas = n;
		cmd.allowed_iovas = (uintptr_t)r;
		ret = sys_ioctl(space->iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd);
		if (ret != -EMSGSIZE)
			break;
		if (cmd.num_iovas <= n || cmd.num_iovas > 4096) {
			ret = -EPROTO;
			break;
		}
		n = cmd.num_iovas;
	}
	if (ret) {
		vfd_err(space->ctx, "IOMMU_IOAS_IOVA_RANGES on IOAS %u: %s",
			space->ioas_id, strerror(-ret));
		free(r);
		return ret;
	}
	out = calloc(cmd.num_iovas ? cmd.num_iovas : 1, sizeof(*out));
	if (!out) {
		free(r);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cmd.num_iovas && i < n; i++) {
		out[i].start = r[i].start;
		out[i].last = r[i].last;
	}
	if (!(cmd.out_iova_alignment & (cmd.out_iova_alignment - 1)))
		lim->iova_align = cmd.out_iova_alignment;
	lim->ranges = out;
	lim->nr_ranges = cmd.num_iovas < n ? cmd.num_iovas : n;
	free(r);
	return 0;
}

static int iommufd_read_limits(struct vfiodev_space *space, struct vfd_limits *lim)
{
	return space->ioas_id ? ioas_read_limits(space, lim) : 0;
}

static void ioas_destroy(struct vfiodev_space *space)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = space->ioas_id };
	int ret;

	ret = sys_ioctl(space->iommufd, IOMMU_DESTROY, &cmd);
	if (ret)
		vfd_err(space->ctx, "IOMMU_DESTROY of IOAS %u: %s",
			space->ioas_id, strerror(-ret));
	space->ioas_id = 0;
}

static int ioas_new(struct vfiodev_space *space, const char *who)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfiodev_ctx *ctx = space->ctx;
	int iommufd, ret;

	iommufd = vfd_ctx_iommufd(ctx);
	if (iommufd < 0)
		return iommufd;
	ret = sys_ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc);
	if (ret) {
		vfd_err(ctx, "%s: IOMMU_IOAS_ALLOC: %s", who, strerror(-ret));
		return ret;
	}
	space->iommufd = iommufd;
	space->ioas_id = alloc.out_ioas_id;
	return 0;
}

int vfd_iommufd_open(struct vfiodev_ctx *ctx)
{
	return vfd_ctx_iommufd(ctx);
}

bool vfd_iommufd_node_missing(const struct vfiodev_ctx *ctx)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/iommu", ctx->dev_root);
	return stat(path, &st) && errno == ENOENT;
}

/* before any space lock: load iommufd when /dev/iommu is missing */
static void iommufd_prepare(struct vfiodev_ctx *ctx)
{
	if (vfd_iommufd_node_missing(ctx))
		vfd_kmod_load_for_open(ctx, "iommufd");
}

int vfd_iommufd_space_create(struct vfiodev_space *space)
{
	struct vfiodev_ctx *ctx = space->ctx;
	int ret;

	iommufd_prepare(ctx); /* no lock held: the space is new */
	ret = vfd_iommufd_open(ctx);
	if (ret < 0) {
		vfd_err(ctx, "space: %s/iommu: %s%s", ctx->dev_root, strerror(-ret),
			ret == -ENOENT ? " (kernel without CONFIG_IOMMUFD)" : "");
		return ret;
	}
	ret = ioas_new(space, "space");
	if (ret)
		return ret;
	space->ops = &vfd_iommufd_backend_ops;
	space->synced = true; /* empty, like the record */
	return 0;
}

/* the id is a device object of this iommufd (IOMMU_GET_HW_INFO answers
 * for it); the ATTACH that follows proves the fd is bound here (a re-attach
 * to the IOAS it sits on changes nothing) */
static int adopted_devid_check(struct vfiodev_space *space,
			       struct vfiodev_device *dev, int iommufd)
{
	struct iommu_hw_info hw = { .size = sizeof(hw), .dev_id = dev->adopt_devid };
	int ret;

	if (!space->ioas_id) {
		vfd_err(space->ctx,
			"%s: adopting a bound device needs the space's IOAS (vfiodev_space_adopt())",
			dev->name);
		return -EINVAL;
	}
	ret = sys_ioctl(iommufd, IOMMU_GET_HW_INFO, &hw);
	if (ret)
		vfd_err(space->ctx,
			"%s: device id %u is not a device of this context's iommufd: %s",
			dev->name, dev->adopt_devid, strerror(-ret));
	return ret;
}

/* a noiommu device's IOAS pins, and its devices DMA to bus addresses:
 * not a space to share with IOMMU-translated devices or with mappings made
 * at IOVAs */
static int check_kind(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	if (space->noiommu == dev->noiommu_cdev ||
	    (space->nr_devices <= 1 && !space->nr_maps))
		return 0;
	vfd_err(space->ctx,
		"%s: cannot join a space %s: open it into a space of its own",
		dev->name,
		space->nr_devices > 1 ?
			(dev->noiommu_cdev ? "of IOMMU-translated devices" :
					     "of noiommu devices") :
			(dev->noiommu_cdev ?
				 "that has mappings at IOVAs (a noiommu device DMAs to bus addresses)" :
				 "whose mappings are at bus addresses (a noiommu space)"));
	return -EXDEV;
}

/* VFIO_DEVICE_BIND_IOMMUFD (with the VF token where one was given), or the
 * check of a bound device's id (live update); sets dev->devid */
static int bind_device(struct vfiodev_space *space, struct vfiodev_device *dev,
		       int iommufd)
{
	/* without a token, the struct as it was before 6.17 (whose bind,
	 * without its fix, refuses the longer one with E2BIG) */
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid),
		.iommufd = iommufd,
	};
	int ret;

	if (dev->adopt_devid) {
		/* live update: bound by the process that handed it over */
		ret = adopted_devid_check(space, dev, iommufd);
		if (!ret)
			dev->devid = dev->adopt_devid;
		return ret;
	}
	if (dev->has_vf_token) {
		struct vfio_device_bind_iommufd tb = {
			.argsz = sizeof(tb),
			.flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
			.iommufd = iommufd,
			.token_uuid_ptr = (uintptr_t)dev->vf_token,
		};

		ret = sys_ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &tb);
		/* before 6.17 the flag is unknown (EINVAL); 6.17 without its
		 * fix refuses the longer struct (E2BIG) */
		dev->token_refused = ret == -EINVAL || ret == -E2BIG;
		bind.out_devid = tb.out_devid;
	} else {
		ret = sys_ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	}
	if (ret) {
		vfd_info(space->ctx, "%s: VFIO_DEVICE_BIND_IOMMUFD%s: %s%s",
			 dev->name, dev->has_vf_token ? " with a VF token" : "",
			 strerror(-ret), vfd_vf_token_hint(dev, ret));
		return ret;
	}
	dev->devid = bind.out_devid;
	return 0;
}

static int iommufd_attach(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	bool new_ioas = false;
	int iommufd, ret;

	iommufd = vfd_ctx_iommufd(space->ctx);
	if (iommufd < 0)
		return iommufd;
	ret = check_kind(space, dev);
	if (!ret)
		ret = bind_device(space, dev, iommufd);
	if (ret)
		return ret;
	if (!space->ioas_id) {
		ret = ioas_new(space, dev->name);
		if (ret)
			return ret;
		new_ioas = true;
	}
	/* while the space tracks dirty pages its devices sit on the
	 * tracking HWPT (a paging domain of the same IOAS) */
	at.pt_id = space->dirty_on ? space->dirty_hwpt : space->ioas_id;
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (ret) {
		vfd_err(space->ctx,
			"%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT to %s %u: %s%s",
			dev->name, space->dirty_on ? "HWPT" : "IOAS", at.pt_id,
			strerror(-ret),
			dev->adopt_devid && ret == -EINVAL ?
				" (is the adopted fd bound to this context's iommufd?)" :
				"");
		if (new_ioas)
			ioas_destroy(space);
		return ret;
	}
	space->noiommu = dev->noiommu_cdev;
	return 0;
}

/* the IOAS stays: it is the space's, not the device's */
static bool iommufd_detach(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	int ret;

	ret = sys_ioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
	if (ret)
		vfd_err(space->ctx, "%s: VFIO_DEVICE_DETACH_IOMMUFD_PT: %s",
			dev->name, strerror(-ret));
	/* closing the device fd undoes the binding */
	return false;
}

static uint32_t ioas_map_flags(unsigned int flags)
{
	uint32_t f = IOMMU_IOAS_MAP_FIXED_IOVA;

	if (flags & VFIODEV_DMA_READ)
		f |= IOMMU_IOAS_MAP_READABLE;
	if (flags & VFIODEV_DMA_WRITE)
		f |= IOMMU_IOAS_MAP_WRITEABLE;
	return f;
}

static int iommufd_map(struct vfiodev_space *space, const struct vfiodev_mapping *m)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = ioas_map_flags(m->flags),
		.ioas_id = space->ioas_id,
		.user_va = m->vaddr,
		.length = m->len,
		.iova = m->iova,
	};
	int ret;

	ret = sys_ioctl(space->iommufd, IOMMU_IOAS_MAP, &cmd);
	if (ret)
		vfd_err(space->ctx,
			"IOMMU_IOAS_MAP of 0x%llx bytes at IOVA 0x%llx: %s%s",
			(unsigned long long)m->len, (unsigned long long)m->iova,
			strerror(-ret),
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low?)" : "");
	return ret;
}

/* a dma-buf has no address to fall back to: MAP_FILE or nothing */
static int map_dmabuf(struct vfiodev_space *space, const struct vfiodev_mapping *m,
		      struct iommu_ioas_map_file *cmd)
{
	int ret = sys_ioctl(space->iommufd, IOMMU_IOAS_MAP_FILE, cmd);

	if (!ret)
		return 1;
	vfd_err(space->ctx,
		"IOMMU_IOAS_MAP_FILE of a dma-buf (0x%llx bytes at offset 0x%llx, IOVA 0x%llx): %s%s",
		(unsigned long long)m->len, (unsigned long long)cmd->start,
		(unsigned long long)m->iova, strerror(-ret),
		ret == -ENOTTY ?
			" (Linux 6.13+ has MAP_FILE, 6.19+ takes a dma-buf)" :
		ret == -EOPNOTSUPP ?
			" (iommufd takes only a single-range dma-buf of vfio-pci, Linux 6.19+)" :
		ret == -ENODEV ?
			" (the buffer is revoked: its device's memory decoding is off, or it was reset or closed)" :
		ret == -EINVAL ? " (before Linux 6.19 MAP_FILE takes no dma-buf)" :
				 "");
	/* the range was checked against the buffer: EINVAL is the kernel
	 * not taking dma-bufs (6.13-6.18), ENOTTY no MAP_FILE at all */
	return ret == -ENOTTY || ret == -EINVAL ? -EOPNOTSUPP : ret;
}

/* Linux 6.13+: pin from the file; ENOTTY (older kernels) is learned once
 * per context and answered by mapping the library's mmap of it */
static int map_file(struct vfiodev_space *space,
		    const struct vfiodev_mapping *m, const struct map_src *src)
{
	struct vfiodev_ctx *ctx = space->ctx;
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = ioas_map_flags(m->flags),
		.ioas_id = space->ioas_id,
		.fd = src->fd,
		.start = src->offset,
		.length = m->len,
		.iova = m->iova,
	};
	int ret;

	if (src->dmabuf)
		return map_dmabuf(space, m, &cmd);
	if (__atomic_load_n(&ctx->no_map_file, __ATOMIC_RELAXED))
		return iommufd_map(space, m);
	ret = sys_ioctl(space->iommufd, IOMMU_IOAS_MAP_FILE, &cmd);
	if (ret == -ENOTTY) {
		if (!__atomic_exchange_n(&ctx->no_map_file, true, __ATOMIC_RELAXED))
			vfd_info(ctx,
				 "IOMMU_IOAS_MAP_FILE: not in this kernel (Linux 6.13+): files are mapped through their address");
		return iommufd_map(space, m);
	}
	if (!ret)
		return 1; /* the pages are the file's */
	vfd_err(ctx, "IOMMU_IOAS_MAP_FILE of 0x%llx bytes at offset 0x%llx, IOVA 0x%llx: %s%s",
		(unsigned long long)m->len, (unsigned long long)src->offset,
		(unsigned long long)m->iova, strerror(-ret),
		ret == -EINVAL ? " (not a memfd, shmem or hugetlbfs file?)" :
		ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low?)" :
				 "");
	return ret;
}

/* share the pages another IOAS of this /dev/iommu pinned */
static int ioas_copy(struct vfiodev_space *space,
		     const struct vfiodev_mapping *m, const struct map_src *src)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = ioas_map_flags(m->flags),
		.dst_ioas_id = space->ioas_id,
		.src_ioas_id = src->ioas_id,
		.length = m->len,
		.dst_iova = m->iova,
		.src_iova = src->iova,
	};
	int ret;

	ret = sys_ioctl(space->iommufd, IOMMU_IOAS_COPY, &cmd);
	if (ret)
		vfd_err(space->ctx,
			"IOMMU_IOAS_COPY of 0x%llx bytes from IOAS %u IOVA 0x%llx to IOAS %u IOVA 0x%llx: %s",
			(unsigned long long)m->len, src->ioas_id,
			(unsigned long long)src->iova, space->ioas_id,
			(unsigned long long)m->iova, strerror(-ret));
	return ret;
}

static int iommufd_map_from(struct vfiodev_space *space,
			    const struct vfiodev_mapping *m,
			    const struct map_src *src)
{
	if (src->ioas_id && src->iommufd == space->iommufd)
		return ioas_copy(space, m, src);
	/* without a device the IOAS pins nothing: a file would be checked
	 * only at the next attach, so an empty IOAS maps the address */
	if (src->fd >= 0 && (space->devices || src->dmabuf))
		return map_file(space, m, src);
	return iommufd_map(space, m);
}

static int iommufd_unmap(struct vfiodev_space *space,
			 const struct vfiodev_mapping *m)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = space->ioas_id,
		.iova = m->iova,
		.length = m->len,
	};
	int ret;

	ret = sys_ioctl(space->iommufd, IOMMU_IOAS_UNMAP, &cmd);
	if (ret)
		vfd_err(space->ctx, "IOMMU_IOAS_UNMAP at IOVA 0x%llx: %s",
			(unsigned long long)m->iova, strerror(-ret));
	return ret;
}

/* Linux 7.x, a noiommu IOAS: the physical address behind a mapped IOVA
 * and how far it runs contiguously, which is what the device DMAs to */
static int iommufd_bus_addr(struct vfiodev_space *space, uint64_t iova,
			    uint64_t len, uint64_t *bus, uint64_t *contig)
{
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd),
		.ioas_id = space->ioas_id,
		.iova = iova,
		.length = len,
	};
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	int ret;

	ret = sys_ioctl(space->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);
	if (ret) {
		vfd_err(space->ctx, "IOMMU_IOAS_NOIOMMU_GET_PA at IOVA 0x%llx: %s%s",
			(unsigned long long)iova, strerror(-ret),
			ret == -ENOTTY ?
				" (this kernel cannot tell a noiommu device's bus addresses: Linux 7.x with CONFIG_IOMMUFD_NOIOMMU can)" :
				"");
		return ret == -ENOTTY ? -EOPNOTSUPP : ret;
	}
	/* contiguous runs are whole pages (the range is page-aligned) */
	if (!cmd.length || cmd.length > len ||
	    (cmd.length | cmd.out_phys) & (pg - 1)) {
		vfd_err(space->ctx,
			"IOMMU_IOAS_NOIOMMU_GET_PA at IOVA 0x%llx: an implausible answer (0x%llx bytes at 0x%llx for 0x%llx asked)",
			(unsigned long long)iova, (unsigned long long)cmd.length,
			(unsigned long long)cmd.out_phys, (unsigned long long)len);
		return -EPROTO;
	}
	*bus = cmd.out_phys;
	*contig = cmd.length;
	return 0;
}

static void iommufd_destroy(struct vfiodev_space *space)
{
	if (space->dirty_hwpt)
		vfd_dirty_hwpt_destroy(space);
	if (space->ioas_id)
		ioas_destroy(space);
}

const struct backend_ops vfd_iommufd_backend_ops = {
	.backend = VFIODEV_BACKEND_IOMMUFD,
	.dirty = &vfd_iommufd_dirty_ops,
	.attach = iommufd_attach,
	.detach = iommufd_detach,
	.read_limits = iommufd_read_limits,
	.bus_addr = iommufd_bus_addr,
	.map = iommufd_map,
	.map_from = iommufd_map_from,
	.unmap = iommufd_unmap,
	.destroy = iommufd_destroy,
};

/* the context's /dev/iommu fd, opened (and checked) once: the kernel wants
 * one iommufd for every device of an IOAS */
int vfd_ctx_iommufd(struct vfiodev_ctx *ctx)
{
	char path[256];
	int fd;

	pthread_mutex_lock(&ctx->lock);
	fd = ctx->iommufd;
	if (fd < 0) {
		enum node_step step;

		snprintf(path, sizeof(path), "%s/iommu", ctx->dev_root);
		/* the misc device names its number: no planted node */
		fd = vfd_node_open(ctx, path, 0, "class/misc/iommu/dev", &step);
		if (fd >= 0)
			ctx->iommufd = fd;
		else if (step != NODE_VERIFY)
			vfd_info(ctx, "%s: %s", path, strerror(-fd));
	}
	pthread_mutex_unlock(&ctx->lock);
	return fd;
}

VFIODEV_EXPORT int vfiodev_ctx_adopt_iommufd(struct vfiodev_ctx *ctx, int fd)
{
	struct iommu_option probe = {
		.size = sizeof(probe),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	char path[40], attr[32];
	struct stat st;
	dev_t want;
	int dup, ret;

	if (!ctx)
		return -EINVAL;
	if (fd < 0) {
		vfd_err(ctx, "adopt iommufd: fd %d is not a file descriptor", fd);
		return -EBADF;
	}
	snprintf(path, sizeof(path), "adopted fd %d", fd);
	/* the caller's fd is checked as it is, strictly: sysfs must name
	 * the misc device's number (any character device would do else) */
	if (vfd_sysfs_read(ctx, attr, sizeof(attr), "class/misc/iommu/dev") <= 0 ||
	    vfd_parse_devnum(attr, &want)) {
		vfd_err(ctx, "%s: sysfs does not name /dev/iommu's number (class/misc/iommu/dev): cannot check it",
			path);
		return -ENXIO;
	}
	ret = vfd_devnode_check(ctx, fd, path, want, &st);
	if (ret)
		return ret;
	/* fstat works on an O_PATH fd too, ioctls do not: a harmless query
	 * (Linux 6.2+, as old as the cdev bind) proves the fd usable */
	ret = sys_ioctl(fd, IOMMU_OPTION, &probe);
	if (ret) {
		vfd_err(ctx, "%s: /dev/iommu, but not usable as an iommufd (IOMMU_OPTION: %s%s)",
			path, strerror(-ret),
			ret == -EBADF ? ": an O_PATH fd? open /dev/iommu read-write" :
					"");
		return ret;
	}
	dup = sys_dupfd(fd);
	if (dup < 0) {
		vfd_err(ctx, "%s: dup: %s", path, strerror(-dup));
		return dup;
	}
	pthread_mutex_lock(&ctx->lock);
	if (ctx->iommufd >= 0) {
		pthread_mutex_unlock(&ctx->lock);
		sys_close(dup);
		vfd_err(ctx, "%s: the context already has an iommufd (adopt it before the first iommufd use)",
			path);
		return -EBUSY;
	}
	ctx->iommufd = dup;
	pthread_mutex_unlock(&ctx->lock);
	vfd_info(ctx, "%s: adopted as the context's iommufd", path);
	return 0;
}
