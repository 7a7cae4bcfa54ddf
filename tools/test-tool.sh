#!/bin/bash
# SPDX-License-Identifier: MIT
# Tests of the vfiodev tool against fake sysfs and /dev trees (through
# VFIODEV_SYSFS_ROOT and VFIODEV_DEV_ROOT): every command's --json output
# must parse (python3's json module) and hold what the tree says, strings
# with quotes and backslashes included; exit statuses follow vfiodev(1).
# Usage: test-tool.sh PATH-TO-vfiodev      (TAP on stdout; 77: skipped)
set -u

TOOL=$1
# the system's python3 first: a version manager's shim costs ~0.3 s a call
PY=$(command -v /usr/bin/python3 || command -v python3) ||
	{ echo "1..0 # SKIP python3 not found"; exit 77; }
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vfiodev-tool.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
export VFIODEV_SYSFS_ROOT=$ROOT/sys VFIODEV_DEV_ROOT=$ROOT/dev
unset VFIODEV_BACKEND VFIODEV_LOG

N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=1; echo "not ok $N - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# check NAME EXPECTED-STATUS PYTHON-ASSERTION -- ARGS...: run the tool with
# --json, check its status, that stdout parses, and the assertion on it (j)
check() {
	local name=$1 want=$2 expr=$3 out rc
	shift 4
	out=$("$TOOL" "$@" --json 2>"$ROOT/stderr")
	rc=$?
	if [[ $rc != "$want" ]]; then
		not_ok "$name" "exit status $rc, expected $want" "$(cat "$ROOT/stderr")" "$out"
		return
	fi
	# one interpreter: parse (status 3 when not JSON), then the assertion
	printf '%s' "$out" | "$PY" -c "
import json, sys
try:
    j = json.load(sys.stdin)
except ValueError as e:
    print(e, file=sys.stderr)
    sys.exit(3)
assert $expr, j" 2>"$ROOT/py.err"
	rc=$?
	if [[ $rc == 3 ]]; then
		not_ok "$name" "not valid JSON: $(cat "$ROOT/py.err")" "$out"
		return
	elif [[ $rc != 0 ]]; then
		not_ok "$name" "assertion failed: $expr" "$(tail -n 3 "$ROOT/py.err")"
		return
	fi
	ok "$name"
}

# dev BDF GROUP DRIVER: a PCI device in sysfs
dev() {
	local d=$ROOT/sys/bus/pci/devices/$1
	mkdir -p "$d" "$ROOT/sys/kernel/iommu_groups/$2/devices"
	echo 0x1234 >"$d/vendor"; echo 0x11e8 >"$d/device"; echo 0x00ff00 >"$d/class"
	echo "(null)" >"$d/driver_override"
	ln -s "$d" "$ROOT/sys/kernel/iommu_groups/$2/devices/$1"
	ln -s "$ROOT/sys/kernel/iommu_groups/$2" "$d/iommu_group"
	if [[ -n $3 ]]; then
		mkdir -p "$ROOT/sys/bus/pci/drivers/$3"
		ln -s "$ROOT/sys/bus/pci/drivers/$3" "$d/driver"
	fi
}

mkdir -p "$ROOT/sys/bus/pci/devices" "$ROOT/sys/bus/pci/drivers/vfio-pci" \
	"$ROOT/dev/vfio/devices" "$ROOT/sys/class/iommu/dmar0"
: >"$ROOT/sys/bus/pci/drivers_probe"
dev 0000:00:03.0 3 ""
dev 0000:01:01.0 1 vfio-pci
dev 0000:01:02.0 1 'we"ird\drv'
dev 0000:00:05.0 5 vfio-pci

