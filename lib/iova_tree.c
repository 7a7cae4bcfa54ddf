// SPDX-License-Identifier: MIT
/*
 * The write side of a DMA space: every mapping and every reserved IOVA
 * span (the holes between the kernel's IOVA ranges) as an entry of a B+tree
 * keyed by IOVA, so that lookups by IOVA, insertion and removal cost a few
 * cache lines in any order, and the lowest free fit under a limit and an
 * alignment is found by descending only into subtrees whose largest free
 * gap could hold the request. This file: the nodes and the lookups;
 * iova_tree_edit.c: insertion, removal and the upkeep of the gaps;
 * iova_fit.c: the lowest fit; iova_tree_check.c: the invariants.
 *
 * Leaves hold up to 40 entries of 24 bytes in IOVA order and are chained
 * both ways; inner nodes hold up to 41 children with, for each, the lowest
 * IOVA it may hold (key[0] is not used for routing) and its largest free
 * gap. The free bytes in front of an entry are its IOVA less its
 * predecessor's end (a leaf keeps only its first entry's); every node keeps
 * a bit mask of its items that have free bytes and its largest gap, so a
 * change of one gap is carried up the path without rescanning nodes, and
 * a rescan, when the largest gap shrank, visits only the items with gaps.
 * The gap below the first entry is neither marked nor counted: the fit
 * tries it first, and the walk does not go down the left edge for it
 * (page 0, below every allocation, is such a gap in every space). Nodes
 * are 1 KiB and 1 KiB-aligned, so an entry's leaf is its address rounded
 * down. Unused slots hold UINT64_MAX, so a search compares a fixed set of
 * slots with no branch on the data, and a descent prefetches the leaf it
 * reaches (leaves are many and cold, inner nodes few and cached).
 *
 * One descent per operation: each lookup leaves its path in the tree's
 * hint, and the insert after a fit or an overlap check, or the remove after
 * a find, starts from that path (a mismatch descends again). An entry always
 * goes into the leaf of its successor, where the gap it splits is kept, and
 * the separator above is lowered when it becomes that leaf's first.
 *
 * A full node splits at the new item when it lands within three items of
 * an end (so ascending and descending builds leave full nodes, also beside
 * the reserved spans a device's IOVA ranges put above every mapping), in
 * the middle otherwise; nodes merge with a neighbour when small enough.
 * Insertion never allocates: the caller reserves nodes first
 * (vfd_itree_reserve), so a mapping that reached the kernel cannot fail to
 * be recorded. Callers hold the space's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "iova_tree.h"

static struct bt_leaf *leaf_of(const struct itree_node *e)
{
	return (struct bt_leaf *)((uintptr_t)e & ~(uintptr_t)(NODE_BYTES - 1));
}

/* ---- nodes ------------------------------------------------------------- */
static void *spare_take(struct itree *t)
{
	void *n = t->spare;

	t->spare = *(void **)n;
	t->nr_spare--;
	memset(n, 0, NODE_BYTES);
	return n;
}

struct bt_leaf *vfd_itree_leaf_new(struct itree *t)
{
	struct bt_leaf *l = spare_take(t);

	leaf_seal(l, 0);
	return l;
}

struct bt_inner *vfd_itree_inner_new(struct itree *t)
{
	struct bt_inner *in = spare_take(t);

	inner_seal(in, 0);
	return in;
}

void vfd_itree_node_free(struct itree *t, void *n)
{
	*(void **)n = t->spare;
	t->spare = n;
	t->nr_spare++;
}

void vfd_itree_trim(struct itree *t)
{
	while (t->nr_spare > SPARE_KEEP) {
		void *n = t->spare;

		t->spare = *(void **)n;
		t->nr_spare--;
		t->nr_nodes--;
		free(n);
	}
}

/* the slow path of vfd_itree_reserve() (kept apart: the fast one then
 * needs no registers saved) */
static __attribute__((noinline)) int reserve_nodes(struct itree *t, size_t inserts)
{
	/* an insert splits at most one node per level and may add a root:
	 * height + 2 nodes. A root split leaves a root of two children,
	 * which splits again only after 31 (at least) more splits below it,
	 * each an insert's: over @inserts the tree grows at most 1 +
	 * (@inserts - 1) / 31 levels. Linear for the batches there are (one
	 * map, the IOVA ranges, at most VFD_IOVA_RANGES_MAX) */
	size_t grow, need;

	grow = 1 + (inserts - 1) / 31;
	need = inserts * (t->height + 2 + grow);
	if (t->height + grow > ITREE_MAX_HEIGHT)
		return -ENOMEM; /* paths are bounded; unreachable in memory */
	vfd_itree_trim(t);
	while (t->nr_spare < need) {
		void *n;

		if (posix_memalign(&n, NODE_BYTES, NODE_BYTES))
			return -ENOMEM;
		t->nr_nodes++;
		vfd_itree_node_free(t, n);
	}
	return 0;
}

