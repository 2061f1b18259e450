/*
 * verdict.h - is this stopped thread at a safe point for dlopen() and
 * pthread_create()? Judged from its unwound stack (unwind.h) by name and
 * module, as docs/attach.md explains:
 *
 *   idle:  blocked in a system call, entered from the program through a
 *          known blocking libc call (accept, read, poll, a lock or condition
 *          wait...), with nothing else of libc on the stack but the thread's
 *          base, no loader frame, no signal frame, no allocator frame;
 *   alloc: stopped at the first instruction of an allocator (malloc,
 *          PyObject_Malloc, ...) called from outside libc, with the same
 *          checks for the rest of the stack.
 * Such a thread holds none of the locks dlopen() and pthread_create() take
 * (the loader's, the allocator's, the thread-stack cache's, atfork's).
 */
#ifndef GRAPHLEAK_VERDICT_H
#define GRAPHLEAK_VERDICT_H

#include <stddef.h>

#include "unwind.h"

/* A function name without glibc's and the sanitizers' decorations:
 * __GI___clock_nanosleep -> clock_nanosleep, ___pthread_cond_timedwait64 ->
 * pthread_cond_timedwait, __interceptor_malloc -> malloc. */
void gl_norm_name(const char *raw, char *out, size_t len);

/* The frame is where a thread starts (libc's clone/start_thread/
 * __libc_start_main, or the program's _start). */
int gl_is_thread_base(const gl_frame *f);

/*
 * 0 if the thread, stopped in system call `nr` (the two bytes before its pc
 * being the system call instruction), is idle at a safe point; else -1 and
 * the reason in why. in_futex: nr is futex().
 */
int gl_verdict_idle(const gl_stack *s, int in_futex, char *why, size_t len);

/* 0 if the thread, stopped at an allocator's first instruction (frame 0), may
 * make the calls; else -1 and the reason in why. */
int gl_verdict_alloc(const gl_stack *s, char *why, size_t len);

/* The names of the functions whose entry is a safe point (alloc), NULL-ended. */
extern const char *const gl_alloc_entries[];

#endif /* GRAPHLEAK_VERDICT_H */
