"""graphleak_attach_gdb.py - the gdb side of `graphleak dump --pid` (docs/attach.md).

Run by the graphleak CLI, never by hand:

    gdb -nx -batch -iex ... -x graphleak_attach_gdb.py

with its parameters in the environment:

    GRAPHLEAK_ATTACH_PID       the target
    GRAPHLEAK_ATTACH_SHIM      the shim library built for the target's interpreter
    GRAPHLEAK_ATTACH_REQUEST   the request file (its directory gets the result)
    GRAPHLEAK_ATTACH_VERBOSE   1: report the threads' verdicts
    GRAPHLEAK_ATTACH_ALL_THREADS  1: judge every thread, not only up to the first safe one
    GRAPHLEAK_ATTACH_CTL_FD    a socket from the CLI: "go" or "abort", one per line

What it does, and nothing else:

 0. say hello and wait for the CLI's "go": gdb may take seconds to start on a
    loaded machine, and until "go" it has done nothing to the target, so the
    CLI may end it at any time before;
 1. attach (all threads stop);
 2. find a thread stopped at a safe point: blocked in a system call, with no
    allocator, loader, pthread-internal or signal-handler frame on its stack
    and nothing in libc but known blocking wrappers and the thread's base;
    else put breakpoints on the entry of the allocators (malloc, calloc,
    realloc, free, PyMem_*, PyObject_* - at a function's entry no allocator
    lock is held yet), continue, and take the first thread that hits one
    with a stack that passes the same checks;
 3. in that thread, with every other thread running (scheduler-locking off,
    so a lock another thread holds can be released): malloc a buffer for
    three strings, dlopen(shim, RTLD_NOW|RTLD_NODELETE), dlsym
    graphleak_attach_start, call it (it copies the request path, starts a
    helper thread and returns), free the buffer. No Python runs here: the
    helper thread waits for the GIL on its own, after we are gone;
 4. delete the breakpoints and detach, on every path.

It reports on stdout, one event per line, for the CLI:

    @@graphleak <event> key=value ... [msg=free text to the end of the line]

The CLI bounds every wait. When it gives up it writes "abort", which this
script reads between its steps (after the attach, between threads, after
each breakpoint stop, before the calls) and then detaches; if the target is
running under `continue`, the CLI also sends SIGSTOP to the target, which
ends the `continue` here (SIGSTOP is not passed on), and it sends SIGCONT
after gdb has detached. The end of the socket (the CLI died) means abort.
"""

import os
import re
import select
import sys
import time

import gdb

RTLD_NOW = 0x2
RTLD_NODELETE = 0x1000
SYS_FUTEX = 202  # x86_64
MAX_FRAMES = 512
MAX_HITS = 5000

# ---- names ------------------------------------------------------------------

_PREFIXES = ("GI_", "libc_", "interceptor_trampoline_", "interceptor_")
_SUFFIX = re.compile(r"(_time64|64|_nocancel)$")


def norm(name):
    """A frame's function name without glibc's and the sanitizers' decorations:
    __GI___clock_nanosleep -> clock_nanosleep, ___pthread_cond_timedwait64 ->
    pthread_cond_timedwait, __interceptor_malloc -> malloc."""
    if not name:
        return None
    n = name.split("(", 1)[0].split("@", 1)[0].rsplit("::", 1)[-1]
    changed = True
    while changed:
        changed = False
        n = n.lstrip("_")
        for p in _PREFIXES:
            if n.startswith(p):
                n = n[len(p):]
                changed = True
    return _SUFFIX.sub("", n) or None


# Unsafe wherever they appear: the allocator, the loader, thread creation,
# fork and exit. Being inside one of these may mean holding a lock that
# dlopen() or pthread_create() needs.
UNSAFE = {
    "malloc", "calloc", "realloc", "free", "cfree", "memalign", "posix_memalign", "aligned_alloc",
    "valloc", "pvalloc", "reallocarray", "sysmalloc", "systrim", "mtrim", "heap_trim", "unlink_chunk",
    "malloc_consolidate", "malloc_trim", "malloc_usable_size", "mallinfo", "mallinfo2",
    "dlopen", "dlmopen", "dlclose", "dlsym", "dlvsym", "dladdr", "dladdr1", "dlinfo", "dlerror",
    "dl_iterate_phdr", "do_dlopen", "dlopen_doit", "dlclose_doit", "dlsym_doit", "dl_catch_error",
    "pthread_create", "allocate_stack", "create_thread", "pthread_exit", "pthread_once",
    "pthread_atfork", "register_atfork", "fork", "vfork", "run_fork_handlers",
    "restore_rt", "exit", "run_exit_handlers", "cxa_finalize", "libc_freeres",
}
UNSAFE_PREFIX = ("dl_", "rtld_", "dlopen", "dlclose", "dlsym")
# ... and, for frames in libc, glibc's internal allocator, thread and fork code
UNSAFE_LIBC_PREFIX = ("int_", "malloc_", "tcache", "arena_", "nptl_", "libc_fork", "reclaim_stacks")

