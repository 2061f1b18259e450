/*
 * cmd_run.c - `graphleak run`: run a Python program with the shim importable
 * and snapshot it at exit and on SIGUSR2.
 *
 * The work is done inside the target by pyshim/graphleak_run.py (a
 * bootstrap that picks the shim built for that interpreter, installs the
 * at-exit and signal hooks, then runs the script with runpy). This command
 * only finds the bootstrap beside the graphleak binary and execs the
 * interpreter on it, so the target keeps graphleak's pid: `kill -USR2` on
 * the pid that `graphleak run` printed reaches the program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"

static const char run_usage[] =
	"usage: graphleak run [-o SNAP] [--at-exit] [--no-values] [--fork MODE] [--trace[=N]] -- PYTHON SCRIPT [ARGS...]\n"
	"       graphleak run [-o SNAP] [--at-exit] [--no-values] [--fork MODE] [--trace[=N]] -- PYTHON -m MODULE [ARGS...]\n"
	"       graphleak run [-o SNAP] [--at-exit] [--no-values] [--fork MODE] [--trace[=N]] -- PYTHON -c CODE [ARGS...]\n"
	"\n"
	"Runs a Python program with graphleak's shim importable and takes heap\n"
	"snapshots of it: when it receives SIGUSR2 (kill -USR2 PID), and, with\n"
	"--at-exit, when it finishes (while its module globals are still alive).\n"
	"The program runs unchanged: same pid, same arguments, same sys.path[0].\n"
	"\n"
	"Nothing is ever replaced: an -o file that exists is refused before the\n"
	"program starts, and later snapshots take the next free name. The\n"
	"directory must be writable, also checked before the start. If the program\n"
	"installs its own SIGUSR2 handler, signal snapshots stop: graphleak says so\n"
	"(use graphleak dump --pid PID then). With --at-exit, the exit status is 1\n"
	"when the program succeeded but its snapshot could not be written.\n"
	"\n"
	"options:\n"
	"  -o, --output SNAP  where to write the first snapshot; later ones add -2,\n"
	"                     -3, ... before the extension (the next free name)\n"
	"                     (default: graphleak-PID-N.snap in the current directory)\n"
	"  --at-exit          also take a snapshot when the program exits\n"
	"  --no-values        record no str/bytes/int/float values, only names (of\n"
	"                     modules, classes, functions, globals and attributes:\n"
	"                     interned identifiers): safer to share\n"
	"  --fork MODE        how each snapshot walks the heap: auto (default: in a\n"
	"                     copy-on-write child when the memory allows, so the\n"
	"                     program is paused for milliseconds, else in place),\n"
	"                     always, never (in place). Sets GRAPHLEAK_FORK for it\n"
	"  --trace[=N]        trace allocations from the program's first line\n"
	"                     (tracemalloc, N frames each, default 5: PYTHONTRACEMALLOC),\n"
	"                     so that every snapshot says where objects were allocated\n"
	"                     (`path --type`, `suspects`); it costs the program time\n"
	"                     and memory while it runs\n"
	"  -h, --help         show this help\n"
	"\n"
	"PYTHON is any CPython 3.8+ that graphleak's shim was built for (the build\n"
	"finds python3 on PATH, /usr/bin/python3 and pyenv's interpreters).\n"
	"\n"
	"examples:\n"
	"  graphleak run -o app.snap --at-exit -- python3 app.py --port 8000\n"
	"  graphleak run -- python3 -m myservice & kill -USR2 $!\n";

/* graphleak_run.py beside the graphleak binary (build/pyshim/) or installed (../lib/graphleak/). */
static int find_bootstrap(char *out, size_t len)
{
	char dir[PATH_MAX];
	if (gl_find_pyshim_dir(dir, sizeof dir, "graphleak_run.py") < 0)
		return -1;
	return (size_t)snprintf(out, len, "%s/graphleak_run.py", dir) < len ? 0 : -1;
}

