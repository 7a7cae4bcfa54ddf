// SPDX-License-Identifier: MIT
/*
 * lib/migration.c: the migration capability query, state changes walked
 * arc by arc against a fake driver that takes single arcs only, failures
 * part way and into ERROR, the reset out of it, a whole save and resume
 * with a pre-copy round, pre-copy info v1 and v2, and the data size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define SRC "0000:00:03.0"
#define DST "0000:00:04.0"
#define ALL                                                                    \
	(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY)

static struct fake_pci *ps, *pd;
static struct vfiodev_device *src, *dst;

static int setup(void **state)
{
	int ret = fake_setup(state);

	ps = fake_std_device(SRC, 5, 0);
	pd = fake_std_device(DST, 6, 1);
	src = dst = NULL;
	return ret;
}

static int teardown(void **state)
{
	vfiodev_device_close(src);
	vfiodev_device_close(dst);
	return fake_teardown(state);
}

static void open_both(uint64_t flags)
{
	ps->mig_flags = pd->mig_flags = flags;
	for (int i = 0; i < FAKE_MIG_REGS; i++) {
		ps->mig.regs[i] = (uint8_t)(0xa0 + i);
		pd->mig.regs[i] = 0;
	}
	src = fixture_open(SRC, NULL);
	dst = fixture_open(DST, NULL);
	fake_log_clear();
}

static enum vfiodev_mig_state state_of(struct vfiodev_device *d)
{
	enum vfiodev_mig_state s = VFIODEV_MIG_ERROR;

	assert_int_equal(vfiodev_mig_get_state(d, &s), 0);
	return s;
}

static void info_reports_the_flags_the_state_and_the_probes(void **state)
{
	struct vfiodev_mig_info info;

	(void)state;
	ps->mig.dma_log = true;
	ps->mig.v2_feature = true;
	open_both(ALL);
	assert_int_equal(vfiodev_mig_get_info(src, &info), 0);
	assert_int_equal(info.caps, VFIODEV_MIG_CAP_STOP_COPY | VFIODEV_MIG_CAP_P2P |
					    VFIODEV_MIG_CAP_PRE_COPY |
					    VFIODEV_MIG_CAP_DMA_LOGGING |
					    VFIODEV_MIG_CAP_PRECOPY_INFO_V2);
	assert_int_equal(info.state, VFIODEV_MIG_RUNNING);
	/* a 6.x kernel, a device without DMA logging or pre-copy */
	assert_int_equal(vfiodev_mig_get_info(dst, &info), 0);
	assert_int_equal(info.caps, VFIODEV_MIG_CAP_STOP_COPY | VFIODEV_MIG_CAP_P2P |
					    VFIODEV_MIG_CAP_PRE_COPY);
	assert_int_equal(fake_log_count(LOG_ERR), 0);
	assert_string_equal(vfiodev_mig_state_name(VFIODEV_MIG_PRE_COPY_P2P),
			    "pre-copy-p2p");
	assert_string_equal(vfiodev_mig_state_name(8), "unknown");
}

static void a_device_without_migration_says_so(void **state)
{
	struct vfiodev_mig_info info;
	struct vfiodev_mig_result res;
	enum vfiodev_mig_state st;

	(void)state;
	open_both(0);
	assert_int_equal(vfiodev_mig_get_info(src, &info), -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_INFO, "no migration"));
	assert_int_equal(fake_log_count(LOG_ERR), 0);
	assert_int_equal(vfiodev_mig_get_state(src, &st), -EOPNOTSUPP);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res),
			 -EOPNOTSUPP);
	assert_int_equal(vfiodev_mig_reset(src), -EOPNOTSUPP);
	/* one error line each */
	assert_int_equal(fake_log_count(LOG_ERR), 3);
	assert_true(fake_log_has(LOG_ERR, "has no migration support"));
}

/* the walks linux/vfio.h lists for a device with every flag, as
 * vfio_mig_get_next_state() takes them; every other pair is one arc or
 * none */
