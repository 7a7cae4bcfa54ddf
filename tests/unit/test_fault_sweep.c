// SPDX-License-Identifier: MIT
/*
 * Every error path, mechanically: for an operation (open on each path,
 * DMA map/unmap, IRQ setup, sparse mmap, close), fail its 1st seam call, then
 * its 2nd, ... until it runs to the end without reaching the armed call. Each
 * run must return a negative errno (or succeed, when the failed call was
 * one the library may shrug off) after logging an error line, and once
 * everything is closed no fd may be left open and no kernel object alive. Under
 * ASan/LSan the same runs prove that no memory leaks on any of those paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define BDF2 "0000:00:04.0"
#define PG 4096ul

/* errnos injected in turn: a plain failure, and the two the library
 * gives meaning to (ENOENT: "not there, try the next thing"; ENOTTY:
 * "this kernel does not know the ioctl") */
static const int errnos[] = { EIO, ENOENT, ENOTTY };

/* calls whose failure the library may absorb: teardown that cannot be
 * retried, optional sysfs attributes, probes with a fallback */
static const char *const tolerated[] = {
	"close ",
	"readlink ",
	"read fd ",
	"fstat file fd ", /* a sysfs attribute's type check, as its open */
	"ioctl VFIO_CHECK_EXTENSION",
	"ioctl VFIO_DEVICE_DETACH_IOMMUFD_PT",
	"ioctl IOMMU_DESTROY",
	"ioctl VFIO_GROUP_UNSET_CONTAINER",
	"ioctl VFIO_DEVICE_SET_IRQS", /* the disable at close */
	"ioctl IOMMU_IOAS_UNMAP", /* at space release; the IOAS goes */
	"ioctl VFIO_IOMMU_UNMAP_DMA", /* likewise with the container */
	"ioctl IOMMU_IOAS_MAP_FILE", /* ENOTTY: mapped by address instead */
};

static bool is_tolerated(const char *desc)
{
	char sys[300];

	/* without /proc a node is reopened by its path (and checked again) */
	if (!strncmp(desc, "open /proc/thread-self/fd/", 26))
		return true;
	if (!strncmp(desc, "open ", 5)) {
		/* a sysfs attribute, not a device node */
		snprintf(sys, sizeof(sys), "open %s/", fake_sysfs_root());
		return !strncmp(desc, sys, strlen(sys));
	}
	for (size_t i = 0; i < ARRAY_SIZE(tolerated); i++)
		if (!strncmp(desc, tolerated[i], strlen(tolerated[i])))
			return true;
	return false;
}

/* ---- scenarios: build a world, run the operation, undo it ------------- */

struct scenario {
	const char *name;
	/* lay out the world; may open things that are not under test */
	void (*build)(void);
	/* the operation under test: 0 or -errno */
	int (*op)(void);
	/* show that what the operation returned works, then close it all */
	void (*finish)(void);
	bool strict; /* a success despite the fault must be tolerated */
	unsigned long min_calls;
};

static struct vfiodev_device *dev, *dev2;
static struct vfiodev_space *space;
static uint8_t *buf;
static int efd[3] = { -1, -1, -1 };
static enum vfiodev_backend mode;

static int open_one(const char *bdf, struct vfiodev_device **out)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.backend = mode;
	opts.space = space;
	return vfiodev_device_open(fake_ctx(), bdf, &opts, out);
}

/* a device that works: info, a DMA round trip, a config read */
static void exercise(struct vfiodev_device *d)
{
	struct vfiodev_device_info info;
	uint64_t iova;
	uint32_t v;

	assert_int_equal(vfiodev_device_get_info(d, &info), 0);
	assert_int_equal(info.num_regions, FAKE_NR_REGIONS);
	assert_int_equal(vfiodev_dma_map_any(vfiodev_device_space(d), buf, PG,
					     VFIODEV_DMA_READ, NULL, &iova),
			 0);
	assert_int_equal(vfiodev_dma_unmap(vfiodev_device_space(d), iova, PG), 0);
	assert_int_equal(vfiodev_pci_config_read(d, 0, 2, &v), 0);
	assert_int_equal(v, 0x1234);
}

static struct vfiodev_space *space2;
static int memfd = -1;

/* live update: the fds process A passes on, and process B's context */
static int lu_ifd = -1, lu_dfd = -1;
static uint32_t lu_ioas, lu_devid;
static struct vfiodev_ctx *ctx2;

