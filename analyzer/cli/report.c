/*
 * report.c - see report.h.
 */
#define _GNU_SOURCE /* memrchr */
#include "report.h"

#include <string.h>

#include "cli.h"
#include "humanfmt.h"
#include "growth.h"
#include "progress.h"
#include "vec.h"

static json_t *snap_info(const char *path, const gl_snap *s)
{
	return json_pack("{s:s, s:O*, s:O*}", "path", path, "pid", json_object_get(s->header, "pid"),
			 "time", json_object_get(s->header, "time"));
}

int report_sort_by_time(const char **paths, size_t n)
{
	double *t = gl_calloc_array(n, sizeof *t);
	if (!t) {
		fprintf(stderr, "graphleak: out of memory\n");
		return GL_EXIT_FAIL;
	}
	int timed = 1;
	for (size_t i = 0; i < n && timed; i++) {
		gl_snap *s;
		if (cli_load(paths[i], GL_SNAP_META_ONLY, &s)) {
			free(t);
			return GL_EXIT_FAIL;
		}
		json_t *v = json_object_get(s->header, "time_unix");
		if (json_is_number(v))
			t[i] = json_number_value(v);
		else
			timed = 0;
		gl_snap_free(s);
	}
	int moved = 0;
	for (size_t i = 1; timed && i < n; i++) /* stable: equal times keep their order */
		for (size_t j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
			const char *p = paths[j];
			paths[j] = paths[j - 1];
			paths[j - 1] = p;
			moved = 1;
		}
	free(t);
	if (moved) {
		fprintf(stderr, "graphleak: the snapshots were not given in the order they were taken; comparing them "
				"oldest first:");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s %s", i ? " ->" : "", paths[i]);
		fputc('\n', stderr);
	}
	return GL_EXIT_OK;
}

int report_growth(const char *const *paths, size_t n, uint64_t min_bytes, uint64_t min_items, int redact,
		  gl_snap **last,
		  gl_analysis *al, gl_growth *g, json_t *snaps)
{
	memset(g, 0, sizeof *g);
	if (report_open(paths[n - 1], GL_AN_PATHS | GL_AN_DOM, redact, last, al))
		return GL_EXIT_FAIL;
	gl_err err;
	gl_err_clear(&err);
	if (gl_growth_begin(g, al, n, min_bytes, min_items, &err) < 0)
		goto fail;
	json_t *pid_last = json_object_get((*last)->header, "pid");
	for (size_t k = 0; k + 1 < n; k++) {
		gl_snap *s;
		gl_analysis a;
		if (report_open(paths[k], GL_AN_PATHS | GL_AN_DOM, redact, &s, &a))
			goto quiet_fail;
		json_t *pid = json_object_get(s->header, "pid");
		if (pid && pid_last && !json_equal(pid, pid_last))
			fprintf(stderr, "graphleak: warning: %s is of pid %" JSON_INTEGER_FORMAT " and %s of pid %"
				JSON_INTEGER_FORMAT ": comparing different processes\n", paths[k],
				json_integer_value(pid), paths[n - 1], json_integer_value(pid_last));
		int rc = gl_growth_add(g, k, &a, &err);
		if (snaps)
			json_array_append_new(snaps, snap_info(paths[k], s));
		report_close(s, &a);
		if (rc < 0)
			goto fail;
	}
	if (gl_growth_finish(g, &err) < 0)
		goto fail;
	if (snaps)
		json_array_append_new(snaps, snap_info(paths[n - 1], *last));
	return 0;
fail:
	fprintf(stderr, "graphleak: %s\n", err.msg);
quiet_fail:
	gl_growth_free(g);
	report_close(*last, al);
	*last = NULL;
	return GL_EXIT_FAIL;
}

int report_open(const char *path, unsigned what, int redact, gl_snap **s, gl_analysis *a)
{
	memset(a, 0, sizeof *a);
	if (cli_load(path, 0, s) != 0)
		return GL_EXIT_FAIL;
	(*s)->redact = redact;
	gl_ticker tk;
	gl_ticker_start(&tk, "analyzing");
	gl_err err;
	gl_err_clear(&err);
	double t0 = gl_now();
	int rc = gl_analysis_run(a, *s, what, &err);
	gl_ticker_stop(&tk);
	cli_timing("analysis", t0);
	if (rc < 0) {
		fprintf(stderr, "graphleak: %s: %s\n", path, err.msg);
		gl_analysis_free(a);
		gl_snap_free(*s);
		*s = NULL;
		return GL_EXIT_FAIL;
	}
	return 0;
}

void report_close(gl_snap *s, gl_analysis *a)
{
	gl_analysis_free(a);
	gl_snap_free(s);
}

