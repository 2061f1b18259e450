/*
 * walk.c - the walk of a dump: every object of the collector's lists, and
 * every untracked object they reference, written as records with labelled
 * edges through the snapshot writer (walk.h).
 *
 * During the walk no Python object is created, no Python code runs, nothing
 * releases the GIL; memory comes only from childmem.h (malloc in the target
 * itself, mmap in a copy-on-write child: see below). Every object in the
 * collector's generation lists (0, 1, 2 and the permanent one) gets a record;
 * every object they reference that is not gc-tracked gets one too (exact
 * seen-set, explicit stack, no recursion) and is traversed in turn when its
 * type is a GC type (untracked dicts and tuples). The walk is memory-bound,
 * so it prefetches: the next object of the generation list while recording
 * one, and each edge target PEND_SIZE targets before it is looked at
 * (note_target); the encoder is compiled into this file so that its
 * per-record and per-edge calls inline (see the end).
 *
 * Memory of the walk, beyond the writer's 1 MiB buffer and its string table
 * (capped at 64 MiB by snapwrite): the seen-set of untracked objects (a
 * sparse bitmap, one bit per 8 bytes of each 4 MiB address range that holds
 * an untracked object: 64 KiB per such range, about 1/64 of the heap), the
 * explicit stack (8 bytes per pending untracked object), per-type info
 * (about 100 bytes per type plus 16 per member), the name cache (16-32 bytes
 * per distinct attribute/local name object), and one scratch area sized by
 * the largest out-degree of any object that is not an exact
 * list/tuple/dict/set (24 bytes per referent). Exact lists, tuples, dicts and
 * sets are streamed without scratch. Fixed parts inside the walker: the
 * pending-target ring, the type cache and the seen-set's chunk cache, about
 * 5 KiB. docs/shim.md has the formula and measured figures.
 */
#include "compat.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "childmem.h"
#include "pyutil.h"
#include "snapwrite.h"
#include "walk.h"

/*
 * The walk and the encoder compiled below allocate through childmem.h, so
 * that in a copy-on-write child (cow.h) they never call the C library's
 * allocator, whose locks another thread of the target may have held at the
 * clone; and their error messages skip strerror()'s message catalogue, which
 * takes a lock too. Every system header this file and snapwrite.c use is
 * included above, before these names are redefined.
 */
#define malloc(n) gl_mem_malloc(n)
#define calloc(n, size) gl_mem_calloc(n, size)
#define realloc(p, n) gl_mem_realloc(p, n)
#define free(p) gl_mem_free(p)
#define strerror(e) gl_mem_strerror(e)

/* The encoder's per-object and per-edge calls are inlined into the walk
 * (snapwrite.c is part of this translation unit: see the end of the file). */
__attribute__((always_inline)) inline int gl_w_begin_object(gl_writer *w, uint64_t addr, uint32_t type_sid,
							      uint32_t flags, uint64_t size, uint64_t refcnt,
							      uint64_t length, const void *preview,
							      size_t preview_len);
__attribute__((always_inline)) inline int gl_w_edge(gl_writer *w, uint64_t dst, unsigned kind, int extra,
						      uint64_t payload);
__attribute__((always_inline)) inline int gl_w_end_object(gl_writer *w);
__attribute__((always_inline)) inline int gl_w_failed(const gl_writer *w);

#if !GL_PY_AT_LEAST(3, 11)
void *gl_lookdict_general; /* compat.h */
#endif

/* ======================================================================== */
/* the walker                                                               */
/* ======================================================================== */

typedef struct {
	uintptr_t *slots;
	size_t cap, n; /* cap: power of two or 0 */
} ptrset;

typedef struct {
	uintptr_t *keys;
	uint32_t *vals;
	size_t cap, n;
} ptrmap;

/*
 * The seen-set of untracked objects: a sparse bitmap over the address
 * space, one bit per 8-byte word, in chunks covering 4 MiB each (a 64 KiB
 * bitmap) found through a small hash table. Objects sit in few heap
 * regions, so this costs about 1/64 of the span of heap holding untracked
 * objects, and a lookup is a bit test near the previous one.
 */
#define BS_SPAN_SHIFT 22
#define BS_WORDS ((((size_t)1 << BS_SPAN_SHIFT) >> 3) / 64)
typedef struct {
	uintptr_t key; /* (addr >> BS_SPAN_SHIFT) + 1; 0 marks an empty slot */
	uint64_t *bits;
} bchunk;

#define BS_CACHE 256 /* direct-mapped cache of chunks: 1 GiB of contiguous heap */
typedef struct {
	bchunk *tab;
	size_t cap, n;
	uintptr_t ckey[BS_CACHE];
	uint64_t *cbits[BS_CACHE];
	uint64_t count;
} bitset;

enum { SZ_DEFAULT, SZ_LIST, SZ_DICT, SZ_SET, SZ_STR, SZ_BYTES, SZ_BYTEARRAY, SZ_INT, SZ_TYPE, SZ_FRAME, SZ_CODE,
       SZ_ODICT, SZ_DEQUE, SZ_GEN, SZ_APPROX, SZ_ARRAY, SZ_MMAP, SZ_N_ };
enum { SH_GENERIC, SH_LIST, SH_TUPLE, SH_DICT, SH_SET };
/* what the preview is made of (the checks of record(), once per type) */
enum { VK_OTHER, VK_STR, VK_BYTES, VK_BYTEARRAY, VK_BOOL, VK_INT, VK_FLOAT, VK_MODULE, VK_TYPE,
       VK_FUNCTION, VK_CODE, VK_FRAME };
/* where the length comes from */
enum { LK_NONE, LK_SIZE, LK_DICT, LK_SET, LK_STR };
/* the container part of generic_edges */
enum { CK_NONE, CK_LIST, CK_TUPLE, CK_DICT, CK_SET, CK_DEQUE };

typedef struct {
	Py_ssize_t off;
	uint32_t sid;
	uint8_t kind; /* GL_EK_ATTR or GL_EK_FIELD */
	uint8_t cfield; /* from compat.h's table: a strong reference; if the
			 * type's traverse does not report it, an extra edge */
} member_t;

typedef struct {
	PyTypeObject *tp;
	uint32_t name_sid;
	uint32_t flags;     /* type-derived GL_OF_* bits */
	uint8_t size_mode;  /* SZ_* */
	uint8_t shape;      /* SH_* */
	uint8_t is_deque;
	uint8_t vkind;      /* VK_* */
	uint8_t lkind;      /* LK_* */
	uint8_t ckind;      /* CK_* */
	uint8_t is_value;   /* str, bytes, bytearray, int (bool too), float: withheld by values=False */
	uint8_t gc_maybe;   /* 0: never gc (no Py_TPFLAGS_HAVE_GC), 1: always, 2: ask tp_is_gc */
	uint8_t is_odict;   /* an OrderedDict: its traverse also reports each key from its list */
	uint8_t is_lru;     /* a functools.lru_cache wrapper of the known layout (compat.h) */
	uint8_t is_gen;     /* a generator, coroutine or async generator */
	uint8_t has_cfields; /* compat.h's table names C fields of it (or of a base) */
	uint32_t nmembers;
	member_t *members;
} typeinfo;

typedef struct {
	PyObject *ptr;
	uint64_t payload;
	uint8_t kind;
	uint8_t extra;
} cand_t;

#define LAB_NONE 0xff
#define TC_SIZE 64
#define PEND_SIZE 32 /* how many targets are prefetched ahead of being looked at */

typedef struct {
	uint64_t payload;
	uint8_t kind;  /* GL_EK_* or LAB_NONE (unassigned) */
	uint8_t extra;
	uint8_t done;  /* already emitted */
} lab_t;

enum {
	F_CLASS, F_DICT, F_CODE, F_GLOBALS, F_DEFAULTS, F_KWDEFAULTS, F_CLOSURE, F_MODULE,
	F_NAME, F_QUALNAME, F_DOC, F_ANNOTATIONS, F_BUILTINS, F_TYPEPARAMS, F_CELL, F_FUNC,
	F_SELF, F_MRO, F_BASES, F_BASE, F_SLOTS, F_FBACK, F_FCODE, F_FGLOBALS, F_FBUILTINS,
	F_FLOCALS, F_FTRACE, F_FFUNC, F_ARGS, F_TRACEBACK, F_CONTEXT, F_CAUSE, F_NOTES,
	F_TBNEXT, F_MDSTATE, F_GIFRAME, F_GICODE, F_CRFRAME, F_CRCODE, F_AGFRAME,
	F_AGCODE, F_LRULINKTYPE, F_HTMODULE, F_N_
};
static const char *const field_names[F_N_] = {
	"__class__", "__dict__", "__code__", "__globals__", "__defaults__", "__kwdefaults__",
	"__closure__", "__module__", "__name__", "__qualname__", "__doc__", "__annotations__",
	"__builtins__", "__type_params__", "cell_contents", "__func__", "__self__", "__mro__",
	"__bases__", "__base__", "__slots__", "f_back", "f_code", "f_globals", "f_builtins",
	"f_locals", "f_trace", "f_func", "args", "__traceback__", "__context__", "__cause__",
	"__notes__", "tb_next", "md_state", "gi_frame", "gi_code", "cr_frame",
	"cr_code", "ag_frame", "ag_code", "lru_list_elem_type", "ht_module",
};

struct gl_walker {
	gl_writer *wr;
	int values;
	int failed;
	char err[256];
	size_t mem_now, mem_peak;

	bitset seen;     /* untracked objects already recorded or queued */
	ptrset garbage;  /* items of gc.garbage */
	PyObject **stack;
	PyObject *pend[PEND_SIZE]; /* targets not looked at yet (note_target), a FIFO */
	unsigned pend_head, npend;
	size_t nstack, capstack;

	PyObject **refs; /* scratch: what tp_traverse reported */
	lab_t *labs;
	size_t nrefs, caprefs;
	cand_t *cands;
	size_t ncands, capcands;

	typeinfo *types;
	size_t ntypes, captypes;
	ptrmap typemap;  /* type pointer -> index into types */
	PyTypeObject *tc_tp[TC_SIZE]; /* cache in front of typemap */
	uint32_t tc_idx[TC_SIZE];
	ptrmap namemap;  /* str object -> string id */

	PyObject **held; /* frames we hold a reference to, sorted */
	size_t nheld;

	PyObject *sz_desc[16]; /* __sizeof__ descriptors of builtin types */
	uint8_t sz_mode[16];
	int n_sz;
	PyTypeObject *deque_type;
	uint32_t fsid[F_N_];
	uint32_t csid[GL_CO_N];  /* names of gl_code_extra_refs() */
	PyObject *interned;      /* the interned strings' table, recorded as a root (or NULL) */

