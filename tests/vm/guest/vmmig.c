// SPDX-License-Identifier: MIT
/*
 * In-guest tests of device migration (VFIO migration v2) on the kernel's
 * mtty sample: two instances opened by their sysfs directories, bytes put
 * into the source's UART (BAR0: THR loops back to RBR) read back from the
 * destination after its state went through the data fd, with and without
 * a pre-copy round; an arc the device refuses, corrupted streams, and the
 * reset that recovers both; pre-copy info v2 and DMA logging where the
 * kernel has them. Public API only; results as tests/vm/guest-init.sh
 * says. What is expected comes from what the device and kernel report
 * (migration flags, probes), never from the kernel's label.
 *
 *   vmmig all <source sysfs dir> <destination sysfs dir>
 *   vmmig skip <reason>              (every result SKIP: no mtty here)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include <vfiodev.h>

#include "vmresult.h"

/* 16550 registers of mtty's BAR0 (one port) */
#define UART_THR 0
#define UART_LCR 3
#define UART_LSR 5
#define LSR_DR 0x01
#define BAR0 VFIODEV_PCI_BAR0_REGION
/* VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, for the kernel's own refusal */
#define FEATURE_MIG_DEVICE_STATE 2

static const char *const names[] = {
	"mig/info",    "mig/stop-copy", "mig/pre-copy", "mig/precopy-v2",
	"mig/bad-arc", "mig/corrupt",	"mig/dma-log",	"mig/container",
};

static struct vfiodev_ctx *ctx;
static const char *src_dir, *dst_dir;
static struct vfiodev_device *src, *dst;
static struct vfiodev_mig_info si;

#define CHECK(name, cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			result(name, false, __VA_ARGS__);                      \
			return;                                                \
		}                                                              \
	} while (0)

static int open_pair(enum vfiodev_backend backend)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	int ret;

	o.backend = backend;
	ret = vfiodev_device_open_sysfs(ctx, src_dir, &o, &src);
	if (ret)
		return ret;
	ret = vfiodev_device_open_sysfs(ctx, dst_dir, &o, &dst);
	if (ret) {
		vfiodev_device_close(src);
		src = NULL;
	}
	return ret;
}

static void close_pair(void)
{
	vfiodev_device_close(src);
	vfiodev_device_close(dst);
	src = dst = NULL;
}

static int put_bytes(struct vfiodev_device *d, const char *s)
{
	for (; *s; s++) {
		int ret = vfiodev_region_write(d, BAR0, UART_THR, s, 1);

		if (ret)
			return ret;
	}
	return 0;
}

/* what the UART's receive FIFO holds, emptied */
static int drain(struct vfiodev_device *d, char *out, size_t cap)
{
	size_t n = 0;

	for (;;) {
		uint8_t lsr, c;
		int ret = vfiodev_region_read(d, BAR0, UART_LSR, &lsr, 1);

		if (ret)
			return ret;
		if (!(lsr & LSR_DR) || n + 1 >= cap)
			break;
		ret = vfiodev_region_read(d, BAR0, UART_THR, &c, 1);
		if (ret)
			return ret;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

struct stream {
	uint8_t buf[4096];
	size_t len;
};

static int keep(void *data, const void *buf, size_t len)
{
	struct stream *s = data;

	if (len > sizeof(s->buf) - s->len)
		return -ENOSPC;
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

/* the arcs RUNNING -> STOP_COPY takes: through RUNNING_P2P with P2P */
static unsigned int walk_len(void)
{
	return si.caps & VFIODEV_MIG_CAP_P2P ? 3 : 2;
}

/* save the source in STOP_COPY (its stream into @s), resume it into the
 * destination; 0 or -errno, @what names the failed step */
static int migrate(struct stream *s, const char **what)
{
	struct vfiodev_mig_result res;
	int ret;

	*what = "source to stop-copy";
	ret = vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res);
	if (ret)
		return ret;
	*what = "reading the stream";
	ret = vfiodev_mig_save(src, res.data_fd, keep, s, NULL, NULL);
	close(res.data_fd);
	if (ret)
		return ret < 0 ? ret : -EPROTO;
	*what = "destination to resuming";
	ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res);
	if (ret)
		return ret;
	*what = "writing the stream";
	ret = vfiodev_mig_load_buf(dst, res.data_fd, s->buf, s->len);
	if (!ret) {
		*what = "destination to running";
		ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL);
	}
	close(res.data_fd);
	if (ret)
		return ret;
	*what = "source back to running";
	return vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL);
}

