/*
 * inject.c - graphleak's ptrace injector (inject.h; docs/attach.md).
 *
 *   1. preflight, from /proc: alive, not traced, not stopped, no strict
 *      seccomp, no shadow stack, SIGSEGV not ignored, page 0 unmapped;
 *      dlopen/dlsym/dlerror/__errno_location in the target's libc (read
 *      through /proc/PID/root, checked to be the mapped file); the modules
 *      reported to the unwinder. All before any thread is touched.
 *   2. safe point A, an idle thread: threads blocked in a system call, as
 *      /proc says, are seized one at a time (PTRACE_SEIZE + INTERRUPT: the
 *      others never stop), confirmed from their registers and judged from
 *      their unwound stack; the first safe one makes the calls.
 *   3. safe point B, an allocator's entry, when no thread is idle: every
 *      thread is seized (not stopped; new ones follow through
 *      PTRACE_O_TRACECLONE), an int3 goes on the first byte of each
 *      allocator, and the first thread that hits one from a safe stack makes
 *      the calls; the breakpoints come out and the other threads are
 *      detached first, with any trap still pending consumed.
 *   4. the calls: the whole state saved (and the extended state written back
 *      once, unchanged, before anything else), asynchronous signals held
 *      back, __errno_location(), dlopen(), dlsym(), the function; a return
 *      to address 0 ends each call with a fault only the tracer sees.
 *   5. restore, read back, compare, detach. A signal that arrived meanwhile
 *      is delivered then, as if it had arrived during the system call.
 */
#define _GNU_SOURCE
#include "inject.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "image.h"
#include "mem.h"
#include "procfs.h"
#include "unwind.h"
#include "vec.h"
#include "verdict.h"

#define SIGSETXID_NR 33     /* glibc's signal for setuid() across threads */
#define MIN_STACK_ROOM (64 * 1024)
#define MAX_HITS 5000
#define CALL_BOUND_MIN 10.0 /* seconds a call may stand still before it counts as stuck */
#define CALL_BOUND_MAX 600.0
#define STOP_BOUND 2.0      /* a sleeping thread stops at once when interrupted */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Time graphleak was awake to see: a gap of more than half a second between
 * two turns of a wait loop is the machine stalling us too, and counts as one
 * turn (a stall of the whole VM, seen here for 70 s, is not a hang). */
typedef struct {
	double prev, aw;
} awake;

static void awake_start(awake *a)
{
	a->prev = now_s();
	a->aw = 0;
}

static double awake_tick(awake *a)
{
	double n = now_s(), s = n - a->prev;
	a->prev = n;
	a->aw += s >= 0 && s <= 0.5 ? s : 0.05;
	return a->aw;
}

/* ---- the session ---------------------------------------------------------- */

typedef struct {
	uint64_t addr;
	unsigned char orig;
	int inserted;
	const char *name;
	char module[48];
} bpoint;

typedef struct {
	int tid;
	int stopped;    /* in a ptrace stop of ours: status says which */
	int status;
	int detached;
} tracee;

typedef struct {
	const gl_inject_opts *o;
	gl_inject_result *r;
	int pid;
	gl_maps maps;
	gl_image libc, libdl;
	uint64_t f_dlopen, f_dlsym, f_dlerror, f_errno;
	gl_unwinder *uw;
	int mask_exact;          /* PTRACE_GETSIGMASK sees through ppoll/pselect (Linux >= 5.1) */
	double t0, t_seized;
	sigset_t chld, old_mask; /* SIGCHLD held for sigtimedwait */
	/* the allocator path */
	gl_vec(bpoint) bps;
	gl_vec(tracee) th;
	int memfd;
	/* the calling thread */
	int tid;
	gl_thread_state saved;
	int have_saved;
	uint64_t orig_mask;      /* its signal mask, while ours is set */
	int mask_set;
	uint64_t errno_addr;
	int errno_val, have_errno;
	double t_stopped;
} ctx;

static gl_inject_status fail(ctx *c, gl_inject_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static gl_inject_status fail(ctx *c, gl_inject_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->r->message, sizeof c->r->message, fmt, ap);
	va_end(ap);
	c->r->status = st;
	return st;
}

