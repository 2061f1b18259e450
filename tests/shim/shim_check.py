"""shim_check.py - checks the graphleak shim inside a real interpreter.

    PYTHON shim_check.py MODE GRAPHLEAK_CLI WORKDIR

MODE: main (labels, flags, sizes, edges vs gc.get_referents, typestats vs a
count over gc.get_objects(), harmlessness, values=False, graphleak run),
objgraph (typestats oracle with objgraph; needs objgraph importable), deep
(1,000,000-long chains), heap (a real heap against oracles computed in
Python: every tracked object's edges, labels of a sample by introspection,
sizes, total bytes), interned (interned strings only the interpreter holds).
The shim must be importable (PYTHONPATH). Snapshots are read back through
`GRAPHLEAK_CLI export SNAP` (JSON lines, docs/snapshot-format.md).
Runs on CPython 3.8-3.13. Exit status 0 when every check passed, 1 otherwise.
"""

import atexit
import collections
import functools
import gc
import json
import os
import random
import re
import resource
import signal
import struct
import subprocess
import sys
import threading

import graphleak

import shutil
import tempfile

MODE, CLI = sys.argv[1], sys.argv[2]
# a directory of our own, so that parallel runs do not see each other's files
WORK = tempfile.mkdtemp(prefix="shim-%s-" % MODE, dir=sys.argv[3])
PY = sys.version_info[:2]
# the dump walks in a copy-on-write child unless GRAPHLEAK_FORK=never (the
# suite runs these checks once each way: scripts/test); auto forks on any
# machine with the memory to run this suite
EXPECT_MODE = "in-place" if os.environ.get("GRAPHLEAK_FORK") == "never" else "fork"
# the sanitizer build: this interpreter runs with the ASan runtime preloaded
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")
FAILS = []
NCHECK = [0]

F = dict(TRACKED=1, GCTYPE=2, HAS_DEL=4, HAS_FINALIZE=8, LEGACY_DEL=16, FINALIZED=32,
         IN_GARBAGE=64, MODULE=128, TYPE=256, FRAME=512, FUNCTION=1024, PREVIEW=2048,
         PREVIEW_TRUNC=4096, IMMORTAL=8192, SIZE_APPROX=16384, REDACTED=32768)


def check(cond, what):
    NCHECK[0] += 1
    if not cond:
        FAILS.append(what)
        sys.stderr.write("FAIL: %s\n" % what)
    return cond


def snap_path(name):
    p = os.path.join(WORK, "%s-%d.snap" % (name, os.getpid()))
    if os.path.exists(p):
        os.unlink(p)
    return p


def cli_env():
    """The environment for the CLI. In the sanitizer build this interpreter
    runs with the ASan runtime preloaded and leak detection off (CPython does
    not free everything at exit); the CLI links ASan itself, so it gets
    neither the preload nor PYTHONMALLOC, and keeps leak detection."""
    env = dict(os.environ)
    if "libasan" in env.get("LD_PRELOAD", ""):
        del env["LD_PRELOAD"]
        env.pop("PYTHONMALLOC", None)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    return env


def load(path, want=None):
    """Export through the CLI; returns (header, {addr int: record}, footer).
    With `want` (set of addresses), keeps only those records."""
    proc = subprocess.Popen([CLI, "export", path], stdout=subprocess.PIPE, env=cli_env())
    header = footer = None
    objs = {}
    wanted = None if want is None else set("0x%x" % a for a in want)
    for line in proc.stdout:
        if line.startswith(b'{"header"'):
            header = json.loads(line)["header"]
            continue
        if line.startswith(b'{"footer"'):
            footer = json.loads(line)["footer"]
            continue
        if wanted is not None:
            a = line[9:line.index(b'"', 9)].decode()
            if a not in wanted:
                continue
        o = json.loads(line)
        objs[int(o["addr"], 16)] = o
    rc = proc.wait()
    if not check(rc == 0, "graphleak export %s exited %d" % (path, rc)):
        sys.exit(1)
    return header, objs, footer


def my_typename(t):
    """The type name graphleak records, computed from Python."""
    if t.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE
        mod = t.__dict__.get("__module__")
        if isinstance(mod, str) and mod != "builtins":
            return "%s.%s" % (mod, t.__qualname__)
        return t.__qualname__
    mod = t.__module__
    return t.__name__ if mod == "builtins" else "%s.%s" % (mod, t.__name__)


def long_typename(t):
    """objgraph's long type name (objgraph._long_typename)."""
    mod = getattr(t, "__module__", None)
    return "%s.%s" % (mod, t.__name__) if mod else t.__name__


def edges_of(rec, kinds=None):
    return [e for e in rec["edges"] if kinds is None or e[1] in kinds]


def named_edge(rec, kind, payload, dst):
    return any(e[1] == kind and e[2] == payload and int(e[0], 16) == dst for e in rec["edges"])


def key_value(rec, key_id, value_id):
    """Whether rec has a KEY edge to key_id immediately followed by a VALUE edge to value_id."""
    ed = rec["edges"]
    return any(ed[i][1] == "key" and int(ed[i][0], 16) == key_id and ed[i + 1][1] == "value"
               and int(ed[i + 1][0], 16) == value_id for i in range(len(ed) - 1))


def attr_named(objs, inst, name, val):
    """inst.name is val by name: an ATTR edge, or __dict__ then its key."""
    rec = objs[id(inst)]
    if named_edge(rec, "attr", name, id(val)):
        return True
    d = getattr(inst, "__dict__", None)
    return (d is not None and named_edge(rec, "field", "__dict__", id(d))
            and key_value(objs[id(d)], id(name), id(val)))


def kv_pairs(rec):
    """The (key, value) address pairs of rec's KEY-then-VALUE edges."""
    ed = rec["edges"]
    return set((int(ed[i - 1][0], 16), int(ed[i][0], 16)) for i in range(1, len(ed))
               if ed[i][1] == "value" and ed[i - 1][1] == "key")


def fields(rec, name, kind="field"):
    """The targets of rec's edges of `kind` named `name`."""
    return [int(e[0], 16) for e in rec["edges"] if e[1] == kind and e[2] == name]


def referents_match(rec, o):
    """Whether rec's non-extra edges are gc.get_referents(o), as a multiset."""
    got = collections.Counter(int(e[0], 16) for e in rec["edges"] if e[3] == 0)
    return got == collections.Counter(id(x) for x in gc.get_referents(o))


def no_temp_files(d):
    return [f for f in os.listdir(d) if f.endswith(".part")]


# ---------------------------------------------------------------------------
# the known heap (module level, so module globals hold it)

class Rec(object):
    def __init__(self, i):
        self.ident = i
        self.name = "rec-%d" % i
        self.payload = b"\x00payload" * 4


class Plain(object):
    pass


class Slotted(object):
    __slots__ = ("a", "b")


class WithDel(object):
    def __del__(self):
        pass


class Marker(object):
    pass


cache = {}
for _i in range(50):
    cache["user-%d" % _i] = Rec(_i)
DEFAULT_OBJ = Marker()
CELL_OBJ = Marker()
LIST_OBJS = [Marker(), Marker(), Marker()]
plain = Plain()


def _sized_gen(n):
    a, b, c = n, n + 1, n + 2
    yield a + b + c


async def _sized_coro(n):
    x = [n] * 3
    return x


sized_gen = _sized_gen(1)
sized_coro = _sized_coro(2)
suspended_gen = _sized_gen(10)
next(suspended_gen)  # suspended at its yield, with locals a, b, c
atexit.register(sized_coro.close)  # never awaited, on purpose
plain.alpha = Marker()
plain_dict = Plain()
plain_dict.beta = Marker()
plain_dict.__dict__  # materialise the managed dict on 3.11+
slotted = Slotted()
slotted.a = Marker()
with_del = WithDel()
leaves = {"bytes": b"x" * 100, "str": "str-" + "\u00e9" * 10, "int": 12345678901, "float": 3.25,
          "big": 10 ** 30, "astr": "plain ascii text", "long": "L" * 200}
holder = [Marker()]
mixed = {1: "one", "two": 2.0, (3,): [3]}
fset = frozenset(["fa", "fb"])
aset = {"sa", 42}
barr = bytearray(b"abc" * 10)


# float previews are repr(): a few hard cases and random bit patterns
FLOATS = [3.25, 0.1, 1e-05, 0.0001, 1e16, 1e15, 1234500.0, 1700000123.0, -2.5, 1 / 3, 2 ** 0.5,
          5e-324, 1e-320, 2.2250738585072014e-308, 1.7976931348623157e308, 123456789.123, 0.0,
          -0.0, float("inf"), float("-inf"), float("nan"), 2.5e-8, 1e22, 1e23, 9007199254740993.0,
          9999999999999998.0, 100.0, 0.3]
_rng = random.Random(42)
FLOATS += [struct.unpack("<d", struct.pack("<Q", _rng.getrandbits(64)))[0] for _ in range(3000)]
FLOATS += [_rng.randint(1, 99999) * 10.0 ** _rng.randint(-30, 30) for _ in range(1000)]
# a dict whose keys table stays general after its only non-str key is gone:
# its traverse still reports the (str) keys
was_general = {1: "one", "k": "v"}
del was_general[1]

# OrderedDicts past the old matcher's window (2,048 entries): str keys (the
# dict part does not report them), int keys (it does), and an order that is
# not the dict's
big_odict = collections.OrderedDict(("od-%d" % _i, Marker()) for _i in range(5000))
int_odict = collections.OrderedDict((10 ** 6 + _i, Marker()) for _i in range(5000))
for _i in range(0, 5000, 7):
    big_odict.move_to_end("od-%d" % _i, last=False)


class ODictSub(collections.OrderedDict):
    pass


sub_odict = ODictSub(("sub-%d" % _i, [_i]) for _i in range(3000))
sub_odict.note = Marker()  # its __dict__

