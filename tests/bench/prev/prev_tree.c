// SPDX-License-Identifier: MIT
/* The previous design (lib/iova_tree.c at cf8a276), the bench's baseline */
/*
 * The write side of a DMA space: every mapping and every reserved IOVA
 * span (the holes between the kernel's IOVA ranges) as an entry of a B+tree
 * keyed by IOVA, so that lookups by IOVA, insertion and removal cost a few
 * cache lines in any order, and the lowest free fit under a limit and an
 * alignment is found by descending only into subtrees whose largest free
 * gap could hold the request (iova_fit.c; the invariants: iova_tree_check.c).
 *
 * Leaves hold up to 31 entries of 32 bytes in IOVA order and are chained
 * both ways; inner nodes hold up to 32 children with, for each, the lowest
 * IOVA it may hold (key[0] is not used for routing) and the largest free
 * gap of its entries. Every entry keeps the free bytes in front of it (from
 * its predecessor's end, or from IOVA 0). Nodes are 1 KiB and 1 KiB-aligned,
 * so an entry's leaf is its address rounded down. A leaf that is full
 * splits where the new entry goes when that is an end (ascending and
 * descending builds stay dense) and in the middle otherwise; nodes merge
 * with a neighbour when small enough. Insertion never allocates: the caller
 * reserves nodes first (prev_itree_reserve), so a mapping that reached the
 * kernel cannot fail to be recorded. Callers hold the space's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "prev.h"
#include "prev_tree.h"

static struct prev_leaf *leaf_of(const struct prev_node *e)
{
	return (struct prev_leaf *)((uintptr_t)e & ~(uintptr_t)(NODE_BYTES - 1));
}

/* ---- nodes ------------------------------------------------------------- */
static void *spare_take(struct prev_tree *t)
{
	void *n = t->spare;

	t->spare = *(void **)n;
	t->nr_spare--;
	memset(n, 0, NODE_BYTES);
	return n;
}

static void spare_put(struct prev_tree *t, void *n)
{
	*(void **)n = t->spare;
	t->spare = n;
	t->nr_spare++;
}

void prev_itree_trim(struct prev_tree *t)
{
	while (t->nr_spare > SPARE_KEEP) {
		void *n = t->spare;

		t->spare = *(void **)n;
		t->nr_spare--;
		t->nr_nodes--;
		free(n);
	}
}

int prev_itree_reserve(struct prev_tree *t, size_t inserts)
{
	/* an insert splits at most one node per level and may add a root:
	 * height + 2 nodes. A root split leaves a root of two children,
	 * which splits again only after 31 more splits below it, each an
	 * insert's: over @inserts the tree grows at most 1 + (@inserts - 1)
	 * / 31 levels. Linear for the batches there are (one map, the IOVA
	 * ranges, at most VFD_IOVA_RANGES_MAX) */
	size_t need = inserts * (t->height + 3 + (inserts - 1) / 31);

	prev_itree_trim(t);
	while (t->nr_spare < need) {
		void *n;

		if (posix_memalign(&n, NODE_BYTES, NODE_BYTES))
			return -ENOMEM;
		t->nr_nodes++;
		spare_put(t, n);
	}
	return 0;
}

int prev_itree_init(struct prev_tree *t)
{
	memset(t, 0, sizeof(*t));
	if (prev_itree_reserve(t, 1))
		return -ENOMEM;
	t->root = t->head = t->tail = spare_take(t);
	return 0;
}

static void free_subtree(void *node, unsigned int h)
{
	if (h) {
		struct prev_inner *in = node;

		for (uint32_t i = 0; i < in->n; i++)
			free_subtree(in->child[i], h - 1);
	}
	free(node);
}

void prev_itree_fini(struct prev_tree *t)
{
	if (t->root)
		free_subtree(t->root, t->height);
	while (t->spare) {
		void *n = t->spare;

		t->spare = *(void **)n;
		free(n);
	}
	memset(t, 0, sizeof(*t));
}

size_t prev_itree_bytes(const struct prev_tree *t)
{
	return t->nr_nodes * NODE_BYTES;
}

