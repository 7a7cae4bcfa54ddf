# SPDX-License-Identifier: MIT
# Superpages: 2 MiB of hugetlb DMA memory from vfiodev_dma_alloc() gets a
# 2 MiB-aligned IOVA; the VT-d page table (debugfs, custom kernel only)
# holds ONE 2 MiB entry for it, next to a 4 KiB control page, and none
# after the free.
# vmtest-plan: 4
# vmtest-bind: all-edu

echo 4 >/proc/sys/vm/nr_hugepages
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
vmspace superpage ${VMTEST_EDU_BDFS%% *}
