/*
 * cmd_report.c - `graphleak report`: one self-contained HTML page for a bug
 * report: the process and its memory, the suspects with their holders,
 * chains and pictures, the types, the cycles, the growth across snapshots
 * and the allocation sites.
 *
 * The page is made of what the commands' --json print (collect.h), so it
 * says what they say, gathered into one JSON document that the page's own
 * script (report_page.js, embedded by the build) lays out with textContent
 * only. Heap text never reaches the page as markup:
 *   - every string of the document goes through gl_sb_escaped first, so
 *     control characters, invalid UTF-8 and bidirectional overrides show as
 *     \xNN and cannot reorder what is around them;
 *   - the document sits in <script type="application/json">, written with
 *     every non-ASCII character, '<', '>' and '&' as \uXXXX, so no text of
 *     it can close the element;
 *   - the Content-Security-Policy lets only the page's own script and style
 *     (named by their SHA-256) run, and images only from data: URLs;
 *   - the pictures are Graphviz's SVG (its labels escaped by render/) as
 *     data: URLs in <img>, which cannot run scripts.
 * The page needs no network and opens from disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "cycles.h"
#include "growth.h"
#include "humanfmt.h"
#include "memory.h"
#include "progress.h"
#include "render.h"
#include "report.h"
#include "sites.h"
#include "subgraph.h"
#include "typestats.h"

/* the page's script and style (cmake/embed.cmake) */
extern const char gl_report_page_js[], gl_report_page_js_sha256[];
extern const size_t gl_report_page_js_len;
extern const char gl_report_page_css[], gl_report_page_css_sha256[];
extern const size_t gl_report_page_css_len;

static const char report_usage[] =
	"usage: graphleak report SNAP [SNAP...] [-o FILE] [--min-share P] [--limit N] [--redact]\n"
	"\n"
	"Writes one HTML page to share or attach to a bug report: the process and\n"
	"where its memory is, the leak suspects (each with every holder, the chain\n"
	"to it, what it retains, where it was allocated and a picture), the types\n"
	"(a table to sort and filter, with retained bytes), the cycles grouped by\n"
	"shape, and with several snapshots of one process, oldest first, what grew:\n"
	"bytes per type as a chart and the growing containers. The file is\n"
	"self-contained (no network, opens from disk) and shows heap text as text:\n"
	"a key such as </script> is displayed, never run.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE  the page to write (default: the last snapshot's name\n"
	"                     with .html); replaced if it exists\n"
	"  --min-share P      suspects retain at least P of the heap: 5%, 5 or\n"
	"                     0.05 all mean five percent (default 5%)\n"
	"  -n, --limit N      at most N suspects, each with a picture (default 10;\n"
	"                     0: all)\n"
	"  --redact           show str and bytes values as length + hash, and the\n"
	"                     program's arguments as <redacted> (names stay)\n"
	"  -h, --help         show this help\n"
	"\n"
	"examples:\n"
	"  graphleak report app.snap -o app.html\n"
	"  graphleak report t0.snap t1.snap t2.snap -o growth.html --redact\n";

/* The types table lists at most this many types, the rest as one line. */
#define REPORT_TYPES 2000
/* Pictures: holders drawn per suspect, and the objects of the others. */
#define REPORT_HOLDERS 8
#define REPORT_DEPTH 20
#define REPORT_MAX_OBJECTS 3

/* standard base64 of p[0..n) appended to b */
static void base64(gl_sb *b, const unsigned char *p, size_t n)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = A[v >> 18 & 63];
		q[1] = A[v >> 12 & 63];
		q[2] = i + 1 < n ? A[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? A[v & 63] : '=';
		gl_sb_append(b, q, 4);
	}
}

/* "'sha256-BASE64'" for a digest given in hex, as CSP wants it */
static void csp_hash(gl_sb *b, const char *hex)
{
	unsigned char d[32];
	for (size_t i = 0; i < sizeof d; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			v = 0;
		d[i] = (unsigned char)v;
	}
	gl_sb_puts(b, "'sha256-");
	base64(b, d, sizeof d);
	gl_sb_puts(b, "'");
}

/*
 * Every string in the document as the terminal output shows it (strbuf.h:
 * gl_sb_escaped): what words/ wrote is unchanged, what came raw from the
 * snapshot (type names, the header's argv and file names) loses its control
 * characters and bidirectional overrides. The document is ours: its depth is
 * a handful of levels, whatever the heap.
 */
