#!/usr/bin/env python3
"""Growth on real running processes: each target in growth/ runs under
`graphleak run`, gets SIGUSR2 three times while it grows, and `graphleak
growth` must name the growing container (its holder, growing at every
snapshot) and must not name a large cache that does not change.

usage: test_growth.py GRAPHLEAK PYTHON [TARGET ...]
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "growth")

# target -> (holder of the first growing container, holders that must not appear[,
#            holders that must appear too])
EXPECT = {
    "list_append": ("module __main__, global results", []),
    "random_cache": ("module __main__, global cache", []),
    "queue_backlog": ("module __main__, global jobs.queue", []),
    "stable_and_growing": ("module __main__, global audit_log", ["module __main__, global settings_cache"]),
    "bindparams": ("module __main__, global statements", []),
    "thread_local_swap": ("module __main__, global sessions", []),
    "three_globals": ("module __main__, global sessions", ["sys.modules['__main__']"],
                      ["module __main__, global listeners", "module __main__, global backlog"]),
}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("  FAIL:", what)
    return cond


def wait_for(path, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def run_target(graphleak, python, name, tmp):
    snap = os.path.join(tmp, name + ".snap")
    pidfile = os.path.join(tmp, name + ".pid")
    env = dict(os.environ, GL_PIDFILE=pidfile)
    p = subprocess.Popen([graphleak, "run", "-o", snap, "--", python, os.path.join(HERE, name + ".py")],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    snaps = [snap, snap[:-5] + "-2.snap", snap[:-5] + "-3.snap"]
    try:
        if not check(wait_for(pidfile, 30), "%s: the target did not start" % name):
            return None
        time.sleep(0.5)
        for s in snaps:
            p.send_signal(signal.SIGUSR2)
            if not check(wait_for(s, 30), "%s: no snapshot %s" % (name, s)):
                return None
            time.sleep(0.6)
        return snaps
    finally:
        p.kill()
        err = p.communicate(timeout=30)[1]
        if failures and failures[-1].startswith(name):
            print(err[-2000:])


def test_at_exit(graphleak, python, tmp):
    """Two snapshots while it runs, the last at exit: only the growing list
    is growing; the global whose co-holders (threads) ended is not, nor is
    sys.modules; graphleak's own frames are in no report."""
    print("at_exit (%s)" % python)
    snap = os.path.join(tmp, "at_exit.snap")
    pidfile = os.path.join(tmp, "at_exit.pid")
    env = dict(os.environ, GL_PIDFILE=pidfile)
    p = subprocess.Popen([graphleak, "run", "--at-exit", "-o", snap, "--", python, os.path.join(HERE, "at_exit.py")],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    snaps = [snap, snap[:-5] + "-2.snap", snap[:-5] + "-3.snap"]
    try:
        if not check(wait_for(pidfile, 30), "at_exit: the target did not start"):
            return
        time.sleep(0.5)
        for s in snaps[:2]:
            p.send_signal(signal.SIGUSR2)
            if not check(wait_for(s, 30), "at_exit: no snapshot %s" % s):
                return
            time.sleep(0.6)
        os.kill(int(open(pidfile).read()), signal.SIGTERM)
        err = p.communicate(timeout=60)[1]
        if not check(p.returncode == 0 and os.path.exists(snaps[2]),
                     "at_exit: exit %s, no snapshot at exit: %s" % (p.returncode, err[-1500:])):
            return
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate(timeout=30)
    r = subprocess.run([graphleak, "growth"] + snaps + ["--json", "--limit", "0"], capture_output=True, text=True)
    if not check(r.returncode == 0, "at_exit: growth failed: %s" % r.stderr):
        return
    g = json.loads(r.stdout)
    holders = [c["holder"] for c in g["growing"]]
    check(holders and holders[0] == "module __main__, global results",
          "at_exit: growing %s, expected module __main__, global results first" % holders)
    check("sys.modules" not in holders and "module __main__, global shared" not in holders,
          "at_exit: reported as growing: %s (their retained size rose only because the threads ended)" % holders)
    text = subprocess.run([graphleak, "growth"] + snaps, capture_output=True, text=True).stdout
    for cmd in (["suspects", snaps[2]], ["path", snaps[2], "--type", "dict", "--limit", "0"]):
        text += subprocess.run([graphleak] + cmd, capture_output=True, text=True).stdout
    own = [l for l in text.splitlines() if "graphleak_run" in l or "dump()" in l or "main.<locals>" in l]
    check(not own, "at_exit: graphleak's own frames in a report: %s" % own[:3])
    print("  growing: %s; graphleak's frames in no report" % holders[:3])


def test_watch(graphleak, python, tmp):
    """graphleak watch on a plain process (no shim loaded: dump --pid
    injects it): with --count, and stopped by SIGINT (Ctrl-C)."""
    print("watch (%s)" % python)
    pidfile = os.path.join(tmp, "watch.pid")
    env = dict(os.environ, GL_PIDFILE=pidfile)
    target = subprocess.Popen([python, os.path.join(HERE, "list_append.py")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not check(wait_for(pidfile, 30), "watch: the target did not start"):
            return
        pid = open(pidfile).read().strip()
        out = os.path.join(tmp, "w1")
        r = subprocess.run([graphleak, "watch", "--pid", pid, "--interval", "0.5", "--count", "3", "-o", out,
                            "--json"], capture_output=True, text=True, timeout=180)
        if check(r.returncode == 0, "watch --count 3 failed: %s" % r.stderr[-2000:]):
            g = json.loads(r.stdout)
            # sys.modules may grow between snapshots when the program imports
            # lazily (SQLAlchemy on a slow first round under ASan): an import,
            # not the story's leak, so the story's container is the first other
            grown = [c for c in g["growing"] if c["holder"] != "sys.modules"]
            top = grown[0] if grown else None
            check(len(g["snapshots"]) == 3 and top and top["holder"] == "module __main__, global results"
                  and top["verdict"] == "growing at every snapshot",
                  "watch: %d snapshots, first growing %s" % (len(g["snapshots"]), top))
            print("  --count 3: %s, %s" % (top and top["holder"], top and top["length"]))
        # until Ctrl-C: stopped after two snapshots, it still reports
        out = os.path.join(tmp, "w2")
        w = subprocess.Popen([graphleak, "watch", "--pid", pid, "--interval", "0.3", "--count", "0", "-o", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(os.path.join(out, "watch-2.snap"), 60)
        time.sleep(0.2)
        w.send_signal(signal.SIGINT)
        stdout, stderr = w.communicate(timeout=120)
        check(w.returncode == 0 and "Growing containers" in stdout and "module __main__, global results" in stdout,
              "watch stopped by SIGINT: exit %s, no report: %s %s" % (w.returncode, stdout[-500:], stderr[-500:]))
        check(target.poll() is None, "watch: the target stopped running")
        print("  stopped by SIGINT after %d snapshots: reported" % len([f for f in os.listdir(out) if f.endswith(".snap")]))
    finally:
        target.kill()
        target.wait(timeout=30)
    # cooperative mode: the program runs under graphleak run (SIGUSR2)
    pidfile = os.path.join(tmp, "watch-sig.pid")
    env = dict(os.environ, GL_PIDFILE=pidfile)
    target = subprocess.Popen([graphleak, "run", "--", python, os.path.join(HERE, "list_append.py")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not check(wait_for(pidfile, 30), "watch --signal: the target did not start"):
            return
        pid = open(pidfile).read().strip()
        r = subprocess.run([graphleak, "watch", "--pid", pid, "--signal", "--interval", "0.5", "--count", "2",
                            "--timeout", "20", "-o", os.path.join(tmp, "w3"), "--json"],
                           capture_output=True, text=True, timeout=180)
        if check(r.returncode == 0, "watch --signal failed: %s" % r.stderr[-2000:]):
            g = json.loads(r.stdout)
            check(g["growing"] and g["growing"][0]["holder"] == "module __main__, global results",
                  "watch --signal: first growing %s" % (g["growing"][:1],))
            print("  --signal: %s" % (g["growing"] and g["growing"][0]["holder"]))
    finally:
        target.kill()
        target.wait(timeout=30)


def main():
    graphleak, python = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or sorted(EXPECT)
    if os.environ.get("GRAPHLEAK_TEST_NO_GDB") == "1":
        # run with a PATH that has no gdb (tests/CMakeLists.txt): none is needed
        check(shutil.which("gdb") is None, "gdb is not on PATH (%s)" % shutil.which("gdb"))
    has_sqla = subprocess.run([python, "-c", "import sqlalchemy"], capture_output=True).returncode == 0
    ran = 0
    with tempfile.TemporaryDirectory(prefix="gl-growth-") as tmp:
        for name in names:
            if name == "bindparams" and not has_sqla:
                print("%s: not run: SQLAlchemy is not importable in %s (Debian's python3 has it)" % (name, python))
                continue
            print("%s (%s)" % (name, python))
            ran += 1
            snaps = run_target(graphleak, python, name, tmp)
            if not snaps:
                continue
            r = subprocess.run([graphleak, "growth"] + snaps + ["--json", "--limit", "0"], capture_output=True, text=True)
            if not check(r.returncode == 0, "%s: growth failed: %s" % (name, r.stderr)):
                continue
            g = json.loads(r.stdout)
            want, never = EXPECT[name][:2]
            also = EXPECT[name][2] if len(EXPECT[name]) > 2 else []
            # sys.modules may grow between snapshots when the program imports
            # lazily (SQLAlchemy on a slow first round under ASan): an import,
            # not the story's leak, so the story's container is the first other
            grown = [c for c in g["growing"] if c["holder"] != "sys.modules"]
            top = grown[0] if grown else None
            if check(top is not None and top["holder"] == want,
                     "%s: first growing container %s, expected %r" % (name, top and top["holder"], want)):
                check(top["verdict"] == "growing at every snapshot", "%s: verdict %r" % (name, top["verdict"]))
                check(all(top["length"][k] < top["length"][k + 1] for k in range(2)),
                      "%s: lengths %s do not rise" % (name, top["length"]))
                # none of these programs replaces its container: the same
                # object at every snapshot, not one that took its place
                check(top["matched_by"] == "identity" and len(set(top["addrs"])) == 1,
                      "%s: followed as %s through %s" % (name, top["matched_by"], top["addrs"]))
                print("  %s: %s items, verdict: %s" % (top["holder"], " -> ".join(map(str, top["length"])),
                                                       top["verdict"]))
            for h in never:
                check(all(x["holder"] != h for x in g["growing"]), "%s: %r reported as growing" % (name, h))
            for h in also:
                check(any(x["holder"] == h for x in g["growing"]), "%s: %r not reported as growing (%s)" %
                      (name, h, [x["holder"] for x in g["growing"]]))
            # the picture of it: well-formed SVG, the container marked with its figures
            svg = os.path.join(tmp, name + "-growth.svg")
            r = subprocess.run([graphleak, "render", "--growth"] + snaps + ["-o", svg], capture_output=True, text=True)
            if check(r.returncode == 0, "%s: render --growth failed: %s" % (name, r.stderr)):
                text = open(svg, encoding="utf-8").read()
                check("GROWING: " in text and want in text,
                      "%s: the SVG does not mark the growing container %r" % (name, want))
                x = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
                check(x.returncode == 0, "%s: the SVG is not well-formed XML: %s" % (name, x.stderr[:300]))
            # the new objects' holder: the container's, named as deep as all of
            # them lie (a queue's new items and its new counter: global jobs)
            fresh = g["new_objects"]["holders"]
            check(fresh and (want == fresh[0]["holder"] or want.startswith(fresh[0]["holder"] + ".")),
                  "%s: new objects mostly held by %s, expected %r" % (name, fresh and fresh[0]["holder"], want))
        if not sys.argv[3:]:
            ran += 2
            test_at_exit(graphleak, python, tmp)
            test_watch(graphleak, python, tmp)
    bad = len({f.split(":")[0] for f in failures})
    print("%d passed, %d failed" % (ran - bad, bad))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
