// SPDX-License-Identifier: MIT
/*
 * The read side's radix table (lib/vtable.c, vfd_vtable_lookup in
 * lib/internal.h), white box, under threads: one writer maps one buffer
 * again and again at different IOVAs with different lengths, readers
 * translate it with its length, and every answer must be one of the
 * mappings the writer made (IOVA and length of the same one) or -ENOENT.
 * A 4 KiB slot (third level) and a 2 MiB slot (second level) are tried.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>

#include "internal.h"

#define NREADERS 2
#define NLAYOUTS 3

/* one way the buffer at va is mapped: at iova, for len bytes */
struct layout {
	uint64_t iova, len;
};

struct race {
	struct vtable vt;
	uint64_t va; /* the address the readers translate */
	struct layout lay[NLAYOUTS];
	bool stop;
	unsigned long lookups, torn, absent, rounds;
	uint64_t bad_iova, bad_len;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	unsigned long n = 0, torn = 0, absent = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		for (int k = 0; k < 256; k++, n++) {
			uint64_t iova, len;
			bool ok = false;

			if (vfd_vtable_lookup(&r->vt, r->va, &iova, &len)) {
				absent++;
				continue;
			}
			for (int i = 0; i < NLAYOUTS; i++)
				ok |= iova == r->lay[i].iova && len == r->lay[i].len;
			if (!ok) {
				__atomic_store_n(&r->bad_iova, iova,
						 __ATOMIC_RELAXED);
				__atomic_store_n(&r->bad_len, len, __ATOMIC_RELAXED);
				torn++;
			}
		}
	}
	__atomic_add_fetch(&r->lookups, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->torn, torn, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->absent, absent, __ATOMIC_RELAXED);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the writer cycles through the layouts for about @seconds */
static void race(struct race *r, double seconds)
{
	pthread_t th[NREADERS];
	double t0;

	assert_int_equal(vfd_vtable_init(&r->vt), 0);
	for (int t = 0; t < NREADERS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, reader, r), 0);
	t0 = now();
	do {
		for (int k = 0; k < 1024; k++) {
			const struct layout *l = &r->lay[r->rounds++ % NLAYOUTS];

			assert_int_equal(vfd_vtable_set(&r->vt, r->va, l->len,
							l->iova),
					 0);
			vfd_vtable_clear(&r->vt, r->va, l->len);
		}
	} while (now() - t0 < seconds);
	__atomic_store_n(&r->stop, true, __ATOMIC_RELAXED);
	for (int t = 0; t < NREADERS; t++)
		pthread_join(th[t], NULL);
	vfd_vtable_fini(&r->vt);
	print_message("%lu rounds, %lu lookups, %lu absent, %lu torn (last: IOVA 0x%llx len 0x%llx)\n",
		      r->rounds, r->lookups, r->absent, r->torn,
		      (unsigned long long)r->bad_iova,
		      (unsigned long long)r->bad_len);
	assert_true(r->lookups > r->absent);
	assert_int_equal(r->torn, 0);
}

static double race_seconds(void)
{
	const char *s = getenv("VFIODEV_RACE_SECONDS");

	return s ? atof(s) : 1.0;
}

static void a_remapped_page_never_pairs_one_iova_with_another_length(void **state)
{
	/* the case: 4 KiB at 1 MiB, then 64 KiB elsewhere (a third
	 * layout makes the old word come back over another end) */
	static struct race r = {
		.va = 0x7f0000100000ull,
		.lay = { { 0x100000, 0x1000 },
			 { 0x400000, 0x10000 },
			 { 0x100000, 0x2000 } },
	};

	(void)state;
	race(&r, race_seconds());
}

static void a_remapped_superpage_never_pairs_one_iova_with_another_length(void **state)
{
	/* a whole 2 MiB slot is one second-level entry */
	static struct race r = {
		.va = 0x7f0000200000ull,
		.lay = { { 0x200000, 0x200000 },
			 { 0x1000000, 0x600000 },
			 { 0x200000, 0x400000 } },
	};

	(void)state;
	race(&r, race_seconds());
}

