#!/bin/sh
# SPDX-License-Identifier: MIT
# Every man page given renders with groff -ww (all warnings) and no output
# on stderr: the generated man3 pages and the hand-written ones.
set -u
fail=0
n=0
for page in "$@"; do
	n=$((n + 1))
	out=$(LC_ALL=C.UTF-8 groff -ww -z -man -Tutf8 "$page" 2>&1)
	# the NAME line must give whatis an entry (lexgrog, from man-db)
	if command -v lexgrog >/dev/null && ! lexgrog "$page" >/dev/null 2>&1; then
		out="$out${out:+
}lexgrog: no whatis entry in the NAME section"
	fi
	if [ -n "$out" ]; then
		printf '%s:\n%s\n' "$page" "$out"
		fail=1
	fi
done
echo "man-lint: $n pages, $( [ $fail = 0 ] && echo clean || echo 'warnings above')"
exit $fail
