/*
 * cmd_suspects.c - `graphleak suspects`: what retains the most memory, from
 * the dominator tree, each with its root holder and what it retains.
 *
 * A suspect is an accumulation point: descend the dominator tree from the
 * virtual root into every child that retains at least the threshold (the
 * --min-share of the heap); an object that does, none of whose children
 * does, is where the memory accumulates (a cache dict whose 20,000 entries
 * are each small), and is reported. Its ancestors (the module's globals,
 * which retain the dict) are not: they only pass the memory through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "sites.h"
#include "progress.h"
#include "humanfmt.h"
#include "report.h"
#include "vec.h"

static const char suspects_usage[] =
	"usage: graphleak suspects SNAP [--min-share P] [--limit N] [--redact] [--json]\n"
	"\n"
	"Ranks leak suspects by retained size: the memory that would be freed if\n"
	"the object went away (its dominator subtree). For each: every holder that\n"
	"keeps it, the first by its full path (module repo, global\n"
	"QUERY_LOG.statements), the others \"also held by\"; the bytes and share of\n"
	"the heap it retains, the chain to it, and the types it retains. Garbage\n"
	"no root reaches is no one's, so no suspect gathers it: when it is a large\n"
	"share of the heap, a note points to graphleak cycles.\n"
	"\n"
	"options:\n"
	"  --min-share P   report objects that retain at least P of the heap: 5%,\n"
	"                  5 or 0.05 all mean five percent (default 10%)\n"
	"  -n, --limit N   at most N suspects (default 10; 0: all)\n"
	"  --json          print {\"heap\": {...}, \"suspects\": [{\"holder\", \"retained\",\n"
	"                  \"share\", \"objects\", \"object\", \"path\": {\"chain\", \"steps\"},\n"
	"                  \"retains\": [...], \"holders\": [...]}], \"garbage\"}; shares\n"
	"                  as fractions (docs/json.md)\n"
	"  --redact        show str and bytes values as length + hash (names stay)\n"
	"  -h, --help      show this help\n"
	"\n"
	"examples:\n"
	"  graphleak suspects app.snap\n"
	"  graphleak suspects app.snap --min-share 2 --json\n";

/* Other holders of a suspect listed under it. */
#define SUSPECT_ALSO 3

/* Garbage this share of the heap or more gets a note pointing to cycles. */
#define GARBAGE_NOTE_SHARE 0.10

