/*
 * verdict.c - the safe-point rules (verdict.h).
 */
#define _GNU_SOURCE
#include "verdict.h"

#include <stdio.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------- */

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int ends_cut(char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	if (n > k && strcmp(s + n - k, suffix) == 0) {
		s[n - k] = 0;
		return 1;
	}
	return 0;
}

void gl_norm_name(const char *raw, char *out, size_t len)
{
	static const char *const prefixes[] = {"GI_", "libc_", "interceptor_trampoline_", "interceptor_"};
	char buf[256];
	snprintf(buf, sizeof buf, "%s", raw ? raw : "");
	buf[strcspn(buf, "(@")] = 0;
	char *n = buf;
	for (int changed = 1; changed;) {
		changed = 0;
		while (*n == '_')
			n++;
		for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
			if (starts(n, prefixes[i])) {
				n += strlen(prefixes[i]);
				changed = 1;
			}
	}
	if (!ends_cut(n, "_time64") && !ends_cut(n, "_nocancel"))
		ends_cut(n, "64");
	snprintf(out, len, "%s", n);
}

static int in(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(name, *set) == 0)
			return 1;
	return 0;
}

static int has_prefix(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (starts(name, *set))
			return 1;
	return 0;
}

/* Unsafe wherever they appear: the allocator, the loader, thread creation,
 * fork and exit. Being inside one may mean holding a lock that dlopen() or
 * pthread_create() needs. */
static const char *const unsafe[] = {
	"malloc", "calloc", "realloc", "free", "cfree", "memalign", "posix_memalign", "aligned_alloc",
	"valloc", "pvalloc", "reallocarray", "sysmalloc", "systrim", "mtrim", "heap_trim", "unlink_chunk",
	"malloc_consolidate", "malloc_trim", "malloc_usable_size", "mallinfo", "mallinfo2",
	"dlopen", "dlmopen", "dlclose", "dlsym", "dlvsym", "dladdr", "dladdr1", "dlinfo", "dlerror",
	"dl_iterate_phdr", "do_dlopen", "dlopen_doit", "dlclose_doit", "dlsym_doit", "dl_catch_error",
	"pthread_create", "allocate_stack", "create_thread", "pthread_exit", "pthread_once",
	"pthread_atfork", "register_atfork", "fork", "vfork", "run_fork_handlers",
	"restore_rt", "exit", "run_exit_handlers", "cxa_finalize", "libc_freeres", NULL};
static const char *const unsafe_prefix[] = {"dl_", "rtld_", "dlopen", "dlclose", "dlsym", NULL};
/* ... and, for frames in libc, glibc's internal allocator, thread and fork code */
static const char *const unsafe_libc_prefix[] = {"int_", "malloc_", "tcache", "arena_", "nptl_", "libc_fork",
						 "reclaim_stacks", NULL};

/* Blocking calls: a libc frame called from outside libc with one of these
 * names is a thread waiting in the kernel, holding no lock of libc. */
static const char *const safe_wrappers[] = {
	"accept", "accept4", "connect", "recv", "recvfrom", "recvmsg", "recvmmsg", "send", "sendto",
	"sendmsg", "sendmmsg", "read", "readv", "pread", "preadv", "preadv2", "write", "writev",
	"pwrite", "pwritev", "select", "pselect", "poll", "ppoll", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "nanosleep", "clock_nanosleep", "thrd_sleep", "sleep", "usleep", "pause",
	"sigsuspend", "sigwait", "sigwaitinfo", "sigtimedwait", "wait", "wait3", "wait4", "waitpid",
	"waitid", "flock", "lockf", "fcntl", "msgrcv", "msgsnd", "semop", "semtimedop", "mq_receive",
	"mq_timedreceive", "syscall", "open", "openat", "futex_wait", "futex_abstimed_wait",
	"futex_abstimed_wait_cancelable", "futex_abstimed_wait_common", "futex_wait_cancelable",
	"lll_lock_wait", "sem_wait", "sem_timedwait", "sem_clockwait", "new_sem_wait",
	"new_sem_wait_slow", "new_sem_clockwait", "do_futex_wait", "pthread_mutex_lock",
	"pthread_mutex_timedlock", "pthread_mutex_clocklock", "pthread_mutex_lock_full",
	"pthread_cond_wait", "pthread_cond_timedwait", "pthread_cond_clockwait",
	"pthread_cond_wait_common", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock",
	"pthread_rwlock_timedrdlock", "pthread_rwlock_timedwrlock", "pthread_rwlock_clockrdlock",
	"pthread_rwlock_clockwrlock", "pthread_join", "pthread_timedjoin_np", "pthread_clockjoin_np",
	"pthread_clockjoin_ex", NULL};

/* CPython functions whose only libc callees are lock and condition waits: a
 * stack of unnamed libc frames (a stripped libc) blocked in futex() under
 * one of these is a thread waiting for a Python lock or for the GIL. */
static const char *const py_waiters[] = {
	"PyThread_acquire_lock_timed", "PyThread_acquire_lock", "acquire_timed", "take_gil",
	"PyEval_RestoreThread", "PyEval_AcquireThread", "PyGILState_Ensure", "PySemaphore_Wait",
	"PySemaphore_PlatformWait", "PyParkingLot_Park", "PyMutex_LockTimed", "PyMutex_LockSlow",
	"PyEvent_WaitTimed", "pysleep", "PyCOND_WAIT", "PyCOND_TIMEDWAIT", NULL};

