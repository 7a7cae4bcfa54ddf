// SPDX-License-Identifier: MIT
/*
 * Migrate a device's state into another instance of the same device:
 * a pre-copy round while the source runs (where it has PRE_COPY), then
 * STOP_COPY for the rest; the stream is kept in memory and written into
 * the destination, which then runs with the source's state. Both devices
 * must be bound to a VFIO driver with migration support (a variant driver
 * such as mlx5_vfio_pci, or two instances of the kernel's mtty sample).
 *
 *   migrate [--no-precopy] <source> <destination>
 *
 * Each device is a PCI address ("0000:3b:00.2") or a sysfs directory
 * ("/sys/bus/mdev/devices/<uuid>" for a mediated device).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vfiodev.h>

struct stream {
	uint8_t *buf;
	size_t len, cap;
};

/* the sink: keep every byte, in order, growing the buffer as it comes */
static int keep(void *data, const void *buf, size_t len)
{
	struct stream *s = data;

	if (len > s->cap - s->len) {
		size_t cap = s->cap ? s->cap : 4096;
		uint8_t *p;

		while (cap - s->len < len)
			cap *= 2;
		p = realloc(s->buf, cap);
		if (!p)
			return -ENOMEM;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

/* a sysfs directory or a PCI address */
static int open_one(struct vfiodev_ctx *ctx, const char *where,
		    struct vfiodev_device **dev)
{
	if (where[0] == '/')
		return vfiodev_device_open_sysfs(ctx, where, NULL, dev);
	return vfiodev_device_open(ctx, where, NULL, dev);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "migrate: %s: %s\n", what, strerror(-err));
	return 1;
}

static void show(const char *role, struct vfiodev_device *dev,
		 const struct vfiodev_mig_info *info)
{
	printf("%-11s %s: %s%s%s%s, %s\n", role, vfiodev_device_name(dev),
	       info->caps & VFIODEV_MIG_CAP_STOP_COPY ? "stop-copy" : "",
	       info->caps & VFIODEV_MIG_CAP_P2P ? " p2p" : "",
	       info->caps & VFIODEV_MIG_CAP_PRE_COPY ? " pre-copy" : "",
	       info->caps & VFIODEV_MIG_CAP_DMA_LOGGING ? " dma-logging" : "",
	       vfiodev_mig_state_name(info->state));
}

/* a pre-copy round: start the stream while the source runs and read what
 * it has now; returns the fd the rest will come on */
static int precopy(struct vfiodev_device *src, struct stream *s, int *fd)
{
	struct vfiodev_mig_result res;
	struct vfiodev_mig_precopy pi;
	uint64_t n;
	int ret;

	ret = vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res);
	if (ret)
		return ret;
	*fd = res.data_fd;
	ret = vfiodev_mig_precopy_info(src, *fd, &pi);
	if (ret)
		return ret;
	printf("pre-copy    %llu initial bytes, %llu dirty\n",
	       (unsigned long long)pi.initial_bytes,
	       (unsigned long long)pi.dirty_bytes);
	/* a VMM would go round while the guest runs, until initial_bytes
	 * reaches 0 and dirty_bytes stays small; one round here */
	ret = vfiodev_mig_save(src, *fd, keep, s, NULL, &n);
	if (ret < 0)
		return ret;
	printf("pre-copy    read %llu bytes (%s)\n", (unsigned long long)n,
	       ret == VFIODEV_MIG_MORE_LATER ? "more later" : "nothing more now");
	return 0;
}

int main(int argc, char **argv)
{
	struct vfiodev_mig_info si, di;
	struct vfiodev_mig_result res;
	struct vfiodev_device *src, *dst;
	struct vfiodev_ctx *ctx;
	struct stream s = { 0 };
	bool use_precopy = true;
	uint64_t estimate = 0, n;
	int fd = -1, ret, a = 1;

	if (argc > 1 && !strcmp(argv[1], "--no-precopy")) {
		use_precopy = false;
		a++;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: %s [--no-precopy] <source> <destination>\n",
			argv[0]);
		return 2;
	}
	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret)
		return fail("context", ret);
	ret = open_one(ctx, argv[a], &src);
	if (ret)
		return fail(argv[a], ret);
	ret = open_one(ctx, argv[a + 1], &dst);
	if (ret)
		return fail(argv[a + 1], ret);
	ret = vfiodev_mig_get_info(src, &si);
	if (!ret)
		ret = vfiodev_mig_get_info(dst, &di);
	if (ret)
		return fail("migration info", ret);
	show("source", src, &si);
	show("destination", dst, &di);
	if (!vfiodev_mig_data_size(src, &estimate))
		printf("estimate    %llu bytes for stop-copy\n",
		       (unsigned long long)estimate);

	if (use_precopy && si.caps & VFIODEV_MIG_CAP_PRE_COPY) {
		ret = precopy(src, &s, &fd);
		if (ret)
			return fail("pre-copy", ret);
	}
	/* stop the source and take the rest; from PRE_COPY the session goes
	 * on, on the same fd (data_fd -1); from RUNNING a new one starts */
	ret = vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res);
	if (ret)
		return fail("stop-copy", ret);
	if (res.data_fd >= 0)
		fd = res.data_fd;
	ret = vfiodev_mig_save(src, fd, keep, &s, NULL, &n);
	if (ret) /* a stop-copy stream has no temporary end */
		return fail("reading the state", ret < 0 ? ret : -EPROTO);
	close(fd);
	printf("stop-copy   read %llu bytes, %zu in all\n",
	       (unsigned long long)n, s.len);

	/* the destination: RESUMING takes the stream, leaving it loads it */
	ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res);
	if (ret)
		return fail("resuming", ret);
	ret = vfiodev_mig_load_buf(dst, res.data_fd, s.buf, s.len);
	if (ret)
		return fail("writing the state", ret);
	ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL);
	close(res.data_fd);
	if (ret)
		return fail("starting the destination", ret);
	printf("destination running with the source's state\n");

	/* the source stays stopped: its state lives on in the destination */
	ret = vfiodev_mig_set_state(src, VFIODEV_MIG_STOP, NULL);
	if (ret)
		return fail("stopping the source", ret);
	free(s.buf);
	vfiodev_device_close(dst);
	vfiodev_device_close(src);
	vfiodev_ctx_unref(ctx);
	return 0;
}
