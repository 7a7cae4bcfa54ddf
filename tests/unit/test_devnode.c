// SPDX-License-Identifier: MIT
/*
 * lib/devnode.c and the group node check of lib/container.c: finding the
 * node of a character device and proving with fstat() that it is the one
 * sysfs names. A stale or planted node is refused, never used; a missing
 * one moves on to the next candidate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/sysmacros.h>

#include "fixture.h"

#define BDF "0000:00:03.0"

/* fake_path() rotates a few static buffers, and the builders use them
 * too: candidate lists keep their own copies */
struct cands {
	char buf[3][256];
	const char *v[4];
};

static const char *const *cands(struct cands *c, const char *a, const char *b)
{
	size_t n = 0;

	if (a) {
		snprintf(c->buf[n], sizeof(c->buf[n]), "%s", fake_path("%s", a));
		c->v[n] = c->buf[n];
		n++;
	}
	if (b) {
		snprintf(c->buf[n], sizeof(c->buf[n]), "%s", fake_path("%s", b));
		c->v[n] = c->buf[n];
		n++;
	}
	c->v[n] = NULL;
	return c->v;
}

static dev_t want(void)
{
	return makedev(FAKE_CDEV_MAJOR, 0);
}

static void devnode_check_accepts_the_char_device_sysfs_names(void **state)
{
	struct fake_pci *p;
	struct stat st;
	int fd;

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fd = fake_open_node("dev/vfio/devices/vfio0");
	assert_true(fd >= 0);
	assert_int_equal(vfd_devnode_check(fake_ctx(), fd, "vfio0", want(), &st), 0);
	fake_sys.close(fd);
}

static void devnode_check_refuses_a_node_with_another_devnum(void **state)
{
	struct fake_pci *p;
	struct stat st;
	int fd;

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", makedev(FAKE_CDEV_MAJOR, 9));
	fd = fake_open_node("dev/vfio/devices/vfio0");
	assert_true(fd >= 0);
	assert_int_equal(vfd_devnode_check(fake_ctx(), fd, "vfio0", want(), &st),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "node is 511:9 but sysfs names 511:0"));
	assert_true(fake_log_has(LOG_ERR, "stale or planted"));
	fake_sys.close(fd);
}

static void devnode_check_refuses_a_regular_file(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	fake_write("dev/vfio/devices/vfio0", "");
	fd = fake_open_node("dev/vfio/devices/vfio0");
	assert_true(fd >= 0);
	assert_int_equal(vfd_devnode_check(fake_ctx(), fd, "vfio0", want(), &st),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "not a character device"));
	fake_sys.close(fd);
}

static void devnode_open_tries_candidates_in_order(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256] = "";
	int fd;

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fd = vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
			      cands(&c, "dev/missing", "dev/vfio/devices/vfio0"),
			      path, sizeof(path));
	assert_true(fd >= 0);
	assert_string_equal(path, fake_path("dev/vfio/devices/vfio0"));
	fake_sys.close(fd);
}

static void devnode_open_falls_back_to_dev_char_majmin(void **state)
{
	struct fake_pci *p;
	char path[256] = "";
	int fd;

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fake_symlink("dev/vfio/devices/vfio0", "dev/char/511:0");
	fd = vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(), NULL, path,
			      sizeof(path));
	assert_true(fd >= 0);
	assert_string_equal(path, fake_path("dev/char/511:0"));
	fake_sys.close(fd);
}

static void devnode_open_without_any_node_is_enoent_and_lists_tries(void **state)
{
	struct cands c;
	char path[256] = "";

	(void)state;
	assert_int_equal(vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
					  cands(&c, "dev/vfio/devices/vfio0", NULL),
					  path, sizeof(path)),
			 -ENOENT);
	assert_string_equal(path, "");
	assert_true(fake_log_has(LOG_INFO, "no node for char device 511:0"));
	assert_true(fake_log_has(LOG_INFO, "dev/vfio/devices/vfio0"));
	assert_true(fake_log_has(LOG_INFO, "dev/char/511:0"));
}

static void devnode_open_stops_at_a_planted_node(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256] = "";

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/planted", makedev(FAKE_CDEV_MAJOR, 1));
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	/* a node that exists but is another device ends the search: the
	 * planted one is closed (the teardown counts fds), not skipped */
	assert_int_equal(vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
					  cands(&c, "dev/planted",
						"dev/vfio/devices/vfio0"),
					  path, sizeof(path)),
			 -ENXIO);
	assert_string_equal(path, "");
	assert_int_equal(fake_open_count("/dev/vfio/devices/vfio0"), 0);
}

/* the check comes before any open of the device: a planted node is only
 * ever opened O_PATH (its open routine never runs: a pty is not acquired
 * as a controlling terminal); it used to be opened read-write first */
static void devnode_open_checks_a_node_before_opening_the_device(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256] = "";

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", makedev(FAKE_CDEV_MAJOR, 9));
	assert_int_equal(vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
					  cands(&c, "dev/vfio/devices/vfio0", NULL),
					  path, sizeof(path)),
			 -ENXIO);
	assert_int_equal(fake_open_count("/dev/vfio/devices/vfio0"), 0);
}

