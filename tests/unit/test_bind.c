// SPDX-License-Identifier: MIT
/*
 * Unit tests of lib/bind.c: which modules a bind loads or counts as
 * present, and the driver_override / unbind / drivers_probe sequence with
 * its rollback. The PCI core is emulated over the fake sysfs tree: a
 * wrapper around the fake's write() acts on unbind, bind and drivers_probe
 * the way the kernel does. The host's use of a device (host_use.c) is
 * laid out as sysfs and procfs show it: interfaces, disks, mounts, routes.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake.h"

/* ---- a PCI core over the fake tree ------------------------------------- */

static struct vfd_sys pci_sys;
static char probe_fails[64]; /* a driver whose probe fails */
static char default_driver[64]; /* what a plain re-probe binds */
static char override_refuses[64]; /* a value driver_override refuses */
static bool kernel_has_cdev; /* a VFIO driver's probe adds vfio-dev/vfio0/dev */
static unsigned int probes, unbinds;
/* every attribute write, in order: "driver_override=vfio-pci
 * e1000e/unbind=0000:00:03.0 drivers_probe=0000:00:03.0 " */
static char writes[2048];

static void link_driver(const char *bdf, const char *driver)
{
	char target[256], link[256];

	snprintf(target, sizeof(target), "sys/bus/pci/drivers/%s", driver);
	snprintf(link, sizeof(link), "sys/bus/pci/devices/%s/driver", bdf);
	fake_symlink(target, link);
}

static void read_attr(const char *rel, char *buf, size_t len)
{
	FILE *f = fopen(fake_path("%s", rel), "re");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

static bool dir_exists(const char *rel)
{
	struct stat st;

	return !stat(fake_path("%s", rel), &st) && S_ISDIR(st.st_mode);
}

/* a probe of @bdf: its override if set, else the default driver */
static void probe(const char *bdf)
{
	char rel[256], ovr[64];

	probes++;
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", bdf);
	read_attr(rel, ovr, sizeof(ovr));
	if (!strcmp(ovr, "(null)"))
		ovr[0] = '\0';
	if (!ovr[0] && default_driver[0])
		snprintf(ovr, sizeof(ovr), "%s", default_driver);
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", ovr);
	if (!ovr[0] || !dir_exists(rel) || !strcmp(ovr, probe_fails))
		return;
	link_driver(bdf, ovr);
	if (strstr(ovr, "vfio")) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vfio-dev/vfio0%s",
			 bdf, kernel_has_cdev ? "/dev" : "");
		if (kernel_has_cdev)
			fake_write(rel, "511:0\n");
		else
			fake_mkdir(rel);
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), sl = strlen(suffix);

	return l >= sl && !strcmp(s + l - sl, suffix);
}

/* "e1000e/unbind", "driver_override": the attribute, for the write log */
static const char *attr_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *prev = slash;

	if (!slash)
		return path;
	if (!strcmp(slash, "/bind") || !strcmp(slash, "/unbind"))
		while (prev > path && prev[-1] != '/')
			prev--;
	return prev == slash ? slash + 1 : prev;
}

static ssize_t pci_write(int fd, const void *buf, size_t len)
{
	char link[64], path[PATH_MAX], val[128], ovr[64], rel[256];
	size_t used = strlen(writes);
	ssize_t ret, n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return fake_sys.write(fd, buf, len);
	path[n] = '\0';
	snprintf(val, sizeof(val), "%.*s", (int)len, (const char *)buf);
	val[strcspn(val, "\n")] = '\0';
	if (snprintf(writes + used, sizeof(writes) - used, "%s=%s ",
		     attr_name(path), val) >= (int)(sizeof(writes) - used))
		fail_msg("the write log is full");
	if (ends_with(path, "/driver_override") && override_refuses[0] &&
	    !strcmp(val, override_refuses))
		return -EACCES;
	/* bind_store: the driver must match, and a driver_override that
	 * names another driver matches nothing else */
	if (ends_with(path, "/bind")) {
		snprintf(rel, sizeof(rel),
			 "sys/bus/pci/devices/%s/driver_override", val);
		read_attr(rel, ovr, sizeof(ovr));
		path[strlen(path) - strlen("/bind")] = '\0';
		if (ovr[0] && strcmp(ovr, "(null)") &&
		    strcmp(ovr, strrchr(path, '/') + 1))
			return -ENODEV;
		strcat(path, "/bind");
	}
	ret = fake_sys.write(fd, buf, len);
	if (ret < 0)
		return ret;
	/* an attribute write replaces the value */
	if (ftruncate(fd, ret))
		return -errno;
	if (ends_with(path, "/unbind")) {
		unbinds++;
		unlink(fake_path("sys/bus/pci/devices/%s/driver", val));
	} else if (ends_with(path, "/drivers_probe")) {
		probe(val);
	} else if (ends_with(path, "/bind")) {
		path[strlen(path) - strlen("/bind")] = '\0';
		link_driver(val, strrchr(path, '/') + 1);
	}
	return ret;
}

