// SPDX-License-Identifier: MIT
/*
 * lib/dma_p2p.c: a device's BAR mapped into a space for peer-to-peer DMA
 * (vfiodev_dma_map_region(): a dma-buf and IOMMU_IOAS_MAP_FILE on iommufd,
 * the library's mmap by address on the container path), revocation, the
 * order of teardown, and vfiodev_dma_map_file() of dma-bufs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define EDU "0000:00:03.0"
#define SHM "0000:00:04.0"
#define PG 4096ul
#define BAR2 2u
#define BAR_SIZE (4ul << 20)
#define RW (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)

static struct fake_pci *shm_pci;

/* an edu to DMA and a device with a 4 MiB mmappable BAR2 to DMA into */
static void two_devices(void)
{
	fake_std_device(EDU, 5, 0);
	shm_pci = fake_std_device(SHM, 6, 1);
	shm_pci->regions[BAR2].flags = VFIO_REGION_INFO_FLAG_READ |
				       VFIO_REGION_INFO_FLAG_WRITE |
				       VFIO_REGION_INFO_FLAG_MMAP;
	shm_pci->regions[BAR2].size = BAR_SIZE;
}

/* Linux 6.19+: both devices on iommufd, the edu's space, dma-bufs taken */
static struct vfiodev_space *dma_buf_world(struct vfiodev_device **edu,
					   struct vfiodev_device **shm)
{
	fake_cfg.map_file = fake_cfg.dma_buf = fake_cfg.map_file_dmabuf = true;
	two_devices();
	*edu = fixture_open_into(EDU, NULL, VFIODEV_BACKEND_IOMMUFD);
	*shm = fixture_open_into(SHM, NULL, VFIODEV_BACKEND_IOMMUFD);
	return vfiodev_device_space(*edu);
}

static int live_dma_bufs(void)
{
	struct fake_live l;

	fake_live(&l);
	return l.dma_bufs;
}

static int live_mmaps(void)
{
	struct fake_live l;

	fake_live(&l);
	return l.mmaps;
}

/* ---- iommufd: a dma-buf mapped from the file -------------------------- */

static void iommufd_maps_a_bar_range_as_a_dma_buf(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, got;
	int all, mmaps;
	uint8_t *va;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	mmaps = live_mmaps();
	/* 1 MiB at 1 MiB: the range's physical address is 1 MiB-aligned */
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 1ul << 20,
						1ul << 20, RW, NULL,
						(void **)&va, &iova),
			 0);
	assert_int_equal(shm_pci->dma_bufs, 1);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 1);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 0);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 0);
	assert_int_equal(all, 1);
	/* the IOVA aligned as the range, the CPU's mapping congruent to it */
	assert_int_equal(iova & ((1ul << 20) - 1), 0);
	assert_int_equal((uintptr_t)va & ((1ul << 20) - 1), 0);
	assert_int_equal(vfiodev_dma_translate(space, va + PG + 8, &got), 0);
	assert_int_equal(got, iova + PG + 8);
	/* the IOAS holds the buffer: the library keeps no fd of it */
	assert_int_equal(live_dma_bufs(), 0);
	assert_int_equal(live_mmaps(), mmaps + 1);
	/* the unmap: the IOAS mapping, then the mmap */
	assert_int_equal(vfiodev_dma_unmap(space, iova, 1ul << 20), 0);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 0);
	assert_int_equal(all, 0);
	assert_int_equal(live_dma_bufs(), 0);
	assert_int_equal(live_mmaps(), mmaps);
	assert_int_equal(vfiodev_dma_translate(space, va, &got), -ENOENT);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

static void a_whole_bar_gets_an_iova_aligned_like_it(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, small;
	void *va, *va2;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	/* a page first, so the lowest fit is not aligned by chance */
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va2, &small),
			 0);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, BAR_SIZE,
						RW, NULL, &va, &iova),
			 0);
	assert_int_equal(iova & (BAR_SIZE - 1), 0);
	assert_int_equal((uintptr_t)va & (BAR_SIZE - 1), 0);
	assert_true(iova > small);
	assert_int_equal(shm_pci->dma_bufs, 2);
	/* unmapped at the space's teardown, in order: nothing is left */
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
	assert_int_equal(live_dma_bufs(), 0);
}

static void iommufd_without_dma_buf_says_what_the_kernel_lacks(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova = 0;
	void *va = NULL;
	int mmaps;

	(void)state;
	fake_cfg.map_file = true;
	fake_cfg.dma_buf = false; /* Linux 6.12: ENOTTY */
	two_devices();
	edu = fixture_open_into(EDU, NULL, VFIODEV_BACKEND_IOMMUFD);
	shm = fixture_open_into(SHM, NULL, VFIODEV_BACKEND_IOMMUFD);
	space = vfiodev_device_space(edu);
	mmaps = live_mmaps();
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "Linux 6.19+"));
	assert_true(fake_log_has(LOG_ERR, "container path"));
	assert_null(va);
	assert_int_equal(live_mmaps(), mmaps);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 0);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

