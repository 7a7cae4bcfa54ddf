#!/bin/bash
# SPDX-License-Identifier: MIT
# Harness entry of the real-kernel tests: boot a QEMU guest (TCG, q35, emulated
# VT-d) with a chosen kernel and device topology, run one scenario inside it,
# and turn the guest's VMTEST lines (protocol: see guest-init.sh) into TAP on
# stdout, for meson's `protocol: 'tap'`.
#
# Usage: run.sh --kernel custom|custom73|stock|stock73|debian61
#               --topology NAME --scenario FILE
#               --build MESONBUILDDIR [--append "CMDLINE"] [--no-iommu]
#               [--timeout SECONDS] [--interactive] [--] [FILE[=DEST]...]
#   FILEs (test programs, data) are packed into the guest's /vmtest/.
#   --kernel: a label of common.sh's table (custom: 6.12 built here, custom73:
#   7.3 built here, stock: Debian 12's 6.12, stock73: trixie-backports' 7.3,
#   debian61: Debian 12's 6.1). It picks the image and names the logs; the
#   guest gets it (vmtest.kernel=) for messages only: scenarios decide what
#   to expect from what the running kernel has.
#   --interactive: debugging; after the scenario the guest gives a shell on
#   this terminal (exit it to power off); no timeout. Ctrl-A X quits QEMU.
# The run FAILS (a "not ok" line and exit status 1) when: a tool or the kernel
# source is missing, the kernel cannot be built/fetched, QEMU fails, the guest
# panics or times out, VMDONE is missing, or there are fewer results than the
# scenario's "# vmtest-plan: N". The console log is kept in
# MESONBUILDDIR/vm-logs/<kernel>-<topology>-<scenario>.log.
# Env: VFIODEV_VM_CACHE (kernel/initramfs cache), VFIODEV_VM_TIMEOUT (default 120),
#      VFIODEV_VM_QEMU (default qemu-system-x86_64).
#
# Topologies (BDFs as seen in the guests, every kernel; devices are given
# explicit slots so that the BDFs do not depend on QEMU's default devices):
#   name        devices                                         edu BDFs (other)
#   single      edu                                             0000:00:03.0
#   two-groups  edu, edu  (two IOMMU groups)                    0000:00:03.0 0000:00:04.0
#   one-group   pcie-pci-bridge 00:03.0 + edu addr=1, edu addr=2 0000:01:01.0 0000:01:02.0
#               (one IOMMU group with the bridge)
#   nonviable   pcie-pci-bridge 00:03.0 + edu addr=1,           0000:01:01.0 (virtio-rng 0000:01:02.0)
#               virtio-rng-pci addr=2 (a driver-bound group mate)
#   rootport    pcie-root-port 00:03.0 + edu behind it          0000:01:00.0
#   noiommu     edu, NO intel-iommu, vfio.enable_unsafe_noiommu_mode=1
#                                                               0000:00:03.0
#   nvme        edu + NVMe controller (MSI-X, FLR)              0000:00:03.0 (nvme 0000:00:04.0)
#   sriov       NVMe controller with SR-IOV (one VF, created in   (nvme PF 0000:00:04.0)
#               the guest through sriov_numvfs)
#   nvme-disk   NVMe controller on a 1 MiB disk image the host  (nvme 0000:00:04.0)
#               writes a pattern into (LBA 0-63, tag 0x11) and checks after the
#               run (LBA 256-383 must hold the guest's WRITE, tag 0x77; the
#               pattern: examples/nvme-read.c)
#   ivshmem     edu + QEMU's ivshmem-plain, whose BAR2 is a 64 MiB    0000:00:03.0 (ivshmem
#               host file (memory-backend-file, share=on) made fresh   0000:00:05.0)
#               for each run; after it, every "VMSHM <name> <offset>
#               <len> <tag|zero>" line of the guest is checked against
#               the file (tag: byte j is (j * 7 + tag) & 0xff)
#   nvme-net    NVMe controller on an ext4 image the host makes     (nvme 0000:00:04.0,
#               (mkfs.ext4, e2fsprogs) + virtio-net (user netdev,    virtio-net 0000:00:05.0)
#               restricted: no traffic leaves): devices the guest
#               uses as a host would (a mount, an addressed interface)
set -euo pipefail
. "$(dirname "$0")/common.sh"

KERNEL= TOPOLOGY= SCENARIO= BUILD= APPEND= NO_IOMMU=0 INTERACTIVE=0
TIMEOUT=${VFIODEV_VM_TIMEOUT:-120}
QEMU=${VFIODEV_VM_QEMU:-qemu-system-x86_64}

