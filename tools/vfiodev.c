// SPDX-License-Identifier: MIT
/*
 * vfiodev: the command-line face of libvfiodev. Command line and logging
 * here, with the small commands (list, bind, unbind); info.c and doctor.c
 * hold the two that say the most. Every command prints text for people or,
 * with --json, one JSON document on stdout for scripts.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "tool.h"

#ifndef VFIODEV_VERSION
#define VFIODEV_VERSION "unknown"
#endif

static const char usage_text[] =
	"Usage: vfiodev [OPTIONS] COMMAND [BDF] [OPTIONS]\n"
	"\n"
	"Bind, inspect and diagnose Linux VFIO devices by PCI address.\n"
	"\n"
	"Commands:\n"
	"  list          PCI devices with their driver, IOMMU group, vfio cdev and\n"
	"                the open paths usable now\n"
	"  info DEVICE   open the device: regions, IRQs, reset, and the backend the\n"
	"                open took and why; DEVICE is a BDF, a sysfs directory\n"
	"                (/sys/bus/mdev/devices/UUID) or an mdev's UUID\n"
	"  bind BDF      load the modules it needs and bind the device to vfio-pci\n"
	"  unbind BDF    release the device and give it back to a driver\n"
	"  doctor BDF    check everything an open needs, with remedies; exit status\n"
	"                0 when the device can be opened\n"
	"  mdev list [PARENT]    mediated devices (UUID, parent, type, group, cdev)\n"
	"  mdev types [PARENT]   mdev parents and their types: name, description,\n"
	"                        instances left, device API\n"
	"  mdev create PARENT TYPE   create a device of TYPE (a random UUID, or\n"
	"                        --uuid UUID); prints its UUID\n"
	"  mdev remove UUID      remove a mediated device (refused while it is open)\n"
	"\n"
	"Options:\n"
	"  --json               one JSON document on stdout\n"
	"  -v, --verbose        log the library's decisions to stderr\n"
	"  -h, --help           this help\n"
	"  -V, --version        print the version\n"
	"  --vfio               list: only devices bound to a VFIO driver\n"
	"  --backend B          info, doctor: auto, iommufd or container\n"
	"  --allow-noiommu      info, doctor: accept a noiommu group\n"
	"  --driver D           bind: bind to D instead of vfio-pci\n"
	"  --force              bind: take the device even though the host uses it\n"
	"                       (an interface up with an address or a route, a\n"
	"                       mounted file system, swap, a holder, the boot display)\n"
	"  --restore D          unbind: give the device to driver D\n"
	"                       (default: let the kernel pick its driver)\n"
	"  --none               unbind: leave the device without a driver\n"
	"  --map-bytes N        doctor: check RLIMIT_MEMLOCK for N bytes of DMA\n"
	"                       mappings (suffixes K, M, G)\n"
	"  --map-count N        doctor: check Type1's dma_entry_limit for N mappings\n"
	"  --user USER          doctor: check node permissions for USER (name or uid)\n"
	"  --no-open            doctor: do not try to open the device\n"
	"  --uuid UUID          mdev create: the new device's UUID\n"
	"\n"
	"BDF is a PCI address, 0000:00:03.0 or 00:03.0. See vfiodev(1).\n";

enum {
	OPT_JSON = 256,
	OPT_VFIO,
	OPT_BACKEND,
	OPT_ALLOW_NOIOMMU,
	OPT_DRIVER,
	OPT_RESTORE,
	OPT_NONE,
	OPT_MAP_BYTES,
	OPT_MAP_COUNT,
	OPT_USER,
	OPT_NO_OPEN,
	OPT_FORCE,
	OPT_UUID,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "vfio", no_argument, NULL, OPT_VFIO },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "allow-noiommu", no_argument, NULL, OPT_ALLOW_NOIOMMU },
	{ "driver", required_argument, NULL, OPT_DRIVER },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "none", no_argument, NULL, OPT_NONE },
	{ "map-bytes", required_argument, NULL, OPT_MAP_BYTES },
	{ "map-count", required_argument, NULL, OPT_MAP_COUNT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "no-open", no_argument, NULL, OPT_NO_OPEN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "uuid", required_argument, NULL, OPT_UUID },
	{ NULL, 0, NULL, 0 },
};

/* one line on stderr whatever the arguments it quotes hold: control
 * characters escaped, cut at 200 bytes */
static void stderr_line(const char *prefix, const char *msg)
{
	fputs(prefix, stderr);
	for (size_t i = 0; msg[i] && i < 200; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	if (strlen(msg) > 200)
		fputs("...", stderr);
	fputc('\n', stderr);
}

int tool_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	stderr_line("vfiodev: ", msg);
	fputs("Try 'vfiodev --help'.\n", stderr);
	return EXIT_USAGE;
}

