# SPDX-License-Identifier: MIT
# The vfiodev tool on one edu (in-guest, every kernel), starting from no
# driver and no VFIO module: `vfiodev bind` loads the modules through
# libkmod (where they are modules, the stock kernels: the .ko.xz files,
# vfio_iommu_type1 included; built in, the custom kernels: recognised as
# such), binds; `vfiodev info --json` opens it (no vfio cdev: the container
# backend and the reason; a cdev and /dev/iommu: iommufd), `doctor` passes,
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
# what bind must report for a module of this kernel: built in, or inserted
# through libkmod
said() { case $1 in builtin) echo built-in ;; module) echo inserted ;; *) echo absent ;; esac; }
pci=$(vmtest_module_state vfio_pci)
iommufd=$(vmtest_module_state iommufd)
type1=$(vmtest_module_state vfio_iommu_type1)
echo "bind: this kernel: vfio_pci $pci, iommufd $iommufd, vfio_iommu_type1 $type1"
vmtest_check bind/modules-loaded "vfio_pci ($pci here) not reported $(said "$pci")" \
	has "$out" "module vfio_pci *$(said "$pci")"
# the IOMMU backend: iommufd where the kernel has it, else Type1
if [ "$iommufd" != absent ]; then
	vmtest_check bind/backend-module "iommufd ($iommufd here) not reported $(said "$iommufd")" \
		has "$out" "module iommufd *$(said "$iommufd")"
else
	vmtest_check bind/backend-module "vfio_iommu_type1 ($type1 here) not reported $(said "$type1"), or not loaded" \
		[ -n "$(echo "$out" | grep "module vfio_iommu_type1 *$(said "$type1")")" -a \
		  -d /sys/module/vfio_iommu_type1 ]
fi
# the path a device takes (vfio is loaded now): the cdev and iommufd, or
# without a vfio cdev the group and container
if vmtest_kernel_has_vfio_cdev && vmtest_kernel_has_iommufd; then
	path=iommufd
else
	path=container
fi
echo "bind: expecting the $path path (vfio cdev major: $(vmtest_kernel_has_vfio_cdev && echo yes || echo no), /dev/iommu: $(vmtest_kernel_has_iommufd && echo yes || echo no))"

json=$(vfiodev info "$bdf" --json 2>&1); rc=$?
echo "$json" | show info-json
vfiodev info "$bdf" 2>&1 | show info
vmtest_check bind/info-opens "vfiodev info exited $rc" \
	[ "$rc" = 0 -a -n "$(echo "$json" | grep '"opened": true')" ]
if [ $path = container ]; then
	vmtest_check bind/info-backend "expected the container backend and its reason" \
		has "$json" '"backend": "container"'
	vmtest_check bind/info-reason "no fallback reason naming CONFIG_VFIO_DEVICE_CDEV" \
		has "$json" '"backend_reason": "no vfio cdev in sysfs (kernel without CONFIG_VFIO_DEVICE_CDEV)"'
else
	vmtest_check bind/info-backend "expected the iommufd backend" \
		has "$json" '"backend": "iommufd"'
	vmtest_check bind/info-reason "expected no fallback" \
		has "$json" '"fell_back": false'
fi

out=$(vfiodev doctor "$bdf" 2>&1); rc=$?
echo "$out" | show doctor
vmtest_check bind/doctor-ok "vfiodev doctor exited $rc" [ "$rc" = 0 ]

json=$(vfiodev list --vfio --json 2>&1)
echo "$json" | show list
want="\"$path\": true"
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
