/*
 * layout.h - the shim's check, before it walks, that the interpreter it is
 * in has the layout it was compiled for (layout.c, docs/shim.md).
 */
#ifndef GRAPHLEAK_LAYOUT_H
#define GRAPHLEAK_LAYOUT_H

#include <stddef.h>

/*
 * The version (major.minor), the build (no debug, no free-threaded build)
 * and the layout the interpreter's own type objects and, on 3.13,
 * _PyRuntime.debug_offsets give. Reads static data only: no Python code
 * runs and the GIL is not needed. 0, or -1 with a message in err and *kind
 * set to "version", "build" or "layout".
 */
int gl_shim_check_build(char *err, size_t len, const char **kind);

/*
 * With the GIL held: known objects reached through the compiled layout
 * (sys.modules, the thread list, this thread's state, the collector's
 * lists) are the ones the public API gives. 0, or -1 with a message.
 * Each check, once passed, returns 0 at once afterwards.
 */
int gl_shim_check_runtime(char *err, size_t len);

#endif /* GRAPHLEAK_LAYOUT_H */
