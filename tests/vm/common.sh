# SPDX-License-Identifier: MIT
# Shared helpers for the tests/vm scripts (sourced, not executed): the cache
# directory, logging to stderr, and a lock so that parallel test runs do not
# build or unpack the same artefact twice.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${VFIODEV_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/libvfiodev-vm}

# Messages go to stderr: stdout of the scripts is reserved for their result.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# with_lock NAME CMD...: run CMD while holding an exclusive lock on
# $VM_CACHE/NAME.lock (flock(1) from util-linux).
with_lock() {
	local name=$1; shift
	mkdir -p "$VM_CACHE"
	(
		flock 9
		"$@"
	) 9>"$VM_CACHE/$name.lock"
}
