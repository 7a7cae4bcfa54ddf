// SPDX-License-Identifier: MIT
/*
 * DMA address spaces: the object several devices share, its mapping table
 * (sorted by virtual address, read lock-light by translate), the IOVA
 * allocator, and the public map/unmap calls. The kernel side is the
 * backend's (iommufd.c, container.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

VFIODEV_EXPORT int vfiodev_space_new(struct vfiodev_ctx *ctx,
				     const struct vfiodev_space_opts *opts,
				     struct vfiodev_space **out)
{
	struct vfiodev_space *space;
	pthread_rwlockattr_t attr;
	enum vfiodev_backend want = VFIODEV_BACKEND_AUTO;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	ret = opts_check(ctx, opts, sizeof(*opts), "vfiodev_space_opts");
	if (ret)
		return ret;
	if (OPTS_HAS(opts, vfiodev_space_opts, backend))
		want = opts->backend;
	if (want > VFIODEV_BACKEND_CONTAINER) {
		vfd_err(ctx, "vfiodev_space_opts: unknown backend %d", want);
		return -EINVAL;
	}
	if (want == VFIODEV_BACKEND_AUTO)
		want = ctx->env_backend;

	space = calloc(1, sizeof(*space));
	if (!space)
		return -ENOMEM;
	space->refcount = 1;
	space->ctx = vfiodev_ctx_ref(ctx);
	space->want = want;
	space->pinned = OPTS_HAS(opts, vfiodev_space_opts, backend) &&
			opts->backend != VFIODEV_BACKEND_AUTO;
	space->iommufd = -1;
	space->container_fd = -1;
	space->iova_align = (uint64_t)sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&space->lock, NULL);
	/* writers (map/unmap) hold space->lock while they wait for this one:
	 * do not let a stream of translate() readers starve them */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&space->map_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	*out = space;
	return 0;
}

VFIODEV_EXPORT struct vfiodev_space *vfiodev_space_ref(struct vfiodev_space *space)
{
	if (space)
		__atomic_add_fetch(&space->refcount, 1, __ATOMIC_RELAXED);
	return space;
}

struct vfiodev_space *space_tryget(struct vfiodev_space *space)
{
	int n = __atomic_load_n(&space->refcount, __ATOMIC_RELAXED);

