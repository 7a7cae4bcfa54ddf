#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the "custom" test-bed kernel (iommufd + VFIO cdev + VT-d) from Debian's
# linux-source-6.12 tarball (or, with VFIODEV_CUSTOM_SERIES=7.3, from
# trixie-backports' linux-source-7.3, downloaded by fetch-newer-deb.sh without
# touching the system's apt): tinyconfig + tests/vm/kernel.config (for 7.x
# merged with kernel-7.x.config), bzImage only.
# The result is cached outside the build tree, keyed by sha256(fragment +
# source package version); a second run only prints the cached path.
#
# Usage: build-kernel.sh            -> last line of stdout: path of bzImage
# Next to bzImage: config, kernelrelease, build.log, and modroot/lib/modules/
# <release>/ (no modules: modules.builtin + depmod indexes).
# Env:   VFIODEV_VM_CACHE           cache dir (default ~/.cache/libvfiodev-vm)
#        VFIODEV_CUSTOM_SERIES      6.12 (default) or 7.3
#        LINUX_SOURCE_TARBALL       default /usr/src/linux-source-6.12.tar.xz
#                                   (7.3: the tarball inside the .deb)
#        VFIODEV_VM_KEEP_SRC=1      keep the unpacked, built source tree
set -euo pipefail
. "$(dirname "$0")/common.sh"

SERIES=${VFIODEV_CUSTOM_SERIES:-6.12}
# Options without which the test bed is pointless: checked in the final .config.
KEY_OPTIONS="IOMMUFD VFIO_DEVICE_CDEV INTEL_IOMMU VFIO_PCI VFIO_NOIOMMU SAMPLE_VFIO_MDEV_MTTY"
# Bump when the recipe below changes in a way that changes the result.
RECIPE=2
case $SERIES in
6.12)
	TAG=custom
	TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
	FRAGMENT=$VM_DIR/kernel.config
	src_version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
	;;
7.3)
	TAG=custom73
	KEY_OPTIONS="$KEY_OPTIONS IOMMUFD_NOIOMMU VFIO_PCI_DMABUF"
	deb=$("$VM_DIR/fetch-newer-deb.sh" trixie-backports linux-source-7.3 | tail -n 1) ||
		die "could not download linux-source-7.3 from trixie-backports"
	src_version=$(dpkg-deb -f "$deb" Version)
	TARBALL=${LINUX_SOURCE_TARBALL:-$VM_CACHE/src-7.3-$src_version/usr/src/linux-source-7.3.tar.xz}
	if [[ ! -r $TARBALL ]]; then
		mkdir -p "$VM_CACHE/src-7.3-$src_version"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$VM_CACHE/src-7.3-$src_version" ./usr/src/linux-source-7.3.tar.xz ||
			die "could not unpack $deb"
	fi
	# kernel.config less the dropped options, then the 7.x additions
	FRAGMENT=$VM_CACHE/kernel-7.x.fragment
	drop=$(sed -n 's/^# drop: *//p' "$VM_DIR/kernel-7.x.config" | tr ' ' '\n' | sed '/^$/d')
	{
		grep -v -E "^(# )?CONFIG_($(echo "$drop" | paste -sd'|'))[= ]" "$VM_DIR/kernel.config"
		grep -v '^# drop:' "$VM_DIR/kernel-7.x.config"
	} >"$FRAGMENT.tmp"
	mv "$FRAGMENT.tmp" "$FRAGMENT"
	;;
*) die "VFIODEV_CUSTOM_SERIES must be 6.12 or 7.3 (got $SERIES)" ;;
esac

[[ -r $TARBALL ]] || die "kernel source $TARBALL not found (apt-get install linux-source-$SERIES)"
[[ -r $FRAGMENT ]] || die "config fragment $FRAGMENT not found"

if [[ -z $src_version ]]; then
	src_version="sha256:$(sha256sum "$TARBALL" | cut -d' ' -f1)"
fi
key=$( { cat "$FRAGMENT"; echo "source=$src_version recipe=$RECIPE"; } | sha256sum | cut -c1-16)
OUT=$VM_CACHE/kernel-$TAG-$key

# The fragment as "NAME VALUE" lines (VALUE "n" for "is not set").
fragment_options() {
	sed -n -e 's/^CONFIG_\([A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
	       -e 's/^# CONFIG_\([A-Za-z0-9_]*\) is not set$/\1 n/p' "$FRAGMENT"
}

