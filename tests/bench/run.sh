#!/bin/sh
# SPDX-License-Identifier: MIT
# The space benchmark: wall-clock table, then instructions per translate
# under callgrind (exact, unlike time on a shared machine).
# Usage: run.sh BENCH_BINARY
set -eu
bench=$1
# the machine is shared: the load the wall-clock figures ran under
echo "load before: $(cat /proc/loadavg)"
"$bench"
echo "load after: $(cat /proc/loadavg)"
if ! command -v valgrind >/dev/null; then
	echo "callgrind: skipped (valgrind not installed)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo
echo "translate under callgrind: instructions per lookup (100,000 random lookups each)"
echo "| N | vfiodev_dma_translate (inclusive) | vfiodev_dma_translate_len (inclusive) |"
echo "|---|---|---|"
for n in 1024 16384 65536 262144; do
	valgrind --tool=callgrind --collect-atstart=no \
		--callgrind-out-file="$out/cg.$n" "$bench" --callgrind "$n" \
		>/dev/null 2>&1
	fn=$(callgrind_annotate --inclusive=yes "$out/cg.$n" 2>/dev/null |
		sed -n 's/^ *\([0-9,]*\) .*=> .*dma\.c:vfiodev_dma_translate (.*/\1/p' |
		head -n 1 | tr -d ,)
	fl=$(callgrind_annotate --inclusive=yes "$out/cg.$n" 2>/dev/null |
		sed -n 's/^ *\([0-9,]*\) .*=> .*dma\.c:vfiodev_dma_translate_len (.*/\1/p' |
		head -n 1 | tr -d ,)
	echo "| $n | $(awk -v ir="${fn:-0}" 'BEGIN { printf "%.1f", ir / 100000 }') |" \
		"$(awk -v ir="${fl:-0}" 'BEGIN { printf "%.1f", ir / 100000 }') |"
done

echo
echo "map_any + unmap under callgrind: instructions per pair (10,000 pairs at N live mappings; the two calls inclusive, for the previous design its record calls)"
echo "| order | space | N = 1024 | 65536 | 262144 |"
echo "|---|---|---|---|---|"
for o in 0 3; do
	[ "$o" = 0 ] && name="append (above all)" || name="random"
	for kind in lib joined prev; do
		case $kind in
		lib) what="libvfiodev, no device" ;;
		joined) what="libvfiodev, joined (x86 ranges)" ;;
		prev) what="previous B+tree (cf8a276), joined" ;;
		esac
		row="| $name | $what |"
		for n in 1024 65536 262144; do
			valgrind --tool=callgrind --collect-atstart=no \
				--callgrind-out-file="$out/cp.$n" "$bench" \
				--callgrind-pairs "$n" "$o" "$kind" >/dev/null 2>&1
			# the two calls of a pair, inclusive: the library's
			# entry points, or the previous design's record calls
			[ "$kind" = prev ] &&
				fns='bench_space\.c:prev_\(un\)*map[.a-z0-9]*' ||
				fns='dma\.c:vfiodev_dma_\(map_any\|unmap_vaddr\)'
			ir=$(callgrind_annotate --inclusive=yes "$out/cp.$n" 2>/dev/null |
				grep -v '=>' | sed -n "s/^ *\([0-9,]*\) .*$fns .*/\1/p" |
				tr -d , | awk '{ s += $1 } END { print s + 0 }')
			row="$row $(awk -v ir="$ir" 'BEGIN { printf "%.0f", ir / 10000 }') |"
		done
		echo "$row"
	done
done
