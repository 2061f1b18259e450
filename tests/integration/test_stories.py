#!/usr/bin/env python3
"""End-to-end: each story in stories/ runs under `graphleak run` on a real
interpreter, dumps a snapshot from inside, and the analysis commands must name
the right holder with the right figures. Where objgraph is importable in the
target (Debian's python3), graphleak's chain must be no longer than
objgraph.find_backref_chain's and pass through the same module.

usage: test_stories.py GRAPHLEAK PYTHON [STORY ...]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
STORIES = os.path.join(HERE, "stories")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("  FAIL:", what)
    return cond


def gl(graphleak, *args):
    r = subprocess.run([graphleak] + list(args), capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("graphleak %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return json.loads(r.stdout)


def run_story(graphleak, python, story, tmp):
    snap = os.path.join(tmp, story + ".snap")
    env = dict(os.environ, GL_SNAP=snap)
    r = subprocess.run([graphleak, "run", "--", python, os.path.join(STORIES, story + ".py")],
                       env=env, capture_output=True, text=True, timeout=300)
    if not check(r.returncode == 0 and os.path.exists(snap),
                 "%s: the story did not run or dump (exit %d): %s" % (story, r.returncode, r.stderr[-2000:])):
        return None, None
    with open(snap + ".json") as f:
        return snap, json.load(f)


def cross_check_objgraph(graphleak, story, snap, info):
    for t in info["targets"]:
        og = t.get("objgraph")
        if not og:
            continue
        p = gl(graphleak, "path", snap, "--id", t["addr"], "--json")
        raw = p.get("raw", [])
        module = og["addrs"][0]
        if check(module in raw, "%s: %s: graphleak's chain %s does not pass through module %s, objgraph's"
                 % (story, t["name"], p.get("chain"), og["module"])):
            ours = len(raw) - raw.index(module)
            check(ours <= og["length"], "%s: %s: graphleak's chain from module %s has %d objects, objgraph's %d"
                  % (story, t["name"], og["module"], ours, og["length"]))
            print("  objgraph: %s: chain of %d objects from module %s, objgraph %d" %
                  (t["name"], ours, og["module"], og["length"]))


def holders_of(graphleak, snap, typ):
    return gl(graphleak, "path", snap, "--type", typ, "--limit", "0", "--json")


def story_checks(graphleak, story, snap, info):
    e = info["expect"]
    if "holder" in e or "holder_re" in e:
        p = holders_of(graphleak, snap, e["type"])
        rows = p["holders"]
        if "count" in e:
            check(p["count"] == e["count"], "%s: %d %s objects, expected %d" % (story, p["count"], e["type"], e["count"]))
        if "holder" in e:
            match = [h for h in rows if h["holder"] == e["holder"]]
        else:
            match = [h for h in rows if re.match(e["holder_re"], h["holder"])]
        want = e.get("count", e.get("min_count", 1))
        check(match and match[0]["count"] >= want and rows[0] is match[0],
              "%s: expected the first holder of %s to be %r with >= %d objects, got %s" %
              (story, e["type"], e.get("holder", e.get("holder_re")), want,
               [(h["holder"], h["count"]) for h in rows[:3]]))
        if match:
            print("  holder: %s (%d %s objects)" % (match[0]["holder"], match[0]["count"], e["type"]))
    for typ, want in e.get("holders", {}).items():
        rows = holders_of(graphleak, snap, typ)["holders"]
        got = [h["holder"] for h in rows]
        for w in want:
            check(w in got[:len(want)], "%s: %r not among the first holders of %s: %s" % (story, w, typ, got[:4]))
        print("  holders of %s: %s" % (typ, got[:len(want)]))
    if "suspect_holder" in e:
        s = gl(graphleak, "suspects", snap, "--min-share", "5", "--json")
        hit = [x for x in s["suspects"] if x["holder"] == e["suspect_holder"]]
        if check(hit, "%s: no suspect held by %r: %s" % (story, e["suspect_holder"],
                                                          [x["holder"] for x in s["suspects"]])):
            check(hit[0]["retained"] >= e["min_retained"], "%s: suspect retains %d, expected >= %d"
                  % (story, hit[0]["retained"], e["min_retained"]))
            print("  suspect: %s retains %d bytes (%.0f%%)" % (hit[0]["holder"], hit[0]["retained"],
                                                               100 * hit[0]["share"]))
    # every holder: each listed one is among the type's holders, keeping at
    # least that many objects
    for typ, want in e.get("holders_all", {}).items():
        rows = holders_of(graphleak, snap, typ)["holders"]
        got = {h["holder"]: h["count"] for h in rows}
        for text, n in want:
            check(got.get(text, 0) >= n, "%s: holder %r of %s keeps %s objects, expected >= %d; holders: %s"
                  % (story, text, typ, got.get(text), n, list(got.items())[:6]))
        print("  every holder of %s: %s" % (typ, [(t, got.get(t)) for t, _ in want]))
    for name, want in e.get("path_id_holders", {}).items():
        t = [x for x in info["targets"] if x["name"] == name][0]
        p = gl(graphleak, "path", snap, "--id", t["addr"], "--json")
        got = [h["holder"] for h in p["holders"]]
        check(all(w in got for w in want) and p["holders_total"] >= len(want),
              "%s: path --id %s: holders %s, expected %s among them" % (story, name, got, want))
        text = subprocess.run([graphleak, "path", snap, "--id", t["addr"]], capture_output=True, text=True,
                              timeout=300).stdout
        said = ("held by %d holders" % len(got)) if len(got) > 1 else "held by: "
        check(all(w in text for w in want) and said in text,
              "%s: path --id %s text does not list every holder:\n%s" % (story, name, text[:800]))
        print("  path --id %s: held by %s" % (name, got))
    if "cycle_shape" in e:
        c = gl(graphleak, "cycles", snap, "--json")
        want = e["cycle_shape"]
        first = c["garbage"]["cycles"][0] if c["garbage"]["cycles"] else None
        types = sorted(t["type"] for t in first["types"]) if first else []
        # (before 3.11 each instance's __dict__ is a member of the cycle too)
        check(first and first["count"] >= want["count"] and set(want["types"]) <= set(types)
              and set(types) - set(want["types"]) <= {"dict"},
              "%s: the first garbage shape is %s x %s, expected %d x %s" %
              (story, first and first["count"], types, want["count"], want["types"]))
        text = subprocess.run([graphleak, "cycles", snap], capture_output=True, text=True, timeout=300).stdout
        check("%s cycles of one shape" % format(want["count"], ",") in text,
              "%s: cycles does not show the shape as one line:\n%s" % (story, text[:1200]))
        print("  garbage shape: %s x %s" % (first and first["count"], types))
    if e.get("suspects_point_to_cycles"):
        s = gl(graphleak, "suspects", snap, "--json")
        text = subprocess.run([graphleak, "suspects", snap], capture_output=True, text=True, timeout=300).stdout
        check(s["garbage"]["share"] >= 0.10 and ("graphleak cycles %s" % snap) in text,
              "%s: suspects does not point to the garbage (share %.2f):\n%s" % (story, s["garbage"]["share"],
                                                                                  text[:800]))
        print("  suspects: garbage is %.0f%% of the heap, pointed to cycles" % (100 * s["garbage"]["share"]))
    if "ambiguous" in e:
        want = e["ambiguous"]
        r = subprocess.run([graphleak, "path", snap, "--type", want["name"]], capture_output=True, text=True,
                           timeout=300)
        # (the standard library makes a formatter or two of its own: at least)
        check(r.returncode == 1 and all(("\n  %s (" % t) in r.stderr for t in want["full"]),
              "%s: --type %s: exit %d, expected a refusal naming %s: %s" % (story, want["name"], r.returncode,
                                                                            list(want["full"]), r.stderr[:600]))
        for full, n in want["full"].items():
            p = holders_of(graphleak, snap, full)
            check(n <= p["count"] <= n + 5 and p["type"] == full, "%s: --type %s counts %s %s, expected %d"
                  % (story, full, p["count"], p["type"], n))
        p = holders_of(graphleak, snap, "builtins.dict")
        check(p["type"] == "dict" and p["count"] > 0, "%s: --type builtins.dict: %s" % (story, p["type"]))
        print("  --type %s refused; full names counted apart" % want["name"])
    if "finalizer_cycles" in e or "garbage_min_objects" in e:
        c = gl(graphleak, "cycles", snap, "--json")
        if e.get("gc_disabled"):
            check(c["gc"]["enabled"] is False, "%s: gc should be reported disabled" % story)
        if "finalizer_cycles" in e:
            n = c["finalizer_cycles_total"]
            check(n >= e["finalizer_cycles"], "%s: %d finalizer cycles, expected >= %d" % (story, n, e["finalizer_cycles"]))
            if c["finalizer_cycles"]:
                f0 = c["finalizer_cycles"][0]
                # unreached, with __del__: collectable since 3.4, but never
                # collected while gc is disabled
                want = "a leak: gc is disabled" if e.get("gc_disabled") else "collectable"
                check(f0["with_del"] >= 1 and want in f0["verdict"],
                      "%s: finalizer cycle verdict: %s" % (story, f0))
            print("  finalizer cycles: %d" % n)
        if "garbage_min_objects" in e:
            g = c["garbage"]
            check(g["objects"] >= e["garbage_min_objects"] and g["leak"] is True,
                  "%s: garbage %d objects, leak=%s; expected >= %d and a leak" %
                  (story, g["objects"], g["leak"], e["garbage_min_objects"]))
            print("  cyclic garbage: %d objects, %d bytes, leak=%s" % (g["objects"], g["size"], g["leak"]))


def main():
    graphleak, python = sys.argv[1], sys.argv[2]
    stories = sys.argv[3:] or sorted(f[:-3] for f in os.listdir(STORIES)
                                     if f.endswith(".py") and not f.startswith("_"))
    with tempfile.TemporaryDirectory(prefix="gl-stories-") as tmp:
        for story in stories:
            print("%s (%s)" % (story, python))
            try:
                snap, info = run_story(graphleak, python, story, tmp)
                if snap:
                    story_checks(graphleak, story, snap, info)
                    cross_check_objgraph(graphleak, story, snap, info)
            except Exception as ex:  # a crash of a command is a failure, not an abort
                check(False, "%s: %s" % (story, ex))
    n = len(stories)
    bad = len({f.split(":")[0] for f in failures})
    print("%d passed, %d failed" % (n - bad, bad))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
