#!/usr/bin/env python3
"""Writes hostile.jsonl: a small heap for the render tests, with text that
must not become markup or a Graphviz escape, a secret that --redact must
hide, and a 10,000-entry dict that must fold into one box.

  module app, global cache: dict of hostile keys -> app.Session objects
      (keys: <script>, quotes/braces/backslash escapes, a newline, a control
      byte, a bidi override, entities, and the secret itself); each Session
      has .token -> a str holding the secret
  module big, global registry: dict of 10,000 'k<i>' -> app.Item
  an object of a class with a hostile name, held by app.evil
  a thread '<thread & co>' whose frame has a local holding a list
  a garbage cycle of two app.Node with __del__
Refcounts are in-degrees plus the external references listed. Run it again
after editing."""
import json

TRACKED, GCTYPE, HAS_DEL, HAS_FIN = 1, 2, 4, 8
MODULE, TYPE, FRAME = 128, 256, 512
SECRET = "SECRET-hunter2-9f8e7d"
objs, order = {}, []
_next = [0x100000]


def new_addr():
    _next[0] += 0x40
    return _next[0]


def obj(typ, flags, size, length=0, preview=None, ext=0, addr=None):
    a = addr or new_addr()
    o = {"addr": hex(a), "type": typ, "flags": flags, "size": size, "length": length, "edges": [], "_ext": ext}
    if preview is not None:
        o["preview"] = preview
    objs[a] = o
    order.append(a)
    return a


def edge(src, dst, kind, payload=None, extra=0):
    objs[src]["edges"].append([hex(dst), kind, payload, extra])


def s(text):
    return obj("str", 0, 49 + len(text), len(text), text, ext=1)


def dict_(items, ext=0):
    d = obj("dict", TRACKED | GCTYPE, 232 + 40 * len(items), len(items), ext=ext)
    for k, v in items:
        edge(d, s(k), "key", extra=1)
        edge(d, v, "value")
    return d


def module(name, items):
    m = obj("module", TRACKED | GCTYPE | MODULE, 72, preview=name, ext=1)
    edge(m, dict_(items), "field", "__dict__")
    return m


HOSTILE = [
    "<script>alert(1)</script>",
    '"quoted" {braces} |pipes| \\N \\G \\n \\l back\\slash',
    "line1\nline2",
    "ctrl\x01bell\x07",
    "bidi\u202eevil",
    "&amp;x; &bogus; &#60;i&#62;",
    "]]> <!-- -->",
    SECRET,
    "hunter2identKey",
]
sessions = []
for i, key in enumerate(HOSTILE):
    se = obj("app.Session", TRACKED | GCTYPE, 56)
    edge(se, s(SECRET if i % 2 == 0 else "tok-%d" % i), "attr", "token")
    sessions.append((key, se))
cache = dict_(sessions)

items = []
for i in range(10000):
    it = obj("app.Item", TRACKED | GCTYPE, 48)
    items.append(("k%d" % i, it))
registry = dict_(items)

evil = obj('app.<b>Evil&bogus;</b>"\\N', TRACKED | GCTYPE, 40)
app = module("app", [("cache", cache), ("evil", evil)])
big = module("big", [("registry", registry)])

# a thread with a hostile name, its frame holding a list
lst = obj("list", TRACKED | GCTYPE, 88, 1)
edge(lst, s("job"), "index", 0)
frame = obj("frame", TRACKED | GCTYPE | FRAME, 120, preview="consume")
edge(frame, lst, "local", "backlog")

# cyclic garbage with __del__
n1 = obj("app.Node", TRACKED | GCTYPE | HAS_DEL | HAS_FIN, 56)
n2 = obj("app.Node", TRACKED | GCTYPE | HAS_DEL | HAS_FIN, 56)
edge(n1, n2, "attr", "parent")
edge(n2, n1, "attr", "child")

sysmod = obj("module", TRACKED | GCTYPE | MODULE, 72, preview="sys", ext=1)
mods = dict_([("sys", sysmod), ("app", app), ("big", big)], ext=1)
edge(sysmod, dict_([("modules", mods)]), "field", "__dict__")

indeg = {a: 0 for a in objs}
for o in objs.values():
    for d, *_ in o["edges"]:
        indeg[int(d, 16)] += 1
header = {"format": "graphleak-snapshot", "format_version": "1.0", "producer": "make_hostile.py",
          "python": {"version": "3.11.7", "hexversion": 51054576, "implementation": "cpython",
                     "executable": "/usr/bin/python3", "prefix": "/usr"},
          "pid": 4242, "argv": ["app.py"], "time": "2026-11-21T18:40:00Z", "rss_bytes": 50000000,
          "gc": {"enabled": True, "thresholds": [700, 10, 10], "counts": [3, 0, 0], "garbage": 0},
          "threads": [{"ident": 1, "name": "<thread & co>", "main": False,
                       "frames": [{"addr": hex(frame), "function": "consume", "qualname": "consume",
                                   "file": "app.py", "line": 9}]}]}
with open("hostile.jsonl", "w") as f:
    f.write(json.dumps({"header": header}, separators=(",", ":")) + "\n")
    for a in sorted(order):
        o = dict(objs[a])
        o["refcnt"] = indeg[a] + o.pop("_ext")
        f.write(json.dumps({k: o[k] for k in ("addr", "type", "flags", "size", "refcnt", "length")}
                           | ({"preview": o["preview"]} if "preview" in o else {}) | {"edges": o["edges"]},
                           separators=(",", ":"), ensure_ascii=False) + "\n")
    f.write(json.dumps({"footer": {"objects": len(objs)}}) + "\n")