static void close_all(void)
{
	vfiodev_device_close(dev);
	vfiodev_device_close(dev2);
	vfiodev_space_unref(space);
	vfiodev_space_unref(space2);
	dev = dev2 = NULL;
	space = space2 = NULL;
	if (memfd >= 0)
		close(memfd);
	memfd = -1;
	if (lu_ifd >= 0)
		fake_sys.close(lu_ifd);
	if (lu_dfd >= 0)
		fake_sys.close(lu_dfd);
	lu_ifd = lu_dfd = -1;
	vfiodev_ctx_unref(ctx2);
	ctx2 = NULL;
}

static void build_cdev(void)
{
	fake_std_device(BDF, 5, 0);
}

static void build_group_only(void)
{
	fake_std_device(BDF, 5, -1);
}

static int op_open(void)
{
	return open_one(BDF, &dev);
}

static void finish_open(void)
{
	exercise(dev);
	close_all();
}

/* two devices of one group in one space: the second reuses the group */
static void build_second_in_group(void)
{
	fake_std_device(BDF, 5, -1);
	fake_std_device(BDF2, 5, -1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	assert_int_equal(open_one(BDF, &dev), 0);
}

/* two cdev devices in one space: the second joins the IOAS */
static void build_second_in_ioas(void)
{
	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	assert_int_equal(open_one(BDF, &dev), 0);
}

static int op_open_second(void)
{
	return open_one(BDF2, &dev2);
}

static void finish_second(void)
{
	exercise(dev2);
	exercise(dev);
	close_all();
}

static int caller_fd = -1;

static void build_open_fd(void)
{
	fake_std_device(BDF, 5, 0);
	caller_fd = fake_open_node("dev/vfio/devices/vfio0");
	assert_true(caller_fd >= 0);
}

static int op_open_fd(void)
{
	int ret = vfiodev_device_open_fd(fake_ctx(), caller_fd, BDF, NULL, &dev);

	/* on success the library owns the fd; on failure it is the caller's */
	if (ret)
		fake_sys.close(caller_fd);
	caller_fd = -1;
	return ret;
}

static void build_opened(void)
{
	fake_std_device(BDF, 5, 0);
	assert_int_equal(open_one(BDF, &dev), 0);
}

static int op_map(void)
{
	struct vfiodev_space *s = vfiodev_device_space(dev);
	uint64_t iova, got;
	int ret;

	ret = vfiodev_dma_map_any(s, buf, 2 * PG, VFIODEV_DMA_READ, NULL, &iova);
	if (ret) {
		/* a failed map is not in the table */
		assert_int_equal(vfiodev_dma_translate(s, buf, &got), -ENOENT);
		return ret;
	}
	ret = vfiodev_dma_map(s, buf + 2 * PG, PG,
			      VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, 0x100000);
	if (ret) {
		assert_int_equal(vfiodev_dma_translate(s, buf + 2 * PG, &got),
				 -ENOENT);
		return ret;
	}
	ret = vfiodev_dma_unmap(s, iova, 2 * PG);
	if (ret) {
		/* a failed unmap keeps the mapping: the device may still use it */
		assert_int_equal(vfiodev_dma_translate(s, buf, &got), 0);
		assert_int_equal(got, iova);
		return ret;
	}
	assert_int_equal(vfiodev_dma_translate(s, buf, &got), -ENOENT);
	assert_int_equal(vfiodev_dma_translate(s, buf + 2 * PG, &got), 0);
	assert_int_equal(got, 0x100000);
	return 0;
}

static void finish_map(void)
{
	close_all();
}

static int op_irq(void)
{
	int ret;

	ret = vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSIX_IRQ, 0, 2, efd);
	if (!ret)
		ret = vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_INTX_IRQ, 0, 1,
					       efd + 2);
	if (!ret)
		ret = vfiodev_irq_mask(dev, VFIODEV_PCI_INTX_IRQ, 0, 1);
	if (!ret)
		ret = vfiodev_irq_unmask(dev, VFIODEV_PCI_INTX_IRQ, 0, 1);
	if (!ret)
		ret = vfiodev_irq_trigger(dev, VFIODEV_PCI_MSIX_IRQ, 0, 1);
	if (!ret)
		ret = vfiodev_irq_disable(dev, VFIODEV_PCI_MSIX_IRQ);
	return ret;
}

