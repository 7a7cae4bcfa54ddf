// SPDX-License-Identifier: MIT
/*
 * lib/live_update.c: a running iommufd space and its device handed over
 * (vfiodev_space_hand_over), adopted by another context
 * (vfiodev_space_adopt, vfiodev_device_adopt) without a bind, an attach
 * change, a re-map or an IRQ teardown, and the pinned pages' accounting
 * moved (vfiodev_space_change_process, Linux 6.13+); and every refusal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define PG 4096ul
#define IOVA 0x100000ull
#define RW (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)

static int memfd = -1, efd = -1;

static int setup(void **state)
{
	int ret = fake_setup(state);

	fake_cfg.map_file = fake_cfg.change_process = true;
	fake_std_device(BDF, 5, 0);
	fake_write("sys/class/misc/iommu/dev", "10:123\n");
	memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	assert_true(memfd >= 0 && efd >= 0);
	assert_int_equal(ftruncate(memfd, 4 * PG), 0);
	return ret;
}

static int teardown(void **state)
{
	close(memfd);
	close(efd);
	return fake_teardown(state);
}

static struct vfiodev_ctx *second_ctx(void)
{
	struct vfiodev_ctx *b = fake_ctx_new();

	assert_non_null(b);
	return b;
}

/* process A: the device in an iommufd space, guest RAM mapped from the
 * memfd at IOVA, an MSI eventfd set; out: the fds B gets (duplicates, as
 * an exec or SCM_RIGHTS would give) and the ids */
static void process_a(int *ifd, int *dfd, uint32_t *ioas, uint32_t *devid)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	uint64_t iova = IOVA;
	void *va;
	int fd;

	o.backend = VFIODEV_BACKEND_IOMMUFD;
	dev = fixture_open(BDF, &o);
	space = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_map_file(space, memfd, 0, 4 * PG,
					      RW | VFIODEV_DMA_FIXED_IOVA, NULL,
					      &va, &iova),
			 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSI_IRQ, 0,
						  1, &efd),
			 0);
	fd = vfiodev_space_iommufd(space, ioas);
	assert_true(fd >= 0);
	*ifd = fake_sys.dupfd(fd);
	*dfd = fake_sys.dupfd(vfiodev_device_fd(dev));
	assert_true(*ifd >= 0 && *dfd >= 0);
	assert_int_equal(vfiodev_device_iommufd_id(dev, devid), 0);
	assert_int_equal(vfiodev_space_hand_over(space), 0);
	/* A's objects go; the kernel's stay */
	vfiodev_device_close(dev);
}

static void a_handed_over_space_is_adopted_without_touching_the_kernel(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_adopt_opts, ao);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, dopt);
	struct vfiodev_adopt_map m = {
		.fd = memfd, .flags = RW, .len = 4 * PG, .iova = IOVA
	};
	unsigned long binds, attaches, maps, files;
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct vfiodev_ctx *b;
	uint32_t ioas, devid;
	struct fake_live l;
	int ifd, dfd;
	uint64_t got;
	uint8_t *va;

	(void)state;
	process_a(&ifd, &dfd, &ioas, &devid);
	fake_live(&l);
	assert_int_equal(l.bindings, 1);
	assert_int_equal(l.attached, 1);
	assert_int_equal(l.ioas, 1);
	assert_int_equal(l.mappings, 1);
	assert_int_equal(l.irq_triggers, 1);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_DETACH_IOMMUFD_PT), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_UNMAP), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_DESTROY), 0);

	/* process B */
	b = second_ctx();
	assert_int_equal(vfiodev_ctx_adopt_iommufd(b, ifd), 0);
	fake_sys.close(ifd);
	binds = fake_ioctl_count(VFIO_DEVICE_BIND_IOMMUFD);
	attaches = fake_ioctl_count(VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	maps = fake_ioctl_count(IOMMU_IOAS_MAP_FILE);
	files = fake_ioctl_count(IOMMU_IOAS_MAP);
	ao.ioas_id = ioas;
	ao.maps = &m;
	ao.nr_maps = 1;
	assert_int_equal(vfiodev_space_adopt(b, &ao, &space), 0);
	/* nothing mapped again; the two probes met the mapping */
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP_FILE), maps);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_MAP), files + 2);
	fake_live(&l);
	assert_int_equal(l.mappings, 1);
	/* the record knows the mapping: translate, iova_to_vaddr */
	assert_int_equal(vfiodev_dma_iova_to_vaddr(space, IOVA + PG,
						   (void **)&va, NULL),
			 0);
	assert_int_equal(vfiodev_dma_translate(space, va, &got), 0);
	assert_int_equal(got, IOVA + PG);
	dopt.space = space;
	assert_int_equal(vfiodev_device_adopt(b, dfd, BDF, devid, &dopt, &dev), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_BIND_IOMMUFD), binds);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_ATTACH_IOMMUFD_PT),
			 attaches + 1);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_RESET), 0);
	fake_live(&l);
	assert_int_equal(l.irq_triggers, 1);
	assert_int_equal(vfiodev_space_change_process(space), 0);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_CHANGE_PROCESS), 1);
	/* B owns it all now: its teardown is the usual one */
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
	vfiodev_ctx_unref(b);
}

