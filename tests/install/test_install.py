"""test_install.py - graphleak installed, moved and packaged (label install).

    python3 test_install.py stage CMAKE BUILD TREE
        `cmake --install BUILD --prefix /opt/graphleak` into a scratch DESTDIR,
        then the whole tree moved to TREE: the layout, and a manifest that
        names nothing of the build tree
    python3 test_install.py tree TREE PYTHON [PYTHON ...]
        from the moved tree: --help; `run` of a script that snapshots itself
        under each PYTHON (the shim is the tree's); top and render on its
        snapshot; `dump --pid` of a running PYTHON; the man page (a section
        per command of the command table, each the command's own help); the
        bash completion (every command, each command's options, snapshots)
    python3 test_install.py deb CPACK BUILD OUT
        `cpack -G DEB` of BUILD into OUT: its name, its file list (binary,
        shims, man page, completion, docs) and Depends (jansson, Graphviz,
        elfutils); extracted into OUT/root for the tests that use it

Every wait is bounded; nothing is timed.
"""
import glob
import gzip
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile

FAILURES = []
# For the system's own tools (groff, bash): without the sanitizer build's
# preloaded ASan runtime, meant for the interpreters that load the shim.
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("  FAIL:", what)
    return cond


def run(argv, timeout=120, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def read_manifest(path):
    """shims.tsv: [minor version, version built from, interpreter built with, folder] per line."""
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]


def help_commands(gl):
    """The commands `graphleak --help` lists (its command table), not `help`."""
    rc, out, err = run([gl, "--help"])
    check(rc == 0, "graphleak --help: rc %d %s" % (rc, err.strip()))
    part = out.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0] if "\ncommands:\n" in out else ""
    cmds = [l.split()[0] for l in part.splitlines() if l.startswith("  ") and l.split()]
    return [c for c in cmds if c != "help"]


# What a tree and the package must have, relative to the prefix (and the
# man page: graphleak.1 in a tree, graphleak.1.gz in the package).
INSTALLED = ["bin/graphleak", "lib/graphleak/shims.tsv", "lib/graphleak/graphleak_run.py",
             "share/bash-completion/completions/graphleak", "share/doc/graphleak/README.md",
             "share/doc/graphleak/docs/install.md", "share/doc/graphleak/docs/attach.md"]


# ---- stage: cmake --install with DESTDIR, then moved ------------------------------

def cmd_stage(cmake, build, tree):
    tree = os.path.abspath(tree)
    scratch = os.path.dirname(tree)
    if os.path.exists(scratch):
        shutil.rmtree(scratch)
    stage = os.path.join(scratch, "stage")
    os.makedirs(stage)
    env = dict(os.environ, DESTDIR=stage)
    rc, out, err = run([cmake, "--install", build, "--prefix", "/opt/graphleak"], env=env, timeout=300)
    if not check(rc == 0, "cmake --install with DESTDIR: rc %d %s" % (rc, err.strip()[-400:])):
        return
    staged = os.path.join(stage, "opt", "graphleak")
    if not check(os.path.isdir(staged), "installed under DESTDIR/opt/graphleak"):
        return
    # moved elsewhere, at another depth: nothing may depend on where it was
    os.rename(staged, tree)
    shutil.rmtree(stage)
    for f in INSTALLED + ["share/man/man1/graphleak.1"]:
        check(os.path.isfile(os.path.join(tree, f)), "installed: %s" % f)
    check(os.access(os.path.join(tree, "bin/graphleak"), os.X_OK), "bin/graphleak is executable")
    built = read_manifest(os.path.join(build, "pyshim", "shims.tsv"))
    inst_path = os.path.join(tree, "lib/graphleak/shims.tsv")
    if not os.path.isfile(inst_path):
        return
    inst = read_manifest(inst_path)
    check(len(inst) == len(built) and len(inst) > 0, "the installed manifest lists every shim (%d, built %d)" % (
        len(inst), len(built)))
    with open(inst_path, encoding="utf-8") as f:
        text = f.read()
    check(os.path.realpath(build) not in text and build not in text,
          "the installed manifest names nothing of the build tree")
    for b, i in zip(built, inst):
        check(b[:3] == i[:3], "manifest row kept: %s vs %s" % (b[:3], i[:3]))
        check(len(i) == 4 and not os.path.isabs(i[3]), "a shim folder relative to the manifest: %s" % i[-1])
        d = os.path.join(tree, "lib/graphleak", i[3])
        check(glob.glob(os.path.join(d, "graphleak*.so")) != [], "a shim in %s" % d)
        check(os.path.basename(b[3]) == os.path.basename(d), "the same folder as in the build: %s" % i[3])
    print("stage: %d files under %s" % (sum(len(fs) for _, _, fs in os.walk(tree)), tree))


