#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed static archive: every object of the library linked into one
# relocatable object whose hidden symbols (all internals: the sources are
# built with -fvisibility=hidden) are made local, so that a program linking
# libvfiodev.a sees only the vfiodev_ API and none of the internal names
# (sysfs_read, opts_check, itree_*...) can collide with its own.
# Usage: mkstatic.sh OUT.a INTERNAL.a LD OBJCOPY AR
set -eu
out=$1 in=$2 ld=$3 objcopy=$4 ar=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
in=$(realpath "$in")
dir=$(dirname "$in")
# a thin archive (meson makes them for uninstalled libraries) lists the
# objects' paths; a regular one holds them
if head -c 8 "$in" | grep -q 'thin'; then
	set --
	for m in $("$ar" t "$in"); do
		# GNU ar prints them as paths from here or from the archive
		[ -e "$m" ] || m=$dir/$m
		set -- "$@" "$m"
	done
else
	(cd "$tmp" && "$ar" x "$in")
	set -- "$tmp"/*.o
fi
"$ld" -r -o "$tmp/libvfiodev.o" "$@"
"$objcopy" --localize-hidden "$tmp/libvfiodev.o"
rm -f "$out"
"$ar" rcs "$out" "$tmp/libvfiodev.o"
