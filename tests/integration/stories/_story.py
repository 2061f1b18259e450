"""Helpers for the story scripts: dump a snapshot from inside the story (the
module under test stays __main__, with its globals alive) and record what the
test should expect, with objgraph's chains when objgraph is importable."""
import gc
import json
import os
import sys


def finish(targets=(), expect=None):
    """Dumps to $GL_SNAP and writes $GL_SNAP.json with the targets' ids and,
    where objgraph finds one, its back-reference chain to a module."""
    import graphleak
    snap = os.environ["GL_SNAP"]
    info = {"python": "%d.%d" % sys.version_info[:2], "expect": expect or {}, "targets": []}
    try:
        import objgraph
    except ImportError:
        objgraph = None
    name = obj = rec = None
    for name, obj in targets:
        rec = {"name": name, "addr": hex(id(obj)), "type": type(obj).__name__}
        if objgraph is not None:
            chain = objgraph.find_backref_chain(obj, objgraph.is_proper_module, max_depth=30)
            if chain and objgraph.is_proper_module(chain[0]):
                rec["objgraph"] = {"length": len(chain), "module": chain[0].__name__,
                                   "addrs": [hex(id(o)) for o in chain]}
            del chain
        info["targets"].append(rec)
    with open(snap + ".json", "w") as f:
        json.dump(info, f)
    # the targets must not be held by this frame's locals while dumping, or
    # their chains would run through them
    del targets, name, obj, rec
    summary = graphleak.dump(snap)
    print("dumped", summary["objects"], "objects", file=sys.stderr)
