/*
 * compat.h - every CPython-version difference the shim depends on, in one
 * place. Include it first (it includes Python.h itself): it defines
 * Py_BUILD_CORE so that the internal headers (include/python3.X/internal)
 * can be used for the structures the public API does not expose.
 *
 * Supported: CPython 3.8 to 3.13, default (GIL) builds, 64-bit.
 *
 * What differs, and where it is handled here:
 *   - generation lists: _PyRuntime.gc (3.8), interp->gc (3.9+), including
 *     the permanent generation of gc.freeze()         -> gl_gc_get_lists()
 *   - PyGC_Head: two uintptr_t words right before the object in every
 *     version; _gc_prev bit 0 is the FINALIZED bit (3.8-3.13)
 *                                   -> gl_gc_tracked(), gl_gc_finalized()
 *   - pre-header that sys.getsizeof() adds: the GC head when the object is
 *     gc-capable (3.8-3.10); the type's whole pre-header, GC head plus
 *     managed dict (and weakref) words (3.11, 3.12; 3.13 except static
 *     types)
 *                                                       -> gl_getsizeof_extra()
 *   - instance attributes outside a dict object: values pointer at
 *     obj[-4] (3.11), tagged dict-or-values at obj[-3] (3.12), inline values
 *     after the object header with a valid flag (3.13) -> gl_inline_*(),
 *     gl_managed_dict()
 *   - dict internals for __sizeof__: PyDictKeysObject with dk_size (3.8-3.10,
 *     private struct, re-declared here and checked in layout.c), dk_log2_size and entry
 *     kinds (3.11+)                                    -> gl_dict_sizeof()
 *   - whether dict_traverse visits a dict's keys: dk_lookup == lookdict
 *     (3.8-3.10, learnt once at import), dk_kind == DICT_KEYS_GENERAL
 *     (3.11+)                                          -> gl_dict_keys_visited()
 *   - a materialised __dict__ whose values are its owner's inline values
 *     (3.13)                                           -> gl_dict_values_embedded()
 *   - int layout: ob_size (3.8-3.11), lv_tag (3.12+); int.__sizeof__ counts
 *     at least one digit from 3.11                      -> gl_long_ndigits(),
 *     gl_long_sizeof()
 *   - str: wstr cache (3.8-3.11), not ready strings   -> gl_str_sizeof()
 *   - immortal objects (3.12+)                          -> gl_is_immortal()
 *   - frames: PyFrameObject with f_localsplus (3.8-3.10); frame object over
 *     a _PyInterpreterFrame (3.11+, f_code -> f_executable in 3.13, f_func ->
 *     f_funcobj in 3.12)                                -> gl_frame_view_get()
 *   - thread stacks: tstate->frame (3.8), PyThreadState_GetFrame() (3.9+,
 *     which materialises frame objects on 3.11+)       -> gl_tstate_frame()
 *   - threads: the main thread's ident in _PyRuntime (every version), the
 *     native thread id in the thread state (3.11+)    -> gl_main_thread_ident(),
 *     gl_tstate_native_id()
 *   - type dicts of static builtin types live in the interpreter (3.12+)
 *                                                       -> gl_type_dict()
 *   - code object qualified name (3.11+)               -> gl_code_qualname()
 *   - type.__sizeof__ (the instances' shared keys), OrderedDict's (its
 *     node array and nodes) and deque's (its blocks): private layouts
 *     re-declared, the same in 3.8-3.13
 *                    -> gl_type_sizeof(), gl_odict_sizeof(), gl_deque_sizeof()
 *   - frame.__sizeof__ and code.__sizeof__: value stack and cell2arg,
 *     co_extra, opcache (3.8-3.10); a variable-size code object and
 *     co_extra (3.11+)                        -> gl_frame_sizeof(), gl_code_sizeof()
 *   - what a code object holds beyond its T_OBJECT members:
 *     co_localsplusnames and co_localspluskinds (3.11+), the cached co_code
 *     (3.11) and co_code/co_varnames/co_cellvars/co_freevars (3.12+)
 *                                                       -> gl_code_extra_refs()
 *   - a generator's frame: a frame object (3.8-3.10) or a frame embedded in
 *     the generator (3.11+)                             -> gl_gen_frame_view()
 *   - interned strings: kept alive by the interpreter's table only from
 *     3.12 (all of them on 3.12, those interned immortal on 3.13); the
 *     table is a static of unicodeobject.c before 3.12
 *                                     -> gl_interned_dict(), gl_interned_kept()
 *   - C fields of extension types that no PyMemberDef names (asyncio's
 *     Future and Task, lru_cache wrappers, re.Pattern, ...), per version
 *                                                       -> gl_ctype_fields()
 *
 * Everything here reads memory only: no Python objects are created and no
 * Python code runs, except where a comment says "pre-walk only".
 */
#ifndef GRAPHLEAK_COMPAT_H
#define GRAPHLEAK_COMPAT_H

#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>

#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x03080000
#error "graphleak's shim needs CPython 3.8 or newer"
#endif
#if PY_VERSION_HEX >= 0x030E0000
#error "graphleak's shim does not know this CPython's internals yet (3.14+)"
#endif
#ifdef Py_GIL_DISABLED
#error "free-threaded CPython builds are not supported"
#endif

#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pystate.h"
#else
#include "internal/pycore_interp.h"
#include "internal/pycore_pystate.h"
#endif
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_code.h"
#include "internal/pycore_dict.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_object.h"
#endif
#if PY_VERSION_HEX >= 0x030C0000
#include "internal/pycore_long.h"
#endif
#if PY_VERSION_HEX < 0x030B0000
#include "internal/pycore_code.h" /* struct _PyOpcache, for code.__sizeof__ */
#endif

#define GL_PY_AT_LEAST(maj, min) (PY_VERSION_HEX >= (((maj) << 24) | ((min) << 16)))

/* ---- the collector's lists ---------------------------------------------- */

typedef struct {
	PyGC_Head *heads[4]; /* generations 0..2, then the permanent one */
	int n;
	int collecting;      /* a collection is running (we are in a finalizer) */
} gl_gc_lists;

static inline void gl_gc_get_lists(gl_gc_lists *out)
{
#if GL_PY_AT_LEAST(3, 9)
	PyInterpreterState *interp = PyInterpreterState_Get();
	struct _gc_runtime_state *gcs = &interp->gc;
#else
	struct _gc_runtime_state *gcs = &_PyRuntime.gc;
#endif
	for (int i = 0; i < NUM_GENERATIONS; i++)
		out->heads[i] = &gcs->generations[i].head;
	out->heads[NUM_GENERATIONS] = &gcs->permanent_generation.head;
	out->n = NUM_GENERATIONS + 1;
	out->collecting = gcs->collecting;
}

/* The young generation's count (allocations minus deallocations of gc
 * objects since the last collection). */
static inline int *gl_gc_count0(void)
{
#if GL_PY_AT_LEAST(3, 9)
	return &PyInterpreterState_Get()->gc.generations[0].count;
#else
	return &_PyRuntime.gc.generations[0].count;
#endif
}

