/*
 * pyutil.h - small readers of Python objects that the shim's parts share
 * (walk.c, header.c, dump.c). They only read: no object is created, no
 * Python code runs (a str's raw data, a dict walked without hashing).
 */
#ifndef GRAPHLEAK_PYUTIL_H
#define GRAPHLEAK_PYUTIL_H

#include "compat.h"

#include <string.h>
#include <time.h>

static inline double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Encodes str `s` as UTF-8 from its raw data into out (cap bytes), cut at a
 * character boundary. Returns bytes written; *trunc set when cut. Lone
 * surrogates are encoded as 3 bytes (like "surrogatepass"). Reads only. */
static inline size_t str_utf8(PyObject *s, char *out, size_t cap, int *trunc)
{
	*trunc = 0;
	if (!gl_str_ready(s))
		return 0;
	Py_ssize_t n = PyUnicode_GET_LENGTH(s);
	int kind = PyUnicode_KIND(s);
	const void *data = PyUnicode_DATA(s);
	size_t len = 0;
	if (kind == PyUnicode_1BYTE_KIND && PyUnicode_IS_ASCII(s)) {
		size_t k = (size_t)n;
		if (k > cap) {
			k = cap;
			*trunc = 1;
		}
		memcpy(out, data, k);
		return k;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		Py_UCS4 c = PyUnicode_READ(kind, data, i);
		unsigned char b[4];
		size_t k;
		if (c < 0x80) {
			b[0] = (unsigned char)c;
			k = 1;
		} else if (c < 0x800) {
			b[0] = (unsigned char)(0xC0 | (c >> 6));
			b[1] = (unsigned char)(0x80 | (c & 0x3F));
			k = 2;
		} else if (c < 0x10000) {
			b[0] = (unsigned char)(0xE0 | (c >> 12));
			b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
			b[2] = (unsigned char)(0x80 | (c & 0x3F));
			k = 3;
		} else {
			b[0] = (unsigned char)(0xF0 | (c >> 18));
			b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
			b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
			b[3] = (unsigned char)(0x80 | (c & 0x3F));
			k = 4;
		}
		if (len + k > cap) {
			*trunc = 1;
			break;
		}
		memcpy(out + len, b, k);
		len += k;
	}
	return len;
}

/* Whether `s` is an exact, ready str equal to the ASCII literal `lit`. */
static inline int str_is(PyObject *s, const char *lit)
{
	if (!s || !PyUnicode_CheckExact(s) || !gl_str_ready(s) || !PyUnicode_IS_ASCII(s))
		return 0;
	size_t n = strlen(lit);
	return (size_t)PyUnicode_GET_LENGTH(s) == n && memcmp(PyUnicode_DATA(s), lit, n) == 0;
}

/* Whether `s` is an exact, ready str that starts with the ASCII `lit`. */
static inline int str_has_prefix(PyObject *s, const char *lit)
{
	if (!s || !PyUnicode_CheckExact(s) || !gl_str_ready(s) || !PyUnicode_IS_ASCII(s))
		return 0;
	size_t n = strlen(lit);
	return (size_t)PyUnicode_GET_LENGTH(s) >= n && memcmp(PyUnicode_DATA(s), lit, n) == 0;
}

/* Finds the value of str key `lit` in dict d by iterating (no hashing, no
 * comparison that could run Python code). Borrowed, or NULL. */
static inline PyObject *dict_find(PyObject *d, const char *lit)
{
	if (!d || !PyDict_Check(d))
		return NULL;
	Py_ssize_t pos = 0;
	PyObject *k, *v;
	while (PyDict_Next(d, &pos, &k, &v))
		if (str_is(k, lit))
			return v;
	return NULL;
}

#endif /* GRAPHLEAK_PYUTIL_H */
