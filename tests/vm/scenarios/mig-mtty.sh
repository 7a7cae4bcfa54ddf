# SPDX-License-Identifier: MIT
# Device migration (VFIO migration v2) on the kernel's mtty sample (issue
# 18, item 3): two mtty-2 instances made through sysfs, opened by their
# sysfs directories; bytes written into the source's UART through BAR0 are
# read from the destination after STOP_COPY -> RESUMING -> RUNNING through
# the data fd, and again with a pre-copy round first; STOP_COPY -> PRE_COPY
# is refused (by the library, then by the kernel), a foreign header and a
# truncated stream are refused, and the reset leaves both usable; pre-copy
# info v2 and DMA logging where the kernel's probes say so; the group path
# too; examples/migrate.c between the two; the instances removed. A kernel
# without the mtty parent shows every result as SKIP with the reason.
# vmtest-plan: 11
# vmtest-bind: none

parent=/sys/class/mdev_bus/mtty
type=$parent/mdev_supported_types/mtty-2
u1=6b3e2c1a-0d4f-4c8e-9a17-3f5b2d7e8c01
u2=6b3e2c1a-0d4f-4c8e-9a17-3f5b2d7e8c02
# built in (the custom kernels) or a module
[ -d "$parent" ] || modprobe mtty 2>/dev/null
if [ ! -d "$parent" ]; then
	why="no mtty parent in /sys/class/mdev_bus and no mtty module: the kernel lacks CONFIG_SAMPLE_VFIO_MDEV_MTTY"
	vmtest_skip mig/create "$why"
	vmmig skip "$why"
	vmtest_skip mig/example "$why"
	vmtest_skip mig/remove "$why"
	exit 0
fi
echo "mtty-2: $(cat $type/name 2>/dev/null), $(cat $type/available_instances) available"
vmtest_check mig/create "creating two mtty-2 instances failed" \
	sh -c "echo $u1 > $type/create && echo $u2 > $type/create &&
	       [ -d /sys/bus/mdev/devices/$u1 ] && [ -d /sys/bus/mdev/devices/$u2 ]"
vmmig all /sys/bus/mdev/devices/$u1 /sys/bus/mdev/devices/$u2
vmtest_run mig/example migrate /sys/bus/mdev/devices/$u1 /sys/bus/mdev/devices/$u2
vmtest_check mig/remove "removing the instances failed" \
	sh -c "echo 1 > /sys/bus/mdev/devices/$u1/remove &&
	       echo 1 > /sys/bus/mdev/devices/$u2/remove &&
	       [ ! -e /sys/bus/mdev/devices/$u1 ] && [ ! -e /sys/bus/mdev/devices/$u2 ]"
