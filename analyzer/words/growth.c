/*
 * growth.c - containers and types that grow across snapshots. See growth.h.
 *
 * Matching a container of the last snapshot in an earlier one:
 *  1. by identity: the same address, the same type name, and the same
 *     retainer chain or root holder (an address freed and reused by another
 *     object of the type would have another chain);
 *  2. failing that, by its chain: walk the earlier snapshot from the same
 *     root along edges with the same labels (the container was replaced:
 *     `cache = dict(cache)`; or its address was reused).
 * A chain that starts at a thread's frame names a place that does not last:
 * the frame's locals are rebound between snapshots (an idle worker's
 * `result` is the registry in one snapshot and a small dict in the next).
 * For such a container the same address and type are the evidence, and its
 * chain is not walked in the earlier snapshot; only chains from sys.modules
 * are. An object the chain leads to that is the same object found by
 * address is matched by identity, not "replaced".
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "growth.h"

#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "arena.h"
#include "hash.h"
#include "typestats.h"
#include "vec.h"

/* A container of the last snapshot, followed back through the others. */
struct gl_growth_cand {
	uint32_t id[GL_GROWTH_MAX_SNAPS];
	uint64_t addr[GL_GROWTH_MAX_SNAPS];
	uint64_t length[GL_GROWTH_MAX_SNAPS];
	uint64_t retained[GL_GROWTH_MAX_SNAPS];
	int by_chain;      /* matched by chain somewhere */
	int frame_rooted;  /* its chain starts at a thread's frame */
	char *type;        /* type name */
	char *chain;       /* one-line chain in the last snapshot */
	char *holder;      /* root holder text in the last snapshot */
	gl_hold_kind holder_kind;
	char **steps;      /* chain steps (labels), for resolving by chain */
	size_t nsteps;
};

/* type name -> row of g->types */
typedef struct gl_typemap {
	gl_index ix;
} gl_typemap;

static uint64_t hash_str(const char *p, size_t n)
{
	return gl_mix64(gl_hash_bytes(p, n));
}

static uint64_t type_hash(const void *ctx, size_t row)
{
	const char *t = ((const gl_growth *)ctx)->types[row].type;
	return hash_str(t, strlen(t));
}

