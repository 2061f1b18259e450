/* humanfmt.c - see humanfmt.h. */
#include "humanfmt.h"

#include <stdio.h>
#include <string.h>

char *gl_fmt_bytes(char buf[GL_FMT_BUF], uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes < 1024) {
		snprintf(buf, GL_FMT_BUF, "%u B", (unsigned)bytes);
		return buf;
	}
	double v = (double)bytes / 1024.0;
	unsigned u = 0;
	while (v >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		u++;
	}
	if (v < 9.995)
		snprintf(buf, GL_FMT_BUF, "%.2f %s", v, units[u]);
	else if (v < 99.95)
		snprintf(buf, GL_FMT_BUF, "%.1f %s", v, units[u]);
	else
		snprintf(buf, GL_FMT_BUF, "%.0f %s", v, units[u]);
	return buf;
}

char *gl_fmt_count(char buf[GL_FMT_BUF], uint64_t n)
{
	char digits[24];
	int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
	int o = 0;
	for (int i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}
