// SPDX-License-Identifier: MIT
/*
 * lib/sysfs.c: PCI address parsing, and what sysfs says about a device
 * (its vfio cdev and device number, its IOMMU group, its driver), read
 * from fake trees. The driver checks are seen through vfiodev_device_open,
 * where a user meets them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include "fixture.h"

static void bdf_ok(const char *in, const char *want)
{
	char out[BDF_BUF];

	memset(out, 'x', sizeof(out));
	assert_int_equal(vfiodev_bdf_normalise(in, out), 0);
	assert_string_equal(out, want);
}

static void bdf_bad(const char *in)
{
	char out[BDF_BUF] = "untouched";

	assert_int_equal(vfiodev_bdf_normalise(in, out), -EINVAL);
	assert_string_equal(out, "untouched");
}

static void bdf_accepts_full_address(void **state)
{
	(void)state;
	bdf_ok("0000:00:03.0", "0000:00:03.0");
	bdf_ok("0001:6a:1f.7", "0001:6a:1f.7");
}

static void bdf_short_form_means_domain_zero(void **state)
{
	(void)state;
	bdf_ok("00:03.0", "0000:00:03.0");
	bdf_ok("6a:01.2", "0000:6a:01.2");
}

static void bdf_uppercase_hex_is_normalised_to_lowercase(void **state)
{
	(void)state;
	bdf_ok("0000:6A:1F.7", "0000:6a:1f.7");
	bdf_ok("ABCD:EF:0A.1", "abcd:ef:0a.1");
}

static void bdf_accepts_five_to_eight_digit_domains(void **state)
{
	(void)state;
	bdf_ok("10000:00:00.0", "10000:00:00.0");
	bdf_ok("1234abcd:00:03.0", "1234abcd:00:03.0");
	/* leading zeros of a long domain collapse to the canonical four */
	bdf_ok("00000000:00:03.0", "0000:00:03.0");
}

static void bdf_rejects_device_above_1f(void **state)
{
	(void)state;
	bdf_bad("0000:00:20.0");
	bdf_bad("00:ff.0");
}

static void bdf_rejects_function_above_7(void **state)
{
	(void)state;
	bdf_bad("0000:00:03.8");
	bdf_bad("0000:00:03.f");
}

static void bdf_rejects_trailing_junk(void **state)
{
	(void)state;
	bdf_bad("0000:00:03.0 ");
	bdf_bad("0000:00:03.0\n");
	bdf_bad("0000:00:03.00");
	bdf_bad("0000:00:03.0/");
}

static void bdf_rejects_empty_and_null(void **state)
{
	char out[BDF_BUF];

	(void)state;
	bdf_bad("");
	assert_int_equal(vfiodev_bdf_normalise(NULL, out), -EINVAL);
}

static void bdf_rejects_short_and_overlong_domains(void **state)
{
	(void)state;
	bdf_bad("000:00:03.0");
	bdf_bad("0:00:03.0");
	bdf_bad("123456789:00:03.0");
}

static void bdf_rejects_wrong_separators_and_field_widths(void **state)
{
	(void)state;
	bdf_bad("0000-00:03.0");
	bdf_bad("0000:00-03.0");
	bdf_bad("0000:00:03:0");
	bdf_bad("0000:0:03.0");
	bdf_bad("0000:00:3.0");
	bdf_bad("0000:000:03.0");
	bdf_bad("0000:00:03.");
	bdf_bad("0000:00:03");
	bdf_bad("0000:00:03.0:1");
	bdf_bad("0x00:00:03.0");
	bdf_bad("g000:00:03.0");
}

static void sysfs_vfio_cdev_reads_name_and_devnum(void **state)
{
	struct fake_pci *p;
	char name[64];
	dev_t dn = 0;

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_pci_cdev_sysfs(p, 3);
	assert_int_equal(vfd_sysfs_vfio_cdev(fake_ctx(), "0000:00:03.0", name,
					     sizeof(name), &dn),
			 0);
	assert_string_equal(name, "vfio3");
	assert_int_equal(major(dn), FAKE_CDEV_MAJOR);
	assert_int_equal(minor(dn), 3);
}

