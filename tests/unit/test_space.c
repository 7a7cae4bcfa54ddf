// SPDX-License-Identifier: MIT
/*
 * lib/space.c (with the map/unmap of lib/iommufd.c and lib/container.c):
 * DMA spaces, the mapping table, the IOVA allocator and translate. The
 * behaviour a caller sees must not depend on the backend, so the common
 * cases run twice, once per backend; what only one backend has (the
 * IOVA_RANGES protocol, the Type1 capability) is tested on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define PG 4096ul
#define NPAGES 64

struct world {
	enum vfiodev_backend backend;
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	uint8_t *buf; /* NPAGES pages of ordinary memory to map */
};

static struct world iommufd_world = { .backend = VFIODEV_BACKEND_IOMMUFD };
static struct world container_world = { .backend = VFIODEV_BACKEND_CONTAINER };

static int dma_setup(void **state)
{
	struct world *w = *state;

	fake_init();
	fake_std_device(BDF, 5, 0);
	w->dev = NULL;
	w->space = NULL;
	w->buf = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return w->buf == MAP_FAILED ? -1 : 0;
}

static int dma_teardown(void **state)
{
	struct world *w = *state;

	vfiodev_device_close(w->dev);
	munmap(w->buf, NPAGES * PG);
	return fake_teardown(state);
}

/* open after the test has shaped the kernel (ranges are read at join) */
static void open_dev(struct world *w)
{
	w->dev = fixture_open_into(BDF, NULL, w->backend);
	w->space = vfiodev_device_space(w->dev);
}

static unsigned long map_req(const struct world *w)
{
	return w->backend == VFIODEV_BACKEND_IOMMUFD ? IOMMU_IOAS_MAP :
						       VFIO_IOMMU_MAP_DMA;
}

static unsigned long unmap_req(const struct world *w)
{
	return w->backend == VFIODEV_BACKEND_IOMMUFD ? IOMMU_IOAS_UNMAP :
						       VFIO_IOMMU_UNMAP_DMA;
}

static int live_mappings(void)
{
	struct fake_live l;

	fake_live(&l);
	return l.mappings;
}

#define RW (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)

/* ---- both backends ----------------------------------------------------- */

static void map_at_fixed_iova_then_unmap(void **state)
{
	struct world *w = *state;
	uint64_t iova = 0;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 2 * PG, RW, 0x100000), 0);
	assert_int_equal(live_mappings(), 1);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf + 0x1234, &iova), 0);
	assert_int_equal(iova, 0x101234);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x100000, 2 * PG), 0);
	assert_int_equal(live_mappings(), 0);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf, &iova), -ENOENT);
}

static void map_any_picks_lowest_free_iova_but_never_page_zero(void **state)
{
	struct world *w = *state;
	uint64_t iova = 0;

	open_dev(w);
	/* the ranges start at 0: the first IOVA handed out is page 1 */
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf, PG, RW, NULL, &iova),
			 0);
	assert_int_equal(iova, PG);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + PG, PG, RW,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, 2 * PG);
}

static void map_any_skips_existing_mappings(void **state)
{
	struct world *w = *state;
	uint64_t iova = 0;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 2 * PG, RW, PG), 0);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf + 2 * PG, PG, RW, 5 * PG),
			 0);
	/* the hole 3..4 fits two pages; a third page goes after page 5 */
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + 4 * PG, 2 * PG,
					     RW, NULL, &iova),
			 0);
	assert_int_equal(iova, 3 * PG);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + 6 * PG, PG, RW,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, 6 * PG);
	assert_int_equal(live_mappings(), 4);
}

static void map_overlapping_an_existing_mapping_is_eexist(void **state)
{
	struct world *w = *state;
	unsigned int calls;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 2 * PG, RW, 0x100000), 0);
	calls = fake_ioctl_count(map_req(w));
	assert_int_equal(vfiodev_dma_map(w->space, w->buf + 2 * PG, 2 * PG, RW,
					 0x101000),
			 -EEXIST);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf + 2 * PG, 2 * PG, RW,
					 0xff000),
			 -EEXIST);
	/* refused by the library, before the kernel */
	assert_int_equal(fake_ioctl_count(map_req(w)), calls);
	assert_true(fake_log_has(LOG_ERR, "overlaps an existing mapping"));
	assert_int_equal(live_mappings(), 1);
}

