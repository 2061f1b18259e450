/*
 * strbuf.h - a growable NUL-terminated string for building report lines.
 *
 * Allocation failures are sticky: after one, appends do nothing and
 * gl_sb_failed() is nonzero, so callers check once when done.
 *
 *   gl_sb b = {0};
 *   gl_sb_printf(&b, "%s, %u entries", type, n);
 *   if (gl_sb_failed(&b)) ...
 *   puts(gl_sb_str(&b));
 *   gl_sb_free(&b);
 */
#ifndef GRAPHLEAK_STRBUF_H
#define GRAPHLEAK_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct gl_sb {
	char *s;
	size_t len, cap;
	int failed;
} gl_sb;

void gl_sb_printf(gl_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gl_sb_append(gl_sb *b, const char *p, size_t n);
void gl_sb_puts(gl_sb *b, const char *p);

/*
 * Appends heap text (a preview, a key) so it is safe on a terminal and
 * readable: printable ASCII and valid UTF-8 as they are; control bytes,
 * C1 controls, invalid UTF-8, and (if quote is not 0) the quote character
 * and backslash as \xNN / \n / \t / \\ / \'. Adds "..." when `cut` is set.
 */
void gl_sb_escaped(gl_sb *b, const unsigned char *p, size_t n, char quote, int cut);

/*
 * The one UTF-8 decoder: the length (1..4) of the well-formed sequence at p
 * (n bytes left) with its code point in *cp, or 0 when the bytes there are
 * none (a stray byte, overlong, a surrogate, beyond U+10FFFF, cut short).
 */
size_t gl_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/*
 * Appends n bytes as a JSON string, quotes included: '"', '\\' and control
 * bytes escaped (\n, \t, \u00XX), everything else as it is (UTF-8 passes
 * through). With n == (size_t)-1, p is NUL-terminated. For JSON written
 * without jansson: the shim's header and result files.
 */
void gl_sb_json_str(gl_sb *b, const char *p, size_t n);
/* The same for a NUL-terminated string, or null when p is NULL. */
void gl_sb_json_or_null(gl_sb *b, const char *p);

/* The string so far ("" when empty). Owned by b. */
const char *gl_sb_str(const gl_sb *b);
void gl_sb_clear(gl_sb *b);
int gl_sb_failed(const gl_sb *b);
void gl_sb_free(gl_sb *b);

#endif /* GRAPHLEAK_STRBUF_H */
