// SPDX-License-Identifier: MIT
/*
 * What an open device is: VFIO_DEVICE_GET_INFO at open time, the
 * accessors of the public API, and the device reset.
 */
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "internal.h"

int vfd_device_load_info(struct vfiodev_device *dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int ret;

	ret = sys_ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &info);
	if (ret) {
		vfd_err(dev->ctx, "%s: VFIO_DEVICE_GET_INFO: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	if (info.num_regions > 64 || info.num_irqs > 64) {
		vfd_err(dev->ctx,
			"%s: VFIO_DEVICE_GET_INFO: implausible counts (%u regions, %u irqs)",
			dev->name, info.num_regions, info.num_irqs);
		return -EPROTO;
	}
	dev->flags = info.flags;
	dev->num_regions = info.num_regions;
	dev->num_irqs = info.num_irqs;
	dev->maps = calloc(info.num_regions ? info.num_regions : 1,
			   sizeof(*dev->maps));
	return dev->maps ? 0 : -ENOMEM;
}

VFIODEV_EXPORT const char *vfiodev_device_bdf(const struct vfiodev_device *dev)
{
	return dev ? dev->bdf : "";
}

VFIODEV_EXPORT const char *vfiodev_device_name(const struct vfiodev_device *dev)
{
	return dev ? dev->name : "";
}

VFIODEV_EXPORT enum vfiodev_backend
vfiodev_device_backend(const struct vfiodev_device *dev)
{
	return dev ? dev->backend : VFIODEV_BACKEND_AUTO;
}

VFIODEV_EXPORT const char *
vfiodev_device_fallback_reason(const struct vfiodev_device *dev)
{
	return dev ? dev->fallback_reason : NULL;
}

VFIODEV_EXPORT const char *vfiodev_device_node(const struct vfiodev_device *dev)
{
	return dev ? dev->node : "";
}

VFIODEV_EXPORT int vfiodev_device_devnum(const struct vfiodev_device *dev,
					 unsigned int *maj, unsigned int *min)
{
	if (!dev || !maj || !min)
		return -EINVAL;
	if (!dev->has_devnum)
		return -ENOENT;
	*maj = major(dev->devnum);
	*min = minor(dev->devnum);
	return 0;
}

VFIODEV_EXPORT int vfiodev_device_fd(const struct vfiodev_device *dev)
{
	return dev ? dev->fd : -EINVAL;
}

VFIODEV_EXPORT struct vfiodev_space *
vfiodev_device_space(const struct vfiodev_device *dev)
{
	return dev ? dev->space : NULL;
}

VFIODEV_EXPORT int vfiodev_device_iommu_group(const struct vfiodev_device *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->group_id >= 0 ? dev->group_id : -ENOENT;
}

VFIODEV_EXPORT int vfiodev_device_get_info(const struct vfiodev_device *dev,
					   struct vfiodev_device_info *info)
{
	if (!dev || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (dev->flags & VFIO_DEVICE_FLAGS_RESET)
		info->flags |= VFIODEV_DEVICE_RESET;
	if (dev->flags & VFIO_DEVICE_FLAGS_PCI)
		info->flags |= VFIODEV_DEVICE_PCI;
	if (dev->space->noiommu)
		info->flags |= VFIODEV_DEVICE_NOIOMMU;
	info->num_regions = dev->num_regions;
	info->num_irqs = dev->num_irqs;
	return 0;
}

VFIODEV_EXPORT int vfiodev_device_reset(struct vfiodev_device *dev)
{
	int ret;

	if (!dev)
		return -EINVAL;
	if (!(dev->flags & VFIO_DEVICE_FLAGS_RESET)) {
		vfd_err(dev->ctx, "%s: the device reports no reset method",
			dev->name);
		return -ENOTSUP;
	}
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_RESET, NULL);
	if (ret)
		vfd_err(dev->ctx, "%s: VFIO_DEVICE_RESET: %s", dev->name,
			strerror(-ret));
	return ret;
}

VFIODEV_EXPORT int vfiodev_device_feature(struct vfiodev_device *dev,
					  unsigned int flags, uint32_t feature,
					  void *data, size_t len)
{
	const unsigned int known = VFIODEV_FEATURE_GET | VFIODEV_FEATURE_SET |
				   VFIODEV_FEATURE_PROBE;
	struct vfio_device_feature *f;
	bool get = flags & VFIODEV_FEATURE_GET, set = flags & VFIODEV_FEATURE_SET;
	bool probe = flags & VFIODEV_FEATURE_PROBE;
	int ret;

	if (!dev)
		return -EINVAL;
	if (!flags || flags & ~known || (get && set && !probe) ||
	    feature > VFIO_DEVICE_FEATURE_MASK || len > 65536 ||
	    (len && !data) || (probe && len)) {
		vfd_err(dev->ctx,
			"%s: device feature %u: flags 0x%x with %zu bytes of data: GET or SET, or PROBE (with them, no data)",
			dev->name, feature, flags, len);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = feature | (get ? VFIO_DEVICE_FEATURE_GET : 0) |
		   (set ? VFIO_DEVICE_FEATURE_SET : 0) |
		   (probe ? VFIO_DEVICE_FEATURE_PROBE : 0);
	if (set && !probe && len)
		memcpy(f->data, data, len);
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_FEATURE, f);
	if (!ret && get && !probe && len)
		memcpy(data, f->data, len);
	free(f);
	if (ret == -ENOTTY && probe)
		vfd_info(dev->ctx, "%s: device feature %u: not supported",
			 dev->name, feature);
	else if (ret)
		vfd_err(dev->ctx, "%s: device feature %u (%s%s%s): %s",
			dev->name, feature, probe ? "probe " : "",
			get ? "get" : "", set ? "set" : "", strerror(-ret));
	return ret;
}

int vfd_uuid_parse(const char *s, uint8_t out[16], char norm[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	if (!s || strnlen(s, 37) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		int v;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -EINVAL;
			norm[i] = '-';
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		norm[i] = hex[v];
		if (k & 1)
			out[k / 2] |= (uint8_t)v;
		else
			out[k / 2] = (uint8_t)(v << 4);
		k++;
	}
	norm[36] = '\0';
	return 0;
}

VFIODEV_EXPORT int vfiodev_device_set_vf_token(struct vfiodev_device *pf,
					       const char *uuid)
{
	uint8_t tok[16];
	char norm[37];

	if (!pf)
		return -EINVAL;
	if (pf->bus != VFD_BUS_PCI && pf->bus != VFD_BUS_UNKNOWN) {
		vfd_err(pf->ctx,
			"%s: not a PCI function: VF tokens are set on a PF bound to vfio-pci",
			pf->name);
		return -ENOTTY;
	}
	if (vfd_uuid_parse(uuid, tok, norm)) {
		vfd_err(pf->ctx,
			"%s: VF token '%.40s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			pf->name, uuid ? uuid : "(null)");
		return -EINVAL;
	}
	return vfiodev_device_feature(pf, VFIODEV_FEATURE_SET,
				      VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, tok,
				      sizeof(tok));
}

const char *vfd_vf_token_hint(const struct vfiodev_device *dev, int err)
{
	if (err != -EACCES)
		return "";
	return dev->has_vf_token ?
		       " (the VF token does not match the one its PF's user set)" :
		       " (a VF of a PF bound to vfio-pci: pass the VF token)";
}