static void say(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(ctx *c, const char *fmt, ...)
{
	if (!c->o->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs(c->o->log_prefix ? c->o->log_prefix : "", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int interrupted(ctx *c)
{
	return c->o->interrupted && *c->o->interrupted;
}

const char *gl_inject_status_name(gl_inject_status s)
{
	switch (s) {
	case GL_INJECT_OK: return "ok";
	case GL_INJECT_NOPROC: return "no-such-process";
	case GL_INJECT_PERM: return "permission";
	case GL_INJECT_TRACED: return "traced";
	case GL_INJECT_STOPPED: return "stopped";
	case GL_INJECT_UNSUPPORTED: return "unsupported";
	case GL_INJECT_NOSAFEPOINT: return "no-safe-point";
	case GL_INJECT_INTERRUPTED: return "interrupted";
	case GL_INJECT_EXITED: return "exited";
	case GL_INJECT_LOADFAIL: return "load-failed";
	case GL_INJECT_NOSYMBOL: return "no-symbol";
	case GL_INJECT_CALLFAIL: return "call-failed";
	case GL_INJECT_FAIL: return "failed";
	}
	return "failed";
}

static int process_alive(ctx *c)
{
	char st;
	unsigned long long start;
	return gl_proc_stat(c->pid, &st, &start) == 0 && st != 'Z' && st != 'X';
}

/* ---- waiting for a ptrace stop ------------------------------------------------ */

enum stop { STOP_GONE, STOP_SIGNAL, STOP_GROUP, STOP_TRAP, STOP_CLONE, STOP_EVENT };

static enum stop decode(int status, int *sig)
{
	*sig = 0;
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return STOP_GONE;
	if (!WIFSTOPPED(status))
		return STOP_EVENT;
	*sig = WSTOPSIG(status);
	int ev = status >> 16;
	if (ev == PTRACE_EVENT_STOP) {
		if (*sig == SIGSTOP || *sig == SIGTSTP || *sig == SIGTTIN || *sig == SIGTTOU)
			return STOP_GROUP;
		return STOP_TRAP;
	}
	if (ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK)
		return STOP_CLONE;
	if (ev)
		return STOP_EVENT;
	return STOP_SIGNAL;
}

/*
 * Waits for a stop of tid (-1: any thread we trace). Returns the thread's
 * id, 0 when `limit` awake seconds have passed (limit < 0: no limit) or,
 * with `interruptible`, when graphleak is interrupted; -1 on error.
 */
static int wait_stop(ctx *c, int tid, int *status, double limit, int interruptible)
{
	awake a;
	awake_start(&a);
	for (;;) {
		int r = waitpid(tid, status, __WALL | WNOHANG);
		if (r != 0)
			return r;
		if (interruptible && interrupted(c))
			return 0;
		if (limit >= 0 && awake_tick(&a) >= limit)
			return 0;
		struct timespec ts = {0, 10 * 1000 * 1000};
		sigtimedwait(&c->chld, NULL, &ts);
	}
}

/* ---- step 1: look before touching ------------------------------------------------ */

static gl_inject_status preflight(ctx *c)
{
	gl_proc_status ps;
	if (gl_proc_status_read(c->pid, 0, &ps) < 0)
		return fail(c, GL_INJECT_NOPROC, "no process %d", c->pid);
	if (ps.state == 'Z' || ps.state == 'X')
		return fail(c, GL_INJECT_EXITED, "process %d has exited", c->pid);
	if (ps.tracer)
		return fail(c, GL_INJECT_TRACED,
			    "process %d is already being traced by process %ld (a debugger or strace): only one tracer "
			    "at a time. Detach it first, or use --signal.",
			    c->pid, ps.tracer);
	if (ps.state == 'T' || ps.state == 't')
		return fail(c, GL_INJECT_STOPPED,
			    "process %d is stopped (state %c: a debugger, or SIGSTOP); resume it (kill -CONT %d) or "
			    "detach the debugger first",
			    c->pid, ps.state, c->pid);
	if (ps.seccomp == 1)
		return fail(c, GL_INJECT_UNSUPPORTED,
			    "process %d runs in seccomp strict mode: it may make no system call but read, write and "
			    "exit, so loading anything into it would kill it. Use --signal if it can answer one.",
			    c->pid);
	if (ps.shadow_stack)
		return fail(c, GL_INJECT_UNSUPPORTED,
			    "process %d uses the CPU's shadow stack (CET): a call made into it from outside would "
			    "fault on return. Use --signal.",
			    c->pid);
	if (ps.sigign & (1ULL << (SIGSEGV - 1)))
		return fail(c, GL_INJECT_UNSUPPORTED,
			    "process %d ignores SIGSEGV; the injector's calls end with a fault the kernel would then "
			    "turn back to the default action, changing the process. Use --signal.",
			    c->pid);
	c->mask_exact = gl_kernel_version() >= 5001;

	if (gl_maps_read(c->pid, &c->maps) < 0)
		return fail(c, errno == ENOENT || errno == ESRCH ? GL_INJECT_NOPROC : GL_INJECT_PERM,
			    "cannot read the memory map of process %d: %s", c->pid, strerror(errno));
	if (c->maps.n && c->maps.v[0].start == 0)
		return fail(c, GL_INJECT_UNSUPPORTED,
			    "process %d has memory mapped at address 0, where the injector's calls return to fault: "
			    "it cannot be injected safely. Use --signal.",
			    c->pid);
	char err[512];
	const gl_map *libc = gl_maps_find_lib(&c->maps, "libc.so");
	if (!libc) {
		const char *musl = gl_maps_find_lib(&c->maps, "ld-musl-x86_64.so") ? " (it uses musl)" : "";
		return fail(c, GL_INJECT_UNSUPPORTED,
			    "process %d has no GNU C library mapped%s: graphleak dump --pid needs glibc. Use --signal.",
			    c->pid, musl);
	}
	if (gl_image_open(c->pid, &c->maps, libc, &c->libc, err, sizeof err) < 0)
		return fail(c, GL_INJECT_FAIL, "%s", err);
	c->f_dlopen = gl_image_symbol(&c->libc, "dlopen", NULL);
	c->f_dlsym = gl_image_symbol(&c->libc, "dlsym", NULL);
	c->f_dlerror = gl_image_symbol(&c->libc, "dlerror", NULL);
	c->f_errno = gl_image_symbol(&c->libc, "__errno_location", NULL);
	if (!c->f_dlopen || !c->f_dlsym) { /* glibc < 2.34: libdl, if the program loaded it */
		const gl_map *dl = gl_maps_find_lib(&c->maps, "libdl.so");
		if (dl && gl_image_open(c->pid, &c->maps, dl, &c->libdl, err, sizeof err) == 0) {
			c->f_dlopen = gl_image_symbol(&c->libdl, "dlopen", NULL);
			c->f_dlsym = gl_image_symbol(&c->libdl, "dlsym", NULL);
			c->f_dlerror = gl_image_symbol(&c->libdl, "dlerror", NULL);
		}
	}
	if (!c->f_dlopen || !c->f_dlsym) { /* ... or libc's own, as old glibc has them */
		c->f_dlopen = gl_image_symbol(&c->libc, "__libc_dlopen_mode", NULL);
		c->f_dlsym = gl_image_symbol(&c->libc, "__libc_dlsym", NULL);
		c->f_dlerror = 0;
	}
	if (!c->f_dlopen || !c->f_dlsym)
		return fail(c, GL_INJECT_UNSUPPORTED, "no dlopen() found in process %d's C library (%s)", c->pid,
			    libc->path);
	c->uw = gl_unwinder_new(c->pid, err, sizeof err);
	if (!c->uw)
		return fail(c, GL_INJECT_FAIL, "%s", err);
	gl_unwinder_prewarm(c->uw);
	return GL_INJECT_OK;
}

/* ---- the thread that makes the calls ------------------------------------------ */

static uint64_t call_mask(void)
{
	uint64_t m = ~0ULL;
	static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGSETXID_NR};
	for (size_t i = 0; i < sizeof sync_sigs / sizeof sync_sigs[0]; i++)
		m &= ~(1ULL << (sync_sigs[i] - 1));
	return m;
}

/* Holds asynchronous signals back from the calling thread (saving its mask
 * first). A signal that arrives meanwhile stays pending and is delivered
 * after the restore. Before Linux 5.1 the mask ptrace reads is ppoll's or
 * pselect's temporary one, so it is left alone there. */
static int hold_signals(ctx *c, int tid)
{
	if (c->mask_set || !c->mask_exact)
		return 0;
	if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(uint64_t), &c->orig_mask) < 0)
		return -1;
	uint64_t m = call_mask();
	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(uint64_t), &m) < 0)
		return -1;
	c->mask_set = 1;
	return 0;
}

static int restore_mask(ctx *c, int tid, char *err, size_t len)
{
	if (!c->mask_set)
		return 0;
	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(uint64_t), &c->orig_mask) < 0) {
		snprintf(err, len, "restoring the signal mask of thread %d: %s", tid, strerror(errno));
		return -1;
	}
	uint64_t back = 0;
	if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(uint64_t), &back) < 0 || back != c->orig_mask) {
		snprintf(err, len, "the signal mask of thread %d reads %#llx after the restore, not %#llx", tid,
			 (unsigned long long)back, (unsigned long long)c->orig_mask);
		return -1;
	}
	c->mask_set = 0;
	return 0;
}

/* Everything back as it was, checked, then detached. 0, or -1 with the
 * reason in err (the thread is detached anyway). */
static int restore_and_detach(ctx *c, int tid, char *err, size_t len)
{
	int rc = 0;
	if (c->have_errno && gl_mem_write(c->pid, c->errno_addr, &c->errno_val, sizeof c->errno_val) < 0) {
		snprintf(err, len, "restoring errno of thread %d: %s", tid, strerror(errno));
		rc = -1;
	}
	if (c->have_saved && gl_arch_restore(tid, &c->saved, err, len) < 0)
		rc = -1;
	char e2[256];
	if (restore_mask(c, tid, rc < 0 ? e2 : err, rc < 0 ? sizeof e2 : len) < 0)
		rc = -1;
	if (ptrace(PTRACE_DETACH, tid, NULL, NULL) < 0 && rc == 0) {
		snprintf(err, len, "detaching from thread %d: %s", tid, strerror(errno));
		rc = -1;
	}
	c->r->stopped_seconds = now_s() - c->t_stopped;
	return rc;
}

typedef enum { CALL_OK, CALL_FAULT, CALL_GONE, CALL_STUCK, CALL_ERROR } call_rc;

/*
 * Makes the stopped thread call fn(args) on a stack below top; *ret gets the
 * return value. The call is never interrupted for a Ctrl-C; only a call that
 * neither returns nor moves (runs, waits for the disk, uses CPU) for a long
 * time is given up (CALL_STUCK; the thread is then stopped again).
 */
