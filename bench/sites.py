#!/usr/bin/env python3
"""What allocation sites cost (issue: where the memory is, and where it was
born): the same heap of about N gc-tracked objects (bench/heap.py) built in
two processes of one interpreter, one with tracemalloc tracing from the
start (PYTHONTRACEMALLOC=FRAMES) and one without. In each: the dump's pause
and file size (fork='auto' and fork='never'), and, where tracing, beside
tracemalloc's own take_snapshot() on the same heap. Figures go to the
`sites` section of bench/RESULTS.md.

usage: bench/sites.py [--size 1000000] [--frames 5] [--pythons /usr/bin/python3,PY312]
                      [--build build] [--no-write]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def child(n, tmp):
    import gc
    import time

    import graphleak
    import heap
    import tracemalloc

    heap.build(n)
    gc.collect()
    out = {"python": sys.version.split()[0], "tracked": len(gc.get_objects()), "tracing": tracemalloc.is_tracing()}
    for mode in ("auto", "never"):
        rows = []
        for k in range(2):
            path = os.path.join(tmp, "sites-%s-%d.snap" % (mode, k))
            r = graphleak.dump(path, fork=mode)
            rows.append(r)
        out[mode] = min(rows, key=lambda r: r["pause_seconds"])
    if tracemalloc.is_tracing():
        t = time.perf_counter()
        snap = tracemalloc.take_snapshot()
        out["take_snapshot_s"] = time.perf_counter() - t
        out["traces"] = len(snap.traces)
        del snap
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000000)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--pythons", default="/usr/bin/python3,/root/.pyenv/versions/3.12.1/bin/python3.12")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.tmp)
    import run
    rows = ["| Python | tracemalloc | dump: walk | pause | file | sites (distinct) | objects with a site | reading them | "
            "tracemalloc.take_snapshot() |", "|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="gl-sites-") as tmp:
        for py in args.pythons.split(","):
            if not os.path.exists(py):
                continue
            for tracing in (False, True):
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([run.shim_dir(args.build, py), HERE]))
                env.pop("GRAPHLEAK_FORK", None)
                env.pop("PYTHONTRACEMALLOC", None)
                if tracing:
                    env["PYTHONTRACEMALLOC"] = str(args.frames)
                print("bench: %s, tracing %s, %d objects ..." % (py, tracing, args.size), file=sys.stderr)
                p = subprocess.run([py, os.path.abspath(__file__), "--child", str(args.size), "--tmp", tmp], env=env,
                                   capture_output=True, text=True, check=True)
                r = json.loads(p.stdout.strip().splitlines()[-1])
                for mode in ("auto", "never"):
                    d = r[mode]
                    info = json.loads(subprocess.run([os.path.join(args.build, "graphleak"), "info", d["path"], "--json"],
                                                     capture_output=True, text=True, check=True).stdout)
                    sites = info["footer"].get("sites") or {}
                    for k in range(2):
                        q = os.path.join(tmp, "sites-%s-%d.snap" % (mode, k))
                        if os.path.exists(q):
                            os.unlink(q)
                    rows.append("| {} | {} | {} | {:.3f} s | {:.1f} MB | {} | {} | {} | {} |".format(
                        r["python"], "%d frames" % args.frames if tracing else "off",
                        "fork (auto)" if d["mode"] == "fork" else ("in place (%s)" % mode),
                        d["pause_seconds"], d["file_bytes"] / 1e6,
                        format(sites["count"], ",") if sites else "-", format(sites["objects"], ",") if sites else "-",
                        "%.3f s" % sites["seconds"] if sites else "-",
                        "%.3f s (%d traces)" % (r["take_snapshot_s"], r["traces"]) if tracing and mode == "auto" else ""))
    when = "Measured %s on %s." % (datetime.date.today().isoformat(), run.machine())
    body = ("## Allocation sites (tracemalloc)\n\n%s\n\n%s\n\nMade by `bench/sites.py`: one heap of %s gc-tracked "
            "objects (`bench/heap.py`) per row pair, built with tracemalloc off or tracing %d frames from the start, "
            "the better of two dumps each. With tracing on 3.8-3.11 `auto` walks in place (the sites are read with "
            "the GIL), on 3.12+ in the copy-on-write child.\n" % (when, "\n".join(rows), format(args.size, ","), args.frames))
    print(body)
    if not args.no_write:
        run.write_section("sites", body)


if __name__ == "__main__":
    main()
