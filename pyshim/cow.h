/*
 * cow.h - the copy-on-write dump (docs/shim.md, "The pause"): the thread that
 * holds the GIL makes a child that is a copy of the process, releases the
 * GIL and lets the child walk the heap and write the snapshot.
 *
 * The child is made with a raw clone(2): no atfork handler of the process
 * runs, libc's fork bookkeeping is skipped, and its exit signal is 0, so the
 * process gets no SIGCHLD and waitpid(-1) in it never sees the child (it is
 * reaped here with __WCLONE). In the child (gl_cow_child_setup): every
 * signal handler is reset and every file descriptor but the snapshot's is
 * closed (a socket the parent closes must not stay open in the child), it
 * dies with its parent (PR_SET_PDEATHSIG), runs at a lower CPU priority and
 * is killed after a bound (alarm). It allocates only with mmap (childmem.h)
 * and exits with _exit: no Python code, no finalizer, no atexit handler.
 */
#ifndef GRAPHLEAK_COW_H
#define GRAPHLEAK_COW_H

#include <stdint.h>
#include <sys/types.h>

typedef enum { GL_FORK_AUTO = 0, GL_FORK_ALWAYS, GL_FORK_NEVER } gl_fork_mode;

/* "auto", "always", "never" (also "fork"/"in-place" as synonyms of the
 * last two): 0, or -1 for anything else. */
int gl_fork_mode_parse(const char *s, gl_fork_mode *m);
const char *gl_fork_mode_name(gl_fork_mode m);

/* The default mode: GRAPHLEAK_FORK in the process's environment when it is
 * valid, else auto. Read once. */
gl_fork_mode gl_fork_default(void);

/* How long a child may walk before it is killed (seconds). */
#define GL_COW_BOUND_SECONDS 600

/*
 * Is there room for a copy-on-write child? At worst the process writes
 * every one of its anonymous pages while the child walks, and each is then
 * copied; the child's walk needs its own buffers besides. So the need is the
 * process's anonymous RSS plus a quarter of it plus 64 MiB, and the room is
 * the least of: the memory cgroup's limit minus its usage (v2 memory.max and
 * memory.current, v1 memory.limit_in_bytes and memory.usage_in_bytes, less
 * the inactive page cache memory.stat counts, which is reclaimed first; this
 * cgroup and its ancestors), MemAvailable, and, under strict overcommit
 * (vm.overcommit_memory=2), CommitLimit minus Committed_AS against the
 * process's private writable memory (what clone must commit).
 * GRAPHLEAK_TEST_HEADROOM=BYTES in the process replaces the room (tests).
 * Returns 1 (enough) or 0, with the figures in `why` either way.
 */
int gl_cow_headroom(char *why, size_t len);

/* What the child reports, in a page shared with the parent. */
typedef struct gl_cow_report {
	int done; /* 1 once the child has filled it */
	int rc;   /* 0: the snapshot is complete */
	char err[512];
	uint64_t objects, edges, tracked, untracked, bytes, file_bytes, shim_peak_bytes;
	double walk_seconds;  /* the walk itself */
	double child_seconds; /* clone to the file complete */
	uint64_t private_bytes; /* the child's private memory at its end (smaps_rollup) */
	uint64_t own_bytes;     /* of which its own buffers (the walk's mappings) */
} gl_cow_report;

typedef struct gl_cow {
	pid_t pid, parent;
	int pidfd; /* -1 where pidfd_open is not available */
	gl_cow_report *rep;
	double t_clone;
	char tmp_path[4096]; /* the snapshot's temporary file, removed if the child dies */
} gl_cow;

/*
 * Makes the child. Returns 1 in the parent (c->pid set), 0 in the child, -1
 * if it could not (errno set; nothing to clean up).
 */
int gl_cow_spawn(gl_cow *c);

/* In the child, first thing: signals, descriptors (all but keep_fd),
 * death with the parent, priority, bound. */
void gl_cow_child_setup(int keep_fd);

/* In the child, last thing: the report's memory figures, then _exit. */
__attribute__((noreturn)) void gl_cow_child_exit(gl_cow *c, int rc);

/*
 * In the parent, without the GIL: waits for the child (at most
 * GL_COW_BOUND_SECONDS + 10 s, then kills it), reaps it, copies its report
 * into *out and frees c's resources. 0 when the child reported a complete
 * snapshot; -1 with `err` otherwise (its temporary file removed).
 */
int gl_cow_wait(gl_cow *c, gl_cow_report *out, char *err, size_t len);

#endif /* GRAPHLEAK_COW_H */