# ---- help and usage ------------------------------------------------------
if "$TOOL" --help | grep -q 'doctor BDF'; then ok "--help"; else not_ok "--help"; fi
"$TOOL" frobnicate >/dev/null 2>&1
[[ $? == 2 ]] && ok "unknown command: status 2" || not_ok "unknown command: status 2"
"$TOOL" info >/dev/null 2>&1
[[ $? == 2 ]] && ok "missing BDF: status 2" || not_ok "missing BDF: status 2"
for size in lots 16777216T 18446744073709551616 -1 ' 5' 0x; do
	"$TOOL" doctor 0000:00:03.0 --map-bytes "$size" >/dev/null 2>&1
	[[ $? == 2 ]] && ok "bad size '$size': status 2" || not_ok "bad size '$size': status 2"
done
check "a size just below 2^64 is one" 1 "j['ok'] is False" -- doctor 0000:00:03.0 --map-bytes 16777215T

# a malformed BDF: a usage error (status 2) for every command, said once
for c in info bind unbind doctor; do
	"$TOOL" $c zz >/dev/null 2>"$ROOT/stderr"
	rc=$? n=$(grep -c 'not a PCI address' "$ROOT/stderr")
	if [[ $rc == 2 && $n == 1 && $(wc -l <"$ROOT/stderr") == 2 ]]; then
		ok "$c zz: status 2, one error line"
	else
		not_ok "$c zz: status 2, one error line" "status $rc, $n error lines" "$(cat "$ROOT/stderr")"
	fi
done
check "doctor zz --json: a document saying why" 2 \
	"j['ok'] is False and \"'zz' is not a PCI address\" in j['error']" -- doctor zz
check "bind zz --json: a document saying why" 2 \
	"j['ok'] is False and 'not a PCI address' in j['error']" -- bind zz
check "info: the address comes out normalised" 1 "j['bdf'] == '0000:00:03.0'" -- info 00:03.0

# ---- list ----------------------------------------------------------------
check "list: every device, sorted" 0 \
	"[d['bdf'] for d in j['devices']] == ['0000:00:03.0', '0000:00:05.0', '0000:01:01.0', '0000:01:02.0']" -- list
check "list: a driver name with a quote and a backslash survives" 0 \
	"j['devices'][3]['driver'] == 'we\"ird\\\\drv' and j['devices'][3]['vendor'] == '0x1234'" -- list
check "list: group members and the blocker" 0 \
	"[m['blocking'] for m in j['devices'][2]['group_members']] == [False, True]" -- list
check "list --vfio" 0 "len(j['devices']) == 2" -- list --vfio
if "$TOOL" list | grep -q '^0000:00:03.0 *1234:11e8'; then ok "list: text"; else not_ok "list: text"; fi

# ---- doctor --------------------------------------------------------------
check "doctor: unbound device cannot be opened" 1 \
	"not j['ok'] and any(f['check'] == 'driver' and f['severity'] == 'error' and 'vfiodev bind 0000:00:03.0' in f['remedy'] for f in j['findings'])" \
	-- doctor 0000:00:03.0
check "doctor: non-viable group names the blocker and its driver" 1 \
	"any(f['check'] == 'group' and '0000:01:02.0 is bound to we\"ird\\\\drv' in f['found'] for f in j['findings']) and j['backend'] is None" \
	-- doctor 0000:01:01.0
check "doctor: missing device" 1 \
	"j['findings'][0]['check'] == 'device' and j['findings'][0]['severity'] == 'error'" \
	-- doctor 0000:00:09.0
# plain files where the group and container nodes belong
mkdir -p "$ROOT/dev/vfio"
: >"$ROOT/dev/vfio/5"
: >"$ROOT/dev/vfio/vfio"
check "doctor: plain files are no device nodes" 1 \
	"[f['severity'] for f in j['findings'] if f['check'] == 'node' and 'is not a character device' in f['found']] == ['error', 'error']" \
	-- doctor 0000:00:05.0 --no-open
rm -f "$ROOT/dev/vfio/5" "$ROOT/dev/vfio/vfio"
out=$("$TOOL" doctor 0000:01:01.0 2>&1)
if grep -q 'fix: vfiodev bind 0000:01:02.0' <<<"$out"; then ok "doctor: text shows the remedy"; else not_ok "doctor: text shows the remedy" "$out"; fi

