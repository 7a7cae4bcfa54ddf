// SPDX-License-Identifier: MIT
/*
 * lib/dma_share.c: vfiodev_dma_map_file() and vfiodev_dma_copy() (with
 * the map_from of lib/iommufd.c): the kernel is given the file
 * (IOMMU_IOAS_MAP_FILE) or the other IOAS (IOMMU_IOAS_COPY) where it has
 * them, the address elsewhere, and the caller sees the same result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define BDF2 "0000:00:04.0"
#define PG 4096ul
#define RW (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)

static int memfd_of(size_t len)
{
	int fd = memfd_create("guest-ram", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	return fd;
}

static bool is_mapped(const void *p)
{
	return msync((void *)(uintptr_t)p, PG, MS_ASYNC) == 0;
}

/* ---- map_file ---------------------------------------------------------- */

static void map_file_gives_the_kernel_the_file(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct fake_live l;
	uint64_t iova, got;
	uint8_t *va;
	char c = 0;
	int fd;

	(void)state;
	fake_cfg.map_file = true;
	fake_std_device(BDF, 5, 0);
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	space = vfiodev_device_space(dev);
	fd = memfd_of(4 * PG);
	assert_int_equal(vfiodev_dma_map_file(space, fd, PG, 2 * PG, RW, NULL,
					      (void **)&va, &iova),
			 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 1);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 0);
	/* translate knows the library's mapping of the range */
	assert_int_equal(vfiodev_dma_translate(space, va + PG + 8, &got), 0);
	assert_int_equal(got, iova + PG + 8);
	/* which is the file's own memory (shared), at the offset */
	va[PG] = 'x';
	assert_int_equal(pread(fd, &c, 1, 2 * PG), 1);
	assert_int_equal(c, 'x');
	fake_live(&l);
	assert_int_equal(l.mappings, 1);
	/* the mapping and the library's mmap go together */
	assert_int_equal(vfiodev_dma_unmap(space, iova, 2 * PG), 0);
	assert_false(is_mapped(va));
	fake_live(&l);
	assert_int_equal(l.mappings, 0);
	close(fd);
	vfiodev_device_close(dev);
}

static void map_file_on_612_falls_back_to_the_address_once(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	uint64_t iova[2], got;
	uint8_t *va[2];
	int fd;

	(void)state;
	fake_cfg.map_file = false; /* ENOTTY, as Linux 6.12 */
	fake_std_device(BDF, 5, 0);
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	space = vfiodev_device_space(dev);
	fd = memfd_of(4 * PG);
	for (int i = 0; i < 2; i++)
		assert_int_equal(vfiodev_dma_map_file(space, fd, (uint64_t)i * PG,
						      PG, RW, NULL,
						      (void **)&va[i], &iova[i]),
				 0);
	/* asked once; the context remembers the answer */
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 1);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 2);
	assert_true(fake_log_has(LOG_INFO,
				 "IOMMU_IOAS_MAP_FILE: not in this kernel"));
	assert_false(fake_log_has(LOG_ERR, ""));
	assert_int_equal(vfiodev_dma_translate(space, va[1], &got), 0);
	assert_int_equal(got, iova[1]);
	assert_int_equal(vfiodev_dma_unmap_vaddr(space, va[0]), 0);
	assert_false(is_mapped(va[0]));
	assert_int_equal(vfiodev_dma_unmap_all(space), 0);
	assert_false(is_mapped(va[1]));
	close(fd);
	vfiodev_device_close(dev);
}

static void map_file_on_the_container_path_maps_the_address(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	uint64_t iova = 0x40000000, got;
	uint8_t *va;
	int fd;

	(void)state;
	fake_cfg.map_file = true;
	fake_std_device(BDF, 5, -1);
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_CONTAINER);
	space = vfiodev_device_space(dev);
	fd = memfd_of(2 * PG);
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, 2 * PG,
					      VFIODEV_DMA_READ | VFIODEV_DMA_FIXED_IOVA,
					      NULL, (void **)&va, &iova),
			 0);
	assert_int_equal(iova, 0x40000000); /* where it was asked for */
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), 1);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 0);
	assert_int_equal(vfiodev_dma_translate(space, va, &got), 0);
	assert_int_equal(got, 0x40000000);
	close(fd);
	vfiodev_device_close(dev); /* unmaps it with the space */
	assert_false(is_mapped(va));
}