/* gc.isenabled()'s flag (3.8-3.11; gl_walk_sites turns collection off
 * while it creates tuples). */
#if !GL_PY_AT_LEAST(3, 12)
static inline int *gl_gc_enabled_ptr(void)
{
#if GL_PY_AT_LEAST(3, 9)
	return &PyInterpreterState_Get()->gc.enabled;
#else
	return &_PyRuntime.gc.enabled;
#endif
}
#endif

/* Outside a collection _gc_next is a plain pointer in every version. */
static inline PyGC_Head *gl_gc_next(PyGC_Head *g)
{
	return (PyGC_Head *)(g->_gc_next);
}

static inline PyObject *gl_gc_object(PyGC_Head *g)
{
	return (PyObject *)(g + 1);
}

static inline PyGC_Head *gl_gc_head(PyObject *o)
{
	return ((PyGC_Head *)o) - 1;
}

/* Whether o takes part in the collector at all (PyObject_IS_GC). */
static inline int gl_is_gc(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
	return PyType_IS_GC(tp) && (tp->tp_is_gc == NULL || tp->tp_is_gc(o));
}

/* Only for objects with gl_is_gc(). */
static inline int gl_gc_tracked(PyObject *o)
{
	return gl_gc_head(o)->_gc_next != 0;
}

static inline int gl_gc_finalized(PyObject *o)
{
	return (gl_gc_head(o)->_gc_prev & 1u) != 0; /* _PyGC_PREV_MASK_FINALIZED */
}

static inline int gl_is_immortal(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 12)
	return _Py_IsImmortal(o);
#else
	(void)o;
	return 0;
#endif
}

/* ---- types -------------------------------------------------------------- */

/* The type's namespace, borrowed. Static builtin types keep theirs in the
 * interpreter from 3.12 on; PyType_GetDict returns a new reference to an
 * existing dict, which we drop at once (the type keeps it alive). */
static inline PyObject *gl_type_dict(PyTypeObject *tp)
{
#if GL_PY_AT_LEAST(3, 12)
	if (tp->tp_dict)
		return tp->tp_dict;
	PyObject *d = PyType_GetDict(tp);
	Py_XDECREF(d);
	return d;
#else
	return tp->tp_dict;
#endif
}

/* What sys.getsizeof() adds to __sizeof__(). */
static inline size_t gl_getsizeof_extra(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 13)
	/* nothing for a static type (3.12.1 still adds its GC head) */
	if (PyType_CheckExact(o) && !PyType_HasFeature((PyTypeObject *)o, Py_TPFLAGS_HEAPTYPE))
		return 0;
	return _PyType_PreHeaderSize(Py_TYPE(o));
#elif GL_PY_AT_LEAST(3, 11)
	return _PyType_PreHeaderSize(Py_TYPE(o));
#else
	return gl_is_gc(o) ? sizeof(PyGC_Head) : 0;
#endif
}

/* The same, when the caller already knows gl_is_gc(o). */
static inline size_t gl_getsizeof_extra_gc(PyObject *o, int isgc)
{
#if GL_PY_AT_LEAST(3, 11)
	(void)isgc;
	return gl_getsizeof_extra(o);
#else
	(void)o;
	return isgc ? sizeof(PyGC_Head) : 0;
#endif
}

#if GL_PY_AT_LEAST(3, 11)
/* gen_sizeof for a generator, coroutine or async generator (3.11+): they
 * embed their frame, whose slots their code object says; they have an item
 * size but no ob_size (the word there is a pointer, which on a non-PIE
 * interpreter with a low heap can look like a plausible count). */
static inline size_t gl_gen_sizeof(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
	_PyInterpreterFrame *fr = (_PyInterpreterFrame *)((PyGenObject *)o)->gi_iframe;
#if GL_PY_AT_LEAST(3, 13)
	PyObject *exe = fr->f_executable;
	if (!exe || !PyCode_Check(exe))
		return (size_t)tp->tp_basicsize;
	PyCodeObject *co = (PyCodeObject *)exe;
#else
	PyCodeObject *co = fr->f_code;
	if (!co)
		return (size_t)tp->tp_basicsize;
#endif
	return (size_t)tp->tp_basicsize + (size_t)(co->co_nlocalsplus + co->co_stacksize) * sizeof(PyObject *);
}
#endif

/* object.__sizeof__() (the default one). */
static inline size_t gl_default_sizeof(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
#if GL_PY_AT_LEAST(3, 11)
	if (PyGen_CheckExact(o) || PyCoro_CheckExact(o) || PyAsyncGen_CheckExact(o))
		return gl_gen_sizeof(o);
#endif
	Py_ssize_t res = tp->tp_basicsize;
	/* some types declare an item size without an ob_size field (3.11+
	 * generators): ignore what cannot be a length */
	if (tp->tp_itemsize > 0 && Py_SIZE(o) > 0 && Py_SIZE(o) < ((Py_ssize_t)1 << 40) / tp->tp_itemsize)
		res += Py_SIZE(o) * tp->tp_itemsize;
	return res > 0 ? (size_t)res : 0;
}

/* ---- instance attributes outside a dict object (3.11+) ------------------- */

/* The object's materialised managed dict (3.11+), borrowed, or NULL. */
static inline PyObject *gl_managed_dict(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 13)
	if (!(Py_TYPE(o)->tp_flags & Py_TPFLAGS_MANAGED_DICT))
		return NULL;
	return (PyObject *)_PyObject_ManagedDictPointer(o)->dict;
#elif GL_PY_AT_LEAST(3, 12)
	if (!(Py_TYPE(o)->tp_flags & Py_TPFLAGS_MANAGED_DICT))
		return NULL;
	PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(o);
	return _PyDictOrValues_IsValues(dorv) ? NULL : dorv.dict;
#elif GL_PY_AT_LEAST(3, 11)
	if (!(Py_TYPE(o)->tp_flags & Py_TPFLAGS_MANAGED_DICT))
		return NULL;
	return *_PyObject_ManagedDictPointer(o);
#else
	(void)o;
	return NULL;
#endif
}

/* The dict of an object with a classic tp_dictoffset (not managed), or NULL. */
static inline PyObject *gl_classic_dict(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
	Py_ssize_t off = tp->tp_dictoffset;
	if (off == 0)
		return NULL;
#if GL_PY_AT_LEAST(3, 11)
	if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)
		return NULL;
#endif
	if (off < 0) {
		Py_ssize_t n = Py_SIZE(o);
		if (n < 0)
			n = -n;
		size_t size = (size_t)(tp->tp_basicsize + n * tp->tp_itemsize);
		size = (size + 7) & ~(size_t)7; /* _PyObject_VAR_SIZE rounds to SIZEOF_VOID_P */
		off += (Py_ssize_t)size;
	}
	return *(PyObject **)((char *)o + off);
}

/*
 * Inline attribute values (3.11+): the keys are the type's shared keys,
 * value i belongs to key i. gl_inline_count returns how many slots there
 * are (0 when the object keeps no inline values); gl_inline_item fills the
 * name (a str, borrowed) and value (may be NULL) of slot i.
 */
