/*
 * cmd_growth.c - `graphleak growth`: what keeps growing across snapshots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "memory.h"
#include "growth.h"
#include "humanfmt.h"
#include "progress.h"
#include "report.h"

static const char growth_usage[] =
	"usage: graphleak growth SNAP1 SNAP2 [SNAP3 ...] [--min-items N] [--min-bytes B]\n"
	"                        [--limit N] [--redact] [--json]\n"
	"\n"
	"Compares snapshots of one process, taken in the order given, and shows\n"
	"what keeps growing:\n"
	"  - the containers that grow: the same dict, list, set or other container\n"
	"    in each snapshot (matched by identity and by its retainer chain), with\n"
	"    every holder (the first by its full path), its length and retained size\n"
	"    at each snapshot, growing at every snapshot (3 or more) or between\n"
	"    first and last;\n"
	"  - per type: count and bytes at each snapshot and the change;\n"
	"  - the objects new in the last snapshot, grouped by their holder.\n"
	"A large cache that does not change is not reported.\n"
	"\n"
	"options:\n"
	"  --min-items N   report a container whose length rose by N or more\n"
	"                  (default 100)\n"
	"  --min-bytes B   ... or under which B bytes or more of objects new since\n"
	"                  the first snapshot gathered (default 262144; suffixes\n"
	"                  k, M, G allowed: 256k). A retained size that rose only\n"
	"                  because another holder let go is not growth\n"
	"  -n, --limit N   at most N containers and N types (default 10; 0: all)\n"
	"  --json          print {\"snapshots\", \"growing\", \"types\", \"new_objects\"}\n"
	"  --redact        show str and bytes values as length + hash (names stay)\n"
	"  -h, --help      show this help\n"
	"\n"
	"examples:\n"
	"  graphleak growth app-1.snap app-2.snap app-3.snap\n"
	"  graphleak growth before.snap after.snap --min-items 10 --json\n";

/* "2 -> 5,002 -> 10,002" over the snapshots where the container exists */
static void series(gl_sb *b, const uint64_t *v, const uint32_t *id, size_t n, int bytes)
{
	int first = 1;
	for (size_t k = 0; k < n; k++) {
		char t[GL_FMT_BUF];
		if (!first)
			gl_sb_puts(b, " -> ");
		first = 0;
		if (id && id[k] == GL_NONE)
			gl_sb_puts(b, "-");
		else
			gl_sb_puts(b, bytes ? gl_fmt_bytes(t, v[k]) : gl_fmt_count(t, v[k]));
	}
}

static void signed_bytes(gl_sb *b, int64_t d)
{
	char t[GL_FMT_BUF];
	gl_sb_printf(b, "%s%s", d < 0 ? "-" : "+", gl_fmt_bytes(t, (uint64_t)(d < 0 ? -d : d)));
}

static void signed_count(gl_sb *b, int64_t d)
{
	char t[GL_FMT_BUF];
	gl_sb_printf(b, "%s%s", d < 0 ? "-" : "+", gl_fmt_count(t, (uint64_t)(d < 0 ? -d : d)));
}

static json_t *u64_array(const uint64_t *v, const uint32_t *id, size_t n)
{
	json_t *a = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append_new(a, id && id[k] == GL_NONE ? json_null() : json_integer((json_int_t)v[k]));
	return a;
}

