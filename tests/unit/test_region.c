// SPDX-License-Identifier: MIT
/*
 * lib/region.c: region info with its capability chain (sparse areas,
 * type, MSI-X mappable) and the malformed chains a kernel could hand
 * back, mmap of whole and sparse regions, read/write bounds, and the PCI
 * config space helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
/* VFIO_REGION_TYPE_PCI_VENDOR_TYPE is (1 << 31): undefined on an int */
#define VENDOR_TYPE 0x80000000u
#define BAR0 VFIODEV_PCI_BAR0_REGION
#define CONFIG VFIODEV_PCI_CONFIG_REGION

static struct fake_pci *pci;
static struct vfiodev_device *dev;

static int region_setup(void **state)
{
	fake_setup(state);
	pci = fake_std_device(BDF, 5, 0);
	dev = NULL;
	return 0;
}

static int region_teardown(void **state)
{
	vfiodev_device_close(dev);
	return fake_teardown(state);
}

static int live_mmaps(void)
{
	struct fake_live l;

	fake_live(&l);
	return l.mmaps;
}

/* the permissions /proc/self/maps shows for the page at @addr */
static void perms_at(const void *addr, char out[5])
{
	uintptr_t a = (uintptr_t)addr;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	strcpy(out, "none");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && a >= lo &&
		    a < hi) {
			strcpy(out, p);
			break;
		}
	}
	fclose(f);
}

/* ---- info -------------------------------------------------------------- */

static void region_info_reports_flags_size_and_offset(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), 0);
	assert_int_equal(info.index, BAR0);
	assert_int_equal(info.flags, VFIODEV_REGION_READ | VFIODEV_REGION_WRITE |
					     VFIODEV_REGION_MMAP);
	assert_int_equal(info.size, 0x4000);
	assert_int_equal(info.offset, FAKE_REGION_OFFSET(BAR0));
	assert_int_equal(info.nr_sparse, 0);

	assert_int_equal(vfiodev_region_get_info(dev, CONFIG, &info), 0);
	assert_int_equal(info.flags, VFIODEV_REGION_READ | VFIODEV_REGION_WRITE);
	assert_int_equal(info.size, 256);
	assert_int_equal(info.offset, FAKE_REGION_OFFSET(CONFIG));

	/* an unimplemented BAR: size 0, no flags */
	assert_int_equal(vfiodev_region_get_info(dev, 1, &info), 0);
	assert_int_equal(info.size, 0);
	assert_int_equal(info.flags, 0);
}

static void region_info_parses_sparse_type_and_msix_capabilities(void **state)
{
	struct fake_region *r = &pci->regions[BAR0];
	struct vfiodev_region_info info;

	(void)state;
	r->nr_areas = 2;
	r->areas[0].offset = 0;
	r->areas[0].size = 0x1000;
	r->areas[1].offset = 0x3000;
	r->areas[1].size = 0x1000;
	r->has_type = true;
	r->type = VENDOR_TYPE | 0x8086;
	r->subtype = 3;
	r->msix_mappable = true;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), 0);
	assert_int_equal(info.flags, VFIODEV_REGION_READ | VFIODEV_REGION_WRITE |
					     VFIODEV_REGION_MMAP |
					     VFIODEV_REGION_SPARSE |
					     VFIODEV_REGION_HAS_TYPE |
					     VFIODEV_REGION_MSIX_MAPPABLE);
	assert_int_equal(info.nr_sparse, 2);
	assert_int_equal(info.type, VENDOR_TYPE | 0x8086);
	assert_int_equal(info.subtype, 3);
	/* the first call was too small for the chain: asked again */
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_GET_REGION_INFO), 2);
}

static void region_info_index_out_of_range_is_einval(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, FAKE_NR_REGIONS, &info),
			 -EINVAL);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_GET_REGION_INFO), 0);
	assert_true(fake_log_has(LOG_ERR, "region 9 does not exist"));
	assert_int_equal(vfiodev_region_get_info(dev, 0, NULL), -EINVAL);
	assert_int_equal(vfiodev_region_get_info(NULL, 0, &info), -EINVAL);
}

