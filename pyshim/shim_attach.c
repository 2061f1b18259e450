/*
 * shim_attach.c - the target's side of `graphleak dump --pid` (docs/attach.md).
 *
 * Two ways in, one dump:
 *
 *   - attach mode: graphleak's injector (attach/inject.c) dlopen()s this
 *     library into the target and calls
 *     graphleak_attach_start(request_path) once, from a thread it stopped at
 *     a safe point. That call only copies its argument and starts a helper
 *     pthread (all signals blocked in it), then returns: no Python, no lock
 *     of the interpreter. The helper thread reads the request, then waits
 *     for the GIL with PyGILState_Ensure(), which returns only when the
 *     interpreter hands the GIL over, i.e. between two bytecodes of the
 *     thread that had it or while it is in a blocking call (a pending call
 *     asks the main thread to let go of it, see helper_waiting). There it
 *     runs the same dump as graphleak.dump(), releases the GIL, writes the
 *     result file and exits.
 *
 *   - signal mode: graphleak.enable_signal() (or `graphleak run`) installs a
 *     Python-level signal handler; it runs in the main thread between two
 *     bytecodes and calls serve_request(), which looks for a request in
 *     /tmp/graphleak-req-PID/ (a directory owned by this process's user or
 *     by root, writable by its owner only; the request itself a regular file
 *     with the same owner rule, opened without following a symlink).
 *
 * The request (text, written by the CLI):
 *     graphleak-request 1
 *     output=/absolute/path.snap
 *     token=<hex>
 *     collect=0|1
 *     values=0|1
 *     fork=auto|always|never   (optional: the process's default, cow.h)
 * The result (JSON, written here as `result` beside the request, under a
 * temporary name first and then linked, O_EXCL|O_NOFOLLOW, mode 0600):
 *     {"token", "ok", "error", "error_kind", "path", "objects", "edges",
 *      "tracked", "untracked", "bytes", "file_bytes", "shim_peak_bytes",
 *      "pause_seconds", "dump_seconds", "walk_seconds", "gil_wait_seconds",
 *      "pid", "python", "mode", "fork", "fork_note", "total_seconds",
 *      "child_seconds", "cow_private_bytes", "cow_own_bytes"}
 * pause_seconds is how long this code held the GIL (the target's pause);
 * with fork "fork" a copy-on-write child walked and wrote the snapshot
 * while the process ran on, and total_seconds is until the file was
 * complete. In signal mode the main thread only makes the child: a waiter
 * thread of graphleak's waits for it and answers.
 *
 * Cancelling (attach mode): the CLI gives up waiting for the GIL by creating
 * `cancel` beside the request, or by removing the request. The helper looks
 * after it gets the GIL (and before it waits), and then releases it without
 * dumping. Before dumping it creates `started`, so the CLI knows the pause
 * has begun and waits for the dump instead of cancelling.
 */
#include "layout.h"
#include "shim.h"
#include "strbuf.h"
#include "readall.h" /* after Python.h (shim.h): its feature macros first */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define GL_REQ_MAX_BYTES 16384

typedef struct gl_request {
	char output[PATH_MAX];
	char token[80];
	int collect;
	int values;
	gl_fork_mode fork;
} gl_request;

/* ---- request ------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Reads and parses the request at `path`: a regular file (not followed if a
 * symlink) owned by this process's effective user or by root. 0, or -1 with
 * a message in err (errno-like reason in *eno: ENOENT when there is none).
 */