static void t_info(const char *name)
{
	struct vfiodev_mig_info di;
	uint64_t size = 0;

	CHECK(name,
	      !vfiodev_mig_get_info(src, &si) && !vfiodev_mig_get_info(dst, &di),
	      "no migration info");
	printf("  mtty migration caps 0x%x (stop-copy%s%s%s%s), state %s\n",
	       si.caps, si.caps & VFIODEV_MIG_CAP_P2P ? " p2p" : "",
	       si.caps & VFIODEV_MIG_CAP_PRE_COPY ? " pre-copy" : "",
	       si.caps & VFIODEV_MIG_CAP_DMA_LOGGING ? " dma-logging" : "",
	       si.caps & VFIODEV_MIG_CAP_PRECOPY_INFO_V2 ? " precopy-info-v2" : "",
	       vfiodev_mig_state_name(si.state));
	CHECK(name, si.caps & VFIODEV_MIG_CAP_STOP_COPY && di.caps == si.caps,
	      "caps 0x%x and 0x%x", si.caps, di.caps);
	CHECK(name, si.state == VFIODEV_MIG_RUNNING, "state %s",
	      vfiodev_mig_state_name(si.state));
	CHECK(name, !vfiodev_mig_data_size(src, &size) && size > 0, "data size");
	printf("  stop-copy estimate %llu bytes\n", (unsigned long long)size);
	result(name, true, " ");
}

static void t_stop_copy(const char *name)
{
	struct stream s = { .len = 0 };
	struct vfiodev_mig_result res;
	const char *what;
	char got[32];
	uint8_t lcr = 0;
	uint64_t size = 0;
	int ret;

	CHECK(name,
	      drain(src, got, sizeof(got)) >= 0 && drain(dst, got, sizeof(got)) >= 0,
	      "emptying the FIFOs");
	CHECK(name, !put_bytes(src, "vfiodev1"), "writing the source's THR");
	lcr = 0x1b; /* 8 bits, 2 stop bits, even parity: not the default */
	CHECK(name, !vfiodev_region_write(src, BAR0, UART_LCR, &lcr, 1), "LCR");
	/* the walk on the real driver: one ioctl per arc */
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_STOP, &res), "to stop");
	CHECK(name, res.steps == walk_len() - 1, "running -> stop in %u arcs",
	      res.steps);
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, &res),
	      "to running");
	ret = migrate(&s, &what);
	CHECK(name, !ret, "%s: %s", what, strerror(-ret));
	vfiodev_mig_data_size(src, &size);
	CHECK(name, s.len == size, "%zu bytes streamed, %llu estimated", s.len,
	      (unsigned long long)size);
	ret = drain(dst, got, sizeof(got));
	lcr = 0;
	vfiodev_region_read(dst, BAR0, UART_LCR, &lcr, 1);
	printf("  %zu bytes moved; destination RBR \"%s\", LCR 0x%02x\n", s.len,
	       ret >= 0 ? got : "?", lcr);
	CHECK(name, ret >= 0 && !strcmp(got, "vfiodev1"),
	      "the destination's FIFO holds \"%s\"", ret >= 0 ? got : "?");
	CHECK(name, lcr == 0x1b, "LCR 0x%02x", lcr);
	result(name, true, " ");
}

