// SPDX-License-Identifier: MIT
/*
 * The tool's JSON writer with any bytes as a key and a value: the document
 * must be valid JSON (checked here by a strict RFC 8259 / RFC 3629 reader
 * of this one shape: an object of one string member) whatever the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* a JSON string token at *@p, advancing past it; 0 or -1 */
static int string_token(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;

	if (p >= end || *p++ != '"')
		return -1;
	while (p < end && *p != '"') {
		if (*p < 0x20)
			return -1;
		if (*p == '\\') {
			p++;
			if (p >= end)
				return -1;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p + i >= end ||
					    !strchr("0123456789abcdefABCDEF", p[i]) ||
					    !p[i])
						return -1;
				p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *p) || !*p)
				return -1;
			p++;
			continue;
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		/* UTF-8, well formed (RFC 3629) */
		{
			size_t n = *p >= 0xf0 ? 4 :
				   *p >= 0xe0 ? 3 :
				   *p >= 0xc2 ? 2 :
						0;
			unsigned char lo = 0x80, hi = 0xbf;

			if (!n || *p > 0xf4 || p + n > end)
				return -1;
			if (*p == 0xe0)
				lo = 0xa0;
			else if (*p == 0xed)
				hi = 0x9f;
			else if (*p == 0xf0)
				lo = 0x90;
			else if (*p == 0xf4)
				hi = 0x8f;
			if (p[1] < lo || p[1] > hi)
				return -1;
			for (size_t i = 2; i < n; i++)
				if (p[i] < 0x80 || p[i] > 0xbf)
					return -1;
			p += n;
		}
	}
	if (p >= end)
		return -1;
	*pp = p + 1;
	return 0;
}

static const unsigned char *ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *key, *val, *doc = NULL;
	size_t split = size ? data[0] % (size + 1) : 0, dlen = 0;
	const unsigned char *p, *end;
	struct json j;
	FILE *f;

	key = strndup((const char *)data, split);
	val = strndup((const char *)data + split, size - split);
	f = open_memstream(&doc, &dlen);
	if (!key || !val || !f)
		abort();
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, key, val);
	json_object_end(&j);
	if (json_finish(&j))
		abort();
	fclose(f);
	p = (const unsigned char *)doc;
	end = p + dlen;
	p = ws(p, end);
	if (p >= end || *p++ != '{')
		abort();
	p = ws(p, end);
	if (string_token(&p, end))
		abort();
	p = ws(p, end);
	if (p >= end || *p++ != ':')
		abort();
	p = ws(p, end);
	if (string_token(&p, end))
		abort();
	p = ws(p, end);
	if (p >= end || *p++ != '}')
		abort();
	if (ws(p, end) != end)
		abort();
	free(doc);
	free(key);
	free(val);
	return 0;
}