static void only_file_mappings_of_an_iommufd_space_can_move(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	uint64_t iova;
	void *buf, *va;

	(void)state;
	o.backend = VFIODEV_BACKEND_IOMMUFD;
	dev = fixture_open(BDF, &o);
	space = vfiodev_device_space(dev);
	assert_int_equal(vfiodev_dma_alloc(space, PG, RW, NULL, &buf, &iova), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_space_hand_over(space), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "vfiodev_dma_alloc()"));
	assert_int_equal(vfiodev_space_change_process(space), -EINVAL);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_CHANGE_PROCESS), 0);
	assert_int_equal(vfiodev_dma_free(space, buf), 0);
	/* a kernel without MAP_FILE took the file's address */
	fake_cfg.map_file = false;
	assert_int_equal(vfiodev_dma_map_file(space, memfd, 0, PG, RW, NULL,
					      &va, &iova),
			 0);
	fake_log_clear();
	assert_int_equal(vfiodev_space_hand_over(space), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "without MAP_FILE"));
	assert_int_equal(vfiodev_dma_unmap_all(space), 0);
	/* nothing left that is this process's: it may go */
	assert_int_equal(vfiodev_space_hand_over(space), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_dma_map_file(space, memfd, 0, PG, RW, NULL,
					      &va, &iova),
			 -EPERM);
	assert_true(fake_log_has(LOG_ERR, "handed over"));
	/* the test is both processes: free the kernel objects it keeps */
	vfiodev_device_close(dev);
}

static void dirty_tracking_and_dma_bufs_do_not_move(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	const struct vfiodev_dma_range r = { 0, PG };
	struct vfiodev_device *dev, *peer;
	struct vfiodev_space *space;
	struct fake_pci *p;
	uint64_t iova;
	void *va;
	int fd;

	(void)state;
	fake_cfg.hw_dirty = true;
	fake_cfg.dma_buf = fake_cfg.map_file_dmabuf = true;
	p = fake_std_device("0000:00:04.0", 6, 1);
	p->regions[2].flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE |
			      VFIO_REGION_INFO_FLAG_MMAP;
	p->regions[2].size = 4 * PG;
	o.backend = VFIODEV_BACKEND_IOMMUFD;
	assert_int_equal(vfiodev_device_open(fake_ctx(), BDF, &o, &dev), 0);
	space = vfiodev_device_space(dev);
	o.space = space;
	assert_int_equal(vfiodev_device_open(fake_ctx(), "0000:00:04.0", &o, &peer),
			 0);
	/* on the tracking HWPT, an adoption would move the devices */
	assert_int_equal(vfiodev_space_dirty_start(space), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_space_hand_over(space), -EBUSY);
	assert_true(fake_log_has(LOG_ERR, "dirty tracking is on"));
	assert_int_equal(vfiodev_space_dirty_stop(space), 0);
	/* a BAR's dma-buf: the kernel moves file pages only */
	assert_int_equal(vfiodev_dma_map_region(space, peer, 2, 0, PG, RW, NULL,
						&va, &iova),
			 0);
	fake_log_clear();
	assert_int_equal(vfiodev_space_hand_over(space), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "is a dma-buf (a device's BAR)"));
	assert_int_equal(vfiodev_space_change_process(space), -EINVAL);
	assert_int_equal(fake_ioctl_count(IOMMU_IOAS_CHANGE_PROCESS), 0);
	assert_int_equal(vfiodev_dma_unmap(space, iova, PG), 0);
	/* another driver's, through map_file */
	assert_int_equal(vfiodev_region_dma_buf(peer, 2, &r, 1, &fd), 0);
	assert_int_equal(vfiodev_dma_map_file(space, fd, 0, PG, RW, NULL, &va, &iova),
			 0);
	fake_log_clear();
	assert_int_equal(vfiodev_space_hand_over(space), -EINVAL);
	assert_true(fake_log_has(LOG_ERR, "another driver's buffer"));
	close(fd);
	vfiodev_device_close(peer);
	vfiodev_device_close(dev);
}