static void map_misaligned_buffer_length_or_iova_is_einval(void **state)
{
	struct world *w = *state;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf + 1, PG, RW, 0x100000),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG + 1, RW, 0x100000),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 0, RW, 0x100000),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x100800),
			 -EINVAL);
	assert_int_equal(fake_ioctl_count(map_req(w)), 0);
	assert_true(fake_log_has(LOG_ERR, "not page-aligned"));
}

static void map_outside_the_iova_ranges_is_einval(void **state)
{
	struct world *w = *state;

	open_dev(w);
	/* the default ranges leave out the x86 MSI window at 0xfee00000 */
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0xfee00000ull),
			 -EINVAL);
	/* straddling the end of the first range */
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 2 * PG, RW, 0xfedff000ull),
			 -EINVAL);
	/* past the last range (48 bits), and wrapping around 2^64 */
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 1ull << 48),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 2 * PG, RW,
					 UINT64_MAX - PG + 1),
			 -EINVAL);
	assert_int_equal(fake_ioctl_count(map_req(w)), 0);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0xfef00000ull),
			 0);
}

static void map_with_bad_flags_is_einval(void **state)
{
	struct world *w = *state;
	uint64_t iova;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, 0, 0x100000),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, 4, 0x100000),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf, PG, RW | 8, NULL,
					     &iova),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf, PG, RW, NULL, NULL),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(NULL, w->buf, PG, RW, 0x100000), -EINVAL);
	assert_int_equal(fake_ioctl_count(map_req(w)), 0);
	/* read-only and write-only are both fine */
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, VFIODEV_DMA_READ,
					 0x100000),
			 0);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf + PG, PG,
					 VFIODEV_DMA_WRITE, 0x200000),
			 0);
}

static void unmap_of_unknown_mapping_is_enoent(void **state)
{
	struct world *w = *state;

	open_dev(w);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x100000, PG), -ENOENT);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, 2 * PG, RW, 0x100000), 0);
	/* the length must be the mapped one; a part is not a mapping */
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x100000, PG), -ENOENT);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x101000, PG), -ENOENT);
	assert_int_equal(fake_ioctl_count(unmap_req(w)), 0);
	assert_true(fake_log_has(LOG_ERR, "no mapping at IOVA 0x100000"));
	assert_int_equal(live_mappings(), 1);
}

static void unmap_all_removes_every_mapping(void **state)
{
	struct world *w = *state;
	uint64_t iova;

	open_dev(w);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + i * PG,
						     PG, RW, NULL, &iova),
				 0);
	assert_int_equal(live_mappings(), 5);
	assert_int_equal(vfiodev_dma_unmap_all(w->space), 0);
	assert_int_equal(live_mappings(), 0);
	assert_int_equal(fake_ioctl_count(unmap_req(w)), 5);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf, &iova), -ENOENT);
	assert_int_equal(vfiodev_dma_unmap_all(w->space), 0);
	assert_int_equal(vfiodev_dma_unmap_all(NULL), -EINVAL);
}

static void translate_inside_at_the_edges_and_outside(void **state)
{
	struct world *w = *state;
	uint64_t iova = 0;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf + 4 * PG, 2 * PG, RW,
					 0x200000),
			 0);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf + 4 * PG, &iova), 0);
	assert_int_equal(iova, 0x200000);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf + 6 * PG - 1, &iova),
			 0);
	assert_int_equal(iova, 0x200000 + 2 * PG - 1);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf + 6 * PG, &iova),
			 -ENOENT);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf + 4 * PG - 1, &iova),
			 -ENOENT);
	assert_int_equal(vfiodev_dma_translate(w->space, NULL, &iova), -ENOENT);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf, NULL), -EINVAL);
	assert_int_equal(vfiodev_dma_translate(NULL, w->buf, &iova), -EINVAL);
}

