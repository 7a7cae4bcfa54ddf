// SPDX-License-Identifier: MIT
/*
 * lib/ctx.c and lib/log.c: the context's reference count, its log
 * callback and priority (from opts, the environment, the setters), the
 * injectable roots, the forced backend from the environment, and the
 * options-struct rules (sized, forward compatible, unknown tails refused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>

#include "fixture.h"

#define BDF "0000:00:03.0"

static const char *const env_vars[] = {
	"VFIODEV_LOG",
	"VFIODEV_SYSFS_ROOT",
	"VFIODEV_DEV_ROOT",
	"VFIODEV_BACKEND",
};

static int ctx_teardown(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_vars); i++)
		unsetenv(env_vars[i]);
	return fake_teardown(state);
}

static struct vfiodev_ctx *ctx_new_ok(const struct vfiodev_ctx_opts *opts)
{
	struct vfiodev_ctx *ctx = NULL;

	assert_int_equal(vfiodev_ctx_new(opts, &ctx), 0);
	assert_non_null(ctx);
	return ctx;
}

static int ctx_new_err(const struct vfiodev_ctx_opts *opts)
{
	struct vfiodev_ctx *ctx = NULL;
	int ret = vfiodev_ctx_new(opts, &ctx);

	assert_null(ctx);
	return ret;
}

/* opens the standard device through @ctx and closes it again */
static int try_open(struct vfiodev_ctx *ctx)
{
	struct vfiodev_device *dev = NULL;
	int ret = vfiodev_device_open(ctx, BDF, NULL, &dev);

	vfiodev_device_close(dev);
	return ret;
}

struct seen {
	int n;
	int prio[32];
	char text[32][256];
	char fn[32][64];
};

static void record(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	struct seen *s = data;

	assert_non_null(file);
	assert_true(line > 0);
	if (s->n == 32)
		return;
	s->prio[s->n] = priority;
	snprintf(s->fn[s->n], sizeof(s->fn[0]), "%s", fn);
	vsnprintf(s->text[s->n], sizeof(s->text[0]), format, args);
	s->n++;
}

static int seen_find(const struct seen *s, const char *substr)
{
	for (int i = 0; i < s->n; i++)
		if (strstr(s->text[i], substr))
			return i;
	return -1;
}

static void ctx_new_gives_one_reference_and_the_last_unref_frees(void **state)
{
	struct vfiodev_ctx *ctx;

	(void)state;
	ctx = ctx_new_ok(NULL);
	assert_int_equal(ctx->refcount, 1);
	assert_ptr_equal(vfiodev_ctx_ref(ctx), ctx);
	assert_int_equal(ctx->refcount, 2);
	assert_null(vfiodev_ctx_unref(ctx));
	assert_int_equal(ctx->refcount, 1);
	/* the last one frees (ASan reports any use after it) */
	assert_null(vfiodev_ctx_unref(ctx));
}

static void ctx_ref_and_unref_accept_null(void **state)
{
	(void)state;
	assert_null(vfiodev_ctx_ref(NULL));
	assert_null(vfiodev_ctx_unref(NULL));
	vfiodev_ctx_set_log_fn(NULL, record, NULL);
	vfiodev_ctx_set_log_priority(NULL, LOG_DEBUG);
	assert_int_equal(vfiodev_ctx_get_log_priority(NULL), LOG_ERR);
	assert_int_equal(vfiodev_ctx_new(NULL, NULL), -EINVAL);
}

static void ctx_defaults_are_the_real_roots_and_log_err(void **state)
{
	struct vfiodev_ctx *ctx;

	(void)state;
	ctx = ctx_new_ok(NULL);
	assert_string_equal(ctx->sysfs_root, "/sys");
	assert_string_equal(ctx->dev_root, "/dev");
	assert_int_equal(vfiodev_ctx_get_log_priority(ctx), LOG_ERR);
	assert_int_equal(ctx->env_backend, VFIODEV_BACKEND_AUTO);
	assert_int_equal(ctx->iommufd, -1);
	vfiodev_ctx_unref(ctx);
}

