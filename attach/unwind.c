/*
 * unwind.c - a stopped thread's stack through libdwfl (unwind.h).
 */
#define _GNU_SOURCE
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "vec.h"
#include "mem.h"
#include "procfs.h"
#include "verdict.h"

#define STACK_CACHE (64 * 1024)

/* A module's functions, sorted by address: a frame's name in a binary
 * search (libdwfl's own lookup scans the whole symbol table per address,
 * 1.5 ms for a Python stack against pyenv's libpython with its 16,700
 * symbols, all of it while the thread is stopped). Built once per module,
 * before the thread stops for the modules every Python stack has. */
typedef struct {
	uint64_t lo, hi;
	const char *name; /* in the module's string table, owned by libdwfl */
	int global;
} symrange;

typedef struct {
	Dwfl_Module *mod;
	symrange *v;
	size_t n;
} modindex;

struct gl_unwinder {
	int pid;
	Dwfl *dwfl;
	gl_maps maps;
	char exe[PATH_MAX];
	/* the thread being unwound */
	int tid;
	const uint64_t *regs;
	unsigned nregs;
	/* its stack, read once */
	uint64_t cache_lo;
	size_t cache_len;
	unsigned char *cache;
	/* function names */
	gl_vec(modindex) idx;
};

/* ---- libdwfl's callbacks ---------------------------------------------------- */

/* libdwfl gives find_elf no way back to its session: the unwinder that is
 * reporting or unwinding is kept here (one per thread of graphleak). */
static __thread gl_unwinder *current;

/* Opens a module's file as image.h says (the very file the target maps). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name,
		    Elf **elfp)
{
	if (!name || name[0] != '/') /* [vdso: PID] and the like: from memory */
		return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	gl_unwinder *u = current;
	*elfp = NULL;
	if (!u)
		return -1;
	for (size_t i = 0; i < u->maps.n; i++) {
		const gl_map *g = &u->maps.v[i];
		if (g->path && g->offset == 0 && strcmp(g->path, name) == 0) {
			int fd = gl_image_open_fd(u->pid, g);
			if (fd < 0)
				return -1;
			*file_name = strdup(name);
			if (!*file_name) {
				close(fd);
				return -1;
			}
			return fd;
		}
	}
	return -1;
}

