/*
 * strbuf.c - see strbuf.h.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(gl_sb *b, size_t more)
{
	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	if (more > SIZE_MAX / 2 - b->len - 1) {
		b->failed = 1;
		return -1;
	}
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	char *p = realloc(b->s, ncap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->s = p;
	b->cap = ncap;
	return 0;
}

void gl_sb_append(gl_sb *b, const char *p, size_t n)
{
	if (reserve(b, n) < 0)
		return;
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void gl_sb_puts(gl_sb *b, const char *p)
{
	gl_sb_append(b, p, strlen(p));
}

void gl_sb_printf(gl_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof tmp) {
		gl_sb_append(b, tmp, (size_t)n);
		return;
	}
	if (reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t gl_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v;
	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		v = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
		return 0; /* overlong, beyond U+10FFFF, or a surrogate */
	*cp = v;
	return len;
}

/* Length of a valid, printable UTF-8 sequence at p (2..4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len = gl_utf8_decode(p, n, &cp);
	if (len < 2)
		return 0;
	if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0; /* C1 controls, line separators, bidi overrides */
	return len;
}

void gl_sb_escaped(gl_sb *b, const unsigned char *p, size_t n, char quote, int cut)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(p + i, n - i);
			if (k) {
				gl_sb_append(b, (const char *)p + i, k);
				i += k;
				continue;
			}
			if (cut && n - i < 4)
				break; /* a character cut in half by the preview limit */
			gl_sb_printf(b, "\\x%02x", c);
		} else if (c == '\n') {
			gl_sb_puts(b, "\\n");
		} else if (c == '\t') {
			gl_sb_puts(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			gl_sb_printf(b, "\\x%02x", c);
		} else if (quote && (c == (unsigned char)quote || c == '\\')) {
			char e[2] = {'\\', (char)c};
			gl_sb_append(b, e, 2);
		} else {
			gl_sb_append(b, (const char *)&c, 1);
		}
		i++;
	}
	if (cut)
		gl_sb_puts(b, "...");
}

const char *gl_sb_str(const gl_sb *b)
{
	return b->s && !b->failed ? b->s : "";
}

void gl_sb_clear(gl_sb *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

int gl_sb_failed(const gl_sb *b)
{
	return b->failed;
}

void gl_sb_free(gl_sb *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void gl_sb_json_str(gl_sb *b, const char *p, size_t n)
{
	if (n == (size_t)-1)
		n = p ? strlen(p) : 0;
	gl_sb_append(b, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		gl_sb_append(b, p + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': gl_sb_append(b, "\\\"", 2); break;
		case '\\': gl_sb_append(b, "\\\\", 2); break;
		case '\n': gl_sb_append(b, "\\n", 2); break;
		case '\r': gl_sb_append(b, "\\r", 2); break;
		case '\t': gl_sb_append(b, "\\t", 2); break;
		default: gl_sb_printf(b, "\\u%04x", c); break;
		}
	}
	gl_sb_append(b, p + start, n - start);
	gl_sb_append(b, "\"", 1);
}

void gl_sb_json_or_null(gl_sb *b, const char *p)
{
	if (p)
		gl_sb_json_str(b, p, strlen(p));
	else
		gl_sb_puts(b, "null");
}