static void log_callback_receives_lines_at_their_priority(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, opts);
	struct vfiodev_ctx *ctx;
	struct seen s = { 0 };
	int i;

	(void)state;
	fake_std_device(BDF, 5, -1); /* takes the group path: an info line */
	opts.sysfs_root = fake_sysfs_root();
	opts.dev_root = fake_dev_root();
	opts.log_priority = LOG_DEBUG + 1;
	ctx = ctx_new_ok(&opts);
	vfiodev_ctx_set_log_fn(ctx, record, &s);
	assert_int_equal(try_open(ctx), 0);
	i = seen_find(&s, "trying the group path");
	assert_true(i >= 0);
	assert_int_equal(s.prio[i], LOG_INFO);
	assert_string_equal(s.fn[i], "device_join");

	assert_int_equal(vfiodev_device_open(ctx, "junk", NULL,
					     &(struct vfiodev_device *){ NULL }),
			 -EINVAL);
	i = seen_find(&s, "'junk' is not a PCI address");
	assert_true(i >= 0);
	assert_int_equal(s.prio[i], LOG_ERR);
	vfiodev_ctx_unref(ctx);
}

struct longest {
	size_t len;
	bool newline;
	char last[8192];
};

static void record_len(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	struct longest *l = data;
	int n;

	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	n = vsnprintf(l->last, sizeof(l->last), format, args);
	if (n > 0 && (size_t)n > l->len)
		l->len = (size_t)n;
	if (strchr(l->last, '\n'))
		l->newline = true;
}

/* a caller's string in a log line: a newline cannot forge a second line,
 * and a 1 MiB string does not make a 1 MiB line */
static void log_lines_are_escaped_and_bounded(void **state)
{
	struct longest l = { 0 };
	struct vfiodev_ctx *ctx = fake_ctx();
	struct vfiodev_device *dev = NULL;
	char *huge = malloc(1 << 20);

	(void)state;
	assert_non_null(huge);
	vfiodev_ctx_set_log_fn(ctx, record_len, &l);
	assert_int_equal(vfiodev_device_open(ctx, "00:03.0\nlibvfiodev: err: forged",
					     NULL, &dev),
			 -EINVAL);
	assert_false(l.newline);
	assert_non_null(strstr(l.last, "00:03.0\\nlibvfiodev"));
	memset(huge, 'a', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	assert_int_equal(vfiodev_device_open(ctx, huge, NULL, &dev), -EINVAL);
	assert_true(l.len < 1200);
	assert_non_null(strstr(l.last, "bytes in all"));
	free(huge);
}

/* a thread logging while another swaps the log callback: every line must
 * reach a callback with its own data (callback and data were two plain
 * stores: a reader could pair one with the other's data; TSan reports the
 * race in CI's thread-sanitizer leg) */
static int sink_a, sink_b;
static int mismatches, lines;

static void sink_fn_a(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)priority, (void)file, (void)line, (void)fn, (void)format;
	(void)args;
	if (data != &sink_a)
		__atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&lines, 1, __ATOMIC_RELAXED);
}

static void sink_fn_b(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)priority, (void)file, (void)line, (void)fn, (void)format;
	(void)args;
	if (data != &sink_b)
		__atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&lines, 1, __ATOMIC_RELAXED);
}

static bool swapping;

static void *swapper(void *arg)
{
	struct vfiodev_ctx *ctx = arg;

	for (unsigned int i = 0;
	     __atomic_load_n(&swapping, __ATOMIC_RELAXED) && i < 4000; i++) {
		vfiodev_ctx_set_log_fn(ctx, i & 1 ? sink_fn_a : sink_fn_b,
				       i & 1 ? (void *)&sink_a : (void *)&sink_b);
		vfiodev_ctx_set_log_priority(ctx, i & 2 ? LOG_ERR : LOG_DEBUG);
	}
	return NULL;
}

