// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the in-guest test programs (guestlib.h): one copy of
 * what vmtest, vmspace and vmmdev each need.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>

#include "guestlib.h"

/* vfio registers the "vfio-dev" character major only with
 * CONFIG_VFIO_DEVICE_CDEV (drivers/vfio/device_cdev.c, vfio_cdev_init()) */
bool guest_has_vfio_cdev(void)
{
	char line[128], name[64];
	bool chr = false, found = false;
	FILE *f = fopen("/proc/devices", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character devices:", 18))
			chr = true;
		else if (!strncmp(line, "Block devices:", 14))
			chr = false;
		else if (chr && sscanf(line, "%*u %63s", name) == 1)
			found = !strcmp(name, "vfio-dev");
	}
	if (f)
		fclose(f);
	return found;
}

bool guest_is_chr(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

void *guest_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int guest_open(struct vfiodev_ctx *ctx, const char *bdf,
	       struct vfiodev_space *space, enum vfiodev_backend backend,
	       bool noiommu, struct vfiodev_device **dev)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.space = space;
	opts.backend = backend;
	opts.allow_noiommu = noiommu;
	return vfiodev_device_open(ctx, bdf, &opts, dev);
}

int guest_round_trip(const struct edu *e, uint64_t iova_src, uint64_t iova_dst,
		     const uint8_t *src, const uint8_t *dst, char *why,
		     size_t whylen)
{
	int ret;

	ret = edu_dma(e, iova_src, 0, GUEST_DMA_LEN, 0, 0);
	if (!ret)
		ret = edu_dma(e, iova_dst, 0, GUEST_DMA_LEN, 1, 0);
	if (ret) {
		if (why)
			snprintf(why, whylen, "DMA: %s", strerror(-ret));
		return ret;
	}
	for (int i = 0; i < GUEST_DMA_LEN; i++) {
		if (src[i] != dst[i]) {
			if (why)
				snprintf(why, whylen,
					 "byte %d: wrote 0x%02x, read back 0x%02x",
					 i, src[i], dst[i]);
			return -EIO;
		}
	}
	return 0;
}

void guest_log_fn(void *data, int priority, const char *file, int line,
		  const char *fn, const char *format, va_list args)
{
	struct guest_log *l = data;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), format, args);
	if (l && l->watch && strstr(msg, l->watch))
		l->seen = true;
	if (l && priority <= LOG_ERR)
		snprintf(l->last_err, sizeof(l->last_err), "%s", msg);
	fprintf(stderr, "%s\n", msg);
	(void)file, (void)line, (void)fn;
}
