/*
 * cmd_path.c - `graphleak path`: the shortest retainer chain from a root to
 * an object, or, for a type, which holders keep its objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "humanfmt.h"
#include "report.h"
#include "vec.h"

static const char path_usage[] =
	"usage: graphleak path SNAP (--type NAME | --id ADDR) [--limit N] [--redact] [--json]\n"
	"\n"
	"Shows who keeps objects alive: the shortest chain of references from a\n"
	"root to the object, one labelled step per line, with the root holder (the\n"
	"nearest named holder: a module global, a class attribute, a thread's\n"
	"local, a default argument, a closure cell, an lru_cache) marked.\n"
	"Chains start at sys.modules or a thread's frame whenever one reaches the\n"
	"object, and at an object held from C otherwise.\n"
	"\n"
	"  --type NAME   every object of that type (full name like\n"
	"                sqlalchemy.sql.elements.BindParameter, or the last part,\n"
	"                BindParameter), grouped by the holder that keeps them, with\n"
	"                counts, bytes and one example chain per holder\n"
	"  --id ADDR     one object, by address (0x7f3a..., as other commands print)\n"
	"  -n, --limit N with --type, show the N biggest holders (default 10; 0: all)\n"
	"  --json        print JSON: {\"type\", \"count\", \"size\", \"holders\": [{\"holder\",\n"
	"                \"holder_kind\", \"count\", \"size\", \"example\": {\"chain\", \"steps\"}}]}\n"
	"                or, with --id, {\"object\", \"holder\", \"chain\", \"steps\"}\n"
	"  --redact      show str and bytes values (keys too) as length + hash;\n"
	"                names of modules, classes, attributes, functions stay\n"
	"  -h, --help    show this help\n"
	"\n"
	"examples:\n"
	"  graphleak path app.snap --type Profile\n"
	"  graphleak path app.snap --id 0x7f3a12c45e10\n";

typedef gl_vec(uint32_t) u32vec;

/* The objects whose type is `name` (see gl_type_matches), and the full type
 * name of the first, into typename. */
static int objects_of_type(const gl_snap *s, const char *name, u32vec *ids, uint64_t *size, gl_sb *typename)
{
	*size = 0;
	for (uint32_t id = 0; id < s->n_objects; id++) {
		if (!gl_type_matches(s, id, name))
			continue;
		if (ids->n == 0)
			report_type(s, id, typename);
		if (gl_vec_push(ids, id) < 0)
			return -1;
		*size += s->size[id];
	}
	return 0;
}

static int path_type(const char *path, const gl_analysis *a, const char *name, uint64_t limit, int json)
{
	gl_holder_group *rows = NULL;
	size_t nrows = 0;
	uint64_t size;
	u32vec ids = {0};
	gl_sb tname = {0};
	if (objects_of_type(a->s, name, &ids, &size, &tname) < 0 ||
	    gl_group_by_holder(a, ids.v, ids.n, &rows, &nrows) < 0) {
		fprintf(stderr, "graphleak path: out of memory\n");
		gl_sb_free(&tname);
		gl_vec_free(&ids);
		return GL_EXIT_FAIL;
	}
	uint64_t count = ids.n;
	gl_vec_free(&ids);
	int rc = GL_EXIT_OK;
	size_t shown = (limit == 0 || limit > nrows) ? nrows : (size_t)limit;
	if (json) {
		json_t *hs = json_array();
		for (size_t r = 0; r < shown; r++) {
			json_t *ex = report_chain_json(a, rows[r].example);
			json_t *exo = report_obj_json(a, rows[r].example);
			if (ex && exo)
				json_object_set_new(ex, "object", exo);
			json_array_append_new(hs, json_pack("{s:s, s:s, s:I, s:I, s:o*}", "holder", rows[r].text,
							    "holder_kind", report_hold_kind(rows[r].kind),
							    "count", (json_int_t)rows[r].count,
							    "size", (json_int_t)rows[r].size, "example", ex));
		}
		json_t *root = json_pack("{s:s, s:I, s:I, s:I, s:o}", "type", count ? gl_sb_str(&tname) : name,
					 "count", (json_int_t)count, "size", (json_int_t)size,
					 "holders_total", (json_int_t)nrows, "holders", hs);
		rc = cli_print_json("path.type", root);
		json_decref(root);
	} else if (count == 0) {
		report_no_type("path", a->s, path, name);
		rc = GL_EXIT_FAIL;
	} else {
		char n1[GL_FMT_BUF], n2[GL_FMT_BUF], n3[GL_FMT_BUF];
		printf("%s %s object%s (%s), kept by %s holder%s:\n", gl_fmt_count(n1, count), gl_sb_str(&tname),
		       count == 1 ? "" : "s", gl_fmt_bytes(n2, size), gl_fmt_count(n3, nrows), nrows == 1 ? "" : "s");
		for (size_t r = 0; r < shown; r++) {
			printf("\n  %s object%s, %s: %s\n", gl_fmt_count(n1, rows[r].count),
			       rows[r].count == 1 ? "" : "s", gl_fmt_bytes(n2, rows[r].size), rows[r].text);
			gl_sb line = {0};
			report_chain_line(a, rows[r].example, &line);
			printf("    e.g. 0x%llx: %s\n", (unsigned long long)a->s->addr[rows[r].example], gl_sb_str(&line));
			gl_sb_free(&line);
		}
		if (shown < nrows)
			printf("\n  ... and %s more holders (--limit 0 shows all)\n", gl_fmt_count(n1, nrows - shown));
		printf("\n(graphleak path %s --id ADDR shows one chain step by step)\n", path);
	}
	gl_holder_groups_free(rows, nrows);
	gl_sb_free(&tname);
	return rc;
}

