/*
 * cmd_dump.c - `graphleak dump --pid PID`: snapshot a running Python process
 * without restarting it or changing its code. The work is in attach/ (the
 * driver and the injector) and the shim itself; this file is the command
 * line and the report. docs/attach.md explains the mechanism and why it is
 * safe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "humanfmt.h"

static const char dump_usage[] =
	"usage: graphleak dump --pid PID [-o SNAP] [--fork MODE] [--timeout S] [--collect] [--no-values] [--json] [-v]\n"
	"       graphleak dump --pid PID --signal[=SIG] [-o SNAP] [--fork MODE] [--timeout S] [--json]\n"
	"\n"
	"Takes a heap snapshot of a running Python process (CPython 3.8 to 3.13, any\n"
	"way it was started: a script, python -m, a uvicorn or Flask server) without\n"
	"restarting it or changing its code, then tells you where it wrote it and how\n"
	"long the process was paused.\n"
	"\n"
	"How (the default mode):\n"
	"  1. graphleak reads the interpreter's version from the process itself\n"
	"     (not from its path) and picks the shim of that minor version: one shim\n"
	"     serves every patch release and build of it, pyenv, Debian, python.org,\n"
	"     static, venv (shims.tsv: build/pyshim/ beside a built graphleak,\n"
	"     lib/graphleak/ installed). Before it walks, the shim checks that the\n"
	"     interpreter's layout is the one it was compiled for, and refuses debug\n"
	"     and free-threaded builds;\n"
	"  2. it stops one thread at a safe point, with ptrace: a thread blocked in a\n"
	"     system call (accept, select, epoll, sleep, a lock) with no allocator,\n"
	"     loader or signal handler on its stack, or else the next thread to enter\n"
	"     malloc or a Python allocator (at their entry no lock is held); the other\n"
	"     threads keep running;\n"
	"  3. it saves that thread's whole state (every register at the size the\n"
	"     kernel reports, the signal mask, errno), makes it dlopen() the shim and\n"
	"     call one C function that starts a helper thread, then restores the\n"
	"     state, checks it reads back identical and detaches: the interrupted\n"
	"     system call resumes as if nothing happened. No Python runs here;\n"
	"  4. the helper thread waits for the GIL like any other thread. The\n"
	"     interpreter hands it over only between two bytecodes or around a\n"
	"     blocking call, so the dump never sees a half-updated object;\n"
	"  5. holding the GIL, it makes a copy-on-write child of the process (a few\n"
	"     milliseconds) and releases the GIL: the process runs on while the\n"
	"     child walks the heap as it was at that instant, writes the snapshot\n"
	"     and exits. No atfork handler runs, no SIGCHLD is sent, the child dies\n"
	"     with the process. Where there is not memory enough for the pages the\n"
	"     process may write meanwhile (see --fork), the helper walks in place,\n"
	"     holding the GIL, and says so.\n"
	"Every wait is bounded (--timeout); on any error the thread is restored and the\n"
	"process keeps running. The snapshot is created by the process itself, so it\n"
	"belongs to its user: mode 0600, never replacing a file, complete or absent.\n"
	"\n"
	"Cooperative mode (--signal), for hosts where ptrace is forbidden: the program\n"
	"runs under `graphleak run`, or calls graphleak.enable_signal() at start-up.\n"
	"graphleak leaves a request in /tmp/graphleak-req-PID/ and sends SIGUSR2; the\n"
	"handler takes the snapshot in the main thread between two bytecodes.\n"
	"\n"
	"options:\n"
	"  --pid PID          the process to snapshot\n"
	"  -o, --output SNAP  where to write it (default: graphleak-PID-N.snap in the\n"
	"                     current directory); the process must be able to write there\n"
	"  --timeout S        how long to wait for a safe point, and then for the GIL\n"
	"                     (default 10 seconds)\n"
	"  --dump-timeout S   how long the dump itself may take once started (default 600)\n"
	"  --fork MODE        auto (default): walk in a copy-on-write child when the\n"
	"                     memory allows (its cgroup's limit, MemAvailable,\n"
	"                     overcommit: room for the anonymous RSS plus a quarter\n"
	"                     plus 64 MiB), else in place; always: in a child or not\n"
	"                     at all; never: in place, the process paused for the whole\n"
	"                     walk. Default: GRAPHLEAK_FORK, else the process's own\n"
	"  --collect          run gc.collect() in the process first (frees cyclic garbage:\n"
	"                     leave it out to see it)\n"
	"  --no-values        record no str/bytes/int/float values, only names (of\n"
	"                     modules, classes, functions, globals and attributes:\n"
	"                     interned identifiers): safer to share\n"
	"  --signal[=SIG]     cooperative mode (default SIGUSR2; no ptrace)\n"
	"  --json             print the result as JSON\n"
	"  -v, --verbose      show what happens (the verdict on every thread it looks at)\n"
	"  -h, --help         show this help\n"
	"\n"
	"Needs permission to ptrace the process: the same user (with\n"
	"/proc/sys/kernel/yama/ptrace_scope 0) or root; x86-64 Linux with glibc. No\n"
	"debugger is used.\n"
	"\n"
	"examples:\n"
	"  graphleak dump --pid 4242                       # -> graphleak-4242-1.snap\n"
	"  graphleak dump --pid 4242 -o /tmp/api.snap && graphleak suspects /tmp/api.snap\n"
	"  graphleak dump --pid 4242 --signal              # under graphleak run, no ptrace\n"
	"  graphleak dump --pid $(pgrep -f gunicorn | head -1) --json | jq .pause_seconds\n";

static int parse_signal(const char *s, int *out)
{
	if (!s || !*s) {
		*out = SIGUSR2;
		return 0;
	}
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < 32; i++) {
		const char *n = sigabbrev_np(i);
		if (n && strcmp(n, s) == 0) {
			*out = i;
			return 0;
		}
	}
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 64)
		return -1;
	*out = (int)v;
	return 0;
}

static int print_json_result(const gl_attach_opts *o, const gl_attach_result *r, const char *sites_note)
{
	json_t *j = json_pack("{s:b, s:s, s:s, s:i, s:s, s:s}", "ok", r->status == GL_ATTACH_OK, "status",
			      gl_attach_status_name(r->status), "mode", r->mode, "pid", o->pid, "python", r->python,
			      "executable", r->executable);
	if (!j)
		return GL_EXIT_FAIL;
	if (r->status == GL_ATTACH_OK) {
		json_object_set_new(j, "path", json_string(r->path));
		json_object_set_new(j, "objects", json_integer((json_int_t)r->objects));
		json_object_set_new(j, "edges", json_integer((json_int_t)r->edges));
		json_object_set_new(j, "bytes", json_integer((json_int_t)r->bytes));
		json_object_set_new(j, "file_bytes", json_integer((json_int_t)r->file_bytes));
		json_object_set_new(j, "pause_seconds", json_real(r->pause_seconds));
		json_object_set_new(j, "dump_seconds", json_real(r->dump_seconds));
		json_object_set_new(j, "gil_wait_seconds", json_real(r->gil_wait_seconds));
		json_object_set_new(j, "fork", json_string(r->forked ? "fork" : "in-place"));
		json_object_set_new(j, "fork_note", r->fork_note[0] ? json_string(r->fork_note) : json_null());
		json_object_set_new(j, "total_seconds", json_real(r->total_seconds));
		json_object_set_new(j, "sites_note", sites_note[0] ? json_string(sites_note) : json_null());
		if (r->forked) {
			json_object_set_new(j, "child_seconds", json_real(r->child_seconds));
			json_object_set_new(j, "cow_private_bytes", json_integer((json_int_t)r->cow_private_bytes));
		}
		if (!o->use_signal) {
			json_object_set_new(j, "attached_seconds", json_real(r->attached_seconds));
			json_object_set_new(j, "inject_seconds", json_real(r->inject_seconds));
			json_object_set_new(j, "thread_stopped_seconds", json_real(r->stopped_seconds));
			json_object_set_new(j, "extended_state_bytes", json_integer((json_int_t)r->ext_bytes));
			json_object_set_new(j, "safe_point", json_string(r->safe_point));
			json_object_set_new(j, "shim", json_string(r->shim));
		}
	} else {
		json_object_set_new(j, "error", json_string(r->message));
	}
	json_object_set_new(j, "wall_seconds", json_real(r->wall_seconds));
	int rc = cli_print_json("dump", j);
	json_decref(j);
	return rc;
}

int cmd_dump(int argc, char **argv)
{
	gl_attach_opts o;
	memset(&o, 0, sizeof o);
	o.timeout = 10;
	o.dump_timeout = 600;
	o.signum = SIGUSR2;
	const char *out = NULL, *sig = NULL, *fork = NULL;
	uint64_t pid = 0;
	int json = 0, no_values = 0, n_pid = 0;
	const cli_opt opts[] = {
		{"pid", 0, CLI_COUNT, &pid, "PID", &n_pid},
		CLI_OUTPUT(&out, "SNAP"),
		{"timeout", 0, CLI_SECONDS, &o.timeout, "S", NULL},
		{"dump-timeout", 0, CLI_SECONDS, &o.dump_timeout, "S", NULL},
		{"collect", 0, CLI_FLAG, &o.collect, NULL, NULL},
		{"no-values", 0, CLI_FLAG, &no_values, NULL, NULL},
		{"signal", 0, CLI_OPTVAL, &sig, "SIG", NULL},
		{"fork", 0, CLI_STR, &fork, "MODE", NULL},
		CLI_JSON(&json),
		{"verbose", 'v', CLI_FLAG, &o.verbose, NULL, NULL},
		{0}};
	cli_args ca = {.cmd = "dump", .usage = dump_usage, .opts = opts};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	o.values = !no_values;
	if (cli_fork_mode("dump", &fork) < 0)
		return GL_EXIT_USAGE;
	o.fork = fork;
	if (sig) {
		o.use_signal = 1;
		if (parse_signal(sig, &o.signum) < 0)
			return cli_usage_error("dump", "--signal takes a signal name or number, not '%s'", sig);
	}
	if (!n_pid)
		return cli_usage_error("dump", "which process? give --pid PID");
	if (pid == 0 || pid > 4194304)
		return cli_usage_error("dump", "--pid takes a process id, not %llu", (unsigned long long)pid);
	o.pid = (int)pid;

	char path[PATH_MAX];
	if (!out) {
		if (gl_attach_default_output(o.pid, path, sizeof path) < 0) {
			fprintf(stderr, "graphleak dump: cannot choose an output name in the current directory\n");
			return GL_EXIT_FAIL;
		}
	} else if (out[0] == '/') {
		if ((size_t)snprintf(path, sizeof path, "%s", out) >= sizeof path)
			return cli_usage_error("dump", "the output path is too long");
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd)) {
			fprintf(stderr, "graphleak dump: no current directory: %s\n", strerror(errno));
			return GL_EXIT_FAIL;
		}
		if ((size_t)snprintf(path, sizeof path, "%s/%s", cwd, out) >= sizeof path)
			return cli_usage_error("dump", "the output path is too long");
	}
	o.output = path;

	gl_attach_result *r = malloc(sizeof *r);
	if (!r) {
		fprintf(stderr, "graphleak dump: out of memory\n");
		return GL_EXIT_FAIL;
	}
	gl_attach_status st = gl_attach_dump(&o, r);
	int rc = st == GL_ATTACH_OK ? GL_EXIT_OK : st == GL_ATTACH_USAGE ? GL_EXIT_USAGE : GL_EXIT_FAIL;
	/* what the snapshot says of allocation sites (its footer) */
	char sites_note[512] = "";
	if (st == GL_ATTACH_OK) {
		gl_snap *snap;
		gl_err err;
		gl_err_clear(&err);
		if (gl_snap_load(&snap, r->path, GL_SNAP_META_ONLY, &err) == 0) {
			const json_t *n = json_object_get(snap->footer, "sites_note");
			if (json_is_string(n))
				snprintf(sites_note, sizeof sites_note, "%s", json_string_value(n));
			gl_snap_free(snap);
		}
	}
	if (st != GL_ATTACH_OK)
		fprintf(stderr, "graphleak dump: %s\n", r->message);
	if (json) {
		int jr = print_json_result(&o, r, sites_note);
		if (jr != 0 && rc == GL_EXIT_OK)
			rc = jr;
	} else if (st == GL_ATTACH_OK) {
		char b1[GL_FMT_BUF], b2[GL_FMT_BUF], b3[GL_FMT_BUF], b4[GL_FMT_BUF];
		printf("graphleak: wrote %s\n", r->path);
		printf("  %s objects, %s edges; heap %s, file %s (Python %s, process %d)\n",
		       gl_fmt_count(b1, r->objects), gl_fmt_count(b2, r->edges), gl_fmt_bytes(b3, r->bytes),
		       gl_fmt_bytes(b4, r->file_bytes), r->python, o.pid);
		printf("  process paused %.3f s (the dump held the GIL)", r->pause_seconds);
		if (r->forked)
			printf("; a copy-on-write child walked it in %.2f s while the process ran on,\n"
			       "  costing %s of copied pages and buffers",
			       r->child_seconds, gl_fmt_bytes(b1, r->cow_private_bytes));
		else if (r->fork_note[0])
			printf(";\n  %s", r->fork_note);
		if (!o.use_signal)
			printf("; waited %.3f s for the GIL\n  injected in %.4f s, thread stopped %.4f s (%s)",
			       r->gil_wait_seconds, r->inject_seconds, r->stopped_seconds, r->safe_point);
		else
			printf("; signal handler (%s)", r->mode);
		printf("; total %.2f s\n", r->wall_seconds);
		if (sites_note[0])
			printf("  (%s)\n", sites_note);
		printf("next: graphleak suspects %s\n", r->path);
	}
	free(r);
	return rc;
}
