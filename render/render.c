/*
 * render.c - a subgraph drawn with cgraph and gvc. See render.h.
 *
 * Lifecycle, as Graphviz's dot.demo/demo.c: gvContext; agopen; agnode,
 * agedge, agsafeset; gvLayout; gvRenderData; then gvFreeRenderData,
 * gvFreeLayout, agclose, gvFreeContext, in reverse order.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fchmod */
#include "render.h"

#include <errno.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "humanfmt.h"
#include "vec.h"
#include "sites.h"

struct gl_renderer {
	GVC_t *gvc;
};

/* ---- Graphviz's messages ---------------------------------------------- */

/* Graphviz reports through a process-wide callback: keep the last error. */
static char gv_msg[256];

#define RASTER_MAX_PX 32767

/* A bitmap format (what Graphviz's cairo and gd renderers produce). */
static int raster(const char *fmt)
{
	static const char *const r[] = {"png", "jpg", "jpeg", "jpe", "gif", "bmp", "tif", "tiff", "webp", "ico",
					"wbmp", "gd", "gd2", NULL};
	for (const char *const *p = r; *p; p++)
		if (strcmp(fmt, *p) == 0)
			return 1;
	return 0;
}

static int gv_errf(char *msg)
{
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n >= sizeof gv_msg)
		n = sizeof gv_msg - 1;
	memcpy(gv_msg, msg, n);
	gv_msg[n] = 0;
	return 0;
}

static void gv_quiet(void)
{
	gv_msg[0] = 0;
	agseterr(AGERR); /* errors only; warnings (fonts, sizes) are not ours to show */
	agseterrf(gv_errf);
}

gl_renderer *gl_render_new(gl_err *err)
{
	gl_renderer *r = calloc(1, sizeof *r);
	if (!r) {
		gl_err_set(err, "out of memory");
		return NULL;
	}
	gv_quiet();
	r->gvc = gvContext();
	if (!r->gvc) {
		gl_err_set(err, "cannot start Graphviz%s%s", gv_msg[0] ? ": " : "", gv_msg);
		free(r);
		return NULL;
	}
	return r;
}

void gl_render_free(gl_renderer *r)
{
	if (!r)
		return;
	gvFreeContext(r->gvc);
	free(r);
}

/* ---- formats ----------------------------------------------------------- */

static const struct {
	const char *ext, *fmt;
} formats[] = {
	{"svg", "svg"}, {"dot", "dot"}, {"gv", "dot"},  {"png", "png"},   {"pdf", "pdf"},
	{"ps", "ps"},   {"eps", "eps"}, {"jpg", "jpg"}, {"jpeg", "jpg"}, {"gif", "gif"},
	{"webp", "webp"}, {"json", "json"}, {"xdot", "xdot"},
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

const char *gl_render_format_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash) || !dot[1])
		return NULL;
	for (size_t i = 0; i < N_FORMATS; i++) {
		const char *a = dot + 1, *b = formats[i].ext;
		while (*a && *b && (*a | 0x20) == *b)
			a++, b++;
		if (!*a && !*b)
			return formats[i].fmt;
	}
	return NULL;
}

/* The Graphviz device for our format: .dot is the graph as built ("canon":
 * no layout, so no coordinates), the rest as named. */
static const char *device_of(const char *fmt)
{
	return strcmp(fmt, "dot") == 0 ? "canon" : fmt;
}

int gl_render_has_format(gl_renderer *r, const char *fmt)
{
	int n = 0, found = 0;
	const char *dev = device_of(fmt);
	char **list = gvPluginList(r->gvc, "device", &n, NULL);
	for (int i = 0; i < n; i++) {
		if (!found && list[i]) {
			/* entries are "png" or "png:cairo" */
			size_t k = strcspn(list[i], ":");
			found = strlen(dev) == k && strncmp(list[i], dev, k) == 0;
		}
		free(list[i]);
	}
	free(list);
	return found;
}

