/*
 * hash.h - the analyzer's one byte hash and one bit mixer, for its hash
 * tables and fingerprints:
 *
 *   uint64_t h = gl_hash_bytes(p, n);          64-bit FNV-1a: stable, so it can
 *   h = gl_hash_more(h, q, m);                 be shown (redacted descriptions)
 *   size_t slot = gl_mix64(h) & (cap - 1);     spread the bits before taking the
 *                                              low ones for a table
 *
 * and one index of a table's rows by their hashes (gl_index, below).
 */
#ifndef GRAPHLEAK_HASH_H
#define GRAPHLEAK_HASH_H

#include <stddef.h>
#include <stdint.h>

#define GL_HASH_SEED 1469598103934665603ull /* FNV-1a's offset basis */

/* h with the n bytes at p hashed in (FNV-1a). */
static inline uint64_t gl_hash_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static inline uint64_t gl_hash_bytes(const void *p, size_t n)
{
	return gl_hash_more(GL_HASH_SEED, p, n);
}

/* x with every bit of it spread over every bit of the result. */
static inline uint64_t gl_mix64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

/*
 * An index of the rows of a table the caller keeps, by their hashes: open
 * addressing with linear probing, each slot a row's number + 1 (0: empty),
 * as many slots as a power of two, at most half of them used.
 *
 *   gl_index x = {0};
 *   if (gl_index_room(&x, nrows, row_hash, rows) < 0) ...out of memory...
 *   size_t j = gl_index_at(&x, h);
 *   for (; x.slot[j]; j = gl_index_next(&x, j))
 *           if (row x.slot[j] - 1 is the one) ...found...
 *   ...append the row as number nrows, then: x.slot[j] = nrows + 1;
 *   gl_index_free(&x);
 */
typedef struct gl_index {
	uint32_t *slot;
	size_t cap; /* 0 until the first gl_index_room */
} gl_index;

/*
 * Room for one more row beside the `rows` indexed: when that would fill
 * more than half the slots, twice as many (at least 64), filled again from
 * hash(ctx, r) for r < rows. 0, or -1 (out of memory, or 2^32 - 1 rows;
 * x is unchanged).
 */
int gl_index_room(gl_index *x, size_t rows, uint64_t (*hash)(const void *ctx, size_t row), const void *ctx);

static inline size_t gl_index_at(const gl_index *x, uint64_t h)
{
	return (size_t)(h & (x->cap - 1));
}

static inline size_t gl_index_next(const gl_index *x, size_t j)
{
	return (j + 1) & (x->cap - 1);
}

void gl_index_free(gl_index *x);

#endif
