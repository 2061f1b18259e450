/*
 * subgraph.c - the piece of the heap a picture shows. See subgraph.h.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "subgraph.h"

#include "holders.h"
#include "vec.h"

#include <stdlib.h>
#include <string.h>

/* References drawn per object with --refs; the rest are folded. */
#define REFS_PER_NODE 10
/* Folded groups per object with --refs before one mixed group. */
#define REFS_GROUPS 3
/* Targets drawn per direct retainer with --backrefs. */
#define BACKREFS_PER_PARENT 3
/* Cycles of each kind, and members per cycle, with --cycles. */
#define CYCLES_PER_KIND 4
#define CYCLE_MEMBERS 12
/* holders drawn for each growing container */
#define GROWTH_HOLDERS 3
/* Dominated objects drawn per suspect. */
#define SUSPECT_KIDS 3

/* ---- id -> index map (open addressing, linear probing) ---------------- */

typedef struct idmap {
	uint32_t *key, *val;
	size_t cap, n;
} idmap;

static size_t slot_of(uint32_t id, size_t cap)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static uint32_t idmap_get(const idmap *m, uint32_t id)
{
	if (!m->cap)
		return GL_NONE;
	for (size_t i = slot_of(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->key[i] == id)
			return m->val[i];
		if (m->key[i] == GL_NONE)
			return GL_NONE;
	}
}

/* Stores id -> val (id != GL_NONE), replacing. 0 or -1 (out of memory). */
static int idmap_put(idmap *m, uint32_t id, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint32_t *k = gl_alloc_array(cap, sizeof *k), *v = gl_alloc_array(cap, sizeof *v);
		if (!k || !v) {
			free(k), free(v);
			return -1;
		}
		memset(k, 0xff, cap * sizeof *k);
		for (size_t i = 0; i < m->cap; i++) {
			if (m->key[i] == GL_NONE)
				continue;
			size_t j = slot_of(m->key[i], cap);
			while (k[j] != GL_NONE)
				j = (j + 1) & (cap - 1);
			k[j] = m->key[i];
			v[j] = m->val[i];
		}
		free(m->key), free(m->val);
		m->key = k, m->val = v, m->cap = cap;
	}
	size_t i = slot_of(id, m->cap);
	while (m->key[i] != GL_NONE && m->key[i] != id)
		i = (i + 1) & (m->cap - 1);
	if (m->key[i] == GL_NONE)
		m->n++;
	m->key[i] = id;
	m->val[i] = val;
	return 0;
}

static void idmap_free(idmap *m)
{
	free(m->key), free(m->val);
	memset(m, 0, sizeof *m);
}

/* ---- the subgraph ------------------------------------------------------ */

void gl_sg_init(gl_subgraph *g)
{
	memset(g, 0, sizeof *g);
}

void gl_sg_free(gl_subgraph *g)
{
	for (size_t i = 0; i < g->holders.n; i++)
		free(g->holders.v[i].text);
	for (size_t i = 0; i < g->growth.n; i++)
		free(g->growth.v[i].holder);
	gl_vec_free(&g->nodes);
	gl_vec_free(&g->edges);
	gl_vec_free(&g->more);
	gl_vec_free(&g->clusters);
	gl_vec_free(&g->holders);
	gl_vec_free(&g->suspects);
	gl_vec_free(&g->growth);
	free(g->map_key), free(g->map_val);
	gl_sg_init(g);
}

static idmap map_of(const gl_subgraph *g)
{
	return (idmap){g->map_key, g->map_val, g->map_cap, g->map_n};
}

uint32_t gl_sg_find(const gl_subgraph *g, uint32_t id)
{
	idmap m = map_of(g);
	return idmap_get(&m, id);
}

uint32_t gl_sg_node_add(gl_subgraph *g, uint32_t id)
{
	uint32_t u = gl_sg_find(g, id);
	if (u != GL_NONE)
		return u;
	if (g->nodes.n >= GL_NONE - 1)
		return GL_NONE;
	gl_sg_node nd = {.id = id, .roles = 0, .cluster = GL_NONE, .holder = GL_NONE, .suspect = GL_NONE,
			  .growth = GL_NONE, .in = GL_NONE};
	if (gl_vec_push(&g->nodes, nd) < 0)
		return GL_NONE;
	idmap m = map_of(g);
	int rc = idmap_put(&m, id, (uint32_t)(g->nodes.n - 1));
	g->map_key = m.key, g->map_val = m.val, g->map_cap = m.cap, g->map_n = m.n;
	if (rc < 0) {
		g->nodes.n--;
		return GL_NONE;
	}
	return (uint32_t)(g->nodes.n - 1);
}

