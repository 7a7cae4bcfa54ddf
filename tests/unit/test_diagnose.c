// SPDX-License-Identifier: MIT
/*
 * Unit tests of lib/diagnose.c and lib/paths.c on fake sysfs and /dev
 * trees: one test per finding (what is found, its severity and its
 * remedy), the backend the diagnosis predicts and why, and the rule that
 * a failure of one open path is an error only when no path is left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/vfio.h>

#include "fake.h"

#define BDF "0000:00:03.0"
#define NOBODY 54321 /* a uid and gid no test machine gives anyone */

static void type1_builtin(void)
{
	fake_mkdir("sys/module/vfio_iommu_type1/parameters");
}

static struct vfiodev_diagnosis *diagnose(const char *bdf,
					  const struct vfiodev_diagnose_opts *o)
{
	struct vfiodev_diagnosis *d = NULL;

	assert_int_equal(vfiodev_diagnose(fake_ctx(), bdf, o, &d), 0);
	assert_non_null(d);
	return d;
}

static bool contains(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

/* the finding of kind @check whose texts contain @sub */
static const struct vfiodev_finding *find(const struct vfiodev_diagnosis *d,
					  const char *check, const char *sub)
{
	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct vfiodev_finding *f = d->findings[i];

		if (!strcmp(f->check, check) &&
		    (contains(f->subject, sub) || contains(f->found, sub) ||
		     contains(f->remedy, sub)))
			return f;
	}
	for (size_t i = 0; i < d->nr_findings; i++)
		print_message("  [%s] %s: %s | %s | %s\n",
			      vfiodev_severity_name(d->findings[i]->severity),
			      d->findings[i]->check, d->findings[i]->subject,
			      d->findings[i]->found,
			      d->findings[i]->remedy ? d->findings[i]->remedy : "-");
	fail_msg("no '%s' finding mentions '%s'", check, sub);
	return NULL;
}

static int worst(const struct vfiodev_diagnosis *d)
{
	int w = VFIODEV_SEVERITY_OK;

	for (size_t i = 0; i < d->nr_findings; i++)
		if ((int)d->findings[i]->severity > w)
			w = (int)d->findings[i]->severity;
	return w;
}

/* ---- device, IOMMU, modules, driver ------------------------------------ */

static void missing_device_is_an_error(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	d = diagnose("00:09.0", NULL);
	assert_string_equal(d->bdf, "0000:00:09.0");
	f = find(d, "device", "no such device");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "vfiodev list"));
	assert_false(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_AUTO);
	vfiodev_diagnosis_free(d);
}

static void healthy_cdev_device_takes_iommufd(void **state)
{
	struct vfiodev_diagnosis *d;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	d = diagnose(BDF, NULL);
	assert_true(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(d->paths, VFIODEV_PATH_IOMMUFD | VFIODEV_PATH_CONTAINER);
	assert_true(contains(d->backend_reason, "cdev"));
	assert_int_equal(find(d, "iommu", "group 3")->severity, VFIODEV_SEVERITY_OK);
	assert_int_equal(find(d, "driver", "vfio-pci")->severity,
			 VFIODEV_SEVERITY_OK);
	assert_int_equal(find(d, "group", "members")->severity, VFIODEV_SEVERITY_OK);
	assert_int_equal(find(d, "node", "vfio0")->severity, VFIODEV_SEVERITY_OK);
	assert_int_equal(find(d, "node", "/dev/iommu")->severity,
			 VFIODEV_SEVERITY_OK);
	assert_int_equal(find(d, "node", "/vfio/3")->severity, VFIODEV_SEVERITY_OK);
	assert_int_equal(find(d, "permission", "/vfio/vfio")->severity,
			 VFIODEV_SEVERITY_OK);
	assert_true(worst(d) <= VFIODEV_SEVERITY_INFO);
	vfiodev_diagnosis_free(d);
}

static void kernel_without_cdev_takes_container_with_reason(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, -1);
	fake_mkdir("sys/bus/pci/devices/" BDF "/vfio-dev/vfio0");
	d = diagnose(BDF, NULL);
	assert_true(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(d->paths, VFIODEV_PATH_CONTAINER);
	/* the same words the open's fallback reason uses */
	assert_string_equal(d->backend_reason,
			    "no vfio cdev in sysfs (kernel without CONFIG_VFIO_DEVICE_CDEV)");
	f = find(d, "kernel", "CONFIG_VFIO_DEVICE_CDEV");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_INFO);
	assert_true(contains(f->found, "no CONFIG_IOMMUFD"));
	assert_true(contains(f->remedy, "CONFIG_IOMMUFD=y"));
	vfiodev_diagnosis_free(d);
}

static void iommu_absent(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, -1, NULL);
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "no IOMMU");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found, "/sys/class/iommu is empty"));
	assert_true(contains(f->remedy, "intel_iommu=on"));
	assert_true(contains(f->remedy, "enable_unsafe_noiommu_mode"));
	assert_false(d->usable);
	vfiodev_diagnosis_free(d);
}

