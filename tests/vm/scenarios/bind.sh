# SPDX-License-Identifier: MIT
# The vfiodev tool on one edu (in-guest, both kernels), starting from no
# driver and no VFIO module: `vfiodev bind` loads the modules through
# libkmod (stock: the .ko.xz files, vfio_iommu_type1 included; custom: the
# built-ins are recognised), binds; `vfiodev info --json` opens it (stock:
# container backend and the reason; custom: iommufd), `doctor` passes,
# `list` shows the usable paths; `unbind` releases it, clearing the
# override (edu has no host driver to go back to).
# Needs the vfiodev binary in the initramfs (run.sh -- .../tools/vfiodev).
# vmtest-plan: 13
# vmtest-bind: none

bdf=0000:00:03.0
dev=/sys/bus/pci/devices/$bdf
drv() { [ -e "$dev/driver" ] && basename "$(readlink "$dev/driver")"; }
show() { sed "s/^/$1: /"; }
has() { echo "$1" | grep -q -- "$2"; }

echo "bind: modules before: $(grep -E '^(vfio|iommufd)' /proc/modules | cut -d' ' -f1 | tr '\n' ' ')"
vmtest_check bind/starts-unbound "$bdf starts bound to '$(drv)'" [ ! -e "$dev/driver" ]

out=$(vfiodev bind "$bdf" 2>&1); rc=$?
echo "$out" | show bind
vmtest_check bind/exit-0 "vfiodev bind exited $rc" [ "$rc" = 0 ]
vmtest_check bind/bound "driver is '$(drv)', not vfio-pci" [ "$(drv)" = vfio-pci ]
echo "bind: modules after: $(grep -E '^(vfio|iommufd)' /proc/modules | cut -d' ' -f1 | tr '\n' ' ')"
case $VMTEST_KERNEL in
stock | debian61)
	vmtest_check bind/modules-loaded "vfio_pci and vfio_iommu_type1 not both inserted through libkmod" \
		[ -n "$(echo "$out" | grep 'module vfio_pci *inserted')" -a \
		  -n "$(echo "$out" | grep 'module vfio_iommu_type1 *inserted')" ]
	vmtest_check bind/backend-module "vfio_iommu_type1 is not in /proc/modules" \
		grep -q '^vfio_iommu_type1 ' /proc/modules
	;;
*)
	vmtest_check bind/modules-loaded "vfio_pci not reported built-in" \
		has "$out" 'module vfio_pci *built-in'
	vmtest_check bind/backend-module "iommufd not reported built-in" \
		has "$out" 'module iommufd *built-in'
	;;
esac

json=$(vfiodev info "$bdf" --json 2>&1); rc=$?
echo "$json" | show info-json
vfiodev info "$bdf" 2>&1 | show info
vmtest_check bind/info-opens "vfiodev info exited $rc" \
	[ "$rc" = 0 -a -n "$(echo "$json" | grep '"opened": true')" ]
case $VMTEST_KERNEL in
stock | debian61)
	vmtest_check bind/info-backend "expected the container backend and its reason" \
		has "$json" '"backend": "container"'
	vmtest_check bind/info-reason "no fallback reason naming CONFIG_VFIO_DEVICE_CDEV" \
		has "$json" '"backend_reason": "no vfio cdev in sysfs (kernel without CONFIG_VFIO_DEVICE_CDEV)"'
	;;
*)
	vmtest_check bind/info-backend "expected the iommufd backend" \
		has "$json" '"backend": "iommufd"'
	vmtest_check bind/info-reason "expected no fallback" \
		has "$json" '"fell_back": false'
	;;
esac

out=$(vfiodev doctor "$bdf" 2>&1); rc=$?
echo "$out" | show doctor
vmtest_check bind/doctor-ok "vfiodev doctor exited $rc" [ "$rc" = 0 ]

json=$(vfiodev list --vfio --json 2>&1)
echo "$json" | show list
case $VMTEST_KERNEL in
stock | debian61) want='"container": true' ;;
*) want='"iommufd": true' ;;
esac
vmtest_check bind/list-paths "list does not show $want for $bdf" \
	[ -n "$(echo "$json" | grep "\"bdf\": \"$bdf\"")" -a -n "$(echo "$json" | grep "$want")" ]

out=$(vfiodev bind "$bdf" 2>&1); rc=$?
vmtest_check bind/again-is-noop "second bind: $rc: $out" \
	[ "$rc" = 0 -a -n "$(echo "$out" | grep 'already bound to vfio-pci')" ]

out=$(vfiodev unbind "$bdf" 2>&1); rc=$?
echo "$out" | show unbind
vmtest_check bind/unbind-exit-0 "vfiodev unbind exited $rc" [ "$rc" = 0 ]
# edu has no host driver: the re-probe leaves it with none, and what this
# shows is the override cleared (doctor-nonviable gives a virtio device
# back to its driver)
vmtest_check bind/unbind-clears-override "after unbind: driver '$(drv)', driver_override '$(cat "$dev/driver_override")', expected none and (null)" \
	[ ! -e "$dev/driver" -a "$(cat "$dev/driver_override")" = "(null)" ]
