/*
 * memstat.c - the memory figures of a dump's header (memstat.h).
 */
#define _GNU_SOURCE
#include "compat.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memstat.h"
#include "readall.h"


/* The number after '=' on the line that starts with `key` in pymalloc's
 * statistics (digits with thousands separators); -1 if absent. */
static long long stats_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0) {
			const char *eq = strchr(p, '=');
			const char *nl = strchr(p, '\n');
			if (!eq || (nl && eq > nl))
				return -1;
			long long v = 0;
			int any = 0;
			for (const char *q = eq + 1; *q && *q != '\n'; q++) {
				if (*q >= '0' && *q <= '9') {
					v = v * 10 + (*q - '0');
					any = 1;
				}
			}
			return any ? v : -1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* exported by every CPython 3.8-3.13 (declared in an internal header from 3.11) */
int _PyObject_DebugMallocStats(FILE *out);

/*
 * pymalloc's arenas (bytes in all, bytes in allocated blocks), from the
 * interpreter's own statistics printed into a fixed buffer. 0, or -1 when
 * pymalloc is not in use (PYTHONMALLOC=malloc) or the text is not there.
 */
static int pymalloc_figures(long long *arenas, long long *used)
{
	static char text[64 * 1024]; /* about 4 KiB are written; GIL held: one at a time */
	FILE *f = fmemopen(text, sizeof text - 1, "w");
	if (!f)
		return -1;
	int r = _PyObject_DebugMallocStats(f);
	long n = ftell(f);
	fclose(f);
	if (!r || n <= 0)
		return -1;
	text[n < (long)sizeof text - 1 ? n : (long)sizeof text - 1] = 0;
	*arenas = stats_value(text, "Total");
	*used = stats_value(text, "# bytes in allocated blocks");
	return *arenas >= 0 && *used >= 0 ? 0 : -1;
}

/* glibc's mallinfo2 (2.33+), found at run time: 0 and the figures, or -1. */
struct gl_mallinfo2 {
	size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

static int malloc_figures(struct gl_mallinfo2 *mi)
{
	struct gl_mallinfo2 (*fn)(void) = (struct gl_mallinfo2(*)(void))dlsym(RTLD_DEFAULT, "mallinfo2");
	if (!fn)
		return -1;
	*mi = fn();
	return 0;
}

void gl_memstat_json(gl_sb *j)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char status[8192] = "";
	gl_read_file("/proc/self/status", status, sizeof status);
	gl_sb_printf(j, "\"memory\": {\"rss\": %lld, \"anonymous\": %lld, \"file\": %lld, \"shmem\": %lld, \"swap\": %lld",
		     gl_line_kb(status, "VmRSS"), gl_line_kb(status, "RssAnon"), gl_line_kb(status, "RssFile"),
		     gl_line_kb(status, "RssShmem"), gl_line_kb(status, "VmSwap"));
	long long arenas = 0, used = 0;
	if (pymalloc_figures(&arenas, &used) == 0)
		gl_sb_printf(j, ", \"pymalloc\": {\"arenas\": %lld, \"used\": %lld}", arenas, used);
	else
		gl_sb_puts(j, ", \"pymalloc\": null");
	struct gl_mallinfo2 mi;
	if (malloc_figures(&mi) == 0)
		gl_sb_printf(j,
			     ", \"malloc\": {\"allocator\": \"glibc\", \"heap\": %zu, \"in_use\": %zu, \"free\": %zu, "
			     "\"mmapped\": %zu, \"mmapped_chunks\": %zu}",
			     mi.arena, mi.uordblks, mi.fordblks, mi.hblkhd, mi.hblks);
	else
		gl_sb_puts(j, ", \"malloc\": null");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	gl_sb_printf(j, ", \"seconds\": %.6f}, ",
		     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
}
