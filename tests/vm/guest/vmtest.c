// SPDX-License-Identifier: MIT
/*
 * In-guest tests of libvfiodev on a real kernel with QEMU's edu device.
 * Only the public API is used. Each subcommand prints one or more
 * "VMTEST <name> PASS|FAIL <reason>|SKIP <reason>" lines (tests/vm/guest-init.sh
 * documents the protocol). What each test expects is decided from what the
 * running kernel has, seen here (never from the kernel's label): a vfio cdev
 * and /dev/iommu (the custom kernels), where every open takes the cdev +
 * iommufd path, or neither (Debian's stock kernels), where every open must
 * fall back to the group path; features of later kernels by uname.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "guestlib.h"
#include "vmresult.h"

#define DMA_LEN GUEST_DMA_LEN

static struct vfiodev_ctx *ctx;
/* the kernel serves VFIO devices through a cdev and has /dev/iommu */
static bool cdev_kernel;

/* the running kernel is Linux @maj.@min or later */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

static const char *expected_backend(void)
{
	return cdev_kernel ? "iommufd" : "container";
}

/* map @src for reading and @dst for writing (a page each) in @dev's space,
 * then guest_round_trip() through them */
static int map_round_trip(struct vfiodev_device *dev, const struct edu *e,
			  uint8_t *src, uint8_t *dst, char *why, size_t whylen)
{
	struct vfiodev_space *space = vfiodev_device_space(dev);
	uint64_t is, id;
	int ret;

	ret = vfiodev_dma_map_any(space, src, 4096, VFIODEV_DMA_READ, NULL, &is);
	if (!ret)
		ret = vfiodev_dma_map_any(space, dst, 4096, VFIODEV_DMA_WRITE,
					  NULL, &id);
	if (ret) {
		snprintf(why, whylen, "map: %s", strerror(-ret));
		return ret;
	}
	return guest_round_trip(e, is, id, src, dst, why, whylen);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed * 17 + 1);
}

