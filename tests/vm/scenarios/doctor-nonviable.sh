# SPDX-License-Identifier: MIT
# vfiodev doctor on a non-viable group (in-guest; topology nonviable: an
# edu and a virtio-rng behind one pcie-pci-bridge, the virtio device held
# by the built-in virtio-pci). The edu binds, but doctor fails it, naming
# the blocking device, its driver and the remedy; applying the remedy
# makes doctor pass; unbinding the virtio device gives it back, by a
# re-probe and then by name (--restore virtio-pci, after a misspelt name
# that must leave it where it is).
# Needs the vfiodev binary in the initramfs (run.sh -- .../tools/vfiodev).
# vmtest-plan: 13
# vmtest-bind: none
# vmtest-modprobe: virtio_pci

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
json=$(vfiodev doctor $edu --json 2>/dev/null)
echo "$json" | show doctor-json
# a finding: "severity" then "check" then "subject" then "found"
group_error_names_rng() {
	echo "$json" | grep -q '"ok": false' &&
		echo "$json" | awk -v want="$rng is bound to virtio-pci" '
			/"severity": "error"/ { e = NR }
			/"check": "group"/ { if (e == NR - 1) g = NR }
			/"found": / { if (g && NR == g + 2 && index($0, want)) ok = 1 }
			END { exit !ok }'
}
vmtest_check nonviable/json "the JSON has no group error naming $rng and virtio-pci" \
	group_error_names_rng

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

# by name: bind reports the driver it took the device from, a misspelt
# restore driver leaves the device bound, the right one takes it back
json=$(vfiodev bind $rng --json 2>&1); rc=$?
echo "$json" | show bind-rng-json
bound_from_virtio() {
	[ "$rc" = 0 ] && [ "$(drv $rng)" = vfio-pci ] &&
		has "$json" '"previous_driver": "virtio-pci"'
}
vmtest_check nonviable/bind-names-previous "bind $rng exited $rc, driver '$(drv $rng)', no previous_driver virtio-pci" \
	bound_from_virtio
out=$(vfiodev unbind $rng --restore virtio-pcx 2>&1); rc=$?
echo "$out" | show unbind-typo
vmtest_check nonviable/restore-typo-keeps-driver "unbind --restore virtio-pcx exited $rc, $rng is on '$(drv $rng)'" \
	[ "$rc" = 1 -a "$(drv $rng)" = vfio-pci ]
out=$(vfiodev unbind $rng --restore virtio-pci 2>&1); rc=$?
echo "$out" | show unbind-restore
vmtest_check nonviable/restore-by-name "unbind --restore virtio-pci exited $rc, $rng is on '$(drv $rng)', override '$(cat /sys/bus/pci/devices/$rng/driver_override)'" \
	[ "$rc" = 0 -a "$(drv $rng)" = virtio-pci -a "$(cat /sys/bus/pci/devices/$rng/driver_override)" = "(null)" ]
