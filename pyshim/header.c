/*
 * header.c - the header JSON of a dump (header.h): the interpreter, the
 * process, the time, gc's state and every thread with its frames. Written
 * before the walk, when Python may still run (module attributes are read,
 * a thread's frames may be materialised); never a lock of the threading
 * module, which the thread a signal handler interrupted may hold.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "header.h"
#include "memstat.h"
#include "pyutil.h"

/* A JSON string from a Python str (raw UTF-8, no cache created), or null. */
static void sb_pystr(gl_sb *j, PyObject *s)
{
	if (!s || !PyUnicode_Check(s)) {
		gl_sb_puts(j, "null");
		return;
	}
	size_t cap = (size_t)PyUnicode_GET_LENGTH(s) * 4 + 1;
	char *tmp = malloc(cap);
	if (!tmp) {
		j->failed = 1;
		return;
	}
	int trunc;
	size_t n = str_utf8(s, tmp, cap, &trunc);
	gl_sb_json_str(j, tmp, n);
	free(tmp);
}


static int held_push(gl_heldlist *h, PyObject *o)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		PyObject **nf = realloc(h->frames, nc * sizeof *nf);
		if (!nf)
			return -1;
		h->frames = nf;
		h->cap = nc;
	}
	h->frames[h->n++] = o;
	return 0;
}

void gl_held_release(gl_heldlist *h)
{
	for (size_t i = 0; i < h->n; i++)
		Py_DECREF(h->frames[i]);
	free(h->frames);
	h->frames = NULL;
	h->n = h->cap = 0;
}

/* calls module.attr(); new reference or NULL (error cleared) */
static PyObject *call0(PyObject *mod, const char *attr)
{
	PyObject *r = PyObject_CallMethod(mod, attr, NULL);
	if (!r)
		PyErr_Clear();
	return r;
}

static void sb_pyobj_int(gl_sb *j, PyObject *v)
{
	if (v && PyLong_Check(v)) {
		int of = 0;
		long long x = PyLong_AsLongLongAndOverflow(v, &of);
		if (!of && !(x == -1 && PyErr_Occurred())) {
			gl_sb_printf(j, "%lld", x);
			return;
		}
		PyErr_Clear();
	}
	gl_sb_puts(j, "null");
}

static void sb_int_tuple(gl_sb *j, PyObject *t)
{
	if (!t || !PyTuple_Check(t)) {
		gl_sb_puts(j, "null");
		return;
	}
	gl_sb_puts(j, "[");
	for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
		if (i)
			gl_sb_puts(j, ", ");
		sb_pyobj_int(j, PyTuple_GET_ITEM(t, i));
	}
	gl_sb_puts(j, "]");
}

static long long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	long long size = 0, res = 0;
	int n = fscanf(f, "%lld %lld", &size, &res);
	fclose(f);
	if (n != 2)
		return -1;
	return res * (long long)sysconf(_SC_PAGESIZE);
}

/*
 * The threading module's Thread objects, if it is imported (it is never
 * imported here): a copy of threading._active (ident -> Thread), new
 * reference or NULL, and threading._main_thread in *main_obj (new reference
 * or NULL). Read straight from the module's dict: enumerate() would take
 * _active_limbo_lock, which the thread a SIGUSR2 handler interrupts may be
 * holding. At exit, threading._shutdown() has already run: _main_thread
 * and _active are still there, but a program that never imported threading
 * has neither.
 */
static PyObject *thread_objects(PyObject **main_obj)
{
	*main_obj = NULL;
	PyObject *modules = PySys_GetObject("modules");
	PyObject *threading = (modules && PyDict_Check(modules)) ? PyDict_GetItemString(modules, "threading") : NULL;
	if (!threading || !PyModule_Check(threading))
		return NULL;
	PyObject *md = PyModule_GetDict(threading);
	PyObject *mt = dict_find(md, "_main_thread");
	if (mt && mt != Py_None) {
		Py_INCREF(mt);
		*main_obj = mt;
	}
	PyObject *active = dict_find(md, "_active");
	if (!active || !PyDict_Check(active))
		return NULL;
	PyObject *copy = PyDict_Copy(active);
	if (!copy)
		PyErr_Clear();
	return copy;
}

/* t.<name>, new reference or NULL (error cleared). */
static PyObject *get_attr(PyObject *t, const char *name)
{
	PyObject *v = t ? PyObject_GetAttrString(t, name) : NULL;
	if (!v)
		PyErr_Clear();
	return v;
}

