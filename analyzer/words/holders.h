/*
 * holders.h - every holder of an object, or of a set of objects (the
 * objects of a type, the new objects since the last snapshot), each named by
 * its full path and counted.
 *
 * A holder is a place the program can let go of an object: a module global,
 * a class attribute, a thread's local, a default argument, a closure cell,
 * an lru_cache, sys.modules['m'] (the patterns of holder.c); where no such
 * place lies on the way, a root: a thread's frame (through its value stack),
 * a root the interpreter keeps (the header's "roots"), or an object held from
 * outside the heap (its refcount exceeds the references the snapshot sees).
 *
 * The independent holders of a set T are the holders from which some object
 * of T is reachable without passing through another holder: searching back
 * from T along the references that keep objects alive, each reference that
 * is a holder is recorded and not passed; a root is recorded and not passed,
 * except an object held from outside the heap, which is recorded and passed
 * (what holds it from the heap holds T too). References that say where code
 * runs rather than what it keeps (a function's __globals__ and
 * __builtins__, a frame's f_globals, f_builtins, f_back and f_code, an
 * instance's __class__) are not searched: they would make every module hold
 * its own globals. graphleak's own frames (the snapshot's writer) hold
 * nothing. A function's defaults and closure, and an lru_cache, are holders
 * only when the function is itself named (a global, a class attribute, a
 * thread's local); the memoized closure of some object's method is part of
 * that object, and whoever holds the object holds what the closure does.
 * Each of T's objects is kept by at least one of its holders, and
 * letting go of all of them frees it (unless something outside the heap
 * the snapshot cannot see holds it).
 *
 * Cost: one backward search over the objects between T and its holders,
 * and, for a set of two or more, one forward pass over the same objects
 * with a 64-bit mask each (the 63 biggest holders counted exactly, the rest
 * together): O(objects + references) time, about 20 bytes per object.
 */
#ifndef GRAPHLEAK_HOLDERS_H
#define GRAPHLEAK_HOLDERS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "error.h"
#include "holder.h"

/* One holder of the set. */
typedef struct gl_hold {
	gl_holder h;        /* what it is (h.text: the holder alone,
	                     * "module api, global app") */
	char *text;         /* named by its full path to what it keeps:
	                     * "module api, global app.state._state['sessions']"
	                     * (owned; NULL beyond the first `max` holders) */
	gl_path chain;      /* root first, through the holder, to `example`
	                     * (empty beyond the first `max` holders) */
	size_t at;          /* chain index of the object the holder refers to */
	size_t named_to;    /* chain index of the last object `text` names */
	uint32_t example;   /* a target its chain leads to (the nearest) */
	uint32_t places;    /* holders said in these same words, counted and
	                     * shown as one: the closures of 1,200 functions of
	                     * one name (text ends "(1,200 of them)") */
	int library;        /* the interpreter's or a library's, not the program's */
	uint32_t group, depth, order, pref; /* (internal: the order of the list) */
	int band;
	uint64_t count;     /* targets it keeps */
	uint64_t size;      /* their bytes */
	uint64_t only_count;/* of them, those no other holder keeps */
	uint64_t only_size;
	int exact;          /* 0: count and size are a lower bound (a holder
	                     * beyond the 63 counted one by one) */
} gl_hold;

typedef struct gl_holds {
	gl_hold *v;           /* most targets first (counts within 5% alike:
	                       * then the program's holders before the
	                       * library's, the nearest first); for one target:
	                       * the program's first, named ones before roots,
	                       * the nearest first */
	size_t n;
	uint64_t targets;     /* the set */
	uint64_t bytes;
	uint64_t unheld;      /* targets no holder keeps: garbage no root reaches */
	uint64_t unheld_bytes;
	uint64_t own_only;    /* targets only graphleak's own frames keep */
	uint64_t own_only_bytes;
} gl_holds;

/*
 * The independent holders of targets[0..n) (needs GL_AN_PATHS and the
 * reverse edges), into *out: all of them counted, the first `max` (0: all)
 * with their text and chain. Returns 0, or -1 with err set (out of memory).
 * Release with gl_holds_free (also after an error).
 */
int gl_holds_find(const gl_analysis *a, const uint32_t *targets, size_t n, size_t max, gl_holds *out,
		  gl_err *err);
void gl_holds_free(gl_holds *h);

/* The kind's rank in a list of holders: the places code names first. */
int gl_hold_rank(gl_hold_kind k);

#endif /* GRAPHLEAK_HOLDERS_H */
