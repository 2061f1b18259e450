"""shimenv.py - what test_memory.py and test_sites.py share: the list of
failures and check(), the shim folder for an interpreter (as graphleak
finds it: shims.tsv beside the binary, the line of its minor version), and
the end of a test."""
import os
import subprocess
import sys

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def shim_dir(gl, py):
    minor = subprocess.run([py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    manifest = os.path.join(os.path.dirname(os.path.realpath(gl)), "pyshim", "shims.tsv")
    with open(manifest) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] == minor:
                return os.path.join(os.path.dirname(manifest), p[3])
    return None


def finish():
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("ok")
