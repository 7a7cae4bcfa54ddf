// SPDX-License-Identifier: MIT
/*
 * Logging: one callback per context, syslog priorities, stderr by default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* a line's longest message; longer ones are cut and say so */
#define LOG_LINE_MAX 1024

static void emit(const struct log_sink *sink, int priority, const char *file,
		 int line, const char *fn, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	sink->fn(sink->data, priority, file, line, fn, fmt, args);
	va_end(args);
}

/*
 * Every message is formatted here first, so that whatever it quotes (a
 * caller's string, a sysfs attribute, a kernel-provided name) stays one
 * bounded line: control characters become \n, \t or \xNN, and a message
 * longer than LOG_LINE_MAX bytes is cut, saying how long it was. The
 * callback receives "%s" and the result.
 */
void vfd_logv(const struct vfiodev_ctx *ctx, int priority, const char *file,
	      int line, const char *fn, const char *fmt, va_list args)
{
	char raw[LOG_LINE_MAX + 1], out[4 * LOG_LINE_MAX + 48];
	const struct log_sink *sink;
	size_t o = 0;
	int n;

	n = vsnprintf(raw, sizeof(raw), fmt, args);
	if (n < 0)
		return;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (*p == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, sizeof(out) - o,
					      "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	if ((size_t)n > LOG_LINE_MAX)
		snprintf(out + o, sizeof(out) - o, "... (%d bytes in all)", n);
	sink = __atomic_load_n(&ctx->log, __ATOMIC_ACQUIRE);
	emit(sink, priority, file, line, fn, "%s", out);
}

void vfd_logf(const struct vfiodev_ctx *ctx, int priority, const char *file,
	      int line, const char *fn, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vfd_logv(ctx, priority, file, line, fn, fmt, args);
	va_end(args);
}

static const char *const prio_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* the default sink: "libvfiodev: <message>" on stderr, one line */
void vfd_log_stderr(void *data, int priority, const char *file, int line,
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
int vfd_log_priority_parse(const char *s)
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
	struct log_sink *sink;

	if (!ctx)
		return;
	if (!fn) {
		sink = ctx->log_default;
	} else {
		sink = malloc(sizeof(*sink));
		if (!sink) {
			vfd_err(ctx,
				"out of memory setting the log function: the old one stays");
			return;
		}
		*sink = (struct log_sink){ .fn = fn, .data = data };
		/* the replaced sinks stay reachable, to be freed with ctx */
		pthread_mutex_lock(&ctx->lock);
		sink->older = ctx->log_default->older;
		ctx->log_default->older = sink;
		pthread_mutex_unlock(&ctx->lock);
	}
	__atomic_store_n(&ctx->log, sink, __ATOMIC_RELEASE);
}

VFIODEV_EXPORT void vfiodev_ctx_set_log_priority(struct vfiodev_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	if (priority < LOG_EMERG)
		priority = LOG_EMERG;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	__atomic_store_n(&ctx->log_priority, priority, __ATOMIC_RELAXED);
}

VFIODEV_EXPORT int vfiodev_ctx_get_log_priority(const struct vfiodev_ctx *ctx)
{
	return ctx ? __atomic_load_n(&ctx->log_priority, __ATOMIC_RELAXED) : LOG_ERR;
}

char *vfd_vstrfmt(const char *fmt, va_list ap)
{
	char *s;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

/* a formatted string the caller frees; NULL when out of memory */
char *vfd_strfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfd_vstrfmt(fmt, ap);
	va_end(ap);
	return s;
}
