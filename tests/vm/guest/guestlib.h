/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-guest test programs (vmtest, vmspace, vmmdev):
 * what the running kernel serves VFIO through, DMA buffers, an open with
 * the options the tests vary, an edu round trip, and a log callback that
 * watches for a phrase. Public API of libvfiodev only; defined in
 * guestlib.c.
 */
#ifndef GUESTLIB_H
#define GUESTLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vfiodev.h>

#include "edu.h"

/* bytes an edu round trip moves (within EDU_DMA_MAX) */
#define GUEST_DMA_LEN 2048

/* vfio registers the "vfio-dev" character major (in /proc/devices) */
bool guest_has_vfio_cdev(void);

/* @path is a character device node */
bool guest_is_chr(const char *path);

/* @len bytes of zeroed, populated anonymous memory; NULL on failure */
void *guest_pages(size_t len);

/* open @bdf into @space (NULL: a space of its own) on @backend */
int guest_open(struct vfiodev_ctx *ctx, const char *bdf,
	       struct vfiodev_space *space, enum vfiodev_backend backend,
	       bool noiommu, struct vfiodev_device **dev);

/*
 * RAM -> device -> RAM: GUEST_DMA_LEN bytes from IOVA @iova_src (the
 * buffer @src) into the edu and back out to @iova_dst (the buffer @dst).
 * 0 when every byte came back; else -errno, and the cause in @why when
 * given.
 */
int guest_round_trip(const struct edu *e, uint64_t iova_src, uint64_t iova_dst,
		     const uint8_t *src, const uint8_t *dst, char *why,
		     size_t whylen);

/* what guest_log_fn saw; pass it as the callback's data */
struct guest_log {
	const char *watch; /* a phrase to look for, or NULL */
	bool seen; /* a line held @watch */
	char last_err[1024]; /* the last line at LOG_ERR or worse */
};

/* a vfiodev log callback: each line to stderr, noted in the struct
 * guest_log given as @data */
void guest_log_fn(void *data, int priority, const char *file, int line,
		  const char *fn, const char *format, va_list args);

#endif /* GUESTLIB_H */
