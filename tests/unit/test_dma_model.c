// SPDX-License-Identifier: MIT
/*
 * The IOVA allocator and the mapping record against a brute-force model,
 * operation by operation: long random sequences of map (fixed and any,
 * mixed sizes, alignments and limits), unmap, unmap_range, unmap_all and
 * injected kernel failures, on both backends. The model knows only the
 * rules ("lowest aligned fit inside the ranges, above page 0, under the
 * limits; a buffer's natural superpage alignment first, then the page; a
 * failed call changes nothing; unmap_all keeps what the kernel refused"),
 * and finds every answer by trying every candidate. Any difference fails
 * with the seed and the operation number.
 *
 * VFIODEV_MODEL_OPS (default 100000 per backend) and VFIODEV_MODEL_SEED
 * change the run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fake.h"

#define BDF "0000:00:03.0"
#define PG 4096ull
#define SZ_2M (2ull << 20)
#define SLOTS 4096 /* buffers, each in its own 4 MiB of address space */
#define SLOT_SIZE (4ull << 20)
#define MAXM 4096
#define RW (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)

struct mm {
	uint64_t iova, len, va;
	int slot;
};

static struct {
	struct mm m[MAXM];
	size_t n;
	struct vfiodev_iova_range r[4];
	size_t nr;
	uint64_t space_max;
	uint8_t *base;
	bool slot_used[SLOTS];
	uint64_t rng;
	unsigned long op;
	unsigned long seed;
	enum vfiodev_backend backend;
	unsigned long stats[8];
} M;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	M.rng ^= M.rng >> 12;
	M.rng ^= M.rng << 25;
	M.rng ^= M.rng >> 27;
	return M.rng * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

#define DIVERGE(...)                                                           \
	do {                                                                   \
		print_error("divergence at op %lu (seed %lu, %s): ", M.op,     \
			    M.seed, vfiodev_backend_name(M.backend));          \
		print_error(__VA_ARGS__);                                      \
		print_error("\n");                                             \
		model_dump();                                                  \
		fail();                                                        \
	} while (0)

/* ---- the model ---------------------------------------------------------- */

static void model_dump(void)
{
	for (size_t i = 0; i < M.n; i++)
		print_error("  model: IOVA 0x%llx+0x%llx\n",
			    (unsigned long long)M.m[i].iova,
			    (unsigned long long)M.m[i].len);
}

static bool model_free(uint64_t s, uint64_t len)
{
	uint64_t e = s + len - 1;

	if (e < s)
		return false;
	for (size_t i = 0; i < M.n; i++)
		if (s <= M.m[i].iova + M.m[i].len - 1 && M.m[i].iova <= e)
			return false;
	return true;
}

static bool model_in_ranges(uint64_t s, uint64_t len)
{
	uint64_t e = s + len - 1;

	for (size_t i = 0; i < M.nr; i++)
		if (s >= M.r[i].start && e <= M.r[i].last && e >= s)
			return true;
	return false;
}

static uint64_t align_up(uint64_t x, uint64_t a, bool *wrap)
{
	uint64_t c = (x + a - 1) & ~(a - 1);

	*wrap = c < x;
	return c;
}

/* every candidate that a lowest fit can start at, the lowest that fits */
static bool model_fit(uint64_t len, uint64_t a, uint64_t lo, uint64_t hi,
		      uint64_t *out)
{
	uint64_t best = 0;
	bool found = false;

	for (size_t k = 0; k < 1 + M.nr + M.n; k++) {
		uint64_t b = k == 0    ? lo :
			     k <= M.nr ? M.r[k - 1].start :
					 M.m[k - 1 - M.nr].iova +
						 M.m[k - 1 - M.nr].len;
		bool wrap;
		uint64_t c;

		if (b < lo)
			b = lo;
		c = align_up(b, a, &wrap);
		if (wrap || c + len - 1 < c || c + len - 1 > hi)
			continue;
		if (found && c >= best)
			continue;
		if (model_in_ranges(c, len) && model_free(c, len)) {
			best = c;
			found = true;
		}
	}
	*out = best;
	return found;
}

static uint64_t natural(uint64_t va, uint64_t len)
{
	if (!(va & ((1ull << 30) - 1)) && len >= (1ull << 30))
		return 1ull << 30;
	if (!(va & (SZ_2M - 1)) && len >= SZ_2M)
		return SZ_2M;
	return PG;
}

static void model_add(uint64_t iova, uint64_t len, uint64_t va, int slot)
{
	M.m[M.n++] = (struct mm){ iova, len, va, slot };
	M.slot_used[slot] = true;
}

