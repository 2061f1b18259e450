/*
 * holders.c - every holder of a set of objects. See holders.h.
 *
 * 1. Back from the targets, breadth first, over the reverse references
 *    (search()): each reference is asked whether it is a holder
 *    (gl_holder_at, the patterns of holder.c). A holder is recorded and not
 *    passed; any other reference is passed and marked in `follow`, one bit
 *    per reference. Each object reached remembers the next object toward
 *    the nearest target (`down`), which gives every holder its path.
 * 2. For two targets or more, who keeps which (count()): every holder's
 *    object gets the holder's bit and the bits flow forward along the
 *    marked references until nothing changes; a target's bits are its
 *    holders. With more than 64 holders, the 63 that are nearest to the
 *    most targets (one breadth-first pass from all of them at once) get a
 *    bit each and the others share the last.
 * 3. The first `max` holders get their chain and their words (name()).
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "holders.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "humanfmt.h"
#include "vec.h"

enum {
	M_SEEN = 1,   /* reached by the backward search */
	M_TARGET = 2, /* one of the set */
	M_ROOT = 4,   /* sys.modules, a thread's frame, a root the header names */
	M_OWN = 8,    /* graphleak's own frame */
	M_QUEUED = 16, /* in the forward pass's queue */
	M_NAMED = 32,  /* named by a global or class attribute of the program's */
	M_REACHED = 64,/* a target some holder's bits reach (step 2) */
	M_VISIT = 128  /* visited by one pass naming a holder's path */
};

#define COVER_BUDGET 4000000u /* objects visited naming one holder's path */
#define EST_PASSES 3          /* over the objects searched, ranking holders */
#define ROUNDS 4              /* of 64 groups each, counted exactly */

typedef struct cand {
	gl_holder h;      /* no text */
	uint32_t from;    /* where the holder's reference starts (GL_NONE: a root) */
	uint32_t via;     /* that reference (GL_NONE: a root) */
	uint32_t held;    /* the object it reaches (the root itself for a root) */
	uint32_t depth;   /* references from held to the nearest target */
	uint32_t order;   /* found order */
	uint32_t group;   /* holders said alike are one */
} cand;

/* Holders said in the same words (the closures of 1,200 functions of one
 * name, the frames of a recursion) are counted and shown as one. */
typedef struct group {
	char *text;       /* gl_holder_say's words (owned) */
	uint32_t rep;     /* its first candidate by rank, depth, order */
	uint32_t ncand;
	int bit;          /* in the masks; -1 none */
	int exact;
	uint64_t count, size, only_count, only_size;
} group;

typedef struct search {
	const gl_analysis *a;
	const gl_snap *s;
	uint8_t *mark;
	uint32_t *down;   /* the next object toward the nearest target (GL_NONE at one) */
	uint32_t *dedge;  /* the reference to it */
	uint32_t *queue;
	size_t nseen;     /* after the search, queue[0..nseen) is what it reached,
	                   * nearest first (until step 2 reuses the queue) */
	uint64_t *follow; /* one bit per reference: passed by the search */
	gl_vec(cand) c;
	gl_index cix;     /* the candidates by (kind, owner, held) */
	gl_vec(group) g;
	gl_index gix;     /* the groups by text */
} search;

int gl_hold_rank(gl_hold_kind k)
{
	switch (k) {
	case GL_HOLD_MODULE: return 0;
	case GL_HOLD_CLASS: return 1;
	case GL_HOLD_LRU_CACHE: return 2;
	case GL_HOLD_DEFAULTS: return 3;
	case GL_HOLD_CLOSURE: return 4;
	case GL_HOLD_FRAME: return 5;
	case GL_HOLD_SYS_MODULES: return 6;
	case GL_HOLD_THREAD: return 7;
	case GL_HOLD_ROOT: return 8;
	case GL_HOLD_EXTERNAL: return 9;
	case GL_HOLD_NONE: break;
	}
	return 10;
}

static uint64_t key_hash(uint32_t kind, uint32_t owner, uint32_t held)
{
	return gl_mix64(gl_mix64((uint64_t)owner << 32 | held) ^ kind);
}

static uint64_t text_hash(const char *p)
{
	return gl_mix64(gl_hash_bytes(p, strlen(p)));
}

static uint64_t cand_hash(const void *ctx, size_t row)
{
	const cand *x = &((const search *)ctx)->c.v[row];
	return key_hash(x->h.kind, x->h.owner, x->held);
}

static uint64_t group_hash(const void *ctx, size_t row)
{
	return text_hash(((const search *)ctx)->g.v[row].text);
}

/* -1, 0, 1 as candidate x comes before, with or after y: the places code
 * names first, then the nearest, then the first found. */
