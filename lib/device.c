// SPDX-License-Identifier: MIT
/*
 * Opening a device: the state machine of DESIGN.md. The cdev + iommufd
 * path first; in AUTO mode any failure of it (no vfio-dev in sysfs, no
 * node, a refused node, no /dev/iommu, a BIND the kernel does not know)
 * moves to the group + container path, and the reason is kept.
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

static bool path_unavailable(int err)
{
	return err == -ENOENT || err == -ENODEV || err == -ENOTTY ||
	       err == -EOPNOTSUPP;
}

static void device_free(struct vfiodev_device *dev)
{
	vfd_irq_forget_all(dev); /* a handed-over device's record */
	free(dev->maps);
	free(dev->fallback_reason);
	free(dev);
}

/* a device of another bus (an mdev): bound to a driver that registered
 * it with vfio, which gives it a vfio-dev entry */
static int check_bound(struct vfiodev_ctx *ctx, const struct vfd_sysdev *d)
{
	char drv[64], entry[64];
	int ret;

	ret = vfd_sysfs_link_name(ctx, drv, sizeof(drv), "%s/driver", d->dir);
	if (ret) {
		vfd_err(ctx, "%s: not bound to any driver (%s)%s", d->name,
			ret == -ENOENT ? "no driver link" : strerror(-ret),
			d->kind == VFD_BUS_MDEV ?
				": its parent's mdev driver was unloaded, or it is being removed" :
				"");
		return -ENODEV;
	}
	ret = vfd_sysfs_dir_vfio_entry(ctx, d->dir, entry, sizeof(entry));
	if (ret) {
		vfd_err(ctx, "%s: bound to %s, which registered no VFIO device (no vfio-dev in sysfs)",
			d->name, drv);
		return -ENODEV;
	}
	return 0;
}

static int check_driver(struct vfiodev_ctx *ctx, const struct vfd_sysdev *d)
{
	const char *bdf = d->name;
	char drv[64];
	int ret;

	if (d->kind != VFD_BUS_PCI)
		return check_bound(ctx, d);

	ret = vfd_sysfs_link_name(ctx, drv, sizeof(drv),
				  "bus/pci/devices/%s/driver", bdf);
	/* no link: is there a device at all? (asked only then: the link
	 * read answers both when it is there) */
	if (ret && vfd_sysfs_device_exists(ctx, bdf)) {
		vfd_err(ctx, "%s: no such PCI device in %s/bus/pci/devices",
			bdf, ctx->sysfs_root);
		return -ENODEV;
	}
	if (ret == -ENOENT) {
		vfd_err(ctx, "%s: not bound to any driver; bind it to vfio-pci first",
			bdf);
		return -ENODEV;
	}
	if (ret) {
		/* what vfiodev_diagnose() counts as "not bound": refuse too */
		vfd_err(ctx, "%s: its driver link cannot be read (%s); bind it to vfio-pci first",
			bdf, strerror(-ret));
		return -ENODEV;
	}
	if (!strstr(drv, "vfio")) {
		vfd_err(ctx, "%s: bound to %s, not to a vfio driver; bind it to vfio-pci first",
			bdf, drv);
		return -ENODEV;
	}
	return 0;
}

static bool ctx_has_iommufd(struct vfiodev_ctx *ctx)
{
	bool has;

	pthread_mutex_lock(&ctx->lock);
	has = ctx->iommufd >= 0;
	pthread_mutex_unlock(&ctx->lock);
	return has;
}

/*
 * The modules the open will need, loaded now, before it takes the space's
 * lock (a load can take a while; other threads map and unmap meanwhile).
 * A device with a vfio cdev takes the cdev path unless the container is
 * asked for, and only that path is prepared for: the context's /dev/iommu
 * is opened now (a missing node is a reason to load iommufd); nothing of
 * the group path is checked unless the cdev path fails and the open falls
 * back (fallback_prepare()). A device without one takes the group path:
 * the container's module.
 */
