// SPDX-License-Identifier: MIT
/*
 * lib/reset.c: the devices a slot or bus reset takes with it, whether the
 * context holds each, and the reset with the proof of ownership of each
 * path (iommufd: no group fds; group: every affected group's fd). A refusal
 * names every device in the way and never reaches the kernel's reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <syslog.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:01:00.0"
#define BDF2 "0000:01:00.1"
#define BDF3 "0000:01:00.2"

/* two functions on one bus; @cdev: with vfio cdevs (the iommufd path) */
static void pair(bool cdev, int group2, struct fake_pci **a, struct fake_pci **b)
{
	*a = fake_std_device(BDF, 5, cdev ? 0 : -1);
	*b = fake_std_device(BDF2, group2, cdev ? 1 : -1);
	(*a)->reset_bus = (*b)->reset_bus = 1;
}

static void info_names_every_affected_device(void **state)
{
	struct vfiodev_reset_peer peers[4];
	struct vfiodev_device *a, *b;
	struct fake_pci *pa, *pb;
	size_t n = 4;

	(void)state;
	pair(true, 6, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	b = fixture_open_into(BDF2, NULL, VFIODEV_BACKEND_IOMMUFD);
	memset(peers, 0xa5, sizeof(peers));
	assert_int_equal(vfiodev_device_hot_reset_info(a, peers, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(peers[i].bdf, i ? BDF : BDF2);
		assert_int_equal(peers[i].group, i ? 5 : 6);
		assert_int_equal(peers[i].flags, VFIODEV_RESET_PEER_HELD |
							 VFIODEV_RESET_PEER_VFIO);
		for (size_t k = 0; k < 4; k++)
			assert_int_equal(peers[i].reserved[k], 0);
	}
	vfiodev_device_close(b);
	/* closed: no longer held, still bound to vfio-pci */
	n = 4;
	assert_int_equal(vfiodev_device_hot_reset_info(a, peers, &n), 0);
	assert_int_equal(peers[0].flags, VFIODEV_RESET_PEER_VFIO);
	vfiodev_device_close(a);
}

static void info_says_how_much_room_it_needs(void **state)
{
	struct vfiodev_reset_peer peers[12];
	struct vfiodev_device *a;
	struct fake_pci *pa, *pb;
	char bdf[32];
	size_t n = 0;

	(void)state;
	pair(false, 6, &pa, &pb);
	/* ten peers: more than the library's first guess of room */
	for (int i = 0; i < 8; i++) {
		snprintf(bdf, sizeof(bdf), "0000:01:%02x.0", i + 1);
		fake_pci_add(bdf, 10 + i, "vfio-pci")->reset_bus = 1;
	}
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_device_hot_reset_info(a, NULL, &n), -ENOSPC);
	assert_int_equal(n, 10);
	n = 3;
	assert_int_equal(vfiodev_device_hot_reset_info(a, peers, &n), -ENOSPC);
	assert_int_equal(n, 10);
	assert_int_equal(vfiodev_device_hot_reset_info(a, peers, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(vfiodev_device_hot_reset_info(a, NULL, &n), -EINVAL);
	vfiodev_device_close(a);
}

static void reset_on_iommufd_passes_no_group_fds(void **state)
{
	struct vfiodev_device *a, *b;
	struct fake_pci *pa, *pb;

	(void)state;
	pair(true, 6, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	b = fixture_open_into(BDF2, NULL, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_device_hot_reset(a), 0);
	assert_int_equal(pa->hot_resets, 1);
	assert_int_equal(pb->hot_resets, 1);
	assert_true(fake_log_has(LOG_INFO, "iommufd: no group fds"));
	vfiodev_device_close(a);
	vfiodev_device_close(b);
}

static void reset_on_iommufd_accepts_a_peer_of_an_owned_group(void **state)
{
	struct vfiodev_device *a;
	struct fake_pci *pa, *pb;

	(void)state;
	/* the kernel counts the peer as ours: its group's DMA ownership
	 * came with the bound device of the same group */
	pair(true, 5, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_device_hot_reset(a), 0);
	assert_int_equal(pb->hot_resets, 1);
	vfiodev_device_close(a);
}

static void reset_on_iommufd_names_the_device_not_held(void **state)
{
	struct vfiodev_device *a;
	struct fake_pci *pa, *pb;
	char want[128];

	(void)state;
	pair(true, 6, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_device_hot_reset(a), -EPERM);
	snprintf(want, sizeof(want),
		 "%s is not bound to this context's /dev/iommu", BDF2);
	assert_true(fake_log_has(LOG_ERR, want));
	/* checked first: the kernel's reset was never asked */
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_PCI_HOT_RESET), 0);
	assert_int_equal(pa->hot_resets, 0);
	vfiodev_device_close(a);
}

static void reset_on_the_group_path_passes_every_groups_fd(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *a, *b;
	struct vfiodev_space *other;
	struct fake_pci *pa, *pb;
	int fds;

	(void)state;
	pair(false, 6, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	/* the other group is held by another space of the context */
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &other), 0);
	opts.space = other;
	b = fixture_open(BDF2, &opts);
	fds = fake_fd_count();
	assert_int_equal(vfiodev_device_hot_reset(a), 0);
	assert_int_equal(fake_fd_count(), fds); /* the dups are closed */
	assert_int_equal(pa->hot_resets, 1);
	assert_int_equal(pb->hot_resets, 1);
	assert_true(fake_log_has(LOG_INFO, "hot reset of 2 devices (group fds)"));
	vfiodev_device_close(b);
	vfiodev_space_unref(other);
	vfiodev_device_close(a);
}

static void reset_on_the_group_path_names_the_group_not_held(void **state)
{
	struct vfiodev_device *a;
	struct fake_pci *pa, *pb;
	char want[128];

	(void)state;
	pair(false, 6, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_device_hot_reset(a), -EPERM);
	snprintf(want, sizeof(want),
		 "%s is in a group this context does not hold", BDF2);
	assert_true(fake_log_has(LOG_ERR, want));
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_PCI_HOT_RESET), 0);
	assert_int_equal(pa->hot_resets, 0);
	vfiodev_device_close(a);
}

