# SPDX-License-Identifier: MIT
# A second, independent real device: QEMU's NVMe controller behind VT-d.
# MSI-X eventfds per vector (fired by loopback trigger), the request IRQ,
# BAR0 with its MSI-X table mmapped (MSI-X mappable capability), and a
# function-level reset after which the controller still answers.
# MSI-X grown from 1 to 2 vectors by one call while enabled (a disable and
# re-enable by the library where the kernel says NORESIZE, as 6.1 does),
# then real interrupts on both: admin completions on vector 0, an I/O
# completion queue on vector 1.
# vmtest-plan: 11
# vmtest-bind: 0000:00:04.0

vmtest nvme 0000:00:04.0
