# SPDX-License-Identifier: MIT
# Two edus in two IOMMU groups share one space: one mapping serves both.
# vmtest-plan: 7
# vmtest-bind: all-edu

vmtest two-groups $VMTEST_EDU_BDFS
