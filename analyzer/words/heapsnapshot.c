/*
 * heapsnapshot.c - the V8 heap snapshot writer; the mapping is in
 * heapsnapshot.h.
 *
 * One pass writes "nodes", a second "edges", then "strings": node and edge
 * names are string indexes, and the strings are only known once both
 * passes have named everything. The snapshot's own strings keep their ids
 * (index = string id); the names made here (dict keys, str values, "module
 * M") follow, deduplicated by a hash table, so that memory grows with the
 * distinct names, never with the output.
 */
#include "heapsnapshot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "holder.h"
#include "progress.h"
#include "strbuf.h"
#include "vec.h"

/* ---- output: a buffer of our own, numbers without printf ------------------ */

typedef struct {
	FILE *f;
	size_t n;
	int failed;
	char buf[1 << 16];
} hs_out;

static void out_flush(hs_out *o)
{
	if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
		o->failed = 1;
	o->n = 0;
}

static void out_bytes(hs_out *o, const char *p, size_t n)
{
	while (n) {
		if (o->n == sizeof o->buf)
			out_flush(o);
		size_t k = sizeof o->buf - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
	}
}

static void out_s(hs_out *o, const char *p)
{
	out_bytes(o, p, strlen(p));
}

static inline void out_c(hs_out *o, char c)
{
	if (o->n == sizeof o->buf)
		out_flush(o);
	o->buf[o->n++] = c;
}

static void out_u64(hs_out *o, uint64_t v)
{
	char t[24];
	size_t i = sizeof t;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_bytes(o, t + i, sizeof t - i);
}

static void out_u16esc(hs_out *o, uint32_t u)
{
	static const char hex[] = "0123456789abcdef";
	char t[6] = {'\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15], hex[u & 15]};
	out_bytes(o, t, 6);
}

/*
 * Any bytes as a JSON string, quotes included, in ASCII only: valid UTF-8
 * as \u escapes (surrogate pairs above U+FFFF), each byte of invalid UTF-8
 * as the code point of that value (\u00XX, as `export` does in JSON
 * lines), controls, quote and backslash escaped, and < > & too, so that the
 * text is also safe inside an HTML <script>. ASCII only because readers cut
 * the file into chunks and decode each as UTF-8 on its own (memlab does):
 * a character split across two chunks would be mangled.
 */
static void out_jstr(hs_out *o, const unsigned char *p, size_t n)
{
	out_c(o, '"');
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
			out_c(o, (char)c);
			i++;
			continue;
		}
		if (c == '"' || c == '\\') {
			out_c(o, '\\');
			out_c(o, (char)c);
			i++;
			continue;
		}
		uint32_t cp = c;
		size_t k = c >= 0x80 ? gl_utf8_decode(p + i, n - i, &cp) : 0;
		if (!k) {
			cp = c;
			k = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			out_u16esc(o, 0xd800 + (cp >> 10));
			out_u16esc(o, 0xdc00 + (cp & 0x3ff));
		} else {
			out_u16esc(o, cp);
		}
		i += k;
	}
	out_c(o, '"');
}

/* ---- the names made here: deduplicated ------------------------------------ */

/* A name's bytes are in the snapshot's map (a preview, borrowed: bit 63 of
 * off clear) or in pool (made here: bit 63 set). */
typedef struct {
	uint64_t off;
	uint32_t len;
	uint32_t hash;
} hs_name;

#define HS_POOL (1ull << 63)

typedef struct {
	const gl_snap *s;
	gl_vec(hs_name) names;
	gl_vec(char) pool;
	gl_index ix;
	int oom;
} hs_names;

static const unsigned char *name_bytes(const hs_names *t, const hs_name *e)
{
	if (e->off & HS_POOL)
		return (const unsigned char *)t->pool.v + (e->off & ~HS_POOL);
	return t->s->map + e->off;
}

static uint64_t name_hash(const void *ctx, size_t row)
{
	return ((const hs_names *)ctx)->names.v[row].hash;
}

