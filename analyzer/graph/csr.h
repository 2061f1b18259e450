/*
 * csr.h - a read-only view of a graph in compressed sparse rows.
 *
 * Node ids are 0..n-1. The neighbours of v are adj[off[v] .. off[v+1]-1].
 * The algorithms in scc.h, domtree.h and paths.h take such views and keep
 * their own state in side arrays indexed by node id; none of them recurses.
 */
#ifndef GRAPHLEAK_CSR_H
#define GRAPHLEAK_CSR_H

#include <stdint.h>

#define GL_NONE UINT32_MAX

typedef struct gl_csr {
	uint32_t n;
	const uint64_t *off; /* n + 1 entries */
	const uint32_t *adj; /* off[n] entries */
} gl_csr;

#endif /* GRAPHLEAK_CSR_H */
