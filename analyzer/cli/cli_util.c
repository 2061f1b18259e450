/* cli_util.c - helpers shared by the commands; see cli.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "humanfmt.h"
#include "progress.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "graphleak %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'graphleak %s --help')\n", cmd);
	return GL_EXIT_USAGE;
}

int cli_fork_mode(const char *cmd, const char **mode)
{
	const char *from = "--fork";
	if (!*mode) {
		*mode = getenv("GRAPHLEAK_FORK");
		from = "GRAPHLEAK_FORK";
		if (*mode && !**mode)
			*mode = NULL;
	}
	if (!*mode)
		return 0;
	static const char *const ok[] = {"auto", "always", "never"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(*mode, ok[i]) == 0)
			return 0;
	cli_usage_error(cmd, "%s takes auto, always or never, not '%s'", from, *mode);
	return -1;
}

uint64_t cli_max_memory;

void cli_timing(const char *phase, double since)
{
	static int on = -1;
	if (on < 0) {
		const char *e = getenv("GRAPHLEAK_TIMING");
		on = e && *e && strcmp(e, "0") != 0;
	}
	if (on)
		fprintf(stderr, "graphleak: timing: %s %.4f s\n", phase, gl_now() - since);
}

int cli_load(const char *path, unsigned flags, gl_snap **out)
{
	gl_err err;
	gl_err_clear(&err);
	if (cli_max_memory) {
		gl_snap_counts c;
		gl_err perr;
		gl_err_clear(&perr);
		if (gl_snap_peek(path, &c, &perr) == 0) {
			uint64_t need = gl_snap_mem_estimate(&c);
			if (need > cli_max_memory) {
				char a[GL_FMT_BUF], b[GL_FMT_BUF], o[GL_FMT_BUF], e[GL_FMT_BUF];
				fprintf(stderr, "graphleak: %s: analyzing it needs about %s (%s objects, %s references), "
					"more than --max-memory %s allows; raise the limit or use a machine with "
					"more memory\n", path, gl_fmt_bytes(a, need), gl_fmt_count(o, c.objects),
					gl_fmt_count(e, c.edges), gl_fmt_bytes(b, cli_max_memory));
				return GL_EXIT_FAIL;
			}
		}
	}
	double t0 = gl_now();
	char what[256];
	snprintf(what, sizeof what, "loading %s", path);
	gl_ticker tk;
	gl_ticker_start(&tk, what);
	int rc = gl_snap_load(out, path, flags, &err);
	gl_ticker_stop(&tk);
	if (rc < 0) {
		fprintf(stderr, "graphleak: %s\n", err.msg);
		return GL_EXIT_FAIL;
	}
	cli_timing((flags & GL_SNAP_NO_REVERSE) ? "load" : "load+reverse", t0);
	return GL_EXIT_OK;
}

int cli_print_json(const char *command, json_t *v)
{
	char schema[64];
	snprintf(schema, sizeof schema, "graphleak.%s/%d", command, GL_JSON_SCHEMA_VERSION);
	json_t *o = json_pack("{s:s}", "schema", schema);
	if (!o || !json_is_object(v) || json_object_update(o, v) < 0) {
		json_decref(o);
		fprintf(stderr, "graphleak: out of memory producing JSON\n");
		return GL_EXIT_FAIL;
	}
	int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (rc < 0) {
		fprintf(stderr, "graphleak: out of memory or write error producing JSON\n");
		return GL_EXIT_FAIL;
	}
	putchar('\n');
	return GL_EXIT_OK;
}