/*
 * The strings-table index of the name with these bytes: an existing one,
 * or a new one. Bytes at p are borrowed when from_map (p points into the
 * snapshot's map, which outlives the writer), else copied. On running out
 * of memory returns 0 (the empty string) and remembers it in t->oom.
 */
static uint32_t name_of(hs_names *t, const unsigned char *p, size_t n, int from_map)
{
	if (t->oom || n > UINT32_MAX || t->names.n >= UINT32_MAX / 2 - t->s->n_strings)
		goto oom;
	if (gl_index_room(&t->ix, t->names.n, name_hash, t) < 0)
		goto oom;
	uint32_t h = (uint32_t)gl_mix64(gl_hash_bytes(p, n)); /* kept in 32 bits, as the names are */
	size_t j = gl_index_at(&t->ix, h);
	for (; t->ix.slot[j]; j = gl_index_next(&t->ix, j)) {
		const hs_name *e = &t->names.v[t->ix.slot[j] - 1];
		if (e->hash == h && e->len == n && memcmp(name_bytes(t, e), p, n) == 0)
			return t->s->n_strings + t->ix.slot[j] - 1;
	}
	hs_name e = {0, (uint32_t)n, h};
	if (from_map) {
		e.off = (uint64_t)(p - t->s->map);
	} else {
		e.off = t->pool.n | HS_POOL;
		if (gl_vec_reserve(&t->pool, n ? n : 1) < 0)
			goto oom;
		memcpy(t->pool.v + t->pool.n, p, n);
		t->pool.n += n;
	}
	if (gl_vec_push(&t->names, e) < 0)
		goto oom;
	t->ix.slot[j] = (uint32_t)t->names.n;
	return t->s->n_strings + (uint32_t)t->names.n - 1;
oom:
	t->oom = 1;
	return 0;
}

static uint32_t name_sb(hs_names *t, gl_sb *b)
{
	if (gl_sb_failed(b)) {
		t->oom = 1;
		return 0;
	}
	return name_of(t, (const unsigned char *)gl_sb_str(b), b->len, 0);
}

/* A preview as a name: its bytes, "..." after a cut one. */
static uint32_t name_preview(hs_names *t, uint32_t id, gl_sb *b)
{
	const gl_snap *s = t->s;
	size_t len;
	const unsigned char *p = gl_snap_preview(s, id, &len);
	if (!(s->flags[id] & GL_OF_PREVIEW_TRUNC))
		return name_of(t, p, len, 1);
	gl_sb_clear(b);
	gl_sb_append(b, (const char *)p, len);
	gl_sb_puts(b, "...");
	return name_sb(t, b);
}

/* ---- node and edge naming -------------------------------------------------- */

/* V8's node types (meta.node_types[0]), the ones used here by index. */
enum { NT_HIDDEN, NT_ARRAY, NT_STRING, NT_OBJECT, NT_CODE, NT_CLOSURE, NT_SYNTHETIC = 9 };
static const char node_types[] =
	"[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\",\"number\","
	"\"native\",\"synthetic\",\"concatenated string\",\"sliced string\",\"symbol\",\"bigint\","
	"\"object shape\"]";
enum { ET_CONTEXT, ET_ELEMENT, ET_PROPERTY, ET_INTERNAL };
static const char edge_types[] = "[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\",\"weak\"]";

typedef struct {
	const gl_analysis *a;
	hs_names names;
	gl_sb sb;
	uint32_t sid_code;          /* "code" */
	uint32_t n_key, n_member, n_ref; /* "(key)", "(member)", "(ref)" */
	uint8_t *mark;              /* per object: M_* */
} hs_ctx;

enum {
	M_REACHED = 1, /* a root reaches it, or a starter of "(cyclic garbage)" does */
	M_ATTRS = 2,   /* some object's __dict__: its identifier keys are names */
	M_IN1 = 4,     /* one reference in ... */
	M_IN2 = 8,     /* ... or more */
};

