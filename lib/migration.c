// SPDX-License-Identifier: MIT
/*
 * Device migration (VFIO migration v2): the capability query, state
 * changes walked one arc at a time, the reset out of ERROR, the data size
 * and pre-copy info. The data fd helpers are in mig_data.c, the device's
 * DMA logging in mig_dma_log.c.
 */
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define NSTATES 8

static const char *const state_names[NSTATES] = {
	"error",    "stop",	   "running",  "stop-copy",
	"resuming", "running-p2p", "pre-copy", "pre-copy-p2p",
};

VFIODEV_EXPORT const char *vfiodev_mig_state_name(enum vfiodev_mig_state state)
{
	return (unsigned int)state < NSTATES ? state_names[state] : "unknown";
}

/* VFIO_DEVICE_FEATURE with @len bytes of data, no log line: -errno or the
 * ioctl's non-negative result */
int vfd_mig_feature(struct vfiodev_device *dev, uint32_t flags, void *data,
		    size_t len)
{
	union {
		struct vfio_device_feature f;
		uint8_t b[sizeof(struct vfio_device_feature) + 64];
	} u;
	int ret;

	if (len > sizeof(u.b) - sizeof(u.f))
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.f.argsz = (uint32_t)(sizeof(u.f) + len);
	u.f.flags = flags;
	if (len)
		memcpy(u.f.data, data, len);
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_FEATURE, &u.f);
	if (ret >= 0 && len)
		memcpy(data, u.f.data, len);
	return ret;
}

/* the kernel's VFIO_MIGRATION_* flags, 0 when the device cannot migrate */
static int mig_flags(struct vfiodev_device *dev, uint64_t *flags)
{
	struct vfio_device_feature_migration m = { 0 };
	int ret;

	ret = vfd_mig_feature(dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
			      &m, sizeof(m));
	if (ret == -ENOTTY)
		return -EOPNOTSUPP;
	if (ret < 0)
		return ret;
	*flags = m.flags;
	return 0;
}

/* the flags, or -EOPNOTSUPP logged at error level for an operation */
static int mig_flags_for(struct vfiodev_device *dev, const char *what, uint64_t *flags)
{
	int ret = mig_flags(dev, flags);

	if (ret == -EOPNOTSUPP)
		vfd_err(dev->ctx,
			"%s: %s: the device's driver has no migration support",
			dev->name, what);
	else if (ret)
		vfd_err(dev->ctx, "%s: %s: VFIO_DEVICE_FEATURE_MIGRATION: %s",
			dev->name, what, strerror(-ret));
	return ret;
}