# ---- a device with real character nodes (mknod needs root) ---------------
mk() { mknod "$ROOT/dev/$1" c "$2" "$3" 2>/dev/null; }
if mk vfio/5 1 3 && mk vfio/vfio 1 7; then
	mkdir -p "$ROOT/sys/class/vfio/5" "$ROOT/sys/module/vfio_iommu_type1/parameters"
	echo 1:3 >"$ROOT/sys/class/vfio/5/dev"
	echo 65535 >"$ROOT/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
	mkdir -p "$ROOT/sys/bus/pci/devices/0000:00:05.0/vfio-dev/vfio0"
	check "doctor: kernel without cdev: container backend and why" 0 \
		"j['ok'] and j['backend'] == 'container' and 'CONFIG_VFIO_DEVICE_CDEV' in j['backend_reason'] and not j['trial_open']['attempted']" \
		-- doctor 0000:00:05.0 --no-open
	check "doctor: dma_entry_limit exceeded" 1 \
		"any(f['check'] == 'dma-entry-limit' and f['severity'] == 'error' for f in j['findings'])" \
		-- doctor 0000:00:05.0 --no-open --map-count 70000
	echo 2:3 >"$ROOT/sys/class/vfio/5/dev"
	check "doctor: a node with the wrong major:minor" 1 \
		"any(f['check'] == 'node' and 'is 1:3 but sysfs names 2:3' in f['found'] for f in j['findings'])" \
		-- doctor 0000:00:05.0 --no-open
	echo 1:3 >"$ROOT/sys/class/vfio/5/dev"
	check "list: the container path is usable" 0 \
		"j['devices'][1]['paths'] == {'iommufd': False, 'container': True, 'noiommu': False}" -- list
else
	for t in "kernel without cdev" "dma_entry_limit" "wrong major:minor" "container path"; do
		N=$((N + 1)); echo "ok $N - $t # SKIP mknod needs root"
	done
fi

# ---- info, bind, unbind: nothing real to open or probe -------------------
check "info: cannot open a device without a driver" 1 \
	"j['opened'] is False and j['driver'] is None and 'not bound' in j['error']" -- info 0000:00:03.0
# the modules there (vfio-pci registered, Type1 built in), the bind goes
# through the sysfs writes; nothing here probes, so vfio-pci never claims
# the device
rm -rf "$ROOT/sys/module/vfio_iommu_type1"
check "bind: a module that cannot load fails the bind, naming it" 1 \
	"j['ok'] is False and j['error'].startswith('module vfio_iommu_type1: cannot load it') and j['driver'] is None" \
	-- bind 0000:00:03.0
[[ ! -s $ROOT/sys/bus/pci/drivers_probe ]] && ok "bind: no sysfs write without the modules" ||
	not_ok "bind: no sysfs write without the modules" "drivers_probe holds '$(cat "$ROOT/sys/bus/pci/drivers_probe")'"
mkdir -p "$ROOT/sys/module/vfio_iommu_type1/parameters"
check "bind: the fake PCI core never probes: reported, status 1" 1 \
	"j['ok'] is False and 'vfio-pci did not claim the device' in j['error'] and j['driver'] is None and [m['state'] for m in j['modules'] if m['name'] == 'vfio_iommu_type1'] == ['built-in']" \
	-- bind 0000:00:03.0
[[ $(cat "$ROOT/sys/bus/pci/drivers_probe") == 0000:00:03.0 ]] && ok "bind: the address went to drivers_probe" ||
	not_ok "bind: the address went to drivers_probe" "drivers_probe holds '$(cat "$ROOT/sys/bus/pci/drivers_probe")'"
check "unbind: a device without a driver" 0 "j['ok'] and j['driver'] is None" \
	-- unbind 0000:00:03.0 --none

