// SPDX-License-Identifier: MIT
/*
 * A small userspace NVMe driver on libvfiodev, written to be copied: open a
 * controller by PCI address, map BAR0, reset and enable it with admin
 * queues in DMA memory from vfiodev_dma_alloc(), Identify the controller
 * and namespace 1, create one I/O queue pair whose completions arrive on an
 * MSI-X eventfd, then WRITE and READ back a multi-page transfer from the
 * caller's own memory, its PRP list built with vfiodev_dma_translate_len().
 *
 *   nvme-read BDF [--serial S] [--check LBA:N:TAG] [--write LBA:N:TAG]
 *
 *   --serial S       fail unless the controller's serial number is S
 *   --check L:N:T    READ N blocks at LBA L and compare them with the
 *                    pattern tagged T (what a host wrote into a disk image)
 *   --write L:N:T    WRITE N blocks of pattern T at LBA L, READ them back
 *                    into another buffer and compare (default 0x100:128:0x77
 *                    when neither --check nor --write is given)
 *
 * The pattern, block by block: byte j of block lba is (lba * 31 + j * 7 +
 * tag) & 0xff, with 512-byte blocks; the VM suite's harness writes and
 * checks the same bytes on the host (tests/vm/run.sh, topology nvme-disk).
 *
 * Register and command layouts: NVM Express Base Specification 2.0, §3.1
 * (controller registers), §4 (queues, PRPs), §5 (admin commands).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <vfiodev.h>

#define PAGE 4096u
#define BLOCK 512u

/* controller registers (BAR0) */
#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000

#define CC_EN (1u << 0)
#define CC_IOSQES (6u << 16) /* 64-byte submission entries */
#define CC_IOCQES (4u << 20) /* 16-byte completion entries */
#define CSTS_RDY (1u << 0)
#define CSTS_CFS (1u << 1)

/* admin opcodes */
#define ADM_CREATE_SQ 0x01
#define ADM_CREATE_CQ 0x05
#define ADM_IDENTIFY 0x06
#define ADM_SET_FEATURES 0x09
#define FEAT_NUM_QUEUES 0x07
/* NVM opcodes */
#define NVM_WRITE 0x01
#define NVM_READ 0x02

#define ADMIN_DEPTH 32u
#define IO_DEPTH 64u
#define IO_VECTOR 1u /* MSI-X vector of the I/O completion queue */
#define MAX_XFER (256u * 1024u)

struct sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status; /* bit 0: phase tag; bits 15:1: status field */
};

struct queue {
	uint16_t qid, depth, sq_tail, cq_head, cid;
	uint8_t phase;
	struct sqe *sq;
	volatile struct cqe *cq;
	uint64_t sq_iova, cq_iova;
	volatile uint32_t *sq_db, *cq_db;
	int efd; /* completion eventfd, -1: poll the queue */
	uint64_t irqs; /* interrupts counted on efd */
	unsigned int commands;
};

struct nvme {
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	volatile uint8_t *bar;
	unsigned int timeout_ms;
	struct queue admin, io;
	void *prp_list; /* one page of PRP entries, from the DMA allocator */
	uint64_t prp_list_iova;
	unsigned int translate_calls;
};

static uint32_t rd32(struct nvme *c, uint32_t reg)
{
	return *(volatile uint32_t *)(c->bar + reg);
}

static void wr32(struct nvme *c, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(c->bar + reg) = v;
}

static uint64_t rd64(struct nvme *c, uint32_t reg)
{
	return rd32(c, reg) | (uint64_t)rd32(c, reg + 4) << 32;
}

