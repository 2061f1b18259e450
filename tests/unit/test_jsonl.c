/* test_jsonl.c - JSON-lines export and import: round trips and the import's
 * line-numbered errors. */
#include "testutil.h"

#include "jsonl.h"
#include "snapshot.h"

#ifndef FIXTURE
#error "FIXTURE must name tests/unit/data/small.jsonl"
#endif

/* Exports the snapshot at path to a string (caller frees). */
static char *export_str(const char *path, size_t *len)
{
	gl_snap *s;
	gl_err err;
	gl_err_clear(&err);
	if (gl_snap_load(&s, path, 0, &err) < 0)
		fail_msg("%s", err.msg);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	assert_int_equal(gl_jsonl_export(s, f, "memory", &err), 0);
	fclose(f);
	gl_snap_free(s);
	return buf;
}

/* Imports text to out; returns the import's result, message in err. */
static int import_str(const char *text, const char *out, gl_err *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	gl_err_clear(err);
	unlink(out);
	int rc = gl_jsonl_import(f, "t.jsonl", out, 0, NULL, err);
	fclose(f);
	return rc;
}

static void test_fixture_roundtrip(void **state)
{
	(void)state;
	FILE *f = fopen(FIXTURE, "r");
	assert_non_null(f);
	const char *s1 = tu_path("rt1.snap"), *s2 = tu_path("rt2.snap");
	gl_err err;
	gl_err_clear(&err);
	gl_jsonl_stats st;
	unlink(s1);
	if (gl_jsonl_import(f, FIXTURE, s1, 0, &st, &err) < 0)
		fail_msg("%s", err.msg);
	fclose(f);
	assert_int_equal(st.objects, 26);
	assert_int_equal(st.edges, 32);

	size_t n1, n2, nf;
	char *e1 = export_str(s1, &n1);
	/* the export is the fixture itself, line for line */
	char *fx = (char *)tu_read(FIXTURE, &nf);
	assert_int_equal(n1, nf);
	assert_memory_equal(e1, fx, nf);
	assert_int_equal(import_str(e1, s2, &err), 0);
	char *e2 = export_str(s2, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(e1, e2, n1);

	/* the bytes preview survived exactly */
	gl_snap *s;
	assert_int_equal(gl_snap_load(&s, s2, 0, &err), 0);
	uint32_t id = gl_snap_find_addr(s, 0x1180);
	assert_int_not_equal(id, GL_NO_ID);
	size_t pl;
	const unsigned char *pv = gl_snap_preview(s, id, &pl);
	assert_int_equal(pl, 11);
	assert_memory_equal(pv, "\xff\xfe\0binary\x80\xe9", 11);
	id = gl_snap_find_addr(s, 0x2180);
	pv = gl_snap_preview(s, id, &pl);
	assert_int_equal(pl, 4);
	assert_memory_equal(pv, "B\xc3\xb8" "b", 4);
	gl_snap_free(s);
	free(e1);
	free(e2);
	free(fx);
}

#define H "{\"header\":{\"pid\":1}}\n"
#define F "{\"footer\":{}}\n"
#define OBJ(a, edges) "{\"addr\":\"" a "\",\"type\":\"t\",\"flags\":1,\"size\":8,\"refcnt\":1,\"length\":0,\"edges\":[" edges "]}\n"

static void expect_import_error(const char *text, const char *want)
{
	gl_err err;
	const char *out = tu_path("bad.snap");
	if (import_str(text, out, &err) == 0)
		fail_msg("imported, expected '%s'", want);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	assert_int_equal(access(out, F_OK), -1); /* nothing left behind */
}

static void test_import_errors(void **state)
{
	(void)state;
	expect_import_error("", "line 1: no header line");
	expect_import_error("\n\n", "line 3: no header line");
	expect_import_error(OBJ("0x8", "") F, "line 1: expected the header first");
	expect_import_error(H "not json\n" F, "line 2: not valid JSON");
	expect_import_error(H "[1,2]\n" F, "line 2: expected a JSON object");
	expect_import_error(H OBJ("0x8", ""), "line 3: no footer line");
	expect_import_error(H OBJ("0x8", "") F OBJ("0x10", ""), "line 4: text after the footer");
	expect_import_error(H H F, "line 2: a second header");
	expect_import_error(H OBJ("0x9", "") F, "line 2: \"addr\" must be");
	expect_import_error(H OBJ("8", "") F, "line 2: \"addr\" must be");
	expect_import_error(H OBJ("0x8", "[\"0x8\",\"sideways\",null,0]") F, "line 2: edge 0: kind must be");
	expect_import_error(H OBJ("0x8", "[\"0x8\",\"index\",\"a\",0]") F, "line 2: edge 0: an index edge");
	expect_import_error(H OBJ("0x8", "[\"0x8\",\"attr\",3,0]") F, "line 2: edge 0: a attr edge needs a name");
	expect_import_error(H OBJ("0x8", "[\"0x8\",\"key\",null,2]") F, "extra must be 0 or 1");
	expect_import_error(H OBJ("0x8", "[\"0x8\",\"none\",null,0],[\"0x8\",\"value\",null,0]") F,
			    "line 2: edge 1: a value edge must follow its key edge");
	expect_import_error(H OBJ("0x8", "[\"0x8\"]") F, "expected [dst, kind, payload, extra]");
	expect_import_error(H OBJ("0x8", "") OBJ("0x10", "") OBJ("0x8", "") F,
			    "line 4: object 0x8 appears again (first on line 2)");
	expect_import_error(H OBJ("0x8", "") OBJ("0x10", "[\"0x18\",\"none\",null,0]") F,
			    "line 3: an edge points at 0x18, which has no object line");
	expect_import_error(H "{\"addr\":\"0x8\",\"type\":\"t\",\"flags\":-1,\"size\":8,\"refcnt\":1,\"length\":0}\n" F,
			    "line 2: \"flags\" must be an integer");
	expect_import_error(H "{\"addr\":\"0x8\",\"type\":\"t\",\"flags\":2048,\"size\":8,\"refcnt\":1,\"length\":0}\n" F,
			    "flags include PREVIEW");
	expect_import_error(H "{\"addr\":\"0x8\",\"flags\":1,\"size\":8,\"refcnt\":1,\"length\":0}\n" F,
			    "line 2: \"type\" must be a string");
	expect_import_error(H "{\"addr\":\"0x8\",\"type\":\"t\",\"flags\":1,\"refcnt\":1,\"length\":0}\n" F,
			    "line 2: the object has no \"size\"");
}

static void test_import_minimal(void **state)
{
	(void)state;
	gl_err err;
	const char *out = tu_path("min.snap");
	/* no edges key, a self edge, blank lines, CRLF */
	const char *text = H "\r\n" "{\"addr\":\"0x8\",\"type\":\"t\",\"flags\":1,\"size\":8,\"refcnt\":1,\"length\":0,"
			   "\"preview\":\"\\u0000a\"}\r\n" OBJ("0x10", "[\"0x10\",\"none\",null,0]") F "\n";
	if (import_str(text, out, &err) < 0)
		fail_msg("%s", err.msg);
	gl_snap *s;
	assert_int_equal(gl_snap_load(&s, out, 0, &err), 0);
	assert_int_equal(s->n_objects, 2);
	assert_int_equal(s->n_edges, 1);
	assert_int_not_equal(s->flags[0] & GL_OF_PREVIEW, 0);
	size_t n;
	const unsigned char *pv = gl_snap_preview(s, 0, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(pv, "\0a", 2);
	gl_snap_free(s);
	/* refuses to replace an existing file without the flag */
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	gl_err_clear(&err);
	assert_int_equal(gl_jsonl_import(f, "t", out, 0, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "already exists"));
	fclose(f);
	f = fmemopen((void *)text, strlen(text), "r");
	gl_err_clear(&err);
	assert_int_equal(gl_jsonl_import(f, "t", out, GL_JSONL_OVERWRITE, NULL, &err), 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_roundtrip),
		cmocka_unit_test(test_import_errors),
		cmocka_unit_test(test_import_minimal),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