static void log_callback_swaps_are_atomic_for_logging_threads(void **state)
{
	struct vfiodev_ctx *ctx = fake_ctx();
	struct vfiodev_device *dev;
	pthread_t th;

	(void)state;
	vfiodev_ctx_set_log_fn(ctx, sink_fn_a, &sink_a);
	__atomic_store_n(&swapping, true, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&th, NULL, swapper, ctx), 0);
	for (int i = 0; i < 4000; i++)
		vfiodev_device_open(ctx, "junk", NULL, &dev);
	__atomic_store_n(&swapping, false, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	assert_int_equal(__atomic_load_n(&mismatches, __ATOMIC_RELAXED), 0);
	assert_true(__atomic_load_n(&lines, __ATOMIC_RELAXED) > 0);
	vfiodev_ctx_set_log_fn(ctx, NULL, NULL);
}

/* node paths are a root plus a name in fixed buffers: a root long enough
 * to cut them is refused up front (a 240-byte root made the library look
 * for ".../vfio/devices/v" and say ENOENT) */
static void ctx_refuses_roots_longer_than_128_bytes(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, opts);
	struct vfiodev_ctx *ctx = NULL;
	char root[241];

	(void)state;
	root[0] = '/';
	memset(root + 1, 'r', sizeof(root) - 2);
	root[sizeof(root) - 1] = '\0';
	opts.dev_root = root;
	opts.sysfs_root = fake_sysfs_root();
	assert_int_equal(vfiodev_ctx_new(&opts, &ctx), -ENAMETOOLONG);
	assert_null(ctx);
	root[129] = '\0'; /* 129 bytes: one too many */
	assert_int_equal(vfiodev_ctx_new(&opts, &ctx), -ENAMETOOLONG);
	root[128] = '\0';
	assert_int_equal(vfiodev_ctx_new(&opts, &ctx), 0);
	vfiodev_ctx_unref(ctx);
}

static void log_priority_filters_lines_and_is_clamped(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, opts);
	struct vfiodev_ctx *ctx;
	struct seen s = { 0 };

	(void)state;
	fake_std_device(BDF, 5, -1);
	opts.sysfs_root = fake_sysfs_root();
	opts.dev_root = fake_dev_root();
	ctx = ctx_new_ok(&opts);
	vfiodev_ctx_set_log_fn(ctx, record, &s);
	assert_int_equal(try_open(ctx), 0);
	/* at LOG_ERR, a successful fallback logs nothing */
	assert_int_equal(s.n, 0);
	vfiodev_ctx_set_log_priority(ctx, LOG_INFO);
	assert_int_equal(try_open(ctx), 0);
	assert_true(seen_find(&s, "trying the group path") >= 0);
	for (int i = 0; i < s.n; i++)
		assert_true(s.prio[i] <= LOG_INFO);

	vfiodev_ctx_set_log_priority(ctx, -5);
	assert_int_equal(vfiodev_ctx_get_log_priority(ctx), LOG_EMERG);
	vfiodev_ctx_set_log_priority(ctx, 99);
	assert_int_equal(vfiodev_ctx_get_log_priority(ctx), LOG_DEBUG);
	vfiodev_ctx_unref(ctx);
}

static void log_priority_from_the_environment(void **state)
{
	static const struct {
		const char *env;
		int prio;
	} cases[] = {
		{ "debug", LOG_DEBUG },
		{ "6", LOG_INFO },
		{ "error", LOG_ERR },
		{ "warning", LOG_WARNING },
		{ "0", LOG_EMERG },
		/* nonsense keeps the default */
		{ "bogus", LOG_ERR },
		{ "9", LOG_ERR },
		{ "-1", LOG_ERR },
		{ "7x", LOG_ERR },
		{ "", LOG_ERR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vfiodev_ctx *ctx;

		setenv("VFIODEV_LOG", cases[i].env, 1);
		ctx = ctx_new_ok(NULL);
		if (vfiodev_ctx_get_log_priority(ctx) != cases[i].prio)
			fail_msg("VFIODEV_LOG=%s gave %d", cases[i].env,
				 vfiodev_ctx_get_log_priority(ctx));
		vfiodev_ctx_unref(ctx);
	}
}

static void opts_log_priority_overrides_the_environment(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, opts);
	struct vfiodev_ctx *ctx;

	(void)state;
	setenv("VFIODEV_LOG", "debug", 1);
	opts.log_priority = LOG_WARNING + 1;
	ctx = ctx_new_ok(&opts);
	assert_int_equal(vfiodev_ctx_get_log_priority(ctx), LOG_WARNING);
	vfiodev_ctx_unref(ctx);
	/* 0 keeps the environment's */
	opts.log_priority = 0;
	ctx = ctx_new_ok(&opts);
	assert_int_equal(vfiodev_ctx_get_log_priority(ctx), LOG_DEBUG);
	vfiodev_ctx_unref(ctx);
	opts.log_priority = LOG_DEBUG + 2;
	assert_int_equal(ctx_new_err(&opts), -EINVAL);
	opts.log_priority = -1;
	assert_int_equal(ctx_new_err(&opts), -EINVAL);
}

