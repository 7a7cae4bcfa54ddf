// SPDX-License-Identifier: MIT
/*
 * Insertion into and removal from the IOVA record's B+tree (iova_tree.c
 * has the layout and the lookups), and the upkeep of each node's mask of
 * items with free bytes and of its largest gap: a change of one gap goes
 * up the path it was made on, and stops where a node's largest gap stays.
 * An insert after a fit or an overlap check, or a remove after a find,
 * starts from the path that lookup left in the hint. Callers hold the
 * space's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "iova_tree.h"

static inline uint64_t bit(uint32_t i)
{
	return 1ull << i;
}

static inline uint64_t bit_put(uint64_t m, uint32_t i, bool on)
{
	return (m & ~bit(i)) | (uint64_t)on << i;
}

/* a zero bit made at @p, the bits from @p up one place higher */
static inline uint64_t bits_open(uint64_t m, uint32_t p)
{
	return (m & (bit(p) - 1)) | (m >> p << (p + 1));
}

/* bit @p taken out, the bits above it one place lower */
static inline uint64_t bits_close(uint64_t m, uint32_t p)
{
	return (m & (bit(p) - 1)) | (m >> (p + 1) << p);
}

/* ---- the largest gaps -------------------------------------------------- */
static inline uint64_t leaf_rescan(const struct bt_leaf *l)
{
	uint64_t m = 0;

	for (uint64_t b = l->hd.nz; b; b &= b - 1) {
		uint64_t g = leaf_gap(l, (uint32_t)__builtin_ctzll(b));

		m = g > m ? g : m;
	}
	return m;
}

static uint64_t inner_rescan(const struct bt_inner *in)
{
	uint64_t m = 0;

	for (uint64_t b = in->hd.nz; b; b &= b - 1) {
		uint64_t g = in->maxgap[__builtin_ctzll(b)];

		m = g > m ? g : m;
	}
	return m;
}

/* the mask and the largest gap of @l from scratch (the first leaf's first
 * gap, below every entry, not counted: vfd_itree_fit() tries it first) */
static void leaf_recount(struct bt_leaf *l)
{
	uint64_t nz = 0, m = 0;

	for (uint32_t i = !l->prev; i < l->hd.n; i++) {
		uint64_t g = leaf_gap(l, i);

		nz = bit_put(nz, i, g);
		m = g > m ? g : m;
	}
	l->hd.nz = nz;
	l->hd.max = m;
}

static void inner_recount(struct bt_inner *in)
{
	uint64_t nz = 0, m = 0;

	for (uint32_t i = 0; i < in->hd.n; i++) {
		nz = bit_put(nz, i, in->maxgap[i]);
		m = in->maxgap[i] > m ? in->maxgap[i] : m;
	}
	in->hd.nz = nz;
	in->hd.max = m;
}

/* the largest gap of node[@l] of @pa was @old: carry its new value up
 * until a node's largest gap stays what it was */
static inline void max_up(const struct itree *t, const struct itree_path *pa,
			  unsigned int l, uint64_t old)
{
	uint64_t now = hdr(pa->node[l])->max;
	unsigned int height = t->height;

	for (l++; now != old && l <= height; l++) {
		struct bt_inner *in = pa->node[l];
		uint32_t i = pa->idx[l];
		uint64_t m = in->hd.max;

		in->maxgap[i] = now;
		if (now)
			in->hd.nz |= bit(i);
		else
			in->hd.nz &= ~bit(i);
		if (now > m)
			in->hd.max = now;
		else if (old == m)
			in->hd.max = inner_rescan(in);
		old = m;
		now = in->hd.max;
	}
}

/* the largest gap of node[@l] of @pa grew (a removal): carry it up while
 * it is larger than what the ancestors hold */
