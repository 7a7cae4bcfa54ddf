# SPDX-License-Identifier: MIT
# Two edus in ONE IOMMU group (behind a pcie-pci-bridge) open into one space
# and both DMA: the group fd (container) or iommufd binding is shared.
# vmtest-plan: 7
# vmtest-bind: all-edu

vmtest one-group $VMTEST_EDU_BDFS