static void map_file_before_the_first_device_is_replayed(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct fake_live l;
	uint64_t iova;
	void *va;
	int fd;

	(void)state;
	fake_cfg.map_file = true;
	fake_std_device(BDF, 5, 0);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &space), 0);
	fd = memfd_of(PG);
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, RW, NULL, &va, &iova),
			 0);
	close(fd); /* the library's mapping keeps the memory */
	dev = fixture_open_into(BDF, space, VFIODEV_BACKEND_IOMMUFD);
	fake_live(&l);
	assert_int_equal(l.mappings, 1); /* replayed from the address */
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 1);
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
	assert_false(is_mapped(va));
}

/* review: an iommufd space pinned before its first device has an IOAS
 * that pins nothing; MAP_FILE there accepted any file and failed only at
 * the next attach. Without a device the address is mapped */
static void map_file_into_an_ioas_without_devices_maps_the_address(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	uint64_t iova;
	void *va;
	int fd;

	(void)state;
	fake_cfg.map_file = true;
	fake_std_device(BDF, 5, 0);
	so.backend = VFIODEV_BACKEND_IOMMUFD;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &space), 0);
	fd = memfd_of(PG);
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, RW, NULL, &va, &iova),
			 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 1);
	dev = fixture_open_into(BDF, space, VFIODEV_BACKEND_IOMMUFD);
	close(fd);
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
}

static void map_file_refuses_bad_input_and_leaves_nothing(void **state)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct fake_live l;
	uint64_t iova;
	void *va = NULL;
	/* the test's working directory: a disk, not tmpfs like /tmp may be */
	char path[] = "./vfiodev-test-XXXXXX";
	int fd, reg;

	(void)state;
	fake_cfg.map_file = true;
	fake_std_device(BDF, 5, 0);
	dev = fixture_open_into(BDF, NULL, VFIODEV_BACKEND_IOMMUFD);
	space = vfiodev_device_space(dev);
	fd = memfd_of(2 * PG);
	assert_int_equal(vfiodev_dma_map_file(space, -1, 0, PG, RW, NULL, &va, &iova),
			 -EBADF);
	assert_int_equal(vfiodev_dma_map_file(space, fd, 100, PG, RW, NULL, &va,
					      &iova),
			 -EINVAL);
	assert_int_equal(vfiodev_dma_map_file(space, fd, PG, 2 * PG, RW, NULL,
					      &va, &iova),
			 -EINVAL); /* past the end of the file */
	assert_true(fake_log_has(LOG_ERR, "reaches past the file"));
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, 0x40, NULL, &va,
					      &iova),
			 -EINVAL);
	/* a file the kernel cannot pin from: refused before the kernel */
	reg = mkstemp(path);
	assert_true(reg >= 0);
	unlink(path);
	assert_int_equal(ftruncate(reg, PG), 0);
	assert_int_equal(vfiodev_dma_map_file(space, reg, 0, PG, RW, NULL, &va, &iova),
			 -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "not a memfd, shmem or hugetlbfs"));
	/* device nodes and directories on tmpfs (devtmpfs, a container's
	 * /dev, /dev/shm) are no guest RAM: refused before any mmap */
	{
		int zero = open("/dev/zero", O_RDWR | O_CLOEXEC);
		int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		assert_true(zero >= 0 && dir >= 0);
		assert_int_equal(vfiodev_dma_map_file(space, zero, 0, PG, RW,
						      NULL, &va, &iova),
				 -EINVAL);
		assert_true(fake_log_has(LOG_ERR,
					 "is a character device, not a regular file"));
		assert_int_equal(vfiodev_dma_map_file(space, dir, 0, PG, RW,
						      NULL, &va, &iova),
				 -EINVAL);
		assert_true(fake_log_has(LOG_ERR,
					 "is a directory, not a regular file"));
		close(zero);
		close(dir);
	}
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), 0);
	assert_null(va);
	/* a kernel failure: nothing recorded, nothing mapped */
	fake_fail_ioctl(IOMMU_IOAS_MAP_FILE, ENOMEM, 0);
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, RW, NULL, &va, &iova),
			 -ENOMEM);
	fake_fail_ioctl(IOMMU_IOAS_MAP_FILE, 0, 0);
	assert_null(va);
	fake_live(&l);
	assert_int_equal(l.mappings, 0);
	assert_int_equal(vfiodev_dma_unmap_all(space), 0);
	close(reg);
	close(fd);
	vfiodev_device_close(dev);
}

