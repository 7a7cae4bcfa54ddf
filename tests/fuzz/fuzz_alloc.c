// SPDX-License-Identifier: MIT
/*
 * The IOVA record (the B+tree of lib/iova_tree.c) driven by the fuzzer's
 * bytes: inserts, removes and lowest-fit queries (any length, alignment,
 * limits), each compared with a brute-force model (a sorted array and a
 * scan of its free spans); vfd_itree_check() after every step.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PG 4096ull
#define MAXN 2048

static struct {
	uint64_t iova, len;
} m[MAXN];
static size_t n;

static size_t upper(uint64_t iova)
{
	size_t i = 0;

	while (i < n && m[i].iova <= iova)
		i++;
	return i;
}

static int free_at(uint64_t iova, uint64_t len)
{
	for (size_t i = 0; i < n; i++)
		if (!(iova + len - 1 < m[i].iova || iova > m[i].iova + m[i].len - 1))
			return 0;
	return 1;
}

static int model_fit(uint64_t len, uint64_t align, uint64_t lo, uint64_t hi,
		     uint64_t *out)
{
	uint64_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		uint64_t e = i < n ? m[i].iova - 1 : UINT64_MAX, s, c;

		if (i < n && m[i].iova == 0) {
			start = m[i].len;
			continue;
		}
		s = start < lo ? lo : start;
		if (e > hi)
			e = hi;
		c = (s + align - 1) & ~(align - 1);
		if (s <= e && c >= s && c <= e && e - c >= len - 1) {
			*out = c;
			return 0;
		}
		if (i < n)
			start = m[i].iova + m[i].len;
	}
	return -ENOSPC;
}

static uint64_t take(const uint8_t **p, const uint8_t *end, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes && *p < end; i++)
		v = v << 8 | *(*p)++;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct itree t;

	if (vfd_itree_init(&t))
		return 0;
	n = 0;
	while (p < end) {
		unsigned int op = (unsigned int)take(&p, end, 1) % 4;

		if (op <= 1 && n < MAXN) {
			/* insert somewhere in 2^24 pages, 1-16 pages long */
			uint64_t iova = (take(&p, end, 3) % (1u << 24)) * PG;
			uint64_t len = (take(&p, end, 1) % 16 + 1) * PG;
			size_t at = upper(iova);

			if (!free_at(iova, len))
				continue;
			if (vfd_itree_reserve(&t, 1))
				break;
			vfd_itree_insert(&t, iova, len, 0);
			memmove(&m[at + 1], &m[at], (n - at) * sizeof(m[0]));
			m[at].iova = iova;
			m[at].len = len;
			n++;
		} else if (op == 2 && n) {
			size_t i = (size_t)take(&p, end, 2) % n;

			vfd_itree_remove(&t, m[i].iova);
			vfd_itree_trim(&t);
			memmove(&m[i], &m[i + 1], (n - i - 1) * sizeof(m[0]));
			n--;
		} else {
			uint64_t len = (take(&p, end, 1) % 64 + 1) * PG;
			uint64_t align = PG << (take(&p, end, 1) % 10);
			uint64_t lo = take(&p, end, 3) * PG;
			uint64_t hi = take(&p, end, 1) & 1 ?
					      UINT64_MAX :
					      lo + take(&p, end, 3) * PG;
			uint64_t a = 0, b = 0;
			int ra, rb;

			if (!lo)
				lo = PG;
			ra = vfd_itree_fit(&t, len, align, lo, hi, &a);
			rb = model_fit(len, align, lo, hi, &b);
			if (ra != rb || (!ra && a != b))
				abort();
		}
		if (vfd_itree_check(&t) || t.count != n)
			abort();
	}
	vfd_itree_fini(&t);
	return 0;
}
