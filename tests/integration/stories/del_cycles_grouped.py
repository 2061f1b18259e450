"""gc disabled, and 2,000 identical Session -> Transaction -> Cursor cycles
with __del__ left behind: most of the heap is garbage no root reaches. The
cycles must come as one shape with its count (not 2,000 lines, not the
interpreter's class cycles first), and suspects must point to them."""
import gc

import _story

gc.disable()


class Session:
    def __del__(self):
        pass


class Transaction:
    pass


class Cursor:
    pass


def open_session():
    s, t, c = Session(), Transaction(), Cursor()
    s.tx, t.cursor, c.session = t, c, s
    c.buffer = bytes(3000)   # what makes the leak hurt


for _ in range(2000):
    open_session()
_story.finish(expect={"gc_disabled": True, "garbage_min_objects": 6000,
                      "cycle_shape": {"count": 2000, "types": ["__main__.Session", "__main__.Transaction",
                                                                "__main__.Cursor"]},
                      "suspects_point_to_cycles": True})