# a __dict__ asked for while the values are still in the instance (3.13:
# the dict's values are embedded in its owner)
embedded = Plain()
embedded.first = Marker()
embedded.second = "second value"
embedded_dict = embedded.__dict__


@functools.lru_cache(maxsize=64)
def lru_fn(n):
    return ["lru result", n]


@functools.lru_cache(maxsize=None)
def lru_unbounded(s):
    return [s]


for _i in range(40):
    lru_fn(_i)
lru_unbounded("u-1")


def _fail_deep(n):
    if n == 0:
        raise ValueError("inner failure")
    _fail_deep(n - 1)


try:
    try:
        _fail_deep(2)
    except ValueError as _e:
        raise KeyError("outer failure") from _e
except KeyError as _e2:
    chained_exc = _e2


class WithProperty(object):
    def _get(self):
        return 1

    def _set(self, v):
        pass

    def _del(self):
        pass

    prop = property(_get, _set, _del, "the property's doc")


pattern = re.compile(r"(?P<user>[a-z]+)@(?P<host>[a-z.]+)")
viewed = bytearray(b"viewed bytes" * 4)
view = memoryview(viewed)


def _code_holder():
    def _nested(a, b=1):
        return (a, b, "nested constant")
    return _nested


code_fn = _code_holder
SECRETS = {}  # values=False plants its secrets here


def with_default(x=DEFAULT_OBJ):
    return x


def outer():
    v = CELL_OBJ

    def inner():
        return v
    return inner


closure_fn = outer()

worker_ready = threading.Event()
worker_stop = threading.Event()


def worker():
    backlog = [Marker() for _ in range(3)]
    worker_ready.set()
    worker_stop.wait()
    return backlog


# ---------------------------------------------------------------------------

def more_label_checks(objs, header):
    """OrderedDicts of any size, a 3.13 __dict__ over inline values, lru_cache
    wrappers, exceptions and tracebacks, properties, patterns, memoryviews,
    code objects and generator locals: labelled, with what they hold."""
    for od, what in ((big_odict, "str keys, reordered"), (int_odict, "int keys"), (sub_odict, "subclass")):
        rec = objs[id(od)]
        pairs = kv_pairs(rec)
        bad = [k for k, v in od.items() if (id(k), id(v)) not in pairs]
        check(not bad, "OrderedDict (%s, %d entries): %d values not labelled by their key, e.g. %r"
              % (what, len(od), len(bad), bad[:3]))
        keys = collections.Counter(int(e[0], 16) for e in rec["edges"] if e[1] == "key")
        bad = [k for k in od if keys[id(k)] != 2]
        check(not bad, "OrderedDict (%s): %d keys without two KEY edges (its list's and the dict's), e.g. %r"
              % (what, len(bad), bad[:3]))
        check(referents_match(rec, od), "OrderedDict (%s): non-extra edges differ from gc.get_referents" % what)
        none = [e for e in rec["edges"] if e[1] == "none"]
        check(not none, "OrderedDict (%s): %d unlabelled edges" % (what, len(none)))
    check(id(sub_odict.__dict__) in fields(objs[id(sub_odict)], "__dict__"), "OrderedDict subclass: __dict__")

    # a __dict__ whose values live in the instance (3.13): sized as
    # sys.getsizeof says, with KEY then VALUE edges (extra: its traverse
    # reports nothing, the owner reports the values)
    d = embedded_dict
    drec = objs[id(d)]
    is_embedded = PY >= (3, 13) and not gc.get_referents(d)
    check(is_embedded or PY < (3, 13), "3.13: the test's __dict__ keeps its values in the instance")
    check(drec["size"] == sys.getsizeof(d), "__dict__ over inline values: size %d, sys.getsizeof %d"
          % (drec["size"], sys.getsizeof(d)))
    pairs = kv_pairs(drec)
    check(all((id(k), id(v)) in pairs for k, v in d.items()), "__dict__ over inline values: KEY then VALUE edges")
    check(all(id(k) in objs and objs[id(k)].get("preview") == k for k in d), "__dict__ keys are in the snapshot")
    check(referents_match(drec, d), "__dict__ over inline values: non-extra edges are gc.get_referents")
    if is_embedded:
        check(named_edge(objs[id(embedded)], "attr", "first", id(embedded.first)),
              "3.13: the owner keeps its ATTR edges")

    # lru_cache: the cache, the wrapped function, each result by its key
    lrec = objs[id(lru_fn)]
    pairs = kv_pairs(lrec)
    bad = [i for i in range(40) if (id(i), id(lru_fn(i))) not in pairs]
    check(not bad, "lru_cache wrapper: %d cached results not labelled by their key" % len(bad))
    check(fields(lrec, "__wrapped__") == [id(lru_fn.__wrapped__)], "lru_cache wrapper: __wrapped__")
    caches = [objs[c] for c in fields(lrec, "cache")]
    check(len(caches) == 1 and caches[0]["type"] == "dict" and caches[0]["length"] == 40, "lru_cache wrapper: cache")
    check(not [e for e in lrec["edges"] if e[1] == "none"], "lru_cache wrapper: unlabelled edges")
    check(referents_match(lrec, lru_fn), "lru_cache wrapper: non-extra edges are gc.get_referents")
    urec = objs[id(lru_unbounded)]
    ucache = [objs[c] for c in fields(urec, "cache")]
    check(ucache and (id("u-1"), id(lru_unbounded("u-1"))) in kv_pairs(ucache[0]),
          "unbounded lru_cache: the result by its key in the cache dict")

    # exceptions, tracebacks
    e = chained_exc
    erec = objs[id(e)]
    for name, val in (("__traceback__", e.__traceback__), ("__cause__", e.__cause__),
                      ("__context__", e.__context__), ("args", e.args)):
        check(id(val) in fields(erec, name), "exception %s" % name)
    tb = e.__cause__.__traceback__
    while tb is not None:
        trec = objs[id(tb)]
        check(fields(trec, "tb_frame") == [id(tb.tb_frame)], "traceback tb_frame")
        if tb.tb_next is not None:
            check(fields(trec, "tb_next") == [id(tb.tb_next)], "traceback tb_next")
        tb = tb.tb_next

    # property: its functions, doc and (3.10+) name
    p = WithProperty.__dict__["prop"]
    prec = objs[id(p)]
    for name, val in (("fget", p.fget), ("fset", p.fset), ("fdel", p.fdel), ("__doc__", p.__doc__)):
        check(fields(prec, name) == [id(val)], "property %s" % name)
    if PY >= (3, 10):
        names = [objs[x].get("preview") for x in fields(prec, "__name__")]
        check(names == ["prop"], "property __name__: %s" % names)

    # re.Pattern: its text, its groups' names (a non-GC type up to 3.9:
    # extra edges then)
    prec = objs[id(pattern)]
    check(fields(prec, "pattern") == [id(pattern.pattern)], "re.Pattern pattern")
    gi = [objs[x] for x in fields(prec, "groupindex")]
    check(len(gi) == 1 and gi[0]["type"] == "dict" and gi[0]["length"] == 2, "re.Pattern groupindex")
    ig = [objs[x] for x in fields(prec, "indexgroup")]
    check(len(ig) == 1 and ig[0]["type"] == "tuple", "re.Pattern indexgroup")
    check(all(e[3] == (0 if gc.is_tracked(pattern) or PY >= (3, 10) else 1) for e in prec["edges"]),
          "re.Pattern: extra edges exactly when it has no traverse")

    # memoryview -> its buffer -> what it views
    mb = fields(objs[id(view)], "mbuf")
    check(len(mb) == 1 and fields(objs[mb[0]], "obj") == [id(viewed)], "memoryview: mbuf, then obj")

    # code objects: what they hold, as extra FIELD edges, nested code too
    co = code_fn.__code__
    crec = objs[id(co)]
    check(crec["edges"] and all(e[3] == 1 for e in crec["edges"]), "code object edges are extra")
    nested = [c for c in co.co_consts if type(c) is type(co)]
    check(len(nested) == 1 and id(nested[0]) in objs, "a nested code object (in co_consts) is recorded")
    want = ["co_consts", "co_names", "co_filename", "co_name", "co_linetable" if PY >= (3, 10) else "co_lnotab"]
    want += ["co_code", "co_varnames"] if PY < (3, 11) else ["co_qualname", "co_exceptiontable", "co_localsplusnames",
                                                              "co_localspluskinds"]
    for c in [co] + nested:
        cr = objs.get(id(c), {"edges": [], "flags": 0, "size": 0})
        for name in want:
            if name in ("co_localsplusnames", "co_localspluskinds"):
                ok = len(fields(cr, name)) == 1
            else:
                ok = fields(cr, name) == [id(getattr(c, name))]
            check(ok, "code %s: field %s" % (c.co_name, name))
        check(cr["flags"] & F["SIZE_APPROX"] == 0 and cr["size"] == sys.getsizeof(c),
              "code %s: size %d, sys.getsizeof %d" % (c.co_name, cr["size"], sys.getsizeof(c)))
    if nested and id(nested[0]) in objs:
        names = fields(objs[id(nested[0])], "co_localsplusnames" if PY >= (3, 11) else "co_varnames")
        check(names and named_edge(objs[names[0]], "index", 1, id("b")), "code: the names of its locals")
        check(named_edge(objs[id(nested[0].co_consts)], "index", nested[0].co_consts.index("nested constant"),
                         id("nested constant")), "code: its constants")

    # generators: locals by name (3.11+: in the generator; before: its frame)
    g = objs[id(suspended_gen)]
    if PY >= (3, 11):
        for name in ("a", "b", "c"):
            check(len(fields(g, name, "local")) == 1, "suspended generator: local %s" % name)
        check(fields(g, "gi_code") and fields(g, "__qualname__"), "generator gi_code, __qualname__")
        cr = objs[id(sized_coro)]
        check(fields(cr, "n", "local") and fields(cr, "cr_code"), "coroutine: local n, cr_code")
    else:
        fr = objs[fields(g, "gi_frame")[0]]
        check(len(fields(fr, "a", "local")) == 1, "generator's frame: local a")
    check(not [x for x in g["edges"] if x[1] == "none"], "generator: unlabelled edges")


