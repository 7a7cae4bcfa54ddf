# SPDX-License-Identifier: MIT
# An edu alone behind a pcie-root-port (reset method "bus"): VFIO_DEVICE_RESET
# succeeds and the device still DMAs afterwards.
# vmtest-plan: 3
# vmtest-bind: all-edu

vmtest reset "${VMTEST_EDU_BDFS%% *}"
