// SPDX-License-Identifier: MIT
/*
 * Interrupts: IRQ info per index, eventfd triggers for a range of vectors,
 * disable, and mask/unmask/trigger where the index allows. Every index
 * given triggers is torn down on close.
 */
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int irq_info_raw(const struct vfiodev_device *dev, unsigned int index,
			struct vfio_irq_info *info)
{
	int ret;

	if (index >= dev->num_irqs) {
		vfd_err(dev->ctx,
			"%s: IRQ index %u does not exist (the device has %u)",
			dev->name, index, dev->num_irqs);
		return -EINVAL;
	}
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, info);
	if (ret)
		vfd_err(dev->ctx, "%s: VFIO_DEVICE_GET_IRQ_INFO(%u): %s",
			dev->name, index, strerror(-ret));
	return ret;
}

VFIODEV_EXPORT int vfiodev_irq_get_info(const struct vfiodev_device *dev,
					unsigned int index,
					struct vfiodev_irq_info *out)
{
	struct vfio_irq_info info;
	int ret;

	if (!dev || !out)
		return -EINVAL;
	ret = irq_info_raw(dev, index, &info);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->count = info.count;
	if (info.flags & VFIO_IRQ_INFO_EVENTFD)
		out->flags |= VFIODEV_IRQ_EVENTFD;
	if (info.flags & VFIO_IRQ_INFO_MASKABLE)
		out->flags |= VFIODEV_IRQ_MASKABLE;
	if (info.flags & VFIO_IRQ_INFO_AUTOMASKED)
		out->flags |= VFIODEV_IRQ_AUTOMASKED;
	if (info.flags & VFIO_IRQ_INFO_NORESIZE)
		out->flags |= VFIODEV_IRQ_NORESIZE;
	return 0;
}

/* check the vector range against the index's count */
static int irq_range(struct vfiodev_device *dev, unsigned int index,
		     unsigned int start, unsigned int count,
		     struct vfio_irq_info *info)
{
	int ret;

	ret = irq_info_raw(dev, index, info);
	if (ret)
		return ret;
	if (!count || start >= info->count || count > info->count - start) {
		vfd_err(dev->ctx, "%s: IRQ index %u: vectors %u..%u outside 0..%u",
			dev->name, index, start, start + count - 1,
			info->count ? info->count - 1 : 0);
		return -EINVAL;
	}
	return 0;
}

static int set_irqs(struct vfiodev_device *dev, uint32_t flags,
		    unsigned int index, unsigned int start, unsigned int count,
		    const int *fds, const char *what)
{
	size_t data = fds ? count * sizeof(int32_t) : 0;
	struct vfio_irq_set *set;
	int ret;

	set = calloc(1, sizeof(*set) + data);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)(sizeof(*set) + data);
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	for (unsigned int i = 0; fds && i < count; i++)
		((int32_t *)set->data)[i] = fds[i];
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, set);
	if (ret)
		vfd_err(dev->ctx,
			"%s: VFIO_DEVICE_SET_IRQS(%s, index %u, %u+%u): %s",
			dev->name, what, index, start, count, strerror(-ret));
	free(set);
	return ret;
}

VFIODEV_EXPORT int vfiodev_irq_set_eventfds(struct vfiodev_device *dev,
					    unsigned int index, unsigned int start,
					    unsigned int count, const int *fds)
{
	struct vfio_irq_info info;
	int ret;

	if (!dev || !fds)
		return -EINVAL;
	ret = irq_range(dev, index, start, count, &info);
	if (ret)
		return ret;
	if (!(info.flags & VFIO_IRQ_INFO_EVENTFD)) {
		vfd_err(dev->ctx, "%s: IRQ index %u does not signal eventfds",
			dev->name, index);
		return -ENOTSUP;
	}
	ret = set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       index, start, count, fds, "eventfd");
	if (!ret && index < 64)
		dev->irqs_enabled |= 1ull << index;
	return ret;
}

VFIODEV_EXPORT int vfiodev_irq_disable(struct vfiodev_device *dev, unsigned int index)
{
	int ret;

	if (!dev)
		return -EINVAL;
	if (index >= dev->num_irqs) {
		vfd_err(dev->ctx, "%s: IRQ index %u does not exist", dev->name,
			index);
		return -EINVAL;
	}
	ret = set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		       index, 0, 0, NULL, "disable");
	if (!ret && index < 64)
		dev->irqs_enabled &= ~(1ull << index);
	return ret;
}

static int irq_action(struct vfiodev_device *dev, unsigned int index,
		      unsigned int start, unsigned int count, uint32_t action,
		      const char *what)
{
	struct vfio_irq_info info;
	int ret;

	if (!dev)
		return -EINVAL;
	ret = irq_range(dev, index, start, count, &info);
	if (ret)
		return ret;
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER &&
	    !(info.flags & VFIO_IRQ_INFO_MASKABLE)) {
		vfd_err(dev->ctx, "%s: IRQ index %u is not maskable", dev->name,
			index);
		return -ENOTSUP;
	}
	return set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | action, index, start,
			count, NULL, what);
}

VFIODEV_EXPORT int vfiodev_irq_mask(struct vfiodev_device *dev, unsigned int index,
				    unsigned int start, unsigned int count)
{
	return irq_action(dev, index, start, count, VFIO_IRQ_SET_ACTION_MASK,
			  "mask");
}

VFIODEV_EXPORT int vfiodev_irq_unmask(struct vfiodev_device *dev, unsigned int index,
				      unsigned int start, unsigned int count)
{
	return irq_action(dev, index, start, count, VFIO_IRQ_SET_ACTION_UNMASK,
			  "unmask");
}

VFIODEV_EXPORT int vfiodev_irq_trigger(struct vfiodev_device *dev,
				       unsigned int index, unsigned int start,
				       unsigned int count)
{
	return irq_action(dev, index, start, count, VFIO_IRQ_SET_ACTION_TRIGGER,
			  "trigger");
}

void vfd_irq_disable_all(struct vfiodev_device *dev)
{
	for (unsigned int i = 0; i < dev->num_irqs && i < 64; i++)
		if (dev->irqs_enabled & (1ull << i))
			vfiodev_irq_disable(dev, i);
}
