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
 * A chain of references: ids[0..len), root (or holder) first; edges[i] is
 * the forward edge index into ids[i] (edges[0] is GL_NONE). Owned by
 * whoever filled it; release with gl_path_free.
 */
typedef struct gl_path {
	uint32_t *ids;
	uint32_t *edges;
	size_t len;
} gl_path;

/*
 * The shortest chain from a root to `target` (needs GL_AN_PATHS), root
 * first, target last, into *p. p->len is 0 when no root reaches target.
 * Returns 0, or -1 if memory ran out.
 */
int gl_chain(const gl_analysis *a, uint32_t target, gl_path *p);
void gl_path_free(gl_path *p);

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
	GL_HOLD_ROOT,       /* a root the interpreter keeps, named in the
	                     * snapshot's header ("interned strings") */
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
 *   ROOT           owner: the root; name: its index in a->hroots
 */
typedef struct gl_holder {
	gl_hold_kind kind;
	size_t at;       /* path index of the object held by the holder (its value:
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
int gl_holder_find(const gl_analysis *a, const gl_path *p, gl_holder *h);

/*
 * 1 if the reference p->edges[j] (from p->ids[j-1] to p->ids[j]) is itself a
 * named holder (a global, a class attribute, a thread's local, a default,
 * a closure cell, an lru_cache, sys.modules['m']), filling *h without its
 * text; the patterns may look at the steps after j. 0 if not.
 */
int gl_holder_at(const gl_analysis *a, const gl_path *p, size_t j, gl_holder *h);

/* The root `root` said as a holder: a thread's frame (not through a named
 * local: GL_HOLD_THREAD), sys.modules, a root the header names
 * (GL_HOLD_ROOT), else an object held from C (GL_HOLD_EXTERNAL). No text. */
void gl_holder_of_root(const gl_analysis *a, uint32_t root, gl_holder *h);

/* *h as "no holder yet": kind GL_HOLD_NONE, every field unset. */
void gl_holder_clear(gl_holder *h);
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

/*
 * 1 if `key`, a key of the dict `dict`, is a name rather than a value, so
 * that --redact keeps it: any str key of sys.modules (module names), or an
 * identifier str key of some object's __dict__ (a global or attribute
 * name). is_attrs says whether dict is a __dict__ (gl_dict_owner), or -1
 * to find out (that needs the reverse edges).
 */
int gl_key_is_name(const gl_analysis *a, uint32_t dict, int is_attrs, uint32_t key);

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
int gl_chain_steps(const gl_analysis *a, const gl_path *p, gl_step **steps, size_t *nsteps);
void gl_steps_free(gl_step *steps, size_t nsteps);

/* The chain to `target` as one line, folded as in gl_chain_steps:
 * "sys.modules['service'].cache['user-42']", "thread worker-1, frame
 * consume() local jobs.queue[3]"; "(no root reaches it)" for garbage.
 * Appends to out. 0 or -1 (out of memory). */
int gl_chain_line(const gl_analysis *a, uint32_t target, gl_sb *out);
/* The same for a given path (p->len > 0). */
int gl_path_line(const gl_analysis *a, const gl_path *p, gl_sb *out);

/*
 * The steps of p from index `from` to its end as code would write them,
 * appended to out with no root: ".state._state['sessions']", "[3].items",
 * " -> list" for an unnamed reference. At most max_steps steps are said
 * (0: all); longer paths say their first steps, "...", and their last.
 */
void gl_path_suffix(const gl_analysis *a, const gl_path *p, size_t from, size_t max_steps, gl_sb *out);

/* The name of thread index t from the header ("thread 3" if it has none). */
void gl_thread_name(const gl_snap *s, uint32_t t, gl_sb *b);

#endif /* GRAPHLEAK_HOLDER_H */
