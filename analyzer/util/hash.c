/*
 * hash.c - the index of rows by hash (hash.h).
 */
#include "hash.h"

#include <stdlib.h>

#include "vec.h"

int gl_index_room(gl_index *x, size_t rows, uint64_t (*hash)(const void *ctx, size_t row), const void *ctx)
{
	if (rows >= UINT32_MAX - 1)
		return -1;
	if ((rows + 1) * 2 <= x->cap)
		return 0;
	size_t cap = x->cap ? x->cap * 2 : 64;
	while ((rows + 1) * 2 > cap)
		cap *= 2;
	uint32_t *slot = gl_calloc_array(cap, sizeof *slot);
	if (!slot)
		return -1;
	for (size_t r = 0; r < rows; r++) {
		size_t j = (size_t)(hash(ctx, r) & (cap - 1));
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = (uint32_t)r + 1;
	}
	free(x->slot);
	x->slot = slot;
	x->cap = cap;
	return 0;
}

void gl_index_free(gl_index *x)
{
	free(x->slot);
	x->slot = NULL;
	x->cap = 0;
}
