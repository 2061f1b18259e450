"""Three module globals that grow side by side, none with most of the growth: each
is reported, and the module's dict that holds them is not a fourth finding."""
import collections

import _grow

sessions = {}
listeners = []
backlog = collections.deque()


def serve_one(i):
    sessions["session-%d" % i] = ("user-%d " % i) * 12
    if i % 2 == 0:
        listeners.append(bytearray(200))
    else:
        backlog.append(("job-%d" % i, ("job %d " % i) * 10))


_grow.serve(serve_one)
