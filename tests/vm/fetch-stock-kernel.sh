#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetch one of Debian 12's stock cloud kernels (no CONFIG_IOMMUFD, VFIO as
# modules): the 6.12 one (default), or with VFIODEV_STOCK_SERIES=6.1 the
# release's own 6.1 kernel (neither vfio cdev nor iommufd)
# with `apt-get download` + `dpkg -x`, and keep only what the test bed needs:
# vmlinuz, its config, and the VFIO modules (+ their dependencies, still
# .ko.xz) in a module tree with depmod indexes. Cached like build-kernel.sh.
#
# Usage: fetch-stock-kernel.sh     -> last line of stdout: path of vmlinuz
# Next to vmlinuz: config, kernelrelease, package, iommufd ("absent"), and
# modroot/lib/modules/<kernelrelease>/ (copy modroot/ into an initramfs).
# Env:   VFIODEV_VM_CACHE                   cache dir
#        VFIODEV_STOCK_SERIES               6.12 (default) or 6.1
#        VFIODEV_STOCK_KERNEL_PKG           exact package (default: newest
#                                           linux-image-6.12.*-cloud-amd64-unsigned,
#                                           or linux-image-6.1.0-N-cloud-amd64-unsigned)
#        VFIODEV_STOCK_ALLOW_IOMMUFD=1      accept a stock kernel with iommufd
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Modules the guest needs (and everything they depend on). iommufd is only
# taken if the kernel has it as a module; virtio_pci (the nonviable
# topology's host driver) where it is one (6.1; built in on 6.12);
# virtio_net (nvme-net: an interface the host uses; a module on both).
WANT_MODULES="vfio vfio_iommu_type1 vfio_pci_core vfio_pci irqbypass iommufd virtio_pci virtio_net"
OPTIONAL_MODULES="iommufd virtio_pci"
RECIPE=3

pick_package() {
	if [[ -n ${VFIODEV_STOCK_KERNEL_PKG:-} ]]; then
		echo "$VFIODEV_STOCK_KERNEL_PKG"
		return
	fi
	if [[ $SERIES == 6.1 ]]; then
		apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$'
	else
		apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$'
	fi | cut -d' ' -f1 | sort -V | tail -n 1
}

SERIES=${VFIODEV_STOCK_SERIES:-6.12}
case $SERIES in
6.12) TAG=stock ;;
6.1) TAG=stock61 ;;
*) die "VFIODEV_STOCK_SERIES must be 6.12 or 6.1 (got $SERIES)" ;;
esac
# Cached result of the last successful fetch: lets warm runs skip apt entirely.
# Per recipe: a new recipe (other modules) must not be served the old tree.
LATEST=$VM_CACHE/kernel-$TAG-r$RECIPE.latest

