/*
 * layout.c - before walking, is this interpreter the one the shim was
 * compiled for? See layout.h and docs/shim.md ("The check before walking").
 *
 * One shim serves every patch release and every build of a CPython minor
 * version. What it reads of the interpreter (compat.h) is fixed by that
 * minor version in practice, not by a promise, so it is checked where the
 * walk starts, against the process itself:
 *   1. the running version (Py_GetVersion()) has the shim's major.minor;
 *   2. the build is a default one: no debug build (Py_REF_DEBUG and
 *      Py_TRACE_REFS export symbols a release build lacks), no free-threaded
 *      build (3.13t exports _Py_MergeZeroLocalRefcount);
 *   3. the sizes the interpreter's own type objects give for the objects
 *      the walk reads (tp_basicsize, tp_itemsize) are the sizes of the
 *      structures the shim was compiled with;
 *   4. 3.13: the offsets CPython publishes for debuggers
 *      (_PyRuntime.debug_offsets, the first field of the runtime state, so
 *      readable whatever the rest of the layout) equal the shim's;
 *   5. with the GIL held, known objects reached through the shim's compiled
 *      layout are the ones the public API returns: the interpreter's
 *      modules, thread list and main interpreter, this thread's state and
 *      ids, the collector's generation lists.
 * Steps 1-4 read static data only and may run without the GIL.
 *
 * The test hook: GRAPHLEAK_SHIM_TEST_REFUSE in the target's environment,
 * one of "layout", "debug", "free-threaded", makes the check report that
 * mismatch as if it were found (tests/attach/test_minor.py: a debug or
 * free-threaded build is not built on the test machines).
 */
#define _GNU_SOURCE /* RTLD_DEFAULT, gettid */
#include "compat.h"
#include "flavour.h"
#include "layout.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef GL_SHIM_BUILT_FROM
#define GL_SHIM_BUILT_FROM PY_VERSION
#endif

static int say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *test_refuse(void)
{
	const char *t = getenv("GRAPHLEAK_SHIM_TEST_REFUSE");
	return t && *t ? t : NULL;
}

static int is_test(const char *what)
{
	const char *t = test_refuse();
	return t && strcmp(t, what) == 0;
}

/* A symbol of the interpreter's build flavour, defined in the process. */
static const char *defined_one(const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (dlsym(RTLD_DEFAULT, names[i]))
			return names[i];
	return NULL;
}

static int check_version(char *err, size_t len)
{
	const char *pv = Py_GetVersion();
	int maj = 0, min = 0;
	if (sscanf(pv, "%d.%d", &maj, &min) != 2)
		return say(err, len, "cannot read the interpreter's version (Py_GetVersion() says \"%.40s\")", pv);
	if (maj != PY_MAJOR_VERSION || min != PY_MINOR_VERSION)
		return say(err, len,
			   "this shim is for CPython %d.%d (built from %s) and the process runs CPython %.*s",
			   PY_MAJOR_VERSION, PY_MINOR_VERSION, GL_SHIM_BUILT_FROM, (int)strcspn(pv, " "), pv);
	return 0;
}

static int check_build(char *err, size_t len)
{
	static const char *const debug[] = GL_DEBUG_BUILD_SYMBOLS;
	static const char *const freethreaded[] = GL_FREETHREADED_SYMBOLS;
	const char *d = is_test("debug") ? "_Py_RefTotal (simulated by GRAPHLEAK_SHIM_TEST_REFUSE)" : defined_one(debug);
	if (d)
		return say(err, len,
			   "the process runs a debug build of CPython %d.%d (--with-pydebug: it defines %s). "
			   GL_DEBUG_BUILD_WHY,
			   PY_MAJOR_VERSION, PY_MINOR_VERSION, d);
	const char *f = is_test("free-threaded") ? "_Py_MergeZeroLocalRefcount (simulated by GRAPHLEAK_SHIM_TEST_REFUSE)"
						 : defined_one(freethreaded);
	if (f)
		return say(err, len,
			   "the process runs a free-threaded build of CPython %d.%d (%d.%dt: it defines %s). "
			   GL_FREETHREADED_WHY,
			   PY_MAJOR_VERSION, PY_MINOR_VERSION, PY_MAJOR_VERSION, PY_MINOR_VERSION, f);
	return 0;
}

/* ---- 3. sizes of the objects the walk reads ---------------------------------- */

