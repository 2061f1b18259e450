/*
 * analysis.c - roots, tiered BFS, dominators and SCC over a snapshot.
 * Contract and definitions: analysis.h.
 */
#include "analysis.h"

#include <pthread.h>
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

uint32_t gl_field_target(const gl_snap *s, uint32_t id, uint32_t sid)
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
		uint32_t d = gl_field_target(s, id, a->sid_dict);
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

/* 1 if `file` lies under the interpreter's prefix (the standard library,
 * dist-packages): library code rather than the program's own. */
static int library_file(const char *file, const char *prefix)
{
	if (!file || !prefix || !*prefix)
		return 0;
	size_t n = strlen(prefix);
	return strncmp(file, prefix, n) == 0 && (file[n] == '/' || (n && prefix[n - 1] == '/'));
}

/* Adds the frame at address hex (from the header) to a->own, if the
 * snapshot has it. 0, or -1 when memory ran out. */
static int add_own(gl_analysis *a, const char *hex)
{
	char *end;
	unsigned long long addr = strtoull(hex, &end, 16);
	if (*end)
		return 0;
	uint32_t id = gl_snap_find_addr(a->s, addr);
	if (id == GL_NO_ID || !(a->s->flags[id] & GL_OF_FRAME))
		return 0;
	if (gl_realloc_array((void **)&a->own, (size_t)a->n_own + 1, sizeof *a->own) < 0)
		return -1;
	a->own[a->n_own++] = id;
	return 0;
}

/* The roots the header names ("roots": [{"name", "addr"}]) that the
 * snapshot has. 0, or -1 when memory ran out. */
static int find_header_roots(gl_analysis *a, gl_err *err)
{
	json_t *roots = a->s->header ? json_object_get(a->s->header, "roots") : NULL;
	size_t i;
	json_t *r;
	if (!json_is_array(roots) || !json_array_size(roots))
		return 0;
	a->hroots = gl_alloc_array(json_array_size(roots), sizeof *a->hroots);
	a->hroot_names = gl_alloc_array(json_array_size(roots), sizeof *a->hroot_names);
	if (!a->hroots || !a->hroot_names)
		return gl_err_set(err, "out of memory");
	json_array_foreach(roots, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *hex = json_string_value(json_object_get(r, "addr"));
		char *end;
		if (!name || !hex)
			continue;
		unsigned long long addr = strtoull(hex, &end, 16);
		uint32_t id = *end ? GL_NO_ID : gl_snap_find_addr(a->s, addr);
		if (id == GL_NO_ID)
			continue;
		a->hroots[a->n_hroots] = id;
		a->hroot_names[a->n_hroots++] = name;
	}
	return 0;
}

int gl_module_is_library(const gl_analysis *a, uint32_t module)
{
	const gl_snap *s = a->s;
	uint32_t d = gl_field_target(s, module, a->sid_dict);
	uint32_t f = d == GL_NONE ? GL_NONE : dict_lookup(s, d, "__file__");
	size_t len;
	const unsigned char *p = f == GL_NONE ? NULL : gl_snap_preview(s, f, &len);
	if (f == GL_NONE)
		return 1; /* built in: the interpreter's */
	if (!p)
		return 0; /* a file we cannot read (values withheld): the program's, to be safe */
	const char *prefix = json_string_value(json_object_get(json_object_get(s->header, "python"), "prefix"));
	char buf[GL_PREVIEW_MAX + 1];
	memcpy(buf, p, len);
	buf[len] = '\0';
	return library_file(buf, prefix);
}

uint32_t gl_module_named(const gl_analysis *a, const char *name)
{
	if (a->sys_modules == GL_NONE)
		return GL_NONE;
	return dict_lookup(a->s, a->sys_modules, name);
}

