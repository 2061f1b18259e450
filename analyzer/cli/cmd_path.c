/*
 * cmd_path.c - `graphleak path`: the shortest retainer chain from a root to
 * an object, or, for a type, which holders keep its objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sites.h"
#include "progress.h"
#include "humanfmt.h"
#include "report.h"
#include "cycles.h"
#include "vec.h"

static const char path_usage[] =
	"usage: graphleak path SNAP (--type NAME | --id ADDR) [--limit N] [--redact] [--json]\n"
	"\n"
	"Shows who keeps objects alive: every holder (a module global, a class\n"
	"attribute, a thread's local, a default argument, a closure cell, an\n"
	"lru_cache, sys.modules; where there is none, a thread's frame or an object\n"
	"held from outside the heap), each named by its full path to what it keeps\n"
	"(module api, global app.state._state['sessions']), and the chain of\n"
	"references from a root through the first of them, one labelled step per\n"
	"line. An object two holders keep is freed only when both let go: each\n"
	"holder says how many objects it alone keeps.\n"
	"\n"
	"  --type NAME   every object of that type (full name like\n"
	"                sqlalchemy.sql.elements.BindParameter or builtins.dict, or\n"
	"                the last part, BindParameter, when only one type has it),\n"
	"                grouped by holder, with counts, bytes and one example chain\n"
	"                per holder\n"
	"  --id ADDR     one object, by address (0x7f3a..., as other commands print);\n"
	"                for garbage no root reaches, the cycle it is part of and\n"
	"                what refers to it\n"
	"  -n, --limit N show the N biggest holders (default 10; 0: all)\n"
	"  --json        print JSON: {\"type\", \"count\", \"size\", \"holders\": [{\"holder\",\n"
	"                \"holder_kind\", \"count\", \"size\", \"only_count\", \"example\":\n"
	"                {\"chain\", \"steps\"}}]} or, with --id, {\"object\", \"holder\",\n"
	"                \"chain\", \"steps\", \"holders\": [...]} (docs/json.md)\n"
	"  --redact      show str and bytes values (keys too) as length + hash;\n"
	"                names of modules, classes, attributes, functions stay\n"
	"  -h, --help    show this help\n"
	"\n"
	"examples:\n"
	"  graphleak path app.snap --type Profile\n"
	"  graphleak path app.snap --id 0x7f3a12c45e10\n";

typedef gl_vec(uint32_t) u32vec;

/* "4,000 objects, 3.1 MiB (none only here)" for one holder of a set */
static void hold_figures(const gl_hold *o, size_t nholders, gl_sb *b)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	if (!o->exact && !o->count) {
		gl_sb_puts(b, "some of them (not counted: many holders)");
		return;
	}
	gl_sb_printf(b, "%s%s object%s, %s", o->exact ? "" : "at least ", gl_fmt_count(n1, o->count),
		     o->count == 1 ? "" : "s", gl_fmt_bytes(n2, o->size));
	if (nholders < 2 || !o->exact)
		return;
	if (o->only_count == o->count)
		gl_sb_puts(b, " (all only here)");
	else if (o->only_count == 0)
		gl_sb_puts(b, " (none only here)");
	else
		gl_sb_printf(b, " (%s only here)", gl_fmt_count(n1, o->only_count));
}