static void iommu_off_in_kernel_but_in_firmware(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, -1, NULL);
	fake_write("sys/firmware/acpi/tables/DMAR", "DMAR");
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "ACPI DMAR");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "intel_iommu=on"));
	vfiodev_diagnosis_free(d);

	fake_unlink("sys/firmware/acpi/tables/DMAR");
	fake_write("sys/firmware/acpi/tables/IVRS", "IVRS");
	d = diagnose(BDF, NULL);
	/* amd_iommu has no "on": the AMD IOMMU is on unless turned off */
	f = find(d, "iommu", "IVRS");
	assert_false(contains(f->remedy, "amd_iommu=on"));
	assert_true(contains(f->remedy, "amd_iommu=off"));
	assert_true(contains(f->remedy, "iommu=off"));
	vfiodev_diagnosis_free(d);
}

/* no remedy asks for amd_iommu=on, which the kernel does not know */
static void iommu_remedies_use_valid_parameters(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, -1, NULL);
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "no IOMMU");
	assert_false(contains(f->remedy, "amd_iommu=on"));
	assert_true(contains(f->remedy, "AMD-Vi"));
	vfiodev_diagnosis_free(d);

	fake_write("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
	d = diagnose(BDF, NULL);
	assert_false(contains(find(d, "iommu", "noiommu mode is on")->remedy,
			      "amd_iommu=on"));
	vfiodev_diagnosis_free(d);

	fake_pci_add("0000:00:04.0", 0, "vfio-pci");
	fake_group_noiommu(0);
	d = diagnose("0000:00:04.0", &opts);
	assert_false(contains(find(d, "iommu", "noiommu group 0")->remedy,
			      "amd_iommu=on"));
	vfiodev_diagnosis_free(d);
}

/* modprobe's options do nothing to a vfio that is already there */
static void noiommu_mode_remedy_fits_the_vfio_module(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, -1, NULL);
	/* vfio not loaded: the module option works */
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "no IOMMU");
	assert_true(contains(f->remedy,
			     "modprobe vfio enable_unsafe_noiommu_mode=1"));
	vfiodev_diagnosis_free(d);

	/* vfio there, with the parameter: write it */
	fake_write("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n");
	fake_write("sys/module/vfio/initstate", "live\n");
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "no IOMMU");
	assert_true(contains(f->remedy,
			     "echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode"));
	assert_false(contains(f->remedy, "modprobe vfio"));
	vfiodev_diagnosis_free(d);

	/* vfio there, without the parameter: the kernel has no noiommu */
	fake_unlink("sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "no IOMMU");
	assert_true(contains(f->remedy, "CONFIG_VFIO_NOIOMMU"));
	assert_false(contains(f->remedy, "modprobe vfio"));
	assert_false(contains(f->remedy, "echo 1 >"));
	vfiodev_diagnosis_free(d);
}

static void iommu_on_but_device_in_no_group(void **state)
{
	struct vfiodev_diagnosis *d;

	(void)state;
	fake_pci_add(BDF, -1, NULL);
	fake_mkdir("sys/class/iommu/dmar0");
	d = diagnose(BDF, NULL);
	assert_int_equal(find(d, "iommu", "dmar0 is on")->severity,
			 VFIODEV_SEVERITY_ERROR);
	vfiodev_diagnosis_free(d);
}

static void iommu_absent_with_noiommu_mode_on(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, -1, NULL);
	fake_write("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
	d = diagnose(BDF, NULL);
	f = find(d, "iommu", "noiommu mode is on");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "vfiodev bind " BDF));
	assert_true(contains(f->remedy, "allow_noiommu"));
	vfiodev_diagnosis_free(d);
}

static void noiommu_group_needs_allow_noiommu(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 0, "vfio-pci");
	fake_group_noiommu(0);
	fake_node_container();
	/* root (assumed to hold CAP_SYS_RAWIO), whoever runs the test */
	opts.check_user = true;
	opts.uid = 0;
	opts.gid = 0;
	d = diagnose(BDF, &opts);
	f = find(d, "iommu", "noiommu group 0");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "allow_noiommu"));
	assert_false(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_AUTO);
	assert_true(contains(d->backend_reason, "allow_noiommu"));
	/* the cdev is out for a noiommu group, but that is no error */
	assert_int_equal(find(d, "kernel", "noiommu")->severity,
			 VFIODEV_SEVERITY_INFO);
	vfiodev_diagnosis_free(d);

	opts.allow_noiommu = true;
	d = diagnose(BDF, &opts);
	assert_int_equal(find(d, "iommu", "noiommu group 0")->severity,
			 VFIODEV_SEVERITY_WARNING);
	assert_true(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(d->paths, VFIODEV_PATH_NOIOMMU);
	assert_int_equal(find(d, "node", "noiommu-0")->severity,
			 VFIODEV_SEVERITY_OK);
	vfiodev_diagnosis_free(d);
}

