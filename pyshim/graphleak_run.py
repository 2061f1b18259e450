"""graphleak_run.py - bootstrap used by `graphleak run`.

    PYTHON graphleak_run.py [-o SNAP] [--at-exit] [--no-values] -- SCRIPT [ARGS...]
    PYTHON graphleak_run.py [-o SNAP] [--at-exit] [--no-values] -- -m MODULE [ARGS...]
    PYTHON graphleak_run.py [-o SNAP] [--at-exit] [--no-values] -- -c CODE [ARGS...]

Finds the graphleak shim built for this interpreter (shims.tsv beside this
file), imports it, then runs the script as __main__ the way Python itself
would (a script is compiled and run in a fresh __main__ module; -m goes
through runpy, as python -m does; -c runs the code as python -c does).
Snapshots are written at exit (--at-exit, while module globals are still
alive) and whenever the process receives SIGUSR2 (the handler runs at a safe
point in the main thread): where `graphleak dump --pid PID --signal` asked
for it if it left a request (graphleak.serve_request()), else to the next
free SNAP-N name (a file is never replaced). --no-values withholds
str/bytes/int/float values from the snapshots, names excepted (interned
identifiers: graphleak.dump(values=False)).

If the program installs its own SIGUSR2 handler, signal snapshots stop; this
is said on stderr when it happens. With --at-exit, a program that exits with
status 0 but whose snapshot could not be written exits with status 1.

Works on CPython 3.8 to 3.13; uses nothing outside the standard library.
"""

import os
import sys

# Marks this module's frames as graphleak's own in a snapshot's header
# ("graphleak": true on each of them; the shim reads the frames' globals):
# the program's stack is what a report should show, not the bootstrap's
# main() or its SIGUSR2 and at-exit handlers.
__graphleak_bootstrap__ = True


def _fail(msg, code=2):
    sys.stderr.write("graphleak: %s\n" % msg)
    sys.exit(code)


