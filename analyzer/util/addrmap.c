/* addrmap.c - see addrmap.h. */
#include "addrmap.h"

#include <string.h>

#include "vec.h"

int gl_addrmap_init(gl_addrmap *m, size_t n, gl_arena *a)
{
	memset(m, 0, sizeof *m);
	unsigned bits = 4;
	while (bits < 62 && ((size_t)1 << bits) < n * 2 + 1)
		bits++;
	size_t cap = (size_t)1 << bits;
	m->slots = gl_arena_array(a, cap, sizeof *m->slots, 0);
	if (!m->slots)
		return -1;
	memset(m->slots, 0xff, cap * sizeof *m->slots); /* key UINT64_MAX: empty */
	m->mask = cap - 1;
	m->shift = 64 - bits;
	return 0;
}

int gl_addrmap_put(gl_addrmap *m, uint64_t key, uint32_t id, uint32_t *old)
{
	if (m->n >= m->mask) /* keep one empty slot so lookups end */
		return -1;
	uint64_t i = gl_addrmap_slot_of(m, key);
	for (;;) {
		gl_addrmap_slot *s = &m->slots[i];
		if (s->key == key) {
			if (old)
				*old = s->id;
			return 1;
		}
		if (s->key == UINT64_MAX) {
			s->key = key;
			s->id = id;
			m->n++;
			return 0;
		}
		i = (i + 1) & m->mask;
	}
}