/* open: backend, node, identity, fallback reason */
static int t_open(const char *bdf)
{
	struct vfiodev_device *dev;
	unsigned int maj, min;
	char path[256], buf[64];
	const char *reason;
	int ret;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	result("open/by-bdf", !ret, "vfiodev_device_open(%s): %s", bdf,
	       strerror(-ret));
	if (ret)
		return 1;
	reason = vfiodev_device_fallback_reason(dev);
	printf("open: %s node %s backend %s reason: %s\n", bdf,
	       vfiodev_device_node(dev),
	       vfiodev_backend_name(vfiodev_device_backend(dev)),
	       reason ? reason : "(none)");
	result("open/backend",
	       !strcmp(vfiodev_backend_name(vfiodev_device_backend(dev)),
		       expected_backend()),
	       "backend %s, expected %s",
	       vfiodev_backend_name(vfiodev_device_backend(dev)),
	       expected_backend());
	if (cdev_kernel) {
		FILE *f;
		unsigned int smaj = 0, smin = 0;
		bool ok;

		result("open/no-fallback", reason == NULL,
		       "unexpected fallback: %s", reason);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev",
			 bdf);
		ret = vfiodev_device_devnum(dev, &maj, &min);
		snprintf(path, sizeof(path), "/sys/class/vfio-dev/vfio0/dev");
		f = fopen(path, "r");
		ok = f && fgets(buf, sizeof(buf), f) &&
		     sscanf(buf, "%u:%u", &smaj, &smin) == 2;
		if (f)
			fclose(f);
		result("open/devnum-matches-sysfs",
		       !ret && ok && smaj == maj && smin == min,
		       "library says %u:%u, sysfs %u:%u", maj, min, smaj, smin);
		result("open/cdev-node",
		       !strncmp(vfiodev_device_node(dev),
				"/dev/vfio/devices/vfio", 22),
		       "node %s", vfiodev_device_node(dev));
	} else {
		result("open/fallback-reason-names-cdev",
		       reason && strstr(reason, "cdev"),
		       "reason '%s' does not name the missing cdev",
		       reason ? reason : "(null)");
		snprintf(path, sizeof(path), "/dev/vfio/%d",
			 vfiodev_device_iommu_group(dev));
		result("open/group-node", !strcmp(vfiodev_device_node(dev), path),
		       "node %s, expected %s", vfiodev_device_node(dev), path);
		result("open/no-cdev-devnum",
		       vfiodev_device_devnum(dev, &maj, &min) == -ENOENT,
		       "a group-path device reported a cdev number");
	}
	vfiodev_device_close(dev);

	/* adopt an fd opened elsewhere (a privileged helper passing it) */
	if (cdev_kernel) {
		int fd = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);

		ret = fd < 0 ? -errno :
			       vfiodev_device_open_fd(ctx, fd, bdf, NULL, &dev);
		result("open/from-fd",
		       !ret && vfiodev_device_backend(dev) == VFIODEV_BACKEND_IOMMUFD &&
			       vfiodev_device_fd(dev) == fd,
		       "open_fd: %s", strerror(-ret));
		if (!ret) {
			bool closed;

			vfiodev_device_close(dev);
			/* closed by the library: the device is free again */
			closed = fcntl(fd, F_GETFD) < 0;
			ret = guest_open(ctx, bdf, NULL,
					 VFIODEV_BACKEND_IOMMUFD, false, &dev);
			result("open/from-fd-released-on-close", !ret && closed,
			       "fd %s after close; reopen: %s",
			       closed ? "closed" : "STILL OPEN", strerror(-ret));
			if (!ret)
				vfiodev_device_close(dev);
		} else if (fd >= 0) {
			close(fd);
		}
	} else {
		/* a group fd is no device cdev: refused, identity unproven */
		int fd = open(path, O_RDWR | O_CLOEXEC);

		ret = fd < 0 ? -errno :
			       vfiodev_device_open_fd(ctx, fd, bdf, NULL, &dev);
		result("open/from-fd-refuses-non-cdev", ret < 0,
		       "a group fd was adopted as a device");
		if (!ret)
			vfiodev_device_close(dev);
		/* a failed adoption leaves the fd to its caller */
		result("open/from-fd-failure-leaves-fd",
		       fd >= 0 && fcntl(fd, F_GETFD) >= 0,
		       "the caller's fd was closed by a failed open_fd");
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* BAR0, config space, region and IRQ info against what the kernel says */
static int t_info(const char *bdf)
{
	struct vfiodev_device *dev;
	struct vfiodev_device_info di;
	struct vfiodev_region_info ri;
	struct vfiodev_irq_info ii[5];
	struct edu e;
	unsigned long long start = 0, end = 0, flags = 0;
	uint32_t ven = 0, did = 0;
	char path[256];
	FILE *f;
	int ret;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	if (ret) {
		result("info/open", false, "open: %s", strerror(-ret));
		return 1;
	}
	ret = edu_init(&e, dev);
	result("bar0/mmap-id", !ret && edu_read32(&e, EDU_REG_ID) == EDU_ID_VALUE,
	       "mmap: %s, id 0x%08x", strerror(-ret),
	       ret ? 0 : edu_read32(&e, EDU_REG_ID));
	if (!ret) {
		edu_write32(&e, EDU_REG_LIVENESS, 0x12345678);
		result("bar0/liveness",
		       edu_read32(&e, EDU_REG_LIVENESS) == ~0x12345678u,
		       "liveness read 0x%08x", edu_read32(&e, EDU_REG_LIVENESS));
	}
	ret = vfiodev_pci_config_read(dev, 0, 2, &ven);
	if (!ret)
		ret = vfiodev_pci_config_read(dev, 2, 2, &did);
	result("config/vendor-device",
	       !ret && ven == EDU_VENDOR && did == EDU_DEVICE,
	       "read %04x:%04x (%s)", ven, did, strerror(-ret));

	/* VFIO_DEVICE_FEATURE on a plain vfio-pci device: low-power entry is
	 * offered for SET (6.0+), migration is not (no variant driver) */
	{
		int lp = vfiodev_device_feature(dev,
						VFIODEV_FEATURE_PROBE |
							VFIODEV_FEATURE_SET,
						3, NULL, 0);
		int mig = vfiodev_device_feature(dev, VFIODEV_FEATURE_PROBE, 1,
						 NULL, 0);

		result("info/device-feature-probe", !lp && mig == -ENOTTY,
		       "low-power entry: %s; migration: %s", strerror(-lp),
		       strerror(-mig));
	}

	vfiodev_device_get_info(dev, &di);
	result("info/device",
	       (di.flags & VFIODEV_DEVICE_PCI) && di.num_regions >= 9 &&
		       di.num_irqs >= 5,
	       "flags 0x%x regions %u irqs %u", di.flags, di.num_regions,
	       di.num_irqs);

	/* BAR0 size as the PCI core sees it: line 0 of sysfs "resource" */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	ret = f && fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3 ? 0 : -EIO;
	if (f)
		fclose(f);
	if (!ret)
		ret = vfiodev_region_get_info(dev, VFIODEV_PCI_BAR0_REGION, &ri);
	result("info/bar0-region",
	       !ret && ri.size == end - start + 1 &&
		       (ri.flags & VFIODEV_REGION_MMAP) &&
		       (ri.flags & VFIODEV_REGION_READ) &&
		       (ri.flags & VFIODEV_REGION_WRITE),
	       "region size 0x%llx flags 0x%x, sysfs size 0x%llx (%s)",
	       (unsigned long long)ri.size, ri.flags, end - start + 1,
	       strerror(-ret));
	ret = vfiodev_region_get_info(dev, VFIODEV_PCI_CONFIG_REGION, &ri);
	result("info/config-region",
	       !ret && ri.size >= 256 && !(ri.flags & VFIODEV_REGION_MMAP),
	       "config size 0x%llx flags 0x%x", (unsigned long long)ri.size,
	       ri.flags);
	ret = vfiodev_region_get_info(dev, 1, &ri);
	result("info/bar1-absent", !ret && ri.size == 0, "BAR1 size 0x%llx",
	       (unsigned long long)ri.size);

	for (unsigned int i = 0; i < 5; i++)
		if (vfiodev_irq_get_info(dev, i, &ii[i]))
			ii[i].count = ~0u;
	/* edu: INTx and one MSI vector, no MSI-X */
	result("info/irqs",
	       ii[VFIODEV_PCI_INTX_IRQ].count == 1 &&
		       ii[VFIODEV_PCI_MSI_IRQ].count == 1 &&
		       ii[VFIODEV_PCI_MSIX_IRQ].count == 0 &&
		       (ii[VFIODEV_PCI_INTX_IRQ].flags & VFIODEV_IRQ_MASKABLE) &&
		       (ii[VFIODEV_PCI_MSI_IRQ].flags & VFIODEV_IRQ_EVENTFD),
	       "INTx %u/0x%x MSI %u/0x%x MSI-X %u", ii[0].count, ii[0].flags,
	       ii[1].count, ii[1].flags, ii[2].count);
	vfiodev_device_close(dev);
	return 0;
}

/* DMA round trip and the completion MSI, then a second MSI by the raise
 * register; then unmap and prove the device no longer reaches the buffer */
static int t_dma(const char *bdf)
{
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	struct vfiodev_iova_range r[8];
	uint8_t *src, *dst;
	uint64_t iova_src = 0, iova_dst = 0, n;
	struct edu e;
	char why[160] = "";
	int efd, ret, nr;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	if (!ret)
		ret = edu_init(&e, dev);
	if (ret) {
		result("dma/setup", false, "open/init: %s", strerror(-ret));
		return 1;
	}
	space = vfiodev_device_space(dev);
	nr = vfiodev_space_iova_ranges(space, r, 8);
	printf("dma: %d IOVA range(s), first 0x%llx-0x%llx\n", nr,
	       nr > 0 ? (unsigned long long)r[0].start : 0ull,
	       nr > 0 ? (unsigned long long)r[0].last : 0ull);
	result("dma/iova-ranges", nr > 0, "vfiodev_space_iova_ranges: %d", nr);

	src = guest_pages(4096);
	dst = guest_pages(4096);
	fill(src, 4096, 1);
	memset(dst, 0, 4096);
	ret = vfiodev_dma_map_any(space, src, 4096, VFIODEV_DMA_READ, NULL,
				  &iova_src);
	if (!ret)
		ret = vfiodev_dma_map_any(space, dst, 4096, VFIODEV_DMA_WRITE,
					  NULL, &iova_dst);
	result("dma/map",
	       !ret && iova_src < EDU_IOVA_LIMIT && iova_dst < EDU_IOVA_LIMIT,
	       "map: %s (IOVAs 0x%llx 0x%llx)", strerror(-ret),
	       (unsigned long long)iova_src, (unsigned long long)iova_dst);
	if (ret)
		return 1;
	n = 0;
	ret = vfiodev_dma_translate(space, src + 100, &n);
	result("dma/translate", !ret && n == iova_src + 100,
	       "translate: %s -> 0x%llx", strerror(-ret), (unsigned long long)n);

	efd = eventfd(0, EFD_CLOEXEC);
	ret = vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSI_IRQ, 0, 1, &efd);
	result("irq/msi-eventfd-set", !ret, "set eventfd: %s", strerror(-ret));

	ret = guest_round_trip(&e, iova_src, iova_dst, src, dst, why, sizeof(why));
	result("dma/round-trip", !ret, "%s", why);

	/* the completion interrupt of a DMA with the IRQ bit */
	ret = edu_dma(&e, iova_dst, 0, 16, 1, 1);
	n = ret ? 0 : edu_wait_eventfd(efd, 5000);
	result("irq/msi-dma-completion",
	       n > 0 && (edu_read32(&e, EDU_REG_IRQ_STATUS) & EDU_DMA_IRQ_VALUE),
	       "no MSI on the eventfd within 5 s (dma %s, status 0x%x)",
	       strerror(-ret), edu_read32(&e, EDU_REG_IRQ_STATUS));
	edu_irq_ack(&e);
	/* a second one, raised by software through the device */
	edu_write32(&e, EDU_REG_IRQ_RAISE, 0x1);
	n = edu_wait_eventfd(efd, 5000);
	result("irq/msi-raise", n > 0, "no MSI after writing the raise register");
	edu_irq_ack(&e);
	ret = vfiodev_irq_disable(dev, VFIODEV_PCI_MSI_IRQ);
	edu_write32(&e, EDU_REG_IRQ_RAISE, 0x1);
	n = edu_wait_eventfd(efd, 300);
	result("irq/msi-disabled", !ret && n == 0,
	       "disable: %s; %llu interrupt(s) after it", strerror(-ret),
	       (unsigned long long)n);
	edu_irq_ack(&e);
	close(efd);

	/* unmap: the device must no longer reach the old buffer */
	ret = vfiodev_dma_unmap(space, iova_dst, 4096);
	memset(dst, 0xaa, 4096);
	fill(src, 4096, 2);
	if (!ret)
		ret = edu_dma(&e, iova_src, 0, DMA_LEN, 0, 0);
	if (!ret)
		ret = edu_dma(&e, iova_dst, 0, DMA_LEN, 1, 0);
	bool untouched = true;
	for (int i = 0; i < 4096; i++)
		untouched &= dst[i] == 0xaa;
	result("dma/unmapped-iova-blocked", !ret && untouched,
	       "after unmap: %s, buffer %s", strerror(-ret),
	       untouched ? "untouched" : "WAS WRITTEN by the device");
	/* the control: mapped again, the same transfer lands */
	ret = vfiodev_dma_map(space, dst, 4096, VFIODEV_DMA_WRITE, iova_dst);
	if (!ret)
		ret = guest_round_trip(&e, iova_src, iova_dst, src, dst, why,
				       sizeof(why));
	result("dma/remapped-iova-works", !ret, "%s (%s)", why, strerror(-ret));
	vfiodev_device_close(dev);
	return 0;
}

