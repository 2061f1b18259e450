/* test_snapshot.c - the writer -> loader round trip, and the loader on
 * corrupt, truncated, hostile and odd inputs. */
#include "testutil.h"

#include <sys/stat.h>

#include "snapshot.h"
#include "snapwrite.h"

static const char HDR[] = "{\"format\":\"graphleak-snapshot\",\"format_version\":\"1.0\",\"pid\":7}";
static const char FOOT[] = "{\"objects\":6,\"edges\":8,\"pause_seconds\":0.5}";

/*
 * A small snapshot with every edge kind, extra bits, previews (plain, 64
 * bytes, over 64 so cut, with NUL and high bytes) and a self edge.
 */
static void write_sample(const char *path)
{
	char err[256];
	gl_writer *w;
	unlink(path);
	assert_int_equal(gl_w_open(&w, path, 0, HDR, strlen(HDR), err, sizeof err), 0);
	uint32_t t_dict = gl_w_intern(w, "dict", 4);
	uint32_t t_str = gl_w_intern(w, "str", 3);
	uint32_t t_rec = gl_w_intern(w, "app.Record", 10);
	uint32_t t_frame = gl_w_intern(w, "frame", 5);
	uint32_t n_cls = gl_w_intern(w, "__class__", 9);
	uint32_t n_name = gl_w_intern(w, "name", 4);
	uint32_t n_local = gl_w_intern(w, "backlog", 7);
	assert_int_equal(gl_w_intern(w, "dict", 4), t_dict); /* interned once */
	char long_pv[100];
	memset(long_pv, 'x', sizeof long_pv);
	/* #0 dict at a high address */
	assert_int_equal(gl_w_begin_object(w, 0x7fff00001000ull, t_dict, GL_OF_TRACKED | GL_OF_GCTYPE,
					   232, 1, 1, NULL, 0), 0);
	gl_w_edge(w, 0x1008, GL_EK_KEY, 1, 0);
	gl_w_edge(w, 0x1010, GL_EK_VALUE, 0, 0);
	gl_w_end_object(w);
	/* #1 str key, preview with NUL and high bytes */
	gl_w_begin_object(w, 0x1008, t_str, GL_OF_PREVIEW, 55, 2, 5, "k\0\xff\xfe" "y", 5);
	gl_w_end_object(w);
	/* #2 record: field, attr, member, none, index, self edge */
	gl_w_begin_object(w, 0x1010, t_rec, GL_OF_TRACKED | GL_OF_GCTYPE | GL_OF_HAS_DEL, 48, 3, 0, NULL, 0);
	gl_w_edge(w, 0x7fff00001000ull, GL_EK_FIELD, 0, n_cls);
	gl_w_edge(w, 0x1008, GL_EK_ATTR, 0, n_name);
	gl_w_edge(w, 0x1018, GL_EK_MEMBER, 0, 0);
	gl_w_edge(w, 0x1010, GL_EK_NONE, 0, 0);
	gl_w_edge(w, 0x1018, GL_EK_INDEX, 0, 4000000000ull);
	gl_w_end_object(w);
	/* #3 a str with a 64-byte preview */
	gl_w_begin_object(w, 0x1018, t_str, GL_OF_PREVIEW, 113, 1, 64, long_pv, 64);
	gl_w_end_object(w);
	/* #4 a str whose 100-byte preview the writer cuts */
	gl_w_begin_object(w, 0x1020, t_str, GL_OF_PREVIEW, 149, 1, 100, long_pv, 100);
	gl_w_end_object(w);
	/* #5 a frame with a local, below the others (negative deltas) */
	gl_w_begin_object(w, 0x8, t_frame, GL_OF_TRACKED | GL_OF_FRAME | GL_OF_IMMORTAL,
			  UINT64_MAX, UINT64_MAX >> 1, 0, NULL, 0);
	gl_w_edge(w, 0x1020, GL_EK_LOCAL, 1, n_local);
	gl_w_end_object(w);
	gl_w_stats st;
	assert_int_equal(gl_w_finish(w, FOOT, strlen(FOOT), &st, err, sizeof err), 0);
	assert_int_equal(st.objects, 6);
	assert_int_equal(st.edges, 8);
}

