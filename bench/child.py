"""Runs inside the benchmark's target process (Debian's python3 with the shim
and objgraph importable): builds the heap, then measures graphleak.dump beside
objgraph and a pure-Python walk on the same heap. Prints one JSON object.

usage: child.py N_TRACKED SNAP_PATH WALK_PATH [--slow-peers]
"""
import gc
import json
import os
import resource
import sys
import time

import heap


def maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(fn, *args, **kw):
    t = time.perf_counter()
    r = fn(*args, **kw)
    return time.perf_counter() - t, r


def main():
    n, snap, walk_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    slow = "--slow-peers" in sys.argv
    import graphleak
    import objgraph
    import pywalk

    t_build, tracked = timed(heap.build, n)
    gc.collect()
    out = {"python": sys.version.split()[0], "tracked": len(gc.get_objects()), "build_s": t_build}
    out["objgraph_typestats_s"], _ = timed(objgraph.typestats)
    rss0 = maxrss()
    t, summary = timed(graphleak.dump, snap, fork="never")  # the walk itself: bench/pause.py has the fork
    out["dump"] = dict(summary, call_s=t)
    out["dump_rss_growth"] = maxrss() - rss0
    rss0 = maxrss()
    t, (nobj, nedges) = timed(pywalk.walk, walk_path)
    out["pywalk"] = {"s": t, "objects": nobj, "edges": nedges, "bytes": os.path.getsize(walk_path),
                     "rss_growth": maxrss() - rss0}
    os.unlink(walk_path)
    # objgraph.show_backrefs for 16 Order objects (it draws one picture),
    # writing DOT only, so no layout is counted: what runs in the target
    import random
    sample = random.Random(1).sample(list(heap.orders.values()), 16)
    t, _ = timed(objgraph.show_backrefs, sample, max_depth=5, filename=walk_path + ".dot")
    out["objgraph_show_backrefs_s"] = t
    del sample
    os.unlink(walk_path + ".dot")
    # two more snapshots with the cache grown by 2% each time, for growth
    out["growth_snaps"] = []
    for k in (2, 3):
        heap.grow(max(1000, n // 200))
        p = snap[:-5] + "-%d.snap" % k
        graphleak.dump(p)
        out["growth_snaps"].append(p)
    narrow = heap.cache["user-%07d" % 42]
    out["targets"] = {"narrow": hex(id(narrow))}
    if slow:
        t, chain = timed(objgraph.find_backref_chain, narrow, objgraph.is_proper_module)
        out["objgraph_backref_narrow_s"] = t
        out["objgraph_backref_narrow_len"] = len(chain)
        del chain
        reg = heap.Session.registry[len(heap.Session.registry) // 2]
        out["targets"]["registry"] = hex(id(reg))
        t, chain = timed(objgraph.find_backref_chain, reg, objgraph.is_proper_module)
        out["objgraph_backref_registry_s"] = t
        out["objgraph_backref_registry_len"] = len(chain)
        del chain
    print(json.dumps(out))


if __name__ == "__main__":
    main()