	/* an index of the unclaimed references of one object (refidx_*):
	 * pointer -> first position, then next[] in traverse order */
	uintptr_t *ri_key;
	size_t *ri_head;
	size_t *ri_next;
	size_t ri_cap, ri_capnext, ri_mask;

	uint64_t n_tracked, n_untracked, bytes;
	uint64_t mapped; /* of bytes: mmap.mmap mappings (not the allocators') */

	/* allocation sites (gl_walk_sites): every recorded object, in record
	 * order, while tm_on */
	int tm_on;
	PyObject **tm_objs;
	size_t tm_n, tm_cap;
	unsigned char *site_section; /* the SITE section's bytes, written by the writer at the end */
};
typedef struct gl_walker walker;

static void w_fail(walker *w, const char *fmt, ...)
{
	if (w->failed)
		return;
	w->failed = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
}

/* realloc with accounting; on failure the walk is marked failed. */
static void *w_realloc(walker *w, void *p, size_t oldb, size_t newb)
{
	void *np = realloc(p, newb);
	if (!np) {
		w_fail(w, "out of memory (the shim needed %zu bytes)", newb);
		return NULL;
	}
	w->mem_now += newb - oldb;
	if (w->mem_now > w->mem_peak)
		w->mem_peak = w->mem_now;
	return np;
}

static inline size_t hash_ptr(uintptr_t p)
{
	uint64_t h = (uint64_t)p >> 3;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h;
}

static int ptrset_grow(walker *w, ptrset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024;
	uintptr_t *ns = w_realloc(w, NULL, 0, ncap * sizeof *ns);
	if (!ns)
		return -1;
	memset(ns, 0, ncap * sizeof *ns);
	for (size_t i = 0; i < s->cap; i++) {
		uintptr_t p = s->slots[i];
		if (!p)
			continue;
		size_t j = hash_ptr(p) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = p;
	}
	free(s->slots);
	w->mem_now -= s->cap * sizeof *ns;
	s->slots = ns;
	s->cap = ncap;
	return 0;
}

/* 1 if p was added, 0 if it was there, -1 on failure. */
static int ptrset_add(walker *w, ptrset *s, const void *vp)
{
	uintptr_t p = (uintptr_t)vp;
	if ((s->n + 1) * 2 > s->cap && ptrset_grow(w, s) < 0)
		return -1;
	size_t mask = s->cap - 1, j = hash_ptr(p) & mask;
	while (s->slots[j]) {
		if (s->slots[j] == p)
			return 0;
		j = (j + 1) & mask;
	}
	s->slots[j] = p;
	s->n++;
	return 1;
}

static int ptrset_has(const ptrset *s, const void *vp)
{
	uintptr_t p = (uintptr_t)vp;
	if (!s->cap)
		return 0;
	size_t mask = s->cap - 1, j = hash_ptr(p) & mask;
	while (s->slots[j]) {
		if (s->slots[j] == p)
			return 1;
		j = (j + 1) & mask;
	}
	return 0;
}

static uint64_t *bitset_chunk(walker *w, bitset *s, uintptr_t key)
{
	if (s->cap) {
		size_t mask = s->cap - 1, j = hash_ptr(key << 3) & mask;
		while (s->tab[j].key) {
			if (s->tab[j].key == key)
				return s->tab[j].bits;
			j = (j + 1) & mask;
		}
	}
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		bchunk *nt = w_realloc(w, NULL, 0, ncap * sizeof *nt);
		if (!nt)
			return NULL;
		memset(nt, 0, ncap * sizeof *nt);
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->tab[i].key)
				continue;
			size_t j = hash_ptr(s->tab[i].key << 3) & (ncap - 1);
			while (nt[j].key)
				j = (j + 1) & (ncap - 1);
			nt[j] = s->tab[i];
		}
		free(s->tab);
		w->mem_now -= s->cap * sizeof *nt;
		s->tab = nt;
		s->cap = ncap;
	}
	uint64_t *bits = w_realloc(w, NULL, 0, BS_WORDS * sizeof *bits);
	if (!bits)
		return NULL;
	memset(bits, 0, BS_WORDS * sizeof *bits);
	size_t mask = s->cap - 1, j = hash_ptr(key << 3) & mask;
	while (s->tab[j].key)
		j = (j + 1) & mask;
	s->tab[j].key = key;
	s->tab[j].bits = bits;
	s->n++;
	return bits;
}

/* 1 if p was added, 0 if it was there, -1 on failure. */
static inline int bitset_add(walker *w, bitset *s, const void *vp)
{
	uintptr_t p = (uintptr_t)vp;
	uintptr_t key = (p >> BS_SPAN_SHIFT) + 1;
	size_t c = key & (BS_CACHE - 1);
	uint64_t *bits;
	if (s->ckey[c] == key) {
		bits = s->cbits[c];
	} else {
		bits = bitset_chunk(w, s, key);
		if (!bits)
			return -1;
		s->ckey[c] = key;
		s->cbits[c] = bits;
	}
	size_t idx = (p & (((uintptr_t)1 << BS_SPAN_SHIFT) - 1)) >> 3;
	uint64_t m = (uint64_t)1 << (idx & 63);
	if (bits[idx >> 6] & m)
		return 0;
	bits[idx >> 6] |= m;
	s->count++;
	return 1;
}

static void bitset_free(bitset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->tab[i].bits);
	free(s->tab);
}

static int ptrmap_get(const ptrmap *m, const void *vp, uint32_t *out)
{
	uintptr_t p = (uintptr_t)vp;
	if (!m->cap)
		return 0;
	size_t mask = m->cap - 1, j = hash_ptr(p) & mask;
	while (m->keys[j]) {
		if (m->keys[j] == p) {
			*out = m->vals[j];
			return 1;
		}
		j = (j + 1) & mask;
	}
	return 0;
}

static int ptrmap_put(walker *w, ptrmap *m, const void *vp, uint32_t v)
{
	uintptr_t p = (uintptr_t)vp;
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		uintptr_t *nk = w_realloc(w, NULL, 0, ncap * sizeof *nk);
		uint32_t *nv = nk ? w_realloc(w, NULL, 0, ncap * sizeof *nv) : NULL;
		if (!nv) {
			free(nk);
			return -1;
		}
		memset(nk, 0, ncap * sizeof *nk);
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t j = hash_ptr(m->keys[i]) & (ncap - 1);
			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = m->keys[i];
			nv[j] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		w->mem_now -= m->cap * (sizeof *nk + sizeof *nv);
		m->keys = nk;
		m->vals = nv;
		m->cap = ncap;
	}
	size_t mask = m->cap - 1, j = hash_ptr(p) & mask;
	while (m->keys[j] && m->keys[j] != p)
		j = (j + 1) & mask;
	if (!m->keys[j])
		m->n++;
	m->keys[j] = p;
	m->vals[j] = v;
	return 0;
}

static uint32_t intern_c(walker *w, const char *s)
{
	return gl_w_intern(w->wr, s, strlen(s));
}

/* String id of a str object's text (cached per object). */
static uint32_t name_sid(walker *w, PyObject *s)
{
	uint32_t sid;
	if (!s || !PyUnicode_Check(s))
		return 0;
	if (ptrmap_get(&w->namemap, s, &sid))
		return sid;
	char buf[256];
	int trunc;
	size_t n = str_utf8(s, buf, sizeof buf, &trunc);
	sid = gl_w_intern(w->wr, buf, n);
	ptrmap_put(w, &w->namemap, s, sid);
	return sid;
}

/* ---- per-type information ------------------------------------------------ */

static int held_count(const walker *w, PyObject *o)
{
	size_t lo = 0, hi = w->nheld;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((uintptr_t)w->held[mid] < (uintptr_t)o)
			lo = mid + 1;
		else
			hi = mid;
	}
	int c = 0;
	while (lo < w->nheld && w->held[lo] == o) {
		c++;
		lo++;
	}
	return c;
}

static int add_member(walker *w, typeinfo *ti, Py_ssize_t off, uint32_t sid, uint8_t kind, uint8_t cfield,
		      size_t *cap)
{
	for (uint32_t i = 0; i < ti->nmembers; i++)
		if (ti->members[i].off == off)
			return 0;
	if (ti->nmembers == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		member_t *nm = w_realloc(w, ti->members, *cap * sizeof *nm, nc * sizeof *nm);
		if (!nm)
			return -1;
		ti->members = nm;
		*cap = nc;
	}
	ti->members[ti->nmembers].off = off;
	ti->members[ti->nmembers].sid = sid;
	ti->members[ti->nmembers].kind = kind;
	ti->members[ti->nmembers].cfield = cfield;
	ti->nmembers++;
	return 0;
}

static typeinfo *type_info_slow(walker *w, PyTypeObject *tp);

/* The per-type facts of tp, from a small direct-mapped cache in front of
 * the type map; computed once per type. NULL only on failure. */
static inline typeinfo *type_info(walker *w, PyTypeObject *tp)
{
	uintptr_t h = (uintptr_t)tp;
	size_t c = (size_t)((h >> 4) ^ (h >> 12)) & (TC_SIZE - 1);
	if (w->tc_tp[c] == tp)
		return &w->types[w->tc_idx[c]];
	typeinfo *ti = type_info_slow(w, tp);
	if (ti) {
		w->tc_tp[c] = tp;
		w->tc_idx[c] = (uint32_t)(ti - w->types);
	}
	return ti;
}

