// SPDX-License-Identifier: MIT
/*
 * sysfs: PCI addresses, and what sysfs says about a device (its vfio cdev,
 * its IOMMU group, its driver). The root is injectable, so tests run on
 * fake trees; reads go through the syscall seam.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

static int hex_field(const char **p, unsigned int min, unsigned int max,
		     unsigned long *out)
{
	const char *s = *p;
	unsigned long v = 0;
	unsigned int n = 0;

	while (isxdigit((unsigned char)s[n]) && n <= max) {
		int c = tolower((unsigned char)s[n]);

		v = v * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
		n++;
	}
	if (n < min || n > max)
		return -EINVAL;
	*p = s + n;
	*out = v;
	return 0;
}

/*
 * "dddd:bb:dd.f" or "bb:dd.f" (domain 0), hex digits of either case, with
 * 4 to 8 domain digits; normalised to lower case with a 4-digit domain.
 */
VFIODEV_EXPORT int vfiodev_bdf_normalise(const char *in, char out[BDF_BUF])
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = in;
	int colons = 0;

	if (!in)
		return -EINVAL;
	for (const char *c = in; *c; c++)
		colons += *c == ':';
	if (colons == 2) {
		if (hex_field(&p, 4, 8, &dom) || *p++ != ':')
			return -EINVAL;
	} else if (colons != 1) {
		return -EINVAL;
	}
	if (hex_field(&p, 2, 2, &bus) || *p++ != ':' || hex_field(&p, 2, 2, &dev) ||
	    *p++ != '.' || hex_field(&p, 1, 1, &fn) || *p != '\0')
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, BDF_BUF, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	return 0;
}