int gl_edge_is_environment(const gl_analysis *a, uint32_t u, uint32_t e, uint32_t v)
{
	const gl_snap *s = a->s;
	if (gl_edge_kind(s, e) != GL_EK_FIELD)
		return 0;
	for (int i = 0; i < a->n_env; i++)
		if (s->edge_payload[e] == a->sid_env[i])
			return 1;
	return a->sid_self && s->edge_payload[e] == a->sid_self && (s->flags[v] & GL_OF_MODULE) &&
	       gl_type_is(s, u, "builtin_function_or_method");
}

int gl_thread_of_frame(const gl_analysis *a, uint32_t frame, uint32_t *t)
{
	for (uint32_t i = 0; i < a->n_frames; i++)
		if (a->frames[i].id == frame) {
			*t = a->frames[i].thread;
			return 1;
		}
	return 0;
}

/* The bootstrap's globals (graphleak_run.py marks them with the name
 * __graphleak_bootstrap__): the dicts with that key. */
static int find_own_globals(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	if (!s->in_off)
		return 0;
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (!(s->flags[id] & GL_OF_PREVIEW) || !gl_preview_eq(s, id, "__graphleak_bootstrap__") ||
		    !gl_type_is(s, id, "str"))
			continue;
		for (uint64_t r = s->in_off[id]; r < s->in_off[id + 1]; r++) {
			uint32_t d = s->in_src[r];
			if (gl_edge_kind(s, s->in_edge[r]) != GL_EK_KEY || !gl_type_is(s, d, "dict"))
				continue;
			if (gl_realloc_array((void **)&a->own_globals, (size_t)a->n_own_globals + 1,
					     sizeof *a->own_globals) < 0)
				return gl_err_set(err, "out of memory");
			a->own_globals[a->n_own_globals++] = d;
		}
	}
	return 0;
}

int gl_is_own_code(const gl_analysis *a, uint32_t id)
{
	const gl_snap *s = a->s;
	if (!a->n_own_globals || !(s->flags[id] & GL_OF_FUNCTION))
		return 0;
	uint32_t g = gl_field_target(s, id, a->sid_globals);
	for (uint32_t i = 0; i < a->n_own_globals && g != GL_NONE; i++)
		if (a->own_globals[i] == g)
			return 1;
	return 0;
}

int gl_is_own_frame(const gl_analysis *a, uint32_t id)
{
	for (uint32_t i = 0; i < a->n_own; i++)
		if (a->own[i] == id)
			return 1;
	return 0;
}

uint32_t gl_header_root(const gl_analysis *a, uint32_t id)
{
	for (uint32_t i = 0; i < a->n_hroots; i++)
		if (a->hroots[i] == id)
			return i;
	return GL_NONE;
}

/*
 * Collects the thread frames listed in the header that have records: the
 * frames of the program's own code first, then library frames (files under
 * the interpreter's prefix), each group in the header's order (innermost
 * first). Chains of equal length then start at the program's own frame:
 * "frame consume(), local jobs" rather than "frame get(), local self".
 */