/* Whether Thread object t says its ident is `ident`. */
static int thread_has_ident(PyObject *t, unsigned long ident)
{
	PyObject *v = get_attr(t, "_ident");
	int r = 0;
	if (v && PyLong_Check(v)) {
		unsigned long x = PyLong_AsUnsignedLong(v);
		if (x == (unsigned long)-1 && PyErr_Occurred())
			PyErr_Clear();
		else
			r = x == ident;
	}
	Py_XDECREF(v);
	return r;
}

/*
 * Whether frame f runs graphleak's own code: the bootstrap of `graphleak
 * run` (pyshim/graphleak_run.py, whose module globals say
 * __graphleak_bootstrap__; it runs as the first __main__, under any file
 * name) or a Python module of the graphleak package ("graphleak",
 * "graphleak.*"). Reads the frame's globals without calling anything.
 */
static int own_frame(PyFrameObject *f)
{
	gl_frame_view v;
	if (gl_frame_view_get((PyObject *)f, &v) < 0 || !v.globals || !PyDict_Check(v.globals))
		return 0;
	if (dict_find(v.globals, "__graphleak_bootstrap__"))
		return 1;
	PyObject *name = dict_find(v.globals, "__name__");
	return str_is(name, "graphleak") || str_has_prefix(name, "graphleak.");
}

static void sb_frame(gl_sb *j, PyFrameObject *f)
{
	PyCodeObject *co = gl_frame_code(f);
	gl_sb_printf(j, "{\"addr\": \"0x%llx\", \"function\": ", (unsigned long long)(uintptr_t)f);
	sb_pystr(j, co->co_name);
	gl_sb_puts(j, ", \"qualname\": ");
	sb_pystr(j, gl_code_qualname(co));
	gl_sb_puts(j, ", \"file\": ");
	sb_pystr(j, co->co_filename);
	gl_sb_printf(j, ", \"line\": %d", PyFrame_GetLineNumber(f));
	if (own_frame(f))
		gl_sb_puts(j, ", \"graphleak\": true");
	gl_sb_puts(j, "}");
}

static void build_threads(gl_sb *j, gl_heldlist *held)
{
	PyObject *main_obj;
	PyObject *tobjs = thread_objects(&main_obj);
	PyThreadState *cur = PyThreadState_Get();
	PyInterpreterState *interp = cur->interp;
	/* the main thread from the runtime, not from threading (which may not
	 * be imported, or be half torn down at exit) */
	unsigned long main_ident = interp == PyInterpreterState_Main() ? gl_main_thread_ident() : 0;
	gl_sb_puts(j, "[");
	int first = 1;
	for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts; ts = PyThreadState_Next(ts)) {
		unsigned long ident = gl_tstate_ident(ts);
		if (!first)
			gl_sb_puts(j, ", ");
		first = 0;
		gl_sb_printf(j, "{\"ident\": %lu", ident);
		int is_main = main_ident && ident == main_ident;
		PyObject *tobj = NULL;
		if (tobjs) {
			PyObject *key = PyLong_FromUnsignedLong(ident);
			tobj = key ? PyDict_GetItem(tobjs, key) : NULL;
			Py_XDECREF(key);
			PyErr_Clear();
		}
		if (!tobj && is_main && main_obj && thread_has_ident(main_obj, ident))
			tobj = main_obj;
		/* native id: the Thread's, else the thread state's (3.11+), else
		 * ours if this is the calling thread */
		PyObject *nid = get_attr(tobj, "_native_id");
		if (!nid || !PyLong_Check(nid)) {
			Py_XDECREF(nid);
			nid = NULL;
			unsigned long n = gl_tstate_native_id(ts);
			if (!n && ts == cur)
				n = PyThread_get_thread_native_id();
			if (n)
				nid = PyLong_FromUnsignedLong(n);
			PyErr_Clear();
		}
		gl_sb_puts(j, ", \"native_id\": ");
		sb_pyobj_int(j, nid);
		Py_XDECREF(nid);
		/* name: the Thread's; the main thread is "MainThread" without one */
		PyObject *name = get_attr(tobj, "_name");
		if (!name || !PyUnicode_Check(name)) {
			Py_XDECREF(name);
			name = get_attr(tobj, "name");
		}
		gl_sb_puts(j, ", \"name\": ");
		if (name && PyUnicode_Check(name))
			sb_pystr(j, name);
		else if (is_main)
			gl_sb_puts(j, "\"MainThread\"");
		else
			gl_sb_puts(j, "null");
		Py_XDECREF(name);
		gl_sb_printf(j, ", \"main\": %s, \"current\": %s, \"frames\": [",
		       is_main ? "true" : "false", ts == cur ? "true" : "false");
		PyFrameObject *f = gl_tstate_frame(ts);
		int ff = 1;
		while (f) {
			if (held_push(held, (PyObject *)f) < 0) {
				Py_DECREF(f);
				j->failed = 1;
				break;
			}
			if (!ff)
				gl_sb_puts(j, ", ");
			ff = 0;
			sb_frame(j, f);
			f = gl_frame_back(f);
		}
		gl_sb_puts(j, "]}");
	}
	gl_sb_puts(j, "]");
	Py_XDECREF(tobjs);
	Py_XDECREF(main_obj);
	PyErr_Clear();
}

