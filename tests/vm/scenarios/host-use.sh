# SPDX-License-Identifier: MIT
# Devices the host uses (nvme-net topology; stock and debian61 kernels,
# which have virtio_net as a module, virtio_pci too on 6.1, and ext4 built
# in): the guest mounts the ext4 file system of the NVMe namespace and
# brings the virtio-net interface up with an address and the default route,
# as a machine's root disk and only network would be. `vfiodev bind`
# refuses both (exit 1, the message naming the mount point, the interface
# and its address) and takes nothing; `doctor` says why and what frees them
# instead of "fix: vfiodev bind"; `bind --force` takes both, and the host
# loses them (the kernel log shows ext4 losing its journal's device).
# Needs the vfiodev binary in the initramfs (run.sh -- .../tools/vfiodev).
# vmtest-plan: 12
# vmtest-bind: none
# vmtest-modprobe: virtio_pci virtio_net

nvme=0000:00:04.0
nic=0000:00:05.0
drv() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }
show() { sed "s/^/$1: /"; }
has() { echo "$1" | grep -qF -- "$2"; }
last() { echo "$1" | tail -n 1; }
# check NAME REASON CONDITION: PASS when the shell code CONDITION is true
check() { if eval "$3"; then vmtest_pass "$1"; else vmtest_fail "$1" "$2"; fi; }

# the namespace (nvme0n1 below the controller; a multipath head elsewhere)
ns=$(basename "$(ls -d /sys/bus/pci/devices/$nvme/nvme/nvme*/nvme*n* 2>/dev/null | head -n 1)")
ifc=$(ls /sys/bus/pci/devices/$nic/virtio*/net/ 2>/dev/null | head -n 1)
echo "host-use: namespace '$ns', interface '$ifc'"
mkdir -p /mnt/fs
mount -t ext4 "/dev/$ns" /mnt/fs && echo hello >/mnt/fs/hello && sync
ip addr add 10.0.2.15/24 dev "$ifc" && ip link set "$ifc" up &&
	ip route add default via 10.0.2.2
grep " /mnt/fs " /proc/self/mountinfo | show mountinfo
cat /proc/net/route | show route
ip addr show dev "$ifc" | show ip
check host-use/setup "the guest does not use both: mount or default route missing" \
	'[ -n "$ns" -a -n "$ifc" ] && grep -q " /mnt/fs " /proc/self/mountinfo && grep -q "^$ifc	00000000" /proc/net/route'

out=$(vfiodev bind "$nvme" 2>&1); rc=$?
echo "$out" | show bind-nvme
check host-use/nvme-refused "bind exited $rc, driver '$(drv $nvme)': $(last "$out")" \
	'[ "$rc" = 1 -a "$(drv $nvme)" = nvme ] && has "$out" "in use by the host: $ns (mounted on /mnt/fs)"'

# the interface named with its address and route; an IPv6 address the
# user network's router advertisement gave it may stand between (SLAAC
# comes at its own time: "eth0 (10.0.2.15/24, fec0::.../64, default route)")
named_nic() {
	has "$1" "in use by the host: $ifc (10.0.2.15/24, " &&
		echo "$1" | grep -Eq "in use by the host: $ifc \(10\.0\.2\.15/24, (fec0::[0-9a-f:]*/64, )?default route\)"
}

out=$(vfiodev bind "$nic" 2>&1); rc=$?
echo "$out" | show bind-nic
check host-use/nic-refused "bind exited $rc, driver '$(drv $nic)': $(last "$out")" \
	'[ "$rc" = 1 -a "$(drv $nic)" = virtio-pci ] && named_nic "$out"'

out=$(vfiodev doctor "$nvme" 2>&1); rc=$?
echo "$out" | show doctor-nvme
check host-use/nvme-doctor "doctor exited $rc, or does not say why (log above)" \
	'[ "$rc" = 1 ] && has "$out" "in use by the host: $ns (mounted on /mnt/fs)" &&
	has "$out" "fix: free it on the host first (umount /mnt/fs)" && ! has "$out" "fix: vfiodev bind $nvme"'

out=$(vfiodev doctor "$nic" 2>&1); rc=$?
echo "$out" | show doctor-nic
check host-use/nic-doctor "doctor exited $rc, or does not say why (log above)" \
	'[ "$rc" = 1 ] && named_nic "$out" &&
	has "$out" "fix: free it on the host first (ip link set $ifc down)" && ! has "$out" "fix: vfiodev bind $nic"'

out=$(vfiodev bind "$nic" --json 2>/dev/null); rc=$?
echo "$out" | show bind-json
check host-use/json "bind --json exited $rc (log above)" \
	'[ "$rc" = 1 ] && has "$out" "\"ok\": false" && has "$out" "in use by the host: $ifc"'

check host-use/nothing-taken "after the refusals: the file, the interface or an unset driver_override is gone" \
	'[ "$(cat /mnt/fs/hello)" = hello -a -e "/sys/class/net/$ifc" -a "$(cat /sys/bus/pci/devices/$nvme/driver_override)" = "(null)" ]'

out=$(vfiodev -v bind --force "$nvme" 2>&1); rc=$?
echo "$out" | show force-nvme
check host-use/nvme-forced "bind --force exited $rc, driver '$(drv $nvme)'" \
	'[ "$rc" = 0 -a "$(drv $nvme)" = vfio-pci ]'
check host-use/forced-says-so "no warning naming the mount (log above)" \
	'has "$out" "in use by the host: $ns (mounted on /mnt/fs); taking it anyway (force)"'

out=$(vfiodev bind "$nic" --force 2>&1); rc=$?
echo "$out" | show force-nic
check host-use/nic-forced "bind --force exited $rc, driver '$(drv $nic)'" \
	'[ "$rc" = 0 -a "$(drv $nic)" = vfio-pci ] && has "$out" "previous driver: virtio-pci"'
vmtest_check host-use/host-lost-it "$ifc still exists after the forced bind" \
	[ ! -e "/sys/class/net/$ifc" ]

out=$(vfiodev doctor "$nic" 2>&1); rc=$?
echo "$out" | show doctor-after
vmtest_check host-use/forced-opens "doctor on the forced NIC exited $rc" [ "$rc" = 0 ]