static void ends_keep_their_full_range_beside_the_sequence(void **state)
{
	struct vtable vt;
	uint64_t iova, len, top = 1ull << VT_VA_BITS;

	(void)state;
	assert_int_equal(vfd_vtable_init(&vt), 0);
	/* the highest page of the 48-bit space: its end is 2^48 */
	assert_int_equal(vfd_vtable_set(&vt, top - 0x1000, 0x1000, 0xabc000), 0);
	assert_int_equal(vfd_vtable_lookup(&vt, top - 0x1000 + 5, &iova, &len), 0);
	assert_int_equal(iova, 0xabc005);
	assert_int_equal(len, 0x1000 - 5);
	/* the sequence bumps with each set, the end stays exact */
	for (int i = 0; i < 5000; i++) {
		vfd_vtable_clear(&vt, top - 0x1000, 0x1000);
		assert_int_equal(vfd_vtable_set(&vt, top - 0x1000, 0x1000, 0x1000),
				 0);
	}
	assert_int_equal(vfd_vtable_lookup(&vt, top - 1, &iova, &len), 0);
	assert_int_equal(iova, 0x1fff);
	assert_int_equal(len, 1);
	assert_int_equal(vfd_vtable_lookup(&vt, top, &iova, &len), -ENOENT);
	/* a length that wraps past 2^64 back below 2^48 is out of range
	 * (it passed, and a 2^64-byte mapping got one 4 KiB leaf) */
	assert_int_equal(vfd_vtable_check(&vt, 1ull << 47, -(1ull << 46), &iova),
			 -ERANGE);
	assert_int_equal(vfd_vtable_set(&vt, 1ull << 47, -(1ull << 46), 0x1000),
			 -ERANGE);
	assert_int_equal(vfd_vtable_check(&vt, top - 0x1000, 0x2000, &iova),
			 -ERANGE);
	vfd_vtable_fini(&vt);
}

/* a map's table memory is taken at its check, before the kernel maps:
 * the set after it allocates nothing, so it cannot fail and leave a
 * kernel mapping without a record */
static void the_check_makes_the_tables_the_set_needs(void **state)
{
	static const struct layout ranges[] = {
		{ 0x7f0000001000ull, 0x1000 }, /* one page: two tables */
		{ 0x7f00001ff000ull, 0x402000 }, /* across 2 MiB slots */
		{ 0x7f0040000000ull, 0x40000000 }, /* one whole 1 GiB slot */
	};
	struct vtable vt;
	uint64_t busy, iova, len;

	(void)state;
	assert_int_equal(vfd_vtable_init(&vt), 0);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct layout *r = &ranges[i];
		size_t tables;

		assert_int_equal(vfd_vtable_check(&vt, r->iova, r->len, &busy), 0);
		tables = vt.nr_tables;
		assert_int_equal(vfd_vtable_set(&vt, r->iova, r->len, 0x100000), 0);
		assert_int_equal(vt.nr_tables, tables);
		assert_int_equal(vfd_vtable_lookup(&vt, r->iova + r->len - 1,
						   &iova, &len),
				 0);
		assert_int_equal(iova, 0x100000 + r->len - 1);
		assert_int_equal(len, 1);
	}
	/* the page: a second- and a third-level table; the span: one more
	 * third-level table (its first slot shares the page's); 1 GiB: none */
	assert_int_equal(vt.nr_tables, 3);
	vfd_vtable_fini(&vt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_remapped_page_never_pairs_one_iova_with_another_length),
		cmocka_unit_test(
			a_remapped_superpage_never_pairs_one_iova_with_another_length),
		cmocka_unit_test(ends_keep_their_full_range_beside_the_sequence),
		cmocka_unit_test(the_check_makes_the_tables_the_set_needs),
	};

	return cmocka_run_group_tests_name("vtable", tests, NULL, NULL);
}