static const char *const full_walks[] = {
	"stop running-p2p running",
	"stop running-p2p running pre-copy",
	"stop running-p2p pre-copy-p2p",
	"running running-p2p stop",
	"running running-p2p stop stop-copy",
	"running running-p2p stop resuming",
	"running running-p2p pre-copy-p2p",
	"stop-copy stop running-p2p running",
	"stop-copy stop resuming",
	"stop-copy stop running-p2p",
	"resuming stop running-p2p running",
	"resuming stop stop-copy",
	"resuming stop running-p2p",
	"resuming stop running-p2p running pre-copy",
	"resuming stop running-p2p pre-copy-p2p",
	"running-p2p stop stop-copy",
	"running-p2p stop resuming",
	"running-p2p running pre-copy",
	"pre-copy running running-p2p stop",
	"pre-copy pre-copy-p2p stop-copy",
	"pre-copy running running-p2p stop resuming",
	"pre-copy running running-p2p",
	"pre-copy-p2p running-p2p stop",
	"pre-copy-p2p running-p2p running",
	"pre-copy-p2p running-p2p stop resuming",
};

static void path_text(const uint8_t *p, int n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i <= n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "",
				      vfiodev_mig_state_name(p[i]));
}

static void the_walks_are_the_kernels(void **state)
{
	static const struct {
		uint64_t flags;
		unsigned int from, to;
		const char *walk;
	} others[] = {
		{ 1, 2, 3, "running stop stop-copy" },
		{ 1, 2, 4, "running stop resuming" },
		{ 1, 3, 2, "stop-copy stop running" },
		{ 1, 4, 2, "resuming stop running" },
		{ 1, 2, 1, "running stop" },
		{ 5, 6, 3, "pre-copy stop-copy" },
		{ 5, 6, 1, "pre-copy running stop" },
		{ 5, 6, 4, "pre-copy running stop resuming" },
		{ 5, 4, 6, "resuming stop running pre-copy" },
		{ 3, 2, 3, "running running-p2p stop stop-copy" },
		{ 3, 4, 2, "resuming stop running-p2p running" },
	};
	uint8_t p[8];
	char got[128];
	unsigned int multi = 0;

	(void)state;
	for (unsigned int a = 1; a < 8; a++) {
		for (unsigned int b = 1; b < 8; b++) {
			int n = vfd_mig_path(ALL, a, b, p);
			bool listed = false;

			if (a == b) {
				assert_int_equal(n, 0);
				continue;
			}
			if (a == 3 && (b == 6 || b == 7)) {
				assert_int_equal(n, -1); /* blocked */
				continue;
			}
			assert_true(n >= 1);
			path_text(p, n, got, sizeof(got));
			for (size_t i = 0; i < ARRAY_SIZE(full_walks); i++)
				listed |= !strcmp(got, full_walks[i]);
			if (n > 1) {
				if (!listed)
					fail_msg("walk not the kernel's: %s", got);
				multi++;
			}
		}
	}
	assert_int_equal(multi, ARRAY_SIZE(full_walks));
	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		int n = vfd_mig_path(others[i].flags, others[i].from,
				     others[i].to, p);

		assert_true(n >= 1);
		path_text(p, n, got, sizeof(got));
		assert_string_equal(got, others[i].walk);
	}
	/* states the flags lack have no path */
	assert_int_equal(vfd_mig_path(1, 2, 5, p), -1);
	assert_int_equal(vfd_mig_path(3, 2, 6, p), -1);
	assert_int_equal(vfd_mig_path(ALL, 0, 2, p), -1);
}

static void set_state_walks_single_arcs_and_hands_back_the_fd(void **state)
{
	struct vfiodev_mig_result res;
	int fl;

	(void)state;
	open_both(ALL);
	/* the fake takes one arc per SET: three here */
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res), 0);
	assert_int_equal(res.steps, 3);
	assert_int_equal(ps->mig.arcs, 3);
	assert_int_equal(res.state, VFIODEV_MIG_STOP_COPY);
	assert_true(res.data_fd >= 0);
	fl = fcntl(res.data_fd, F_GETFD);
	assert_true(fl & FD_CLOEXEC);
	assert_int_equal(state_of(src), VFIODEV_MIG_STOP_COPY);
	sys_close(res.data_fd);
	/* back: STOP_COPY -> STOP -> RUNNING_P2P -> RUNNING, no stream */
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL), 0);
	assert_int_equal(ps->mig.arcs, 6);
	/* already there: nothing asked */
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, &res), 0);
	assert_int_equal(res.steps, 0);
	assert_int_equal(res.data_fd, -1);
	assert_int_equal(ps->mig.arcs, 6);
	/* STOP_COPY alone: RUNNING -> STOP is one arc */
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_STOP, NULL), 0);
	assert_int_equal(pd->mig.arcs, 2);
	assert_int_equal(fake_log_count(LOG_ERR), 0);
}

