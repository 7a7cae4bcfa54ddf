// SPDX-License-Identifier: MIT
/*
 * What on the host uses a PCI device, so that a bind does not cut the host
 * off its network or pull a disk from under a mounted file system: its
 * network interfaces that are up with an address or a route, its block
 * devices (and their partitions) with a mounted file system, swap or a
 * holder (dm, md, LVM), and the boot display. sysfs is read under the
 * context's root; procfs beside it ("/proc" for "/sys", "<dir>/proc" for
 * "<dir>/sys"), through the syscall seam, so a fake world holds both.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host_use.h"

#define MAX_LINKS 8
#define MAX_LOCAL 32
/* deep enough for SCSI below ATA (ataN/hostN/targetN/N:N:N:N/block/sdX) */
#define WALK_DEPTH 8

/* net/route flags (linux/route.h, ipv6_route.h) */
#define RTF_UP_ 0x0001u
#define RTF_GATEWAY_ 0x0002u
#define RTF_REJECT_ 0x0200u
#define RTF_CACHE_ 0x01000000u
#define RTF_LOCAL_ 0x80000000u
/* if_inet6 scopes: host and link addresses are no one's configuration */
#define SCOPE_HOST 0x10u
#define SCOPE_LINK 0x20u

struct blk {
	char name[40];
	char rel[320];
	dev_t devnum;
	bool has_devnum;
	bool swap;
	char mounts[200]; /* "/mnt, /srv" */
	char holders[160]; /* "dm-0 [vg-root], md0" */
};

struct nif {
	char name[IF_NAMESIZE];
	char master[IF_NAMESIZE]; /* bridge, bond or team it is a port of */
	char lower[IF_NAMESIZE]; /* a VLAN/macvlan upper: the device's own */
	bool up;
	char addrs[200];
	bool default_route;
	char route[64]; /* the first other route, "192.168.0.0/16" */
	unsigned int nroutes;
	/* IPv4 routes without a gateway: the subnets of its addresses */
	struct {
		uint32_t net, mask;
	} links[MAX_LINKS];
	unsigned int nlinks;
};

struct scan {
	const struct vfiodev_ctx *ctx;
	const char *bdf;
	struct blk *blk;
	unsigned int nblk, cap_blk;
	struct nif *nif;
	unsigned int nnif, cap_nif;
	bool oom; /* a device was left out: the answer is not complete */
	uint32_t local[MAX_LOCAL]; /* the host's IPv4 addresses (fib_trie) */
	unsigned int nlocal;
	uint32_t leaf; /* fib_trie: the leaf the next lines describe */
	bool has_leaf;
};

/* append @sep and a formatted piece; a buffer that is full ends in "..." */
static void appendf(char *buf, size_t len, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t len, const char *sep, const char *fmt, ...)
{
	size_t used = strlen(buf), need;
	char piece[256];
	va_list ap;

	if (used >= 3 && !strcmp(buf + used - 3, "..."))
		return;
	va_start(ap, fmt);
	vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (!used)
		sep = "";
	need = strlen(sep) + strlen(piece);
	if (used + need < len)
		snprintf(buf + used, len - used, "%s%s", sep, piece);
	else if (used + 3 < len)
		strcpy(buf + used, "...");
	else if (len > 3)
		strcpy(buf + len - 4, "...");
}

/* room for entry @n of a table that doubles; false (logged once) when out
 * of memory */
