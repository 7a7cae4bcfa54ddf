// SPDX-License-Identifier: MIT
/*
 * Benchmark, in a guest on a real kernel: the library against the raw ioctl
 * sequence it replaces, in the same run, on the same device. Reports
 * per-operation times and the ratio library/raw; it asserts nothing about
 * speed (timing under TCG is only comparable within one run).
 *
 *   bench BDF [iterations]
 *
 * open:  vfiodev_device_open + close, against open(node) + fstat +
 *        BIND_IOMMUFD + IOAS_ALLOC + ATTACH_PT + GET_INFO + DESTROY + close
 *        (iommufd kernels) or open(group) + GET_STATUS + container +
 *        SET_CONTAINER + SET_IOMMU + GET_DEVICE_FD + GET_INFO + closes;
 * map:   vfiodev_dma_map + unmap of 4 KiB, against IOMMU_IOAS_MAP/UNMAP or
 *        VFIO_IOMMU_MAP_DMA/UNMAP_DMA on an equally attached space;
 * translate: vfiodev_dma_translate among 1024 mappings (no raw equivalent:
 *        reported in ns).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vfiodev.h>

struct raw {
	int dev, iommufd, group, container;
	uint32_t ioas;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* the raw cdev sequence, as a careful program would write it by hand */
static int raw_open_iommufd(const char *bdf, struct raw *r)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char path[256], num[32];
	unsigned int maj, min;
	struct stat st;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/vfio-dev/vfio0/dev", bdf);
	if (read_line(path, num, sizeof(num)) ||
	    sscanf(num, "%u:%u", &maj, &min) != 2)
		return -1;
	r->dev = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	if (r->dev < 0 || fstat(r->dev, &st) || st.st_rdev != makedev(maj, min))
		return -1;
	r->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	bind.iommufd = r->iommufd;
	if (ioctl(r->dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(r->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -1;
	r->ioas = at.pt_id = alloc.out_ioas_id;
	if (ioctl(r->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ||
	    ioctl(r->dev, VFIO_DEVICE_GET_INFO, &info))
		return -1;
	return 0;
}

static void raw_close_iommufd(struct raw *r)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = r->ioas };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };

	ioctl(r->dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
	close(r->dev);
	ioctl(r->iommufd, IOMMU_DESTROY, &d);
	close(r->iommufd);
}

static int raw_open_container(const char *bdf, struct raw *r)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	r->group = open(path, O_RDWR | O_CLOEXEC);
	r->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (r->group < 0 || r->container < 0 ||
	    ioctl(r->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(r->group, VFIO_GROUP_SET_CONTAINER, &r->container) ||
	    ioctl(r->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -1;
	r->dev = ioctl(r->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (r->dev < 0 || ioctl(r->dev, VFIO_DEVICE_GET_INFO, &info))
		return -1;
	return 0;
}

static void raw_close_container(struct raw *r)
{
	close(r->dev);
	ioctl(r->group, VFIO_GROUP_UNSET_CONTAINER);
	close(r->group);
	close(r->container);
}

/*
 * Syscall counts of open + close, real ones (the library's, libc's and
 * libudev's), counted by tracing a child with ptrace: strace is not in the
 * guests. The child runs segments separated by raise(SIGSTOP); the parent
 * counts the syscall entries of each segment, less those of an empty one
 * (raise()'s own). One line a segment, with the calls in order.
 */
enum { SEG_MAX = 16, SEG_CALLS = 160 };

struct seg {
	const char *what;
	int n, nr[SEG_CALLS];
	char paths[SEG_CALLS][48];
};

static const char *sys_name(int nr)
{
	static const struct {
		int nr;
		const char *name;
	} t[] = {
		{ SYS_openat, "openat" },
		{ SYS_close, "close" },
		{ SYS_ioctl, "ioctl" },
		{ SYS_read, "read" },
		{ SYS_write, "write" },
		{ SYS_pread64, "pread" },
		{ SYS_readlinkat, "readlinkat" },
		{ SYS_mmap, "mmap" },
		{ SYS_munmap, "munmap" },
		{ SYS_brk, "brk" },
		{ SYS_getdents64, "getdents64" },
		{ SYS_futex, "futex" },
		{ SYS_newfstatat, "newfstatat" },
		{ SYS_statx, "statx" },
		{ SYS_faccessat, "faccessat" },
		{ SYS_lseek, "lseek" },
		{ SYS_fcntl, "fcntl" },
		{ SYS_getpid, "getpid" },
		{ SYS_gettid, "gettid" },
		{ SYS_tgkill, "tgkill" },
		{ SYS_rt_sigprocmask, "sigprocmask" },
		{ SYS_fstatfs, "fstatfs" },
#ifdef SYS_fstat
		{ SYS_fstat, "fstat" },
#endif
#ifdef SYS_open
		{ SYS_open, "open" },
#endif
#ifdef SYS_stat
		{ SYS_stat, "stat" },
#endif
#ifdef SYS_access
		{ SYS_access, "access" },
#endif
#ifdef SYS_readlink
		{ SYS_readlink, "readlink" },
#endif
#ifdef SYS_faccessat2
		{ SYS_faccessat2, "faccessat2" },
#endif
	};
	static char other[16];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].nr == nr)
			return t[i].name;
	snprintf(other, sizeof(other), "sys%d", nr);
	return other;
}

/* the argument of syscall @nr that names a path, or -1 */
static int path_arg(int nr)
{
	switch (nr) {
	case SYS_openat:
	case SYS_readlinkat:
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_faccessat:
#ifdef SYS_faccessat2
	case SYS_faccessat2:
#endif
		return 1;
#ifdef SYS_open
	case SYS_open:
#endif
#ifdef SYS_stat
	case SYS_stat:
#endif
#ifdef SYS_access
	case SYS_access:
#endif
#ifdef SYS_readlink
	case SYS_readlink:
#endif
		return 0;
	default:
		return -1;
	}
}

static void peek_str(pid_t pid, unsigned long addr, char *out, size_t len)
{
	size_t i = 0;

	while (i + 1 < len) {
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, pid, (void *)(addr + i), NULL);
		if (errno)
			break;
		for (size_t b = 0; b < sizeof(w) && i + 1 < len; b++, i++) {
			out[i] = ((const char *)&w)[b];
			if (!out[i])
				return;
		}
	}
	out[i] = '\0';
}

/* the segments the child runs, in order (raise(SIGSTOP) between them) */
static int child_open_close(const char *bdf, enum vfiodev_backend be, int times)
{
	VFIODEV_OPTS_INIT(vfiodev_device_opts, o);
	struct vfiodev_ctx *ctx;
	struct vfiodev_device *dev;
	int bad = 0;

	o.backend = be;
	if (vfiodev_ctx_new(NULL, &ctx))
		return 1;
	for (int i = 0; i < times; i++) {
		raise(SIGSTOP);
		if (vfiodev_device_open(ctx, bdf, &o, &dev))
			bad = 1;
		else
			vfiodev_device_close(dev);
	}
	raise(SIGSTOP);
	vfiodev_ctx_unref(ctx);
	return bad;
}

static int child_raw(const char *bdf, bool iommufd)
{
	struct raw r;
	int bad;

	memset(&r, 0, sizeof(r));
	raise(SIGSTOP);
	bad = iommufd ? raw_open_iommufd(bdf, &r) : raw_open_container(bdf, &r);
	iommufd ? raw_close_iommufd(&r) : raw_close_container(&r);
	raise(SIGSTOP);
	return bad ? 1 : 0;
}

static int traced_child(const char *bdf, bool iommufd)
{
	int bad = 0;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP); /* the tracer sets its options */
	raise(SIGSTOP); /* from here to the next: an empty segment */
	raise(SIGSTOP); /* (raise()'s own calls) */
	/* the library first: it loads the modules the raw sequence needs */
	bad |= child_open_close(bdf, VFIODEV_BACKEND_AUTO, 3);
	if (iommufd)
		bad |= child_open_close(bdf, VFIODEV_BACKEND_IOMMUFD, 2) << 1;
	bad |= child_open_close(bdf, VFIODEV_BACKEND_CONTAINER, 2) << 2;
	bad |= child_raw(bdf, iommufd) << 3;
	return bad;
}

