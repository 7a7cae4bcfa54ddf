# SPDX-License-Identifier: MIT
# Two edus in two IOMMU groups share one space: one mapping serves both;
# one is unplugged and plugged into another space and another process.
# vmtest-plan: 13
# vmtest-bind: all-edu

vmtest two-groups $VMTEST_EDU_BDFS
# unplug one, plug it into a second space, then a second process
vmtest unplug $VMTEST_EDU_BDFS
# examples/vmm-passthrough.c: guest RAM from a memfd, dirty log, reset, re-plug
vmtest_run vmm/example vmm-passthrough $VMTEST_EDU_BDFS
