// SPDX-License-Identifier: MIT
/*
 * Benchmark of a DMA space's record (not a test: it prints figures).
 * The space's kernel side is a backend whose map and unmap answer in O(1),
 * so what is measured is the library: the IOVA tree, the allocator and the
 * radix table. Baselines in the same run: the previous write side (the
 * B+tree and translate-table walk of cf8a276, compiled in from prev/, run
 * through the same sequence of record calls a map_any and an unmap make),
 * and for translate the design before it (arrays sorted by address under
 * an rwlock) and a skiplist under an rwlock.
 *
 *   bench_space                 the whole table (wall clock)
 *   bench_space --callgrind N   only N-mapping translate lookups, with
 *                               callgrind collection around them (run under
 *                               valgrind --tool=callgrind --collect-atstart=no)
 *   bench_space --callgrind-pairs N ORDER KIND
 *                               10,000 pairs in ORDER (0 append, 1 below
 *                               all, 3 random) at N mappings; KIND lib (an
 *                               unjoined space), joined (x86 ranges) or prev
 *                               (the previous design, x86 ranges)
 *   bench_space --callgrind-pairs N ORDER KIND REPS
 *                               the same, REPS pairs, timed (for perf)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "internal.h"
#include "prev/prev.h"

#define PG 4096ull
#define LOOKUPS (1u << 20)

static int nop_map(struct vfiodev_space *s, const struct vfiodev_mapping *m)
{
	(void)s;
	(void)m;
	return 0;
}

static void nop_destroy(struct vfiodev_space *s)
{
	(void)s;
}

static const struct backend_ops o1_ops = {
	.backend = VFIODEV_BACKEND_IOMMUFD,
	.map = nop_map,
	.unmap = nop_map,
	.destroy = nop_destroy,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* the thread's CPU time: on a shared machine, without the time it waited
 * for a core (the cache others evict is still in it) */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static struct vfiodev_ctx *ctx;
static uint8_t *arena; /* address space for buffers: 2 pages a mapping */

static struct vfiodev_space *space_o1(void)
{
	struct vfiodev_space *sp;

	if (vfiodev_space_new(ctx, NULL, &sp))
		abort();
	sp->ops = &o1_ops;
	sp->synced = true;
	return sp;
}

/* the IOVA ranges an x86 IOMMU reports: all but the MSI window, below
 * 2^48 (two reserved spans above every mapping the bench makes) */
static const struct vfiodev_iova_range x86_ranges[] = {
	{ 0, 0xfedfffffull },
	{ 0xfef00000ull, (1ull << 48) - 1 },
};

static struct vfiodev_space *space_joined(void)
{
	struct vfiodev_space *sp = space_o1();

	if (vfd_space_set_ranges(sp, x86_ranges, 2))
		abort();
	return sp;
}

/* ---- the previous write side, through a map_any's and an unmap's record
 * calls (lib/dma.c: vfd_dma_map_locked, node_at_vaddr, unmap_node) ---- */
struct prev_space {
	pthread_mutex_t lock;
	struct prev_tree t;
	struct vtable vt;
};

static void prev_new(struct prev_space *ps)
{
	pthread_mutex_init(&ps->lock, NULL);
	if (prev_itree_init(&ps->t) || prev_vtable_init(&ps->vt) ||
	    prev_itree_reserve(&ps->t, 2))
		abort();
	/* the reserved spans of x86_ranges */
	prev_itree_insert(&ps->t, 0xfee00000ull, 0x100000, MAPF_RESERVED);
	prev_itree_insert(&ps->t, 1ull << 48, -(1ull << 48), MAPF_RESERVED);
}

static void prev_free(struct prev_space *ps)
{
	prev_itree_fini(&ps->t);
	prev_vtable_fini(&ps->vt);
	pthread_mutex_destroy(&ps->lock);
}

static size_t prev_bytes(const struct prev_space *ps)
{
	return prev_itree_bytes(&ps->t) + prev_vtable_bytes(&ps->vt);
}

/* @iova: fixed, or UINT64_MAX for the lowest fit */
static __attribute__((noinline)) int prev_map(struct prev_space *ps, void *va,
					      uint64_t len, uint64_t iova)
{
	uint64_t busy, v = (uintptr_t)va;
	int ret;

	pthread_mutex_lock(&ps->lock);
	ret = prev_vtable_check(&ps->vt, v, len, &busy);
	if (!ret && iova == UINT64_MAX)
		ret = prev_itree_fit(&ps->t, len, PG, PG, UINT64_MAX, &iova);
	else if (!ret && prev_itree_overlap(&ps->t, iova, iova + len - 1))
		ret = -EEXIST;
	if (!ret)
		ret = prev_itree_reserve(&ps->t, 1);
	if (!ret) {
		prev_vtable_set(&ps->vt, v, len, iova);
		prev_itree_insert(&ps->t, iova, len, v | 3);
	}
	pthread_mutex_unlock(&ps->lock);
	return ret;
}

