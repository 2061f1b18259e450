/*
 * memory.c - the memory breakdown of a snapshot and what grew (memory.h).
 */
#include "memory.h"

#include <stdio.h>
#include <string.h>

#include "humanfmt.h"

static const char *const part_names[GL_MEM_N] = {
	"file-backed (code, libraries, mapped files)",
	"Python objects (recorded)",
	"native in the allocators (C extensions, interpreter)",
	"pymalloc free (arenas kept for live neighbours)",
	"malloc free (kept by glibc)",
	"other anonymous (stacks, mmaps, unexplained)",
};

static const char *const part_keys[GL_MEM_N] = {"file", "objects", "native", "pymalloc_free", "malloc_free", "other"};

const char *gl_memory_part_name(int part)
{
	return part >= 0 && part < GL_MEM_N ? part_names[part] : "?";
}

const char *gl_memory_part_key(int part)
{
	return part >= 0 && part < GL_MEM_N ? part_keys[part] : "?";
}

static int64_t jget(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : 0;
}

void gl_memory_from(gl_memory *m, const json_t *header, const json_t *footer)
{
	memset(m, 0, sizeof *m);
	const json_t *mem = json_object_get(header, "memory");
	if (!json_is_object(mem))
		return;
	m->rss = jget(mem, "rss");
	m->anonymous = jget(mem, "anonymous");
	m->swap = jget(mem, "swap");
	int64_t file = jget(mem, "file") + jget(mem, "shmem");
	if (m->rss <= 0)
		return;
	m->known = 1;
	const json_t *v = json_object_get(mem, "seconds");
	m->seconds = json_is_number(v) ? json_number_value(v) : 0;
	const json_t *py = json_object_get(mem, "pymalloc");
	if (json_is_object(py)) {
		m->has_pymalloc = 1;
		m->py_arenas = jget(py, "arenas");
		m->py_used = jget(py, "used");
	}
	const json_t *c = json_object_get(mem, "malloc");
	if (json_is_object(c)) {
		m->has_malloc = 1;
		m->c_heap = jget(c, "heap");
		m->c_in_use = jget(c, "in_use");
		m->c_free = jget(c, "free");
		m->c_mmapped = jget(c, "mmapped");
	}
	m->objects = jget(footer, "bytes");
	m->mapped = jget(footer, "mapped_bytes");
	if (m->mapped > m->objects)
		m->mapped = m->objects;

	/* the objects in the allocators: an mmap object's mapping is not, and
	 * is counted where the kernel counts it (file-backed or anonymous) */
	int64_t in_heap = m->objects - m->mapped;
	int64_t handed_out = m->py_used + m->c_in_use + m->c_mmapped;
	m->part[GL_MEM_FILE] = file;
	m->part[GL_MEM_OBJECTS] = in_heap;
	m->part[GL_MEM_NATIVE] = handed_out > in_heap ? handed_out - in_heap : 0;
	m->part[GL_MEM_PY_FREE] = m->py_arenas > m->py_used ? m->py_arenas - m->py_used : 0;
	m->part[GL_MEM_C_FREE] = m->c_free;
	int64_t known = 0;
	for (int i = 0; i < GL_MEM_OTHER; i++)
		known += m->part[i];
	m->part[GL_MEM_OTHER] = m->rss > known ? m->rss - known : 0;
	m->overcount = known > m->rss ? known - m->rss : 0;
}

void gl_memory_growth(const gl_memory *a, const gl_memory *b, gl_mem_growth *g)
{
	memset(g, 0, sizeof *g);
	if (!a->known || !b->known) {
		g->verdict = GL_MEM_VERDICT_UNKNOWN;
		return;
	}
	g->rss_delta = b->rss - a->rss;
	g->objects_delta = b->part[GL_MEM_OBJECTS] - a->part[GL_MEM_OBJECTS];
	g->fragments_delta = (b->part[GL_MEM_PY_FREE] + b->part[GL_MEM_C_FREE]) -
			     (a->part[GL_MEM_PY_FREE] + a->part[GL_MEM_C_FREE]);
	g->native_delta = (b->part[GL_MEM_NATIVE] + b->part[GL_MEM_OTHER]) - (a->part[GL_MEM_NATIVE] + a->part[GL_MEM_OTHER]);
	g->file_delta = b->part[GL_MEM_FILE] - a->part[GL_MEM_FILE];
	/* growth worth a verdict: 16 MiB, or a tenth of where it started */
	int64_t floor = a->rss / 10 > (16 << 20) ? a->rss / 10 : (16 << 20);
	if (g->rss_delta < floor) {
		g->verdict = GL_MEM_VERDICT_NONE;
		return;
	}
	g->verdict = GL_MEM_VERDICT_OBJECTS;
	int64_t best = g->objects_delta;
	if (g->fragments_delta > best) {
		best = g->fragments_delta;
		g->verdict = GL_MEM_VERDICT_FRAGMENTS;
	}
	if (g->native_delta > best)
		g->verdict = GL_MEM_VERDICT_NATIVE;
}

