/*
 * dump.c - one dump, in its three phases (shim.h: gl_dump_core):
 *   1. before the walk (Python allowed): an optional gc.collect(), the header
 *      JSON (header.c: gc state, argv, threads and their frames; on 3.11+
 *      asking for a thread's frames materialises its frame objects, which
 *      are held until the walk is over), what the walk needs to know;
 *   2. the walk (walk.c: no Python object is created, no Python code runs,
 *      nothing releases the GIL), either here or, by default when there is
 *      room, in a copy-on-write child (cow.h): then the GIL is released as
 *      soon as the child exists, and the child walks, writes and exits;
 *   3. after the walk: the footer, the file is published (snapwrite), the
 *      held references are released, the summary filled (or an exception
 *      set).
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childmem.h"
#include "cow.h"
#include "header.h"
#include "layout.h"
#include "pyutil.h"
#include "shim.h"
#include "snapwrite.h"
#include "strbuf.h"
#include "walk.h"

int gl_shim_init(void)
{
	static int ready;
	if (ready)
		return 0;
	/* one shim per minor version: is this interpreter the one it was
	 * compiled for? (layout.c) */
	char err[1024];
	const char *kind;
	if (gl_shim_check_build(err, sizeof err, &kind) < 0 || gl_shim_check_runtime(err, sizeof err) < 0) {
		PyErr_Format(PyExc_ImportError, "graphleak: %s", err);
		return -1;
	}
	if (gl_compat_init() < 0)
		return -1;
	ready = 1;
	return 0;
}

int gl_shim_gc_collecting(void)
{
	gl_gc_lists lists;
	gl_gc_get_lists(&lists);
	return lists.collecting != 0;
}

double gl_shim_now(void)
{
	return now_mono();
}

void gl_dump_opts_default(gl_dump_opts *o)
{
	memset(o, 0, sizeof *o);
	o->values = 1;
	o->fork = gl_fork_default();
}

/* Allocation sites: whether this dump records them, and what it says
 * about them (footer "sites_note"). */
typedef struct {
	int record;     /* tracemalloc traces and the sites are read after the walk */
	int lock;       /* 3.12+, in place: hold tracemalloc's tables lock meanwhile */
	const char *note;
} sites_plan;

/* The footer JSON into buf (fixed size: the child allocates nothing for it). */
static int footer(char *buf, size_t cap, const gl_w_stats *st, const gl_walk_stats *ws, double pause, int forked,
		  const sites_plan *sp, const gl_site_stats *ss)
{
	char sites[256];
	if (sp->record)
		snprintf(sites, sizeof sites, "{\"count\": %llu, \"objects\": %llu, \"seconds\": %.6f}",
			 (unsigned long long)ss->sites, (unsigned long long)ss->objects, ss->seconds);
	else
		snprintf(sites, sizeof sites, "null");
	int n = snprintf(buf, cap,
			 "{\"objects\": %llu, \"edges\": %llu, \"tracked\": %llu, \"untracked\": %llu, "
			 "\"bytes\": %llu, \"mapped_bytes\": %llu, \"pause_seconds\": %.6f, \"walk_seconds\": %.6f, "
			 "\"shim_peak_bytes\": %llu, \"strings_dropped\": %llu, \"mode\": \"%s\", \"sites\": %s, "
			 "\"sites_note\": %s%s%s, \"warnings\": [%s]}",
			 (unsigned long long)st->objects, (unsigned long long)st->edges,
			 (unsigned long long)ws->tracked, (unsigned long long)ws->untracked,
			 (unsigned long long)ws->bytes, (unsigned long long)ws->mapped, pause, ws->seconds,
			 (unsigned long long)(ws->mem_peak + st->peak_mem), (unsigned long long)st->strings_dropped,
			 forked ? "fork" : "in-place", sites, sp->note ? "\"" : "", sp->note ? sp->note : "null",
			 sp->note ? "\"" : "",
			 st->strings_dropped ? "\"the string table was full: some names were dropped\"" : "");
	return n > 0 && (size_t)n < cap ? n : -1;
}

/* Walks, reads the allocation sites, writes the footer and publishes the
 * file: 0, or -1 with msg (the writer is finished or aborted either way). */
static int walk_and_finish(gl_walker *w, gl_writer *wr, const gl_gc_lists *lists, const gl_heldlist *held,
			   double pause, int forked, const sites_plan *sp, gl_walk_stats *ws, gl_w_stats *st,
			   char *msg, size_t msglen)
{
	msg[0] = 0;
	int failed = gl_walk_run(w, wr, lists, held->frames, held->n, ws, msg, msglen) < 0;
	gl_site_stats ss;
	memset(&ss, 0, sizeof ss);
	if (!failed && sp->record) {
#if GL_TM_DIRECT
		if (sp->lock)
			PyThread_acquire_lock(gl_tm_lock(), WAIT_LOCK);
#endif
		failed = gl_walk_sites(w, wr, &ss) < 0;
#if GL_TM_DIRECT
		if (sp->lock)
			PyThread_release_lock(gl_tm_lock());
#endif
		if (failed)
			snprintf(msg, msglen, "out of memory reading the allocation sites");
	}
	gl_w_get_stats(wr, st);
	if (failed) {
		gl_w_abort(wr);
		return -1;
	}
	char fj[1536];
	int n = footer(fj, sizeof fj, st, ws, pause, forked, sp, &ss);
	if (n < 0) {
		gl_w_abort(wr);
		snprintf(msg, msglen, "internal: the footer does not fit");
		return -1;
	}
	if (gl_w_finish(wr, fj, (size_t)n, st, msg, msglen) < 0)
		return -1;
	return 0;
}