static void a_failed_map_file_leaves_no_dma_buf_or_mmap(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova;
	void *va;
	int mmaps;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	mmaps = live_mmaps();
	fake_fail_ioctl(IOMMU_IOAS_MAP_FILE, ENOMEM, 0);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 -ENOMEM);
	fake_fail_ioctl(IOMMU_IOAS_MAP_FILE, 0, 0);
	assert_int_equal(shm_pci->dma_bufs, 1);
	assert_int_equal(live_dma_bufs(), 0);
	assert_int_equal(live_mmaps(), mmaps);
	/* and the space took nothing: the same range maps at once */
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 0);
	assert_int_equal(vfiodev_dma_unmap_vaddr(space, va), 0);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

/* ---- revocation ---------------------------------------------------------- */

static void a_reset_revokes_the_mapping_which_unmaps_as_usual(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, iova2;
	void *va, *va2;
	int all;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, 2 * PG, RW,
						NULL, &va, &iova),
			 0);
	assert_int_equal(vfiodev_device_reset(shm), 0);
	/* the IOAS still holds the area, but nothing behind it */
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 1);
	assert_int_equal(all, 1);
	/* the record too: the IOVA stays taken until the caller unmaps */
	assert_int_equal(vfiodev_dma_translate(space, va, &iova2), 0);
	assert_int_equal(iova2, iova);
	assert_int_equal(vfiodev_dma_unmap(space, iova, 2 * PG), 0);
	assert_int_equal(live_dma_bufs(), 0);
	/* mapped again after the reset: a new buffer, reaching the BAR */
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, 2 * PG, RW,
						NULL, &va2, &iova2),
			 0);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 0);
	assert_int_equal(all, 1);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

static void closing_the_exporting_device_unmaps_its_bar(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	struct fake_live l;
	uint64_t iova, got;
	int mmaps;
	void *va;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	mmaps = live_mmaps();
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 0);
	/* the mapping's mmap would hold the device's file: its close takes
	 * the BAR out of the space first */
	fake_log_clear();
	vfiodev_device_close(shm);
	assert_true(fake_log_has(LOG_INFO, "left its space"));
	fake_live(&l);
	assert_int_equal(l.mappings, 0);
	assert_int_equal(live_mmaps(), mmaps);
	assert_int_equal(vfiodev_dma_translate(space, va, &got), -ENOENT);
	vfiodev_device_close(edu);
}

static void a_memory_decode_toggle_revokes_and_a_revoked_export_is_refused(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, iova2;
	uint32_t cmd;
	int all, mmaps;
	void *va, *va2;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	assert_int_equal(vfiodev_pci_config_write(shm, 4, 2, 0x6), 0);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 0);
	assert_int_equal(vfiodev_pci_config_read(shm, 4, 2, &cmd), 0);
	assert_int_equal(vfiodev_pci_config_write(shm, 4, 2, cmd & ~2u), 0);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 1);
	/* exported while decoding is off: born revoked, the map refused */
	mmaps = live_mmaps();
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, PG, PG, RW,
						NULL, &va2, &iova2),
			 -ENODEV);
	assert_true(fake_log_has(LOG_ERR, "the buffer is revoked"));
	assert_int_equal(live_mmaps(), mmaps);
	assert_int_equal(live_dma_bufs(), 0);
	/* decoding back: the old mapping stays dead, a new one lives */
	assert_int_equal(vfiodev_pci_config_write(shm, 4, 2, cmd), 0);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, PG, PG, RW,
						NULL, &va2, &iova2),
			 0);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 1);
	assert_int_equal(all, 2);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

static void a_container_space_takes_a_bar_before_its_first_device(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, got;
	void *va;

	(void)state;
	two_devices();
	shm = fixture_open_into(SHM, NULL, VFIODEV_BACKEND_CONTAINER);
	so.backend = VFIODEV_BACKEND_CONTAINER;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &space), 0);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, 2 * PG, RW,
						NULL, &va, &iova),
			 0);
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), 0);
	/* the first device's container gets it by address */
	o.space = space;
	o.backend = VFIODEV_BACKEND_CONTAINER;
	edu = fixture_open(EDU, &o);
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), 1);
	assert_int_equal(vfiodev_dma_translate(space, va, &got), 0);
	assert_int_equal(got, iova);
	vfiodev_space_unref(space);
	vfiodev_device_close(edu);
	vfiodev_device_close(shm);
}