static call_rc call(ctx *c, int tid, uint64_t fn, const uint64_t *args, int nargs, uint64_t top, uint64_t *ret,
		    char *err, size_t len)
{
	gl_thread_state work;
	memset(&work, 0, sizeof work);
	if (gl_arch_call_setup(c->pid, &c->saved, &work, fn, args, nargs, top) < 0 || gl_arch_set_gp(tid, &work) < 0) {
		snprintf(err, len, "setting up a call in thread %d: %s", tid, strerror(errno));
		return CALL_ERROR;
	}
	int sig = 0;
	const double bound = c->o->timeout > CALL_BOUND_MIN ? c->o->timeout : CALL_BOUND_MIN;
	awake a;
	awake_start(&a);
	double still_since = 0;
	unsigned long long cpu0 = 0;
	int said = 0;
	for (;;) {
		if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) < 0) {
			snprintf(err, len, "resuming thread %d: %s", tid, strerror(errno));
			return errno == ESRCH ? CALL_GONE : CALL_ERROR;
		}
		sig = 0;
		int status, w;
		for (;;) {
			w = wait_stop(c, tid, &status, 0.05, 0);
			if (w != 0)
				break;
			double aw = awake_tick(&a);
			char st;
			unsigned long long cpu;
			int moving = gl_task_sample(c->pid, tid, &st, &cpu) == 0 && (st == 'R' || st == 'D' || cpu != cpu0);
			cpu0 = cpu;
			if (moving)
				still_since = aw;
			if (interrupted(c) && !said) {
				fprintf(stderr, "%sletting the calls in process %d finish first (interrupting them could "
						"harm it)\n", c->o->log_prefix ? c->o->log_prefix : "", c->pid);
				said = 1;
			}
			if ((aw - still_since >= bound) || aw >= CALL_BOUND_MAX) {
				/* stuck: stop it where it is; the caller restores it */
				ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
				for (;;) {
					w = wait_stop(c, tid, &status, STOP_BOUND * 5, 0);
					int s2;
					enum stop k = w > 0 ? decode(status, &s2) : STOP_GONE;
					if (w <= 0 || k == STOP_GONE)
						return CALL_GONE;
					if (k == STOP_TRAP || k == STOP_GROUP || k == STOP_SIGNAL)
						break; /* a signal stop's signal is dropped: held back, it was ours to hold */
					ptrace(PTRACE_CONT, tid, NULL, NULL);
				}
				snprintf(err, len, "the call did not return in %.0f s and did not move", aw);
				return CALL_STUCK;
			}
		}
		if (w < 0) {
			snprintf(err, len, "waiting for thread %d: %s", tid, strerror(errno));
			return CALL_GONE;
		}
		enum stop k = decode(status, &sig);
		if (k == STOP_GONE) {
			snprintf(err, len, "thread %d exited during the call", tid);
			return CALL_GONE;
		}
		if (k == STOP_SIGNAL && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
					 sig == SIGTRAP || sig == SIGSYS)) {
			gl_thread_state now;
			char e[256];
			if (gl_arch_save(tid, &now, e, sizeof e) < 0) {
				snprintf(err, len, "%s", e);
				return CALL_ERROR;
			}
			int returned = sig == SIGSEGV && gl_arch_call_returned(&now);
			*ret = gl_arch_retval(&now);
			uint64_t pc = gl_arch_pc(&now);
			gl_arch_state_free(&now);
			if (returned)
				return CALL_OK;
			snprintf(err, len, "signal %d (%s) at %#llx", sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
				 (unsigned long long)pc);
			return CALL_FAULT;
		}
		/* a group stop (SIGSTOP to the process): finish the call first, the
		 * thread goes back to the stop when it is detached; any other
		 * signal: passed on (held back ones are queued again by the
		 * kernel, glibc's SIGSETXID is delivered) */
		if (k != STOP_SIGNAL)
			sig = 0;
	}
}

/* Reads the string dlerror() returns, into buf. */
static void dl_error(ctx *c, int tid, uint64_t top, char *buf, size_t len)
{
	uint64_t p = 0;
	char e[256];
	snprintf(buf, len, "(no message)");
	if (c->f_dlerror && call(c, tid, c->f_dlerror, NULL, 0, top, &p, e, sizeof e) == CALL_OK && p)
		gl_mem_read_str(c->pid, p, buf, len);
}

/*
 * The calls, from the stopped thread tid whose state is in c->saved (and
 * its stop is of the kind that a PTRACE_CONT with signal 0 resumes without
 * loss: an interrupt stop, or our breakpoint's SIGTRAP). Ends with the
 * thread restored and detached, whatever happens.
 */
static gl_inject_status make_calls(ctx *c, int tid)
{
	char err[512], e2[512];
	const gl_inject_opts *o = c->o;
	gl_inject_result *r = c->r;
	r->tid = tid;
	r->ext_bytes = c->saved.ext_len;
	c->have_saved = 1;
	/* 1. the extended state written back unchanged: if the kernel refuses
	 * it, it refuses now, before anything was changed */
	if (gl_arch_rewrite_ext(tid, &c->saved) < 0) {
		int e = errno;
		c->have_saved = 0;
		restore_and_detach(c, tid, err, sizeof err);
		return fail(c, GL_INJECT_UNSUPPORTED,
			    "the kernel refused to take thread %d's extended register state back unchanged (%zu bytes: "
			    "%s); graphleak stopped before changing anything, and the process was left as it was",
			    tid, c->saved.ext_len, strerror(e));
	}
	if (hold_signals(c, tid) < 0) {
		restore_and_detach(c, tid, err, sizeof err);
		return fail(c, GL_INJECT_FAIL, "cannot set the signal mask of thread %d: %s", tid, strerror(errno));
	}
	/* 2. the strings, on the thread's stack below the red zone */
	size_t l1 = strlen(o->library) + 1, l2 = strlen(o->symbol) + 1, l3 = strlen(o->arg) + 1;
	uint64_t sp = gl_arch_sp(&c->saved);
	uint64_t area = (sp - GL_ARCH_RED_ZONE - l1 - l2 - l3) & ~(uint64_t)15;
	uint64_t s_lib = area, s_sym = area + l1, s_arg = area + l1 + l2;
	uint64_t top = area - 64;
	if (gl_mem_write(c->pid, s_lib, o->library, l1) < 0 || gl_mem_write(c->pid, s_sym, o->symbol, l2) < 0 ||
	    gl_mem_write(c->pid, s_arg, o->arg, l3) < 0) {
		int e = errno;
		restore_and_detach(c, tid, err, sizeof err);
		return fail(c, GL_INJECT_FAIL, "cannot write to thread %d's stack: %s", tid, strerror(e));
	}
	double tc = now_s();
	gl_inject_status st = GL_INJECT_OK;
	const char *what = "";
	uint64_t v = 0;
	call_rc cr = CALL_OK;
	/* 3. errno, which the calls may change */
	if (c->f_errno) {
		what = "__errno_location()";
		cr = call(c, tid, c->f_errno, NULL, 0, top, &v, err, sizeof err);
		if (cr == CALL_OK && v && gl_mem_read(c->pid, v, &c->errno_val, sizeof c->errno_val) == 0) {
			c->errno_addr = v;
			c->have_errno = 1;
		}
	}
	/* 4. dlopen, dlsym, the function */
	uint64_t handle = 0, fn = 0;
	if (cr == CALL_OK) {
		what = "dlopen()";
		uint64_t a[2] = {s_lib, RTLD_NOW | RTLD_NODELETE};
		cr = call(c, tid, c->f_dlopen, a, 2, top, &handle, err, sizeof err);
		if (cr == CALL_OK && !handle) {
			char msg[512];
			dl_error(c, tid, top, msg, sizeof msg);
			st = fail(c, GL_INJECT_LOADFAIL, "dlopen(%s) failed in process %d: %s", o->library, c->pid, msg);
		}
	}
	if (cr == CALL_OK && st == GL_INJECT_OK) {
		what = "dlsym()";
		uint64_t a[2] = {handle, s_sym};
		cr = call(c, tid, c->f_dlsym, a, 2, top, &fn, err, sizeof err);
		if (cr == CALL_OK && !fn) {
			char msg[512];
			dl_error(c, tid, top, msg, sizeof msg);
			st = fail(c, GL_INJECT_NOSYMBOL, "%s has no function %s (%s)", o->library, o->symbol, msg);
		}
	}
	if (cr == CALL_OK && st == GL_INJECT_OK) {
		what = o->symbol;
		uint64_t a[1] = {s_arg}, rv = 0;
		cr = call(c, tid, fn, a, 1, top, &rv, err, sizeof err);
		r->retval = (long)(int)(uint32_t)rv;
	}
	r->calls_seconds = now_s() - tc;
	/* 5. back as it was */
	if (cr == CALL_GONE) {
		if (!process_alive(c))
			return fail(c, GL_INJECT_EXITED, "process %d exited during the call to %s", c->pid, what);
		return fail(c, GL_INJECT_FAIL, "thread %d of process %d vanished during the call to %s (%s)", tid, c->pid,
			    what, err);
	}
	int rrc = restore_and_detach(c, tid, e2, sizeof e2);
	if (cr == CALL_FAULT)
		st = fail(c, GL_INJECT_CALLFAIL,
			  "the call to %s in thread %d of process %d faulted (%s); the thread was restored%s", what, tid,
			  c->pid, err,
			  strcmp(what, "dlopen()") == 0 ? ". The fault was inside the loader: if it held its lock, later "
							  "dlopen() calls in the process may hang" : "");
	else if (cr == CALL_STUCK)
		st = fail(c, GL_INJECT_CALLFAIL,
			  "the call to %s in thread %d of process %d %s; graphleak abandoned it and restored the "
			  "thread. If it was waiting for a lock of the loader that another thread holds, nothing is "
			  "lost; if it held one, later dlopen() calls in the process may hang.",
			  what, tid, c->pid, err);
	else if (cr == CALL_ERROR)
		st = fail(c, GL_INJECT_FAIL, "the call to %s in thread %d failed: %s", what, tid, err);
	if (rrc < 0)
		return fail(c, GL_INJECT_FAIL, "thread %d of process %d could not be restored exactly: %s%s%s", tid,
			    c->pid, e2, st != GL_INJECT_OK ? " (after: " : "", st != GL_INJECT_OK ? r->message : "");
	return st;
}

