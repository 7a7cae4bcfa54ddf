// SPDX-License-Identifier: MIT
/*
 * Findings: the sink every diagnosis check writes into (vfd_diag_add), and the
 * public calls that name a severity and free a diagnosis. A leaf: it calls
 * nothing above it, so checks at any level can record into it.
 */
#include <stdlib.h>

#include "internal.h"

static const char *const severity_names[] = {
	[VFIODEV_SEVERITY_OK] = "ok",
	[VFIODEV_SEVERITY_INFO] = "info",
	[VFIODEV_SEVERITY_WARNING] = "warning",
	[VFIODEV_SEVERITY_ERROR] = "error",
};

VFIODEV_EXPORT const char *vfiodev_severity_name(enum vfiodev_severity severity)
{
	if ((unsigned int)severity < ARRAY_SIZE(severity_names))
		return severity_names[severity];
	return "unknown";
}

void vfd_diag_add(struct diag *dg, enum vfiodev_severity sev, enum diag_path path,
		  const char *check, char *subject, char *found, char *remedy)
{
	struct vfiodev_diagnosis *o;
	struct vfiodev_finding *f;

	if (!dg || dg->oom || !subject || !found)
		goto drop;
	o = dg->out;
	if (o->nr_findings == dg->cap) {
		size_t ncap = dg->cap ? dg->cap * 2 : 16;
		struct vfiodev_finding **v;
		enum diag_path *t;

		v = realloc(o->findings, ncap * sizeof(*v));
		if (!v)
			goto oom;
		o->findings = v;
		t = realloc(dg->tags, ncap * sizeof(*t));
		if (!t)
			goto oom;
		dg->tags = t;
		dg->cap = ncap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto oom;
	f->severity = sev;
	f->check = check;
	f->subject = subject;
	f->found = found;
	f->remedy = remedy;
	dg->tags[o->nr_findings] = path;
	o->findings[o->nr_findings++] = f;
	return;
oom:
	dg->oom = true;
drop:
	if (dg && (!subject || !found))
		dg->oom = true;
	free(subject);
	free(found);
	free(remedy);
}

VFIODEV_EXPORT void vfiodev_diagnosis_free(struct vfiodev_diagnosis *diag)
{
	if (!diag)
		return;
	for (size_t i = 0; i < diag->nr_findings; i++) {
		struct vfiodev_finding *f = diag->findings[i];

		free((char *)f->subject);
		free((char *)f->found);
		free((char *)f->remedy);
		free(f);
	}
	free(diag->findings);
	free((char *)diag->backend_reason);
	free(diag);
}
