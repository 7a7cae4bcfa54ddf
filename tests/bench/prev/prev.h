/* SPDX-License-Identifier: MIT */
/*
 * The previous design of a space's write side (libvfiodev at cf8a276, the
 * B+tree of lib/iova_tree.c, iova_fit.c and the translate table's generic
 * walk of lib/vtable.c), kept compiled into the benchmark only, as the
 * baseline its tables compare with in the same run. The three files here
 * are those files with their names changed (vfd_itree_ and vfd_vtable_ to
 * prev_itree_ and prev_vtable_, struct itree_node and itree to prev_node
 * and prev_tree, bt_ to prev_), nothing else; not part of the library.
 */
#ifndef VFIODEV_BENCH_PREV_H
#define VFIODEV_BENCH_PREV_H

#include "internal.h"

/* 32 bytes: a mapping or a reserved span, with the gap in front kept */
struct prev_node {
	uint64_t iova;
	uint64_t len;
	uint64_t vaddr;
	uint64_t gap;
};

struct prev_leaf;
struct prev_tree {
	void *root;
	unsigned int height;
	struct prev_leaf *head, *tail;
	void *spare;
	size_t nr_spare, nr_nodes;
	size_t count;
};

static inline uint64_t prev_last(const struct prev_node *n)
{
	return n->iova + (n->len - 1);
}

int prev_itree_init(struct prev_tree *t);
void prev_itree_fini(struct prev_tree *t);
size_t prev_itree_bytes(const struct prev_tree *t);
int prev_itree_reserve(struct prev_tree *t, size_t inserts);
void prev_itree_insert(struct prev_tree *t, uint64_t iova, uint64_t len,
		       uint64_t vaddr);
void prev_itree_remove(struct prev_tree *t, uint64_t iova);
void prev_itree_trim(struct prev_tree *t);
struct prev_node *prev_itree_find(const struct prev_tree *t, uint64_t iova);
struct prev_node *prev_itree_overlap(const struct prev_tree *t, uint64_t first,
				     uint64_t last);
struct prev_node *prev_itree_ceil(const struct prev_tree *t, uint64_t iova);
struct prev_node *prev_itree_next(const struct prev_tree *t,
				  const struct prev_node *e);
struct prev_node *prev_itree_last_node(const struct prev_tree *t);
int prev_itree_fit(const struct prev_tree *t, uint64_t len, uint64_t align,
		   uint64_t lo, uint64_t hi, uint64_t *out);

int prev_vtable_init(struct vtable *vt);
void prev_vtable_fini(struct vtable *vt);
size_t prev_vtable_bytes(const struct vtable *vt);
int prev_vtable_check(struct vtable *vt, uint64_t va, uint64_t len, uint64_t *busy);
int prev_vtable_set(struct vtable *vt, uint64_t va, uint64_t len, uint64_t iova);
void prev_vtable_clear(struct vtable *vt, uint64_t va, uint64_t len);

#endif /* VFIODEV_BENCH_PREV_H */