static int path_id(const char *path, const gl_analysis *a, uint64_t addr, int json)
{
	const gl_snap *s = a->s;
	uint32_t id = gl_snap_find_addr(s, addr);
	if (id == GL_NO_ID) {
		fprintf(stderr, "graphleak path: %s: no object at 0x%llx in this snapshot\n", path,
			(unsigned long long)addr);
		return GL_EXIT_FAIL;
	}
	if (json) {
		json_t *j = report_chain_json(a, id);
		if (!j) {
			fprintf(stderr, "graphleak path: out of memory\n");
			return GL_EXIT_FAIL;
		}
		json_object_set_new(j, "object", report_obj_json(a, id));
		int rc = cli_print_json("path.id", j);
		json_decref(j);
		return rc;
	}
	gl_sb d = {0}, line = {0};
	gl_describe_obj(s, id, &d);
	uint32_t *chain;
	size_t len;
	gl_holder h;
	if (gl_chain(a, id, &chain, &len) < 0 || gl_holder_find(a, chain, len, &h) < 0) {
		fprintf(stderr, "graphleak path: out of memory\n");
		return GL_EXIT_FAIL;
	}
	free(chain);
	char n1[GL_FMT_BUF];
	printf("%s at 0x%llx (%s)\n", gl_sb_str(&d), (unsigned long long)addr, gl_fmt_bytes(n1, s->size[id]));
	printf("held by: %s\n\n", gl_sb_str(&h.text));
	report_print_chain(stdout, a, id, 2);
	if (len) {
		report_chain_line(a, id, &line);
		printf("\nchain: %s\n", gl_sb_str(&line));
	}
	gl_holder_free(&h);
	gl_sb_free(&d);
	gl_sb_free(&line);
	return GL_EXIT_OK;
}

int cmd_path(int argc, char **argv)
{
	const char *snap = NULL, *type = NULL;
	int json = 0, redact = 0, has_id = 0;
	uint64_t limit = 10, addr = 0;
	const cli_opt opts[] = {
		{"type", 0, CLI_STR, &type, "NAME", NULL},
		{"id", 0, CLI_ADDR, &addr, "ADDR", &has_id},
		CLI_LIMIT(&limit),
		CLI_JSON(&json),
		CLI_REDACT(&redact),
		{0}};
	cli_args ca = {.cmd = "path", .usage = path_usage, .opts = opts, .pos = &snap, .max_pos = 1};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!snap)
		return cli_usage_error("path", "no snapshot given");
	if (!type == !has_id)
		return cli_usage_error("path", "give one of --type NAME or --id ADDR");
	gl_snap *s;
	gl_analysis a;
	if (report_open(snap, GL_AN_PATHS | GL_AN_DOM, redact, &s, &a)) /* retained sizes, as suspects has them */
		return GL_EXIT_FAIL;
	double t0 = gl_now();
	int rc = type ? path_type(snap, &a, type, limit, json) : path_id(snap, &a, addr, json);
	cli_timing("query", t0);
	report_close(s, &a);
	return rc;
}
