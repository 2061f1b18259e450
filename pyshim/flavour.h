/*
 * flavour.h - the CPython builds graphleak's shims do not walk, told by the
 * symbols they define. Shared by the shim's own check (layout.c, through
 * dlsym in the process) and by `graphleak dump --pid` (attach/attach.c, in
 * the interpreter's ELF image before anything is injected). Plain C, no
 * Python headers.
 */
#ifndef GRAPHLEAK_FLAVOUR_H
#define GRAPHLEAK_FLAVOUR_H

/* A debug build (--with-pydebug: Py_REF_DEBUG) or a trace-refs one
 * (Py_TRACE_REFS, which adds two pointers to every object in 3.8-3.12). */
#define GL_DEBUG_BUILD_SYMBOLS                                                                     \
	{"_Py_RefTotal", "_Py_GetRefTotal", "_Py_NegativeRefcount", "_Py_IncRefTotal_DO_NOT_USE_THIS", \
	 "_Py_INCREF_IncRefTotal", "_Py_ForgetReference", "_Py_PrintReferences", NULL}

/* A free-threaded build (3.13t: Py_GIL_DISABLED). */
#define GL_FREETHREADED_SYMBOLS {"_Py_MergeZeroLocalRefcount", "_Py_DecRefShared", NULL}

/* What a refusal says after "... runs a debug build of CPython 3.X (...)". */
#define GL_DEBUG_BUILD_WHY                                                                   \
	"Debug builds are not supported: their reference counting (and, with Py_TRACE_REFS, " \
	"every object's header) differs from the release build graphleak's shims walk"
#define GL_FREETHREADED_WHY                                                                    \
	"Free-threaded builds are not supported: they have no GIL to pause the interpreter with, " \
	"and another object header"

#endif /* GRAPHLEAK_FLAVOUR_H */