static typeinfo *type_info_slow(walker *w, PyTypeObject *tp)
{
	uint32_t idx;
	if (ptrmap_get(&w->typemap, tp, &idx))
		return &w->types[idx];
	if (w->ntypes == w->captypes) {
		size_t nc = w->captypes ? w->captypes * 2 : 256;
		typeinfo *nt = w_realloc(w, w->types, w->captypes * sizeof *nt, nc * sizeof *nt);
		if (!nt)
			return NULL;
		w->types = nt;
		w->captypes = nc;
	}
	typeinfo *ti = &w->types[w->ntypes];
	memset(ti, 0, sizeof *ti);
	ti->tp = tp;

	/* name */
	if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
		PyObject *mod = dict_find(gl_type_dict(tp), "__module__");
		PyObject *qual = ((PyHeapTypeObject *)tp)->ht_qualname;
		char buf[512];
		size_t n = 0;
		int trunc;
		if (mod && PyUnicode_Check(mod) && !str_is(mod, "builtins")) {
			n = str_utf8(mod, buf, 255, &trunc);
			buf[n++] = '.';
		}
		if (qual && PyUnicode_Check(qual))
			n += str_utf8(qual, buf + n, sizeof buf - n, &trunc);
		else {
			size_t k = strlen(tp->tp_name);
			if (k > sizeof buf - n)
				k = sizeof buf - n;
			memcpy(buf + n, tp->tp_name, k);
			n += k;
		}
		ti->name_sid = gl_w_intern(w->wr, buf, n);
	} else {
		ti->name_sid = intern_c(w, tp->tp_name);
	}

	/* flags */
	uint32_t f = 0;
	if (PyType_IS_GC(tp))
		f |= GL_OF_GCTYPE;
	if (tp->tp_finalize)
		f |= GL_OF_HAS_FINALIZE;
	if (tp->tp_del)
		f |= GL_OF_LEGACY_DEL;
	if (PyType_IsSubtype(tp, &PyModule_Type))
		f |= GL_OF_MODULE;
	if (PyType_IsSubtype(tp, &PyType_Type))
		f |= GL_OF_TYPE;
	if (tp == &PyFrame_Type)
		f |= GL_OF_FRAME;
	if (tp == &PyFunction_Type)
		f |= GL_OF_FUNCTION;

	/* along the MRO: __del__, __sizeof__, members */
	ti->size_mode = SZ_APPROX;
	int sizeof_found = 0;
	size_t mcap = 0;
	PyObject *mro = tp->tp_mro;
	Py_ssize_t nmro = (mro && PyTuple_Check(mro)) ? PyTuple_GET_SIZE(mro) : 0;
	for (Py_ssize_t i = -1; i < nmro; i++) {
		PyTypeObject *t = i < 0 ? tp : (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
		if (i >= 0 && t == tp)
			continue;
		if (!t || !PyType_Check((PyObject *)t))
			continue;
		PyObject *d = gl_type_dict(t);
		if (d && t != &PyBaseObject_Type && (t->tp_flags & Py_TPFLAGS_HEAPTYPE) && dict_find(d, "__del__"))
			f |= GL_OF_HAS_DEL;
		if (!sizeof_found && d) {
			PyObject *desc = dict_find(d, "__sizeof__");
			if (desc) {
				sizeof_found = 1;
				for (int m = 0; m < w->n_sz; m++)
					if (w->sz_desc[m] == desc)
						ti->size_mode = w->sz_mode[m];
			}
		}
		int slots_kind = ((t->tp_flags & Py_TPFLAGS_HEAPTYPE) && ((PyHeapTypeObject *)t)->ht_slots) ? GL_EK_ATTR : GL_EK_FIELD;
		for (PyMemberDef *m = t->tp_members; m && m->name; m++) {
			if (m->type != T_OBJECT && m->type != T_OBJECT_EX)
				continue;
			if (m->flags & 8 /* Py_RELATIVE_OFFSET */)
				continue;
			if (add_member(w, ti, m->offset, intern_c(w, m->name), (uint8_t)slots_kind, 0, &mcap) < 0)
				return NULL;
		}
		/* C fields that no PyMemberDef names, of a few known types (compat.h) */
		for (const gl_cfield *cf = gl_ctype_fields(t); cf && cf->name; cf++) {
			if (add_member(w, ti, cf->off, intern_c(w, cf->name), GL_EK_FIELD, 1, &mcap) < 0)
				return NULL;
			ti->has_cfields = 1;
		}
		if (t->tp_basicsize == GL_LRU_SIZE && strcmp(t->tp_name, GL_LRU_TP_NAME) == 0)
			ti->is_lru = 1;
	}
	if (!sizeof_found)
		ti->size_mode = SZ_DEFAULT;
	/* frames and code objects (not subclassable): their own __sizeof__,
	 * computed from their layout (compat.h) */
	if (tp == &PyFrame_Type)
		ti->size_mode = SZ_FRAME;
	else if (tp == &PyCode_Type)
		ti->size_mode = SZ_CODE;
#if GL_PY_AT_LEAST(3, 11)
	else if (tp == &PyGen_Type || tp == &PyCoro_Type || tp == &PyAsyncGen_Type)
		ti->size_mode = SZ_GEN; /* they embed their frame (gen_sizeof) */
#endif
	/* memory outside the object that it owns (compat.h, gl_native_kind):
	 * array.array's buffer, mmap.mmap's mapping */
	switch (gl_native_kind(tp)) {
	case GL_NATIVE_ARRAY:
		ti->size_mode = SZ_ARRAY;
		break;
	case GL_NATIVE_MMAP:
		ti->size_mode = SZ_MMAP;
		break;
	default:
		break;
	}
	ti->flags = f;

	if (tp == &PyList_Type)
		ti->shape = SH_LIST;
	else if (tp == &PyTuple_Type)
		ti->shape = SH_TUPLE;
	else if (tp == &PyDict_Type)
		ti->shape = SH_DICT;
	else if (tp == &PySet_Type || tp == &PyFrozenSet_Type)
		ti->shape = SH_SET;
	else
		ti->shape = SH_GENERIC;
	ti->is_deque = w->deque_type && PyType_IsSubtype(tp, w->deque_type);

	/* the per-object checks of record() and generic_edges(), decided once
	 * per type, in the same order of precedence */
	int t_str = PyType_IsSubtype(tp, &PyUnicode_Type), t_bytes = PyType_IsSubtype(tp, &PyBytes_Type),
	    t_barr = PyType_IsSubtype(tp, &PyByteArray_Type), t_int = PyType_IsSubtype(tp, &PyLong_Type),
	    t_float = PyType_IsSubtype(tp, &PyFloat_Type), t_list = PyType_IsSubtype(tp, &PyList_Type),
	    t_tuple = PyType_IsSubtype(tp, &PyTuple_Type), t_dict = PyType_IsSubtype(tp, &PyDict_Type),
	    t_set = PyType_IsSubtype(tp, &PySet_Type) || PyType_IsSubtype(tp, &PyFrozenSet_Type);
	ti->is_value = (uint8_t)(t_str || t_bytes || t_barr || t_int || t_float);
	if (t_str)
		ti->vkind = VK_STR;
	else if (t_bytes)
		ti->vkind = VK_BYTES;
	else if (t_barr)
		ti->vkind = VK_BYTEARRAY;
	else if (tp == &PyBool_Type)
		ti->vkind = VK_BOOL;
	else if (t_int)
		ti->vkind = VK_INT;
	else if (t_float)
		ti->vkind = VK_FLOAT;
	else if (PyType_IsSubtype(tp, &PyModule_Type))
		ti->vkind = VK_MODULE;
	else if (PyType_IsSubtype(tp, &PyType_Type))
		ti->vkind = VK_TYPE;
	else if (tp == &PyFunction_Type)
		ti->vkind = VK_FUNCTION;
	else if (tp == &PyCode_Type)
		ti->vkind = VK_CODE;
	else if (tp == &PyFrame_Type)
		ti->vkind = VK_FRAME;
	else
		ti->vkind = VK_OTHER;
	if (t_list || t_tuple || t_bytes || t_barr || ti->is_deque)
		ti->lkind = LK_SIZE;
	else if (t_dict)
		ti->lkind = LK_DICT;
	else if (t_set)
		ti->lkind = LK_SET;
	else if (t_str)
		ti->lkind = LK_STR;
	else
		ti->lkind = LK_NONE;
	ti->ckind = t_list ? CK_LIST : t_tuple ? CK_TUPLE : t_dict ? CK_DICT : t_set ? CK_SET
		: ti->is_deque ? CK_DEQUE : CK_NONE;
	ti->gc_maybe = !PyType_IS_GC(tp) ? 0 : tp->tp_is_gc ? 2 : 1;
	ti->is_odict = (uint8_t)PyType_IsSubtype(tp, &PyODict_Type);
	ti->is_gen = tp == &PyGen_Type || tp == &PyCoro_Type || tp == &PyAsyncGen_Type;

	if (ptrmap_put(w, &w->typemap, tp, (uint32_t)w->ntypes) < 0)
		return NULL;
	w->ntypes++;
	return ti;
}

/* ---- edges ---------------------------------------------------------------- */

/* Whether t is not gc-tracked, i.e. gets no record from the generation lists. */
static inline int needs_record(PyObject *t)
{
	return !(gl_is_gc(t) && gl_gc_tracked(t));
}

/* Looks at the oldest pending target: tracked objects get their record
 * from the generation lists; others are queued once (the seen-set). */
static inline void pend_one(walker *w)
{
	PyObject *t = w->pend[w->pend_head];
	w->pend_head = (w->pend_head + 1) & (PEND_SIZE - 1);
	w->npend--;
	if (!needs_record(t))
		return;
	int r = bitset_add(w, &w->seen, t);
	if (r <= 0)
		return;
	if (w->nstack == w->capstack) {
		size_t nc = w->capstack ? w->capstack * 2 : 4096;
		PyObject **ns = w_realloc(w, w->stack, w->capstack * sizeof *ns, nc * sizeof *ns);
		if (!ns)
			return;
		w->stack = ns;
		w->capstack = nc;
	}
	w->stack[w->nstack++] = t;
}

/*
 * Makes sure target t gets a record. Deciding that means reading t's header
 * and GC head, mostly a cache miss: so t is only prefetched here and looked
 * at PEND_SIZE targets later (pend_one), by when the misses of many targets
 * have overlapped. drain() looks at what is left.
 */
static inline void note_target(walker *w, PyObject *t)
{
	__builtin_prefetch((char *)t - sizeof(PyGC_Head));
	__builtin_prefetch(t);
	if (w->npend == PEND_SIZE)
		pend_one(w);
	w->pend[(w->pend_head + w->npend) & (PEND_SIZE - 1)] = t;
	w->npend++;
}

static inline void emit(walker *w, PyObject *dst, unsigned kind, int extra, uint64_t payload)
{
	gl_w_edge(w->wr, (uint64_t)(uintptr_t)dst, kind, extra, payload);
	note_target(w, dst);
}

static int visit_member(PyObject *o, void *arg)
{
	if (o)
		emit((walker *)arg, o, GL_EK_MEMBER, 0, 0);
	return 0;
}

static int visit_collect(PyObject *o, void *arg)
{
	walker *w = arg;
	if (!o)
		return 0;
	if (w->nrefs == w->caprefs) {
		size_t nc = w->caprefs ? w->caprefs * 2 : 256;
		PyObject **nr = w_realloc(w, w->refs, w->caprefs * sizeof *nr, nc * sizeof *nr);
		if (!nr)
			return 0;
		w->refs = nr;
		lab_t *nl = w_realloc(w, w->labs, w->caprefs * sizeof *nl, nc * sizeof *nl);
		if (!nl)
			return 0;
		w->labs = nl;
		w->caprefs = nc;
	}
	w->refs[w->nrefs++] = o;
	return 0;
}

static void cand(walker *w, PyObject *ptr, uint8_t kind, uint64_t payload, uint8_t extra)
{
	if (!ptr)
		return;
	if (w->ncands == w->capcands) {
		size_t nc = w->capcands ? w->capcands * 2 : 64;
		cand_t *n = w_realloc(w, w->cands, w->capcands * sizeof *n, nc * sizeof *n);
		if (!n)
			return;
		w->cands = n;
		w->capcands = nc;
	}
	cand_t *c = &w->cands[w->ncands++];
	c->ptr = ptr;
	c->kind = kind;
	c->payload = payload;
	c->extra = extra;
}

