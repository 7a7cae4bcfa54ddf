// SPDX-License-Identifier: MIT
/*
 * The tool's JSON writer at its nesting limit: JSON_MAX_DEPTH - 1 levels
 * come out balanced; one more is refused (json_finish fails, nothing past
 * the limit is written) where it used to write brackets that no longer
 * matched. Exit status 0 when every check holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int balanced(const char *s, int *depth)
{
	int d = 0, max = 0;

	for (; *s; s++) {
		if (*s == '[' || *s == '{')
			max = ++d > max ? d : max;
		else if (*s == ']' || *s == '}')
			d--;
		if (d < 0)
			return 0;
	}
	*depth = max;
	return d == 0;
}

static int nest(int levels, char *buf, size_t len, int *ret)
{
	FILE *f = fmemopen(buf, len, "w");
	struct json j;

	if (!f)
		return -1;
	json_init(&j, f);
	for (int i = 0; i < levels; i++)
		json_array_begin(&j, NULL);
	json_int(&j, NULL, 1);
	for (int i = 0; i < levels; i++)
		json_array_end(&j);
	*ret = json_finish(&j);
	fclose(f);
	return 0;
}

int main(void)
{
	static char buf[1 << 16];
	int ret, depth = 0, fails = 0;

	if (nest(JSON_MAX_DEPTH - 1, buf, sizeof(buf), &ret))
		return 1;
	if (ret || !balanced(buf, &depth) || depth != JSON_MAX_DEPTH - 1) {
		printf("FAIL: %d levels: finish %d, depth %d\n%s\n",
		       JSON_MAX_DEPTH - 1, ret, depth, buf);
		fails++;
	}
	memset(buf, 0, sizeof(buf));
	json_refused = false;
	if (nest(JSON_MAX_DEPTH, buf, sizeof(buf), &ret))
		return 1;
	if (ret != -1 || !json_refused || strchr(buf, '1')) {
		printf("FAIL: %d levels: finish %d, refused %d\n%s\n",
		       JSON_MAX_DEPTH, ret, json_refused, buf);
		fails++;
	}
	printf("%s\n", fails ? "json depth: FAILED" : "json depth: ok");
	return fails ? 1 : 0;
}