int vfd_itree_reserve(struct itree *t, size_t inserts)
{
	if (inserts == 1 && t->nr_spare >= t->height + 3 &&
	    t->nr_spare <= SPARE_KEEP && t->height < ITREE_MAX_HEIGHT)
		return 0; /* the common case: one map, nodes to spare */
	return reserve_nodes(t, inserts);
}

int vfd_itree_init(struct itree *t)
{
	memset(t, 0, sizeof(*t));
	t->hint = calloc(1, sizeof(*t->hint));
	if (!t->hint || vfd_itree_reserve(t, 1)) {
		vfd_itree_fini(t);
		return -ENOMEM;
	}
	t->root = t->head = t->tail = vfd_itree_leaf_new(t);
	return 0;
}

static void free_subtree(void *node, unsigned int h)
{
	if (h) {
		struct bt_inner *in = node;

		for (uint32_t i = 0; i < in->hd.n; i++)
			free_subtree(in->child[i], h - 1);
	}
	free(node);
}

void vfd_itree_fini(struct itree *t)
{
	if (t->root)
		free_subtree(t->root, t->height);
	while (t->spare) {
		void *n = t->spare;

		t->spare = *(void **)n;
		free(n);
	}
	free(t->hint);
	memset(t, 0, sizeof(*t));
}

size_t vfd_itree_bytes(const struct itree *t)
{
	return t->nr_nodes * NODE_BYTES;
}

/* ---- searching --------------------------------------------------------- */
/* How many of a node's 40 slots (sorted, the unused ones UINT64_MAX; slot
 * j is KEY(j)) are <= @x, for @x below UINT64_MAX (so no unused slot
 * counts; vfd_itree_descend() takes that one apart), with no branch on
 * the data: the last slots of the five blocks of eight say which block
 * holds the answer (independent compares), three steps with conditional
 * moves count inside it */
#define COUNT_LE(KEY, x)                                                       \
	({                                                                     \
		uint32_t c_ = (KEY(7) <= (x)) + (KEY(15) <= (x)) +             \
			      (KEY(23) <= (x)) + (KEY(31) <= (x)) +            \
			      (KEY(39) <= (x)),                                \
			 p_ = 40;                                              \
		if (c_ < 5) {                                                  \
			p_ = c_ * 8;                                           \
			p_ += KEY(p_ + 3) <= (x) ? 4 : 0;                      \
			p_ += KEY(p_ + 1) <= (x) ? 2 : 0;                      \
			p_ += KEY(p_) <= (x);                                  \
		}                                                              \
		p_;                                                            \
	})

_Static_assert(LEAF_MAX == 40 && INNER_MAX == 41, "COUNT_LE's 40 slots");

/* the child of @in that holds @iova: the last whose key is <= @iova
 * (key[0] bounds nothing: the slots are key[1..40]) */
static inline uint32_t route(const struct bt_inner *in, uint64_t iova)
{
	const uint64_t *k = in->key + 1;

#define ROUTE_KEY(j) k[j]
	return COUNT_LE(ROUTE_KEY, iova);
#undef ROUTE_KEY
}

/* entries of @l that start at or below @iova */
static inline uint32_t upper(const struct bt_leaf *l, uint64_t iova)
{
	const struct itree_node *e = l->e;

#define LEAF_KEY(j) e[j].iova
	return COUNT_LE(LEAF_KEY, iova);
#undef LEAF_KEY
}

/* ask for a leaf's cache lines at once: the search's steps inside a block
 * depend on each other, and a cold leaf (there are many; the inner nodes
 * are few and stay cached) would cost a memory latency per step. Lines 0,
 * 3, 6, 9, 12 and 15 hold the header and the slots of the five block
 * compares, loaded in parallel anyway (their addresses do not depend on
 * the search); the steps inside block c read lines 3c + 1 and 3c + 2 */
#define LINE_OF(j)                                                             \
	((offsetof(struct bt_leaf, e) + (j) * sizeof(struct itree_node)) / 64)
_Static_assert(LINE_OF(7) == 3 && LINE_OF(15) == 6 && LINE_OF(23) == 9 &&
		       LINE_OF(31) == 12 && LINE_OF(39) == 15 &&
		       sizeof(struct bt_leaf) <= 16 * 64,
	       "the leaf's lines and its block compares");

static inline void prefetch_leaf(const void *node)
{
	/* line 3c + 1: the first step's, and half the others' */
	_Pragma("GCC unroll 5") for (size_t o = 64; o < 15 * 64; o += 3 * 64)
		__builtin_prefetch((const char *)node + o);
}

