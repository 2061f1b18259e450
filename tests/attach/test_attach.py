"""test_attach.py - `graphleak dump --pid` end to end (label attach).

    PYTHON test_attach.py states GRAPHLEAK [--report FILE]   every target state, attach and signal modes
    PYTHON test_attach.py errors GRAPHLEAK                    the error cases, each message and exit code
    PYTHON test_attach.py gil    GRAPHLEAK                    GIL held in C: timeout, busy, recovery, exit mid-dump
    PYTHON test_attach.py load   GRAPHLEAK [--report FILE]   Flask under ab while dumps are taken (slow)
    PYTHON test_attach.py soak   GRAPHLEAK [--report FILE]   50 dumps of one process (slow)

The targets (targets.py) run under the interpreter running this script,
with this script's environment (in the sanitizer build: the ASan runtime
preloaded, see pyshim/CMakeLists.txt). Every wait is bounded; every target
is killed at the end, whatever happens.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from harness import FAILURES, RUNNING, Lines, check, log, proc_state, schema_problem, stop

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets.py")
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")


def shim_dir_for(gl, py):
    """The shim directory for interpreter py, found as graphleak finds it:
    shims.tsv in pyshim/ beside it (a build tree) or in ../lib/graphleak
    (an installed tree, which names its folders relative to the manifest),
    the line of py's minor version."""
    minor = subprocess.run([py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    here = os.path.dirname(os.path.realpath(gl))
    for d in ("pyshim", "../lib/graphleak", "../lib64/graphleak"):
        manifest = os.path.join(here, d, "shims.tsv")
        if not os.path.isfile(manifest):
            continue
        with open(manifest) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) == 4 and p[0] == minor:
                    return os.path.normpath(os.path.join(os.path.dirname(manifest), p[3]))
        return None
    return None


class Target(object):
    """A targets.py process in some state, with pings over its stdin/stdout."""

    def __init__(self, mode, cwd, py=None, extra=(), argv=None, env=None, preexec=None):
        self.mode = mode
        cmd = argv or [py or sys.executable, TARGETS, mode] + list(extra)
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd,
                                  env=env, preexec_fn=preexec)
        self.pid = self.p.pid
        self.lines = Lines(self.p.stdout.fileno())
        line = self._readline(15)
        if not line.startswith(b"ready"):
            self.kill()
            raise RuntimeError("target %s did not start: %r" % (mode, line))
        self.port = int(line.split()[1])
        time.sleep(0.2)  # into its blocking call

    def _readline(self, timeout):
        return self.lines.line(timeout) or b""

    def ping(self, timeout=10):
        if self.mode == "accept":
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as c:
                data = b""
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            line = data.split(b"\n", 1)[0]
        else:
            self.p.stdin.write(b"ping\n")
            self.p.stdin.flush()
            line = self._readline(timeout)
        if not line.startswith(b"pong "):
            return None
        return json.loads(line[5:].decode())

    def alive(self):
        return self.p.poll() is None

    def tasks(self):
        try:
            return sorted(os.listdir("/proc/%d/task" % self.pid))
        except OSError:
            return None

    def helpers(self):
        """graphleak's helper threads still in the process (a dump that the
        CLI gave up on goes on to its end: its snapshot, or its copy-on-write
        child's, is complete only then)."""
        n = 0
        try:
            for tid in os.listdir("/proc/%d/task" % self.pid):
                try:
                    with open("/proc/%d/task/%s/comm" % (self.pid, tid)) as f:
                        n += f.read().strip() == "graphleak-dump"
                except OSError:
                    pass
        except OSError:
            pass
        return n

    def fds(self):
        out = {}
        try:
            for fd in os.listdir("/proc/%d/fd" % self.pid):
                try:
                    out[fd] = os.readlink("/proc/%d/fd/%s" % (self.pid, fd))
                except OSError:
                    pass
        except OSError:
            return None
        return out

    def rss(self):
        with open("/proc/%d/statm" % self.pid) as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def kill(self):
        stop(self.p)


def run(cmd, timeout=60, env=None):
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), time.time() - t0


def dump(gl, pid, out, *extra, timeout=120, env=None):
    """graphleak dump --json; returns (rc, parsed JSON or None, stderr, seconds).
    The JSON must follow its schema (docs/json/graphleak.schema.json)."""
    rc, so, se, dt = run([gl, "dump", "--pid", str(pid), "-o", out, "--json"] + list(extra), timeout=timeout, env=env)
    try:
        j = json.loads(so)
    except ValueError:
        j = None
    if j is not None and rc in (0, 1):
        why = schema_problem(so)
        check(why is None, "dump --json follows its schema: %s" % why)
    return rc, j, se, dt


def valid_snapshot(gl, path, pid):
    rc, so, se, _ = run([gl, "info", path, "--json"])
    if not check(rc == 0, "graphleak info %s: rc %d %s" % (path, rc, se.strip())):
        return False
    info = json.loads(so)
    hdr = info.get("header", info)
    ok = check(str(pid) in so, "snapshot %s is of pid %d" % (path, pid))
    rc, so, se, _ = run([gl, "top", path, "--limit", "30", "--json"])
    ok = check(rc == 0 and "Record" in so, "graphleak top %s names Record: rc %d %s" % (path, rc, se.strip())) and ok
    st = os.stat(path)
    ok = check((st.st_mode & 0o777) == 0o600, "%s has mode 0600 (%o)" % (path, st.st_mode & 0o777)) and ok
    del hdr
    return ok


def settle(t, tasks0, limit=3.0):
    """Waits (bounded) for the helper thread to be gone: the task list back."""
    end = time.time() + limit
    while time.time() < end:
        if t.tasks() == tasks0:
            return True
        time.sleep(0.02)
    return t.tasks() == tasks0