static int edge_add(gl_subgraph *g, uint32_t from, uint32_t to, unsigned kind, uint64_t e, uint64_t via,
		    uint32_t elided)
{
	gl_sg_edge ed = {from, to, kind, e, via, elided};
	return gl_vec_push(&g->edges, ed);
}

/* Marks finalizer and garbage roles on every node (after a builder). */
static void mark_roles(gl_subgraph *g, const gl_analysis *a)
{
	for (size_t i = 0; i < g->nodes.n; i++) {
		uint32_t id = g->nodes.v[i].id;
		if (a->s->flags[id] & (GL_OF_HAS_DEL | GL_OF_LEGACY_DEL))
			g->nodes.v[i].roles |= GL_SG_FINALIZER;
		if ((a->done & GL_AN_PATHS) && a->dist[id] == GL_NONE)
			g->nodes.v[i].roles |= GL_SG_GARBAGE;
	}
}

int gl_sg_add_path(gl_subgraph *g, const gl_analysis *a, const gl_path *p, size_t holder_at, gl_hold_kind kind,
		   const char *holder_text, uint32_t max_depth, uint32_t *node)
{
	gl_step *st = NULL;
	size_t ns = 0;
	uint8_t *keep = NULL;
	int rc = -1;
	if (!p->len)
		return 0;
	if (gl_chain_steps(a, p, &st, &ns) < 0)
		goto done;
	keep = calloc(ns, 1);
	if (!keep)
		goto done;
	/* the step that reaches the holder's object (or the first after it) */
	size_t hs = ns - 1;
	for (size_t i = 0; i < ns; i++)
		if (st[i].at >= holder_at) {
			hs = i;
			break;
		}
	for (size_t i = 0; i < ns; i++)
		keep[i] = max_depth == 0 || i == 0 || i == hs || i + max_depth >= ns - 1;
	uint32_t prev = GL_NONE;
	size_t prev_i = 0;
	for (size_t i = 0; i < ns; i++) {
		if (!keep[i])
			continue;
		uint32_t id = p->ids[st[i].at];
		uint32_t u = gl_sg_node_add(g, id);
		if (u == GL_NONE)
			goto done;
		if (prev != GL_NONE && g->nodes.v[u].in == GL_NONE && u != prev) {
			int r;
			if (prev_i + 1 == i) {
				uint64_t via = st[i].at - st[i - 1].at == 2 ? p->edges[st[i].at - 1] : GL_SG_NO_EDGE;
				r = edge_add(g, prev, u, GL_SG_E_REF, p->edges[st[i].at], via, 0);
			} else {
				r = edge_add(g, prev, u, GL_SG_E_ELIDED, GL_SG_NO_EDGE, GL_SG_NO_EDGE,
					     (uint32_t)(i - prev_i));
			}
			if (r < 0)
				goto done;
			g->nodes.v[u].in = (uint32_t)(g->edges.n - 1);
		}
		if (i == 0)
			g->nodes.v[u].roles |= GL_SG_ROOT;
		if (i == hs && holder_text && !(g->nodes.v[u].roles & GL_SG_HOLDER)) {
			gl_sg_holder ho = {u, kind, strdup(holder_text)};
			if (!ho.text || gl_vec_push(&g->holders, ho) < 0) {
				free(ho.text);
				goto done;
			}
			g->nodes.v[u].roles |= GL_SG_HOLDER;
			g->nodes.v[u].holder = (uint32_t)(g->holders.n - 1);
		}
		if (i == ns - 1 && node)
			*node = u;
		prev = u;
		prev_i = i;
	}
	rc = 0;
done:
	free(keep);
	gl_steps_free(st, ns);
	return rc;
}

/* An object no root reaches, alone, marked as garbage. */
static int add_garbage(gl_subgraph *g, uint32_t target, uint32_t *node)
{
	uint32_t u = gl_sg_node_add(g, target);
	if (u == GL_NONE)
		return -1;
	g->nodes.v[u].roles |= GL_SG_GARBAGE;
	if (node)
		*node = u;
	return 0;
}

/* Garbage: the target, the way round its cycle, and what refers to the
 * cycle from outside (at most CYCLE_MEMBERS of each), all marked garbage. */