static int path_type(const char *path, const gl_analysis *a, const char *name, uint64_t limit, int json)
{
	u32vec ids = {0};
	gl_sb tname = {0};
	uint32_t tsid;
	int rc = report_find_type("path", a->s, path, name, &tsid);
	if (rc != GL_EXIT_OK)
		return rc;
	for (uint32_t id = 0; id < a->s->n_objects; id++)
		if (a->s->type[id] == tsid && gl_vec_push(&ids, id) < 0) {
			gl_vec_free(&ids);
			fprintf(stderr, "graphleak path: out of memory\n");
			return GL_EXIT_FAIL;
		}
	size_t tl;
	const char *tn = gl_snap_str(a->s, tsid, &tl);
	gl_sb_escaped(&tname, (const unsigned char *)tn, tl, 0, 0);
	gl_holds hs;
	gl_site_top st;
	size_t max = limit == 0 ? 0 : (size_t)limit;
	if (report_holds(a, ids.v, ids.n, max, &hs) < 0 || gl_sites_top(a->s, ids.v, ids.n, 10, &st) < 0) {
		gl_vec_free(&ids);
		gl_sb_free(&tname);
		return GL_EXIT_FAIL;
	}
	gl_vec_free(&ids);
	size_t shown = (limit == 0 || limit > hs.n) ? hs.n : (size_t)limit;
	if (json) {
		json_t *root = json_pack("{s:s%, s:I, s:I, s:I, s:o, s:{s:I, s:I}, s:{s:I, s:I}}", "type", tn, tl,
					 "count", (json_int_t)hs.targets, "size", (json_int_t)hs.bytes, "holders_total",
					 (json_int_t)hs.n, "holders", report_holds_json(a, &hs, shown), "unreached",
					 "count", (json_int_t)hs.unheld, "size", (json_int_t)hs.unheld_bytes,
					 "graphleak_only", "count", (json_int_t)hs.own_only, "size",
					 (json_int_t)hs.own_only_bytes);
		const char *why = gl_sites_missing(a->s);
		json_object_set_new(root, "sites", gl_sites_json(a->s, &st));
		json_object_set_new(root, "sites_note", why ? json_string(why) : json_null());
		rc = cli_print_json("path.type", root);
		json_decref(root);
	} else {
		char n1[GL_FMT_BUF], n2[GL_FMT_BUF], n3[GL_FMT_BUF];
		printf("%s %s object%s (%s), kept by %s holder%s:\n", gl_fmt_count(n1, hs.targets), gl_sb_str(&tname),
		       hs.targets == 1 ? "" : "s", gl_fmt_bytes(n2, hs.bytes), gl_fmt_count(n3, hs.n),
		       hs.n == 1 ? "" : "s");
		gl_sites_print(stdout, a->s, &st, 3, "  ");
		for (size_t r = 0; r < shown; r++) {
			const gl_hold *o = &hs.v[r];
			gl_sb fig = {0}, line = {0};
			hold_figures(o, hs.n, &fig);
			printf("\n  %s: %s\n", gl_sb_str(&fig), o->text);
			gl_path_line(a, &o->chain, &line);
			printf("    e.g. 0x%llx: %s\n", (unsigned long long)a->s->addr[o->example], gl_sb_str(&line));
			gl_sb_free(&fig);
			gl_sb_free(&line);
		}
		if (shown < hs.n)
			printf("\n  ... and %s more holders (--limit 0 shows all)\n", gl_fmt_count(n1, hs.n - shown));
		if (hs.unheld)
			printf("\n  %s object%s (%s) no root reaches: garbage (graphleak cycles %s)\n",
			       gl_fmt_count(n1, hs.unheld), hs.unheld == 1 ? "" : "s", gl_fmt_bytes(n2, hs.unheld_bytes),
			       path);
		if (hs.own_only)
			printf("\n  %s object%s (%s) only graphleak's own snapshot code holds (gone after it)\n",
			       gl_fmt_count(n1, hs.own_only), hs.own_only == 1 ? "" : "s",
			       gl_fmt_bytes(n2, hs.own_only_bytes));
		if (hs.n > 1)
			printf("\n(an object is freed when every holder that keeps it lets go; \"only here\" counts\n"
			       " the objects no other holder keeps)\n");
		const char *why = gl_sites_missing(a->s);
		if (why)
			printf("\n(%s)\n", why);
		printf("\n(graphleak path %s --id ADDR shows one chain step by step)\n", path);
	}
	gl_sites_free(&st);
	gl_holds_free(&hs);
	gl_sb_free(&tname);
	return rc;
}

/* An object no root reaches: the cycle it belongs to and what refers to it. */
static int path_garbage(const gl_analysis *a, uint32_t id, int json, json_t *j)
{
	const gl_snap *s = a->s;
	gl_cycle_of c;
	if (gl_cycle_of_find(a, id, &c) < 0) {
		fprintf(stderr, "graphleak path: out of memory\n");
		return GL_EXIT_FAIL;
	}
	report_mix *m = NULL;
	size_t nm = 0;
	if (report_type_mix(s, c.members, c.n, &m, &nm) < 0) {
		gl_cycle_of_free(&c);
		fprintf(stderr, "graphleak path: out of memory\n");
		return GL_EXIT_FAIL;
	}
	gl_path loop = {c.loop, c.loop_edges, c.n_loop};
	if (json) {
		json_t *refs = json_array();
		for (size_t i = 0; i < c.n_referrers; i++)
			json_array_append_new(refs, report_obj_json(a, c.referrers[i]));
		json_t *cy = json_pack("{s:I, s:I, s:o, s:o}", "objects", (json_int_t)c.n, "size", (json_int_t)c.size,
				       "types", report_mix_json(s, m, nm, 8), "referrers", refs);
		json_object_set_new(cy, "referrers_total", json_integer((json_int_t)c.referrers_total));
		if (c.n_loop) {
			gl_sb line = {0};
			gl_path_line(a, &loop, &line);
			json_object_set_new(cy, "loop", json_string(gl_sb_str(&line)));
			gl_sb_free(&line);
		}
		json_object_set_new(j, "cycle", cy);
	} else {
		char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
		if (c.n_loop) {
			printf("part of a cycle of %s object%s (%s):", gl_fmt_count(n1, c.n), c.n == 1 ? "" : "s",
			       gl_fmt_bytes(n2, c.size));
			report_mix_text(stdout, s, m, nm, 5);
			printf("\n\nthe way round, from it back to it:\n");
			report_print_path(stdout, a, &loop, SIZE_MAX, 2);
		} else {
			printf("on no cycle of its own: it hangs off garbage\n");
		}
		if (c.referrers_total) {
			printf("\nreferred to from outside %s by %s object%s (garbage too):\n",
			       c.n_loop ? "the cycle" : "it", gl_fmt_count(n1, c.referrers_total),
			       c.referrers_total == 1 ? "" : "s");
			for (size_t i = 0; i < c.n_referrers; i++) {
				gl_sb d = {0};
				gl_describe_obj(s, c.referrers[i], &d);
				printf("  0x%llx  %s\n", (unsigned long long)s->addr[c.referrers[i]], gl_sb_str(&d));
				gl_sb_free(&d);
			}
			if (c.referrers_total > c.n_referrers)
				printf("  ... and %s more\n", gl_fmt_count(n1, c.referrers_total - c.n_referrers));
		}
		printf("\n(graphleak cycles shows the garbage by shape; gc.collect() frees it unless gc is off)\n");
	}
	free(m);
	gl_cycle_of_free(&c);
	return GL_EXIT_OK;
}

