/*
 * payload.c - a library the injector tests load into their targets
 * (tests/attach/test_inject.py), standing in for the shim where the target
 * is not Python. Its entry does what graphleak_attach_start() does: a few
 * system calls and a thread, and returns.
 *
 *   int graphleak_test_entry(const char *path)
 *       creates `path` (O_EXCL) from a new detached thread, writing
 *       "pid TID\n" into it; returns 0, or -errno if the thread cannot start.
 *   int graphleak_test_count(const char *unused)
 *       returns how many times it has been called in this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char target_path[4096];
static int calls;

static void *writer(void *arg)
{
	(void)arg;
	int fd = open(target_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		char line[64];
		int n = snprintf(line, sizeof line, "%d %d\n", (int)getpid(), (int)gettid());
		if (write(fd, line, (size_t)n) != n)
			unlink(target_path);
		close(fd);
	}
	return NULL;
}

__attribute__((visibility("default"))) int graphleak_test_entry(const char *path)
{
	calls++;
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof target_path)
		return -EINVAL;
	memcpy(target_path, path, n + 1);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int rc = pthread_create(&t, &a, writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	return rc ? -rc : 0;
}

__attribute__((visibility("default"))) int graphleak_test_count(const char *unused)
{
	(void)unused;
	return ++calls;
}