void report_type(const gl_snap *s, uint32_t id, gl_sb *b)
{
	size_t len;
	const char *p = gl_snap_str(s, s->type[id], &len);
	gl_sb_escaped(b, (const unsigned char *)p, len, 0, 0);
}

const char *report_hold_kind(gl_hold_kind k)
{
	static const char *const names[] = {
		[GL_HOLD_NONE] = "garbage",      [GL_HOLD_MODULE] = "module",
		[GL_HOLD_CLASS] = "class",       [GL_HOLD_FRAME] = "frame",
		[GL_HOLD_DEFAULTS] = "defaults", [GL_HOLD_CLOSURE] = "closure",
		[GL_HOLD_LRU_CACHE] = "lru_cache", [GL_HOLD_SYS_MODULES] = "sys.modules",
		[GL_HOLD_THREAD] = "thread",     [GL_HOLD_EXTERNAL] = "external",
		[GL_HOLD_ROOT] = "root",
	};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

json_t *report_obj_json(const gl_analysis *a, uint32_t id)
{
	const gl_snap *s = a->s;
	char addr[32];
	snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)s->addr[id]);
	size_t tlen;
	const char *t = gl_snap_str(s, s->type[id], &tlen);
	json_t *o = json_pack("{s:s, s:s%, s:I, s:I}", "addr", addr, "type", t, tlen,
			      "size", (json_int_t)s->size[id], "length", (json_int_t)s->length[id]);
	if (!o)
		return NULL;
	if ((a->done & GL_AN_DOM) && a->retained)
		json_object_set_new(o, "retained", json_integer((json_int_t)a->retained[id]));
	gl_sb d = {0};
	gl_describe_obj(s, id, &d);
	json_object_set_new(o, "description", json_string(gl_sb_str(&d)));
	gl_sb_free(&d);
	return o;
}

int report_chain_line(const gl_analysis *a, uint32_t target, gl_sb *out)
{
	return gl_chain_line(a, target, out);
}

json_t *report_path_json(const gl_analysis *a, const gl_path *p, size_t holder_at, const char *holder_text,
			 gl_hold_kind kind)
{
	json_t *j = json_object();
	if (!j)
		return NULL;
	json_object_set_new(j, "holder", json_string(holder_text));
	json_object_set_new(j, "holder_kind", json_string(report_hold_kind(kind)));
	gl_sb line = {0};
	if (p->len)
		gl_path_line(a, p, &line);
	else
		gl_sb_puts(&line, "(no root reaches it)");
	json_object_set_new(j, "chain", json_string(gl_sb_str(&line)));
	gl_sb_free(&line);
	json_t *steps = json_array();
	gl_step *st = NULL;
	size_t ns = 0;
	if (p->len && gl_chain_steps(a, p, &st, &ns) == 0) {
		for (size_t i = 0; i < ns; i++) {
			json_t *o = report_obj_json(a, p->ids[st[i].at]);
			/* the holder's object: the first step at or past it */
			int is_holder = st[i].at >= holder_at && (i == 0 || st[i - 1].at < holder_at);
			json_array_append_new(steps, json_pack("{s:s, s:o, s:b}", "step", gl_sb_str(&st[i].label),
							       "object", o, "holder", is_holder));
		}
		gl_steps_free(st, ns);
	}
	json_object_set_new(j, "steps", steps);
	/* the chain unfolded, object by object, root first */
	json_t *raw = json_array();
	for (size_t i = 0; i < p->len; i++) {
		char addr[32];
		snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)a->s->addr[p->ids[i]]);
		json_array_append_new(raw, json_string(addr));
	}
	json_object_set_new(j, "raw", raw);
	return j;
}

json_t *report_chain_json(const gl_analysis *a, uint32_t target)
{
	gl_path p;
	if (gl_chain(a, target, &p) < 0)
		return NULL;
	gl_holder h;
	if (gl_holder_find(a, &p, &h) < 0) {
		gl_path_free(&p);
		return NULL;
	}
	json_t *j = report_path_json(a, &p, h.at, gl_sb_str(&h.text), h.kind);
	gl_holder_free(&h);
	gl_path_free(&p);
	return j;
}

json_t *report_holds_json(const gl_analysis *a, const gl_holds *hs, size_t max)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < hs->n && (!max || i < max); i++) {
		const gl_hold *o = &hs->v[i];
		if (!o->text)
			break;
		json_t *ex = report_path_json(a, &o->chain, o->at, o->text, o->h.kind);
		if (ex)
			json_object_set_new(ex, "object", report_obj_json(a, o->example));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:o*}", "holder", o->text,
						     "holder_kind", report_hold_kind(o->h.kind), "count",
						     (json_int_t)o->count, "size", (json_int_t)o->size, "only_count",
						     (json_int_t)o->only_count, "only_size", (json_int_t)o->only_size,
						     "exact", o->exact, "example", ex));
	}
	return arr;
}

