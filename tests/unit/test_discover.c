// SPDX-License-Identifier: MIT
/*
 * Unit tests of lib/discover.c on fake sysfs trees: enumeration and its
 * filters, what a device's description holds (IDs, driver, override,
 * group members and which of them block, cdev and major:minor), and the
 * open paths it reports usable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/vfio.h>

#include "fake.h"

static void ids(const char *bdf, const char *vendor, const char *device,
		const char *class_code)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vendor", bdf);
	fake_write(rel, vendor);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/device", bdf);
	fake_write(rel, device);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/class", bdf);
	fake_write(rel, class_code);
}

/* the Type1 module present, so the container path does not depend on
 * whether the test runs as root (who could load it) */
static void type1_builtin(void)
{
	fake_mkdir("sys/module/vfio_iommu_type1/parameters");
}

static struct vfiodev_pci_device *lookup(const char *bdf)
{
	struct vfiodev_pci_device *d = NULL;

	assert_int_equal(vfiodev_pci_lookup(fake_ctx(), bdf, &d), 0);
	assert_non_null(d);
	return d;
}

static void scan_lists_devices_sorted_with_ids(void **state)
{
	struct vfiodev_pci_list *l;

	(void)state;
	fake_pci_add("0000:00:04.0", 4, "e1000e");
	fake_pci_add("0000:00:03.0", 3, NULL);
	fake_pci_add("0000:00:02.0", -1, NULL);
	ids("0000:00:03.0", "0x1234\n", "0x11e8\n", "0x00ff00\n");
	fake_mkdir("sys/bus/pci/devices/not-a-bdf");

	assert_int_equal(vfiodev_pci_scan(fake_ctx(), NULL, &l), 0);
	assert_int_equal(l->nr_devices, 3);
	assert_string_equal(l->devices[0]->bdf, "0000:00:02.0");
	assert_string_equal(l->devices[1]->bdf, "0000:00:03.0");
	assert_string_equal(l->devices[2]->bdf, "0000:00:04.0");
	assert_int_equal(l->devices[1]->vendor, 0x1234);
	assert_int_equal(l->devices[1]->device, 0x11e8);
	assert_int_equal(l->devices[1]->class_code, 0x00ff00);
	assert_string_equal(l->devices[2]->driver, "e1000e");
	assert_int_equal(l->devices[0]->iommu_group, -1);
	assert_int_equal(l->devices[0]->paths, 0);
	vfiodev_pci_list_free(l);
}

static void scan_filters_vfio_and_ids(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_pci_scan_opts, opts);
	struct vfiodev_pci_list *l;

	(void)state;
	fake_std_device("0000:00:03.0", 3, 0);
	fake_pci_add("0000:00:04.0", 4, "e1000e");
	fake_pci_add("0000:00:05.0", 5, NULL);
	ids("0000:00:03.0", "0x1234", "0x11e8", "0x00ff00");
	ids("0000:00:04.0", "0x8086", "0x10d3", "0x020000");
	ids("0000:00:05.0", "0x1234", "0x1111", "0x030000");

	opts.vfio_only = true;
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), &opts, &l), 0);
	assert_int_equal(l->nr_devices, 1);
	assert_string_equal(l->devices[0]->bdf, "0000:00:03.0");
	vfiodev_pci_list_free(l);

	opts.vfio_only = false;
	opts.vendor = 0x1234;
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), &opts, &l), 0);
	assert_int_equal(l->nr_devices, 2);
	vfiodev_pci_list_free(l);

	opts.device = 0x1111;
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), &opts, &l), 0);
	assert_int_equal(l->nr_devices, 1);
	assert_string_equal(l->devices[0]->bdf, "0000:00:05.0");
	vfiodev_pci_list_free(l);
}

static void scan_without_pci_bus_fails(void **state)
{
	struct vfiodev_pci_list *l = NULL;

	(void)state;
	rmdir(fake_path("sys/bus/pci/devices"));
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), NULL, &l), -ENOENT);
	assert_null(l);
	assert_true(fake_log_has(LOG_ERR, "enumerating PCI devices"));
}

static void scan_refuses_unknown_opts(void **state)
{
	struct {
		struct vfiodev_pci_scan_opts o;
		long future;
	} big = { .o = { .sz = sizeof(big) }, .future = 7 };
	struct vfiodev_pci_list *l = NULL;

	(void)state;
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), &big.o, &l), -EINVAL);
	big.future = 0;
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), &big.o, &l), 0);
	vfiodev_pci_list_free(l);
}

