#!/usr/bin/env python3
"""Writes holders.jsonl: a small hand-made heap with one object behind each
kind of holder graphleak names (module global, class attribute, default
argument, frame local, gc.garbage, cyclic garbage with __del__, a C-held
object). Refcounts are in-degrees plus the external references listed, so the
roots are exactly the objects marked external. Run it again after editing."""
import json

TRACKED, GCTYPE, HAS_DEL, HAS_FIN, IN_GARBAGE = 1, 2, 4, 8, 64
MODULE, TYPE, FRAME, FUNCTION = 128, 256, 512, 1024
objs, order = {}, []


def obj(addr, typ, flags, size, length=0, preview=None, ext=0):
    o = {"addr": hex(addr), "type": typ, "flags": flags, "size": size, "length": length, "edges": [], "_ext": ext}
    if preview is not None:
        o["preview"] = preview
    objs[addr] = o
    order.append(addr)
    return addr


def edge(src, dst, kind, payload=None, extra=0):
    objs[src]["edges"].append([hex(dst), kind, payload, extra])


_next = [0x30000]


def s(text):
    _next[0] += 0x40
    return obj(_next[0], "str", 0, 49 + len(text), len(text), text, ext=1)


def dict_(addr, items, ext=0):
    obj(addr, "dict", TRACKED | GCTYPE, 232, len(items), ext=ext)
    for k, v in items:
        edge(addr, s(k), "key", extra=1)
        edge(addr, v, "value")
    return addr


def module(addr, name, dict_addr, items):
    obj(addr, "module", TRACKED | GCTYPE | MODULE, 72, preview=name, ext=1)
    dict_(dict_addr, items)
    edge(addr, dict_addr, "field", "__dict__")


def klass(addr, name, dict_addr=None, items=()):
    obj(addr, "type", TRACKED | GCTYPE | TYPE, 1072, preview=name, ext=2)
    if dict_addr:
        dict_(dict_addr, items)
        edge(addr, dict_addr, "field", "__dict__")


# classes
klass(0x11400, "Profile")
klass(0x11440, "Widget")
# two profiles in a module-level cache, each with a 2 KiB avatar
for i, a in enumerate((0x11100, 0x11140)):
    obj(a, "service.Profile", TRACKED | GCTYPE, 56)
    edge(a, 0x11400, "field", "__class__")
    edge(a, obj(0x31000 + 0x40 * i, "bytes", 0, 2081, 2048), "attr", "avatar")
dict_(0x11080, [("user-1", 0x11100), ("user-2", 0x11140)])
# a class-level registry
obj(0x11180, "service.Widget", TRACKED | GCTYPE, 48)
edge(0x11180, 0x11440, "field", "__class__")
obj(0x11280, "list", TRACKED | GCTYPE, 88, 1)
edge(0x11280, 0x11180, "index", 0)
klass(0x11200, "Registry", 0x11240, [("_instances", 0x11280)])
# a mutable default argument
obj(0x11380, "list", TRACKED | GCTYPE, 88, 1)
edge(0x11380, s("seen-1"), "index", 0)
obj(0x11340, "tuple", TRACKED | GCTYPE, 48, 1)
edge(0x11340, 0x11380, "index", 0)
obj(0x11300, "function", TRACKED | GCTYPE | FUNCTION, 160, preview="remember")
edge(0x11300, 0x11340, "field", "__defaults__")
# a closure cell (3.11 layout: the code's co_localsplusnames holds the
# local `visit`, then the free variable `log`, which names cell [0])
obj(0x11500, "service.Visit", TRACKED | GCTYPE, 48)
obj(0x11540, "list", TRACKED | GCTYPE, 88, 1)
edge(0x11540, 0x11500, "index", 0)
obj(0x11580, "cell", TRACKED | GCTYPE, 24)
edge(0x11580, 0x11540, "field", "cell_contents")
obj(0x115c0, "tuple", TRACKED | GCTYPE, 48, 1)
edge(0x115c0, 0x11580, "index", 0)
obj(0x11600, "tuple", GCTYPE, 56, 2)
edge(0x11600, s("visit"), "index", 0)
edge(0x11600, s("log"), "index", 1)
obj(0x11640, "code", 0, 200, preview="track")
edge(0x11640, 0x11600, "field", "co_localsplusnames")
obj(0x11680, "function", TRACKED | GCTYPE | FUNCTION, 160, preview="make_tracker.<locals>.track")
edge(0x11680, 0x11640, "field", "__code__")
edge(0x11680, 0x115c0, "field", "__closure__")
module(0x11000, "service", 0x11040, [("cache", 0x11080), ("Registry", 0x11200), ("remember", 0x11300),
                                      ("Profile", 0x11400), ("Widget", 0x11440), ("track", 0x11680)])
