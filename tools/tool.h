/* SPDX-License-Identifier: MIT */
/*
 * What the vfiodev tool's command files share: the parsed command line,
 * the context, and the helpers that print a device the same way in every
 * command. The tool uses only the public API of libvfiodev.
 */
#ifndef VFIODEV_TOOL_H
#define VFIODEV_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "vfiodev.h"

/* exit statuses: 0 done (doctor: the device can be opened), 1 failed
 * (doctor: it cannot), 2 bad usage */
#define EXIT_USAGE 2

struct tool {
	struct vfiodev_ctx *ctx;
	bool json;
	bool verbose;
	const char *bdf;
	/* options; each command uses some */
	enum vfiodev_backend backend;
	bool backend_set;
	bool allow_noiommu;
	bool vfio_only;
	const char *driver;
	bool force; /* bind: even a device the host uses */
	const char *restore; /* unbind: NULL re-probe, "" none */
	uint64_t map_bytes;
	uint64_t map_count;
	bool check_user;
	uid_t uid;
	gid_t gid;
	const char *user;
	bool no_open;
	/* info: a device by sysfs path (or an mdev's UUID) instead of @bdf */
	const char *path;
	char path_buf[320];
	/* mdev: the arguments after "mdev", its --uuid, a PARENT filter */
	char **args;
	int nargs;
	const char *uuid;
	const char *parent;
	/* the first error line the library logged since it was last
	 * cleared: the cause, for --json and doctor */
	char first_error[512];
	bool quiet_log; /* capture only, print nothing */
	bool mute_log; /* neither print nor capture (lookups for display) */
	char bdf_buf[VFIODEV_BDF_LEN]; /* @bdf, normalised */
};

/* under --json, a failure is still one document: {"ok": false, ...} */
void json_failure(const struct tool *t, const char *error);
const char *tool_error(const struct tool *t, int ret);

int cmd_list(struct tool *t);
int cmd_info(struct tool *t);
int cmd_bind(struct tool *t);
int cmd_unbind(struct tool *t);
int cmd_doctor(struct tool *t);
int cmd_mdev(struct tool *t);

/* a usage error: one escaped line on stderr, a hint; returns EXIT_USAGE */
int tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "0x1234" pieces of a device, members, paths: the same in all commands */
void json_pci_device(struct json *j, const struct vfiodev_pci_device *d);
/* "iommufd,container" or "-" */
void paths_text(unsigned int paths, char *buf, size_t len);

#endif /* VFIODEV_TOOL_H */
