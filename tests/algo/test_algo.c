/*
 * test_algo.c - SCC, dominators, retained sizes and tiered BFS checked
 * against brute force on many small random graphs, and run on
 * 10-million-node chains and cycles (no recursion may blow the stack).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domtree.h"
#include "paths.h"
#include "scc.h"

typedef struct {
	gl_csr fwd, rev;
	uint64_t *off, *roff;
	uint32_t *adj, *radj;
} graph;

static uint64_t rng_state;
static uint32_t rnd(uint32_t bound)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % bound);
}

/* Builds both CSRs from an edge list (src[i] -> dst[i]). */
static void graph_build(graph *g, uint32_t n, const uint32_t *src, const uint32_t *dst, uint64_t m)
{
	g->off = calloc((size_t)n + 1, sizeof *g->off);
	g->roff = calloc((size_t)n + 1, sizeof *g->roff);
	g->adj = malloc((m ? m : 1) * sizeof *g->adj);
	g->radj = malloc((m ? m : 1) * sizeof *g->radj);
	assert_non_null(g->off);
	assert_non_null(g->roff);
	assert_non_null(g->adj);
	assert_non_null(g->radj);
	for (uint64_t i = 0; i < m; i++) {
		g->off[src[i] + 1]++;
		g->roff[dst[i] + 1]++;
	}
	for (uint32_t v = 0; v < n; v++) {
		g->off[v + 1] += g->off[v];
		g->roff[v + 1] += g->roff[v];
	}
	uint64_t *c1 = malloc(((size_t)n + 1) * sizeof *c1), *c2 = malloc(((size_t)n + 1) * sizeof *c2);
	memcpy(c1, g->off, ((size_t)n + 1) * sizeof *c1);
	memcpy(c2, g->roff, ((size_t)n + 1) * sizeof *c2);
	for (uint64_t i = 0; i < m; i++) {
		g->adj[c1[src[i]]++] = dst[i];
		g->radj[c2[dst[i]]++] = src[i];
	}
	free(c1), free(c2);
	g->fwd = (gl_csr){n, g->off, g->adj};
	g->rev = (gl_csr){n, g->roff, g->radj};
}

static void graph_free(graph *g)
{
	free(g->off), free(g->roff), free(g->adj), free(g->radj);
}

/* reach[v] = 1 for nodes reachable from `from` (not through `skip`). */
static void closure(const graph *g, const unsigned char *from, uint32_t skip, unsigned char *reach)
{
	uint32_t n = g->fwd.n;
	uint32_t *q = malloc(((size_t)n + 1) * sizeof *q);
	uint32_t h = 0, t = 0;
	memset(reach, 0, n);
	for (uint32_t v = 0; v < n; v++)
		if (from[v] && v != skip) {
			reach[v] = 1;
			q[t++] = v;
		}
	while (h < t) {
		uint32_t v = q[h++];
		for (uint64_t e = g->off[v]; e < g->off[v + 1]; e++) {
			uint32_t w = g->adj[e];
			if (w != skip && !reach[w]) {
				reach[w] = 1;
				q[t++] = w;
			}
		}
	}
	free(q);
}

static void random_graph(graph *g, uint32_t n, uint32_t m)
{
	uint32_t *s = malloc((m ? m : 1) * sizeof *s), *d = malloc((m ? m : 1) * sizeof *d);
	for (uint32_t i = 0; i < m; i++) {
		s[i] = rnd(n);
		d[i] = rnd(n);
	}
	graph_build(g, n, s, d, m);
	free(s), free(d);
}

