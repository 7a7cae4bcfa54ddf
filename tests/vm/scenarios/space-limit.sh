# SPDX-License-Identifier: MIT
# A space limited to the edu's 28-bit DMA mask: map_any never hands out an
# IOVA above 2^28 - 1, fails with ENOSPC once full, and the device DMAs at
# the highest IOVA it was given (QEMU's edu would truncate anything above).
# Guest RAM in a memfd: mapped from the file, the device reads and writes it.
# Dirty tracking: iommufd on QEMU's VT-d says unsupported; Type1's bitmap.
# vmtest-plan: 14
# vmtest-bind: all-edu

vmspace limit ${VMTEST_EDU_BDFS%% *}
vmspace file ${VMTEST_EDU_BDFS%% *}
vmspace dirty ${VMTEST_EDU_BDFS%% *}
