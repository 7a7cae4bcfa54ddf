// SPDX-License-Identifier: MIT
/*
 * lib/iommufd.c: an iommufd opened elsewhere (vfiodev_ctx_adopt_iommufd):
 * checked like the /dev/iommu node, duplicated and used for every iommufd
 * open of the context; a wrong, unverifiable, O_PATH or second fd refused
 * with its cause.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <syslog.h>

#include "fixture.h"

#define BDF "0000:00:03.0"

/* an iommufd opened elsewhere (a helper, a parent process): checked like a
 * node, duplicated, used for every iommufd open; the caller's fd stays its
 * own; a wrong fd or a second iommufd is refused */
static void adopted_iommufd_is_checked_and_used(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_device *dev;
	unsigned int before;
	int fd, group;

	(void)state;
	fake_std_device(BDF, 5, 0);
	fd = fake_open_node("dev/iommu");
	assert_true(fd >= 0);
	group = fake_open_node("dev/vfio/5");
	assert_true(group >= 0);
	/* without sysfs naming /dev/iommu's number nothing can be checked */
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), fd), -ENXIO);
	fake_write("sys/class/misc/iommu/dev", "10:123\n");
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), group), -ENXIO);
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), -1), -EBADF);
	before = fake_open_count("/dev/iommu");
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), fd), 0);
	/* the caller may close its own at once */
	fake_sys.close(fd);
	o.backend = VFIODEV_BACKEND_IOMMUFD;
	dev = fixture_open(BDF, &o);
	assert_int_equal(fake_open_count("/dev/iommu"), before);
	fd = fake_open_node("dev/iommu");
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), fd), -EBUSY);
	fake_sys.close(fd);
	vfiodev_device_close(dev);
	fake_sys.close(group);
}

/* fstat works on an O_PATH fd of /dev/iommu, ioctls do not: adopting one
 * left a context that could neither use iommufd nor adopt another */
static void an_adopted_o_path_iommufd_is_refused(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_device *dev;
	int pfd, fd;

	(void)state;
	fake_std_device(BDF, 5, 0);
	fake_write("sys/class/misc/iommu/dev", "10:123\n");
	pfd = fake_sys.open(fake_path("dev/iommu"), O_PATH);
	assert_true(pfd >= 0);
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), pfd), -EBADF);
	assert_true(fake_log_has(LOG_ERR, "not usable as an iommufd"));
	assert_true(fake_log_has(LOG_ERR, "O_PATH"));
	fake_sys.close(pfd);
	/* nothing was kept: a real one is adopted and used */
	fd = fake_open_node("dev/iommu");
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), fd), 0);
	fake_sys.close(fd);
	o.backend = VFIODEV_BACKEND_IOMMUFD;
	dev = fixture_open(BDF, &o);
	vfiodev_device_close(dev);
	/* a negative fd is refused with its cause */
	assert_int_equal(vfiodev_ctx_adopt_iommufd(fake_ctx(), -1), -EBADF);
	assert_true(fake_log_has(LOG_ERR, "fd -1 is not a file descriptor"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(adopted_iommufd_is_checked_and_used),
		T(an_adopted_o_path_iommufd_is_refused),
	};

	return cmocka_run_group_tests_name("iommufd", tests, NULL, NULL);
}