static int add_cycle_of(gl_subgraph *g, const gl_analysis *a, uint32_t target, uint32_t *node)
{
	const gl_snap *s = a->s;
	gl_cycle_of c;
	if (add_garbage(g, target, node) < 0 || gl_cycle_of_find(a, target, &c) < 0)
		return -1;
	int rc = -1;
	uint32_t prev = gl_sg_find(g, target);
	for (size_t i = 1; i < c.n_loop && i <= CYCLE_MEMBERS; i++) {
		uint32_t u = gl_sg_node_add(g, c.loop[i]);
		if (u == GL_NONE || edge_add(g, prev, u, GL_SG_E_REF, c.loop_edges[i], GL_SG_NO_EDGE, 0) < 0)
			goto done;
		prev = u;
	}
	for (size_t i = 0; i < c.n_referrers && i < CYCLE_MEMBERS; i++) {
		uint32_t r = c.referrers[i];
		/* its first reference to a drawn object of the cycle */
		for (uint64_t e = s->out_off[r]; e < s->out_off[r + 1]; e++) {
			uint32_t to = gl_sg_find(g, s->out_dst[e]);
			if (to == GL_NONE)
				continue;
			uint32_t u = gl_sg_node_add(g, r);
			if (u == GL_NONE || edge_add(g, u, to, GL_SG_E_REF, e, GL_SG_NO_EDGE, 0) < 0)
				goto done;
			break;
		}
	}
	for (size_t i = 0; i < g->nodes.n; i++)
		if (a->dist[g->nodes.v[i].id] == GL_NONE)
			g->nodes.v[i].roles |= GL_SG_GARBAGE;
	rc = 0;
done:
	gl_cycle_of_free(&c);
	return rc;
}

int gl_sg_add_chain(gl_subgraph *g, const gl_analysis *a, uint32_t target, uint32_t max_depth,
		    uint32_t *node)
{
	gl_path p;
	gl_holder h;
	if (gl_chain(a, target, &p) < 0)
		return -1;
	if (!p.len)
		return add_garbage(g, target, node);
	int rc = -1;
	if (gl_holder_find(a, &p, &h) == 0) {
		rc = gl_sg_add_path(g, a, &p, h.at, h.kind, gl_sb_str(&h.text), max_depth, node);
		gl_holder_free(&h);
	}
	gl_path_free(&p);
	return rc;
}

int gl_sg_add_holders(gl_subgraph *g, const gl_analysis *a, uint32_t target, size_t max_holders,
		      uint32_t max_depth, uint32_t *node, size_t *nholders)
{
	gl_holds hs;
	gl_err err;
	gl_err_clear(&err);
	if (nholders)
		*nholders = 0;
	if (a->dist[target] == GL_NONE)
		return add_cycle_of(g, a, target, node);
	if (gl_holds_find(a, &target, 1, max_holders, &hs, &err) < 0)
		return -1;
	int rc = 0;
	size_t shown = max_holders && max_holders < hs.n ? max_holders : hs.n;
	for (size_t i = 0; i < shown && rc == 0; i++) {
		const gl_hold *o = &hs.v[i];
		rc = gl_sg_add_path(g, a, &o->chain, o->at, o->h.kind, gl_sb_str(&o->h.text), max_depth, node);
	}
	if (rc == 0 && !shown) /* only graphleak's own frames: its chain */
		rc = gl_sg_add_chain(g, a, target, max_depth, node);
	if (nholders)
		*nholders = hs.n;
	gl_holds_free(&hs);
	return rc;
}

/* ---- folding siblings -------------------------------------------------- */

typedef struct {
	uint32_t from, kind, type;
	uint64_t edge;
} sib;

static int cmp_sib(const void *x, const void *y)
{
	const sib *a = x, *b = y;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a->edge < b->edge ? -1 : a->edge > b->edge;
}

static int foldable_kind(unsigned k)
{
	return k == GL_EK_VALUE || k == GL_EK_INDEX || k == GL_EK_MEMBER || k == GL_EK_NONE;
}

static uint64_t retained_of(const gl_analysis *a, uint32_t id)
{
	return (a->done & GL_AN_DOM) ? a->retained[id] : 0;
}