int suspects_collect(const gl_analysis *a, const char *snap, double share, uint64_t limit, json_t **jout,
		     uint32_t **ids)
{
	const gl_snap *s = a->s;
	uint32_t n = s->n_objects;
	uint64_t total = a->retained[n];
	uint64_t threshold = (uint64_t)((double)total * share / 100.0);
	if (threshold == 0)
		threshold = 1;
	uint32_t *sus = NULL, *sub = NULL;
	size_t nsus = 0, nsub = 0;
	double t0 = gl_now();
	int rc = GL_EXIT_OK;
	if (gl_suspects(a, threshold, &sus, &nsus) < 0) {
		fprintf(stderr, "graphleak suspects: out of memory\n");
		rc = GL_EXIT_FAIL;
		goto done;
	}
	size_t shown = nsus < limit ? nsus : (size_t)limit;
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	json_t *jlist = jout ? json_array() : NULL;
	/* garbage no root reaches is no one's: its objects hang off the
	 * virtual root one by one, so no suspect gathers it; say where to look */
	uint64_t g_objects = 0, g_size = 0;
	for (uint32_t v = 0; v < n; v++)
		if (a->dist[v] == GL_NONE) {
			g_objects++;
			g_size += s->size[v];
		}
	double g_share = total ? (double)g_size / (double)total : 0.0;
	if (!jout) {
		printf("Leak suspects in %s: heap %s in %s objects; showing what retains at least %g%%\n",
		       snap, gl_fmt_bytes(n1, total), gl_fmt_count(n2, n), share);
		if (g_share >= GARBAGE_NOTE_SHARE)
			printf("\nnote: %.0f%% of the heap (%s in %s objects) is garbage no root reaches; it is not\n"
			       "      one holder's, so no suspect shows it: graphleak cycles %s groups it by shape\n",
			       100.0 * g_share, gl_fmt_bytes(n1, g_size), gl_fmt_count(n2, g_objects), snap);
		if (!shown)
			printf("\nnothing retains %g%% of the heap or more: no single holder dominates it "
			       "(try --min-share 1, or graphleak top)\n", share);
	}
	for (size_t i = 0; i < shown; i++) {
		uint32_t v = sus[i];
		report_mix *mix = NULL;
		size_t nmix = 0;
		free(sub);
		sub = NULL;
		if (gl_dom_subtree(a, v, &sub, &nsub) < 0 || report_type_mix(s, sub, nsub, &mix, &nmix) < 0) {
			fprintf(stderr, "graphleak suspects: out of memory\n");
			rc = GL_EXIT_FAIL;
			break;
		}
		double pct = total ? 100.0 * (double)a->retained[v] / (double)total : 0.0;
		gl_holds hs;
		gl_site_top st;
		if (gl_sites_top(s, sub, nsub, 5, &st) < 0) {
			free(mix);
			rc = GL_EXIT_FAIL;
			break;
		}
		if (report_holds(a, &v, 1, 8, &hs) < 0) {
			gl_sites_free(&st);
			free(mix);
			rc = GL_EXIT_FAIL;
			break;
		}
		gl_sb what = {0}, line = {0};
		gl_describe_obj(s, v, &what);
		const gl_hold *first = hs.n ? &hs.v[0] : NULL;
		if (first)
			gl_path_line(a, &first->chain, &line);
		else
			gl_chain_line(a, v, &line);
		const char *htext = first ? first->text : "only graphleak's own snapshot code";
		if (jout) {
			json_t *retains = report_mix_json(s, mix, nmix, 8);
			json_t *path = first ? report_path_json(a, &first->chain, first->at, first->text, first->h.kind)
					     : report_chain_json(a, v);
			json_t *one = json_pack("{s:I, s:s, s:s, s:I, s:f, s:I, s:o, s:o*, s:o, s:o, s:I}", "rank",
						(json_int_t)i + 1, "holder", htext, "holder_kind",
						report_hold_kind(first ? first->h.kind : GL_HOLD_NONE), "retained",
						(json_int_t)a->retained[v], "share", pct / 100.0, "objects", (json_int_t)nsub,
						"object", report_obj_json(a, v), "path", path, "retains", retains,
						"holders", report_holds_json(a, &hs, 8), "holders_total",
						(json_int_t)hs.n);
			json_object_set_new(one, "sites", gl_sites_json(s, &st));
			json_array_append_new(jlist, one);
		} else {
			printf("\n#%zu  %s (%s)\n", i + 1, htext, gl_sb_str(&what));
			for (size_t k = 1; k < hs.n && k <= SUSPECT_ALSO; k++)
				printf("    %s %s\n", k == 1 ? "also held by:" : "             ", hs.v[k].text);
			if (hs.n > SUSPECT_ALSO + 1)
				printf("                  ... and %s more (graphleak path %s --id 0x%llx lists them)\n",
				       gl_fmt_count(n1, hs.n - SUSPECT_ALSO - 1), snap, (unsigned long long)s->addr[v]);
			printf("    retains %s (%.1f%% of the heap) in %s object%s\n", gl_fmt_bytes(n1, a->retained[v]),
			       pct, gl_fmt_count(n2, nsub), nsub == 1 ? "" : "s");
			printf("    chain: %s\n", gl_sb_str(&line));
			printf("    retains:");
			report_mix_text(stdout, s, mix, nmix, 5);
			printf("\n");
			gl_sites_print(stdout, s, &st, 3, "    ");
		}
		gl_sites_free(&st);
		gl_sb_free(&line);
		gl_sb_free(&what);
		gl_holds_free(&hs);
		free(mix);
	}
	if (jout && rc == GL_EXIT_OK) {
		json_t *root = json_pack("{s:{s:I, s:I}, s:f, s:I, s:o, s:{s:I, s:I, s:f}}", "heap", "size",
					 (json_int_t)total, "objects", (json_int_t)n, "min_share", share / 100.0,
					 "suspects_total", (json_int_t)nsus, "suspects", jlist, "garbage", "objects",
					 (json_int_t)g_objects, "size", (json_int_t)g_size, "share", g_share);
		const char *why = gl_sites_missing(s);
		json_object_set_new(root, "sites_note", why ? json_string(why) : json_null());
		*jout = root;
		if (ids) {
			*ids = sus; /* the shown ones first, in order */
			sus = NULL;
		}
	} else if (jlist) {
		json_decref(jlist);
	}
	if (!jout && nsus > shown)
		printf("\n... and %s more (--limit 0 shows all)\n", gl_fmt_count(n1, nsus - shown));
	if (!jout && rc == GL_EXIT_OK && gl_sites_missing(s))
		printf("\n(%s)\n", gl_sites_missing(s));
done:
	cli_timing("query", t0);
	free(sus);
	free(sub);
	return rc;
}

int cmd_suspects(int argc, char **argv)
{
	const char *snap = NULL;
	int json = 0, redact = 0;
	double share = 0.10; /* a fraction of the heap */
	uint64_t limit = 10;
	const cli_opt opts[] = {
		{"min-share", 0, CLI_SHARE, &share, "P", NULL},
		CLI_LIMIT(&limit),
		CLI_JSON(&json),
		CLI_REDACT(&redact),
		{0}};
	cli_args ca = {.cmd = "suspects", .usage = suspects_usage, .opts = opts, .pos = &snap, .max_pos = 1};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!snap)
		return cli_usage_error("suspects", "no snapshot given");
	if (limit == 0)
		limit = UINT64_MAX;
	share *= 100.0; /* in percent from here on, as the text says it */

	gl_snap *s;
	gl_analysis a;
	json_t *jres = NULL;
	if (report_open(snap, GL_AN_PATHS | GL_AN_DOM, redact, &s, &a))
		return GL_EXIT_FAIL;
	int rc = suspects_collect(&a, snap, share, limit, json ? &jres : NULL, NULL);
	if (rc == GL_EXIT_OK && jres)
		rc = cli_print_json("suspects", jres);
	json_decref(jres);
	report_close(s, &a);
	return rc;
}
