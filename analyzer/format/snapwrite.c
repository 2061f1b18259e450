/*
 * snapwrite.c - streaming snapshot encoder. Format: snapfmt.h and
 * docs/snapshot-format.md. Contract: snapwrite.h.
 */
#define _GNU_SOURCE
#include "snapwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"

/* One interned string: where its bytes are in the arena, and its hash. */
typedef struct {
	uint64_t hash;
	uint64_t off; /* into str_arena */
	uint32_t len;
	uint32_t sid; /* 0 marks an empty slot (sid 0, "", is never stored) */
} str_slot;

struct gl_writer {
	int fd;
	char extra_tag[4];          /* one more section, between OBJS and STRS (gl_w_extra_section) */
	const unsigned char *extra;
	size_t extra_len;
	int failed;
	unsigned flags;
	char err[256];
	char *tmp_path;
	char *final_path;

	unsigned char *buf;
	size_t buf_len;
	uint64_t file_off;      /* bytes flushed so far */
	uint64_t objs_hdr_off;  /* where the OBJS section header starts */

	uint64_t prev_addr;     /* addr>>3 of the previous record */
	uint64_t cur_src;       /* addr>>3 of the open record */
	int in_object;

	/* string table: arena of bytes, a list of (off,len) in id order, and
	 * an open-addressing index over it */
	char *str_arena;
	uint64_t str_arena_len, str_arena_cap;
	uint64_t *str_off;      /* per id: offset, length packed below */
	uint32_t *str_len;
	uint32_t n_str, str_cap;
	str_slot *index;
	uint32_t index_cap;     /* power of two */
	uint64_t strings_dropped;

	uint64_t n_objects, n_edges;
	uint64_t mem_now, mem_peak;
};

static void set_err(gl_writer *w, const char *fmt, ...)
{
	if (w->failed)
		return;
	w->failed = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
}

static void copy_err(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf && errlen) {
		snprintf(errbuf, errlen, "%s", msg);
	}
}

static void mem_add(gl_writer *w, uint64_t delta)
{
	w->mem_now += delta;
	if (w->mem_now > w->mem_peak)
		w->mem_peak = w->mem_now;
}

/* Grows *p (elements of `size` bytes, capacity *cap) to hold `need`. */
static int grow(gl_writer *w, void **p, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 1024;
	while (ncap < need)
		ncap *= 2;
	if (ncap > UINT32_MAX || ncap > SIZE_MAX / size) {
		set_err(w, "string table too large");
		return -1;
	}
	void *np = realloc(*p, (size_t)ncap * size);
	if (!np) {
		set_err(w, "out of memory growing the string table");
		return -1;
	}
	mem_add(w, (ncap - *cap) * size);
	*p = np;
	*cap = (uint32_t)ncap;
	return 0;
}

static int write_all(gl_writer *w, const void *data, size_t n)
{
	const unsigned char *p = data;
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			set_err(w, "writing %s: %s", w->tmp_path, strerror(errno));
			return -1;
		}
		p += k;
		n -= (size_t)k;
		w->file_off += (uint64_t)k;
	}
	return 0;
}

static int flush(gl_writer *w)
{
	if (w->failed)
		return -1;
	if (w->buf_len == 0)
		return 0;
	int rc = write_all(w, w->buf, w->buf_len);
	w->buf_len = 0;
	return rc;
}

/* Makes room for n more bytes in the buffer (n <= GL_W_BUF_BYTES). */
static inline int need(gl_writer *w, size_t n)
{
	if (w->failed)
		return -1;
	if (GL_W_BUF_BYTES - w->buf_len < n)
		return flush(w);
	return 0;
}

static int put_bytes(gl_writer *w, const void *data, size_t n)
{
	if (n > GL_W_BUF_BYTES) {
		if (flush(w) < 0)
			return -1;
		return write_all(w, data, n);
	}
	if (need(w, n) < 0)
		return -1;
	if (n)
		memcpy(w->buf + w->buf_len, data, n);
	w->buf_len += n;
	return 0;
}