static void node_kind(hs_ctx *c, uint32_t id, unsigned *type, uint32_t *name)
{
	const gl_snap *s = c->a->s;
	uint32_t f = s->flags[id];
	gl_sb *b = &c->sb;
	*type = NT_OBJECT;
	*name = s->type[id];
	if (gl_type_is(s, id, "str")) {
		*type = NT_STRING;
		if (s->redact || !(f & GL_OF_PREVIEW)) {
			gl_sb_clear(b);
			gl_describe_redacted(s, id, b);
			*name = name_sb(&c->names, b);
		} else {
			*name = name_preview(&c->names, id, b);
		}
	} else if ((f & (GL_OF_MODULE | GL_OF_TYPE)) && (f & GL_OF_PREVIEW)) {
		gl_sb_clear(b);
		gl_describe_obj(s, id, b); /* "module M", "class C" */
		*name = name_sb(&c->names, b);
	} else if (f & GL_OF_FUNCTION) {
		*type = NT_CLOSURE;
		if (f & GL_OF_PREVIEW)
			*name = name_preview(&c->names, id, b);
	} else if (c->sid_code && s->type[id] == c->sid_code) {
		*type = NT_CODE;
	}
}

static void edge_kind(hs_ctx *c, uint32_t src, uint64_t e, unsigned *type, uint32_t *name)
{
	const gl_snap *s = c->a->s;
	gl_sb *b = &c->sb;
	switch (gl_edge_kind(s, (uint32_t)e)) {
	case GL_EK_INDEX:
		*type = ET_ELEMENT;
		*name = s->edge_payload[e];
		return;
	case GL_EK_VALUE: {
		uint32_t key = gl_value_key(s, e);
		*type = ET_PROPERTY;
		if (key != GL_NONE && gl_type_is(s, key, "str") && (s->flags[key] & GL_OF_PREVIEW) &&
		    (!s->redact || gl_key_is_name(c->a, src, (c->mark[src] & M_ATTRS) != 0, key))) {
			*name = name_preview(&c->names, key, b);
			return;
		}
		gl_sb_clear(b);
		gl_describe_key(s, key, b); /* redacted as holder.h says */
		*name = name_sb(&c->names, b);
		return;
	}
	case GL_EK_ATTR:
	case GL_EK_FIELD:
	case GL_EK_LOCAL:
		*type = ET_PROPERTY;
		*name = s->edge_payload[e];
		return;
	case GL_EK_KEY:
		*type = ET_INTERNAL;
		*name = c->n_key;
		return;
	case GL_EK_MEMBER:
		*type = ET_INTERNAL;
		*name = c->n_member;
		return;
	default:
		*type = ET_INTERNAL;
		*name = c->n_ref;
		return;
	}
}

/* ---- the roots -------------------------------------------------------------- */

/*
 * The objects the dominator tree hangs from its virtual root although no
 * root reaches them (domtree.c): in id order, each object that the roots
 * and the earlier ones do not reach, simple leaves excepted (no references
 * out, one in: they always hang from their referrer). The same rule here,
 * so that the graph DevTools sees from node 0 is the analysis's graph.
 */