static int find_frames(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	json_t *threads = s->header ? json_object_get(s->header, "threads") : NULL;
	if (!json_is_array(threads))
		return 0;
	const char *prefix = json_string_value(json_object_get(json_object_get(s->header, "python"), "prefix"));
	/* (addr << 13 | thread index), sorted by addr, to find the records;
	 * rank[] keeps each frame's place in the preferred order */
	gl_vec(uint64_t) want = {0};
	gl_vec(uint32_t) rank = {0};
	uint32_t nframes = 0, nprog = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t ti;
		json_t *t;
		if (pass == 1)
			nprog = nframes;
		json_array_foreach(threads, ti, t) {
			size_t fi;
			json_t *f;
			json_array_foreach(json_object_get(t, "frames"), fi, f) {
				const char *file = json_string_value(json_object_get(f, "file"));
				if (library_file(file, prefix) != pass)
					continue;
				const char *hex = json_string_value(json_object_get(f, "addr"));
				if (!hex || ti > 0x1fff)
					continue;
				if (json_is_true(json_object_get(f, "graphleak"))) {
					if (pass == 0 && add_own(a, hex) < 0) {
						gl_vec_free(&want);
						gl_vec_free(&rank);
						return gl_err_set(err, "out of memory");
					}
					continue;
				}
				char *end;
				unsigned long long addr = strtoull(hex, &end, 16);
				if (*end || addr >> 50)
					continue;
				if (gl_vec_push(&want, ((uint64_t)addr << 13) | ti) < 0 ||
				    gl_vec_push(&rank, nframes) < 0) {
					gl_vec_free(&want);
					gl_vec_free(&rank);
					return gl_err_set(err, "out of memory");
				}
				nframes++;
			}
		}
	}
	if (!want.n) {
		gl_vec_free(&want);
		gl_vec_free(&rank);
		return 0;
	}
	/* sort (key, rank) pairs by key: pack rank into a parallel sort */
	uint64_t *pairs = gl_alloc_array(want.n * 2, sizeof *pairs);
	gl_frame_root *found = gl_alloc_array(want.n, sizeof *found);
	uint32_t *found_rank = gl_alloc_array(want.n, sizeof *found_rank);
	if (!pairs || !found || !found_rank) {
		free(pairs), free(found), free(found_rank);
		gl_vec_free(&want);
		gl_vec_free(&rank);
		return gl_err_set(err, "out of memory");
	}
	/* order the keys, carrying their ranks (16-byte pairs sorted by their
	 * first word) */
	for (size_t i = 0; i < want.n; i++) {
		pairs[2 * i] = want.v[i];
		pairs[2 * i + 1] = rank.v[i];
	}
	gl_sort(pairs, want.n, 2 * sizeof *pairs, cmp_u64);
	uint32_t nfound = 0;
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (!(s->flags[id] & GL_OF_FRAME))
			continue;
		uint64_t key = s->addr[id] << 13;
		size_t lo = 0, hi = want.n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if ((pairs[2 * mid] & ~(uint64_t)0x1fff) < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < want.n && (pairs[2 * lo] & ~(uint64_t)0x1fff) == key) {
			found[nfound] = (gl_frame_root){id, (uint32_t)(pairs[2 * lo] & 0x1fff)};
			found_rank[nfound] = (uint32_t)pairs[2 * lo + 1];
			nfound++;
		}
	}
	/* back into the preferred order */
	a->frames = gl_alloc_array(want.n, sizeof *a->frames);
	uint32_t *slot = gl_alloc_array(want.n, sizeof *slot);
	if (!a->frames || !slot) {
		free(pairs), free(found), free(found_rank), free(slot);
		gl_vec_free(&want);
		gl_vec_free(&rank);
		return gl_err_set(err, "out of memory");
	}
	for (size_t r = 0; r < want.n; r++)
		slot[r] = GL_NONE;
	for (uint32_t i = 0; i < nfound; i++)
		slot[found_rank[i]] = i;
	for (size_t r = 0; r < want.n; r++)
		if (slot[r] != GL_NONE) {
			a->frames[a->n_frames++] = found[slot[r]];
			a->n_program_frames += r < nprog;
		}
	free(pairs), free(found), free(found_rank), free(slot);
	gl_vec_free(&want);
	gl_vec_free(&rank);
	return 0;
}

static int is_view(const gl_snap *s, uint32_t e)
{
	return gl_edge_kind(s, e) == GL_EK_VALUE && gl_edge_extra(s, e);
}