static bool table_room(struct scan *s, void **v, unsigned int n,
		       unsigned int *cap, size_t size)
{
	unsigned int ncap = *cap ? *cap * 2 : 8;
	void *nv;

	if (n < *cap)
		return true;
	nv = realloc(*v, (size_t)ncap * size);
	if (!nv) {
		if (!s->oom)
			vfd_err(s->ctx,
				"%s: out of memory listing its interfaces and disks",
				s->bdf);
		s->oom = true;
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

/* ---- procfs ------------------------------------------------------------ */

/* procfs is the sysfs root's sibling: "/sys" -> "/proc/<name>" */
static int proc_path(const struct vfiodev_ctx *ctx, char *buf, size_t len,
		     const char *name)
{
	const char *root = ctx->sysfs_root;
	size_t n = strlen(root);
	int r;

	while (n > 1 && root[n - 1] == '/')
		n--;
	while (n > 0 && root[n - 1] != '/')
		n--;
	r = snprintf(buf, len, "%.*sproc/%s", (int)n, root, name);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

typedef void (*line_fn)(struct scan *s, char *line);

/*
 * Call @fn on every line of a procfs file, read through the seam in
 * chunks: mountinfo and fib_trie can be long. A line longer than the
 * buffer (none of these files has one) is skipped.
 */
static int proc_lines(struct scan *s, const char *path, line_fn fn)
{
	char buf[8192], *p, *nl;
	bool skipping = false;
	size_t have = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = vfd_open_regular(path);
	if (fd < 0)
		return fd;
	while (!ret) {
		n = sys_read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0) {
			ret = (int)n;
			break;
		}
		if (!n) {
			/* the last line may lack its newline */
			buf[have] = '\0';
			if (have && !skipping)
				fn(s, buf);
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		p = buf;
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
			*nl = '\0';
			if (!skipping)
				fn(s, p);
			skipping = false;
			p = nl + 1;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (have == sizeof(buf) - 1) {
			skipping = true;
			have = 0;
		}
	}
	sys_close(fd);
	return ret;
}

/* a file that cannot be read leaves its kind of use unchecked: said once */
static void proc_read(struct scan *s, const char *name, line_fn fn)
{
	char path[512];
	int ret = proc_path(s->ctx, path, sizeof(path), name);

	if (!ret)
		ret = proc_lines(s, path, fn);
	if (ret == -ENOENT)
		vfd_dbg(s->ctx, "%s: %s: absent, not checked", s->bdf, path);
	else if (ret)
		vfd_info(s->ctx,
			 "%s: cannot read %s (%s): the host's use of it through this is not checked",
			 s->bdf, path, strerror(-ret));
}

/* ---- block devices ----------------------------------------------------- */

static bool is_subdir(const char *dir, const struct dirent *de)
{
	char path[1024];
	struct stat st;

	if (de->d_name[0] == '.')
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	return !lstat(path, &st) && S_ISDIR(st.st_mode);
}

static void read_holders(struct scan *s, struct blk *b)
{
	char path[512], dm[64];
	struct dirent *de;
	DIR *dir;

	if (vfd_sysfs_path(s->ctx, path, sizeof(path), "%s/holders", b->rel))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		/* a device-mapper holder is known by its name (LVM's vg-lv) */
		if (vfd_sysfs_read(s->ctx, dm, sizeof(dm),
				   "class/block/%s/dm/name", de->d_name) > 0)
			appendf(b->holders, sizeof(b->holders), ", ", "%s [%s]",
				de->d_name, dm);
		else
			appendf(b->holders, sizeof(b->holders), ", ", "%s",
				de->d_name);
	}
	closedir(dir);
}

static void add_blk(struct scan *s, const char *rel, const char *name)
{
	struct blk *b;
	char buf[32];

	for (unsigned int i = 0; i < s->nblk; i++)
		if (!strcmp(s->blk[i].name, name))
			return;
	if (!table_room(s, (void **)&s->blk, s->nblk, &s->cap_blk, sizeof(*s->blk)))
		return;
	b = &s->blk[s->nblk];
	memset(b, 0, sizeof(*b));
	if ((size_t)snprintf(b->name, sizeof(b->name), "%s", name) >=
		    sizeof(b->name) ||
	    (size_t)snprintf(b->rel, sizeof(b->rel), "%s", rel) >= sizeof(b->rel))
		return;
	if (vfd_sysfs_read(s->ctx, buf, sizeof(buf), "%s/dev", rel) > 0 &&
	    !vfd_parse_devnum(buf, &b->devnum))
		b->has_devnum = true;
	read_holders(s, b);
	s->nblk++;
}

/* a disk, and its partitions: subdirectories with a "partition" attribute */
static void add_disk(struct scan *s, const char *rel, const char *name)
{
	unsigned int sub, ctrl, ns;
	char head[40], hrel[96], path[512], part[400];
	struct dirent *de;
	int end = 0;
	DIR *dir;

	/*
	 * Native NVMe multipath: below the controller sits the hidden path
	 * device nvme<S>c<C>n<N>; what is mounted is the subsystem's head
	 * nvme<S>n<N>, a device of its own elsewhere in sysfs.
	 */
	if (sscanf(name, "nvme%uc%un%u%n", &sub, &ctrl, &ns, &end) == 3 &&
	    !name[end]) {
		snprintf(head, sizeof(head), "nvme%un%u", sub, ns);
		snprintf(hrel, sizeof(hrel), "class/block/%s", head);
		if (vfd_sysfs_exists(s->ctx, hrel)) {
			rel = hrel;
			name = head;
		}
	}
	add_blk(s, rel, name);
	if (vfd_sysfs_path(s->ctx, path, sizeof(path), "%s", rel))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!is_subdir(path, de) ||
		    (size_t)snprintf(part, sizeof(part), "%s/%s/partition", rel,
				     de->d_name) >= sizeof(part) ||
		    !vfd_sysfs_exists(s->ctx, part))
			continue;
		part[strlen(part) - strlen("/partition")] = '\0';
		add_blk(s, part, de->d_name);
	}
	closedir(dir);
}

