// SPDX-License-Identifier: MIT
/*
 * The vfiodev tool's command line: the fuzzer's bytes are split into
 * arguments (at NUL or newline) and given to the tool's main() on a small
 * fake sysfs tree. It must not crash, must exit 0, 1 or 2, and whatever it
 * prints with --json must be exactly one valid JSON document.
 */
#define main vfiodev_tool_main
#include "../../tools/vfiodev.c"
#undef main

#include <fcntl.h>
#include <sys/stat.h>

#include "json_check.h"

static char root[64];

static void put(const char *rel, const char *val)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

static void mk(const char *rel)
{
	char p[256], *s;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void ln(const char *target, const char *rel)
{
	char t[256], p[256];

	snprintf(t, sizeof(t), "%s/%s", root, target);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	symlink(t, p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char env[128];

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "/tmp/vfiodev-fuzz-cli.%d", (int)getpid());
	mk("sys/bus/pci/devices/0000:00:03.0");
	mk("sys/bus/pci/drivers/vfio-pci");
	mk("sys/kernel/iommu_groups/3/devices");
	mk("dev/vfio/devices");
	put("sys/bus/pci/devices/0000:00:03.0/vendor", "0x1234\n");
	put("sys/bus/pci/devices/0000:00:03.0/device", "0x11e8\n");
	put("sys/bus/pci/devices/0000:00:03.0/class", "0x00ff00\n");
	put("sys/bus/pci/devices/0000:00:03.0/driver_override", "(null)\n");
	put("sys/bus/pci/drivers_probe", "");
	ln("sys/kernel/iommu_groups/3",
	   "sys/bus/pci/devices/0000:00:03.0/iommu_group");
	ln("sys/bus/pci/drivers/vfio-pci",
	   "sys/bus/pci/devices/0000:00:03.0/driver");
	ln("sys/bus/pci/devices/0000:00:03.0",
	   "sys/kernel/iommu_groups/3/devices/0000:00:03.0");
	snprintf(env, sizeof(env), "%s/sys", root);
	setenv("VFIODEV_SYSFS_ROOT", env, 1);
	snprintf(env, sizeof(env), "%s/dev", root);
	setenv("VFIODEV_DEV_ROOT", env, 1);
	unsetenv("VFIODEV_BACKEND");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *args[10], *out = NULL;
	int argc = 1, rc;
	size_t olen = 0;
	bool json = false, text_only = false;
	FILE *saved = stdout;

	if (size > 512)
		return 0;
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	args[0] = (char *)"vfiodev";
	for (char *s = copy; argc < 9;) {
		char *e = s + strcspn(s, "\n");
		bool last = !*e;

		*e = 0;
		args[argc++] = s;
		if (!strcmp(s, "--json"))
			json = true;
		if (last || (size_t)(e - copy) >= size)
			break;
		s = e + 1;
	}
	args[argc] = NULL;
	optind = 0; /* a fresh getopt for every run */
	json_refused = false;
	stdout = open_memstream(&out, &olen);
	if (!stdout) {
		stdout = saved;
		free(copy);
		return 0;
	}
	rc = vfiodev_tool_main(argc, args);
	fclose(stdout);
	stdout = saved;
	if (rc < 0 || rc > 2)
		abort();
	/* --help and --version (or a prefix getopt takes for them) print
	 * text whatever --json says */
	text_only = olen && (!strncmp(out, usage_text, 16) ||
			     !strncmp(out, "vfiodev fuzz", 12));
	if (json && !text_only && olen && !json_valid(out, olen))
		abort();
	free(out);
	free(copy);
	return 0;
}
