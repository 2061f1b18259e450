/*
 * holder.c - retainer chains and root holders in words. See holder.h.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "holder.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "humanfmt.h"
#include "vec.h"

int gl_chain(const gl_analysis *a, uint32_t target, gl_path *p)
{
	memset(p, 0, sizeof *p);
	if (a->dist[target] == GL_NONE)
		return 0;
	size_t n = (size_t)a->dist[target] + 1;
	p->ids = gl_alloc_array(n, sizeof *p->ids);
	p->edges = gl_alloc_array(n, sizeof *p->edges);
	if (!p->ids || !p->edges) {
		gl_path_free(p);
		return -1;
	}
	uint32_t v = target;
	for (size_t i = n; i > 0; i--) {
		p->ids[i - 1] = v;
		p->edges[i - 1] = i > 1 ? a->pedge[v] : GL_NONE;
		v = a->parent[v];
	}
	p->len = n;
	return 0;
}

void gl_path_free(gl_path *p)
{
	free(p->ids);
	free(p->edges);
	memset(p, 0, sizeof *p);
}

static int step_label(const gl_analysis *a, const gl_path *p, size_t *i, gl_sb *l);

static void put_str(gl_sb *b, const gl_snap *s, uint32_t sid)
{
	size_t len;
	const char *p = gl_snap_str(s, sid, &len);
	gl_sb_escaped(b, (const unsigned char *)p, len, 0, 0);
}

static void put_preview(gl_sb *b, const gl_snap *s, uint32_t id, char quote)
{
	size_t len;
	const unsigned char *p = gl_snap_preview(s, id, &len);
	if (p)
		gl_sb_escaped(b, p, len, quote, (s->flags[id] & GL_OF_PREVIEW_TRUNC) != 0);
}

void gl_describe_redacted(const gl_snap *s, uint32_t id, gl_sb *b)
{
	size_t n;
	const unsigned char *p = gl_snap_preview(s, id, &n);
	unsigned char len[8]; /* the length, least significant byte first */
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(s->length[id] >> (8 * i));
	uint64_t h = gl_hash_more(gl_hash_bytes(p, n), len, sizeof len); /* the preview and the length */
	put_str(b, s, s->type[id]);
	gl_sb_printf(b, "(%llu)", (unsigned long long)s->length[id]);
	if (p)
		gl_sb_printf(b, " #%06llx", (unsigned long long)((h ^ (h >> 32)) & 0xffffff));
}

