/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON reader for the fuzzers' oracles (RFC 8259 grammar, RFC 3629
 * UTF-8 by decoding to code points): json_valid() says whether a buffer is
 * exactly one JSON value with optional white space around it. Written
 * apart from the tool's writer, so that it can disagree with it.
 */
#ifndef VFIODEV_FUZZ_JSON_CHECK_H
#define VFIODEV_FUZZ_JSON_CHECK_H

#include <stdint.h>
#include <string.h>

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

static int value(const unsigned char **pp, const unsigned char *end, int depth);

static int literal(const unsigned char **pp, const unsigned char *end,
		   const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *pp) < n || memcmp(*pp, word, n))
		return -1;
	*pp += n;
	return 0;
}

static int number(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return -1;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return -1;
	}
	if (p < end && *p == '.') {
		if (++p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	return 0;
}

static int members(const unsigned char **pp, const unsigned char *end,
		   int depth, unsigned char close, int keyed)
{
	const unsigned char *p = ws(*pp, end);

	if (p < end && *p == close) {
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		p = ws(p, end);
		if (keyed) {
			if (string_token(&p, end))
				return -1;
			p = ws(p, end);
			if (p >= end || *p++ != ':')
				return -1;
		}
		if (value(&p, end, depth + 1))
			return -1;
		p = ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == close) {
			*pp = p + 1;
			return 0;
		}
		return -1;
	}
}

static int value(const unsigned char **pp, const unsigned char *end, int depth)
{
	const unsigned char *p = ws(*pp, end);
	int ret;

	if (p >= end || depth > 64)
		return -1;
	if (*p == '{') {
		p++;
		ret = members(&p, end, depth, '}', 1);
	} else if (*p == '[') {
		p++;
		ret = members(&p, end, depth, ']', 0);
	} else if (*p == '"') {
		ret = string_token(&p, end);
	} else if (*p == 't') {
		ret = literal(&p, end, "true");
	} else if (*p == 'f') {
		ret = literal(&p, end, "false");
	} else if (*p == 'n') {
		ret = literal(&p, end, "null");
	} else {
		ret = number(&p, end);
	}
	*pp = p;
	return ret;
}

/* exactly one JSON value (white space around it allowed) */
static inline int json_valid(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;

	if (value(&p, end, 0))
		return 0;
	return ws(p, end) == end;
}

#endif
