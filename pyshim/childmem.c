/*
 * childmem.c - the walk's allocator, in the target and in a copy-on-write
 * child (childmem.h).
 */
#define _GNU_SOURCE
#include "childmem.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GL_MEM_LARGE ((size_t)256 << 10) /* a mapping of its own from here */
#define GL_MEM_CHUNK ((size_t)4 << 20)   /* small blocks come from chunks of 4 MiB */
#define GL_MEM_MAX_MAPS 16384
#define GL_MEM_ALIGN 16

/* Before every block: its usable size (16 bytes, to keep the alignment). */
typedef struct {
	size_t size;
	size_t large; /* 1: the block is a mapping of its own, starting here */
} blk_hdr;

typedef struct {
	uintptr_t base;
	size_t len;
} mapping;

static int in_child;
static mapping maps[GL_MEM_MAX_MAPS];
static size_t n_maps;
static char *chunk_cur;
static size_t chunk_left;
static uint64_t mapped_now;

void gl_mem_enter_child(void)
{
	in_child = 1;
	n_maps = 0;
	chunk_cur = NULL;
	chunk_left = 0;
	mapped_now = 0;
}

uint64_t gl_mem_child_mapped(void)
{
	return in_child ? mapped_now : 0;
}

static size_t page_round(size_t n)
{
	size_t pg = 4096;
	return (n + pg - 1) & ~(pg - 1);
}

/* The recorded mapping that holds p, or NULL (searched newest first: the
 * blocks a walk grows are the ones it made last). */
static mapping *map_of(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	for (size_t i = n_maps; i-- > 0;)
		if (a >= maps[i].base && a - maps[i].base < maps[i].len)
			return &maps[i];
	return NULL;
}

static void *map_new(size_t len)
{
	if (n_maps == GL_MEM_MAX_MAPS)
		return NULL;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	maps[n_maps].base = (uintptr_t)p;
	maps[n_maps].len = len;
	n_maps++;
	mapped_now += len;
	return p;
}

static void map_drop(mapping *m)
{
	munmap((void *)m->base, m->len);
	mapped_now -= m->len;
	*m = maps[--n_maps];
}

static void *child_alloc(size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	size_t sz = (n + GL_MEM_ALIGN - 1) & ~(size_t)(GL_MEM_ALIGN - 1);
	if (sz == 0)
		sz = GL_MEM_ALIGN;
	if (sz >= GL_MEM_LARGE) {
		blk_hdr *h = map_new(page_round(sz + sizeof *h));
		if (!h)
			return NULL;
		h->size = page_round(sz + sizeof *h) - sizeof *h;
		h->large = 1;
		return h + 1;
	}
	if (chunk_left < sz + sizeof(blk_hdr)) {
		char *c = map_new(GL_MEM_CHUNK);
		if (!c)
			return NULL;
		chunk_cur = c;
		chunk_left = GL_MEM_CHUNK;
	}
	blk_hdr *h = (blk_hdr *)chunk_cur;
	h->size = sz;
	h->large = 0;
	chunk_cur += sz + sizeof *h;
	chunk_left -= sz + sizeof *h;
	return h + 1;
}

void *gl_mem_malloc(size_t n)
{
	return in_child ? child_alloc(n) : malloc(n);
}

void *gl_mem_calloc(size_t n, size_t size)
{
	if (!in_child)
		return calloc(n, size);
	if (size && n > SIZE_MAX / size)
		return NULL;
	return child_alloc(n * size); /* fresh anonymous memory is zero */
}

void gl_mem_free(void *p)
{
	if (!in_child) {
		free(p);
		return;
	}
	if (!p)
		return;
	mapping *m = map_of(p);
	blk_hdr *h = (blk_hdr *)p - 1;
	if (m && (uintptr_t)h == m->base && h->large)
		map_drop(m);
	/* a small block, or one of the parent's: left until the child exits */
}

void *gl_mem_realloc(void *p, size_t n)
{
	if (!in_child)
		return realloc(p, n);
	if (!p)
		return child_alloc(n);
	mapping *m = map_of(p);
	if (!m) {
		/* the parent's block: copied, never freed here */
		size_t old = malloc_usable_size(p);
		void *q = child_alloc(n);
		if (q)
			memcpy(q, p, old < n ? old : n);
		return q;
	}
	blk_hdr *h = (blk_hdr *)p - 1;
	if (n <= h->size)
		return p;
	if ((uintptr_t)h == m->base && h->large && n <= SIZE_MAX / 2) {
		size_t len = page_round(n + sizeof *h);
		void *q = mremap((void *)m->base, m->len, len, MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			return NULL;
		mapped_now += len - m->len;
		m->base = (uintptr_t)q;
		m->len = len;
		h = q;
		h->size = len - sizeof *h;
		return h + 1;
	}
	void *q = child_alloc(n);
	if (q)
		memcpy(q, p, h->size);
	return q;
}

const char *gl_mem_strerror(int e)
{
	if (!in_child)
		return strerror(e);
	switch (e) {
	case ENOSPC: return "No space left on device";
	case EDQUOT: return "Disk quota exceeded";
	case EFBIG: return "File too large";
	case EIO: return "Input/output error";
	case EACCES: return "Permission denied";
	case EPERM: return "Operation not permitted";
	case EROFS: return "Read-only file system";
	case ENOENT: return "No such file or directory";
	case EEXIST: return "File exists";
	case EXDEV: return "Invalid cross-device link";
	case ENOMEM: return "Cannot allocate memory";
	case EBADF: return "Bad file descriptor";
	default: return "system error";
	}
}