/* the segments traced_child() runs: "-" ones (a context made or freed)
 * are not reported */
static const char *const seg_fd[] = {
	"empty",
	"-",
	"AUTO first",
	"AUTO later",
	"AUTO later",
	"-",
	"iommufd first",
	"iommufd later",
	"-",
	"container first",
	"container later",
	"-",
	"raw",
	NULL,
};
static const char *const seg_ct[] = {
	"empty",
	"-",
	"AUTO first",
	"AUTO later",
	"AUTO later",
	"-",
	"container first",
	"container later",
	"-",
	"raw",
	NULL,
};

static void seg_print(const char *what, const struct seg *s, int base)
{
	char line[6144];
	size_t l = 0;

	for (int c = 0; c < s->n && c < SEG_CALLS && l < sizeof(line) - 80; c++)
		l += snprintf(line + l, sizeof(line) - l, "%s%s%s%s%s", c ? " " : "",
			      sys_name(s->nr[c]), s->paths[c][0] ? "(" : "",
			      s->paths[c], s->paths[c][0] ? ")" : "");
	printf("BENCH syscalls %-16s %3d (raise's %d not counted): %s\n", what,
	       s->n - base, base, line);
}

static void seg_record(struct seg *s, pid_t pid,
		       const struct __ptrace_syscall_info *si)
{
	int nr = (int)si->entry.nr, pa = path_arg(nr);

	if (s->n < SEG_CALLS) {
		s->nr[s->n] = nr;
		s->paths[s->n][0] = '\0';
		if (pa >= 0)
			peek_str(pid, si->entry.args[pa], s->paths[s->n],
				 sizeof(s->paths[0]));
		else if (nr == SYS_ioctl) /* the request, to tell them apart */
			snprintf(s->paths[s->n], sizeof(s->paths[0]), "%#llx",
				 (unsigned long long)si->entry.args[1]);
	}
	s->n++;
}