static void fcand(walker *w, PyObject *ptr, int field)
{
	cand(w, ptr, GL_EK_FIELD, w->fsid[field], 0);
}

/* Candidate names for the references of o (fields, slots, attributes). */
static void gather_candidates(walker *w, PyObject *o, typeinfo *ti)
{
	PyTypeObject *tp = Py_TYPE(o);
	gl_frame_view fv;
	w->ncands = 0;
	if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE)
		fcand(w, (PyObject *)tp, F_CLASS);
	for (uint32_t i = 0; i < ti->nmembers; i++) {
		member_t *m = &ti->members[i];
		cand(w, *(PyObject **)((char *)o + m->off), m->kind, m->sid, m->cfield);
	}
	fcand(w, gl_classic_dict(o), F_DICT);
	/* the owner's reference to its managed dict, which its traverse does not
	 * report while the inline values are valid (3.13): extra then */
	cand(w, gl_managed_dict(o), GL_EK_FIELD, w->fsid[F_DICT], 1);
	Py_ssize_t na = gl_inline_count(o);
	for (Py_ssize_t i = 0; i < na; i++) {
		PyObject *name, *val;
		gl_inline_item(o, i, &name, &val);
		if (val)
			cand(w, val, GL_EK_ATTR, name_sid(w, name), 0);
	}
	if (PyFunction_Check(o)) {
		PyFunctionObject *fn = (PyFunctionObject *)o;
		fcand(w, fn->func_code, F_CODE);
		fcand(w, fn->func_globals, F_GLOBALS);
		fcand(w, fn->func_defaults, F_DEFAULTS);
		fcand(w, fn->func_kwdefaults, F_KWDEFAULTS);
		fcand(w, fn->func_closure, F_CLOSURE);
		fcand(w, fn->func_doc, F_DOC);
		fcand(w, fn->func_name, F_NAME);
		fcand(w, fn->func_dict, F_DICT);
		fcand(w, fn->func_module, F_MODULE);
		fcand(w, fn->func_annotations, F_ANNOTATIONS);
		fcand(w, fn->func_qualname, F_QUALNAME);
#if GL_PY_AT_LEAST(3, 10)
		fcand(w, fn->func_builtins, F_BUILTINS);
#endif
#if GL_PY_AT_LEAST(3, 12)
		fcand(w, fn->func_typeparams, F_TYPEPARAMS);
#endif
	} else if (PyCell_Check(o)) {
		fcand(w, ((PyCellObject *)o)->ob_ref, F_CELL);
	} else if (PyMethod_Check(o)) {
		fcand(w, ((PyMethodObject *)o)->im_func, F_FUNC);
		fcand(w, ((PyMethodObject *)o)->im_self, F_SELF);
	} else if (PyCFunction_Check(o)) {
		fcand(w, ((PyCFunctionObject *)o)->m_self, F_SELF);
		fcand(w, ((PyCFunctionObject *)o)->m_module, F_MODULE);
	} else if (PyType_Check(o)) {
		PyTypeObject *t = (PyTypeObject *)o;
		fcand(w, t->tp_dict, F_DICT);
		fcand(w, t->tp_mro, F_MRO);
		fcand(w, t->tp_bases, F_BASES);
		fcand(w, (PyObject *)t->tp_base, F_BASE);
		if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) {
			PyHeapTypeObject *ht = (PyHeapTypeObject *)t;
			fcand(w, ht->ht_name, F_NAME);
			fcand(w, ht->ht_qualname, F_QUALNAME);
			fcand(w, ht->ht_slots, F_SLOTS);
#if GL_PY_AT_LEAST(3, 9)
			/* the module of a C type made by PyType_FromModuleAndSpec
			 * (PyType_GetModule); __module__ is a str in its dict */
			fcand(w, ht->ht_module, F_HTMODULE);
#endif
		}
	} else if (PyFrame_Check(o)) {
		if (gl_frame_view_get(o, &fv) == 0) {
			uint8_t ex = (uint8_t)(fv.executing ? 1 : 0);
			cand(w, fv.back, GL_EK_FIELD, w->fsid[F_FBACK], 0);
			cand(w, ((PyFrameObject *)o)->f_trace, GL_EK_FIELD, w->fsid[F_FTRACE], 0);
			cand(w, fv.code, GL_EK_FIELD, w->fsid[F_FCODE], ex);
			cand(w, fv.globals, GL_EK_FIELD, w->fsid[F_FGLOBALS], ex);
			cand(w, fv.builtins, GL_EK_FIELD, w->fsid[F_FBUILTINS], ex);
			cand(w, fv.locals, GL_EK_FIELD, w->fsid[F_FLOCALS], ex);
			cand(w, fv.func, GL_EK_FIELD, w->fsid[F_FFUNC], ex);
			for (Py_ssize_t i = 0; i < fv.nlocals; i++) {
				PyObject *v = fv.localsplus[i];
				if (v)
					cand(w, v, GL_EK_LOCAL, name_sid(w, gl_frame_local_name(&fv, i)), ex);
			}
		}
	} else if (ti->is_gen) {
		/* generators, coroutines, async generators: their names, and on
		 * 3.11+ the frame embedded in them (its locals by name); 3.8-3.10
		 * have a frame object (the gi_frame member) */
		PyGenObject *g = (PyGenObject *)o;
		const char *pre = gl_gen_prefix(o);
		/* its frame field, then its code field (the enum's order) */
		int ff = pre[0] == 'c' ? F_CRFRAME : pre[0] == 'a' ? F_AGFRAME : F_GIFRAME;
		fcand(w, g->gi_name, F_NAME);
		fcand(w, g->gi_qualname, F_QUALNAME);
#if GL_PY_AT_LEAST(3, 11) && !GL_PY_AT_LEAST(3, 12)
		fcand(w, (PyObject *)g->gi_code, ff + 1);
#endif
		if (gl_gen_frame_view(o, &fv) == 0) {
			fcand(w, fv.frame_obj, ff);
			fcand(w, fv.code, ff + 1); /* gi_code, cr_code, ag_code */
			fcand(w, fv.func, F_FFUNC);
			fcand(w, fv.locals, F_FLOCALS);
			for (Py_ssize_t i = 0; i < fv.nlocals; i++) {
				PyObject *v = fv.localsplus[i];
				if (v)
					cand(w, v, GL_EK_LOCAL, name_sid(w, gl_frame_local_name(&fv, i)), 0);
			}
		}
	} else if (PyExceptionInstance_Check(o)) {
		/* BaseException's fields (getsets, not members); a subclass's own
		 * fields are members (StopIteration.value, OSError.filename, ...) */
		PyBaseExceptionObject *e = (PyBaseExceptionObject *)o;
		fcand(w, e->args, F_ARGS);
		fcand(w, e->traceback, F_TRACEBACK);
		fcand(w, e->context, F_CONTEXT);
		fcand(w, e->cause, F_CAUSE);
#if GL_PY_AT_LEAST(3, 11)
		fcand(w, e->notes, F_NOTES);
#endif
	} else if (PyTraceBack_Check(o)) {
		/* tb_frame is a member; tb_next a getset */
		fcand(w, (PyObject *)((PyTracebackObject *)o)->tb_next, F_TBNEXT);
	}
}

/* ---- an index of the unclaimed references of one object ---------------- */

#define RI_NONE ((size_t)-1)

/* Indexes the references in refs[0..n) that no label claimed yet, so that
 * refidx_take() finds one by address in constant time, whatever the
 * object's size (a window around a cursor does not do: an OrderedDict's
 * traverse reports every key before any value). 0, or -1 out of memory
 * (the walk is failed). */
static int refidx_build(walker *w)
{
	size_t n = w->nrefs;
	if (n > SIZE_MAX / 4 / sizeof(uintptr_t)) {
		w_fail(w, "an object with too many references (%zu)", n);
		return -1;
	}
	size_t cap = 16;
	while (cap < 2 * n)
		cap <<= 1;
	if (cap > w->ri_cap) {
		uintptr_t *nk = w_realloc(w, w->ri_key, w->ri_cap * sizeof *nk, cap * sizeof *nk);
		if (!nk)
			return -1;
		w->ri_key = nk;
		size_t *nh = w_realloc(w, w->ri_head, w->ri_cap * sizeof *nh, cap * sizeof *nh);
		if (!nh)
			return -1;
		w->ri_head = nh;
		w->ri_cap = cap;
	}
	if (n > w->ri_capnext) {
		size_t *nn = w_realloc(w, w->ri_next, w->ri_capnext * sizeof *nn, n * sizeof *nn);
		if (!nn)
			return -1;
		w->ri_next = nn;
		w->ri_capnext = n;
	}
	w->ri_mask = cap - 1;
	memset(w->ri_key, 0, cap * sizeof *w->ri_key);
	/* backwards, so that each chain is in traverse order */
	for (size_t j = n; j-- > 0;) {
		if (w->labs[j].kind != LAB_NONE)
			continue;
		uintptr_t p = (uintptr_t)w->refs[j];
		size_t h = hash_ptr(p) & w->ri_mask;
		while (w->ri_key[h] && w->ri_key[h] != p)
			h = (h + 1) & w->ri_mask;
		w->ri_next[j] = w->ri_key[h] ? w->ri_head[h] : RI_NONE;
		w->ri_key[h] = p;
		w->ri_head[h] = j;
	}
	return 0;
}

/* The position of the first reference to p that no label claimed yet (the
 * caller claims it), or RI_NONE. */
static size_t refidx_take(walker *w, PyObject *p)
{
	uintptr_t key = (uintptr_t)p;
	size_t h = hash_ptr(key) & w->ri_mask;
	while (w->ri_key[h] && w->ri_key[h] != key)
		h = (h + 1) & w->ri_mask;
	if (!w->ri_key[h])
		return RI_NONE;
	size_t j = w->ri_head[h];
	while (j != RI_NONE && w->labs[j].kind != LAB_NONE)
		j = w->ri_next[j];
	w->ri_head[h] = j == RI_NONE ? RI_NONE : w->ri_next[j];
	return j;
}

#define MATCH_SCAN 1024 /* up to this many references, a plain scan finds a candidate */

/* Assigns candidate labels to the collected references (each candidate
 * claims the first unclaimed reference with its address); candidates that
 * traverse did not report and that are true references (extra) are
 * emitted as extra edges. With `indexed`, through the index (refidx). */