/* ---- copy -------------------------------------------------------------- */

struct two {
	struct vfiodev_device *a, *b;
	struct vfiodev_space *s1, *s2;
	uint8_t *buf;
};

static void two_spaces(struct two *t, enum vfiodev_backend backend)
{
	bool cdev = backend == VFIODEV_BACKEND_IOMMUFD;

	fake_std_device(BDF, 5, cdev ? 0 : -1);
	fake_std_device(BDF2, 6, cdev ? 1 : -1);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &t->s1), 0);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &t->s2), 0);
	t->a = fixture_open_into(BDF, t->s1, backend);
	t->b = fixture_open_into(BDF2, t->s2, backend);
	t->buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(t->buf != MAP_FAILED);
}

static void two_done(struct two *t)
{
	vfiodev_device_close(t->a);
	vfiodev_device_close(t->b);
	vfiodev_space_unref(t->s1);
	vfiodev_space_unref(t->s2);
	munmap(t->buf, 4 * PG);
}

static void copy_between_ioas_shares_the_pinned_pages(void **state)
{
	struct fake_live l;
	struct two t;
	uint64_t src, dst = 0x80000000, got;

	(void)state;
	two_spaces(&t, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_dma_map_any(t.s1, t.buf, 2 * PG, RW, NULL, &src),
			 0);
	assert_int_equal(vfiodev_dma_copy(t.s2, t.s1, src, 2 * PG,
					  VFIODEV_DMA_WRITE | VFIODEV_DMA_FIXED_IOVA,
					  NULL, &dst),
			 0);
	assert_int_equal(dst, 0x80000000);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_COPY), 1);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 1);
	fake_live(&l);
	assert_int_equal(l.mappings, 2);
	assert_int_equal(l.pinned, 2 * PG); /* pinned once */
	/* translate in the destination answers for the same memory */
	assert_int_equal(vfiodev_dma_translate(t.s2, t.buf + PG, &got), 0);
	assert_int_equal(got, 0x80000000 + PG);
	assert_int_equal(vfiodev_dma_translate(t.s1, t.buf + PG, &got), 0);
	assert_int_equal(got, src + PG);
	/* the copy is the destination's own mapping */
	assert_int_equal(vfiodev_dma_unmap(t.s2, dst, 2 * PG), 0);
	assert_int_equal(vfiodev_dma_translate(t.s1, t.buf, &got), 0);
	two_done(&t);
}

static void copy_on_the_container_path_maps_the_address_again(void **state)
{
	struct fake_live l;
	struct two t;
	uint64_t src, dst, got;

	(void)state;
	two_spaces(&t, VFIODEV_BACKEND_CONTAINER);
	assert_int_equal(vfiodev_dma_map_any(t.s1, t.buf, PG, RW, NULL, &src), 0);
	assert_int_equal(vfiodev_dma_copy(t.s2, t.s1, src, PG, RW, NULL, &dst), 0);
	assert_int_equal(fake_ioctl_count(VFIO_IOMMU_MAP_DMA), 2);
	fake_live(&l);
	assert_int_equal(l.pinned, 2 * PG); /* Type1 pins it again */
	assert_int_equal(vfiodev_dma_translate(t.s2, t.buf, &got), 0);
	assert_int_equal(got, dst);
	two_done(&t);
}

