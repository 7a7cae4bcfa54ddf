/* SPDX-License-Identifier: MIT */
/*
 * Opening devices in the fake kernel, the way most tests need it: open
 * (in fake_ctx()) and fail the test, with the library's log dumped, when
 * the open does not succeed; or open expecting a failure and check that
 * nothing was handed out; and the checks several test files make of what
 * the library wrote. Defined in fixture.c (the fake library).
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include "fake.h"

/* open @bdf with @opts (NULL: the defaults); the test fails unless it
 * opens */
struct vfiodev_device *fixture_open(const char *bdf,
				    const struct vfiodev_device_opts *opts);

/* the same into @space (NULL: a space of its own) on @backend */
struct vfiodev_device *fixture_open_into(const char *bdf,
					 struct vfiodev_space *space,
					 enum vfiodev_backend backend);

/* open @bdf expecting a failure: its -errno (0 fails the test, as does a
 * device handed out with an error) */
int fixture_open_err(const char *bdf, const struct vfiodev_device_opts *opts);

/* the @n bytes at @p are all zero (a reserved tail as the library must
 * leave it) */
bool fixture_all_zero(const void *p, size_t n);

#endif /* FIXTURE_H */
