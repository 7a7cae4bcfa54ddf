// SPDX-License-Identifier: MIT
/*
 * lib/mig_data.c: the data fd helpers: a save into a sink or a buffer and
 * a load from a source or a buffer, through short reads and writes, EINTR,
 * a driver's ENOMEM, limits, and failures of the caller's callbacks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fake.h"

#define SRC "0000:00:03.0"
#define DST "0000:00:04.0"
#define STREAM_LEN (8 + 4 + FAKE_MIG_REGS + 4)

static struct fake_pci *ps, *pd;
static struct vfiodev_device *src, *dst;
static int sfd, rfd;

struct acc {
	uint8_t b[4096];
	size_t n;
	unsigned int calls;
	int fail_at; /* the call that fails (1-based), 0: none */
};

static int acc_put(void *data, const void *buf, size_t len)
{
	struct acc *a = data;

	if (++a->calls == (unsigned int)a->fail_at)
		return -EPIPE;
	memcpy(a->b + a->n, buf, len);
	a->n += len;
	return 0;
}

struct src_pieces {
	const uint8_t *b;
	size_t len, pos, piece;
	int fail;
};

static ssize_t pieces_get(void *data, void *buf, size_t len)
{
	struct src_pieces *s = data;
	size_t k = s->piece;

	if (s->fail && s->pos >= (size_t)s->fail)
		return -EIO;
	if (k > len)
		k = len;
	if (k > s->len - s->pos)
		k = s->len - s->pos;
	memcpy(buf, s->b + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

static int setup(void **state)
{
	struct vfiodev_mig_result r;
	int ret = fake_setup(state);

	ps = fake_std_device(SRC, 5, 0);
	pd = fake_std_device(DST, 6, 1);
	ps->mig_flags = pd->mig_flags = VFIO_MIGRATION_STOP_COPY;
	for (int i = 0; i < FAKE_MIG_REGS; i++)
		ps->mig.regs[i] = (uint8_t)(i * 3 + 1);
	if (vfiodev_device_open(fake_ctx(), SRC, NULL, &src) ||
	    vfiodev_device_open(fake_ctx(), DST, NULL, &dst))
		return -1;
	if (vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &r))
		return -1;
	sfd = r.data_fd;
	if (vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &r))
		return -1;
	rfd = r.data_fd;
	fake_log_clear();
	return ret;
}

static int teardown(void **state)
{
	sys_close(sfd);
	sys_close(rfd);
	vfiodev_device_close(src);
	vfiodev_device_close(dst);
	return fake_teardown(state);
}

static void resumed(void)
{
	assert_int_equal(vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL), 0);
	assert_memory_equal(pd->mig.regs, ps->mig.regs, FAKE_MIG_REGS);
}

static void short_reads_and_eintr_lose_nothing(void **state)
{
	struct acc a = { .n = 0 };
	struct src_pieces s = { .piece = 7 };
	uint64_t n = 0;

	(void)state;
	ps->mig.eintr = 3;
	ps->mig.io_max = 5;
	assert_int_equal(vfiodev_mig_save(src, sfd, acc_put, &a, NULL, &n), 0);
	assert_int_equal(n, STREAM_LEN);
	assert_int_equal(a.n, STREAM_LEN);
	assert_int_equal(a.calls, (STREAM_LEN + 4) / 5);
	/* and written back in 7-byte pieces, 3-byte writes, EINTR */
	pd->mig.eintr = 2;
	pd->mig.io_max = 3;
	s.b = a.b;
	s.len = a.n;
	assert_int_equal(vfiodev_mig_load(dst, rfd, pieces_get, &s, NULL, &n), 0);
	assert_int_equal(n, STREAM_LEN);
	resumed();
	assert_int_equal(fake_log_count(LOG_ERR), 0);
}

static void a_driver_enomem_halves_the_chunk(void **state)
{
	uint8_t b[256];
	size_t len;

	(void)state;
	ps->mig.enomem_above = 8192; /* the 1 MiB default: halved 7 times */
	assert_int_equal(vfiodev_mig_save_buf(src, sfd, b, sizeof(b), &len), 0);
	assert_int_equal(len, STREAM_LEN);
	pd->mig.enomem_above = 4096;
	assert_int_equal(vfiodev_mig_load_buf(dst, rfd, b, len), 0);
	resumed();
}

static void enomem_at_the_smallest_chunk_gives_up(void **state)
{
	struct acc a = { .n = 0 };
	uint64_t n = 1;

	(void)state;
	ps->mig.enomem_above = 100;
	assert_int_equal(vfiodev_mig_save(src, sfd, acc_put, &a, NULL, &n), -ENOMEM);
	assert_int_equal(n, 0);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_true(fake_log_has(LOG_ERR,
				 "read of the data fd after 0 bytes: Cannot allocate memory"));
}

