/*
 * subgraph.h - the small piece of the heap a picture shows: which objects,
 * which references between them, which similar siblings are folded into
 * one "+ N more" entry, which cycles are grouped. Graph facts only: the
 * words and the drawing are render/'s (render.h).
 *
 * A gl_subgraph holds node indices (0..nodes.n-1, in the order they were
 * added, which is deterministic for a given snapshot and request), each
 * naming one object id. Every builder keeps its work proportional to what
 * it draws plus the degrees of the objects it draws (and one pass over the
 * objects for --backrefs and --cycles); none recurses.
 *
 *   gl_subgraph g;
 *   gl_sg_init(&g);
 *   if (gl_sg_backrefs(&g, a, ids, n, 10, 20) < 0) ...out of memory...
 *   ... render ...
 *   gl_sg_free(&g);
 */
#ifndef GRAPHLEAK_SUBGRAPH_H
#define GRAPHLEAK_SUBGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "cycles.h"
#include "growth.h"
#include "holder.h"
#include "vec.h"

/* Roles of a node (bits of gl_sg_node.roles). */
enum {
	GL_SG_ROOT = 1,       /* a chain's root: sys.modules, a frame, a C-held object */
	GL_SG_HOLDER = 2,     /* the object the root holder keeps (the global, the attribute) */
	GL_SG_TARGET = 4,     /* an object asked about (--backrefs TYPE, --id) */
	GL_SG_FOCUS = 8,      /* the object --refs starts from */
	GL_SG_SUSPECT = 16,   /* a leak suspect (gl_suspects) */
	GL_SG_FINALIZER = 32, /* defines __del__ or has the legacy tp_del */
	GL_SG_GARBAGE = 64,   /* no root reaches it */
	GL_SG_GROWING = 128,  /* a container that grows across snapshots (growth.h) */
};

/* Kinds of gl_sg_edge. */
enum {
	GL_SG_E_REF = 0,       /* a reference: .edge is its forward edge index */
	GL_SG_E_ELIDED = 1,    /* a stretch of chain left out (--max-depth): .elided steps */
	GL_SG_E_DOMINATES = 2, /* from a suspect to an object it keeps alive without
	                        * referencing it directly */
};

#define GL_SG_NO_EDGE UINT64_MAX
#define GL_SG_MIXED UINT32_MAX /* gl_sg_more.type / .ekind: several */

typedef struct gl_sg_node {
	uint32_t id;      /* object id */
	uint32_t roles;   /* GL_SG_* */
	uint32_t cluster; /* index into clusters, or GL_NONE */
	uint32_t holder;  /* with GL_SG_HOLDER: index into holders */
	uint32_t suspect; /* with GL_SG_SUSPECT: index into suspects */
	uint32_t growth;  /* with GL_SG_GROWING: index into growth */
	uint32_t in;      /* the chain edge into it (index into edges), or GL_NONE */
} gl_sg_node;

typedef struct gl_sg_edge {
	uint32_t from, to; /* node indices */
	unsigned kind;     /* GL_SG_E_* */
	uint64_t edge;     /* GL_SG_E_REF: the forward edge into `to` */
	uint64_t via;      /* a folded `X.__dict__['name']` (name an identifier):
	                    * the FIELD edge X -> __dict__, drawn as `.name`;
	                    * else GL_SG_NO_EDGE */
	uint32_t elided;   /* GL_SG_E_ELIDED: the steps left out */
} gl_sg_edge;

/* Siblings not drawn: the references of one node of one kind to objects of
 * one type (or several: GL_SG_MIXED), folded into one entry. */
typedef struct gl_sg_more {
	uint32_t from;     /* node index of the object holding them */
	uint32_t ekind;    /* GL_EK_* of those references, or GL_SG_MIXED */
	uint32_t type;     /* type string id, or GL_SG_MIXED */
	uint32_t cluster;  /* cluster it belongs to, or GL_NONE */
	int dominated;     /* 1: what a suspect keeps alive, not its references */
	int referring;     /* 1: objects referring to `from` (--referrers), not
	                    * referenced by it */
	uint64_t count;    /* references (objects, for dominated) */
	uint64_t size;     /* their shallow bytes */
	uint64_t retained; /* their retained bytes (0 without GL_AN_DOM) */
} gl_sg_more;