static void t_pre_copy(const char *name)
{
	struct stream s = { .len = 0 };
	struct vfiodev_mig_result res, rr;
	struct vfiodev_mig_precopy pi, pi2;
	uint64_t size = 0, n1 = 0, n2 = 0;
	char got[32];
	int fd, ret;

	if (!(si.caps & VFIODEV_MIG_CAP_PRE_COPY)) {
		result_skip(name, "the device reports no PRE_COPY");
		return;
	}
	drain(src, got, sizeof(got));
	drain(dst, got, sizeof(got));
	CHECK(name, !put_bytes(src, "pre"), "writing THR");
	CHECK(name,
	      !vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res) &&
		      res.data_fd >= 0,
	      "to pre-copy");
	fd = res.data_fd;
	ret = vfiodev_mig_precopy_info(src, fd, &pi);
	CHECK(name, !ret, "pre-copy info: %s", strerror(-ret));
	ret = vfiodev_mig_save(src, fd, keep, &s, NULL, &n1);
	CHECK(name, ret >= 0, "pre-copy read: %s", strerror(-ret));
	CHECK(name, !vfiodev_mig_precopy_info(src, fd, &pi2), "info after the read");
	printf("  pre-copy: %llu initial bytes, %llu dirty; read %llu (%s); then %llu initial\n",
	       (unsigned long long)pi.initial_bytes,
	       (unsigned long long)pi.dirty_bytes, (unsigned long long)n1,
	       ret ? "ENOMSG" : "read 0", (unsigned long long)pi2.initial_bytes);
	CHECK(name,
	      pi.initial_bytes > 0 && n1 == pi.initial_bytes && !pi2.initial_bytes,
	      "initial %llu, read %llu, left %llu",
	      (unsigned long long)pi.initial_bytes, (unsigned long long)n1,
	      (unsigned long long)pi2.initial_bytes);
	/* the device still runs: more bytes, after the pre-copy round */
	CHECK(name, !put_bytes(src, "+run"), "writing THR in pre-copy");
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &rr),
	      "to stop-copy");
	CHECK(name, rr.data_fd == -1, "a new fd %d: the session should go on",
	      rr.data_fd);
	ret = vfiodev_mig_save(src, fd, keep, &s, NULL, &n2);
	close(fd);
	CHECK(name, !ret, "stop-copy read: %s", strerror(-ret));
	vfiodev_mig_data_size(src, &size);
	CHECK(name, s.len == size, "%zu bytes in all, %llu estimated", s.len,
	      (unsigned long long)size);
	CHECK(name, !vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res),
	      "resuming");
	ret = vfiodev_mig_load_buf(dst, res.data_fd, s.buf, s.len);
	if (!ret)
		ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL);
	close(res.data_fd);
	CHECK(name, !ret, "resume: %s", strerror(-ret));
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL),
	      "source back");
	ret = drain(dst, got, sizeof(got));
	printf("  %llu + %llu bytes moved; destination RBR \"%s\"\n",
	       (unsigned long long)n1, (unsigned long long)n2,
	       ret >= 0 ? got : "?");
	CHECK(name, ret >= 0 && !strcmp(got, "pre+run"),
	      "the destination holds \"%s\"", ret >= 0 ? got : "?");
	result(name, true, " ");
}

static void t_precopy_v2(const char *name)
{
	struct vfiodev_mig_result res;
	struct vfiodev_mig_precopy pi;
	int ret;

	if (!(si.caps & VFIODEV_MIG_CAP_PRE_COPY)) {
		result_skip(name, "the device reports no PRE_COPY");
		return;
	}
	ret = vfiodev_mig_precopy_v2(src);
	/* the kernel asked directly, not through the library: a broken
	 * library probe must not turn a feature the kernel has into a skip */
	{
		struct vfio_device_feature f = {
			.argsz = sizeof(f),
			.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
				 12 /* VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 */,
		};
		int raw = ioctl(vfiodev_device_fd(src), VFIO_DEVICE_FEATURE, &f);

		CHECK(name, !raw == !!(si.caps & VFIODEV_MIG_CAP_PRECOPY_INFO_V2),
		      "the kernel's own probe says %s, the library's caps 0x%x",
		      raw ? strerror(errno) : "supported", si.caps);
	}
	if (!(si.caps & VFIODEV_MIG_CAP_PRECOPY_INFO_V2)) {
		CHECK(name, ret == -EOPNOTSUPP, "v2 without the probe: %d", ret);
		result_skip(name,
			    "this kernel has no VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 (the probe failed; the opt-in returned -EOPNOTSUPP)");
		return;
	}
	CHECK(name, !ret, "opt-in: %s", strerror(-ret));
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res),
	      "pre-copy");
	ret = vfiodev_mig_precopy_info(src, res.data_fd, &pi);
	close(res.data_fd);
	CHECK(name, !ret, "info: %s", strerror(-ret));
	printf("  v2 pre-copy info: %llu initial, flags 0x%x\n",
	       (unsigned long long)pi.initial_bytes, pi.flags);
	/* mtty has no reconfiguration: no REINIT, and flags is an output now */
	CHECK(name, pi.initial_bytes > 0 && pi.flags == 0, "flags 0x%x", pi.flags);
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL), "back");
	result(name, true, " ");
}

