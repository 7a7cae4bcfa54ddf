#!/bin/bash
# SPDX-License-Identifier: MIT
# CI: build the Debian packages (scripts/build-debs.sh: lintian errors
# fail), install them on this machine, compile every example and the
# subproject consumer against the installed libvfiodev-dev through
# pkg-config, run the consumer, check the man pages and the tool, then
# remove the packages again.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build-deb
"$src/scripts/build-debs.sh" "$out"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	"$out"/libvfiodev0_*.deb "$out"/libvfiodev-dev_*.deb "$out"/vfiodev_*.deb >/dev/null
trap '$sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q libvfiodev0 libvfiodev-dev vfiodev >/dev/null' EXIT
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; $sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q libvfiodev0 libvfiodev-dev vfiodev >/dev/null' EXIT
echo "deb-check: installed $(dpkg-query -W -f '${Package} ${Version}, ' libvfiodev0 libvfiodev-dev vfiodev)"
cflags=$(pkg-config --cflags libvfiodev)
libs=$(pkg-config --libs libvfiodev)
for c in "$src"/examples/*.c "$src"/tests/subproject/consumer/consumer.c; do
	cc -std=gnu11 -Wall -Wextra -Werror $cflags "$c" $libs -o "$tmp/$(basename "$c" .c)"
	echo "ok: $(basename "$c") builds against the installed libvfiodev-dev"
done
"$tmp/consumer"
echo "ok: the consumer runs against the installed libvfiodev0"
vfiodev --version
man -w vfiodev_device_open >/dev/null && man -w libvfiodev >/dev/null && man -w vfiodev >/dev/null
echo "ok: man pages vfiodev_device_open(3), libvfiodev(3), vfiodev(1) installed"
[ -f /usr/share/bash-completion/completions/vfiodev ]
echo "ok: bash completion installed"
