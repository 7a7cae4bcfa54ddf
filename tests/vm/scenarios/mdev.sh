# SPDX-License-Identifier: MIT
# Mediated devices on the kernel's mtty sample (issue 18): `vfiodev mdev
# types` lists mtty's types, `create` makes two instances, each opens by
# its sysfs path (vmmdev: AUTO, which takes the cdev + iommufd where the
# kernel has them, and forced container; its UART proves the device), both
# in one space with a mapping, the resolved /sys/devices path too; `remove`
# is refused, saying the device is open, while another process holds it
# (iommufd and group path; the holder's own remove refused too), and
# succeeds once it is closed; a raw write to remove while the device is held
# shows the kernel's side (it waits for the close instead of failing). A kernel without the mtty parent (no
# CONFIG_SAMPLE_VFIO_MDEV_MTTY, not loadable) skips every result, saying so.
# vmtest-plan: 18
# vmtest-bind: none

names="types create/two create/unknown-type open/1/auto open/1/container
open/2/auto open/2/container open/resolved-path pair/auto pair/container
hold/auto remove/refused/auto hold/container remove/refused/container
remove/after-close hold/raw kernel/remove-waits-for-close list/empty"
show() { sed "s/^/$1: /"; }
has() { echo "$1" | grep -q -- "$2"; }

[ -d /sys/class/mdev_bus/mtty ] || modprobe mtty 2>/dev/null
if [ ! -d /sys/class/mdev_bus/mtty ]; then
	why="no mdev parent mtty (/sys/class/mdev_bus/mtty): kernel without CONFIG_SAMPLE_VFIO_MDEV_MTTY, and no mtty module"
	[ -d /sys/bus/mdev ] || why="$why; no mdev bus either (the mdev core, CONFIG_VFIO_MDEV, is not loaded or not built)"
	for n in $names; do vmtest_skip "mdev/$n" "$why"; done
	exit 0
fi

out=$(vfiodev mdev types mtty --json 2>&1); rc=$?
echo "$out" | show types-json
vfiodev mdev types 2>&1 | show types
ok=no
[ "$rc" = 0 ] && has "$out" '"id": "mtty-1"' && has "$out" '"id": "mtty-2"' &&
	has "$out" '"device_api": "vfio-pci"' && ok=yes
vmtest_check mdev/types "vfiodev mdev types exited $rc or lacks mtty-1/mtty-2 with device_api vfio-pci" \
	[ $ok = yes ]

u1=$(vfiodev mdev create mtty mtty-2 2>&1); rc1=$?
u2=$(vfiodev mdev create mtty mtty-2 --uuid 0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d 2>&1); rc2=$?
echo "create: $u1 ($rc1), $u2 ($rc2)"
list=$(vfiodev mdev list --json 2>&1)
echo "$list" | show list-json
vfiodev mdev list 2>&1 | show list
ok=no
[ "$rc1" = 0 -a "$rc2" = 0 -a -d "/sys/bus/mdev/devices/$u1" -a \
  -d /sys/bus/mdev/devices/0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d ] &&
	has "$list" "\"uuid\": \"$u1\"" && has "$list" "\"uuid\": \"$u2\"" &&
	has "$list" '"type": "mtty-2"' && ok=yes
vmtest_check mdev/create/two "create exited $rc1 and $rc2, or the devices are missing" [ $ok = yes ]
p1=/sys/bus/mdev/devices/$u1 p2=/sys/bus/mdev/devices/$u2
ls -l "$p1/" "$p1/vfio-dev" 2>&1 | show sysfs
echo "sysfs: iommu_group $(readlink "$p1/iommu_group"), named '$(cat "$p1/iommu_group/name" 2>/dev/null)'"

out=$(vfiodev mdev create mtty mtty-9 2>&1); rc=$?
echo "$out" | show create-unknown
ok=no
[ "$rc" = 1 ] && has "$out" "has no type 'mtty-9' (its types: mtty-1, mtty-2)" && ok=yes
vmtest_check mdev/create/unknown-type "exited $rc: '$out'" [ $ok = yes ]

vmmdev open "$p1" auto mdev/open/1/auto
vmmdev open "$p1" container mdev/open/1/container
vmmdev open "$p2" auto mdev/open/2/auto
vmmdev open "$p2" container mdev/open/2/container
real=$(readlink -f "$p1")
out=$(vfiodev info "$real" --json 2>&1); rc=$?
echo "$out" | show info-resolved
ok=no
[ "$rc" = 0 ] && has "$out" "\"name\": \"$u1\"" && has "$out" '"opened": true' && ok=yes
vmtest_check mdev/open/resolved-path "vfiodev info $real exited $rc" [ $ok = yes ]
vmmdev pair "$p1" "$p2" auto mdev/pair/auto
vmmdev pair "$p1" "$p2" container mdev/pair/container

# remove while another process holds the device: refused, the device stays
for b in auto container; do
	rm -f /tmp/held
	vmmdev hold "$p1" $b /tmp/held mdev/hold/$b &
	holder=$!
	for i in $(seq 50); do [ -e /tmp/held ] && break; sleep 0.1; done
	out=$(timeout 20 vfiodev mdev remove "$u1" 2>&1); rc=$?
	echo "$out" | show "remove-while-held-$b"
	rm -f /tmp/held
	wait $holder
	ok=no
	[ "$rc" = 1 -a -d "$p1" ] && has "$out" "the device is open" && ok=yes
	vmtest_check mdev/remove/refused/$b "exited $rc ('$out'), or the device is gone" [ $ok = yes ]
done

out=$(timeout 20 vfiodev mdev remove "$u1" 2>&1); rc=$?
echo "$out" | show remove
vmtest_check mdev/remove/after-close "exited $rc ('$out'), or $p1 is still there" \
	[ "$rc" = 0 -a ! -e "$p1" ]
# why the library checks first: the kernel's remove of an open device does
# not fail, the write waits until the device is closed (vfio_unregister_
# group_dev); a raw write, never interrupted, completes after the close
rm -f /tmp/held
vmmdev hold "$p2" auto /tmp/held mdev/hold/raw &
holder=$!
for i in $(seq 50); do [ -e /tmp/held ] && break; sleep 0.1; done
(echo 1 >"$p2/remove") &
writer=$!
sleep 2
blocked=no
kill -0 $writer 2>/dev/null && blocked=yes
echo "kernel: raw remove write while held: still waiting after 2 s: $blocked; meanwhile $p2 $([ -e "$p2" ] && echo remains || echo is gone from the bus)"
rm -f /tmp/held
wait $holder
wait $writer
echo "kernel: after the close the write returned $?; $p2 $([ -e "$p2" ] && echo remains || echo is gone)"
vmtest_check mdev/kernel/remove-waits-for-close "the write returned while the device was open (still waiting: $blocked), or the device remains" \
	[ $blocked = yes -a ! -e "$p2" ]
out=$(vfiodev mdev list 2>&1)
vmtest_check mdev/list/empty "still listed: '$out'" [ "$out" = "no mediated devices" ]