#if GL_PY_AT_LEAST(3, 11)
static inline PyDictValues *gl_inline_values_ptr(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
	if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE))
		return NULL;
#if GL_PY_AT_LEAST(3, 13)
	if (!(tp->tp_flags & Py_TPFLAGS_INLINE_VALUES))
		return NULL;
	PyDictValues *v = _PyObject_InlineValues(o);
	return v->valid ? v : NULL;
#elif GL_PY_AT_LEAST(3, 12)
	PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(o);
	return _PyDictOrValues_IsValues(dorv) ? _PyDictOrValues_GetValues(dorv) : NULL;
#else
	return *_PyObject_ValuesPointer(o);
#endif
}
#endif

static inline Py_ssize_t gl_inline_count(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 11)
	if (!gl_inline_values_ptr(o))
		return 0;
	PyDictKeysObject *keys = ((PyHeapTypeObject *)Py_TYPE(o))->ht_cached_keys;
	return keys ? keys->dk_nentries : 0;
#else
	(void)o;
	return 0;
#endif
}

static inline void gl_inline_item(PyObject *o, Py_ssize_t i, PyObject **name, PyObject **value)
{
#if GL_PY_AT_LEAST(3, 11)
	PyDictValues *v = gl_inline_values_ptr(o);
	PyDictKeysObject *keys = ((PyHeapTypeObject *)Py_TYPE(o))->ht_cached_keys;
	*name = DK_UNICODE_ENTRIES(keys)[i].me_key;
	*value = v->values[i];
#else
	(void)o;
	(void)i;
	*name = NULL;
	*value = NULL;
#endif
}

/* ---- dict, set, int, str sizes ------------------------------------------ */

#if !GL_PY_AT_LEAST(3, 11)
/* Objects/dict-common.h of 3.8-3.10 (not installed): the keys object. */
typedef struct {
	Py_ssize_t dk_refcnt;
	Py_ssize_t dk_size;
	void *dk_lookup;
	Py_ssize_t dk_usable;
	Py_ssize_t dk_nentries;
	char dk_indices[];
} gl_dictkeys38;
#endif

/* The size of a dict's keys object (_PyDict_KeysSize). */
static inline size_t gl_dict_keys_sizeof(PyDictKeysObject *k)
{
#if GL_PY_AT_LEAST(3, 11)
	size_t es = k->dk_kind == DICT_KEYS_GENERAL ? sizeof(PyDictKeyEntry) : sizeof(PyDictUnicodeEntry);
	size_t dksize = (size_t)1 << k->dk_log2_size;
	return sizeof(PyDictKeysObject) + ((size_t)1 << k->dk_log2_index_bytes) + ((dksize << 1) / 3) * es;
#else
	gl_dictkeys38 *keys = (gl_dictkeys38 *)k;
	size_t size = (size_t)keys->dk_size;
	size_t ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffu ? 4 : 8;
	return sizeof(gl_dictkeys38) + ix * size + 3 * sizeof(void *) * ((size << 1) / 3);
#endif
}

/* dict.__sizeof__() */
static inline size_t gl_dict_sizeof(PyObject *o)
{
	PyDictObject *mp = (PyDictObject *)o;
	size_t res = (size_t)Py_TYPE(o)->tp_basicsize;
	/* a split table's values; 3.13 counts them even when they are embedded
	 * in the owner (a __dict__ materialised over inline values), although
	 * the owner's allocation holds them: so does sys.getsizeof() */
	if (mp->ma_values) {
#if GL_PY_AT_LEAST(3, 11)
		res += (size_t)(mp->ma_keys->dk_nentries + mp->ma_keys->dk_usable) * sizeof(PyObject *);
#else
		res += (((size_t)((gl_dictkeys38 *)mp->ma_keys)->dk_size << 1) / 3) * sizeof(PyObject *);
#endif
	}
	/* shared keys are counted by their type (type.__sizeof__) */
#if GL_PY_AT_LEAST(3, 11)
	if (mp->ma_keys->dk_refcnt == 1)
#else
	if (((gl_dictkeys38 *)mp->ma_keys)->dk_refcnt == 1)
#endif
		res += gl_dict_keys_sizeof(mp->ma_keys);
	return res;
}

/* An OrderedDict (Objects/odictobject.c, the same in 3.8-3.13, not in a
 * header): the dict, then its linked list of nodes and the array that
 * finds a key's node. gl_odict_layout_ok() checks it against the type. */
typedef struct {
	PyDictObject od_dict;
	void *od_first, *od_last;
	void **od_fast_nodes;
	Py_ssize_t od_fast_nodes_size;
	void *od_resize_sentinel;
	size_t od_state;
	PyObject *od_inst_dict;
	PyObject *od_weakreflist;
} gl_odict;

typedef struct {
	PyObject *key;
	Py_hash_t hash;
	void *next, *prev;
} gl_odict_node;

static inline int gl_odict_layout_ok(void)
{
	return PyODict_Type.tp_basicsize == (Py_ssize_t)sizeof(gl_odict) &&
	       PyODict_Type.tp_dictoffset == (Py_ssize_t)offsetof(gl_odict, od_inst_dict);
}

/* OrderedDict.__sizeof__(): the dict's, its node array and its nodes. */
static inline size_t gl_odict_sizeof(PyObject *o)
{
	const gl_odict *od = (const gl_odict *)o;
	size_t res = gl_dict_sizeof(o);
	if (od->od_fast_nodes_size > 0)
		res += (size_t)od->od_fast_nodes_size * sizeof(void *);
	if (od->od_first)
		res += (size_t)((PyDictObject *)o)->ma_used * sizeof(gl_odict_node);
	return res;
}

/* A deque (Modules/_collectionsmodule.c, the same in 3.8-3.13): items in
 * blocks of 64; deque.__sizeof__() counts the blocks in use. */
typedef struct {
	PyObject_VAR_HEAD
	void *leftblock, *rightblock;
	Py_ssize_t leftindex, rightindex;
} gl_deque_head;

#define GL_DEQUE_BLOCKLEN 64

static inline size_t gl_deque_sizeof(PyObject *o)
{
	const gl_deque_head *d = (const gl_deque_head *)o;
	size_t blocks = (size_t)(d->leftindex + Py_SIZE(o) + GL_DEQUE_BLOCKLEN) / GL_DEQUE_BLOCKLEN;
	return (size_t)Py_TYPE(o)->tp_basicsize + blocks * (GL_DEQUE_BLOCKLEN + 2) * sizeof(void *);
}

/*
 * Memory outside an object that the object owns, for the types whose layout
 * is the same in 3.8-3.13 (checked by name and tp_basicsize, along the
 * bases, so that subclasses count too):
 *   - array.array (Modules/arraymodule.c): ob_item, allocated, ob_descr
 *     after the var header; the descriptor's itemsize is its second field.
 *     Its size is array.__sizeof__(): the object and its buffer;
 *   - mmap.mmap (Modules/mmapmodule.c): data and size after the header. Its
 *     size is the object and its whole mapping (mmap has no __sizeof__:
 *     sys.getsizeof leaves the mapping out); a closed mmap maps nothing.
 * io.BytesIO's buffer is a bytes object: an edge to it (gl_ctypes) records
 * it. collections.deque's blocks are in gl_deque_sizeof().
 */
