// SPDX-License-Identifier: MIT
/*
 * The tool's JSON writer. Strings are escaped per RFC 8259: quote,
 * backslash and every control character; valid UTF-8 passes through, and
 * each byte that is not part of it becomes U+FFFD, so that the document
 * stays valid whatever bytes a sysfs name holds.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "json.h"

bool json_refused;

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_items[0] = false;
	j->too_deep = false;
}

static void indent(struct json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/*
 * The length of the well-formed UTF-8 sequence at @p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if none.
 */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	/* the second byte's range excludes overlongs and surrogates */
	if (*p == 0xe0)
		lo = 0xa0;
	else if (*p == 0xed)
		hi = 0x9f;
	else if (*p == 0xf0)
		lo = 0x90;
	else if (*p == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static void escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			/* invalid UTF-8 would make the document invalid:
			 * each stray byte becomes U+FFFD */
			n = utf8_len(p);
			if (!n) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
	fputc('"', f);
}

/* the separator and key before any value */
static bool item(struct json *j, const char *key)
{
	if (j->too_deep)
		return false;
	if (j->depth > 0) {
		if (j->has_items[j->depth])
			fputc(',', j->f);
		j->has_items[j->depth] = true;
		indent(j);
	}
	if (key) {
		escaped(j->f, key);
		fputs(": ", j->f);
	}
	return true;
}

/* past the deepest level the writer can track, the document would come
 * out malformed: stop writing instead */
static void open_container(struct json *j, const char *key, char c)
{
	if (j->too_deep || j->depth == JSON_MAX_DEPTH - 1) {
		j->too_deep = true;
		return;
	}
	item(j, key);
	fputc(c, j->f);
	j->depth++;
	j->has_items[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	bool had = j->has_items[j->depth];

	if (j->too_deep)
		return;
	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	fputc(c, j->f);
}

void json_object_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_string(struct json *j, const char *key, const char *val)
{
	if (!item(j, key))
		return;
	if (val)
		escaped(j->f, val);
	else
		fputs("null", j->f);
}

void json_stringf(struct json *j, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	json_string(j, key, n < 0 ? NULL : s);
	free(s);
}

void json_int(struct json *j, const char *key, long long val)
{
	if (!item(j, key))
		return;
	fprintf(j->f, "%lld", val);
}

void json_uint(struct json *j, const char *key, uint64_t val)
{
	if (!item(j, key))
		return;
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	if (!item(j, key))
		return;
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	if (!item(j, key))
		return;
	fputs("null", j->f);
}

int json_finish(struct json *j)
{
	if (j->too_deep) {
		fprintf(stderr,
			"vfiodev: the JSON output nests deeper than %d levels: refused\n",
			JSON_MAX_DEPTH - 1);
		json_refused = true;
		return -1;
	}
	fputc('\n', j->f);
	fflush(j->f);
	return 0;
}