static int setup(void **state)
{
	int ret = fake_setup(state);

	pci_sys = fake_sys;
	pci_sys.write = pci_write;
	vfd_sys = &pci_sys;
	probe_fails[0] = default_driver[0] = override_refuses[0] = '\0';
	writes[0] = '\0';
	kernel_has_cdev = false;
	probes = unbinds = 0;
	fake_mkdir("sys/bus/pci/drivers/e1000e");
	return ret;
}

/* a device in its own group, with attributes the PCI core writes */
static void device(const char *bdf, int group, const char *driver)
{
	char rel[256];

	fake_pci_add(bdf, group, driver);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", bdf);
	fake_write(rel, "(null)\n");
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s",
		 driver ? driver : "vfio-pci");
	fake_mkdir(rel);
	fake_write("sys/bus/pci/drivers_probe", "");
	fake_write("sys/bus/pci/drivers/vfio-pci/bind", "");
	fake_write("sys/bus/pci/drivers/vfio-pci/unbind", "");
	fake_write("sys/bus/pci/drivers/e1000e/bind", "");
	fake_write("sys/bus/pci/drivers/e1000e/unbind", "");
	if (driver) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/unbind", driver);
		fake_write(rel, "");
	}
}

static const char *driver_of(const char *bdf)
{
	static char buf[PATH_MAX];
	char link[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s",
		 fake_path("sys/bus/pci/devices/%s/driver", bdf));
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return "";
	buf[n] = '\0';
	return strrchr(buf, '/') + 1;
}

static const char *override_of(const char *bdf)
{
	static char buf[64];
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", bdf);
	read_attr(rel, buf, sizeof(buf));
	/* the kernel shows an unset override as "(null)" */
	if (!strcmp(buf, "(null)"))
		buf[0] = '\0';
	return buf;
}

/* the backend modules, present as the custom kernel has them */
static void iommufd_builtin(void)
{
	fake_mkdir("sys/module/iommufd/parameters");
}

/* ---- modules ----------------------------------------------------------- */

static void modules_builtin_count_as_loaded(void **state)
{
	struct vfiodev_module_status st[4];
	int n;

	(void)state;
	iommufd_builtin();
	n = vfiodev_modules_load(fake_ctx(), NULL, st, 4);
	assert_int_equal(n, 2);
	assert_string_equal(st[0].name, "vfio_pci");
	assert_int_equal(st[0].state, VFIODEV_MODULE_BUILTIN);
	assert_true(st[0].required);
	assert_string_equal(st[1].name, "iommufd");
	assert_int_equal(st[1].state, VFIODEV_MODULE_BUILTIN);
	assert_string_equal(vfiodev_module_state_name(st[1].state), "built-in");
}

static void modules_loaded_module_reported_loaded(void **state)
{
	struct vfiodev_module_status st[4];

	(void)state;
	fake_write("sys/module/vfio_pci/initstate", "live\n");
	fake_write("sys/module/iommufd/initstate", "live\n");
	memset(st, 0xa5, sizeof(st));
	assert_int_equal(vfiodev_modules_load(fake_ctx(), "vfio-pci", st, 4), 2);
	assert_int_equal(st[0].state, VFIODEV_MODULE_LOADED);
	assert_int_equal(st[1].state, VFIODEV_MODULE_LOADED);
	/* the reserved tail is written, as zero */
	for (int i = 0; i < 2; i++)
		for (size_t r = 0; r < ARRAY_SIZE(st[i].reserved); r++)
			assert_int_equal(st[i].reserved[r], 0);
}