typedef enum { GL_NATIVE_NONE, GL_NATIVE_ARRAY, GL_NATIVE_MMAP } gl_native;

typedef struct {
	PyObject_VAR_HEAD
	char *ob_item;
	Py_ssize_t allocated;
	const struct {
		char typecode;
		int itemsize;
	} *ob_descr;
	PyObject *weakreflist;
	Py_ssize_t ob_exports;
} gl_array_head;

typedef struct {
	PyObject_HEAD
	char *data;
	Py_ssize_t size;
} gl_mmap_head;

static inline gl_native gl_native_kind(PyTypeObject *tp)
{
	for (PyTypeObject *t = tp; t; t = t->tp_base) {
		if (strcmp(t->tp_name, "array.array") == 0 && t->tp_basicsize == (Py_ssize_t)sizeof(gl_array_head))
			return GL_NATIVE_ARRAY;
		if (strcmp(t->tp_name, "mmap.mmap") == 0 && (t->tp_basicsize == 72 || t->tp_basicsize == 80))
			return GL_NATIVE_MMAP;
	}
	return GL_NATIVE_NONE;
}

static inline size_t gl_array_sizeof(PyObject *o)
{
	const gl_array_head *a = (const gl_array_head *)o;
	size_t item = a->ob_descr ? (size_t)a->ob_descr->itemsize : 0;
	size_t alloc = a->allocated > 0 ? (size_t)a->allocated : 0;
	return (size_t)Py_TYPE(o)->tp_basicsize + alloc * item;
}

static inline size_t gl_mmap_mapped(PyObject *o)
{
	const gl_mmap_head *m = (const gl_mmap_head *)o;
	return m->data && m->size > 0 ? (size_t)m->size : 0;
}

/* type.__sizeof__(): a class with its instances' shared keys. */
static inline size_t gl_type_sizeof(PyObject *o)
{
	PyTypeObject *t = (PyTypeObject *)o;
	if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
		return sizeof(PyTypeObject);
	PyDictKeysObject *k = ((PyHeapTypeObject *)t)->ht_cached_keys;
	return sizeof(PyHeapTypeObject) + (k ? gl_dict_keys_sizeof(k) : 0);
}

#if !GL_PY_AT_LEAST(3, 11)
/* The keys' lookup function of a dict that has a key other than an exact
 * str: the static `lookdict` of Objects/dictobject.c (3.8-3.10), the only
 * one under which dict_traverse visits keys. Set by gl_compat_init(), read
 * by the walk: one variable for the whole shim (defined in walk.c; the
 * shim's symbols are hidden). */
extern void *gl_lookdict_general;
#endif

/* Module init only (Python allowed): learns what gl_dict_keys_visited()
 * needs. Returns 0, or -1 with an exception set. */
static inline int gl_compat_init(void)
{
#if !GL_PY_AT_LEAST(3, 11)
	PyObject *d = PyDict_New();
	if (!d)
		return -1;
	if (PyDict_SetItem(d, Py_None, Py_None) < 0) {
		Py_DECREF(d);
		return -1;
	}
	gl_lookdict_general = ((gl_dictkeys38 *)((PyDictObject *)d)->ma_keys)->dk_lookup;
	Py_DECREF(d);
#endif
	return 0;
}

/*
 * Whether the tp_traverse of an exact dict reports its keys as well as its
 * values (dict_traverse): only when the keys table is the general kind,
 * i.e. the dict has (or had) a key that is not an exact str.
 *   3.8-3.10: keys->dk_lookup == lookdict (learnt in gl_compat_init)
 *   3.11-3.13: keys->dk_kind == DICT_KEYS_GENERAL (not DK_IS_UNICODE)
 * Split tables (instance dicts) are never general.
 */
static inline int gl_dict_keys_visited(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 11)
	return ((PyDictObject *)o)->ma_keys->dk_kind == DICT_KEYS_GENERAL;
#else
	return ((gl_dictkeys38 *)((PyDictObject *)o)->ma_keys)->dk_lookup == gl_lookdict_general;
#endif
}


/*
 * Whether a dict's values are embedded in its owner (3.13): the managed
 * __dict__ of an object whose inline values are still valid. Then the owner
 * holds the values (its traverse reports them) and the dict's traverse
 * reports nothing; the owner does not report the dict either.
 */
static inline int gl_dict_values_embedded(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 13)
	PyDictObject *mp = (PyDictObject *)o;
	return mp->ma_values != NULL && mp->ma_values->embedded;
#else
	(void)o;
	return 0;
#endif
}

/* Number of digits of an int, and its sign. */
static inline size_t gl_long_ndigits(PyObject *o, int *negative)
{
#if GL_PY_AT_LEAST(3, 12)
	PyLongObject *l = (PyLongObject *)o;
	*negative = _PyLong_IsNegative(l);
	return (size_t)_PyLong_DigitCount(l);
#else
	Py_ssize_t n = Py_SIZE(o);
	*negative = n < 0;
	return (size_t)(n < 0 ? -n : n);
#endif
}

/* int.__sizeof__() */
static inline size_t gl_long_sizeof(PyObject *o)
{
	int neg;
	size_t nd = gl_long_ndigits(o, &neg);
#if GL_PY_AT_LEAST(3, 12)
	if (nd < 1)
		nd = 1;
	return offsetof(PyLongObject, long_value.ob_digit) + nd * sizeof(digit);
#elif GL_PY_AT_LEAST(3, 11)
	if (nd < 1)
		nd = 1;
	return offsetof(PyLongObject, ob_digit) + nd * sizeof(digit);
#else
	return offsetof(PyLongObject, ob_digit) + nd * sizeof(digit);
#endif
}

static inline int gl_str_ready(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 12)
	(void)o;
	return 1;
#else
	return PyUnicode_IS_READY(o);
#endif
}

/* str.__sizeof__() */
static inline size_t gl_str_sizeof(PyObject *o)
{
	size_t size;
	if (!gl_str_ready(o))
		return (size_t)Py_TYPE(o)->tp_basicsize;
	size_t len = (size_t)PyUnicode_GET_LENGTH(o);
	size_t kind = PyUnicode_KIND(o);
	if (PyUnicode_IS_COMPACT_ASCII(o))
		size = sizeof(PyASCIIObject) + len + 1;
	else if (PyUnicode_IS_COMPACT(o))
		size = sizeof(PyCompactUnicodeObject) + (len + 1) * kind;
	else {
		size = sizeof(PyUnicodeObject);
		if (((PyUnicodeObject *)o)->data.any)
			size += (len + 1) * kind;
	}
#if !GL_PY_AT_LEAST(3, 12)
	{
		PyASCIIObject *a = (PyASCIIObject *)o;
		if (a->wstr && a->wstr != (wchar_t *)PyUnicode_DATA(o)) {
			size_t wl = PyUnicode_IS_COMPACT_ASCII(o) ? (size_t)a->length
				: (size_t)((PyCompactUnicodeObject *)o)->wstr_length;
			size += (wl + 1) * sizeof(wchar_t);
		}
	}
#endif
	if (!PyUnicode_IS_COMPACT_ASCII(o)) {
		PyCompactUnicodeObject *c = (PyCompactUnicodeObject *)o;
		if (c->utf8 && c->utf8 != (char *)PyUnicode_DATA(o))
			size += (size_t)c->utf8_length + 1;
	}
	return size;
}

