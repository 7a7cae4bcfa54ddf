// SPDX-License-Identifier: MIT
/*
 * lib/dirty.c: dirty page tracking of a space, one API over Type1's
 * VFIO_IOMMU_DIRTY_PAGES and iommufd's tracking HWPT, against the fake
 * kernel (which models both, including an IOMMU without dirty bits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <syslog.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define BDF2 "0000:00:04.0"
#define BDF3 "0000:00:05.0"
#define PG 4096ull

static uint8_t *buf;

static int setup(void **state)
{
	buf = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return buf == MAP_FAILED ? -1 : fake_setup(state);
}

static int teardown(void **state)
{
	munmap(buf, 32 * PG);
	return fake_teardown(state);
}

static int bits(const uint64_t *map, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += (int)((map[i / 64] >> (i % 64)) & 1);
	return c;
}

/* ---- Type1 ------------------------------------------------------------- */

static void type1_reports_every_mapped_page_dirty(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *dev;
	uint64_t map[4], a, b;

	(void)state;
	fake_std_device(BDF, 5, -1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), -ENODEV);
	dev = fixture_open_into(BDF, sp, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.pgsizes, PG);
	assert_int_equal(info.max_bitmap_bytes, 256ull << 20);
	assert_int_equal(vfiodev_dma_map(sp, buf, 8 * PG, VFIODEV_DMA_WRITE, 0x100000),
			 0);
	assert_int_equal(vfiodev_dma_map(sp, buf + 8 * PG, 4 * PG,
					 VFIODEV_DMA_WRITE, 0x108000),
			 0);
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x100000, 8 * PG, PG, map,
						  sizeof(map)),
			 -EINVAL); /* not started */
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	assert_int_equal(vfiodev_space_dirty_start(sp), -EALREADY);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_int_equal(info.flags, VFIODEV_DIRTY_TRACKING);
	/* both mappings and the hole after them: every mapped page */
	memset(map, 0xff, sizeof(map));
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x100000, 16 * PG, PG,
						  map, sizeof(map)),
			 0);
	assert_int_equal(bits(map, 16), 12);
	assert_int_equal(map[0], 0xfff);
	/* Type1 reports them again on the next read */
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x108000, 4 * PG, PG, map,
						  sizeof(map)),
			 0);
	assert_int_equal(map[0], 0xf);
	/* refused before the kernel is asked */
	a = fake_ioctl_count(VFIO_IOMMU_DIRTY_PAGES);
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x100000, 4 * PG, PG, map,
						  sizeof(map)),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "splits a mapping"));
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x100000, 8 * PG, 2 * PG,
						  map, sizeof(map)),
			 -EINVAL);
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x100000, 8 * PG, PG, map, 0),
			 -EINVAL);
	assert_int_equal(vfiodev_space_dirty_read(sp, 0x100800, 8 * PG, PG, map,
						  sizeof(map)),
			 -EINVAL);
	b = fake_ioctl_count(VFIO_IOMMU_DIRTY_PAGES);
	assert_int_equal(a, b);
	assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
	assert_int_equal(vfiodev_space_dirty_stop(sp), -EINVAL);
	vfiodev_device_close(dev);
	vfiodev_space_unref(sp);
}

static void type1_tracking_ends_with_the_container(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *dev;

	(void)state;
	fake_std_device(BDF, 5, -1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	dev = fixture_open_into(BDF, sp, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	vfiodev_device_close(dev); /* the group leaves, the container closes */
	dev = fixture_open_into(BDF, sp, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_int_equal(info.flags, 0);
	vfiodev_device_close(dev);
	vfiodev_space_unref(sp);
}

static void type1_without_the_capability_is_eopnotsupp(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_device *dev;

	(void)state;
	fake_cfg.type1_migration = false;
	fake_std_device(BDF, 5, -1);
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_space_dirty_info(vfiodev_device_space(dev), &info),
			 -EOPNOTSUPP);
	assert_int_equal(vfiodev_space_dirty_start(vfiodev_device_space(dev)),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "no migration capability"));
	vfiodev_device_close(dev);
}

/* review: a Type1 (v1) container carries the migration capability, yet the
 * kernel refuses dirty tracking on it (EACCES): said up front now; and a
 * bitmap beyond the capability's limit is refused, not cut short */
static void type1_v1_and_oversized_bitmaps_are_refused(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_device *dev;
	struct vfiodev_space *sp;
	uint64_t map[1];

	(void)state;
	fake_cfg.type1v2 = false;
	fake_std_device(BDF, 5, -1);
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	sp = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "not Type1v2"));
	vfiodev_device_close(dev);

	fake_cfg.type1v2 = true;
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	sp = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	/* 16 TiB at 4 KiB: a 512 MiB bitmap, twice the 256 MiB Type1 takes
	 * (refused before the bitmap is touched) */
	assert_int_equal(vfiodev_space_dirty_read(sp, 0, 1ull << 44, PG, map,
						  1ull << 30),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "read it in parts"));
	assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
	vfiodev_device_close(dev);
}

