/*
 * cmd_top.c - `graphleak top`: objects and bytes per type, largest first.
 * The rows come from typestats.h; this file only renders them. Columns are
 * built so that more (retained size, growth) can be added beside "size".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "progress.h"
#include "humanfmt.h"
#include "analysis.h"
#include "typestats.h"
#include "vec.h"

#define TOP_DEFAULT_LIMIT 20

static const char top_usage[] =
	"usage: graphleak top SNAP [--limit N] [--tracked-only] [--no-retained] [--json]\n"
	"\n"
	"Counts the objects of each type and adds up their sizes (as\n"
	"sys.getsizeof reports them), largest total first, ties by type name.\n"
	"Like objgraph.show_most_common_types(), but with bytes, and counting\n"
	"the untracked objects (str, bytes, int, float) too. The retained column\n"
	"is what would be freed if every object of the type went away (from the\n"
	"dominator tree): a dict of 10 entries holding 40 MB retains 40 MB.\n"
	"\n"
	"options:\n"
	"  -n, --limit N     show the N largest types (default 20; 0: all)\n"
	"  --tracked-only    count only gc-tracked objects (what objgraph sees)\n"
	"  --no-retained     skip the retained column (faster on huge snapshots)\n"
	"  --json            print {\"types\": [{\"type\", \"count\", \"size\", \"retained\"},\n"
	"                    ...],\n"
	"                    \"other\": {...}, \"total\": {...}}; sizes in bytes\n"
	"  -h, --help        show this help\n"
	"\n"
	"examples:\n"
	"  graphleak top app.snap\n"
	"  graphleak top app.snap --limit 5 --json | jq '.types[0]'\n";

typedef struct {
	uint64_t types, count, size;
} totals;

static void add(totals *t, const gl_typestat *r)
{
	t->types++;
	t->count += r->count;
	t->size += r->size;
}

json_t *top_json(const gl_snap *s, const gl_typestat *rows, uint32_t n, uint32_t shown, int tracked_only,
		 const uint64_t *retained)
{
	json_t *types = json_array();
	totals all = {0}, other = {0};
	for (uint32_t i = 0; i < n; i++) {
		add(&all, &rows[i]);
		if (i >= shown) {
			add(&other, &rows[i]);
			continue;
		}
		size_t len;
		const char *name = gl_snap_str(s, rows[i].type, &len);
		json_t *row = json_pack("{s:s%, s:I, s:I}", "type", name, len, "count", (json_int_t)rows[i].count,
					"size", (json_int_t)rows[i].size);
		if (retained)
			json_object_set_new(row, "retained", json_integer((json_int_t)retained[rows[i].type]));
		json_array_append_new(types, row);
	}
	json_t *o = json_pack("{s:s, s:b, s:o, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
			      "file", s->path, "tracked_only", tracked_only, "types", types,
			      "other", "types", (json_int_t)other.types, "count", (json_int_t)other.count,
			      "size", (json_int_t)other.size,
			      "total", "types", (json_int_t)all.types, "count", (json_int_t)all.count,
			      "size", (json_int_t)all.size);
	return o;
}

static void print_text(const gl_snap *s, const gl_typestat *rows, uint32_t n, uint32_t shown,
		       const uint64_t *retained)
{
	char c[GL_FMT_BUF], z[GL_FMT_BUF], r[GL_FMT_BUF];
	totals all = {0}, other = {0};
	for (uint32_t i = 0; i < n; i++) {
		add(&all, &rows[i]);
		if (i >= shown)
			add(&other, &rows[i]);
	}
	/* the count column is as wide as the largest count (the total) */
	int cw = (int)strlen(gl_fmt_count(c, all.count));
	if (cw < 5)
		cw = 5;
	const int zw = 10;
	int rw = retained ? zw : 0; /* the retained column, when there is one */
	printf("%*s  %*s  %*s%s%6s  %s\n", cw, "count", zw, "size", rw, retained ? "retained" : "",
	       retained ? "  " : "", "share", "type");
	for (uint32_t i = 0; i < shown; i++) {
		size_t len;
		const char *name = gl_snap_str(s, rows[i].type, &len);
		double share = all.size ? 100.0 * (double)rows[i].size / (double)all.size : 0.0;
		printf("%*s  %*s  %*s%s%5.1f%%  %.*s\n", cw, gl_fmt_count(c, rows[i].count), zw,
		       gl_fmt_bytes(z, rows[i].size), rw, retained ? gl_fmt_bytes(r, retained[rows[i].type]) : "",
		       retained ? "  " : "", share, (int)len, name);
	}
	if (other.types) {
		double share = all.size ? 100.0 * (double)other.size / (double)all.size : 0.0;
		printf("%*s  %*s  %*s%s%5.1f%%  (%" PRIu64 " other types)\n", cw, gl_fmt_count(c, other.count), zw,
		       gl_fmt_bytes(z, other.size), rw, "", retained ? "  " : "", share, other.types);
	}
	printf("%*s  %*s  %*s%s%6s  total, %" PRIu64 " types\n", cw, gl_fmt_count(c, all.count), zw,
	       gl_fmt_bytes(z, all.size), rw, "", retained ? "  " : "", "", all.types);
}