void gl_render_formats(gl_renderer *r, gl_sb *b)
{
	int first = 1;
	for (size_t i = 0; i < N_FORMATS; i++) {
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= strcmp(formats[j].fmt, formats[i].fmt) == 0;
		if (dup || !gl_render_has_format(r, formats[i].fmt))
			continue;
		gl_sb_printf(b, "%s.%s", first ? "" : ", ", formats[i].ext);
		first = 0;
	}
}

/* ---- the look ---------------------------------------------------------- */

#define FONT "Helvetica,Arial,sans-serif"

typedef struct style {
	const char *shape, *style, *fill, *color, *penwidth, *peripheries;
} style;

static const style st_plain = {"box", "rounded,filled", "#ffffff", "#90a4ae", "1", "1"};
static const style st_holder = {"box", "filled,bold", "#ffe082", "#e65100", "2.5", "2"};
static const style st_target = {"box", "rounded,filled", "#ffcdd2", "#c62828", "1.5", "1"};
static const style st_suspect = {"box", "rounded,filled,bold", "#ffccbc", "#bf360c", "2", "1"};
static const style st_growing = {"box", "rounded,filled,bold", "#ffab91", "#b71c1c", "2.5", "1"};
static const style st_focus = {"box", "rounded,filled,bold", "#c8e6c9", "#2e7d32", "2", "1"};
static const style st_final = {"octagon", "filled", "#e1bee7", "#6a1b9a", "1.5", "1"};
static const style st_root = {"box", "rounded,filled", "#e3f2fd", "#1565c0", "1.5", "1"};
static const style st_more = {"box", "rounded,filled,dashed", "#f5f5f5", "#757575", "1", "1"};

static const style *style_of(uint32_t roles)
{
	if (roles & GL_SG_HOLDER)
		return &st_holder;
	if (roles & GL_SG_GROWING)
		return &st_growing;
	if (roles & GL_SG_SUSPECT)
		return &st_suspect;
	if (roles & GL_SG_TARGET)
		return &st_target;
	if (roles & GL_SG_FOCUS)
		return &st_focus;
	if (roles & GL_SG_FINALIZER)
		return &st_final;
	if (roles & GL_SG_ROOT)
		return &st_root;
	return &st_plain;
}

/* agsafeset takes char *; every value here is copied by cgraph. */
static int set(void *obj, const char *name, const char *value)
{
	return agsafeset(obj, (char *)name, (char *)value, "");
}

static int apply_style(void *obj, const style *st, int dashed)
{
	char sty[64];
	snprintf(sty, sizeof sty, "%s%s", st->style, dashed && !strstr(st->style, "dashed") ? ",dashed" : "");
	return set(obj, "shape", st->shape) | set(obj, "style", sty) | set(obj, "fillcolor", st->fill) |
	       set(obj, "color", st->color) | set(obj, "penwidth", st->penwidth) |
	       set(obj, "peripheries", st->peripheries);
}

/* ---- labels ------------------------------------------------------------ */

static void size_line(const gl_analysis *a, uint32_t id, gl_sb *b)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	gl_sb_puts(b, gl_fmt_bytes(n1, a->s->size[id]));
	if ((a->done & GL_AN_DOM) && a->retained[id] > a->s->size[id])
		gl_sb_printf(b, ", retains %s", gl_fmt_bytes(n2, a->retained[id]));
}

/* "allocated at file:line <- file:line" (tracemalloc's site, two frames,
 * file base names escaped like every heap string), when there is one. */
static void site_line(const gl_snap *s, uint32_t id, gl_sb *b)
{
	uint32_t k = s->site ? s->site[id] : 0;
	if (!k)
		return;
	gl_sb_puts(b, "\\nallocated at ");
	uint32_t end = s->site_frame[k + 1];
	if (end - s->site_frame[k] > 2)
		end = s->site_frame[k] + 2;
	for (uint32_t f = s->site_frame[k]; f < end; f++) {
		size_t len;
		const char *file = gl_frame_file(s, f, &len);
		if (f > s->site_frame[k])
			gl_sb_puts(b, " <- ");
		gl_lbl_bytes(b, (const unsigned char *)file, len, 0, 0);
		gl_sb_printf(b, ":%u", s->frame_line[f]);
	}
}