/* 1 if the preview is a Python identifier (printable without quotes). */
static int preview_is_ident(const gl_snap *s, uint32_t id)
{
	size_t len;
	const unsigned char *p = gl_snap_preview(s, id, &len);
	if (!p || !len || (s->flags[id] & GL_OF_PREVIEW_TRUNC) || !gl_type_is(s, id, "str"))
		return 0;
	if (!(isalpha(p[0]) || p[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum(p[i]) || p[i] == '_'))
			return 0;
	return 1;
}

void gl_describe_key(const gl_snap *s, uint32_t key, gl_sb *b)
{
	if (key == GL_NONE) {
		gl_sb_puts(b, "?");
		return;
	}
	int has = (s->flags[key] & GL_OF_PREVIEW) != 0;
	if (s->redact && gl_is_text_value(s, key)) {
		gl_describe_redacted(s, key, b);
	} else if (has && gl_type_is(s, key, "str")) {
		gl_sb_puts(b, "'");
		put_preview(b, s, key, '\'');
		gl_sb_puts(b, "'");
	} else if (has && (gl_type_is(s, key, "bytes"))) {
		gl_sb_puts(b, "b'");
		put_preview(b, s, key, '\'');
		gl_sb_puts(b, "'");
	} else if (has && (gl_type_is(s, key, "int") || gl_type_is(s, key, "float") ||
			   gl_type_is(s, key, "bool"))) {
		put_preview(b, s, key, 0);
	} else {
		gl_sb_puts(b, "<");
		put_str(b, s, s->type[key]);
		gl_sb_puts(b, ">");
	}
}

void gl_describe_obj(const gl_snap *s, uint32_t id, gl_sb *b)
{
	char n1[GL_FMT_BUF];
	uint32_t f = s->flags[id];
	if (s->redact && gl_is_text_value(s, id)) {
		gl_describe_redacted(s, id, b);
		return;
	}
	if (f & GL_OF_MODULE) {
		gl_sb_puts(b, "module ");
		put_preview(b, s, id, 0);
		return;
	}
	if (f & GL_OF_TYPE) {
		gl_sb_puts(b, "class ");
		put_preview(b, s, id, 0);
		return;
	}
	put_str(b, s, s->type[id]);
	if ((f & (GL_OF_FUNCTION | GL_OF_FRAME)) && (f & GL_OF_PREVIEW)) {
		gl_sb_puts(b, " ");
		put_preview(b, s, id, 0);
		gl_sb_puts(b, "()");
		return;
	}
	if (gl_type_is(s, id, "str") || gl_type_is(s, id, "bytes") || gl_type_is(s, id, "int") ||
	    gl_type_is(s, id, "float")) {
		if (f & GL_OF_PREVIEW) {
			gl_sb_puts(b, " ");
			gl_describe_key(s, id, b);
		} else if (f & GL_OF_REDACTED) {
			gl_sb_printf(b, " (value withheld, %s)", gl_fmt_bytes(n1, s->size[id]));
		}
		if (!gl_type_is(s, id, "int") && !gl_type_is(s, id, "float") && s->length[id] > 64)
			gl_sb_printf(b, ", %s long", gl_fmt_count(n1, s->length[id]));
		return;
	}
	if (f & GL_OF_GCTYPE) {
		const char *what = gl_type_is(s, id, "dict") ? "entries" : "items";
		if (s->length[id] || gl_type_is(s, id, "dict") || gl_type_is(s, id, "list") ||
		    gl_type_is(s, id, "set") || gl_type_is(s, id, "tuple"))
			gl_sb_printf(b, ", %s %s", gl_fmt_count(n1, s->length[id]),
				     s->length[id] == 1 ? (what[0] == 'e' ? "entry" : "item") : what);
	}
}

void gl_thread_name(const gl_snap *s, uint32_t t, gl_sb *b)
{
	json_t *th = json_array_get(json_object_get(s->header, "threads"), t);
	const char *name = json_string_value(json_object_get(th, "name"));
	if (name)
		gl_sb_escaped(b, (const unsigned char *)name, strlen(name), 0, 0);
	else
		gl_sb_printf(b, "%u", t);
}

static uint32_t sid_is(const gl_snap *s, uint32_t sid, const char *name)
{
	size_t len;
	const char *p = gl_snap_str(s, sid, &len);
	return len == strlen(name) && memcmp(p, name, len) == 0;
}

/* The object edge e comes out of (a binary search of the CSR offsets). */
static uint32_t edge_source(const gl_snap *s, uint64_t e)
{
	uint32_t lo = 0, hi = s->n_objects;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->out_off[mid] <= e)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* A dict key that is a name, not a value: a key of sys.modules (module
 * names), or an identifier key of a module's, class's or instance's
 * __dict__ (a global or attribute name). --redact keeps these. */
int gl_key_is_name(const gl_analysis *a, uint32_t dict, int is_attrs, uint32_t key)
{
	const gl_snap *s = a->s;
	if (key == GL_NONE || !gl_type_is(s, key, "str"))
		return 0;
	if (a->sys_modules != GL_NONE && dict == a->sys_modules)
		return 1;
	if (!preview_is_ident(s, key))
		return 0;
	return is_attrs < 0 ? gl_dict_owner(a, dict) != GL_NONE : is_attrs;
}

static int key_is_name(const gl_analysis *a, uint64_t e, uint32_t key)
{
	return gl_key_is_name(a, edge_source(a->s, e), -1, key);
}

void gl_describe_edge(const gl_analysis *a, uint64_t e, gl_sb *b)
{
	const gl_snap *s = a->s;
	unsigned kind = gl_edge_kind(s, (uint32_t)e);
	switch (kind) {
	case GL_EK_INDEX:
		gl_sb_printf(b, "[%u]", s->edge_payload[e]);
		break;
	case GL_EK_KEY:
		gl_sb_puts(b, "(key)");
		break;
	case GL_EK_VALUE: {
		uint32_t key = gl_value_key(s, e);
		gl_sb_puts(b, "[");
		if (key_is_name(a, e, key)) {
			/* a name, not a value: shown even with --redact */
			gl_sb_puts(b, "'");
			put_preview(b, s, key, '\'');
			gl_sb_puts(b, "'");
		} else {
			gl_describe_key(s, key, b);
		}
		gl_sb_puts(b, "]");
		break;
	}
	case GL_EK_ATTR:
	case GL_EK_FIELD:
		gl_sb_puts(b, ".");
		put_str(b, s, s->edge_payload[e]);
		break;
	case GL_EK_LOCAL:
		gl_sb_puts(b, "local ");
		put_str(b, s, s->edge_payload[e]);
		break;
	case GL_EK_MEMBER:
		gl_sb_puts(b, "{member}");
		break;
	default:
		gl_sb_puts(b, "->");
		break;
	}
}

void gl_describe_root(const gl_analysis *a, uint32_t root, gl_sb *b)
{
	const gl_snap *s = a->s;
	uint32_t t, r;
	if (root == a->sys_modules) {
		gl_sb_puts(b, "sys.modules");
	} else if ((s->flags[root] & GL_OF_FRAME) && gl_thread_of_frame(a, root, &t)) {
		gl_sb_puts(b, "thread ");
		gl_thread_name(s, t, b);
		gl_sb_puts(b, ", frame ");
		put_preview(b, s, root, 0);
		gl_sb_puts(b, "()");
	} else if ((r = gl_header_root(a, root)) != GL_NONE) {
		const char *name = a->hroot_names[r];
		gl_sb_puts(b, "the interpreter's ");
		gl_sb_escaped(b, (const unsigned char *)name, strlen(name), 0, 0);
	} else if (gl_is_own_frame(a, root)) {
		gl_sb_puts(b, "graphleak's own frame ");
		put_preview(b, s, root, 0);
		gl_sb_puts(b, "() (taking the snapshot)");
	} else if (a->ext[root] <= 0) {
		/* not a root at all: the start of a path inside the heap (a cycle
		 * of garbage, say) */
		put_str(b, s, s->type[root]);
		gl_sb_printf(b, " at 0x%llx", (unsigned long long)s->addr[root]);
	} else {
		char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
		put_str(b, s, s->type[root]);
		int64_t seen = (int64_t)s->refcnt[root] - a->ext[root];
		gl_sb_printf(b, " at 0x%llx (held from outside the heap: refcount %s, %s seen)",
			     (unsigned long long)s->addr[root], gl_fmt_count(n1, s->refcnt[root]),
			     gl_fmt_count(n2, seen < 0 ? 0 : (uint64_t)seen));
	}
}

/* If p->ids[i] is a __dict__ of a module or class reached by its FIELD
 * edge, or is any dict owned that way, the owner; else GL_NONE. */
static uint32_t owner_of(const gl_analysis *a, const gl_path *p, size_t i)
{
	if (i >= 1) {
		uint32_t e = p->edges[i];
		if (gl_edge_kind(a->s, e) == GL_EK_FIELD && a->s->edge_payload[e] == a->sid_dict)
			return p->ids[i - 1];
	}
	return gl_dict_owner(a, p->ids[i]);
}

static void type_name(const gl_snap *s, uint32_t id, gl_sb *b)
{
	put_str(b, s, s->type[id]);
}

int gl_chain_line(const gl_analysis *a, uint32_t target, gl_sb *out)
{
	gl_path p;
	if (gl_chain(a, target, &p) < 0)
		return -1;
	if (!p.len) {
		gl_sb_puts(out, "(no root reaches it)");
		return 0;
	}
	int rc = gl_path_line(a, &p, out);
	gl_path_free(&p);
	return rc;
}

/* Appends step label l (a step of p, reaching p->ids[at]) as a chain line
 * says it: unnamed references as " -> type", "local x", "(key)" and
 * "{member}" set apart by a space. */
static void put_step(const gl_analysis *a, const gl_path *p, size_t at, const char *l, int last, gl_sb *out)
{
	if (strcmp(l, "->") == 0) {
		gl_sb_puts(out, " -> ");
		type_name(a->s, p->ids[at], out);
		if (!last)
			gl_sb_puts(out, " ");
		return;
	}
	if (l[0] == 'l' || l[0] == '(' || l[0] == '{')
		gl_sb_puts(out, " ");
	gl_sb_puts(out, l);
}

int gl_path_line(const gl_analysis *a, const gl_path *p, gl_sb *out)
{
	gl_step *st;
	size_t ns;
	if (gl_chain_steps(a, p, &st, &ns) < 0)
		return -1;
	for (size_t i = 0; i < ns; i++) {
		if (i == 0)
			gl_sb_puts(out, gl_sb_str(&st[i].label));
		else
			put_step(a, p, st[i].at, gl_sb_str(&st[i].label), i + 1 == ns, out);
	}
	gl_steps_free(st, ns);
	return gl_sb_failed(out) ? -1 : 0;
}

void gl_path_suffix(const gl_analysis *a, const gl_path *p, size_t from, size_t max_steps, gl_sb *out)
{
	gl_sb l = {0};
	/* the folded labels, one per displayed step: (index reached, label) */
	size_t nsteps = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t k = 0;
		for (size_t i = from + 1; i < p->len; i++, k++) {
			size_t at = i;
			gl_sb_clear(&l);
			if (!step_label(a, p, &i, &l))
				gl_describe_edge(a, p->edges[i], &l);
			at = i;
			if (pass == 0)
				continue;
			int head = max_steps == 0 || nsteps <= max_steps || k < max_steps / 2;
			int tail = max_steps != 0 && nsteps > max_steps && k >= nsteps - (max_steps - max_steps / 2);
			if (max_steps && nsteps > max_steps && k == max_steps / 2)
				gl_sb_puts(out, "...");
			if (head || tail)
				put_step(a, p, at, gl_sb_str(&l), i + 1 == p->len, out);
		}
		nsteps = k;
	}
	gl_sb_free(&l);
}

