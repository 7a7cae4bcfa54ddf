#!/bin/bash
# SPDX-License-Identifier: MIT
# The tree as a meson subproject: a consumer project (tests/subproject/
# consumer) with this source tree as subprojects/libvfiodev, no system
# libvfiodev in sight, configures, builds its program and an example
# against it, and runs the program.
# Usage: check.sh SOURCEDIR
set -euo pipefail
src=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/tests/subproject/consumer" "$work/consumer"
cp "$src/examples/open-map.c" "$work/consumer/"
mkdir -p "$work/consumer/subprojects"
ln -s "$src" "$work/consumer/subprojects/libvfiodev"
cd "$work/consumer"
# the subproject even where a libvfiodev is installed (CI installs the .debs)
meson setup build --force-fallback-for=libvfiodev >setup.log 2>&1 ||
	{ cat setup.log; echo "not ok: meson setup"; exit 1; }
grep -q "Subproject libvfiodev" setup.log ||
	{ cat setup.log; echo "not ok: the subproject fallback was not used"; exit 1; }
meson compile -C build >compile.log 2>&1 || { cat compile.log; echo "not ok: build"; exit 1; }
echo "ok: the consumer and examples/open-map.c build with libvfiodev as a subproject"
./build/consumer
echo "ok: the consumer runs"