# ---- TAP output -----------------------------------------------------------
TAP_N=0 TAP_FAILED=0
tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=1; echo "not ok $TAP_N - $*"; }
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
tap_diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }
tap_end() { echo "1..$TAP_N"; exit "$TAP_FAILED"; }

# setup_fail MSG: the run could not even start: one failing test, exit 1.
setup_fail() {
	tap_not_ok "${KERNEL:-?}: ${SCENARIO_NAME:-?}: setup: $1"
	[[ -n ${2:-} && -s ${2:-} ]] && tap_diag "$(tail -n 25 "$2")"
	tap_end
}

# ---- arguments ------------------------------------------------------------
while (($#)); do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	--topology) TOPOLOGY=$2; shift 2 ;;
	--scenario) SCENARIO=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--append) APPEND=$2; shift 2 ;;
	--no-iommu) NO_IOMMU=1; shift ;;
	--interactive) INTERACTIVE=1; shift ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	--) shift; break ;;
	-*) setup_fail "unknown option $1" ;;
	*) break ;;
	esac
done
SCENARIO_NAME=$(basename "${SCENARIO:-?}" .sh)
[[ " $VM_KERNELS " == *" ${KERNEL:-?} "* ]] ||
	setup_fail "--kernel must be one of: $VM_KERNELS (got '${KERNEL}')"
[[ -n $BUILD ]] || setup_fail "--build MESONBUILDDIR is required"
[[ -n $TOPOLOGY ]] || setup_fail "--topology is required"
[[ -r $SCENARIO ]] || setup_fail "scenario '${SCENARIO}' not found"
PLAN=$(sed -n 's/^# vmtest-plan:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' "$SCENARIO" | head -n 1)
[[ -n $PLAN && $PLAN -gt 0 ]] || setup_fail "scenario $SCENARIO lacks a '# vmtest-plan: N' header"

# ---- topologies: the one place that defines them --------------------------
# Sets TOPO_DEVICES (QEMU arguments), TOPO_IOMMU (1: add intel-iommu) and
# TOPO_APPEND (kernel command line). Keep the BDF table above in sync.
TOPO_DEVICES=() TOPO_IOMMU=1 TOPO_APPEND= TOPO_MEM=
case $TOPOLOGY in
single)
	TOPO_DEVICES=(-device edu,addr=03.0) ;;
two-groups)
	TOPO_DEVICES=(-device edu,addr=03.0 -device edu,addr=04.0) ;;
one-group)
	TOPO_DEVICES=(-device pcie-pci-bridge,id=br0,addr=03.0
		-device edu,bus=br0,addr=1 -device edu,bus=br0,addr=2) ;;
nonviable)
	TOPO_DEVICES=(-device pcie-pci-bridge,id=br0,addr=03.0
		-device edu,bus=br0,addr=1 -device virtio-rng-pci,bus=br0,addr=2) ;;
rootport)
	TOPO_DEVICES=(-device pcie-root-port,id=rp1,chassis=1,addr=03.0 -device edu,bus=rp1) ;;
noiommu)
	# 256 MiB: every physical page below the edu's 28-bit DMA mask, as
	# a noiommu device DMAs to physical addresses
	TOPO_DEVICES=(-device edu,addr=03.0) TOPO_IOMMU=0 TOPO_MEM=256M
	TOPO_APPEND="vfio.enable_unsafe_noiommu_mode=1" ;;
nvme)
	TOPO_DEVICES=(-device edu,addr=03.0
		-drive file=/dev/null,if=none,id=nv0,format=raw,readonly=on
		-device nvme,serial=vfiodev0,drive=nv0,addr=04.0) ;;
sriov)
	TOPO_DEVICES=(-device nvme-subsys,id=nvsub0
		-device nvme,serial=vfiodev-pf,subsys=nvsub0,sriov_max_vfs=1,sriov_vq_flexible=2,sriov_vi_flexible=1,addr=04.0) ;;
nvme-disk)
	DISK=$BUILD/vm-work/$KERNEL-$TOPOLOGY-$SCENARIO_NAME.disk
	TOPO_DEVICES=(-drive "file=$DISK,if=none,id=nv0,format=raw"
		-device nvme,serial=vfiodev-disk,drive=nv0,addr=04.0) ;;