static void impossible_targets_are_refused_before_the_kernel(void **state)
{
	struct vfiodev_mig_result res;
	unsigned int sets;

	(void)state;
	open_both(VFIO_MIGRATION_STOP_COPY);
	sets = ps->mig.arcs;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_ERROR, &res),
			 -EINVAL);
	assert_int_equal(vfiodev_mig_set_state(src, 8, &res), -EINVAL);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "does not support that state"));
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING_P2P, NULL),
			 -EOPNOTSUPP);
	/* a stream target needs somewhere to put its fd */
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, NULL),
			 -EINVAL);
	assert_int_equal(vfiodev_mig_set_state(NULL, VFIODEV_MIG_STOP, NULL),
			 -EINVAL);
	assert_int_equal(fake_log_count(LOG_ERR), 5);
	assert_int_equal(ps->mig.arcs, sets);
	assert_int_equal(state_of(src), VFIODEV_MIG_RUNNING);
}

static void stop_copy_cannot_go_back_to_pre_copy(void **state)
{
	struct vfiodev_mig_result res;

	(void)state;
	open_both(ALL);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res), 0);
	sys_close(res.data_fd);
	fake_log_clear();
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res),
			 -EINVAL);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_true(fake_log_has(LOG_ERR,
				 "stop-copy -> pre-copy: no such transition"));
	assert_int_equal(ps->mig.arcs, 3);
	assert_int_equal(state_of(src), VFIODEV_MIG_STOP_COPY);
}

static void a_failed_arc_leaves_the_device_part_way(void **state)
{
	struct vfiodev_mig_result res;

	(void)state;
	open_both(ALL);
	ps->mig.fail_arc = true;
	ps->mig.fail_from = VFIO_DEVICE_STATE_RUNNING_P2P;
	ps->mig.fail_to = VFIO_DEVICE_STATE_STOP;
	ps->mig.fail_err = EIO;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res),
			 -EIO);
	assert_int_equal(res.state, VFIODEV_MIG_RUNNING_P2P);
	assert_int_equal(res.steps, 1);
	assert_int_equal(res.data_fd, -1);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_true(fake_log_has(LOG_ERR,
				 "arc running-p2p -> stop (step 2 of 3 toward stop-copy): Input/output error; the device is in running-p2p"));
	/* the caller can go back */
	ps->mig.fail_arc = false;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL), 0);
	assert_int_equal(state_of(src), VFIODEV_MIG_RUNNING);
}

static void error_is_left_only_by_the_reset(void **state)
{
	struct vfiodev_mig_result res;

	(void)state;
	ps->flags &= ~VFIO_DEVICE_FLAGS_RESET; /* mtty reports no reset */
	open_both(ALL);
	ps->mig.fail_arc = true;
	ps->mig.fail_to_error = true;
	ps->mig.fail_from = VFIO_DEVICE_STATE_RUNNING;
	ps->mig.fail_to = VFIO_DEVICE_STATE_PRE_COPY;
	ps->mig.fail_err = EFAULT;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res),
			 -EFAULT);
	assert_int_equal(res.state, VFIODEV_MIG_ERROR);
	assert_true(fake_log_has(LOG_ERR,
				 "the device is in error (vfiodev_mig_reset() recovers it)"));
	fake_log_clear();
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR,
				 "is in the error state; vfiodev_mig_reset() recovers it"));
	/* the generic reset wants the flag; the migration reset does not */
	assert_int_equal(vfiodev_device_reset(src), -ENOTSUP);
	assert_int_equal(vfiodev_mig_reset(src), 0);
	assert_int_equal(state_of(src), VFIODEV_MIG_RUNNING);
	assert_int_equal(ps->resets, 1);
	/* and it migrates again */
	ps->mig.fail_arc = false;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res), 0);
	assert_true(res.data_fd >= 0);
	sys_close(res.data_fd);
}

static void a_reset_that_leaves_another_state_is_an_error(void **state)
{
	(void)state;
	open_both(ALL);
	fake_fail_ioctl(VFIO_DEVICE_RESET, EIO, 0);
	assert_int_equal(vfiodev_mig_reset(src), -EIO);
	assert_true(fake_log_has(LOG_ERR, "VFIO_DEVICE_RESET: Input/output error"));
	fake_fail_ioctl(VFIO_DEVICE_RESET, 0, 0);
}

