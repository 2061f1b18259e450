/*
 * inject.h - load a library into a running process and call one function
 * of it, with ptrace, at a safe point, leaving every thread as it was.
 *
 * gl_inject() stops one thread of the process at a point where it holds no
 * lock of libc's allocator, loader or thread code (verdict.h), saves its
 * whole state (general registers, the extended state at the kernel's size,
 * the signal mask, errno), makes it call
 *
 *     dlopen(library, RTLD_NOW | RTLD_NODELETE); dlsym(handle, symbol); symbol(arg)
 *
 * with asynchronous signals held back, then restores the state, checks that
 * it reads back identical, and detaches. The interrupted system call (if the
 * thread was blocked in one) is restarted by the kernel as if the thread had
 * never stopped. No debugger is involved; docs/attach.md has the why of each
 * step.
 *
 * The other threads keep running throughout, except on the allocator path
 * (no thread was idle), where they are traced (not stopped) while breakpoints
 * wait for the first safe allocator entry.
 */
#ifndef GRAPHLEAK_INJECT_H
#define GRAPHLEAK_INJECT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	GL_INJECT_OK = 0,
	GL_INJECT_NOPROC,      /* no such process */
	GL_INJECT_PERM,        /* the kernel refused ptrace */
	GL_INJECT_TRACED,      /* already traced by another process */
	GL_INJECT_STOPPED,     /* stopped (SIGSTOP, a debugger), before or during the search */
	GL_INJECT_UNSUPPORTED, /* a process this injector must not touch (message says why) */
	GL_INJECT_NOSAFEPOINT, /* no thread reached a safe point in time */
	GL_INJECT_INTERRUPTED, /* *interrupted was set before the calls began */
	GL_INJECT_EXITED,      /* the process exited meanwhile */
	GL_INJECT_LOADFAIL,    /* dlopen() failed in the process (message has dlerror()) */
	GL_INJECT_NOSYMBOL,    /* the library has no such function */
	GL_INJECT_CALLFAIL,    /* a call faulted or never returned; the thread was restored */
	GL_INJECT_FAIL,        /* anything else */
} gl_inject_status;

enum { GL_INJECT_ANY = 0, GL_INJECT_IDLE_ONLY, GL_INJECT_ALLOC_ONLY };

typedef struct gl_inject_opts {
	int pid;
	const char *library;  /* absolute path, as the process sees it */
	const char *symbol;   /* int symbol(const char *arg) */
	const char *arg;
	double timeout;       /* seconds to reach a safe point (time graphleak was awake) */
	int path;             /* GL_INJECT_ANY, or one path only (tests, benchmark) */
	int verbose;          /* each thread's verdict and each step, on stderr */
	const char *log_prefix; /* for those lines ("graphleak dump: ") */
	volatile sig_atomic_t *interrupted; /* a signal handler sets it: give up (never mid-call) */
} gl_inject_opts;

typedef struct gl_inject_result {
	gl_inject_status status;
	char message[2048];      /* what went wrong, for people */
	long retval;             /* symbol(arg)'s return value */
	int tid;                 /* the thread that made the calls */
	char how[8];             /* "idle" or "alloc" */
	char where[512];         /* "idle thread 4242 in accept4[libc]" */
	double total_seconds;    /* start to the last detach */
	double traced_seconds;   /* first thread seized to the last detached */
	double stopped_seconds;  /* the calling thread stopped (calls included) */
	double calls_seconds;    /* the four calls */
	size_t ext_bytes;        /* the extended register state, as the kernel sizes it */
	int threads_judged;
	int breakpoint_hits;
	int breakpoints;
} gl_inject_result;

/* Does it. Returns r->status. */
gl_inject_status gl_inject(const gl_inject_opts *o, gl_inject_result *r);

/* A short name: "ok", "permission", ... */
const char *gl_inject_status_name(gl_inject_status s);

#endif /* GRAPHLEAK_INJECT_H */
