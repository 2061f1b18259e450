#!/usr/bin/env python3
"""The HTML report in a real browser: leaky.py (three leaks that grow, cycles with __del__,
a fourth holder whose name and keys are markup, a class named <script>) runs under
`graphleak run --trace` and dumps itself three times; `graphleak report` makes one page of
the three; Debian's chromium opens it from disk (check_report.js, playwright-core) and:
  - no console error, no request for anything, no dialog;
  - every section present; the three leaks are the first suspects, by name, and the markup
    holder is shown as text (escaped \\xNN for its bidi override), never run;
  - the types table sorts on a click (ascending, then descending) and filters;
  - every picture decodes, its room reserved before (nothing moves under a click); the
    growth chart is drawn;
  - nothing the heap carried ran (no flag set, no extra script, no on* attribute).
A screenshot is kept: WORK/report.png. Then --redact withholds a secret value, the
single-snapshot page says how to see growth, and bad inputs give a message and exit 1 or 2.

usage: test_report.py GRAPHLEAK PYTHON WORK
"""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from shimenv import check, finish  # noqa: E402


def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def browse(page, shot):
    node = os.environ.get("GRAPHLEAK_NODE", "node")
    # the browser is not ours: none of the sanitizer build's preloading reaches it
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                                            "LSAN_OPTIONS", "PYTHONMALLOC")}
    rc, out, err = run([node, os.path.join(HERE, "check_report.js"), page, shot], cwd=HERE, env=env)
    if not check(rc == 0, "check_report.js %s: rc %d: %s %s" % (page, rc, out[-2000:], err[-2000:])):
        return None
    return json.loads(out)


def browser_checks(b, what):
    check(b["errors"] == [], "%s: no console error: %s" % (what, b["errors"]))
    check(b["requests"] == [], "%s: the page asks for nothing: %s" % (what, b["requests"]))
    check(b["dialogs"] == [], "%s: no dialog: %s" % (what, b["dialogs"]))
    want = ["process", "memory", "suspects", "types", "cycles", "growth", "sites"]
    check(b["sections"] == want, "%s: every section, in order: %s" % (what, b["sections"]))
    p = b["pwned"]
    check(not p["flag"] and p["scripts"] == 2 and p["handlers"] == 0 and p["foreign"] == 0,
          "%s: nothing the heap carried ran: %s" % (what, p))
    s = b["sort"]
    check(s["aria"] == "ascending" and s["counts"] == sorted(s["counts"]) and len(s["counts"]) > 20,
          "%s: one click on 'objects' sorts the types ascending (%s, %s...)" % (what, s["aria"], s["counts"][:5]))
    check(s["aria2"] == "descending" and s["counts2"] == sorted(s["counts2"], reverse=True),
          "%s: a second click sorts descending (%s, %s...)" % (what, s["aria2"], s["counts2"][:5]))
    check(s["before"] != s["after"], "%s: the click changed the order (%s)" % (what, s["after"]))
    check(b["filter"] and all("dict" in t.lower() for t in b["filter"]),
          "%s: the filter leaves only the types named like 'dict': %s" % (what, b["filter"][:8]))
    im = b["images"]
    check(im["count"] >= 1 and im["decoded"] == im["count"] and im["data"] == im["count"],
          "%s: every picture is an SVG data: URL that decodes: %s" % (what, im))
    check(im["sized"] == im["count"] and im["fits"] == im["count"],
          "%s: every picture has its size before it decodes, so the page does not move: %s" % (what, im))