/* No separate debug files: the same verdict with or without debug packages. */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name, (void)debuglink_file;
	(void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = no_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl, (void)arg, (void)thread_argp;
	return 0; /* threads are asked for one at a time, by id */
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	gl_unwinder *u = arg;
	*thread_argp = u;
	return tid == u->tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	gl_unwinder *u = arg;
	if (u->cache && addr >= u->cache_lo && addr - u->cache_lo + sizeof *result <= u->cache_len) {
		memcpy(result, u->cache + (addr - u->cache_lo), sizeof *result);
		return true;
	}
	return gl_mem_read(u->pid, addr, result, sizeof *result) == 0;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	gl_unwinder *u = arg;
	return dwfl_thread_state_registers(thread, 0, u->nregs, u->regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- the session ------------------------------------------------------------ */

static void drop_indexes(gl_unwinder *u)
{
	for (size_t i = 0; i < u->idx.n; i++)
		free(u->idx.v[i].v);
	gl_vec_free(&u->idx);
}

static int report(gl_unwinder *u)
{
	drop_indexes(u); /* modules that went away are freed by libdwfl */
	gl_maps_free(&u->maps);
	if (gl_maps_read(u->pid, &u->maps) < 0)
		return -1;
	current = u;
	dwfl_report_begin(u->dwfl);
	int rc = dwfl_linux_proc_report(u->dwfl, u->pid);
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0 || rc != 0)
		return -1;
	return 0;
}

gl_unwinder *gl_unwinder_new(int pid, char *err, size_t errlen)
{
	gl_unwinder *u = calloc(1, sizeof *u);
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->pid = pid;
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/exe", pid);
	ssize_t n = readlink(p, u->exe, sizeof u->exe - 1);
	u->exe[n > 0 ? n : 0] = 0;
	u->dwfl = dwfl_begin(&callbacks);
	if (!u->dwfl) {
		snprintf(err, errlen, "libdwfl: %s", dwfl_errmsg(-1));
		free(u);
		return NULL;
	}
	if (report(u) < 0) {
		snprintf(err, errlen, "cannot read the modules of process %d: %s", pid,
			 errno ? strerror(errno) : dwfl_errmsg(-1));
		gl_unwinder_free(u);
		return NULL;
	}
	if (!dwfl_attach_state(u->dwfl, NULL, pid, &thread_callbacks, u)) {
		snprintf(err, errlen, "libdwfl cannot unwind process %d: %s", pid, dwfl_errmsg(-1));
		gl_unwinder_free(u);
		return NULL;
	}
	return u;
}

int gl_unwinder_refresh(gl_unwinder *u)
{
	return report(u);
}

void gl_unwinder_free(gl_unwinder *u)
{
	if (!u)
		return;
	drop_indexes(u);
	if (u->dwfl)
		dwfl_end(u->dwfl);
	gl_maps_free(&u->maps);
	free(u->cache);
	free(u);
}

uint64_t gl_unwinder_stack_room(gl_unwinder *u, uint64_t sp)
{
	const gl_map *g = gl_maps_find(&u->maps, sp);
	if (!g)
		return 0;
	if (g->path && strcmp(g->path, "[stack]") == 0)
		return 8u << 20;
	return sp - g->start;
}

/* ---- function names ----------------------------------------------------------- */

static gl_lib lib_of(const gl_unwinder *u, const char *path)
{
	if (!path)
		return GL_LIB_NONE;
	if (u->exe[0] && strcmp(path, u->exe) == 0)
		return GL_LIB_EXE;
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (strncmp(b, "ld-linux", 8) == 0 || strncmp(b, "ld64.so", 7) == 0 || strncmp(b, "ld.so", 5) == 0)
		return GL_LIB_LD;
	static const char *const libc[] = {"libc.so", "libc-2.", "libpthread.so", "libpthread-", "libdl.so",
					   "libdl-", "librt.so", "librt-"};
	for (size_t i = 0; i < sizeof libc / sizeof libc[0]; i++)
		if (strncmp(b, libc[i], strlen(libc[i])) == 0)
			return GL_LIB_LIBC;
	return GL_LIB_OTHER;
}


static int range_cmp(const void *a, const void *b)
{
	const symrange *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return y->global - x->global; /* a global name before a local alias */
}

static const modindex *index_of(gl_unwinder *u, Dwfl_Module *mod)
{
	for (size_t i = 0; i < u->idx.n; i++)
		if (u->idx.v[i].mod == mod)
			return &u->idx.v[i];
	modindex m = {mod, NULL, 0};
	int n = dwfl_module_getsymtab(mod);
	if (n > 0) {
		m.v = gl_alloc_array((size_t)n, sizeof *m.v);
		for (int i = 1; m.v && i < n; i++) {
			GElf_Sym sym;
			GElf_Addr addr;
			const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
			int type = GELF_ST_TYPE(sym.st_info);
			if (!name || !name[0] || sym.st_size == 0 || (type != STT_FUNC && type != STT_GNU_IFUNC))
				continue;
			m.v[m.n++] = (symrange){addr, addr + sym.st_size, name, GELF_ST_BIND(sym.st_info) != STB_LOCAL};
		}
		if (m.v)
			gl_sort(m.v, m.n, sizeof *m.v, range_cmp);
		else
			m.n = 0;
	}
	if (gl_vec_push(&u->idx, m) < 0) {
		free(m.v);
		return NULL;
	}
	return &u->idx.v[u->idx.n - 1];
}

/* The function holding addr, or NULL: the last range starting at or below
 * addr that covers it (nested or overlapping ranges are rare: a few
 * entries back are looked at). */
static const char *name_at(gl_unwinder *u, Dwfl_Module *mod, uint64_t addr)
{
	const modindex *m = index_of(u, mod);
	if (!m || !m->n)
		return NULL;
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo, back = 0; k > 0 && back < 8; k--, back++) {
		const symrange *r = &m->v[k - 1];
		if (addr < r->hi) {
			/* the first of the aliases at this address (global first) */
			while (k > 1 && m->v[k - 2].lo == r->lo && addr < m->v[k - 2].hi)
				r = &m->v[--k - 1];
			return r->name;
		}
	}
	return NULL;
}