/* "/dev/<name>": how mountinfo's source and /proc/swaps name a device */
static bool names_dev(const char *path, const char *name)
{
	return !strncmp(path, "/dev/", 5) && !strcmp(path + 5, name);
}

/* "36 35 259:1 / /mnt rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw" */
static void mount_line(struct scan *s, char *line)
{
	char *sep = strstr(line, " - "), *f[5], *save = NULL, *src = NULL;
	dev_t dev;
	bool has_dev;
	int n = 0;

	if (sep) {
		*sep = '\0';
		if (strtok_r(sep + 3, " ", &save))
			src = strtok_r(NULL, " ", &save);
	}
	save = NULL;
	for (char *t = strtok_r(line, " ", &save); t && n < 5;
	     t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 5)
		return;
	has_dev = !vfd_parse_devnum(f[2], &dev);
	for (unsigned int i = 0; i < s->nblk; i++) {
		struct blk *b = &s->blk[i];

		/* a btrfs mount shows an anonymous number: the source names it */
		if ((has_dev && b->has_devnum && dev == b->devnum) ||
		    (src && names_dev(src, b->name)))
			appendf(b->mounts, sizeof(b->mounts), ", ", "%s", f[4]);
	}
}

/* "/dev/nvme0n1p2 partition 1048572 0 -2"; a swap file sits on a mount */
static void swap_line(struct scan *s, char *line)
{
	char *save = NULL, *path = strtok_r(line, " \t", &save);

	for (unsigned int i = 0; path && i < s->nblk; i++)
		if (names_dev(path, s->blk[i].name))
			s->blk[i].swap = true;
}

/* ---- network interfaces ------------------------------------------------ */

static struct nif *nif_find(struct scan *s, const char *name)
{
	for (unsigned int i = 0; i < s->nnif; i++)
		if (!strcmp(s->nif[i].name, name))
			return &s->nif[i];
	return NULL;
}

static void add_nif(struct scan *s, const char *rel, const char *name,
		    const char *lower)
{
	char buf[32], path[512], upper[400];
	unsigned long flags;
	struct dirent *de;
	struct nif *n;
	DIR *dir;

	if (nif_find(s, name) || strlen(name) >= IF_NAMESIZE)
		return;
	if (!table_room(s, (void **)&s->nif, s->nnif, &s->cap_nif, sizeof(*s->nif)))
		return;
	n = &s->nif[s->nnif++];
	memset(n, 0, sizeof(*n));
	strcpy(n->name, name);
	if (lower)
		snprintf(n->lower, sizeof(n->lower), "%s", lower);
	/* IFF_UP: administratively up, whatever the carrier says */
	if (vfd_sysfs_read(s->ctx, buf, sizeof(buf), "%s/flags", rel) > 0) {
		flags = strtoul(buf, NULL, 16);
		n->up = flags & IFF_UP;
	} else {
		n->up = vfd_sysfs_read(s->ctx, buf, sizeof(buf), "%s/operstate",
				       rel) > 0 &&
			!strcmp(buf, "up");
	}
	vfd_sysfs_link_name(s->ctx, n->master, sizeof(n->master), "%s/master", rel);
	if (lower)
		return;
	/* VLANs and macvlans over it carry its traffic: upper_<name> */
	if (vfd_sysfs_path(s->ctx, path, sizeof(path), "%s", rel))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		const char *u = de->d_name + strlen("upper_");

		/* an upper added since may have moved the table */
		n = nif_find(s, name);
		if (strncmp(de->d_name, "upper_", 6) || !strcmp(u, n->master) ||
		    (size_t)snprintf(upper, sizeof(upper), "class/net/%s", u) >=
			    sizeof(upper))
			continue;
		add_nif(s, upper, u, name);
	}
	closedir(dir);
}