static int node_label(const gl_analysis *a, const gl_subgraph *sg, const gl_sg_node *nd,
		      gl_sb *b)
{
	const gl_snap *s = a->s;
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	uint32_t id = nd->id;
	if (nd->roles & GL_SG_HOLDER) {
		const gl_sg_holder *h = &sg->holders.v[nd->holder];
		gl_sb_puts(b, "ROOT HOLDER: ");
		if (gl_lbl_holder(h->text, b) < 0)
			return -1;
		gl_lbl_br(b);
	}
	if (nd->roles & GL_SG_ROOT) {
		if (id == a->sys_modules || (s->flags[id] & GL_OF_FRAME)) {
			gl_sb_puts(b, "root: ");
			gl_lbl_root(a, id, b);
		} else {
			int64_t seen = (int64_t)s->refcnt[id] - a->ext[id];
			gl_sb_printf(b, "root: held from outside the heap\\nrefcount %s, %s seen", gl_fmt_count(n1, s->refcnt[id]),
				     gl_fmt_count(n2, seen < 0 ? 0 : (uint64_t)seen));
		}
		gl_lbl_br(b);
	}
	if (nd->roles & GL_SG_SUSPECT) {
		const gl_sg_suspect *sp = &sg->suspects.v[nd->suspect];
		double pct = sp->heap ? 100.0 * (double)sp->retained / (double)sp->heap : 0.0;
		gl_sb_printf(b, "LEAK SUSPECT #%u: retains %s (%.1f%%)\\nin %s objects", nd->suspect + 1,
			     gl_fmt_bytes(n1, sp->retained), pct, gl_fmt_count(n2, sp->objects));
		gl_lbl_br(b);
	}
	if (nd->roles & GL_SG_GROWING) {
		const gl_sg_grower *gw = &sg->growth.v[nd->growth];
		const char *unit = gl_type_is(s, id, "dict") ? "entries" : "items";
		gl_sb_puts(b, "GROWING: ");
		for (size_t k = 0; k < gw->nsnaps; k++) {
			if (k)
				gl_sb_puts(b, " -> ");
			gl_sb_puts(b, gw->present[k] ? gl_fmt_count(n1, gw->length[k]) : "-");
		}
		gl_sb_printf(b, " %s\\n%s new under it, %s", unit, gl_fmt_bytes(n2, gw->new_bytes),
			     gw->monotonic ? "growing at every snapshot" : "grew first to last");
		gl_lbl_br(b);
		if (gl_lbl_holder(gw->holder, b) < 0)
			return -1;
		gl_lbl_br(b);
	}
	if (!((nd->roles & GL_SG_ROOT) && (s->flags[id] & GL_OF_FRAME))) { /* a frame root said it */
		gl_lbl_obj(a, id, b);
		gl_lbl_br(b);
	}
	size_line(a, id, b);
	site_line(s, id, b);
	if (s->flags[id] & GL_OF_HAS_DEL)
		gl_sb_puts(b, "\\ndefines __del__");
	else if (s->flags[id] & GL_OF_LEGACY_DEL)
		gl_sb_puts(b, "\\nlegacy tp_del");
	if (nd->roles & GL_SG_GARBAGE)
		gl_sb_puts(b, "\\nno root reaches it");
	return gl_sb_failed(b) ? -1 : 0;
}

static const char *kind_words(uint32_t k)
{
	switch (k) {
	case GL_EK_VALUE: return "values";
	case GL_EK_INDEX: return "items";
	case GL_EK_MEMBER: return "members";
	case GL_EK_KEY: return "keys";
	case GL_EK_ATTR: return "attributes";
	case GL_EK_FIELD: return "fields";
	case GL_EK_LOCAL: return "locals";
	default: return "references";
	}
}