static void t_bad_arc(const char *name)
{
	struct {
		uint32_t device_state;
		int32_t data_fd;
	} raw = { VFIODEV_MIG_PRE_COPY, -1 };
	struct vfiodev_mig_result res;
	enum vfiodev_mig_state st = VFIODEV_MIG_ERROR;
	char got[32];
	int ret;

	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res),
	      "stop-copy");
	close(res.data_fd);
	/* the library has no path, and says so before the kernel */
	ret = vfiodev_mig_set_state(src, VFIODEV_MIG_PRE_COPY, &res);
	CHECK(name, ret == -EINVAL, "stop-copy -> pre-copy: %d", ret);
	/* the kernel itself refuses the arc */
	ret = vfiodev_device_feature(src, VFIODEV_FEATURE_SET,
				     FEATURE_MIG_DEVICE_STATE, &raw, sizeof(raw));
	printf("  the kernel's answer to stop-copy -> pre-copy: %s\n",
	       strerror(-ret));
	CHECK(name, ret == -EINVAL, "the kernel took it: %d", ret);
	CHECK(name, !vfiodev_mig_get_state(src, &st) && st == VFIODEV_MIG_STOP_COPY,
	      "left in %s", vfiodev_mig_state_name(st));
	/* the reset recovers it, and the UART works */
	ret = vfiodev_mig_reset(src);
	CHECK(name, !ret, "reset: %s", strerror(-ret));
	drain(src, got, sizeof(got));
	CHECK(name,
	      !put_bytes(src, "ok") && drain(src, got, sizeof(got)) == 2 &&
		      !strcmp(got, "ok"),
	      "the source's UART after the reset: \"%s\"", got);
	result(name, true, " ");
}

static void t_corrupt(const char *name)
{
	struct stream s = { .len = 0 }, good;
	struct vfiodev_mig_result res;
	enum vfiodev_mig_state st = VFIODEV_MIG_ERROR;
	const char *what;
	char got[32];
	int ret;

	drain(src, got, sizeof(got));
	drain(dst, got, sizeof(got));
	CHECK(name, !put_bytes(src, "good"), "THR");
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_STOP_COPY, &res),
	      "stop-copy");
	ret = vfiodev_mig_save(src, res.data_fd, keep, &s, NULL, NULL);
	close(res.data_fd);
	CHECK(name, !ret, "save: %s", strerror(-ret));
	CHECK(name, !vfiodev_mig_set_state(src, VFIODEV_MIG_RUNNING, NULL),
	      "source back");
	good = s;
	/* a foreign header: refused as it is written */
	s.buf[0] ^= 0xff;
	CHECK(name, !vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res),
	      "resuming");
	ret = vfiodev_mig_load_buf(dst, res.data_fd, s.buf, s.len);
	close(res.data_fd);
	printf("  a foreign header: %s\n", strerror(-ret));
	CHECK(name, ret < 0, "a corrupted header was taken");
	/* the data the device took is not to be loaded: abort by reset */
	CHECK(name, !vfiodev_mig_reset(dst), "reset after the foreign header");
	/* a truncated stream: taken, then refused when leaving RESUMING */
	CHECK(name, !vfiodev_mig_set_state(dst, VFIODEV_MIG_RESUMING, &res),
	      "resuming");
	ret = vfiodev_mig_load_buf(dst, res.data_fd, good.buf, good.len - 8);
	CHECK(name, !ret, "the first %zu bytes: %s", good.len - 8, strerror(-ret));
	ret = vfiodev_mig_set_state(dst, VFIODEV_MIG_RUNNING, NULL);
	close(res.data_fd);
	printf("  a truncated stream: %s\n", strerror(-ret));
	CHECK(name, ret == -EINVAL, "truncated: %d", ret);
	CHECK(name, !vfiodev_mig_get_state(dst, &st) && st == VFIODEV_MIG_RESUMING,
	      "left in %s", vfiodev_mig_state_name(st));
	CHECK(name, !vfiodev_mig_reset(dst), "reset after the truncated stream");
	CHECK(name, drain(dst, got, sizeof(got)) == 0,
	      "the destination holds \"%s\"", got);
	/* both usable: a whole migration goes through */
	s.len = 0;
	CHECK(name, !put_bytes(src, "again"), "THR");
	ret = migrate(&s, &what);
	CHECK(name, !ret, "%s: %s", what, strerror(-ret));
	ret = drain(dst, got, sizeof(got));
	CHECK(name, ret >= 0 && !strcmp(got, "goodagain"),
	      "the destination holds \"%s\"", ret >= 0 ? got : "?");
	result(name, true, " ");
}