/* "4096", "64K", "1G": bytes, or -1 (a size past 2^64 included) */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	/* strtoull skips spaces and negates "-1" into a huge size */
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	}
	if (shift) {
		if (v > UINT64_MAX >> shift)
			return -1;
		v <<= shift;
		end++;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_user(struct tool *t, const char *s)
{
	struct passwd pw, *res = NULL;
	char buf[1024], *end;
	unsigned long uid;

	if (!getpwnam_r(s, &pw, buf, sizeof(buf), &res) && res) {
		t->uid = res->pw_uid;
		t->gid = res->pw_gid;
	} else {
		errno = 0;
		uid = strtoul(s, &end, 10);
		if (errno || end == s || *end)
			return -1;
		t->uid = (uid_t)uid;
		t->gid = (gid_t)uid;
		if (!getpwuid_r(t->uid, &pw, buf, sizeof(buf), &res) && res)
			t->gid = res->pw_gid;
	}
	t->check_user = true;
	t->user = s;
	return 0;
}

static void log_fn(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	struct tool *t = data;
	char msg[512];

	(void)file;
	(void)line;
	(void)fn;
	if (t->mute_log)
		return;
	vsnprintf(msg, sizeof(msg), format, args);
	/* the first error is the cause; later ones follow from it */
	if (priority <= LOG_ERR && !t->first_error[0])
		snprintf(t->first_error, sizeof(t->first_error), "%s", msg);
	if (!t->quiet_log)
		fprintf(stderr, "vfiodev: %s\n", msg);
}

void json_failure(const struct tool *t, const char *error)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	if (t->bdf)
		json_string(&j, "bdf", t->bdf);
	json_bool(&j, "ok", false);
	json_string(&j, "error", error);
	json_object_end(&j);
	json_finish(&j);
}

void paths_text(unsigned int paths, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 paths & VFIODEV_PATH_IOMMUFD ? "iommufd" : "",
		 (paths & VFIODEV_PATH_IOMMUFD) && (paths & ~VFIODEV_PATH_IOMMUFD) ?
			 "," :
			 "",
		 paths & VFIODEV_PATH_CONTAINER ? "container" : "",
		 (paths & VFIODEV_PATH_NOIOMMU) && (paths & ~VFIODEV_PATH_NOIOMMU) ?
			 "," :
			 "",
		 paths & VFIODEV_PATH_NOIOMMU ? "noiommu" : "");
	if (!paths)
		snprintf(buf, len, "-");
}

void json_pci_device(struct json *j, const struct vfiodev_pci_device *d)
{
	json_string(j, "bdf", d->bdf);
	json_stringf(j, "vendor", "0x%04x", d->vendor);
	json_stringf(j, "device", "0x%04x", d->device);
	json_stringf(j, "subsystem_vendor", "0x%04x", d->subsystem_vendor);
	json_stringf(j, "subsystem_device", "0x%04x", d->subsystem_device);
	json_stringf(j, "class", "0x%06x", d->class_code);
	json_string(j, "driver", d->driver[0] ? d->driver : NULL);
	json_string(j, "driver_override",
		    d->driver_override[0] ? d->driver_override : NULL);
	json_string(j, "reset_methods",
		    d->reset_methods[0] ? d->reset_methods : NULL);
	if (d->iommu_group >= 0)
		json_int(j, "iommu_group", d->iommu_group);
	else
		json_null(j, "iommu_group");
	json_bool(j, "noiommu", d->noiommu);
	json_array_begin(j, "group_members");
	for (size_t i = 0; i < d->nr_members; i++) {
		json_object_begin(j, NULL);
		json_string(j, "bdf", d->members[i].bdf);
		json_string(j, "driver",
			    d->members[i].driver[0] ? d->members[i].driver : NULL);
		json_bool(j, "blocking", d->members[i].blocking);
		json_object_end(j);
	}
	json_array_end(j);
	json_bool(j, "group_members_unknown", d->members_unknown);
	json_string(j, "cdev", d->cdev[0] ? d->cdev : NULL);
	if (d->has_cdev_devnum)
		json_stringf(j, "cdev_devnum", "%u:%u", d->cdev_major,
			     d->cdev_minor);
	else
		json_null(j, "cdev_devnum");
	json_object_begin(j, "paths");
	json_bool(j, "iommufd", d->paths & VFIODEV_PATH_IOMMUFD);
	json_bool(j, "container", d->paths & VFIODEV_PATH_CONTAINER);
	json_bool(j, "noiommu", d->paths & VFIODEV_PATH_NOIOMMU);
	json_object_end(j);
}