static void region_info_kernel_error_is_returned(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	dev = fixture_open(BDF, NULL);
	fake_fail_ioctl(VFIO_DEVICE_GET_REGION_INFO, EIO, 0);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EIO);
}

/* a raw chain after struct vfio_region_info (32 bytes) */
static uint64_t raw[16];

static void raw_cap(uint32_t off, uint16_t id, uint32_t next)
{
	struct vfio_info_cap_header *h = (void *)((char *)raw + off - 32);

	h->id = id;
	h->version = 1;
	h->next = next;
}

static void use_raw(size_t len)
{
	pci->regions[BAR0].raw = raw;
	pci->regions[BAR0].raw_len = len;
	pci->regions[BAR0].raw_first = 32;
}

static void region_info_rejects_a_looping_chain(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw_cap(32, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 40);
	raw_cap(40, 99, 32);
	use_raw(16);
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	assert_true(fake_log_has(LOG_ERR, "malformed capability chain"));
}

static void region_info_rejects_an_offset_past_argsz(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw_cap(32, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 0x1000);
	use_raw(8);
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
}

static void region_info_rejects_a_backward_offset(void **state)
{
	struct vfiodev_region_info info;
	void *addr;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw_cap(48, 99, 40); /* the chain starts at 48 and goes back */
	raw_cap(40, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 0);
	use_raw(32);
	pci->regions[BAR0].raw_first = 48;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	/* mmap reads the same chain and must not map anything */
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &addr), -EPROTO);
	assert_int_equal(live_mmaps(), 0);
}

static void region_info_rejects_truncated_sparse_areas(void **state)
{
	struct vfiodev_sparse_area areas[4];
	struct vfiodev_region_info info;
	void *addr;

	(void)state;
	pci->regions[BAR0].nr_areas = 1;
	pci->regions[BAR0].areas[0].size = 0x1000;
	pci->regions[BAR0].nr_areas_lie = 4; /* claims 4, has room for 1 */
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	assert_true(fake_log_has(LOG_ERR, "sparse capability overruns the buffer"));
	assert_int_equal(vfiodev_region_sparse_areas(dev, BAR0, areas, 4), -EPROTO);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &addr), -EPROTO);
	assert_int_equal(live_mmaps(), 0);
}

static void region_info_rejects_a_sparse_area_outside_the_region(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	pci->regions[BAR0].nr_areas = 1;
	pci->regions[BAR0].areas[0].offset = 0x3000;
	pci->regions[BAR0].areas[0].size = 0x2000;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	assert_true(fake_log_has(LOG_ERR, "sparse area 0 lies outside the region"));
}

/* a sparse capability of only empty areas: the mmap used to return 0 with
 * nothing mapped (a PROT_NONE reservation that faults on first touch) */
static void region_mmap_of_only_empty_sparse_areas_is_einval(void **state)
{
	void *addr = NULL;

	(void)state;
	pci->regions[BAR0].nr_areas = 2; /* both of size 0 */
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &addr), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "lists no area to mmap"));
	assert_null(addr);
	assert_int_equal(live_mmaps(), 0);
}

/* a region whose file offset + size passes INT64_MAX: its offsets would
 * wrap as off_t; refused where the info is read */
static void region_whose_file_offsets_wrap_is_eproto(void **state)
{
	struct vfiodev_region_info info;
	uint8_t b;

	(void)state;
	pci->regions[BAR0].fd_offset = (uint64_t)INT64_MAX - 0x1000;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	assert_true(fake_log_has(LOG_ERR, "passes the largest file offset"));
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0x2000, &b, 1), -EPROTO);
}

static void region_info_gives_up_when_argsz_keeps_growing(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	pci->regions[BAR0].msix_mappable = true;
	pci->regions[BAR0].grow = 8;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_GET_REGION_INFO), 3);
}

