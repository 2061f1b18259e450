/*
 * readall.h - reading a small file whole, for the shim (the request file,
 * /proc files): read(2) until the end, EINTR retried, no stdio, so that a
 * copy-on-write child may use it too (cow.h); and a number from one of
 * its "key: value" lines.
 */
#ifndef GRAPHLEAK_READALL_H
#define GRAPHLEAK_READALL_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Up to `want` bytes from fd into buf; how many were read. */
static inline size_t gl_read_upto(int fd, char *buf, size_t want)
{
	size_t n = 0;
	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

/* The whole of a small file into buf, NUL-terminated (at most cap - 1
 * bytes); its length, or -1 if it cannot be opened. */
static inline ssize_t gl_read_file(const char *path, char *buf, size_t cap)
{
	if (cap == 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = gl_read_upto(fd, buf, cap - 1);
	close(fd);
	buf[n] = 0;
	return (ssize_t)n;
}

/* The number after `key` and `sep` on the line of text that starts with
 * them ("VmRSS:  123 kB" with ':', "inactive_file 4096" with ' '); -1 if no
 * line does. */
static inline long long gl_line_value(const char *text, const char *key, char sep)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == sep)
			return strtoll(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* "Key:   123 kB" in a /proc file's text (status, meminfo, smaps_rollup):
 * bytes, or -1. */
static inline long long gl_line_kb(const char *text, const char *key)
{
	long long v = gl_line_value(text, key, ':');
	return v < 0 ? -1 : v * 1024;
}

#endif /* GRAPHLEAK_READALL_H */
