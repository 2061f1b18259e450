/*
 * attach.c - `graphleak dump --pid`, the CLI's side (see attach.h and
 * docs/attach.md). Plain C (jansson for the result, the injector for the
 * way in): no Python, no debugger.
 *
 * Steps:
 *   1. the target, from /proc: alive, its uid, not traced, not stopped, its
 *      executable and libpython (maps), hence its interpreter;
 *   2. the shim for that interpreter: its version read from the process
 *      (Py_Version, 3.11+; else the text Py_GetVersion() keeps, through the
 *      symbol table; else libpython's or the executable's name) and its
 *      build (a debug or free-threaded one is refused here); the shim of
 *      that minor version from shims.tsv beside this binary (one shim
 *      serves every patch release and build of a minor version, and checks
 *      the layout itself before it walks: pyshim/layout.c);
 *   3. a private directory (mkdtemp, 0700, given to the target's user if we
 *      are root and it is not) holding the request; in signal mode the
 *      well-known /tmp/graphleak-req-PID instead;
 *   4. attach mode: the injector (inject.h) loads the shim into it at a safe
 *      point and calls graphleak_attach_start(request), which starts the
 *      shim's helper thread and returns;
 *      signal mode: kill(pid, signum) once the target is seen to handle it;
 *   5. wait, bounded, for `started` and `result` in the directory, watching
 *      that the target is still the same live process;
 *   6. clean up the directory; on every path the target is left running.
 */
#define _GNU_SOURCE
#include "attach.h"

