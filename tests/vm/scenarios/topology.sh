# SPDX-License-Identifier: MIT
# Topology scenario (in-guest, busybox sh): checks that the guest sees what
# run.sh's topology table promises (BDFs, IOMMU groups, drivers, reset
# methods), with every edu bound to vfio-pci. Runs on every topology.
# vmtest-plan: 4
# vmtest-bind: all-edu

group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null)" 2>/dev/null; }
group_members() { ls "/sys/kernel/iommu_groups/$1/devices" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
reset_of() { cat "/sys/bus/pci/devices/$1/reset_method" 2>/dev/null; }
has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

for d in /sys/bus/pci/devices/*; do
	b=${d##*/}
	echo "topology: $b $(cat "$d/vendor"):$(cat "$d/device") group=$(group_of "$b") driver=$(driver_of "$b") reset=[$(reset_of "$b")]"
done

case $VMTEST_TOPOLOGY in
single|noiommu|nvme) want=0000:00:03.0 ;;
two-groups) want="0000:00:03.0 0000:00:04.0" ;;
one-group) want="0000:01:01.0 0000:01:02.0" ;;
nonviable) want=0000:01:01.0 ;;
rootport) want=0000:01:00.0 ;;
*) want="(unknown topology $VMTEST_TOPOLOGY)" ;;
esac
vmtest_check topology/edu-bdfs "edu at [$VMTEST_EDU_BDFS], expected [$want]" \
	[ "$VMTEST_EDU_BDFS" = "$want" ]

# what the kernel can be seen to have: vfio's noiommu mode
# (CONFIG_VFIO_NOIOMMU; Debian's stock kernels lack it)
has_noiommu_mode() { [ -e /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ]; }
ok=1 why=
for b in $VMTEST_EDU_BDFS; do
	[ "$(driver_of "$b")" = vfio-pci ] || { ok=0 why="$why $b:driver=$(driver_of "$b")"; }
done
if [ "$VMTEST_TOPOLOGY" = noiommu ] && ! has_noiommu_mode; then
	# Without an IOMMU and without VFIO_NOIOMMU, vfio-pci must refuse the
	# device: it has no IOMMU group.
	b=${VMTEST_EDU_BDFS%% *}
	vmtest_check topology/bound "$b bound to '$(driver_of "$b")' or has group '$(group_of "$b")'" \
		[ -z "$(driver_of "$b")" -a -z "$(group_of "$b")" ]
else
	vmtest_check topology/bound "not bound to vfio-pci:$why" [ $ok = 1 ]
fi

# IOMMU groups.
set -- $VMTEST_EDU_BDFS
g1=$(group_of "$1")
case $VMTEST_TOPOLOGY in
single|rootport|nvme)
	vmtest_check topology/groups "group $g1 holds [$(group_members "$g1")], not [$1] alone" \
		[ -n "$g1" -a "$(group_members "$g1")" = "$1" ] ;;
two-groups)
	g2=$(group_of "$2")
	vmtest_check topology/groups "groups '$g1' and '$g2' should differ" \
		[ -n "$g1" -a -n "$g2" -a "$g1" != "$g2" ] ;;
one-group)
	g2=$(group_of "$2")
	vmtest_check topology/groups "expected one group with the bridge, got '$g1' [$(group_members "$g1")] / '$g2'" \
		[ -n "$g1" -a "$g1" = "$g2" -a "$(group_members "$g1")" = "0000:00:03.0 $1 $2" ] ;;
nonviable)
	vmtest_check topology/groups "expected bridge+edu+virtio in group '$g1', got [$(group_members "$g1")]" \
		[ "$(group_members "$g1")" = "0000:00:03.0 0000:01:01.0 0000:01:02.0" ] ;;
noiommu)
	if ! has_noiommu_mode; then
		vmtest_skip topology/groups "this kernel has no noiommu mode (CONFIG_VFIO_NOIOMMU is off): no noiommu group"
	else
		vmtest_check topology/groups "expected /dev/vfio/noiommu-$g1 and no IOMMU" \
			[ -n "$g1" -a -c "/dev/vfio/noiommu-$g1" -a ! -e /sys/class/iommu/dmar0 ]
	fi ;;
*) vmtest_fail topology/groups "unknown topology $VMTEST_TOPOLOGY" ;;
esac

# Something specific to each topology.
case $VMTEST_TOPOLOGY in
single|two-groups)
	ok=1
	for b in $VMTEST_EDU_BDFS; do [ -c "/dev/vfio/$(group_of "$b")" ] || ok=0; done
	vmtest_check topology/specific "a /dev/vfio/<group> node is missing" [ $ok = 1 ] ;;
one-group)
	vmtest_check topology/specific "reset_method of $1 is [$(reset_of "$1")], expected to include bus" \
		has_word "$(reset_of "$1")" bus ;;
rootport)
	vmtest_check topology/specific "reset_method of $1 is [$(reset_of "$1")], expected to include bus" \
		has_word "$(reset_of "$1")" bus ;;
nonviable)
	vmtest_check topology/specific "virtio-rng 0000:01:02.0 driver is '$(driver_of 0000:01:02.0)', expected virtio-pci" \
		[ "$(driver_of 0000:01:02.0)" = virtio-pci ] ;;
noiommu)
	d=/sys/bus/pci/devices/$1/vfio-dev
	if ! has_noiommu_mode; then
		vmtest_skip topology/specific "this kernel has no noiommu mode (no /sys/module/vfio/parameters/enable_unsafe_noiommu_mode: CONFIG_VFIO_NOIOMMU is off)"
	elif [ -d "$d/noiommu-vfio0" ]; then
		# Linux 7.x (IOMMUFD_NOIOMMU): a noiommu cdev, numbered, with its node
		vmtest_check topology/specific "expected $d/noiommu-vfio0/dev and the node /dev/vfio/devices/noiommu-vfio0" \
			[ -e "$d/noiommu-vfio0/dev" -a -c /dev/vfio/devices/noiommu-vfio0 ]
	else
		# 6.x: vfio-dev/vfio0 without a number, and no node
		vmtest_check topology/specific "expected $d/vfio0 without dev and no /dev/vfio/devices/vfio0" \
			[ -d "$d/vfio0" -a ! -e "$d/vfio0/dev" -a ! -e /dev/vfio/devices/vfio0 ]
	fi ;;
nvme)
	vmtest_check topology/specific "no NVMe controller (1b36:0010) at 0000:00:04.0" \
		[ "$(cat /sys/bus/pci/devices/0000:00:04.0/vendor 2>/dev/null):$(cat /sys/bus/pci/devices/0000:00:04.0/device 2>/dev/null)" = 0x1b36:0x0010 ] ;;
*) vmtest_fail topology/specific "unknown topology $VMTEST_TOPOLOGY" ;;
esac