nvme-net)
	FSDISK=$BUILD/vm-work/$KERNEL-$TOPOLOGY-$SCENARIO_NAME.ext4
	TOPO_DEVICES=(-drive "file=$FSDISK,if=none,id=nv0,format=raw"
		-device nvme,serial=vfiodev-fs,drive=nv0,addr=04.0
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,addr=05.0) ;;
ivshmem)
	SHMFILE=$BUILD/vm-work/$KERNEL-$TOPOLOGY-$SCENARIO_NAME.shm
	TOPO_DEVICES=(-device edu,addr=03.0
		-object "memory-backend-file,id=shm0,share=on,mem-path=$SHMFILE,size=64M"
		-device ivshmem-plain,memdev=shm0,addr=05.0) ;;
*) setup_fail "unknown topology '$TOPOLOGY' (single two-groups one-group nonviable rootport noiommu nvme sriov nvme-disk nvme-net ivshmem)" ;;
esac
((NO_IOMMU)) && TOPO_IOMMU=0

# ---- the disk image (nvme-disk) ---------------------------------------------
# disk_pattern LBA N TAG: N 512-byte blocks of examples/nvme-read.c's pattern
# (byte j of block lba = (lba * 31 + j * 7 + TAG) & 0xff). perl-base is
# Essential in Debian, so it is on every machine that runs this.
disk_pattern() {
	perl -e 'my ($l, $n, $t) = @ARGV; for my $b ($l .. $l + $n - 1) {
		print pack("C*", map { ($b * 31 + $_ * 7 + $t) & 0xff } 0 .. 511) }' \
		"$1" "$2" "$(($3))"
}
DISK=${DISK:-}
if [[ -n $DISK ]]; then
	mkdir -p "$(dirname "$DISK")" && rm -f "$DISK" && truncate -s 1M "$DISK" &&
		disk_pattern 0 64 0x11 | dd of="$DISK" bs=512 conv=notrunc status=none ||
		setup_fail "cannot write the disk image $DISK"
fi

# ---- the shared memory file (ivshmem) ---------------------------------------
# shm_pattern N TAG: N bytes of p2ptest's pattern (byte j = (j * 7 + TAG) & 0xff)
shm_pattern() {
	perl -e 'my ($n, $t) = @ARGV; print pack("C*", map { ($_ * 7 + $t) & 0xff } 0 .. $n - 1)' \
		"$1" "$(($2))"
}
SHMFILE=${SHMFILE:-}
if [[ -n $SHMFILE ]]; then
	mkdir -p "$(dirname "$SHMFILE")" && rm -f "$SHMFILE" && truncate -s 64M "$SHMFILE" ||
		setup_fail "cannot make the shared memory file $SHMFILE"
fi

# ---- the file system image (nvme-net) -------------------------------------
# 8 MiB of ext4 (the kernels have it built in), made fresh for each run: the
# guest mounts it, and its device is taken from under the mount
FSDISK=${FSDISK:-}
if [[ -n $FSDISK ]]; then
	MKFS=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4) ||
		setup_fail "mkfs.ext4 not found (apt-get install e2fsprogs)"
	mkdir -p "$(dirname "$FSDISK")" && rm -f "$FSDISK" && truncate -s 8M "$FSDISK" &&
		"$MKFS" -q -F -L vfiodev-fs "$FSDISK" >/dev/null 2>&1 ||
		setup_fail "cannot make the ext4 image $FSDISK"
fi

# ---- kernel and initramfs -------------------------------------------------
command -v "$QEMU" >/dev/null || setup_fail "$QEMU not found (apt-get install qemu-system-x86)"
LOGDIR=$BUILD/vm-logs
WORK=$BUILD/vm-work
mkdir -p "$LOGDIR" "$WORK" || setup_fail "cannot create $LOGDIR"
RUN_ID=$KERNEL-$TOPOLOGY-$SCENARIO_NAME
LOG=$LOGDIR/$RUN_ID.log
SETUP_LOG=$LOGDIR/$RUN_ID.setup.log
: >"$SETUP_LOG"

MODROOT=
IMAGE=$(vm_kernel_image "$KERNEL" 2>>"$SETUP_LOG" | tail -n 1) ||
	setup_fail "building or fetching the $KERNEL kernel failed (log: $SETUP_LOG)" "$SETUP_LOG"
[[ -n $IMAGE && -s $IMAGE ]] || setup_fail "no kernel image (log: $SETUP_LOG)" "$SETUP_LOG"
[[ -d $(dirname "$IMAGE")/modroot ]] && MODROOT=$(dirname "$IMAGE")/modroot

