// SPDX-License-Identifier: MIT
/*
 * The fake kernel's trees: the per-test directory with sys/ and dev/, the
 * builders tests use to lay out PCI devices, IOMMU groups and vfio cdevs
 * the way sysfs shows them, and the registry of device nodes (plain files
 * that the fake's open() recognises by their resolved path).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fake_priv.h"

struct fake_node *fake_nodes;

static void die(const char *what)
{
	perror(what);
	abort();
}

/* ---- paths and tree builders ------------------------------------------ */

const char *fake_root(void)
{
	return fk.root;
}

const char *fake_sysfs_root(void)
{
	return fk.sysfs;
}

const char *fake_dev_root(void)
{
	return fk.dev;
}

const char *fake_path(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 8];
	va_list ap;
	int n;

	n = snprintf(b, PATH_MAX, "%s/", fk.root);
	va_start(ap, fmt);
	vsnprintf(b + n, PATH_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static void mkdir_p(const char *abs)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", abs);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			die(tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		die(tmp);
}

static void mkdir_parent(const char *abs)
{
	char tmp[PATH_MAX], *slash;

	snprintf(tmp, sizeof(tmp), "%s", abs);
	slash = strrchr(tmp, '/');
	if (slash && slash != tmp) {
		*slash = '\0';
		mkdir_p(tmp);
	}
}

void fake_mkdir(const char *rel)
{
	mkdir_p(fake_path("%s", rel));
}

/* write (@mode "we") or append ("ae") @content to the file @rel */
static void put(const char *rel, const char *content, const char *mode)
{
	const char *p = fake_path("%s", rel);
	FILE *f;

	mkdir_parent(p);
	f = fopen(p, mode);
	if (!f)
		die(p);
	fputs(content, f);
	fclose(f);
}

void fake_write(const char *rel, const char *content)
{
	put(rel, content, "we");
}

/* @target is relative to the world's root too; the link is absolute,
 * which is all readlink()-based lookups need */
void fake_symlink(const char *target, const char *rel)
{
	char t[PATH_MAX];
	const char *p = fake_path("%s", rel);

	snprintf(t, sizeof(t), "%s/%s", fk.root, target);
	mkdir_parent(p);
	unlink(p);
	if (symlink(t, p))
		die(p);
}

void fake_unlink(const char *rel)
{
	unlink(fake_path("%s", rel));
}

static void node_register(const char *rel, enum fake_kind kind, dev_t rdev,
			  struct fake_pci *pci, int group)
{
	struct fake_node *n = calloc(1, sizeof(*n));

	if (!n)
		die("calloc");
	fake_write(rel, "");
	if (!realpath(fake_path("%s", rel), n->path))
		die(rel);
	n->kind = kind;
	n->rdev = rdev;
	n->pci = pci;
	n->group = group;
	n->next = fake_nodes;
	fake_nodes = n;
}

struct fake_node *fake_node_lookup(const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return NULL;
	for (struct fake_node *n = fake_nodes; n; n = n->next)
		if (!strcmp(n->path, real))
			return n;
	return NULL;
}

unsigned int fake_open_count(const char *suffix)
{
	size_t sl = strlen(suffix);
	unsigned int c = 0;

	for (struct fake_node *n = fake_nodes; n; n = n->next) {
		size_t l = strlen(n->path);

		if (l >= sl && !strcmp(n->path + l - sl, suffix))
			c += n->opens;
	}
	return c;
}

struct fake_group *fake_group_get(int id)
{
	struct fake_group *g;

	for (g = fk.groups; g; g = g->next)
		if (g->id == id)
			return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		die("calloc");
	g->id = id;
	g->viable = true;
	g->next = fk.groups;
	fk.groups = g;
	return g;
}

static void region_set(struct fake_region *r, uint32_t flags, uint64_t size)
{
	r->flags = flags;
	r->size = size;
}

struct fake_pci *fake_pci_add(const char *bdf, int group, const char *driver)
{
	struct fake_pci *p = calloc(1, sizeof(*p));
	char dir[256], rel[256], link[512];
	uint8_t *cfg;