static int read_request(const char *path, gl_request *rq, char *err, size_t errlen, int *eno)
{
	memset(rq, 0, sizeof *rq);
	rq->values = 1;
	rq->fork = gl_fork_default();
	*eno = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*eno = errno;
		set_err(err, errlen, "cannot open the request %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
	    st.st_size <= 0 || st.st_size > GL_REQ_MAX_BYTES) {
		close(fd);
		*eno = EPERM;
		set_err(err, errlen, "refusing the request %s: not a small regular file owned by uid %ld or root",
			path, (long)geteuid());
		return -1;
	}
	char buf[GL_REQ_MAX_BYTES + 1];
	size_t n = gl_read_upto(fd, buf, (size_t)st.st_size);
	close(fd);
	buf[n] = 0;
	char *save = NULL;
	int line = 0, have_out = 0;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save), line++) {
		if (line == 0) {
			if (strcmp(l, "graphleak-request 1") != 0) {
				*eno = EINVAL;
				set_err(err, errlen, "the request %s is not a graphleak request (version 1)", path);
				return -1;
			}
			continue;
		}
		char *eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq = 0;
		const char *k = l, *v = eq + 1;
		if (strcmp(k, "output") == 0) {
			if (v[0] != '/' || strlen(v) >= sizeof rq->output) {
				*eno = EINVAL;
				set_err(err, errlen, "the request's output is not an absolute path");
				return -1;
			}
			strcpy(rq->output, v);
			have_out = 1;
		} else if (strcmp(k, "token") == 0) {
			snprintf(rq->token, sizeof rq->token, "%s", v);
		} else if (strcmp(k, "collect") == 0) {
			rq->collect = strcmp(v, "1") == 0;
		} else if (strcmp(k, "values") == 0) {
			rq->values = strcmp(v, "0") != 0;
		} else if (strcmp(k, "fork") == 0) {
			if (gl_fork_mode_parse(v, &rq->fork) < 0) {
				*eno = EINVAL;
				set_err(err, errlen, "the request's fork is not auto, always or never");
				return -1;
			}
		}
	}
	if (!have_out) {
		*eno = EINVAL;
		set_err(err, errlen, "the request %s names no output", path);
		return -1;
	}
	return 0;
}

/* ---- result -------------------------------------------------------------- */

/* Writes `json` as dir/result: temporary name, O_EXCL|O_NOFOLLOW, 0600, link. */
static int write_result(const char *dir, const char *json, size_t len)
{
	static atomic_uint seq;
	char tmp[PATH_MAX], fin[PATH_MAX];
	unsigned n = atomic_fetch_add(&seq, 1);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/.result.%ld.%u", dir, (long)getpid(), n) >= sizeof tmp ||
	    (size_t)snprintf(fin, sizeof fin, "%s/result", dir) >= sizeof fin)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	int ok = 1;
	while (off < len) {
		ssize_t w = write(fd, json + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ok = 0;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0)
		ok = 0;
	if (ok && link(tmp, fin) < 0)
		ok = 0;
	unlink(tmp);
	return ok ? 0 : -1;
}

typedef struct {
	const char *mode;       /* "attach" or "signal" */
	const char *token;
	const char *path;       /* the snapshot, or NULL */
	const char *error;      /* NULL when ok */
	const char *error_kind; /* "write", "python", "request", "version", "cancelled", "collecting" */
	const gl_dump_summary *s;
	double pause, gil_wait;
} result_info;

