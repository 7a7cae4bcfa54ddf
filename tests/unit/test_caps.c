// SPDX-License-Identifier: MIT
/*
 * lib/caps.c: walking VFIO capability chains. The chain lives in bytes
 * the kernel wrote, so every malformed shape (a loop, a backward or
 * unaligned offset, a header or a body past argsz) must end in -EPROTO,
 * never in a hang or a read past the buffer (ASan watches the latter).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"

/* a buffer shaped like an INFO reply: the header struct, then caps */
struct chain {
	uint64_t words[64];
};

static void put_cap(struct chain *c, uint32_t off, uint16_t id, uint32_t next)
{
	struct vfio_info_cap_header *h = (void *)((char *)c->words + off);

	h->id = id;
	h->version = 1;
	h->next = next;
}

/* heap copy of exactly @argsz bytes, so ASan catches any read past it */
static void *exact(const struct chain *c, size_t argsz)
{
	void *p = malloc(argsz);

	assert_non_null(p);
	memcpy(p, c->words, argsz);
	return p;
}

static void cap_find_walks_chain_to_the_requested_id(void **state)
{
	struct chain c = { 0 };
	const void *out = NULL;
	void *buf;

	(void)state;
	put_cap(&c, 32, 7, 48);
	put_cap(&c, 48, 3, 64);
	put_cap(&c, 64, 1, 0);
	buf = exact(&c, 80);
	assert_int_equal(vfd_vfio_cap_find(buf, 80, 32, 1, 16, &out), 0);
	assert_ptr_equal(out, (char *)buf + 64);
	assert_int_equal(vfd_vfio_cap_find(buf, 80, 32, 3, 8, &out), 0);
	assert_ptr_equal(out, (char *)buf + 48);
	assert_int_equal(vfd_vfio_cap_validate(buf, 80, 32), 0);
	free(buf);
}

static void cap_find_reports_missing_id_as_enoent(void **state)
{
	struct chain c = { 0 };
	const void *out = NULL;
	void *buf;

	(void)state;
	put_cap(&c, 32, 7, 40);
	put_cap(&c, 40, 3, 0);
	buf = exact(&c, 48);
	assert_int_equal(vfd_vfio_cap_find(buf, 48, 32, 2, 8, &out), -ENOENT);
	assert_null(out);
	free(buf);
}

static void cap_find_on_empty_chain_is_enoent(void **state)
{
	struct chain c = { 0 };
	const void *out = NULL;

	(void)state;
	assert_int_equal(vfd_vfio_cap_find(c.words, 32, 0, 1, 8, &out), -ENOENT);
	assert_int_equal(vfd_vfio_cap_validate(c.words, 32, 0), 0);
}

static void cap_chain_with_loop_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;
	void *buf;

	(void)state;
	put_cap(&c, 32, 7, 48);
	put_cap(&c, 48, 3, 32); /* back to the first: a loop */
	buf = exact(&c, 64);
	assert_int_equal(vfd_vfio_cap_find(buf, 64, 32, 1, 8, &out), -EPROTO);
	assert_int_equal(vfd_vfio_cap_validate(buf, 64, 32), -EPROTO);
	free(buf);
}

static void cap_pointing_at_itself_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;
	void *buf;

	(void)state;
	put_cap(&c, 32, 7, 32);
	buf = exact(&c, 40);
	assert_int_equal(vfd_vfio_cap_find(buf, 40, 32, 1, 8, &out), -EPROTO);
	assert_int_equal(vfd_vfio_cap_validate(buf, 40, 32), -EPROTO);
	free(buf);
}

static void cap_backward_offset_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;
	void *buf;

	(void)state;
	/* 64 -> 40: backward, though not a loop (40 was never visited) */
	put_cap(&c, 64, 7, 40);
	put_cap(&c, 40, 1, 0);
	buf = exact(&c, 80);
	assert_int_equal(vfd_vfio_cap_find(buf, 80, 64, 1, 8, &out), -EPROTO);
	assert_int_equal(vfd_vfio_cap_validate(buf, 80, 64), -EPROTO);
	free(buf);
}

static void cap_offset_past_argsz_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;
	void *buf;

	(void)state;
	put_cap(&c, 32, 7, 4096);
	buf = exact(&c, 40);
	assert_int_equal(vfd_vfio_cap_find(buf, 40, 32, 1, 8, &out), -EPROTO);
	assert_int_equal(vfd_vfio_cap_validate(buf, 40, 32), -EPROTO);
	/* and a first offset outside the buffer */
	assert_int_equal(vfd_vfio_cap_validate(buf, 40, 0x10000), -EPROTO);
	free(buf);
}

