#!/usr/bin/env python3
"""graphleak's benchmark: builds realistic heaps of about 100k, 1M and 3M
gc-tracked objects in Debian's python3, snapshots each with the shim, and
measures, side by side in one run on the same heap:

  snapshot  the pause (GIL held), file size per gc-tracked object, load and
            `top` time; beside objgraph.typestats() and a pure-Python
            gc.get_referents walk writing JSON lines (issue: foundation)
  analysis  load + roots + chains + dominators + SCC + suspects, time and
            memory, and `path --type` for a type with tens of thousands of
            instances; beside objgraph.find_backref_chain (with --slow-peers,
            which takes minutes at 3M) (issue: who holds the memory)

Figures go to bench/RESULTS.md (each section replaced in place), with the
date and the machine. Timings are single runs on a shared 2-core machine:
read them as magnitudes, and run again before trusting a small difference.

usage: bench/run.py [--sizes 100000,1000000,3000000] [--build build]
                    [--python /usr/bin/python3] [--slow-peers] [--no-write]
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def shim_dir(build, python):
    """The shim of python's minor version (shims.tsv: minor, version, the
    interpreter it was built from, folder)."""
    minor = subprocess.check_output([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                    text=True).strip()
    with open(os.path.join(build, "pyshim", "shims.tsv")) as f:
        for line in f:
            m, ver, built_with, d = line.rstrip("\n").split("\t")
            if m == minor:
                return d
    sys.exit("bench: no shim built for %s (build the project first)" % python)


def timings(stderr):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"timing: (\S+) ([0-9.]+) s", stderr)}


def gnu_time(cmd, env=None):
    """(wall seconds, peak RSS bytes, stdout, stderr) via /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M"] + cmd, capture_output=True,
                           text=True, env=env)
        dt = time.perf_counter() - t
        if p.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(cmd), p.stderr[-2000:]))
        rss = int(tf.read().strip().splitlines()[-1]) * 1024
    return dt, rss, p.stdout, p.stderr


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cores, %.0f GiB, Linux %s" % (cpu, os.cpu_count(), mem, platform.release())


def mb(x):
    return "%.1f MB" % (x / 1e6)


def bench_size(args, n, tmp):
    gl = os.path.join(args.build, "graphleak")
    glb = os.path.join(args.build, "graphleak-bench")
    snap = os.path.join(tmp, "heap-%d.snap" % n)
    walk = os.path.join(tmp, "heap-%d.jsonl" % n)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([shim_dir(args.build, args.python), HERE]))
    cmd = [args.python, os.path.join(HERE, "child.py"), str(n), snap, walk] + (["--slow-peers"] if args.slow_peers else [])
    print("bench: %d tracked objects: building the heap and dumping ..." % n, file=sys.stderr)
    # the child's result is its last line (objgraph prints on stdout too)
    r = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    tenv = dict(os.environ, GRAPHLEAK_TIMING="1")
    dt, rss, _, err = gnu_time([gl, "top", snap, "--no-retained"], tenv)
    r["top"] = {"wall": dt, "rss": rss, **timings(err)}
    dt, rss, _, err = gnu_time([gl, "suspects", snap], tenv)
    r["suspects_cmd"] = {"wall": dt, "rss": rss, **timings(err)}
    dt, rss, _, err = gnu_time([gl, "path", snap, "--type", "Session"], tenv)
    r["path_cmd"] = {"wall": dt, "rss": rss, **timings(err)}
    for fmt in ("svg", "png"):
        dt, rss, _, err = gnu_time([gl, "render", snap, "--backrefs", "Order", "--max-objects", "16",
                                    "-o", os.path.join(tmp, "orders." + fmt)], tenv)
        r["render_" + fmt] = {"wall": dt, "rss": rss, **timings(err)}
    dt, rss, _, err = gnu_time([gl, "growth", snap] + r["growth_snaps"] + ["--json"], tenv)
    r["growth_cmd"] = {"wall": dt, "rss": rss, **timings(err)}
    for p in r["growth_snaps"]:
        os.unlink(p)
    dt, rss, out, _ = gnu_time([glb, snap, "Session"])
    r["phases"] = dict(json.loads(out), wall=dt, rss=rss)
    os.unlink(snap)
    return r


