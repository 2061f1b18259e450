/*
 * cycles.c - see cycles.h.
 */
#include "cycles.h"

#include <stdio.h>
#include <stdlib.h>

#include "vec.h"

static int cmp_cycle(const void *x, const void *y)
{
	const gl_cycle *a = x, *b = y;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->comp < b->comp ? -1 : a->comp > b->comp;
}

int gl_cycles_list(const gl_analysis *a, gl_cycle **out, size_t *n)
{
	const gl_snap *s = a->s;
	*out = NULL;
	*n = 0;
	uint32_t *slot = gl_alloc_array(a->n_comp ? a->n_comp : 1, sizeof *slot);
	gl_vec(gl_cycle) all = {0};
	if (!slot)
		return -1;
	for (uint32_t c = 0; c < a->n_comp; c++)
		slot[c] = GL_NONE;
	for (uint32_t v = 0; v < s->n_objects; v++) {
		if (!a->in_cycle[v])
			continue;
		uint32_t c = a->comp[v];
		if (slot[c] == GL_NONE) {
			gl_cycle x = {.comp = c, .first = v, .reachable = a->dist[v] != GL_NONE};
			if (gl_vec_push(&all, x) < 0) {
				free(slot);
				gl_vec_free(&all);
				return -1;
			}
			slot[c] = (uint32_t)(all.n - 1);
		}
		gl_cycle *x = &all.v[slot[c]];
		uint32_t f = s->flags[v];
		x->objects++;
		x->size += s->size[v];
		x->with_del += (f & GL_OF_HAS_DEL) != 0;
		x->with_finalize += (f & GL_OF_HAS_FINALIZE) && !(f & GL_OF_HAS_DEL);
		x->with_tp_del += (f & GL_OF_LEGACY_DEL) != 0;
		x->infra |= (f & (GL_OF_MODULE | GL_OF_TYPE | GL_OF_FUNCTION)) != 0;
	}
	free(slot);
	gl_sort(all.v, all.n, sizeof *all.v, cmp_cycle);
	*out = all.v;
	*n = all.n;
	return 0;
}

int gl_cycle_has_finalizers(const gl_cycle *c)
{
	return (c->with_del || c->with_tp_del) && !(c->reachable && c->infra);
}

gl_cycle_verdict gl_cycle_judge(const gl_cycle *c, int finalizers, int gc_off, int pyver)
{
	if (finalizers && (c->with_tp_del || (pyver && pyver < 304)))
		return GL_CY_UNCOLLECTABLE;
	if (c->reachable)
		return GL_CY_FIN_ALIVE;
	if (gc_off)
		return GL_CY_LEAK_GC_OFF;
	return finalizers ? GL_CY_FIN_COLLECTABLE : GL_CY_COLLECTED;
}

const char *gl_cycle_verdict_words(gl_cycle_verdict v)
{
	switch (v) {
	case GL_CY_COLLECTED:
		return "not a leak by itself: the collector's next run frees it (gc is enabled)";
	case GL_CY_LEAK_GC_OFF:
		return "a leak: gc is disabled (or automatic collection is off), so it is never freed; "
		       "re-enable it, call gc.collect(), or break the cycle";
	case GL_CY_UNCOLLECTABLE:
		return "uncollectable: objects with the legacy tp_del in a cycle (or __del__ before Python "
		       "3.4) are never freed; the collector moves them to gc.garbage";
	case GL_CY_FIN_COLLECTABLE:
		return "collectable (PEP 442, Python 3.4+): the next collection runs the finalizers, in no "
		       "defined order, then frees the cycle unless a finalizer resurrects it";
	case GL_CY_FIN_ALIVE:
		return "alive (a root reaches it); once released it is collectable (PEP 442), but its "
		       "finalizers run in no defined order and may see each other half-finalized";
	}
	return "";
}

int gl_gc_is_off(const gl_snap *s)
{
	json_t *gc = json_object_get(s->header, "gc");
	json_t *th = json_array_get(json_object_get(gc, "thresholds"), 0);
	return json_is_false(json_object_get(gc, "enabled")) || (json_is_integer(th) && json_integer_value(th) == 0);
}

int gl_py_version(const gl_snap *s, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(json_object_get(s->header, "python"), "version"));
	if (buf)
		snprintf(buf, len, "%s", v ? v : "unknown");
	int maj = 0, min = 0;
	if (v && sscanf(v, "%d.%d", &maj, &min) == 2)
		return maj * 100 + min;
	return 0;
}