static void a_data_fd_in_the_middle_of_a_walk_is_closed_and_refused(void **state)
{
	struct vfiodev_mig_result res;

	(void)state;
	open_both(ALL);
	ps->mig.fd_every_arc = true;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP, &res),
			 -EPROTO);
	assert_int_equal(res.state, VFIODEV_MIG_RUNNING_P2P);
	assert_int_equal(res.data_fd, -1);
	assert_int_equal(fake_mig_files(), 0); /* closed */
	assert_true(fake_log_has(LOG_ERR, "in the middle of the path"));
}

static int save_sink(void *data, const void *buf, size_t len)
{
	struct {
		uint8_t b[4096];
		size_t n;
	} *s = data;

	memcpy(s->b + s->n, buf, len);
	s->n += len;
	return 0;
}

/* source -> destination with a pre-copy round: the registers arrive */
static void a_device_state_moves_through_the_data_fds(void **state)
{
	struct {
		uint8_t b[4096];
		size_t n;
	} s = { .n = 0 };
	struct vfiodev_mig_result res, rr;
	struct vfiodev_mig_precopy pi;
	uint64_t n, size;
	int fd;

	(void)state;
	open_both(ALL);
	assert_int_equal(vfiodev_mig_data_size(src, &size), 0);
	assert_int_equal(size, 8 + 4 + FAKE_MIG_REGS + 4);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res), 0);
	fd = res.data_fd;
	assert_true(fd >= 0);
	assert_int_equal(vfiodev_mig_precopy_info(src, fd, &pi), 0);
	assert_int_equal(pi.initial_bytes, 8 + 4 + FAKE_MIG_REGS / 2);
	assert_int_equal(pi.dirty_bytes, 0);
	assert_int_equal(pi.flags, 0);
	/* the initial data, then the temporary end (ENOMSG) */
	assert_int_equal(vfiodev_mig_save(src, fd, save_sink, &s, NULL, &n),
			 VFIODEV_MIG_MORE_LATER);
	assert_int_equal(n, 44);
	/* the device dirties its state while running */
	ps->mig.regs[40] = 0x55;
	ps->mig.dirty = true;
	assert_int_equal(vfiodev_mig_precopy_info(src, fd, &pi), 0);
	assert_int_equal(pi.initial_bytes, 0);
	assert_int_equal(pi.dirty_bytes, 36);
	assert_int_equal(vfiodev_mig_save(src, fd, save_sink, &s, NULL, &n),
			 VFIODEV_MIG_MORE_LATER);
	assert_int_equal(n, 36);
	/* the rest comes on the same fd: PRE_COPY -> PRE_COPY_P2P -> STOP_COPY */
	ps->mig.regs[0] = 0x77;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &rr), 0);
	assert_int_equal(rr.data_fd, -1);
	assert_int_equal(rr.steps, 2);
	assert_int_equal(vfiodev_mig_precopy_info(src, fd, &pi), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "not in pre-copy"));
	assert_int_equal(vfiodev_mig_save(src, fd, save_sink, &s, NULL, &n), 0);
	assert_int_equal(n, 4 + FAKE_MIG_REGS + 4);
	sys_close(fd);
	/* the destination: RUNNING -> RUNNING_P2P -> STOP -> RESUMING */
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res), 0);
	assert_int_equal(res.steps, 3);
	assert_int_equal(vfiodev_mig_load_buf(dst, res.data_fd, s.b, s.n), 0);
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL), 0);
	sys_close(res.data_fd);
	assert_memory_equal(pd->mig.regs, ps->mig.regs, FAKE_MIG_REGS);
	assert_int_equal(pd->mig.regs[0], 0x77);
	assert_int_equal(pd->mig.regs[40], 0x55);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL), 0);
}

/* mtty returns 0 at a pre-copy's temporary end: nothing more now */
static void a_zero_read_in_pre_copy_is_the_end_for_now(void **state)
{
	struct {
		uint8_t b[4096];
		size_t n;
	} s = { .n = 0 };
	struct vfiodev_mig_result res;
	uint64_t n;

	(void)state;
	open_both(ALL);
	ps->mig.eof_zero = true;
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res), 0);
	assert_int_equal(vfiodev_mig_save(src, res.data_fd, save_sink, &s, NULL, &n),
			 0);
	assert_int_equal(n, 44);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, NULL),
			 -EINVAL); /* the fd would be lost: refused */
	assert_int_equal(vfiodev_mig_save(src, res.data_fd, save_sink, &s, NULL, &n),
			 0);
	assert_int_equal(n, 0);
	sys_close(res.data_fd);
}