int gl_sg_collapse_siblings(gl_subgraph *g, const gl_analysis *a)
{
	const gl_snap *s = a->s;
	gl_vec(sib) sibs = {0};
	for (size_t i = 0; i < g->edges.n; i++) {
		const gl_sg_edge *ed = &g->edges.v[i];
		if (ed->kind != GL_SG_E_REF || ed->via != GL_SG_NO_EDGE)
			continue;
		unsigned k = gl_edge_kind(s, (uint32_t)ed->edge);
		/* the other modules in sys.modules are no news */
		if (!foldable_kind(k) || g->nodes.v[ed->from].id == a->sys_modules)
			continue;
		sib x = {ed->from, k, s->type[g->nodes.v[ed->to].id], ed->edge};
		if (gl_vec_push(&sibs, x) < 0)
			goto oom;
	}
	if (sibs.n > 1)
		gl_sort(sibs.v, sibs.n, sizeof *sibs.v, cmp_sib);
	for (size_t i = 0; i < sibs.n;) {
		size_t j = i;
		while (j < sibs.n && sibs.v[j].from == sibs.v[i].from && sibs.v[j].kind == sibs.v[i].kind &&
		       sibs.v[j].type == sibs.v[i].type)
			j++;
		uint32_t p = g->nodes.v[sibs.v[i].from].id;
		gl_sg_more m = {sibs.v[i].from, sibs.v[i].kind, sibs.v[i].type, g->nodes.v[sibs.v[i].from].cluster,
				0, 0, 0, 0, 0};
		size_t d = i; /* drawn edges are sorted: walk them along */
		for (uint64_t e = s->out_off[p]; e < s->out_off[p + 1]; e++) {
			while (d < j && sibs.v[d].edge < e)
				d++;
			if (d < j && sibs.v[d].edge == e)
				continue;
			uint32_t dst = s->out_dst[e];
			if (gl_edge_kind(s, (uint32_t)e) != m.ekind || s->type[dst] != m.type)
				continue;
			m.count++;
			m.size += s->size[dst];
			m.retained += retained_of(a, dst);
		}
		if (m.count && gl_vec_push(&g->more, m) < 0)
			goto oom;
		i = j;
	}
	gl_vec_free(&sibs);
	return 0;
oom:
	gl_vec_free(&sibs);
	return -1;
}

/* ---- --backrefs -------------------------------------------------------- */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

int gl_sg_backrefs(gl_subgraph *g, const gl_analysis *a, const uint32_t *ids, size_t n,
		   size_t max_objects, uint32_t max_depth)
{
	const gl_snap *s = a->s;
	uint64_t *order = gl_alloc_array(n ? n : 1, sizeof *order);
	uint8_t *chosen = calloc(n ? n : 1, 1);
	idmap per_parent = {0};
	int rc = -1;
	if (!order || !chosen)
		goto done;
	memset(&g->stats, 0, sizeof g->stats);
	/* shortest chain first, ties by id; no chain (garbage) last */
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		uint64_t d = a->dist[id] == GL_NONE ? 0xffffffffull : a->dist[id];
		order[i] = d << 32 | id;
		g->stats.size += s->size[id];
		g->stats.unreached += a->dist[id] == GL_NONE;
	}
	g->stats.targets = n;
	gl_sort(order, n, sizeof *order, cmp_u64);
	/* pass 1: one per distinct retainer; counts the retainers */
	size_t picked = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = (uint32_t)order[i];
		uint32_t p = a->parent[id];
		if (p == GL_NONE)
			continue;
		if (idmap_get(&per_parent, p) != GL_NONE)
			continue;
		uint32_t take = picked < max_objects;
		if (idmap_put(&per_parent, p, take) < 0)
			goto done;
		g->stats.retainers++;
		if (take) {
			chosen[i] = 1;
			picked++;
		}
	}
	/* pass 2: fill up, at most BACKREFS_PER_PARENT per retainer (garbage:
	 * the first few) */
	uint32_t garbage_taken = 0;
	for (size_t i = 0; i < n && picked < max_objects; i++) {
		if (chosen[i])
			continue;
		uint32_t id = (uint32_t)order[i];
		uint32_t p = a->parent[id];
		if (p == GL_NONE) {
			if (garbage_taken >= BACKREFS_PER_PARENT)
				continue;
			garbage_taken++;
		} else {
			uint32_t c = idmap_get(&per_parent, p);
			if (c >= BACKREFS_PER_PARENT)
				continue;
			if (idmap_put(&per_parent, p, c + 1) < 0)
				goto done;
		}
		chosen[i] = 1;
		picked++;
	}
	/* pass 3: fill up to max_objects whatever the retainer */
	for (size_t i = 0; i < n && picked < max_objects; i++) {
		if (!chosen[i]) {
			chosen[i] = 1;
			picked++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!chosen[i])
			continue;
		uint32_t u;
		if (gl_sg_add_chain(g, a, (uint32_t)order[i], max_depth, &u) < 0)
			goto done;
		g->nodes.v[u].roles |= GL_SG_TARGET;
	}
	g->stats.drawn = picked;
	if (gl_sg_collapse_siblings(g, a) < 0)
		goto done;
	mark_roles(g, a);
	rc = 0;
done:
	idmap_free(&per_parent);
	free(order);
	free(chosen);
	return rc;
}

/* ---- --refs ------------------------------------------------------------ */

typedef struct {
	uint32_t kind, type;
	uint64_t size, retained;
} leftover;