/* several devices in one space; @tag names the test */
static int t_shared(const char *tag, int ndev, char **bdfs, bool same_group)
{
	struct vfiodev_space *space;
	struct vfiodev_device *dev[4];
	struct edu e[4];
	uint8_t *src, *dst;
	uint64_t iova_src, iova_dst;
	char name[64], why[160] = "";
	int ret, g0 = -1;

	ret = vfiodev_space_new(ctx, NULL, &space);
	if (ret)
		return 1;
	for (int i = 0; i < ndev; i++) {
		ret = guest_open(ctx, bdfs[i], space, VFIODEV_BACKEND_AUTO,
				 false, &dev[i]);
		if (!ret)
			ret = edu_init(&e[i], dev[i]);
		snprintf(name, sizeof(name), "%s/open-%d", tag, i);
		result(name,
		       !ret && !strcmp(vfiodev_backend_name(
					       vfiodev_device_backend(dev[i])),
				       expected_backend()),
		       "%s: %s (backend %s)", bdfs[i], strerror(-ret),
		       ret ? "-" :
			     vfiodev_backend_name(vfiodev_device_backend(dev[i])));
		if (ret)
			return 1;
		if (i == 0)
			g0 = vfiodev_device_iommu_group(dev[0]);
	}
	snprintf(name, sizeof(name), "%s/groups", tag);
	result(name, same_group == (vfiodev_device_iommu_group(dev[1]) == g0),
	       "groups %d and %d, expected %s", g0,
	       vfiodev_device_iommu_group(dev[1]),
	       same_group ? "one group" : "two groups");

	/* one source mapping serves every device */
	src = guest_pages(4096);
	dst = guest_pages(4096 * ndev);
	fill(src, 4096, 3);
	ret = vfiodev_dma_map_any(space, src, 4096, VFIODEV_DMA_READ, NULL,
				  &iova_src);
	if (!ret)
		ret = vfiodev_dma_map_any(space, dst, 4096 * ndev,
					  VFIODEV_DMA_WRITE, NULL, &iova_dst);
	snprintf(name, sizeof(name), "%s/map-once", tag);
	result(name, !ret, "map: %s", strerror(-ret));
	for (int i = 0; i < ndev && !ret; i++) {
		int r;

		memset(dst + 4096 * i, 0, 4096);
		r = guest_round_trip(&e[i], iova_src, iova_dst + 4096 * i, src,
				     dst + 4096 * i, why, sizeof(why));
		snprintf(name, sizeof(name), "%s/dma-%d", tag, i);
		result(name, !r, "%s: %s", bdfs[i], why);
	}
	for (int i = 0; i < ndev; i++)
		vfiodev_device_close(dev[i]);
	vfiodev_space_unref(space);

	/* no space given: devices of one group must still share one (the
	 * kernel allows a group in one container / IOAS only), devices of
	 * different groups get their own */
	ret = guest_open(ctx, bdfs[0], NULL, VFIODEV_BACKEND_AUTO, false, &dev[0]);
	if (!ret)
		ret = guest_open(ctx, bdfs[1], NULL, VFIODEV_BACKEND_AUTO,
				 false, &dev[1]);
	snprintf(name, sizeof(name), "%s/implicit-space", tag);
	result(name,
	       !ret && same_group == (vfiodev_device_space(dev[0]) ==
				      vfiodev_device_space(dev[1])),
	       "open without a space: %s; spaces %s", strerror(-ret),
	       ret ? "-" :
	       vfiodev_device_space(dev[0]) == vfiodev_device_space(dev[1]) ?
		     "shared" :
		     "separate");
	if (!ret) {
		vfiodev_device_close(dev[0]);
		vfiodev_device_close(dev[1]);
	}
	return 0;
}

static int t_reset(const char *bdf)
{
	struct vfiodev_device *dev;
	struct vfiodev_device_info di;
	uint8_t *src, *dst;
	struct edu e;
	char why[160] = "";
	int ret;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	if (!ret)
		ret = edu_init(&e, dev);
	if (ret) {
		result("reset/setup", false, "%s", strerror(-ret));
		return 1;
	}
	vfiodev_device_get_info(dev, &di);
	result("reset/supported", di.flags & VFIODEV_DEVICE_RESET,
	       "device flags 0x%x", di.flags);
	edu_write32(&e, EDU_REG_IRQ_RAISE, 0x4);
	ret = vfiodev_device_reset(dev);
	result("reset/ioctl", !ret, "vfiodev_device_reset: %s", strerror(-ret));
	/* the driver's part after a reset: bus mastering on again */
	ret = vfiodev_pci_enable_bus_master(dev);
	src = guest_pages(4096);
	dst = guest_pages(4096);
	fill(src, 4096, 4);
	if (!ret)
		ret = map_round_trip(dev, &e, src, dst, why, sizeof(why));
	result("reset/works-after",
	       !ret && edu_read32(&e, EDU_REG_ID) == EDU_ID_VALUE,
	       "after reset: %s %s", strerror(-ret), why);
	vfiodev_device_close(dev);
	return 0;
}

/* a character node with the wrong major:minor where the library looks */
static int t_planted(const char *bdf)
{
	struct vfiodev_device *dev;
	char real[256], aside[300], buf[64], grp[64];
	const char *reason;
	ssize_t n;
	int ret;

	if (cdev_kernel) {
		snprintf(real, sizeof(real), "/dev/vfio/devices/vfio0");
	} else {
		snprintf(buf, sizeof(buf),
			 "/sys/bus/pci/devices/%s/iommu_group", bdf);
		n = readlink(buf, grp, sizeof(grp) - 1);
		grp[n > 0 ? n : 0] = '\0';
		snprintf(real, sizeof(real), "/dev/vfio/%s",
			 strrchr(grp, '/') ? strrchr(grp, '/') + 1 : "x");
	}
	snprintf(aside, sizeof(aside), "%s.genuine", real);
	if (rename(real, aside) || mknod(real, S_IFCHR | 0600, makedev(1, 3))) {
		result("planted/setup", false, "planting %s: %s", real,
		       strerror(errno));
		return 1;
	}
	printf("planted: %s is now char 1:3 (the real node moved aside)\n", real);
	if (cdev_kernel) {
		ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_IOMMUFD, false,
				 &dev);
		result("planted/forced-iommufd-refuses", ret == -ENXIO,
		       "open returned %d (%s), expected -ENXIO", ret,
		       strerror(-ret));
		if (!ret)
			vfiodev_device_close(dev);
		/* AUTO: the planted node is never used; the group path is */
		ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
		reason = ret ? NULL : vfiodev_device_fallback_reason(dev);
		result("planted/auto-falls-back",
		       !ret && vfiodev_device_backend(dev) == VFIODEV_BACKEND_CONTAINER &&
			       reason && strstr(reason, "refused"),
		       "open: %s, reason '%s'", strerror(-ret),
		       reason ? reason : "(none)");
		if (!ret)
			vfiodev_device_close(dev);
	} else {
		ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
		result("planted/group-node-refused", ret == -ENXIO,
		       "open returned %d (%s), expected -ENXIO", ret,
		       strerror(-ret));
		if (!ret)
			vfiodev_device_close(dev);
		ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_CONTAINER,
				 false, &dev);
		result("planted/forced-container-refuses", ret == -ENXIO,
		       "open returned %d (%s), expected -ENXIO", ret,
		       strerror(-ret));
		if (!ret)
			vfiodev_device_close(dev);
	}
	unlink(real);
	rename(aside, real);
	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	result("planted/genuine-node-opens",
	       !ret && !strcmp(vfiodev_backend_name(vfiodev_device_backend(dev)),
			       expected_backend()),
	       "open after restoring: %s", strerror(-ret));
	if (!ret)
		vfiodev_device_close(dev);
	return 0;
}

/* what the kernel shows of @bdf's noiommu cdev: Linux 7.x (with
 * CONFIG_IOMMUFD_NOIOMMU) names vfio-dev/noiommu-vfioN with its number and
 * creates /dev/vfio/devices/noiommu-vfioN; 6.x neither. *@node: its node */
static bool noiommu_cdev_shown(const char *bdf, char *node, size_t len)
{
	char dir[128], attr[512];
	struct dirent *de;
	bool shown = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d)
		return false;
	while (!shown && (de = readdir(d))) {
		if (strncmp(de->d_name, "noiommu-vfio", 12))
			continue;
		snprintf(attr, sizeof(attr), "%s/%s/dev", dir, de->d_name);
		snprintf(node, len, "/dev/vfio/devices/%s", de->d_name);
		shown = !access(attr, F_OK) && !access(node, F_OK);
	}
	closedir(d);
	return shown;
}

/* the physical address of @p from /proc/self/pagemap (its PFN is shown to
 * root), 0 when the page is not present */
static uint64_t pagemap_pa(const void *p)
{
	uint64_t e = 0, va = (uintptr_t)p;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)(va / 4096 * 8)) != sizeof(e))
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0;
	return (e & ((1ull << 55) - 1)) * 4096 + (va & 4095);
}

/* noiommu: refused without allow_noiommu; then what the kernel can be
 * seen to have decides: 7.x's noiommu cdev opens through iommufd, and the
 * edu DMAs RAM -> device -> RAM at the bus addresses the space gives
 * (checked against pagemap); 6.x opens through the group, says why, and
 * maps nothing. Seven results either way */
