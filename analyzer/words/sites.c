/*
 * sites.c - allocation sites in words (sites.h).
 */
#include "sites.h"

#include <stdlib.h>
#include <string.h>

#include "humanfmt.h"

static int by_count(const void *a, const void *b)
{
	const gl_site_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->site < y->site ? -1 : x->site > y->site;
}

int gl_sites_top(const gl_snap *s, const uint32_t *ids, size_t n, size_t max, gl_site_top *out)
{
	memset(out, 0, sizeof *out);
	out->group = n;
	if (!s->n_sites || !s->site)
		return 0;
	gl_site_count *all = calloc((size_t)s->n_sites + 1, sizeof *all);
	if (!all)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = s->site[ids[i]];
		if (!k)
			continue;
		all[k].site = k;
		all[k].count++;
		all[k].bytes += s->size[ids[i]];
		out->with_site++;
	}
	size_t m = 0;
	for (uint32_t k = 1; k <= s->n_sites; k++)
		if (all[k].count)
			all[m++] = all[k];
	qsort(all, m, sizeof *all, by_count);
	out->n = max && m > max ? max : m;
	out->v = all;
	return 0;
}

void gl_sites_free(gl_site_top *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

const char *gl_frame_file(const gl_snap *s, uint32_t f, size_t *len)
{
	const char *file = gl_snap_str(s, s->frame_file[f], len);
	for (size_t c = *len; c > 0; c--)
		if (file[c - 1] == '/') {
			*len -= c;
			return file + c;
		}
	return file;
}

void gl_site_say(gl_sb *sb, const gl_snap *s, uint32_t site, size_t frames)
{
	uint32_t a = s->site_frame[site], b = s->site_frame[site + 1];
	size_t said = 0;
	for (uint32_t f = a; f < b && (!frames || said < frames); f++) {
		size_t len;
		const char *file = gl_frame_file(s, f, &len);
		/* graphleak run's bootstrap, under the program's first frame: not the program's */
		if (len == 16 && memcmp(file, "graphleak_run.py", 16) == 0)
			continue;
		if (said++)
			gl_sb_puts(sb, " <- ");
		gl_sb_escaped(sb, (const unsigned char *)file, len, 0, 0);
		gl_sb_printf(sb, ":%u", s->frame_line[f]);
	}
	if (!said)
		gl_sb_puts(sb, "(no frame)");
}

json_t *gl_sites_json(const gl_snap *s, const gl_site_top *t)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < t->n; i++) {
		uint32_t k = t->v[i].site;
		json_t *frames = json_array();
		for (uint32_t f = s->site_frame[k]; frames && f < s->site_frame[k + 1]; f++) {
			size_t len;
			const char *file = gl_snap_str(s, s->frame_file[f], &len);
			json_array_append_new(frames, json_pack("{s:s%, s:I}", "file", file, len, "line",
								(json_int_t)s->frame_line[f]));
		}
		json_array_append_new(arr, json_pack("{s:I, s:I, s:o, s:I}", "count", (json_int_t)t->v[i].count, "size",
						     (json_int_t)t->v[i].bytes, "frames", frames, "depth",
						     (json_int_t)s->site_total[k]));
	}
	return arr;
}

const char *gl_sites_missing(const gl_snap *s)
{
	if (s->n_sites)
		return NULL;
	const json_t *note = json_object_get(s->footer, "sites_note");
	if (json_is_string(note))
		return json_string_value(note);
	const json_t *tm = json_object_get(s->header, "tracemalloc");
	if (json_is_object(tm) && json_is_true(json_object_get(tm, "tracing")))
		return "tracemalloc was tracing, but none of these objects has a recorded allocation";
	return "no allocation sites: to record where objects were allocated, start the program with "
	       "PYTHONTRACEMALLOC=5 (or graphleak run --trace)";
}

void gl_sites_print(FILE *f, const gl_snap *s, const gl_site_top *t, size_t max, const char *indent)
{
	char n1[GL_FMT_BUF];
	if (!s->n_sites)
		return;
	if (!t->with_site) {
		fprintf(f, "%sallocated at: unknown (not traced: allocated before tracing began, or not by Python)\n",
			indent);
		return;
	}
	for (size_t i = 0; i < t->n && i < max; i++) {
		gl_sb sb = {0};
		gl_site_say(&sb, s, t->v[i].site, 3);
		fprintf(f, "%s%s %s  (%s, %.0f%%)\n", indent, i ? "            " : "allocated at:", gl_sb_failed(&sb) ? "?" : gl_sb_str(&sb),
			gl_fmt_count(n1, t->v[i].count), t->group ? 100.0 * (double)t->v[i].count / (double)t->group : 0.0);
		gl_sb_free(&sb);
	}
	if (t->with_site < t->group)
		fprintf(f, "%s              (%s not traced)\n", indent, gl_fmt_count(n1, t->group - t->with_site));
}
