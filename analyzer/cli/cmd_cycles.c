/*
 * cmd_cycles.c - `graphleak cycles`: reference cycles in three kinds.
 *
 *  (a) cyclic garbage: objects no root reaches. The collector frees them at
 *      its next run, unless it does not run (gc.disable(), threshold 0):
 *      then they are a leak.
 *  (b) cycles holding objects with finalizers (__del__, tp_finalize, the
 *      legacy tp_del), with a verdict by Python version: since 3.4 (PEP 442)
 *      such cycles are collected, finalizers first in no defined order;
 *      before 3.4, and at any version with tp_del, they are uncollectable
 *      and end in gc.garbage.
 *  (c) what gc.garbage holds, and the chain to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "humanfmt.h"
#include "cycles.h"
#include "report.h"
#include "vec.h"

static const char cycles_usage[] =
	"usage: graphleak cycles SNAP [--limit N] [--redact] [--json]\n"
	"\n"
	"Finds reference cycles (strongly connected components) and sorts them into:\n"
	"  cyclic garbage    cycles no root reaches: the collector's next run frees\n"
	"                    them; if gc is disabled in the process they are a leak\n"
	"  finalizer cycles  cycles with objects that define __del__ (or a C\n"
	"                    finalizer, or the legacy tp_del), with what the\n"
	"                    snapshot's Python version does with them\n"
	"  gc.garbage        objects the collector could not free, or kept with\n"
	"                    gc.DEBUG_SAVEALL, and who holds them\n"
	"\n"
	"Cycles of one shape (the same types joined by the same labelled references)\n"
	"are one line with their count, bytes and example addresses: 5,940 Session ->\n"
	"Transaction -> Cursor cycles are one finding, not 5,940. Cycles of the\n"
	"program's objects come before those that class and function definitions\n"
	"leave behind.\n"
	"\n"
	"options:\n"
	"  -n, --limit N   show the N biggest shapes of each kind (default 5; 0: all)\n"
	"  --json          print {\"python\", \"gc\", \"garbage\": {...},\n"
	"                  \"finalizer_cycles\": [...], \"gc_garbage\": {...}}\n"
	"  --redact        show str and bytes values as length + hash (names stay)\n"
	"  -h, --help      show this help\n"
	"\n"
	"example:\n"
	"  graphleak cycles app.snap\n";

typedef gl_vec(uint32_t) u32vec;

/* The members of component comp, in id order (from the member lists
 * built once: start[comp] .. start[comp + 1] in byid). */
typedef struct {
	uint32_t *start; /* n_comp + 1 */
	uint32_t *byid;
} comp_index;

static int comp_index_build(const gl_analysis *a, comp_index *ci)
{
	uint32_t n = a->s->n_objects, nc = a->n_comp;
	ci->start = gl_calloc_array((size_t)nc + 2, sizeof *ci->start);
	ci->byid = gl_alloc_array(n ? n : 1, sizeof *ci->byid);
	if (!ci->start || !ci->byid)
		return -1;
	for (uint32_t v = 0; v < n; v++)
		ci->start[a->comp[v] + 2]++;
	for (uint32_t c = 0; c < nc; c++)
		ci->start[c + 2] += ci->start[c + 1];
	for (uint32_t v = 0; v < n; v++)
		ci->byid[ci->start[a->comp[v] + 1]++] = v;
	return 0;
}

static void comp_index_free(comp_index *ci)
{
	free(ci->start), free(ci->byid);
}

/* The type mix of component comp. 0 or -1 (out of memory). */
static int cycle_mix(const gl_analysis *a, const comp_index *ci, uint32_t comp, report_mix **m, size_t *nm)
{
	return report_type_mix(a->s, ci->byid + ci->start[comp], ci->start[comp + 1] - ci->start[comp], m, nm);
}

/* "0x7f.., 0x7f.., 0x7f.." */
static json_t *examples_json(const gl_snap *s, const gl_cycle_group *g)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < g->nexamples; i++) {
		char b[32];
		snprintf(b, sizeof b, "0x%llx", (unsigned long long)s->addr[g->examples[i]]);
		json_array_append_new(arr, json_string(b));
	}
	return arr;
}

static void examples_text(const gl_snap *s, const gl_cycle_group *g)
{
	for (size_t i = 0; i < g->nexamples; i++)
		printf("%s0x%llx", i ? ", " : "", (unsigned long long)s->addr[g->examples[i]]);
}

