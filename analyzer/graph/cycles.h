/*
 * cycles.h - reference cycles (strongly connected components with two or
 * more objects, or an object that references itself), what they hold, and
 * what CPython's collector does with them. Used by `graphleak cycles` and
 * by the pictures (subgraph.h), so both judge a cycle the same way.
 */
#ifndef GRAPHLEAK_CYCLES_H
#define GRAPHLEAK_CYCLES_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"

/* What the collector makes of a cycle. */
typedef enum {
	GL_CY_COLLECTED = 0,   /* garbage the next collection frees */
	GL_CY_LEAK_GC_OFF,     /* garbage, and gc is disabled or automatic collection off */
	GL_CY_UNCOLLECTABLE,   /* finalizers the collector will not break (tp_del, or < 3.4) */
	GL_CY_FIN_COLLECTABLE, /* unreached, with finalizers: collectable since 3.4 (PEP 442) */
	GL_CY_FIN_ALIVE,       /* reached, with finalizers: alive */
} gl_cycle_verdict;

typedef struct gl_cycle {
	uint32_t comp;        /* the component */
	uint32_t first;       /* its lowest object id */
	uint64_t objects, size;
	uint64_t with_del;      /* objects whose class defines __del__ */
	uint64_t with_finalize; /* with a C finalizer only (generators, files) */
	uint64_t with_tp_del;   /* with the legacy tp_del */
	int reachable;        /* a root reaches it */
	int infra;            /* it holds a module, class or function */
} gl_cycle;

/*
 * Every cycle (needs GL_AN_PATHS and GL_AN_SCC), most bytes first, ties by
 * component, into *out (allocated here, caller frees; *n of them).
 * 0 or -1 (out of memory).
 */
int gl_cycles_list(const gl_analysis *a, gl_cycle **out, size_t *n);

/*
 * Cycles of one shape: the same number of objects, of the same types,
 * joined by the same labelled references (a signature of each object's type
 * and of its references inside the cycle: label and target type), alike in
 * being reached or not and in having finalizers. 5,940 Session ->
 * Transaction -> Cursor -> Session cycles are one group.
 */
typedef struct gl_cycle_group {
	gl_cycle one;          /* the first (biggest) cycle of the group */
	uint64_t count;        /* cycles in the group */
	uint64_t objects, size;/* of all of them */
	uint32_t examples[3];  /* first objects of up to 3 of them */
	size_t nexamples;
	uint64_t shape;        /* the signature */
} gl_cycle_group;

/*
 * Groups the cycles c[0..n) (from gl_cycles_list, needs GL_AN_SCC) by
 * shape into *out (allocated here, caller frees; *nout groups): cycles of
 * the program's data first, those holding modules, classes or functions
 * (what class definitions leave behind) after them; then most bytes first.
 * 0 or -1 (out of memory).
 */
int gl_cycles_group(const gl_analysis *a, const gl_cycle *c, size_t n, gl_cycle_group **out, size_t *nout);

/*
 * The cycle an object no root reaches belongs to: its strongly connected
 * component among the unreached objects, the shortest way round from it
 * back to it, and what refers to the cycle from outside it (garbage too).
 */
typedef struct gl_cycle_of {
	uint32_t *members;     /* the component, id order */
	size_t n;
	uint64_t size;
	uint32_t *loop;        /* v, ..., v: the shortest way round (n_loop 0: v
	                        * is on no cycle) */
	uint32_t *loop_edges;  /* loop_edges[i]: the reference into loop[i] (i >= 1) */
	size_t n_loop;
	uint32_t *referrers;   /* objects outside it referring into it (at most
	                        * 20) and how many there are */
	size_t n_referrers;
	uint64_t referrers_total;
} gl_cycle_of;

/* Fills *c for the unreached object v (needs GL_AN_PATHS and the reverse
 * edges). 0, or -1 (out of memory). Release with gl_cycle_of_free. */
int gl_cycle_of_find(const gl_analysis *a, uint32_t v, gl_cycle_of *c);
void gl_cycle_of_free(gl_cycle_of *c);

/*
 * 1 if c is reported as a cycle with finalizers: it holds an object with a
 * Python __del__ or the legacy tp_del, and it is not a live cycle through
 * modules, classes or functions (everything reachable from a module that
 * refers back to its class forms one: true, and no news). Cycles whose only
 * finalizers are C ones (generators, files) are not.
 */
int gl_cycle_has_finalizers(const gl_cycle *c);

/*
 * The verdict on c, finalizers being gl_cycle_has_finalizers(c): tp_del
 * (or __del__ before Python 3.4) is uncollectable; a reached cycle with
 * finalizers is alive; an unreached one is a leak when gc is off, else
 * collected (PEP 442 for finalizers).
 */
gl_cycle_verdict gl_cycle_judge(const gl_cycle *c, int finalizers, int gc_off, int pyver);

/* The verdict as a sentence for reports. */
const char *gl_cycle_verdict_words(gl_cycle_verdict v);

/* 1 if the snapshot's process had gc disabled or automatic collection off
 * (thresholds[0] == 0), from its header. */
int gl_gc_is_off(const gl_snap *s);

/* The collector's state in words: "disabled", "enabled, automatic collection
 * off", "enabled", or "unknown" when the header does not say. */
const char *gl_gc_state_words(const gl_snap *s);

/* The snapshot's Python as major * 100 + minor (0 if unknown); its version
 * text into buf (len bytes, "unknown" if absent) when buf is not NULL. */
int gl_py_version(const gl_snap *s, char *buf, size_t len);

#endif /* GRAPHLEAK_CYCLES_H */