static void count_syscalls(const char *bdf, bool iommufd)
{
	static struct seg segs[SEG_MAX];
	const char *const *names = iommufd ? seg_fd : seg_ct;
	int st, seg = -1, status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(traced_child(bdf, iommufd));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		printf("BENCH syscalls: cannot trace a child\n");
		return;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL,
	       (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (;;) {
		struct __ptrace_syscall_info si;

		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) ||
		    waitpid(pid, &st, 0) != pid)
			break;
		if (WIFEXITED(st)) {
			status = WEXITSTATUS(st);
			break;
		}
		if (!WIFSTOPPED(st))
			break;
		if (WSTOPSIG(st) == SIGSTOP) {
			if (++seg < SEG_MAX)
				segs[seg].n = 0;
			continue;
		}
		if (WSTOPSIG(st) == (SIGTRAP | 0x80) && seg >= 0 && seg < SEG_MAX &&
		    ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) > 0 &&
		    si.op == PTRACE_SYSCALL_INFO_ENTRY)
			seg_record(&segs[seg], pid, &si);
	}
	if (status) {
		printf("BENCH syscalls: the traced child failed (status %d)\n",
		       status);
		if (status < 0)
			return;
	}
	for (int i = 1; names[i] && i < seg && i < SEG_MAX; i++)
		if (strcmp(names[i], "-"))
			seg_print(names[i], &segs[i], segs[0].n);
}

static int raw_map(const struct raw *r, bool iommufd, void *va, uint64_t iova)
{
	if (iommufd) {
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = r->ioas,
			.user_va = (uintptr_t)va,
			.length = 4096,
			.iova = iova,
		};

		return ioctl(r->iommufd, IOMMU_IOAS_MAP, &m);
	}
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = 4096,
	};

	return ioctl(r->container, VFIO_IOMMU_MAP_DMA, &m);
}

static int raw_unmap(const struct raw *r, bool iommufd, uint64_t iova)
{
	if (iommufd) {
		struct iommu_ioas_unmap u = { .size = sizeof(u),
					      .ioas_id = r->ioas,
					      .iova = iova,
					      .length = 4096 };

		return ioctl(r->iommufd, IOMMU_IOAS_UNMAP, &u);
	}
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
						.iova = iova,
						.size = 4096 };

	return ioctl(r->container, VFIO_IOMMU_UNMAP_DMA, &u);
}

static void report(const char *what, double lib, double raw, int n)
{
	printf("BENCH %-10s library %9.0f ns/op   raw ioctls %9.0f ns/op   ratio %.2f   (%d ops)\n",
	       what, lib / n, raw / n, lib / raw, n);
}