def _find_shim():
    """The shim of this interpreter's minor version: shims.tsv beside this
    file has one line per minor version (minor, the version it was built
    from, the interpreter it was built with, its folder). The shim itself
    checks at import that it fits this interpreter (version, build, layout)."""
    here = os.path.dirname(os.path.abspath(__file__))
    manifest = os.path.join(here, "shims.tsv")
    minor = "%d.%d" % sys.version_info[:2]
    version = "%d.%d.%d" % sys.version_info[:3]
    have = []
    try:
        with open(manifest, "r", encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 4:
                    continue
                have.append(parts[0])
                # an installed manifest names its folders relative to itself
                # (a moved tree still works); join() keeps a build tree's
                # absolute ones as they are
                if parts[0] == minor:
                    return os.path.join(here, parts[3])
    except OSError:
        pass
    exe = os.path.realpath(sys.executable) if sys.executable else ""
    _fail(
        "no shim for CPython %s in this graphleak (%s runs %s; it has shims for %s).\n"
        "graphleak: build one with: cmake -S <graphleak source> -B <build> "
        "-DGRAPHLEAK_PYTHONS=%s && cmake --build <build>"
        % (minor, exe or sys.executable, version, ", ".join(have) or "none", exe or "/path/to/python3")
    )


def _parse(argv):
    out = None
    at_exit = False
    values = True
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in ("-o", "--output"):
            if i + 1 >= len(argv):
                _fail("-o needs a file name")
            out = argv[i + 1]
            i += 2
            continue
        if a.startswith("-o") and len(a) > 2:
            out = a[2:]
        elif a.startswith("--output="):
            out = a[len("--output="):]
        elif a == "--at-exit":
            at_exit = True
        elif a == "--no-values":
            values = False
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            sys.exit(0)
        else:
            break
        i += 1
    rest = argv[i:]
    if not rest:
        _fail("nothing to run: give a script or -m MODULE after --")
    return out, at_exit, values, rest


class _Namer(object):
    def __init__(self, first):
        self.first = first
        self.n = 0

    def next(self):
        """The next name that does not exist: files are never replaced."""
        while True:
            self.n += 1
            if self.first:
                if self.n == 1:
                    path = self.first
                else:
                    root, ext = os.path.splitext(self.first)
                    path = "%s-%d%s" % (root, self.n, ext)
            else:
                path = os.path.join(os.getcwd(), "graphleak-%d-%d.snap" % (os.getpid(), self.n))
            if not os.path.lexists(path):
                return path


def _human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0
    return "%d B" % n


def main():
    out, at_exit, values, rest = _parse(sys.argv[1:])
    shim_dir = _find_shim()
    sys.path.insert(0, shim_dir)
    try:
        import graphleak
    except ImportError as e:
        _fail("cannot import the graphleak shim from %s: %s" % (shim_dir, e))
    finally:
        try:
            sys.path.remove(shim_dir)
        except ValueError:
            pass
    sys.modules["graphleak"] = graphleak

    namer = _Namer(os.path.abspath(out) if out else None)
    state = {"exit_code": 0, "handler_replaced": False}

    def dump(reason):
        path = namer.next()
        try:
            r = graphleak.dump(path, values=values)
        except Exception as e:  # never let the snapshot kill the program
            sys.stderr.write("graphleak: snapshot (%s) failed: %s\n" % (reason, e))
            sys.stderr.flush()
            return False
        sys.stderr.write(
            "graphleak: wrote %s (%d objects, %d edges, %s) in %.2f s\n"
            % (r["path"], r["objects"], r["edges"], _human(r["file_bytes"]), r["pause_seconds"])
        )
        sys.stderr.flush()
        return True

    import signal

    serve = getattr(graphleak, "serve_request", None)

    def on_signal(signum, frame):
        # `graphleak dump --pid PID --signal` left a request: answer it
        if serve is not None:
            r = serve(values=values)
            if r is not None:
                if r.get("error"):
                    sys.stderr.write("graphleak: requested snapshot failed: %s\n" % r["error"])
                else:
                    sys.stderr.write("graphleak: wrote %s (%d objects, %d edges, %s) in %.2f s\n" % (
                        r["path"], r["objects"], r["edges"], _human(r["file_bytes"]), r["pause_seconds"]))
                sys.stderr.flush()
                return
        dump("SIGUSR2")

    def replaced_warning():
        if not state["handler_replaced"]:
            state["handler_replaced"] = True
            sys.stderr.write("graphleak: the program installed its own SIGUSR2 handler, so `kill -USR2 %d` no "
                             "longer takes a snapshot; use `graphleak dump --pid %d` instead (it needs no "
                             "signal)\n" % (os.getpid(), os.getpid()))
            sys.stderr.flush()

    if hasattr(signal, "SIGUSR2"):
        signal.signal(signal.SIGUSR2, on_signal)
        real_signal = signal.signal

        def watched_signal(signum, handler):
            # a program that takes SIGUSR2 over turns signal snapshots off: say so
            if signum == signal.SIGUSR2 and handler is not on_signal:
                replaced_warning()
            return real_signal(signum, handler)

        watched_signal.__doc__ = real_signal.__doc__
        watched_signal.__wrapped__ = real_signal
        signal.signal = watched_signal

    # the program's script is read before anything is set up for its exit:
    # a misspelt name snapshots nothing
    kind = rest[0]
    if kind in ("-m", "-c"):
        if len(rest) < 2:
            _fail("%s needs %s" % (kind, "a module name" if kind == "-m" else "a program"))
    else:
        try:
            with open(kind, "rb") as f:
                source = f.read()
        except OSError as e:
            _fail("cannot open %s: %s" % (kind, e.strerror or e))

    if at_exit:
        import atexit

        def at_exit_dump():
            ok = dump("exit")
            if hasattr(signal, "SIGUSR2") and signal.getsignal(signal.SIGUSR2) is not on_signal:
                replaced_warning()
            if not ok and state["exit_code"] == 0:
                # registered first, so it runs last of the exit handlers: the
                # program has nothing left to do but be torn down
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:
                        pass
                os._exit(1)

        atexit.register(at_exit_dump)

    # The program runs in a fresh module installed as sys.modules["__main__"]
    # (as `python SCRIPT` and `python -m MODULE` do), so its globals stay
    # alive until interpreter shutdown, after the atexit snapshot.
    import types

    main_mod = types.ModuleType("__main__")
    main_mod.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main_mod
    import runpy

    try:
        if kind == "-m":
            mod = rest[1]
            sys.argv = [mod] + rest[2:]  # argv[0] becomes the module's file
            sys.path[0] = os.getcwd()
            run_as_main = getattr(runpy, "_run_module_as_main", None)
            if run_as_main is not None:
                run_as_main(mod, alter_argv=True)
            else:
                runpy.run_module(mod, run_name="__main__", alter_sys=True)
        elif kind == "-c":
            sys.argv = ["-c"] + rest[2:]
            sys.path[0] = ""
            main_mod.__dict__.update(__cached__=None, __loader__=None, __spec__=None, __package__=None)
            code = compile(rest[1], "<string>", "exec", dont_inherit=True)
            exec(code, main_mod.__dict__)
        else:
            script = kind
            sys.argv = rest[:]
            sys.path[0] = os.path.dirname(os.path.abspath(script))
            main_mod.__dict__.update(__file__=script, __cached__=None, __loader__=None, __spec__=None,
                                     __package__=None)
            code = compile(source, script, "exec", dont_inherit=True)
            exec(code, main_mod.__dict__)
    except SystemExit as e:
        code = e.code
        state["exit_code"] = code if isinstance(code, int) else (0 if code is None else 1)
        raise
    except BaseException:
        state["exit_code"] = 1
        raise

if __name__ == "__main__":
    main()
