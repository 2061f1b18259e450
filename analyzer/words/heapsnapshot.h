/*
 * heapsnapshot.h - a snapshot as a V8 heap snapshot (.heapsnapshot), the
 * JSON that Chrome DevTools' Memory panel and memlab read.
 *
 * The graph is the one the analysis sees, so that their dominators and
 * retained sizes are graphleak's own:
 *
 *   node 0  synthetic "(graphleak roots)", the analysis's virtual root;
 *           its edges: "sys.modules" to the sys.modules dict, and the four
 *           synthetic roots below (always present, maybe without edges)
 *   node 1  synthetic "(Stack roots)": the thread frames (named by thread)
 *   node 2  synthetic "(interpreter roots)": the roots the header names
 *   node 3  synthetic "(Global handles)": objects held from outside the
 *           heap (refcount above the references seen: the anonymous roots)
 *   node 4  synthetic "(cyclic garbage)": the objects the dominator tree
 *           hangs from the virtual root because no root reaches them
 *   node 5 + k  object k of the snapshot (file order: the k-th object line
 *           of `graphleak export`), id 2k + 3
 *
 * Every reference of the snapshot is an edge, the extra VALUE edges (a 3.13
 * __dict__'s view of its owner's values) included: the dominator tree
 * follows them too. No edge is "weak" or "shortcut", which DevTools and
 * memlab leave out of their dominators. Node ids: the synthetic nodes have
 * the even ids 0, 2, 4, 6, 8, objects odd ones; id 1, which memlab takes
 * for a root, is not used. The names "(Stack roots)" and "(Global handles)"
 * are V8's for the same kinds of roots; memlab, looking for a shortest
 * retainer path, enters them only when nothing else is left (the last
 * first), which gives graphleak's order: the module globals, then the
 * thread frames, then what C code holds.
 *
 * Names: a str is a "string" node named by its value; a module "module M",
 * a class "class C", a function a "closure" named by its name, a code object
 * "code"; every other object an "object" named by its type ("dict",
 * "__main__.Response"). Dict values are "property" edges named by their key
 * (a str key's text, else as code writes it: 42, b'ab', <tuple>),
 * attributes, C fields and frame locals "property" edges named by the name,
 * indexes "element" edges, keys, set members and unnamed references
 * "internal" ("(key)", "(member)", "(ref)"). With s->redact, str and bytes
 * values (node names, dict keys) are said as holder.h says them
 * ("str(41) #a1b2c3"); names (global and attribute names, module names)
 * stay.
 *
 * Limits (those of the format: DevTools and memlab read numbers into
 * 32-bit arrays): an object's self_size above 4 GiB - 1 is written as that;
 * more than about 613 million objects are refused.
 */
#ifndef GRAPHLEAK_HEAPSNAPSHOT_H
#define GRAPHLEAK_HEAPSNAPSHOT_H

#include <stdio.h>

#include "analysis.h"
#include "error.h"

/* The node id of object k, and back (documented above). */
#define GL_HS_SYNTHETIC 5u
static inline uint64_t gl_hs_node_id(uint32_t k)
{
	return 2 * (uint64_t)k + 3;
}

/*
 * Writes a's snapshot to out as a heap snapshot, streaming (memory: a few
 * bytes per object, plus the distinct names it makes). a needs only its
 * roots (gl_analysis_run with no GL_AN_*; the reverse edges are not
 * needed). Progress on stderr (progress.h). Returns 0, or -1 with a message
 * in err (out of memory, too many objects, a write error on out_name).
 */
int gl_heapsnapshot_write(const gl_analysis *a, FILE *out, const char *out_name, gl_err *err);

#endif /* GRAPHLEAK_HEAPSNAPSHOT_H */