/* The result JSON for ri into b. */
static void build_result(gl_sb *b, const result_info *ri)
{
	gl_sb_puts(b, "{\"token\": ");
	gl_sb_json_or_null(b, ri->token);
	gl_sb_printf(b, ", \"ok\": %s, \"error\": ", ri->error ? "false" : "true");
	gl_sb_json_or_null(b, ri->error);
	gl_sb_puts(b, ", \"error_kind\": ");
	gl_sb_json_or_null(b, ri->error ? ri->error_kind : NULL);
	gl_sb_puts(b, ", \"path\": ");
	gl_sb_json_or_null(b, ri->path);
	gl_sb_puts(b, ", \"mode\": ");
	gl_sb_json_or_null(b, ri->mode);
	gl_sb_printf(b, ", \"pid\": %ld, \"python\": ", (long)getpid());
	const char *pv = Py_GetVersion(); /* a static string: safe without the GIL */
	gl_sb_json_str(b, pv, strcspn(pv, " "));
	if (ri->s && !ri->error) {
		const gl_dump_summary *s = ri->s;
		gl_sb_printf(b, ", \"objects\": %llu, \"edges\": %llu, \"tracked\": %llu, \"untracked\": %llu",
			     (unsigned long long)s->objects, (unsigned long long)s->edges,
			     (unsigned long long)s->tracked, (unsigned long long)s->untracked);
		gl_sb_printf(b, ", \"bytes\": %llu, \"file_bytes\": %llu, \"shim_peak_bytes\": %llu",
			     (unsigned long long)s->bytes, (unsigned long long)s->file_bytes,
			     (unsigned long long)s->shim_peak_bytes);
		gl_sb_printf(b, ", \"dump_seconds\": %.6f, \"walk_seconds\": %.6f", s->pause_seconds, s->walk_seconds);
		gl_sb_printf(b, ", \"total_seconds\": %.6f", s->total_seconds);
	}
	if (ri->s) {
		const gl_dump_summary *s = ri->s;
		gl_sb_printf(b, ", \"fork\": \"%s\", \"fork_note\": ", s->forked ? "fork" : "in-place");
		gl_sb_json_or_null(b, s->fork_note[0] ? s->fork_note : NULL);
		if (s->forked)
			gl_sb_printf(b, ", \"child_seconds\": %.6f, \"cow_private_bytes\": %llu, \"cow_own_bytes\": %llu",
				     s->child_seconds, (unsigned long long)s->cow_private_bytes,
				     (unsigned long long)s->cow_own_bytes);
	}
	gl_sb_printf(b, ", \"pause_seconds\": %.6f, \"gil_wait_seconds\": %.6f}\n", ri->pause, ri->gil_wait);
}

/* Answers the request in dir with ri (nothing is written if memory ran out:
 * the CLI then reports no answer). */
static void answer(const char *dir, const result_info *ri)
{
	gl_sb b = {0};
	build_result(&b, ri);
	if (!gl_sb_failed(&b))
		write_result(dir, gl_sb_str(&b), b.len);
	gl_sb_free(&b);
}

/* The current Python exception as text (cleared), into out. GIL held. */
static void fetch_exception(char *out, size_t len, const char **kind)
{
	PyObject *t = NULL, *v = NULL, *tb = NULL;
	PyErr_Fetch(&t, &v, &tb);
	snprintf(out, len, "unknown error");
	*kind = "python";
	if (t && PyErr_GivenExceptionMatches(t, PyExc_OSError))
		*kind = "write";
	else if (t && PyErr_GivenExceptionMatches(t, PyExc_RuntimeError))
		*kind = "collecting";
	PyObject *sv = v ? PyObject_Str(v) : NULL;
	const char *u = sv ? PyUnicode_AsUTF8(sv) : NULL;
	if (u)
		snprintf(out, len, "%s", u);
	else if (t && PyType_Check(t))
		snprintf(out, len, "%s", ((PyTypeObject *)t)->tp_name);
	Py_XDECREF(sv);
	Py_XDECREF(t);
	Py_XDECREF(v);
	Py_XDECREF(tb);
	PyErr_Clear();
}

static int dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path || (size_t)(slash - path) >= len)
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	return 0;
}

static int exists_in(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, name) >= sizeof p)
		return 0;
	return lstat(p, &st) == 0;
}

static void touch_in(const char *dir, const char *name)
{
	char p[PATH_MAX];
	if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, name) >= sizeof p)
		return;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

/* ---- attach mode: the helper thread -------------------------------------- */

static atomic_int attach_busy;

