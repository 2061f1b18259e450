/*
 * snapwrite.h - streaming encoder for graphleak snapshots (see snapfmt.h).
 *
 * Used inside the target process by pyshim and, in the analyzer, by the
 * JSON-lines import and by tests. It depends on libc only, allocates with
 * malloc, and keeps its memory bounded: a fixed output buffer plus the string
 * table, which is capped (GL_W_STR_CAP_BYTES); past the cap gl_w_intern()
 * returns 0 (the empty string) and counts the drop.
 *
 * The file is written under a temporary name in the destination's directory,
 * created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600, and only published
 * under its final name by gl_w_finish(), so a partial file never looks
 * complete. Publishing never replaces an existing file unless
 * GL_W_OVERWRITE is given.
 *
 * Errors are sticky: after the first failure every call is a no-op that
 * returns -1, and gl_w_error() says what went wrong. A walker may therefore
 * check only now and then (gl_w_failed()) and once at the end.
 */
#ifndef GRAPHLEAK_SNAPWRITE_H
#define GRAPHLEAK_SNAPWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "snapfmt.h"

typedef struct gl_writer gl_writer;

enum {
	GL_W_OVERWRITE = 1, /* publishing may replace an existing file */
};

#define GL_W_BUF_BYTES (1u << 20)
#define GL_W_STR_CAP_BYTES (64u << 20)

typedef struct gl_w_stats {
	uint64_t objects;      /* records written */
	uint64_t edges;        /* edges written */
	uint64_t strings;      /* strings in the table */
	uint64_t strings_dropped; /* gl_w_intern() calls refused by the cap */
	uint64_t file_bytes;   /* bytes written so far */
	uint64_t peak_mem;     /* the writer's own peak heap use, bytes */
} gl_w_stats;

/*
 * Creates a writer for `path`, writes the preamble and the header JSON
 * (`header_json`, `header_len` bytes, not NUL-terminated necessarily) and
 * opens the OBJS section. On success stores a new writer in *out (owned by
 * the caller: release it with gl_w_finish() or gl_w_abort()) and returns 0.
 * On error returns -1 with a message in errbuf (errlen bytes) and *out NULL.
 */
int gl_w_open(gl_writer **out, const char *path, unsigned flags,
	      const char *header_json, size_t header_len,
	      char *errbuf, size_t errlen);

/*
 * Interns the n bytes at s and returns their string id (0 for the empty
 * string, and for any string refused because the table is full).
 */
uint32_t gl_w_intern(gl_writer *w, const char *s, size_t n);

/*
 * Begins an object record. `preview` (preview_len bytes) is stored only when
 * flags has GL_OF_PREVIEW; it is cut at GL_PREVIEW_MAX bytes (the caller
 * should cut at a character boundary and set GL_OF_PREVIEW_TRUNC). Edges
 * follow with gl_w_edge(), and gl_w_end_object() closes the record.
 */
int gl_w_begin_object(gl_writer *w, uint64_t addr, uint32_t type_sid, uint32_t flags,
		      uint64_t size, uint64_t refcnt, uint64_t length,
		      const void *preview, size_t preview_len);

/* Adds an edge from the open record to `dst`: kind GL_EK_*, extra 0 or 1. */
int gl_w_edge(gl_writer *w, uint64_t dst, unsigned kind, int extra, uint64_t payload);

int gl_w_end_object(gl_writer *w);

/* Nonzero once any call has failed. */
int gl_w_failed(const gl_writer *w);

/* The first error's message ("" if none). Valid until the writer is freed. */
const char *gl_w_error(const gl_writer *w);

void gl_w_get_stats(const gl_writer *w, gl_w_stats *st);

/*
 * Writes STRS, the footer JSON, END; patches the OBJS length; closes and
 * publishes the file under its final name; frees the writer. Returns 0, or
 * -1 with a message in errbuf, in which case the temporary file is removed.
 * Either way the writer is freed. `st`, if not NULL, receives the final
 * statistics.
 */
int gl_w_finish(gl_writer *w, const char *footer_json, size_t footer_len,
		gl_w_stats *st, char *errbuf, size_t errlen);

/* Closes and removes the temporary file and frees the writer. NULL is a no-op. */
void gl_w_abort(gl_writer *w);

/*
 * One more section, written by gl_w_finish() after the objects and before
 * the strings (so that strings interned for it are in STRS): its 4-byte tag
 * and payload. The writer keeps the pointer: the bytes must live until
 * gl_w_finish() or gl_w_abort().
 */
void gl_w_extra_section(gl_writer *w, const char tag[4], const void *data, size_t len);

/*
 * For a writer another process goes on with (the shim's copy-on-write
 * child): its file descriptor and temporary file, and the release of this
 * process's copy of it (descriptor closed, memory freed, the file left).
 */
int gl_w_fd(const gl_writer *w);
const char *gl_w_tmp_path(const gl_writer *w);
void gl_w_release(gl_writer *w);

#endif /* GRAPHLEAK_SNAPWRITE_H */
