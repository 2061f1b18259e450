/*
 * fuzz_jsonl.c - libFuzzer target: any bytes as JSON lines for `graphleak
 * import`. Import must refuse bad lines with an error and leave no file;
 * what it accepts must load and survive the analysis.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "jsonl.h"

static char out_path[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!out_path[0])
		snprintf(out_path, sizeof out_path, "/tmp/graphleak-fuzz-%ld.snap", (long)getpid());
	unlink(out_path);
	FILE *in = fmemopen((void *)data, size ? size : 1, "r");
	if (!in)
		return 0;
	if (!size)
		fgetc(in); /* an empty stream */
	gl_err err;
	gl_err_clear(&err);
	int rc = gl_jsonl_import(in, "fuzz.jsonl", out_path, 0, NULL, &err);
	fclose(in);
	if (rc == 0) {
		gl_snap *s;
		gl_err_clear(&err);
		if (gl_snap_load(&s, out_path, 0, &err) < 0) {
			fprintf(stderr, "import wrote a snapshot the loader refuses: %s\n", err.msg);
			abort();
		}
		fuzz_analyze(s);
		gl_snap_free(s);
		unlink(out_path);
	} else if (access(out_path, F_OK) == 0) {
		fprintf(stderr, "import failed (%s) but left %s behind\n", err.msg, out_path);
		abort();
	}
	return 0;
}