def one_state(gl, py, mode, work, figures, extra_dump=(), label=None, argv=None, env=None):
    label = label or mode
    t = Target(mode, work, py, argv=argv, env=env)
    try:
        before = t.ping()
        check(before is not None, "%s: first ping" % label)
        tasks0, fds0 = t.tasks(), t.fds()
        out = os.path.join(work, "%s-%d.snap" % (label, t.pid))
        rc, j, se, dt = dump(gl, t.pid, out, *extra_dump)
        if not check(rc == 0 and j and j.get("ok"), "%s: dump rc %d: %s" % (label, rc, se.strip())):
            return
        log("%s: dump took %.2f s" % (label, dt))  # figures in bench/, not asserted here (shared machines)
        check(os.path.exists(out) and valid_snapshot(gl, out, t.pid), "%s: valid snapshot" % label)
        check(t.alive(), "%s: target alive after the dump" % label)
        after = t.ping()
        check(after == before, "%s: state unchanged (%s vs %s)" % (label, before, after))
        check(settle(t, tasks0), "%s: threads back to %s (now %s)" % (label, tasks0, t.tasks()))
        check(t.fds() == fds0, "%s: file descriptors unchanged (%s vs %s)" % (label, fds0, t.fds()))
        left = [f for f in os.listdir(work) if f.endswith(".part")]
        check(not left, "%s: no temporary files left (%s)" % (label, left))
        figures.append({"state": label, "pause": j.get("pause_seconds"), "gil_wait": j.get("gil_wait_seconds"),
                        "attached": j.get("attached_seconds"), "wall": j.get("wall_seconds"),
                        "objects": j.get("objects"), "safe_point": j.get("safe_point")})
        log("%-8s ok: pause %.4f s, gil wait %.4f s, attached %s s, wall %.2f s, %s" % (
            label, j.get("pause_seconds", 0), j.get("gil_wait_seconds", 0), j.get("attached_seconds"),
            j.get("wall_seconds", 0), j.get("safe_point", j.get("mode"))))
        # a second dump of the same process reuses the loaded shim
        out2 = os.path.join(work, "%s-%d-2.snap" % (label, t.pid))
        rc, j, se, dt = dump(gl, t.pid, out2, *extra_dump)
        check(rc == 0 and j and j.get("ok") and os.path.exists(out2), "%s: second dump rc %d: %s" % (label, rc, se.strip()))
        check(t.ping() == before, "%s: state unchanged after the second dump" % label)
    finally:
        t.kill()


def cmd_states(gl, args):
    py = sys.executable
    work = tempfile.mkdtemp(prefix="attach-states-", dir=args.work)
    figures = []
    try:
        for mode in ("accept", "select", "epoll", "sleep", "lock", "busy", "threads"):
            one_state(gl, py, mode, work, figures)
        # cooperative mode: graphleak.enable_signal() in the program
        sd = shim_dir_for(gl, py)
        env = dict(os.environ, PYTHONPATH=sd or "")
        one_state(gl, py, "signal", work, figures, extra_dump=("--signal",), label="enable_signal", env=env)
        # cooperative mode under `graphleak run`, and attaching to a process
        # that imported the same shim (dlopen returns the loaded library)
        argv = [gl, "run", "--", py, TARGETS, "select"]
        one_state(gl, py, "select", work, figures, extra_dump=("--signal",), label="run+signal", argv=argv)
        one_state(gl, py, "select", work, figures, label="run+attach", argv=argv)
        # a plain SIGUSR2 without a request still dumps to the default name
        t = Target("signal", work, py, env=env)
        try:
            os.kill(t.pid, signal.SIGUSR2)
            want = os.path.join(work, "graphleak-%d-1.snap" % t.pid)
            end = time.time() + 10
            while not os.path.exists(want) and time.time() < end:
                time.sleep(0.05)
            check(os.path.exists(want), "enable_signal: SIGUSR2 without a request wrote %s" % want)
            check(t.ping() is not None, "enable_signal: alive after a plain SIGUSR2")
        finally:
            t.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"python": "%d.%d.%d" % sys.version_info[:3], "executable": os.path.realpath(py),
                       "sanitized": SANITIZED, "states": figures}, f, indent=1)


# Runs argv[1:] under a seccomp filter that makes ptrace(2) fail with EPERM.
DENY_PTRACE = r'''
import ctypes, os, struct, sys
ld, jeq, ret = 0x20, 0x15, 0x06
prog = [(ld, 0, 0, 4), (jeq, 0, 3, 0xc000003e), (ld, 0, 0, 0), (jeq, 0, 1, 101),
        (ret, 0, 0, 0x00050000 | 1), (ret, 0, 0, 0x7fff0000)]
buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0:
    sys.exit("seccomp: errno %d" % ctypes.get_errno())
os.execv(sys.argv[1], sys.argv[1:])
'''


def expect_error(gl, label, cmd, code, pattern, env=None, timeout=60):
    rc, so, se, dt = run(cmd, timeout=timeout, env=env)
    ok = check(rc == code, "%s: exit code %d, want %d (%s)" % (label, rc, code, se.strip()))
    ok = check(re.search(pattern, se, re.S) is not None, "%s: message %r matches %r" % (label, se.strip(), pattern)) and ok
    if ok:
        log("%-14s ok (%d): %s" % (label, rc, se.strip().splitlines()[0] if se.strip() else ""))
    return se


def free_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    pid = p.pid
    for cand in range(pid + 50000, pid + 60000):
        if not os.path.exists("/proc/%d" % cand):
            return cand
    return 4194000