/* The name (a str whose preview is an identifier) of cell i of function
 * fn's closure tuple ct, or GL_NONE. The shim records, from fn's code
 * object, the tuple whose last len(ct) entries name the cells in order:
 * co_freevars up to 3.10, co_localsplusnames from 3.11. */
static uint32_t closure_var(const gl_analysis *a, uint32_t fn, uint32_t ct, uint64_t i)
{
	const gl_snap *s = a->s;
	uint32_t code = gl_field_target(s, fn, a->sid_code);
	if (code == GL_NONE)
		return GL_NONE;
	uint32_t names = gl_field_target(s, code, a->sid_freevars);
	if (names == GL_NONE)
		names = gl_field_target(s, code, a->sid_lpnames);
	if (names == GL_NONE || ct == GL_NONE)
		return GL_NONE;
	uint64_t n = s->length[ct], total = s->length[names];
	if (i >= n || n > total)
		return GL_NONE;
	uint64_t want = total - n + i;
	for (uint64_t k = s->out_off[names]; k < s->out_off[names + 1]; k++)
		if (gl_edge_kind(s, (uint32_t)k) == GL_EK_INDEX && s->edge_payload[k] == want) {
			uint32_t v = s->out_dst[k];
			return v != GL_NONE && preview_is_ident(s, v) ? v : GL_NONE;
		}
	return GL_NONE;
}