static void match_candidates(walker *w, int indexed)
{
	size_t n = w->nrefs;
	for (size_t c = 0; c < w->ncands; c++) {
		cand_t *cd = &w->cands[c];
		size_t found = RI_NONE;
		if (indexed) {
			found = refidx_take(w, cd->ptr);
		} else {
			for (size_t j = 0; j < n; j++)
				if (w->refs[j] == cd->ptr && w->labs[j].kind == LAB_NONE) {
					found = j;
					break;
				}
		}
		if (found != RI_NONE) {
			w->labs[found].kind = cd->kind;
			w->labs[found].payload = cd->payload;
		} else if (cd->extra) {
			emit(w, cd->ptr, cd->kind, 1, cd->payload);
		}
	}
}

/* Index of ptr among items near *cursor, or -1. */
static Py_ssize_t match_item(PyObject **items, Py_ssize_t m, PyObject *ptr, Py_ssize_t *cursor)
{
	Py_ssize_t c = *cursor;
	Py_ssize_t tries[3] = {c, c - 1, c + 1};
	for (int k = 0; k < 3; k++) {
		Py_ssize_t i = tries[k];
		if (i >= 0 && i < m && items[i] == ptr) {
			*cursor = (k == 2) ? i + 1 : i - 1;
			return i;
		}
	}
	for (Py_ssize_t d = 2; d <= 64; d++) {
		if (c - d >= 0 && c - d < m && items[c - d] == ptr) {
			*cursor = c - d - 1;
			return c - d;
		}
		if (c + d >= 0 && c + d < m && items[c + d] == ptr) {
			*cursor = c + d + 1;
			return c + d;
		}
	}
	return -1;
}

/*
 * A functools.lru_cache wrapper (compat.h): its traverse reports, per link
 * of its list, the cached key and result (and the link's type, 3.10+),
 * between its own type (3.10+) and its fields. Labels them positionally:
 * KEY then VALUE, so that a cached result is named by its key, as in a
 * dict. The links are never followed (they are not reported): the shape is
 * checked from the counts, the fields at the end and (3.10+) the link type
 * at every third place; anything else leaves them to the generic labels.
 */
static void lru_label(walker *w, PyObject *o)
{
	size_t n = w->nrefs, s = 0, stride = 2;
	PyObject **r = w->refs;
	PyObject *ltype = NULL;
	if (GL_LRU_LINK_TYPE_OFF) {
		if (n == 0 || r[0] != (PyObject *)Py_TYPE(o))
			return;
		s = 1;
		stride = 3;
		ltype = *(PyObject **)((char *)o + GL_LRU_LINK_TYPE_OFF);
	}
	/* the fields reported after the links */
	PyObject *tail[16];
	size_t nt = 0;
	const gl_cfield *cf = gl_ctype_fields(Py_TYPE(o));
	for (; cf && cf->name && nt < 15; cf++) {
		PyObject *v = *(PyObject **)((char *)o + cf->off);
		if (v)
			tail[nt++] = v;
	}
	PyObject *d = gl_classic_dict(o);
	if (d)
		tail[nt++] = d;
	if (n < s + nt || (n - s - nt) % stride)
		return;
	size_t m = (n - s - nt) / stride;
	/* the tail, as a multiset */
	for (size_t k = 0; k < nt; k++) {
		size_t hits = 0, want = 0;
		for (size_t j = s + stride * m; j < n; j++)
			hits += r[j] == tail[k];
		for (size_t q = 0; q < nt; q++)
			want += tail[q] == tail[k];
		if (hits != want)
			return;
	}
	if (ltype)
		for (size_t i = 0; i < m; i++)
			if (r[s + stride * i + 2] != ltype)
				return;
	for (size_t i = 0; i < m; i++) {
		size_t j = s + stride * i;
		w->labs[j].kind = GL_EK_KEY;
		w->labs[j + 1].kind = GL_EK_VALUE;
		if (ltype) {
			w->labs[j + 2].kind = GL_EK_FIELD;
			w->labs[j + 2].payload = w->fsid[F_LRULINKTYPE];
		}
	}
}

static void generic_edges(walker *w, PyObject *o, typeinfo *ti)
{
	w->nrefs = 0;
	Py_TYPE(o)->tp_traverse(o, visit_collect, w);
	if (w->failed)
		return;
	size_t n = w->nrefs;
	for (size_t j = 0; j < n; j++) {
		w->labs[j].kind = LAB_NONE;
		w->labs[j].extra = 0;
		w->labs[j].done = 0;
		w->labs[j].payload = 0;
	}
	gather_candidates(w, o, ti);
	if (ti->is_lru)
		lru_label(w, o);
	/* large objects and dict subclasses are matched through an index */
	int indexed = n > MATCH_SCAN || ti->ckind == CK_DICT;
	if (indexed && refidx_build(w) < 0)
		return;
	match_candidates(w, indexed);

	/* the container part */
	if (ti->ckind == CK_LIST || ti->ckind == CK_TUPLE) {
		PyObject **items = ti->ckind == CK_LIST ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
		Py_ssize_t m = Py_SIZE(o);
		Py_ssize_t cursor = m - 1; /* list and tuple traverse from the end */
		for (size_t j = 0; j < n; j++) {
			if (w->labs[j].kind != LAB_NONE)
				continue;
			Py_ssize_t i = match_item(items, m, w->refs[j], &cursor);
			if (i >= 0) {
				w->labs[j].kind = GL_EK_INDEX;
				w->labs[j].payload = (uint64_t)i;
			}
		}
	} else if (ti->ckind == CK_DICT) {
		/* KEY then VALUE per entry, as for a dict. Its traverse reports
		 * every value, the keys only with a general keys table (else the
		 * dict's reference to a key is extra); an OrderedDict's also
		 * reports each key once more, from its linked list, which holds
		 * it too: that is a second KEY edge */
		int kv = gl_dict_keys_visited(o);
		Py_ssize_t pos = 0;
		PyObject *k, *v;
		while (PyDict_Next(o, &pos, &k, &v)) {
			size_t jv = refidx_take(w, v);
			if (jv == RI_NONE)
				continue; /* not reported: not labelled either */
			w->labs[jv].kind = GL_EK_VALUE;
			w->labs[jv].done = 1;
			if (ti->is_odict) {
				size_t jn = refidx_take(w, k);
				if (jn != RI_NONE) {
					w->labs[jn].kind = GL_EK_KEY;
					w->labs[jn].done = 1;
					emit(w, k, GL_EK_KEY, 0, 0);
				}
			}
			/* the dict's own reference to the key: extra unless reported
			 * (and always emitted: a VALUE edge follows its KEY) */
			size_t jk = kv ? refidx_take(w, k) : RI_NONE;
			if (jk != RI_NONE) {
				w->labs[jk].kind = GL_EK_KEY;
				w->labs[jk].done = 1;
			}
			emit(w, k, GL_EK_KEY, jk == RI_NONE, 0);
			emit(w, v, GL_EK_VALUE, 0, 0);
		}
	} else if (ti->ckind == CK_SET) {
		for (size_t j = 0; j < n; j++)
			if (w->labs[j].kind == LAB_NONE)
				w->labs[j].kind = GL_EK_MEMBER;
	} else if (ti->ckind == CK_DEQUE) {
		uint64_t idx = 0;
		for (size_t j = 0; j < n; j++)
			if (w->labs[j].kind == LAB_NONE) {
				w->labs[j].kind = GL_EK_INDEX;
				w->labs[j].payload = idx++;
			}
	} else if (ti->vkind == VK_MODULE) {
		/* a module reports its __dict__, then what its C state holds
		 * (PyModuleDef.m_traverse): types, functions, caches of an
		 * extension module */
		for (size_t j = 0; j < n; j++)
			if (w->labs[j].kind == LAB_NONE) {
				w->labs[j].kind = GL_EK_FIELD;
				w->labs[j].payload = w->fsid[F_MDSTATE];
			}
	}
	for (size_t j = 0; j < n; j++) {
		lab_t *l = &w->labs[j];
		if (l->done)
			continue;
		if (l->kind == LAB_NONE)
			emit(w, w->refs[j], GL_EK_NONE, 0, 0);
		else
			emit(w, w->refs[j], l->kind, 0, l->payload);
	}
}

/* The interned strings' table (a root, compat.h): KEY then VALUE for each
 * string it keeps alive; an entry whose references are not counted (a
 * mortal interned string, 3.13) is left out, since the table does not hold
 * it (so this dict's VALUE edges are a subset of what its traverse
 * reports). */
static void interned_edges(walker *w, PyObject *o)
{
	Py_ssize_t pos = 0;
	PyObject *k, *v;
	while (PyDict_Next(o, &pos, &k, &v)) {
		if (!gl_interned_kept(k))
			continue;
		emit(w, k, GL_EK_KEY, 1, 0);
		emit(w, v, GL_EK_VALUE, 0, 0);
	}
}

/* An exact dict: KEY then VALUE per entry, in order. Its traverse reports
 * the keys only for a general keys table (compat.h); otherwise the keys are
 * extra edges. */
static void dict_edges(walker *w, PyObject *o)
{
	if (((PyDictObject *)o)->ma_used == 0)
		return;
	if (o == w->interned) {
		interned_edges(w, o);
		return;
	}
	/* A 3.13 __dict__ over its owner's inline values: its traverse reports
	 * nothing; the values are its owner's references (the owner's ATTR
	 * edges, which its traverse reports) and the keys its class's shared
	 * keys'. Both are extra edges here, so that the keys are in the
	 * snapshot and the dict's values are named by them; an extra VALUE edge
	 * is this view of the owner's reference, not another reference. */
	int emb = gl_dict_values_embedded(o);
	int kextra = emb || !gl_dict_keys_visited(o);
	Py_ssize_t pos = 0;
	PyObject *k, *v;
	while (PyDict_Next(o, &pos, &k, &v)) {
		emit(w, k, GL_EK_KEY, kextra, 0);
		emit(w, v, GL_EK_VALUE, emb, 0);
	}
}

/* An object whose type has no traverse (not a GC type): nothing reports
 * its references, so its members (T_OBJECT, each a strong reference) and
 * known C fields are extra edges, for the types whose layouts compat.h
 * knows (trusting a member of any C type to be owned and alive would be a
 * guess: those get no edges). Code objects are the main case, with what
 * they hold beyond their members (compat.h: co_localsplusnames, ...):
 * constants (nested code objects among them), names, bytecode, line and
 * exception tables; then re.Pattern (3.8, 3.9) and _abc_data (3.8). */
static void member_edges(walker *w, PyObject *o, typeinfo *ti)
{
	for (uint32_t i = 0; i < ti->nmembers; i++) {
		PyObject *v = *(PyObject **)((char *)o + ti->members[i].off);
		if (v)
			emit(w, v, ti->members[i].kind, 1, ti->members[i].sid);
	}
	if (ti->vkind == VK_CODE) {
		PyObject *ex[GL_CO_N];
		gl_code_extra_refs((PyCodeObject *)o, ex);
		for (int i = 0; i < GL_CO_N; i++)
			if (ex[i])
				emit(w, ex[i], GL_EK_FIELD, 1, w->csid[i]);
	}
}

