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

static PyObject *gl_dump(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	(void)self;
	PyObject *pathobj = NULL;
	int collect = 0, values = 1, overwrite = 0;
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
			if (parse_bool(v, &collect, "collect") < 0)
				return NULL;
		} else if (PyUnicode_CompareWithASCIIString(k, "values") == 0) {
			if (parse_bool(v, &values, "values") < 0)
				return NULL;
		} else if (PyUnicode_CompareWithASCIIString(k, "overwrite") == 0) {
			if (parse_bool(v, &overwrite, "overwrite") < 0)
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
	if (gl_dump_core(path, collect, values, overwrite, &s) < 0) {
		free(path);
		return NULL;
	}
	PyObject *res = Py_BuildValue(
		"{s:s,s:K,s:K,s:K,s:K,s:K,s:K,s:d,s:d,s:K}", "path", path,
		"objects", (unsigned long long)s.objects, "edges", (unsigned long long)s.edges,
		"tracked", (unsigned long long)s.tracked, "untracked", (unsigned long long)s.untracked,
		"bytes", (unsigned long long)s.bytes, "file_bytes", (unsigned long long)s.file_bytes,
		"pause_seconds", s.pause_seconds, "walk_seconds", s.walk_seconds,
		"shim_peak_bytes", (unsigned long long)s.shim_peak_bytes);
	free(path);
	return res;
}

static PyMethodDef methods[] = {
	{"dump", (PyCFunction)(void (*)(void))gl_dump, METH_FASTCALL | METH_KEYWORDS,
	 "dump(path, *, collect=False, values=True, overwrite=False) -> dict\n\n"
	 "Write a graphleak snapshot of this process's objects to path."},
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