/* ---- root holders: patterns on the chain, then the words ------------------- */

/*
 * Each pattern looks at step j of a path (the edge p->edges[j] from
 * p->ids[j-1] into p->ids[j]) and, if it recognises a holder there, fills
 * *h and returns 1. gl_holder_find() scans a chain from the target back to
 * its root and takes the first match: the named holder nearest to the
 * object; the search for every holder (holders.c) asks gl_holder_at() of
 * each reference it meets. A new kind of holder is one function here, one
 * row of `patterns`, one case in gl_holder_say().
 *
 * A holder's owner must itself be alive (a root reaches it): the globals
 * of a module that is garbage hold nothing.
 */
typedef int (*holder_pattern)(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h);

static int alive(const gl_analysis *a, uint32_t id)
{
	return a->dist[id] != GL_NONE;
}

/* a value of a module's or a class's __dict__: a global, a class attribute */
static int pat_namespace(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint32_t e = p->edges[j];
	uint32_t from = p->ids[j - 1];
	if (gl_edge_kind(s, e) != GL_EK_VALUE || !gl_type_is(s, from, "dict"))
		return 0;
	uint32_t owner = owner_of(a, p, j - 1);
	if (owner == GL_NONE || !(s->flags[owner] & (GL_OF_MODULE | GL_OF_TYPE)) || !alive(a, owner))
		return 0;
	h->kind = (s->flags[owner] & GL_OF_MODULE) ? GL_HOLD_MODULE : GL_HOLD_CLASS;
	h->at = j;
	h->owner = owner;
	h->name = gl_value_key(s, e);
	return 1;
}

