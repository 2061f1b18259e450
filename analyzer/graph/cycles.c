/*
 * cycles.c - see cycles.h.
 */
#include "cycles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "vec.h"

static int cmp_cycle(const void *x, const void *y)
{
	const gl_cycle *a = x, *b = y;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->comp < b->comp ? -1 : a->comp > b->comp;
}

int gl_cycles_list(const gl_analysis *a, gl_cycle **out, size_t *n)
{
	const gl_snap *s = a->s;
	*out = NULL;
	*n = 0;
	uint32_t *slot = gl_alloc_array(a->n_comp ? a->n_comp : 1, sizeof *slot);
	gl_vec(gl_cycle) all = {0};
	if (!slot)
		return -1;
	for (uint32_t c = 0; c < a->n_comp; c++)
		slot[c] = GL_NONE;
	for (uint32_t v = 0; v < s->n_objects; v++) {
		if (!a->in_cycle[v])
			continue;
		uint32_t c = a->comp[v];
		if (slot[c] == GL_NONE) {
			gl_cycle x = {.comp = c, .first = v, .reachable = a->dist[v] != GL_NONE};
			if (gl_vec_push(&all, x) < 0) {
				free(slot);
				gl_vec_free(&all);
				return -1;
			}
			slot[c] = (uint32_t)(all.n - 1);
		}
		gl_cycle *x = &all.v[slot[c]];
		uint32_t f = s->flags[v];
		x->objects++;
		x->size += s->size[v];
		x->with_del += (f & GL_OF_HAS_DEL) != 0;
		x->with_finalize += (f & GL_OF_HAS_FINALIZE) && !(f & GL_OF_HAS_DEL);
		x->with_tp_del += (f & GL_OF_LEGACY_DEL) != 0;
		x->infra |= (f & (GL_OF_MODULE | GL_OF_TYPE | GL_OF_FUNCTION)) != 0;
	}
	free(slot);
	gl_sort(all.v, all.n, sizeof *all.v, cmp_cycle);
	*out = all.v;
	*n = all.n;
	return 0;
}

int gl_cycle_has_finalizers(const gl_cycle *c)
{
	return (c->with_del || c->with_tp_del) && !(c->reachable && c->infra);
}

gl_cycle_verdict gl_cycle_judge(const gl_cycle *c, int finalizers, int gc_off, int pyver)
{
	if (finalizers && (c->with_tp_del || (pyver && pyver < 304)))
		return GL_CY_UNCOLLECTABLE;
	if (c->reachable)
		return GL_CY_FIN_ALIVE;
	if (gc_off)
		return GL_CY_LEAK_GC_OFF;
	return finalizers ? GL_CY_FIN_COLLECTABLE : GL_CY_COLLECTED;
}

const char *gl_cycle_verdict_words(gl_cycle_verdict v)
{
	switch (v) {
	case GL_CY_COLLECTED:
		return "not a leak by itself: the collector's next run frees it (gc is enabled)";
	case GL_CY_LEAK_GC_OFF:
		return "a leak: gc is disabled (or automatic collection is off), so it is never freed; "
		       "re-enable it, call gc.collect(), or break the cycle";
	case GL_CY_UNCOLLECTABLE:
		return "uncollectable: objects with the legacy tp_del in a cycle (or __del__ before Python "
		       "3.4) are never freed; the collector moves them to gc.garbage";
	case GL_CY_FIN_COLLECTABLE:
		return "collectable (PEP 442, Python 3.4+): the next collection runs the finalizers, in no "
		       "defined order, then frees the cycle unless a finalizer resurrects it";
	case GL_CY_FIN_ALIVE:
		return "alive (a root reaches it); once released it is collectable (PEP 442), but its "
		       "finalizers run in no defined order and may see each other half-finalized";
	}
	return "";
}

int gl_gc_is_off(const gl_snap *s)
{
	json_t *gc = json_object_get(s->header, "gc");
	json_t *th = json_array_get(json_object_get(gc, "thresholds"), 0);
	return json_is_false(json_object_get(gc, "enabled")) || (json_is_integer(th) && json_integer_value(th) == 0);
}

const char *gl_gc_state_words(const gl_snap *s)
{
	json_t *gc = json_object_get(s->header, "gc");
	if (!json_is_object(gc))
		return "unknown";
	if (json_is_false(json_object_get(gc, "enabled")))
		return "disabled";
	return gl_gc_is_off(s) ? "enabled, automatic collection off" : "enabled";
}

