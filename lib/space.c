// SPDX-License-Identifier: MIT
/*
 * DMA address spaces: the object several devices share, its IOVA ranges
 * (kept as reserved spans in the record's IOVA tree), devices joining and
 * leaving, and the replay of the record into a new kernel object. The
 * record itself (map, unmap, translate) is dma.c's; the kernel side is the
 * backend's (iommufd.c, container.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static void groups_forget(struct vfiodev_ctx *ctx, struct vfiodev_space *space);

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

VFIODEV_EXPORT int vfiodev_space_new(struct vfiodev_ctx *ctx,
				     const struct vfiodev_space_opts *opts,
				     struct vfiodev_space **out)
{
	struct vfiodev_space *space;
	enum vfiodev_backend want = VFIODEV_BACKEND_AUTO;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	ret = vfd_opts_check(ctx, opts,
			     offsetofend(struct vfiodev_space_opts, iova_max),
			     "vfiodev_space_opts");
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
	space->iova_align = page_size();
	space->iova_max = UINT64_MAX;
	if (OPTS_HAS(opts, vfiodev_space_opts, iova_max) && opts->iova_max)
		space->iova_max = opts->iova_max;
	pthread_mutex_init(&space->lock, NULL);
	ret = vfd_itree_init(&space->tree);
	if (!ret)
		ret = vfd_vtable_init(&space->vt);
	if (!ret)
		ret = vfd_space_set_ranges(space, NULL, 0);
	/* an iommufd space has its IOAS from the start */
	if (!ret && space->pinned && want == VFIODEV_BACKEND_IOMMUFD) {
		ret = vfd_iommufd_space_create(space);
		if (!ret)
			ret = vfd_space_refresh_limits(space);
	}
	if (ret) {
		vfiodev_space_unref(space);
		return ret;
	}
	*out = space;
	return 0;
}

VFIODEV_EXPORT struct vfiodev_space *vfiodev_space_ref(struct vfiodev_space *space)
{
	if (space)
		__atomic_add_fetch(&space->refcount, 1, __ATOMIC_RELAXED);
	return space;
}

struct vfiodev_space *vfd_space_tryget(struct vfiodev_space *space)
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
	groups_forget(space->ctx, space);
	/* handed over: the IOAS and its mappings are another process's */
	if (!space->handed_over) {
		vfiodev_dma_unmap_all(space);
		if (space->ops)
			space->ops->destroy(space);
	}
	vfd_dma_release_owned(space);
	vfd_vtable_fini(&space->vt);
	vfd_itree_fini(&space->tree);
	free(space->resv);
	free(space->ranges);
	pthread_mutex_destroy(&space->lock);
	vfiodev_ctx_unref(space->ctx);
	free(space);
	return NULL;
}

VFIODEV_EXPORT enum vfiodev_backend
vfiodev_space_backend(const struct vfiodev_space *space)
{
	const struct backend_ops *ops;

	if (!space)
		return VFIODEV_BACKEND_AUTO;
	ops = __atomic_load_n(&space->ops, __ATOMIC_ACQUIRE);
	return ops ? ops->backend : VFIODEV_BACKEND_AUTO;
}

/* x86's interrupt window: every x86 IOMMU reserves it for MSIs */
#if defined(__x86_64__) || defined(__i386__)
static const struct vfiodev_iova_range msi_window = { 0xfee00000, 0xfeefffff };
#define HAVE_MSI_WINDOW 1
#else
#define HAVE_MSI_WINDOW 0
#endif

/* the usable ranges, page-rounded inward and sorted, less the interrupt
 * window while they are provisional; a NULL @r is every address */