static void teardown_without_unmap_closes_everything(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova;
	void *va;

	(void)state;
	fake_cfg.map_file = fake_cfg.dma_buf = fake_cfg.map_file_dmabuf = true;
	two_devices();
	edu = fixture_open_into(EDU, NULL, VFIODEV_BACKEND_IOMMUFD);
	shm = fixture_open_into(SHM, NULL, VFIODEV_BACKEND_IOMMUFD);
	space = vfiodev_space_ref(vfiodev_device_space(edu));
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 0);
	/* the space goes first (its last reference), then the device */
	vfiodev_device_close(edu);
	vfiodev_space_unref(space);
	assert_int_equal(live_mmaps(), 0);
	vfiodev_device_close(shm);
	/* fake_teardown checks the mmap, the IOAS and the fds went */
}

/* ---- the container path: by address ----------------------------------- */

static void the_container_path_maps_the_mmap_by_address(void **state)
{
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, got;
	struct fake_live l;
	uint8_t *va;

	(void)state;
	fake_cfg.dma_buf = true; /* there, but not needed */
	two_devices();
	edu = fixture_open_into(EDU, NULL, VFIODEV_BACKEND_CONTAINER);
	shm = fixture_open_into(SHM, NULL, VFIODEV_BACKEND_CONTAINER);
	space = vfiodev_device_space(edu);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 2ul << 20,
						2ul << 20, RW, NULL,
						(void **)&va, &iova),
			 0);
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), 1);
	assert_int_equal(shm_pci->dma_bufs, 0);
	assert_int_equal(iova & ((2ul << 20) - 1), 0);
	assert_int_equal((uintptr_t)va & ((2ul << 20) - 1), 0);
	assert_int_equal(vfiodev_dma_translate(space, va + 16, &got), 0);
	assert_int_equal(got, iova + 16);
	fake_live(&l);
	assert_int_equal(l.mappings, 1);
	assert_int_equal(vfiodev_dma_unmap_all(space), 0);
	fake_live(&l);
	assert_int_equal(l.mappings, 0);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

/* ---- refusals ---------------------------------------------------------- */

static void bad_ranges_and_spaces_are_refused_with_nothing_left(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space, *empty;
	struct vfiodev_ctx *other;
	uint64_t iova, got;
	int mmaps;
	void *va;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	mmaps = live_mmaps();
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_region(space, shm, VFIODEV_PCI_CONFIG_REGION,
						0, PG, RW, NULL, &va, &iova),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "only a present BAR"));
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0x800, PG, RW,
						NULL, &va, &iova),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, BAR_SIZE - PG,
						2 * PG, RW, NULL, &va, &iova),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, 0, RW,
						NULL, &va, &iova),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, 0,
						NULL, &va, &iova),
			 -EINVAL);
	/* a BAR the kernel offers no mmap of: the dma-buf needs none */
	shm_pci->regions[BAR2].flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 0);
	assert_true(fake_log_has(LOG_DEBUG, "a reserved address stands for it"));
	assert_int_equal(vfiodev_dma_translate(space, va, &got), 0);
	assert_int_equal(got, iova);
	assert_int_equal(vfiodev_dma_unmap(space, iova, PG), 0);
	/* a space without its kernel object: which path is not known */
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &empty), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_region(empty, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 -ENXIO);
	assert_true(fake_log_has(LOG_ERR, "no backend yet"));
	vfiodev_space_unref(empty);
	/* another context's device */
	other = fake_ctx_new();
	assert_int_equal(vfiodev_space_new(other, &so, &empty), 0);
	assert_int_equal(vfiodev_dma_map_region(empty, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 -EXDEV);
	vfiodev_space_unref(empty);
	vfiodev_ctx_unref(other);
	assert_int_equal(shm_pci->dma_bufs, 1);
	assert_int_equal(live_mmaps(), mmaps);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

static void a_bar_mapping_is_not_copied_between_spaces(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space, *other;
	uint64_t iova, iova2;
	void *va;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	so.backend = VFIODEV_BACKEND_IOMMUFD;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &other), 0);
	assert_int_equal(vfiodev_dma_map_region(space, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova),
			 0);
	fake_log_clear();
	assert_int_equal(vfiodev_dma_copy(other, space, iova, PG, RW, NULL, &iova2),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "vfiodev_dma_map_region()"));
	/* a space made with its backend takes the BAR itself */
	assert_int_equal(vfiodev_dma_map_region(other, shm, BAR2, 0, PG, RW,
						NULL, &va, &iova2),
			 0);
	assert_int_equal(shm_pci->dma_bufs, 2);
	vfiodev_space_unref(other);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

/* ---- map_file of a dma-buf ---------------------------------------------- */