static void roots_from_the_environment_are_used(void **state)
{
	struct vfiodev_ctx *ctx;

	(void)state;
	fake_std_device(BDF, 5, 0);
	setenv("VFIODEV_SYSFS_ROOT", fake_sysfs_root(), 1);
	setenv("VFIODEV_DEV_ROOT", fake_dev_root(), 1);
	ctx = ctx_new_ok(NULL);
	assert_string_equal(ctx->sysfs_root, fake_sysfs_root());
	assert_string_equal(ctx->dev_root, fake_dev_root());
	/* libudev only serves the real /sys and /dev */
	assert_false(ctx->udev_usable);
	assert_int_equal(try_open(ctx), 0);
	vfiodev_ctx_unref(ctx);
}

static void roots_from_opts_override_the_environment(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, opts);
	struct vfiodev_ctx *ctx;

	(void)state;
	fake_std_device(BDF, 5, 0);
	setenv("VFIODEV_SYSFS_ROOT", "/nonexistent/sys", 1);
	setenv("VFIODEV_DEV_ROOT", "/nonexistent/dev", 1);
	ctx = ctx_new_ok(NULL);
	assert_int_equal(try_open(ctx), -ENODEV);
	vfiodev_ctx_unref(ctx);

	opts.sysfs_root = fake_sysfs_root();
	opts.dev_root = fake_dev_root();
	ctx = ctx_new_ok(&opts);
	assert_int_equal(try_open(ctx), 0);
	vfiodev_ctx_unref(ctx);
}

static void relative_roots_are_refused(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, opts);

	(void)state;
	opts.sysfs_root = "sys";
	assert_int_equal(ctx_new_err(&opts), -EINVAL);
	opts.sysfs_root = NULL;
	opts.dev_root = "./dev";
	assert_int_equal(ctx_new_err(&opts), -EINVAL);
	setenv("VFIODEV_SYSFS_ROOT", "relative", 1);
	assert_int_equal(ctx_new_err(NULL), -EINVAL);
}

static void opts_with_an_unknown_nonzero_tail_are_refused(void **state)
{
	struct {
		struct vfiodev_ctx_opts o;
		uint32_t newer;
		uint32_t newest;
	} big;
	struct vfiodev_ctx *ctx;

	(void)state;
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.newest = 1;
	assert_int_equal(ctx_new_err(&big.o), -EINVAL);
	/* all-zero unknown fields: an old library serves a newer caller */
	big.newest = 0;
	ctx = ctx_new_ok(&big.o);
	vfiodev_ctx_unref(ctx);
}

static void opts_with_zero_size_are_refused(void **state)
{
	struct vfiodev_ctx_opts opts = { 0 };

	(void)state;
	assert_int_equal(ctx_new_err(&opts), -EINVAL);
	opts.sz = sizeof(size_t) - 1;
	assert_int_equal(ctx_new_err(&opts), -EINVAL);
}

static void older_smaller_opts_are_read_only_as_far_as_their_size(void **state)
{
	struct vfiodev_ctx_opts opts = { 0 };
	struct vfiodev_ctx *ctx;

	(void)state;
	/* an old caller knew only sz and sysfs_root: what lies beyond is
	 * not its data and must not be read */
	opts.sz = offsetof(struct vfiodev_ctx_opts, dev_root);
	opts.sysfs_root = fake_sysfs_root();
	opts.dev_root = "relative-garbage";
	opts.log_priority = 1000;
	ctx = ctx_new_ok(&opts);
	assert_string_equal(ctx->sysfs_root, fake_sysfs_root());
	assert_string_equal(ctx->dev_root, "/dev");
	assert_int_equal(vfiodev_ctx_get_log_priority(ctx), LOG_ERR);
	vfiodev_ctx_unref(ctx);
}