static int find_unreached(hs_ctx *c, uint32_t **out, size_t *nout)
{
	const gl_analysis *a = c->a;
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	gl_vec(uint32_t) starters = {0};
	uint32_t *queue = gl_alloc_array(n ? n : 1, sizeof *queue);
	if (!queue)
		return -1;
	size_t qn = 0;
#define VISIT(v)                                          \
	do {                                              \
		uint32_t v_ = (v);                        \
		if (!(c->mark[v_] & M_REACHED)) {         \
			c->mark[v_] |= M_REACHED;         \
			queue[qn++] = v_;                 \
		}                                         \
	} while (0)
	if (a->sys_modules != GL_NONE)
		VISIT(a->sys_modules);
	for (uint32_t i = 0; i < a->n_frames; i++)
		VISIT(a->frames[i].id);
	for (uint32_t i = 0; i < a->n_hroots; i++)
		VISIT(a->hroots[i]);
	for (uint32_t i = 0; i < a->n_roots; i++)
		VISIT(a->roots[i]);
	uint32_t v = 0;
	for (;;) {
		/* each object is queued once: qn never exceeds n */
		for (size_t h = 0; h < qn; h++) {
			uint32_t x = queue[h];
			for (uint64_t e = s->out_off[x]; e < s->out_off[x + 1]; e++)
				VISIT(s->out_dst[e]);
		}
		qn = 0;
		while (v < n && ((c->mark[v] & M_REACHED) ||
				 (s->out_off[v] == s->out_off[v + 1] && (c->mark[v] & (M_IN1 | M_IN2)) == M_IN1)))
			v++;
		if (v == n)
			break;
		if (gl_vec_push(&starters, v) < 0) {
			free(queue);
			gl_vec_free(&starters);
			return -1;
		}
		VISIT(v);
	}
#undef VISIT
	free(queue);
	*out = starters.v;
	*nout = starters.n;
	return 0;
}

/* ---- the writer ----------------------------------------------------------------- */

static const char *thread_name(const gl_snap *s, uint32_t t)
{
	json_t *th = json_array_get(json_object_get(s->header, "threads"), t);
	return json_string_value(json_object_get(th, "name"));
}

static void put_node(hs_out *o, unsigned type, uint32_t name, uint64_t id, uint64_t size, uint64_t edges)
{
	out_u64(o, type);
	out_c(o, ',');
	out_u64(o, name);
	out_c(o, ',');
	out_u64(o, id);
	out_c(o, ',');
	out_u64(o, size > UINT32_MAX ? UINT32_MAX : size);
	out_c(o, ',');
	out_u64(o, edges);
	out_s(o, ",0,0");
}

static void put_edge(hs_out *o, int *first, unsigned type, uint32_t name, uint64_t node)
{
	if (!*first)
		out_s(o, ",\n");
	*first = 0;
	out_u64(o, type);
	out_c(o, ',');
	out_u64(o, name);
	out_c(o, ',');
	out_u64(o, node * 7); /* to_node: the node's offset in "nodes", 7 fields a node */
}