static void prepare_modules(struct vfiodev_device *dev, enum vfiodev_backend asked)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	const struct vfiodev_space *space = dev->space;
	enum vfiodev_backend m = asked;
	unsigned int need;

	if (m == VFIODEV_BACKEND_AUTO)
		m = space->want; /* set at creation, never changed */
	if (m == VFIODEV_BACKEND_AUTO)
		m = vfiodev_space_backend(space);
	if (m != VFIODEV_BACKEND_CONTAINER && !vfd_device_cdev_of(dev)) {
		dev->cdev_prepared = true;
		dev->iommufd_ret = 0;
		if (ctx_has_iommufd(ctx))
			return;
		/* the open the cdev path needs, done now: a missing node is
		 * a module to load, then the node is opened once more */
		dev->iommufd_ret = vfd_iommufd_open(ctx);
		if (dev->iommufd_ret == -ENOENT &&
		    !vfd_kmod_load_for_open(ctx, "iommufd"))
			dev->iommufd_ret = vfd_iommufd_open(ctx);
		return;
	}
	if (m == VFIODEV_BACKEND_IOMMUFD)
		return;
	need = vfd_container_missing(ctx);
	if (need)
		vfd_container_prepare(ctx, need);
}

/* the backend a device open must use, or AUTO to try both */
static int pick_mode(struct vfiodev_ctx *ctx, struct vfiodev_space *space,
		     enum vfiodev_backend asked, const char *name)
{
	enum vfiodev_backend mode = asked;

	if (mode == VFIODEV_BACKEND_AUTO)
		mode = space->want;
	if (space->pinned && mode != space->want) {
		vfd_err(ctx, "%s: asked for the %s backend, but the space is pinned to %s",
			name, vfiodev_backend_name(mode),
			vfiodev_backend_name(space->want));
		return -EXDEV;
	}
	if (space->ops) {
		if (mode != VFIODEV_BACKEND_AUTO && mode != space->ops->backend) {
			vfd_err(ctx, "%s: asked for the %s backend, but the space uses %s",
				name, vfiodev_backend_name(mode),
				vfiodev_backend_name(space->ops->backend));
			return -EXDEV;
		}
		mode = space->ops->backend;
	}
	return mode;
}

/*
 * AUTO, and the cdev path prepared for failed: the group path's modules,
 * loaded with the space's lock dropped as prepare_modules() does. The
 * space may have chosen its backend meanwhile: the mode, read again;
 * -EXDEV when the space now uses iommufd.
 */
static int fallback_prepare(struct vfiodev_device *dev,
			    enum vfiodev_backend asked, int *mode)
{
	struct vfiodev_space *space = dev->space;
	unsigned int need;

	if (!dev->cdev_prepared)
		return 0;
	need = vfd_container_missing(dev->ctx);
	if (!need)
		return 0;
	pthread_mutex_unlock(&space->lock);
	vfd_container_prepare(dev->ctx, need);
	pthread_mutex_lock(&space->lock);
	*mode = pick_mode(dev->ctx, space, asked, dev->name);
	if (*mode < 0)
		return *mode;
	/* a space that chose the container meanwhile: still a fallback */
	if (*mode == VFIODEV_BACKEND_CONTAINER)
		*mode = VFIODEV_BACKEND_AUTO;
	if (*mode == VFIODEV_BACKEND_IOMMUFD) {
		vfd_err(dev->ctx,
			"%s: cannot join a space that uses the iommufd backend: %s",
			dev->name, dev->fallback_reason);
		return -EXDEV;
	}
	return 0;
}

/*
 * The space of IOMMU group @group: the one its open devices use, else a
 * new one recorded for it at once, so that a concurrent open of another
 * device of the group finds it (and waits on its lock) instead of making a
 * second space whose group open would fail with EBUSY. *@registered: the
 * device counts as one of the group's users.
 */
static int group_space(struct vfiodev_ctx *ctx, int group, const char *name,
		       struct vfiodev_space **out, bool *registered)
{
	struct vfiodev_space *fresh, *space;
	int ret;

	vfd_ctx_group_claim(ctx, group, NULL, &space);
	if (space) {
		vfd_info(ctx, "%s: joins the space of IOMMU group %d's open devices (one group, one address space)",
			 name, group);
		*out = space;
		*registered = true;
		return 0;
	}
	ret = vfiodev_space_new(ctx, NULL, &fresh);
	if (ret)
		return ret;
	ret = vfd_ctx_group_claim(ctx, group, fresh, &space);
	if (ret) {
		vfd_warn(ctx, "%s: out of memory recording IOMMU group %d: its other devices need this space passed explicitly",
			 name, group);
		*out = fresh;
		*registered = false;
		return 0;
	}
	if (space != fresh) {
		vfd_info(ctx, "%s: joins the space of IOMMU group %d's open devices (one group, one address space)",
			 name, group);
		vfiodev_space_unref(fresh);
	}
	*out = space;
	*registered = true;
	return 0;
}

