/*
 * domtree.c - dominators by semi-NCA, with no recursion.
 *
 * Nodes are renumbered by DFS preorder from the virtual root, 1-based
 * (0 means "none"). For the node with preorder number w:
 *   semi[w]  its semidominator's number: the smallest v from which a path
 *            to w runs through nodes numbered above w only;
 *   parent[w] its DFS tree parent.
 * Semidominators are computed in reverse preorder with the link-eval forest
 * of Lengauer and Tarjan (ancestor[], label[]; simple path compression);
 * then each idom is the nearest common ancestor of parent[w] and semi[w] in
 * the partial dominator tree, found by climbing from parent[w] while the
 * number exceeds semi[w] (the "NCA" step), in preorder so that every
 * ancestor's idom is final before it is used.
 */
#include "domtree.h"

#include <stdlib.h>
#include <string.h>

/* The vertex with the smallest semi on the forest path above v (v's own
 * number if v is a forest root), compressing the path as it goes. */
static uint32_t eval(uint32_t v, uint32_t *ancestor, uint32_t *label,
		     const uint32_t *semi, uint32_t *stack)
{
	if (ancestor[v] == 0)
		return v;
	uint32_t sp = 0, x = v;
	while (ancestor[ancestor[x]] != 0) {
		stack[sp++] = x;
		x = ancestor[x];
	}
	while (sp) {
		uint32_t y = stack[--sp];
		uint32_t a = ancestor[y];
		if (semi[label[a]] < semi[label[y]])
			label[y] = label[a];
		ancestor[y] = ancestor[a];
	}
	return label[v];
}

int gl_domtree_build(gl_domtree *dt, const gl_csr *g, const gl_csr *rg,
		     const uint32_t *roots, uint32_t nroots)
{
	memset(dt, 0, sizeof *dt);
	uint32_t n = g->n;
	uint32_t N = n + 1; /* nodes including the virtual root */
	size_t cells = (size_t)N + 1;
	uint32_t *pre = calloc(N, sizeof *pre);         /* node -> number */
	uint32_t *vertex = malloc(cells * sizeof *vertex); /* number -> node */
	uint32_t *parent = malloc(cells * sizeof *parent);
	uint32_t *semi = malloc(cells * sizeof *semi);
	uint32_t *label = malloc(cells * sizeof *label);
	uint32_t *ancestor = calloc(cells, sizeof *ancestor);
	uint32_t *idom = malloc(cells * sizeof *idom);
	uint32_t *stack = malloc(cells * sizeof *stack);
	uint64_t *epos = malloc(cells * sizeof *epos);
	unsigned char *from_root = calloc(N, 1); /* has the edge vroot -> v */
	dt->idom = malloc(cells * sizeof *dt->idom);
	dt->order = malloc(cells * sizeof *dt->order);
	int rc = -1;
	if (!pre || !vertex || !parent || !semi || !label || !ancestor || !idom ||
	    !stack || !epos || !from_root || !dt->idom || !dt->order)
		goto done;

	/* DFS preorder. The virtual root is number 1. */
	uint32_t num = 1;
	pre[n] = 1;
	vertex[1] = n;
	parent[1] = 0;
	for (uint32_t i = 0; i < nroots; i++)
		from_root[roots[i]] = 1;
	for (uint64_t k = 0; k < (uint64_t)nroots + n; k++) {
		uint32_t s = k < nroots ? roots[k] : (uint32_t)(k - nroots);
		if (pre[s])
			continue;
		if (k >= nroots) {
			from_root[s] = 1;
			dt->n_unreached++;
		}
		pre[s] = ++num;
		vertex[num] = s;
		parent[num] = 1;
		uint32_t sp = 0;
		stack[sp] = s;
		epos[sp] = g->off[s];
		sp++;
		while (sp) {
			uint32_t v = stack[sp - 1];
			uint64_t e = epos[sp - 1];
			if (e == g->off[v + 1]) {
				sp--;
				continue;
			}
			epos[sp - 1] = e + 1;
			uint32_t w = g->adj[e];
			if (pre[w])
				continue;
			pre[w] = ++num;
			vertex[num] = w;
			parent[num] = pre[v];
			stack[sp] = w;
			epos[sp] = g->off[w];
			sp++;
		}
	}
	/* num == N: every node has a number */

	for (uint32_t i = 1; i <= N; i++) {
		semi[i] = i;
		label[i] = i;
	}
	for (uint32_t w = N; w >= 2; w--) {
		uint32_t node = vertex[w];
		uint32_t s = semi[w];
		if (from_root[node])
			s = 1; /* the virtual root is a predecessor, numbered 1 */
		for (uint64_t e = rg->off[node]; e < rg->off[node + 1]; e++) {
			uint32_t u = eval(pre[rg->adj[e]], ancestor, label, semi, stack);
			if (semi[u] < s)
				s = semi[u];
		}
		semi[w] = s;
		ancestor[w] = parent[w]; /* link */
	}
	idom[1] = 1;
	for (uint32_t w = 2; w <= N; w++) {
		uint32_t d = parent[w];
		while (d > semi[w])
			d = idom[d];
		idom[w] = d;
	}

	dt->n = n;
	for (uint32_t w = 1; w <= N; w++) {
		dt->idom[vertex[w]] = vertex[idom[w]];
		dt->order[w - 1] = vertex[w];
	}
	rc = 0;
done:
	free(pre), free(vertex), free(parent), free(semi), free(label);
	free(ancestor), free(idom), free(stack), free(epos), free(from_root);
	if (rc < 0)
		gl_domtree_free(dt);
	return rc;
}

void gl_domtree_retained(const gl_domtree *dt, const uint64_t *size, uint64_t *retained)
{
	uint32_t n = dt->n;
	for (uint32_t v = 0; v < n; v++)
		retained[v] = size[v];
	retained[n] = 0;
	for (uint32_t k = n; k >= 1; k--) {
		uint32_t v = dt->order[k];
		retained[dt->idom[v]] += retained[v];
	}
}

int gl_domtree_children(const gl_domtree *dt, uint64_t **koff, uint32_t **kids)
{
	uint32_t n = dt->n;
	uint64_t *off = calloc((size_t)n + 2, sizeof *off);
	uint32_t *k = malloc(((size_t)n ? n : 1) * sizeof *k);
	if (!off || !k) {
		free(off), free(k);
		return -1;
	}
	for (uint32_t v = 0; v < n; v++)
		off[dt->idom[v] + 1]++;
	for (uint32_t v = 0; v <= n; v++)
		off[v + 1] += off[v];
	/* fill in preorder, using off[v] as a cursor, then shift back */
	for (uint32_t i = 1; i <= n; i++) {
		uint32_t v = dt->order[i];
		k[off[dt->idom[v]]++] = v;
	}
	for (uint32_t v = n + 1; v > 0; v--)
		off[v] = off[v - 1];
	off[0] = 0;
	*koff = off;
	*kids = k;
	return 0;
}

void gl_domtree_free(gl_domtree *dt)
{
	free(dt->idom);
	free(dt->order);
	memset(dt, 0, sizeof *dt);
}