static void region_info_refuses_an_implausible_argsz(void **state)
{
	struct vfiodev_region_info info;

	(void)state;
	pci->regions[BAR0].msix_mappable = true;
	pci->regions[BAR0].grow = 0x20000;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_get_info(dev, BAR0, &info), -EPROTO);
	assert_true(fake_log_has(LOG_ERR, "implausible argsz"));
}

static void sparse_areas_are_returned(void **state)
{
	struct vfiodev_sparse_area a[3] = { { 0, 0 } };

	(void)state;
	pci->regions[BAR0].nr_areas = 2;
	pci->regions[BAR0].areas[0].offset = 0;
	pci->regions[BAR0].areas[0].size = 0x1000;
	pci->regions[BAR0].areas[1].offset = 0x2000;
	pci->regions[BAR0].areas[1].size = 0x2000;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_sparse_areas(dev, BAR0, a, 3), 2);
	assert_int_equal(a[1].offset, 0x2000);
	assert_int_equal(a[1].size, 0x2000);
	/* a short array: the count still says 2 */
	memset(a, 0, sizeof(a));
	assert_int_equal(vfiodev_region_sparse_areas(dev, BAR0, a, 1), 2);
	assert_int_equal(a[0].size, 0x1000);
	assert_int_equal(a[1].size, 0);
	/* no capability: no areas */
	assert_int_equal(vfiodev_region_sparse_areas(dev, CONFIG, a, 3), 0);
	assert_int_equal(vfiodev_region_sparse_areas(dev, BAR0, NULL, 1), -EINVAL);
}

/* ---- mmap -------------------------------------------------------------- */

static void mmap_of_a_whole_region(void **state)
{
	void *addr = NULL, *again = NULL;
	char perms[5];

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &addr), 0);
	assert_non_null(addr);
	assert_int_equal(live_mmaps(), 1);
	perms_at(addr, perms);
	assert_string_equal(perms, "rw-p");
	((volatile uint8_t *)addr)[0x3fff] = 0xa5;
	/* a second call gives the same mapping, not a new one */
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &again), 0);
	assert_ptr_equal(again, addr);
	assert_int_equal(live_mmaps(), 1);
	assert_int_equal(vfiodev_region_munmap(dev, BAR0), 0);
	assert_int_equal(live_mmaps(), 0);
	assert_int_equal(vfiodev_region_munmap(dev, BAR0), -ENOENT);
	assert_true(fake_log_has(LOG_ERR, "region 0 is not mmapped"));
}

/* a BAR lands where vfio-pci can map it with huge entries: aligned like
 * its size (rounded up to a power of two, at most 1 GiB), sparse areas at
 * their offsets from such a base; region info says the alignment */
static void mmaps_are_aligned_like_the_region(void **state)
{
	static const struct {
		uint64_t size, align;
	} cases[] = {
		{ 0x4000, 0x4000 },
		{ 0x200000, 0x200000 },
		{ 0x300000, 0x400000 },
	};
	struct vfiodev_region_info ri;
	uint8_t *addr;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pci->regions[BAR0].size = cases[i].size;
		pci->regions[BAR0].nr_areas = i == 2 ? 1 : 0;
		pci->regions[BAR0].areas[0].offset = 0x200000;
		pci->regions[BAR0].areas[0].size = 0x100000;
		dev = fixture_open(BDF, NULL);
		assert_int_equal(vfiodev_region_get_info(dev, BAR0, &ri), 0);
		assert_int_equal(1ull << ri.mmap_align_shift, cases[i].align);
		assert_int_equal(vfiodev_region_mmap(dev, BAR0, (void **)&addr), 0);
		assert_int_equal((uintptr_t)addr & (cases[i].align - 1), 0);
		addr[i == 2 ? 0x200000 : 0] = 1;
		assert_int_equal(live_mmaps(), 1 + (i == 2));
		vfiodev_device_close(dev);
		dev = NULL;
		assert_int_equal(live_mmaps(), 0);
	}
}

/* a BAR smaller than a page takes a whole page, and its reservation's
 * trims fall on page boundaries (the tail one failed and leaked a page) */