/*
 * Set while the helper waits for the GIL. A thread that holds the GIL and
 * lets go of it only for a moment again and again (a loop that polls a
 * non-blocking file: os.read, select with timeout 0) starves a waiting
 * thread: CPython asks the holder to drop the GIL only after a switch
 * interval without any switch, and each brief release is a switch, while
 * the waiter, woken each time, comes too late to take it. Seen here: 0.2 to
 * 7.7 s waits for the dump of such a process. So the helper also leaves a
 * pending call (Py_AddPendingCall: any thread may, without the GIL), which
 * the main thread runs between two bytecodes: it releases the GIL until the
 * helper has it (10 ms at most), and does nothing if the helper is no longer
 * waiting by then.
 */
static atomic_int helper_waiting;

static int yield_gil_to_helper(void *arg)
{
	(void)arg;
	if (!atomic_load(&helper_waiting))
		return 0;
	Py_BEGIN_ALLOW_THREADS
	for (int i = 0; i < 50 && atomic_load(&helper_waiting); i++) {
		struct timespec ts = {0, 200 * 1000};
		nanosleep(&ts, NULL);
	}
	Py_END_ALLOW_THREADS
	return 0;
}
static char attach_req_path[PATH_MAX];

/* The request was withdrawn: cancel marker, or the request is gone. */
static int attach_cancelled(const char *dir)
{
	struct stat st;
	return exists_in(dir, "cancel") || lstat(attach_req_path, &st) < 0;
}

static void *attach_thread(void *arg)
{
	(void)arg;
	static gl_request rq; /* one helper at a time (attach_busy) */
	char dir[PATH_MAX], err[1024];
	int eno;
	double t0 = gl_shim_now();
	result_info ri = {.mode = "attach"};

	if (dir_of(attach_req_path, dir, sizeof dir) < 0)
		goto out;
	if (read_request(attach_req_path, &rq, err, sizeof err, &eno) < 0) {
		ri.error = err;
		ri.error_kind = "request";
		goto answer;
	}
	ri.token = rq.token;
	if (!Py_IsInitialized()) {
		ri.error = "the interpreter is not running (not initialized yet, or shutting down)";
		ri.error_kind = "python";
		goto answer;
	}
	/* The shim serves one minor version: is this interpreter the one it
	 * was compiled for (version, build, layout; layout.c)? Static data
	 * only, before the GIL is asked for. */
	{
		const char *kind = NULL;
		if (gl_shim_check_build(err, sizeof err, &kind) < 0) {
			ri.error = err;
			ri.error_kind = kind;
			goto answer;
		}
	}
	for (int attempt = 0;; attempt++) {
		if (attach_cancelled(dir))
			goto out;
		/* Blocks until the interpreter hands the GIL over: between two
		 * bytecodes of the thread that holds it, or while that thread is in
		 * a blocking call. If the interpreter is finalizing, CPython ends
		 * this thread here. */
		atomic_store(&helper_waiting, 1);
		Py_AddPendingCall(yield_gil_to_helper, NULL); /* a full queue: no help, no harm */
		PyGILState_STATE g = PyGILState_Ensure();
		atomic_store(&helper_waiting, 0);
		double tg = gl_shim_now();
		if (gl_shim_gc_collecting()) {
			/* the collector let go of the GIL in a finalizer: come back later */
			PyGILState_Release(g);
			if (attempt >= 500) {
				ri.error = "the garbage collector kept running (a finalizer that never ends?)";
				ri.error_kind = "collecting";
				goto answer;
			}
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
			continue;
		}
		/* started first, cancel second: the CLI does the opposite (cancel,
		 * then looks for started), so at least one of us sees the other. */
		touch_in(dir, "started");
		if (attach_cancelled(dir)) {
			PyGILState_Release(g);
			ri.error = "cancelled by graphleak dump";
			ri.error_kind = "cancelled";
			goto answer;
		}
		if (gl_shim_check_runtime(err, sizeof err) < 0) {
			PyGILState_Release(g);
			ri.error = err;
			ri.error_kind = "layout";
			goto answer;
		}
		gl_dump_summary s;
		memset(&s, 0, sizeof s);
		gl_dump_opts o;
		gl_dump_opts_default(&o);
		o.collect = rq.collect;
		o.values = rq.values;
		o.fork = rq.fork;
		int rc = gl_shim_init();
		double tc = gl_shim_now();
		if (rc == 0)
			rc = gl_dump_core(rq.output, &o, &s, NULL); /* a forked one releases the GIL while it waits */
		const char *kind = NULL;
		if (rc < 0)
			fetch_exception(err, sizeof err, &kind);
		double te = gl_shim_now();
		PyGILState_Release(g);
		ri.pause = s.forked ? (tc - tg) + s.pause_seconds : te - tg;
		ri.gil_wait = tg - t0;
		ri.s = &s;
		if (rc < 0) {
			ri.error = err;
			ri.error_kind = kind;
		} else {
			ri.path = rq.output;
		}
		answer(dir, &ri);
		goto out;
	}
answer:
	answer(dir, &ri);
out:
	atomic_store(&attach_busy, 0);
	return NULL;
}

