/*
 * analysis.c - roots, tiered BFS, dominators and SCC over a snapshot.
 * Contract and definitions: analysis.h.
 */
#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "scc.h"
#include "vec.h"

uint32_t gl_snap_sid(const gl_snap *s, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t sid = 1; sid < s->n_strings; sid++) {
		size_t len;
		const char *p = gl_snap_str(s, sid, &len);
		if (len == n && memcmp(p, name, n) == 0)
			return sid;
	}
	return 0;
}

int gl_preview_eq(const gl_snap *s, uint32_t id, const char *text)
{
	size_t len;
	const unsigned char *p = gl_snap_preview(s, id, &len);
	size_t n = strlen(text);
	return p && len == n && !(s->flags[id] & GL_OF_PREVIEW_TRUNC) && memcmp(p, text, n) == 0;
}

int gl_type_is(const gl_snap *s, uint32_t id, const char *name)
{
	size_t len;
	const char *p = gl_snap_str(s, s->type[id], &len);
	return len == strlen(name) && memcmp(p, name, len) == 0;
}

uint32_t gl_value_key(const gl_snap *s, uint64_t e)
{
	if (gl_edge_kind(s, (uint32_t)e) != GL_EK_VALUE || e == 0)
		return GL_NONE;
	/* the KEY edge must belong to the same source: find e's source range */
	uint64_t k = e - 1;
	if (gl_edge_kind(s, (uint32_t)k) != GL_EK_KEY)
		return GL_NONE;
	return s->out_dst[k];
}

uint32_t gl_dict_owner(const gl_analysis *a, uint32_t dict)
{
	const gl_snap *s = a->s;
	if (!s->in_off || !a->sid_dict)
		return GL_NONE;
	for (uint64_t r = s->in_off[dict]; r < s->in_off[dict + 1]; r++) {
		uint32_t fe = s->in_edge[r];
		if (gl_edge_kind(s, fe) == GL_EK_FIELD && s->edge_payload[fe] == a->sid_dict)
			return s->in_src[r];
	}
	return GL_NONE;
}

/* The target of the VALUE edge of dict d whose key is the str `key`. */
static uint32_t dict_lookup(const gl_snap *s, uint32_t d, const char *key)
{
	for (uint64_t e = s->out_off[d] + 1; e < s->out_off[d + 1]; e++) {
		if (gl_edge_kind(s, (uint32_t)e) != GL_EK_VALUE)
			continue;
		uint32_t k = gl_value_key(s, e);
		if (k != GL_NONE && gl_preview_eq(s, k, key))
			return s->out_dst[e];
	}
	return GL_NONE;
}

/* The FIELD edge target of object id named by sid, or GL_NONE. */
static uint32_t field(const gl_snap *s, uint32_t id, uint32_t sid)
{
	if (!sid)
		return GL_NONE;
	for (uint64_t e = s->out_off[id]; e < s->out_off[id + 1]; e++)
		if (gl_edge_kind(s, (uint32_t)e) == GL_EK_FIELD && s->edge_payload[e] == sid)
			return s->out_dst[e];
	return GL_NONE;
}

static void find_sys_modules(gl_analysis *a)
{
	const gl_snap *s = a->s;
	a->sys_modules = GL_NONE;
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (!(s->flags[id] & GL_OF_MODULE) || !gl_preview_eq(s, id, "sys"))
			continue;
		uint32_t d = field(s, id, a->sid_dict);
		if (d == GL_NONE)
			continue;
		uint32_t m = dict_lookup(s, d, "modules");
		if (m != GL_NONE && gl_type_is(s, m, "dict")) {
			a->sys_modules = m;
			return;
		}
	}
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Collects the thread frames listed in the header that have records. */
static int find_frames(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	json_t *threads = s->header ? json_object_get(s->header, "threads") : NULL;
	if (!json_is_array(threads))
		return 0;
	/* (addr, thread index) pairs, sorted by addr */
	gl_vec(uint64_t) want = {0};
	size_t ti;
	json_t *t;
	json_array_foreach(threads, ti, t) {
		json_t *frames = json_object_get(t, "frames");
		size_t fi;
		json_t *f;
		json_array_foreach(frames, fi, f) {
			const char *hex = json_string_value(json_object_get(f, "addr"));
			if (!hex)
				continue;
			char *end;
			unsigned long long addr = strtoull(hex, &end, 16);
			if (*end || ti > 0xffff)
				continue;
			/* addresses are multiples of 8: keep the thread in the low bits
			 * after shifting */
			if (gl_vec_push(&want, ((uint64_t)addr << 13) | ti) < 0) {
				gl_vec_free(&want);
				return gl_err_set(err, "out of memory");
			}
		}
	}
	if (!want.n) {
		gl_vec_free(&want);
		return 0;
	}
	qsort(want.v, want.n, sizeof *want.v, cmp_u64);
	a->frames = gl_alloc_array(want.n, sizeof *a->frames);
	if (!a->frames) {
		gl_vec_free(&want);
		return gl_err_set(err, "out of memory");
	}
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (!(s->flags[id] & GL_OF_FRAME))
			continue;
		uint64_t key = s->addr[id] << 13;
		size_t lo = 0, hi = want.n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if ((want.v[mid] & ~(uint64_t)0x1fff) < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < want.n && (want.v[lo] & ~(uint64_t)0x1fff) == key)
			a->frames[a->n_frames++] = (gl_frame_root){id, (uint32_t)(want.v[lo] & 0x1fff)};
	}
	gl_vec_free(&want);
	return 0;
}

