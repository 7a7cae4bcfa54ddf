#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion of vfiodev, against a stand-in `vfiodev list` that
# prints two devices (one on vfio-pci): commands, options per command,
# option arguments, and BDFs where one goes.
# Usage: completion-check.sh COMPLETION-FILE
set -uo pipefail
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
cat >"$stub/vfiodev" <<'STUB'
#!/bin/sh
if [ "$1 $2" = "mdev types" ]; then
	echo "gpu0 (driver vgpu)"
	[ "${3:-gpu0}" = gpu0 ] && echo "  vgpu-a" && echo "      name:        A"
	[ "${3:-}" = gpu0 ] && exit 0
	echo "mtty"
	echo "  mtty-1"
	echo "      name:        Single port serial"
	echo "  mtty-2"
	exit 0
fi
if [ "$1 $2" = "mdev list" ]; then
	echo "UUID                                  PARENT           TYPE             DRIVER       GROUP  VFIO CDEV"
	echo "8a4e2b3c-1d2e-4f50-9a1b-2c3d4e5f6a7b  mtty             mtty-2           mtty         40     vfio4"
	exit 0
fi
[ "$1" = list ] || exit 2
echo "BDF           ID        CLASS  DRIVER           GROUP  VFIO CDEV        PATHS"
[ "${2:-}" = --vfio ] || echo "0000:00:02.0  1af4:1042 018000 virtio-pci       1      -                -"
echo "0000:00:03.0  1234:11e8 00ff00 vfio-pci         2      vfio0            iommufd,container"
STUB
chmod +x "$stub/vfiodev"
PATH=$stub:$PATH
# shellcheck disable=SC1090
. "$1"
fail=0

# expect WORDS... -- WANT: complete the last word of WORDS
expect()
{
	local words=() want
	while [[ $1 != -- ]]; do words+=("$1"); shift; done
	shift
	want=$*
	COMP_WORDS=("${words[@]}")
	COMP_CWORD=$((${#words[@]} - 1))
	_vfiodev
	local got="${COMPREPLY[*]}"
	if [[ $got == "$want" ]]; then
		echo "ok: '${words[*]}' -> $got"
	else
		echo "not ok: '${words[*]}' -> '$got', want '$want'"
		fail=1
	fi
}

expect vfiodev "" -- list info bind unbind doctor mdev
expect vfiodev d -- doctor
expect vfiodev un -- unbind
expect vfiodev bind "" -- 0000:00:02.0 0000:00:03.0
expect vfiodev info "" -- 0000:00:03.0
expect vfiodev doctor 0000:00:0 -- 0000:00:03.0
expect vfiodev info 0000:00:03.0 "" --
expect vfiodev info --b -- --backend
expect vfiodev info --backend "" -- auto iommufd container
expect vfiodev unbind --r -- --restore
expect vfiodev doctor --no -- --no-open
expect vfiodev list --v -- --verbose --version --vfio
expect vfiodev mdev "" -- list types create remove
expect vfiodev mdev cr -- create
expect vfiodev mdev types "" -- gpu0 mtty
expect vfiodev mdev create "" -- gpu0 mtty
expect vfiodev mdev create mtty "" -- mtty-1 mtty-2
expect vfiodev mdev create --uuid x mtty m -- mtty-1 mtty-2
expect vfiodev mdev create mtty mtty-2 "" --
expect vfiodev mdev remove "" -- 8a4e2b3c-1d2e-4f50-9a1b-2c3d4e5f6a7b
expect vfiodev mdev create --u -- --uuid
exit $fail