static void reset_refuses_a_peer_on_a_host_driver(void **state)
{
	struct vfiodev_device *a, *b;
	struct fake_pci *pa, *pb;
	char want[128];

	(void)state;
	pair(true, 6, &pa, &pb);
	fake_pci_add(BDF3, 7, "e1000e")->reset_bus = 1;
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	b = fixture_open_into(BDF2, NULL, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_device_hot_reset(a), -EPERM);
	snprintf(want, sizeof(want), "%s is not bound to a VFIO driver", BDF3);
	assert_true(fake_log_has(LOG_ERR, want));
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_PCI_HOT_RESET), 0);
	vfiodev_device_close(a);
	vfiodev_device_close(b);
}

static void reset_without_a_bus_reset_is_enodev(void **state)
{
	struct vfiodev_device *a;
	size_t n = 0;

	(void)state;
	fake_std_device(BDF, 5, 0); /* reset_bus 0: a root-bus device */
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_AUTO);
	assert_int_equal(vfiodev_device_hot_reset_info(a, NULL, &n), -ENODEV);
	assert_int_equal(vfiodev_device_hot_reset(a), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "no slot or bus reset"));
	vfiodev_device_close(a);
}

static void reset_reports_the_kernels_error(void **state)
{
	struct vfiodev_device *a;
	struct fake_pci *pa, *pb;

	(void)state;
	pair(true, 5, &pa, &pb);
	a = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	fake_fail_ioctl(VFIO_DEVICE_PCI_HOT_RESET, EBUSY, 0);
	assert_int_equal(vfiodev_device_hot_reset(a), -EBUSY);
	assert_true(fake_log_has(LOG_ERR,
				 "VFIO_DEVICE_PCI_HOT_RESET: Device or resource busy"));
	fake_fail_ioctl(VFIO_DEVICE_PCI_HOT_RESET, 0, 0);
	assert_int_equal(vfiodev_device_hot_reset(NULL), -EINVAL);
	vfiodev_device_close(a);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)
	const struct CMUnitTest tests[] = {
		T(info_names_every_affected_device),
		T(info_says_how_much_room_it_needs),
		T(reset_on_iommufd_passes_no_group_fds),
		T(reset_on_iommufd_accepts_a_peer_of_an_owned_group),
		T(reset_on_iommufd_names_the_device_not_held),
		T(reset_on_the_group_path_passes_every_groups_fd),
		T(reset_on_the_group_path_names_the_group_not_held),
		T(reset_refuses_a_peer_on_a_host_driver),
		T(reset_without_a_bus_reset_is_enodev),
		T(reset_reports_the_kernels_error),
	};

	return cmocka_run_group_tests_name("reset", tests, NULL, NULL);
}
