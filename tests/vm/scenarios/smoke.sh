# SPDX-License-Identifier: MIT
# Smoke scenario (in-guest, busybox sh): proves the pipeline boots the
# kernel, binds the single edu to vfio-pci and reports TAP. Checks the device
# nodes against what the kernel has: /dev/iommu where iommufd is in it
# (built in: the custom kernels), none where it is not (stock); the vfio
# cdev node and its sysfs devt where vfio registered the cdev major (custom),
# a devt-less vfio-dev class device where not (stock, 6.6+).
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
iommufd=$(vmtest_module_state iommufd)
type1=$(vmtest_module_state vfio_iommu_type1)
cdev=no
vmtest_kernel_has_vfio_cdev && cdev=yes
echo "smoke: kernel $(uname -r): iommufd $iommufd, vfio_iommu_type1 $type1, vfio cdev major: $cdev"

vmtest_check smoke/edu-found "edu not at $bdf (found: $VMTEST_EDU_BDFS)" \
	[ "${VMTEST_EDU_BDFS%% *}" = "$bdf" ]
vmtest_check smoke/bound-vfio-pci "$bdf is not bound to vfio-pci" \
	[ "$(basename "$(readlink "$dev/driver")")" = vfio-pci ]
group=$(basename "$(readlink "$dev/iommu_group" 2>/dev/null)" 2>/dev/null)
vmtest_check smoke/group-node "no /dev/vfio/<group> for iommu_group '$group'" \
	is_chr "/dev/vfio/${group:-none}"
vmtest_check smoke/container-node "/dev/vfio/vfio is missing" is_chr /dev/vfio/vfio
# Binding must not have loaded the IOMMU backend: the library's job.
case $type1 in
module)
	vmtest_check smoke/type1-not-preloaded "vfio_iommu_type1 was loaded by the init" \
		[ ! -d /sys/module/vfio_iommu_type1 ] ;;
*)
	vmtest_check smoke/type1-not-preloaded "vfio_iommu_type1 is neither a module nor built in ($type1)" \
		[ "$type1" = builtin ] ;;
esac

case $iommufd in
builtin)
	vmtest_check smoke/dev-iommu "/dev/iommu missing although iommufd is built in" is_chr /dev/iommu ;;
absent)
	vmtest_check smoke/dev-iommu "/dev/iommu present on a kernel without iommufd" absent /dev/iommu ;;
*)
	vmtest_fail smoke/dev-iommu "iommufd is a module here: the test bed has no such kernel" ;;
esac
if [ $cdev = yes ]; then
	vmtest_check smoke/cdev-node "/dev/vfio/devices/vfio0 missing although vfio registered its cdev major" \
		is_chr /dev/vfio/devices/vfio0
	sysdev=$(cat "$dev/vfio-dev/vfio0/dev" 2>/dev/null)
	node=$(stat -c '%t:%T' /dev/vfio/devices/vfio0 2>/dev/null)
	nodedec=$(printf '%d:%d' "0x${node%%:*}" "0x${node##*:}" 2>/dev/null)
	major=$(awk '/^Character devices:/ { c = 1; next } c && $2 == "vfio-dev" { print $1; exit }' /proc/devices)
	# the cdev needs iommufd (VFIO_DEVICE_CDEV depends on IOMMUFD)
	vmtest_check smoke/sysfs-vfio-dev "vfio-dev/vfio0/dev '$sysdev', node '$nodedec', cdev major $major, /dev/iommu $( [ -c /dev/iommu ] && echo present || echo MISSING)" \
		[ -n "$sysdev" -a "$sysdev" = "$nodedec" -a "${sysdev%%:*}" = "$major" -a -c /dev/iommu ]
else
	vmtest_check smoke/cdev-node "/dev/vfio/devices/vfio0 present without the vfio cdev major" \
		absent /dev/vfio/devices/vfio0
	# Without the cdev the vfio-dev class device exists but has no devt.
	vmtest_check smoke/sysfs-vfio-dev "expected $dev/vfio-dev/vfio0 without a dev attribute" \
		[ -d "$dev/vfio-dev/vfio0" -a ! -e "$dev/vfio-dev/vfio0/dev" ]
fi
