/*
 * cmd_watch.c - `graphleak watch --pid PID`: snapshots of a running process
 * at an interval (through `graphleak dump`), the growth report as it goes,
 * and the full report at the end or on Ctrl-C.
 *
 * The snapshots and the reports are taken by running graphleak itself
 * (`dump`, then `growth` over the files so far), each in its own process
 * group: a Ctrl-C at the terminal reaches this command only, which then lets
 * a dump in flight finish (a dump must never be cut off while it has a
 * thread of the process stopped) and reports what it has.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "growth.h"

static const char watch_usage[] =
	"usage: graphleak watch --pid PID [--interval S] [--count N] [-o DIR]\n"
	"                       [--timeout S] [--signal] [--json]\n"
	"\n"
	"Watches a running Python process grow: takes a snapshot every S seconds\n"
	"(with `graphleak dump --pid`, so the process is paused only for each\n"
	"walk), and after each one from the second on prints what keeps growing\n"
	"(`graphleak growth` over the snapshots so far). Stops after N snapshots,\n"
	"or on Ctrl-C, and then prints the full growth report over all of them.\n"
	"\n"
	"options:\n"
	"  --pid PID       the process to watch\n"
	"  --interval S    seconds between snapshots (default 10; decimals allowed)\n"
	"  --count N       how many snapshots (default 5; 0: until Ctrl-C, at most 64)\n"
	"  -o, --output DIR  where to keep the snapshots (default graphleak-watch-PID;\n"
	"                  made if missing); they are named watch-1.snap, watch-2.snap ...\n"
	"  --timeout S     passed to each `graphleak dump`: how long to wait for a safe\n"
	"                  point and for the GIL (default 10)\n"
	"  --signal        take each snapshot in cooperative mode (`graphleak dump\n"
	"                  --signal`: the program runs under `graphleak run` or called\n"
	"                  graphleak.enable_signal())\n"
	"  --json          print only the final report, as `graphleak growth --json`\n"
	"  -h, --help      show this help\n"
	"\n"
	"A Ctrl-C does not interrupt a snapshot being taken: it ends the watch after\n"
	"it.\n"
	"\n"
	"examples:\n"
	"  graphleak watch --pid 4242 --interval 30 --count 4\n"
	"  graphleak watch --pid 4242 --count 0 -o /var/tmp/leak   # until Ctrl-C\n";

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Runs this graphleak binary with argv in a process group of its own (so a
 * terminal Ctrl-C does not reach it); stdout to /dev/null when quiet.
 * Returns its exit status, or -1 if it could not be started. */
