/*
 * paths.c - tiered multi-source BFS. One queue array of n entries serves
 * every tier: each node is enqueued at most once overall.
 */
#include "paths.h"

#include <stdlib.h>

int64_t gl_bfs_tiers(const gl_csr *g, const gl_bfs_tier *tiers, unsigned ntiers,
		     uint32_t *parent, uint32_t *pedge, uint32_t *tier, uint32_t *dist)
{
	return gl_bfs_tiers_deferred(g, tiers, ntiers, NULL, parent, pedge, tier, dist);
}

/* Reaches w from v by edge e in tier t: records the step and queues w. */
static inline void reach(uint32_t v, uint32_t w, uint64_t e, unsigned t, uint32_t *parent, uint32_t *pedge,
			 uint32_t *tier, uint32_t *d, unsigned char *seen, uint32_t *queue, uint64_t *tail)
{
	seen[w] = 1;
	parent[w] = v;
	if (pedge)
		pedge[w] = (uint32_t)e;
	if (tier)
		tier[w] = t;
	d[w] = d[v] + 1;
	queue[(*tail)++] = w;
}

int64_t gl_bfs_tiers_deferred(const gl_csr *g, const gl_bfs_tier *tiers, unsigned ntiers,
			      const uint8_t *deferred, uint32_t *parent, uint32_t *pedge,
			      uint32_t *tier, uint32_t *dist)
{
	uint32_t n = g->n;
	uint32_t *queue = malloc(((size_t)n ? n : 1) * sizeof *queue);
	unsigned char *seen = calloc(n ? n : 1, 1);
	/* reached nodes with held-back edges, in the order reached */
	uint32_t *held = deferred ? malloc(((size_t)n ? n : 1) * sizeof *held) : NULL;
	uint32_t *d = dist ? dist : malloc(((size_t)n ? n : 1) * sizeof *d);
	if (!queue || !seen || (deferred && !held) || !d) {
		free(queue), free(seen), free(held);
		if (!dist)
			free(d);
		return -1;
	}
	for (uint32_t v = 0; v < n; v++) {
		parent[v] = GL_NONE;
		if (tier)
			tier[v] = GL_NONE;
		d[v] = GL_NONE;
	}
	uint64_t head = 0, tail = 0;
	for (unsigned t = 0; t < ntiers; t++) {
		uint64_t nheld = 0, hpos = 0;
		for (uint32_t i = 0; i < tiers[t].n; i++) {
			uint32_t s = tiers[t].src[i];
			if (s >= n || seen[s])
				continue;
			seen[s] = 1;
			queue[tail++] = s;
			if (tier)
				tier[s] = t;
			d[s] = 0;
		}
		for (;;) {
			while (head < tail) {
				uint32_t v = queue[head++];
				int has_held = 0;
				for (uint64_t e = g->off[v]; e < g->off[v + 1]; e++) {
					if (deferred && deferred[e]) {
						has_held = 1;
						continue;
					}
					uint32_t w = g->adj[e];
					if (!seen[w])
						reach(v, w, e, t, parent, pedge, tier, d, seen, queue, &tail);
				}
				if (has_held)
					held[nheld++] = v;
			}
			if (hpos == nheld)
				break;
			/* the queue ran dry: follow the held-back edges, nearest
			 * sources first */
			while (hpos < nheld) {
				uint32_t v = held[hpos++];
				for (uint64_t e = g->off[v]; e < g->off[v + 1]; e++) {
					uint32_t w = g->adj[e];
					if (deferred[e] && !seen[w])
						reach(v, w, e, t, parent, pedge, tier, d, seen, queue, &tail);
				}
			}
		}
	}
	free(queue), free(seen), free(held);
	if (!dist)
		free(d);
	return (int64_t)tail;
}
