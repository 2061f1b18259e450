/*
 * analysis.h - who holds what: roots, shortest retainer chains, dominators
 * with retained sizes, and strongly connected components over a loaded
 * snapshot.
 *
 * Roots. CPython keeps no list of roots. An object is held from outside the
 * heap when its refcount exceeds the references the snapshot sees to it
 * (what the collector computes in subtract_refs): ext[v] = refcnt[v] -
 * in-degree(v), where an extra VALUE edge (a view of a reference another
 * edge counts, docs/snapshot-format.md) is not counted. Objects with ext > 0
 * are the anonymous roots. The named
 * roots are `sys.modules` (so every module's globals and everything they
 * reach), the frames of every thread's stack (from the header), and the
 * roots the header names ("roots": the interned strings where the
 * interpreter keeps them alive). The frames of graphleak's own code (the
 * header marks them) are no roots of the program's: they are left out, and
 * whatever only they reach is no one's (holders.h).
 *
 * Chains come from one BFS in tiers (paths.h): tier 0 the named roots,
 * sys.modules and the thread frames together, tier 1 the anonymous roots; so
 * a chain starts at a named root whenever one reaches the object, and is the
 * shortest such. A frame's references other than its named locals
 * (f_globals, f_code, the value stack) are followed only when nothing else
 * reaches an object, so a module global is named through its module.
 *
 * Every array here has n_objects entries indexed by object id (the
 * dominator arrays one more, for the virtual root at id n_objects), owned by
 * the gl_analysis and freed by gl_analysis_free().
 */
#ifndef GRAPHLEAK_ANALYSIS_H
#define GRAPHLEAK_ANALYSIS_H

#include <stdint.h>

#include "csr.h"
#include "domtree.h"
#include "error.h"
#include "snapshot.h"

enum {
	GL_AN_PATHS = 1, /* roots + tiered BFS (parent, pedge, dist) */
	GL_AN_DOM = 2,   /* dominator tree, retained sizes, children lists */
	GL_AN_SCC = 4,   /* strongly connected components */
	GL_AN_ALL = 7,
};


typedef struct gl_frame_root {
	uint32_t id;      /* the frame object */
	uint32_t thread;  /* index into header "threads" */
} gl_frame_root;

typedef struct gl_analysis {
	const gl_snap *s;
	unsigned done;          /* GL_AN_* computed so far */
	gl_csr fwd, rev;

	int64_t *ext;           /* refcnt - references seen (may be < 0 when a
	                         * type reports borrowed references) */
	uint32_t *roots;        /* ids with ext > 0, increasing */
	uint32_t n_roots;
	uint32_t n_negative;    /* objects with ext < 0 */
	uint32_t sys_modules;   /* the sys.modules dict, or GL_NONE */
	gl_frame_root *frames;  /* thread frames found in the snapshot: the
	                         * program's own first (n_program_frames of
	                         * them), then the library's */
	uint32_t n_frames;
	uint32_t n_program_frames;
	uint32_t *own;          /* graphleak's own frames (the header marks them) */
	uint32_t n_own;
	uint32_t *own_globals;  /* the globals of graphleak's bootstrap */
	uint32_t n_own_globals;
	uint32_t *hroots;       /* roots the header names, and their names */
	const char **hroot_names; /* (strings of the snapshot's header) */
	uint32_t n_hroots;

	/* GL_AN_PATHS */
	uint32_t *parent;       /* previous object on the chain, GL_NONE at a root */
	uint32_t *pedge;        /* forward edge index parent -> v */
	uint32_t *dist;         /* chain length in edges; GL_NONE when no root
	                         * reaches v (cyclic garbage) */
	uint32_t n_unreached;   /* objects no root reaches: cyclic garbage */

	/* GL_AN_DOM */
	gl_domtree dt;
	uint64_t *retained;     /* n + 1 entries; retained[n] is the heap total */
	uint32_t *koff;         /* dominator children: kids[koff[v]..koff[v+1]) */
	uint32_t *kids;         /* (dt.order is freed once these are made) */

	/* GL_AN_SCC */
	uint32_t *comp;         /* component of each object */
	uint32_t n_comp;
	uint8_t *in_cycle;      /* 1 if the object is on a cycle: its component
	                         * has two or more objects, or it references
	                         * itself */

	/* string ids of names the analysis looks for (0 when absent) */
	uint32_t sid_dict;      /* "__dict__" */
	uint32_t sid_type_dict; /* "dict" (type name) */
	uint32_t sid_code;      /* "__code__" */
	uint32_t sid_freevars;  /* "co_freevars" (3.8-3.10) */
	uint32_t sid_lpnames;   /* "co_localsplusnames" (3.11+) */
	uint32_t sid_globals;   /* "__globals__" */
	uint32_t sid_self;      /* "__self__" */
	uint32_t sid_env[8];    /* the FIELD names gl_edge_is_environment skips */
	int n_env;
} gl_analysis;

