/*
 * holder.c - retainer chains and root holders in words. See holder.h.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "holder.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "humanfmt.h"
#include "vec.h"

int gl_chain(const gl_analysis *a, uint32_t target, uint32_t **ids, size_t *len)
{
	*ids = NULL;
	*len = 0;
	if (a->dist[target] == GL_NONE)
		return 0;
	size_t n = (size_t)a->dist[target] + 1;
	uint32_t *c = gl_alloc_array(n, sizeof *c);
	if (!c)
		return -1;
	uint32_t v = target;
	for (size_t i = n; i > 0; i--) {
		c[i - 1] = v;
		v = a->parent[v];
	}
	*ids = c;
	*len = n;
	return 0;
}

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
	uint64_t h = 1469598103934665603ull; /* FNV-1a of the preview and the length */
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	for (int i = 0; i < 8; i++) {
		h ^= (s->length[id] >> (8 * i)) & 0xff;
		h *= 1099511628211ull;
	}
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

static int thread_of_frame(const gl_analysis *a, uint32_t frame, uint32_t *t)
{
	for (uint32_t i = 0; i < a->n_frames; i++)
		if (a->frames[i].id == frame) {
			*t = a->frames[i].thread;
			return 1;
		}
	return 0;
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
static int key_is_name(const gl_analysis *a, uint64_t e, uint32_t key)
{
	const gl_snap *s = a->s;
	if (key == GL_NONE || !gl_type_is(s, key, "str"))
		return 0;
	if (a->sys_modules != GL_NONE && e >= s->out_off[a->sys_modules] && e < s->out_off[a->sys_modules + 1])
		return 1;
	return preview_is_ident(s, key) && gl_dict_owner(a, edge_source(s, e)) != GL_NONE;
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
	uint32_t t;
	if (root == a->sys_modules) {
		gl_sb_puts(b, "sys.modules");
	} else if ((s->flags[root] & GL_OF_FRAME) && thread_of_frame(a, root, &t)) {
		gl_sb_puts(b, "thread ");
		gl_thread_name(s, t, b);
		gl_sb_puts(b, ", frame ");
		put_preview(b, s, root, 0);
		gl_sb_puts(b, "()");
	} else {
		char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
		put_str(b, s, s->type[root]);
		int64_t seen = (int64_t)s->refcnt[root] - a->ext[root];
		gl_sb_printf(b, " at 0x%llx (held from outside the heap: refcount %s, %s seen)",
			     (unsigned long long)s->addr[root], gl_fmt_count(n1, s->refcnt[root]),
			     gl_fmt_count(n2, seen < 0 ? 0 : (uint64_t)seen));
	}
}

/* The edge into chain[i] (i >= 1). */
static uint64_t in_edge(const gl_analysis *a, const uint32_t *chain, size_t i)
{
	return a->pedge[chain[i]];
}

/* If chain[i] is a __dict__ of a module or class reached by its FIELD edge,
 * or is any dict owned that way, the owner; else GL_NONE. */
static uint32_t owner_of(const gl_analysis *a, const uint32_t *chain, size_t i)
{
	if (i >= 1) {
		uint64_t e = in_edge(a, chain, i);
		if (gl_edge_kind(a->s, (uint32_t)e) == GL_EK_FIELD && a->s->edge_payload[e] == a->sid_dict)
			return chain[i - 1];
	}
	return gl_dict_owner(a, chain[i]);
}

static void type_name(const gl_snap *s, uint32_t id, gl_sb *b)
{
	put_str(b, s, s->type[id]);
}

int gl_chain_line(const gl_analysis *a, uint32_t target, gl_sb *out)
{
	uint32_t *chain;
	size_t len;
	if (gl_chain(a, target, &chain, &len) < 0)
		return -1;
	if (!len) {
		gl_sb_puts(out, "(no root reaches it)");
		return 0;
	}
	gl_step *st;
	size_t ns;
	int rc = gl_chain_steps(a, chain, len, &st, &ns);
	if (rc == 0) {
		for (size_t i = 0; i < ns; i++) {
			const char *l = gl_sb_str(&st[i].label);
			if (i && strcmp(l, "->") == 0) {
				gl_sb_puts(out, " -> ");
				type_name(a->s, chain[st[i].at], out);
				if (i + 1 < ns)
					gl_sb_puts(out, " ");
				continue;
			}
			if (i && (l[0] == 'l' || l[0] == '(' || l[0] == '{'))
				gl_sb_puts(out, " "); /* "local x", "(key)", "{member}" */
			gl_sb_puts(out, l);
		}
		gl_steps_free(st, ns);
	}
	free(chain);
	return rc;
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
 * Each pattern looks at step j of the chain (the edge from chain[j-1] into
 * chain[j]) and, if it recognises a holder there, fills *h and returns 1.
 * gl_holder_find() scans the chain from the target back to its root and
 * takes the first match: the named holder nearest to the object. A new kind
 * of holder is one function here, one row of `patterns`, one case in
 * gl_holder_say().
 */
typedef int (*holder_pattern)(const gl_analysis *a, const uint32_t *chain, size_t len, size_t j, gl_holder *h);

/* a value of a module's or a class's __dict__: a global, a class attribute */
static int pat_namespace(const gl_analysis *a, const uint32_t *chain, size_t len, size_t j, gl_holder *h)
{
	(void)len;
	const gl_snap *s = a->s;
	uint64_t e = in_edge(a, chain, j);
	uint32_t from = chain[j - 1];
	if (gl_edge_kind(s, (uint32_t)e) != GL_EK_VALUE || !gl_type_is(s, from, "dict"))
		return 0;
	uint32_t owner = owner_of(a, chain, j - 1);
	if (owner == GL_NONE || !(s->flags[owner] & (GL_OF_MODULE | GL_OF_TYPE)))
		return 0;
	h->kind = (s->flags[owner] & GL_OF_MODULE) ? GL_HOLD_MODULE : GL_HOLD_CLASS;
	h->at = j;
	h->owner = owner;
	h->name = gl_value_key(s, e);
	return 1;
}

/* a module as sys.modules holds it (the object asked for is the module) */
static int pat_sys_modules(const gl_analysis *a, const uint32_t *chain, size_t len, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint64_t e = in_edge(a, chain, j);
	if (gl_edge_kind(s, (uint32_t)e) != GL_EK_VALUE || chain[j - 1] != a->sys_modules ||
	    !(s->flags[chain[j]] & GL_OF_MODULE) || j != len - 1)
		return 0;
	h->kind = GL_HOLD_SYS_MODULES;
	h->at = j;
	h->owner = chain[j - 1];
	h->edge = e;
	return 1;
}

/* a local variable of a frame (of a thread, when the header says which) */
static int pat_frame_local(const gl_analysis *a, const uint32_t *chain, size_t len, size_t j, gl_holder *h)
{
	(void)len;
	const gl_snap *s = a->s;
	uint64_t e = in_edge(a, chain, j);
	uint32_t from = chain[j - 1];
	if (gl_edge_kind(s, (uint32_t)e) != GL_EK_LOCAL || !(s->flags[from] & GL_OF_FRAME))
		return 0;
	uint32_t t;
	h->kind = GL_HOLD_FRAME;
	h->at = j;
	h->owner = from;
	h->field = s->edge_payload[e];
	h->thread = thread_of_frame(a, from, &t) ? (int64_t)t : -1;
	return 1;
}

/* a function's defaults (the tuple or dict itself, or an item of it), or a
 * cell of its closure (the variable, when the names were recorded) */
static int pat_function(const gl_analysis *a, const uint32_t *chain, size_t len, size_t j, gl_holder *h)
{
	const gl_snap *s = a->s;
	uint64_t e = in_edge(a, chain, j);
	uint32_t from = chain[j - 1];
	if (gl_edge_kind(s, (uint32_t)e) != GL_EK_FIELD || !(s->flags[from] & GL_OF_FUNCTION))
		return 0;
	uint32_t field = s->edge_payload[e];
	int defaults = sid_is(s, field, "__defaults__") || sid_is(s, field, "__kwdefaults__");
	int closure = sid_is(s, field, "__closure__");
	if (!defaults && !(closure && j + 1 < len))
		return 0;
	h->owner = from;
	h->field = field;
	h->kind = closure ? GL_HOLD_CLOSURE : GL_HOLD_DEFAULTS;
	h->at = j;
	if (j + 1 == len) /* the defaults tuple (or dict) itself */
		return 1;
	h->edge = in_edge(a, chain, j + 1);
	h->at = j + 1;
	if (closure) {
		if (gl_edge_kind(s, (uint32_t)h->edge) == GL_EK_INDEX)
			h->name = closure_var(a, from, chain[j], s->edge_payload[h->edge]);
		if (j + 2 < len)
			h->at = j + 2; /* the cell's contents */
	}
	return 1;
}

/* a functools.lru_cache wrapper (its cache): named after the function it wraps */
static int pat_lru_cache(const gl_analysis *a, const uint32_t *chain, size_t len, size_t j, gl_holder *h)
{
	(void)len;
	const gl_snap *s = a->s;
	uint32_t from = chain[j - 1];
	if (!gl_type_is(s, from, "functools._lru_cache_wrapper"))
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

int gl_holder_find(const gl_analysis *a, const uint32_t *chain, size_t len, gl_holder *h)
{
	const gl_snap *s = a->s;
	memset(h, 0, sizeof *h);
	h->owner = h->name = GL_NONE;
	h->field = 0;
	h->edge = UINT64_MAX;
	h->thread = -1;
	h->kind = GL_HOLD_NONE;
	if (len > 0) {
		/* scan from the target back to the root; the first match is nearest */
		int found = 0;
		for (size_t j = len; j-- > 1 && !found;)
			for (size_t p = 0; p < sizeof patterns / sizeof patterns[0] && !found; p++)
				found = patterns[p](a, chain, len, j, h);
		if (!found) { /* no named holder: the chain's root, said as such */
			uint32_t root = chain[0];
			uint32_t t;
			h->at = 0;
			h->owner = root;
			if ((s->flags[root] & GL_OF_FRAME) && thread_of_frame(a, root, &t)) {
				h->kind = GL_HOLD_THREAD;
				h->thread = (int64_t)t;
			} else if (root == a->sys_modules) {
				h->kind = GL_HOLD_SYS_MODULES;
			} else {
				h->kind = GL_HOLD_EXTERNAL;
			}
		}
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
		gl_describe_root(a, h->owner, b);
		break;
	}
}

void gl_holder_free(gl_holder *h)
{
	gl_sb_free(&h->text);
}

int gl_chain_steps(const gl_analysis *a, const uint32_t *chain, size_t len,
		   gl_step **steps, size_t *nsteps)
{
	const gl_snap *s = a->s;
	*steps = NULL;
	*nsteps = 0;
	if (!len)
		return 0;
	gl_step *st = gl_calloc_array(len, sizeof *st);
	if (!st)
		return -1;
	size_t k = 0;
	st[k].at = 0;
	gl_describe_root(a, chain[0], &st[k].label);
	k++;
	for (size_t i = 1; i < len; i++) {
		uint64_t e = in_edge(a, chain, i);
		/* fold  X .__dict__ ['name']  into  X .name */
		if (gl_edge_kind(s, (uint32_t)e) == GL_EK_FIELD && s->edge_payload[e] == a->sid_dict &&
		    i + 1 < len) {
			uint64_t e2 = in_edge(a, chain, i + 1);
			uint32_t key = gl_value_key(s, e2);
			if (key != GL_NONE && preview_is_ident(s, key)) {
				st[k].at = i + 1;
				gl_sb_puts(&st[k].label, ".");
				put_preview(&st[k].label, s, key, 0);
				k++;
				i++;
				continue;
			}
		}
		st[k].at = i;
		gl_describe_edge(a, e, &st[k].label);
		k++;
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

static int cmp_groups(const void *x, const void *y)
{
	const gl_holder_group *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return strcmp(a->text, b->text);
}

void gl_holder_groups_free(gl_holder_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].text);
	free(g);
}

static uint64_t text_hash(const char *p)
{
	uint64_t h = 1469598103934665603ull;
	for (; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	return h ^ (h >> 31);
}

int gl_group_by_holder(const gl_analysis *a, const uint32_t *ids, size_t n,
		       gl_holder_group **out, size_t *nout)
{
	const gl_snap *s = a->s;
	gl_vec(gl_holder_group) rows = {0};
	/* open-addressing index over rows by text: slot holds row + 1, 0 empty */
	size_t *index = NULL, cap = 0;
	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		uint32_t *chain;
		size_t len;
		gl_holder h;
		if (gl_chain(a, id, &chain, &len) < 0)
			goto oom;
		int rc = gl_holder_find(a, chain, len, &h);
		free(chain);
		if (rc < 0)
			goto oom;
		if ((rows.n + 1) * 2 > cap) {
			size_t ncap = cap ? cap * 2 : 64;
			size_t *ni = gl_calloc_array(ncap, sizeof *ni);
			if (!ni) {
				gl_holder_free(&h);
				goto oom;
			}
			for (size_t r = 0; r < rows.n; r++) {
				size_t j = text_hash(rows.v[r].text) & (ncap - 1);
				while (ni[j])
					j = (j + 1) & (ncap - 1);
				ni[j] = r + 1;
			}
			free(index);
			index = ni;
			cap = ncap;
		}
		const char *text = gl_sb_str(&h.text);
		size_t j = text_hash(text) & (cap - 1);
		while (index[j] && strcmp(rows.v[index[j] - 1].text, text) != 0)
			j = (j + 1) & (cap - 1);
		if (!index[j]) {
			gl_holder_group g = {strdup(text), h.kind, 0, 0, id};
			if (!g.text || gl_vec_push(&rows, g) < 0) {
				free(g.text);
				gl_holder_free(&h);
				goto oom;
			}
			index[j] = rows.n;
		}
		gl_holder_free(&h);
		gl_holder_group *g = &rows.v[index[j] - 1];
		g->count++;
		g->size += s->size[id];
		if (a->dist[id] != GL_NONE && a->dist[id] < a->dist[g->example])
			g->example = id;
	}
	free(index);
	gl_sort(rows.v, rows.n, sizeof *rows.v, cmp_groups);
	*out = rows.v;
	*nout = rows.n;
	return 0;
oom:
	free(index);
	gl_holder_groups_free(rows.v, rows.n);
	return -1;
}
