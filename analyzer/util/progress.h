/*
 * progress.h - a progress line on stderr for long work.
 *
 * Prints nothing unless stderr is a terminal and the work has already taken
 * more than a second; then rewrites one line ("loading app.snap: 42%") at
 * most ten times a second, and clears it in gl_progress_end(). The struct
 * lives on the caller's stack; nothing is allocated.
 */
#ifndef GRAPHLEAK_PROGRESS_H
#define GRAPHLEAK_PROGRESS_H

#include <stdint.h>

typedef struct gl_progress {
	const char *what;   /* borrowed; must outlive the progress */
	double start, last; /* monotonic seconds */
	int tty;            /* stderr is a terminal */
	int shown;          /* a line is on the screen */
} gl_progress;

/* Monotonic clock, seconds. */
double gl_now(void);

void gl_progress_begin(gl_progress *p, const char *what);
/* Reports `done` out of `total` units (total 0: unknown, shows a count). */
void gl_progress_update(gl_progress *p, uint64_t done, uint64_t total);
/* Clears the line if one was shown. */
void gl_progress_end(gl_progress *p);

/*
 * A ticker for work that cannot report its own progress (loading a
 * snapshot, one long analysis): on a terminal, after a second, a background
 * thread shows "loading app.snap: 2.3 s" and updates it until
 * gl_ticker_stop(), which clears the line. Off a terminal it does nothing.
 * `what` is borrowed and must outlive the ticker.
 */
typedef struct gl_ticker {
	void *impl; /* NULL when not ticking */
} gl_ticker;

void gl_ticker_start(gl_ticker *t, const char *what);
void gl_ticker_stop(gl_ticker *t);

#endif /* GRAPHLEAK_PROGRESS_H */