/* A child forked while a helper waits has no helper: it may be dumped. */
static void attach_atfork_child(void)
{
	atomic_store(&attach_busy, 0);
}

/*
 * The one entry point the injector calls. Copies the request path, starts the helper
 * thread (detached, every signal blocked in it) and returns at once:
 * 0, -EBUSY if an earlier helper is still waiting for the GIL, or another
 * -errno. Touches no Python state and takes no interpreter lock.
 */
__attribute__((visibility("default"))) int graphleak_attach_start(const char *request_path)
{
	if (!request_path)
		return -EINVAL;
	size_t n = strnlen(request_path, PATH_MAX);
	if (n == 0 || n >= PATH_MAX || request_path[0] != '/')
		return -EINVAL;
	int expected = 0;
	if (!atomic_compare_exchange_strong(&attach_busy, &expected, 1))
		return -EBUSY;
	memcpy(attach_req_path, request_path, n + 1);
	static int atfork_done; /* only ever changed here, under attach_busy */
	if (!atfork_done && pthread_atfork(NULL, NULL, attach_atfork_child) == 0)
		atfork_done = 1;

	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0) {
		atomic_store(&attach_busy, 0);
		return -ENOMEM;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int rc = pthread_create(&t, &attr, attach_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_store(&attach_busy, 0);
		return -rc;
	}
#ifdef __GLIBC__
	pthread_setname_np(t, "graphleak-dump");
#endif
	return 0;
}

/* ---- signal mode ----------------------------------------------------------- */

static int sig_values = 1;
static unsigned sig_count;

static PyObject *error_dict(const char *path, const char *error)
{
	return Py_BuildValue("{s:s,s:s}", "path", path ? path : "", "error", error);
}

/* One line on stderr for a signal-mode dump, as the program's own output. */
static void report_line(const char *path, const gl_dump_summary *s, const char *error)
{
	if (error)
		fprintf(stderr, "graphleak: snapshot (signal) failed: %s\n", error);
	else
		fprintf(stderr, "graphleak: wrote %s (%llu objects, %llu edges); paused %.3f s%s\n", path,
			(unsigned long long)s->objects, (unsigned long long)s->edges, s->pause_seconds,
			s->forked ? ", walked by a copy-on-write child" : "");
	fflush(stderr);
}

/* A signal-mode dump whose child walks: graphleak's waiter thread finishes it. */
typedef struct {
	gl_dump_pending p;
	char dir[64]; /* answer there; "" for none */
	char token[80];
	char path[PATH_MAX];
} waiter_ctx;

static void *waiter_main(void *arg)
{
	waiter_ctx *c = arg;
	gl_dump_summary s;
	char err[512];
	int rc = gl_dump_finish(&c->p, &s, err, sizeof err);
	if (c->dir[0]) {
		result_info ri = {.mode = "signal", .token = c->token, .s = &s, .pause = s.pause_seconds};
		if (rc < 0) {
			ri.error = err;
			ri.error_kind = "write";
		} else {
			ri.path = c->path;
		}
		answer(c->dir, &ri);
	}
	report_line(c->path, &s, rc < 0 ? err : NULL);
	free(c);
	return NULL;
}

