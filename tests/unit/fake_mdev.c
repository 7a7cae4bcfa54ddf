// SPDX-License-Identifier: MIT
/*
 * The fake kernel's mediated devices: mdev parents, their types and
 * devices in sysfs as drivers/vfio/mdev lays them out, each device with an
 * emulated IOMMU group of its own, and the create and remove attributes
 * acting on writes.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fake_priv.h"

/* fixture paths are short; the buffers are sized for them */
#pragma GCC diagnostic ignored "-Wformat-truncation"

unsigned int fake_mdev_removes_while_open;
unsigned int fake_mdev_writes;

static void die(const char *what)
{
	perror(what);
	abort();
}

/* the parent's directory: sys/devices/virtual/<parent>/<parent>, as the
 * samples register theirs (mtty: a device "mtty" of class "mtty") */
static const char *parent_dir(const char *parent)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "sys/devices/virtual/%s/%s", parent, parent);
	return buf;
}

void fake_mdev_parent(const char *parent, const char *driver)
{
	char rel[256], link[256];

	fake_mkdir(parent_dir(parent));
	fake_mkdir("sys/bus/mdev/devices");
	snprintf(link, sizeof(link), "sys/class/mdev_bus/%s", parent);
	fake_symlink(parent_dir(parent), link);
	if (driver) {
		snprintf(rel, sizeof(rel), "sys/bus/platform/drivers/%s", driver);
		fake_mkdir(rel);
		snprintf(link, sizeof(link), "%s/driver", parent_dir(parent));
		fake_symlink(rel, link);
	}
}

void fake_mdev_type(const char *parent, const char *id, const char *name,
		    const char *description, const char *device_api, int available)
{
	char dir[320], rel[400], val[64];

	snprintf(dir, sizeof(dir), "%s/mdev_supported_types/%s",
		 parent_dir(parent), id);
	snprintf(rel, sizeof(rel), "%s/devices", dir);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "%s/create", dir);
	fake_write(rel, "");
	snprintf(rel, sizeof(rel), "%s/name", dir);
	snprintf(val, sizeof(val), "%s\n", name);
	fake_write(rel, val);
	if (description) {
		snprintf(rel, sizeof(rel), "%s/description", dir);
		fake_write(rel, description);
	}
	snprintf(rel, sizeof(rel), "%s/device_api", dir);
	snprintf(val, sizeof(val), "%s\n", device_api);
	fake_write(rel, val);
	snprintf(rel, sizeof(rel), "%s/available_instances", dir);
	snprintf(val, sizeof(val), "%d\n", available);
	fake_write(rel, val);
}

struct fake_pci *fake_mdev_device(const char *parent, const char *type,
				  const char *uuid, int group, int cdev_index)
{
	char dir[320], rel[400], link[400], val[32];
	struct fake_pci *p;
	struct fake_group *g;

	snprintf(dir, sizeof(dir), "%s/%s", parent_dir(parent), uuid);
	fake_mkdir(dir);
	snprintf(link, sizeof(link), "sys/bus/mdev/devices/%s", uuid);
	fake_symlink(dir, link);
	snprintf(link, sizeof(link), "%s/subsystem", dir);
	fake_symlink("sys/bus/mdev", link);
	snprintf(rel, sizeof(rel), "sys/bus/mdev/drivers/%s", parent);
	fake_mkdir(rel);
	snprintf(link, sizeof(link), "%s/driver", dir);
	fake_symlink(rel, link);
	snprintf(rel, sizeof(rel), "%s/mdev_supported_types/%s",
		 parent_dir(parent), type);
	snprintf(link, sizeof(link), "%s/mdev_type", dir);
	fake_symlink(rel, link);
	snprintf(link, sizeof(link), "%s/devices/%s", rel, uuid);
	fake_symlink(dir, link);
	snprintf(rel, sizeof(rel), "%s/remove", dir);
	fake_write(rel, "");

	/* vfio_register_emulated_iommu_dev(): a group of its own, named as
	 * a noiommu one, whose node has no noiommu- prefix */
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d", group);
	fake_mkdir(rel);
	snprintf(link, sizeof(link), "%s/name", rel);
	fake_write(link, "vfio-noiommu\n");
	snprintf(link, sizeof(link), "%s/devices/%s", rel, uuid);
	fake_symlink(dir, link);
	snprintf(link, sizeof(link), "%s/iommu_group", dir);
	fake_symlink(rel, link);
	g = fake_group_node(group);
	g->noiommu = false;

	p = fake_pci_add(uuid, -1, NULL);
	/* fake_pci_add() made a PCI device directory: not an mdev's */
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", uuid);
	rmdir(fake_path("%s", rel));
	p->group = group;
	p->emulated = true;
	p->vfio_driver = false;
	p->flags &= ~(uint32_t)VFIO_DEVICE_FLAGS_RESET; /* mtty's */
	/* vfio-dev/vfioN is there on every kernel since 6.1; its number
	 * only with CONFIG_VFIO_DEVICE_CDEV (@cdev_index >= 0) */
	snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d", dir,
		 cdev_index >= 0 ? cdev_index : 0);
	fake_mkdir(rel);
	if (cdev_index >= 0) {
		p->cdev_index = cdev_index;
		p->cdev_rdev = makedev(FAKE_CDEV_MAJOR, (unsigned int)cdev_index);
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d/dev", dir,
			 cdev_index);
		snprintf(val, sizeof(val), "%d:%d\n", FAKE_CDEV_MAJOR, cdev_index);
		fake_write(rel, val);
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d", dir, cdev_index);
		snprintf(link, sizeof(link), "sys/dev/char/%d:%d",
			 FAKE_CDEV_MAJOR, cdev_index);
		fake_symlink(rel, link);
		snprintf(rel, sizeof(rel), "dev/vfio/devices/vfio%d", cdev_index);
		fake_node_cdev(p, rel, p->cdev_rdev);
	}
	if (!fake_node_lookup(fake_path("dev/vfio/vfio")))
		fake_node_container();
	if (!fake_node_lookup(fake_path("dev/iommu")))
		fake_node_iommu();
	return p;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), sl = strlen(suffix);

	return l >= sl && !strcmp(s + l - sl, suffix);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* the number in @rel's file, and a new value written back */