/* ---- functions, code, frames -------------------------------------------- */

static inline PyObject *gl_code_qualname(PyCodeObject *co)
{
#if GL_PY_AT_LEAST(3, 11)
	return co->co_qualname;
#else
	return co->co_name;
#endif
}

/*
 * A frame's contents. Locals come as an array `localsplus` of n slots named
 * by names_at(i). `executing` is set when the frame object does not own
 * its data (3.11+ frames of a running thread): then its tp_traverse
 * does not report code, globals or locals, and the shim records them as
 * extra (strong, unreported) references.
 */
typedef struct {
	PyObject *code, *globals, *builtins, *locals, *func, *back;
	PyObject *frame_obj;  /* a generator's frame object (gl_gen_frame_view) */
	PyObject **localsplus;
	Py_ssize_t nlocals;
	PyObject *names[3];   /* name tuples, concatenated in order */
	int executing;
} gl_frame_view;

static inline int gl_frame_view_get(PyObject *fo, gl_frame_view *v)
{
	PyFrameObject *f = (PyFrameObject *)fo;
	memset(v, 0, sizeof *v);
#if GL_PY_AT_LEAST(3, 11)
	_PyInterpreterFrame *fr = f->f_frame;
	v->back = (PyObject *)f->f_back;
	if (!fr)
		return -1;
#if GL_PY_AT_LEAST(3, 12)
	if (fr->owner == FRAME_OWNED_BY_CSTACK)
		return -1;
#endif
#if GL_PY_AT_LEAST(3, 13)
	v->code = fr->f_executable;
	v->func = fr->f_funcobj;
#elif GL_PY_AT_LEAST(3, 12)
	v->code = (PyObject *)fr->f_code;
	v->func = fr->f_funcobj;
#else
	v->code = (PyObject *)fr->f_code;
	v->func = (PyObject *)fr->f_func;
#endif
	v->globals = fr->f_globals;
	v->builtins = fr->f_builtins;
	v->locals = fr->f_locals;
	v->executing = fr->owner == FRAME_OWNED_BY_THREAD;
	if (!v->code || !PyCode_Check(v->code))
		return 0;
	PyCodeObject *co = (PyCodeObject *)v->code;
	v->localsplus = fr->localsplus;
	v->nlocals = co->co_nlocalsplus;
	v->names[0] = co->co_localsplusnames;
#else
	PyCodeObject *co = f->f_code;
	v->back = (PyObject *)f->f_back;
	v->code = (PyObject *)co;
	v->globals = f->f_globals;
	v->builtins = f->f_builtins;
	v->locals = f->f_locals;
	v->localsplus = f->f_localsplus;
	v->nlocals = co->co_nlocals + PyTuple_GET_SIZE(co->co_cellvars) + PyTuple_GET_SIZE(co->co_freevars);
	v->names[0] = co->co_varnames;
	v->names[1] = co->co_cellvars;
	v->names[2] = co->co_freevars;
#endif
	return 0;
}

/*
 * What a code object holds beyond the T_OBJECT members of the code type
 * (co_consts, co_names, co_filename, co_name, co_lnotab or co_linetable,
 * and co_code, co_varnames, co_cellvars, co_freevars up to 3.10;
 * co_qualname and co_exceptiontable from 3.11), named as Python names
 * them. Borrowed, NULL where absent:
 *   3.11+  co_localsplusnames, co_localspluskinds (the names and kinds of
 *          locals, cells and free variables; the free variables come last,
 *          in the order of a function's __closure__; no Python attribute)
 *   3.11   the co_code bytes, once something asked for them (_co_code)
 *   3.12+  co_code, co_varnames, co_cellvars, co_freevars, once asked for
 *          (_co_cached)
 * Reads fields only: creates nothing.
 */
enum { GL_CO_LOCALSPLUSNAMES, GL_CO_LOCALSPLUSKINDS, GL_CO_CODE, GL_CO_VARNAMES, GL_CO_CELLVARS,
       GL_CO_FREEVARS, GL_CO_N };
static const char *const gl_code_extra_names[GL_CO_N] = {
	"co_localsplusnames", "co_localspluskinds", "co_code", "co_varnames", "co_cellvars", "co_freevars",
};

static inline void gl_code_extra_refs(PyCodeObject *co, PyObject *out[GL_CO_N])
{
	for (int i = 0; i < GL_CO_N; i++)
		out[i] = NULL;
#if GL_PY_AT_LEAST(3, 11)
	out[GL_CO_LOCALSPLUSNAMES] = co->co_localsplusnames;
	out[GL_CO_LOCALSPLUSKINDS] = co->co_localspluskinds;
#endif
#if GL_PY_AT_LEAST(3, 12)
	if (co->_co_cached) {
		out[GL_CO_CODE] = co->_co_cached->_co_code;
		out[GL_CO_VARNAMES] = co->_co_cached->_co_varnames;
		out[GL_CO_CELLVARS] = co->_co_cached->_co_cellvars;
		out[GL_CO_FREEVARS] = co->_co_cached->_co_freevars;
	}
#elif GL_PY_AT_LEAST(3, 11)
	out[GL_CO_CODE] = co->_co_code;
#else
	(void)co;
#endif
}

/* co_extra, the per-code data of PEP 523 users (Objects/codeobject.c in
 * every version; in no installed header) */
typedef struct {
	Py_ssize_t ce_size;
	void *ce_extras[1];
} gl_code_extra;

/* code.__sizeof__() */
static inline size_t gl_code_sizeof(PyObject *o)
{
	PyCodeObject *co = (PyCodeObject *)o;
#if GL_PY_AT_LEAST(3, 11)
	/* the bytecode lives in the object (co_code_adaptive) */
	size_t res = (size_t)_PyObject_VAR_SIZE(Py_TYPE(o), Py_SIZE(o));
#else
	size_t res = (size_t)Py_TYPE(o)->tp_basicsize;
	if (co->co_cell2arg && co->co_cellvars && PyTuple_Check(co->co_cellvars))
		res += (size_t)PyTuple_GET_SIZE(co->co_cellvars) * sizeof(Py_ssize_t);
	/* the opcache, made once the code has run often enough: its map (a
	 * byte per code unit) and its entries */
	if (co->co_opcache && co->co_code && PyBytes_Check(co->co_code))
		res += (size_t)PyBytes_GET_SIZE(co->co_code) / sizeof(_Py_CODEUNIT) +
		       (size_t)co->co_opcache_size * sizeof(struct _PyOpcache);
#endif
	const gl_code_extra *ex = (const gl_code_extra *)co->co_extra;
	if (ex && ex->ce_size > 0)
		res += sizeof(gl_code_extra) + (size_t)(ex->ce_size - 1) * sizeof(void *);
	return res;
}

