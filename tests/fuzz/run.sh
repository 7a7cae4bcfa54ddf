#!/bin/bash
# SPDX-License-Identifier: MIT
# The fuzzers (libFuzzer, clang): build each target with ASan + UBSan
# against the library's sources, run it for a bounded time from its seed
# corpus (tests/fuzz/corpus/<target>), and fail on any crash, sanitizer
# report, leak or oracle violation (the targets abort on a wrong answer).
# Usage: run.sh SOURCEDIR BUILDDIR [SECONDS per target, default
#        $VFIODEV_FUZZ_SECONDS or 20]      (TAP on stdout; 77: no clang)
set -u
src=$(realpath "$1") build=$(realpath "$2")
secs=${3:-${VFIODEV_FUZZ_SECONDS:-20}}
out=$build/fuzz
mkdir -p "$out"
N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=1; echo "not ok $N - $1"; shift; for l in "$@"; do echo "# $l"; done; }

CC=${CLANG:-clang}
if ! command -v "$CC" >/dev/null; then
	echo "1..0 # SKIP $CC not found (apt-get install clang libclang-rt-14-dev)"
	exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
	"$CC" -fsanitize=fuzzer -x c - -o "$out/probe" 2>/dev/null; then
	echo "1..0 # SKIP $CC cannot link libFuzzer (apt-get install libclang-rt-14-dev)"
	exit 77
fi
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-D_GNU_SOURCE -std=gnu11 -include "$build/config.h"
	-I"$src/include" -I"$src/lib" -I"$src/lib/uapi" -I"$src/tools")
libs=(-lpthread)
grep -q HAVE_LIBKMOD "$build/config.h" && libs+=(-lkmod)
grep -q HAVE_LIBUDEV "$build/config.h" && libs+=(-ludev)
# the library once, instrumented (fuzzer-no-link), then each target on it
lobj=$out/lib
rm -rf "$lobj" && mkdir -p "$lobj"
tobj=$out/tool
rm -rf "$tobj" && mkdir -p "$tobj"
for c in "$src"/lib/*.c "$src"/tools/json.c "$src"/tools/info.c "$src"/tools/doctor.c \
	"$src"/tools/mdev.c "$src"/tools/bind.c; do
	dest=$lobj
	# the tool's command files serve the command-line target only
	[[ $c == "$src"/tools/* && $c != */json.c ]] && dest=$tobj
	if ! "$CC" "${flags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -c "$c" \
		-o "$dest/$(basename "$c" .c).o" 2>>"$out/lib.build.log"; then
		not_ok "the library builds with $CC" "$(tail -n 5 "$out/lib.build.log")"
		echo "1..$N"
		exit 1
	fi
done

for f in "$src"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	defs=() tools=()
	[[ $name == fuzz_cli ]] && defs=(-DVFIODEV_VERSION='"fuzz"') tools=("$tobj"/*.o)
	if ! "$CC" "${flags[@]}" "${defs[@]}" "$f" "$lobj"/*.o "${tools[@]}" "${libs[@]}" \
		-o "$out/$name" 2>"$out/$name.build.log"; then
		not_ok "$name: builds" "$(tail -n 5 "$out/$name.build.log")"
		continue
	fi
	corpus=$out/$name.corpus
	mkdir -p "$corpus"
	seeds=$src/tests/fuzz/corpus/$name
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		"$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/$name-" "$corpus" ${seeds:+$( [[ -d $seeds ]] && echo "$seeds")} \
		>"$out/$name.log" 2>&1
	rc=$?
	runs=$(grep -o 'Done [0-9]* runs' "$out/$name.log" | tail -n 1)
	if [[ $rc == 0 ]]; then
		ok "$name: ${secs}s, ${runs:-? runs}, no crash, no oracle violation"
	else
		not_ok "$name: exit status $rc" "$(grep -m3 -E 'ERROR|SUMMARY|abort|oracle' "$out/$name.log")" \
			"reproducer: $(ls "$out/$name"-crash-* "$out/$name"-leak-* 2>/dev/null | head -n 1)"
	fi
done
echo "1..$N"
exit $FAILED
