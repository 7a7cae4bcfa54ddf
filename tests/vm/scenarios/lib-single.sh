# SPDX-License-Identifier: MIT
# Library on one edu (in-guest): open by BDF with the expected backend and
# fallback reason, BAR0/config/region/IRQ info, DMA round trip, MSIs, unmap
# isolation, a planted node, forced backends, BAR0 as a dma-buf where the
# kernel's probe has it (6.19+), and the demo program.
# Same number of results on both kernels (vmtest prints kernel-specific ones).
# vmtest-plan: 34
# vmtest-bind: all-edu

bdf=${VMTEST_EDU_BDFS%% *}
vmtest open "$bdf"
vmtest info "$bdf"
vmtest dma "$bdf"
vmtest planted "$bdf"
vmtest forced "$bdf"
vmtest adopt "$bdf"
vmtest dmabuf "$bdf"
vmtest_run demo/edu-demo edu-demo "$bdf"
