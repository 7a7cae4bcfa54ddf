# SPDX-License-Identifier: MIT
# No IOMMU, vfio.enable_unsafe_noiommu_mode=1 (custom kernels): the library
# refuses a noiommu device unless allow_noiommu is set. Linux 7.x shows a
# noiommu cdev (vfio-dev/noiommu-vfioN, /dev/vfio/devices/noiommu-vfioN):
# AUTO opens it through iommufd and the edu DMAs RAM -> device -> RAM at the
# bus addresses map_any gives (= pagemap's). 6.12 names vfio-dev/vfio0 without
# a number: the group path /dev/vfio/noiommu-N, which says why, maps nothing.
# vmtest-plan: 7
# vmtest-bind: all-edu

vmtest noiommu "${VMTEST_EDU_BDFS%% *}"