typedef struct gl_sg_cluster {
	uint32_t comp;      /* strongly connected component */
	int finalizers;     /* 1: picked as a cycle with finalizers; 0: as garbage */
	int reachable;      /* a root reaches it */
	gl_cycle_verdict verdict;
	uint64_t objects, size;
	uint64_t with_del, with_finalize, with_tp_del;
	uint32_t first;     /* its lowest object id */
} gl_sg_cluster;

typedef struct gl_sg_holder {
	uint32_t node;     /* node index of the object held */
	gl_hold_kind kind;
	char *text;        /* the holder in words, gl_holder_say's (owned) */
} gl_sg_holder;

typedef struct gl_sg_suspect {
	uint32_t node;
	uint64_t retained;  /* bytes */
	uint64_t objects;   /* in its dominator subtree */
	uint64_t heap;      /* the heap total, for the share */
} gl_sg_suspect;

/* Totals of the objects asked about (--backrefs). */
typedef struct gl_sg_stats {
	uint64_t targets;     /* objects of the type */
	uint64_t size;        /* their shallow bytes */
	uint64_t drawn;       /* of them drawn as nodes */
	uint64_t retainers;   /* distinct objects referencing them on their chains */
	uint64_t unreached;   /* of them no root reaches */
} gl_sg_stats;

/* A growing container's figures at each snapshot (copied from growth.h). */
typedef struct gl_sg_grower {
	uint32_t node;
	size_t nsnaps;
	uint32_t present[GL_GROWTH_MAX_SNAPS]; /* 1 where the container exists */
	uint64_t length[GL_GROWTH_MAX_SNAPS];
	uint64_t retained[GL_GROWTH_MAX_SNAPS];
	int64_t retained_delta;
	uint64_t new_bytes;   /* of objects new since the first snapshot, under it */
	int monotonic;
	char *holder;         /* its first holder by full path (owned) */
} gl_sg_grower;

typedef struct gl_subgraph {
	gl_vec(gl_sg_node) nodes;
	gl_vec(gl_sg_edge) edges;
	gl_vec(gl_sg_more) more;
	gl_vec(gl_sg_cluster) clusters;
	gl_vec(gl_sg_holder) holders;
	gl_vec(gl_sg_suspect) suspects;
	gl_vec(gl_sg_grower) growth;
	gl_sg_stats stats;
	/* object id -> node index (open addressing, private) */
	uint32_t *map_key, *map_val;
	size_t map_cap, map_n;
} gl_subgraph;

void gl_sg_init(gl_subgraph *g);
/* Frees everything g owns; g is left empty (gl_sg_init state). */
void gl_sg_free(gl_subgraph *g);

/* The node index of object id, or GL_NONE when it is not drawn. */
uint32_t gl_sg_find(const gl_subgraph *g, uint32_t id);

/*
 * The node index of object id, added (roles 0, no cluster) if it is not
 * there yet. Returns GL_NONE when memory ran out.
 */
uint32_t gl_sg_node_add(gl_subgraph *g, uint32_t id);

/*
 * Adds the shortest retainer chain of `target` (needs GL_AN_PATHS): its
 * objects root first, `X.__dict__['name']` folded into `X.name` as
 * gl_chain_steps does, the root marked GL_SG_ROOT and the root holder's
 * object GL_SG_HOLDER (with its words in holders). With max_depth > 0 and
 * more steps than that, keeps the root, the holder and the last max_depth
 * steps, and joins them with GL_SG_E_ELIDED edges. An object no root
 * reaches is added alone, marked GL_SG_GARBAGE. *node (may be NULL) gets
 * the target's node index. 0, or -1 (out of memory).
 */
int gl_sg_add_chain(gl_subgraph *g, const gl_analysis *a, uint32_t target, uint32_t max_depth,
		    uint32_t *node);

/*
 * The same for a given path p, whose holder (kind, words) refers to
 * p->ids[holder_at]; holder_text NULL marks none. The last object of p is
 * *node's. 0, or -1 (out of memory).
 */
int gl_sg_add_path(gl_subgraph *g, const gl_analysis *a, const gl_path *p, size_t holder_at, gl_hold_kind kind,
		   const char *holder_text, uint32_t max_depth, uint32_t *node);

/*
 * Every independent holder of `target` (holders.h), at most max_holders
 * (0: all) of them, each with its chain as gl_sg_add_chain adds one and its
 * holder marked; *nholders (may be NULL) gets how many there are. Needs
 * GL_AN_PATHS and the reverse edges. 0, or -1 (out of memory).
 */