/* a module as sys.modules holds it */
static int pat_sys_modules(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint32_t e = p->edges[j];
	if (gl_edge_kind(s, e) != GL_EK_VALUE || p->ids[j - 1] != a->sys_modules ||
	    !(s->flags[p->ids[j]] & GL_OF_MODULE))
		return 0;
	h->kind = GL_HOLD_SYS_MODULES;
	h->at = j;
	h->owner = p->ids[j - 1];
	h->edge = e;
	return 1;
}

/* a local variable of a frame: of a thread's (the header lists it), or of
 * a suspended generator or coroutine (whoever holds that holds this too,
 * but the local is where the program can let go) */
static int pat_frame_local(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint32_t e = p->edges[j];
	uint32_t from = p->ids[j - 1];
	if (gl_edge_kind(s, e) != GL_EK_LOCAL || !(s->flags[from] & GL_OF_FRAME) || gl_is_own_frame(a, from))
		return 0;
	uint32_t t;
	int of_thread = gl_thread_of_frame(a, from, &t);
	if (!of_thread && !alive(a, from))
		return 0;
	h->kind = GL_HOLD_FRAME;
	h->at = j;
	h->owner = from;
	h->field = s->edge_payload[e];
	h->thread = of_thread ? (int64_t)t : -1;
	return 1;
}

/* 1 if the function (or lru_cache wrapper) fn is named where the program
 * can change it: a value of a module's or class's __dict__ (directly, or
 * as a staticmethod's or classmethod's __func__), or a thread's local. A
 * function that is only some object's attribute (a memoized method) is
 * part of that object: its holders hold what the function holds. */
static int function_is_named(const gl_analysis *a, uint32_t fn)
{
	const gl_snap *s = a->s;
	if (!s->in_off)
		return 1;
	for (int hop = 0; hop < 2; hop++) {
		uint32_t via = GL_NONE;
		for (uint64_t r = s->in_off[fn]; r < s->in_off[fn + 1]; r++) {
			uint32_t u = s->in_src[r], e = s->in_edge[r];
			unsigned kind = gl_edge_kind(s, e);
			if (kind == GL_EK_VALUE && gl_type_is(s, u, "dict")) {
				uint32_t owner = gl_dict_owner(a, u);
				if (owner != GL_NONE && (s->flags[owner] & (GL_OF_MODULE | GL_OF_TYPE)))
					return 1;
			} else if (kind == GL_EK_LOCAL && (s->flags[u] & GL_OF_FRAME)) {
				uint32_t t;
				if (gl_thread_of_frame(a, u, &t))
					return 1;
			} else if (kind == GL_EK_FIELD && hop == 0 && sid_is(s, s->edge_payload[e], "__func__") &&
				   (gl_type_is(s, u, "staticmethod") || gl_type_is(s, u, "classmethod"))) {
				via = u;
			}
		}
		if (via == GL_NONE)
			return 0;
		fn = via;
	}
	return 0;
}

/* a function's defaults (the tuple or dict itself, or an item of it), or a
 * cell of its closure (the variable, when the names were recorded), of a
 * named function */
static int pat_function(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint32_t e = p->edges[j];
	uint32_t from = p->ids[j - 1];
	if (gl_edge_kind(s, e) != GL_EK_FIELD || !(s->flags[from] & GL_OF_FUNCTION) || !alive(a, from))
		return 0;
	uint32_t field = s->edge_payload[e];
	int defaults = sid_is(s, field, "__defaults__") || sid_is(s, field, "__kwdefaults__");
	int closure = sid_is(s, field, "__closure__");
	if ((!defaults && !(closure && j + 1 < p->len)) || !function_is_named(a, from))
		return 0;
	h->owner = from;
	h->field = field;
	h->kind = closure ? GL_HOLD_CLOSURE : GL_HOLD_DEFAULTS;
	h->at = j;
	if (j + 1 == p->len) /* the defaults tuple (or dict) itself */
		return 1;
	h->edge = p->edges[j + 1];
	h->at = j + 1;
	if (closure) {
		if (gl_edge_kind(s, (uint32_t)h->edge) == GL_EK_INDEX)
			h->name = closure_var(a, from, p->ids[j], s->edge_payload[h->edge]);
		if (j + 2 < p->len)
			h->at = j + 2; /* the cell's contents */
	}
	return 1;
}

