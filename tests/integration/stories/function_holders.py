"""Memory held by functions: a mutable default argument, a closure cell, and
an lru_cache, each filled on every call."""
import functools

import _story


class Visit:
    def __init__(self, n):
        self.n = n
        self.note = "visit %d" % n


def remember(visit, seen=[]):        # the classic mutable default
    seen.append(visit)


def make_tracker():
    log = []

    def track(visit):
        log.append(visit)            # the closure's cell keeps log alive
    return track


track = make_tracker()


class Report:
    def __init__(self, n):
        self.n = n
        self.rows = list(range(20))


@functools.lru_cache(maxsize=None)
def load_report(n):
    return Report(n)


for i in range(1500):
    remember(Visit(i))
for i in range(1200):
    track(Visit(-i))
for i in range(900):
    load_report(i)
_story.finish(expect={"holders": {"Visit": ["function remember, __defaults__[0]", "closure of make_tracker.<locals>.track, variable log"],
                                  "Report": ["lru_cache of load_report"]}})
