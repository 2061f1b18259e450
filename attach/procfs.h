/*
 * procfs.h - what /proc says about a process and its threads, read without
 * stopping anything: the attach driver and the injector look before they
 * touch. Every reader returns -1 (errno set) when the file is gone or
 * unreadable; nothing here allocates except gl_maps_read().
 */
#ifndef GRAPHLEAK_PROCFS_H
#define GRAPHLEAK_PROCFS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads up to len-1 bytes of a small file, NUL-terminated; bytes or -1. */
ssize_t gl_read_small(const char *path, char *buf, size_t len);

/* The text of field n (counted as proc(5) does, n > 3) of the stat file at
 * path, in buf; *state gets field 3. NULL when gone. */
const char *gl_stat_field(const char *path, char *buf, size_t len, char *state, int n);

/* A process's state letter and start time (/proc/PID/stat). 0 or -1. */
int gl_proc_stat(int pid, char *state, unsigned long long *start);

/* A thread's state letter and CPU time (utime + stime in ticks). 0 or -1. */
int gl_task_sample(int pid, int tid, char *state, unsigned long long *cpu);

/* /proc/PID/status or /proc/PID/task/TID/status (tid > 0), the fields the
 * attach needs. */
typedef struct gl_proc_status {
	char state;              /* R S D T t Z X ... */
	long uid, gid;           /* effective */
	long tracer;             /* TracerPid */
	int seccomp;             /* 0 none, 1 strict, 2 filter; -1 unknown */
	int shadow_stack;        /* x86 CET shadow stack enabled (x86_Thread_features) */
	unsigned long long sigpnd, shdpnd, sigblk, sigign, sigcgt;
	int threads;
	int nspid;               /* its pid in its innermost pid namespace (NSpid's
	                          * last field); 0 unknown */
} gl_proc_status;

int gl_proc_status_read(int pid, int tid, gl_proc_status *st);

/* /proc/PID/task/TID/syscall: the system call a thread is blocked in. */
typedef struct gl_task_syscall {
	int state;               /* 1: in a system call; 0: running; -1: blocked, not in one */
	long nr;
	unsigned long long args[6];
	unsigned long long sp, pc;
} gl_task_syscall;

int gl_task_syscall_read(int pid, int tid, gl_task_syscall *sc);

/* The thread ids of a process (/proc/PID/task), into *out (malloc'd, caller
 * frees), main thread first. Count, or -1. */
int gl_task_list(int pid, int **out);

/* One line of /proc/PID/maps. */
typedef struct gl_map {
	uint64_t start, end, offset;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	char perms[5];
	char *path;              /* NULL for anonymous mappings; "[stack]" etc. kept */
} gl_map;

typedef struct gl_maps {
	gl_map *v;
	size_t n;
	char *text;              /* the names point into this */
} gl_maps;

/* Reads /proc/PID/maps. 0, or -1 (errno set). Free with gl_maps_free(). */
int gl_maps_read(int pid, gl_maps *m);
void gl_maps_free(gl_maps *m);
/* The mapping holding addr, or NULL. */
const gl_map *gl_maps_find(const gl_maps *m, uint64_t addr);

/* The kernel's version as major * 1000 + minor (6.18 -> 6018), 0 if unknown. */
int gl_kernel_version(void);

#endif /* GRAPHLEAK_PROCFS_H */