#include "flavour.h"
#include "image.h"
#include "inject.h"
#include "mem.h"
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/fsuid.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static gl_attach_status fail(gl_attach_result *r, gl_attach_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static gl_attach_status fail(gl_attach_result *r, gl_attach_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	r->status = st;
	return st;
}

static void say(const gl_attach_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const gl_attach_opts *o, const char *fmt, ...)
{
	if (!o->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("graphleak dump: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

const char *gl_attach_status_name(gl_attach_status s)
{
	switch (s) {
	case GL_ATTACH_OK: return "ok";
	case GL_ATTACH_USAGE: return "usage";
	case GL_ATTACH_NOPROC: return "no-such-process";
	case GL_ATTACH_NOTPY: return "not-python";
	case GL_ATTACH_NOSHIM: return "no-shim";
	case GL_ATTACH_PERM: return "permission";
	case GL_ATTACH_NOHANDLER: return "no-handler";
	case GL_ATTACH_EXITED: return "exited";
	case GL_ATTACH_TIMEOUT: return "timeout";
	case GL_ATTACH_WRITE: return "write";
	case GL_ATTACH_BUSY: return "busy";
	case GL_ATTACH_FAIL: return "failed";
	}
	return "failed";
}

/* ---- the target, from /proc ---------------------------------------------- */

typedef struct {
	int pid;
	char state;
	unsigned long long starttime;
	long uid, gid; /* effective */
	long tracer;
	unsigned long long sigcgt, sigblk, sigign;
	char exe[PATH_MAX];      /* real path of the executable */
	char exe_base[256];
	char libpython[PATH_MAX];/* real path, "" if none mapped */
	char guess[16];          /* "3.12" from libpython or the executable's name */
	char version[32];        /* "3.11.2" as read from the process, "" if not */
	char minor[16];          /* "3.11": what the shim is chosen by */
	char version_from[96];   /* where it was read, for messages */
	int nspid;               /* its pid in its own pid namespace (= pid if the same) */
	int contained;           /* in another mount namespace: a container */
	int rootfd;              /* /proc/PID/root (O_PATH) when contained, else -1 */
} target;

/* Still the same live process (not exited, not a zombie, not a reused pid)? */
static int target_alive(const target *t)
{
	char st;
	unsigned long long start;
	if (gl_proc_stat(t->pid, &st, &start) < 0)
		return 0;
	return start == t->starttime && st != 'Z' && st != 'X' && st != 'x';
}

static int proc_status(target *t)
{
	gl_proc_status ps;
	if (gl_proc_status_read(t->pid, 0, &ps) < 0)
		return -1;
	t->uid = ps.uid;
	t->gid = ps.gid;
	t->tracer = ps.tracer;
	t->sigcgt = ps.sigcgt;
	t->sigblk = ps.sigblk;
	t->sigign = ps.sigign;
	return 0;
}

/* "3.12" from "libpython3.12.so.1.0" or "python3.12" / "python3.12d". */
static void version_from_name(const char *base, const char *prefix, char *out, size_t len)
{
	size_t pl = strlen(prefix);
	if (strncmp(base, prefix, pl) != 0)
		return;
	const char *v = base + pl;
	size_t n = 0;
	while (v[n] && (v[n] == '.' || (v[n] >= '0' && v[n] <= '9')))
		n++;
	while (n && v[n - 1] == '.')
		n--;
	if (n && n < len && strchr(v, '.') && memchr(v, '.', n)) {
		memcpy(out, v, n);
		out[n] = 0;
	}
}

static const char *ptrace_help(char *buf, size_t len, const target *t)
{
	char scope[16] = "";
	if (gl_read_small("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof scope) > 0)
		scope[strcspn(scope, "\n")] = 0;
	int n = snprintf(buf, len, "The kernel refused ptrace. Possible reasons:\n");
	if (scope[0] && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n,
			      "  - /proc/sys/kernel/yama/ptrace_scope is %s (1: only a parent may attach, unless you have "
			      "CAP_SYS_PTRACE; 2: only with CAP_SYS_PTRACE, e.g. as root; 3: nobody): run graphleak as "
			      "root, or lower it (sysctl kernel.yama.ptrace_scope=0)\n",
			      scope);
	gl_proc_status self;
	if (n >= 0 && (size_t)n < len && gl_proc_status_read(getpid(), 0, &self) == 0 && self.seccomp == 2)
		n += snprintf(buf + n, len - (size_t)n,
			      "  - graphleak itself runs under a seccomp filter (Seccomp: 2 in /proc/self/status), "
			      "as in a container whose profile forbids ptrace: run it with a profile that allows "
			      "ptrace (Docker's default profile does with --cap-add=SYS_PTRACE), or from outside "
			      "the container\n");
	if (n >= 0 && (size_t)n < len && (uid_t)t->uid != geteuid())
		n += snprintf(buf + n, len - (size_t)n,
			      "  - the process runs as uid %ld and you are uid %ld: run graphleak as that user or as root\n",
			      t->uid, (long)geteuid());
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n,
			 "  - in a container, ptrace needs CAP_SYS_PTRACE (docker run --cap-add=SYS_PTRACE) and a seccomp "
			 "profile that allows it\n"
			 "Or use the cooperative mode, which needs no ptrace: run the program under `graphleak run` (or "
			 "call graphleak.enable_signal() in it), then: graphleak dump --pid %d --signal",
			 t->pid);
	return buf;
}

/* The executable's mapping with file offset 0, or NULL. */
static const gl_map *exe_map(const gl_maps *m, const target *t)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].path && m->v[i].offset == 0 && strcmp(m->v[i].path, t->exe) == 0)
			return &m->v[i];
	return NULL;
}

/* The executable holds the interpreter itself (a static libpython under any
 * name: a copied or renamed python, an application that embeds it): it
 * defines _PyRuntime and Py_Initialize. */
static int exe_embeds_python(const target *t)
{
	gl_maps maps;
	int yes = 0;
	if (gl_maps_read(t->pid, &maps) < 0)
		return 0;
	const gl_map *g = exe_map(&maps, t);
	gl_image img;
	char err[256];
	if (g && gl_image_open(t->pid, &maps, g, &img, err, sizeof err) == 0) {
		yes = gl_image_data(&img, "_PyRuntime", NULL) && gl_image_symbol(&img, "Py_Initialize", NULL);
		gl_image_close(&img);
	}
	gl_maps_free(&maps);
	return yes;
}

static gl_attach_status inspect(const gl_attach_opts *o, target *t, gl_attach_result *r)
{
	memset(t, 0, sizeof *t);
	t->pid = o->pid;
	if (o->pid <= 0)
		return fail(r, GL_ATTACH_USAGE, "--pid needs a process id (a positive number)");
	if (gl_proc_stat(t->pid, &t->state, &t->starttime) < 0 || (kill(t->pid, 0) < 0 && errno == ESRCH))
		return fail(r, GL_ATTACH_NOPROC, "no process %d (it is not running, or it is in another pid namespace)",
			    t->pid);
	if (t->state == 'Z' || t->state == 'X')
		return fail(r, GL_ATTACH_EXITED, "process %d has exited (it is a zombie)", t->pid);
	if (proc_status(t) < 0)
		return fail(r, GL_ATTACH_NOPROC, "no process %d", t->pid);
	int can_signal = kill(t->pid, 0) == 0;
	char path[64], link[PATH_MAX];
	snprintf(path, sizeof path, "/proc/%d/exe", t->pid);
	ssize_t n = readlink(path, link, sizeof link - 1);
	if (n < 0) {
		if (errno == EACCES || errno == EPERM || !can_signal) {
			char help[2048];
			return fail(r, GL_ATTACH_PERM, "not allowed to look at process %d (uid %ld; you are uid %ld).\n%s",
				    t->pid, t->uid, (long)geteuid(), ptrace_help(help, sizeof help, t));
		}
		if (errno == ENOENT)
			return fail(r, GL_ATTACH_NOTPY, "process %d has no executable (a kernel thread?): not a Python process",
				    t->pid);
		return fail(r, GL_ATTACH_FAIL, "cannot read %s: %s", path, strerror(errno));
	}
	link[n] = 0;
	const char *del = strstr(link, " (deleted)");
	char *rp = del ? NULL : realpath(link, NULL);
	if (copy_str(t->exe, sizeof t->exe, rp ? rp : link) < 0)
		t->exe[0] = 0;
	free(rp);
	const char *slash = strrchr(t->exe, '/');
	snprintf(t->exe_base, sizeof t->exe_base, "%.255s", slash ? slash + 1 : t->exe);
	snprintf(r->executable, sizeof r->executable, "%s", t->exe);

	/* libpython in the maps */
	snprintf(path, sizeof path, "/proc/%d/maps", t->pid);
	FILE *f = fopen(path, "re");
	if (f) {
		char line[PATH_MAX + 256];
		while (fgets(line, sizeof line, f)) {
			char *p = strstr(line, "/libpython3");
			if (!p)
				p = strstr(line, "/libpython2");
			if (!p)
				continue;
			char *start = strchr(line, '/');
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			char *lp = realpath(start, NULL);
			snprintf(t->libpython, sizeof t->libpython, "%s", lp ? lp : start);
			free(lp);
			break;
		}
		fclose(f);
	} else if (errno == EACCES) {
		return fail(r, GL_ATTACH_PERM, "not allowed to read the memory map of process %d (uid %ld); run as its user or root",
			    t->pid, t->uid);
	}
	if (t->libpython[0]) {
		const char *b = strrchr(t->libpython, '/');
		version_from_name(b ? b + 1 : t->libpython, "libpython", t->guess, sizeof t->guess);
	}
	if (!t->guess[0])
		version_from_name(t->exe_base, "python", t->guess, sizeof t->guess);
	int named_python = strncmp(t->exe_base, "python", 6) == 0 &&
			   strspn(t->exe_base + 6, "0123456789.dmu") == strlen(t->exe_base + 6);
	if (!t->libpython[0] && !named_python && !exe_embeds_python(t))
		return fail(r, GL_ATTACH_NOTPY,
			    "process %d is not a Python process: its executable is %s and it has no libpython mapped",
			    t->pid, t->exe[0] ? t->exe : "(unknown)");
	snprintf(r->python, sizeof r->python, "%s", t->guess[0] ? t->guess : "unknown");
	if (t->state == 'T' || t->state == 't') {
		return fail(r, GL_ATTACH_FAIL,
			    "process %d is stopped (state %c: a debugger, or SIGSTOP); resume it (kill -CONT %d) or "
			    "detach the debugger first",
			    t->pid, t->state, t->pid);
	}
	return GL_ATTACH_OK;
}

/* ---- the interpreter's version and build, read from the process ----------- */

static int parse_version(const char *p, int *maj, int *min, int *mic)
{
	*mic = 0;
	return sscanf(p, "%d.%d.%d", maj, min, mic) >= 2 && *maj >= 2 && *maj <= 9 && *min >= 0 && *min < 100 ? 0 : -1;
}

/* The mapping (file offset 0) of the file that holds the interpreter:
 * libpython if one is mapped, else the executable (a static libpython). */
static const gl_map *interpreter_map(const gl_maps *m, const target *t)
{
	const gl_map *g = gl_maps_find_lib(m, "libpython3");
	return g ? g : exe_map(m, t);
}

/*
 * The target's major.minor (and patch, where it can be read) and build
 * flavour, from the interpreter's own image, not from its path:
 *   - Py_Version (3.11+): the constant PY_VERSION_HEX, in .rodata;
 *   - else the static buffer in which Py_GetVersion() keeps the text of
 *     sys.version (filled at start-up), found through .symtab where the
 *     build kept it (pyenv's, python.org's);
 *   - else the version in libpython's or the executable's file name.
 * A debug build (Py_REF_DEBUG's symbols) or a free-threaded one (3.13t's)
 * is refused here, before anything is injected; the shim checks all of it
 * again, and the layout, before it walks.
 */
static gl_attach_status interpreter_version(target *t, gl_attach_result *r)
{
	gl_maps maps;
	memset(&maps, 0, sizeof maps);
	const char *debug_sym = NULL, *ft_sym = NULL;
	if (gl_maps_read(t->pid, &maps) == 0) {
		const gl_map *g = interpreter_map(&maps, t);
		gl_image img;
		char err[512];
		if (g && gl_image_open(t->pid, &maps, g, &img, err, sizeof err) == 0) {
			const char *base = strrchr(g->path, '/') ? strrchr(g->path, '/') + 1 : g->path;
			/* const unsigned long Py_Version = PY_VERSION_HEX (little-endian) */
			uint64_t size = 0, a = gl_image_data(&img, "Py_Version", &size);
			unsigned char v[8];
			if (a && (size == 4 || size == 8) && gl_image_read(&img, a, v, (size_t)size) == 0) {
				uint32_t hex = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
				snprintf(t->version, sizeof t->version, "%u.%u.%u", hex >> 24, (hex >> 16) & 0xff,
					 (hex >> 8) & 0xff);
				snprintf(t->version_from, sizeof t->version_from, "Py_Version in %.80s", base);
			}
			static const char *const bufs[] = {"version.0", "version.1", "version.2", "version", NULL};
			for (size_t i = 0; !t->version[0] && bufs[i]; i++) {
				char text[96];
				a = gl_image_data(&img, bufs[i], &size);
				int maj, min, mic;
				if (a && size >= sizeof text && gl_mem_read(t->pid, a, text, sizeof text) == 0 &&
				    (text[sizeof text - 1] = 0, parse_version(text, &maj, &min, &mic) == 0) &&
				    strstr(text, " (")) {
					snprintf(t->version, sizeof t->version, "%d.%d.%d", maj, min, mic);
					snprintf(t->version_from, sizeof t->version_from, "sys.version in %.80s", base);
				}
			}
			static const char *const debug[] = GL_DEBUG_BUILD_SYMBOLS;
			for (size_t i = 0; !debug_sym && debug[i]; i++)
				if (gl_image_symbol(&img, debug[i], NULL) || gl_image_data(&img, debug[i], NULL))
					debug_sym = debug[i];
			static const char *const ft[] = GL_FREETHREADED_SYMBOLS;
			for (size_t i = 0; !ft_sym && ft[i]; i++)
				if (gl_image_symbol(&img, ft[i], NULL))
					ft_sym = ft[i];
			gl_image_close(&img);
		}
		gl_maps_free(&maps);
	}
	int maj = 0, min = 0, mic = 0;
	if (t->version[0] && parse_version(t->version, &maj, &min, &mic) == 0) {
		snprintf(t->minor, sizeof t->minor, "%d.%d", maj, min);
		snprintf(r->python, sizeof r->python, "%s", t->version);
	} else if (t->guess[0] && parse_version(t->guess, &maj, &min, &mic) == 0) {
		snprintf(t->minor, sizeof t->minor, "%d.%d", maj, min);
		snprintf(t->version_from, sizeof t->version_from, "the name of %.80s",
			 t->libpython[0] ? "its libpython" : "its executable");
	}
	if (debug_sym || ft_sym)
		return fail(r, GL_ATTACH_NOSHIM, "process %d runs a %s build of CPython %s (%s%s defines %s). %s",
			    t->pid, debug_sym ? "debug" : "free-threaded", t->minor[0] ? t->minor : "(version unknown)",
			    debug_sym ? "--with-pydebug: " : "", t->libpython[0] ? t->libpython : t->exe,
			    debug_sym ? debug_sym : ft_sym, debug_sym ? GL_DEBUG_BUILD_WHY : GL_FREETHREADED_WHY);
	return GL_ATTACH_OK;
}

/* ---- the shim for its interpreter ------------------------------------------ */

static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/* Where `cmake --install` puts the shims, relative to where it puts the
 * binary (CMakeLists.txt: ${libdir}/graphleak from ${bindir}). */
#ifndef GRAPHLEAK_PKGLIBDIR_FROM_BINDIR
#define GRAPHLEAK_PKGLIBDIR_FROM_BINDIR "../lib/graphleak"
#endif

int gl_find_pyshim_dir(char *out, size_t len, const char *file)
{
	char dir[PATH_MAX];
	if (exe_dir(dir, sizeof dir) < 0)
		return -1;
	/* a build tree; an installed tree, found from the binary's own place
	 * (not a prefix compiled in), so that DESTDIR and a moved tree work;
	 * then the usual libdirs, for an install whose libdir was changed
	 * after this binary was built */
	const char *cands[] = {"%s/pyshim", "%s/" GRAPHLEAK_PKGLIBDIR_FROM_BINDIR, "%s/../lib/graphleak",
			       "%s/../lib64/graphleak"};
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		struct stat st;
		char path[PATH_MAX + 64];
		if ((size_t)snprintf(out, len, cands[i], dir) >= len)
			continue;
		snprintf(path, sizeof path, "%s/%s", out, file);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			/* bin/../lib/graphleak said plainly in messages and --json */
			char *rp = realpath(out, NULL);
			if (rp && strlen(rp) < len)
				memcpy(out, rp, strlen(rp) + 1);
			free(rp);
			return 0;
		}
	}
	return -1;
}

