// SPDX-License-Identifier: MIT
/*
 * lib/dma.c and the record-first space: maps before the first device and
 * their replay, IOVA limits and superpage alignment, unmap by buffer and
 * by range, translate with length and in reverse, DMA memory, the kernel
 * handles, and translate under concurrent writers (no wrong answer, ever).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define PG 4096ul
#define SZ_2M (2ul << 20)
#define RW (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)

struct world {
	enum vfiodev_backend backend;
	struct vfiodev_device *dev;
	uint8_t *buf; /* 8 MiB, 2 MiB-aligned, readable */
	void *raw;
};

static struct world iommufd_world = { .backend = VFIODEV_BACKEND_IOMMUFD };
static struct world container_world = { .backend = VFIODEV_BACKEND_CONTAINER };

static int setup(void **state)
{
	struct world *w = *state;

	fake_init();
	fake_std_device(BDF, 5, 0);
	w->dev = NULL;
	w->raw = mmap(NULL, 10 * SZ_2M, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->raw == MAP_FAILED)
		return -1;
	w->buf = (uint8_t *)(((uintptr_t)w->raw + SZ_2M - 1) & ~(SZ_2M - 1));
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vfiodev_device_close(w->dev);
	munmap(w->raw, 10 * SZ_2M);
	return fake_teardown(state);
}

static int live_mappings(void)
{
	struct fake_live l;

	fake_live(&l);
	return l.mappings;
}

static unsigned long map_req(const struct world *w)
{
	return w->backend == VFIODEV_BACKEND_IOMMUFD ? IOMMU_IOAS_MAP :
						       VFIO_IOMMU_MAP_DMA;
}

static int open_into(struct world *w, struct vfiodev_space *space)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.backend = w->backend;
	opts.space = space;
	return vfiodev_device_open(fake_ctx(), BDF, &opts, &w->dev);
}

static void maps_before_the_first_device_are_replayed_at_its_join(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova;

	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	assert_int_equal(vfiodev_dma_map(sp, w->buf, PG, RW, 0x100000), 0);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + PG, PG, RW, NULL, &iova),
			 0);
	assert_int_equal(iova, PG);
	assert_int_equal(live_mappings(), 0);
	assert_true(vfiodev_space_ranges_provisional(sp));
	w->dev = fixture_open_into(BDF, sp, w->backend);
	assert_int_equal(live_mappings(), 2);
	assert_false(vfiodev_space_ranges_provisional(sp));
	assert_int_equal(vfiodev_space_backend(sp), w->backend);
	assert_int_equal(vfiodev_dma_translate(sp, w->buf + PG + 8, &iova), 0);
	assert_int_equal(iova, PG + 8);
	/* once joined, maps go straight to the kernel */
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + 2 * PG, PG, RW, NULL, &iova),
			 0);
	assert_int_equal(live_mappings(), 3);
	if (w->backend == VFIODEV_BACKEND_IOMMUFD) {
		uint32_t ioas = 0;

		assert_true(vfiodev_space_iommufd(sp, &ioas) >= 0);
		assert_int_not_equal(ioas, 0);
		assert_int_equal(vfiodev_space_container_fd(sp), -ENODEV);
	} else {
		assert_true(vfiodev_space_container_fd(sp) >= 0);
		assert_int_equal(vfiodev_space_iommufd(sp, NULL), -ENODEV);
	}
	vfiodev_space_unref(sp);
}

static void a_failed_replay_fails_the_join_and_keeps_the_record(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova;

	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vfiodev_dma_map_any(sp, w->buf + i * PG, PG,
						     RW, NULL, &iova),
				 0);
	fake_fail_ioctl(map_req(w), ENOMEM, 1);
	assert_int_equal(open_into(w, sp), -ENOMEM);
	fake_fail_ioctl(map_req(w), 0, 0);
	assert_null(w->dev);
	assert_true(fake_log_has(LOG_ERR,
				 "replaying the space's 3 recorded mappings"));
	/* nothing half-done in the kernel; the record is whole */
	assert_int_equal(live_mappings(), 0);
	assert_int_equal(vfiodev_space_backend(sp), VFIODEV_BACKEND_AUTO);
	assert_true(vfiodev_space_ranges_provisional(sp));
	assert_int_equal(vfiodev_dma_translate(sp, w->buf + 2 * PG, &iova), 0);
	w->dev = fixture_open_into(BDF, sp, w->backend);
	assert_int_equal(live_mappings(), 3);
	vfiodev_space_unref(sp);
}

static void a_recorded_map_the_device_cannot_reach_refuses_its_join(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;

	/* the fake kernel's ranges end at 2^48 - 1 */
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	assert_int_equal(vfiodev_dma_map(sp, w->buf, PG, RW, 1ull << 50), 0);
	assert_int_not_equal(open_into(w, sp), 0);
	assert_true(fake_log_has(LOG_ERR, "lies outside the IOVA ranges"));
	assert_int_equal(live_mappings(), 0);
	assert_int_equal(vfiodev_dma_unmap(sp, 1ull << 50, PG), 0);
	w->dev = fixture_open_into(BDF, sp, w->backend);
	vfiodev_space_unref(sp);
}