/*
 * A dump from the signal handler (main thread, GIL held). In place, or in a
 * copy-on-write child that a waiter thread (every signal blocked) waits for,
 * answers (dir, token) and reports: the program goes on at once. Returns
 * what gl_dump_core returned: 0 (done, *s filled), 1 (the waiter has it),
 * -1 (exception set).
 */
static int signal_dump(const char *path, const gl_dump_opts *o, gl_dump_summary *s, const char *dir,
		       const char *token)
{
	waiter_ctx *c = calloc(1, sizeof *c);
	int rc = gl_dump_core(path, o, s, c ? &c->p : NULL);
	if (rc != 1) {
		free(c);
		return rc;
	}
	snprintf(c->dir, sizeof c->dir, "%s", dir ? dir : "");
	snprintf(c->token, sizeof c->token, "%s", token ? token : "");
	snprintf(c->path, sizeof c->path, "%s", path);
	pthread_attr_t attr;
	pthread_t t;
	int started = 0;
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		started = pthread_create(&t, &attr, waiter_main, c) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		/* no thread: wait here, without the GIL */
		Py_BEGIN_ALLOW_THREADS
		waiter_main(c);
		Py_END_ALLOW_THREADS
	}
	return 1;
}

/*
 * Serves a pending request, if any (GIL held, main thread, from a signal
 * handler or directly). Returns a new reference: None when there is no
 * request, else the summary dict (with "error" set on failure; with
 * "pending" True when `in_background` and a waiter thread finishes it).
 * NULL only for an error of Python itself (out of memory building the dict).
 */
static PyObject *serve_request(int values_default, int in_background)
{
	char dir[64], req[96], err[1024];
	snprintf(dir, sizeof dir, "/tmp/graphleak-req-%ld", (long)getpid());
	snprintf(req, sizeof req, "%s/request", dir);
	struct stat st;
	if (lstat(dir, &st) < 0)
		Py_RETURN_NONE;
	if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 022)) {
		fprintf(stderr, "graphleak: ignoring %s: not a directory private to uid %ld or root\n", dir,
			(long)geteuid());
		Py_RETURN_NONE;
	}
	gl_request rq;
	int eno;
	result_info ri = {.mode = "signal"};
	if (read_request(req, &rq, err, sizeof err, &eno) < 0) {
		if (eno == ENOENT)
			Py_RETURN_NONE;
		ri.error = err;
		ri.error_kind = "request";
		answer(dir, &ri);
		return error_dict(NULL, err);
	}
	unlink(req); /* consumed: a later signal without a new request dumps to the default name */
	ri.token = rq.token;
	touch_in(dir, "started");
	gl_dump_summary s;
	gl_dump_opts o;
	gl_dump_opts_default(&o);
	o.collect = rq.collect;
	o.values = rq.values && values_default;
	o.fork = rq.fork;
	int rc = in_background ? signal_dump(rq.output, &o, &s, dir, rq.token) : gl_dump_core(rq.output, &o, &s, NULL);
	if (rc == 1)
		return Py_BuildValue("{s:s,s:O,s:O}", "path", rq.output, "pending", Py_True, "error", Py_None);
	const char *kind = NULL;
	if (rc < 0)
		fetch_exception(err, sizeof err, &kind);
	ri.pause = s.pause_seconds;
	ri.s = &s;
	if (rc < 0) {
		ri.error = err;
		ri.error_kind = kind;
	} else {
		ri.path = rq.output;
	}
	answer(dir, &ri);
	if (rc < 0)
		return error_dict(rq.output, err);
	PyObject *d = gl_summary_dict(rq.output, &s);
	if (d && PyDict_SetItemString(d, "error", Py_None) < 0) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

