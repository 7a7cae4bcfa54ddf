// SPDX-License-Identifier: MIT
/*
 * The read side of a DMA space: a three-level radix table indexed by
 * virtual address (bits 47..30, 29..21, 20..12), whose entries say where a
 * 1 GiB, 2 MiB or 4 KiB slot of the address space is mapped: the IOVA of
 * the slot's first byte and the end of the mapping it belongs to. A slot
 * that one mapping covers whole is one entry at its level; partly covered
 * slots get a table of the level below. vfd_vtable_lookup() (internal.h) walks
 * it with plain acquire loads: no lock, no read-modify-write.
 *
 * Writers (under the space's lock) write an entry's end, with the slot's
 * sequence bumped, before publishing its IOVA word, both with release
 * stores, and clear the word when a mapping goes (the end stays: its
 * sequence goes on from there). A reader that wants the length reads the
 * end on both sides of the word: the same end twice means word and end are
 * one mapping's, whatever remapped the slot before (a slot unmapped and
 * mapped again elsewhere must never give the old IOVA with the new
 * length). Tables are never freed while the space lives, so a reader never
 * follows a pointer into freed memory; they are reused when the address
 * range is mapped again.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define L1_BYTES ((size_t)VT_L1_ENTRIES * sizeof(struct vt_entry))
#define TABLE_BYTES ((size_t)VT_ENTRIES * sizeof(struct vt_entry))

int vfd_vtable_init(struct vtable *vt)
{
	void *l1;

	memset(vt, 0, sizeof(*vt));
	/* 4 MiB of address space; only the pages written become memory */
	l1 = mmap(NULL, L1_BYTES, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l1 == MAP_FAILED)
		return -ENOMEM;
	vt->l1 = l1;
	return 0;
}

void vfd_vtable_fini(struct vtable *vt)
{
	struct vt_entry **t = vt->tables;

	for (size_t i = 0; i < vt->nr_tables; i++)
		free(t[i]);
	free(vt->tables);
	if (vt->l1)
		munmap(vt->l1, L1_BYTES);
	memset(vt, 0, sizeof(*vt));
}

size_t vfd_vtable_bytes(const struct vtable *vt)
{
	/* the first level counts by the 4 KiB pages that were written */
	return vt->nr_tables * TABLE_BYTES + vt->l1_pages * 4096 +
	       vt->cap_tables * sizeof(*vt->tables);
}

static struct vt_entry *table_new(struct vtable *vt)
{
	struct vt_entry *t;

	if (vt->nr_tables == vt->cap_tables) {
		size_t cap = vt->cap_tables ? vt->cap_tables * 2 : 64;
		struct vt_entry **v = realloc(vt->tables, cap * sizeof(*v));

		if (!v)
			return NULL;
		vt->tables = v;
		vt->cap_tables = cap;
	}
	t = aligned_alloc(64, TABLE_BYTES);
	if (!t)
		return NULL;
	memset(t, 0, TABLE_BYTES);
	vt->tables[vt->nr_tables++] = t;
	return t;
}

static inline unsigned int level_shift(int level)
{
	return level == 1 ? VT_L1_SHIFT :
	       level == 2 ? VT_L2_SHIFT :
			    VT_L3_SHIFT;
}

static inline size_t slot_index(uint64_t va, int level)
{
	return (size_t)(va >> level_shift(level)) &
	       (level == 1 ? VT_L1_ENTRIES - 1 : VT_ENTRIES - 1);
}

static inline uint64_t entry_word(const struct vt_entry *e)
{
	return __atomic_load_n(&e->word, __ATOMIC_RELAXED);
}

/* the first level's page of entry @e was written: count it once */
static void l1_touch(struct vtable *vt, const struct vt_entry *e)
{
	size_t page = (size_t)(e - vt->l1) * sizeof(*e) / 4096;

	if (!(vt->l1_seen[page / 64] & (1ull << (page % 64)))) {
		vt->l1_seen[page / 64] |= 1ull << (page % 64);
		vt->l1_pages++;
	}
}

enum vt_op { VT_CHECK, VT_SET, VT_CLEAR };

struct vt_walk {
	enum vt_op op;
	uint64_t iova; /* of @va's first byte (SET) */
	uint64_t end; /* of the mapping (SET) */
	uint64_t va0; /* first address of the walk */
	uint64_t busy_va; /* CHECK: an address already mapped */
};

