// SPDX-License-Identifier: MIT
/*
 * Interrupts: IRQ info per index, eventfd triggers for a range of vectors,
 * disable, and mask/unmask/trigger where the index allows. Every index
 * given triggers is torn down on close.
 *
 * The library keeps a record per index of the vectors the kernel enabled
 * and the eventfd it was given for each, because a NORESIZE index cannot
 * grow while enabled and must be re-enabled with all of them at once.
 */
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * What the kernel holds for one index: enabled with @nvec vectors (the
 * first eventfd set enables start + count, vfio_msi_enable()), and @fds,
 * the eventfd number last given for each (-1: none). The numbers are the
 * caller's; the library sends them back on a resize.
 */
struct vfd_irq_vecs {
	unsigned int nvec; /* 0: the index is disabled */
	int *fds;
};

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

/*
 * VFIO_DEVICE_SET_IRQS; logs nothing, the caller names the cause. An
 * enable the platform cannot give all its vectors returns how many it
 * could (vfio_msi_enable(), nothing enabled): that is -ENOSPC here, the
 * number in *@avail when not NULL.
 */
static int set_irqs_raw(struct vfiodev_device *dev, uint32_t flags,
			unsigned int index, unsigned int start,
			unsigned int count, const int *fds, int *avail)
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
	free(set);
	if (avail)
		*avail = ret > 0 ? ret : 0;
	return ret > 0 ? -ENOSPC : ret;
}

/* why a SET_IRQS failed, in words: the errno, or the vectors there were */
static const char *set_irqs_why(int ret, int avail, char *buf, size_t len)
{
	if (!avail)
		return strerror(-ret);
	snprintf(buf, len, "only %d vector(s) could be allocated", avail);
	return buf;
}

static int set_irqs(struct vfiodev_device *dev, uint32_t flags,
		    unsigned int index, unsigned int start, unsigned int count,
		    const int *fds, const char *what)
{
	char why[64];
	int avail, ret;

	ret = set_irqs_raw(dev, flags, index, start, count, fds, &avail);
	if (ret)
		vfd_err(dev->ctx,
			"%s: VFIO_DEVICE_SET_IRQS(%s, index %u, %u+%u): %s",
			dev->name, what, index, start, count,
			set_irqs_why(ret, avail, why, sizeof(why)));
	return ret;
}

#define IRQ_SET_EVENTFDS                                                       \
	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define IRQ_SET_DISABLE (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)

static void irq_vecs_forget(struct vfd_irq_vecs *v)
{
	free(v->fds);
	v->fds = NULL;
	v->nvec = 0;
}

/*
 * Grow an enabled NORESIZE index to @start + @count vectors: disable it,
 * then enable it with every vector in one SET_IRQS, the recorded eventfds
 * where the call names none. Why the library must: vfio-pci enables MSI
 * and MSI-X with the vectors of the first call (vfio_msi_enable(vdev,
 * start + count)) and, before Linux 6.5, refuses any later block past
 * them: vfio_msi_set_block() begins "if (start >= vdev->num_ctx || start +
 * count > vdev->num_ctx) return -EINVAL;" (drivers/vfio/pci/
 * vfio_pci_intrs.c, 6.1), and VFIO_DEVICE_GET_IRQ_INFO sets
 * VFIO_IRQ_INFO_NORESIZE on every index but INTx. Since 6.5 ("vfio/pci:
 * Support dynamic MSI-X") vfio_msi_alloc_irq() adds MSI-X vectors to an
 * enabled index, and vfio_pci_ioctl_get_irq_info() sets NORESIZE only
 * when "info.index != VFIO_PCI_MSIX_IRQ_INDEX || !vdev->has_dyn_msix"
 * (vfio_pci_core.c, 6.12); without dynamic MSI-X 6.12 still fails the
 * growth (pci_irq_vector() is -EINVAL past the allocated vectors) and
 * also tears down the vectors of the block it had set.
 */
