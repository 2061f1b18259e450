/*
 * cli.h - the graphleak command line: one function per command, each taking
 * (argc, argv) with argv[0] the command's name, returning the exit status:
 * 0 success, 1 a bad input file or a failure while working, 2 a usage error.
 * Only main() exits.
 */
#ifndef GRAPHLEAK_CLI_H
#define GRAPHLEAK_CLI_H

#include <stdint.h>

#include "opts.h"
#include "snapshot.h"

#define GL_EXIT_OK 0
#define GL_EXIT_FAIL 1
#define GL_EXIT_USAGE 2

int cmd_info(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_run(int argc, char **argv); /* cmd_run.c */
int cmd_dump(int argc, char **argv); /* cmd_dump.c, attach/ */
int cmd_path(int argc, char **argv);
int cmd_suspects(int argc, char **argv);
int cmd_cycles(int argc, char **argv);
int cmd_growth(int argc, char **argv);
int cmd_memory(int argc, char **argv); /* cmd_memory.c */
int cmd_watch(int argc, char **argv);
int cmd_render(int argc, char **argv); /* cmd_render.c */
int cmd_report(int argc, char **argv); /* cmd_report.c */

/* Prints "graphleak CMD: <message>" and a hint to --help on stderr; returns 2. */
/*
 * Checks a --fork MODE value (auto, always, never); NULL takes
 * GRAPHLEAK_FORK from the environment, if set. 0 (*mode checked, or NULL:
 * the process decides), or -1 after a usage message.
 */
int cli_fork_mode(const char *cmd, const char **mode);

int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/*
 * A memory cap for loading and analysing (0: none), from the global option
 * `graphleak --max-memory SIZE COMMAND ...` or GRAPHLEAK_MAX_MEMORY. cli_load
 * refuses a snapshot whose estimated need (gl_snap_mem_estimate) is larger.
 */
extern uint64_t cli_max_memory;


/*
 * Loads a snapshot; on failure prints "graphleak: <message>" on stderr and
 * returns 1 (with *out NULL), else 0.
 */
int cli_load(const char *path, unsigned flags, gl_snap **out);

/*
 * With GRAPHLEAK_TIMING=1 in the environment, prints
 * "graphleak: timing: PHASE 0.1234 s" (seconds since `since`, from gl_now())
 * on stderr; else nothing. For bench/ and for the curious.
 */
void cli_timing(const char *phase, double since);

/*
 * Writes a command's JSON result to stdout (indented, a newline after), with
 * "schema": "graphleak.COMMAND/N" as its first member: the schema in
 * docs/json.md that the output follows (COMMAND is what is given, such as
 * "path.type"; N is GL_JSON_SCHEMA_VERSION). v must be an object. 0 or 1.
 */
#define GL_JSON_SCHEMA_VERSION 1
int cli_print_json(const char *command, json_t *v);

#endif /* GRAPHLEAK_CLI_H */