int gl_py_version(const gl_snap *s, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(json_object_get(s->header, "python"), "version"));
	if (buf)
		snprintf(buf, len, "%s", v ? v : "unknown");
	int maj = 0, min = 0;
	if (v && sscanf(v, "%d.%d", &maj, &min) == 2)
		return maj * 100 + min;
	return 0;
}

/* ---- shapes ---------------------------------------------------------------- */

/* What a reference is, as a number: its kind and name (a dict value by its
 * key's text where the key has one). */
static uint64_t label_hash(const gl_snap *s, uint32_t e)
{
	unsigned kind = gl_edge_kind(s, e);
	uint64_t h = gl_mix64(((uint64_t)kind << 32) | s->edge_payload[e]);
	if (kind == GL_EK_VALUE) {
		uint32_t key = gl_value_key(s, e);
		size_t n;
		const unsigned char *p = key != GL_NONE ? gl_snap_preview(s, key, &n) : NULL;
		h ^= p ? gl_hash_bytes(p, n) : key != GL_NONE ? gl_mix64(s->type[key]) : 0;
	}
	return h;
}

static int cmp_groups(const void *x, const void *y)
{
	const gl_cycle_group *a = x, *b = y;
	if (a->one.infra != b->one.infra)
		return a->one.infra ? 1 : -1;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->one.first < b->one.first ? -1 : a->one.first > b->one.first;
}

int gl_cycles_group(const gl_analysis *a, const gl_cycle *c, size_t n, gl_cycle_group **out, size_t *nout)
{
	const gl_snap *s = a->s;
	*out = NULL;
	*nout = 0;
	uint64_t *sig = gl_calloc_array(a->n_comp ? a->n_comp : 1, sizeof *sig);
	if (!sig)
		return -1;
	for (uint32_t v = 0; v < s->n_objects; v++) {
		if (!a->in_cycle[v])
			continue;
		uint32_t comp = a->comp[v];
		uint64_t h = gl_mix64((uint64_t)s->type[v] + 1);
		for (uint64_t e = s->out_off[v]; e < s->out_off[v + 1]; e++) {
			uint32_t w = s->out_dst[e];
			if (a->comp[w] == comp)
				h += gl_mix64(label_hash(s, (uint32_t)e) ^ gl_mix64((uint64_t)s->type[w] << 1));
		}
		sig[comp] += gl_mix64(h);
	}
	/* groups by (signature, objects, reached, finalizers): a small open
	 * addressing table over the groups */
	gl_vec(gl_cycle_group) g = {0};
	size_t cap = 64, *slot = gl_calloc_array(cap, sizeof *slot);
	int rc = -1;
	if (!slot)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const gl_cycle *x = &c[i];
		uint64_t key = gl_mix64(sig[x->comp] ^ gl_mix64(x->objects) ^ ((uint64_t)x->reachable << 1) ^
				     (uint64_t)gl_cycle_has_finalizers(x));
		if ((g.n + 1) * 2 > cap) {
			size_t ncap = cap * 2;
			size_t *ns = gl_calloc_array(ncap, sizeof *ns);
			if (!ns)
				goto done;
			for (size_t k = 0; k < g.n; k++) {
				size_t j = g.v[k].shape & (ncap - 1);
				while (ns[j])
					j = (j + 1) & (ncap - 1);
				ns[j] = k + 1;
			}
			free(slot);
			slot = ns;
			cap = ncap;
		}
		size_t j = key & (cap - 1);
		while (slot[j] && g.v[slot[j] - 1].shape != key)
			j = (j + 1) & (cap - 1);
		if (!slot[j]) {
			gl_cycle_group ng;
			memset(&ng, 0, sizeof ng);
			ng.one = *x;
			ng.shape = key;
			if (gl_vec_push(&g, ng) < 0)
				goto done;
			slot[j] = g.n;
		}
		gl_cycle_group *y = &g.v[slot[j] - 1];
		y->count++;
		y->objects += x->objects;
		y->size += x->size;
		if (y->nexamples < 3)
			y->examples[y->nexamples++] = x->first;
	}
	gl_sort(g.v, g.n, sizeof *g.v, cmp_groups);
	*out = g.v;
	*nout = g.n;
	g.v = NULL;
	rc = 0;
done:
	free(sig);
	free(slot);
	gl_vec_free(&g);
	return rc;
}

/* ---- the cycle of one garbage object ---------------------------------------- */

void gl_cycle_of_free(gl_cycle_of *c)
{
	free(c->members);
	free(c->loop);
	free(c->loop_edges);
	free(c->referrers);
	memset(c, 0, sizeof *c);
}

