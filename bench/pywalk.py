"""The pure-Python way to snapshot a heap: walk gc.get_objects() and
gc.get_referents() and write JSON lines. What a tool without a C shim does;
the baseline graphleak's shim is compared against."""
import gc
import json
import sys


def walk(path):
    seen = set()
    n_obj = n_edges = 0
    with open(path, "w") as f:
        todo = gc.get_objects()
        while todo:
            o = todo.pop()
            i = id(o)
            if i in seen:
                continue
            seen.add(i)
            refs = gc.get_referents(o)
            for r in refs:
                if id(r) not in seen and not gc.is_tracked(r):
                    todo.append(r)
            f.write(json.dumps({"id": i, "type": type(o).__name__, "size": sys.getsizeof(o),
                                "refs": [id(r) for r in refs]}))
            f.write("\n")
            n_obj += 1
            n_edges += len(refs)
    return n_obj, n_edges