static void modules_type1_needed_without_iommufd(void **state)
{
	struct vfiodev_module_status st[4];

	(void)state;
	fake_write("sys/module/vfio_iommu_type1/initstate", "live\n");
	assert_int_equal(vfiodev_modules_load(fake_ctx(), NULL, st, 4), 3);
	assert_string_equal(st[1].name, "iommufd");
	assert_int_equal(st[1].state, VFIODEV_MODULE_ABSENT);
	assert_false(st[1].required);
	assert_int_not_equal(st[1].error, 0);
	assert_string_equal(st[2].name, "vfio_iommu_type1");
	assert_int_equal(st[2].state, VFIODEV_MODULE_LOADED);
	assert_true(st[2].required);
}

/* iommufd is there, but a VFIO device without a cdev shows that the
 * kernel lacks CONFIG_VFIO_DEVICE_CDEV: only the container path works */
static void modules_type1_too_when_kernel_lacks_cdev(void **state)
{
	struct vfiodev_module_status st[4];

	(void)state;
	iommufd_builtin();
	fake_write("sys/module/vfio_iommu_type1/initstate", "live\n");
	fake_mkdir("sys/class/vfio-dev/vfio0");
	assert_int_equal(vfiodev_modules_load(fake_ctx(), NULL, st, 4), 3);
	assert_string_equal(st[1].name, "iommufd");
	assert_int_equal(st[1].state, VFIODEV_MODULE_BUILTIN);
	assert_string_equal(st[2].name, "vfio_iommu_type1");
	assert_int_equal(st[2].state, VFIODEV_MODULE_LOADED);
	assert_true(st[2].required);

	/* with the cdev, iommufd is enough */
	fake_write("sys/class/vfio-dev/vfio0/dev", "511:0\n");
	assert_int_equal(vfiodev_modules_load(fake_ctx(), NULL, st, 4), 2);
}

static void modules_missing_driver_fails_naming_it(void **state)
{
	struct vfiodev_module_status st[4] = { 0 };
	int ret;

	(void)state;
	rmdir(fake_path("sys/bus/pci/drivers/vfio-pci"));
	/* a fake sysfs root: libkmod is never asked */
	ret = vfiodev_modules_load(fake_ctx(), NULL, st, 4);
	assert_int_equal(ret, -ENOTSUP);
	assert_string_equal(st[0].name, "vfio_pci");
	assert_int_equal(st[0].error, -ENOTSUP);
	assert_true(fake_log_has(LOG_ERR, "module vfio_pci"));
}

static void modules_missing_type1_fails_naming_it(void **state)
{
	(void)state;
	assert_int_equal(vfiodev_modules_load(fake_ctx(), NULL, NULL, 0), -ENOTSUP);
	assert_true(fake_log_has(LOG_ERR, "module vfio_iommu_type1"));
	assert_false(fake_log_has(LOG_ERR, "module iommufd"));
}

static void modules_going_module_is_absent(void **state)
{
	struct vfiodev_module_status st[4];

	(void)state;
	fake_write("sys/module/iommufd/initstate", "going\n");
	fake_write("sys/module/vfio_iommu_type1/initstate", "live\n");
	assert_int_equal(vfiodev_modules_load(fake_ctx(), NULL, st, 4), 3);
	assert_int_equal(st[1].state, VFIODEV_MODULE_ABSENT);
	assert_int_equal(st[1].error, -EBUSY);
}

static void modules_reject_bad_driver_name(void **state)
{
	(void)state;
	assert_int_equal(vfiodev_modules_load(fake_ctx(), "../x", NULL, 0), -EINVAL);
	assert_int_equal(vfiodev_modules_load(fake_ctx(), "", NULL, 0), -EINVAL);
	assert_int_equal(vfiodev_modules_load(NULL, NULL, NULL, 0), -EINVAL);
}

/* ---- bind -------------------------------------------------------------- */

static void bind_device_without_driver(void **state)
{
	char prev[VFIODEV_NAME_LEN] = "junk";

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, NULL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "00:03.0", NULL, prev,
				      sizeof(prev)),
			 0);
	assert_string_equal(prev, "");
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
	assert_string_equal(override_of("0000:00:03.0"), "vfio-pci");
	assert_int_equal(unbinds, 0);
	assert_int_equal(probes, 1);
}