def replace_section(text, name, body):
    start, end = "<!-- %s -->" % name, "<!-- /%s -->" % name
    block = "%s\n%s\n%s" % (start, body.rstrip(), end)
    if start in text and end in text:
        return text[:text.index(start)] + block + text[text.index(end) + len(end):]
    return text.rstrip() + "\n\n" + block + "\n"


def write_section(name, body):
    """Replaces (or adds) section `name` of bench/RESULTS.md with body."""
    path = os.path.join(HERE, "RESULTS.md")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(replace_section(text, name, body))


def snapshot_section(results, when):
    rows = ["| heap (gc-tracked) | objects in snapshot | edges | pause | file | bytes / tracked | shim peak | load, in `top` | load, in-process | `top` | objgraph.typestats() | pure-Python walk | its JSON lines | its extra memory |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        d = r["dump"]
        rows.append("| {:,} | {:,} | {:,} | {:.3f} s | {} | {:.1f} | {} | {:.3f} s | {:.3f} s | {:.3f} s | {:.3f} s | {:.2f} s | {} | {} |".format(
            r["tracked"], d["objects"], d["edges"], d["pause_seconds"], mb(d["file_bytes"]),
            d["file_bytes"] / r["tracked"], mb(d["shim_peak_bytes"]), r["top"].get("load", 0),
            r["phases"]["load_forward"], r["top"]["wall"], r["objgraph_typestats_s"], r["pywalk"]["s"], mb(r["pywalk"]["bytes"]),
            mb(r["pywalk"]["rss_growth"])))
    return ("## Snapshot (foundation)\n\n%s\n\n%s\n\nTargets at 1M gc-tracked objects: pause <= 0.2 s, "
            "snapshot <= 100 bytes per gc-tracked object, load <= 0.2 s. Load in `top` is the first command run "
            "right after the target process (which built the heap) exited, while its memory is being returned to "
            "the kernel; in-process is the same load in graphleak-bench a moment later. `top` is the whole command "
            "(process start, load, per-type table). Python %s.\n" % (when, "\n".join(rows), results[0]["python"]))


def analysis_section(results, when, slow):
    rows = ["| heap (gc-tracked) | objects | load + reverse | analysis | suspects | whole | memory, whole (per object) | memory with the queries (per object) | 10 suspects' holders: nearest on the chain | every holder (found) | `path --type Session`, every holder (instances) | `suspects` command | objgraph backref, narrow | objgraph backref, class-level list |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        p = r["phases"]
        og1 = "%.2f s" % r["objgraph_backref_narrow_s"] if "objgraph_backref_narrow_s" in r else "not run"
        og2 = "%.1f s" % r["objgraph_backref_registry_s"] if "objgraph_backref_registry_s" in r else "not run"
        rows.append("| {:,} | {:,} | {:.3f} s | {:.3f} s | {:.3f} s | {:.3f} s | {} ({:.0f} B) | {} ({:.0f} B) | {:.3f} s | {:.3f} s ({:,}) | {:.3f} s ({:,}) | {:.2f} s | {} | {} |".format(
            r["tracked"], p["objects"], p["load"], p["analysis"], p["suspects"], p["whole"],
            mb(p["peak_rss_whole"]), p["peak_rss_whole"] / p["objects"], mb(p["peak_rss"]),
            p["peak_rss"] / p["objects"], p["single_holder"], p["every_holder"], p["every_holder_found"],
            p["path_type"], p["type_objects"], r["suspects_cmd"]["wall"], og1, og2))
    return ("## Analysis (who holds the memory)\n\n%s\n\n%s\n\n`whole` = load with reverse edges + analysis "
            "(roots, chains, dominators and retained sizes, SCC; the dominator tree on one core, the chains on "
            "the other) + suspects, in one process (graphleak-bench). The holders of the (up to) 10 suspects: "
            "the nearest holder on each one's shortest chain (what graphleak said before every holder), and "
            "every independent holder with its full-path name (docs/architecture.md), how many were found in "
            "all. `path --type` is the query after the analysis: every holder of every Session instance, "
            "counted (one bit per holder). Memory is the process's peak RSS (the mapped snapshot included), "
            "per object in the snapshot: when the whole analysis is done, and at the end with the holder "
            "queries after it. objgraph's figures hold the target's GIL for as long "
            "as they run. Targets at 1M: whole analysis <= 1 s and <= 200 bytes per object; later queries <= "
            "0.1 s.\n" % (when, "\n".join(rows)))


def render_section(results, when):
    rows = ["| heap (gc-tracked) | Order instances | render step, SVG | render step, PNG | whole `render` command, SVG | objgraph.show_backrefs (16 objects, DOT only, in the target) |",
            "|---|---|---|---|---|---|"]
    for r in results:
        sv, pn = r["render_svg"], r["render_png"]
        rows.append("| {:,} | 40,000 | {:.3f} s | {:.3f} s | {:.2f} s | {:.2f} s |".format(
            r["tracked"], sv.get("render", 0), pn.get("render", 0), sv["wall"], r["objgraph_show_backrefs_s"]))
    return ("## Render (pictures)\n\n%s\n\n%s\n\n`graphleak render SNAP --backrefs Order --max-objects 16`: "
            "the render step is what follows loading and analysis (choosing the subgraph, building it with "
            "cgraph, laying it out and writing it with gvc). The whole command includes process start, load "
            "and analysis. objgraph's figure is in the target process, holding its GIL. Target: render step "
            "<= 0.3 s after the snapshot is loaded, any heap size.\n" % (when, "\n".join(rows)))


def growth_section(results, when):
    rows = ["| heap (gc-tracked) | `graphleak growth` of 3 snapshots | its peak memory | one snapshot's analysis (`suspects`) peak | ratio |",
            "|---|---|---|---|---|"]
    for r in results:
        g, s1 = r["growth_cmd"], r["suspects_cmd"]
        rows.append("| {:,} | {:.2f} s | {} | {} | {:.2f}x |".format(r["tracked"], g["wall"], mb(g["rss"]), mb(s1["rss"]),
                                                                     g["rss"] / s1["rss"]))
    return ("## Growth (across snapshots)\n\n%s\n\n%s\n\nThree snapshots of the heap, the cache grown by 2%% "
            "between them; the whole `graphleak growth` command (loading and analysing each snapshot, the last "
            "kept while the others come and go). Targets at 1M: <= 2 s and <= 3x one snapshot's analysis "
            "memory.\n" % (when, "\n".join(rows)))


def main():
    ap = argparse.ArgumentParser(description="graphleak benchmark")
    ap.add_argument("--sizes", default="100000,1000000,3000000")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--slow-peers", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="gl-bench-") as tmp:
        for n in sizes:
            results.append(bench_size(args, n, tmp))
            print(json.dumps(results[-1]), file=sys.stderr)
    when = "Measured %s on %s." % (datetime.date.today().isoformat(), machine())
    path = os.path.join(HERE, "RESULTS.md")
    text = open(path).read() if os.path.exists(path) else "# graphleak benchmark results\n\nMade by `bench/run.py`; each section is rewritten by its run.\n"
    text = replace_section(text, "snapshot", snapshot_section(results, when))
    text = replace_section(text, "analysis", analysis_section(results, when, args.slow_peers))
    text = replace_section(text, "render", render_section(results, when))
    text = replace_section(text, "growth", growth_section(results, when))
    if args.no_write:
        print(text)
    else:
        with open(path, "w") as f:
            f.write(text)
        print("bench: wrote %s" % path, file=sys.stderr)


if __name__ == "__main__":
    main()