static size_t saved(struct vfiodev_device *d, uint8_t *buf, size_t cap)
{
	struct vfiodev_mig_result res;
	size_t len = 0;

	assert_int_equal(vfiodev_mig_set_state(d, VFIODEV_MIG_STOP_COPY, &res), 0);
	assert_int_equal(vfiodev_mig_save_buf(d, res.data_fd, buf, cap, &len), 0);
	sys_close(res.data_fd);
	return len;
}

static void a_corrupted_stream_is_refused_and_reset_recovers(void **state)
{
	struct vfiodev_mig_result res;
	uint8_t b[256], before[FAKE_MIG_REGS];
	size_t len;

	(void)state;
	open_both(ALL);
	memcpy(before, pd->mig.regs, sizeof(before));
	len = saved(src, b, sizeof(b));
	assert_int_equal(len, 80);
	/* a foreign header: refused as it is written */
	b[0] ^= 0xff;
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_mig_load_buf(dst, res.data_fd, b, len), -EINVAL);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_true(fake_log_has(LOG_ERR, "the device refused the stream at byte 0"));
	sys_close(res.data_fd);
	assert_int_equal(vfiodev_mig_reset(dst), 0);
	/* a flipped register byte: taken, then refused on leaving RESUMING */
	b[0] ^= 0xff;
	b[20] ^= 0x01;
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res), 0);
	assert_int_equal(vfiodev_mig_load_buf(dst, res.data_fd, b, len), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL),
			 -EINVAL);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_true(fake_log_has(LOG_ERR,
				 "arc resuming -> stop (step 1 of 3 toward running): Invalid argument; the device is in resuming (reset it to abort the resume)"));
	assert_int_equal(state_of(dst), VFIODEV_MIG_RESUMING);
	sys_close(res.data_fd);
	assert_int_equal(vfiodev_mig_reset(dst), 0);
	assert_memory_equal(pd->mig.regs, before, sizeof(before));
	/* a truncated stream, with a driver that goes to ERROR */
	b[20] ^= 0x01;
	pd->mig.load_error = true;
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res), 0);
	assert_int_equal(vfiodev_mig_load_buf(dst, res.data_fd, b, len - 4), 0);
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_STOP, NULL),
			 -EINVAL);
	assert_int_equal(state_of(dst), VFIODEV_MIG_ERROR);
	sys_close(res.data_fd);
	assert_int_equal(vfiodev_mig_reset(dst), 0);
	/* both usable: the whole stream loads */
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL), 0);
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res), 0);
	assert_int_equal(vfiodev_mig_load_buf(dst, res.data_fd, b, len), 0);
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL), 0);
	sys_close(res.data_fd);
	assert_memory_equal(pd->mig.regs, ps->mig.regs, FAKE_MIG_REGS);
}

static void precopy_info_v2_reports_reinit(void **state)
{
	struct vfiodev_mig_result res;
	struct vfiodev_mig_precopy pi;

	(void)state;
	open_both(ALL);
	/* 6.x: no such feature */
	assert_int_equal(vfiodev_mig_precopy_v2(src), -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR,
				 "no VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 (Linux 7.0+)"));
	/* v1: REINIT is not reported even when the device has new data */
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res), 0);
	ps->mig.reinit = true;
	assert_int_equal(vfiodev_mig_precopy_info(src, res.data_fd, &pi), 0);
	assert_int_equal(pi.flags, 0);
	assert_int_equal(pi.initial_bytes, 44 + 36);
	sys_close(res.data_fd);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL), 0);
	/* 7.x */
	ps->mig.v2_feature = true;
	assert_int_equal(vfiodev_mig_precopy_v2(src), 0);
	assert_true(ps->mig.precopy_v2);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res), 0);
	assert_int_equal(vfiodev_mig_precopy_info(src, res.data_fd, &pi), 0);
	assert_int_equal(pi.flags, 0);
	ps->mig.reinit = true;
	assert_int_equal(vfiodev_mig_precopy_info(src, res.data_fd, &pi), 0);
	assert_int_equal(pi.flags, VFIODEV_MIG_PRECOPY_REINIT);
	assert_int_equal(pi.initial_bytes, 44 + 36);
	sys_close(res.data_fd);
	/* a device without pre-copy, on 7.x */
	pd->mig_flags = VFIO_MIGRATION_STOP_COPY;
	pd->mig.v2_feature = true;
	fake_log_clear();
	assert_int_equal(vfiodev_mig_precopy_v2(dst), -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "the device has no pre-copy"));
}

