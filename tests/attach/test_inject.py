"""test_inject.py - graphleak's ptrace injector (attach/inject.c), label attach.

    PYTHON test_inject.py exact    BUILD    every register survives, on this CPU
    PYTHON test_inject.py restarts BUILD    every kind of interrupted system call resumes right
    PYTHON test_inject.py hazards  BUILD    signal storms, SIGSTOP/SIGCONT, thread churn

BUILD is the build directory (inject-probe, the C targets and the payload are
in BUILD/tests/attach; graphleak itself in BUILD). The C targets are not
Python: the injector is tested on its own, with a small library
(c/payload.c) in place of the shim. The hazards use Python targets
(targets.py) and `graphleak dump`. Every wait is bounded; every target is
killed at the end.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from harness import FAILURES, RUNNING, Lines, check, log, proc_state, stop

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets.py")


class Proc(object):
    """A target with a pipe on stdin and lines read from stdout, bounded."""

    def __init__(self, argv, cwd=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd)
        self.pid = self.p.pid
        self.lines = Lines(self.p.stdout.fileno())

    def line(self, timeout=10):
        l = self.lines.line(timeout)
        return None if l is None else l.decode()

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def kill(self):
        stop(self.p)


def run(argv, timeout=60):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class Build(object):
    def __init__(self, d):
        self.dir = os.path.abspath(d)
        a = os.path.join(self.dir, "tests", "attach")
        self.probe = os.path.join(a, "inject-probe")
        self.payload = os.path.join(a, "inject_payload.so")
        self.regs = os.path.join(a, "regs-target")
        self.restart = os.path.join(a, "restart-target")
        self.storm = os.path.join(a, "storm")
        self.graphleak = os.path.join(self.dir, "graphleak")

    def inject(self, pid, symbol="graphleak_test_count", arg="x", *extra):
        rc, so, se = run([self.probe, "inject", str(pid), self.payload, symbol, arg] + list(extra))
        try:
            j = json.loads(so)
        except ValueError:
            j = {"status": "no-json", "message": so + se}
        return rc, j, se

    def state(self, pid, tid):
        rc, so, se = run([self.probe, "state", str(pid), str(tid)])
        if rc != 0:
            return None
        return dict(l.split(" ", 1) for l in so.splitlines() if " " in l)


def wait_in_read(pid, bound=30.0):
    """Until the thread is asleep in read(2) (the state the idle path needs),
    or the bound passes: a loaded machine may take a while to get it there
    after its last answer. True when it is."""
    end = time.time() + bound
    while time.time() < end:
        try:
            with open("/proc/%d/syscall" % pid) as f:
                nr = f.read().split()[0]
            if nr == "0" and proc_state(pid)[0] == "S":
                return True
        except (OSError, IndexError):
            pass
        time.sleep(0.005)
    return False


def cpu_has(flag):
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("flags"):
                return flag in l.split()
    return False


# ---- exactness --------------------------------------------------------------------------

def cmd_exact(b, args):
    """regs-target keeps sentinels in every vector register the CPU has
    (zmm/ymm/xmm, k0-7, AMX tiles where present), r12-r15, MXCSR and the x87
    control word across a blocking read(); 50 injections, each followed by a
    round of its own check; before and after some of them, the thread's whole
    state read with plain ptrace must be identical; and a deliberate change
    of one bit (the control) must be seen."""
    t = Proc([b.regs])
    try:
        ready = t.line()
        if not check(ready and ready.startswith("ready"), "exact: target ready (%r)" % ready):
            return
        _, pid, level, amx = ready.split()
        pid = int(pid)
        log("exact: CPU %s, vector level %s, %s" % (cpu_model(), level, amx))
        if cpu_has("amx_tile"):
            check(amx == "amx=1", "exact: the CPU has AMX, the target must keep tiles too (%s)" % amx)
        if cpu_has("avx512f"):
            check(level == "avx512", "exact: the CPU has AVX-512, the target must use zmm (%s)" % level)
        # a control round: read() alone keeps everything
        time.sleep(0.05)
        t.send(b"c")
        check(t.line() == "ok 0", "exact: control round without injection is ok")
        sizes = set()
        compared = 0
        for i in range(1, 51):
            check(wait_in_read(pid), "exact: the target blocked in read() before injection %d" % i)
            compare = i % 5 == 1
            s0 = b.state(pid, pid) if compare else None
            rc, j, se = b.inject(pid, "graphleak_test_count", "x", "--idle")
            if not check(rc == 0 and j.get("status") == "ok", "exact: injection %d: %s %s" % (i, j, se.strip()[-300:])):
                break
            check(j.get("tid") == pid and j.get("how") == "idle" and j.get("retval") == i,
                  "exact: injection %d ran in the blocked thread, call %d (%s)" % (i, i, j))
            sizes.add(j.get("ext_bytes"))
            if compare:
                s1 = b.state(pid, pid)
                if check(s0 is not None and s1 is not None, "exact: state read around injection %d" % i):
                    for k in ("gp", "xstate", "sigmask"):
                        check(s0[k] == s1[k], "exact: %s identical before and after injection %d" % (k, i))
                    check(int(s0["xstate"].split()[0]) == j.get("ext_bytes"),
                          "exact: the injector used the kernel's xstate size (%s vs %s)" % (
                              s0["xstate"].split()[0], j.get("ext_bytes")))
                    compared += 1
            t.send(b"x")
            got = t.line()
            check(got == "ok %d" % i, "exact: round %d after injection %d: %r" % (i, i, got))
        check(len(sizes) == 1, "exact: one xstate size throughout (%s)" % sizes)
        # the control: one bit of xmm0 changed from outside must be reported
        time.sleep(0.05)
        rc, so, se = run([b.probe, "clobber", str(pid), str(pid)])
        check(rc == 0, "exact: clobber control ran (%s)" % se.strip())
        t.send(b"x")
        got = t.line()
        check(got is not None and got.startswith("BAD 51 ") and "mm0" in got,
              "exact: a changed xmm0 is noticed (%r)" % got)
        log("exact: 50 injections, registers kept, state identical in %d comparisons, xstate %s bytes" % (
            compared, sorted(sizes)))
    finally:
        t.kill()


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    return "?"


# ---- restarts ---------------------------------------------------------------------------

SECONDS = 2.0
INJECT_AT = 1.0


def one_restart(b, mode, work):
    """restart-target blocked in MODE; an injection (idle path, payload
    writing a file from its thread) at INJECT_AT; then the call must end as
    it would have without it."""
    t = Proc([b.restart, mode, str(SECONDS)], cwd=work)
    try:
        ready = t.line()
        if not check(ready and ready.startswith("ready"), "%s: ready (%r)" % (mode, ready)):
            return
        t0 = time.time()
        _, pid, port = ready.split()
        pid, port = int(pid), int(port)
        time.sleep(INJECT_AT)
        mark = os.path.join(work, "%s-%d.mark" % (mode, pid))
        rc, j, se = b.inject(pid, "graphleak_test_entry", mark, "--idle")
        check(rc == 0 and j.get("status") == "ok" and j.get("retval") == 0,
              "%s: injection ok (%s %s)" % (mode, j, se.strip()[-300:]))
        check(j.get("tid") == pid, "%s: the injection ran in the blocked main thread (%s)" % (mode, j.get("where")))
        end = time.time() + 5
        while not os.path.exists(mark) and time.time() < end:
            time.sleep(0.01)
        check(os.path.exists(mark), "%s: the payload's thread ran (%s)" % (mode, mark))
        state, tracer = proc_state(pid)
        check(tracer == 0, "%s: untraced after the injection" % mode)
        # wake it where the call waits for something
        if mode == "accept":
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        elif mode == "futex":
            t.send(b"p")
        elif mode == "sigsuspend":
            time.sleep(0.5)
            t_sig = time.time() - t0
            os.kill(pid, signal.SIGUSR1)
        elif mode == "epoll":
            t.send(b"x")
        done = t.line(15)
        if not check(done and done.startswith("done"), "%s: finished (%r)" % (mode, done)):
            return
        d = dict(kv.split("=") for kv in done.split()[1:])
        rc, err, el = int(d["rc"]), int(d["errno"]), float(d["elapsed"])
        check(d["mask_ok"] == "1", "%s: signal mask as before the call (%s)" % (mode, done))
        check(err not in range(512, 517), "%s: no kernel restart code leaked to the program (%s)" % (mode, done))
        if mode in ("accept", "futex"):
            check(rc >= 0 and err == 0, "%s: the call succeeded (%s)" % (mode, done))
        elif mode in ("pselect", "ppoll", "abs-sleep", "nanosleep"):
            # a restart from scratch would end at INJECT_AT + SECONDS; EINTR early
            check(rc == 0 and err == 0, "%s: timed out normally, rc 0 (%s)" % (mode, done))
            check(SECONDS - 0.01 <= el < SECONDS + 0.8 * INJECT_AT,
                  "%s: slept its time once (%.3f s of %.1f; a restart from scratch: %.1f)" % (
                      mode, el, SECONDS, SECONDS + INJECT_AT))
        elif mode == "sigsuspend":
            check(rc == -1 and err == 4 and d["handled"] == "1",
                  "%s: returned EINTR once, for our SIGUSR1, handled (%s)" % (mode, done))
            check(el >= t_sig - 0.05, "%s: did not return before the signal (%.3f s, signal at %.3f s)" % (
                mode, el, t_sig))
        elif mode == "epoll":
            check(rc == 1 and int(d["eintr"]) <= 1, "%s: woke for stdin, at most one EINTR (%s)" % (mode, done))
        if mode != "sigsuspend":
            check(d["handled"] == "0", "%s: no signal delivered (%s)" % (mode, done))
        log("%-10s ok: %s (stopped %.2f ms)" % (mode, done, 1000 * (j.get("stopped_seconds") or 0)))
    finally:
        t.kill()


def cmd_restarts(b, args):
    work = tempfile.mkdtemp(prefix="inject-restarts-", dir=args.work)
    try:
        for mode in ("accept", "futex", "pselect", "ppoll", "sigsuspend", "abs-sleep", "nanosleep", "epoll"):
            one_restart(b, mode, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- hazards ---------------------------------------------------------------------------

class PyTarget(Proc):
    def __init__(self, py, mode, work):
        Proc.__init__(self, [py, TARGETS, mode], cwd=work)
        l = self.line(15)
        if not l or not l.startswith("ready"):
            self.kill()
            raise RuntimeError("target %s did not start: %r" % (mode, l))
        time.sleep(0.2)

    def ping(self):
        self.send(b"ping\n")
        l = self.line(10)
        if not l or not l.startswith("pong "):
            return None
        return json.loads(l[5:])


def gdump(b, pid, out, *extra):
    rc, so, se = run([b.graphleak, "dump", "--pid", str(pid), "-o", out, "--json"] + list(extra), timeout=120)
    try:
        j = json.loads(so)
    except ValueError:
        j = {}
    return rc, j, se


def healthy(t, before, what, keys=("data", "modules")):
    """Running (harness.RUNNING), untraced, and answering with the state it had."""
    state, tracer = proc_state(t.pid)
    check(tracer == 0 and state in RUNNING, "%s: running, untraced (%s, %d)" % (what, state, tracer))
    now = t.ping()
    check(now is not None and all(now.get(k) == before.get(k) for k in keys),
          "%s: answers with the same state (%s)" % (what, now))
    return now


def cmd_hazards(b, args):
    py = sys.executable
    work = tempfile.mkdtemp(prefix="inject-hazards-", dir=args.work)
    try:
        # 1. SIGUSR1 every 200 us (a Python handler counts them) during 5 dumps
        t = PyTarget(py, "storm", work)
        try:
            before = t.ping()
            st = subprocess.Popen([b.storm, str(t.pid), "usr1", "200", "8"], stdout=subprocess.PIPE)
            time.sleep(0.3)
            ok = 0
            for k in range(5):
                out = os.path.join(work, "storm-%d.snap" % k)
                rc, j, se = gdump(b, t.pid, out)
                if check(rc == 0 and j.get("ok"), "storm: dump %d during SIGUSR1 every 200 us (%s)" % (k, se.strip()[-300:])):
                    ok += 1
                    os.unlink(out)
            so, _ = st.communicate(timeout=30)
            now = healthy(t, before, "storm")
            check(now and now.get("usr1", 0) > 1000, "storm: the handler saw the signals (%s; %s)" % (
                now and now.get("usr1"), so.decode().strip()))
            log("storm      ok: %d dumps under %s, handler counted %s" % (ok, so.decode().strip(), now and now.get("usr1")))
        finally:
            t.kill()
        # 2. SIGSTOP and SIGCONT every 20 ms during dumps: clean outcomes only
        t = PyTarget(py, "select", work)
        try:
            before = t.ping()
            st = subprocess.Popen([b.storm, str(t.pid), "stopcont", "20000", "4"], stdout=subprocess.PIPE)
            outcomes = {}
            end = time.time() + 3.5
            k = 0
            while time.time() < end:
                out = os.path.join(work, "stop-%d.snap" % k)
                rc, j, se = gdump(b, t.pid, out, "--timeout", "2")
                check(rc in (0, 1), "stopcont: dump %d ended 0 or 1 (%d: %s)" % (k, rc, se.strip()[-200:]))
                key = "ok" if rc == 0 else (j.get("status") or "?")
                outcomes[key] = outcomes.get(key, 0) + 1
                if os.path.exists(out):
                    os.unlink(out)
                k += 1
            so, _ = st.communicate(timeout=30)
            time.sleep(0.1)
            healthy(t, before, "stopcont")
            log("stopcont   ok: %d dumps, outcomes %s (%s)" % (k, outcomes, so.decode().strip()))
        finally:
            t.kill()
        # 3. threads created and exiting all the time, every thread busy: the
        # allocator path, with new threads followed (PTRACE_O_TRACECLONE)
        t = PyTarget(py, "churn", work)
        try:
            before = t.ping()
            hows = []
            for k in range(5):
                out = os.path.join(work, "churn-%d.snap" % k)
                rc, j, se = gdump(b, t.pid, out)
                check(rc == 0 and j.get("ok"), "churn: dump %d (%s)" % (k, se.strip()[-300:]))
                hows.append((j.get("safe_point") or "?").split(" thread")[0])
                if os.path.exists(out):
                    os.unlink(out)
            healthy(t, before, "churn")
            log("churn      ok: 5 dumps (%s)" % ", ".join(hows))
        finally:
            t.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["exact", "restarts", "hazards"])
    ap.add_argument("build")
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    b = Build(args.build)
    if args.work:
        os.makedirs(args.work, exist_ok=True)
    if os.environ.get("GRAPHLEAK_TEST_NO_GDB") == "1":
        check(shutil.which("gdb") is None, "gdb is not on PATH (%s)" % shutil.which("gdb"))
    t0 = time.time()
    {"exact": cmd_exact, "restarts": cmd_restarts, "hazards": cmd_hazards}[args.what](b, args)
    log("%s: %.1f s, %d failure(s)" % (args.what, time.time() - t0, len(FAILURES)))
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
