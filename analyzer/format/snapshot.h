/*
 * snapshot.h - load a graphleak snapshot (docs/snapshot-format.md) into a
 * dense graph.
 *
 * Objects get uint32_t ids 0..n_objects-1 in file order. Everything about an
 * object is in arrays indexed by id (struct of arrays), and the references
 * are in compressed sparse rows:
 *
 *   out edges of id:  e in [out_off[id], out_off[id+1]),  target out_dst[e],
 *                     label edge_label[e] (kind | extra << 4),
 *                     payload edge_payload[e] (index or string id)
 *   in edges of id:   r in [in_off[id], in_off[id+1]),   source in_src[r],
 *                     the forward edge in_edge[r] (for its label);
 *                     sources in increasing id order
 *
 * Later analyses keep their own state in side arrays of n_objects (or
 * n_edges) elements indexed the same way; they never change the snapshot.
 * All arrays are read-only for users and owned by the gl_snap.
 *
 * Limits: fewer than 2^32 - 1 objects, 2^32 edges and 2^32 strings; an
 * INDEX payload must fit in 32 bits.
 */
#ifndef GRAPHLEAK_SNAPSHOT_H
#define GRAPHLEAK_SNAPSHOT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "addrmap.h" /* GL_NO_ID */
#include "arena.h"
#include "error.h"
#include "snapfmt.h"

/* gl_snap_load() flags */
enum {
	GL_SNAP_NO_REVERSE = 1, /* skip the reverse CSR (in_off/in_src/in_edge stay NULL) */
	GL_SNAP_META_ONLY = 2,  /* the preamble, header, section chain, footer and END only: n_objects,
				 * n_edges and n_strings come from END, no array is filled (they stay
				 * NULL) and the pages of the object and string sections are not read */
};

typedef struct gl_snap {
	char *path;              /* as given to the loader (owned) */
	unsigned major, minor;   /* format version of the file */
	uint64_t file_size;

	json_t *header;          /* header JSON object (owned by the snap: borrow) */
	json_t *footer;          /* footer JSON object (owned by the snap: borrow) */

	uint32_t n_objects;
	uint32_t n_edges;
	uint32_t n_strings;

	/* per object, n_objects elements */
	uint64_t *addr;
	uint32_t *type;          /* string id of the type name */
	uint32_t *flags;         /* GL_OF_* */
	uint64_t *size;
	uint64_t *refcnt;
	uint64_t *length;
	uint64_t *preview_off;   /* offset into map; meaningful with GL_OF_PREVIEW */
	uint8_t *preview_len;

	/* forward CSR: out_off has n_objects + 1 elements, the rest n_edges */
	uint64_t *out_off;
	uint32_t *out_dst;
	uint8_t *edge_label;     /* GL_EK_* in bits 0-3, extra in bit 4 */
	uint32_t *edge_payload;  /* INDEX: index; ATTR/FIELD/LOCAL: string id; else 0 */

	/* reverse CSR (NULL with GL_SNAP_NO_REVERSE) */
	uint64_t *in_off;        /* n_objects + 1 */
	uint32_t *in_src;        /* n_edges */
	uint32_t *in_edge;       /* n_edges: index of the forward edge */

	/* allocation sites (the SITE section, where tracemalloc traced): n_sites
	 * 0 and the arrays NULL when the snapshot has none. Frames are most
	 * recent first, as tracemalloc keeps them. */
	uint32_t n_sites;
	uint32_t *site;          /* n_objects: the object's site, 1..n_sites, or 0 */
	uint32_t *site_frame;    /* n_sites + 2: site k's frames are [site_frame[k], site_frame[k + 1]) */
	uint32_t *site_total;    /* n_sites + 1: the traceback's whole depth (frames beyond tracemalloc's limit) */
	uint32_t *frame_file;    /* per frame: the file name's string id */
	uint32_t *frame_line;

	/* strings: bytes at map + str_off[sid], str_len[sid] long, not NUL-terminated */
	uint64_t *str_off;
	uint32_t *str_len;

	gl_arena arena;          /* owns every array above */

	/* the file, mapped read-only (or the caller's buffer) */
	const unsigned char *map;
	size_t map_len;
	int mapped;              /* map came from mmap and is unmapped on free */

	/* A display option, not data: when set, everything that describes
	 * the snapshot in words (holder.h) shows str and bytes values as
	 * their length and a short hash (`--redact`). */
	int redact;
} gl_snap;