static void object_edges(walker *w, PyObject *o, typeinfo *ti, int isgc)
{
	PyTypeObject *tp = Py_TYPE(o);
	if (ti->gc_maybe == 0) {
		if (ti->vkind == VK_CODE || ti->has_cfields)
			member_edges(w, o, ti);
		return;
	}
	if (!isgc || !tp->tp_traverse)
		return;
	switch (ti->shape) {
	case SH_LIST:
	case SH_TUPLE: {
		PyObject **items = ti->shape == SH_LIST ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
		Py_ssize_t m = Py_SIZE(o);
		for (Py_ssize_t i = 0; i < m; i++)
			if (items[i])
				emit(w, items[i], GL_EK_INDEX, 0, (uint64_t)i);
		break;
	}
	case SH_DICT:
		dict_edges(w, o);
		break;
	case SH_SET:
		tp->tp_traverse(o, visit_member, w);
		break;
	default:
		generic_edges(w, o, ti);
		break;
	}
}

/* ---- object records -------------------------------------------------------- */

/* Decimal text of an int that fits in 64 bits (its preview); *ok 0 if it
 * does not fit. Reads the digits only (PyLong_AsLongLongAndOverflow on an
 * int never calls Python code). */
static size_t int_text(PyObject *o, char *out, int *ok)
{
	int overflow = 0;
	long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
	if (overflow || (v == -1 && PyErr_Occurred())) {
		*ok = 0;
		return 0;
	}
	char tmp[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	size_t len = 0;
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	*ok = 1;
	return len;
}

static const double pow10_tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * The shortest decimal digits that read back as d (finite, > 0), the way
 * repr() chooses them: dig gets the digits (no leading or trailing zeros,
 * at most 17), *decpt the position of the decimal point (d = 0.DIGITS x
 * 10^decpt); returns the number of digits. Locale-independent on the fast
 * path; no allocation.
 */
static int float_digits(double d, char *dig, int *decpt)
{
	/* Fast path: d is m / 10^k with an integer m < 2^50 and k <= 22. Both
	 * are exact doubles, so the division is correctly rounded, as strtod
	 * rounds "m e-k": the text reads back as d exactly when m / 10^k == d.
	 * The spacing 10^-k of the candidates is then more than 4 ulps of d, so
	 * at most one m per k reads back, and the first k that has one gives
	 * the fewest digits, which is what repr() prints. */
	if (d < 0x1p50) {
		for (int k = 0; k <= 22; k++) {
			double s = d * pow10_tab[k];
			if (s >= 0x1p50)
				break;
			double m = floor(s + 0.5);
			if (m == 0 || m / pow10_tab[k] != d)
				continue;
			uint64_t u = (uint64_t)m;
			char tmp[24];
			int n = 0;
			while (u) {
				tmp[n++] = (char)('0' + u % 10);
				u /= 10;
			}
			int z = 0;
			while (z < n - 1 && tmp[z] == '0')
				z++;
			for (int i = 0; i < n - z; i++)
				dig[i] = tmp[n - 1 - i];
			*decpt = n - k;
			return n - z;
		}
	}
	/* General case: 15 significant digits read back whenever any shorter
	 * text does (DBL_DIG), then 16, and 17 always do. Subnormals have
	 * fewer significant bits: every length is tried for them. */
	char buf[48];
	for (int p = d < DBL_MIN ? 0 : 14; p <= 16; p++) {
		snprintf(buf, sizeof buf, "%.*e", p, d);
		if (p == 16 || strtod(buf, NULL) == d)
			break;
	}
	int n = 0;
	const char *c = buf;
	for (; *c && *c != 'e' && *c != 'E'; c++)
		if (*c >= '0' && *c <= '9' && n < 17)
			dig[n++] = *c;
	int exp10 = *c ? atoi(c + 1) : 0;
	if (n == 0)
		dig[n++] = '0';
	while (n > 1 && dig[n - 1] == '0')
		n--;
	*decpt = exp10 + 1;
	return n;
}

/* repr() of a float: the shortest text that reads back, in fixed notation
 * for 1e-4 <= |d| < 1e16 (with ".0" when it has no fraction), otherwise
 * with an exponent. cap must be at least 32. */
static size_t float_text(double d, char *out, size_t cap)
{
	if (cap < 32)
		return 0;
	if (d != d)
		return (size_t)snprintf(out, cap, "nan");
	if (isinf(d))
		return (size_t)snprintf(out, cap, d > 0 ? "inf" : "-inf");
	size_t n = 0;
	if (signbit(d))
		out[n++] = '-';
	d = fabs(d);
	if (d == 0) {
		memcpy(out + n, "0.0", 3);
		return n + 3;
	}
	char dig[24] = {'0'};
	int decpt;
	int nd = float_digits(d, dig, &decpt);
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			out[n++] = '0';
			out[n++] = '.';
			for (int i = 0; i < -decpt; i++)
				out[n++] = '0';
			memcpy(out + n, dig, (size_t)nd);
			n += (size_t)nd;
		} else if (decpt >= nd) {
			memcpy(out + n, dig, (size_t)nd);
			n += (size_t)nd;
			for (int i = nd; i < decpt; i++)
				out[n++] = '0';
			out[n++] = '.';
			out[n++] = '0';
		} else {
			memcpy(out + n, dig, (size_t)decpt);
			n += (size_t)decpt;
			out[n++] = '.';
			memcpy(out + n, dig + decpt, (size_t)(nd - decpt));
			n += (size_t)(nd - decpt);
		}
	} else {
		out[n++] = dig[0];
		if (nd > 1) {
			out[n++] = '.';
			memcpy(out + n, dig + 1, (size_t)(nd - 1));
			n += (size_t)(nd - 1);
		}
		n += (size_t)snprintf(out + n, cap - n, "e%+03d", decpt - 1);
	}
	return n;
}

static void record(walker *w, PyObject *o, int tracked)
{
	PyTypeObject *tp = Py_TYPE(o);
	typeinfo *ti = type_info(w, tp);
	if (!ti)
		return;
	uint32_t flags = ti->flags;
	int isgc = ti->gc_maybe == 1 || (ti->gc_maybe == 2 && tp->tp_is_gc(o));
	if (tracked)
		flags |= GL_OF_TRACKED;
	if (isgc && gl_gc_finalized(o))
		flags |= GL_OF_FINALIZED;
	if (w->garbage.n && ptrset_has(&w->garbage, o))
		flags |= GL_OF_IN_GARBAGE;
	if (gl_is_immortal(o))
		flags |= GL_OF_IMMORTAL;

	/* size */
	size_t size;
	switch (ti->size_mode) {
	case SZ_LIST:
		size = (size_t)tp->tp_basicsize + (size_t)((PyListObject *)o)->allocated * sizeof(void *);
		break;
	case SZ_DICT:
		size = gl_dict_sizeof(o);
		break;
	case SZ_SET: {
		PySetObject *so = (PySetObject *)o;
		size = (size_t)tp->tp_basicsize;
		if (so->table != so->smalltable)
			size += (size_t)(so->mask + 1) * sizeof(setentry);
		break;
	}
	case SZ_STR:
		size = gl_str_sizeof(o);
		break;
	case SZ_BYTEARRAY:
		size = (size_t)tp->tp_basicsize + (size_t)((PyByteArrayObject *)o)->ob_alloc;
		break;
	case SZ_INT:
		size = gl_long_sizeof(o);
		break;
	case SZ_TYPE:
		size = gl_type_sizeof(o);
		break;
	case SZ_FRAME:
		size = gl_frame_sizeof(o);
		break;
	case SZ_CODE:
		size = gl_code_sizeof(o);
		break;
	case SZ_ODICT:
		size = gl_odict_sizeof(o);
		break;
	case SZ_DEQUE:
		size = gl_deque_sizeof(o);
		break;
#if GL_PY_AT_LEAST(3, 11)
	case SZ_GEN:
		size = gl_gen_sizeof(o);
		break;
#endif
	case SZ_APPROX:
		flags |= GL_OF_SIZE_APPROX;
		size = gl_default_sizeof(o);
		break;
	case SZ_ARRAY:
		size = gl_array_sizeof(o);
		break;
	case SZ_MMAP: {
		size_t mapped = gl_mmap_mapped(o);
		size = gl_default_sizeof(o) + mapped;
		w->mapped += mapped;
		break;
	}
	case SZ_BYTES:
	default:
		size = gl_default_sizeof(o);
		break;
	}
	size += gl_getsizeof_extra_gc(o, isgc);

	/* length */
	uint64_t length = 0;
	switch (ti->lkind) {
	case LK_SIZE:
		length = (uint64_t)Py_SIZE(o);
		break;
	case LK_DICT:
		length = (uint64_t)((PyDictObject *)o)->ma_used;
		break;
	case LK_SET:
		length = (uint64_t)((PySetObject *)o)->used;
		break;
	case LK_STR:
		if (gl_str_ready(o))
			length = (uint64_t)PyUnicode_GET_LENGTH(o);
		break;
	}

	/* preview */
	char pv[GL_PREVIEW_MAX + 8];
	size_t pvlen = 0;
	int has_pv = 0, trunc = 0;
	PyObject *q = NULL; /* a name to preview */
	/* values=False withholds values, but not names: an interned str that is
	 * an identifier (attribute, global, class and function names, keys
	 * that are names; identifier-like literals of the program's own code
	 * are interned too) */
	if (ti->is_value && !w->values && !(ti->vkind == VK_STR && gl_str_is_name(o))) {
		flags |= GL_OF_REDACTED;
	} else {
		switch (ti->vkind) {
		case VK_STR:
			pvlen = str_utf8(o, pv, GL_PREVIEW_MAX, &trunc);
			has_pv = gl_str_ready(o);
			break;
		case VK_BYTES: {
			size_t n = (size_t)PyBytes_GET_SIZE(o);
			trunc = n > GL_PREVIEW_MAX;
			pvlen = trunc ? GL_PREVIEW_MAX : n;
			memcpy(pv, PyBytes_AS_STRING(o), pvlen);
			has_pv = 1;
			break;
		}
		case VK_BYTEARRAY: {
			size_t n = (size_t)Py_SIZE(o);
			trunc = n > GL_PREVIEW_MAX;
			pvlen = trunc ? GL_PREVIEW_MAX : n;
			if (pvlen)
				memcpy(pv, ((PyByteArrayObject *)o)->ob_start, pvlen);
			has_pv = 1;
			break;
		}
		case VK_BOOL:
			pvlen = o == Py_True ? 4 : 5;
			memcpy(pv, o == Py_True ? "True" : "False", pvlen);
			has_pv = 1;
			break;
		case VK_INT:
			pvlen = int_text(o, pv, &has_pv);
			break;
		case VK_FLOAT:
			pvlen = float_text(PyFloat_AS_DOUBLE(o), pv, sizeof pv);
			has_pv = 1;
			break;
		case VK_MODULE: {
			PyObject *name = dict_find(PyModule_GetDict(o), "__name__");
			if (name && PyUnicode_Check(name))
				q = name;
			break;
		}
		case VK_TYPE: {
			PyTypeObject *t = (PyTypeObject *)o;
			if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) {
				q = ((PyHeapTypeObject *)t)->ht_qualname;
			} else {
				const char *sn = strrchr(t->tp_name, '.');
				sn = sn ? sn + 1 : t->tp_name;
				size_t n = strlen(sn);
				trunc = n > GL_PREVIEW_MAX;
				pvlen = trunc ? GL_PREVIEW_MAX : n;
				memcpy(pv, sn, pvlen);
				has_pv = 1;
			}
			break;
		}
		case VK_FUNCTION:
			q = ((PyFunctionObject *)o)->func_qualname;
			break;
		case VK_CODE:
			q = gl_code_qualname((PyCodeObject *)o);
			break;
		case VK_FRAME: {
			gl_frame_view fv;
			if (gl_frame_view_get(o, &fv) == 0 && fv.code && PyCode_Check(fv.code))
				q = gl_code_qualname((PyCodeObject *)fv.code);
			break;
		}
		default:
			break;
		}
		if (q && PyUnicode_Check(q)) {
			pvlen = str_utf8(q, pv, GL_PREVIEW_MAX, &trunc);
			has_pv = 1;
		}
	}
	if (has_pv) {
		flags |= GL_OF_PREVIEW;
		if (trunc)
			flags |= GL_OF_PREVIEW_TRUNC;
	}

	uint64_t refcnt = (uint64_t)Py_REFCNT(o);
	if ((flags & GL_OF_FRAME) && w->nheld)
		refcnt -= (uint64_t)held_count(w, o);

	if (w->tm_on) {
		if (w->tm_n == w->tm_cap) {
			size_t nc = w->tm_cap ? w->tm_cap * 2 : 4096;
			PyObject **n = w_realloc(w, w->tm_objs, w->tm_cap * sizeof *n, nc * sizeof *n);
			if (!n)
				return;
			w->tm_objs = n;
			w->tm_cap = nc;
		}
		w->tm_objs[w->tm_n++] = o;
	}
	gl_w_begin_object(w->wr, (uint64_t)(uintptr_t)o, ti->name_sid, flags, size, refcnt, length, pv, pvlen);
	object_edges(w, o, ti, isgc);
	gl_w_end_object(w->wr);

	w->bytes += size;
	if (tracked)
		w->n_tracked++;
	else
		w->n_untracked++;
}

