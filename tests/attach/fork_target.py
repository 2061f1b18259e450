"""fork_target.py - the target of test_fork.py: a heap of N objects, and
every way a process could notice a child of its own:

  - a C library's pthread_atfork handlers (c/atfork_lib.c, with ctypes);
  - Python's os.register_at_fork handlers;
  - a SIGCHLD handler;
  - a thread that reaps any child with waitpid(-1, WNOHANG) every millisecond.

    python fork_target.py N [ATFORK_LIB] [--signal]

Prints "ready PID", then answers lines on stdin:
    counts              -> "counts {json}": every counter above
    dump PATH MODE      -> "dumped {json}": graphleak.dump(PATH, fork=MODE)
    fork                -> "forked": an os.fork() of its own (the control:
                           every counter must move)
    children            -> "children [pids]": its children, from /proc
"""
import ctypes
import json
import os
import signal
import sys
import threading
import time

N = int(sys.argv[1])
LIB = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
SIGNAL_MODE = "--signal" in sys.argv

HEAP = [{"i": i, "name": "record-%d" % i} for i in range(N // 2)]
COUNTS = {"py_before": 0, "py_parent": 0, "py_child": 0, "sigchld": 0, "reaped": [], "waitpid_calls": 0}

lib = ctypes.CDLL(LIB) if LIB else None


def _before():
    COUNTS["py_before"] += 1


def _parent():
    COUNTS["py_parent"] += 1


def _child():
    COUNTS["py_child"] += 1


os.register_at_fork(before=_before, after_in_parent=_parent, after_in_child=_child)


def _on_sigchld(signum, frame):
    COUNTS["sigchld"] += 1


signal.signal(signal.SIGCHLD, _on_sigchld)


def reaper():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                COUNTS["reaped"].append(pid)
        except ChildProcessError:
            pass
        COUNTS["waitpid_calls"] += 1
        time.sleep(0.001)


threading.Thread(target=reaper, name="reaper", daemon=True).start()

if SIGNAL_MODE:
    import graphleak
    graphleak.enable_signal()


def children():
    kids = []
    for t in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/children" % t) as f:
                kids += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return kids


def counts():
    c = dict(COUNTS)
    if lib:
        v = lib.atfork_calls()
        c["c_prepare"], c["c_parent"], c["c_child"] = v // 10000, (v // 100) % 100, v % 100
    return c


def out(s):
    os.write(1, (s + "\n").encode())


out("ready %d" % os.getpid())
buf = b""
while True:
    try:
        chunk = os.read(0, 4096)
    except InterruptedError:
        continue
    if not chunk:
        os._exit(0)
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        words = line.decode().split()
        if not words:
            continue
        if words[0] == "counts":
            out("counts " + json.dumps(counts()))
        elif words[0] == "children":
            out("children " + json.dumps(children()))
        elif words[0] == "dump":
            import graphleak
            try:
                r = graphleak.dump(words[1], fork=words[2])
            except Exception as e:  # reported to the test
                r = {"error": "%s: %s" % (type(e).__name__, e)}
            out("dumped " + json.dumps(r))
        elif words[0] == "fork":
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            time.sleep(0.3)
            out("forked %d" % pid)