static void cap_header_straddling_the_end_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;
	void *buf;

	(void)state;
	put_cap(&c, 32, 7, 40);
	/* argsz 44: the next header would need bytes 40..47 */
	buf = exact(&c, 44);
	assert_int_equal(vfd_vfio_cap_find(buf, 44, 32, 1, 8, &out), -EPROTO);
	assert_int_equal(vfd_vfio_cap_validate(buf, 44, 32), -EPROTO);
	free(buf);
}

static void cap_body_past_argsz_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;
	void *buf;

	(void)state;
	put_cap(&c, 32, 1, 0);
	buf = exact(&c, 40);
	/* the header fits, but the caller needs 24 bytes of capability */
	assert_int_equal(vfd_vfio_cap_find(buf, 40, 32, 1, 24, &out), -EPROTO);
	assert_int_equal(vfd_vfio_cap_find(buf, 40, 32, 1, 8, &out), 0);
	free(buf);
}

static void cap_unaligned_offset_is_eproto(void **state)
{
	struct chain c = { 0 };
	const void *out;

	(void)state;
	put_cap(&c, 32, 7, 42);
	assert_int_equal(vfd_vfio_cap_find(c.words, sizeof(c.words), 32, 1, 8, &out),
			 -EPROTO);
	assert_int_equal(vfd_vfio_cap_validate(c.words, sizeof(c.words), 33),
			 -EPROTO);
}

/* kernels before 6.6 pack capabilities: one may sit at 4 mod 8 (6.1's
 * Type1 chain). It is found (its u64 fields are read with memcpy); a
 * 2-byte offset is still malformed. An 8-byte rule made every group-path
 * open on Debian's 6.1 kernel fail with EPROTO */
static void cap_at_a_4_byte_offset_is_found(void **state)
{
	struct chain c = { 0 };
	const void *out;

	(void)state;
	put_cap(&c, 36, 1, 0);
	assert_int_equal(vfd_vfio_cap_find(c.words, sizeof(c.words), 36, 1, 8, &out),
			 0);
	assert_ptr_equal(out, (const char *)c.words + 36);
	put_cap(&c, 32, 7, 44);
	assert_int_equal(vfd_vfio_cap_validate(c.words, sizeof(c.words), 32), 0);
	assert_int_equal(vfd_vfio_cap_validate(c.words, sizeof(c.words), 34),
			 -EPROTO);
}

/* a capability at a version this library does not know is not misread as
 * the one it knows: it counts as absent */
static void cap_of_an_unknown_version_is_absent(void **state)
{
	struct chain c = { 0 };
	const void *out = NULL;
	struct vfio_info_cap_header *h;

	(void)state;
	put_cap(&c, 32, 1, 0);
	h = (void *)((char *)c.words + 32);
	h->version = 2;
	assert_int_equal(vfd_vfio_cap_find(c.words, sizeof(c.words), 32, 1, 8, &out),
			 -ENOENT);
	assert_null(out);
}

/* Debian's 6.1 kernel in the VM suite: before Linux 6.6 the kernel packs
 * capabilities (Type1: migration, the 12-byte DMA-avail, then the IOVA
 * ranges at 4 mod 8); the chain was refused as malformed (an 8-byte
 * alignment rule) and every group-path open failed with EPROTO */
static void packed_capability_chains_of_old_kernels_are_read(void **state)
{
	struct vfiodev_device *dev = NULL;
	struct vfiodev_dirty_info di;
	struct vfiodev_iova_range r[4];

	(void)state;
	fake_cfg.caps_packed = true;
	fake_std_device(BDF, 5, -1);
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_space_iova_ranges(vfiodev_device_space(dev), r, 4),
			 2);
	assert_int_equal(r[0].last, 0xfedfffffull);
	assert_int_equal(r[1].start, 0xfef00000ull);
	assert_int_equal(vfiodev_space_dirty_info(vfiodev_device_space(dev), &di),
			 0);
	assert_int_equal(di.pgsizes, 4096);
	vfiodev_device_close(dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cap_find_walks_chain_to_the_requested_id),
		cmocka_unit_test(cap_find_reports_missing_id_as_enoent),
		cmocka_unit_test(cap_find_on_empty_chain_is_enoent),
		cmocka_unit_test(cap_chain_with_loop_is_eproto),
		cmocka_unit_test(cap_pointing_at_itself_is_eproto),
		cmocka_unit_test(cap_backward_offset_is_eproto),
		cmocka_unit_test(cap_offset_past_argsz_is_eproto),
		cmocka_unit_test(cap_header_straddling_the_end_is_eproto),
		cmocka_unit_test(cap_body_past_argsz_is_eproto),
		cmocka_unit_test(cap_unaligned_offset_is_eproto),
		cmocka_unit_test(cap_at_a_4_byte_offset_is_found),
		cmocka_unit_test(cap_of_an_unknown_version_is_absent),
		T(packed_capability_chains_of_old_kernels_are_read),
	};

	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