int cmd_list(struct tool *t)
{
	VFIODEV_OPTS_INIT(vfiodev_pci_scan_opts, opts);
	struct vfiodev_pci_list *list;
	struct json j;
	int ret;

	opts.vfio_only = t->vfio_only;
	ret = vfiodev_pci_scan(t->ctx, &opts, &list);
	if (ret) {
		/* the library logged the cause */
		if (t->json)
			json_failure(t, tool_error(t, ret));
		return 1;
	}
	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_array_begin(&j, "devices");
		for (size_t i = 0; i < list->nr_devices; i++) {
			json_object_begin(&j, NULL);
			json_pci_device(&j, list->devices[i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else {
		printf("%-13s %-9s %-6s %-16s %-6s %-16s %s\n", "BDF", "ID",
		       "CLASS", "DRIVER", "GROUP", "VFIO CDEV", "PATHS");
		for (size_t i = 0; i < list->nr_devices; i++) {
			const struct vfiodev_pci_device *d = list->devices[i];
			char group[16], cdev[48], paths[48];

			snprintf(group, sizeof(group),
				 d->iommu_group < 0 ? "-" :
				 d->noiommu	    ? "n%d" :
						      "%d",
				 d->iommu_group);
			if (d->has_cdev_devnum)
				snprintf(cdev, sizeof(cdev), "%s (%u:%u)",
					 d->cdev, d->cdev_major, d->cdev_minor);
			else
				snprintf(cdev, sizeof(cdev), "%s",
					 d->cdev[0] ? d->cdev : "-");
			paths_text(d->paths, paths, sizeof(paths));
			printf("%-13s %04x:%04x %06x %-16s %-6s %-16s %s\n",
			       d->bdf, d->vendor, d->device, d->class_code,
			       d->driver[0] ? d->driver : "-", group, cdev, paths);
		}
	}
	vfiodev_pci_list_free(list);
	return 0;
}

/* the first error the library logged, else the errno's text */
const char *tool_error(const struct tool *t, int ret)
{
	return t->first_error[0] ? t->first_error : strerror(-ret);
}

/* what a command takes after its name */
enum cmd_args {
	ARGS_NONE,
	ARGS_BDF,
	ARGS_DEVICE, /* a BDF, a sysfs directory or an mdev's UUID */
	ARGS_REST, /* its own subcommands and arguments */
};

static const struct {
	const char *name;
	int (*fn)(struct tool *t);
	enum cmd_args args;
} commands[] = {
	{ "list", cmd_list, ARGS_NONE },    { "info", cmd_info, ARGS_DEVICE },
	{ "bind", cmd_bind, ARGS_BDF },	    { "unbind", cmd_unbind, ARGS_BDF },
	{ "doctor", cmd_doctor, ARGS_BDF }, { "mdev", cmd_mdev, ARGS_REST },
};

/* an mdev's UUID: 8-4-4-4-12 hex digits */
static bool is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[36] == '\0';
}

/* one option into @t; 0, or the exit status to leave with at once (a
 * usage error, --help, --version): *@exit_now set */
static int take_option(struct tool *t, int c, bool *exit_now)
{
	*exit_now = true;
	switch (c) {
	case 'h':
		fputs(usage_text, stdout);
		return 0;
	case 'V':
		printf("vfiodev %s\n", VFIODEV_VERSION);
		return 0;
	case OPT_BACKEND:
		if (!strcmp(optarg, "auto"))
			t->backend = VFIODEV_BACKEND_AUTO;
		else if (!strcmp(optarg, "iommufd"))
			t->backend = VFIODEV_BACKEND_IOMMUFD;
		else if (!strcmp(optarg, "container"))
			t->backend = VFIODEV_BACKEND_CONTAINER;
		else
			return tool_usage_error(
				"--backend must be auto, iommufd or container");
		t->backend_set = true;
		break;
	case OPT_MAP_BYTES:
		if (parse_size(optarg, &t->map_bytes))
			return tool_usage_error("--map-bytes: '%s' is not a size",
						optarg);
		break;
	case OPT_MAP_COUNT:
		if (parse_size(optarg, &t->map_count))
			return tool_usage_error("--map-count: '%s' is not a number",
						optarg);
		break;
	case OPT_USER:
		if (parse_user(t, optarg))
			return tool_usage_error("--user: no user '%s'", optarg);
		break;
	case OPT_JSON:
		t->json = true;
		break;
	case 'v':
		t->verbose = true;
		break;
	case OPT_VFIO:
		t->vfio_only = true;
		break;
	case OPT_ALLOW_NOIOMMU:
		t->allow_noiommu = true;
		break;
	case OPT_DRIVER:
		t->driver = optarg;
		break;
	case OPT_RESTORE:
		t->restore = optarg;
		break;
	case OPT_NONE:
		t->restore = "";
		break;
	case OPT_NO_OPEN:
		t->no_open = true;
		break;
	case OPT_FORCE:
		t->force = true;
		break;
	case OPT_UUID:
		t->uuid = optarg;
		break;
	default:
		return tool_usage_error("unknown option");
	}
	*exit_now = false;
	return 0;
}

/* the command's device argument: a sysfs directory, an mdev's UUID or a
 * BDF (normalised); 0, or the exit status of a usage error */
static int take_device(struct tool *t, enum cmd_args takes, const char *arg)
{
	char msg[160];

	if (takes == ARGS_DEVICE && (arg[0] == '/' || is_uuid(arg))) {
		const char *root = getenv("VFIODEV_SYSFS_ROOT");

		if (arg[0] == '/')
			snprintf(t->path_buf, sizeof(t->path_buf), "%s", arg);
		else
			snprintf(t->path_buf, sizeof(t->path_buf),
				 "%s/bus/mdev/devices/%s",
				 root && *root ? root : "/sys", arg);
		t->path = t->path_buf;
		return 0;
	}
	if (!vfiodev_bdf_normalise(arg, t->bdf_buf)) {
		t->bdf = t->bdf_buf;
		return 0;
	}
	/* one check for every command, a usage error like any other */
	snprintf(msg, sizeof(msg),
		 "'%.64s' is not a PCI address (expected dddd:bb:dd.f or bb:dd.f)",
		 arg);
	if (t->json)
		json_failure(t, msg);
	return tool_usage_error("%s", msg);
}

/* the command and its arguments, checked against what it takes */
static int take_command(struct tool *t, char **args, int nargs,
			int (**fn)(struct tool *))
{
	enum cmd_args takes = ARGS_NONE;
	const char *cmd;

	if (nargs == 0)
		return tool_usage_error("no command given");
	cmd = args[0];
	*fn = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(cmd, commands[i].name)) {
			*fn = commands[i].fn;
			takes = commands[i].args;
		}
	}
	if (!*fn)
		return tool_usage_error("unknown command '%s'", cmd);
	if (nargs > 8)
		return tool_usage_error("%s: too many arguments", cmd);
	if (t->uuid && strcmp(cmd, "mdev"))
		return tool_usage_error("--uuid is for mdev create");
	if (takes == ARGS_REST) {
		t->args = args + 1;
		t->nargs = nargs - 1;
		return 0;
	}
	if (nargs != (takes == ARGS_NONE ? 1 : 2))
		return tool_usage_error(takes == ARGS_NONE ?
						"%s takes no argument" :
					takes == ARGS_BDF ?
						"%s needs one BDF" :
						"%s needs one device (a BDF, a sysfs directory or an mdev UUID)",
					cmd);
	return takes == ARGS_NONE ? 0 : take_device(t, takes, args[1]);
}