def main():
    gl, py, work = sys.argv[1:4]
    d = os.path.join(work, "report")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    argv_mark = "<script>window.__pwned='argv'</script>"
    # the dump's default mode: on 3.8-3.11 it reads tracemalloc's sites in place, and the page
    # is to show them (a suite pass that forces every dump to fork would leave none)
    env = {k: v for k, v in os.environ.items() if k != "GRAPHLEAK_FORK"}
    rc, out, err = run([gl, "run", "--trace", "-o", os.path.join(d, "exit.snap"), "--", py,
                        os.path.join(HERE, "leaky.py"), d, argv_mark], env=env)
    snaps = [os.path.join(d, "leaky-%d.snap" % k) for k in (1, 2, 3)]
    if not check(rc == 0 and all(os.path.exists(s) for s in snaps), "leaky.py ran and dumped: %d %s" % (rc, err[-2000:])):
        finish()

    # three snapshots, oldest first: the full page
    page = os.path.join(d, "leaky.html")
    rc, out, err = run([gl, "report"] + snaps + ["-o", page])
    check(rc == 0 and os.path.exists(page) and ("wrote " + page) in out,
          "report of three snapshots: rc %d, %r %r" % (rc, out, err[-500:]))
    html = open(page, "rb").read().decode("utf-8")
    check(html.count("<script") == 2, "the page has exactly its two script elements (%d)" % html.count("<script"))
    check(not re.search(r"(src|href)=\"(https?:|//)", html), "the page links to nothing outside itself")
    check("Content-Security-Policy" in html and "script-src 'sha256-" in html, "the page names its one script by hash")
    shot = os.path.join(work, "report.png")
    b = browse(page, shot)
    if b:
        browser_checks(b, "three snapshots")
        sus = b["suspects"]
        for i, name in enumerate(("SESSION_CACHE", "REGISTRY", "BACKLOG")):
            check(len(sus) > i and ("module __main__, global " + name) in sus[i],
                  "suspect #%d is global %s: %s" % (i + 1, name, sus[i] if len(sus) > i else None))
        text = b["text"]
        check(any("\\xe2\\x80\\xaeevil</script><script>window.__pwned=true</script>" in s for s in sus),
              "the markup holder is a suspect, shown as text with its bidi override escaped: %s" % sus[3:])
        check(argv_mark in text, "the program's arguments are shown as text")
        check(b["chartIds"] == ["growth-chart", "growth-chart-count"] and b["charts"] >= 6,
              "the growth charts, bytes and objects, have a line per growing type (%s, %d)" % (b["chartIds"], b["charts"]))
        check(b["images"]["count"] >= 6, "a picture per suspect, the cycles and the growth (%d)" % b["images"]["count"])
        for words in ("growing at every snapshot", "Cycles with finalizers", "leaky.py:", "RSS "):
            check(words in text, "the page says %r" % words)
        print("report: %d suspects, %d pictures, sorted and filtered; screenshot %s" %
              (len(sus), b["images"]["count"], shot))

    # --redact: the secret values are withheld, the names stay
    red = os.path.join(d, "redacted.html")
    rc, out, err = run([gl, "report", snaps[2], "-o", red, "--redact"])
    if check(rc == 0, "report --redact: rc %d %s" % (rc, err[-500:])):
        raw = open(red, encoding="utf-8").read()
        plain = open(page, encoding="utf-8").read()
        shown = re.search(r"str 'session-[0-9]+'", plain)
        check(shown, "without --redact the page shows str values (a session key)")
        check(argv_mark.replace("<", "\\u003c").replace(">", "\\u003e") in plain, "without --redact, the arguments")
        check(not re.search(r"str 'session-[0-9]+'", raw), "--redact: no str value in the page")
        check(argv_mark.replace("<", "\\u003c").replace(">", "\\u003e") not in raw and "<redacted>" in
              raw.replace("\\u003c", "<").replace("\\u003e", ">"), "--redact: the arguments are withheld")
        check("SESSION_CACHE" in raw, "--redact: the names stay")
        b = browse(red, os.path.join(work, "report-redacted.png"))
        if b:
            browser_checks(b, "one snapshot, redacted")
            check("give two or more" in b["text"], "one snapshot: the growth section says how to see growth")

    # the default name: beside the snapshot, .html for .snap
    rc, out, err = run([gl, "report", snaps[0]])
    check(rc == 0 and os.path.exists(snaps[0][:-5] + ".html"), "report SNAP writes SNAP's name .html: %r" % out)

    # bad inputs: a message and a non-zero exit, nothing written
    for argv, code, words in (
            ([], 2, "no snapshot given"),
            ([snaps[0], "-o", "-"], 2, "give -o FILE"),
            ([snaps[0], "-o", os.path.join(d, "no", "such", "dir", "x.html")], 1, "cannot write"),
            ([os.path.join(d, "nope.snap")], 1, "cannot open"),
            ([snaps[0], "--min-share", "lots"], 2, "min-share"),
            ([snaps[0], snaps[1], os.path.join(d, "nope.snap")], 1, "nope.snap")):
        rc, out, err = run([gl, "report"] + argv)
        check(rc == code and words in err, "report %s: rc %d (want %d), %r" % (" ".join(argv), rc, code, err.strip()[:200]))

    finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