/* One shape of cycles as text: "5,940 cycles like this: 3 objects, 240 B
 * each (1.4 MiB in all): 1 app.Session, ..." */
static void group_line(const gl_analysis *a, const gl_cycle_group *g, const report_mix *m, size_t nm, size_t i)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF], n3[GL_FMT_BUF], n4[GL_FMT_BUF];
	if (g->count == 1)
		printf("  %zu. one cycle: %s objects, %s:", i + 1, gl_fmt_count(n1, g->one.objects),
		       gl_fmt_bytes(n2, g->one.size));
	else
		printf("  %zu. %s cycles of one shape: %s objects, %s each (%s in all):", i + 1,
		       gl_fmt_count(n1, g->count), gl_fmt_count(n2, g->one.objects), gl_fmt_bytes(n3, g->one.size),
		       gl_fmt_bytes(n4, g->size));
	report_mix_text(stdout, a->s, m, nm, 4);
	printf("\n     e.g. ");
	examples_text(a->s, g);
	printf("\n");
}

int cycles_collect(const gl_analysis *a, const char *snap, uint64_t limit, json_t **jout)
{
	const gl_snap *s = a->s;
	int rc = GL_EXIT_OK;
	char ver[64], n1[GL_FMT_BUF], n2[GL_FMT_BUF], n3[GL_FMT_BUF];
	int pyver = gl_py_version(s, ver, sizeof ver);
	int enabled = !json_is_false(json_object_get(json_object_get(s->header, "gc"), "enabled"));
	int never = gl_gc_is_off(s);
	int auto_off = enabled && never;

	/* (a) garbage: everything unreached, and its cycles */
	uint64_t g_objects = 0, g_size = 0;
	u32vec garbage = {0}, in_garbage = {0};
	gl_vec(gl_cycle) gcyc = {0}, fcyc = {0};
	gl_cycle *all = NULL;
	size_t nall = 0;
	gl_cycle_group *gg = NULL, *fg = NULL;
	size_t ngg = 0, nfg = 0;
	comp_index ci = {0};
	report_mix *mix = NULL;
	size_t nmix = 0;
	json_t *root = NULL, *list = NULL; /* the document, and a list not yet in it */
	for (uint32_t v = 0; v < s->n_objects; v++) {
		if (a->dist[v] == GL_NONE) {
			g_objects++;
			g_size += s->size[v];
			if (gl_vec_push(&garbage, v) < 0)
				goto oom;
		}
		if ((s->flags[v] & GL_OF_IN_GARBAGE) && gl_vec_push(&in_garbage, v) < 0)
			goto oom;
	}
	/* the cycles no root reaches, and those with Python finalizers; the
	 * ones left out of the latter are counted (cycles.h says which) */
	uint64_t fskipped = 0;
	if (gl_cycles_list(a, &all, &nall) < 0)
		goto oom;
	for (size_t i = 0; i < nall; i++) {
		const gl_cycle *c = &all[i];
		if (!c->reachable && gl_vec_push(&gcyc, *c) < 0)
			goto oom;
		if (gl_cycle_has_finalizers(c)) {
			if (gl_vec_push(&fcyc, *c) < 0)
				goto oom;
		} else if (c->with_del || c->with_tp_del || c->with_finalize) {
			fskipped++;
		}
	}
	if (gl_cycles_group(a, gcyc.v, gcyc.n, &gg, &ngg) < 0 || gl_cycles_group(a, fcyc.v, fcyc.n, &fg, &nfg) < 0 ||
	    comp_index_build(a, &ci) < 0)
		goto oom;
	const char *gverdict =
		!g_objects ? "none: every object is reachable from a root"
		: !enabled ? "a leak: gc is disabled in this process (gc.disable()), so these cycles are "
			     "never freed; re-enable it, call gc.collect(), or break the cycles"
		: auto_off ? "a leak: automatic collection is off (gc.set_threshold(0)), so these cycles "
			     "are freed only by an explicit gc.collect()"
			   : "not a leak by itself: the collector's next run frees them (gc is enabled)";

	if (jout) {
		if (!(root = json_object()) || !(list = json_array()))
			goto oom;
		json_object_set_new(root, "python", json_string(ver));
		json_object_set_new(root, "gc", json_pack("{s:b, s:b}", "enabled", enabled, "automatic", !auto_off));
		if (report_type_mix(s, garbage.v, garbage.n, &mix, &nmix) < 0)
			goto oom;
		for (size_t i = 0; i < ngg && i < limit; i++) {
			const gl_cycle_group *g = &gg[i];
			report_mix *m;
			size_t nm;
			if (cycle_mix(a, &ci, g->one.comp, &m, &nm) < 0)
				goto oom;
			json_t *one = json_pack("{s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:o}", "objects",
						(json_int_t)g->one.objects, "size", (json_int_t)g->one.size, "types",
						report_mix_json(s, m, nm, 8), "object", report_obj_json(a, g->one.first),
						"count", (json_int_t)g->count, "all_objects", (json_int_t)g->objects,
						"all_size", (json_int_t)g->size, "examples", examples_json(s, g));
			json_object_set_new(one, "interpreter", json_boolean(g->one.infra));
			json_array_append_new(list, one);
			free(m);
		}
		json_object_set_new(root, "garbage",
				    json_pack("{s:I, s:I, s:I, s:I, s:b, s:s, s:o, s:o}", "objects", (json_int_t)g_objects,
					      "size", (json_int_t)g_size, "cycles_total", (json_int_t)gcyc.n,
					      "shapes_total", (json_int_t)ngg, "leak", g_objects && never, "verdict",
					      gverdict, "types", report_mix_json(s, mix, nmix, 8), "cycles", list));
		if (!(list = json_array()))
			goto oom;
		for (size_t i = 0; i < nfg && i < limit; i++) {
			const gl_cycle_group *g = &fg[i];
			const gl_cycle *c = &g->one;
			report_mix *m;
			size_t nm;
			if (cycle_mix(a, &ci, c->comp, &m, &nm) < 0)
				goto oom;
			json_t *one = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:o}", "objects",
						(json_int_t)c->objects, "size", (json_int_t)c->size, "with_del",
						(json_int_t)c->with_del, "with_c_finalizer", (json_int_t)c->with_finalize,
						"with_tp_del", (json_int_t)c->with_tp_del, "reachable", c->reachable,
						"verdict", gl_cycle_verdict_words(gl_cycle_judge(c, 1, never, pyver)),
						"types", report_mix_json(s, m, nm, 8));
			json_object_set_new(one, "object", report_obj_json(a, c->first));
			json_object_set_new(one, "count", json_integer((json_int_t)g->count));
			json_object_set_new(one, "all_objects", json_integer((json_int_t)g->objects));
			json_object_set_new(one, "all_size", json_integer((json_int_t)g->size));
			json_object_set_new(one, "examples", examples_json(s, g));
			json_object_set_new(one, "interpreter", json_boolean(c->infra));
			if (c->reachable)
				json_object_set_new(one, "path", report_chain_json(a, c->first));
			json_array_append_new(list, one);
			free(m);
		}
		json_object_set_new(root, "finalizer_cycles", list);
		list = NULL;
		json_object_set_new(root, "finalizer_cycles_total", json_integer((json_int_t)fcyc.n));
		json_object_set_new(root, "finalizer_shapes_total", json_integer((json_int_t)nfg));
		json_object_set_new(root, "finalizer_cycles_not_shown", json_integer((json_int_t)fskipped));
		free(mix);
		mix = NULL;
		if (report_type_mix(s, in_garbage.v, in_garbage.n, &mix, &nmix) < 0)
			goto oom;
		uint64_t gsz = 0;
		for (size_t i = 0; i < in_garbage.n; i++)
			gsz += s->size[in_garbage.v[i]];
		json_t *jg = json_pack("{s:I, s:I, s:o}", "objects", (json_int_t)in_garbage.n, "size", (json_int_t)gsz,
				       "types", report_mix_json(s, mix, nmix, 8));
		if (jg && in_garbage.n)
			json_object_set_new(jg, "path", report_chain_json(a, in_garbage.v[0]));
		json_object_set_new(root, "gc_garbage", jg);
		*jout = root;
		root = NULL;
		goto done;
	}

	printf("Cycles in %s (Python %s, gc %s)\n", snap, ver, gl_gc_state_words(s));

	printf("\nCyclic garbage: %s object%s, %s, in %s cycle%s no root reaches\n", gl_fmt_count(n1, g_objects),
	       g_objects == 1 ? "" : "s", gl_fmt_bytes(n2, g_size), gl_fmt_count(n3, gcyc.n), gcyc.n == 1 ? "" : "s");
	printf("  verdict: %s\n", gverdict);
	if (g_objects) {
		if (report_type_mix(s, garbage.v, garbage.n, &mix, &nmix) < 0)
			goto oom;
		printf("  types:");
		report_mix_text(stdout, s, mix, nmix, 6);
		printf("\n");
		for (size_t i = 0; i < ngg && i < limit; i++) {
			report_mix *m;
			size_t nm;
			if (cycle_mix(a, &ci, gg[i].one.comp, &m, &nm) < 0)
				goto oom;
			group_line(a, &gg[i], m, nm, i);
			free(m);
		}
		if (ngg > limit)
			printf("  ... and %s more shapes (--limit 0 shows all)\n", gl_fmt_count(n1, ngg - (size_t)limit));
		printf("  (graphleak path %s --id ADDR shows one cycle and what refers to it)\n", snap);
	}

	printf("\nCycles with finalizers: %s", fcyc.n ? gl_fmt_count(n1, fcyc.n) : "none");
	if (nfg && nfg < fcyc.n)
		printf(", of %s shape%s", gl_fmt_count(n2, nfg), nfg == 1 ? "" : "s");
	printf("\n");
	for (size_t i = 0; i < nfg && i < limit; i++) {
		const gl_cycle_group *g = &fg[i];
		const gl_cycle *c = &g->one;
		report_mix *m;
		size_t nm;
		if (cycle_mix(a, &ci, c->comp, &m, &nm) < 0)
			goto oom;
		char n4[GL_FMT_BUF], n5[GL_FMT_BUF];
		group_line(a, g, m, nm, i);
		printf("     each: %s with __del__, %s with a C finalizer, %s with tp_del\n", gl_fmt_count(n3, c->with_del),
		       gl_fmt_count(n4, c->with_finalize), gl_fmt_count(n5, c->with_tp_del));
		printf("     verdict: %s\n", gl_cycle_verdict_words(gl_cycle_judge(c, 1, never, pyver)));
		if (c->reachable) {
			gl_sb line = {0};
			report_chain_line(a, c->first, &line);
			printf("     held by: %s\n", gl_sb_str(&line));
			gl_sb_free(&line);
		}
		free(m);
	}
	if (nfg > limit)
		printf("  ... and %s more shapes (--limit 0 shows all)\n", gl_fmt_count(n1, nfg - (size_t)limit));
	if (fskipped)
		printf("  (%s more not shown: live cycles through modules, classes or functions, and cycles\n"
		       "   whose only finalizers are C ones, such as generators and files)\n",
		       gl_fmt_count(n1, fskipped));

	printf("\ngc.garbage: %s objects\n", gl_fmt_count(n1, in_garbage.n));
	if (in_garbage.n) {
		free(mix);
		mix = NULL;
		if (report_type_mix(s, in_garbage.v, in_garbage.n, &mix, &nmix) < 0)
			goto oom;
		printf("  types:");
		report_mix_text(stdout, s, mix, nmix, 6);
		gl_sb line = {0};
		report_chain_line(a, in_garbage.v[0], &line);
		printf("\n  e.g. %s\n", gl_sb_str(&line));
		gl_sb_free(&line);
	}
	goto done;