/* The copy-on-write child: walks, reports, exits (cow.h). */
__attribute__((noreturn)) static void child_walk(gl_cow *c, gl_walker *w, gl_writer *wr, const gl_gc_lists *lists,
						 const gl_heldlist *held, double t0, const sites_plan *sp)
{
	gl_mem_enter_child();
	gl_cow_child_setup(gl_w_fd(wr));
	gl_walk_stats ws;
	gl_w_stats st;
	memset(&ws, 0, sizeof ws);
	memset(&st, 0, sizeof st);
	gl_cow_report *r = c->rep;
	/* tracemalloc's tables (3.12+) are read without their lock here: the
	 * parent held it across the clone, so this copy of them is whole */
	sites_plan csp = *sp;
	csp.lock = 0;
	int rc = walk_and_finish(w, wr, lists, held, c->t_clone - t0, 1, &csp, &ws, &st, r->err, sizeof r->err);
	r->objects = st.objects;
	r->edges = st.edges;
	r->tracked = ws.tracked;
	r->untracked = ws.untracked;
	r->bytes = ws.bytes;
	r->file_bytes = st.file_bytes;
	r->shim_peak_bytes = ws.mem_peak + st.peak_mem;
	r->walk_seconds = ws.seconds;
	gl_cow_child_exit(c, rc);
}

int gl_dump_finish(gl_dump_pending *p, gl_dump_summary *s, char *err, size_t len)
{
	gl_cow_report rep;
	int rc = gl_cow_wait(&p->cow, &rep, err, len);
	*s = p->s;
	s->objects = rep.objects;
	s->edges = rep.edges;
	s->tracked = rep.tracked;
	s->untracked = rep.untracked;
	s->bytes = rep.bytes;
	s->file_bytes = rep.file_bytes;
	s->shim_peak_bytes = rep.shim_peak_bytes;
	s->walk_seconds = rep.walk_seconds;
	s->child_seconds = rep.child_seconds;
	s->cow_private_bytes = rep.private_bytes;
	s->cow_own_bytes = rep.own_bytes;
	s->total_seconds = now_mono() - p->t0;
	return rc;
}