/* The thread's base: where clone() and the program's start leave a thread. */
static const char *const bases[] = {"start_thread", "clone", "clone3", "libc_start_main", "libc_start_call_main",
				    "start", NULL};

const char *const gl_alloc_entries[] = {
	"malloc", "calloc", "realloc", "free",
	"PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_Free",
	"PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "PyObject_Free", NULL};

/* ---- the rules ------------------------------------------------------------ */

int gl_is_thread_base(const gl_frame *f)
{
	if (f->lib == GL_LIB_LIBC)
		return !f->norm[0] || in(f->norm, bases);
	return f->lib == GL_LIB_EXE && strcmp(f->norm, "start") == 0;
}

static int unsafe_name(const gl_frame *f)
{
	if (!f->norm[0])
		return 0;
	if (in(f->norm, unsafe) || has_prefix(f->norm, unsafe_prefix))
		return 1;
	return f->lib == GL_LIB_LIBC && has_prefix(f->norm, unsafe_libc_prefix);
}

/* Index where the thread's base begins: the outermost run of libc frames
 * (start_thread, clone3, __libc_start_main, ...) and the program's _start. */
static int bottom_start(const gl_stack *s)
{
	int i = s->n;
	while (i > 0 && (s->f[i - 1].lib == GL_LIB_LIBC ||
			 (s->f[i - 1].lib == GL_LIB_EXE && strcmp(s->f[i - 1].norm, "start") == 0)))
		i--;
	return i;
}

static int common_checks(const gl_stack *s, int skip_first, char *why, size_t len)
{
	char lb[160];
	if (!s->complete) {
		snprintf(why, len, "its stack could not be unwound to the thread's start (%s)", s->why);
		return -1;
	}
	for (int i = 0; i < s->n; i++) {
		const gl_frame *f = &s->f[i];
		if (i > 0 && f->activation) {
			snprintf(why, len, "it is running a signal handler (interrupted at %s)", gl_frame_label(f, lb, sizeof lb));
			return -1;
		}
		if (f->lib == GL_LIB_LD) {
			snprintf(why, len, "it is in the dynamic loader (%s)", gl_frame_label(f, lb, sizeof lb));
			return -1;
		}
		if (f->lib == GL_LIB_NONE) {
			snprintf(why, len, "it runs code outside any library (%#llx)", (unsigned long long)f->pc);
			return -1;
		}
		if (i == 0 && skip_first)
			continue;
		if (unsafe_name(f)) {
			snprintf(why, len, "it is in %s", gl_frame_label(f, lb, sizeof lb));
			return -1;
		}
	}
	return 0;
}

int gl_verdict_idle(const gl_stack *s, int in_futex, char *why, size_t len)
{
	char lb[160];
	if (s->n == 0) {
		snprintf(why, len, "no frames");
		return -1;
	}
	if (common_checks(s, 0, why, len) < 0)
		return -1;
	const gl_frame *f0 = &s->f[0];
	if (f0->lib != GL_LIB_LIBC) {
		snprintf(why, len, "it is in a system call made outside libc (%s)", gl_frame_label(f0, lb, sizeof lb));
		return -1;
	}
	int k = 0;
	while (k < s->n && s->f[k].lib == GL_LIB_LIBC)
		k++;
	int b = bottom_start(s);
	if (k >= s->n || k >= b) {
		snprintf(why, len, "only libc frames on its stack");
		return -1;
	}
	const gl_frame *entry = &s->f[k - 1];
	if (!in(entry->norm, safe_wrappers)) {
		int named = 0;
		for (int i = 0; i < k; i++)
			named |= s->f[i].norm[0] != 0;
		const gl_frame *caller = &s->f[k];
		if (named) {
			snprintf(why, len, "blocked in %s, not a known blocking call", gl_frame_label(entry, lb, sizeof lb));
			return -1;
		}
		if (!in_futex || !in(caller->norm, py_waiters)) {
			snprintf(why, len, "blocked in unnamed libc code%s under %s", in_futex ? " (futex)" : "",
				 gl_frame_label(caller, lb, sizeof lb));
			return -1;
		}
	}
	for (int i = k; i < b; i++)
		if (s->f[i].lib == GL_LIB_LIBC && !in(s->f[i].norm, safe_wrappers)) {
			snprintf(why, len, "libc is on its stack in %s", gl_frame_label(&s->f[i], lb, sizeof lb));
			return -1;
		}
	return 0;
}

int gl_verdict_alloc(const gl_stack *s, char *why, size_t len)
{
	char lb[160];
	if (s->n == 0) {
		snprintf(why, len, "no frames");
		return -1;
	}
	if (common_checks(s, 1, why, len) < 0)
		return -1;
	int b = bottom_start(s);
	for (int i = 1; i < b; i++)
		if (s->f[i].lib == GL_LIB_LIBC) {
			snprintf(why, len, "called from libc (%s)", gl_frame_label(&s->f[i], lb, sizeof lb));
			return -1;
		}
	return 0;
}
