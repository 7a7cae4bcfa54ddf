// SPDX-License-Identifier: MIT
/*
 * lib/kmod.c: module loading as an open asks for it; a context that
 * switches it off (vfiodev_ctx_opts.no_module_load) is honoured, and the
 * open says at info level what it did not load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <syslog.h>

#include "fixture.h"

#define BDF "0000:00:03.0"

/* module loading can be switched off per context: the group-path open
 * then says, at info level, that it did not load vfio_iommu_type1, and
 * works with what the kernel has (here the fake's Type1) */
static void no_module_load_is_honoured_and_said_at_info_level(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, co);
	struct vfiodev_ctx *ctx;
	struct vfiodev_device *dev = NULL;

	(void)state;
	fake_std_device(BDF, 5, -1); /* no cdev: the group path */
	co.sysfs_root = fake_sysfs_root();
	co.dev_root = fake_dev_root();
	co.log_priority = LOG_DEBUG + 1;
	co.no_module_load = true;
	assert_int_equal(vfiodev_ctx_new(&co, &ctx), 0);
	vfiodev_ctx_set_log_fn(ctx, fake_log_fn, NULL);
	fake_log_clear();
	assert_int_equal(vfiodev_device_open(ctx, BDF, NULL, &dev), 0);
	assert_true(fake_log_has(LOG_INFO,
				 "module vfio_iommu_type1: not loaded, and module loading is off"));
	assert_false(fake_log_has(LOG_ERR, "module"));
	vfiodev_device_close(dev);
	vfiodev_ctx_unref(ctx);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(no_module_load_is_honoured_and_said_at_info_level),
	};

	return cmocka_run_group_tests_name("kmod", tests, NULL, NULL);
}
