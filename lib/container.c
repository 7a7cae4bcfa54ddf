// SPDX-License-Identifier: MIT
/*
 * The legacy backend: a space is a container (/dev/vfio/vfio) with a Type1
 * IOMMU (or the noiommu driver); a device joins through its IOMMU group
 * (/dev/vfio/N, /dev/vfio/noiommu-N), which stays in the container while
 * one of its devices is open. When the last one closes, the group leaves
 * the container and its fd is closed, so that the device can be opened
 * elsewhere at once; when the last group leaves, the container is closed
 * and the space's record is replayed into the next one.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* "0000:00:05.0 is bound to e1000e, 0000:00:05.1 is bound to ..." */
static void group_blockers(struct vfiodev_ctx *ctx, int group_id, char *buf,
			   size_t len)
{
	char path[512], drv[64];
	struct dirent *de;
	size_t used = 0;
	DIR *dir;

	buf[0] = '\0';
	if (vfd_sysfs_path(ctx, path, sizeof(path),
			   "kernel/iommu_groups/%d/devices", group_id))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)) && used < len) {
		if (de->d_name[0] == '.')
			continue;
		if (vfd_sysfs_link_name(ctx, drv, sizeof(drv),
					"kernel/iommu_groups/%d/devices/%s/driver",
					group_id, de->d_name))
			continue; /* no driver: does not block */
		if (vfd_driver_keeps_group_viable(drv)) /* the one rule */
			continue;
		used += (size_t)snprintf(buf + used, len - used,
					 "%s%s is bound to %s",
					 used ? ", " : "", de->d_name, drv);
	}
	closedir(dir);
}

int vfd_group_node_open(struct vfiodev_ctx *ctx, const struct vfiodev_space *space,
			int group_id, bool noiommu, char *path, size_t len)
{
	char name[32], attr[64];
	enum node_step step;
	int fd;

	snprintf(name, sizeof(name), "%s%d", noiommu ? "noiommu-" : "", group_id);
	snprintf(path, len, "%s/vfio/%s", ctx->dev_root, name);
	/* the group's class device names its number (Linux 6.2+) */
	snprintf(attr, sizeof(attr), "class/vfio/%s/dev", name);
	fd = vfd_node_open(ctx, path, 0, attr, &step);
	if (fd < 0 && step != NODE_VERIFY) {
		if (fd == -ENOENT)
			vfd_err(ctx, "%s: no such node: group %d is not bound to vfio (bind its devices to vfio-pci)",
				path, group_id);
		else if (fd == -EBUSY && space &&
			 vfd_ctx_group_held_elsewhere(ctx, group_id, space))
			vfd_err(ctx, "%s: busy: another space of this context holds group %d (a group's devices share one space: open this one into it, or close that space's devices of the group first)",
				path, group_id);
		else if (fd == -EBUSY)
			vfd_err(ctx, "%s: busy: the group is open in another space or process",
				path);
		else
			vfd_err(ctx, "%s: %s", path, strerror(-fd));
	}
	return fd;
}

/* the IOVA range capability @cap at byte @off of the @argsz bytes of a
 * Type1 info reply, into @lim */
static int type1_ranges(struct vfiodev_space *space,
			const struct vfio_iommu_type1_info_cap_iova_range *cap,
			size_t off, size_t argsz, struct vfd_limits *lim)
{
	/* the capability may be misaligned (packed chains before 6.6): no
	 * access through its struct type, memcpy only */
	uint32_t nr_iovas =
		vfd_cap_u32(cap, offsetof(struct vfio_iommu_type1_info_cap_iova_range,
					  nr_iovas));
	struct vfiodev_iova_range *r;

	/* divide, not multiply: no wrap on 32-bit size_t */
	if (!nr_iovas || nr_iovas > (argsz - off - sizeof(*cap)) /
					    sizeof(struct vfio_iova_range)) {
		vfd_err(space->ctx,
			"VFIO_IOMMU_GET_INFO: IOVA range capability overruns the buffer");
		return -EPROTO;
	}
	r = calloc(nr_iovas, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_iovas; i++) {
		size_t at = sizeof(*cap) + i * sizeof(struct vfio_iova_range);

		r[i].start = vfd_cap_u64(cap, at + offsetof(struct vfio_iova_range,
							    start));
		r[i].last = vfd_cap_u64(cap, at + offsetof(struct vfio_iova_range,
							   end));
	}
	lim->ranges = r;
	lim->nr_ranges = nr_iovas;
	return 0;
}