void gl_header_build(gl_sb *j, int values, int collected, gl_heldlist *held, PyObject *interned)
{
	gl_sb_puts(j, "{\"format\": \"graphleak-snapshot\", \"format_version\": \"" GL_FMT_VERSION_TEXT "\", ");
	gl_sb_puts(j, "\"producer\": \"graphleak-shim " GL_SHIM_VERSION "\", ");
	/* python */
	const char *ver = Py_GetVersion();
	size_t vl = strcspn(ver, " ");
	gl_sb_puts(j, "\"python\": {\"version\": ");
	gl_sb_json_str(j, ver, vl);
	gl_sb_puts(j, ", \"hexversion\": ");
	sb_pyobj_int(j, PySys_GetObject("hexversion"));
	gl_sb_puts(j, ", \"implementation\": \"cpython\", \"executable\": ");
	sb_pystr(j, PySys_GetObject("executable"));
	gl_sb_puts(j, ", \"prefix\": ");
	sb_pystr(j, PySys_GetObject("prefix"));
	gl_sb_printf(j, "}, \"pid\": %ld, \"ppid\": %ld, \"uid\": %ld, \"argv\": [", (long)getpid(), (long)getppid(), (long)getuid());
	PyObject *argv = PySys_GetObject("argv");
	if (argv && PyList_Check(argv))
		for (Py_ssize_t i = 0; i < PyList_GET_SIZE(argv); i++) {
			if (i)
				gl_sb_puts(j, ", ");
			sb_pystr(j, PyList_GET_ITEM(argv, i));
		}
	gl_sb_puts(j, "], ");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char tbuf[64];
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	gl_sb_printf(j, "\"time\": \"%s\", \"time_unix\": %.6f, ", tbuf, (double)ts.tv_sec + ts.tv_nsec * 1e-9);
	gl_sb_printf(j, "\"rss_bytes\": %lld, ", rss_bytes());
	gl_memstat_json(j);
	gl_sb_printf(j, "\"tracemalloc\": {\"tracing\": %s, \"frames\": %d}, ",
		     gl_tm_config()->tracing ? "true" : "false", gl_tm_config()->max_nframe);
	/* gc */
	PyObject *gc = PyImport_ImportModule("gc");
	if (!gc)
		PyErr_Clear();
	PyObject *en = gc ? call0(gc, "isenabled") : NULL;
	PyObject *th = gc ? call0(gc, "get_threshold") : NULL;
	PyObject *cn = gc ? call0(gc, "get_count") : NULL;
	PyObject *gb = gc ? PyObject_GetAttrString(gc, "garbage") : NULL;
	if (!gb)
		PyErr_Clear();
	gl_sb_printf(j, "\"gc\": {\"enabled\": %s, \"thresholds\": ", en == Py_True ? "true" : "false");
	sb_int_tuple(j, th);
	gl_sb_puts(j, ", \"counts\": ");
	sb_int_tuple(j, cn);
	gl_sb_printf(j, ", \"garbage\": %zd, \"collected\": %s}, ", (gb && PyList_Check(gb)) ? PyList_GET_SIZE(gb) : (Py_ssize_t)0,
	       collected ? "true" : "false");
	Py_XDECREF(en);
	Py_XDECREF(th);
	Py_XDECREF(cn);
	Py_XDECREF(gb);
	Py_XDECREF(gc);
	gl_sb_printf(j, "\"options\": {\"values\": %s}, \"threads\": ", values ? "true" : "false");
	build_threads(j, held);
	/* named roots: objects the interpreter keeps alive that nothing in the
	 * heap references (the walk records each) */
	gl_sb_puts(j, ", \"roots\": [");
	if (interned)
		gl_sb_printf(j, "{\"name\": \"interned strings\", \"addr\": \"0x%llx\"}",
			     (unsigned long long)(uintptr_t)interned);
	gl_sb_puts(j, "]}");
}

