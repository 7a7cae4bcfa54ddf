#!/bin/bash
# SPDX-License-Identifier: MIT
# House style: every C file (but the vendored UAPI headers) is as
# .clang-format (kernel style) formats it, and starts with an SPDX line.
# Usage: style-check.sh SOURCEDIR
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "not ok: clang-format not installed"; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^lib/uapi/' ||
	find lib include tools examples tests -name '*.[ch]' ! -path 'lib/uapi/*')
fail=0
for f in "${files[@]}"; do
	if ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
		echo "not ok: $f is not formatted (clang-format -i $f)"; fail=1
	fi
	head -n 1 "$f" | grep -q 'SPDX-License-Identifier: MIT' ||
		{ echo "not ok: $f: first line is not the SPDX line"; fail=1; }
done
[[ $fail == 0 ]] && echo "ok: ${#files[@]} C files formatted and licensed"
exit $fail
