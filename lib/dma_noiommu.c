// SPDX-License-Identifier: MIT
/*
 * A noiommu space's record (Linux 7.x, noiommu devices through iommufd):
 * its devices DMA to the pages' bus addresses, so the translate table
 * holds bus addresses, one entry per physically contiguous run, and a bus
 * address is found by a walk of the runs.
 */
#include <stdlib.h>

#include "internal.h"

/*
 * A noiommu space (Linux 7.x, iommufd): the IOAS pinned @m at an IOVA no
 * device sees; its devices DMA to the pages' bus addresses. The translate
 * table gets one entry per physically contiguous run, so translate answers
 * with the bus address and translate_len with the bytes contiguous from
 * there. *@out: the bus address of the first byte. On failure the kernel
 * mapping is undone
 */
int vfd_noiommu_publish(struct vfiodev_space *space,
			const struct vfiodev_mapping *m, uint64_t limit,
			uint64_t *out)
{
	struct run {
		uint64_t off, len, bus;
	} *runs = NULL;
	size_t n = 0, cap = 0;
	uint64_t busy;
	int ret = 0;

	for (uint64_t off = 0; off < m->len;) {
		uint64_t bus, contig;

		ret = space->ops->bus_addr(space, m->iova + off, m->len - off,
					   &bus, &contig);
		if (ret)
			break;
		if (n == cap) {
			struct run *r = realloc(runs, (cap = cap ? cap * 2 : 8) *
							      sizeof(*r));

			if (!r) {
				ret = -ENOMEM;
				break;
			}
			runs = r;
		}
		runs[n++] = (struct run){ off, contig, bus };
		off += contig;
		/* the device's DMA limit bounds bus addresses here: the
		 * kernel placed the pages, the library can only refuse */
		if (bus + (contig - 1) > limit) {
			vfd_err(space->ctx,
				"dma map: buffer 0x%llx+0x%llx has pages at bus address 0x%llx, above the limit 0x%llx (a noiommu device reaches the pages where they are: take memory the kernel placed lower)",
				(unsigned long long)m->vaddr,
				(unsigned long long)m->len, (unsigned long long)bus,
				(unsigned long long)limit);
			ret = -ENOSPC;
			break;
		}
	}
	/* the runs split slots the whole mapping covered: their tables first,
	 * so that the sets cannot fail */
	for (size_t i = 0; !ret && i < n; i++)
		ret = vfd_vtable_check(&space->vt, m->vaddr + runs[i].off,
				       runs[i].len, &busy);
	if (ret) {
		if (ret == -ENOMEM)
			vfd_err(space->ctx,
				"dma map: out of memory for the bus addresses of 0x%llx+0x%llx",
				(unsigned long long)m->vaddr,
				(unsigned long long)m->len);
		if (space->ops->unmap(space, m))
			vfd_err(space->ctx,
				"dma map: the IOAS keeps 0x%llx+0x%llx pinned at IOVA 0x%llx until the space goes",
				(unsigned long long)m->vaddr,
				(unsigned long long)m->len,
				(unsigned long long)m->iova);
		free(runs);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		vfd_vtable_set(&space->vt, m->vaddr + runs[i].off, runs[i].len,
			       runs[i].bus);
	if (out)
		*out = runs[0].bus;
	free(runs);
	return 0;
}

/* a noiommu space: the mapping whose pages include bus address @bus, and
 * the virtual address of that byte (*@va) and the bytes contiguous from it
 * (*@contig). Bus addresses have no index: a walk of every mapping's runs,
 * O(runs). Caller holds the lock */
const struct itree_node *vfd_noiommu_find(struct vfiodev_space *space, uint64_t bus,
					  uint64_t *va, uint64_t *contig)
{
	const struct itree_node *n;

	for (n = vfd_itree_ceil(&space->tree, 0); n;
	     n = vfd_itree_next(&space->tree, n)) {
		uint64_t v = n->vaddr & ~MAPF_MASK, end = v + n->len;

		if (n->vaddr & MAPF_RESERVED)
			continue;
		while (v < end) {
			uint64_t b, l;

			if (vfd_vtable_lookup(&space->vt, v, &b, &l))
				break;
			if (bus >= b && bus - b < l) {
				*va = v + (bus - b);
				*contig = l - (bus - b);
				return n;
			}
			v += l;
		}
	}
	return NULL;
}