static int cand_cmp(const search *w, uint32_t x, uint32_t y)
{
	const cand *a = &w->c.v[x], *b = &w->c.v[y];
	int ra = gl_hold_rank(a->h.kind), rb = gl_hold_rank(b->h.kind);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Puts candidate i into the group of its words. 0, or -1 (OOM). */
static int join_group(search *w, uint32_t i)
{
	gl_sb t = {0};
	gl_holder_say(w->a, &w->c.v[i].h, &t);
	if (gl_sb_failed(&t)) {
		gl_sb_free(&t);
		return -1;
	}
	const char *text = gl_sb_str(&t);
	if (gl_index_room(&w->gix, w->g.n, group_hash, w) < 0) {
		gl_sb_free(&t);
		return -1;
	}
	size_t j = gl_index_at(&w->gix, text_hash(text));
	while (w->gix.slot[j] && strcmp(w->g.v[w->gix.slot[j] - 1].text, text) != 0)
		j = gl_index_next(&w->gix, j);
	if (!w->gix.slot[j]) {
		group ng;
		memset(&ng, 0, sizeof ng);
		ng.text = strdup(text);
		ng.rep = i;
		ng.bit = -1;
		ng.exact = 1;
		if (!ng.text || gl_vec_push(&w->g, ng) < 0) {
			free(ng.text);
			gl_sb_free(&t);
			return -1;
		}
		w->gix.slot[j] = (uint32_t)w->g.n;
	}
	gl_sb_free(&t);
	group *g = &w->g.v[w->gix.slot[j] - 1];
	w->c.v[i].group = w->gix.slot[j] - 1;
	g->ncand++;
	if (cand_cmp(w, i, g->rep) < 0)
		g->rep = i;
	return 0;
}

/* References from v down to its nearest target. */
static uint32_t depth_of(const search *w, uint32_t v)
{
	uint32_t d = 0;
	while (w->down[v] != GL_NONE) {
		v = w->down[v];
		d++;
	}
	return d;
}

/* Records a holder (once per kind, owner and object held); *index gets
 * its candidate. 0, or -1 (OOM). */
static int add_cand(search *w, const gl_holder *h, uint32_t from, uint32_t via, uint32_t held, size_t *index)
{
	if (gl_index_room(&w->cix, w->c.n, cand_hash, w) < 0)
		return -1;
	size_t j = gl_index_at(&w->cix, key_hash(h->kind, h->owner, held));
	for (; w->cix.slot[j]; j = gl_index_next(&w->cix, j)) {
		const cand *x = &w->c.v[w->cix.slot[j] - 1];
		if (x->h.kind == h->kind && x->h.owner == h->owner && x->held == held) {
			if (index)
				*index = w->cix.slot[j] - 1;
			return 0;
		}
	}
	cand x;
	memset(&x, 0, sizeof x);
	x.h = *h;
	x.from = from;
	x.via = via;
	x.held = held;
	x.depth = depth_of(w, held);
	x.order = (uint32_t)w->c.n;
	x.group = GL_NONE;
	if (gl_vec_push(&w->c, x) < 0)
		return -1;
	w->cix.slot[j] = (uint32_t)w->c.n;
	if (index)
		*index = w->c.n - 1;
	return 0;
}

/* Step 1: back from the targets to their holders. */
static int search_back(search *w, const uint32_t *targets, size_t n)
{
	const gl_analysis *a = w->a;
	const gl_snap *s = w->s;
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t t = targets[i];
		if (t >= s->n_objects)
			continue;
		if (!(w->mark[t] & M_SEEN)) {
			w->mark[t] |= M_SEEN;
			w->down[t] = GL_NONE;
			w->dedge[t] = GL_NONE;
			w->queue[tail++] = t;
		}
		w->mark[t] |= M_TARGET;
	}
	/* the path a pattern sees: from, v, and a few steps on toward a target */
	uint32_t ids[5], edges[5];
	gl_path p = {ids, edges, 0};
	gl_holder h;
	while (head < tail) {
		uint32_t v = w->queue[head++];
		if (w->mark[v] & M_OWN)
			continue;
		if (w->mark[v] & M_ROOT) {
			gl_holder_of_root(a, v, &h);
			if (add_cand(w, &h, GL_NONE, GL_NONE, v, NULL) < 0)
				return -1;
			continue;
		}
		ids[1] = v;
		edges[0] = GL_NONE;
		size_t len = 2;
		for (uint32_t x = v; len < 5 && w->down[x] != GL_NONE; x = w->down[x]) {
			edges[len] = w->dedge[x];
			ids[len++] = w->down[x];
		}
		p.len = len;
		if (a->ext[v] > 0) {
			/* held from C: a holder, and whatever holds it holds v too */
			gl_holder_of_root(a, v, &h);
			if (add_cand(w, &h, GL_NONE, GL_NONE, v, NULL) < 0)
				return -1;
		}
		for (uint64_t r = s->in_off[v]; r < s->in_off[v + 1]; r++) {
			uint32_t u = s->in_src[r], e = s->in_edge[r];
			if ((w->mark[u] & M_OWN) || gl_edge_is_environment(a, u, e, v))
				continue;
			ids[0] = u;
			edges[1] = e;
			if (gl_holder_at(a, &p, 1, &h)) {
				if (add_cand(w, &h, u, e, v, NULL) < 0)
					return -1;
				continue;
			}
			w->follow[e >> 6] |= 1ull << (e & 63);
			if (!(w->mark[u] & M_SEEN)) {
				w->mark[u] |= M_SEEN;
				w->down[u] = v;
				w->dedge[u] = e;
				w->queue[tail++] = u;
			}
		}
	}
	w->nseen = tail;
	return 0;
}

static int followed(const search *w, uint64_t e)
{
	return (w->follow[e >> 6] >> (e & 63)) & 1;
}

/* insertion sort of candidate indices by cand_cmp (once per query) */
static void sort_cands(const search *w, uint32_t *ix, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cand_cmp(w, ix[j - 1], ix[j]) > 0; j--) {
			uint32_t t = ix[j];
			ix[j] = ix[j - 1];
			ix[j - 1] = t;
		}
}