static void model_del(size_t i)
{
	M.slot_used[M.m[i].slot] = false;
	M.m[i] = M.m[--M.n];
}

/* ---- the world ---------------------------------------------------------- */

static unsigned long map_req(void)
{
	return M.backend == VFIODEV_BACKEND_IOMMUFD ? IOMMU_IOAS_MAP :
						      VFIO_IOMMU_MAP_DMA;
}

static unsigned long unmap_req(void)
{
	return M.backend == VFIODEV_BACKEND_IOMMUFD ? IOMMU_IOAS_UNMAP :
						      VFIO_IOMMU_UNMAP_DMA;
}

static int free_slot(void)
{
	for (int tries = 0; tries < 64; tries++) {
		int s = (int)below(SLOTS);

		if (!M.slot_used[s])
			return s;
	}
	return -1;
}

static uint64_t rand_len(void)
{
	switch (below(8)) {
	case 0:
		return SZ_2M; /* a superpage candidate */
	case 1:
		return SZ_2M + PG * below(64);
	default:
		return PG * (1 + below(below(4) ? 4 : 64));
	}
}

static void check_state(struct vfiodev_space *sp)
{
	struct fake_live l;

	fake_live(&l);
	if ((size_t)l.mappings != M.n)
		DIVERGE("the kernel has %d mappings, the model %zu", l.mappings,
			M.n);
	for (size_t i = 0; i < M.n; i++) {
		uint64_t iova = 0;
		size_t len = 0;
		void *va = NULL;

		if (vfiodev_dma_translate_len(sp,
					      (void *)(uintptr_t)(M.m[i].va + PG / 2),
					      &iova, &len) ||
		    iova != M.m[i].iova + PG / 2 || len != M.m[i].len - PG / 2)
			DIVERGE("translate of mapping %zu (IOVA 0x%llx) gave 0x%llx+0x%zx",
				i, (unsigned long long)M.m[i].iova,
				(unsigned long long)iova, len);
		if (vfiodev_dma_iova_to_vaddr(sp, M.m[i].iova + M.m[i].len - 1,
					      &va, NULL) ||
		    (uintptr_t)va != M.m[i].va + M.m[i].len - 1)
			DIVERGE("reverse translate of IOVA 0x%llx",
				(unsigned long long)M.m[i].iova);
	}
}

static void op_map_any(struct vfiodev_space *sp, bool fail_kernel)
{
	VFIODEV_OPTS_INIT(vfiodev_dma_opts, o);
	int slot = free_slot(), ret, want;
	uint64_t len = rand_len(), va, iova = 0, exp = 0, hi, a;
	bool ok;

	if (slot < 0)
		return;
	va = (uintptr_t)M.base + (uint64_t)slot * SLOT_SIZE;
	if (below(4) == 0)
		va += PG * (1 + below(16)); /* not superpage-aligned */
	if (below(3) == 0)
		o.iova_max =
			M.r[0].start + below(M.r[M.nr - 1].last - M.r[0].start);
	if (below(4) == 0)
		o.align = PG << below(10);
	hi = o.iova_max && o.iova_max < M.space_max ? o.iova_max : M.space_max;
	a = o.align ? (o.align > PG ? o.align : PG) : natural(va, len);
	ok = model_fit(len, a, PG, hi, &exp);
	if (!ok && !o.align && a > PG)
		ok = model_fit(len, PG, PG, hi, &exp);
	want = !ok ? -ENOSPC : fail_kernel ? -EIO : 0;
	if (fail_kernel)
		fake_fail_ioctl(map_req(), EIO, 0);
	ret = vfiodev_dma_map_any(sp, (void *)(uintptr_t)va, len, RW, &o, &iova);
	if (fail_kernel)
		fake_fail_ioctl(map_req(), 0, 0);
	if (ret != want || (!ret && iova != exp))
		DIVERGE("map_any(len 0x%llx, va align 0x%llx, max 0x%llx, align 0x%llx): %d IOVA 0x%llx, model %d IOVA 0x%llx",
			(unsigned long long)len,
			(unsigned long long)(va & (SZ_2M - 1)),
			(unsigned long long)o.iova_max,
			(unsigned long long)o.align, ret,
			(unsigned long long)iova, want, (unsigned long long)exp);
	if (!ret)
		model_add(iova, len, va, slot);
	M.stats[ret == 0 ? 0 : ret == -ENOSPC ? 1 : 2]++;
}

