"""test_fork.py - the copy-on-write dump (pyshim/cow.h; label attach).

    PYTHON test_fork.py quiet    GRAPHLEAK --lib ATFORK_LIB   the target notices nothing
    PYTHON test_fork.py kill     GRAPHLEAK                    the target killed mid-walk: no child left
    PYTHON test_fork.py headroom GRAPHLEAK                    not enough memory: in place, and said
    PYTHON test_fork.py same     GRAPHLEAK                    both modes, one quiescent heap: one snapshot

quiet: a target with a C library's pthread_atfork handlers, Python's
os.register_at_fork handlers, a SIGCHLD handler and a thread reaping with
waitpid(-1) (fork_target.py) is dumped with --fork=always by dump --pid, by
dump --pid --signal and by graphleak.dump() in it: no handler is called,
no signal arrives, no child is seen, none is left. Then the target forks
once itself, and every counter must move (the instruments work).
"""
import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

from harness import FAILURES, Lines, check, log, stop
from test_attach import dump, run, shim_dir_for

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "fork_target.py")
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")
__WALL = 0x40000000


class ForkTarget(object):
    def __init__(self, gl, n, lib=None, signal_mode=False, env=None):
        e = dict(env or os.environ)
        sd = shim_dir_for(gl, sys.executable)
        e["PYTHONPATH"] = sd + (":" + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
        cmd = [sys.executable, TARGET, str(n), lib or "-"] + (["--signal"] if signal_mode else [])
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=e)
        self.pid = self.p.pid
        self.lines = Lines(self.p.stdout.fileno())
        line = self.lines.line(120) or b""
        if not line.startswith(b"ready"):
            self.kill()
            raise RuntimeError("fork_target did not start: %r" % line)

    def ask(self, cmd, timeout=120):
        self.p.stdin.write((cmd + "\n").encode())
        self.p.stdin.flush()
        line = self.lines.line(timeout)
        if line is None:
            return None, None
        word, _, rest = line.decode().partition(" ")
        return word, json.loads(rest) if rest[:1] in "[{" else rest

    def kill(self):
        stop(self.p)