/* without /proc the path is opened again, and must be the inode checked;
 * the hook lets the O_PATH open pass and swaps the file before the second */
static int swap_calls;

static void swap_node(void *arg)
{
	const char *rel = arg;

	if (swap_calls++ == 0) {
		fake_on_open("/dev/vfio/devices/vfio0", swap_node, arg);
		return;
	}
	fake_unlink(rel);
	fake_write(rel, "another file\n");
}

static void devnode_open_without_proc_reopens_the_same_inode(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256] = "";
	struct stat st;
	int fd;

	(void)state;
	fake_cfg.no_proc = true;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fd = vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
			      cands(&c, "dev/vfio/devices/vfio0", NULL), path,
			      sizeof(path));
	assert_true(fd >= 0);
	assert_int_equal(fake_sys.fstat(fd, &st), 0);
	assert_true(st.st_rdev == want());
	fake_sys.close(fd);
	/* swapped between the check and the open: refused */
	swap_calls = 0;
	fake_on_open("/dev/vfio/devices/vfio0", swap_node,
		     (void *)"dev/vfio/devices/vfio0");
	fd = vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
			      cands(&c, "dev/vfio/devices/vfio0", NULL), path,
			      sizeof(path));
	assert_int_equal(fd, -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "changed while it was opened"));
}

/* a thread with its own fd table (unshare(CLONE_FILES)): /proc/self/fd/N
 * is the leader's fd N, here another device; the node checked as fd N is
 * the one opened, through /proc/thread-self */
static void devnode_reopen_uses_the_calling_threads_fd_table(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256] = "";
	struct stat st;
	int fd;

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fake_node_cdev(p, "dev/zero", makedev(1, 5));
	fake_cfg.leader_fd_node = "dev/zero";
	fd = vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
			      cands(&c, "dev/vfio/devices/vfio0", NULL), path,
			      sizeof(path));
	assert_true(fd >= 0);
	assert_int_equal(fake_sys.fstat(fd, &st), 0);
	assert_true(st.st_rdev == want());
	fake_sys.close(fd);
	/* before Linux 3.17 (no thread-self): the path again, checked */
	fake_cfg.no_thread_self = true;
	fd = vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
			      cands(&c, "dev/vfio/devices/vfio0", NULL), path,
			      sizeof(path));
	assert_true(fd >= 0);
	assert_int_equal(fake_sys.fstat(fd, &st), 0);
	assert_true(st.st_rdev == want());
	fake_sys.close(fd);
}

/* whatever the reopen gave is compared with the node checked (inode and
 * device number) on the /proc branch too */
static void devnode_reopen_refuses_another_node_through_proc(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256] = "";

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fake_node_cdev(p, "dev/zero", makedev(1, 5));
	fake_cfg.reopen_node = "dev/zero";
	assert_int_equal(vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
					  cands(&c, "dev/vfio/devices/vfio0", NULL),
					  path, sizeof(path)),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "changed while it was opened"));
	assert_int_equal(fake_open_count("/dev/zero"), 1);
}

static void devnode_open_permission_denied_is_logged(void **state)
{
	struct cands c;
	struct fake_pci *p;
	char path[256];

	(void)state;
	p = fake_pci_add("0000:00:03.0", 5, "vfio-pci");
	fake_node_cdev(p, "dev/vfio/devices/vfio0", want());
	fake_fail_open("/dev/vfio/devices/vfio0", EACCES);
	assert_int_equal(vfd_devnode_open(fake_ctx(), "0000:00:03.0", want(),
					  cands(&c, "dev/vfio/devices/vfio0", NULL),
					  path, sizeof(path)),
			 -EACCES);
	assert_true(fake_log_has(LOG_ERR, "permission denied"));
}

static void group_node_open_checks_the_class_devnum(void **state)
{
	char path[256];

	(void)state;
	fake_group_node(5);
	/* sysfs says group 5 is 510:6: the node (510:5) is not it, its
	 * number is group 7's */
	fake_write("sys/class/vfio/5/dev", "510:6\n");
	fake_mkdir("sys/devices/virtual/vfio/7");
	fake_symlink("sys/devices/virtual/vfio/7", "sys/dev/char/510:5");
	assert_int_equal(vfd_group_node_open(fake_ctx(), NULL, 5, false, path,
					     sizeof(path)),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR,
				 "node is 510:5, which sysfs does not give to class/vfio/5"));
	/* without the link (an old kernel): the class attribute decides */
	fake_unlink("sys/dev/char/510:5");
	assert_int_equal(vfd_group_node_open(fake_ctx(), NULL, 5, false, path,
					     sizeof(path)),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "sysfs names 510:6"));
}

static void group_node_open_accepts_the_node_sysfs_names(void **state)
{
	char path[256];
	int fd;

	(void)state;
	fake_group_node(5);
	fd = vfd_group_node_open(fake_ctx(), NULL, 5, false, path, sizeof(path));
	assert_true(fd >= 0);
	assert_string_equal(path, fake_path("dev/vfio/5"));
	fake_sys.close(fd);
}

