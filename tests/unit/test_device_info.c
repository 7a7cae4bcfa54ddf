// SPDX-License-Identifier: MIT
/*
 * lib/device_info.c: what an open device reports, its feature pass-through,
 * and VF tokens: the PF's user sets one (vfiodev_device_set_vf_token), a VF
 * opens with it (vfiodev_device_opts.vf_token): in the group's
 * VFIO_GROUP_GET_DEVICE_FD string, or with VFIO_DEVICE_BIND_FLAG_TOKEN on
 * the cdev path where the kernel has it (6.17+), else AUTO falls back to
 * the group path and says why.
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
#define PF "0000:00:05.0"
#define VF "0000:00:05.1"
#define TOKEN "3b5f4c5e-1d2a-4c8b-9e0f-a1b2c3d4e5f6"
#define TOKEN_UPPER "3B5F4C5E-1D2A-4C8B-9E0F-A1B2C3D4E5F6"
#define OTHER "00000000-0000-0000-0000-000000000001"

static const uint8_t token_bytes[16] = { 0x3b, 0x5f, 0x4c, 0x5e, 0x1d, 0x2a,
					 0x4c, 0x8b, 0x9e, 0x0f, 0xa1, 0xb2,
					 0xc3, 0xd4, 0xe5, 0xf6 };

/* a PF on vfio-pci whose user set TOKEN, and its VF; @cdev: both have
 * vfio cdevs */
static struct fake_pci *sriov(bool cdev)
{
	struct fake_pci *pf = fake_std_device(PF, 5, cdev ? 0 : -1);
	struct fake_pci *vf = fake_std_device(VF, 6, cdev ? 1 : -1);
	struct vfiodev_device *dev = NULL;

	pf->is_pf = true;
	vf->pf = pf;
	dev = fixture_open(PF, NULL);
	assert_int_equal(vfiodev_device_set_vf_token(dev, TOKEN), 0);
	assert_memory_equal(pf->vf_token, token_bytes, 16);
	vfiodev_device_close(dev);
	return vf;
}

static int open_vf(const char *token, enum vfiodev_backend b,
		   struct vfiodev_device **dev)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.vf_token = token;
	opts.backend = b;
	*dev = NULL;
	return vfiodev_device_open(fake_ctx(), VF, &opts, dev);
}

static void group_path_passes_the_token_in_the_device_string(void **state)
{
	struct vfiodev_device *dev;

	(void)state;
	sriov(false);
	assert_int_equal(open_vf(NULL, VFIODEV_BACKEND_AUTO, &dev), -EACCES);
	assert_true(fake_log_has(LOG_ERR, "pass the VF token"));
	assert_int_equal(open_vf(OTHER, VFIODEV_BACKEND_AUTO, &dev), -EACCES);
	assert_true(fake_log_has(LOG_ERR, "does not match"));
	/* any case in, the kernel's lower case out */
	assert_int_equal(open_vf(TOKEN_UPPER, VFIODEV_BACKEND_AUTO, &dev), 0);
	assert_int_equal(vfiodev_device_backend(dev), VFIODEV_BACKEND_CONTAINER);
	vfiodev_device_close(dev);
}

static void cdev_path_binds_with_the_token_on_617(void **state)
{
	struct vfiodev_device *dev;

	(void)state;
	fake_cfg.bind_token = true;
	sriov(true);
	/* refused on the cdev path with the group path's hint */
	assert_int_equal(open_vf(NULL, VFIODEV_BACKEND_IOMMUFD, &dev), -EACCES);
	assert_true(fake_log_has(LOG_ERR,
				 "binding to iommufd: Permission denied (a VF of a PF bound to vfio-pci: pass the VF token)"));
	assert_int_equal(open_vf(OTHER, VFIODEV_BACKEND_IOMMUFD, &dev), -EACCES);
	assert_true(fake_log_has(LOG_ERR,
				 "(the VF token does not match the one its PF's user set)"));
	assert_int_equal(open_vf(TOKEN, VFIODEV_BACKEND_AUTO, &dev), 0);
	assert_int_equal(vfiodev_device_backend(dev), VFIODEV_BACKEND_IOMMUFD);
	assert_null(vfiodev_device_fallback_reason(dev));
	vfiodev_device_close(dev);
}

static void cdev_path_without_the_flag_falls_back_and_says_why(void **state)
{
	const char *why;
	struct vfiodev_device *dev;

	(void)state;
	sriov(true); /* fake_cfg.bind_token false: Linux 6.12 */
	assert_int_equal(open_vf(TOKEN, VFIODEV_BACKEND_AUTO, &dev), 0);
	assert_int_equal(vfiodev_device_backend(dev), VFIODEV_BACKEND_CONTAINER);
	why = vfiodev_device_fallback_reason(dev);
	assert_non_null(why);
	assert_non_null(strstr(why, "refused the VF token"));
	vfiodev_device_close(dev);
	/* forced: no fallback, the kernel's answer */
	assert_int_equal(open_vf(TOKEN, VFIODEV_BACKEND_IOMMUFD, &dev), -EINVAL);
}