def main_checks():
    t = threading.Thread(target=worker, name="worker-1")
    t.daemon = True
    t.start()
    worker_ready.wait()

    # gc.garbage items: a cycle kept by DEBUG_SAVEALL
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    cyc = [Marker()]
    cyc.append(cyc)
    del cyc
    gc.collect()
    gc.set_debug(0)
    garbage_ids = set(id(o) for o in gc.garbage)
    check(garbage_ids, "gc.garbage is empty after a DEBUG_SAVEALL collection")

    # --- the permanent generation (gc.freeze()) is walked too. CPython 3.12
    # freezes a few hundred objects at start-up; gc.get_objects() does not
    # list frozen objects, so for the per-type checks below they are put
    # back into the collected generations with gc.unfreeze() afterwards.
    frozen_obj = [Marker()]
    gc.collect()
    gc.disable()
    gc.freeze()
    n_frozen = gc.get_freeze_count()
    n_live = len(gc.get_objects())
    pf = snap_path("frozen")
    rf = graphleak.dump(pf)
    gc.unfreeze()
    gc.enable()
    check(rf["tracked"] == n_live + n_frozen, "tracked %d == gc.get_objects() %d + frozen %d"
          % (rf["tracked"], n_live, n_frozen))
    _, fo, _ = load(pf, want={id(frozen_obj)})
    check(id(frozen_obj) in fo and fo[id(frozen_obj)]["flags"] & F["TRACKED"], "a frozen object is recorded")
    os.unlink(pf)

    # --- errors leave no file behind
    missing = os.path.join(WORK, "no-such-dir-%d" % os.getpid(), "x.snap")
    try:
        graphleak.dump(missing)
        check(False, "dump into a missing directory did not raise")
    except OSError as e:
        check("no-such-dir" in str(e), "error message names the path: %s" % e)
    existing = snap_path("existing")
    with open(existing, "w") as f:
        f.write("keep me")
    try:
        graphleak.dump(existing)
        check(False, "dump over an existing file did not raise")
    except OSError as e:
        check("exists" in str(e), "error for an existing file says so: %s" % e)
    with open(existing) as f:
        check(f.read() == "keep me", "an existing file was changed by a refused dump")
    os.unlink(existing)
    check(not no_temp_files(WORK), "temporary files left: %s" % no_temp_files(WORK))
    try:
        graphleak.dump(123)
        check(False, "dump(123) did not raise")
    except TypeError:
        pass
    r = graphleak.dump(snap_path("overwrite"))
    r2 = graphleak.dump(r["path"], overwrite=True)
    check(r2["objects"] > 0, "overwrite=True dump")
    os.unlink(r["path"])

    # --- expectations taken right before the dump
    gc.collect()
    gc.disable()
    rng = random.Random(1234)
    everything = gc.get_objects()
    me = sys._getframe()
    frames = set()
    f = me
    while f is not None:
        frames.add(id(f))
        f = f.f_back
    def empty_cell(o):
        # this function's own cells (comprehension closures) fill in later
        if type(o).__name__ != "cell":
            return False
        try:
            o.cell_contents
        except ValueError:
            return True
        return False
    candidates = [o for o in everything if id(o) not in frames and o is not everything and not empty_cell(o)]
    sample = rng.sample(candidates, min(3000, len(candidates)))
    del candidates, everything
    sample_ids = set(id(o) for o in sample)
    exp_refs = {}
    for o in sample:
        exp_refs[id(o)] = collections.Counter(id(x) for x in gc.get_referents(o))
    builtin_types = (list, dict, set, frozenset, str, bytes, bytearray, int, float, tuple)
    size_objs = [o for o in sample if type(o) in builtin_types]
    for o in sample:
        size_objs.extend(x for x in gc.get_referents(o) if type(x) in builtin_types)
    size_objs.extend(leaves.values())
    size_objs.extend([plain, slotted, cache, barr, fset, aset, mixed, "", 0, -5, 2 ** 64, 1.5, True])
    # generators and coroutines embed their frame on 3.11+ (found on a
    # uvicorn process: their size was read from a pointer)
    size_objs.extend([sized_gen, sized_coro])
    # classes (with their instances' shared keys), code objects, the
    # __dict__ of an instance that keeps its values
    size_objs.extend([Plain, WithProperty, Marker, Rec, type, int, code_fn.__code__, with_default.__code__,
                      embedded_dict])
    exp_size = dict((id(o), (type(o).__name__, sys.getsizeof(o))) for o in size_objs)
    # every exact dict (the shim decides per dict, from its keys table,
    # whether traverse reports the keys)
    exp_dicts = {}
    for o in gc.get_objects():
        if type(o) is dict and id(o) not in sample_ids:
            exp_dicts[id(o)] = collections.Counter(id(x) for x in gc.get_referents(o))
    del o
    exp_dicts.pop(id(exp_dicts), None)
    exp_rc = dict((id(o), sys.getrefcount(o)) for o in sample[:500])
    exp_holder_rc = sys.getrefcount(holder[0]) - 1

    path = snap_path("main")
    res = graphleak.dump(path)
    rc_after = dict((id(o), sys.getrefcount(o)) for o in sample[:500])
    gc.enable()

    keys = {"path", "objects", "edges", "tracked", "untracked", "bytes", "file_bytes", "pause_seconds",
            "walk_seconds", "total_seconds", "shim_peak_bytes", "mode", "fork_note"}
    if res["mode"] == "fork":
        keys |= {"child_seconds", "cow_private_bytes", "cow_own_bytes"}
    check(set(res) == keys, "summary keys: %s" % sorted(res))
    check(res["mode"] == EXPECT_MODE, "the dump walked %s (GRAPHLEAK_FORK=%s): %s" % (
        res["mode"], os.environ.get("GRAPHLEAK_FORK"), res["fork_note"]))
    check(res["path"] == path and os.path.getsize(path) == res["file_bytes"], "summary path/file_bytes")
    header, objs, footer = load(path)
    check(len(objs) == res["objects"] == footer["objects"], "object counts agree")
    check(footer["tracked"] + footer["untracked"] == footer["objects"], "footer tracked+untracked")
    check(res["bytes"] == sum(o["size"] for o in objs.values()), "footer bytes is the sum of sizes")
    check(sum(len(o["edges"]) for o in objs.values()) == res["edges"], "edge count")

    # every edge target has a record
    missing_dst = set()
    for o in objs.values():
        for e in o["edges"]:
            if int(e[0], 16) not in objs:
                missing_dst.add(e[0])
    check(not missing_dst, "edge targets without a record: %d, e.g. %s" % (len(missing_dst), sorted(missing_dst)[:3]))

    # --- edges vs gc.get_referents, on the sample
    bad = []
    for i in sample_ids:
        rec = objs.get(i)
        if rec is None:
            bad.append((hex(i), "no record"))
            continue
        got = collections.Counter(int(e[0], 16) for e in rec["edges"] if e[3] == 0)
        if got != exp_refs[i]:
            bad.append((hex(i), rec["type"], dict(exp_refs[i] - got), dict(got - exp_refs[i])))
    check(not bad, "non-extra edges differ from gc.get_referents for %d of %d sampled objects: %s"
          % (len(bad), len(sample_ids), bad[:3]))
    bad = []
    for i, exp in exp_dicts.items():
        rec = objs.get(i)
        if rec is None:
            continue  # freed in between (a temporary of this function)
        got = collections.Counter(int(e[0], 16) for e in rec["edges"] if e[3] == 0)
        if got != exp:
            bad.append((hex(i), rec["length"], dict(exp), dict(got), [(objs.get(int(e[0], 16)) or {}).get("preview") for e in rec["edges"]][:6], [r["type"] for r in objs.values() if any(int(e[0], 16) == i for e in r["edges"])][:4]))
    check(not bad, "dicts whose non-extra edges differ from gc.get_referents: %d of %d: %s"
          % (len(bad), len(exp_dicts), bad[:3]))
    wg = objs[id(was_general)]
    check(all(e[3] == 0 for e in wg["edges"]) and len(wg["edges"]) == 2,
          "a dict that had a non-str key reports its str keys: %s" % wg["edges"])
    bad = [(repr(v), objs[id(v)].get("preview")) for v in FLOATS
           if id(v) in objs and objs[id(v)].get("preview") != repr(v)]
    check(not bad and all(id(v) in objs for v in FLOATS),
          "float previews differ from repr() for %d of %d: %s" % (len(bad), len(FLOATS), bad[:5]))
    tracked_sample = [objs[i] for i in sample_ids if i in objs]
    check(all(r["flags"] & F["TRACKED"] for r in tracked_sample), "sampled gc objects are flagged TRACKED")

    # --- sizes
    bad = []
    for i, (tn, sz) in exp_size.items():
        rec = objs.get(i)
        if rec is None:
            bad.append((hex(i), tn, "no record"))
        elif rec["size"] != sz:
            bad.append((hex(i), tn, "recorded %d, sys.getsizeof %d" % (rec["size"], sz)))
    check(not bad, "sizes differ from sys.getsizeof for %d of %d objects: %s" % (len(bad), len(exp_size), bad[:5]))

    # --- untracked leaves and previews
    for k, v in leaves.items():
        rec = objs.get(id(v))
        if not check(rec is not None, "leaf %s has a record" % k):
            continue
        check(not rec["flags"] & F["TRACKED"], "leaf %s untracked" % k)
        if isinstance(v, str):
            exp = v.encode("utf-8")
            while len(exp) > 64:
                exp = exp[:-1]
                try:
                    exp.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                else:
                    if len(exp) <= 64:
                        break
            check(rec.get("preview") == exp.decode("utf-8"), "str preview %r vs %r" % (rec.get("preview"), v))
            check(rec["length"] == len(v), "str length")
            check(bool(rec["flags"] & F["PREVIEW_TRUNC"]) == (len(v.encode()) > 64), "str PREVIEW_TRUNC")
        elif isinstance(v, bytes):
            check(rec.get("preview") == v[:64].decode("latin-1"), "bytes preview")
            check(rec["length"] == len(v), "bytes length")
        elif isinstance(v, int) and v < 2 ** 63:
            check(rec.get("preview") == str(v), "int preview %r" % rec.get("preview"))
        elif isinstance(v, float):
            check(rec.get("preview") == repr(v), "float preview %r" % rec.get("preview"))
    check(key_value(objs[id(leaves)], id("bytes"), id(leaves["bytes"])), "leaves['bytes'] labelled")

    # --- labels
    crec = objs[id(cache)]
    key42 = [k for k in cache if k == "user-42"][0]
    check(key_value(crec, id(key42), id(cache["user-42"])), "cache['user-42']: KEY then VALUE")
    kedge = [e for e in crec["edges"] if e[1] == "key" and int(e[0], 16) == id(key42)]
    check(kedge and kedge[0][3] == 1, "a str-only dict's keys are extra edges")
    mrec = objs[id(mixed)]
    check(all(e[3] == 0 for e in mrec["edges"]), "a dict with non-str keys reports its keys (extra 0)")
    check(key_value(mrec, id(1), id(mixed[1])), "mixed[1] labelled")
    mod_dict = sys.modules[__name__].__dict__
    check(key_value(objs[id(mod_dict)], id("cache"), id(cache)), "module global 'cache' labelled")
    check(named_edge(objs[id(LIST_OBJS)], "index", 2, id(LIST_OBJS[2])), "list index label")

    check(attr_named(objs, plain, "alpha", plain.alpha), "plain instance attribute 'alpha'")
    if PY >= (3, 11):
        check(named_edge(objs[id(plain)], "attr", "alpha", id(plain.alpha)), "3.11+ inline value is an ATTR edge")
    check(attr_named(objs, plain_dict, "beta", plain_dict.beta), "materialised __dict__ attribute 'beta'")
    check(named_edge(objs[id(slotted)], "attr", "a", id(slotted.a)), "__slots__ attribute 'a'")
    check(named_edge(objs[id(plain)], "field", "__class__", id(Plain)), "instance __class__ field")
    frec = objs[id(with_default)]
    check(named_edge(frec, "field", "__defaults__", id(with_default.__defaults__)), "function __defaults__")
    check(named_edge(objs[id(with_default.__defaults__)], "index", 0, id(DEFAULT_OBJ)), "__defaults__[0]")
    check(named_edge(objs[id(closure_fn)], "field", "__closure__", id(closure_fn.__closure__)), "__closure__")
    cell = closure_fn.__closure__[0]
    check(named_edge(objs[id(cell)], "field", "cell_contents", id(CELL_OBJ)), "cell_contents")
    check(frec["preview"] == "with_default" and frec["flags"] & F["FUNCTION"], "function preview/flag")
    check(named_edge(objs[id(fset)], "member", None, id("fa")), "frozenset MEMBER edge")
    check(named_edge(objs[id(aset)], "member", None, id(42)), "set MEMBER edge")
    more_label_checks(objs, header)

    # --- header threads and frame locals
    threads = header["threads"]
    names = [th.get("name") for th in threads]
    check("worker-1" in names and "MainThread" in names, "thread names in header: %s" % names)
    wt = [th for th in threads if th.get("name") == "worker-1"]
    if wt:
        fr = [x for x in wt[0]["frames"] if x["function"] == "worker"]
        if check(fr, "worker frame listed: %s" % [x["function"] for x in wt[0]["frames"]]):
            check(fr[0]["file"] == os.path.abspath(__file__) or fr[0]["file"] == __file__, "frame file")
            check(wt[0]["frames"][0]["line"] > 0, "frame line")
            faddr = int(fr[0]["addr"], 16)
            frec = objs.get(faddr)
            if check(frec is not None, "worker frame has a record"):
                check(frec["flags"] & F["FRAME"] and frec.get("preview") == "worker", "frame flags/preview")
                loc = [e for e in frec["edges"] if e[1] == "local" and e[2] == "backlog"]
                check(loc and objs[int(loc[0][0], 16)]["type"] == "list", "frame local 'backlog' labelled")
    for th in threads:
        for x in th["frames"]:
            check(int(x["addr"], 16) in objs, "every header frame has a record")
    main = [th for th in threads if th.get("main")]
    check(main and main[0]["current"], "main thread is current")

    # --- flags
    wrec = objs[id(with_del)]
    check(wrec["flags"] & F["HAS_DEL"] and wrec["flags"] & F["HAS_FINALIZE"], "__del__ flags: %d" % wrec["flags"])
    check(not objs[id(plain)]["flags"] & F["HAS_DEL"], "no HAS_DEL without __del__")
    for gid in garbage_ids:
        check(objs[gid]["flags"] & F["IN_GARBAGE"], "gc.garbage item flagged IN_GARBAGE")
    check(objs[id(sys)]["flags"] & F["MODULE"] and objs[id(sys)]["preview"] == "sys", "module flag/preview")
    check(objs[id(Plain)]["flags"] & F["TYPE"] and objs[id(Plain)]["preview"] == "Plain", "type flag/preview")
    check(objs[id(Plain)]["type"] == "type" and objs[id(plain)]["type"] == "__main__.Plain", "type names")
    check(objs[id(cache)]["length"] == len(cache) and objs[id(LIST_OBJS)]["length"] == 3, "container lengths")
    check(objs[id(holder[0])]["refcnt"] == exp_holder_rc, "refcnt of holder[0]: %d, expected %d"
          % (objs[id(holder[0])]["refcnt"], exp_holder_rc))
    if PY >= (3, 12):
        check(objs[id(None)]["flags"] & F["IMMORTAL"], "None is IMMORTAL on 3.12+")
    check(all(not (o["flags"] & F["TRACKED"]) or (o["flags"] & F["GCTYPE"]) for o in objs.values()),
          "TRACKED implies GCTYPE")
    check(header["python"]["version"] == "%d.%d.%d" % sys.version_info[:3], "header python version")
    check(header["pid"] == os.getpid() and header["argv"] == sys.argv, "header pid/argv")
    check(header["gc"]["thresholds"] == list(gc.get_threshold()), "header gc thresholds")

    # --- harmless: refcounts, object counts, gc counts
    check(exp_rc == rc_after, "refcounts changed by the dump: %d objects"
          % sum(1 for k in exp_rc if exp_rc[k] != rc_after.get(k)))
    del objs, header, footer, exp_refs, sample, size_objs, exp_size, exp_dicts

    # The same statements around a dump and around id(), a C call that
    # creates nothing: the differences must be equal.
    p1 = snap_path("harm")
    graphleak.dump(p1, overwrite=True)  # warm-up (materialises frame objects on 3.11+)
    deltas = []
    for fn in (id, graphleak.dump, id, graphleak.dump):
        gc.collect()
        gc.disable()
        n0 = len(gc.get_objects())
        c0 = gc.get_count()
        if fn is id:
            fn(p1)
        else:
            fn(p1, overwrite=True)
        c1 = gc.get_count()
        n1 = len(gc.get_objects())
        gc.enable()
        deltas.append((n1 - n0, (c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2])))
    check(deltas[0] == deltas[1] == deltas[2] == deltas[3],
          "len(gc.get_objects()) / gc.get_count() deltas: id() %s, dump %s, id() %s, dump %s" % tuple(deltas))

    # values=False: values withheld, names kept. The secrets are built at run
    # time (so not interned): one that looks like an identifier, as a value,
    # a dict key and an attribute value; one interned that is not one.
    tag = os.urandom(8).hex()
    secret = "sk_live_" + tag
    check(secret.isidentifier(), "the planted secret looks like an identifier")
    SECRETS["api_token"] = secret
    SECRETS[secret + "_key"] = 1
    SECRETS["interned"] = sys.intern("token: " + tag)
    plain.credential = "pw" + tag
    r = graphleak.dump(p1, overwrite=True, values=False)
    h, o2, _ = load(p1)
    check(h["options"]["values"] is False, "header options.values false")
    a = o2[id(leaves["astr"])]
    check("preview" not in a or a["preview"] is None, "values=False: no str preview")
    check(a["flags"] & F["REDACTED"], "values=False: REDACTED flag")
    check(o2[id(sys)]["preview"] == "sys" and o2[id(with_default)]["preview"] == "with_default",
          "values=False keeps names")
    shown = [o for o in o2.values() if tag in (o.get("preview") or "")]
    check(not shown, "values=False shows a planted secret: %s" % [(o["type"], o["preview"]) for o in shown[:3]])
    for s in (secret, SECRETS["interned"], plain.credential):
        rec = o2.get(id(s))
        check(rec is not None and rec["flags"] & F["REDACTED"] and not rec.get("preview"),
              "values=False: %s... recorded without its value" % s[:8])
    k = [x for x in SECRETS if x.endswith("_key")][0]
    check(o2[id(k)]["flags"] & F["REDACTED"], "values=False: a key that is not a name is withheld")
    # names: global names (keys of the module's dict), attribute names,
    # class and function names, an identifier key
    mod_rec = o2[id(sys.modules[__name__].__dict__)]
    gnames = dict((o2[k]["preview"], k) for k, v in kv_pairs(mod_rec) if o2[k].get("preview"))
    check({"cache", "SECRETS", "plain", "with_default", "big_odict"} <= set(gnames),
          "values=False: global names kept (%d of %d keys): %s" % (len(gnames), len(kv_pairs(mod_rec)), sorted(gnames)[:8]))
    check(o2[id("api_token")].get("preview") == "api_token", "values=False: an identifier key is kept")
    for name in ("credential", "alpha"):
        key = [x for x in plain.__dict__ if x == name][0]
        check(o2.get(id(key), {}).get("preview") == name, "values=False: attribute name %r kept" % name)
    redacted_names = [o for o in o2.values() if o["type"] == "str" and o["flags"] & F["REDACTED"]
                      and o.get("preview")]
    check(not redacted_names, "values=False: REDACTED records with a preview: %d" % len(redacted_names))
    del o2, shown
    SECRETS.clear()
    del plain.credential

    # 20 dumps: RSS stays near the first dump's peak
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    first = graphleak.dump(p1, overwrite=True)
    peak1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    shim_peaks = []
    for _ in range(20):
        shim_peaks.append(graphleak.dump(p1, overwrite=True)["shim_peak_bytes"])
    peak20 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # the shim's own accounting: the same heap needs the same memory each time
    check(max(shim_peaks) <= first["shim_peak_bytes"] + (1 << 20),
          "shim_peak_bytes grew over 20 dumps: %d, then up to %d" % (first["shim_peak_bytes"], max(shim_peaks)))
    if UNDER_ASAN:
        # ASan keeps freed memory in quarantine (256 MiB by default), so the
        # process's RSS says nothing about the shim here
        sys.stderr.write("note: RSS checks skipped under ASan (quarantine)\n")
    else:
        check(peak20 - peak1 < 4 << 20, "20 dumps grew the peak RSS by %d bytes" % (peak20 - peak1))
        check(rss() < peak1 + (4 << 20), "RSS after 20 dumps above the first peak")
    os.unlink(p1)
    check(not no_temp_files(WORK), "temporary files left")

    atexit_checks()
    own_frames_checks()

    # typestats (count over gc.get_objects) vs tracked records per type
    typestats_check(lambda: count_types(), "gc.get_objects() count")
    os.unlink(path)
    worker_stop.set()
    t.join()
    gc.garbage[:] = []