typedef struct {
	const char *what;
	PyTypeObject *type;
	Py_ssize_t basic, item; /* as compiled */
} gl_size_check;

static int check_sizes(char *err, size_t len)
{
	const gl_size_check checks[] = {
		{"dict", &PyDict_Type, (Py_ssize_t)sizeof(PyDictObject), 0},
		{"list", &PyList_Type, (Py_ssize_t)sizeof(PyListObject), 0},
		{"tuple", &PyTuple_Type, (Py_ssize_t)(sizeof(PyTupleObject) - sizeof(PyObject *)),
		 (Py_ssize_t)sizeof(PyObject *)},
		{"set", &PySet_Type, (Py_ssize_t)sizeof(PySetObject), 0},
		{"frozenset", &PyFrozenSet_Type, (Py_ssize_t)sizeof(PySetObject), 0},
		{"str", &PyUnicode_Type, (Py_ssize_t)sizeof(PyUnicodeObject), 0},
#if GL_PY_AT_LEAST(3, 12)
		{"int", &PyLong_Type, (Py_ssize_t)offsetof(PyLongObject, long_value.ob_digit), (Py_ssize_t)sizeof(digit)},
#else
		{"int", &PyLong_Type, (Py_ssize_t)offsetof(PyLongObject, ob_digit), (Py_ssize_t)sizeof(digit)},
#endif
		{"type", &PyType_Type, (Py_ssize_t)sizeof(PyHeapTypeObject), (Py_ssize_t)sizeof(PyMemberDef)},
		{"function", &PyFunction_Type, (Py_ssize_t)sizeof(PyFunctionObject), 0},
		{"cell", &PyCell_Type, (Py_ssize_t)sizeof(PyCellObject), 0},
		{"method", &PyMethod_Type, (Py_ssize_t)sizeof(PyMethodObject), 0},
#if GL_PY_AT_LEAST(3, 11)
		{"frame", &PyFrame_Type,
		 (Py_ssize_t)(offsetof(PyFrameObject, _f_frame_data) + offsetof(_PyInterpreterFrame, localsplus)),
		 (Py_ssize_t)sizeof(PyObject *)},
		{"code", &PyCode_Type, (Py_ssize_t)offsetof(PyCodeObject, co_code_adaptive),
		 (Py_ssize_t)sizeof(_Py_CODEUNIT)},
#else
		{"frame", &PyFrame_Type, (Py_ssize_t)sizeof(PyFrameObject), (Py_ssize_t)sizeof(PyObject *)},
		{"code", &PyCode_Type, (Py_ssize_t)sizeof(PyCodeObject), 0},
#endif
	};
	int simulated = is_test("layout"); /* the first check, made to fail */
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		const gl_size_check *c = &checks[i];
		Py_ssize_t basic = c->type->tp_basicsize, item = c->type->tp_itemsize;
		if (i == 0 && simulated)
			basic += 8;
		if (basic != c->basic || item != c->item)
			return say(err, len,
				   "the process's CPython %d.%d does not have the layout this shim was compiled for (from "
				   "%s): %s objects are %zd bytes + %zd per item there, %zd + %zd in the shim "
				   "(tp_basicsize, tp_itemsize of %s)%s",
				   PY_MAJOR_VERSION, PY_MINOR_VERSION, GL_SHIM_BUILT_FROM, c->what, basic, item, c->basic,
				   c->item, c->type->tp_name,
				   i == 0 && simulated ? " (simulated by GRAPHLEAK_SHIM_TEST_REFUSE)" : "");
	}
	return 0;
}

/* ---- 4. 3.13: the offsets published for debuggers ---------------------------- */

