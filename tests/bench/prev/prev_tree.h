/* SPDX-License-Identifier: MIT */
/*
 * The previous design's node layout (lib/iova_tree.h at cf8a276), shared by
 * its lowest-fit search (iova_fit.c) and its invariant checker
 * (iova_tree_check.c). Private to those three files.
 */
#ifndef VFIODEV_BENCH_PREV_TREE_H
#define VFIODEV_BENCH_PREV_TREE_H

#include "prev.h"

#define NODE_BYTES 1024u
#define LEAF_MAX 31u
#define INNER_MAX 32u
#define LEAF_MIN (LEAF_MAX / 4)
#define INNER_MIN (INNER_MAX / 4)
#define SPARE_KEEP 16u

struct prev_leaf {
	uint32_t n;
	uint32_t pad;
	struct prev_leaf *prev, *next;
	uint64_t pad2;
	struct prev_node e[LEAF_MAX];
};

struct prev_inner {
	uint32_t n;
	uint32_t pad;
	uint64_t key[INNER_MAX];
	uint64_t maxgap[INNER_MAX];
	void *child[INNER_MAX];
};

_Static_assert(sizeof(struct prev_leaf) == NODE_BYTES, "a leaf is one node");
_Static_assert(sizeof(struct prev_inner) <= NODE_BYTES, "an inner node fits");

/* the entry or child count, the first word of either kind of node */
static inline uint32_t node_n(const void *node)
{
	return *(const uint32_t *)node;
}

#endif /* VFIODEV_BENCH_PREV_TREE_H */