# the host's interface on it: refused before any sysfs write, --force goes on
nd=$ROOT/sys/bus/pci/devices/0000:00:03.0/virtio0/net/eth0
mkdir -p "$nd" "$ROOT/sys/class/net" "$ROOT/proc/net"
ln -s "$ROOT/sys/class/net" "$nd/subsystem"
echo 0x1003 >"$nd/flags"
printf 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\n' \
	>"$ROOT/proc/net/route"
: >"$ROOT/sys/bus/pci/drivers_probe"
check "bind: a device the host uses is refused, naming the user" 1 \
	"j['ok'] is False and j['error'] == '0000:00:03.0: in use by the host: eth0 (default route); bind with force to take it anyway (vfiodev bind --force)' and j['driver'] is None" \
	-- bind 0000:00:03.0
[[ ! -s $ROOT/sys/bus/pci/drivers_probe && $(cat "$ROOT/sys/bus/pci/devices/0000:00:03.0/driver_override") != vfio-pci ]] &&
	ok "bind: nothing written for a device the host uses" ||
	not_ok "bind: nothing written for a device the host uses" "drivers_probe '$(cat "$ROOT/sys/bus/pci/drivers_probe")'"
out=$("$TOOL" bind 0000:00:03.0 2>/dev/null)
[[ $out == *"0000:00:03.0: not bound to vfio-pci: in use by the host: eth0 (default route)"* ]] &&
	ok "bind: the text names the user" || not_ok "bind: the text names the user" "$out"
check "bind --force: past the check, to the probe" 1 \
	"j['ok'] is False and 'vfio-pci did not claim the device' in j['error']" \
	-- bind 0000:00:03.0 --force
rm -rf "$ROOT/sys/bus/pci/devices/0000:00:03.0/virtio0" "$ROOT/proc"

# a device that is not there: said once, the cause in the JSON, and bind
# loads no module for it
for c in bind unbind; do
	check "$c: a missing device" 1 \
		"j['ok'] is False and j['error'] == 'vfiodev_place: no such PCI device in $ROOT/sys/bus/pci/devices'.replace('vfiodev_place', '0000:00:09.0')" \
		-- $c 0000:00:09.0
	"$TOOL" $c 0000:00:09.0 >/dev/null 2>"$ROOT/stderr"
	n=$(wc -l <"$ROOT/stderr")
	[[ $n == 1 ]] && ok "$c: a missing device is reported once" ||
		not_ok "$c: a missing device is reported once" "$n lines" "$(cat "$ROOT/stderr")"
done
check "bind: a missing device loads no module" 1 "j['modules'] == []" -- bind 0000:00:09.0
out=$("$TOOL" unbind 0000:00:09.0 2>/dev/null)
[[ $out == "0000:00:09.0: no such PCI device in $ROOT/sys/bus/pci/devices" ]] &&
	ok "unbind: the text names the device once" || not_ok "unbind: the text names the device once" "$out"