static void lookup_lists_group_members_and_blockers(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	/* both paths would open it, but for the blocker */
	type1_builtin();
	fake_std_device("0000:01:01.0", 5, 0);
	fake_pci_add("0000:01:02.0", 5, "virtio-pci");
	fake_pci_add("0000:01:00.0", 5, "pcieport");
	fake_pci_add("0000:01:03.0", 5, NULL);
	fake_pci_add("0000:01:04.0", 5, "pci-stub");

	d = lookup("01:01.0");
	assert_int_equal(d->iommu_group, 5);
	assert_false(d->noiommu);
	assert_int_equal(d->nr_members, 5);
	assert_string_equal(d->members[0].bdf, "0000:01:00.0");
	assert_string_equal(d->members[0].driver, "pcieport");
	assert_false(d->members[0].blocking);
	assert_string_equal(d->members[1].bdf, "0000:01:01.0");
	assert_false(d->members[1].blocking);
	assert_string_equal(d->members[2].driver, "virtio-pci");
	assert_true(d->members[2].blocking);
	assert_string_equal(d->members[3].driver, "");
	assert_false(d->members[3].blocking);
	assert_false(d->members[4].blocking);
	for (size_t i = 0; i < d->nr_members; i++)
		for (size_t r = 0; r < ARRAY_SIZE(d->members[i].reserved); r++)
			assert_int_equal(d->members[i].reserved[r], 0);
	/* a blocked group opens no path */
	assert_int_equal(d->paths, 0);
	vfiodev_pci_device_free(d);

	/* the blocker released: both paths */
	fake_unlink("sys/bus/pci/devices/0000:01:02.0/driver");
	d = lookup("01:01.0");
	assert_false(d->members[2].blocking);
	assert_int_equal(d->paths, VFIODEV_PATH_IOMMUFD | VFIODEV_PATH_CONTAINER);
	vfiodev_pci_device_free(d);
}

/* a member whose name does not fit a BDF still counts: its driver is
 * read, and a host driver makes the membership unknown, so not viable */
static void lookup_long_member_name_is_not_skipped(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	fake_std_device("0000:01:01.0", 5, 0);
	fake_pci_add("platform-dma-engine.0", 5, "dw-dmac");
	d = lookup("01:01.0");
	assert_true(d->members_unknown);
	assert_int_equal(d->paths, 0);
	vfiodev_pci_device_free(d);

	/* without a driver it blocks nothing */
	fake_unlink("sys/bus/pci/devices/platform-dma-engine.0/driver");
	d = lookup("01:01.0");
	assert_false(d->members_unknown);
	assert_int_equal(d->paths, VFIODEV_PATH_IOMMUFD | VFIODEV_PATH_CONTAINER);
	vfiodev_pci_device_free(d);
}

/* a driver link that cannot be read may name a host driver: it blocks */
static void lookup_unreadable_driver_link_blocks(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	fake_std_device("0000:01:01.0", 5, 0);
	/* longer than any driver name the library takes: ENAMETOOLONG */
	fake_pci_add("0000:01:02.0", 5,
		     "a_driver_whose_name_is_much_longer_than_sixty_four_characters_in_all");
	d = lookup("01:01.0");
	assert_int_equal(d->nr_members, 2);
	assert_string_equal(d->members[1].driver, "");
	assert_true(d->members[1].blocking);
	assert_int_equal(d->paths, 0);
	vfiodev_pci_device_free(d);
}

/* a group whose members cannot be listed is no viable group */
static void lookup_unreadable_members_are_unknown(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	fake_std_device("0000:00:03.0", 6, 0);
	fake_unlink("sys/kernel/iommu_groups/6/devices/0000:00:03.0");
	assert_int_equal(rmdir(fake_path("sys/kernel/iommu_groups/6/devices")), 0);
	fake_write("sys/kernel/iommu_groups/6/devices", "");
	d = lookup("0000:00:03.0");
	assert_int_equal(d->iommu_group, 6);
	assert_int_equal(d->nr_members, 0);
	assert_true(d->members_unknown);
	assert_int_equal(d->paths, 0);
	vfiodev_pci_device_free(d);
}

static void lookup_reports_cdev_and_both_paths(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	fake_std_device("0000:00:03.0", 3, 2);
	fake_write("sys/bus/pci/devices/0000:00:03.0/reset_method", "flr bus\n");
	d = lookup("0000:00:03.0");
	assert_string_equal(d->driver, "vfio-pci");
	assert_string_equal(d->cdev, "vfio2");
	assert_true(d->has_cdev_devnum);
	assert_int_equal(d->cdev_major, FAKE_CDEV_MAJOR);
	assert_int_equal(d->cdev_minor, 2);
	assert_string_equal(d->reset_methods, "flr bus");
	assert_int_equal(d->paths, VFIODEV_PATH_IOMMUFD | VFIODEV_PATH_CONTAINER);
	vfiodev_pci_device_free(d);
}

static void lookup_kernel_without_cdev_has_container_only(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	fake_std_device("0000:00:03.0", 3, -1);
	/* Debian's 6.12: the class device exists, without a dev attribute */
	fake_mkdir("sys/bus/pci/devices/0000:00:03.0/vfio-dev/vfio0");
	d = lookup("0000:00:03.0");
	assert_string_equal(d->cdev, "vfio0");
	assert_false(d->has_cdev_devnum);
	assert_int_equal(d->paths, VFIODEV_PATH_CONTAINER);
	vfiodev_pci_device_free(d);
}

