// SPDX-License-Identifier: MIT
/*
 * The syscall seam: the real kernel behind the table every library call
 * goes through. Each wrapper turns -1/errno into -errno once, here.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static int real_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int real_dupfd(int fd)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	return r < 0 ? -errno : r;
}

static int real_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

static int real_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static int real_fstat(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : 0;
}

static ssize_t real_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t real_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t real_pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n < 0 ? -errno : n;
}

static ssize_t real_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	return n < 0 ? -errno : n;
}

static void *real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off, int *err)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	*err = p == MAP_FAILED ? -errno : 0;
	return p;
}

static int real_munmap(void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? -errno : 0;
}

static ssize_t real_readlink(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len);

	return n < 0 ? -errno : n;
}

static int real_fstatfs(int fd, struct statfs *st)
{
	return fstatfs(fd, st) < 0 ? -errno : 0;
}

const struct vfd_sys vfd_sys_real = {
	.open = real_open,
	.close = real_close,
	.ioctl = real_ioctl,
	.fstat = real_fstat,
	.read = real_read,
	.write = real_write,
	.pread = real_pread,
	.pwrite = real_pwrite,
	.mmap = real_mmap,
	.munmap = real_munmap,
	.readlink = real_readlink,
	.dupfd = real_dupfd,
	.fstatfs = real_fstatfs,
};

const struct vfd_sys *vfd_sys = &vfd_sys_real;