int main(int argc, char **argv)
{
	struct vfiodev_ctx *ctx;
	struct vfiodev_device *dev;
	struct vfiodev_space *space;
	int n = argc > 2 ? atoi(argv[2]) : 200;
	bool iommufd = access("/dev/iommu", F_OK) == 0;
	double t0, lib, raw;
	struct raw r;
	uint8_t *buf;
	uint64_t iova, sink = 0;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: bench BDF [iterations]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vfiodev_ctx_new(NULL, &ctx))
		return 1;
	printf("BENCH path: %s, %d iterations, alternating library and raw rounds\n",
	       iommufd ? "iommufd + cdev" : "group + Type1 container", n);
	count_syscalls(argv[1], iommufd);

	/* open: interleave rounds so drift hits both sides alike */
	lib = raw = 0;
	for (int round = 0; round < 4; round++) {
		t0 = now_ns();
		for (int i = 0; i < n / 4; i++) {
			if (vfiodev_device_open(ctx, argv[1], NULL, &dev))
				return 1;
			vfiodev_device_close(dev);
		}
		lib += now_ns() - t0;
		t0 = now_ns();
		for (int i = 0; i < n / 4; i++) {
			memset(&r, 0, sizeof(r));
			if (iommufd ? raw_open_iommufd(argv[1], &r) :
				      raw_open_container(argv[1], &r)) {
				printf("BENCH raw open failed: %s\n",
				       strerror(errno));
				return 1;
			}
			iommufd ? raw_close_iommufd(&r) : raw_close_container(&r);
		}
		raw += now_ns() - t0;
	}
	report("open+close", lib, raw, n / 4 * 4);

	/* map + unmap of one page, each side on its own attached space */
	buf = mmap(NULL, 1024 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || vfiodev_device_open(ctx, argv[1], NULL, &dev))
		return 1;
	space = vfiodev_device_space(dev);
	lib = raw = 0;
	for (int round = 0; round < 4; round++) {
		t0 = now_ns();
		for (int i = 0; i < n * 5; i++) {
			if (vfiodev_dma_map(space, buf, 4096,
					    VFIODEV_DMA_READ | VFIODEV_DMA_WRITE,
					    0x100000) ||
			    vfiodev_dma_unmap(space, 0x100000, 4096))
				return 1;
		}
		lib += now_ns() - t0;
		vfiodev_device_close(dev);
		memset(&r, 0, sizeof(r));
		if (iommufd ? raw_open_iommufd(argv[1], &r) :
			      raw_open_container(argv[1], &r))
			return 1;
		t0 = now_ns();
		for (int i = 0; i < n * 5; i++) {
			if (raw_map(&r, iommufd, buf, 0x100000) ||
			    raw_unmap(&r, iommufd, 0x100000))
				return 1;
		}
		raw += now_ns() - t0;
		iommufd ? raw_close_iommufd(&r) : raw_close_container(&r);
		if (vfiodev_device_open(ctx, argv[1], NULL, &dev))
			return 1;
		space = vfiodev_device_space(dev);
	}
	report("map+unmap", lib, raw, n * 5 * 4);

	/* building a table of 1024 one-page mappings: the library picking
	 * every IOVA against the raw ioctls at IOVAs the caller computed */
	lib = raw = 0;
	for (int round = 0; round < 2; round++) {
		t0 = now_ns();
		for (int i = 0; i < 1024; i++)
			if (vfiodev_dma_map_any(space, buf + i * 4096, 4096,
						VFIODEV_DMA_READ, NULL, &iova))
				return 1;
		if (vfiodev_dma_unmap_all(space))
			return 1;
		lib += now_ns() - t0;
		vfiodev_device_close(dev);
		memset(&r, 0, sizeof(r));
		if (iommufd ? raw_open_iommufd(argv[1], &r) :
			      raw_open_container(argv[1], &r))
			return 1;
		t0 = now_ns();
		for (int i = 0; i < 1024; i++)
			if (raw_map(&r, iommufd, buf + i * 4096, 0x1000 + i * 4096ull))
				return 1;
		for (int i = 0; i < 1024; i++)
			if (raw_unmap(&r, iommufd, 0x1000 + i * 4096ull))
				return 1;
		raw += now_ns() - t0;
		iommufd ? raw_close_iommufd(&r) : raw_close_container(&r);
		if (vfiodev_device_open(ctx, argv[1], NULL, &dev))
			return 1;
		space = vfiodev_device_space(dev);
	}
	report("1024 maps", lib, raw, 2);

	/* translate among 1024 mappings */
	for (int i = 0; i < 1024; i++)
		if (vfiodev_dma_map_any(space, buf + i * 4096, 4096,
					VFIODEV_DMA_READ, NULL, &iova))
			return 1;
	t0 = now_ns();
	for (int i = 0; i < n * 500; i++) {
		vfiodev_dma_translate(space, buf + ((i * 7919) % 1024) * 4096 + 12,
				      &iova);
		sink += iova;
	}
	lib = now_ns() - t0;
	printf("BENCH translate  library %9.1f ns/op among 1024 mappings (checksum %llx)\n",
	       lib / (n * 500), (unsigned long long)sink);
	vfiodev_device_close(dev);
	vfiodev_ctx_unref(ctx);
	printf("VMTEST bench/ran PASS\n");
	return 0;
}
