// SPDX-License-Identifier: MIT
/*
 * lib/mdev.c on the fake kernel's mdev bus: parents, types and devices as
 * sysfs lays them out, create and remove with each refusal named (no such
 * parent or type, no instances left, a UUID taken, the device open), and
 * nothing written to the kernel for what was refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake.h"

#define UUID1 "8a4e2b3c-1d2e-4f50-9a1b-2c3d4e5f6a7b"
#define UUID2 "0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d"

/* mtty's two types, as 6.12 shows them (no description), and a second
 * parent with a description */
static void two_parents(void)
{
	fake_mdev_parent("mtty", NULL);
	fake_mdev_type("mtty", "mtty-1", "Single port serial", NULL, "vfio-pci", 24);
	fake_mdev_type("mtty", "mtty-2", "Dual port serial", NULL, "vfio-pci", 12);
	fake_mdev_parent("gpu0", "vgpu");
	fake_mdev_type("gpu0", "vgpu-a", "A", "framebuffer=1G\nheads=2\n",
		       "vfio-pci", 0);
}

static struct vfiodev_mdev_list *scan(const char *parent)
{
	VFIODEV_OPTS_INIT(vfiodev_mdev_scan_opts, opts);
	struct vfiodev_mdev_list *l = NULL;
	int ret;

	opts.parent = parent;
	ret = vfiodev_mdev_scan(fake_ctx(), &opts, &l);
	if (ret)
		fake_log_dump();
	assert_int_equal(ret, 0);
	assert_non_null(l);
	return l;
}

static void scan_lists_parents_types_and_devices(void **state)
{
	struct vfiodev_mdev_list *l;
	const struct vfiodev_mdev_parent *p;
	const struct vfiodev_mdev_device *m;

	(void)state;
	two_parents();
	fake_mdev_device("mtty", "mtty-2", UUID1, 30, 7);
	fake_mdev_device("mtty", "mtty-1", UUID2, 31, -1);
	l = scan(NULL);
	assert_int_equal(l->nr_parents, 2);
	p = &l->parents[0];
	assert_string_equal(p->name, "gpu0");
	assert_string_equal(p->driver, "vgpu");
	assert_int_equal(p->nr_types, 1);
	assert_string_equal(p->types[0].description, "framebuffer=1G\nheads=2");
	assert_int_equal(p->types[0].available_instances, 0);
	p = &l->parents[1];
	assert_string_equal(p->name, "mtty");
	assert_string_equal(p->driver, "");
	assert_int_equal(p->nr_types, 2);
	assert_string_equal(p->types[0].id, "mtty-1");
	assert_string_equal(p->types[0].name, "Single port serial");
	assert_string_equal(p->types[0].description, "");
	assert_string_equal(p->types[0].device_api, "vfio-pci");
	assert_int_equal(p->types[0].available_instances, 24);
	assert_int_equal(p->types[0].nr_devices, 1);
	assert_string_equal(p->types[1].id, "mtty-2");
	assert_int_equal(p->types[1].available_instances, 12);
	assert_int_equal(p->types[1].nr_devices, 1);

	assert_int_equal(l->nr_devices, 2);
	m = &l->devices[0]; /* sorted by UUID */
	assert_string_equal(m->uuid, UUID2);
	assert_string_equal(m->type, "mtty-1");
	assert_string_equal(m->cdev, "vfio0"); /* the entry, without a number */
	assert_int_equal(m->iommu_group, 31);
	m = &l->devices[1];
	assert_string_equal(m->uuid, UUID1);
	assert_string_equal(m->parent, "mtty");
	assert_string_equal(m->type, "mtty-2");
	assert_string_equal(m->driver, "mtty");
	assert_int_equal(m->iommu_group, 30);
	assert_string_equal(m->cdev, "vfio7");
	assert_string_equal(m->sysfs_path, fake_path("sys/bus/mdev/devices/" UUID1));
	vfiodev_mdev_list_free(l);

	/* one parent: its types and devices only */
	l = scan("gpu0");
	assert_int_equal(l->nr_parents, 1);
	assert_int_equal(l->nr_devices, 0);
	vfiodev_mdev_list_free(l);
}