/* dirty tracking's page sizes and bitmap limit (Linux 5.8+), when the
 * @argsz bytes of Type1 info @info have them */
static void type1_dirty_limits(const struct vfio_iommu_type1_info *info,
			       size_t argsz, struct vfd_limits *lim)
{
	const struct vfio_iommu_type1_info_cap_migration *mig;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) ||
	    vfd_vfio_cap_find(info, argsz, info->cap_offset,
			      VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, sizeof(*mig),
			      (const void **)&mig))
		return;
	lim->dirty_pgsizes =
		vfd_cap_u64(mig, offsetof(struct vfio_iommu_type1_info_cap_migration,
					  pgsize_bitmap));
	lim->dirty_max_bitmap =
		vfd_cap_u64(mig, offsetof(struct vfio_iommu_type1_info_cap_migration,
					  max_dirty_bitmap_size));
}

/* VFIO_IOMMU_GET_INFO into @lim: page sizes, IOVA ranges, dirty tracking */
static int type1_read_info(struct vfiodev_space *space, struct vfd_limits *lim)
{
	const struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	/* room for the capabilities at once: one ioctl, not one to learn
	 * the size and one to read (the chain of a real IOMMU is about a
	 * hundred bytes; a longer one is asked for again) */
	struct vfio_iommu_type1_info hdr = { .argsz = 0 };
	size_t argsz = 512;
	int ret;

	ret = vfd_vfio_info_ioctl(space->ctx, space->container_fd,
				  VFIO_IOMMU_GET_INFO, &hdr, sizeof(hdr),
				  &argsz, "VFIO_IOMMU_GET_INFO", (void **)&info);
	if (ret)
		return ret;
	if (info->flags & VFIO_IOMMU_INFO_PGSIZES && info->iova_pgsizes)
		lim->iova_align = info->iova_pgsizes & -info->iova_pgsizes;
	type1_dirty_limits(info, argsz, lim);
	ret = -ENOENT;
	if (info->flags & VFIO_IOMMU_INFO_CAPS)
		ret = vfd_vfio_cap_find(info, argsz, info->cap_offset,
					VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
					sizeof(*cap), (const void **)&cap);
	if (ret == -EPROTO) {
		vfd_err(space->ctx,
			"VFIO_IOMMU_GET_INFO: malformed capability chain");
	} else if (ret == 0) {
		ret = type1_ranges(space, cap,
				   (size_t)((const char *)cap - (const char *)info),
				   argsz, lim);
	} else {
		/* kernels before 5.4 do not report ranges: every IOVA */
		ret = -ENOMEM;
		lim->ranges = calloc(1, sizeof(*lim->ranges));
		if (lim->ranges) {
			lim->ranges[0] =
				(struct vfiodev_iova_range){ 0, UINT64_MAX };
			lim->nr_ranges = 1;
			ret = 0;
		}
	}
	free(info);
	return ret;
}

/* every group's reserved regions shrink the container's IOVA ranges and
 * may raise its page size; a group that leaves gives them back (the
 * kernel recomputes both): read them after each join and leave */
static int container_read_limits(struct vfiodev_space *space, struct vfd_limits *lim)
{
	if (space->container_fd < 0 || space->noiommu || !space->iommu_type)
		return 0;
	return type1_read_info(space, lim);
}

/* Type1v2, else Type1 (vfio_iommu_type1 was loaded, when it had to be,
 * before any lock: vfd_container_prepare()) */
