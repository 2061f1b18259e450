/*
 * sites.h - where objects were allocated, in words: the allocation sites
 * tracemalloc recorded (a snapshot's SITE section, snapshot.h), counted over
 * a group of objects, the most frequent first, each said as
 * "service.py:28 <- service.py:33" (most recent frame first).
 */
#ifndef GRAPHLEAK_SITES_H
#define GRAPHLEAK_SITES_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "snapshot.h"
#include "strbuf.h"

typedef struct gl_site_count {
	uint32_t site;  /* 1..n_sites */
	uint64_t count; /* objects of the group allocated there */
	uint64_t bytes;
} gl_site_count;

typedef struct gl_site_top {
	gl_site_count *v; /* the most frequent first */
	size_t n;
	uint64_t with_site; /* objects of the group that have a site */
	uint64_t group;     /* objects in the group */
} gl_site_top;

/* The `max` most frequent sites among ids[0..n) (max 0: all). 0, or -1 when
 * out of memory. Empty when the snapshot has no sites. */
int gl_sites_top(const gl_snap *s, const uint32_t *ids, size_t n, size_t max, gl_site_top *out);
void gl_sites_free(gl_site_top *t);

/* The base name of frame f's file (no directory), and its length. */
const char *gl_frame_file(const gl_snap *s, uint32_t f, size_t *len);

/* Site k in words: its first `frames` frames (0: all), file base names. */
void gl_site_say(gl_sb *sb, const gl_snap *s, uint32_t site, size_t frames);

/* [{"count", "size", "frames": [{"file", "line"}], "depth"}] (new reference or NULL). */
json_t *gl_sites_json(const gl_snap *s, const gl_site_top *t);

/* Why a snapshot has no sites, for people (its footer's sites_note, or a
 * default), or NULL when it has them. */
const char *gl_sites_missing(const gl_snap *s);

/* Prints "    allocated at: ..." lines for a group (at most `max` sites), or
 * nothing when the snapshot has no sites. */
void gl_sites_print(FILE *f, const gl_snap *s, const gl_site_top *t, size_t max, const char *indent);

#endif /* GRAPHLEAK_SITES_H */
