/*
 * typestats.h - objects and bytes per type (what `graphleak top` shows).
 *
 * One row per type name, sorted by total size, largest first; ties by
 * name (bytewise), so the order is stable.
 * Each row carries the type's string id, so later columns (retained size,
 * growth) can be added by the caller from side arrays.
 */
#ifndef GRAPHLEAK_TYPESTATS_H
#define GRAPHLEAK_TYPESTATS_H

#include <stdint.h>

#include "error.h"
#include "snapshot.h"

typedef struct gl_typestat {
	uint32_t type;   /* string id of the type name */
	uint64_t count;  /* objects */
	uint64_t size;   /* bytes: sum of their sizes */
} gl_typestat;

enum {
	GL_TS_TRACKED_ONLY = 1, /* count only gc-tracked objects */
};

/*
 * Computes the per-type rows. On success *out (caller owns: free()) holds
 * *n rows and 0 is returned; on out of memory -1 with err set.
 */
int gl_typestats(const gl_snap *s, unsigned flags, gl_typestat **out, uint32_t *n, gl_err *err);

#endif /* GRAPHLEAK_TYPESTATS_H */