#define GL_EDGE_LABEL_EXTRA 16u

static inline unsigned gl_edge_kind(const gl_snap *s, uint32_t e)
{
	return s->edge_label[e] & GL_EDGE_KIND_MASK;
}

static inline int gl_edge_extra(const gl_snap *s, uint32_t e)
{
	return (s->edge_label[e] & GL_EDGE_LABEL_EXTRA) != 0;
}

/*
 * Opens, maps and decodes the snapshot at `path`. On success stores a new
 * snapshot in *out (the caller owns it: gl_snap_free()) and returns 0. On
 * any problem (not a regular file, empty, truncated, corrupt, newer format,
 * out of memory) returns -1 with *out NULL and a message naming the file and
 * the byte offset in err.
 */
int gl_snap_load(gl_snap **out, const char *path, unsigned flags, gl_err *err);

/*
 * The same for a snapshot already in memory (tests, fuzzing). `buf` is
 * borrowed and must outlive the snapshot; `name` is used in messages.
 */
int gl_snap_load_buffer(gl_snap **out, const void *buf, size_t len, const char *name,
			unsigned flags, gl_err *err);

/*
 * What is wrong with a header JSON value, as a sentence, or NULL if nothing:
 * it must be an object, and its "format", when present, must be
 * "graphleak-snapshot". One rule for the loader and for `import`, so import
 * never writes a file the loader refuses.
 */
const char *gl_header_problem(const json_t *header);

/*
 * A copy of the header for --redact: the program's arguments after the first
 * (which may carry passwords, tokens, paths) replaced by "<redacted>".
 * New reference; NULL if out of memory.
 */
json_t *gl_header_redacted(const json_t *header);

/* What the END section of a complete snapshot says, read without loading. */
typedef struct gl_snap_counts {
	uint64_t objects, edges, strings, file_size;
} gl_snap_counts;

/*
 * Reads the counts at the end of the snapshot at `path` (the last 48 bytes:
 * the END section) without loading it. Returns 0, or -1 with err set when
 * the file cannot be read or does not end with a valid END section (the
 * loader then says precisely what is wrong).
 */
int gl_snap_peek(const char *path, gl_snap_counts *c, gl_err *err);

/*
 * The peak memory, in bytes, that loading a snapshot with these counts and
 * running the whole analysis on it takes (the mapped file included): an
 * upper estimate, measured at 2.06 GB for 10M objects and 29.7M edges where
 * it says 2.42 GB (see docs/hardening.md).
 */
uint64_t gl_snap_mem_estimate(const gl_snap_counts *c);

/* Frees everything the snapshot owns and unmaps the file. NULL is a no-op. */
void gl_snap_free(gl_snap *s);

/* The bytes of string `sid` (not NUL-terminated) and their length. sid must
 * be < n_strings. Points into the snapshot's map: valid until gl_snap_free(). */
static inline const char *gl_snap_str(const gl_snap *s, uint32_t sid, size_t *len)
{
	*len = s->str_len[sid];
	return (const char *)s->map + s->str_off[sid];
}

/* The preview bytes of object id (NULL and *len 0 if it has none). */
static inline const unsigned char *gl_snap_preview(const gl_snap *s, uint32_t id, size_t *len)
{
	if (!(s->flags[id] & GL_OF_PREVIEW)) {
		*len = 0;
		return NULL;
	}
	*len = s->preview_len[id];
	return s->map + s->preview_off[id];
}

/* 1 if the type name of id equals name (exact). */
int gl_type_is(const gl_snap *s, uint32_t id, const char *name);

/* 1 if id is a str, bytes or bytearray object: a value --redact hides. */
int gl_is_text_value(const gl_snap *s, uint32_t id);

/* The id of the object at addr, or GL_NO_ID. A linear scan: O(n_objects). */
uint32_t gl_snap_find_addr(const gl_snap *s, uint64_t addr);

/* Heap bytes held by the loaded graph (arrays and JSON excluded the map). */
uint64_t gl_snap_mem_bytes(const gl_snap *s);

/* Name of an edge kind: "none", "index", ... ; NULL for an unknown kind. */
const char *gl_edge_kind_name(unsigned kind);
/* The kind named `name` (as above), or -1. */
int gl_edge_kind_from_name(const char *name);

#endif /* GRAPHLEAK_SNAPSHOT_H */