static int pick_iommu_type(struct vfiodev_space *space, bool noiommu)
{
	struct vfiodev_ctx *ctx = space->ctx;
	static const int types[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU };

	if (noiommu)
		return sys_ioctl(space->container_fd, VFIO_CHECK_EXTENSION,
				 (void *)(uintptr_t)VFIO_NOIOMMU_IOMMU) > 0 ?
			       VFIO_NOIOMMU_IOMMU :
			       -ENODEV;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (sys_ioctl(space->container_fd, VFIO_CHECK_EXTENSION,
			      (void *)(uintptr_t)types[i]) > 0)
			return types[i];
	vfd_err(ctx, "the container offers no Type1 IOMMU: module vfio_iommu_type1 is not loaded (%s)",
		ctx->no_module_load ? "module loading is off" :
				      "and could not be loaded");
	return -ENODEV;
}

static int container_open(struct vfiodev_space *space)
{
	struct vfiodev_ctx *ctx = space->ctx;
	const char *attr = "class/misc/vfio/dev";
	enum node_step step;
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/vfio/vfio", ctx->dev_root);
	fd = vfd_node_open(ctx, path, 0, attr, &step);
	if (fd < 0) {
		if (step != NODE_VERIFY)
			vfd_err(ctx, "%s: %s%s", path, strerror(-fd),
				fd == -ENOENT && step == NODE_LOOKUP ?
					" (kernel without CONFIG_VFIO_CONTAINER?)" :
					"");
		return fd;
	}
	ret = sys_ioctl(fd, VFIO_GET_API_VERSION, NULL);
	if (ret != VFIO_API_VERSION) {
		vfd_err(ctx, "%s: VFIO API version %d, expected %d", path, ret,
			VFIO_API_VERSION);
		sys_close(fd);
		return ret < 0 ? ret : -EPROTO;
	}
	space->container_fd = fd;
	return 0;
}

/* close a container that holds no group, and forget what it told us; the
 * space keeps the container backend and its record, replayed into the
 * container the next group joins */
static void container_close(struct vfiodev_space *space)
{
	sys_close(space->container_fd);
	space->container_fd = -1;
	space->iommu_type = 0;
	space->noiommu = false;
	/* its limits go back to none (the core's refresh after the leave),
	 * the record stays (the core's vfd_space_kernel_gone()) */
}

/* open the group, check it, put it in the container; caller links it */
static int group_add(struct vfiodev_space *space, struct vfiodev_device *dev,
		     bool noiommu, struct vfiodev_group **out)
{
	struct vfiodev_ctx *ctx = space->ctx;
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfiodev_group *g;
	bool new_container = space->container_fd < 0;
	char path[256], blockers[512];
	int fd, ret, type;

	fd = vfd_group_node_open(ctx, space, dev->group_id, noiommu, path,
				 sizeof(path));
	if (fd < 0)
		return fd;
	ret = sys_ioctl(fd, VFIO_GROUP_GET_STATUS, &status);
	if (ret) {
		vfd_err(ctx, "%s: VFIO_GROUP_GET_STATUS: %s", path, strerror(-ret));
		goto close_group;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		group_blockers(ctx, dev->group_id, blockers, sizeof(blockers));
		snprintf(dev->group_failure, sizeof(dev->group_failure),
			 "group %d is not viable: %s", dev->group_id,
			 blockers[0] ?
				 blockers :
				 "a device of the group is bound to a host driver");
		vfd_err(ctx, "%s: %s", dev->name, dev->group_failure);
		ret = -EPERM;
		goto close_group;
	}
	if (new_container) {
		ret = container_open(space);
		if (ret)
			goto close_group;
	}
	ret = sys_ioctl(fd, VFIO_GROUP_SET_CONTAINER, &space->container_fd);
	if (ret) {
		vfd_err(ctx, "%s: VFIO_GROUP_SET_CONTAINER: %s", path,
			strerror(-ret));
		goto close_container;
	}
	if (!space->iommu_type) {
		type = pick_iommu_type(space, noiommu);
		if (type < 0) {
			ret = type;
			goto unset;
		}
		ret = sys_ioctl(space->container_fd, VFIO_SET_IOMMU,
				(void *)(uintptr_t)type);
		if (ret) {
			vfd_err(ctx, "VFIO_SET_IOMMU(%d): %s", type, strerror(-ret));
			goto unset;
		}
		space->iommu_type = type;
		space->noiommu = noiommu;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		ret = -ENOMEM;
		goto unset;
	}
	g->id = dev->group_id;
	g->fd = fd;
	g->noiommu = noiommu;
	*out = g;
	return 0;
unset:
	sys_ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
close_container:
	if (new_container)
		container_close(space);
close_group:
	sys_close(fd);
	return ret;
}

