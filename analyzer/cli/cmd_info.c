/*
 * cmd_info.c - `graphleak info`: the snapshot's header and footer, readable.
 * The header's fields are shown when present and of the expected type;
 * anything else is skipped (a snapshot from another producer may omit them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "humanfmt.h"
#include "memory.h"

static const char info_usage[] =
	"usage: graphleak info SNAP [--redact] [--json]\n"
	"\n"
	"Shows what a snapshot is of: the Python version and executable, the\n"
	"process (pid, argv, time, RSS), the collector's state, every thread with\n"
	"its frames (innermost first), and the totals (objects, edges, bytes, and\n"
	"how long the target was paused).\n"
	"\n"
	"options:\n"
	"  --json      print {\"file\", \"format_version\", \"counts\", \"header\", \"footer\"}\n"
	"  --redact    leave out the program's arguments (they may hold secrets)\n"
	"  -h, --help  show this help\n"
	"\n"
	"example:\n"
	"  graphleak info app.snap\n";

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jint(const json_t *o, const char *k, json_int_t *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return 0;
	*out = json_integer_value(v);
	return 1;
}

static int jnum(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

/* An array of integers as "a/b/c", or "" if it is not one. */
static void int_list(char *buf, size_t len, const json_t *a)
{
	buf[0] = '\0';
	if (!json_is_array(a))
		return;
	size_t i, o = 0;
	json_t *v;
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || o >= len)
			break;
		int n = snprintf(buf + o, len - o, "%s%" JSON_INTEGER_FORMAT, i ? "/" : "", json_integer_value(v));
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

#define ROW(label) printf("%-11s ", label)

static void print_threads(const json_t *threads)
{
	if (!json_is_array(threads))
		return;
	printf("\nthreads (%zu)\n", json_array_size(threads));
	size_t i;
	json_t *t;
	json_array_foreach(threads, i, t) {
		if (!json_is_object(t))
			continue;
		const char *name = jstr(t, "name");
		json_int_t ident = 0, native = 0;
		printf("  %s", name ? name : "(unnamed)");
		int has_ident = jint(t, "ident", &ident), has_native = jint(t, "native_id", &native);
		if (has_ident || has_native) {
			printf(" (");
			if (has_ident)
				printf("ident %" JSON_INTEGER_FORMAT, ident);
			if (has_native)
				printf("%snative id %" JSON_INTEGER_FORMAT, has_ident ? ", " : "", native);
			printf(")");
		}
		if (json_is_true(json_object_get(t, "main")))
			printf(" main");
		if (json_is_true(json_object_get(t, "current")))
			printf(" current (took the snapshot)");
		printf("\n");
		json_t *frames = json_object_get(t, "frames");
		if (!json_is_array(frames) || json_array_size(frames) == 0) {
			printf("    (no Python frames)\n");
			continue;
		}
		size_t j;
		json_t *f;
		json_array_foreach(frames, j, f) {
			const char *fn = jstr(f, "qualname");
			if (!fn)
				fn = jstr(f, "function");
			const char *file = jstr(f, "file");
			json_int_t line = 0;
			printf("    #%-2zu %s", j, fn ? fn : "?");
			if (file) {
				printf("  %s", file);
				if (jint(f, "line", &line))
					printf(":%" JSON_INTEGER_FORMAT, line);
			}
			printf("\n");
		}
	}
}