/* Linux 7.x: the noiommu device has a cdev (noiommu-vfio0): doctor names
 * it and what it needs, and the open goes through iommufd */
static void noiommu_cdev_is_named_with_its_requirements(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;
	struct fake_pci *p;

	(void)state;
	p = fake_pci_add(BDF, 0, "vfio-pci");
	fake_group_noiommu(0);
	fake_pci_noiommu_cdev(p, 0);
	fake_node_container();
	fake_node_iommu();
	opts.check_user = true;
	opts.uid = 0;
	opts.gid = 0;
	d = diagnose(BDF, &opts);
	f = find(d, "kernel", "a vfio cdev for");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_OK);
	assert_true(contains(f->found, "has the noiommu cdev noiommu-vfio0"));
	assert_true(contains(f->found, "CAP_SYS_RAWIO"));
	assert_true(contains(f->found, "taints the kernel"));
	assert_false(d->usable);
	assert_true(contains(d->backend_reason, "noiommu cdev or group"));
	vfiodev_diagnosis_free(d);

	opts.allow_noiommu = true;
	d = diagnose(BDF, &opts);
	assert_true(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_IOMMUFD);
	assert_true(d->paths & VFIODEV_PATH_NOIOMMU);
	assert_false(d->paths & VFIODEV_PATH_IOMMUFD);
	assert_true(contains(d->backend_reason,
			     "noiommu cdev, opened through iommufd"));
	vfiodev_diagnosis_free(d);
}

static void noiommu_group_needs_rawio(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 0, "vfio-pci");
	fake_group_noiommu(0);
	fake_node_container();
	opts.allow_noiommu = true;
	opts.check_user = true;
	opts.uid = NOBODY;
	opts.gid = NOBODY;
	d = diagnose(BDF, &opts);
	f = find(d, "permission", "CAP_SYS_RAWIO");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "cap_sys_rawio"));
	assert_false(d->usable);
	vfiodev_diagnosis_free(d);
}

static void vfio_pci_module_missing(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	rmdir(fake_path("sys/bus/pci/drivers/vfio-pci"));
	fake_pci_add(BDF, 3, NULL);
	d = diagnose(BDF, NULL);
	f = find(d, "module", "vfio-pci");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "modprobe vfio-pci"));
	vfiodev_diagnosis_free(d);
}

static void unbound_device_gets_bind_remedy(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 3, NULL);
	d = diagnose(BDF, NULL);
	f = find(d, "driver", "not bound to any driver");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "vfiodev bind " BDF));
	assert_true(contains(f->remedy, "echo vfio-pci > /sys/bus/pci/devices/" BDF
					"/driver_override"));
	assert_true(contains(f->remedy, "echo " BDF " > /sys/bus/pci/drivers_probe"));
	assert_int_equal(find(d, "module", "vfio-pci")->severity,
			 VFIODEV_SEVERITY_OK);
	assert_true(contains(d->backend_reason, "not bound"));
	assert_false(d->usable);
	vfiodev_diagnosis_free(d);
}

static void device_on_host_driver_gets_unbind_remedy(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 3, "e1000e");
	d = diagnose(BDF, NULL);
	f = find(d, "driver", "bound to e1000e");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "echo " BDF
					" > /sys/bus/pci/drivers/e1000e/unbind"));
	vfiodev_diagnosis_free(d);
}

/* ---- the host's own use ------------------------------------------------ */

/* what doctor said: "fix: vfiodev bind BDF" for the NIC of the only route */
static void device_the_host_uses_gets_what_frees_it_not_the_bind(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 3, "virtio-pci");
	fake_netdev("sys/bus/pci/devices/" BDF "/virtio0/net/eth0", true);
	fake_proc_ipv4("eth0", "10.0.2.15", 24, "10.0.2.2");
	d = diagnose(BDF, NULL);
	f = find(d, "driver", "bound to virtio-pci");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found,
			     "in use by the host: eth0 (10.0.2.15/24, default route)"));
	assert_true(contains(f->remedy,
			     "free it on the host first (ip link set eth0 down)"));
	assert_true(contains(f->remedy,
			     "vfiodev bind --force " BDF " takes it anyway"));
	assert_false(contains(f->remedy, "echo vfio-pci"));
	assert_false(d->usable);
	vfiodev_diagnosis_free(d);
}

static void mounted_nvme_gets_umount_remedy(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add("0000:00:04.0", 4, "nvme");
	fake_blockdev("sys/bus/pci/devices/0000:00:04.0/nvme/nvme0/nvme0n1",
		      "259:0", false);
	fake_proc_mount("259:0", "/dev/nvme0n1", "/mnt");
	d = diagnose("0000:00:04.0", NULL);
	f = find(d, "driver", "in use by the host: nvme0n1 (mounted on /mnt)");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "umount /mnt"));
	vfiodev_diagnosis_free(d);

	/* unmounted, the bind is the remedy again */
	fake_unlink("proc/self/mountinfo");
	d = diagnose("0000:00:04.0", NULL);
	f = find(d, "driver", "bound to nvme");
	assert_false(contains(f->found, "in use"));
	assert_true(contains(f->remedy, "vfiodev bind 0000:00:04.0 (or"));
	vfiodev_diagnosis_free(d);
}

