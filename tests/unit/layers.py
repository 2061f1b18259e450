#!/usr/bin/env python3
"""The house's one rule, checked: a file includes only headers of its own
layer or of layers below it.

analyzer/ is layered util < format < graph < words < cli (see
analyzer/CMakeLists.txt); around it, attach/ and render/ may use any analyzer
layer but cli, and nothing in analyzer/ may include them. A header that is
found in no folder of ours (a system or library header) is not checked.

    layers.py PROJECT_SOURCE_DIR
"""
import os
import re
import sys

ORDER = ["util", "format", "graph", "words", "render", "attach", "cli"]
# render/ and attach/ sit beside each other above words: neither uses the other
ALLOWED = {
    "util": {"util"},
    "format": {"util", "format"},
    "graph": {"util", "format", "graph"},
    "words": {"util", "format", "graph", "words"},
    "render": {"util", "format", "graph", "words", "render"},
    "attach": {"util", "format", "graph", "words", "attach"},
    "cli": set(ORDER),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_dirs(root):
    dirs = {name: os.path.join(root, "analyzer", name)
            for name in ("util", "format", "graph", "words", "cli")}
    dirs["render"] = os.path.join(root, "render")
    dirs["attach"] = os.path.join(root, "attach")
    return dirs


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: layers.py PROJECT_SOURCE_DIR")
    root = sys.argv[1]
    dirs = layer_dirs(root)
    owner = {}  # header file name -> layer
    for layer, d in dirs.items():
        for name in os.listdir(d):
            if name.endswith(".h"):
                if name in owner:
                    sys.exit("layers: %s is in both %s and %s" % (name, owner[name], layer))
                owner[name] = layer
    problems = []
    files = 0
    for layer, d in dirs.items():
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            files += 1
            with open(os.path.join(d, name), encoding="utf-8") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                base = os.path.basename(inc)
                other = owner.get(base)
                if other is None or other in ALLOWED[layer]:
                    continue
                problems.append("%s/%s includes %s (%s), above its layer %s"
                                % (os.path.relpath(d, root), name, inc, other, layer))
    if files < 40:
        sys.exit("layers: only %d files found under %s; wrong directory?" % (files, root))
    for p in problems:
        print("layers: " + p)
    print("layers: %d files, %d headers, %d problems" % (files, len(owner), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