static void build_sparse(void)
{
	struct fake_pci *p = fake_std_device(BDF, 5, 0);

	p->regions[0].nr_areas = 2;
	p->regions[0].areas[0].size = PG;
	p->regions[0].areas[1].offset = 3 * PG;
	p->regions[0].areas[1].size = PG;
	assert_int_equal(open_one(BDF, &dev), 0);
}

static int op_mmap(void)
{
	void *addr;
	int ret;

	ret = vfiodev_region_mmap(dev, 0, &addr);
	if (!ret)
		((volatile uint8_t *)addr)[3 * PG] = 1;
	return ret;
}

/* a device with everything close must undo: mappings, an mmap, triggers */
static void build_busy(void)
{
	uint64_t iova;
	void *bar;

	fake_std_device(BDF, 5, 0);
	assert_int_equal(open_one(BDF, &dev), 0);
	assert_int_equal(vfiodev_dma_map_any(vfiodev_device_space(dev), buf, PG,
					     VFIODEV_DMA_READ, NULL, &iova),
			 0);
	assert_int_equal(vfiodev_dma_map_any(vfiodev_device_space(dev), buf + PG,
					     PG, VFIODEV_DMA_WRITE, NULL, &iova),
			 0);
	assert_int_equal(vfiodev_region_mmap(dev, 0, &bar), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSIX_IRQ, 0,
						  2, efd),
			 0);
}

/* close cannot fail: every call in it is best effort, and what the
 * library cannot undo the kernel undoes when the fds go */
static int op_close(void)
{
	vfiodev_device_close(dev);
	dev = NULL;
	return 0;
}

static void finish_nothing(void)
{
}

/* ---- the sweep --------------------------------------------------------- */

/* report every violation of a sweep, not only the first */
static unsigned int violations;

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("  %s\n", msg);
	violations++;
}

static void sweep(const struct scenario *sc, enum vfiodev_backend m)
{
	unsigned long n, tolerated_n = 0;
	char desc[512];
	int ret;

	mode = m;
	violations = 0;
	for (size_t e = 0; e < ARRAY_SIZE(errnos); e++) {
		const char *err = strerror(errnos[e]);

		for (n = 1;; n++) {
			bool fired;

			fake_init();
			sc->build();
			fake_fail_nth(n, errnos[e]);
			ret = sc->op();
			fired = fake_fault_fired();
			snprintf(desc, sizeof(desc), "%s", fake_fault_desc());
			fake_fail_nth(0, 0);

			if (ret > 0 || ret < -4095)
				violation("%s: %s failed with %s: returned %d, not 0 or -errno",
					  sc->name, desc, err, ret);
			/* DESIGN.md: every failure logs one line naming its cause */
			if (ret < 0 && !fake_log_has(LOG_ERR, ""))
				violation("%s: %s failed with %s: returned %d without an error line",
					  sc->name, desc, err, ret);
			if (!ret && fired) {
				tolerated_n++;
				if (sc->strict && !is_tolerated(desc))
					violation("%s: %s failed with %s, yet the operation succeeded",
						  sc->name, desc, err);
			}
			if (!ret)
				sc->finish();
			else
				close_all();
			if (fake_teardown(NULL))
				violation("%s: leak after %s failed with %s (op returned %d)",
					  sc->name, desc, err, ret);
			if (!fired) {
				assert_int_equal(ret, 0);
				break;
			}
		}
		if (n - 1 < sc->min_calls)
			violation("%s: only %lu seam calls: the sweep did not reach far",
				  sc->name, n - 1);
	}
	print_message("  %s [%s]: %lu points x %zu errnos, %lu absorbed\n",
		      sc->name, vfiodev_backend_name(m), n - 1,
		      ARRAY_SIZE(errnos), tolerated_n);
	if (violations)
		fail_msg("%s: %u violations", sc->name, violations);
}

static const struct scenario open_iommufd = {
	"open (iommufd)", build_cdev, op_open, finish_open, true, 10,
};
static const struct scenario open_container = {
	"open (container)", build_group_only, op_open, finish_open, true, 12,
};
static const struct scenario open_auto_cdev = {
	"open (auto, cdev present)",
	build_cdev,
	op_open,
	finish_open,
	false,
	10,
};
static const struct scenario open_auto_fallback = {
	"open (auto, no cdev)",
	build_group_only,
	op_open,
	finish_open,
	false,
	12,
};
static const struct scenario open_second_group = {
	"open second device of a group",
	build_second_in_group,
	op_open_second,
	finish_second,
	true,
	3,
};
static const struct scenario open_second_ioas = {
	"open second device into an IOAS",
	build_second_in_ioas,
	op_open_second,
	finish_second,
	true,
	6,
};
static const struct scenario open_fd_sc = {
	"open_fd", build_open_fd, op_open_fd, finish_open, true, 6,
};
static const struct scenario map_sc = {
	"map/unmap", build_opened, op_map, finish_map, true, 3,
};
static const struct scenario irq_sc = {
	"irq", build_opened, op_irq, finish_map, true, 6,
};
static const struct scenario mmap_sc = {
	"sparse mmap", build_sparse, op_mmap, finish_map, true, 3,
};

