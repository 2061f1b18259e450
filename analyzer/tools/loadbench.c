/*
 * loadbench.c - times gl_snap_load() on a snapshot and reports the graph's
 * memory: graphleak-loadbench SNAP [REPEATS] [--no-reverse]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "progress.h"
#include "snapshot.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SNAP [REPEATS] [--no-reverse]\n", argv[0]);
		return 2;
	}
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	unsigned flags = (argc > 3 && strcmp(argv[3], "--no-reverse") == 0) ? GL_SNAP_NO_REVERSE : 0;
	double best = 1e9;
	uint64_t mem = 0, n = 0, m = 0;
	for (int r = 0; r < reps; r++) {
		gl_err err;
		gl_err_clear(&err);
		gl_snap *s;
		double t0 = gl_now();
		if (gl_snap_load(&s, argv[1], flags, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		double t = gl_now() - t0;
		if (t < best)
			best = t;
		mem = gl_snap_mem_bytes(s);
		n = s->n_objects;
		m = s->n_edges;
		gl_snap_free(s);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: %" PRIu64 " objects, %" PRIu64 " edges: load %.3f s (best of %d), graph %.1f MB "
	       "(%.1f bytes/object), peak RSS %.1f MB (%.1f bytes/object)\n",
	       argv[1], n, m, best, reps, (double)mem / 1e6, (double)mem / (double)n,
	       (double)ru.ru_maxrss / 1e3, (double)ru.ru_maxrss * 1024.0 / (double)n);
	return 0;
}
