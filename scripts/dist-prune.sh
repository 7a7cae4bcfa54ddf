#!/bin/sh
# SPDX-License-Identifier: MIT
# meson dist script: drop the VM suite (kernel config, QEMU topologies,
# in-guest programs) from the tarball; the build finds it missing and
# registers no VM tests.
set -eu
rm -rf "$MESON_DIST_ROOT/tests/vm" "$MESON_DIST_ROOT/.ci"
