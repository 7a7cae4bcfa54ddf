#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo, from a fresh Debian 12 machine: install what is needed, build the
# library, boot two real kernels in QEMU (a 6.12 kernel with iommufd + vfio
# cdev built here, and Debian's stock 6.12 kernel without them) with QEMU's
# edu device behind a virtual VT-d IOMMU, and run the examples in each.
# Prints what the library did on each kernel and a short summary.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build=${VFIODEV_BUILD_DIR:-build}

scripts/install-deps.sh
[[ -d $build ]] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
echo "demo: kernels (the first run builds one: about 5 minutes on 2 cores; cached after)"
tests/vm/build-kernel.sh >/dev/null
tests/vm/fetch-stock-kernel.sh >/dev/null

files=("$build/examples/edu-demo" "$build/examples/open-map")
status=0
declare -A verdict
for kernel in custom stock; do
	echo
	echo "=== $kernel kernel ==="
	if tests/vm/run.sh --kernel "$kernel" --topology single \
		--scenario tests/vm/scenarios/demo.sh --build "$build" -- "${files[@]}" >/dev/null; then
		verdict[$kernel]=ok
	else
		verdict[$kernel]=FAILED
		status=1
	fi
	log=$build/vm-logs/$kernel-single-demo.log
	grep -a '^DEMO ' "$log" | sed 's/^DEMO //' || echo "(no demo output: see $log)"
done

echo
echo "=== summary ==="
for kernel in custom stock; do
	log=$build/vm-logs/$kernel-single-demo.log
	backend=$(grep -a '^DEMO   backend' "$log" | awk '{print $3}')
	why=$(grep -a '^DEMO   why' "$log" | sed 's/^DEMO   why *//')
	dma=$(grep -aq 'every byte matches' "$log" && echo "DMA ok" || echo "DMA FAILED")
	msi=$(grep -aq 'completion interrupt delivered' "$log" && echo "MSI ok" || echo "MSI FAILED")
	printf '%-7s kernel: opened 0000:00:03.0 with the %s backend (%s); %s, %s [%s]\n' \
		"$kernel" "${backend:-?}" "${why:-?}" "$dma" "$msi" "${verdict[$kernel]}"
done
exit $status
