// SPDX-License-Identifier: MIT
/*
 * lib/container.c: the legacy backend as a device's open drives it: the
 * Type1 IOVA ranges read again as each group joins (their reserved
 * regions shrink them), and a Type1 info reply asking for an implausible
 * argsz refused before anything is allocated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <syslog.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define BDF2 "0000:00:04.0"

/* review: a Type1 container's ranges shrink as groups join (their reserved
 * regions); they were read for the first group only */
static void second_group_in_a_container_refreshes_the_iova_ranges(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *a = NULL, *b = NULL;
	struct vfiodev_space *space;
	struct vfiodev_iova_range r[4];
	unsigned int calls;

	(void)state;
	fake_std_device(BDF, 5, -1);
	fake_std_device(BDF2, 6, -1);
	fake_cfg.nr_type1_ranges = 1;
	fake_cfg.type1_ranges[0] = (struct vfiodev_iova_range){ 0, 0xffffffff };
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	opts.space = space;
	opts.backend = VFIODEV_BACKEND_CONTAINER;
	a = fixture_open(BDF, &opts);
	calls = fake_ioctl_count(VFIO_IOMMU_GET_INFO);
	/* the second group brings a reserved window */
	fake_cfg.nr_type1_ranges = 2;
	fake_cfg.type1_ranges[0] = (struct vfiodev_iova_range){ 0, 0xfedfffff };
	fake_cfg.type1_ranges[1] =
		(struct vfiodev_iova_range){ 0xfef00000, 0xffffffff };
	b = fixture_open(BDF2, &opts);
	assert_true(fake_ioctl_count(VFIO_IOMMU_GET_INFO) > calls);
	assert_int_equal(vfiodev_space_iova_ranges(space, r, 4), 2);
	assert_true(r[0].last == 0xfedfffff && r[1].start == 0xfef00000);
	vfiodev_device_close(a);
	vfiodev_device_close(b);
	vfiodev_space_unref(space);
}

/* a Type1 info reply asking for 2 GiB of argsz: it was allocated (three
 * times); now one cap for every info buffer, and a log line */
static void type1_info_asking_for_an_implausible_argsz_is_eproto(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);

	(void)state;
	fake_std_device(BDF, 5, -1);
	fake_cfg.type1_argsz_ask = 0x80000000u;
	o.backend = VFIODEV_BACKEND_CONTAINER;
	assert_int_equal(fixture_open_err(BDF, &o), -EPROTO);
	assert_true(fake_log_has(LOG_ERR, "implausible argsz"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(second_group_in_a_container_refreshes_the_iova_ranges),
		T(type1_info_asking_for_an_implausible_argsz_is_eproto),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
