// SPDX-License-Identifier: MIT
/*
 * The fake kernel's per-test world: its defaults, creation and removal,
 * the context tests use, the captured log, and the cmocka fixtures whose
 * teardown fails a test that leaves an fd or a kernel object behind.
 */
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

struct fake_state fk;
struct fake_config fake_cfg;

static int fd_baseline;
static struct vfiodev_ctx *the_ctx;

struct log_line {
	int prio;
	char text[480];
};

#define MAX_LOG 2048
static struct log_line *logs;
static size_t nr_logs;

static void die(const char *what)
{
	perror(what);
	abort();
}

/* ---- logs -------------------------------------------------------------- */

/* threads of one test may log at once */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void fake_log_fn(void *data, int priority, const char *file, int line,
		 const char *fn, const char *format, va_list args)
{
	struct log_line *l;

	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	pthread_mutex_lock(&log_lock);
	if (!logs)
		logs = calloc(MAX_LOG, sizeof(*logs));
	if (logs && nr_logs < MAX_LOG) {
		l = &logs[nr_logs++];
		l->prio = priority;
		vsnprintf(l->text, sizeof(l->text), format, args);
		if (getenv("FAKE_LOG"))
			fprintf(stderr, "  [log %d] %s\n", priority, l->text);
	}
	pthread_mutex_unlock(&log_lock);
}

bool fake_log_has(int priority, const char *substr)
{
	bool found = false;

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < nr_logs && !found; i++)
		found = (priority < 0 || logs[i].prio == priority) &&
			strstr(logs[i].text, substr);
	pthread_mutex_unlock(&log_lock);
	return found;
}

unsigned int fake_log_count(int priority)
{
	unsigned int n = 0;

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < nr_logs; i++)
		n += priority < 0 || logs[i].prio == priority;
	pthread_mutex_unlock(&log_lock);
	return n;
}

void fake_log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	nr_logs = 0;
	pthread_mutex_unlock(&log_lock);
}

void fake_log_dump(void)
{
	for (size_t i = 0; i < nr_logs; i++)
		fprintf(stderr, "  [log %d] %s\n", logs[i].prio, logs[i].text);
}

/* ---- world lifetime ---------------------------------------------------- */

static void defaults(void)
{
	static const struct vfiodev_iova_range x86[] = {
		{ 0, 0xfedfffffull },
		{ 0xfef00000ull, 0xffffffffffffull },
	};

	memset(&fake_cfg, 0, sizeof(fake_cfg));
	fake_mdev_removes_while_open = 0;
	fake_mdev_writes = 0;
	memcpy(fake_cfg.ioas_ranges, x86, sizeof(x86));
	fake_cfg.nr_ioas_ranges = ARRAY_SIZE(x86);
	fake_cfg.ioas_alignment = 4096;
	fake_cfg.api_version = VFIO_API_VERSION;
	fake_cfg.type1 = true;
	fake_cfg.type1v2 = true;
	fake_cfg.noiommu = true;
	fake_cfg.type1_iova_cap = true;
	memcpy(fake_cfg.type1_ranges, x86, sizeof(x86));
	fake_cfg.nr_type1_ranges = ARRAY_SIZE(x86);
	fake_cfg.type1_pgsizes = 0x40201000ull; /* 4K, 2M, 1G */
	fake_cfg.type1_migration = true;
}

/* a world is built and torn down per test, and per step of a fault
 * sweep: on tmpfs that is thirty times faster than on a disk */
static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	if (!access("/dev/shm", W_OK | X_OK))
		return "/dev/shm";
	return t && *t ? t : "/tmp";
}

int fake_init(void)
{
	char tmpl[PATH_MAX], real[PATH_MAX];

	if (fk.root[0])
		fake_fini();
	snprintf(tmpl, sizeof(tmpl), "%s/vfiodev-unit-XXXXXX", tmp_base());
	if (!mkdtemp(tmpl))
		die("mkdtemp");
	if (!realpath(tmpl, real))
		die(tmpl);
	if (strlen(real) >= sizeof(fk.root))
		die(real);
	strcpy(fk.root, real);
	snprintf(fk.sysfs, sizeof(fk.sysfs), "%s/sys", fk.root);
	snprintf(fk.dev, sizeof(fk.dev), "%s/dev", fk.root);
	fake_mkdir("sys/bus/pci/devices");
	fake_mkdir("sys/bus/pci/drivers/vfio-pci");
	fake_mkdir("sys/kernel/iommu_groups");
	fake_mkdir("sys/class/vfio");
	fake_mkdir("dev/vfio/devices");
	defaults();
	fake_seam_reset();
	fake_log_clear();
	vfd_sys = &fake_sys;
	fd_baseline = fake_fd_count();
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void fake_fini(void)
{
	if (the_ctx)
		the_ctx = vfiodev_ctx_unref(the_ctx);
	fake_seam_reset();
	while (fk.pcis) {
		struct fake_pci *p = fk.pcis;

		fk.pcis = p->next;
		for (int i = 0; i < FAKE_NR_REGIONS; i++)
			free(p->regions[i].mem);
		free(p);
	}
	while (fk.groups) {
		struct fake_group *g = fk.groups;

		fk.groups = g->next;
		free(g);
	}
	while (fake_nodes) {
		struct fake_node *n = fake_nodes;

		fake_nodes = n->next;
		free(n);
	}
	if (fk.root[0])
		nftw(fk.root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(logs);
	logs = NULL;
	nr_logs = 0;
	memset(&fk, 0, sizeof(fk));
	vfd_sys = &vfd_sys_real;
}

struct vfiodev_ctx *fake_ctx(void)
{
	struct vfiodev_ctx_opts opts = {
		.sz = sizeof(opts),
		.sysfs_root = fk.sysfs,
		.dev_root = fk.dev,
		.log_priority = LOG_DEBUG + 1,
	};

	if (!the_ctx) {
		if (vfiodev_ctx_new(&opts, &the_ctx))
			return NULL;
		vfiodev_ctx_set_log_fn(the_ctx, fake_log_fn, NULL);
	}
	return the_ctx;
}

struct vfiodev_ctx *fake_ctx_new(void)
{
	struct vfiodev_ctx_opts opts = {
		.sz = sizeof(opts),
		.sysfs_root = fk.sysfs,
		.dev_root = fk.dev,
		.log_priority = LOG_DEBUG + 1,
	};
	struct vfiodev_ctx *ctx;

	if (vfiodev_ctx_new(&opts, &ctx))
		return NULL;
	vfiodev_ctx_set_log_fn(ctx, fake_log_fn, NULL);
	return ctx;
}

int fake_setup(void **state)
{
	(void)state;
	return fake_init();
}

int fake_teardown(void **state)
{
	char why[512];
	bool clean;
	int fds;

	(void)state;
	if (the_ctx)
		the_ctx = vfiodev_ctx_unref(the_ctx);
	clean = fake_all_released(why, sizeof(why));
	fds = fake_fd_count();
	if (!clean)
		fprintf(stderr, "teardown: kernel objects left: %s\n", why);
	if (fds != fd_baseline)
		fprintf(stderr, "teardown: %d fds open, %d at setup\n", fds,
			fd_baseline);
	if (!clean || fds != fd_baseline)
		fake_log_dump();
	fake_fini();
	return clean && fds == fd_baseline ? 0 : -1;
}
