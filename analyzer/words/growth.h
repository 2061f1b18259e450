/*
 * growth.h - what grows across snapshots of one process.
 *
 * A leak is what keeps growing. Given snapshots taken in order, this finds
 * the same container in each (matched by identity, its address and type,
 * confirmed by its retainer chain, so an address reused by another object
 * is not taken for the old one; and by its chain alone when the object was
 * replaced), and reports those that grow: whose own length rises, or under
 * which objects accumulate that the first snapshot did not have. A retained
 * size that rises only because another holder let go (the threads that
 * shared objects with sys.modules have ended) is not growth: objects that
 * were there before and now merely belong to it do not count. It also
 * compares the per-type counts and bytes, and says who holds the objects
 * that are new in the last snapshot.
 *
 * Every snapshot must have been analysed with GL_AN_PATHS | GL_AN_DOM.
 */
#ifndef GRAPHLEAK_GROWTH_H
#define GRAPHLEAK_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "holder.h"
#include "holders.h"
#include "sites.h"

#define GL_GROWTH_MAX_SNAPS 64

/* One container followed across the snapshots. */
typedef struct gl_grower {
	uint32_t id[GL_GROWTH_MAX_SNAPS];       /* its id in each snapshot, GL_NONE if absent */
	uint64_t addr[GL_GROWTH_MAX_SNAPS];     /* its address in each (where present) */
	uint64_t length[GL_GROWTH_MAX_SNAPS];
	uint64_t retained[GL_GROWTH_MAX_SNAPS];
	int64_t length_delta;                   /* last - first present */
	int64_t retained_delta;
	uint64_t new_objects, new_bytes;        /* under it (its dominator subtree)
	                                         * in the last snapshot, and not in
	                                         * the first (by address and type) */
	int monotonic;                          /* rose at every step, 3+ snapshots */
	int replaced;                           /* matched by chain, not by address */
	char *holder;                           /* its first holder in the last
	                                         * snapshot, by full path (owned) */
	gl_hold_kind holder_kind;
	char *chain;                            /* chain in the last snapshot (owned) */
	char **also;                            /* its other holders (owned) */
	size_t nalso;
} gl_grower;

typedef struct gl_type_growth {
	char *type;                             /* owned */
	uint64_t count[GL_GROWTH_MAX_SNAPS];
	uint64_t size[GL_GROWTH_MAX_SNAPS];
	int64_t count_delta, size_delta;        /* last - first */
} gl_type_growth;

typedef struct gl_growth_cand gl_growth_cand; /* growth.c */

typedef struct gl_growth {
	size_t nsnaps;
	uint64_t min_bytes, min_items;
	const gl_analysis *last;
	gl_growth_cand *cand;   /* candidates (internal) */
	size_t ncand;
	struct gl_typemap *typemap; /* type name -> row (internal) */
	gl_grower *growers;     /* growing containers, most retained growth first */
	size_t ngrowers;
	gl_type_growth *types;  /* every type, biggest byte growth first */
	size_t ntypes;
	/* per object of the last snapshot, the count and bytes under it
	 * (dominator subtree) that the first snapshot did not have */
	uint64_t *new_under_n, *new_under_b;
	/* objects in the last snapshot that the one before did not have
	 * (by address and type), and their holders */
	gl_holds fresh;
	uint64_t fresh_objects, fresh_bytes;
	gl_site_top fresh_sites; /* where they were allocated (sites.h) */
} gl_growth;

/*
 * The comparison is fed one snapshot at a time so that only two are in
 * memory at once: the last (kept throughout) and one earlier one.
 *
 *   gl_growth_begin(&g, &last, n, ...)    the last snapshot (index n-1):
 *                                         picks the candidate containers
 *   gl_growth_add(&g, k, &an_k, ...)      each earlier one, k = 0 .. n-2,
 *                                         in any order; the snapshot may be
 *                                         freed after the call
 *   gl_growth_finish(&g, ...)             deltas, filters, ranking
 *
 * A container is a candidate when, in the last snapshot, it holds at least
 * min_items items or retains at least min_bytes; it is reported when its
 * length rose by at least min_items between the first and the last
 * snapshot it is in, or at least min_bytes of objects new since the first
 * snapshot lie under it, and it did not shrink at the end. A container
 * whose own length does not grow and whose new bytes are, 80% or more,
 * those of the reported containers it dominates (the outermost of them,
 * summed) is left out: the module dict that holds a growing cache, or
 * three, is not news. The reported containers get
 * every holder (holders.h), the first named by its full path. All
 * functions return 0, or -1 with err set; release with gl_growth_free
 * (also after an error).
 */
int gl_growth_begin(gl_growth *g, const gl_analysis *last, size_t nsnaps, uint64_t min_bytes,
		    uint64_t min_items, gl_err *err);
int gl_growth_add(gl_growth *g, size_t k, const gl_analysis *an, gl_err *err);
int gl_growth_finish(gl_growth *g, gl_err *err);
void gl_growth_free(gl_growth *g);

#endif /* GRAPHLEAK_GROWTH_H */
