// SPDX-License-Identifier: MIT
/*
 * The write side of a DMA space: every mapping and every reserved IOVA
 * span (the holes between the kernel's IOVA ranges) as a node of a treap
 * keyed by IOVA, so that overlap checks, lookups by IOVA, insertion and
 * removal are O(log n) in any order, and the lowest free fit under a limit
 * and an alignment is found by descending only into subtrees whose largest
 * free gap could hold the request.
 *
 * Nodes live in a pool of fixed chunks addressed by 32-bit index (index 0 is
 * "none"); a node's treap priority is a hash of its index, so nothing is
 * stored for it. Each node keeps the free gap in front of it (the bytes
 * between its predecessor's end and its start) and the largest such gap of
 * its subtree, both in 4 KiB pages, saturated at 2^32 - 1: a saturated gap
 * is recomputed from the predecessor when it matters. Callers hold the
 * space's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHUNK_SHIFT 10
#define CHUNK_NODES (1u << CHUNK_SHIFT)
#define GAP_SAT UINT32_MAX

static inline struct itree_node *N(const struct itree *t, uint32_t i)
{
	return &t->chunks[i >> CHUNK_SHIFT][i & (CHUNK_NODES - 1)];
}

struct itree_node *itree_node(const struct itree *t, uint32_t i)
{
	return i ? N(t, i) : NULL;
}

static uint32_t prio(uint32_t i)
{
	/* a 32-bit integer hash (Wang/Jenkins style): order-independent */
	i = (i ^ 61) ^ (i >> 16);
	i *= 9;
	i ^= i >> 4;
	i *= 0x27d4eb2d;
	i ^= i >> 15;
	return i;
}

static bool higher(uint32_t a, uint32_t b)
{
	uint32_t pa = prio(a), pb = prio(b);

	return pa > pb || (pa == pb && a > b);
}

static uint32_t pages_sat(uint64_t bytes)
{
	uint64_t p = bytes >> ITREE_PAGE_SHIFT;

	return p >= GAP_SAT ? GAP_SAT : (uint32_t)p;
}

static void pull(struct itree *t, uint32_t i)
{
	struct itree_node *n = N(t, i);
	uint32_t m = n->gap;

	if (n->l && N(t, n->l)->maxgap > m)
		m = N(t, n->l)->maxgap;
	if (n->r && N(t, n->r)->maxgap > m)
		m = N(t, n->r)->maxgap;
	n->maxgap = m;
}

void itree_init(struct itree *t)
{
	memset(t, 0, sizeof(*t));
}

void itree_fini(struct itree *t)
{
	for (uint32_t c = 0; c < t->nr_chunks; c++)
		free(t->chunks[c]);
	free(t->chunks);
	memset(t, 0, sizeof(*t));
}

size_t itree_bytes(const struct itree *t)
{
	return (size_t)t->nr_chunks * CHUNK_NODES * sizeof(struct itree_node) +
	       t->cap_chunks * sizeof(*t->chunks);
}

/* a node from the free list or a new chunk; 0 when out of memory */
uint32_t itree_alloc(struct itree *t)
{
	uint32_t i;

	if (!t->free_head) {
		struct itree_node *c;
		uint32_t base;

		if (t->nr_chunks == t->cap_chunks) {
			uint32_t cap = t->cap_chunks ? t->cap_chunks * 2 : 8;
			struct itree_node **v;

			if (cap > (UINT32_MAX >> CHUNK_SHIFT))
				return 0;
			v = realloc(t->chunks, cap * sizeof(*v));
			if (!v)
				return 0;
			t->chunks = v;
			t->cap_chunks = cap;
		}
		c = calloc(CHUNK_NODES, sizeof(*c));
		if (!c)
			return 0;
		t->chunks[t->nr_chunks] = c;
		base = t->nr_chunks++ << CHUNK_SHIFT;
		/* chain the chunk's nodes; index 0 stays unused */
		for (uint32_t k = CHUNK_NODES; k-- > 0;) {
			if (base + k == 0)
				continue;
			c[k].l = t->free_head;
			t->free_head = base + k;
		}
	}
	i = t->free_head;
	t->free_head = N(t, i)->l;
	memset(N(t, i), 0, sizeof(struct itree_node));
	return i;
}

void itree_release(struct itree *t, uint32_t i)
{
	struct itree_node *n = N(t, i);

	memset(n, 0, sizeof(*n));
	n->l = t->free_head;
	t->free_head = i;
}