static __attribute__((noinline)) int prev_unmap(struct prev_space *ps, void *va)
{
	uint64_t iova, v = (uintptr_t)va;
	const struct prev_node *n = NULL;
	int ret = -ENOENT;

	pthread_mutex_lock(&ps->lock);
	if (!vfd_vtable_lookup(&ps->vt, v, &iova, NULL))
		n = prev_itree_find(&ps->t, iova);
	if (n && (n->vaddr & ~MAPF_MASK) == v) {
		prev_vtable_clear(&ps->vt, v, n->len);
		prev_itree_remove(&ps->t, iova);
		prev_itree_trim(&ps->t);
		ret = 0;
	}
	pthread_mutex_unlock(&ps->lock);
	return ret;
}

/* buffer k: page k of the arena (separate mappings side by side) */
static void *buf(size_t k)
{
	return arena + k * PG;
}

static void fill(struct vfiodev_space *sp, size_t n)
{
	uint64_t iova;

	for (size_t k = 0; k < n; k++)
		if (vfiodev_dma_map_any(sp, buf(k), PG, 3, NULL, &iova))
			abort();
}

/* ---- translate baseline 1: the design before the B+tree ----------------------------------- */
struct arr_ent {
	uint64_t va, iova, len;
	unsigned int flags;
};

struct arr {
	pthread_rwlock_t lock;
	struct arr_ent *v;
	size_t n, cap;
};

static int arr_translate(struct arr *a, uint64_t va, uint64_t *iova)
{
	size_t lo = 0, hi;
	int ret = -ENOENT;

	pthread_rwlock_rdlock(&a->lock);
	hi = a->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->v[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && va - a->v[lo - 1].va < a->v[lo - 1].len) {
		*iova = a->v[lo - 1].iova + (va - a->v[lo - 1].va);
		ret = 0;
	}
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/* the first entry at or above @va; the caller holds the write lock */
static size_t arr_lower(const struct arr *a, uint64_t va)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->v[mid].va < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void arr_insert(struct arr *a, uint64_t va, uint64_t iova)
{
	size_t lo;

	pthread_rwlock_wrlock(&a->lock);
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
	}
	lo = arr_lower(a, va);
	memmove(&a->v[lo + 1], &a->v[lo], (a->n - lo) * sizeof(*a->v));
	a->v[lo] = (struct arr_ent){ va, iova, PG, 3 };
	a->n++;
	pthread_rwlock_unlock(&a->lock);
}

/* ---- baseline 2: a skiplist under an rwlock ----------------------------- */
#define SL_MAX 20
struct sl_node {
	uint64_t va, iova, len;
	struct sl_node *next[];
};

struct sl {
	pthread_rwlock_t lock;
	struct sl_node *head;
};

static void sl_init(struct sl *s)
{
	pthread_rwlock_init(&s->lock, NULL);
	s->head = calloc(1, sizeof(*s->head) + SL_MAX * sizeof(void *));
}

static int sl_translate(struct sl *s, uint64_t va, uint64_t *iova)
{
	struct sl_node *x = s->head;
	int ret = -ENOENT;

	pthread_rwlock_rdlock(&s->lock);
	for (int l = SL_MAX - 1; l >= 0; l--)
		while (x->next[l] && x->next[l]->va <= va)
			x = x->next[l];
	if (x != s->head && va - x->va < x->len) {
		*iova = x->iova + (va - x->va);
		ret = 0;
	}
	pthread_rwlock_unlock(&s->lock);
	return ret;
}

static void sl_insert(struct sl *s, uint64_t va, uint64_t iova)
{
	struct sl_node *up[SL_MAX], *x = s->head, *n;
	int lvl = 1;

	while (lvl < SL_MAX && (rnd() & 3) == 0)
		lvl++;
	pthread_rwlock_wrlock(&s->lock);
	for (int l = SL_MAX - 1; l >= 0; l--) {
		while (x->next[l] && x->next[l]->va < va)
			x = x->next[l];
		up[l] = x;
	}
	n = malloc(sizeof(*n) + lvl * sizeof(void *));
	n->va = va;
	n->iova = iova;
	n->len = PG;
	for (int l = 0; l < lvl; l++) {
		n->next[l] = up[l]->next[l];
		up[l]->next[l] = n;
	}
	pthread_rwlock_unlock(&s->lock);
}