def interrupts(gl, py, work):
    """Ctrl-C or SIGTERM to graphleak at moments spread over a dump, so that
    they land in each phase: the preflight, judging threads, the calls, the
    GIL wait, the dump; on a many-threads process (idle path) and on a busy
    one (the allocator breakpoints). Whatever the moment, graphleak ends (0
    or 1), and the process runs on, untraced, answering."""
    for mode, n in (("threads", 12), ("busy", 8)):
        t = Target(mode, work, py)
        try:
            before = t.ping()
            check(before is not None, "interrupts (%s): first ping" % mode)
            outcomes = {}
            for k in range(n):
                delay = 0.002 + 0.008 * k
                sig = signal.SIGINT if k % 2 == 0 else signal.SIGTERM
                out = os.path.join(work, "int-%s-%d.snap" % (mode, k))
                p = subprocess.Popen([gl, "dump", "--pid", str(t.pid), "-o", out], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                time.sleep(delay)
                p.send_signal(sig)
                try:
                    so, se = p.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    so, se = p.communicate()
                    check(False, "interrupts (%s): graphleak ended within 60 s of signal %d at %.3f s" % (mode, sig, delay))
                first = se.decode("utf-8", "replace").strip().splitlines()
                said = first[-1][:60] if first else "ok"
                outcomes[said] = outcomes.get(said, 0) + 1
                # (0: the dump was done first; 1: interrupted; -SIG: before
                # graphleak had set its handler, so before it had started)
                check(p.returncode in (0, 1, -sig), "interrupts (%s): exit code %s at %.3f s: %s" % (
                    mode, p.returncode, delay, first))
                time.sleep(0.05)
                state, tracer = proc_state(t.pid)
                check(tracer == 0 and state in RUNNING, "interrupts (%s): at %.3f s the target is %s, traced by %d" %
                      (mode, delay, state, tracer))
                check(t.ping() is not None, "interrupts (%s): target answers after signal %d at %.3f s" % (mode, sig, delay))
                if os.path.exists(out):
                    os.unlink(out)
            end = time.time() + 60
            while t.helpers() and time.time() < end:
                time.sleep(0.02)
            check(not t.helpers(), "interrupts (%s): helper threads gone" % mode)
            for f in os.listdir(work):
                if f.startswith("int-%s-" % mode):
                    os.unlink(os.path.join(work, f))  # published after the CLI gave up
            log("interrupts     ok (%s): %d signals, outcomes %s" % (mode, n, outcomes))
        finally:
            t.kill()


def traced_target(work, py):
    """A select() target under `strace -f`: (strace's Popen, the Python pid)."""
    strace = shutil.which("strace")
    t = Target("select", work, py, argv=[strace, "-f", "-o", "/dev/null", py, TARGETS, "select"])
    kids = []
    end = time.time() + 5
    while not kids and time.time() < end:
        try:
            with open("/proc/%d/task/%d/children" % (t.pid, t.pid)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            pass
        time.sleep(0.02)
    return t, (kids[0] if kids else None)


def hazards(gl, py, work, out):
    """A process graphleak must refuse, or whose refusal must be clean:
    already traced, stopped, dlopen denied by seccomp."""
    # already under strace
    if check(shutil.which("strace") is not None, "strace is installed (scripts/install-deps)"):
        t, child = traced_target(work, py)
        try:
            if check(child is not None, "traced: found the Python process under strace"):
                expect_error(gl, "already traced", [gl, "dump", "--pid", str(child), "-o", out], 1,
                             r"already being traced by process %d.*--signal" % t.pid)
                check(t.ping() is not None, "traced: target answers")
        finally:
            t.kill()
    # stopped
    t = Target("select", work, py)
    try:
        before = t.ping()
        os.kill(t.pid, signal.SIGSTOP)
        time.sleep(0.1)
        expect_error(gl, "stopped", [gl, "dump", "--pid", str(t.pid), "-o", out], 1,
                     r"is stopped \(state T.*kill -CONT %d" % t.pid)
        check(proc_state(t.pid) == ("T", 0), "stopped: still stopped, untraced (%s)" %
              (proc_state(t.pid),))
        os.kill(t.pid, signal.SIGCONT)
        check(t.ping() == before, "stopped: answers after SIGCONT")
    finally:
        t.kill()
    # graphleak itself under a seccomp profile that forbids ptrace (as in a
    # container whose profile does): refused, said why, the target untouched
    refused_untouched(gl, "no ptrace", Target("select", work, py), out, 1,
                      lambda pid: [sys.executable, "-c", DENY_PTRACE, gl, "dump", "--pid", str(pid), "-o", out],
                      r"not allowed to attach to process %d.*graphleak itself runs under a seccomp filter.*--signal")
    # seccomp denies executable mappings: dlopen fails in the process, which
    # goes on (its loader intact: a second try fails the same way)
    refused_untouched(gl, "seccomp", Target("seccomp", work, py), out, 2,
                      lambda pid: [gl, "dump", "--pid", str(pid), "-o", out],
                      r"dlopen\(.*graphleak.*\) failed in process %d:.*(Operation not permitted|failed to map)")


def refused_untouched(gl, label, t, out, tries, argv, pattern):
    """argv(pid) refused `tries` times with exit 1 and pattern % pid; the
    target t answers as before, running and untraced; no snapshot."""
    try:
        before = t.ping()
        for k in range(tries):
            expect_error(gl, "%s %d" % (label, k), argv(t.pid), 1, pattern % t.pid)
            check(t.ping() == before, "%s: target answers, unchanged" % label)
            st, tr = proc_state(t.pid)
            check(st in RUNNING and tr == 0, "%s: target running, untraced (%s, %d)" % (label, st, tr))
        check(not os.path.exists(out), "%s: no snapshot" % label)
    finally:
        t.kill()

def cmd_errors(gl, args):
    py = sys.executable
    work = tempfile.mkdtemp(prefix="attach-errors-", dir=args.work)
    os.chmod(work, 0o755)
    targets = []
    try:
        out = os.path.join(work, "x.snap")
        expect_error(gl, "usage", [gl, "dump"], 2, r"--pid")
        expect_error(gl, "bad pid", [gl, "dump", "--pid", "abc"], 2, r"process id")
        expect_error(gl, "no such pid", [gl, "dump", "--pid", str(free_pid()), "-o", out], 1, r"no process")
        sl = subprocess.Popen(["sleep", "60"])
        try:
            expect_error(gl, "not python", [gl, "dump", "--pid", str(sl.pid), "-o", out], 1,
                         r"not a Python process.*sleep")
            check(sl.poll() is None, "not python: sleep still running")
        finally:
            sl.kill()
            sl.wait()
        py37 = "/root/.pyenv/versions/3.7.16/bin/python3.7"
        if os.path.exists(py37):
            t = subprocess.Popen([py37, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
                                 stdout=subprocess.PIPE)
            try:
                t.stdout.readline()
                expect_error(gl, "no shim (3.7)", [gl, "dump", "--pid", str(t.pid), "-o", out], 1,
                             r"no shim for CPython 3\.7 .*3\.7\.16, read from .*supports CPython 3\.8 to 3\.13")
                check(t.poll() is None, "no shim: target still running")
            finally:
                t.kill()
                t.wait()
        else:
            log("no %s: missing-shim case skipped" % py37)

        t = Target("select", work, py)
        targets.append(t)
        before = t.ping()
        # permission: another user (setpriv drops root and its capabilities)
        if os.geteuid() == 0 and shutil.which("setpriv"):
            expect_error(gl, "permission", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                            gl, "dump", "--pid", str(t.pid), "-o", "/tmp/never.snap"], 1,
                         r"not allowed.*uid 0.*(CAP_SYS_PTRACE|ptrace).*--signal")
        else:
            log("not root or no setpriv: permission case skipped")
        # output exists / no such directory
        open(out, "w").close()
        expect_error(gl, "output exists", [gl, "dump", "--pid", str(t.pid), "-o", out], 2, r"exists.*never replaces")
        os.unlink(out)
        expect_error(gl, "no such dir", [gl, "dump", "--pid", str(t.pid), "-o", "/nonexistent/dir/x.snap"], 2,
                     r"no directory")
        # --signal to a process that does not handle it: refused, process untouched
        expect_error(gl, "no handler", [gl, "dump", "--pid", str(t.pid), "--signal", "-o", out], 1,
                     r"does not handle SIGUSR2.*graphleak run.*enable_signal")
        check(t.alive() and t.ping() == before, "error cases: target untouched")
        hazards(gl, py, work, out)
        interrupts(gl, py, work)
        # the target cannot write: file size limit (CPython ignores SIGXFSZ, so write() fails with EFBIG)
        import resource

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

        t2 = Target("select", work, py, preexec=small_files)
        targets.append(t2)
        out2 = os.path.join(work, "big.snap")
        expect_error(gl, "file too large", [gl, "dump", "--pid", str(t2.pid), "-o", out2], 1,
                     r"could not write the snapshot.*File too large.*ulimit -f")
        check(not os.path.exists(out2), "file too large: no snapshot left")
        check(not [f for f in os.listdir(work) if f.endswith(".part")], "file too large: no temporary left")
        check(t2.alive() and t2.ping() is not None, "file too large: target alive")
        # the disk is full: a 64 KiB tmpfs (root only: mount)
        if os.geteuid() == 0 and shutil.which("mount"):
            tiny = os.path.join(work, "tiny")
            os.mkdir(tiny)
            mp = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tiny],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if check(mp.returncode == 0, "disk full: mount a 64 KiB tmpfs (%s)" % mp.stdout.decode().strip()):
                try:
                    out4 = os.path.join(tiny, "full.snap")
                    expect_error(gl, "disk full", [gl, "dump", "--pid", str(t.pid), "-o", out4], 1,
                                 r"could not write the snapshot.*No space left on device.*full")
                    check(os.listdir(tiny) == [], "disk full: nothing left on the full disk (%s)" % os.listdir(tiny))
                    check(t.alive() and t.ping() == before, "disk full: target alive, unchanged")
                finally:
                    subprocess.run(["umount", tiny])
        else:
            log("not root: disk-full case skipped")
        # root dumping another user's process: the snapshot belongs to that
        # user; a directory it cannot write in is reported as such
        if os.geteuid() == 0 and shutil.which("setpriv") and os.path.realpath(py).startswith("/usr/"):
            shared = os.path.join(work, "shared")
            os.mkdir(shared)
            os.chmod(shared, 0o1777)
            t3 = Target("select", shared, argv=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                                py, TARGETS, "select"])
            targets.append(t3)
            pid3 = t3.pid
            with open("/proc/%d/status" % pid3) as f:
                uid3 = [l.split()[2] for l in f if l.startswith("Uid:")][0]
            check(uid3 == "65534", "cross-user: the target runs as nobody (%s)" % uid3)
            out3 = os.path.join(shared, "nobody.snap")
            rc, j, se, dt = dump(gl, pid3, out3)
            if check(rc == 0 and j and j.get("ok"), "cross-user: dump rc %d %s" % (rc, se.strip())):
                st = os.stat(out3)
                check(st.st_uid == 65534 and (st.st_mode & 0o777) == 0o600,
                      "cross-user: snapshot owned by the target's user, 0600 (%d, %o)" % (st.st_uid, st.st_mode & 0o777))
                log("cross-user     ok: %s owned by uid %d" % (out3, st.st_uid))
            rootonly = os.path.join(work, "rootonly")
            os.mkdir(rootonly, 0o700)
            expect_error(gl, "cannot write", [gl, "dump", "--pid", str(pid3), "-o", os.path.join(rootonly, "x.snap")],
                         1, r"uid 65534\) could not write the snapshot.*Permission denied.*its user must be able")
            check(t3.alive() and t3.ping() is not None, "cross-user: target alive")
    finally:
        for t in targets:
            t.kill()
        shutil.rmtree(work, ignore_errors=True)


