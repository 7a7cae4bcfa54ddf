// SPDX-License-Identifier: MIT
/*
 * Regions: info with its capability chain (sparse mmap areas, type,
 * MSI-X mappable), mmap honouring sparse areas, read/write through the
 * device fd, and the PCI config space helpers built on them.
 */
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "internal.h"

/* VFIO_DEVICE_GET_REGION_INFO with room for the capability chain; the
 * caller frees *out */
static int region_info_raw(const struct vfiodev_device *dev, unsigned int index,
			   struct vfio_region_info **out)
{
	struct vfio_region_info hdr = { .index = index }, *info;
	size_t argsz = sizeof(hdr);
	char what[128];
	int ret;

	if (index >= dev->num_regions) {
		vfd_err(dev->ctx, "%s: region %u does not exist (the device has %u)",
			dev->name, index, dev->num_regions);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "%s: VFIO_DEVICE_GET_REGION_INFO(%u)",
		 dev->name, index);
	ret = vfd_vfio_info_ioctl(dev->ctx, dev->fd, VFIO_DEVICE_GET_REGION_INFO,
				  &hdr, sizeof(hdr), &argsz, what, (void **)&info);
	if (ret)
		return ret;
	info->argsz = (uint32_t)argsz; /* bytes we own */
	/* every file offset inside the region must be an off_t: offset +
	 * size may not wrap or pass INT64_MAX */
	if (info->size > (uint64_t)INT64_MAX ||
	    info->offset > (uint64_t)INT64_MAX - info->size) {
		vfd_err(dev->ctx,
			"%s: region %u: offset 0x%llx + size 0x%llx passes the largest file offset",
			dev->name, index, (unsigned long long)info->offset,
			(unsigned long long)info->size);
		free(info);
		return -EPROTO;
	}
	dev->maps[index].fd_offset = info->offset;
	dev->maps[index].size = info->size;
	dev->maps[index].known = true;
	*out = info;
	return 0;
}

/* the number of sparse areas, read without the struct type: the
 * capability may be misaligned (packed chains before Linux 6.6) */
static uint32_t nr_areas_of(const struct vfio_region_info_cap_sparse_mmap *sp)
{
	return vfd_cap_u32(sp, offsetof(struct vfio_region_info_cap_sparse_mmap,
					nr_areas));
}

/* sparse areas hold u64 fields; a capability of a packed chain (before
 * Linux 6.6) may be misaligned: read them with memcpy */
static uint64_t area_off(const struct vfio_region_info_cap_sparse_mmap *sp,
			 uint32_t i)
{
	return vfd_cap_u64(sp,
			   sizeof(*sp) +
				   i * sizeof(struct vfio_region_sparse_mmap_area) +
				   offsetof(struct vfio_region_sparse_mmap_area,
					    offset));
}

static uint64_t area_size(const struct vfio_region_info_cap_sparse_mmap *sp,
			  uint32_t i)
{
	return vfd_cap_u64(sp,
			   sizeof(*sp) +
				   i * sizeof(struct vfio_region_sparse_mmap_area) +
				   offsetof(struct vfio_region_sparse_mmap_area,
					    size));
}

static int sparse_cap(const struct vfiodev_device *dev,
		      const struct vfio_region_info *info,
		      const struct vfio_region_info_cap_sparse_mmap **out)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	size_t off;
	int ret;

	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return -ENOENT;
	ret = vfd_vfio_cap_find(info, info->argsz, info->cap_offset,
				VFIO_REGION_INFO_CAP_SPARSE_MMAP, sizeof(*sp),
				(const void **)&sp);
	if (ret)
		return ret;
	/* vfd_vfio_cap_find() checked the header fits; divide, not multiply:
	 * no wrap on 32-bit size_t */
	off = (size_t)((const char *)sp - (const char *)info);
	if (nr_areas_of(sp) > (info->argsz - off - sizeof(*sp)) /
				      sizeof(struct vfio_region_sparse_mmap_area)) {
		vfd_err(dev->ctx,
			"%s: region %u: sparse capability overruns the buffer",
			dev->name, info->index);
		return -EPROTO;
	}
	for (uint32_t i = 0; i < nr_areas_of(sp); i++) {
		if (area_off(sp, i) + area_size(sp, i) < area_off(sp, i) ||
		    area_off(sp, i) + area_size(sp, i) > info->size) {
			vfd_err(dev->ctx,
				"%s: region %u: sparse area %u lies outside the region",
				dev->name, info->index, i);
			return -EPROTO;
		}
	}
	*out = sp;
	return 0;
}