typedef gl_vec(leftover) leftvec;

static int cmp_left(const void *x, const void *y)
{
	const leftover *a = x, *b = y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->type < b->type ? -1 : a->type > b->type;
}

static int cmp_more_count(const void *x, const void *y)
{
	const gl_sg_more *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->ekind != b->ekind)
		return a->ekind < b->ekind ? -1 : 1;
	return a->type < b->type ? -1 : a->type > b->type;
}

/* Folds the references of node `from` that were not drawn into at most
 * REFS_GROUPS groups by kind and type, biggest first, and one mixed group. */
static int fold_leftovers(gl_subgraph *g, uint32_t from, leftvec *left)
{
	if (!left->n)
		return 0;
	gl_sort(left->v, left->n, sizeof *left->v, cmp_left);
	size_t first = g->more.n;
	for (size_t i = 0; i < left->n;) {
		gl_sg_more m = {from, left->v[i].kind, left->v[i].type, g->nodes.v[from].cluster, 0, 0, 0, 0, 0};
		for (; i < left->n && left->v[i].kind == m.ekind && left->v[i].type == m.type; i++) {
			m.count++;
			m.size += left->v[i].size;
			m.retained += left->v[i].retained;
		}
		if (gl_vec_push(&g->more, m) < 0)
			return -1;
	}
	gl_sg_more *grp = g->more.v + first;
	size_t ng = g->more.n - first;
	gl_sort(grp, ng, sizeof *grp, cmp_more_count);
	if (ng > REFS_GROUPS + 1) {
		gl_sg_more *mix = &grp[REFS_GROUPS];
		for (size_t k = REFS_GROUPS + 1; k < ng; k++) {
			if (grp[k].ekind != mix->ekind)
				mix->ekind = GL_SG_MIXED;
			mix->type = GL_SG_MIXED;
			mix->count += grp[k].count;
			mix->size += grp[k].size;
			mix->retained += grp[k].retained;
		}
		g->more.n = first + REFS_GROUPS + 1;
	}
	left->n = 0;
	return 0;
}

int gl_sg_refs(gl_subgraph *g, const gl_analysis *a, uint32_t focus, uint32_t max_depth,
	       size_t max_objects)
{
	const gl_snap *s = a->s;
	uint32_t sid_class = gl_snap_sid(s, "__class__");
	gl_vec(uint32_t) depth = {0};
	leftvec left = {0};
	int rc = -1;
	uint32_t u0 = gl_sg_node_add(g, focus);
	if (u0 == GL_NONE || gl_vec_push(&depth, 0) < 0)
		goto done;
	g->nodes.v[u0].roles |= GL_SG_FOCUS;
	/* nodes are added in BFS order, so node index = queue position */
	for (size_t head = 0; head < g->nodes.n; head++) {
		uint32_t d = depth.v[head];
		if (d >= max_depth)
			continue;
		uint32_t p = g->nodes.v[head].id;
		unsigned drawn = 0;
		for (uint64_t e = s->out_off[p]; e < s->out_off[p + 1]; e++) {
			unsigned k = gl_edge_kind(s, (uint32_t)e);
			uint32_t dst = s->out_dst[e];
			if (k == GL_EK_KEY || (k == GL_EK_FIELD && sid_class && s->edge_payload[e] == sid_class))
				continue;
			uint32_t v = gl_sg_find(g, dst);
			if (drawn < REFS_PER_NODE && (v != GL_NONE || g->nodes.n < max_objects)) {
				if (v == GL_NONE) {
					v = gl_sg_node_add(g, dst);
					if (v == GL_NONE || gl_vec_push(&depth, d + 1) < 0)
						goto done;
				}
				if (edge_add(g, (uint32_t)head, v, GL_SG_E_REF, e, GL_SG_NO_EDGE, 0) < 0)
					goto done;
				drawn++;
			} else {
				leftover l = {k, s->type[dst], s->size[dst], retained_of(a, dst)};
				if (gl_vec_push(&left, l) < 0)
					goto done;
			}
		}
		if (fold_leftovers(g, (uint32_t)head, &left) < 0)
			goto done;
	}
	mark_roles(g, a);
	rc = 0;
done:
	gl_vec_free(&depth);
	gl_vec_free(&left);
	return rc;
}

/* ---- --referrers ------------------------------------------------------- */