def cmd_gil(gl, args):
    """A thread holds the GIL in C: the dump times out, a second one is
    refused while the first helper still waits, a third succeeds once the
    GIL is handed over; a process with no safe point at all; and a target
    that exits while we wait."""
    py = sys.executable
    work = tempfile.mkdtemp(prefix="attach-gil-", dir=args.work)
    t = Target("gilhog", work, py, extra=["4"])
    try:
        out = os.path.join(work, "g.snap")
        tasks0 = t.tasks()
        rc, j, se, dt = dump(gl, t.pid, out, "--timeout", "1")
        check(rc == 1 and j and j["status"] == "timeout" and "did not hand over the GIL" in se,
              "gil: timeout (rc %d, %s)" % (rc, se.strip()))
        # bounded, not fast: it must not hang (the figures are bench/'s)
        check(dt < 60, "gil: the timeout (--timeout 1) came only after %.1f s" % dt)
        rc, j, se, dt = dump(gl, t.pid, out, "--timeout", "1")
        check(rc == 1 and j and j["status"] == "busy" and "still waiting for the GIL" in se,
              "gil: busy while the first helper waits (rc %d, %s)" % (rc, se.strip()))
        check(not os.path.exists(out), "gil: nothing written by the cancelled dump")
        time.sleep(4.5)  # the hog lets go once: the first helper gives up
        rc, j, se, dt = dump(gl, t.pid, out, "--timeout", "12")
        check(rc == 0 and j and j.get("ok") and os.path.exists(out), "gil: dump after the hog (rc %d, %s)" % (rc, se.strip()))
        if j and j.get("ok"):
            log("gil: waited %.2f s for the GIL, paused %.4f s" % (j["gil_wait_seconds"], j["pause_seconds"]))
        check(settle(t, tasks0, 6), "gil: helper threads gone (%s vs %s)" % (t.tasks(), tasks0))
    finally:
        t.kill()
    # no safe point at all: one thread spinning without allocating
    t = Target("spin", work, py)
    try:
        rc, j, se, dt = dump(gl, t.pid, os.path.join(work, "s.snap"), "--timeout", "2")
        check(rc == 1 and j and j["status"] == "timeout" and "reached a safe point" in se,
              "no safe point: timeout (rc %d, %s)" % (rc, se.strip()))
        check(dt < 60, "no safe point: --timeout 2 reported only after %.1f s" % dt)
        time.sleep(0.5)
        st, tr = proc_state(t.pid)
        check(t.alive() and st in RUNNING and tr == 0,
              "no safe point: target running, not stopped, not traced (%s, tracer %d)" % (st, tr))
        log("no safe point ok: %s" % se.strip().splitlines()[0])
    finally:
        t.kill()
    # exit while graphleak waits for the GIL
    t = Target("gilhog", work, py, extra=["30"])
    try:
        out = os.path.join(work, "e.snap")
        p = subprocess.Popen([gl, "dump", "--pid", str(t.pid), "-o", out, "--timeout", "25"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        end = time.time() + 15
        while time.time() < end and not glob.glob("/tmp/graphleak-%d-*/request" % t.pid) and \
                not glob.glob(os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "graphleak-%d-*" % t.pid)):
            time.sleep(0.05)
        time.sleep(1.0)  # injected, waiting for the GIL
        t.p.kill()
        try:
            so, se = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            so, se = p.communicate()
        se = se.decode()
        check(p.returncode == 1 and "exited" in se, "exit mid-dump: rc %d, %s" % (p.returncode, se.strip()))
        check(not os.path.exists(out), "exit mid-dump: no snapshot")
        check(not glob.glob("/tmp/graphleak-%d-*" % t.pid), "exit mid-dump: private directory removed")
        log("exit mid-dump ok: %s" % se.strip())
    finally:
        t.kill()
        shutil.rmtree(work, ignore_errors=True)


FLASK_APP = r'''
import logging, sys, threading
from flask import Flask, jsonify
logging.getLogger("werkzeug").setLevel(logging.ERROR)
app = Flask(__name__)
SESSIONS = {}
@app.route("/")
def index():
    n = len(SESSIONS)
    SESSIONS[n] = {"id": n, "payload": "x" * 64, "score": sum(i * i for i in range(20000))}
    if len(SESSIONS) > 20000:
        SESSIONS.clear()
    return jsonify(ok=True, n="%08d" % n)   # fixed length: ab counts length changes as failures
if __name__ == "__main__":
    from werkzeug.serving import make_server
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    print("ready %d" % srv.server_port, flush=True)
    srv.serve_forever()
'''


def cmd_load(gl, args):
    py = "/usr/bin/python3"
    ab = shutil.which("ab")
    try:
        import_ok = subprocess.run([py, "-c", "import flask"], stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        import_ok = False
    if not ab or not import_ok:
        log("no ab or no Flask for %s: load test skipped" % py)
        return
    work = tempfile.mkdtemp(prefix="attach-load-", dir=args.work)
    app = os.path.join(work, "app.py")
    with open(app, "w") as f:
        f.write(FLASK_APP)
    t = Target("flask", work, argv=[py, app])
    results = {"python": None, "dumps": []}
    try:
        url = "http://127.0.0.1:%d/" % t.port
        abp = subprocess.Popen([ab, "-n", "3000", "-c", "8", "-s", "30", url], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        time.sleep(0.5)
        for k in range(5):
            out = os.path.join(work, "flask-%d.snap" % k)
            rc, j, se, dt = dump(gl, t.pid, out)
            during = abp.poll() is None
            check(rc == 0 and j and j.get("ok"), "load: dump %d rc %d %s" % (k, rc, se.strip()))
            if j and j.get("ok"):
                results["python"] = j.get("python")
                results["dumps"].append({k2: j.get(k2) for k2 in ("pause_seconds", "gil_wait_seconds",
                                                                    "attached_seconds", "inject_seconds",
                                                                    "thread_stopped_seconds", "wall_seconds",
                                                                    "objects", "safe_point")})
                results["dumps"][-1]["during_load"] = during
                log("load: dump %d: pause %.4f s, thread stopped %.4f s, %s" % (
                    k, j["pause_seconds"], j["thread_stopped_seconds"], j["safe_point"]))
                os.unlink(out)
            if abp.poll() is not None:
                log("load: ab finished before dump %d" % k)
            time.sleep(0.1)
        try:
            so, se = abp.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            abp.kill()
            so, se = abp.communicate()
        so = so.decode()
        m = re.search(r"Complete requests:\s+(\d+)", so)
        fail = re.search(r"Failed requests:\s+(\d+)", so)
        non2xx = re.search(r"Non-2xx responses:\s+(\d+)", so)
        rps = re.search(r"Requests per second:\s+([\d.]+)", so)
        p99 = re.search(r"\s99%\s+(\d+)", so)
        longest = re.search(r"100%\s+(\d+)", so)
        results.update(complete=int(m.group(1)) if m else 0, failed=int(fail.group(1)) if fail else -1,
                       non2xx=int(non2xx.group(1)) if non2xx else 0, rps=float(rps.group(1)) if rps else 0,
                       p99_ms=int(p99.group(1)) if p99 else None, longest_ms=int(longest.group(1)) if longest else None)
        results["during_load"] = sum(1 for d in results["dumps"] if d.get("during_load"))
        check(abp.returncode == 0, "load: ab exit code %s: %s" % (abp.returncode, se.decode().strip()))
        check(results["complete"] == 3000, "load: 3000 requests completed (%s)" % results["complete"])
        check(results["failed"] == 0 and results["non2xx"] == 0,
              "load: no failed request (failed %s, non-2xx %s)\n%s" % (results["failed"], results["non2xx"], so))
        check(results["during_load"] == 5, "load: all 5 dumps while ab was running (%d)" % results["during_load"])
        check(t.alive(), "load: server alive")
        log("load: %s complete, %s failed, %.0f req/s, p99 %s ms, longest %s ms" % (
            results["complete"], results["failed"], results["rps"], results["p99_ms"], results["longest_ms"]))
    finally:
        t.kill()
        shutil.rmtree(work, ignore_errors=True)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(results, f, indent=1)


def cmd_soak(gl, args):
    py = sys.executable
    work = tempfile.mkdtemp(prefix="attach-soak-", dir=args.work)
    t = Target("select", work, py)
    n = args.count
    res = {"python": "%d.%d.%d" % sys.version_info[:3], "count": n, "rss": [], "pauses": []}
    try:
        before = t.ping()
        tasks0, fds0 = t.tasks(), t.fds()
        res["rss_before"] = t.rss()
        for k in range(n):
            out = os.path.join(work, "soak.snap")
            rc, j, se, dt = dump(gl, t.pid, out)
            if not check(rc == 0 and j and j.get("ok"), "soak: dump %d rc %d %s" % (k, rc, se.strip())):
                break
            os.unlink(out)
            settle(t, tasks0)
            res["rss"].append(t.rss())
            res["pauses"].append(j["pause_seconds"])
        check(t.alive() and t.ping() == before, "soak: target healthy, state unchanged")
        check(settle(t, tasks0), "soak: threads unchanged (%s vs %s)" % (t.tasks(), tasks0))
        check(t.fds() == fds0, "soak: fds unchanged")
        if res["rss"]:
            first, last, peak = res["rss"][0], res["rss"][-1], max(res["rss"])
            res.update(rss_first=first, rss_last=last, rss_peak=peak)
            margin = 4 << 20
            log("soak: %d dumps; RSS before %.1f MiB, after the first %.1f MiB, last %.1f MiB, peak %.1f MiB" % (
                len(res["rss"]), res["rss_before"] / 1048576.0, first / 1048576.0, last / 1048576.0, peak / 1048576.0))
            if SANITIZED:
                log("soak: sanitized build: RSS not checked (ASan's quarantine keeps freed memory)")
            else:
                check(peak <= first + margin, "soak: RSS stays within the first load + 4 MiB (%d vs %d)" % (peak, first))
                if len(res["rss"]) > 10:
                    # no steady growth once the allocator has its working set
                    drift = res["rss"][-1] - res["rss"][4]
                    res["drift_after_5"] = drift
                    check(drift < (512 << 10), "soak: no growth after the 5th dump (%d bytes)" % drift)
    finally:
        t.kill()
        shutil.rmtree(work, ignore_errors=True)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(res, f, indent=1)


CONTAINER = os.path.join(HERE, "container.py")


# targets.py as a container sees it: the source tree, unless that is under
# /tmp, which a container's private /tmp hides (cmd_containers stages it)
CONTAINED_TARGETS = [TARGETS]


def visible_inside(path, stage):
    """path, or a copy of it in stage when a container's own /tmp would hide it."""
    real = os.path.realpath(path)
    if not (real == "/tmp" or real.startswith("/tmp/")):
        return path
    dest = os.path.join(stage, os.path.basename(real))
    if os.path.isdir(real):
        shutil.copytree(real, dest)
    else:
        shutil.copy2(real, dest)
    return dest


class ContainedTarget(Target):
    """A targets.py process run by container.py: new mount and pid
    namespaces, its own /tmp (and a user namespace with --userns). self.pid
    is its pid as the host sees it."""

    def __init__(self, mode, cwd, py, opts=(), env=None):
        self.mode = mode
        cmd = [py, CONTAINER] + list(opts) + ["--", py, CONTAINED_TARGETS[0], mode]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env)
        self.lines = Lines(self.p.stdout.fileno())
        first = self._readline(15)
        if not first.startswith(b"hostpid "):
            stop(self.p)
            raise RuntimeError("container.py did not start: %r" % first)
        self.pid = int(first.split()[1])
        line = self._readline(15)
        if not line.startswith(b"ready"):
            self.kill()
            raise RuntimeError("contained target %s did not start: %r" % (mode, line))
        self.port = int(line.split()[1])
        time.sleep(0.2)

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return self.p.poll() is None
        except OSError:
            return False

    def leftovers(self, where="tmp"):
        """What graphleak left in the container's /tmp (or var/tmp)."""
        try:
            return [f for f in os.listdir("/proc/%d/root/%s" % (self.pid, where)) if f.startswith("graphleak")]
        except OSError as e:
            return ["(cannot list: %s)" % e]


def contained_case(gl, py, work, label, mode, opts=(), extra=(), env=None, uid=None):
    """One contained target: a dump from outside works, names the holder,
    leaves nothing behind and the target as it was."""
    t = ContainedTarget(mode, work, py, opts, env)
    try:
        before = t.ping()
        check(before is not None, "%s: first ping" % label)
        out = os.path.join(work, "%s-%d.snap" % (label, t.pid))
        rc, j, se, dt = dump(gl, t.pid, out, "-v", *extra)
        if check(rc == 0 and j and j.get("ok"), "%s: dump rc %d: %s" % (label, rc, se.strip()[-1500:])):
            st = os.stat(out)
            check((st.st_mode & 0o777) == 0o600 and st.st_uid == os.geteuid(),
                  "%s: the snapshot is ours, mode 0600 (%o, uid %d)" % (label, st.st_mode & 0o777, st.st_uid))
            rc2, so, se2, _ = run([gl, "path", out, "--type", "Record", "--json"])
            ok = rc2 == 0 and json.loads(so)["holders"][0]["holder"] == "module __main__, global DATA"
            check(ok, "%s: the snapshot names the holder of the Records: %s %s" % (label, so[:300], se2[-300:]))
            rc3, so3, _, _ = run([gl, "info", out, "--json"])
            hdr = json.loads(so3).get("header", {}) if rc3 == 0 else {}
            check(hdr.get("pid") == 1, "%s: the header has the pid the target sees (1): %s" % (label, hdr.get("pid")))
            check("contained" in se, "%s: -v says the target is contained: %s" % (label, se.strip()[-600:]))
        check(t.alive(), "%s: target alive after the dump" % label)
        check(t.ping() == before, "%s: state unchanged" % label)
        for where in ("tmp", "var/tmp"):
            left = t.leftovers(where)
            check(not left, "%s: nothing left in the container's /%s (%s)" % (label, where, left))
        return se
    finally:
        t.kill()


def cmd_containers(gl, args):
    """dump --pid of processes in containers made with unshare (container.py):
    idle and busy, with and without a user namespace mapping the container's
    root to host uid 100000, a noexec /tmp, cooperative mode; and where it
    cannot work (nowhere to write, no right to trace), a clear message and
    the target untouched."""
    py = sys.executable
    work = tempfile.mkdtemp(prefix="attach-containers-", dir=args.work)
    os.chmod(work, 0o755)  # the mapped uid must find targets.py's cwd
    # a checkout under /tmp: what the containers run from is staged where
    # their private /tmp does not hide it
    stage = tempfile.mkdtemp(prefix="attach-test-stage-", dir="/var/tmp")
    os.chmod(stage, 0o755)
    CONTAINED_TARGETS[0] = visible_inside(TARGETS, stage)
    try:
        contained_case(gl, py, work, "idle", "select")
        contained_case(gl, py, work, "busy-userns", "busy", ("--userns", "100000"))
        contained_case(gl, py, work, "threads-userns", "threads", ("--userns", "100000"))
        se = contained_case(gl, py, work, "noexec-tmp", "select", ("--tmp", "noexec"))
        check("/var/tmp/graphleak-" in se, "noexec-tmp: the request went to /var/tmp: %s" % se.strip()[-600:])
        sd = shim_dir_for(gl, py)
        env = dict(os.environ, PYTHONPATH=visible_inside(sd, stage) if sd else "")
        contained_case(gl, py, work, "signal", "signal", ("--userns", "100000"), extra=("--signal",), env=env)
        # nowhere to write inside: refused, target untouched
        t = ContainedTarget("select", work, py, ("--tmp", "none", "--readonly"))
        try:
            before = t.ping()
            out = os.path.join(work, "ro-%d.snap" % t.pid)
            expect_error(gl, "readonly", [gl, "dump", "--pid", str(t.pid), "-o", out], 1,
                         r"no directory graphleak can use inside it.*--signal")
            check(not os.path.exists(out), "readonly: no snapshot")
            check(t.alive() and t.ping() == before, "readonly: the target untouched")
        finally:
            t.kill()
        # no right to trace it (graphleak as another user, without CAP_SYS_PTRACE)
        t = ContainedTarget("select", work, py, ("--userns", "100000"))
        try:
            before = t.ping()
            out = os.path.join("/tmp", "nocap-%d.snap" % t.pid)

            def nobody():
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            rc = subprocess.run([gl, "dump", "--pid", str(t.pid), "-o", out], preexec_fn=nobody,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            msg = rc.stderr.decode("utf-8", "replace")
            check(rc.returncode == 1 and re.search(r"not allowed", msg) is not None,
                  "nocap: exit %d, message %r" % (rc.returncode, msg.strip()))
            check(not os.path.exists(out), "nocap: no snapshot")
            check(t.alive() and t.ping() == before, "nocap: the target untouched")
        finally:
            t.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)
        CONTAINED_TARGETS[0] = TARGETS


# ---- minor: one shim per minor version -------------------------------------------

def py_version(py):
    r = subprocess.run([py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                       stdout=subprocess.PIPE, universal_newlines=True)
    return r.stdout.strip() if r.returncode == 0 else None


def pyenv_pythons():
    root = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    return sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))


def manifest_rows(path):
    with open(path) as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]