/* a region's mmap alignment: its size rounded up to a power of two, at
 * least a page, at most VFD_MMAP_ALIGN_MAX */
static uint64_t mmap_align(uint64_t size)
{
	uint64_t a = (uint64_t)sysconf(_SC_PAGESIZE);

	while (a < size && a < VFD_MMAP_ALIGN_MAX)
		a <<= 1;
	return a;
}

VFIODEV_EXPORT int vfiodev_region_get_info(const struct vfiodev_device *dev,
					   unsigned int index,
					   struct vfiodev_region_info *out)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	const struct vfio_region_info_cap_type *type;
	const void *msix;
	struct vfio_region_info *info;
	int ret;

	if (!dev || !out)
		return -EINVAL;
	ret = region_info_raw(dev, index, &info);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->size = info->size;
	out->offset = info->offset;
	if (info->flags & VFIO_REGION_INFO_FLAG_READ)
		out->flags |= VFIODEV_REGION_READ;
	if (info->flags & VFIO_REGION_INFO_FLAG_WRITE)
		out->flags |= VFIODEV_REGION_WRITE;
	if (info->flags & VFIO_REGION_INFO_FLAG_MMAP) {
		out->flags |= VFIODEV_REGION_MMAP;
		if (info->size)
			out->mmap_align_shift =
				(uint32_t)__builtin_ctzll(mmap_align(info->size));
	}
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS) {
		if (vfd_vfio_cap_validate(info, info->argsz, info->cap_offset)) {
			vfd_err(dev->ctx,
				"%s: region %u: malformed capability chain",
				dev->name, index);
			free(info);
			return -EPROTO;
		}
		ret = sparse_cap(dev, info, &sp);
		if (ret == -EPROTO) {
			free(info);
			return ret;
		}
		if (!ret) {
			out->flags |= VFIODEV_REGION_SPARSE;
			out->nr_sparse = nr_areas_of(sp);
		}
		if (!vfd_vfio_cap_find(info, info->argsz, info->cap_offset,
				       VFIO_REGION_INFO_CAP_TYPE, sizeof(*type),
				       (const void **)&type)) {
			out->flags |= VFIODEV_REGION_HAS_TYPE;
			out->type = type->type;
			out->subtype = type->subtype;
		}
		if (!vfd_vfio_cap_find(info, info->argsz, info->cap_offset,
				       VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
				       sizeof(struct vfio_info_cap_header), &msix))
			out->flags |= VFIODEV_REGION_MSIX_MAPPABLE;
	}
	free(info);
	return 0;
}

VFIODEV_EXPORT int vfiodev_region_sparse_areas(const struct vfiodev_device *dev,
					       unsigned int index,
					       struct vfiodev_sparse_area *areas,
					       size_t n)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	struct vfio_region_info *info;
	int ret;

	if (!dev || (n && !areas))
		return -EINVAL;
	ret = region_info_raw(dev, index, &info);
	if (ret)
		return ret;
	ret = sparse_cap(dev, info, &sp);
	if (ret == -ENOENT) {
		ret = 0;
	} else if (!ret) {
		for (size_t i = 0; i < n && i < nr_areas_of(sp); i++) {
			areas[i] = (struct vfiodev_sparse_area){
				.offset = area_off(sp, i),
				.size = area_size(sp, i),
			};
		}
		ret = (int)nr_areas_of(sp);
	}
	free(info);
	return ret;
}