static void translate_finds_each_of_many_mappings(void **state)
{
	struct world *w = *state;
	uint64_t iova;

	open_dev(w);
	/* inserted in descending address order, at scattered IOVAs */
	for (int i = 15; i >= 0; i--)
		assert_int_equal(vfiodev_dma_map(w->space, w->buf + 2 * i * PG,
						 PG, RW,
						 0x1000000 + (uint64_t)(15 - i) *
								     0x10000),
				 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(vfiodev_dma_translate(w->space,
						       w->buf + 2 * i * PG + 8,
						       &iova),
				 0);
		assert_int_equal(iova, 0x1000000 + (uint64_t)(15 - i) * 0x10000 + 8);
		/* the unmapped page between two mappings */
		assert_int_equal(vfiodev_dma_translate(w->space,
						       w->buf + (2 * i + 1) * PG,
						       &iova),
				 -ENOENT);
	}
}

static void iova_ranges_are_exposed(void **state)
{
	struct world *w = *state;
	struct vfiodev_iova_range r[4] = { { 0, 0 } };

	open_dev(w);
	assert_int_equal(vfiodev_space_iova_ranges(w->space, r, 4), 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, 0xfedfffffull);
	assert_int_equal(r[1].start, 0xfef00000ull);
	assert_int_equal(r[1].last, 0xffffffffffffull);
	/* a short array gets what fits; the count says how many there are */
	memset(r, 0, sizeof(r));
	assert_int_equal(vfiodev_space_iova_ranges(w->space, r, 1), 2);
	assert_int_equal(r[0].last, 0xfedfffffull);
	assert_int_equal(r[1].last, 0);
	assert_int_equal(vfiodev_space_iova_ranges(w->space, NULL, 0), 2);
	assert_int_equal(vfiodev_space_iova_ranges(w->space, NULL, 1), -EINVAL);
}

static void kernel_map_error_is_returned_and_not_recorded(void **state)
{
	struct world *w = *state;
	uint64_t iova;

	open_dev(w);
	fake_fail_ioctl(map_req(w), ENOMEM, 0);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x100000),
			 -ENOMEM);
	assert_true(fake_log_has(LOG_ERR, "RLIMIT_MEMLOCK"));
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf, &iova), -ENOENT);
	fake_fail_ioctl(map_req(w), 0, 0);
	/* the failed IOVA is free to use again */
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x100000), 0);
}

static void kernel_unmap_error_keeps_the_mapping(void **state)
{
	struct world *w = *state;
	uint64_t iova;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x100000), 0);
	fake_fail_ioctl(unmap_req(w), EIO, 0);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x100000, PG), -EIO);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf, &iova), 0);
	fake_fail_ioctl(unmap_req(w), 0, 0);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x100000, PG), 0);
	assert_int_equal(live_mappings(), 0);
}

static void
unmap_all_reports_the_first_error_and_keeps_what_the_kernel_kept(void **state)
{
	struct world *w = *state;
	uint64_t iova;

	open_dev(w);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + i * PG,
						     PG, RW, NULL, &iova),
				 0);
	fake_fail_ioctl(unmap_req(w), EIO, 1);
	assert_int_equal(vfiodev_dma_unmap_all(w->space), -EIO);
	fake_fail_ioctl(unmap_req(w), 0, 0);
	/* the record stays what the kernel has: the first went, the two the
	 * kernel refused stay, so no later map_any collides with them */
	assert_int_equal(live_mappings(), 2);
	assert_int_equal(vfiodev_dma_translate(w->space, w->buf, &iova), -ENOENT);
	for (int i = 1; i < 3; i++)
		assert_int_equal(vfiodev_dma_translate(w->space,
						       w->buf + i * PG, &iova),
				 0);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + 3 * PG, PG, RW,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, PG); /* the freed page, not a kept one */
	assert_int_equal(vfiodev_dma_unmap_all(w->space), 0);
	assert_int_equal(live_mappings(), 0);
}

