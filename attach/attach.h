/*
 * attach.h - `graphleak dump --pid`: snapshot a running Python process.
 *
 * The CLI side of the attach (compiled into the graphleak executable; no
 * Python here). It finds the target's interpreter from /proc, picks the shim
 * built for it (shims.tsv beside the binary), and then either
 *   - attach mode: graphleak's injector (inject.h) stops one thread at a safe
 *     point, dlopen()s the shim into it and calls graphleak_attach_start(),
 *     restores the thread exactly and detaches; the shim's helper thread
 *     takes the GIL and writes the snapshot; or
 *   - signal mode: leaves a request in /tmp/graphleak-req-PID/ and sends a
 *     signal the target handles (graphleak run, graphleak.enable_signal()),
 * and waits, bounded, for the result the target writes. docs/attach.md has
 * the why.
 */
#ifndef GRAPHLEAK_ATTACH_H
#define GRAPHLEAK_ATTACH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	GL_ATTACH_OK = 0,
	GL_ATTACH_USAGE,     /* a bad option value (-o in a missing directory...) */
	GL_ATTACH_NOPROC,    /* no such process */
	GL_ATTACH_NOTPY,     /* not a Python process */
	GL_ATTACH_NOSHIM,    /* no shim built for its interpreter */
	GL_ATTACH_PERM,      /* not allowed to attach to it or to signal it */
	GL_ATTACH_NOHANDLER, /* --signal: the target does not handle the signal */
	GL_ATTACH_EXITED,    /* the target exited */
	GL_ATTACH_TIMEOUT,   /* no safe point, or no GIL, in time */
	GL_ATTACH_WRITE,     /* the target could not write the snapshot */
	GL_ATTACH_BUSY,      /* an earlier dump still waits in the target */
	GL_ATTACH_FAIL,      /* anything else */
} gl_attach_status;

typedef struct gl_attach_opts {
	int pid;
	const char *output;  /* the snapshot: absolute path, must not exist */
	double timeout;      /* seconds: to reach a safe point; then to get the GIL */
	double dump_timeout; /* seconds: for the dump itself once it has started */
	int collect;         /* gc.collect() first */
	int values;          /* 0: withhold str/bytes/int/float values */
	int use_signal;      /* cooperative mode */
	int signum;          /* its signal */
	int verbose;         /* progress and the injector's view of the threads on stderr */
	int inject_path;     /* GL_INJECT_ANY, _IDLE_ONLY, _ALLOC_ONLY (tests and benchmark) */
	const char *fork;    /* "auto", "always", "never", or NULL: the process's default */
} gl_attach_opts;

typedef struct gl_attach_result {
	gl_attach_status status;
	char message[4096];  /* what went wrong and what to do, for people */
	char mode[8];        /* "attach" or "signal" */
	char path[PATH_MAX]; /* the snapshot written */
	char python[64];     /* the target's version as the shim saw it, or our guess */
	char executable[PATH_MAX];
	char shim[PATH_MAX]; /* the library loaded into it (attach mode) */
	char safe_point[512];/* how the injection point was reached (attach mode) */
	uint64_t objects, edges, bytes, file_bytes;
	double pause_seconds;    /* the GIL held by the dump: the target's pause */
	double dump_seconds;     /* the dump itself */
	double gil_wait_seconds; /* the helper thread's wait for the GIL */
	double attached_seconds; /* the first thread traced to the last detached */
	double inject_seconds;   /* the injector, start (preflight) to end */
	double stopped_seconds;  /* the thread that made the calls was stopped */
	size_t ext_bytes;        /* its extended register state, as the kernel sizes it */
	double wall_seconds;     /* the whole command */
	int forked;              /* a copy-on-write child walked (the shim's cow.h) */
	char fork_note[640];     /* the headroom figures, or why it walked in place */
	double total_seconds;    /* the dump, start to the file complete */
	double child_seconds;    /* the child's life */
	uint64_t cow_private_bytes; /* the child's private memory at its end: the copy's cost */
} gl_attach_result;

/* Takes the snapshot. Returns (and stores in r->status) the outcome; on
 * failure r->message says why and what to do. Nothing is printed unless
 * o->verbose. */
gl_attach_status gl_attach_dump(const gl_attach_opts *o, gl_attach_result *r);

/* A short name for --json: "ok", "no-such-process", "not-python", ... */
const char *gl_attach_status_name(gl_attach_status s);

/* The first free graphleak-PID-N.snap in the current directory, absolute,
 * into out. 0 or -1. */
int gl_attach_default_output(int pid, char *out, size_t len);

/*
 * The pyshim directory that holds `file` (shims.tsv, graphleak_run.py):
 * pyshim/ beside the graphleak binary (a build tree) or ../lib/graphleak
 * from it (an install, wherever it was moved; docs/install.md). Into out
 * (len bytes). 0, or -1 when there is none. The folders that shims.tsv
 * names are relative to it in an install, absolute in a build tree.
 */
int gl_find_pyshim_dir(char *out, size_t len, const char *file);

#endif /* GRAPHLEAK_ATTACH_H */
