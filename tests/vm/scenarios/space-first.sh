# SPDX-License-Identifier: MIT
# A space laid out before any device (its ranges provisional): two edus in
# two groups join it and both DMA through the mappings made before them.
# A mapping copied into a second space (IOMMU_IOAS_COPY on iommufd): the
# second device DMAs through it, the pages pinned once (VmPin).
# vmtest-plan: 8
# vmtest-bind: all-edu

vmspace first $VMTEST_EDU_BDFS
vmspace copy $VMTEST_EDU_BDFS
