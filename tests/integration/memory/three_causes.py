"""three_causes.py - a process whose RSS grows by more than 100 MB for one
of three reasons, with a snapshot before and after (test_memory.py):

    python three_causes.py CAUSE BEFORE.snap AFTER.snap

  native         C-level memory: 120 blocks of 1 MiB from malloc (ctypes),
                 written so that they are resident, kept by address only
  fragmentation  1.5 million small lists made, then all but one in 97
                 dropped: pymalloc keeps every arena that has a survivor
  objects        a container that only grows: a million 100-byte strings

Prints one JSON line: the cause and the RSS before and after.
"""
import ctypes
import gc
import json
import sys

import graphleak


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


cause, before, after = sys.argv[1:4]
gc.collect()
graphleak.dump(before)
r0 = rss()
keep = []
if cause == "native":
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    for i in range(120):
        p = libc.malloc(1 << 20)
        libc.memset(p, 1, 1 << 20)
        keep.append(p)  # an int: nothing the object graph can size
elif cause == "fragmentation":
    made = [[i & 0xFF, None] for i in range(1500000)]
    keep = made[::97]
    del made
    gc.collect()
elif cause == "objects":
    for i in range(1000000):
        keep.append(("%07d-" % i) * 12)
else:
    sys.exit("unknown cause " + cause)
graphleak.dump(after)
print(json.dumps({"cause": cause, "rss_before": r0, "rss_after": rss(), "kept": len(keep)}))