static void copy_refuses_what_the_source_does_not_have(void **state)
{
	struct vfiodev_ctx *other;
	struct vfiodev_space *foreign;
	struct fake_live l;
	struct two t;
	uint64_t src, dst;

	(void)state;
	two_spaces(&t, VFIODEV_BACKEND_IOMMUFD);
	assert_int_equal(vfiodev_dma_map_any(t.s1, t.buf, 2 * PG,
					     VFIODEV_DMA_READ, NULL, &src),
			 0);
	/* not exactly one mapping */
	assert_int_equal(vfiodev_dma_copy(t.s2, t.s1, src, PG, VFIODEV_DMA_READ,
					  NULL, &dst),
			 -ENOENT);
	assert_true(fake_log_has(LOG_ERR, "no mapping of exactly 0x1000 bytes"));
	assert_int_equal(vfiodev_dma_copy(t.s2, t.s1, src + 2 * PG, 2 * PG,
					  VFIODEV_DMA_READ, NULL, &dst),
			 -ENOENT);
	/* the device may not write what the source maps read-only */
	assert_int_equal(vfiodev_dma_copy(t.s2, t.s1, src, 2 * PG, RW, NULL, &dst),
			 -EPERM);
	assert_true(fake_log_has(LOG_ERR, "does not allow device writes"));
	/* a space of another context */
	assert_int_equal(vfiodev_ctx_new(NULL, &other), 0);
	assert_int_equal(vfiodev_space_new(other, NULL, &foreign), 0);
	assert_int_equal(vfiodev_dma_copy(foreign, t.s1, src, 2 * PG,
					  VFIODEV_DMA_READ, NULL, &dst),
			 -EXDEV);
	vfiodev_space_unref(foreign);
	vfiodev_ctx_unref(other);
	/* the kernel refusing: nothing recorded in the destination */
	fake_fail_ioctl(IOMMU_IOAS_COPY, ENOMEM, 0);
	assert_int_equal(vfiodev_dma_copy(t.s2, t.s1, src, 2 * PG,
					  VFIODEV_DMA_READ, NULL, &dst),
			 -ENOMEM);
	fake_fail_ioctl(IOMMU_IOAS_COPY, 0, 0);
	assert_int_equal(vfiodev_dma_translate(t.s2, t.buf, &dst), -ENOENT);
	fake_live(&l);
	assert_int_equal(l.mappings, 1);
	two_done(&t);
}

static void copy_from_a_space_without_devices_maps_the_address(void **state)
{
	struct vfiodev_space *s1, *s2;
	struct vfiodev_device *b;
	struct fake_live l;
	uint64_t src, dst;
	void *buf;

	(void)state;
	fake_std_device(BDF2, 6, 1);
	buf = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &s1), 0);
	assert_int_equal(vfiodev_space_new(fake_ctx(), NULL, &s2), 0);
	b = fixture_open_into(BDF2, s2, VFIODEV_BACKEND_IOMMUFD);
	/* s1 has no IOAS yet: its record is all there is to copy from */
	assert_int_equal(vfiodev_dma_map_any(s1, buf, PG, RW, NULL, &src), 0);
	assert_int_equal(vfiodev_dma_copy(s2, s1, src, PG, RW, NULL, &dst), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_COPY), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), 1);
	fake_live(&l);
	assert_int_equal(l.mappings, 1);
	vfiodev_device_close(b);
	vfiodev_space_unref(s1);
	vfiodev_space_unref(s2);
	munmap(buf, PG);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)
	const struct CMUnitTest tests[] = {
		T(map_file_gives_the_kernel_the_file),
		T(map_file_on_612_falls_back_to_the_address_once),
		T(map_file_on_the_container_path_maps_the_address),
		T(map_file_before_the_first_device_is_replayed),
		T(map_file_into_an_ioas_without_devices_maps_the_address),
		T(map_file_refuses_bad_input_and_leaves_nothing),
		T(copy_between_ioas_shares_the_pinned_pages),
		T(copy_on_the_container_path_maps_the_address_again),
		T(copy_refuses_what_the_source_does_not_have),
		T(copy_from_a_space_without_devices_maps_the_address),
	};

	return cmocka_run_group_tests_name("dma_share", tests, NULL, NULL);
}
