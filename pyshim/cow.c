/*
 * cow.c - the copy-on-write dump's child: the headroom check, the clone, the
 * child's setup and exit, the parent's wait (cow.h).
 */
#define _GNU_SOURCE
#include "cow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "childmem.h"
#include "readall.h"

#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the mode ------------------------------------------------------------ */

int gl_fork_mode_parse(const char *s, gl_fork_mode *m)
{
	if (!s)
		return -1;
	if (strcmp(s, "auto") == 0)
		*m = GL_FORK_AUTO;
	else if (strcmp(s, "always") == 0 || strcmp(s, "fork") == 0)
		*m = GL_FORK_ALWAYS;
	else if (strcmp(s, "never") == 0 || strcmp(s, "in-place") == 0)
		*m = GL_FORK_NEVER;
	else
		return -1;
	return 0;
}

const char *gl_fork_mode_name(gl_fork_mode m)
{
	return m == GL_FORK_ALWAYS ? "always" : m == GL_FORK_NEVER ? "never" : "auto";
}

gl_fork_mode gl_fork_default(void)
{
	static atomic_int cached = -1;
	int v = atomic_load(&cached);
	if (v < 0) {
		gl_fork_mode m = GL_FORK_AUTO;
		const char *e = getenv("GRAPHLEAK_FORK");
		if (e && gl_fork_mode_parse(e, &m) < 0)
			m = GL_FORK_AUTO;
		v = (int)m;
		atomic_store(&cached, v);
	}
	return (gl_fork_mode)v;
}

/* ---- the headroom -------------------------------------------------------- */




/* A cgroup file holding one number ("max": -2); -1 if absent or unreadable. */
static long long cg_number(const char *dir, const char *name)
{
	char path[4200], buf[64];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -1;
	if (gl_read_file(path, buf, sizeof buf) <= 0)
		return -1;
	if (strncmp(buf, "max", 3) == 0)
		return -2;
	char *end;
	long long v = strtoll(buf, &end, 10);
	return end == buf ? -1 : v;
}

/* A "key value" line of a cgroup's memory.stat; -1 if absent. */
static long long cg_stat(const char *dir, const char *key)
{
	char path[4200], text[8192];
	if ((size_t)snprintf(path, sizeof path, "%s/memory.stat", dir) >= sizeof path ||
	    gl_read_file(path, text, sizeof text) <= 0)
		return -1;
	return gl_line_value(text, key, ' ');
}

/*
 * The least room left under a memory limit of this process's cgroups and
 * their ancestors (v2 and v1), or -1 when none is limited; the cgroup that
 * sets it in `where`.
 */
static long long cgroup_room(char *where, size_t wlen)
{
	char text[4096];
	if (gl_read_file("/proc/self/cgroup", text, sizeof text) <= 0)
		return -1;
	long long best = -1;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *ctrls = c1 + 1, *cgpath = c2 + 1;
		const char *bases[2] = {NULL, NULL};
		const char *limf, *usef, *inactf;
		if (strcmp(line, "0") == 0 && *ctrls == 0) {
			bases[0] = "/sys/fs/cgroup";
			bases[1] = "/sys/fs/cgroup/unified";
			limf = "memory.max";
			usef = "memory.current";
			inactf = "inactive_file";
		} else {
			int mem = 0;
			char cl[256];
			snprintf(cl, sizeof cl, "%s", ctrls);
			char *s2 = NULL;
			for (char *t = strtok_r(cl, ",", &s2); t; t = strtok_r(NULL, ",", &s2))
				if (strcmp(t, "memory") == 0)
					mem = 1;
			if (!mem)
				continue;
			bases[0] = "/sys/fs/cgroup/memory";
			limf = "memory.limit_in_bytes";
			usef = "memory.usage_in_bytes";
			inactf = "total_inactive_file";
		}
		for (int b = 0; b < 2 && bases[b]; b++) {
			char rel[4096];
			snprintf(rel, sizeof rel, "%s", cgpath);
			for (;;) {
				char dir[4200];
				snprintf(dir, sizeof dir, "%s%s", bases[b], strcmp(rel, "/") == 0 ? "" : rel);
				long long lim = cg_number(dir, limf);
				if (lim >= 0 && lim < (1LL << 60)) {
					long long use = cg_number(dir, usef);
					/* the usage counts page cache; the inactive part of it
					 * is reclaimed before anything is killed */
					long long inact = cg_stat(dir, inactf);
					if (use > 0 && inact > 0)
						use = use > inact ? use - inact : 0;
					long long room = use >= 0 && use < lim ? lim - use : 0;
					if (best < 0 || room < best) {
						best = room;
						snprintf(where, wlen, "%s", dir);
					}
				}
				char *sl = strrchr(rel, '/');
				if (!sl || strcmp(rel, "/") == 0)
					break;
				if (sl == rel)
					rel[1] = 0;
				else
					*sl = 0;
			}
		}
	}
	return best;
}

