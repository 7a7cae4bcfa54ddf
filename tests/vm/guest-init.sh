#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the libvfiodev test-bed guests (busybox sh). Mounts the pseudo file
# systems, loads/binds VFIO as the scenario asks, runs the scenario, prints
# VMDONE and powers the VM off. mkinitramfs.sh installs it as /init.
#
# ---------------------------------------------------------------------------
# Guest-side result protocol (parsed by run.sh on the host)
# ---------------------------------------------------------------------------
# Every in-guest test reports exactly one line on the console, alone on it:
#     VMTEST <name> PASS
#     VMTEST <name> FAIL <reason>
#     VMTEST <name> SKIP <reason>          (a reason is mandatory)
# <name> is one word ([A-Za-z0-9._/-]). C test programs print these lines
# themselves (stdout, line-buffered or flushed); shell scenarios use the
# helpers below (vmtest_pass / vmtest_fail / vmtest_skip / vmtest_check /
# vmtest_run). Any other output is free-form log.
# The init prints "VMSTART <kernel-label> <uname -r>" before the scenario and
# "VMDONE <exit status of the scenario>" after it (preceded by the kernel's
# messages logged during the test, as "kmsg: " lines); run.sh fails the run if
# VMDONE is missing (crash, hang, panic) or the status is not 0.
# A scenario file is a busybox-sh script that starts with header comments:
#     # vmtest-plan: N        how many VMTEST results it must produce (required)
#     # vmtest-bind: SPEC     devices bound to vfio-pci before it runs:
#                             "none" (default), "all-edu" (every 1234:11e8),
#                             or a comma-separated list of BDFs
#     # vmtest-modprobe: M..  modules loaded with kmod's modprobe (softdeps
#                             and all) before binding; default none. Binding
#                             itself loads vfio-pci WITHOUT softdeps, so
#                             vfio_iommu_type1 stays unloaded on the stock
#                             kernel unless listed here.
# The kernel command line carries the rest (set by run.sh):
#     vmtest.kernel=LABEL     custom | custom73 | stock | stock73 | debian61:
#                             for messages only. What a scenario expects of
#                             the kernel it decides from what the kernel has
#                             (the vmtest_kernel_* helpers below, uname -r),
#                             never from this label.
#     vmtest.topology=NAME    the device topology run.sh gave QEMU
#     vmtest.script=PATH      scenario in the initramfs (/vmtest/scenario.sh)
#     vmtest.bind=SPEC        overrides the scenario's vmtest-bind
#     vmtest.shell=1          debugging: run a shell instead of powering off
# The scenario sees: VMTEST_KERNEL, VMTEST_TOPOLOGY, VMTEST_EDU_BDFS (all edu devices, sorted),
# VMTEST_BOUND (the BDFs that were bound), PATH including /vmtest,
# LD_LIBRARY_PATH=/vmtest/lib.
# Source this file with VMTEST_LIB_ONLY=1 to get only the helper functions.
# ---------------------------------------------------------------------------

PATH=/vmtest:/vmtest/bin:/sbin:/bin:/usr/sbin:/usr/bin
# Libraries of the test programs that are not system libraries (the build's
# libvfiodev.so.0): mkinitramfs.sh puts them here.
LD_LIBRARY_PATH=/vmtest/lib
export PATH LD_LIBRARY_PATH

# Debian's busybox-static runs its own applets for bare command names even
# when PATH has another binary (FEATURE_SH_STANDALONE), so `modprobe` would be
# busybox's (which tries finit_module on the .ko.xz first: "Invalid ELF header
# magic" in dmesg). A path bypasses that: these names run kmod's tools.
modprobe() { /sbin/modprobe "$@"; }
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
lsmod() { /sbin/lsmod "$@"; }
modinfo() { /sbin/modinfo "$@"; }
depmod() { /sbin/depmod "$@"; }

vmtest_pass() { echo "VMTEST $1 PASS"; }
vmtest_fail() { _n=$1; shift; echo "VMTEST $_n FAIL ${*:-failed}"; }
vmtest_skip() { _n=$1; shift; echo "VMTEST $_n SKIP ${*:-no reason given}"; }

# vmtest_check NAME REASON-IF-FALSE COMMAND...: PASS if COMMAND succeeds.
vmtest_check() {
	_n=$1 _r=$2; shift 2
	if "$@"; then vmtest_pass "$_n"; else vmtest_fail "$_n" "$_r"; fi
}

# vmtest_run NAME COMMAND...: run a program that does not speak the protocol;
# exit 0 = PASS, 77 = SKIP, anything else = FAIL.
vmtest_run() {
	_n=$1; shift
	"$@"
	_rc=$?
	case $_rc in
	0) vmtest_pass "$_n" ;;
	77) vmtest_skip "$_n" "$1 exited 77" ;;
	*) vmtest_fail "$_n" "$1 exited $_rc" ;;
	esac
}