	if (!p)
		die("calloc");
	snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
	p->group = group;
	p->cdev_index = -1;
	p->mig.state = VFIO_DEVICE_STATE_RUNNING;
	snprintf(dir, sizeof(dir), "sys/bus/pci/devices/%s", bdf);
	fake_mkdir(dir);
	p->vfio_driver = driver && !strcmp(driver, "vfio-pci");
	if (driver) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", driver);
		fake_mkdir(rel);
		snprintf(link, sizeof(link), "%s/driver", dir);
		fake_symlink(rel, link);
	}
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d", group);
		fake_mkdir(rel);
		snprintf(link, sizeof(link), "%s/iommu_group", dir);
		fake_symlink(rel, link);
		snprintf(link, sizeof(link), "%s/devices/%s", rel, bdf);
		fake_symlink(dir, link);
		fake_group_get(group);
	}

	p->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	p->num_regions = FAKE_NR_REGIONS;
	p->num_irqs = FAKE_NR_IRQS;
	region_set(&p->regions[VFIO_PCI_BAR0_REGION_INDEX],
		   VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			   VFIO_REGION_INFO_FLAG_MMAP,
		   0x4000);
	region_set(&p->regions[VFIO_PCI_CONFIG_REGION_INDEX],
		   VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, 256);
	cfg = p->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem = calloc(1, 65536);
	if (!cfg)
		die("calloc");
	/* an "edu"-like device: vendor 1234, device 11e8, status 0x0010 */
	cfg[0] = 0x34;
	cfg[1] = 0x12;
	cfg[2] = 0xe8;
	cfg[3] = 0x11;
	cfg[6] = 0x10;

	p->irqs[VFIO_PCI_INTX_IRQ_INDEX] = (struct fake_irq){
		.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			 VFIO_IRQ_INFO_AUTOMASKED,
		.count = 1,
	};
	p->irqs[VFIO_PCI_MSI_IRQ_INDEX] = (struct fake_irq){
		.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		.count = 1,
	};
	p->irqs[VFIO_PCI_MSIX_IRQ_INDEX] = (struct fake_irq){
		.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		.count = 8,
	};
	p->irqs[VFIO_PCI_ERR_IRQ_INDEX] = (struct fake_irq){
		.flags = VFIO_IRQ_INFO_EVENTFD,
		.count = 1,
	};
	p->irqs[VFIO_PCI_REQ_IRQ_INDEX] = (struct fake_irq){
		.flags = VFIO_IRQ_INFO_EVENTFD,
		.count = 1,
	};
	for (int i = 0; i < FAKE_NR_IRQS; i++)
		for (int v = 0; v < FAKE_MAX_VECTORS; v++)
			p->irqs[i].trigger[v] = -1;
	p->next = fk.pcis;
	fk.pcis = p;
	return p;
}

struct fake_pci *fake_pci_find(const char *bdf)
{
	for (struct fake_pci *p = fk.pcis; p; p = p->next)
		if (!strcmp(p->bdf, bdf))
			return p;
	return NULL;
}

void fake_pci_cdev_sysfs(struct fake_pci *p, int index)
{
	char rel[PATH_MAX], val[32];

	p->cdev_index = index;
	p->cdev_rdev = makedev(FAKE_CDEV_MAJOR, (unsigned int)index);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vfio-dev/vfio%d/dev",
		 p->bdf, index);
	snprintf(val, sizeof(val), "%d:%d\n", FAKE_CDEV_MAJOR, index);
	fake_write(rel, val);
	/* sysfs links every char device number to its device */
	snprintf(val, sizeof(val), "sys/dev/char/%d:%d", FAKE_CDEV_MAJOR, index);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vfio-dev/vfio%d",
		 p->bdf, index);
	fake_symlink(rel, val);
}

void fake_pci_noiommu_cdev(struct fake_pci *p, int index)
{
	char rel[PATH_MAX], val[32];

	p->cdev_index = index;
	p->cdev_rdev = makedev(FAKE_CDEV_MAJOR, (unsigned int)index);
	snprintf(rel, sizeof(rel),
		 "sys/bus/pci/devices/%s/vfio-dev/noiommu-vfio%d/dev", p->bdf,
		 index);
	snprintf(val, sizeof(val), "%d:%d\n", FAKE_CDEV_MAJOR, index);
	fake_write(rel, val);
	snprintf(val, sizeof(val), "sys/dev/char/%d:%d", FAKE_CDEV_MAJOR, index);
	snprintf(rel, sizeof(rel),
		 "sys/bus/pci/devices/%s/vfio-dev/noiommu-vfio%d", p->bdf, index);
	fake_symlink(rel, val);
	snprintf(rel, sizeof(rel), "dev/vfio/devices/noiommu-vfio%d", index);
	fake_node_cdev(p, rel, p->cdev_rdev);
}

