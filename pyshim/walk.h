/*
 * walk.h - the walk of a dump (walk.c): the objects of this process written
 * as records through a snapshot writer. dump.c runs it between the header
 * and the footer.
 */
#ifndef GRAPHLEAK_WALK_H
#define GRAPHLEAK_WALK_H

#include "compat.h"
#include "snapwrite.h"

typedef struct gl_walker gl_walker;

typedef struct gl_walk_stats {
	uint64_t tracked, untracked, bytes; /* objects recorded, and their sizes */
	uint64_t mapped;                    /* of bytes: the mmap.mmap objects' mappings */
	uint64_t mem_peak;                  /* the walker's own peak heap use */
	double seconds;
} gl_walk_stats;

/*
 * Before the walk (the GIL held, Python allowed): what the walk needs from
 * the interpreter (the __sizeof__ of the builtin types, deque's type,
 * gc.garbage) and the frames the header holds (held[0..nheld), whose
 * refcounts the walk corrects). values: 0 withholds str/bytes/int/float
 * values (names excepted: interned identifiers). interned: the interned
 * strings' table (gl_interned_dict(), borrowed, or NULL), recorded after
 * everything else as the header's named root, with an edge to each
 * string it keeps alive. NULL with an exception set if out of memory; free
 * with gl_walk_free().
 */
gl_walker *gl_walk_new(int values, PyObject *const *held, size_t nheld, PyObject *interned);

/*
 * The walk: every object of the collector's `lists` and the untracked
 * objects they reference, then the held frames, into wr (open). Creates no
 * Python object and runs no Python code. 0, or -1 with the reason in err (the
 * writer is then to be aborted). *st is filled either way.
 */
int gl_walk_run(gl_walker *w, gl_writer *wr, const gl_gc_lists *lists, PyObject *const *held, size_t nheld,
		gl_walk_stats *st, char *err, size_t errlen);

/*
 * Allocation sites (tracemalloc, compat.h): gl_walk_track_sites() before the
 * walk makes it keep every recorded object; gl_walk_sites() after it finds
 * each one's traceback and gives the writer the SITE section
 * (docs/snapshot-format.md). On 3.12+ it reads tracemalloc's tables (their
 * lock held, or in a copy made while it was); on 3.8-3.11 it asks
 * _PyTraceMalloc_GetTraceback, which creates objects: the GIL held, in the
 * process itself only. 0, or -1 when memory ran out (the walk failed).
 */
typedef struct gl_site_stats {
	uint64_t sites, objects; /* distinct tracebacks; objects that have one */
	double seconds;
} gl_site_stats;

void gl_walk_track_sites(gl_walker *w);
int gl_walk_sites(gl_walker *w, gl_writer *wr, gl_site_stats *st);

void gl_walk_free(gl_walker *w);

#endif /* GRAPHLEAK_WALK_H */