/* a group mate the host uses is not to be bound either */
static void group_blocker_the_host_uses_gets_what_frees_it(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device("0000:01:01.0", 1, -1);
	fake_pci_add("0000:01:02.0", 1, "virtio-pci");
	fake_netdev("sys/bus/pci/devices/0000:01:02.0/virtio0/net/eth0", true);
	fake_proc_ipv4("eth0", "192.168.1.7", 16, NULL);
	d = diagnose("0000:01:01.0", NULL);
	f = find(d, "group", "0000:01:02.0 is bound to virtio-pci");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found, "in use by the host: eth0 (192.168.1.7/16)"));
	assert_true(contains(f->remedy, "ip link set eth0 down"));
	assert_false(contains(f->remedy, "(or release it"));
	vfiodev_diagnosis_free(d);
}

/* the firmware's console: no driver, and still the host's */
static void boot_display_is_the_hosts(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 3, NULL);
	fake_write("sys/bus/pci/devices/" BDF "/boot_vga", "1\n");
	d = diagnose(BDF, NULL);
	f = find(d, "driver",
		 "not bound to any driver; in use by the host: the boot display");
	assert_true(contains(f->remedy, "move the console to another display"));
	vfiodev_diagnosis_free(d);
}

/* ---- group ------------------------------------------------------------- */

static size_t count(const struct vfiodev_diagnosis *d, const char *check,
		    enum vfiodev_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nr_findings; i++)
		if (!strcmp(d->findings[i]->check, check) &&
		    d->findings[i]->severity == sev)
			n++;
	return n;
}

/* its own host driver is the 'driver' finding, not a group blocker */
static void device_is_not_the_blocker_of_its_own_group(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_pci_add(BDF, 3, "e1000e");
	fake_pci_add("0000:00:04.0", 3, "vfio-pci");
	d = diagnose(BDF, NULL);
	assert_int_equal(find(d, "driver", "bound to e1000e")->severity,
			 VFIODEV_SEVERITY_ERROR);
	assert_int_equal(count(d, "group", VFIODEV_SEVERITY_ERROR), 0);
	f = find(d, "group", "members");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_OK);
	assert_true(contains(f->found, "0000:00:04.0 (vfio-pci)"));
	vfiodev_diagnosis_free(d);

	/* another member with a host driver is still named, and only it */
	fake_pci_add("0000:00:05.0", 3, "virtio-pci");
	d = diagnose(BDF, NULL);
	assert_int_equal(count(d, "group", VFIODEV_SEVERITY_ERROR), 1);
	f = find(d, "group", "0000:00:05.0 is bound to virtio-pci");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_false(contains(f->found, BDF " is bound"));
	vfiodev_diagnosis_free(d);
}

static void nonviable_group_names_each_blocker(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device("0000:01:01.0", 1, -1);
	fake_pci_add("0000:01:02.0", 1, "virtio-pci");
	fake_pci_add("0000:01:03.0", 1, "e1000e");
	fake_pci_add("0000:00:03.0", 1, NULL); /* the bridge: no driver */
	d = diagnose("0000:01:01.0", NULL);
	f = find(d, "group", "0000:01:02.0 is bound to virtio-pci");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found, "group 1 is not viable"));
	assert_true(contains(f->remedy, "vfiodev bind 0000:01:02.0"));
	assert_true(contains(f->remedy,
			     "echo 0000:01:02.0 > /sys/bus/pci/drivers/virtio-pci/unbind"));
	f = find(d, "group", "0000:01:03.0 is bound to e1000e");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_false(d->usable);
	assert_int_equal(d->paths, 0);
	assert_int_equal(d->backend, VFIODEV_BACKEND_AUTO);
	assert_true(contains(d->backend_reason, "not viable"));
	vfiodev_diagnosis_free(d);
}

static void unknown_group_members_are_an_error(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device("0000:01:01.0", 1, 0);
	fake_pci_add("platform-dma-engine.0", 1, "dw-dmac");
	d = diagnose("0000:01:01.0", NULL);
	f = find(d, "group", "could not all be read");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "/sys/kernel/iommu_groups/1/devices"));
	assert_false(d->usable);
	assert_int_equal(d->paths, 0);
	assert_int_equal(count(d, "group", VFIODEV_SEVERITY_OK), 0);
	vfiodev_diagnosis_free(d);

	fake_unlink("sys/bus/pci/devices/platform-dma-engine.0/driver");
	fake_pci_add("0000:01:02.0", 1,
		     "a_driver_whose_name_is_much_longer_than_sixty_four_characters_in_all");
	d = diagnose("0000:01:01.0", NULL);
	f = find(d, "group", "driver link of 0000:01:02.0 cannot be read");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "vfiodev bind 0000:01:02.0"));
	assert_int_equal(count(d, "group", VFIODEV_SEVERITY_ERROR), 1);
	vfiodev_diagnosis_free(d);
}