INITRD=$WORK/$RUN_ID.cpio.gz
"$VM_DIR/mkinitramfs.sh" -o "$INITRD" ${MODROOT:+-m "$MODROOT"} -s "$SCENARIO" -- "$@" \
	>/dev/null 2>>"$SETUP_LOG" || setup_fail "packing the initramfs failed (log: $SETUP_LOG)" "$SETUP_LOG"

# ---- boot -----------------------------------------------------------------
# Measured with QEMU 7.2.22 (Debian) under TCG:
# - kernel-irqchip=split is accepted with -accel tcg (it only means something
#   to KVM); intel-iommu,intremap=on works with and without it ("DMAR-IR:
#   Enabled IRQ remapping in xapic mode" either way). Kept for KVM parity.
# - -nodefaults drops the default VGA and e1000e; devices get explicit slots.
# - The kernels turn VT-d on without intel_iommu=on (Debian's config has
#   INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y); we pass it anyway so a future
#   default change cannot silently switch the IOMMU off.
# - quiet keeps the console to errors; panic=-1 + -no-reboot end QEMU at once
#   on a panic; poweroff -f (ACPI) ends it after VMDONE.
# - no_timer_check: under TCG on a loaded host the IO-APIC timer check can
#   fail ("Kernel panic - not syncing: timer doesn't work through
#   Interrupt-remapped IO-APIC", seen here once with fuzzers beside the
#   suite); the check proves nothing about the devices under test.
CMDLINE="console=ttyS0 quiet panic=-1 no_timer_check vmtest.kernel=$KERNEL vmtest.topology=$TOPOLOGY vmtest.script=/vmtest/scenario.sh"
QARGS=(-accel tcg -M q35,kernel-irqchip=split -m "${TOPO_MEM:-512M}" -smp 1
	-nographic -nodefaults -serial stdio -no-reboot
	-kernel "$IMAGE" -initrd "$INITRD")
if ((TOPO_IOMMU)); then
	QARGS+=(-device intel-iommu,intremap=on,caching-mode=on)
	CMDLINE+=" intel_iommu=on"
fi
CMDLINE+="${TOPO_APPEND:+ $TOPO_APPEND}${APPEND:+ $APPEND}"
((INTERACTIVE)) && CMDLINE+=" vmtest.shell=1"
QARGS+=("${TOPO_DEVICES[@]}" -append "$CMDLINE")

{
	echo "# $QEMU ${QARGS[*]}"
	echo "# timeout ${TIMEOUT}s"
} >"$LOG"
t0=$(date +%s.%N)
rc=0
if ((INTERACTIVE)); then
	"$QEMU" "${QARGS[@]}" 2>&1 | tee -a "$LOG" >&2 || rc=$?
else
	timeout -k 5 "$TIMEOUT" "$QEMU" "${QARGS[@]}" </dev/null >>"$LOG" 2>&1 || rc=$?
fi
t1=$(date +%s.%N)
ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

# ---- results --------------------------------------------------------------
# Console lines end in \r\n and SeaBIOS leaves terminal escapes; a kernel
# message can land in front of a VMTEST line, so markers are searched anywhere
# in a line.
CLEAN=$WORK/$RUN_ID.console
tr -d '\r' <"$LOG" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[c]//g' >"$CLEAN"

problems=()
declare -A seen=()
results=0
while IFS= read -r line; do
	line=VMTEST${line#*VMTEST}
	if [[ $line =~ ^VMTEST\ ([A-Za-z0-9._/:-]+)\ (PASS|FAIL|SKIP)(\ (.*))?$ ]]; then
		name=${BASH_REMATCH[1]} verdict=${BASH_REMATCH[2]} reason=${BASH_REMATCH[4]:-}
		results=$((results + 1))
		label="$KERNEL: $name"
		if [[ -n ${seen[$name]:-} ]]; then
			tap_not_ok "$label (duplicate result)"
			continue
		fi
		seen[$name]=1
		case $verdict in
		PASS) tap_ok "$label" ;;
		FAIL) tap_not_ok "$label"; tap_diag "${reason:-no reason given}" ;;
		SKIP)
			if [[ -n $reason ]]; then
				tap_skip "$label" "$reason"
			else
				tap_not_ok "$label (SKIP without a reason)"
			fi ;;
		esac
	else
		problems+=("malformed result line: $line")
	fi
done < <(grep -a 'VMTEST ' "$CLEAN" || true)

if ((rc == 124 || rc == 137)); then
	problems+=("timeout: the guest did not finish within ${TIMEOUT}s")
