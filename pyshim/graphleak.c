/*
 * graphleak.c - the `graphleak` CPython extension module: graphleak.dump(path)
 * writes a snapshot of the calling process's object graph (format:
 * docs/snapshot-format.md); enable_signal() and serve_request() answer
 * `graphleak dump --signal` (shim_attach.c).
 *
 * The module is only the Python-facing side. The work is in dump.c (the
 * dump's phases), header.c (the header JSON), walk.c (the walk, with the
 * snapshot encoder compiled in) and shim_attach.c (`graphleak dump --pid`).
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "shim.h"

static int parse_bool(PyObject *v, int *out, const char *name)
{
	int r = PyObject_IsTrue(v);
	if (r < 0)
		return -1;
	(void)name;
	*out = r;
	return 0;
}

/* fork='auto', 'always' or 'never'; True and False for the last two; None: the default */
static int parse_fork(PyObject *v, gl_fork_mode *out)
{
	if (v == Py_None) {
		*out = gl_fork_default();
		return 0;
	}
	if (PyBool_Check(v)) {
		*out = v == Py_True ? GL_FORK_ALWAYS : GL_FORK_NEVER;
		return 0;
	}
	const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
	if (!s || gl_fork_mode_parse(s, out) < 0) {
		PyErr_Clear();
		PyErr_SetString(PyExc_ValueError, "dump(): fork must be 'auto', 'always' or 'never' (or True/False)");
		return -1;
	}
	return 0;
}

static PyObject *gl_dump(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	(void)self;
	PyObject *pathobj = NULL;
	gl_dump_opts o;
	gl_dump_opts_default(&o);
	if (nargs > 1) {
		PyErr_SetString(PyExc_TypeError, "dump() takes exactly one positional argument (path)");
		return NULL;
	}
	if (nargs == 1)
		pathobj = args[0];
	Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	for (Py_ssize_t i = 0; i < nkw; i++) {
		PyObject *k = PyTuple_GET_ITEM(kwnames, i), *v = args[nargs + i];
		if (PyUnicode_CompareWithASCIIString(k, "path") == 0 && !pathobj)
			pathobj = v;
		else if (PyUnicode_CompareWithASCIIString(k, "collect") == 0) {
			if (parse_bool(v, &o.collect, "collect") < 0)
				return NULL;
		} else if (PyUnicode_CompareWithASCIIString(k, "values") == 0) {
			if (parse_bool(v, &o.values, "values") < 0)
				return NULL;
		} else if (PyUnicode_CompareWithASCIIString(k, "overwrite") == 0) {
			if (parse_bool(v, &o.overwrite, "overwrite") < 0)
				return NULL;
		} else if (PyUnicode_CompareWithASCIIString(k, "fork") == 0) {
			if (parse_fork(v, &o.fork) < 0)
				return NULL;
		} else {
			PyErr_Format(PyExc_TypeError, "dump() got an unexpected keyword argument '%U'", k);
			return NULL;
		}
	}
	if (!pathobj) {
		PyErr_SetString(PyExc_TypeError, "dump() missing required argument 'path'");
		return NULL;
	}
	char *path = NULL;
	{
		PyObject *pb = NULL;
		if (!PyUnicode_FSConverter(pathobj, &pb))
			return NULL;
		path = strdup(PyBytes_AS_STRING(pb));
		Py_DECREF(pb);
		if (!path)
			return PyErr_NoMemory();
	}

	gl_dump_summary s;
	if (gl_dump_core(path, &o, &s, NULL) < 0) {
		free(path);
		return NULL;
	}
	PyObject *res = gl_summary_dict(path, &s);
	free(path);
	return res;
}

PyObject *gl_summary_dict(const char *path, const gl_dump_summary *s)
{
	PyObject *d = Py_BuildValue(
		"{s:s,s:K,s:K,s:K,s:K,s:K,s:K,s:d,s:d,s:d,s:K,s:s,s:s}", "path", path, "objects",
		(unsigned long long)s->objects, "edges", (unsigned long long)s->edges, "tracked",
		(unsigned long long)s->tracked, "untracked", (unsigned long long)s->untracked, "bytes",
		(unsigned long long)s->bytes, "file_bytes", (unsigned long long)s->file_bytes, "pause_seconds",
		s->pause_seconds, "walk_seconds", s->walk_seconds, "total_seconds", s->total_seconds,
		"shim_peak_bytes", (unsigned long long)s->shim_peak_bytes, "mode", s->forked ? "fork" : "in-place",
		"fork_note", s->fork_note);
	if (d && s->forked) {
		/* items, not a second dict: the dump leaves gc's counts as it found them */
		PyObject *v[3] = {PyFloat_FromDouble(s->child_seconds),
				  PyLong_FromUnsignedLongLong(s->cow_private_bytes),
				  PyLong_FromUnsignedLongLong(s->cow_own_bytes)};
		static const char *const names[3] = {"child_seconds", "cow_private_bytes", "cow_own_bytes"};
		int bad = 0;
		for (int i = 0; i < 3; i++) {
			if (!v[i] || PyDict_SetItemString(d, names[i], v[i]) < 0)
				bad = 1;
			Py_XDECREF(v[i]);
		}
		if (bad) {
			Py_DECREF(d);
			return NULL;
		}
	}
	return d;
}

static PyMethodDef methods[] = {
	{"dump", (PyCFunction)(void (*)(void))gl_dump, METH_FASTCALL | METH_KEYWORDS,
	 "dump(path, *, collect=False, values=True, overwrite=False, fork=None) -> dict\n\n"
	 "Write a graphleak snapshot of this process's objects to path.\n\n"
	 "fork: 'auto' (the default, or GRAPHLEAK_FORK): hold the GIL only while a copy-on-write\n"
	 "child of the process is made, which walks the heap and writes the file, when there is\n"
	 "memory for it, else walk in place; 'always'; 'never' (walk in place, holding the GIL).\n"
	 "Returns when the file is complete, with the GIL released while the child walks. The\n"
	 "result says which it was (mode, fork_note), the pause (pause_seconds: the GIL held)\n"
	 "and the copy's cost (cow_private_bytes)."},
	{"enable_signal", (PyCFunction)(void (*)(void))gl_py_enable_signal, METH_VARARGS | METH_KEYWORDS,
	 GL_ENABLE_SIGNAL_DOC},
	{"serve_request", (PyCFunction)(void (*)(void))gl_py_serve_request, METH_VARARGS | METH_KEYWORDS,
	 GL_SERVE_REQUEST_DOC},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {
	PyModuleDef_HEAD_INIT, "graphleak",
	"graphleak shim: snapshots of the Python object graph for the graphleak analyzer.",
	-1, methods, NULL, NULL, NULL, NULL,
};

__attribute__((visibility("default"))) PyMODINIT_FUNC PyInit_graphleak(void)
{
	if (gl_shim_init() < 0)
		return NULL;
	PyObject *m = PyModule_Create(&moddef);
	if (!m)
		return NULL;
	if (PyModule_AddStringConstant(m, "__version__", GL_SHIM_VERSION) < 0 ||
	    PyModule_AddStringConstant(m, "FORMAT_VERSION", GL_FMT_VERSION_TEXT) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