static void dirname_of(const char *p, char *out, size_t len)
{
	snprintf(out, len, "%s", p);
	char *s = strrchr(out, '/');
	if (s && s != out)
		*s = 0;
	else if (s)
		s[1] = 0;
}

static gl_attach_status find_shim(const target *t, const char *pyshim, gl_attach_result *r)
{
	char tsv[PATH_MAX + 32];
	snprintf(tsv, sizeof tsv, "%s/shims.tsv", pyshim);
	FILE *f = fopen(tsv, "re");
	/* one line per minor version: minor, version built from, interpreter
	 * built with, folder */
	char dir[PATH_MAX] = "", have[256] = "";
	size_t hl = 0;
	if (f) {
		char line[4 * PATH_MAX];
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = 0;
			char *fld[4];
			char *save = NULL;
			int k = 0;
			for (char *tok = strtok_r(line, "\t", &save); tok && k < 4; tok = strtok_r(NULL, "\t", &save))
				fld[k++] = tok;
			if (k != 4)
				continue;
			if (hl < sizeof have) {
				int n = snprintf(have + hl, sizeof have - hl, "%s%s", hl ? ", " : "", fld[0]);
				hl += n > 0 ? (size_t)n : 0;
			}
			if (!dir[0] && t->minor[0] && strcmp(fld[0], t->minor) == 0)
				snprintf(dir, sizeof dir, "%s", fld[3]);
		}
		fclose(f);
	}
	if (!dir[0]) {
		const char *range = "";
		int maj = 0, min = 0;
		if (sscanf(t->minor, "%d.%d", &maj, &min) == 2 && (maj != 3 || min < 8 || min > 13))
			range = " (graphleak supports CPython 3.8 to 3.13)";
		if (!t->minor[0])
			return fail(r, GL_ATTACH_NOSHIM,
				    "cannot tell which CPython process %d runs (%s): no Py_Version, no version text in "
				    "its symbol table, no version in its file names",
				    t->pid, t->exe);
		return fail(r, GL_ATTACH_NOSHIM,
			    "no shim for CPython %s in this graphleak: process %d runs %s (%s, read from %s)%s.\n"
			    "This graphleak has shims for CPython %s (%s).%s%s%s",
			    t->minor, t->pid, t->exe, t->version[0] ? t->version : t->minor, t->version_from, range,
			    have[0] ? have : "none", tsv,
			    range[0] ? "" : "\nBuild one: cmake -S <graphleak source> -B build -DGRAPHLEAK_PYTHONS=<a python",
			    range[0] ? "" : t->minor,
			    range[0] ? "" : " with its headers> && cmake --build build");
	}
	if (dir[0] != '/') { /* an installed manifest names its folders relative to itself */
		char rel[PATH_MAX];
		snprintf(rel, sizeof rel, "%s", dir);
		if ((size_t)snprintf(dir, sizeof dir, "%s/%s", pyshim, rel) >= sizeof dir)
			return fail(r, GL_ATTACH_NOSHIM, "the shim directory %s/%s is too long", pyshim, rel);
	}
	DIR *d = opendir(dir);
	if (!d)
		return fail(r, GL_ATTACH_NOSHIM, "the shim directory %s for %s is missing (rebuild graphleak)", dir, t->exe);
	struct dirent *e;
	r->shim[0] = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "graphleak", 9) == 0 && n > 3 && strcmp(e->d_name + n - 3, ".so") == 0) {
			if ((size_t)snprintf(r->shim, sizeof r->shim, "%s/%s", dir, e->d_name) >= sizeof r->shim)
				r->shim[0] = 0;
			break;
		}
	}
	closedir(d);
	if (!r->shim[0])
		return fail(r, GL_ATTACH_NOSHIM, "no graphleak*.so in %s (build the shim: cmake --build build)", dir);
	return GL_ATTACH_OK;
}

