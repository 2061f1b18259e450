"""test_memory.py - where the memory is, and why it grew (label integration):
`graphleak memory` on three processes whose RSS grows by more than 100 MB for
three different reasons (memory/three_causes.py): the verdict names the
cause with its figures, and every snapshot's breakdown adds up to its RSS
within 5% (the allocators' figures include free memory that is not all
resident: `overcount`). Then objects that own 8 MiB outside themselves
(array.array, collections.deque, io.BytesIO, mmap.mmap: memory/owners.py):
their retained sizes include it, and `suspects` names each; the mmap's mapping
is counted apart from the objects in the allocators. In the sanitizer
build the ASan runtime's own memory about doubles each program's growth, all
of it outside the allocators the breakdown reads, so there the cause's own
part is checked (at least 90 MB) instead of the verdict.

    PYTHON test_memory.py GRAPHLEAK PYTHON
"""
import json
import os
import subprocess
import sys
import tempfile

from shimenv import check, finish, shim_dir

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECT = {"native": "native", "fragmentation": "fragmentation", "objects": "objects"}
MB = 1 << 20
M8 = 8 * MB  # what each of owners.py's objects owns
# the sanitizer build preloads the ASan runtime into the programs
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")


def main():
    gl, py = os.path.abspath(sys.argv[1]), sys.argv[2]
    env = dict(os.environ, PYTHONPATH=shim_dir(gl, py))
    # the accounting is of pymalloc's arenas and glibc's heap: the sanitizer
    # build's PYTHONMALLOC=malloc (for the shim tests, so that ASan sees
    # every object) would put every object in ASan's allocator instead. The
    # ASan runtime stays preloaded; ctypes' malloc is then ASan's, which the
    # breakdown counts as native memory outside the allocators it reads.
    env.pop("PYTHONMALLOC", None)
    with tempfile.TemporaryDirectory(prefix="gl-memory-") as d:
        for cause, verdict in EXPECT.items():
            a, b = os.path.join(d, cause + "-1.snap"), os.path.join(d, cause + "-2.snap")
            p = subprocess.run([py, os.path.join(HERE, "memory", "three_causes.py"), cause, a, b], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
            if not check(p.returncode == 0, "%s: the program ran: %s" % (cause, p.stderr[-500:])):
                continue
            prog = json.loads(p.stdout.strip().splitlines()[-1])
            grew = prog["rss_after"] - prog["rss_before"]
            check(grew >= 100 * MB, "%s: RSS grew by at least 100 MB (%.0f MB)" % (cause, grew / MB))
            q = subprocess.run([gl, "memory", a, b, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, timeout=120)
            if not check(q.returncode == 0, "%s: graphleak memory: %s" % (cause, q.stderr.strip())):
                continue
            j = json.loads(q.stdout)
            g = j["growth"]
            print("%-14s RSS +%.0f MB: %s" % (cause, g["rss_delta"] / MB, g["says"]), flush=True)
            key = {"native": "native_delta", "fragmentation": "fragmentation_delta", "objects": "objects_delta"}[cause]
            if SANITIZED:
                # the ASan runtime's own memory (shadow, quarantine) about
                # doubles the growth, outside every allocator the breakdown
                # reads: the cause's own part is checked, not the verdict
                check(g[key] >= 90 * MB, "%s: its part grew by at least 90 MB (%d)" % (cause, g[key]))
            else:
                check(g["verdict"] == verdict, "%s: the verdict is %s (%s)" % (cause, verdict, g["verdict"]))
                check(g[key] >= 0.8 * g["rss_delta"],
                      "%s: the part named carries most of the growth (%d of %d)" % (cause, g[key], g["rss_delta"]))
            check("MiB" in g["says"], "%s: the verdict gives figures: %r" % (cause, g["says"]))
            for s in j["snapshots"]:
                m = s["memory"]
                if not check(m["known"], "%s: %s has memory figures" % (cause, s["path"])):
                    continue
                total = sum(m["parts"].values())
                # within 5% (or 1 MiB for the 10 MB process before the growth:
                # the allocators count free memory that is not resident)
                check(abs(total - m["overcount"] - m["rss"]) <= 1 and m["overcount"] <= max(0.05 * m["rss"], MB),
                      "%s: %s adds up to RSS within 5%% (parts %d, RSS %d, over by %d)" % (
                          cause, os.path.basename(s["path"]), total, m["rss"], m["overcount"]))
                check(m["pymalloc"] is not None and m["pymalloc"]["arenas"] > 0,
                      "%s: pymalloc's arenas read (%s)" % (cause, m["pymalloc"]))
            # growth says it too, beside the growing containers
            q = subprocess.run([gl, "growth", a, b, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, timeout=120)
            if check(q.returncode == 0, "%s: growth: %s" % (cause, q.stderr.strip()[:300])):
                check(json.loads(q.stdout)["memory"] == g, "%s: growth says what memory says" % cause)
            # the text view: the parts and the verdict
            t = subprocess.run([gl, "memory", a, b], stdout=subprocess.PIPE, universal_newlines=True, timeout=120)
            check(t.returncode == 0 and "RSS" in t.stdout and "pymalloc free" in t.stdout and g["says"] in t.stdout,
                  "%s: the text view shows the parts and the verdict" % cause)
        # objects that own memory outside themselves: retained sizes count it
        snap = os.path.join(d, "owners.snap")
        p = subprocess.run([py, os.path.join(HERE, "memory", "owners.py"), snap], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
        if check(p.returncode == 0, "owners: the program ran: %s" % p.stderr[-500:]):
            q = subprocess.run([gl, "top", snap, "--limit", "0", "--json"], stdout=subprocess.PIPE,
                               universal_newlines=True, timeout=120)
            types = {r["type"]: r for r in json.loads(q.stdout)["types"]}
            for t in ("array.array", "collections.deque", "_io.BytesIO", "mmap.mmap"):
                got = types.get(t, {}).get("retained", 0)
                print("%-18s retained %.2f MiB" % (t, got / MB), flush=True)
                check(got >= 8 * MB, "owners: %s retains its 8 MiB (%d bytes)" % (t, got))
            q = subprocess.run([gl, "suspects", snap], stdout=subprocess.PIPE, universal_newlines=True, timeout=120)
            for g in ("buffer_array", "queue", "stream", "mapping"):
                check("global %s" % g in q.stdout, "owners: suspects names global %s" % g)
            # the mmap's mapping is memory the kernel counts (anonymous here), not
            # the allocators': memory takes it out of the Python objects' part
            q = subprocess.run([gl, "memory", snap, "--json"], stdout=subprocess.PIPE, universal_newlines=True,
                               timeout=120)
            m = json.loads(q.stdout)["snapshots"][0]["memory"]
            check(m.get("mapped") == M8, "owners: memory counts the 8 MiB mapping apart (%s)" % m.get("mapped"))
            t = subprocess.run([gl, "memory", snap], stdout=subprocess.PIPE, universal_newlines=True, timeout=120)
            check("mmap objects map 8.00 MiB" in t.stdout, "owners: the text view says where the mapping is")
    finish()


if __name__ == "__main__":
    main()
