// SPDX-License-Identifier: MIT
/*
 * DMA mappings whose pages the kernel may take from somewhere else than
 * the caller's address: a file (vfiodev_dma_map_file: IOMMU_IOAS_MAP_FILE
 * where the kernel has it) or another space of the context
 * (vfiodev_dma_copy: IOMMU_IOAS_COPY between IOAS). Both are recorded, and
 * replayed, like any mapping: by address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

/* [@offset, +@len) page-aligned and inside the @what's @size bytes */
static int check_file_range(struct vfiodev_space *space, const char *what,
			    uint64_t offset, size_t len, uint64_t size)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!len || (offset | len) & (pg - 1) || offset + len < offset ||
	    offset + len > size) {
		vfd_err(space->ctx,
			"dma map file: range 0x%llx+0x%zx is not page-aligned or reaches past the %s's 0x%llx bytes",
			(unsigned long long)offset, len, what,
			(unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

/* a file the kernel can pin long-term: a regular file (devtmpfs and a
 * container's tmpfs /dev report tmpfs too, and a device node's mmap is no
 * guest RAM) of shmem (memfd, tmpfs) or hugetlbfs; IOMMU_IOAS_MAP_FILE
 * into an IOAS without a device would take any file and fail only at the
 * next attach */
static int check_pinnable(struct vfiodev_space *space, int fd,
			  const struct stat *st, const struct statfs *fs)
{
	if (!S_ISREG(st->st_mode)) {
		vfd_err(space->ctx,
			"dma map file: fd %d is %s, not a regular file (a memfd, shmem or hugetlbfs file) or a dma-buf",
			fd,
			S_ISDIR(st->st_mode) ? "a directory" :
			S_ISCHR(st->st_mode) ? "a character device" :
			S_ISBLK(st->st_mode) ? "a block device" :
					       "a pipe, socket or other special file");
		return -EINVAL;
	}
	if (fs->f_type != TMPFS_MAGIC && fs->f_type != HUGETLBFS_MAGIC) {
		vfd_err(space->ctx,
			"dma map file: fd %d is not a memfd, shmem or hugetlbfs file (file system 0x%lx): the kernel cannot pin its pages for DMA",
			fd, (unsigned long)fs->f_type);
		return -EINVAL;
	}
	return 0;
}

/* the library's shared mapping of the range: read-write, or read-only
 * when the fd allows no more and the device only reads */
static void *map_range(struct vfiodev_space *space, int fd, uint64_t offset,
		       size_t len, unsigned int flags, int *err)
{
	void *mem = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			     (off_t)offset, err);

	if (mem == MAP_FAILED && *err == -EACCES && !(flags & VFIODEV_DMA_WRITE))
		mem = sys_mmap(NULL, len, PROT_READ, MAP_SHARED, fd,
			       (off_t)offset, err);
	if (mem == MAP_FAILED)
		vfd_err(space->ctx, "dma map file: mmap of fd %d at 0x%llx: %s%s",
			fd, (unsigned long long)offset, strerror(-*err),
			*err == -EACCES ?
				" (device writes need a file open for writing)" :
				"");
	return mem;
}

VFIODEV_EXPORT int vfiodev_dma_map_file(struct vfiodev_space *space, int fd,
					uint64_t offset, size_t len,
					unsigned int flags,
					const struct vfiodev_dma_opts *opts,
					void **vaddr, uint64_t *iova)
{
	struct map_src src = { .fd = fd, .offset = offset };
	struct vfd_placement p;
	struct statfs fs;
	struct stat st;
	bool fixed;
	void *mem;
	int ret;

	if (!space)
		return -EINVAL;
	check_arg(space->ctx, vaddr && iova);
	ret = vfd_dma_fixed_or_placed(space, &flags, opts, &p, &fixed);
	if (ret)
		return ret;
	ret = sys_fstat(fd, &st);
	if (!ret)
		ret = sys_fstatfs(fd, &fs);
	if (ret) {
		vfd_err(space->ctx, "dma map file: fd %d: %s", fd, strerror(-ret));
		return ret;
	}
	if (fs.f_type == DMA_BUF_MAGIC) {
		/* its size is the inode's, as the kernel sets it */
		ret = check_file_range(space, "dma-buf", offset, len,
				       (uint64_t)st.st_size);
		return ret ? ret :
			     vfd_dma_map_dmabuf(space, fd, offset, len, flags,
						fixed ? NULL : &p, iova, vaddr);
	}
	ret = check_pinnable(space, fd, &st, &fs);
	if (!ret)
		ret = check_file_range(space, "file", offset, len,
				       (uint64_t)st.st_size);
	if (ret)
		return ret;
	mem = map_range(space, fd, offset, len, flags, &ret);
	if (mem == MAP_FAILED)
		return ret;
	pthread_mutex_lock(&space->lock);
	ret = vfd_dma_map_locked(space, (uintptr_t)mem, len, flags,
				 fixed ? *iova : 0, fixed ? NULL : &p,
				 MAPF_FILE, &src, iova);
	pthread_mutex_unlock(&space->lock);
	if (ret) {
		sys_munmap(mem, len);
		return ret;
	}
	*vaddr = mem;
	return 0;
}

static void lock_pair(struct vfiodev_space *a, struct vfiodev_space *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->lock);
		return;
	}
	pthread_mutex_lock((uintptr_t)a < (uintptr_t)b ? &a->lock : &b->lock);
	pthread_mutex_lock((uintptr_t)a < (uintptr_t)b ? &b->lock : &a->lock);
}

