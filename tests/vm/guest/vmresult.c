// SPDX-License-Identifier: MIT
/*
 * The VMTEST result lines (vmresult.h), one definition for every in-guest
 * program that prints them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vmresult.h"

int failures;

void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("VMTEST %s PASS\n", name);
	} else {
		printf("VMTEST %s FAIL ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		failures++;
	}
	fflush(stdout);
}

void result_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("VMTEST %s SKIP ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