static int prot_of(const struct vfio_region_info *info)
{
	int prot = 0;

	if (info->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (info->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	return prot;
}

static bool sparse_nonempty(const struct vfio_region_info_cap_sparse_mmap *sp)
{
	for (uint32_t i = 0; i < nr_areas_of(sp); i++)
		if (area_size(sp, i))
			return true;
	return false;
}

/*
 * Address space for @size bytes of a region: at an address congruent to
 * @phase modulo @align (a power of two), by reserving size + alignment and
 * trimming both ends. vfio-pci (6.12+) maps a BAR with PMD and PUD entries
 * from its huge_fault only where the virtual address is aligned as the
 * BAR's physical one (BARs are aligned to their size); elsewhere every
 * 4 KiB page faults (and a DMA map of the BAR walks them all). PROT_NONE
 * until the caller maps over it
 */
static void *region_reserve(struct vfiodev_device *dev, unsigned int index,
			    uint64_t size, uint64_t align, uint64_t phase, int *err)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uintptr_t raw, a;
	void *p;

	/* a region smaller than a page (a 256-byte BAR) still takes whole
	 * pages: the trims must fall on page boundaries */
	size = (size + pg - 1) & ~(pg - 1);
	phase &= align - 1;
	p = sys_mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0, err);
	if (p == MAP_FAILED) {
		vfd_err(dev->ctx, "%s: reserving 0x%llx bytes for region %u: %s",
			dev->name, (unsigned long long)(size + align), index,
			strerror(-*err));
		return p;
	}
	raw = (uintptr_t)p;
	a = ((raw - phase + align - 1) & ~(uintptr_t)(align - 1)) + phase;
	if (a < raw)
		a += align;
	if (a != raw)
		sys_munmap(p, a - raw);
	if (raw + size + align > a + size)
		sys_munmap((void *)(a + size), raw + size + align - (a + size));
	return (void *)a;
}

VFIODEV_EXPORT int vfiodev_region_mmap(struct vfiodev_device *dev,
				       unsigned int index, void **addr)
{
	const struct vfio_region_info_cap_sparse_mmap *sp = NULL;
	struct vfio_region_info *info;
	void *base, *p;
	int ret, err;

	if (!dev || !addr)
		return -EINVAL;
	if (index < dev->num_regions && dev->maps[index].addr) {
		*addr = dev->maps[index].addr;
		return 0;
	}
	ret = region_info_raw(dev, index, &info);
	if (ret)
		return ret;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP) || !info->size) {
		vfd_err(dev->ctx, "%s: region %u cannot be mmapped", dev->name,
			index);
		ret = -EINVAL;
		goto out;
	}
	ret = sparse_cap(dev, info, &sp);
	if (ret == -EPROTO)
		goto out;
	if (!ret && !sparse_nonempty(sp)) {
		vfd_err(dev->ctx,
			"%s: region %u: its sparse capability lists no area to mmap",
			dev->name, index);
		ret = -EINVAL;
		goto out;
	}
	/* the whole region's room, aligned; then the region or only its
	 * sparse areas over it */
	base = region_reserve(dev, index, info->size, mmap_align(info->size), 0,
			      &err);
	if (base == MAP_FAILED) {
		ret = err;
		goto out;
	}
	if (ret == -ENOENT) {
		p = sys_mmap(base, info->size, prot_of(info), MAP_SHARED | MAP_FIXED,
			     dev->fd, (off_t)info->offset, &err);
		if (p == MAP_FAILED) {
			ret = err;
			vfd_err(dev->ctx, "%s: mmap of region %u: %s",
				dev->name, index, strerror(-ret));
			sys_munmap(base, info->size);
			goto out;
		}
	} else {
		for (uint32_t i = 0; i < nr_areas_of(sp); i++) {
			if (!area_size(sp, i))
				continue;
			p = sys_mmap((char *)base + area_off(sp, i),
				     area_size(sp, i), prot_of(info),
				     MAP_SHARED | MAP_FIXED, dev->fd,
				     (off_t)(info->offset + area_off(sp, i)), &err);
			if (p == MAP_FAILED) {
				ret = err;
				vfd_err(dev->ctx,
					"%s: mmap of region %u sparse area %u: %s",
					dev->name, index, i, strerror(-ret));
				sys_munmap(base, info->size);
				goto out;
			}
		}
	}
	dev->maps[index].addr = base;
	dev->maps[index].len = info->size;
	*addr = base;
	ret = 0;
out:
	free(info);
	return ret;
}

