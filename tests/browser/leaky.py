"""A program with three leaks of different sizes, cycles with __del__, and heap text that
would be markup if a page took it as such. Runs under `graphleak run --trace`, dumps
itself three times while the leaks grow (OUTDIR/leaky-1.snap, -2, -3), then exits.

usage: leaky.py OUTDIR
"""
import collections
import os
import sys

import graphleak

# the text a report must show and never run
HOSTILE = [
    "</script><script>window.__pwned=true</script>",
    "\"><img src=x onerror=\"window.__pwned=true\">",
    "<!--", "]]>", "'; window.__pwned=true; '",
    "\u202eevil\u202c", "nul\x00byte", "amp&lt;script&gt;",
]
SECRET = "password=hunter2-" + "x" * 20


class Session:
    """A cache entry: a request's session with its payload."""

    def __init__(self, i):
        self.user = "user-%d" % i
        self.payload = ("session %d " % i) * 40


class Listener:
    """Registered and never removed."""

    def __init__(self, i):
        self.name = "listener-%d" % i
        self.buf = bytearray(250)


class Node:
    """In cycles with a __del__: the collector frees them, but only as a whole."""

    def __init__(self):
        self.other = None

    def __del__(self):
        pass


# three holders, biggest first
SESSION_CACHE = {}                  # module leaky, global SESSION_CACHE
REGISTRY = []                       # module leaky, global REGISTRY
BACKLOG = collections.deque()       # module leaky, global BACKLOG
# the fourth suspect: a global whose name and keys are all markup, holding about 1 MB
HOSTILE_NAME = "\u202eevil</script><script>window.__pwned=true</script>"
globals()[HOSTILE_NAME] = {k: [SECRET + ("%s %d " % (k, j)) * 45 for j in range(120)] for k in HOSTILE}
Weird = type("<script>window.__pwned=true</script>Weird", (), {})
WEIRD = [Weird() for _ in range(50)]


def grow(rounds):
    base = len(SESSION_CACHE)
    for i in range(base, base + rounds):
        SESSION_CACHE["session-%d" % i] = Session(i)
        if i % 2 == 0:
            REGISTRY.append(Listener(i))
        if i % 2 == 1:
            BACKLOG.append(("job-%d" % i, ("job %d " % i) * 20))


def make_cycles(n):
    for _ in range(n):
        a, b = Node(), Node()
        a.other, b.other = b, a


def main():
    out = sys.argv[1]
    import gc
    gc.disable()  # the cycles stay until the dumps are taken
    make_cycles(200)
    for k in (1, 2, 3):
        grow(3000)
        graphleak.dump(os.path.join(out, "leaky-%d.snap" % k))
    print("leaky: dumped 3 snapshots", flush=True)


if __name__ == "__main__":
    main()
