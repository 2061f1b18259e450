/*
 * hash.h - the analyzer's one byte hash and one bit mixer, for its hash
 * tables and fingerprints:
 *
 *   uint64_t h = gl_hash_bytes(p, n);          64-bit FNV-1a: stable, so it can
 *   h = gl_hash_more(h, q, m);                 be shown (redacted descriptions)
 *   size_t slot = gl_mix64(h) & (cap - 1);     spread the bits before taking the
 *                                              low ones for a table
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

#endif