static int path_id(const char *path, const gl_analysis *a, uint64_t addr, uint64_t limit, int json)
{
	const gl_snap *s = a->s;
	uint32_t id = gl_snap_find_addr(s, addr);
	if (id == GL_NO_ID) {
		fprintf(stderr, "graphleak path: %s: no object at 0x%llx in this snapshot\n", path,
			(unsigned long long)addr);
		return GL_EXIT_FAIL;
	}
	gl_holds hs;
	size_t max = limit == 0 ? 0 : (size_t)limit;
	if (report_holds(a, &id, 1, max, &hs) < 0)
		return GL_EXIT_FAIL;
	int rc = GL_EXIT_OK;
	int garbage = a->dist[id] == GL_NONE;
	if (json) {
		json_t *j = hs.n && hs.v[0].text
				    ? report_path_json(a, &hs.v[0].chain, hs.v[0].at, hs.v[0].text, hs.v[0].h.kind)
				    : report_chain_json(a, id);
		if (!j) {
			gl_holds_free(&hs);
			fprintf(stderr, "graphleak path: out of memory\n");
			return GL_EXIT_FAIL;
		}
		json_object_set_new(j, "object", report_obj_json(a, id));
		json_object_set_new(j, "holders", report_holds_json(a, &hs, max));
		json_object_set_new(j, "holders_total", json_integer((json_int_t)hs.n));
		if (garbage)
			rc = path_garbage(a, id, 1, j);
		if (rc == GL_EXIT_OK)
			rc = cli_print_json("path.id", j);
		json_decref(j);
		gl_holds_free(&hs);
		return rc;
	}
	gl_sb d = {0};
	gl_describe_obj(s, id, &d);
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	printf("%s at 0x%llx (%s", gl_sb_str(&d), (unsigned long long)addr, gl_fmt_bytes(n1, s->size[id]));
	if ((a->done & GL_AN_DOM) && a->retained[id] > s->size[id])
		printf(", retains %s", gl_fmt_bytes(n2, a->retained[id]));
	printf(")\n");
	gl_sb_free(&d);
	size_t shown = max && max < hs.n ? max : hs.n;
	if (garbage) {
		printf("held by: nothing: no root reaches it (cyclic garbage)\n\n");
		rc = path_garbage(a, id, 0, NULL);
	} else if (!hs.n) {
		printf("held by: only graphleak's own snapshot code (it goes away after the snapshot)\n\n");
		report_print_chain(stdout, a, id, 2);
	} else {
		if (hs.n == 1) {
			printf("held by: %s\n\n", hs.v[0].text);
		} else {
			printf("held by %s holders:\n", gl_fmt_count(n1, hs.n));
			for (size_t i = 0; i < shown; i++)
				printf("  %zu. %s\n", i + 1, hs.v[i].text);
			if (shown < hs.n)
				printf("  ... and %s more (--limit 0 shows all)\n", gl_fmt_count(n1, hs.n - shown));
			printf("\nthrough the first:\n");
		}
		report_print_path(stdout, a, &hs.v[0].chain, hs.v[0].at, 2);
		gl_sb line = {0};
		gl_path_line(a, &hs.v[0].chain, &line);
		printf("\nchain: %s\n", gl_sb_str(&line));
		for (size_t i = 1; i < shown; i++) {
			gl_sb_clear(&line);
			gl_path_line(a, &hs.v[i].chain, &line);
			printf("chain %zu: %s\n", i + 1, gl_sb_str(&line));
		}
		gl_sb_free(&line);
		if (hs.n > 1)
			printf("\n(it is freed only when all %s let go)\n", gl_fmt_count(n1, hs.n));
	}
	gl_holds_free(&hs);
	return rc;
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
	int rc = type ? path_type(snap, &a, type, limit, json) : path_id(snap, &a, addr, limit, json);
	cli_timing("query", t0);
	report_close(s, &a);
	return rc;
}