static void scan_without_mdev_support_is_empty(void **state)
{
	struct vfiodev_mdev_list *l;

	(void)state;
	l = scan(NULL);
	assert_int_equal(l->nr_parents, 0);
	assert_int_equal(l->nr_devices, 0);
	vfiodev_mdev_list_free(l);
	vfiodev_mdev_list_free(NULL);
}

static void scan_of_an_unknown_parent_names_those_there_are(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_mdev_scan_opts, opts);
	struct vfiodev_mdev_list *l = NULL;

	(void)state;
	opts.parent = "mtty";
	assert_int_equal(vfiodev_mdev_scan(fake_ctx(), &opts, &l), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "no mdev parent 'mtty': "));
	assert_true(fake_log_has(LOG_ERR,
				 "lists none (no mdev parent driver is loaded)"));
	two_parents();
	opts.parent = "../mtty";
	assert_int_equal(vfiodev_mdev_scan(fake_ctx(), &opts, &l), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "(parents: gpu0, mtty)"));
	assert_null(l);
	assert_int_equal(vfiodev_mdev_scan(fake_ctx(), NULL, NULL), -EINVAL);
}

static int create(const char *parent, const char *type, const char *uuid,
		  char out[VFIODEV_UUID_LEN])
{
	VFIODEV_OPTS_INIT(vfiodev_mdev_create_opts, opts);

	opts.uuid = uuid;
	return vfiodev_mdev_create(fake_ctx(), parent, type, &opts, out);
}

static void create_makes_a_device_of_the_type(void **state)
{
	char id[VFIODEV_UUID_LEN];
	struct vfiodev_mdev_list *l;

	(void)state;
	two_parents();
	/* any case in, the kernel's lower case out */
	assert_int_equal(create("mtty", "mtty-2",
				"8A4E2B3C-1D2E-4F50-9A1B-2C3D4E5F6A7B", id),
			 0);
	assert_string_equal(id, UUID1);
	assert_true(fake_log_has(LOG_INFO, UUID1 ": created, type mtty-2 of mtty"));
	l = scan("mtty");
	assert_int_equal(l->nr_devices, 1);
	assert_string_equal(l->devices[0].uuid, UUID1);
	assert_string_equal(l->devices[0].type, "mtty-2");
	assert_int_equal(l->parents[0].types[1].available_instances, 11);
	vfiodev_mdev_list_free(l);
}

static void create_without_uuid_picks_a_random_v4_one(void **state)
{
	char a[VFIODEV_UUID_LEN], b[VFIODEV_UUID_LEN];
	uint8_t raw[16];
	char norm[37];

	(void)state;
	two_parents();
	assert_int_equal(vfiodev_mdev_create(fake_ctx(), "mtty", "mtty-1", NULL, a),
			 0);
	assert_int_equal(create("mtty", "mtty-1", NULL, b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(vfd_uuid_parse(a, raw, norm), 0);
	assert_string_equal(norm, a);
	assert_int_equal(a[14], '4'); /* version 4 */
	assert_true(strchr("89ab", a[19]) != NULL); /* RFC 4122 variant */
	assert_int_equal(fake_mdev_writes, 2);
}

static void create_names_what_is_missing_and_writes_nothing(void **state)
{
	char id[VFIODEV_UUID_LEN];

	(void)state;
	assert_int_equal(create("mtty", "mtty-2", UUID1, id), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "no mdev parent 'mtty'"));
	two_parents();
	assert_int_equal(create("mtty", "mtty-9", UUID1, id), -ENOENT);
	assert_true(fake_log_has(LOG_ERR,
				 "mdev parent mtty has no type 'mtty-9' (its types: mtty-1, mtty-2)"));
	assert_int_equal(create("mtty", "../../gpu0/mdev_supported_types/vgpu-a",
				UUID1, id),
			 -ENOENT);
	assert_int_equal(create("gpu0", "vgpu-a", UUID1, id), -ENOSPC);
	assert_true(fake_log_has(LOG_ERR,
				 "mdev type vgpu-a of gpu0 has no instances left (available_instances 0)"));
	assert_int_equal(create("mtty", "mtty-2", "not-a-uuid", id), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "'not-a-uuid' is not a UUID"));
	assert_int_equal(fake_mdev_writes, 0);
	assert_int_equal(create("mtty", "mtty-2", UUID1, id), 0);
	assert_int_equal(create("mtty", "mtty-1", UUID1, id), -EEXIST);
	assert_true(fake_log_has(LOG_ERR,
				 "a mediated device " UUID1 " exists already"));
	assert_int_equal(fake_mdev_writes, 1);
	assert_int_equal(vfiodev_mdev_create(NULL, "mtty", "mtty-1", NULL, id),
			 -EINVAL);
}