/* a FIFO where driver_override should be: the write's open used to block
 * forever (no reader); now the bind fails at once and says why */
static void bind_refuses_a_fifo_attribute_without_hanging(void **state)
{
	char prev[VFIODEV_NAME_LEN];
	int ret;

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, NULL);
	fake_unlink("sys/bus/pci/devices/0000:00:03.0/driver_override");
	assert_int_equal(mkfifo(fake_path("sys/bus/pci/devices/0000:00:03.0/driver_override"),
				0600),
			 0);
	alarm(10); /* a hang fails the test instead of stalling the suite */
	ret = vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, prev, sizeof(prev));
	alarm(0);
	assert_true(ret < 0);
	assert_string_equal(driver_of("0000:00:03.0"), "");
}

static void bind_returns_previous_driver(void **state)
{
	char prev[VFIODEV_NAME_LEN];

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, prev,
				      sizeof(prev)),
			 0);
	assert_string_equal(prev, "e1000e");
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
	assert_int_equal(unbinds, 1);
}

/* the override first: no probe between the unbind and the override can
 * hand the device back to its host driver */
static void bind_writes_override_then_unbind_then_probe(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0), 0);
	assert_string_equal(writes,
			    "driver_override=vfio-pci e1000e/unbind=0000:00:03.0 drivers_probe=0000:00:03.0 ");
}

static void bind_override_failure_keeps_the_driver(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	fake_fail_open("driver_override", EACCES);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -EACCES);
	fake_fail_open(NULL, 0);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
	assert_int_equal(unbinds, 0);
	assert_int_equal(probes, 0);
	assert_true(fake_log_has(LOG_ERR, "driver_override"));
}

static void bind_unbind_failure_clears_the_override(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	fake_fail_open("driver/unbind", EBUSY);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -EBUSY);
	fake_fail_open(NULL, 0);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
	assert_string_equal(override_of("0000:00:03.0"), "");
}

/* the rollback cannot set the override to the old driver: it clears the
 * override and binds through drivers/<old>/bind */
static void bind_rollback_binds_directly_without_override(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	snprintf(probe_fails, sizeof(probe_fails), "vfio-pci");
	snprintf(override_refuses, sizeof(override_refuses), "e1000e");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -EIO);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
	assert_string_equal(override_of("0000:00:03.0"), "");
	assert_non_null(strstr(writes, "e1000e/bind=0000:00:03.0"));
	assert_false(fake_log_has(LOG_WARNING, "could not give it back"));
}

/* bound, the device shows whether the kernel has the cdev: without it,
 * the container path needs vfio_iommu_type1 as well */
static void bind_without_cdev_ensures_type1(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, NULL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
	/* a fake sysfs root: the load cannot work, and says so */
	assert_true(fake_log_has(LOG_WARNING, "module vfio_iommu_type1"));
}

static void bind_with_cdev_leaves_type1_alone(void **state)
{
	(void)state;
	iommufd_builtin();
	kernel_has_cdev = true;
	device("0000:00:03.0", 3, NULL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0), 0);
	assert_false(fake_log_has(-1, "vfio_iommu_type1"));
}

static void bind_already_bound_changes_nothing(void **state)
{
	char prev[VFIODEV_NAME_LEN];

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "vfio-pci");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, prev,
				      sizeof(prev)),
			 0);
	assert_string_equal(prev, "vfio-pci");
	assert_int_equal(probes, 0);
	assert_int_equal(unbinds, 0);
}

static void bind_failed_probe_gives_device_back(void **state)
{
	char prev[VFIODEV_NAME_LEN];

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	snprintf(probe_fails, sizeof(probe_fails), "vfio-pci");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, prev,
				      sizeof(prev)),
			 -EIO);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
	assert_string_equal(override_of("0000:00:03.0"), "");
	assert_true(fake_log_has(LOG_ERR, "vfio-pci did not claim the device"));
	assert_string_equal(writes,
			    "driver_override=vfio-pci e1000e/unbind=0000:00:03.0 drivers_probe=0000:00:03.0 "
			    "driver_override= driver_override=e1000e drivers_probe=0000:00:03.0 driver_override= ");
}

