/*
 * storm.c - signals at a process while it is being injected
 * (tests/attach/test_inject.py, hazards).
 *
 *   storm PID usr1 INTERVAL_US SECONDS       SIGUSR1 every INTERVAL_US
 *   storm PID stopcont INTERVAL_US SECONDS   SIGSTOP, then SIGCONT, alternating
 *
 * Prints how many signals it sent. Always ends a stopcont storm with SIGCONT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: storm PID usr1|stopcont INTERVAL_US SECONDS\n");
		return 2;
	}
	int pid = atoi(argv[1]);
	int stopcont = strcmp(argv[2], "stopcont") == 0;
	long us = atol(argv[3]);
	double secs = atof(argv[4]);
	struct timespec t, end;
	clock_gettime(CLOCK_MONOTONIC, &t);
	end = t;
	end.tv_sec += (time_t)secs;
	end.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	long sent = 0;
	for (;;) {
		t.tv_nsec += us * 1000;
		while (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (t.tv_sec > end.tv_sec || (t.tv_sec == end.tv_sec && t.tv_nsec >= end.tv_nsec))
			break;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		int sig = !stopcont ? SIGUSR1 : sent % 2 == 0 ? SIGSTOP : SIGCONT;
		if (kill(pid, sig) < 0) {
			if (errno == ESRCH)
				break;
			perror("kill");
			return 1;
		}
		sent++;
	}
	if (stopcont)
		kill(pid, SIGCONT);
	printf("sent %ld\n", sent);
	return 0;
}
