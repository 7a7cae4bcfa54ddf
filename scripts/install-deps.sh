#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what building, testing and the demo need on Debian 12 (bookworm):
# the library's build and test dependencies, and the real-kernel test bed
# (QEMU, the 6.12 kernel source, busybox, kernel build tools; the 7.3
# kernels come from trixie-backports through tests/vm/fetch-newer-deb.sh,
# whose private apt checks them against debian-archive-keyring).
# Idempotent; run as root (or it uses sudo).
set -eu

pkgs="gcc g++ make libc6-dev meson ninja-build pkg-config python3 clang-format git
libkmod-dev libudev-dev libcmocka-dev valgrind clang libclang-rt-14-dev
qemu-system-x86 linux-source-6.12 busybox-static cpio kmod xz-utils e2fsprogs
debian-archive-keyring
flex bison bc libelf-dev libssl-dev
groff-base abigail-tools dpkg-dev debhelper fakeroot lintian"

missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
# the VM suite downloads Debian's stock cloud kernel: apt must know it
if ! apt-cache search --names-only '^linux-image-6\.12\..*-cloud-amd64-unsigned$' | grep -q .; then
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
fi
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
