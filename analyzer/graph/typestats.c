/* typestats.c - see typestats.h. */
#include "typestats.h"

#include <stdlib.h>
#include <string.h>

#include "vec.h"

static const gl_snap *sort_snap; /* qsort has no context argument in C11 */

static int cmp_rows(const void *a, const void *b)
{
	const gl_typestat *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	size_t lx, ly;
	const char *sx = gl_snap_str(sort_snap, x->type, &lx);
	const char *sy = gl_snap_str(sort_snap, y->type, &ly);
	int c = memcmp(sx, sy, lx < ly ? lx : ly);
	if (c)
		return c;
	return lx < ly ? -1 : lx > ly;
}

int gl_typestats(const gl_snap *s, unsigned flags, gl_typestat **out, uint32_t *n, gl_err *err)
{
	*out = NULL;
	*n = 0;
	gl_typestat *rows = gl_calloc_array(s->n_strings, sizeof *rows);
	if (!rows)
		return gl_err_set(err, "out of memory");
	for (uint32_t i = 0; i < s->n_objects; i++) {
		if ((flags & GL_TS_TRACKED_ONLY) && !(s->flags[i] & GL_OF_TRACKED))
			continue;
		gl_typestat *r = &rows[s->type[i]];
		r->count++;
		r->size += s->size[i];
	}
	uint32_t k = 0;
	for (uint32_t t = 0; t < s->n_strings; t++) {
		if (rows[t].count) {
			rows[k] = rows[t];
			rows[k].type = t;
			k++;
		}
	}
	sort_snap = s;
	gl_sort(rows, k, sizeof *rows, cmp_rows);
	sort_snap = NULL;
	*out = rows;
	*n = k;
	return 0;
}