/*
 * Runs the analyses in `what` (GL_AN_*; the dominator tree and SCC need
 * the snapshot's reverse edges) on s, which must outlive *a. May be called
 * again on the same gl_analysis to add analyses. Returns 0, or -1 with a
 * message in err (out of memory, no reverse edges).
 */
int gl_analysis_run(gl_analysis *a, const gl_snap *s, unsigned what, gl_err *err);

void gl_analysis_free(gl_analysis *a);

/* 1 and *t the thread index if frame is on a thread's stack (the header
 * lists it); else 0. */
int gl_thread_of_frame(const gl_analysis *a, uint32_t frame, uint32_t *t);
/* 1 if id is a frame of graphleak's own code (the snapshot's writer). */
int gl_is_own_frame(const gl_analysis *a, uint32_t id);
/* 1 if id is a function of graphleak's bootstrap (its globals are marked
 * __graphleak_bootstrap__): the signal handler, the at-exit hook, the
 * wrapper that watches signal.signal. */
int gl_is_own_code(const gl_analysis *a, uint32_t id);
/* 1 if module is the interpreter's or a library's (no __file__, or one
 * under the interpreter's prefix: the standard library, site-packages),
 * 0 if the program's own. */
int gl_module_is_library(const gl_analysis *a, uint32_t module);
/* The module sys.modules[name], or GL_NONE. */
uint32_t gl_module_named(const gl_analysis *a, const char *name);

/* The index into a->hroots of id, or GL_NONE. */
uint32_t gl_header_root(const gl_analysis *a, uint32_t id);

/*
 * 1 for a reference u -> v (edge e) that says where code runs rather than
 * what it keeps: a function's __globals__ and __builtins__, a frame's
 * f_globals, f_builtins, f_back and f_code, an instance's __class__, a C
 * function's __self__ when that is its module. The searches backwards (every
 * holder, render --referrers) do not follow them: they would make every
 * module hold its own globals and every class its instances' holders.
 */
int gl_edge_is_environment(const gl_analysis *a, uint32_t u, uint32_t e, uint32_t v);

/* The string id whose bytes equal `name`, or 0 (empty string) if none. */
uint32_t gl_snap_sid(const gl_snap *s, const char *name);
/* The target of object id's FIELD reference named by string id sid, or
 * GL_NONE (also when sid is 0: the name is not in the snapshot). */
uint32_t gl_field_target(const gl_snap *s, uint32_t id, uint32_t sid);

/* 1 if the preview of object id equals the NUL-terminated text. */
int gl_preview_eq(const gl_snap *s, uint32_t id, const char *text);

/*
 * For a dict that is some object's __dict__ (a module's, a class's, an
 * instance's), that object; else GL_NONE. Uses the reverse edges.
 */
uint32_t gl_dict_owner(const gl_analysis *a, uint32_t dict);

/*
 * For a VALUE edge e, the key object (the target of the KEY edge just before
 * it); else GL_NONE.
 */
uint32_t gl_value_key(const gl_snap *s, uint64_t e);

/*
 * Retained size per type (needs GL_AN_DOM): for each type string id t,
 * per_type[t] = bytes freed if every object of type t went away: the sum of
 * retained sizes of its objects that no other object of type t dominates.
 * per_type has s->n_strings entries (caller-allocated). 0 or -1 (OOM).
 */
int gl_type_retained(const gl_analysis *a, uint64_t *per_type);

/*
 * Leak suspects (needs GL_AN_DOM): the accumulation points of the dominator
 * tree. Descends from the virtual root into every child that retains at
 * least `threshold` bytes; a node reached that way none of whose children
 * does is a suspect (a cache dict whose many entries are each small), its
 * ancestors only pass the memory through. *ids (allocated here, caller
 * frees) gets the suspects, most retained first (ties by id), *n their
 * number. 0 or -1 (out of memory).
 */
int gl_suspects(const gl_analysis *a, uint64_t threshold, uint32_t **ids, size_t *n);

/*
 * The objects of v's dominator subtree, v first (needs GL_AN_DOM), into
 * *ids (allocated here, caller frees), *n of them. 0 or -1 (out of memory).
 */
int gl_dom_subtree(const gl_analysis *a, uint32_t v, uint32_t **ids, size_t *n);

/*
 * Sums of w over every dominator subtree (needs GL_AN_DOM): out[v] = the
 * sum of w[x] for x in v's subtree, out[n] over the whole heap (out has
 * n + 1 entries, w n; out may be w itself). Explicit order, no
 * recursion. 0 or -1 (OOM).
 */
int gl_dom_sums(const gl_analysis *a, const uint64_t *w, uint64_t *out);

/* 1 if the type name of id is `name`, or ends in "." + name
 * (BindParameter matches sqlalchemy.sql.elements.BindParameter). */
int gl_type_matches(const gl_snap *s, uint32_t id, const char *name);

#endif /* GRAPHLEAK_ANALYSIS_H */