def walkers_of(pid):
    """The graphleak-walk children of pid (from /proc)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == pid and comm == "graphleak-walk":
            found.append(int(d))
    return found


def cmd_quiet(gl, args):
    work = args.work
    t = ForkTarget(gl, 200000, lib=args.lib, signal_mode=True)
    try:
        _, c0 = t.ask("counts")
        check(c0 and c0.get("c_prepare") == 0, "quiet: the atfork library is loaded (%s)" % c0)
        results = []
        for how, extra in (("attach", []), ("signal", ["--signal"])):
            out = os.path.join(work, "quiet-%s-%d.snap" % (how, t.pid))
            rc, j, se, _ = dump(gl, t.pid, out, "--fork=always", *extra)
            check(rc == 0 and j and j.get("ok"), "quiet: dump --pid (%s) rc %d: %s" % (how, rc, se.strip()))
            check(j and j.get("fork") == "fork", "quiet: dump --pid (%s) walked in a child: %s" % (how, j and j.get("fork")))
            check(j and j.get("cow_private_bytes", 0) > 0, "quiet: (%s) reports the copy's cost" % how)
            results.append(j)
        out = os.path.join(work, "quiet-inproc-%d.snap" % t.pid)
        _, r = t.ask("dump %s always" % out)
        check(r and r.get("mode") == "fork" and os.path.exists(out),
              "quiet: graphleak.dump(fork='always') walked in a child: %s" % r)
        check(r and r.get("pause_seconds", 1) <= r.get("total_seconds", 0),
              "quiet: the pause is part of the dump's time: %s" % r)
        time.sleep(0.5)  # a late SIGCHLD, a late reap
        _, c = t.ask("counts")
        log("counts after three forked dumps: %s" % c)
        check(c["c_prepare"] == 0 and c["c_parent"] == 0 and c["c_child"] == 0,
              "quiet: no pthread_atfork handler called (%s)" % c)
        check(c["py_before"] == 0 and c["py_parent"] == 0 and c["py_child"] == 0,
              "quiet: no os.register_at_fork handler called (%s)" % c)
        check(c["sigchld"] == 0, "quiet: no SIGCHLD (%d)" % c["sigchld"])
        check(c["reaped"] == [] and c["waitpid_calls"] > 100,
              "quiet: waitpid(-1) saw no child in %d calls (%s)" % (c["waitpid_calls"], c["reaped"]))
        _, kids = t.ask("children")
        check(kids == [], "quiet: no child left (%s)" % kids)
        # the work directory is shared with tests running beside this one: only this test's files count
        mine = [f for f in os.listdir(work) if f.startswith(".quiet-") and ("-%d." % t.pid) in f and f.endswith(".part")]
        check(not mine, "quiet: no temporary file left (%s)" % mine)
        # the control: a fork of its own moves every counter
        t.ask("fork")
        time.sleep(0.3)
        _, c = t.ask("counts")
        check(c["c_prepare"] == 1 and c["c_parent"] == 1 and c["py_before"] == 1 and c["py_parent"] == 1,
              "control: os.fork() calls the handlers (%s)" % c)
        check(c["sigchld"] >= 1 and len(c["reaped"]) == 1, "control: os.fork()'s child is signalled and reaped (%s)" % c)
    finally:
        t.kill()


def cmd_kill(gl, args):
    # the test is the subreaper of what the target leaves: an orphaned walker
    # comes here, and is seen (and reaped) rather than lost to init
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    n = 600000 if SANITIZED else 3000000
    t = ForkTarget(gl, n)
    out = os.path.join(args.work, "killed-%d.snap" % t.pid)
    p = subprocess.Popen([gl, "dump", "--pid", str(t.pid), "-o", out, "--fork=always"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    walker = []
    try:
        end = time.time() + 60
        while time.time() < end and not walker and p.poll() is None:
            walker = walkers_of(t.pid)
            time.sleep(0.002)
        if not check(walker, "kill: a graphleak-walk child appeared (dump: %s)" % p.poll()):
            return
        log("walker %s of %d; killing the target" % (walker, t.pid))
        os.kill(t.pid, signal.SIGKILL)
        t.p.wait(30)
        gone, end = False, time.time() + 30
        while time.time() < end and not gone:
            try:
                pid, status = os.waitpid(walker[0], os.WNOHANG | __WALL)
                if pid == walker[0]:
                    check(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
                          "kill: the walker died of SIGKILL with its parent (status %#x)" % status)
                    gone = True
            except ChildProcessError:
                gone = not os.path.exists("/proc/%d" % walker[0])
            time.sleep(0.01)
        check(gone, "kill: the walker is gone within 30 s of the target's death")
        try:
            so, se = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            so, se = p.communicate()
        check(p.returncode not in (0, None), "kill: dump --pid failed (rc %s)" % p.returncode)
        log("dump said: %s" % se.decode(errors="replace").strip()[:300])
        left = [f for f in os.listdir(args.work) if f.startswith(".killed-%d" % t.pid) and f.endswith(".part")]
        check(not left and not os.path.exists(out), "kill: no snapshot and no temporary file left (%s)" % left)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        t.kill()


def cgroup_case(gl, t, work):
    """The target moved into a memory cgroup with little room left (v1 or
    v2, where this machine lets us make one): (ran, message)."""
    with open("/proc/self/cgroup") as f:
        lines = [l.strip().split(":", 2) for l in f]
    base = None
    for hid, ctrls, path in lines:
        if "memory" in ctrls.split(","):
            base = ("v1", "/sys/fs/cgroup/memory" + path.rstrip("/"))
    if base is None:
        for hid, ctrls, path in lines:
            if hid == "0":
                base = ("v2", "/sys/fs/cgroup" + path.rstrip("/"))
    if base is None:
        return False, "no memory cgroup"
    kind, parent = base
    cg = os.path.join(parent, "graphleak-test-%d" % os.getpid())
    try:
        os.mkdir(cg)
    except OSError as e:
        return False, "cannot create %s: %s" % (cg, e)
    home = None
    try:
        with open("/proc/%d/cgroup" % t.pid) as f:
            home = f.read()
        limf, usef = ("memory.limit_in_bytes", "memory.usage_in_bytes") if kind == "v1" else ("memory.max", "memory.current")
        try:
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(t.pid))
            with open(os.path.join(cg, usef)) as f:
                use = int(f.read())
            with open(os.path.join(cg, limf), "w") as f:
                f.write(str(use + (40 << 20)))
        except OSError as e:
            return False, "cannot limit %s: %s" % (cg, e)
        out = os.path.join(work, "cgroup-%d.snap" % t.pid)
        rc, j, se, _ = dump(gl, t.pid, out, env=dict(os.environ, GRAPHLEAK_FORK=""))
        check(rc == 0 and j and j.get("ok"), "headroom (cgroup %s): dump rc %d: %s" % (kind, rc, se.strip()))
        check(j and j.get("fork") == "in-place" and cg in (j.get("fork_note") or ""),
              "headroom (cgroup %s): walked in place, naming the cgroup: %s" % (kind, j and j.get("fork_note")))
        log("cgroup %s: %s" % (kind, j and j.get("fork_note")))
        return True, ""
    finally:
        # back home, then the cgroup removed
        try:
            with open(os.path.join(parent, "cgroup.procs"), "w") as f:
                f.write(str(t.pid))
        except OSError:
            pass
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.05)


def cmd_headroom(gl, args):
    work = args.work
    env = dict(os.environ, GRAPHLEAK_TEST_HEADROOM=str(16 << 20))
    env.pop("GRAPHLEAK_FORK", None)
    t = ForkTarget(gl, 100000, env=env)
    try:
        out = os.path.join(work, "headroom-%d.snap" % t.pid)
        rc, so, se, _ = run([gl, "dump", "--pid", str(t.pid), "-o", out], env=dict(os.environ, GRAPHLEAK_FORK=""))
        check(rc == 0 and os.path.exists(out), "headroom: dump rc %d: %s" % (rc, se.strip()))
        check("walked in place: not enough memory for a copy" in so and "GRAPHLEAK_TEST_HEADROOM" in so,
              "headroom: the output says it walked in place and why: %r" % so)
        _, r = t.ask("dump %s auto" % os.path.join(work, "headroom-inproc-%d.snap" % t.pid))
        check(r and r.get("mode") == "in-place" and "not enough memory" in r.get("fork_note", ""),
              "headroom: graphleak.dump() walked in place: %s" % r)
        _, r = t.ask("dump %s always" % os.path.join(work, "headroom-always-%d.snap" % t.pid))
        check(r and r.get("mode") == "fork", "headroom: fork='always' forks whatever the room: %s" % r)
        _, r = t.ask("dump %s never" % os.path.join(work, "headroom-never-%d.snap" % t.pid))
        check(r and r.get("mode") == "in-place" and not r.get("fork_note"), "headroom: fork='never': %s" % r)
        _, r = t.ask("dump %s sometimes" % os.path.join(work, "headroom-bad-%d.snap" % t.pid))
        check(r and "ValueError" in r.get("error", ""), "headroom: a bad fork= is a ValueError: %s" % r)
        rc, so, se, _ = run([gl, "dump", "--pid", str(t.pid), "-o", out + "x", "--fork", "sometimes"])
        check(rc == 2 and "--fork takes auto, always or never" in se, "headroom: --fork sometimes: rc %d %s" % (rc, se))
        rc, so, se, _ = run([gl, "run", "--fork", "sometimes", "--", sys.executable, "-c", "pass"])
        check(rc == 2 and "--fork takes auto, always or never" in se, "headroom: run --fork sometimes: rc %d %s" % (rc, se))
        rc, so, se, _ = run([gl, "dump", "--pid", str(t.pid), "-o", out + "y"], env=dict(os.environ, GRAPHLEAK_FORK="maybe"))
        check(rc == 2 and "GRAPHLEAK_FORK takes auto, always or never" in se,
              "headroom: GRAPHLEAK_FORK=maybe: rc %d %s" % (rc, se))
    finally:
        t.kill()
    env.pop("GRAPHLEAK_TEST_HEADROOM")
    t = ForkTarget(gl, 100000, env=env)
    try:
        ran, why = cgroup_case(gl, t, work)
        if not ran:
            log("the cgroup case did not run here (%s): the simulated headroom above stands for it" % why)
    finally:
        t.kill()


def records(gl, path):
    rc, so, se, _ = run([gl, "export", path], timeout=300)
    check(rc == 0, "export %s: rc %d %s" % (path, rc, se.strip()[:300]))
    objs = {}
    for line in so.splitlines():
        o = json.loads(line)
        if "addr" in o:
            objs[o["addr"]] = o
    return objs


def cmd_same(gl, args):
    t = ForkTarget(gl, 50000)
    try:
        paths = {}
        for mode in ("never", "always", "never"):
            p = os.path.join(args.work, "same-%s-%d-%d.snap" % (mode, len(paths), t.pid))
            _, r = t.ask("dump %s %s" % (p, mode))
            check(r and not r.get("error"), "same: dump %s: %s" % (mode, r))
            paths[len(paths)] = p
        a, b, c = records(gl, paths[0]), records(gl, paths[1]), records(gl, paths[2])
        # the two in-place dumps around the forked one bound what changes
        # between any two dumps of this heap (the call's own temporaries)
        def diff(x, y):
            only = len(set(x) ^ set(y))
            changed = 0
            for k in set(x) & set(y):
                ox, oy = x[k], y[k]
                if (ox["type"], ox["size"], ox.get("length"), sorted(map(tuple, ox["edges"]))) != \
                   (oy["type"], oy["size"], oy.get("length"), sorted(map(tuple, oy["edges"]))):
                    changed += 1
            return only, changed
        ref = diff(a, c)
        got = diff(a, b)
        log("objects %d/%d/%d; in place vs in place: %s only in one, %s changed; in place vs fork: %s, %s" % (
            len(a), len(b), len(c), ref[0], ref[1], got[0], got[1]))
        check(len(a) > 50000, "same: the heap is there (%d objects)" % len(a))
        check(got[0] <= ref[0] + 10 and got[1] <= ref[1] + 10,
              "same: the forked snapshot differs from the in-place one no more than two in-place ones do "
              "(%s vs %s)" % (got, ref))
    finally:
        t.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["quiet", "kill", "headroom", "same"])
    ap.add_argument("graphleak")
    ap.add_argument("--work", default=None)
    ap.add_argument("--lib", default=None)
    args = ap.parse_args()
    args.work = args.work or os.getcwd()
    os.makedirs(args.work, exist_ok=True)
    gl = os.path.abspath(args.graphleak)
    {"quiet": cmd_quiet, "kill": cmd_kill, "headroom": cmd_headroom, "same": cmd_same}[args.what](gl, args)
    if FAILURES:
        log("%d failure(s)" % len(FAILURES))
        sys.exit(1)
    log("ok")


if __name__ == "__main__":
    main()