def minor_cross(gl, work, builder, other, env):
    """A graphleak built from `builder` alone dumps `other`, another patch
    release (another build) of the same minor version."""
    bv, ov = py_version(builder), py_version(other)
    label = "built from %s (%s), target %s (%s)" % (builder, bv, other, ov)
    bdir = os.path.join(work, "build-" + bv)
    src = os.path.dirname(os.path.dirname(HERE))
    minor = ".".join(bv.split(".")[:2])
    cfg = [ "cmake", "-S", src, "-B", bdir, "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DGRAPHLEAK_PYTHONS=" + builder,
            "-DGRAPHLEAK_BUILD_TESTS=OFF"]
    # the compiler without the sanitizer build's preloaded runtime (meant for
    # the interpreters that load an instrumented shim)
    benv = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "PYTHONMALLOC")}
    rc, so, se, dt = run(cfg, timeout=300, env=benv)
    if not check(rc == 0, "%s: configure: %s" % (label, se[-1500:])):
        return
    target = "graphleak_shim_cpython_" + minor.replace(".", "_")
    rc, so, se, dt = run(["cmake", "--build", bdir, "-j2", "--target", "graphleak", target], timeout=900, env=benv)
    if not check(rc == 0, "%s: build: %s %s" % (label, so[-1500:], se[-1500:])):
        return
    log("minor: %s: built in %.0f s" % (label, dt))
    rows = manifest_rows(os.path.join(bdir, "pyshim", "shims.tsv"))
    check(len(rows) == 1 and rows[0][0] == minor and rows[0][1] == bv,
          "%s: the manifest has the one shim, for %s from %s: %s" % (label, minor, bv, rows))
    bgl = os.path.join(bdir, "graphleak")
    t = Target("select", work, py=other, env=env)
    try:
        before = t.ping()
        out = os.path.join(work, "cross-%s.snap" % ov)
        rc, j, se, dt = dump(bgl, t.pid, out)
        if check(rc == 0 and j and j.get("ok"), "%s: dump rc %d: %s" % (label, rc, se.strip())):
            check(j.get("python") == ov, "%s: the result says CPython %s (%s)" % (label, ov, j.get("python")))
            check(os.path.dirname(j.get("shim", "")) == os.path.join(bdir, "pyshim", "cpython-" + minor),
                  "%s: the shim of the minor version was loaded (%s)" % (label, j.get("shim")))
            check(valid_snapshot(gl, out, t.pid), "%s: valid snapshot" % label)
            log("minor: %s: dump ok, %d objects" % (label, j.get("objects", 0)))
        check(t.alive() and t.ping() == before, "%s: the target answers as before" % label)
    finally:
        t.kill()