def count_types():
    objs = gc.get_objects()
    try:
        stats = {}  # str -> int: CPython keeps such a dict untracked
        for o in objs:
            n = long_typename(type(o))
            stats[n] = stats.get(n, 0) + 1
        return stats
    finally:
        del objs


def typestats_check(stats_fn, what):
    """Per-type counts of gc-tracked records equal `stats_fn()` taken right
    before the dump. Objects the measurement creates: none survive into the
    dump. stats_fn's gc.get_objects() list is freed before it returns; its
    result dict maps str to int, so CPython keeps it untracked (it is not
    counted, and typestats could not have counted itself anyway); the dump
    call (METH_FASTCALL) creates no argument tuple; the frame objects the
    dump materialises on 3.11+ are not gc-tracked. The collector is disabled
    in between so no tuple or dict is untracked by a collection."""
    gc.collect()
    names = {}
    for o in gc.get_objects():
        t = type(o)
        names[my_typename(t)] = long_typename(t)
    path = snap_path("typestats")
    gc.disable()
    stats = stats_fn()
    graphleak.dump(path)
    gc.enable()
    check(not gc.is_tracked(stats), "the typestats result is untracked")
    _, objs, _ = load(path)
    got = collections.Counter()
    unknown = set()
    for o in objs.values():
        # CPython 3.12's gc.get_objects() leaves out the immortal tuples it
        # tracks from start-up (they are tracked: gc.is_tracked() says so)
        if PY == (3, 12) and o["flags"] & F["IMMORTAL"]:
            continue
        if o["flags"] & F["TRACKED"]:
            ln = names.get(o["type"])
            if ln is None:
                unknown.add(o["type"])
                ln = o["type"]
            got[ln] += 1
    exp = collections.Counter(stats)
    diff = dict((k, (exp.get(k, 0), got.get(k, 0))) for k in set(exp) | set(got) if exp.get(k, 0) != got.get(k, 0))
    check(not diff, "typestats (%s) differ from the snapshot for %d types (expected, got): %s; unknown names %s"
          % (what, len(diff), sorted(diff.items())[:8], sorted(unknown)[:5]))
    check(sum(exp.values()) == sum(got.values()), "total tracked: %d vs %d" % (sum(exp.values()), sum(got.values())))
    os.unlink(path)