static void a_container_space_cannot_move(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_device *dev;

	(void)state;
	o.backend = VFIODEV_BACKEND_CONTAINER;
	dev = fixture_open(BDF, &o);
	fake_log_clear();
	assert_int_equal(vfiodev_space_hand_over(vfiodev_device_space(dev)),
			 -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "only an iommufd space"));
	assert_int_equal(vfiodev_space_change_process(vfiodev_device_space(dev)),
			 -EOPNOTSUPP);
	vfiodev_device_close(dev);
}

static void change_process_on_612_says_what_the_kernel_lacks(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct vfiodev_space *space;

	(void)state;
	fake_cfg.change_process = false;
	so.backend = VFIODEV_BACKEND_IOMMUFD;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &space), 0);
	fake_log_clear();
	assert_int_equal(vfiodev_space_change_process(space), -EOPNOTSUPP);
	assert_true(fake_log_has(LOG_ERR, "Linux 6.13+"));
	vfiodev_space_unref(space);
}

static void a_wrong_description_is_refused_and_the_ioas_left_alone(void **state)
{
	VFIODEV_OPTS_INIT(vfiodev_space_adopt_opts, ao);
	VFIODEV_OPTS_INIT(vfiodev_device_opts, dopt);
	struct vfiodev_adopt_map m = {
		.fd = memfd, .flags = RW, .len = 4 * PG, .iova = IOVA + 0x100000
	};
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct vfiodev_ctx *b;
	uint32_t ioas, devid;
	struct fake_live l;
	int ifd, dfd;

	(void)state;
	process_a(&ifd, &dfd, &ioas, &devid);
	b = second_ctx();
	assert_int_equal(vfiodev_ctx_adopt_iommufd(b, ifd), 0);
	fake_sys.close(ifd);
	ao.ioas_id = ioas;
	ao.maps = &m;
	ao.nr_maps = 1;
	/* nothing at that IOVA: the probe maps a page, which is undone */
	fake_log_clear();
	assert_int_equal(vfiodev_space_adopt(b, &ao, &space), -ENOENT);
	assert_true(fake_log_has(LOG_ERR, "has no mapping at IOVA"));
	fake_live(&l);
	assert_int_equal(l.mappings, 1);
	assert_int_equal(l.ioas, 1);
	/* no such IOAS */
	ao.ioas_id = ioas + 100;
	m.iova = IOVA;
	fake_log_clear();
	assert_int_equal(vfiodev_space_adopt(b, &ao, &space), -ENOENT);
	assert_true(fake_log_has(LOG_ERR, "vfiodev_ctx_adopt_iommufd()"));
	/* malformed */
	ao.ioas_id = ioas;
	m.len = PG + 1;
	assert_int_equal(vfiodev_space_adopt(b, &ao, &space), -EINVAL);
	m.len = 4 * PG;
	/* the right one, then a device id that is not the iommufd's */
	assert_int_equal(vfiodev_space_adopt(b, &ao, &space), 0);
	dopt.space = space;
	fake_log_clear();
	assert_int_not_equal(vfiodev_device_adopt(b, dfd, BDF, devid + 7, &dopt,
						  &dev),
			     0);
	assert_true(fake_log_has(LOG_ERR,
				 "is not a device of this context's iommufd"));
	assert_int_equal(vfiodev_device_adopt(b, dfd, BDF, 0, &dopt, &dev), -EINVAL);
	assert_int_equal(vfiodev_device_adopt(b, dfd, BDF, devid, &dopt, &dev), 0);
	vfiodev_device_close(dev);
	vfiodev_space_unref(space);
	vfiodev_ctx_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_handed_over_space_is_adopted_without_touching_the_kernel,
						setup, teardown),
		cmocka_unit_test_setup_teardown(only_file_mappings_of_an_iommufd_space_can_move,
						setup, teardown),
		cmocka_unit_test_setup_teardown(dirty_tracking_and_dma_bufs_do_not_move,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_container_space_cannot_move,
						setup, teardown),
		cmocka_unit_test_setup_teardown(change_process_on_612_says_what_the_kernel_lacks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_wrong_description_is_refused_and_the_ioas_left_alone,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