static void op_map_fixed(struct vfiodev_space *sp, bool fail_kernel)
{
	int slot = free_slot(), ret, want;
	uint64_t len = rand_len(), va, iova;

	if (slot < 0)
		return;
	va = (uintptr_t)M.base + (uint64_t)slot * SLOT_SIZE;
	if (M.n && below(2))
		/* near an existing mapping: overlaps and neighbours */
		iova = M.m[below(M.n)].iova + PG * below(8) - PG * below(8);
	else
		iova = M.r[0].start + PG * below((M.r[M.nr - 1].last + 1) / PG);
	if (iova + len - 1 > M.space_max || iova + len - 1 < iova)
		want = -EINVAL;
	else if (!model_free(iova, len))
		want = -EEXIST;
	else if (!model_in_ranges(iova, len))
		want = -EINVAL;
	else
		want = fail_kernel ? -ENOMEM : 0;
	/* the library checks the IOVA tree, where mappings and reserved
	 * spans are one: a span that is both outside and overlapping is
	 * either error; accept both there */
	if (fail_kernel)
		fake_fail_ioctl(map_req(), ENOMEM, 0);
	ret = vfiodev_dma_map(sp, (void *)(uintptr_t)va, len, RW, iova);
	if (fail_kernel)
		fake_fail_ioctl(map_req(), 0, 0);
	if (ret != want && !((ret == -EINVAL || ret == -EEXIST) &&
			     (want == -EINVAL || want == -EEXIST) &&
			     !model_free(iova, len) && !model_in_ranges(iova, len)))
		DIVERGE("map(IOVA 0x%llx len 0x%llx): %d, model %d",
			(unsigned long long)iova, (unsigned long long)len, ret,
			want);
	if (!ret)
		model_add(iova, len, va, slot);
	M.stats[3]++;
}

static void op_unmap(struct vfiodev_space *sp, bool fail_kernel)
{
	size_t i;
	int ret;

	if (!M.n || below(8) == 0) {
		ret = vfiodev_dma_unmap(sp, PG * below(1u << 20), PG);
		if (ret != -ENOENT && !(ret == 0 && M.n))
			DIVERGE("unmap of a random IOVA: %d", ret);
		if (ret == 0) {
			/* it hit a one-page mapping by chance: find it */
			check_state(sp);
		}
		return;
	}
	i = below(M.n);
	if (fail_kernel)
		fake_fail_ioctl(unmap_req(), EIO, 0);
	switch (below(3)) {
	case 0:
		ret = vfiodev_dma_unmap(sp, M.m[i].iova, M.m[i].len);
		break;
	case 1:
		ret = vfiodev_dma_unmap_vaddr(sp, (void *)(uintptr_t)M.m[i].va);
		break;
	default: {
		uint64_t done = 0;

		ret = vfiodev_dma_unmap_range(sp, M.m[i].iova, M.m[i].len, &done);
		if (!ret && done != M.m[i].len)
			DIVERGE("unmap_range counted 0x%llx of 0x%llx",
				(unsigned long long)done,
				(unsigned long long)M.m[i].len);
	}
	}
	if (fail_kernel)
		fake_fail_ioctl(unmap_req(), 0, 0);
	if (ret != (fail_kernel ? -EIO : 0))
		DIVERGE("unmap of mapping at 0x%llx: %d",
			(unsigned long long)M.m[i].iova, ret);
	if (!ret)
		model_del(i);
	M.stats[4]++;
}

/* unmap_range over a random window: whole mappings go, a straddler
 * refuses the whole call */
static void op_unmap_window(struct vfiodev_space *sp)
{
	uint64_t s = PG * below((M.r[M.nr - 1].last + 1) / PG / 4);
	uint64_t len = PG * (1 + below(2048)), done = 0, exp = 0;
	uint64_t e = s + len - 1;
	bool straddle = false;
	int ret;

	for (size_t i = 0; i < M.n; i++) {
		uint64_t ms = M.m[i].iova, me = ms + M.m[i].len - 1;

		if (me < s || ms > e)
			continue;
		if (ms < s || me > e)
			straddle = true;
		exp += M.m[i].len;
	}
	ret = vfiodev_dma_unmap_range(sp, s, len, &done);
	if (straddle ? ret != -EINVAL || done : ret || done != exp)
		DIVERGE("unmap_range(0x%llx+0x%llx): %d, 0x%llx bytes; model %s, 0x%llx",
			(unsigned long long)s, (unsigned long long)len, ret,
			(unsigned long long)done, straddle ? "EINVAL" : "0",
			(unsigned long long)exp);
	if (!ret)
		for (size_t i = M.n; i-- > 0;)
			if (M.m[i].iova >= s && M.m[i].iova + M.m[i].len - 1 <= e)
				model_del(i);
	M.stats[5]++;
}

