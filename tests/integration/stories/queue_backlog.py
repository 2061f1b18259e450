"""Producer threads outpace a slow consumer; tuples pile up in the queue."""
import queue
import threading
import time

import _story


def produce(jobs, n, stop):
    for i in range(n):
        jobs.put(("job", i, "payload-%d" % i))


def consume(jobs, stop):
    done = 0
    while not stop.is_set():
        try:
            jobs.get(timeout=0.05)
        except queue.Empty:
            continue
        done += 1
        time.sleep(0.05)   # far slower than the producers


def main():
    jobs = queue.Queue()
    stop = threading.Event()
    producers = [threading.Thread(target=produce, args=(jobs, 1500, stop), name="producer-%d" % i)
                 for i in range(2)]
    worker = threading.Thread(target=consume, args=(jobs, stop), name="worker-1")
    worker.start()
    for p in producers:
        p.start()
    for p in producers:
        p.join()
    # No objgraph cross-check here: objgraph knows no thread stacks, and reaches
    # the queue through threading._active -> Thread._args instead.
    _story.finish(expect={"type": "tuple", "holder_re": r"^thread (MainThread|worker-1), frame (main|consume)\(\), local jobs\.queue$",
                          "min_count": 2500})
    stop.set()
    worker.join()


main()
