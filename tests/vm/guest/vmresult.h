/* SPDX-License-Identifier: MIT */
/*
 * The result line of the in-guest test programs (vmtest, vmspace):
 * "VMTEST <name> PASS", "VMTEST <name> FAIL <reason>" or "VMTEST <name> SKIP
 * <reason>" (what this kernel cannot show, and why), the protocol of
 * tests/vm/guest-init.sh; failures are counted for the exit status.
 */
#ifndef VMRESULT_H
#define VMRESULT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int failures;

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
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

static void result_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));

static void result_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("VMTEST %s SKIP ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#endif /* VMRESULT_H */