/* frame.__sizeof__(): the frame with its locals, cells and value stack. */
static inline size_t gl_frame_sizeof(PyObject *o)
{
	PyFrameObject *f = (PyFrameObject *)o;
#if GL_PY_AT_LEAST(3, 11)
	/* the frame type has an item size but no ob_size (that word is f_back):
	 * the slots are the code's */
	_PyInterpreterFrame *fr = f->f_frame;
#if GL_PY_AT_LEAST(3, 13)
	PyObject *exe = fr ? fr->f_executable : NULL;
	PyCodeObject *co = (exe && PyCode_Check(exe)) ? (PyCodeObject *)exe : NULL;
#else
	PyCodeObject *co = fr ? fr->f_code : NULL;
#endif
	if (!co)
		return (size_t)Py_TYPE(o)->tp_basicsize;
	return offsetof(PyFrameObject, _f_frame_data) + offsetof(_PyInterpreterFrame, localsplus) +
	       (size_t)(co->co_nlocalsplus + co->co_stacksize) * sizeof(PyObject *);
#else
	PyCodeObject *co = f->f_code;
	if (!co || !co->co_cellvars || !co->co_freevars || !PyTuple_Check(co->co_cellvars) ||
	    !PyTuple_Check(co->co_freevars))
		return (size_t)Py_TYPE(o)->tp_basicsize;
	size_t extras = (size_t)co->co_stacksize + (size_t)co->co_nlocals + (size_t)PyTuple_GET_SIZE(co->co_cellvars) +
			(size_t)PyTuple_GET_SIZE(co->co_freevars);
	/* one slot is part of PyFrameObject already */
	return sizeof(PyFrameObject) + (extras ? extras - 1 : 0) * sizeof(PyObject *);
#endif
}

/*
 * The frame of a generator, coroutine or async generator that has not
 * finished. 3.8-3.10: it is a frame object (gi_frame, a member), walked as a
 * frame; -1. 3.11+: the frame is embedded in the generator, whose traverse
 * reports the frame object (if one was made), the locals dict, function,
 * code and the slots below the top of its stack: code, func, locals,
 * frame_obj, the local slots and their names are filled; 0 (-1 once the
 * frame is cleared).
 */
static inline int gl_gen_frame_view(PyObject *o, gl_frame_view *v)
{
	memset(v, 0, sizeof *v);
#if GL_PY_AT_LEAST(3, 11)
	PyGenObject *gen = (PyGenObject *)o;
	if (gen->gi_frame_state >= FRAME_CLEARED)
		return -1;
	_PyInterpreterFrame *fr = (_PyInterpreterFrame *)gen->gi_iframe;
#if GL_PY_AT_LEAST(3, 13)
	v->code = fr->f_executable;
	v->func = fr->f_funcobj;
#elif GL_PY_AT_LEAST(3, 12)
	v->code = (PyObject *)fr->f_code;
	v->func = fr->f_funcobj;
#else
	v->code = (PyObject *)fr->f_code;
	v->func = (PyObject *)fr->f_func;
#endif
	v->locals = fr->f_locals;
	v->frame_obj = (PyObject *)fr->frame_obj;
	if (!v->code || !PyCode_Check(v->code))
		return 0;
	PyCodeObject *co = (PyCodeObject *)v->code;
	v->localsplus = fr->localsplus;
	v->nlocals = fr->stacktop < 0 ? 0 : fr->stacktop < co->co_nlocalsplus ? fr->stacktop : co->co_nlocalsplus;
	v->names[0] = co->co_localsplusnames;
	return 0;
#else
	(void)o;
	return -1;
#endif
}

/* The prefix of a generator's attributes: gi_ (generator), cr_
 * (coroutine), ag_ (async generator). */
static inline const char *gl_gen_prefix(PyObject *o)
{
	if (PyCoro_CheckExact(o))
		return "cr";
	if (PyAsyncGen_CheckExact(o))
		return "ag";
	return "gi";
}

/* The name of local slot i of a frame view (a str, borrowed) or NULL. */
static inline PyObject *gl_frame_local_name(const gl_frame_view *v, Py_ssize_t i)
{
	for (int k = 0; k < 3 && v->names[k]; k++) {
		if (!PyTuple_Check(v->names[k]))
			return NULL;
		Py_ssize_t n = PyTuple_GET_SIZE(v->names[k]);
		if (i < n)
			return PyTuple_GET_ITEM(v->names[k], i);
		i -= n;
	}
	return NULL;
}

/* ---- interned strings ------------------------------------------------------ */

/*
 * The interpreter's table of interned strings where it keeps some of them
 * alive (borrowed), else NULL:
 *   3.8-3.11  a static dict of Objects/unicodeobject.c, out of reach, whose
 *             two references per string are not counted: an interned string
 *             dies with its last other reference (only PyUnicode_InternImmortal,
 *             unused by CPython itself and deprecated since 3.10, would make
 *             one the table keeps)
 *   3.12      interp->cached_objects.interned_strings, a dict; every interned
 *             string is immortal, so the table keeps all of them alive
 *   3.13      the same dict; sys.intern() and the compiler intern mortal
 *             strings again (references not counted), the C API
 *             (PyUnicode_InternInPlace, PyUnicode_InternFromString) immortal
 *             ones, which the table keeps alive
 * The statically allocated strings (_Py_ID, one-character strings) are not
 * in it (3.12+: a separate runtime hash table): they are not heap objects.
 */
static inline PyObject *gl_interned_dict(void)
{
#if GL_PY_AT_LEAST(3, 12)
	PyObject *d = PyInterpreterState_Get()->cached_objects.interned_strings;
	return (d && PyDict_CheckExact(d)) ? d : NULL;
#else
	return NULL;
#endif
}

/* Whether the interned table's reference to s keeps s alive: s is interned
 * immortal (3.12+). */
static inline int gl_interned_kept(PyObject *s)
{
#if GL_PY_AT_LEAST(3, 12)
	return PyUnicode_CheckExact(s) && PyUnicode_CHECK_INTERNED(s) >= SSTATE_INTERNED_IMMORTAL;
#else
	(void)s;
	return 0;
#endif
}

/* Whether s is a name: an interned str that is an identifier, as
 * str.isidentifier() says (PyUnicode_IsIdentifier reads the characters and
 * the Unicode database; no Python code, nothing created; interned strings
 * are always ready, checked anyway since it would ready a legacy one). */
static inline int gl_str_is_name(PyObject *s)
{
	return PyUnicode_CheckExact(s) && gl_str_ready(s) && PyUnicode_CHECK_INTERNED(s) &&
	       PyUnicode_IsIdentifier(s) == 1;
}

/* ---- C fields that no PyMemberDef names ----------------------------------- */