/* ---- the VMM toolkit: dirty tracking, hot reset, files, copies ------- */

static void build_two_cdevs_one_space(void)
{
	fake_cfg.hw_dirty = true;
	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	assert_int_equal(open_one(BDF, &dev), 0);
	assert_int_equal(open_one(BDF2, &dev2), 0);
}

static int op_dirty(void)
{
	uint64_t map[1], iova;
	int ret;

	ret = vfiodev_dma_map_any(space, buf, 2 * PG, VFIODEV_DMA_WRITE, NULL,
				  &iova);
	if (ret)
		return ret;
	ret = vfiodev_space_dirty_start(space);
	if (!ret)
		ret = vfiodev_space_dirty_read(space, iova, 2 * PG, PG, map,
					       sizeof(map));
	if (!ret)
		ret = vfiodev_space_dirty_stop(space);
	return ret;
}

static void build_reset_pair(void)
{
	struct fake_pci *a =
		fake_std_device(BDF, 5, mode == VFIODEV_BACKEND_IOMMUFD ? 0 : -1);
	struct fake_pci *b =
		fake_std_device(BDF2, 6, mode == VFIODEV_BACKEND_IOMMUFD ? 1 : -1);

	a->reset_bus = b->reset_bus = 1;
	assert_int_equal(open_one(BDF, &dev), 0);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space2), 0);
	{
		VFIODEV_OPTS_INIT(vfiodev_device_opts, o);

		o.backend = mode;
		o.space = space2;
		dev2 = fixture_open(BDF2, &o);
	}
}

static int op_hot_reset(void)
{
	return vfiodev_device_hot_reset(dev);
}

static void build_file(void)
{
	fake_cfg.map_file = true;
	build_opened();
	memfd = memfd_create("sweep", MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, 4 * PG), 0);
}

static int op_map_file(void)
{
	struct vfiodev_space *s = vfiodev_device_space(dev);
	uint64_t iova, got;
	void *va;
	int ret;

	ret = vfiodev_dma_map_file(s, memfd, PG, 2 * PG,
				   VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, NULL,
				   &va, &iova);
	if (ret)
		return ret;
	assert_int_equal(vfiodev_dma_translate(s, va, &got), 0);
	return vfiodev_dma_unmap(s, iova, 2 * PG);
}

/* process A: a space with a file mapping, handed over; its objects gone */
static void build_handed_over(void)
{
	uint64_t iova = 0x100000;
	void *va;

	fake_cfg.map_file = fake_cfg.change_process = true;
	fake_write("sys/class/misc/iommu/dev", "10:123\n");
	build_opened();
	memfd = memfd_create("sweep", MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, 4 * PG), 0);
	assert_int_equal(vfiodev_dma_map_file(vfiodev_device_space(dev), memfd,
					      0, 4 * PG,
					      VFIODEV_DMA_READ | VFIODEV_DMA_WRITE |
						      VFIODEV_DMA_FIXED_IOVA,
					      NULL, &va, &iova),
			 0);
	lu_ifd = fake_sys.dupfd(
		vfiodev_space_iommufd(vfiodev_device_space(dev), &lu_ioas));
	lu_dfd = fake_sys.dupfd(vfiodev_device_fd(dev));
	assert_int_equal(vfiodev_device_iommufd_id(dev, &lu_devid), 0);
	assert_int_equal(vfiodev_space_hand_over(vfiodev_device_space(dev)), 0);
	vfiodev_device_close(dev);
	dev = NULL;
	fake_log_clear();
}

