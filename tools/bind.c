// SPDX-License-Identifier: MIT
/*
 * vfiodev bind and unbind: a device to vfio-pci (or the driver asked)
 * through vfiodev_bind(), and back (vfiodev_unbind()), saying what was
 * loaded, what the device was bound to, and why a bind was refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tool.h"

/* the driver now, for display: a failure here is no news, and must
 * neither repeat nor replace the error that matters */
static const char *driver_now(struct tool *t, char *buf, size_t len)
{
	struct vfiodev_pci_device *d;

	buf[0] = '\0';
	t->mute_log = true;
	if (!vfiodev_pci_lookup(t->ctx, t->bdf, &d)) {
		snprintf(buf, len, "%s", d->driver);
		vfiodev_pci_device_free(d);
	}
	t->mute_log = false;
	return buf;
}

/* the error for a line that already names the device */
static const char *cause(const struct tool *t, int ret)
{
	size_t n = strlen(t->bdf);

	if (!t->first_error[0])
		return tool_error(t, ret);
	if (!strncmp(t->first_error, t->bdf, n) && t->first_error[n] == ':' &&
	    t->first_error[n + 1] == ' ')
		return t->first_error + n + 2;
	return t->first_error;
}

/* 0, or the lookup's error, logged once */
static int device_exists(struct tool *t)
{
	struct vfiodev_pci_device *d;
	int ret = vfiodev_pci_lookup(t->ctx, t->bdf, &d);

	if (!ret)
		vfiodev_pci_device_free(d);
	return ret;
}

static const char *load_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "not in this kernel";
	case -ENOTSUP:
		return "cannot load modules here";
	case -EPERM:
	case -EACCES:
		return "loading modules needs root";
	default:
		return strerror(-err);
	}
}

/* the modules a second load considered that the first did not */
static int merge_modules(struct tool *t, const char *driver,
			 struct vfiodev_module_status *mods, int n, int cap)
{
	struct vfiodev_module_status again[4] = { 0 };
	int m = vfiodev_modules_load(t->ctx, driver, again, 4);

	if (m < 0)
		for (m = 0; m < 4 && again[m].name[0]; m++)
			;
	for (int i = 0; i < m && i < 4 && n < cap; i++) {
		bool known = false;

		for (int k = 0; k < n; k++)
			known = known || !strcmp(mods[k].name, again[i].name);
		if (!known)
			mods[n++] = again[i];
	}
	return n;
}

int cmd_bind(struct tool *t)
{
	VFIODEV_OPTS_INIT(vfiodev_bind_opts, opts);
	struct vfiodev_module_status mods[4] = { 0 };
	char prev[VFIODEV_NAME_LEN] = "", now[VFIODEV_NAME_LEN];
	const char *driver = t->driver ? t->driver : "vfio-pci";
	int nmods, ret;
	struct json j;

	/* a device that is not there needs no modules */
	ret = device_exists(t);
	nmods = 0;
	if (!ret) {
		/* the modules first, so that their states can be reported */
		nmods = vfiodev_modules_load(t->ctx, driver, mods, 4);
		ret = nmods < 0 ? nmods : 0;
		if (nmods < 0)
			for (nmods = 0; nmods < 4 && mods[nmods].name[0]; nmods++)
				;
		if (nmods > 4)
			nmods = 4;
	}
	if (!ret) {
		opts.driver = driver;
		opts.no_modules = true;
		opts.force = t->force;
		ret = vfiodev_bind(t->ctx, t->bdf, &opts, prev, sizeof(prev));
	}
	/* bound, the device shows whether the kernel has the vfio cdev;
	 * without it the container path needs vfio_iommu_type1 too, which
	 * a second load adds */
	if (!ret)
		nmods = merge_modules(t, driver, mods, nmods, 4);
	driver_now(t, now, sizeof(now));

	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "bdf", t->bdf);
		json_bool(&j, "ok", !ret);
		json_string(&j, "error", ret ? tool_error(t, ret) : NULL);
		json_string(&j, "requested_driver", driver);
		json_string(&j, "driver", now[0] ? now : NULL);
		json_string(&j, "previous_driver", !ret && prev[0] ? prev : NULL);
		json_array_begin(&j, "modules");
		for (int i = 0; i < nmods; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "name", mods[i].name);
			json_string(&j, "state",
				    vfiodev_module_state_name(mods[i].state));
			json_bool(&j, "required", mods[i].required);
			json_string(&j, "error",
				    mods[i].error ? load_error(mods[i].error) :
						    NULL);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
		return ret ? 1 : 0;
	}
	for (int i = 0; i < nmods; i++)
		printf("module %-18s %s%s%s%s\n", mods[i].name,
		       vfiodev_module_state_name(mods[i].state),
		       mods[i].error ? " (" : "",
		       mods[i].error ? load_error(mods[i].error) : "",
		       mods[i].error ? (mods[i].required ? ")" : "; not needed)") :
				       "");
	if (ret) {
		printf("%s: not bound to %s: %s\n", t->bdf, driver, cause(t, ret));
		return 1;
	}
	if (!strcmp(prev, driver))
		printf("%s: already bound to %s\n", t->bdf, driver);
	else
		printf("%s: bound to %s (previous driver: %s)\n", t->bdf,
		       driver, prev[0] ? prev : "none");
	return 0;
}

int cmd_unbind(struct tool *t)
{
	char before[VFIODEV_NAME_LEN], now[VFIODEV_NAME_LEN];
	struct json j;
	int ret;

	driver_now(t, before, sizeof(before));
	ret = vfiodev_unbind(t->ctx, t->bdf, t->restore);
	driver_now(t, now, sizeof(now));
	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "bdf", t->bdf);
		json_bool(&j, "ok", !ret);
		json_string(&j, "error", ret ? tool_error(t, ret) : NULL);
		json_string(&j, "previous_driver", before[0] ? before : NULL);
		json_string(&j, "driver", now[0] ? now : NULL);
		json_object_end(&j);
		json_finish(&j);
		return ret ? 1 : 0;
	}
	if (ret) {
		printf("%s: %s\n", t->bdf, cause(t, ret));
		return 1;
	}
	printf("%s: released from %s; driver now: %s\n", t->bdf,
	       before[0] ? before : "no driver", now[0] ? now : "none");
	return 0;
}