static void a_sub_page_region_leaves_no_reservation_behind(void **state)
{
	void *addr;

	(void)state;
	pci->regions[BAR0].size = 0x100;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &addr), 0);
	assert_int_equal((uintptr_t)addr & 0xfff, 0);
	assert_int_equal(live_mmaps(), 1);
	assert_int_equal(vfiodev_region_munmap(dev, BAR0), 0);
	assert_int_equal(live_mmaps(), 0);
}

static void mmap_of_a_sparse_region_maps_only_the_areas(void **state)
{
	uint8_t *addr = NULL;
	char perms[5];

	(void)state;
	pci->regions[BAR0].nr_areas = 2;
	pci->regions[BAR0].areas[0].offset = 0;
	pci->regions[BAR0].areas[0].size = 0x1000;
	pci->regions[BAR0].areas[1].offset = 0x3000;
	pci->regions[BAR0].areas[1].size = 0x1000;
	dev = fixture_open(BDF, NULL);
	/* the fake refuses a device mmap outside an area, so success means
	 * only the areas were mapped from the device */
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, (void **)&addr), 0);
	perms_at(addr, perms);
	assert_string_equal(perms, "rw-p");
	perms_at(addr + 0x1000, perms);
	assert_string_equal(perms, "---p");
	perms_at(addr + 0x2fff, perms);
	assert_string_equal(perms, "---p");
	perms_at(addr + 0x3000, perms);
	assert_string_equal(perms, "rw-p");
	addr[0x3008] = 1;
	assert_int_equal(vfiodev_region_munmap(dev, BAR0), 0);
	assert_int_equal(live_mmaps(), 0);
	perms_at(addr + 0x1000, perms);
	assert_string_equal(perms, "none");
}

static void mmap_of_a_region_that_cannot_be_mapped_is_einval(void **state)
{
	void *addr = NULL;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_mmap(dev, CONFIG, &addr), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "region 7 cannot be mmapped"));
	assert_int_equal(vfiodev_region_mmap(dev, 1, &addr), -EINVAL); /* size 0 */
	assert_int_equal(vfiodev_region_mmap(dev, FAKE_NR_REGIONS, &addr), -EINVAL);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, NULL), -EINVAL);
	assert_int_equal(vfiodev_region_munmap(dev, FAKE_NR_REGIONS), -EINVAL);
	assert_null(addr);
	assert_int_equal(live_mmaps(), 0);
}

static void mmap_failure_of_a_sparse_area_undoes_the_reservation(void **state)
{
	void *addr = NULL;

	(void)state;
	pci->regions[BAR0].nr_areas = 2;
	pci->regions[BAR0].areas[0].size = 0x1000;
	/* not page-aligned: the MAP_FIXED of this area fails */
	pci->regions[BAR0].areas[1].offset = 0x3800;
	pci->regions[BAR0].areas[1].size = 0x800;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &addr), -EINVAL);
	assert_null(addr);
	assert_int_equal(live_mmaps(), 0);
	assert_true(fake_log_has(LOG_ERR, "sparse area 1"));
}

static void close_unmaps_every_mapped_region(void **state)
{
	void *a, *b;

	(void)state;
	pci->regions[2].flags = pci->regions[BAR0].flags;
	pci->regions[2].size = 0x2000;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_mmap(dev, BAR0, &a), 0);
	assert_int_equal(vfiodev_region_mmap(dev, 2, &b), 0);
	assert_int_equal(live_mmaps(), 2);
	vfiodev_device_close(dev);
	dev = NULL;
	assert_int_equal(live_mmaps(), 0);
}

/* ---- read/write -------------------------------------------------------- */

static void region_read_and_write_go_through_the_device_fd(void **state)
{
	uint8_t out[4] = { 1, 2, 3, 4 }, in[4] = { 0 };

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_write(dev, BAR0, 0x10, out, 4), 0);
	assert_memory_equal(pci->regions[BAR0].mem + 0x10, out, 4);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0x10, in, 4), 0);
	assert_memory_equal(in, out, 4);
	/* no buffer: refused with its cause */
	assert_int_equal(vfiodev_region_write(dev, BAR0, 0x10, NULL, 4), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "region 0 write of 4 bytes: no buffer"));
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0x10, NULL, 4), -EINVAL);
	/* the very end of the region is inside it */
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0x3ffc, in, 4), 0);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0, NULL, 0), 0);
}