int gl_sg_referrers(gl_subgraph *g, const gl_analysis *a, uint32_t focus, uint32_t max_depth,
		    size_t max_objects)
{
	const gl_snap *s = a->s;
	gl_vec(uint32_t) depth = {0};
	leftvec left = {0};
	int rc = -1;
	uint32_t u0 = gl_sg_node_add(g, focus);
	if (u0 == GL_NONE || gl_vec_push(&depth, 0) < 0)
		goto done;
	g->nodes.v[u0].roles |= GL_SG_FOCUS;
	for (size_t head = 0; head < g->nodes.n; head++) {
		uint32_t d = depth.v[head];
		uint32_t v = g->nodes.v[head].id;
		uint32_t t;
		if (d >= max_depth || (g->nodes.v[head].roles & GL_SG_HOLDER) || v == a->sys_modules ||
		    gl_header_root(a, v) != GL_NONE || ((s->flags[v] & GL_OF_FRAME) && gl_thread_of_frame(a, v, &t))) {
			if (v == a->sys_modules || gl_header_root(a, v) != GL_NONE || (s->flags[v] & GL_OF_FRAME))
				g->nodes.v[head].roles |= GL_SG_ROOT;
			continue;
		}
		unsigned drawn = 0;
		for (uint64_t r = s->in_off[v]; r < s->in_off[v + 1]; r++) {
			uint32_t src = s->in_src[r], e = s->in_edge[r];
			if (gl_edge_is_environment(a, src, e, v) || gl_is_own_frame(a, src) || gl_is_own_code(a, src))
				continue;
			uint32_t u = gl_sg_find(g, src);
			if (drawn < REFS_PER_NODE && (u != GL_NONE || g->nodes.n < max_objects)) {
				if (u == GL_NONE) {
					u = gl_sg_node_add(g, src);
					if (u == GL_NONE || gl_vec_push(&depth, d + 1) < 0)
						goto done;
				}
				if (edge_add(g, u, (uint32_t)head, GL_SG_E_REF, e, GL_SG_NO_EDGE, 0) < 0)
					goto done;
				drawn++;
				/* a holder: its object is marked, its dict or frame not
				 * searched further */
				uint32_t ids[2] = {src, v}, edges[2] = {GL_NONE, e};
				gl_path p = {ids, edges, 2};
				gl_holder h;
				if (!(g->nodes.v[head].roles & GL_SG_HOLDER) && gl_holder_at(a, &p, 1, &h)) {
					gl_holder_say(a, &h, &h.text);
					gl_sg_holder ho = {(uint32_t)head, h.kind, strdup(gl_sb_str(&h.text))};
					gl_holder_free(&h);
					if (!ho.text || gl_vec_push(&g->holders, ho) < 0) {
						free(ho.text);
						goto done;
					}
					g->nodes.v[head].roles |= GL_SG_HOLDER;
					g->nodes.v[head].holder = (uint32_t)(g->holders.n - 1);
				}
				if (g->nodes.v[u].roles & GL_SG_HOLDER)
					continue;
				if (gl_holder_at(a, &p, 1, &h))
					depth.v[u] = max_depth; /* the holder's dict or frame: not beyond */
			} else {
				leftover l = {gl_edge_kind(s, e), s->type[src], s->size[src], retained_of(a, src)};
				if (gl_vec_push(&left, l) < 0)
					goto done;
			}
		}
		size_t before = g->more.n;
		if (fold_leftovers(g, (uint32_t)head, &left) < 0)
			goto done;
		for (size_t i = before; i < g->more.n; i++)
			g->more.v[i].referring = 1;
	}
	mark_roles(g, a);
	rc = 0;
done:
	gl_vec_free(&depth);
	gl_vec_free(&left);
	return rc;
}

/* ---- --cycles ---------------------------------------------------------- */


/* Draws one cycle as cluster ci: members breadth first from `start`, at
 * most CYCLE_MEMBERS and the node budget, the references among them, and
 * the rest as one gl_sg_more. */
