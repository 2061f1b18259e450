/*
 * cmd_export.c - `graphleak export` and `graphleak import`: the JSON-lines
 * form of a snapshot (docs/snapshot-format.md, "JSON lines").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heapsnapshot.h"
#include "jsonl.h"

static const char export_usage[] =
	"usage: graphleak export SNAP [-o FILE] [--format jsonl|heapsnapshot] [--redact]\n"
	"\n"
	"Writes the snapshot for other tools to read, in one of two formats:\n"
	"\n"
	"  jsonl         (the default) JSON lines: a {\"header\": ...} line, one line\n"
	"                per object with its edges, and a {\"footer\": ...} line. The\n"
	"                format is in docs/snapshot-format.md; 'graphleak import'\n"
	"                reads it back.\n"
	"  heapsnapshot  a V8 heap snapshot, for Chrome DevTools (Memory panel: Load\n"
	"                profile) and memlab: one node per object named by its type\n"
	"                (a str by its value), dict values as properties named by\n"
	"                their keys, attributes, fields and locals by their names.\n"
	"                Node \"(graphleak roots)\" holds sys.modules, the thread frames\n"
	"                (\"(Stack roots)\"), the objects held from C (\"(Global\n"
	"                handles)\") and cyclic garbage, so that DevTools' retained\n"
	"                sizes are graphleak's. Object k of the snapshot (the k-th\n"
	"                object line of the jsonl form, from 0) has node id 2k+3.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE  write to FILE instead of standard output\n"
	"  --format FMT       jsonl (default) or heapsnapshot\n"
	"  --redact           leave out str and bytes values (jsonl: written without\n"
	"                     their preview, flagged REDACTED; heapsnapshot: named by\n"
	"                     length and hash, global and attribute names kept) and\n"
	"                     the program's arguments: safer to share\n"
	"  -h, --help         show this help\n"
	"\n"
	"examples:\n"
	"  graphleak export app.snap | head -3\n"
	"  graphleak export app.snap -o app.jsonl\n"
	"  graphleak export app.snap --format heapsnapshot -o app.heapsnapshot\n"
	"  graphleak export app.snap --format heapsnapshot --redact -o share.heapsnapshot\n";

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
	const char *snap = NULL, *outp = NULL, *format = "jsonl";
	int redact = 0;
	const cli_opt opts[] = {CLI_OUTPUT(&outp, "FILE"), {"format", 0, CLI_STR, &format, "FMT", NULL},
				CLI_REDACT(&redact), {0}};
	cli_args a = {.cmd = "export", .usage = export_usage, .opts = opts, .pos = &snap, .max_pos = 1};
	int prc = cli_parse(&a, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	static const char *const formats[] = {"jsonl", "heapsnapshot", NULL};
	int heap = strcmp(format, "heapsnapshot") == 0;
	if (!heap && strcmp(format, "jsonl") != 0) {
		const char *near = cli_suggest_in(format, formats);
		if (near)
			return cli_usage_error("export", "unknown format '%s' (jsonl or heapsnapshot); did you mean %s?",
					       format, near);
		return cli_usage_error("export", "unknown format '%s': --format takes jsonl or heapsnapshot", format);
	}
	if (!snap)
		return cli_usage_error("export", "no snapshot given");
	gl_snap *s;
	if (cli_load(snap, GL_SNAP_NO_REVERSE, &s))
		return GL_EXIT_FAIL;
	s->redact = redact;
	/* the heap snapshot needs the roots (no chains, no dominator tree:
	 * their graph is rebuilt from the roots, heapsnapshot.h) */
	gl_analysis an = {0};
	gl_err err;
	gl_err_clear(&err);
	if (heap && gl_analysis_run(&an, s, 0, &err) < 0) {
		fprintf(stderr, "graphleak export: %s\n", err.msg);
		gl_analysis_free(&an);
		gl_snap_free(s);
		return GL_EXIT_FAIL;
	}
	FILE *out = stdout;
	if (outp && strcmp(outp, "-") != 0) {
		out = fopen(outp, "w");
		if (!out) {
			fprintf(stderr, "graphleak export: cannot create %s: %s\n", outp, strerror(errno));
			gl_analysis_free(&an);
			gl_snap_free(s);
			return GL_EXIT_FAIL;
		}
	} else {
		outp = "standard output";
	}
	int rc = heap ? gl_heapsnapshot_write(&an, out, outp, &err) : gl_jsonl_export(s, out, outp, &err);
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = gl_err_set(&err, "writing %s: %s", outp, strerror(errno));
	gl_analysis_free(&an);
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