static void sl_free(struct sl *s)
{
	struct sl_node *x = s->head->next[0];

	while (x) {
		struct sl_node *n = x->next[0];

		free(x);
		x = n;
	}
	free(s->head);
}

/* ---- measurements ------------------------------------------------------ */
static uint64_t *addrs;
static volatile uint64_t sink;

static void make_addrs(size_t n)
{
	for (size_t i = 0; i < LOOKUPS; i++)
		addrs[i] = (uintptr_t)buf(rnd() % n) + (rnd() & (PG - 1));
}

enum kind { K_LIB, K_ARR, K_SL };

static double time_lookups(enum kind k, void *obj)
{
	double t[5];

	for (int r = 0; r < 5; r++) {
		uint64_t iova, acc = 0;
		double t0 = now();

		for (size_t i = 0; i < LOOKUPS; i++) {
			if (k == K_LIB)
				vfiodev_dma_translate(obj,
						      (void *)(uintptr_t)addrs[i],
						      &iova);
			else if (k == K_ARR)
				arr_translate(obj, addrs[i], &iova);
			else
				sl_translate(obj, addrs[i], &iova);
			acc += iova;
		}
		t[r] = (now() - t0) / LOOKUPS;
		sink = acc;
	}
	return median(t, 5);
}

static void translate_table(void)
{
	static const size_t ns[] = { 1024, 16384, 65536, 262144 };

	printf("\ntranslate, random lookups among N live 4 KiB mappings (ns/lookup, median of 5 x %u)\n",
	       LOOKUPS);
	printf("| N | libvfiodev (radix, no lock) | sorted array + rwlock | skiplist + rwlock | array / radix | skiplist / radix | bytes per mapping |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t j = 0; j < 4; j++) {
		size_t n = ns[j];
		struct vfiodev_space *sp = space_o1();
		struct arr a = { 0 };
		struct sl s;
		double tl, ta, ts;

		pthread_rwlock_init(&a.lock, NULL);
		sl_init(&s);
		fill(sp, n);
		for (size_t k = 0; k < n; k++) {
			uint64_t iova;

			vfiodev_dma_translate(sp, buf(k), &iova);
			arr_insert(&a, (uintptr_t)buf(k), iova);
			sl_insert(&s, (uintptr_t)buf(k), iova);
		}
		make_addrs(n);
		tl = time_lookups(K_LIB, sp);
		ta = time_lookups(K_ARR, &a);
		ts = time_lookups(K_SL, &s);
		printf("| %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", n,
		       tl, ta, ts, ta / tl, ts / tl,
		       (double)vfd_space_record_bytes(sp) / (double)n);
		vfiodev_space_unref(sp);
		free(a.v);
		sl_free(&s);
	}
}

enum order { O_APPEND, O_BELOW, O_DESC, O_RANDOM };
static const char *const order_name[] = { "append (above all)", "below all",
					  "descending build + teardown", "random" };

/* one design's map (lowest fit) and unmap of buffer @k */
struct design {
	struct vfiodev_space *sp; /* libvfiodev, or NULL: */
	struct prev_space ps; /* the previous design */
};

static void d_map(struct design *d, size_t k)
{
	uint64_t iova;

	if (d->sp)
		vfiodev_dma_map_any(d->sp, buf(k), PG, 3, NULL, &iova);
	else
		prev_map(&d->ps, buf(k), PG, UINT64_MAX);
}

static void d_unmap(struct design *d, size_t k)
{
	if (d->sp)
		vfiodev_dma_unmap_vaddr(d->sp, buf(k));
	else
		prev_unmap(&d->ps, buf(k));
}

static void d_new(struct design *d, bool prev)
{
	d->sp = prev ? NULL : space_joined();
	if (prev)
		prev_new(&d->ps);
}

static void d_free(struct design *d)
{
	if (d->sp)
		vfiodev_space_unref(d->sp);
	else
		prev_free(&d->ps);
}

/* the next buffer of a pair in order @o among @n live ones (1..n) */
static size_t pick(size_t n, enum order o)
{
	return o == O_APPEND ? n + 1 : o == O_BELOW ? 0 : 1 + rnd() % n;
}

/* @reps pairs at @n live mappings in order @o */
static void d_pairs(struct design *d, size_t n, enum order o, size_t reps)
{
	for (size_t r = 0; r < reps; r++) {
		size_t k = pick(n, o);

		if (o == O_RANDOM) {
			/* remove a random one and put it back */
			d_unmap(d, k);
			d_map(d, k);
		} else {
			d_map(d, k);
			d_unmap(d, k);
		}
	}
}