static void region_access_past_the_end_is_einval(void **state)
{
	uint8_t b[8];

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0x3ffe, b, 4), -EINVAL);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0x4001, b, 1), -EINVAL);
	assert_int_equal(vfiodev_region_write(dev, BAR0, UINT64_MAX - 1, b, 4),
			 -EINVAL);
	assert_int_equal(vfiodev_region_read(dev, FAKE_NR_REGIONS, 0, b, 1),
			 -EINVAL);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0, NULL, 1), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "past its end"));
}

static void region_short_read_or_write_is_eio(void **state)
{
	uint8_t b[4] = { 0 };

	(void)state;
	pci->regions[BAR0].short_io = 2;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0, b, 4), -EIO);
	assert_int_equal(vfiodev_region_write(dev, BAR0, 0, b, 4), -EIO);
	assert_true(fake_log_has(LOG_ERR, "short read"));
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0, b, 2), 0);
}

static void region_read_kernel_error_is_returned(void **state)
{
	uint8_t b[4];

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0, b, 4), 0);
	/* the region is known now: the next seam call is the pread */
	fake_fail_nth(1, EFAULT);
	assert_int_equal(vfiodev_region_read(dev, BAR0, 0, b, 4), -EFAULT);
	assert_true(fake_fault_fired());
}

/* ---- config space ------------------------------------------------------ */

static void config_read_in_every_width_is_little_endian(void **state)
{
	uint32_t v = 0;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 4, &v), 0);
	assert_int_equal(v, 0x11e81234);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 2, &v), 0);
	assert_int_equal(v, 0x1234);
	assert_int_equal(vfiodev_pci_config_read(dev, 2, 2, &v), 0);
	assert_int_equal(v, 0x11e8);
	assert_int_equal(vfiodev_pci_config_read(dev, 1, 1, &v), 0);
	assert_int_equal(v, 0x12);
	assert_int_equal(vfiodev_pci_config_read(dev, 0xfc, 4, &v), 0);
}

static void config_access_must_be_aligned_and_1_2_or_4_wide(void **state)
{
	uint32_t v;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_pci_config_read(dev, 1, 2, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_config_read(dev, 2, 4, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 3, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 8, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 0, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_config_write(dev, 6, 4, 0), -EINVAL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0x100, 4, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 4, NULL), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "not aligned"));
	assert_true(fake_log_has(LOG_ERR, "must be 1, 2 or 4"));
}

static void config_write_refuses_a_value_wider_than_the_access(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_pci_config_write(dev, 0x3c, 1, 0x100), -EINVAL);
	assert_int_equal(vfiodev_pci_config_write(dev, 0x3c, 2, 0x10000), -EINVAL);
	assert_int_equal(pci->regions[CONFIG].mem[0x3c], 0);
	assert_true(fake_log_has(LOG_ERR, "does not fit"));
}

static void config_write_then_read_back(void **state)
{
	uint32_t v = 0;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_pci_config_write(dev, 0x3c, 1, 0x0a), 0);
	assert_int_equal(pci->regions[CONFIG].mem[0x3c], 0x0a);
	assert_int_equal(vfiodev_pci_config_write(dev, 0x10, 4, 0xfeedf00d), 0);
	assert_int_equal(vfiodev_pci_config_read(dev, 0x10, 4, &v), 0);
	assert_int_equal(v, 0xfeedf00d);
	assert_int_equal(pci->regions[CONFIG].mem[0x10], 0x0d);
}