static int irq_resize(struct vfiodev_device *dev, unsigned int index,
		      unsigned int start, unsigned int count, const int *fds)
{
	struct vfd_irq_vecs *v = &dev->irqs[index];
	unsigned int old = v->nvec, nvec = start + count;
	int *all, ret, ret2, avail;
	char why[64];

	all = malloc(nvec * sizeof(*all));
	if (!all) {
		vfd_err(dev->ctx,
			"%s: IRQ index %u: out of memory growing it to %u vectors",
			dev->name, index, nvec);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < nvec; i++)
		all[i] = i < old ? v->fds[i] : -1;
	memcpy(all + start, fds, count * sizeof(*all));

	ret = set_irqs_raw(dev, IRQ_SET_DISABLE, index, 0, 0, NULL, NULL);
	if (ret) {
		vfd_err(dev->ctx,
			"%s: IRQ index %u cannot grow while enabled (NORESIZE) and disabling it to grow from %u to %u vectors failed: %s",
			dev->name, index, old, nvec, strerror(-ret));
		free(all);
		return ret;
	}
	ret = set_irqs_raw(dev, IRQ_SET_EVENTFDS, index, 0, nvec, all, &avail);
	if (!ret) {
		free(v->fds);
		v->fds = all;
		v->nvec = nvec;
		vfd_info(dev->ctx,
			 "%s: IRQ index %u cannot grow while enabled (NORESIZE): disabled and re-enabled it with %u vectors (was %u); interrupts in between may be lost",
			 dev->name, index, nvec, old);
		return 0;
	}
	free(all);
	ret2 = set_irqs_raw(dev, IRQ_SET_EVENTFDS, index, 0, old, v->fds, NULL);
	if (!ret2) {
		vfd_err(dev->ctx,
			"%s: IRQ index %u (NORESIZE): re-enabling it with %u vectors failed: %s; its previous %u vector(s) restored",
			dev->name, index, nvec,
			set_irqs_why(ret, avail, why, sizeof(why)), old);
		return ret;
	}
	vfd_err(dev->ctx,
		"%s: IRQ index %u (NORESIZE): re-enabling it with %u vectors failed: %s, and restoring its previous %u vector(s) failed: %s; the index is disabled",
		dev->name, index, nvec,
		set_irqs_why(ret, avail, why, sizeof(why)), old, strerror(-ret2));
	irq_vecs_forget(v);
	return ret;
}

/* the call succeeded: @start..+@count hold @fds, the index has at least
 * their vectors; @grown: room for them when the record was smaller */
static void irq_vecs_note(struct vfd_irq_vecs *v, unsigned int start,
			  unsigned int count, const int *fds, int *grown)
{
	unsigned int nvec = start + count;

	if (grown) {
		for (unsigned int i = 0; i < nvec; i++)
			grown[i] = i < v->nvec ? v->fds[i] : -1;
		free(v->fds);
		v->fds = grown;
		v->nvec = nvec;
	}
	memcpy(v->fds + start, fds, count * sizeof(*fds));
}

VFIODEV_EXPORT int vfiodev_irq_set_eventfds(struct vfiodev_device *dev,
					    unsigned int index, unsigned int start,
					    unsigned int count, const int *fds)
{
	struct vfio_irq_info info;
	struct vfd_irq_vecs *v;
	int *grown = NULL;
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
	if (!dev->irqs) {
		dev->irqs = calloc(dev->num_irqs, sizeof(*dev->irqs));
		if (!dev->irqs) {
			vfd_err(dev->ctx, "%s: out of memory for the IRQ record",
				dev->name);
			return -ENOMEM;
		}
	}
	v = &dev->irqs[index];
	if (v->nvec && start + count > v->nvec &&
	    (info.flags & VFIO_IRQ_INFO_NORESIZE))
		return irq_resize(dev, index, start, count, fds);
	if (start + count > v->nvec) {
		grown = malloc((start + count) * sizeof(*grown));
		if (!grown) {
			vfd_err(dev->ctx,
				"%s: IRQ index %u: out of memory for %u vectors",
				dev->name, index, start + count);
			return -ENOMEM;
		}
	}
	ret = set_irqs(dev, IRQ_SET_EVENTFDS, index, start, count, fds, "eventfd");
	if (!ret) {
		irq_vecs_note(v, start, count, fds, grown);
		return 0;
	}
	free(grown);
	/* a failed first call leaves the index disabled (vfio_msi_enable()
	 * is undone); on an enabled one the kernel has de-assigned the
	 * vectors it had set before the failure: count them all as none */
	for (unsigned int i = start; i < start + count && i < v->nvec; i++)
		v->fds[i] = -1;
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
	ret = set_irqs(dev, IRQ_SET_DISABLE, index, 0, 0, NULL, "disable");
	if (!ret && dev->irqs)
		irq_vecs_forget(&dev->irqs[index]);
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

/* the record of @dev's interrupts freed, the kernel's triggers left as
 * they are (a handed-over device's, for the process that adopts it) */
void vfd_irq_forget_all(struct vfiodev_device *dev)
{
	if (!dev->irqs)
		return;
	for (unsigned int i = 0; i < dev->num_irqs; i++)
		irq_vecs_forget(&dev->irqs[i]);
	free(dev->irqs);
	dev->irqs = NULL;
}

void vfd_irq_disable_all(struct vfiodev_device *dev)
{
	if (!dev->irqs)
		return;
	for (unsigned int i = 0; i < dev->num_irqs; i++)
		if (dev->irqs[i].nvec)
			vfiodev_irq_disable(dev, i);
	vfd_irq_forget_all(dev);
}
