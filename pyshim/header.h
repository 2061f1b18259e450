/*
 * header.h - the header JSON of a dump (header.c).
 */
#ifndef GRAPHLEAK_HEADER_H
#define GRAPHLEAK_HEADER_H

#include "compat.h"
#include "strbuf.h"

#define GL_SHIM_VERSION "0.1.0"
#define GL_FMT_VERSION_TEXT "1.1"

/* Frames the header holds a reference to (on 3.11+ asking for a thread's
 * frames materialises them), until the walk is over. */
typedef struct gl_heldlist {
	PyObject **frames; /* new references */
	size_t n, cap;
} gl_heldlist;

/*
 * Appends the header JSON (docs/snapshot-format.md) to j: values and
 * collected as the options say. The frames it reads are added to *held.
 * interned: the interned strings' table the walk records (or NULL), named
 * in "roots". The GIL must be held; no exception is left set. Out of
 * memory shows as gl_sb_failed(j).
 */
void gl_header_build(gl_sb *j, int values, int collected, gl_heldlist *held, PyObject *interned);

/* Drops the references and frees the list. */
void gl_held_release(gl_heldlist *h);

#endif /* GRAPHLEAK_HEADER_H */