int main(int argc, char **argv)
{
	struct tool t = { .backend = VFIODEV_BACKEND_AUTO };
	int (*fn)(struct tool *) = NULL;
	bool exit_now;
	int c, ret;

	/* getopt_long's conventions: options before or after the command
	 * and its arguments (argv is permuted), and after "--" everything
	 * is an argument */
	while ((c = getopt_long(argc, argv, "vhV", long_opts, NULL)) != -1) {
		ret = take_option(&t, c, &exit_now);
		if (exit_now)
			return ret;
	}
	ret = take_command(&t, argv + optind, argc - optind, &fn);
	if (ret)
		return ret;
	ret = vfiodev_ctx_new(NULL, &t.ctx);
	if (ret) {
		fprintf(stderr, "vfiodev: cannot create a library context: %s\n",
			strerror(-ret));
		return 1;
	}
	vfiodev_ctx_set_log_fn(t.ctx, log_fn, &t);
	if (t.verbose)
		vfiodev_ctx_set_log_priority(t.ctx, LOG_INFO);
	ret = fn(&t);
	vfiodev_ctx_unref(t.ctx);
	if (json_refused && !ret)
		ret = 1;
	/* output that did not reach its file is a failure (a full disk,
	 * /dev/full, a closed pipe) */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vfiodev: writing the output: %s\n",
			strerror(errno ? errno : EIO));
		return 1;
	}
	return ret;
}