/* ---- searching --------------------------------------------------------- */
/* the child of @in that holds @iova: the last whose key is <= @iova */
static uint32_t route(const struct prev_inner *in, uint64_t iova)
{
	uint32_t lo = 1, hi = in->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (in->key[mid] <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* entries of @l that start at or below @iova */
static uint32_t upper(const struct prev_leaf *l, uint64_t iova)
{
	uint32_t lo = 0, hi = l->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (l->e[mid].iova <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct prev_leaf *leaf_for(const struct prev_tree *t, uint64_t iova)
{
	void *n = t->root;

	for (unsigned int h = t->height; h; h--) {
		struct prev_inner *in = n;

		n = in->child[route(in, iova)];
	}
	return n;
}

/* the entry that starts last at or below @iova, or NULL */
static struct prev_node *floor_ent(const struct prev_tree *t, uint64_t iova)
{
	struct prev_leaf *l;
	uint32_t p;

	if (!t->root) /* prev_itree_init() failed */
		return NULL;
	l = leaf_for(t, iova);
	p = upper(l, iova);

	if (p)
		return &l->e[p - 1];
	l = l->prev;
	return l ? &l->e[l->n - 1] : NULL;
}

struct prev_node *prev_itree_find(const struct prev_tree *t, uint64_t iova)
{
	struct prev_node *f = floor_ent(t, iova);

	return f && prev_last(f) >= iova ? f : NULL;
}

struct prev_node *prev_itree_overlap(const struct prev_tree *t, uint64_t first,
				     uint64_t last)
{
	struct prev_node *f = floor_ent(t, last);

	return f && prev_last(f) >= first ? f : NULL;
}

struct prev_node *prev_itree_next(const struct prev_tree *t,
				  const struct prev_node *e)
{
	struct prev_leaf *l = leaf_of(e);
	uint32_t i = (uint32_t)(e - l->e);

	(void)t;
	if (i + 1 < l->n)
		return &l->e[i + 1];
	return l->next ? &l->next->e[0] : NULL;
}

struct prev_node *prev_itree_ceil(const struct prev_tree *t, uint64_t iova)
{
	struct prev_node *f = floor_ent(t, iova);

	if (f)
		return prev_last(f) >= iova ? f : prev_itree_next(t, f);
	return t->head && t->head->n ? &t->head->e[0] : NULL;
}

struct prev_node *prev_itree_last_node(const struct prev_tree *t)
{
	return t->tail && t->tail->n ? &t->tail->e[t->tail->n - 1] : NULL;
}

/* ---- the largest gaps -------------------------------------------------- */
static uint64_t node_max(const void *node, unsigned int h)
{
	uint64_t m = 0;

	if (!h) {
		const struct prev_leaf *l = node;

		for (uint32_t i = 0; i < l->n; i++)
			if (l->e[i].gap > m)
				m = l->e[i].gap;
	} else {
		const struct prev_inner *in = node;

		for (uint32_t i = 0; i < in->n; i++)
			if (in->maxgap[i] > m)
				m = in->maxgap[i];
	}
	return m;
}

/* recompute the largest gaps on the path to the leaf of @iova */
static uint64_t refresh_at(void *node, unsigned int h, uint64_t iova)
{
	struct prev_inner *in = node;
	uint32_t i;

	if (!h)
		return node_max(node, 0);
	i = route(in, iova);
	in->maxgap[i] = refresh_at(in->child[i], h - 1, iova);
	return node_max(in, h);
}

static void refresh(struct prev_tree *t, uint64_t iova)
{
	refresh_at(t->root, t->height, iova);
}

/* ---- insertion --------------------------------------------------------- */
/* where a full node of @n items splits when the new one goes to @p: next
 * to the new item when it lands at or next to an end (so ascending and
 * descending builds, also against a reserved span at the edge, leave full
 * nodes), else in the middle */
static uint32_t split_at(uint32_t n, uint32_t p)
{
	if (p + 1 >= n)
		return n;
	if (p <= 1)
		return p + 1;
	return (n + 1) / 2;
}

static void *leaf_ins(struct prev_tree *t, struct prev_leaf *l,
		      const struct prev_node *ent, uint64_t *sep)
{
	struct prev_node tmp[LEAF_MAX + 1];
	struct prev_leaf *r;
	uint32_t p = upper(l, ent->iova), s;

	if (l->n < LEAF_MAX) {
		memmove(&l->e[p + 1], &l->e[p], (l->n - p) * sizeof(l->e[0]));
		l->e[p] = *ent;
		l->n++;
		return NULL;
	}
	memcpy(tmp, l->e, p * sizeof(tmp[0]));
	tmp[p] = *ent;
	memcpy(&tmp[p + 1], &l->e[p], (l->n - p) * sizeof(tmp[0]));
	s = split_at(l->n, p);
	r = spare_take(t);
	memcpy(l->e, tmp, s * sizeof(tmp[0]));
	l->n = s;
	memcpy(r->e, &tmp[s], (LEAF_MAX + 1 - s) * sizeof(tmp[0]));
	r->n = LEAF_MAX + 1 - s;
	r->prev = l;
	r->next = l->next;
	if (l->next)
		l->next->prev = r;
	else
		t->tail = r;
	l->next = r;
	*sep = r->e[0].iova;
	return r;
}

/* insert @ent below @node (height @h); a new right sibling of @node when
 * it split, with its lowest IOVA in *@sep, else NULL */
static void *ins(struct prev_tree *t, void *node, unsigned int h,
		 const struct prev_node *ent, uint64_t *sep)
{
	struct prev_inner *in = node, *r;
	uint64_t k[INNER_MAX + 1], g[INNER_MAX + 1], s;
	void *c[INNER_MAX + 1], *right;
	uint32_t i, at, n, cut;

	if (!h)
		return leaf_ins(t, node, ent, sep);
	i = route(in, ent->iova);
	right = ins(t, in->child[i], h - 1, ent, &s);
	in->maxgap[i] = node_max(in->child[i], h - 1);
	if (!right)
		return NULL;
	at = i + 1;
	n = in->n;
	if (n < INNER_MAX) {
		memmove(&in->key[at + 1], &in->key[at], (n - at) * 8);
		memmove(&in->maxgap[at + 1], &in->maxgap[at], (n - at) * 8);
		memmove(&in->child[at + 1], &in->child[at],
			(n - at) * sizeof(void *));
		in->key[at] = s;
		in->maxgap[at] = node_max(right, h - 1);
		in->child[at] = right;
		in->n++;
		return NULL;
	}
	for (uint32_t j = 0, o = 0; j <= n; j++) {
		if (j == at) {
			k[j] = s;
			g[j] = node_max(right, h - 1);
			c[j] = right;
			continue;
		}
		k[j] = in->key[o];
		g[j] = in->maxgap[o];
		c[j] = in->child[o++];
	}
	cut = split_at(n, at);
	r = spare_take(t);
	memcpy(in->key, k, cut * 8);
	memcpy(in->maxgap, g, cut * 8);
	memcpy(in->child, c, cut * sizeof(void *));
	in->n = cut;
	memcpy(r->key, &k[cut], (n + 1 - cut) * 8);
	memcpy(r->maxgap, &g[cut], (n + 1 - cut) * 8);
	memcpy(r->child, &c[cut], (n + 1 - cut) * sizeof(void *));
	r->n = n + 1 - cut;
	*sep = r->key[0];
	return r;
}

void prev_itree_insert(struct prev_tree *t, uint64_t iova, uint64_t len,
		       uint64_t vaddr)
{
	struct prev_leaf *l = leaf_for(t, iova);
	uint32_t p = upper(l, iova);
	struct prev_node ent = { .iova = iova, .len = len, .vaddr = vaddr };
	struct prev_node *f, *s;
	uint64_t sep, last = iova + (len - 1);
	bool far = p == l->n; /* a successor is in the next leaf */
	void *right;

	/* the neighbours: the predecessor's end makes this gap, this end
	 * the successor's */
	f = p ? &l->e[p - 1] : l->prev ? &l->prev->e[l->prev->n - 1] : NULL;
	s = p < l->n ? &l->e[p] : l->next ? &l->next->e[0] : NULL;
	ent.gap = f ? iova - (prev_last(f) + 1) : iova;
	if (s)
		s->gap = s->iova - (last + 1);
	right = ins(t, t->root, t->height, &ent, &sep);
	if (right) {
		struct prev_inner *root = spare_take(t);

		root->n = 2;
		root->child[0] = t->root;
		root->child[1] = right;
		root->key[1] = sep;
		root->maxgap[0] = node_max(t->root, t->height);
		root->maxgap[1] = node_max(right, t->height);
		t->root = root;
		t->height++;
	}
	/* a successor in the next leaf lies off the path just refreshed */
	if (s && far)
		refresh(t, s->iova);
	t->count++;
}

/* ---- removal ----------------------------------------------------------- */
static void leaf_unlink(struct prev_tree *t, struct prev_leaf *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		t->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		t->tail = l->prev;
}

/* drop child @i of @in (unlinked and released by the caller) */
static void drop_child(struct prev_inner *in, uint32_t i)
{
	uint32_t rest = in->n - i - 1;

	memmove(&in->key[i], &in->key[i + 1], rest * 8);
	memmove(&in->maxgap[i], &in->maxgap[i + 1], rest * 8);
	memmove(&in->child[i], &in->child[i + 1], rest * sizeof(void *));
	in->n--;
}

/* merge children @a and @a + 1 of @in (height @h below) when they fit in
 * one node */
static void try_merge(struct prev_tree *t, struct prev_inner *in, uint32_t a,
		      unsigned int h)
{
	void *x = in->child[a], *y = in->child[a + 1];
	uint32_t nx = node_n(x), ny = node_n(y);

	if (!h) {
		struct prev_leaf *lx = x, *ly = y;

		if (nx + ny > LEAF_MAX)
			return;
		memcpy(&lx->e[nx], ly->e, ny * sizeof(ly->e[0]));
		lx->n += ny;
		leaf_unlink(t, ly);
	} else {
		struct prev_inner *ix = x, *iy = y;

		if (nx + ny > INNER_MAX)
			return;
		memcpy(&ix->key[nx], iy->key, ny * 8);
		/* iy's first child is bounded below by iy's own key */
		ix->key[nx] = in->key[a + 1];
		memcpy(&ix->maxgap[nx], iy->maxgap, ny * 8);
		memcpy(&ix->child[nx], iy->child, ny * sizeof(void *));
		ix->n += ny;
	}
	drop_child(in, a + 1);
	in->maxgap[a] = node_max(x, h);
	spare_put(t, y);
}

static void del(struct prev_tree *t, void *node, unsigned int h, uint64_t iova)
{
	struct prev_inner *in = node;
	void *child;
	uint32_t i, n;

	if (!h) {
		struct prev_leaf *l = node;
		uint32_t p = upper(l, iova) - 1;

		memmove(&l->e[p], &l->e[p + 1], (l->n - p - 1) * sizeof(l->e[0]));
		l->n--;
		return;
	}
	i = route(in, iova);
	child = in->child[i];
	del(t, child, h - 1, iova);
	n = node_n(child);
	if (!n) {
		if (h == 1)
			leaf_unlink(t, child);
		drop_child(in, i);
		spare_put(t, child);
		return;
	}
	in->maxgap[i] = node_max(child, h - 1);
	if (n < (h == 1 ? LEAF_MIN : INNER_MIN) && in->n > 1)
		try_merge(t, in, i + 1 < in->n ? i : i - 1, h - 1);
}

void prev_itree_remove(struct prev_tree *t, uint64_t iova)
{
	struct prev_leaf *l = leaf_for(t, iova);
	uint32_t p = upper(l, iova) - 1;
	struct prev_node *e = &l->e[p], *s;
	uint64_t succ = 0;
	bool far = false;

	/* the successor's gap reaches back over the removed entry */
	s = p + 1 < l->n ? &l->e[p + 1] : l->next ? &l->next->e[0] : NULL;
	if (s) {
		s->gap += e->gap + e->len;
		succ = s->iova;
		far = p + 1 == l->n;
	}
	del(t, t->root, t->height, iova);
	while (t->height && node_n(t->root) == 1) {
		struct prev_inner *in = t->root;

		t->root = in->child[0];
		t->height--;
		spare_put(t, in);
	}
	if (t->height && !node_n(t->root)) {
		/* everything went: an empty leaf is the root */
		spare_put(t, t->root);
		t->root = t->head = t->tail = spare_take(t);
		t->height = 0;
	}
	if (far)
		refresh(t, succ);
	t->count--;
}
/*
 * The lowest free fit in the IOVA record: a walk in IOVA order that
 * descends only into children whose largest free gap could hold the
 * request, trying each gap against the limits and the alignment.
 */

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

static void fit_walk(const void *node, unsigned int h, struct fit *f)
{
	uint32_t n = node_n(node), i = 0;

	if (!h) {
		const struct prev_leaf *l = node;

		for (;;) {
			/* the hot loop of a fit */
			while (i < n && l->e[i].gap < f->len)
				i++;
			if (i == n)
				return;
			try_span(f, l->e[i].iova - l->e[i].gap, l->e[i].iova - 1);
			if (f->done)
				return;
			i++;
		}
	}
	for (;;) {
		const struct prev_inner *in = node;

		while (i < n && in->maxgap[i] < f->len)
			i++;
		if (i == n)
			return;
		fit_walk(in->child[i], h - 1, f);
		if (f->done)
			return;
		i++;
	}
}

int prev_itree_fit(const struct prev_tree *t, uint64_t len, uint64_t align,
		   uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct fit f = { .len = len, .align = align, .lo = lo, .hi = hi };
	const struct prev_node *last;

	if (!len || lo > hi)
		return -ENOSPC;
	fit_walk(t->root, t->height, &f);
	if (!f.done) {
		/* the free tail after the last entry */
		last = prev_itree_last_node(t);
		if (!last)
			try_span(&f, 0, UINT64_MAX);
		else if (prev_last(last) != UINT64_MAX)
			try_span(&f, prev_last(last) + 1, UINT64_MAX);
	}
	if (!f.ok)
		return -ENOSPC;
	*out = f.found;
	return 0;
}
