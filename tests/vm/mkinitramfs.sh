#!/bin/bash
# SPDX-License-Identifier: MIT
# Pack the initramfs of a test-bed guest: busybox-static, kmod's modprobe (for
# .ko.xz modules), /init from guest-init.sh, the scenario, the test programs
# and extra files with every shared library they need (ldd), and optionally a
# kernel module tree. Output is a concatenation of gzip'd newc cpio archives
# (the kernel unpacks them in order):
#   1. base    busybox + kmod + their libs      cached in $VM_CACHE, built once
#   2. modules the module tree (-m)             cached next to the tree
#   3. run     init, scenario, files, libs      rebuilt every time (small)
#
# Usage: mkinitramfs.sh -o OUT [-m MODROOT] [-s SCENARIO] [--] [FILE[=DEST]]...
#   FILE lands in /vmtest/<basename> unless DEST (an absolute guest path) is
#   given; ELF files get their libraries and the dynamic loader: system
#   libraries (/lib, /lib64, /usr/lib) at their host paths, any other (e.g.
#   build/libvfiodev.so.0, found through a $ORIGIN RUNPATH that means nothing
#   in /vmtest) in /vmtest/lib, which guest-init.sh puts in LD_LIBRARY_PATH.
#   MODROOT contains lib/modules/<release>/ with depmod indexes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() { sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

OUT= MODROOT= SCENARIO=
while (($#)); do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	-m) MODROOT=$2; shift 2 ;;
	-s) SCENARIO=$2; shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[[ -n $OUT ]] || usage

BUSYBOX=$(command -v busybox || true)
[[ -n $BUSYBOX ]] || die "busybox not found (apt-get install busybox-static)"
KMOD=$(command -v kmod || true)
[[ -n $KMOD ]] || die "kmod not found (apt-get install kmod)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install busybox-static"
fi

is_elf() { [[ $(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ') == '177ELF' ]]; }

# libs_of FILE...: absolute paths of the shared libraries (and loader) needed.
libs_of() {
	local f line
	for f in "$@"; do
		is_elf "$f" || continue
		# "not a dynamic executable" (static) is not an error.
		local out
		out=$(LC_ALL=C ldd "$f" 2>&1) || continue
		while IFS= read -r line; do
			case $line in
			*"not found"*) die "$f: shared library missing: $line" ;;
			*"=> /"*) line=${line#*=> }; realpath -s "${line%% (*}" ;;
			[[:space:]]/*) line=${line#"${line%%[![:space:]]*}"}; realpath -s "${line%% (*}" ;;
			esac
		done <<<"$out"
	done | sort -u
}

# guest_lib_path LIB: where a library resolved on the host goes in the guest.
guest_lib_path() {
	case $1 in
	/lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*) echo "$1" ;;
	*) echo "/vmtest/lib/${1##*/}" ;;
	esac
}

# put FILE DEST STAGE: copy FILE (dereferenced) to STAGE/DEST.
put() {
	mkdir -p "$3$(dirname "$2")"
	cp -L "$1" "$3$2"
}

# pack STAGE OUT LEVEL: newc cpio of STAGE, owned by root, gzip'd.
pack() {
	(cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --quiet --null -o -H newc -R 0:0) | gzip "-$3" >"$2.tmp.$$"
	mv "$2.tmp.$$" "$2" # atomic: parallel runs may pack the same archive
}

# --- 1. base archive -------------------------------------------------------
pkgver() { dpkg-query -W -f='${Package}=${Version} ' "$@" 2>/dev/null || true; }
base_key=$( {
	sha256sum "$BUSYBOX" "$KMOD" | cut -d' ' -f1
	libs_of "$KMOD" | xargs -r sha256sum | cut -d' ' -f1 || die "cannot resolve the libraries of $KMOD"
	sed -n '/^# --- 1. base/,/^# --- 2./p' "$0"
} | sha256sum | cut -c1-16)
BASE=$VM_CACHE/initramfs-base-$base_key.cpio.gz

make_base() {
	[[ -s $BASE ]] && return 0
	local stage
	stage=$(mktemp -d "$VM_CACHE/stage-base.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,lib/modules,vmtest}
	cp "$BUSYBOX" "$stage/bin/busybox"
	local applet
	for applet in $("$BUSYBOX" --list-full); do
		[[ -L $stage/$applet || -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
	done
	# kmod's tools replace busybox's module applets (busybox may not do xz).
	put "$KMOD" /sbin/kmod "$stage"
	for applet in modprobe insmod rmmod lsmod modinfo depmod; do
		rm -f "$stage/sbin/$applet" "$stage/bin/$applet"
		ln -s /sbin/kmod "$stage/sbin/$applet"
	done
	local lib libs
	libs=$(libs_of "$KMOD") || die "cannot resolve the libraries of $KMOD"
	for lib in $libs; do
		put "$lib" "$lib" "$stage"
	done
	# A console node lets the kernel give /init its stdio before devtmpfs is
	# mounted; without root this fails and /init reopens /dev/console itself.
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"
	echo "$libs" >"$BASE.libs"
	pack "$stage" "$BASE" 9
	rm -rf "$stage"
	log "built base initramfs $BASE ($(du -h "$BASE" | cut -f1))"
}
[[ -s $BASE ]] || with_lock initramfs-base make_base

# --- 2. module archive -----------------------------------------------------
MODS=
if [[ -n $MODROOT ]]; then
	[[ -d $MODROOT/lib/modules ]] || die "$MODROOT has no lib/modules"
	MODS=$MODROOT.cpio.gz
	if [[ ! -s $MODS || -n $(find "$MODROOT" -newer "$MODS" -print -quit) ]]; then
		pack "$MODROOT" "$MODS" 9
	fi
fi

# --- 3. per-run archive ----------------------------------------------------
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/vfiodev-initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/vmtest"
install -m 755 "$VM_DIR/guest-init.sh" "$STAGE/init"
if [[ -n $SCENARIO ]]; then
	install -m 755 "$SCENARIO" "$STAGE/vmtest/scenario.sh"
fi
declare -a elves=()
for arg in "$@"; do
	src=${arg%%=*}
	if [[ $arg == *=* ]]; then dest=${arg#*=}; else dest=/vmtest/${src##*/}; fi
	[[ -e $src ]] || die "file $src not found"
	[[ $dest == /* ]] || die "destination $dest must be an absolute path"
	put "$src" "$dest" "$STAGE"
	is_elf "$src" && elves+=("$src")
done
if ((${#elves[@]})); then
	libs=$(libs_of "${elves[@]}") || die "cannot resolve the libraries of: ${elves[*]}"
	for lib in $libs; do
		# Already in the base archive: skip (same file, same path).
		grep -qxF "$lib" "$BASE.libs" 2>/dev/null && continue
		put "$lib" "$(guest_lib_path "$lib")" "$STAGE"
	done
fi
RUN=$STAGE.cpio.gz
trap 'rm -rf "$STAGE" "$RUN"' EXIT
pack "$STAGE" "$RUN" 1

mkdir -p "$(dirname "$OUT")"
cat "$BASE" ${MODS:+"$MODS"} "$RUN" >"$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
echo "$OUT"
