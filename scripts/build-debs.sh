#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the Debian packages (libvfiodev0, libvfiodev-dev, vfiodev) from the
# committed tree with dpkg-buildpackage -us -uc -b, in a scratch copy, and
# check them with lintian (any error fails; warnings are printed).
# Usage: scripts/build-debs.sh [OUTDIR]   (default: build-deb/)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$src/build-deb}")
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/libvfiodev-$version" "$out"
git -C "$src" archive HEAD | tar -x -C "$work/libvfiodev-$version"
(cd "$work/libvfiodev-$version" && dpkg-buildpackage -us -uc -b) \
	>"$out/dpkg-buildpackage.log" 2>&1 || {
	tail -n 40 "$out/dpkg-buildpackage.log"
	echo "build-debs: dpkg-buildpackage failed (log: $out/dpkg-buildpackage.log)"
	exit 1
}
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
ls -1 "$out"/*.deb
changes=$(ls "$out"/*.changes)
lintian --fail-on error --no-tag-display-limit "$changes" | tee "$out/lintian.log"
echo "build-debs: $(grep -c '^E:' "$out/lintian.log" || true) lintian errors, $(grep -c '^W:' "$out/lintian.log" || true) warnings"
