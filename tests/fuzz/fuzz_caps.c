// SPDX-License-Identifier: MIT
/*
 * VFIO capability chains (region and Type1 info replies are bytes the
 * kernel wrote): any buffer, any first offset. The walk must end (no
 * loop), never read outside the buffer (ASan), and a capability it returns
 * must lie wholly inside it, 8-aligned, at version 1.
 */
#include <linux/vfio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vfio_info_cap_header *h;
	uint32_t first;
	uint8_t *buf;
	size_t argsz;

	if (size < 6)
		return 0;
	memcpy(&first, data, 4);
	first %= 512;
	argsz = size - 4;
	/* exactly argsz bytes, so that ASan sees any read past them */
	buf = malloc(argsz);
	if (!buf)
		return 0;
	memcpy(buf, data + 4, argsz);
	if (vfd_vfio_cap_validate(buf, argsz, first) == 0 || 1) {
		for (uint16_t id = 0; id < 6; id++) {
			size_t min = 8 + (size_t)(data[4] % 64);

			if (vfd_vfio_cap_find(buf, argsz, first, id, min,
					      (const void **)&h))
				continue;
			if ((const uint8_t *)h < buf ||
			    (const uint8_t *)h + min > buf + argsz ||
			    ((const uint8_t *)h - buf) % 4 || h->id != id ||
			    h->version != 1)
				abort();
		}
	}
	free(buf);
	return 0;
}