VFIODEV_EXPORT int vfiodev_region_munmap(struct vfiodev_device *dev,
					 unsigned int index)
{
	int ret;

	if (!dev || index >= dev->num_regions)
		return -EINVAL;
	if (!dev->maps[index].addr) {
		vfd_err(dev->ctx,
			"%s: region %u is not mmapped (vfiodev_region_mmap() first)",
			dev->name, index);
		return -ENOENT;
	}
	ret = sys_munmap(dev->maps[index].addr, dev->maps[index].len);
	dev->maps[index].addr = NULL;
	dev->maps[index].len = 0;
	return ret;
}

void vfd_region_unmap_all(struct vfiodev_device *dev)
{
	for (uint32_t i = 0; i < dev->num_regions; i++)
		if (dev->maps[i].addr)
			vfiodev_region_munmap(dev, i);
}

int vfd_region_mmap_range(struct vfiodev_device *dev, unsigned int index,
			  uint64_t offset, uint64_t len, bool quiet, void **addr)
{
	const struct vfio_region_info_cap_sparse_mmap *sp = NULL;
	uint64_t align, ralign;
	struct vfio_region_info *info;
	bool inside;
	void *base, *p;
	int ret, err;

	ret = region_info_raw(dev, index, &info);
	if (ret)
		return ret;
	ret = sparse_cap(dev, info, &sp);
	if (ret == -EPROTO)
		goto out;
	inside = info->flags & VFIO_REGION_INFO_FLAG_MMAP;
	if (inside && !ret) {
		inside = false;
		for (uint32_t i = 0; i < nr_areas_of(sp) && !inside; i++)
			inside = offset >= area_off(sp, i) &&
				 offset + len <= area_off(sp, i) + area_size(sp, i);
	}
	if (!inside && quiet) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (!inside) {
		vfd_err(dev->ctx,
			"%s: region %u cannot be mmapped at 0x%llx+0x%llx (%s)",
			dev->name, index, (unsigned long long)offset,
			(unsigned long long)len,
			info->flags & VFIO_REGION_INFO_FLAG_MMAP ?
				"the range is not inside one of its sparse mmap areas" :
				"the kernel offers no mmap of it");
		ret = -EINVAL;
		goto out;
	}
	/* congruent with the BAR's physical address modulo the smaller of
	 * the two alignments: huge entries wherever the range allows them */
	align = mmap_align(len);
	ralign = mmap_align(info->size);
	if (ralign < align)
		align = ralign;
	base = region_reserve(dev, index, len, align, offset, &err);
	if (base == MAP_FAILED) {
		ret = err;
		goto out;
	}
	p = sys_mmap(base, len, prot_of(info), MAP_SHARED | MAP_FIXED, dev->fd,
		     (off_t)(info->offset + offset), &err);
	if (p == MAP_FAILED) {
		ret = err;
		vfd_err(dev->ctx, "%s: mmap of region %u at 0x%llx+0x%llx: %s",
			dev->name, index, (unsigned long long)offset,
			(unsigned long long)len, strerror(-ret));
		sys_munmap(base, len);
		goto out;
	}
	*addr = base;
	ret = 0;
out:
	free(info);
	return ret;
}

static int region_bounds(struct vfiodev_device *dev, unsigned int index,
			 uint64_t offset, size_t len, uint64_t *fd_off)
{
	struct vfio_region_info *info;
	const struct region_map *r;
	int ret;

	if (index < dev->num_regions && !dev->maps[index].known) {
		ret = region_info_raw(dev, index, &info);
		if (ret)
			return ret;
		free(info);
	}
	if (index >= dev->num_regions) {
		vfd_err(dev->ctx, "%s: region %u does not exist (the device has %u)",
			dev->name, index, dev->num_regions);
		return -EINVAL;
	}
	r = &dev->maps[index];
	if (offset > r->size || len > r->size - offset) {
		vfd_err(dev->ctx,
			"%s: region %u: access 0x%llx+0x%zx past its end (0x%llx)",
			dev->name, index, (unsigned long long)offset, len,
			(unsigned long long)r->size);
		return -EINVAL;
	}
	*fd_off = r->fd_offset + offset;
	return 0;
}