/* a functools.lru_cache wrapper (its cache), named: called after the
 * function it wraps. Its __dict__ (__wrapped__, __doc__, ...) is not the
 * cache. */
static int pat_lru_cache(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint32_t from = p->ids[j - 1];
	uint32_t e = p->edges[j];
	if (!gl_type_is(s, from, "functools._lru_cache_wrapper") || !alive(a, from) ||
	    (gl_edge_kind(s, e) == GL_EK_FIELD && s->edge_payload[e] == a->sid_dict) || !function_is_named(a, from))
		return 0;
	h->kind = GL_HOLD_LRU_CACHE;
	h->at = j;
	h->owner = from;
	/* the wrapped function: __wrapped__ in the wrapper's __dict__ */
	for (uint64_t k = s->out_off[from]; k < s->out_off[from + 1] && h->name == GL_NONE; k++) {
		if (gl_edge_kind(s, (uint32_t)k) != GL_EK_FIELD || s->edge_payload[k] != a->sid_dict)
			continue;
		uint32_t d = s->out_dst[k];
		for (uint64_t m = s->out_off[d]; m < s->out_off[d + 1]; m++) {
			uint32_t key = gl_value_key(s, m);
			if (key != GL_NONE && gl_preview_eq(s, key, "__wrapped__")) {
				h->name = s->out_dst[m];
				break;
			}
		}
	}
	return 1;
}

static const holder_pattern patterns[] = {
	pat_namespace, pat_sys_modules, pat_frame_local, pat_function, pat_lru_cache,
};

void gl_holder_clear(gl_holder *h)
{
	memset(h, 0, sizeof *h);
	h->owner = h->name = GL_NONE;
	h->field = 0;
	h->edge = UINT64_MAX;
	h->thread = -1;
	h->kind = GL_HOLD_NONE;
}

int gl_holder_at(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h)
{
	if (j < 1 || j >= p->len)
		return 0;
	for (size_t k = 0; k < sizeof patterns / sizeof patterns[0]; k++) {
		gl_holder_clear(h);
		if (patterns[k](a, p, j, h))
			return 1;
	}
	gl_holder_clear(h);
	return 0;
}

/* A root said as a holder: a thread's frame (not through a named local),
 * sys.modules itself, a root the header names, or an object held from C. */
void gl_holder_of_root(const gl_analysis *a, uint32_t root, gl_holder *h)
{
	uint32_t t;
	gl_holder_clear(h);
	h->owner = root;
	if ((a->s->flags[root] & GL_OF_FRAME) && gl_thread_of_frame(a, root, &t)) {
		h->kind = GL_HOLD_THREAD;
		h->thread = (int64_t)t;
	} else if (root == a->sys_modules) {
		h->kind = GL_HOLD_SYS_MODULES;
	} else if ((h->name = gl_header_root(a, root)) != GL_NONE) {
		h->kind = GL_HOLD_ROOT;
	} else {
		h->kind = GL_HOLD_EXTERNAL;
	}
}

int gl_holder_find(const gl_analysis *a, const gl_path *p, gl_holder *h)
{
	gl_holder_clear(h);
	if (p->len > 0) {
		/* scan from the target back to the root; the first match is nearest */
		int found = 0;
		for (size_t j = p->len; j-- > 1 && !found;)
			found = gl_holder_at(a, p, j, h);
		if (!found) /* no named holder: the chain's root, said as such */
			gl_holder_of_root(a, p->ids[0], h);
	}
	gl_holder_say(a, h, &h->text);
	return gl_sb_failed(&h->text) ? -1 : 0;
}