static void bind_failed_probe_without_group_blames_iommu(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", -1, NULL);
	snprintf(probe_fails, sizeof(probe_fails), "vfio-pci");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -EIO);
	assert_true(fake_log_has(LOG_ERR, "no IOMMU group"));
	assert_string_equal(driver_of("0000:00:03.0"), "");
}

static void bind_without_modules_skips_loading(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_bind_opts, opts);

	(void)state;
	/* neither iommufd nor type1: loading would fail */
	device("0000:00:03.0", 3, NULL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -ENOTSUP);
	assert_string_equal(driver_of("0000:00:03.0"), "");
	opts.no_modules = true;
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", &opts, NULL, 0),
			 0);
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
}

static void bind_to_another_driver(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_bind_opts, opts);
	char prev[VFIODEV_NAME_LEN];

	(void)state;
	iommufd_builtin();
	fake_mkdir("sys/bus/pci/drivers/mlx5_vfio_pci");
	device("0000:00:03.0", 3, "e1000e");
	opts.driver = "mlx5_vfio_pci";
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", &opts, prev,
				      sizeof(prev)),
			 0);
	assert_string_equal(driver_of("0000:00:03.0"), "mlx5_vfio_pci");
	assert_string_equal(prev, "e1000e");
}

static void bind_write_error_names_the_step(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, NULL);
	fake_fail_open("driver_override", EACCES);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -EACCES);
	assert_true(fake_log_has(LOG_ERR, "driver_override"));
	fake_fail_open(NULL, 0);
}

static void bind_unbind_error_names_the_driver(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	fake_fail_open("driver/unbind", EBUSY);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0),
			 -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "unbinding it from e1000e"));
	fake_fail_open(NULL, 0);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
}

static void bind_bad_arguments(void **state)
{
	struct {
		struct vfiodev_bind_opts o;
		int future;
	} big = { .o = { .sz = sizeof(big) }, .future = 1 };
	char prev[8];

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, NULL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "00:3.0", NULL, NULL, 0), -EINVAL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:09.0", NULL, NULL, 0),
			 -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "no such PCI device"));
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", &big.o, NULL, 0),
			 -EINVAL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL,
				      sizeof(prev)),
			 -EINVAL);
	assert_int_equal(vfiodev_bind(NULL, "0000:00:03.0", NULL, NULL, 0), -EINVAL);
}

/* ---- unbind ------------------------------------------------------------ */

static void unbind_reprobe_restores_default_driver(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	snprintf(default_driver, sizeof(default_driver), "e1000e");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", NULL), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
	assert_string_equal(override_of("0000:00:03.0"), "");
}

static void unbind_reprobe_leaves_driverless_device_unbound(void **state)
{
	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, NULL);
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, NULL, 0), 0);
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", NULL), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "");
	assert_string_equal(override_of("0000:00:03.0"), "");
}

static void unbind_restores_named_driver(void **state)
{
	char prev[VFIODEV_NAME_LEN];

	(void)state;
	iommufd_builtin();
	device("0000:00:03.0", 3, "e1000e");
	assert_int_equal(vfiodev_bind(fake_ctx(), "0000:00:03.0", NULL, prev,
				      sizeof(prev)),
			 0);
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", prev), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "e1000e");
	/* a host driver needs no override: cleared */
	assert_string_equal(override_of("0000:00:03.0"), "");
}

static void unbind_restore_to_vfio_keeps_override(void **state)
{
	(void)state;
	device("0000:00:03.0", 3, "vfio-pci");
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", "vfio-pci"), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
	assert_string_equal(override_of("0000:00:03.0"), "vfio-pci");
}

static void unbind_none_leaves_no_driver(void **state)
{
	(void)state;
	device("0000:00:03.0", 3, "vfio-pci");
	snprintf(default_driver, sizeof(default_driver), "e1000e");
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", ""), 0);
	assert_string_equal(driver_of("0000:00:03.0"), "");
	assert_int_equal(probes, 0);
}

static void unbind_unknown_restore_driver_fails(void **state)
{
	(void)state;
	device("0000:00:03.0", 3, "vfio-pci");
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", "nosuchdrv"),
			 -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "nosuchdrv"));
	/* checked before the release: the device keeps its driver */
	assert_string_equal(driver_of("0000:00:03.0"), "vfio-pci");
	assert_int_equal(unbinds, 0);
	assert_string_equal(writes, "");
}

