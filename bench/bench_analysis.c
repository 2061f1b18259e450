/*
 * bench_analysis.c - times graphleak's analysis of one snapshot, phase by
 * phase, in one process, and prints one JSON object:
 *
 *   graphleak-bench SNAP TYPE
 *
 *   load_forward    the graph as `top` loads it (no reverse edges)
 *   load            the graph with reverse edges (what analysis needs)
 *   analysis        roots, chains, dominators + retained sizes, SCC (the
 *                   dominator tree on one thread, the chains on another,
 *                   then the cycles)
 *   suspects        the accumulation points and their type mix
 *   path_type       holders of every object of TYPE (graphleak path --type)
 *   whole           load + analysis + suspects: what `graphleak suspects`
 *                   and `cycles` together cost on this snapshot
 *   peak_rss_whole  the process's peak resident memory when `whole` is
 *                   done (VmHWM), bytes: what the analysis costs
 *   peak_rss        the process's peak resident memory at the end, the
 *                   holder queries included, bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "analysis.h"
#include "holder.h"
#include "holders.h"
#include "progress.h"

/* The peak resident memory so far (VmHWM), bytes; 0 if unknown. */
static long peak_rss_now(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb * 1024L;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: graphleak-bench SNAP TYPE\n");
		return 2;
	}
	gl_err err;
	gl_err_clear(&err);
	gl_snap *s;
	double t = gl_now();
	if (gl_snap_load(&s, argv[1], GL_SNAP_NO_REVERSE, &err) < 0) {
		fprintf(stderr, "graphleak-bench: %s\n", err.msg);
		return 1;
	}
	double load_fwd = gl_now() - t;
	gl_snap_free(s);

	double t0 = gl_now();
	if (gl_snap_load(&s, argv[1], 0, &err) < 0) {
		fprintf(stderr, "graphleak-bench: %s\n", err.msg);
		return 1;
	}
	double load = gl_now() - t0;
	uint64_t graph_bytes = gl_snap_mem_bytes(s);

	gl_analysis a = {0};
	t = gl_now();
	if (gl_analysis_run(&a, s, GL_AN_ALL, &err) < 0) {
		fprintf(stderr, "graphleak-bench: %s\n", err.msg);
		return 1;
	}
	double analysis = gl_now() - t;

	t = gl_now();
	uint32_t *sus;
	size_t nsus;
	uint64_t total = a.retained[s->n_objects];
	if (gl_suspects(&a, total / 10 ? total / 10 : 1, &sus, &nsus) < 0)
		return 1;
	size_t subtree_objects = 0;
	for (size_t i = 0; i < nsus && i < 10; i++) {
		uint32_t *sub;
		size_t nsub;
		if (gl_dom_subtree(&a, sus[i], &sub, &nsub) < 0)
			return 1;
		subtree_objects += nsub;
		free(sub);
	}
	double suspects = gl_now() - t;
	double whole = gl_now() - t0;
	long peak_whole = peak_rss_now();

	/* the suspects' holders: the one on the shortest chain, and every one */
	t = gl_now();
	for (size_t i = 0; i < nsus && i < 10; i++) {
		gl_path p;
		gl_holder h;
		if (gl_chain(&a, sus[i], &p) < 0 || gl_holder_find(&a, &p, &h) < 0)
			return 1;
		gl_holder_free(&h);
		gl_path_free(&p);
	}
	double single_holder = gl_now() - t;
	t = gl_now();
	size_t every = 0;
	for (size_t i = 0; i < nsus && i < 10; i++) {
		gl_holds hs;
		if (gl_holds_find(&a, &sus[i], 1, 8, &hs, &err) < 0)
			return 1;
		every += hs.n;
		gl_holds_free(&hs);
	}
	double every_holder = gl_now() - t;

	t = gl_now();
	uint32_t *ids = malloc((size_t)s->n_objects * sizeof *ids);
	size_t nids = 0;
	for (uint32_t id = 0; id < s->n_objects; id++)
		if (gl_type_matches(s, id, argv[2]))
			ids[nids++] = id;
	gl_holds groups;
	if (gl_holds_find(&a, ids, nids, 10, &groups, &err) < 0)
		return 1;
	double path_type = gl_now() - t;
	size_t ngroups = groups.n;

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"objects\": %u, \"edges\": %u, \"load_forward\": %.4f, \"load\": %.4f, "
	       "\"analysis\": %.4f, \"suspects\": %.4f, \"whole\": %.4f, \"path_type\": %.4f, "
	       "\"single_holder\": %.4f, \"every_holder\": %.4f, \"every_holder_found\": %zu, "
	       "\"type_objects\": %zu, \"holders\": %zu, \"top_holder\": \"%s\", \"suspects_found\": %zu, "
	       "\"subtree_objects\": %zu, \"graph_bytes\": %llu, \"peak_rss_whole\": %ld, \"peak_rss\": %ld}\n",
	       s->n_objects, s->n_edges, load_fwd, load, analysis, suspects, whole, path_type, single_holder,
	       every_holder, every, nids, ngroups, ngroups && groups.v[0].text ? groups.v[0].text : "", nsus,
	       subtree_objects, (unsigned long long)graph_bytes, peak_whole, ru.ru_maxrss * 1024L);
	gl_holds_free(&groups);
	free(ids);
	free(sus);
	gl_analysis_free(&a);
	gl_snap_free(s);
	return 0;
}