static void group_node_open_without_class_entry_needs_a_char_device(void **state)
{
	char path[256];
	int fd;

	(void)state;
	/* kernels before 6.2 have no class/vfio/N/dev */
	fake_group_node(5);
	fake_unlink("sys/class/vfio/5/dev");
	fd = vfd_group_node_open(fake_ctx(), NULL, 5, false, path, sizeof(path));
	assert_true(fd >= 0);
	fake_sys.close(fd);

	fake_write("dev/vfio/6", "");
	assert_int_equal(vfd_group_node_open(fake_ctx(), NULL, 6, false, path,
					     sizeof(path)),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "refused: not a character device"));
}

static void group_node_open_of_missing_node_says_to_bind_vfio(void **state)
{
	char path[256];

	(void)state;
	assert_int_equal(vfd_group_node_open(fake_ctx(), NULL, 7, false, path,
					     sizeof(path)),
			 -ENOENT);
	assert_true(fake_log_has(LOG_ERR, "group 7 is not bound to vfio"));
}

static void group_node_open_of_busy_group_is_ebusy(void **state)
{
	char path[256];
	int fd;

	(void)state;
	fake_group_node(5);
	fd = fake_open_node("dev/vfio/5"); /* another opener holds it */
	assert_true(fd >= 0);
	assert_int_equal(vfd_group_node_open(fake_ctx(), NULL, 5, false, path,
					     sizeof(path)),
			 -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "busy"));
	fake_sys.close(fd);
}

static void group_node_open_uses_the_noiommu_name(void **state)
{
	char path[256];
	int fd;

	(void)state;
	fake_group_noiommu(3);
	fd = vfd_group_node_open(fake_ctx(), NULL, 3, true, path, sizeof(path));
	assert_true(fd >= 0);
	assert_string_equal(path, fake_path("dev/vfio/noiommu-3"));
	fake_sys.close(fd);
}

/* review: /dev/iommu was used without an identity check, although the
 * diagnosis says the library refuses a wrong node; now a node that is not
 * the misc device sysfs names is refused and the group path is taken */
static void planted_dev_iommu_is_refused(void **state)
{
	struct vfiodev_device *dev = NULL;
	const char *why;

	(void)state;
	fake_std_device(BDF, 5, 0);
	/* fake_node_iommu() registers 10:123; sysfs names another number */
	fake_mkdir("sys/class/misc/iommu");
	fake_write("sys/class/misc/iommu/dev", "10:124\n");
	fake_mkdir("sys/devices/virtual/misc/rtc");
	fake_symlink("sys/devices/virtual/misc/rtc", "sys/dev/char/10:123");
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_device_backend(dev), VFIODEV_BACKEND_CONTAINER);
	why = vfiodev_device_fallback_reason(dev);
	assert_non_null(why);
	assert_non_null(strstr(why, "iommu"));
	assert_true(fake_log_has(LOG_ERR, "stale or planted"));
	vfiodev_device_close(dev);
}

static void planted_container_node_is_refused(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *dev = NULL;

	(void)state;
	fake_std_device(BDF, 5, -1);
	fake_mkdir("sys/class/misc/vfio");
	fake_write("sys/class/misc/vfio/dev", "10:197\n");
	fake_mkdir("sys/devices/virtual/misc/rtc");
	fake_symlink("sys/devices/virtual/misc/rtc", "sys/dev/char/10:196");
	opts.backend = VFIODEV_BACKEND_CONTAINER;
	assert_int_equal(fixture_open_err(BDF, &opts), -ENXIO);
	/* the genuine number is accepted */
	fake_write("sys/class/misc/vfio/dev", "10:196\n");
	fake_symlink("sys/devices/virtual/misc/vfio", "sys/dev/char/10:196");
	dev = fixture_open(BDF, &opts);
	vfiodev_device_close(dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(devnode_check_accepts_the_char_device_sysfs_names),
		T(devnode_check_refuses_a_node_with_another_devnum),
		T(devnode_check_refuses_a_regular_file),
		T(devnode_open_checks_a_node_before_opening_the_device),
		T(devnode_open_without_proc_reopens_the_same_inode),
		T(devnode_reopen_uses_the_calling_threads_fd_table),
		T(devnode_reopen_refuses_another_node_through_proc),
		T(devnode_open_tries_candidates_in_order),
		T(devnode_open_falls_back_to_dev_char_majmin),
		T(devnode_open_without_any_node_is_enoent_and_lists_tries),
		T(devnode_open_stops_at_a_planted_node),
		T(devnode_open_permission_denied_is_logged),
		T(group_node_open_checks_the_class_devnum),
		T(group_node_open_accepts_the_node_sysfs_names),
		T(group_node_open_without_class_entry_needs_a_char_device),
		T(group_node_open_of_missing_node_says_to_bind_vfio),
		T(group_node_open_of_busy_group_is_ebusy),
		T(group_node_open_uses_the_noiommu_name),
		T(planted_dev_iommu_is_refused),
		T(planted_container_node_is_refused),
	};

	return cmocka_run_group_tests_name("devnode", tests, NULL, NULL);
}
