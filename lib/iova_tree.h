/* SPDX-License-Identifier: MIT */
/*
 * The node layout of the IOVA record's B+tree (lib/iova_tree.c), shared by
 * its lowest-fit search (iova_fit.c) and its invariant checker
 * (iova_tree_check.c) and its edits (iova_tree_edit.c). Private to them.
 */
#ifndef VFIODEV_IOVA_TREE_H
#define VFIODEV_IOVA_TREE_H

#include "internal.h"

#define NODE_BYTES 1024u
#define LEAF_MAX 40u
#define INNER_MAX 41u
#define LEAF_MIN (LEAF_MAX / 4)
#define INNER_MIN (INNER_MAX / 4)
#define SPARE_KEEP 16u
/* a full node whose new item lands this close to an end splits at it */
#define SPLIT_EDGE 3u
/* levels a path can hold; vfd_itree_reserve() refuses to grow past it */
#define ITREE_MAX_HEIGHT 24u

/* what both kinds of node begin with */
struct bt_hdr {
	uint32_t n; /* entries or children */
	uint32_t pad;
	/* bit i: item i has free bytes (in front / below); the first leaf's
	 * first entry's gap (below every entry) is neither marked nor in
	 * the largest gaps: vfd_itree_fit() tries it first */
	uint64_t nz;
	uint64_t max; /* the largest free gap below this node */
};

struct bt_leaf {
	struct bt_hdr hd;
	uint64_t gap0; /* free bytes in front of e[0]: from the previous
			  leaf's last entry, or from IOVA 0 */
	struct bt_leaf *prev, *next;
	struct itree_node e[LEAF_MAX];
};

struct bt_inner {
	struct bt_hdr hd;
	uint64_t key[INNER_MAX]; /* child i holds IOVAs in [key[i], key[i + 1]) */
	uint64_t maxgap[INNER_MAX]; /* child i's hd.max */
	void *child[INNER_MAX];
};

_Static_assert(sizeof(struct bt_leaf) <= NODE_BYTES, "a leaf fits a node");
_Static_assert(sizeof(struct bt_inner) <= NODE_BYTES, "an inner node fits");
_Static_assert(LEAF_MAX < 64 && INNER_MAX < 64, "nz is one word");

/* a root-to-leaf path: node[0] a leaf, node[height] the root; idx[l] the
 * child of node[l] taken (l > 0), idx[0] a position in the leaf */
struct itree_path {
	void *node[ITREE_MAX_HEIGHT + 1];
	uint32_t idx[ITREE_MAX_HEIGHT + 1];
};

enum { HINT_NONE, HINT_ENTRY, HINT_SLOT };

/* HINT_ENTRY: idx[0] is the entry that starts at @key; HINT_SLOT: idx[0]
 * is where an entry that starts at @key goes (before the entry there) */
struct itree_hint {
	int kind;
	uint64_t key;
	struct itree_path path;
};

static inline struct bt_hdr *hdr(const void *node)
{
	return (struct bt_hdr *)node;
}

static inline uint32_t node_n(const void *node)
{
	return hdr(node)->n;
}

/* the free bytes in front of entry @i of @l */
static inline uint64_t leaf_gap(const struct bt_leaf *l, uint32_t i)
{
	return i ? l->e[i].iova - vfd_itree_last(&l->e[i - 1]) - 1 : l->gap0;
}

/* Unused item slots hold UINT64_MAX (a leaf's IOVAs, an inner node's
 * keys), so that a search can compare a fixed number of slots */
static inline void leaf_seal(struct bt_leaf *l, uint32_t from)
{
	for (uint32_t j = from; j < LEAF_MAX; j++)
		l->e[j].iova = UINT64_MAX;
}

static inline void inner_seal(struct bt_inner *in, uint32_t from)
{
	for (uint32_t j = from; j < INNER_MAX; j++)
		in->key[j] = UINT64_MAX;
}

/* iova_tree.c, for iova_tree_edit.c: nodes from the spares (sealed), back
 * to them; the path to @iova; the path moved to the next leaf (NULL at the
 * last) */
struct bt_leaf *vfd_itree_leaf_new(struct itree *t);
struct bt_inner *vfd_itree_inner_new(struct itree *t);
void vfd_itree_node_free(struct itree *t, void *n);
void vfd_itree_descend(const struct itree *t, uint64_t iova, struct itree_path *pa);
struct bt_leaf *vfd_itree_next_leaf(const struct itree *t, struct itree_path *pa);

/* the rightmost path, with the position after the last entry */
void vfd_itree_path_last(const struct itree *t, struct itree_path *pa);
/* the leftmost path, with the position of the first entry */
void vfd_itree_path_first(const struct itree *t, struct itree_path *pa);

#endif /* VFIODEV_IOVA_TREE_H */
