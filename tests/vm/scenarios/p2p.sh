# SPDX-License-Identifier: MIT
# Peer-to-peer DMA into a BAR (topology ivshmem: an edu at 00:03.0, QEMU's
# ivshmem-plain at 00:05.0 whose BAR2 is a 64 MiB host file).
# examples/p2p-bar.c maps 2 MiB of BAR2 into the edu's space and the edu
# DMAs a pattern into it at the IOVA the library chose: on the AUTO path
# (where iommufd cannot take a BAR, a SKIP line naming what the kernel
# lacks) and forced onto the container path. p2ptest: a revoke of the
# dma-buf path, BAR2's mmap alignment and its page faults. Every VMSHM line
# (a DMA the host must find, or must not) is checked by run.sh against the
# backing file after the guest exited.
# vmtest-plan: 8
# vmtest-bind: 0000:00:03.0,0000:00:05.0

edu=${VMTEST_EDU_BDFS%% *}
shm=0000:00:05.0
# what the kernel can be seen to have: iommufd and VFIO dma-buf export
# (the feature's probe); with both the AUTO path must take the BAR
must_auto=no
if vmtest_kernel_has_iommufd && vmtest_kernel_has_vfio_cdev &&
	[ "$(p2ptest probe "$shm")" = dmabuf ]; then
	must_auto=yes
fi
echo "p2p: iommufd with VFIO dma-buf export: $must_auto"

# run_p2p NAME OFFSET TAG [ENV]: the example; 3 means this path cannot map
run_p2p() {
	_name=$1 _off=$2 _tag=$3; shift 3
	env "$@" p2p-bar "$edu" "$shm" --bar 2 --offset "$_off" --tag "$_tag" \
		>/tmp/p2p.out 2>&1
	_rc=$?
	sed 's/^/P2P /' /tmp/p2p.out
	case $_rc in
	0)
		vmtest_pass "p2p/$_name"
		echo "VMSHM $_name $_off 2048 $_tag" ;;
	3)
		if [ "$_name" = auto ] && [ "$must_auto" = yes ]; then
			vmtest_fail "p2p/$_name" "the kernel has iommufd and exports VFIO dma-bufs, yet: $(grep -m1 'dma-buf' /tmp/p2p.out)"
			return
		fi
		vmtest_skip "p2p/$_name" "$(grep -m1 ' backend$' /tmp/p2p.out | sed 's/.* on the //'):" \
			"$(grep -m1 'dma-buf' /tmp/p2p.out | sed 's/.*: its export as a dma-buf: //')" ;;
	*)
		vmtest_fail "p2p/$_name" "p2p-bar exited $_rc: $(tail -n 1 /tmp/p2p.out)" ;;
	esac
}

run_p2p auto 0x200000 0x5a
run_p2p container 0x1000000 0x6b VFIODEV_BACKEND=container
p2ptest revoke "$edu" "$shm"
p2ptest faults "$shm"
