# SPDX-License-Identifier: MIT
# Superpages: 2 MiB of hugetlb DMA memory from vfiodev_dma_alloc() gets a
# 2 MiB-aligned IOVA; the VT-d page table (debugfs, where the kernel dumps
# it: the custom kernels) holds ONE 2 MiB entry for it, next to a 4 KiB
# control page, and none after the free.
# vmtest-plan: 4
# vmtest-bind: all-edu

echo 4 >/proc/sys/vm/nr_hugepages
# (busybox here has no mountpoint applet)
grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
vmspace superpage ${VMTEST_EDU_BDFS%% *}