/*
 * References kept in C fields of a few extension types, which their
 * tp_traverse reports but no PyMemberDef names (so the shim cannot read a
 * name for them): each field's offset and the name its edge gets (the
 * attribute of the pure-Python equivalent where there is one, asyncio's
 * Future and Task; else Python's name for it; else the C field's).
 * Offsets are per version, read from the structures of Modules/ and
 * Objects/ of each version and checked by tests/shim/shim_check.py heap
 * against live objects. An entry applies only to a type whose tp_name and
 * tp_basicsize are the ones its offsets were read against, so a different
 * layout gets no labels rather than wrong ones. A field is read within
 * tp_basicsize (always safe) and only compared with what traverse reported
 * (or, for a type that has no traverse, recorded as an extra edge).
 */
typedef struct {
	const char *name;
	Py_ssize_t off;
} gl_cfield;

typedef struct {
	const char *tp_name;
	Py_ssize_t basicsize;
	gl_cfield fields[14]; /* ends at a NULL name */
} gl_ctype;

/* _asyncio.Future (FutureObj_HEAD) and _asyncio.Task, Modules/_asynciomodule.c.
 * fut_callback0 and fut_context0 are the first callback and its context,
 * which the pure-Python Future keeps as _callbacks[0]. */
#if GL_PY_AT_LEAST(3, 13)
#define GL_FUT_FIELDS {"_loop", 16}, {"_callback0", 24}, {"_context0", 32}, {"_callbacks", 40}, \
	{"_exception", 48}, {"_exception_tb", 56}, {"_result", 64}, {"_source_traceback", 72}, \
	{"_cancel_message", 80}, {"_cancelled_exc", 88}
#define GL_FUT_SIZE 104
#define GL_TASK_FIELDS {"_fut_waiter", 112}, {"_coro", 120}, {"_name", 128}, {"_context", 136}
#define GL_TASK_SIZE 144
#elif GL_PY_AT_LEAST(3, 11)
#define GL_FUT_FIELDS {"_loop", 16}, {"_callback0", 24}, {"_context0", 32}, {"_callbacks", 40}, \
	{"_exception", 48}, {"_exception_tb", 56}, {"_result", 64}, {"_source_traceback", 72}, \
	{"_cancel_message", 80}, {"_cancelled_exc", 120}
#define GL_FUT_SIZE 128
#define GL_TASK_FIELDS {"_fut_waiter", 128}, {"_coro", 136}, {"_name", 144}, {"_context", 152}
#define GL_TASK_SIZE 176
#elif GL_PY_AT_LEAST(3, 10)
/* fut_cancelled_exc_state, an _PyErr_StackItem: type, value, traceback */
#define GL_FUT_FIELDS {"_loop", 16}, {"_callback0", 24}, {"_context0", 32}, {"_callbacks", 40}, \
	{"_exception", 48}, {"_exception_tb", 56}, {"_result", 64}, {"_source_traceback", 72}, \
	{"_cancel_message", 80}, {"_cancelled_exc_type", 120}, {"_cancelled_exc", 128}, \
	{"_cancelled_exc_tb", 136}
#define GL_FUT_SIZE 152
#define GL_TASK_FIELDS {"_fut_waiter", 152}, {"_coro", 160}, {"_name", 168}, {"_context", 176}
#define GL_TASK_SIZE 192
#elif GL_PY_AT_LEAST(3, 9)
#define GL_FUT_FIELDS {"_loop", 16}, {"_callback0", 24}, {"_context0", 32}, {"_callbacks", 40}, \
	{"_exception", 48}, {"_result", 56}, {"_source_traceback", 64}, {"_cancel_message", 72}, \
	{"_cancelled_exc_type", 112}, {"_cancelled_exc", 120}, {"_cancelled_exc_tb", 128}
#define GL_FUT_SIZE 144
#define GL_TASK_FIELDS {"_fut_waiter", 144}, {"_coro", 152}, {"_name", 160}, {"_context", 168}
#define GL_TASK_SIZE 184
#else
#define GL_FUT_FIELDS {"_loop", 16}, {"_callback0", 24}, {"_context0", 32}, {"_callbacks", 40}, \
	{"_exception", 48}, {"_result", 56}, {"_source_traceback", 64}
#define GL_FUT_SIZE 104
#define GL_TASK_FIELDS {"_fut_waiter", 104}, {"_coro", 112}, {"_name", 120}, {"_context", 128}
#define GL_TASK_SIZE 144
#endif

/*
 * functools._lru_cache_wrapper, Modules/_functoolsmodule.c. The wrapper
 * starts with the root of its list of links (functools._lru_list_elem: no
 * traverse of their own; each holds a key and its result, at 40 and 48, and
 * the next link at 24; the root is the wrapper itself). Its traverse
 * reports, per link in list order, the key, the result and (3.10+) the
 * link's type, then its fields; 3.10+ reports its own type first. The cache
 * dict maps each key to its link (to the result itself when unbounded,
 * which has no links). func is what update_wrapper() also stores as
 * __wrapped__.
 */
#if GL_PY_AT_LEAST(3, 10)
#define GL_LRU_FIELDS {"cache", 72}, {"__wrapped__", 88}, {"kwd_mark", 112}, {"lru_list_elem_type", 120}, \
	{"cache_info_type", 128}
#define GL_LRU_SIZE 152
#define GL_LRU_LINK_TYPE_OFF 120 /* reported once per link, after its key and result */
#elif GL_PY_AT_LEAST(3, 9)
#define GL_LRU_FIELDS {"cache", 72}, {"__wrapped__", 88}, {"cache_info_type", 112}
#define GL_LRU_SIZE 136
#define GL_LRU_LINK_TYPE_OFF 0
#else
#define GL_LRU_FIELDS {"cache", 72}, {"__wrapped__", 88}, {"cache_info_type", 112}
#define GL_LRU_SIZE 128
#define GL_LRU_LINK_TYPE_OFF 0
#endif
#define GL_LRU_TP_NAME "functools._lru_cache_wrapper"