static void precopy_info_names_what_is_wrong_with_the_fd(void **state)
{
	struct vfiodev_mig_result res, rr;
	struct vfiodev_mig_precopy pi;

	(void)state;
	open_both(ALL);
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &rr), 0);
	assert_int_equal(vfiodev_mig_precopy_info(dst, rr.data_fd, &pi), -ENOTTY);
	assert_true(fake_log_has(LOG_ERR, "not a pre-copy data fd"));
	sys_close(rr.data_fd);
	assert_int_equal(vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res), 0);
	assert_int_equal(vfiodev_mig_reset(src), 0);
	assert_int_equal(vfiodev_mig_precopy_info(src, res.data_fd, &pi), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "the session has ended"));
	sys_close(res.data_fd);
	assert_int_equal(vfiodev_mig_precopy_info(src, -1, &pi), -EINVAL);
}

static void the_data_size_or_why_not(void **state)
{
	uint64_t n = 0;

	(void)state;
	open_both(ALL);
	pd->mig.no_data_size = true;
	assert_int_equal(vfiodev_mig_data_size(src, &n), 0);
	assert_int_equal(n, 80);
	assert_int_equal(vfiodev_mig_data_size(dst, &n), -EOPNOTSUPP);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_int_equal(vfiodev_mig_data_size(src, NULL), -EINVAL);
}

/* a whole migration with each seam call failed in turn: an error or
 * success, never a leaked fd, session or buffer (ASan) */
static void every_failure_of_a_migration_leaves_nothing_behind(void **state)
{
	uint8_t b[256];
	int baseline;

	(void)state;
	open_both(ALL);
	baseline = fake_fd_count();
	for (unsigned long nth = 1; nth < 200; nth++) {
		struct vfiodev_mig_result res = { .data_fd = -1 },
					  rr = { .data_fd = -1 };
		size_t len = 0;
		int ret;

		fake_mig_reset(ps);
		fake_mig_reset(pd);
		fake_log_clear();
		fake_fail_nth(nth, EIO);
		ret = vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res);
		if (!ret)
			ret = vfiodev_mig_save_buf(src, res.data_fd, b,
						   sizeof(b), &len);
		if (!ret)
			ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &rr);
		if (!ret)
			ret = vfiodev_mig_load_buf(dst, rr.data_fd, b, len);
		if (!ret)
			ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL);
		if (res.data_fd >= 0)
			sys_close(res.data_fd);
		if (rr.data_fd >= 0)
			sys_close(rr.data_fd);
		assert_true(ret <= 0);
		if (fake_mig_files())
			fail_msg("call %lu (%s): %d data fds left", nth,
				 fake_fault_desc(), fake_mig_files());
		assert_int_equal(fake_fd_count(), baseline);
		if (!fake_fault_fired()) {
			assert_int_equal(ret, 0);
			assert_memory_equal(pd->mig.regs, ps->mig.regs,
					    FAKE_MIG_REGS);
			return;
		}
		/* a failure says so in one line; the test's own close
		 * may take the fault */
		if (fake_log_count(LOG_ERR) != (ret < 0 ? 1u : 0u)) {
			fake_log_dump();
			fail_msg("call %lu (%s): %d with %u error lines", nth,
				 fake_fault_desc(), ret, fake_log_count(LOG_ERR));
		}
		fake_fail_nth(0, 0);
	}
	fail_msg("the migration never completed");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(info_reports_the_flags_the_state_and_the_probes),
		T(a_device_without_migration_says_so),
		T(the_walks_are_the_kernels),
		T(set_state_walks_single_arcs_and_hands_back_the_fd),
		T(impossible_targets_are_refused_before_the_kernel),
		T(stop_copy_cannot_go_back_to_pre_copy),
		T(a_failed_arc_leaves_the_device_part_way),
		T(error_is_left_only_by_the_reset),
		T(a_reset_that_leaves_another_state_is_an_error),
		T(a_data_fd_in_the_middle_of_a_walk_is_closed_and_refused),
		T(a_device_state_moves_through_the_data_fds),
		T(a_zero_read_in_pre_copy_is_the_end_for_now),
		T(a_corrupted_stream_is_refused_and_reset_recovers),
		T(precopy_info_v2_reports_reinit),
		T(precopy_info_names_what_is_wrong_with_the_fd),
		T(the_data_size_or_why_not),
		T(every_failure_of_a_migration_leaves_nothing_behind),
	};

	return cmocka_run_group_tests_name("migration", tests, NULL, NULL);
}
