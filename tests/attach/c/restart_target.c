/*
 * restart_target.c - a process blocked in one kind of system call, which
 * must come out of an injection as if nothing had happened
 * (tests/attach/test_inject.py, restarts).
 *
 *   restart-target MODE SECONDS
 *
 * It prints "ready PID [PORT]" and blocks, in its main thread, in:
 *   accept      accept4() on a listening socket (PORT): until a connection
 *   futex       pthread_mutex_lock() of a mutex a second thread holds until
 *               stdin says 'p' (a futex wait under a named libc function:
 *               glibc's sem_wait tail-calls into unnamed internals)
 *   pselect     pselect6() with a timeout of SECONDS and a signal mask
 *   ppoll       ppoll() on a pipe that never becomes readable, timeout SECONDS, a mask
 *   sigsuspend  sigsuspend() with SIGUSR1 unblocked (it is blocked otherwise):
 *               until SIGUSR1
 *   abs-sleep   clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) to start + SECONDS
 *   nanosleep   nanosleep() for SECONDS (ERESTART_RESTARTBLOCK: restart_syscall)
 *   epoll       epoll_wait() on stdin, no timeout, looping on EINTR (which any
 *               ptrace stop causes there), until stdin is readable
 * then prints one line and exits:
 *   done rc=R errno=E elapsed=S eintr=N handled=H mask_ok=M
 * rc and errno of the call (the last one, for epoll), the seconds it took,
 * how many EINTRs epoll saw, how many SIGUSR1 the handler saw, and whether
 * the thread's signal mask is the one it had before the call (1) - a broken
 * restart shows as rc=-1 with errno 512-516 or 4, a sleep that is too short
 * or too long, or a mask left wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t held;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *poster(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	sem_post(&held);
	char c;
	while (read(0, &c, 1) == 1)
		if (c == 'p') {
			pthread_mutex_unlock(&mu);
			break;
		}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: restart-target MODE SECONDS\n");
		return 2;
	}
	const char *mode = argv[1];
	double secs = atof(argv[2]);
	struct timespec rel = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	/* SIGUSR1: handled, blocked except inside the calls that take a mask */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t blocked, during, before, after;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	sigprocmask(SIG_BLOCK, NULL, &before);
	sigemptyset(&during);

	int lfd = -1, port = 0, pfd[2] = {-1, -1}, efd = -1;
	if (strcmp(mode, "accept") == 0) {
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t al = sizeof a;
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4) < 0 ||
		    getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
			perror("socket");
			return 1;
		}
		port = ntohs(a.sin_port);
	} else if (strcmp(mode, "futex") == 0) {
		sem_init(&held, 0, 0);
		pthread_t t;
		pthread_create(&t, NULL, poster, NULL);
		sem_wait(&held);
	} else if (strcmp(mode, "ppoll") == 0) {
		if (pipe(pfd) < 0)
			return 1;
	} else if (strcmp(mode, "epoll") == 0) {
		efd = epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = 0};
		if (efd < 0 || epoll_ctl(efd, EPOLL_CTL_ADD, 0, &ev) < 0)
			return 1;
	}
	printf("ready %d %d\n", (int)getpid(), port);
	fflush(stdout);

	int rc = 0, err = 0, eintr = 0;
	double t0 = now();
	if (strcmp(mode, "accept") == 0) {
		rc = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	} else if (strcmp(mode, "futex") == 0) {
		rc = pthread_mutex_lock(&mu);
		if (rc) {
			errno = rc;
			rc = -1;
		}
	} else if (strcmp(mode, "pselect") == 0) {
		rc = pselect(0, NULL, NULL, NULL, &rel, &during);
	} else if (strcmp(mode, "ppoll") == 0) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		rc = ppoll(&p, 1, &rel, &during);
	} else if (strcmp(mode, "sigsuspend") == 0) {
		rc = sigsuspend(&during);
	} else if (strcmp(mode, "abs-sleep") == 0) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += rel.tv_sec;
		until.tv_nsec += rel.tv_nsec;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
		if (rc) { /* returns the error itself */
			err = rc;
			rc = -1;
		}
	} else if (strcmp(mode, "nanosleep") == 0) {
		rc = nanosleep(&rel, NULL);
	} else if (strcmp(mode, "epoll") == 0) {
		struct epoll_event ev;
		while ((rc = epoll_wait(efd, &ev, 1, -1)) < 0 && errno == EINTR)
			eintr++;
	} else {
		fprintf(stderr, "restart-target: unknown mode %s\n", mode);
		return 2;
	}
	if (rc < 0 && !err)
		err = errno;
	double el = now() - t0;
	sigprocmask(SIG_BLOCK, NULL, &after);
	int mask_ok = sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1) &&
		      sigismember(&after, SIGUSR2) == sigismember(&before, SIGUSR2);
	printf("done rc=%d errno=%d elapsed=%.3f eintr=%d handled=%d mask_ok=%d\n", rc < 0 ? -1 : rc, err, el, eintr,
	       (int)handled, mask_ok);
	fflush(stdout);
	return 0;
}
