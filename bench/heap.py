"""Builds a realistic leaking heap of about N gc-tracked objects.

The mix, per "request" kept in a module-level cache:
  - a record dict with str fields and an int id   (tracked: holds a list)
  - a list of tag strings                          (tracked)
  - a Session class instance with its attributes   (tracked; __dict__ on <3.11,
                                                    inline values on 3.11+)
  - a tuple of (timestamp float, status str)       (tracked until a collection
                                                    untracks it)
plus a str payload per record (untracked leaves). Every 50th request also
appends to a module-level list of recent tuples. This is what a service with a
cache that is never evicted looks like.
"""
import gc
import sys


class Session:
    def __init__(self, user, record, started):
        self.user = user
        self.record = record
        self.started = started
        self.hits = 0


cache = {}
recent = []


def build(n_tracked):
    """Adds entries until about n_tracked gc-tracked objects exist."""
    base = len(gc.get_objects())
    per_entry = 4  # dict, list, Session, tuple
    entries = max(1, (n_tracked - base) // per_entry)
    for i in range(entries):
        key = "user-%07d" % i
        tags = ["tag%d" % (i % 17), "web"]
        record = {"id": i, "name": "Name %d" % i, "email": "u%d@example.com" % i,
                  "tags": tags, "payload": "x" * (40 + i % 60)}
        cache[key] = Session(key, record, (1700000000.0 + i, "ok"))
        if i % 50 == 0:
            recent.append((key, i))
    return len(gc.get_objects())


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    print(build(n))