static void an_iommufd_space_has_its_ioas_at_once(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint32_t ioas = 0;
	struct fake_live l;

	so.backend = VFIODEV_BACKEND_IOMMUFD;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &sp), 0);
	fake_live(&l);
	assert_int_equal(l.ioas, 1);
	assert_true(vfiodev_space_iommufd(sp, &ioas) >= 0);
	assert_int_equal(vfiodev_space_backend(sp), VFIODEV_BACKEND_IOMMUFD);
	assert_true(vfiodev_space_ranges_provisional(sp));
	assert_int_equal(vfiodev_dma_map(sp, w->buf, PG, RW, 0x100000), 0);
	assert_int_equal(live_mappings(), 1);
	w->dev = fixture_open_into(BDF, sp, w->backend);
	assert_int_equal(live_mappings(), 1);
	vfiodev_space_unref(sp);
}

static void the_iova_limit_bounds_map_any_and_says_so(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, o);
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova;

	so.iova_max = 0x4fff; /* pages 1..4 */
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &sp), 0);
	w->dev = fixture_open_into(BDF, sp, w->backend);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vfiodev_dma_map_any(sp, w->buf + i * PG, PG,
						     RW, NULL, &iova),
				 0);
		assert_true(iova + PG - 1 <= 0x4fff);
	}
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + 4 * PG, PG, RW, NULL, &iova),
			 -ENOSPC);
	assert_true(fake_log_has(LOG_ERR, "at or below the IOVA limit 0x4fff"));
	assert_int_equal(vfiodev_dma_map(sp, w->buf + 4 * PG, PG, RW, 0x5000),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "above the space's IOVA limit"));
	assert_int_equal(live_mappings(), 4);
	vfiodev_space_unref(sp);

	/* a per-call limit below the space's */
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	o.iova_max = 0x2fff;
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, PG, RW, &o, &iova), 0);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + PG, PG, RW, &o, &iova), 0);
	assert_int_equal(iova, 0x2000);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + 2 * PG, PG, RW, &o, &iova),
			 -ENOSPC);
	vfiodev_space_unref(sp);
}

static void superpage_buffers_get_superpage_aligned_iovas(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, o);
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova;

	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + 4 * SZ_2M, PG, RW,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, PG);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, SZ_2M, RW, NULL, &iova), 0);
	assert_int_equal(iova, SZ_2M);
	/* not 2 MiB-aligned in memory: page alignment is enough (the hole
	 * below 2 MiB is two pages short) */
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + SZ_2M + PG,
					     SZ_2M - 2 * PG, RW, NULL, &iova),
			 0);
	assert_int_equal(iova, 2 * PG);
	/* an explicit alignment */
	o.align = 1ul << 20;
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + 3 * SZ_2M + PG, PG,
					     RW, &o, &iova),
			 0);
	assert_int_equal(iova, 4ul << 20); /* below it all is taken */
	o.align = 3 * PG;
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf + 5 * SZ_2M, PG, RW, &o,
					     &iova),
			 -EINVAL);
	vfiodev_space_unref(sp);
}

static void unmap_by_buffer_and_by_range(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova, done = 1;

	w->dev = fixture_open_into(BDF, NULL, w->backend);
	sp = vfiodev_device_space(w->dev);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vfiodev_dma_map(sp, w->buf + i * 2 * PG, 2 * PG,
						 RW, 0x100000 + i * 2 * PG),
				 0);
	assert_int_equal(vfiodev_dma_unmap_vaddr(sp, w->buf + PG), -ENOENT);
	assert_int_equal(vfiodev_dma_unmap_vaddr(sp, w->buf), 0);
	assert_int_equal(vfiodev_dma_translate(sp, w->buf, &iova), -ENOENT);
	/* a range that cuts the second mapping refuses everything */
	assert_int_equal(vfiodev_dma_unmap_range(sp, 0x100000, 3 * PG, &done),
			 -EINVAL);
	assert_int_equal(done, 0);
	assert_true(fake_log_has(LOG_ERR, "straddles an edge"));
	assert_int_equal(live_mappings(), 3);
	assert_int_equal(vfiodev_dma_unmap_range(sp, 0x100000, 6 * PG, &done), 0);
	assert_int_equal(done, 4 * PG);
	assert_int_equal(live_mappings(), 1);
	assert_int_equal(vfiodev_dma_unmap_range(sp, 2, UINT64_MAX, &done), -EINVAL);
	assert_int_equal(vfiodev_dma_unmap_range(sp, 0, 0, &done), -EINVAL);
	assert_int_equal(vfiodev_dma_unmap_range(sp, 0, 1ull << 48, &done), 0);
	assert_int_equal(done, 2 * PG);
	assert_int_equal(live_mappings(), 0);
}