static void fmt_mib(char *b, size_t n, long long v)
{
	snprintf(b, n, "%.0f MiB", (double)v / 1048576.0);
}

int gl_cow_headroom(char *why, size_t len)
{
	char status[8192], meminfo[8192], where[4200] = "";
	long long rss_anon = -1, vm_data = -1, vm_stk = 0;
	if (gl_read_file("/proc/self/status", status, sizeof status) > 0) {
		rss_anon = gl_line_kb(status, "RssAnon");
		vm_data = gl_line_kb(status, "VmData");
		vm_stk = gl_line_kb(status, "VmStk");
	}
	if (rss_anon < 0) {
		snprintf(why, len, "cannot read this process's memory (/proc/self/status)");
		return 0;
	}
	long long need = rss_anon + rss_anon / 4 + (64LL << 20);
	long long room = -1;
	const char *src = NULL;
	const char *test = getenv("GRAPHLEAK_TEST_HEADROOM");
	if (test && *test) {
		room = strtoll(test, NULL, 10);
		src = "GRAPHLEAK_TEST_HEADROOM";
	} else {
		long long avail = -1, commit_limit = -1, committed = -1;
		if (gl_read_file("/proc/meminfo", meminfo, sizeof meminfo) > 0) {
			avail = gl_line_kb(meminfo, "MemAvailable");
			commit_limit = gl_line_kb(meminfo, "CommitLimit");
			committed = gl_line_kb(meminfo, "Committed_AS");
		}
		if (avail >= 0) {
			room = avail;
			src = "MemAvailable";
		}
		long long cg = cgroup_room(where, sizeof where);
		if (cg >= 0 && (room < 0 || cg < room)) {
			room = cg;
			src = where;
		}
		char oc[16];
		if (gl_read_file("/proc/sys/vm/overcommit_memory", oc, sizeof oc) > 0 && oc[0] == '2' && commit_limit >= 0 &&
		    committed >= 0) {
			/* strict accounting: the clone must commit the private writable memory */
			long long commit_room = commit_limit > committed ? commit_limit - committed : 0;
			long long commit_need = (vm_data > 0 ? vm_data : 0) + (vm_stk > 0 ? vm_stk : 0);
			if (commit_room < commit_need) {
				char a[32], b[32];
				fmt_mib(a, sizeof a, commit_need);
				fmt_mib(b, sizeof b, commit_room);
				snprintf(why, len,
					 "strict overcommit (vm.overcommit_memory=2): a copy must commit %s, %s is left "
					 "(CommitLimit - Committed_AS)",
					 a, b);
				return 0;
			}
		}
	}
	char a[32], b[32], c[32];
	fmt_mib(a, sizeof a, need);
	fmt_mib(b, sizeof b, rss_anon);
	if (room < 0) {
		snprintf(why, len, "no limit found; need %s (anonymous RSS %s, plus a quarter, plus 64 MiB)", a, b);
		return 1;
	}
	fmt_mib(c, sizeof c, room);
	snprintf(why, len, "%s free (%s), %s needed (anonymous RSS %s, plus a quarter, plus 64 MiB)", c, src, a, b);
	return room >= need;
}

/* ---- the child ----------------------------------------------------------- */

int gl_cow_spawn(gl_cow *c)
{
	size_t rlen = (sizeof(gl_cow_report) + 4095) & ~(size_t)4095;
	gl_cow_report *rep = mmap(NULL, rlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rep == MAP_FAILED)
		return -1;
	c->rep = rep;
	c->parent = getpid();
	c->pidfd = -1;
	c->t_clone = mono();
	/* flags 0: a new process (no CLONE_VM), exit signal 0 (no SIGCHLD), and
	 * none of libc's fork: no atfork handler, no lock taken */
	long r = syscall(SYS_clone, 0UL, 0UL, NULL, NULL, 0UL);
	if (r == 0)
		return 0;
	if (r < 0) {
		int e = errno;
		munmap(rep, rlen);
		c->rep = NULL;
		errno = e;
		return -1;
	}
	c->pid = (pid_t)r;
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, (pid_t)r, 0);
	c->pidfd = fd >= 0 ? (int)fd : -1;
	if (c->pidfd >= 0)
		fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
