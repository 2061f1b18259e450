/*
 * vec.h - checked sizes and one growable array, used everywhere an element
 * count turns into a byte count.
 *
 *   size_t bytes;
 *   if (gl_mul(n, sizeof *a, &bytes) < 0) ...overflow...
 *   T *a = gl_alloc_array(n, sizeof *a);        NULL on overflow or OOM
 *
 *   gl_vec(uint32_t) ids = {0};
 *   if (gl_vec_push(&ids, 42) < 0) ...out of memory...
 *   ids.v[0], ids.n
 *   gl_vec_free(&ids);
 *
 * Memory from gl_alloc_array()/gl_calloc_array() is released with free();
 * a gl_vec owns its .v until gl_vec_free() (or the caller takes .v and then
 * must free() it).
 */
#ifndef GRAPHLEAK_VEC_H
#define GRAPHLEAK_VEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* *out = a * b. Returns 0, or -1 (and *out = SIZE_MAX) on overflow. */
static inline int gl_mul(size_t a, size_t b, size_t *out)
{
	if (__builtin_mul_overflow(a, b, out)) {
		*out = SIZE_MAX;
		return -1;
	}
	return 0;
}

/* *out = a + b. Returns 0, or -1 on overflow. */
static inline int gl_add(size_t a, size_t b, size_t *out)
{
	if (__builtin_add_overflow(a, b, out)) {
		*out = SIZE_MAX;
		return -1;
	}
	return 0;
}

/*
 * malloc(n * size) with the product checked; n == 0 still returns a unique
 * pointer. NULL on overflow or out of memory. Caller owns; free().
 */
void *gl_alloc_array(size_t n, size_t size);
/* The same, zero-filled. */
void *gl_calloc_array(size_t n, size_t size);
/*
 * Resizes *p to n elements of `size` bytes. On success updates *p and returns
 * 0; on failure leaves *p untouched (still owned by the caller) and returns -1.
 */
int gl_realloc_array(void **p, size_t n, size_t size);

/*
 * Grows *data (elements of `elem` bytes, capacity *cap) so that it can hold
 * `need` elements: doubling, at least 16. Returns 0, or -1 on overflow or
 * out of memory, leaving *data and *cap as they were.
 */
int gl_vec_grow_(void **data, size_t *cap, size_t need, size_t elem);

/*
 * qsort() for n elements at base, which may be NULL when n is 0 (qsort
 * itself must not be given NULL, even for no elements).
 */
static inline void gl_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

#define gl_vec(T) struct { T *v; size_t n, cap; }

/* Makes room for `k` more elements. 0 or -1. */
#define gl_vec_reserve(a, k) \
	gl_vec_grow_((void **)&(a)->v, &(a)->cap, (a)->n + (k), sizeof *(a)->v)

/* Appends x. 0 or -1 (out of memory; the array is unchanged). */
#define gl_vec_push(a, x) \
	(gl_vec_reserve((a), 1) < 0 ? -1 : ((a)->v[(a)->n++] = (x), 0))

#define gl_vec_free(a) \
	do { free((a)->v); (a)->v = NULL; (a)->n = (a)->cap = 0; } while (0)

#endif /* GRAPHLEAK_VEC_H */