static void a_stream_longer_than_the_device_takes(void **state)
{
	uint8_t big[5000];
	uint64_t n = 0;
	struct src_pieces s = { .b = big, .len = sizeof(big), .piece = 5000 };

	(void)state;
	memset(big, 0, sizeof(big));
	memcpy(big, "FAKEMIG1", 8);
	assert_int_equal(vfiodev_mig_load(dst, rfd, pieces_get, &s, NULL, &n),
			 -ENOMEM);
	/* halved to 4 KiB: 4096 taken, the rest refused */
	assert_int_equal(n, 4096);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
	assert_true(fake_log_has(LOG_ERR,
				 "at byte 4096: Cannot allocate memory (more than the device takes)"));
}

static void limits_and_the_callers_failures_stop_the_copy(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_mig_xfer_opts, o);
	struct acc a = { .n = 0, .fail_at = 2 };
	struct src_pieces s = { .piece = 16, .fail = 16 };
	uint8_t b[256];
	uint64_t n;

	(void)state;
	o.chunk = 4096;
	/* a sink's error, after the first piece */
	ps->mig.io_max = 10;
	assert_int_equal(vfiodev_mig_save(src, sfd, acc_put, &a, &o, &n), -EPIPE);
	assert_int_equal(n, 10);
	assert_true(fake_log_has(LOG_ERR, "the sink refused 10 bytes at 10"));
	/* 60 bytes left, 40 allowed */
	o.max_bytes = 40;
	assert_int_equal(vfiodev_mig_save(src, sfd, acc_put, &a, &o, &n), -EFBIG);
	assert_int_equal(n, 40);
	assert_true(fake_log_has(LOG_ERR, "longer than the 40 bytes allowed"));
	/* a source's error */
	memset(b, 0, sizeof(b));
	memcpy(b, "FAKEMIG1", 8);
	s.b = b;
	s.len = sizeof(b);
	assert_int_equal(vfiodev_mig_load(dst, rfd, pieces_get, &s, NULL, &n), -EIO);
	assert_int_equal(n, 16);
	assert_true(fake_log_has(LOG_ERR, "the source failed after 16 bytes"));
	/* bad options, before any read */
	o.chunk = 100;
	assert_int_equal(vfiodev_mig_save(src, sfd, acc_put, &a, &o, &n), -EINVAL);
	{
		/* a newer caller's field this library does not know */
		struct {
			struct vfiodev_mig_xfer_opts o;
			uint64_t later;
		} big;

		memset(&big, 0, sizeof(big));
		big.o.sz = sizeof(big);
		big.later = 1;
		assert_int_equal(vfiodev_mig_save(src, sfd, acc_put, &a, &big.o, &n),
				 -EINVAL);
		assert_true(fake_log_has(LOG_ERR, "unknown non-zero field"));
	}
	assert_int_equal(vfiodev_mig_save(src, -1, acc_put, &a, NULL, &n), -EINVAL);
	assert_int_equal(vfiodev_mig_load(dst, rfd, NULL, NULL, NULL, &n), -EINVAL);
}

static void a_buffer_too_small_is_enospc(void **state)
{
	uint8_t b[STREAM_LEN];
	size_t len = 0;

	(void)state;
	assert_int_equal(vfiodev_mig_save_buf(src, sfd, b, STREAM_LEN - 1, &len),
			 -ENOSPC);
	assert_int_equal(len, STREAM_LEN - 1);
	assert_int_equal(fake_log_count(LOG_ERR), 1);
}

static void a_buffer_of_the_exact_size_is_enough(void **state)
{
	uint8_t b[STREAM_LEN];
	size_t len = 0;

	(void)state;
	assert_int_equal(vfiodev_mig_save_buf(src, sfd, b, sizeof(b), &len), 0);
	assert_int_equal(len, STREAM_LEN);
	assert_int_equal(vfiodev_mig_load_buf(dst, rfd, b, len), 0);
	resumed();
}

static void a_session_ended_by_a_reset_is_enodev(void **state)
{
	uint8_t b[256];
	size_t len;

	(void)state;
	assert_int_equal(vfiodev_mig_reset(src), 0);
	assert_int_equal(vfiodev_mig_save_buf(src, sfd, b, sizeof(b), &len),
			 -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "(the session has ended)"));
	assert_int_equal(vfiodev_mig_reset(dst), 0);
	assert_int_equal(vfiodev_mig_load_buf(dst, rfd, "FAKEMIG1", 8), -ENODEV);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(short_reads_and_eintr_lose_nothing),
		T(a_driver_enomem_halves_the_chunk),
		T(enomem_at_the_smallest_chunk_gives_up),
		T(a_stream_longer_than_the_device_takes),
		T(limits_and_the_callers_failures_stop_the_copy),
		T(a_buffer_too_small_is_enospc),
		T(a_buffer_of_the_exact_size_is_enough),
		T(a_session_ended_by_a_reset_is_enodev),
	};

	return cmocka_run_group_tests_name("mig_data", tests, NULL, NULL);
}