static int state_get(struct vfiodev_device *dev, uint32_t *state)
{
	struct vfio_device_feature_mig_state s = { .data_fd = -1 };
	int ret;

	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_GET |
				      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			      &s, sizeof(s));
	if (ret < 0)
		return ret;
	if (s.device_state >= NSTATES)
		return -EPROTO;
	*state = s.device_state;
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_get_info(struct vfiodev_device *dev,
					struct vfiodev_mig_info *info)
{
	uint64_t flags;
	uint32_t state;
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, info);
	ret = mig_flags(dev, &flags);
	if (ret == -EOPNOTSUPP) {
		vfd_info(dev->ctx,
			 "%s: no migration: the device's driver has no VFIO_DEVICE_FEATURE_MIGRATION",
			 dev->name);
		return ret;
	}
	if (!ret)
		ret = state_get(dev, &state);
	if (ret) {
		vfd_err(dev->ctx, "%s: migration info: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	memset(info, 0, sizeof(*info));
	info->caps = (uint32_t)flags &
		     (VFIODEV_MIG_CAP_STOP_COPY | VFIODEV_MIG_CAP_P2P |
		      VFIODEV_MIG_CAP_PRE_COPY);
	info->state = state;
	/* probes change nothing; an absent feature is ENOTTY (or EINVAL:
	 * 7.x refuses PRECOPY_INFOv2 of a device without PRE_COPY) */
	if (vfd_mig_feature(dev,
			    VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
				    VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			    NULL, 0) == 0)
		info->caps |= VFIODEV_MIG_CAP_DMA_LOGGING;
	if (vfd_mig_feature(dev,
			    VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
				    VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2,
			    NULL, 0) == 0)
		info->caps |= VFIODEV_MIG_CAP_PRECOPY_INFO_V2;
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_get_state(struct vfiodev_device *dev,
					 enum vfiodev_mig_state *state)
{
	uint32_t s;
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, state);
	ret = state_get(dev, &s);
	if (ret == -ENOTTY) {
		vfd_err(dev->ctx,
			"%s: migration state: the device's driver has no migration support",
			dev->name);
		return -EOPNOTSUPP;
	}
	if (ret) {
		vfd_err(dev->ctx, "%s: migration state: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	*state = (enum vfiodev_mig_state)s;
	return 0;
}

/* ---- the arcs ----------------------------------------------------------
 * The single arcs a migration driver implements depend on its flags (the
 * list in linux/vfio.h's comments and vfio_mig_get_next_state()'s); a
 * longer change is the shortest chain of them that passes through no
 * saving state, except when every state of the chain is a saving one
 * (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY): leaving the saving states ends
 * the session, and re-entering them would start another one. Those rules
 * give one shortest path for every pair (checked against the kernel's
 * table for the four flag sets, all 49 pairs each).
 */
#define BIT(s) (1u << (s))
#define SAVING                                                                 \
	(BIT(VFIODEV_MIG_PRE_COPY) | BIT(VFIODEV_MIG_PRE_COPY_P2P) |           \
	 BIT(VFIODEV_MIG_STOP_COPY))

/* the states a device with @flags supports */
static unsigned int states_of(uint64_t flags)
{
	unsigned int m = BIT(VFIODEV_MIG_STOP) | BIT(VFIODEV_MIG_RUNNING) |
			 BIT(VFIODEV_MIG_STOP_COPY) | BIT(VFIODEV_MIG_RESUMING);

	if (flags & VFIODEV_MIG_CAP_P2P)
		m |= BIT(VFIODEV_MIG_RUNNING_P2P);
	if (flags & VFIODEV_MIG_CAP_PRE_COPY)
		m |= BIT(VFIODEV_MIG_PRE_COPY);
	if ((flags & (VFIODEV_MIG_CAP_P2P | VFIODEV_MIG_CAP_PRE_COPY)) ==
	    (VFIODEV_MIG_CAP_P2P | VFIODEV_MIG_CAP_PRE_COPY))
		m |= BIT(VFIODEV_MIG_PRE_COPY_P2P);
	return m;
}

/* succ[s]: the states one arc away from s */
static void arcs_of(uint64_t flags, unsigned int succ[NSTATES])
{
	bool p2p = flags & VFIODEV_MIG_CAP_P2P;
	bool pre = flags & VFIODEV_MIG_CAP_PRE_COPY;

	memset(succ, 0, NSTATES * sizeof(succ[0]));
	succ[VFIODEV_MIG_STOP] = BIT(VFIODEV_MIG_RESUMING) |
				 BIT(VFIODEV_MIG_STOP_COPY);
	succ[VFIODEV_MIG_RESUMING] = BIT(VFIODEV_MIG_STOP);
	succ[VFIODEV_MIG_STOP_COPY] = BIT(VFIODEV_MIG_STOP);
	if (p2p) {
		succ[VFIODEV_MIG_RUNNING] |= BIT(VFIODEV_MIG_RUNNING_P2P);
		succ[VFIODEV_MIG_RUNNING_P2P] |= BIT(VFIODEV_MIG_RUNNING) |
						 BIT(VFIODEV_MIG_STOP);
		succ[VFIODEV_MIG_STOP] |= BIT(VFIODEV_MIG_RUNNING_P2P);
	} else {
		succ[VFIODEV_MIG_RUNNING] |= BIT(VFIODEV_MIG_STOP);
		succ[VFIODEV_MIG_STOP] |= BIT(VFIODEV_MIG_RUNNING);
	}
	if (!pre)
		return;
	succ[VFIODEV_MIG_RUNNING] |= BIT(VFIODEV_MIG_PRE_COPY);
	succ[VFIODEV_MIG_PRE_COPY] |= BIT(VFIODEV_MIG_RUNNING);
	if (!p2p) {
		succ[VFIODEV_MIG_PRE_COPY] |= BIT(VFIODEV_MIG_STOP_COPY);
		return;
	}
	succ[VFIODEV_MIG_PRE_COPY] |= BIT(VFIODEV_MIG_PRE_COPY_P2P);
	succ[VFIODEV_MIG_PRE_COPY_P2P] |= BIT(VFIODEV_MIG_PRE_COPY) |
					  BIT(VFIODEV_MIG_RUNNING_P2P) |
					  BIT(VFIODEV_MIG_STOP_COPY);
	succ[VFIODEV_MIG_RUNNING_P2P] |= BIT(VFIODEV_MIG_PRE_COPY_P2P);
}

/* a chain of @n + 1 states obeys the saving-state rule */
static bool chain_ok(const uint8_t *p, unsigned int n)
{
	unsigned int saving = 0;

	for (unsigned int i = 0; i <= n; i++)
		saving |= (unsigned int)!!(SAVING & BIT(p[i])) << i;
	return !saving || saving == 1u || saving == 1u << n ||
	       saving == (2u << n) - 1;
}

/* depth-first search of chains of exactly @n arcs from p[@k] */
static bool chain_find(const unsigned int succ[NSTATES], uint8_t *p,
		       unsigned int k, unsigned int n, unsigned int target)
{
	if (k == n)
		return p[k] == target && chain_ok(p, n);
	for (unsigned int s = 1; s < NSTATES; s++) {
		bool seen = false;

		if (!(succ[p[k]] & BIT(s)))
			continue;
		for (unsigned int i = 0; i <= k; i++)
			seen |= p[i] == s;
		if (seen)
			continue;
		p[k + 1] = (uint8_t)s;
		if (chain_find(succ, p, k + 1, n, target))
			return true;
	}
	return false;
}

/* the states from @from to @to for a device with @flags, both ends
 * included: the number of arcs, or -1 when there is no path */
int vfd_mig_path(uint64_t flags, unsigned int from, unsigned int to,
		 uint8_t path[NSTATES])
{
	unsigned int succ[NSTATES], have = states_of(flags);

	if (from >= NSTATES || to >= NSTATES || !(have & BIT(from)) ||
	    !(have & BIT(to)))
		return -1;
	path[0] = (uint8_t)from;
	if (from == to)
		return 0;
	arcs_of(flags, succ);
	for (unsigned int n = 1; n < NSTATES; n++)
		if (chain_find(succ, path, 0, n, to))
			return (int)n;
	return -1;
}

static int arc_set(struct vfiodev_device *dev, unsigned int state, int *fd)
{
	struct vfio_device_feature_mig_state s = { .device_state = state,
						   .data_fd = -1 };
	int ret;

	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			      &s, sizeof(s));
	if (ret < 0)
		return ret;
	*fd = s.data_fd;
	return 0;
}

/* take the arcs of @path (@n of them, path[0] the state now) one ioctl
 * each, into @r (its state after each, the data fd of the last); on a
 * failure @r says where the device ended */
static int walk(struct vfiodev_device *dev, enum vfiodev_mig_state target,
		const uint8_t *path, int n, struct vfiodev_mig_result *r)
{
	for (int i = 1; i <= n; i++) {
		int fd = -1, ret;

		ret = arc_set(dev, path[i], &fd);
		if (ret) {
			uint32_t now = VFIODEV_MIG_ERROR;
			int gret = state_get(dev, &now);

			r->state = now;
			vfd_err(dev->ctx,
				"%s: migration arc %s -> %s (step %d of %d toward %s): %s; the device is in %s%s",
				dev->name, state_names[path[i - 1]],
				state_names[path[i]], i, n, state_names[target],
				strerror(-ret),
				gret ? "an unknown state" : state_names[now],
				now == VFIODEV_MIG_ERROR ?
					" (vfiodev_mig_reset() recovers it)" :
				now == VFIODEV_MIG_RESUMING ?
					" (reset it to abort the resume)" :
					"");
			return ret;
		}
		r->steps++;
		r->state = path[i];
		if (fd >= 0 && i < n) {
			sys_close(fd);
			vfd_err(dev->ctx,
				"%s: migration arc %s -> %s (step %d of %d toward %s) returned a data fd in the middle of the path: the kernel broke the protocol; the device is in %s",
				dev->name, state_names[path[i - 1]],
				state_names[path[i]], i, n, state_names[target],
				state_names[path[i]]);
			return -EPROTO;
		}
		if (fd >= 0)
			r->data_fd = fd;
	}
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_set_state(struct vfiodev_device *dev,
					 enum vfiodev_mig_state target,
					 struct vfiodev_mig_result *res)
{
	struct vfiodev_mig_result r = { .data_fd = -1 };
	uint8_t path[NSTATES];
	uint64_t flags;
	uint32_t cur;
	int n, ret;

	if (!dev)
		return -EINVAL;
	/* written on every path: a caller may close data_fd whatever came */
	if (res)
		*res = r;
	if (target <= VFIODEV_MIG_ERROR || (unsigned int)target >= NSTATES) {
		vfd_err(dev->ctx,
			"%s: migration state %d is not a state a device can be moved to",
			dev->name, (int)target);
		return -EINVAL;
	}
	if (!res && target != VFIODEV_MIG_STOP &&
	    target != VFIODEV_MIG_RUNNING && target != VFIODEV_MIG_RUNNING_P2P) {
		vfd_err(dev->ctx,
			"%s: migration to %s: a result is needed to receive its data fd",
			dev->name, state_names[target]);
		return -EINVAL;
	}
	ret = mig_flags_for(dev, "migration", &flags);
	if (ret)
		return ret;
	if (!(states_of(flags) & BIT(target))) {
		vfd_err(dev->ctx,
			"%s: migration to %s: the device does not support that state (migration flags 0x%llx)",
			dev->name, state_names[target], (unsigned long long)flags);
		return -EOPNOTSUPP;
	}
	ret = state_get(dev, &cur);
	if (ret) {
		vfd_err(dev->ctx, "%s: migration to %s: reading the state: %s",
			dev->name, state_names[target], strerror(-ret));
		return ret;
	}
	r.state = cur;
	if (cur == VFIODEV_MIG_ERROR) {
		vfd_err(dev->ctx,
			"%s: migration to %s: the device is in the error state; vfiodev_mig_reset() recovers it",
			dev->name, state_names[target]);
		return -EINVAL;
	}
	n = vfd_mig_path(flags, cur, target, path);
	if (n < 0) {
		vfd_err(dev->ctx,
			"%s: migration %s -> %s: no such transition (a saving session cannot go back to pre-copy)",
			dev->name, state_names[cur], state_names[target]);
		return -EINVAL;
	}
	ret = walk(dev, target, path, n, &r);
	if (ret) {
		if (res)
			*res = r;
		return ret;
	}
	vfd_dbg(dev->ctx, "%s: migration %s -> %s in %d arc%s, data fd %d",
		dev->name, state_names[path[0]], state_names[target], n,
		n == 1 ? "" : "s", r.data_fd);
	if (res)
		*res = r;
	else if (r.data_fd >= 0)
		sys_close(r.data_fd); /* not reached: no stream for these */
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_reset(struct vfiodev_device *dev)
{
	uint64_t flags;
	uint32_t state;
	int ret;

	if (!dev)
		return -EINVAL;
	ret = mig_flags_for(dev, "migration reset", &flags);
	if (ret)
		return ret;
	ret = sys_ioctl(dev->fd, VFIO_DEVICE_RESET, NULL);
	if (ret) {
		vfd_err(dev->ctx, "%s: migration reset: VFIO_DEVICE_RESET: %s",
			dev->name, strerror(-ret));
		return ret;
	}
	ret = state_get(dev, &state);
	if (ret) {
		vfd_err(dev->ctx, "%s: migration reset: reading the state: %s",
			dev->name, strerror(-ret));
		return ret;
	}
	if (state != VFIODEV_MIG_RUNNING) {
		vfd_err(dev->ctx,
			"%s: migration reset: the device reports %s, not running",
			dev->name, state_names[state]);
		return -EIO;
	}
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_data_size(struct vfiodev_device *dev, uint64_t *bytes)
{
	struct vfio_device_feature_mig_data_size ds = { 0 };
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, bytes);
	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_GET |
				      VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
			      &ds, sizeof(ds));
	if (ret == -ENOTTY) {
		vfd_err(dev->ctx,
			"%s: migration data size: not offered (a device without migration, or a kernel before 6.2)",
			dev->name);
		return -EOPNOTSUPP;
	}
	if (ret < 0) {
		vfd_err(dev->ctx, "%s: migration data size: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	*bytes = ds.stop_copy_length;
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_precopy_info(struct vfiodev_device *dev, int data_fd,
					    struct vfiodev_mig_precopy *info)
{
	struct vfio_precopy_info pi = { .argsz = sizeof(pi) };
	int ret;

	if (!dev)
		return -EINVAL;
	check_arg(dev->ctx, info && data_fd >= 0);
	ret = sys_ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &pi);
	if (ret < 0) {
		vfd_err(dev->ctx, "%s: pre-copy info: %s%s", dev->name,
			strerror(-ret),
			ret == -EINVAL ? " (the device is not in pre-copy)" :
			ret == -ENOTTY ? " (not a pre-copy data fd)" :
			ret == -ENODEV ? " (the session has ended)" :
					 "");
		return ret;
	}
	memset(info, 0, sizeof(*info));
	info->initial_bytes = pi.initial_bytes;
	info->dirty_bytes = pi.dirty_bytes;
	/* v1: flags is no output (the kernel hands back what it was given) */
	if (dev->mig_precopy_v2)
		info->flags = pi.flags & VFIO_PRECOPY_INFO_REINIT ?
				      VFIODEV_MIG_PRECOPY_REINIT :
				      0;
	return 0;
}

VFIODEV_EXPORT int vfiodev_mig_precopy_v2(struct vfiodev_device *dev)
{
	int ret;

	if (!dev)
		return -EINVAL;
	ret = vfd_mig_feature(dev,
			      VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2,
			      NULL, 0);
	if (ret == -ENOTTY || ret == -EINVAL) {
		vfd_err(dev->ctx, "%s: pre-copy info v2: %s", dev->name,
			ret == -ENOTTY ?
				"this kernel has no VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 (Linux 7.0+)" :
				"the device has no pre-copy");
		return -EOPNOTSUPP;
	}
	if (ret < 0) {
		vfd_err(dev->ctx, "%s: pre-copy info v2: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	dev->mig_precopy_v2 = true;
	return 0;
}
