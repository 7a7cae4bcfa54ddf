// SPDX-License-Identifier: MIT
/*
 * vfiodev info: open the device the way a program would, and show what
 * the open found (regions, IRQ indexes, reset) and which backend it took
 * and why; sysfs supplies the driver, group and cdev around it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define MAX_AREAS 32

static const char *region_name(unsigned int i, char *buf, size_t len)
{
	static const char *const fixed[] = { "BAR0", "BAR1",   "BAR2",
					     "BAR3", "BAR4",   "BAR5",
					     "ROM",  "CONFIG", "VGA" };

	if (i < sizeof(fixed) / sizeof(fixed[0]))
		return fixed[i];
	snprintf(buf, len, "region%u", i);
	return buf;
}

static const char *irq_name(unsigned int i, char *buf, size_t len)
{
	static const char *const fixed[] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

	if (i < sizeof(fixed) / sizeof(fixed[0]))
		return fixed[i];
	snprintf(buf, len, "irq%u", i);
	return buf;
}

static void human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && !(v % 1024) && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
}

/* the backend's reason when the library gives none: nothing fell back */
static const char *backend_reason(const struct tool *t,
				  const struct vfiodev_device *dev)
{
	const char *r = vfiodev_device_fallback_reason(dev);

	if (r)
		return r;
	if (t->backend_set && t->backend != VFIODEV_BACKEND_AUTO)
		return "forced with --backend";
	if (getenv("VFIODEV_BACKEND") && strcmp(getenv("VFIODEV_BACKEND"), "auto") &&
	    *getenv("VFIODEV_BACKEND"))
		return "forced with VFIODEV_BACKEND";
	if (vfiodev_device_backend(dev) == VFIODEV_BACKEND_IOMMUFD)
		return "the vfio cdev and /dev/iommu are usable";
	return "the group path was chosen";
}