static char *dup_n(const char *p, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

/* The row for type name (p, n), added if new. NULL if out of memory. */
static gl_type_growth *type_row(gl_growth *g, const char *p, size_t n)
{
	gl_index *x = &g->typemap->ix;
	if (gl_index_room(x, g->ntypes, type_hash, g) < 0)
		return NULL;
	size_t j = gl_index_at(x, hash_str(p, n));
	for (; x->slot[j]; j = gl_index_next(x, j)) {
		gl_type_growth *t = &g->types[x->slot[j] - 1];
		if (strlen(t->type) == n && memcmp(t->type, p, n) == 0)
			return t;
	}
	if (gl_realloc_array((void **)&g->types, g->ntypes + 1, sizeof *g->types) < 0)
		return NULL;
	gl_type_growth *t = &g->types[g->ntypes];
	memset(t, 0, sizeof *t);
	t->type = dup_n(p, n);
	if (!t->type)
		return NULL;
	x->slot[j] = (uint32_t)++g->ntypes;
	return t;
}

static int add_typestats(gl_growth *g, size_t k, const gl_snap *s, gl_err *err)
{
	gl_typestat *rows;
	uint32_t n;
	if (gl_typestats(s, 0, &rows, &n, err) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		size_t len;
		const char *name = gl_snap_str(s, rows[i].type, &len);
		gl_type_growth *t = type_row(g, name, len);
		if (!t) {
			free(rows);
			return gl_err_set(err, "out of memory comparing types");
		}
		t->count[k] = rows[i].count;
		t->size[k] = rows[i].size;
	}
	free(rows);
	return 0;
}

static int type_eq(const gl_snap *s, uint32_t id, const char *name)
{
	size_t len;
	const char *p = gl_snap_str(s, s->type[id], &len);
	return strlen(name) == len && memcmp(p, name, len) == 0;
}

/* Holder text and one-line chain of id, into freshly allocated strings. */
static int describe(const gl_analysis *a, uint32_t id, char **chain, char **holder, gl_hold_kind *kind)
{
	gl_sb line = {0};
	gl_path c;
	gl_holder h;
	*chain = *holder = NULL;
	if (gl_chain_line(a, id, &line) < 0 || gl_chain(a, id, &c) < 0) {
		gl_sb_free(&line);
		return -1;
	}
	int rc = gl_holder_find(a, &c, &h);
	gl_path_free(&c);
	if (rc < 0) {
		gl_sb_free(&line);
		return -1;
	}
	*chain = strdup(gl_sb_str(&line));
	*holder = strdup(gl_sb_str(&h.text));
	if (kind)
		*kind = h.kind;
	gl_sb_free(&line);
	gl_holder_free(&h);
	if (!*chain || !*holder) {
		free(*chain), free(*holder);
		*chain = *holder = NULL;
		return -1;
	}
	return 0;
}

/* The step labels of id's chain (root description first). */
static int chain_steps(const gl_analysis *a, uint32_t id, char ***out, size_t *nout, int *frame_rooted)
{
	gl_path c;
	*out = NULL;
	*nout = 0;
	*frame_rooted = 0;
	if (gl_chain(a, id, &c) < 0)
		return -1;
	if (!c.len)
		return 0;
	*frame_rooted = (a->s->flags[c.ids[0]] & GL_OF_FRAME) != 0;
	gl_step *st;
	size_t ns;
	int rc = gl_chain_steps(a, &c, &st, &ns);
	gl_path_free(&c);
	if (rc < 0)
		return -1;
	char **labels = gl_calloc_array(ns, sizeof *labels);
	if (!labels) {
		gl_steps_free(st, ns);
		return -1;
	}
	for (size_t i = 0; i < ns; i++) {
		labels[i] = strdup(gl_sb_str(&st[i].label));
		if (!labels[i]) {
			for (size_t j = 0; j < i; j++)
				free(labels[j]);
			free(labels);
			gl_steps_free(st, ns);
			return -1;
		}
	}
	gl_steps_free(st, ns);
	*out = labels;
	*nout = ns;
	return 0;
}

/* The target of the edge out of `from` that a chain step labelled `label`
 * takes, as gl_chain_steps labels them (".x" also through __dict__). */
static uint32_t follow(const gl_analysis *a, uint32_t from, const char *label)
{
	const gl_snap *s = a->s;
	gl_sb b = {0};
	uint32_t found = GL_NONE;
	for (uint64_t e = s->out_off[from]; e < s->out_off[from + 1] && found == GL_NONE; e++) {
		gl_sb_clear(&b);
		gl_describe_edge(a, e, &b);
		if (strcmp(gl_sb_str(&b), label) == 0) {
			found = s->out_dst[e];
			break;
		}
		/* ".name" folded from .__dict__['name'] */
		if (label[0] == '.' && gl_edge_kind(s, (uint32_t)e) == GL_EK_FIELD &&
		    s->edge_payload[e] == a->sid_dict) {
			uint32_t d = s->out_dst[e];
			for (uint64_t f = s->out_off[d]; f < s->out_off[d + 1]; f++) {
				uint32_t key = gl_value_key(s, f);
				if (key != GL_NONE && gl_preview_eq(s, key, label + 1) && gl_type_is(s, key, "str")) {
					found = s->out_dst[f];
					break;
				}
			}
		}
	}
	gl_sb_free(&b);
	return found;
}

/* The object the chain `steps` leads to in snapshot a, or GL_NONE. */
static uint32_t resolve(const gl_analysis *a, char **steps, size_t nsteps)
{
	if (!nsteps)
		return GL_NONE;
	uint32_t cur = GL_NONE;
	gl_sb b = {0};
	if (strcmp(steps[0], "sys.modules") == 0) {
		cur = a->sys_modules;
	} else {
		for (uint32_t i = 0; i < a->n_frames && cur == GL_NONE; i++) {
			gl_sb_clear(&b);
			gl_describe_root(a, a->frames[i].id, &b);
			if (strcmp(gl_sb_str(&b), steps[0]) == 0)
				cur = a->frames[i].id;
		}
	}
	gl_sb_free(&b);
	for (size_t i = 1; i < nsteps && cur != GL_NONE; i++)
		cur = follow(a, cur, steps[i]);
	return cur;
}

static int is_container(const gl_snap *s, uint32_t id)
{
	return (s->flags[id] & GL_OF_GCTYPE) && !(s->flags[id] & (GL_OF_MODULE | GL_OF_TYPE | GL_OF_FRAME));
}

int gl_growth_begin(gl_growth *g, const gl_analysis *last, size_t nsnaps, uint64_t min_bytes,
		    uint64_t min_items, gl_err *err)
{
	memset(g, 0, sizeof *g);
	if (nsnaps < 2 || nsnaps > GL_GROWTH_MAX_SNAPS)
		return gl_err_set(err, "growth compares 2 to %d snapshots, not %zu", GL_GROWTH_MAX_SNAPS, nsnaps);
	if ((last->done & (GL_AN_PATHS | GL_AN_DOM)) != (GL_AN_PATHS | GL_AN_DOM))
		return gl_err_set(err, "internal: growth needs chains and dominators");
	g->nsnaps = nsnaps;
	g->min_bytes = min_bytes;
	g->min_items = min_items;
	g->last = last;
	g->typemap = calloc(1, sizeof *g->typemap);
	if (!g->typemap)
		return gl_err_set(err, "out of memory");
	const gl_snap *s = last->s;
	size_t L = nsnaps - 1;
	if (add_typestats(g, L, s, err) < 0)
		return -1;
	gl_vec(gl_growth_cand) cand = {0};
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (!is_container(s, id) || last->dist[id] == GL_NONE)
			continue;
		if (s->length[id] < min_items && last->retained[id] < min_bytes)
			continue;
		gl_growth_cand c;
		memset(&c, 0, sizeof c);
		for (size_t k = 0; k < nsnaps; k++)
			c.id[k] = GL_NONE;
		c.id[L] = id;
		c.addr[L] = s->addr[id];
		c.length[L] = s->length[id];
		c.retained[L] = last->retained[id];
		size_t tl;
		const char *t = gl_snap_str(s, s->type[id], &tl);
		c.type = dup_n(t, tl);
		if (!c.type || describe(last, id, &c.chain, &c.holder, &c.holder_kind) < 0 ||
		    chain_steps(last, id, &c.steps, &c.nsteps, &c.frame_rooted) < 0 || gl_vec_push(&cand, c) < 0) {
			free(c.type), free(c.chain), free(c.holder);
			g->cand = cand.v;
			g->ncand = cand.n;
			return gl_err_set(err, "out of memory choosing containers to follow");
		}
	}
	g->cand = cand.v;
	g->ncand = cand.n;
	return 0;
}

