/* SPDX-License-Identifier: MIT */
/*
 * A tiny userspace driver for QEMU's "edu" teaching device (1234:11e8), on
 * top of libvfiodev: BAR0 registers, DMA between RAM and the device's
 * 4 KiB buffer, and its interrupt. Header-only so examples and the VM tests
 * share it. Register map: QEMU docs/specs/edu.rst.
 */
#ifndef VFIODEV_EXAMPLE_EDU_H
#define VFIODEV_EXAMPLE_EDU_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <vfiodev.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID_VALUE 0x010000ed

#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98

#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_DMA_IRQ_VALUE 0x100

/* the device's buffer, in its own address space */
#define EDU_BUF_ADDR 0x40000ull
/* QEMU 7.2 rejects a transfer covering all 4096 bytes of the buffer */
#define EDU_DMA_MAX 4095u
/* the device truncates DMA addresses to 28 bits */
#define EDU_IOVA_LIMIT (1ull << 28)

struct edu {
	struct vfiodev_device *dev;
	volatile uint8_t *bar0;
};

static inline uint32_t edu_read32(const struct edu *e, uint32_t reg)
{
	return *(volatile uint32_t *)(e->bar0 + reg);
}

static inline void edu_write32(const struct edu *e, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(e->bar0 + reg) = v;
}

static inline void edu_write64(const struct edu *e, uint32_t reg, uint64_t v)
{
	*(volatile uint64_t *)(e->bar0 + reg) = v;
}

static inline uint64_t edu_read64(const struct edu *e, uint32_t reg)
{
	return *(volatile uint64_t *)(e->bar0 + reg);
}

/* map BAR0 and enable bus mastering (needed for DMA and MSI) */
static inline int edu_init(struct edu *e, struct vfiodev_device *dev)
{
	void *bar;
	int ret;

	e->dev = dev;
	ret = vfiodev_region_mmap(dev, VFIODEV_PCI_BAR0_REGION, &bar);
	if (ret)
		return ret;
	e->bar0 = bar;
	if (edu_read32(e, EDU_REG_ID) != EDU_ID_VALUE)
		return -ENODEV;
	return vfiodev_pci_enable_bus_master(dev);
}

/* one transfer between RAM at @iova and the device buffer at @off;
 * waits for the device to finish (it takes ~100 ms of virtual time) */
static inline int edu_dma(const struct edu *e, uint64_t iova, uint32_t off,
			  uint32_t len, int to_ram, int irq)
{
	struct timespec ts = { 0, 1000000 };
	uint64_t cmd = EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0) |
		       (irq ? EDU_DMA_IRQ : 0);

	if (!len || len > EDU_DMA_MAX || off + len > EDU_DMA_MAX ||
	    iova + len > EDU_IOVA_LIMIT)
		return -EINVAL;
	edu_write64(e, EDU_REG_DMA_SRC, to_ram ? EDU_BUF_ADDR + off : iova);
	edu_write64(e, EDU_REG_DMA_DST, to_ram ? iova : EDU_BUF_ADDR + off);
	edu_write64(e, EDU_REG_DMA_COUNT, len);
	edu_write64(e, EDU_REG_DMA_CMD, cmd);
	for (int i = 0; i < 10000; i++) {
		if (!(edu_read64(e, EDU_REG_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* wait for an eventfd to fire; returns its count, 0 on timeout */
static inline uint64_t edu_wait_eventfd(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* acknowledge every pending interrupt cause */
static inline void edu_irq_ack(const struct edu *e)
{
	edu_write32(e, EDU_REG_IRQ_ACK, edu_read32(e, EDU_REG_IRQ_STATUS));
}

#endif /* VFIODEV_EXAMPLE_EDU_H */
