// SPDX-License-Identifier: MIT
/*
 * vfiodev_bdf_normalise() against a reference of the documented grammar,
 * written here a second way (character classes and lengths, no shared
 * code): "D:BB:DD.F" with 4 to 8 hex domain digits, or "BB:DD.F" (domain
 * 0); device <= 0x1f, function <= 7; output lower case, 4-digit domain.
 * Any difference in verdict or output aborts.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vfiodev.h>

static int hexrun(const char *s, size_t *n)
{
	*n = 0;
	while (s[*n] && isxdigit((unsigned char)s[*n]))
		(*n)++;
	return 0;
}

static unsigned long hexval(const char *s, size_t n)
{
	char buf[16];

	memcpy(buf, s, n);
	buf[n] = 0;
	return strtoul(buf, NULL, 16);
}

static int reference(const char *s, char out[VFIODEV_BDF_LEN])
{
	size_t nd = 0, nb, ndv, nf;
	const char *p = s;
	unsigned long dom = 0, bus, dev, fn;
	const char *c1 = strchr(s, ':');

	if (!c1)
		return -1;
	if (strchr(c1 + 1, ':')) {
		/* the domain form */
		hexrun(p, &nd);
		if (nd < 4 || nd > 8 || p[nd] != ':')
			return -1;
		dom = hexval(p, nd);
		p += nd + 1;
	}
	hexrun(p, &nb);
	if (nb != 2 || p[2] != ':')
		return -1;
	bus = hexval(p, 2);
	p += 3;
	hexrun(p, &ndv);
	if (ndv != 2 || p[2] != '.')
		return -1;
	dev = hexval(p, 2);
	p += 3;
	hexrun(p, &nf);
	if (nf != 1 || p[1])
		return -1;
	fn = hexval(p, 1);
	if (dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, VFIODEV_BDF_LEN, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], a[VFIODEV_BDF_LEN], b[VFIODEV_BDF_LEN];
	int ra, rb;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	ra = vfiodev_bdf_normalise(in, a);
	rb = reference(in, b);
	if ((ra == 0) != (rb == 0) || (!ra && strcmp(a, b))) {
		fprintf(stderr,
			"BDF oracle: '%s': library %d '%s', reference %d '%s'\n",
			in, ra, ra ? "" : a, rb, rb ? "" : b);
		abort();
	}
	return 0;
}
