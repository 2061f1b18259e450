/*
 * dotcheck.c - reads a DOT file back with cgraph (agread) and prints what
 * the render tests check, one line per object:
 *   node NAME<TAB>peripheries=P<TAB>fillcolor=C<TAB>label=L
 *   edge TAIL->HEAD<TAB>label=L
 *   nodes N edges M
 * Exits 1 if the file does not parse (or holds no graph), 2 on usage.
 */
#include <graphviz/cgraph.h>
#include <stdio.h>

static const char *attr(void *obj, const char *name)
{
	const char *v = agget(obj, (char *)name);
	return v ? v : "";
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dotcheck FILE.dot\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	Agraph_t *g = agread(f, NULL);
	Agraph_t *extra = g ? agread(f, NULL) : NULL; /* exactly one graph */
	fclose(f);
	if (!g || extra) {
		fprintf(stderr, "dotcheck: %s: %s\n", argv[1], g ? "more than one graph" : "does not parse");
		if (extra)
			agclose(extra);
		if (g)
			agclose(g);
		return 1;
	}
	int nn = 0, ne = 0;
	for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
		nn++;
		printf("node %s\tperipheries=%s\tfillcolor=%s\tlabel=%s\n", agnameof(n), attr(n, "peripheries"),
		       attr(n, "fillcolor"), attr(n, "label"));
		for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
			ne++;
			printf("edge %s->%s\tlabel=%s\n", agnameof(agtail(e)), agnameof(aghead(e)), attr(e, "label"));
		}
	}
	printf("nodes %d edges %d\n", nn, ne);
	agclose(g);
	return 0;
}