static void space_release_unmaps_and_destroys_the_kernel_object(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct world *w = *state;
	struct vfiodev_space *space;
	struct fake_implicit imp;
	struct fake_live l;

	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	opts.space = space;
	opts.backend = w->backend;
	w->dev = fixture_open(BDF, &opts);
	assert_int_equal(vfiodev_dma_map(space, w->buf, PG, RW, 0x100000), 0);
	vfiodev_device_close(w->dev);
	w->dev = NULL;
	/* the caller's reference keeps the space and its mappings; on the
	 * container path the group left and the container closed with the
	 * last device: the mapping lives on in the record only */
	assert_int_equal(live_mappings(),
			 w->backend == VFIODEV_BACKEND_CONTAINER ? 0 : 1);
	assert_int_equal(vfiodev_space_backend(space), w->backend);
	assert_int_equal(vfiodev_space_unref(space), NULL);
	fake_live(&l);
	assert_int_equal(l.mappings, 0);
	assert_int_equal(l.ioas, 0);
	assert_int_equal(l.containers, 0);
	assert_int_equal(l.groups_in_container, 0);
	fake_implicit(&imp);
	assert_int_equal(imp.ioas_destroys, 0);
	assert_int_equal(imp.group_unsets, 0);
}

struct translator {
	struct vfiodev_space *space;
	const uint8_t *va;
	uint64_t want;
	bool stop;
	unsigned long lookups, wrong;
};

static void *translate_loop(void *arg)
{
	struct translator *t = arg;
	uint64_t iova;

	while (!__atomic_load_n(&t->stop, __ATOMIC_RELAXED)) {
		if (vfiodev_dma_translate(t->space, t->va + 100, &iova) ||
		    iova != t->want + 100)
			__atomic_add_fetch(&t->wrong, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->lookups, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* DESIGN.md: translate is the hot path and safe against writers; the
 * table grows (realloc) while the reader runs, which ASan would catch */
static void translate_stays_right_while_another_thread_maps(void **state)
{
	struct world *w = *state;
	struct translator t = { 0 };
	unsigned long before;
	pthread_t th;

	open_dev(w);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x40000000), 0);
	t.space = w->space;
	t.va = w->buf;
	t.want = 0x40000000;
	assert_int_equal(pthread_create(&th, NULL, translate_loop, &t), 0);
	/* the reader must be running while the table changes: wait for it,
	 * and go on until it has looked up many times during the churn */
	while (!__atomic_load_n(&t.lookups, __ATOMIC_RELAXED))
		sched_yield();
	before = __atomic_load_n(&t.lookups, __ATOMIC_RELAXED);
	for (int round = 0; round < 2000; round++) {
		uint64_t iova[NPAGES];

		for (int i = 1; i < NPAGES; i++)
			assert_int_equal(vfiodev_dma_map_any(w->space,
							     w->buf + i * PG, PG,
							     RW, NULL, &iova[i]),
					 0);
		for (int i = 1; i < NPAGES; i++)
			assert_int_equal(vfiodev_dma_unmap(w->space, iova[i], PG),
					 0);
		if (round >= 20 &&
		    __atomic_load_n(&t.lookups, __ATOMIC_RELAXED) - before > 10000)
			break;
	}
	__atomic_store_n(&t.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	assert_true(t.lookups - before > 0);
	assert_int_equal(t.wrong, 0);
}

/* ---- one backend ------------------------------------------------------- */

static void map_any_stays_inside_the_ranges_and_reports_enospc(void **state)
{
	struct world *w = *state;
	uint64_t iova = 0;

	fake_cfg.nr_ioas_ranges = fake_cfg.nr_type1_ranges = 2;
	fake_cfg.ioas_ranges[0] = fake_cfg.type1_ranges[0] =
		(struct vfiodev_iova_range){ 0x10000, 0x1ffff };
	fake_cfg.ioas_ranges[1] = fake_cfg.type1_ranges[1] =
		(struct vfiodev_iova_range){ 0x40000, 0x5ffff };
	open_dev(w);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf, 16 * PG, RW,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, 0x10000);
	/* the first range is full: the next one */
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + 16 * PG, PG, RW,
					     NULL, &iova),
			 0);
	assert_int_equal(iova, 0x40000);
	/* larger than what is left anywhere */
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf + 17 * PG,
					     32 * PG, RW, NULL, &iova),
			 -ENOSPC);
	assert_true(fake_log_has(LOG_ERR, "no free IOVA range"));
	assert_int_equal(live_mappings(), 2);
}

