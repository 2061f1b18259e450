/*
 * cmd_export.c - `graphleak export` and `graphleak import`: the JSON-lines
 * form of a snapshot (docs/snapshot-format.md, "JSON lines").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jsonl.h"

static const char export_usage[] =
	"usage: graphleak export SNAP [-o FILE] [--redact]\n"
	"\n"
	"Writes the snapshot as JSON lines: a {\"header\": ...} line, one line per\n"
	"object with its edges, and a {\"footer\": ...} line. The format is in\n"
	"docs/snapshot-format.md; 'graphleak import' reads it back.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE  write to FILE instead of standard output\n"
	"  --redact           leave out str and bytes values (they are written\n"
	"                     without their preview, flagged REDACTED) and the\n"
	"                     program's arguments: safer to share\n"
	"  -h, --help         show this help\n"
	"\n"
	"examples:\n"
	"  graphleak export app.snap | head -3\n"
	"  graphleak export app.snap -o app.jsonl\n";

static const char import_usage[] =
	"usage: graphleak import FILE.jsonl -o SNAP [--force]\n"
	"\n"
	"Makes a snapshot from JSON lines as 'graphleak export' writes them (or\n"
	"another tool does, following docs/snapshot-format.md). Every line is\n"
	"checked; the first problem is reported as 'FILE: line N: ...' and no\n"
	"snapshot is written. FILE '-' reads standard input.\n"
	"\n"
	"options:\n"
	"  -o, --output SNAP  the snapshot to write (required)\n"
	"  --force            replace SNAP if it exists\n"
	"  -h, --help         show this help\n"
	"\n"
	"example:\n"
	"  graphleak import heap.jsonl -o heap.snap && graphleak top heap.snap\n";

int cmd_export(int argc, char **argv)
{
	const char *snap = NULL, *outp = NULL;
	int redact = 0;
	const cli_opt opts[] = {CLI_OUTPUT(&outp, "FILE"), CLI_REDACT(&redact), {0}};
	cli_args a = {.cmd = "export", .usage = export_usage, .opts = opts, .pos = &snap, .max_pos = 1};
	int prc = cli_parse(&a, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!snap)
		return cli_usage_error("export", "no snapshot given");
	gl_snap *s;
	if (cli_load(snap, GL_SNAP_NO_REVERSE, &s))
		return GL_EXIT_FAIL;
	s->redact = redact;
	FILE *out = stdout;
	if (outp && strcmp(outp, "-") != 0) {
		out = fopen(outp, "w");
		if (!out) {
			fprintf(stderr, "graphleak export: cannot create %s: %s\n", outp, strerror(errno));
			gl_snap_free(s);
			return GL_EXIT_FAIL;
		}
	} else {
		outp = "standard output";
	}
	gl_err err;
	gl_err_clear(&err);
	int rc = gl_jsonl_export(s, out, outp, &err);
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = gl_err_set(&err, "writing %s: %s", outp, strerror(errno));
	gl_snap_free(s);
	if (rc < 0) {
		fprintf(stderr, "graphleak export: %s\n", err.msg);
		return GL_EXIT_FAIL;
	}
	return GL_EXIT_OK;
}

int cmd_import(int argc, char **argv)
{
	const char *in = NULL, *outp = NULL;
	int force = 0;
	const cli_opt opts[] = {CLI_OUTPUT(&outp, "SNAP"), {"force", 0, CLI_FLAG, &force, NULL, NULL}, {0}};
	cli_args a = {.cmd = "import", .usage = import_usage, .opts = opts, .pos = &in, .max_pos = 1};
	int prc = cli_parse(&a, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	unsigned flags = force ? GL_JSONL_OVERWRITE : 0;
	if (!in)
		return cli_usage_error("import", "no input file given");
	if (!outp)
		return cli_usage_error("import", "no output given: -o SNAP");
	FILE *f = stdin;
	const char *name = "standard input";
	if (strcmp(in, "-") != 0) {
		f = fopen(in, "r");
		if (!f) {
			fprintf(stderr, "graphleak import: cannot open %s: %s\n", in, strerror(errno));
			return GL_EXIT_FAIL;
		}
		name = in;
	}
	gl_err err;
	gl_err_clear(&err);
	gl_jsonl_stats st;
	int rc = gl_jsonl_import(f, name, outp, flags, &st, &err);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		fprintf(stderr, "graphleak import: %s\n", err.msg);
		return GL_EXIT_FAIL;
	}
	return GL_EXIT_OK;
}