static int t_noiommu(const char *bdf)
{
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, lim);
	struct vfiodev_device *dev;
	struct vfiodev_device_info di;
	struct vfiodev_space *sp;
	const char *reason;
	char node[320] = "", why[128] = "";
	uint64_t bs = 0, bd = 0, t = 0;
	uint8_t *src, *dst;
	size_t len = 0;
	struct edu e;
	bool cdev;
	int ret;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	result("noiommu/refused-by-default", ret == -EPERM,
	       "open without allow_noiommu returned %d (%s), expected -EPERM",
	       ret, strerror(-ret));
	if (!ret)
		vfiodev_device_close(dev);
	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, true, &dev);
	result("noiommu/opens-when-allowed", !ret, "open: %s", strerror(-ret));
	if (ret)
		return 1;
	cdev = noiommu_cdev_shown(bdf, node, sizeof(node));
	reason = vfiodev_device_fallback_reason(dev);
	vfiodev_device_get_info(dev, &di);
	printf("noiommu: the kernel shows %s; opened %s via %s, reason: %s\n",
	       cdev ? node : "no noiommu cdev", vfiodev_device_node(dev),
	       vfiodev_backend_name(vfiodev_device_backend(dev)),
	       reason ? reason : "(none)");
	sp = vfiodev_device_space(dev);
	if (cdev) {
		result("noiommu/cdev-path",
		       vfiodev_device_backend(dev) == VFIODEV_BACKEND_IOMMUFD &&
			       !strcmp(vfiodev_device_node(dev), node) &&
			       !reason && (di.flags & VFIODEV_DEVICE_NOIOMMU),
		       "backend %s node %s flags 0x%x",
		       vfiodev_backend_name(vfiodev_device_backend(dev)),
		       vfiodev_device_node(dev), di.flags);
	} else {
		result("noiommu/group-path",
		       vfiodev_device_backend(dev) == VFIODEV_BACKEND_CONTAINER &&
			       strstr(vfiodev_device_node(dev), "/dev/vfio/noiommu-") &&
			       (di.flags & VFIODEV_DEVICE_NOIOMMU),
		       "backend %s node %s flags 0x%x",
		       vfiodev_backend_name(vfiodev_device_backend(dev)),
		       vfiodev_device_node(dev), di.flags);
		result("noiommu/reason-says-no-cdev",
		       reason && strstr(reason, "noiommu") &&
			       strstr(reason, "no vfio cdev"),
		       "reason '%s'", reason ? reason : "(none)");
	}
	ret = edu_init(&e, dev);
	result("noiommu/bar0", !ret, "BAR0: %s", strerror(-ret));
	src = guest_pages(4096);
	dst = guest_pages(4096);
	fill(src, DMA_LEN, 5);
	memset(dst, 0, 4096);
	/* the edu reaches 28 bits: the limit bounds bus addresses here */
	lim.iova_max = VFIODEV_DMA_BIT_MASK(28);
	ret = vfiodev_dma_map_any(sp, src, 4096, VFIODEV_DMA_READ, &lim, &bs);
	if (!cdev) {
		result("noiommu/dma-map-refused", ret == -EOPNOTSUPP,
		       "map returned %d", ret);
		ret = vfiodev_dma_translate(sp, src, &t);
		result("noiommu/nothing-mapped", ret == -ENOENT,
		       "translate returned %d", ret);
		vfiodev_device_close(dev);
		return 0;
	}
	if (!ret)
		ret = vfiodev_dma_map_any(sp, dst, 4096, VFIODEV_DMA_WRITE,
					  &lim, &bd);
	printf("noiommu: bus addresses 0x%llx 0x%llx, pagemap 0x%llx 0x%llx\n",
	       (unsigned long long)bs, (unsigned long long)bd,
	       (unsigned long long)pagemap_pa(src),
	       (unsigned long long)pagemap_pa(dst));
	result("noiommu/map-gives-bus-address",
	       !ret && bs == pagemap_pa(src) && bd == pagemap_pa(dst),
	       "map: %s", strerror(-ret));
	if (!ret)
		ret = vfiodev_dma_translate_len(sp, src + 100, &t, &len);
	result("noiommu/translate-is-bus-address",
	       !ret && t == bs + 100 && len == 4096 - 100,
	       "translate_len: %s, 0x%llx+0x%zx", strerror(-ret),
	       (unsigned long long)t, len);
	ret = ret ? ret : guest_round_trip(&e, bs, bd, src, dst, why, sizeof(why));
	result("noiommu/dma-at-bus-address", !ret, "%s",
	       why[0] ? why : strerror(-ret));
	if (vfiodev_dma_unmap(sp, bs, 4096) || vfiodev_dma_unmap_vaddr(sp, dst))
		printf("noiommu: unmap failed\n");
	vfiodev_device_close(dev);
	return 0;
}

/* VFIODEV_BACKEND pins a path: container on a cdev + iommufd kernel works,
 * iommufd on a kernel without them fails with a clear error */
static int t_forced(const char *bdf)
{
	struct vfiodev_ctx *fctx;
	struct vfiodev_device *dev;
	int ret;

	setenv("VFIODEV_BACKEND", cdev_kernel ? "container" : "iommufd", 1);
	ret = vfiodev_ctx_new(NULL, &fctx);
	unsetenv("VFIODEV_BACKEND");
	if (ret)
		return 1;
	vfiodev_ctx_set_log_priority(fctx, LOG_INFO);
	ret = vfiodev_device_open(fctx, bdf, NULL, &dev);
	if (cdev_kernel) {
		/* the group path was the environment's choice: the reason
		 * says so */
		const char *why = ret ? NULL : vfiodev_device_fallback_reason(dev);

		result("forced/container-on-iommufd-kernel",
		       !ret && vfiodev_device_backend(dev) == VFIODEV_BACKEND_CONTAINER &&
			       why && strstr(why, "VFIODEV_BACKEND=container"),
		       "open: %s backend %s, reason %s", strerror(-ret),
		       ret ? "-" : vfiodev_backend_name(vfiodev_device_backend(dev)),
		       why ? why : "(none)");
	} else {
		result("forced/iommufd-on-stock-kernel-fails", ret == -ENOENT,
		       "open returned %d (%s), expected -ENOENT", ret,
		       strerror(-ret));
	}
	if (!ret)
		vfiodev_device_close(dev);
	vfiodev_ctx_unref(fctx);
	return 0;
}

/*
 * QEMU's NVMe controller driven just far enough to raise interrupts on two
 * MSI-X vectors: admin queue completions on vector 0, an I/O completion
 * queue bound to vector 1. Register and command layouts: NVM Express Base
 * Specification 2.0 (examples/nvme-read.c is the full driver).
 */
#define NV_CAP 0x00
#define NV_CC 0x14
#define NV_CSTS 0x1c
#define NV_AQA 0x24
#define NV_ASQ 0x28
#define NV_ACQ 0x30
#define NV_DOORBELLS 0x1000
#define NV_CC_EN (1u << 0)
#define NV_CC_QES (6u << 16 | 4u << 20) /* 64-byte SQ, 16-byte CQ entries */
#define NV_CSTS_RDY (1u << 0)
#define NV_DEPTH 8u
#define NV_ADM_CREATE_SQ 0x01
#define NV_ADM_CREATE_CQ 0x05
#define NV_ADM_SET_FEATURES 0x09
#define NV_FEAT_NUM_QUEUES 0x07
#define NV_NVM_FLUSH 0x00

