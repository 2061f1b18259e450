/*
 * collect.h - what the analysis commands find, as the JSON their --json
 * prints, for `graphleak report` to gather into one page. Each command's
 * own text output comes from the same function (suspects, cycles) or from
 * the same figures (top, growth), so the report and the commands agree.
 */
#ifndef GRAPHLEAK_COLLECT_H
#define GRAPHLEAK_COLLECT_H

#include <jansson.h>
#include <stdint.h>

#include "analysis.h"
#include "growth.h"
#include "memory.h"
#include "typestats.h"

/*
 * The suspects of a (GL_AN_PATHS | GL_AN_DOM) that retain at least share
 * percent of the heap, at most limit (UINT64_MAX: all). With jout NULL,
 * prints them as `graphleak suspects` does; else *jout gets the object
 * `suspects --json` prints (without its schema), and *ids (when ids is not
 * NULL) the suspects' object ids in the order of its "suspects" (free()).
 * GL_EXIT_OK or _FAIL.
 */
int suspects_collect(const gl_analysis *a, const char *snap, double share, uint64_t limit, json_t **jout,
		     uint32_t **ids);

/*
 * The cycles of a (GL_AN_PATHS | GL_AN_SCC), at most limit shapes of each
 * kind: printed with jout NULL, else *jout as `cycles --json`.
 */
int cycles_collect(const gl_analysis *a, const char *snap, uint64_t limit, json_t **jout);

/* `top --json` for rows[0..n) of s, the first `shown` listed; retained
 * (per type string id, may be NULL) adds that column. */
json_t *top_json(const gl_snap *s, const gl_typestat *rows, uint32_t n, uint32_t shown, int tracked_only,
		 const uint64_t *retained);

/* `growth --json` (limit 0: every row). snaps: report_growth's list. */
json_t *growth_json(const char *const *paths, json_t *snaps, size_t n, const gl_growth *g, size_t limit,
		    const gl_mem_growth *mg);

/* Where the RSS went between the snapshot at first_path (its header read
 * alone) and last. */
void growth_memory(const char *first_path, const gl_snap *last, gl_mem_growth *mg);

#endif /* GRAPHLEAK_COLLECT_H */