static int sanitize(json_t *j)
{
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			if (sanitize(v) < 0)
				return -1;
	} else if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			if (sanitize(json_array_get(j, i)) < 0)
				return -1;
	} else if (json_is_string(j)) {
		const char *p = json_string_value(j);
		size_t n = json_string_length(j);
		int plain = 1;
		for (size_t i = 0; i < n && plain; i++)
			plain = (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f;
		if (plain)
			return 0;
		gl_sb b = {0};
		gl_sb_escaped(&b, (const unsigned char *)p, n, 0, 0);
		int rc = gl_sb_failed(&b) || json_string_setn(j, b.s ? b.s : "", b.len) < 0 ? -1 : 0;
		gl_sb_free(&b);
		return rc;
	}
	return 0;
}

/* The header's facts about the process, for the page's first section. */
static json_t *process_json(const gl_snap *s, int redact)
{
	json_t *h = redact ? gl_header_redacted(s->header) : json_incref(s->header);
	if (!h)
		return NULL;
	json_t *p = json_object();
	const json_t *py = json_object_get(h, "python");
	char ver[64];
	gl_py_version(s, ver, sizeof ver);
	json_object_set_new(p, "python", json_string(ver));
	json_object_set(p, "executable", json_object_get(py, "executable"));
	json_object_set(p, "pid", json_object_get(h, "pid"));
	json_object_set(p, "time", json_object_get(h, "time"));
	json_object_set(p, "argv", json_object_get(h, "argv"));
	json_object_set_new(p, "gc", json_string(gl_gc_state_words(s)));
	json_t *threads = json_array();
	const json_t *t;
	size_t i;
	json_array_foreach(json_object_get(h, "threads"), i, t) {
		json_t *frames = json_array();
		const json_t *f;
		size_t k;
		json_array_foreach(json_object_get(t, "frames"), k, f) {
			if (json_is_true(json_object_get(f, "graphleak")))
				continue; /* graphleak's own frames: not the program's */
			json_array_append_new(frames, json_pack("{s:O?, s:O?, s:O?}", "function", json_object_get(f, "function"),
								"file", json_object_get(f, "file"), "line",
								json_object_get(f, "line")));
		}
		json_array_append_new(threads, json_pack("{s:O?, s:o}", "name", json_object_get(t, "name"), "frames", frames));
	}
	json_object_set_new(p, "threads", threads);
	json_decref(h);
	return p;
}

/* The length in CSS pixels of the attribute name="N[pt|px]" in the SVG's
 * root tag (s, n bytes), or 0 when it is absent or not a plain length. */
static long svg_length(const char *s, size_t n, const char *name)
{
	const char *root = NULL;
	for (size_t i = 0; i + 4 <= n && !root; i++)
		if (memcmp(s + i, "<svg", 4) == 0)
			root = s + i;
	if (!root)
		return 0;
	const char *end = memchr(root, '>', n - (size_t)(root - s));
	if (!end)
		return 0;
	size_t nl = strlen(name);
	for (const char *p = root; p + nl + 3 < end; p++) {
		if ((p[0] != ' ' && p[0] != '\n' && p[0] != '\t') || memcmp(p + 1, name, nl) != 0 ||
		    memcmp(p + 1 + nl, "=\"", 2) != 0)
			continue;
		double v = 0, scale = 1;
		int digits = 0;
		const char *q = p + 3 + nl;
		for (; q < end && *q >= '0' && *q <= '9'; q++, digits++)
			v = v * 10 + (*q - '0');
		if (q < end && *q == '.')
			for (q++; q < end && *q >= '0' && *q <= '9'; q++, digits++)
				v += (*q - '0') * (scale /= 10);
		if (!digits || v > 1e6)
			return 0;
		if (q + 2 <= end && memcmp(q, "pt", 2) == 0) {
			v = v * 4 / 3; /* CSS: 1pt is 4/3 px */
			q += 2;
		} else if (q + 2 <= end && memcmp(q, "px", 2) == 0) {
			q += 2;
		}
		return q < end && *q == '"' ? (long)(v + 0.5) : 0;
	}
	return 0;
}

/* The picture sg as {"src": an SVG data: URL, "width", "height" (its size in
 * CSS pixels, when the SVG says it: the page reserves the room, so nothing
 * moves as the pictures decode)}, or NULL (the message printed). */
