#!/bin/bash
# SPDX-License-Identifier: MIT
# Install into a scratch DESTDIR, then build every example and a C++ consumer
# of the header through `pkg-config libvfiodev`, as a user would, and run one.
# Usage: install-check.sh BUILDDIR SOURCEDIR
set -euo pipefail
build=$(realpath "$1") src=$(realpath "$2")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --quiet >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
	'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
libdir=$(meson introspect "$build" --buildoptions | python3 -c \
	'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"))')
pcdir=$dest$prefix/$libdir/pkgconfig
[[ -f $pcdir/libvfiodev.pc ]] || { echo "not ok: no libvfiodev.pc in $pcdir"; exit 1; }
[[ -f $dest$prefix/include/vfiodev.h ]] || { echo "not ok: vfiodev.h not installed"; exit 1; }
[[ ! -e $dest$prefix/include/linux/vfio.h ]] || { echo "not ok: UAPI headers installed"; exit 1; }
ls "$dest$prefix/$libdir"/libvfiodev.so.0 "$dest$prefix/$libdir"/libvfiodev.a >/dev/null

# a man3 page per exported function, and the overview
mandir=$(meson introspect "$build" --buildoptions | python3 -c \
	'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="mandir"))')
man3=$dest$prefix/$mandir/man3
missing=
for sym in $(sed -n 's/^[[:space:]]*\(vfiodev_[a-z0-9_]*\);$/\1/p' "$src/lib/libvfiodev.sym"); do
	[[ -f $man3/$sym.3 ]] || missing="$missing $sym"
done
[[ -z $missing ]] || { echo "not ok: no man3 page for:$missing"; exit 1; }
[[ -f $man3/libvfiodev.3 ]] || { echo "not ok: libvfiodev(3) not installed"; exit 1; }
echo "ok: $(ls "$man3" | wc -l) man3 pages installed, one per exported function"
datadir=$(meson introspect "$build" --buildoptions | python3 -c \
	'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="datadir"))')
[[ -f $dest$prefix/$datadir/bash-completion/completions/vfiodev ]] ||
	{ echo "not ok: no bash completion for vfiodev"; exit 1; }
echo "ok: the bash completion is installed"

# pkg-config with the DESTDIR as sysroot rewrites -I/-L into it
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags libvfiodev)
libs=$(pkg-config --libs libvfiodev)
out=$(mktemp -d)
trap 'rm -rf "$dest" "$out"' EXIT
for c in "$src"/examples/*.c; do
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $cflags "$c" $libs -o "$out/$(basename "$c" .c)"
	echo "ok: $(basename "$c") builds against the installed library (C)"
done
printf '#include <vfiodev.h>\nint main(void) { struct vfiodev_ctx *c = nullptr;\n'\
'  VFIODEV_OPTS_INIT(vfiodev_device_opts, o); (void)o;\n'\
'  return vfiodev_ctx_new(nullptr, &c) ? 1 : (vfiodev_ctx_unref(c), 0); }\n' > "$out/consumer.cpp"
c++ -std=c++11 -Wall -Wextra -Werror $cflags "$out/consumer.cpp" $libs -o "$out/consumer"
echo "ok: vfiodev.h compiles as C++ and links"
LD_LIBRARY_PATH=$dest$prefix/$libdir "$out/consumer"
echo "ok: the C++ consumer runs against the installed library"
# the static archive, with its dependencies linked dynamically (Debian ships
# no static libkmod dependencies): Requires.private must name them
deps=$(pkg-config --print-requires-private libvfiodev | awk '{print $1}' | tr '\n' ' ')
cc -std=c11 -D_GNU_SOURCE $cflags "$src/examples/open-map.c" -o "$out/open-map-static" \
	"$dest$prefix/$libdir/libvfiodev.a" ${deps:+$(pkg-config --libs $deps)} -lpthread
echo "ok: open-map links against libvfiodev.a (Requires.private: ${deps:-none})"
