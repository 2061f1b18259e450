/*
 * error.h - the error context that library functions fill instead of
 * printing or exiting.
 *
 * A function that can fail takes a `gl_err *` (which may be NULL when the
 * caller does not want the message), returns a negative value on failure and
 * leaves one complete, human-readable sentence in err->msg, e.g.
 *   "app.snap: at byte 4711: edge points at 0x7f01c8 which has no record".
 * err->off is the file offset the problem was found at, or GL_ERR_NO_OFF.
 * Only the first error is kept: later gl_err_set() calls on a context that
 * already holds one are ignored, so cleanup paths cannot overwrite the cause.
 */
#ifndef GRAPHLEAK_ERROR_H
#define GRAPHLEAK_ERROR_H

#include <stdint.h>

#define GL_ERR_NO_OFF UINT64_MAX

typedef struct gl_err {
	int set;        /* nonzero once a message is stored */
	uint64_t off;   /* file offset of the problem, or GL_ERR_NO_OFF */
	char msg[512];
} gl_err;

/* Clears the context (no error). */
void gl_err_clear(gl_err *e);

/* Stores a printf-style message with no position. Returns -1. */
int gl_err_set(gl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Stores "NAME: at byte OFF: <message>" (NAME may be NULL, then omitted) and
 * sets e->off. Returns -1.
 */
int gl_err_set_at(gl_err *e, const char *name, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* GRAPHLEAK_ERROR_H */
