/*
 * snapshot.c - the snapshot decoder. Format: docs/snapshot-format.md and
 * snapfmt.h. Contract: snapshot.h.
 *
 * Order of work, each step checking every bound before it reads:
 *   1. preamble: magic, versions, header length; header JSON
 *   2. walk the sections by their lengths; END must be last and say the
 *      file's true size; unknown sections (later minor versions) are skipped
 *   3. check END's counts against the bytes that must hold them, before any
 *      allocation sized by them
 *   4. STRS, FOOT
 *   5. OBJS in one pass into the per-object arrays and the forward CSR,
 *      with edge targets kept as addresses; addresses into a hash table
 *   6. edge targets -> ids (batched, prefetched lookups); in-degrees
 *   7. the reverse CSR
 *
 * Decisions the spec leaves to the reader: a VALUE edge that does not follow
 * a KEY edge is refused as corrupt, as are unknown object flag bits, unknown
 * edge kinds and a nonzero payload on kinds that have none. Section flags
 * and preamble flags are ignored.
 */
#define _GNU_SOURCE
#include "snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vec.h"

/* The smallest possible record (7 one-byte varints) and edge (2). */
#define MIN_RECORD_BYTES 7
#define MIN_EDGE_BYTES 2
/* How far ahead the target lookup prefetches. */
#define PREFETCH_AHEAD 32

typedef struct loader {
	const unsigned char *base;
	size_t len;
	const char *name;
	gl_err *err;
	unsigned flags;
	gl_snap *s;

	uint64_t objs_off, objs_len; /* payload offsets */
	uint64_t strs_off, strs_len;
	uint64_t foot_off, foot_len;
	uint64_t site_off, site_len; /* 0, 0: no SITE section */
	uint64_t end_off;
	uint64_t end_objects, end_edges, end_strings, end_size;

	uint64_t *dst_addr;          /* n_edges target addresses during the load */
	gl_addrmap map;
	gl_arena tmp;                /* dst_addr and map: freed when the load ends */
} loader;

#define FAIL(L, off, ...) gl_err_set_at((L)->err, (L)->name, (uint64_t)(off), __VA_ARGS__)

static inline uint64_t pos(const loader *L, const unsigned char *p)
{
	return (uint64_t)(p - L->base);
}

/* Reads a varint; the common one-byte case inline. 0, or -1 at the end. */
static inline int rv(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	if (__builtin_expect(*p < end && **p < 0x80, 1)) {
		*v = *(*p)++;
		return 0;
	}
	return gl_varint_get(p, end, v);
}

static const char *const kind_names[] = {
	"none", "index", "key", "value", "attr", "field", "local", "member",
};

const char *gl_edge_kind_name(unsigned kind)
{
	return kind <= GL_EK_MAX_ ? kind_names[kind] : NULL;
}

