"""Builds a realistic leaking heap of about N gc-tracked objects: a service
whose module-level cache is never evicted.

Per request kept in the cache (4 gc-tracked objects, 4 untracked leaves,
about 21 references; so about 2 objects and 5 references per gc-tracked
object, the shape of the heap the targets were set on):
  - a Session class instance (user, record, seen, hits; a __dict__ before
    3.11, inline values after)
  - its record dict: id, name, email, tags, seen
  - a tags list of two shared tag strings
  - a `seen` tuple (id, tags), which stays tracked because it holds a list
  - leaves: the key str, the name and email str, the id int
Every 1000th Session is also kept in a class-level registry
(Session.registry), and every 50th key in a module-level list.
"""
import gc
import sys


class Session:
    # a class-level registry: every 1000th session is kept here too
    registry = []

    def __init__(self, user, record, started):
        self.user = user
        self.record = record
        self.started = started
        self.hits = 0


class Order:
    """40,000 of these sit in `orders`, for the render benchmark (a type
    with tens of thousands of instances)."""

    def __init__(self, n, user):
        self.n = n
        self.user = user


cache = {}
recent = []
orders = {}


TAGS = ["tag%d" % i for i in range(17)]


def _add(i):
    key = "user-%07d" % i
    tags = [TAGS[i % 17], "web"]
    seen = (i, tags)
    record = {"id": i, "name": "Name %d" % i, "email": "u%d@example.com" % i,
              "tags": tags, "seen": seen}
    cache[key] = sess = Session(key, record, seen)
    if i % 1000 == 0:
        Session.registry.append(sess)
    if i % 50 == 0:
        recent.append((key, i))


_next = [0]


def grow(n):
    """Adds n more entries to the cache (a leak between snapshots)."""
    for i in range(_next[0], _next[0] + n):
        _add(i)
    _next[0] += n


def build(n_tracked):
    """Adds entries until about n_tracked gc-tracked objects exist after a
    collection (which untracks the tuples of atomic values, as it would in a
    long-running process). Returns the count."""
    gc.collect()
    for i in range(40000):
        orders[i] = Order(i, "user-%07d" % i)
    base = len(gc.get_objects())
    probe = 2000
    for i in range(probe):
        _add(i)
    gc.collect()
    per_entry = (len(gc.get_objects()) - base) / probe
    total = max(probe, int((n_tracked - base) / per_entry))
    for i in range(probe, total):
        _add(i)
    _next[0] = total
    gc.collect()
    return len(gc.get_objects())


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    print(build(n))
