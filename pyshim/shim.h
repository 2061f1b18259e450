/*
 * shim.h - what graphleak.c (the dump) and shim_attach.c (the attach helper
 * thread, the signal handler and the request/result files of
 * `graphleak dump --pid`) share inside the shim. Both are compiled into the
 * same extension module; nothing here is exported from it except
 * graphleak_attach_start() (declared in shim_attach.c).
 */
#ifndef GRAPHLEAK_SHIM_H
#define GRAPHLEAK_SHIM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#include "cow.h"

typedef struct gl_dump_opts {
	int collect;       /* gc.collect() first */
	int values;        /* 0: withhold str/bytes/int/float values */
	int overwrite;     /* replace an existing file */
	gl_fork_mode fork; /* walk in a copy-on-write child: auto, always, never */
} gl_dump_opts;

typedef struct gl_dump_summary {
	uint64_t objects, edges, tracked, untracked, bytes, file_bytes, shim_peak_bytes;
	double pause_seconds; /* the GIL held by the dump: the process's pause */
	double walk_seconds;  /* the walk (in the child when forked) */
	double total_seconds; /* start to the file complete */
	int forked;           /* 1: walked by a copy-on-write child */
	char fork_note[640];  /* the headroom figures, or why it walked in place */
	uint64_t cow_private_bytes; /* the child's private memory at its end: the fork's cost */
	uint64_t cow_own_bytes;     /* of which the walk's own buffers */
	double child_seconds;       /* the child's life, clone to exit */
} gl_dump_summary;

/* A forked dump whose child is still walking (gl_dump_core with `pending`). */
typedef struct gl_dump_pending {
	gl_cow cow;
	double t0;
	gl_dump_summary s; /* what the parent knows already (pause, note) */
} gl_dump_pending;

/*
 * Writes a snapshot of this process to `path` (what graphleak.dump() does,
 * without its argument parsing and its result dict). The GIL must be held.
 * With o->fork other than never, the heap is walked by a copy-on-write
 * child (cow.h) when there is room (auto) or always: the GIL is held only
 * until the child exists. Then, if `pending` is NULL, this waits for the
 * child with the GIL released and returns when the file is complete; else
 * it returns 1 at once and the caller finishes with gl_dump_finish(), from
 * any thread, without the GIL.
 * Returns 0 (done) or 1 (pending) and fills *s, or -1 with a Python
 * exception set (OSError for file errors, RuntimeError when the collector is
 * running).
 */
int gl_dump_core(const char *path, const gl_dump_opts *o, gl_dump_summary *s, gl_dump_pending *pending);

/* Waits for a pending dump's child (no GIL needed) and fills *s: 0, or -1
 * with the reason in err (no snapshot was written). */
int gl_dump_finish(gl_dump_pending *p, gl_dump_summary *s, char *err, size_t len);

/* The dump's options from a request or a call: everything off, values on,
 * the default fork mode (GRAPHLEAK_FORK, else auto). */
void gl_dump_opts_default(gl_dump_opts *o);

/*
 * One-time initialisation of what the walk learns from the interpreter
 * (gl_compat_init). Module init calls it; the attach thread calls it with
 * the GIL held when the shim was loaded by dlopen rather than imported.
 * Returns 0, or -1 with an exception set.
 */
int gl_shim_init(void);

/* Whether the collector is collecting now (a dump would be refused). GIL held. */
int gl_shim_gc_collecting(void);

/* Seconds on the monotonic clock. */
double gl_shim_now(void);

/* The result dict of a dump (graphleak.dump(), serve_request()): new
 * reference, or NULL with an exception. */
PyObject *gl_summary_dict(const char *path, const gl_dump_summary *s);

/* Methods defined in shim_attach.c, registered in graphleak.c's table. */
PyObject *gl_py_enable_signal(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *gl_py_serve_request(PyObject *self, PyObject *args, PyObject *kwargs);

#define GL_ENABLE_SIGNAL_DOC                                                                            \
	"enable_signal(signum=signal.SIGUSR2, *, values=True) -> previous handler\n\n"                   \
	"Installs a Python-level handler for signum that takes a snapshot at the next safe point of\n" \
	"the main thread: where `graphleak dump --pid PID --signal` asked (it leaves a request in\n"    \
	"/tmp/graphleak-req-PID/), else to graphleak-PID-N.snap in the current directory.\n"          \
	"values=False withholds str/bytes/int/float values from these snapshots."

#define GL_SERVE_REQUEST_DOC                                                                              \
	"serve_request(*, values=True) -> dict or None\n\n"                                               \
	"If `graphleak dump --pid PID --signal` left a request for this process, takes the snapshot it\n" \
	"asks for, answers it and returns the summary (with 'error' set if the snapshot failed; never\n"  \
	"raises for that). Returns None when there is no request. For signal handlers."

#endif /* GRAPHLEAK_SHIM_H */