static int usable_ranges(const struct vfiodev_iova_range *r, size_t n,
			 bool provisional, struct vfiodev_iova_range **out,
			 size_t *nout)
{
	const uint64_t pg = 1ull << ITREE_PAGE_SHIFT;
	struct vfiodev_iova_range all = { 0, UINT64_MAX }, *ok;
	size_t nok = 0;

	if (!r) {
		r = &all;
		n = 1;
	}
	ok = calloc(2 * n, sizeof(*ok)); /* the window splits one range */
	if (!ok)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = r[i].start, l = r[i].last;

		if (s & (pg - 1)) {
			if (s > UINT64_MAX - pg)
				continue;
			s = (s | (pg - 1)) + 1;
		}
		if (l != UINT64_MAX && (l + 1) & (pg - 1)) {
			if (l < pg)
				continue;
			l = ((l + 1) & ~(pg - 1)) - 1;
		}
		if (s > l)
			continue;
#if HAVE_MSI_WINDOW
		if (provisional && s <= msi_window.last && l >= msi_window.start) {
			if (s < msi_window.start)
				ok[nok++] = (struct vfiodev_iova_range){
					s, msi_window.start - 1
				};
			if (l > msi_window.last)
				ok[nok++] = (struct vfiodev_iova_range){
					msi_window.last + 1, l
				};
			continue;
		}
#else
		(void)provisional;
#endif
		ok[nok++] = (struct vfiodev_iova_range){ s, l };
	}
	/* the kernel's lists are short and sorted already */
	for (size_t i = 1; i < nok; i++)
		for (size_t j = i; j > 0 && ok[j].start < ok[j - 1].start; j--) {
			struct vfiodev_iova_range t = ok[j];

			ok[j] = ok[j - 1];
			ok[j - 1] = t;
		}
	*out = ok;
	*nout = nok;
	return 0;
}

/* the complement of the sorted ranges @ok: the reserved spans */
static size_t complement(const struct vfiodev_iova_range *ok, size_t nok,
			 struct vfiodev_iova_range *res)
{
	uint64_t next = 0;
	size_t nres = 0;

	for (size_t i = 0; i < nok; i++) {
		if (ok[i].last < next)
			continue; /* overlapping input: covered already */
		if (ok[i].start > next)
			res[nres++] =
				(struct vfiodev_iova_range){ next, ok[i].start - 1 };
		if (ok[i].last == UINT64_MAX)
			return nres;
		next = ok[i].last + 1;
	}
	res[nres++] = (struct vfiodev_iova_range){ next, UINT64_MAX };
	return nres;
}

/* caller holds space->lock (or owns the space alone) */
int vfd_space_set_ranges(struct vfiodev_space *space,
			 const struct vfiodev_iova_range *r, size_t n)
{
	struct vfiodev_iova_range *ok = NULL, *res = NULL;
	size_t nok, nres;
	int ret;

	if (r && n > VFD_IOVA_RANGES_MAX) {
		vfd_warn(space->ctx,
			 "the kernel reports %zu IOVA ranges; the space uses the first %u (IOVAs above 0x%llx stay unused)",
			 n, VFD_IOVA_RANGES_MAX,
			 (unsigned long long)r[VFD_IOVA_RANGES_MAX - 1].last);
		n = VFD_IOVA_RANGES_MAX;
	}
	ret = usable_ranges(r, n, !r || !space->nr_devices, &ok, &nok);
	if (ret)
		return ret;
	res = calloc(nok + 1, sizeof(*res));
	if (!res || vfd_itree_reserve(&space->tree, nok + 1)) {
		ret = -ENOMEM;
		goto out;
	}
	nres = complement(ok, nok, res);
	/* a mapping in the way of a new reserved span refuses them all */
	for (size_t i = 0; i < nres; i++) {
		const struct itree_node *m;

		for (m = vfd_itree_ceil(&space->tree, res[i].start);
		     m && m->iova <= res[i].last;
		     m = vfd_itree_next(&space->tree, m)) {
			if (m->vaddr & MAPF_RESERVED)
				continue;
			vfd_err(space->ctx,
				"the mapping at IOVA 0x%llx+0x%llx lies outside the IOVA ranges the kernel now allows (reserved 0x%llx-0x%llx)",
				(unsigned long long)m->iova,
				(unsigned long long)m->len,
				(unsigned long long)res[i].start,
				(unsigned long long)res[i].last);
			ret = -EADDRINUSE;
			goto out;
		}
	}
	/* the old spans out, the new in: nothing here can fail */
	for (size_t i = 0; i < space->nr_resv; i++)
		vfd_itree_remove(&space->tree, space->resv[i].start);
	for (size_t i = 0; i < nres; i++) {
		uint64_t len = res[i].last - res[i].start + 1;

		/* the whole 2^64: nothing is usable */
		vfd_itree_insert(&space->tree, res[i].start,
				 len ? len : UINT64_MAX, MAPF_RESERVED);
	}
	free(space->resv);
	space->resv = res;
	space->nr_resv = nres;
	res = NULL;
	free(space->ranges);
	space->ranges = ok;
	space->nr_ranges = nok;
	ok = NULL;
out:
	vfd_itree_trim(&space->tree);
	free(res);
	free(ok);
	return ret;
}

