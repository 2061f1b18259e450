/*
 * render.h - pictures of a subgraph (subgraph.h) through Graphviz's C API:
 * cgraph builds the graph (agopen, agnode, agedge, agsafeset), gvc lays it
 * out top-down with dot and renders it (gvLayout, gvRenderData), and
 * everything is freed in reverse order. No `dot` process is run.
 *
 * Only the drawn subgraph becomes a cgraph: its size is what --max-objects
 * and the folding in subgraph.c allow, whatever the heap's.
 *
 * Output is deterministic: nodes and edges are created in the subgraph's
 * order under generated names (n0, n1, ...; heap text is never a name),
 * nothing carries a time, and the one timestamp Graphviz's PDF writer puts
 * in (/CreationDate, from cairo) is replaced by a fixed one.
 *
 *   gl_err err;
 *   gl_renderer *r = gl_render_new(&err);
 *   const char *fmt = gl_render_format_of("chain.png");      // "png"
 *   if (!gl_render_has_format(r, fmt)) ...gl_render_formats(r, &list)...
 *   char *data; size_t len;
 *   gl_render_draw(r, a, &sg, &opts, fmt, &data, &len, &err);
 *   gl_render_write("chain.png", data, len, &err);
 *   free(data);
 *   gl_render_free(r);
 */
#ifndef GRAPHLEAK_RENDER_H
#define GRAPHLEAK_RENDER_H

#include <stddef.h>

#include "analysis.h"
#include "error.h"
#include "label.h"
#include "strbuf.h"
#include "subgraph.h"

typedef struct gl_renderer gl_renderer;

/* Redaction is the snapshot's (s->redact, set before drawing): the words
 * come from analyzer/words/holder.c. */
typedef struct gl_render_opts {
	const char *title;   /* first line under the picture: terminal-safe text,
	                      * escaped here (may be NULL) */
	const char *subtitle;/* second line (may be NULL) */
	const char *target;  /* what GL_SG_TARGET nodes are, for the legend
	                      * ("service.Profile"); may be NULL */
} gl_render_opts;

/*
 * A Graphviz context with its plugins loaded. NULL (message in err) if
 * Graphviz cannot start. Release with gl_render_free.
 */
gl_renderer *gl_render_new(gl_err *err);
void gl_render_free(gl_renderer *r);

/*
 * The format for a file name's extension: "svg", "png", "pdf", "dot"
 * (.dot, .gv: the graph with its labels and styles, not laid out), "ps",
 * "eps", "jpg", "gif", "webp", "json", "xdot"; NULL for any other.
 */
const char *gl_render_format_of(const char *path);

/* 1 if this Graphviz can write format `fmt` (one gl_render_format_of gives). */
int gl_render_has_format(gl_renderer *r, const char *fmt);

/* The formats this Graphviz can write, as "svg, dot, png, ...", into b. */
void gl_render_formats(gl_renderer *r, gl_sb *b);

/*
 * Draws sg (its objects from a's snapshot) in format fmt into *data (a
 * malloc'd buffer the caller frees) of *len bytes. Returns 0, or -1 with
 * a message in err (out of memory, Graphviz failed).
 */
int gl_render_draw(gl_renderer *r, const gl_analysis *a, const gl_subgraph *sg, const gl_render_opts *o,
		   const char *fmt, char **data, size_t *len, gl_err *err);

/*
 * Writes data to path whole or not at all: a temporary file beside it
 * (mode 0644 less the umask), then renamed over path. "-" writes to
 * stdout. 0, or -1 with a message in err.
 */
int gl_render_write(const char *path, const char *data, size_t len, gl_err *err);

#endif /* GRAPHLEAK_RENDER_H */