struct nv_sqe {
	uint8_t opcode, flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nv_cqe {
	uint32_t result, rsvd;
	uint16_t sq_head, sq_id, cid;
	uint16_t status; /* bit 0: phase tag */
};

struct nv_queue {
	struct nv_sqe *sq;
	volatile struct nv_cqe *cq;
	uint64_t sq_iova, cq_iova;
	volatile uint32_t *sq_db, *cq_db;
	uint16_t tail, head, cid;
	uint8_t phase;
};

struct nv {
	struct vfiodev_space *space;
	volatile uint8_t *bar;
	unsigned int dstrd;
	struct nv_queue admin, io;
};

static uint32_t nv_rd(const struct nv *c, uint32_t reg)
{
	return *(volatile uint32_t *)(c->bar + reg);
}

static void nv_wr(const struct nv *c, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(c->bar + reg) = v;
}

static void nv_wr64(const struct nv *c, uint32_t reg, uint64_t v)
{
	nv_wr(c, reg, (uint32_t)v);
	nv_wr(c, reg + 4, (uint32_t)(v >> 32));
}

static int nv_wait_ready(const struct nv *c, bool ready)
{
	for (int ms = 0; ms < 5000; ms++) {
		if (!!(nv_rd(c, NV_CSTS) & NV_CSTS_RDY) == ready)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static int nv_queue_init(struct nv *c, struct nv_queue *q, unsigned int qid)
{
	void *sq, *cq;
	int ret;

	/* READ | WRITE although the device only reads it: on Linux 6.1 a
	 * read-only pin of the untouched (zeroed, not yet faulted) memory
	 * takes the shared zero page, the CPU's first write moves the
	 * buffer off it, and the device reads zero commands (seen here:
	 * admin opcode 0x00 failing "invalid queue") */
	ret = vfiodev_dma_alloc(c->space, NV_DEPTH * sizeof(struct nv_sqe),
				VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, NULL, &sq,
				&q->sq_iova);
	if (ret)
		return ret;
	ret = vfiodev_dma_alloc(c->space, NV_DEPTH * sizeof(struct nv_cqe),
				VFIODEV_DMA_WRITE, NULL, &cq, &q->cq_iova);
	if (ret)
		return ret;
	q->sq = sq;
	q->cq = cq;
	q->sq_db = (volatile uint32_t *)(c->bar + NV_DOORBELLS +
					 (2u * qid) * (4u << c->dstrd));
	q->cq_db = (volatile uint32_t *)(c->bar + NV_DOORBELLS +
					 (2u * qid + 1) * (4u << c->dstrd));
	q->phase = 1;
	return 0;
}

/* submit and poll the completion's phase tag: the eventfds are what is
 * tested, so they are counted afterwards, not waited on; *@status: the
 * completion's status field */
static int nv_submit(struct nv_queue *q, struct nv_sqe cmd, uint16_t *status)
{
	volatile struct nv_cqe *e = &q->cq[q->head];

	cmd.cid = q->cid++;
	q->sq[q->tail] = cmd;
	q->tail = (uint16_t)((q->tail + 1) % NV_DEPTH);
	__sync_synchronize();
	*q->sq_db = q->tail;
	for (int ms = 0;
	     (__atomic_load_n(&e->status, __ATOMIC_ACQUIRE) & 1) != q->phase; ms++) {
		if (ms > 5000)
			return -ETIMEDOUT;
		usleep(1000);
	}
	*status = e->status >> 1;
	if (++q->head == NV_DEPTH) {
		q->head = 0;
		q->phase ^= 1;
	}
	*q->cq_db = q->head;
	return 0;
}

/* an admin command that must succeed */
static int nv_admin(struct nv *c, struct nv_sqe cmd)
{
	uint16_t st = 0;
	int ret = nv_submit(&c->admin, cmd, &st);

	if (ret || st)
		printf("vmtest: nvme: admin opcode 0x%02x: %s, status 0x%03x\n",
		       cmd.opcode, strerror(-ret), st);
	return ret ? ret : st ? -EIO : 0;
}

/* disable, then enable the controller with its admin queues */
static int nv_enable(struct nv *c)
{
	uint64_t cap = nv_rd(c, NV_CAP) | (uint64_t)nv_rd(c, NV_CAP + 4) << 32;
	int ret;

	c->dstrd = (unsigned int)(cap >> 32) & 0xf;
	nv_wr(c, NV_CC, 0);
	ret = nv_wait_ready(c, false);
	if (!ret)
		ret = nv_queue_init(c, &c->admin, 0);
	if (ret)
		return ret;
	nv_wr(c, NV_AQA, (NV_DEPTH - 1) << 16 | (NV_DEPTH - 1));
	nv_wr64(c, NV_ASQ, c->admin.sq_iova);
	nv_wr64(c, NV_ACQ, c->admin.cq_iova);
	nv_wr(c, NV_CC, NV_CC_EN | NV_CC_QES);
	return nv_wait_ready(c, true);
}

/* I/O queue pair 1, its completions on MSI-X vector 1 */
static int nv_create_io(struct nv *c)
{
	int ret = nv_queue_init(c, &c->io, 1);

	if (!ret)
		ret = nv_admin(c, (struct nv_sqe){
					  .opcode = NV_ADM_CREATE_CQ,
					  .prp1 = c->io.cq_iova,
					  .cdw10 = (NV_DEPTH - 1) << 16 | 1,
					  .cdw11 = 1u << 16 | 1u << 1 | 1u });
	if (!ret)
		ret = nv_admin(c, (struct nv_sqe){ .opcode = NV_ADM_CREATE_SQ,
						   .prp1 = c->io.sq_iova,
						   .cdw10 = (NV_DEPTH - 1) << 16 | 1,
						   .cdw11 = 1u << 16 | 1u });
	return ret;
}

/* the library's log during the grow: whether it said it disabled and
 * re-enabled the index */
static struct guest_log grow_log = { .watch = "disabled and re-enabled" };

/*
 * MSI-X grown while enabled: vector 0 with one eventfd, then ONE call for
 * vectors 0 and 1, then real interrupts on both. Where the kernel reports
 * NORESIZE (Linux before 6.5, or no dynamic MSI-X) the library must
 * disable and re-enable the index; elsewhere the kernel adds the vector
 * and no resize happens. Either way both vectors must fire.
 */
static void t_nvme_msix_grow(struct vfiodev_device *dev, void *bar)
{
	struct nv c = { .space = vfiodev_device_space(dev), .bar = bar };
	struct vfiodev_irq_info ii;
	int efd[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
	uint64_t n0 = 0, n1 = 0;
	uint16_t st = 0;
	bool noresize;
	int ret;

	ret = vfiodev_irq_get_info(dev, VFIODEV_PCI_MSIX_IRQ, &ii);
	noresize = !ret && (ii.flags & VFIODEV_IRQ_NORESIZE);
	printf("vmtest: nvme/msix-grow: MSI-X index: %u vectors, flags 0x%x (%s): expecting %s\n",
	       ret ? 0 : ii.count, ret ? 0 : ii.flags,
	       noresize ? "NORESIZE" : "no NORESIZE",
	       noresize ? "the library to grow it by disable and re-enable" :
			  "the kernel to add the vector, no resize");

	if (!ret && (efd[0] < 0 || efd[1] < 0))
		ret = -errno;
	/* MSI-X before the controller: QEMU's NVMe marks the admin queue's
	 * vector in use only if MSI-X is enabled when CC.EN is set, and
	 * drops its interrupts otherwise (hw/nvme/ctrl.c, nvme_init_cq()) */
	if (!ret)
		ret = vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSIX_IRQ, 0, 1, efd);
	if (!ret)
		ret = vfiodev_pci_enable_bus_master(dev);
	if (!ret)
		ret = nv_enable(&c);
	if (!ret)
		ret = nv_admin(&c, (struct nv_sqe){ .opcode = NV_ADM_SET_FEATURES,
						    .cdw10 = NV_FEAT_NUM_QUEUES });
	n0 = ret ? 0 : edu_wait_eventfd(efd[0], 2000);
	printf("vmtest: nvme/msix-grow: vector 0 alone: %s, %llu interrupt(s)\n",
	       strerror(-ret), (unsigned long long)n0);
	result("nvme/msix-grow-vector0-alone", !ret && n0 >= 1,
	       "setup: %s; vector 0 fired %llu", strerror(-ret),
	       (unsigned long long)n0);
	if (ret)
		goto out;

	grow_log.seen = false;
	vfiodev_ctx_set_log_fn(ctx, guest_log_fn, &grow_log);
	ret = vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSIX_IRQ, 0, 2, efd);
	vfiodev_ctx_set_log_fn(ctx, NULL, NULL);
	printf("vmtest: nvme/msix-grow: one call, vectors 0..1: %s; %s\n",
	       strerror(-ret),
	       grow_log.seen ? "the library disabled and re-enabled the index" :
			       "no resize by the library");
	result("nvme/msix-grow-one-call", !ret && grow_log.seen == noresize,
	       "set_eventfds(0, 2): %s; resized %d, NORESIZE %d",
	       strerror(-ret), grow_log.seen, noresize);
	if (ret)
		goto out;

	/* admin completions (create CQ, create SQ) on vector 0; a Flush
	 * completion on the I/O queue, vector 1 */
	ret = nv_create_io(&c);
	n0 = ret ? 0 : edu_wait_eventfd(efd[0], 2000);
	if (!ret)
		ret = nv_submit(&c.io,
				(struct nv_sqe){ .opcode = NV_NVM_FLUSH, .nsid = 1 },
				&st);
	n1 = ret ? 0 : edu_wait_eventfd(efd[1], 2000);
	printf("vmtest: nvme/msix-grow: after the grow: vector 0 (admin queue) %llu interrupt(s), vector 1 (I/O queue, Flush status 0x%x) %llu interrupt(s)\n",
	       (unsigned long long)n0, st, (unsigned long long)n1);
	result("nvme/msix-grow-interrupts-on-both", !ret && n0 >= 1 && n1 >= 1,
	       "queues: %s; vector 0 fired %llu, vector 1 fired %llu",
	       strerror(-ret), (unsigned long long)n0, (unsigned long long)n1);
out:
	nv_wr(&c, NV_CC, 0);
	nv_wait_ready(&c, false);
	vfiodev_irq_disable(dev, VFIODEV_PCI_MSIX_IRQ);
	if (efd[0] >= 0)
		close(efd[0]);
	if (efd[1] >= 0)
		close(efd[1]);
}

/* a second, independent device: QEMU's NVMe controller (MSI-X, FLR) */
static int t_nvme(const char *bdf)
{
	struct vfiodev_device *dev;
	struct vfiodev_device_info di;
	struct vfiodev_region_info ri;
	struct vfiodev_irq_info ii;
	uint32_t ven = 0;
	uint64_t n0, n1;
	int efd[2] = { -1, -1 }, ret, nvec;
	void *bar = NULL;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	result("nvme/open",
	       !ret && !strcmp(vfiodev_backend_name(vfiodev_device_backend(dev)),
			       expected_backend()),
	       "open: %s", strerror(-ret));
	if (ret)
		return 1;
	vfiodev_pci_config_read(dev, 0, 2, &ven);
	vfiodev_device_get_info(dev, &di);
	result("nvme/info", ven == 0x1b36 && (di.flags & VFIODEV_DEVICE_RESET),
	       "vendor 0x%04x flags 0x%x", ven, di.flags);

	/* BAR0 holds the MSI-X table; the kernel lets it be mmapped whole */
	ret = vfiodev_region_get_info(dev, VFIODEV_PCI_BAR0_REGION, &ri);
	if (!ret)
		ret = vfiodev_region_mmap(dev, VFIODEV_PCI_BAR0_REGION, &bar);
	result("nvme/bar0-msix-mappable",
	       !ret && (ri.flags & VFIODEV_REGION_MSIX_MAPPABLE) &&
		       *(volatile uint64_t *)bar != 0,
	       "BAR0 flags 0x%x mmap %s", ri.flags, strerror(-ret));

	/* MSI-X: two vectors to two eventfds, each fired by loopback */
	ret = vfiodev_irq_get_info(dev, VFIODEV_PCI_MSIX_IRQ, &ii);
	nvec = ret ? 0 : (int)ii.count;
	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	ret = nvec >= 2 ? vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_MSIX_IRQ, 0,
						   2, efd) :
			  -ENODEV;
	result("nvme/msix-eventfds", !ret, "%d MSI-X vectors; set: %s", nvec,
	       strerror(-ret));
	if (!ret)
		ret = vfiodev_irq_trigger(dev, VFIODEV_PCI_MSIX_IRQ, 1, 1);
	n1 = ret ? 0 : edu_wait_eventfd(efd[1], 2000);
	n0 = edu_wait_eventfd(efd[0], 100);
	result("nvme/msix-trigger-one-vector", !ret && n1 == 1 && n0 == 0,
	       "trigger: %s; vector 1 fired %llu, vector 0 fired %llu",
	       strerror(-ret), (unsigned long long)n1, (unsigned long long)n0);
	ret = vfiodev_irq_disable(dev, VFIODEV_PCI_MSIX_IRQ);
	result("nvme/msix-disable", !ret, "disable: %s", strerror(-ret));

	/* MSI-X grown from 1 to 2 vectors by one call, real interrupts */
	if (bar)
		t_nvme_msix_grow(dev, bar);
	else
		result("nvme/msix-grow-vector0-alone", false, "no BAR0 mmap");

	/* the request interrupt (the kernel asks for the device back) */
	ret = vfiodev_irq_get_info(dev, VFIODEV_PCI_REQ_IRQ, &ii);
	if (!ret && ii.count == 1) {
		ret = vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_REQ_IRQ, 0, 1, efd);
		if (!ret)
			ret = vfiodev_irq_trigger(dev, VFIODEV_PCI_REQ_IRQ, 0, 1);
		n0 = ret ? 0 : edu_wait_eventfd(efd[0], 2000);
		result("nvme/req-eventfd", !ret && n0 == 1, "REQ: %s, fired %llu",
		       strerror(-ret), (unsigned long long)n0);
	} else {
		result("nvme/req-eventfd", false, "REQ index: count %u (%s)",
		       ret ? 0 : ii.count, strerror(-ret));
	}

