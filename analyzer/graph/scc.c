/*
 * scc.c - Tarjan's strongly connected components without recursion.
 *
 * The recursive algorithm's call stack becomes an explicit stack of
 * (node, next edge) frames. Invariants: `index[v]` is v's DFS discovery
 * number (0 = not yet seen, numbers start at 1); `low[v]` is the smallest
 * index reachable from v's DFS subtree through at most one back edge to a
 * node still on the Tarjan stack; a node leaves the Tarjan stack exactly
 * when its component is complete, which happens when low[v] == index[v].
 */
#include "scc.h"

#include <stdlib.h>

int gl_scc(const gl_csr *g, uint32_t *comp, uint32_t *ncomp)
{
	uint32_t n = g->n;
	*ncomp = 0;
	if (n == 0)
		return 0;
	uint32_t *index = calloc(n, sizeof *index);
	uint32_t *low = malloc((size_t)n * sizeof *low);
	uint32_t *tstack = malloc((size_t)n * sizeof *tstack); /* Tarjan stack */
	uint32_t *cnode = malloc((size_t)n * sizeof *cnode);   /* call stack */
	uint64_t *cedge = malloc((size_t)n * sizeof *cedge);
	if (!index || !low || !tstack || !cnode || !cedge) {
		free(index), free(low), free(tstack), free(cnode), free(cedge);
		return -1;
	}
	/* comp[v] == GL_NONE marks "on the Tarjan stack or unseen" */
	for (uint32_t v = 0; v < n; v++)
		comp[v] = GL_NONE;

	uint32_t next_index = 1, tsp = 0, csp = 0, nc = 0;
	for (uint32_t s = 0; s < n; s++) {
		if (index[s])
			continue;
		index[s] = low[s] = next_index++;
		tstack[tsp++] = s;
		cnode[csp] = s;
		cedge[csp] = g->off[s];
		csp++;
		while (csp) {
			uint32_t v = cnode[csp - 1];
			uint64_t e = cedge[csp - 1];
			if (e < g->off[v + 1]) {
				cedge[csp - 1] = e + 1;
				uint32_t w = g->adj[e];
				if (!index[w]) {
					index[w] = low[w] = next_index++;
					tstack[tsp++] = w;
					cnode[csp] = w;
					cedge[csp] = g->off[w];
					csp++;
				} else if (comp[w] == GL_NONE && index[w] < low[v]) {
					low[v] = index[w]; /* w is on the Tarjan stack */
				}
				continue;
			}
			/* v is finished */
			if (low[v] == index[v]) {
				uint32_t w;
				do {
					w = tstack[--tsp];
					comp[w] = nc;
				} while (w != v);
				nc++;
			}
			csp--;
			if (csp) {
				uint32_t u = cnode[csp - 1];
				if (low[v] < low[u])
					low[u] = low[v];
			}
		}
	}
	*ncomp = nc;
	free(index), free(low), free(tstack), free(cnode), free(cedge);
	return 0;
}