enum { C_FWD = 1, C_BACK = 2, C_LOOP = 4 };

int gl_cycle_of_find(const gl_analysis *a, uint32_t v, gl_cycle_of *c)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	memset(c, 0, sizeof *c);
	uint8_t *mark = gl_calloc_array(n ? n : 1, 1);
	uint32_t *queue = gl_alloc_array(n ? n : 1, sizeof *queue);
	uint32_t *parent = gl_alloc_array(n ? n : 1, sizeof *parent);
	uint32_t *pedge = gl_alloc_array(n ? n : 1, sizeof *pedge);
	gl_vec(uint32_t) mem = {0}, refs = {0};
	int rc = -1;
	if (!mark || !queue || !parent || !pedge || !s->in_off)
		goto done;
	/* forward and backward among the unreached: the component is where
	 * both meet */
	for (int dir = 0; dir < 2; dir++) {
		uint8_t bit = dir ? C_BACK : C_FWD;
		size_t head = 0, tail = 0;
		mark[v] |= bit;
		queue[tail++] = v;
		while (head < tail) {
			uint32_t u = queue[head++];
			uint64_t lo = dir ? s->in_off[u] : s->out_off[u], hi = dir ? s->in_off[u + 1] : s->out_off[u + 1];
			for (uint64_t k = lo; k < hi; k++) {
				uint32_t w = dir ? s->in_src[k] : s->out_dst[k];
				if (a->dist[w] != GL_NONE || (mark[w] & bit))
					continue;
				mark[w] |= bit;
				queue[tail++] = w;
			}
		}
	}
	for (uint32_t u = 0; u < n; u++)
		if ((mark[u] & (C_FWD | C_BACK)) == (C_FWD | C_BACK)) {
			if (gl_vec_push(&mem, u) < 0)
				goto done;
			c->size += s->size[u];
		}
	/* the shortest way round: breadth first from v inside the component
	 * until a reference back to v */
	size_t head = 0, tail = 0;
	uint32_t last = GL_NONE, back = GL_NONE;
	mark[v] |= C_LOOP;
	parent[v] = GL_NONE;
	queue[tail++] = v;
	while (head < tail && last == GL_NONE) {
		uint32_t u = queue[head++];
		for (uint64_t k = s->out_off[u]; k < s->out_off[u + 1]; k++) {
			uint32_t w = s->out_dst[k];
			if (w == v) {
				last = u;
				back = (uint32_t)k;
				break;
			}
			if ((mark[w] & (C_FWD | C_BACK)) != (C_FWD | C_BACK) || (mark[w] & C_LOOP))
				continue;
			mark[w] |= C_LOOP;
			parent[w] = u;
			pedge[w] = (uint32_t)k;
			queue[tail++] = w;
		}
	}
	if (last != GL_NONE) {
		size_t len = 2;
		for (uint32_t u = last; u != v; u = parent[u])
			len++;
		c->loop = gl_alloc_array(len, sizeof *c->loop);
		c->loop_edges = gl_alloc_array(len, sizeof *c->loop_edges);
		if (!c->loop || !c->loop_edges)
			goto done;
		c->loop[len - 1] = v;
		c->loop_edges[len - 1] = back;
		size_t i = len - 1;
		for (uint32_t u = last; ; u = parent[u]) {
			c->loop[--i] = u;
			c->loop_edges[i] = u == v ? GL_NONE : pedge[u];
			if (u == v)
				break;
		}
		c->n_loop = len;
	}
	/* referrers from outside the component */
	for (size_t i = 0; i < mem.n; i++) {
		uint32_t u = mem.v[i];
		for (uint64_t k = s->in_off[u]; k < s->in_off[u + 1]; k++) {
			uint32_t w = s->in_src[k];
			if ((mark[w] & (C_FWD | C_BACK)) == (C_FWD | C_BACK) || (mark[w] & 8))
				continue;
			mark[w] |= 8; /* counted once */
			c->referrers_total++;
			if (refs.n < 20 && gl_vec_push(&refs, w) < 0)
				goto done;
		}
	}
	c->members = mem.v;
	c->n = mem.n;
	c->referrers = refs.v;
	c->n_referrers = refs.n;
	mem.v = refs.v = NULL;
	rc = 0;
done:
	free(mark), free(queue), free(parent), free(pedge);
	gl_vec_free(&mem);
	gl_vec_free(&refs);
	if (rc < 0)
		gl_cycle_of_free(c);
	return rc;
}