void vfd_itree_descend(const struct itree *t, uint64_t iova, struct itree_path *pa)
{
	void *n = t->root;

	if (__builtin_expect(iova == UINT64_MAX, 0)) {
		/* every entry starts at or below it, and so would the
		 * unused slots */
		vfd_itree_path_last(t, pa);
		return;
	}
	for (unsigned int h = t->height; h; h--) {
		struct bt_inner *in = n;
		uint32_t i = route(in, iova);

		pa->node[h] = in;
		pa->idx[h] = i;
		n = in->child[i];
	}
	prefetch_leaf(n);
	pa->node[0] = n;
	pa->idx[0] = upper(n, iova);
}

void vfd_itree_path_last(const struct itree *t, struct itree_path *pa)
{
	void *n = t->root;

	for (unsigned int h = t->height; h; h--) {
		struct bt_inner *in = n;

		pa->node[h] = in;
		pa->idx[h] = in->hd.n - 1;
		n = in->child[in->hd.n - 1];
	}
	pa->node[0] = n;
	pa->idx[0] = node_n(n);
}

void vfd_itree_path_first(const struct itree *t, struct itree_path *pa)
{
	void *n = t->root;

	for (unsigned int h = t->height; h; h--) {
		pa->node[h] = n;
		pa->idx[h] = 0;
		n = ((struct bt_inner *)n)->child[0];
	}
	pa->node[0] = n;
	pa->idx[0] = 0;
}

/* move @pa to the first entry of the next leaf, and return that leaf;
 * NULL at the last */
struct bt_leaf *vfd_itree_next_leaf(const struct itree *t, struct itree_path *pa)
{
	unsigned int l = 1;
	void *n;

	while (l <= t->height && pa->idx[l] + 1 >= node_n(pa->node[l]))
		l++;
	if (l > t->height)
		return NULL;
	n = pa->node[l];
	pa->idx[l]++;
	while (l) {
		n = ((struct bt_inner *)n)->child[pa->idx[l]];
		l--;
		pa->node[l] = n;
		pa->idx[l] = 0;
	}
	return n;
}

/* the entry that starts last at or below @iova, or NULL; the path to it
 * in the hint when it is in the leaf the search reached */
static inline struct itree_node *floor_ent(const struct itree *t, uint64_t iova)
{
	struct itree_hint *hint = t->hint;
	struct bt_leaf *l;
	uint32_t p;

	if (!t->root) /* vfd_itree_init() failed */
		return NULL;
	hint->kind = HINT_NONE;
	vfd_itree_descend(t, iova, &hint->path);
	l = hint->path.node[0];
	p = hint->path.idx[0];
	if (p)
		return &l->e[p - 1];
	l = l->prev;
	return l ? &l->e[l->hd.n - 1] : NULL;
}

/* the hint names entry @e, if the last search reached its leaf */
static inline void hint_entry(const struct itree *t, const struct itree_node *e)
{
	struct itree_hint *hint = t->hint;

	if (hint->path.node[0] != leaf_of(e))
		return;
	hint->kind = HINT_ENTRY;
	hint->key = e->iova;
	hint->path.idx[0] = (uint32_t)(e - leaf_of(e)->e);
}

struct itree_node *vfd_itree_find(const struct itree *t, uint64_t iova)
{
	struct itree_node *f = floor_ent(t, iova);
	struct itree_hint *hint = t->hint;

	if (!f || vfd_itree_last(f) < iova)
		return NULL;
	if (hint->path.idx[0]) {
		/* in the leaf the search reached: the path is the entry's */
		hint->kind = HINT_ENTRY;
		hint->key = f->iova;
		hint->path.idx[0]--;
	}
	return f;
}

struct itree_node *vfd_itree_overlap(const struct itree *t, uint64_t first,
				     uint64_t last)
{
	struct itree_node *f = floor_ent(t, last);

	if (f && vfd_itree_last(f) >= first)
		return f;
	if (t->root) {
		/* free: the search stopped where an entry at @first goes */
		t->hint->kind = HINT_SLOT;
		t->hint->key = first;
	}
	return NULL;
}

struct itree_node *vfd_itree_next(const struct itree *t, const struct itree_node *e)
{
	struct bt_leaf *l = leaf_of(e);
	uint32_t i = (uint32_t)(e - l->e);

	(void)t;
	if (i + 1 < l->hd.n)
		return &l->e[i + 1];
	return l->next ? &l->next->e[0] : NULL;
}

struct itree_node *vfd_itree_ceil(const struct itree *t, uint64_t iova)
{
	struct itree_node *f = floor_ent(t, iova);

	if (!f)
		f = t->head && t->head->hd.n ? &t->head->e[0] : NULL;
	else if (vfd_itree_last(f) < iova)
		f = vfd_itree_next(t, f);
	if (f)
		hint_entry(t, f);
	return f;
}

struct itree_node *vfd_itree_last_node(const struct itree *t)
{
	return t->tail && t->tail->hd.n ? &t->tail->e[t->tail->hd.n - 1] : NULL;
}
