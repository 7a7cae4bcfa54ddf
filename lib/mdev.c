// SPDX-License-Identifier: MIT
/*
 * Mediated devices: the parents in <sysfs>/class/mdev_bus and their types
 * (mdev_supported_types/<type>), the devices in <sysfs>/bus/mdev/devices,
 * and their life: create through <type>/create, remove through
 * <uuid>/remove, as mdevctl does for its non-persistent devices. Opening
 * one is vfiodev_device_open_sysfs()'s (device.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

#define MDEV_DEVICES "bus/mdev/devices"
#define MDEV_PARENTS "class/mdev_bus"

struct names {
	char **v;
	size_t n;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* the entries of a sysfs directory, sorted; none when it is missing */
static int dir_names(const struct vfiodev_ctx *ctx, struct names *ns,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int dir_names(const struct vfiodev_ctx *ctx, struct names *ns,
		     const char *fmt, ...)
{
	char rel[384], path[512];
	size_t cap = 0;
	struct dirent *de;
	va_list ap;
	DIR *d;
	int n;

	ns->v = NULL;
	ns->n = 0;
	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel) ||
	    vfd_sysfs_path(ctx, path, sizeof(path), "%s", rel))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (ns->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(ns->v, nc * sizeof(*nv));

			if (!nv)
				goto oom;
			ns->v = nv;
			cap = nc;
		}
		ns->v[ns->n] = strdup(de->d_name);
		if (!ns->v[ns->n])
			goto oom;
		ns->n++;
	}
	closedir(d);
	if (ns->n)
		qsort(ns->v, ns->n, sizeof(*ns->v), name_cmp);
	return 0;
oom:
	closedir(d);
	names_free(ns);
	return -ENOMEM;
}

/* "a, b, c" of @ns into @buf, or @none */
static const char *names_text(const struct names *ns, char *buf, size_t len,
			      const char *none)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ns->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? ", " : "", ns->v[i]);
	return ns->n ? buf : none;
}