static int stack_ok(ctx *c, const gl_thread_state *st, char *why, size_t len)
{
	uint64_t sp = gl_arch_sp(st);
	uint64_t room = gl_unwinder_stack_room(c->uw, sp);
	if (room < MIN_STACK_ROOM) {
		snprintf(why, len, "too little stack left for the calls (%llu bytes)", (unsigned long long)room);
		return -1;
	}
	return 0;
}

static void describe(const gl_stack *s, char *out, size_t len)
{
	size_t k = 0;
	out[0] = 0;
	for (int i = 0; i < s->n && i < 12 && k + 1 < len; i++) {
		char lb[160];
		int n = snprintf(out + k, len - k, "%s%s", i ? " < " : "", gl_frame_label(&s->f[i], lb, sizeof lb));
		if (n < 0)
			break;
		k += (size_t)n;
	}
}

/* Where the thread is, for the result: the innermost named frame too when
 * the first has no name. */
static void where_of(const gl_stack *s, char *out, size_t len)
{
	char a[160], b[160];
	if (!s->n) {
		snprintf(out, len, "?");
		return;
	}
	gl_frame_label(&s->f[0], a, sizeof a);
	if (!s->f[0].name[0])
		for (int i = 1; i < s->n; i++)
			if (s->f[i].name[0]) {
				snprintf(out, len, "%s<%s", a, gl_frame_label(&s->f[i], b, sizeof b));
				return;
			}
	snprintf(out, len, "%s", a);
}

/* Unwinds a stopped thread from its saved state; one retry with the maps
 * read again when a frame is in no known module (a library loaded since). */
static int unwind_saved(ctx *c, int tid, const gl_thread_state *st, gl_stack *s)
{
	uint64_t regs[GL_ARCH_DWARF_REGS];
	unsigned n = gl_arch_dwarf_regs(st, regs);
	if (gl_unwind(c->uw, tid, regs, n, s) < 0)
		return -1;
	for (int i = 0; i < s->n; i++)
		if (s->f[i].lib == GL_LIB_NONE) {
			if (gl_unwinder_refresh(c->uw) == 0)
				return gl_unwind(c->uw, tid, regs, n, s);
			break;
		}
	return 0;
}

/* ---- step 2: an idle thread ------------------------------------------------------ */

static int add_tracee(ctx *c, int tid);
static void release_all(ctx *c, int keep);

typedef struct {
	int tid;
	long nr;
	gl_sys_kind kind;
} cand;

static int cand_cmp(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1; /* restartable before EINTR-visible */
	return 0;
}

/* Threads blocked in a system call the injector may use, as /proc says
 * (nothing is stopped): restartable calls first, the main thread first
 * among them. Into *out (caller frees); count, or -1 (process gone). */
static int list_candidates(ctx *c, cand **out)
{
	*out = NULL;
	int *tids = NULL;
	int n = gl_task_list(c->pid, &tids);
	if (n <= 0) {
		free(tids);
		return -1;
	}
	cand *cs = gl_calloc_array((size_t)n, sizeof *cs);
	if (!cs) {
		free(tids);
		return -1;
	}
	int nc = 0;
	for (int i = 0; i < n; i++) {
		char state;
		unsigned long long cpu;
		gl_task_syscall sc;
		if (gl_task_sample(c->pid, tids[i], &state, &cpu) < 0 || state != 'S')
			continue;
		if (gl_task_syscall_read(c->pid, tids[i], &sc) < 0 || sc.state != 1)
			continue;
		gl_sys_kind kind = gl_arch_syscall_kind(sc.nr, sc.args);
		if (kind == GL_SYS_NOT_BLOCKING)
			continue;
		cs[nc].tid = tids[i];
		cs[nc].nr = sc.nr;
		cs[nc].kind = kind;
		nc++;
	}
	free(tids);
	/* stable: the main thread first within a kind, then the order of /proc */
	for (int i = 1; i < nc; i++)
		for (int j = i; j > 0 && cand_cmp(&cs[j - 1], &cs[j]) > 0; j--) {
			cand t = cs[j];
			cs[j] = cs[j - 1];
			cs[j - 1] = t;
		}
	*out = cs;
	return nc;
}

/*
 * Judges a thread stopped by our PTRACE_INTERRUPT while blocked in the
 * system call k->nr: its registers (still in that call, the system call
 * instruction just before its pc), its unwound stack (verdict.h) and its
 * stack room. 1: safe, its state in c->saved and the result's where/how
 * set; 0: not safe (its state freed); -1: out of memory.
 */
static int judge_idle(ctx *c, const cand *k, double t_interrupt)
{
	int tid = k->tid;
	char why[512], sysname[32], e[256];
	gl_thread_state st;
	memset(&st, 0, sizeof st);
	c->t_stopped = now_s();
	int safe = gl_arch_save(tid, &st, e, sizeof e) == 0;
	if (!safe)
		snprintf(why, sizeof why, "%s", e);
	long nr = safe ? gl_arch_syscall_nr(&st) : -1;
	if (safe) {
		if (nr < 0 || !gl_arch_syscall_insn_before(c->pid, gl_arch_pc(&st))) {
			snprintf(why, sizeof why, "it is not in a system call any more");
			safe = 0;
		} else if (nr != k->nr) {
			snprintf(why, sizeof why, "it moved on to %s", gl_arch_syscall_name(nr, sysname, sizeof sysname));
			safe = 0;
		}
	}
	gl_stack *s = calloc(1, sizeof *s);
	if (!s) {
		gl_arch_state_free(&st);
		return -1;
	}
	double t_unwind = now_s();
	if (safe && unwind_saved(c, tid, &st, s) < 0) {
		snprintf(why, sizeof why, "its stack could not be read (%s)", s->why);
		safe = 0;
	}
	if (safe && gl_verdict_idle(s, gl_arch_syscall_is_futex(nr), why, sizeof why) < 0)
		safe = 0;
	if (safe && stack_ok(c, &st, why, sizeof why) < 0)
		safe = 0;
	c->r->threads_judged++;
	if (c->o->verbose) {
		char d[1024];
		describe(s, d, sizeof d);
		say(c, "thread %d in %s (stopped in %.4f s, unwound in %.4f s): %s | %s", tid,
		    gl_arch_syscall_name(k->nr, sysname, sizeof sysname), c->t_stopped - t_interrupt,
		    now_s() - t_unwind, safe ? "safe" : why, d);
	}
	if (safe) {
		char w[400];
		where_of(s, w, sizeof w);
		snprintf(c->r->where, sizeof c->r->where, "idle thread %d in %s", tid, w);
		snprintf(c->r->how, sizeof c->r->how, "idle");
		gl_arch_state_free(&c->saved);
		c->saved = st;
	} else {
		gl_arch_state_free(&st);
	}
	free(s);
	return safe;
}