static json_t *picture(gl_renderer *r, const gl_analysis *a, const gl_subgraph *sg, const char *title)
{
	gl_err err;
	gl_err_clear(&err);
	gl_render_opts ro = {title, NULL, NULL};
	char *data = NULL;
	size_t len = 0;
	if (gl_render_draw(r, a, sg, &ro, "svg", &data, &len, &err) < 0) {
		fprintf(stderr, "graphleak report: a picture: %s\n", err.msg);
		return NULL;
	}
	gl_sb b = {0};
	gl_sb_puts(&b, "data:image/svg+xml;base64,");
	base64(&b, (const unsigned char *)data, len);
	long w = svg_length(data, len, "width"), h = svg_length(data, len, "height");
	free(data);
	json_t *j = gl_sb_failed(&b) ? NULL : json_pack("{s:s%}", "src", b.s, b.len);
	if (j && w > 0 && h > 0 && (json_object_set_new(j, "width", json_integer(w)) < 0 ||
				    json_object_set_new(j, "height", json_integer(h)) < 0)) {
		json_decref(j);
		j = NULL;
	}
	gl_sb_free(&b);
	return j;
}

/* Each suspect's holders drawn, into its "picture" (ids: the suspects' ids, in
 * their order). 0, or -1 (out of memory). */
static int suspect_pictures(gl_renderer *r, const gl_analysis *a, json_t *suspects, const uint32_t *ids)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(suspects, "suspects"), i, x) {
		uint32_t id = ids[i];
		gl_subgraph sg;
		gl_sg_init(&sg);
		uint32_t u = GL_NONE;
		int rc = gl_sg_add_holders(&sg, a, id, REPORT_HOLDERS, REPORT_DEPTH, &u, NULL);
		if (rc == 0 && u != GL_NONE) {
			sg.nodes.v[u].roles |= GL_SG_TARGET;
			rc = gl_sg_collapse_siblings(&sg, a);
		}
		gl_sb title = {0}, d = {0};
		gl_describe_obj(a->s, id, &d);
		gl_sb_printf(&title, "Who holds %s at 0x%llx", gl_sb_str(&d), (unsigned long long)a->s->addr[id]);
		json_t *pic = rc == 0 ? picture(r, a, &sg, gl_sb_str(&title)) : NULL;
		gl_sb_free(&title);
		gl_sb_free(&d);
		gl_sg_free(&sg);
		if (rc < 0)
			return -1;
		if (pic)
			json_object_set_new(x, "picture", pic);
	}
	return 0;
}

/* The page: the JSON document written so that nothing in it ends its element. */
static int page(gl_sb *b, const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		return -1;
	gl_sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src ");
	csp_hash(b, gl_report_page_css_sha256);
	gl_sb_puts(b, "; script-src ");
	csp_hash(b, gl_report_page_js_sha256);
	gl_sb_puts(b, "\">\n<title>graphleak report</title>\n<style>");
	gl_sb_append(b, gl_report_page_css, gl_report_page_css_len);
	gl_sb_puts(b, "</style>\n</head>\n<body>\n<noscript><p>This report is laid out by its own script: "
		      "allow JavaScript for this file, or read the same findings with graphleak suspects, top, "
		      "cycles and growth.</p></noscript>\n<main id=\"app\"></main>\n"
		      "<script type=\"application/json\" id=\"graphleak-data\">");
	/* ASCII already; these three only ever occur inside JSON strings */
	for (const char *p = text; *p; p++) {
		if (*p == '<')
			gl_sb_puts(b, "\\u003c");
		else if (*p == '>')
			gl_sb_puts(b, "\\u003e");
		else if (*p == '&')
			gl_sb_puts(b, "\\u0026");
		else
			gl_sb_append(b, p, 1);
	}
	free(text);
	gl_sb_puts(b, "</script>\n<script>");
	gl_sb_append(b, gl_report_page_js, gl_report_page_js_len);
	gl_sb_puts(b, "</script>\n</body>\n</html>\n");
	return gl_sb_failed(b) ? -1 : 0;
}

/* The default output: the snapshot's name with .html for .snap. */
static void default_output(gl_sb *b, const char *snap)
{
	const char *slash = strrchr(snap, '/');
	const char *dot = strrchr(snap, '.');
	size_t n = dot && (!slash || dot > slash) && strcmp(dot, ".snap") == 0 ? (size_t)(dot - snap) : strlen(snap);
	gl_sb_append(b, snap, n);
	gl_sb_puts(b, ".html");
}

