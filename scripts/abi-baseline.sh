#!/bin/sh
# SPDX-License-Identifier: MIT
# Renew the ABI baseline (abi/libvfiodev.abi) from a build: at a release,
# or deliberately while a version is unreleased (the LIBVFIODEV_x.y node
# may then still change). Commit the result with the change that caused it.
# Usage: scripts/abi-baseline.sh [BUILDDIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
lib=$(ls "$build"/libvfiodev.so.*.*.* | head -n 1)
abidw --headers-dir include --no-corpus-path --out-file abi/libvfiodev.abi "$lib"
echo "abi/libvfiodev.abi renewed from $lib"