/* ns per map+unmap pair at @n live mappings in a joined space, in one
 * order, wall clock (and the thread's CPU time in *@cpu); @prev: the
 * previous design */
static double pairs(size_t n, enum order o, bool prev, double *cpu)
{
	struct design d;
	size_t reps = 20000;
	double t0, c0, t;

	d_new(&d, prev);
	if (o == O_DESC) {
		/* build n mappings in descending address order, then unmap
		 * them oldest first */
		t0 = now();
		c0 = cpu_now();
		for (size_t k = n; k-- > 0;)
			d_map(&d, k + 1);
		for (size_t k = n; k-- > 0;)
			d_unmap(&d, k + 1);
		*cpu = (cpu_now() - c0) / n;
		t = (now() - t0) / n;
		d_free(&d);
		return t;
	}
	for (size_t k = 0; k < n; k++)
		d_map(&d, k + 1);
	t0 = now();
	c0 = cpu_now();
	d_pairs(&d, n, o, reps);
	*cpu = (cpu_now() - c0) / reps;
	t = (now() - t0) / reps;
	d_free(&d);
	return t;
}

static void pairs_table(void)
{
	static const size_t ns[] = { 1024, 65536, 262144 };

	printf("\nmap_any + unmap pairs with N live 4 KiB mappings in a joined space (x86 ranges), ns/pair (the kernel answers in O(1))\n");
	printf("| order | N | libvfiodev (CPU time) | previous B+tree, cf8a276 (CPU time) | previous / libvfiodev |\n");
	printf("|---|---|---|---|---|\n");
	for (int o = 0; o < 4; o++)
		for (size_t j = 0; j < 3; j++) {
			double lc, ac;
			double l = pairs(ns[j], (enum order)o, false, &lc);
			double a = pairs(ns[j], (enum order)o, true, &ac);

			printf("| %s | %zu | %.0f (%.0f) | %.0f (%.0f) | %.1f |\n",
			       order_name[o], ns[j], l, lc, a, ac, a / l);
		}
}

/* bookkeeping bytes per mapping after building @n one-page mappings:
 * lowest fit (@how 0), or at fixed IOVAs in descending (1) or random (2)
 * order */
static double build_bytes(size_t n, int how, bool joined, bool prev)
{
	struct prev_space ps;
	struct vfiodev_space *sp = NULL;
	size_t *perm = malloc(n * sizeof(*perm));
	double b;

	if (!perm)
		abort();
	for (size_t k = 0; k < n; k++)
		perm[k] = how == 1 ? n - k : k + 1;
	for (size_t k = n; how == 2 && k > 1; k--) {
		size_t j = rnd() % k, x = perm[k - 1];

		perm[k - 1] = perm[j];
		perm[j] = x;
	}
	if (prev)
		prev_new(&ps);
	else
		sp = joined ? space_joined() : space_o1();
	for (size_t k = 0; k < n; k++) {
		uint64_t iova = 2 * perm[k] * PG; /* a page apart */

		if (prev)
			prev_map(&ps, buf(perm[k]), PG, how ? iova : UINT64_MAX);
		else if (how)
			vfiodev_dma_map(sp, buf(perm[k]), PG, 3, iova);
		else
			vfiodev_dma_map_any(sp, buf(perm[k]), PG, 3, NULL, &iova);
	}
	if (prev) {
		b = (double)prev_bytes(&ps) / (double)n;
		prev_free(&ps);
	} else {
		b = (double)vfd_space_record_bytes(sp) / (double)n;
		vfiodev_space_unref(sp);
	}
	free(perm);
	return b;
}

static void bytes_table(void)
{
	static const char *const how[] = { "map_any (lowest fit)",
					   "fixed IOVAs, descending",
					   "fixed IOVAs, random order" };
	const size_t n = 65536;

	printf("\nbookkeeping bytes per mapping (tree nodes + translate tables, vfd_space_record_bytes) after building %zu one-page mappings\n",
	       n);
	printf("| build | libvfiodev, joined (x86 ranges) | libvfiodev, no device | previous B+tree, joined |\n");
	printf("|---|---|---|---|\n");
	for (int h = 0; h < 3; h++)
		printf("| %s | %.1f | %.1f | %.1f |\n", how[h],
		       build_bytes(n, h, true, false),
		       build_bytes(n, h, false, false),
		       build_bytes(n, h, true, true));
}

struct rd {
	struct vfiodev_space *sp;
	size_t n;
	volatile bool stop;
	double ns;
};