void gl_holder_say(const gl_analysis *a, const gl_holder *h, gl_sb *b)
{
	const gl_snap *s = a->s;
	switch (h->kind) {
	case GL_HOLD_NONE:
		gl_sb_puts(b, "nothing: no root reaches it (cyclic garbage)");
		break;
	case GL_HOLD_MODULE:
	case GL_HOLD_CLASS:
		gl_sb_puts(b, h->kind == GL_HOLD_MODULE ? "module " : "class ");
		put_preview(b, s, h->owner, 0);
		gl_sb_puts(b, h->kind == GL_HOLD_MODULE ? ", global " : ", attribute ");
		if (h->name != GL_NONE && preview_is_ident(s, h->name))
			put_preview(b, s, h->name, 0); /* a name: never redacted */
		else
			gl_describe_key(s, h->name, b);
		break;
	case GL_HOLD_SYS_MODULES:
		gl_sb_puts(b, "sys.modules");
		if (h->edge != UINT64_MAX)
			gl_describe_edge(a, h->edge, b);
		break;
	case GL_HOLD_FRAME:
		if (h->thread >= 0) {
			gl_sb_puts(b, "thread ");
			gl_thread_name(s, (uint32_t)h->thread, b);
			gl_sb_puts(b, ", ");
		}
		gl_sb_puts(b, "frame ");
		put_preview(b, s, h->owner, 0);
		gl_sb_puts(b, "(), local ");
		put_str(b, s, h->field);
		break;
	case GL_HOLD_DEFAULTS:
		gl_sb_puts(b, "function ");
		put_preview(b, s, h->owner, 0);
		gl_sb_puts(b, ", ");
		put_str(b, s, h->field);
		if (h->edge != UINT64_MAX)
			gl_describe_edge(a, h->edge, b);
		break;
	case GL_HOLD_CLOSURE:
		gl_sb_puts(b, "closure of ");
		put_preview(b, s, h->owner, 0);
		if (h->name != GL_NONE) {
			gl_sb_puts(b, ", variable ");
			put_preview(b, s, h->name, 0);
		} else {
			gl_sb_puts(b, ", cell ");
			gl_describe_edge(a, h->edge, b);
		}
		break;
	case GL_HOLD_LRU_CACHE:
		gl_sb_puts(b, "lru_cache of ");
		if (h->name != GL_NONE)
			put_preview(b, s, h->name, 0);
		else
			gl_sb_printf(b, "a function (wrapper at 0x%llx)", (unsigned long long)s->addr[h->owner]);
		break;
	case GL_HOLD_THREAD:
	case GL_HOLD_EXTERNAL:
	case GL_HOLD_ROOT:
		gl_describe_root(a, h->owner, b);
		break;
	}
}

void gl_holder_free(gl_holder *h)
{
	gl_sb_free(&h->text);
}

/* If step i of p (the edge into p->ids[i]) is `X .__dict__` followed by an
 * identifier key `['name']`, puts ".name" into l, moves *i to the key's
 * step and returns 1; else 0. */
static int step_label(const gl_analysis *a, const gl_path *p, size_t *i, gl_sb *l)
{
	const gl_snap *s = a->s;
	uint32_t e = p->edges[*i];
	if (gl_edge_kind(s, e) != GL_EK_FIELD || s->edge_payload[e] != a->sid_dict || *i + 1 >= p->len)
		return 0;
	uint32_t key = gl_value_key(s, p->edges[*i + 1]);
	if (key == GL_NONE || !preview_is_ident(s, key))
		return 0;
	gl_sb_puts(l, ".");
	put_preview(l, s, key, 0);
	(*i)++;
	return 1;
}

int gl_chain_steps(const gl_analysis *a, const gl_path *p, gl_step **steps, size_t *nsteps)
{
	*steps = NULL;
	*nsteps = 0;
	if (!p->len)
		return 0;
	gl_step *st = gl_calloc_array(p->len, sizeof *st);
	if (!st)
		return -1;
	size_t k = 0;
	st[k].at = 0;
	gl_describe_root(a, p->ids[0], &st[k].label);
	k++;
	for (size_t i = 1; i < p->len; i++, k++) {
		if (!step_label(a, p, &i, &st[k].label))
			gl_describe_edge(a, p->edges[i], &st[k].label);
		st[k].at = i;
	}
	*steps = st;
	*nsteps = k;
	for (size_t i = 0; i < k; i++)
		if (gl_sb_failed(&st[i].label)) {
			gl_steps_free(st, k);
			*steps = NULL;
			*nsteps = 0;
			return -1;
		}
	return 0;
}

void gl_steps_free(gl_step *steps, size_t nsteps)
{
	for (size_t i = 0; i < nsteps; i++)
		gl_sb_free(&steps[i].label);
	free(steps);
}