fetch() {
	local pkg ver key out
	pkg=$(pick_package)
	[[ -n $pkg ]] || die "no linux-image-$SERIES cloud-amd64-unsigned package known to apt (run apt-get update?)"
	ver=$(apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[[ -n $ver ]] || die "apt knows no version of $pkg"
	key=$(echo "$pkg=$ver recipe=$RECIPE" | sha256sum | cut -c1-16)
	out=$VM_CACHE/kernel-$TAG-$key
	if [[ -s $out/vmlinuz ]]; then
		echo "$out" >"$LATEST"
		return 0
	fi

	log "fetching $pkg $ver"
	local work=$VM_CACHE/fetch-$TAG-$key
	rm -rf "$work" "$out.tmp"
	mkdir -p "$work/root" "$out.tmp"
	(cd "$work" && apt-get download -q "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
	dpkg -x "$work"/*.deb "$work/root"

	local rel
	rel=$(basename "$(ls -d "$work"/root/lib/modules/*/ | head -n 1)")
	[[ -n $rel && -f $work/root/boot/vmlinuz-$rel ]] || die "no vmlinuz-<release> in $pkg"
	cp "$work/root/boot/vmlinuz-$rel" "$out.tmp/vmlinuz"
	cp "$work/root/boot/config-$rel" "$out.tmp/config"
	echo "$rel" >"$out.tmp/kernelrelease"
	echo "$pkg=$ver" >"$out.tmp/package"

	# The point of this kernel is the legacy path: it must lack iommufd.
	if grep -Eq '^CONFIG_IOMMUFD=(y|m)' "$out.tmp/config"; then
		echo present >"$out.tmp/iommufd"
		[[ ${VFIODEV_STOCK_ALLOW_IOMMUFD:-0} == 1 ]] ||
			die "$pkg has $(grep '^CONFIG_IOMMUFD=' "$out.tmp/config"): it no longer tests the group/container fallback (set VFIODEV_STOCK_ALLOW_IOMMUFD=1 to accept)"
	else
		echo absent >"$out.tmp/iommufd"
		log "verified: $pkg has no CONFIG_IOMMUFD ($(grep -E '^# CONFIG_IOMMUFD is not set' "$out.tmp/config" || echo 'not in config'))"
	fi

	# Module closure: name -> file map, then follow modinfo "depends".
	local srcmods=$work/root/lib/modules/$rel dstmods=$out.tmp/modroot/lib/modules/$rel
	declare -A path_of=()
	local f n
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
		path_of[$n]=$f
	done < <(find "$srcmods/kernel" -name '*.ko*')

	local -a queue=() taken=()
	declare -A seen=()
	for n in $WANT_MODULES; do
		if [[ -n ${path_of[$n]:-} ]]; then
			queue+=("$n")
		elif grep -q "/${n}.ko" "$srcmods/modules.builtin" 2>/dev/null; then
			log "module $n is built in"
		elif [[ " $OPTIONAL_MODULES " == *" $n "* ]]; then
			log "module $n absent (optional)"
		else
			die "module $n not found in $pkg"
		fi
	done
	while ((${#queue[@]})); do
		n=${queue[0]}; queue=("${queue[@]:1}")
		[[ -z ${seen[$n]:-} ]] || continue
		seen[$n]=1
		f=${path_of[$n]:-}
		[[ -n $f ]] || continue # built in
		taken+=("$n")
		mkdir -p "$dstmods/$(dirname "${f#"$srcmods"/}")"
		cp "$f" "$dstmods/${f#"$srcmods"/}"
		local dep
		for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
			queue+=("${dep//-/_}")
		done
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		if [[ -f $srcmods/$f ]]; then cp "$srcmods/$f" "$dstmods/"; fi
	done
	depmod -b "$out.tmp/modroot" "$rel" || die "depmod -b failed"
	echo "${taken[*]}" >"$out.tmp/modules"
	log "kept modules: ${taken[*]}"

	rm -rf "$work"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	echo "$out" >"$LATEST"
}

# Warm path: trust the last fetch without asking apt (fast, works offline).
# VFIODEV_STOCK_REFRESH=1 forces a look at apt for a newer package.
out=
if [[ ${VFIODEV_STOCK_REFRESH:-0} != 1 && -z ${VFIODEV_STOCK_KERNEL_PKG:-} && -s $LATEST ]]; then
	out=$(cat "$LATEST")
	[[ -s $out/vmlinuz ]] || out=
fi
if [[ -z $out ]]; then
	with_lock kernel-$TAG fetch
	out=$(cat "$LATEST")
fi
[[ -s $out/vmlinuz && -d $out/modroot ]] || die "stock kernel cache $out is incomplete; delete it"
[[ $(cat "$out/iommufd") == absent || ${VFIODEV_STOCK_ALLOW_IOMMUFD:-0} == 1 ]] ||
	die "cached stock kernel $out has iommufd"
log "stock $SERIES kernel $(cat "$out/package") ($(cat "$out/kernelrelease")) cached in $out"
echo "$out/vmlinuz"
