/*
 * main.c - graphleak's entry point: global options and the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef GRAPHLEAK_VERSION
#define GRAPHLEAK_VERSION "0.1.0"
#endif

typedef struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} command;

static const command commands[] = {
	{"run", cmd_run, "run a Python program and snapshot its heap (at exit, on SIGUSR2)"},
	{"dump", cmd_dump, "snapshot a running Python process: graphleak dump --pid PID"},
	{"info", cmd_info, "what a snapshot is of: process, Python, gc state, threads, totals"},
	{"top", cmd_top, "objects and bytes per type, largest first"},
	{"suspects", cmd_suspects, "what retains the most memory, and who holds it"},
	{"path", cmd_path, "who keeps an object (or a type's objects) alive: the chain from a root"},
	{"cycles", cmd_cycles, "cyclic garbage, cycles with __del__, and gc.garbage"},
	{"growth", cmd_growth, "what keeps growing across snapshots, and who holds it"},
	{"memory", cmd_memory, "where the RSS is: objects, allocators' free space, native memory"},
	{"watch", cmd_watch, "snapshot a running process at an interval and report its growth"},
	{"render", cmd_render, "draw who holds what (SVG, PNG, PDF, DOT) for a bug report"},
	{"report", cmd_report, "one self-contained HTML page of the findings, to share"},
	{"export", cmd_export, "write a snapshot as JSON lines, or for Chrome DevTools"},
	{"import", cmd_import, "make a snapshot from JSON lines"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* The options before the command, parsed by hand in main(); this table only
 * describes them (`graphleak __complete globals`). */
static const cli_opt global_opts[] = {
	{"version", 'V', CLI_FLAG, NULL, NULL, NULL},
	{"max-memory", 0, CLI_SIZE, NULL, "SIZE", NULL},
	{0}};

static void usage(FILE *f)
{
	fputs("graphleak - find who holds the memory in a leaking Python process\n"
	      "\n"
	      "graphleak takes a snapshot of a Python process's object graph (every\n"
	      "gc-tracked object and every str, bytes, int or float they reference,\n"
	      "with sizes and labelled references) and analyzes it offline.\n"
	      "\n"
	      "usage: graphleak COMMAND [OPTIONS] [ARGS]\n"
	      "\n"
	      "commands:\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("  help      help on a command: graphleak help COMMAND\n"
	      "\n"
	      "options:\n"
	      "  -h, --help     show this help\n"
	      "  --version      show graphleak's version and snapshot format\n"
	      "  --max-memory SIZE  refuse a snapshot whose analysis would need more\n"
	      "                 memory than SIZE (4G, 512M; also GRAPHLEAK_MAX_MEMORY)\n"
	      "\n"
	      "examples:\n"
	      "  graphleak run -o app.snap --at-exit -- python3 app.py   # snapshot at exit\n"
	      "  graphleak info app.snap                                 # what was captured\n"
	      "  graphleak top app.snap --limit 10                       # biggest types\n"
	      "  graphleak suspects app.snap                             # what holds the memory\n"
	      "  graphleak path app.snap --type Profile                  # who keeps Profiles alive\n"
	      "  graphleak render app.snap --backrefs Profile -o p.svg   # ... as a picture\n"
	      "\n"
	      "Every command takes --help. Exit status: 0 ok, 1 bad input or failure,\n"
	      "2 usage error.\n", f);
}

static const command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static const char *command_name(size_t i, void *ctx)
{
	(void)ctx;
	return i < N_COMMANDS ? commands[i].name : "help";
}

static int no_command(const char *name)
{
	long k = cli_suggest(name, N_COMMANDS + 1, command_name, NULL);
	const char *s = k < 0 ? NULL : command_name((size_t)k, NULL);
	if (s)
		fprintf(stderr, "graphleak: unknown command '%s'; did you mean '%s'? (see 'graphleak --help')\n", name, s);
	else
		fprintf(stderr, "graphleak: unknown command '%s' (see 'graphleak --help')\n", name);
	return GL_EXIT_USAGE;
}