static void translate_len_and_reverse(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova;
	size_t len;
	void *va;

	w->dev = fixture_open_into(BDF, NULL, w->backend);
	sp = vfiodev_device_space(w->dev);
	/* 2 MiB + 8 KiB at 2 MiB: the table holds one 2 MiB entry and two
	 * 4 KiB ones */
	assert_int_equal(vfiodev_dma_map(sp, w->buf, SZ_2M + 2 * PG, RW, 0x400000),
			 0);
	assert_int_equal(vfiodev_dma_translate_len(sp, w->buf + 100, &iova, &len),
			 0);
	assert_int_equal(iova, 0x400000 + 100);
	assert_int_equal(len, SZ_2M + 2 * PG - 100);
	assert_int_equal(vfiodev_dma_translate_len(sp, w->buf + SZ_2M + PG + 1,
						   &iova, &len),
			 0);
	assert_int_equal(iova, 0x400000 + SZ_2M + PG + 1);
	assert_int_equal(len, PG - 1);
	assert_int_equal(vfiodev_dma_translate_len(sp, w->buf + SZ_2M + 2 * PG,
						   &iova, &len),
			 -ENOENT);
	assert_int_equal(vfiodev_dma_iova_to_vaddr(sp, 0x400000 + SZ_2M, &va, &len),
			 0);
	assert_ptr_equal(va, w->buf + SZ_2M);
	assert_int_equal(len, 2 * PG);
	assert_int_equal(vfiodev_dma_iova_to_vaddr(sp, 0x3fffff, &va, NULL),
			 -ENOENT);
	assert_int_equal(vfiodev_dma_translate_len(sp, w->buf, &iova, NULL),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_iova_to_vaddr(NULL, 0, &va, NULL), -EINVAL);
	/* addresses past the 48-bit table are refused, not truncated */
	assert_int_equal(vfiodev_dma_map(sp, (void *)(1ul << 48), PG, RW, 0x100000),
			 -ERANGE);
}

static void dma_memory_is_zeroed_mapped_and_freed(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova, iova2, t;
	uint8_t *p, *big;

	w->dev = fixture_open_into(BDF, NULL, w->backend);
	sp = vfiodev_device_space(w->dev);
	assert_int_equal(vfiodev_dma_alloc(sp, 100, RW, NULL, (void **)&p, &iova),
			 0);
	assert_int_equal((uintptr_t)p & (PG - 1), 0);
	for (size_t i = 0; i < PG; i++)
		assert_int_equal(p[i], 0);
	p[PG - 1] = 1; /* the rounded page is ours */
	assert_int_equal(vfiodev_dma_translate(sp, p + 5, &t), 0);
	assert_int_equal(t, iova + 5);
	assert_int_equal(live_mappings(), 1);
	/* 3 MiB: 4 MiB of hugetlb or THP memory at a 2 MiB-aligned IOVA */
	assert_int_equal(vfiodev_dma_alloc(sp, 3ul << 20, RW, NULL,
					   (void **)&big, &iova2),
			 0);
	assert_int_equal((uintptr_t)big & (SZ_2M - 1), 0);
	assert_int_equal(iova2 & (SZ_2M - 1), 0);
	big[(4ul << 20) - 1] = 7;
	/* the allocation is the library's: not unmapped by other calls */
	assert_int_equal(vfiodev_dma_unmap(sp, iova, PG), -ENOENT);
	assert_true(fake_log_has(LOG_ERR, "use vfiodev_dma_free()"));
	assert_int_equal(vfiodev_dma_unmap_vaddr(sp, p), -ENOENT);
	assert_int_equal(vfiodev_dma_free(sp, p + PG), -ENOENT);
	assert_int_equal(vfiodev_dma_free(sp, NULL), 0);
	assert_int_equal(vfiodev_dma_free(sp, p), 0);
	assert_int_equal(live_mappings(), 1);
	assert_int_equal(vfiodev_dma_translate(sp, p, &t), -ENOENT);
	/* a failed allocation leaves nothing */
	fake_fail_ioctl(map_req(w), ENOMEM, 0);
	assert_int_equal(vfiodev_dma_alloc(sp, PG, RW, NULL, (void **)&p, &iova),
			 -ENOMEM);
	fake_fail_ioctl(map_req(w), 0, 0);
	/* unmap_all frees the rest (ASan's leak check would see a leak) */
	assert_int_equal(vfiodev_dma_unmap_all(sp), 0);
	assert_int_equal(live_mappings(), 0);
}

/* an IOMMU whose smallest page is 64 KiB (arm64 SMMUs, POWER): DMA memory
 * rounds its length and address to it, small requests included */