static void sysfs_vfio_cdev_without_vfio_dev_dir_is_enoent(void **state)
{
	char name[64];
	dev_t dn;

	(void)state;
	fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	assert_int_equal(vfd_sysfs_vfio_cdev(fake_ctx(), "0000:00:03.0", name,
					     sizeof(name), &dn),
			 -ENOENT);
	/* an empty vfio-dev directory says the same */
	fake_mkdir("sys/bus/pci/devices/0000:00:03.0/vfio-dev");
	assert_int_equal(vfd_sysfs_vfio_cdev(fake_ctx(), "0000:00:03.0", name,
					     sizeof(name), &dn),
			 -ENOENT);
}

static void sysfs_vfio_cdev_with_malformed_dev_is_eproto(void **state)
{
	char name[64];
	dev_t dn;

	(void)state;
	fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_write("sys/bus/pci/devices/0000:00:03.0/vfio-dev/vfio0/dev", "511-0\n");
	assert_int_equal(vfd_sysfs_vfio_cdev(fake_ctx(), "0000:00:03.0", name,
					     sizeof(name), &dn),
			 -EPROTO);
}

static void sysfs_iommu_group_follows_the_link(void **state)
{
	(void)state;
	fake_pci_add("0000:00:03.0", 42, "vfio-pci");
	assert_int_equal(vfd_sysfs_iommu_group(fake_ctx(), "0000:00:03.0"), 42);
}

static void sysfs_iommu_group_without_link_is_enoent(void **state)
{
	(void)state;
	fake_pci_add("0000:00:03.0", -1, "vfio-pci");
	assert_int_equal(vfd_sysfs_iommu_group(fake_ctx(), "0000:00:03.0"), -ENOENT);
}

static void sysfs_iommu_group_with_non_numeric_name_is_eproto(void **state)
{
	(void)state;
	fake_pci_add("0000:00:03.0", -1, "vfio-pci");
	fake_symlink("sys/kernel/iommu_groups/5a",
		     "sys/bus/pci/devices/0000:00:03.0/iommu_group");
	assert_int_equal(vfd_sysfs_iommu_group(fake_ctx(), "0000:00:03.0"), -EPROTO);
}

static void parse_devnum_accepts_major_minor_only(void **state)
{
	dev_t dn = 0;

	(void)state;
	assert_int_equal(vfd_parse_devnum("511:7", &dn), 0);
	assert_int_equal(major(dn), 511);
	assert_int_equal(minor(dn), 7);
	assert_int_equal(vfd_parse_devnum("511:7x", &dn), -EINVAL);
	assert_int_equal(vfd_parse_devnum("511", &dn), -EINVAL);
	assert_int_equal(vfd_parse_devnum("", &dn), -EINVAL);
}

/* only what the kernel prints: digits, a 12-bit major, a 20-bit minor */
static void parse_devnum_rejects_what_the_kernel_never_prints(void **state)
{
	static const char *const bad[] = {
		"4294967807:0", /* 2^32 + 511: sscanf took it as 511 */
		" +511: +0",
		"-1:-1",
		"+511:0",
		"511: 0",
		"511 :0",
		"4096:0",
		"0:1048576",
		"0x1ff:0",
		":0",
		"511:",
		"18446744073709551617:0",
	};
	dev_t dn = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s\n", bad[i]);
		assert_int_equal(vfd_parse_devnum(bad[i], &dn), -EINVAL);
	}
	assert_int_equal(vfd_parse_devnum("4095:1048575", &dn), 0);
	assert_int_equal(major(dn), 4095);
	assert_int_equal(minor(dn), 1048575);
}

/* a link ending in '/' (empty name) was group 0, " 3" was group 3 */
static void sysfs_iommu_group_takes_digits_only(void **state)
{
	(void)state;
	fake_pci_add("0000:00:03.0", -1, "vfio-pci");
	fake_symlink("sys/kernel/iommu_groups/",
		     "sys/bus/pci/devices/0000:00:03.0/iommu_group");
	assert_int_equal(vfd_sysfs_iommu_group(fake_ctx(), "0000:00:03.0"), -EPROTO);
	fake_unlink("sys/bus/pci/devices/0000:00:03.0/iommu_group");
	fake_symlink("sys/kernel/iommu_groups/ 3",
		     "sys/bus/pci/devices/0000:00:03.0/iommu_group");
	assert_int_equal(vfd_sysfs_iommu_group(fake_ctx(), "0000:00:03.0"), -EPROTO);
	fake_unlink("sys/bus/pci/devices/0000:00:03.0/iommu_group");
	fake_symlink("sys/kernel/iommu_groups/4294967296",
		     "sys/bus/pci/devices/0000:00:03.0/iommu_group");
	assert_int_equal(vfd_sysfs_iommu_group(fake_ctx(), "0000:00:03.0"), -EPROTO);
}