static void unbind_restore_probe_failure_names_driver(void **state)
{
	(void)state;
	device("0000:00:03.0", 3, "vfio-pci");
	snprintf(probe_fails, sizeof(probe_fails), "e1000e");
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:03.0", "e1000e"), -EIO);
	assert_true(fake_log_has(LOG_ERR, "e1000e did not take it back"));
}

static void unbind_bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(vfiodev_unbind(fake_ctx(), "junk", NULL), -EINVAL);
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:09.0", NULL), -ENODEV);
	assert_int_equal(vfiodev_unbind(fake_ctx(), "0000:00:09.0", "a/b"), -EINVAL);
}

/* ---- the host's own use ------------------------------------------------ */

#define NVME "0000:00:04.0"
#define NS "sys/bus/pci/devices/" NVME "/nvme/nvme0/nvme0n1"
#define NIC "0000:00:03.0"
#define ETH0 "sys/bus/pci/devices/" NIC "/virtio0/net/eth0"

static int bind_opts(const char *bdf, bool force)
{
	VFIODEV_OPTS_INIT(vfiodev_bind_opts, opts);

	opts.force = force;
	return vfiodev_bind(fake_ctx(), bdf, &opts, NULL, 0);
}

/* an NVMe controller whose namespace holds the file system on /mnt */
static void nvme_mounted(void)
{
	iommufd_builtin();
	device(NVME, 4, "nvme");
	fake_blockdev(NS, "259:0", false);
	fake_proc_mount("259:0", "/dev/nvme0n1", "/mnt");
}

/* a virtio-net device whose eth0 is up, addressed and the default route */
static void nic_addressed(void)
{
	iommufd_builtin();
	device(NIC, 3, "virtio-pci");
	fake_netdev(ETH0, true);
	fake_proc_ipv4("eth0", "10.0.2.15", 24, "10.0.2.2");
	fake_write("proc/net/if_inet6",
		   "fe80000000000000505400fffe123456 02 40 20 80     eth0\n"
		   "00000000000000000000000000000001 01 80 10 80       lo\n");
	fake_write("proc/net/ipv6_route",
		   "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
		   "ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0\n");
}

static void bind_refuses_nvme_with_mounted_filesystem(void **state)
{
	(void)state;
	nvme_mounted();
	assert_int_equal(bind_opts(NVME, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, NVME
				 ": in use by the host: nvme0n1 (mounted on /mnt); bind with force to take it anyway"));
	/* refused before anything was written: still on its driver */
	assert_string_equal(writes, "");
	assert_string_equal(driver_of(NVME), "nvme");
	assert_string_equal(override_of(NVME), "");
}

static void bind_refuses_up_interface_with_address_and_route(void **state)
{
	(void)state;
	nic_addressed();
	assert_int_equal(vfiodev_bind(fake_ctx(), NIC, NULL, NULL, 0), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, NIC
				 ": in use by the host: eth0 (10.0.2.15/24, default route); bind with force"));
	assert_string_equal(writes, "");
	assert_string_equal(driver_of(NIC), "virtio-pci");
}

static void bind_refuses_interface_with_ipv6_address_only(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NIC, 3, "virtio-pci");
	fake_netdev(ETH0, true);
	fake_write("proc/net/if_inet6",
		   "20010db8000000000000000000000005 02 40 00 80     eth0\n");
	fake_write("proc/net/ipv6_route",
		   "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n");
	assert_int_equal(bind_opts(NIC, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "eth0 (2001:db8::5/64, default route)"));
}

static void bind_refuses_bridge_port(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NIC, 3, "virtio-pci");
	fake_netdev(ETH0, true);
	fake_netdev("sys/devices/virtual/net/br0", true);
	fake_symlink("sys/devices/virtual/net/br0", ETH0 "/master");
	assert_int_equal(bind_opts(NIC, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "eth0 (port of br0)"));
}