# gc.garbage holding a cycle of two connections with __del__
c1 = obj(0x12100, "service.Conn", TRACKED | GCTYPE | HAS_DEL | HAS_FIN | IN_GARBAGE, 56)
c2 = obj(0x12140, "service.Conn", TRACKED | GCTYPE | HAS_DEL | HAS_FIN | IN_GARBAGE, 56)
edge(c1, c2, "attr", "peer")
edge(c2, c1, "attr", "peer")
obj(0x12080, "list", TRACKED | GCTYPE, 88, 1)
edge(0x12080, c1, "index", 0)
module(0x12000, "gc", 0x12040, [("garbage", 0x12080)])
# cyclic garbage: two nodes with __del__ that nothing reaches
n1 = obj(0x13000, "service.Node", TRACKED | GCTYPE | HAS_DEL | HAS_FIN, 56)
n2 = obj(0x13040, "service.Node", TRACKED | GCTYPE | HAS_DEL | HAS_FIN, 56)
edge(n1, n2, "attr", "parent")
edge(n2, n1, "attr", "child")
# a thread's frame with a backlog local
obj(0x14080, "tuple", GCTYPE, 56, 2)
edge(0x14080, s("job"), "index", 0)
obj(0x14040, "list", TRACKED | GCTYPE, 88, 1)
edge(0x14040, 0x14080, "index", 0)
obj(0x14000, "frame", TRACKED | GCTYPE | FRAME, 120, preview="consume")
edge(0x14000, 0x14040, "local", "backlog")
# an object only C holds
obj(0x15000, "_io.BufferedWriter", TRACKED | GCTYPE, 184, ext=1)
edge(0x15000, obj(0x31100, "bytearray", 0, 8249, 8192), "none")
# sys and sys.modules
module(0x10000, "sys", 0x10040, [("modules", dict_(0x10080, [("sys", 0x10000), ("service", 0x11000),
                                                              ("gc", 0x12000)], ext=1))])

indeg = {a: 0 for a in objs}
for o in objs.values():
    for d, *_ in o["edges"]:
        indeg[int(d, 16)] += 1
header = {"format": "graphleak-snapshot", "format_version": "1.0", "producer": "make_holders.py",
          "python": {"version": "3.11.7", "hexversion": 51054576, "implementation": "cpython",
                     "executable": "/usr/bin/python3", "prefix": "/usr"},
          "pid": 4242, "argv": ["service.py"], "time": "2026-11-21T18:40:00Z", "rss_bytes": 50000000,
          "gc": {"enabled": False, "thresholds": [700, 10, 10], "counts": [3, 0, 0], "garbage": 1},
          "threads": [{"ident": 1, "name": "worker-1", "main": False,
                       "frames": [{"addr": "0x14000", "function": "consume", "qualname": "consume",
                                   "file": "service.py", "line": 9}]}]}
with open("holders.jsonl", "w") as f:
    f.write(json.dumps({"header": header}, separators=(",", ":")) + "\n")
    for a in sorted(order):
        o = dict(objs[a])
        o["refcnt"] = indeg[a] + o.pop("_ext")
        f.write(json.dumps({k: o[k] for k in ("addr", "type", "flags", "size", "refcnt", "length")}
                           | ({"preview": o["preview"]} if "preview" in o else {}) | {"edges": o["edges"]},
                           separators=(",", ":"), ensure_ascii=False) + "\n")
    f.write(json.dumps({"footer": {"objects": len(objs)}}) + "\n")