static void iommufd_ranges_follow_the_emsgsize_protocol(void **state)
{
	struct world *w = *state;
	struct vfiodev_iova_range r[8];

	/* more ranges than the library's first guess of four */
	fake_cfg.nr_ioas_ranges = 6;
	for (int i = 0; i < 6; i++)
		fake_cfg.ioas_ranges[i] = (struct vfiodev_iova_range){
			(uint64_t)(i + 1) << 32, ((uint64_t)(i + 1) << 32) + 0xffffff
		};
	open_dev(w);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_IOVA_RANGES), 2);
	assert_int_equal(vfiodev_space_iova_ranges(w->space, r, 8), 6);
	assert_int_equal(r[5].start, 6ull << 32);
	assert_int_equal(r[5].last, (6ull << 32) + 0xffffff);
}

static void iommufd_ranges_protocol_violation_is_eproto(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	(void)state;
	fake_cfg.nr_ioas_ranges = 6;
	fake_cfg.ranges_lie = true; /* EMSGSIZE, but no bigger count */
	opts.backend = VFIODEV_BACKEND_IOMMUFD;
	assert_int_equal(fixture_open_err(BDF, &opts), -EPROTO);
}

static void type1_ranges_come_from_the_info_capability(void **state)
{
	struct world *w = *state;
	struct vfiodev_iova_range r[2];

	fake_cfg.nr_type1_ranges = 1;
	fake_cfg.type1_ranges[0] =
		(struct vfiodev_iova_range){ 0x1000000, 0x1ffffff };
	open_dev(w);
	/* the capability sits behind another one in the chain */
	assert_int_equal(vfiodev_space_iova_ranges(w->space, r, 2), 1);
	assert_int_equal(r[0].start, 0x1000000);
	assert_int_equal(r[0].last, 0x1ffffff);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x100000),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map(w->space, w->buf, PG, RW, 0x1000000), 0);
	/* the info was read once, with room for the capabilities (issue 19:
	 * it was sent twice, to learn the size, then to read) */
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_GET_INFO), 1);
}

static void type1_without_iova_capability_allows_everything(void **state)
{
	struct world *w = *state;
	struct vfiodev_iova_range r[2];
	uint64_t iova;

	fake_cfg.type1_iova_cap = false; /* kernels before 5.4 */
	open_dev(w);
	assert_int_equal(vfiodev_space_iova_ranges(w->space, r, 2), 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);
	assert_int_equal(vfiodev_dma_map_any(w->space, w->buf, PG, RW, NULL, &iova),
			 0);
	assert_int_equal(iova, PG);
}

static void space_without_device_records_maps_in_provisional_ranges(void **state)
{
	struct vfiodev_space *space;
	struct vfiodev_iova_range r[4];
	uint8_t *buf = ((struct world *)*state)->buf;
	uint64_t iova;

	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	assert_int_equal(vfiodev_space_backend(space), VFIODEV_BACKEND_AUTO);
	assert_true(vfiodev_space_ranges_provisional(space));
	/* everything but the x86 interrupt window */
	assert_int_equal(vfiodev_space_iova_ranges(space, r, 4), 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, 0xfedfffffull);
	assert_int_equal(r[1].start, 0xfef00000ull);
	assert_int_equal(r[1].last, UINT64_MAX);
	assert_int_equal(vfiodev_dma_map(space, buf, PG, RW, 0xfee00000ull),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "outside the provisional IOVA ranges"));
	assert_int_equal(vfiodev_dma_map(space, buf, PG, RW, 0x100000), 0);
	assert_int_equal(vfiodev_dma_map_any(space, buf + PG, PG, RW, NULL, &iova),
			 0);
	assert_int_equal(iova, PG);
	/* recorded, not in any kernel object */
	assert_int_equal(live_mappings(), 0);
	assert_int_equal(vfiodev_dma_translate(space, buf + PG, &iova), 0);
	assert_int_equal(iova, PG);
	assert_int_equal(vfiodev_space_iommufd(space, NULL), -ENODEV);
	assert_int_equal(vfiodev_space_container_fd(space), -ENODEV);
	assert_int_equal(vfiodev_dma_unmap(space, 0x100000, PG), 0);
	assert_int_equal(vfiodev_dma_unmap_all(space), 0);
	assert_int_equal(vfiodev_dma_translate(space, buf + PG, &iova), -ENOENT);
	vfiodev_space_unref(space);
}