static gl_snap *load_ok(const char *path, unsigned flags)
{
	gl_snap *s = NULL;
	gl_err err;
	gl_err_clear(&err);
	int rc = gl_snap_load(&s, path, flags, &err);
	if (rc != 0)
		fail_msg("load failed: %s", err.msg);
	return s;
}

static int str_is(const gl_snap *s, uint32_t sid, const char *want)
{
	size_t n;
	const char *p = gl_snap_str(s, sid, &n);
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

static void test_roundtrip(void **state)
{
	(void)state;
	const char *path = tu_path("sample.snap");
	write_sample(path);
	gl_snap *s = load_ok(path, 0);
	assert_int_equal(s->major, 1);
	assert_int_equal(s->minor, GL_FMT_MINOR);
	assert_int_equal(s->n_objects, 6);
	assert_int_equal(s->n_edges, 8);
	assert_true(json_integer_value(json_object_get(s->header, "pid")) == 7);
	assert_true(json_real_value(json_object_get(s->footer, "pause_seconds")) == 0.5);
	assert_true(str_is(s, 0, ""));

	assert_true(s->addr[0] == 0x7fff00001000ull);
	assert_true(str_is(s, s->type[0], "dict"));
	assert_int_equal(s->flags[0], GL_OF_TRACKED | GL_OF_GCTYPE);
	assert_int_equal(s->size[0], 232);
	assert_int_equal(s->length[0], 1);
	assert_int_equal(s->out_off[0], 0);
	assert_int_equal(s->out_off[1], 2);
	assert_int_equal(gl_edge_kind(s, 0), GL_EK_KEY);
	assert_int_equal(gl_edge_extra(s, 0), 1);
	assert_int_equal(s->out_dst[0], 1);
	assert_int_equal(gl_edge_kind(s, 1), GL_EK_VALUE);
	assert_int_equal(gl_edge_extra(s, 1), 0);
	assert_int_equal(s->out_dst[1], 2);

	size_t n;
	const unsigned char *pv = gl_snap_preview(s, 1, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(pv, "k\0\xff\xfe" "y", 5);
	assert_null(gl_snap_preview(s, 0, &n));
	assert_int_equal(n, 0);

	assert_int_equal(s->flags[2], GL_OF_TRACKED | GL_OF_GCTYPE | GL_OF_HAS_DEL);
	assert_int_equal(s->refcnt[2], 3);
	uint64_t e = s->out_off[2];
	assert_int_equal(s->out_off[3] - e, 5);
	assert_int_equal(gl_edge_kind(s, (uint32_t)e), GL_EK_FIELD);
	assert_true(str_is(s, s->edge_payload[e], "__class__"));
	assert_int_equal(s->out_dst[e], 0);
	assert_int_equal(gl_edge_kind(s, (uint32_t)e + 1), GL_EK_ATTR);
	assert_true(str_is(s, s->edge_payload[e + 1], "name"));
	assert_int_equal(gl_edge_kind(s, (uint32_t)e + 2), GL_EK_MEMBER);
	assert_int_equal(gl_edge_kind(s, (uint32_t)e + 3), GL_EK_NONE);
	assert_int_equal(s->out_dst[e + 3], 2); /* self edge */
	assert_int_equal(gl_edge_kind(s, (uint32_t)e + 4), GL_EK_INDEX);
	assert_int_equal(s->edge_payload[e + 4], 4000000000u);

	pv = gl_snap_preview(s, 3, &n);
	assert_int_equal(n, 64);
	assert_int_equal(s->flags[3] & GL_OF_PREVIEW_TRUNC, 0);
	pv = gl_snap_preview(s, 4, &n);
	assert_int_equal(n, GL_PREVIEW_MAX);
	assert_int_not_equal(s->flags[4] & GL_OF_PREVIEW_TRUNC, 0);
	assert_int_equal(pv[63], 'x');

	assert_true(s->addr[5] == 0x8);
	assert_true(s->size[5] == UINT64_MAX);
	assert_true(s->refcnt[5] == UINT64_MAX >> 1);
	e = s->out_off[5];
	assert_int_equal(gl_edge_kind(s, (uint32_t)e), GL_EK_LOCAL);
	assert_int_equal(gl_edge_extra(s, (uint32_t)e), 1);
	assert_true(str_is(s, s->edge_payload[e], "backlog"));
	assert_int_equal(s->out_off[6], 8);

	/* the reverse CSR is the forward one transposed */
	assert_non_null(s->in_off);
	assert_int_equal(s->in_off[6], 8);
	for (uint32_t v = 0; v < s->n_objects; v++) {
		for (uint64_t r = s->in_off[v]; r < s->in_off[v + 1]; r++) {
			uint32_t fe = s->in_edge[r], src = s->in_src[r];
			assert_int_equal(s->out_dst[fe], v);
			assert_true(s->out_off[src] <= fe && fe < s->out_off[src + 1]);
			if (r > s->in_off[v])
				assert_true(s->in_src[r - 1] <= src);
		}
	}
	assert_int_equal(s->in_off[2] - s->in_off[1], 2); /* #1 is the key and the name */
	assert_int_equal(gl_snap_find_addr(s, 0x1018), 3);
	assert_int_equal(gl_snap_find_addr(s, 0x1028), GL_NO_ID);
	assert_true(gl_snap_mem_bytes(s) > 0);
	gl_snap_free(s);

	s = load_ok(path, GL_SNAP_NO_REVERSE);
	assert_null(s->in_off);
	assert_null(s->in_src);
	assert_int_equal(s->n_edges, 8);
	gl_snap_free(s);
}

static void test_empty_snapshot(void **state)
{
	(void)state;
	const char *path = tu_path("empty-heap.snap");
	char err[256];
	gl_writer *w;
	unlink(path);
	assert_int_equal(gl_w_open(&w, path, 0, "{}", 2, err, sizeof err), 0);
	assert_int_equal(gl_w_finish(w, "{}", 2, NULL, err, sizeof err), 0);
	gl_snap *s = load_ok(path, 0);
	assert_int_equal(s->n_objects, 0);
	assert_int_equal(s->n_edges, 0);
	assert_int_equal(s->n_strings, 1);
	gl_snap_free(s);
}

/* Loads buf; expects failure whose message contains `want` (if not NULL). */
static void expect_fail_buf(const unsigned char *buf, size_t len, const char *want)
{
	gl_snap *s = (gl_snap *)1;
	gl_err err;
	gl_err_clear(&err);
	int rc = gl_snap_load_buffer(&s, buf, len, "t.snap", 0, &err);
	if (rc == 0) {
		gl_snap_free(s);
		fail_msg("loaded, expected an error containing '%s'", want ? want : "");
	}
	assert_null(s);
	assert_true(err.set);
	assert_true(strlen(err.msg) > 0);
	if (want && !strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
}

static void expect_fail_file(const char *path, const char *want)
{
	gl_snap *s = (gl_snap *)1;
	gl_err err;
	gl_err_clear(&err);
	if (gl_snap_load(&s, path, 0, &err) == 0) {
		gl_snap_free(s);
		fail_msg("loaded %s, expected an error containing '%s'", path, want);
	}
	assert_null(s);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	assert_non_null(strstr(err.msg, path));
}

static unsigned char *sample_bytes(size_t *len)
{
	const char *path = tu_path("sample-b.snap");
	write_sample(path);
	return tu_read(path, len);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = sample_bytes(&len);
	for (size_t k = 0; k < len; k++) {
		/* a copy of exactly k bytes so ASan sees any read past it */
		unsigned char *c = malloc(k ? k : 1);
		memcpy(c, b, k);
		expect_fail_buf(c, k, NULL);
		free(c);
	}
	/* the whole file loads */
	gl_snap *s;
	gl_err err;
	gl_err_clear(&err);
	assert_int_equal(gl_snap_load_buffer(&s, b, len, "t.snap", 0, &err), 0);
	gl_snap_free(s);
	/* named problems */
	expect_fail_buf(b, len - 1, "END");
	expect_fail_buf(b, 10, "preamble");
	free(b);
}

static void test_bit_flips(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = sample_bytes(&len);
	unsigned char *c = malloc(len);
	unsigned loaded = 0, refused = 0;
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(c, b, len);
			c[i] ^= (unsigned char)(1u << bit);
			gl_snap *s;
			gl_err err;
			gl_err_clear(&err);
			if (gl_snap_load_buffer(&s, c, len, "t.snap", 0, &err) == 0) {
				/* a valid load must be self-consistent */
				assert_int_equal(s->out_off[s->n_objects], s->n_edges);
				for (uint32_t e = 0; e < s->n_edges; e++)
					assert_true(s->out_dst[e] < s->n_objects);
				gl_snap_free(s);
				loaded++;
			} else {
				assert_true(err.set);
				refused++;
			}
		}
	}
	/* both happen: flips in previews, sizes, refcounts or header text load */
	print_message("bit flips over %zu bytes: %u refused, %u loaded\n", len, refused, loaded);
	assert_true(refused > len);
	assert_true(loaded > 0);
	free(c);
	free(b);
}

static void test_bad_magic_and_versions(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = sample_bytes(&len);
	b[1] ^= 0x20;
	expect_fail_buf(b, len, "bad magic");
	b[1] ^= 0x20;
	gl_put_u16(b + 8, 2);
	gl_put_u16(b + 10, 3);
	expect_fail_buf(b, len, "snapshot format 2.3 is newer than this graphleak (1.1); upgrade graphleak");
	gl_put_u16(b + 8, 0);
	expect_fail_buf(b, len, "unknown snapshot format version 0.3");
	gl_put_u16(b + 8, 1);
	gl_put_u16(b + 10, 7); /* a newer minor loads */
	gl_snap *s;
	gl_err err;
	gl_err_clear(&err);
	assert_int_equal(gl_snap_load_buffer(&s, b, len, "t.snap", 0, &err), 0);
	assert_int_equal(s->minor, 7);
	gl_snap_free(s);
	/* JSON lines given where a snapshot belongs */
	expect_fail_buf((const unsigned char *)"{\"header\":{}}\n{\"addr\":1}\n", 24, "graphleak import");
	free(b);
}

/* Offset of the END payload (the last 32 bytes). */
#define END_AT(len) ((len) - GL_FMT_END_LEN)

static void test_end_counts(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = sample_bytes(&len);
	unsigned char *c = malloc(len);
	/* counts far larger than the file: refused before any allocation */
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len), 1ull << 31);
	expect_fail_buf(c, len, "more than the");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len), UINT64_MAX);
	expect_fail_buf(c, len, "objects");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len) + 8, 1ull << 40);
	expect_fail_buf(c, len, "edges");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len) + 16, 1ull << 33);
	expect_fail_buf(c, len, "strings");
	/* counts that disagree with the stream */
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len), 5);
	expect_fail_buf(c, len, "more object records than the 5 END announces");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len), 7);
	expect_fail_buf(c, len, "END says 7 objects but OBJS holds 6");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len) + 8, 7);
	expect_fail_buf(c, len, "more edges than the 7 END announces");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len) + 8, 9);
	expect_fail_buf(c, len, "END says 9 edges but OBJS holds 8");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len) + 16, 9);
	expect_fail_buf(c, len, "STRS holds");
	memcpy(c, b, len);
	gl_put_u64(c + END_AT(len) + 24, len + 1);
	expect_fail_buf(c, len, "END says the file has");
	free(c);
	/* trailing garbage */
	c = malloc(len + 3);
	memcpy(c, b, len);
	memcpy(c + len, "xyz", 3);
	expect_fail_buf(c, len + 3, "trailing garbage");
	free(c);
	free(b);
}