# ---- tree: the moved tree at work --------------------------------------------------

SELF_SNAP = r'''
import sys
import graphleak

class Leak(object):
    def __init__(self, i):
        self.payload = bytes(64) + str(i).encode()

KEPT = [Leak(i) for i in range(2000)]
print("shim", graphleak.__file__)
print("dump", graphleak.dump(sys.argv[1])["objects"])
'''


def check_run(gl, tree, py, d, tag):
    """`graphleak run` of a script that snapshots itself (and at exit)."""
    script = os.path.join(d, "self_snap.py")
    with open(script, "w") as f:
        f.write(SELF_SNAP)
    own, at_exit = os.path.join(d, "own-%s.snap" % tag), os.path.join(d, "exit-%s.snap" % tag)
    rc, out, err = run([gl, "run", "-o", at_exit, "--at-exit", "--", py, script, own], cwd=d)
    if not check(rc == 0, "run under %s: rc %d %s" % (py, rc, err.strip()[-400:])):
        return None
    shim = re.search(r"^shim (.*)$", out, re.M)
    check(shim and os.path.realpath(shim.group(1)).startswith(tree + "/lib/graphleak/"),
          "run under %s imports the tree's shim (%s)" % (py, shim.group(1) if shim else out.strip()))
    check(os.path.isfile(own) and os.path.isfile(at_exit), "run under %s: both snapshots written" % py)
    print("run %s: ok (%s)" % (py, shim.group(1) if shim else "?"))
    return own


def check_analysis(gl, snap, d):
    rc, out, err = run([gl, "top", snap, "--limit", "0", "--json"])
    if check(rc == 0, "top: rc %d %s" % (rc, err.strip())):
        types = {t.get("type"): t.get("count") for t in json.loads(out).get("types", [])}
        check(types.get("__main__.Leak") == 2000, "top counts the 2,000 Leak objects (%s)" % types.get(
            "__main__.Leak"))
    svg = os.path.join(d, "leak.svg")
    rc, out, err = run([gl, "render", snap, "--backrefs", "Leak", "-o", svg])
    ok = rc == 0 and os.path.isfile(svg)
    if ok:
        with open(svg, encoding="utf-8", errors="replace") as f:
            ok = "<svg" in f.read()
    check(ok, "render --backrefs Leak to SVG: rc %d %s" % (rc, err.strip()))
    print("top, render: ok")


