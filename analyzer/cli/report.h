/*
 * report.h - pieces the analysis commands (path, suspects, cycles) share:
 * loading with the analyses they need, objects and chains as text and JSON.
 */
#ifndef GRAPHLEAK_REPORT_H
#define GRAPHLEAK_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "analysis.h"
#include "holder.h"
#include "holders.h"

/*
 * Loads SNAP with reverse edges and runs the analyses in `what`, showing
 * progress on a terminal; redact: the words about it are redacted
 * (s->redact, `--redact`: holder.h). On failure prints the message and
 * returns 1 with *s NULL; else 0 (release with report_close).
 */
int report_open(const char *path, unsigned what, int redact, gl_snap **s, gl_analysis *a);
void report_close(gl_snap *s, gl_analysis *a);

/*
 * Growth across the snapshots paths[0..n) (oldest first): the last one is
 * loaded and analysed into *last / *al and stays loaded (report_close); the
 * others are loaded one at a time, compared, and freed. `snaps` (may be
 * NULL) gets {"path", "pid", "time"} for each. Prints its own errors;
 * returns 0, or 1 with *last NULL and *g freed.
 */
struct gl_growth;
int report_growth(const char *const *paths, size_t n, uint64_t min_bytes, uint64_t min_items, int redact,
		  gl_snap **last, gl_analysis *al, struct gl_growth *g, json_t *snaps);

/*
 * Puts the snapshots paths[0..n) in the order they were taken (the header's
 * time_unix, read without loading them), saying so on stderr when that is
 * not the order given. Snapshots without a time keep their places. 0, or 1
 * (a message printed) when one cannot be read.
 */
int report_sort_by_time(const char **paths, size_t n);

/* {"addr": "0x..", "type", "size", "length", "preview"?, "retained"?} */
json_t *report_obj_json(const gl_analysis *a, uint32_t id);

/* The chain to `target` as one line: "sys.modules['service'].cache['u1']" */
int report_chain_line(const gl_analysis *a, uint32_t target, gl_sb *out);

/*
 * {"holder": "...", "holder_kind": "module", "chain": "one line",
 *  "steps": [{"step": ".cache", "object": {...}, "holder": bool}, ...],
 *  "raw": ["0x..", ...]} for the shortest chain to target and its nearest
 * holder; NULL if out of memory.
 */
json_t *report_chain_json(const gl_analysis *a, uint32_t target);
/* The same for path p whose holder (words, kind) refers to p->ids[holder_at]. */
json_t *report_path_json(const gl_analysis *a, const gl_path *p, size_t holder_at, const char *holder_text,
			 gl_hold_kind kind);

/*
 * [{"holder" (by full path), "holder_kind", "count", "size", "only_count",
 *   "only_size", "exact", "example": {chain..., "object"}}] for the first
 * `max` (0: all) of hs.
 */
json_t *report_holds_json(const gl_analysis *a, const gl_holds *hs, size_t max);

/*
 * Prints the chain one labelled step per line, the holder marked, each line
 * indented by `indent` spaces. Returns 0 or -1 (out of memory).
 */
int report_print_chain(FILE *f, const gl_analysis *a, uint32_t target, int indent);
/* The same for path p whose holder refers to p->ids[holder_at]. */
int report_print_path(FILE *f, const gl_analysis *a, const gl_path *p, size_t holder_at, int indent);

/* gl_holds_find with its error printed. 0, or -1. */
int report_holds(const gl_analysis *a, const uint32_t *ids, size_t n, size_t max, gl_holds *hs);

/* "graphleak CMD: PATH: no object of type 'NAME'", with the closest type
 * of the snapshot as a suggestion when one is close, on stderr. */
void report_no_type(const char *cmd, const gl_snap *s, const char *path, const char *name);

/*
 * The type NAME means in s, into *sid (a string id): its full name
 * (module-qualified, service.Profile; builtins.dict is dict), or the last
 * part of exactly one type's name (Profile). Otherwise prints why (no such
 * type, with the closest as a suggestion; or several types, listed with
 * their counts) and returns GL_EXIT_FAIL; GL_EXIT_OK when found.
 */
int report_find_type(const char *cmd, const gl_snap *s, const char *path, const char *name, uint32_t *sid);

/* Type name of id as a NUL-terminated string in b. */
void report_type(const gl_snap *s, uint32_t id, gl_sb *b);

/* The hold kind's name for JSON: "module", "class", "frame", ... */
const char *report_hold_kind(gl_hold_kind k);

/* Objects and bytes per type over a set of objects, biggest bytes first. */
typedef struct report_mix {
	uint32_t type; /* string id */
	uint64_t count, size;
} report_mix;

/* Fills *out (allocated here, caller frees) with *nout rows. 0 or -1 (OOM). */
int report_type_mix(const gl_snap *s, const uint32_t *ids, size_t n, report_mix **out, size_t *nout);
/* [{"type", "count", "size"}, ...], at most `max` rows. */
json_t *report_mix_json(const gl_snap *s, const report_mix *m, size_t n, size_t max);
/* " 20,000 service.Profile 937.5 KiB, 20,000 bytes 40.0 MiB, ..." */
void report_mix_text(FILE *f, const gl_snap *s, const report_mix *m, size_t n, size_t max);

#endif /* GRAPHLEAK_REPORT_H */
