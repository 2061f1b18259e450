/*
 * arena.h - memory for one snapshot's arrays, freed at once.
 *
 * Each gl_arena_array() call gets its own chunk: large chunks come straight
 * from mmap with MADV_HUGEPAGE (fewer page faults and TLB misses on the
 * randomly accessed graph arrays), small ones from malloc. Built with
 * GRAPHLEAK_ARENA_MALLOC (the sanitizer build defines it), every chunk is a
 * plain malloc so ASan sees each one. gl_arena_free() releases everything.
 */
#ifndef GRAPHLEAK_ARENA_H
#define GRAPHLEAK_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct gl_arena_chunk {
	void *p;
	size_t len;
	int mapped;
} gl_arena_chunk;

typedef struct gl_arena {
	gl_arena_chunk *chunks; /* owned */
	size_t n, cap;
	uint64_t bytes;         /* total handed out */
} gl_arena;

/*
 * n elements of `size` bytes, uninitialised (zeroed with `zero`), owned by
 * the arena. NULL on overflow or out of memory.
 */
void *gl_arena_array(gl_arena *a, size_t n, size_t size, int zero);

/* Returns a chunk's memory early (p must come from this arena). */
void gl_arena_release(gl_arena *a, void *p);

/* Frees every chunk. The arena can be reused afterwards. */
void gl_arena_free(gl_arena *a);

#endif /* GRAPHLEAK_ARENA_H */