int report_print_path(FILE *f, const gl_analysis *a, const gl_path *p, size_t holder_at, int indent)
{
	gl_step *st;
	size_t ns;
	if (!p->len) {
		fprintf(f, "%*sno root reaches it: it is garbage a collection would free "
			   "(see graphleak cycles)\n", indent, "");
		return 0;
	}
	if (gl_chain_steps(a, p, &st, &ns) < 0)
		return -1;
	/* the descriptions start in one column: step labels are indented by 2
	 * under the root's */
	size_t w = 0;
	for (size_t i = 0; i < ns; i++) {
		size_t l = strlen(gl_sb_str(&st[i].label)) + (i ? 2 : 0);
		if (l > w)
			w = l;
	}
	if (w > 50)
		w = 50;
	for (size_t i = 0; i < ns; i++) {
		gl_sb d = {0};
		uint32_t id = p->ids[st[i].at];
		gl_describe_obj(a->s, id, &d);
		if ((a->done & GL_AN_DOM) && a->retained[id] > a->s->size[id]) {
			char n1[GL_FMT_BUF];
			gl_sb_printf(&d, ", retains %s", gl_fmt_bytes(n1, a->retained[id]));
		}
		int pad = (int)(i ? w - 2 : w);
		int is_holder = st[i].at >= holder_at && (i == 0 || st[i - 1].at < holder_at);
		fprintf(f, "%*s%-*s  %s%s\n", indent + (i ? 2 : 0), "", pad, gl_sb_str(&st[i].label),
			gl_sb_str(&d), is_holder ? "   <- holder" : "");
		gl_sb_free(&d);
	}
	gl_steps_free(st, ns);
	return 0;
}

int report_print_chain(FILE *f, const gl_analysis *a, uint32_t target, int indent)
{
	gl_path p;
	if (gl_chain(a, target, &p) < 0)
		return -1;
	gl_holder h;
	if (gl_holder_find(a, &p, &h) < 0) {
		gl_path_free(&p);
		return -1;
	}
	int rc = report_print_path(f, a, &p, h.at, indent);
	gl_holder_free(&h);
	gl_path_free(&p);
	return rc;
}