static inline void max_grew(const struct itree *t, const struct itree_path *pa,
			    unsigned int l)
{
	uint64_t now = hdr(pa->node[l])->max;

	for (unsigned int h = t->height; l < h;) {
		struct bt_inner *in = pa->node[++l];
		uint32_t i = pa->idx[l];

		if (in->maxgap[i] >= now)
			return;
		in->maxgap[i] = now;
		in->hd.nz |= bit(i);
		if (in->hd.max >= now)
			return;
		in->hd.max = now;
	}
}

/* ---- insertion --------------------------------------------------------- */
/* how many of @n + 1 items (the new one at @p) a full node keeps when it
 * splits: up to the new item when it lands near an end, so that the node
 * which takes the next ones (the new item's side, by the edge it is near)
 * is the small one and the other stays full; else half */
static uint32_t split_at(uint32_t n, uint32_t p, bool *left)
{
	*left = p <= SPLIT_EDGE;
	if (n - p <= SPLIT_EDGE)
		return p;
	if (p <= SPLIT_EDGE)
		return p + 1;
	*left = p < (n + 1) / 2;
	return (n + 1) / 2;
}

/* lower the key that bounds the leaf of @pa from below to @iova, which
 * becomes the leaf's first entry */
static void lower_key(const struct itree *t, const struct itree_path *pa,
		      uint64_t iova)
{
	for (unsigned int l = 1; l <= t->height; l++) {
		if (pa->idx[l]) {
			struct bt_inner *in = pa->node[l];

			if (in->key[pa->idx[l]] > iova)
				in->key[pa->idx[l]] = iova;
			return;
		}
	}
}

/* the free bytes in front of @x going to position @p of @l (before the
 * entry there, else after the last, the tree's last) */
static inline uint64_t gap_before(const struct bt_leaf *l, uint32_t p,
				  const struct itree_node *x)
{
	if (p < l->hd.n)
		return leaf_gap(l, p) - (l->e[p].iova - x->iova);
	return p ? x->iova - vfd_itree_last(&l->e[p - 1]) - 1 : x->iova;
}

/* @x into position @p of @l, which has room */
static void leaf_put(struct bt_leaf *l, uint32_t p, const struct itree_node *x)
{
	uint32_t n = l->hd.n;
	uint64_t gx, nz = bits_open(l->hd.nz, p);

	if (p < n) {
		/* the successor's gap is cut in two, each at most as large */
		uint64_t g = leaf_gap(l, p),
			 gs = l->e[p].iova - vfd_itree_last(x) - 1;

		gx = g - (l->e[p].iova - x->iova);
		memmove(&l->e[p + 1], &l->e[p], (n - p) * sizeof(l->e[0]));
		nz = bit_put(nz, p + 1, gs);
		l->e[p] = *x;
		l->hd.n++;
		l->hd.nz = bit_put(nz, p, gx && (p || l->prev));
		if (!p)
			l->gap0 = gx;
		/* in front of the first leaf's first entry, @gs counts now */
		if ((g == l->hd.max && g) || (!p && !l->prev))
			l->hd.max = leaf_rescan(l);
		return;
	}
	gx = gap_before(l, p, x);
	l->e[p] = *x;
	l->hd.n++;
	l->hd.nz = bit_put(nz, p, gx && (p || l->prev));
	if (!p)
		l->gap0 = gx;
	else if (gx > l->hd.max)
		l->hd.max = gx;
}