VFIODEV_EXPORT int vfiodev_space_iova_ranges(struct vfiodev_space *space,
					     struct vfiodev_iova_range *ranges,
					     size_t n)
{
	int count;

	if (!space || (n && !ranges))
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	count = (int)space->nr_ranges;
	for (size_t i = 0; i < n && i < space->nr_ranges; i++)
		ranges[i] = (struct vfiodev_iova_range){
			.start = space->ranges[i].start,
			.last = space->ranges[i].last,
		};
	pthread_mutex_unlock(&space->lock);
	return count;
}

VFIODEV_EXPORT bool vfiodev_space_ranges_provisional(struct vfiodev_space *space)
{
	bool p;

	if (!space)
		return true;
	pthread_mutex_lock(&space->lock);
	p = !space->nr_devices;
	pthread_mutex_unlock(&space->lock);
	return p;
}

VFIODEV_EXPORT int vfiodev_space_iommufd(struct vfiodev_space *space,
					 uint32_t *ioas_id)
{
	int fd = -ENODEV;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	if (space->ops && space->ops->backend == VFIODEV_BACKEND_IOMMUFD &&
	    space->ioas_id) {
		fd = space->iommufd;
		if (ioas_id)
			*ioas_id = space->ioas_id;
	}
	pthread_mutex_unlock(&space->lock);
	return fd;
}

VFIODEV_EXPORT int vfiodev_space_container_fd(struct vfiodev_space *space)
{
	int fd = -ENODEV;

	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	if (space->ops && space->ops->backend == VFIODEV_BACKEND_CONTAINER &&
	    space->container_fd >= 0)
		fd = space->container_fd;
	pthread_mutex_unlock(&space->lock);
	return fd;
}

void vfd_space_kernel_gone(struct vfiodev_space *space)
{
	/* the record outlives it: replayed into the next one */
	space->synced = false;
	/* the tracking went with it */
	space->dirty_on = false;
}

/* put every recorded mapping into the new kernel object, all or nothing;
 * caller holds space->lock; the kernel object is new and empty */
static int replay(struct vfiodev_space *space)
{
	struct itree *t = &space->tree;
	const struct itree_node *j;
	struct itree_node *i;
	int ret = 0;

	if (space->synced)
		return 0;
	if (space->nr_maps && space->noiommu) {
		vfd_err(space->ctx,
			"the space has %zu recorded mappings, but a noiommu group has no IOMMU to map them into",
			space->nr_maps);
		return -EOPNOTSUPP;
	}
	for (i = vfd_itree_ceil(t, 0); i; i = vfd_itree_next(t, i)) {
		struct vfiodev_mapping m;

		if (i->vaddr & MAPF_RESERVED)
			continue;
		if (i->vaddr & MAPF_DMABUF) {
			/* no address to map it from (unreachable: dma-bufs
			 * go only into a live IOAS, which is never replayed) */
			ret = -EOPNOTSUPP;
			break;
		}
		m = vfd_node_mapping(i);
		ret = space->ops->map(space, &m);
		if (ret)
			break;
		/* replayed from the address */
		i->vaddr &= ~(uint64_t)MAPF_KFILE;
	}
	if (ret) {
		vfd_err(space->ctx,
			"replaying the space's %zu recorded mappings into the new %s: %s",
			space->nr_maps,
			space->ops->backend == VFIODEV_BACKEND_IOMMUFD ? "IOAS" :
									 "container",
			strerror(-ret));
		for (j = vfd_itree_ceil(t, 0); j && j != i;
		     j = vfd_itree_next(t, j)) {
			struct vfiodev_mapping m;

			if (j->vaddr & MAPF_RESERVED)
				continue;
			m = vfd_node_mapping(j);
			space->ops->unmap(space, &m);
		}
		return ret;
	}
	space->synced = true;
	return 0;
}

/* a device or group left (or failed to join): the kernel recomputed what
 * it allows, so does the space. With no device left nothing is reserved
 * (an IOAS's reserved regions and page size are its devices'; an emptied
 * container is closed): the provisional limits, without asking */
