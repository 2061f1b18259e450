/* progress.c - see progress.h. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double gl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void gl_progress_begin(gl_progress *p, const char *what)
{
	p->what = what;
	p->start = gl_now();
	p->last = 0;
	p->tty = isatty(STDERR_FILENO);
	p->shown = 0;
}

void gl_progress_update(gl_progress *p, uint64_t done, uint64_t total)
{
	if (!p->tty)
		return;
	double t = gl_now();
	if (t - p->start < 1.0 || t - p->last < 0.1)
		return;
	p->last = t;
	p->shown = 1;
	if (total)
		fprintf(stderr, "\r%s: %3u%%", p->what, (unsigned)(done * 100 / total));
	else
		fprintf(stderr, "\r%s: %llu", p->what, (unsigned long long)done);
	fflush(stderr);
}

void gl_progress_end(gl_progress *p)
{
	if (p->shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		p->shown = 0;
	}
}
