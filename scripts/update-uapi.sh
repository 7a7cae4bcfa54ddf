#!/bin/sh
# SPDX-License-Identifier: MIT
# Refresh the vendored kernel UAPI headers (lib/uapi/linux/{vfio,iommufd}.h)
# from Debian's linux-source-6.12 package, processed exactly as the kernel's
# `make headers_install` does (its own scripts/headers_install.sh + unifdef).
# Usage: scripts/update-uapi.sh [path/to/linux-source-X.Y.tar.xz]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=${1:-$(ls /usr/src/linux-source-6.1[2-9]*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
[ -f "$tarball" ] || { echo "update-uapi: no linux-source tarball (apt-get install linux-source-6.12)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir=$(basename "$tarball" .tar.xz)
tar -C "$work" -xJf "$tarball" \
	"$dir/include/uapi/linux/vfio.h" "$dir/include/uapi/linux/iommufd.h" \
	"$dir/scripts/headers_install.sh" "$dir/scripts/unifdef.c" "$dir/Makefile"
src="$work/$dir"
cc -O1 -o "$src/scripts/unifdef" "$src/scripts/unifdef.c"
version=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = /./p; s/^SUBLEVEL = /./p' "$src/Makefile" | tr -d '\n')
pkg=$(dpkg-query -W -f '${Version}' "$dir" 2>/dev/null || echo unknown)

for h in vfio iommufd; do
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