static void limits_after_leave(struct vfiodev_space *space)
{
	int ret;

	/* an empty space (no device, no mapping) may take either kind */
	if (!space->nr_devices && !space->nr_maps)
		space->noiommu = false;
	if (space->ops && space->nr_devices) {
		ret = vfd_space_refresh_limits(space);
	} else {
		ret = vfd_space_set_ranges(space, NULL, 0);
		space->iova_align = page_size();
		space->dirty_pgsizes = space->dirty_max_bitmap = 0;
	}
	if (ret)
		vfd_warn(space->ctx,
			 "the IOVA ranges could not be read again after a device left (%s): the space keeps the narrower ones",
			 strerror(-ret));
}

int vfd_space_refresh_limits(struct vfiodev_space *space)
{
	struct vfd_limits lim = { 0 };
	uint64_t pg = page_size();
	int ret;

	ret = space->ops->read_limits(space, &lim);
	if (!ret)
		ret = vfd_space_set_ranges(space, lim.ranges, lim.nr_ranges);
	if (!ret) {
		space->iova_align = lim.iova_align > pg ? lim.iova_align : pg;
		space->dirty_pgsizes = lim.dirty_pgsizes;
		space->dirty_max_bitmap = lim.dirty_max_bitmap;
	}
	free(lim.ranges);
	return ret;
}

/* caller holds space->lock */
int vfd_space_join(struct vfiodev_space *space, struct vfiodev_device *dev,
		   const struct backend_ops *ops)
{
	bool had_ops = space->ops != NULL, was_noiommu = space->noiommu;
	int ret;

	if (space->handed_over) {
		vfd_err(space->ctx,
			"%s: the space was handed over to another process (vfiodev_space_hand_over())",
			dev->name);
		return -EPERM;
	}
	if (space->ops && space->ops != ops) {
		vfd_err(space->ctx,
			"%s: the space uses the %s backend; the device cannot join it with %s",
			dev->name, vfiodev_backend_name(space->ops->backend),
			vfiodev_backend_name(ops->backend));
		return -EXDEV;
	}
	/* the ranges read at attach are the device's: final from now */
	space->nr_devices++;
	ret = ops->attach(space, dev);
	if (ret) {
		space->nr_devices--;
		return ret;
	}
	__atomic_store_n(&space->ops, ops, __ATOMIC_RELEASE);
	/* what the join taught (the device's reserved regions, its IOMMU's
	 * page size) holds only if the join holds: a failed one gives it
	 * back, as the kernel does */
	ret = vfd_space_refresh_limits(space);
	if (!ret)
		ret = replay(space);
	if (ret) {
		if (ops->detach(space, dev))
			vfd_space_kernel_gone(space);
		space->nr_devices--;
		if (!had_ops) {
			ops->destroy(space);
			vfd_space_kernel_gone(space);
			__atomic_store_n(&space->ops, NULL, __ATOMIC_RELEASE);
		}
		/* what the attach said of the device's kind goes with it */
		space->noiommu = was_noiommu;
		limits_after_leave(space);
		return ret;
	}
	dev->attached = true;
	dev->space_next = space->devices;
	space->devices = dev;
	return 0;
}

void vfd_space_leave(struct vfiodev_space *space, struct vfiodev_device *dev)
{
	pthread_mutex_lock(&space->lock);
	if (dev->attached) {
		struct vfiodev_device **pp = &space->devices;

		while (*pp != dev)
			pp = &(*pp)->space_next;
		*pp = dev->space_next;
		/* handed over: the attachment is the other process's */
		if (!space->handed_over && space->ops->detach(space, dev))
			vfd_space_kernel_gone(space);
		space->nr_devices--;
		dev->attached = false;
		if (!space->handed_over)
			limits_after_leave(space);
	}
	pthread_mutex_unlock(&space->lock);
}

/* ---- the IOMMU group -> space registry (per context) ------------------ */
/* a group's devices share one space: its open devices' entry says which */
static struct group_owner *owner_find(struct vfiodev_ctx *ctx, int group,
				      const struct vfiodev_space *space)
{
	for (size_t i = 0; i < ctx->nr_owners; i++)
		if (ctx->owners[i].group == group &&
		    (!space || ctx->owners[i].space == space))
			return &ctx->owners[i];
	return NULL;
}

static void owner_remove(struct vfiodev_ctx *ctx, struct group_owner *o)
{
	*o = ctx->owners[--ctx->nr_owners];
}