static inline void put_varint(gl_writer *w, uint64_t v)
{
	w->buf_len += gl_varint_put(w->buf + w->buf_len, v);
}

static uint64_t offset_now(const gl_writer *w)
{
	return w->file_off + w->buf_len;
}

static int put_section_header(gl_writer *w, const char *tag, uint64_t len)
{
	unsigned char h[GL_FMT_SECTION_HDR_LEN];
	memcpy(h, tag, 4);
	gl_put_u32(h + 4, 0);
	gl_put_u64(h + 8, len);
	return put_bytes(w, h, sizeof h);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Opens a fresh temporary file beside `path`. Returns fd or -1 (errno set). */
static int open_temp(const char *path, char **tmp_out)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	const char *base = slash ? slash + 1 : path;
	size_t cap = strlen(path) + 64;
	char *tmp = malloc(cap);
	if (!tmp)
		return -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (unsigned attempt = 0; attempt < 100; attempt++) {
		snprintf(tmp, cap, "%.*s.%s.%ld.%lx%02u.part", (int)dirlen, path, base,
			 (long)getpid(), (unsigned long)ts.tv_nsec, attempt);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*tmp_out = tmp;
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	int saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int gl_w_open(gl_writer **out, const char *path, unsigned flags,
	      const char *header_json, size_t header_len,
	      char *errbuf, size_t errlen)
{
	*out = NULL;
	if (!path || !*path) {
		copy_err(errbuf, errlen, "no output path given");
		return -1;
	}
	size_t plen = strlen(path);
	if (plen > 4000 || (path[plen - 1] == '/')) {
		copy_err(errbuf, errlen, "output path is a directory or too long");
		return -1;
	}
	gl_writer *w = calloc(1, sizeof *w);
	if (!w) {
		copy_err(errbuf, errlen, "out of memory");
		return -1;
	}
	w->fd = -1;
	w->flags = flags;
	w->buf = malloc(GL_W_BUF_BYTES);
	w->final_path = dup_str(path);
	if (!w->buf || !w->final_path) {
		copy_err(errbuf, errlen, "out of memory");
		gl_w_abort(w);
		return -1;
	}
	mem_add(w, sizeof *w + GL_W_BUF_BYTES);
	if (!(flags & GL_W_OVERWRITE)) {
		struct stat st;
		if (lstat(path, &st) == 0) {
			char m[512];
			snprintf(m, sizeof m, "%s already exists (choose another name or remove it)", path);
			copy_err(errbuf, errlen, m);
			gl_w_abort(w);
			return -1;
		}
	}
	w->fd = open_temp(path, &w->tmp_path);
	if (w->fd < 0) {
		char m[512];
		snprintf(m, sizeof m, "cannot create a file beside %s: %s", path, strerror(errno));
		copy_err(errbuf, errlen, m);
		gl_w_abort(w);
		return -1;
	}

	unsigned char pre[GL_FMT_PREAMBLE_LEN];
	memcpy(pre, GL_FMT_MAGIC, GL_FMT_MAGIC_LEN);
	gl_put_u16(pre + 8, GL_FMT_MAJOR);
	gl_put_u16(pre + 10, GL_FMT_MINOR);
	gl_put_u32(pre + 12, 0);
	gl_put_u64(pre + 16, header_len);
	put_bytes(w, pre, sizeof pre);
	put_bytes(w, header_json, header_len);
	w->objs_hdr_off = offset_now(w);
	put_section_header(w, GL_SEC_OBJS, 0); /* length patched by finish */
	if (w->failed) {
		copy_err(errbuf, errlen, w->err);
		gl_w_abort(w);
		return -1;
	}
	*out = w;
	return 0;
}

static int index_rehash(gl_writer *w)
{
	uint64_t ncap = w->index_cap ? (uint64_t)w->index_cap * 2 : 4096;
	if (ncap > UINT32_MAX / 2) {
		set_err(w, "string index too large");
		return -1;
	}
	str_slot *ni = calloc((size_t)ncap, sizeof *ni);
	if (!ni) {
		set_err(w, "out of memory growing the string index");
		return -1;
	}
	mem_add(w, ncap * sizeof *ni);
	for (uint32_t i = 0; i < w->index_cap; i++) {
		if (!w->index[i].sid)
			continue;
		uint64_t j = w->index[i].hash & (ncap - 1);
		while (ni[j].sid)
			j = (j + 1) & (ncap - 1);
		ni[j] = w->index[i];
	}
	if (w->index) {
		w->mem_now -= (uint64_t)w->index_cap * sizeof *w->index;
		free(w->index);
	}
	w->index = ni;
	w->index_cap = (uint32_t)ncap;
	return 0;
}

uint32_t gl_w_intern(gl_writer *w, const char *s, size_t n)
{
	if (w->failed || n == 0)
		return 0;
	if (n > UINT32_MAX || w->str_arena_len + n > GL_W_STR_CAP_BYTES || w->n_str >= UINT32_MAX - 1) {
		w->strings_dropped++;
		return 0;
	}
	if (w->n_str == 0) {
		/* id 0 is the empty string, present from the start */
		if (grow(w, (void **)&w->str_off, &w->str_cap, 1, sizeof *w->str_off) < 0)
			return 0;
		w->str_len = calloc(w->str_cap, sizeof *w->str_len);
		if (!w->str_len) {
			set_err(w, "out of memory");
			return 0;
		}
		mem_add(w, (uint64_t)w->str_cap * sizeof *w->str_len);
		w->str_off[0] = 0;
		w->str_len[0] = 0;
		w->n_str = 1;
	}
	if ((uint64_t)(w->n_str + 1) * 2 > w->index_cap && index_rehash(w) < 0)
		return 0;
	uint64_t h = gl_mix64(gl_hash_bytes(s, n));
	uint32_t mask = w->index_cap - 1;
	uint32_t j = (uint32_t)(h & mask);
	while (w->index[j].sid) {
		str_slot *sl = &w->index[j];
		if (sl->hash == h && sl->len == n && memcmp(w->str_arena + sl->off, s, n) == 0)
			return sl->sid;
		j = (j + 1) & mask;
	}
	/* new string */
	if (w->str_arena_len + n > w->str_arena_cap) {
		uint64_t ncap = w->str_arena_cap ? w->str_arena_cap * 2 : 65536;
		while (ncap < w->str_arena_len + n)
			ncap *= 2;
		if (ncap > SIZE_MAX) {
			set_err(w, "string arena too large");
			return 0;
		}
		char *na = realloc(w->str_arena, (size_t)ncap);
		if (!na) {
			set_err(w, "out of memory growing the string arena");
			return 0;
		}
		mem_add(w, ncap - w->str_arena_cap);
		w->str_arena = na;
		w->str_arena_cap = ncap;
	}
	uint32_t old_cap = w->str_cap;
	if (grow(w, (void **)&w->str_off, &w->str_cap, w->n_str + 1, sizeof *w->str_off) < 0)
		return 0;
	if (w->str_cap != old_cap) {
		uint32_t *nl = realloc(w->str_len, (size_t)w->str_cap * sizeof *nl);
		if (!nl) {
			set_err(w, "out of memory");
			return 0;
		}
		mem_add(w, (uint64_t)(w->str_cap - old_cap) * sizeof *nl);
		w->str_len = nl;
	}
	uint32_t sid = w->n_str++;
	if (n)
		memcpy(w->str_arena + w->str_arena_len, s, n);
	w->str_off[sid] = w->str_arena_len;
	w->str_len[sid] = (uint32_t)n;
	w->index[j].hash = h;
	w->index[j].off = w->str_arena_len;
	w->index[j].len = (uint32_t)n;
	w->index[j].sid = sid;
	w->str_arena_len += n;
	return sid;
}

int gl_w_begin_object(gl_writer *w, uint64_t addr, uint32_t type_sid, uint32_t flags,
		      uint64_t size, uint64_t refcnt, uint64_t length,
		      const void *preview, size_t preview_len)
{
	if (w->failed)
		return -1;
	if (w->in_object) {
		set_err(w, "internal: object record opened twice");
		return -1;
	}
	if (addr & 7) {
		set_err(w, "internal: object address 0x%llx is not 8-byte aligned",
			(unsigned long long)addr);
		return -1;
	}
	if (!(flags & GL_OF_PREVIEW))
		preview_len = 0;
	if (preview_len > GL_PREVIEW_MAX) {
		preview_len = GL_PREVIEW_MAX;
		flags |= GL_OF_PREVIEW_TRUNC;
	}
	if (need(w, 7 * GL_VARINT_MAX + GL_PREVIEW_MAX) < 0)
		return -1;
	uint64_t a = addr >> 3;
	put_varint(w, gl_zigzag((int64_t)(a - w->prev_addr)));
	put_varint(w, type_sid);
	put_varint(w, flags);
	put_varint(w, size);
	put_varint(w, refcnt);
	put_varint(w, length);
	if (flags & GL_OF_PREVIEW) {
		put_varint(w, preview_len);
		if (preview_len) /* an empty preview may come with no pointer at all */
			memcpy(w->buf + w->buf_len, preview, preview_len);
		w->buf_len += preview_len;
	}
	w->prev_addr = a;
	w->cur_src = a;
	w->in_object = 1;
	w->n_objects++;
	return 0;
}

int gl_w_edge(gl_writer *w, uint64_t dst, unsigned kind, int extra, uint64_t payload)
{
	if (w->failed)
		return -1;
	if (!w->in_object || kind > GL_EK_MAX_ || (dst & 7) || payload > (UINT64_MAX >> GL_EDGE_PAYLOAD_SHIFT)) {
		set_err(w, "internal: bad edge (kind %u, dst 0x%llx)", kind, (unsigned long long)dst);
		return -1;
	}
	if (need(w, 2 * GL_VARINT_MAX) < 0)
		return -1;
	uint64_t label = (payload << GL_EDGE_PAYLOAD_SHIFT) | (extra ? GL_EDGE_EXTRA_BIT : 0) | kind;
	put_varint(w, label);
	put_varint(w, gl_zigzag((int64_t)((dst >> 3) - w->cur_src)));
	w->n_edges++;
	return 0;
}

int gl_w_end_object(gl_writer *w)
{
	if (w->failed)
		return -1;
	if (!w->in_object) {
		set_err(w, "internal: no object record open");
		return -1;
	}
	if (need(w, GL_VARINT_MAX) < 0)
		return -1;
	put_varint(w, GL_EDGE_END);
	w->in_object = 0;
	return 0;
}

int gl_w_failed(const gl_writer *w)
{
	return w->failed;
}

const char *gl_w_error(const gl_writer *w)
{
	return w->err;
}

void gl_w_get_stats(const gl_writer *w, gl_w_stats *st)
{
	st->objects = w->n_objects;
	st->edges = w->n_edges;
	st->strings = w->n_str ? w->n_str : 1;
	st->strings_dropped = w->strings_dropped;
	st->file_bytes = offset_now(w);
	st->peak_mem = w->mem_peak;
}

static void writer_free(gl_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w->str_arena);
	free(w->str_off);
	free(w->str_len);
	free(w->index);
	free(w->tmp_path);
	free(w->final_path);
	free(w);
}

void gl_w_abort(gl_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp_path)
		unlink(w->tmp_path);
	writer_free(w);
}

