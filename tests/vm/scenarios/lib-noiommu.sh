# SPDX-License-Identifier: MIT
# No IOMMU, vfio.enable_unsafe_noiommu_mode=1 (custom kernel): sysfs names a
# vfio cdev but no node exists; the library refuses the noiommu group unless
# allow_noiommu is set, then takes /dev/vfio/noiommu-N (no DMA mapping).
# vmtest-plan: 6
# vmtest-bind: all-edu

vmtest noiommu "${VMTEST_EDU_BDFS%% *}"
