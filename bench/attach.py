#!/usr/bin/env python3
"""Figures for `graphleak dump --pid`, written into the `attach` section of
bench/RESULTS.md (<!-- attach --> ... <!-- /attach -->; the other sections,
and the figures of the earlier gdb driver in <!-- attach-gdb -->, are left
alone).

  injector  in every interpreter of BUILD/pyshim/shims.tsv, 20 dumps of a
            process idle in select() (the idle path) and 20 of a process
            busy in a pure-Python loop (the allocator-breakpoint path): the
            injector's start to its last detach, and how long the thread that
            made the calls was stopped; median, p90, max, and the first dump
            (which loads the shim) apart
  states    tests/attach/test_attach.py states with reports: every target
            state in every interpreter: the pause (GIL held by the dump)
  load      Flask (Debian's python3, werkzeug's threaded server) on 127.0.0.1
            under `ab -n 3000 -c 8` while 5 dumps are taken
  soak      200 dumps of one process: RSS, threads and fds
  big       a process holding 1,000,000 gc-tracked objects (bench/heap.py),
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


def run_report(python, what, gl, work, extra=()):
    fd, rep = tempfile.mkstemp(suffix=".json", dir=work)
    os.close(fd)
    p = subprocess.run([python, TEST, what, gl, "--work", work, "--report", rep] + list(extra),
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


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else None


def run_injector(python, gl, work, mode, n=20):
    """n + 1 dumps of a targets.py process in `mode`; the first apart (it
    loads the shim). Returns {first, inject: [...], stopped: [...], how}."""
    import time
    targets = os.path.join(ROOT, "tests", "attach", "targets.py")
    p = subprocess.Popen([python, targets, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    res = {"inject": [], "stopped": [], "how": set(), "failed": 0}
    try:
        if not p.stdout.readline().startswith(b"ready"):
            return None
        time.sleep(0.2)
        for k in range(n + 1):
            snap = os.path.join(work, "inj-%d.snap" % k)
            r = subprocess.run([gl, "dump", "--pid", str(p.pid), "-o", snap, "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
            try:
                j = json.loads(r.stdout)
            except ValueError:
                j = {}
            if os.path.exists(snap):
                os.unlink(snap)
            if not j.get("ok"):
                res["failed"] += 1
                continue
            fig = (j["inject_seconds"], j["thread_stopped_seconds"])
            res["how"].add(j.get("safe_point", "").split(": thread")[0].split(" thread")[0])
            if k == 0:
                res["first"] = fig
            else:
                res["inject"].append(fig[0])
                res["stopped"].append(fig[1])
    finally:
        p.kill()
        p.wait()
    return res


def three(v):
    return "%s / %s / %s" % (ms(pct(v, 0.5)), ms(pct(v, 0.9)), ms(max(v) if v else None))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    gl = os.path.join(os.path.abspath(args.build), "graphleak")
    # the interpreter each minor version's shim was built from (shims.tsv:
    # minor, version, interpreter, folder), and Debian's python3 when a shim
    # of its minor version serves it
    pythons = []
    with open(os.path.join(args.build, "pyshim", "shims.tsv")) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 4:
                pythons.append((p[2], p[1]))
    system = os.path.realpath("/usr/bin/python3")
    if os.path.exists(system) and all(os.path.realpath(e) != system for e, _ in pythons):
        v = subprocess.check_output([system, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                                    text=True).strip()
        if any(v.rsplit(".", 1)[0] == ver.rsplit(".", 1)[0] for _, ver in pythons):
            pythons.append((system, v))
    work = tempfile.mkdtemp(prefix="bench-attach-")
    states, failed, inj = [], [], []
    for exe, ver in pythons:
        sys.stderr.write("bench/attach: injector in %s %s\n" % (ver, exe))
        idle = run_injector(exe, gl, work, "select")
        busy = run_injector(exe, gl, work, "busy")
        if not idle or not busy or idle["failed"] or busy["failed"]:
            failed.append("injector %s" % ver)
        inj.append((ver, exe, idle, busy))
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
    soak_ok, soak = run_report(system, "soak", gl, work, ("--count", "200"))
    sys.stderr.write("bench/attach: 1M objects\n")
    big = run_big(system, gl, work)
    if not big:
        failed.append("big")
    if not load_ok:
        failed.append("load")
    if not soak_ok:
        failed.append("soak")

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    with open("/proc/cpuinfo") as f:
        amx = "amx_tile" in f.read()
    when = "%s, %s (%s), %d CPUs, Linux %s" % (datetime.date.today().isoformat(), cpu,
                                               "AMX" if amx else "no AMX", os.cpu_count() or 0, platform.release())
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
                cells.append("%s / %s" % (ms(f["pause"]), ms(f["attached"])))
        rows.append("| %s (%s) | %s |" % (ver, exe, " | ".join(cells)))
    where = []
    if states:
        for f in states[0][2]:
            if f.get("safe_point"):
                where.append("%s: %s" % (f["state"], f["safe_point"].split(" thread ")[0] + " " +
                                         f["safe_point"].split(" in ", 1)[-1]))

    irows = ["| interpreter | idle: start to detach | idle: thread stopped | breakpoint: start to detach | "
             "breakpoint: thread stopped | first dump (idle / breakpoint): start to detach, stopped |",
             "|---|---|---|---|---|---|"]
    all_idle, all_bp, all_si, all_sb = [], [], [], []
    for ver, exe, idle, busy in inj:
        if not idle or not busy:
            irows.append("| %s (%s) | failed | | | | |" % (ver, exe))
            continue
        all_idle += idle["inject"]
        all_si += idle["stopped"]
        all_bp += busy["inject"]
        all_sb += busy["stopped"]
        f1, f2 = idle.get("first"), busy.get("first")
        irows.append("| %s (%s) | %s | %s | %s | %s | %s, %s / %s, %s |" % (
            ver, exe, three(idle["inject"]), three(idle["stopped"]), three(busy["inject"]), three(busy["stopped"]),
            ms(f1[0]) if f1 else "-", ms(f1[1]) if f1 else "-", ms(f2[0]) if f2 else "-", ms(f2[1]) if f2 else "-"))
    body = ["## Attaching to a live process (`graphleak dump --pid`)", "",
            when + ". Run by `bench/attach.py`.", "",
            "### The injector", "",
            "graphleak's own ptrace injector (attach/inject.c), 20 dumps per cell after a first one that loads the "
            "shim, each cell median / p90 / max. *Start to detach*: from the injector's start (reading /proc and "
            "the ELF files, nothing stopped yet) to its last detach; *thread stopped*: how long the one thread "
            "that made the calls was stopped (the other threads run throughout on the idle path; on the "
            "breakpoint path they are traced, not stopped, while the breakpoints wait). Idle path: a process "
            "blocked in select(); breakpoint path: a process busy in a pure-Python loop (no thread idle, the "
            "first safe allocator entry). Targets: idle median <= 10 ms, breakpoint median <= 25 ms, thread "
            "stopped median <= 2 ms.", ""] + irows + [
            "",
            "All interpreters: idle %s (start to detach, median / p90 / max), thread stopped %s; breakpoint %s, "
            "thread stopped %s. The gdb driver this replaced attached for 50-240 ms on the same targets (and "
            "6-13 s when gdb started cold; figures below, in the gdb section)." % (
                three(all_idle), three(all_si), three(all_bp), three(all_sb)), "",
            "### Pause per interpreter and target state", "",
            "Each cell: the pause (how long the dump held the GIL: the target's Python threads "
            "could not run) / how long the injector traced a thread (first seize to last detach). Signal "
            "modes have no injector. "
            "Small heaps (the targets of tests/attach, about %s objects in the snapshot); the same at 1M "
            "below." % ("{:,}".format(sorted(f["objects"] for _, _, fs in states for f in fs if f.get("objects"))[
                len([1 for _, _, fs in states for f in fs if f.get("objects")]) // 2]) if states else "?"),
            ""] + rows + [""]
    if where:
        body += ["Where the injection happened (%s): %s." % (states[0][0], "; ".join(where)), ""]
    if big:
        body += ["### At scale", "",
                 "Debian's python3 holding 1,000,000 gc-tracked objects (`bench/heap.py`, %s objects in the "
                 "snapshot), idle in select(), 3 dumps: pause %s; injector start to detach %s; whole command %s." % (
                     "{:,}".format(big[0]["objects"]),
                     " / ".join(ms(j["pause_seconds"]) for j in big),
                     " / ".join(ms(j["inject_seconds"]) for j in big),
                     " / ".join("%.2f s" % j["wall_seconds"] for j in big)), ""]
    if load:
        d = load.get("dumps", [])
        pauses = [x["pause_seconds"] for x in d]
        att = [x["thread_stopped_seconds"] for x in d]
        body += ["### Under load", "",
                 "Flask app (Debian's python3-flask%s, werkzeug's threaded server, Debian's python3 %s) on 127.0.0.1, "
                 "`ab -n 3000 -c 8`, 5 dumps taken while it runs (%d of them during the load):" % (
                     "", load.get("python") or "", load.get("during_load", 0)), "",
                 "| requests | failed | non-2xx | req/s | p99 | longest | pause (min / max) | thread stopped (min / max) |",
                 "|---|---|---|---|---|---|---|---|",
                 "| %d | %d | %d | %.0f | %s ms | %s ms | %s / %s | %s / %s |" % (
                     load.get("complete", 0), load.get("failed", -1), load.get("non2xx", 0), load.get("rps", 0),
                     load.get("p99_ms"), load.get("longest_ms"), ms(min(pauses) if pauses else None),
                     ms(max(pauses) if pauses else None), ms(min(att) if att else None), ms(max(att) if att else None)), "",
                 "The longest request includes the time one server thread was stopped by the injector and "
                 "then paused by the dump.", ""]
    if soak and soak.get("rss"):
        mib = 1048576.0
        body += ["### %d dumps of one process" % soak.get("count", 0), "",
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
