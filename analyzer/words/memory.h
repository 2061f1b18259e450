/*
 * memory.h - where a process's memory was when a snapshot was taken, and
 * what grew between two snapshots, in words.
 *
 * The shim writes what the kernel, pymalloc and glibc's malloc say into the
 * header (pyshim/memstat.c); the footer has the bytes of the objects
 * recorded. From them, a breakdown that adds up to RSS:
 *
 *   file-backed        code, libraries, mapped files and shared memory
 *   Python objects     the objects the snapshot recorded, but for the
 *                      mappings of mmap.mmap objects (the footer's
 *                      mapped_bytes): those are in file-backed or other
 *                      anonymous, as far as they are resident
 *   native in heap     what pymalloc and malloc have handed out that no
 *                      recorded object accounts for: C extensions' buffers,
 *                      the interpreter's own tables
 *   pymalloc free      room in pymalloc's arenas (an arena is returned only
 *                      when every object in it is gone: fragmentation)
 *   malloc free        free memory malloc keeps
 *   other anonymous    the rest: thread stacks, mmaps of C extensions and of
 *                      mmap objects, other allocators; unexplained
 *
 * The allocators' figures are sizes of what they hold, not all of it
 * resident, so "other anonymous" is what is left and may come out below
 * zero (then it is shown as 0 and `overcount` says by how much the others
 * went past RSS).
 */
#ifndef GRAPHLEAK_MEMORY_H
#define GRAPHLEAK_MEMORY_H

#include <jansson.h>
#include <stdint.h>

#include "strbuf.h"

enum {
	GL_MEM_FILE,
	GL_MEM_OBJECTS,
	GL_MEM_NATIVE,
	GL_MEM_PY_FREE,
	GL_MEM_C_FREE,
	GL_MEM_OTHER,
	GL_MEM_N
};

typedef struct gl_memory {
	int known;          /* the header has the memory figures (graphleak 0.2+) */
	int has_pymalloc;   /* pymalloc in use (not PYTHONMALLOC=malloc) */
	int has_malloc;     /* glibc's mallinfo2 was there */
	int64_t rss, anonymous, swap;
	int64_t py_arenas, py_used;                 /* pymalloc */
	int64_t c_heap, c_in_use, c_free, c_mmapped; /* malloc */
	int64_t objects;    /* bytes of the recorded objects */
	int64_t mapped;     /* of objects: mmap.mmap objects' mappings */
	int64_t part[GL_MEM_N];
	int64_t overcount;  /* how far the parts went past RSS (0 when they fit) */
	double seconds;     /* what reading the figures cost the process */
} gl_memory;

/* The names of the parts, for people and for JSON. */
const char *gl_memory_part_name(int part);
const char *gl_memory_part_key(int part);

/* Fills m from a snapshot's header and footer (m->known 0 if the header has
 * no figures). */
void gl_memory_from(gl_memory *m, const json_t *header, const json_t *footer);

/* What grew from a to b, and why, in words. */
typedef enum {
	GL_MEM_VERDICT_NONE,      /* RSS hardly grew */
	GL_MEM_VERDICT_OBJECTS,   /* Python objects: look at the holders */
	GL_MEM_VERDICT_FRAGMENTS, /* allocator free space: freed, not returned */
	GL_MEM_VERDICT_NATIVE,    /* outside Python objects: a C extension, native buffers */
	GL_MEM_VERDICT_UNKNOWN,   /* a snapshot has no memory figures */
} gl_mem_verdict;

typedef struct gl_mem_growth {
	gl_mem_verdict verdict;
	int64_t rss_delta;
	int64_t objects_delta, fragments_delta, native_delta, file_delta;
} gl_mem_growth;

void gl_memory_growth(const gl_memory *a, const gl_memory *b, gl_mem_growth *g);

/* The verdict's key for JSON ("objects", "fragmentation", "native", "none", "unknown"). */
const char *gl_memory_verdict_key(gl_mem_verdict v);

/* The verdict in one or two sentences, with the figures, into sb. */
void gl_memory_say(gl_sb *sb, const gl_mem_growth *g);

/* The figures as JSON (new reference, or NULL when out of memory). */
json_t *gl_memory_json(const gl_memory *m);
json_t *gl_memory_growth_json(const gl_mem_growth *g);

#endif /* GRAPHLEAK_MEMORY_H */