/* what a second device's join told the space (its IOMMU's 64 KiB page, a
 * reserved region at 2 MiB) holds only while it is joined: a failed join
 * or a leave gives it back, as the kernel recomputes both */
static void second_device_narrows(bool narrow)
{
	static const struct vfiodev_iova_range wide[] = {
		{ 0, 0xfedfffffull },
		{ 0xfef00000ull, 0xffffffffffffull },
	};
	static const struct vfiodev_iova_range hole[] = {
		{ 0, 0x1fffffull },
		{ 0x300000ull, 0xfedfffffull },
		{ 0xfef00000ull, 0xffffffffffffull },
	};
	const struct vfiodev_iova_range *r = narrow ? hole : wide;
	size_t n = narrow ? ARRAY_SIZE(hole) : ARRAY_SIZE(wide);

	memcpy(fake_cfg.ioas_ranges, r, n * sizeof(*r));
	fake_cfg.nr_ioas_ranges = n;
	memcpy(fake_cfg.type1_ranges, r, n * sizeof(*r));
	fake_cfg.nr_type1_ranges = n;
	fake_cfg.ioas_alignment = narrow ? 0x10000 : PG;
	fake_cfg.type1_pgsizes = narrow ? 0x10000 | 0x200000 : PG | 0x200000;
}

static void a_device_gives_back_its_limits_when_its_join_fails_or_it_leaves(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct world *w = *state;
	struct vfiodev_device *b = NULL;
	/* 64 KiB inside the buffer, 64 KiB-aligned */
	uint8_t *buf =
		(uint8_t *)(((uintptr_t)w->buf + 0xffff) & ~(uintptr_t)0xffff);
	unsigned long late = w->backend == VFIODEV_BACKEND_IOMMUFD ?
				     IOMMU_IOAS_IOVA_RANGES :
				     VFIO_GROUP_GET_DEVICE_FD;

	second_device_narrows(false);
	open_dev(w);
	fake_std_device("0000:00:04.0", 6, 1);
	opts.backend = w->backend;
	opts.space = w->space;
	/* the second device's join fails after the kernel took it in (the
	 * container: its group joined, then no device fd; iommufd: attached,
	 * then its ranges unreadable); the kernel forgets what it brought */
	second_device_narrows(true);
	fake_fail_ioctl(late, EIO, 0);
	assert_int_equal(fixture_open_err("0000:00:04.0", &opts), -EIO);
	fake_fail_ioctl(late, 0, 0);
	second_device_narrows(false);
	/* a 4 KiB map at 2 MiB: the kernel and the first device take it */
	assert_int_equal(vfiodev_dma_map(w->space, buf, PG, RW, 0x200000), 0);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x200000, PG), 0);
	/* joined, it narrows the space: 64 KiB pages, a hole at 2 MiB */
	second_device_narrows(true);
	b = fixture_open("0000:00:04.0", &opts);
	assert_int_equal(vfiodev_dma_map(w->space, buf, PG, RW, 0x400000), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "not page-aligned (0x10000)"));
	assert_int_equal(vfiodev_dma_map(w->space, buf, 0x10000, RW, 0x200000),
			 -EINVAL);
	/* gone (the kernel recomputes as it detaches), it gives both back */
	second_device_narrows(false);
	vfiodev_device_close(b);
	assert_int_equal(vfiodev_dma_map(w->space, buf, PG, RW, 0x200000), 0);
	assert_int_equal(vfiodev_dma_unmap(w->space, 0x200000, PG), 0);
}

/* the reserved spans between many IOVA ranges: the tree reserves nodes in
 * proportion to them (200 ranges reserved 40,804 nodes, 40 MiB, before),
 * and a kernel's absurd list is cut at VFD_IOVA_RANGES_MAX with a line */