# PCI IDs of QEMU's edu device.
VMTEST_EDU_ID=1234:11e8

# vmtest_find_pci VENDOR:DEVICE: BDFs of all matching devices, one per line.
vmtest_find_pci() {
	for _d in /sys/bus/pci/devices/*; do
		[ -e "$_d/vendor" ] || continue
		[ "$(cat "$_d/vendor"):$(cat "$_d/device")" = "0x${1%%:*}:0x${1##*:}" ] &&
			echo "${_d##*/}"
	done
	return 0
}

# vmtest_load_nosoftdep MODULE: load MODULE and its hard dependencies
# (modules.dep) with kmod's insmod, but NOT its soft dependencies. Needed
# because kmod's `modprobe vfio-pci` also loads vfio_iommu_type1 (vfio has
# "softdep post: vfio_iommu_type1 vfio_iommu_spapr_tce"), which would hide
# whether the library loads the IOMMU backend itself. Built-ins: no-op.
vmtest_load_nosoftdep() {
	_root=/lib/modules/$(uname -r)
	_want=$(echo "$1" | tr - _)
	[ -d "/sys/module/$_want" ] && return 0
	_files=$(awk -v want="$_want" '
		function norm(p) { sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p); return p }
		{ m = $1; sub(/:$/, "", m)
		  if (norm(m) != want) next
		  for (i = NF; i >= 2; i--) print $i
		  print m; exit }' "$_root/modules.dep" 2>/dev/null)
	if [ -z "$_files" ]; then
		grep -q "/$1.ko\$\|/$_want.ko\$" "$_root/modules.builtin" 2>/dev/null && return 0
		echo "vmtest: module $1 not found" >&2
		return 1
	fi
	for _f in $_files; do
		_n=$(basename "$_f"); _n=${_n%%.ko*}; _n=$(echo "$_n" | tr - _)
		[ -d "/sys/module/$_n" ] && continue
		/sbin/insmod "$_root/$_f" || { echo "vmtest: insmod $_f failed" >&2; return 1; }
	done
}

# vmtest_load_vfio_pci: make the vfio-pci driver available (a module on the
# stock kernels, built in on the custom ones). Does NOT load vfio_iommu_type1.
vmtest_load_vfio_pci() {
	[ -d /sys/bus/pci/drivers/vfio-pci ] && return 0
	vmtest_load_nosoftdep vfio-pci || { echo "vmtest: loading vfio-pci failed" >&2; return 1; }
	[ -d /sys/bus/pci/drivers/vfio-pci ]
}

# vmtest_bind BDF: bind one device to vfio-pci (unbinding its driver first).
vmtest_bind() {
	_dev=/sys/bus/pci/devices/$1
	[ -d "$_dev" ] || { echo "vmtest: no PCI device $1" >&2; return 1; }
	vmtest_load_vfio_pci || return 1
	if [ -e "$_dev/driver" ]; then
		[ "$(basename "$(readlink "$_dev/driver")")" = vfio-pci ] && return 0
		echo "$1" >"$_dev/driver/unbind" || return 1
	fi
	echo vfio-pci >"$_dev/driver_override" &&
		echo "$1" >/sys/bus/pci/drivers_probe &&
		[ "$(basename "$(readlink "$_dev/driver")")" = vfio-pci ] ||
		{ echo "vmtest: binding $1 to vfio-pci failed" >&2; return 1; }
}

# vmtest_unbind BDF: release a device from its driver and clear the override.
vmtest_unbind() {
	_dev=/sys/bus/pci/devices/$1
	[ -e "$_dev/driver" ] && echo "$1" >"$_dev/driver/unbind"
	echo >"$_dev/driver_override"
}

# What the running kernel has, for the scenarios that expect different
# things of different kernels (seen from the guest, never from the label).
# vmtest_module_state NAME: "builtin" (modules.builtin), "module" (a .ko
# in modules.dep) or "absent" (not in this kernel).
vmtest_module_state() {
	_root=/lib/modules/$(uname -r)
	_want=$(echo "$1" | tr - _)
	for _list in modules.builtin modules.dep; do
		awk -v want="$_want" '
			function norm(p) { sub(/:$/, "", p); sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p); return p }
			norm($1) == want { found = 1; exit }
			END { exit !found }' "$_root/$_list" 2>/dev/null || continue
		[ "$_list" = modules.builtin ] && echo builtin || echo module
		return 0
	done
	echo absent
}

