/* SPDX-License-Identifier: MIT */
/*
 * The result line of the in-guest test programs (vmtest, vmspace, p2ptest,
 * vmmig, vmmdev): "VMTEST <name> PASS", "VMTEST <name> FAIL <reason>" or
 * "VMTEST <name> SKIP <reason>" (what this kernel cannot show, and why),
 * the protocol of tests/vm/guest-init.sh; failures are counted for the exit
 * status. Defined in vmresult.c, which each of those programs links.
 */
#ifndef VMRESULT_H
#define VMRESULT_H

#include <stdbool.h>

/* the FAIL lines printed so far */
extern int failures;

void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void result_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* VMRESULT_H */
