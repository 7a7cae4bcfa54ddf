/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * UAPI definitions newer than the vendored Linux 6.12 headers (iommufd.h,
 * vfio.h beside this file), as the kernel defines them; the library detects
 * at run time whether the running kernel has them (ENOTTY, EINVAL).
 *   IOMMU_IOAS_MAP_FILE: Linux 6.13, include/uapi/linux/iommufd.h
 *   VFIO_DEVICE_BIND_FLAG_TOKEN: Linux 6.17, include/uapi/linux/vfio.h
 */
#ifndef VFIODEV_UAPI_LATE_H
#define VFIODEV_UAPI_LATE_H

#include <linux/iommufd.h>
#include <linux/types.h>
#include <linux/vfio.h>

#ifndef IOMMU_IOAS_MAP_FILE
#define VFIODEV_IOMMUFD_CMD_IOAS_MAP_FILE 0x8f

/* map (fd, start, length) of a memfd/shmem or hugetlbfs file */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags; /* IOMMU_IOAS_MAP_FIXED_IOVA, _WRITEABLE, _READABLE */
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start; /* byte offset into the file */
	__aligned_u64 length;
	__aligned_u64 iova; /* in with FIXED_IOVA, else out */
};

#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, VFIODEV_IOMMUFD_CMD_IOAS_MAP_FILE)
#endif

#ifndef VFIO_DEVICE_BIND_FLAG_TOKEN
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
#endif

/* struct vfio_device_bind_iommufd as Linux 6.17 extends it */
struct vfiodev_bind_iommufd_token {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr; /* 16 bytes, with VFIO_DEVICE_BIND_FLAG_TOKEN */
};

#endif /* VFIODEV_UAPI_LATE_H */
