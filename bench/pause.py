#!/usr/bin/env python3
"""The pause of a dump, walked in place and by a copy-on-write child
(pyshim/cow.h), side by side in one process on the same heap, beside
objgraph.typestats(): at about 100k, 1M, 3M and 10M gc-tracked objects
(bench/heap.py), in Debian's python3. For each size:

  typestats   objgraph.typestats(), which only counts types
  in place    graphleak.dump(fork='never'): the GIL held for the whole walk
  fork        graphleak.dump(fork='always') on a quiet process: the pause
              (the GIL held until the child exists), the child's walk, the
              dump until the file is complete, the child's private memory
  fork, busy  the same while a thread of the process keeps writing to the
              cached objects and allocating new ones during the walk (every
              page it writes is copied): what that costs, and how much work
              the process did meanwhile

Three dumps of each kind; the median is shown. Figures go to the `pause`
section of bench/RESULTS.md, with the date and the machine.

usage: bench/pause.py [--sizes 100000,1000000,3000000,10000000] [--build build]
                      [--python /usr/bin/python3] [--no-write]
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
    import statistics
    import threading
    import time

    import graphleak
    import heap
    import objgraph

    def rss():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    heap.build(n)
    gc.collect()
    out = {"python": sys.version.split()[0], "tracked": len(gc.get_objects()), "rss": rss()}
    t = time.perf_counter()
    objgraph.typestats()
    out["typestats_s"] = time.perf_counter() - t
    # the floor: a plain os.fork() of the same process (the kernel copies
    # its page tables either way), its child exiting at once
    forks = []
    for _ in range(3):
        t = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        forks.append(time.perf_counter() - t)
        os.waitpid(pid, 0)
    out["os_fork_s"] = sorted(forks)[1]

    def dumps(mode, busy=False):
        rows = []
        for k in range(3):
            path = os.path.join(tmp, "pause-%s-%d.snap" % (mode, k))
            stop, work = threading.Event(), [0, 0]
            fresh = []

            def mutate():
                values = list(heap.cache.values())
                i = 0
                while not stop.is_set():
                    for s in values[i:i + 1000]:
                        s.hits += 1
                        work[0] += 1
                    fresh.append([{"n": j} for j in range(100)])
                    work[1] += 100
                    i = (i + 1000) % max(1, len(values))

            th = threading.Thread(target=mutate) if busy else None
            rss0 = rss()
            if th:
                th.start()
                time.sleep(0.05)
            t = time.perf_counter()
            r = graphleak.dump(path, fork=mode)
            r["call_s"] = time.perf_counter() - t
            if th:
                stop.set()
                th.join()
            r["writes"], r["allocs"] = work
            r["parent_rss_growth"] = rss() - rss0
            del fresh[:]
            if mode == "never" and k == 0:
                out["kept_snapshot"] = path  # its header's memory figures, read by the driver
            else:
                os.unlink(path)
            rows.append(r)
        return rows

    out["in_place"] = dumps("never")
    out["fork"] = dumps("always")
    out["fork_busy"] = dumps("always", busy=True)
    print(json.dumps(out))


def med(rows, key):
    vals = sorted(r[key] for r in rows)
    return vals[len(vals) // 2]


def section(results, when):
    rows = ["| heap (gc-tracked) | RSS | objgraph.typestats() | pause, in place | os.fork() | pause, fork | vs typestats | "
            "child's walk | file complete | copy's cost, quiet | pause, busy | copy's cost, busy | the process meanwhile | "
            "memory figures |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ip, fk, fb = r["in_place"], r["fork"], r["fork_busy"]
        rows.append("| {:,} | {:.0f} MB | {:.3f} s | {:.3f} s | {:.1f} ms | {:.1f} ms | {:.3f}x | {:.3f} s | {:.3f} s | "
                    "{:.1f} MB | {:.1f} ms | {:.1f} MB | {:,} writes, {:,} new dicts | {:.2f} ms |".format(
                        r["tracked"], r["rss"] / 1e6, r["typestats_s"], med(ip, "pause_seconds"), r["os_fork_s"] * 1e3,
                        med(fk, "pause_seconds") * 1e3, med(fk, "pause_seconds") / r["typestats_s"],
                        med(fk, "walk_seconds"), med(fk, "total_seconds"), med(fk, "cow_private_bytes") / 1e6,
                        med(fb, "pause_seconds") * 1e3, med(fb, "cow_private_bytes") / 1e6, med(fb, "writes"),
                        med(fb, "allocs"), r["memstat_s"] * 1e3))
    return ("## The pause: in place and copy-on-write\n\n%s\n\n%s\n\n"
            "Made by `bench/pause.py` in Python %s: three dumps of each kind in one process on one heap "
            "(`bench/heap.py`), the median shown. *Pause* is how long the dump held the GIL: the whole walk in "
            "place; with the fork, the header, the headroom check and the clone. *os.fork()* is a plain fork of the "
            "same process (median of three), whose child exits at once: the kernel's copy of the page tables, "
            "which the clone pays too. *Child's walk* and *file "
            "complete* are the fork's walk and the dump until its file is complete (the process runs meanwhile). "
            "*Copy's cost* is the child's private memory at its end (smaps_rollup Private_Clean + "
            "Private_Dirty): the pages copied because the process or the child wrote them, plus the walk's own "
            "buffers; all of it is returned when the child exits. *Busy*: a thread of the process kept "
            "writing to the cached objects (`hits += 1`, 1,000 at a time) and allocating 100 dicts per batch "
            "for the whole walk. *Memory figures* is what reading the header's memory figures cost (the kernel's "
            "counters, pymalloc's statistics, mallinfo2; part of the pause either way). Targets: pause <= 10 ms at 1M (at most 0.1x objgraph.typestats) and <= 40 ms "
            "at 10M.\n" % (when, "\n".join(rows), results[0]["python"] if results else "?"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000,3000000,10000000")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.tmp)
    import run
    results = []
    with tempfile.TemporaryDirectory(prefix="gl-pause-") as tmp:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([run.shim_dir(args.build, args.python), HERE]))
        env.pop("GRAPHLEAK_FORK", None)
        for n in (int(x) for x in args.sizes.split(",")):
            print("bench: %d tracked objects: building the heap and dumping ..." % n, file=sys.stderr)
            p = subprocess.run([args.python, os.path.abspath(__file__), "--child", str(n), "--tmp", tmp], env=env,
                               capture_output=True, text=True, check=True)
            r = json.loads(p.stdout.strip().splitlines()[-1])
            info = json.loads(subprocess.run([os.path.join(args.build, "graphleak"), "info", r["kept_snapshot"], "--json"],
                                             capture_output=True, text=True, check=True).stdout)
            r["memstat_s"] = info["header"].get("memory", {}).get("seconds", 0)
            os.unlink(r["kept_snapshot"])
            results.append(r)
            print(json.dumps({k: r[k] for k in ("tracked", "typestats_s")}), file=sys.stderr)
            for kind in ("in_place", "fork", "fork_busy"):
                print("  %-9s pause %s" % (kind, ["%.4f" % x["pause_seconds"] for x in r[kind]]), file=sys.stderr)
    when = "Measured %s on %s." % (datetime.date.today().isoformat(), run.machine())
    body = section(results, when)
    print(body)
    if not args.no_write:
        run.write_section("pause", body)


if __name__ == "__main__":
    main()
