// SPDX-License-Identifier: MIT
/*
 * The B+tree of the mapping record (lib/iova_tree.c), white box: tens of
 * thousands of entries (three levels), random inserts and removes against
 * a sorted-array model, every structural invariant checked along the way
 * (vfd_itree_check: order, gaps, largest gaps, separators, the leaf chain,
 * equal leaf depth), lookups and the lowest fit compared with brute force,
 * and the density of ascending and descending builds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

#define PG 4096ull

struct ent {
	uint64_t iova, len;
};

static struct ent *model;
static size_t nmodel;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* index of the first model entry starting above @iova */
static size_t model_upper(uint64_t iova)
{
	size_t lo = 0, hi = nmodel;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (model[mid].iova <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_free(uint64_t iova, uint64_t len)
{
	size_t p = model_upper(iova + len - 1);

	return !p || model[p - 1].iova + model[p - 1].len <= iova;
}

static void model_add(uint64_t iova, uint64_t len)
{
	size_t p = model_upper(iova);

	memmove(&model[p + 1], &model[p], (nmodel - p) * sizeof(*model));
	model[p] = (struct ent){ iova, len };
	nmodel++;
}

static void model_del(size_t i)
{
	memmove(&model[i], &model[i + 1], (nmodel - i - 1) * sizeof(*model));
	nmodel--;
}

/* lowest @align-aligned start in [@lo, @hi] with @len free: brute force
 * over the free spans of the model */
static int model_fit(uint64_t len, uint64_t align, uint64_t lo, uint64_t hi,
		     uint64_t *out)
{
	uint64_t start = 0;

	for (size_t i = 0; i <= nmodel; i++) {
		uint64_t end = i < nmodel ? model[i].iova : UINT64_MAX;
		uint64_t s = start < lo ? lo : start, e, c;

		if (i < nmodel && !end) {
			start = model[i].len;
			continue;
		}
		e = i < nmodel ? end - 1 : UINT64_MAX;
		if (e > hi)
			e = hi;
		c = (s + align - 1) & ~(align - 1);
		if (s <= e && c >= s && c <= e && e - c >= len - 1) {
			*out = c;
			return 0;
		}
		if (i < nmodel)
			start = model[i].iova + model[i].len;
	}
	return -ENOSPC;
}

static void compare(struct itree *t)
{
	const struct itree_node *n = vfd_itree_ceil(t, 0);

	assert_int_equal(vfd_itree_check(t), 0);
	assert_int_equal(t->count, nmodel);
	for (size_t i = 0; i < nmodel; i++, n = vfd_itree_next(t, n)) {
		assert_non_null(n);
		assert_int_equal(n->iova, model[i].iova);
		assert_int_equal(n->len, model[i].len);
	}
	assert_null(n);
}

static void probe(struct itree *t, uint64_t span)
{
	uint64_t a = (rnd() % span) & ~(PG - 1), got, want;
	uint64_t len = PG * (1 + rnd() % 64), align = PG << (rnd() % 6);
	uint64_t hi = rnd() % 4 ? UINT64_MAX : a + len * 8;
	size_t p = model_upper(a);
	const struct itree_node *f = vfd_itree_find(t, a);
	bool in = p && model[p - 1].iova + model[p - 1].len > a;
	int r1, r2;

	assert_int_equal(f != NULL, in);
	if (in)
		assert_int_equal(f->iova, model[p - 1].iova);
	f = vfd_itree_overlap(t, a, a + len - 1);
	assert_int_equal(f == NULL, model_free(a, len));
	r1 = vfd_itree_fit(t, len, align, PG, hi, &got);
	r2 = model_fit(len, align, PG, hi, &want);
	assert_int_equal(r1, r2);
	if (!r1)
		assert_int_equal(got, want);
}

/* random inserts and removes, up to @cap live entries in @span bytes */
static void run(size_t ops, size_t cap, uint64_t span)
{
	struct itree t;

	model = calloc(cap + 1, sizeof(*model));
	nmodel = 0;
	assert_non_null(model);
	assert_int_equal(vfd_itree_init(&t), 0);
	for (size_t op = 0; op < ops; op++) {
		/* grow to the cap, then hover around it */
		bool add = nmodel < cap && (rnd() % 100 < (op < ops / 2 ? 70 : 45));

		if (add) {
			uint64_t iova = (rnd() % span) & ~(PG - 1);
			uint64_t len = PG * (1 + rnd() % 4);

			if (!iova || !model_free(iova, len) || iova + len < iova)
				continue;
			assert_int_equal(vfd_itree_reserve(&t, 1), 0);
			vfd_itree_insert(&t, iova, len, 0);
			model_add(iova, len);
		} else if (nmodel) {
			size_t i = rnd() % nmodel;

			vfd_itree_remove(&t, model[i].iova);
			vfd_itree_trim(&t);
			model_del(i);
		}
		if (op % 997 == 0) {
			compare(&t);
			for (int k = 0; k < 20; k++)
				probe(&t, span);
		}
	}
	compare(&t);
	/* and everything out again, in random order */
	while (nmodel) {
		size_t i = rnd() % nmodel;

		vfd_itree_remove(&t, model[i].iova);
		model_del(i);
		if (nmodel % 1001 == 0)
			compare(&t);
	}
	compare(&t);
	assert_int_equal(t.height, 0);
	vfd_itree_fini(&t);
	free(model);
}

static void tree_small_matches_model(void **state)
{
	(void)state;
	run(200000, 100, 1ull << 24);
}

static void tree_three_levels_matches_model(void **state)
{
	(void)state;
	run(300000, 40000, 1ull << 36);
}

/* ascending and descending builds leave full leaves: ~25 bytes per entry
 * plus the inner nodes, and removing them all leaves one empty leaf */
static void tree_sequential_builds_stay_dense(void **state)
{
	(void)state;
	for (int desc = 0; desc < 2; desc++) {
		struct itree t;
		size_t n = 50000;

		assert_int_equal(vfd_itree_init(&t), 0);
		for (size_t k = 0; k < n; k++) {
			uint64_t i = desc ? n - k : k + 1;

			assert_int_equal(vfd_itree_reserve(&t, 1), 0);
			vfd_itree_insert(&t, i * 2 * PG, PG, 0);
		}
		assert_int_equal(vfd_itree_check(&t), 0);
		print_message("%s build of %zu: %.1f bytes per entry, height %u\n",
			      desc ? "descending" : "ascending", n,
			      (double)vfd_itree_bytes(&t) / (double)n, t.height);
		assert_true(vfd_itree_bytes(&t) / n <= 28);
		for (size_t k = 0; k < n; k++) {
			uint64_t i = desc ? n - k : k + 1;

			vfd_itree_remove(&t, i * 2 * PG);
			vfd_itree_trim(&t);
		}
		assert_int_equal(vfd_itree_check(&t), 0);
		assert_int_equal(t.count, 0);
		assert_int_equal(t.height, 0);
		assert_true(vfd_itree_bytes(&t) <= 17 * 1024);
		vfd_itree_fini(&t);
	}
}

/* a device's x86 IOVA ranges put two reserved spans above every mapping
 * (the MSI window and everything above 2^48): builds in either order just
 * below them leave full leaves too (they split in the middle, 66 bytes per
 * entry, when only an insert at or next to the end split there) */
static void tree_builds_below_reserved_spans_stay_dense(void **state)
{
	(void)state;
	for (int desc = 0; desc < 2; desc++) {
		struct itree t;
		size_t n = 50000;
		double per;

		assert_int_equal(vfd_itree_init(&t), 0);
		assert_int_equal(vfd_itree_reserve(&t, 2), 0);
		vfd_itree_insert(&t, 0xfee00000ull, 0x100000, MAPF_RESERVED);
		vfd_itree_insert(&t, 1ull << 48, -(1ull << 48), MAPF_RESERVED);
		for (size_t k = 0; k < n; k++) {
			uint64_t i = desc ? n - k : k + 1;

			assert_int_equal(vfd_itree_reserve(&t, 1), 0);
			vfd_itree_insert(&t, i * 2 * PG, PG, 0);
		}
		assert_int_equal(vfd_itree_check(&t), 0);
		per = (double)vfd_itree_bytes(&t) / (double)n;
		print_message("%s build of %zu below two reserved spans: %.1f bytes per entry, height %u\n",
			      desc ? "descending" : "ascending", n, per, t.height);
		assert_true(per <= 28);
		vfd_itree_fini(&t);
	}
}

/* the paths lookups leave for the edit after them: a fit then an insert at
 * what it found, an overlap check then an insert, a find or a ceil then a
 * remove of what it returned, all against the model, with the invariants
 * checked after every edit */
static void tree_edits_after_lookups_match_model(void **state)
{
	const size_t cap = 3000, ops = 60000;
	const uint64_t span = 1ull << 28;
	struct itree t;

	(void)state;
	model = calloc(cap + 1, sizeof(*model));
	nmodel = 0;
	assert_non_null(model);
	assert_int_equal(vfd_itree_init(&t), 0);
	for (size_t op = 0; op < ops; op++) {
		unsigned int kind = (unsigned int)(rnd() % 4);
		bool add = nmodel < cap && rnd() % 100 < (op < ops / 2 ? 65 : 45);
		uint64_t len = PG * (1 + rnd() % 8), iova;

		if (add && kind < 2) {
			/* a fit, then the insert there */
			uint64_t align = PG << (rnd() % 4), want;
			uint64_t lo = kind ? (rnd() % span) & ~(PG - 1) : PG;
			int r1 = vfd_itree_fit(&t, len, align, lo, UINT64_MAX,
					       &iova);

			assert_int_equal(r1, model_fit(len, align, lo,
						       UINT64_MAX, &want));
			if (r1)
				continue;
			assert_int_equal(iova, want);
			assert_int_equal(vfd_itree_reserve(&t, 1), 0);
			vfd_itree_insert(&t, iova, len, 0);
			model_add(iova, len);
		} else if (add) {
			/* an overlap check, then the insert */
			iova = (rnd() % span) & ~(PG - 1);
			assert_int_equal(vfd_itree_overlap(&t, iova,
							   iova + len - 1) == NULL,
					 model_free(iova, len));
			if (!model_free(iova, len))
				continue;
			assert_int_equal(vfd_itree_reserve(&t, 1), 0);
			vfd_itree_insert(&t, iova, len, 0);
			model_add(iova, len);
		} else if (nmodel) {
			/* a find inside an entry or a ceil, then its removal */
			size_t i = rnd() % nmodel;
			const struct itree_node *n;

			if (kind & 1) {
				n = vfd_itree_find(&t, model[i].iova +
							       rnd() % model[i].len);
			} else {
				uint64_t d = rnd() % (PG * 4);

				n = vfd_itree_ceil(&t, model[i].iova > d ?
							       model[i].iova - d :
							       0);
				if (n && n->iova != model[i].iova) {
					/* the ceil was an earlier entry */
					i = model_upper(n->iova) - 1;
				}
			}
			assert_non_null(n);
			assert_int_equal(n->iova, model[i].iova);
			vfd_itree_remove(&t, n->iova);
			vfd_itree_trim(&t);
			model_del(i);
		} else {
			continue;
		}
		assert_int_equal(vfd_itree_check(&t), 0);
	}
	compare(&t);
	vfd_itree_fini(&t);
	free(model);
}

/* a batch reserve (the IOVA ranges' reserved spans) costs nodes in
 * proportion to the batch (it was batch * (height + 2 + batch): 16 GiB for
 * 4,096 ranges), and is still enough for the batch in any order: no insert
 * of it takes a node that was not reserved */
static void tree_batch_reserve_is_linear_and_enough(void **state)
{
	static const size_t bases[] = { 0, 900, 30000 };
	static const size_t batches[] = { 1, 31, 257 };

	(void)state;
	for (size_t b = 0; b < ARRAY_SIZE(bases); b++)
		for (size_t k = 0; k < ARRAY_SIZE(batches); k++)
			for (int order = 0; order < 3; order++) {
				size_t n = bases[b], m = batches[k], spare;
				struct itree t;

				assert_int_equal(vfd_itree_init(&t), 0);
				/* entries on even pages, the batch on odd ones */
				for (size_t i = 0; i < n; i++) {
					uint64_t at = (rnd() % 262144) * 4 * PG;

					assert_int_equal(vfd_itree_reserve(&t, 1),
							 0);
					if (!vfd_itree_overlap(&t, at, at + PG - 1))
						vfd_itree_insert(&t, at, PG, 0);
				}
				assert_int_equal(vfd_itree_reserve(&t, m), 0);
				spare = t.nr_spare;
				assert_true(spare <=
					    m * (t.height + 3 + (m - 1) / 31));
				assert_true(spare <= 16 * m + 16);
				for (size_t i = 0; i < m; i++) {
					uint64_t at = order == 0 ? i :
						      order == 1 ? m - i :
								   rnd() % 262144;

					/* spares never run out: the tree asks for none */
					assert_true(t.nr_spare > 0);
					if (vfd_itree_overlap(&t, (at * 4 + 1) * PG,
							      (at * 4 + 1) * PG +
								      PG - 1))
						continue;
					vfd_itree_insert(&t, (at * 4 + 1) * PG,
							 PG, 0);
				}
				assert_int_equal(vfd_itree_check(&t), 0);
				vfd_itree_fini(&t);
			}
}

/* the gap in front of the first entry counts from IOVA 0; the tail after
 * the last one is free up to the top */
static void tree_fit_uses_head_and_tail(void **state)
{
	struct itree t;
	uint64_t got;

	(void)state;
	assert_int_equal(vfd_itree_init(&t), 0);
	assert_int_equal(vfd_itree_fit(&t, PG, PG, PG, UINT64_MAX, &got), 0);
	assert_int_equal(got, PG);
	assert_int_equal(vfd_itree_reserve(&t, 2), 0);
	vfd_itree_insert(&t, 4 * PG, PG, 0);
	vfd_itree_insert(&t, UINT64_MAX - PG + 1, PG, 0);
	assert_int_equal(vfd_itree_check(&t), 0);
	assert_int_equal(vfd_itree_fit(&t, 3 * PG, PG, PG, UINT64_MAX, &got), 0);
	assert_int_equal(got, PG);
	assert_int_equal(vfd_itree_fit(&t, 4 * PG, PG, PG, UINT64_MAX, &got), 0);
	assert_int_equal(got, 5 * PG);
	assert_int_equal(vfd_itree_fit(&t, 4 * PG, PG, PG, 9 * PG - 1, &got), 0);
	assert_int_equal(got, 5 * PG);
	assert_int_equal(vfd_itree_fit(&t, 4 * PG, PG, PG, 9 * PG - 2, &got),
			 -ENOSPC);
	vfd_itree_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tree_fit_uses_head_and_tail),
		cmocka_unit_test(tree_batch_reserve_is_linear_and_enough),
		cmocka_unit_test(tree_small_matches_model),
		cmocka_unit_test(tree_three_levels_matches_model),
		cmocka_unit_test(tree_sequential_builds_stay_dense),
		cmocka_unit_test(tree_builds_below_reserved_spans_stay_dense),
		cmocka_unit_test(tree_edits_after_lookups_match_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