static bool any_up(const struct scan *s)
{
	for (unsigned int i = 0; i < s->nnif; i++)
		if (s->nif[i].up)
			return true;
	return false;
}

static unsigned int prefix_len(uint32_t mask)
{
	return (unsigned int)__builtin_popcount(mask);
}

static void ip4_text(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = a };

	if (!inet_ntop(AF_INET, &in, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/*
 * /proc/net/route, the main table: "eth0 0002000A 00000000 0001 0 0 0
 * 00FFFFFF ...", addresses as the kernel holds them (network order) in
 * hex. It names the interface of every route, which fib_trie does not.
 */
static void route4_line(struct scan *s, char *line)
{
	unsigned int dest, gw, flags, ref, use, metric, mask;
	char name[IF_NAMESIZE], text[INET_ADDRSTRLEN];
	struct nif *n;

	if (sscanf(line, "%15s %x %x %x %u %u %u %x", name, &dest, &gw, &flags,
		   &ref, &use, &metric, &mask) != 8 ||
	    !(flags & RTF_UP_) || !(n = nif_find(s, name)))
		return;
	if (!dest && !mask) {
		n->default_route = true;
		return;
	}
	if (!(flags & RTF_GATEWAY_) && n->nlinks < MAX_LINKS) {
		n->links[n->nlinks].net = dest;
		n->links[n->nlinks++].mask = mask;
	}
	if (!n->nroutes++) {
		ip4_text(dest, text, sizeof(text));
		snprintf(n->route, sizeof(n->route), "%s/%u", text,
			 prefix_len(mask));
	}
}

/*
 * /proc/net/fib_trie lists the host's own IPv4 addresses as leaves
 * ("|-- 10.0.2.15") followed by "/32 host LOCAL", but not their
 * interface: the route table's subnets attribute them. It is the one
 * procfs file with IPv4 addresses (SIOCGIFADDR needs a socket, netlink
 * too, and neither is a file a test can plant).
 */
static void trie_line(struct scan *s, char *line)
{
	char *p = line + strspn(line, " |+-");
	struct in_addr a = { 0 };

	if (strstr(line, "|-- ")) {
		p[strcspn(p, " ")] = '\0';
		s->has_leaf = inet_pton(AF_INET, p, &a) == 1;
		s->leaf = a.s_addr;
		return;
	}
	if (!s->has_leaf || !strstr(line, "/32 host LOCAL"))
		return;
	for (unsigned int i = 0; i < s->nlocal; i++)
		if (s->local[i] == s->leaf)
			return;
	if (s->nlocal < MAX_LOCAL)
		s->local[s->nlocal++] = s->leaf;
}

static void attribute_ip4(struct scan *s)
{
	char text[INET_ADDRSTRLEN];

	for (unsigned int a = 0; a < s->nlocal; a++) {
		for (unsigned int i = 0; i < s->nnif; i++) {
			struct nif *n = &s->nif[i];
			unsigned int k;

			for (k = 0; k < n->nlinks; k++)
				if ((s->local[a] & n->links[k].mask) ==
				    n->links[k].net)
					break;
			if (k == n->nlinks)
				continue;
			ip4_text(s->local[a], text, sizeof(text));
			appendf(n->addrs, sizeof(n->addrs), ", ", "%s/%u", text,
				prefix_len(n->links[k].mask));
		}
	}
}

static bool hex16(const char *hex, unsigned char out[16])
{
	if (strlen(hex) != 32)
		return false;
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return false;
		out[i] = (unsigned char)b;
	}
	return true;
}

/* "fe800000000000000000000000000001 02 40 20 80 eth0" */
static void inet6_line(struct scan *s, char *line)
{
	unsigned int idx, plen, scope, flags;
	char hex[33], name[IF_NAMESIZE], text[INET6_ADDRSTRLEN];
	unsigned char a[16];
	struct nif *n;

	if (sscanf(line, "%32s %x %x %x %x %15s", hex, &idx, &plen, &scope,
		   &flags, name) != 6 ||
	    (scope & (SCOPE_HOST | SCOPE_LINK)) || !(n = nif_find(s, name)) ||
	    !hex16(hex, a) || !inet_ntop(AF_INET6, a, text, sizeof(text)))
		return;
	appendf(n->addrs, sizeof(n->addrs), ", ", "%s/%u", text, plen);
}

/*
 * "dest plen src plen nexthop metric refcnt use flags dev", every table:
 * link-local and multicast routes come with any up interface, local and
 * cached entries with an address; only the rest is someone's routing.
 */
static void route6_line(struct scan *s, char *line)
{
	unsigned int plen, splen, metric, ref, use, flags;
	char dest[33], src[33], nh[33], name[IF_NAMESIZE];
	char text[INET6_ADDRSTRLEN];
	unsigned char a[16];
	struct nif *n;

	if (sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %15s", dest, &plen,
		   src, &splen, nh, &metric, &ref, &use, &flags, name) != 10 ||
	    !(flags & RTF_UP_) ||
	    (flags & (RTF_LOCAL_ | RTF_CACHE_ | RTF_REJECT_)) ||
	    !strncmp(dest, "fe80", 4) || !strncmp(dest, "ff", 2) ||
	    !(n = nif_find(s, name)))
		return;
	if (!plen) {
		n->default_route = true;
		return;
	}
	if (!n->nroutes++ && hex16(dest, a) &&
	    inet_ntop(AF_INET6, a, text, sizeof(text)))
		snprintf(n->route, sizeof(n->route), "%s/%u", text, plen);
}