/* What a node is called in "values of X": its reference's name (.cache ->
 * cache), else its type. */
static void node_name(const gl_analysis *a, const gl_subgraph *sg, uint32_t u, gl_sb *b)
{
	uint32_t ei = sg->nodes.v[u].in;
	if (ei == GL_NONE)
		for (size_t i = 0; i < sg->edges.n && ei == GL_NONE; i++)
			if (sg->edges.v[i].to == u && sg->edges.v[i].kind == GL_SG_E_REF)
				ei = (uint32_t)i;
	const gl_sg_edge *ed = ei != GL_NONE ? &sg->edges.v[ei] : NULL;
	if (ed && ed->kind == GL_SG_E_REF) {
		gl_sb t = {0};
		gl_lbl_edge(a, ed->edge, ed->via, &t);
		const char *p = gl_sb_str(&t);
		if (p[0] == '.')
			p++;
		else if (!strncmp(p, "local ", 6))
			p += 6;
		gl_sb_puts(b, p);
		if (gl_sb_failed(&t))
			b->failed = 1;
		gl_sb_free(&t);
		return;
	}
	size_t tl;
	const char *t = gl_snap_str(a->s, a->s->type[sg->nodes.v[u].id], &tl);
	gl_lbl_bytes(b, (const unsigned char *)t, tl, 0, 0);
}

static int more_label(const gl_analysis *a, const gl_subgraph *sg, const gl_sg_more *m,
		      gl_sb *b)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	gl_sb_printf(b, "+ %s more ", gl_fmt_count(n1, m->count));
	if (m->dominated) {
		gl_sb_puts(b, m->count == 1 ? "object it keeps alive" : "objects it keeps alive");
	} else if (m->type == GL_SG_MIXED) {
		gl_sb_puts(b, m->count == 1 ? "object" : "objects");
		if (m->cluster != GL_NONE)
			gl_sb_puts(b, " in this cycle");
	} else {
		size_t tl;
		const char *t = gl_snap_str(a->s, m->type, &tl);
		gl_lbl_bytes(b, (const unsigned char *)t, tl, 0, 0);
	}
	if (!m->dominated && m->cluster == GL_NONE) {
		gl_lbl_br(b);
		if (m->referring)
			gl_sb_puts(b, "referring to ");
		else
			gl_sb_printf(b, "%s of ", m->ekind == GL_SG_MIXED ? "references" : kind_words(m->ekind));
		node_name(a, sg, m->from, b);
	}
	gl_lbl_br(b);
	gl_sb_puts(b, gl_fmt_bytes(n1, m->size));
	if (m->retained > m->size)
		gl_sb_printf(b, ", retaining %s", gl_fmt_bytes(n2, m->retained));
	return gl_sb_failed(b) ? -1 : 0;
}

static const char *verdict_words(gl_cycle_verdict v)
{
	switch (v) {
	case GL_CY_COLLECTED: return "the next collection frees it (gc is enabled)";
	case GL_CY_LEAK_GC_OFF: return "a leak: gc is disabled or automatic collection is off";
	case GL_CY_UNCOLLECTABLE: return "uncollectable: the collector moves it to gc.garbage";
	case GL_CY_FIN_COLLECTABLE: return "collectable (PEP 442); finalizers run in no defined order";
	case GL_CY_FIN_ALIVE: return "alive: a root reaches it";
	}
	return "";
}

static void cluster_label(const gl_sg_cluster *c, gl_sb *b)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF], n3[GL_FMT_BUF];
	if (c->finalizers)
		gl_sb_printf(b, "cycle with finalizers: %s objects, %s; %s with __del__%s", gl_fmt_count(n1, c->objects),
			     gl_fmt_bytes(n2, c->size), gl_fmt_count(n3, c->with_del), c->with_tp_del ? ", tp_del" : "");
	else
		gl_sb_printf(b, "cyclic garbage: %s objects, %s", gl_fmt_count(n1, c->objects), gl_fmt_bytes(n2, c->size));
	gl_sb_printf(b, "\\n%s", verdict_words(c->verdict));
}

