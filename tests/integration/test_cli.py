"""test_cli.py - every graphleak command from the outside, from one table.

    python3 test_cli.py GRAPHLEAK PYTHON

For each command: --help and `help COMMAND` (the same text), a misspelt
option (refused, with the right suggestion), the --limit forms (-n5, -n 5,
--limit=5, --limit 5 agree; --limit 0 is all), --json against the schema in
docs/json/graphleak.schema.json, and a missing, a truncated and a corrupt
snapshot (a clear message, exit 1). Then `run`: an existing -o is refused,
a directory that is not writable is refused before the program starts, a
program that takes SIGUSR2 over is reported, -c and -m work, a misspelt
script snapshots nothing, a failed at-exit snapshot makes the exit status 1.
PYTHON must have a shim (it runs the `run` cases) and python3-jsonschema is
needed for the schema (scripts/install-deps).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
import json_schema  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("  FAIL:", what)
    return cond


def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# command: (arguments after the snapshot(s), the options it has, whether it
# takes a snapshot, --json, --limit). {s} and {s2} are snapshots, {o} a fresh
# output name, {j} a JSON-lines file.
TABLE = {
    "info": (["{s}"], ["json", "redact"], True, True, False),
    "top": (["{s}"], ["limit", "tracked-only", "no-retained", "json"], True, True, True),
    "suspects": (["{s}"], ["min-share", "limit", "json", "redact"], True, True, True),
    "path": (["{s}", "--type", "dict"], ["type", "id", "limit", "json", "redact"], True, True, True),
    "cycles": (["{s}"], ["limit", "json", "redact"], True, True, True),
    "growth": (["{s2}", "{s}"], ["min-items", "min-bytes", "limit", "json", "redact"], True, True, True),
    "memory": (["{s2}", "{s}"], ["json"], True, True, False),
    "render": (["{s}", "--cycles", "-o", "{o}.svg"], ["backrefs", "max-objects", "format", "redact"], True, False,
               False),
    "report": (["{s}", "-o", "{o}.html"], ["output", "min-share", "limit", "redact"], True, False, False),
    "export": (["{s}", "-o", "{o}.jsonl"], ["output", "format", "redact"], True, False, False),
    "import": (["{j}", "-o", "{o}.snap"], ["output", "force"], False, False, False),
    "run": ([], ["output", "at-exit", "no-values", "fork", "trace"], False, False, False),
    "dump": ([], ["pid", "timeout", "dump-timeout", "collect", "no-values", "signal", "fork", "json", "verbose"],
             False, False, False),
    "watch": ([], ["pid", "interval", "count", "timeout", "signal", "json"], False, False, False),
}


def misspell(opt):
    """The option with one letter dropped from its middle: a likely slip."""
    i = max(1, len(opt) // 2)
    return opt[:i] + opt[i + 1:]


def fill(args, ctx):
    return [a.format(**ctx) for a in args]


def command_checks(gl, cmd, spec, ctx):
    args, opts, takes_snap, has_json, has_limit = spec
    print(cmd)
    rc, out, err = run([gl, cmd, "--help"])
    check(rc == 0 and out.startswith("usage: graphleak " + cmd), "%s --help: rc %d, %r" % (cmd, rc, out[:60]))
    rc2, out2, _ = run([gl, "help", cmd])
    check(rc2 == 0 and out2 == out, "%s: `help %s` is `%s --help`" % (cmd, cmd, cmd))
    for o in opts:
        check(("--" + o) in out, "%s --help mentions --%s" % (cmd, o))
    # a misspelt option: refused, the suggestion is the option
    for o in opts[:2]:
        bad = "--" + misspell(o)
        rc, _, err = run([gl, cmd] + fill(args, ctx) + [bad, "1"])
        check(rc == 2 and ("did you mean --%s?" % o) in err, "%s %s: rc %d, %r" % (cmd, bad, rc, err.strip()[:160]))
    if has_json:
        rc, out, err = run([gl, cmd] + fill(args, ctx) + ["--json"])
        if check(rc == 0, "%s --json: rc %d %s" % (cmd, rc, err.strip()[:200])):
            try:
                doc = json.loads(out)
            except ValueError as e:
                doc = None
                check(False, "%s --json: not JSON (%s)" % (cmd, e))
            if doc is not None:
                why = json_schema.check(doc, ctx["schema"])
                check(why is None, "%s --json follows its schema: %s" % (cmd, why))
    if has_limit:
        outs = []
        for form in (["-n5"], ["-n", "5"], ["--limit=5"], ["--limit", "5"]):
            rc, out, err = run([gl, cmd] + fill(args, ctx) + form + ["--json"])
            check(rc == 0, "%s %s: rc %d %s" % (cmd, " ".join(form), rc, err.strip()[:200]))
            outs.append(out)
        check(len(set(outs)) == 1, "%s: -n5, -n 5, --limit=5 and --limit 5 give the same output" % cmd)
        rc, out0, err = run([gl, cmd] + fill(args, ctx) + ["--limit", "0", "--json"])
        check(rc == 0 and len(out0) >= len(outs[0]), "%s --limit 0 shows all (at least as much as 5)" % cmd)
        rc, _, err = run([gl, cmd] + fill(args, ctx) + ["--limit", "lots"])
        check(rc == 2 and "takes a whole number (0: all)" in err, "%s --limit lots: %r" % (cmd, err.strip()[:120]))
    if takes_snap:
        for name, what, pattern in (("missing", "{d}/nope.snap", "cannot open"),
                                    ("truncated", "{d}/cut.snap", "truncated"),
                                    ("corrupt", "{d}/corrupt.snap", "not valid")):
            bad = dict(ctx, s=what.format(**ctx), s2=what.format(**ctx))
            rc, _, err = run([gl, cmd] + fill(args, bad))
            check(rc == 1 and pattern in err and bad["s"] in err,
                  "%s on a %s snapshot: rc %d, %r" % (cmd, name, rc, err.strip()[:200]))


def run_checks(gl, py, d):
    """graphleak run: nothing replaced, nothing started in vain, said plainly."""
    print("run (cases)")
    snap = os.path.join(d, "app.snap")
    # -c CODE, at exit
    rc, out, err = run([gl, "run", "-o", snap, "--at-exit", "--", py, "-c", "import sys; print(sys.argv[1:])", "a"])
    check(rc == 0 and "['a']" in out and os.path.exists(snap), "run -c: rc %d, %r, %s" % (rc, out, err.strip()))
    before = os.stat(snap).st_mtime_ns
    # an existing -o: refused, and the program does not run
    mark = os.path.join(d, "ran")
    rc, out, err = run([gl, "run", "-o", snap, "--at-exit", "--", py, "-c", "open(%r, 'w')" % mark])
    check(rc == 1 and "exists" in err and "never replaces" in err and not os.path.exists(mark) and
          os.stat(snap).st_mtime_ns == before, "run -o EXISTING: refused before the start (%d, %r)" % (rc, err.strip()))
    # a directory that does not exist, one that cannot be written
    rc, _, err = run([gl, "run", "-o", os.path.join(d, "no", "x.snap"), "--", py, "-c", "open(%r, 'w')" % mark])
    check(rc == 1 and "no directory" in err and not os.path.exists(mark), "run -o MISSING/DIR: %r" % err.strip())
    if os.geteuid() == 0 and shutil.which("setpriv"):
        ro = os.path.join(d, "ro")
        os.mkdir(ro, 0o755)
        rc, _, err = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", gl, "run", "-o",
                          os.path.join(ro, "x.snap"), "--", py, "-c", "pass"])
        check(rc == 1 and "cannot write snapshots in" in err, "run -o UNWRITABLE/DIR: %r" % err.strip())
    # -m MODULE
    mod = os.path.join(d, "mymod.py")
    with open(mod, "w") as f:
        f.write("import sys\nprint('module', __name__, sys.argv[1:])\n")
    snap2 = os.path.join(d, "mod.snap")
    rc, out, err = run([gl, "run", "-o", snap2, "--at-exit", "--", py, "-m", "mymod", "x"], cwd=d)
    check(rc == 0 and "module __main__ ['x']" in out and os.path.exists(snap2), "run -m: %d %r %r" % (
        rc, out, err.strip()))
    # later snapshots take the next free name
    open(os.path.join(d, "next-2.snap"), "w").close()
    code = "import os, signal, time; os.kill(os.getpid(), signal.SIGUSR2); time.sleep(0.5); " \
           "os.kill(os.getpid(), signal.SIGUSR2); time.sleep(0.5)"
    rc, _, err = run([gl, "run", "-o", os.path.join(d, "next.snap"), "--", py, "-c", code])
    made = sorted(f for f in os.listdir(d) if f.startswith("next"))
    check(rc == 0 and made == ["next-2.snap", "next-3.snap", "next.snap"] and
          os.path.getsize(os.path.join(d, "next-2.snap")) == 0, "run: the next free name (%s, %r)" % (
              made, err.strip()))
    # the program takes SIGUSR2 over: said
    rc, _, err = run([gl, "run", "-o", os.path.join(d, "taken.snap"), "--", py, "-c",
                      "import signal; signal.signal(signal.SIGUSR2, lambda *a: None)"])
    check(rc == 0 and "installed its own SIGUSR2 handler" in err and "graphleak dump --pid" in err,
          "run: a program taking SIGUSR2 over is reported (%r)" % err.strip())
    # a misspelt script: nothing runs, nothing is written
    rc, _, err = run([gl, "run", "-o", os.path.join(d, "typo.snap"), "--at-exit", "--", py, "nosuch.py"])
    check(rc != 0 and "cannot open nosuch.py" in err and not os.path.exists(os.path.join(d, "typo.snap")),
          "run with a misspelt script: %d %r" % (rc, err.strip()))
    # the at-exit snapshot cannot be written (a 4 KiB file size limit): exit 1
    big = os.path.join(d, "big.snap")

    def small_files():
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    p = subprocess.run([gl, "run", "-o", big, "--at-exit", "--", py, "-c", "x = list(range(100000))"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, preexec_fn=small_files)
    err = p.stderr.decode()
    check(p.returncode == 1 and "snapshot (exit) failed" in err and not os.path.exists(big),
          "run: a failed at-exit snapshot exits 1 (%d, %r)" % (p.returncode, err.strip()))
    rc, _, err = run([gl, "run"])
    check(rc == 2 and "no program given" in err, "run without a program: %r" % err.strip())


def export_checks(gl, s, d):
    """export --format: jsonl by default, heapsnapshot on request (its
    content is checked by tests/browser/test_heapsnapshot.js), anything else
    a usage error that names the formats."""
    print("export --format")
    _, out, _ = run([gl, "export", "--help"])
    check("heapsnapshot" in out and "--format heapsnapshot -o" in out, "export --help teaches heapsnapshot")
    rc, default, _ = run([gl, "export", s])
    rc2, jsonl, _ = run([gl, "export", s, "--format", "jsonl"])
    check(rc == 0 and rc2 == 0 and default == jsonl and default.startswith('{"header":'),
          "export: jsonl is the default format")
    hs = os.path.join(d, "a.heapsnapshot")
    rc, _, err = run([gl, "export", s, "--format=heapsnapshot", "-o", hs])
    if check(rc == 0, "export --format=heapsnapshot: rc %d %s" % (rc, err.strip()[:200])):
        with open(hs) as f:
            doc = json.load(f)
        meta = doc["snapshot"]["meta"]
        check(len(doc["nodes"]) == doc["snapshot"]["node_count"] * len(meta["node_fields"]) and
              doc["strings"][doc["nodes"][1]] == "(graphleak roots)", "export --format heapsnapshot: a heap snapshot")
    for bad, hint in (("heapsnpshot", "did you mean heapsnapshot?"), ("v8", "takes jsonl or heapsnapshot")):
        rc, out, err = run([gl, "export", s, "--format", bad, "-o", os.path.join(d, "never.out")])
        check(rc == 2 and ("unknown format '%s'" % bad) in err and hint in err and not out and
              not os.path.exists(os.path.join(d, "never.out")), "export --format %s: rc %d, %r" % (bad, rc, err.strip()))


def main():
    gl, py = os.path.abspath(sys.argv[1]), sys.argv[2]
    with open(json_schema.SCHEMA) as f:
        schema = json.load(f)
    d = tempfile.mkdtemp(prefix="gl-cli-")
    os.chmod(d, 0o755)  # another user (the unwritable-directory case) may look in
    try:
        # snapshots of a real process, two of them for growth
        s, s2 = os.path.join(d, "a.snap"), os.path.join(d, "b.snap")
        code = "import graphleak, os; cache = [bytes(100) for _ in range(%d)]; graphleak.dump(%r)"
        env = dict(os.environ)
        for path, n in ((s2, 1000), (s, 3000)):
            rc, _, err = run([gl, "run", "--", py, "-c", code % (n, path)], env=env)
            if not check(rc == 0 and os.path.exists(path), "making %s: %s" % (path, err.strip())):
                return 1
        j = os.path.join(d, "a.jsonl")
        run([gl, "export", s, "-o", j])
        with open(s, "rb") as f:
            data = f.read()
        with open(os.path.join(d, "cut.snap"), "wb") as f:
            f.write(data[:len(data) // 2])
        hlen = int.from_bytes(data[16:24], "little")
        bad = bytearray(data)
        # a '}' in the header JSON, from its middle on, where it breaks the
        # JSON: not inside a string (the header holds paths, whose length
        # depends on where graphleak and the test run)
        for at in range(24 + hlen // 2, 24 + hlen):
            header = bytes(data[24:at]) + b"}" + bytes(data[at + 1:24 + hlen])
            try:
                json.loads(header.decode("utf-8", "replace"))
            except ValueError:
                bad[at] = ord("}")
                break
        with open(os.path.join(d, "corrupt.snap"), "wb") as f:
            f.write(bytes(bad))
        # the schema catches what it should (a check that can fail)
        broken = {"schema": "graphleak.top/1", "file": "x", "tracked_only": False, "types": [], "other": {}}
        check(json_schema.check(broken, schema) is not None, "the schema refuses an output without \"total\"")
        for cmd, spec in TABLE.items():
            ctx = {"s": s, "s2": s2, "o": os.path.join(d, "out-" + cmd), "j": j, "d": d, "schema": schema}
            command_checks(gl, cmd, spec, ctx)
        export_checks(gl, s, d)
        run_checks(gl, py, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