static void *reader(void *arg)
{
	struct rd *r = arg;
	uint64_t iova, acc = 0, x = 12345;
	size_t cnt = 0;
	double t0 = now();

	while (!r->stop) {
		for (int i = 0; i < 4096; i++) {
			x = x * 6364136223846793005ull + 1;
			vfiodev_dma_translate(r->sp, buf((x >> 33) % r->n), &iova);
			acc += iova;
		}
		cnt += 4096;
	}
	r->ns = (now() - t0) / cnt;
	sink = acc;
	return NULL;
}

static void concurrency_table(void)
{
	const size_t n = 65536;
	struct vfiodev_space *sp = space_o1();
	struct rd r = { .sp = sp, .n = n };
	pthread_t th;
	double alone, with, pairs = 0, t0;
	uint64_t iova;
	struct timespec ms200 = { 0, 200000000 };

	fill(sp, n);
	pthread_create(&th, NULL, reader, &r);
	nanosleep(&ms200, NULL);
	r.stop = true;
	pthread_join(th, NULL);
	alone = r.ns;
	r.stop = false;
	pthread_create(&th, NULL, reader, &r);
	t0 = now();
	while (now() - t0 < 2e8) {
		/* the writer maps and unmaps below every other mapping */
		vfiodev_dma_map_any(sp, buf(n + 1), PG, 3, NULL, &iova);
		vfiodev_dma_unmap_vaddr(sp, buf(n + 1));
		pairs++;
	}
	r.stop = true;
	pthread_join(th, NULL);
	with = r.ns;
	printf("\nreaders and a writer, 65,536 mappings\n");
	printf("| reader alone (ns/lookup) | reader with a writer (ns/lookup) | writer map+unmap pairs/s while reading |\n");
	printf("|---|---|---|\n");
	printf("| %.1f | %.1f | %.0f |\n", alone, with, pairs / 0.2);
	vfiodev_space_unref(sp);
}

int main(int argc, char **argv)
{
	VFIODEV_OPTS_INIT(vfiodev_ctx_opts, co);

	arena = mmap(NULL, 2 * 300000 * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	addrs = calloc(LOOKUPS, sizeof(*addrs));
	if (arena == MAP_FAILED || !addrs)
		return 1;
	co.log_priority = 1 + LOG_CRIT;
	if (vfiodev_ctx_new(&co, &ctx))
		return 1;
	if (argc == 3 && !strcmp(argv[1], "--callgrind")) {
		size_t n = strtoul(argv[2], NULL, 0);
		struct vfiodev_space *sp = space_o1();
		uint64_t iova, acc = 0;

		fill(sp, n);
		make_addrs(n);
		CALLGRIND_TOGGLE_COLLECT;
		for (size_t i = 0; i < 100000; i++) {
			vfiodev_dma_translate(sp, (void *)(uintptr_t)addrs[i],
					      &iova);
			acc += iova;
		}
		/* and with the length (its own function in the profile) */
		for (size_t i = 0; i < 100000; i++) {
			size_t len;

			vfiodev_dma_translate_len(sp, (void *)(uintptr_t)addrs[i],
						  &iova, &len);
			acc += iova + len;
		}
		CALLGRIND_TOGGLE_COLLECT;
		sink = acc;
		vfiodev_space_unref(sp);
		vfiodev_ctx_unref(ctx);
		return 0;
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--callgrind-pairs")) {
		size_t n = strtoul(argv[2], NULL, 0);
		size_t reps = argc == 6 ? strtoul(argv[5], NULL, 0) : 10000;
		enum order o = (enum order)strtoul(argv[3], NULL, 0);
		bool prev = !strcmp(argv[4], "prev");
		struct design d;
		double t0, c0;

		d_new(&d, prev);
		if (!prev && !strcmp(argv[4], "lib")) {
			/* an unjoined space: the provisional ranges */
			vfiodev_space_unref(d.sp);
			d.sp = space_o1();
		}
		for (size_t k = 0; k < n; k++)
			d_map(&d, k + 1);
		CALLGRIND_TOGGLE_COLLECT;
		t0 = now();
		c0 = cpu_now();
		for (size_t r = 0; r < reps; r++) {
			size_t k = pick(n, o);

			d_unmap(&d, k);
			d_map(&d, k);
		}
		CALLGRIND_TOGGLE_COLLECT;
		if (argc == 6) /* a sixth argument: the repetitions, timed */
			printf("%.1f ns/pair (CPU time %.1f)\n",
			       (now() - t0) / reps, (cpu_now() - c0) / reps);
		d_free(&d);
		vfiodev_ctx_unref(ctx);
		return 0;
	}
	translate_table();
	pairs_table();
	bytes_table();
	concurrency_table();
	vfiodev_ctx_unref(ctx);
	return 0;
}
