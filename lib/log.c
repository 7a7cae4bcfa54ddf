// SPDX-License-Identifier: MIT
/*
 * Logging: one callback per context, syslog priorities, stderr by default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vfiodev_log(const struct vfiodev_ctx *ctx, int priority, const char *file,
		 int line, const char *fn, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, fmt, args);
	va_end(args);
}

static const char *const prio_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* the default sink: "libvfiodev: <message>" on stderr, one line */
void log_stderr(void *data, int priority, const char *file, int line,
		const char *fn, const char *fmt, va_list args)
{
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	fprintf(stderr, "libvfiodev: %s: ",
		priority >= 0 && priority < (int)ARRAY_SIZE(prio_names) ?
			prio_names[priority] :
			"?");
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

/* "3", "err", "debug", ... -> priority, or -1 */
int log_priority_parse(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end == '\0')
		return v >= LOG_EMERG && v <= LOG_DEBUG ? (int)v : -1;
	if (!strcmp(s, "error"))
		return LOG_ERR;
	for (size_t i = 0; i < ARRAY_SIZE(prio_names); i++)
		if (!strcmp(s, prio_names[i]))
			return (int)i;
	return -1;
}

VFIODEV_EXPORT void vfiodev_ctx_set_log_fn(struct vfiodev_ctx *ctx,
					   vfiodev_log_fn fn, void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = fn ? fn : log_stderr;
	ctx->log_data = fn ? data : NULL;
}

VFIODEV_EXPORT void vfiodev_ctx_set_log_priority(struct vfiodev_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	if (priority < LOG_EMERG)
		priority = LOG_EMERG;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	ctx->log_priority = priority;
}

VFIODEV_EXPORT int vfiodev_ctx_get_log_priority(const struct vfiodev_ctx *ctx)
{
	return ctx ? ctx->log_priority : LOG_ERR;
}

char *vstrfmt(const char *fmt, va_list ap)
{
	char *s;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

/* a formatted string the caller frees; NULL when out of memory */
char *strfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vstrfmt(fmt, ap);
	va_end(ap);
	return s;
}
