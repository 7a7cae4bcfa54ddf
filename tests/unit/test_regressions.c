// SPDX-License-Identifier: MIT
/*
 * Regression tests for library bugs this suite found (space pinning, IOVA
 * arithmetic at the top of the 64-bit space), one test each, stating the
 * behaviour the library promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "fake.h"

#define BDF "0000:00:03.0"
#define PG 4096ul

/*
 * lib/device.c pick_mode(): a space whose backend the caller pinned with
 * vfiodev_space_opts.backend = CONTAINER accepts a device forced to
 * IOMMUFD, because pick_mode() consults space->want only when the device
 * asks for AUTO. DESIGN.md: "A space keeps one backend. A device that
 * cannot use the space's backend fails with a clear error."
 */
static void space_pinned_to_container_refuses_a_forced_iommufd_device(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, sopts);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_space *space;
	struct vfiodev_device *dev = NULL;
	int ret;

	(void)state;
	fake_std_device(BDF, 5, 0);
	sopts.backend = VFIODEV_BACKEND_CONTAINER;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &sopts, &space), 0);
	opts.space = space;
	opts.backend = VFIODEV_BACKEND_IOMMUFD;
	ret = vfiodev_device_open(fake_ctx(), BDF, &opts, &dev);
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
	assert_int_equal(ret, -EXDEV);
}

/* the same through vfiodev_device_open_fd(), which always asks for IOMMUFD */
static void open_fd_refuses_a_space_pinned_to_container(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, sopts);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_space *space;
	struct vfiodev_device *dev = NULL;
	int fd, ret;

	(void)state;
	fake_std_device(BDF, 5, 0);
	sopts.backend = VFIODEV_BACKEND_CONTAINER;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &sopts, &space), 0);
	opts.space = space;
	fd = fake_open_node("dev/vfio/devices/vfio0");
	ret = vfiodev_device_open_fd(fake_ctx(), fd, BDF, &opts, &dev);
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
	fake_sys.close(fd);
	assert_int_equal(ret, -EXDEV);
}

/* a device on the legacy path whose IOVA space ends at 2^64 - 1: a
 * Type1 container whose capability reports [@start, UINT64_MAX] */
static struct vfiodev_device *open_with_top_range(uint64_t start)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *dev = NULL;

	fake_std_device(BDF, 5, -1);
	fake_cfg.nr_type1_ranges = 1;
	fake_cfg.type1_ranges[0] = (struct vfiodev_iova_range){ start, UINT64_MAX };
	opts.backend = VFIODEV_BACKEND_CONTAINER;
	assert_int_equal(vfiodev_device_open(fake_ctx(), BDF, &opts, &dev), 0);
	return dev;
}

/*
 * lib/space.c iova_find(): "m->iova + m->len" wraps to 0 for a mapping
 * that ends at 2^64, so the allocator does not see it and hands out its
 * IOVA; the kernel then refuses the map with EEXIST, where the library
 * promises -ENOSPC ("no range has room").
 */
static void map_any_beside_a_mapping_ending_at_2_64_reports_enospc(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *s;
	uint64_t iova = 0;
	uint8_t *buf;
	int ret;

	(void)state;
	buf = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	dev = open_with_top_range(UINT64_MAX - 2 * PG + 1);
	s = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map(s, buf, PG, UINT64_MAX - PG + 1,
					 VFIODEV_DMA_READ),
			 0);
	assert_int_equal(vfiodev_dma_map_any(s, buf + PG, PG, VFIODEV_DMA_READ, &iova),
			 0);
	assert_int_equal(iova, UINT64_MAX - 2 * PG + 1);
	/* both pages of the range are taken now */
	ret = vfiodev_dma_map_any(s, buf + 2 * PG, PG, VFIODEV_DMA_READ, &iova);
	vfiodev_device_close(dev);
	munmap(buf, 3 * PG);
	assert_int_equal(ret, -ENOSPC);
}

/*
 * lib/space.c iova_overlaps(): the same wrap, so a map over a mapping that
 * ends at 2^64 is not refused by the library ("overlaps an existing
 * mapping") but sent to the kernel.
 */
static void map_over_a_mapping_ending_at_2_64_is_refused_before_the_kernel(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *s;
	unsigned int calls;
	uint8_t *buf;
	int ret;

	(void)state;
	buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	dev = open_with_top_range(0);
	s = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map(s, buf, PG, UINT64_MAX - PG + 1,
					 VFIODEV_DMA_READ),
			 0);
	calls = fake_ioctl_count(VFIO_IOMMU_MAP_DMA);
	ret = vfiodev_dma_map(s, buf + PG, PG, UINT64_MAX - PG + 1,
			      VFIODEV_DMA_READ);
	vfiodev_device_close(dev);
	munmap(buf, 2 * PG);
	assert_int_equal(ret, -EEXIST);
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), calls);
	assert_true(fake_log_has(LOG_ERR, "overlaps an existing mapping"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(space_pinned_to_container_refuses_a_forced_iommufd_device),
		T(open_fd_refuses_a_space_pinned_to_container),
		T(map_any_beside_a_mapping_ending_at_2_64_reports_enospc),
		T(map_over_a_mapping_ending_at_2_64_is_refused_before_the_kernel),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("regressions", tests, NULL, NULL);
}