static int run_roots(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	a->ext = gl_alloc_array(n, sizeof *a->ext);
	if (n && !a->ext)
		return gl_err_set(err, "out of memory computing external references");
	/* an extra VALUE edge is a view of a reference another edge already
	 * counts (a 3.13 __dict__ over its owner's inline values:
	 * docs/snapshot-format.md), not a reference of its own */
	if (s->in_off) {
		for (uint32_t v = 0; v < n; v++) {
			int64_t seen = (int64_t)(s->in_off[v + 1] - s->in_off[v]);
			for (uint64_t r = s->in_off[v]; r < s->in_off[v + 1]; r++)
				seen -= is_view(s, s->in_edge[r]);
			a->ext[v] = (int64_t)s->refcnt[v] - seen;
		}
	} else {
		for (uint32_t v = 0; v < n; v++)
			a->ext[v] = (int64_t)s->refcnt[v];
		for (uint64_t e = 0; e < s->n_edges; e++)
			a->ext[s->out_dst[e]] -= !is_view(s, (uint32_t)e);
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
	if (find_header_roots(a, err) < 0 || find_own_globals(a, err) < 0)
		return -1;
	return find_frames(a, err);
}

static int run_paths(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	a->parent = gl_alloc_array(n ? n : 1, sizeof *a->parent);
	a->pedge = gl_alloc_array(n ? n : 1, sizeof *a->pedge);
	a->dist = gl_alloc_array(n ? n : 1, sizeof *a->dist);
	/* named roots: sys.modules, the thread frames and the header's roots,
	 * one tier */
	uint32_t *named = gl_alloc_array((size_t)a->n_frames + a->n_hroots + 1, sizeof *named);
	/* a frame's references other than its named locals (f_globals,
	 * f_builtins, f_code, the value stack, f_back) are followed last, so
	 * that a module global is named through its module rather than through
	 * some frame's f_globals */
	uint8_t *deferred = gl_calloc_array(s->n_edges ? s->n_edges : 1, 1);
	if (!a->parent || !a->pedge || !a->dist || !named || !deferred) {
		free(named), free(deferred);
		return gl_err_set(err, "out of memory finding retainer chains");
	}
	uint32_t k = 0;
	if (a->sys_modules != GL_NONE)
		named[k++] = a->sys_modules;
	for (uint32_t i = 0; i < a->n_frames; i++)
		named[k++] = a->frames[i].id;
	for (uint32_t i = 0; i < a->n_hroots; i++)
		named[k++] = a->hroots[i];
	for (uint32_t v = 0; v < n; v++) {
		if (!(s->flags[v] & GL_OF_FRAME))
			continue;
		for (uint64_t e = s->out_off[v]; e < s->out_off[v + 1]; e++)
			deferred[e] = gl_edge_kind(s, (uint32_t)e) != GL_EK_LOCAL;
	}
	/* graphleak's own frames come last, so that a chain starts at one of
	 * them only when nothing of the program's reaches the object */
	uint32_t *anon = gl_alloc_array((size_t)a->n_roots + 1, sizeof *anon);
	if (!anon) {
		free(named), free(deferred);
		return gl_err_set(err, "out of memory finding retainer chains");
	}
	uint32_t na = 0;
	for (uint32_t i = 0; i < a->n_roots; i++)
		if (!gl_is_own_frame(a, a->roots[i]))
			anon[na++] = a->roots[i];
	gl_bfs_tier tiers[3] = {
		{named, k},
		{anon, na},
		{a->own, a->n_own},
	};
	int64_t reached = gl_bfs_tiers_deferred(&a->fwd, tiers, 3, deferred, a->parent, a->pedge, NULL, a->dist);
	free(named), free(deferred), free(anon);
	if (reached < 0)
		return gl_err_set(err, "out of memory finding retainer chains");
	a->n_unreached = n - (uint32_t)reached;
	return 0;
}

static int run_dom(gl_analysis *a, gl_err *err)
{
	uint32_t n = a->s->n_objects;
	/* the roots: sys.modules, thread frames, then external holders */
	size_t nr = (size_t)a->n_roots + a->n_frames + a->n_hroots + 1;
	uint32_t *roots = gl_alloc_array(nr, sizeof *roots);
	if (!roots)
		return gl_err_set(err, "out of memory building the dominator tree");
	uint32_t k = 0;
	if (a->sys_modules != GL_NONE)
		roots[k++] = a->sys_modules;
	for (uint32_t i = 0; i < a->n_frames; i++)
		roots[k++] = a->frames[i].id;
	for (uint32_t i = 0; i < a->n_hroots; i++)
		roots[k++] = a->hroots[i];
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
	/* the preorder served the retained sizes and the children lists */
	free(a->dt.order);
	a->dt.order = NULL;
	return 0;
}

static int run_scc(gl_analysis *a, gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	a->comp = gl_alloc_array(n ? n : 1, sizeof *a->comp);
	a->in_cycle = gl_calloc_array(n ? n : 1, 1);
	if (!a->comp || !a->in_cycle)
		return gl_err_set(err, "out of memory finding cycles");
	if (gl_scc(&a->fwd, a->comp, &a->n_comp) < 0)
		return gl_err_set(err, "out of memory finding cycles");
	/* components of two or more: count members in a scratch array */
	uint32_t *size = gl_calloc_array(a->n_comp ? a->n_comp : 1, sizeof *size);
	if (!size)
		return gl_err_set(err, "out of memory finding cycles");
	for (uint32_t v = 0; v < n; v++)
		size[a->comp[v]]++;
	for (uint32_t v = 0; v < n; v++) {
		int on = size[a->comp[v]] > 1;
		for (uint64_t e = s->out_off[v]; e < s->out_off[v + 1] && !on; e++)
			on = s->out_dst[e] == v;
		a->in_cycle[v] = (uint8_t)on;
	}
	free(size);
	return 0;
}

/* The second thread's share: the chains, which do not depend on the
 * dominator tree (and write only their own fields of the analysis). The
 * cycles (SCC) come after the tree, on the first thread: their work arrays
 * and the tree's are not alive at once (a lower peak: 196 -> 191 bytes per
 * object at 1M gc-tracked objects, in the same time). */
typedef struct {
	gl_analysis *a;
	unsigned what;
	gl_err err;
	int rc;
} side_work;

static void *side_run(void *arg)
{
	side_work *w = arg;
	w->rc = 0;
	if ((w->what & GL_AN_PATHS) && run_paths(w->a, &w->err) < 0)
		w->rc = -1;
	if (!w->rc && (w->what & GL_AN_SCC) && run_scc(w->a, &w->err) < 0)
		w->rc = -1;
	return NULL;
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
		a->sid_code = gl_snap_sid(s, "__code__");
		a->sid_freevars = gl_snap_sid(s, "co_freevars");
		a->sid_lpnames = gl_snap_sid(s, "co_localsplusnames");
		a->sid_globals = gl_snap_sid(s, "__globals__");
		a->sid_self = gl_snap_sid(s, "__self__");
		static const char *const env[] = {"__globals__", "__builtins__", "f_globals", "f_builtins",
						  "f_back", "f_code", "__class__"};
		for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
			uint32_t sid = gl_snap_sid(s, env[i]);
			if (sid)
				a->sid_env[a->n_env++] = sid;
		}
		a->sys_modules = GL_NONE;
		if (s->n_objects >= UINT32_MAX - 1)
			return gl_err_set(err, "too many objects to analyze");
		if (run_roots(a, err) < 0)
			return -1;
	}
	if ((what & (GL_AN_DOM | GL_AN_SCC)) && !s->in_off)
		return gl_err_set(err, "internal: the analysis needs the snapshot's reverse edges");
	what &= ~a->done;
	/* With the dominator tree to build and the chains besides, the chains
	 * run on a second thread (the two share nothing they write). */
	side_work side = {a, what & GL_AN_PATHS, {0}, 0};
	pthread_t th;
	int threaded = (what & GL_AN_DOM) && side.what && pthread_create(&th, NULL, side_run, &side) == 0;
	if (!threaded && side.what)
		side_run(&side);
	int rc = 0;
	if ((what & GL_AN_DOM) && run_dom(a, err) < 0)
		rc = -1;
	if (threaded)
		pthread_join(th, NULL);
	if (rc == 0 && side.rc == 0 && (what & GL_AN_SCC) && run_scc(a, err) < 0)
		rc = -1;
	if (side.rc < 0) {
		if (!err || !err->set)
			gl_err_set(err, "%s", side.err.msg);
		rc = -1;
	}
	if (rc == 0)
		a->done |= what;
	return rc;
}