/* a name a caller gives for a sysfs directory entry: one component */
static bool entry_name_ok(const char *s)
{
	return s && *s && strlen(s) < VFIODEV_NAME_LEN && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

static void read_attr(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		      const char *dir, const char *attr)
{
	if (vfd_sysfs_read(ctx, buf, len, "%s/%s", dir, attr) < 0)
		buf[0] = '\0';
}

static int type_read(const struct vfiodev_ctx *ctx, const char *parent,
		     const char *id, struct vfiodev_mdev_type *t)
{
	char dir[256], buf[32];
	struct names devs;
	unsigned long v;
	const char *end;
	int ret;

	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(dir, sizeof(dir), MDEV_PARENTS "/%s/mdev_supported_types/%s",
		 parent, id);
	read_attr(ctx, t->name, sizeof(t->name), dir, "name");
	read_attr(ctx, t->description, sizeof(t->description), dir, "description");
	read_attr(ctx, t->device_api, sizeof(t->device_api), dir, "device_api");
	t->available_instances = -1;
	if (vfd_sysfs_read(ctx, buf, sizeof(buf), "%s/available_instances", dir) > 0 &&
	    !vfd_parse_dec(buf, INT32_MAX, &v, &end) && !*end)
		t->available_instances = (int64_t)v;
	ret = dir_names(ctx, &devs, "%s/devices", dir);
	if (ret)
		return ret;
	t->nr_devices = (uint32_t)devs.n;
	names_free(&devs);
	return 0;
}

static int parent_read(const struct vfiodev_ctx *ctx, const char *name,
		       struct vfiodev_mdev_parent *p)
{
	struct names types;
	int ret;

	snprintf(p->name, sizeof(p->name), "%s", name);
	if (vfd_sysfs_link_name(ctx, p->driver, sizeof(p->driver),
				MDEV_PARENTS "/%s/driver", name))
		p->driver[0] = '\0';
	ret = dir_names(ctx, &types, MDEV_PARENTS "/%s/mdev_supported_types", name);
	if (ret)
		return ret;
	if (types.n) {
		p->types = calloc(types.n, sizeof(*p->types));
		if (!p->types) {
			names_free(&types);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < types.n && !ret; i++)
		ret = type_read(ctx, name, types.v[i], &p->types[p->nr_types++]);
	names_free(&types);
	return ret;
}

/* parent and type of an mdev, from its mdev_type link:
 * .../<parent>/mdev_supported_types/<type> */
static void device_type_of(const struct vfiodev_ctx *ctx, const char *dir,
			   struct vfiodev_mdev_device *m)
{
	char path[512], target[512], *t, *p;
	ssize_t n;

	if (vfd_sysfs_path(ctx, path, sizeof(path), "%s/mdev_type", dir))
		return;
	n = sys_readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	t = strrchr(target, '/');
	if (!t)
		return;
	*t++ = '\0';
	if (strlen(t) >= sizeof(m->type))
		return;
	memcpy(m->type, t, strlen(t) + 1);
	p = strrchr(target, '/');
	if (!p || strcmp(p, "/mdev_supported_types"))
		return;
	*p = '\0';
	p = strrchr(target, '/');
	p = p ? p + 1 : target;
	if (strlen(p) < sizeof(m->parent))
		memcpy(m->parent, p, strlen(p) + 1);
}

static void device_read(const struct vfiodev_ctx *ctx, const char *uuid,
			struct vfiodev_mdev_device *m)
{
	char dir[128];
	int group;

	snprintf(m->uuid, sizeof(m->uuid), "%.36s", uuid);
	snprintf(dir, sizeof(dir), MDEV_DEVICES "/%.36s", uuid);
	device_type_of(ctx, dir, m);
	if (vfd_sysfs_link_name(ctx, m->driver, sizeof(m->driver), "%s/driver", dir))
		m->driver[0] = '\0';
	group = vfd_sysfs_dir_iommu_group(ctx, dir);
	m->iommu_group = group >= 0 ? group : -1;
	if (vfd_sysfs_dir_vfio_entry(ctx, dir, m->cdev, sizeof(m->cdev)))
		m->cdev[0] = '\0';
	snprintf(m->sysfs_path, sizeof(m->sysfs_path), "%s/%s", ctx->sysfs_root,
		 dir);
}

VFIODEV_EXPORT void vfiodev_mdev_list_free(struct vfiodev_mdev_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->nr_parents; i++)
		free(list->parents[i].types);
	free(list->parents);
	free(list->devices);
	free(list);
}

/* -ENODEV, logged with the parents there are, when @parent is not one */
static int parent_check(const struct vfiodev_ctx *ctx, const char *parent)
{
	char buf[256];
	struct names ps;

	if (entry_name_ok(parent) && vfd_sysfs_exists(ctx, MDEV_PARENTS) &&
	    !vfd_sysfs_path(ctx, buf, sizeof(buf), MDEV_PARENTS "/%s", parent) &&
	    !access(buf, F_OK))
		return 0;
	if (dir_names(ctx, &ps, MDEV_PARENTS))
		ps.n = 0;
	if (ps.n)
		vfd_err(ctx, "no mdev parent '%.64s' in %s/" MDEV_PARENTS " (parents: %s)",
			parent ? parent : "(null)", ctx->sysfs_root,
			names_text(&ps, buf, sizeof(buf), ""));
	else
		vfd_err(ctx,
			"no mdev parent '%.64s': %s/" MDEV_PARENTS
			" lists none (no mdev parent driver is loaded)",
			parent ? parent : "(null)", ctx->sysfs_root);
	names_free(&ps);
	return -ENODEV;
}

VFIODEV_EXPORT int vfiodev_mdev_scan(struct vfiodev_ctx *ctx,
				     const struct vfiodev_mdev_scan_opts *opts,
				     struct vfiodev_mdev_list **out)
{
	const char *only = NULL;
	struct vfiodev_mdev_list *l;
	struct names ps = { 0 }, ds = { 0 };
	int ret;

	if (!ctx)
		return -EINVAL;
	check_arg(ctx, out);
	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_mdev_scan_opts, parent),
			     "vfiodev_mdev_scan_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_mdev_scan_opts, parent))
		only = opts->parent;
	if (only && parent_check(ctx, only))
		return -ENODEV;
	l = calloc(1, sizeof(*l));
	if (!l) {
		vfd_err(ctx, "mdev scan: out of memory");
		return -ENOMEM;
	}
	ret = dir_names(ctx, &ps, MDEV_PARENTS);
	if (!ret && ps.n) {
		l->parents = calloc(ps.n, sizeof(*l->parents));
		if (!l->parents) {
			vfd_err(ctx, "mdev scan: out of memory for %zu parents",
				ps.n);
			ret = -ENOMEM;
		}
	}
	for (size_t i = 0; !ret && i < ps.n; i++)
		if (!only || !strcmp(only, ps.v[i]))
			ret = parent_read(ctx, ps.v[i],
					  &l->parents[l->nr_parents++]);
	if (!ret)
		ret = dir_names(ctx, &ds, MDEV_DEVICES);
	if (!ret && ds.n) {
		l->devices = calloc(ds.n, sizeof(*l->devices));
		if (!l->devices)
			ret = -ENOMEM;
	}
	for (size_t i = 0; !ret && i < ds.n; i++) {
		struct vfiodev_mdev_device *m = &l->devices[l->nr_devices];

		device_read(ctx, ds.v[i], m);
		if (!only || !strcmp(only, m->parent))
			l->nr_devices++;
		else
			memset(m, 0, sizeof(*m));
	}
	names_free(&ps);
	names_free(&ds);
	if (ret) {
		vfd_err(ctx, "listing mediated devices: %s", strerror(-ret));
		vfiodev_mdev_list_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

/* a random version 4 UUID, lower case */
static int uuid_random(const struct vfiodev_ctx *ctx, char out[VFIODEV_UUID_LEN])
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vfd_err(ctx, "mdev create: no random bytes for a UUID: %s",
				strerror(n < 0 ? errno : EIO));
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, VFIODEV_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* write @val to the attribute <sysfs>/@rel; -errno */
static int attr_write(const struct vfiodev_ctx *ctx, const char *rel, const char *val)
{
	char path[512];
	ssize_t n;
	int fd, ret;

	ret = vfd_sysfs_path(ctx, path, sizeof(path), "%s", rel);
	if (ret)
		return ret;
	fd = sys_open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	n = sys_write(fd, val, strlen(val));
	sys_close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == strlen(val) ? 0 : -EIO;
}

static const char *denied_hint(int err)
{
	return err == -EACCES || err == -EPERM ? " (writing it needs root)" : "";
}

VFIODEV_EXPORT int vfiodev_mdev_create(struct vfiodev_ctx *ctx,
				       const char *parent, const char *type,
				       const struct vfiodev_mdev_create_opts *opts,
				       char uuid[VFIODEV_UUID_LEN])
{
	char id[VFIODEV_UUID_LEN], tdir[256], rel[320], buf[256];
	uint8_t raw[16];
	unsigned long avail;
	const char *end;
	int ret;

	if (!ctx)
		return -EINVAL;
	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_mdev_create_opts, uuid),
			     "vfiodev_mdev_create_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_mdev_create_opts, uuid) && opts->uuid) {
		if (vfd_uuid_parse(opts->uuid, raw, id)) {
			vfd_err(ctx, "mdev create: '%.40s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
				opts->uuid);
			return -EINVAL;
		}
	} else {
		ret = uuid_random(ctx, id);
		if (ret)
			return ret;
	}
	ret = parent_check(ctx, parent);
	if (ret)
		return ret;
	snprintf(tdir, sizeof(tdir), MDEV_PARENTS "/%s/mdev_supported_types/%s",
		 parent, entry_name_ok(type) ? type : "");
	snprintf(rel, sizeof(rel), "%s/create", tdir);
	if (!entry_name_ok(type) || !vfd_sysfs_exists(ctx, rel)) {
		struct names ts;

		if (dir_names(ctx, &ts, MDEV_PARENTS "/%s/mdev_supported_types",
			      parent))
			ts.n = 0;
		vfd_err(ctx, "mdev parent %s has no type '%.64s' (its types: %s)",
			parent, type ? type : "(null)",
			names_text(&ts, buf, sizeof(buf), "none"));
		names_free(&ts);
		return -ENOENT;
	}
	if (vfd_sysfs_read(ctx, buf, sizeof(buf), "%s/available_instances", tdir) > 0 &&
	    !vfd_parse_dec(buf, INT32_MAX, &avail, &end) && !*end && !avail) {
		vfd_err(ctx, "mdev type %s of %s has no instances left (available_instances 0): remove one of its devices first",
			type, parent);
		return -ENOSPC;
	}
	snprintf(rel, sizeof(rel), MDEV_DEVICES "/%s", id);
	if (vfd_sysfs_exists(ctx, rel)) {
		vfd_err(ctx, "mdev create: a mediated device %s exists already", id);
		return -EEXIST;
	}
	snprintf(rel, sizeof(rel), "%s/create", tdir);
	ret = attr_write(ctx, rel, id);
	if (ret == -EUSERS || ret == -ENOSPC) {
		vfd_err(ctx, "mdev type %s of %s has no instances left (the kernel: %s)",
			type, parent, strerror(-ret));
		return -ENOSPC;
	}
	if (ret) {
		vfd_err(ctx, "mdev create %s of type %s on %s: %s/%s: %s%s", id,
			type, parent, ctx->sysfs_root, rel, strerror(-ret),
			ret == -EEXIST ? " (a device with this UUID exists)" :
					 denied_hint(ret));
		return ret;
	}
	vfd_info(ctx, "%s: created, type %s of %s", id, type, parent);
	if (uuid)
		memcpy(uuid, id, VFIODEV_UUID_LEN);
	return 0;
}