static void many_iova_ranges_cost_memory_in_proportion(void **state)
{
	enum { N = 4096 };
	struct vfiodev_iova_range *r = calloc(N, sizeof(*r));
	struct vfiodev_space *sp;
	size_t bytes;

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < N; i++)
		r[i] = (struct vfiodev_iova_range){ 0x100000 + i * 0x2000,
						    0x100000 + i * 0x2000 + 0xfff };
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
	assert_int_equal(vfd_space_set_ranges(sp, r, 200), 0);
	assert_int_equal(vfiodev_space_iova_ranges(sp, NULL, 0), 200);
	bytes = vfd_space_record_bytes(sp);
	print_message("200 ranges: %zu bytes of record\n", bytes);
	assert_true(bytes < 256 * 1024);
	assert_int_equal(vfd_space_set_ranges(sp, r, N), 0);
	assert_int_equal(vfiodev_space_iova_ranges(sp, NULL, 0),
			 VFD_IOVA_RANGES_MAX);
	assert_true(fake_log_has(LOG_WARNING,
				 "reports 4096 IOVA ranges; the space uses the first 256"));
	assert_true(vfd_space_record_bytes(sp) < 256 * 1024);
	vfiodev_space_unref(sp);
	free(r);
}

/* a space with a device's x86 IOVA ranges (the MSI window and everything
 * above 2^48 reserved: two spans above every mapping) keeps at most 64
 * bytes of record per one-page mapping at 65,536, built by lowest fit or
 * at fixed IOVAs in random order (the tree's leaves stayed half full below
 * the reserved spans: 82.5 and 69.1 bytes per mapping before) */
static void joined_space_record_is_small_in_any_order(void **state)
{
	static const struct vfiodev_iova_range x86[] = {
		{ 0, 0xfedfffffull },
		{ 0xfef00000ull, (1ull << 48) - 1 },
	};
	enum { N = 65536 };
	static uint32_t perm[N];
	uint8_t *arena = mmap(NULL, (N + 1) * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	assert_true(arena != MAP_FAILED);
	for (uint32_t k = 0; k < N; k++)
		perm[k] = k + 1;
	for (uint32_t k = N; k > 1; k--) {
		uint32_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (uint32_t)(x % k);
		t = perm[k - 1];
		perm[k - 1] = perm[j];
		perm[j] = t;
	}
	for (int fixed = 0; fixed < 2; fixed++) {
		struct vfiodev_space *sp;
		double per;

		assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &sp), 0);
		assert_int_equal(vfd_space_set_ranges(sp, x86, 2), 0);
		for (uint32_t k = 0; k < N; k++) {
			void *va = arena + (size_t)perm[k] * PG;
			uint64_t iova;

			if (fixed)
				assert_int_equal(vfiodev_dma_map(sp, va, PG, RW,
								 2 * perm[k] * PG),
						 0);
			else
				assert_int_equal(vfiodev_dma_map_any(sp, va, PG, RW,
								     NULL, &iova),
						 0);
		}
		per = (double)vfd_space_record_bytes(sp) / N;
		print_message("%s: %.1f bytes per mapping\n",
			      fixed ? "fixed IOVAs, random order" : "map_any", per);
		assert_true(per <= 64);
		assert_int_equal(vfiodev_dma_unmap_all(sp), 0);
		vfiodev_space_unref(sp);
	}
	munmap(arena, (N + 1) * PG);
}

static void space_refcount_and_arguments(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, opts);
	struct {
		struct vfiodev_space_opts o;
		uint32_t newer;
	} big = { .o.sz = sizeof(big), .newer = 1 };
	struct vfiodev_space *space = NULL;

	(void)state;
	assert_null(vfiodev_space_ref(NULL));
	assert_null(vfiodev_space_unref(NULL));
	assert_int_equal(vfiodev_space_backend(NULL), VFIODEV_BACKEND_AUTO);
	assert_int_equal(vfiodev_space_new(NULL, NULL, &space), -EINVAL);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, NULL), -EINVAL);
	opts.backend = (enum vfiodev_backend)9;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &opts, &space), -EINVAL);
	assert_int_equal(vfiodev_space_new(fake_ctx(), &big.o, &space), -EINVAL);
	assert_null(space);

	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	assert_ptr_equal(vfiodev_space_ref(space), space);
	assert_int_equal(space->refcount, 2);
	assert_null(vfiodev_space_unref(space));
	assert_int_equal(space->refcount, 1);
	/* the space holds the context: it outlives the caller's reference */
	assert_int_equal(space->ctx->refcount, 2);
	assert_null(vfiodev_space_unref(space));
}

