/* SPDX-License-Identifier: MIT */
/*
 * The host's own use of a PCI device (host_use.c): the one predicate that
 * vfiodev_bind() refuses by and the diagnosis reports, so the two never
 * disagree about what "in use" means.
 */
#ifndef VFIODEV_HOST_USE_H
#define VFIODEV_HOST_USE_H

#include "internal.h"

/* what kinds of use were found */
#define VFD_USE_NET 0x1u /* an interface up with an address or a route */
#define VFD_USE_MOUNT 0x2u /* a block device with a mounted file system */
#define VFD_USE_SWAP 0x4u /* a block device the kernel swaps to */
#define VFD_USE_HOLDER 0x8u /* a block device held by dm, md, LVM... */
#define VFD_USE_DISPLAY 0x10u /* the boot display (boot_vga) */

struct vfd_host_use {
	unsigned int users; /* interfaces, block devices, the display */
	unsigned int kinds; /* VFD_USE_* */
	/* "eth0 (10.0.2.15/24, default route), nvme0n1 (mounted on /mnt)" */
	char what[640];
	/* what frees each: "ip link set eth0 down; umount /mnt" */
	char undo[384];
};

/*
 * What on the host uses @bdf: its network interfaces, its block devices
 * and their partitions (sysfs under the context's root), their addresses,
 * routes, mounts and swap (procfs beside that root: /proc for /sys).
 * Reading nothing (no such device, no procfs) finds nothing; a procfs file
 * that cannot be read is logged at LOG_INFO (an absent one at LOG_DEBUG)
 * and its kind of use goes unchecked. Running out of memory halfway counts
 * as a user, so that what was not looked at is not taken. Returns
 * @u->users.
 */
int vfd_host_use(const struct vfiodev_ctx *ctx, const char *bdf,
		 struct vfd_host_use *u);

#endif /* VFIODEV_HOST_USE_H */