int gl_edge_kind_from_name(const char *name)
{
	for (int k = 0; k <= GL_EK_MAX_; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

/* A section tag as printable text ("OBJS", or "\x00\x01.." in hex). */
static void tag_text(char out[20], const unsigned char *t)
{
	int printable = 1;
	for (int i = 0; i < 4; i++)
		if (t[i] < 0x20 || t[i] > 0x7e)
			printable = 0;
	if (printable)
		snprintf(out, 20, "'%c%c%c%c'", t[0], t[1], t[2], t[3]);
	else
		snprintf(out, 20, "0x%02x%02x%02x%02x", t[0], t[1], t[2], t[3]);
}

const char *gl_header_problem(const json_t *header)
{
	if (!json_is_object(header))
		return "header JSON is not an object";
	json_t *fmt = json_object_get(header, "format");
	if (fmt && (!json_is_string(fmt) || strcmp(json_string_value(fmt), "graphleak-snapshot") != 0))
		return "header says this is not a graphleak snapshot (\"format\")";
	return NULL;
}

json_t *gl_header_redacted(const json_t *header)
{
	json_t *h = json_deep_copy(header);
	json_t *argv = json_object_get(h, "argv");
	size_t i;
	json_t *v;
	json_array_foreach(argv, i, v) {
		if (i > 0)
			json_array_set_new(argv, i, json_string("<redacted>"));
	}
	return h;
}

static int load_preamble(loader *L)
{
	gl_snap *s = L->s;
	if (L->len < GL_FMT_PREAMBLE_LEN) {
		if (L->len >= GL_FMT_MAGIC_LEN && memcmp(L->base, GL_FMT_MAGIC, GL_FMT_MAGIC_LEN) == 0)
			return FAIL(L, L->len, "truncated snapshot: the file ends inside the %d-byte preamble",
				    GL_FMT_PREAMBLE_LEN);
		return FAIL(L, 0, "not a graphleak snapshot (only %zu bytes, and no magic)", L->len);
	}
	if (memcmp(L->base, GL_FMT_MAGIC, GL_FMT_MAGIC_LEN) != 0) {
		if (L->base[0] == '{')
			return FAIL(L, 0, "not a graphleak snapshot (bad magic); it looks like JSON lines: "
				    "convert it with 'graphleak import FILE -o SNAP'");
		return FAIL(L, 0, "not a graphleak snapshot (bad magic)");
	}
	s->major = gl_get_u16(L->base + 8);
	s->minor = gl_get_u16(L->base + 10);
	if (s->major > GL_FMT_MAJOR)
		return FAIL(L, 8, "snapshot format %u.%u is newer than this graphleak (%d.%d); upgrade graphleak",
			    s->major, s->minor, GL_FMT_MAJOR, GL_FMT_MINOR);
	if (s->major < GL_FMT_MAJOR)
		return FAIL(L, 8, "unknown snapshot format version %u.%u", s->major, s->minor);
	uint64_t h = gl_get_u64(L->base + 16);
	if (h > L->len - GL_FMT_PREAMBLE_LEN)
		return FAIL(L, 16, "header JSON of %llu bytes runs past the end of the file (%zu bytes): "
			    "truncated or corrupt", (unsigned long long)h, L->len);
	json_error_t je;
	s->header = json_loadb((const char *)L->base + GL_FMT_PREAMBLE_LEN, (size_t)h, 0, &je);
	if (!s->header)
		return FAIL(L, GL_FMT_PREAMBLE_LEN + (uint64_t)(je.position > 0 ? je.position : 0),
			    "header JSON is not valid: %s", je.text);
	const char *why = gl_header_problem(s->header);
	if (why)
		return FAIL(L, GL_FMT_PREAMBLE_LEN, "%s", why);
	return 0;
}

static int walk_sections(loader *L)
{
	enum { S_OBJS, S_STRS, S_FOOT, S_N };
	static const char *const tags[S_N] = {GL_SEC_OBJS, GL_SEC_STRS, GL_SEC_FOOT};
	int seen[S_N] = {0};
	int last = -1; /* index of the last known section seen, for order */
	uint64_t off = GL_FMT_PREAMBLE_LEN + gl_get_u64(L->base + 16);
	for (;;) {
		if (L->len - off < GL_FMT_SECTION_HDR_LEN) {
			if (off == L->len)
				return FAIL(L, off, "truncated snapshot: no END section (the dump did not finish, "
					    "or the file was cut short)");
			return FAIL(L, off, "truncated snapshot: the file ends inside a section header");
		}
		const unsigned char *h = L->base + off;
		uint64_t plen = gl_get_u64(h + 8);
		char tt[20];
		tag_text(tt, h);
		if (plen > L->len - off - GL_FMT_SECTION_HDR_LEN)
			return FAIL(L, off, "section %s of %llu bytes runs past the end of the file "
				    "(truncated or corrupt)", tt, (unsigned long long)plen);
		uint64_t poff = off + GL_FMT_SECTION_HDR_LEN;
		if (memcmp(h, GL_SEC_END, 4) == 0) {
			if (plen != GL_FMT_END_LEN)
				return FAIL(L, off, "END section has %llu bytes, expected %d",
					    (unsigned long long)plen, GL_FMT_END_LEN);
			L->end_off = poff;
			L->end_objects = gl_get_u64(L->base + poff);
			L->end_edges = gl_get_u64(L->base + poff + 8);
			L->end_strings = gl_get_u64(L->base + poff + 16);
			L->end_size = gl_get_u64(L->base + poff + 24);
			uint64_t after = poff + GL_FMT_END_LEN;
			if (after != L->len)
				return FAIL(L, after, "%llu bytes of trailing garbage after the END section",
					    (unsigned long long)(L->len - after));
			break;
		}
		int k;
		for (k = 0; k < S_N; k++)
			if (memcmp(h, tags[k], 4) == 0)
				break;
		if (k < S_N) {
			if (seen[k])
				return FAIL(L, off, "second %s section", tt);
			if (k < last)
				return FAIL(L, off, "section %s out of order (expected OBJS, STRS, FOOT, END)", tt);
			seen[k] = 1;
			last = k;
			if (k == S_OBJS) {
				L->objs_off = poff;
				L->objs_len = plen;
			} else if (k == S_STRS) {
				L->strs_off = poff;
				L->strs_len = plen;
			} else {
				L->foot_off = poff;
				L->foot_len = plen;
			}
		}
		else if (memcmp(h, GL_SEC_SITE, 4) == 0) {
			if (L->site_off)
				return FAIL(L, off, "second %s section", tt);
			L->site_off = poff;
			L->site_len = plen;
		}
		/* unknown tags: a later minor version's section; skipped */
		off = poff + plen;
	}
	for (int k = 0; k < S_N; k++)
		if (!seen[k])
			return FAIL(L, L->end_off - GL_FMT_SECTION_HDR_LEN, "the snapshot has no %s section", tags[k]);
	if (L->end_size != L->len)
		return FAIL(L, L->end_off + 24, "END says the file has %llu bytes but it has %zu "
			    "(truncated, padded or corrupt)", (unsigned long long)L->end_size, L->len);
	/* counts, against the bytes that must hold them, before allocating */
	if (L->end_objects >= UINT32_MAX)
		return FAIL(L, L->end_off, "END says %llu objects; graphleak handles fewer than 2^32-1",
			    (unsigned long long)L->end_objects);
	if (L->end_edges >= UINT32_MAX)
		return FAIL(L, L->end_off + 8, "END says %llu edges; graphleak handles fewer than 2^32-1",
			    (unsigned long long)L->end_edges);
	if (L->end_objects * MIN_RECORD_BYTES + L->end_edges * MIN_EDGE_BYTES > L->objs_len)
		return FAIL(L, L->end_off, "END says %llu objects and %llu edges, more than the %llu bytes "
			    "of OBJS can hold (corrupt)", (unsigned long long)L->end_objects,
			    (unsigned long long)L->end_edges, (unsigned long long)L->objs_len);
	if (L->end_strings == 0 || L->end_strings > L->strs_len || L->end_strings >= UINT32_MAX)
		return FAIL(L, L->end_off + 16, "END says %llu strings, impossible for a STRS section of "
			    "%llu bytes", (unsigned long long)L->end_strings, (unsigned long long)L->strs_len);
	return 0;
}

static int load_strings(loader *L)
{
	gl_snap *s = L->s;
	const unsigned char *p = L->base + L->strs_off, *end = p + L->strs_len;
	uint64_t count;
	if (rv(&p, end, &count) < 0)
		return FAIL(L, pos(L, p), "STRS section too short for its count");
	if (count != L->end_strings)
		return FAIL(L, L->strs_off, "STRS holds %llu strings but END says %llu",
			    (unsigned long long)count, (unsigned long long)L->end_strings);
	s->n_strings = (uint32_t)count;
	s->str_off = gl_arena_array(&s->arena, count, sizeof *s->str_off, 0);
	s->str_len = gl_arena_array(&s->arena, count, sizeof *s->str_len, 0);
	if (!s->str_off || !s->str_len)
		return gl_err_set(L->err, "%s: out of memory for %llu strings", L->name,
				  (unsigned long long)count);
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *at = p;
		uint64_t n;
		if (rv(&p, end, &n) < 0 || n > (uint64_t)(end - p))
			return FAIL(L, pos(L, at), "string #%u runs past the end of the STRS section", i);
		if (n > UINT32_MAX)
			return FAIL(L, pos(L, at), "string #%u is too long (%llu bytes)", i, (unsigned long long)n);
		if (i == 0 && n != 0)
			return FAIL(L, pos(L, at), "string #0 is not the empty string");
		s->str_off[i] = pos(L, p);
		s->str_len[i] = (uint32_t)n;
		p += n;
	}
	if (p != end)
		return FAIL(L, pos(L, p), "%llu stray bytes at the end of the STRS section",
			    (unsigned long long)(end - p));
	return 0;
}

/*
 * The SITE section (docs/snapshot-format.md): version 1, the sites (their
 * frames: file name string id, line), then the objects that have one, by
 * index delta and site id. Everything is checked against the counts and
 * the section's bounds; two passes over the sites (count, then fill).
 */
static int load_sites(loader *L)
{
	gl_snap *s = L->s;
	if (!L->site_off)
		return 0;
	const unsigned char *base = L->base + L->site_off, *end = base + L->site_len, *p = base;
	uint64_t ver, nsites;
	if (rv(&p, end, &ver) < 0 || ver != 1)
		return FAIL(L, pos(L, base), "SITE section of an unknown version");
	if (rv(&p, end, &nsites) < 0 || nsites > L->site_len / 2 || nsites >= UINT32_MAX)
		return FAIL(L, pos(L, p), "SITE section: bad site count");
	const unsigned char *table = p;
	uint64_t nframes = 0;
	for (uint64_t k = 0; k < nsites; k++) {
		uint64_t nf, total, v;
		if (rv(&p, end, &nf) < 0 || rv(&p, end, &total) < 0 || nf > (uint64_t)(end - p) / 2)
			return FAIL(L, pos(L, p), "SITE section: site %llu runs past its end", (unsigned long long)k + 1);
		for (uint64_t f = 0; f < 2 * nf; f++)
			if (rv(&p, end, &v) < 0 || (f % 2 == 0 && v >= s->n_strings))
				return FAIL(L, pos(L, p), "SITE section: a frame of site %llu is not valid",
					    (unsigned long long)k + 1);
		nframes += nf;
	}
	if (nframes >= UINT32_MAX)
		return FAIL(L, pos(L, p), "SITE section: too many frames");
	s->n_sites = (uint32_t)nsites;
	s->site = gl_arena_array(&s->arena, s->n_objects ? s->n_objects : 1, sizeof *s->site, 1);
	s->site_frame = gl_arena_array(&s->arena, nsites + 2, sizeof *s->site_frame, 1);
	s->site_total = gl_arena_array(&s->arena, nsites + 1, sizeof *s->site_total, 1);
	s->frame_file = gl_arena_array(&s->arena, nframes ? nframes : 1, sizeof *s->frame_file, 0);
	s->frame_line = gl_arena_array(&s->arena, nframes ? nframes : 1, sizeof *s->frame_line, 0);
	if (!s->site || !s->site_frame || !s->site_total || !s->frame_file || !s->frame_line)
		return gl_err_set(L->err, "%s: out of memory for %llu allocation sites", L->name,
				  (unsigned long long)nsites);
	p = table;
	uint32_t fi = 0;
	for (uint32_t k = 1; k <= nsites; k++) {
		uint64_t nf = 0, total = 0, v = 0;
		rv(&p, end, &nf);
		rv(&p, end, &total);
		s->site_frame[k] = fi;
		s->site_total[k] = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
		for (uint64_t f = 0; f < nf; f++) {
			rv(&p, end, &v);
			s->frame_file[fi] = (uint32_t)v;
			rv(&p, end, &v);
			s->frame_line[fi++] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		}
	}
	s->site_frame[nsites + 1] = fi;
	uint64_t nobj, idx = 0;
	if (rv(&p, end, &nobj) < 0 || nobj > s->n_objects)
		return FAIL(L, pos(L, p), "SITE section: bad object count");
	for (uint64_t i = 0; i < nobj; i++) {
		uint64_t d, id;
		if (rv(&p, end, &d) < 0 || rv(&p, end, &id) < 0)
			return FAIL(L, pos(L, p), "SITE section: the objects run past its end");
		uint64_t at = i ? idx + d : d;
		if ((i && d == 0) || d >= s->n_objects || at >= s->n_objects || id == 0 || id > nsites)
			return FAIL(L, pos(L, p), "SITE section: object entry %llu is not valid", (unsigned long long)i);
		idx = at;
		s->site[idx] = (uint32_t)id;
	}
	if (p != end)
		return FAIL(L, pos(L, p), "%llu stray bytes at the end of the SITE section", (unsigned long long)(end - p));
	return 0;
}

static int load_footer(loader *L)
{
	json_error_t je;
	L->s->footer = json_loadb((const char *)L->base + L->foot_off, (size_t)L->foot_len, 0, &je);
	if (!L->s->footer)
		return FAIL(L, L->foot_off + (uint64_t)(je.position > 0 ? je.position : 0),
			    "footer JSON is not valid: %s", je.text);
	if (!json_is_object(L->s->footer))
		return FAIL(L, L->foot_off, "footer JSON is not an object");
	return 0;
}

static int alloc_arrays(loader *L)
{
	gl_snap *s = L->s;
	gl_arena *a = &s->arena;
	size_t n = (size_t)L->end_objects, m = (size_t)L->end_edges;
	s->addr = gl_arena_array(a, n, sizeof *s->addr, 0);
	s->type = gl_arena_array(a, n, sizeof *s->type, 0);
	s->flags = gl_arena_array(a, n, sizeof *s->flags, 0);
	s->size = gl_arena_array(a, n, sizeof *s->size, 0);
	s->refcnt = gl_arena_array(a, n, sizeof *s->refcnt, 0);
	s->length = gl_arena_array(a, n, sizeof *s->length, 0);
	s->preview_off = gl_arena_array(a, n, sizeof *s->preview_off, 0);
	s->preview_len = gl_arena_array(a, n, sizeof *s->preview_len, 0);
	s->out_off = gl_arena_array(a, n + 1, sizeof *s->out_off, 0);
	s->out_dst = gl_arena_array(a, m, sizeof *s->out_dst, 0);
	s->edge_label = gl_arena_array(a, m, sizeof *s->edge_label, 0);
	s->edge_payload = gl_arena_array(a, m, sizeof *s->edge_payload, 0);
	L->dst_addr = gl_arena_array(&L->tmp, m, sizeof *L->dst_addr, 0);
	if (!s->addr || !s->type || !s->flags || !s->size || !s->refcnt || !s->length ||
	    !s->preview_off || !s->preview_len || !s->out_off || !s->out_dst || !s->edge_label ||
	    !s->edge_payload || !L->dst_addr)
		return gl_err_set(L->err, "%s: out of memory for %zu objects and %zu edges", L->name, n, m);
	return 0;
}

/* Step 5: the object stream. */
static int load_objects(loader *L)
{
	gl_snap *s = L->s;
	const unsigned char *p = L->base + L->objs_off, *end = p + L->objs_len;
	const uint64_t n_obj = L->end_objects, n_edges = L->end_edges;
	const uint32_t n_str = s->n_strings;
	uint64_t *const addr = s->addr, *const dst_addr = L->dst_addr;
	uint8_t *const label_out = s->edge_label;
	uint32_t *const payload_out = s->edge_payload;
	uint64_t prev = 0, e = 0;
	uint32_t i = 0;
	uint64_t v;

	while (p < end) {
		const unsigned char *rec = p;
		if (i >= n_obj)
			return FAIL(L, pos(L, rec), "more object records than the %llu END announces",
				    (unsigned long long)n_obj);
		if (rv(&p, end, &v) < 0)
			goto truncated;
		uint64_t a = prev + (uint64_t)gl_unzigzag(v);
		if (a > (UINT64_MAX >> 3))
			return FAIL(L, pos(L, rec), "object #%u has an address beyond 64 bits (corrupt)", i);
		prev = a;
		addr[i] = a << 3;
		if (rv(&p, end, &v) < 0)
			goto truncated;
		if (v >= n_str)
			return FAIL(L, pos(L, rec), "object #%u (0x%llx): type string id %llu out of range "
				    "(%u strings)", i, (unsigned long long)addr[i], (unsigned long long)v, n_str);
		s->type[i] = (uint32_t)v;
		if (rv(&p, end, &v) < 0)
			goto truncated;
		if (v & ~(uint64_t)GL_OF_KNOWN_MASK)
			return FAIL(L, pos(L, rec), "object #%u (0x%llx): unknown flag bits 0x%llx", i,
				    (unsigned long long)addr[i], (unsigned long long)(v & ~(uint64_t)GL_OF_KNOWN_MASK));
		uint32_t fl = (uint32_t)v;
		s->flags[i] = fl;
		if (rv(&p, end, &s->size[i]) < 0 || rv(&p, end, &s->refcnt[i]) < 0 ||
		    rv(&p, end, &s->length[i]) < 0)
			goto truncated;
		s->preview_off[i] = 0;
		s->preview_len[i] = 0;
		if (fl & GL_OF_PREVIEW) {
			const unsigned char *pp = p;
			if (rv(&p, end, &v) < 0)
				goto truncated;
			if (v > GL_PREVIEW_MAX)
				return FAIL(L, pos(L, pp), "object #%u (0x%llx): preview of %llu bytes, more than "
					    "the %d allowed", i, (unsigned long long)addr[i], (unsigned long long)v,
					    GL_PREVIEW_MAX);
			if (v > (uint64_t)(end - p))
				goto truncated;
			s->preview_off[i] = pos(L, p);
			s->preview_len[i] = (uint8_t)v;
			p += v;
		}
		s->out_off[i] = e;
		unsigned prev_kind = GL_EDGE_END;
		for (;;) {
			const unsigned char *ep = p;
			uint64_t label;
			if (rv(&p, end, &label) < 0)
				goto truncated;
			if (label == GL_EDGE_END)
				break;
			unsigned kind = (unsigned)(label & GL_EDGE_KIND_MASK);
			uint64_t payload = label >> GL_EDGE_PAYLOAD_SHIFT;
			switch (kind) {
			case GL_EK_INDEX:
				if (payload > UINT32_MAX)
					return FAIL(L, pos(L, ep), "object 0x%llx: index %llu too large",
						    (unsigned long long)addr[i], (unsigned long long)payload);
				break;
			case GL_EK_ATTR:
			case GL_EK_FIELD:
			case GL_EK_LOCAL:
				if (payload >= n_str)
					return FAIL(L, pos(L, ep), "object 0x%llx: edge name string id %llu out of "
						    "range (%u strings)", (unsigned long long)addr[i],
						    (unsigned long long)payload, n_str);
				break;
			case GL_EK_VALUE:
				if (prev_kind != GL_EK_KEY)
					return FAIL(L, pos(L, ep), "object 0x%llx: a VALUE edge that does not follow "
						    "a KEY edge", (unsigned long long)addr[i]);
				/* fall through */
			case GL_EK_NONE:
			case GL_EK_KEY:
			case GL_EK_MEMBER:
				if (payload != 0)
					return FAIL(L, pos(L, ep), "object 0x%llx: edge of kind %s with a payload",
						    (unsigned long long)addr[i], kind_names[kind]);
				break;
			default:
				return FAIL(L, pos(L, ep), "object 0x%llx: unknown edge kind %u",
					    (unsigned long long)addr[i], kind);
			}
			prev_kind = kind;
			if (e >= n_edges)
				return FAIL(L, pos(L, ep), "more edges than the %llu END announces",
					    (unsigned long long)n_edges);
			if (rv(&p, end, &v) < 0)
				goto truncated;
			uint64_t d = a + (uint64_t)gl_unzigzag(v);
			if (d > (UINT64_MAX >> 3))
				return FAIL(L, pos(L, ep), "object 0x%llx: edge target beyond 64 bits (corrupt)",
					    (unsigned long long)addr[i]);
			dst_addr[e] = d << 3;
			label_out[e] = (uint8_t)(kind | (label & GL_EDGE_EXTRA_BIT));
			payload_out[e] = (uint32_t)payload;
			e++;
		}
		i++;
	}
	s->out_off[i] = e;
	if (i != n_obj)
		return FAIL(L, L->end_off, "END says %llu objects but OBJS holds %u",
			    (unsigned long long)n_obj, i);
	if (e != n_edges)
		return FAIL(L, L->end_off + 8, "END says %llu edges but OBJS holds %llu",
			    (unsigned long long)n_edges, (unsigned long long)e);
	s->n_objects = i;
	s->n_edges = (uint32_t)e;
	return 0;
truncated:
	return FAIL(L, pos(L, p), "object record #%u runs past the end of the OBJS section "
		    "(truncated or corrupt)", i);
}

/*
 * File offset of record #rec, or (rec == UINT64_MAX) of edge #edge's label.
 * Only called on error paths, after the stream was found well formed.
 */
static uint64_t locate(const loader *L, uint64_t rec, uint64_t edge)
{
	const unsigned char *p = L->base + L->objs_off, *end = p + L->objs_len;
	uint64_t v = 0, e = 0, fl = 0, r = 0;
	while (p < end) {
		if (r++ == rec)
			return pos(L, p);
		rv(&p, end, &v);
		rv(&p, end, &v);
		rv(&p, end, &fl);
		for (int k = 0; k < 3; k++)
			rv(&p, end, &v);
		if (fl & GL_OF_PREVIEW) {
			rv(&p, end, &v);
			p += v;
		}
		for (;;) {
			const unsigned char *ep = p;
			rv(&p, end, &v);
			if (v == GL_EDGE_END)
				break;
			if (e++ == edge)
				return pos(L, ep);
			rv(&p, end, &v);
		}
	}
	return L->objs_off;
}

/* Step 5b: addresses into the hash table, in a batch with prefetching. */
static int index_addresses(loader *L)
{
	gl_snap *s = L->s;
	const uint32_t n = s->n_objects;
	if (gl_addrmap_init(&L->map, n, &L->tmp) < 0)
		return gl_err_set(L->err, "%s: out of memory for the address table", L->name);
	for (uint32_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			gl_addrmap_prefetch(&L->map, s->addr[i + PREFETCH_AHEAD]);
		uint32_t first;
		if (gl_addrmap_put(&L->map, s->addr[i], i, &first) != 0)
			return FAIL(L, locate(L, i, UINT64_MAX), "object 0x%llx appears twice "
				    "(records #%u and #%u)", (unsigned long long)s->addr[i], first, i);
	}
	return 0;
}

/* Step 6: edge targets to ids, in place (the u64 array becomes u32). */
/* Maps the edge targets of [from, to) to ids; returns the first edge whose
 * target has no record, or `to` when there is none. Read-only on the map,
 * writes only its own part of out_dst: two halves can run at once. */
static uint64_t resolve_range(const gl_addrmap *map, const uint64_t *da, uint32_t *ids, uint64_t from, uint64_t to)
{
	for (uint64_t e = from; e < to; e++) {
		if (e + PREFETCH_AHEAD < to)
			gl_addrmap_prefetch(map, da[e + PREFETCH_AHEAD]);
		uint32_t id = gl_addrmap_get(map, da[e]);
		if (id == GL_NO_ID)
			return e;
		ids[e] = id;
	}
	return to;
}

typedef struct {
	const gl_addrmap *map;
	const uint64_t *da;
	uint32_t *ids;
	uint64_t from, to, bad;
} resolve_half;

static void *resolve_thread(void *arg)
{
	resolve_half *h = arg;
	h->bad = resolve_range(h->map, h->da, h->ids, h->from, h->to);
	return NULL;
}

static int resolve_edges(loader *L)
{
	gl_snap *s = L->s;
	const uint64_t m = s->n_edges;
	/* on big snapshots the second half runs on another core: the lookups
	 * wait on memory, and the machine has two */
	resolve_half hi = {&L->map, L->dst_addr, s->out_dst, m / 2, m, m};
	pthread_t th;
	int threaded = m >= (1u << 20) && pthread_create(&th, NULL, resolve_thread, &hi) == 0;
	uint64_t bad = resolve_range(&L->map, L->dst_addr, s->out_dst, 0, threaded ? m / 2 : m);
	if (threaded) {
		pthread_join(th, NULL);
		if (bad == m / 2)
			bad = hi.bad;
	}
	if (bad != m) {
		uint64_t e = bad;
		uint64_t *src = s->out_off;
		/* the source: the last object whose edges start at or before e */
		uint32_t lo = 0, hj = s->n_objects;
		while (hj - lo > 1) {
			uint32_t mid = lo + (hj - lo) / 2;
			if (src[mid] <= e)
				lo = mid;
			else
				hj = mid;
		}
		return FAIL(L, locate(L, UINT64_MAX, e), "dangling edge: object 0x%llx references 0x%llx, "
			    "which has no record", (unsigned long long)s->addr[lo], (unsigned long long)L->dst_addr[e]);
	}
	return 0;
}

/* Step 7: reverse CSR (in_off zeroed). */
static int build_reverse(loader *L)
{
	gl_snap *s = L->s;
	const uint32_t n = s->n_objects;
	const uint64_t m = s->n_edges;
	uint64_t *const in_off = s->in_off;
	const uint32_t *const dst = s->out_dst;
	uint32_t *const in_src = gl_arena_array(&s->arena, m, sizeof *s->in_src, 0);
	uint32_t *const in_edge = gl_arena_array(&s->arena, m, sizeof *s->in_edge, 0);
	s->in_src = in_src;
	s->in_edge = in_edge;
	if (!in_src || !in_edge)
		return gl_err_set(L->err, "%s: out of memory for the reverse edges", L->name);
	/* in-degrees, at [id + 1] */
	for (uint64_t e = 0; e < m; e++) {
		if (e + PREFETCH_AHEAD < m)
			__builtin_prefetch(&in_off[dst[e + PREFETCH_AHEAD] + 1], 1);
		in_off[dst[e] + 1]++;
	}
	for (uint32_t i = 0; i < n; i++)
		in_off[i + 1] += in_off[i];
	/* in_off[d] is the cursor of d's next slot; afterwards it is d+1's start */
	/* two-stage prefetch: the cursor 2D edges ahead, then (with the cursor
	 * by then in cache) the slots it points at D edges ahead; a cursor
	 * that moves meanwhile only makes the hint a few slots off */
	uint32_t src = 0;
	for (uint64_t e = 0; e < m; e++) {
		if (e + 2 * PREFETCH_AHEAD < m)
			__builtin_prefetch(&in_off[dst[e + 2 * PREFETCH_AHEAD]], 1);
		if (e + PREFETCH_AHEAD < m) {
			uint64_t ahead = in_off[dst[e + PREFETCH_AHEAD]];
			__builtin_prefetch(&in_src[ahead], 1);
			__builtin_prefetch(&in_edge[ahead], 1);
		}
		while (s->out_off[src + 1] <= e)
			src++;
		uint32_t d = dst[e];
		uint64_t r = in_off[d]++;
		in_src[r] = src;
		in_edge[r] = (uint32_t)e;
	}
	memmove(in_off + 1, in_off, (size_t)n * sizeof *in_off);
	in_off[0] = 0;
	return 0;
}

static int decode(loader *L)
{
	if (L->flags & GL_SNAP_META_ONLY) {
		if (load_preamble(L) < 0 || walk_sections(L) < 0 || load_footer(L) < 0)
			return -1;
		L->s->n_objects = (uint32_t)L->end_objects;
		L->s->n_edges = (uint32_t)L->end_edges;
		L->s->n_strings = (uint32_t)L->end_strings;
		return 0;
	}
	if (load_preamble(L) < 0 || walk_sections(L) < 0 || load_strings(L) < 0 ||
	    load_footer(L) < 0 || alloc_arrays(L) < 0)
		return -1;
	if (load_objects(L) < 0 || load_sites(L) < 0 || index_addresses(L) < 0)
		return -1;
	if (!(L->flags & GL_SNAP_NO_REVERSE)) {
		L->s->in_off = gl_arena_array(&L->s->arena, (size_t)L->s->n_objects + 1,
					      sizeof *L->s->in_off, 1);
		if (!L->s->in_off)
			return gl_err_set(L->err, "%s: out of memory", L->name);
	}
	if (resolve_edges(L) < 0)
		return -1;
	gl_arena_free(&L->tmp); /* the address table and dst_addr */
	L->dst_addr = NULL;
	if (L->s->in_off && build_reverse(L) < 0)
		return -1;
	return 0;
}

static int load_common(gl_snap **out, gl_snap *s, const char *name, unsigned flags, gl_err *err)
{
	loader L = {
		.base = s->map, .len = s->map_len, .name = name, .err = err, .flags = flags, .s = s,
	};
	int rc = decode(&L);
	gl_arena_free(&L.tmp);
	if (rc < 0) {
		if (err && !err->set)
			gl_err_set(err, "%s: cannot load the snapshot", name);
		gl_snap_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static gl_snap *snap_new(const char *name, gl_err *err)
{
	gl_snap *s = calloc(1, sizeof *s);
	if (s)
		s->path = strdup(name);
	if (!s || !s->path) {
		free(s);
		gl_err_set(err, "out of memory");
		return NULL;
	}
	return s;
}

int gl_snap_load_buffer(gl_snap **out, const void *buf, size_t len, const char *name,
			unsigned flags, gl_err *err)
{
	*out = NULL;
	if (!name)
		name = "(buffer)";
	gl_snap *s = snap_new(name, err);
	if (!s)
		return -1;
	s->map = buf;
	s->map_len = len;
	s->file_size = len;
	if (len == 0) {
		gl_snap_free(s);
		return gl_err_set(err, "%s: empty (0 bytes), not a snapshot", name);
	}
	return load_common(out, s, name, flags, err);
}

int gl_snap_load(gl_snap **out, const char *path, unsigned flags, gl_err *err)
{
	*out = NULL;
	gl_snap *s = NULL;
	/* O_NONBLOCK so that opening a FIFO does not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return gl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		gl_err_set(err, "%s: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		gl_err_set(err, "%s: is a directory, not a snapshot file", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		gl_err_set(err, "%s: not a regular file (a device, pipe or socket); "
			   "a snapshot must be a file", path);
		goto fail;
	}
	if (st.st_size == 0) {
		gl_err_set(err, "%s: empty (0 bytes): the snapshot was never written", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		gl_err_set(err, "%s: too large to map", path);
		goto fail;
	}
	s = snap_new(path, err);
	if (!s)
		goto fail;
	/* read ahead in one go, unless only the header and footer are wanted */
	int populate = (flags & GL_SNAP_META_ONLY) ? 0 : MAP_POPULATE;
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | populate, fd, 0);
	if (m == MAP_FAILED) {
		gl_err_set(err, "%s: cannot map the file: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	madvise(m, (size_t)st.st_size, (flags & GL_SNAP_META_ONLY) ? MADV_RANDOM : MADV_SEQUENTIAL);
	s->map = m;
	s->map_len = (size_t)st.st_size;
	s->mapped = 1;
	s->file_size = (uint64_t)st.st_size;
	return load_common(out, s, path, flags, err);
fail:
	if (fd >= 0)
		close(fd);
	gl_snap_free(s);
	return -1;
}

void gl_snap_free(gl_snap *s)
{
	if (!s)
		return;
	if (s->mapped && s->map)
		munmap((void *)s->map, s->map_len);
	json_decref(s->header);
	json_decref(s->footer);
	gl_arena_free(&s->arena);
	free(s->path);
	free(s);
}

int gl_type_is(const gl_snap *s, uint32_t id, const char *name)
{
	size_t len;
	const char *p = gl_snap_str(s, s->type[id], &len);
	return len == strlen(name) && memcmp(p, name, len) == 0;
}

int gl_is_text_value(const gl_snap *s, uint32_t id)
{
	return gl_type_is(s, id, "str") || gl_type_is(s, id, "bytes") || gl_type_is(s, id, "bytearray");
}

uint32_t gl_snap_find_addr(const gl_snap *s, uint64_t addr)
{
	for (uint32_t i = 0; i < s->n_objects; i++)
		if (s->addr[i] == addr)
			return i;
	return GL_NO_ID;
}

uint64_t gl_snap_mem_bytes(const gl_snap *s)
{
	return sizeof *s + s->arena.bytes;
}

int gl_snap_peek(const char *path, gl_snap_counts *c, gl_err *err)
{
	unsigned char tail[GL_FMT_SECTION_HDR_LEN + GL_FMT_END_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return gl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < GL_FMT_PREAMBLE_LEN + sizeof tail) {
		gl_err_set(err, "%s: not a complete snapshot", path);
		goto done;
	}
	if (pread(fd, tail, sizeof tail, st.st_size - (off_t)sizeof tail) != (ssize_t)sizeof tail) {
		gl_err_set(err, "%s: cannot read: %s", path, strerror(errno));
		goto done;
	}
	if (memcmp(tail, GL_SEC_END, 4) != 0 || gl_get_u64(tail + 8) != GL_FMT_END_LEN ||
	    gl_get_u64(tail + 16 + 24) != (uint64_t)st.st_size) {
		gl_err_set(err, "%s: does not end with a snapshot's END section", path);
		goto done;
	}
	c->objects = gl_get_u64(tail + 16);
	c->edges = gl_get_u64(tail + 16 + 8);
	c->strings = gl_get_u64(tail + 16 + 16);
	c->file_size = (uint64_t)st.st_size;
	rc = 0;
done:
	close(fd);
	return rc;
}

uint64_t gl_snap_mem_estimate(const gl_snap_counts *c)
{
	/* per object: the loaded graph (~75 B), the analysis' side arrays and
	 * the dominator tree's temporaries (~55 B); per edge: both CSRs and
	 * labels (~17 B) and the load's temporaries (~11 B); plus the file,
	 * which is mapped. Saturates instead of overflowing. */
	uint64_t o = c->objects > UINT64_MAX / 130 ? UINT64_MAX : c->objects * 130;
	uint64_t e = c->edges > UINT64_MAX / 28 ? UINT64_MAX : c->edges * 28;
	uint64_t t = o + e;
	if (t < o || t + c->file_size < t)
		return UINT64_MAX;
	return t + c->file_size;
}