/* a FIFO planted where an attribute should be: the open used to block
 * forever (no writer); now it is refused at once */
static void sysfs_read_refuses_a_fifo_without_hanging(void **state)
{
	char buf[32];

	(void)state;
	fake_mkdir("sys/kernel/iommu_groups/3");
	assert_int_equal(mkfifo(fake_path("sys/kernel/iommu_groups/3/name"), 0600),
			 0);
	alarm(10); /* a hang fails the test instead of stalling the suite */
	assert_int_equal(vfd_sysfs_read(fake_ctx(), buf, sizeof(buf),
					"kernel/iommu_groups/%d/name", 3),
			 -EINVAL);
	alarm(0);
}

static void sysfs_read_strips_the_trailing_newline(void **state)
{
	char buf[32];

	(void)state;
	fake_write("sys/kernel/iommu_groups/3/name", "vfio-noiommu\n");
	assert_int_equal(vfd_sysfs_read(fake_ctx(), buf, sizeof(buf),
					"kernel/iommu_groups/%d/name", 3),
			 12);
	assert_string_equal(buf, "vfio-noiommu");
	assert_int_equal(vfd_sysfs_read(fake_ctx(), buf, sizeof(buf),
					"kernel/iommu_groups/%d/nothing", 3),
			 -ENOENT);
}

static void sysfs_path_too_long_is_enametoolong(void **state)
{
	char buf[64], longname[600];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vfd_sysfs_path(fake_ctx(), buf, sizeof(buf), "%s", longname),
			 -ENAMETOOLONG);
	assert_int_equal(vfd_sysfs_read(fake_ctx(), buf, sizeof(buf), "%s", longname),
			 -ENAMETOOLONG);
}

static void open_of_missing_device_is_enodev_and_logged(void **state)
{

	(void)state;
	assert_int_equal(fixture_open_err("0000:00:03.0", NULL), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "0000:00:03.0: no such PCI device"));
}

static void open_of_device_without_driver_is_enodev_and_says_so(void **state)
{

	(void)state;
	fake_pci_add("0000:00:03.0", 5, NULL);
	assert_int_equal(fixture_open_err("00:03.0", NULL), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "0000:00:03.0: not bound to any driver"));
}

static void open_of_device_on_another_driver_names_the_driver(void **state)
{

	(void)state;
	fake_pci_add("0000:00:03.0", 5, "e1000e");
	assert_int_equal(fixture_open_err("0000:00:03.0", NULL), -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "0000:00:03.0: bound to e1000e"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bdf_accepts_full_address),
		cmocka_unit_test(bdf_short_form_means_domain_zero),
		cmocka_unit_test(bdf_uppercase_hex_is_normalised_to_lowercase),
		cmocka_unit_test(bdf_accepts_five_to_eight_digit_domains),
		cmocka_unit_test(bdf_rejects_device_above_1f),
		cmocka_unit_test(bdf_rejects_function_above_7),
		cmocka_unit_test(bdf_rejects_trailing_junk),
		cmocka_unit_test(bdf_rejects_empty_and_null),
		cmocka_unit_test(bdf_rejects_short_and_overlong_domains),
		cmocka_unit_test(bdf_rejects_wrong_separators_and_field_widths),
		cmocka_unit_test(parse_devnum_accepts_major_minor_only),
		cmocka_unit_test(parse_devnum_rejects_what_the_kernel_never_prints),
		T(sysfs_iommu_group_takes_digits_only),
		T(sysfs_read_refuses_a_fifo_without_hanging),
		T(sysfs_vfio_cdev_reads_name_and_devnum),
		T(sysfs_vfio_cdev_without_vfio_dev_dir_is_enoent),
		T(sysfs_vfio_cdev_with_malformed_dev_is_eproto),
		T(sysfs_iommu_group_follows_the_link),
		T(sysfs_iommu_group_without_link_is_enoent),
		T(sysfs_iommu_group_with_non_numeric_name_is_eproto),
		T(sysfs_read_strips_the_trailing_newline),
		T(sysfs_path_too_long_is_enametoolong),
		T(open_of_missing_device_is_enodev_and_logged),
		T(open_of_device_without_driver_is_enodev_and_says_so),
		T(open_of_device_on_another_driver_names_the_driver),
	};

	return cmocka_run_group_tests_name("sysfs", tests, NULL, NULL);
}