# verify_config FILE: every fragment option has its value in FILE, and the key
# options are built in. Prints every mismatch; returns non-zero on any.
verify_config() {
	local cfg=$1 name want got bad=0
	while read -r name want; do
		got=$(sed -n "s/^CONFIG_${name}=//p" "$cfg")
		[[ -n $got ]] || got=n
		if [[ $got != "$want" ]]; then
			log "config mismatch: CONFIG_$name wanted $want, got $got"
			bad=1
		fi
	done < <(fragment_options)
	for name in $KEY_OPTIONS; do
		if ! grep -qx "CONFIG_${name}=y" "$cfg"; then
			log "KEY OPTION MISSING: CONFIG_$name is not =y in $cfg"
			bad=1
		fi
	done
	return $bad
}

build() {
	if [[ -s $OUT/bzImage ]]; then
		return 0 # built by someone else while we waited for the lock
	fi
	local work=$VM_CACHE/build-$TAG-$key
	rm -rf "$work" "$OUT.tmp"
	mkdir -p "$work" "$OUT.tmp"
	local blog=$OUT.tmp/build.log
	log "building kernel $key (log: $blog)"
	local t0=$SECONDS

	log "unpacking $TARBALL"
	tar -xJf "$TARBALL" -C "$work" --strip-components=1
	cd "$work"

	make ARCH=x86_64 tinyconfig >>"$blog" 2>&1 || { tail -n 30 "$blog" >&2; die "make tinyconfig failed"; }
	local name val
	while read -r name val; do
		case $val in
		y) scripts/config --file .config --enable "$name" ;;
		m) scripts/config --file .config --module "$name" ;;
		n) scripts/config --file .config --disable "$name" ;;
		\"*) val=${val#\"}; scripts/config --file .config --set-str "$name" "${val%\"}" ;;
		*) scripts/config --file .config --set-val "$name" "$val" ;;
		esac
	done < <(fragment_options)
	make ARCH=x86_64 olddefconfig >>"$blog" 2>&1 || { tail -n 30 "$blog" >&2; die "make olddefconfig failed"; }
	# Fail before spending minutes on a kernel that lacks what we need.
	verify_config .config || die "kernel config does not satisfy $FRAGMENT (see messages above)"

	log "make -j$(nproc) bzImage"
	make ARCH=x86_64 -j"$(nproc)" bzImage >>"$blog" 2>&1 || { tail -n 40 "$blog" >&2; die "kernel build failed (log: $blog)"; }

	cp arch/x86/boot/bzImage "$OUT.tmp/bzImage"
	cp .config "$OUT.tmp/config"
	local rel
	rel=$(make -s ARCH=x86_64 kernelrelease)
	echo "$rel" >"$OUT.tmp/kernelrelease"
	# No loadable modules, but a module tree that says what is built in, as on
	# a distribution kernel with VFIO =y: libkmod then reports "builtin".
	local mods=$OUT.tmp/modroot/lib/modules/$rel
	mkdir -p "$mods"
	cp modules.builtin modules.builtin.modinfo "$mods/"
	: >"$mods/modules.order"
	depmod -b "$OUT.tmp/modroot" "$rel" || die "depmod -b failed"
	echo "$src_version" >"$OUT.tmp/source-version"
	echo "$((SECONDS - t0))" >"$OUT.tmp/build-seconds"
	cd /
	if [[ ${VFIODEV_VM_KEEP_SRC:-0} == 1 ]]; then
		log "keeping source tree $work"
	else
		rm -rf "$work"
	fi
	rm -rf "$OUT"
	mv "$OUT.tmp" "$OUT"
	log "kernel built in $((SECONDS - t0)) s"
}

if [[ ! -s $OUT/bzImage ]]; then
	with_lock kernel-$TAG build
fi
# Re-check the cached config every time: a cache entry is only trusted if it
# still has the key options.
verify_config "$OUT/config" || die "cached kernel $OUT has a bad config; delete it"
[[ -s $OUT/bzImage && -d $OUT/modroot ]] || die "incomplete cache entry $OUT; delete it"
log "kernel $(cat "$OUT/kernelrelease") cached in $OUT"
echo "$OUT/bzImage"
