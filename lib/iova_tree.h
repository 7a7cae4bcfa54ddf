/* SPDX-License-Identifier: MIT */
/*
 * The node layout of the IOVA record's B+tree (lib/iova_tree.c), shared by
 * its lowest-fit search (iova_fit.c) and its invariant checker
 * (iova_tree_check.c). Private to those three files.
 */
#ifndef VFIODEV_IOVA_TREE_H
#define VFIODEV_IOVA_TREE_H

#include "internal.h"

#define NODE_BYTES 1024u
#define LEAF_MAX 31u
#define INNER_MAX 32u
#define LEAF_MIN (LEAF_MAX / 4)
#define INNER_MIN (INNER_MAX / 4)
#define SPARE_KEEP 16u

struct bt_leaf {
	uint32_t n;
	uint32_t pad;
	struct bt_leaf *prev, *next;
	uint64_t pad2;
	struct itree_node e[LEAF_MAX];
};

struct bt_inner {
	uint32_t n;
	uint32_t pad;
	uint64_t key[INNER_MAX];
	uint64_t maxgap[INNER_MAX];
	void *child[INNER_MAX];
};

_Static_assert(sizeof(struct bt_leaf) == NODE_BYTES, "a leaf is one node");
_Static_assert(sizeof(struct bt_inner) <= NODE_BYTES, "an inner node fits");

/* the entry or child count, the first word of either kind of node */
static inline uint32_t node_n(const void *node)
{
	return *(const uint32_t *)node;
}

#endif /* VFIODEV_IOVA_TREE_H */
