/*
 * label.c - the words on a picture, escaped and redacted. See label.h.
 */
#include "label.h"

#include <ctype.h>
#include <string.h>

#include "humanfmt.h"

/* U+200B-U+200F, U+202A-U+202E, U+2066-U+2069 as UTF-8 at p (n bytes
 * left): the code point, or 0. */
static unsigned format_char(const unsigned char *p, size_t n)
{
	if (n < 3 || p[0] != 0xe2)
		return 0;
	if (p[1] == 0x80 && ((p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
		return 0x2000u + (p[2] - 0x80u);
	if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 0x2040u + (p[2] - 0x80u);
	return 0;
}

void gl_lbl_text(gl_sb *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		unsigned cp = format_char(p + i, n - i);
		if (cp) {
			gl_sb_printf(b, "\\\\u%04x", cp);
			i += 3;
			continue;
		}
		if (c == '\\')
			gl_sb_puts(b, "\\\\");
		else if (c == '&')
			gl_sb_puts(b, "&#38;");
		else if (c == '\n')
			gl_sb_puts(b, "\\\\n"); /* never expected: gl_sb_escaped removed them */
		else if (c < 0x20 || c == 0x7f)
			gl_sb_printf(b, "\\\\x%02x", c);
		else
			gl_sb_append(b, (const char *)&c, 1);
		i++;
	}
}

/* Terminal-safe text of at most GL_LBL_LINE_MAX bytes (cut at a UTF-8
 * boundary, "..." added), as label text. */
static void put_line(gl_sb *b, const char *text)
{
	size_t n = strlen(text);
	if (n <= GL_LBL_LINE_MAX) {
		gl_lbl_text(b, text);
		return;
	}
	size_t k = GL_LBL_LINE_MAX;
	while (k > 0 && ((unsigned char)text[k] & 0xc0) == 0x80)
		k--;
	gl_sb t = {0};
	gl_sb_append(&t, text, k);
	gl_sb_puts(&t, "...");
	gl_lbl_text(b, gl_sb_str(&t));
	if (gl_sb_failed(&t))
		b->failed = 1;
	gl_sb_free(&t);
}

void gl_lbl_bytes(gl_sb *b, const unsigned char *p, size_t n, char quote, int cut)
{
	gl_sb t = {0};
	gl_sb_escaped(&t, p, n, quote, cut);
	put_line(b, gl_sb_str(&t));
	if (gl_sb_failed(&t))
		b->failed = 1;
	gl_sb_free(&t);
}

void gl_lbl_br(gl_sb *b)
{
	gl_sb_puts(b, "\\n");
}

int gl_lbl_is_text_value(const gl_snap *s, uint32_t id)
{
	return gl_type_is(s, id, "str") || gl_type_is(s, id, "bytes") || gl_type_is(s, id, "bytearray");
}

void gl_lbl_redacted(const gl_snap *s, uint32_t id, gl_sb *b)
{
	gl_sb tmp = {0};
	gl_describe_redacted(s, id, &tmp); /* the one rule, holder.h */
	gl_lbl_text(b, gl_sb_str(&tmp));
	if (gl_sb_failed(&tmp))
		b->failed = 1;
	gl_sb_free(&tmp);
}

void gl_lbl_obj(const gl_analysis *a, uint32_t id, const gl_lbl_opts *o, gl_sb *b)
{
	const gl_snap *s = a->s;
	if (o->redact && gl_lbl_is_text_value(s, id) && (s->flags[id] & GL_OF_PREVIEW)) {
		gl_lbl_redacted(s, id, b);
		return;
	}
	gl_sb t = {0};
	gl_describe_obj(s, id, &t);
	put_line(b, gl_sb_str(&t));
	if (gl_sb_failed(&t))
		b->failed = 1;
	gl_sb_free(&t);
}

/* 1 if the preview of str object id is a whole Python identifier. */
static int is_ident(const gl_snap *s, uint32_t id)
{
	size_t n;
	const unsigned char *p = gl_snap_preview(s, id, &n);
	if (!p || !n || (s->flags[id] & GL_OF_PREVIEW_TRUNC) || !gl_type_is(s, id, "str"))
		return 0;
	if (!(isalpha(p[0]) || p[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum(p[i]) || p[i] == '_'))
			return 0;
	return 1;
}

/* A dict key that --redact keeps: an identifier key of a __dict__. */
static int key_is_name(const gl_analysis *a, uint32_t dict, uint32_t key)
{
	return key != GL_NONE && is_ident(a->s, key) && gl_dict_owner(a, dict) != GL_NONE;
}

static void put_key(const gl_analysis *a, uint32_t dict, uint32_t key, const gl_lbl_opts *o, gl_sb *b)
{
	if (o->redact && key != GL_NONE && gl_lbl_is_text_value(a->s, key) && !key_is_name(a, dict, key)) {
		gl_lbl_redacted(a->s, key, b);
		return;
	}
	gl_sb t = {0};
	gl_describe_key(a->s, key, &t);
	put_line(b, gl_sb_str(&t));
	if (gl_sb_failed(&t))
		b->failed = 1;
	gl_sb_free(&t);
}

void gl_lbl_edge(const gl_analysis *a, uint32_t src, uint64_t e, uint64_t via, const gl_lbl_opts *o,
		 gl_sb *b)
{
	const gl_snap *s = a->s;
	if (via != UINT64_MAX) {
		/* X .__dict__ ['name']: the key is an identifier (gl_chain_steps) */
		uint32_t key = gl_value_key(s, e);
		size_t n;
		const unsigned char *p = key != GL_NONE ? gl_snap_preview(s, key, &n) : NULL;
		gl_sb_puts(b, ".");
		if (p)
			gl_lbl_bytes(b, p, n, 0, 0);
		return;
	}
	if (gl_edge_kind(s, (uint32_t)e) == GL_EK_VALUE) {
		gl_sb_puts(b, "[");
		put_key(a, src, gl_value_key(s, e), o, b);
		gl_sb_puts(b, "]");
		return;
	}
	gl_sb t = {0};
	gl_describe_edge(a, e, &t);
	put_line(b, gl_sb_str(&t));
	if (gl_sb_failed(&t))
		b->failed = 1;
	gl_sb_free(&t);
}

void gl_lbl_root(const gl_analysis *a, uint32_t root, gl_sb *b)
{
	gl_sb t = {0};
	gl_describe_root(a, root, &t);
	put_line(b, gl_sb_str(&t));
	if (gl_sb_failed(&t))
		b->failed = 1;
	gl_sb_free(&t);
}

int gl_lbl_holder(const gl_analysis *a, const uint32_t *chain, size_t len, const gl_lbl_opts *o, gl_sb *b)
{
	const gl_snap *s = a->s;
	gl_holder h;
	if (gl_holder_find(a, chain, len, &h) < 0)
		return -1;
	uint32_t key = GL_NONE, dict = GL_NONE;
	if ((h.kind == GL_HOLD_MODULE || h.kind == GL_HOLD_CLASS) && h.at >= 1) {
		dict = chain[h.at - 1];
		key = gl_value_key(s, a->pedge[chain[h.at]]);
	}
	if (o->redact && key != GL_NONE && gl_lbl_is_text_value(s, key) && !is_ident(s, key)) {
		/* "module X, global " + the key, redacted */
		uint32_t owner = GL_NONE;
		if (h.at >= 2) {
			uint64_t e = a->pedge[dict];
			if (gl_edge_kind(s, (uint32_t)e) == GL_EK_FIELD && s->edge_payload[e] == a->sid_dict)
				owner = chain[h.at - 2];
		}
		if (owner == GL_NONE)
			owner = gl_dict_owner(a, dict);
		gl_sb t = {0};
		gl_sb_puts(&t, h.kind == GL_HOLD_MODULE ? "module " : "class ");
		if (owner != GL_NONE) {
			size_t n;
			const unsigned char *p = gl_snap_preview(s, owner, &n);
			if (p)
				gl_sb_escaped(&t, p, n, 0, 0);
		}
		gl_sb_puts(&t, h.kind == GL_HOLD_MODULE ? ", global " : ", attribute ");
		put_line(b, gl_sb_str(&t));
		gl_lbl_redacted(s, key, b);
		if (gl_sb_failed(&t))
			b->failed = 1;
		gl_sb_free(&t);
	} else {
		put_line(b, gl_sb_str(&h.text));
	}
	gl_holder_free(&h);
	return gl_sb_failed(b) ? -1 : 0;
}
