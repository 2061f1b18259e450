/*
 * holder.h - retainer chains in words: the shortest chain from a root to an
 * object, each step said as Python code would say it, and the root holder,
 * the nearest named holder on the chain, said as a person would:
 *
 *   module service, global cache
 *   class Registry, attribute _instances
 *   thread worker-1, frame consume(), local backlog
 *   function remember, __defaults__[0]
 *   closure of track, variable log (cell [0] if the names were not recorded)
 *   lru_cache of service.load
 *   held from outside the heap: dict at 0x7f... (refcount 3, 1 reference seen)
 */
#ifndef GRAPHLEAK_HOLDER_H
#define GRAPHLEAK_HOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "strbuf.h"

/*
 * The chain from its root to `target` (needs GL_AN_PATHS): ids root first,
 * target last, in *ids (allocated here, caller frees) and its length in
 * *len. *len is 0 (and *ids NULL) when no root reaches target.
 * Returns 0, or -1 if memory ran out.
 */
int gl_chain(const gl_analysis *a, uint32_t target, uint32_t **ids, size_t *len);

typedef enum {
	GL_HOLD_NONE = 0,   /* no root reaches the object: garbage */
	GL_HOLD_MODULE,     /* a module global */
	GL_HOLD_CLASS,      /* a class attribute */
	GL_HOLD_FRAME,      /* a frame local of a thread */
	GL_HOLD_DEFAULTS,   /* a function's default argument */
	GL_HOLD_CLOSURE,    /* a closure cell */
	GL_HOLD_LRU_CACHE,  /* a functools.lru_cache */
	GL_HOLD_SYS_MODULES,/* sys.modules itself (the object is a module) */
	GL_HOLD_THREAD,     /* a thread's frame, not through a named local */
	GL_HOLD_EXTERNAL,   /* only C-level references reach it */
} gl_hold_kind;

/*
 * A root holder, as a value: what it is, and the objects and names that say
 * it. Which fields are set depends on the kind (GL_NONE / -1 / UINT64_MAX
 * otherwise):
 *   MODULE, CLASS  owner: the module or class; name: the key of its __dict__
 *   SYS_MODULES    owner: sys.modules; edge: its key (a pattern's), or none (the root)
 *   FRAME          owner: the frame; field: the local's name; thread: its thread
 *   DEFAULTS       owner: the function; field: __defaults__/__kwdefaults__; edge: the item
 *   CLOSURE        owner: the function; name: the variable (if recorded); edge: the cell
 *   LRU_CACHE      owner: the wrapper; name: the wrapped function
 *   THREAD         owner: the root frame; thread
 *   EXTERNAL       owner: the root
 */
typedef struct gl_holder {
	gl_hold_kind kind;
	size_t at;       /* chain index of the object held by the holder (its value:
	                  * the global, the attribute, the local) */
	uint32_t owner, name;
	uint32_t field;  /* a string id */
	uint64_t edge;
	int64_t thread;  /* index into the header's threads */
	gl_sb text;      /* gl_holder_say()'s words: "module service, global cache"
	                  * (owned; gl_holder_free) */
} gl_holder;

/*
 * Finds the root holder on a chain from gl_chain(): the named holder
 * nearest to the target (a table of patterns in holder.c, one per kind),
 * else the chain's root said as such. Fills *h, its text included (release
 * with gl_holder_free). Returns 0, or -1 if memory ran out.
 */
int gl_holder_find(const gl_analysis *a, const uint32_t *chain, size_t len, gl_holder *h);
void gl_holder_free(gl_holder *h);

/*
 * Says holder h in words, appended to b: the one place a holder becomes
 * text. Terminal-safe (heap text escaped as gl_sb_escaped does); redacted
 * when the snapshot is (s->redact: names stay, values become length and
 * hash). A picture escapes the result once more for Graphviz (render/label.c).
 */
void gl_holder_say(const gl_analysis *a, const gl_holder *h, gl_sb *b);

/*
 * Redaction (s->redact, `--redact`): every function here that puts heap
 * text into words shows a str or bytes value as its type, length and a
 * short hash of its preview, "str(41) #a1b2c3", instead of the value; dict
 * keys shown as ['...'] are values too. Names stay: types, modules,
 * classes, functions, frames, threads, attribute and global names (the
 * identifier keys of a module's, class's or instance's __dict__), numbers.
 * The hash tells values apart but, for a short value, can be reversed by
 * trying candidates.
 */
void gl_describe_redacted(const gl_snap *s, uint32_t id, gl_sb *b);

/* "dict, 10,002 entries" / "str 'user-42'" / "module service" / "service.Profile" */
void gl_describe_obj(const gl_snap *s, uint32_t id, gl_sb *b);

/* A dict key as code would write it: 'user-42', 42, b'ab', <tuple> */
void gl_describe_key(const gl_snap *s, uint32_t key, gl_sb *b);

/* The step an edge makes: ['user-42'], [3], .cache, .__dict__, local x,
 * (key), {member}, -> (unnamed reference) */
void gl_describe_edge(const gl_analysis *a, uint64_t e, gl_sb *b);

/* The chain's root said as a start: "sys.modules", "thread MainThread,
 * frame main()", "dict at 0x7f.. (held from outside the heap)". */
void gl_describe_root(const gl_analysis *a, uint32_t root, gl_sb *b);

/* One displayed step of a chain: the chain index of the object it reaches,
 * and how it is reached (".cache", "['user-42']", "[3]", "local backlog"). */
typedef struct gl_step {
	size_t at;
	gl_sb label;
} gl_step;

/*
 * Steps of a chain for display, with `.__dict__` + `['x']` folded into
 * `.x` for modules, classes and instances. The first step is the root
 * (label from gl_describe_root). *steps is allocated here (len entries at
 * most); release with gl_steps_free. Returns 0, or -1 if memory ran out.
 */
int gl_chain_steps(const gl_analysis *a, const uint32_t *chain, size_t len,
		   gl_step **steps, size_t *nsteps);
void gl_steps_free(gl_step *steps, size_t nsteps);

/* The chain to `target` as one line, folded as in gl_chain_steps:
 * "sys.modules['service'].cache['user-42']", "thread worker-1, frame
 * consume() local jobs.queue[3]"; "(no root reaches it)" for garbage.
 * Appends to out. 0 or -1 (out of memory). */
int gl_chain_line(const gl_analysis *a, uint32_t target, gl_sb *out);

/* The name of thread index t from the header ("thread 3" if it has none). */
void gl_thread_name(const gl_snap *s, uint32_t t, gl_sb *b);

/* Objects grouped by the holder that keeps them. */
typedef struct gl_holder_group {
	char *text;        /* the holder in words (owned) */
	gl_hold_kind kind;
	uint64_t count;    /* objects */
	uint64_t size;     /* their bytes (shallow) */
	uint32_t example;  /* the one with the shortest chain */
} gl_holder_group;

/*
 * Groups ids[0..n) by root holder (needs GL_AN_PATHS): *out (allocated
 * here; release with gl_holder_groups_free) gets *nout groups, most objects
 * first, then most bytes, then by text. 0 or -1 (out of memory).
 */
int gl_group_by_holder(const gl_analysis *a, const uint32_t *ids, size_t n,
		       gl_holder_group **out, size_t *nout);
void gl_holder_groups_free(gl_holder_group *g, size_t n);

#endif /* GRAPHLEAK_HOLDER_H */