/* apply @w to [@va, @last] inside the table @tab of @level */
static int walk(struct vtable *vt, struct vt_entry *tab, int level, uint64_t va,
		uint64_t last, struct vt_walk *w)
{
	unsigned int shift = level_shift(level);
	uint64_t size = 1ull << shift;

	for (;;) {
		struct vt_entry *e = &tab[slot_index(va, level)];
		uint64_t slot = va & ~(size - 1);
		uint64_t slot_last = slot + (size - 1);
		uint64_t sub_last = slot_last < last ? slot_last : last;
		bool whole = va == slot && sub_last == slot_last;
		uint64_t word = entry_word(e);
		int ret;

		if (!word && w->op == VT_CHECK && !whole && level < 3) {
			/* a free slot the range covers in part: the table a
			 * set will need is made now, so that the set, which
			 * comes after the kernel mapped, cannot fail */
			struct vt_entry *sub = table_new(vt);

			if (!sub)
				return -ENOMEM;
			__atomic_store_n(&e->word, (uintptr_t)sub | VT_TABLE,
					 __ATOMIC_RELEASE);
			if (level == 1)
				l1_touch(vt, e);
			word = (uintptr_t)sub | VT_TABLE;
		}
		if (word & VT_LEAF) {
			/* a mapping covers this slot whole */
			if (w->op == VT_CHECK) {
				w->busy_va = va;
				return -EEXIST;
			}
			if (w->op == VT_CLEAR)
				__atomic_store_n(&e->word, 0, __ATOMIC_RELEASE);
		} else if (word & VT_TABLE) {
			ret = walk(vt,
				   (struct vt_entry *)(uintptr_t)(word & ~VT_TABLE),
				   level + 1, va, sub_last, w);
			if (ret)
				return ret;
		} else if (w->op == VT_SET) {
			if (whole || level == 3) {
				uint64_t old = __atomic_load_n(&e->end,
							       __ATOMIC_RELAXED);
				uint64_t seq = (old + 1) & VT_SEQ_MASK;

				__atomic_store_n(&e->end,
						 w->end << VT_END_SHIFT | seq,
						 __ATOMIC_RELEASE);
				__atomic_store_n(&e->word,
						 (w->iova + (slot - w->va0)) | VT_LEAF,
						 __ATOMIC_RELEASE);
			} else {
				struct vt_entry *sub = table_new(vt);

				if (!sub)
					return -ENOMEM;
				ret = walk(vt, sub, level + 1, va, sub_last, w);
				if (ret)
					return ret; /* the table stays listed */
				__atomic_store_n(&e->word, (uintptr_t)sub | VT_TABLE,
						 __ATOMIC_RELEASE);
			}
			if (level == 1)
				l1_touch(vt, e);
		}
		if (sub_last == last)
			return 0;
		va = sub_last + 1;
	}
}

static int vt_range_ok(uint64_t va, uint64_t len)
{
	/* no wrap past 2^64: the range must end at or below 2^48 */
	return len && va < (1ull << VT_VA_BITS) && len <= (1ull << VT_VA_BITS) - va;
}

/* ---- ranges inside one 2 MiB slot (most mappings): a direct walk ------- */
/* The generic walk above handles any range; a range that lies inside one
 * 2 MiB slot and does not cover it whole, once its 4 KiB table exists (the
 * first check there makes it), has one path, walked here with no recursion
 * and no level arithmetic (a third of the instructions). What it reads and
 * writes, and in which order, is what the walk does there */
static inline bool in_one_l2(uint64_t va, uint64_t len)
{
	/* shorter than a slot (not 0), in one, below 2^48: no wrap either */
	return len - 1 < (1ull << VT_L2_SHIFT) - 1 && !(va >> VT_VA_BITS) &&
	       !((va ^ (va + (len - 1))) >> VT_L2_SHIFT);
}

/* the 4 KiB table of @va, or NULL when there is none yet (or a leaf) */
static inline struct vt_entry *l3_of(const struct vtable *vt, uint64_t va)
{
	uint64_t w = entry_word(&vt->l1[va >> VT_L1_SHIFT]);

	if (!(w & VT_TABLE))
		return NULL;
	w = entry_word((struct vt_entry *)(uintptr_t)(w - VT_TABLE) +
		       ((va >> VT_L2_SHIFT) & (VT_ENTRIES - 1)));
	return w & VT_TABLE ? (struct vt_entry *)(uintptr_t)(w - VT_TABLE) : NULL;
}