/* a full leaf split with @x put in: the new right leaf, its key in *@sep */
static __attribute__((noinline)) struct bt_leaf *
leaf_split_put(struct itree *t, struct bt_leaf *l, uint32_t p,
	       const struct itree_node *x, uint64_t *sep)
{
	uint64_t gx = gap_before(l, p, x), g0 = l->gap0;
	struct bt_leaf *r = vfd_itree_leaf_new(t), *to;
	uint32_t n = l->hd.n, s, cut, q;
	bool left;

	s = split_at(n, p, &left);
	cut = left ? s - 1 : s; /* old entries that stay */
	memcpy(r->e, &l->e[cut], (n - cut) * sizeof(l->e[0]));
	r->hd.n = n - cut;
	l->hd.n = cut;
	leaf_seal(l, cut);
	to = left ? l : r;
	q = left ? p : p - cut;
	memmove(&to->e[q + 1], &to->e[q], (to->hd.n - q) * sizeof(l->e[0]));
	to->e[q] = *x;
	to->hd.n++;
	r->prev = l;
	r->next = l->next;
	if (l->next)
		l->next->prev = r;
	else
		t->tail = r;
	l->next = r;
	l->gap0 = left && !p ? gx : g0;
	r->gap0 = r->e[0].iova - vfd_itree_last(&l->e[l->hd.n - 1]) - 1;
	leaf_recount(l);
	leaf_recount(r);
	*sep = r->e[0].iova;
	return r;
}

/* a full inner node split with @c (key @k) put in at @at: the new right
 * node, its key in *@sep */
static struct bt_inner *inner_split_put(struct itree *t, struct bt_inner *in,
					uint32_t at, uint64_t k, void *c,
					uint64_t *sep)
{
	uint64_t key[INNER_MAX + 1], gap[INNER_MAX + 1];
	void *ch[INNER_MAX + 1];
	uint32_t n = in->hd.n, s;
	struct bt_inner *r = vfd_itree_inner_new(t);
	bool left;

	memcpy(key, in->key, at * 8);
	memcpy(gap, in->maxgap, at * 8);
	memcpy(ch, in->child, at * sizeof(void *));
	key[at] = k;
	gap[at] = hdr(c)->max;
	ch[at] = c;
	memcpy(&key[at + 1], &in->key[at], (n - at) * 8);
	memcpy(&gap[at + 1], &in->maxgap[at], (n - at) * 8);
	memcpy(&ch[at + 1], &in->child[at], (n - at) * sizeof(void *));
	s = split_at(n, at, &left);
	memcpy(in->key, key, s * 8);
	memcpy(in->maxgap, gap, s * 8);
	memcpy(in->child, ch, s * sizeof(void *));
	in->hd.n = s;
	inner_seal(in, s);
	memcpy(r->key, &key[s], (n + 1 - s) * 8);
	memcpy(r->maxgap, &gap[s], (n + 1 - s) * 8);
	memcpy(r->child, &ch[s], (n + 1 - s) * sizeof(void *));
	r->hd.n = n + 1 - s;
	inner_recount(in);
	inner_recount(r);
	*sep = r->key[0];
	return r;
}

/* node[@l - 1] of @pa split into itself and @right (key @sep): give
 * node[@l] the new child, splitting it in turn when full */
static __attribute__((noinline)) void add_child(struct itree *t,
						struct itree_path *pa,
						unsigned int l, void *right,
						uint64_t sep)
{
	void *left = pa->node[l - 1];

	for (;; l++) {
		struct bt_inner *in, *r;
		uint32_t i, at, n;
		uint64_t old;

		if (l > t->height) {
			/* @left was the root */
			struct bt_inner *root = vfd_itree_inner_new(t);

			root->hd.n = 2;
			root->child[0] = left;
			root->child[1] = right;
			root->key[1] = sep;
			root->maxgap[0] = hdr(left)->max;
			root->maxgap[1] = hdr(right)->max;
			inner_recount(root);
			t->root = root;
			t->height++;
			return;
		}
		in = pa->node[l];
		i = pa->idx[l];
		at = i + 1;
		n = in->hd.n;
		old = in->hd.max;
		in->maxgap[i] = hdr(left)->max;
		if (n < INNER_MAX) {
			memmove(&in->key[at + 1], &in->key[at], (n - at) * 8);
			memmove(&in->maxgap[at + 1], &in->maxgap[at], (n - at) * 8);
			memmove(&in->child[at + 1], &in->child[at],
				(n - at) * sizeof(void *));
			in->key[at] = sep;
			in->maxgap[at] = hdr(right)->max;
			in->child[at] = right;
			in->hd.n++;
			inner_recount(in);
			max_up(t, pa, l, old);
			return;
		}
		r = inner_split_put(t, in, at, sep, right, &sep);
		left = in;
		right = r;
	}
}