/* @group: the device's IOMMU group, or -1; without a space in @opts the
 * device joins the space that already holds its group, else a new one */
static int device_new(struct vfiodev_ctx *ctx,
		      const struct vfiodev_device_opts *opts, int group,
		      const char *name, struct vfiodev_device **out)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space = NULL;
	uint8_t tok[16];
	char tok_str[37];
	bool has_tok = false;
	int ret;

	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_device_opts, vf_token),
			     "vfiodev_device_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_device_opts, vf_token) && opts->vf_token) {
		if (vfd_uuid_parse(opts->vf_token, tok, tok_str)) {
			vfd_err(ctx, "vfiodev_device_opts: VF token '%.40s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
				opts->vf_token);
			return -EINVAL;
		}
		has_tok = true;
	}
	if (OPTS_HAS(opts, vfiodev_device_opts, backend) &&
	    opts->backend > VFIODEV_BACKEND_CONTAINER) {
		vfd_err(ctx, "vfiodev_device_opts: unknown backend %d",
			opts->backend);
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->ctx = ctx;
	dev->fd = -1;
	dev->group_id = -1;
	if (OPTS_HAS(opts, vfiodev_device_opts, space) && opts->space) {
		if (opts->space->ctx != ctx) {
			vfd_err(ctx,
				"vfiodev_device_opts: the space belongs to another context");
			free(dev);
			return -EINVAL;
		}
		space = vfiodev_space_ref(opts->space);
	} else if (group >= 0) {
		ret = group_space(ctx, group, name, &space, &dev->group_registered);
		if (ret) {
			free(dev);
			return ret;
		}
	} else {
		ret = vfiodev_space_new(ctx, NULL, &space);
		if (ret) {
			free(dev);
			return ret;
		}
	}
	dev->space = space;
	dev->group_id = group;
	if (OPTS_HAS(opts, vfiodev_device_opts, allow_noiommu))
		dev->allow_noiommu = opts->allow_noiommu;
	if (has_tok) {
		dev->has_vf_token = true;
		memcpy(dev->vf_token, tok, sizeof(tok));
		snprintf(dev->vf_token_str, sizeof(dev->vf_token_str), "%s",
			 tok_str);
	}
	*out = dev;
	return 0;
}

/* count the open device against its group, so that the next device of
 * the group opened without a space finds this one's */
static void device_register_group(struct vfiodev_device *dev)
{
	/* a device in its group's own space was counted when it got it */
	if (dev->group_id < 0 || dev->group_registered)
		return;
	dev->group_registered =
		vfd_ctx_group_get(dev->ctx, dev->group_id, dev->space);
	if (!dev->group_registered)
		vfd_warn(dev->ctx,
			 "%s: out of memory recording IOMMU group %d: its other devices need this space passed explicitly",
			 dev->name, dev->group_id);
}

static void device_destroy(struct vfiodev_device *dev)
{
	struct vfiodev_space *space = dev->space;

	/* its BAR ranges first: their mmaps hold the device's file */
	vfd_p2p_device_gone(dev);
	if (dev->maps)
		vfd_region_unmap_all(dev);
	/* a handed-over device keeps its interrupts for the new process
	 * (device_free() forgets their record) */
	if (dev->fd >= 0 && !(space && dev->attached && space->handed_over))
		vfd_irq_disable_all(dev);
	/* on the container path the group's last device takes the group out
	 * of the container here; the registry entry goes only after that, so
	 * a group-mate opened meanwhile finds this space (and waits for its
	 * lock) instead of making its own and meeting a busy group */
	vfd_space_leave(space, dev);
	/* a failed open_fd() leaves the fd to its caller */
	if (dev->fd >= 0 && !dev->fd_borrowed)
		sys_close(dev->fd);
	dev->fd = -1;
	if (dev->group_registered)
		vfd_ctx_group_put(dev->ctx, dev->group_id, space);
	device_free(dev);
	vfiodev_space_unref(space);
}

/* the device record of the device sysfs lists at @loc, in its space (the
 * checks that need no lock: its driver, its VF token's bus) */
static int device_at(struct vfiodev_ctx *ctx, const struct vfd_sysdev *loc,
		     const struct vfiodev_device_opts *opts,
		     struct vfiodev_device **out)
{
	struct vfiodev_device *dev;
	int ret;