/* ---- nodes ------------------------------------------------------------- */

static void missing_cdev_node_falls_back_with_warning(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;
	struct fake_pci *p;

	(void)state;
	type1_builtin();
	p = fake_std_device(BDF, 3, -1);
	fake_pci_cdev_sysfs(p, 0);
	d = diagnose(BDF, NULL);
	f = find(d, "node", "no node for it");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_WARNING);
	assert_true(contains(f->remedy, "mknod -m 0600"));
	assert_true(contains(f->remedy, "/vfio/devices/vfio0 c 511 0"));
	assert_true(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_CONTAINER);
	assert_true(contains(d->backend_reason, "no node exists"));
	vfiodev_diagnosis_free(d);
}

static void wrong_cdev_node_is_refused(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;
	struct fake_pci *p;

	(void)state;
	type1_builtin();
	p = fake_std_device(BDF, 3, -1);
	fake_pci_cdev_sysfs(p, 0);
	fake_node_cdev(p, "dev/vfio/devices/vfio0", makedev(FAKE_CDEV_MAJOR, 7));
	d = diagnose(BDF, NULL);
	f = find(d, "node", "is 511:7 but sysfs names 511:0");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_WARNING);
	assert_true(contains(f->found, "refuses"));
	assert_true(contains(f->remedy, "rm "));
	assert_true(contains(f->remedy, "c 511 0"));
	assert_int_equal(d->backend, VFIODEV_BACKEND_CONTAINER);
	vfiodev_diagnosis_free(d);
}

static void node_that_is_no_char_device_is_refused(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, -1);
	fake_pci_cdev_sysfs(fake_pci_find(BDF), 0);
	/* a plain file planted where the cdev should be */
	fake_write("dev/vfio/devices/vfio0", "");
	d = diagnose(BDF, NULL);
	f = find(d, "node", "not a character device");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_WARNING);
	vfiodev_diagnosis_free(d);
}

static void no_path_left_turns_warnings_into_errors(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	/* a cdev in sysfs with no node, and no group node either */
	fake_pci_add(BDF, 3, "vfio-pci");
	fake_pci_cdev_sysfs(fake_pci_find(BDF), 0);
	fake_write("sys/class/vfio/3/dev", "510:3\n");
	fake_node_container();
	fake_node_iommu();
	d = diagnose(BDF, NULL);
	assert_false(d->usable);
	assert_int_equal(d->paths, 0);
	f = find(d, "node", "no node for it");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	f = find(d, "node", "/vfio/3");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "c 510 3"));
	vfiodev_diagnosis_free(d);
}

/* an error says what to do: none reads "none needed" */
static void no_error_without_a_remedy(const struct vfiodev_diagnosis *d)
{
	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct vfiodev_finding *f = d->findings[i];

		if (f->severity != VFIODEV_SEVERITY_ERROR)
			continue;
		if (!f->remedy || contains(f->remedy, "none needed"))
			fail_msg("error without a remedy: %s: %s | %s", f->check,
				 f->found, f->remedy ? f->remedy : "-");
	}
}

/* the group path is lost too: its node is the fix, while the kernel
 * without the cdev stays what it was, information */
static void no_path_left_keeps_information_informational(void **state)
{
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_pci_add(BDF, 3, "vfio-pci");
	fake_mkdir("sys/bus/pci/devices/" BDF "/vfio-dev/vfio0");
	fake_write("sys/class/vfio/3/dev", "510:3\n");
	fake_node_container();
	d = diagnose(BDF, NULL);
	assert_false(d->usable);
	assert_int_equal(d->paths, 0);
	f = find(d, "kernel", "CONFIG_VFIO_DEVICE_CDEV");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_INFO);
	f = find(d, "node", "/vfio/3");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	no_error_without_a_remedy(d);
	vfiodev_diagnosis_free(d);
}

/* a recreated node gets the mode the kernel gives it */
static void missing_node_remedies_use_kernel_modes(void **state)
{
	struct vfiodev_diagnosis *d;
	struct fake_pci *p;

	(void)state;
	type1_builtin();
	p = fake_pci_add(BDF, 3, "vfio-pci");
	fake_pci_cdev(p, 0);
	fake_group_node(3);
	fake_write("sys/class/misc/vfio/dev", "10:196\n");
	fake_write("sys/class/misc/iommu/dev", "10:123\n");
	d = diagnose(BDF, NULL);
	assert_true(contains(find(d, "node", "/vfio/vfio")->remedy,
			     "mknod -m 0666 "));
	assert_true(contains(find(d, "node", "/iommu")->remedy, "mknod -m 0660 "));
	vfiodev_diagnosis_free(d);

	fake_unlink("dev/vfio/3");
	fake_unlink("dev/vfio/devices/vfio0");
	d = diagnose(BDF, NULL);
	assert_true(contains(find(d, "node", "/vfio/3")->remedy, "mknod -m 0600 "));
	assert_true(contains(find(d, "node", "no node for it")->remedy,
			     "mknod -m 0600 "));
	vfiodev_diagnosis_free(d);
}