static int draw_cycle(gl_subgraph *g, const gl_analysis *a, uint32_t ci, uint32_t start, size_t max_objects)
{
	const gl_snap *s = a->s;
	uint32_t comp = g->clusters.v[ci].comp;
	uint32_t u = gl_sg_node_add(g, start);
	if (u == GL_NONE)
		return -1;
	if (g->nodes.v[u].cluster != GL_NONE)
		return 0;
	g->nodes.v[u].cluster = ci;
	gl_vec(uint32_t) members = {0};
	if (gl_vec_push(&members, u) < 0)
		return -1;
	for (size_t h = 0; h < members.n; h++) {
		uint32_t x = g->nodes.v[members.v[h]].id;
		for (uint64_t e = s->out_off[x]; e < s->out_off[x + 1]; e++) {
			uint32_t y = s->out_dst[e];
			if (a->comp[y] != comp || gl_sg_find(g, y) != GL_NONE)
				continue;
			if (members.n >= CYCLE_MEMBERS || g->nodes.n >= max_objects)
				break;
			uint32_t v = gl_sg_node_add(g, y);
			if (v == GL_NONE || gl_vec_push(&members, v) < 0)
				goto oom;
			g->nodes.v[v].cluster = ci;
		}
	}
	for (size_t h = 0; h < members.n; h++) {
		uint32_t x = g->nodes.v[members.v[h]].id;
		for (uint64_t e = s->out_off[x]; e < s->out_off[x + 1]; e++) {
			uint32_t v = gl_sg_find(g, s->out_dst[e]);
			if (v == GL_NONE || g->nodes.v[v].cluster != ci)
				continue;
			if (edge_add(g, members.v[h], v, GL_SG_E_REF, e, GL_SG_NO_EDGE, 0) < 0)
				goto oom;
		}
	}
	uint64_t shown = members.n, total = g->clusters.v[ci].objects;
	gl_vec_free(&members);
	if (total > shown) {
		gl_sg_more m = {u, GL_SG_MIXED, GL_SG_MIXED, ci, 0, 0, total - shown, 0, 0};
		/* size of the rest: the cycle's bytes less the drawn members' */
		uint64_t drawn_size = 0;
		for (size_t i = 0; i < g->nodes.n; i++)
			if (g->nodes.v[i].cluster == ci)
				drawn_size += s->size[g->nodes.v[i].id];
		m.size = g->clusters.v[ci].size - drawn_size;
		if (gl_vec_push(&g->more, m) < 0)
			return -1;
	}
	return 0;
oom:
	gl_vec_free(&members);
	return -1;
}

int gl_sg_cycles(gl_subgraph *g, const gl_analysis *a, size_t max_objects, int gc_off, int pyver)
{
	gl_cycle *all;
	size_t nall;
	gl_vec(gl_sg_cluster) pick = {0};
	int rc = -1;
	if (gl_cycles_list(a, &all, &nall) < 0)
		return -1;
	/* finalizer cycles first, then garbage ones, the biggest of each */
	size_t nfin = 0, ngar = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nall; i++) {
			const gl_cycle *c = &all[i];
			int fin = gl_cycle_has_finalizers(c);
			if (pass == 0 ? (!fin || nfin >= CYCLES_PER_KIND)
				      : (fin || c->reachable || ngar >= CYCLES_PER_KIND))
				continue;
			gl_sg_cluster x = {c->comp, fin, c->reachable, gl_cycle_judge(c, fin, gc_off, pyver),
					   c->objects, c->size, c->with_del, c->with_finalize, c->with_tp_del,
					   c->first};
			if (gl_vec_push(&pick, x) < 0)
				goto done;
			*(pass == 0 ? &nfin : &ngar) += 1;
		}
	}
	for (size_t i = 0; i < pick.n && g->nodes.n < max_objects; i++) {
		gl_sg_cluster *x = &pick.v[i];
		if (gl_vec_push(&g->clusters, *x) < 0)
			goto done;
		uint32_t ci = (uint32_t)(g->clusters.n - 1);
		uint32_t start = x->first;
		if (x->reachable) {
			/* enter the cycle where its chain does: the first member on
			 * the chain to its first object */
			gl_path chain;
			if (gl_chain(a, x->first, &chain) < 0)
				goto done;
			for (size_t k = 0; k < chain.len; k++)
				if (a->comp[chain.ids[k]] == x->comp) {
					start = chain.ids[k];
					break;
				}
			gl_path_free(&chain);
			if (gl_sg_add_chain(g, a, start, 0, NULL) < 0)
				goto done;
			/* chain nodes are not members, except start */
			uint32_t u = gl_sg_find(g, start);
			g->nodes.v[u].cluster = GL_NONE;
		}
		if (draw_cycle(g, a, ci, start, max_objects) < 0)
			goto done;
	}
	mark_roles(g, a);
	rc = 0;
done:
	free(all);
	gl_vec_free(&pick);
	return rc;
}

/* ---- --suspects -------------------------------------------------------- */

/* x before y: retains more, ties by id */
static int retains_more(const gl_analysis *a, uint32_t x, uint32_t y)
{
	return a->retained[x] > a->retained[y] || (a->retained[x] == a->retained[y] && x < y);
}