/* ---- the walk ---------------------------------------------------------- */

/*
 * The device's class devices: "net" ones are interfaces, "block" ones
 * disks (virtio's virtioN/block/vda, NVMe's nvme/nvme0/nvme0n1, SCSI's
 * hostN/.../block/sda). Another PCI device below is its own device.
 */
static void walk(struct scan *s, const char *rel, int depth)
{
	char path[512], child[400], class[32];
	struct dirent *de;
	DIR *dir;

	if (vfd_sysfs_path(s->ctx, path, sizeof(path), "%s", rel))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!is_subdir(path, de) ||
		    (size_t)snprintf(child, sizeof(child), "%s/%s", rel,
				     de->d_name) >= sizeof(child))
			continue;
		if (vfd_sysfs_link_name(s->ctx, class, sizeof(class),
					"%s/subsystem", child))
			class[0] = '\0';
		if (!strcmp(class, "block"))
			add_disk(s, child, de->d_name);
		else if (!strcmp(class, "net"))
			add_nif(s, child, de->d_name, NULL);
		else if (strcmp(class, "pci") && depth < WALK_DEPTH)
			walk(s, child, depth + 1);
	}
	closedir(dir);
}

static void describe_nif(const struct nif *n, struct vfd_host_use *u)
{
	char what[320] = "";

	if (!n->up ||
	    !(n->addrs[0] || n->default_route || n->nroutes || n->master[0]))
		return;
	if (n->master[0])
		appendf(what, sizeof(what), ", ", "port of %s", n->master);
	if (n->addrs[0])
		appendf(what, sizeof(what), ", ", "%s", n->addrs);
	if (n->default_route)
		appendf(what, sizeof(what), ", ", "default route");
	else if (!n->addrs[0] && n->nroutes)
		appendf(what, sizeof(what), ", ", "route to %s%s", n->route,
			n->nroutes > 1 ? " and more" : "");
	if (n->lower[0])
		appendf(u->what, sizeof(u->what), ", ", "%s over %s (%s)",
			n->name, n->lower, what);
	else
		appendf(u->what, sizeof(u->what), ", ", "%s (%s)", n->name, what);
	appendf(u->undo, sizeof(u->undo), "; ", "ip link set %s down", n->name);
	u->kinds |= VFD_USE_NET;
	u->users++;
}

