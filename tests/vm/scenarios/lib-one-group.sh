# SPDX-License-Identifier: MIT
# Two edus in ONE IOMMU group (behind a pcie-pci-bridge) open into one space
# and both DMA: the group fd (container) or iommufd binding is shared.
# Then a bus reset of both (last: it unbinds the second from vfio-pci).
# vmtest-plan: 14
# vmtest-bind: all-edu

vmtest one-group $VMTEST_EDU_BDFS
# examples/vmm-passthrough.c: guest RAM from a memfd, dirty log, reset, re-plug
vmtest_run vmm/example vmm-passthrough $VMTEST_EDU_BDFS
vmtest hotreset $VMTEST_EDU_BDFS
