# SPDX-License-Identifier: MIT
# The README's demo (in-guest): the examples on this kernel, for a reader.
# vmtest-plan: 2
# vmtest-bind: all-edu

bdf=${VMTEST_EDU_BDFS%% *}
echo "DEMO ===== kernel: $VMTEST_KERNEL ($(uname -r)), $( [ -e /dev/iommu ] && echo 'has /dev/iommu' || echo 'no /dev/iommu')"
edu-demo "$bdf" >/tmp/demo.out 2>&1
rc=$?
sed 's/^/DEMO /' /tmp/demo.out
[ "$rc" = 0 ] && vmtest_pass demo/edu-demo || vmtest_fail demo/edu-demo "edu-demo exited $rc"
open-map "$bdf" >/tmp/open-map.out 2>&1
rc=$?
sed 's/^/DEMO open-map: /' /tmp/open-map.out
[ "$rc" = 0 ] && vmtest_pass demo/open-map || vmtest_fail demo/open-map "open-map exited $rc"
