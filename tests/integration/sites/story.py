"""story.py - a service that leaks three ways, run with tracemalloc tracing
(test_sites.py): user dicts kept in a module cache by retrieve_user(),
Session objects kept in a class registry by open_session(), event strings
appended to a module list by record().

    PYTHONTRACEMALLOC=5 python story.py SNAP EXPECT.json MODE|--wait

Before the snapshot it writes, for 1,000 of the leaking objects sampled at
random, what tracemalloc itself says of each (its raw traceback, most
recent frame first), keyed by address. MODE is graphleak.dump()'s fork=;
with --wait it writes the expectations, prints "ready PID" and waits for
stdin to close, to be dumped from outside (graphleak dump --pid).
"""
import json
import random
import sys

import _tracemalloc


class Session:
    registry = []

    def __init__(self, user):
        self.user = user
        self.pages = []


cache = {}
log = []


def get_user(i):
    return {"id": i, "name": "user-%d" % i}


def retrieve_user(i):
    u = get_user(i)
    cache[i] = u
    return u


def open_session(i):
    s = Session(retrieve_user(i))
    Session.registry.append(s)
    return s


def record(i):
    log.append(("event %d;" % i) * 3)


for i in range(20000):
    open_session(i)
    record(i)

snap, expect_path, mode = sys.argv[1:4]
pool = list(cache.values()) + Session.registry + log
sample = random.Random(7).sample(pool, 1000)
expect = {}
for o in sample:
    tb = _tracemalloc._get_object_traceback(o)
    expect["0x%x" % id(o)] = [[f, n] for f, n in tb] if tb else None
with open(expect_path, "w") as f:
    json.dump(expect, f)
if mode == "--wait":
    sys.stdout.write("ready %d\n" % __import__("os").getpid())
    sys.stdout.flush()
    sys.stdin.read()
else:
    import graphleak
    print(json.dumps(graphleak.dump(snap, fork=mode)))