/* ---- building the cgraph ----------------------------------------------- */

typedef struct build {
	Agraph_t *g;
	Agraph_t **clusters;
	Agnode_t **nodes;
	gl_sb lbl;
} build;

static Agraph_t *parent_graph(build *bd, uint32_t cluster)
{
	return cluster == GL_NONE ? bd->g : bd->clusters[cluster];
}

static int add_legend(build *bd, const gl_subgraph *sg, const gl_render_opts *o)
{
	/* the markings as drawn: a node shows one style (style_of), and a
	 * holder that is also asked about shows the target's fill */
	static const uint32_t order[] = {GL_SG_HOLDER, GL_SG_GROWING, GL_SG_SUSPECT, GL_SG_TARGET, GL_SG_FOCUS,
					 GL_SG_FINALIZER, GL_SG_ROOT};
	uint32_t roles = 0;
	for (size_t i = 0; i < sg->nodes.n; i++) {
		uint32_t r = sg->nodes.v[i].roles;
		for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
			if (r & order[k]) {
				roles |= order[k];
				break;
			}
		if ((r & GL_SG_HOLDER) && (r & GL_SG_TARGET))
			roles |= GL_SG_TARGET;
	}
	struct {
		uint32_t role;
		const style *st;
		const char *text;
	} rows[] = {
		{GL_SG_ROOT, &st_root, "where a chain starts:\\nsys.modules, a thread's frame,\\nor a reference from C"},
		{GL_SG_HOLDER, &st_holder, "ROOT HOLDER: the nearest\\nnamed owner, in words"},
		{GL_SG_GROWING, &st_growing, "grows across the snapshots:\\nlength at each, bytes gained"},
		{GL_SG_SUSPECT, &st_suspect, "leak suspect: retains\\nthe most memory"},
		{GL_SG_TARGET, &st_target, NULL},
		{GL_SG_FOCUS, &st_focus, "the object whose\\nreferences are drawn"},
		{GL_SG_FINALIZER, &st_final, "defines __del__\\n(or the legacy tp_del)"},
		{0, &st_more, "similar references,\\nfolded into one"},
	};
	Agraph_t *lg = agsubg(bd->g, "cluster_legend", 1);
	if (!lg || set(lg, "label", "legend") || set(lg, "style", "rounded") || set(lg, "color", "#b0bec5") ||
	    set(lg, "fontcolor", "#546e7a"))
		return -1;
	Agnode_t *prev = NULL;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (rows[i].role && !(roles & rows[i].role))
			continue;
		if (!rows[i].role && !sg->more.n)
			continue;
		char name[32];
		snprintf(name, sizeof name, "legend%zu", i);
		Agnode_t *n = agnode(lg, name, 1);
		if (!n)
			return -1;
		gl_sb_clear(&bd->lbl);
		if (rows[i].text) {
			gl_sb_puts(&bd->lbl, rows[i].text);
		} else {
			if (o->target)
				gl_lbl_text(&bd->lbl, o->target);
			else
				gl_sb_puts(&bd->lbl, "the objects");
			gl_sb_puts(&bd->lbl, ":\\nwhat you asked about");
		}
		if (gl_sb_failed(&bd->lbl) || set(n, "label", gl_sb_str(&bd->lbl)) || apply_style(n, rows[i].st, 0) ||
		    set(n, "fontsize", "9"))
			return -1;
		if (prev) {
			/* a column: invisible edges keep the order */
			Agedge_t *e = agedge(lg, prev, n, NULL, 1);
			if (!e || set(e, "style", "invis"))
				return -1;
		}
		prev = n;
	}
	return 0;
}

