// SPDX-License-Identifier: MIT
/*
 * lib/dma_buf.c: a BAR's ranges exported as a dma-buf
 * (VFIO_DEVICE_FEATURE_DMA_BUF, Linux 6.19+), its argument checks before
 * the kernel is asked, and kernels without the feature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define BAR0 VFIODEV_PCI_BAR0_REGION

static struct fake_pci *pci;
static struct vfiodev_device *dev;

static int setup(void **state)
{
	int ret = fake_setup(state);

	pci = fake_std_device(BDF, 5, 0);
	dev = NULL;
	return ret;
}

static int teardown(void **state)
{
	vfiodev_device_close(dev);
	return fake_teardown(state);
}

static void a_bar_range_is_exported_as_a_dma_buf(void **state)
{
	const struct vfiodev_dma_range r[2] = { { 0, 0x1000 }, { 0x2000, 0x2000 } };
	struct stat st;
	int fd = -1, flags;

	(void)state;
	fake_cfg.dma_buf = true;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, r, 2, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(pci->dma_bufs, 1);
	/* the caller's fd: close-on-exec, the size of both ranges */
	flags = fcntl(fd, F_GETFD);
	assert_true(flags & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0x3000);
	close(fd);
}

static void bad_ranges_are_refused_before_the_kernel(void **state)
{
	const struct vfiodev_dma_range unaligned = { 0x800, 0x1000 };
	const struct vfiodev_dma_range empty = { 0, 0 };
	const struct vfiodev_dma_range past = { 0, 1ull << 40 };
	const struct vfiodev_dma_range ok = { 0, 0x1000 };
	unsigned long before;
	int fd = -1;

	(void)state;
	fake_cfg.dma_buf = true;
	dev = fixture_open(BDF, NULL);
	before = fake_ioctl_count(VFIO_DEVICE_FEATURE);
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, &unaligned, 1, &fd),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "not page-aligned"));
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, &empty, 1, &fd), -EINVAL);
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, &past, 1, &fd), -EINVAL);
	/* the config space is no BAR */
	assert_int_equal(vfiodev_region_dma_buf(dev, VFIODEV_PCI_CONFIG_REGION,
						&ok, 1, &fd),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "only a present BAR"));
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, &ok, 0, &fd), -EINVAL);
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, NULL, 1, &fd), -EINVAL);
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, &ok, 1, NULL), -EINVAL);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_FEATURE), before);
	assert_int_equal(fd, -1);
	assert_int_equal(pci->dma_bufs, 0);
}

static void a_kernel_without_dma_buf_export_says_what_it_lacks(void **state)
{
	const struct vfiodev_dma_range r = { 0, 0x1000 };
	int fd = -1;

	(void)state;
	dev = fixture_open(BDF,
			   NULL); /* fake_cfg.dma_buf false: Linux 6.12 (ENOTTY) */
	assert_int_equal(vfiodev_region_dma_buf(dev, BAR0, &r, 1, &fd), -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "Linux 6.19+ with CONFIG_VFIO_PCI_DMABUF"));
	assert_int_equal(fd, -1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_bar_range_is_exported_as_a_dma_buf),
		T(bad_ranges_are_refused_before_the_kernel),
		T(a_kernel_without_dma_buf_export_says_what_it_lacks),
	};

	return cmocka_run_group_tests_name("dma_buf", tests, NULL, NULL);
}
