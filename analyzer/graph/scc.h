/*
 * scc.h - strongly connected components (iterative Tarjan).
 */
#ifndef GRAPHLEAK_SCC_H
#define GRAPHLEAK_SCC_H

#include <stdint.h>

#include "csr.h"

/*
 * Labels every node of g with its component: comp[v] in 0..*ncomp-1
 * (comp has g->n entries, allocated by the caller). Components come out in
 * reverse topological order, as Tarjan's algorithm finds them: a component's
 * successors have smaller numbers. Uses O(n) extra memory and an explicit
 * stack, so path-shaped graphs of any length are fine.
 * Returns 0, or -1 if memory ran out (comp is then unspecified).
 */
int gl_scc(const gl_csr *g, uint32_t *comp, uint32_t *ncomp);

#endif /* GRAPHLEAK_SCC_H */
