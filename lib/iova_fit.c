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
	if (!h) {
		const struct bt_leaf *l = node;

		for (uint64_t b = l->hd.nz; b; b &= b - 1) {
			uint32_t i = (uint32_t)__builtin_ctzll(b);
			uint64_t g = leaf_gap(l, i);

			if (g < f->len)
				continue;
			if (try_span(f, l->e[i].iova - g, l->e[i].iova - 1)) {
				f->pa->node[0] = (void *)l;
				f->pa->idx[0] = i;
			}
			if (f->done)
				return;
		}
		return;
	}
	const struct bt_inner *in = node;

	for (uint64_t b = in->hd.nz; b; b &= b - 1) {
		uint32_t i = (uint32_t)__builtin_ctzll(b);

		if (in->maxgap[i] < f->len)
			continue;
		fit_walk(in->child[i], h - 1, f);
		if (f->done) {
			f->pa->node[h] = (void *)in;
			f->pa->idx[h] = i;
			return;
		}
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
	if (hdr(t->root)->max >= len)
		fit_walk(t->root, t->height, &f);
	if (!f.done) {
		/* the free tail after the last entry */
		last = vfd_itree_last_node(t);
		if (!last)
			try_span(&f, 0, UINT64_MAX);
		else if (itree_last(last) != UINT64_MAX)
			try_span(&f, itree_last(last) + 1, UINT64_MAX);
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