/* a VLAN over it carries the address: the interface below is the host's */
static void bind_refuses_interface_whose_vlan_is_addressed(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NIC, 3, "virtio-pci");
	fake_netdev(ETH0, true);
	fake_netdev("sys/devices/virtual/net/eth0.100", true);
	fake_symlink("sys/devices/virtual/net/eth0.100", ETH0 "/upper_eth0.100");
	fake_proc_ipv4("eth0.100", "10.1.0.5", 24, NULL);
	assert_int_equal(bind_opts(NIC, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR,
				 "in use by the host: eth0.100 over eth0 (10.1.0.5/24);"));
}

static void bind_refuses_partitions_with_swap_and_holder(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NVME, 4, "nvme");
	fake_blockdev(NS, "259:0", false);
	fake_blockdev(NS "/nvme0n1p1", "259:1", true);
	fake_blockdev(NS "/nvme0n1p2", "259:2", true);
	fake_write("proc/swaps",
		   "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		   "/dev/nvme0n1p1                          partition\t1048572\t\t0\t\t-2\n");
	fake_mkdir(NS "/nvme0n1p2/holders/dm-0");
	fake_write("sys/class/block/dm-0/dm/name", "vg-root\n");
	assert_int_equal(bind_opts(NVME, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR,
				 "in use by the host: nvme0n1p1 (swap), nvme0n1p2 (held by dm-0 [vg-root])"));
}

/* native multipath: the controller has the hidden path device, the
 * subsystem the head that is mounted */
static void bind_refuses_nvme_whose_multipath_head_is_mounted(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NVME, 4, "nvme");
	fake_blockdev("sys/bus/pci/devices/" NVME "/nvme/nvme0/nvme0c0n1",
		      "259:1", false);
	fake_blockdev("sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1",
		      "259:0", false);
	fake_proc_mount("259:0", "/dev/nvme0n1", "/srv");
	assert_int_equal(bind_opts(NVME, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "nvme0n1 (mounted on /srv)"));
}

/* a btrfs mount shows an anonymous device number: its source names it */
static void bind_refuses_disk_mounted_under_anonymous_number(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NVME, 4, "nvme");
	fake_blockdev(NS, "259:0", false);
	fake_proc_mount("0:45", "/dev/nvme0n1", "/data");
	assert_int_equal(bind_opts(NVME, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "nvme0n1 (mounted on /data)"));
}

static void bind_refuses_boot_display(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NIC, 3, NULL);
	fake_write("sys/bus/pci/devices/" NIC "/boot_vga", "1\n");
	assert_int_equal(bind_opts(NIC, false), -EBUSY);
	assert_true(fake_log_has(LOG_ERR,
				 "in use by the host: the boot display (boot_vga)"));
	assert_string_equal(driver_of(NIC), "");
}

/* down, link-local only, unmounted, not swapped to: nothing of the host's */
static void bind_takes_devices_the_host_does_not_use(void **state)
{
	(void)state;
	nic_addressed();
	fake_netdev(ETH0, false);
	assert_int_equal(bind_opts(NIC, false), 0);
	assert_string_equal(driver_of(NIC), "vfio-pci");

	/* up, but only the link-local address and routes every up
	 * interface gets */
	fake_unlink("proc/net/route");
	fake_unlink("proc/net/fib_trie");
	device("0000:00:05.0", 5, "virtio-pci");
	fake_netdev("sys/bus/pci/devices/0000:00:05.0/virtio1/net/eth0", true);
	assert_int_equal(bind_opts("0000:00:05.0", false), 0);

	device(NVME, 4, "nvme");
	fake_blockdev(NS, "259:0", false);
	fake_blockdev(NS "/nvme0n1p1", "259:1", true);
	fake_proc_mount("259:7", "/dev/nvme1n1", "/mnt");
	fake_write("sys/bus/pci/devices/" NVME "/boot_vga", "0\n");
	assert_int_equal(bind_opts(NVME, false), 0);
	assert_string_equal(driver_of(NVME), "vfio-pci");
	assert_false(fake_log_has(-1, "in use by the host"));
}