static int prewarm_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	(void)userdata, (void)start;
	gl_unwinder *u = arg;
	const char *file = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	const char *path = file ? file : name;
	gl_lib lib = path && path[0] == '/' ? lib_of(u, path) : GL_LIB_OTHER;
	const char *b = path ? strrchr(path, '/') : NULL;
	int python = b && strncmp(b + 1, "libpython", 9) == 0;
	if (lib == GL_LIB_EXE || lib == GL_LIB_LIBC || python) {
		Dwarf_Addr bias;
		dwfl_module_getelf(mod, &bias);
		dwfl_module_eh_cfi(mod, &bias);
		index_of(u, mod);
	}
	return DWARF_CB_OK;
}

void gl_unwinder_prewarm(gl_unwinder *u)
{
	current = u;
	dwfl_getmodules(u->dwfl, prewarm_module, u, 0);
}

/* ---- frames ----------------------------------------------------------------- */

typedef struct {
	gl_unwinder *u;
	gl_stack *out;
	int refreshed;
} walk;

static int on_frame(Dwfl_Frame *state, void *arg)
{
	walk *w = arg;
	gl_stack *s = w->out;
	if (s->n >= GL_MAX_FRAMES)
		return DWARF_CB_ABORT;
	Dwarf_Addr pc;
	bool act = false;
	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	gl_frame *f = &s->f[s->n++];
	memset(f, 0, sizeof *f);
	f->pc = pc;
	f->activation = act;
	Dwarf_Addr look = act || pc == 0 ? pc : pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(w->u->dwfl, look);
	if (!mod)
		return DWARF_CB_OK;
	const char *mname = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mname, NULL);
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	const char *path = mname ? mname : modname;
	f->lib = path && path[0] == '/' ? lib_of(w->u, path) : GL_LIB_OTHER;
	const char *b = path ? strrchr(path, '/') : NULL;
	snprintf(f->module, sizeof f->module, "%s", b ? b + 1 : path ? path : "?");
	const char *name = name_at(w->u, mod, look);
	if (name) {
		snprintf(f->name, sizeof f->name, "%s", name);
		gl_norm_name(name, f->norm, sizeof f->norm);
	}
	return DWARF_CB_OK;
}

int gl_unwind(gl_unwinder *u, int tid, const uint64_t *regs, unsigned nregs, gl_stack *out)
{
	memset(out, 0, sizeof *out);
	u->tid = tid;
	u->regs = regs;
	u->nregs = nregs;
	current = u;
	/* the stack, from sp to the end of its mapping (64 KiB at most) */
	uint64_t sp = nregs > 7 ? regs[7] : 0;
	const gl_map *g = gl_maps_find(&u->maps, sp);
	u->cache_len = 0;
	if (g) {
		size_t len = g->end - sp < STACK_CACHE ? (size_t)(g->end - sp) : STACK_CACHE;
		if (!u->cache)
			u->cache = malloc(STACK_CACHE);
		if (u->cache && gl_mem_read(u->pid, sp, u->cache, len) == 0) {
			u->cache_lo = sp;
			u->cache_len = len;
		}
	}
	walk w = {u, out, 0};
	int rc = dwfl_getthread_frames(u->dwfl, tid, on_frame, &w);
	const char *err = rc != 0 ? dwfl_errmsg(-1) : NULL;
	u->cache_len = 0;
	if (out->n == 0) {
		snprintf(out->why, sizeof out->why, "no frame could be read: %s", err ? err : "?");
		return -1;
	}
	/* libdwfl ends a stack either with 0 or, on some systems, with an error
	 * at its outermost frame: the unwind is complete if it ended without
	 * error, or in the thread's start (libc's clone/start_thread, or the
	 * program's _start) */
	const gl_frame *last = &out->f[out->n - 1];
	if (rc == 0 || gl_is_thread_base(last))
		out->complete = 1;
	else
		snprintf(out->why, sizeof out->why, "stopped after %d frames at %s: %s", out->n,
			 last->name[0] ? last->name : last->module[0] ? last->module : "an unknown address",
			 err ? err : "?");
	return 0;
}

const char *gl_frame_label(const gl_frame *f, char *buf, size_t len)
{
	static const char *const libs[] = {"?", "exe", "libc", "ld", "other"};
	snprintf(buf, len, "%s[%s]", f->name[0] ? f->name : "??", f->lib == GL_LIB_OTHER ? f->module : libs[f->lib]);
	return buf;
}
