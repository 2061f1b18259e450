"""owners.py - objects that own 8 MiB each outside their own struct
(test_memory.py): an array.array's buffer, a deque's blocks, an io.BytesIO's
buffer and an anonymous mmap, each held by a global; one snapshot.

    python owners.py SNAP
"""
import array
import collections
import io
import mmap
import sys

import graphleak

M = 8 << 20
buffer_array = array.array("b", bytes(M))
queue = collections.deque([None] * (M // 8))
stream = io.BytesIO()
stream.write(b"x" * M)
mapping = mmap.mmap(-1, M)
mapping.write(b"y" * M)
graphleak.dump(sys.argv[1])