json_t *growth_json(const char *const *paths, json_t *snaps, size_t n, const gl_growth *g, size_t limit,
		    const gl_mem_growth *mg)
{
	json_incref(snaps);
	json_t *grow = json_array();
	for (size_t i = 0; i < g->ngrowers && (!limit || i < limit); i++) {
		const gl_grower *r = &g->growers[i];
		size_t tl;
		const gl_snap *ls = g->last->s;
		const char *t = gl_snap_str(ls, ls->type[r->id[n - 1]], &tl);
		json_array_append_new(grow, json_pack("{s:s, s:s, s:s, s:s%, s:o, s:o, s:I, s:I, s:s, s:s}",
			"holder", r->holder, "holder_kind", report_hold_kind(r->holder_kind), "chain", r->chain,
			"type", t, tl, "length", u64_array(r->length, r->id, n),
			"retained", u64_array(r->retained, r->id, n), "length_delta", (json_int_t)r->length_delta,
			"retained_delta", (json_int_t)r->retained_delta,
			"verdict", r->monotonic ? "growing at every snapshot" : "grew",
			"matched_by", r->replaced ? "chain" : "identity"));
		json_t *row0 = json_array_get(grow, json_array_size(grow) - 1);
		json_object_set_new(row0, "new_objects", json_integer((json_int_t)r->new_objects));
		json_object_set_new(row0, "new_size", json_integer((json_int_t)r->new_bytes));
		json_t *also = json_array();
		for (size_t k = 0; k < r->nalso; k++)
			json_array_append_new(also, json_string(r->also[k]));
		json_object_set_new(row0, "also_held_by", also);
		json_t *addrs = json_array();
		for (size_t k = 0; k < n; k++) {
			char ab[32];
			snprintf(ab, sizeof ab, "0x%llx", (unsigned long long)r->addr[k]);
			json_array_append_new(addrs, r->id[k] == GL_NONE ? json_null() : json_string(ab));
		}
		json_t *row = json_array_get(grow, json_array_size(grow) - 1);
		json_object_set_new(row, "addr", json_string(json_string_value(json_array_get(addrs, n - 1))));
		json_object_set_new(row, "addrs", addrs);
	}
	json_t *types = json_array();
	for (size_t i = 0; i < g->ntypes && (!limit || i < limit); i++) {
		const gl_type_growth *t = &g->types[i];
		json_array_append_new(types, json_pack("{s:s, s:o, s:o, s:I, s:I}", "type", t->type,
			"count", u64_array(t->count, NULL, n), "size", u64_array(t->size, NULL, n),
			"count_delta", (json_int_t)t->count_delta, "size_delta", (json_int_t)t->size_delta));
	}
	json_t *fresh = report_holds_json(g->last, &g->fresh, limit);
	json_t *root = json_pack("{s:o, s:o, s:I, s:o, s:{s:s, s:I, s:I, s:I, s:o, s:I, s:I}}", "snapshots", snaps,
		"growing", grow, "growing_total", (json_int_t)g->ngrowers, "types", types, "new_objects",
		"since", paths[n - 2], "count", (json_int_t)g->fresh_objects, "size", (json_int_t)g->fresh_bytes,
		"holders_from_sample_of", (json_int_t)g->fresh_objects, "holders", fresh, "unreached",
		(json_int_t)g->fresh.unheld, "graphleak_only", (json_int_t)g->fresh.own_only);
	json_object_set_new(root, "memory", gl_memory_growth_json(mg));
	json_object_set_new(json_object_get(root, "new_objects"), "sites", gl_sites_json(g->last->s, &g->fresh_sites));
	return root;
}

static void print_text(const char *const *paths, size_t n, const gl_growth *g, size_t limit,
		       const gl_mem_growth *mg)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	printf("Growth across %zu snapshots: %s", n, paths[0]);
	for (size_t k = 1; k < n; k++)
		printf(" -> %s", paths[k]);
	if (mg->verdict != GL_MEM_VERDICT_UNKNOWN) {
		gl_sb sb = {0};
		gl_memory_say(&sb, mg);
		printf("\n\nMemory: %s\n  (graphleak memory %s %s: the parts)", gl_sb_failed(&sb) ? "" : gl_sb_str(&sb),
		       paths[0], paths[n - 1]);
		gl_sb_free(&sb);
	}
	printf("\n\nGrowing containers:\n");
	if (!g->ngrowers)
		printf("  none: no container's length or retained size rose past the thresholds\n");
	for (size_t i = 0; i < g->ngrowers && (!limit || i < limit); i++) {
		const gl_grower *r = &g->growers[i];
		const gl_snap *ls = g->last->s;
		uint32_t id = r->id[n - 1];
		gl_sb line = {0}, tn = {0};
		report_type(ls, id, &tn);
		series(&line, r->length, r->id, n, 0);
		const char *unit = gl_type_is(ls, id, "dict") ? "entries" : "items";
		printf("\n  #%zu %s (%s): %s %s", i + 1, r->holder, gl_sb_str(&tn), gl_sb_str(&line), unit);
		if (r->new_objects)
			printf(", %s new object%s (%s) under it", gl_fmt_count(n1, r->new_objects),
			       r->new_objects == 1 ? "" : "s", gl_fmt_bytes(n2, r->new_bytes));
		printf("\n");
		for (size_t k = 0; k < r->nalso; k++)
			printf("     %s %s\n", k ? "             " : "also held by:", r->also[k]);
		gl_sb_clear(&line);
		series(&line, r->retained, r->id, n, 1);
		printf("     retained %s; %s%s\n", gl_sb_str(&line),
		       r->monotonic ? "growing at every snapshot" : "grew between first and last",
		       r->replaced ? " (a new object at the same place)" : "");
		printf("     chain: %s\n", r->chain);
		gl_sb_free(&line);
		gl_sb_free(&tn);
	}
	if (limit && g->ngrowers > limit)
		printf("\n  ... and %s more (--limit)\n", gl_fmt_count(n1, g->ngrowers - limit));

	printf("\nTypes, by change in bytes (first -> last snapshot):\n");
	/* the count column as wide as its widest cell (7-digit counts over
	 * several snapshots do not fit a fixed width) */
	size_t shown = 0, cw = 10;
	for (int pass = 0; pass < 2; pass++) {
		shown = 0;
		for (size_t i = 0; i < g->ntypes && (!limit || shown < limit); i++) {
			const gl_type_growth *t = &g->types[i];
			if (!t->count_delta && !t->size_delta)
				continue;
			gl_sb c = {0}, z = {0}, tn = {0};
			series(&c, t->count, NULL, n, 0);
			gl_sb_puts(&c, " (");
			signed_count(&c, t->count_delta);
			gl_sb_puts(&c, ")");
			if (pass == 0) {
				if (c.len > cw)
					cw = c.len;
			} else {
				signed_bytes(&z, t->size_delta);
				gl_sb_escaped(&tn, (const unsigned char *)t->type, strlen(t->type), 0, 0);
				printf("  %-*s %10s  %s\n", (int)cw, gl_sb_str(&c), gl_sb_str(&z), gl_sb_str(&tn));
			}
			gl_sb_free(&c), gl_sb_free(&z), gl_sb_free(&tn);
			shown++;
		}
	}
	if (!shown)
		printf("  no type changed\n");

	printf("\nNew in %s since %s: %s objects, %s, by holder\n", paths[n - 1], paths[n - 2],
	       gl_fmt_count(n1, g->fresh_objects), gl_fmt_bytes(n2, g->fresh_bytes));
	for (size_t i = 0; i < g->fresh.n && (!limit || i < limit); i++) {
		const gl_hold *o = &g->fresh.v[i];
		if (!o->text)
			break;
		printf("  %s%12s  %10s  %s\n", o->exact ? "" : ">=", gl_fmt_count(n1, o->count),
		       gl_fmt_bytes(n2, o->size), o->text);
	}
	if (limit && g->fresh.n > limit)
		printf("  ... and %s more holders (--limit)\n", gl_fmt_count(n1, g->fresh.n - limit));
	if (g->fresh.unheld)
		printf("  %12s  %10s  no root reaches them (garbage)\n", gl_fmt_count(n1, g->fresh.unheld),
		       gl_fmt_bytes(n2, g->fresh.unheld_bytes));
	if (g->fresh.n > 1)
		printf("  (an object two holders keep is counted under both)\n");
	if (g->last->s->n_sites) {
		printf("\nWhere they were allocated:\n");
		gl_sites_print(stdout, g->last->s, &g->fresh_sites, 5, "  ");
	} else if (gl_sites_missing(g->last->s)) {
		printf("\n(%s)\n", gl_sites_missing(g->last->s));
	}
}