	/* function-level reset, then the controller still answers */
	ret = vfiodev_device_reset(dev);
	ven = 0;
	if (!ret)
		ret = vfiodev_pci_config_read(dev, 0, 2, &ven);
	result("nvme/reset",
	       !ret && ven == 0x1b36 && *(volatile uint64_t *)bar != 0,
	       "reset: %s, vendor 0x%04x after", strerror(-ret), ven);
	close(efd[0]);
	close(efd[1]);
	vfiodev_device_close(dev);
	return 0;
}

/*
 * adopt: a parent opens /dev/iommu and forks; the child adopts that fd
 * (vfiodev_ctx_adopt_iommufd), opens the device through it and DMAs. The
 * child's exit status is the verdict: 0 ok, 3 the device is not on the
 * iommufd path (no vfio cdev: the stock kernels), else a failure.
 */
static int adopt_child(int fd, const char *bdf)
{
	struct vfiodev_ctx *c;
	struct vfiodev_device *dev = NULL;
	uint8_t *src = guest_pages(4096), *dst = guest_pages(4096);
	char why[160];
	struct edu e;
	int ret;

	if (vfiodev_ctx_new(NULL, &c))
		return 1;
	vfiodev_ctx_set_log_priority(c, LOG_INFO);
	ret = vfiodev_ctx_adopt_iommufd(c, fd);
	close(fd);
	if (!ret)
		ret = vfiodev_device_open(c, bdf, NULL, &dev);
	if (ret) {
		printf("adopt: child: %s\n", strerror(-ret));
		return 1;
	}
	if (vfiodev_device_backend(dev) != VFIODEV_BACKEND_IOMMUFD)
		return 3;
	fill(src, DMA_LEN, 9);
	memset(dst, 0, DMA_LEN);
	ret = edu_init(&e, dev);
	if (!ret)
		ret = map_round_trip(dev, &e, src, dst, why, sizeof(why));
	printf("adopt: child: DMA through the adopted iommufd: %s\n",
	       ret ? why : "ok");
	vfiodev_device_close(dev);
	vfiodev_ctx_unref(c);
	return ret ? 1 : 0;
}

/* a BAR exported as a dma-buf where the kernel can (its probe of
 * VFIO_DEVICE_FEATURE_DMA_BUF says so: Linux 6.19+ with VFIO_PCI_DMABUF, on
 * either path), -EOPNOTSUPP where it cannot; two results either way */
static int t_dmabuf(const char *bdf)
{
	const struct vfiodev_dma_range r = { 0, 4096 };
	struct vfiodev_device *dev;
	struct stat st;
	int ret, probe, fd = -1;

	ret = guest_open(ctx, bdf, NULL, VFIODEV_BACKEND_AUTO, false, &dev);
	if (ret) {
		result("dmabuf/export", false, "open: %s", strerror(-ret));
		result("dmabuf/fd", false, "no device");
		return 1;
	}
	probe = vfiodev_device_feature(dev, VFIODEV_FEATURE_PROBE | VFIODEV_FEATURE_GET,
				       11 /* VFIO_DEVICE_FEATURE_DMA_BUF */,
				       NULL, 0);
	/* memory decoding on: a dma-buf made with it off starts revoked */
	vfiodev_pci_enable_bus_master(dev);
	ret = vfiodev_region_dma_buf(dev, VFIODEV_PCI_BAR0_REGION, &r, 1, &fd);
	printf("dmabuf: the kernel's probe says %s; export: %s, fd %d\n",
	       probe ? strerror(-probe) : "supported", strerror(-ret), fd);
	if (!probe) {
		result("dmabuf/export", !ret && fd >= 0, "export: %s",
		       strerror(-ret));
		result("dmabuf/fd", fd >= 0 && !fstat(fd, &st) && st.st_size == 4096,
		       "the dma-buf is not 4096 bytes");
	} else {
		result("dmabuf/export", ret == -EOPNOTSUPP,
		       "export returned %d on a kernel without it", ret);
		result("dmabuf/fd", fd == -1, "an fd was returned");
	}
	if (fd >= 0)
		close(fd);
	vfiodev_device_close(dev);
	return 0;
}