oom:
	fprintf(stderr, "graphleak cycles: out of memory\n");
	rc = GL_EXIT_FAIL;
done:
	json_decref(list);
	json_decref(root);
	free(mix);
	gl_vec_free(&garbage);
	free(gg), free(fg);
	comp_index_free(&ci);
	gl_vec_free(&in_garbage);
	gl_vec_free(&gcyc);
	gl_vec_free(&fcyc);
	free(all);
	return rc;
}

int cmd_cycles(int argc, char **argv)
{
	const char *snap = NULL;
	int json = 0, redact = 0;
	uint64_t limit = 5;
	const cli_opt opts[] = {CLI_LIMIT(&limit), CLI_JSON(&json), CLI_REDACT(&redact), {0}};
	cli_args ca = {.cmd = "cycles", .usage = cycles_usage, .opts = opts, .pos = &snap, .max_pos = 1};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!snap)
		return cli_usage_error("cycles", "no snapshot given");
	if (limit == 0)
		limit = UINT64_MAX;

	gl_snap *s;
	gl_analysis a;
	if (report_open(snap, GL_AN_PATHS | GL_AN_SCC, redact, &s, &a))
		return GL_EXIT_FAIL;
	json_t *jres = NULL;
	int rc = cycles_collect(&a, snap, limit, json ? &jres : NULL);
	if (rc == GL_EXIT_OK && jres)
		rc = cli_print_json("cycles", jres);
	json_decref(jres);
	report_close(s, &a);
	return rc;
}