static void create_maps_the_kernels_refusals(void **state)
{
	char id[VFIODEV_UUID_LEN];

	(void)state;
	two_parents();
	fake_fail_open("mtty-1/create", EACCES);
	assert_int_equal(create("mtty", "mtty-1", UUID1, id), -EACCES);
	assert_true(fake_log_has(LOG_ERR, "(writing it needs root)"));
	fake_fail_open(NULL, 0);
	/* no available_instances to read first: the kernel's EUSERS is the
	 * same "no instances left" */
	fake_unlink("sys/devices/virtual/mtty/mtty/mdev_supported_types/mtty-1/available_instances");
	assert_int_equal(create("mtty", "mtty-1", UUID1, id), -ENOSPC);
	assert_true(fake_log_has(LOG_ERR,
				 "mdev type mtty-1 of mtty has no instances left (the kernel: "));
	assert_int_equal(fake_mdev_writes, 1);
}

static void remove_removes_the_device(void **state)
{
	struct vfiodev_mdev_list *l;

	(void)state;
	two_parents();
	fake_mdev_device("mtty", "mtty-2", UUID1, 30, 7);
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(),
					     "8A4E2B3C-1D2E-4F50-9A1B-2C3D4E5F6A7B"),
			 0);
	assert_true(fake_log_has(LOG_INFO, UUID1 ": removed"));
	l = scan(NULL);
	assert_int_equal(l->nr_devices, 0);
	vfiodev_mdev_list_free(l);
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(), UUID1), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, UUID1 ": no such mediated device"));
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(), "x"), -EINVAL);
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(), NULL), -EINVAL);
	assert_int_equal(fake_mdev_writes, 1);
}

/* open through @backend, then remove: refused while open, done after */
static void remove_refuses_an_open_device(enum vfiodev_backend backend)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *dev = NULL;

	two_parents();
	fake_mdev_device("mtty", "mtty-2", UUID1, 30, 7);
	opts.backend = backend;
	assert_int_equal(vfiodev_device_open_sysfs(fake_ctx(),
						   fake_path("sys/bus/mdev/devices/" UUID1),
						   &opts, &dev),
			 0);
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(), UUID1), -EBUSY);
	assert_true(fake_log_has(LOG_ERR,
				 UUID1 ": cannot remove: the device is open"));
	assert_int_equal(fake_mdev_writes, 0);
	assert_int_equal(fake_mdev_removes_while_open, 0);
	vfiodev_device_close(dev);
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(), UUID1), 0);
	assert_int_equal(fake_mdev_removes_while_open, 0);
}

static void remove_refuses_a_device_open_through_iommufd(void **state)
{
	(void)state;
	remove_refuses_an_open_device(VFIODEV_BACKEND_IOMMUFD);
}

static void remove_refuses_a_device_open_through_its_group(void **state)
{
	(void)state;
	remove_refuses_an_open_device(VFIODEV_BACKEND_CONTAINER);
}

static void remove_without_group_node_warns_and_removes(void **state)
{
	(void)state;
	two_parents();
	fake_mdev_device("mtty", "mtty-2", UUID1, 30, 7);
	fake_unlink("dev/vfio/30");
	assert_int_equal(vfiodev_mdev_remove(fake_ctx(), UUID1), 0);
	assert_true(fake_log_has(LOG_WARNING, UUID1
				 ": cannot tell whether the device is open"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(scan_lists_parents_types_and_devices),
		T(scan_without_mdev_support_is_empty),
		T(scan_of_an_unknown_parent_names_those_there_are),
		T(create_makes_a_device_of_the_type),
		T(create_without_uuid_picks_a_random_v4_one),
		T(create_names_what_is_missing_and_writes_nothing),
		T(create_maps_the_kernels_refusals),
		T(remove_removes_the_device),
		T(remove_refuses_a_device_open_through_iommufd),
		T(remove_refuses_a_device_open_through_its_group),
		T(remove_without_group_node_warns_and_removes),
	};

	return cmocka_run_group_tests_name("mdev", tests, NULL, NULL);
}