/*
 * Is the mdev open? Its group node cannot be opened while a program holds
 * it (through the group, or a cdev bound to iommufd: the kernel blocks the
 * group then). 0: not open; -EBUSY: open; other: cannot tell.
 */
static int mdev_open_probe(struct vfiodev_ctx *ctx, const char *dir, int *group,
			   char *node, size_t len)
{
	int fd;

	*group = vfd_sysfs_dir_iommu_group(ctx, dir);
	if (*group < 0)
		return *group;
	snprintf(node, len, "%s/vfio/%d", ctx->dev_root, *group);
	fd = sys_open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fd;
	sys_close(fd);
	return 0;
}

VFIODEV_EXPORT int vfiodev_mdev_remove(struct vfiodev_ctx *ctx, const char *uuid)
{
	char id[VFIODEV_UUID_LEN], dir[128], rel[160], node[256];
	uint8_t raw[16];
	int ret, group;

	if (!ctx)
		return -EINVAL;
	if (vfd_uuid_parse(uuid, raw, id)) {
		vfd_err(ctx, "mdev remove: '%.40s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			uuid ? uuid : "(null)");
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), MDEV_DEVICES "/%s", id);
	snprintf(rel, sizeof(rel), "%s/remove", dir);
	if (!vfd_sysfs_exists(ctx, rel)) {
		vfd_err(ctx, "%s: no such mediated device in %s/" MDEV_DEVICES,
			id, ctx->sysfs_root);
		return -ENODEV;
	}
	ret = mdev_open_probe(ctx, dir, &group, node, sizeof(node));
	if (ret == -EBUSY) {
		vfd_err(ctx, "%s: cannot remove: the device is open (its group %s is held by a program, this one or another); close it first (the kernel's remove would wait until it is closed)",
			id, node);
		return -EBUSY;
	}
	if (ret)
		vfd_warn(ctx, "%s: cannot tell whether the device is open (%s%s: %s): if it is, the removal waits until it is closed",
			 id, group >= 0 ? "group node " : "its IOMMU group",
			 group >= 0 ? node : "", strerror(-ret));
	ret = attr_write(ctx, rel, "1");
	if (ret) {
		vfd_err(ctx, "%s: %s/%s: %s%s", id, ctx->sysfs_root, rel,
			strerror(-ret), denied_hint(ret));
		return ret;
	}
	vfd_info(ctx, "%s: removed", id);
	return 0;
}
