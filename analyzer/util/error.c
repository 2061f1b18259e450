/* error.c - the error context; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gl_err_clear(gl_err *e)
{
	if (!e)
		return;
	e->set = 0;
	e->off = GL_ERR_NO_OFF;
	e->msg[0] = '\0';
}

int gl_err_set(gl_err *e, const char *fmt, ...)
{
	if (!e || e->set)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->set = 1;
	e->off = GL_ERR_NO_OFF;
	return -1;
}

int gl_err_set_at(gl_err *e, const char *name, uint64_t off, const char *fmt, ...)
{
	if (!e || e->set)
		return -1;
	int n = name ? snprintf(e->msg, sizeof e->msg, "%s: at byte %llu: ", name, (unsigned long long)off)
		     : snprintf(e->msg, sizeof e->msg, "at byte %llu: ", (unsigned long long)off);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof e->msg) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
		va_end(ap);
	}
	e->set = 1;
	e->off = off;
	return -1;
}