/* process B: adopt the iommufd, the IOAS, the device; move the pins */
static int op_adopt(void)
{
	VFIODEV_OPTS_INIT(vfiodev_space_adopt_opts, ao);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_adopt_map m = { .fd = memfd,
				       .flags = VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
				       .len = 4 * PG,
				       .iova = 0x100000 };
	uint64_t got;
	void *va;
	int ret;

	ctx2 = fake_ctx_new();
	if (!ctx2)
		return -ENOMEM;
	ret = vfiodev_ctx_adopt_iommufd(ctx2, lu_ifd);
	if (ret)
		return ret;
	ao.ioas_id = lu_ioas;
	ao.maps = &m;
	ao.nr_maps = 1;
	ret = vfiodev_space_adopt(ctx2, &ao, &space2);
	if (ret)
		return ret;
	o.space = space2;
	ret = vfiodev_device_adopt(ctx2, lu_dfd, BDF, lu_devid, &o, &dev2);
	if (ret)
		return ret;
	lu_dfd = -1; /* the device's now */
	assert_int_equal(vfiodev_dma_iova_to_vaddr(space2, 0x100000, &va, NULL), 0);
	assert_int_equal(vfiodev_dma_translate(space2, va, &got), 0);
	return vfiodev_space_change_process(space2);
}

static void build_two_spaces(void)
{
	uint64_t iova;

	fake_std_device(BDF, 5, 0);
	fake_std_device(BDF2, 6, 1);
	assert_int_equal(open_one(BDF, &dev), 0);
	assert_int_equal(open_one(BDF2, &dev2), 0);
	assert_int_equal(vfiodev_dma_map(vfiodev_device_space(dev), buf, 2 * PG,
					 VFIODEV_DMA_READ, 0x100000),
			 0);
	(void)iova;
}

static int op_copy(void)
{
	struct vfiodev_space *d = vfiodev_device_space(dev2);
	uint64_t iova, got;
	int ret;

	ret = vfiodev_dma_copy(d, vfiodev_device_space(dev), 0x100000, 2 * PG,
			       VFIODEV_DMA_READ, NULL, &iova);
	if (ret) {
		assert_int_equal(vfiodev_dma_translate(d, buf, &got), -ENOENT);
		return ret;
	}
	assert_int_equal(vfiodev_dma_translate(d, buf + PG, &got), 0);
	return vfiodev_dma_unmap(d, iova, 2 * PG);
}

/* an edu and a device with a mmappable BAR2 in one space: the BAR for
 * peer-to-peer DMA (iommufd: its dma-buf) */
static void build_bar(void)
{
	struct fake_pci *p;

	fake_cfg.map_file = fake_cfg.dma_buf = fake_cfg.map_file_dmabuf = true;
	fake_std_device(BDF, 5, 0);
	p = fake_std_device(BDF2, 6, 1);
	p->regions[2].flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE |
			      VFIO_REGION_INFO_FLAG_MMAP;
	p->regions[2].size = 16 * PG;
	assert_int_equal(open_one(BDF, &dev), 0);
	assert_int_equal(open_one(BDF2, &dev2), 0);
}

static int op_map_region(void)
{
	struct vfiodev_space *s = vfiodev_device_space(dev);
	uint64_t iova, got;
	void *va;
	int ret;

	ret = vfiodev_dma_map_region(s, dev2, 2, 4 * PG, 4 * PG,
				     VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, NULL,
				     &va, &iova);
	if (ret)
		return ret;
	assert_int_equal(vfiodev_dma_translate(s, va, &got), 0);
	assert_int_equal(got, iova);
	return vfiodev_dma_unmap(s, iova, 4 * PG);
}

/* vfiodev_dma_map_file() of a vfio-pci dma-buf (BDF2's BAR2) */
static int op_map_dmabuf(void)
{
	const struct vfiodev_dma_range r = { 0, 4 * PG };
	struct vfiodev_space *s = vfiodev_device_space(dev);
	uint64_t iova, got;
	int ret, fd;
	void *va;

	ret = vfiodev_region_dma_buf(dev2, 2, &r, 1, &fd);
	if (ret)
		return ret;
	ret = vfiodev_dma_map_file(s, fd, PG, 2 * PG,
				   VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, NULL,
				   &va, &iova);
	if (!ret) {
		assert_int_equal(vfiodev_dma_translate(s, va, &got), 0);
		ret = vfiodev_dma_unmap_vaddr(s, va);
	}
	close(fd);
	return ret;
}