static int container_attach(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	struct vfiodev_ctx *ctx = space->ctx;
	struct vfiodev_group *g;
	bool noiommu, new_group = false;
	int fd, ret;

	if (dev->group_id < 0) {
		vfd_err(ctx, "%s: no IOMMU group (IOMMU off, and noiommu mode not enabled?)",
			dev->name);
		return -ENODEV;
	}
	noiommu = vfd_sysfs_dev_group_noiommu(dev);
	if (noiommu && !dev->allow_noiommu) {
		vfd_err(ctx, "%s: group %d is a noiommu group (no DMA isolation); refused unless allow_noiommu is set",
			dev->name, dev->group_id);
		return -EPERM;
	}
	if (space->groups && space->noiommu != noiommu) {
		vfd_err(ctx, "%s: cannot mix noiommu and IOMMU groups in one space",
			dev->name);
		return -EXDEV;
	}
	for (g = space->groups; g; g = g->next)
		if (g->id == dev->group_id)
			break;
	if (!g) {
		ret = group_add(space, dev, noiommu, &g);
		if (ret)
			return ret;
		new_group = true;
	}
	if (dev->has_vf_token) {
		char arg[BDF_BUF + 64];

		/* vfio-pci's match: "<name> vf_token=<uuid>" */
		snprintf(arg, sizeof(arg), "%s vf_token=%s", dev->bdf,
			 dev->vf_token_str);
		fd = sys_ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, arg);
	} else {
		/* the kernel's name of the device: a BDF, an mdev's UUID */
		fd = sys_ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, dev->name);
	}
	if (fd < 0) {
		vfd_err(ctx, "%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", dev->name,
			strerror(-fd),
			fd == -EBUSY ? " (already open)" :
				       vfd_vf_token_hint(dev, fd));
		if (new_group) {
			sys_ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
			sys_close(g->fd);
			free(g);
			if (!space->groups)
				container_close(space);
		}
		return fd;
	}
	if (new_group) {
		g->next = space->groups;
		space->groups = g;
	}
	g->users++;
	dev->fd = fd;
	dev->group = g;
	snprintf(dev->node, sizeof(dev->node), "%s/vfio/%s%d", ctx->dev_root,
		 noiommu ? "noiommu-" : "", g->id);
	return 0;
}

/* true when the container went with the group (it held no other) */
static bool group_release(struct vfiodev_space *space, struct vfiodev_group *g)
{
	struct vfiodev_group **pp;
	int ret;

	for (pp = &space->groups; *pp != g; pp = &(*pp)->next)
		;
	*pp = g->next;
	/* no device fd of the group is open now, so the kernel lets it go */
	ret = sys_ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (ret)
		vfd_warn(space->ctx,
			 "group %d: VFIO_GROUP_UNSET_CONTAINER: %s (closing the group releases it)",
			 g->id, strerror(-ret));
	sys_close(g->fd);
	vfd_dbg(space->ctx, "group %d left the container%s", g->id,
		space->groups ?
			"" :
			"; the container is closed, the space keeps its record");
	free(g);
	if (space->groups)
		return false;
	container_close(space);
	return true;
}