static void bind_with_force_takes_device_in_use(void **state)
{
	char prev[VFIODEV_NAME_LEN];
	VFIODEV_OPTS_INIT(vfiodev_bind_opts, opts);

	(void)state;
	nvme_mounted();
	nic_addressed();
	opts.force = true;
	assert_int_equal(vfiodev_bind(fake_ctx(), NVME, &opts, prev, sizeof(prev)),
			 0);
	assert_string_equal(prev, "nvme");
	assert_string_equal(driver_of(NVME), "vfio-pci");
	assert_true(fake_log_has(LOG_WARNING, NVME
				 ": in use by the host: nvme0n1 (mounted on /mnt); taking it anyway (force)"));
	assert_int_equal(bind_opts(NIC, true), 0);
	assert_string_equal(driver_of(NIC), "vfio-pci");
	assert_true(fake_log_has(LOG_WARNING,
				 "eth0 (10.0.2.15/24, default route); taking it anyway"));
	assert_false(fake_log_has(LOG_ERR, "in use by the host"));
}

/* an old caller's opts (no force field) and an old library's view of a
 * new caller's: force is a known field now, the byte after it is not */
static void bind_force_is_a_known_opts_field(void **state)
{
	struct {
		struct vfiodev_bind_opts o;
	} old = { .o = { .sz = offsetof(struct vfiodev_bind_opts, force) } };
	VFIODEV_OPTS_INIT(vfiodev_bind_opts, opts);

	(void)state;
	nvme_mounted();
	assert_int_equal(vfiodev_bind(fake_ctx(), NVME, &old.o, NULL, 0), -EBUSY);
	opts.reserved[0] = 1;
	assert_int_equal(vfiodev_bind(fake_ctx(), NVME, &opts, NULL, 0), -EINVAL);
	assert_string_equal(driver_of(NVME), "nvme");
}

/* already on vfio-pci: nothing to take, nothing to check */
static void bind_already_bound_is_not_checked(void **state)
{
	(void)state;
	iommufd_builtin();
	device(NVME, 4, "vfio-pci");
	fake_write("sys/bus/pci/devices/" NVME "/boot_vga", "1\n");
	assert_int_equal(bind_opts(NVME, false), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(modules_builtin_count_as_loaded),
		T(modules_loaded_module_reported_loaded),
		T(modules_type1_needed_without_iommufd),
		T(modules_type1_too_when_kernel_lacks_cdev),
		T(modules_missing_driver_fails_naming_it),
		T(modules_missing_type1_fails_naming_it),
		T(modules_going_module_is_absent),
		T(modules_reject_bad_driver_name),
		T(bind_device_without_driver),
		T(bind_refuses_a_fifo_attribute_without_hanging),
		T(bind_returns_previous_driver),
		T(bind_writes_override_then_unbind_then_probe),
		T(bind_override_failure_keeps_the_driver),
		T(bind_unbind_failure_clears_the_override),
		T(bind_rollback_binds_directly_without_override),
		T(bind_without_cdev_ensures_type1),
		T(bind_with_cdev_leaves_type1_alone),
		T(bind_already_bound_changes_nothing),
		T(bind_failed_probe_gives_device_back),
		T(bind_failed_probe_without_group_blames_iommu),
		T(bind_without_modules_skips_loading),
		T(bind_to_another_driver),
		T(bind_write_error_names_the_step),
		T(bind_unbind_error_names_the_driver),
		T(bind_bad_arguments),
		T(unbind_reprobe_restores_default_driver),
		T(unbind_reprobe_leaves_driverless_device_unbound),
		T(unbind_restores_named_driver),
		T(unbind_restore_to_vfio_keeps_override),
		T(unbind_none_leaves_no_driver),
		T(unbind_unknown_restore_driver_fails),
		T(unbind_restore_probe_failure_names_driver),
		T(unbind_bad_arguments),
		T(bind_refuses_nvme_with_mounted_filesystem),
		T(bind_refuses_up_interface_with_address_and_route),
		T(bind_refuses_interface_with_ipv6_address_only),
		T(bind_refuses_bridge_port),
		T(bind_refuses_interface_whose_vlan_is_addressed),
		T(bind_refuses_partitions_with_swap_and_holder),
		T(bind_refuses_nvme_whose_multipath_head_is_mounted),
		T(bind_refuses_disk_mounted_under_anonymous_number),
		T(bind_refuses_boot_display),
		T(bind_takes_devices_the_host_does_not_use),
		T(bind_with_force_takes_device_in_use),
		T(bind_force_is_a_known_opts_field),
		T(bind_already_bound_is_not_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
