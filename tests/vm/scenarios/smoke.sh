# SPDX-License-Identifier: MIT
# Smoke scenario (in-guest, busybox sh): proves the pipeline boots both
# kernels, binds the single edu to vfio-pci and reports TAP. Checks the device
# nodes each kernel must (custom: iommufd + cdev) or must not (stock) have.
# vmtest-plan: 8
# vmtest-bind: all-edu

bdf=0000:00:03.0
dev=/sys/bus/pci/devices/$bdf
is_chr() { [ -c "$1" ]; }
absent() { [ ! -e "$1" ]; }

echo "smoke: edu devices: [$VMTEST_EDU_BDFS], bound: [$VMTEST_BOUND]"
ls -l /dev/vfio /dev/vfio/devices /dev/iommu 2>&1 | sed 's/^/smoke: /'
ls "$dev/vfio-dev" 2>&1 | sed 's/^/smoke: vfio-dev: /'
grep -E '^(vfio|iommufd|irqbypass)' /proc/modules 2>/dev/null | sed 's/^/smoke: module: /'

vmtest_check smoke/edu-found "edu not at $bdf (found: $VMTEST_EDU_BDFS)" \
	[ "${VMTEST_EDU_BDFS%% *}" = "$bdf" ]
vmtest_check smoke/bound-vfio-pci "$bdf is not bound to vfio-pci" \
	[ "$(basename "$(readlink "$dev/driver")")" = vfio-pci ]
group=$(basename "$(readlink "$dev/iommu_group" 2>/dev/null)" 2>/dev/null)
vmtest_check smoke/group-node "no /dev/vfio/<group> for iommu_group '$group'" \
	is_chr "/dev/vfio/${group:-none}"
vmtest_check smoke/container-node "/dev/vfio/vfio is missing" is_chr /dev/vfio/vfio
# Binding must not have loaded the IOMMU backend: the library's job.
if [ "$VMTEST_KERNEL" = stock ]; then
	vmtest_check smoke/type1-not-preloaded "vfio_iommu_type1 was loaded by the init" \
		[ ! -d /sys/module/vfio_iommu_type1 ]
else
	vmtest_check smoke/type1-not-preloaded "vfio_iommu_type1 is not built in" \
		grep -q vfio_iommu_type1 "/lib/modules/$(uname -r)/modules.builtin"
fi

case $VMTEST_KERNEL in
custom)
	vmtest_check smoke/dev-iommu "/dev/iommu missing on the iommufd kernel" is_chr /dev/iommu
	vmtest_check smoke/cdev-node "/dev/vfio/devices/vfio0 missing" is_chr /dev/vfio/devices/vfio0
	sysdev=$(cat "$dev/vfio-dev/vfio0/dev" 2>/dev/null)
	node=$(stat -c '%t:%T' /dev/vfio/devices/vfio0 2>/dev/null)
	nodedec=$(printf '%d:%d' "0x${node%%:*}" "0x${node##*:}" 2>/dev/null)
	vmtest_check smoke/sysfs-vfio-dev "vfio-dev/vfio0/dev '$sysdev' != node '$nodedec'" \
		[ -n "$sysdev" -a "$sysdev" = "$nodedec" ]
	;;
stock)
	vmtest_check smoke/dev-iommu "/dev/iommu present on a kernel without iommufd" absent /dev/iommu
	vmtest_check smoke/cdev-node "/dev/vfio/devices/vfio0 present without VFIO_DEVICE_CDEV" \
		absent /dev/vfio/devices/vfio0
	# Without the cdev the vfio-dev class device exists but has no devt.
	vmtest_check smoke/sysfs-vfio-dev "expected $dev/vfio-dev/vfio0 without a dev attribute" \
		[ -d "$dev/vfio-dev/vfio0" -a ! -e "$dev/vfio-dev/vfio0/dev" ]
	;;
*)
	for t in dev-iommu cdev-node sysfs-vfio-dev; do
		vmtest_fail smoke/$t "unknown kernel label '$VMTEST_KERNEL'"
	done
	;;
esac