int gl_dump_core(const char *path, const gl_dump_opts *o, gl_dump_summary *s, gl_dump_pending *pending)
{
	double t0 = now_mono();
	memset(s, 0, sizeof *s);
	if (gl_shim_init() < 0)
		return -1;
	if (o->collect) {
		PyGC_Collect();
		if (PyErr_Occurred())
			return -1;
	}

	/* The dump's temporaries (header, arguments) are freed again, but some
	 * go to free lists, which leaves gc.get_count() higher than before;
	 * its young count is put back at the end unless a collection ran. */
	int *count0 = gl_gc_count0();
	int count0_saved = *count0;

	gl_gc_lists lists;
	gl_gc_get_lists(&lists);
	if (lists.collecting) {
		PyErr_SetString(PyExc_RuntimeError,
				"graphleak.dump() cannot run while the garbage collector is collecting "
				"(was it called from a __del__ or a weakref callback?)");
		return -1;
	}

	gl_heldlist held = {0};
	gl_sb hj = {0};
	/* the interned strings' table, where it keeps strings alive: a root */
	PyObject *interned = gl_interned_dict();
	gl_header_build(&hj, o->values, o->collect, &held, interned);
	gl_walker *w = gl_sb_failed(&hj) ? NULL : gl_walk_new(o->values, held.frames, held.n, interned);
	if (!w) {
		gl_sb_free(&hj);
		gl_held_release(&held);
		if (!PyErr_Occurred())
			PyErr_NoMemory();
		return -1;
	}

	char errbuf[512];
	gl_writer *wr;
	if (gl_w_open(&wr, path, o->overwrite ? GL_W_OVERWRITE : 0, gl_sb_str(&hj), hj.len, errbuf, sizeof errbuf) <
	    0) {
		gl_sb_free(&hj);
		gl_walk_free(w);
		gl_held_release(&held);
		PyErr_Format(PyExc_OSError, "graphleak.dump: %s", errbuf);
		return -1;
	}
	gl_sb_free(&hj);

	/* allocation sites: when tracemalloc traces (walk.h, gl_walk_sites) */
	sites_plan sp = {0};
	gl_fork_mode fork_mode = o->fork;
	if (gl_tm_config()->tracing) {
		sp.record = 1;
#if !GL_TM_DIRECT
		/* read with the GIL, in the process: not in a child */
		if (fork_mode == GL_FORK_AUTO) {
			fork_mode = GL_FORK_NEVER;
			snprintf(s->fork_note, sizeof s->fork_note,
				 "walked in place: tracemalloc is tracing, and on CPython 3.8-3.11 its allocation sites "
				 "are read with the GIL held (3.12+ reads them in the copy)");
		} else if (fork_mode == GL_FORK_ALWAYS) {
			sp.record = 0;
			sp.note = "tracemalloc was tracing, but fork='always' on CPython 3.8-3.11 records no allocation "
				  "sites (they are read with the GIL held: fork='auto' or 'never' records them)";
		}
#endif
	} else {
		sp.note = "tracemalloc was not tracing: to record where objects were allocated, start the program "
			  "with PYTHONTRACEMALLOC=5 (or graphleak run --trace)";
	}
	if (sp.record)
		gl_walk_track_sites(w);

	/* a copy-on-write child, when asked for and there is room (cow.h) */
	gl_cow cow;
	memset(&cow, 0, sizeof cow);
	int forked = 0;
	if (fork_mode != GL_FORK_NEVER) {
		char why[sizeof s->fork_note - 64];
		int room = fork_mode == GL_FORK_ALWAYS ? 1 : gl_cow_headroom(why, sizeof why);
		if (!room) {
			snprintf(s->fork_note, sizeof s->fork_note, "walked in place: not enough memory for a copy: %s",
				 why);
		} else {
			snprintf(cow.tmp_path, sizeof cow.tmp_path, "%s", gl_w_tmp_path(wr));
#if GL_TM_DIRECT
			/* tracemalloc's tables whole in the copy: their lock held across the clone */
			if (sp.record)
				PyThread_acquire_lock(gl_tm_lock(), WAIT_LOCK);
#endif
			int r = gl_cow_spawn(&cow);
			if (r == 0)
				child_walk(&cow, w, wr, &lists, &held, t0, &sp);
#if GL_TM_DIRECT
			if (sp.record)
				PyThread_release_lock(gl_tm_lock());
#endif
			if (r > 0) {
				forked = 1;
				if (fork_mode == GL_FORK_AUTO)
					snprintf(s->fork_note, sizeof s->fork_note, "%s", why);
			} else if (fork_mode == GL_FORK_ALWAYS) {
				int e = errno;
				gl_w_abort(wr);
				gl_walk_free(w);
				gl_held_release(&held);
				PyErr_Format(PyExc_OSError,
					     "graphleak.dump: cannot make a copy-on-write child: %s (no snapshot written "
					     "to %s; fork='auto' walks in place instead)",
					     strerror(e), path);
				return -1;
			} else {
				snprintf(s->fork_note, sizeof s->fork_note,
					 "walked in place: cannot make a copy-on-write child: %s", strerror(errno));
			}
		}
	}

	if (forked) {
		/* the child has its own copy of all this */
		gl_w_release(wr);
		gl_walk_free(w);
		gl_held_release(&held);
		if (*count0 >= count0_saved)
			*count0 = count0_saved;
		s->forked = 1;
		s->pause_seconds = now_mono() - t0;
		gl_dump_pending local, *p = pending ? pending : &local;
		p->cow = cow;
		p->t0 = t0;
		p->s = *s;
		if (pending)
			return 1;
		char err[512];
		int rc;
		Py_BEGIN_ALLOW_THREADS
		rc = gl_dump_finish(p, s, err, sizeof err);
		Py_END_ALLOW_THREADS
		if (rc < 0) {
			PyErr_Format(PyExc_OSError, "graphleak.dump: %s (no snapshot written to %s)", err, path);
			return -1;
		}
		return 0;
	}

	/* in place: no Python runs in the walk */
	gl_walk_stats ws;
	gl_w_stats st;
	memset(&ws, 0, sizeof ws);
	memset(&st, 0, sizeof st);
	char msg[512];
	sp.lock = GL_TM_DIRECT;
	int failed = walk_and_finish(w, wr, &lists, &held, now_mono() - t0, 0, &sp, &ws, &st, msg, sizeof msg) < 0;
	s->shim_peak_bytes = ws.mem_peak + st.peak_mem;
	s->tracked = ws.tracked;
	s->untracked = ws.untracked;
	s->bytes = ws.bytes;
	s->objects = st.objects;
	s->edges = st.edges;
	s->file_bytes = st.file_bytes;
	s->walk_seconds = ws.seconds;
	gl_walk_free(w);
	gl_held_release(&held);
	s->pause_seconds = now_mono() - t0;
	s->total_seconds = s->pause_seconds;

	if (failed) {
		PyErr_Format(PyExc_OSError, "graphleak.dump: %s (no snapshot written to %s)", msg, path);
		return -1;
	}
	if (*count0 >= count0_saved)
		*count0 = count0_saved;
	return 0;
}
