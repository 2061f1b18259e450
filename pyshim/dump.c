/*
 * dump.c - one dump, in its three phases (shim.h: gl_dump_core):
 *   1. before the walk (Python allowed): an optional gc.collect(), the header
 *      JSON (header.c: gc state, argv, threads and their frames; on 3.11+
 *      asking for a thread's frames materialises its frame objects, which
 *      are held until the walk is over), what the walk needs to know;
 *   2. the walk (walk.c: no Python object is created, no Python code runs,
 *      nothing releases the GIL);
 *   3. after the walk: the footer, the file is published (snapwrite), the
 *      held references are released, the summary filled (or an exception
 *      set).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int gl_dump_core(const char *path, int collect, int values, int overwrite, gl_dump_summary *s)
{
	double t0 = now_mono();
	memset(s, 0, sizeof *s);
	if (gl_shim_init() < 0)
		return -1;
	if (collect) {
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
	gl_header_build(&hj, values, collect, &held, interned);
	gl_walker *w = gl_sb_failed(&hj) ? NULL : gl_walk_new(values, held.frames, held.n, interned);
	if (!w) {
		gl_sb_free(&hj);
		gl_held_release(&held);
		if (!PyErr_Occurred())
			PyErr_NoMemory();
		return -1;
	}

	char errbuf[512];
	gl_writer *wr;
	if (gl_w_open(&wr, path, overwrite ? GL_W_OVERWRITE : 0, gl_sb_str(&hj), hj.len, errbuf, sizeof errbuf) < 0) {
		gl_sb_free(&hj);
		gl_walk_free(w);
		gl_held_release(&held);
		PyErr_Format(PyExc_OSError, "graphleak.dump: %s", errbuf);
		return -1;
	}
	gl_sb_free(&hj);

	/* the walk: no Python runs in it */
	gl_walk_stats ws;
	char msg[512];
	msg[0] = 0;
	int failed = gl_walk_run(w, wr, &lists, held.frames, held.n, &ws, msg, sizeof msg) < 0;

	gl_w_stats st;
	gl_w_get_stats(wr, &st);
	if (failed) {
		gl_w_abort(wr);
	} else {
		uint64_t peak = ws.mem_peak + st.peak_mem;
		gl_sb fj = {0};
		gl_sb_printf(&fj, "{\"objects\": %llu, \"edges\": %llu, \"tracked\": %llu, \"untracked\": %llu, ",
			     (unsigned long long)st.objects, (unsigned long long)st.edges,
			     (unsigned long long)ws.tracked, (unsigned long long)ws.untracked);
		gl_sb_printf(&fj, "\"bytes\": %llu, \"pause_seconds\": %.6f, \"walk_seconds\": %.6f, ",
			     (unsigned long long)ws.bytes, now_mono() - t0, ws.seconds);
		gl_sb_printf(&fj, "\"shim_peak_bytes\": %llu, \"strings_dropped\": %llu, \"warnings\": [",
			     (unsigned long long)peak, (unsigned long long)st.strings_dropped);
		if (st.strings_dropped)
			gl_sb_puts(&fj, "\"the string table was full: some names were dropped\"");
		gl_sb_puts(&fj, "]}");
		if (gl_sb_failed(&fj)) {
			gl_w_abort(wr);
			failed = 1;
			snprintf(msg, sizeof msg, "out of memory writing the footer");
		} else if (gl_w_finish(wr, gl_sb_str(&fj), fj.len, &st, errbuf, sizeof errbuf) < 0) {
			failed = 1;
			snprintf(msg, sizeof msg, "%s", errbuf);
		}
		gl_sb_free(&fj);
	}
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

	if (failed) {
		PyErr_Format(PyExc_OSError, "graphleak.dump: %s (no snapshot written to %s)", msg, path);
		return -1;
	}
	if (*count0 >= count0_saved)
		*count0 = count0_saved;
	return 0;
}