void gl_analysis_free(gl_analysis *a)
{
	free(a->ext), free(a->roots), free(a->frames), free(a->own), free(a->hroots), free(a->hroot_names);
	free(a->own_globals);
	free(a->parent), free(a->pedge), free(a->dist);
	gl_domtree_free(&a->dt);
	free(a->retained), free(a->koff), free(a->kids);
	free(a->comp), free(a->in_cycle);
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
	uint32_t *next = gl_alloc_array((size_t)n + 1, sizeof *next);
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

typedef struct {
	uint64_t retained;
	uint32_t id;
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
	const ranked *a = x, *b = y;
	if (a->retained != b->retained)
		return a->retained > b->retained ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

int gl_suspects(const gl_analysis *a, uint64_t threshold, uint32_t **ids, size_t *n)
{
	uint32_t root = a->s->n_objects;
	gl_vec(uint32_t) stack = {0};
	gl_vec(ranked) found = {0};
	*ids = NULL;
	*n = 0;
	if (gl_vec_push(&stack, root) < 0)
		return -1;
	while (stack.n) {
		uint32_t v = stack.v[--stack.n];
		int big_kid = 0;
		for (uint64_t k = a->koff[v]; k < a->koff[v + 1]; k++) {
			uint32_t c = a->kids[k];
			if (a->retained[c] >= threshold) {
				big_kid = 1;
				if (gl_vec_push(&stack, c) < 0)
					goto oom;
			}
		}
		if (!big_kid && v != root && gl_vec_push(&found, ((ranked){a->retained[v], v})) < 0)
			goto oom;
	}
	gl_sort(found.v, found.n, sizeof *found.v, cmp_ranked);
	uint32_t *out = gl_alloc_array(found.n ? found.n : 1, sizeof *out);
	if (!out)
		goto oom;
	for (size_t i = 0; i < found.n; i++)
		out[i] = found.v[i].id;
	*ids = out;
	*n = found.n;
	gl_vec_free(&stack);
	gl_vec_free(&found);
	return 0;
oom:
	gl_vec_free(&stack);
	gl_vec_free(&found);
	return -1;
}

int gl_dom_subtree(const gl_analysis *a, uint32_t v, uint32_t **ids, size_t *n)
{
	gl_vec(uint32_t) out = {0};
	*ids = NULL;
	*n = 0;
	if (gl_vec_push(&out, v) < 0)
		return -1;
	for (size_t i = 0; i < out.n; i++) {
		uint32_t x = out.v[i];
		for (uint64_t k = a->koff[x]; k < a->koff[x + 1]; k++)
			if (gl_vec_push(&out, a->kids[k]) < 0) {
				gl_vec_free(&out);
				return -1;
			}
	}
	*ids = out.v;
	*n = out.n;
	return 0;
}

int gl_dom_sums(const gl_analysis *a, const uint64_t *w, uint64_t *out)
{
	uint32_t n = a->s->n_objects;
	uint32_t *order = gl_alloc_array((size_t)n + 1, sizeof *order);
	if (!order)
		return -1;
	size_t m = 0;
	order[m++] = n;
	for (size_t i = 0; i < m; i++) {
		uint32_t x = order[i];
		for (uint64_t k = a->koff[x]; k < a->koff[x + 1] && m <= n; k++)
			order[m++] = a->kids[k];
	}
	for (uint32_t v = 0; v < n; v++)
		out[v] = w[v];
	out[n] = 0;
	for (size_t i = m; i-- > 1;)
		out[a->dt.idom[order[i]]] += out[order[i]];
	free(order);
	return 0;
}

int gl_type_matches(const gl_snap *s, uint32_t id, const char *name)
{
	size_t len, nlen = strlen(name);
	const char *t = gl_snap_str(s, s->type[id], &len);
	if (len == nlen && memcmp(t, name, nlen) == 0)
		return 1;
	return len > nlen && t[len - nlen - 1] == '.' && memcmp(t + len - nlen, name, nlen) == 0;
}
