// SPDX-License-Identifier: MIT
/*
 * The sysfs model of one PCI device: its IDs, driver and driver_override,
 * reset methods, IOMMU group and the group's members (and which of them
 * block it), and its vfio cdev.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "internal.h"

static unsigned long read_hex(const struct vfiodev_ctx *ctx, const char *bdf,
			      const char *attr)
{
	char buf[32];

	if (vfd_sysfs_read(ctx, buf, sizeof(buf), "bus/pci/devices/%s/%s", bdf,
			   attr) <= 0)
		return 0;
	return strtoul(buf, NULL, 16);
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct vfiodev_pci_member *)a)->bdf,
		      ((const struct vfiodev_pci_member *)b)->bdf);
}

/*
 * The members of @d's group. What cannot be read may hide a blocker, so
 * it counts as one rather than as nothing: a member whose driver link is
 * unreadable blocks (its driver ""), and a group that cannot be listed, or
 * a member whose name does not fit a struct vfiodev_pci_member and that
 * has (or may have) a host driver, makes the membership unknown.
 */
static int read_members(const struct vfiodev_ctx *ctx, struct vfiodev_pci_device *d)
{
	char path[512], driver[VFIODEV_NAME_LEN];
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int ret = 0, err;

	if (vfd_sysfs_path(ctx, path, sizeof(path),
			   "kernel/iommu_groups/%d/devices", d->iommu_group) ||
	    !(dir = opendir(path))) {
		d->members_unknown = true;
		return 0;
	}
	while ((de = readdir(dir))) {
		struct vfiodev_pci_member *m;
		bool unreadable;

		if (de->d_name[0] == '.')
			continue;
		err = vfd_sysfs_link_name(ctx, driver, sizeof(driver),
					  "kernel/iommu_groups/%d/devices/%s/driver",
					  d->iommu_group, de->d_name);
		if (err)
			driver[0] = '\0';
		/* a link there but unreadable: a driver we cannot name */
		unreadable = err && err != -ENOENT;
		if (strlen(de->d_name) >= sizeof(m->bdf)) {
			if (unreadable || !vfd_driver_keeps_group_viable(driver))
				d->members_unknown = true;
			continue;
		}
		if (d->nr_members == cap) {
			size_t ncap = cap ? cap * 2 : 4;

			m = realloc(d->members, ncap * sizeof(*m));
			if (!m) {
				ret = -ENOMEM;
				break;
			}
			d->members = m;
			cap = ncap;
		}
		m = &d->members[d->nr_members++];
		memset(m, 0, sizeof(*m));
		strcpy(m->bdf, de->d_name);
		strcpy(m->driver, driver);
		m->blocking = unreadable ||
			      !vfd_driver_keeps_group_viable(m->driver);
	}
	closedir(dir);
	if (d->nr_members > 1)
		qsort(d->members, d->nr_members, sizeof(*d->members), cmp_member);
	return ret;
}

/* vfio-dev/vfioN, and its major:minor when the kernel has the cdev */
static void read_cdev(const struct vfiodev_ctx *ctx, struct vfiodev_pci_device *d)
{
	dev_t devnum;

	if (vfd_sysfs_vfio_dev_entry(ctx, d->bdf, d->cdev, sizeof(d->cdev)) ||
	    vfd_sysfs_vfio_cdev_devnum(ctx, d->bdf, d->cdev, &devnum))
		return;
	d->has_cdev_devnum = true;
	d->cdev_major = major(devnum);
	d->cdev_minor = minor(devnum);
}

void vfd_pci_device_clear(struct vfiodev_pci_device *d)
{
	free(d->members);
	d->members = NULL;
	d->nr_members = 0;
}

int vfd_pci_device_read(const struct vfiodev_ctx *ctx, const char *bdf,
			struct vfiodev_pci_device *d)
{
	char name[64];
	int ret;

	memset(d, 0, sizeof(*d));
	d->iommu_group = -1;
	if (strlen(bdf) >= sizeof(d->bdf) || vfd_sysfs_device_exists(ctx, bdf))
		return -ENODEV;
	strcpy(d->bdf, bdf);
	d->vendor = (uint16_t)read_hex(ctx, bdf, "vendor");
	d->device = (uint16_t)read_hex(ctx, bdf, "device");
	d->subsystem_vendor = (uint16_t)read_hex(ctx, bdf, "subsystem_vendor");
	d->subsystem_device = (uint16_t)read_hex(ctx, bdf, "subsystem_device");
	d->class_code = (uint32_t)read_hex(ctx, bdf, "class");
	if (vfd_sysfs_link_name(ctx, d->driver, sizeof(d->driver),
				"bus/pci/devices/%s/driver", bdf))
		d->driver[0] = '\0';
	/* the kernel shows an unset override as "(null)" */
	if (vfd_sysfs_read(ctx, d->driver_override, sizeof(d->driver_override),
			   "bus/pci/devices/%s/driver_override", bdf) < 0 ||
	    !strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	if (vfd_sysfs_read(ctx, d->reset_methods, sizeof(d->reset_methods),
			   "bus/pci/devices/%s/reset_method", bdf) < 0)
		d->reset_methods[0] = '\0';
	ret = vfd_sysfs_iommu_group(ctx, bdf);
	if (ret >= 0) {
		d->iommu_group = ret;
		d->noiommu = vfd_sysfs_read(ctx, name, sizeof(name),
					    "kernel/iommu_groups/%d/name", ret) > 0 &&
			     !strcmp(name, "vfio-noiommu");
		ret = read_members(ctx, d);
		if (ret) {
			vfd_pci_device_clear(d);
			return ret;
		}
	}
	read_cdev(ctx, d);
	return 0;
}

/* the paths the calling process could open now, with no findings kept */
