#!/usr/bin/env python3
"""Figures for `graphleak dump --pid` (issue 5), written into the `attach`
section of bench/RESULTS.md (<!-- attach --> ... <!-- /attach -->; the
other sections are left alone).

It runs tests/attach/test_attach.py with reports:
  states  every target state in every interpreter of BUILD/pyshim/shims.tsv:
          the pause (GIL held by the dump), the time gdb was attached, the
          whole command, and where the injection happened
  load    Flask (Debian's python3, werkzeug's threaded server) on 127.0.0.1
          under `ab -n 3000 -c 8` while 5 dumps are taken
  soak    50 dumps of one process: RSS, threads and fds
  big     a process holding 1,000,000 gc-tracked objects (bench/heap.py),
          idle in select(), dumped 3 times: the pause at scale

usage: bench/attach.py [--build build] [--no-write]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TEST = os.path.join(ROOT, "tests", "attach", "test_attach.py")


def replace_section(text, name, body):
    start, end = "<!-- %s -->" % name, "<!-- /%s -->" % name
    block = "%s\n%s\n%s" % (start, body.rstrip(), end)
    if start in text and end in text:
        return text[:text.index(start)] + block + text[text.index(end) + len(end):]
    return text.rstrip() + "\n\n" + block + "\n"


def run_report(python, what, gl, work):
    fd, rep = tempfile.mkstemp(suffix=".json", dir=work)
    os.close(fd)
    p = subprocess.run([python, TEST, what, gl, "--work", work, "--report", rep],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    ok = p.returncode == 0
    if not ok:
        sys.stderr.write(p.stderr.decode("utf-8", "replace")[-3000:])
    try:
        with open(rep) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = None
    os.unlink(rep)
    return ok, data


BIG_TARGET = r'''
import os, select, sys
sys.path.insert(0, sys.argv[1])
import heap
h = heap.build(int(sys.argv[2]))
os.write(1, b"ready 0\n")
while True:
    select.select([0], [], [])
    if not os.read(0, 4096):
        break
'''


def run_big(python, gl, work, n=1000000, reps=3):
    """Dumps a process holding n gc-tracked objects; returns the figures."""
    import time
    p = subprocess.Popen([python, "-c", BIG_TARGET, HERE, str(n)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    out = []
    try:
        line = p.stdout.readline()
        if not line.startswith(b"ready"):
            return None
        time.sleep(0.3)
        for k in range(reps):
            snap = os.path.join(work, "big-%d.snap" % k)
            r = subprocess.run([gl, "dump", "--pid", str(p.pid), "-o", snap, "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=300)
            try:
                j = json.loads(r.stdout)
            except ValueError:
                j = {}
            if j.get("ok"):
                out.append(j)
            if os.path.exists(snap):
                os.unlink(snap)
    finally:
        p.kill()
        p.wait()
    return out


def ms(x):
    return "-" if x is None else "%.1f ms" % (x * 1000.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    gl = os.path.join(os.path.abspath(args.build), "graphleak")
    pythons = []
    with open(os.path.join(args.build, "pyshim", "shims.tsv")) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 4:
                pythons.append((p[0], p[1]))
    work = tempfile.mkdtemp(prefix="bench-attach-")
    states, failed = [], []
    for exe, ver in pythons:
        sys.stderr.write("bench/attach: states in %s %s\n" % (ver, exe))
        ok, data = run_report(exe, "states", gl, work)
        if not ok:
            failed.append("states %s" % ver)
        if data:
            states.append((ver, exe, data["states"]))
    system = "/usr/bin/python3"
    sys.stderr.write("bench/attach: load\n")
    load_ok, load = run_report(system, "load", gl, work)
    sys.stderr.write("bench/attach: soak\n")
    soak_ok, soak = run_report(system, "soak", gl, work)
    sys.stderr.write("bench/attach: 1M objects\n")
    big = run_big(system, gl, work)
    if not big:
        failed.append("big")
    if not load_ok:
        failed.append("load")
    if not soak_ok:
        failed.append("soak")

    when = "%s, %s, %d CPUs, Linux %s" % (datetime.date.today().isoformat(), platform.machine(),
                                          os.cpu_count() or 0, platform.release())
    order = ["accept", "select", "epoll", "sleep", "lock", "busy", "threads", "enable_signal", "run+signal",
             "run+attach"]
    head = "| interpreter | " + " | ".join(order) + " |"
    rows = [head, "|" + "---|" * (len(order) + 1)]
    for ver, exe, figs in states:
        by = {f["state"]: f for f in figs}
        cells = []
        for s in order:
            f = by.get(s)
            if not f:
                cells.append("-")
            elif f.get("attached") is None:
                cells.append("%s" % ms(f["pause"]))
            else:
                cells.append("%s / %.2f s" % (ms(f["pause"]), f["attached"]))
        rows.append("| %s (%s) | %s |" % (ver, exe, " | ".join(cells)))
    where = []
    if states:
        for f in states[0][2]:
            if f.get("safe_point"):
                where.append("%s: %s" % (f["state"], f["safe_point"].split(" thread ")[0] + " " +
                                         f["safe_point"].split(" in ", 1)[-1]))

    body = ["## Attaching to a live process (`graphleak dump --pid`)", "",
            when + ". Run by `bench/attach.py` (tests/attach/test_attach.py with reports).", "",
            "### Pause per interpreter and target state", "",
            "Each cell: the pause (how long the dump held the GIL: the target's Python threads "
            "could not run) / how long gdb was attached (the target's threads are stopped while gdb "
            "reads symbols and chooses a thread; they run during the calls). Signal modes have no gdb. "
            "Small heaps (the targets of tests/attach, about %s objects in the snapshot); the same at 1M "
            "below." % ("{:,}".format(sorted(f["objects"] for _, _, fs in states for f in fs if f.get("objects"))[
                len([1 for _, _, fs in states for f in fs if f.get("objects")]) // 2]) if states else "?"),
            ""] + rows + [""]
    if where:
        body += ["Where the injection happened (%s): %s." % (states[0][0], "; ".join(where)), ""]
    if big:
        body += ["### At scale", "",
                 "Debian's python3 holding 1,000,000 gc-tracked objects (`bench/heap.py`, %s objects in the "
                 "snapshot), idle in select(), 3 dumps: pause %s; gdb attached %s; whole command %s." % (
                     "{:,}".format(big[0]["objects"]),
                     " / ".join(ms(j["pause_seconds"]) for j in big),
                     " / ".join("%.2f s" % j["attached_seconds"] for j in big),
                     " / ".join("%.2f s" % j["wall_seconds"] for j in big)), ""]
    if load:
        d = load.get("dumps", [])
        pauses = [x["pause_seconds"] for x in d]
        att = [x["attached_seconds"] for x in d]
        body += ["### Under load", "",
                 "Flask app (Debian's python3-flask%s, werkzeug's threaded server, Debian's python3 %s) on 127.0.0.1, "
                 "`ab -n 3000 -c 8`, 5 dumps taken while it runs (%d of them during the load):" % (
                     "", load.get("python") or "", load.get("during_load", 0)), "",
                 "| requests | failed | non-2xx | req/s | p99 | longest | pause (min / max) | gdb attached (min / max) |",
                 "|---|---|---|---|---|---|---|---|",
                 "| %d | %d | %d | %.0f | %s ms | %s ms | %s / %s | %.2f / %.2f s |" % (
                     load.get("complete", 0), load.get("failed", -1), load.get("non2xx", 0), load.get("rps", 0),
                     load.get("p99_ms"), load.get("longest_ms"), ms(min(pauses) if pauses else None),
                     ms(max(pauses) if pauses else None), min(att) if att else 0, max(att) if att else 0), "",
                 "The longest request includes the time the server was stopped by gdb and then paused "
                 "by the dump.", ""]
    if soak and soak.get("rss"):
        mib = 1048576.0
        body += ["### 50 dumps of one process", "",
                 "Python %s, idle in select(): RSS %.1f MiB before, %.1f MiB after the first dump (the shim "
                 "loaded, the allocator's working set), %.1f MiB after the last (peak %.1f MiB, growth after "
                 "the 5th dump %d KiB); threads and file descriptors unchanged; pause median %s." % (
                     soak["python"], soak["rss_before"] / mib, soak["rss_first"] / mib, soak["rss_last"] / mib,
                     soak["rss_peak"] / mib, soak.get("drift_after_5", 0) // 1024,
                     ms(sorted(soak["pauses"])[len(soak["pauses"]) // 2])), ""]
    if failed:
        body += ["**Failed in this run:** %s." % ", ".join(failed), ""]
    text = ""
    path = os.path.join(HERE, "RESULTS.md")
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    text = replace_section(text, "attach", "\n".join(body))
    if args.no_write:
        print(text)
    else:
        with open(path, "w") as f:
            f.write(text)
        sys.stderr.write("bench/attach: wrote %s\n" % path)
    os.rmdir(work) if not os.listdir(work) else None
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
