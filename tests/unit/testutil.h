/* testutil.h - helpers shared by the unit tests (a temporary directory,
 * whole-file reads and writes). Header-only; every test binary includes it. */
#ifndef GRAPHLEAK_TESTUTIL_H
#define GRAPHLEAK_TESTUTIL_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static char tu_dir[256];

/* A fresh temporary directory for this process (removed by tu_cleanup). */
static inline const char *tu_tmpdir(void)
{
	if (!tu_dir[0]) {
		snprintf(tu_dir, sizeof tu_dir, "/tmp/gl-unit-XXXXXX");
		assert_non_null(mkdtemp(tu_dir));
	}
	return tu_dir;
}

/* "<tmpdir>/<name>" in a static rotating buffer. */
static inline const char *tu_path(const char *name)
{
	static char bufs[4][512];
	static int k;
	char *b = bufs[k++ & 3];
	snprintf(b, 512, "%s/%s", tu_tmpdir(), name);
	return b;
}

static inline void tu_cleanup(void)
{
	if (tu_dir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tu_dir);
		tu_dir[0] = '\0';
	}
}

/* Reads a whole file (caller frees). */
static inline unsigned char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static inline void tu_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

#endif /* GRAPHLEAK_TESTUTIL_H */