static void forced_iommufd_on_kernel_without_cdev_is_an_error(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, -1);
	opts.backend = VFIODEV_BACKEND_IOMMUFD;
	d = diagnose(BDF, &opts);
	assert_false(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_AUTO);
	f = find(d, "kernel", "vfio-dev");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "CONFIG_VFIO_DEVICE_CDEV=y"));
	assert_true(contains(f->remedy, "container backend"));
	no_error_without_a_remedy(d);
	vfiodev_diagnosis_free(d);

	opts.backend = VFIODEV_BACKEND_CONTAINER;
	d = diagnose(BDF, &opts);
	assert_true(d->usable);
	assert_int_equal(d->backend, VFIODEV_BACKEND_CONTAINER);
	assert_string_equal(d->backend_reason, "the container backend is forced");
	vfiodev_diagnosis_free(d);
}

static void iommufd_not_loaded(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;
	struct fake_pci *p;

	(void)state;
	type1_builtin();
	p = fake_pci_add(BDF, 3, "vfio-pci");
	fake_pci_cdev(p, 0);
	fake_group_node(3);
	fake_node_container();
	/* another user cannot load it: the cdev path is lost */
	opts.check_user = true;
	opts.uid = 0;
	d = diagnose(BDF, &opts);
	f = find(d, "module", "iommufd is not loaded");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_INFO);
	assert_true(contains(f->remedy, "modprobe iommufd"));
	assert_int_equal(d->backend, VFIODEV_BACKEND_IOMMUFD);
	vfiodev_diagnosis_free(d);

	opts.uid = NOBODY;
	d = diagnose(BDF, &opts);
	f = find(d, "module", "iommufd is not loaded");
	assert_int_not_equal(f->severity, VFIODEV_SEVERITY_OK);
	assert_false(d->paths & VFIODEV_PATH_IOMMUFD);
	vfiodev_diagnosis_free(d);
}

static void type1_not_loaded(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_std_device(BDF, 3, -1);
	opts.check_user = true;
	opts.uid = 0; /* root: the library loads it */
	d = diagnose(BDF, &opts);
	f = find(d, "module", "vfio_iommu_type1");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_INFO);
	assert_true(contains(f->found, "ENODEV"));
	assert_true(contains(f->remedy, "modprobe vfio_iommu_type1"));
	assert_true(d->usable);
	vfiodev_diagnosis_free(d);
}

/* ---- permissions ------------------------------------------------------- */

static void nodes_other_user_cannot_open(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	opts.check_user = true;
	opts.uid = NOBODY;
	opts.gid = NOBODY;
	d = diagnose(BDF, &opts);
	/* the fake's nodes are root's, mode 0600 */
	f = find(d, "permission", "/vfio/devices/vfio0");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found, "uid 54321"));
	assert_true(contains(f->found, "cannot open"));
	assert_true(contains(f->found, "mode 0600"));
	/* a uid without a passwd entry: chown and udev take the number */
	assert_true(contains(f->remedy, "chown 54321 "));
	assert_true(contains(f->remedy, "OWNER=\"54321\""));
	assert_false(contains(f->remedy, "chown uid"));
	assert_true(contains(f->remedy, "SUBSYSTEM==\"vfio-dev\""));
	f = find(d, "permission", "/vfio/3");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "SUBSYSTEM==\"vfio\""));
	assert_false(d->usable);
	vfiodev_diagnosis_free(d);
}

/* ---- limits ------------------------------------------------------------ */

static void memlock_too_low_for_mapping(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;
	struct rlimit saved, low;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &saved), 0);
	low = saved;
	low.rlim_cur = 64 * 1024;
	if (low.rlim_max != RLIM_INFINITY && low.rlim_max < low.rlim_cur)
		low.rlim_cur = low.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &low), 0);

	/* another user holds no CAP_IPC_LOCK, whatever this process has */
	opts.check_user = true;
	opts.uid = NOBODY;
	opts.gid = NOBODY;
	opts.map_bytes = 1 << 20;
	d = diagnose(BDF, &opts);
	f = find(d, "memlock", "1048576 bytes");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found, "ENOMEM"));
	assert_true(contains(f->remedy, "ulimit -l 1024"));
	assert_true(contains(f->remedy, "LimitMEMLOCK=1048576"));
	vfiodev_diagnosis_free(d);

	opts.map_bytes = 4096;
	d = diagnose(BDF, &opts);
	assert_int_equal(find(d, "memlock", "enough")->severity,
			 VFIODEV_SEVERITY_OK);
	vfiodev_diagnosis_free(d);

	opts.map_bytes = 0;
	d = diagnose(BDF, &opts);
	assert_int_equal(find(d, "memlock", "RLIMIT_MEMLOCK is")->severity,
			 VFIODEV_SEVERITY_INFO);
	vfiodev_diagnosis_free(d);
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &saved), 0);
}

