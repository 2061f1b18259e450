/*
 * label.c - the words on a picture, escaped and redacted. See label.h.
 */
#include "label.h"

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

/* Words from holder.c (terminal-safe, redacted as the snapshot is), as
 * label text of at most one line. */
static void put_words(gl_sb *b, const gl_sb *words)
{
	put_line(b, gl_sb_str(words));
	if (gl_sb_failed(words))
		b->failed = 1;
}

void gl_lbl_obj(const gl_analysis *a, uint32_t id, gl_sb *b)
{
	gl_sb t = {0};
	gl_describe_obj(a->s, id, &t);
	put_words(b, &t);
	gl_sb_free(&t);
}

void gl_lbl_edge(const gl_analysis *a, uint64_t e, uint64_t via, gl_sb *b)
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
	gl_sb t = {0};
	gl_describe_edge(a, e, &t);
	put_words(b, &t);
	gl_sb_free(&t);
}

void gl_lbl_root(const gl_analysis *a, uint32_t root, gl_sb *b)
{
	gl_sb t = {0};
	gl_describe_root(a, root, &t);
	put_words(b, &t);
	gl_sb_free(&t);
}

int gl_lbl_holder(const char *text, gl_sb *b)
{
	put_line(b, text);
	return gl_sb_failed(b) ? -1 : 0;
}