# Blocking calls: a libc frame called from outside libc with one of these
# names is a thread waiting in the kernel, holding no lock of libc.
SAFE_WRAPPERS = {
    "accept", "accept4", "connect", "recv", "recvfrom", "recvmsg", "recvmmsg", "send", "sendto",
    "sendmsg", "sendmmsg", "read", "readv", "pread", "preadv", "preadv2", "write", "writev",
    "pwrite", "pwritev", "select", "pselect", "poll", "ppoll", "epoll_wait", "epoll_pwait",
    "epoll_pwait2", "nanosleep", "clock_nanosleep", "thrd_sleep", "sleep", "usleep", "pause",
    "sigsuspend", "sigwait", "sigwaitinfo", "sigtimedwait", "wait", "wait3", "wait4", "waitpid",
    "waitid", "flock", "lockf", "fcntl", "msgrcv", "msgsnd", "semop", "semtimedop", "mq_receive",
    "mq_timedreceive", "syscall", "open", "openat", "futex_wait", "futex_abstimed_wait",
    "futex_abstimed_wait_cancelable", "futex_abstimed_wait_common", "futex_wait_cancelable",
    "lll_lock_wait", "sem_wait", "sem_timedwait", "sem_clockwait", "new_sem_wait",
    "new_sem_wait_slow", "new_sem_clockwait", "do_futex_wait", "pthread_mutex_lock",
    "pthread_mutex_timedlock", "pthread_mutex_clocklock", "pthread_mutex_lock_full",
    "pthread_cond_wait", "pthread_cond_timedwait", "pthread_cond_clockwait",
    "pthread_cond_wait_common", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock",
    "pthread_rwlock_timedrdlock", "pthread_rwlock_timedwrlock", "pthread_rwlock_clockrdlock",
    "pthread_rwlock_clockwrlock", "pthread_join", "pthread_timedjoin_np", "pthread_clockjoin_np",
    "pthread_clockjoin_ex",
}

# CPython functions whose only libc callees are lock and condition waits: a
# stack of unnamed libc frames (a stripped libc) blocked in futex() under
# one of these is a thread waiting for a Python lock or for the GIL.
PY_WAITERS = {
    "PyThread_acquire_lock_timed", "PyThread_acquire_lock", "acquire_timed", "take_gil",
    "PyEval_RestoreThread", "PyEval_AcquireThread", "PyGILState_Ensure", "PySemaphore_Wait",
    "PySemaphore_PlatformWait", "PyParkingLot_Park", "PyMutex_LockTimed", "PyMutex_LockSlow",
    "PyEvent_WaitTimed", "pysleep", "PyCOND_WAIT", "PyCOND_TIMEDWAIT",
}

