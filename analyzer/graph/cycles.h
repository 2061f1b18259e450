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

/* The snapshot's Python as major * 100 + minor (0 if unknown); its version
 * text into buf (len bytes, "unknown" if absent) when buf is not NULL. */
int gl_py_version(const gl_snap *s, char *buf, size_t len);

#endif /* GRAPHLEAK_CYCLES_H */