static int by_iova(const void *a, const void *b)
{
	const struct mm *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static void op_unmap_all(struct vfiodev_space *sp)
{
	unsigned int skip = (unsigned int)below(M.n + 1);
	bool fail = below(2);
	int ret;

	if (fail)
		fake_fail_ioctl(unmap_req(), EIO, skip);
	ret = vfiodev_dma_unmap_all(sp);
	if (fail)
		fake_fail_ioctl(unmap_req(), 0, 0);
	if (ret != (fail && skip < M.n ? -EIO : 0))
		DIVERGE("unmap_all (the kernel refusing after %u): %d", skip, ret);
	/* in IOVA order, the first @skip go, the rest stay */
	qsort(M.m, M.n, sizeof(M.m[0]), by_iova);
	if (!fail)
		skip = (unsigned int)M.n;
	for (size_t i = 0; i < skip && i < M.n; i++)
		M.slot_used[M.m[i].slot] = false;
	if (skip < M.n) {
		memmove(M.m, M.m + skip, (M.n - skip) * sizeof(M.m[0]));
		M.n -= skip;
	} else {
		M.n = 0;
	}
	check_state(sp);
	M.stats[6]++;
}

static void run(enum vfiodev_backend backend, unsigned long ops)
{
	static const struct vfiodev_iova_range ranges[] = {
		{ 0x0, 0x3fffff }, /* page 0 is never handed out */
		{ 0x800000, 0xbfffff },
		{ 0x1000000, 0x1ffffff },
	};
	VFIODEV_OPTS_INIT(vfiodev_device_opts, opts);
	VFIODEV_OPTS_INIT(vfiodev_space_opts, so);
	struct vfiodev_device *dev = NULL;
	struct vfiodev_space *sp;
	const char *env;

	memset(&M, 0, sizeof(M));
	env = getenv("VFIODEV_MODEL_SEED");
	M.seed = env ? strtoul(env, NULL, 0) : 0x5eed;
	M.seed += backend;
	M.rng = M.seed * 0x9e3779b97f4a7c15ull | 1;
	M.backend = backend;
	M.base = mmap(NULL, SLOTS * SLOT_SIZE + SZ_2M, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(M.base != MAP_FAILED);
	M.base = (uint8_t *)(((uintptr_t)M.base + SZ_2M - 1) & ~(SZ_2M - 1));

	fake_std_device(BDF, 5, 0);
	memcpy(fake_cfg.ioas_ranges, ranges, sizeof(ranges));
	fake_cfg.nr_ioas_ranges = 3;
	memcpy(fake_cfg.type1_ranges, ranges, sizeof(ranges));
	fake_cfg.nr_type1_ranges = 3;
	memcpy(M.r, ranges, sizeof(ranges));
	M.nr = 3;
	/* a space-wide limit inside the last range */
	M.space_max = 0x1bfffff;
	so.iova_max = M.space_max;
	assert_int_equal(vfiodev_space_new(fake_ctx(), &so, &sp), 0);
	opts.backend = backend;
	opts.space = sp;
	assert_int_equal(vfiodev_device_open(fake_ctx(), BDF, &opts, &dev), 0);

	for (M.op = 0; M.op < ops; M.op++) {
		bool fail = below(50) == 0;
		uint64_t r = below(1000);

		if (r < 380)
			op_map_any(sp, fail);
		else if (r < 500)
			op_map_fixed(sp, fail);
		else if (r < 960)
			op_unmap(sp, fail);
		else if (r < 998)
			op_unmap_window(sp);
		else
			op_unmap_all(sp);
		if (M.op % (getenv("MODEL_CHECK_EVERY") ? 1 : 4096) == 0) {
			check_state(sp);
			fake_log_clear();
		}
	}
	check_state(sp);
	print_message("%s: %lu ops (seed %lu): map_any ok %lu, ENOSPC %lu, failed %lu; fixed %lu; unmap %lu; windows %lu; unmap_all %lu; zero divergences\n",
		      vfiodev_backend_name(backend), ops, M.seed, M.stats[0],
		      M.stats[1], M.stats[2], M.stats[3], M.stats[4],
		      M.stats[5], M.stats[6]);
	vfiodev_device_close(dev);
	vfiodev_space_unref(sp);
	munmap(M.base, SLOTS * SLOT_SIZE);
}

static unsigned long nr_ops(void)
{
	const char *env = getenv("VFIODEV_MODEL_OPS");

	return env ? strtoul(env, NULL, 0) : 100000;
}

static void model_iommufd(void **state)
{
	(void)state;
	run(VFIODEV_BACKEND_IOMMUFD, nr_ops());
}

static void model_container(void **state)
{
	(void)state;
	run(VFIODEV_BACKEND_CONTAINER, nr_ops());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(model_iommufd, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(model_container, fake_setup,
						fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