static void map_file_takes_a_vfio_dma_buf_through_map_file(void **state)
{
	const struct vfiodev_dma_range r = { 0, 4 * PG };
	struct vfiodev_device *edu, *shm;
	struct vfiodev_space *space;
	uint64_t iova, got;
	int fd, all;
	void *va;

	(void)state;
	space = dma_buf_world(&edu, &shm);
	assert_int_equal(vfiodev_region_dma_buf(shm, BAR2, &r, 1, &fd), 0);
	assert_int_equal(vfiodev_dma_map_file(space, fd, PG, 2 * PG, RW, NULL,
					      &va, &iova),
			 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 1);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 0);
	assert_int_equal(all, 1);
	/* vfio-pci's buffer has no mmap: a reserved range stands for it */
	assert_int_equal(vfiodev_dma_translate(space, (char *)va + PG, &got), 0);
	assert_int_equal(got, iova + PG);
	assert_int_equal(vfiodev_dma_unmap_vaddr(space, va), 0);
	assert_int_equal(fake_ioas_dmabuf_maps(&all), 0);
	assert_int_equal(all, 0);
	/* the caller's fd stays the caller's */
	assert_int_equal(live_dma_bufs(), 1);
	/* no copy by address: a dma-buf has none */
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, RW, NULL, &va, &iova),
			 0);
	fake_log_clear();
	assert_int_equal(vfiodev_dma_copy(vfiodev_device_space(shm), space,
					  iova, PG, RW, NULL, &got),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "a dma-buf (no address"));
	/* and none into a space without a device (the kernel would check
	 * the buffer only at the attach) */
	{
		VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
		struct vfiodev_space *empty;

		so.backend = VFIODEV_BACKEND_IOMMUFD;
		assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &empty), 0);
		assert_int_equal(vfiodev_dma_map_file(empty, fd, 0, PG, RW,
						      NULL, &va, &iova),
				 -ENXIO);
		vfiodev_space_unref(empty);
	}
	close(fd);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

static void map_file_refuses_dma_bufs_where_the_kernel_or_path_cannot(void **state)
{
	const struct vfiodev_dma_range r = { 0, 4 * PG };
	struct vfiodev_device *edu, *shm, *ct;
	struct vfiodev_space *space;
	uint64_t iova;
	int fd, foreign, mmaps;
	void *va;

	(void)state;
	fake_cfg.map_file = fake_cfg.dma_buf = fake_cfg.map_file_dmabuf = true;
	two_devices();
	fake_std_device("0000:00:05.0", 7, 2);
	edu = fixture_open_into(EDU, NULL, VFIODEV_BACKEND_IOMMUFD);
	shm = fixture_open_into(SHM, NULL, VFIODEV_BACKEND_IOMMUFD);
	ct = fixture_open_into("0000:00:05.0", NULL, VFIODEV_BACKEND_CONTAINER);
	space = vfiodev_device_space(edu);
	assert_int_equal(vfiodev_region_dma_buf(shm, BAR2, &r, 1, &fd), 0);
	mmaps = live_mmaps();
	/* another exporter's buffer: Linux 6.19's iommufd says no */
	foreign = fake_dmabuf_foreign(4 * PG);
	assert_true(foreign >= 0);
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_file(space, foreign, 0, PG, RW, NULL,
					      &va, &iova),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "single-range dma-buf of vfio-pci"));
	/* past the buffer's end */
	assert_int_equal(vfiodev_dma_map_file(space, fd, 2 * PG, 4 * PG, RW,
					      NULL, &va, &iova),
			 -EINVAL);
	/* the container path maps addresses: no dma-buf */
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_file(vfiodev_device_space(ct), fd, 0,
					      PG, RW, NULL, &va, &iova),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "only through iommufd"));
	/* before Linux 6.19 MAP_FILE takes no dma-buf */
	fake_cfg.map_file_dmabuf = false;
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, RW, NULL, &va, &iova),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "before Linux 6.19"));
	assert_int_equal(live_mmaps(), mmaps);
	close(foreign);
	close(fd);
	vfiodev_device_close(ct);
	vfiodev_device_close(shm);
	vfiodev_device_close(edu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(iommufd_maps_a_bar_range_as_a_dma_buf,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(a_whole_bar_gets_an_iova_aligned_like_it,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(iommufd_without_dma_buf_says_what_the_kernel_lacks,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(a_failed_map_file_leaves_no_dma_buf_or_mmap,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(a_reset_revokes_the_mapping_which_unmaps_as_usual,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(closing_the_exporting_device_unmaps_its_bar,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(a_memory_decode_toggle_revokes_and_a_revoked_export_is_refused,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(a_container_space_takes_a_bar_before_its_first_device,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(teardown_without_unmap_closes_everything,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(the_container_path_maps_the_mmap_by_address,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(bad_ranges_and_spaces_are_refused_with_nothing_left,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(a_bar_mapping_is_not_copied_between_spaces,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(map_file_takes_a_vfio_dma_buf_through_map_file,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(map_file_refuses_dma_bufs_where_the_kernel_or_path_cannot,
						fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