#if GL_PY_AT_LEAST(3, 13)
static int check_debug_offsets(char *err, size_t len)
{
	const _Py_DebugOffsets *d = &_PyRuntime.debug_offsets;
	if (memcmp(d->cookie, _Py_Debug_Cookie, sizeof d->cookie) != 0)
		return say(err, len, "_PyRuntime.debug_offsets has no \"%s\" cookie: this is not the runtime layout "
				     "of CPython %d.%d the shim was compiled for (from %s)",
			   _Py_Debug_Cookie, PY_MAJOR_VERSION, PY_MINOR_VERSION, GL_SHIM_BUILT_FROM);
	if ((d->version >> 16) != ((uint64_t)PY_VERSION_HEX >> 16))
		return say(err, len, "_PyRuntime.debug_offsets says CPython %#llx, the shim is for %d.%d",
			   (unsigned long long)d->version, PY_MAJOR_VERSION, PY_MINOR_VERSION);
	if (d->free_threaded)
		return say(err, len, "_PyRuntime.debug_offsets says the build is free-threaded: not supported");
	struct {
		const char *what;
		uint64_t there, here;
	} f[] = {
		{"runtime.interpreters.head", d->runtime_state.interpreters_head, offsetof(_PyRuntimeState, interpreters.head)},
		{"interp.threads.head", d->interpreter_state.threads_head, offsetof(PyInterpreterState, threads.head)},
		{"interp.gc", d->interpreter_state.gc, offsetof(PyInterpreterState, gc)},
		{"interp.imports.modules", d->interpreter_state.imports_modules, offsetof(PyInterpreterState, imports.modules)},
		{"interp.sysdict", d->interpreter_state.sysdict, offsetof(PyInterpreterState, sysdict)},
		{"interp.builtins", d->interpreter_state.builtins, offsetof(PyInterpreterState, builtins)},
		{"tstate.next", d->thread_state.next, offsetof(PyThreadState, next)},
		{"tstate.interp", d->thread_state.interp, offsetof(PyThreadState, interp)},
		{"tstate.current_frame", d->thread_state.current_frame, offsetof(PyThreadState, current_frame)},
		{"tstate.thread_id", d->thread_state.thread_id, offsetof(PyThreadState, thread_id)},
		{"tstate.native_thread_id", d->thread_state.native_thread_id, offsetof(PyThreadState, native_thread_id)},
		{"frame.previous", d->interpreter_frame.previous, offsetof(_PyInterpreterFrame, previous)},
		{"frame.executable", d->interpreter_frame.executable, offsetof(_PyInterpreterFrame, f_executable)},
		{"frame.localsplus", d->interpreter_frame.localsplus, offsetof(_PyInterpreterFrame, localsplus)},
		{"frame.owner", d->interpreter_frame.owner, offsetof(_PyInterpreterFrame, owner)},
		{"code.qualname", d->code_object.qualname, offsetof(PyCodeObject, co_qualname)},
		{"code.localsplusnames", d->code_object.localsplusnames, offsetof(PyCodeObject, co_localsplusnames)},
		{"code.co_code_adaptive", d->code_object.co_code_adaptive, offsetof(PyCodeObject, co_code_adaptive)},
		{"object.ob_type", d->pyobject.ob_type, offsetof(PyObject, ob_type)},
		{"type.tp_name", d->type_object.tp_name, offsetof(PyTypeObject, tp_name)},
		{"tuple.ob_item", d->tuple_object.ob_item, offsetof(PyTupleObject, ob_item)},
		{"list.ob_item", d->list_object.ob_item, offsetof(PyListObject, ob_item)},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].there != f[i].here)
			return say(err, len,
				   "the process's CPython %d.%d does not have the layout this shim was compiled for (from "
				   "%s): _PyRuntime.debug_offsets puts %s at %llu, the shim at %llu",
				   PY_MAJOR_VERSION, PY_MINOR_VERSION, GL_SHIM_BUILT_FROM, f[i].what,
				   (unsigned long long)f[i].there, (unsigned long long)f[i].here);
	return 0;
}
#endif

/* A layout does not change during a process's life: each check, once
 * passed, is not made again (import, then every dump --pid's helper). */
static atomic_int build_ok, runtime_ok;

int gl_shim_check_build(char *err, size_t len, const char **kind)
{
	*kind = NULL;
	if (atomic_load(&build_ok))
		return 0;
	*kind = "version";
	if (check_version(err, len) < 0)
		return -1;
	*kind = "build";
	if (check_build(err, len) < 0)
		return -1;
	*kind = "layout";
	if (check_sizes(err, len) < 0)
		return -1;
#if GL_PY_AT_LEAST(3, 13)
	if (check_debug_offsets(err, len) < 0)
		return -1;
#endif
	*kind = NULL;
	atomic_store(&build_ok, 1);
	return 0;
}

/* ---- 5. known objects, GIL held ------------------------------------------------ */

