#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetch one of Debian's stock cloud kernels (no CONFIG_IOMMUFD, VFIO as
# modules): Debian 12's 6.12 one (default), with VFIODEV_STOCK_SERIES=6.1
# the release's own 6.1 kernel (neither vfio cdev nor iommufd), or with
# VFIODEV_STOCK_SERIES=7.3 trixie-backports' 7.3 one (no vfio cdev, no
# noiommu; VFIO DMA-BUF export), and keep only what the test bed needs:
# vmlinuz, its config, and the VFIO modules (+ their dependencies, still
# compressed) in a module tree with depmod indexes. Cached like
# build-kernel.sh.
# 6.x: `apt-get download` of linux-image-...-unsigned from the system's apt +
# `dpkg -x`. 7.3: the system's apt (Debian 12) does not know trixie-backports;
# fetch-newer-deb.sh downloads its split packages with a private apt
# configuration (nothing installed, the system's sources untouched):
# linux-binary-<abi> (usr/lib/modules/<release>/vmlinuz), linux-modules-<abi>
# and linux-base-<abi> (the config, modules.builtin, modules.order).
# Modules stay compressed where the initramfs's kmod (the host's, see
# mkinitramfs.sh; the library's libkmod is the same build) reads that
# compression ("kmod --version": +XZ, +ZSTD); others are decompressed here.
#
# Usage: fetch-stock-kernel.sh     -> last line of stdout: path of vmlinuz
# Next to vmlinuz: config, kernelrelease, package, iommufd ("absent"), and
# modroot/lib/modules/<kernelrelease>/ (copy modroot/ into an initramfs).
# Env:   VFIODEV_VM_CACHE                   cache dir
#        VFIODEV_STOCK_SERIES               6.12 (default), 6.1 or 7.3
#        VFIODEV_STOCK_KERNEL_PKG           exact package (default: newest
#                                           linux-image-6.12.*-cloud-amd64-unsigned,
#                                           linux-image-6.1.0-N-cloud-amd64-unsigned,
#                                           or 7.3: linux-binary-7.3.N+deb13-cloud-amd64;
#                                           its linux-modules- and linux-base- go with it)
#        VFIODEV_STOCK_ALLOW_IOMMUFD=1      accept a stock kernel with iommufd
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Modules the guest needs (and everything they depend on). iommufd is only
# taken if the kernel has it as a module; virtio_pci (the nonviable
# topology's host driver) where it is one (6.1; built in on 6.12 and 7.3);
# virtio_net (nvme-net: an interface the host uses; a module on all three).
WANT_MODULES="vfio vfio_iommu_type1 vfio_pci_core vfio_pci irqbypass iommufd virtio_pci virtio_net"
OPTIONAL_MODULES="iommufd virtio_pci"
RECIPE=3

# 7.3 comes from trixie-backports, through a private apt (fetch-newer-deb.sh)
NEWER_SUITE=trixie-backports

pick_package() {
	if [[ -n ${VFIODEV_STOCK_KERNEL_PKG:-} ]]; then
		echo "$VFIODEV_STOCK_KERNEL_PKG"
		return
	fi
	case $SERIES in
	6.1) apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	6.12) apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
	7.3) "$VM_DIR/fetch-newer-deb.sh" --search "$NEWER_SUITE" '^linux-binary-7\.3\.[0-9]+\+deb13-cloud-amd64$' ;;
	esac | cut -d' ' -f1 | sort -V | tail -n 1
}

SERIES=${VFIODEV_STOCK_SERIES:-6.12}
case $SERIES in
6.12) TAG=stock ;;
6.1) TAG=stock61 ;;
7.3) TAG=stock73 ;;
*) die "VFIODEV_STOCK_SERIES must be 6.12, 6.1 or 7.3 (got $SERIES)" ;;
esac
# Cached result of the last successful fetch: lets warm runs skip apt entirely.
# Per recipe: a new recipe (other modules) must not be served the old tree.
LATEST=$VM_CACHE/kernel-$TAG-r$RECIPE.latest