BREAK_AT = ["malloc", "calloc", "realloc", "free",
            "PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_Free",
            "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "PyObject_Free"]

_LIBC = re.compile(r"^lib(c|pthread|dl|rt)(\.so(\.|$)|-[0-9.]+\.so$)")
_LD = re.compile(r"^ld(-linux[^/]*|64)?[.-]")


# ---- reporting --------------------------------------------------------------

def emit(event, msg=None, **kw):
    parts = ["@@graphleak", event] + ["%s=%s" % (k, str(v).replace(" ", "_")) for k, v in kw.items()]
    if msg is not None:
        parts.append("msg=" + " ".join(str(msg).split()))
    try:
        sys.stdout.write(" ".join(parts) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass  # the CLI is gone: carry on to the detach


class Fail(Exception):
    def __init__(self, kind, msg):
        Exception.__init__(self, msg)
        self.kind = kind
        self.msg = msg


def ex(cmd):
    return gdb.execute(cmd, to_string=True)


# ---- the CLI's word -----------------------------------------------------------

class Control(object):
    """The socket on which the CLI says "go" once, then perhaps "abort"."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""
        self.aborted = False

    def _take(self, block_s):
        if self.fd < 0:
            return
        try:
            ready = select.select([self.fd], [], [], block_s)[0]
            if not ready:
                return
            data = os.read(self.fd, 256)
        except (OSError, ValueError):
            data = b""
        if not data:
            self.fd = -1
            self.aborted = True  # the CLI is gone
            return
        self.buf += data
        if b"abort" in self.buf:
            self.aborted = True

    def wait_go(self):
        """Blocks until "go" (True) or "abort" / the end (False)."""
        if self.fd < 0:
            return True  # run by hand, without a CLI
        while not self.aborted and b"go\n" not in self.buf:
            self._take(None)
        return not self.aborted

    def check(self, where):
        """Raises Fail("aborted") if the CLI has given up."""
        if not self.aborted and self.fd >= 0:
            self._take(0)
        if self.aborted:
            raise Fail("aborted", "graphleak gave up (%s)" % where)


CTL = Control(-1)


# ---- stacks -----------------------------------------------------------------

class Frame(object):
    __slots__ = ("name", "norm", "pc", "lib", "sigtramp")

    def __init__(self, f):
        self.pc = f.pc()
        try:
            self.name = f.name()
        except gdb.error:
            self.name = None
        self.norm = norm(self.name)
        self.sigtramp = f.type() == gdb.SIGTRAMP_FRAME
        so = gdb.solib_name(self.pc)
        base = os.path.basename(so) if so else ""
        if not so:
            self.lib = "exe"
        elif _LD.match(base):
            self.lib = "ld"
        elif _LIBC.match(base):
            self.lib = "libc"
        else:
            self.lib = "other"

    def label(self):
        return "%s[%s]" % (self.name or "??", self.lib)


def stack():
    """The selected thread's frames, innermost first, and whether the unwind
    reached the outermost frame (a thread's base) cleanly."""
    out = []
    f = gdb.newest_frame()
    complete = False
    while f is not None and len(out) < MAX_FRAMES:
        out.append(Frame(f))
        try:
            older = f.older()
        except gdb.error:
            break
        if older is None:
            complete = f.unwind_stop_reason() == gdb.FRAME_UNWIND_OUTERMOST
            break
        f = older
    return out, complete


def unsafe_name(fr):
    n = fr.norm
    if not n:
        return False
    if n in UNSAFE or n.startswith(UNSAFE_PREFIX):
        return True
    return fr.lib == "libc" and n.startswith(UNSAFE_LIBC_PREFIX)


def bottom_start(frames):
    """Index where the thread's base begins: the outermost run of libc
    frames (start_thread, clone3, __libc_start_main...) and _start."""
    i = len(frames)
    while i > 0 and (frames[i - 1].lib == "libc" or (frames[i - 1].lib == "exe" and frames[i - 1].norm == "start")):
        i -= 1
    return i


def common_checks(frames, complete, skip_first):
    if not complete:
        return "its stack could not be unwound to the thread's start"
    for i, fr in enumerate(frames):
        if fr.sigtramp:
            return "it is running a signal handler"
        if fr.lib == "ld":
            return "it is in the dynamic loader (%s)" % fr.label()
        if i == 0 and skip_first:
            continue
        if unsafe_name(fr):
            return "it is in %s" % fr.label()
    return None


def idle_verdict(frames, complete):
    """None if the selected thread is blocked in a system call at a safe
    point, else the reason why not."""
    if not frames:
        return "no frames"
    why = common_checks(frames, complete, False)
    if why:
        return why
    f0 = frames[0]
    if f0.lib != "libc":
        return "it is running (%s)" % f0.label()
    try:
        insn = bytes(gdb.selected_inferior().read_memory(f0.pc - 2, 2))
    except gdb.error:
        insn = b""
    if insn != b"\x0f\x05":
        return "it is running in libc (%s)" % f0.label()
    k = 0
    while k < len(frames) and frames[k].lib == "libc":
        k += 1
    b = bottom_start(frames)
    if k >= len(frames) or k >= b:
        return "only libc frames on its stack"
    entry = frames[k - 1]
    if entry.norm not in SAFE_WRAPPERS:
        if entry.norm is not None or any(fr.norm for fr in frames[:k]):
            return "blocked in %s, not a known blocking call" % entry.label()
        try:
            nr = int(gdb.parse_and_eval("$orig_rax"))
        except gdb.error:
            nr = -1
        caller = frames[k]
        if nr != SYS_FUTEX or caller.norm not in PY_WAITERS:
            return "blocked in unnamed libc code (syscall %d) under %s" % (nr, caller.label())
    for fr in frames[k:b]:
        if fr.lib == "libc" and fr.norm not in SAFE_WRAPPERS:
            return "libc is on its stack in %s" % fr.label()
    return None


def breakpoint_verdict(frames, complete):
    """None if the selected thread, stopped at an allocator's entry, may make
    the calls; else why not. Its caller must not be libc."""
    why = common_checks(frames, complete, True)
    if why:
        return why
    b = bottom_start(frames)
    for fr in frames[1:b]:
        if fr.lib == "libc":
            return "called from libc (%s)" % fr.label()
    return None


# ---- the calls --------------------------------------------------------------

def call(expr):
    return int(gdb.parse_and_eval(expr))


def read_cstr(addr, limit=512):
    if not addr:
        return ""
    try:
        raw = bytes(gdb.selected_inferior().read_memory(addr, limit))
    except gdb.error:
        return "?"
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def inject(shim, request):
    inf = gdb.selected_inferior()
    a = shim.encode() + b"\0"
    b = b"graphleak_attach_start\0"
    c = request.encode() + b"\0"
    buf = call("((unsigned long (*)(unsigned long)) malloc)(%d)" % (len(a) + len(b) + len(c)))
    if not buf:
        raise Fail("inject", "malloc() in the target returned NULL")
    try:
        inf.write_memory(buf, a + b + c)
        handle = call("((unsigned long (*)(unsigned long, int)) dlopen)(%d, %d)" % (buf, RTLD_NOW | RTLD_NODELETE))
        if not handle:
            err = read_cstr(call("((unsigned long (*)(void)) dlerror)()"))
            raise Fail("dlopen", "dlopen(%s) failed in the target: %s" % (shim, err))
        fn = call("((unsigned long (*)(unsigned long, unsigned long)) dlsym)(%d, %d)" % (handle, buf + len(a)))
        if not fn:
            raise Fail("dlopen", "%s has no graphleak_attach_start (an old build?)" % shim)
        rc = call("((int (*)(unsigned long)) %d)(%d)" % (fn, buf + len(a) + len(b)))
    finally:
        try:
            call("((void (*)(unsigned long)) free)(%d)" % buf)
        except gdb.error:
            pass
    if rc == -16:
        raise Fail("busy", "an earlier dump is still waiting for the GIL in the target")
    if rc != 0:
        raise Fail("inject", "graphleak_attach_start failed in the target (error %d)" % -rc)
    emit("injected", rc=rc)


# ---- the safe point ---------------------------------------------------------

_last_stop = {}


def _on_stop(ev):
    _last_stop.clear()
    if isinstance(ev, gdb.SignalEvent):
        _last_stop["signal"] = ev.stop_signal
    elif isinstance(ev, gdb.BreakpointEvent):
        _last_stop["breakpoint"] = True


def find_idle(verbose, all_threads=False):
    """The first thread (in gdb's order: the main thread first) blocked at a
    safe point. all_threads: judge (and report) every thread anyway."""
    inf = gdb.selected_inferior()
    threads = sorted(inf.threads(), key=lambda t: t.num)
    found = None
    for t in threads:
        CTL.check("while judging the threads")
        t.switch()
        frames, complete = stack()
        why = idle_verdict(frames, complete)
        if verbose:
            emit("thread", lwp=t.ptid[1], safe=int(why is None),
                 msg=(why or "idle in %s" % frames[0].label()) + " | " + " < ".join(fr.label() for fr in frames[:12]))
        if why is None and found is None:
            found = (t, frames)
            if not all_threads:
                break
    if found is None:
        return None, None
    found[0].switch()
    gdb.newest_frame().select()
    return found


def wait_for_breakpoint(verbose):
    CTL.check("before the breakpoints")
    bps = []
    for name in BREAK_AT:
        try:
            bps.append(gdb.Breakpoint(name, internal=True))
        except (gdb.error, RuntimeError):
            pass
    if not bps:
        raise Fail("nosafepoint", "no allocator function found to stop at")
    gdb.events.stop.connect(_on_stop)
    ex("handle SIGSTOP stop print nopass")  # (noprint would imply nostop)
    emit("waiting", breakpoints=len(bps))
    try:
        for hit in range(MAX_HITS):
            _last_stop.clear()
            ex("continue")
            inf = gdb.selected_inferior()
            if not inf.pid or not inf.threads():
                raise Fail("exited", "the target exited")
            CTL.check("while waiting for a safe point")
            if "signal" in _last_stop:
                sig = _last_stop["signal"]
                if sig == "SIGSTOP":
                    raise Fail("nosafepoint", "every thread was busy in code that neither blocked "
                               "nor allocated")
                if sig == "SIGINT":
                    raise Fail("interrupted", "interrupted")
                continue
            if "breakpoint" not in _last_stop:
                continue
            frames, complete = stack()
            why = breakpoint_verdict(frames, complete)
            if verbose:
                emit("hit", n=hit, lwp=gdb.selected_thread().ptid[1], safe=int(why is None),
                     msg=(why or "ok") + " | " + " < ".join(fr.label() for fr in frames[:12]))
            if why is None:
                return gdb.selected_thread(), frames
        raise Fail("nosafepoint", "%d allocator calls, none from a safe point" % MAX_HITS)
    finally:
        for bp in bps:
            try:
                bp.delete()
            except (gdb.error, RuntimeError):
                pass
        try:
            gdb.events.stop.disconnect(_on_stop)
        except (gdb.error, RuntimeError, ValueError):
            pass
        # from here on a SIGSTOP (the CLI's deadline arriving late) is swallowed
        ex("handle SIGSTOP nostop noprint nopass")


def main():
    global CTL
    pid = int(os.environ["GRAPHLEAK_ATTACH_PID"])
    shim = os.environ["GRAPHLEAK_ATTACH_SHIM"]
    request = os.environ["GRAPHLEAK_ATTACH_REQUEST"]
    verbose = os.environ.get("GRAPHLEAK_ATTACH_VERBOSE") == "1"
    all_threads = os.environ.get("GRAPHLEAK_ATTACH_ALL_THREADS") == "1"
    CTL = Control(int(os.environ.get("GRAPHLEAK_ATTACH_CTL_FD", "-1")))
    emit("hello", gdb=gdb.VERSION.split()[0] if gdb.VERSION else "?")
    for cmd in ("set pagination off", "set confirm off", "set width 0", "set height 0",
                "set print thread-events off", "set print inferior-events off",
                "set breakpoint pending off", "set unwindonsignal on",
                "set scheduler-locking off",
                "handle all nostop noprint pass",
                "handle SIGSTOP nostop noprint nopass",
                "handle SIGINT stop print nopass"):
        try:
            ex(cmd)
        except gdb.error:
            pass
    if not CTL.wait_go():
        emit("error", kind="aborted", msg="graphleak gave up before gdb attached")
        return
    t0 = time.monotonic()
    try:
        try:
            ex("attach %d" % pid)
        except gdb.error as e:
            msg = str(e)
            if "not permitted" in msg or "Permission" in msg:
                raise Fail("perm", msg)
            if "No such process" in msg:
                raise Fail("exited", msg)
            raise Fail("attach", msg)
        inf = gdb.selected_inferior()
        emit("attached", threads=len(inf.threads()), seconds="%.3f" % (time.monotonic() - t0))
        CTL.check("after the attach")
        t, frames = find_idle(verbose, all_threads)
        how = "idle"
        if t is None:
            how = "allocator"
            t, frames = wait_for_breakpoint(verbose)
        where = frames[0].label() if frames else "?"
        if frames and not frames[0].name:
            named = [fr for fr in frames if fr.name]
            if named:
                where += "<" + named[0].label()
        CTL.check("before loading the shim")
        emit("safepoint", how=how, lwp=t.ptid[1], where=where)
        inject(shim, request)
    except Fail as e:
        emit("error", kind=e.kind, msg=e.msg)
    except KeyboardInterrupt:
        emit("error", kind="interrupted", msg="interrupted")
    except gdb.error as e:
        msg = str(e)
        kind = "exited" if ("exited" in msg or "No such process" in msg or "not being run" in msg) else "gdb"
        emit("error", kind=kind, msg=msg)
    except Exception as e:  # a bug here must still detach
        emit("error", kind="gdb", msg="%s: %s" % (type(e).__name__, e))
    finally:
        # detach whenever gdb holds the process, even if the attach itself
        # was interrupted half-way
        held = False
        try:
            held = bool(gdb.selected_inferior().pid)
        except (gdb.error, KeyboardInterrupt):
            held = True
        if held:
            for attempt in range(3):
                try:
                    if gdb.selected_inferior().pid:
                        ex("detach")
                    break
                except (gdb.error, KeyboardInterrupt) as e:
                    emit("warning", msg="detach: %s" % e)
            emit("detached", stopped="%.3f" % (time.monotonic() - t0))


main()