/* A stop of a thread we interrupted that is not yet the interrupt's trap:
 * 0 when it was dealt with (wait again), 1 when it is the trap, -1 when the
 * thread is gone. A group stop (SIGSTOP to the process) is let stand until
 * SIGCONT; a signal on its way to a handler is held back (with our mask set,
 * the kernel queues it again) to be delivered after the restore, or, if it
 * cannot be held, delivered now (the thread is then in its handler: not
 * idle, the verdict will say so). */
static int interrupt_stop(ctx *c, int tid, int status)
{
	int sig;
	switch (decode(status, &sig)) {
	case STOP_GONE:
		return -1;
	case STOP_TRAP:
		return 1;
	case STOP_GROUP:
		ptrace(PTRACE_LISTEN, tid, NULL, NULL);
		return 0;
	case STOP_SIGNAL:
		(void)hold_signals(c, tid); /* if it cannot be held, it is delivered now */
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
		return 0;
	default:
		ptrace(PTRACE_CONT, tid, NULL, NULL);
		return 0;
	}
}

/* Undoes hold_signals() for a thread that will not make the calls. */
static int release_mask(ctx *c, int tid)
{
	char e[256];
	if (c->mask_set && restore_mask(c, tid, e, sizeof e) < 0) {
		fail(c, GL_INJECT_FAIL, "%s", e);
		return -1;
	}
	return 0;
}

/*
 * Seizes and judges one thread blocked in a system call. Returns 1 when the
 * calls were made from it (c->r->status says how they went), 0 when it is
 * not safe (it was detached untouched), -1 on a fatal error (status set).
 */
static int try_idle(ctx *c, const cand *k)
{
	int tid = k->tid;
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
		if (errno == ESRCH)
			return 0;
		if (errno == EPERM) {
			gl_proc_status ps;
			if (gl_proc_status_read(c->pid, 0, &ps) == 0 && ps.tracer) {
				fail(c, GL_INJECT_TRACED, "process %d is already being traced by process %ld (a debugger or "
						       "strace): only one tracer at a time. Detach it first, or use --signal.",
				     c->pid, ps.tracer);
				return -1;
			}
		}
		fail(c, errno == EPERM ? GL_INJECT_PERM : GL_INJECT_FAIL, "ptrace(PTRACE_SEIZE) of thread %d: %s", tid,
		     strerror(errno));
		return -1;
	}
	if (!c->t_seized)
		c->t_seized = now_s();
	double t_int = now_s();
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	for (;;) {
		int status;
		int w = wait_stop(c, tid, &status, c->o->timeout > STOP_BOUND ? c->o->timeout : STOP_BOUND, 0);
		if (w == 0) {
			/* not stopping (an uninterruptible sleep that lasts): it cannot
			 * be detached before it stops; gl_inject() lets it go at the end */
			say(c, "thread %d did not stop; leaving it", tid);
			if (add_tracee(c, tid) < 0) {
				fail(c, GL_INJECT_FAIL, "out of memory");
				return -1;
			}
			return 0;
		}
		int rc = w > 0 ? interrupt_stop(c, tid, status) : -1;
		if (rc == 0)
			continue;
		if (rc < 0) {
			ptrace(PTRACE_DETACH, tid, NULL, NULL);
			return release_mask(c, tid) < 0 ? -1 : 0;
		}
		break;
	}
	int safe = judge_idle(c, k, t_int);
	if (safe < 0 || !safe || interrupted(c)) {
		if (safe < 0)
			fail(c, GL_INJECT_FAIL, "out of memory");
		int bad = release_mask(c, tid) < 0 || safe < 0;
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return bad ? -1 : 0;
	}
	make_calls(c, tid);
	return 1;
}

static gl_inject_status find_idle(ctx *c, awake *a, int *done)
{
	*done = 0;
	cand *cs = NULL;
	int nc = list_candidates(c, &cs);
	if (nc < 0)
		return process_alive(c) ? fail(c, GL_INJECT_FAIL, "cannot list the threads of process %d", c->pid)
					: fail(c, GL_INJECT_EXITED, "process %d exited", c->pid);
	gl_inject_status st = GL_INJECT_OK;
	for (int i = 0; i < nc && !*done; i++) {
		if (interrupted(c) || awake_tick(a) >= c->o->timeout)
			break;
		if (try_idle(c, &cs[i]) != 0) {
			st = c->r->status;
			*done = 1;
		}
	}
	free(cs);
	return st;
}

/* ---- step 3: an allocator's entry ---------------------------------------------------- */

static tracee *find_tracee(ctx *c, int tid)
{
	for (size_t i = 0; i < c->th.n; i++)
		if (c->th.v[i].tid == tid)
			return &c->th.v[i];
	return NULL;
}

static bpoint *find_bp(ctx *c, uint64_t addr)
{
	for (size_t i = 0; i < c->bps.n; i++)
		if (c->bps.v[i].addr == addr)
			return &c->bps.v[i];
	return NULL;
}

/* Every allocator entry in every module, checked against the file. */
static int collect_bps(ctx *c)
{
	for (size_t i = 0; i < c->maps.n; i++) {
		const gl_map *g = &c->maps.v[i];
		if (!g->path || g->path[0] != '/' || g->offset != 0 || !strchr(g->perms, 'r'))
			continue;
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			if (c->maps.v[j].path && c->maps.v[j].offset == 0 && strcmp(c->maps.v[j].path, g->path) == 0)
				seen = 1;
		if (seen)
			continue;
		gl_image img;
		char err[256];
		if (gl_image_open(c->pid, &c->maps, g, &img, err, sizeof err) < 0)
			continue;
		for (const char *const *nm = gl_alloc_entries; *nm; nm++) {
			uint64_t size = 0, a = gl_image_symbol(&img, *nm, &size);
			unsigned char fb, mb;
			if (!a || size == 0 || find_bp(c, a))
				continue;
			if (gl_image_read(&img, a, &fb, 1) < 0 || gl_mem_read(c->pid, a, &mb, 1) < 0 || fb != mb ||
			    mb == gl_arch_break_insn[0])
				continue; /* not the file's code there: someone else's breakpoint? */
			bpoint b = {a, mb, 0, *nm, ""};
			const char *base = strrchr(g->path, '/') + 1;
			snprintf(b.module, sizeof b.module, "%s", base);
			if (gl_vec_push(&c->bps, b) < 0) {
				gl_image_close(&img);
				return -1;
			}
		}
		gl_image_close(&img);
	}
	c->r->breakpoints = (int)c->bps.n;
	return 0;
}

static int set_bps(ctx *c, int on)
{
	int rc = 0;
	for (size_t i = 0; i < c->bps.n; i++) {
		bpoint *b = &c->bps.v[i];
		if (b->inserted == on)
			continue;
		const unsigned char *bytes = on ? gl_arch_break_insn : &b->orig;
		if (gl_mem_poke(c->memfd, b->addr, bytes, GL_ARCH_BREAK_LEN) < 0)
			rc = -1;
		else
			b->inserted = on;
	}
	return rc;
}

static int add_tracee(ctx *c, int tid)
{
	if (find_tracee(c, tid))
		return 0;
	tracee t = {tid, 0, 0, 0};
	return gl_vec_push(&c->th, t);
}

