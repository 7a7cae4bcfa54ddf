# SPDX-License-Identifier: MIT
# A second, independent real device: QEMU's NVMe controller behind VT-d.
# MSI-X eventfds per vector (fired by loopback trigger), the request IRQ,
# BAR0 with its MSI-X table mmapped (MSI-X mappable capability), and a
# function-level reset after which the controller still answers.
# vmtest-plan: 8
# vmtest-bind: 0000:00:04.0

vmtest nvme 0000:00:04.0
