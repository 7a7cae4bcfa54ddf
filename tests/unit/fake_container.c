// SPDX-License-Identifier: MIT
/*
 * The fake kernel's legacy VFIO: groups (status, set/unset container,
 * device fds that hold the group open) and containers (API version,
 * extensions, Type1 or noiommu, IOMMU info with the IOVA-range
 * capability, DMA map/unmap), and the mapping tables the Type1 and
 * iommufd emulations share. The last group to leave a container takes
 * its IOMMU and mappings with it, as in the kernel.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

/* ---- mapping tables (shared with fake_iommufd.c) ----------------------- */

int fake_maps_add(struct fake_maps *m, uint64_t iova, uint64_t len, uint64_t va)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct fake_map *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = (struct fake_map){ iova, len, va, false };
	return 0;
}

bool fake_maps_overlap(const struct fake_maps *m, uint64_t iova, uint64_t len)
{
	uint64_t last = iova + len - 1;

	for (size_t i = 0; i < m->n; i++)
		if (iova <= m->v[i].iova + m->v[i].len - 1 && m->v[i].iova <= last)
			return true;
	return false;
}

int fake_maps_remove(struct fake_maps *m, uint64_t iova, uint64_t len, uint64_t *out)
{
	uint64_t last = iova + len - 1, done = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < m->n; i++) {
		uint64_t ml = m->v[i].iova + m->v[i].len - 1;

		if (ml < iova || m->v[i].iova > last)
			continue;
		if (m->v[i].iova < iova || ml > last)
			return -EINVAL; /* would split a mapping */
	}
	i = 0;
	while (i < m->n) {
		uint64_t ml = m->v[i].iova + m->v[i].len - 1;

		if (m->v[i].iova >= iova && ml <= last) {
			done += m->v[i].len;
			m->v[i] = m->v[--m->n];
		} else {
			i++;
		}
	}
	*out = done;
	return 0;
}

void fake_maps_free(struct fake_maps *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

bool fake_ranges_allow(const struct vfiodev_iova_range *r, size_t n,
		       uint64_t iova, uint64_t len)
{
	uint64_t last = iova + len - 1;

	if (last < iova)
		return false;
	for (size_t i = 0; i < n; i++)
		if (iova >= r[i].start && last <= r[i].last)
			return true;
	return false;
}

bool fake_va_valid(uint64_t va, uint64_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t a = va & ~(page - 1);

	return msync((void *)(uintptr_t)a, len + (va - a), MS_ASYNC) == 0;
}

/* ---- lifetimes --------------------------------------------------------- */

void fake_container_put(struct fake_container *ct)
{
	if (ct->files || ct->ngroups)
		return;
	for (struct fake_container **pp = &fk.cts; *pp; pp = &(*pp)->next) {
		if (*pp == ct) {
			*pp = ct->next;
			break;
		}
	}
	fake_maps_free(&ct->maps);
	free(ct);
}

void fake_group_unset(struct fake_group *g)
{
	struct fake_container *ct = g->container;

	g->container = NULL;
	ct->ngroups--;
	/* the last group out takes the IOMMU driver and its mappings */
	if (!ct->ngroups) {
		ct->iommu = 0;
		fake_maps_free(&ct->maps);
	}
	fake_container_put(ct);
}

void fake_group_release(struct fake_file *f)
{
	struct fake_group *g = f->group;

	g->open = false;
	if (g->container) {
		fk.implicit.group_unsets++;
		fake_group_unset(g);
	}
}

/* ---- group ioctls ------------------------------------------------------ */

/* "<bdf>" or "<bdf> vf_token=<uuid>" (vfio_pci_core_match) */
static int parse_device_arg(const char *arg, char *bdf, size_t len,
			    uint8_t tok[16], bool *has_tok)
{
	const char *sp = strchr(arg, ' ');
	unsigned int b[16];

	*has_tok = false;
	if (!sp) {
		snprintf(bdf, len, "%s", arg);
		return 0;
	}
	snprintf(bdf, len, "%.*s", (int)(sp - arg), arg);
	if (strncmp(sp + 1, "vf_token=", 9) || strlen(sp + 10) != 36 ||
	    sscanf(sp + 10, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
		   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7], &b[8],
		   &b[9], &b[10], &b[11], &b[12], &b[13], &b[14], &b[15]) != 16)
		return -EINVAL;
	for (int i = 0; i < 16; i++)
		tok[i] = (uint8_t)b[i];
	*has_tok = true;
	return 0;
}