void fake_pci_cdev(struct fake_pci *p, int index)
{
	char rel[64];

	fake_pci_cdev_sysfs(p, index);
	snprintf(rel, sizeof(rel), "dev/vfio/devices/vfio%d", index);
	fake_node_cdev(p, rel, p->cdev_rdev);
}

void fake_node_cdev(struct fake_pci *p, const char *rel, dev_t rdev)
{
	node_register(rel, FK_CDEV, rdev, p, -1);
}

void fake_node_group(int id, const char *rel, dev_t rdev)
{
	fake_group_get(id);
	node_register(rel, FK_GROUP, rdev, NULL, id);
}

static struct fake_group *group_node(int id, bool noiommu)
{
	struct fake_group *g = fake_group_get(id);
	char name[32], rel[64], val[32];

	snprintf(name, sizeof(name), "%s%d", noiommu ? "noiommu-" : "", id);
	snprintf(rel, sizeof(rel), "dev/vfio/%s", name);
	fake_node_group(id, rel, makedev(FAKE_GROUP_MAJOR, (unsigned int)id));
	snprintf(rel, sizeof(rel), "sys/class/vfio/%s/dev", name);
	snprintf(val, sizeof(val), "%d:%d\n", FAKE_GROUP_MAJOR, id);
	fake_write(rel, val);
	/* and <sysfs>/dev/char/M:m links the number to the class device */
	snprintf(rel, sizeof(rel), "sys/devices/virtual/vfio/%s", name);
	fake_mkdir(rel);
	snprintf(val, sizeof(val), "sys/dev/char/%d:%d", FAKE_GROUP_MAJOR, id);
	fake_symlink(rel, val);
	return g;
}

struct fake_group *fake_group_node(int id)
{
	return group_node(id, false);
}

struct fake_group *fake_group_noiommu(int id)
{
	struct fake_group *g = group_node(id, true);
	char rel[64];

	g->noiommu = true;
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/name", id);
	fake_write(rel, "vfio-noiommu\n");
	return g;
}

/* a misc device's sysfs link from its number (no class attribute: the
 * library then settles for a character device, as on old kernels) */
static void misc_link(const char *name, unsigned int minor)
{
	char dir[64], link[64];

	snprintf(dir, sizeof(dir), "sys/devices/virtual/misc/%s", name);
	fake_mkdir(dir);
	snprintf(link, sizeof(link), "sys/dev/char/10:%u", minor);
	fake_symlink(dir, link);
}

void fake_node_container(void)
{
	node_register("dev/vfio/vfio", FK_CONTAINER, makedev(10, 196), NULL, -1);
	misc_link("vfio", 196);
}

void fake_node_iommu(void)
{
	node_register("dev/iommu", FK_IOMMUFD, makedev(10, 123), NULL, -1);
	misc_link("iommu", 123);
}

static bool have_node(const char *rel)
{
	return fake_node_lookup(fake_path("%s", rel)) != NULL;
}

struct fake_pci *fake_std_device(const char *bdf, int group, int cdev_index)
{
	struct fake_pci *p = fake_pci_add(bdf, group, "vfio-pci");
	char rel[64];

	if (cdev_index >= 0)
		fake_pci_cdev(p, cdev_index);
	snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
	if (group >= 0 && !have_node(rel))
		fake_group_node(group);
	if (!have_node("dev/vfio/vfio"))
		fake_node_container();
	if (!have_node("dev/iommu"))
		fake_node_iommu();
	return p;
}

/* ---- class devices (interfaces, disks) --------------------------------- */

static void class_dev(const char *rel, const char *class)
{
	const char *name = strrchr(rel, '/');
	char link[PATH_MAX], target[64];

	name = name ? name + 1 : rel;
	fake_mkdir(rel);
	snprintf(target, sizeof(target), "sys/class/%s", class);
	fake_mkdir(target);
	snprintf(link, sizeof(link), "%s/subsystem", rel);
	fake_symlink(target, link);
	snprintf(link, sizeof(link), "sys/class/%s/%s", class, name);
	fake_symlink(rel, link);
}