	ret = check_driver(ctx, loc);
	if (ret)
		return ret;
	if (loc->kind != VFD_BUS_PCI &&
	    OPTS_HAS(opts, vfiodev_device_opts, vf_token) && opts->vf_token) {
		vfd_err(ctx, "%s: a VF token is for a PCI VF of a vfio-pci PF; this is a device of the %s bus",
			loc->name, loc->bus);
		return -EINVAL;
	}
	ret = vfd_sysfs_dir_iommu_group(ctx, loc->dir);
	ret = device_new(ctx, opts, ret >= 0 ? ret : -1, loc->name, &dev);
	if (ret)
		return ret;
	if (loc->kind == VFD_BUS_PCI)
		snprintf(dev->bdf, sizeof(dev->bdf), "%.19s", loc->name);
	snprintf(dev->name, sizeof(dev->name), "%s", loc->name);
	snprintf(dev->sysdir, sizeof(dev->sysdir), "%s", loc->dir);
	dev->bus = loc->kind;
	*out = dev;
	return 0;
}

/* the group path chosen without trying the cdev: what chose it, unless
 * the caller did (then it is no fallback) */
static void container_chosen_reason(struct vfiodev_device *dev,
				    enum vfiodev_backend asked,
				    bool space_was_container)
{
	free(dev->fallback_reason);
	dev->fallback_reason = NULL;
	if (asked == VFIODEV_BACKEND_CONTAINER)
		return;
	if (space_was_container)
		vfd_device_set_reason(dev,
				      "the space already uses the container backend");
	else if (dev->space->pinned)
		vfd_device_set_reason(dev,
				      "the space was created for the container backend (vfiodev_space_opts.backend)");
	else
		vfd_device_set_reason(dev,
				      "VFIODEV_BACKEND=container in the environment");
}

/*
 * The cdev path unless the container is chosen, then (AUTO) the group
 * path; caller holds the space's lock (fallback_prepare() drops it for a
 * module load). 0 with @dev->backend set, or the error the caller gets.
 */
static int device_join(struct vfiodev_device *dev, enum vfiodev_backend asked)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	struct vfiodev_space *space = dev->space;
	bool space_was_container =
		space->ops && space->ops->backend == VFIODEV_BACKEND_CONTAINER;
	int mode, ret, ret_cdev = 0, ret_ct;

	mode = pick_mode(ctx, space, asked, dev->name);
	if (mode < 0)
		return mode;
	if (mode != VFIODEV_BACKEND_CONTAINER) {
		ret_cdev = vfd_device_open_cdev(space, dev);
		if (!ret_cdev) {
			dev->backend = VFIODEV_BACKEND_IOMMUFD;
			return 0;
		}
		if (mode == VFIODEV_BACKEND_IOMMUFD &&
		    asked == VFIODEV_BACKEND_AUTO && space->ops) {
			/* AUTO, but the space already chose: no fallback. A
			 * missing path is a backend mismatch; anything else
			 * (a refused node, a denied open) is its own error */
			vfd_err(ctx, "%s: cannot join a space that uses the iommufd backend: %s",
				dev->name, dev->fallback_reason);
			return path_unavailable(ret_cdev) ? -EXDEV : ret_cdev;
		}
		if (mode == VFIODEV_BACKEND_IOMMUFD) {
			vfd_err(ctx, "%s: the iommufd backend was forced and cannot be used: %s",
				dev->name, dev->fallback_reason);
			return ret_cdev;
		}
		vfd_info(ctx, "%s: cdev path unavailable, trying the group path: %s",
			 dev->name, dev->fallback_reason);
		ret = fallback_prepare(dev, asked, &mode);
		if (ret)
			return ret;
	}
	ret_ct = vfd_space_join(space, dev, &vfd_container_backend_ops);
	if (ret_ct && mode == VFIODEV_BACKEND_AUTO) {
		vfd_err(ctx, "%s: cannot open: cdev path: %s; group path: %s",
			dev->name, dev->fallback_reason,
			dev->group_failure[0] ? dev->group_failure :
						strerror(-ret_ct));
		return path_unavailable(ret_ct) && !path_unavailable(ret_cdev) ?
			       ret_cdev :
			       ret_ct;
	}
	if (ret_ct)
		return ret_ct;
	dev->backend = VFIODEV_BACKEND_CONTAINER;
	if (mode == VFIODEV_BACKEND_CONTAINER)
		container_chosen_reason(dev, asked, space_was_container);
	return 0;
}

/* the open of DESIGN.md, for a device sysfs lists at @loc: by BDF and by
 * sysfs path alike */
