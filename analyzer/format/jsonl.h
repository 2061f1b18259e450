/*
 * jsonl.h - the JSON-lines form of a snapshot (docs/snapshot-format.md,
 * "JSON lines"): export from a loaded snapshot, import into a new snapshot
 * file through the streaming writer (snapwrite.h).
 *
 * Strings: previews are written as JSON strings whose valid UTF-8 passes
 * through and whose other bytes are escaped as \u0080..\u00ff; on import an
 * escape \u0000..\u00ff in a preview stands for that one byte, and any other
 * character for its UTF-8 bytes, so previews survive a round trip byte for
 * byte. Type and edge names are text and go through the same encoder.
 *
 * Allocation sites: an object's "alloc" (its frames) and "alloc_depth" (the
 * traceback's whole depth, when deeper) are exported from the SITE section
 * and imported into one, so that they survive the round trip too.
 */
#ifndef GRAPHLEAK_JSONL_H
#define GRAPHLEAK_JSONL_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "snapshot.h"

/*
 * Writes the snapshot to `out` as JSON lines, streaming: one line per object,
 * no tree of the heap is built. `out_name` is used in messages. Returns 0, or
 * -1 with a message in err (a write error on `out`).
 */
int gl_jsonl_export(const gl_snap *s, FILE *out, const char *out_name, gl_err *err);

typedef struct gl_jsonl_stats {
	uint64_t lines, objects, edges;
} gl_jsonl_stats;

/* gl_jsonl_import() flags */
enum {
	GL_JSONL_OVERWRITE = 1, /* replace an existing output file */
};

/*
 * Reads JSON lines from `in` (named in_name in messages) and writes the
 * snapshot `out_path`. Every line is checked (fields, types, edge kinds,
 * VALUE after KEY, duplicate addresses, dangling targets, the header first
 * and the footer last); the first problem gives -1 and an error
 * "IN_NAME: line N: ...", and no output file is left behind. `st` (may be
 * NULL) receives counts. Returns 0 on success.
 */
int gl_jsonl_import(FILE *in, const char *in_name, const char *out_path, unsigned flags,
		    gl_jsonl_stats *st, gl_err *err);

#endif /* GRAPHLEAK_JSONL_H */
