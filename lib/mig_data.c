// SPDX-License-Identifier: MIT
/*
 * The migration data fd: a saving state's stream read into a sink or a
 * buffer, a stream written into a resuming device, through one bounded
 * bounce buffer per call (the kernel's data fds are streams: no offsets,
 * short reads and writes are normal).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHUNK_MIN 4096u
#define CHUNK_MAX (64u << 20)
#define CHUNK_DEFAULT (1u << 20)

static int xfer_opts(struct vfiodev_device *dev,
		     const struct vfiodev_mig_xfer_opts *opts, const char *what,
		     size_t *chunk, uint64_t *max)
{
	int ret;

	ret = vfd_opts_check(dev->ctx, opts,
			     offsetofend(struct vfiodev_mig_xfer_opts, max_bytes),
			     "vfiodev_mig_xfer_opts");
	if (ret)
		return ret;
	*chunk = CHUNK_DEFAULT;
	*max = 0;
	if (OPTS_HAS(opts, vfiodev_mig_xfer_opts, chunk) && opts->chunk) {
		if (opts->chunk < CHUNK_MIN || opts->chunk > CHUNK_MAX) {
			vfd_err(dev->ctx,
				"%s: %s: chunk of %zu bytes: 4 KiB to 64 MiB, or 0",
				dev->name, what, opts->chunk);
			return -EINVAL;
		}
		*chunk = opts->chunk;
	}
	if (OPTS_HAS(opts, vfiodev_mig_xfer_opts, max_bytes))
		*max = opts->max_bytes;
	return 0;
}

/* a bounce buffer of *@chunk bytes, halved until one can be had */
static void *bounce(size_t *chunk)
{
	for (;;) {
		void *p = malloc(*chunk);

		if (p || *chunk <= CHUNK_MIN)
			return p;
		*chunk /= 2;
	}
}

VFIODEV_EXPORT int vfiodev_mig_save(struct vfiodev_device *dev, int data_fd,
				    vfiodev_mig_sink_fn sink, void *data,
				    const struct vfiodev_mig_xfer_opts *opts,
				    uint64_t *bytes)
{
	uint64_t total = 0, max;
	size_t chunk;
	void *buf;
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, data_fd >= 0 && sink);
	if (bytes)
		*bytes = 0;
	ret = xfer_opts(dev, opts, "migration save", &chunk, &max);
	if (ret)
		return ret;
	buf = bounce(&chunk);
	if (!buf) {
		vfd_err(dev->ctx, "%s: migration save: no memory for a 4 KiB buffer",
			dev->name);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = sys_read(data_fd, buf, chunk);

		if (n == -EINTR)
			continue;
		if (n == -ENOMEM && chunk > CHUNK_MIN) {
			chunk /= 2; /* the driver's own buffer for one read */
			continue;
		}
		if (n == -ENOMSG) {
			ret = VFIODEV_MIG_MORE_LATER;
			break;
		}
		if (n < 0) {
			ret = (int)n;
			vfd_err(dev->ctx,
				"%s: migration save: read of the data fd after %llu bytes: %s%s",
				dev->name, (unsigned long long)total,
				strerror(-ret),
				ret == -ENODEV ? " (the session has ended)" : "");
			break;
		}
		if (n == 0) {
			ret = 0;
			break;
		}
		if (max && (uint64_t)n > max - total) {
			vfd_err(dev->ctx,
				"%s: migration save: the stream is longer than the %llu bytes allowed",
				dev->name, (unsigned long long)max);
			ret = -EFBIG;
			break;
		}
		ret = sink(data, buf, (size_t)n);
		if (ret) {
			if (ret > 0)
				ret = -EINVAL; /* not an errno: the sink's bug */
			vfd_err(dev->ctx,
				"%s: migration save: the sink refused %zd bytes at %llu: %s",
				dev->name, n, (unsigned long long)total,
				strerror(-ret));
			break;
		}
		total += (uint64_t)n;
	}
	free(buf);
	if (bytes)
		*bytes = total;
	vfd_dbg(dev->ctx, "%s: migration save: %llu bytes (%s)", dev->name,
		(unsigned long long)total,
		ret == VFIODEV_MIG_MORE_LATER ? "more later" :
		ret == 0		      ? "end of stream" :
						"failed");
	return ret;
}

