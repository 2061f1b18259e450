"""harness.py - what the attach tests (test_attach.py, test_inject.py) share:
the list of failures, log and check, a line reader bounded in time, how a
child is stopped, and a process's state as /proc tells it."""
import os
import select
import subprocess
import sys
import time

SCHEMA_CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "json_schema.py")

FAILURES = []
NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0]


# The states of a process that runs on: R, S, and D (a moment in the kernel, such as
# waiting for the memory map's lock, which a target's allocating threads take all the
# time). Not T or t (stopped), Z or X (dead).
RUNNING = "RSD"


def proc_state(pid):
    """The process's state letter and its tracer's pid (0: none), from /proc/PID/status."""
    with open("/proc/%d/status" % pid) as f:
        st = dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
    return st["State"].split()[0], int(st["TracerPid"])


def log(msg):
    sys.stderr.write("%s: %s\n" % (NAME, msg))
    sys.stderr.flush()


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        log("FAIL: " + what)
    return cond


class Lines(object):
    """Lines from a file descriptor (a child's stdout), each read bounded in
    time; what follows a line is kept for the next."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""

    def line(self, timeout):
        """The next line without its newline, or None (timeout, or EOF)."""
        end = time.time() + timeout
        while b"\n" not in self.buf and time.time() < end:
            r, _, _ = select.select([self.fd], [], [], max(0.0, end - time.time()))
            if not r:
                break
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            self.buf += chunk
        if b"\n" not in self.buf:
            return None
        l, self.buf = self.buf.split(b"\n", 1)
        return l


def stop(p):
    """Kill a child (a subprocess.Popen with pipes) if it still runs, reap it
    (bounded) and close its pipes."""
    if p.poll() is None:
        p.kill()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        pass
    for s in (p.stdin, p.stdout):
        try:
            if s is not None:
                s.close()
        except Exception:
            pass


def schema_problem(text):
    """None if `text` (a --json output) follows docs/json/graphleak.schema.json,
    else what is wrong. Checked by Debian's python3, which has jsonschema."""
    p = subprocess.run(["/usr/bin/python3", SCHEMA_CHECK, "-"], input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return None if p.returncode == 0 else p.stdout.decode("utf-8", "replace").strip()
