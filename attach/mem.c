/*
 * mem.c - the target's memory (mem.h).
 */
#define _GNU_SOURCE
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int mem_pread(int pid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t k = pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			close(fd);
			errno = e;
			return -1;
		}
		done += (size_t)k;
	}
	close(fd);
	return 0;
}

int gl_mem_read(int pid, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t k = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (k == (ssize_t)len)
		return 0;
	if (k >= 0 || errno == ENOSYS || errno == EPERM)
		return mem_pread(pid, addr, buf, len); /* a partial read, or no process_vm_readv */
	return -1;
}

int gl_mem_write(int pid, uint64_t addr, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t k = process_vm_writev(pid, &local, 1, &remote, 1, 0);
	if (k == (ssize_t)len)
		return 0;
	int fd = gl_mem_open(pid);
	if (fd < 0)
		return -1;
	int rc = gl_mem_poke(fd, addr, buf, len);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int gl_mem_open(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	return open(path, O_RDWR | O_CLOEXEC);
}

int gl_mem_poke(int memfd, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t k = pwrite(memfd, (const char *)buf + done, len - done, (off_t)(addr + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

int gl_mem_read_str(int pid, uint64_t addr, char *buf, size_t len)
{
	if (len == 0)
		return -1;
	buf[0] = 0;
	/* in pieces that do not cross a page, so that a short string at the end
	 * of a mapping reads */
	size_t n = 0;
	while (n + 1 < len) {
		uint64_t a = addr + n;
		size_t chunk = 4096 - (size_t)(a & 4095);
		if (chunk > len - 1 - n)
			chunk = len - 1 - n;
		if (gl_mem_read(pid, a, buf + n, chunk) < 0) {
			buf[n] = 0;
			return n ? 0 : -1;
		}
		void *z = memchr(buf + n, 0, chunk);
		if (z)
			return 0;
		n += chunk;
	}
	buf[len - 1] = 0;
	return 0;
}