void vfd_itree_insert(struct itree *t, uint64_t iova, uint64_t len, uint64_t vaddr)
{
	struct itree_hint *hint = t->hint;
	struct itree_path *pa = &hint->path;
	struct itree_node x = { .iova = iova, .len = len, .vaddr = vaddr };
	struct bt_leaf *l;
	uint32_t p;

	if (hint->kind != HINT_SLOT || hint->key != iova)
		vfd_itree_descend(t, iova, pa);
	hint->kind = HINT_NONE;
	l = pa->node[0];
	p = pa->idx[0];
	if (p == l->hd.n && l->next) {
		/* the successor starts the next leaf: the gap is there */
		l = vfd_itree_next_leaf(t, pa);
		p = 0;
	}
	if (!p)
		lower_key(t, pa, iova);
	if (l->hd.n < LEAF_MAX) {
		uint64_t old = l->hd.max;

		leaf_put(l, p, &x);
		max_up(t, pa, 0, old);
	} else {
		uint64_t sep;
		struct bt_leaf *r = leaf_split_put(t, l, p, &x, &sep);

		add_child(t, pa, 1, r, sep);
	}
	t->count++;
}

/* ---- removal ----------------------------------------------------------- */
static void leaf_unlink(struct itree *t, struct bt_leaf *l)
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

/* drop child @i of @in (unlinked and released by the caller; its gaps
 * are gone or moved to a neighbour, so no largest gap changes) */
static void drop_child(struct bt_inner *in, uint32_t i)
{
	uint32_t rest = in->hd.n - i - 1;

	memmove(&in->key[i], &in->key[i + 1], rest * 8);
	memmove(&in->maxgap[i], &in->maxgap[i + 1], rest * 8);
	memmove(&in->child[i], &in->child[i + 1], rest * sizeof(void *));
	in->hd.nz = bits_close(in->hd.nz, i);
	in->hd.n--;
	in->key[in->hd.n] = UINT64_MAX;
}

/* merge children @a and @a + 1 of @in (height @h below) when they fit in
 * one node; false when they do not */
static bool try_merge(struct itree *t, struct bt_inner *in, uint32_t a,
		      unsigned int h)
{
	void *x = in->child[a], *y = in->child[a + 1];
	uint32_t nx = node_n(x), ny = node_n(y);

	if (!h) {
		struct bt_leaf *lx = x, *ly = y;

		if (nx + ny > LEAF_MAX)
			return false;
		/* ly's first gap, kept apart, is now between two entries */
		memcpy(&lx->e[nx], ly->e, ny * sizeof(ly->e[0]));
		leaf_unlink(t, ly);
	} else {
		struct bt_inner *ix = x, *iy = y;

		if (nx + ny > INNER_MAX)
			return false;
		memcpy(&ix->key[nx], iy->key, ny * 8);
		/* iy's first child is bounded below by iy's own key */
		ix->key[nx] = in->key[a + 1];
		memcpy(&ix->maxgap[nx], iy->maxgap, ny * 8);
		memcpy(&ix->child[nx], iy->child, ny * sizeof(void *));
	}
	hdr(x)->n = nx + ny;
	hdr(x)->nz |= hdr(y)->nz << nx;
	if (hdr(y)->max > hdr(x)->max)
		hdr(x)->max = hdr(y)->max;
	in->maxgap[a] = hdr(x)->max;
	in->hd.nz = bit_put(in->hd.nz, a, hdr(x)->max);
	drop_child(in, a + 1);
	vfd_itree_node_free(t, y);
	return true;
}