/* the device fd belongs to the group: it goes first, as the kernel keeps a
 * group with open device fds in its container (UNSET_CONTAINER: EBUSY) */
static bool container_detach(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	struct vfiodev_group *g = dev->group;

	if (dev->fd >= 0) {
		sys_close(dev->fd);
		dev->fd = -1;
	}
	dev->group = NULL;
	return g && !--g->users && group_release(space, g);
}

static int type1_map(struct vfiodev_space *space, const struct vfiodev_mapping *m)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.vaddr = m->vaddr,
		.iova = m->iova,
		.size = m->len,
	};
	int ret;

	if (m->flags & VFIODEV_DMA_READ)
		cmd.flags |= VFIO_DMA_MAP_FLAG_READ;
	if (m->flags & VFIODEV_DMA_WRITE)
		cmd.flags |= VFIO_DMA_MAP_FLAG_WRITE;
	ret = sys_ioctl(space->container_fd, VFIO_IOMMU_MAP_DMA, &cmd);
	if (ret)
		vfd_err(space->ctx,
			"VFIO_IOMMU_MAP_DMA of 0x%llx bytes at IOVA 0x%llx: %s%s",
			(unsigned long long)m->len, (unsigned long long)m->iova,
			strerror(-ret),
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low?)" :
			ret == -ENOSPC ? " (vfio_iommu_type1 dma_entry_limit reached?)" :
					 "");
	return ret;
}

static int type1_unmap(struct vfiodev_space *space, const struct vfiodev_mapping *m)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.iova = m->iova,
		.size = m->len,
	};
	int ret;

	ret = sys_ioctl(space->container_fd, VFIO_IOMMU_UNMAP_DMA, &cmd);
	if (ret)
		vfd_err(space->ctx, "VFIO_IOMMU_UNMAP_DMA at IOVA 0x%llx: %s",
			(unsigned long long)m->iova, strerror(-ret));
	else if (cmd.size != m->len)
		vfd_warn(space->ctx,
			 "VFIO_IOMMU_UNMAP_DMA at IOVA 0x%llx unmapped 0x%llx of 0x%llx bytes",
			 (unsigned long long)m->iova, (unsigned long long)cmd.size,
			 (unsigned long long)m->len);
	return ret;
}

static void container_destroy(struct vfiodev_space *space)
{
	struct vfiodev_group *g, *next;

	for (g = space->groups; g; g = next) {
		next = g->next;
		sys_ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		sys_close(g->fd);
		free(g);
	}
	space->groups = NULL;
	if (space->container_fd >= 0)
		container_close(space);
}

const struct backend_ops vfd_container_backend_ops = {
	.backend = VFIODEV_BACKEND_CONTAINER,
	.dirty = &vfd_type1_dirty_ops,
	.attach = container_attach,
	.detach = container_detach,
	.read_limits = container_read_limits,
	.map = type1_map,
	.unmap = type1_unmap,
	.destroy = container_destroy,
};

/* what a group-path open lacks: VFD_NEED_TYPE1 (vfio_iommu_type1
 * absent); 0 when nothing */
unsigned int vfd_container_missing(const struct vfiodev_ctx *ctx)
{
	/* vfio itself is there: the device's driver (a vfio one, checked
	 * first) needs it. Type1, loaded or built in, has its directory in
	 * /sys/module (it has parameters): one stat, not the initstate read
	 * of vfd_module_state(); a module on its way out is refused by the
	 * container's CHECK_EXTENSION, with its own line */
	return vfd_sysfs_exists(ctx, "module/vfio_iommu_type1") ? 0 : VFD_NEED_TYPE1;
}

/* before any lock: load what vfd_container_missing() found lacking (the
 * Type1 backend is not pulled in by vfio-pci's softdep when loaded by a
 * plain modprobe) */
void vfd_container_prepare(struct vfiodev_ctx *ctx, unsigned int need)
{
	if (need & VFD_NEED_TYPE1)
		vfd_kmod_load_for_open(ctx, "vfio_iommu_type1");
}
