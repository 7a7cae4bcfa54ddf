// SPDX-License-Identifier: MIT
/*
 * The lowest free fit in the IOVA record: a walk in IOVA order that
 * descends only into children whose largest free gap could hold the
 * request, trying each gap against the limits and the alignment.
 */
#include "internal.h"
#include "iova_tree.h"

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
		const struct bt_leaf *l = node;

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
		const struct bt_inner *in = node;

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

int vfd_itree_fit(const struct itree *t, uint64_t len, uint64_t align,
		  uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct fit f = { .len = len, .align = align, .lo = lo, .hi = hi };
	const struct itree_node *last;

	if (!len || lo > hi)
		return -ENOSPC;
	fit_walk(t->root, t->height, &f);
	if (!f.done) {
		/* the free tail after the last entry */
		last = vfd_itree_last_node(t);
		if (!last)
			try_span(&f, 0, UINT64_MAX);
		else if (itree_last(last) != UINT64_MAX)
			try_span(&f, itree_last(last) + 1, UINT64_MAX);
	}
	if (!f.ok)
		return -ENOSPC;
	*out = f.found;
	return 0;
}
