/*
 * inject_probe.c - the injector (attach/inject.h) on its own, for the tests
 * and the benchmark, and an independent reader of a thread's whole state.
 *
 *   inject-probe inject PID LIBRARY SYMBOL ARG [--idle|--alloc] [--timeout S] [-v]
 *       loads LIBRARY into PID and calls SYMBOL(ARG); prints one JSON line
 *       (status, retval, tid, how, where, seconds...); exit 0 when it
 *       succeeded, 1 otherwise, 130 when interrupted (SIGINT/SIGTERM).
 *   inject-probe state PID TID
 *       stops thread TID (PTRACE_SEIZE + INTERRUPT), prints its general
 *       registers, its extended register state (as many bytes as the kernel
 *       gives) and its signal mask in hex, one per line, and detaches. The
 *       reading is plain ptrace, written here apart from the injector's own
 *       code, so that a test comparing two readings does not trust the code
 *       it tests.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void hex(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;
	printf("%s %zu ", label, n);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	putchar('\n');
}

static int stop_thread(int tid)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
		fprintf(stderr, "inject-probe: seize %d: %s\n", tid, strerror(errno));
		return 1;
	}
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	int status;
	for (;;) {
		if (waitpid(tid, &status, __WALL) < 0) {
			fprintf(stderr, "inject-probe: wait %d: %s\n", tid, strerror(errno));
			return 1;
		}
		if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP)
			break;
		if (!WIFSTOPPED(status)) {
			fprintf(stderr, "inject-probe: thread %d is gone\n", tid);
			return 1;
		}
		/* a signal on its way: let it go on and wait for our stop */
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)WSTOPSIG(status));
	}
	return 0;
}

static int cmd_clobber(int tid)
{
	if (stop_thread(tid))
		return 1;
	static unsigned char x[1 << 18];
	struct iovec xiov = {x, sizeof x};
	int rc = 0;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &xiov) < 0) {
		rc = 1;
	} else {
		x[160] ^= 1; /* xmm0's lowest byte in the FXSAVE area */
		if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &xiov) < 0)
			rc = 1;
	}
	if (rc)
		fprintf(stderr, "inject-probe: xstate of %d: %s\n", tid, strerror(errno));
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	return rc;
}

static int cmd_state(int tid)
{
	if (stop_thread(tid))
		return 1;
	struct user_regs_struct r;
	struct iovec iov = {&r, sizeof r};
	static unsigned char x[1 << 18];
	struct iovec xiov = {x, sizeof x};
	uint64_t mask = 0;
	int rc = 0;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0 ||
	    ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &xiov) < 0 ||
	    ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof mask, &mask) < 0) {
		fprintf(stderr, "inject-probe: reading thread %d: %s\n", tid, strerror(errno));
		rc = 1;
	} else {
		hex("gp", &r, iov.iov_len);
		hex("xstate", x, xiov.iov_len);
		hex("sigmask", &mask, sizeof mask);
		printf("orig_rax %lld\nrax %lld\nrip %llx\n", (long long)r.orig_rax, (long long)r.rax,
		       (unsigned long long)r.rip);
	}
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	return rc;
}

static int cmd_inject(int argc, char **argv)
{
	gl_inject_opts o;
	memset(&o, 0, sizeof o);
	o.pid = atoi(argv[2]);
	o.library = argv[3];
	o.symbol = argv[4];
	o.arg = argv[5];
	o.timeout = 10;
	o.log_prefix = "inject-probe: ";
	o.interrupted = &stop_flag;
	for (int i = 6; i < argc; i++) {
		if (strcmp(argv[i], "--idle") == 0)
			o.path = GL_INJECT_IDLE_ONLY;
		else if (strcmp(argv[i], "--alloc") == 0)
			o.path = GL_INJECT_ALLOC_ONLY;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			o.timeout = atof(argv[++i]);
		else if (strcmp(argv[i], "-v") == 0)
			o.verbose = 1;
		else {
			fprintf(stderr, "inject-probe: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	gl_inject_result r;
	gl_inject(&o, &r);
	json_t *j = json_pack("{s:s, s:s, s:I, s:i, s:s, s:s, s:f, s:f, s:f, s:f, s:I, s:i, s:i, s:i}", "status",
			      gl_inject_status_name(r.status), "message", r.message, "retval", (json_int_t)r.retval,
			      "tid", r.tid, "how", r.how, "where", r.where, "total_seconds", r.total_seconds,
			      "traced_seconds", r.traced_seconds, "stopped_seconds", r.stopped_seconds, "calls_seconds",
			      r.calls_seconds, "ext_bytes", (json_int_t)r.ext_bytes, "threads_judged", r.threads_judged,
			      "breakpoint_hits", r.breakpoint_hits, "breakpoints", r.breakpoints);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(j);
	if (r.status == GL_INJECT_INTERRUPTED)
		return 130;
	return r.status == GL_INJECT_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "inject") == 0)
		return cmd_inject(argc, argv);
	if (argc == 4 && strcmp(argv[1], "state") == 0)
		return cmd_state(atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "clobber") == 0)
		return cmd_clobber(atoi(argv[3]));
	fprintf(stderr, "usage: inject-probe inject PID LIBRARY SYMBOL ARG [--idle|--alloc] [--timeout S] [-v]\n"
			"       inject-probe state PID TID\n"
			"       inject-probe clobber PID TID\n");
	return 2;
}
