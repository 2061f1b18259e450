/* vec.c - checked allocation helpers; see vec.h. */
#include "vec.h"

#include <string.h>

void *gl_alloc_array(size_t n, size_t size)
{
	size_t bytes;
	if (gl_mul(n, size, &bytes) < 0)
		return NULL;
	return malloc(bytes ? bytes : 1);
}

void *gl_calloc_array(size_t n, size_t size)
{
	size_t bytes;
	if (gl_mul(n, size, &bytes) < 0)
		return NULL;
	return calloc(1, bytes ? bytes : 1);
}

int gl_realloc_array(void **p, size_t n, size_t size)
{
	size_t bytes;
	if (gl_mul(n, size, &bytes) < 0)
		return -1;
	void *np = realloc(*p, bytes ? bytes : 1);
	if (!np)
		return -1;
	*p = np;
	return 0;
}

int gl_vec_grow_(void **data, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (gl_mul(ncap, 2, &ncap) < 0)
			return -1;
	}
	void *p = *data;
	if (gl_realloc_array(&p, ncap, elem) < 0)
		return -1;
	*data = p;
	*cap = ncap;
	return 0;
}
