/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer for the tool's --json output: objects, arrays
 * and scalars, pretty-printed, with every string escaped, so that scripts
 * can parse whatever a device or driver name contains.
 */
#ifndef VFIODEV_TOOL_JSON_H
#define VFIODEV_TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH];
	bool too_deep; /* a container past JSON_MAX_DEPTH: nothing more is written */
};

/* set when any document was refused for nesting too deep */
extern bool json_refused;

void json_init(struct json *j, FILE *f);
/* @key is NULL inside arrays and at the top level */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
/* a NULL @val writes null */
void json_string(struct json *j, const char *key, const char *val);
void json_stringf(struct json *j, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void json_int(struct json *j, const char *key, long long val);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* ends the document with a newline; -1 (and a line on stderr) when it
 * nested deeper than JSON_MAX_DEPTH, so it was cut and must not be used */
int json_finish(struct json *j);

#endif /* VFIODEV_TOOL_JSON_H */
