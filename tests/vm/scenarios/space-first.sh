# SPDX-License-Identifier: MIT
# A space laid out before any device (its ranges provisional): two edus in
# two groups join it and both DMA through the mappings made before them.
# vmtest-plan: 5
# vmtest-bind: all-edu

vmspace first $VMTEST_EDU_BDFS
