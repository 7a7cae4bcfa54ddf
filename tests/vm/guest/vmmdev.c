// SPDX-License-Identifier: MIT
/*
 * In-guest tests of mediated devices (the kernel's mtty sample) through the
 * public API: open by sysfs path with AUTO or a forced backend, the device
 * proved by its UART (a byte written to THR comes back from RBR, LSR says
 * data ready), two instances in one space with a mapping, and holding one
 * open while another process tries to remove it. Prints VMTEST lines
 * (tests/vm/guest-init.sh). What a result expects of the kernel is decided
 * from what it has: a vfio cdev major and /dev/iommu, or neither.
 *
 *   vmmdev open PATH auto|container|iommufd NAME
 *   vmmdev pair PATH1 PATH2 auto|container NAME
 *   vmmdev hold PATH auto|container READYFILE NAME
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "guestlib.h"
#include "vmresult.h"

static struct vfiodev_ctx *ctx;
static char last_error[512];

static void log_fn(void *data, int priority, const char *file, int line,
		   const char *fn, const char *fmt, va_list ap)
{
	char msg[512];

	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (priority <= LOG_ERR)
		snprintf(last_error, sizeof(last_error), "%s", msg);
	fprintf(stderr, "vmmdev: lib: %s\n", msg);
}

static bool cdev_kernel(void)
{
	return guest_has_vfio_cdev() && guest_is_chr("/dev/iommu");
}

static int backend_of(const char *s, enum vfiodev_backend *b)
{
	if (!strcmp(s, "auto"))
		*b = VFIODEV_BACKEND_AUTO;
	else if (!strcmp(s, "container"))
		*b = VFIODEV_BACKEND_CONTAINER;
	else if (!strcmp(s, "iommufd"))
		*b = VFIODEV_BACKEND_IOMMUFD;
	else
		return -1;
	return 0;
}

static const char *expected(enum vfiodev_backend asked)
{
	if (asked == VFIODEV_BACKEND_AUTO)
		return cdev_kernel() ? "iommufd" : "container";
	return vfiodev_backend_name(asked);
}

static int open_path(const char *path, struct vfiodev_space *space,
		     enum vfiodev_backend b, struct vfiodev_device **dev)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.space = space;
	opts.backend = b;
	last_error[0] = '\0';
	return vfiodev_device_open_sysfs(ctx, path, &opts, dev);
}

/* mtty's BAR0 is a 16550's registers: THR/RBR at 0, LSR at 5 */
static int uart_loopback(struct vfiodev_device *dev, uint8_t byte, char *why,
			 size_t len)
{
	uint8_t lsr = 0, rbr = 0;
	int ret;

	ret = vfiodev_region_write(dev, 0, 0, &byte, 1);
	if (ret >= 0)
		ret = vfiodev_region_read(dev, 0, 5, &lsr, 1);
	if (ret >= 0)
		ret = vfiodev_region_read(dev, 0, 0, &rbr, 1);
	if (ret < 0) {
		snprintf(why, len, "BAR0 access: %s", strerror(-ret));
		return ret;
	}
	if (!(lsr & 1) || rbr != byte) {
		snprintf(why, len, "wrote 0x%02x to THR: LSR 0x%02x, RBR 0x%02x",
			 byte, lsr, rbr);
		return -EIO;
	}
	return 0;
}

/* the name is the UUID, the path's last component */
static bool name_is_uuid(struct vfiodev_device *dev, const char *path)
{
	const char *base = strrchr(path, '/');

	return !strcmp(vfiodev_device_name(dev), base ? base + 1 : path) &&
	       !strcmp(vfiodev_device_bdf(dev), "");
}

static int cmd_open(char **argv)
{
	const char *path = argv[0], *name = argv[2];
	struct vfiodev_device *dev = NULL;
	enum vfiodev_backend b;
	const char *got;
	char why[256];
	int ret;

	if (backend_of(argv[1], &b))
		return 2;
	ret = open_path(path, NULL, b, &dev);
	if (ret) {
		result(name, false, "open %s: %s (%s)", path, strerror(-ret),
		       last_error);
		return 1;
	}
	got = vfiodev_backend_name(vfiodev_device_backend(dev));
	printf("vmmdev: %s opened %s with %s%s%s\n", vfiodev_device_name(dev),
	       vfiodev_device_node(dev), got,
	       vfiodev_device_fallback_reason(dev) ? ": " : "",
	       vfiodev_device_fallback_reason(dev) ?
		       vfiodev_device_fallback_reason(dev) :
		       "");
	if (strcmp(got, expected(b)))
		result(name, false, "backend %s, expected %s", got, expected(b));
	else if (!name_is_uuid(dev, path))
		result(name, false, "name '%s', bdf '%s'",
		       vfiodev_device_name(dev), vfiodev_device_bdf(dev));
	else if (uart_loopback(dev, 0x5a, why, sizeof(why)))
		result(name, false, "%s", why);
	else
		result(name, true, " ");
	vfiodev_device_close(dev);
	return 0;
}

