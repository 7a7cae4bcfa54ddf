// SPDX-License-Identifier: MIT
/*
 * Opening devices in the fake kernel (fixture.h): one copy of the "open
 * and assert" helpers, and of the checks, the test files share.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

struct vfiodev_device *fixture_open(const char *bdf,
				    const struct vfiodev_device_opts *opts)
{
	struct vfiodev_device *dev = NULL;
	int ret;

	ret = vfiodev_device_open(fake_ctx(), bdf, opts, &dev);
	if (ret) {
		fake_log_dump();
		fail_msg("open %s: %d (%s)", bdf, ret, strerror(-ret));
	}
	assert_non_null(dev);
	return dev;
}

struct vfiodev_device *fixture_open_into(const char *bdf,
					 struct vfiodev_space *space,
					 enum vfiodev_backend backend)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.space = space;
	opts.backend = backend;
	return fixture_open(bdf, &opts);
}

int fixture_open_err(const char *bdf, const struct vfiodev_device_opts *opts)
{
	struct vfiodev_device *dev = NULL;
	int ret;

	ret = vfiodev_device_open(fake_ctx(), bdf, opts, &dev);
	if (!ret) {
		vfiodev_device_close(dev);
		fail_msg("open %s succeeded where a failure was expected", bdf);
	}
	assert_null(dev);
	return ret;
}

bool fixture_all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}
