// SPDX-License-Identifier: MIT
/*
 * vfiodev mdev: mediated devices as mdevctl shows its non-persistent ones:
 * list the devices, the parents' types (name, description, instances
 * left, device API), create one of a type, remove one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* the library's error line on stderr is the cause: said once, and only
 * when the library said nothing, its errno */
static void text_failure(const struct tool *t, const char *what, int ret)
{
	if (!t->first_error[0])
		fprintf(stderr, "vfiodev: %s: %s\n", what, strerror(-ret));
}

static int scan(struct tool *t, const char *parent, struct vfiodev_mdev_list **out)
{
	VFIODEV_OPTS_INIT(vfiodev_mdev_scan_opts, opts);
	int ret;

	opts.parent = parent;
	ret = vfiodev_mdev_scan(t->ctx, &opts, out);
	if (ret && t->json)
		json_failure(t, tool_error(t, ret));
	else if (ret)
		text_failure(t, "mdev", ret);
	return ret;
}

static void json_device(struct json *j, const struct vfiodev_mdev_device *m)
{
	json_string(j, "uuid", m->uuid);
	json_string(j, "parent", m->parent[0] ? m->parent : NULL);
	json_string(j, "type", m->type[0] ? m->type : NULL);
	json_string(j, "driver", m->driver[0] ? m->driver : NULL);
	if (m->iommu_group >= 0)
		json_int(j, "iommu_group", m->iommu_group);
	else
		json_null(j, "iommu_group");
	json_string(j, "cdev", m->cdev[0] ? m->cdev : NULL);
	json_string(j, "sysfs_path", m->sysfs_path);
}

