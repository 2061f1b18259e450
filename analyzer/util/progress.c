/* progress.c - see progress.h. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

typedef struct {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	const char *what;
	double start;
} ticker_impl;

static void *tick(void *arg)
{
	ticker_impl *k = arg;
	int shown = 0;
	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&k->cv, &k->mu, &until);
		double el = gl_now() - k->start;
		if (!k->stop && el >= 1.0) {
			fprintf(stderr, "\r%s: %.1f s", k->what, el);
			fflush(stderr);
			shown = 1;
		}
	}
	pthread_mutex_unlock(&k->mu);
	if (shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	return NULL;
}

void gl_ticker_start(gl_ticker *t, const char *what)
{
	t->impl = NULL;
	if (!isatty(STDERR_FILENO))
		return;
	ticker_impl *k = calloc(1, sizeof *k);
	if (!k)
		return; /* no ticker is no harm */
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	k->what = what;
	k->start = gl_now();
	if (pthread_create(&k->th, NULL, tick, k) != 0) {
		pthread_mutex_destroy(&k->mu);
		pthread_cond_destroy(&k->cv);
		free(k);
		return;
	}
	t->impl = k;
}

void gl_ticker_stop(gl_ticker *t)
{
	ticker_impl *k = t->impl;
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->th, NULL);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	free(k);
	t->impl = NULL;
}