/* a size that rounds past 2^64 must not wrap to a small one that fits */
static void memlock_huge_mapping_does_not_wrap(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;
	struct rlimit saved, low;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &saved), 0);
	low = saved;
	low.rlim_cur = 64 * 1024;
	if (low.rlim_max != RLIM_INFINITY && low.rlim_max < low.rlim_cur)
		low.rlim_cur = low.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &low), 0);
	opts.check_user = true;
	opts.uid = NOBODY;
	opts.gid = NOBODY;
	opts.map_bytes = UINT64_MAX - 1;
	d = diagnose(BDF, &opts);
	f = find(d, "memlock", "bytes");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->remedy, "unlimited"));
	vfiodev_diagnosis_free(d);
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &saved), 0);
}

/* noiommu maps nothing through VFIO: nothing is pinned or charged */
static void memlock_not_checked_for_noiommu(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	struct rlimit saved, low;

	(void)state;
	fake_pci_add(BDF, 0, "vfio-pci");
	fake_group_noiommu(0);
	fake_node_container();
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &saved), 0);
	low = saved;
	low.rlim_cur = 64 * 1024;
	if (low.rlim_max != RLIM_INFINITY && low.rlim_max < low.rlim_cur)
		low.rlim_cur = low.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &low), 0);
	opts.allow_noiommu = true;
	/* a user without CAP_IPC_LOCK, whom the limit would bind */
	opts.check_user = true;
	opts.uid = NOBODY;
	opts.gid = NOBODY;
	opts.map_bytes = 1ull << 30;
	d = diagnose(BDF, &opts);
	assert_int_equal(count(d, "memlock", VFIODEV_SEVERITY_ERROR), 0);
	vfiodev_diagnosis_free(d);
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &saved), 0);
}

static void dma_entry_limit_for_container(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	const struct vfiodev_finding *f;

	(void)state;
	fake_std_device(BDF, 3, -1);
	fake_write("sys/module/vfio_iommu_type1/parameters/dma_entry_limit",
		   "100\n");
	opts.map_count = 200;
	d = diagnose(BDF, &opts);
	assert_int_equal(d->backend, VFIODEV_BACKEND_CONTAINER);
	f = find(d, "dma-entry-limit", "the limit is 100");
	assert_int_equal(f->severity, VFIODEV_SEVERITY_ERROR);
	assert_true(contains(f->found, "ENOSPC"));
	assert_true(contains(f->remedy,
			     "echo 200 > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit"));
	assert_false(d->usable);
	vfiodev_diagnosis_free(d);

	opts.map_count = 50;
	d = diagnose(BDF, &opts);
	assert_int_equal(find(d, "dma-entry-limit", "100")->severity,
			 VFIODEV_SEVERITY_OK);
	assert_true(d->usable);
	vfiodev_diagnosis_free(d);
}

static void dma_entry_limit_not_checked_for_iommufd(void **state)
{
	struct vfiodev_diagnosis *d;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	d = diagnose(BDF, NULL);
	for (size_t i = 0; i < d->nr_findings; i++)
		assert_string_not_equal(d->findings[i]->check, "dma-entry-limit");
	vfiodev_diagnosis_free(d);
}

/* ---- the API ----------------------------------------------------------- */

/* the @check identifiers struct vfiodev_finding documents, and no other */
static void every_check_is_a_documented_one(void **state)
{
	static const char *const documented[] = {
		"device", "iommu", "module",	 "driver",  "kernel",
		"group",  "node",  "permission", "memlock", "dma-entry-limit",
	};
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	const char *bdfs[] = { BDF, "0000:00:04.0", "0000:00:05.0",
			       "0000:00:06.0", "0000:00:09.0" };
	struct vfiodev_diagnosis *d;

	(void)state;
	fake_std_device(BDF, 3, 0);
	fake_pci_add("0000:00:04.0", 4, "e1000e");
	fake_pci_add("0000:00:05.0", -1, NULL);
	fake_pci_add("0000:00:06.0", 0, "vfio-pci");
	fake_group_noiommu(0);
	opts.allow_noiommu = true;
	opts.map_bytes = 1ull << 40;
	opts.map_count = 1000000;
	opts.check_user = true;
	opts.uid = NOBODY;
	opts.gid = NOBODY;
	for (size_t b = 0; b < ARRAY_SIZE(bdfs); b++) {
		d = diagnose(bdfs[b], &opts);
		for (size_t i = 0; i < d->nr_findings; i++) {
			bool known = false;

			for (size_t k = 0; k < ARRAY_SIZE(documented); k++)
				known = known || !strcmp(d->findings[i]->check,
							 documented[k]);
			if (!known)
				fail_msg("%s: undocumented check '%s'", bdfs[b],
					 d->findings[i]->check);
		}
		vfiodev_diagnosis_free(d);
	}
	/* CAP_SYS_RAWIO is a permission */
	d = diagnose("0000:00:06.0", &opts);
	find(d, "permission", "CAP_SYS_RAWIO");
	vfiodev_diagnosis_free(d);
}