	do {
		if (n == 0)
			return NULL; /* its last unref is tearing it down */
	} while (!__atomic_compare_exchange_n(&space->refcount, &n, n + 1, true,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return space;
}

VFIODEV_EXPORT struct vfiodev_space *vfiodev_space_unref(struct vfiodev_space *space)
{
	if (!space || __atomic_sub_fetch(&space->refcount, 1, __ATOMIC_ACQ_REL))
		return NULL;
	ctx_groups_forget(space->ctx, space);
	if (space->ops) {
		vfiodev_dma_unmap_all(space);
		space->ops->destroy(space);
	}
	free(space->maps);
	free(space->by_iova);
	free(space->ranges);
	pthread_rwlock_destroy(&space->map_lock);
	pthread_mutex_destroy(&space->lock);
	vfiodev_ctx_unref(space->ctx);
	free(space);
	return NULL;
}

VFIODEV_EXPORT enum vfiodev_backend
vfiodev_space_backend(const struct vfiodev_space *space)
{
	return space && space->ops ? space->ops->backend : VFIODEV_BACKEND_AUTO;
}

int space_set_ranges(struct vfiodev_space *space,
		     const struct vfiodev_iova_range *r, size_t n)
{
	struct vfiodev_iova_range *copy = NULL;

	if (n) {
		copy = calloc(n, sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, r, n * sizeof(*copy));
	}
	pthread_rwlock_wrlock(&space->map_lock);
	free(space->ranges);
	space->ranges = copy;
	space->nr_ranges = n;
	space->iova_floor = 0; /* new ranges may start lower */
	pthread_rwlock_unlock(&space->map_lock);
	return 0;
}

VFIODEV_EXPORT int vfiodev_space_iova_ranges(struct vfiodev_space *space,
					     struct vfiodev_iova_range *ranges,
					     size_t n)
{
	int count;

	if (!space || (n && !ranges))
		return -EINVAL;
	pthread_rwlock_rdlock(&space->map_lock);
	if (!space->nr_devices && !space->nr_ranges) {
		pthread_rwlock_unlock(&space->map_lock);
		return -ENODEV;
	}
	count = (int)space->nr_ranges;
	for (size_t i = 0; i < n && i < space->nr_ranges; i++)
		ranges[i] = space->ranges[i];
	pthread_rwlock_unlock(&space->map_lock);
	return count;
}

/* caller holds space->lock */
int space_join(struct vfiodev_space *space, struct vfiodev_device *dev,
	       const struct backend_ops *ops)
{
	int ret;

	if (space->ops && space->ops != ops) {
		vfd_err(space->ctx,
			"%s: the space uses the %s backend; the device cannot join it with %s",
			dev->name, vfiodev_backend_name(space->ops->backend),
			vfiodev_backend_name(ops->backend));
		return -EXDEV;
	}
	ret = ops->attach(space, dev);
	if (ret)
		return ret;
	space->ops = ops;
	space->nr_devices++;
	dev->attached = true;
	return 0;
}

void space_leave(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	pthread_mutex_lock(&space->lock);
	if (dev->attached) {
		space->ops->detach(space, dev);
		space->nr_devices--;
		dev->attached = false;
	}
	pthread_mutex_unlock(&space->lock);
}

static inline uint64_t map_last(const struct vfiodev_mapping *m)
{
	return m->iova + (m->len - 1);
}

static inline uint64_t map_vlast(const struct vfiodev_mapping *m)
{
	return m->vaddr + (m->len - 1);
}

/* first entry of @arr whose last IOVA (@by_iova) or last address is >=
 * @x; entries are disjoint, so their ends are sorted like their starts */
static size_t lower_bound(const struct vfiodev_mapping *arr, size_t n,
			  uint64_t x, bool by_iova)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t last = by_iova ? map_last(&arr[mid]) :
					  map_vlast(&arr[mid]);

		if (last < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t iova_lower(const struct vfiodev_space *space, uint64_t iova)
{
	return lower_bound(space->by_iova, space->nr_maps, iova, true);
}

static size_t vaddr_lower(const struct vfiodev_space *space, uint64_t va)
{
	return lower_bound(space->maps, space->nr_maps, va, false);
}

static bool iova_overlaps(const struct vfiodev_space *space, uint64_t iova,
			  uint64_t len)
{
	size_t j = iova_lower(space, iova);

	return j < space->nr_maps && space->by_iova[j].iova <= iova + (len - 1);
}

/* translate() finds one mapping per address: buffers may not overlap */
static const struct vfiodev_mapping *
vaddr_overlaps(const struct vfiodev_space *space, uint64_t va, uint64_t len)
{
	size_t j = vaddr_lower(space, va);

	if (j < space->nr_maps && space->maps[j].vaddr <= va + (len - 1))
		return &space->maps[j];
	return NULL;
}

static bool iova_allowed(const struct vfiodev_space *space, uint64_t iova,
			 uint64_t len)
{
	uint64_t last = iova + len - 1;

	if (last < iova)
		return false;
	for (size_t i = 0; i < space->nr_ranges; i++)
		if (iova >= space->ranges[i].start && last <= space->ranges[i].last)
			return true;
	return false;
}

/* lowest free aligned IOVA inside the ranges, never page 0 (a device that
 * DMAs to address 0 is a bug worth catching). The search starts at the
 * floor (below it everything is taken) and moves it up: filling a range
 * page by page costs O(log n) a mapping, not a walk of all of them. */
static int iova_find(struct vfiodev_space *space, uint64_t len, uint64_t *out)
{
	uint64_t a = space->iova_align, first_free = 0;
	bool seen_free = false;

	for (size_t i = 0; i < space->nr_ranges; i++) {
		const struct vfiodev_iova_range *r = &space->ranges[i];
		uint64_t cand, end, from;
		size_t j;

		if (r->last < space->iova_floor)
			continue;
		from = r->start > space->iova_floor ? r->start : space->iova_floor;
		if (from > UINT64_MAX - (a - 1))
			continue;
		cand = (from + a - 1) & ~(a - 1);
		if (cand < a)
			cand = a;
		j = iova_lower(space, cand);
		for (;;) {
			bool page_free = j >= space->nr_maps ||
					 space->by_iova[j].iova > cand;

			if (cand > r->last || cand < from)
				break;
			if (page_free && !seen_free) {
				first_free = cand;
				seen_free = true;
			}
			end = cand + (len - 1);
			if (end < cand || end > r->last)
				break;
			if (j >= space->nr_maps || space->by_iova[j].iova > end) {
				/* nothing free before it: the floor moves past */
				space->iova_floor =
					first_free == cand ? end + 1 : first_free;
				*out = cand;
				return 0;
			}
			/* collides with entry j: try just past it */
			if (map_last(&space->by_iova[j]) > UINT64_MAX - a)
				break;
			cand = (map_last(&space->by_iova[j]) + a) & ~(a - 1);
			while (j < space->nr_maps &&
			       map_last(&space->by_iova[j]) < cand)
				j++;
		}
	}
	if (seen_free)
		space->iova_floor = first_free;
	return -ENOSPC;
}

static int grow(struct vfiodev_mapping **arr, size_t *cap, size_t need)
{
	struct vfiodev_mapping *n;
	size_t c = *cap ? *cap * 2 : 16;

	if (need <= *cap)
		return 0;
	n = realloc(*arr, c * sizeof(*n));
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

static void insert_at(struct vfiodev_mapping *arr, size_t n, size_t pos,
		      const struct vfiodev_mapping *m)
{
	memmove(&arr[pos + 1], &arr[pos], (n - pos) * sizeof(*m));
	arr[pos] = *m;
}

static void remove_at(struct vfiodev_mapping *arr, size_t n, size_t pos)
{
	memmove(&arr[pos], &arr[pos + 1], (n - pos - 1) * sizeof(*arr));
}

/* caller holds space->lock and checked that @m overlaps nothing */
static int table_insert(struct vfiodev_space *space, const struct vfiodev_mapping *m)
{
	size_t vpos = vaddr_lower(space, m->vaddr);
	size_t ipos = iova_lower(space, m->iova);
	int ret;

	/* grown under the write lock (translate may be reading maps), which
	 * is only taken when the table really moves */
	ret = 0;
	if (space->nr_maps == space->cap_maps) {
		pthread_rwlock_wrlock(&space->map_lock);
		ret = grow(&space->maps, &space->cap_maps, space->nr_maps + 1);
		pthread_rwlock_unlock(&space->map_lock);
	}
	if (!ret)
		ret = grow(&space->by_iova, &space->cap_by_iova, space->nr_maps + 1);
	if (ret)
		return ret;
	insert_at(space->by_iova, space->nr_maps, ipos, m);
	pthread_rwlock_wrlock(&space->map_lock);
	insert_at(space->maps, space->nr_maps, vpos, m);
	space->nr_maps++;
	pthread_rwlock_unlock(&space->map_lock);
	return 0;
}

/* remove entry @ipos of by_iova and its twin in maps */
static void table_remove(struct vfiodev_space *space, size_t ipos)
{
	size_t vpos = vaddr_lower(space, space->by_iova[ipos].vaddr);

	remove_at(space->by_iova, space->nr_maps, ipos);
	pthread_rwlock_wrlock(&space->map_lock);
	remove_at(space->maps, space->nr_maps, vpos);
	space->nr_maps--;
	pthread_rwlock_unlock(&space->map_lock);
}

static int map_checked(struct vfiodev_space *space, void *vaddr, size_t len,
		       uint64_t iova, bool pick, unsigned int flags, uint64_t *out)
{
	struct vfiodev_ctx *ctx = space->ctx;
	const struct vfiodev_mapping *other;
	struct vfiodev_mapping m;
	uint64_t a;
	int ret;

	if (!flags || flags & ~(VFIODEV_DMA_READ | VFIODEV_DMA_WRITE)) {
		vfd_err(ctx, "dma map: flags 0x%x must be VFIODEV_DMA_READ and/or VFIODEV_DMA_WRITE",
			flags);
		return -EINVAL;
	}
	pthread_mutex_lock(&space->lock);
	a = space->iova_align; /* joins may raise it, under this lock */
	if (!len || ((uintptr_t)vaddr | len) & (a - 1)) {
		vfd_err(ctx, "dma map: buffer %p+0x%zx is not page-aligned (0x%llx)",
			vaddr, len, (unsigned long long)a);
		ret = -EINVAL;
		goto out;
	}
	if (!space->ops) {
		vfd_err(ctx,
			"dma map: the space has no device yet; open a device into it first");
		ret = -ENODEV;
		goto out;
	}
	if (space->noiommu) {
		vfd_err(ctx, "dma map: a noiommu space has no IOMMU to map into");
		ret = -EOPNOTSUPP;
		goto out;
	}
	other = vaddr_overlaps(space, (uintptr_t)vaddr, len);
	if (other) {
		vfd_err(ctx, "dma map: buffer %p+0x%zx overlaps the one mapped at IOVA 0x%llx (map a buffer once)",
			vaddr, len, (unsigned long long)other->iova);
		ret = -EEXIST;
		goto out;
	}
	if (pick) {
		ret = iova_find(space, len, &iova);
		if (ret) {
			vfd_err(ctx, "dma map: no free IOVA range of 0x%zx bytes",
				len);
			goto out;
		}
	} else if (iova & (a - 1) || !iova_allowed(space, iova, len)) {
		vfd_err(ctx, "dma map: IOVA 0x%llx+0x%zx is misaligned or outside the kernel's IOVA ranges",
			(unsigned long long)iova, len);
		ret = -EINVAL;
		goto out;
	} else if (iova_overlaps(space, iova, len)) {
		vfd_err(ctx, "dma map: IOVA 0x%llx+0x%zx overlaps an existing mapping",
			(unsigned long long)iova, len);
		ret = -EEXIST;
		goto out;
	}
	m = (struct vfiodev_mapping){
		.vaddr = (uintptr_t)vaddr, .iova = iova, .len = len, .flags = flags
	};
	ret = space->ops->map(space, &m);
	if (ret)
		goto out;
	ret = table_insert(space, &m);
	if (ret) {
		vfd_err(ctx, "dma map: out of memory for the mapping table");
		space->ops->unmap(space, &m);
		goto out;
	}
	if (out)
		*out = iova;
out:
	pthread_mutex_unlock(&space->lock);
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_map(struct vfiodev_space *space, void *vaddr,
				   size_t len, uint64_t iova, unsigned int flags)
{
	if (!space)
		return -EINVAL;
	return map_checked(space, vaddr, len, iova, false, flags, NULL);
}

VFIODEV_EXPORT int vfiodev_dma_map_any(struct vfiodev_space *space, void *vaddr,
				       size_t len, unsigned int flags,
				       uint64_t *iova)
{
	if (!space)
		return -EINVAL;
	check_arg(space->ctx, iova);
	return map_checked(space, vaddr, len, 0, true, flags, iova);
}

VFIODEV_EXPORT int vfiodev_dma_unmap(struct vfiodev_space *space, uint64_t iova,
				     size_t len)
{
	int ret = -ENOENT;
	size_t j;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	j = iova_lower(space, iova);
	if (j < space->nr_maps && space->by_iova[j].iova == iova &&
	    space->by_iova[j].len == len) {
		ret = space->ops->unmap(space, &space->by_iova[j]);
		if (!ret && iova < space->iova_floor)
			space->iova_floor = iova;
		if (!ret)
			table_remove(space, j);
	}
	pthread_mutex_unlock(&space->lock);
	if (ret == -ENOENT)
		vfd_err(space->ctx,
			"dma unmap: no mapping at IOVA 0x%llx of 0x%zx bytes",
			(unsigned long long)iova, len);
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_unmap_all(struct vfiodev_space *space)
{
	int ret = 0;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	for (size_t i = 0; i < space->nr_maps; i++) {
		int r = space->ops->unmap(space, &space->by_iova[i]);

		if (r && !ret)
			ret = r;
	}
	/* the entries go either way: a failed unmap leaves the kernel
	 * mapping to the IOAS/container teardown */
	pthread_rwlock_wrlock(&space->map_lock);
	space->nr_maps = 0;
	pthread_rwlock_unlock(&space->map_lock);
	space->iova_floor = 0;
	pthread_mutex_unlock(&space->lock);
	return ret;
}

VFIODEV_EXPORT int vfiodev_dma_translate(struct vfiodev_space *space,
					 const void *vaddr, uint64_t *iova)
{
	uint64_t va = (uintptr_t)vaddr;
	size_t lo = 0, hi;
	int ret = -ENOENT;

	if (__builtin_expect(!space || !iova, 0))
		return -EINVAL;
	pthread_rwlock_rdlock(&space->map_lock);
	hi = space->nr_maps;
	/* last mapping whose vaddr <= va */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (space->maps[mid].vaddr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo) {
		const struct vfiodev_mapping *m = &space->maps[lo - 1];

		if (va - m->vaddr < m->len) {
			*iova = m->iova + (va - m->vaddr);
			ret = 0;
		}
	}
	pthread_rwlock_unlock(&space->map_lock);
	return ret;
}
