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
#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *key, *val, *doc = NULL;
	size_t split = size ? data[0] % (size + 1) : 0, dlen = 0;
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
	if (!json_valid(doc, dlen))
		abort();
	free(doc);
	free(key);
	free(val);
	return 0;
}