/* Records the queued untracked objects (whose edges queue more). With
 * `all`, also looks at every pending target, until nothing is left. */
static void drain(walker *w, int all)
{
	while (!w->failed && !gl_w_failed(w->wr)) {
		if (w->nstack) {
			PyObject *o = w->stack[--w->nstack];
			record(w, o, 0);
		} else if (all && w->npend) {
			pend_one(w);
		} else {
			break;
		}
	}
}

static void walker_free(walker *w)
{
	bitset_free(&w->seen);
	free(w->garbage.slots);
	free(w->stack);
	free(w->refs);
	free(w->labs);
	free(w->cands);
	free(w->ri_key);
	free(w->ri_head);
	free(w->ri_next);
	for (size_t i = 0; i < w->ntypes; i++)
		free(w->types[i].members);
	free(w->types);
	free(w->typemap.keys);
	free(w->typemap.vals);
	free(w->namemap.keys);
	free(w->namemap.vals);
}

/* ---- before the walk --------------------------------------------------- */

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (PyObject *const *)a, y = (uintptr_t) * (PyObject *const *)b;
	return x < y ? -1 : x > y;
}

/* Captures the __sizeof__ descriptors of the builtin types (pre-walk). */
static void capture_sizeof(walker *w)
{
	struct {
		PyTypeObject *tp;
		int mode;
	} tab[] = {
		{&PyBaseObject_Type, SZ_DEFAULT}, {&PyList_Type, SZ_LIST}, {&PyDict_Type, SZ_DICT},
		{&PySet_Type, SZ_SET}, {&PyUnicode_Type, SZ_STR}, {&PyBytes_Type, SZ_BYTES},
		{&PyByteArray_Type, SZ_BYTEARRAY}, {&PyLong_Type, SZ_INT}, {&PyFrozenSet_Type, SZ_SET},
		{&PyTuple_Type, SZ_DEFAULT}, {&PyFloat_Type, SZ_DEFAULT}, {&PyType_Type, SZ_TYPE},
	};
	w->n_sz = 0;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		PyObject *d = dict_find(gl_type_dict(tab[i].tp), "__sizeof__");
		if (d && w->n_sz < 16) {
			w->sz_desc[w->n_sz] = d;
			w->sz_mode[w->n_sz++] = (uint8_t)tab[i].mode;
		}
	}
	/* OrderedDict and deque, whose layouts compat.h re-declares (the
	 * OrderedDict's is checked against its type) */
	PyObject *od = gl_odict_layout_ok() ? dict_find(gl_type_dict(&PyODict_Type), "__sizeof__") : NULL;
	if (od && w->n_sz < 16) {
		w->sz_desc[w->n_sz] = od;
		w->sz_mode[w->n_sz++] = SZ_ODICT;
	}
	PyObject *dq = w->deque_type ? dict_find(gl_type_dict(w->deque_type), "__sizeof__") : NULL;
	if (dq && w->n_sz < 16) {
		w->sz_desc[w->n_sz] = dq;
		w->sz_mode[w->n_sz++] = SZ_DEQUE;
	}
}


/* ======================================================================== */
/* walk.h                                                                   */
/* ======================================================================== */

gl_walker *gl_walk_new(int values, PyObject *const *held, size_t nheld, PyObject *interned)
{
	walker *w = calloc(1, sizeof *w);
	if (!w) {
		PyErr_NoMemory();
		return NULL;
	}
	w->values = values;
	w->interned = interned;
	PyObject *modules = PySys_GetObject("modules");
	PyObject *coll = (modules && PyDict_Check(modules)) ? PyDict_GetItemString(modules, "_collections") : NULL;
	PyObject *dq = coll ? PyObject_GetAttrString(coll, "deque") : NULL;
	if (!dq)
		PyErr_Clear();
	if (dq && PyType_Check(dq))
		w->deque_type = (PyTypeObject *)dq; /* kept alive by the module */
	Py_XDECREF(dq);
	capture_sizeof(w);
	/* gc.garbage items */
	PyObject *gc = PyImport_ImportModule("gc");
	PyObject *gb = gc ? PyObject_GetAttrString(gc, "garbage") : NULL;
	PyErr_Clear();
	if (gb && PyList_Check(gb))
		for (Py_ssize_t i = 0; i < PyList_GET_SIZE(gb); i++)
			ptrset_add(w, &w->garbage, PyList_GET_ITEM(gb, i));
	Py_XDECREF(gb);
	Py_XDECREF(gc);
	if (nheld) {
		/* a sorted copy of the held frames, to correct their refcounts */
		w->held = malloc(nheld * sizeof *w->held);
		if (w->held) {
			memcpy(w->held, held, nheld * sizeof *w->held);
			qsort(w->held, nheld, sizeof *w->held, cmp_ptr);
			w->nheld = nheld;
		}
	}
	return w;
}

int gl_walk_run(gl_walker *w, gl_writer *wr, const gl_gc_lists *lists, PyObject *const *held, size_t nheld,
		gl_walk_stats *st, char *err, size_t errlen)
{
	w->wr = wr;
	for (int i = 0; i < F_N_; i++)
		w->fsid[i] = intern_c(w, field_names[i]);
	for (int i = 0; i < GL_CO_N; i++)
		w->csid[i] = intern_c(w, gl_code_extra_names[i]);
	double t0 = now_mono();
	for (int g = 0; g < lists->n && !w->failed && !gl_w_failed(w->wr); g++) {
		PyGC_Head *head = lists->heads[g];
		PyGC_Head *next;
		for (PyGC_Head *gh = gl_gc_next(head); gh != head; gh = next) {
			next = gl_gc_next(gh);
			__builtin_prefetch(next); /* overlaps the next object's miss with this one's work */
			record(w, gl_gc_object(gh), 1);
			drain(w, 0);
			if (w->failed || gl_w_failed(w->wr))
				break;
		}
	}
	drain(w, 1);
	for (size_t i = 0; i < nheld && !w->failed; i++) {
		note_target(w, held[i]);
		drain(w, 1);
	}
	/* the interned strings' table, a named root of the header: nothing in
	 * the heap references it */
	if (w->interned && !w->failed) {
		note_target(w, w->interned);
		drain(w, 1);
	}
	st->seconds = now_mono() - t0;
	st->tracked = w->n_tracked;
	st->untracked = w->n_untracked;
	st->bytes = w->bytes;
	st->mapped = w->mapped;
	st->mem_peak = w->mem_peak;
	w->wr = NULL;
	if (w->failed || gl_w_failed(wr)) {
		snprintf(err, errlen, "%s", w->failed ? w->err : gl_w_error(wr));
		return -1;
	}
	return 0;
}

void gl_walk_free(gl_walker *w)
{
	if (!w)
		return;
	free(w->tm_objs);
	free(w->site_section);
	free(w->held);
	walker_free(w);
	free(w);
}

/* ======================================================================== */
/* allocation sites (walk.h: gl_walk_sites)                                 */
/* ======================================================================== */

void gl_walk_track_sites(gl_walker *w)
{
	w->tm_on = 1;
}

/* A growable byte buffer of varints, for the SITE section. */
typedef struct {
	unsigned char *p;
	size_t n, cap;
} vbuf;

static void vb_put(walker *w, vbuf *b, uint64_t v)
{
	if (b->cap - b->n < 10) {
		size_t nc = b->cap ? b->cap * 2 : 65536;
		unsigned char *np = w_realloc(w, b->p, b->cap, nc);
		if (!np)
			return;
		b->p = np;
		b->cap = nc;
	}
	while (v >= 0x80) {
		b->p[b->n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->p[b->n++] = (unsigned char)v;
}

/* The sites found: their frames, deduplicated by content. */
typedef struct {
	PyObject **file;      /* per frame */
	uint32_t *line;
	size_t nframes, capframes;
	uint32_t *first;      /* per site: its first frame */
	uint16_t *nframe, *total;
	uint64_t *hash;
	size_t nsites, capsites;
	uint32_t *slot;       /* open addressing: site id + 1, 0 empty */
	size_t nslots;
} sitetab;

static uint64_t frames_hash(PyObject *const *file, const uint32_t *line, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ (uint64_t)(uintptr_t)file[i]) * 1099511628211ull;
		h = (h ^ line[i]) * 1099511628211ull;
	}
	return h ? h : 1;
}