ATEXIT_SCRIPTS = {
    # a program that never imports threading
    "plain": "data = [1, 2, 3]\n",
    # a daemon thread still running at exit, and a thread that has finished
    "threads": (
        "import threading\n"
        "ev = threading.Event()\n"
        "t = threading.Thread(target=ev.wait, name='worker-7', daemon=True)\n"
        "t.start()\n"
        "d = threading.Thread(target=lambda: None, name='done-1')\n"
        "d.start(); d.join()\n"
    ),
    # the main thread renamed
    "renamed": "import threading\nthreading.current_thread().name = 'main-renamed'\n",
}


def atexit_checks():
    """`graphleak run --at-exit`: the header names the threads although
    threading is partly torn down by then (or was never imported)."""
    for name, text in sorted(ATEXIT_SCRIPTS.items()):
        script = os.path.join(WORK, "atexit-%s-%d.py" % (name, os.getpid()))
        with open(script, "w") as f:
            f.write(text)
        out = snap_path("atexit-" + name)
        opts = ["--no-values"] if name == "plain" else []  # the option reaches dump()
        proc = subprocess.run([CLI, "run", "-o", out, "--at-exit"] + opts + ["--", sys.executable, script],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.unlink(script)
        if not check(proc.returncode == 0 and os.path.exists(out), "graphleak run --at-exit (%s) exited %d: %s"
                     % (name, proc.returncode, proc.stderr.decode(errors="replace")[-500:])):
            continue
        header, _, _ = load(out, want=set())
        os.unlink(out)
        check(header["options"]["values"] is (name != "plain"),
              "graphleak run %s: header options %s" % (opts, header["options"]))
        threads = header["threads"]
        main = [t for t in threads if t.get("main")]
        want_main = "main-renamed" if name == "renamed" else "MainThread"
        check(len(main) == 1 and main[0]["name"] == want_main and main[0]["current"],
              "at exit (%s): the main thread is %r, current (threads %s)"
              % (name, want_main, [(t.get("name"), t.get("main"), t.get("current")) for t in threads]))
        check(main and main[0]["native_id"] == header["pid"],
              "at exit (%s): the main thread's native id is the pid" % name)
        if name == "threads":
            names = [t.get("name") for t in threads]
            check("worker-7" in names, "at exit: the daemon thread is named: %s" % names)
            check(all(isinstance(n, str) and n for n in names), "at exit: every thread has a name: %s" % names)


# ---------------------------------------------------------------------------
# mode heap: a real heap (the standard library's asyncio, email, json,
# http.server, sqlite3, logging, re; lru_cache'd functions with results,
# exceptions with tracebacks, properties, memoryviews, pending asyncio
# Tasks and Futures; on Debian's python3 also flask and sqlalchemy) against
# oracles computed in Python.

def build_real_heap(keep):
    import asyncio
    import email.parser
    import email.policy
    import http.server  # noqa: F401 (its classes and code)
    import io
    import logging
    import sqlite3

    @functools.lru_cache(maxsize=256)
    def square(x):
        return [x] * 3

    @functools.lru_cache(maxsize=None)
    def shout(s):
        return s.upper() + "!"

    @functools.lru_cache(maxsize=64, typed=True)
    def pair(a, b=0):
        return (a, b, [a])

    for i in range(300):
        square(i)
    for i in range(100):
        shout("w%d" % i)
    for i in range(50):
        pair(i, b=i)
    keep["lru"] = (square, shout, pair)

    def fail(n, tag):
        if n == 0:
            raise ValueError("boom %s" % tag)
        fail(n - 1, tag)

    errors = []
    for i in range(20):
        try:
            try:
                fail(3, i)
            except ValueError as e:
                if i % 2:
                    raise KeyError("k%d" % i) from e
                raise KeyError("k%d" % i)
        except KeyError as e2:
            errors.append(e2)
    keep["errors"] = errors

    class Temp(object):
        def __init__(self, c):
            self._c = c

        @property
        def celsius(self):
            "degrees"
            return self._c

        @celsius.setter
        def celsius(self, v):
            self._c = v

        @celsius.deleter
        def celsius(self):
            del self._c

    keep["temps"] = [Temp(i) for i in range(10)]
    buf = bytearray(b"abcdef" * 100)
    keep["views"] = [memoryview(buf), memoryview(buf)[2:10], memoryview(b"xyz" * 50)]
    pats = [re.compile(r"(?P<user>[\w.]+)@(?P<host>[\w.]+)"), re.compile(rb"(\d+)-(\d+)"),
            re.compile(r"(?i)^gl-(?P<n>\d+)$")]
    keep["re"] = (pats, [pats[0].match("bob@example.org"), pats[1].search(b"x 12-34")])
    keep["json"] = json.loads(json.dumps({"users": [{"id": i, "name": "u%d" % i, "tags": ["a", "b"]}
                                                    for i in range(200)]}))
    keep["mail"] = email.parser.Parser(policy=email.policy.default).parsestr(
        "From: a@example.org\nTo: c@example.org\nSubject: hi\n\nbody\n")
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (a integer, b text)")
    conn.executemany("insert into t values (?, ?)", [(i, "row-%d" % i) for i in range(100)])
    keep["sql"] = (conn, conn.execute("select * from t").fetchall(), conn.cursor())
    log = logging.getLogger("graphleak.realheap")
    log.addHandler(logging.StreamHandler(io.StringIO()))
    log.warning("hello %s", "world")
    keep["log"] = log
    keep["odict"] = collections.OrderedDict(("k%d" % i, [i]) for i in range(3000))

    # asyncio: C and pure-Python Futures and Tasks, pending on futures
    loop = asyncio.new_event_loop()
    futs = [loop.create_future() for _ in range(10)]

    async def waiter(fut, n):
        pending_list = [n] * 3
        got = await fut
        return got, pending_list

    tasks = [loop.create_task(waiter(f, i)) for i, f in enumerate(futs)]
    done = loop.create_future()
    done.set_result({"ok": 1})
    failed = loop.create_future()
    failed.set_exception(RuntimeError("failed future"))
    failed.exception()  # retrieved: no warning at exit
    pyfuts = [asyncio.futures._PyFuture(loop=loop) for _ in range(5)]
    pytasks = [asyncio.tasks._PyTask(waiter(f, i), loop=loop) for i, f in enumerate(pyfuts)]
    loop.run_until_complete(asyncio.sleep(0))
    keep["asyncio"] = (loop, futs, tasks, done, failed, pyfuts, pytasks)

    if PY == (3, 11) and sys.executable.startswith("/usr/bin/"):
        # Debian's python3: the packages of a real service
        import flask
        import sqlalchemy
        from sqlalchemy.orm import Session, declarative_base
        app = flask.Flask("graphleak_realheap")

        @app.route("/u/<int:i>")
        def user(i):
            return {"i": i}

        with app.test_client() as c:
            c.get("/u/1")
        engine = sqlalchemy.create_engine("sqlite://")
        Base = declarative_base()

        class User(Base):
            __tablename__ = "users"
            id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
            name = sqlalchemy.Column(sqlalchemy.String)

        Base.metadata.create_all(engine)
        s = Session(engine)
        s.add_all([User(name="u%d" % i) for i in range(100)])
        s.commit()
        keep["flask"] = (app, engine, s, s.query(User).all())


def teardown_real_heap(keep):
    import asyncio
    loop, futs, tasks, done, failed, pyfuts, pytasks = keep["asyncio"]
    for t in tasks + pytasks:
        t.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    keep.clear()


def stream(path, fn):
    """Exports path through the CLI, calling fn(record) for each object;
    returns (header, footer)."""
    proc = subprocess.Popen([CLI, "export", path], stdout=subprocess.PIPE, env=cli_env())
    header = footer = None
    for line in proc.stdout:
        if line.startswith(b'{"header"'):
            header = json.loads(line)["header"]
        elif line.startswith(b'{"footer"'):
            footer = json.loads(line)["footer"]
        else:
            fn(json.loads(line))
    rc = proc.wait()
    if not check(rc == 0, "graphleak export %s exited %d" % (path, rc)):
        sys.exit(1)
    return header, footer


CODE_TYPE = type(stream.__code__)


def code_contents(co):
    """What code object co holds, read from Python: its stored fields (never
    an attribute computed on request, which would create an object); on
    3.11+ the names of its locals (the tuple co_localsplusnames is out of
    Python's reach, its items are not) and, as a number of bytes, the sizes
    of that tuple and of co_localspluskinds."""
    names = ["co_consts", "co_names", "co_filename", "co_name"]
    if PY < (3, 11):
        names += ["co_code", "co_varnames", "co_freevars", "co_cellvars", "co_lnotab" if PY < (3, 10) else "co_linetable"]
        return [getattr(co, n) for n in names], 0
    names += ["co_qualname", "co_linetable", "co_exceptiontable"]
    out = [getattr(co, n) for n in names]
    # after the dump only: 3.12+ caches these tuples in the code object
    locs = dict((id(x), x) for x in co.co_varnames + co.co_cellvars + co.co_freevars)
    out.extend(locs.values())
    n = len(locs)
    return out, (sys.getsizeof(()) + 8 * n + sys.getsizeof(b"") + n) if n else 0


def reach_from_gc():
    """Everything reachable from gc.get_objects() through gc.get_referents(),
    the keys of dicts and what code objects hold: {id: object}, and the
    bytes of what code objects hold out of Python's reach."""
    roots = gc.get_objects()
    seen = {}
    hidden = [0]
    stack = list(roots)
    skip = set(map(id, (roots, stack, seen, hidden, sys._getframe())))
    while stack:
        o = stack.pop()
        i = id(o)
        if i in seen or i in skip:
            continue
        seen[i] = o
        stack.extend(gc.get_referents(o))
        if isinstance(o, dict):
            stack.extend(dict.keys(o))
        elif type(o) is CODE_TYPE:
            c, n = code_contents(o)
            stack.extend(c)
            hidden[0] += n
    return seen, hidden[0]


def own_sizeof(t):
    """The __sizeof__ that t's instances use (from its MRO's dicts)."""
    for k in t.__mro__:
        d = k.__dict__.get("__sizeof__")
        if d is not None:
            return d
    return None


# the __sizeof__ methods the shim computes (any other makes SIZE_APPROX)
KNOWN_SIZEOF = set(id(own_sizeof(t)) for t in (object, list, tuple, dict, set, frozenset, str, bytes, bytearray, int,
                                               float, type, CODE_TYPE, type(sys._getframe())))


def label_ok(o, kind, name, t, prev, live):
    """Whether the edge (kind, name) from o to t says what o holds, by
    introspection (traverse order only where it is the documented order of
    C fields); None when it cannot be told. live: {id: object} of the heap,
    also the checks' scratch (keyed by tuples and strings)."""
    if kind == "index":
        for base in (list, tuple, collections.deque):
            if isinstance(o, base):
                return name < len(o) and base.__getitem__(o, name) is t
        return None
    if kind in ("key", "value"):
        if isinstance(o, dict):
            keys = live.setdefault(("keys", id(o)), dict((id(k), v) for k, v in dict.items(o)))
            if kind == "key":
                return id(t) in keys
            return prev is not None and keys.get(id(prev), keys) is t
        if type(o).__name__ == "_lru_cache_wrapper":
            r = gc.get_referents(o)
            if kind == "key":
                return any(x is t for x in r)
            return any(r[i] is prev and r[i + 1] is t for i in range(len(r) - 1))
        return None
    if kind == "member":
        it = set.__iter__(o) if isinstance(o, set) else frozenset.__iter__(o) if isinstance(o, frozenset) else None
        return None if it is None else any(x is t for x in it)
    if kind == "local":
        f = o
        if type(o).__name__ in ("generator", "coroutine", "async_generator"):
            f = getattr(o, {"generator": "gi_frame", "coroutine": "cr_frame"}.get(type(o).__name__, "ag_frame"))
        if f is None or name not in f.f_locals:
            return None
        v = f.f_locals[name]
        return v is t or (type(t).__name__ == "cell" and t.cell_contents is v)
    if kind == "attr":
        for k in type(o).__mro__:
            d = k.__dict__.get(name)
            if type(d).__name__ == "member_descriptor":
                return d.__get__(o) is t
        return vars(o).get(name) is t
    # field
    special = FIELD_CHECKS.get(name)
    if special is not None:
        return special(o, t, live)
    if name == "__dict__" and isinstance(o, type):
        dd = o.__dict__
        return isinstance(t, dict) and len(t) == len(dd) and all(dd[k] is v for k, v in t.items())
    if name == "__doc__" and isinstance(o, type):
        return o.__dict__.get("__doc__") is t
    try:
        return getattr(o, name) is t
    except Exception:
        return None


def _prop_name(o, t, live):
    if PY >= (3, 13):
        return o.__name__ is t
    names = live.get("prop names")
    if names is None:
        names = live["prop names"] = collections.defaultdict(set)
        for x in list(live.values()):
            if isinstance(x, type):
                for k, v in x.__dict__.items():
                    if isinstance(v, property):
                        names[id(v)].add(k)
    return t in names.get(id(o), ())


def _callbacks(o):
    return getattr(o, "_callbacks", None) or []


FIELD_CHECKS = {
    "__class__": lambda o, t, live: type(o) is t,
    "__name__": lambda o, t, live: _prop_name(o, t, live) if isinstance(o, property) else getattr(o, "__name__", None) is t,
    "__slots__": lambda o, t, live: isinstance(t, tuple) and all(isinstance(x, str) for x in t),
    "__wrapped__": lambda o, t, live: getattr(o, "__wrapped__", None) is t,
    "f_func": lambda o, t, live: getattr(t, "__code__", None) is getattr(o, "f_code", None) or any(
        getattr(t, "__code__", None) is getattr(o, p + "_code", 0) for p in ("gi", "cr", "ag")),
    "f_locals": lambda o, t, live: getattr(o, "f_locals", None) is t or (PY >= (3, 13) and isinstance(t, dict)),
    "co_localsplusnames": lambda o, t, live: isinstance(t, tuple) and set(map(id, t)) == set(
        map(id, o.co_varnames + o.co_cellvars + o.co_freevars)),
    "co_localspluskinds": lambda o, t, live: isinstance(t, bytes) and len(t) == len(
        set(map(id, o.co_varnames + o.co_cellvars + o.co_freevars))),
    "md_state": lambda o, t, live: None,
    "mbuf": lambda o, t, live: type(t).__name__ == "managedbuffer" and gc.get_referents(o) == [t],
    "obj": lambda o, t, live: any(getattr(m, "obj", None) is t for m in gc.get_referrers(o)
                                  if isinstance(m, memoryview)),
    "groupindex": lambda o, t, live: isinstance(t, dict) and t == dict(o.groupindex),
    "indexgroup": lambda o, t, live: isinstance(t, tuple) and all(
        t[v] == k for k, v in o.groupindex.items()),
    "cache": lambda o, t, live: type(t) is dict and len(t) == o.cache_info().currsize,
    "kwd_mark": lambda o, t, live: type(t) is object,
    "lru_list_elem_type": lambda o, t, live: isinstance(t, type) and t.__name__ == "_lru_list_elem",
    "cache_info_type": lambda o, t, live: t is functools._CacheInfo,
    "_callback0": lambda o, t, live: bool(_callbacks(o)) and _callbacks(o)[0][0] is t,
    "_context0": lambda o, t, live: bool(_callbacks(o)) and _callbacks(o)[0][1] is t,
    "_callbacks": lambda o, t, live: isinstance(t, list) and all(any(x is y for y in _callbacks(o)) for x in t),
    "_exception_tb": lambda o, t, live: o.exception() is not None and o.exception().__traceback__ is t,
    "_cancelled_exc": lambda o, t, live: isinstance(t, BaseException),
    "_cancelled_exc_type": lambda o, t, live: isinstance(t, type),
    "_cancelled_exc_tb": lambda o, t, live: type(t).__name__ == "traceback",
    "_name": lambda o, t, live: t is o.get_name() or (isinstance(t, int) and o.get_name() == "Task-%d" % t),
    "_context": lambda o, t, live: t is o.get_context() if hasattr(o, "get_context") else type(t).__name__ == "Context",
    "future": lambda o, t, live: type(t).__name__ == "Future",
    "ctx_vars": lambda o, t, live: type(t).__name__ == "hamt",
    "ctx_prev": lambda o, t, live: type(t).__name__ == "Context",
    "attr": lambda o, t, live: isinstance(t, tuple) and all(
        (x if isinstance(x, str) else ".".join(x)) in repr(o) for x in t),
    "mm_class": lambda o, t, live: isinstance(t, type) and isinstance(o.__self__, t),
    "_abc_registry": lambda o, t, live: _abc_part(o, t, live, 0),
    "_abc_cache": lambda o, t, live: _abc_part(o, t, live, 1),
    "_abc_negative_cache": lambda o, t, live: _abc_part(o, t, live, 2),
    "__notes__": lambda o, t, live: isinstance(t, list),
    # 3.10+ keeps a function's annotations as the compiler made them (a
    # tuple of names and values) until they are asked for
    "__annotations__": lambda o, t, live: o.__annotations__ is t or (
        isinstance(t, tuple) and len(t) == 2 * len(o.__annotations__)
        and all(o.__annotations__.get(t[i]) is t[i + 1] for i in range(0, len(t), 2))),
}


def _abc_part(o, t, live, i):
    import _abc
    owners = live.get("abc owners")
    if owners is None:
        owners = live["abc owners"] = dict((id(x.__dict__.get("_abc_impl")), x) for x in list(live.values())
                                          if isinstance(x, type) and "_abc_impl" in x.__dict__)
    cls = owners.get(id(o))
    return None if cls is None else set(map(id, t)) == set(map(id, _abc._get_dump(cls)[i]))


# the types whose labels this snapshot format names from C fields or by
# position: every labelled edge of theirs is verified, not a sample
FOCUS_TYPES = {"_asyncio.Future", "_asyncio.Task", "_asyncio.FutureIter", "functools._lru_cache_wrapper", "property",
               "re.Pattern", "memoryview", "managedbuffer", "traceback", "generator", "coroutine", "code",
               "collections.OrderedDict", "_abc._abc_data", "_abc_data", "_contextvars.Context", "Context", "KeyError",
               "ValueError", "RuntimeError", "builtin_method", "operator.attrgetter", "module", "frame"}


def heap_checks():
    keep = {}
    build_real_heap(keep)
    gc.collect()
    if hasattr(gc, "unfreeze"):
        gc.unfreeze()  # 3.12 freezes objects at start-up: gc.get_objects() must see them
    gc.disable()
    me = set()
    f = sys._getframe()
    while f is not None:
        me.add(id(f))
        f = f.f_back

    # --- edges vs gc.get_referents, for every gc-tracked object. The
    # expectations are taken right before the dump, kept small and untracked
    # (an int per object: a hash of its referents); this function's frames
    # change and are left out.
    objs = gc.get_objects()
    exp = {}
    for o in objs:
        if id(o) not in me:
            exp[id(o)] = hash(tuple(sorted(map(id, gc.get_referents(o)))))
    del o
    path = snap_path("heap-refs")
    graphleak.dump(path)
    bad = []
    counts = [0, 0]

    def refs_of(rec):
        if not rec["flags"] & F["TRACKED"]:
            return
        counts[1] += 1
        e = exp.get(int(rec["addr"], 16))
        if e is None:
            return
        counts[0] += 1
        ids = sorted(int(x[0], 16) for x in rec["edges"] if x[3] == 0)
        if hash(tuple(ids)) != e:
            bad.append((int(rec["addr"], 16), rec["type"], ids))
    stream(path, refs_of)
    os.unlink(path)
    byid = dict((id(o), o) for o in objs) if bad else {}
    detail = []
    for a, tn, ids in bad[:3]:
        o = byid.get(a)
        want = collections.Counter(map(id, gc.get_referents(o))) if o is not None else collections.Counter()
        got = collections.Counter(ids)
        name = lambda x: type(byid[x]).__name__ if x in byid else hex(x)  # noqa: E731
        detail.append((hex(a), tn, "missing %s" % [name(x) for x in (want - got)][:5],
                       "more %s" % [name(x) for x in (got - want)][:5]))
    check(not bad, "heap: non-extra edges differ from gc.get_referents for %d of %d tracked objects: %s"
          % (len(bad), counts[0], detail))
    check(counts[0] >= 0.99 * counts[1], "heap: %d of %d tracked records compared" % tuple(counts))
    del objs, exp, byid, bad

    # --- the dump the rest is about, then the oracle from Python
    path = snap_path("heap")
    res = graphleak.dump(path)
    live, hidden = reach_from_gc()
    oracle = sum(sys.getsizeof(o) for o in live.values()) + hidden

    rng = random.Random(2000)
    sample = []
    nlab = [0]
    st = collections.Counter()
    none_by = collections.Counter()
    size_bad = []
    approx_bad = []
    approx_types = collections.Counter()
    recorded_live = [0, 0]
    code_bytes = [0, 0]
    interned = []
    seen_addr = set()
    size_diff = collections.Counter()
    focus = []
    snap_only = collections.Counter()

    def each(rec):
        a = int(rec["addr"], 16)
        o = live.get(a)
        if o is not None and rec["type"] != my_typename(type(o)):
            o = None  # not the object recorded (its address was reused)
        st["edges"] += len(rec["edges"])
        if rec["type"] == "code":
            code_bytes[0] += 1
            code_bytes[1] += rec["size"]
        prev = None
        for e in rec["edges"]:
            if e[1] == "none":
                st["none"] += 1
                none_by[rec["type"]] += 1
            elif o is not None:
                nlab[0] += 1
                item = (a, e[1], e[2], int(e[0], 16), prev)
                if rec["type"] in FOCUS_TYPES:
                    focus.append(item)
                if len(sample) < 2000:
                    sample.append(item)
                else:
                    j = rng.randrange(nlab[0])
                    if j < 2000:
                        sample[j] = item
            prev = int(e[0], 16) if e[1] == "key" else None
        seen_addr.add(a)
        if o is None:
            snap_only[rec["type"]] += rec["size"]
            return
        recorded_live[0] += rec["size"]
        recorded_live[1] += 1
        if rec["flags"] & F["FRAME"] and a in me:
            return  # this function's frames: running
        if rec["flags"] & F["SIZE_APPROX"]:
            approx_types[rec["type"]] += 1
            if id(own_sizeof(type(o))) in KNOWN_SIZEOF:
                approx_bad.append(rec["type"])
        if rec["size"] != sys.getsizeof(o):
            size_diff[rec["type"]] += rec["size"] - sys.getsizeof(o)
        if rec["flags"] & F["SIZE_APPROX"]:
            pass
        elif rec["size"] != sys.getsizeof(o) and not (type(o) is CODE_TYPE and o.co_filename == __file__):
            size_bad.append((rec["type"], rec["size"], sys.getsizeof(o)))

    header, footer = stream(path, each)
    os.unlink(path)
    for r in header.get("roots", []):
        interned.append(r)

    # sizes
    check(not size_bad, "heap: %d sizes differ from sys.getsizeof (not SIZE_APPROX): %s"
          % (len(size_bad), collections.Counter(t for t, _, _ in size_bad).most_common(5)))
    check(not approx_bad, "heap: SIZE_APPROX for types whose __sizeof__ the shim computes: %s"
          % collections.Counter(approx_bad).most_common(5))
    # labels, by introspection: a random sample, and every label of the
    # focus types
    verified = wrong = 0
    unknown = collections.Counter()
    wrong_ex = []
    fok = fwrong = 0
    fwrong_ex = collections.Counter()
    fby = collections.Counter()
    for a, kind, name, t, prev in focus:
        o, tobj = live.get(a), live.get(t)
        if tobj is None or (kind == "local" and a in me):
            continue
        try:
            ok = label_ok(o, kind, name, tobj, live.get(prev) if prev else None, live)
        except Exception:
            ok = None
        if ok:
            fok += 1
            fby[type(o).__name__] += 1
        elif ok is not None:
            fwrong += 1
            fwrong_ex[(type(o).__name__, kind, name, type(tobj).__name__)] += 1
    check(not fwrong, "heap: %d labels of the focus types are wrong: %s" % (fwrong, fwrong_ex.most_common(8)))
    check(fok >= 0.8 * len(focus), "heap: only %d of %d labels of the focus types verified" % (fok, len(focus)))
    for a, kind, name, t, prev in sample:
        o, tobj = live.get(a), live.get(t)
        if tobj is None or (kind == "local" and a in me):
            unknown[kind] += 1
            continue
        try:
            ok = label_ok(o, kind, name, tobj, live.get(prev) if prev else None, live)
        except Exception as ex:  # an attribute that fails to compute
            ok = None
            unknown["error %s" % type(ex).__name__] += 1
        if ok is None:
            unknown[kind if kind != "field" else name] += 1
        elif ok:
            verified += 1
        else:
            wrong += 1
            wrong_ex.append((type(o).__name__, kind, name, type(tobj).__name__))
    check(not wrong, "heap: %d of %d sampled labels are wrong: %s" % (wrong, len(sample), wrong_ex[:6]))
    check(verified >= 0.9 * len(sample), "heap: only %d of %d sampled labels could be verified (%s)"
          % (verified, len(sample), unknown.most_common(6)))
    # bytes: within 5% of the oracle
    total = footer["bytes"]
    if abs(total - oracle) > 0.05 * oracle or os.environ.get("GL_HEAP_DETAIL"):
        only = collections.Counter()
        for a, o in live.items():
            if isinstance(a, int) and a not in seen_addr:
                only[type(o).__name__] += sys.getsizeof(o)
        sys.stderr.write("heap: bytes the oracle has and the snapshot not, by type: %s\n" % only.most_common(12))
        sys.stderr.write("heap: bytes the snapshot has and the oracle not, by type: %s\n" % snap_only.most_common(12))
        sys.stderr.write("heap: out of Python's reach (code objects' locals tables): %d bytes; sizes: %s\n"
                         % (hidden, size_diff.most_common(8)))
    check(abs(total - oracle) <= 0.05 * oracle, "heap: recorded %d bytes, the getsizeof oracle %d (%.1f%%)"
          % (total, oracle, 100.0 * (total - oracle) / oracle))
    share = float(st["none"]) / max(1, st["edges"])
    check(share < 0.005, "heap: %.2f%% of edges unlabelled: %s" % (100 * share, none_by.most_common(6)))
    sys.stderr.write("heap: %d objects, %d edges, %d unlabelled (%.3f%%: %s); recorded %d bytes, oracle %d (%+.2f%%), "
                     "%d of them in objects the oracle reaches; code objects: %d, %d bytes; SIZE_APPROX: %s; "
                     "labels verified %d of %d (not verifiable: %s), of the focus types %d of %d (%s); roots %s\n"
                     % (footer["objects"], st["edges"], st["none"], 100 * share, none_by.most_common(4), total,
                        oracle, 100.0 * (total - oracle) / oracle, recorded_live[0], code_bytes[0], code_bytes[1],
                        approx_types.most_common(6), verified, len(sample), unknown.most_common(8),
                        fok, len(focus), fby.most_common(12), interned))
    del live
    gc.enable()
    teardown_real_heap(keep)


# ---------------------------------------------------------------------------
# mode interned: strings that only the interpreter's table of interned
# strings holds

INTERNED_KEEP = []


def interned_checks():
    tag = os.urandom(6).hex()
    prefix = "gl-interned-%s-" % tag
    n = 50000
    strs = [sys.intern(prefix + "%06d-" % i + "x" * 300) for i in range(n)]
    nbytes = sum(sys.getsizeof(s) for s in strs)
    # where the interpreter keeps sys.intern()'d strings alive (they are
    # immortal): 3.12 only (3.8-3.11 and 3.13 intern them mortal)
    kept_by_table = sys.getrefcount(strs[0]) > 1 << 28
    check(kept_by_table == (PY == (3, 12)), "sys.intern() makes immortal strings on 3.12 only")
    # one also held by a global; one interned by the C API (immortal on
    # 3.12; not on 3.13.0 either, whatever its changelog says)
    INTERNED_KEEP.append(strs[0])
    import ctypes
    intern_c = ctypes.pythonapi.PyUnicode_InternFromString
    intern_c.restype = ctypes.py_object
    intern_c.argtypes = [ctypes.c_char_p]
    capi = intern_c((prefix + "capi").encode())
    capi_id, capi_kept = id(capi), sys.getrefcount(capi) > 1 << 28
    del strs, capi
    gc.collect()
    path = snap_path("interned")
    graphleak.dump(path)
    header, objs, _ = load(path)
    os.unlink(path)
    roots = header.get("roots")
    check(isinstance(roots, list), "header roots is a list: %r" % roots)
    roots = [r for r in roots or [] if r.get("name") == "interned strings"]
    ours = dict((a, o) for a, o in objs.items() if o["type"] == "str" and o.get("preview") != prefix
                and (o.get("preview") or "").startswith(prefix))
    # the interpreter keeps interned strings alive (the immortal ones) from
    # 3.12; before, its table is not a root
    if not check(len(roots) == (1 if PY >= (3, 12) else 0), "roots: %r" % header.get("roots")):
        return
    held = set()
    if roots:
        raddr = int(roots[0]["addr"], 16)
        rrec = objs.get(raddr)
        if not check(rrec is not None and rrec["type"] == "dict", "the interned root is a dict in the snapshot"):
            return
        held = set(int(e[0], 16) for e in rrec["edges"] if e[1] == "value")
        check(held and all(objs[a]["flags"] & F["IMMORTAL"] for a in held),
              "the interned root holds only immortal strings (and some)")
        sys.stderr.write("interned: the root holds %d strings, %d bytes; %d of ours (%d bytes when made)\n"
                         % (len(held), sum(objs[a]["size"] for a in held), len(ours), nbytes))
    check((id(INTERNED_KEEP[0]) in held) == kept_by_table,
          "the root holds a sys.intern()'d string exactly where the table keeps it alive")
    check((capi_id in held) == capi_kept, "the root holds a string interned by the C API iff it is immortal")
    if kept_by_table:
        check(len(ours) == n + capi_kept and all(a in held for a in ours),
              "%d of %d interned strings in the snapshot, %d held by the root"
              % (len(ours), n + capi_kept, sum(1 for a in ours if a in held)))
    else:
        want = {id(INTERNED_KEEP[0])} | ({capi_id} if capi_kept else set())
        check(set(ours) == want, "interned strings nothing holds are gone (%d recorded)" % len(ours))


OWN_FRAMES_SCRIPT = (
    "import os, signal\n"
    "def user_fn():\n"
    "    os.kill(os.getpid(), signal.SIGUSR2)  # its handler runs at the next instruction\n"
    "    for _ in range(1000):\n"
    "        pass\n"
    "user_fn()\n"
)


def own_frames_checks():
    """`graphleak run`: a snapshot taken by its SIGUSR2 handler and one at
    exit mark graphleak's own frames (its bootstrap's) in the header, and
    only those."""
    script = os.path.join(WORK, "own-frames-%d.py" % os.getpid())
    with open(script, "w") as f:
        f.write(OWN_FRAMES_SCRIPT)
    out = snap_path("own-frames")
    root, ext = os.path.splitext(out)
    out2 = "%s-2%s" % (root, ext)
    proc = subprocess.run([CLI, "run", "-o", out, "--at-exit", "--", sys.executable, script],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.unlink(script)
    if not check(proc.returncode == 0 and os.path.exists(out) and os.path.exists(out2),
                 "graphleak run (own frames) exited %d: %s" % (proc.returncode, proc.stderr.decode(errors="replace")[-500:])):
        return
    for path, marked_want, plain_want in ((out, {"dump", "on_signal", "main", "<module>"}, {"user_fn", "<module>"}),
                                          (out2, {"dump", "at_exit_dump"}, set())):
        header, _, _ = load(path, want=set())
        os.unlink(path)
        main = [t for t in header["threads"] if t.get("main")]
        if not check(main, "own frames: a main thread in %s" % os.path.basename(path)):
            continue
        frames = main[0]["frames"]
        boot = [f for f in frames if os.path.basename(f.get("file") or "") == "graphleak_run.py"]
        marked = [f for f in frames if "graphleak" in f]
        check(marked == boot and all(f["graphleak"] is True for f in marked),
              "own frames (%s): marked %s, the bootstrap's %s"
              % (os.path.basename(path), [f["function"] for f in marked], [f["function"] for f in boot]))
        check(marked_want <= set(f["function"] for f in marked) and
              plain_want <= set(f["function"] for f in frames if "graphleak" not in f),
              "own frames (%s): %s" % (os.path.basename(path),
                                       [(f["function"], f.get("graphleak", False)) for f in frames]))


def objgraph_checks():
    import objgraph
    typestats_check(lambda: objgraph.typestats(shortnames=False), "objgraph.typestats")


class Node(object):
    __slots__ = ("next",)


def deep_checks():
    n = 1000000
    head = None
    for _ in range(n):
        nd = Node()
        nd.next = head
        head = nd
    # Nested tuples are created tracked; the collector untracks a tuple whose
    # items are all untracked, in list order. Every new tuple is also held
    # by `keep`, an old-generation list, so none of them moves inside the
    # young generation and one gen-0 collection untracks the whole chain.
    keep = []
    gc.collect()
    gc.disable()
    t = ()
    for _ in range(n):
        t = (t,)
        keep.append(t)
    gc.collect(0)
    gc.enable()
    del keep
    check(not gc.is_tracked(t), "nested tuples are untracked after a collection")
    path = snap_path("deep")
    r = graphleak.dump(path)
    check(r["objects"] >= 2 * n, "deep dump has %d objects" % r["objects"])
    inner = t
    for _ in range(n // 2):
        inner = inner[0]
    want = {id(head), id(head.next), id(t), id(t[0]), id(inner)}
    _, objs, _ = load(path, want=want)
    check(want <= set(objs), "deep chain records present")
    check(named_edge(objs[id(head)], "attr", "next", id(head.next)), "slot 'next' labelled")
    check(named_edge(objs[id(t)], "index", 0, id(t[0])), "nested tuple edge")
    check(not objs[id(inner)]["flags"] & F["TRACKED"], "inner tuple untracked")
    sys.stderr.write("deep: %d objects, %d edges, %d bytes, pause %.3f s\n"
                     % (r["objects"], r["edges"], r["file_bytes"], r["pause_seconds"]))
    os.unlink(path)
    # tear the chains down without deep recursion in dealloc
    while head is not None:
        head = head.next


if __name__ == "__main__":
    sys.stderr.write("shim_check %s on Python %s (%s)\n" % (MODE, sys.version.split()[0], sys.executable))
    {"main": main_checks, "objgraph": objgraph_checks, "deep": deep_checks, "heap": heap_checks,
     "interned": interned_checks}[MODE]()
    left = os.listdir(WORK)
    check(not left, "files left in the work directory: %s" % left)
    shutil.rmtree(WORK, ignore_errors=True)
    if FAILS:
        sys.stderr.write("%d of %d checks failed\n" % (len(FAILS), NCHECK[0]))
        sys.exit(1)
    sys.stderr.write("all %d checks passed\n" % NCHECK[0])
