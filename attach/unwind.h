/*
 * unwind.h - a stopped thread's call stack, through elfutils' libdwfl.
 *
 * libdwfl does the work (CFI from .eh_frame/.debug_frame, symbols from
 * .dynsym/.symtab/.gnu_debugdata); graphleak gives it the modules from
 * /proc/PID/maps (files opened as image.h says), the registers the injector
 * already read, and the target's memory (the stack read once in one piece).
 * No separate debug files are looked for, so the verdict is the same with
 * or without debug packages installed, and fast.
 */
#ifndef GRAPHLEAK_UNWIND_H
#define GRAPHLEAK_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#define GL_MAX_FRAMES 256

/* Where a frame's code lives. */
typedef enum {
	GL_LIB_NONE = 0, /* no module: JIT code, or an unmapped address */
	GL_LIB_EXE,      /* the program's executable */
	GL_LIB_LIBC,     /* libc (and libpthread, libdl, librt of older glibc) */
	GL_LIB_LD,       /* the dynamic loader */
	GL_LIB_OTHER,    /* any other shared library (libpython, extensions, ...) */
} gl_lib;

typedef struct gl_frame {
	uint64_t pc;
	int activation;  /* pc is exact (frame 0, or after a signal frame), not a return address */
	gl_lib lib;
	char name[96];   /* the function, as the symbol table names it, or "" */
	char norm[64];   /* the same without glibc's and the sanitizers' decorations (verdict.h) */
	char module[48]; /* the module's base name */
} gl_frame;

typedef struct gl_stack {
	gl_frame f[GL_MAX_FRAMES];
	int n;
	int complete;    /* unwound to the thread's start */
	char why[160];   /* why not complete */
} gl_stack;

typedef struct gl_unwinder gl_unwinder;

/* For process pid: reads its maps and reports the modules. NULL with a
 * message in err on failure. Call before stopping anything: it reads files. */
gl_unwinder *gl_unwinder_new(int pid, char *err, size_t errlen);
void gl_unwinder_free(gl_unwinder *u);

/* Reads ahead what every Python stack needs (the executable's, libc's and
 * libpython's code tables and function names), so that the unwind of a
 * stopped thread is quick. */
void gl_unwinder_prewarm(gl_unwinder *u);

/* The maps changed (a library was loaded since): report them again. 0 or -1. */
int gl_unwinder_refresh(gl_unwinder *u);

/*
 * Unwinds thread tid, which must be stopped, from its registers in DWARF
 * order (x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip; nregs of them).
 * Fills out; 0, or -1 if nothing could be read.
 */
int gl_unwind(gl_unwinder *u, int tid, const uint64_t *dwarf_regs, unsigned nregs, gl_stack *out);

/* The stack of the mapping holding sp: bytes from its low end to sp (how
 * much room a call has), or 0 if sp is in no mapping. A [stack] mapping grows
 * down to the rlimit: it counts as 8 MiB. */
uint64_t gl_unwinder_stack_room(gl_unwinder *u, uint64_t sp);

/* "name[lib]" for messages, into buf. */
const char *gl_frame_label(const gl_frame *f, char *buf, size_t len);

#endif /* GRAPHLEAK_UNWIND_H */
