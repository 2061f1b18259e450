/*
 * paths.h - shortest retainer chains: breadth-first search from the roots,
 * in tiers of preference.
 */
#ifndef GRAPHLEAK_PATHS_H
#define GRAPHLEAK_PATHS_H

#include <stdint.h>

#include "csr.h"

typedef struct gl_bfs_tier {
	const uint32_t *src; /* node ids, duplicates allowed */
	uint32_t n;
} gl_bfs_tier;

/*
 * Runs a BFS from all sources of tier 0 at once, to exhaustion; then from
 * the sources of tier 1 that tier 0 did not reach, over the nodes still
 * unreached; and so on. So a node reachable from a tier-0 source always gets
 * its chain from one (the shortest such), even when a tier-1 source is
 * nearer: named roots before anonymous ones.
 *
 * Fills, for every node v (arrays of g->n entries, caller-allocated):
 *   parent[v]  the previous node on v's chain; GL_NONE for a source and for
 *              a node no source reaches;
 *   pedge[v]   the index into g->adj of the edge parent[v] -> v (unused when
 *              parent[v] is GL_NONE; g must have fewer than 2^32 edges);
 *              may be NULL;
 *   tier[v]    the tier whose source reached v, or GL_NONE; may be NULL;
 *   dist[v]    edges from that source, or GL_NONE; may be NULL.
 * Returns the number of nodes reached, or -1 if memory ran out.
 */
int64_t gl_bfs_tiers(const gl_csr *g, const gl_bfs_tier *tiers, unsigned ntiers,
		     uint32_t *parent, uint32_t *pedge, uint32_t *tier, uint32_t *dist);

/*
 * The same, with some edges held back: where deferred[e] is nonzero (an
 * array of g->off[n] bytes; NULL: none), edge e is not followed while its
 * tier's queue still has nodes; once it runs dry, the held-back edges of
 * the nodes it reached are followed (and the search goes on from there,
 * deferring again), before the next tier starts. Reachability is the same;
 * chains use a held-back edge only when nothing else reaches the node.
 */
int64_t gl_bfs_tiers_deferred(const gl_csr *g, const gl_bfs_tier *tiers, unsigned ntiers,
			      const uint8_t *deferred, uint32_t *parent, uint32_t *pedge,
			      uint32_t *tier, uint32_t *dist);

#endif /* GRAPHLEAK_PATHS_H */