int report_holds(const gl_analysis *a, const uint32_t *ids, size_t n, size_t max, gl_holds *hs)
{
	gl_err err;
	gl_err_clear(&err);
	if (gl_holds_find(a, ids, n, max, hs, &err) < 0) {
		fprintf(stderr, "graphleak: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int cmp_mix(const void *x, const void *y)
{
	const report_mix *a = x, *b = y;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->type < b->type ? -1 : a->type > b->type;
}

int report_type_mix(const gl_snap *s, const uint32_t *ids, size_t n, report_mix **out, size_t *nout)
{
	uint64_t *cnt = gl_calloc_array(s->n_strings, sizeof *cnt);
	uint64_t *sz = gl_calloc_array(s->n_strings, sizeof *sz);
	size_t rows = 0;
	report_mix *m = NULL;
	int rc = -1;
	if (!cnt || !sz)
		goto done;
	for (size_t i = 0; i < n; i++) {
		rows += cnt[s->type[ids[i]]] == 0;
		cnt[s->type[ids[i]]]++;
		sz[s->type[ids[i]]] += s->size[ids[i]];
	}
	m = gl_alloc_array(rows ? rows : 1, sizeof *m);
	if (!m)
		goto done;
	rows = 0;
	for (uint32_t t = 0; t < s->n_strings; t++)
		if (cnt[t])
			m[rows++] = (report_mix){t, cnt[t], sz[t]};
	gl_sort(m, rows, sizeof *m, cmp_mix);
	*out = m;
	*nout = rows;
	rc = 0;
done:
	free(cnt), free(sz);
	return rc;
}

json_t *report_mix_json(const gl_snap *s, const report_mix *m, size_t n, size_t max)
{
	json_t *a = json_array();
	for (size_t k = 0; k < n && k < max; k++) {
		size_t tl;
		const char *t = gl_snap_str(s, m[k].type, &tl);
		json_array_append_new(a, json_pack("{s:s%, s:I, s:I}", "type", t, tl, "count",
						   (json_int_t)m[k].count, "size", (json_int_t)m[k].size));
	}
	return a;
}

void report_mix_text(FILE *f, const gl_snap *s, const report_mix *m, size_t n, size_t max)
{
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF];
	for (size_t k = 0; k < n && k < max; k++) {
		gl_sb tn = {0};
		size_t tl;
		const char *t = gl_snap_str(s, m[k].type, &tl);
		gl_sb_escaped(&tn, (const unsigned char *)t, tl, 0, 0);
		fprintf(f, "%s %s %s %s", k ? "," : "", gl_fmt_count(n1, m[k].count), gl_sb_str(&tn),
			gl_fmt_bytes(n2, m[k].size));
		gl_sb_free(&tn);
	}
	if (n > max)
		fputs(", ...", f);
}

typedef struct {
	const gl_snap *s;
	const unsigned char *is_type;
	int unqualified; /* compare with the part after the last dot */
	gl_sb buf;
} type_cands;

static const char *type_cand(size_t i, void *ctx)
{
	type_cands *t = ctx;
	if (!t->is_type[i])
		return NULL;
	size_t len;
	const char *name = gl_snap_str(t->s, (uint32_t)i, &len);
	if (t->unqualified) {
		const char *dot = memrchr(name, '.', len);
		if (dot) {
			len -= (size_t)(dot + 1 - name);
			name = dot + 1;
		}
	}
	gl_sb_clear(&t->buf);
	gl_sb_append(&t->buf, name, len);
	return gl_sb_str(&t->buf);
}

void report_no_type(const char *cmd, const gl_snap *s, const char *path, const char *name)
{
	unsigned char *is_type = calloc(s->n_strings ? s->n_strings : 1, 1);
	const char *best = NULL;
	char *copy = NULL;
	if (is_type) {
		for (uint32_t v = 0; v < s->n_objects; v++)
			if (s->type[v] < s->n_strings)
				is_type[s->type[v]] = 1;
		type_cands t = {s, is_type, strchr(name, '.') == NULL, {0}};
		long k = cli_suggest(name, s->n_strings, type_cand, &t);
		if (k >= 0 && (best = type_cand((size_t)k, &t)))
			copy = strdup(best);
		gl_sb_free(&t.buf);
		free(is_type);
	}
	if (copy)
		fprintf(stderr, "graphleak %s: %s: no object of type '%s'; did you mean '%s'? (graphleak top %s lists "
				"the types)\n", cmd, path, name, copy, path);
	else
		fprintf(stderr, "graphleak %s: %s: no object of type '%s' (graphleak top %s lists the types)\n", cmd,
			path, name, path);
	free(copy);
}

/* 1 if the type name (p, len) is `name`: equal, or "builtins." + it. */
static int type_full_match(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len == n && memcmp(p, name, n) == 0)
		return 1;
	return n == len + 9 && strncmp(name, "builtins.", 9) == 0 && memcmp(p, name + 9, len) == 0;
}

/* 1 if the type name (p, len) ends in "." + name. */
static int type_last_match(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && p[len - n - 1] == '.' && memcmp(p + len - n, name, n) == 0;
}

int report_find_type(const char *cmd, const gl_snap *s, const char *path, const char *name, uint32_t *sid)
{
	uint64_t *count = gl_calloc_array(s->n_strings ? s->n_strings : 1, sizeof *count);
	if (!count) {
		fprintf(stderr, "graphleak %s: out of memory\n", cmd);
		return GL_EXIT_FAIL;
	}
	for (uint32_t v = 0; v < s->n_objects; v++)
		if (s->type[v] < s->n_strings)
			count[s->type[v]]++;
	uint32_t full = GL_NONE, nlast = 0, last = GL_NONE;
	for (uint32_t t = 0; t < s->n_strings; t++) {
		if (!count[t])
			continue;
		size_t len;
		const char *p = gl_snap_str(s, t, &len);
		if (type_full_match(p, len, name))
			full = t;
		else if (type_last_match(p, len, name)) {
			nlast++;
			last = t;
		}
	}
	if (full != GL_NONE || nlast == 1) {
		*sid = full != GL_NONE ? full : last;
		free(count);
		return GL_EXIT_OK;
	}
	if (nlast == 0) {
		free(count);
		report_no_type(cmd, s, path, name);
		return GL_EXIT_FAIL;
	}
	/* several types end in the name: say which there are */
	fprintf(stderr, "graphleak %s: %s: '%s' names %u types; give the full name:", cmd, path, name, nlast);
	unsigned shown = 0;
	for (uint32_t t = 0; t < s->n_strings; t++) {
		size_t len;
		const char *p = gl_snap_str(s, t, &len);
		if (!count[t] || !type_last_match(p, len, name))
			continue;
		if (shown == 12) {
			fprintf(stderr, "\n  ... and %u more", nlast - shown);
			break;
		}
		gl_sb b = {0};
		char n1[GL_FMT_BUF];
		gl_sb_escaped(&b, (const unsigned char *)p, len, 0, 0);
		fprintf(stderr, "\n  %s (%s object%s)", gl_sb_str(&b), gl_fmt_count(n1, count[t]),
			count[t] == 1 ? "" : "s");
		gl_sb_free(&b);
		shown++;
	}
	fputc('\n', stderr);
	free(count);
	return GL_EXIT_FAIL;
}