int cmd_run(int argc, char **argv)
{
	const char *out = NULL, *fork = NULL, *trace = NULL;
	int at_exit = 0, no_values = 0;
	const cli_opt opts[] = {
		CLI_OUTPUT(&out, "SNAP"),
		{"at-exit", 0, CLI_FLAG, &at_exit, NULL, NULL},
		{"no-values", 0, CLI_FLAG, &no_values, NULL, NULL},
		{"fork", 0, CLI_STR, &fork, "MODE", NULL},
		{"trace", 0, CLI_OPTVAL, &trace, "FRAMES", NULL},
		{0}};
	cli_args ca = {.cmd = "run", .usage = run_usage, .opts = opts, .takes_program = 1};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (cli_fork_mode("run", &fork) < 0)
		return GL_EXIT_USAGE;
	/* the shim reads it in the program (cow.h) */
	if (fork && setenv("GRAPHLEAK_FORK", fork, 1) < 0) {
		fprintf(stderr, "graphleak run: cannot set GRAPHLEAK_FORK: %s\n", strerror(errno));
		return GL_EXIT_FAIL;
	}
	if (trace) {
		/* tracemalloc from the first line: PYTHONTRACEMALLOC=FRAMES for it */
		char *end = NULL;
		long frames = *trace ? strtol(trace, &end, 10) : 5;
		if ((*trace && (!end || *end)) || frames < 1 || frames > 100)
			return cli_usage_error("run", "--trace takes a number of frames from 1 to 100 (--trace=5), not '%s'",
					       trace);
		char fb[16];
		snprintf(fb, sizeof fb, "%ld", frames);
		if (setenv("PYTHONTRACEMALLOC", fb, 1) < 0) {
			fprintf(stderr, "graphleak run: cannot set PYTHONTRACEMALLOC: %s\n", strerror(errno));
			return GL_EXIT_FAIL;
		}
	}
	int i = ca.program;
	if (!i)
		return cli_usage_error("run", "no program given: graphleak run [options] -- PYTHON SCRIPT [ARGS...]");
	if (i + 1 >= argc)
		return cli_usage_error("run", "no script given after %s (a module needs -m MODULE, code -c CODE)",
				       argv[i]);
	if ((strcmp(argv[i + 1], "-m") == 0 || strcmp(argv[i + 1], "-c") == 0) && i + 2 >= argc)
		return cli_usage_error("run", "%s needs a %s", argv[i + 1], argv[i + 1][1] == 'm' ? "module name" : "program");

	/* where the snapshots go, checked before the program starts */
	char dir[PATH_MAX];
	if (out) {
		struct stat st;
		if (lstat(out, &st) == 0) {
			fprintf(stderr, "graphleak run: %s exists: graphleak never replaces a file; choose another name "
					"(-o)\n", out);
			return GL_EXIT_FAIL;
		}
		snprintf(dir, sizeof dir, "%s", out);
		char *slash = strrchr(dir, '/');
		if (!slash)
			snprintf(dir, sizeof dir, ".");
		else if (slash == dir)
			slash[1] = 0;
		else
			*slash = 0;
	} else {
		snprintf(dir, sizeof dir, ".");
	}
	struct stat ds;
	if (stat(dir, &ds) < 0 || !S_ISDIR(ds.st_mode)) {
		fprintf(stderr, "graphleak run: no directory %s for the snapshots\n", dir);
		return GL_EXIT_FAIL;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "graphleak run: cannot write snapshots in %s: %s (choose another place with -o)\n",
			strcmp(dir, ".") == 0 ? "the current directory" : dir, strerror(errno));
		return GL_EXIT_FAIL;
	}

	char boot[PATH_MAX];
	if (find_bootstrap(boot, sizeof boot) < 0) {
		fprintf(stderr, "graphleak run: the shim's bootstrap graphleak_run.py is not beside the graphleak "
				"binary (pyshim/ in a build, ../lib/graphleak/ installed); build the project with "
				"the shim enabled (cmake -DGRAPHLEAK_BUILD_SHIM=ON)\n");
		return 1;
	}

	/* PYTHON boot [-o SNAP] [--at-exit] [--no-values] -- SCRIPT ARGS... NULL */
	size_t rest = (size_t)(argc - i - 1);
	size_t nargs = 2 + 2 + 2 + 1 + rest + 1;
	char **nargv = calloc(nargs, sizeof *nargv);
	if (!nargv) {
		fprintf(stderr, "graphleak run: out of memory\n");
		return 1;
	}
	size_t k = 0;
	nargv[k++] = argv[i];
	nargv[k++] = boot;
	if (out) {
		nargv[k++] = "-o";
		nargv[k++] = (char *)out;
	}
	if (at_exit)
		nargv[k++] = "--at-exit";
	if (no_values)
		nargv[k++] = "--no-values";
	nargv[k++] = "--";
	for (int j = i + 1; j < argc; j++)
		nargv[k++] = argv[j];
	nargv[k] = NULL;

	fflush(NULL);
	execvp(argv[i], nargv);
	int e = errno;
	fprintf(stderr, "graphleak run: cannot run '%s': %s\n", argv[i], strerror(e));
	free(nargv);
	return e == ENOENT ? 127 : 126;
}