static int mdev_list(struct tool *t)
{
	struct vfiodev_mdev_list *l;
	struct json j;

	if (scan(t, t->parent, &l))
		return 1;
	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_bool(&j, "ok", true);
		json_array_begin(&j, "devices");
		for (size_t i = 0; i < l->nr_devices; i++) {
			json_object_begin(&j, NULL);
			json_device(&j, &l->devices[i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else if (!l->nr_devices) {
		printf("no mediated devices\n");
	} else {
		printf("%-36s  %-16s %-16s %-12s %-6s %s\n", "UUID", "PARENT",
		       "TYPE", "DRIVER", "GROUP", "VFIO CDEV");
		for (size_t i = 0; i < l->nr_devices; i++) {
			const struct vfiodev_mdev_device *m = &l->devices[i];
			char group[16];

			snprintf(group, sizeof(group),
				 m->iommu_group < 0 ? "-" : "%d", m->iommu_group);
			printf("%-36s  %-16s %-16s %-12s %-6s %s\n", m->uuid,
			       m->parent[0] ? m->parent : "-",
			       m->type[0] ? m->type : "-",
			       m->driver[0] ? m->driver : "-", group,
			       m->cdev[0] ? m->cdev : "-");
		}
	}
	vfiodev_mdev_list_free(l);
	return 0;
}

/* a multi-line description on one indented block */
static void text_description(const char *d)
{
	printf("      description: ");
	for (; *d; d++) {
		if (*d == '\n')
			printf(d[1] ? "\n                   " : "");
		else
			putchar(*d);
	}
	putchar('\n');
}

static int mdev_types(struct tool *t)
{
	struct vfiodev_mdev_list *l;
	struct json j;

	if (scan(t, t->parent, &l))
		return 1;
	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_bool(&j, "ok", true);
		json_array_begin(&j, "parents");
		for (size_t i = 0; i < l->nr_parents; i++) {
			const struct vfiodev_mdev_parent *p = &l->parents[i];

			json_object_begin(&j, NULL);
			json_string(&j, "name", p->name);
			json_string(&j, "driver", p->driver[0] ? p->driver : NULL);
			json_array_begin(&j, "types");
			for (size_t k = 0; k < p->nr_types; k++) {
				const struct vfiodev_mdev_type *ty = &p->types[k];

				json_object_begin(&j, NULL);
				json_string(&j, "id", ty->id);
				json_string(&j, "name",
					    ty->name[0] ? ty->name : NULL);
				json_string(&j, "description",
					    ty->description[0] ? ty->description :
								 NULL);
				json_string(&j, "device_api",
					    ty->device_api[0] ? ty->device_api :
								NULL);
				if (ty->available_instances >= 0)
					json_int(&j, "available_instances",
						 ty->available_instances);
				else
					json_null(&j, "available_instances");
				json_uint(&j, "devices", ty->nr_devices);
				json_object_end(&j);
			}
			json_array_end(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else if (!l->nr_parents) {
		printf("no mdev parents (no mdev parent driver is loaded)\n");
	} else {
		for (size_t i = 0; i < l->nr_parents; i++) {
			const struct vfiodev_mdev_parent *p = &l->parents[i];

			printf("%s%s%s%s\n", p->name,
			       p->driver[0] ? " (driver " : "", p->driver,
			       p->driver[0] ? ")" : "");
			if (!p->nr_types)
				printf("  no types\n");
			for (size_t k = 0; k < p->nr_types; k++) {
				const struct vfiodev_mdev_type *ty = &p->types[k];
				char avail[24];

				snprintf(avail, sizeof(avail),
					 ty->available_instances < 0 ? "?" : "%lld",
					 (long long)ty->available_instances);
				printf("  %s\n", ty->id);
				printf("      name:        %s\n",
				       ty->name[0] ? ty->name : "-");
				printf("      available:   %s (devices: %u)\n",
				       avail, ty->nr_devices);
				printf("      device api:  %s\n",
				       ty->device_api[0] ? ty->device_api : "-");
				if (ty->description[0])
					text_description(ty->description);
			}
		}
	}
	vfiodev_mdev_list_free(l);
	return 0;
}

static int mdev_create(struct tool *t)
{
	VFIODEV_OPTS_INIT(vfiodev_mdev_create_opts, opts);
	char uuid[VFIODEV_UUID_LEN] = "";
	struct json j;
	int ret;

	opts.uuid = t->uuid;
	ret = vfiodev_mdev_create(t->ctx, t->args[0], t->args[1], &opts, uuid);
	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_bool(&j, "ok", !ret);
		json_string(&j, "error", ret ? tool_error(t, ret) : NULL);
		json_string(&j, "parent", t->args[0]);
		json_string(&j, "type", t->args[1]);
		json_string(&j, "uuid", ret ? NULL : uuid);
		json_object_end(&j);
		json_finish(&j);
	} else if (ret) {
		text_failure(t, "mdev create", ret);
	} else {
		printf("%s\n", uuid);
	}
	return ret ? 1 : 0;
}

static int mdev_remove(struct tool *t)
{
	struct json j;
	int ret;

	ret = vfiodev_mdev_remove(t->ctx, t->args[0]);
	if (t->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_bool(&j, "ok", !ret);
		json_string(&j, "error", ret ? tool_error(t, ret) : NULL);
		json_string(&j, "uuid", t->args[0]);
		json_object_end(&j);
		json_finish(&j);
	} else if (ret) {
		text_failure(t, "mdev remove", ret);
	} else {
		printf("%s: removed\n", t->args[0]);
	}
	return ret ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(struct tool *t);
	int min_args, max_args;
	const char *usage;
} subcommands[] = {
	{ "list", mdev_list, 0, 1, "mdev list [PARENT]" },
	{ "types", mdev_types, 0, 1, "mdev types [PARENT]" },
	{ "create", mdev_create, 2, 2, "mdev create PARENT TYPE [--uuid UUID]" },
	{ "remove", mdev_remove, 1, 1, "mdev remove UUID" },
};

int cmd_mdev(struct tool *t)
{
	const char *sub = t->nargs ? t->args[0] : NULL;

	for (size_t i = 0;
	     sub && i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		int n = t->nargs - 1;

		if (strcmp(sub, subcommands[i].name))
			continue;
		if (n < subcommands[i].min_args || n > subcommands[i].max_args)
			return tool_usage_error("usage: vfiodev %s",
						subcommands[i].usage);
		t->args++;
		t->nargs--;
		if (subcommands[i].max_args == 1 && n == 1 &&
		    subcommands[i].min_args == 0)
			t->parent = t->args[0];
		return subcommands[i].fn(t);
	}
	if (sub)
		return tool_usage_error("unknown mdev command '%.40s' (list, types, create, remove)",
					sub);
	return tool_usage_error("no mdev command given (list, types, create, remove)");
}
