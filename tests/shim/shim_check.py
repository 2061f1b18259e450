"""shim_check.py - checks the graphleak shim inside a real interpreter.

    PYTHON shim_check.py MODE GRAPHLEAK_CLI WORKDIR

MODE: main (labels, flags, sizes, edges vs gc.get_referents, typestats vs a
count over gc.get_objects(), harmlessness), objgraph (typestats oracle with
objgraph; needs objgraph importable), deep (1,000,000-long chains).
The shim must be importable (PYTHONPATH). Snapshots are read back through
`GRAPHLEAK_CLI export SNAP` (JSON lines, docs/snapshot-format.md).
Runs on CPython 3.8-3.13. Exit status 0 when every check passed, 1 otherwise.
"""

import atexit
import collections
import gc
import json
import os
import random
import resource
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

    check(set(res) == {"path", "objects", "edges", "tracked", "untracked", "bytes", "file_bytes",
                       "pause_seconds", "walk_seconds", "shim_peak_bytes"}, "summary keys: %s" % sorted(res))
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

    # values=False
    r = graphleak.dump(p1, overwrite=True, values=False)
    h, o2, _ = load(p1, want={id(leaves["astr"]), id(sys), id(Plain), id(with_default)})
    check(h["options"]["values"] is False, "header options.values false")
    a = o2[id(leaves["astr"])]
    check("preview" not in a or a["preview"] is None, "values=False: no str preview")
    check(a["flags"] & F["REDACTED"], "values=False: REDACTED flag")
    check(o2[id(sys)]["preview"] == "sys" and o2[id(with_default)]["preview"] == "with_default",
          "values=False keeps names")

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
    {"main": main_checks, "objgraph": objgraph_checks, "deep": deep_checks}[MODE]()
    left = os.listdir(WORK)
    check(not left, "files left in the work directory: %s" % left)
    shutil.rmtree(WORK, ignore_errors=True)
    if FAILS:
        sys.stderr.write("%d of %d checks failed\n" % (len(FAILS), NCHECK[0]))
        sys.exit(1)
    sys.stderr.write("all %d checks passed\n" % NCHECK[0])