static void test_scc_random(void **state)
{
	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 300; iter++) {
		uint32_t n = 1 + rnd(30), m = rnd(3 * n + 1);
		graph g;
		random_graph(&g, n, m);
		uint32_t *comp = malloc(n * sizeof *comp), nc = 0;
		assert_int_equal(gl_scc(&g.fwd, comp, &nc), 0);
		unsigned char *reach = malloc((size_t)n * n), *from = calloc(n, 1);
		for (uint32_t v = 0; v < n; v++) {
			memset(from, 0, n);
			from[v] = 1;
			closure(&g, from, GL_NONE, reach + (size_t)v * n);
		}
		for (uint32_t u = 0; u < n; u++) {
			assert_true(comp[u] < nc);
			for (uint32_t v = 0; v < n; v++) {
				int same = reach[(size_t)u * n + v] && reach[(size_t)v * n + u];
				assert_int_equal(same, comp[u] == comp[v]);
				/* reverse topological numbering */
				if (reach[(size_t)u * n + v] && comp[u] != comp[v])
					assert_true(comp[u] > comp[v]);
			}
		}
		free(comp), free(reach), free(from);
		graph_free(&g);
	}
}

static void test_domtree_random(void **state)
{
	(void)state;
	rng_state = 0x1234567887654321ull;
	for (int iter = 0; iter < 400; iter++) {
		uint32_t n = 1 + rnd(25), m = rnd(2 * n + 2);
		graph g;
		random_graph(&g, n, m);
		uint32_t nroots = rnd(3) + (n > 3 ? 0 : 1);
		uint32_t roots[4];
		for (uint32_t i = 0; i < nroots; i++)
			roots[i] = rnd(n);
		gl_domtree dt;
		assert_int_equal(gl_domtree_build(&dt, &g.fwd, &g.rev, roots, nroots), 0);

		/* the virtual root's children, as the algorithm defines them */
		unsigned char *vchild = calloc(n, 1), *reach = malloc(n), *r2 = malloc(n);
		for (uint32_t i = 0; i < nroots; i++)
			vchild[roots[i]] = 1;
		closure(&g, vchild, GL_NONE, reach);
		for (uint32_t k = 0; k < n; k++) {
			/* simple leaves (no edge out, one in, not a root) hang
			 * from their referrer and are never attached */
			int leaf = !vchild[k] && g.off[k] == g.off[k + 1] && g.roff[k + 1] - g.roff[k] == 1;
			if (reach[k] || leaf)
				continue;
			vchild[k] = 1;
			closure(&g, vchild, GL_NONE, reach);
		}
		/* dom[d][v]: d dominates v (d != v); d == n is the virtual root */
		unsigned char *dom = calloc((size_t)(n + 1) * n, 1);
		for (uint32_t d = 0; d < n; d++) {
			closure(&g, vchild, d, r2);
			for (uint32_t v = 0; v < n; v++)
				dom[(size_t)d * n + v] = (v != d && !r2[v]);
		}
		uint64_t size[32], retained[33];
		for (uint32_t v = 0; v < n; v++)
			size[v] = 1 + rnd(100);
		gl_domtree_retained(&dt, size, retained);
		assert_int_equal(dt.idom[n], n);
		assert_int_equal(dt.order[0], n);
		for (uint32_t v = 0; v < n; v++) {
			uint32_t id = dt.idom[v];
			assert_true(id <= n && id != v);
			if (id < n) {
				assert_true(dom[(size_t)id * n + v]);
				/* every other dominator of v dominates idom(v) */
				for (uint32_t d = 0; d < n; d++)
					if (d != id && dom[(size_t)d * n + v])
						assert_true(dom[(size_t)d * n + id]);
			} else {
				for (uint32_t d = 0; d < n; d++)
					assert_false(dom[(size_t)d * n + v]);
			}
			uint64_t want = size[v];
			for (uint32_t w = 0; w < n; w++)
				if (dom[(size_t)v * n + w])
					want += size[w];
			assert_int_equal(retained[v], want);
		}
		uint32_t *koff;
		uint32_t *kids;
		assert_int_equal(gl_domtree_children(&dt, &koff, &kids), 0);
		assert_int_equal(koff[n + 1], n);
		for (uint32_t p = 0; p <= n; p++)
			for (uint64_t i = koff[p]; i < koff[p + 1]; i++)
				assert_int_equal(dt.idom[kids[i]], p);
		free(koff), free(kids);
		free(vchild), free(reach), free(r2), free(dom);
		gl_domtree_free(&dt);
		graph_free(&g);
	}
}

