/*
 * domtree.h - the dominator tree of the heap graph, and retained sizes.
 *
 * A virtual root (node id n) stands for "outside the heap". Its children are
 * the given roots (objects held from outside: external references, named
 * roots) and then, so that every object has a dominator, each object that
 * those roots do not reach (cyclic garbage, in id order), except simple
 * leaves (no references out, exactly one in), which always hang from their
 * one referrer. An object's
 * immediate dominator is the closest object through which every chain from
 * the virtual root passes; its retained size is what would be freed if it
 * alone went away: the sum of sizes in its dominator subtree.
 */
#ifndef GRAPHLEAK_DOMTREE_H
#define GRAPHLEAK_DOMTREE_H

#include <stdint.h>

#include "csr.h"

typedef struct gl_domtree {
	uint32_t n;       /* objects; the virtual root is node n */
	uint32_t *idom;   /* n + 1 entries: immediate dominator; idom[n] == n */
	uint32_t *order;  /* n + 1 entries, order[0] == n: DFS preorder of all
	                   * but the simple leaves, then those; a node always
	                   * comes after its immediate dominator. Needed by
	                   * gl_domtree_retained and gl_domtree_children only:
	                   * the caller may free it (and set it NULL) after */
	uint32_t n_unreached; /* objects the roots did not reach (attached to
	                       * the virtual root afterwards) */
} gl_domtree;

/*
 * Builds the dominator tree of g (forward edges) whose reverse is rg (same
 * n), from roots[0..nroots-1] (ids < n, duplicates allowed). Semi-NCA
 * (Georgiadis, Tarjan, Werneck), with an explicit DFS stack and iterative
 * path compression: no recursion, O(m log n) time, about 40 bytes of
 * temporary memory per node. On success fills *dt (owned by the caller:
 * release with gl_domtree_free) and returns 0; returns -1 if memory ran out,
 * leaving *dt empty.
 */
int gl_domtree_build(gl_domtree *dt, const gl_csr *g, const gl_csr *rg,
		     const uint32_t *roots, uint32_t nroots);

/*
 * Retained sizes: retained[v] = sum of size[] over v's dominator subtree,
 * for v in 0..n (retained[n], the virtual root, is the heap total).
 * `retained` has n + 1 entries, allocated by the caller.
 */
void gl_domtree_retained(const gl_domtree *dt, const uint64_t *size, uint64_t *retained);

/*
 * The tree's children lists in CSR form: children of v are
 * kids[koff[v] .. koff[v+1]-1], v in 0..n, in preorder. *koff (n + 2
 * entries) and *kids (n entries) are allocated here and owned by the
 * caller (free()). Returns 0, or -1 if memory ran out.
 */
int gl_domtree_children(const gl_domtree *dt, uint32_t **koff, uint32_t **kids);

/* Releases what gl_domtree_build allocated; leaves *dt empty. */
void gl_domtree_free(gl_domtree *dt);

#endif /* GRAPHLEAK_DOMTREE_H */