int cmd_top(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, tracked_only = 0, no_retained = 0;
	uint64_t limit = TOP_DEFAULT_LIMIT;
	const cli_opt opts[] = {
		CLI_LIMIT(&limit),
		CLI_JSON(&json),
		{"tracked-only", 0, CLI_FLAG, &tracked_only, NULL, NULL},
		{"no-retained", 0, CLI_FLAG, &no_retained, NULL, NULL},
		{0}};
	cli_args a = {.cmd = "top", .usage = top_usage, .opts = opts, .pos = &path, .max_pos = 1};
	int prc = cli_parse(&a, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!path)
		return cli_usage_error("top", "no snapshot given");
	gl_snap *s;
	if (cli_load(path, no_retained ? GL_SNAP_NO_REVERSE : 0, &s))
		return GL_EXIT_FAIL;
	gl_analysis an = {0};
	uint64_t *retained = NULL;
	double t0 = gl_now();
	if (!no_retained) {
		gl_err aerr;
		gl_err_clear(&aerr);
		retained = gl_alloc_array(s->n_strings, sizeof *retained);
		gl_ticker tk;
		gl_ticker_start(&tk, "computing retained sizes");
		int arc = !retained || gl_analysis_run(&an, s, GL_AN_DOM, &aerr) < 0 || gl_type_retained(&an, retained) < 0;
		gl_ticker_stop(&tk);
		if (arc) {
			fprintf(stderr, "graphleak top: %s: %s\n", path, aerr.set ? aerr.msg : "out of memory");
			free(retained);
			gl_analysis_free(&an);
			gl_snap_free(s);
			return GL_EXIT_FAIL;
		}
		gl_analysis_free(&an);
		cli_timing("retained", t0);
	}
	t0 = gl_now();
	gl_typestat *rows;
	uint32_t n;
	gl_err err;
	gl_err_clear(&err);
	if (gl_typestats(s, tracked_only ? GL_TS_TRACKED_ONLY : 0, &rows, &n, &err) < 0) {
		fprintf(stderr, "graphleak top: %s\n", err.msg);
		gl_snap_free(s);
		return GL_EXIT_FAIL;
	}
	cli_timing("typestats", t0);
	uint32_t shown = (limit == 0 || limit > n) ? n : (uint32_t)limit;
	int rc = GL_EXIT_OK;
	if (json) {
		json_t *o = top_json(s, rows, n, shown, tracked_only, retained);
		rc = cli_print_json("top", o);
		json_decref(o);
	} else
		print_text(s, rows, n, shown, retained);
	free(rows);
	free(retained);
	gl_snap_free(s);
	return rc;
}
