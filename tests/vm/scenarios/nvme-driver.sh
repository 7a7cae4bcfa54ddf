# SPDX-License-Identifier: MIT
# examples/nvme-read.c, the userspace NVMe driver, on a disk image the host
# wrote: Identify (the serial QEMU was given), the host's blocks READ back,
# a 64 KiB WRITE + READ whose PRP lists come from translate_len, completions
# on an MSI-X eventfd. run.sh checks the image on the host afterwards.
# vmtest-plan: 1
# vmtest-bind: 0000:00:04.0

nvme-read 0000:00:04.0 --serial vfiodev-disk --check 0:64:0x11 \
	--write 0x100:128:0x77 >/tmp/nvme.out 2>&1
rc=$?
sed 's/^/NVME /' /tmp/nvme.out
if [ "$rc" = 0 ]; then
	vmtest_pass nvme/driver
else
	vmtest_fail nvme/driver "nvme-read exited $rc: $(tail -n 1 /tmp/nvme.out)"
fi