static int get_device_fd(struct fake_file *gf, const char *arg)
{
	struct fake_group *g = gf->group;
	struct fake_pci *p;
	struct fake_file *df;
	char bdf[64];
	uint8_t tok[16];
	bool has_tok;
	int fd;

	if (!g->container || !g->container->iommu)
		return -EINVAL;
	if (parse_device_arg(arg, bdf, sizeof(bdf), tok, &has_tok))
		return -EINVAL;
	p = fake_pci_find(bdf);
	if (!p || p->group != g->id)
		return -ENODEV;
	fd = fake_vf_token_check(p, has_tok ? tok : NULL);
	if (fd)
		return fd;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	df = fake_file_new(fd, FK_DEVICE);
	df->pci = p;
	df->group = g;
	df->gfile = gf;
	gf->refs++;
	g->device_fds++;
	p->open_count++;
	return fd;
}

int fake_group_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_group *g = f->group;

	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = 0;
		if (g->viable)
			st->flags |= VFIO_GROUP_FLAGS_VIABLE;
		if (g->container)
			st->flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		struct fake_file *cf = fake_file_of(*(const int *)arg);
		struct fake_container *ct;

		if (g->container)
			return -EINVAL;
		if (!g->viable)
			return -EPERM;
		if (!cf || cf->kind != FK_CONTAINER)
			return -EBADF;
		ct = cf->ct;
		/* noiommu and IOMMU groups never share a container */
		if (ct->iommu && (ct->iommu == VFIO_NOIOMMU_IOMMU) != g->noiommu)
			return -EPERM;
		g->container = ct;
		ct->ngroups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->container)
			return -EINVAL;
		if (g->device_fds)
			return -EBUSY;
		fake_group_unset(g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		return get_device_fd(f, arg);
	}
	return -ENOTTY;
}

/* ---- container ioctls -------------------------------------------------- */

static bool ext_supported(unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
		return fake_cfg.type1;
	case VFIO_TYPE1v2_IOMMU:
		return fake_cfg.type1v2;
	case VFIO_NOIOMMU_IOMMU:
		return fake_cfg.noiommu;
	}
	return false;
}

static bool container_noiommu_groups(const struct fake_container *ct)
{
	for (struct fake_group *g = fk.groups; g; g = g->next)
		if (g->container == ct)
			return g->noiommu;
	return false;
}

static void add_migration(struct fake_capbuf *c)
{
	struct vfio_iommu_type1_info_cap_migration mig = {
		.pgsize_bitmap = fake_cfg.type1_pgsizes & -fake_cfg.type1_pgsizes,
		.max_dirty_bitmap_size = 256ull << 20,
	};
	uint8_t *p;

	if (!fake_cfg.type1_migration)
		return;
	p = fake_cap_add(c, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, sizeof(mig));
	memcpy(p + sizeof(mig.header), (const uint8_t *)&mig + sizeof(mig.header),
	       sizeof(mig) - sizeof(mig.header));
}