/*
 * Seizes every thread and stops it, following new ones, until a listing of
 * /proc/PID/task shows no thread we do not trace. They are stopped while
 * they are counted because running threads come and go under the listing
 * (readdir of /proc/PID/task can skip a thread when another exits meanwhile:
 * seen here with a thread started every few milliseconds), and a thread left
 * untraced would die of the first int3 it met, and the process with it.
 * Once they are all held, new threads can only come from traced ones
 * (PTRACE_O_TRACECLONE attaches them). resume_all() lets them go.
 */
static gl_inject_status seize_all(ctx *c)
{
	for (int round = 0; round < 100; round++) {
		int *tids = NULL;
		int n = gl_task_list(c->pid, &tids);
		if (n <= 0) {
			free(tids);
			return fail(c, GL_INJECT_EXITED, "process %d exited", c->pid);
		}
		int added = 0;
		for (int i = 0; i < n; i++) {
			if (find_tracee(c, tids[i]))
				continue;
			if (ptrace(PTRACE_SEIZE, tids[i], NULL, (void *)(long)PTRACE_O_TRACECLONE) < 0) {
				if (errno == ESRCH)
					continue;
				int e = errno;
				free(tids);
				return fail(c, e == EPERM ? GL_INJECT_PERM : GL_INJECT_FAIL,
					    "ptrace(PTRACE_SEIZE) of thread %d: %s", tids[i], strerror(e));
			}
			ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL);
			if (!c->t_seized)
				c->t_seized = now_s();
			if (add_tracee(c, tids[i]) < 0) {
				free(tids);
				return fail(c, GL_INJECT_FAIL, "out of memory");
			}
			added++;
		}
		free(tids);
		/* every one of them stopped (and the threads they started) */
		for (;;) {
			int pending = 0;
			for (size_t i = 0; i < c->th.n; i++)
				pending |= !c->th.v[i].stopped && !c->th.v[i].detached;
			if (!pending)
				break;
			int status;
			int w = wait_stop(c, -1, &status, STOP_BOUND, 0);
			if (w <= 0)
				return fail(c, GL_INJECT_FAIL, "a thread of process %d did not stop (in an uninterruptible "
							       "wait?)", c->pid);
			if (!find_tracee(c, w) && add_tracee(c, w) < 0)
				return fail(c, GL_INJECT_FAIL, "out of memory");
			tracee *t = find_tracee(c, w);
			int sig;
			enum stop k = decode(status, &sig);
			if (k == STOP_GONE) {
				t->detached = 1;
				continue;
			}
			if (k == STOP_CLONE) {
				unsigned long msg = 0;
				if (ptrace(PTRACE_GETEVENTMSG, w, NULL, &msg) == 0 && msg && add_tracee(c, (int)msg) < 0)
					return fail(c, GL_INJECT_FAIL, "out of memory");
				t = find_tracee(c, w);
			}
			t->stopped = 1;
			t->status = status;
		}
		if (!added)
			return GL_INJECT_OK;
	}
	return fail(c, GL_INJECT_FAIL, "the threads of process %d kept changing", c->pid);
}

/* Lets every thread seize_all() holds go on: signals passed on, a group
 * stop kept (until SIGCONT). */
static void resume_all(ctx *c)
{
	for (size_t i = 0; i < c->th.n; i++) {
		tracee *t = &c->th.v[i];
		if (t->detached || !t->stopped)
			continue;
		int sig;
		enum stop k = decode(t->status, &sig);
		if (k == STOP_GROUP)
			ptrace(PTRACE_LISTEN, t->tid, NULL, NULL);
		else
			ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)(k == STOP_SIGNAL ? sig : 0));
		t->stopped = 0;
	}
}

/* A thread stopped at its SIGTRAP signal stop or interrupt stop: was it one
 * of our int3s? (its pc just after one, the trap sent by the kernel) */
static bpoint *hit_bp(ctx *c, int tid, gl_thread_state *st)
{
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) < 0 || si.si_signo != SIGTRAP ||
	    (si.si_code != SI_KERNEL && si.si_code <= 0))
		return NULL;
	return find_bp(c, gl_arch_break_addr(gl_arch_pc(st)));
}

/* Detaches a thread in the stop `status`, undoing a breakpoint hit it had
 * (pc back on the instruction, the trap not delivered); other signals are
 * delivered. */
static void release(ctx *c, tracee *t, int status)
{
	int sig;
	enum stop k = decode(status, &sig);
	gl_thread_state st;
	char e[256];
	memset(&st, 0, sizeof st);
	if (k == STOP_SIGNAL && sig == SIGTRAP && gl_arch_save(t->tid, &st, e, sizeof e) == 0) {
		bpoint *b = hit_bp(c, t->tid, &st);
		if (b) {
			gl_arch_set_pc(&st, b->addr);
			gl_arch_set_gp(t->tid, &st);
			sig = 0;
		}
		gl_arch_state_free(&st);
	} else if (k == STOP_TRAP && gl_arch_save(t->tid, &st, e, sizeof e) == 0) {
		/* an int3 executed but its SIGTRAP not yet dequeued: rewind, let the
		 * kernel dequeue it into a signal stop, and drop it there */
		gl_proc_status ps;
		bpoint *b = find_bp(c, gl_arch_break_addr(gl_arch_pc(&st)));
		sig = 0;
		if (b && gl_proc_status_read(c->pid, t->tid, &ps) == 0 && (ps.sigpnd & (1ULL << (SIGTRAP - 1)))) {
			gl_arch_set_pc(&st, b->addr);
			int s2;
			if (gl_arch_set_gp(t->tid, &st) == 0 && ptrace(PTRACE_CONT, t->tid, NULL, NULL) == 0 &&
			    wait_stop(c, t->tid, &s2, STOP_BOUND, 0) > 0 && decode(s2, &sig) == STOP_SIGNAL && sig != SIGTRAP) {
				/* another signal came first: delivered; the trap stays
				 * pending with the pc on the instruction (harmless only
				 * if handled: say so) */
				say(c, "thread %d: signal %d arrived before a breakpoint's trap", t->tid, sig);
			} else {
				sig = 0;
			}
		}
		gl_arch_state_free(&st);
	} else if (k != STOP_SIGNAL) {
		sig = 0;
	}
	ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)sig);
	t->detached = 1;
	t->stopped = 0;
}

/* Stops and detaches every traced thread but `keep`. */
static void release_all(ctx *c, int keep)
{
	for (size_t i = 0; i < c->th.n; i++) {
		tracee *t = &c->th.v[i];
		if (t->detached || t->tid == keep)
			continue;
		if (!t->stopped)
			ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL);
	}
	for (int guard = 0; guard < 100000; guard++) {
		int pending = 0;
		for (size_t i = 0; i < c->th.n; i++) {
			tracee *t = &c->th.v[i];
			if (t->detached || t->tid == keep)
				continue;
			if (t->stopped) {
				int sig;
				enum stop k = decode(t->status, &sig);
				if (k == STOP_CLONE) { /* a new thread: it has its own stop to come */
					unsigned long msg = 0;
					if (ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &msg) == 0 && msg)
						add_tracee(c, (int)msg);
					t = &c->th.v[i];
				}
				release(c, t, t->status);
				continue;
			}
			pending = 1;
		}
		if (!pending)
			return;
		int status;
		int w = wait_stop(c, -1, &status, STOP_BOUND, 0);
		if (w <= 0) {
			/* a thread that does not stop: nothing more can be done but
			 * leave it traced until we exit (the kernel detaches it) */
			return;
		}
		tracee *t = find_tracee(c, w);
		if (!t) {
			if (add_tracee(c, w) < 0)
				return;
			t = find_tracee(c, w);
		}
		int sig;
		if (decode(status, &sig) == STOP_GONE) {
			t->detached = 1;
			continue;
		}
		t->stopped = 1;
		t->status = status;
	}
}