/*
 * 1 if object id of the last snapshot s is in the snapshot p whose objects
 * `map` indexes (the same address and type). Type names are compared once
 * per pair of type strings: same[t] caches, for the last snapshot's type
 * string t, the string of p that names the same type (GL_NONE: not known
 * yet; it is reset for each p).
 */
static int was_there(const gl_snap *s, uint32_t id, const gl_snap *p, const gl_addrmap *map, uint32_t *same)
{
	uint32_t old = gl_addrmap_get(map, s->addr[id]);
	if (old == GL_NO_ID)
		return 0;
	uint32_t ts = s->type[id], to = p->type[old];
	if (same[ts] != GL_NONE)
		return same[ts] == to;
	size_t tl, ol;
	const char *t = gl_snap_str(s, ts, &tl);
	const char *o = gl_snap_str(p, to, &ol);
	if (ol == tl && memcmp(o, t, tl) == 0) {
		same[ts] = to;
		return 1;
	}
	return 0;
}

static uint32_t *same_types(const gl_snap *s)
{
	uint32_t *same = gl_alloc_array(s->n_strings ? s->n_strings : 1, sizeof *same);
	for (uint32_t i = 0; same && i < s->n_strings; i++)
		same[i] = GL_NONE;
	return same;
}

/* Per object of the last snapshot, the objects and bytes under it that the
 * first snapshot (indexed by map) did not have. */
static int new_under(gl_growth *g, const gl_snap *first, const gl_addrmap *map, gl_err *err)
{
	const gl_snap *s = g->last->s;
	uint32_t n = s->n_objects;
	uint32_t *same = same_types(s);
	g->new_under_n = gl_alloc_array((size_t)n + 1, sizeof *g->new_under_n);
	g->new_under_b = gl_alloc_array((size_t)n + 1, sizeof *g->new_under_b);
	int rc = -1;
	if (same && g->new_under_n && g->new_under_b) {
		/* the weights, summed in place over the dominator tree */
		for (uint32_t id = 0; id < n; id++) {
			int fresh = !was_there(s, id, first, map, same);
			g->new_under_n[id] = (uint64_t)fresh;
			g->new_under_b[id] = fresh ? s->size[id] : 0;
		}
		rc = gl_dom_sums(g->last, g->new_under_n, g->new_under_n) < 0 ||
		     gl_dom_sums(g->last, g->new_under_b, g->new_under_b) < 0 ? -1 : 0;
	}
	free(same);
	return rc < 0 ? gl_err_set(err, "out of memory comparing with the first snapshot") : 0;
}

