/*
 * childmem.h - the walk's allocator, which changes in a copy-on-write child.
 *
 * In the target process itself these are malloc, calloc, realloc and free.
 * In the child of a copy-on-write dump (cow.c), made by a clone that runs no
 * atfork handler, another thread may have held one of the C library's
 * allocator locks at the moment of the clone: the child's copy of that lock
 * is held forever. So after gl_mem_enter_child() the walk allocates from
 * anonymous mmap()s of its own and never calls the C library's allocator:
 *   - blocks under GL_MEM_LARGE come from chunks, bump-allocated; free() of
 *     one is a no-op (the child is short-lived and exits);
 *   - larger blocks are mappings of their own: realloc() is mremap(), free()
 *     munmap();
 *   - a block the parent allocated before the clone (the walker, the writer)
 *     is recognised by not being in one of the child's mappings: realloc()
 *     copies it (its size from malloc_usable_size(), which takes no lock),
 *     free() leaves it.
 * Every mapping is recorded in a fixed table (GL_MEM_MAX_MAPS); when it is
 * full an allocation fails like malloc() does, and the walk reports "out of
 * memory".
 */
#ifndef GRAPHLEAK_CHILDMEM_H
#define GRAPHLEAK_CHILDMEM_H

#include <stddef.h>
#include <stdint.h>

void *gl_mem_malloc(size_t n);
void *gl_mem_calloc(size_t n, size_t size);
void *gl_mem_realloc(void *p, size_t n);
void gl_mem_free(void *p);

/* strerror(), without the C library's message catalogue (which takes a lock)
 * in the child. */
const char *gl_mem_strerror(int e);

/* From now on this process is the child: the mmap allocator. */
void gl_mem_enter_child(void);

/* Bytes the child's allocator has mapped now (0 in the parent). */
uint64_t gl_mem_child_mapped(void);

#endif /* GRAPHLEAK_CHILDMEM_H */