static void dma_memory_follows_the_iommu_page_size(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova, t;
	uint8_t *p, *q;
	size_t len;

	fake_cfg.ioas_alignment = 0x10000;
	fake_cfg.type1_pgsizes = 0x10000 | SZ_2M;
	w->dev = fixture_open_into(BDF, NULL, w->backend);
	sp = vfiodev_device_space(w->dev);
	assert_int_equal(vfiodev_dma_alloc(sp, 100, RW, NULL, (void **)&p, &iova),
			 0);
	assert_int_equal((uintptr_t)p & 0xffff, 0);
	assert_int_equal(iova & 0xffff, 0);
	assert_int_equal(vfiodev_dma_translate_len(sp, p, &t, &len), 0);
	assert_int_equal(len, 0x10000);
	p[0xffff] = 1; /* the whole IOMMU page is the caller's */
	assert_int_equal(vfiodev_dma_alloc(sp, 0x11000, RW, NULL, (void **)&q, &iova),
			 0);
	assert_int_equal((uintptr_t)q & 0xffff, 0);
	assert_int_equal(vfiodev_dma_translate_len(sp, q, &t, &len), 0);
	assert_int_equal(len, 0x20000);
	assert_int_equal(vfiodev_dma_free(sp, q), 0);
	assert_int_equal(vfiodev_dma_free(sp, p), 0);
	assert_int_equal(live_mappings(), 0);
}

/* DMA memory is faulted in for writing before the kernel pins it: a
 * read-only pin of untouched memory took the zero page, which the device
 * kept reading after the CPU's first write (Linux 6.1) */
static void dma_memory_is_populated_before_it_is_mapped(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	unsigned char vec[16];
	uint64_t iova;
	uint8_t *p;

	w->dev = fixture_open_into(BDF, NULL, w->backend);
	sp = vfiodev_device_space(w->dev);
	assert_int_equal(vfiodev_dma_alloc(sp, 16 * PG, VFIODEV_DMA_READ, NULL,
					   (void **)&p, &iova),
			 0);
	assert_int_equal(mincore(p, 16 * PG, vec), 0);
	for (int i = 0; i < 16; i++)
		assert_true(vec[i] & 1);
	for (size_t i = 0; i < 16 * PG; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(vfiodev_dma_free(sp, p), 0);
}

/* ---- noiommu through iommufd (Linux 7.x) ------------------------------- */
#define NOIOMMU_BDF "0000:00:07.0"

/* a device in noiommu group 9 with 7.x's noiommu cdev (noiommu-vfio3) */
static struct vfiodev_device *open_noiommu(bool allow, int *err)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *dev = NULL;
	struct fake_pci *p = fake_pci_add(NOIOMMU_BDF, 9, "vfio-pci");

	fake_group_noiommu(9);
	fake_pci_noiommu_cdev(p, 3);
	opts.allow_noiommu = allow;
	*err = vfiodev_device_open(fake_ctx(), NOIOMMU_BDF, &opts, &dev);
	return dev;
}

static void a_noiommu_cdev_opens_through_iommufd_with_allow_noiommu(void **state)
{
	struct vfiodev_device_info info;
	struct vfiodev_device *dev;
	int err;

	(void)state;
	/* refused without allow_noiommu, on both paths */
	dev = open_noiommu(false, &err);
	assert_int_equal(err, -EPERM);
	assert_null(dev);
	assert_true(fake_log_has(LOG_INFO,
				 "noiommu-vfio3 is a noiommu device (no DMA isolation); refused unless allow_noiommu is set"));
	assert_int_equal(fake_open_count("/dev/vfio/devices/noiommu-vfio3"), 0);
	dev = open_noiommu(true, &err);
	assert_int_equal(err, 0);
	assert_int_equal(vfiodev_device_backend(dev), VFIODEV_BACKEND_IOMMUFD);
	assert_null(vfiodev_device_fallback_reason(dev));
	assert_non_null(strstr(vfiodev_device_node(dev),
			       "/dev/vfio/devices/noiommu-vfio3"));
	assert_int_equal(vfiodev_device_get_info(dev, &info), 0);
	assert_true(info.flags & VFIODEV_DEVICE_NOIOMMU);
	vfiodev_device_close(dev);
}

/* the one model of a noiommu space: every address it gives or takes for
 * the device is a bus address, and lengths are physically contiguous */
