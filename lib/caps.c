// SPDX-License-Identifier: MIT
/*
 * VFIO capability chains (region info, Type1 IOMMU info): a linked list of
 * headers inside a buffer the kernel filled. The bytes are treated as
 * untrusted: every offset must lie inside argsz and move forward, so a
 * malformed chain (a loop, an offset past the end) is an error, not a hang.
 */
#include <linux/vfio.h>
#include <string.h>

#include "internal.h"

/* Linux 6.6+ places capabilities at 8-byte offsets; before, they were
 * packed, and one may sit at 4 mod 8 (6.1's Type1 chain: a 12-byte
 * DMA-avail capability, then the IOVA ranges). Headers are 4-aligned in
 * both; u64 fields are read with memcpy (vfd_cap_u64 and friends), never
 * in place. Anything not 4-aligned is malformed */
static int cap_at(size_t argsz, uint32_t off, uint32_t prev)
{
	if (off <= prev || off % 4)
		return -EPROTO;
	if ((uint64_t)off + sizeof(struct vfio_info_cap_header) > argsz)
		return -EPROTO;
	return 0;
}

/* walk the chain to capability @id; -1 matches none, so that the walk
 * validates the whole chain */
static int cap_walk(const void *buf, size_t argsz, uint32_t first, int id,
		    size_t min_size, const void **out)
{
	const struct vfio_info_cap_header *hdr;
	uint32_t off = first, prev = 0;

	while (off) {
		if (cap_at(argsz, off, prev))
			return -EPROTO;
		hdr = (const void *)((const char *)buf + off);
		if (hdr->id == id) {
			if ((uint64_t)off + min_size > argsz)
				return -EPROTO;
			/* every capability read here is at version 1; a later
			 * layout is not misread, it is treated as absent */
			if (hdr->version != 1)
				return -ENOENT;
			*out = hdr;
			return 0;
		}
		prev = off;
		off = hdr->next;
	}
	return -ENOENT;
}

int vfd_vfio_cap_find(const void *buf, size_t argsz, uint32_t first,
		      uint16_t id, size_t min_size, const void **out)
{
	return cap_walk(buf, argsz, first, id, min_size, out);
}

int vfd_vfio_cap_validate(const void *buf, size_t argsz, uint32_t first)
{
	int ret = cap_walk(buf, argsz, first, -1, 0, NULL);

	return ret == -ENOENT ? 0 : ret;
}