/* the node that contains @iova, or 0 */
uint32_t itree_find(const struct itree *t, uint64_t iova)
{
	uint32_t i = t->root;

	while (i) {
		const struct itree_node *n = N(t, i);

		if (iova < n->iova)
			i = n->l;
		else if (iova - n->iova >= n->len)
			i = n->r;
		else
			return i;
	}
	return 0;
}

/* some node that overlaps [@first, @last], or 0 */
uint32_t itree_overlap(const struct itree *t, uint64_t first, uint64_t last)
{
	uint32_t i = t->root;

	while (i) {
		const struct itree_node *n = N(t, i);

		if (last < n->iova)
			i = n->l;
		else if (first > itree_last(n))
			i = n->r;
		else
			return i;
	}
	return 0;
}

/* the first node whose last byte is >= @iova, or 0 */
uint32_t itree_ceil(const struct itree *t, uint64_t iova)
{
	uint32_t i = t->root, best = 0;

	while (i) {
		const struct itree_node *n = N(t, i);

		if (itree_last(n) >= iova) {
			best = i;
			i = n->l;
		} else {
			i = n->r;
		}
	}
	return best;
}

/* the node after @i in IOVA order, or 0 */
uint32_t itree_next(const struct itree *t, uint32_t i)
{
	const struct itree_node *n = N(t, i);

	if (itree_last(n) == UINT64_MAX)
		return 0;
	return itree_ceil(t, itree_last(n) + 1);
}

/* the last node that ends below @iova, or 0 */
static uint32_t floor_below(const struct itree *t, uint64_t iova)
{
	uint32_t i = t->root, best = 0;

	while (i) {
		const struct itree_node *n = N(t, i);

		if (n->iova < iova) {
			best = i;
			i = n->r;
		} else {
			i = n->l;
		}
	}
	return best;
}

uint32_t itree_last_node(const struct itree *t)
{
	uint32_t i = t->root;

	while (i && N(t, i)->r)
		i = N(t, i)->r;
	return i;
}

/* first free byte in front of the node at @iova (its predecessor's end + 1) */
static uint64_t gap_start(const struct itree *t, uint64_t iova)
{
	uint32_t p = floor_below(t, iova);

	return p ? itree_last(N(t, p)) + 1 : 0;
}

static uint32_t rot_right(struct itree *t, uint32_t i)
{
	uint32_t l = N(t, i)->l;

	N(t, i)->l = N(t, l)->r;
	N(t, l)->r = i;
	pull(t, i);
	pull(t, l);
	return l;
}

static uint32_t rot_left(struct itree *t, uint32_t i)
{
	uint32_t r = N(t, i)->r;

	N(t, i)->r = N(t, r)->l;
	N(t, r)->l = i;
	pull(t, i);
	pull(t, r);
	return r;
}

static uint32_t insert_at(struct itree *t, uint32_t root, uint32_t x)
{
	struct itree_node *n;

	if (!root)
		return x;
	n = N(t, root);
	if (N(t, x)->iova < n->iova) {
		n->l = insert_at(t, n->l, x);
		if (higher(n->l, root))
			return rot_right(t, root);
	} else {
		n->r = insert_at(t, n->r, x);
		if (higher(n->r, root))
			return rot_left(t, root);
	}
	pull(t, root);
	return root;
}

static uint32_t merge(struct itree *t, uint32_t a, uint32_t b)
{
	if (!a || !b)
		return a ? a : b;
	if (higher(a, b)) {
		N(t, a)->r = merge(t, N(t, a)->r, b);
		pull(t, a);
		return a;
	}
	N(t, b)->l = merge(t, a, N(t, b)->l);
	pull(t, b);
	return b;
}

static uint32_t erase_at(struct itree *t, uint32_t root, uint64_t iova)
{
	struct itree_node *n;

	if (!root)
		return 0;
	n = N(t, root);
	if (iova < n->iova)
		n->l = erase_at(t, n->l, iova);
	else if (iova > n->iova)
		n->r = erase_at(t, n->r, iova);
	else
		return merge(t, n->l, n->r);
	pull(t, root);
	return root;
}

/* pull every node on the path from @root to the node at @iova: its gap
 * changed, so must the largest gaps above it */