static int counter(const char *abs, int delta)
{
	char buf[32] = "";
	FILE *f = fopen(abs, "re");
	int v;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	v = atoi(buf);
	if (delta) {
		f = fopen(abs, "we");
		if (!f)
			die(abs);
		fprintf(f, "%d\n", v + delta);
		fclose(f);
	}
	return v;
}

/* <root>/sys/devices/virtual/<parent>/<parent>/mdev_supported_types/<type>/create */
static int mdev_create(const char *path, const char *buf, size_t len)
{
	char uuid[64], parent[64], type[64], tmp[PATH_MAX], *p;
	static int next;
	size_t n = len;

	if (n && buf[n - 1] == '\n')
		n--;
	if (n != 36)
		return -EINVAL;
	memcpy(uuid, buf, 36);
	uuid[36] = '\0';
	snprintf(tmp, sizeof(tmp), "%s", path);
	*strrchr(tmp, '/') = '\0'; /* .../<type> */
	p = strrchr(tmp, '/');
	snprintf(type, sizeof(type), "%s", p + 1);
	*p = '\0'; /* .../mdev_supported_types */
	*strrchr(tmp, '/') = '\0';
	p = strrchr(tmp, '/');
	snprintf(parent, sizeof(parent), "%s", p + 1);
	if (fake_pci_find(uuid))
		return -EEXIST;
	snprintf(tmp, sizeof(tmp), "%s", path);
	strcpy(strrchr(tmp, '/'), "/available_instances");
	if (counter(tmp, 0) <= 0)
		return -EUSERS;
	counter(tmp, -1);
	fake_mdev_device(parent, type, uuid, 200 + next, 100 + next);
	next++;
	return (int)len;
}

/* <root>/sys/devices/virtual/<parent>/<parent>/<uuid>/remove */
static int mdev_remove(const char *path, const char *buf, size_t len)
{
	char dir[PATH_MAX], uuid[64], tmp[PATH_MAX], target[PATH_MAX];
	struct fake_pci *p;
	ssize_t n;

	if (!len || buf[0] != '1')
		return (int)len;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	snprintf(uuid, sizeof(uuid), "%s", strrchr(dir, '/') + 1);
	p = fake_pci_find(uuid);
	if (!p)
		return -ENODEV;
	if (p->open_count) {
		fake_mdev_removes_while_open++;
		return -EDEADLK;
	}
	/* the type's available_instances back, its devices link gone */
	snprintf(tmp, sizeof(tmp), "%s/mdev_type", dir);
	n = readlink(tmp, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		snprintf(tmp, sizeof(tmp), "%s/available_instances", target);
		counter(tmp, 1);
		snprintf(tmp, sizeof(tmp), "%s/devices/%s", target, uuid);
		unlink(tmp);
	}
	unlink(fake_path("sys/bus/mdev/devices/%s", uuid));
	if (p->cdev_index >= 0) {
		unlink(fake_path("sys/dev/char/%d:%d", FAKE_CDEV_MAJOR,
				 p->cdev_index));
		unlink(fake_path("dev/vfio/devices/vfio%d", p->cdev_index));
	}
	unlink(fake_path("dev/vfio/%d", p->group));
	nftw(fake_path("sys/kernel/iommu_groups/%d", p->group), rm_entry, 8,
	     FTW_DEPTH | FTW_PHYS);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	snprintf(p->bdf, sizeof(p->bdf), "(removed)");
	return (int)len;
}

ssize_t fake_mdev_write(int fd, const void *buf, size_t len)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (fake_file_of(fd))
		return -ENOTTY;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return -ENOTTY;
	path[n] = '\0';
	if (strncmp(path, fk.root, strlen(fk.root)))
		return -ENOTTY;
	if (ends_with(path, "/create") && strstr(path, "/mdev_supported_types/")) {
		fake_mdev_writes++;
		return mdev_create(path, buf, len);
	}
	if (ends_with(path, "/remove")) {
		char tl[PATH_MAX + 16];
		struct stat st;

		snprintf(tl, sizeof(tl), "%s", path);
		strcpy(strrchr(tl, '/'), "/mdev_type");
		if (!lstat(tl, &st)) {
			fake_mdev_writes++;
			return mdev_remove(path, buf, len);
		}
	}
	return -ENOTTY;
}
