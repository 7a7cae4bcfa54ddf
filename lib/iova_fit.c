// SPDX-License-Identifier: MIT
/*
 * The lowest free fit in the IOVA record: a walk in IOVA order that visits
 * only the items a node marks as having free bytes, descends only into
 * children whose largest free gap could hold the request, and tries each
 * such gap against the limits and the alignment. The path to the gap it
 * took is left in the tree's hint, where the insert that follows starts.
 */
#include "internal.h"
#include "iova_tree.h"

struct fit {
	uint64_t len, align, lo, hi; /* hi: last usable byte */
	uint64_t found;
	bool ok; /* found */
	bool done; /* found, or past @hi */
	struct itree_path *pa;
};

/* try the free span [@s, @e] */
static inline bool try_span(struct fit *f, uint64_t s, uint64_t e)
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

/* the walk, without recursion: @f->pa holds the path down to the node
 * being visited, left[l] the items of node[l] not visited yet that have
 * free bytes */
static void fit_walk(const struct itree *t, struct fit *f)
{
	struct itree_path *pa = f->pa;
	uint64_t left[ITREE_MAX_HEIGHT + 1];
	unsigned int l = t->height;
	const void *node = t->root;

	left[l] = hdr(node)->nz;
	for (;;) {
		uint64_t b = left[l];
		uint32_t i;

		if (!b) {
			/* this node is done: back to its parent */
			if (++l > t->height)
				return;
			continue;
		}
		i = (uint32_t)__builtin_ctzll(b);
		left[l] = b & (b - 1);
		node = pa->node[l];
		if (!l) {
			const struct bt_leaf *lf = node;
			uint64_t g = leaf_gap(lf, i);

			if (g < f->len)
				continue;
			try_span(f, lf->e[i].iova - g, lf->e[i].iova - 1);
			if (f->done) {
				pa->idx[0] = i;
				return;
			}
			continue;
		}
		const struct bt_inner *in = node;

		if (in->maxgap[i] < f->len)
			continue;
		pa->idx[l] = i;
		node = in->child[i];
		pa->node[--l] = (void *)node;
		left[l] = hdr(node)->nz;
	}
}

int vfd_itree_fit(const struct itree *t, uint64_t len, uint64_t align,
		  uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct itree_hint *hint = t->hint;
	struct fit f = { .len = len, .align = align, .lo = lo, .hi = hi };
	const struct itree_node *last;

	if (!len || lo > hi || !t->root)
		return -ENOSPC;
	hint->kind = HINT_NONE;
	f.pa = &hint->path;
	/* below every entry (a gap the nodes do not count; in an empty tree
	 * the first slot's UINT64_MAX makes it all but the last byte, which
	 * the tail below then adds) */
	if (t->head->e[0].iova > lo && try_span(&f, 0, t->head->e[0].iova - 1)) {
		vfd_itree_path_first(t, f.pa);
	} else if (hdr(t->root)->max >= len) {
		f.pa->node[t->height] = t->root;
		fit_walk(t, &f);
	}
	if (!f.done) {
		/* the free tail after the last entry */
		last = vfd_itree_last_node(t);
		if (!last)
			try_span(&f, 0, UINT64_MAX);
		else if (vfd_itree_last(last) != UINT64_MAX)
			try_span(&f, vfd_itree_last(last) + 1, UINT64_MAX);
		if (f.ok)
			vfd_itree_path_last(t, f.pa);
	}
	if (!f.ok)
		return -ENOSPC;
	hint->kind = HINT_SLOT;
	hint->key = f.found;
	*out = f.found;
	return 0;
}