void gl_w_extra_section(gl_writer *w, const char tag[4], const void *data, size_t len)
{
	memcpy(w->extra_tag, tag, 4);
	w->extra = data;
	w->extra_len = len;
}

int gl_w_fd(const gl_writer *w)
{
	return w->fd;
}

const char *gl_w_tmp_path(const gl_writer *w)
{
	return w->tmp_path;
}

void gl_w_release(gl_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	writer_free(w);
}

static int publish(gl_writer *w)
{
	if (w->flags & GL_W_OVERWRITE) {
		if (rename(w->tmp_path, w->final_path) < 0) {
			set_err(w, "cannot rename %s to %s: %s", w->tmp_path, w->final_path, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* link() refuses to replace an existing name, and does not follow a
	 * symlink planted at the final name */
	if (link(w->tmp_path, w->final_path) < 0) {
		if (errno == EEXIST)
			set_err(w, "%s already exists (choose another name or remove it)", w->final_path);
		else
			set_err(w, "cannot create %s: %s", w->final_path, strerror(errno));
		return -1;
	}
	unlink(w->tmp_path);
	return 0;
}

int gl_w_finish(gl_writer *w, const char *footer_json, size_t footer_len,
		gl_w_stats *st, char *errbuf, size_t errlen)
{
	if (!w->failed && w->in_object)
		set_err(w, "internal: object record left open");

	/* OBJS length: everything after its header up to here */
	uint64_t objs_len = offset_now(w) - w->objs_hdr_off - GL_FMT_SECTION_HDR_LEN;

	/* STRS: count, then (len, bytes) for each id >= 0 */
	uint32_t n_str = w->n_str ? w->n_str : 1;
	uint64_t strs_len = 0;
	{
		unsigned char tmp[GL_VARINT_MAX];
		strs_len += gl_varint_put(tmp, n_str);
		for (uint32_t i = 1; i < w->n_str; i++)
			strs_len += gl_varint_put(tmp, w->str_len[i]) + w->str_len[i];
		strs_len += gl_varint_put(tmp, 0); /* id 0: "" */
	}
	if (w->extra) {
		put_section_header(w, w->extra_tag, w->extra_len);
		put_bytes(w, w->extra, w->extra_len);
	}
	put_section_header(w, GL_SEC_STRS, strs_len);
	if (need(w, 2 * GL_VARINT_MAX) == 0) {
		put_varint(w, n_str);
		put_varint(w, 0);
	}
	for (uint32_t i = 1; i < w->n_str && !w->failed; i++) {
		if (need(w, GL_VARINT_MAX) < 0)
			break;
		put_varint(w, w->str_len[i]);
		put_bytes(w, w->str_arena + w->str_off[i], w->str_len[i]);
	}

	put_section_header(w, GL_SEC_FOOT, footer_len);
	put_bytes(w, footer_json, footer_len);

	put_section_header(w, GL_SEC_END, GL_FMT_END_LEN);
	unsigned char end[GL_FMT_END_LEN];
	gl_put_u64(end, w->n_objects);
	gl_put_u64(end + 8, w->n_edges);
	gl_put_u64(end + 16, n_str);
	gl_put_u64(end + 24, offset_now(w) + GL_FMT_END_LEN);
	put_bytes(w, end, sizeof end);
	flush(w);

	if (!w->failed) {
		unsigned char len8[8];
		gl_put_u64(len8, objs_len);
		if (pwrite(w->fd, len8, 8, (off_t)(w->objs_hdr_off + 8)) != 8)
			set_err(w, "writing %s: %s", w->tmp_path, strerror(errno));
	}
	if (st)
		gl_w_get_stats(w, st);
	if (!w->failed && close(w->fd) < 0)
		set_err(w, "closing %s: %s", w->tmp_path, strerror(errno));
	else if (w->failed)
		close(w->fd);
	w->fd = -1;
	if (!w->failed)
		publish(w);
	if (w->failed) {
		copy_err(errbuf, errlen, w->err);
		unlink(w->tmp_path);
		writer_free(w);
		return -1;
	}
	writer_free(w);
	return 0;
}
