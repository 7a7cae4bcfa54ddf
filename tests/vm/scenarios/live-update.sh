# SPDX-License-Identifier: MIT
# Live update (examples/live-update.c): process A opens the edu, maps guest
# RAM from a memfd (IOMMU_IOAS_MAP_FILE), lets it DMA and sets a register;
# it hands the space over and execs B with the iommufd, device and memfd
# fds. B adopts the IOAS and the device without a bind or reset, moves the
# pinned-page accounting to itself (IOMMU_IOAS_CHANGE_PROCESS: VmPin 0 ->
# 64 kB) and the edu DMAs into the same memory. Where the kernel or path
# cannot (6.12: no CHANGE_PROCESS; the stock kernels: no iommufd), a SKIP
# line with the reason the program found.
# vmtest-plan: 1
# vmtest-bind: all-edu

bdf=${VMTEST_EDU_BDFS%% *}
live-update "$bdf" >/tmp/live.out 2>&1
rc=$?
sed 's/^/LIVE /' /tmp/live.out
case $rc in
0) vmtest_pass live/update ;;
77) vmtest_skip live/update "$(tail -n 1 /tmp/live.out | sed 's/^A: //')" ;;
*) vmtest_fail live/update "live-update exited $rc: $(tail -n 1 /tmp/live.out)" ;;
esac