/* A hit that is not safe: over the original instruction in one step, then
 * the int3 back, and on. */
static int step_over(ctx *c, int tid, bpoint *b, gl_thread_state *st)
{
	gl_arch_set_pc(st, b->addr);
	if (gl_arch_set_gp(tid, st) < 0)
		return -1;
	if (gl_mem_poke(c->memfd, b->addr, &b->orig, GL_ARCH_BREAK_LEN) < 0)
		return -1;
	b->inserted = 0;
	int sig = 0;
	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) == 0) {
		int status;
		int w = wait_stop(c, tid, &status, STOP_BOUND * 5, 0);
		if (w > 0) {
			enum stop k = decode(status, &sig);
			if (k == STOP_GONE) {
				set_bps(c, 1);
				return 1;
			}
			if (k != STOP_SIGNAL || sig == SIGTRAP)
				sig = 0;
		}
	}
	if (set_bps(c, 1) < 0)
		return -1;
	return ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) < 0 && errno != ESRCH ? -1 : 0;
}

typedef enum { EV_DONE, EV_HIT, EV_GONE, EV_OOM } alloc_ev;

/*
 * One event of a thread traced on the allocator path, other than the one
 * being judged: a new thread (followed), a group stop (let stand until
 * SIGCONT), a signal (passed on), or a hit of one of our breakpoints, which
 * is returned (EV_HIT, the thread stopped, its state in *hs with the pc back
 * on the breakpoint, the breakpoint in *bp) for the caller to decide.
 */
static alloc_ev alloc_event(ctx *c, int w, int status, gl_thread_state *hs, bpoint **bp)
{
	tracee *t = find_tracee(c, w);
	if (!t) { /* a new thread (PTRACE_O_TRACECLONE), seen before its parent's event */
		if (add_tracee(c, w) < 0)
			return EV_OOM;
		t = find_tracee(c, w);
	}
	int sig;
	switch (decode(status, &sig)) {
	case STOP_GONE:
		t->detached = 1;
		return process_alive(c) ? EV_DONE : EV_GONE;
	case STOP_CLONE: {
		unsigned long msg = 0;
		if (ptrace(PTRACE_GETEVENTMSG, w, NULL, &msg) == 0 && msg && add_tracee(c, (int)msg) < 0)
			return EV_OOM;
		ptrace(PTRACE_CONT, w, NULL, NULL);
		return EV_DONE;
	}
	case STOP_GROUP:
		ptrace(PTRACE_LISTEN, w, NULL, NULL); /* stopped it is, until SIGCONT */
		return EV_DONE;
	case STOP_TRAP:
	case STOP_EVENT:
		ptrace(PTRACE_CONT, w, NULL, NULL);
		return EV_DONE;
	case STOP_SIGNAL:
		break;
	}
	char e[256];
	*bp = NULL;
	if (sig == SIGTRAP && gl_arch_save(w, hs, e, sizeof e) == 0) {
		*bp = hit_bp(c, w, hs);
		if (*bp) {
			gl_arch_set_pc(hs, (*bp)->addr);
			return EV_HIT;
		}
		gl_arch_state_free(hs);
	}
	ptrace(PTRACE_CONT, w, NULL, (void *)(long)sig); /* not ours: passed on */
	return EV_DONE;
}

/* A breakpoint hit that is not to be used once the breakpoints are out:
 * the pc back on the instruction, the trap dropped, on it goes. */
static void undo_hit(int w, gl_thread_state *hs)
{
	gl_arch_set_gp(w, hs);
	gl_arch_state_free(hs);
	ptrace(PTRACE_CONT, w, NULL, NULL);
}

/*
 * On the allocator path, a thread that /proc shows blocked in a system call
 * (it came to one since the idle search, or the search caught it running):
 * the breakpoints come out, it is interrupted and judged as an idle thread.
 * 1: it is safe (the breakpoints stay out); 0: not (it goes on, the
 * breakpoints go back in); -1: fatal (status set).
 */
static int idle_in_alloc(ctx *c, const cand *k)
{
	int tid = k->tid;
	if (set_bps(c, 0) < 0) {
		fail(c, GL_INJECT_FAIL, "cannot remove a breakpoint from process %d: %s", c->pid, strerror(errno));
		return -1;
	}
	double t_int = now_s();
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	int stopped = 0;
	for (;;) {
		int status;
		int w = wait_stop(c, -1, &status, STOP_BOUND, 0);
		if (w <= 0)
			break; /* it does not stop: its trap, when it comes, is let go by the main loop */
		gl_thread_state hs;
		bpoint *b = NULL;
		if (w != tid) {
			alloc_ev ev = alloc_event(c, w, status, &hs, &b);
			if (ev == EV_HIT)
				undo_hit(w, &hs);
			else if (ev == EV_GONE || ev == EV_OOM) {
				fail(c, ev == EV_GONE ? GL_INJECT_EXITED : GL_INJECT_FAIL, "%s",
				     ev == EV_GONE ? "the process exited" : "out of memory");
				return -1;
			}
			continue;
		}
		int sig;
		if (decode(status, &sig) == STOP_SIGNAL && sig == SIGTRAP) {
			char e[256];
			if (gl_arch_save(w, &hs, e, sizeof e) == 0) {
				b = hit_bp(c, w, &hs);
				if (b) { /* it had run into a breakpoint: not idle any more */
					gl_arch_set_pc(&hs, b->addr);
					undo_hit(w, &hs);
					continue;
				}
				gl_arch_state_free(&hs);
			}
		}
		int rc = interrupt_stop(c, tid, status);
		if (rc == 0)
			continue;
		if (rc < 0) {
			tracee *t = find_tracee(c, tid);
			if (t)
				t->detached = 1;
		}
		stopped = rc > 0;
		break;
	}
	int safe = stopped ? judge_idle(c, k, t_int) : 0;
	if (safe < 0) {
		fail(c, GL_INJECT_FAIL, "out of memory");
		return -1;
	}
	if (safe > 0 && !interrupted(c))
		return 1;
	if (release_mask(c, tid) < 0)
		return -1;
	if (stopped)
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	if (set_bps(c, 1) < 0) {
		fail(c, GL_INJECT_FAIL, "cannot write a breakpoint into process %d: %s", c->pid, strerror(errno));
		return -1;
	}
	return 0;
}

/* Judges a breakpoint hit (the thread stopped at an allocator's first
 * instruction). 1: safe (where/how set), 0: not. */
static int judge_hit(ctx *c, int w, bpoint *b, gl_thread_state *hs)
{
	char why[512];
	int safe = 1;
	gl_stack *s = calloc(1, sizeof *s);
	if (!s || unwind_saved(c, w, hs, s) < 0) {
		snprintf(why, sizeof why, "its stack could not be read");
		safe = 0;
	}
	if (safe && gl_verdict_alloc(s, why, sizeof why) < 0)
		safe = 0;
	if (safe && stack_ok(c, hs, why, sizeof why) < 0)
		safe = 0;
	c->r->threads_judged++;
	if (c->o->verbose && s) {
		char d[1024];
		describe(s, d, sizeof d);
		say(c, "hit %d: thread %d at %s[%s]: %s | %s", c->r->breakpoint_hits, w, b->name, b->module,
		    safe ? "safe" : why, d);
	}
	if (safe) {
		char wh[400];
		where_of(s, wh, sizeof wh);
		snprintf(c->r->where, sizeof c->r->where, "at an allocator's entry: thread %d in %s", w, wh);
		snprintf(c->r->how, sizeof c->r->how, "alloc");
	}
	free(s);
	return safe;
}

/* A thread judged not idle-safe, remembered so that the search does not
 * stop it again while it stays in the same call. */
typedef struct {
	int tid;
	long nr;
} rejected;

