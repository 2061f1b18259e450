/*
 * addrmap.h - object address -> dense id, an open-addressing hash table.
 *
 * Keys are object addresses (multiples of 8; UINT64_MAX is reserved as the
 * empty marker and can never be a key), values uint32_t ids. Linear probing
 * at a load factor of at most 1/2; the key is stored in the slot so a lookup
 * touches one cache line. Built once for a known number of keys (no growth).
 */
#ifndef GRAPHLEAK_ADDRMAP_H
#define GRAPHLEAK_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define GL_NO_ID UINT32_MAX

typedef struct {
	uint64_t key;
	uint32_t id;
	uint32_t pad_;
} gl_addrmap_slot;

typedef struct gl_addrmap {
	gl_addrmap_slot *slots; /* owned by the arena given to init */
	uint64_t mask;          /* capacity - 1 */
	unsigned shift;         /* 64 - log2(capacity) */
	size_t n;
} gl_addrmap;

/*
 * Sizes the table for up to `n` keys, allocating it from `a` (which owns it:
 * gl_arena_release(a, m->slots) or gl_arena_free(a) frees it). Returns 0, or
 * -1 when out of memory.
 */
int gl_addrmap_init(gl_addrmap *m, size_t n, gl_arena *a);

static inline uint64_t gl_addrmap_slot_of(const gl_addrmap *m, uint64_t key)
{
	return ((key >> 3) * 0x9E3779B97F4A7C15ull) >> m->shift;
}

/*
 * Adds key -> id. Returns 0; 1 if the key is already present (its id in
 * *old, if not NULL; nothing changed); -1 if the table is full (more keys
 * than it was sized for).
 */
int gl_addrmap_put(gl_addrmap *m, uint64_t key, uint32_t id, uint32_t *old);

/* The id of key, or GL_NO_ID. */
static inline uint32_t gl_addrmap_get(const gl_addrmap *m, uint64_t key)
{
	uint64_t i = gl_addrmap_slot_of(m, key);
	for (;;) {
		const gl_addrmap_slot *s = &m->slots[i];
		if (s->key == key)
			return s->id;
		if (s->key == UINT64_MAX)
			return GL_NO_ID;
		i = (i + 1) & m->mask;
	}
}

/* Hints the CPU to fetch the slot for key (for batched lookups). */
static inline void gl_addrmap_prefetch(const gl_addrmap *m, uint64_t key)
{
	__builtin_prefetch(&m->slots[gl_addrmap_slot_of(m, key)]);
}

#endif /* GRAPHLEAK_ADDRMAP_H */
