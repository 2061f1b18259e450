#!/usr/bin/env python3
"""The samples end to end: each sample's one command (samples/NAME/run.sh)
starts the real app, puts real load on it, snapshots it with `graphleak dump
--pid`, and writes its diagnosis; the diagnosis must name the right root
holder, and the picture must mark it.

usage: test_samples.py GRAPHLEAK PYTHON [SAMPLE ...]
"""
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("  FAIL:", what)
    return cond


def load(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def picture_marks(out, holder):
    """The SVG names the holder in its root-holder node."""
    with open(os.path.join(out, "picture.svg"), encoding="utf-8") as f:
        text = html.unescape(f.read())
    return "ROOT HOLDER: " + holder in text


def report_names(out, holder):
    """The HTML report's data names the holder among its suspects."""
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        page = f.read()
    start = page.index('id="graphleak-data">') + len('id="graphleak-data">')
    data = json.loads(page[start:page.index("</script>", start)])
    return holder in [x["holder"] for x in data["suspects"]["suspects"]]


def suspect_holder(out, holder, min_bytes=0):
    s = load(out, "suspects.json")["suspects"]
    hit = [x for x in s if x["holder"] == holder and x["retained"] >= min_bytes]
    check(hit, "suspects: none held by %r with >= %d bytes: %s" %
          (holder, min_bytes, [(x["holder"], x["retained"]) for x in s]))
    check(report_names(out, holder), "report.html: %r is not among its suspects" % holder)


def grower_holder(out, holder):
    g = load(out, "growth.json")["growing"]
    check(g and g[0]["holder"] == holder and g[0]["verdict"] == "growing at every snapshot",
          "growth: first growing container %s, expected %r growing at every snapshot" %
          (g and (g[0]["holder"], g[0]["verdict"]), holder))


def path_holder(out, holder):
    h = load(out, "path.json")["holders"]
    check(h and h[0]["holder"] == holder, "path: first holder %s, expected %r" % (h and h[0]["holder"], holder))


def expect_flask_leak(out):
    h = "module __main__, global results"
    suspect_holder(out, h, 50 << 20)
    grower_holder(out, h)
    path_holder(out, h)
    check(picture_marks(out, h), "the picture does not mark %r" % h)


def expect_fastapi_cache(out):
    h = "module app, global cache"
    suspect_holder(out, h)
    grower_holder(out, h)
    path_holder(out, h)
    check(picture_marks(out, h), "the picture does not mark %r" % h)


def expect_fastapi_state(out):
    """Carts in app.state, and an AnyIO worker thread's idle frame whose
    local `result` is the sessions dict: both holders named, app.state by its
    full path first; uvicorn's and asyncio's ways to the app not listed."""
    h = "module app, global app.state._state['sessions']"
    # which stale local holds them depends on where the idle workers stopped:
    # `result` (the dependency's return), or the last call's `func` / `item`
    t = "thread AnyIO worker thread, frame WorkerThread.run(), local "
    grower_holder(out, h)
    path_holder(out, h)
    holders = [x["holder"] for x in load(out, "path.json")["holders"]]
    # (one or several workers, "(3 of them)", as the load happened to spread)
    alike = lambda x: x.startswith(t)
    check(any(alike(x) for x in holders), "path: %r not among the holders %s" % (t, holders[:6]))
    check(not any("uvicorn" in x or "asyncio" in x or "threading" in x for x in holders),
          "path: the library's ways to the app listed: %s" % [x for x in holders if "uvicorn" in x][:3])
    s = load(out, "suspects.json")["suspects"]
    check(s and s[0]["holder"] == h and any(alike(x["holder"]) for x in s[0]["holders"]),
          "suspects: first %s, its holders %s" % (s and s[0]["holder"], s and [x["holder"] for x in s[0]["holders"]]))


def expect_sqlalchemy_bindparam(out):
    h = "module __main__, global recent_queries"
    grower_holder(out, h)
    path_holder(out, h)
    p = load(out, "path.json")
    check(p["type"].endswith("BindParameter") and p["count"] >= 3 * 400 * 150,
          "path: %s %s objects, expected >= %d BindParameter" % (p["count"], p["type"], 3 * 400 * 150))
    check(picture_marks(out, h), "the picture does not mark %r" % h)


def expect_queue_backlog(out):
    h = "module __main__, global jobs.queue"
    grower_holder(out, h)
    path_holder(out, h)
    # the picture marks the global on its object (the queue), the path below it drawn
    check(picture_marks(out, "module __main__, global jobs"), "the picture does not mark the global jobs")


def expect_del_cycles(out):
    c = load(out, "cycles.json")
    g = c["garbage"]
    check(g["leak"] is True and g["objects"] >= 3 * 2000 * 2,
          "cycles: garbage %d objects, leak=%s" % (g["objects"], g["leak"]))
    f = c["finalizer_cycles"]
    check(c["finalizer_cycles_total"] >= 3 * 2000 and f and "a leak: gc is disabled" in f[0]["verdict"],
          "cycles: %d finalizer cycles, first verdict %s" % (c["finalizer_cycles_total"], f and f[0]["verdict"]))
    with open(os.path.join(out, "picture.svg"), encoding="utf-8") as fh:
        svg = html.unescape(fh.read())
    check("defines __del__" in svg and "a leak" in svg, "the cycle picture does not mark __del__ and the leak")


def expect_untracked_payloads(out):
    h = "module __main__, global pending_uploads"
    suspect_holder(out, h, 3 * 300 * 65536)
    grower_holder(out, h)
    path_holder(out, h)
    check(picture_marks(out, h), "the picture does not mark %r" % h)


EXPECT = {name[len("expect_"):]: fn for name, fn in globals().items() if name.startswith("expect_")}


def main():
    graphleak, python = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or sorted(EXPECT)
    if os.environ.get("GRAPHLEAK_TEST_NO_GDB") == "1":
        # run with a PATH that has no gdb (tests/CMakeLists.txt): none is needed
        check(shutil.which("gdb") is None, "gdb is not on PATH (%s)" % shutil.which("gdb"))
    failed = 0
    for name in names:
        print(name)
        start = len(failures)
        with tempfile.TemporaryDirectory(prefix="gl-sample-") as out:
            env = dict(os.environ, GRAPHLEAK=graphleak, PYTHON=python, GL_SAMPLE_OUT=out)
            r = subprocess.run(["bash", os.path.join(ROOT, "samples", name, "run.sh")], env=env,
                               capture_output=True, text=True, timeout=600)
            if not check(r.returncode == 0, "%s: run.sh failed (exit %d):\n%s\n%s" %
                         (name, r.returncode, r.stdout[-3000:], r.stderr[-3000:])):
                continue
            check("Failed requests:        0" in r.stdout, "%s: the load tool saw failed requests" % name)
            before = len(failures)
            EXPECT[name](out)
            if len(failures) > before:
                print(r.stdout[-4000:])
            else:
                print("  ok")
        failed += len(failures) > start
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