static void refresh(struct itree *t, uint32_t root, uint64_t iova)
{
	struct itree_node *n;

	if (!root)
		return;
	n = N(t, root);
	if (iova < n->iova)
		refresh(t, n->l, iova);
	else if (iova > n->iova)
		refresh(t, n->r, iova);
	pull(t, root);
}

/* link node @x (iova, len, vaddr set; it overlaps nothing) into the tree */
void itree_insert(struct itree *t, uint32_t x)
{
	struct itree_node *n = N(t, x);
	uint32_t pred = 0, succ = 0, i = t->root;

	/* one descent finds both neighbours of the leaf position */
	while (i) {
		if (n->iova < N(t, i)->iova) {
			succ = i;
			i = N(t, i)->l;
		} else {
			pred = i;
			i = N(t, i)->r;
		}
	}
	n->l = n->r = 0;
	n->gap = pages_sat(n->iova - (pred ? itree_last(N(t, pred)) + 1 : 0));
	n->maxgap = n->gap;
	if (succ)
		N(t, succ)->gap = pages_sat(N(t, succ)->iova - (itree_last(n) + 1));
	/* the neighbours are ancestors of the leaf: the insert pulls them */
	t->root = insert_at(t, t->root, x);
	t->count++;
}

/* unlink node @x; the caller releases it */
void itree_remove(struct itree *t, uint32_t x)
{
	struct itree_node *n = N(t, x);
	uint32_t succ = itree_next(t, x);
	uint64_t start = succ ? gap_start(t, n->iova) : 0;

	t->root = erase_at(t, t->root, n->iova);
	t->count--;
	/* the successor's gap now reaches back over @x; merge() does not
	 * visit every node whose subtree holds it, so walk to it */
	if (succ) {
		N(t, succ)->gap = pages_sat(N(t, succ)->iova - start);
		refresh(t, t->root, N(t, succ)->iova);
	}
}

struct fit {
	uint64_t len, align, lo, hi; /* hi: last usable byte */
	uint64_t found;
	bool ok; /* found */
	bool done; /* found, or past @hi */
};

/* try the free span [@s, @e] */
static bool try_span(struct fit *f, uint64_t s, uint64_t e)
{
	uint64_t c, end;

	if (s > f->hi) {
		f->done = true;
		return false;
	}
	if (s < f->lo)
		s = f->lo;
	if (e > f->hi)
		e = f->hi;
	if (s > e)
		return false;
	c = (s + (f->align - 1)) & ~(f->align - 1);
	if (c < s)
		return false;
	end = c + (f->len - 1);
	if (end < c || end > e)
		return false;
	f->found = c;
	f->ok = f->done = true;
	return true;
}

static void fit_walk(const struct itree *t, uint32_t i, struct fit *f)
{
	const struct itree_node *n;
	uint64_t need = f->len >> ITREE_PAGE_SHIFT;

	while (i && !f->done) {
		n = N(t, i);
		if (n->maxgap < need && n->maxgap != GAP_SAT)
			return;
		fit_walk(t, n->l, f);
		if (f->done)
			return;
		if (n->gap >= need && n->iova) {
			uint64_t s = n->gap == GAP_SAT ?
					     gap_start(t, n->iova) :
					     n->iova - ((uint64_t)n->gap
							<< ITREE_PAGE_SHIFT);

			if (try_span(f, s, n->iova - 1))
				return;
		} else if (n->iova > f->hi) {
			f->done = true;
			return;
		}
		if (f->done)
			return;
		i = n->r; /* the right subtree, iteratively */
	}
}

/* lowest @align-aligned IOVA in [@lo, @hi] where @len bytes are free; 0
 * and *@out, or -ENOSPC */
int itree_fit(const struct itree *t, uint64_t len, uint64_t align, uint64_t lo,
	      uint64_t hi, uint64_t *out)
{
	struct fit f = { .len = len, .align = align, .lo = lo, .hi = hi };
	uint32_t last;

	if (!len || lo > hi)
		return -ENOSPC;
	fit_walk(t, t->root, &f);
	if (!f.done) {
		/* the free tail after the last node */
		last = itree_last_node(t);
		if (!last)
			try_span(&f, 0, UINT64_MAX);
		else if (itree_last(N(t, last)) != UINT64_MAX)
			try_span(&f, itree_last(N(t, last)) + 1, UINT64_MAX);
	}
	if (!f.ok)
		return -ENOSPC;
	*out = f.found;
	return 0;
}