static int build_graph(build *bd, const gl_analysis *a, const gl_subgraph *sg, const gl_render_opts *o)
{
	Agraph_t *g = bd->g;
	char name[48];
	/* defaults */
	if (!agattr(g, AGRAPH, "rankdir", "TB") || !agattr(g, AGRAPH, "fontname", FONT) ||
	    !agattr(g, AGRAPH, "fontsize", "11") || !agattr(g, AGRAPH, "nodesep", "0.3") ||
	    !agattr(g, AGRAPH, "ranksep", "0.45") || !agattr(g, AGRAPH, "labelloc", "t") ||
	    !agattr(g, AGRAPH, "charset", "UTF-8") || !agattr(g, AGRAPH, "bgcolor", "white") ||
	    !agattr(g, AGRAPH, "pad", "0.2") || !agattr(g, AGNODE, "fontname", FONT) ||
	    !agattr(g, AGNODE, "fontsize", "10") || !agattr(g, AGNODE, "shape", "box") ||
	    !agattr(g, AGNODE, "margin", "0.12,0.05") || !agattr(g, AGNODE, "style", "rounded,filled") ||
	    !agattr(g, AGNODE, "fillcolor", "white") || !agattr(g, AGNODE, "color", "#90a4ae") ||
	    !agattr(g, AGEDGE, "fontname", FONT) || !agattr(g, AGEDGE, "fontsize", "9") ||
	    !agattr(g, AGEDGE, "color", "#78909c") || !agattr(g, AGEDGE, "fontcolor", "#37474f") ||
	    !agattr(g, AGEDGE, "arrowsize", "0.7"))
		return -1;
	/* the title */
	if (o->title || o->subtitle) {
		gl_sb_clear(&bd->lbl);
		if (o->title)
			gl_lbl_text(&bd->lbl, o->title);
		if (o->subtitle) {
			if (o->title)
				gl_lbl_br(&bd->lbl);
			gl_lbl_text(&bd->lbl, o->subtitle);
		}
		gl_sb_puts(&bd->lbl, "\\n ");
		if (gl_sb_failed(&bd->lbl) || set(g, "label", gl_sb_str(&bd->lbl)))
			return -1;
	}
	/* clusters (cycles) */
	for (size_t i = 0; i < sg->clusters.n; i++) {
		snprintf(name, sizeof name, "cluster_%zu", i);
		Agraph_t *c = agsubg(g, name, 1);
		if (!c)
			return -1;
		bd->clusters[i] = c;
		gl_sb_clear(&bd->lbl);
		cluster_label(&sg->clusters.v[i], &bd->lbl);
		const char *fill = sg->clusters.v[i].finalizers ? "#f3e5f5" : "#fafafa";
		if (gl_sb_failed(&bd->lbl) || set(c, "label", gl_sb_str(&bd->lbl)) || set(c, "style", "rounded,filled") ||
		    set(c, "fillcolor", fill) || set(c, "color", "#9e9e9e") || set(c, "fontsize", "10"))
			return -1;
	}
	/* objects */
	for (size_t i = 0; i < sg->nodes.n; i++) {
		const gl_sg_node *nd = &sg->nodes.v[i];
		snprintf(name, sizeof name, "n%zu", i);
		Agnode_t *n = agnode(parent_graph(bd, nd->cluster), name, 1);
		if (!n)
			return -1;
		bd->nodes[i] = n;
		gl_sb_clear(&bd->lbl);
		if (node_label(a, sg, nd, &bd->lbl) < 0 || set(n, "label", gl_sb_str(&bd->lbl)))
			return -1;
		snprintf(name, sizeof name, "0x%llx", (unsigned long long)a->s->addr[nd->id]);
		if (apply_style(n, style_of(nd->roles), (nd->roles & GL_SG_GARBAGE) != 0) || set(n, "tooltip", name))
			return -1;
		/* a holder that is also asked about: the holder's border, the target's fill */
		if ((nd->roles & GL_SG_HOLDER) && (nd->roles & GL_SG_TARGET) && set(n, "fillcolor", st_target.fill))
			return -1;
	}
	/* references */
	for (size_t i = 0; i < sg->edges.n; i++) {
		const gl_sg_edge *ed = &sg->edges.v[i];
		Agedge_t *e = agedge(g, bd->nodes[ed->from], bd->nodes[ed->to], NULL, 1);
		if (!e)
			return -1;
		gl_sb_clear(&bd->lbl);
		int rc = 0;
		if (ed->kind == GL_SG_E_REF) {
			gl_sb_puts(&bd->lbl, " ");
			gl_lbl_edge(a, ed->edge, ed->via, &bd->lbl);
		} else if (ed->kind == GL_SG_E_ELIDED) {
			char n1[GL_FMT_BUF];
			gl_sb_printf(&bd->lbl, " ... %s steps left out (--max-depth)", gl_fmt_count(n1, ed->elided));
			rc |= set(e, "style", "dashed");
		} else {
			gl_sb_puts(&bd->lbl, " keeps alive\\n (no direct reference)");
			rc |= set(e, "style", "dotted");
		}
		gl_sb_puts(&bd->lbl, " ");
		if (gl_sb_failed(&bd->lbl) || rc || set(e, "label", gl_sb_str(&bd->lbl)))
			return -1;
		if (ed->kind == GL_SG_E_REF && (sg->nodes.v[ed->to].roles & (GL_SG_TARGET | GL_SG_HOLDER)) &&
		    (set(e, "color", "#c62828") || set(e, "penwidth", "1.3")))
			return -1;
	}
	/* folded siblings */
	for (size_t i = 0; i < sg->more.n; i++) {
		const gl_sg_more *m = &sg->more.v[i];
		snprintf(name, sizeof name, "m%zu", i);
		Agnode_t *n = agnode(parent_graph(bd, m->cluster), name, 1);
		if (!n)
			return -1;
		gl_sb_clear(&bd->lbl);
		if (more_label(a, sg, m, &bd->lbl) < 0 || set(n, "label", gl_sb_str(&bd->lbl)) ||
		    apply_style(n, &st_more, 0) || set(n, "fontcolor", "#424242"))
			return -1;
		Agedge_t *e = m->referring ? agedge(g, n, bd->nodes[m->from], NULL, 1)
					   : agedge(g, bd->nodes[m->from], n, NULL, 1);
		if (!e || set(e, "style", m->dominated ? "dotted" : "dashed") || set(e, "color", "#9e9e9e"))
			return -1;
	}
	return add_legend(bd, sg, o);
}

