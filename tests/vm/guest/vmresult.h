/* SPDX-License-Identifier: MIT */
/*
 * The result line of the in-guest test programs (vmtest, vmspace):
 * "VMTEST <name> PASS" or "VMTEST <name> FAIL <reason>", the protocol of
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

#endif /* VMRESULT_H */