const char *gl_memory_verdict_key(gl_mem_verdict v)
{
	switch (v) {
	case GL_MEM_VERDICT_NONE: return "none";
	case GL_MEM_VERDICT_OBJECTS: return "objects";
	case GL_MEM_VERDICT_FRAGMENTS: return "fragmentation";
	case GL_MEM_VERDICT_NATIVE: return "native";
	default: return "unknown";
	}
}

/* "+12.0 MiB" or "-3.0 MiB" */
static const char *sbytes(char buf[GL_FMT_BUF + 2], int64_t v)
{
	char b[GL_FMT_BUF];
	gl_fmt_bytes(b, (uint64_t)(v < 0 ? -v : v));
	snprintf(buf, GL_FMT_BUF + 2, "%s%s", v < 0 ? "-" : "+", b);
	return buf;
}

void gl_memory_say(gl_sb *sb, const gl_mem_growth *g)
{
	char r[GL_FMT_BUF + 2], o[GL_FMT_BUF + 2], f[GL_FMT_BUF + 2], n[GL_FMT_BUF + 2];
	if (g->verdict == GL_MEM_VERDICT_UNKNOWN) {
		gl_sb_puts(sb, "a snapshot has no memory figures (taken by an older graphleak): no verdict on RSS");
		return;
	}
	sbytes(r, g->rss_delta);
	sbytes(o, g->objects_delta);
	sbytes(f, g->fragments_delta);
	sbytes(n, g->native_delta);
	switch (g->verdict) {
	case GL_MEM_VERDICT_NONE:
		gl_sb_printf(sb, "RSS %s: no growth worth a verdict (Python objects %s, allocators' free space %s, "
				 "outside Python objects %s)", r, o, f, n);
		break;
	case GL_MEM_VERDICT_OBJECTS:
		gl_sb_printf(sb, "RSS %s, most of it Python objects (%s): something keeps them; look at the holders "
				 "(free space %s, outside Python objects %s)", r, o, f, n);
		break;
	case GL_MEM_VERDICT_FRAGMENTS:
		gl_sb_printf(sb, "RSS %s, most of it free space the allocators keep (%s): objects were freed but "
				 "their memory was not returned, because a few survivors keep each arena or heap page "
				 "(fragmentation); Python objects %s, outside Python objects %s", r, f, o, n);
		break;
	case GL_MEM_VERDICT_NATIVE:
		gl_sb_printf(sb, "RSS %s, most of it outside Python objects (%s): a C extension or native buffers "
				 "(malloc'd or mmapped memory that no recorded object accounts for); Python objects %s, "
				 "free space %s", r, n, o, f);
		break;
	default:
		break;
	}
}

json_t *gl_memory_json(const gl_memory *m)
{
	json_t *j = json_object();
	if (!j)
		return NULL;
	json_object_set_new(j, "known", json_boolean(m->known));
	if (!m->known)
		return j;
	json_object_set_new(j, "rss", json_integer(m->rss));
	json_object_set_new(j, "anonymous", json_integer(m->anonymous));
	json_object_set_new(j, "swap", json_integer(m->swap));
	json_t *parts = json_object();
	for (int i = 0; i < GL_MEM_N; i++)
		json_object_set_new(parts, part_keys[i], json_integer(m->part[i]));
	json_object_set_new(j, "parts", parts);
	json_object_set_new(j, "overcount", json_integer(m->overcount));
	json_object_set_new(j, "mapped", json_integer(m->mapped));
	json_object_set_new(j, "pymalloc", m->has_pymalloc ? json_pack("{s:I,s:I}", "arenas", (json_int_t)m->py_arenas,
									"used", (json_int_t)m->py_used)
							    : json_null());
	json_object_set_new(j, "malloc", m->has_malloc ? json_pack("{s:I,s:I,s:I,s:I}", "heap", (json_int_t)m->c_heap,
								   "in_use", (json_int_t)m->c_in_use, "free",
								   (json_int_t)m->c_free, "mmapped",
								   (json_int_t)m->c_mmapped)
						       : json_null());
	json_object_set_new(j, "seconds", json_real(m->seconds));
	return j;
}

json_t *gl_memory_growth_json(const gl_mem_growth *g)
{
	gl_sb sb = {0};
	gl_memory_say(&sb, g);
	json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "verdict", gl_memory_verdict_key(g->verdict), "rss_delta",
			      (json_int_t)g->rss_delta, "objects_delta", (json_int_t)g->objects_delta, "fragmentation_delta",
			      (json_int_t)g->fragments_delta, "native_delta", (json_int_t)g->native_delta, "file_delta",
			      (json_int_t)g->file_delta, "says", gl_sb_failed(&sb) ? "" : gl_sb_str(&sb));
	gl_sb_free(&sb);
	return j;
}