# ---- mdev: parents, types, devices; create and remove ---------------------
U1=8a4e2b3c-1d2e-4f50-9a1b-2c3d4e5f6a7b
U2=0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d
check "mdev types: no parent is no error" 0 "j['ok'] and j['parents'] == []" -- mdev types
pd=$ROOT/sys/devices/virtual/mtty/mtty
for t in 1:"Single port serial":24 2:"Dual port serial":0; do
	id=mtty-${t%%:*} rest=${t#*:}
	td=$pd/mdev_supported_types/$id
	mkdir -p "$td/devices"
	echo "${rest%:*}" >"$td/name"; echo vfio-pci >"$td/device_api"
	echo "${rest##*:}" >"$td/available_instances"; : >"$td/create"
done
printf 'two ports\nno modem lines\n' >"$pd/mdev_supported_types/mtty-2/description"
mkdir -p "$ROOT/sys/class/mdev_bus" "$ROOT/sys/bus/mdev/devices" "$ROOT/sys/bus/mdev/drivers/mtty" \
	"$pd/$U1/vfio-dev/vfio4" "$ROOT/sys/kernel/iommu_groups/40/devices"
ln -s "$pd" "$ROOT/sys/class/mdev_bus/mtty"
ln -s "$pd/$U1" "$ROOT/sys/bus/mdev/devices/$U1"
ln -s "$ROOT/sys/bus/mdev" "$pd/$U1/subsystem"
ln -s "$ROOT/sys/bus/mdev/drivers/mtty" "$pd/$U1/driver"
ln -s "$pd/mdev_supported_types/mtty-1" "$pd/$U1/mdev_type"
ln -s "$pd/$U1" "$pd/mdev_supported_types/mtty-1/devices/$U1"
ln -s "$ROOT/sys/kernel/iommu_groups/40" "$pd/$U1/iommu_group"
ln -s "$pd/$U1" "$ROOT/sys/kernel/iommu_groups/40/devices/$U1"
echo vfio-noiommu >"$ROOT/sys/kernel/iommu_groups/40/name"
: >"$pd/$U1/remove"
check "mdev types: mtty's two types with their attributes" 0 \
	"[(t['id'], t['name'], t['available_instances'], t['device_api'], t['devices'], t['description']) for t in j['parents'][0]['types']] == [('mtty-1', 'Single port serial', 24, 'vfio-pci', 1, None), ('mtty-2', 'Dual port serial', 0, 'vfio-pci', 0, 'two ports\\nno modem lines')]" \
	-- mdev types
check "mdev list: the device, its parent, type, group and cdev" 0 \
	"[(d['uuid'], d['parent'], d['type'], d['driver'], d['iommu_group'], d['cdev']) for d in j['devices']] == [('$U1', 'mtty', 'mtty-1', 'mtty', 40, 'vfio4')] and j['devices'][0]['sysfs_path'] == '$ROOT/sys/bus/mdev/devices/$U1'" \
	-- mdev list
check "mdev types PARENT: an unknown parent is named" 1 \
	"j['ok'] is False and \"no mdev parent 'gpu'\" in j['error'] and '(parents: mtty)' in j['error']" -- mdev types gpu
if "$TOOL" mdev types | grep -q 'available:   24 (devices: 1)'; then ok "mdev types: text"; else not_ok "mdev types: text"; fi
check "mdev create: no such type, the types named" 1 \
	"j['ok'] is False and j['error'] == \"mdev parent mtty has no type 'mtty-9' (its types: mtty-1, mtty-2)\"" \
	-- mdev create mtty mtty-9
check "mdev create: no instances left" 1 \
	"j['ok'] is False and 'has no instances left' in j['error']" -- mdev create mtty mtty-2
check "mdev create: the UUID taken" 1 \
	"j['ok'] is False and 'exists already' in j['error']" -- mdev create mtty mtty-1 --uuid "$U1"
[[ ! -s $pd/mdev_supported_types/mtty-1/create && ! -s $pd/mdev_supported_types/mtty-2/create ]] &&
	ok "mdev create: nothing written for a refusal" || not_ok "mdev create: nothing written for a refusal"
check "mdev create --uuid: the UUID written to create" 0 \
	"j['ok'] and j['uuid'] == '$U2'" -- mdev create mtty mtty-1 --uuid "${U2^^}"
[[ $(cat "$pd/mdev_supported_types/mtty-1/create") == "$U2" ]] && ok "mdev create: create holds the UUID" ||
	not_ok "mdev create: create holds the UUID" "$(cat "$pd/mdev_supported_types/mtty-1/create")"
out=$("$TOOL" mdev create mtty mtty-1 2>/dev/null)
[[ $out =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ && $(cat "$pd/mdev_supported_types/mtty-1/create") == "$out" ]] &&
	ok "mdev create: a random v4 UUID, printed" || not_ok "mdev create: a random v4 UUID, printed" "$out"
check "mdev remove: no such device" 1 "j['ok'] is False and 'no such mediated device' in j['error']" -- mdev remove "$U2"
check "mdev remove: writes 1 to remove" 0 "j['ok'] and j['uuid'] == '$U1'" -- mdev remove "$U1"
[[ $(cat "$pd/$U1/remove") == 1 ]] && ok "mdev remove: remove holds 1" || not_ok "mdev remove: remove holds 1"
check "info UUID: an mdev without nodes cannot be opened, said" 1 \
	"j['opened'] is False and j['sysfs_path'] == '$ROOT/sys/bus/mdev/devices/$U1' and j['error']" -- info "$U1"
for args in "mdev" "mdev frob" "mdev create mtty" "mdev remove" "list --uuid $U1"; do
	"$TOOL" $args >/dev/null 2>&1
	[[ $? == 2 ]] && ok "'vfiodev $args' is a usage error" || not_ok "'vfiodev $args' is a usage error"
done

# ---- JSON whatever the bytes ---------------------------------------------
dev 0000:02:00.0 7 $'b\xffad\xc3(\xc3\xa9\xed\xa0\x80'
check "list: invalid UTF-8 in a name becomes U+FFFD" 0 \
	"[d['driver'] for d in j['devices'] if d['bdf'] == '0000:02:00.0'] == ['b\\ufffdad\\ufffd(\\u00e9\\ufffd\\ufffd\\ufffd']" -- list
# a group member whose name is no PCI address, with a host driver
dev 0000:03:00.0 8 vfio-pci
dev platform-dma-engine.0 8 dw-dmac
check "list: a member that cannot be named makes the group unknown" 0 \
	"[(d['group_members_unknown'], d['paths']['container']) for d in j['devices'] if d['bdf'] == '0000:03:00.0'] == [(True, False)]" -- list
check "doctor: the unknown membership is a group error" 1 \
	"any(f['check'] == 'group' and f['severity'] == 'error' and 'could not all be read' in f['found'] for f in j['findings'])" \
	-- doctor 0000:03:00.0 --no-open
mkdir -p "$ROOT/empty"
VFIODEV_SYSFS_ROOT=$ROOT/empty check "list: a failure is a JSON document too" 1 \
	"j['ok'] is False and 'bus/pci/devices' in j['error']" -- list

# ---- arguments and output errors ------------------------------------------
# (a trailing "--" crashed the tool; writes to a full disk exited 0)
for args in "--" "info --" "-- --"; do
	"$TOOL" $args >/dev/null 2>"$ROOT/stderr"
	rc=$?
	[[ $rc == 2 ]] && grep -q "Try 'vfiodev --help'" "$ROOT/stderr" &&
		ok "'vfiodev $args' is a usage error" ||
		not_ok "'vfiodev $args' is a usage error" "exit status $rc" "$(cat "$ROOT/stderr")"
done
"$TOOL" -- list >/dev/null 2>&1 && ok "'vfiodev -- list' runs list" ||
	not_ok "'vfiodev -- list' runs list"
if [[ -w /dev/full ]]; then
	"$TOOL" list --json >/dev/full 2>"$ROOT/stderr"
	rc=$?
	[[ $rc == 1 ]] && grep -q "writing the output" "$ROOT/stderr" &&
		ok "list --json > /dev/full fails and says so" ||
		not_ok "list --json > /dev/full fails and says so" "exit status $rc" "$(cat "$ROOT/stderr")"
else
	ok "list --json > /dev/full fails and says so # SKIP no writable /dev/full here"
fi
"$TOOL" $'li\nst' 2>"$ROOT/stderr" >/dev/null
n=$(grep -c "" "$ROOT/stderr")
[[ $n == 2 ]] && grep -q 'li\\x0ast' "$ROOT/stderr" &&
	ok "a newline in an argument stays inside its error line" ||
	not_ok "a newline in an argument stays inside its error line" "$(cat "$ROOT/stderr")"

echo "1..$N"
exit $FAILED