/* after a removal from the leaf of @pa: drop emptied nodes, merge small
 * ones, and take out roots of one child */
static __attribute__((noinline)) void rebalance(struct itree *t,
						const struct itree_path *pa)
{
	for (unsigned int l = 0; l < t->height; l++) {
		void *node = pa->node[l];
		struct bt_inner *in = pa->node[l + 1];
		uint32_t i = pa->idx[l + 1], n = node_n(node);

		if (!n) {
			if (!l)
				leaf_unlink(t, node);
			drop_child(in, i);
			vfd_itree_node_free(t, node);
			continue;
		}
		if (n >= (l ? INNER_MIN : LEAF_MIN) || in->hd.n < 2 ||
		    !try_merge(t, in, i + 1 < in->hd.n ? i : i - 1, l))
			break;
	}
	while (t->height && node_n(t->root) == 1) {
		struct bt_inner *in = t->root;

		t->root = in->child[0];
		t->height--;
		vfd_itree_node_free(t, in);
	}
	if (t->height && !node_n(t->root)) {
		/* everything went: an empty leaf is the root */
		vfd_itree_node_free(t, t->root);
		t->root = t->head = t->tail = vfd_itree_leaf_new(t);
		t->height = 0;
	}
}

void vfd_itree_remove(struct itree *t, uint64_t iova)
{
	struct itree_hint *hint = t->hint;
	struct itree_path *pa = &hint->path;
	struct bt_leaf *l;
	uint64_t g, len, old;
	uint32_t p, n;

	if (hint->kind != HINT_ENTRY || hint->key != iova) {
		vfd_itree_descend(t, iova, pa);
		pa->idx[0]--; /* the entry that starts at @iova */
	}
	hint->kind = HINT_NONE;
	l = pa->node[0];
	p = pa->idx[0];
	n = l->hd.n;
	g = leaf_gap(l, p);
	len = l->e[p].len;
	old = l->hd.max;
	if (p + 1 < n) {
		/* the successor takes the gap and the entry's bytes: gaps
		 * only grow */
		uint64_t gs = leaf_gap(l, p + 1) + g + len;

		memmove(&l->e[p], &l->e[p + 1], (n - p - 1) * sizeof(l->e[0]));
		l->hd.n--;
		l->e[n - 1].iova = UINT64_MAX;
		l->hd.nz = bits_close(l->hd.nz, p) | bit(p);
		if (!p)
			l->gap0 = gs;
		if (!p && !l->prev) {
			/* the successor is the first entry now: its gap
			 * no longer counts */
			l->hd.nz &= ~1ull;
			l->hd.max = leaf_rescan(l);
			max_up(t, pa, 0, old);
		} else if (gs > l->hd.max) {
			l->hd.max = gs;
			max_grew(t, pa, 0);
		}
	} else {
		l->hd.n--;
		l->e[p].iova = UINT64_MAX;
		l->hd.nz &= ~bit(p);
		if (g && g == old)
			l->hd.max = leaf_rescan(l);
		max_up(t, pa, 0, old);
		if (l->next) {
			/* the successor starts the next leaf */
			struct itree_path np = *pa;
			struct bt_leaf *nl = vfd_itree_next_leaf(t, &np);

			old = nl->hd.max;
			nl->gap0 += g + len;
			if (!l->prev && !l->hd.n) {
				/* the first leaf is empty and goes: this
				 * becomes the first, its first gap uncounted */
				nl->hd.nz &= ~1ull;
				nl->hd.max = leaf_rescan(nl);
				max_up(t, &np, 0, old);
			} else if (nl->hd.nz |= 1, nl->gap0 > nl->hd.max) {
				nl->hd.max = nl->gap0;
				max_grew(t, &np, 0);
			}
		}
	}
	t->count--;
	/* only a leaf that became small changes the shape */
	if (t->height && l->hd.n < LEAF_MIN)
		rebalance(t, pa);
}
