// SPDX-License-Identifier: MIT
/*
 * Kernel modules through libkmod: vfio-pci and the IOMMU backend the
 * running kernel needs. A built-in module counts as loaded.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* the kernel's spelling of a module name: '-' becomes '_' */
void vfd_module_sysname(const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i < len - 1; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = '\0';
}

bool vfd_sysfs_exists(const struct vfiodev_ctx *ctx, const char *rel)
{
	char path[512];
	struct stat st;

	if (vfd_sysfs_path(ctx, path, sizeof(path), "%s", rel))
		return false;
	return stat(path, &st) == 0;
}

/*
 * A built-in module has a /sys/module directory only when it has
 * parameters; these show the others are there.
 */
static const struct {
	const char *module;
	const char *sign;
} builtin_signs[] = {
	{ "vfio", "class/vfio-dev" },
	{ "vfio_pci", "bus/pci/drivers/vfio-pci" },
	{ "iommufd", "class/misc/iommu" },
};

/*
 * /sys/module/<name>/initstate exists for loadable modules only; a
 * directory without it is a built-in module's.
 */
int vfd_module_state(const struct vfiodev_ctx *ctx, const char *name)
{
	char mod[VFIODEV_NAME_LEN], rel[128], state[32];
	int ret;

	vfd_module_sysname(name, mod, sizeof(mod));
	snprintf(rel, sizeof(rel), "module/%s", mod);
	if (vfd_sysfs_exists(ctx, rel)) {
		ret = vfd_sysfs_read(ctx, state, sizeof(state),
				     "module/%s/initstate", mod);
		if (ret == -ENOENT)
			return VFIODEV_MODULE_BUILTIN;
		if (ret >= 0 && !strcmp(state, "going"))
			return VFIODEV_MODULE_ABSENT;
		return VFIODEV_MODULE_LOADED;
	}
	for (size_t i = 0; i < ARRAY_SIZE(builtin_signs); i++)
		if (!strcmp(mod, builtin_signs[i].module) &&
		    vfd_sysfs_exists(ctx, builtin_signs[i].sign))
			return VFIODEV_MODULE_BUILTIN;
	return VFIODEV_MODULE_ABSENT;
}

/* the one rule for "is this module there": loaded, or built in */
int vfd_module_present(const struct vfiodev_ctx *ctx, const char *name)
{
	return vfd_module_state(ctx, name) != VFIODEV_MODULE_ABSENT;
}

#ifdef HAVE_LIBKMOD
#include <libkmod.h>

static void kmod_log_fn(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	struct vfiodev_ctx *ctx = data;

	/* through the library's own formatting: bounded, escaped */
	if (__atomic_load_n(&ctx->log_priority, __ATOMIC_RELAXED) >= priority)
		vfd_logv(ctx, priority, file, line, fn, format, args);
}

/* caller holds ctx->ext_lock */
static struct kmod_ctx *ctx_kmod(struct vfiodev_ctx *ctx)
{
	if (!ctx->kmod) {
		ctx->kmod = kmod_new(NULL, NULL);
		if (ctx->kmod) {
			kmod_set_log_fn(ctx->kmod, kmod_log_fn, ctx);
			kmod_set_log_priority(ctx->kmod,
					      __atomic_load_n(&ctx->log_priority,
							      __ATOMIC_RELAXED));
			kmod_load_resources(ctx->kmod);
		}
	}
	return ctx->kmod;
}

static int kmod_load_locked(struct vfiodev_ctx *ctx, const char *name)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *kctx;
	int ret, loaded = 0;

	kctx = ctx_kmod(ctx);
	if (!kctx) {
		vfd_err(ctx, "libkmod: cannot create a context to load %s", name);
		return -ENOMEM;
	}
	ret = kmod_module_new_from_lookup(kctx, name, &list);
	if (ret < 0 || !list) {
		vfd_info(ctx, "module %s: not found in the kernel's module index (%s)",
			 name, ret < 0 ? strerror(-ret) : "no match");
		return ret < 0 ? ret : -ENOENT;
	}
	kmod_list_foreach (l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		int state = kmod_module_get_initstate(mod);

		if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE) {
			loaded = 1;
		} else {
			/* no modprobe.d install commands: a library call
			 * does not run a shell as a side effect */
			ret = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_COMMAND,
							      NULL, NULL, NULL,
							      NULL);
			if (ret == 0 || ret == -EEXIST) {
				vfd_info(ctx, "loaded module %s",
					 kmod_module_get_name(mod));
				loaded = 1;
			} else {
				/* the caller says what it means to it: a
				 * fallback may absorb it */
				vfd_info(ctx, "module %s: loading failed: %s",
					 kmod_module_get_name(mod), strerror(-ret));
			}
		}
		kmod_module_unref(mod);
		if (loaded)
			break;
	}
	kmod_module_unref_list(list);
	return loaded ? 0 : (ret < 0 ? ret : -ENOENT);
}
int vfd_kmod_load(struct vfiodev_ctx *ctx, const char *name)
{
	int ret;

	/* the real modules only serve the real /sys */
	if (strcmp(ctx->sysfs_root, "/sys"))
		return -ENOTSUP;
	if (vfd_module_present(ctx, name))
		return 0;
	pthread_mutex_lock(&ctx->ext_lock);
	ret = kmod_load_locked(ctx, name);
	pthread_mutex_unlock(&ctx->ext_lock);
	return ret;
}
#else
int vfd_kmod_load(struct vfiodev_ctx *ctx, const char *name)
{
	if (vfd_module_present(ctx, name))
		return 0;
	vfd_info(ctx, "module %s: built without libkmod, not loading it", name);
	return -ENOTSUP;
}
#endif

int vfd_kmod_load_for_open(struct vfiodev_ctx *ctx, const char *name)
{
	if (ctx->no_module_load) {
		if (vfd_module_present(ctx, name))
			return 0;
		vfd_info(ctx, "module %s: not loaded, and module loading is off (vfiodev_ctx_opts.no_module_load)",
			 name);
		return -EPERM;
	}
	return vfd_kmod_load(ctx, name);
}
