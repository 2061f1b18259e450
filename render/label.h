/*
 * label.h - the words on a picture: objects, references and holders as
 * text for Graphviz plain labels, escaped, and redacted on request.
 *
 * Every label is built from pieces, and every piece of text that comes
 * from the heap (previews, dict keys, names) goes through gl_lbl_text(),
 * which makes it inert in a Graphviz plain label and in every output
 * format made from one:
 *   - control bytes, invalid UTF-8, C1 controls: \xNN (gl_sb_escaped);
 *   - bidirectional and zero-width format characters (U+200B-U+200F,
 *     U+202A-U+202E, U+2066-U+2069): \u202e, so a key cannot reorder or
 *     hide the text around it;
 *   - backslash: doubled, so Graphviz's escapes (\n \l \r \N \G \E \T \H
 *     \L) never fire;
 *   - '&': &#38;, so Graphviz's entity decoding gives back '&' and nothing
 *     else (the SVG writer then escapes it, and < > " ' too).
 * Line breaks between pieces are the only escapes put in on purpose.
 *
 * The words themselves come from analyzer/words/holder.c, the one place objects,
 * references and holders are said, redacted when the snapshot is
 * (s->redact, `--redact`: holder.h has the rule); this file only makes them
 * safe for Graphviz and cuts long lines.
 */
#ifndef GRAPHLEAK_RENDER_LABEL_H
#define GRAPHLEAK_RENDER_LABEL_H

#include <stdint.h>

#include "analysis.h"
#include "holder.h"
#include "strbuf.h"

/* Longest line of heap text kept in a label, in bytes (then "..."). */
#define GL_LBL_LINE_MAX 72

/* Appends text (terminal-safe or not) made inert for a plain label. */
void gl_lbl_text(gl_sb *b, const char *text);
/* The same for raw heap bytes (escaped first as gl_sb_escaped does). */
void gl_lbl_bytes(gl_sb *b, const unsigned char *p, size_t n, char quote, int cut);
/* A line break (centered). */
void gl_lbl_br(gl_sb *b);

/* The object: "dict, 19,844 entries", "str 'user-1'" or "str(6) #1f2e3d",
 * "module service", "function remember()". Appended as label text. */
void gl_lbl_obj(const gl_analysis *a, uint32_t id, gl_sb *b);

/* The reference e as code says it: ['user-1'] (or [str(6) #1f2e3d]), [3],
 * .cache, local backlog; with via (a folded X.__dict__['name'], see
 * subgraph.h) not UINT64_MAX, ".name". */
void gl_lbl_edge(const gl_analysis *a, uint64_t e, uint64_t via, gl_sb *b);

/* A holder's words (gl_holder_say's, already terminal-safe), as label text.
 * 0 or -1 (out of memory). */
int gl_lbl_holder(const char *text, gl_sb *b);

/* The chain's root said as a start: "sys.modules", "thread worker-1,
 * frame consume()", "dict at 0x.. (held from outside the heap: ...)". */
void gl_lbl_root(const gl_analysis *a, uint32_t root, gl_sb *b);

#endif /* GRAPHLEAK_RENDER_LABEL_H */
