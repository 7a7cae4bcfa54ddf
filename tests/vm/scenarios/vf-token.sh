# SPDX-License-Identifier: MIT
# VF tokens: the NVMe PF (SR-IOV) on vfio-pci gets a token from its user,
# one VF is created (vfio_pci enable_sriov), and the VF opens with the
# token and is refused without it or with another.
# vmtest-plan: 7
# vmtest-bind: 0000:00:04.0

vmtest vftoken 0000:00:04.0