int gl_sg_suspects(gl_subgraph *g, const gl_analysis *a, uint64_t threshold, size_t max_suspects,
		   uint32_t max_depth, size_t *found)
{
	const gl_snap *s = a->s;
	uint32_t *sus = NULL, *sub = NULL;
	size_t nsus = 0, nsub = 0;
	int rc = -1;
	*found = 0;
	if (gl_suspects(a, threshold, &sus, &nsus) < 0)
		return -1;
	*found = nsus;
	for (size_t i = 0; i < nsus && i < max_suspects; i++) {
		uint32_t v = sus[i], u;
		if (gl_sg_add_chain(g, a, v, max_depth, &u) < 0)
			goto done;
		free(sub);
		sub = NULL;
		if (gl_dom_subtree(a, v, &sub, &nsub) < 0)
			goto done;
		gl_sg_suspect sp = {u, a->retained[v], nsub, a->retained[s->n_objects]};
		if (gl_vec_push(&g->suspects, sp) < 0)
			goto done;
		g->nodes.v[u].roles |= GL_SG_SUSPECT;
		g->nodes.v[u].suspect = (uint32_t)(g->suspects.n - 1);
		/* the dominated children that retain the most, ties by id */
		uint32_t top[SUSPECT_KIDS];
		size_t nt = 0;
		for (uint64_t k = a->koff[v]; k < a->koff[v + 1]; k++) {
			uint32_t c = a->kids[k];
			size_t j;
			if (nt < SUSPECT_KIDS)
				j = nt++;
			else if (retains_more(a, c, top[SUSPECT_KIDS - 1]))
				j = SUSPECT_KIDS - 1;
			else
				continue;
			while (j > 0 && retains_more(a, c, top[j - 1])) {
				top[j] = top[j - 1];
				j--;
			}
			top[j] = c;
		}
		uint64_t rest_size = 0, rest_ret = 0;
		for (size_t j = 0; j < nt; j++) {
			uint32_t c = top[j];
			if (gl_sg_find(g, c) != GL_NONE)
				continue;
			uint32_t cu = gl_sg_node_add(g, c);
			if (cu == GL_NONE)
				goto done;
			uint64_t e = GL_SG_NO_EDGE;
			for (uint64_t k = s->out_off[v]; k < s->out_off[v + 1]; k++)
				if (s->out_dst[k] == c && gl_edge_kind(s, (uint32_t)k) != GL_EK_KEY) {
					e = k;
					break;
				}
			if (edge_add(g, u, cu, e == GL_SG_NO_EDGE ? GL_SG_E_DOMINATES : GL_SG_E_REF, e,
				     GL_SG_NO_EDGE, 0) < 0)
				goto done;
		}
		uint64_t nk = a->koff[v + 1] - a->koff[v];
		for (uint64_t k = a->koff[v]; k < a->koff[v + 1]; k++) {
			rest_size += s->size[a->kids[k]];
			rest_ret += a->retained[a->kids[k]];
		}
		for (size_t j = 0; j < nt; j++) {
			rest_size -= s->size[top[j]];
			rest_ret -= a->retained[top[j]];
		}
		if (nk > nt) {
			gl_sg_more m = {u, GL_SG_MIXED, GL_SG_MIXED, GL_NONE, 1, 0, nk - nt, rest_size, rest_ret};
			if (gl_vec_push(&g->more, m) < 0)
				goto done;
		}
	}
	mark_roles(g, a);
	rc = 0;
done:
	free(sus);
	free(sub);
	return rc;
}

int gl_sg_growth(gl_subgraph *g, const gl_analysis *last, const gl_growth *gr, size_t max_growers,
		 uint32_t max_depth)
{
	size_t L = gr->nsnaps - 1;
	for (size_t i = 0; i < gr->ngrowers && i < max_growers; i++) {
		const gl_grower *w = &gr->growers[i];
		uint32_t node = GL_NONE;
		if (gl_sg_add_holders(g, last, w->id[L], GROWTH_HOLDERS, max_depth, &node, NULL) < 0)
			return -1;
		if (node == GL_NONE)
			continue;
		gl_sg_grower rec;
		memset(&rec, 0, sizeof rec);
		rec.node = node;
		rec.holder = strdup(w->holder);
		if (!rec.holder)
			return -1;
		rec.new_bytes = w->new_bytes;
		rec.nsnaps = gr->nsnaps;
		for (size_t k = 0; k < gr->nsnaps; k++) {
			rec.present[k] = w->id[k] != GL_NONE;
			rec.length[k] = w->length[k];
			rec.retained[k] = w->retained[k];
		}
		rec.retained_delta = w->retained_delta;
		rec.monotonic = w->monotonic;
		if (gl_vec_push(&g->growth, rec) < 0) {
			free(rec.holder);
			return -1;
		}
		g->nodes.v[node].roles |= GL_SG_GROWING;
		g->nodes.v[node].growth = (uint32_t)(g->growth.n - 1);
	}
	return gl_sg_collapse_siblings(g, last);
}
