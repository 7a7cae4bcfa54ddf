# SPDX-License-Identifier: MIT
# vfiodev doctor on a non-viable group (in-guest; topology nonviable: an
# edu and a virtio-rng behind one pcie-pci-bridge, the virtio device held
# by the built-in virtio-pci). The edu binds, but doctor fails it, naming
# the blocking device, its driver and the remedy; applying the remedy
# makes doctor pass; unbinding the virtio device gives it back.
# Needs the vfiodev binary in the initramfs (run.sh -- .../tools/vfiodev).
# vmtest-plan: 10
# vmtest-bind: none

edu=0000:01:01.0
rng=0000:01:02.0
drv() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }
show() { sed "s/^/$1: /"; }
has() { echo "$1" | grep -q -- "$2"; }

vmtest_check nonviable/blocker-bound "$rng is bound to '$(drv $rng)', expected virtio-pci" \
	[ "$(drv $rng)" = virtio-pci ]
out=$(vfiodev bind $edu 2>&1); rc=$?
echo "$out" | show bind
vmtest_check nonviable/edu-binds "vfiodev bind $edu exited $rc" [ "$rc" = 0 -a "$(drv $edu)" = vfio-pci ]

out=$(vfiodev doctor $edu 2>&1); rc=$?
echo "$out" | show doctor
vmtest_check nonviable/doctor-fails "vfiodev doctor exited $rc, expected 1" [ "$rc" = 1 ]
vmtest_check nonviable/names-blocker "doctor does not name $rng and virtio-pci" \
	has "$out" "$rng is bound to virtio-pci"
vmtest_check nonviable/remedy "doctor gives no remedy for $rng" \
	has "$out" "fix: vfiodev bind $rng (or release it: echo $rng > /sys/bus/pci/drivers/virtio-pci/unbind)"
json=$(vfiodev doctor $edu --json 2>&1)
echo "$json" | show doctor-json
vmtest_check nonviable/json "the JSON has no group error" \
	[ -n "$(echo "$json" | grep '"check": "group"')" -a -n "$(echo "$json" | grep '"ok": false')" ]

out=$(vfiodev info $edu 2>&1); rc=$?
echo "$out" | show info
vmtest_check nonviable/open-refused "vfiodev info exited $rc, expected 1" [ "$rc" = 1 ]

# the remedy, applied
vfiodev bind $rng 2>&1 | show bind-rng
out=$(vfiodev doctor $edu 2>&1); rc=$?
echo "$out" | show doctor-after
vmtest_check nonviable/remedy-works "doctor still fails after binding $rng ($rc)" [ "$rc" = 0 ]

out=$(vfiodev unbind $rng 2>&1); rc=$?
echo "$out" | show unbind-rng
vmtest_check nonviable/unbind-restores "$rng is on '$(drv $rng)' after unbind, expected virtio-pci" \
	[ "$rc" = 0 -a "$(drv $rng)" = virtio-pci ]
out=$(vfiodev doctor $edu 2>&1); rc=$?
vmtest_check nonviable/blocked-again "doctor exited $rc once virtio-pci is back" [ "$rc" = 1 ]