static void diagnosis_opens_no_vfio_node(void **state)
{
	struct vfiodev_diagnosis *d;
	struct fake_live live;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	d = diagnose(BDF, NULL);
	vfiodev_diagnosis_free(d);
	assert_int_equal(fake_ioctl_count(VFIO_GROUP_GET_STATUS), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_BIND_IOMMUFD), 0);
	fake_live(&live);
	assert_int_equal(live.files, 0);
}

static void bad_arguments(void **state)
{
	struct {
		struct vfiodev_diagnose_opts o;
		int future;
	} big = { .o = { .sz = sizeof(big) }, .future = 1 };
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d = NULL;

	(void)state;
	assert_int_equal(vfiodev_diagnose(fake_ctx(), "0000:00:03", NULL, &d),
			 -EINVAL);
	assert_int_equal(vfiodev_diagnose(fake_ctx(), BDF, &big.o, &d), -EINVAL);
	opts.backend = (enum vfiodev_backend)7;
	assert_int_equal(vfiodev_diagnose(fake_ctx(), BDF, &opts, &d), -EINVAL);
	assert_int_equal(vfiodev_diagnose(fake_ctx(), BDF, NULL, NULL), -EINVAL);
	assert_int_equal(vfiodev_diagnose(NULL, BDF, NULL, &d), -EINVAL);
	assert_null(d);
	vfiodev_diagnosis_free(NULL);
	assert_string_equal(vfiodev_severity_name(VFIODEV_SEVERITY_WARNING),
			    "warning");
	assert_string_equal(vfiodev_severity_name((enum vfiodev_severity)9),
			    "unknown");
}

static void seam_failures_never_crash(void **state)
{
	struct vfiodev_diagnosis *d = NULL;
	int ret;

	(void)state;
	type1_builtin();
	fake_std_device(BDF, 3, 0);
	/* every seam call failing in turn must not crash nor leak */
	for (unsigned long n = 1; n < 200; n++) {
		fake_fail_nth(n, EIO);
		ret = vfiodev_diagnose(fake_ctx(), BDF, NULL, &d);
		fake_fail_nth(0, 0);
		assert_int_equal(ret, 0);
		vfiodev_diagnosis_free(d);
		d = NULL;
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(missing_device_is_an_error),
		T(healthy_cdev_device_takes_iommufd),
		T(kernel_without_cdev_takes_container_with_reason),
		T(iommu_absent),
		T(iommu_off_in_kernel_but_in_firmware),
		T(iommu_remedies_use_valid_parameters),
		T(noiommu_mode_remedy_fits_the_vfio_module),
		T(iommu_on_but_device_in_no_group),
		T(iommu_absent_with_noiommu_mode_on),
		T(noiommu_group_needs_allow_noiommu),
		T(noiommu_cdev_is_named_with_its_requirements),
		T(noiommu_group_needs_rawio),
		T(vfio_pci_module_missing),
		T(unbound_device_gets_bind_remedy),
		T(device_on_host_driver_gets_unbind_remedy),
		T(device_the_host_uses_gets_what_frees_it_not_the_bind),
		T(mounted_nvme_gets_umount_remedy),
		T(group_blocker_the_host_uses_gets_what_frees_it),
		T(boot_display_is_the_hosts),
		T(device_is_not_the_blocker_of_its_own_group),
		T(nonviable_group_names_each_blocker),
		T(unknown_group_members_are_an_error),
		T(missing_cdev_node_falls_back_with_warning),
		T(wrong_cdev_node_is_refused),
		T(node_that_is_no_char_device_is_refused),
		T(no_path_left_turns_warnings_into_errors),
		T(no_path_left_keeps_information_informational),
		T(missing_node_remedies_use_kernel_modes),
		T(forced_iommufd_on_kernel_without_cdev_is_an_error),
		T(iommufd_not_loaded),
		T(type1_not_loaded),
		T(nodes_other_user_cannot_open),
		T(memlock_too_low_for_mapping),
		T(memlock_huge_mapping_does_not_wrap),
		T(memlock_not_checked_for_noiommu),
		T(dma_entry_limit_for_container),
		T(dma_entry_limit_not_checked_for_iommufd),
		T(every_check_is_a_documented_one),
		T(diagnosis_opens_no_vfio_node),
		T(bad_arguments),
		T(seam_failures_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
