// SPDX-License-Identifier: MIT
/*
 * Who would open a device: the calling process's or another user's
 * identity, groups and capabilities (CAP_IPC_LOCK, CAP_SYS_RAWIO...), as
 * the diagnosis and the path checks need them.
 */
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static void user_name(struct node_user *u)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (!getpwuid_r(u->uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(u->name, sizeof(u->name), "%s", res->pw_name);
	else
		snprintf(u->name, sizeof(u->name), "uid %u", (unsigned int)u->uid);
}

void vfd_node_user_self(struct node_user *u)
{
	int n;

	memset(u, 0, sizeof(*u));
	u->uid = geteuid();
	u->gid = getegid();
	n = getgroups((int)ARRAY_SIZE(u->groups), u->groups);
	u->ngroups = n < 0 ? 0 : n;
	u->self = true;
	user_name(u);
}

void vfd_node_user_of(struct node_user *u, uid_t uid, gid_t gid)
{
	int n = (int)ARRAY_SIZE(u->groups);

	memset(u, 0, sizeof(*u));
	u->uid = uid;
	u->gid = gid;
	user_name(u);
	/* a user unknown to the password database has only @gid */
	if (strncmp(u->name, "uid ", 4) &&
	    getgrouplist(u->name, gid, u->groups, &n) >= 0)
		u->ngroups = n;
}

bool vfd_node_user_has_cap(const struct node_user *u, int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (!u->self || syscall(SYS_capget, &hdr, data))
		return u->uid == 0;
	return data[cap / 32].effective & (1u << (cap % 32));
}

bool vfd_node_user_in_group(const struct node_user *u, gid_t gid)
{
	if (u->gid == gid)
		return true;
	for (int i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}
