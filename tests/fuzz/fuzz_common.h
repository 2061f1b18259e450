/*
 * fuzz_common.h - what both fuzz targets do with a snapshot that loaded:
 * run every analysis and the queries the commands make, so that strange but
 * valid graphs (self-references, refcounts below the references seen,
 * cycles through roots, dangling names) are exercised too.
 */
#ifndef GRAPHLEAK_FUZZ_COMMON_H
#define GRAPHLEAK_FUZZ_COMMON_H

#include <stdlib.h>

#include "analysis.h"
#include "growth.h"
#include "holder.h"
#include "holders.h"
#include "typestats.h"

static void fuzz_analyze(const gl_snap *s)
{
	gl_err err;
	gl_err_clear(&err);
	gl_typestat *rows;
	uint32_t nrows;
	if (gl_typestats(s, 0, &rows, &nrows, &err) == 0)
		free(rows);
	gl_analysis a = {0};
	if (gl_analysis_run(&a, s, GL_AN_ALL, &err) < 0) {
		gl_analysis_free(&a);
		return;
	}
	uint64_t *per_type = malloc(((size_t)s->n_strings + 1) * sizeof *per_type);
	if (per_type && gl_type_retained(&a, per_type) == 0) {
	}
	free(per_type);
	uint32_t *sus;
	size_t nsus;
	if (gl_suspects(&a, a.retained[s->n_objects] / 10 + 1, &sus, &nsus) == 0) {
		for (size_t i = 0; i < nsus && i < 4; i++) {
			uint32_t *sub;
			size_t nsub;
			if (gl_dom_subtree(&a, sus[i], &sub, &nsub) == 0)
				free(sub);
		}
		free(sus);
	}
	/* chains, holders and their words for a few objects */
	uint32_t step = s->n_objects / 16 + 1;
	for (uint32_t id = 0; id < s->n_objects; id += step) {
		gl_sb line = {0};
		gl_chain_line(&a, id, &line);
		gl_sb_free(&line);
		gl_path chain;
		gl_holder h;
		if (gl_chain(&a, id, &chain) == 0) {
			if (gl_holder_find(&a, &chain, &h) == 0)
				gl_holder_free(&h);
			gl_step *st;
			size_t ns;
			if (gl_chain_steps(&a, &chain, &st, &ns) == 0)
				gl_steps_free(st, ns);
			gl_path_free(&chain);
		}
		gl_holds hs;
		if (gl_holds_find(&a, &id, 1, 4, &hs, &err) == 0)
			gl_holds_free(&hs);
		gl_sb d = {0};
		gl_describe_obj(s, id, &d);
		gl_sb_free(&d);
	}
	uint32_t all[8];
	uint32_t k = 0;
	for (uint32_t id = 0; id < s->n_objects && k < 8; id += step)
		all[k++] = id;
	gl_holds hs;
	if (gl_holds_find(&a, all, k, 4, &hs, &err) == 0)
		gl_holds_free(&hs);
	/* growth of the snapshot against itself */
	if (s->n_objects < 5000) {
		gl_growth g;
		if (gl_growth_begin(&g, &a, 2, 1, 1, &err) == 0 && gl_growth_add(&g, 0, &a, &err) == 0)
			gl_growth_finish(&g, &err);
		gl_growth_free(&g);
	}
	gl_analysis_free(&a);
}

#endif /* GRAPHLEAK_FUZZ_COMMON_H */