static int mismatch(char *err, size_t len, const char *what)
{
	return say(err, len,
		   "the process's CPython %d.%d does not have the layout this shim was compiled for (from %s): %s",
		   PY_MAJOR_VERSION, PY_MINOR_VERSION, GL_SHIM_BUILT_FROM, what);
}

/* A generation list's head: a circular list whose neighbours point back. */
static int gc_head_sane(PyGC_Head *h)
{
	PyGC_Head *next = (PyGC_Head *)h->_gc_next;
	PyGC_Head *prev = (PyGC_Head *)(h->_gc_prev & ~(uintptr_t)3);
	return next && prev && (PyGC_Head *)(prev->_gc_next) == h &&
	       (PyGC_Head *)(next->_gc_prev & ~(uintptr_t)3) == h;
}

static int check_runtime(char *err, size_t len)
{
	PyThreadState *ts = PyThreadState_Get();
#if GL_PY_AT_LEAST(3, 9)
	PyInterpreterState *interp = PyInterpreterState_Get();
#else
	PyInterpreterState *interp = _PyInterpreterState_Get();
#endif
	if (PyInterpreterState_Main() != _PyRuntime.interpreters.main)
		return mismatch(err, len, "the main interpreter is not where the shim reads it (_PyRuntime.interpreters.main)");
	if (ts->interp != interp)
		return mismatch(err, len, "this thread's state does not name its interpreter where the shim reads it");
#if GL_PY_AT_LEAST(3, 11)
	PyThreadState *head = interp->threads.head;
#else
	PyThreadState *head = interp->tstate_head;
#endif
	if (head != PyInterpreterState_ThreadHead(interp))
		return mismatch(err, len, "the interpreter's thread list is not where the shim reads it");
	size_t n = 0;
	for (PyThreadState *t = head; t && n < 100000; t = t->next, n++)
		if (t->next != PyThreadState_Next(t))
			return mismatch(err, len, "a thread state's next is not where the shim reads it");
	if ((unsigned long)ts->thread_id != (unsigned long)pthread_self())
		return mismatch(err, len, "this thread's id is not where the shim reads it");
#if GL_PY_AT_LEAST(3, 11)
	if (ts->native_thread_id != (unsigned long)syscall(SYS_gettid))
		return mismatch(err, len, "this thread's native id is not where the shim reads it");
#endif
#if GL_PY_AT_LEAST(3, 12)
	PyObject *modules = interp->imports.modules;
#else
	PyObject *modules = interp->modules;
#endif
	if (modules != PyImport_GetModuleDict())
		return mismatch(err, len, "sys.modules is not where the shim reads it");
	gl_gc_lists gl;
	gl_gc_get_lists(&gl);
	for (int i = 0; i < gl.n; i++)
		if (!gl.heads[i] || !gc_head_sane(gl.heads[i]))
			return mismatch(err, len, "the collector's generation lists are not where the shim reads them");
	if (gl.collecting != 0 && gl.collecting != 1)
		return mismatch(err, len, "the collector's state is not where the shim reads it");
#if !GL_PY_AT_LEAST(3, 11)
#define GL_DICT_MINSIZE 8 /* PyDict_MINSIZE, private to dictobject.c */
	/* the keys object of 3.8-3.10 is private (dictobject.c), re-declared in
	 * compat.h: a fresh dict of one entry has 8 slots, 1 entry, 4 usable */
	PyObject *d = PyDict_New();
	if (!d)
		return say(err, len, "out of memory checking the dict layout");
	int bad = 1;
	if (PyDict_SetItem(d, Py_None, Py_None) == 0) {
		gl_dictkeys38 *k = (gl_dictkeys38 *)((PyDictObject *)d)->ma_keys;
		bad = k->dk_size != GL_DICT_MINSIZE || k->dk_nentries != 1 || k->dk_usable != (2 * GL_DICT_MINSIZE) / 3 - 1 ||
		      k->dk_refcnt < 1;
	}
	PyErr_Clear();
	Py_DECREF(d);
	if (bad)
		return mismatch(err, len, "a dict's keys object is not laid out as the shim reads it (dk_size, dk_usable, "
					  "dk_nentries of a one-entry dict)");
#endif
	return 0;
}

int gl_shim_check_runtime(char *err, size_t len)
{
	if (atomic_load(&runtime_ok))
		return 0;
	if (check_runtime(err, len) < 0)
		return -1;
	atomic_store(&runtime_ok, 1);
	return 0;
}