int gl_sg_add_holders(gl_subgraph *g, const gl_analysis *a, uint32_t target, size_t max_holders,
		      uint32_t max_depth, uint32_t *node, size_t *nholders);

/*
 * Folds similar siblings: for every drawn reference P -> C made by a dict
 * value, a sequence index, a set member or an unnamed reference, counts
 * P's other references of that kind to objects of C's type that are not
 * drawn from P, into one gl_sg_more each (not for P = sys.modules: the
 * other modules are no news). 0 or -1 (out of memory).
 */
int gl_sg_collapse_siblings(gl_subgraph *g, const gl_analysis *a);

/*
 * --backrefs: of the objects ids[0..n) (the objects of one type), samples
 * at most max_objects deterministically, shortest chains first (ties by
 * id), first one per distinct direct retainer, then at most 3 per
 * retainer, then any; adds their chains (as gl_sg_add_chain, marked GL_SG_TARGET) and
 * folds the siblings. Fills g->stats. Needs GL_AN_PATHS (GL_AN_DOM for
 * retained sizes). 0 or -1 (out of memory).
 */
int gl_sg_backrefs(gl_subgraph *g, const gl_analysis *a, const uint32_t *ids, size_t n,
		   size_t max_objects, uint32_t max_depth);

/*
 * --referrers: who refers to `focus`, breadth first backwards to max_depth
 * references away (objgraph's show_backrefs), at most max_objects nodes and
 * 10 referrers drawn per object, the rest folded per kind and type. It
 * stops at holders (a global, a class attribute, a thread's local...:
 * marked GL_SG_HOLDER with their words, the reference that holds drawn
 * from its dict or frame) and at roots; references that say where code
 * runs (__globals__, f_globals, __class__, ...) are not followed, as for
 * every holder (holders.h). 0 or -1 (out of memory).
 */
int gl_sg_referrers(gl_subgraph *g, const gl_analysis *a, uint32_t focus, uint32_t max_depth,
		    size_t max_objects);

/*
 * --refs: what `focus` references, breadth first to max_depth references
 * away, at most max_objects nodes in all and at most 10 references drawn
 * per object; the rest of an object's references folded per kind and type
 * (the 3 biggest groups, then one mixed group). Dict keys (their values'
 * references carry them) and __class__ references are not followed.
 * 0 or -1 (out of memory).
 */
int gl_sg_refs(gl_subgraph *g, const gl_analysis *a, uint32_t focus, uint32_t max_depth,
	       size_t max_objects);

/*
 * --cycles (needs GL_AN_PATHS and GL_AN_SCC): the biggest cycles no root
 * reaches and the biggest cycles with Python finalizers (__del__, tp_del;
 * live ones through modules, classes or functions left out, as `graphleak
 * cycles` does), up to 4 of each, each a cluster of at most 12 members
 * (breadth first inside the cycle from its first object) with the
 * references among them and a "+ N more" entry for the rest; a reached
 * cycle gets the chain to it. At most max_objects nodes. gc_off: the
 * process has gc disabled or automatic collection off; pyver: its Python
 * as major * 100 + minor (0 unknown). 0 or -1 (out of memory).
 */
int gl_sg_cycles(gl_subgraph *g, const gl_analysis *a, size_t max_objects, int gc_off, int pyver);

/*
 * --suspects (needs GL_AN_PATHS and GL_AN_DOM): the first max_suspects of
 * gl_suspects(threshold), each with its chain and the 3 objects it keeps
 * alive that retain the most (a reference when it has one to them, else a
 * GL_SG_E_DOMINATES edge) and one dominated gl_sg_more for the rest.
 * *found gets how many suspects there are in all. 0 or -1.
 */
int gl_sg_suspects(gl_subgraph *g, const gl_analysis *a, uint64_t threshold, size_t max_suspects,
		   uint32_t max_depth, size_t *found);

/*
 * --growth (the last snapshot's analysis, with GL_AN_PATHS and GL_AN_DOM):
 * the chains of the first max_growers growing containers of `gr` (computed
 * with that analysis as the last), each container marked GL_SG_GROWING
 * with its figures, and their siblings folded. 0 or -1 (out of memory).
 */
int gl_sg_growth(gl_subgraph *g, const gl_analysis *last, const gl_growth *gr, size_t max_growers,
		 uint32_t max_depth);

#endif /* GRAPHLEAK_SUBGRAPH_H */
