#!/bin/bash
# SPDX-License-Identifier: MIT
# Run the whole real-kernel matrix (kernel x topology x scenario) with run.sh,
# for humans and for timing; meson runs the same runs as separate tests.
# Prints each run's TAP, then a summary line "N passed, N failed".
#
# Usage: run-all.sh --build MESONBUILDDIR [-j JOBS]
#                   [--kernel custom|custom73|stock|stock73|debian61]
#                   [-- FILE[=DEST]...]   (files passed to every run)
set -euo pipefail
. "$(dirname "$0")/common.sh"

BUILD= JOBS=1 ONLY=
while (($#)); do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	-j) JOBS=$2; shift 2 ;;
	--kernel) ONLY=$2; shift 2 ;;
	--) shift; break ;;
	*) die "unknown argument $1" ;;
	esac
done
[[ -n $BUILD ]] || die "--build MESONBUILDDIR is required"

# "kernel topology scenario" lines: matrix.txt with its kernel lists
# expanded (common.sh), only --kernel's when given.
MATRIX=$(vm_matrix | awk -v only="$ONLY" 'only == "" || $1 == only')
[[ -n $MATRIX ]] || die "no matrix.txt line runs on kernel '$ONLY' (kernels: $VM_KERNELS)"

# Kernels first, once, so that parallel runs do not wait on each other.
for kernel in $(awk '{ print $1 }' <<<"$MATRIX" | sort -u); do
	vm_kernel_image "$kernel" >/dev/null || die "kernel $kernel: build or fetch failed"
done

OUTDIR=$BUILD/vm-logs/run-all
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
t0=$SECONDS
running=0
while read -r kernel topology scenario; do
	(
		"$VM_DIR/run.sh" --kernel "$kernel" --topology "$topology" \
			--scenario "$VM_DIR/scenarios/$scenario.sh" --build "$BUILD" -- "$@" \
			</dev/null >"$OUTDIR/$kernel-$topology-$scenario.tap" || true
	) &
	running=$((running + 1))
	if ((running >= JOBS)); then
		wait -n
		running=$((running - 1))
	fi
done <<<"$MATRIX"
wait

count() { grep -c -e "$1" "$2" || true; }
pass=0 fail=0 skip=0
for f in "$OUTDIR"/*.tap; do
	echo "### ${f##*/}"
	cat "$f"
	pass=$((pass + $(count '^ok ' "$f") - $(count '^ok .*# SKIP' "$f")))
	skip=$((skip + $(count '^ok .*# SKIP' "$f")))
	fail=$((fail + $(count '^not ok' "$f")))
done
echo "# wall time: $((SECONDS - t0)) s with -j$JOBS"
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
