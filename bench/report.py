#!/usr/bin/env python3
"""What sharing costs: the HTML report (`graphleak report`) and the heap in Chrome's
format (`graphleak export --format heapsnapshot`) of one snapshot of about N gc-tracked
objects (bench/heap.py), beside `graphleak suspects` on the same file. The report's
target: at most one analysis plus 1 s. "One analysis" is the load and the analysis the
report itself times (GRAPHLEAK_TIMING), and the rest is what the page adds. Each command
runs three times and the best run is kept. Figures go to the `report` section of
bench/RESULTS.md.

usage: bench/report.py [--size 1000000] [--python /usr/bin/python3] [--build build] [--no-write]
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def child(n, path):
    import gc

    import graphleak
    import heap

    heap.build(n)
    gc.collect()
    r = graphleak.dump(path)
    print(json.dumps({"python": sys.version.split()[0], "tracked": len(gc.get_objects()), "objects": r["objects"]}))


def timed(argv, env):
    """(wall seconds, its timing lines as {phase: s}) of the best of 3 runs."""
    best = None
    for _ in range(3):
        t = time.perf_counter()
        p = subprocess.run(argv, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            sys.exit("bench: %s failed: %s" % (" ".join(argv), p.stderr[-2000:]))
        phases = {}
        for m in re.finditer(r"graphleak: timing: (\S+) ([0-9.]+) s", p.stderr):
            phases[m.group(1)] = phases.get(m.group(1), 0.0) + float(m.group(2))
        if best is None or wall < best[0]:
            best = (wall, phases)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000000)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.out)
    import run
    gl = os.path.join(args.build, "graphleak")
    env = dict(os.environ, GRAPHLEAK_TIMING="1")
    with tempfile.TemporaryDirectory(prefix="gl-report-") as tmp:
        snap = os.path.join(tmp, "heap.snap")
        penv = dict(os.environ, PYTHONPATH=os.pathsep.join([run.shim_dir(args.build, args.python), HERE]))
        print("bench: building %d objects and dumping ..." % args.size, file=sys.stderr)
        p = subprocess.run([args.python, os.path.abspath(__file__), "--child", str(args.size), "--out", snap],
                           env=penv, capture_output=True, text=True, check=True)
        info = json.loads(p.stdout.strip().splitlines()[-1])
        s_wall, _ = timed([gl, "suspects", snap, "--json"], env)
        r_wall, r_ph = timed([gl, "report", snap, "-o", os.path.join(tmp, "r.html")], env)
        page = os.path.getsize(os.path.join(tmp, "r.html"))
        analysis = r_ph.get("load+reverse", 0.0) + r_ph.get("analysis", 0.0)
        rows = ["| gc-tracked | objects | `suspects` | `report` | its load + analysis | the page adds | page size |",
                "|---|---|---|---|---|---|---|",
                "| {:,} | {:,} | {:.2f} s | {:.2f} s | {:.2f} s | {:.2f} s | {:.0f} KB |".format(
                    info["tracked"], info["objects"], s_wall, r_wall, analysis, r_wall - analysis, page / 1e3)]
        hs = os.path.join(tmp, "heap.heapsnapshot")
        h = subprocess.run([gl, "export", "--help"], capture_output=True, text=True)
        if "heapsnapshot" in h.stdout:
            h_wall, _ = timed([gl, "export", snap, "--format", "heapsnapshot",
                                       "-o", hs], env)
            rows += ["", "| export --format heapsnapshot | wall | file |", "|---|---|---|",
                     "| {:,} objects | {:.2f} s | {:.0f} MB |".format(info["objects"], h_wall, os.path.getsize(hs) / 1e6)]
    when = "Measured %s on %s." % (datetime.date.today().isoformat(), run.machine())
    body = ("## Report and heap snapshot export\n\n%s\n\n%s\n\nMade by `bench/report.py`: one snapshot of the heap "
            "of `bench/heap.py` (Python %s), each command the best of three. Target: the report costs at most one "
            "analysis plus 1 s; \"the page adds\" is its wall time less the load and analysis it times itself.\n"
            % (when, "\n".join(rows), info["python"]))
    print(body)
    if not args.no_write:
        run.write_section("report", body)


if __name__ == "__main__":
    main()
