/* arena.c - see arena.h. */
#define _GNU_SOURCE
#include "arena.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vec.h"

#define BIG_CHUNK (4u << 20) /* from here on, mmap */

void *gl_arena_array(gl_arena *a, size_t n, size_t size, int zero)
{
	size_t len;
	if (gl_mul(n, size, &len) < 0)
		return NULL;
	if (len == 0)
		len = 1;
	if (gl_vec_grow_((void **)&a->chunks, &a->cap, a->n + 1, sizeof *a->chunks) < 0)
		return NULL;
	gl_arena_chunk c = {NULL, len, 0};
#ifndef GRAPHLEAK_ARENA_MALLOC
	if (len >= BIG_CHUNK) {
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		/* no MADV_HUGEPAGE: with the kernel's usual defrag=madvise it
		 * makes the first load after memory churn stall in compaction
		 * (0.5-0.7 s instead of 0.2 s, measured); MAP_POPULATE faults
		 * the pages in one go instead of one by one */
		c.p = p; /* fresh anonymous memory is already zero */
		c.mapped = 1;
	}
#endif
	if (!c.p) {
		c.p = zero ? calloc(1, len) : malloc(len);
		if (!c.p)
			return NULL;
	}
	a->chunks[a->n++] = c;
	a->bytes += len;
	return c.p;
}

static void chunk_free(gl_arena_chunk *c)
{
	if (c->mapped)
		munmap(c->p, c->len);
	else
		free(c->p);
	c->p = NULL;
}

void gl_arena_release(gl_arena *a, void *p)
{
	for (size_t i = a->n; i-- > 0;) {
		if (a->chunks[i].p == p) {
			a->bytes -= a->chunks[i].len;
			chunk_free(&a->chunks[i]);
			a->chunks[i] = a->chunks[--a->n];
			return;
		}
	}
}

void gl_arena_free(gl_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		chunk_free(&a->chunks[i]);
	free(a->chunks);
	memset(a, 0, sizeof *a);
}