/*
 * A program built against a newer header whose next field landed in what
 * is tail padding here: the library must refuse it, not ignore it. Each
 * v2 struct is this version's with one field more, the same size. (With
 * the check from sizeof, all five were accepted and the field ignored.)
 */
struct ctx_opts_v2 {
	size_t sz;
	const char *sysfs_root, *dev_root;
	int log_priority;
	bool no_module_load;
	bool next;
};
struct space_opts_v2 {
	size_t sz;
	enum vfiodev_backend backend;
	uint64_t iova_max;
	uint32_t next;
};
struct device_opts_v2 {
	size_t sz;
	struct vfiodev_space *space;
	enum vfiodev_backend backend;
	bool allow_noiommu;
	uint8_t reserved[3];
	const char *vf_token;
	bool next;
};
struct bind_opts_v2 {
	size_t sz;
	const char *driver;
	bool no_modules;
	bool force;
	bool next;
};
struct pci_scan_opts_v2 {
	size_t sz;
	bool vfio_only;
	uint16_t vendor, device;
	uint16_t next;
};

#define V2(type, v2)                                                             \
	struct v2 v2##_v = { .sz = sizeof(struct v2), .next = 1 };               \
	_Static_assert(sizeof(struct v2) == sizeof(struct type) ||               \
			       offsetof(struct v2, next) >= sizeof(struct type), \
		       "v2 layout")

static void newer_opts_with_a_field_in_the_tail_padding_are_refused(void **state)
{
	struct vfiodev_ctx *ctx = NULL;
	struct vfiodev_space *sp = NULL;
	struct vfiodev_device *dev = NULL;
	struct vfiodev_pci_list *list = NULL;
	char prev[VFIODEV_NAME_LEN];

	(void)state;
	fake_std_device(BDF, 5, 0);
	{
		V2(vfiodev_ctx_opts, ctx_opts_v2);
		ctx_opts_v2_v.sysfs_root = fake_sysfs_root();
		ctx_opts_v2_v.dev_root = fake_dev_root();
		assert_int_equal(vfiodev_ctx_new((void *)&ctx_opts_v2_v, &ctx),
				 -EINVAL);
		assert_null(ctx);
	}
	{
		V2(vfiodev_space_opts, space_opts_v2);
		assert_int_equal(vfiodev_space_new(fake_ctx(),
						   (void *)&space_opts_v2_v, &sp),
				 -EINVAL);
		assert_null(sp);
	}
	{
		V2(vfiodev_device_opts, device_opts_v2);
		assert_int_equal(vfiodev_device_open(fake_ctx(), BDF,
						     (void *)&device_opts_v2_v,
						     &dev),
				 -EINVAL);
		assert_null(dev);
	}
	{
		V2(vfiodev_bind_opts, bind_opts_v2);
		assert_int_equal(vfiodev_bind(fake_ctx(), BDF, (void *)&bind_opts_v2_v,
					      prev, sizeof(prev)),
				 -EINVAL);
	}
	{
		V2(vfiodev_pci_scan_opts, pci_scan_opts_v2);
		assert_int_equal(vfiodev_pci_scan(fake_ctx(),
						  (void *)&pci_scan_opts_v2_v, &list),
				 -EINVAL);
		assert_null(list);
	}
	assert_true(fake_log_has(LOG_ERR, "unknown non-zero field"));
}

/* the init macro zeroes every byte, padding included, so the library's
 * check never sees garbage where a newer field would be */
static void opts_init_zeroes_the_padding(void **state)
{
	unsigned char junk[sizeof(struct vfiodev_device_opts)];

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	{
		VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
		const unsigned char *b = (const unsigned char *)&o;

		assert_int_equal(o.sz, sizeof(o));
		for (size_t i = sizeof(size_t); i < sizeof(o); i++)
			assert_int_equal(b[i], 0);
	}
	(void)junk;
}

