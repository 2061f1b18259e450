/*
 * fuzz_snapshot.c - libFuzzer target: any bytes as a snapshot file. The
 * loader must refuse bad input with an error (never crash, hang, leak or
 * allocate beyond what the input can justify), and whatever it accepts must
 * survive the whole analysis.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gl_snap *s;
	gl_err err;
	gl_err_clear(&err);
	if (gl_snap_load_buffer(&s, data, size, "fuzz", 0, &err) < 0)
		return 0;
	fuzz_analyze(s);
	gl_snap_free(s);
	return 0;
}
