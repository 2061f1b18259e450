"""Objects with __del__ in reference cycles, dropped without a collection."""
import gc

import _story

closed = 0


class Connection:
    def __init__(self, n):
        self.n = n
        self.peer = None
        self.buf = bytes(100)

    def __del__(self):
        global closed
        closed += 1


gc.disable()   # keep the cycles until the snapshot; gc stays disabled
for i in range(500):
    a, b = Connection(i), Connection(-i)
    a.peer, b.peer = b, a
del a, b
_story.finish(expect={"finalizer_cycles": 500, "gc_disabled": True})