static void describe_blk(const struct blk *b, struct vfd_host_use *u)
{
	char what[320] = "";

	if (!b->mounts[0] && !b->swap && !b->holders[0])
		return;
	if (b->mounts[0]) {
		appendf(what, sizeof(what), ", ", "mounted on %s", b->mounts);
		appendf(u->undo, sizeof(u->undo), "; ", "umount %s", b->mounts);
		u->kinds |= VFD_USE_MOUNT;
	}
	if (b->swap) {
		appendf(what, sizeof(what), ", ", "swap");
		appendf(u->undo, sizeof(u->undo), "; ", "swapoff /dev/%s", b->name);
		u->kinds |= VFD_USE_SWAP;
	}
	if (b->holders[0]) {
		appendf(what, sizeof(what), ", ", "held by %s", b->holders);
		appendf(u->undo, sizeof(u->undo), "; ",
			"stop %s (dmsetup remove, vgchange -an, mdadm --stop)",
			b->holders);
		u->kinds |= VFD_USE_HOLDER;
	}
	appendf(u->what, sizeof(u->what), ", ", "%s (%s)", b->name, what);
	u->users++;
}

static int nif_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nif *)a)->name, ((const struct nif *)b)->name);
}

static int blk_cmp(const void *a, const void *b)
{
	return strcmp(((const struct blk *)a)->name, ((const struct blk *)b)->name);
}

int vfd_host_use(const struct vfiodev_ctx *ctx, const char *bdf,
		 struct vfd_host_use *u)
{
	struct scan *s;
	char rel[64], buf[8];

	memset(u, 0, sizeof(*u));
	/* the firmware's console may still live in its BAR, driver or not */
	if (vfd_sysfs_read(ctx, buf, sizeof(buf), "bus/pci/devices/%s/boot_vga",
			   bdf) > 0 &&
	    !strcmp(buf, "1")) {
		appendf(u->what, sizeof(u->what), ", ",
			"the boot display (boot_vga)");
		appendf(u->undo, sizeof(u->undo), "; ",
			"move the console to another display");
		u->kinds |= VFD_USE_DISPLAY;
		u->users++;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		vfd_info(ctx, "%s: out of memory: its interfaces and disks are not checked",
			 bdf);
		return (int)u->users;
	}
	s->ctx = ctx;
	s->bdf = bdf;
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	walk(s, rel, 0);
	if (s->nblk) {
		proc_read(s, "self/mountinfo", mount_line);
		proc_read(s, "swaps", swap_line);
	}
	if (any_up(s)) {
		proc_read(s, "net/route", route4_line);
		proc_read(s, "net/fib_trie", trie_line);
		attribute_ip4(s);
		proc_read(s, "net/if_inet6", inet6_line);
		proc_read(s, "net/ipv6_route", route6_line);
	}
	/* in name order, whatever order sysfs listed them in */
	if (s->nnif)
		qsort(s->nif, s->nnif, sizeof(s->nif[0]), nif_cmp);
	if (s->nblk)
		qsort(s->blk, s->nblk, sizeof(s->blk[0]), blk_cmp);
	for (unsigned int i = 0; i < s->nnif; i++)
		describe_nif(&s->nif[i], u);
	for (unsigned int i = 0; i < s->nblk; i++)
		describe_blk(&s->blk[i], u);
	if (s->oom) {
		/* what was not looked at may be the host's: refused, said so */
		appendf(u->what, sizeof(u->what), ", ",
			"devices of it that could not be checked (out of memory)");
		u->users++;
	}
	free(s->blk);
	free(s->nif);
	free(s);
	return (int)u->users;
}
