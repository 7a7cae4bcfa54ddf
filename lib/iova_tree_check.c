// SPDX-License-Identifier: MIT
/*
 * Every invariant of the IOVA record's B+tree, checked by a full walk: for
 * the tests and the fuzzers (vfd_itree_check), never on a hot path.
 */
#include "internal.h"
#include "iova_tree.h"

struct check {
	const struct bt_leaf *leaf; /* the previous leaf in order */
	const struct bt_leaf *first;
	const struct itree_node *prev; /* the previous entry */
	size_t count;
	int depth; /* of the leaves, -1: none seen */
};

static int check_leaf(const struct bt_leaf *l, int depth, uint64_t lo,
		      uint64_t hi, bool has_hi, struct check *c)
{
	uint64_t nz = 0, max = 0;

	if (l->hd.n > LEAF_MAX || l->prev != c->leaf ||
	    (c->leaf && c->leaf->next != l))
		return -EPROTO;
	if (c->depth >= 0 && c->depth != depth)
		return -EPROTO;
	c->depth = depth;
	if (!c->first)
		c->first = l;
	c->leaf = l;
	for (uint32_t i = 0; i < l->hd.n; i++) {
		const struct itree_node *e = &l->e[i];
		uint64_t want = c->prev ? e->iova - (vfd_itree_last(c->prev) + 1) :
					  e->iova;

		if (!e->len || vfd_itree_last(e) < e->iova || e->iova < lo ||
		    (has_hi && e->iova >= hi))
			return -EPROTO;
		if (c->prev && e->iova <= vfd_itree_last(c->prev))
			return -EPROTO;
		/* the gap kept for the first, computed for the others */
		if (leaf_gap(l, i) != want)
			return -EPROTO;
		/* the gap below every entry is not counted */
		if (want && c->prev)
			nz |= 1ull << i;
		if (want > max && c->prev)
			max = want;
		c->prev = e;
		c->count++;
	}
	if (l->hd.nz != nz || l->hd.max != max)
		return -EPROTO;
	for (uint32_t i = l->hd.n; i < LEAF_MAX; i++)
		if (l->e[i].iova != UINT64_MAX) /* the searches' sentinels */
			return -EPROTO;
	return 0;
}

/* entries of the subtree in [@lo, @hi) */
static int check_node(const void *node, unsigned int h, int depth, uint64_t lo,
		      uint64_t hi, bool has_hi, struct check *c)
{
	const struct bt_inner *in = node;
	uint64_t nz = 0, max = 0;

	if (!h)
		return check_leaf(node, depth, lo, hi, has_hi, c);
	if (!in->hd.n || in->hd.n > INNER_MAX)
		return -EPROTO;
	for (uint32_t i = 0; i < in->hd.n; i++) {
		uint64_t clo = i ? in->key[i] : lo, chi = hi;
		bool chas = has_hi;
		int ret;

		if (i + 1 < in->hd.n) {
			chi = in->key[i + 1];
			chas = true;
			if (chi <= clo)
				return -EPROTO;
		}
		if (!node_n(in->child[i]))
			return -EPROTO;
		ret = check_node(in->child[i], h - 1, depth + 1, clo, chi, chas, c);
		if (ret)
			return ret;
		if (in->maxgap[i] != hdr(in->child[i])->max)
			return -EPROTO;
		if (in->maxgap[i])
			nz |= 1ull << i;
		if (in->maxgap[i] > max)
			max = in->maxgap[i];
	}
	if (in->hd.nz != nz || in->hd.max != max)
		return -EPROTO;
	for (uint32_t i = in->hd.n; i < INNER_MAX; i++)
		if (in->key[i] != UINT64_MAX)
			return -EPROTO;
	return 0;
}

int vfd_itree_check(const struct itree *t)
{
	struct check c = { .depth = -1 };
	int ret;

	/* a root of one child is taken out */
	if (t->height && node_n(t->root) < 2)
		return -EPROTO;
	ret = check_node(t->root, t->height, 0, 0, 0, false, &c);
	if (ret)
		return ret;
	if (c.count != t->count || c.leaf != t->tail || c.first != t->head ||
	    (t->head && t->head->prev) || (t->tail && t->tail->next))
		return -EPROTO;
	return 0;
}
