#!/bin/bash
# SPDX-License-Identifier: MIT
# The ABI gate: the built libvfiodev.so against the baseline ABI description
# kept in the tree (abi/libvfiodev.abi, libabigail's abidw). Additions (new
# functions, new types) pass and are listed; anything else - a removed or
# changed function, a type whose layout changed - fails. A release (or a
# deliberate change while a version is unreleased) renews the baseline with
# scripts/abi-baseline.sh. Without abidiff (abigail-tools) the test skips.
# Usage: abi-gate.sh LIBRARY HEADERS-DIR BASELINE
set -uo pipefail
lib=$1 headers=$2 baseline=$3
if ! command -v abidiff >/dev/null; then
	echo "abi-gate: SKIP: abidiff not installed (Debian: abigail-tools)"
	exit 77
fi
report=$(abidiff --headers-dir1 "$headers" --headers-dir2 "$headers" \
	--no-added-syms --harmless "$baseline" "$lib" 2>&1)
rc=$?
added=$(abidiff --headers-dir1 "$headers" --headers-dir2 "$headers" \
	"$baseline" "$lib" 2>&1 | grep -E "^  \[A\]" || true)
# abidiff's status is a bit mask: 1 error, 2 usage, 4 ABI change,
# 8 incompatible change
if ((rc & 3)); then
	echo "$report"
	echo "abi-gate: abidiff failed (status $rc)"
	exit 1
fi
if ((rc & 12)) && [[ -n $report ]]; then
	echo "$report"
	echo "abi-gate: FAIL: the ABI changed in a way that is not an addition"
	echo "abi-gate: (a deliberate change before a release: scripts/abi-baseline.sh)"
	exit 1
fi
if [[ -n $added ]]; then
	echo "abi-gate: additions since the baseline:"
	echo "$added"
fi
echo "abi-gate: ok: no change to the baseline's ABI but additions"
exit 0