/* Objects of the last snapshot that snapshot k (the one before it) did not
 * have, by address and type, and their holders in the last snapshot. */
static int fresh_objects(gl_growth *g, const gl_analysis *an, const gl_addrmap *map, gl_err *err)
{
	const gl_snap *s = g->last->s, *p = an->s;
	gl_vec(uint32_t) ids = {0};
	uint32_t *same = same_types(s);
	if (!same)
		return gl_err_set(err, "out of memory finding new objects");
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (was_there(s, id, p, map, same))
			continue;
		g->fresh_objects++;
		g->fresh_bytes += s->size[id];
		if (gl_vec_push(&ids, id) < 0) {
			gl_vec_free(&ids);
			free(same);
			return gl_err_set(err, "out of memory finding new objects");
		}
	}
	free(same);
	int rc = gl_holds_find(g->last, ids.v, ids.n, 64, &g->fresh, err);
	gl_sites_free(&g->fresh_sites);
	if (rc == 0 && gl_sites_top(s, ids.v, ids.n, 5, &g->fresh_sites) < 0)
		rc = gl_err_set(err, "out of memory counting allocation sites");
	gl_vec_free(&ids);
	return rc;
}

int gl_growth_add(gl_growth *g, size_t k, const gl_analysis *an, gl_err *err)
{
	if (k + 1 >= g->nsnaps)
		return gl_err_set(err, "internal: snapshot %zu is not an earlier one", k);
	if ((an->done & (GL_AN_PATHS | GL_AN_DOM)) != (GL_AN_PATHS | GL_AN_DOM))
		return gl_err_set(err, "internal: growth needs chains and dominators");
	const gl_snap *s = an->s;
	if (add_typestats(g, k, s, err) < 0)
		return -1;
	gl_addrmap map;
	gl_arena arena = {0};
	if (gl_addrmap_init(&map, s->n_objects, &arena) < 0) {
		gl_arena_free(&arena);
		return gl_err_set(err, "out of memory indexing snapshot %zu", k + 1);
	}
	for (uint32_t id = 0; id < s->n_objects; id++)
		gl_addrmap_put(&map, s->addr[id], id, NULL);
	const gl_snap *ls = g->last->s;
	int rc = 0;
	for (size_t i = 0; i < g->ncand && rc == 0; i++) {
		gl_growth_cand *c = &g->cand[i];
		uint32_t old = gl_addrmap_get(&map, ls->addr[c->id[g->nsnaps - 1]]);
		uint32_t match = GL_NONE;
		if (old != GL_NO_ID && type_eq(s, old, c->type) && an->dist[old] != GL_NONE) {
			char *chain, *holder;
			if (c->frame_rooted) {
				match = old; /* the address and type are the evidence */
			} else if (describe(an, old, &chain, &holder, NULL) < 0) {
				rc = gl_err_set(err, "out of memory following containers");
				break;
			} else {
				if (strcmp(chain, c->chain) == 0 || strcmp(holder, c->holder) == 0)
					match = old;
				free(chain), free(holder);
			}
		}
		if (match == GL_NONE && !c->frame_rooted) {
			uint32_t r = resolve(an, c->steps, c->nsteps);
			if (r != GL_NONE && type_eq(s, r, c->type)) {
				match = r;
				if (r != old)
					c->by_chain = 1;
			}
		}
		if (match != GL_NONE) {
			c->id[k] = match;
			c->addr[k] = s->addr[match];
			c->length[k] = s->length[match];
			c->retained[k] = an->retained[match];
		}
	}
	if (rc == 0 && k == 0)
		rc = new_under(g, s, &map, err);
	if (rc == 0 && k + 2 == g->nsnaps)
		rc = fresh_objects(g, an, &map, err);
	gl_arena_free(&arena);
	return rc;
}