static void a_noiommu_space_answers_with_bus_addresses(void **state)
{
	struct world *w = *state;
	struct vfiodev_device *dev;
	struct vfiodev_space *sp;
	uint64_t bus, t;
	size_t len;
	void *va;
	int err;

	fake_cfg.noiommu_get_pa = true;
	fake_cfg.pa_run_pages = 4;
	dev = open_noiommu(true, &err);
	assert_int_equal(err, 0);
	sp = vfiodev_device_space(dev);
	/* 16 pages: four physical runs of 4 pages */
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, 16 * PG, RW, NULL, &bus),
			 0);
	assert_int_equal(bus, fake_pa_of((uintptr_t)w->buf));
	for (size_t pg = 0; pg < 16; pg++) {
		uint8_t *a = w->buf + pg * PG + 100;
		uint64_t run_end = (((uintptr_t)a >> 12) / 4 + 1) * 4 * PG;

		assert_int_equal(vfiodev_dma_translate(sp, a, &t), 0);
		assert_int_equal(t, fake_pa_of((uintptr_t)a));
		assert_int_equal(vfiodev_dma_translate_len(sp, a, &t, &len), 0);
		assert_int_equal(t, fake_pa_of((uintptr_t)a));
		/* contiguous to the end of its run, or of the buffer */
		if (run_end > (uintptr_t)w->buf + 16 * PG)
			run_end = (uintptr_t)w->buf + 16 * PG;
		assert_int_equal(len, run_end - (uintptr_t)a);
		/* and back from the bus address */
		assert_int_equal(vfiodev_dma_iova_to_vaddr(sp, t, &va, &len), 0);
		assert_ptr_equal(va, a);
		assert_int_equal(len, run_end - (uintptr_t)a);
	}
	/* the library picks the IOVA; ranges of bus addresses are no unit */
	assert_int_equal(vfiodev_dma_map(sp, w->buf + 16 * PG, PG, RW, 0x100000),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "DMA to bus addresses"));
	assert_int_equal(vfiodev_dma_unmap_range(sp, bus, 16 * PG, NULL),
			 -EOPNOTSUPP);
	/* unmap by the bus address map_any gave */
	assert_int_equal(vfiodev_dma_unmap(sp, bus + PG, 16 * PG), -ENOENT);
	assert_int_equal(vfiodev_dma_unmap(sp, bus, 16 * PG), 0);
	assert_int_equal(vfiodev_dma_translate(sp, w->buf, &t), -ENOENT);
	assert_int_equal(live_mappings(), 0);
	/* a DMA limit bounds the bus addresses: pages above it are refused */
	{
		VFIODEV_OPTS_INIT(vfiodev_dma_opts, o);

		o.iova_max = fake_pa_of((uintptr_t)w->buf) + 2 * PG - 1;
		assert_int_equal(vfiodev_dma_map_any(sp, w->buf, 4 * PG, RW, &o,
						     &bus),
				 -ENOSPC);
		assert_true(fake_log_has(LOG_ERR, "above the limit"));
		assert_int_equal(live_mappings(), 0);
		o.iova_max = fake_pa_of((uintptr_t)w->buf) + 4 * PG;
		assert_int_equal(vfiodev_dma_map_any(sp, w->buf, 2 * PG, RW, &o,
						     &bus),
				 0);
		assert_int_equal(vfiodev_dma_unmap_vaddr(sp, w->buf), 0);
	}
	/* DMA memory too, freed by address */
	assert_int_equal(vfiodev_dma_alloc(sp, 8 * PG, RW, NULL, &va, &bus), 0);
	assert_int_equal(bus, fake_pa_of((uintptr_t)va));
	assert_int_equal(vfiodev_dma_free(sp, va), 0);
	assert_int_equal(live_mappings(), 0);
	vfiodev_device_close(dev);
}

/* a kernel with the noiommu cdev but no IOMMU_IOAS_NOIOMMU_GET_PA, or one
 * that fails it: no mapping without its bus address, nothing left */
static void a_noiommu_map_without_bus_addresses_leaves_nothing(void **state)
{
	struct world *w = *state;
	struct vfiodev_device *dev;
	struct vfiodev_space *sp;
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	uint64_t bus;
	int err;

	dev = open_noiommu(true, &err);
	assert_int_equal(err, 0);
	sp = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, 4 * PG, RW, NULL, &bus),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR,
				 "cannot tell a noiommu device's bus addresses"));
	assert_int_equal(live_mappings(), 0);
	fake_cfg.noiommu_get_pa = true;
	fake_fail_ioctl(IOMMU_IOAS_NOIOMMU_GET_PA, EIO, 1); /* the second run */
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, 8 * PG, RW, NULL, &bus),
			 -EIO);
	fake_fail_ioctl(IOMMU_IOAS_NOIOMMU_GET_PA, 0, 0);
	assert_int_equal(live_mappings(), 0);
	assert_int_equal(vfiodev_dma_translate(sp, w->buf, &bus), -ENOENT);
	/* an IOMMU-translated device does not join a noiommu space */
	opts.space = sp;
	assert_int_equal(fixture_open_err(BDF, &opts), -EXDEV);
	assert_true(fake_log_has(LOG_ERR, "cannot join a space of noiommu devices"));
	vfiodev_device_close(dev);
}

/* a noiommu device whose join fails after the attach (its ranges cannot
 * be read) leaves the space as it was: no noiommu mark on a space without
 * a kernel object (a later map dereferenced its missing backend) */