/* Writes a snapshot with given objects; returns its bytes. */
typedef void (*fill_fn)(gl_writer *w);

static unsigned char *make(fill_fn fill, size_t *len)
{
	const char *path = tu_path("made.snap");
	char err[256];
	gl_writer *w;
	unlink(path);
	assert_int_equal(gl_w_open(&w, path, 0, "{}", 2, err, sizeof err), 0);
	fill(w);
	assert_int_equal(gl_w_finish(w, "{}", 2, NULL, err, sizeof err), 0);
	return tu_read(path, len);
}

static void fill_dup(gl_writer *w)
{
	gl_w_begin_object(w, 0x100, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_end_object(w);
	gl_w_begin_object(w, 0x200, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_end_object(w);
	gl_w_begin_object(w, 0x100, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_end_object(w);
}

static void fill_dangling(gl_writer *w)
{
	gl_w_begin_object(w, 0x100, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_edge(w, 0x100, GL_EK_NONE, 0, 0);
	gl_w_edge(w, 0x9000, GL_EK_NONE, 0, 0);
	gl_w_end_object(w);
}

static void fill_value_alone(gl_writer *w)
{
	gl_w_begin_object(w, 0x100, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_edge(w, 0x100, GL_EK_INDEX, 0, 0);
	gl_w_edge(w, 0x100, GL_EK_VALUE, 0, 0);
	gl_w_end_object(w);
}

static void fill_bad_string_ids(gl_writer *w)
{
	/* type id 200 does not exist: the writer does not check */
	gl_w_begin_object(w, 0x100, 200, 0, 1, 1, 0, NULL, 0);
	gl_w_end_object(w);
}

static void fill_bad_attr(gl_writer *w)
{
	gl_w_begin_object(w, 0x100, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_edge(w, 0x100, GL_EK_ATTR, 0, 77);
	gl_w_end_object(w);
}

static void fill_bad_flags(gl_writer *w)
{
	gl_w_begin_object(w, 0x100, 0, 1u << 20, 1, 1, 0, NULL, 0);
	gl_w_end_object(w);
}

static void fill_one_edge(gl_writer *w)
{
	/* 0x1000: addr varint 2 bytes, then type, flags, size, refcnt, length: 1 each */
	gl_w_begin_object(w, 0x1000, 0, 0, 1, 1, 0, NULL, 0);
	gl_w_edge(w, 0x1000, GL_EK_NONE, 0, 0);
	gl_w_end_object(w);
}

/* Big enough (2^20+ edges) that the loader resolves edges on two threads:
 * a dangling target in either half is found, and the first one reported. */
#define BIG_OBJS 600000u
static void fill_big_dangling_late(gl_writer *w)
{
	for (uint32_t i = 0; i < BIG_OBJS; i++) {
		uint64_t a = 0x10000 + 16ull * i;
		gl_w_begin_object(w, a, 0, 0, 1, 3, 0, NULL, 0);
		gl_w_edge(w, 0x10000 + 16ull * ((i + 1) % BIG_OBJS), GL_EK_NONE, 0, 0);
		gl_w_edge(w, i == BIG_OBJS - 7 ? 0x8 : a, GL_EK_NONE, 0, 0);
		gl_w_end_object(w);
	}
}

static void fill_big_dangling_both(gl_writer *w)
{
	for (uint32_t i = 0; i < BIG_OBJS; i++) {
		uint64_t a = 0x10000 + 16ull * i;
		gl_w_begin_object(w, a, 0, 0, 1, 3, 0, NULL, 0);
		gl_w_edge(w, 0x10000 + 16ull * ((i + 1) % BIG_OBJS), GL_EK_NONE, 0, 0);
		gl_w_edge(w, (i == 5 || i == BIG_OBJS - 3) ? 0x8 : a, GL_EK_NONE, 0, 0);
		gl_w_end_object(w);
	}
}

static void fill_big_ok(gl_writer *w)
{
	for (uint32_t i = 0; i < BIG_OBJS; i++) {
		uint64_t a = 0x10000 + 16ull * i;
		gl_w_begin_object(w, a, 0, 0, 1, 3, 0, NULL, 0);
		gl_w_edge(w, 0x10000 + 16ull * ((i + 1) % BIG_OBJS), GL_EK_NONE, 0, 0);
		gl_w_edge(w, a, GL_EK_NONE, 0, 0);
		gl_w_end_object(w);
	}
}

static void test_big_edges(void **state)
{
	(void)state;
	size_t len;
	char want[128];
	unsigned char *b = make(fill_big_dangling_late, &len);
	snprintf(want, sizeof want, "dangling edge: object 0x%llx references 0x8",
		 (unsigned long long)(0x10000 + 16ull * (BIG_OBJS - 7)));
	expect_fail_buf(b, len, want);
	free(b);
	b = make(fill_big_dangling_both, &len);
	expect_fail_buf(b, len, "dangling edge: object 0x10050 references 0x8");
	free(b);
	b = make(fill_big_ok, &len);
	gl_snap *s;
	gl_err err;
	gl_err_clear(&err);
	assert_int_equal(gl_snap_load_buffer(&s, b, len, "big", 0, &err), 0);
	assert_int_equal(s->n_edges, 2 * BIG_OBJS);
	for (uint32_t i = 0; i < BIG_OBJS; i += 9973) {
		assert_int_equal(s->out_dst[s->out_off[i]], (i + 1) % BIG_OBJS);
		assert_int_equal(s->out_dst[s->out_off[i] + 1], i);
	}
	gl_snap_free(s);
	free(b);
}

static void test_graph_errors(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make(fill_dup, &len);
	expect_fail_buf(b, len, "object 0x100 appears twice (records #0 and #2)");
	free(b);
	b = make(fill_dangling, &len);
	expect_fail_buf(b, len, "dangling edge: object 0x100 references 0x9000");
	free(b);
	b = make(fill_value_alone, &len);
	expect_fail_buf(b, len, "VALUE edge that does not follow a KEY edge");
	free(b);
	b = make(fill_bad_string_ids, &len);
	expect_fail_buf(b, len, "type string id 200 out of range");
	free(b);
	b = make(fill_bad_attr, &len);
	expect_fail_buf(b, len, "string id 77 out of range");
	free(b);
	/* an unknown edge kind and an unknown flag, patched in */
	b = make(fill_one_edge, &len);
	size_t objs = GL_FMT_PREAMBLE_LEN + 2 + GL_FMT_SECTION_HDR_LEN;
	assert_int_equal(b[objs + 7], GL_EK_NONE);
	b[objs + 7] = 8;
	expect_fail_buf(b, len, "unknown edge kind 8");
	b[objs + 7] = GL_EK_NONE | (1 << GL_EDGE_PAYLOAD_SHIFT);
	expect_fail_buf(b, len, "edge of kind none with a payload");
	free(b);
	b = make(fill_bad_flags, &len);
	expect_fail_buf(b, len, "unknown flag bits 0x100000");
	free(b);
}

static void test_files(void **state)
{
	(void)state;
	const char *empty = tu_path("empty.snap");
	tu_write(empty, "", 0);
	expect_fail_file(empty, "empty (0 bytes)");
	expect_fail_file(tu_tmpdir(), "is a directory");
	expect_fail_file("/dev/zero", "not a regular file");
	expect_fail_file(tu_path("missing.snap"), "cannot open");
	const char *fifo = tu_path("fifo.snap");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_fail_file(fifo, "not a regular file"); /* and does not hang */
	const char *junk = tu_path("junk.snap");
	tu_write(junk, "hello, world, this is not a snapshot at all\n", 44);
	expect_fail_file(junk, "bad magic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_empty_snapshot),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_bad_magic_and_versions),
		cmocka_unit_test(test_end_counts),
		cmocka_unit_test(test_graph_errors),
		cmocka_unit_test(test_big_edges),
		cmocka_unit_test(test_files),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