static int t_adopt(const char *bdf)
{
	int fd = open("/dev/iommu", O_RDWR), status = 0;
	pid_t pid;

	if (fd < 0) {
		result_skip("adopt/child-uses-parents-iommufd",
			    "no /dev/iommu on this kernel (%s)", strerror(errno));
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(adopt_child(fd, bdf));
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		result("adopt/child-uses-parents-iommufd", false,
		       "fork/wait failed");
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		result_skip("adopt/child-uses-parents-iommufd",
			    "the device has no vfio cdev on this kernel: it takes the group path, the adopted iommufd is not used");
	else
		result("adopt/child-uses-parents-iommufd",
		       WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "child exit status 0x%x", status);
	return 0;
}

/*
 * Hot-unplug as a VMM does it: two devices in one space, one closed and
 * opened again into a second space of this context, then from a second
 * process; the first space's mappings keep serving the other device. On
 * the container path this needs the group to leave the container when
 * its last device closes.
 */
static int unplug_child(const char *bdf)
{
	struct vfiodev_ctx *c;
	struct vfiodev_device *dev = NULL;
	uint8_t *src = guest_pages(4096), *dst = guest_pages(4096);
	char why[160] = "";
	struct edu e;
	int ret;

	if (vfiodev_ctx_new(NULL, &c))
		return 1;
	vfiodev_ctx_set_log_priority(c, LOG_INFO);
	ret = vfiodev_device_open(c, bdf, NULL, &dev);
	if (ret) {
		printf("unplug: child: open %s: %s\n", bdf, strerror(-ret));
		return 1;
	}
	fill(src, DMA_LEN, 11);
	memset(dst, 0, DMA_LEN);
	ret = edu_init(&e, dev);
	if (!ret)
		ret = map_round_trip(dev, &e, src, dst, why, sizeof(why));
	printf("unplug: child: DMA: %s\n", ret ? why : "ok");
	vfiodev_device_close(dev);
	vfiodev_ctx_unref(c);
	return ret ? 1 : 0;
}

static int t_unplug(char **bdfs)
{
	struct vfiodev_space *s1, *s2;
	struct vfiodev_device *a = NULL, *b = NULL;
	uint8_t *src = guest_pages(4096), *dst = guest_pages(2 * 4096);
	uint64_t iova_src, iova_dst;
	struct edu ea, eb;
	char why[160] = "";
	int ret, status = 0;
	pid_t pid;

	if (!src || !dst || vfiodev_space_new(ctx, NULL, &s1) ||
	    vfiodev_space_new(ctx, NULL, &s2))
		return 1;
	ret = guest_open(ctx, bdfs[0], s1, VFIODEV_BACKEND_AUTO, false, &a);
	if (!ret)
		ret = guest_open(ctx, bdfs[1], s1, VFIODEV_BACKEND_AUTO, false, &b);
	if (!ret)
		ret = edu_init(&eb, b);
	fill(src, 4096, 5);
	if (!ret)
		ret = vfiodev_dma_map_any(s1, src, 4096, VFIODEV_DMA_READ, NULL,
					  &iova_src);
	if (!ret)
		ret = vfiodev_dma_map_any(s1, dst, 2 * 4096, VFIODEV_DMA_WRITE,
					  NULL, &iova_dst);
	result("unplug/two-in-one-space", !ret, "%s", strerror(-ret));
	if (ret)
		return 1;

	/* unplug a, plug it into a second space of this context */
	vfiodev_device_close(a);
	a = NULL;
	ret = guest_open(ctx, bdfs[0], s2, VFIODEV_BACKEND_AUTO, false, &a);
	result("unplug/reopen-into-second-space", !ret,
	       "%s: %s (the group stayed with the first space?)", bdfs[0],
	       strerror(-ret));
	if (!ret) {
		uint8_t *s = guest_pages(4096), *d = guest_pages(4096);

		fill(s, DMA_LEN, 7);
		ret = edu_init(&ea, a);
		if (!ret)
			ret = map_round_trip(a, &ea, s, d, why, sizeof(why));
		result("unplug/dma-in-second-space", !ret, "%s", why);
	}
	/* the first space's mappings, made before the unplug, still serve b */
	memset(dst + 4096, 0, 4096);
	ret = guest_round_trip(&eb, iova_src, iova_dst + 4096, src, dst + 4096,
			       why, sizeof(why));
	result("unplug/first-space-serves-the-other", !ret, "%s", why);

	/* unplug again: another process takes it */
	vfiodev_device_close(a);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(unplug_child(bdfs[0]));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	result("unplug/reopen-in-second-process",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child exit status 0x%x", status);
	vfiodev_device_close(b);
	vfiodev_space_unref(s1);
	vfiodev_space_unref(s2);
	return 0;
}

/*
 * Bus reset of two edus behind one bridge (one IOMMU group): the report
 * matches sysfs, the reset with both held succeeds on either path, both
 * devices DMA afterwards without being set up again (config space, bus
 * mastering included, is restored by the kernel); with the second device
 * closed and unbound from vfio-pci, the reset is refused naming it, and
 * the first still works.
 */
/* the library's last error line */
static struct guest_log keep_log;

/* the PCI devices on @bdf's bus, as sysfs lists them */
static int sysfs_bus_peers(const char *bdf, char out[][VFIODEV_BDF_LEN], int max)
{
	char prefix[16];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/sys/bus/pci/devices");

	if (!d)
		return -1;
	snprintf(prefix, sizeof(prefix), "%.8s", bdf); /* "dddd:bb:" */
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, 8) && n < max)
			snprintf(out[n++], VFIODEV_BDF_LEN, "%.19s", de->d_name);
	closedir(d);
	return n;
}

static int sysfs_group(const char *bdf)
{
	char path[320], link[256];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return -1;
	link[len] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

static int dma_check(struct vfiodev_device *dev, const struct edu *e,
		     unsigned int seed, char *why, size_t len)
{
	uint8_t *src = guest_pages(4096), *dst = guest_pages(4096);
	int ret;

	fill(src, DMA_LEN, seed);
	memset(dst, 0, DMA_LEN);
	ret = map_round_trip(dev, e, src, dst, why, len);
	vfiodev_dma_unmap_vaddr(vfiodev_device_space(dev), src);
	vfiodev_dma_unmap_vaddr(vfiodev_device_space(dev), dst);
	return ret;
}

static int t_hotreset(char **bdfs)
{
	struct vfiodev_reset_peer peers[8];
	struct vfiodev_device *dev[2] = { NULL, NULL };
	char sys[8][VFIODEV_BDF_LEN], why[160] = "", path[128];
	struct edu e[2];
	size_t n = 8;
	int ret, nsys, matched = 0;
	FILE *f;

	vfiodev_ctx_set_log_fn(ctx, guest_log_fn, &keep_log);
	for (int i = 0; i < 2; i++) {
		ret = guest_open(ctx, bdfs[i], NULL, VFIODEV_BACKEND_AUTO,
				 false, &dev[i]);
		if (!ret)
			ret = edu_init(&e[i], dev[i]);
		if (ret) {
			result("hotreset/open", false, "%s: %s", bdfs[i],
			       strerror(-ret));
			return 1;
		}
	}
	ret = vfiodev_device_hot_reset_info(dev[0], peers, &n);
	nsys = sysfs_bus_peers(bdfs[0], sys, 8);
	for (size_t i = 0; !ret && i < n; i++)
		for (int k = 0; k < nsys; k++)
			if (!strcmp(peers[i].bdf, sys[k]) &&
			    peers[i].group == sysfs_group(sys[k]) &&
			    peers[i].flags == (VFIODEV_RESET_PEER_HELD |
					       VFIODEV_RESET_PEER_VFIO))
				matched++;
	result("hotreset/info-matches-sysfs",
	       !ret && (int)n == nsys && matched == nsys && n == 2,
	       "%s: %zu affected (%s %d, %s %d), sysfs lists %d on the bus, %d matched",
	       strerror(-ret), n, n > 0 ? peers[0].bdf : "-",
	       n > 0 ? peers[0].group : -1, n > 1 ? peers[1].bdf : "-",
	       n > 1 ? peers[1].group : -1, nsys, matched);

	ret = vfiodev_device_hot_reset(dev[0]);
	result("hotreset/reset-both-held", !ret, "%s: %s", strerror(-ret),
	       keep_log.last_err);
	for (int i = 0; i < 2; i++) {
		char name[64];

		/* no edu_init again: what the kernel restored must do */
		ret = dma_check(dev[i], &e[i], 20 + i, why, sizeof(why));
		snprintf(name, sizeof(name), "hotreset/dma-after-reset-%d", i);
		result(name, !ret, "%s: %s", bdfs[i], why);
	}

	/* the second device leaves vfio-pci: the reset would take it along */
	vfiodev_device_close(dev[1]);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 bdfs[1]);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s", bdfs[1]) < 0 || fclose(f)) {
		result("hotreset/refused-naming-the-peer", false,
		       "cannot unbind %s", bdfs[1]);
		vfiodev_device_close(dev[0]);
		return 1;
	}
	keep_log.last_err[0] = '\0';
	ret = vfiodev_device_hot_reset(dev[0]);
	result("hotreset/refused-naming-the-peer",
	       ret == -EPERM && strstr(keep_log.last_err, bdfs[1]),
	       "returned %s, log: %s", strerror(-ret), keep_log.last_err);
	ret = dma_check(dev[0], &e[0], 30, why, sizeof(why));
	result("hotreset/dma-after-refusal", !ret, "%s", why);
	vfiodev_device_close(dev[0]);
	vfiodev_ctx_set_log_fn(ctx, NULL, NULL);
	return 0;
}

/*
 * VF token: the PF's user sets it, root creates a VF (vfio-pci binds it
 * by driver_override), and the VF opens on the group path only with the
 * token. On the cdev path Linux 6.19+ checks the token as well
 * (VFIO_DEVICE_BIND_FLAG_TOKEN came in 6.17, its struct size was fixed in
 * 6.19): AUTO with the token stays on the cdev, and the bind without one
 * is refused. Before, the cdev bind checks no token: AUTO with a token
 * falls back to the group path, saying why.
 */
#define VF_TOKEN "7d0b6b4e-3f1c-4a52-8e6f-0c1d2e3f4a5b"
#define VF_OTHER "7d0b6b4e-3f1c-4a52-8e6f-0c1d2e3f4a5c"

/* the library's lines still reach stderr; note a hint to pass the token */
static struct guest_log token_log = { .watch = "pass the VF token" };

static int sysfs_put(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static int open_vf(const char *bdf, const char *token,
		   enum vfiodev_backend backend, struct vfiodev_device **dev)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);

	opts.backend = backend;
	opts.vf_token = token;
	*dev = NULL;
	return vfiodev_device_open(ctx, bdf, &opts, dev);
}