static void enable_bus_master_sets_bits_1_and_2_only(void **state)
{
	uint8_t *cfg = pci->regions[CONFIG].mem;
	uint32_t v;

	(void)state;
	cfg[4] = 0x01; /* I/O space on */
	cfg[5] = 0x04; /* INTx disabled (bit 10) */
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_pci_enable_bus_master(dev), 0);
	assert_int_equal(vfiodev_pci_config_read(dev, 4, 2, &v), 0);
	assert_int_equal(v, 0x0407);
	assert_int_equal(cfg[6], 0x10); /* status untouched */
	/* already on: read, no write (a write would hit the armed fault) */
	fake_fail_nth(2, EIO);
	assert_int_equal(vfiodev_pci_enable_bus_master(dev), 0);
	assert_false(fake_fault_fired());
	fake_fail_nth(0, 0);
}

static void config_on_a_non_pci_device_is_einval(void **state)
{
	uint32_t v;

	(void)state;
	pci->flags = VFIO_DEVICE_FLAGS_RESET;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_pci_config_read(dev, 0, 4, &v), -EINVAL);
	assert_int_equal(vfiodev_pci_enable_bus_master(dev), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "not a PCI device"));
}

/* output structs can grow: each ends in a reserved tail the library
 * writes as zero, whatever the caller's memory held (none had room
 * before) */
static void
region_info_and_sparse_areas_have_a_reserved_tail_written_as_zero(void **state)
{
	struct vfiodev_region_info ri;
	struct vfiodev_sparse_area sa[2];

	(void)state;
	pci->regions[0].nr_areas = 1;
	pci->regions[0].areas[0].size = 0x1000;
	dev = fixture_open(BDF, NULL);
	memset(&ri, 0xff, sizeof(ri));
	memset(sa, 0xff, sizeof(sa));
	assert_int_equal(vfiodev_region_get_info(dev, 0, &ri), 0);
	assert_int_equal(vfiodev_region_sparse_areas(dev, 0, sa, 2), 1);
	assert_true(fixture_all_zero(ri.reserved, sizeof(ri.reserved)));
	assert_true(fixture_all_zero(sa[0].reserved, sizeof(sa[0].reserved)));
}

#define T(f) cmocka_unit_test_setup_teardown(f, region_setup, region_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(region_info_reports_flags_size_and_offset),
		T(region_info_parses_sparse_type_and_msix_capabilities),
		T(region_info_index_out_of_range_is_einval),
		T(region_info_kernel_error_is_returned),
		T(region_info_rejects_a_looping_chain),
		T(region_info_rejects_an_offset_past_argsz),
		T(region_info_rejects_a_backward_offset),
		T(region_info_rejects_truncated_sparse_areas),
		T(region_info_rejects_a_sparse_area_outside_the_region),
		T(region_mmap_of_only_empty_sparse_areas_is_einval),
		T(region_whose_file_offsets_wrap_is_eproto),
		T(region_info_gives_up_when_argsz_keeps_growing),
		T(region_info_refuses_an_implausible_argsz),
		T(sparse_areas_are_returned),
		T(mmap_of_a_whole_region),
		T(mmaps_are_aligned_like_the_region),
		T(a_sub_page_region_leaves_no_reservation_behind),
		T(mmap_of_a_sparse_region_maps_only_the_areas),
		T(mmap_of_a_region_that_cannot_be_mapped_is_einval),
		T(mmap_failure_of_a_sparse_area_undoes_the_reservation),
		T(close_unmaps_every_mapped_region),
		T(region_read_and_write_go_through_the_device_fd),
		T(region_access_past_the_end_is_einval),
		T(region_short_read_or_write_is_eio),
		T(region_read_kernel_error_is_returned),
		T(config_read_in_every_width_is_little_endian),
		T(config_access_must_be_aligned_and_1_2_or_4_wide),
		T(config_write_refuses_a_value_wider_than_the_access),
		T(config_write_then_read_back),
		T(enable_bus_master_sets_bits_1_and_2_only),
		T(config_on_a_non_pci_device_is_einval),
		T(region_info_and_sparse_areas_have_a_reserved_tail_written_as_zero),
	};

	return cmocka_run_group_tests_name("region", tests, NULL, NULL);
}
