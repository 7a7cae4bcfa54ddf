// SPDX-License-Identifier: MIT
/*
 * The library context: logging, the sysfs and /dev roots, and the handles
 * shared by every device (the /dev/iommu fd, libkmod, libudev).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef HAVE_LIBKMOD
#include <libkmod.h>
#endif
#ifdef HAVE_LIBUDEV
#include <libudev.h>
#endif

static const char *const backend_names[] = {
	[VFIODEV_BACKEND_AUTO] = "auto",
	[VFIODEV_BACKEND_IOMMUFD] = "iommufd",
	[VFIODEV_BACKEND_CONTAINER] = "container",
};

VFIODEV_EXPORT const char *vfiodev_backend_name(enum vfiodev_backend backend)
{
	if ((unsigned int)backend < ARRAY_SIZE(backend_names))
		return backend_names[backend];
	return "unknown";
}

/* "iommufd"/"container"/"auto" -> backend, or -1 */
static int backend_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(backend_names); i++)
		if (!strcmp(s, backend_names[i]))
			return (int)i;
	return -1;
}

int vfd_opts_check(const struct vfiodev_ctx *ctx, const void *opts,
		   size_t known_sz, const char *name)
{
	size_t sz;

	if (!opts)
		return 0;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t)) {
		vfd_err(ctx, "%s: sz is %zu; initialise it with VFIODEV_OPTS_INIT",
			name, sz);
		return -EINVAL;
	}
	for (size_t i = known_sz; i < sz; i++) {
		if (((const char *)opts)[i]) {
			vfd_err(ctx, "%s: unknown non-zero field at byte %zu (built against a newer libvfiodev?)",
				name, i);
			return -EINVAL;
		}
	}
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = secure_getenv(name);

	return v && *v ? v : def;
}

/* a context that logs errors to stderr ($VFIODEV_LOG may say more) */
static struct vfiodev_ctx *ctx_alloc(void)
{
	struct vfiodev_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *env;
	int prio;

	if (!ctx)
		return NULL;
	ctx->log_default = calloc(1, sizeof(*ctx->log_default));
	if (!ctx->log_default) {
		free(ctx);
		return NULL;
	}
	ctx->refcount = 1;
	ctx->log_default->fn = vfd_log_stderr;
	ctx->log = ctx->log_default;
	ctx->log_priority = LOG_ERR;
	ctx->iommufd = -1;
	ctx->env_backend = VFIODEV_BACKEND_AUTO;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->ext_lock, NULL);
	env = secure_getenv("VFIODEV_LOG");
	if (env) {
		prio = vfd_log_priority_parse(env);
		if (prio >= 0)
			ctx->log_priority = prio;
	}
	return ctx;
}

static void ctx_free(struct vfiodev_ctx *ctx)
{
	free(ctx->sysfs_root);
	free(ctx->dev_root);
	free(ctx->log_default);
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->ext_lock);
	free(ctx);
}

static int apply_opts(struct vfiodev_ctx *ctx, const struct vfiodev_ctx_opts *opts)
{
	int ret;

	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_ctx_opts, no_module_load),
			     "vfiodev_ctx_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_ctx_opts, log_priority) && opts->log_priority) {
		if (opts->log_priority < 1 || opts->log_priority > LOG_DEBUG + 1) {
			vfd_err(ctx, "vfiodev_ctx_opts: log_priority %d out of range",
				opts->log_priority);
			return -EINVAL;
		}
		ctx->log_priority = opts->log_priority - 1;
	}
	if (OPTS_HAS(opts, vfiodev_ctx_opts, no_module_load))
		ctx->no_module_load = opts->no_module_load;
	return 0;
}

/* the sysfs and dev roots: the options', else the environment's, else the
 * real ones; absolute and short enough for every fixed path buffer */
static int set_roots(struct vfiodev_ctx *ctx, const struct vfiodev_ctx_opts *opts)
{
	const char *sysfs = env_or("VFIODEV_SYSFS_ROOT", "/sys");
	const char *dev = env_or("VFIODEV_DEV_ROOT", "/dev");

	if (OPTS_HAS(opts, vfiodev_ctx_opts, sysfs_root) && opts->sysfs_root)
		sysfs = opts->sysfs_root;
	if (OPTS_HAS(opts, vfiodev_ctx_opts, dev_root) && opts->dev_root)
		dev = opts->dev_root;
	if (sysfs[0] != '/' || dev[0] != '/') {
		vfd_err(ctx, "sysfs root '%s' and dev root '%s' must be absolute paths",
			sysfs, dev);
		return -EINVAL;
	}
	/* every node and attribute path is a root plus a bounded name in a
	 * fixed buffer: a long root would be cut short, silently */
	if (strlen(sysfs) > VFD_ROOT_MAX || strlen(dev) > VFD_ROOT_MAX) {
		vfd_err(ctx, "sysfs root (%zu bytes) or dev root (%zu bytes) is longer than %d bytes",
			strlen(sysfs), strlen(dev), VFD_ROOT_MAX);
		return -ENAMETOOLONG;
	}
	ctx->sysfs_root = strdup(sysfs);
	ctx->dev_root = strdup(dev);
	if (!ctx->sysfs_root || !ctx->dev_root)
		return -ENOMEM;
	/* libudev only knows the real /sys and /dev */
	ctx->udev_usable = !strcmp(sysfs, "/sys") && !strcmp(dev, "/dev");
	return 0;
}

/* $VFIODEV_BACKEND forces a backend where a space's options do not */
static int env_backend(struct vfiodev_ctx *ctx)
{
	const char *env = secure_getenv("VFIODEV_BACKEND");
	int b;

	if (!env || !*env)
		return 0;
	b = backend_parse(env);
	if (b < 0) {
		vfd_err(ctx, "VFIODEV_BACKEND='%s' is not one of auto, iommufd, container",
			env);
		return -EINVAL;
	}
	ctx->env_backend = b;
	return 0;
}

VFIODEV_EXPORT int vfiodev_ctx_new(const struct vfiodev_ctx_opts *opts,
				   struct vfiodev_ctx **out)
{
	struct vfiodev_ctx *ctx;
	int ret;

	if (!out)
		return -EINVAL;
	ctx = ctx_alloc();
	if (!ctx)
		return -ENOMEM;
	ret = apply_opts(ctx, opts);
	if (!ret)
		ret = set_roots(ctx, opts);
	if (!ret)
		ret = env_backend(ctx);
	if (ret) {
		ctx_free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

VFIODEV_EXPORT struct vfiodev_ctx *vfiodev_ctx_ref(struct vfiodev_ctx *ctx)
{
	if (ctx)
		__atomic_add_fetch(&ctx->refcount, 1, __ATOMIC_RELAXED);
	return ctx;
}

VFIODEV_EXPORT struct vfiodev_ctx *vfiodev_ctx_unref(struct vfiodev_ctx *ctx)
{
	if (!ctx || __atomic_sub_fetch(&ctx->refcount, 1, __ATOMIC_ACQ_REL))
		return NULL;
	if (ctx->iommufd >= 0)
		sys_close(ctx->iommufd);
#ifdef HAVE_LIBKMOD
	kmod_unref(ctx->kmod);
#endif
#ifdef HAVE_LIBUDEV
	udev_unref(ctx->udev);
#endif
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->ext_lock);
	free(ctx->owners);
	free(ctx->sysfs_root);
	free(ctx->dev_root);
	for (struct log_sink *s = ctx->log_default, *n; s; s = n) {
		n = s->older;
		free(s);
	}
	free(ctx);
	return NULL;
}