/* A group index with a key to sort it by (ascending key, then index). */
typedef struct keyed {
	uint64_t key;
	uint32_t index;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
	const keyed *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Flows `mask` forward from the objects already marked along the
 * references the search passed; the ring queue holds each object at most
 * once at a time. */
static void flow(search *w, uint64_t *mask)
{
	const gl_snap *s = w->s;
	size_t cap = (size_t)s->n_objects + 1, head = 0, tail = 0, inq = 0;
	for (uint32_t v = 0; v < s->n_objects; v++) {
		if (mask[v] && !(w->mark[v] & M_QUEUED)) {
			w->mark[v] |= M_QUEUED;
			w->queue[tail] = v;
			tail = (tail + 1) % cap;
			inq++;
		}
	}
	while (inq) {
		uint32_t u = w->queue[head];
		head = (head + 1) % cap;
		inq--;
		w->mark[u] &= (uint8_t)~M_QUEUED;
		for (uint64_t e = s->out_off[u]; e < s->out_off[u + 1]; e++) {
			if (!followed(w, e))
				continue;
			uint32_t x = s->out_dst[e];
			uint64_t m = mask[x] | mask[u];
			if (m == mask[x])
				continue;
			mask[x] = m;
			if (!(w->mark[x] & M_QUEUED)) {
				w->mark[x] |= M_QUEUED;
				w->queue[tail] = x;
				tail = (tail + 1) % cap;
				inq++;
			}
		}
	}
}

/*
 * Step 2: which groups keep which targets (two targets or more): one bit
 * per group, flowing forward from the objects its holders refer to; 64
 * groups a round, at most ROUNDS rounds. With more groups than that, the
 * groups counted are chosen by two measures taken together: the targets
 * nearest to each (one forward breadth-first pass from all of them at once,
 * a lower bound that finds the holder next to the objects), and a rough
 * count of what each reaches (which finds the far holders that keep as
 * much: the thread whose arguments hold the queue). The others keep their
 * nearest targets as a lower bound (exact = 0), and "only here" ignores
 * them.
 */
static int count(search *w, uint64_t **masks_out)
{
	const gl_snap *s = w->s;
	size_t nc = w->c.n, ng = w->g.n;
	uint32_t N = s->n_objects;
	size_t counted = ng <= 64 * ROUNDS ? ng : 64 * ROUNDS;
	int multi = counted > 64; /* rounds after the first: count per target */
	uint64_t *mask = gl_calloc_array(N ? N : 1, sizeof *mask);
	/* with more than one round: the first round's masks (for naming), and
	 * per target how many groups reach it (0, 1, 2 = more) and the last */
	uint64_t *final = multi ? gl_calloc_array(N ? N : 1, sizeof *final) : NULL;
	uint8_t *nhit = multi ? gl_calloc_array(N ? N : 1, sizeof *nhit) : NULL;
	uint32_t *lastg = multi ? gl_alloc_array(N ? N : 1, sizeof *lastg) : NULL;
	uint32_t *order = gl_alloc_array(ng ? ng : 1, sizeof *order);
	uint64_t *nearn = gl_calloc_array(ng ? ng : 1, sizeof *nearn), *nearb = gl_calloc_array(ng ? ng : 1, sizeof *nearb);
	uint64_t *est = NULL;
	uint32_t *owner = NULL;
	int rc = -1;
	if (!mask || (multi && (!final || !nhit || !lastg)) || !order || !nearn || !nearb)
		goto done;
	for (size_t i = 0; i < ng; i++)
		order[i] = (uint32_t)i;
	if (ng > counted) {
		/* the nearest targets of each group: its candidates' objects, the
		 * best holders' first */
		uint32_t *co = gl_alloc_array(nc ? nc : 1, sizeof *co);
		owner = gl_alloc_array(N ? N : 1, sizeof *owner);
		est = gl_calloc_array(N ? N : 1, sizeof *est);
		if (!co || !owner || !est) {
			free(co);
			goto done;
		}
		/* a rough count of what each object reaches: in the order the
		 * search reached them (nearest first; the queue still holds it),
		 * the sum over the references passed, capped at the whole, a few
		 * passes over (shared ways count twice: good enough to choose) */
		uint64_t total = 0;
		for (size_t i = 0; i < w->nseen; i++)
			total += (w->mark[w->queue[i]] & M_TARGET) != 0;
		for (int pass = 0; pass < EST_PASSES; pass++)
			for (size_t i = 0; i < w->nseen; i++) {
				uint32_t v = w->queue[i];
				uint64_t sum = (w->mark[v] & M_TARGET) ? 1 : 0;
				for (uint64_t e = s->out_off[v]; e < s->out_off[v + 1] && sum < total; e++)
					if (followed(w, e))
						sum += est[s->out_dst[e]];
				est[v] = sum < total ? sum : total;
			}
		for (size_t i = 0; i < nc; i++)
			co[i] = (uint32_t)i;
		sort_cands(w, co, nc);
		for (uint32_t v = 0; v < N; v++)
			owner[v] = GL_NONE;
		size_t head = 0, tail = 0;
		for (size_t i = 0; i < nc; i++) {
			const cand *x = &w->c.v[co[i]];
			if (owner[x->held] == GL_NONE) {
				owner[x->held] = x->group;
				w->queue[tail++] = x->held;
			}
		}
		free(co);
		while (head < tail) {
			uint32_t u = w->queue[head++];
			for (uint64_t e = s->out_off[u]; e < s->out_off[u + 1]; e++) {
				uint32_t x = s->out_dst[e];
				if (followed(w, e) && owner[x] == GL_NONE) {
					owner[x] = owner[u];
					w->queue[tail++] = x;
				}
			}
		}
		for (uint32_t v = 0; v < N; v++)
			if ((w->mark[v] & M_TARGET) && owner[v] != GL_NONE) {
				nearn[owner[v]]++;
				nearb[owner[v]] += s->size[v];
			}
		uint64_t *gest = gl_calloc_array(ng, sizeof *gest);
		uint8_t *picked = gl_calloc_array(ng, 1);
		uint32_t *by_near = gl_alloc_array(ng, sizeof *by_near), *by_est = gl_alloc_array(ng, sizeof *by_est);
		if (!gest || !picked || !by_near || !by_est) {
			free(gest), free(picked), free(by_near), free(by_est);
			goto done;
		}
		for (size_t i = 0; i < nc; i++) {
			const cand *x = &w->c.v[i];
			if (est[x->held] > gest[x->group])
				gest[x->group] = est[x->held];
		}
		/* each list by its key, descending, ties by group index */
		const uint64_t *keys[2] = {nearn, gest};
		uint32_t *lists[2] = {by_near, by_est};
		keyed *kv = gl_alloc_array(ng, sizeof *kv);
		if (!kv) {
			free(gest), free(picked), free(by_near), free(by_est);
			goto done;
		}
		for (int k = 0; k < 2; k++) {
			for (size_t i = 0; i < ng; i++)
				kv[i] = (keyed){~keys[k][i], (uint32_t)i}; /* ascending ~key: descending key */
			gl_sort(kv, ng, sizeof *kv, cmp_keyed);
			for (size_t i = 0; i < ng; i++)
				lists[k][i] = kv[i].index;
		}
		/* groups by the object their first holder refers to: holders of one
		 * object (a thread's frames that all have the queue as a local) are
		 * chosen together, so they are counted alike */
		uint32_t *by_obj = gl_alloc_array(ng, sizeof *by_obj), *pos = gl_alloc_array(ng, sizeof *pos);
		if (!by_obj || !pos) {
			free(by_obj), free(pos), free(gest), free(picked), free(by_near), free(by_est), free(kv);
			goto done;
		}
		for (size_t i = 0; i < ng; i++)
			kv[i] = (keyed){w->c.v[w->g.v[i].rep].held, (uint32_t)i};
		gl_sort(kv, ng, sizeof *kv, cmp_keyed);
		for (size_t i = 0; i < ng; i++)
			by_obj[i] = kv[i].index;
		free(kv);
		for (size_t i = 0; i < ng; i++)
			pos[by_obj[i]] = (uint32_t)i;
		/* alternate: the nearest to the most, then the one reaching the most */
		size_t n = 0, in = 0, ie = 0;
		while (n < counted) {
			uint32_t gsel = GL_NONE;
			if (n % 2 == 0) {
				while (in < ng && picked[by_near[in]])
					in++;
				if (in < ng)
					gsel = by_near[in];
			} else {
				while (ie < ng && picked[by_est[ie]])
					ie++;
				if (ie < ng)
					gsel = by_est[ie];
			}
			if (gsel == GL_NONE)
				break;
			picked[gsel] = 1;
			order[n++] = gsel;
			/* and the holders of the same object */
			uint32_t h = w->c.v[w->g.v[gsel].rep].held;
			size_t lo = pos[gsel];
			while (lo > 0 && w->c.v[w->g.v[by_obj[lo - 1]].rep].held == h)
				lo--;
			for (size_t k = lo; k < ng && n < counted && w->c.v[w->g.v[by_obj[k]].rep].held == h; k++)
				if (!picked[by_obj[k]]) {
					picked[by_obj[k]] = 1;
					order[n++] = by_obj[k];
				}
		}
		free(by_obj), free(pos);
		size_t m = n;
		for (size_t i = 0; i < ng; i++)
			if (!picked[i])
				order[m++] = (uint32_t)i;
		free(gest), free(picked), free(by_near), free(by_est);
	}
	for (size_t i = 0; i < ng; i++) {
		group *g = &w->g.v[i];
		g->count = g->size = 0;
		g->bit = -1;
	}
	for (size_t i = counted; i < ng; i++) {
		group *g = &w->g.v[order[i]];
		g->exact = 0;
		g->count = nearn[order[i]];
		g->size = nearb[order[i]];
	}
	/* the rounds: 64 groups each */
	int32_t *gi_bit = gl_alloc_array(ng ? ng : 1, sizeof *gi_bit); /* group -> its index in the round */
	if (!gi_bit)
		goto done;
	for (size_t r0 = 0; r0 < counted; r0 += 64) {
		size_t r1 = r0 + 64 < counted ? r0 + 64 : counted;
		memset(mask, 0, (size_t)N * sizeof *mask);
		for (size_t i = 0; i < ng; i++)
			gi_bit[i] = -1;
		for (size_t k = r0; k < r1; k++)
			gi_bit[order[k]] = (int32_t)(k - r0);
		for (size_t i = 0; i < nc; i++) {
			const cand *x = &w->c.v[i];
			if (gi_bit[x->group] >= 0)
				mask[x->held] |= 1ull << gi_bit[x->group];
		}
		flow(w, mask);
		for (uint32_t v = 0; v < N; v++) {
			if (!(w->mark[v] & M_TARGET) || !mask[v])
				continue;
			int one = (mask[v] & (mask[v] - 1)) == 0;
			for (uint64_t bits = mask[v]; bits; bits &= bits - 1) {
				uint32_t gi = order[r0 + (size_t)__builtin_ctzll(bits)];
				group *g = &w->g.v[gi];
				g->count++;
				g->size += s->size[v];
				if (!multi && one) {
					g->only_count++;
					g->only_size += s->size[v];
				} else if (multi) {
					nhit[v] = nhit[v] < 2 ? nhit[v] + 1 : 2;
					lastg[v] = gi;
				}
			}
		}
		if (r0 == 0 && multi) {
			memcpy(final, mask, (size_t)N * sizeof *mask);
			for (size_t k = r0; k < r1; k++)
				w->g.v[order[k]].bit = (int)(k - r0);
		}
	}
	free(gi_bit);
	if (!multi) {
		for (size_t k = 0; k < counted; k++)
			w->g.v[order[k]].bit = (int)k;
		final = mask; /* the only round's */
		mask = NULL;
	}
	/* "only here" after several rounds: one group counted reaches it, and
	 * no group left out is nearest to it */
	for (uint32_t v = 0; multi && v < N; v++) {
		if (!(w->mark[v] & M_TARGET) || nhit[v] != 1)
			continue;
		if (owner && owner[v] != GL_NONE && !w->g.v[owner[v]].exact)
			continue;
		group *g = &w->g.v[lastg[v]];
		g->only_count++;
		g->only_size += s->size[v];
	}
	/* the targets some group reaches, for unheld() */
	for (uint32_t v = 0; v < N; v++)
		if ((w->mark[v] & M_TARGET) &&
		    ((multi ? nhit[v] != 0 : final[v] != 0) || (owner && owner[v] != GL_NONE)))
			w->mark[v] |= M_REACHED;
	*masks_out = final;
	final = NULL;
	rc = 0;
done:
	free(mask), free(final), free(nhit), free(lastg), free(order), free(nearn), free(nearb), free(est), free(owner);
	return rc;
}

/* The nearest target below object v, following `down`. */
static uint32_t nearest_target(const search *w, uint32_t v)
{
	while (w->down[v] != GL_NONE)
		v = w->down[v];
	return v;
}

/*
 * The chain of holder x: the chain to where its reference starts, the
 * object it reaches, then down to its nearest target. *at gets the chain
 * index of the object the holder names (a closure's cell contents are one
 * or two steps below the tuple).
 */
static int chain_of(const search *w, const cand *x, gl_path *p, size_t *at)
{
	gl_path head = {0};
	size_t below = 0;
	for (uint32_t v = x->held; w->down[v] != GL_NONE; v = w->down[v])
		below++;
	if (x->from != GL_NONE && gl_chain(w->a, x->from, &head) < 0)
		return -1;
	if (x->from != GL_NONE && !head.len) {
		/* its start is no root's (only through references not searched):
		 * the chain starts there */
		head.ids = gl_alloc_array(1, sizeof *head.ids);
		head.edges = gl_alloc_array(1, sizeof *head.edges);
		if (!head.ids || !head.edges) {
			gl_path_free(&head);
			return -1;
		}
		head.ids[0] = x->from;
		head.edges[0] = GL_NONE;
		head.len = 1;
	}
	size_t len = head.len + 1 + below;
	p->ids = gl_alloc_array(len, sizeof *p->ids);
	p->edges = gl_alloc_array(len, sizeof *p->edges);
	if (!p->ids || !p->edges) {
		gl_path_free(&head);
		gl_path_free(p);
		return -1;
	}
	if (head.len) {
		memcpy(p->ids, head.ids, head.len * sizeof *p->ids);
		memcpy(p->edges, head.edges, head.len * sizeof *p->edges);
	}
	size_t k = head.len;
	p->ids[k] = x->held;
	p->edges[k] = x->via;
	k++;
	for (uint32_t v = x->held; w->down[v] != GL_NONE; v = w->down[v]) {
		p->ids[k] = w->down[v];
		p->edges[k] = w->dedge[v];
		k++;
	}
	p->len = k;
	gl_path_free(&head);
	/* a pattern's own index counts from the step before its reference */
	*at = x->from == GL_NONE ? k - 1 - below : k - 1 - below + (x->h.at > 1 ? x->h.at - 1 : 0);
	if (*at >= k)
		*at = k - 1;
	return 0;
}

/*
 * The deepest object on the chain p of group g's first holder (from `at`
 * down to the target's referrer) from which every target the group keeps
 * is reached through objects carrying its bit: what the group's words name
 * for a set. `at` when there is none within the budget.
 */
static size_t named_to(search *w, const group *g, const gl_path *p, size_t at, const uint64_t *mask)
{
	const gl_snap *s = w->s;
	if (g->count <= 1 && g->exact)
		return p->len - 1;
	if (!g->exact || !mask || g->bit < 0)
		return at;
	uint64_t bit = 1ull << g->bit;
	uint64_t budget = COVER_BUDGET;
	size_t result = at;
	for (size_t i = p->len - 1; i-- > at;) {
		/* one breadth-first pass from p->ids[i], visited marked M_VISIT
		 * and cleared after (the queue lists them) */
		uint32_t start = p->ids[i];
		size_t head = 0, tail = 0;
		uint64_t found = 0;
		int out_of_budget = 0;
		w->mark[start] |= M_VISIT;
		w->queue[tail++] = start;
		while (head < tail) {
			if (!budget--) {
				out_of_budget = 1;
				break;
			}
			uint32_t u = w->queue[head++];
			if (w->mark[u] & M_TARGET)
				found++;
			for (uint64_t e = s->out_off[u]; e < s->out_off[u + 1]; e++) {
				uint32_t v = s->out_dst[e];
				if (followed(w, e) && (mask[v] & bit) && !(w->mark[v] & M_VISIT)) {
					w->mark[v] |= M_VISIT;
					w->queue[tail++] = v;
				}
			}
		}
		for (size_t k = 0; k < tail; k++)
			w->mark[w->queue[k]] &= (uint8_t)~M_VISIT;
		if (out_of_budget)
			break;
		if (found >= g->count) {
			result = i;
			break;
		}
	}
	return result;
}

/* Targets no holder of the search keeps: garbage, graphleak's own, or kept
 * through references the search does not follow (an instance's __class__
 * for a class defined in a function): those get the holder of their
 * chain, counted one target at a time. */
static int unheld(search *w, int many, gl_holds *out)
{
	const gl_analysis *a = w->a;
	const gl_snap *s = w->s;
	if (!many && w->c.n)
		return 0; /* one target, and its holders */
	for (uint32_t v = 0; v < s->n_objects; v++) {
		if (!(w->mark[v] & M_TARGET) || (w->mark[v] & M_REACHED))
			continue;
		if (a->dist[v] == GL_NONE) {
			out->unheld++;
			out->unheld_bytes += s->size[v];
			continue;
		}
		gl_path p;
		gl_holder h;
		if (gl_chain(a, v, &p) < 0)
			return -1;
		int own = 0;
		for (size_t i = 0; i < p.len && !own; i++)
			own = (w->mark[p.ids[i]] & M_OWN) != 0;
		if (own) { /* only through graphleak's own frames or functions */
			out->own_only++;
			out->own_only_bytes += s->size[v];
			gl_path_free(&p);
			continue;
		}
		/* the nearest holder on the chain (j: the step of its reference) */
		size_t j = p.len;
		while (--j >= 1)
			if (gl_holder_at(a, &p, j, &h))
				break;
		uint32_t from = GL_NONE, via = GL_NONE, held = p.ids[0];
		size_t hi = 0; /* chain index of held */
		if (j >= 1) {
			from = p.ids[j - 1];
			via = p.edges[j];
			held = p.ids[j];
			hi = j;
			h.at -= j - 1; /* counted from `from`, as the search counts it */
		} else {
			gl_holder_of_root(a, p.ids[0], &h);
		}
		/* the way down from held to v, for its chain */
		for (size_t i = p.len - 1; i-- > hi;) {
			uint32_t x = p.ids[i];
			if (w->mark[x] & M_SEEN)
				continue;
			w->mark[x] |= M_SEEN;
			w->down[x] = p.ids[i + 1];
			w->dedge[x] = p.edges[i + 1];
		}
		gl_path_free(&p);
		size_t ci, before = w->c.n;
		if (add_cand(w, &h, from, via, held, &ci) < 0)
			return -1;
		if (ci >= before && join_group(w, (uint32_t)ci) < 0)
			return -1;
		group *g = &w->g.v[w->c.v[ci].group];
		g->count++;
		g->size += s->size[v];
		g->only_count++;
		g->only_size += s->size[v];
	}
	return 0;
}

/* 1 if holder h is the interpreter's or a library's rather than the
 * program's: a global of a standard-library module, a frame of library
 * code, a root. Among holders that keep about as many objects, the
 * program's come first: the place to change is in the program. */
static int is_library(const gl_analysis *a, const gl_holder *h)
{
	const gl_snap *s = a->s;
	switch (h->kind) {
	case GL_HOLD_MODULE:
		return gl_module_is_library(a, h->owner);
	case GL_HOLD_CLASS: {
		/* its module, by the name in its __dict__['__module__'] */
		uint32_t d = gl_field_target(s, h->owner, a->sid_dict);
		for (uint64_t e = d == GL_NONE ? 0 : s->out_off[d]; d != GL_NONE && e < s->out_off[d + 1]; e++) {
			uint32_t key = gl_value_key(s, (uint32_t)e);
			size_t n;
			const unsigned char *p;
			if (key == GL_NONE || !gl_preview_eq(s, key, "__module__") ||
			    !(p = gl_snap_preview(s, s->out_dst[e], &n)))
				continue;
			char name[GL_PREVIEW_MAX + 1];
			memcpy(name, p, n);
			name[n] = '\0';
			uint32_t m = gl_module_named(a, name);
			return m == GL_NONE ? 0 : gl_module_is_library(a, m);
		}
		return 0;
	}
	case GL_HOLD_SYS_MODULES:
		return h->edge == UINT64_MAX || gl_module_is_library(a, s->out_dst[h->edge]);
	case GL_HOLD_FRAME:
	case GL_HOLD_THREAD:
		for (uint32_t i = 0; i < a->n_frames; i++)
			if (a->frames[i].id == h->owner)
				return i >= a->n_program_frames;
		return 0;
	case GL_HOLD_DEFAULTS:
	case GL_HOLD_CLOSURE:
	case GL_HOLD_LRU_CACHE: {
		uint32_t g = gl_field_target(s, h->owner, gl_snap_sid(s, "__globals__"));
		uint32_t m = g == GL_NONE ? GL_NONE : gl_dict_owner(a, g);
		return m != GL_NONE && (s->flags[m] & GL_OF_MODULE) ? gl_module_is_library(a, m) : 0;
	}
	case GL_HOLD_ROOT:
	case GL_HOLD_EXTERNAL:
	case GL_HOLD_NONE:
		break;
	}
	return 1;
}

/* Counts alike within 5% fall in one band (bands of a geometric scale, so
 * the order is a true order). */
static int count_band(uint64_t n)
{
	int b = 0;
	double x = (double)n;
	while (x >= 1.05) {
		x /= 1.05;
		b++;
	}
	return b;
}

/* Among frames alike, the program's own before the library's: the order of
 * a->frames (analysis.h), kept in `pref`. */
static uint32_t frame_pref(const gl_analysis *a, const gl_holder *h)
{
	if (h->kind != GL_HOLD_FRAME && h->kind != GL_HOLD_THREAD)
		return 0;
	for (uint32_t i = 0; i < a->n_frames; i++)
		if (a->frames[i].id == h->owner)
			return i;
	return a->n_frames;
}

/* For a set: most objects first (within 5%, alike), then the program's
 * before the library's, the tightest (of two that keep about as many, the
 * one that keeps fewer others besides: the queue before the thread whose
 * arguments hold the queue), the nearest, the places code names first. */
static int cmp_holds_many(const void *x, const void *y)
{
	const gl_hold *a = x, *b = y;
	if (a->band != b->band)
		return a->band > b->band ? -1 : 1;
	if (a->library != b->library)
		return a->library < b->library ? -1 : 1;
	if (a->count != b->count)
		return a->count < b->count ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	int ra = gl_hold_rank(a->h.kind), rb = gl_hold_rank(b->h.kind);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* A module's place in sys.modules comes first for the module itself. */
static int rank_one(const gl_hold *h)
{
	return h->h.kind == GL_HOLD_SYS_MODULES && h->depth == 0 ? -1 : gl_hold_rank(h->h.kind);
}

static int cmp_holds_one(const void *x, const void *y)
{
	const gl_hold *a = x, *b = y;
	int ra = rank_one(a), rb = rank_one(b);
	if ((ra < 0) != (rb < 0))
		return ra < rb ? -1 : 1;
	if (a->library != b->library)
		return a->library < b->library ? -1 : 1;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

void gl_holds_free(gl_holds *h)
{
	for (size_t i = 0; i < h->n; i++) {
		gl_holder_free(&h->v[i].h);
		free(h->v[i].text);
		gl_path_free(&h->v[i].chain);
	}
	free(h->v);
	memset(h, 0, sizeof *h);
}

/* Step 3: the words of the hold o (group g, its first holder x). */
static int name_hold(search *w, gl_hold *o, const group *g, const cand *x, int many, const uint64_t *mask)
{
	const gl_analysis *a = w->a;
	if (chain_of(w, x, &o->chain, &o->at) < 0)
		return -1;
	o->named_to = o->chain.len - 1;
	if (many)
		o->named_to = named_to(w, g, &o->chain, o->at, mask);
	/* an instance's __dict__ is the instance, as far as words go */
	if (o->named_to > o->at && gl_edge_kind(w->s, o->chain.edges[o->named_to]) == GL_EK_FIELD &&
	    w->s->edge_payload[o->chain.edges[o->named_to]] == a->sid_dict)
		o->named_to--;
	gl_holder_say(a, &o->h, &o->h.text);
	gl_sb t = {0};
	gl_sb_puts(&t, gl_sb_str(&o->h.text));
	/* a named holder by its full path; a root is said as itself (its
	 * chain shows the way down) */
	int root_kind = o->h.kind == GL_HOLD_THREAD || o->h.kind == GL_HOLD_EXTERNAL || o->h.kind == GL_HOLD_ROOT;
	if (o->named_to > o->at && !root_kind) {
		gl_path part = {o->chain.ids, o->chain.edges, o->named_to + 1};
		gl_path_suffix(a, &part, o->at, 10, &t);
	}
	if (g->ncand > 1) {
		char n1[GL_FMT_BUF];
		gl_sb_printf(&t, " (%s of them)", gl_fmt_count(n1, g->ncand));
	}
	int failed = gl_sb_failed(&t) || gl_sb_failed(&o->h.text);
	o->text = failed ? NULL : strdup(gl_sb_str(&t));
	gl_sb_free(&t);
	return o->text ? 0 : -1;
}

/*
 * Leaves out the library's holders whose way to the targets passes through
 * an object the program names (a global or class attribute of the
 * program's own modules): uvicorn's config, asyncio's loop and threading's
 * thread table all keep the FastAPI app that `module app, global app`
 * names; they hold the app, not the carts under it in a way of their own,
 * and listing them buries the answer. The program's own holders are all
 * kept, whatever they pass through.
 */
static void prune_library(search *w)
{
	const gl_analysis *a = w->a;
	size_t k = 0;
	uint8_t *named = w->mark; /* M_NAMED, a bit of mark */
	for (size_t i = 0; i < w->c.n; i++) {
		const cand *x = &w->c.v[i];
		if ((x->h.kind == GL_HOLD_MODULE || x->h.kind == GL_HOLD_CLASS) && !is_library(a, &x->h))
			named[x->held] |= M_NAMED;
	}
	for (size_t i = 0; i < w->c.n; i++) {
		cand *x = &w->c.v[i];
		int drop = 0;
		if (is_library(a, &x->h))
			for (uint32_t v = w->down[x->held]; v != GL_NONE && !drop; v = w->down[v])
				drop = (named[v] & M_NAMED) != 0;
		if (!drop) {
			x->order = (uint32_t)k;
			w->c.v[k++] = *x;
		}
	}
	w->c.n = k;
	/* the index by (kind, owner, held) is rebuilt at the next add */
	gl_index_free(&w->cix);
}

int gl_holds_find(const gl_analysis *a, const uint32_t *targets, size_t n, size_t max, gl_holds *out,
		  gl_err *err)
{
	const gl_snap *s = a->s;
	uint32_t N = s->n_objects;
	memset(out, 0, sizeof *out);
	if (!(a->done & GL_AN_PATHS) || !s->in_off)
		return gl_err_set(err, "internal: finding holders needs chains and reverse references");
	search w;
	memset(&w, 0, sizeof w);
	w.a = a;
	w.s = s;
	size_t nn = N ? N : 1;
	w.mark = gl_calloc_array(nn, 1);
	w.down = gl_alloc_array(nn, sizeof *w.down);
	w.dedge = gl_alloc_array(nn, sizeof *w.dedge);
	w.queue = gl_alloc_array(nn + 1, sizeof *w.queue);
	w.follow = gl_calloc_array((size_t)s->n_edges / 64 + 1, sizeof *w.follow);
	uint64_t *mask = NULL;
	int rc = -1;
	if (!w.mark || !w.down || !w.dedge || !w.queue || !w.follow)
		goto done;
	if (a->sys_modules != GL_NONE)
		w.mark[a->sys_modules] |= M_ROOT;
	for (uint32_t i = 0; i < a->n_frames; i++)
		w.mark[a->frames[i].id] |= M_ROOT;
	for (uint32_t i = 0; i < a->n_hroots; i++)
		w.mark[a->hroots[i]] |= M_ROOT;
	for (uint32_t i = 0; i < a->n_own; i++)
		w.mark[a->own[i]] |= M_OWN;
	if (a->n_own_globals)
		for (uint32_t v = 0; v < N; v++)
			if (gl_is_own_code(a, v))
				w.mark[v] |= M_OWN;
	if (search_back(&w, targets, n) < 0)
		goto done;
	prune_library(&w);
	for (size_t i = 0; i < w.c.n; i++)
		if (join_group(&w, (uint32_t)i) < 0)
			goto done;
	/* the targets, once each */
	for (size_t i = 0; i < n; i++) {
		uint32_t t = targets[i];
		if (t < N && (w.mark[t] & M_TARGET) && !(w.mark[t] & M_QUEUED)) {
			w.mark[t] |= M_QUEUED;
			out->targets++;
			out->bytes += s->size[t];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (targets[i] < N)
			w.mark[targets[i]] &= (uint8_t)~M_QUEUED;
	int many = out->targets > 1;
	if (many && w.g.n && count(&w, &mask) < 0)
		goto done;
	if (!many)
		for (size_t i = 0; i < w.g.n; i++) {
			w.g.v[i].count = w.g.v[i].only_count = out->targets;
			w.g.v[i].size = w.g.v[i].only_size = out->bytes;
		}
	if (unheld(&w, many, out) < 0)
		goto done;
	if (!many && w.g.n > 1)
		for (size_t i = 0; i < w.g.n; i++)
			w.g.v[i].only_count = w.g.v[i].only_size = 0;

	/* one hold per group, in order */
	size_t ng = w.g.n;
	out->v = gl_calloc_array(ng ? ng : 1, sizeof *out->v);
	if (!out->v)
		goto done;
	for (size_t i = 0; i < ng; i++) {
		const group *g = &w.g.v[i];
		const cand *x = &w.c.v[g->rep];
		gl_hold *o = &out->v[i];
		o->h = x->h;
		memset(&o->h.text, 0, sizeof o->h.text);
		o->group = (uint32_t)i;
		o->depth = x->depth;
		o->order = x->order;
		o->pref = frame_pref(a, &x->h);
		o->library = is_library(a, &x->h);
		o->band = count_band(g->count);
		o->count = g->count;
		o->size = g->size;
		o->only_count = g->only_count;
		o->only_size = g->only_size;
		o->exact = g->exact;
		o->places = g->ncand;
		o->example = nearest_target(&w, x->held);
	}
	out->n = ng;
	gl_sort(out->v, ng, sizeof *out->v, many ? cmp_holds_many : cmp_holds_one);
	size_t named = max == 0 || max > ng ? ng : max;
	for (size_t i = 0; i < named; i++) {
		gl_hold *o = &out->v[i];
		const group *g = &w.g.v[o->group];
		if (name_hold(&w, o, g, &w.c.v[g->rep], many, mask) < 0)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		gl_holds_free(out);
		gl_err_set(err, "out of memory finding holders");
	}
	free(w.mark), free(w.down), free(w.dedge), free(w.queue), free(w.follow);
	gl_index_free(&w.cix), gl_index_free(&w.gix), free(mask);
	for (size_t i = 0; i < w.g.n; i++)
		free(w.g.v[i].text);
	gl_vec_free(&w.g);
	gl_vec_free(&w.c);
	return rc;
}