static int device_open(struct vfiodev_ctx *ctx, const struct vfd_sysdev *loc,
		       const struct vfiodev_device_opts *opts,
		       struct vfiodev_device **out)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	enum vfiodev_backend asked;
	int ret;

	ret = device_at(ctx, loc, opts, &dev);
	if (ret)
		return ret;
	space = dev->space;
	asked = OPTS_HAS(opts, vfiodev_device_opts, backend) ?
			opts->backend :
			VFIODEV_BACKEND_AUTO;
	prepare_modules(dev, asked);
	pthread_mutex_lock(&space->lock);
	ret = device_join(dev, asked);
	pthread_mutex_unlock(&space->lock);
	if (!ret)
		ret = vfd_device_load_info(dev);
	if (ret) {
		device_destroy(dev);
		return ret;
	}
	device_register_group(dev);
	vfd_info(ctx, "%s: opened %s with the %s backend%s%s", dev->name,
		 dev->node, vfiodev_backend_name(dev->backend),
		 dev->fallback_reason ? ": " : "",
		 dev->fallback_reason ? dev->fallback_reason : "");
	*out = dev;
	return 0;
}

VFIODEV_EXPORT int vfiodev_device_open(struct vfiodev_ctx *ctx, const char *bdf,
				       const struct vfiodev_device_opts *opts,
				       struct vfiodev_device **out)
{
	struct vfd_sysdev loc;
	char norm[BDF_BUF];

	if (!ctx || !out)
		return -EINVAL;
	if (vfiodev_bdf_normalise(bdf, norm)) {
		vfd_err(ctx, "'%s' is not a PCI address (expected dddd:bb:dd.f or bb:dd.f)",
			bdf ? bdf : "(null)");
		return -EINVAL;
	}
	vfd_sysdev_pci(&loc, norm);
	return device_open(ctx, &loc, opts, out);
}

VFIODEV_EXPORT int vfiodev_device_open_sysfs(struct vfiodev_ctx *ctx,
					     const char *sysfs_dir,
					     const struct vfiodev_device_opts *opts,
					     struct vfiodev_device **out)
{
	struct vfd_sysdev loc;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	ret = vfd_sysdev_resolve(ctx, sysfs_dir, &loc);
	if (ret)
		return ret;
	return device_open(ctx, &loc, opts, out);
}

/* open_fd()'s fd is a character device, and with @bdf, that device's
 * vfio cdev (proved as the open proves a node) */