static void lookup_wrong_cdev_node_loses_iommufd_path(void **state)
{
	struct fake_pci *p;
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	p = fake_std_device("0000:00:03.0", 3, -1);
	fake_pci_cdev_sysfs(p, 0);
	fake_node_cdev(p, "dev/vfio/devices/vfio0", makedev(FAKE_CDEV_MAJOR, 9));
	d = lookup("0000:00:03.0");
	assert_int_equal(d->paths, VFIODEV_PATH_CONTAINER);
	vfiodev_pci_device_free(d);
}

static void lookup_noiommu_group(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	fake_pci_add("0000:00:03.0", 0, "vfio-pci");
	fake_group_noiommu(0);
	fake_node_container();
	d = lookup("0000:00:03.0");
	assert_true(d->noiommu);
	assert_int_equal(d->iommu_group, 0);
	/* opening a noiommu group takes CAP_SYS_RAWIO */
	assert_int_equal(d->paths, geteuid() == 0 ? VFIODEV_PATH_NOIOMMU : 0);
	vfiodev_pci_device_free(d);
}

static void lookup_unbound_device_has_no_path(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	type1_builtin();
	fake_pci_add("0000:00:03.0", 3, NULL);
	fake_group_node(3);
	fake_node_container();
	d = lookup("0000:00:03.0");
	assert_string_equal(d->driver, "");
	assert_int_equal(d->paths, 0);
	vfiodev_pci_device_free(d);
}

static void lookup_unset_override_is_empty(void **state)
{
	struct vfiodev_pci_device *d;

	(void)state;
	fake_pci_add("0000:00:03.0", 3, NULL);
	fake_write("sys/bus/pci/devices/0000:00:03.0/driver_override", "(null)\n");
	d = lookup("0000:00:03.0");
	assert_string_equal(d->driver_override, "");
	vfiodev_pci_device_free(d);
	fake_write("sys/bus/pci/devices/0000:00:03.0/driver_override", "vfio-pci\n");
	d = lookup("0000:00:03.0");
	assert_string_equal(d->driver_override, "vfio-pci");
	vfiodev_pci_device_free(d);
}

static void lookup_bad_arguments(void **state)
{
	struct vfiodev_pci_device *d = NULL;

	(void)state;
	assert_int_equal(vfiodev_pci_lookup(fake_ctx(), "0000:00:3.0", &d), -EINVAL);
	assert_int_equal(vfiodev_pci_lookup(fake_ctx(), "0000:00:03.0", &d),
			 -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "no such PCI device"));
	assert_null(d);
	assert_int_equal(vfiodev_pci_lookup(fake_ctx(), "0000:00:03.0", NULL),
			 -EINVAL);
	assert_int_equal(vfiodev_pci_lookup(NULL, "0000:00:03.0", &d), -EINVAL);
	vfiodev_pci_device_free(NULL);
	vfiodev_pci_list_free(NULL);
}

static void discovery_opens_no_vfio_node(void **state)
{
	struct vfiodev_pci_list *l;

	(void)state;
	type1_builtin();
	fake_std_device("0000:00:03.0", 3, 0);
	assert_int_equal(vfiodev_pci_scan(fake_ctx(), NULL, &l), 0);
	assert_int_equal(l->nr_devices, 1);
	vfiodev_pci_list_free(l);
	/* nodes are only stat()ed: no ioctl reached the fake kernel */
	assert_int_equal(fake_ioctl_count(VFIO_GROUP_GET_STATUS), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_BIND_IOMMUFD), 0);
	assert_int_equal(fake_ioctl_count(VFIO_GET_API_VERSION), 0);
	{
		struct fake_live live;

		fake_live(&live);
		assert_int_equal(live.files, 0);
		assert_int_equal(live.bindings, 0);
		assert_int_equal(live.groups_in_container, 0);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(scan_lists_devices_sorted_with_ids),
		T(scan_filters_vfio_and_ids),
		T(scan_without_pci_bus_fails),
		T(scan_refuses_unknown_opts),
		T(lookup_lists_group_members_and_blockers),
		T(lookup_long_member_name_is_not_skipped),
		T(lookup_unreadable_members_are_unknown),
		T(lookup_unreadable_driver_link_blocks),
		T(lookup_reports_cdev_and_both_paths),
		T(lookup_kernel_without_cdev_has_container_only),
		T(lookup_wrong_cdev_node_loses_iommufd_path),
		T(lookup_noiommu_group),
		T(lookup_unbound_device_has_no_path),
		T(lookup_unset_override_is_empty),
		T(lookup_bad_arguments),
		T(discovery_opens_no_vfio_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
