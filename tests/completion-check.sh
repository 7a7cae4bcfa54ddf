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

expect vfiodev "" -- list info bind unbind doctor
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
exit $fail