def check_dump(gl, tree, py, d):
    """`graphleak dump --pid` of a running interpreter: the tree's shim."""
    code = "import sys; Kept = [dict(a=i) for i in range(500)]; print('ready', flush=True); sys.stdin.read()"
    p = subprocess.Popen([py, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        ready = select.select([p.stdout], [], [], 60)[0] and p.stdout.readline()
        if not check(ready and ready.startswith(b"ready"), "dump: the target started (%r)" % ready):
            return
        snap = os.path.join(d, "dumped.snap")
        rc, out, err = run([gl, "dump", "--pid", str(p.pid), "-o", snap, "--json"])
        if not check(rc == 0, "dump --pid %d: rc %d %s" % (p.pid, rc, err.strip())):
            return
        j = json.loads(out)
        check(j.get("ok") and j.get("shim", "").startswith(tree + "/lib/graphleak/"),
              "dump --pid loads the tree's shim (%s)" % j.get("shim"))
        rc, out, err = run([gl, "info", snap])
        check(rc == 0 and str(p.pid) in out, "info on the dumped snapshot: rc %d %s" % (rc, err.strip()))
        check(p.poll() is None, "dump: the target runs on")
        print("dump --pid: ok (%s)" % j.get("shim"))
    finally:
        p.kill()
        p.wait(10)
        p.stdout.close()
        p.stdin.close()


def unman(text):
    """A no-fill block of the man page back to the text it was made from."""
    return text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def check_man(gl, tree, commands):
    path = os.path.join(tree, "share/man/man1/graphleak.1")
    if not check(os.path.isfile(path), "the man page exists: %s" % path):
        return
    with open(path, encoding="utf-8") as f:
        man = f.read()
    check(man.startswith(".\\\"") and "\n.TH GRAPHLEAK 1 " in man, "the man page is a groff man page")
    sections = dict(re.findall(r'^\.SH "graphleak ([a-z]+)"\n\.nf\n(.*?)\n\.fi$', man, re.M | re.S))
    for c in commands:
        if not check(c in sections, "the man page has a section for `%s`" % c):
            continue
        rc, out, _ = run([gl, "help", c])
        check(unman(sections[c]) == out.rstrip("\n"), "the man page's `%s` section is its help" % c)
    check(set(sections) == set(commands), "the man page has no other command (%s)" % sorted(set(sections) - set(commands)))
    if shutil.which("groff"):
        rc, out, err = run(["groff", "-man", "-Tutf8", "-ww", "-z", path], env=TOOL_ENV)
        check(rc == 0 and err.strip() == "", "groff -man -ww: no warning (%s)" % err.strip()[:300])
    print("man: %d command sections" % len(sections))


def complete(script, cases, cwd):
    """Each case (a list of words, the last being completed) through the
    completion function that `complete -p graphleak` names, in one bash."""
    lines = ['source "$1" || exit 3',
             'fn=$(complete -p graphleak | sed -n "s/.*-F \\([^ ]*\\) .*/\\1/p")',
             '[ -n "$fn" ] || exit 4',
             'c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE};',
             '      COMPREPLY=(); "$fn" graphleak "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}";',
             '      printf "%s\\n" "${COMPREPLY[*]}"; }']
    for words in cases:
        lines.append("c " + " ".join("'%s'" % w for w in words))
    rc, out, err = run(["bash", "-c", "\n".join(lines), "bash", script], cwd=cwd, env=TOOL_ENV)
    check(rc == 0, "bash completion: rc %d %s" % (rc, err.strip()))
    got = out.split("\n")
    return [sorted(set(got[i].split())) if i < len(got) else [] for i in range(len(cases))]


def check_completion(gl, tree, commands, d):
    script = os.path.join(tree, "share/bash-completion/completions/graphleak")
    if not check(os.path.isfile(script), "the completion script exists: %s" % script):
        return
    work = os.path.join(d, "comp")
    os.makedirs(os.path.join(work, "sub"))
    for name in ("a.snap", "b.snap", "notes.txt", "heap.jsonl"):
        open(os.path.join(work, name), "w").close()
    # a command's options as its help says them: all those its usage lines
    # show, and no option its help does not mention
    said, usage = {}, {}
    for c in commands:
        rc, out, _ = run([gl, "help", c])
        find = lambda text: set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
        said[c] = find(out)
        usage[c] = find(out.split("\n\n", 1)[0])
    cases = [["graphleak", ""], ["graphleak", "help", ""], ["graphleak", "path", "--t"],
             ["graphleak", "top", ""], ["graphleak", "top", "--limit", ""], ["graphleak", "import", ""],
             ["graphleak", "run", "-o", "a"], ["graphleak", "dump", "--output", "=", ""]]
    cases += [["graphleak", c, "--"] for c in commands]
    got = complete(script, cases, work)
    check(got[0] == sorted(commands + ["help"]), "graphleak <TAB>: every command (%s)" % got[0])
    check(got[1] == sorted(commands), "graphleak help <TAB>: every command (%s)" % got[1])
    check(got[2] == ["--type"], "graphleak path --t<TAB>: --type (%s)" % got[2])
    check(got[3] == ["a.snap", "b.snap", "sub"], "graphleak top <TAB>: snapshots and directories (%s)" % got[3])
    check(got[4] == [], "graphleak top --limit <TAB>: a number, nothing to offer (%s)" % got[4])
    check(got[5] == ["heap.jsonl", "sub"], "graphleak import <TAB>: JSON lines and directories (%s)" % got[5])
    check(got[6] == ["a.snap"], "graphleak run -o a<TAB>: a.snap (%s)" % got[6])
    check(got[7] == ["a.snap", "b.snap", "sub"], "graphleak dump --output=<TAB>: snapshots (%s)" % got[7])
    for c, g in zip(commands, got[8:]):
        check(usage[c] <= set(g) and set(g) <= said[c] | {"--help"} and "--help" in g,
              "graphleak %s --<TAB>: its options (%s; usage: %s)" % (c, g, sorted(usage[c])))
    print("completion: %d cases" % len(cases))


def cmd_tree(tree, pythons):
    tree = os.path.realpath(tree)
    gl = os.path.join(tree, "bin", "graphleak")
    if not check(os.access(gl, os.X_OK), "the moved tree has bin/graphleak (install-stage)"):
        return
    rc, out, err = run([gl, "--help"])
    check(rc == 0 and out.startswith("graphleak - "), "graphleak --help: rc %d %s" % (rc, err.strip()))
    commands = help_commands(gl)
    rc, table, _ = run([gl, "__complete", "commands"])
    check([l.split("\t")[0] for l in table.splitlines()] == commands,
          "`__complete commands` is the command table --help shows (%s)" % commands)
    d = tempfile.mkdtemp(prefix="gl-install-")
    os.chmod(d, 0o755)
    try:
        snap = None
        for i, py in enumerate(pythons):
            s = check_run(gl, tree, py, d, i)
            snap = snap or s
        if snap:
            check_analysis(gl, snap, d)
        check_dump(gl, tree, pythons[0], d)
        check_man(gl, tree, commands)
        check_completion(gl, tree, commands, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- deb: cpack -G DEB ------------------------------------------------------------------

def cmd_deb(cpack, build, out):
    out = os.path.abspath(out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    rc, so, se = run([cpack, "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", out],
                     cwd=build, timeout=600)
    if not check(rc == 0, "cpack -G DEB: rc %d %s %s" % (rc, so.strip()[-400:], se.strip()[-400:])):
        return
    rc, ver, _ = run([os.path.join(build, "graphleak"), "--version"])
    version = ver.split()[1] if rc == 0 and len(ver.split()) > 1 else "?"
    rc, arch, _ = run(["dpkg", "--print-architecture"])
    debs = glob.glob(os.path.join(out, "*.deb"))
    want = "graphleak_%s_%s.deb" % (version, arch.strip())
    if not check([os.path.basename(p) for p in debs] == [want], "one package, %s (%s)" % (want, debs)):
        return
    deb = debs[0]
    rc, listing, err = run(["dpkg-deb", "-c", deb])
    check(rc == 0, "dpkg-deb -c: rc %d %s" % (rc, err.strip()))
    files = set(l.split()[-1] for l in listing.splitlines() if l.split())
    for f in INSTALLED + ["share/man/man1/graphleak.1.gz"]:
        check("./usr/" + f in files, "the package has /usr/%s" % f)
    built = read_manifest(os.path.join(build, "pyshim", "shims.tsv"))
    for row in built:
        sub = "./usr/lib/graphleak/%s/" % os.path.basename(row[3])
        check(any(f.startswith(sub + "graphleak") and f.endswith(".so") for f in files),
              "the package has the shim for %s (%s)" % (row[0], sub))
    rc, depends, err = run(["dpkg-deb", "-f", deb, "Depends"])
    check(rc == 0, "dpkg-deb -f Depends: rc %d %s" % (rc, err.strip()))
    for lib in ("libjansson", "libgvc", "libcgraph", "libdw", "libelf"):
        check(re.search(r"(^|[ ,])%s[0-9]" % lib, depends) is not None, "Depends names %s (%s)" % (
            lib, depends.strip()))
    check("python" not in depends, "Depends names no Python: a shim loads only into one (%s)" % depends.strip())
    root = os.path.join(out, "root")
    rc, _, err = run(["dpkg-deb", "-x", deb, root])
    if not check(rc == 0, "dpkg-deb -x: rc %d %s" % (rc, err.strip())):
        return
    rc, so, se = run([os.path.join(root, "usr/bin/graphleak"), "--version"])
    check(rc == 0 and so == ver, "the extracted graphleak runs: %r %s" % (so, se.strip()))
    with gzip.open(os.path.join(root, "usr/share/man/man1/graphleak.1.gz"), "rt", encoding="utf-8") as f:
        check("\n.TH GRAPHLEAK 1 " in f.read(), "the packaged man page is graphleak.1, compressed")
    print("deb: %s, %d entries; Depends: %s" % (os.path.basename(deb), len(files), depends.strip()))


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "stage" and len(args) == 3:
        cmd_stage(*args)
    elif what == "tree" and len(args) >= 2:
        cmd_tree(args[0], args[1:])
    elif what == "deb" and len(args) == 3:
        cmd_deb(*args)
    else:
        sys.exit(__doc__)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