static int cmd_pair(char **argv)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, sopts);
	struct vfiodev_device *a = NULL, *c = NULL;
	struct vfiodev_space *space = NULL;
	const char *name = argv[3];
	enum vfiodev_backend b;
	uint64_t iova = 0;
	char why[256] = "";
	void *buf;
	int ret;

	if (backend_of(argv[2], &b))
		return 2;
	sopts.backend = b;
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ret = buf == MAP_FAILED ? -ENOMEM : vfiodev_space_new(ctx, &sopts, &space);
	if (!ret)
		ret = open_path(argv[0], space, b, &a);
	if (!ret)
		ret = open_path(argv[1], space, b, &c);
	if (!ret)
		ret = vfiodev_dma_map_any(space, buf, 4096,
					  VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					  NULL, &iova);
	if (ret)
		snprintf(why, sizeof(why), "%s (%s)", strerror(-ret), last_error);
	else if (vfiodev_device_backend(a) != vfiodev_device_backend(c) ||
		 strcmp(vfiodev_backend_name(vfiodev_space_backend(space)),
			expected(b)))
		snprintf(why, sizeof(why), "space backend %s, expected %s",
			 vfiodev_backend_name(vfiodev_space_backend(space)),
			 expected(b));
	else if (!uart_loopback(a, 0x11, why, sizeof(why)))
		uart_loopback(c, 0x22, why, sizeof(why));
	printf("vmmdev: two instances in one %s space, a page mapped at IOVA 0x%llx\n",
	       vfiodev_backend_name(vfiodev_space_backend(space)),
	       (unsigned long long)iova);
	result(name, !why[0], "%s", why);
	vfiodev_device_close(a);
	vfiodev_device_close(c);
	vfiodev_space_unref(space);
	if (buf != MAP_FAILED)
		munmap(buf, 4096);
	return 0;
}

/* open, then wait until @ready is deleted (60 s at most); in between the
 * library's own remove must refuse */
static int cmd_hold(char **argv)
{
	const char *path = argv[0], *ready = argv[2], *name = argv[3];
	const char *uuid = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct vfiodev_device *dev = NULL;
	enum vfiodev_backend b;
	struct stat st;
	FILE *f;
	int ret;

	if (backend_of(argv[1], &b))
		return 2;
	ret = open_path(path, NULL, b, &dev);
	if (ret) {
		result(name, false, "open %s: %s (%s)", path, strerror(-ret),
		       last_error);
		return 1;
	}
	ret = vfiodev_mdev_remove(ctx, uuid);
	result(name, ret == -EBUSY && strstr(last_error, "the device is open"),
	       "remove in the holding process: %s (%s)", strerror(-ret),
	       last_error);
	printf("vmmdev: holding %s (%s backend) until %s goes\n", uuid,
	       vfiodev_backend_name(vfiodev_device_backend(dev)), ready);
	fflush(stdout);
	f = fopen(ready, "we");
	if (f)
		fclose(f);
	for (int i = 0; i < 600 && !stat(ready, &st); i++)
		usleep(100000);
	vfiodev_device_close(dev);
	printf("vmmdev: released %s\n", uuid);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(char **argv);
	int argc;
	const char *usage;
} cmds[] = {
	{ "open", cmd_open, 3, "open PATH auto|container|iommufd NAME" },
	{ "pair", cmd_pair, 4, "pair PATH1 PATH2 auto|container NAME" },
	{ "hold", cmd_hold, 4, "hold PATH auto|container READYFILE NAME" },
};

int main(int argc, char **argv)
{
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) || argc != cmds[i].argc + 2)
			continue;
		if (vfiodev_ctx_new(NULL, &ctx))
			return 1;
		vfiodev_ctx_set_log_fn(ctx, log_fn, NULL);
		vfiodev_ctx_set_log_priority(ctx, LOG_INFO);
		ret = cmds[i].fn(argv + 2);
		vfiodev_ctx_unref(ctx);
		return ret ? ret : (failures ? 1 : 0);
	}
	fprintf(stderr, "usage:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  vmmdev %s\n", cmds[i].usage);
	return ret;
}
