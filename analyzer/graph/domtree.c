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

#include "vec.h"

/* Per preorder number: the link-eval forest and DFS tree, together so that
 * one cache line serves a node (the loops below jump around the graph). */
typedef struct {
	uint32_t semi;     /* semidominator's number */
	uint32_t label;    /* vertex with the smallest semi on the forest path */
	uint32_t ancestor; /* forest parent; 0 for a forest root */
	uint32_t parent;   /* DFS tree parent */
} dnode;

typedef gl_vec(uint32_t) u32stack;

/* The vertex with the smallest semi on the forest path above v (v itself if
 * v is a forest root), compressing the path as it goes; *stack grows as the
 * path needs (paths are short once compressed). GL_NONE if out of memory. */
static uint32_t eval(uint32_t v, dnode *nd, u32stack *st)
{
	if (nd[v].ancestor == 0)
		return v;
	uint32_t *stack;
	size_t sp = 0;
	uint32_t x = v;
	while (nd[nd[x].ancestor].ancestor != 0) {
		if (gl_vec_push(st, x) < 0)
			return GL_NONE;
		x = nd[x].ancestor;
	}
	stack = st->v;
	sp = st->n;
	st->n = 0;
	while (sp) {
		uint32_t y = stack[--sp];
		uint32_t a = nd[y].ancestor;
		if (nd[nd[a].label].semi < nd[nd[y].label].semi)
			nd[y].label = nd[a].label;
		nd[y].ancestor = nd[a].ancestor;
	}
	return nd[v].label;
}

int gl_domtree_build(gl_domtree *dt, const gl_csr *g, const gl_csr *rg,
		     const uint32_t *roots, uint32_t nroots)
{
	memset(dt, 0, sizeof *dt);
	uint32_t n = g->n;
	uint32_t N = n + 1; /* nodes including the virtual root */
	size_t cells = (size_t)N + 1;
	uint32_t *pre = calloc(N, sizeof *pre);            /* node -> number */
	uint32_t *vertex = malloc(cells * sizeof *vertex); /* number -> node */
	dnode *nd = calloc(cells, sizeof *nd);
	uint32_t *idom = malloc(cells * sizeof *idom);
	/* the DFS stack and the compression stack grow as deep as the graph
	 * needs: rarely deep, but a 10-million-long chain must work */
	typedef struct {
		uint32_t v;
		uint64_t e;
	} frame;
	gl_vec(frame) dfs = {0};
	u32stack cst = {0};
	unsigned char *from_root = calloc(N, 1); /* has the edge vroot -> v */
	dt->idom = malloc(cells * sizeof *dt->idom);
	dt->order = malloc(cells * sizeof *dt->order);
	int rc = -1;
	if (!pre || !vertex || !nd || !idom || !from_root || !dt->idom || !dt->order)
		goto done;

	/* DFS preorder. The virtual root is number 1. */
	uint32_t num = 1;
	pre[n] = 1;
	vertex[1] = n;
	nd[1].parent = 0;
	for (uint32_t i = 0; i < nroots; i++)
		from_root[roots[i]] = 1;
	/* Simple leaves: no references out, exactly one in, not a root. Such a
	 * node lies on no other node's path, and its only predecessor is its
	 * immediate dominator; it is left out of the DFS and the semidominator
	 * pass (about half a heap's nodes: str, int, bytes held by one
	 * container) and attached at the end. from_root[v] == 2 marks them. */
	uint32_t n_leaves = 0;
	for (uint32_t v = 0; v < n; v++) {
		if (!from_root[v] && g->off[v] == g->off[v + 1] && rg->off[v + 1] - rg->off[v] == 1) {
			from_root[v] = 2;
			n_leaves++;
		}
	}
	for (uint64_t k = 0; k < (uint64_t)nroots + n; k++) {
		uint32_t s = k < nroots ? roots[k] : (uint32_t)(k - nroots);
		if (pre[s] || from_root[s] == 2)
			continue;
		if (k >= nroots) {
			from_root[s] = 1;
			dt->n_unreached++;
		}
		pre[s] = ++num;
		vertex[num] = s;
		nd[num].parent = 1;
		dfs.n = 0;
		if (gl_vec_push(&dfs, ((frame){s, g->off[s]})) < 0)
			goto done;
		while (dfs.n) {
			frame *f = &dfs.v[dfs.n - 1];
			uint32_t v = f->v;
			uint64_t e = f->e;
			if (e == g->off[v + 1]) {
				dfs.n--;
				continue;
			}
			f->e = e + 1;
			uint32_t w = g->adj[e];
			if (pre[w] || from_root[w] == 2)
				continue;
			pre[w] = ++num;
			vertex[num] = w;
			nd[num].parent = pre[v];
			if (gl_vec_push(&dfs, ((frame){w, g->off[w]})) < 0)
				goto done;
		}
	}
	/* every node but the simple leaves has a number: num == N - n_leaves */
	uint32_t M = num;

	for (uint32_t i = 1; i <= M; i++) {
		nd[i].semi = i;
		nd[i].label = i;
	}
	for (uint32_t w = M; w >= 2; w--) {
		uint32_t node = vertex[w];
		uint32_t s = nd[w].semi;
		if (from_root[node] == 1)
			s = 1; /* the virtual root is a predecessor, numbered 1 */
		for (uint64_t e = rg->off[node]; e < rg->off[node + 1]; e++) {
			uint32_t v = pre[rg->adj[e]];
			if (v < w) {
				/* not processed yet, so not linked: eval(v) is v and
				 * semi[v] is v */
				if (v < s)
					s = v;
				continue;
			}
			uint32_t u = eval(v, nd, &cst);
			if (u == GL_NONE)
				goto done;
			if (nd[u].semi < s)
				s = nd[u].semi;
		}
		nd[w].semi = s;
		nd[w].ancestor = nd[w].parent; /* link */
	}
	idom[1] = 1;
	for (uint32_t w = 2; w <= M; w++) {
		uint32_t d = nd[w].parent;
		while (d > nd[w].semi)
			d = idom[d];
		idom[w] = d;
	}

	dt->n = n;
	for (uint32_t w = 1; w <= M; w++) {
		dt->idom[vertex[w]] = vertex[idom[w]];
		dt->order[w - 1] = vertex[w];
	}
	/* the simple leaves, after everything else (their dominators come
	 * earlier in `order`, as the contract requires) */
	uint32_t k = M;
	for (uint32_t v = 0; v < n && n_leaves; v++) {
		if (from_root[v] != 2)
			continue;
		dt->idom[v] = rg->adj[rg->off[v]];
		dt->order[k++] = v;
	}
	rc = 0;
done:
	free(pre), free(vertex), free(nd), free(idom), free(from_root);
	gl_vec_free(&dfs);
	gl_vec_free(&cst);
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

int gl_domtree_children(const gl_domtree *dt, uint32_t **koff, uint32_t **kids)
{
	uint32_t n = dt->n;
	uint32_t *off = calloc((size_t)n + 2, sizeof *off);
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
