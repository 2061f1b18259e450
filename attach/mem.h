/*
 * mem.h - the target's memory, read and written from outside.
 *
 * Reads and stack writes use process_vm_readv/writev (one system call, no
 * stop needed); code is written through /proc/PID/mem, which may write to a
 * read-only text page the way a debugger does (the kernel copies the page
 * for this process only). Both need the same permission as ptrace.
 */
#ifndef GRAPHLEAK_MEM_H
#define GRAPHLEAK_MEM_H

#include <stddef.h>
#include <stdint.h>

/* len bytes at addr into buf. 0, or -1 (errno set). */
int gl_mem_read(int pid, uint64_t addr, void *buf, size_t len);

/* Writes len bytes at addr (writable memory: the stack). 0 or -1. */
int gl_mem_write(int pid, uint64_t addr, const void *buf, size_t len);

/* Writes len bytes into code at addr through /proc/PID/mem (memfd: an open
 * descriptor of that file, or -1 to open one). 0 or -1. */
int gl_mem_poke(int memfd, uint64_t addr, const void *buf, size_t len);

/* Opens /proc/PID/mem for writing. fd or -1. */
int gl_mem_open(int pid);

/* A NUL-terminated string of at most len-1 bytes at addr. 0 or -1. */
int gl_mem_read_str(int pid, uint64_t addr, char *buf, size_t len);

#endif /* GRAPHLEAK_MEM_H */