/*
 * `graphleak __complete commands | globals | options COMMAND`: the command
 * table ("name TAB summary"), the global options, or a command's option
 * table (opts.h: cli_describe), one per line. The man page and the bash
 * completion are generated from these at build time (dist/generate.cmake),
 * so they always match this binary. Hidden: for the build, not for people.
 */
static int complete(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "commands") == 0) {
		for (size_t i = 0; i < N_COMMANDS; i++)
			printf("%s\t%s\n", commands[i].name, commands[i].summary);
		return GL_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[2], "globals") == 0) {
		cli_describe_table(global_opts);
		return GL_EXIT_OK;
	}
	if (argc == 4 && strcmp(argv[2], "options") == 0) {
		const command *c = find(argv[3]);
		if (!c)
			return no_command(argv[3]);
		char *cargv[] = {argv[3], NULL};
		cli_describe = 1;
		int rc = c->fn(1, cargv);
		cli_describe = 0;
		return rc;
	}
	fputs("usage: graphleak __complete commands | globals | options COMMAND\n", stderr);
	return GL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return GL_EXIT_USAGE;
	}
	const char *env = getenv("GRAPHLEAK_MAX_MEMORY");
	if (env && *env && cli_parse_size(env, &cli_max_memory) < 0) {
		fprintf(stderr, "graphleak: GRAPHLEAK_MAX_MEMORY takes a size like 4G, not '%s'\n", env);
		return GL_EXIT_USAGE;
	}
	while (argc >= 2 && (strcmp(argv[1], "--max-memory") == 0 || strncmp(argv[1], "--max-memory=", 13) == 0)) {
		const char *v = argv[1][12] == '=' ? argv[1] + 13 : argc >= 3 ? argv[2] : NULL;
		if (!v || cli_parse_size(v, &cli_max_memory) < 0 || cli_max_memory == 0) {
			fprintf(stderr, "graphleak: --max-memory takes a size like 4G or 512M%s%s%s\n",
				v ? ", not '" : "", v ? v : "", v ? "'" : "");
			return GL_EXIT_USAGE;
		}
		int used = argv[1][12] == '=' ? 1 : 2;
		argv += used;
		argc -= used;
	}
	if (argc < 2) {
		usage(stderr);
		return GL_EXIT_USAGE;
	}
	const char *a = argv[1];
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		usage(stdout);
		return GL_EXIT_OK;
	}
	if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
		printf("graphleak %s (snapshot format %d.%d)\n", GRAPHLEAK_VERSION, GL_FMT_MAJOR, GL_FMT_MINOR);
		return GL_EXIT_OK;
	}
	if (strcmp(a, "help") == 0) { /* `help COMMAND` is `COMMAND --help` */
		if (argc < 3 || strcmp(argv[2], "help") == 0 || strcmp(argv[2], "--help") == 0 ||
		    strcmp(argv[2], "-h") == 0) {
			usage(stdout);
			return GL_EXIT_OK;
		}
		const command *c = find(argv[2]);
		if (!c)
			return no_command(argv[2]);
		char *hargv[] = {argv[2], "--help", NULL};
		return c->fn(2, hargv);
	}
	if (strcmp(a, "__complete") == 0)
		return complete(argc, argv);
	const command *c = find(a);
	if (!c) {
		if (a[0] == '-') {
			fprintf(stderr, "graphleak: unknown option '%s' (see 'graphleak --help')\n", a);
			return GL_EXIT_USAGE;
		}
		return no_command(a);
	}
	int rc = c->fn(argc - 1, argv + 1);
	if (fflush(stdout) != 0 && rc == 0) {
		perror("graphleak: writing the output");
		rc = GL_EXIT_FAIL;
	}
	return rc;
}