static void json_regions(struct json *j, struct vfiodev_device *dev,
			 const struct vfiodev_device_info *di)
{
	struct vfiodev_sparse_area areas[MAX_AREAS];
	char nb[32];

	json_array_begin(j, "regions");
	for (unsigned int i = 0; i < di->num_regions; i++) {
		struct vfiodev_region_info ri;
		int n;

		json_object_begin(j, NULL);
		json_uint(j, "index", i);
		json_string(j, "name", region_name(i, nb, sizeof(nb)));
		/* vfio-pci answers EINVAL for an index the device lacks
		 * (VGA on a device that is not a VGA controller) */
		if (vfiodev_region_get_info(dev, i, &ri)) {
			json_bool(j, "available", false);
			json_object_end(j);
			continue;
		}
		json_bool(j, "available", true);
		json_uint(j, "size", ri.size);
		json_uint(j, "offset", ri.offset);
		json_bool(j, "read", ri.flags & VFIODEV_REGION_READ);
		json_bool(j, "write", ri.flags & VFIODEV_REGION_WRITE);
		json_bool(j, "mmap", ri.flags & VFIODEV_REGION_MMAP);
		if (ri.flags & VFIODEV_REGION_MMAP)
			json_uint(j, "mmap_align", 1ull << ri.mmap_align_shift);
		json_bool(j, "msix_mappable",
			  ri.flags & VFIODEV_REGION_MSIX_MAPPABLE);
		if (ri.flags & VFIODEV_REGION_HAS_TYPE) {
			json_uint(j, "type", ri.type);
			json_uint(j, "subtype", ri.subtype);
		}
		json_array_begin(j, "sparse_areas");
		n = (ri.flags & VFIODEV_REGION_SPARSE) ?
			    vfiodev_region_sparse_areas(dev, i, areas, MAX_AREAS) :
			    0;
		for (int a = 0; a < n && a < MAX_AREAS; a++) {
			json_object_begin(j, NULL);
			json_uint(j, "offset", areas[a].offset);
			json_uint(j, "size", areas[a].size);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_irqs(struct json *j, struct vfiodev_device *dev,
		      const struct vfiodev_device_info *di)
{
	char nb[32];

	json_array_begin(j, "irqs");
	for (unsigned int i = 0; i < di->num_irqs; i++) {
		struct vfiodev_irq_info ii;

		json_object_begin(j, NULL);
		json_uint(j, "index", i);
		json_string(j, "name", irq_name(i, nb, sizeof(nb)));
		/* EINVAL for an index the device lacks (ERR without PCIe) */
		if (vfiodev_irq_get_info(dev, i, &ii)) {
			json_bool(j, "available", false);
			json_object_end(j);
			continue;
		}
		json_bool(j, "available", true);
		json_uint(j, "count", ii.count);
		json_bool(j, "eventfd", ii.flags & VFIODEV_IRQ_EVENTFD);
		json_bool(j, "maskable", ii.flags & VFIODEV_IRQ_MASKABLE);
		json_bool(j, "automasked", ii.flags & VFIODEV_IRQ_AUTOMASKED);
		json_bool(j, "noresize", ii.flags & VFIODEV_IRQ_NORESIZE);
		json_object_end(j);
	}
	json_array_end(j);
}

static void text_regions(struct vfiodev_device *dev,
			 const struct vfiodev_device_info *di)
{
	struct vfiodev_sparse_area areas[MAX_AREAS];
	char nb[32], size[32];

	printf("  regions:\n");
	for (unsigned int i = 0; i < di->num_regions; i++) {
		struct vfiodev_region_info ri;
		int n;

		if (vfiodev_region_get_info(dev, i, &ri) || !ri.size)
			continue;
		human(ri.size, size, sizeof(size));
		printf("    %-8s index %u  size 0x%llx (%s)  %s%s%s%s\n",
		       region_name(i, nb, sizeof(nb)), i,
		       (unsigned long long)ri.size, size,
		       ri.flags & VFIODEV_REGION_READ ? "read " : "",
		       ri.flags & VFIODEV_REGION_WRITE ? "write " : "",
		       ri.flags & VFIODEV_REGION_MMAP ? "mmap " : "",
		       ri.flags & VFIODEV_REGION_MSIX_MAPPABLE ? "msix-mappable" :
								 "");
		if (ri.flags & VFIODEV_REGION_MMAP) {
			human(1ull << ri.mmap_align_shift, size, sizeof(size));
			printf("             mmapped at an address aligned to %s\n",
			       size);
		}
		if (ri.flags & VFIODEV_REGION_HAS_TYPE)
			printf("             type %u subtype %u\n", ri.type,
			       ri.subtype);
		if (!(ri.flags & VFIODEV_REGION_SPARSE))
			continue;
		n = vfiodev_region_sparse_areas(dev, i, areas, MAX_AREAS);
		printf("             sparse mmap areas:");
		for (int a = 0; a < n && a < MAX_AREAS; a++)
			printf(" 0x%llx+0x%llx", (unsigned long long)areas[a].offset,
			       (unsigned long long)areas[a].size);
		printf("%s\n", n <= 0 ? " none" : "");
	}
}

static void text_irqs(struct vfiodev_device *dev,
		      const struct vfiodev_device_info *di)
{
	char nb[32];

	printf("  irqs:\n");
	for (unsigned int i = 0; i < di->num_irqs; i++) {
		struct vfiodev_irq_info ii;

		if (vfiodev_irq_get_info(dev, i, &ii))
			continue;
		printf("    %-8s index %u  count %-3u %s%s%s%s\n",
		       irq_name(i, nb, sizeof(nb)), i, ii.count,
		       ii.flags & VFIODEV_IRQ_EVENTFD ? "eventfd " : "",
		       ii.flags & VFIODEV_IRQ_MASKABLE ? "maskable " : "",
		       ii.flags & VFIODEV_IRQ_AUTOMASKED ? "automasked " : "",
		       ii.flags & VFIODEV_IRQ_NORESIZE ? "noresize" : "");
	}
}

static void text_sysfs(const struct vfiodev_pci_device *pd)
{
	char paths[48];

	printf("%s: %04x:%04x class %06x\n", pd->bdf, pd->vendor, pd->device,
	       pd->class_code);
	printf("  driver:         %s\n", pd->driver[0] ? pd->driver : "none");
	if (pd->iommu_group < 0) {
		printf("  IOMMU group:    none\n");
	} else {
		printf("  IOMMU group:    %d%s (", pd->iommu_group,
		       pd->noiommu ? ", noiommu" : "");
		for (size_t i = 0; i < pd->nr_members; i++)
			printf("%s%s %s%s", i ? ", " : "", pd->members[i].bdf,
			       pd->members[i].driver[0] ? pd->members[i].driver :
							  "no driver",
			       pd->members[i].blocking ? " [blocks the group]" : "");
		printf(")%s\n",
		       pd->members_unknown ?
			       " and members that could not be read [block the group]" :
			       "");
	}
	if (pd->has_cdev_devnum)
		printf("  vfio cdev:      %s (%u:%u)\n", pd->cdev,
		       pd->cdev_major, pd->cdev_minor);
	else
		printf("  vfio cdev:      %s\n",
		       pd->cdev[0] ? "none (kernel without CONFIG_VFIO_DEVICE_CDEV)" :
				     "none");
	printf("  reset methods:  %s\n",
	       pd->reset_methods[0] ? pd->reset_methods : "none");
	paths_text(pd->paths, paths, sizeof(paths));
	printf("  usable paths:   %s\n", paths);
}

/* what cmd_info() found: the device opened (or why not), its sysfs view */
struct info {
	struct vfiodev_device_info di;
	struct vfiodev_pci_device *pd;
	struct vfiodev_device *dev;
	unsigned int maj, min;
	bool has_devnum;
	int ret;
};

static void info_json(struct tool *t, const struct info *in)
{
	struct vfiodev_device *dev = in->dev;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	if (in->pd)
		json_pci_device(&j, in->pd);
	else if (t->path)
		json_string(&j, "sysfs_path", t->path);
	else
		json_string(&j, "bdf", t->bdf);
	json_bool(&j, "ok", dev != NULL);
	json_bool(&j, "opened", dev != NULL);
	json_string(&j, "error", in->ret ? tool_error(t, in->ret) : NULL);
	if (dev) {
		json_string(&j, "name", vfiodev_device_name(dev));
		json_string(&j, "backend",
			    vfiodev_backend_name(vfiodev_device_backend(dev)));
		json_string(&j, "backend_reason", backend_reason(t, dev));
		json_bool(&j, "fell_back",
			  vfiodev_device_fallback_reason(dev) != NULL);
		json_string(&j, "node", vfiodev_device_node(dev));
		if (in->has_devnum)
			json_stringf(&j, "node_devnum", "%u:%u", in->maj, in->min);
		else
			json_null(&j, "node_devnum");
		json_bool(&j, "reset", in->di.flags & VFIODEV_DEVICE_RESET);
		json_bool(&j, "pci", in->di.flags & VFIODEV_DEVICE_PCI);
		json_bool(&j, "noiommu_open", in->di.flags & VFIODEV_DEVICE_NOIOMMU);
		json_uint(&j, "num_regions", in->di.num_regions);
		json_uint(&j, "num_irqs", in->di.num_irqs);
		json_regions(&j, dev, &in->di);
		json_irqs(&j, dev, &in->di);
	}
	json_object_end(&j);
	json_finish(&j);
}

static void info_text(struct tool *t, const struct info *in)
{
	struct vfiodev_device *dev = in->dev;

	if (in->pd)
		text_sysfs(in->pd);
	else if (dev && t->path)
		printf("%s: %s\n", vfiodev_device_name(dev), t->path);
	if (!dev) {
		const char *what = t->path ? t->path : t->bdf;

		if (t->first_error[0])
			printf("%s\n", t->first_error);
		else
			printf("%s: cannot open: %s\n", what, strerror(-in->ret));
		if (!t->path)
			printf("  (vfiodev doctor %s explains why)\n", t->bdf);
		return;
	}
	printf("  backend:        %s\n",
	       vfiodev_backend_name(vfiodev_device_backend(dev)));
	printf("  reason:         %s\n", backend_reason(t, dev));
	printf("  node:           %s", vfiodev_device_node(dev));
	if (in->has_devnum)
		printf(" (%u:%u, checked)", in->maj, in->min);
	printf("\n  device flags:  %s%s%s\n",
	       in->di.flags & VFIODEV_DEVICE_PCI ? " pci" : "",
	       in->di.flags & VFIODEV_DEVICE_RESET ? " reset" : " no-reset",
	       in->di.flags & VFIODEV_DEVICE_NOIOMMU ? " noiommu" : "");
	text_regions(dev, &in->di);
	text_irqs(dev, &in->di);
}

int cmd_info(struct tool *t)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct info in = { .ret = 0 };

	opts.backend = t->backend;
	opts.allow_noiommu = t->allow_noiommu;
	if (!t->path)
		in.ret = vfiodev_pci_lookup(t->ctx, t->bdf, &in.pd);
	if (!in.ret) {
		/* a failure is reported once, in the output below */
		t->quiet_log = !t->verbose;
		in.ret = t->path ? vfiodev_device_open_sysfs(t->ctx, t->path,
							     &opts, &in.dev) :
				   vfiodev_device_open(t->ctx, t->bdf, &opts,
						       &in.dev);
		t->quiet_log = false;
	}
	if (in.dev) {
		vfiodev_device_get_info(in.dev, &in.di);
		in.has_devnum = !vfiodev_device_devnum(in.dev, &in.maj, &in.min);
	}
	/* indexes the device lacks fail with a logged EINVAL: shown as
	 * unavailable instead */
	t->quiet_log = !t->verbose;
	if (t->json)
		info_json(t, &in);
	else
		info_text(t, &in);
	t->quiet_log = false;
	vfiodev_device_close(in.dev);
	vfiodev_pci_device_free(in.pd);
	return in.ret ? 1 : 0;
}