static void a_failed_noiommu_join_leaves_the_space_as_it_was(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct world *w = *state;
	struct vfiodev_space *sp;
	struct fake_pci *p = fake_pci_add(NOIOMMU_BDF, 9, "vfio-pci");
	uint64_t iova;

	fake_group_noiommu(9);
	fake_pci_noiommu_cdev(p, 3);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	opts.space = sp;
	opts.allow_noiommu = true;
	opts.backend = VFIODEV_BACKEND_IOMMUFD;
	fake_fail_ioctl(IOMMU_IOAS_IOVA_RANGES, EIO, 0);
	assert_int_equal(fixture_open_err(NOIOMMU_BDF, &opts), -EIO);
	fake_fail_ioctl(IOMMU_IOAS_IOVA_RANGES, 0, 0);
	/* recorded, as in any space before its first device */
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, PG, RW, NULL, &iova), 0);
	assert_int_equal(vfiodev_dma_unmap(sp, iova, PG), 0);
	vfiodev_space_unref(sp);
}

static bool is_mapped(const void *p)
{
	unsigned char v;

	return mincore((void *)((uintptr_t)p & ~(PG - 1)), PG, &v) == 0;
}

static void the_last_unref_frees_library_memory_the_kernel_kept_mapped(void **state)
{
	struct world *w = *state;
	struct vfiodev_space *sp;
	uint64_t iova;
	void *small, *big, *file;
	int fd = memfd_create("guest-ram", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * PG), 0);
	w->dev = fixture_open_into(BDF, NULL, w->backend);
	sp = vfiodev_device_space(w->dev);
	assert_int_equal(vfiodev_dma_alloc(sp, PG, RW, NULL, &small, &iova), 0);
	assert_int_equal(vfiodev_dma_alloc(sp, 3ul << 20, RW, NULL, &big, &iova), 0);
	assert_int_equal(vfiodev_dma_map_file(sp, fd, 0, 4 * PG, RW, NULL,
					      &file, &iova),
			 0);
	assert_true(is_mapped(small) && is_mapped(big) && is_mapped(file));
	/* the kernel refuses every unmap: the IOAS or container still goes
	 * with the space, and with it every reason to keep the memory */
	fake_fail_ioctl(w->backend == VFIODEV_BACKEND_IOMMUFD ?
				IOMMU_IOAS_UNMAP :
				VFIO_IOMMU_UNMAP_DMA,
			EIO, 0);
	vfiodev_device_close(w->dev);
	w->dev = NULL;
	fake_fail_ioctl(0, 0, 0);
	assert_false(is_mapped(small));
	assert_false(is_mapped(big));
	assert_false(is_mapped((char *)big + (3ul << 20)));
	assert_false(is_mapped(file));
	close(fd);
}

static void newer_options_with_unknown_fields_are_refused(void **state)
{
	struct world *w = *state;
	struct {
		struct vfiodev_dma_opts o;
		uint64_t newer;
	} big = { .o.sz = sizeof(big), .newer = 1 };
	struct {
		struct vfiodev_space_opts o;
		uint32_t newer;
	} sbig = { .o.sz = sizeof(sbig), .newer = 1 };
	struct vfiodev_space *sp = NULL;
	uint64_t iova;

	assert_int_equal(vfiodev_space_new(fake_ctx(), &sbig.o, &sp), -EINVAL);
	assert_null(sp);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, PG, RW, &big.o, &iova),
			 -EINVAL);
	big.newer = 0;
	assert_int_equal(vfiodev_dma_map_any(sp, w->buf, PG, RW, &big.o, &iova), 0);
	vfiodev_space_unref(sp);
}

/* ---- translate under writers ------------------------------------------- */

#define STABLE 64
#define FLIP 64

struct stress {
	struct vfiodev_space *sp;
	uint8_t *buf;
	bool stop;
	unsigned long lookups, wrong, absent;
};