/* The directory of path can take a new file: else prints why, returns 1. */
static int check_output(const char *path)
{
	const char *slash = strrchr(path, '/');
	gl_sb dir = {0};
	if (!slash)
		gl_sb_puts(&dir, ".");
	else if (slash == path)
		gl_sb_puts(&dir, "/");
	else
		gl_sb_append(&dir, path, (size_t)(slash - path));
	int rc = 0;
	if (gl_sb_failed(&dir) || access(gl_sb_str(&dir), W_OK) != 0) {
		fprintf(stderr, "graphleak report: cannot write %s: %s: %s\n", path, gl_sb_str(&dir), strerror(errno));
		rc = 1;
	}
	gl_sb_free(&dir);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	const char *paths[GL_GROWTH_MAX_SNAPS + 1];
	const char *outp = NULL;
	int redact = 0;
	double share = 0.05;
	uint64_t limit = 10;
	const cli_opt opts[] = {
		CLI_OUTPUT(&outp, "FILE"),
		{"min-share", 0, CLI_SHARE, &share, "P", NULL},
		CLI_LIMIT(&limit),
		CLI_REDACT(&redact),
		{0}};
	cli_args ca = {.cmd = "report", .usage = report_usage, .opts = opts, .pos = paths,
		       .max_pos = GL_GROWTH_MAX_SNAPS};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	size_t n = (size_t)ca.npos;
	if (n == 0)
		return cli_usage_error("report", "no snapshot given");
	if (limit == 0)
		limit = UINT64_MAX;
	if (n > 1 && report_sort_by_time(paths, n))
		return GL_EXIT_FAIL;
	const char *snap = paths[n - 1];
	gl_sb outname = {0};
	if (!outp || strcmp(outp, "-") == 0) {
		if (outp)
			return cli_usage_error("report", "the page is written to a file: give -o FILE");
		default_output(&outname, snap);
		outp = gl_sb_str(&outname);
	}
	if (check_output(outp)) {
		gl_sb_free(&outname);
		return GL_EXIT_FAIL;
	}

	double t0 = gl_now();
	gl_snap *s = NULL;
	gl_analysis a;
	gl_growth g;
	int grown = n > 1;
	json_t *snaps = json_array();
	json_t *doc = json_object();
	gl_renderer *r = NULL;
	gl_typestat *rows = NULL;
	uint64_t *retained = NULL;
	uint32_t *suspect_ids = NULL;
	gl_sb html = {0};
	int rc = GL_EXIT_FAIL;
	if (!snaps || !doc)
		goto oom;
	if (grown) {
		/* the last snapshot stays loaded, the others are compared and freed */
		if (report_growth(paths, n, 256 * 1024, 100, redact, &s, &a, &g, snaps)) {
			s = NULL;
			grown = 0;
			goto done;
		}
		gl_err err;
		gl_err_clear(&err);
		if (gl_analysis_run(&a, s, GL_AN_SCC, &err) < 0) {
			fprintf(stderr, "graphleak report: %s: %s\n", snap, err.msg);
			goto done;
		}
	} else {
		if (report_open(snap, GL_AN_ALL, redact, &s, &a)) {
			s = NULL;
			goto done;
		}
		json_array_append_new(snaps, json_pack("{s:s}", "path", snap));
	}

	gl_progress pr;
	gl_progress_begin(&pr, "report");
	uint64_t step = 0, steps = 6;
	json_object_set_new(doc, "schema", json_string("graphleak.report/1"));
	json_object_set_new(doc, "version", json_string(GRAPHLEAK_VERSION));
	json_object_set_new(doc, "redacted", json_boolean(redact));
	json_object_set(doc, "snapshots", snaps);
	json_object_set_new(doc, "process", process_json(s, redact));
	json_object_set_new(doc, "heap", json_pack("{s:I, s:I, s:I}", "objects", (json_int_t)s->n_objects, "edges",
						   (json_int_t)s->n_edges, "size", (json_int_t)a.retained[s->n_objects]));
	gl_memory m;
	gl_memory_from(&m, s->header, s->footer);
	json_object_set_new(doc, "memory", gl_memory_json(&m));
	json_t *labels = json_object();
	for (int i = 0; i < GL_MEM_N; i++)
		json_object_set_new(labels, gl_memory_part_key(i), json_string(gl_memory_part_name(i)));
	json_object_set_new(doc, "memory_labels", labels);
	const char *why = gl_sites_missing(s);
	json_object_set_new(doc, "sites_note", why ? json_string(why) : json_null());
	gl_progress_update(&pr, ++step, steps);

	json_t *j = NULL;
	if (suspects_collect(&a, snap, share * 100.0, limit, &j, &suspect_ids) != GL_EXIT_OK || !j)
		goto oom_progress;
	json_object_set_new(doc, "suspects", j);
	gl_progress_update(&pr, ++step, steps);

	uint32_t ntypes;
	gl_err err;
	gl_err_clear(&err);
	retained = gl_alloc_array(s->n_strings, sizeof *retained);
	if (!retained || gl_type_retained(&a, retained) < 0 || gl_typestats(s, 0, &rows, &ntypes, &err) < 0)
		goto oom_progress;
	json_object_set_new(doc, "types",
			    top_json(s, rows, ntypes, ntypes < REPORT_TYPES ? ntypes : REPORT_TYPES, 0, retained));
	gl_progress_update(&pr, ++step, steps);

	j = NULL;
	if (cycles_collect(&a, snap, 5, &j) != GL_EXIT_OK || !j)
		goto oom_progress;
	json_object_set_new(doc, "cycles", j);
	gl_progress_update(&pr, ++step, steps);

	if (grown) {
		gl_mem_growth mg;
		growth_memory(paths[0], s, &mg);
		json_object_set_new(doc, "growth", growth_json(paths, snaps, n, &g, 10, &mg));
	} else {
		json_object_set_new(doc, "growth", json_null());
	}
	gl_progress_update(&pr, ++step, steps);

	/* the pictures: each suspect's holders, the cycles, what grew */
	gl_err_clear(&err);
	r = gl_render_new(&err);
	if (!r) {
		gl_progress_end(&pr);
		fprintf(stderr, "graphleak report: %s\n", err.msg);
		goto done;
	}
	if (suspect_pictures(r, &a, json_object_get(doc, "suspects"), suspect_ids) < 0)
		goto oom_progress;
	json_t *cyc = json_object_get(doc, "cycles");
	if (json_integer_value(json_object_get(json_object_get(cyc, "garbage"), "objects")) > 0 ||
	    json_integer_value(json_object_get(cyc, "finalizer_cycles_total")) > 0) {
		gl_subgraph sg;
		gl_sg_init(&sg);
		int off = gl_gc_is_off(s);
		if (gl_sg_cycles(&sg, &a, REPORT_MAX_OBJECTS, off, gl_py_version(s, NULL, 0)) < 0) {
			gl_sg_free(&sg);
			goto oom_progress;
		}
		json_t *pic = picture(r, &a, &sg, "Reference cycles: the biggest with __del__, then the biggest garbage");
		if (pic)
			json_object_set_new(doc, "cycles_picture", pic);
		gl_sg_free(&sg);
	}
	if (grown && g.ngrowers) {
		gl_subgraph sg;
		gl_sg_init(&sg);
		if (gl_sg_growth(&sg, &a, &g, REPORT_MAX_OBJECTS, REPORT_DEPTH) < 0) {
			gl_sg_free(&sg);
			goto oom_progress;
		}
		json_t *pic = picture(r, &a, &sg, "What keeps growing");
		if (pic)
			json_object_set_new(doc, "growth_picture", pic);
		gl_sg_free(&sg);
	}
	gl_progress_update(&pr, ++step, steps);
	gl_progress_end(&pr);

	if (sanitize(doc) < 0 || page(&html, doc) < 0)
		goto oom;
	gl_err_clear(&err);
	if (gl_render_write(outp, html.s, html.len, &err) < 0) {
		fprintf(stderr, "graphleak report: %s\n", err.msg);
		goto done;
	}
	cli_timing("report", t0);
	char n1[GL_FMT_BUF];
	size_t nsus = json_array_size(json_object_get(json_object_get(doc, "suspects"), "suspects"));
	printf("graphleak: wrote %s (%s, %zu suspect%s%s)\n", outp, gl_fmt_bytes(n1, html.len), nsus,
	       nsus == 1 ? "" : "s", grown ? ", growth across the snapshots" : "");
	rc = GL_EXIT_OK;
	goto done;
oom_progress:
	gl_progress_end(&pr);
oom:
	fprintf(stderr, "graphleak report: out of memory\n");
done:
	gl_sb_free(&html);
	gl_sb_free(&outname);
	free(rows);
	free(retained);
	free(suspect_ids);
	if (r)
		gl_render_free(r);
	json_decref(doc);
	json_decref(snaps);
	if (grown)
		gl_growth_free(&g);
	if (s)
		report_close(s, &a);
	return rc;
}