# vmtest_kernel_has_vfio_cdev: VFIO devices get a cdev (CONFIG_VFIO_DEVICE_CDEV:
# vfio registers the "vfio-dev" character major, /proc/devices lists it).
# Known once vfio is loaded (a module on the stock kernels: after a bind).
vmtest_kernel_has_vfio_cdev() {
	awk '/^Character devices:/ { c = 1; next } /^Block devices:/ { c = 0 }
		c && $2 == "vfio-dev" { found = 1 } END { exit !found }' /proc/devices
}

# vmtest_kernel_has_iommufd: /dev/iommu exists (CONFIG_IOMMUFD built in, or
# its module loaded).
vmtest_kernel_has_iommufd() { [ -c /dev/iommu ]; }

[ "${VMTEST_LIB_ONLY:-0}" = 1 ] && return 0

# ------------------------------- PID 1 ------------------------------------
vmtest_halt() {
	sync
	if [ "$VMTEST_SHELL" = 1 ]; then
		echo "vmtest: debugging shell (exit to power off)"
		setsid cttyhack sh
	fi
	poweroff -f
	# Still here: let the kernel reboot, which -no-reboot turns into an exit.
	reboot -f
	while :; do sleep 60; done
}

mount -t devtmpfs -o mode=0755 devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm /dev/hugepages /tmp /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null || rmdir /dev/hugepages
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/mounts /etc/mtab 2>/dev/null
ip link set lo up 2>/dev/null || true

VMTEST_KERNEL=unknown VMTEST_TOPOLOGY=unknown VMTEST_SCRIPT=/vmtest/scenario.sh VMTEST_BIND_ARG= VMTEST_SHELL=0
for _arg in $(cat /proc/cmdline); do
	case $_arg in
	vmtest.kernel=*) VMTEST_KERNEL=${_arg#*=} ;;
	vmtest.topology=*) VMTEST_TOPOLOGY=${_arg#*=} ;;
	vmtest.script=*) VMTEST_SCRIPT=${_arg#*=} ;;
	vmtest.bind=*) VMTEST_BIND_ARG=${_arg#*=} ;;
	vmtest.shell=*) VMTEST_SHELL=${_arg#*=} ;;
	esac
done

echo "VMSTART $VMTEST_KERNEL $(uname -r)"
# Kernel messages of the test itself are printed after the scenario ("kmsg:"
# lines): the console shows only errors (quiet), and run.sh looks for
# WARNING/BUG/Oops in them.
_kmsg_seen=$(dmesg | wc -l)
if [ ! -r "$VMTEST_SCRIPT" ]; then
	echo "vmtest: scenario $VMTEST_SCRIPT not found"
	echo "VMDONE 127"
	vmtest_halt
fi

VMTEST_EDU_BDFS=$(vmtest_find_pci $VMTEST_EDU_ID | sort | tr '\n' ' ')
VMTEST_EDU_BDFS=${VMTEST_EDU_BDFS% }

_mods=$(sed -n 's/^# vmtest-modprobe:[[:space:]]*//p' "$VMTEST_SCRIPT" | head -n 1)
for _m in $_mods; do
	modprobe "$_m" || echo "vmtest: modprobe $_m failed (the scenario's tests will show it)"
done

# Binding: the command line wins over the scenario's header.
_bind=$VMTEST_BIND_ARG
[ -n "$_bind" ] || _bind=$(sed -n 's/^# vmtest-bind:[[:space:]]*//p' "$VMTEST_SCRIPT" | head -n 1)
case ${_bind:-none} in
none) _bind_list= ;;
all-edu) _bind_list=$VMTEST_EDU_BDFS ;;
*) _bind_list=$(echo "$_bind" | tr ',' ' ') ;;
esac
VMTEST_BOUND=
for _bdf in $_bind_list; do
	if vmtest_bind "$_bdf"; then
		VMTEST_BOUND="$VMTEST_BOUND $_bdf"
	else
		echo "vmtest: could not bind $_bdf (the scenario's tests will show it)"
	fi
done
VMTEST_BOUND=${VMTEST_BOUND# }

echo "vmtest: kernel=$VMTEST_KERNEL topology=$VMTEST_TOPOLOGY edu=[$VMTEST_EDU_BDFS] bound=[$VMTEST_BOUND]"
export VMTEST_KERNEL VMTEST_TOPOLOGY VMTEST_EDU_BDFS VMTEST_BOUND VMTEST_EDU_ID
cd /tmp
# The scenario runs as a child so that its `exit` cannot end PID 1.
VMTEST_LIB_ONLY=1 sh -c '. /init; . "$1"' vmtest "$VMTEST_SCRIPT"
_rc=$?
dmesg | tail -n +$((_kmsg_seen + 1)) | sed 's/^/kmsg: /'
echo "VMDONE $_rc"
vmtest_halt