static int run_self(char *const argv[], int quiet)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		if (quiet && !freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(self, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Sleeps s seconds, showing a countdown on a terminal; returns early when a
 * stop is requested. */
static void wait_interval(double s, int k, uint64_t count)
{
	int tty = isatty(STDERR_FILENO);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double left = s - ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9);
		if (left <= 0 || stop_requested)
			break;
		if (tty) {
			if (count)
				fprintf(stderr, "\rwatch: %d of %llu snapshots taken; next in %.0f s (Ctrl-C: stop and report) ",
					k, (unsigned long long)count, left);
			else
				fprintf(stderr, "\rwatch: %d snapshots taken; next in %.0f s (Ctrl-C: stop and report) ", k, left);
			fflush(stderr);
		}
		struct timespec nap = {0, 200 * 1000 * 1000};
		if (left < 0.2)
			nap.tv_nsec = (long)(left * 1e9);
		nanosleep(&nap, NULL);
	}
	if (tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

/* `graphleak growth` over snaps[0..n), with one extra option (or NULL) and
 * its value (or NULL). Returns its exit status. */
static int run_growth(char *const snaps[], int n, const char *opt, const char *val)
{
	char *gargv[GL_GROWTH_MAX_SNAPS + 6];
	int k = 0;
	gargv[k++] = "graphleak";
	gargv[k++] = "growth";
	for (int j = 0; j < n; j++)
		gargv[k++] = snaps[j];
	if (opt)
		gargv[k++] = (char *)opt;
	if (val)
		gargv[k++] = (char *)val;
	gargv[k] = NULL;
	return run_self(gargv, 0);
}

int cmd_watch(int argc, char **argv)
{
	const char *ivtxt = NULL, *dir = NULL;
	int json = 0, sig = 0, n_pid = 0, n_timeout = 0;
	uint64_t pid = 0, count = 5;
	double interval = 10.0, timeout = 10.0;
	const cli_opt opts[] = {
		{"pid", 0, CLI_COUNT, &pid, "PID", &n_pid},
		{"interval", 0, CLI_STR, &ivtxt, "S", NULL}, /* seconds, 0 allowed */
		{"count", 0, CLI_COUNT, &count, "N", NULL},
		CLI_OUTPUT(&dir, "DIR"),
		{"timeout", 0, CLI_SECONDS, &timeout, "S", &n_timeout},
		{"signal", 0, CLI_FLAG, &sig, NULL, NULL},
		CLI_JSON(&json),
		{0}};
	cli_args ca = {.cmd = "watch", .usage = watch_usage, .opts = opts};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!n_pid)
		return cli_usage_error("watch", "--pid PID is required");
	if (pid == 0 || pid > INT_MAX)
		return cli_usage_error("watch", "--pid takes a process id, not %llu", (unsigned long long)pid);
	if (count == 1 || count > GL_GROWTH_MAX_SNAPS)
		return cli_usage_error("watch", "--count takes 0 (until Ctrl-C) or 2 to %d, not %llu", GL_GROWTH_MAX_SNAPS,
				       (unsigned long long)count);
	if (ivtxt) {
		char *end;
		interval = strtod(ivtxt, &end);
		if (end == ivtxt || *end || !(interval >= 0.0) || interval > 86400.0)
			return cli_usage_error("watch", "--interval takes seconds (0 to 86400), not '%s'", ivtxt);
	}
	char totxt_buf[32];
	const char *totxt = NULL;
	if (n_timeout) {
		snprintf(totxt_buf, sizeof totxt_buf, "%g", timeout);
		totxt = totxt_buf;
	}
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "graphleak watch: no process %llu\n", (unsigned long long)pid);
		return GL_EXIT_FAIL;
	}
	char dbuf[64];
	if (!dir) {
		snprintf(dbuf, sizeof dbuf, "graphleak-watch-%llu", (unsigned long long)pid);
		dir = dbuf;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "graphleak watch: cannot make %s: %s\n", dir, strerror(errno));
		return GL_EXIT_FAIL;
	}
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "graphleak watch: %s is not a directory\n", dir);
		return GL_EXIT_FAIL;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	char *snaps[GL_GROWTH_MAX_SNAPS];
	int n = 0, rc = GL_EXIT_OK;
	uint64_t limit = count ? count : GL_GROWTH_MAX_SNAPS;
	while ((uint64_t)n < limit && !stop_requested) {
		if (n > 0)
			wait_interval(interval, n, count);
		if (stop_requested)
			break;
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/watch-%d.snap", dir, n + 1);
		unlink(path); /* a snapshot of an earlier watch in the same place */
		char pidtxt[32];
		snprintf(pidtxt, sizeof pidtxt, "%llu", (unsigned long long)pid);
		char *dargv[10] = {"graphleak", "dump", "--pid", pidtxt, "-o", path, NULL};
		int d = 6;
		if (totxt) {
			dargv[d++] = "--timeout";
			dargv[d++] = (char *)totxt;
		}
		if (sig)
			dargv[d++] = "--signal";
		dargv[d] = NULL;
		int drc = run_self(dargv, json);
		if (drc != 0) {
			fprintf(stderr, "graphleak watch: the snapshot %d failed (dump exit %d)%s\n", n + 1, drc,
				n ? "; reporting what there is" : "");
			rc = GL_EXIT_FAIL;
			break;
		}
		snaps[n] = strdup(path);
		if (!snaps[n]) {
			fprintf(stderr, "graphleak watch: out of memory\n");
			rc = GL_EXIT_FAIL;
			break;
		}
		n++;
		if (n >= 2 && !json && (uint64_t)n < limit && !stop_requested) {
			printf("\n== after %d snapshots\n", n);
			run_growth(snaps, n, "--limit", "3");
		}
	}
	if (n >= 2) {
		if (!json)
			printf("\n== growth over the %d snapshots%s\n", n, stop_requested ? " (stopped)" : "");
		if (run_growth(snaps, n, json ? "--json" : NULL, NULL) != 0)
			rc = GL_EXIT_FAIL;
	} else if (rc == GL_EXIT_OK) {
		fprintf(stderr, "graphleak watch: stopped after %d snapshot%s: growth needs two\n", n, n == 1 ? "" : "s");
		rc = GL_EXIT_FAIL;
	}
	if (!json && n)
		printf("\nthe snapshots are in %s/ (watch-1.snap ... watch-%d.snap)\n", dir, n);
	for (int j = 0; j < n; j++)
		free(snaps[j]);
	return rc;
}