int gl_heapsnapshot_write(const gl_analysis *a, FILE *out, const char *out_name, gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	/* "nodes" holds 7 numbers a node, read into 32-bit arrays */
	if ((uint64_t)n + GL_HS_SYNTHETIC > UINT32_MAX / 7)
		return gl_err_set(err, "%u objects: too many for a heap snapshot (DevTools reads at most %u)", n,
				  UINT32_MAX / 7 - GL_HS_SYNTHETIC);
	hs_ctx c = {.a = a, .names = {.s = s}};
	hs_out *o = malloc(sizeof *o);
	c.mark = gl_calloc_array(n ? n : 1, 1);
	uint32_t *garbage = NULL;
	size_t n_garbage = 0;
	int rc = -1;
	if (!o || !c.mark) {
		gl_err_set(err, "out of memory writing the heap snapshot");
		goto done;
	}
	o->f = out;
	o->n = 0;
	o->failed = 0;
	c.sid_code = gl_snap_sid(s, "code");
	uint32_t sid_dict = gl_snap_sid(s, "__dict__");
	for (uint64_t e = 0; e < s->n_edges; e++) {
		uint32_t d = s->out_dst[e];
		c.mark[d] |= (c.mark[d] & M_IN1) ? M_IN2 : M_IN1;
		if (sid_dict && gl_edge_kind(s, (uint32_t)e) == GL_EK_FIELD && s->edge_payload[e] == sid_dict)
			c.mark[d] |= M_ATTRS;
	}
	if (find_unreached(&c, &garbage, &n_garbage) < 0) {
		gl_err_set(err, "out of memory finding the unreached objects");
		goto done;
	}

	/* the synthetic nodes' names, then their edges' */
#define NAME(str) name_of(&c.names, (const unsigned char *)(str), strlen(str), 0)
	static const char *const syn[GL_HS_SYNTHETIC] = {"(graphleak roots)", "(Stack roots)",
							  "(interpreter roots)", "(Global handles)",
							  "(cyclic garbage)"};
	uint32_t syn_name[GL_HS_SYNTHETIC];
	for (unsigned i = 0; i < GL_HS_SYNTHETIC; i++)
		syn_name[i] = NAME(syn[i]);
	c.n_key = NAME("(key)");
	c.n_member = NAME("(member)");
	c.n_ref = NAME("(ref)");
	uint32_t n_sysmod = NAME("sys.modules");
	uint32_t n_held = NAME("held from outside the heap");
	uint32_t n_stack = NAME("thread frames");
	uint32_t n_interp = NAME("interpreter roots");
	uint32_t n_unreached = NAME("no root reaches them");
	uint32_t *frame_name = gl_alloc_array(a->n_frames ? a->n_frames : 1, sizeof *frame_name);
	uint32_t *hroot_name = gl_alloc_array(a->n_hroots ? a->n_hroots : 1, sizeof *hroot_name);
	if (!frame_name || !hroot_name) {
		free(frame_name), free(hroot_name);
		gl_err_set(err, "out of memory writing the heap snapshot");
		goto done;
	}
	for (uint32_t i = 0; i < a->n_frames; i++) {
		const char *tn = thread_name(s, a->frames[i].thread);
		gl_sb_clear(&c.sb);
		if (tn)
			gl_sb_printf(&c.sb, "thread %s", tn);
		else
			gl_sb_printf(&c.sb, "thread %u", a->frames[i].thread);
		frame_name[i] = name_sb(&c.names, &c.sb);
	}
	for (uint32_t i = 0; i < a->n_hroots; i++)
		hroot_name[i] = NAME(a->hroot_names[i]);
#undef NAME
	uint64_t root_edges = 4 + (a->sys_modules != GL_NONE);
	uint64_t n_edges = s->n_edges + root_edges + a->n_frames + a->n_hroots + a->n_roots + n_garbage;
	if (n_edges > UINT32_MAX / 3) {
		free(frame_name), free(hroot_name);
		gl_err_set(err, "%" PRIu64 " references: too many for a heap snapshot", n_edges);
		goto done;
	}

	gl_progress pr;
	gl_progress_begin(&pr, "exporting");
	uint64_t work = (uint64_t)n + s->n_edges, done_work = 0;
	out_s(o, "{\"snapshot\":{\"meta\":{"
		 "\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\","
		 "\"detachedness\"],\n\"node_types\":[");
	out_s(o, node_types);
	out_s(o, ",\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\n"
		 "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\n\"edge_types\":[");
	out_s(o, edge_types);
	out_s(o, ",\"string_or_number\",\"node\"],\n"
		 "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\","
		 "\"line\",\"column\"],\n\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\","
		 "\"size\",\"children\"],\n\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],\n"
		 "\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},\n\"node_count\":");
	out_u64(o, (uint64_t)n + GL_HS_SYNTHETIC);
	out_s(o, ",\"edge_count\":");
	out_u64(o, n_edges);
	out_s(o, ",\"trace_function_count\":0},\n\"nodes\":[");

	/* the synthetic nodes; the virtual root's size is 0, as the analysis's */
	put_node(o, NT_SYNTHETIC, syn_name[0], 0, 0, root_edges);
	out_s(o, ",\n");
	put_node(o, NT_SYNTHETIC, syn_name[1], 2, 0, a->n_frames);
	out_s(o, ",\n");
	put_node(o, NT_SYNTHETIC, syn_name[2], 4, 0, a->n_hroots);
	out_s(o, ",\n");
	put_node(o, NT_SYNTHETIC, syn_name[3], 6, 0, a->n_roots);
	out_s(o, ",\n");
	put_node(o, NT_SYNTHETIC, syn_name[4], 8, 0, n_garbage);
	for (uint32_t k = 0; k < n; k++) {
		if ((k & 0xffff) == 0) {
			gl_progress_update(&pr, done_work + k, work);
			if (o->failed)
				break;
		}
		unsigned type;
		uint32_t name;
		node_kind(&c, k, &type, &name);
		out_s(o, ",\n");
		put_node(o, type, name, gl_hs_node_id(k), s->size[k], s->out_off[k + 1] - s->out_off[k]);
	}
	done_work += n;
	out_s(o, "],\n\"edges\":[");

	/* node 0: the frames' and the C-held roots' groups first, in the
	 * order memlab should enter them last (it takes the last first) */
	int first = 1;
	put_edge(o, &first, ET_INTERNAL, n_held, 3);
	put_edge(o, &first, ET_INTERNAL, n_stack, 1);
	if (a->sys_modules != GL_NONE)
		put_edge(o, &first, ET_INTERNAL, n_sysmod, GL_HS_SYNTHETIC + (uint64_t)a->sys_modules);
	put_edge(o, &first, ET_INTERNAL, n_interp, 2);
	put_edge(o, &first, ET_INTERNAL, n_unreached, 4);
	for (uint32_t i = 0; i < a->n_frames; i++)
		put_edge(o, &first, ET_PROPERTY, frame_name[i], GL_HS_SYNTHETIC + (uint64_t)a->frames[i].id);
	for (uint32_t i = 0; i < a->n_hroots; i++)
		put_edge(o, &first, ET_PROPERTY, hroot_name[i], GL_HS_SYNTHETIC + (uint64_t)a->hroots[i]);
	for (uint32_t i = 0; i < a->n_roots; i++)
		put_edge(o, &first, ET_ELEMENT, i, GL_HS_SYNTHETIC + (uint64_t)a->roots[i]);
	for (size_t i = 0; i < n_garbage; i++)
		put_edge(o, &first, ET_ELEMENT, (uint32_t)i, GL_HS_SYNTHETIC + (uint64_t)garbage[i]);
	free(frame_name), free(hroot_name);
	for (uint32_t k = 0; k < n; k++) {
		if ((k & 0xffff) == 0) {
			gl_progress_update(&pr, done_work + s->out_off[k], work);
			if (o->failed)
				break;
		}
		for (uint64_t e = s->out_off[k]; e < s->out_off[k + 1]; e++) {
			unsigned type;
			uint32_t name;
			edge_kind(&c, k, e, &type, &name);
			put_edge(o, &first, type, name, GL_HS_SYNTHETIC + (uint64_t)s->out_dst[e]);
		}
	}
	out_s(o, "],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[],\n"
		 "\"strings\":[");
	/* the snapshot's strings keep their ids, the names made here follow */
	for (uint32_t sid = 0; sid < s->n_strings; sid++) {
		size_t len;
		const char *p = gl_snap_str(s, sid, &len);
		if (sid)
			out_s(o, ",\n");
		out_jstr(o, (const unsigned char *)p, len);
	}
	for (size_t i = 0; i < c.names.names.n; i++) {
		const hs_name *e = &c.names.names.v[i];
		if (i || s->n_strings)
			out_s(o, ",\n");
		out_jstr(o, name_bytes(&c.names, e), e->len);
	}
	out_s(o, "]}\n");
	out_flush(o);
	gl_progress_end(&pr);
	if (c.names.oom || gl_sb_failed(&c.sb)) {
		gl_err_set(err, "out of memory naming the heap snapshot's nodes and edges");
		goto done;
	}
	if (o->failed || fflush(out) != 0 || ferror(out)) {
		gl_err_set(err, "writing %s: %s", out_name, strerror(errno ? errno : EIO));
		goto done;
	}
	rc = 0;
done:
	free(o);
	free(c.mark);
	free(garbage);
	gl_index_free(&c.names.ix);
	gl_vec_free(&c.names.names);
	gl_vec_free(&c.names.pool);
	gl_sb_free(&c.sb);
	return rc;
}
