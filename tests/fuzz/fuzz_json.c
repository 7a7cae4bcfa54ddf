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

/* one UTF-8 sequence at *@pp, advancing past it; 0 or -1 */
static int utf8_decode(const unsigned char **pp, const unsigned char *end)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *p = *pp;
	uint32_t cp;
	int n;

	if ((*p & 0xe0) == 0xc0) {
		n = 2;
		cp = *p & 0x1f;
	} else if ((*p & 0xf0) == 0xe0) {
		n = 3;
		cp = *p & 0x0f;
	} else if ((*p & 0xf8) == 0xf0) {
		n = 4;
		cp = *p & 0x07;
	} else {
		return -1;
	}
	if (end - p < n)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pp = p + n;
	return 0;
}

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
		/* UTF-8, well formed (RFC 3629), checked by decoding: the
		 * shortest form, no surrogate, nothing above U+10FFFF (the
		 * writer checks byte ranges; this checks code points) */
		if (utf8_decode(&p, end))
			return -1;
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