/* container: the map, start, read and stop ioctls */
static const struct scenario dirty_sc = {
	"dirty start/read/stop",
	build_two_cdevs_one_space,
	op_dirty,
	finish_map,
	true,
	4,
};
static const struct scenario hot_reset_sc = {
	"hot reset", build_reset_pair, op_hot_reset, finish_map, true, 2,
};
static const struct scenario map_file_sc = {
	"map_file", build_file, op_map_file, finish_map, true, 2,
};
static const struct scenario map_region_sc = {
	"map_region", build_bar, op_map_region, finish_map, true, 2,
};
/* not strict: the buffer's own mmap is optional (vfio-pci's has none; a
 * failed one gets the reserved stand-in) */
static const struct scenario map_dmabuf_sc = {
	"map_file of a dma-buf", build_bar, op_map_dmabuf, finish_map, false, 4,
};
static const struct scenario adopt_sc = {
	"live update adopt", build_handed_over, op_adopt, finish_map, true, 8,
};
static const struct scenario copy_sc = {
	"copy", build_two_spaces, op_copy, finish_map, true, 2,
};

static const struct scenario close_sc = {
	/* container: the group leaves and the container closes with the
	 * device, so its mappings go without an unmap each */
	"close", build_busy, op_close, finish_nothing, true, 5,
};

/* ---- mediated devices: open by sysfs path, create, remove, scan ------- */

#define UUID1 "8a4e2b3c-1d2e-4f50-9a1b-2c3d4e5f6a7b"

static void build_mtty(void)
{
	fake_mdev_parent("mtty", NULL);
	fake_mdev_type("mtty", "mtty-2", "Dual port serial", "two ports\n",
		       "vfio-pci", 12);
}

static void build_mdev(void)
{
	build_mtty();
	fake_mdev_device("mtty", "mtty-2", UUID1, 30, 7);
}

static int op_open_sysfs(void)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.backend = mode;
	return vfiodev_device_open_sysfs(fake_ctx(),
					 fake_path("sys/bus/mdev/devices/" UUID1),
					 &opts, &dev);
}

static char created[VFIODEV_UUID_LEN];

static int op_mdev_create(void)
{
	return vfiodev_mdev_create(fake_ctx(), "mtty", "mtty-2", NULL, created);
}

static void finish_mdev_create(void)
{
	assert_non_null(fake_pci_find(created));
}

static int op_mdev_remove(void)
{
	return vfiodev_mdev_remove(fake_ctx(), UUID1);
}

static void finish_mdev_remove(void)
{
	assert_null(fake_pci_find(UUID1));
}

static struct vfiodev_mdev_list *mlist;

static int op_mdev_scan(void)
{
	return vfiodev_mdev_scan(fake_ctx(), NULL, &mlist);
}

static void finish_mdev_scan(void)
{
	assert_int_equal(mlist->nr_parents, 1);
	vfiodev_mdev_list_free(mlist);
	mlist = NULL;
}

static const struct scenario open_sysfs_sc = {
	"open_sysfs (mdev)", build_mdev, op_open_sysfs, finish_open, true, 10,
};
static const struct scenario open_sysfs_auto_sc = {
	"open_sysfs (mdev, auto)",
	build_mdev,
	op_open_sysfs,
	finish_open,
	false,
	10,
};
static const struct scenario mdev_create_sc = {
	"mdev create", build_mtty, op_mdev_create, finish_mdev_create, true, 3,
};
/* not strict: a failed open of the group node (the probe) is absorbed,
 * with a warning that the device's use could not be checked */
static const struct scenario mdev_remove_sc = {
	"mdev remove", build_mdev, op_mdev_remove, finish_mdev_remove, false, 3,
};
static const struct scenario mdev_scan_sc = {
	"mdev scan", build_mdev, op_mdev_scan, finish_mdev_scan, true, 3,
};

