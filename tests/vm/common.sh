# SPDX-License-Identifier: MIT
# Shared helpers for the tests/vm scripts (sourced, not executed): the cache
# directory, logging to stderr, a lock so that parallel test runs do not
# build or unpack the same artefact twice, and the table of kernels.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${VFIODEV_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/libvfiodev-vm}

# Messages go to stderr: stdout of the scripts is reserved for their result.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# with_lock NAME CMD...: run CMD while holding an exclusive lock on
# $VM_CACHE/NAME.lock (flock(1) from util-linux).
with_lock() {
	local name=$1; shift
	mkdir -p "$VM_CACHE"
	(
		flock 9
		"$@"
	) 9>"$VM_CACHE/$name.lock"
}

# The test-bed kernels by label (run.sh --kernel, matrix.txt): the one place
# that says which script, and which series of it, makes each.
#   custom    6.12 built here (build-kernel.sh): iommufd, vfio cdev, noiommu
#   custom73  7.3 built here (VFIODEV_CUSTOM_SERIES=7.3 build-kernel.sh)
#   stock     Debian 12's 6.12 cloud kernel (fetch-stock-kernel.sh)
#   stock73   trixie-backports' 7.3 cloud kernel (VFIODEV_STOCK_SERIES=7.3)
#   debian61  Debian 12's default 6.1 cloud kernel (VFIODEV_STOCK_SERIES=6.1)
# A label picks a kernel and names logs; what a test expects of a kernel is
# decided in the guest from what that kernel has, never from its label.
VM_KERNELS="custom custom73 stock stock73 debian61"

# vm_kernel_image LABEL: build or fetch (cached) that kernel; the last line
# of stdout is the path of its image, with modroot/ beside it.
vm_kernel_image() {
	case $1 in
	custom) VFIODEV_CUSTOM_SERIES=6.12 "$VM_DIR/build-kernel.sh" ;;
	custom73) VFIODEV_CUSTOM_SERIES=7.3 "$VM_DIR/build-kernel.sh" ;;
	stock) VFIODEV_STOCK_SERIES=6.12 "$VM_DIR/fetch-stock-kernel.sh" ;;
	stock73) VFIODEV_STOCK_SERIES=7.3 "$VM_DIR/fetch-stock-kernel.sh" ;;
	debian61) VFIODEV_STOCK_SERIES=6.1 "$VM_DIR/fetch-stock-kernel.sh" ;;
	*) die "unknown kernel '$1' (one of: $VM_KERNELS)" ;;
	esac
}

# vm_matrix: matrix.txt as "kernel topology scenario" lines, one per kernel
# of a line's comma-separated list; comments and blank lines dropped.
vm_matrix() {
	local kernels topology scenario k
	while read -r kernels topology scenario; do
		[[ -n $kernels && $kernels != \#* ]] || continue
		for k in ${kernels//,/ }; do
			echo "$k $topology $scenario"
		done
	done <"$VM_DIR/matrix.txt"
}