def cmd_minor(gl, args):
    work = tempfile.mkdtemp(prefix="attach-minor-", dir=args.work)
    env = dict(os.environ)
    try:
        debian = "/usr/bin/python3"
        pyenvs = [p for p in pyenv_pythons() if py_version(p)]
        dv = py_version(debian) if os.path.exists(debian) else None
        same = [p for p in pyenvs if dv and py_version(p).rsplit(".", 1)[0] == dv.rsplit(".", 1)[0]
                and py_version(p) != dv]
        if check(dv and same, "minor: Debian's python3 (%s) and a pyenv build of its minor version (%s)" % (
                dv, [py_version(p) for p in pyenvs])):
            # each way: a build from pyenv's alone serves Debian's, and back
            minor_cross(gl, work, same[0], debian, env)
            minor_cross(gl, work, debian, same[0], env)

        # the version is read from the process, not from its path: Debian's
        # python3 (a static libpython) copied under a name with no version in
        # it, and a venv of a pyenv interpreter
        odd = []
        if dv:
            bindir = os.path.join(work, "odd", "bin")
            os.makedirs(bindir)
            exe = os.path.join(bindir, "app-server")
            shutil.copy2(os.path.realpath(debian), exe)
            odd.append(("a copy named app-server", exe, dict(env, PYTHONHOME=sys.base_prefix if
                                                          os.path.realpath(sys.executable) == os.path.realpath(debian)
                                                          else "/usr")))
        venv_base = [p for p in pyenvs if py_version(p).startswith("3.12.")] or pyenvs[-1:]
        if venv_base:
            vdir = os.path.join(work, "venv")
            rc, so, se, dt = run([venv_base[0], "-m", "venv", "--without-pip", vdir], timeout=120)
            if check(rc == 0, "minor: python -m venv: %s" % se[-500:]):
                odd.append(("a venv of %s" % venv_base[0], os.path.join(vdir, "bin", "python"), env))
        for label, py, penv in odd:
            t = Target("select", work, py=py, env=penv)
            try:
                before = t.ping()
                out = os.path.join(work, "odd.snap")
                if os.path.exists(out):
                    os.unlink(out)
                rc, j, se, dt = dump(gl, t.pid, out)
                if check(rc == 0 and j and j.get("ok") and valid_snapshot(gl, out, t.pid),
                         "minor: %s: dump rc %d %s" % (label, rc, se.strip())):
                    log("minor: %s (%s): dump ok with %s" % (label, j.get("executable"), j.get("shim")))
                check(t.alive() and t.ping() == before, "minor: %s: the target answers as before" % label)
            finally:
                t.kill()

        # the wrong minor version: a manifest that hands each interpreter the
        # other's shim; refused (by the loader or by the shim's own check),
        # the target unharmed, and the right shim still works afterwards
        here = os.path.dirname(os.path.realpath(gl))
        rows = {r[0]: r for r in manifest_rows(os.path.join(here, "pyshim", "shims.tsv"))}
        pair = [m for m in ("3.11", "3.12", "3.13", "3.10") if m in rows][:2]
        if check(len(pair) == 2, "minor: shims of two minor versions to swap (%s)" % sorted(rows)):
            wrong = os.path.join(work, "wrong")
            os.makedirs(os.path.join(wrong, "pyshim"))
            shutil.copy2(os.path.realpath(gl), os.path.join(wrong, "graphleak"))
            for m in pair:
                shutil.copytree(rows[m][3], os.path.join(wrong, "pyshim", "cpython-" + m))
            with open(os.path.join(wrong, "pyshim", "shims.tsv"), "w") as f:
                for a, b in ((pair[0], pair[1]), (pair[1], pair[0])):
                    f.write("%s\t%s\t%s\t%s\n" % (a, rows[b][1], rows[b][2], os.path.join(wrong, "pyshim", "cpython-" + b)))
            wgl = os.path.join(wrong, "graphleak")
            for m in pair:
                py = rows[m][2]
                t = Target("select", work, py=py, env=env)
                try:
                    before = t.ping()
                    out = os.path.join(work, "wrong-%s.snap" % m)
                    other = [x for x in pair if x != m][0]
                    se = expect_error(wgl, "wrong minor", [wgl, "dump", "--pid", str(t.pid), "-o", out], 1,
                                      r"(shim refused to walk process .*this shim is for CPython %s .*runs CPython %s"
                                      r"|dlopen\(.*cpython-%s.*\) failed in process .*undefined symbol)"
                                      % (re.escape(other), re.escape(m), re.escape(other)))
                    check(not os.path.exists(out), "wrong minor: no snapshot written")
                    check(t.alive() and t.ping() == before, "wrong minor (%s shim in %s): the target answers as before"
                          % (other, m))
                    rc, j, se2, dt = dump(gl, t.pid, out)
                    check(rc == 0 and valid_snapshot(gl, out, t.pid),
                          "wrong minor: then the right shim dumps it: rc %d %s" % (rc, se2.strip()))
                    check(t.alive() and t.ping() == before, "wrong minor: the target answers as before at the end")
                    log("minor: the %s shim in CPython %s: %s" % (other, m, se.strip().splitlines()[0][:160]))
                finally:
                    t.kill()

        # the shim's own check, made to fail on cue (GRAPHLEAK_SHIM_TEST_REFUSE
        # in the target: no debug or free-threaded build is built here)
        cases = [("layout", r"shim refused to walk .*does not have the layout this shim was compiled for.*"
                            r"dict objects are \d+ bytes .* there, \d+ .* in the shim"),
                 ("debug", r"shim refused to walk .*debug build of CPython .*Debug builds are not supported"),
                 ("free-threaded", r"shim refused to walk .*free-threaded build of CPython .*not supported")]
        def key(p):
            return tuple(int(x) for x in py_version(p).split("."))
        served = sorted((p for p in pyenvs if (3, 8) <= key(p)[:2] <= (3, 13)), key=key)
        for py in [p for p in (debian, served and served[-1]) if p]:
            for kind, pattern in cases:
                t = Target("select", work, py=py, env=dict(env, GRAPHLEAK_SHIM_TEST_REFUSE=kind))
                try:
                    before = t.ping()
                    out = os.path.join(work, "refuse-%s.snap" % kind)
                    expect_error(gl, "refuse " + kind, [gl, "dump", "--pid", str(t.pid), "-o", out], 1, pattern)
                    check(not os.path.exists(out), "refuse %s: no snapshot written" % kind)
                    check(t.alive() and t.ping() == before, "refuse %s (%s): the target answers as before" % (kind, py))
                finally:
                    t.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["states", "errors", "gil", "load", "soak", "containers", "minor"])
    ap.add_argument("graphleak")
    ap.add_argument("--report")
    ap.add_argument("--work", default=None)
    ap.add_argument("--count", type=int, default=50)
    args = ap.parse_args()
    gl = os.path.abspath(args.graphleak)
    if os.environ.get("GRAPHLEAK_TEST_NO_GDB") == "1":
        # the suite runs with a PATH that has no gdb: graphleak needs none
        check(shutil.which("gdb") is None, "gdb is not on PATH (%s)" % shutil.which("gdb"))
    if args.work:
        os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    {"states": cmd_states, "errors": cmd_errors, "gil": cmd_gil, "load": cmd_load, "soak": cmd_soak,
     "containers": cmd_containers, "minor": cmd_minor}[args.what](gl, args)
    log("%s: %.1f s, %d failure(s)" % (args.what, time.time() - t0, len(FAILURES)))
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
