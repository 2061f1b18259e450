"""The FastAPI story in small: a module-level registry that grows, and a
long-lived worker thread whose idle frame keeps a stale reference to it in
one local and a small per-request dict in another. Which local holds which
changes between snapshots (here on cue: once the first snapshot exists),
so the registry's shortest chain is `local other` in the first snapshot and
`local result` in the last, and in the first `local result` is a small dict
at another address. The registry must still be followed as itself (the same
address), not swapped for whatever that local held before."""
import os
import threading
import time

import _grow

sessions = {}
first_snap = os.environ["GL_PIDFILE"][:-len(".pid")] + ".snap"


def worker():
    while True:
        small = {"uid": "visitor-%d" % len(sessions), "items": 1}
        if os.path.exists(first_snap):
            result, other = sessions, small
        else:
            result, other = small, sessions
        time.sleep(0.01)


def add(i):
    sessions["visitor-%d" % i] = {"sku": "sku-%d" % i, "qty": 1}


threading.Thread(target=worker, name="worker", daemon=True).start()
_grow.serve(add)