static void fault_sweep_open_sysfs_iommufd(void **state)
{
	(void)state;
	sweep(&open_sysfs_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_open_sysfs_container(void **state)
{
	(void)state;
	sweep(&open_sysfs_sc, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_open_sysfs_auto(void **state)
{
	(void)state;
	sweep(&open_sysfs_auto_sc, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_mdev_lifecycle(void **state)
{
	(void)state;
	sweep(&mdev_create_sc, VFIODEV_BACKEND_AUTO);
	sweep(&mdev_remove_sc, VFIODEV_BACKEND_AUTO);
	sweep(&mdev_scan_sc, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_open_iommufd(void **state)
{
	(void)state;
	sweep(&open_iommufd, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_open_container(void **state)
{
	(void)state;
	sweep(&open_container, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_open_auto_with_cdev(void **state)
{
	(void)state;
	sweep(&open_auto_cdev, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_open_auto_falling_back(void **state)
{
	(void)state;
	sweep(&open_auto_fallback, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_open_second_device_of_a_group(void **state)
{
	(void)state;
	sweep(&open_second_group, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_open_second_device_into_an_ioas(void **state)
{
	(void)state;
	sweep(&open_second_ioas, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_open_fd(void **state)
{
	(void)state;
	sweep(&open_fd_sc, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_map_iommufd(void **state)
{
	(void)state;
	sweep(&map_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_map_container(void **state)
{
	(void)state;
	sweep(&map_sc, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_irq(void **state)
{
	(void)state;
	sweep(&irq_sc, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_sparse_mmap(void **state)
{
	(void)state;
	sweep(&mmap_sc, VFIODEV_BACKEND_AUTO);
}

static void fault_sweep_close_iommufd(void **state)
{
	(void)state;
	sweep(&close_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_close_container(void **state)
{
	(void)state;
	sweep(&close_sc, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_dirty_iommufd(void **state)
{
	(void)state;
	sweep(&dirty_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_dirty_container(void **state)
{
	(void)state;
	sweep(&dirty_sc, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_hot_reset_iommufd(void **state)
{
	(void)state;
	sweep(&hot_reset_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_hot_reset_container(void **state)
{
	(void)state;
	sweep(&hot_reset_sc, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_map_file(void **state)
{
	(void)state;
	sweep(&map_file_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_map_region_iommufd(void **state)
{
	(void)state;
	sweep(&map_region_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_map_region_container(void **state)
{
	(void)state;
	sweep(&map_region_sc, VFIODEV_BACKEND_CONTAINER);
}

static void fault_sweep_map_dmabuf(void **state)
{
	(void)state;
	sweep(&map_dmabuf_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_adopt(void **state)
{
	(void)state;
	sweep(&adopt_sc, VFIODEV_BACKEND_IOMMUFD);
}

static void fault_sweep_copy(void **state)
{
	(void)state;
	sweep(&copy_sc, VFIODEV_BACKEND_IOMMUFD);
}

static int sweep_setup(void **state)
{
	(void)state;
	buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 3; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC);
	return buf == MAP_FAILED || efd[2] < 0 ? -1 : 0;
}

static int sweep_teardown(void **state)
{
	(void)state;
	munmap(buf, 4 * PG);
	for (int i = 0; i < 3; i++)
		close(efd[i]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_sweep_open_iommufd),
		cmocka_unit_test(fault_sweep_open_container),
		cmocka_unit_test(fault_sweep_open_auto_with_cdev),
		cmocka_unit_test(fault_sweep_open_auto_falling_back),
		cmocka_unit_test(fault_sweep_open_second_device_of_a_group),
		cmocka_unit_test(fault_sweep_open_second_device_into_an_ioas),
		cmocka_unit_test(fault_sweep_open_fd),
		cmocka_unit_test(fault_sweep_map_iommufd),
		cmocka_unit_test(fault_sweep_map_container),
		cmocka_unit_test(fault_sweep_irq),
		cmocka_unit_test(fault_sweep_sparse_mmap),
		cmocka_unit_test(fault_sweep_close_iommufd),
		cmocka_unit_test(fault_sweep_close_container),
		cmocka_unit_test(fault_sweep_dirty_iommufd),
		cmocka_unit_test(fault_sweep_dirty_container),
		cmocka_unit_test(fault_sweep_hot_reset_iommufd),
		cmocka_unit_test(fault_sweep_hot_reset_container),
		cmocka_unit_test(fault_sweep_map_file),
		cmocka_unit_test(fault_sweep_map_region_iommufd),
		cmocka_unit_test(fault_sweep_map_region_container),
		cmocka_unit_test(fault_sweep_map_dmabuf),
		cmocka_unit_test(fault_sweep_adopt),
		cmocka_unit_test(fault_sweep_copy),
		cmocka_unit_test(fault_sweep_open_sysfs_iommufd),
		cmocka_unit_test(fault_sweep_open_sysfs_container),
		cmocka_unit_test(fault_sweep_open_sysfs_auto),
		cmocka_unit_test(fault_sweep_mdev_lifecycle),
	};

	return cmocka_run_group_tests_name("fault_sweep", tests, sweep_setup,
					   sweep_teardown);
}