static const gl_ctype gl_ctypes[] = {
	{"_asyncio.Future", GL_FUT_SIZE, {GL_FUT_FIELDS, {NULL, 0}}},
	{"_asyncio.Task", GL_TASK_SIZE, {GL_TASK_FIELDS, {NULL, 0}}},
	/* what `await future` iterates (FutureIter) */
	{"_asyncio.FutureIter", 24, {{"future", 16}, {NULL, 0}}},
	{GL_LRU_TP_NAME, GL_LRU_SIZE, {GL_LRU_FIELDS, {NULL, 0}}},
	/* _sre's PatternObject: groups, groupindex, indexgroup, pattern (a member) */
	{"re.Pattern", 96, {{"groupindex", 32}, {"indexgroup", 40}, {NULL, 0}}},
	/* _abc_data: what the pure-Python ABCMeta keeps as these attributes */
	{"_abc._abc_data", 48, {{"_abc_registry", 16}, {"_abc_cache", 24}, {"_abc_negative_cache", 32}, {NULL, 0}}},
	{"_abc_data", 48, {{"_abc_registry", 16}, {"_abc_cache", 24}, {"_abc_negative_cache", 32}, {NULL, 0}}},
	/* contextvars.Context (Include/internal/pycore_context.h): the context
	 * entered before it, its mapping of variables */
	{"_contextvars.Context", 48, {{"ctx_prev", 16}, {"ctx_vars", 24}, {NULL, 0}}},
	{"Context", 48, {{"ctx_prev", 16}, {"ctx_vars", 24}, {NULL, 0}}},
	/* io.BytesIO (Modules/_io/bytesio.c, 3.8-3.13): its buffer, a bytes
	 * object its traverse does not report */
	{"_io.BytesIO", 64, {{"buf", 16}, {NULL, 0}}},
	/* operator.attrgetter: the tuple of attribute names */
	{"operator.attrgetter", 32, {{"attr", 24}, {NULL, 0}}},
	{"operator.attrgetter", 40, {{"attr", 24}, {NULL, 0}}},
	/* a memoryview references its buffer, which holds what it views
	 * (memoryview.obj); the view's own copy of that pointer is borrowed */
	{"memoryview", (Py_ssize_t)offsetof(PyMemoryViewObject, ob_array), {{"mbuf", offsetof(PyMemoryViewObject, mbuf)}, {NULL, 0}}},
	{"managedbuffer", (Py_ssize_t)sizeof(_PyManagedBufferObject),
	 {{"obj", offsetof(_PyManagedBufferObject, master.obj)}, {NULL, 0}}},
#if GL_PY_AT_LEAST(3, 10)
	/* prop_name (3.10+), right after prop_doc (__doc__); property.__name__ */
	{"property", 64, {{"__name__", 48}, {NULL, 0}}},
#endif
#if GL_PY_AT_LEAST(3, 9)
	/* a method bound with its defining class (METH_METHOD) */
	{"builtin_method", (Py_ssize_t)sizeof(PyCMethodObject),
	 {{"mm_class", offsetof(PyCMethodObject, mm_class)}, {NULL, 0}}},
#endif
};

/* The named C fields of type t itself (not its bases'), or NULL. */
static inline const gl_cfield *gl_ctype_fields(PyTypeObject *t)
{
	for (size_t i = 0; i < sizeof gl_ctypes / sizeof gl_ctypes[0]; i++)
		if (t->tp_basicsize == gl_ctypes[i].basicsize && strcmp(t->tp_name, gl_ctypes[i].tp_name) == 0)
			return gl_ctypes[i].fields;
	return NULL;
}

/* Pre-walk only: the innermost frame of a thread, a new reference or NULL
 * (on 3.11+ this materialises the thread's frame objects). */
static inline PyFrameObject *gl_tstate_frame(PyThreadState *ts)
{
#if GL_PY_AT_LEAST(3, 9)
	return PyThreadState_GetFrame(ts);
#else
	Py_XINCREF(ts->frame);
	return ts->frame;
#endif
}

/* Pre-walk only: the caller's frame, a new reference or NULL. */
static inline PyFrameObject *gl_frame_back(PyFrameObject *f)
{
#if GL_PY_AT_LEAST(3, 9)
	return PyFrame_GetBack(f);
#else
	Py_XINCREF(f->f_back);
	return f->f_back;
#endif
}

/* Pre-walk only: a frame's code object, borrowed. */
static inline PyCodeObject *gl_frame_code(PyFrameObject *f)
{
#if GL_PY_AT_LEAST(3, 9)
	PyCodeObject *co = PyFrame_GetCode(f);
	Py_DECREF(co); /* the frame keeps it alive */
	return co;
#else
	return f->f_code;
#endif
}

static inline unsigned long gl_tstate_ident(PyThreadState *ts)
{
	return (unsigned long)ts->thread_id;
}

/* The OS thread id of a thread state (3.11+ records it), or 0. */
static inline unsigned long gl_tstate_native_id(PyThreadState *ts)
{
#if GL_PY_AT_LEAST(3, 11)
	return ts->native_thread_id;
#else
	(void)ts;
	return 0;
#endif
}

/* The ident of the main interpreter's main thread, from the runtime (in
 * every version _PyRuntime.main_thread, kept up to date after fork): what
 * threading.main_thread().ident says, without the threading module. */
static inline unsigned long gl_main_thread_ident(void)
{
	return _PyRuntime.main_thread;
}

/*
 * tracemalloc's record of where each memory block was allocated
 * (Modules/_tracemalloc.c to 3.11, Python/tracemalloc.c from 3.12):
 *   - whether it traces: _Py_tracemalloc_config (exported, 3.8-3.11),
 *     _PyRuntime.tracemalloc.config (3.12+);
 *   - an object's memory block starts before it: its GC header, and from
 *     3.11 the pre-header of a managed __dict__ (what tracemalloc itself
 *     subtracts in get_object_traceback);
 *   - 3.12+ (GL_TM_DIRECT): its tables are in _PyRuntime, so a block's
 *     traceback is read in place: traces maps the block to a trace {size,
 *     traceback}, and a traceback (interned: equal ones are one) has nframe
 *     frames {filename, lineno}, most recent first. Reading needs the
 *     tables' lock (tables_lock), or a copy made while it was held;
 *   - 3.8-3.11 keep the tables in statics of _tracemalloc.c, out of reach:
 *     the exported _PyTraceMalloc_GetTraceback(domain, block) answers with
 *     a new tuple of (filename, lineno) tuples, so it is called after the
 *     walk, with the GIL, in the process itself (never in a copy-on-write
 *     child, where the lock it takes may have been held at the clone).
 */
#if GL_PY_AT_LEAST(3, 12)
#define GL_TM_DIRECT 1
typedef struct {
	size_t size;
	struct tracemalloc_traceback *traceback;
} gl_tm_trace;
#else
#define GL_TM_DIRECT 0
#if GL_PY_AT_LEAST(3, 9)
#include "internal/pycore_pymem.h"
#endif
PyAPI_FUNC(PyObject *) _PyTraceMalloc_GetTraceback(unsigned int domain, uintptr_t ptr);
#endif

static inline const struct _PyTraceMalloc_Config *gl_tm_config(void)
{
#if GL_PY_AT_LEAST(3, 12)
	return &_PyRuntime.tracemalloc.config;
#else
	return &_Py_tracemalloc_config;
#endif
}

/* The start of o's memory block, as tracemalloc knows it. */
static inline uintptr_t gl_tm_block(PyObject *o)
{
#if GL_PY_AT_LEAST(3, 11)
	return (uintptr_t)o - _PyType_PreHeaderSize(Py_TYPE(o));
#else
	return (uintptr_t)o - (PyType_IS_GC(Py_TYPE(o)) ? sizeof(PyGC_Head) : 0);
#endif
}

#if GL_TM_DIRECT
/* o's block's traceback, or NULL (not traced). The tables' lock held, or a
 * copy of the process made while it was. */
static inline const struct tracemalloc_traceback *gl_tm_traceback(PyObject *o)
{
	_Py_hashtable_t *traces = _PyRuntime.tracemalloc.traces;
	if (!traces)
		return NULL;
	const gl_tm_trace *t = (const gl_tm_trace *)_Py_hashtable_get(traces, (const void *)gl_tm_block(o));
	return t ? t->traceback : NULL;
}

static inline PyThread_type_lock gl_tm_lock(void)
{
	return _PyRuntime.tracemalloc.tables_lock;
}
#endif

#endif /* GRAPHLEAK_COMPAT_H */