static int type1_info(struct fake_container *ct, struct vfio_iommu_type1_info *info)
{
	struct fake_capbuf c = { .last = SIZE_MAX, .base = sizeof(*info) };
	uint32_t need;

	(void)ct;
	if (info->argsz < offsetofend(struct vfio_iommu_type1_info, iova_pgsizes))
		return -EINVAL;
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = fake_cfg.type1_pgsizes;
	if (info->argsz < offsetofend(struct vfio_iommu_type1_info, cap_offset))
		return 0;
	info->cap_offset = 0;
	/* 6.1 order when packed: migration, DMA-avail (12 bytes), IOVA ranges;
	 * else a capability before the wanted ones, so that the library walks.
	 * Fields are written with memcpy: a packed one may be misaligned */
	if (fake_cfg.caps_packed)
		add_migration(&c);
	{
		struct vfio_iommu_type1_info_dma_avail av = { .avail = 65535 };
		uint8_t *p = fake_cap_add(&c, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
					  sizeof(av));

		memcpy(p + sizeof(av.header), &av.avail, sizeof(av.avail));
	}
	if (!fake_cfg.caps_packed)
		add_migration(&c);
	if (fake_cfg.type1_iova_cap) {
		struct vfio_iommu_type1_info_cap_iova_range r;
		size_t n = fake_cfg.nr_type1_ranges;
		uint8_t *p =
			fake_cap_add(&c, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
				     sizeof(r) + n * sizeof(r.iova_ranges[0]));

		r.nr_iovas = (uint32_t)n;
		memcpy(p + offsetof(struct vfio_iommu_type1_info_cap_iova_range,
				    nr_iovas),
		       &r.nr_iovas, sizeof(r.nr_iovas));
		for (size_t i = 0; i < n; i++) {
			struct vfio_iova_range one = {
				.start = fake_cfg.type1_ranges[i].start,
				.end = fake_cfg.type1_ranges[i].last,
			};

			memcpy(p + sizeof(r) + i * sizeof(one), &one, sizeof(one));
		}
	}
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	need = (uint32_t)(sizeof(*info) + c.len);
	if (fake_cfg.type1_argsz_ask) {
		info->argsz = fake_cfg.type1_argsz_ask;
		return 0;
	}
	if (info->argsz < need) {
		info->argsz = need;
		return 0;
	}
	memcpy((uint8_t *)info + sizeof(*info), c.b, c.len);
	info->cap_offset = c.first;
	return 0;
}

static int map_dma(struct fake_container *ct, struct vfio_iommu_type1_dma_map *m)
{
	uint64_t pg = fake_cfg.type1_pgsizes & -fake_cfg.type1_pgsizes;

	if (!ct->iommu)
		return -EINVAL;
	if (ct->iommu == VFIO_NOIOMMU_IOMMU)
		return -ENOTTY;
	if (m->argsz < offsetofend(struct vfio_iommu_type1_dma_map, size))
		return -EINVAL;
	if (m->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) ||
	    !(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (!m->size || (m->size | m->iova | m->vaddr) & (pg - 1) ||
	    m->iova + m->size - 1 < m->iova)
		return -EINVAL;
	if (fake_cfg.type1_iova_cap &&
	    !fake_ranges_allow(fake_cfg.type1_ranges, fake_cfg.nr_type1_ranges,
			       m->iova, m->size))
		return -EINVAL;
	if (fake_maps_overlap(&ct->maps, m->iova, m->size))
		return -EEXIST;
	if (fake_cfg.dma_entry_limit && ct->maps.n >= fake_cfg.dma_entry_limit)
		return -ENOSPC;
	if (!fake_va_valid(m->vaddr, m->size))
		return -EFAULT;
	return fake_maps_add(&ct->maps, m->iova, m->size, m->vaddr);
}

int fake_container_ioctl(struct fake_file *f, unsigned long req, void *arg)
{
	struct fake_container *ct = f->ct;
	unsigned long ext = (unsigned long)(uintptr_t)arg;

	switch (req) {
	case VFIO_GET_API_VERSION:
		return fake_cfg.api_version;
	case VFIO_CHECK_EXTENSION:
		return ext_supported(ext) ? 1 : 0;
	case VFIO_SET_IOMMU:
		if (!ct->ngroups)
			return -EINVAL;
		if (ct->iommu)
			return -EBUSY;
		if (!ext_supported(ext))
			return -ENODEV;
		if ((ext == VFIO_NOIOMMU_IOMMU) != container_noiommu_groups(ct))
			return -EINVAL;
		ct->iommu = (int)ext;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		if (!ct->iommu)
			return -EINVAL;
		if (ct->iommu == VFIO_NOIOMMU_IOMMU)
			return -ENOTTY;
		return type1_info(ct, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(ct, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return fake_type1_dirty(ct, arg);
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *u = arg;
		uint64_t done = 0;
		int ret;

		if (!ct->iommu)
			return -EINVAL;
		if (ct->iommu == VFIO_NOIOMMU_IOMMU)
			return -ENOTTY;
		if (u->argsz < offsetofend(struct vfio_iommu_type1_dma_unmap, size) ||
		    u->flags)
			return -EINVAL;
		ret = fake_maps_remove(&ct->maps, u->iova, u->size, &done);
		if (ret)
			return ret;
		u->size = done;
		return 0;
	}
	}
	return -ENOTTY;
}