static int fd_is_the_cdev(struct vfiodev_device *dev, const char *bdf)
{
	struct vfiodev_ctx *ctx = dev->ctx;
	char cdev[64];
	struct stat st;
	int ret;

	ret = vfd_chardev_fstat(ctx, dev->fd, dev->name, &st);
	if (ret)
		return ret;
	dev->devnum = st.st_rdev;
	dev->has_devnum = true;
	if (!bdf)
		return 0;
	ret = vfd_sysfs_vfio_cdev_name(ctx, bdf, cdev, sizeof(cdev));
	if (ret) {
		vfd_err(ctx, "%s: sysfs names no vfio cdev: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	if (vfd_sysfs_cdev_is(ctx, dev->devnum, bdf, cdev)) {
		vfd_err(ctx, "%s: refused: fd is %u:%u, which sysfs does not give to %s's %s",
			dev->node, major(dev->devnum), minor(dev->devnum), bdf,
			cdev);
		return -ENXIO;
	}
	return 0;
}

/* the record of open_fd()'s device: named by its BDF (@bdf, normalised,
 * or NULL) or its fd */
static int fd_device_new(struct vfiodev_ctx *ctx, int fd, const char *bdf,
			 const struct vfiodev_device_opts *opts,
			 struct vfiodev_device **out)
{
	struct vfiodev_device *dev;
	int ret, group;

	group = bdf ? vfd_sysfs_iommu_group(ctx, bdf) : -1;
	ret = device_new(ctx, opts, group >= 0 ? group : -1, bdf ? bdf : "fd", &dev);
	if (ret)
		return ret;
	if (bdf) {
		struct vfd_sysdev loc;

		snprintf(dev->name, sizeof(dev->name), "%s", bdf);
		snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
		vfd_sysdev_pci(&loc, bdf);
		snprintf(dev->sysdir, sizeof(dev->sysdir), "%s", loc.dir);
		dev->bus = VFD_BUS_PCI;
	} else {
		snprintf(dev->name, sizeof(dev->name), "fd %d", fd);
	}
	snprintf(dev->node, sizeof(dev->node), "(fd %d)", fd);
	*out = dev;
	return 0;
}

/* open_fd() and adopt(): @devid 0 binds the fd, else it is bound with
 * that id (live update) */
static int open_cdev_fd(struct vfiodev_ctx *ctx, int fd, const char *bdf,
			const struct vfiodev_device_opts *opts, uint32_t devid,
			struct vfiodev_device **out)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	char norm[BDF_BUF];
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, out);
	if (fd < 0) {
		vfd_err(ctx, "open fd: fd %d is not a file descriptor", fd);
		return -EINVAL;
	}
	if (bdf && vfiodev_bdf_normalise(bdf, norm)) {
		vfd_err(ctx, "'%s' is not a PCI address", bdf);
		return -EINVAL;
	}
	if (OPTS_HAS(opts, vfiodev_device_opts, backend) &&
	    opts->backend == VFIODEV_BACKEND_CONTAINER) {
		vfd_err(ctx,
			"fd %d: a cdev fd cannot use the container backend", fd);
		return -EINVAL;
	}
	ret = fd_device_new(ctx, fd, bdf ? norm : NULL, opts, &dev);
	if (ret)
		return ret;
	space = dev->space;
	dev->adopt_devid = devid;

	/* no dup: the kernel ties the binding to the open file, so a dup the
	 * caller kept would hold the device bound after close */
	dev->fd = fd;
	dev->fd_borrowed = true;
	ret = fd_is_the_cdev(dev, bdf ? norm : NULL);
	if (ret)
		goto fail_nolock;

	pthread_mutex_lock(&space->lock);
	ret = pick_mode(ctx, space, VFIODEV_BACKEND_IOMMUFD, dev->name);
	if (ret >= 0) {
		ret = vfd_space_join(space, dev, &vfd_iommufd_backend_ops);
		/* the backend logs BIND and /dev/iommu failures at info only,
		 * as reasons to fall back; here there is no fallback
		 * (-EXDEV is logged by vfd_space_join) */
		if (ret && ret != -EXDEV)
			vfd_err(ctx, "%s: cannot bind the fd to iommufd: %s",
				dev->name, strerror(-ret));
	}
	pthread_mutex_unlock(&space->lock);
	if (ret)
		goto fail_nolock;
	dev->backend = VFIODEV_BACKEND_IOMMUFD;
	ret = vfd_device_load_info(dev);
	if (ret)
		goto fail_nolock;
	dev->fd_borrowed = false; /* ours from now on */
	device_register_group(dev);
	*out = dev;
	return 0;
fail_nolock:
	device_destroy(dev);
	return ret;
}

VFIODEV_EXPORT int vfiodev_device_open_fd(struct vfiodev_ctx *ctx, int fd,
					  const char *bdf,
					  const struct vfiodev_device_opts *opts,
					  struct vfiodev_device **out)
{
	return open_cdev_fd(ctx, fd, bdf, opts, 0, out);
}

VFIODEV_EXPORT int vfiodev_device_adopt(struct vfiodev_ctx *ctx, int fd,
					const char *bdf, uint32_t devid,
					const struct vfiodev_device_opts *opts,
					struct vfiodev_device **out)
{
	struct vfiodev_space *space =
		OPTS_HAS(opts, vfiodev_device_opts, space) ? opts->space : NULL;

	if (!ctx)
		return -EINVAL;
	if (!devid || !space ||
	    vfiodev_space_backend(space) != VFIODEV_BACKEND_IOMMUFD) {
		vfd_err(ctx, "adopt fd %d: %s", fd,
			!devid ? "device id 0: the id the bind gave is needed" :
				 "opts->space must be the iommufd space the device is attached to (vfiodev_space_adopt())");
		return -EINVAL;
	}
	return open_cdev_fd(ctx, fd, bdf, opts, devid, out);
}

VFIODEV_EXPORT int vfiodev_device_iommufd_id(const struct vfiodev_device *dev,
					     uint32_t *devid)
{
	if (!dev || !devid)
		return -EINVAL;
	if (dev->backend != VFIODEV_BACKEND_IOMMUFD || !dev->devid)
		return -ENODEV;
	*devid = dev->devid;
	return 0;
}

VFIODEV_EXPORT void vfiodev_device_close(struct vfiodev_device *dev)
{
	if (dev)
		device_destroy(dev);
}
