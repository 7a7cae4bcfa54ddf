# SPDX-License-Identifier: MIT
# vfiodev doctor without an IOMMU (in-guest, custom kernel, topology
# noiommu: no intel-iommu, vfio.enable_unsafe_noiommu_mode=1). Before the
# bind, doctor reports the absent IOMMU with the noiommu remedy; after it,
# the noiommu device is refused unless --allow-noiommu, which then passes:
# through its group on 6.x; through iommufd where the kernel shows a noiommu
# cdev (Linux 7.x: vfio-dev/noiommu-vfioN), which doctor names with what it
# needs (CAP_SYS_RAWIO, the taint).
# Needs the vfiodev binary in the initramfs (run.sh -- .../tools/vfiodev).
# vmtest-plan: 9
# vmtest-bind: none

bdf=0000:00:03.0
show() { sed "s/^/$1: /"; }
has() { echo "$1" | grep -q -- "$2"; }

out=$(vfiodev doctor $bdf 2>&1); rc=$?
echo "$out" | show doctor
vmtest_check noiommu/doctor-fails "vfiodev doctor exited $rc, expected 1" [ "$rc" = 1 ]
vmtest_check noiommu/iommu-absent "doctor does not report the absent IOMMU" \
	has "$out" "no IOMMU: /sys/class/iommu is empty"
vmtest_check noiommu/iommu-remedy "doctor gives no noiommu remedy" \
	has "$out" "fix: vfiodev bind $bdf (vfio-pci then puts it in a noiommu group)"

out=$(vfiodev bind $bdf 2>&1); rc=$?
echo "$out" | show bind
vmtest_check noiommu/bind "vfiodev bind exited $rc" [ "$rc" = 0 ]

out=$(vfiodev doctor $bdf 2>&1); rc=$?
echo "$out" | show doctor-bound
vmtest_check noiommu/refused-by-default "doctor exited $rc without --allow-noiommu, expected 1" \
	[ "$rc" = 1 -a -n "$(echo "$out" | grep 'noiommu group')" ]

out=$(vfiodev doctor $bdf --allow-noiommu 2>&1); rc=$?
echo "$out" | show doctor-allowed
vmtest_check noiommu/allowed "doctor --allow-noiommu exited $rc" [ "$rc" = 0 ]
# what the kernel shows decides what doctor must say
if [ -e /sys/bus/pci/devices/$bdf/vfio-dev/noiommu-vfio0/dev ]; then
	backend=iommufd
	vmtest_check noiommu/cdev-finding "doctor does not name the noiommu cdev and its needs" \
		has "$out" "has the noiommu cdev noiommu-vfio0 .*CAP_SYS_RAWIO.*taints the kernel"
else
	backend=container
	vmtest_check noiommu/cdev-finding "doctor does not say the kernel gives a noiommu device no cdev" \
		has "$out" "this kernel gives it no vfio cdev"
fi

json=$(vfiodev info $bdf --allow-noiommu --json 2>&1); rc=$?
echo "$json" | show info-json
vmtest_check noiommu/info-opens "vfiodev info --allow-noiommu exited $rc" [ "$rc" = 0 ]
vmtest_check noiommu/info-backend "info does not show the $backend backend through noiommu" \
	[ -n "$(echo "$json" | grep "\"backend\": \"$backend\"")" -a -n "$(echo "$json" | grep '"noiommu_open": true')" ]