/* ---- the request directory ----------------------------------------------- */

/*
 * The request directory is used through file descriptors only: for a
 * target in our mount namespace it is under $XDG_RUNTIME_DIR or /tmp; for a
 * contained target (another mount namespace) it is made inside the target's
 * own root, reached through /proc/PID/root one component at a time without
 * following symbolic links (a container's /tmp that is a link to /etc must
 * not lead us into the host's /etc), and the shim is copied into it, since
 * the target cannot see our files. `dir` and `request` are the paths as the
 * target sees them; a contained target writes the snapshot there too, and
 * we copy it out.
 */
typedef struct {
	char dir[PATH_MAX];       /* as the target sees it */
	char request[PATH_MAX + 16];
	char token[40];
	char name[64];            /* the directory's name in its parent */
	int parentfd;             /* its parent, -1 when not opened */
	int fd;                   /* the directory, -1 when not made */
	int made;                 /* we created it */
	int inside;               /* in a contained target's root */
	char shim[PATH_MAX];      /* contained: the copied shim, as the target sees it */
	char snapshot[PATH_MAX];  /* contained: the output, as the target sees it */
} reqdir;

/* dir/name into out; -1 (out emptied) when it does not fit */
static int join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len) {
		out[0] = 0;
		return -1;
	}
	return 0;
}