static void wr64(struct nvme *c, uint32_t reg, uint64_t v)
{
	wr32(c, reg, (uint32_t)v);
	wr32(c, reg + 4, (uint32_t)(v >> 32));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wait_ready(struct nvme *c, bool ready)
{
	uint64_t end = now_ms() + c->timeout_ms;

	for (;;) {
		uint32_t csts = rd32(c, REG_CSTS);

		if (csts & CSTS_CFS)
			return -EIO;
		if (!!(csts & CSTS_RDY) == ready)
			return 0;
		if (now_ms() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

/* Queue memory comes from the DMA allocator: zeroed, mapped, one call. */
static int queue_init(struct nvme *c, struct queue *q, uint16_t qid,
		      uint16_t depth, unsigned int dstrd, int efd)
{
	void *sq, *cq;
	int ret;

	ret = vfiodev_dma_alloc(c->space, depth * sizeof(struct sqe),
				VFIODEV_DMA_READ, NULL, &sq, &q->sq_iova);
	if (ret)
		return ret;
	ret = vfiodev_dma_alloc(c->space, depth * sizeof(struct cqe),
				VFIODEV_DMA_WRITE, NULL, &cq, &q->cq_iova);
	if (ret) {
		vfiodev_dma_free(c->space, sq);
		return ret;
	}
	q->sq = sq;
	q->cq = cq;
	q->qid = qid;
	q->depth = depth;
	q->sq_tail = q->cq_head = q->cid = 0;
	q->phase = 1;
	q->sq_db = (volatile uint32_t *)(c->bar + REG_DOORBELLS +
					 (2u * qid) * (4u << dstrd));
	q->cq_db = (volatile uint32_t *)(c->bar + REG_DOORBELLS +
					 (2u * qid + 1) * (4u << dstrd));
	q->efd = efd;
	return 0;
}

static int wait_event(struct queue *q, int timeout_ms)
{
	struct pollfd pfd = { .fd = q->efd, .events = POLLIN };
	uint64_t n;
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	if (read(q->efd, &n, sizeof(n)) != sizeof(n))
		return -EIO;
	q->irqs += n;
	return 0;
}

/*
 * Submit one command and wait for its completion: by the queue's MSI-X
 * eventfd when it has one, else by polling the phase tag.
 */
static int submit(struct nvme *c, struct queue *q, struct sqe *cmd, uint32_t *result)
{
	uint64_t end = now_ms() + c->timeout_ms;
	volatile struct cqe *e;
	uint16_t status;

	cmd->cid = q->cid++;
	q->commands++;
	q->sq[q->sq_tail] = *cmd;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
	/* the entry must be in memory before the device sees the doorbell
	 * (a full barrier: on x86 an sfence-free store order already holds,
	 * elsewhere it is the wmb() a kernel driver would use) */
	__sync_synchronize();
	*q->sq_db = q->sq_tail;

	e = &q->cq[q->cq_head];
	/* acquire: the entry's other fields are read after its phase tag */
	while ((__atomic_load_n(&e->status, __ATOMIC_ACQUIRE) & 1) != q->phase) {
		if (q->efd >= 0) {
			int ret = wait_event(q, (int)c->timeout_ms);

			if (ret)
				return ret;
			continue;
		}
		if (now_ms() > end)
			return -ETIMEDOUT;
		usleep(100);
	}
	status = e->status >> 1;
	if (e->cid != cmd->cid)
		return -EPROTO;
	if (result)
		*result = e->result;
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->phase ^= 1;
	}
	*q->cq_db = q->cq_head;
	if (status) {
		fprintf(stderr, "nvme: opcode 0x%02x failed: status 0x%03x\n",
			cmd->opcode, status);
		return -EIO;
	}
	return 0;
}

/*
 * PRP1/PRP2 for a buffer anywhere in mapped memory: one translate_len
 * call per IOVA-contiguous run, one PRP entry per page.
 */
static int build_prps(struct nvme *c, const uint8_t *buf, size_t len, struct sqe *cmd)
{
	uint64_t *list = c->prp_list, iova = 0;
	size_t run = 0, off, n = 0;
	int ret;

	if ((uintptr_t)buf % 4 || len > MAX_XFER)
		return -EINVAL;
	for (off = 0; off < len;) {
		size_t step = PAGE - ((uintptr_t)(buf + off) % PAGE);

		if (!run) {
			ret = vfiodev_dma_translate_len(c->space, buf + off,
							&iova, &run);
			if (ret)
				return ret;
			c->translate_calls++;
		}
		if (!off)
			cmd->prp1 = iova;
		else
			list[n++] = iova;
		step = step < len - off ? step : len - off;
		step = step < run ? step : run;
		iova += step;
		run -= step;
		off += step;
	}
	if (n == 1)
		cmd->prp2 = list[0];
	else if (n > 1)
		cmd->prp2 = c->prp_list_iova;
	return 0;
}

static int nvme_rw(struct nvme *c, uint8_t opcode, uint64_t lba,
		   uint32_t blocks, void *buf)
{
	struct sqe cmd = {
		.opcode = opcode,
		.nsid = 1,
		.cdw10 = (uint32_t)lba,
		.cdw11 = (uint32_t)(lba >> 32),
		.cdw12 = blocks - 1,
	};
	int ret = build_prps(c, buf, (size_t)blocks * BLOCK, &cmd);

	return ret ? ret : submit(c, &c->io, &cmd, NULL);
}

static void fill(uint8_t *p, uint64_t lba, uint32_t blocks, uint8_t tag)
{
	for (uint32_t b = 0; b < blocks; b++)
		for (uint32_t j = 0; j < BLOCK; j++)
			p[b * BLOCK + j] = (uint8_t)((lba + b) * 31 + j * 7 + tag);
}

static long first_mismatch(const uint8_t *p, uint64_t lba, uint32_t blocks,
			   uint8_t tag)
{
	for (uint32_t b = 0; b < blocks; b++)
		for (uint32_t j = 0; j < BLOCK; j++)
			if (p[b * BLOCK + j] !=
			    (uint8_t)((lba + b) * 31 + j * 7 + tag))
				return (long)(b * BLOCK + j);
	return -1;
}

static int parse_range(const char *s, uint64_t *lba, uint32_t *n, uint8_t *tag)
{
	unsigned long long l;
	unsigned int b, t;
	char end;

	if (sscanf(s, "%lli:%u:%i%c", &l, &b, &t, &end) != 3 || !b ||
	    b > MAX_XFER / BLOCK || t > 0xff)
		return -EINVAL;
	*lba = l;
	*n = b;
	*tag = (uint8_t)t;
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "nvme-read: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

/*
 * The caller's own memory, mapped in two halves with the second half
 * mapped first: the halves are not IOVA-contiguous, so a PRP list over
 * the buffer needs two translate_len runs.
 */
static int map_user_buffer(struct nvme *c, uint8_t **out)
{
	uint8_t *p = mmap(NULL, MAX_XFER, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova;
	int ret;

	if (p == MAP_FAILED)
		return -errno;
	ret = vfiodev_dma_map_any(c->space, p + MAX_XFER / 2, MAX_XFER / 2,
				  VFIODEV_DMA_READ | VFIODEV_DMA_WRITE, NULL,
				  &iova);
	if (!ret) {
		ret = vfiodev_dma_map_any(c->space, p, MAX_XFER / 2,
					  VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					  NULL, &iova);
		if (ret)
			vfiodev_dma_unmap_vaddr(c->space, p + MAX_XFER / 2);
	}
	if (ret) {
		munmap(p, MAX_XFER);
		return ret;
	}
	*out = p;
	return 0;
}

int main(int argc, char **argv)
{
	const char *serial = NULL, *check = NULL, *wr = NULL;
	struct vfiodev_ctx *ctx;
	struct nvme c = { 0 };
	struct sqe cmd;
	uint8_t *id, *buf = NULL;
	uint64_t cap, lba, nsze;
	uint32_t blocks, lbads;
	unsigned int dstrd;
	int efds[IO_VECTOR + 1], ret;
	uint8_t tag;
	char sn[21];
	void *idmem;
	uint64_t id_iova;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--serial"))
			serial = argv[i + 1];
		else if (!strcmp(argv[i], "--check"))
			check = argv[i + 1];
		else if (!strcmp(argv[i], "--write"))
			wr = argv[i + 1];
		else
			argc = 0;
	}
	if (argc < 2 || argc % 2) {
		fprintf(stderr,
			"usage: %s BDF [--serial S] [--check LBA:N:TAG] [--write LBA:N:TAG]\n",
			argv[0]);
		return 2;
	}
	if (!check && !wr)
		wr = "0x100:128:0x77";

	ret = vfiodev_ctx_new(NULL, &ctx);
	if (ret)
		return fail("context", ret);
	ret = vfiodev_device_open(ctx, argv[1], NULL, &c.dev);
	if (ret)
		return fail("open", ret);
	c.space = vfiodev_device_space(c.dev);
	ret = vfiodev_region_mmap(c.dev, 0, (void **)&c.bar);
	if (ret)
		return fail("BAR0 mmap", ret);
	ret = vfiodev_pci_enable_bus_master(c.dev);
	if (ret)
		return fail("bus master", ret);

	cap = rd64(&c, REG_CAP);
	dstrd = (unsigned int)(cap >> 32) & 0xf;
	c.timeout_ms = (unsigned int)((cap >> 24) & 0xff) * 500 + 500;
	if (((cap >> 48) & 0xf) != 0 || !(cap & (1ull << 37)))
		return fail("controller needs 4 KiB pages and the NVM command set",
			    EOPNOTSUPP);
	printf("nvme: %s: version %08x, %u queue entries max, doorbell stride %u\n",
	       argv[1], rd32(&c, REG_VS), (unsigned int)(cap & 0xffff) + 1,
	       4u << dstrd);

	/* disable, then enable with the admin queues */
	if (rd32(&c, REG_CC) & CC_EN)
		wr32(&c, REG_CC, rd32(&c, REG_CC) & ~CC_EN);
	ret = wait_ready(&c, false);
	if (ret)
		return fail("controller disable", ret);
	ret = queue_init(&c, &c.admin, 0, ADMIN_DEPTH, dstrd, -1);
	if (ret)
		return fail("admin queue memory", ret);
	wr32(&c, REG_AQA, (ADMIN_DEPTH - 1) << 16 | (ADMIN_DEPTH - 1));
	wr64(&c, REG_ASQ, c.admin.sq_iova);
	wr64(&c, REG_ACQ, c.admin.cq_iova);
	wr32(&c, REG_CC, CC_EN | CC_IOSQES | CC_IOCQES);
	ret = wait_ready(&c, true);
	if (ret)
		return fail("controller enable", ret);

	/* Identify Controller (CNS 1) and Namespace 1 (CNS 0) */
	ret = vfiodev_dma_alloc(c.space, PAGE, VFIODEV_DMA_WRITE, NULL, &idmem,
				&id_iova);
	if (ret)
		return fail("identify buffer", ret);
	id = idmem;
	cmd = (struct sqe){ .opcode = ADM_IDENTIFY, .prp1 = id_iova, .cdw10 = 1 };
	ret = submit(&c, &c.admin, &cmd, NULL);
	if (ret)
		return fail("identify controller", ret);
	memcpy(sn, id + 4, 20);
	sn[20] = 0;
	for (int i = 19; i >= 0 && sn[i] == ' '; i--)
		sn[i] = 0;
	printf("nvme: serial '%s', model '%.40s'\n", sn, (char *)id + 24);
	if (serial && strcmp(sn, serial))
		return fail("serial number differs from --serial", EPROTO);

	cmd = (struct sqe){ .opcode = ADM_IDENTIFY, .nsid = 1, .prp1 = id_iova };
	ret = submit(&c, &c.admin, &cmd, NULL);
	if (ret)
		return fail("identify namespace 1", ret);
	memcpy(&nsze, id, 8);
	lbads = id[128 + 4 * (id[26] & 0xf) + 2];
	printf("nvme: namespace 1: %" PRIu64 " blocks of %u bytes\n", nsze,
	       1u << lbads);
	if (lbads != 9)
		return fail("this example needs 512-byte blocks", EOPNOTSUPP);

	/* one I/O queue pair; its completions raise MSI-X vector 1 */
	for (unsigned int i = 0; i <= IO_VECTOR; i++) {
		efds[i] = eventfd(0, EFD_CLOEXEC);
		if (efds[i] < 0)
			return fail("eventfd", errno);
	}
	ret = vfiodev_irq_set_eventfds(c.dev, VFIODEV_PCI_MSIX_IRQ, 0,
				       IO_VECTOR + 1, efds);
	if (ret)
		return fail("MSI-X eventfds", ret);
	cmd = (struct sqe){ .opcode = ADM_SET_FEATURES, .cdw10 = FEAT_NUM_QUEUES };
	ret = submit(&c, &c.admin, &cmd, NULL);
	if (ret)
		return fail("set number of queues", ret);
	ret = queue_init(&c, &c.io, 1, IO_DEPTH, dstrd, efds[IO_VECTOR]);
	if (ret)
		return fail("I/O queue memory", ret);
	cmd = (struct sqe){ .opcode = ADM_CREATE_CQ,
			    .prp1 = c.io.cq_iova,
			    .cdw10 = (IO_DEPTH - 1) << 16 | 1,
			    .cdw11 = IO_VECTOR << 16 | 1u << 1 | 1u };
	ret = submit(&c, &c.admin, &cmd, NULL);
	if (ret)
		return fail("create I/O completion queue", ret);
	cmd = (struct sqe){ .opcode = ADM_CREATE_SQ,
			    .prp1 = c.io.sq_iova,
			    .cdw10 = (IO_DEPTH - 1) << 16 | 1,
			    .cdw11 = 1u << 16 | 1u };
	ret = submit(&c, &c.admin, &cmd, NULL);
	if (ret)
		return fail("create I/O submission queue", ret);

	ret = vfiodev_dma_alloc(c.space, PAGE, VFIODEV_DMA_READ, NULL,
				&c.prp_list, &c.prp_list_iova);
	if (ret)
		return fail("PRP list page", ret);
	ret = map_user_buffer(&c, &buf);
	if (ret)
		return fail("data buffer", ret);

	if (wr) {
		uint8_t *back = buf + MAX_XFER / 2 - BLOCK * 8;
		long bad;

		if (parse_range(wr, &lba, &blocks, &tag) ||
		    blocks > MAX_XFER / 2 / BLOCK)
			return fail("--write LBA:N:TAG", EINVAL);
		/* write from the start, read back across both halves */
		fill(buf, lba, blocks, tag);
		c.translate_calls = 0;
		ret = nvme_rw(&c, NVM_WRITE, lba, blocks, buf);
		if (ret)
			return fail("WRITE", ret);
		printf("nvme: WRITE %u blocks at LBA %" PRIu64
		       ": PRP list from %u translate_len call(s)\n",
		       blocks, lba, c.translate_calls);
		memset(back, 0, (size_t)blocks * BLOCK);
		c.translate_calls = 0;
		ret = nvme_rw(&c, NVM_READ, lba, blocks, back);
		if (ret)
			return fail("READ back", ret);
		bad = first_mismatch(back, lba, blocks, tag);
		printf("nvme: READ back %u blocks into a buffer across two mappings (%u translate_len calls): %s\n",
		       blocks, c.translate_calls,
		       bad < 0 ? "identical" : "DIFFERENT");
		if (bad >= 0)
			return fail("READ back differs from WRITE", EIO);
	}
	if (check) {
		long bad;

		if (parse_range(check, &lba, &blocks, &tag))
			return fail("--check LBA:N:TAG", EINVAL);
		memset(buf, 0, (size_t)blocks * BLOCK);
		ret = nvme_rw(&c, NVM_READ, lba, blocks, buf);
		if (ret)
			return fail("READ", ret);
		bad = first_mismatch(buf, lba, blocks, tag);
		printf("nvme: READ %u blocks at LBA %" PRIu64 ": %s\n", blocks, lba,
		       bad < 0 ? "the host's pattern" : "NOT the host's pattern");
		if (bad >= 0) {
			fprintf(stderr, "nvme-read: byte %ld is 0x%02x\n", bad,
				buf[bad]);
			return fail("READ differs from the host's pattern", EIO);
		}
	}

	/* every I/O completion raises MSI-X vector 1: some must have come */
	wait_event(&c.io, 0);
	printf("nvme: %u I/O commands, %" PRIu64
	       " MSI-X interrupts on vector %u's eventfd\n",
	       c.io.commands, c.io.irqs, IO_VECTOR);
	if (!c.io.irqs)
		return fail("no I/O completion interrupt arrived", EIO);

	/* orderly shutdown: disable, then let device close free the rest */
	wr32(&c, REG_CC, rd32(&c, REG_CC) & ~CC_EN);
	wait_ready(&c, false);
	vfiodev_irq_disable(c.dev, VFIODEV_PCI_MSIX_IRQ);
	vfiodev_dma_unmap_all(c.space);
	munmap(buf, MAX_XFER);
	vfiodev_device_close(c.dev);
	vfiodev_ctx_unref(ctx);
	for (unsigned int i = 0; i <= IO_VECTOR; i++)
		close(efds[i]);
	printf("nvme: done\n");
	return 0;
}
