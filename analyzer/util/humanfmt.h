/*
 * humanfmt.h - numbers for people: "12.3 MiB", "10,002", "0.141 s".
 * Each writes into a caller-provided buffer and returns it, so calls can be
 * used directly as printf arguments.
 */
#ifndef GRAPHLEAK_HUMANFMT_H
#define GRAPHLEAK_HUMANFMT_H

#include <stdint.h>

#define GL_FMT_BUF 32

/* Bytes in binary units: "0 B", "512 B", "1.0 KiB", "12.3 MiB", "2.00 GiB"
 * (three significant digits from KiB up). */
char *gl_fmt_bytes(char buf[GL_FMT_BUF], uint64_t bytes);

/* Thousands separators: 10002 -> "10,002". */
char *gl_fmt_count(char buf[GL_FMT_BUF], uint64_t n);

#endif /* GRAPHLEAK_HUMANFMT_H */