static void *reader(void *arg)
{
	struct stress *s = arg;
	uint64_t x = (uintptr_t)arg, iova;
	size_t len;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned int i;
		int ret;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		i = (unsigned int)(x >> 33) % (STABLE + FLIP);
		ret = vfiodev_dma_translate_len(s->sp, s->buf + i * PG + 17,
						&iova, &len);
		/* buffer i, when mapped, is at IOVA 1 MiB + i pages */
		if (ret == -ENOENT && i >= STABLE)
			__atomic_add_fetch(&s->absent, 1, __ATOMIC_RELAXED);
		else if (ret || iova != 0x100000 + i * PG + 17 || len != PG - 17)
			__atomic_add_fetch(&s->wrong, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->lookups, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void translate_is_never_wrong_while_others_map_and_unmap(void **state)
{
	struct world *w = *state;
	struct stress s = { 0 };
	pthread_t th[2];
	uint64_t iova;

	w->dev = fixture_open_into(BDF, NULL, w->backend);
	s.sp = vfiodev_device_space(w->dev);
	s.buf = w->buf;
	for (int i = 0; i < STABLE; i++)
		assert_int_equal(vfiodev_dma_map(s.sp, w->buf + i * PG, PG, RW,
						 0x100000 + i * PG),
				 0);
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, reader, &s), 0);
	while (__atomic_load_n(&s.lookups, __ATOMIC_RELAXED) < 1000)
		sched_yield();
	for (int round = 0; round < 300; round++) {
		/* the flipping buffers come and go at their own IOVAs, and
		 * unrelated buffers elsewhere make the tables grow */
		for (int i = STABLE; i < STABLE + FLIP; i++)
			assert_int_equal(vfiodev_dma_map(s.sp, w->buf + i * PG, PG,
							 RW, 0x100000 + i * PG),
					 0);
		assert_int_equal(vfiodev_dma_map_any(s.sp,
						     w->buf + (2 + round % 8) * SZ_2M,
						     PG, RW, NULL, &iova),
				 0);
		for (int i = STABLE + FLIP; i-- > STABLE;)
			assert_int_equal(vfiodev_dma_unmap_vaddr(s.sp,
								 w->buf + i * PG),
					 0);
		assert_int_equal(vfiodev_dma_unmap(s.sp, iova, PG), 0);
	}
	__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	print_message("%lu lookups, %lu of a flipping buffer absent, %lu wrong\n",
		      s.lookups, s.absent, s.wrong);
	assert_int_equal(s.wrong, 0);
	assert_true(s.lookups > 1000);
}

/* review: translate() finds the last mapping starting at or below an
 * address, so a buffer mapped inside another one hid the outer one. Maps
 * of overlapping buffers are refused now, and translate stays exact. */
static void map_of_a_buffer_inside_a_mapped_one_is_eexist(void **state)
{
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *s;
	uint64_t iova = 0, got = 0;
	uint8_t *buf;

	(void)state;
	buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	fake_std_device(BDF, 5, 0);
	dev = fixture_open(BDF, NULL);
	s = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map_any(s, buf, 4 * PG, VFIODEV_DMA_READ,
					     NULL, &iova),
			 0);
	assert_int_equal(vfiodev_dma_map_any(s, buf + PG, PG, VFIODEV_DMA_READ,
					     NULL, &got),
			 -EEXIST);
	assert_true(fake_log_has(LOG_ERR, "map a buffer once"));
	assert_int_equal(vfiodev_dma_translate(s, buf + 3 * PG + 8, &got), 0);
	assert_int_equal(got, iova + 3 * PG + 8);
	vfiodev_device_close(dev);
	munmap(buf, 4 * PG);
}

/* review: map_any walked every mapping per call (quadratic); it now starts
 * at a floor, which must still give the lowest free IOVA when holes open
 * and must not skip a hole too small for one request but fine for the next */
static void map_any_stays_lowest_first_fit_with_holes(void **state)
{
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *s;
	uint64_t iova[6], got;
	uint8_t *buf;

	(void)state;
	buf = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	fake_std_device(BDF, 5, 0);
	dev = fixture_open(BDF, NULL);
	s = vfiodev_device_space(dev);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vfiodev_dma_map_any(s, buf + i * PG, PG,
						     VFIODEV_DMA_READ, NULL,
						     &iova[i]),
				 0);
		if (i)
			assert_int_equal(iova[i], iova[i - 1] + PG);
	}
	/* a one-page hole at iova[1] */
	assert_int_equal(vfiodev_dma_unmap(s, iova[1], PG), 0);
	/* two pages do not fit there: they go after the last mapping */
	assert_int_equal(vfiodev_dma_map_any(s, buf + 4 * PG, 2 * PG,
					     VFIODEV_DMA_READ, NULL, &iova[4]),
			 0);
	assert_int_equal(iova[4], iova[3] + PG);
	/* one page does: the hole is still found */
	assert_int_equal(vfiodev_dma_map_any(s, buf + 6 * PG, PG,
					     VFIODEV_DMA_READ, NULL, &got),
			 0);
	assert_int_equal(got, iova[1]);
	/* the next one appends again */
	assert_int_equal(vfiodev_dma_map_any(s, buf + 7 * PG, PG,
					     VFIODEV_DMA_READ, NULL, &iova[5]),
			 0);
	assert_int_equal(iova[5], iova[4] + 2 * PG);
	/* after unmap_all the lowest IOVA is handed out again */
	assert_int_equal(vfiodev_dma_unmap_all(s), 0);
	assert_int_equal(vfiodev_dma_map_any(s, buf, PG, VFIODEV_DMA_READ, NULL,
					     &got),
			 0);
	assert_int_equal(got, iova[0]);
	vfiodev_device_close(dev);
	munmap(buf, 16 * PG);
}