/* ---- iommufd ----------------------------------------------------------- */

static void iommufd_without_hardware_dirty_bits_says_so(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_device *dev;
	struct fake_live l;

	(void)state;
	fake_std_device(BDF, 5, 0); /* fake_cfg.hw_dirty false: QEMU's VT-d */
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_space_dirty_info(vfiodev_device_space(dev), &info),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR,
				 "Intel VT-d reports no IOMMU_HW_CAP_DIRTY_TRACKING"));
	assert_int_equal(vfiodev_space_dirty_start(vfiodev_device_space(dev)),
			 -EOPNOTSUPP);
	assert_int_equal(fake_ioctl_count(IOMMU_HWPT_ALLOC), 0);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	vfiodev_device_close(dev);
}

static void iommufd_tracks_through_a_hwpt_and_reads_what_was_written(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *a, *b, *c;
	struct fake_live l;
	uint64_t map[2], iova;
	uint32_t ioas;

	(void)state;
	fake_cfg.hw_dirty = true;
	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	fake_std_device(BDF3, 7, 2);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	a = fixture_open_into(BDF, sp, VFIODEV_BACKEND_IOMMUFD);
	b = fixture_open_into(BDF2, sp, VFIODEV_BACKEND_IOMMUFD);
	assert_true(vfiodev_space_iommufd(sp, &ioas) >= 0);
	assert_int_equal(vfiodev_dma_map_any(sp, buf, 16 * PG,
					     VFIODEV_DMA_WRITE, NULL, &iova),
			 0);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_true(info.pgsizes & PG && info.pgsizes & (2 * PG));
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_HWPT_ALLOC), 1);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_ATTACH_IOMMUFD_PT), 4);
	/* a device joining while tracking goes onto the HWPT too */
	c = fixture_open_into(BDF3, sp, VFIODEV_BACKEND_IOMMUFD);
	fake_dirty_write(ioas, iova + 3 * PG, 2 * PG);
	assert_int_equal(vfiodev_space_dirty_read(sp, iova, 16 * PG, PG, map,
						  sizeof(map)),
			 0);
	assert_int_equal(map[0], 0x18); /* pages 3 and 4 */
	/* read and cleared */
	assert_int_equal(vfiodev_space_dirty_read(sp, iova, 16 * PG, PG, map,
						  sizeof(map)),
			 0);
	assert_int_equal(map[0], 0);
	/* at 8 KiB from IOVA 0 (the mapping starts at 4 KiB): the two 4 KiB
	 * pages at 12 and 16 KiB are halves of 8 KiB pages 1 and 2 */
	assert_int_equal(iova, PG);
	fake_dirty_write(ioas, iova + 2 * PG, 2 * PG);
	assert_int_equal(vfiodev_space_dirty_read(sp, 0, 18 * PG, 2 * PG, map,
						  sizeof(map)),
			 0);
	assert_int_equal(map[0], 0x6);
	fake_live(&l);
	assert_int_equal(l.hwpts, 1);
	assert_int_equal(l.attached, 3);
	assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	assert_int_equal(l.attached, 3); /* back on the IOAS */
	vfiodev_device_close(a);
	vfiodev_device_close(b);
	vfiodev_device_close(c);
	vfiodev_space_unref(sp);
}

static void iommufd_start_failing_halfway_puts_everything_back(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *a, *b;
	struct fake_live l;

	(void)state;
	fake_cfg.hw_dirty = true;
	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	a = fixture_open_into(BDF, sp, VFIODEV_BACKEND_IOMMUFD);
	b = fixture_open_into(BDF2, sp, VFIODEV_BACKEND_IOMMUFD);
	/* the first device moves, the second refuses: seam calls 1-2 are the
	 * HW_INFO of each device, 3 the HWPT_ALLOC, 4-5 the attaches */
	fake_fail_nth(5, EBUSY);
	assert_int_equal(vfiodev_space_dirty_start(sp), -EBUSY);
	assert_true(fake_fault_fired());
	assert_true(strstr(fake_fault_desc(), "ATTACH"));
	fake_fail_nth(0, 0);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_int_equal(info.flags, 0);
	/* and the kernel refusing to enable it */
	fake_fail_ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING, EIO, 0);
	assert_int_equal(vfiodev_space_dirty_start(sp), -EIO);
	fake_fail_ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING, 0, 0);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	/* then it works */
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	vfiodev_device_close(a);
	vfiodev_device_close(b);
	/* the space goes while tracking: the HWPT before the IOAS */
	vfiodev_space_unref(sp);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	assert_int_equal(l.ioas, 0);
}

/* the kernel refuses tracking, then a device refuses to go back to the
 * IOAS: the HWPT it sits on was forgotten (and the IOAS could never be
 * destroyed). It stays known; stop retries, and so does the release */