/* 1 if a dominates b in the last snapshot (a on b's idom chain). */
static int dominates(const gl_analysis *a, uint32_t x, uint32_t y)
{
	uint32_t root = a->s->n_objects;
	for (uint32_t v = a->dt.idom[y]; v != root; v = a->dt.idom[v])
		if (v == x)
			return 1;
	return 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/*
 * 1 if grower i's new objects are, 80% of them or more, under the growing
 * containers it dominates in the last snapshot (index L): the outermost of
 * those (no other of them on the dominator chain between it and i), whose
 * subtrees are disjoint, summed. inside: room for n ids.
 */
static int covered(const gl_analysis *a, const gl_grower *v, size_t n, size_t L, size_t i, uint32_t *inside)
{
	uint32_t x = v[i].id[L];
	size_t m = 0;
	for (size_t j = 0; j < n; j++)
		if (j != i && dominates(a, x, v[j].id[L]))
			inside[m++] = v[j].id[L];
	if (!m)
		return 0;
	gl_sort(inside, m, sizeof *inside, cmp_u32);
	uint64_t under = 0;
	for (size_t j = 0; j < n; j++) {
		uint32_t y = v[j].id[L];
		if (j == i || !bsearch(&y, inside, m, sizeof *inside, cmp_u32))
			continue;
		int outermost = 1;
		for (uint32_t u = a->dt.idom[y]; u != x && outermost; u = a->dt.idom[u])
			if (bsearch(&u, inside, m, sizeof *inside, cmp_u32))
				outermost = 0;
		if (outermost)
			under += v[j].new_bytes;
	}
	return under * 10 >= v[i].new_bytes * 8;
}

static int cmp_growers(const void *x, const void *y)
{
	const gl_grower *a = x, *b = y;
	if (a->new_bytes != b->new_bytes)
		return a->new_bytes > b->new_bytes ? -1 : 1;
	if (a->length_delta != b->length_delta)
		return a->length_delta > b->length_delta ? -1 : 1;
	return strcmp(a->chain, b->chain);
}

static int cmp_types(const void *x, const void *y)
{
	const gl_type_growth *a = x, *b = y;
	if (a->size_delta != b->size_delta)
		return a->size_delta > b->size_delta ? -1 : 1;
	if (a->count_delta != b->count_delta)
		return a->count_delta > b->count_delta ? -1 : 1;
	return strcmp(a->type, b->type);
}

/* The reported containers that get every holder named (the others keep
 * the one on their chain). */
#define GROWERS_HELD 100

/* Every holder of a reported container in the last snapshot: the first
 * becomes its holder (by full path), the others `also`. */
static int every_holder(gl_growth *g, gl_grower *r, gl_err *err)
{
	gl_holds hs;
	uint32_t id = r->id[g->nsnaps - 1];
	if (gl_holds_find(g->last, &id, 1, 8, &hs, err) < 0)
		return -1;
	size_t named = hs.n < 8 ? hs.n : 8;
	if (named) {
		char *first = strdup(hs.v[0].text);
		r->also = named > 1 ? gl_calloc_array(named - 1, sizeof *r->also) : NULL;
		if (!first || (named > 1 && !r->also)) {
			free(first);
			gl_holds_free(&hs);
			return gl_err_set(err, "out of memory naming holders");
		}
		free(r->holder);
		r->holder = first;
		r->holder_kind = hs.v[0].h.kind;
		/* the chain through it, so that the two agree */
		gl_sb line = {0};
		if (gl_path_line(g->last, &hs.v[0].chain, &line) == 0) {
			char *c = strdup(gl_sb_str(&line));
			if (c) {
				free(r->chain);
				r->chain = c;
			}
		}
		gl_sb_free(&line);
		for (size_t i = 1; i < named; i++) {
			r->also[r->nalso] = strdup(hs.v[i].text);
			if (!r->also[r->nalso]) {
				gl_holds_free(&hs);
				return gl_err_set(err, "out of memory naming holders");
			}
			r->nalso++;
		}
	}
	gl_holds_free(&hs);
	return 0;
}

int gl_growth_finish(gl_growth *g, gl_err *err)
{
	size_t L = g->nsnaps - 1;
	for (size_t i = 0; i < g->ntypes; i++) {
		gl_type_growth *t = &g->types[i];
		t->count_delta = (int64_t)t->count[L] - (int64_t)t->count[0];
		t->size_delta = (int64_t)t->size[L] - (int64_t)t->size[0];
	}
	gl_sort(g->types, g->ntypes, sizeof *g->types, cmp_types);

	gl_vec(gl_grower) out = {0};
	for (size_t i = 0; i < g->ncand; i++) {
		gl_growth_cand *c = &g->cand[i];
		size_t first = 0, present = 0, prev = SIZE_MAX;
		int mono = 1;
		while (first < L && c->id[first] == GL_NONE)
			first++;
		for (size_t k = first; k <= L; k++) {
			if (c->id[k] == GL_NONE)
				continue;
			present++;
			if (prev != SIZE_MAX && !(c->length[k] > c->length[prev] ||
						  (c->length[k] == c->length[prev] && c->retained[k] > c->retained[prev])))
				mono = 0;
			prev = k;
		}
		if (first == L)
			continue; /* only in the last snapshot: new, not growing */
		int64_t dl = (int64_t)c->length[L] - (int64_t)c->length[first];
		int64_t dr = (int64_t)c->retained[L] - (int64_t)c->retained[first];
		/* the step before the last, to refuse one that is shrinking now */
		size_t before = L;
		for (size_t k = L; k-- > first;)
			if (c->id[k] != GL_NONE) {
				before = k;
				break;
			}
		if (before != L && c->length[L] < c->length[before] && c->retained[L] < c->retained[before])
			continue;
		uint32_t lid = c->id[L];
		uint64_t nb = g->new_under_b ? g->new_under_b[lid] : 0;
		uint64_t nn = g->new_under_n ? g->new_under_n[lid] : 0;
		/* its own length grew, or new objects gathered under it (not old
		 * ones that came to depend on it alone) */
		if (!(dl >= (int64_t)g->min_items || nb >= g->min_bytes))
			continue;
		gl_grower gr;
		memset(&gr, 0, sizeof gr);
		memcpy(gr.id, c->id, sizeof gr.id);
		memcpy(gr.addr, c->addr, sizeof gr.addr);
		memcpy(gr.length, c->length, sizeof gr.length);
		memcpy(gr.retained, c->retained, sizeof gr.retained);
		gr.length_delta = dl;
		gr.retained_delta = dr;
		gr.new_objects = nn;
		gr.new_bytes = nb;
		gr.monotonic = mono && present >= 3;
		gr.replaced = c->by_chain;
		gr.holder_kind = c->holder_kind;
		gr.holder = strdup(c->holder);
		gr.chain = strdup(c->chain);
		if (!gr.holder || !gr.chain || gl_vec_push(&out, gr) < 0) {
			free(gr.holder), free(gr.chain);
			g->growers = out.v;
			g->ngrowers = out.n;
			return gl_err_set(err, "out of memory ranking growth");
		}
	}
	/* leave out a container whose own length does not grow and whose new
	 * objects are, 80% of them or more, under growing containers it
	 * dominates (a module's dict holding a cache, or three) */
	unsigned char *drop = gl_calloc_array(out.n ? out.n : 1, 1);
	uint32_t *inside = gl_alloc_array(out.n ? out.n : 1, sizeof *inside);
	if (!drop || !inside) {
		free(drop), free(inside);
		g->growers = out.v;
		g->ngrowers = out.n;
		return gl_err_set(err, "out of memory ranking growth");
	}
	for (size_t i = 0; i < out.n; i++)
		if (out.v[i].length_delta < (int64_t)g->min_items)
			drop[i] = covered(g->last, out.v, out.n, L, i, inside);
	size_t k = 0;
	for (size_t i = 0; i < out.n; i++) {
		if (drop[i])
			free(out.v[i].holder), free(out.v[i].chain);
		else
			out.v[k++] = out.v[i];
	}
	free(drop), free(inside);
	out.n = k;
	gl_sort(out.v, out.n, sizeof *out.v, cmp_growers);
	g->growers = out.v;
	g->ngrowers = out.n;
	for (size_t i = 0; i < g->ngrowers && i < GROWERS_HELD; i++)
		if (every_holder(g, &g->growers[i], err) < 0)
			return -1;
	return 0;
}

void gl_growth_free(gl_growth *g)
{
	for (size_t i = 0; i < g->ncand; i++) {
		gl_growth_cand *c = &g->cand[i];
		free(c->type), free(c->chain), free(c->holder);
		for (size_t j = 0; j < c->nsteps; j++)
			free(c->steps[j]);
		free(c->steps);
	}
	free(g->cand);
	for (size_t i = 0; i < g->ngrowers; i++) {
		gl_grower *r = &g->growers[i];
		free(r->holder), free(r->chain);
		for (size_t j = 0; j < r->nalso; j++)
			free(r->also[j]);
		free(r->also);
	}
	free(g->growers);
	for (size_t i = 0; i < g->ntypes; i++)
		free(g->types[i].type);
	free(g->types);
	if (g->typemap)
		gl_index_free(&g->typemap->ix);
	free(g->typemap);
	gl_holds_free(&g->fresh);
	gl_sites_free(&g->fresh_sites);
	free(g->new_under_n), free(g->new_under_b);
	memset(g, 0, sizeof *g);
}