/* a new entry with one user; false when out of memory. ctx->lock held */
static bool owner_add(struct vfiodev_ctx *ctx, int group, struct vfiodev_space *space)
{
	if (ctx->nr_owners == ctx->cap_owners) {
		size_t cap = ctx->cap_owners ? ctx->cap_owners * 2 : 8;
		struct group_owner *n = realloc(ctx->owners, cap * sizeof(*n));

		if (!n)
			return false;
		ctx->owners = n;
		ctx->cap_owners = cap;
	}
	ctx->owners[ctx->nr_owners++] = (struct group_owner){ group, space, 1 };
	return true;
}

bool vfd_ctx_group_held_elsewhere(struct vfiodev_ctx *ctx, int group,
				  const struct vfiodev_space *space)
{
	bool held = false;

	pthread_mutex_lock(&ctx->lock);
	for (size_t i = 0; i < ctx->nr_owners; i++)
		if (ctx->owners[i].group == group &&
		    ctx->owners[i].space != space && ctx->owners[i].users)
			held = true;
	pthread_mutex_unlock(&ctx->lock);
	return held;
}

/*
 * Get-or-insert, in one hold of the lock, so that two threads opening
 * devices of one group never make two spaces for it: a new reference on
 * the space that holds @group (counting one more user), else @fresh
 * registered for it (NULL: nothing registered, *@out NULL). -ENOMEM when
 * @fresh could not be recorded.
 */
int vfd_ctx_group_claim(struct vfiodev_ctx *ctx, int group,
			struct vfiodev_space *fresh, struct vfiodev_space **out)
{
	struct group_owner *o;
	int ret = 0;

	*out = NULL;
	pthread_mutex_lock(&ctx->lock);
	o = owner_find(ctx, group, NULL);
	if (o && (*out = vfd_space_tryget(o->space))) {
		o->users++;
	} else if (fresh) {
		if (o)
			owner_remove(ctx, o); /* its space is being released */
		ret = owner_add(ctx, group, fresh) ? 0 : -ENOMEM;
		if (!ret)
			*out = fresh;
	}
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

bool vfd_ctx_group_get(struct vfiodev_ctx *ctx, int group, struct vfiodev_space *space)
{
	struct group_owner *o;
	bool ok = true;

	pthread_mutex_lock(&ctx->lock);
	o = owner_find(ctx, group, space);
	if (o)
		o->users++;
	else
		ok = owner_add(ctx, group, space);
	pthread_mutex_unlock(&ctx->lock);
	return ok;
}

void vfd_ctx_group_put(struct vfiodev_ctx *ctx, int group, struct vfiodev_space *space)
{
	struct group_owner *o;

	pthread_mutex_lock(&ctx->lock);
	o = owner_find(ctx, group, space);
	if (o && o->users)
		o->users--;
	if (o && !o->users)
		owner_remove(ctx, o);
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * A duplicate of the fd of IOMMU group @group, open in a container space
 * of this context, for a hot reset's proof of ownership; -ENOENT when no
 * space of the context holds it open (or holds it through iommufd, which
 * opens no group). The lock order is the space's, then the context's: the
 * space is looked up first and locked after ctx->lock is released.
 */
int vfd_ctx_group_fd(struct vfiodev_ctx *ctx, int group)
{
	struct vfiodev_space *space = NULL;
	struct group_owner *o;
	int fd = -ENOENT;

	pthread_mutex_lock(&ctx->lock);
	o = owner_find(ctx, group, NULL);
	if (o && o->users)
		space = vfd_space_tryget(o->space);
	pthread_mutex_unlock(&ctx->lock);
	if (!space)
		return -ENOENT;
	pthread_mutex_lock(&space->lock);
	for (struct vfiodev_group *g = space->groups; g; g = g->next)
		if (g->id == group)
			fd = sys_dupfd(g->fd);
	pthread_mutex_unlock(&space->lock);
	vfiodev_space_unref(space);
	return fd;
}

/* the space is going away: no group entry may name it */
static void groups_forget(struct vfiodev_ctx *ctx, struct vfiodev_space *space)
{
	pthread_mutex_lock(&ctx->lock);
	for (size_t i = 0; i < ctx->nr_owners;) {
		if (ctx->owners[i].space == space)
			owner_remove(ctx, &ctx->owners[i]);
		else
			i++;
	}
	pthread_mutex_unlock(&ctx->lock);
}