# download WORK: the kernel's packages, unpacked into WORK/root; prints what
# was unpacked ("package=version ..."). 6.x: one package from the system's
# apt; 7.3: the three split packages from trixie-backports, all of $ver.
download() {
	local work=$1 abi debs deb
	if [[ $SERIES == 7.3 ]]; then
		abi=${pkg#linux-binary-}
		debs=$("$VM_DIR/fetch-newer-deb.sh" "$NEWER_SUITE" "linux-binary-$abi" \
			"linux-modules-$abi" "linux-base-$abi") ||
			die "downloading the $abi packages from $NEWER_SUITE failed"
		while IFS= read -r deb; do
			[[ $(dpkg-deb -f "$deb" Version) == "$ver" ]] ||
				die "$deb is not version $ver: the split packages of $abi disagree"
			dpkg -x "$deb" "$work/root"
		done <<<"$debs"
		echo "linux-binary-$abi=$ver linux-modules-$abi=$ver linux-base-$abi=$ver"
	else
		(cd "$work" && apt-get download -q "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
		dpkg -x "$work"/*.deb "$work/root"
		echo "$pkg=$ver"
	fi
}

# unpack_modules DIR: undo, in DIR's module tree, any compression the
# guest's kmod (the host's binary, mkinitramfs.sh) and the library's libkmod
# (the host's too) were built without; "kmod --version" lists them (+XZ...).
unpack_modules() {
	local feats f comp tool
	feats=" $(kmod --version | tail -n 1) "
	while IFS= read -r f; do
		case $f in
		*.ko.xz) comp=XZ tool=xz ;;
		*.ko.zst) comp=ZSTD tool=zstd ;;
		*.ko.gz) comp=ZLIB tool=gzip ;;
		*) die "$f: unknown module compression" ;;
		esac
		[[ $feats == *" +$comp "* ]] && continue
		command -v "$tool" >/dev/null ||
			die "$f: kmod reads no ${f##*.ko.} ($feats) and $tool is missing to decompress it (apt-get install $tool)"
		"$tool" -d -q "$f" && rm -f "$f" || die "decompressing $f failed"
	done < <(find "$1" -name '*.ko.*')
	log "modules: $(find "$1" -name '*.ko*' | sed 's/.*\.ko/.ko/' | sort | uniq -c | xargs); kmod:$feats"
}

fetch() {
	local pkg ver key out abi
	pkg=$(pick_package)
	if [[ $SERIES == 7.3 ]]; then
		[[ -n $pkg ]] || die "$NEWER_SUITE has no linux-binary-7.3.N+deb13-cloud-amd64 package"
		# linux-image-<abi> (a meta package) names the same kernel
		abi=${pkg#linux-image-}
		pkg=linux-binary-${abi#linux-binary-}
		ver=$("$VM_DIR/fetch-newer-deb.sh" --version "$NEWER_SUITE" "$pkg")
		[[ -n $ver ]] || die "$NEWER_SUITE knows no version of $pkg"
	else
		[[ -n $pkg ]] || die "no linux-image-$SERIES cloud-amd64-unsigned package known to apt (run apt-get update?)"
		ver=$(apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
		[[ -n $ver ]] || die "apt knows no version of $pkg"
	fi
	key=$(echo "$pkg=$ver recipe=$RECIPE" | sha256sum | cut -c1-16)
	out=$VM_CACHE/kernel-$TAG-$key
	if [[ -s $out/vmlinuz ]]; then
		echo "$out" >"$LATEST"
		return 0
	fi

	log "fetching $pkg $ver"
	local work=$VM_CACHE/fetch-$TAG-$key package
	rm -rf "$work" "$out.tmp"
	mkdir -p "$work/root" "$out.tmp"
	package=$(download "$work")

	# 6.x: lib/modules/<release>/ and /boot/{vmlinuz,config}-<release>;
	# 7.x: usr/lib/modules/<release>/ holding vmlinuz and config too
	local srcmods= rel d image config
	for d in "$work"/root/lib/modules/* "$work"/root/usr/lib/modules/*; do
		if [[ -d $d/kernel ]]; then
			srcmods=$d
			break
		fi
	done
	[[ -n $srcmods ]] || die "no lib/modules/<release>/kernel/ in $package"
	rel=${srcmods##*/}
	image=$work/root/boot/vmlinuz-$rel config=$work/root/boot/config-$rel
	[[ -f $image ]] || image=$srcmods/vmlinuz
	[[ -f $config ]] || config=$srcmods/config
	[[ -f $image && -f $config ]] || die "no vmlinuz and config of $rel in $package"
	cp "$image" "$out.tmp/vmlinuz"
	cp "$config" "$out.tmp/config"
	echo "$rel" >"$out.tmp/kernelrelease"
	echo "$package" >"$out.tmp/package"

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
	local dstmods=$out.tmp/modroot/lib/modules/$rel
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
	unpack_modules "$dstmods"
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