static int exists_in(const reqdir *q, const char *name)
{
	struct stat st;
	return q->fd >= 0 && fstatat(q->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void reqdir_remove(reqdir *q)
{
	if (q->made && q->fd >= 0) {
		/* our files and the target's (result, started, a temporary
		 * result, the copied shim, a partial snapshot) */
		int fd2 = dup(q->fd);
		DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					unlinkat(q->fd, e->d_name, 0);
			closedir(d);
		} else if (fd2 >= 0) {
			close(fd2);
		}
		if (q->parentfd >= 0)
			unlinkat(q->parentfd, q->name, AT_REMOVEDIR);
	}
	if (q->fd >= 0)
		close(q->fd);
	if (q->parentfd >= 0)
		close(q->parentfd);
	q->fd = q->parentfd = -1;
	q->made = 0;
}

static int make_token(char *out, size_t len)
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)((unsigned long long)ts.tv_nsec >> (i % 8) ^ (unsigned)getpid() >> i);
	}
	if (len < 2 * sizeof b + 1)
		return -1;
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* Gives a file or directory (by fd) to the target's user when we are root
 * and it is not: its uid as this (the host's) side sees it, which is what
 * its user namespace maps its own user to. */
static int give(int fd, const target *t)
{
	if (geteuid() != 0 || t->uid == 0 || (uid_t)t->uid == geteuid())
		return 0;
	return fchown(fd, (uid_t)t->uid, (gid_t)t->gid);
}

/*
 * Creating inside a contained target: as its user (the file system uid set
 * to its uid and gid, as root may), so that what we create is its user's
 * from the start; a file system mounted in a user namespace that does not
 * map our uid 0 refuses an inode of ours (EOVERFLOW). Back with as_us().
 */
static void as_target(const reqdir *q, const target *t)
{
	if (q->inside && geteuid() == 0 && t->uid != 0) {
		setfsgid((gid_t)t->gid);
		setfsuid((uid_t)t->uid);
	}
}

static void as_us(const reqdir *q)
{
	if (q->inside && geteuid() == 0) {
		setfsuid(0);
		setfsgid(getegid());
	}
}

/* Writes `data` as a new file `name` in q (exclusive, no link followed,
 * mode), given to the target's user. 0 or -1 (errno). */
static int write_in(const reqdir *q, const target *t, const char *name, const void *data, size_t len, mode_t mode)
{
	as_target(q, t);
	int fd = openat(q->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int e = errno;
	as_us(q);
	errno = e;
	if (fd < 0)
		return -1;
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	int ok = done == len && give(fd, t) == 0;
	e = errno;
	if (close(fd) < 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlinkat(q->fd, name, 0);
		errno = e;
		return -1;
	}
	return 0;
}

static gl_attach_status write_request(reqdir *q, const gl_attach_opts *o, const target *t, gl_attach_result *r)
{
	join(q->request, sizeof q->request, q->dir, "request");
	if (make_token(q->token, sizeof q->token) < 0)
		return fail(r, GL_ATTACH_FAIL, "cannot make a token");
	const char *output = o->output;
	if (q->inside) {
		/* written inside the container, copied out by us when complete */
		join(q->snapshot, sizeof q->snapshot, q->dir, "snapshot.snap");
		output = q->snapshot;
	}
	char body[PATH_MAX + 256];
	int n = snprintf(body, sizeof body, "graphleak-request 1\noutput=%s\ntoken=%s\ncollect=%d\nvalues=%d\n%s%s%s",
			 output, q->token, o->collect ? 1 : 0, o->values ? 1 : 0, o->fork ? "fork=" : "",
			 o->fork ? o->fork : "", o->fork ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof body)
		return fail(r, GL_ATTACH_USAGE, "the output path is too long");
	if (write_in(q, t, "request", body, (size_t)n, 0600) < 0)
		return fail(r, GL_ATTACH_FAIL, "cannot write %s: %s", q->request, strerror(errno));
	return GL_ATTACH_OK;
}

/* Opens directory `rel` (relative, components separated by '/') under
 * `at`, one component at a time, following no symbolic link. -1 (errno) if
 * a component is missing, not a directory, or a link. */
static int open_dir_nofollow(int at, const char *rel)
{
	char buf[PATH_MAX];
	if (copy_str(buf, sizeof buf, rel) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		errno = e;
		fd = next;
	}
	return fd;
}

/* Makes q->name (mode 0700, given to the target's user) in q->parentfd and
 * opens it. 0, or -1 with errno (EEXIST: the name is taken). */
static int make_dir_at(reqdir *q, const target *t)
{
	as_target(q, t);
	int rc = mkdirat(q->parentfd, q->name, 0700);
	int e = errno;
	as_us(q);
	errno = e;
	if (rc < 0)
		return -1;
	q->made = 1;
	q->fd = openat(q->parentfd, q->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (q->fd < 0 || give(q->fd, t) < 0)
		return -1;
	return 0;
}

/*
 * The place for the request: ours (the directory `base`), or, for a
 * contained target, the first of its /tmp, /var/tmp, /dev/shm, /run that
 * exists (no link on the way), is writable and, in attach mode, lets a
 * library be mapped executable from it (the shim is copied there).
 * q->parentfd is opened and the parent's path as the target sees it goes
 * into tdir.
 */
static gl_attach_status open_parent(reqdir *q, const target *t, int exec_needed, const char *base, char *tdir,
				    size_t tlen, gl_attach_result *r)
{
	if (!t->contained) {
		q->parentfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (q->parentfd < 0)
			return fail(r, GL_ATTACH_FAIL, "cannot open %s: %s", base, strerror(errno));
		snprintf(tdir, tlen, "%s", base);
		return GL_ATTACH_OK;
	}
	static const char *const cands[] = {"tmp", "var/tmp", "dev/shm", "run"};
	char why[512] = "";
	size_t wl = 0;
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		int fd = open_dir_nofollow(t->rootfd, cands[i]);
		struct statvfs sv;
		const char *no = NULL;
		if (fd < 0)
			no = errno == ELOOP || errno == ENOTDIR ? "a link or not a directory" : "missing";
		else if (fstatvfs(fd, &sv) < 0)
			no = "cannot be examined";
		else if (sv.f_flag & ST_RDONLY)
			no = "read-only";
		else if (exec_needed && (sv.f_flag & ST_NOEXEC))
			no = "mounted noexec";
		if (!no) {
			q->parentfd = fd;
			q->inside = 1;
			snprintf(tdir, tlen, "/%s", cands[i]);
			return GL_ATTACH_OK;
		}
		if (fd >= 0)
			close(fd);
		int n = snprintf(why + wl, sizeof why - wl, "%s/%s %s", wl ? ", " : "", cands[i], no);
		if (n > 0 && (size_t)n < sizeof why - wl)
			wl += (size_t)n;
	}
	return fail(r, GL_ATTACH_FAIL,
		    "process %d runs in a container (another mount namespace) with no directory graphleak can use "
		    "inside it (%s).\nUse --signal with the program under `graphleak run` in the container, or run "
		    "graphleak inside the container.",
		    t->pid, why);
}

/* Attach mode: a fresh private directory under $XDG_RUNTIME_DIR or /tmp,
 * or inside a contained target's root. */
static gl_attach_status make_private_dir(reqdir *q, const target *t, gl_attach_result *r)
{
	const char *base = "/tmp";
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (!t->contained && x && x[0] == '/' && (uid_t)t->uid == geteuid() && stat(x, &st) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid == geteuid() && strlen(x) < 512)
		base = x;
	char tdir[PATH_MAX];
	gl_attach_status stt = open_parent(q, t, 1, base, tdir, sizeof tdir, r);
	if (stt != GL_ATTACH_OK)
		return stt;
	for (int tries = 0; tries < 100; tries++) {
		char tok[40];
		if (make_token(tok, sizeof tok) < 0)
			return fail(r, GL_ATTACH_FAIL, "cannot make a name");
		snprintf(q->name, sizeof q->name, "graphleak-%d-%.12s", t->nspid, tok);
		if (join(q->dir, sizeof q->dir, tdir, q->name) < 0)
			return fail(r, GL_ATTACH_FAIL, "the directory name %s is too long", tdir);
		if (make_dir_at(q, t) == 0)
			return GL_ATTACH_OK;
		if (errno != EEXIST)
			break;
	}
	return fail(r, GL_ATTACH_FAIL, "cannot create a private directory in %s%s: %s",
		    q->inside ? "the container's " : "", tdir, strerror(errno));
}

/* Signal mode: /tmp/graphleak-req-PID (PID as the target sees itself), ours
 * (or the target's user's, given by root), in its own /tmp when contained. */
static gl_attach_status make_signal_dir(reqdir *q, const target *t, gl_attach_result *r)
{
	char tdir[PATH_MAX];
	gl_attach_status stt = open_parent(q, t, 0, "/tmp", tdir, sizeof tdir, r);
	if (stt != GL_ATTACH_OK)
		return stt;
	if (strcmp(tdir, "/tmp") != 0)
		return fail(r, GL_ATTACH_FAIL,
			    "process %d's container has no writable /tmp, where its handler looks for the request",
			    t->pid);
	snprintf(q->name, sizeof q->name, "graphleak-req-%d", t->nspid);
	snprintf(q->dir, sizeof q->dir, "/tmp/%s", q->name);
	if (make_dir_at(q, t) == 0)
		return GL_ATTACH_OK;
	if (errno != EEXIST)
		return fail(r, GL_ATTACH_FAIL, "cannot create %s: %s", q->dir, strerror(errno));
	struct stat st;
	if (fstatat(q->parentfd, q->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() && !(geteuid() == 0 && st.st_uid == (uid_t)t->uid)) || (st.st_mode & 077))
		return fail(r, GL_ATTACH_FAIL,
			    "%s exists and is not a private directory of yours: remove it (someone may "
			    "be trying to intercept the request)",
			    q->dir);
	/* left over from an interrupted run: empty it, make it again */
	q->fd = openat(q->parentfd, q->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	q->made = 1;
	int parent = q->parentfd;
	q->parentfd = dup(parent);
	reqdir_remove(q);
	q->parentfd = parent;
	if (make_dir_at(q, t) < 0)
		return fail(r, GL_ATTACH_FAIL, "cannot create %s: %s", q->dir, strerror(errno));
	return GL_ATTACH_OK;
}

/* Copies the regular file at `from` to a new file `to` (fd-relative:
 * to_dir, to_name; exclusive, no link followed, mode). The new file's fd
 * goes to *outfd (the caller closes it), or -1 on error (errno). */
static int copy_file(int from, int to_dir, const char *to_name, mode_t mode, int *outfd)
{
	struct stat st;
	*outfd = -1;
	if (fstat(from, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	int out = openat(to_dir, to_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0)
		return -1;
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(out, from, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n == 0 ? EIO : errno;
			close(out);
			unlinkat(to_dir, to_name, 0);
			errno = e;
			return -1;
		}
		left -= n;
	}
	*outfd = out;
	return 0;
}

/* Contained attach mode: the shim copied into the request directory (the
 * target cannot see our files), read-only, the target's user's. */
static gl_attach_status copy_shim(reqdir *q, const target *t, const char *shim, gl_attach_result *r)
{
	const char *base = strrchr(shim, '/');
	base = base ? base + 1 : shim;
	int in = open(shim, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(r, GL_ATTACH_NOSHIM, "cannot read the shim %s: %s", shim, strerror(errno));
	int out;
	as_target(q, t);
	int rc = copy_file(in, q->fd, base, 0500, &out);
	int e = errno;
	as_us(q);
	close(in);
	if (rc == 0 && give(out, t) < 0) {
		rc = -1;
		e = errno;
	}
	if (out >= 0 && close(out) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0)
		return fail(r, GL_ATTACH_FAIL, "cannot copy the shim into process %d's container (%s): %s", t->pid,
			    q->dir, strerror(e));
	join(q->shim, sizeof q->shim, q->dir, base);
	return GL_ATTACH_OK;
}

/* Contained: the snapshot the target wrote inside, copied to o->output
 * (exclusive, no link followed, 0600), then removed inside. */
static gl_attach_status copy_out(const gl_attach_opts *o, reqdir *q, gl_attach_result *r)
{
	int in = openat(q->fd, "snapshot.snap", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return fail(r, GL_ATTACH_FAIL, "the target reported a snapshot, but %s is missing: %s", q->snapshot,
			    strerror(errno));
	char d[PATH_MAX];
	dirname_of(o->output, d, sizeof d);
	const char *b = strrchr(o->output, '/');
	b = b ? b + 1 : o->output;
	int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int out = -1;
	int rc = dfd < 0 ? -1 : copy_file(in, dfd, b, 0600, &out);
	int e = errno;
	close(in);
	if (out >= 0 && close(out) < 0 && rc == 0) {
		rc = -1;
		e = errno;
		unlinkat(dfd, b, 0);
	}
	if (dfd >= 0)
		close(dfd);
	unlinkat(q->fd, "snapshot.snap", 0);
	if (rc < 0)
		return fail(r, GL_ATTACH_WRITE, "cannot copy the snapshot out of the container to %s: %s", o->output,
			    strerror(e));
	snprintf(r->path, sizeof r->path, "%s", o->output);
	return GL_ATTACH_OK;
}

/* ---- interruption of graphleak itself ------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

typedef struct {
	struct sigaction old_int, old_term, old_hup;
} sigsave;

static void catch_signals(sigsave *s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	sigaction(SIGHUP, &sa, &s->old_hup);
}

static void restore_signals(const sigsave *s)
{
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
	sigaction(SIGHUP, &s->old_hup, NULL);
}

/* ---- the result ----------------------------------------------------------- */

static void remove_partial(const char *output, int pid)
{
	char dir[PATH_MAX];
	dirname_of(output, dir, sizeof dir);
	const char *base = strrchr(output, '/');
	base = base ? base + 1 : output;
	char pfx[PATH_MAX];
	int n = snprintf(pfx, sizeof pfx, ".%s.%d.", base, pid);
	if (n < 0 || (size_t)n >= sizeof pfx)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, pfx, (size_t)n) == 0 && l > 5 && strcmp(e->d_name + l - 5, ".part") == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static double jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : 0;
}

static gl_attach_status read_result(const gl_attach_opts *o, const target *t, const reqdir *q, gl_attach_result *r)
{
	char path[PATH_MAX + 32];
	join(path, sizeof path, q->dir, "result");
	json_error_t je;
	int rfd = openat(q->fd, "result", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	json_t *j = rfd >= 0 ? json_loadfd(rfd, 0, &je) : NULL;
	if (rfd < 0)
		snprintf(je.text, sizeof je.text, "%s", strerror(errno));
	else
		close(rfd);
	if (!j)
		return fail(r, GL_ATTACH_FAIL, "the target's answer %s is unreadable: %s", path, je.text);
	const char *tok = json_string_value(json_object_get(j, "token"));
	const char *err = json_string_value(json_object_get(j, "error"));
	const char *kind = json_string_value(json_object_get(j, "error_kind"));
	const char *py = json_string_value(json_object_get(j, "python"));
	if (py)
		snprintf(r->python, sizeof r->python, "%s", py);
	gl_attach_status st = GL_ATTACH_OK;
	if (!tok || strcmp(tok, q->token) != 0) {
		st = fail(r, GL_ATTACH_FAIL, "the target's answer is not for this request (%s)", err ? err : "token mismatch");
	} else if (!json_is_true(json_object_get(j, "ok"))) {
		if (!err)
			err = "unknown error";
		if (strncmp(err, "graphleak.dump: ", 16) == 0)
			err += 16;
		if (kind && strcmp(kind, "write") == 0) {
			char d[PATH_MAX];
			dirname_of(o->output, d, sizeof d);
			const char *hint = "";
			if (strstr(err, "File too large"))
				hint = "\nThe target's file size limit (ulimit -f, RLIMIT_FSIZE) is smaller than the snapshot.";
			else if (strstr(err, "No space left"))
				hint = "\nThe disk is full: write the snapshot somewhere else (-o).";
			else if (strstr(err, "Permission denied") || strstr(err, "Read-only"))
				hint = "\nThe file is created by the target itself, so its user must be able to write there.";
			else if (strstr(err, "exists"))
				hint = "\ngraphleak never replaces a file: choose another name (-o).";
			st = fail(r, GL_ATTACH_WRITE, "process %d (uid %ld) could not write the snapshot in %s: %s%s",
				  t->pid, t->uid, d, err, hint);
		} else if (kind && (strcmp(kind, "version") == 0 || strcmp(kind, "build") == 0 ||
				    strcmp(kind, "layout") == 0)) {
			/* the shim refused before walking (pyshim/layout.c): nothing
			 * was read, the process goes on as it was */
			st = fail(r, GL_ATTACH_NOSHIM,
				  "the shim refused to walk process %d: %s.\nNothing was read and the process goes on "
				  "unchanged.%s",
				  t->pid, err,
				  strcmp(kind, "build") == 0 ? ""
				  : "\nIf this interpreter is a CPython 3.8-3.13 release build, build graphleak with its "
				    "headers (cmake -DGRAPHLEAK_PYTHONS=<it> ...) and report the mismatch");
		} else if (kind && strcmp(kind, "cancelled") == 0) {
			st = fail(r, GL_ATTACH_TIMEOUT, "the dump was cancelled after the timeout");
		} else {
			st = fail(r, GL_ATTACH_FAIL, "the snapshot failed in process %d: %s", t->pid, err);
		}
	} else {
		const char *p = json_string_value(json_object_get(j, "path"));
		snprintf(r->path, sizeof r->path, "%s", q->inside || !p ? o->output : p);
		r->objects = (uint64_t)jnum(j, "objects");
		r->edges = (uint64_t)jnum(j, "edges");
		r->bytes = (uint64_t)jnum(j, "bytes");
		r->file_bytes = (uint64_t)jnum(j, "file_bytes");
		r->pause_seconds = jnum(j, "pause_seconds");
		r->dump_seconds = jnum(j, "dump_seconds");
		r->gil_wait_seconds = jnum(j, "gil_wait_seconds");
		r->total_seconds = jnum(j, "total_seconds");
		r->child_seconds = jnum(j, "child_seconds");
		r->cow_private_bytes = (uint64_t)jnum(j, "cow_private_bytes");
		const char *fk = json_string_value(json_object_get(j, "fork"));
		r->forked = fk && strcmp(fk, "fork") == 0;
		const char *fn = json_string_value(json_object_get(j, "fork_note"));
		snprintf(r->fork_note, sizeof r->fork_note, "%s", fn ? fn : "");
		r->status = GL_ATTACH_OK;
	}
	json_decref(j);
	return st;
}

static gl_attach_status wait_result(const gl_attach_opts *o, const target *t, reqdir *q, int attach_mode,
				    gl_attach_result *r)
{
	double t0 = now_s(), deadline = t0 + o->timeout, dump_deadline = 0, nap = 0.002;
	int started = 0;
	for (;;) {
		if (exists_in(q, "result")) {
			gl_attach_status st = read_result(o, t, q, r);
			if (st == GL_ATTACH_OK && q->inside)
				st = copy_out(o, q, r);
			return st;
		}
		double now = now_s();
		if (!started && exists_in(q, "started")) {
			started = 1;
			dump_deadline = now + o->dump_timeout;
			say(o, "the dump has started (%.3f s after the request)", now - t0);
		}
		if (!target_alive(t)) {
			if (exists_in(q, "result"))
				continue;
			if (!q->inside)
				remove_partial(o->output, t->nspid);
			return fail(r, GL_ATTACH_EXITED, "process %d exited %s; no snapshot was written", t->pid,
				    started ? "during the dump" : "before the dump began");
		}
		if (!started && (now >= deadline || interrupted)) {
			if (attach_mode)
				write_in(q, t, "cancel", "", 0, 0600);
			if (exists_in(q, "started")) /* it began meanwhile: wait for it */
				continue;
			unlinkat(q->fd, "request", 0);
			if (interrupted)
				return fail(r, GL_ATTACH_FAIL, "interrupted while waiting for process %d", t->pid);
			if (attach_mode)
				return fail(r, GL_ATTACH_TIMEOUT,
					    "process %d did not hand over the GIL within %g s: a thread holds it without "
					    "releasing it (a long computation in C code, or a blocking call made without "
					    "releasing the GIL). The helper thread left in it exits without dumping when it "
					    "gets the GIL. Try again later, or with a larger --timeout.",
					    t->pid, o->timeout);
			return fail(r, GL_ATTACH_TIMEOUT,
				    "process %d did not answer the signal within %g s. Its handler runs in the main thread "
				    "between two bytecodes: the main thread is busy in C code or blocked in a call that "
				    "signals do not interrupt. If it answers later it writes graphleak-%d-N.snap in its "
				    "current directory.",
				    t->pid, o->timeout, t->pid);
		}
		if (started && (now >= dump_deadline || interrupted))
			return fail(r, GL_ATTACH_TIMEOUT,
				    "the dump in process %d started but did not finish within %g s%s; it will still "
				    "write %s when it finishes",
				    t->pid, o->dump_timeout, interrupted ? " (interrupted)" : "",
				    q->inside ? "its snapshot inside its container (removed with the request)" : o->output);
		sleep_s(nap);
		if (nap < 0.02)
			nap *= 1.5;
	}
}

/* ---- the whole thing -------------------------------------------------------- */

int gl_attach_default_output(int pid, char *out, size_t len)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return -1;
	for (unsigned n = 1; n < 100000; n++) {
		struct stat st;
		if ((size_t)snprintf(out, len, "%s/graphleak-%d-%u.snap", cwd, pid, n) >= len)
			return -1;
		if (lstat(out, &st) < 0 && errno == ENOENT)
			return 0;
	}
	return -1;
}

static gl_attach_status check_output(const gl_attach_opts *o, gl_attach_result *r)
{
	if (!o->output || o->output[0] != '/')
		return fail(r, GL_ATTACH_USAGE, "the output path must be absolute");
	struct stat st;
	if (lstat(o->output, &st) == 0)
		return fail(r, GL_ATTACH_USAGE, "%s exists: graphleak never replaces a file; choose another name (-o)",
			    o->output);
	char d[PATH_MAX];
	dirname_of(o->output, d, sizeof d);
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(r, GL_ATTACH_USAGE, "no directory %s for the snapshot", d);
	return GL_ATTACH_OK;
}

/* The target's pid in its own namespace, and whether it runs in another
 * mount namespace (a container): then its root, to reach its files. */
static gl_attach_status namespaces(target *t, gl_attach_result *r)
{
	t->nspid = t->pid;
	gl_proc_status ps;
	if (gl_proc_status_read(t->pid, 0, &ps) == 0 && ps.nspid > 0)
		t->nspid = ps.nspid;
	char a[64], b[64], p[64];
	snprintf(p, sizeof p, "/proc/%d/ns/mnt", t->pid);
	ssize_t na = readlink("/proc/self/ns/mnt", a, sizeof a - 1);
	ssize_t nb = readlink(p, b, sizeof b - 1);
	if (nb < 0 && (errno == EACCES || errno == EPERM))
		return fail(r, GL_ATTACH_PERM,
			    "not allowed to look at process %d's namespaces (uid %ld); run as its user or root", t->pid,
			    t->uid);
	if (na < 0 || nb < 0)
		return GL_ATTACH_OK; /* no namespaces here: one view of the files */
	a[na] = b[nb] = 0;
	if (strcmp(a, b) == 0)
		return GL_ATTACH_OK;
	t->contained = 1;
	snprintf(p, sizeof p, "/proc/%d/root", t->pid);
	t->rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0)
		return fail(r, errno == EACCES || errno == EPERM ? GL_ATTACH_PERM : GL_ATTACH_FAIL,
			    "process %d runs in a container and its root (%s) cannot be opened: %s; graphleak needs the "
			    "right to trace it (root, or CAP_SYS_PTRACE). Else run graphleak inside the container.",
			    t->pid, p, strerror(errno));
	return GL_ATTACH_OK;
}

static gl_attach_status signal_mode(const gl_attach_opts *o, const target *t, reqdir *q, gl_attach_result *r)
{
	if (kill(t->pid, 0) < 0 && errno == EPERM)
		return fail(r, GL_ATTACH_PERM,
			    "not allowed to send a signal to process %d (it runs as uid %ld, you are uid %ld): run "
			    "graphleak as that user or as root",
			    t->pid, t->uid, (long)geteuid());
	unsigned long long bit = 1ULL << (o->signum - 1);
	if (!(t->sigcgt & bit)) {
		const char *name = sigabbrev_np(o->signum);
		return fail(r, GL_ATTACH_NOHANDLER,
			    "process %d does not handle SIG%s, so the signal would %s it.\n"
			    "Cooperative mode needs the program to run under `graphleak run`, or to call "
			    "graphleak.enable_signal() (with the shim on its path). Without that, attach: "
			    "leave out --signal.",
			    t->pid, name ? name : "?", (t->sigign & bit) ? "be ignored by" : "kill");
	}
	gl_attach_status st = make_signal_dir(q, t, r);
	if (st == GL_ATTACH_OK)
		st = write_request(q, o, t, r);
	if (st != GL_ATTACH_OK)
		return st;
	if (q->inside)
		say(o, "process %d is contained (pid %d in its namespace): the request in its %s", t->pid, t->nspid,
		    q->dir);
	say(o, "request in %s; sending signal %d to process %d", q->dir, o->signum, t->pid);
	if (kill(t->pid, o->signum) < 0)
		return fail(r, errno == ESRCH ? GL_ATTACH_EXITED : GL_ATTACH_PERM, "cannot signal process %d: %s",
			    t->pid, strerror(errno));
	return wait_result(o, t, q, 0, r);
}

/* The injector's outcome, in the words and statuses of `graphleak dump`. */
static gl_attach_status injected(const gl_attach_opts *o, const target *t, const gl_inject_result *ir,
				 gl_attach_result *r)
{
	char help[2048];
	switch (ir->status) {
	case GL_INJECT_OK:
		if (ir->retval == -EBUSY)
			return fail(r, GL_ATTACH_BUSY,
				    "an earlier graphleak dump is still waiting for the GIL in process %d (a thread holds "
				    "it in C code); it will exit without dumping when it gets it. Try again later.",
				    t->pid);
		if (ir->retval != 0)
			return fail(r, GL_ATTACH_FAIL, "graphleak_attach_start failed in process %d: %s", t->pid,
				    strerror((int)-ir->retval));
		return GL_ATTACH_OK;
	case GL_INJECT_NOPROC:
		return fail(r, GL_ATTACH_NOPROC, "no process %d", t->pid);
	case GL_INJECT_EXITED:
		return fail(r, GL_ATTACH_EXITED, "process %d exited while graphleak was attaching (%s)", t->pid,
			    ir->message);
	case GL_INJECT_PERM:
		return fail(r, GL_ATTACH_PERM, "not allowed to attach to process %d (%s).\n%s", t->pid, ir->message,
			    ptrace_help(help, sizeof help, t));
	case GL_INJECT_NOSAFEPOINT:
		return fail(r, GL_ATTACH_TIMEOUT,
			    "no thread of process %d reached a safe point within %g s: %s.\n"
			    "Nothing was loaded into it; it was left running. A process that only computes without "
			    "allocating never passes one: try again, with a larger --timeout, or use --signal.",
			    t->pid, o->timeout, ir->message);
	case GL_INJECT_INTERRUPTED:
		return fail(r, GL_ATTACH_FAIL, "interrupted before anything was loaded into process %d; it was left "
					       "running", t->pid);
	case GL_INJECT_NOSYMBOL:
		return fail(r, GL_ATTACH_NOSHIM, "%s (an old build of the shim? rebuild graphleak)", ir->message);
	case GL_INJECT_LOADFAIL: {
		gl_proc_status ps;
		if (gl_proc_status_read(t->pid, 0, &ps) == 0 && ps.seccomp == 2)
			return fail(r, GL_ATTACH_FAIL,
				    "%s.\nProcess %d runs under a seccomp filter, which may deny it new executable "
				    "memory (a container's or systemd's MemoryDenyWriteExecute=). Nothing was loaded "
				    "and it was left running; use --signal.",
				    ir->message, t->pid);
		if (strstr(ir->message, "undefined symbol"))
			return fail(r, GL_ATTACH_NOSHIM,
				    "%s.\nThe shim needs a function this interpreter does not have: it was built for "
				    "another CPython minor version than the process's %s. Nothing was loaded and the "
				    "process was left running.",
				    ir->message, t->minor[0] ? t->minor : "(unknown)");
		return fail(r, GL_ATTACH_FAIL, "%s.\nNothing was loaded and the process was left running.",
			    ir->message);
	}
	case GL_INJECT_TRACED:
	case GL_INJECT_STOPPED:
	case GL_INJECT_UNSUPPORTED:
	case GL_INJECT_CALLFAIL:
	case GL_INJECT_FAIL:
		break;
	}
	return fail(r, GL_ATTACH_FAIL, "%s", ir->message);
}

static gl_attach_status attach_mode(const gl_attach_opts *o, const target *t, reqdir *q, gl_attach_result *r)
{
	if (t->tracer)
		return fail(r, GL_ATTACH_FAIL,
			    "process %d is already being traced by process %ld (a debugger or strace): only one "
			    "tracer at a time. Detach it first, or use --signal.",
			    t->pid, t->tracer);
	gl_attach_status st = make_private_dir(q, t, r);
	if (st == GL_ATTACH_OK && q->inside)
		st = copy_shim(q, t, r->shim, r);
	if (st == GL_ATTACH_OK)
		st = write_request(q, o, t, r);
	if (st != GL_ATTACH_OK)
		return st;
	if (q->inside)
		say(o, "process %d is contained (pid %d in its namespace): request and shim in its %s", t->pid,
		    t->nspid, q->dir);
	say(o, "process %d runs CPython %s (read from %s): loading %s", t->pid, t->version[0] ? t->version : t->minor,
	    t->version_from, q->inside ? q->shim : r->shim);
	gl_inject_opts io = {
		.pid = t->pid,
		.library = q->inside ? q->shim : r->shim,
		.symbol = "graphleak_attach_start",
		.arg = q->request,
		.timeout = o->timeout,
		.path = o->inject_path,
		.verbose = o->verbose,
		.log_prefix = "graphleak dump: ",
		.interrupted = &interrupted,
	};
	gl_inject_result *ir = calloc(1, sizeof *ir);
	if (!ir)
		return fail(r, GL_ATTACH_FAIL, "out of memory");
	gl_inject(&io, ir);
	snprintf(r->safe_point, sizeof r->safe_point, "%s", ir->where);
	r->attached_seconds = ir->traced_seconds;
	r->inject_seconds = ir->total_seconds;
	r->stopped_seconds = ir->stopped_seconds;
	r->ext_bytes = ir->ext_bytes;
	say(o, "injector: %s in %.4f s (%s; thread stopped %.4f s, calls %.4f s, %d thread(s) judged, %d "
	       "breakpoint hit(s); extended state %zu bytes)",
	    gl_inject_status_name(ir->status), ir->total_seconds, ir->where[0] ? ir->where : "no safe point",
	    ir->stopped_seconds, ir->calls_seconds, ir->threads_judged, ir->breakpoint_hits, ir->ext_bytes);
	st = injected(o, t, ir, r);
	free(ir);
	if (st != GL_ATTACH_OK)
		return st;
	say(o, "shim loaded (%s); waiting for the GIL", r->safe_point);
	return wait_result(o, t, q, 1, r);
}

gl_attach_status gl_attach_dump(const gl_attach_opts *o, gl_attach_result *r)
{
	double t0 = now_s();
	memset(r, 0, sizeof *r);
	snprintf(r->mode, sizeof r->mode, "%s", o->use_signal ? "signal" : "attach");
	target *t = calloc(1, sizeof *t);
	reqdir *q = calloc(1, sizeof *q);
	if (!t || !q) {
		free(t);
		free(q);
		return fail(r, GL_ATTACH_FAIL, "out of memory");
	}
	q->fd = q->parentfd = -1;
	t->rootfd = -1;
	sigsave ss;
	catch_signals(&ss);
	gl_attach_status st = inspect(o, t, r);
	if (st == GL_ATTACH_OK)
		st = namespaces(t, r);
	if (st == GL_ATTACH_OK)
		st = check_output(o, r);
	if (st == GL_ATTACH_OK) {
		if (o->use_signal) {
			st = signal_mode(o, t, q, r);
		} else {
			char pyshim[PATH_MAX];
			if (gl_find_pyshim_dir(pyshim, sizeof pyshim, "shims.tsv") < 0)
				st = fail(r, GL_ATTACH_NOSHIM,
					  "no shims beside the graphleak binary (pyshim/shims.tsv in a build, "
					  "../lib/graphleak/shims.tsv installed): build graphleak with the shim "
					  "enabled (cmake -DGRAPHLEAK_BUILD_SHIM=ON)");
			else
				st = interpreter_version(t, r);
			if (st == GL_ATTACH_OK)
				st = find_shim(t, pyshim, r);
			if (st == GL_ATTACH_OK)
				st = attach_mode(o, t, q, r);
		}
	}
	reqdir_remove(q);
	if (t->rootfd >= 0)
		close(t->rootfd);
	restore_signals(&ss);
	r->status = st;
	r->wall_seconds = now_s() - t0;
	free(t);
	free(q);
	return st;
}
