// SPDX-License-Identifier: MIT
/*
 * Device nodes: find the node of a character device from its number
 * (libudev when the roots are the real ones, then fixed fallbacks), open
 * it, and prove with fstat() that it is that device - a stale or planted
 * node is refused, never used.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "internal.h"

#ifdef HAVE_LIBUDEV
#include <libudev.h>
#endif

/*
 * The identity check's first half, written once: fstat of @fd (the node
 * @path, or a caller's fd so named) into @st, and a character device it
 * must be. -ENXIO (logged "refused") when it is not.
 */
int vfd_chardev_fstat(const struct vfiodev_ctx *ctx, int fd, const char *path,
		      struct stat *st)
{
	int ret;

	ret = sys_fstat(fd, st);
	if (ret) {
		vfd_err(ctx, "%s: fstat: %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISCHR(st->st_mode)) {
		vfd_err(ctx, "%s: refused: not a character device", path);
		return -ENXIO;
	}
	return 0;
}

/* the character device @st of node @path is @devnum */
static int rdev_is(const struct vfiodev_ctx *ctx, const char *path,
		   const struct stat *st, dev_t devnum)
{
	if (st->st_rdev != devnum) {
		vfd_err(ctx, "%s: refused: node is %u:%u but sysfs names %u:%u (stale or planted node)",
			path, major(st->st_rdev), minor(st->st_rdev),
			major(devnum), minor(devnum));
		return -ENXIO;
	}
	return 0;
}

int vfd_devnode_check(const struct vfiodev_ctx *ctx, int fd, const char *path,
		      dev_t devnum, struct stat *st)
{
	int ret;

	ret = vfd_chardev_fstat(ctx, fd, path, st);
	return ret ? ret : rdev_is(ctx, path, st, devnum);
}

/*
 * The device sysfs links char device number @rdev to (<sysfs>/dev/char/M:m)
 * is the class device @dev_attr names ("class/misc/iommu/dev": a path
 * ending in "/misc/iommu"): 0; -ENXIO when it is another; -ENOENT when
 * sysfs has no such link (then the attribute is read instead)
 */
static int class_dev_is(const struct vfiodev_ctx *ctx, dev_t rdev,
			const char *dev_attr)
{
	char want[96];
	size_t wl;

	if (strncmp(dev_attr, "class/", 6))
		return -ENOENT;
	wl = strlen(dev_attr + 5);
	if (wl < 5 || wl >= sizeof(want) || strcmp(dev_attr + 5 + wl - 4, "/dev"))
		return -ENOENT;
	snprintf(want, sizeof(want), "%.*s", (int)(wl - 4), dev_attr + 5);
	return vfd_sysfs_char_dev_is(ctx, rdev, want);
}

/*
 * Verify a node against the number sysfs gives it in @dev_attr (relative to
 * the sysfs root, e.g. "class/misc/iommu/dev"); when sysfs has no such
 * attribute (older kernels), it must at least be a character device.
 */
int vfd_devnode_verify(const struct vfiodev_ctx *ctx, int fd, const char *path,
		       const char *dev_attr, struct stat *st)
{
	char attr[64];
	dev_t devnum;
	int ret;

	/* fstat, then one readlink: whose number is it? */
	ret = vfd_chardev_fstat(ctx, fd, path, st);
	if (ret)
		return ret;
	ret = class_dev_is(ctx, st->st_rdev, dev_attr);
	if (ret == -ENXIO) {
		vfd_err(ctx, "%s: refused: node is %u:%u, which sysfs does not give to %.*s (stale or planted node)",
			path, major(st->st_rdev), minor(st->st_rdev),
			(int)strlen(dev_attr) - 4, dev_attr);
		return -ENXIO;
	}
	if (!ret)
		return 0;
	/* no link: the attribute says which number (none on old kernels: a
	 * character device it is, which is all that can be checked) */
	if (vfd_sysfs_read(ctx, attr, sizeof(attr), "%s", dev_attr) > 0 &&
	    !vfd_parse_devnum(attr, &devnum))
		return rdev_is(ctx, path, st, devnum);
	return 0;
}

int vfd_devnode_udev_lookup(struct vfiodev_ctx *ctx, dev_t devnum, char *path,
			    size_t len)
{
#ifdef HAVE_LIBUDEV
	struct udev_device *ud;
	const char *node;
	int ret = -ENOENT;

	if (!ctx->udev_usable)
		return -ENOTSUP;
	pthread_mutex_lock(&ctx->ext_lock);
	if (!ctx->udev)
		ctx->udev = udev_new();
	ud = ctx->udev ? udev_device_new_from_devnum(ctx->udev, 'c', devnum) : NULL;
	if (!ctx->udev)
		ret = -ENOMEM;
	node = ud ? udev_device_get_devnode(ud) : NULL;
	if (node && strlen(node) < len) {
		strcpy(path, node);
		ret = 0;
	}
	udev_device_unref(ud);
	pthread_mutex_unlock(&ctx->ext_lock);
	return ret;
#else
	(void)ctx;
	(void)devnum;
	(void)path;
	(void)len;
	return -ENOTSUP;
#endif
}

/*
 * The device behind the O_PATH fd @pfd, opened read-write: the very inode
 * that was checked, reopened through /proc/thread-self/fd (the calling
 * thread's own fd table: /proc/self names the leader's, which a thread
 * that unshared its table does not share), so the path cannot be swapped
 * in between. Without it (no /proc, or before Linux 3.17) the path is
 * opened again. Either way the fd opened must be the inode and device
 * number checked (@want: fstat of @pfd). Closes @pfd.
 */
static int node_reopen(const struct vfiodev_ctx *ctx, int pfd, const char *path,
		       const struct stat *want)
{
	struct stat got;
	char proc[48];
	int fd, ret;

	snprintf(proc, sizeof(proc), "/proc/thread-self/fd/%d", pfd);
	fd = sys_open(proc, O_RDWR | O_NOCTTY);
	if (fd == -ENOENT)
		fd = sys_open(path, O_RDWR | O_NOCTTY);
	sys_close(pfd);
	if (fd < 0)
		return fd;
	ret = sys_fstat(fd, &got);
	if (!ret && (got.st_dev != want->st_dev || got.st_ino != want->st_ino ||
		     got.st_rdev != want->st_rdev)) {
		vfd_err(ctx, "%s: refused: the node changed while it was opened",
			path);
		ret = -ENXIO;
	} else if (ret) {
		vfd_err(ctx, "%s: fstat: %s", path, strerror(-ret));
	}
	if (ret) {
		sys_close(fd);
		return ret;
	}
	return fd;
}

int vfd_node_open(const struct vfiodev_ctx *ctx, const char *path, dev_t devnum,
		  const char *dev_attr, enum node_step *step)
{
	struct stat st;
	int pfd, ret;

	/* O_PATH opens no device: a planted tty is not acquired, a planted
	 * device's open routine never runs before the check */
	*step = NODE_LOOKUP;
	pfd = sys_open(path, O_PATH);
	if (pfd < 0)
		return pfd;
	*step = NODE_VERIFY;
	ret = dev_attr ? vfd_devnode_verify(ctx, pfd, path, dev_attr, &st) :
			 vfd_devnode_check(ctx, pfd, path, devnum, &st);
	if (ret) {
		sys_close(pfd);
		return ret;
	}
	*step = NODE_OPEN;
	return node_reopen(ctx, pfd, path, &st);
}

static int try_node(struct vfiodev_ctx *ctx, const char *cand, dev_t devnum,
		    char *path, size_t len)
{
	enum node_step step;
	int fd;

	fd = vfd_node_open(ctx, cand, devnum, NULL, &step);
	if (fd < 0) {
		if (step == NODE_OPEN)
			vfd_err(ctx, "%s: %s", cand, strerror(-fd));
		return fd;
	}
	snprintf(path, len, "%s", cand);
	return fd;
}

/*
 * Candidates in order: each of @fallbacks, the node libudev names, then
 * <dev_root>/char/MAJ:MIN. A missing node moves on; a node that exists but
 * is not the device ends the search with -ENXIO; so does any other error.
 */
int vfd_devnode_open(struct vfiodev_ctx *ctx, const char *what, dev_t devnum,
		     const char *const *fallbacks, char *path, size_t len)
{
	char udev_node[256], char_node[256], tried[768] = "";
	const char *cands[8];
	size_t n = 0, nf;
	bool udev_asked = false;
	int fd = -ENOENT;

	/* the canonical nodes first: the fstat check makes them safe to try,
	 * and a libudev lookup costs dozens of syscalls; libudev only when
	 * they are missing */
	for (size_t i = 0;
	     fallbacks && fallbacks[i] && n < ARRAY_SIZE(cands) - 2; i++)
		cands[n++] = fallbacks[i];
	nf = n;
	snprintf(char_node, sizeof(char_node), "%s/char/%u:%u", ctx->dev_root,
		 major(devnum), minor(devnum));

	for (size_t i = 0;; i++) {
		if (i == nf && !udev_asked) {
			udev_asked = true;
			if (vfd_devnode_udev_lookup(ctx, devnum, udev_node,
						    sizeof(udev_node)) == 0)
				cands[n++] = udev_node;
			cands[n++] = char_node;
		}
		if (i == n)
			break;
		fd = try_node(ctx, cands[i], devnum, path, len);
		if (fd == -ENOENT) {
			size_t l = strlen(tried);

			snprintf(tried + l, sizeof(tried) - l, "%s%s",
				 l ? ", " : "", cands[i]);
			continue;
		}
		if (fd == -EACCES || fd == -EPERM)
			vfd_err(ctx, "%s: %s: permission denied (check the node's owner and mode)",
				what, cands[i]);
		else if (fd < 0 && fd != -ENXIO)
			vfd_err(ctx, "%s: %s: %s", what, cands[i], strerror(-fd));
		return fd;
	}
	vfd_info(ctx, "%s: no node for char device %u:%u (tried %s)", what,
		 major(devnum), minor(devnum), tried);
	return fd;
}

/*
 * The vfio cdev @name of the device in sysfs directory @dir, opened: the
 * canonical node <dev_root>/vfio/devices/<name> first (O_PATH, fstat, and
 * one readlink of <sysfs>/dev/char/M:m proves the number is the device's
 * cdev before the device is opened); only when it is missing, the number
 * from sysfs and vfd_devnode_open()'s other candidates. *@devnum receives
 * the number.
 */
int vfd_cdev_node_open(struct vfiodev_ctx *ctx, const char *dir,
		       const char *name, char *path, size_t len, dev_t *devnum)
{
	const char *who = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	char cand[256];
	struct stat st;
	unsigned int known;
	int pfd, ret;

	snprintf(cand, sizeof(cand), "%s/vfio/devices/%s", ctx->dev_root, name);
	pfd = sys_open(cand, O_PATH);
	if (pfd == -ENOENT) {
		/* not where the kernel's devtmpfs puts it: ask sysfs, udev */
		ret = vfd_sysfs_dir_cdev_devnum(ctx, dir, name, devnum);
		if (ret)
			return ret;
		return vfd_devnode_open(ctx, who, *devnum, NULL, path, len);
	}
	if (pfd < 0) {
		if (pfd == -EACCES || pfd == -EPERM)
			vfd_err(ctx, "%s: %s: permission denied (check the node's owner and mode)",
				who, cand);
		else
			vfd_err(ctx, "%s: %s: %s", who, cand, strerror(-pfd));
		return pfd;
	}
	known = __atomic_load_n(&ctx->vfio_cdev_major, __ATOMIC_RELAXED);
	ret = vfd_chardev_fstat(ctx, pfd, cand, &st);
	if (ret) {
		/* logged */
	} else if (known && major(st.st_rdev) == known) {
		/* a vfio cdev, by the major an earlier check proved: its open
		 * runs vfio's cdev open only (no device is touched before a
		 * bind), and the caller's check after the open, which an
		 * open cdev makes final, says whose it is */
	} else if (vfd_sysfs_cdev_is(ctx, st.st_rdev, who, name)) {
		vfd_err(ctx, "%s: refused: node is %u:%u, which sysfs does not give to %s's %s (stale or planted node)",
			cand, major(st.st_rdev), minor(st.st_rdev), who, name);
		ret = -ENXIO;
	} else {
		__atomic_store_n(&ctx->vfio_cdev_major, major(st.st_rdev),
				 __ATOMIC_RELAXED);
	}
	if (ret) {
		sys_close(pfd);
		return ret;
	}
	*devnum = st.st_rdev;
	ret = node_reopen(ctx, pfd, cand, &st);
	if (ret >= 0)
		snprintf(path, len, "%s", cand);
	return ret;
}