static int run_roots(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	a->ext = gl_alloc_array(n, sizeof *a->ext);
	if (n && !a->ext)
		return gl_err_set(err, "out of memory computing external references");
	if (s->in_off) {
		for (uint32_t v = 0; v < n; v++)
			a->ext[v] = (int64_t)s->refcnt[v] - (int64_t)(s->in_off[v + 1] - s->in_off[v]);
	} else {
		for (uint32_t v = 0; v < n; v++)
			a->ext[v] = (int64_t)s->refcnt[v];
		for (uint64_t e = 0; e < s->n_edges; e++)
			a->ext[s->out_dst[e]]--;
	}
	uint32_t nr = 0;
	for (uint32_t v = 0; v < n; v++) {
		nr += a->ext[v] > 0;
		a->n_negative += a->ext[v] < 0;
	}
	a->roots = gl_alloc_array(nr ? nr : 1, sizeof *a->roots);
	if (!a->roots)
		return gl_err_set(err, "out of memory collecting roots");
	for (uint32_t v = 0; v < n; v++)
		if (a->ext[v] > 0)
			a->roots[a->n_roots++] = v;
	find_sys_modules(a);
	return find_frames(a, err);
}

static int run_paths(gl_analysis *a, gl_err *err)
{
	uint32_t n = a->s->n_objects;
	a->parent = gl_alloc_array(n ? n : 1, sizeof *a->parent);
	a->pedge = gl_alloc_array(n ? n : 1, sizeof *a->pedge);
	a->tier = gl_alloc_array(n ? n : 1, sizeof *a->tier);
	a->dist = gl_alloc_array(n ? n : 1, sizeof *a->dist);
	uint32_t *fids = gl_alloc_array(a->n_frames ? a->n_frames : 1, sizeof *fids);
	if (!a->parent || !a->pedge || !a->tier || !a->dist || !fids) {
		free(fids);
		return gl_err_set(err, "out of memory finding retainer chains");
	}
	for (uint32_t i = 0; i < a->n_frames; i++)
		fids[i] = a->frames[i].id;
	gl_bfs_tier tiers[3] = {
		{&a->sys_modules, a->sys_modules == GL_NONE ? 0 : 1},
		{fids, a->n_frames},
		{a->roots, a->n_roots},
	};
	int64_t reached = gl_bfs_tiers(&a->fwd, tiers, 3, a->parent, a->pedge, a->tier, a->dist);
	free(fids);
	if (reached < 0)
		return gl_err_set(err, "out of memory finding retainer chains");
	a->n_unreached = n - (uint32_t)reached;
	return 0;
}

static int run_dom(gl_analysis *a, gl_err *err)
{
	uint32_t n = a->s->n_objects;
	/* the roots: sys.modules, thread frames, then external holders */
	size_t nr = (size_t)a->n_roots + a->n_frames + 1;
	uint32_t *roots = gl_alloc_array(nr, sizeof *roots);
	if (!roots)
		return gl_err_set(err, "out of memory building the dominator tree");
	uint32_t k = 0;
	if (a->sys_modules != GL_NONE)
		roots[k++] = a->sys_modules;
	for (uint32_t i = 0; i < a->n_frames; i++)
		roots[k++] = a->frames[i].id;
	memcpy(roots + k, a->roots, (size_t)a->n_roots * sizeof *roots);
	k += a->n_roots;
	int rc = gl_domtree_build(&a->dt, &a->fwd, &a->rev, roots, k);
	free(roots);
	if (rc < 0)
		return gl_err_set(err, "out of memory building the dominator tree");
	a->retained = gl_alloc_array((size_t)n + 1, sizeof *a->retained);
	if (!a->retained)
		return gl_err_set(err, "out of memory computing retained sizes");
	gl_domtree_retained(&a->dt, a->s->size, a->retained);
	if (gl_domtree_children(&a->dt, &a->koff, &a->kids) < 0)
		return gl_err_set(err, "out of memory building the dominator tree");
	return 0;
}

