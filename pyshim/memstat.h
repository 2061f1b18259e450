/*
 * memstat.h - where the process's memory is, for the header of a dump
 * (docs/snapshot-format.md, "memory"): what the kernel counts (RSS,
 * anonymous, file-backed, shared memory, swap: /proc/self/status, cheap
 * counters), what pymalloc holds (its arenas, and of them the blocks in use:
 * the interpreter's own _PyObject_DebugMallocStats, read through a memory
 * stream), and what glibc's malloc holds (mallinfo2: in use, free but kept,
 * mmapped). The analyzer adds the objects recorded and says what is left
 * unexplained (`graphleak memory`).
 */
#ifndef GRAPHLEAK_MEMSTAT_H
#define GRAPHLEAK_MEMSTAT_H

#include "strbuf.h"

/* Appends `"memory": {...}, ` to the header JSON. The GIL must be held
 * (pymalloc's arenas are read). */
void gl_memstat_json(gl_sb *j);

#endif /* GRAPHLEAK_MEMSTAT_H */
