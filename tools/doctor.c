// SPDX-License-Identifier: MIT
/*
 * vfiodev doctor: the library's diagnosis, printed with its remedies, then
 * (unless --no-open, or another user is being checked) a trial open, since
 * the only proof that a device can be opened is opening it. The exit
 * status is 0 when the diagnosis finds no error and the trial succeeds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct trial {
	bool attempted;
	bool ok;
	enum vfiodev_backend backend;
	char reason[512];
	char error[512];
};

static void trial_open(struct tool *t, const struct vfiodev_diagnosis *d,
		       struct trial *tr)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *dev = NULL;
	const char *r;
	int ret;

	memset(tr, 0, sizeof(*tr));
	/* an open as another user proves nothing, and a diagnosis with
	 * errors needs no proof */
	if (t->no_open || !d->usable || (t->check_user && t->uid != geteuid()))
		return;
	tr->attempted = true;
	opts.backend = t->backend;
	opts.allow_noiommu = t->allow_noiommu;
	t->first_error[0] = '\0';
	t->quiet_log = true; /* the diagnosis already explains; keep the line */
	ret = vfiodev_device_open(t->ctx, t->bdf, &opts, &dev);
	t->quiet_log = false;
	if (ret) {
		snprintf(tr->error, sizeof(tr->error), "%s", tool_error(t, ret));
		return;
	}
	tr->ok = true;
	tr->backend = vfiodev_device_backend(dev);
	r = vfiodev_device_fallback_reason(dev);
	snprintf(tr->reason, sizeof(tr->reason), "%s", r ? r : "");
	vfiodev_device_close(dev);
}

static void print_json(const struct vfiodev_diagnosis *d,
		       const struct trial *tr, bool ok)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "bdf", d->bdf);
	json_bool(&j, "ok", ok);
	json_bool(&j, "usable", d->usable);
	json_string(&j, "backend",
		    d->backend == VFIODEV_BACKEND_AUTO ?
			    NULL :
			    vfiodev_backend_name(d->backend));
	json_string(&j, "backend_reason", d->backend_reason);
	json_object_begin(&j, "paths");
	json_bool(&j, "iommufd", d->paths & VFIODEV_PATH_IOMMUFD);
	json_bool(&j, "container", d->paths & VFIODEV_PATH_CONTAINER);
	json_bool(&j, "noiommu", d->paths & VFIODEV_PATH_NOIOMMU);
	json_object_end(&j);
	json_array_begin(&j, "findings");
	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct vfiodev_finding *f = d->findings[i];

		json_object_begin(&j, NULL);
		json_string(&j, "severity", vfiodev_severity_name(f->severity));
		json_string(&j, "check", f->check);
		json_string(&j, "subject", f->subject);
		json_string(&j, "found", f->found);
		json_string(&j, "remedy", f->remedy);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_begin(&j, "trial_open");
	json_bool(&j, "attempted", tr->attempted);
	if (tr->attempted) {
		json_bool(&j, "ok", tr->ok);
		json_string(&j, "backend",
			    tr->ok ? vfiodev_backend_name(tr->backend) : NULL);
		json_string(&j, "fallback_reason",
			    tr->ok && tr->reason[0] ? tr->reason : NULL);
		json_string(&j, "error", tr->ok ? NULL : tr->error);
	}
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static void print_text(const struct vfiodev_diagnosis *d,
		       const struct trial *tr, bool ok)
{
	char paths[48];

	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct vfiodev_finding *f = d->findings[i];
		char tag[16];

		snprintf(tag, sizeof(tag), "[%s]",
			 vfiodev_severity_name(f->severity));
		printf("%-9s %s\n", tag, f->subject);
		printf("%-9s   %s\n", "", f->found);
		if (f->remedy)
			printf("%-9s   fix: %s\n", "", f->remedy);
	}
	paths_text(d->paths, paths, sizeof(paths));
	printf("\nusable paths: %s\n", paths);
	printf("backend: %s (%s)\n",
	       d->backend == VFIODEV_BACKEND_AUTO ?
		       "none" :
		       vfiodev_backend_name(d->backend),
	       d->backend_reason);
	if (tr->attempted && tr->ok)
		printf("trial open: ok, %s backend%s%s\n",
		       vfiodev_backend_name(tr->backend),
		       tr->reason[0] ? ": " : "", tr->reason);
	else if (tr->attempted)
		printf("trial open: failed: %s\n", tr->error);
	else if (d->usable)
		printf("trial open: not attempted\n");
	printf("%s: %s\n", d->bdf, ok ? "can be opened" : "cannot be opened");
}

int cmd_doctor(struct tool *t)
{
	VFIODEV_OPTS_INIT(vfiodev_diagnose_opts, opts);
	struct vfiodev_diagnosis *d;
	struct trial tr;
	bool ok;
	int ret;

	opts.map_bytes = t->map_bytes;
	opts.map_count = t->map_count;
	opts.backend = t->backend;
	opts.allow_noiommu = t->allow_noiommu;
	opts.check_user = t->check_user;
	opts.uid = t->uid;
	opts.gid = t->gid;
	ret = vfiodev_diagnose(t->ctx, t->bdf, &opts, &d);
	if (ret) {
		/* the library logged the cause */
		if (t->json)
			json_failure(t, tool_error(t, ret));
		return ret == -EINVAL ? EXIT_USAGE : 1;
	}
	trial_open(t, d, &tr);
	ok = d->usable && (!tr.attempted || tr.ok);
	if (t->json)
		print_json(d, &tr, ok);
	else
		print_text(d, &tr, ok);
	vfiodev_diagnosis_free(d);
	return ok ? 0 : 1;
}