elif ((rc != 0)); then
	problems+=("$QEMU exited with status $rc")
fi
grep -aq 'Kernel panic' "$CLEAN" && problems+=("guest kernel panic: $(grep -a -m1 'Kernel panic' "$CLEAN")")
for pat in 'BUG: ' 'Oops' 'WARNING: CPU' 'general protection fault'; do
	if grep -aq "$pat" "$CLEAN"; then
		problems+=("guest kernel reported: $(grep -a -m1 "$pat" "$CLEAN")")
	fi
done
grep -aq 'VMSTART ' "$CLEAN" || problems+=("the guest's init never started (no VMSTART)")
done_line=$(grep -a -m1 -o 'VMDONE [0-9]*' "$CLEAN" || true)
if [[ -z $done_line ]]; then
	problems+=("no VMDONE marker: the guest did not finish its scenario")
elif [[ $done_line != "VMDONE 0" ]]; then
	problems+=("the scenario exited with status ${done_line#VMDONE }")
fi
if ((results < PLAN)); then
	problems+=("only $results of the $PLAN results the scenario declares")
elif ((results > PLAN)); then
	problems+=("$results results but the scenario declares $PLAN")
fi

# The guest's DMA into the ivshmem BAR, checked on the host: the file after
# QEMU exited holds each announced pattern (or zeros) at its offset
if [[ -n $SHMFILE ]]; then
	shm_lines=0
	while read -r _ name off len what; do
		if ! [[ $off =~ ^0x[0-9a-f]+$ && $len =~ ^[1-9][0-9]*$ && $what =~ ^(zero|0x[0-9a-f]+)$ ]]; then
			tap_not_ok "$KERNEL: host: malformed VMSHM line: $name $off $len $what"
			continue
		fi
		shm_lines=$((shm_lines + 1))
		got=$(dd if="$SHMFILE" bs=4096 iflag=skip_bytes,count_bytes skip=$((off)) count=$((len)) status=none | od -v -A n -t x1 | tr -d ' \n')
		if [[ $what == zero ]]; then
			want=$(head -c "$len" /dev/zero | od -v -A n -t x1 | tr -d ' \n')
			desc="$len bytes at offset $off of the backing file are zero (the DMA did not land)"
		else
			want=$(shm_pattern "$len" "$what" | od -v -A n -t x1 | tr -d ' \n')
			desc="the backing file holds the guest's $len-byte DMA (pattern $what) at offset $off"
		fi
		if [[ $got == "$want" ]]; then
			tap_ok "$KERNEL: host: $name: $desc"
		else
			tap_not_ok "$KERNEL: host: $name: $desc: NO"
			tap_diag "first bytes there: ${got:0:64}"
		fi
	done < <(grep -a -o 'VMSHM [A-Za-z0-9._-]* 0x[0-9a-f]* [0-9]* [0-9a-z]*' "$CLEAN" || true)
	((shm_lines)) || { tap_not_ok "$KERNEL: host: the guest announced no DMA into the ivshmem BAR (no VMSHM line)"; }
fi

# The guest's writes, checked on the host: the disk image after QEMU exited.
if [[ -n $DISK ]]; then
	if cmp -s <(dd if="$DISK" bs=512 skip=256 count=128 status=none) <(disk_pattern 256 128 0x77) &&
		cmp -s <(dd if="$DISK" bs=512 count=64 status=none) <(disk_pattern 0 64 0x11); then
		tap_ok "$KERNEL: host: the disk image holds the guest's WRITE (LBA 256-383) and the host's blocks (LBA 0-63)"
	else
		tap_not_ok "$KERNEL: host: the disk image does not hold the guest's WRITE at LBA 256-383 (or LBA 0-63 changed)"
		tap_diag "$(dd if="$DISK" bs=512 skip=256 count=1 status=none | od -A d -t x1 | head -n 4)"
	fi
fi

vmname="$KERNEL: $SCENARIO_NAME: vm run ($TOPOLOGY, $results/$PLAN results, ${ELAPSED}s)"
if ((${#problems[@]})); then
	tap_not_ok "$vmname"
	for p in "${problems[@]}"; do tap_diag "$p"; done
	tap_diag "console log: $LOG"
	tap_diag "last console lines:"
	tap_diag "$(grep -av '^#' "$CLEAN" | tail -n 15)"
else
	tap_ok "$vmname"
fi
((TAP_FAILED)) && tap_diag "console log: $LOG"
tap_end