/* the backend goes into the name, so a failure says which one */
/* review: a container torn down after a failed first join left its
 * ranges behind, so an empty space reported IOVA ranges */
static void failed_first_container_join_leaves_the_space_empty(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	struct vfiodev_space *space;

	(void)state;
	fake_std_device(BDF, 5, -1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	opts.space = space;
	opts.backend = VFIODEV_BACKEND_CONTAINER;
	fake_fail_ioctl(VFIO_GROUP_GET_DEVICE_FD, EIO, 0);
	assert_int_equal(fixture_open_err(BDF, &opts), -EIO);
	/* provisional again: everything less the x86 interrupt window */
	assert_true(vfiodev_space_ranges_provisional(space));
	assert_int_equal(vfiodev_space_iova_ranges(space, NULL, 0), 2);
	assert_int_equal(vfiodev_space_backend(space), VFIODEV_BACKEND_AUTO);
	vfiodev_space_unref(space);
}

/* output structs can grow: each ends in a reserved tail the library
 * writes as zero, whatever the caller's memory held (none had room
 * before) */
static void iova_ranges_have_a_reserved_tail_written_as_zero(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_iova_range rr[2];

	(void)state;
	fake_std_device(BDF, 5, 0);
	dev = fixture_open(BDF, NULL);
	memset(rr, 0xff, sizeof(rr));
	assert_true(vfiodev_space_iova_ranges(vfiodev_device_space(dev), rr, 2) > 0);
	assert_true(fixture_all_zero(rr[0].reserved, sizeof(rr[0].reserved)));
	vfiodev_device_close(dev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

#define IOMMUFD(f)                                                             \
	{                                                                      \
#f "__iommufd", f, dma_setup, dma_teardown, &iommufd_world     \
	}
#define CONTAINER(f)                                                           \
	{                                                                      \
#f "__container", f, dma_setup, dma_teardown, &container_world \
	}
#define BOTH(f) IOMMUFD(f), CONTAINER(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(map_at_fixed_iova_then_unmap),
		BOTH(map_any_picks_lowest_free_iova_but_never_page_zero),
		BOTH(map_any_skips_existing_mappings),
		BOTH(map_overlapping_an_existing_mapping_is_eexist),
		BOTH(map_misaligned_buffer_length_or_iova_is_einval),
		BOTH(map_outside_the_iova_ranges_is_einval),
		BOTH(map_with_bad_flags_is_einval),
		BOTH(unmap_of_unknown_mapping_is_enoent),
		BOTH(unmap_all_removes_every_mapping),
		BOTH(translate_inside_at_the_edges_and_outside),
		BOTH(translate_finds_each_of_many_mappings),
		BOTH(iova_ranges_are_exposed),
		BOTH(kernel_map_error_is_returned_and_not_recorded),
		BOTH(kernel_unmap_error_keeps_the_mapping),
		BOTH(unmap_all_reports_the_first_error_and_keeps_what_the_kernel_kept),
		BOTH(space_release_unmaps_and_destroys_the_kernel_object),
		BOTH(translate_stays_right_while_another_thread_maps),
		BOTH(map_any_stays_inside_the_ranges_and_reports_enospc),
		BOTH(a_device_gives_back_its_limits_when_its_join_fails_or_it_leaves),
		IOMMUFD(iommufd_ranges_follow_the_emsgsize_protocol),
		IOMMUFD(iommufd_ranges_protocol_violation_is_eproto),
		CONTAINER(type1_ranges_come_from_the_info_capability),
		CONTAINER(type1_without_iova_capability_allows_everything),
		IOMMUFD(space_without_device_records_maps_in_provisional_ranges),
		IOMMUFD(many_iova_ranges_cost_memory_in_proportion),
		IOMMUFD(joined_space_record_is_small_in_any_order),
		IOMMUFD(space_refcount_and_arguments),
		T(failed_first_container_join_leaves_the_space_empty),
		T(iova_ranges_have_a_reserved_tail_written_as_zero),
	};

	return cmocka_run_group_tests_name("space", tests, NULL, NULL);
}
