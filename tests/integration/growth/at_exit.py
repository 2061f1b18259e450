"""Snapshots taken while the program runs (SIGUSR2) and the last one at exit
(`graphleak run --at-exit`), the flow a user follows. Worker threads share
3 MB of old objects with a module global through their locals; at exit the
threads have ended, so the global alone keeps those objects and its
retained size jumps, without one new object under it. Only the list that
really grows (results) may be reported, and graphleak's own frames (the at-
exit snapshot runs inside its bootstrap) appear in no report. SIGTERM ends
the program cleanly."""
import os
import signal
import threading
import time

shared = {i: bytes(1000) for i in range(3000)}   # old, and shared
results = []
stop = threading.Event()


def worker():
    mine = list(shared.values())   # co-holds every value until the thread ends
    while not stop.wait(0.02):
        pass
    del mine


def on_term(signum, frame):
    stop.set()


signal.signal(signal.SIGTERM, on_term)
threads = [threading.Thread(target=worker, name="worker-%d" % i) for i in range(2)]
for t in threads:
    t.start()
with open(os.environ["GL_PIDFILE"] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(os.environ["GL_PIDFILE"] + ".tmp", os.environ["GL_PIDFILE"])
i = 0
while not stop.is_set():
    for _ in range(200):
        results.append({"id": i, "name": "user %d" % i})
        i += 1
    time.sleep(0.05)
for t in threads:
    t.join()