static inline size_t l3_index(uint64_t va)
{
	return (size_t)(va >> VT_L3_SHIFT) & (VT_ENTRIES - 1);
}

static int check_small(struct vt_entry *t3, uint64_t va, uint64_t last,
		       uint64_t *busy)
{
	for (size_t i = l3_index(va), j = l3_index(last); i <= j; i++) {
		if (entry_word(&t3[i]) & VT_LEAF) {
			if (busy)
				*busy = i == l3_index(va) ?
						va :
						(va & ~((1ull << VT_L2_SHIFT) - 1)) |
							(uint64_t)i << VT_L3_SHIFT;
			return -EEXIST;
		}
	}
	return 0;
}

static void set_small(struct vt_entry *t3, uint64_t va, uint64_t last, uint64_t iova)
{
	uint64_t end = (last + 1) << VT_END_SHIFT;
	uint64_t slot = va & ~((1ull << VT_L3_SHIFT) - 1);

	for (size_t i = l3_index(va), j = l3_index(last); i <= j; i++) {
		struct vt_entry *e = &t3[i];
		uint64_t seq = (__atomic_load_n(&e->end, __ATOMIC_RELAXED) + 1) &
			       VT_SEQ_MASK;

		/* the end (and its new sequence) before the word it goes with */
		__atomic_store_n(&e->end, end | seq, __ATOMIC_RELEASE);
		__atomic_store_n(&e->word, (iova + (slot - va)) | VT_LEAF,
				 __ATOMIC_RELEASE);
		slot += 1ull << VT_L3_SHIFT;
	}
}

static void clear_small(struct vt_entry *t3, uint64_t va, uint64_t last)
{
	for (size_t i = l3_index(va), j = l3_index(last); i <= j; i++)
		if (entry_word(&t3[i]) & VT_LEAF)
			__atomic_store_n(&t3[i].word, 0, __ATOMIC_RELEASE);
}

/* the generic walk of @op over [@va, @last]; *@busy for VT_CHECK (out of
 * line: the direct walks then save no registers) */
static __attribute__((noinline)) int walk_all(struct vtable *vt, enum vt_op op,
					      uint64_t va, uint64_t last,
					      uint64_t iova, uint64_t *busy)
{
	struct vt_walk w = { .op = op, .iova = iova, .end = last + 1, .va0 = va };
	int ret = walk(vt, vt->l1, 1, va, last, &w);

	if (ret && busy)
		*busy = w.busy_va;
	return ret;
}

int vfd_vtable_check(struct vtable *vt, uint64_t va, uint64_t len, uint64_t *busy)
{
	uint64_t last = va + (len - 1);
	struct vt_entry *t3;

	if (in_one_l2(va, len) && (t3 = l3_of(vt, va)))
		return check_small(t3, va, last, busy);
	if (!vt_range_ok(va, len))
		return -ERANGE;
	return walk_all(vt, VT_CHECK, va, last, 0, busy);
}

/* SET cannot meet a leaf (the caller checked first), nor fail after a
 * check of the same range: the check made every table it needs. Alone it
 * can fail for memory: then what it already published is cleared again */
static __attribute__((noinline)) int set_all(struct vtable *vt, uint64_t va,
					     uint64_t len, uint64_t iova)
{
	int ret;

	if (!vt_range_ok(va, len))
		return -ERANGE;
	ret = walk_all(vt, VT_SET, va, va + (len - 1), iova, NULL);
	if (ret)
		vfd_vtable_clear(vt, va, len);
	return ret;
}

int vfd_vtable_set(struct vtable *vt, uint64_t va, uint64_t len, uint64_t iova)
{
	struct vt_entry *t3;

	if (in_one_l2(va, len) && (t3 = l3_of(vt, va))) {
		set_small(t3, va, va + (len - 1), iova);
		return 0;
	}
	return set_all(vt, va, len, iova);
}

void vfd_vtable_clear(struct vtable *vt, uint64_t va, uint64_t len)
{
	uint64_t last = va + (len - 1);
	struct vt_entry *t3;

	if (in_one_l2(va, len) && (t3 = l3_of(vt, va))) {
		clear_small(t3, va, last);
		return;
	}
	if (!vt_range_ok(va, len))
		return;
	walk_all(vt, VT_CLEAR, va, last, 0, NULL);
}
