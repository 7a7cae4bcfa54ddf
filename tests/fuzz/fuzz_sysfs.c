// SPDX-License-Identifier: MIT
/*
 * The parsers of sysfs attributes the library trusts: a dev attribute
 * ("major:minor") is accepted only in the kernel's own form, so whatever
 * it accepts prints back to the same text and stays inside a 12-bit major
 * and a 20-bit minor; a decimal is digits only.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "internal.h"

/* @s with leading zeros dropped from each number: the only other
 * spelling of a number the parser may take */
static const char *canonical(const char *s)
{
	static char out[48];
	size_t o = 0;
	bool start = true;

	for (; *s && o < sizeof(out) - 1; s++) {
		if (start && *s == '0' && s[1] >= '0' && s[1] <= '9')
			continue;
		start = *s == ':';
		out[o++] = *s;
	}
	out[o] = 0;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[48], back[48];
	unsigned long v;
	const char *end;
	dev_t dn;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	if (!vfd_parse_devnum(in, &dn)) {
		snprintf(back, sizeof(back), "%u:%u", major(dn), minor(dn));
		if (major(dn) > 0xfff || minor(dn) > 0xfffff ||
		    strcmp(canonical(in), back))
			abort();
	}
	if (!vfd_parse_dec(in, 0xffffffffUL, &v, &end)) {
		if (end == in || v > 0xffffffffUL)
			abort();
		for (const char *p = in; p < end; p++)
			if (*p < '0' || *p > '9')
				abort();
	}
	return 0;
}
