# SPDX-License-Identifier: MIT
# Live update (examples/live-update.c): process A opens the edu, maps guest
# RAM from a memfd (IOMMU_IOAS_MAP_FILE), lets it DMA and sets a register;
# it hands the space over and execs B with the iommufd, device and memfd
# fds. B adopts the IOAS and the device without a bind or reset, moves the
# pinned-page accounting to itself (IOMMU_IOAS_CHANGE_PROCESS: VmPin 0 ->
# 64 kB) and the edu DMAs into the same memory. Where the kernel cannot
# (no iommufd or vfio cdev: the stock kernels; before 6.13: no
# CHANGE_PROCESS), a SKIP line with the reason the program found; a kernel
# that can be seen to have both (the nodes, 6.13+) must pass.
# vmtest-plan: 1
# vmtest-bind: all-edu

bdf=${VMTEST_EDU_BDFS%% *}
rel=$(uname -r)
major=${rel%%.*} minor=${rel#*.}; minor=${minor%%[!0-9]*}
must=no
if vmtest_kernel_has_iommufd && vmtest_kernel_has_vfio_cdev &&
	[ $((major * 1000 + minor)) -ge 6013 ]; then
	must=yes
fi
echo "live-update: iommufd, vfio cdev and Linux 6.13+ ($rel): $must"
live-update "$bdf" >/tmp/live.out 2>&1
rc=$?
sed 's/^/LIVE /' /tmp/live.out
case $rc in
0) vmtest_pass live/update ;;
77)
	if [ "$must" = yes ]; then
		vmtest_fail live/update "the kernel has iommufd, the vfio cdev and is $rel, yet: $(tail -n 1 /tmp/live.out)"
	else
		vmtest_skip live/update "$(tail -n 1 /tmp/live.out | sed 's/^A: //')"
	fi ;;
*) vmtest_fail live/update "live-update exited $rc: $(tail -n 1 /tmp/live.out)" ;;
esac