static void unlock_pair(struct vfiodev_space *a, struct vfiodev_space *b)
{
	pthread_mutex_unlock(&a->lock);
	if (a != b)
		pthread_mutex_unlock(&b->lock);
}

VFIODEV_EXPORT int vfiodev_dma_copy(struct vfiodev_space *dst,
				    struct vfiodev_space *src, uint64_t src_iova,
				    size_t len, unsigned int flags,
				    const struct vfiodev_dma_opts *opts,
				    uint64_t *iova)
{
	struct map_src from = { .fd = -1, .iova = src_iova };
	const struct itree_node *n;
	unsigned int have = 0;
	struct vfd_placement p;
	uint64_t va = 0;
	bool fixed;
	int ret;

	if (!dst || !src)
		return -EINVAL;
	check_arg(dst->ctx, iova);
	if (dst->ctx != src->ctx) {
		vfd_err(dst->ctx,
			"dma copy: the spaces belong to different contexts");
		return -EXDEV;
	}
	ret = vfd_dma_fixed_or_placed(dst, &flags, opts, &p, &fixed);
	if (ret)
		return ret;
	/* both locks across the copy, in address order (any two copies take
	 * them alike): the source mapping cannot change under it */
	lock_pair(src, dst);
	if (src->noiommu || dst->noiommu) {
		unlock_pair(src, dst);
		vfd_err(dst->ctx,
			"dma copy: a noiommu space's mappings are bus addresses, not IOVAs to copy: map the buffer with vfiodev_dma_map_any()");
		return -EOPNOTSUPP;
	}
	n = vfd_itree_find(&src->tree, src_iova);
	if (n && !(n->vaddr & MAPF_RESERVED) && n->iova == src_iova &&
	    n->len == len) {
		if (n->vaddr & (MAPF_REGION | MAPF_DMABUF)) {
			unlock_pair(src, dst);
			vfd_err(dst->ctx,
				"dma copy: the mapping at IOVA 0x%llx is %s: map it into the other space with %s",
				(unsigned long long)src_iova,
				n->vaddr & MAPF_REGION ?
					"a device's BAR" :
					"a dma-buf (no address to map again)",
				n->vaddr & MAPF_REGION ?
					"vfiodev_dma_map_region()" :
					"vfiodev_dma_map_file()");
			return -EOPNOTSUPP;
		}
		va = n->vaddr & ~MAPF_MASK;
		have = (unsigned int)(n->vaddr &
				      (VFIODEV_DMA_READ | VFIODEV_DMA_WRITE));
		/* the kernel shares pinned pages between IOAS of one fd */
		if (vfd_space_kernel_live(src) &&
		    src->ops->backend == VFIODEV_BACKEND_IOMMUFD) {
			from.iommufd = src->iommufd;
			from.ioas_id = src->ioas_id;
		}
	}
	if (!va) {
		vfd_err(dst->ctx,
			"dma copy: no mapping of exactly 0x%zx bytes at IOVA 0x%llx in the source space",
			len, (unsigned long long)src_iova);
		ret = -ENOENT;
	} else if (flags & ~have) {
		vfd_err(dst->ctx,
			"dma copy: the source mapping at IOVA 0x%llx does not allow device %s",
			(unsigned long long)src_iova,
			flags & ~have & VFIODEV_DMA_WRITE ? "writes" : "reads");
		ret = -EPERM;
	} else {
		ret = vfd_dma_map_locked(dst, va, len, flags, fixed ? *iova : 0,
					 fixed ? NULL : &p, 0,
					 from.ioas_id ? &from : NULL, iova);
	}
	unlock_pair(src, dst);
	return ret;
}