static void test_bfs_tiers_random(void **state)
{
	(void)state;
	rng_state = 0xdeadbeefcafef00dull;
	for (int iter = 0; iter < 300; iter++) {
		uint32_t n = 1 + rnd(40), m = rnd(2 * n + 2);
		graph g;
		random_graph(&g, n, m);
		uint32_t t0[3], t1[3];
		for (int i = 0; i < 3; i++) {
			t0[i] = rnd(n);
			t1[i] = rnd(n);
		}
		gl_bfs_tier tiers[2] = {{t0, 1 + rnd(3)}, {t1, rnd(4)}};
		uint32_t *parent = malloc(n * 4), *tier = malloc(n * 4), *dist = malloc(n * 4);
		uint32_t *pedge = malloc(n * 4);
		int64_t reached = gl_bfs_tiers(&g.fwd, tiers, 2, parent, pedge, tier, dist);
		assert_true(reached >= 1);
		/* brute-force distances from tier 0 */
		unsigned char *from = calloc(n, 1), *r = malloc(n);
		for (uint32_t i = 0; i < tiers[0].n; i++)
			from[t0[i]] = 1;
		closure(&g, from, GL_NONE, r);
		int64_t count = 0;
		for (uint32_t v = 0; v < n; v++) {
			if (r[v])
				assert_int_equal(tier[v], 0);
			if (tier[v] == GL_NONE) {
				assert_int_equal(parent[v], GL_NONE);
				continue;
			}
			count++;
			/* the chain is made of real edges and is dist long */
			uint32_t steps = 0, x = v;
			while (parent[x] != GL_NONE) {
				assert_int_equal(g.adj[pedge[x]], x);
				assert_true(pedge[x] >= g.off[parent[x]] && pedge[x] < g.off[parent[x] + 1]);
				assert_int_equal(tier[parent[x]], tier[v]);
				x = parent[x];
				steps++;
			}
			assert_int_equal(steps, dist[v]);
			/* shortest: no edge u -> v with dist[u] + 1 < dist[v] in the same tier */
			for (uint32_t u = 0; u < n; u++)
				for (uint64_t e = g.off[u]; e < g.off[u + 1]; e++)
					if (g.adj[e] == v && tier[u] == tier[v])
						assert_true(dist[u] + 1 >= dist[v]);
		}
		assert_int_equal(count, reached);
		free(parent), free(tier), free(dist), free(pedge), free(from), free(r);
		graph_free(&g);
	}
}

/* Held-back edges are used only when nothing else reaches a node, and
 * never change what is reached. */
static void test_bfs_deferred(void **state)
{
	(void)state;
	/* 0 -> 1 (held back), 0 -> 2 -> 3 -> 1, 0 -> 4 (held back, the only way) */
	uint32_t src[] = {0, 0, 2, 3, 0}, dst[] = {1, 2, 3, 1, 4};
	graph g;
	graph_build(&g, 5, src, dst, 5);
	uint8_t deferred[5] = {0};
	for (uint64_t e = g.off[0]; e < g.off[1]; e++)
		deferred[e] = g.adj[e] == 1 || g.adj[e] == 4;
	uint32_t root = 0, parent[5], dist[5], tier[5];
	uint32_t pedge[5];
	gl_bfs_tier t = {&root, 1};
	assert_int_equal(gl_bfs_tiers_deferred(&g.fwd, &t, 1, deferred, parent, pedge, tier, dist), 5);
	assert_int_equal(parent[1], 3);
	assert_int_equal(dist[1], 3);
	assert_int_equal(parent[4], 0);
	assert_int_equal(dist[4], 1);
	assert_true(deferred[pedge[4]]);
	graph_free(&g);

	/* random graphs: the same nodes are reached with and without */
	rng_state = 0x5eed5eed5eedull;
	for (int iter = 0; iter < 200; iter++) {
		uint32_t n = 1 + rnd(30), m = rnd(3 * n + 1);
		random_graph(&g, n, m);
		uint8_t *def = malloc(m ? m : 1);
		for (uint32_t e = 0; e < m; e++)
			def[e] = rnd(3) == 0;
		uint32_t r0[2] = {rnd(n), rnd(n)}, r1 = rnd(n);
		gl_bfs_tier tiers[2] = {{r0, 2}, {&r1, 1}};
		uint32_t *p1 = malloc(n * 4), *p2 = malloc(n * 4), *t1 = malloc(n * 4), *t2 = malloc(n * 4);
		int64_t a = gl_bfs_tiers(&g.fwd, tiers, 2, p1, NULL, t1, NULL);
		int64_t b = gl_bfs_tiers_deferred(&g.fwd, tiers, 2, def, p2, NULL, t2, NULL);
		assert_int_equal(a, b);
		for (uint32_t v = 0; v < n; v++)
			assert_int_equal(t1[v], t2[v]);
		free(def), free(p1), free(p2), free(t1), free(t2);
		graph_free(&g);
	}
}