void growth_memory(const char *first_path, const gl_snap *last, gl_mem_growth *mg)
{
	gl_memory m0, m1;
	gl_snap *first;
	if (cli_load(first_path, GL_SNAP_META_ONLY, &first) == 0) {
		gl_memory_from(&m0, first->header, first->footer);
		gl_snap_free(first);
	} else {
		memset(&m0, 0, sizeof m0);
	}
	gl_memory_from(&m1, last->header, last->footer);
	gl_memory_growth(&m0, &m1, mg);
}

int cmd_growth(int argc, char **argv)
{
	const char *paths[GL_GROWTH_MAX_SNAPS + 1];
	int json = 0, redact = 0;
	uint64_t min_items = 100, min_bytes = 256 * 1024, limit = 10;
	const cli_opt opts[] = {
		{"min-items", 0, CLI_COUNT, &min_items, "N", NULL},
		{"min-bytes", 0, CLI_SIZE, &min_bytes, "B", NULL},
		CLI_LIMIT(&limit),
		CLI_JSON(&json),
		CLI_REDACT(&redact),
		{0}};
	cli_args ca = {.cmd = "growth", .usage = growth_usage, .opts = opts, .pos = paths,
		       .max_pos = GL_GROWTH_MAX_SNAPS};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	size_t n = (size_t)ca.npos;
	if (n < 2)
		return cli_usage_error("growth", "give two snapshots or more, oldest first");
	if (report_sort_by_time(paths, n))
		return GL_EXIT_FAIL;

	/* the last snapshot stays loaded; the others come and go one by one */
	gl_snap *last;
	gl_analysis al;
	gl_growth g;
	json_t *snaps = json_array();
	double t0 = gl_now();
	if (report_growth(paths, n, min_bytes, min_items, redact, &last, &al, &g, snaps)) {
		json_decref(snaps);
		return GL_EXIT_FAIL;
	}
	cli_timing("growth", t0);
	gl_mem_growth mg;
	growth_memory(paths[0], last, &mg);
	int rc = GL_EXIT_OK;
	if (json) {
		json_t *root = growth_json(paths, snaps, n, &g, (size_t)limit, &mg);
		rc = cli_print_json("growth", root);
		json_decref(root);
	} else
		print_text(paths, n, &g, (size_t)limit, &mg);
	json_decref(snaps);
	gl_growth_free(&g);
	report_close(last, &al);
	return rc;
}
