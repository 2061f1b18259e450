"""Shared driver for the growth targets: write our pid, then call step() in a
loop forever, a little at a time, so that snapshots taken by SIGUSR2 (under
`graphleak run`) see the heap at different sizes. The test kills us."""
import os
import sys
import time


def serve(step, per_round=200, pause=0.05):
    with open(os.environ["GL_PIDFILE"] + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(os.environ["GL_PIDFILE"] + ".tmp", os.environ["GL_PIDFILE"])
    i = 0
    while True:
        for _ in range(per_round):
            step(i)
            i += 1
        time.sleep(pause)
