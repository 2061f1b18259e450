/*
 * cmd_memory.c - `graphleak memory SNAP [SNAP...]`: where the process's
 * memory was, as a breakdown that adds up to RSS, and, with several
 * snapshots of one process, which part grew and what that means
 * (analyzer/words/memory.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "humanfmt.h"
#include "memory.h"

static const char memory_usage[] =
	"usage: graphleak memory SNAP [SNAP...] [--json]\n"
	"\n"
	"Shows where the process's memory was when each snapshot was taken, as parts\n"
	"that add up to its RSS:\n"
	"  file-backed        code, libraries, mapped files, shared memory\n"
	"  Python objects     the objects the snapshot recorded (what `top`,\n"
	"                     `suspects` and `growth` look at), but for the\n"
	"                     mappings of mmap.mmap objects: those are file-backed\n"
	"                     or other anonymous memory, as far as resident\n"
	"  native             what pymalloc and malloc handed out that no recorded\n"
	"                     object accounts for: C extensions' buffers, the\n"
	"                     interpreter's own tables\n"
	"  pymalloc free      room in pymalloc's arenas: an arena goes back to the\n"
	"                     system only when every object in it is gone\n"
	"  malloc free        free memory glibc's malloc keeps\n"
	"  other anonymous    the rest: thread stacks, mmaps of C extensions and of\n"
	"                     mmap objects, other allocators (jemalloc, the\n"
	"                     sanitizers'), unexplained\n"
	"The figures come from the kernel, pymalloc and malloc themselves, read by the\n"
	"shim as it took the snapshot.\n"
	"\n"
	"Given snapshots of one process in the order they were taken, it says which\n"
	"part grew from the first to the last, and what that means: Python objects\n"
	"(something keeps them: `graphleak growth` and `suspects` say what), free\n"
	"space the allocators keep (fragmentation: objects were freed but a few\n"
	"survivors keep their memory), or memory outside Python objects (a C\n"
	"extension or native buffers: no object graph will show it).\n"
	"\n"
	"options:\n"
	"  --json      print {\"snapshots\": [{\"path\", \"memory\"}], \"growth\"}\n"
	"  -h, --help  show this help\n"
	"\n"
	"examples:\n"
	"  graphleak memory app.snap\n"
	"  graphleak memory before.snap after.snap\n";

#define MAX_SNAPS 64

static void row(const char *name, const gl_memory *m, size_t n, const size_t *cols, size_t ncols, int part, int delta)
{
	char b[GL_FMT_BUF];
	printf("  %-54s", name);
	for (size_t c = 0; c < ncols; c++) {
		const gl_memory *x = &m[cols[c]];
		int64_t v = part < 0 ? x->rss : x->part[part];
		printf(" %12s", x->known ? gl_fmt_bytes(b, (uint64_t)v) : "-");
	}
	if (delta && n > 1 && m[0].known && m[n - 1].known) {
		int64_t a = part < 0 ? m[0].rss : m[0].part[part];
		int64_t z = part < 0 ? m[n - 1].rss : m[n - 1].part[part];
		int64_t d = z - a;
		char sgn[GL_FMT_BUF + 2];
		snprintf(sgn, sizeof sgn, "%c%s", d < 0 ? '-' : '+', gl_fmt_bytes(b, (uint64_t)(d < 0 ? -d : d)));
		printf(" %12s", sgn);
	}
	printf("\n");
}

int cmd_memory(int argc, char **argv)
{
	const char *paths[MAX_SNAPS];
	int json = 0;
	const cli_opt opts[] = {CLI_JSON(&json), {0}};
	cli_args a = {.cmd = "memory", .usage = memory_usage, .opts = opts, .pos = paths, .max_pos = MAX_SNAPS};
	int prc = cli_parse(&a, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (a.npos == 0)
		return cli_usage_error("memory", "no snapshot given");
	size_t n = (size_t)a.npos;
	gl_memory *m = calloc(n, sizeof *m);
	if (!m) {
		fprintf(stderr, "graphleak memory: out of memory\n");
		return GL_EXIT_FAIL;
	}
	long long pid0 = -1;
	int same_process = 1;
	for (size_t i = 0; i < n; i++) {
		gl_snap *s;
		if (cli_load(paths[i], GL_SNAP_META_ONLY, &s)) {
			free(m);
			return GL_EXIT_FAIL;
		}
		gl_memory_from(&m[i], s->header, s->footer);
		const json_t *pid = json_object_get(s->header, "pid");
		long long p = json_is_integer(pid) ? (long long)json_integer_value(pid) : -1;
		if (i == 0)
			pid0 = p;
		else if (p != pid0)
			same_process = 0;
		gl_snap_free(s);
	}
	gl_mem_growth g;
	if (n > 1)
		gl_memory_growth(&m[0], &m[n - 1], &g);

	int rc = GL_EXIT_OK;
	if (json) {
		json_t *j = json_object(), *arr = json_array();
		for (size_t i = 0; i < n && j && arr; i++)
			json_array_append_new(arr, json_pack("{s:s,s:o}", "path", paths[i], "memory", gl_memory_json(&m[i])));
		json_object_set_new(j, "snapshots", arr);
		json_object_set_new(j, "same_process", json_boolean(same_process));
		json_object_set_new(j, "growth", n > 1 ? gl_memory_growth_json(&g) : json_null());
		rc = cli_print_json("memory", j);
		json_decref(j);
		free(m);
		return rc;
	}

	/* the columns: every snapshot up to six, else the first and the last */
	size_t cols[6], ncols = 0;
	if (n <= 6)
		for (size_t i = 0; i < n; i++)
			cols[ncols++] = i;
	else {
		cols[ncols++] = 0;
		cols[ncols++] = n - 1;
	}
	if (n == 1)
		printf("memory of process %lld when %s was taken\n\n", pid0, paths[0]);
	else
		printf("memory of process %lld in %zu snapshots%s\n\n", pid0, n,
		       n > 6 ? " (the first and the last shown)" : "");
	if (n > 1) {
		printf("  %-54s", "");
		for (size_t c = 0; c < ncols; c++) {
			const char *p = strrchr(paths[cols[c]], '/');
			p = p ? p + 1 : paths[cols[c]];
			size_t l = strlen(p);
			printf(" %12s", l > 12 ? p + l - 12 : p);
		}
		printf(" %12s\n", "change");
	}
	row("RSS", m, n, cols, ncols, -1, 1);
	for (int part = 0; part < GL_MEM_N; part++)
		row(gl_memory_part_name(part), m, n, cols, ncols, part, 1);
	int unknown = 0;
	for (size_t i = 0; i < n; i++) {
		char b[GL_FMT_BUF];
		if (!m[i].known)
			unknown = 1;
		else if (m[i].overcount > m[i].rss / 20)
			printf("  (%s: the allocators hold %s more than is resident: free memory they keep is not all in "
			       "RAM)\n", paths[i], gl_fmt_bytes(b, (uint64_t)m[i].overcount));
		if (m[i].known && m[i].mapped > 0)
			printf("  (%s: mmap objects map %s: memory the kernel counts as file-backed or anonymous as far "
			       "as it is resident, not the allocators', so it is not in Python objects here)\n",
			       paths[i], gl_fmt_bytes(b, (uint64_t)m[i].mapped));
	}
	if (unknown)
		printf("  (-: a snapshot without memory figures: taken by an older graphleak)\n");
	if (n > 1) {
		gl_sb sb = {0};
		gl_memory_say(&sb, &g);
		printf("\n%s%s\n", same_process ? "" : "(these snapshots are of different processes) ",
		       gl_sb_failed(&sb) ? "" : gl_sb_str(&sb));
		gl_sb_free(&sb);
		if (g.verdict == GL_MEM_VERDICT_OBJECTS)
			printf("next: graphleak growth %s %s\n", paths[0], paths[n - 1]);
		else if (g.verdict == GL_MEM_VERDICT_FRAGMENTS)
			printf("next: graphleak top %s (which small objects survive), and keep fewer of them alive\n",
			       paths[n - 1]);
	} else if (m[0].known) {
		printf("\nnext: graphleak suspects %s\n", paths[0]);
	}
	free(m);
	return rc;
}