/* The id (1-based) of the site with these frames, added if new; 0 if out of memory. */
static uint32_t site_id(walker *w, sitetab *t, PyObject *const *file, const uint32_t *line, size_t n, size_t total)
{
	uint64_t h = frames_hash(file, line, n);
	if (t->nsites * 2 >= t->nslots) {
		size_t ns = t->nslots ? t->nslots * 2 : 4096;
		uint32_t *sl = w_realloc(w, NULL, 0, ns * sizeof *sl);
		if (!sl)
			return 0;
		memset(sl, 0, ns * sizeof *sl);
		for (size_t i = 0; i < t->nsites; i++) {
			size_t k = (size_t)t->hash[i] & (ns - 1);
			while (sl[k])
				k = (k + 1) & (ns - 1);
			sl[k] = (uint32_t)i + 1;
		}
		free(t->slot);
		t->slot = sl;
		t->nslots = ns;
	}
	size_t k = (size_t)h & (t->nslots - 1);
	for (; t->slot[k]; k = (k + 1) & (t->nslots - 1)) {
		size_t i = t->slot[k] - 1;
		if (t->hash[i] != h || t->nframe[i] != n)
			continue;
		if (memcmp(t->file + t->first[i], file, n * sizeof *file) == 0 &&
		    memcmp(t->line + t->first[i], line, n * sizeof *line) == 0)
			return (uint32_t)i + 1;
	}
	if (t->nsites == t->capsites) {
		size_t nc = t->capsites ? t->capsites * 2 : 1024;
		uint32_t *f = w_realloc(w, t->first, t->capsites * sizeof *f, nc * sizeof *f);
		if (f)
			t->first = f;
		uint16_t *a = f ? w_realloc(w, t->nframe, t->capsites * sizeof *a, nc * sizeof *a) : NULL;
		if (a)
			t->nframe = a;
		uint16_t *b = a ? w_realloc(w, t->total, t->capsites * sizeof *b, nc * sizeof *b) : NULL;
		if (b)
			t->total = b;
		uint64_t *hh = b ? w_realloc(w, t->hash, t->capsites * sizeof *hh, nc * sizeof *hh) : NULL;
		if (!hh)
			return 0;
		t->hash = hh;
		t->capsites = nc;
	}
	if (t->capframes - t->nframes < n) {
		size_t nc = t->capframes ? t->capframes * 2 : 4096;
		while (nc - t->nframes < n)
			nc *= 2;
		PyObject **f = w_realloc(w, t->file, t->capframes * sizeof *f, nc * sizeof *f);
		if (f)
			t->file = f;
		uint32_t *l = f ? w_realloc(w, t->line, t->capframes * sizeof *l, nc * sizeof *l) : NULL;
		if (!l)
			return 0;
		t->line = l;
		t->capframes = nc;
	}
	size_t i = t->nsites++;
	t->first[i] = (uint32_t)t->nframes;
	t->nframe[i] = (uint16_t)n;
	t->total[i] = (uint16_t)(total > 65535 ? 65535 : total);
	t->hash[i] = h;
	memcpy(t->file + t->nframes, file, n * sizeof *file);
	memcpy(t->line + t->nframes, line, n * sizeof *line);
	t->nframes += n;
	t->slot[k] = (uint32_t)i + 1;
	return (uint32_t)i + 1;
}

#define GL_SITE_MAX_FRAMES 128

/* The frames of o's block: how many (0: not traced), into file/line. */
static size_t block_frames(PyObject *o, PyObject **file, uint32_t *line, size_t *total)
{
#if GL_TM_DIRECT
	const struct tracemalloc_traceback *tb = gl_tm_traceback(o);
	if (!tb)
		return 0;
	size_t n = tb->nframe < GL_SITE_MAX_FRAMES ? tb->nframe : GL_SITE_MAX_FRAMES;
	for (size_t i = 0; i < n; i++) {
		file[i] = tb->frames[i].filename;
		line[i] = tb->frames[i].lineno;
	}
	*total = tb->total_nframe;
	return n;
#else
	PyObject *t = _PyTraceMalloc_GetTraceback(0, gl_tm_block(o));
	if (!t) {
		PyErr_Clear();
		return 0;
	}
	size_t n = 0;
	if (PyTuple_Check(t)) {
		for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t) && n < GL_SITE_MAX_FRAMES; i++) {
			PyObject *fr = PyTuple_GET_ITEM(t, i);
			if (!PyTuple_Check(fr) || PyTuple_GET_SIZE(fr) != 2 || !PyLong_Check(PyTuple_GET_ITEM(fr, 1)))
				continue;
			/* the filename is tracemalloc's own interned str: it outlives this tuple */
			file[n] = PyTuple_GET_ITEM(fr, 0);
			line[n] = (uint32_t)PyLong_AsUnsignedLong(PyTuple_GET_ITEM(fr, 1));
			n++;
		}
		if (PyErr_Occurred())
			PyErr_Clear();
	}
	Py_DECREF(t);
	*total = n;
	return n;
#endif
}

#if !GL_TM_DIRECT
/*
 * Each _PyTraceMalloc_GetTraceback() creates a few tuples, and tracemalloc
 * traces their allocation (a traceback captured, a table updated) and
 * their release: 12 us per object on 3.11. So while the sites are read, the
 * interpreter's object and memory allocators are set back to what
 * tracemalloc wrapped (its hooks keep the wrapped allocator as their
 * context): the tuples are made and freed untraced, nothing else allocates
 * meanwhile (the GIL is held, collection off), and the hooks are put back.
 * Only when both hooks are in the same image as _PyTraceMalloc_GetTraceback
 * (tracemalloc's own, not another profiler's on top of it).
 */
typedef struct {
	int swapped;
	PyMemAllocatorEx mem, obj;
} tm_bypass;

static int same_image(const void *a, const void *b)
{
	Dl_info x, y;
	return dladdr(a, &x) && dladdr(b, &y) && x.dli_fbase == y.dli_fbase;
}

static void tm_bypass_on(tm_bypass *b)
{
	b->swapped = 0;
	PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &b->mem);
	PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &b->obj);
	const void *tm = (const void *)(uintptr_t)_PyTraceMalloc_GetTraceback;
	if (!b->mem.ctx || !b->obj.ctx || !same_image((const void *)(uintptr_t)b->mem.malloc, tm) ||
	    !same_image((const void *)(uintptr_t)b->obj.malloc, tm))
		return;
	PyMemAllocatorEx *om = b->mem.ctx, *oo = b->obj.ctx;
	if (!om->malloc || !om->calloc || !om->realloc || !om->free || !oo->malloc || !oo->calloc || !oo->realloc ||
	    !oo->free || om->malloc == b->mem.malloc || oo->malloc == b->obj.malloc)
		return;
	PyMem_SetAllocator(PYMEM_DOMAIN_MEM, om);
	PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, oo);
	b->swapped = 1;
}

static void tm_bypass_off(tm_bypass *b)
{
	if (!b->swapped)
		return;
	PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &b->mem);
	PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &b->obj);
	b->swapped = 0;
}
#endif

int gl_walk_sites(gl_walker *w, gl_writer *wr, gl_site_stats *st)
{
	memset(st, 0, sizeof *st);
	if (!w->tm_on)
		return 0;
	double t0 = now_mono();
#if !GL_TM_DIRECT
	/* new tuples: no collection meanwhile (gc.disable() for the loop) */
	int *enabled = gl_gc_enabled_ptr();
	int was = *enabled;
	*enabled = 0;
	tm_bypass byp;
	tm_bypass_on(&byp);
#endif
	sitetab t;
	memset(&t, 0, sizeof t);
	vbuf entries = {0}, out = {0};
	PyObject *file[GL_SITE_MAX_FRAMES];
	uint32_t line[GL_SITE_MAX_FRAMES];
	size_t prev = 0;
	for (size_t i = 0; i < w->tm_n && !w->failed; i++) {
		size_t total = 0;
		size_t n = block_frames(w->tm_objs[i], file, line, &total);
		if (!n)
			continue;
		uint32_t id = site_id(w, &t, file, line, n, total);
		if (!id)
			break;
		vb_put(w, &entries, i - prev);
		vb_put(w, &entries, id);
		prev = i;
		st->objects++;
	}
#if !GL_TM_DIRECT
	tm_bypass_off(&byp);
	*enabled = was;
#endif
	if (!w->failed) {
		vb_put(w, &out, 1); /* the section's own version */
		vb_put(w, &out, t.nsites);
		char buf[4096];
		for (size_t s = 0; s < t.nsites && !w->failed; s++) {
			vb_put(w, &out, t.nframe[s]);
			vb_put(w, &out, t.total[s]);
			for (size_t f = 0; f < t.nframe[s]; f++) {
				PyObject *fn = t.file[t.first[s] + f];
				int trunc = 0;
				size_t len = PyUnicode_Check(fn) ? str_utf8(fn, buf, sizeof buf, &trunc) : 0;
				vb_put(w, &out, gl_w_intern(wr, buf, len));
				vb_put(w, &out, t.line[t.first[s] + f]);
			}
		}
		vb_put(w, &out, st->objects);
		if (!w->failed && out.cap - out.n < entries.n) {
			unsigned char *np = w_realloc(w, out.p, out.cap, out.n + entries.n);
			if (np) {
				out.p = np;
				out.cap = out.n + entries.n;
			}
		}
		if (!w->failed && entries.n) {
			memcpy(out.p + out.n, entries.p, entries.n);
			out.n += entries.n;
		}
	}
	st->sites = t.nsites;
	st->seconds = now_mono() - t0;
	free(t.file);
	free(t.line);
	free(t.first);
	free(t.nframe);
	free(t.total);
	free(t.hash);
	free(t.slot);
	free(entries.p);
	if (w->failed) {
		free(out.p);
		return -1;
	}
	/* the writer writes it at the end; the walker keeps the bytes until then */
	free(w->site_section);
	w->site_section = out.p;
	gl_w_extra_section(wr, GL_SEC_SITE, out.p, out.n);
	return 0;
}

/* ======================================================================== */
/* the encoder                                                              */
/* ======================================================================== */

/* analyzer/format/snapwrite.c is compiled into this translation unit rather than
 * linked beside it, so that its per-record and per-edge calls (about seven
 * million per million tracked objects) are inlined into the walk. Python.h
 * has set the feature macros already; snapwrite.c's own _GNU_SOURCE would
 * only redefine the one pyconfig.h set. */
#undef _GNU_SOURCE
#include "snapwrite.c"