static void t_dma_log(const char *name)
{
	const struct vfiodev_dma_log_range r = { 0x100000, 0x100000 };
	uint64_t pg = 4096, bm[4];
	int a, b, c;

	if (!(si.caps & VFIODEV_MIG_CAP_DMA_LOGGING)) {
		a = vfiodev_mig_dma_log_start(src, &r, 1, &pg);
		CHECK(name, a == -EOPNOTSUPP, "start without the probe: %d", a);
		result_skip(name,
			    "the device's driver has no DMA logging (start: -EOPNOTSUPP)");
		return;
	}
	a = vfiodev_mig_dma_log_start(src, &r, 1, &pg);
	memset(bm, 0xff, sizeof(bm));
	b = vfiodev_mig_dma_log_report(src, r.iova, r.length, 4096, bm, sizeof(bm));
	c = vfiodev_mig_dma_log_stop(src);
	printf("  DMA logging: start %d (page 0x%llx), report %d, stop %d\n", a,
	       (unsigned long long)pg, b, c);
	CHECK(name, !a && !b && !c, "start %d report %d stop %d", a, b, c);
	/* mtty does no DMA: nothing logged, and the bitmap was cleared */
	CHECK(name, !(bm[0] | bm[1] | bm[2] | bm[3]), "bits set");
	result(name, true, " ");
}

static void t_container(const char *name)
{
	struct stream s = { .len = 0 };
	const char *what;
	char got[32];
	int ret;

	close_pair();
	ret = open_pair(VFIODEV_BACKEND_CONTAINER);
	CHECK(name, !ret, "opening both on the group path: %s", strerror(-ret));
	drain(src, got, sizeof(got));
	drain(dst, got, sizeof(got));
	CHECK(name, !put_bytes(src, "group"), "THR");
	ret = migrate(&s, &what);
	CHECK(name, !ret, "%s: %s", what, strerror(-ret));
	ret = drain(dst, got, sizeof(got));
	CHECK(name, ret >= 0 && !strcmp(got, "group"),
	      "the destination holds \"%s\"", ret >= 0 ? got : "?");
	result(name, true, " ");
}

static void (*const tests[])(const char *) = {
	t_info,	   t_stop_copy, t_pre_copy, t_precopy_v2,
	t_bad_arc, t_corrupt,	t_dma_log,  t_container,
};

int main(int argc, char **argv)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, co);
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "skip")) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			result_skip(names[i], "%s", argv[2]);
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "all")) {
		fprintf(stderr,
			"usage: %s all <source sysfs dir> <destination sysfs dir>\n"
			"       %s skip <reason>\n",
			argv[0], argv[0]);
		return 2;
	}
	src_dir = argv[2];
	dst_dir = argv[3];
	co.log_priority = 7 + 1; /* every line of the library, for the log */
	ret = vfiodev_ctx_new(&co, &ctx);
	if (!ret)
		ret = open_pair(VFIODEV_BACKEND_AUTO);
	if (ret) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			result(names[i], false, "opening the instances: %s",
			       strerror(-ret));
		return 1;
	}
	printf("  opened %s and %s (%s)\n", src_dir, dst_dir,
	       vfiodev_backend_name(vfiodev_device_backend(src)));
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tests[i](names[i]);
	close_pair();
	vfiodev_ctx_unref(ctx);
	return failures ? 1 : 0;
}
