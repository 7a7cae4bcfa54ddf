#!/bin/bash
# SPDX-License-Identifier: MIT
# ABI checks on the built libraries: the shared one exports only vfiodev_
# symbols, and the version script, the public header and the exports agree;
# the static archive defines no global symbol but the vfiodev_ API either.
# Usage: abi-check.sh LIBVFIODEV.SO HEADER SYMFILE [LIBVFIODEV.A]
set -euo pipefail
so=$1 header=$2 sym=$3 ar=${4:-}
fail=0

exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sed 's/@.*//' | sort -u)
stray=$(grep -v '^vfiodev_' <<<"$exported" || true)
if [[ -n $stray ]]; then
	echo "not ok: exported symbols without the vfiodev_ prefix:"; echo "$stray"; fail=1
fi
declared=$(grep -oE '\bvfiodev_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u)
listed=$(grep -oE '^\s*vfiodev_[a-z0-9_]+;' "$sym" | tr -d ' \t;' | sort -u)
for pair in "declared:listed" "listed:declared" "listed:exported" "exported:listed"; do
	a=${pair%%:*} b=${pair##*:}
	missing=$(comm -23 <(echo "${!a}") <(echo "${!b}"))
	if [[ -n $missing ]]; then
		echo "not ok: $a but not $b:"; echo "$missing"; fail=1
	fi
done
if [[ -n $ar ]]; then
	globals=$(nm --defined-only --extern-only "$ar" 2>/dev/null |
		awk 'NF == 3 {print $3}' | sort -u)
	stray=$(grep -v '^vfiodev_' <<<"$globals" || true)
	if [[ -n $stray ]]; then
		echo "not ok: $(wc -l <<<"$stray") global symbols in the static archive without the vfiodev_ prefix:"
		echo "$stray" | head -n 20
		fail=1
	fi
	missing=$(comm -23 <(echo "$listed") <(echo "$globals"))
	if [[ -n $missing ]]; then
		echo "not ok: listed but not defined by the static archive:"; echo "$missing"; fail=1
	fi
	[[ $fail == 0 ]] && echo "ok: the static archive defines $(wc -l <<<"$globals") globals, all vfiodev_"
fi
n=$(wc -l <<<"$exported")
[[ $fail == 0 ]] && echo "ok: $n exported symbols, all vfiodev_, header = version script = exports"
exit $fail