PyObject *gl_py_serve_request(PyObject *self, PyObject *args, PyObject *kwargs)
{
	(void)self;
	static char *kwlist[] = {"values", NULL};
	int values = 1;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$p:serve_request", kwlist, &values))
		return NULL;
	return serve_request(values, 0);
}

/* The handler enable_signal() installs: never raises into the program. */
static PyObject *signal_handler(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	PyObject *r = serve_request(sig_values, 1);
	if (!r) {
		PyErr_Clear();
		report_line(NULL, NULL, "out of memory");
		Py_RETURN_NONE;
	}
	if (r != Py_None) {
		PyObject *pend = PyDict_GetItemString(r, "pending");
		PyObject *e = PyDict_GetItemString(r, "error");
		PyObject *p = PyDict_GetItemString(r, "path");
		if (!pend) {
			const char *es = e && PyUnicode_Check(e) ? PyUnicode_AsUTF8(e) : NULL;
			const char *ps = p && PyUnicode_Check(p) ? PyUnicode_AsUTF8(p) : NULL;
			PyErr_Clear();
			if (es) {
				report_line(ps, NULL, es);
			} else {
				gl_dump_summary s;
				memset(&s, 0, sizeof s);
				PyObject *o = PyDict_GetItemString(r, "objects"), *ed = PyDict_GetItemString(r, "edges");
				PyObject *pz = PyDict_GetItemString(r, "pause_seconds");
				s.objects = o ? PyLong_AsUnsignedLongLong(o) : 0;
				s.edges = ed ? PyLong_AsUnsignedLongLong(ed) : 0;
				s.pause_seconds = pz ? PyFloat_AsDouble(pz) : 0;
				PyErr_Clear();
				report_line(ps ? ps : "?", &s, NULL);
			}
		}
		Py_DECREF(r);
		Py_RETURN_NONE;
	}
	Py_DECREF(r);
	/* no request: graphleak-PID-N.snap in the current directory */
	char cwd[PATH_MAX - 64], path[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		fprintf(stderr, "graphleak: snapshot (signal) failed: no current directory: %s\n", strerror(errno));
		Py_RETURN_NONE;
	}
	struct stat st;
	do {
		sig_count++;
		snprintf(path, sizeof path, "%s/graphleak-%ld-%u.snap", cwd, (long)getpid(), sig_count);
	} while (lstat(path, &st) == 0 && sig_count < 100000);
	gl_dump_summary s;
	gl_dump_opts o;
	gl_dump_opts_default(&o);
	o.values = sig_values;
	int rc = signal_dump(path, &o, &s, NULL, NULL);
	if (rc < 0) {
		char err[1024];
		const char *kind;
		fetch_exception(err, sizeof err, &kind);
		report_line(path, NULL, err);
	} else if (rc == 0) {
		report_line(path, &s, NULL);
	}
	Py_RETURN_NONE;
}

static PyMethodDef handler_def = {"graphleak_signal_handler", signal_handler, METH_VARARGS,
				   "graphleak's snapshot-on-signal handler (see graphleak.enable_signal)."};

PyObject *gl_py_enable_signal(PyObject *self, PyObject *args, PyObject *kwargs)
{
	(void)self;
	static char *kwlist[] = {"signum", "values", NULL};
	PyObject *signum = NULL;
	int values = 1;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O$p:enable_signal", kwlist, &signum, &values))
		return NULL;
	PyObject *sigmod = PyImport_ImportModule("signal");
	if (!sigmod)
		return NULL;
	PyObject *num = signum ? (Py_INCREF(signum), signum) : PyObject_GetAttrString(sigmod, "SIGUSR2");
	PyObject *h = num ? PyCFunction_New(&handler_def, NULL) : NULL;
	PyObject *prev = h ? PyObject_CallMethod(sigmod, "signal", "OO", num, h) : NULL;
	if (prev)
		sig_values = values;
	Py_XDECREF(h);
	Py_XDECREF(num);
	Py_DECREF(sigmod);
	return prev;
}