static void cdev_path_of_617_without_its_fix_falls_back(void **state)
{
	struct vfiodev_device *dev;

	(void)state;
	fake_cfg.bind_token = fake_cfg.bind_token_e2big = true;
	sriov(true);
	assert_int_equal(open_vf(TOKEN, VFIODEV_BACKEND_AUTO, &dev), 0);
	assert_int_equal(vfiodev_device_backend(dev), VFIODEV_BACKEND_CONTAINER);
	assert_non_null(strstr(vfiodev_device_fallback_reason(dev),
			       "Argument list too long"));
	vfiodev_device_close(dev);
}

static void malformed_tokens_are_refused(void **state)
{
	struct vfiodev_device *dev = NULL, *pf = NULL;
	static const char *bad[] = {
		"3b5f4c5e1d2a4c8b9e0fa1b2c3d4e5f6", /* no dashes */
		"3b5f4c5e-1d2a-4c8b-9e0f-a1b2c3d4e5f", /* short */
		"3b5f4c5e-1d2a-4c8b-9e0f-a1b2c3d4e5f6a", /* long */
		"3b5f4c5e-1d2a-4c8b-9e0f-a1b2c3d4e5g6", /* not hex */
		"3b5f4c5e-1d2a-4c8b-9e0f-a1b2c3d4e5f6 x", "",
	};

	(void)state;
	sriov(false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(open_vf(bad[i], VFIODEV_BACKEND_AUTO, &dev),
				 -EINVAL);
		assert_null(dev);
	}
	assert_true(fake_log_has(LOG_ERR, "is not a UUID"));
	pf = fixture_open(PF, NULL);
	assert_int_equal(vfiodev_device_set_vf_token(pf, bad[0]), -EINVAL);
	assert_int_equal(vfiodev_device_set_vf_token(pf, NULL), -EINVAL);
	assert_int_equal(vfiodev_device_set_vf_token(NULL, TOKEN), -EINVAL);
	vfiodev_device_close(pf);
	/* a device that is no PF has no token to set */
	assert_int_equal(open_vf(TOKEN, VFIODEV_BACKEND_AUTO, &dev), 0);
	assert_int_equal(vfiodev_device_set_vf_token(dev, TOKEN), -ENOTTY);
	vfiodev_device_close(dev);
}

/* VFIO_DEVICE_FEATURE passed through: probe, get, set; an absent feature
 * is -ENOTTY (info when probed), bad flags and sizes never reach the
 * kernel */
static void device_feature_probes_gets_and_sets(void **state)
{
	struct fake_pci *p;
	struct vfiodev_device *dev;
	uint64_t mig = 0;
	unsigned long calls;

	(void)state;
	p = fake_std_device(BDF, 5, 0);
	p->mig_flags = 0x5;
	dev = fixture_open(BDF, NULL);
	/* low-power entry: SET only, no data */
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_PROBE | VFIODEV_FEATURE_SET,
						3, NULL, 0),
			 0);
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_PROBE | VFIODEV_FEATURE_GET,
						3, NULL, 0),
			 -EINVAL);
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_SET, 3, NULL, 0),
			 0);
	assert_int_equal(p->low_power_entries, 1);
	/* migration: GET of 8 bytes; a short buffer is the kernel's EINVAL */
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_GET, 1,
						&mig, sizeof(mig)),
			 0);
	assert_int_equal(mig, 0x5);
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_GET, 1, &mig, 4),
			 -EINVAL);
	/* absent: -ENOTTY, at info level when probed */
	fake_log_clear();
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_PROBE, 77,
						NULL, 0),
			 -ENOTTY);
	assert_true(fake_log_has(LOG_INFO, "device feature 77: not supported"));
	assert_false(fake_log_has(LOG_ERR, "device feature 77"));
	/* refused before any ioctl */
	calls = fake_calls();
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_GET | VFIODEV_FEATURE_SET,
						1, &mig, 8),
			 -EINVAL);
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_GET,
						0x10000, &mig, 8),
			 -EINVAL);
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_GET, 1, NULL, 8),
			 -EINVAL);
	assert_int_equal(vfiodev_device_feature(dev, VFIODEV_FEATURE_PROBE, 1,
						&mig, 8),
			 -EINVAL);
	assert_int_equal(vfiodev_device_feature(dev, 1u << 7, 1, NULL, 0), -EINVAL);
	assert_int_equal(fake_calls(), calls);
	vfiodev_device_close(dev);
}

/* output structs can grow: each ends in a reserved tail the library
 * writes as zero, whatever the caller's memory held (none had room
 * before) */
static void device_info_has_a_reserved_tail_written_as_zero(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_device_info di;

	(void)state;
	fake_std_device(BDF, 5, 0);
	dev = fixture_open(BDF, NULL);
	memset(&di, 0xff, sizeof(di));
	assert_int_equal(vfiodev_device_get_info(dev, &di), 0);
	assert_true(fixture_all_zero(di.reserved, sizeof(di.reserved)));
	vfiodev_device_close(dev);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)
	const struct CMUnitTest tests[] = {
		T(group_path_passes_the_token_in_the_device_string),
		T(cdev_path_binds_with_the_token_on_617),
		T(cdev_path_without_the_flag_falls_back_and_says_why),
		T(cdev_path_of_617_without_its_fix_falls_back),
		T(malformed_tokens_are_refused),
		T(device_feature_probes_gets_and_sets),
		T(device_info_has_a_reserved_tail_written_as_zero),
	};

	return cmocka_run_group_tests_name("device_info", tests, NULL, NULL);
}