static int run_scc(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	a->comp = gl_alloc_array(n ? n : 1, sizeof *a->comp);
	a->self_loop = gl_calloc_array(n ? n : 1, 1);
	if (!a->comp || !a->self_loop)
		return gl_err_set(err, "out of memory finding cycles");
	if (gl_scc(&a->fwd, a->comp, &a->n_comp) < 0)
		return gl_err_set(err, "out of memory finding cycles");
	a->comp_size = gl_calloc_array(a->n_comp ? a->n_comp : 1, sizeof *a->comp_size);
	if (!a->comp_size)
		return gl_err_set(err, "out of memory finding cycles");
	for (uint32_t v = 0; v < n; v++) {
		a->comp_size[a->comp[v]]++;
		for (uint64_t e = s->out_off[v]; e < s->out_off[v + 1]; e++)
			if (s->out_dst[e] == v)
				a->self_loop[v] = 1;
	}
	return 0;
}

int gl_analysis_run(gl_analysis *a, const gl_snap *s, unsigned what, gl_err *err)
{
	if (a->s != s) {
		memset(a, 0, sizeof *a);
		a->s = s;
		a->fwd = (gl_csr){s->n_objects, s->out_off, s->out_dst};
		a->rev = (gl_csr){s->n_objects, s->in_off, s->in_src};
		a->sid_dict = gl_snap_sid(s, "__dict__");
		a->sid_type_dict = gl_snap_sid(s, "dict");
		a->sys_modules = GL_NONE;
		if (s->n_objects >= UINT32_MAX - 1)
			return gl_err_set(err, "too many objects to analyze");
		if (run_roots(a, err) < 0)
			return -1;
	}
	if ((what & (GL_AN_DOM | GL_AN_SCC)) && !s->in_off)
		return gl_err_set(err, "internal: the analysis needs the snapshot's reverse edges");
	if ((what & GL_AN_PATHS) && !(a->done & GL_AN_PATHS)) {
		if (run_paths(a, err) < 0)
			return -1;
		a->done |= GL_AN_PATHS;
	}
	if ((what & GL_AN_DOM) && !(a->done & GL_AN_DOM)) {
		if (run_dom(a, err) < 0)
			return -1;
		a->done |= GL_AN_DOM;
	}
	if ((what & GL_AN_SCC) && !(a->done & GL_AN_SCC)) {
		if (run_scc(a, err) < 0)
			return -1;
		a->done |= GL_AN_SCC;
	}
	return 0;
}

void gl_analysis_free(gl_analysis *a)
{
	free(a->ext), free(a->roots), free(a->frames);
	free(a->parent), free(a->pedge), free(a->tier), free(a->dist);
	gl_domtree_free(&a->dt);
	free(a->retained), free(a->koff), free(a->kids);
	free(a->comp), free(a->comp_size), free(a->self_loop);
	memset(a, 0, sizeof *a);
}

int gl_type_retained(const gl_analysis *a, uint64_t *per_type)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	memset(per_type, 0, (size_t)s->n_strings * sizeof *per_type);
	/* active[t]: objects of type t on the current root-to-node path */
	uint32_t *active = gl_calloc_array(s->n_strings ? s->n_strings : 1, sizeof *active);
	uint32_t *node = gl_alloc_array((size_t)n + 1, sizeof *node);
	uint64_t *next = gl_alloc_array((size_t)n + 1, sizeof *next);
	if (!active || !node || !next) {
		free(active), free(node), free(next);
		return -1;
	}
	size_t sp = 0;
	node[sp] = n;
	next[sp] = a->koff[n];
	sp++;
	while (sp) {
		uint32_t v = node[sp - 1];
		if (next[sp - 1] < a->koff[v + 1]) {
			uint32_t c = a->kids[next[sp - 1]++];
			uint32_t t = s->type[c];
			if (active[t]++ == 0)
				per_type[t] += a->retained[c];
			node[sp] = c;
			next[sp] = a->koff[c];
			sp++;
			continue;
		}
		if (v != n)
			active[s->type[v]]--;
		sp--;
	}
	free(active), free(node), free(next);
	return 0;
}
