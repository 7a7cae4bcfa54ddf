#!/bin/sh
# SPDX-License-Identifier: MIT
# Refresh the vendored kernel UAPI headers (lib/uapi/linux/{vfio,iommufd,
# stddef}.h) from a Debian linux-source tarball, processed exactly as the
# kernel's `make headers_install` does (its own scripts/headers_install.sh +
# unifdef). stddef.h comes along because 7.x's vfio.h uses __counted_by,
# which Debian 12's 6.1 headers do not define.
# Usage: scripts/update-uapi.sh [path/to/linux-source-X.Y.tar.xz]
# Without an argument: the newest of /usr/src/linux-source-*.tar.xz and the
# 7.x sources the VM test bed unpacked (tests/vm/build-kernel.sh with
# VFIODEV_CUSTOM_SERIES=7.3) in ${VFIODEV_VM_CACHE:-~/.cache/libvfiodev-vm}.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VFIODEV_VM_CACHE:-${HOME:-/root}/.cache/libvfiodev-vm}
tarball=${1:-$(ls /usr/src/linux-source-*.tar.xz "$cache"/src-*/usr/src/linux-source-*.tar.xz 2>/dev/null |
	awk -F/ '{ print $NF " " $0 }' | sort -V | tail -n 1 | cut -d' ' -f2)}
[ -f "$tarball" ] || { echo "update-uapi: no linux-source tarball (apt-get install linux-source-6.12, or VFIODEV_CUSTOM_SERIES=7.3 tests/vm/build-kernel.sh)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir=$(basename "$tarball" .tar.xz)
tar -C "$work" -xJf "$tarball" \
	"$dir/include/uapi/linux/vfio.h" "$dir/include/uapi/linux/iommufd.h" \
	"$dir/include/uapi/linux/stddef.h" \
	"$dir/scripts/headers_install.sh" "$dir/scripts/unifdef.c" "$dir/Makefile"
src="$work/$dir"
cc -O1 -o "$src/scripts/unifdef" "$src/scripts/unifdef.c"
version=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = /./p; s/^SUBLEVEL = /./p' "$src/Makefile" | tr -d '\n')
pkg=$(dpkg-query -W -f '${Version}' "$dir" 2>/dev/null ||
	echo "$tarball" | sed -n 's|.*/src-[0-9.]*-\([^/]*\)/usr/src/.*|\1|p')
[ -n "$pkg" ] || pkg=unknown

for h in vfio iommufd stddef; do
	(cd "$src" && sh scripts/headers_install.sh "include/uapi/linux/$h.h" "$work/$h.h")
	out="$top/lib/uapi/linux/$h.h"
	{
		# the kernel's license line stays first
		head -n 1 "$work/$h.h"
		echo "/* Vendored from Linux $version ($dir $pkg) by scripts/update-uapi.sh; do not edit. */"
		tail -n +2 "$work/$h.h"
	} > "$out"
	echo "update-uapi: $out <- Linux $version"
done
