// SPDX-License-Identifier: MIT
/*
 * VFIO capability chains (region info, Type1 IOMMU info): a linked list of
 * headers inside a buffer the kernel filled. The bytes are treated as
 * untrusted: every offset must lie inside argsz and move forward, so a
 * malformed chain (a loop, an offset past the end) is an error, not a hang.
 */
#include <linux/vfio.h>
#include <stdlib.h>
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

/*
 * The grow-argsz-and-retry loop, written once. A VFIO info ioctl whose
 * reply grows by a capability chain (VFIO_IOMMU_GET_INFO,
 * VFIO_DEVICE_GET_REGION_INFO) is sent in a zeroed buffer of *@size bytes
 * that begins with the @hdr_len bytes of @hdr (its argsz set here); when the
 * kernel asks for more room (a larger argsz in the reply), it is sent once
 * more with that, three tries in all, never more than VFD_INFO_ARGSZ_MAX.
 * *@out: the reply (the caller frees it), *@size: the bytes it holds.
 * Failures are logged once, as "@what: cause".
 */
int vfd_vfio_info_ioctl(const struct vfiodev_ctx *ctx, int fd,
			unsigned long req, const void *hdr, size_t hdr_len,
			size_t *size, const char *what, void **out)
{
	size_t argsz = *size < hdr_len ? hdr_len : *size;
	uint32_t asked;
	void *buf;
	int ret;

	for (int tries = 0; tries < 3; tries++) {
		buf = calloc(1, argsz);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, hdr, hdr_len);
		asked = (uint32_t)argsz;
		memcpy(buf, &asked, sizeof(asked)); /* argsz leads every struct */
		ret = sys_ioctl(fd, req, buf);
		if (ret) {
			vfd_err(ctx, "%s: %s", what, strerror(-ret));
			free(buf);
			return ret;
		}
		memcpy(&asked, buf, sizeof(asked));
		if (asked <= argsz) {
			*size = argsz;
			*out = buf;
			return 0;
		}
		free(buf);
		if (asked > VFD_INFO_ARGSZ_MAX) {
			vfd_err(ctx, "%s: implausible argsz %u (more than %u)",
				what, asked, VFD_INFO_ARGSZ_MAX);
			return -EPROTO;
		}
		argsz = asked;
	}
	vfd_err(ctx, "%s: the kernel asked for a larger buffer three times", what);
	return -EPROTO;
}