static int vpath(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		 const char *fmt, va_list ap)
{
	int n = snprintf(buf, len, "%s/", ctx->sysfs_root);
	int m;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	if (m < 0 || (size_t)m >= len - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

int vfd_sysfs_path(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		   const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(ctx, buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

int vfd_open_regular(const char *path)
{
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: a FIFO planted under an injected root must not hang
	 * the open; only a regular file (every sysfs and procfs one we read)
	 * is read */
	fd = sys_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fd;
	ret = sys_fstat(fd, &st);
	if (!ret && !S_ISREG(st.st_mode))
		ret = -EINVAL;
	if (ret) {
		sys_close(fd);
		return ret;
	}
	return fd;
}

/* read a small attribute, trailing newline removed */
int vfd_sysfs_read(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		   const char *fmt, ...)
{
	char path[512];
	va_list ap;
	ssize_t n;
	int fd, ret;

	if (len < 2)
		return -EINVAL;
	va_start(ap, fmt);
	ret = vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	fd = vfd_open_regular(path);
	if (fd < 0)
		return fd;
	n = sys_read(fd, buf, len - 1);
	sys_close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

int vfd_sysfs_link_name(const struct vfiodev_ctx *ctx, char *buf, size_t len,
			const char *fmt, ...)
{
	char path[512], target[512];
	const char *base;
	va_list ap;
	ssize_t n;
	int ret;

	va_start(ap, fmt);
	ret = vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	n = sys_readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return (int)n;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int vfd_sysfs_device_exists(const struct vfiodev_ctx *ctx, const char *bdf)
{
	char path[512];
	struct stat st;
	int ret;

	ret = vfd_sysfs_path(ctx, path, sizeof(path), "bus/pci/devices/%s", bdf);
	if (ret)
		return ret;
	return stat(path, &st) == 0 ? 0 : -ENODEV;
}

/* a decimal number, digits only (no sign, space or base prefix), at most
 * @max; the first byte after it in *@end. -EINVAL otherwise */
int vfd_parse_dec(const char *s, unsigned long max, unsigned long *out,
		  const char **end)
{
	unsigned long v = 0;
	size_t n = 0;

	for (; s[n] >= '0' && s[n] <= '9'; n++) {
		if (v > (max - (unsigned long)(s[n] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (!n)
		return -EINVAL;
	*out = v;
	*end = s + n;
	return 0;
}

/* "major:minor" as the kernel prints a dev attribute: digits only, inside
 * the kernel's dev_t (12-bit major, 20-bit minor) */
int vfd_parse_devnum(const char *s, dev_t *out)
{
	unsigned long maj, min;

	if (vfd_parse_dec(s, 0xfff, &maj, &s) || *s++ != ':' ||
	    vfd_parse_dec(s, 0xfffff, &min, &s) || *s)
		return -EINVAL;
	*out = makedev((unsigned int)maj, (unsigned int)min);
	return 0;
}

/*
 * The vfio cdev sysfs names for a device: <dev>/vfio-dev/vfioX/dev holds
 * its major:minor. -ENOENT when there is no vfio-dev directory (no
 * CONFIG_VFIO_DEVICE_CDEV, or not bound to a vfio driver).
 */
int vfd_sysfs_dir_vfio_entry(const struct vfiodev_ctx *ctx, const char *dir,
			     char *name, size_t len)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = vfd_sysfs_path(ctx, path, sizeof(path), "%s/vfio-dev", dir);
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return -errno;
	ret = -ENOENT;
	while ((de = readdir(d))) {
		/* "vfioN"; a noiommu device's is "noiommu-vfioN" (7.x) */
		const char *n = strncmp(de->d_name, "noiommu-", 8) ?
					de->d_name :
					de->d_name + 8;

		if (strncmp(n, "vfio", 4) || !isdigit((unsigned char)n[4]))
			continue;
		if (strlen(de->d_name) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(name, de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* vfio registers vfio-dev/vfioN for every device; only a kernel with
 * CONFIG_VFIO_DEVICE_CDEV gives it a number (its "dev" attribute), and
 * before 7.x not to a noiommu device: -ENOENT without one */
int vfd_sysfs_dir_cdev_numbered(const struct vfiodev_ctx *ctx, const char *dir,
				const char *name)
{
	char path[512];
	int ret;

	ret = vfd_sysfs_path(ctx, path, sizeof(path), "%s/vfio-dev/%s/dev", dir,
			     name);
	if (!ret && access(path, F_OK))
		ret = -ENOENT;
	return ret;
}

int vfd_sysfs_dir_cdev_name(const struct vfiodev_ctx *ctx, const char *dir,
			    char *name, size_t len)
{
	int ret;

	ret = vfd_sysfs_dir_vfio_entry(ctx, dir, name, len);
	return ret ? ret : vfd_sysfs_dir_cdev_numbered(ctx, dir, name);
}

int vfd_sysfs_dir_cdev_devnum(const struct vfiodev_ctx *ctx, const char *dir,
			      const char *name, dev_t *devnum)
{
	char buf[64];
	int ret;

	ret = vfd_sysfs_read(ctx, buf, sizeof(buf), "%s/vfio-dev/%s/dev", dir, name);
	if (ret < 0)
		return ret;
	return vfd_parse_devnum(buf, devnum) ? -EPROTO : 0;
}

void vfd_sysdev_pci(struct vfd_sysdev *d, const char *bdf)
{
	snprintf(d->dir, sizeof(d->dir), "bus/pci/devices/%s", bdf);
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	snprintf(d->bus, sizeof(d->bus), "pci");
	d->kind = VFD_BUS_PCI;
}

/*
 * The vfio cdev sysfs names for a device: <dev>/vfio-dev/vfioX/dev holds
 * its major:minor. -ENOENT when there is no vfio-dev directory (no
 * CONFIG_VFIO_DEVICE_CDEV, or not bound to a vfio driver).
 */
int vfd_sysfs_vfio_dev_entry(const struct vfiodev_ctx *ctx, const char *bdf,
			     char *name, size_t len)
{
	struct vfd_sysdev d;

	vfd_sysdev_pci(&d, bdf);
	return vfd_sysfs_dir_vfio_entry(ctx, d.dir, name, len);
}

int vfd_sysfs_vfio_cdev_name(const struct vfiodev_ctx *ctx, const char *bdf,
			     char *name, size_t len)
{
	struct vfd_sysdev d;

	vfd_sysdev_pci(&d, bdf);
	return vfd_sysfs_dir_cdev_name(ctx, d.dir, name, len);
}

int vfd_sysfs_vfio_cdev_devnum(const struct vfiodev_ctx *ctx, const char *bdf,
			       const char *name, dev_t *devnum)
{
	struct vfd_sysdev d;

	vfd_sysdev_pci(&d, bdf);
	return vfd_sysfs_dir_cdev_devnum(ctx, d.dir, name, devnum);
}

int vfd_sysfs_vfio_cdev(const struct vfiodev_ctx *ctx, const char *bdf,
			char *name, size_t len, dev_t *devnum)
{
	int ret;

	ret = vfd_sysfs_vfio_cdev_name(ctx, bdf, name, len);
	return ret ? ret : vfd_sysfs_vfio_cdev_devnum(ctx, bdf, name, devnum);
}

/*
 * Does sysfs link char device number @devnum (<sysfs>/dev/char/M:m, a link
 * to the device's directory) to a path ending in @suffix? One readlink
 * answers whose number it is. 0; -ENXIO when it is another device's;
 * -ENOENT when no device has the number.
 */
int vfd_sysfs_char_dev_is(const struct vfiodev_ctx *ctx, dev_t devnum,
			  const char *suffix)
{
	char path[512], target[512];
	size_t tl, wl = strlen(suffix);
	ssize_t n;
	int ret;

	ret = vfd_sysfs_path(ctx, path, sizeof(path), "dev/char/%u:%u",
			     major(devnum), minor(devnum));
	if (ret)
		return ret;
	n = sys_readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return (int)n;
	target[n] = '\0';
	tl = (size_t)n;
	return tl >= wl && !strcmp(target + tl - wl, suffix) ? 0 : -ENXIO;
}

/* is char device @devnum the vfio cdev @name of device @dev? */
int vfd_sysfs_cdev_is(const struct vfiodev_ctx *ctx, dev_t devnum,
		      const char *dev, const char *name)
{
	char want[160];

	snprintf(want, sizeof(want), "/%s/vfio-dev/%s", dev, name);
	return vfd_sysfs_char_dev_is(ctx, devnum, want);
}

int vfd_sysfs_dir_iommu_group(const struct vfiodev_ctx *ctx, const char *dir)
{
	char name[64];
	const char *end;
	unsigned long id;
	int ret;

	ret = vfd_sysfs_link_name(ctx, name, sizeof(name), "%s/iommu_group", dir);
	if (ret)
		return ret;
	/* the link ends in the group's number: digits, nothing else */
	if (vfd_parse_dec(name, INT32_MAX, &id, &end) || *end) {
		vfd_dbg(ctx, "%s: iommu_group link ends in '%.16s', not a group number",
			dir, name);
		return -EPROTO;
	}
	return (int)id;
}

int vfd_sysfs_iommu_group(const struct vfiodev_ctx *ctx, const char *bdf)
{
	struct vfd_sysdev d;

	vfd_sysdev_pci(&d, bdf);
	return vfd_sysfs_dir_iommu_group(ctx, d.dir);
}

/* vfio names both its software groups "vfio-noiommu"
 * (vfio_noiommu_group_alloc): a noiommu one, and the emulated one of a
 * mediated device, whose member is on the mdev bus */
static bool group_named_noiommu(const struct vfiodev_ctx *ctx, int group_id)
{
	char name[64];

	return group_id >= 0 &&
	       vfd_sysfs_read(ctx, name, sizeof(name),
			      "kernel/iommu_groups/%d/name", group_id) > 0 &&
	       !strcmp(name, "vfio-noiommu");
}

static bool group_has_mdev(const struct vfiodev_ctx *ctx, int group_id)
{
	char path[512], bus[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (vfd_sysfs_path(ctx, path, sizeof(path),
			   "kernel/iommu_groups/%d/devices", group_id))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] != '.' &&
			!vfd_sysfs_link_name(ctx, bus, sizeof(bus),
					     "kernel/iommu_groups/%d/devices/%s/subsystem",
					     group_id, de->d_name) &&
			!strcmp(bus, "mdev");
	closedir(d);
	return found;
}

bool vfd_sysfs_group_is_emulated(const struct vfiodev_ctx *ctx, int group_id)
{
	return group_named_noiommu(ctx, group_id) && group_has_mdev(ctx, group_id);
}

bool vfd_sysfs_group_is_noiommu(const struct vfiodev_ctx *ctx, int group_id)
{
	return group_named_noiommu(ctx, group_id) && !group_has_mdev(ctx, group_id);
}

/* vfd_sysfs_group_is_noiommu() of @dev's group, read once per open (the
 * cdev path asks it when it finds no cdev, the group path after it) */
bool vfd_sysfs_dev_group_noiommu(struct vfiodev_device *dev)
{
	if (!dev->noiommu_read) {
		dev->group_noiommu =
			vfd_sysfs_group_is_noiommu(dev->ctx, dev->group_id);
		dev->noiommu_read = true;
	}
	return dev->group_noiommu;
}

/* a device directory @real (@rel below the sysfs root), whose subsystem
 * link names its bus, into @d; -EINVAL when it is no bus device's */
static int sysdev_from_device_dir(const char *real, const char *rel,
				  struct vfd_sysdev *d)
{
	const char *base = strrchr(rel, '/'), *b;
	char canon[PATH_MAX + 16], link[512];
	ssize_t n;

	base = base ? base + 1 : rel;
	snprintf(canon, sizeof(canon), "%s/subsystem", real);
	n = sys_readlink(canon, link, sizeof(link) - 1);
	if (n <= 0)
		return -EINVAL;
	link[n] = '\0';
	b = strrchr(link, '/');
	/* a bus device's subsystem is .../bus/<bus>; a class device's
	 * .../class/<class> */
	if (!b || b - link < 4 || strncmp(b - 4, "/bus", 4) ||
	    strlen(b + 1) >= sizeof(d->bus) || strlen(base) >= sizeof(d->name))
		return -EINVAL;
	snprintf(d->bus, sizeof(d->bus), "%s", b + 1);
	snprintf(d->name, sizeof(d->name), "%s", base);
	return 0;
}

/* @d's kind from its bus; a PCI device's name must be its address */
static int sysdev_kind(const struct vfiodev_ctx *ctx, struct vfd_sysdev *d)
{
	char norm[BDF_BUF];

	if (!strcmp(d->bus, "mdev")) {
		d->kind = VFD_BUS_MDEV;
		return 0;
	}
	if (strcmp(d->bus, "pci")) {
		d->kind = VFD_BUS_OTHER;
		return 0;
	}
	if (vfiodev_bdf_normalise(d->name, norm) || strcmp(norm, d->name)) {
		vfd_err(ctx, "%s: a PCI device whose name is no PCI address",
			d->name);
		return -ENODEV;
	}
	d->kind = VFD_BUS_PCI;
	return 0;
}

/* "<bus>/devices/<name>" (what follows "bus/") into @d */
static int sysdev_from_bus_path(const char *rel, struct vfd_sysdev *d)
{
	const char *slash = strchr(rel, '/');
	size_t bl = slash ? (size_t)(slash - rel) : 0;
	const char *name;

	if (!bl || bl >= sizeof(d->bus) || strncmp(slash, "/devices/", 9))
		return -EINVAL;
	name = slash + 9;
	if (!*name || strchr(name, '/') || strlen(name) >= sizeof(d->name))
		return -EINVAL;
	memcpy(d->bus, rel, bl);
	d->bus[bl] = '\0';
	snprintf(d->name, sizeof(d->name), "%s", name);
	return 0;
}

static bool same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

int vfd_sysdev_resolve(const struct vfiodev_ctx *ctx, const char *path,
		       struct vfd_sysdev *d)
{
	char real[PATH_MAX], root[PATH_MAX], canon[PATH_MAX + 16];
	const char *rel;
	size_t rl;
	int ret;

	if (!path || !*path) {
		vfd_err(ctx, "open by sysfs path: no path given");
		return -EINVAL;
	}
	if (strlen(path) >= PATH_MAX) {
		vfd_err(ctx, "open by sysfs path: the path is %zu bytes long",
			strlen(path));
		return -EINVAL;
	}
	if (!realpath(ctx->sysfs_root, root)) {
		vfd_err(ctx, "%s: the sysfs root cannot be resolved: %s",
			ctx->sysfs_root, strerror(errno));
		return -ENODEV;
	}
	if (!realpath(path, real)) {
		ret = -errno;
		vfd_err(ctx, "'%.200s': no such device directory in sysfs (%s)",
			path, strerror(-ret));
		return ret == -ENOENT || ret == -ENOTDIR ? -ENODEV : ret;
	}
	rl = strlen(root);
	if (strncmp(real, root, rl) || real[rl] != '/') {
		vfd_err(ctx, "'%.200s' is not below the sysfs root %s", path, root);
		return -EINVAL;
	}
	rel = real + rl + 1;
	memset(d, 0, sizeof(*d));
	/* bus/<bus>/devices/<name> itself (a fake tree's directories), else
	 * a device directory, whose subsystem link names its bus */
	if (!strncmp(rel, "bus/", 4)) {
		ret = sysdev_from_bus_path(rel + 4, d);
	} else {
		ret = sysdev_from_device_dir(real, rel, d);
	}
	if (ret) {
		vfd_err(ctx, "'%.200s' is not a device directory of a bus (expected %s/bus/<bus>/devices/<name>, or the directory it links to)",
			path, ctx->sysfs_root);
		return -ENODEV;
	}
	snprintf(d->dir, sizeof(d->dir), "bus/%s/devices/%s", d->bus, d->name);
	ret = vfd_sysfs_path(ctx, canon, sizeof(canon), "%s", d->dir);
	if (ret || !same_dir(canon, real)) {
		vfd_err(ctx, "'%.200s': sysfs lists no device %s (its bus %s does not name it)",
			path, d->name, d->bus);
		return -ENODEV;
	}
	return sysdev_kind(ctx, d);
}
