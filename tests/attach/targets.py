"""targets.py MODE [HOLD] - Python programs in the states `graphleak dump --pid`
must handle (tests/attach/test_attach.py starts them).

Each prints "ready PORT" (PORT 0 unless it listens) on stdout once it is in
its state, then answers pings without leaving it: a line "ping" on stdin (or
a TCP connection in mode accept) gets "pong {json}" back, the JSON saying
what must not change across a dump (a digest of the program's data, the
modules, thread count, gc settings).

modes:
  accept   main thread blocked in accept() (the pings are the connections)
  select   main thread in select() on stdin
  epoll    main thread in an epoll selector on stdin
  sleep    main thread in time.sleep(); a responder thread reads stdin
  lock     main thread blocked on a threading.Lock; a responder thread
  busy     one thread, a pure-Python loop that polls stdin without blocking
  threads  3 producers and a consumer on a bounded queue.Queue, a responder
  gilhog   main thread holds the GIL in a C sleep of HOLD seconds, again and
           again (ctypes.PyDLL does not release it); a responder thread
  signal   like select, after graphleak.enable_signal() (the shim must be
           importable)
  spin     one thread, `while True: pass`: never blocks, never allocates
           (no safe point; no pings either)
  seccomp  like select, under a seccomp filter that denies executable
           mappings (mmap/mprotect with PROT_EXEC fail with EPERM), as
           systemd's MemoryDenyWriteExecute= does: no library can be loaded
  storm    like select, counting SIGUSR1s in a Python handler (the pong
           says how many): for signal storms during the injection
  churn    like busy, starting a short-lived thread every few milliseconds

Works on CPython 3.8+; standard library only.
"""
import gc
import hashlib
import json
import os
import socket
import sys
import threading
import time

MODE = sys.argv[1]
HOLD = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0


class Record(object):
    def __init__(self, i):
        self.i = i
        self.name = "record-%d" % i
        self.payload = ("x" * (i % 50), i * 1.5, [i, i + 1])


DATA = {"k%d" % i: Record(i) for i in range(3000)}
CACHE = [bytes(range(i % 200)) for i in range(1000)]
PROGRESS = {"consumed": 0, "loops": 0}


def digest():
    h = hashlib.sha256()
    for k in sorted(DATA):
        r = DATA[k]
        h.update(("%s %d %s %r %r" % (k, r.i, r.name, r.payload, type(r).__name__)).encode())
    for b in CACHE:
        h.update(b)
    d = {
        "data": h.hexdigest()[:16],
        "modules": sorted(m for m in sys.modules if m != "gc"),
        "threads": threading.active_count() if MODE != "churn" else None,
        "gc": [gc.isenabled(), list(gc.get_threshold())],
    }
    if MODE == "storm":
        d["usr1"] = SIGNALS["usr1"]
    return d


def pong():
    return ("pong " + json.dumps(digest(), sort_keys=True) + "\n").encode()


def out(b):
    os.write(1, b)


def responder():
    """Answers pings from stdin; blocked in read() in between."""
    buf = b""
    while True:
        chunk = os.read(0, 4096)
        if not chunk:
            os._exit(0)
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip() == b"ping":
                out(pong())


def handle_stdin_line(buf):
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if line.strip() == b"ping":
            out(pong())
    return buf


def deny_exec_mappings():
    """A seccomp filter: mmap, mprotect and pkey_mprotect with PROT_EXEC fail
    with EPERM; everything else is allowed."""
    import ctypes
    import struct
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    prog = [(ld, 0, 0, 4),                     # arch
            (jeq, 0, 7, 0xc000003e),           # not x86-64: allow
            (ld, 0, 0, 0),                     # nr
            (jeq, 2, 0, 9),                    # mmap
            (jeq, 1, 0, 10),                   # mprotect
            (jeq, 0, 3, 329),                  # pkey_mprotect
            (ld, 0, 0, 32),                    # args[2] (prot), low half
            (jset, 0, 1, 4),                   # PROT_EXEC
            (ret, 0, 0, 0x00050000 | 1),       # SECCOMP_RET_ERRNO | EPERM
            (ret, 0, 0, 0x7fff0000)]           # SECCOMP_RET_ALLOW
    raw = b"".join(struct.pack("HBBI", *i) for i in prog)
    buf = ctypes.create_string_buffer(raw)

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fp = Fprog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp")


SIGNALS = {"usr1": 0}


def start_responder():
    threading.Thread(target=responder, name="responder", daemon=True).start()


def main():
    if MODE == "accept":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        out(("ready %d\n" % s.getsockname()[1]).encode())
        while True:
            c, _ = s.accept()
            try:
                c.sendall(pong())
            finally:
                c.close()
    elif MODE in ("select", "signal", "seccomp", "storm"):
        import select
        if MODE == "signal":
            import graphleak
            graphleak.enable_signal()
        if MODE == "seccomp":
            deny_exec_mappings()
        if MODE == "storm":
            import signal

            def on_usr1(signum, frame):
                SIGNALS["usr1"] += 1

            signal.signal(signal.SIGUSR1, on_usr1)
        out(b"ready 0\n")
        buf = b""
        while True:
            r, _, _ = select.select([0], [], [])
            chunk = os.read(0, 4096)
            if not chunk:
                return
            buf = handle_stdin_line(buf + chunk)
    elif MODE == "epoll":
        import selectors
        sel = selectors.EpollSelector()
        sel.register(0, selectors.EVENT_READ)
        out(b"ready 0\n")
        buf = b""
        while True:
            sel.select()
            chunk = os.read(0, 4096)
            if not chunk:
                return
            buf = handle_stdin_line(buf + chunk)
    elif MODE == "sleep":
        start_responder()
        out(b"ready 0\n")
        while True:
            time.sleep(3600)
    elif MODE == "lock":
        start_responder()
        lk = threading.Lock()
        lk.acquire()
        out(b"ready 0\n")
        lk.acquire()
    elif MODE in ("busy", "churn"):
        os.set_blocking(0, False)
        out(b"ready 0\n")
        buf = b""
        n = 0
        while True:
            n += 1
            if MODE == "churn" and n % 2000 == 0:
                threading.Thread(target=lambda: sum(range(100)), daemon=True).start()
            if n % 20000 == 0:
                PROGRESS["loops"] = n
                try:
                    chunk = os.read(0, 4096)
                except BlockingIOError:
                    continue
                if not chunk:
                    return
                buf = handle_stdin_line(buf + chunk)
    elif MODE == "threads":
        import queue
        q = queue.Queue(maxsize=64)

        def producer(k):
            i = 0
            while True:
                q.put((k, i, "item-%d-%d" % (k, i)))
                i += 1

        for k in range(3):
            threading.Thread(target=producer, args=(k,), name="producer-%d" % k, daemon=True).start()
        start_responder()
        out(b"ready 0\n")
        while True:
            q.get()
            PROGRESS["consumed"] += 1
    elif MODE == "gilhog":
        import ctypes
        libc = ctypes.PyDLL(None)  # PyDLL: the GIL stays held during the call
        start_responder()
        out(b"ready 0\n")
        while True:
            libc.sleep(int(HOLD))
    elif MODE == "spin":
        out(b"ready 0\n")
        while True:
            pass
    else:
        sys.stderr.write("targets.py: unknown mode %r\n" % MODE)
        sys.exit(2)


if __name__ == "__main__":
    main()