/* pread/pwrite of a whole access inside a region; a short transfer is -EIO.
 * @buf is only read from when @write */
static int region_rw(struct vfiodev_device *dev, unsigned int index,
		     uint64_t offset, void *buf, size_t len, bool write)
{
	const char *what = write ? "write" : "read";
	uint64_t off;
	ssize_t n;
	int ret;

	if (!dev)
		return -EINVAL;
	if (len && !buf) {
		vfd_err(dev->ctx, "%s: region %u %s of %zu bytes: no buffer (NULL)",
			dev->name, index, what, len);
		return -EINVAL;
	}
	ret = region_bounds(dev, index, offset, len, &off);
	if (ret)
		return ret;
	n = write ? sys_pwrite(dev->fd, buf, len, (off_t)off) :
		    sys_pread(dev->fd, buf, len, (off_t)off);
	if (n == (ssize_t)len)
		return 0;
	vfd_err(dev->ctx, "%s: region %u %s at 0x%llx: %s%s", dev->name, index,
		what, (unsigned long long)offset,
		n < 0 ? strerror((int)-n) : "short ", n < 0 ? "" : what);
	return n < 0 ? (int)n : -EIO;
}

VFIODEV_EXPORT int vfiodev_region_read(struct vfiodev_device *dev,
				       unsigned int index, uint64_t offset,
				       void *buf, size_t len)
{
	return region_rw(dev, index, offset, buf, len, false);
}

VFIODEV_EXPORT int vfiodev_region_write(struct vfiodev_device *dev,
					unsigned int index, uint64_t offset,
					const void *buf, size_t len)
{
	/* region_rw() does not write through @buf for a write */
	return region_rw(dev, index, offset, (void *)(uintptr_t)buf, len, true);
}

static int config_args(struct vfiodev_device *dev, uint32_t offset, unsigned int width)
{
	if (width != 1 && width != 2 && width != 4) {
		vfd_err(dev->ctx, "%s: config access width %u (must be 1, 2 or 4)",
			dev->name, width);
		return -EINVAL;
	}
	if (offset % width) {
		vfd_err(dev->ctx, "%s: config offset 0x%x is not aligned to %u",
			dev->name, offset, width);
		return -EINVAL;
	}
	if (!(dev->flags & VFIO_DEVICE_FLAGS_PCI) ||
	    dev->num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		vfd_err(dev->ctx, "%s: not a PCI device: no config space",
			dev->name);
		return -EINVAL;
	}
	return 0;
}

VFIODEV_EXPORT int vfiodev_pci_config_read(struct vfiodev_device *dev,
					   uint32_t offset, unsigned int width,
					   uint32_t *val)
{
	uint8_t b[4] = { 0 };
	int ret;

	if (!dev || !val)
		return -EINVAL;
	ret = config_args(dev, offset, width);
	if (!ret)
		ret = vfiodev_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX,
					  offset, b, width);
	if (ret)
		return ret;
	/* config space is little-endian */
	*val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
	return 0;
}

VFIODEV_EXPORT int vfiodev_pci_config_write(struct vfiodev_device *dev,
					    uint32_t offset, unsigned int width,
					    uint32_t val)
{
	uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8),
			 (uint8_t)(val >> 16), (uint8_t)(val >> 24) };
	int ret;

	if (!dev)
		return -EINVAL;
	ret = config_args(dev, offset, width);
	if (ret)
		return ret;
	if (width < 4 && val >> (width * 8)) {
		vfd_err(dev->ctx, "%s: value 0x%x does not fit %u bytes",
			dev->name, val, width);
		return -EINVAL;
	}
	return vfiodev_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, offset,
				    b, width);
}

VFIODEV_EXPORT int vfiodev_pci_enable_bus_master(struct vfiodev_device *dev)
{
	uint32_t cmd;
	int ret;

	/* PCI_COMMAND at 0x04: bit 1 memory space, bit 2 bus master */
	ret = vfiodev_pci_config_read(dev, 0x04, 2, &cmd);
	if (ret)
		return ret;
	if ((cmd & 0x6) == 0x6)
		return 0;
	return vfiodev_pci_config_write(dev, 0x04, 2, cmd | 0x6);
}
