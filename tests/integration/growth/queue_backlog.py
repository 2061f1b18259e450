"""Producers outpace a slow consumer: tuples pile up in a module-level queue."""
import queue
import threading
import time

import _grow

jobs = queue.Queue()


def consume():
    while True:
        jobs.get()
        time.sleep(0.02)


threading.Thread(target=consume, name="consumer", daemon=True).start()
_grow.serve(lambda i: jobs.put(("job", i, "payload-%d" % i)))
