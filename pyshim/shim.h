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

typedef struct gl_dump_summary {
	uint64_t objects, edges, tracked, untracked, bytes, file_bytes, shim_peak_bytes;
	double pause_seconds, walk_seconds;
} gl_dump_summary;

/*
 * Writes a snapshot of this process to `path` (what graphleak.dump() does,
 * without its argument parsing and its result dict). The GIL must be held.
 * Returns 0 and fills *s, or -1 with a Python exception set (OSError for
 * file errors, RuntimeError when the collector is running).
 */
int gl_dump_core(const char *path, int collect, int values, int overwrite, gl_dump_summary *s);

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