#endif
	return 1;
}

static void close_all_but(int keep)
{
#ifdef SYS_close_range
	int ok = 1;
	if (keep > 0 && syscall(SYS_close_range, 0U, (unsigned)keep - 1, 0U) < 0)
		ok = 0;
	if (ok && syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > (1L << 20))
		max = 1L << 20;
	for (long fd = 0; fd < max; fd++)
		if (fd != keep)
			close((int)fd);
}

void gl_cow_child_setup(int keep_fd)
{
	/* the process's handlers are not the child's: back to the default;
	 * what the process ignores stays ignored (Python ignores SIGPIPE and
	 * SIGXFSZ, so that a write past `ulimit -f` fails with EFBIG) */
	struct sigaction dfl, old;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &old) < 0)
			continue; /* libc's own signals refuse: no matter */
		if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN))
			continue;
		sigaction(s, &dfl, NULL);
	}
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, NULL);
	sigaction(SIGXFSZ, &ign, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_all_but(keep_fd);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "graphleak-walk");
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		setpriority(PRIO_PROCESS, 0, nice_now + 10 > 19 ? 19 : nice_now + 10);
	alarm(GL_COW_BOUND_SECONDS);
}

/* The child's private memory (Private_Clean + Private_Dirty), from smaps_rollup. */
static uint64_t private_bytes(void)
{
	char buf[4096];
	if (gl_read_file("/proc/self/smaps_rollup", buf, sizeof buf) <= 0)
		return 0;
	long long a = gl_line_kb(buf, "Private_Clean"), b = gl_line_kb(buf, "Private_Dirty");
	return (uint64_t)((a > 0 ? a : 0) + (b > 0 ? b : 0));
}

void gl_cow_child_exit(gl_cow *c, int rc)
{
	if (getppid() != c->parent)
		_exit(1);
	c->rep->child_seconds = mono() - c->t_clone;
	c->rep->own_bytes = gl_mem_child_mapped();
	c->rep->private_bytes = private_bytes();
	c->rep->rc = rc;
	__atomic_store_n(&c->rep->done, 1, __ATOMIC_RELEASE);
	_exit(rc ? 1 : 0);
}

/* ---- the parent's wait --------------------------------------------------- */

int gl_cow_wait(gl_cow *c, gl_cow_report *out, char *err, size_t len)
{
	double deadline = mono() + GL_COW_BOUND_SECONDS + 10;
	int status = 0, timed_out = 0;
	if (c->pidfd >= 0) {
		for (;;) {
			double left = deadline - mono();
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			struct pollfd p = {.fd = c->pidfd, .events = POLLIN};
			int r = poll(&p, 1, (int)(left * 1000) + 1);
			if (r > 0)
				break;
			if (r < 0 && errno != EINTR)
				break; /* waitpid below blocks instead */
		}
	} else {
		long ns = 200 * 1000;
		for (;;) {
			pid_t r = waitpid(c->pid, &status, __WCLONE | WNOHANG);
			if (r == c->pid)
				goto reaped;
			if (r < 0 && errno != EINTR)
				break;
			if (mono() > deadline) {
				timed_out = 1;
				break;
			}
			struct timespec ts = {0, ns};
			nanosleep(&ts, NULL);
			if (ns < 20 * 1000 * 1000)
				ns *= 2;
		}
	}
	if (timed_out)
		kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &status, __WCLONE) < 0 && errno == EINTR)
		;
reaped:
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	memcpy(out, c->rep, sizeof *out);
	munmap(c->rep, (sizeof(gl_cow_report) + 4095) & ~(size_t)4095);
	c->rep = NULL;
	int ok = __atomic_load_n(&out->done, __ATOMIC_ACQUIRE) && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		 out->rc == 0;
	if (ok)
		return 0;
	if (out->done && out->rc != 0) {
		snprintf(err, len, "%s", out->err[0] ? out->err : "the walk failed");
	} else if (timed_out) {
		snprintf(err, len, "the copy-on-write child did not finish within %d s and was killed",
			 GL_COW_BOUND_SECONDS + 10);
	} else if (WIFSIGNALED(status)) {
		int sg = WTERMSIG(status);
		snprintf(err, len, "the copy-on-write child was killed by signal %d (%s)%s", sg, strsignal(sg),
			 sg == SIGKILL ? ": out of memory, or killed by someone" : "");
	} else {
		snprintf(err, len, "the copy-on-write child ended without a snapshot (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (c->tmp_path[0])
		unlink(c->tmp_path);
	return -1;
}
