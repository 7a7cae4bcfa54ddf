// SPDX-License-Identifier: MIT
/*
 * lib/mig_dma_log.c: the device's DMA logging: start over ranges, reports
 * that read and clear, stop; arguments checked before the kernel; a device
 * without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>
#include <stdlib.h>
#include <linux/vfio.h>

#include "fixture.h"

#define SRC "0000:00:03.0"

static struct fake_pci *ps;
static struct vfiodev_device *src;

static int setup(void **state)
{
	int ret = fake_setup(state);

	ps = fake_std_device(SRC, 5, 0);
	ps->mig_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	src = NULL;
	return ret;
}

static int teardown(void **state)
{
	vfiodev_device_close(src);
	return fake_teardown(state);
}

static void open_dev(void)
{
	src = fixture_open(SRC, NULL);
	fake_log_clear();
}

static void dma_logging_reports_and_clears_what_the_device_wrote(void **state)
{
	const struct vfiodev_dma_log_range r[2] = { { 0x100000, 0x10000 },
						    { 0x0, 0x4000 } };
	uint64_t pg = 0x1000, bm[2] = { ~0ull, ~0ull };

	(void)state;
	ps->mig.dma_log = true;
	ps->mig.log_pgsize = 0x1000;
	open_dev();
	assert_int_equal(vfiodev_mig_dma_log_start(src, r, 2, &pg), 0);
	assert_true(ps->mig.logging);
	assert_int_equal(pg, 0x1000);
	/* a second start: the kernel's refusal, named */
	assert_int_equal(vfiodev_mig_dma_log_start(src, r, 2, &pg), -EBUSY);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	fake_mig_dma_write(ps, 0x102000, 0x1800); /* pages 2 and 3 */
	fake_mig_dma_write(ps, 0x10f000, 0x1000); /* page 15 */
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0x100000, 0x10000,
						    0x1000, bm, sizeof(bm)),
			 0);
	assert_int_equal(bm[0], (1ull << 2) | (1ull << 3) | (1ull << 15));
	assert_int_equal(bm[1], ~0ull); /* beyond the range: untouched */
	/* read and cleared */
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0x100000, 0x10000,
						    0x1000, bm, 8),
			 0);
	assert_int_equal(bm[0], 0);
	/* a coarser report than the log */
	fake_mig_dma_write(ps, 0x108000, 0x10);
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0x100000, 0x10000,
						    0x8000, bm, 8),
			 0);
	assert_int_equal(bm[0], 2);
	assert_int_equal(vfiodev_mig_dma_log_stop(src), 0);
	assert_false(ps->mig.logging);
	fake_log_clear();
	assert_int_equal(vfiodev_mig_dma_log_stop(src), -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0, 0x4000, 0x1000, bm, 8),
			 -EINVAL);
	assert_int_equal(fake_log_count(LOG_ERR), 2);
}

static void dma_logging_arguments_are_checked_before_the_kernel(void **state)
{
	const struct vfiodev_dma_log_range overlap[2] = { { 0x0, 0x4000 },
							  { 0x3000, 0x1000 } };
	const struct vfiodev_dma_log_range odd = { 0x800, 0x1000 };
	const struct vfiodev_dma_log_range empty = { 0x1000, 0 };
	const struct vfiodev_dma_log_range wrap = { 0xfffffffffffff000ull, 0x2000 };
	const struct vfiodev_dma_log_range ok = { 0, 0x1000 };
	uint64_t pg = 0x1000, bad = 3000, bm[1];
	unsigned int ioctls;

	(void)state;
	ps->mig.dma_log = true;
	open_dev();
	ioctls = fake_ioctl_count(VFIO_DEVICE_FEATURE);
	assert_int_equal(vfiodev_mig_dma_log_start(src, overlap, 2, &pg), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "overlap"));
	assert_int_equal(vfiodev_mig_dma_log_start(src, &odd, 1, &pg), -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_start(src, &empty, 1, &pg), -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_start(src, &wrap, 1, &pg), -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_start(src, &ok, 1, &bad), -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_start(src, &ok, 0, &pg), -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0, 0x1000, 3000, bm, 8),
			 -EINVAL);
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0x800, 0x1000, 0x1000,
						    bm, 8),
			 -EINVAL);
	/* 65 pages need two words */
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0, 65 * 0x1000, 0x1000,
						    bm, 8),
			 -EINVAL);
	assert_int_equal(fake_log_count(LOG_ERR), 9);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_FEATURE), ioctls);
	/* more ranges than the driver takes */
	ps->mig.log_max_ranges = 1;
	assert_int_equal(vfiodev_mig_dma_log_start(src, overlap + 1, 1, &pg), 0);
	assert_int_equal(vfiodev_mig_dma_log_stop(src), 0);
	{
		const struct vfiodev_dma_log_range two[2] = { { 0, 0x1000 },
							      { 0x2000, 0x1000 } };

		assert_int_equal(vfiodev_mig_dma_log_start(src, two, 2, &pg),
				 -E2BIG);
		assert_true(fake_log_has(LOG_ERR, "merge them"));
	}
	/* vfio core's limit, a page of ranges: refused before the kernel */
	{
		size_t n = (size_t)sysconf(_SC_PAGESIZE) / 16 + 1;
		struct vfiodev_dma_log_range *many = calloc(n, sizeof(*many));

		assert_non_null(many);
		for (size_t i = 0; i < n; i++)
			many[i] = (struct vfiodev_dma_log_range){ i * 0x2000,
								  0x1000 };
		ioctls = fake_ioctl_count(VFIO_DEVICE_FEATURE);
		fake_log_clear();
		assert_int_equal(vfiodev_mig_dma_log_start(src, many, n, &pg),
				 -E2BIG);
		assert_true(fake_log_has(LOG_ERR, "a page of them"));
		assert_int_equal(fake_ioctl_count(VFIO_DEVICE_FEATURE), ioctls);
		free(many);
	}
}

static void a_device_without_dma_logging_says_so_once_per_call(void **state)
{
	const struct vfiodev_dma_log_range r = { 0, 0x1000 };
	uint64_t pg = 0x1000, bm[1];

	(void)state;
	open_dev();
	assert_int_equal(vfiodev_mig_dma_log_start(src, &r, 1, &pg), -EOPNOTSUPP);
	assert_int_equal(vfiodev_mig_dma_log_report(src, 0, 0x1000, 0x1000, bm, 8),
			 -EOPNOTSUPP);
	assert_int_equal(vfiodev_mig_dma_log_stop(src), -EOPNOTSUPP);
	assert_int_equal(fake_log_count(LOG_ERR), 3);
	assert_true(fake_log_has(LOG_ERR, "the device's driver has no DMA logging"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(dma_logging_reports_and_clears_what_the_device_wrote),
		T(dma_logging_arguments_are_checked_before_the_kernel),
		T(a_device_without_dma_logging_says_so_once_per_call),
	};

	return cmocka_run_group_tests_name("mig_dma_log", tests, NULL, NULL);
}