static void print_text(const gl_snap *s)
{
	const json_t *h = s->header, *f = s->footer;
	char b1[GL_FMT_BUF], b2[GL_FMT_BUF], b3[GL_FMT_BUF];
	const char *v;
	json_int_t n;
	double d;

	ROW("snapshot");
	printf("%s (format %u.%u, %s)\n", s->path, s->major, s->minor, gl_fmt_bytes(b1, s->file_size));
	if ((v = jstr(h, "producer")))
		ROW("producer"), printf("%s\n", v);
	const json_t *py = json_object_get(h, "python");
	if (json_is_object(py)) {
		ROW("python");
		const char *ver = jstr(py, "version"), *impl = jstr(py, "implementation");
		printf("%s", ver ? ver : "?");
		if (impl)
			printf(" (%s)", impl);
		printf("\n");
		if ((v = jstr(py, "executable")))
			ROW("executable"), printf("%s\n", v);
	}
	if (jint(h, "pid", &n)) {
		ROW("process");
		printf("pid %" JSON_INTEGER_FORMAT, n);
		if (jint(h, "ppid", &n))
			printf(", ppid %" JSON_INTEGER_FORMAT, n);
		if (jint(h, "uid", &n))
			printf(", uid %" JSON_INTEGER_FORMAT, n);
		printf("\n");
	}
	const json_t *argv = json_object_get(h, "argv");
	if (json_is_array(argv)) {
		ROW("argv");
		size_t i;
		json_t *a;
		json_array_foreach(argv, i, a) {
			const char *t = json_is_string(a) ? json_string_value(a) : "?";
			int plain = *t && strcspn(t, " \t\n'\"\\$`") == strlen(t);
			printf(plain ? "%s%s" : "%s'%s'", i ? " " : "", t);
		}
		printf("\n");
	}
	if ((v = jstr(h, "time")))
		ROW("time"), printf("%s\n", v);
	if (jint(h, "rss_bytes", &n) && n >= 0)
		ROW("rss"), printf("%s (%s bytes)\n", gl_fmt_bytes(b1, (uint64_t)n), gl_fmt_count(b2, (uint64_t)n));
	gl_memory mem;
	gl_memory_from(&mem, h, s->footer);
	if (mem.known) {
		char b4[GL_FMT_BUF], b5[GL_FMT_BUF];
		ROW("memory");
		printf("objects %s, native %s, allocators' free space %s, files %s, other %s\n",
		       gl_fmt_bytes(b1, (uint64_t)mem.part[GL_MEM_OBJECTS]), gl_fmt_bytes(b2, (uint64_t)mem.part[GL_MEM_NATIVE]),
		       gl_fmt_bytes(b3, (uint64_t)(mem.part[GL_MEM_PY_FREE] + mem.part[GL_MEM_C_FREE])),
		       gl_fmt_bytes(b4, (uint64_t)mem.part[GL_MEM_FILE]), gl_fmt_bytes(b5, (uint64_t)mem.part[GL_MEM_OTHER]));
		ROW("");
		printf("(graphleak memory %s: what each is)\n", s->path);
	}
	const json_t *gc = json_object_get(h, "gc");
	if (json_is_object(gc)) {
		char th[96], co[96];
		ROW("gc");
		const json_t *en = json_object_get(gc, "enabled");
		printf("%s", json_is_boolean(en) ? (json_is_true(en) ? "enabled" : "DISABLED") : "?");
		int_list(th, sizeof th, json_object_get(gc, "thresholds"));
		int_list(co, sizeof co, json_object_get(gc, "counts"));
		if (*th)
			printf(", thresholds %s", th);
		if (*co)
			printf(", counts %s", co);
		if (jint(gc, "garbage", &n))
			printf(", gc.garbage %" JSON_INTEGER_FORMAT, n);
		if (json_is_true(json_object_get(gc, "collected")))
			printf(", collected before the snapshot");
		printf("\n");
	}
	const json_t *opt = json_object_get(h, "options");
	if (json_is_object(opt) && json_is_boolean(json_object_get(opt, "values"))) {
		ROW("values");
		printf("%s\n", json_is_true(json_object_get(opt, "values"))
				       ? "recorded (previews of str, bytes, int, float)"
				       : "withheld (no str/bytes/int/float previews but names: interned identifiers)");
	}

	printf("\n");
	/* from the END counts and the footer: info reads no object */
	json_int_t tracked = 0, bytes = 0;
	ROW("objects");
	if (jint(f, "tracked", &tracked) && tracked >= 0 && (uint64_t)tracked <= s->n_objects)
		printf("%s (%s gc-tracked, %s untracked)\n", gl_fmt_count(b1, s->n_objects),
		       gl_fmt_count(b2, (uint64_t)tracked), gl_fmt_count(b3, s->n_objects - (uint64_t)tracked));
	else
		printf("%s\n", gl_fmt_count(b1, s->n_objects));
	ROW("edges");
	printf("%s\n", gl_fmt_count(b1, s->n_edges));
	if (jint(f, "bytes", &bytes) && bytes >= 0) {
		ROW("bytes");
		printf("%s (%s)\n", gl_fmt_bytes(b1, (uint64_t)bytes), gl_fmt_count(b2, (uint64_t)bytes));
	}
	ROW("strings");
	printf("%s", gl_fmt_count(b1, s->n_strings));
	if (jint(f, "strings_dropped", &n) && n > 0)
		printf(" (%" JSON_INTEGER_FORMAT " dropped: the string table was full)", n);
	printf("\n");
	if (jnum(f, "pause_seconds", &d)) {
		ROW("pause");
		printf("%.3f s", d);
		const char *mode = json_string_value(json_object_get(f, "mode"));
		int forked = mode && strcmp(mode, "fork") == 0;
		if (jnum(f, "walk_seconds", &d))
			printf(forked ? " (then a copy-on-write child walked for %.3f s)" : " (walk %.3f s)", d);
		if (jint(f, "shim_peak_bytes", &n) && n >= 0)
			printf(", shim memory peak %s", gl_fmt_bytes(b1, (uint64_t)n));
		printf("\n");
	}
	const json_t *warn = json_object_get(f, "warnings");
	if (json_is_array(warn) && json_array_size(warn) > 0) {
		size_t i;
		json_t *w;
		json_array_foreach(warn, i, w) {
			ROW(i ? "" : "warnings");
			printf("%s\n", json_is_string(w) ? json_string_value(w) : "(not a string)");
		}
	}
	print_threads(json_object_get(h, "threads"));
}

static int print_json(const gl_snap *s)
{
	char ver[16];
	snprintf(ver, sizeof ver, "%u.%u", s->major, s->minor);
	json_t *o = json_pack("{s:s, s:s, s:I, s:{s:I, s:I, s:I}, s:O, s:O}",
			      "file", s->path, "format_version", ver, "file_size", (json_int_t)s->file_size,
			      "counts", "objects", (json_int_t)s->n_objects, "edges", (json_int_t)s->n_edges,
			      "strings", (json_int_t)s->n_strings,
			      "header", s->header, "footer", s->footer);
	int rc = cli_print_json("info", o);
	json_decref(o);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, redact = 0;
	const cli_opt opts[] = {CLI_JSON(&json), CLI_REDACT(&redact), {0}};
	cli_args a = {.cmd = "info", .usage = info_usage, .opts = opts, .pos = &path, .max_pos = 1};
	int prc = cli_parse(&a, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	if (!path)
		return cli_usage_error("info", "no snapshot given");
	gl_snap *s;
	if (cli_load(path, GL_SNAP_META_ONLY, &s))
		return GL_EXIT_FAIL;
	if (redact) {
		json_t *h = gl_header_redacted(s->header);
		if (!h) {
			fprintf(stderr, "graphleak info: out of memory\n");
			gl_snap_free(s);
			return GL_EXIT_FAIL;
		}
		json_decref(s->header);
		s->header = h;
	}
	int rc = GL_EXIT_OK;
	if (json)
		rc = print_json(s);
	else
		print_text(s);
	gl_snap_free(s);
	return rc;
}