void fake_netdev(const char *rel, bool up)
{
	char attr[PATH_MAX];

	class_dev(rel, "net");
	snprintf(attr, sizeof(attr), "%s/flags", rel);
	fake_write(attr, up ? "0x1003\n" : "0x1002\n");
	snprintf(attr, sizeof(attr), "%s/operstate", rel);
	fake_write(attr, up ? "up\n" : "down\n");
}

void fake_blockdev(const char *rel, const char *devnum, bool partition)
{
	char attr[PATH_MAX], val[32];

	class_dev(rel, "block");
	snprintf(attr, sizeof(attr), "%s/dev", rel);
	snprintf(val, sizeof(val), "%s\n", devnum);
	fake_write(attr, val);
	snprintf(attr, sizeof(attr), "%s/holders", rel);
	fake_mkdir(attr);
	if (partition) {
		snprintf(attr, sizeof(attr), "%s/partition", rel);
		fake_write(attr, "1\n");
	}
}

/* ---- procfs ------------------------------------------------------------ */

static void append(const char *rel, const char *content)
{
	put(rel, content, "ae");
}

/* an IPv4 address as /proc/net/route prints it: the kernel's (network
 * order) 32 bits in hex */
static const char *route_hex(const char *addr, char buf[9])
{
	struct in_addr a;

	if (inet_pton(AF_INET, addr, &a) != 1)
		die(addr);
	snprintf(buf, 9, "%08X", a.s_addr);
	return buf;
}

void fake_proc_ipv4(const char *ifname, const char *addr, unsigned int plen,
		    const char *gw)
{
	char net[INET_ADDRSTRLEN], bcast[INET_ADDRSTRLEN], h1[9], h2[9];
	char line[512];
	struct in_addr a, n, b;
	uint32_t mask = plen ? htonl(~0u << (32 - plen)) : 0;

	if (inet_pton(AF_INET, addr, &a) != 1)
		die(addr);
	n.s_addr = a.s_addr & mask;
	b.s_addr = a.s_addr | ~mask;
	inet_ntop(AF_INET, &n, net, sizeof(net));
	inet_ntop(AF_INET, &b, bcast, sizeof(bcast));

	fake_write("proc/net/route",
		   "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n");
	if (gw) {
		snprintf(line, sizeof(line),
			 "%s\t00000000\t%s\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
			 ifname, route_hex(gw, h1));
		append("proc/net/route", line);
	}
	snprintf(h2, sizeof(h2), "%08X", mask);
	snprintf(line, sizeof(line),
		 "%s\t%s\t00000000\t0001\t0\t0\t0\t%s\t0\t0\t0\n", ifname,
		 route_hex(net, h1), h2);
	append("proc/net/route", line);

	/* the shape of a real trie: the subnet in Main, the host's own
	 * addresses (LOCAL) in Local, none of them naming an interface */
	snprintf(line, sizeof(line),
		 "Main:\n"
		 "  +-- 0.0.0.0/0 3 0 5\n"
		 "%s"
		 "     +-- %s/%u 2 0 2\n"
		 "        |-- %s\n"
		 "           /%u link UNICAST\n",
		 gw ? "     |-- 0.0.0.0\n        /0 universe UNICAST\n" : "",
		 net, plen, net, plen);
	fake_write("proc/net/fib_trie", line);
	snprintf(line, sizeof(line),
		 "Local:\n"
		 "  +-- 0.0.0.0/0 3 0 5\n"
		 "     +-- %s/%u 2 0 2\n"
		 "        |-- %s\n"
		 "           /32 host LOCAL\n"
		 "        |-- %s\n"
		 "           /32 link BROADCAST\n"
		 "     +-- 127.0.0.0/8 2 0 2\n"
		 "        |-- 127.0.0.1\n"
		 "           /32 host LOCAL\n",
		 net, plen, addr, bcast);
	append("proc/net/fib_trie", line);
}

void fake_proc_mount(const char *devnum, const char *source, const char *mountpoint)
{
	char line[512];
	struct stat st;

	if (stat(fake_path("proc/self/mountinfo"), &st))
		fake_write("proc/self/mountinfo",
			   "21 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
			   "22 21 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n");
	snprintf(line, sizeof(line),
		 "40 21 %s / %s rw,relatime shared:30 - ext4 %s rw\n", devnum,
		 mountpoint, source);
	append("proc/self/mountinfo", line);
}
