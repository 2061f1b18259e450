"""A module-level registry of sessions, and a long-lived worker thread whose
frame still holds a local referring to the same registry (it looked the
registry up once, long ago). Both keep the sessions alive: clearing the
registry alone frees nothing. Every holder must be named, each with the
same 2,000 sessions."""
import threading

import _story


class Session:
    def __init__(self, i):
        self.user = "user-%d" % i
        self.cart = [i] * 20


registry = {}
ready = threading.Event()
stop = threading.Event()


def worker():
    current = registry          # a stale local: the registry itself
    ready.set()
    while not stop.wait(0.05):
        pass
    del current


t = threading.Thread(target=worker, name="sweeper", daemon=True)
t.start()
ready.wait()
for i in range(2000):
    registry["s%d" % i] = Session(i)
_story.finish(targets=[("session", registry["s7"])],
              expect={"type": "Session",
                      "holders_all": {"Session": [["module __main__, global registry", 2000],
                                                  ["thread sweeper, frame worker(), local current", 2000]]},
                      "path_id_holders": {"session": ["module __main__, global registry['s7']",
                                                      "thread sweeper, frame worker(), local current['s7']"]}})
stop.set()
t.join()