static int t_vftoken(const char *pf_bdf)
{
	struct vfiodev_device *pf = NULL, *vf = NULL;
	char path[256], link[256], vf_bdf[64] = "", drv[256] = "";
	const char *why;
	struct utsname u;
	bool token_on_cdev;
	ssize_t len;
	int ret;

	uname(&u);
	token_on_cdev = cdev_kernel && kernel_at_least(6, 19);
	ret = vfiodev_device_open(ctx, pf_bdf, NULL, &pf);
	if (!ret)
		ret = vfiodev_device_set_vf_token(pf, VF_TOKEN);
	result("vftoken/set-on-pf", !ret, "%s: %s", pf_bdf, strerror(-ret));
	if (ret)
		return 1;
	/* vfio-pci creates VFs only when allowed to */
	ret = sysfs_put("/sys/module/vfio_pci/parameters/enable_sriov", "Y");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", pf_bdf);
	if (!ret)
		ret = sysfs_put(path, "1");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn0", pf_bdf);
	len = ret ? -1 : readlink(path, link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		snprintf(vf_bdf, sizeof(vf_bdf), "%s", strrchr(link, '/') + 1);
	}
	/* vfio-pci probes the new VF (driver_override): wait for it */
	for (int i = 0; vf_bdf[0] && i < 200 && !strstr(drv, "vfio-pci"); i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver",
			 vf_bdf);
		len = readlink(path, drv, sizeof(drv) - 1);
		drv[len > 0 ? len : 0] = '\0';
		if (!strstr(drv, "vfio-pci"))
			usleep(10000);
	}
	result("vftoken/vf-created", vf_bdf[0] && strstr(drv, "vfio-pci"),
	       "sriov_numvfs: %s; VF '%s' driver '%s'", strerror(-ret), vf_bdf,
	       drv);
	if (!vf_bdf[0] || !strstr(drv, "vfio-pci")) {
		vfiodev_device_close(pf);
		return 1;
	}

	ret = open_vf(vf_bdf, NULL, VFIODEV_BACKEND_CONTAINER, &vf);
	result("vftoken/group-refused-without", ret == -EACCES, "%s: %s",
	       vf_bdf, strerror(-ret));
	vfiodev_device_close(vf);
	ret = open_vf(vf_bdf, VF_OTHER, VFIODEV_BACKEND_CONTAINER, &vf);
	result("vftoken/group-refused-with-another", ret == -EACCES, "%s: %s",
	       vf_bdf, strerror(-ret));
	vfiodev_device_close(vf);
	ret = open_vf(vf_bdf, VF_TOKEN, VFIODEV_BACKEND_CONTAINER, &vf);
	result("vftoken/group-opens-with", !ret, "%s: %s", vf_bdf, strerror(-ret));
	vfiodev_device_close(vf);

	ret = open_vf(vf_bdf, VF_TOKEN, VFIODEV_BACKEND_AUTO, &vf);
	why = ret ? NULL : vfiodev_device_fallback_reason(vf);
	if (!cdev_kernel)
		result("vftoken/auto-says-why",
		       !ret && why && strstr(why, "no vfio cdev"),
		       "%s, reason: %s", strerror(-ret), why ? why : "-");
	else if (token_on_cdev)
		result("vftoken/auto-says-why",
		       !ret && vfiodev_device_backend(vf) == VFIODEV_BACKEND_IOMMUFD &&
			       !why,
		       "Linux %s checks the token on the cdev, AUTO must stay there: %s, backend %s, reason: %s",
		       u.release, strerror(-ret),
		       ret ? "-" : vfiodev_backend_name(vfiodev_device_backend(vf)),
		       why ? why : "(none)");
	else
		result("vftoken/auto-says-why",
		       !ret && why && strstr(why, "refused the VF token"),
		       "%s, reason: %s", strerror(-ret), why ? why : "-");
	vfiodev_device_close(vf);
	if (!cdev_kernel) {
		result_skip("vftoken/cdev-refused-without",
			    "no vfio cdev on this kernel");
	} else if (!token_on_cdev) {
		ret = open_vf(vf_bdf, NULL, VFIODEV_BACKEND_IOMMUFD, &vf);
		result_skip("vftoken/cdev-refused-without",
			    "Linux %s's cdev bind checks no VF token (it does from 6.19 on; VFIO_DEVICE_BIND_FLAG_TOKEN came in 6.17): the VF %s without one; the flag's path is unit-tested against the fake kernel",
			    u.release, ret ? "was refused" : "opened");
		vfiodev_device_close(vf);
	} else {
		token_log.seen = false;
		vfiodev_ctx_set_log_fn(ctx, guest_log_fn, &token_log);
		ret = open_vf(vf_bdf, NULL, VFIODEV_BACKEND_IOMMUFD, &vf);
		vfiodev_ctx_set_log_fn(ctx, NULL, NULL);
		/* and the library says what is missing */
		result("vftoken/cdev-refused-without",
		       ret == -EACCES && token_log.seen,
		       "%s without a token on the iommufd path: %s, expected EACCES (Linux %s checks the VF token on the cdev bind); the log %s \"pass the VF token\"",
		       vf_bdf, ret ? strerror(-ret) : "opened", u.release,
		       token_log.seen ? "gave" : "did not give");
		vfiodev_device_close(vf);
	}
	vfiodev_device_close(pf);
	return 0;
}

static int t_two_groups(char **bdfs)
{
	return t_shared("two-groups", 2, bdfs, false);
}

static int t_one_group(char **bdfs)
{
	return t_shared("one-group", 2, bdfs, true);
}

/* the subcommands: @one takes a BDF, @many the BDFs from argv[2] on (at
 * least @nbdf of them) */
static const struct subcommand {
	const char *name;
	int nbdf;
	int (*one)(const char *bdf);
	int (*many)(char **bdfs);
	const char *help;
} subcommands[] = {
	{ "open", 1, t_open, NULL, "backend, node, identity, fallback reason" },
	{ "info", 1, t_info, NULL, "BAR0, config space, region and IRQ info" },
	{ "dma", 1, t_dma, NULL, "DMA round trip and MSIs, then unmap" },
	{ "dmabuf", 1, t_dmabuf, NULL, "a BAR exported as a dma-buf, or EOPNOTSUPP" },
	{ "adopt", 1, t_adopt, NULL, "a device fd handed to a child, adopted" },
	{ "reset", 1, t_reset, NULL, "device reset, DMA after it" },
	{ "planted", 1, t_planted, NULL, "a node of the wrong major:minor refused" },
	{ "noiommu", 1, t_noiommu, NULL, "noiommu refused, then opened as allowed" },
	{ "forced", 1, t_forced, NULL, "each backend forced" },
	{ "nvme", 1, t_nvme, NULL, "QEMU's NVMe controller (MSI-X, FLR)" },
	{ "vftoken", 1, t_vftoken, NULL, "a PF's VF token; the VF opens with it" },
	{ "two-groups", 2, NULL, t_two_groups, "two groups sharing one space" },
	{ "one-group", 2, NULL, t_one_group, "two devices of one group" },
	{ "unplug", 2, NULL, t_unplug, "a group's last device closed, reopened" },
	{ "hotreset", 2, NULL, t_hotreset,
	  "bus reset, refused while one is not held" },
};

#define NR_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(void)
{
	fprintf(stderr, "usage: vmtest SUBCOMMAND BDF...\n");
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++) {
		const struct subcommand *c = &subcommands[i];

		fprintf(stderr, "  %-10s %-8s %s\n", c->name,
			c->nbdf == 1 ? "BDF" : "BDF BDF", c->help);
	}
}

static const struct subcommand *find_subcommand(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < NR_SUBCOMMANDS; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return argc - 2 >= subcommands[i].nbdf ? &subcommands[i] :
								 NULL;
	return NULL;
}

int main(int argc, char **argv)
{
	const struct subcommand *cmd = find_subcommand(argc, argv);
	const char *k = getenv("VMTEST_KERNEL");
	int ret;

	if (!cmd) {
		if (argc >= 2)
			fprintf(stderr, "vmtest: unknown test or missing BDF: %s\n",
				argv[1]);
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	cdev_kernel = guest_has_vfio_cdev() && guest_is_chr("/dev/iommu");
	{
		struct utsname u;

		uname(&u);
		printf("vmtest: kernel %s (%s): vfio cdev major %s, /dev/iommu %s: expecting the %s path\n",
		       u.release, k ? k : "?", guest_has_vfio_cdev() ? "yes" : "no",
		       guest_is_chr("/dev/iommu") ? "yes" : "no",
		       expected_backend());
	}
	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret) {
		printf("vmtest: vfiodev_ctx_new: %s\n", strerror(-ret));
		return 1;
	}
	/* library log lines land in the console log, for diagnosis */
	vfiodev_ctx_set_log_priority(ctx, LOG_INFO);
	ret = cmd->one ? cmd->one(argv[2]) : cmd->many(argv + 2);
	vfiodev_ctx_unref(ctx);
	return ret || failures ? 1 : 0;
}