/* a device on the legacy path whose IOVA space ends at 2^64 - 1: a
 * Type1 container whose capability reports [@start, UINT64_MAX] */
static struct vfiodev_device *open_with_top_range(uint64_t start)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_device *dev = NULL;

	fake_std_device(BDF, 5, -1);
	fake_cfg.nr_type1_ranges = 1;
	fake_cfg.type1_ranges[0] = (struct vfiodev_iova_range){ start, UINT64_MAX };
	opts.backend = VFIODEV_BACKEND_CONTAINER;
	dev = fixture_open(BDF, &opts);
	return dev;
}

/*
 * lib/space.c iova_find(): "m->iova + m->len" wraps to 0 for a mapping
 * that ends at 2^64, so the allocator does not see it and hands out its
 * IOVA; the kernel then refuses the map with EEXIST, where the library
 * promises -ENOSPC ("no range has room").
 */
static void map_any_beside_a_mapping_ending_at_2_64_reports_enospc(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *s;
	uint64_t iova = 0;
	uint8_t *buf;
	int ret;

	(void)state;
	buf = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	dev = open_with_top_range(UINT64_MAX - 2 * PG + 1);
	s = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map(s, buf, PG, VFIODEV_DMA_READ,
					 UINT64_MAX - PG + 1),
			 0);
	assert_int_equal(vfiodev_dma_map_any(s, buf + PG, PG, VFIODEV_DMA_READ,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, UINT64_MAX - 2 * PG + 1);
	/* both pages of the range are taken now */
	ret = vfiodev_dma_map_any(s, buf + 2 * PG, PG, VFIODEV_DMA_READ, NULL,
				  &iova);
	vfiodev_device_close(dev);
	munmap(buf, 3 * PG);
	assert_int_equal(ret, -ENOSPC);
}

/*
 * lib/space.c iova_overlaps(): the same wrap, so a map over a mapping that
 * ends at 2^64 is not refused by the library ("overlaps an existing
 * mapping") but sent to the kernel.
 */
static void map_over_a_mapping_ending_at_2_64_is_refused_before_the_kernel(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *s;
	unsigned int calls;
	uint8_t *buf;
	int ret;

	(void)state;
	buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	dev = open_with_top_range(0);
	s = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map(s, buf, PG, VFIODEV_DMA_READ,
					 UINT64_MAX - PG + 1),
			 0);
	calls = fake_ioctl_count(VFIO_IOMMU_MAP_DMA);
	ret = vfiodev_dma_map(s, buf + PG, PG, VFIODEV_DMA_READ,
			      UINT64_MAX - PG + 1);
	vfiodev_device_close(dev);
	munmap(buf, 2 * PG);
	assert_int_equal(ret, -EEXIST);
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), calls);
	assert_true(fake_log_has(LOG_ERR, "overlaps an existing mapping"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

#define IOMMUFD(f)                                                             \
	{                                                                      \
#f "__iommufd", f, setup, teardown, &iommufd_world             \
	}
#define CONTAINER(f)                                                           \
	{                                                                      \
#f "__container", f, setup, teardown, &container_world         \
	}
#define BOTH(f) IOMMUFD(f), CONTAINER(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(maps_before_the_first_device_are_replayed_at_its_join),
		BOTH(a_failed_replay_fails_the_join_and_keeps_the_record),
		BOTH(a_recorded_map_the_device_cannot_reach_refuses_its_join),
		IOMMUFD(an_iommufd_space_has_its_ioas_at_once),
		BOTH(the_iova_limit_bounds_map_any_and_says_so),
		IOMMUFD(superpage_buffers_get_superpage_aligned_iovas),
		BOTH(unmap_by_buffer_and_by_range),
		BOTH(translate_len_and_reverse),
		BOTH(dma_memory_is_zeroed_mapped_and_freed),
		BOTH(the_last_unref_frees_library_memory_the_kernel_kept_mapped),
		BOTH(dma_memory_follows_the_iommu_page_size),
		BOTH(dma_memory_is_populated_before_it_is_mapped),
		IOMMUFD(a_noiommu_cdev_opens_through_iommufd_with_allow_noiommu),
		IOMMUFD(a_noiommu_space_answers_with_bus_addresses),
		IOMMUFD(a_noiommu_map_without_bus_addresses_leaves_nothing),
		IOMMUFD(a_failed_noiommu_join_leaves_the_space_as_it_was),
		IOMMUFD(newer_options_with_unknown_fields_are_refused),
		BOTH(translate_is_never_wrong_while_others_map_and_unmap),
		T(map_of_a_buffer_inside_a_mapped_one_is_eexist),
		T(map_any_stays_lowest_first_fit_with_holes),
		T(map_any_beside_a_mapping_ending_at_2_64_reports_enospc),
		T(map_over_a_mapping_ending_at_2_64_is_refused_before_the_kernel),
	};

	return cmocka_run_group_tests_name("dma", tests, NULL, NULL);
}