#define BIG 10000000u

/* 0 -> 1 -> ... -> n-1, optionally closed into a cycle */
static void chain(graph *g, uint32_t n, int cycle)
{
	uint64_t m = cycle ? n : n - 1;
	uint32_t *s = malloc(m * sizeof *s), *d = malloc(m * sizeof *d);
	for (uint64_t i = 0; i < m; i++) {
		s[i] = (uint32_t)i;
		d[i] = (uint32_t)((i + 1) % n);
	}
	graph_build(g, n, s, d, m);
	free(s), free(d);
}

static void test_ten_million_chain(void **state)
{
	(void)state;
	graph g;
	chain(&g, BIG, 0);
	uint32_t *comp = malloc(BIG * sizeof *comp), nc;
	assert_int_equal(gl_scc(&g.fwd, comp, &nc), 0);
	assert_int_equal(nc, BIG);
	free(comp);
	uint32_t root = 0;
	gl_domtree dt;
	assert_int_equal(gl_domtree_build(&dt, &g.fwd, &g.rev, &root, 1), 0);
	for (uint32_t v = 1; v < BIG; v += 9973)
		assert_int_equal(dt.idom[v], v - 1);
	uint64_t *size = malloc(BIG * sizeof *size), *ret = malloc(((size_t)BIG + 1) * sizeof *ret);
	for (uint32_t v = 0; v < BIG; v++)
		size[v] = 16;
	gl_domtree_retained(&dt, size, ret);
	assert_int_equal(ret[0], 16ull * BIG);
	assert_int_equal(ret[BIG - 1], 16);
	gl_domtree_free(&dt);
	uint32_t *parent = malloc(BIG * 4), *dist = malloc(BIG * 4);
	gl_bfs_tier t = {&root, 1};
	assert_int_equal(gl_bfs_tiers(&g.fwd, &t, 1, parent, NULL, NULL, dist), BIG);
	assert_int_equal(dist[BIG - 1], BIG - 1);
	free(parent), free(dist), free(size), free(ret);
	graph_free(&g);
}

static void test_ten_million_cycle_unrooted(void **state)
{
	(void)state;
	graph g;
	chain(&g, BIG, 1);
	uint32_t *comp = malloc(BIG * sizeof *comp), nc;
	assert_int_equal(gl_scc(&g.fwd, comp, &nc), 0);
	assert_int_equal(nc, 1);
	free(comp);
	/* no roots: cyclic garbage, attached to the virtual root at node 0 */
	gl_domtree dt;
	assert_int_equal(gl_domtree_build(&dt, &g.fwd, &g.rev, NULL, 0), 0);
	assert_int_equal(dt.n_unreached, 1);
	assert_int_equal(dt.idom[0], BIG);
	assert_int_equal(dt.idom[BIG - 1], BIG - 2);
	gl_domtree_free(&dt);
	graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scc_random),
		cmocka_unit_test(test_domtree_random),
		cmocka_unit_test(test_bfs_tiers_random),
		cmocka_unit_test(test_bfs_deferred),
		cmocka_unit_test(test_ten_million_chain),
		cmocka_unit_test(test_ten_million_cycle_unrooted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