/* cairo stamps PDFs with the time: make it a fixed one, same length. */
static void pdf_fixed_date(char *p, size_t len)
{
	static const char key[] = "/CreationDate (D:";
	size_t kl = sizeof key - 1;
	for (size_t i = 0; i + kl < len && i < 65536; i++) {
		if (memcmp(p + i, key, kl) != 0)
			continue;
		static const char fixed[] = "20000101000000";
		for (size_t j = i + kl, k = 0; j < len && p[j] >= '0' && p[j] <= '9'; j++, k++)
			p[j] = k < sizeof fixed - 1 ? fixed[k] : '0';
	}
}

int gl_render_draw(gl_renderer *r, const gl_analysis *a, const gl_subgraph *sg, const gl_render_opts *o,
		   const char *fmt, char **data, size_t *len, gl_err *err)
{
	build bd = {0};
	int rc = -1, laid_out = 0;
	char *out = NULL, *out_dot = NULL;
	unsigned int outlen = 0;
	size_t dot_len = 0;
	*data = NULL;
	*len = 0;
	gv_quiet();
	bd.nodes = gl_calloc_array(sg->nodes.n ? sg->nodes.n : 1, sizeof *bd.nodes);
	bd.clusters = gl_calloc_array(sg->clusters.n ? sg->clusters.n : 1, sizeof *bd.clusters);
	if (!bd.nodes || !bd.clusters) {
		gl_err_set(err, "out of memory");
		goto done;
	}
	bd.g = agopen("graphleak", Agdirected, NULL);
	if (!bd.g || build_graph(&bd, a, sg, o) < 0) {
		gl_err_set(err, "building the graph: %s", gv_msg[0] ? gv_msg : "out of memory");
		goto done;
	}
	if (strcmp(fmt, "dot") == 0) {
		/* the graph as built, no layout: agwrite into memory */
		FILE *mf = open_memstream(&out_dot, &dot_len);
		if (!mf) {
			gl_err_set(err, "out of memory");
			goto done;
		}
		int wr = agwrite(bd.g, mf);
		if (wr == 0)
			fputc('\n', mf); /* agwrite ends without one */
		if (fclose(mf) != 0 || wr != 0) {
			gl_err_set(err, "writing the graph: %s", gv_msg[0] ? gv_msg : "out of memory");
			goto done;
		}
		*data = out_dot;
		*len = dot_len;
		out_dot = NULL;
		rc = 0;
		goto done;
	}
	if (gvLayout(r->gvc, bd.g, "dot") != 0) {
		gl_err_set(err, "laying out the graph: %s", gv_msg[0] ? gv_msg : "Graphviz failed");
		goto done;
	}
	laid_out = 1;
	if (raster(fmt)) {
		/* the bitmap renderers shrink anything wider or taller than 32,767
		 * pixels into an unreadable strip: refuse instead, and say what to do */
		double w = (GD_bb(bd.g).UR.x - GD_bb(bd.g).LL.x) * 96.0 / 72.0;
		double h = (GD_bb(bd.g).UR.y - GD_bb(bd.g).LL.y) * 96.0 / 72.0;
		if (w > RASTER_MAX_PX || h > RASTER_MAX_PX) {
			gl_err_set(err, "the picture is %.0f x %.0f pixels, too large for %s (at most %d a side): "
				   "write SVG or PDF instead (-o FILE.svg), or draw fewer objects (--max-objects)",
				   w, h, fmt, RASTER_MAX_PX);
			goto done;
		}
	}
	if (gvRenderData(r->gvc, bd.g, fmt, &out, &outlen) != 0 || !out) {
		gl_err_set(err, "rendering %s: %s", fmt, gv_msg[0] ? gv_msg : "Graphviz failed");
		goto done;
	}
	*data = malloc(outlen ? outlen : 1);
	if (!*data) {
		gl_err_set(err, "out of memory");
		goto done;
	}
	memcpy(*data, out, outlen);
	*len = outlen;
	if (strcmp(fmt, "pdf") == 0)
		pdf_fixed_date(*data, *len);
	rc = 0;
done:
	if (out)
		gvFreeRenderData(out);
	free(out_dot);
	if (laid_out)
		gvFreeLayout(r->gvc, bd.g);
	if (bd.g)
		agclose(bd.g);
	free(bd.nodes);
	free(bd.clusters);
	gl_sb_free(&bd.lbl);
	return rc;
}

/* ---- writing ----------------------------------------------------------- */

int gl_render_write(const char *path, const char *data, size_t len, gl_err *err)
{
	if (strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return gl_err_set(err, "writing the picture to stdout: %s", strerror(errno));
		return 0;
	}
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp)
		return gl_err_set(err, "out of memory");
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp-XXXXXX", 12);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		gl_err_set(err, "%s: cannot create: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	mode_t mask = umask(022);
	umask(mask);
	const char *p = data;
	size_t left = len;
	int bad = fchmod(fd, 0644 & ~mask) != 0;
	while (!bad && left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			bad = 1;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	int saved = errno;
	if (close(fd) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (!bad && rename(tmp, path) != 0) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		unlink(tmp);
		gl_err_set(err, "%s: cannot write: %s", path, strerror(saved));
	}
	free(tmp);
	return bad ? -1 : 0;
}
