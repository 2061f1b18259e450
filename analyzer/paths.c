/*
 * paths.c - tiered multi-source BFS. One queue array of n entries serves
 * every tier: each node is enqueued at most once overall.
 */
#include "paths.h"

#include <stdlib.h>

int64_t gl_bfs_tiers(const gl_csr *g, const gl_bfs_tier *tiers, unsigned ntiers,
		     uint32_t *parent, uint64_t *pedge, uint32_t *tier, uint32_t *dist)
{
	uint32_t n = g->n;
	uint32_t *queue = malloc(((size_t)n ? n : 1) * sizeof *queue);
	unsigned char *seen = calloc(n ? n : 1, 1);
	if (!queue || !seen) {
		free(queue), free(seen);
		return -1;
	}
	for (uint32_t v = 0; v < n; v++) {
		parent[v] = GL_NONE;
		if (tier)
			tier[v] = GL_NONE;
		if (dist)
			dist[v] = GL_NONE;
	}
	uint64_t head = 0, tail = 0;
	for (unsigned t = 0; t < ntiers; t++) {
		for (uint32_t i = 0; i < tiers[t].n; i++) {
			uint32_t s = tiers[t].src[i];
			if (s >= n || seen[s])
				continue;
			seen[s] = 1;
			queue[tail++] = s;
			if (tier)
				tier[s] = t;
			if (dist)
				dist[s] = 0;
		}
		while (head < tail) {
			uint32_t v = queue[head++];
			for (uint64_t e = g->off[v]; e < g->off[v + 1]; e++) {
				uint32_t w = g->adj[e];
				if (seen[w])
					continue;
				seen[w] = 1;
				parent[w] = v;
				if (pedge)
					pedge[w] = e;
				if (tier)
					tier[w] = t;
				if (dist)
					dist[w] = dist[v] + 1;
				queue[tail++] = w;
			}
		}
	}
	free(queue), free(seen);
	return (int64_t)tail;
}