static void backend_from_the_environment(void **state)
{
	struct vfiodev_ctx *ctx;

	(void)state;
	setenv("VFIODEV_BACKEND", "iommufd", 1);
	ctx = ctx_new_ok(NULL);
	assert_int_equal(ctx->env_backend, VFIODEV_BACKEND_IOMMUFD);
	vfiodev_ctx_unref(ctx);
	setenv("VFIODEV_BACKEND", "", 1);
	ctx = ctx_new_ok(NULL);
	assert_int_equal(ctx->env_backend, VFIODEV_BACKEND_AUTO);
	vfiodev_ctx_unref(ctx);
	setenv("VFIODEV_BACKEND", "vfio", 1);
	assert_int_equal(ctx_new_err(NULL), -EINVAL);
}

static void backend_names(void **state)
{
	(void)state;
	assert_string_equal(vfiodev_backend_name(VFIODEV_BACKEND_AUTO), "auto");
	assert_string_equal(vfiodev_backend_name(VFIODEV_BACKEND_IOMMUFD),
			    "iommufd");
	assert_string_equal(vfiodev_backend_name(VFIODEV_BACKEND_CONTAINER),
			    "container");
	assert_string_equal(vfiodev_backend_name((enum vfiodev_backend)3),
			    "unknown");
	assert_string_equal(vfiodev_backend_name((enum vfiodev_backend) - 1),
			    "unknown");
}

static void default_log_goes_to_stderr_as_one_line(void **state)
{
	struct vfiodev_ctx *ctx;
	char out[512] = "";
	int pipefd[2], saved;
	ssize_t n;

	(void)state;
	ctx = ctx_new_ok(NULL);
	vfiodev_ctx_set_log_fn(ctx, record, NULL);
	vfiodev_ctx_set_log_fn(ctx, NULL, NULL); /* back to the default */
	assert_int_equal(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK), 0);
	fflush(stderr);
	saved = dup(2);
	dup2(pipefd[1], 2);
	assert_int_equal(vfiodev_device_open(ctx, "junk", NULL,
					     &(struct vfiodev_device *){ NULL }),
			 -EINVAL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = read(pipefd[0], out, sizeof(out) - 1);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out,
			    "libvfiodev: err: 'junk' is not a PCI address (expected dddd:bb:dd.f or bb:dd.f)\n");
	vfiodev_ctx_unref(ctx);
}

static void ctx_opens_dev_iommu_once_and_closes_it_with_the_last_ref(void **state)
{
	struct vfiodev_device *a, *b;
	struct fake_live l;

	(void)state;
	fake_std_device(BDF, 5, 0);
	fake_std_device("0000:00:04.0", 6, 1);
	a = fixture_open(BDF, NULL);
	b = fixture_open("0000:00:04.0", NULL);
	assert_int_equal(fake_open_count("/dev/iommu"), 1);
	vfiodev_device_close(a);
	vfiodev_device_close(b);
	fake_live(&l);
	assert_int_equal(l.iommufds, 1); /* held by the context */
	/* the teardown drops the context and finds nothing open */
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ctx_new_gives_one_reference_and_the_last_unref_frees),
		T(ctx_ref_and_unref_accept_null),
		T(ctx_defaults_are_the_real_roots_and_log_err),
		T(log_callback_receives_lines_at_their_priority),
		T(log_priority_filters_lines_and_is_clamped),
		T(log_priority_from_the_environment),
		T(opts_log_priority_overrides_the_environment),
		T(roots_from_the_environment_are_used),
		T(roots_from_opts_override_the_environment),
		T(relative_roots_are_refused),
		T(opts_with_an_unknown_nonzero_tail_are_refused),
		T(opts_with_zero_size_are_refused),
		T(older_smaller_opts_are_read_only_as_far_as_their_size),
		T(newer_opts_with_a_field_in_the_tail_padding_are_refused),
		T(opts_init_zeroes_the_padding),
		T(backend_from_the_environment),
		T(backend_names),
		T(default_log_goes_to_stderr_as_one_line),
		T(log_lines_are_escaped_and_bounded),
		T(ctx_refuses_roots_longer_than_128_bytes),
		T(log_callback_swaps_are_atomic_for_logging_threads),
		T(ctx_opens_dev_iommu_once_and_closes_it_with_the_last_ref),
	};

	return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