struct buf_sink {
	uint8_t *buf;
	size_t cap, len;
};

static int buf_put(void *data, const void *p, size_t n)
{
	struct buf_sink *s = data;

	if (n > s->cap - s->len) {
		memcpy(s->buf + s->len, p, s->cap - s->len);
		s->len = s->cap;
		return -ENOSPC;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_save_buf(struct vfiodev_device *dev, int data_fd,
					void *buf, size_t cap, size_t *len)
{
	VFIODEV_OPTS_INIT(vfiodev_mig_xfer_opts, o);
	struct buf_sink s = { .buf = buf, .cap = cap };
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, (buf || !cap) && len);
	/* one more byte than fits tells a full buffer from a longer stream */
	o.chunk = cap + 1 < CHUNK_MIN ? CHUNK_MIN :
		  cap + 1 > CHUNK_MAX ? CHUNK_MAX :
					cap + 1;
	ret = vfiodev_mig_save(dev, data_fd, buf_put, &s, &o, NULL);
	*len = s.len;
	return ret;
}

VFIODEV_EXPORT int vfiodev_mig_load(struct vfiodev_device *dev, int data_fd,
				    vfiodev_mig_source_fn source, void *data,
				    const struct vfiodev_mig_xfer_opts *opts,
				    uint64_t *bytes)
{
	uint64_t total = 0, max;
	size_t chunk;
	uint8_t *buf;
	int ret = 0;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, data_fd >= 0 && source);
	if (bytes)
		*bytes = 0;
	ret = xfer_opts(dev, opts, "migration load", &chunk, &max);
	if (ret)
		return ret;
	buf = bounce(&chunk);
	if (!buf) {
		vfd_err(dev->ctx, "%s: migration load: no memory for a 4 KiB buffer",
			dev->name);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t got = source(data, buf, chunk), off = 0;

		if (got == 0)
			break;
		if (got < 0 || (size_t)got > chunk) {
			ret = got < 0 ? (int)got : -EINVAL;
			vfd_err(dev->ctx,
				"%s: migration load: the source failed after %llu bytes: %s",
				dev->name, (unsigned long long)total,
				strerror(-ret));
			break;
		}
		while (off < got) {
			size_t want = (size_t)(got - off);
			ssize_t n = sys_write(data_fd, buf + off,
					      want < chunk ? want : chunk);

			if (n == -EINTR)
				continue;
			if (n == -ENOMEM && chunk > CHUNK_MIN) {
				chunk /= 2;
				continue;
			}
			if (n <= 0) {
				ret = n ? (int)n : -EIO;
				vfd_err(dev->ctx,
					"%s: migration load: the device refused the stream at byte %llu: %s%s",
					dev->name,
					(unsigned long long)(total + (uint64_t)off),
					strerror(-ret),
					ret == -ENOMEM ?
						" (more than the device takes)" :
					n == 0 ? " (it took nothing)" :
						 "");
				total += (uint64_t)off;
				goto out;
			}
			off += n;
		}
		total += (uint64_t)got;
	}
out:
	free(buf);
	if (bytes)
		*bytes = total;
	return ret;
}

struct buf_source {
	const uint8_t *buf;
	size_t len, pos;
};

static ssize_t buf_get(void *data, void *p, size_t n)
{
	struct buf_source *s = data;
	size_t k = s->len - s->pos < n ? s->len - s->pos : n;

	memcpy(p, s->buf + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

VFIODEV_EXPORT int vfiodev_mig_load_buf(struct vfiodev_device *dev, int data_fd,
					const void *buf, size_t len)
{
	struct buf_source s = { .buf = buf, .len = len };

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, buf || !len);
	return vfiodev_mig_load(dev, data_fd, buf_get, &s, NULL, NULL);
}