static void iommufd_start_failing_twice_keeps_the_hwpt_for_a_retry(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *a, *b;
	struct fake_live l;

	(void)state;
	fake_cfg.hw_dirty = true;
	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	for (int release = 0; release < 2; release++) {
		assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
		a = fixture_open_into(BDF, sp, VFIODEV_BACKEND_IOMMUFD);
		b = fixture_open_into(BDF2, sp, VFIODEV_BACKEND_IOMMUFD);
		/* 1-2 HW_INFO, 3 HWPT_ALLOC, 4-5 attaches, 6 the refused
		 * SET_DIRTY_TRACKING, 7 the move back of the device that joined
		 * last (the list is newest first) */
		fake_fail_ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING, EIO, 0);
		fake_fail_nth(7, EBUSY);
		assert_int_equal(vfiodev_space_dirty_start(sp), -EIO);
		fake_fail_nth(0, 0);
		fake_fail_ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING, 0, 0);
		assert_true(fake_log_has(LOG_ERR, BDF2
					 ": stays attached to the tracking HWPT"));
		fake_live(&l);
		assert_int_equal(l.hwpts, 1);
		assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
		assert_int_equal(info.flags, 0);
		if (!release) {
			/* stop moves it back and destroys the HWPT */
			assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
			fake_live(&l);
			assert_int_equal(l.hwpts, 0);
			assert_int_equal(vfiodev_space_dirty_start(sp), 0);
			assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
		}
		vfiodev_device_close(a);
		vfiodev_device_close(b);
		vfiodev_space_unref(sp);
		fake_live(&l);
		assert_int_equal(l.hwpts, 0);
		assert_int_equal(l.ioas, 0);
	}
}

/* a stop whose HWPT destroy fails has still stopped: the devices are on
 * the IOAS. It says so (0), and the HWPT goes at the next try */
static void iommufd_stop_with_a_failed_destroy_has_stopped(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *a;
	struct fake_live l;

	(void)state;
	fake_cfg.hw_dirty = true;
	fake_std_device(BDF, 5, 0);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	a = fixture_open_into(BDF, sp, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	fake_fail_ioctl(IOMMU_DESTROY, EIO, 0);
	assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
	fake_fail_ioctl(IOMMU_DESTROY, 0, 0);
	assert_true(fake_log_has(LOG_ERR, "IOMMU_DESTROY of HWPT"));
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_int_equal(info.flags, 0);
	fake_live(&l);
	assert_int_equal(l.hwpts, 1);
	/* a retry finishes it; then a new start works */
	assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	vfiodev_device_close(a);
	vfiodev_space_unref(sp);
	fake_live(&l);
	assert_int_equal(l.hwpts, 0);
	assert_int_equal(l.ioas, 0);
}

/* review: a stop that could not move every device back disabled tracking
 * first and left the space saying it tracks: reads came back clean while
 * devices wrote. Now the devices move first; on failure tracking goes on */
static void iommufd_stop_failing_halfway_keeps_tracking(void **state)
{
	struct vfiodev_dirty_info info;
	struct vfiodev_space *sp;
	struct vfiodev_device *a, *b;
	uint64_t map[1], iova;
	uint32_t ioas;

	(void)state;
	fake_cfg.hw_dirty = true;
	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	a = fixture_open_into(BDF, sp, VFIODEV_BACKEND_IOMMUFD);
	b = fixture_open_into(BDF2, sp, VFIODEV_BACKEND_IOMMUFD);
	assert_true(vfiodev_space_iommufd(sp, &ioas) >= 0);
	assert_int_equal(vfiodev_dma_map_any(sp, buf, 4 * PG, VFIODEV_DMA_WRITE,
					     NULL, &iova),
			 0);
	assert_int_equal(vfiodev_space_dirty_start(sp), 0);
	fake_fail_nth(2, EIO); /* the second device's move back */
	assert_int_equal(vfiodev_space_dirty_stop(sp), -EIO);
	fake_fail_nth(0, 0);
	assert_int_equal(vfiodev_space_dirty_info(sp, &info), 0);
	assert_int_equal(info.flags, VFIODEV_DIRTY_TRACKING);
	fake_dirty_write(ioas, iova + PG, PG);
	assert_int_equal(vfiodev_space_dirty_read(sp, iova, 4 * PG, PG, map,
						  sizeof(map)),
			 0);
	assert_int_equal(map[0], 0x2);
	assert_int_equal(vfiodev_space_dirty_stop(sp), 0);
	vfiodev_device_close(a);
	vfiodev_device_close(b);
	vfiodev_space_unref(sp);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(type1_reports_every_mapped_page_dirty),
		T(type1_tracking_ends_with_the_container),
		T(type1_without_the_capability_is_eopnotsupp),
		T(type1_v1_and_oversized_bitmaps_are_refused),
		T(iommufd_without_hardware_dirty_bits_says_so),
		T(iommufd_tracks_through_a_hwpt_and_reads_what_was_written),
		T(iommufd_start_failing_twice_keeps_the_hwpt_for_a_retry),
		T(iommufd_stop_with_a_failed_destroy_has_stopped),
		T(iommufd_start_failing_halfway_puts_everything_back),
		T(iommufd_stop_failing_halfway_keeps_tracking),
	};

	return cmocka_run_group_tests_name("dirty", tests, NULL, NULL);
}
