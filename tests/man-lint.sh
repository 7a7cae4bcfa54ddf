#!/bin/sh
# SPDX-License-Identifier: MIT
# Every man page given renders with groff -ww (all warnings) and no output
# on stderr: the generated man3 pages and the hand-written ones; and every
# page's footer names the same version ("libvfiodev 0.1.0").
set -u
fail=0
n=0
want=
for page in "$@"; do
	n=$((n + 1))
	ver=$(sed -n 's/^\.TH [^"]*"\(libvfiodev [^"]*\)".*/\1/p' "$page" | head -n 1)
	[ -n "$want" ] || want=$ver
	if [ "$ver" != "$want" ]; then
		printf '%s: footer says "%s", the others "%s"\n' "$page" "$ver" "$want"
		fail=1
	fi
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
