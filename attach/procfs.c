/*
 * procfs.c - readers of /proc for the attach (procfs.h).
 */
#define _GNU_SOURCE
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vec.h"

ssize_t gl_read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n + 1 < len) {
		ssize_t k = read(fd, buf + n, len - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = 0;
	return (ssize_t)n;
}

const char *gl_stat_field(const char *path, char *buf, size_t len, char *state, int n)
{
	if (gl_read_small(path, buf, len) < 0)
		return NULL;
	char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ')
		return NULL;
	*state = rp[2];
	char *p = rp + 2; /* field 3 */
	for (int field = 3; field < n && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p;
}

int gl_proc_stat(int pid, char *state, unsigned long long *start)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	*state = 0;
	const char *p = gl_stat_field(path, buf, sizeof buf, state, 22); /* starttime */
	if (!*state)
		return -1;
	*start = p ? strtoull(p, NULL, 10) : 0;
	return 0;
}

int gl_task_sample(int pid, int tid, char *state, unsigned long long *cpu)
{
	char path[96], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	const char *p = gl_stat_field(path, buf, sizeof buf, state, 14); /* utime, stime */
	if (!p)
		return -1;
	char *e;
	unsigned long long ut = strtoull(p, &e, 10), st = strtoull(e, NULL, 10);
	*cpu = ut + st;
	return 0;
}

int gl_proc_status_read(int pid, int tid, gl_proc_status *st)
{
	char path[96], buf[8192];
	if (tid > 0)
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
	else
		snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (gl_read_small(path, buf, sizeof buf) < 0)
		return -1;
	memset(st, 0, sizeof *st);
	st->uid = st->gid = -1;
	st->seccomp = -1;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		long a, b;
		char c;
		if (sscanf(l, "State: %c", &c) == 1)
			st->state = c;
		else if (sscanf(l, "Uid: %ld %ld", &a, &b) == 2)
			st->uid = b;
		else if (sscanf(l, "Gid: %ld %ld", &a, &b) == 2)
			st->gid = b;
		else if (sscanf(l, "TracerPid: %ld", &a) == 1)
			st->tracer = a;
		else if (sscanf(l, "Seccomp: %ld", &a) == 1)
			st->seccomp = (int)a;
		else if (sscanf(l, "Threads: %ld", &a) == 1)
			st->threads = (int)a;
		else if (strncmp(l, "NSpid:", 6) == 0) {
			/* the pids from the outermost namespace in, the last is its own */
			char *end = l + 6;
			for (;;) {
				char *e;
				long v = strtol(end, &e, 10);
				if (e == end)
					break;
				st->nspid = (int)v;
				end = e;
			}
		}
		else if (strncmp(l, "SigPnd:", 7) == 0)
			st->sigpnd = strtoull(l + 7, NULL, 16);
		else if (strncmp(l, "ShdPnd:", 7) == 0)
			st->shdpnd = strtoull(l + 7, NULL, 16);
		else if (strncmp(l, "SigBlk:", 7) == 0)
			st->sigblk = strtoull(l + 7, NULL, 16);
		else if (strncmp(l, "SigIgn:", 7) == 0)
			st->sigign = strtoull(l + 7, NULL, 16);
		else if (strncmp(l, "SigCgt:", 7) == 0)
			st->sigcgt = strtoull(l + 7, NULL, 16);
		else if (strncmp(l, "x86_Thread_features:", 20) == 0) {
			const char *e = strchr(l, '\n');
			size_t n = e ? (size_t)(e - l) : strlen(l);
			const char *s = memmem(l + 20, n - 20, "shstk", 5);
			st->shadow_stack = s != NULL;
		}
	}
	if (st->uid < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int gl_task_syscall_read(int pid, int tid, gl_task_syscall *sc)
{
	char path[96], buf[512];
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", pid, tid);
	memset(sc, 0, sizeof *sc);
	if (gl_read_small(path, buf, sizeof buf) < 0)
		return -1;
	if (strncmp(buf, "running", 7) == 0)
		return 0;
	char *p = buf, *e;
	sc->nr = strtol(p, &e, 10);
	if (e == p) {
		errno = EINVAL;
		return -1;
	}
	p = e;
	if (sc->nr < 0) { /* "-1 sp pc": blocked, not in a system call */
		sc->state = -1;
		sc->sp = strtoull(p, &e, 16);
		sc->pc = strtoull(e, NULL, 16);
		return 0;
	}
	for (int i = 0; i < 6; i++) {
		sc->args[i] = strtoull(p, &e, 16);
		p = e;
	}
	sc->sp = strtoull(p, &e, 16);
	sc->pc = strtoull(e, NULL, 16);
	sc->state = 1;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int gl_task_list(int pid, int **out)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	*out = NULL;
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long t = strtol(e->d_name, &end, 10);
		if (*end || t <= 0)
			continue;
		if (gl_vec_grow_((void **)&v, &cap, n + 1, sizeof *v) < 0) {
			free(v);
			closedir(d);
			errno = ENOMEM;
			return -1;
		}
		v[n++] = (int)t;
	}
	closedir(d);
	/* the main thread first, then in tid order */
	gl_sort(v, n, sizeof *v, cmp_int);
	for (size_t i = 0; i < n; i++)
		if (v[i] == pid && i > 0) {
			memmove(v + 1, v, i * sizeof *v);
			v[0] = pid;
			break;
		}
	*out = v;
	return (int)n;
}

int gl_maps_read(int pid, gl_maps *m)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	memset(m, 0, sizeof *m);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0, cap = 0;
	char *text = NULL;
	for (;;) {
		if (gl_vec_grow_((void **)&text, &cap, len + 65536 + 1, 1) < 0) {
			free(text);
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		ssize_t k = read(fd, text + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(text);
			close(fd);
			errno = e;
			return -1;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	if (!text) {
		errno = EINVAL;
		return -1;
	}
	text[len] = 0;
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	m->v = gl_calloc_array(lines + 1, sizeof *m->v);
	if (!m->v) {
		free(text);
		errno = ENOMEM;
		return -1;
	}
	m->text = text;
	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		gl_map *g = &m->v[m->n];
		unsigned long long s, e, off, ino;
		unsigned maj, min;
		char perms[8];
		int pos = 0;
		if (sscanf(l, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perms, &off, &maj, &min, &ino, &pos) >= 7) {
			g->start = s;
			g->end = e;
			g->offset = off;
			g->dev_major = maj;
			g->dev_minor = min;
			g->inode = ino;
			snprintf(g->perms, sizeof g->perms, "%.4s", perms);
			char *p = l + pos;
			while (*p == ' ')
				p++;
			g->path = *p ? p : NULL;
			m->n++;
		}
		l = nl ? nl + 1 : NULL;
	}
	return 0;
}

void gl_maps_free(gl_maps *m)
{
	free(m->v);
	free(m->text);
	memset(m, 0, sizeof *m);
}

const gl_map *gl_maps_find(const gl_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) { /* the kernel lists mappings in address order */
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

int gl_kernel_version(void)
{
	struct utsname u;
	int a = 0, b = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a * 1000 + b;
}