static gl_inject_status find_alloc(ctx *c, awake *a)
{
	if (collect_bps(c) < 0)
		return fail(c, GL_INJECT_FAIL, "out of memory");
	if (!c->bps.n)
		return fail(c, GL_INJECT_NOSAFEPOINT,
			    "no thread of process %d is idle, and no allocator function was found to wait at", c->pid);
	c->memfd = gl_mem_open(c->pid);
	if (c->memfd < 0)
		return fail(c, GL_INJECT_PERM, "cannot open /proc/%d/mem: %s", c->pid, strerror(errno));
	gl_inject_status st = seize_all(c);
	if (st != GL_INJECT_OK) {
		release_all(c, 0);
		return st;
	}
	/* written while every thread is held */
	if (set_bps(c, 1) < 0) {
		int e = errno;
		set_bps(c, 0);
		release_all(c, 0);
		return fail(c, GL_INJECT_FAIL, "cannot write a breakpoint into process %d: %s", c->pid, strerror(e));
	}
	resume_all(c);
	say(c, "no idle thread: waiting at %zu allocator entries (%zu threads traced)", c->bps.n, c->th.n);
	int chosen = 0;
	const char *stop_why = NULL;
	gl_vec(rejected) rej = {0};
	double next_scan = awake_tick(a) + 0.1;
	while (!chosen && !stop_why) {
		double aw = awake_tick(a);
		if (interrupted(c))
			stop_why = "interrupted";
		else if (aw >= c->o->timeout)
			stop_why = "timeout";
		else if (c->r->breakpoint_hits >= MAX_HITS)
			stop_why = "hits";
		if (stop_why)
			break;
		if (aw >= next_scan) { /* a thread that has come to block in a system call meanwhile */
			next_scan = aw + 0.1;
			cand *cs = NULL;
			int nc = list_candidates(c, &cs);
			for (int i = 0; i < nc && !chosen; i++) {
				size_t j = 0;
				while (j < rej.n && !(rej.v[j].tid == cs[i].tid && rej.v[j].nr == cs[i].nr))
					j++;
				if (j < rej.n || !find_tracee(c, cs[i].tid))
					continue;
				int rc = idle_in_alloc(c, &cs[i]);
				if (rc < 0) {
					stop_why = "fatal";
					break;
				}
				if (rc > 0)
					chosen = cs[i].tid;
				else if (gl_vec_push(&rej, ((rejected){cs[i].tid, cs[i].nr})) < 0)
					stop_why = "oom";
			}
			free(cs);
			continue;
		}
		int status;
		int w = wait_stop(c, -1, &status, 0.1, 1);
		if (w == 0)
			continue;
		if (w < 0) {
			stop_why = "gone";
			break;
		}
		gl_thread_state hs;
		bpoint *b = NULL;
		alloc_ev ev = alloc_event(c, w, status, &hs, &b);
		if (ev == EV_GONE)
			stop_why = "gone";
		else if (ev == EV_OOM)
			stop_why = "oom";
		if (ev != EV_HIT)
			continue;
		c->r->breakpoint_hits++;
		double t_hit = now_s();
		if (judge_hit(c, w, b, &hs)) {
			gl_arch_state_free(&c->saved);
			c->saved = hs;
			chosen = w;
			c->t_stopped = t_hit;
		} else {
			int rc = step_over(c, w, b, &hs);
			gl_arch_state_free(&hs);
			if (rc < 0)
				stop_why = "step";
		}
	}
	gl_vec_free(&rej);
	/* the breakpoints out, the other threads let go (their late traps undone) */
	int bp_rc = set_bps(c, 0);
	if (chosen) {
		tracee *t = find_tracee(c, chosen);
		if (t)
			t->detached = 1; /* make_calls() detaches it */
		ptrace(PTRACE_SETOPTIONS, chosen, NULL, NULL); /* the helper thread it creates is not traced */
	}
	release_all(c, chosen);
	if (bp_rc < 0) {
		int e = errno;
		if (chosen) { /* back as it was (an alloc hit: its pc on the instruction, the trap dropped) */
			gl_arch_set_gp(chosen, &c->saved);
			release_mask(c, chosen);
			ptrace(PTRACE_DETACH, chosen, NULL, NULL);
		}
		return fail(c, GL_INJECT_FAIL, "cannot remove a breakpoint from process %d: %s", c->pid, strerror(e));
	}
	if (chosen)
		return make_calls(c, chosen);
	if (strcmp(stop_why, "fatal") == 0)
		return c->r->status;
	if (strcmp(stop_why, "gone") == 0)
		return fail(c, GL_INJECT_EXITED, "process %d exited while graphleak waited for a safe point", c->pid);
	if (strcmp(stop_why, "interrupted") == 0)
		return fail(c, GL_INJECT_INTERRUPTED, "interrupted before anything was loaded into process %d; it "
						     "was left running", c->pid);
	if (strcmp(stop_why, "hits") == 0)
		return fail(c, GL_INJECT_NOSAFEPOINT, "%d allocator calls, none from a safe point", MAX_HITS);
	if (strcmp(stop_why, "timeout") == 0 && c->r->breakpoint_hits)
		return fail(c, GL_INJECT_NOSAFEPOINT,
			    "every thread was busy, and none of %d allocator calls came from a safe point",
			    c->r->breakpoint_hits);
	if (strcmp(stop_why, "timeout") == 0)
		return fail(c, GL_INJECT_NOSAFEPOINT, "every thread was busy in code that neither blocked nor allocated");
	return fail(c, GL_INJECT_FAIL, "waiting for a safe point in process %d failed (%s)", c->pid, stop_why);
}

/* ---- the whole thing -------------------------------------------------------------------- */

gl_inject_status gl_inject(const gl_inject_opts *o, gl_inject_result *r)
{
	memset(r, 0, sizeof *r);
	ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(r->message, sizeof r->message, "out of memory");
		return r->status = GL_INJECT_FAIL;
	}
	c->o = o;
	c->r = r;
	c->pid = o->pid;
	c->memfd = -1;
	c->libc.fd = c->libdl.fd = -1;
	c->t0 = now_s();
	sigemptyset(&c->chld);
	sigaddset(&c->chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &c->chld, &c->old_mask);
	r->status = GL_INJECT_OK;
	gl_inject_status st = preflight(c);
	say(c, "preflight %.4f s (%zu mappings; dlopen at %#llx)", now_s() - c->t0, c->maps.n,
	    (unsigned long long)c->f_dlopen);
	if (st == GL_INJECT_OK) {
		awake a;
		awake_start(&a);
		int done = 0;
		if (o->path != GL_INJECT_ALLOC_ONLY)
			st = find_idle(c, &a, &done);
		if (!done && st == GL_INJECT_OK) {
			if (interrupted(c))
				st = fail(c, GL_INJECT_INTERRUPTED,
					  "interrupted before anything was loaded into process %d; it was left running", c->pid);
			else if (o->path == GL_INJECT_IDLE_ONLY)
				st = fail(c, GL_INJECT_NOSAFEPOINT, "no thread of process %d is idle at a safe point", c->pid);
			else
				st = find_alloc(c, &a);
		}
	}
	st = r->status;
	/* a thread that did not stop when it was judged, still traced */
	for (size_t i = 0; i < c->th.n; i++)
		if (!c->th.v[i].detached) {
			release_all(c, 0);
			break;
		}
	if (c->t_seized)
		r->traced_seconds = now_s() - c->t_seized;
	r->total_seconds = now_s() - c->t0;
	/* SIGCHLDs of the ptrace stops: consumed, then the old mask */
	struct timespec zero = {0, 0};
	while (sigtimedwait(&c->chld, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	if (c->memfd >= 0)
		close(c->memfd);
	gl_arch_state_free(&c->saved);
	gl_unwinder_free(c->uw);
	gl_image_close(&c->libc);
	gl_image_close(&c->libdl);
	gl_maps_free(&c->maps);
	gl_vec_free(&c->bps);
	gl_vec_free(&c->th);
	free(c);
	return st;
}
