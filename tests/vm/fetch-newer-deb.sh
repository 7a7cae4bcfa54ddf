#!/bin/bash
# SPDX-License-Identifier: MIT
# Download packages of a newer Debian suite (trixie-backports, sid) without
# touching the system's apt: a private configuration under the cache (its
# own sources list, package lists and archive directory). Nothing is
# installed; the host stays Debian 12.
#
# Usage: fetch-newer-deb.sh SUITE PACKAGE...   -> one line per package on
#        stdout: the path of its .deb
#        fetch-newer-deb.sh --search SUITE REGEX -> matching package names
#        fetch-newer-deb.sh --version SUITE PACKAGE... -> the newest version
#                                         of each, one line per package
# Env:   VFIODEV_VM_CACHE   cache dir
#        VFIODEV_DEBIAN_MIRROR   default http://deb.debian.org/debian
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=fetch
case ${1:-} in
--search) mode=search; shift ;;
--version) mode=version; shift ;;
esac
[[ $# -ge 2 ]] || die "usage: $0 [--search|--version] SUITE PACKAGE..."
SUITE=$1
shift
case $SUITE in
*[!a-z0-9-]*) die "suite '$SUITE' is not a suite name" ;;
esac
MIRROR=${VFIODEV_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DIR=$VM_CACHE/apt-$SUITE
mkdir -p "$DIR/lists/partial" "$DIR/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
	>"$DIR/sources.list"
APT=(-o "Dir::Etc::SourceList=$DIR/sources.list" -o "Dir::Etc::SourceParts=$DIR/none"
	-o "Dir::State::Lists=$DIR/lists" -o "Dir::Cache::Archives=$DIR/archives"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
	-o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")

update() {
	# once a day is enough: the lists name what the archive has
	if [[ -z $(find "$DIR/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null) ]]; then
		log "apt-get update ($SUITE, private lists in $DIR)"
		apt-get "${APT[@]}" update -q >&2 || die "apt-get update of $SUITE failed"
	fi
}
with_lock "apt-$SUITE" update

# newest_version PACKAGE: the newest version the suite has, or nothing
newest_version() {
	apt-cache "${APT[@]}" show "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1
}

case $mode in
search)
	apt-cache "${APT[@]}" search --names-only "$1" | cut -d' ' -f1 | sort -V
	exit 0 ;;
version)
	for pkg in "$@"; do
		ver=$(newest_version "$pkg")
		[[ -n $ver ]] || die "$SUITE has no package $pkg"
		echo "$ver"
	done
	exit 0 ;;
esac

fetch() {
	local pkg ver file
	for pkg in "$@"; do
		ver=$(newest_version "$pkg")
		[[ -n $ver ]] || die "$SUITE has no package $pkg"
		file=$(ls "$DIR/archives/${pkg}_"*.deb 2>/dev/null | grep -F "_${ver//:/%3a}_" | head -n 1 || true)
		if [[ -z $file ]]; then
			log "downloading $pkg=$ver from $SUITE"
			(cd "$DIR/archives" && apt-get "${APT[@]}" download -q "$pkg=$ver" >&2) ||
				die "apt-get download $pkg=$ver failed"
			file=$(ls "$DIR/archives/${pkg}_"*.deb | grep -F "_${ver//:/%3a}_" | head -n 1)
		fi
		echo "$file"
	done
}
with_lock "apt-$SUITE" fetch "$@"
