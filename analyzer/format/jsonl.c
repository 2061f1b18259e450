/*
 * jsonl.c - JSON-lines export and import; see jsonl.h.
 */
#define _GNU_SOURCE
#include "jsonl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hash.h"
#include "progress.h"
#include "snapfmt.h"
#include "snapwrite.h"
#include "strbuf.h"
#include "vec.h"

/* ---- export ------------------------------------------------------------ */

/* Writes bytes as a JSON string: valid UTF-8 raw, other bytes as \u00XX. */
static void put_jstr(FILE *f, const unsigned char *s, size_t n)
{
	putc('"', f);
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			putc(c, f);
			i++;
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		default: break;
		}
		uint32_t cp;
		size_t k = c >= 0x80 ? gl_utf8_decode(s + i, n - i, &cp) : 0;
		if (k) {
			fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fprintf(f, "\\u%04x", c);
			i++;
		}
	}
	putc('"', f);
}

static void put_str_id(FILE *f, const gl_snap *s, uint32_t sid)
{
	size_t n;
	const char *p = gl_snap_str(s, sid, &n);
	put_jstr(f, (const unsigned char *)p, n);
}

static int put_json_line(FILE *f, const char *key, const json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		return -1;
	fprintf(f, "{\"%s\":%s}\n", key, t);
	free(t);
	return 0;
}

int gl_jsonl_export(const gl_snap *s, FILE *out, const char *out_name, gl_err *err)
{
	json_t *hdr = s->redact ? gl_header_redacted(s->header) : json_incref(s->header);
	int hrc = hdr ? put_json_line(out, "header", hdr) : -1;
	json_decref(hdr);
	if (hrc < 0)
		return gl_err_set(err, "out of memory writing the header");
	gl_progress pr;
	gl_progress_begin(&pr, "exporting");
	for (uint32_t i = 0; i < s->n_objects; i++) {
		if ((i & 0xffff) == 0) {
			gl_progress_update(&pr, i, s->n_objects);
			if (ferror(out))
				break;
		}
		fprintf(out, "{\"addr\":\"0x%" PRIx64 "\",\"type\":", s->addr[i]);
		put_str_id(out, s, s->type[i]);
		/* --redact: a str or bytes value leaves without its preview,
		 * flagged REDACTED, as a snapshot taken with values=False */
		int hide = s->redact && gl_is_text_value(s, i) && (s->flags[i] & GL_OF_PREVIEW);
		uint32_t flags = hide ? (s->flags[i] & ~(uint32_t)(GL_OF_PREVIEW | GL_OF_PREVIEW_TRUNC)) | GL_OF_REDACTED
				      : s->flags[i];
		fprintf(out, ",\"flags\":%" PRIu32 ",\"size\":%" PRIu64 ",\"refcnt\":%" PRIu64
			",\"length\":%" PRIu64, flags, s->size[i], s->refcnt[i], s->length[i]);
		size_t plen;
		const unsigned char *pv = hide ? NULL : gl_snap_preview(s, i, &plen);
		if (pv) {
			fputs(",\"preview\":", out);
			put_jstr(out, pv, plen);
		}
		fputs(",\"edges\":[", out);
		for (uint64_t e = s->out_off[i]; e < s->out_off[i + 1]; e++) {
			unsigned kind = gl_edge_kind(s, (uint32_t)e);
			if (e > s->out_off[i])
				putc(',', out);
			fprintf(out, "[\"0x%" PRIx64 "\",\"%s\",", s->addr[s->out_dst[e]], gl_edge_kind_name(kind));
			switch (kind) {
			case GL_EK_INDEX:
				fprintf(out, "%" PRIu32, s->edge_payload[e]);
				break;
			case GL_EK_ATTR:
			case GL_EK_FIELD:
			case GL_EK_LOCAL:
				put_str_id(out, s, s->edge_payload[e]);
				break;
			default:
				fputs("null", out);
			}
			fprintf(out, ",%d]", gl_edge_extra(s, (uint32_t)e));
		}
		fputs("]", out);
		/* where it was allocated (SITE), most recent frame first, and the
		 * traceback's whole depth when tracemalloc kept fewer frames */
		uint32_t site = s->site ? s->site[i] : 0;
		if (site) {
			fputs(",\"alloc\":[", out);
			for (uint32_t f = s->site_frame[site]; f < s->site_frame[site + 1]; f++) {
				fputs(f > s->site_frame[site] ? ",[" : "[", out);
				put_str_id(out, s, s->frame_file[f]);
				fprintf(out, ",%" PRIu32 "]", s->frame_line[f]);
			}
			fputs("]", out);
			if (s->site_total[site] != s->site_frame[site + 1] - s->site_frame[site])
				fprintf(out, ",\"alloc_depth\":%" PRIu32, s->site_total[site]);
		}
		fputs("}\n", out);
	}
	gl_progress_end(&pr);
	if (put_json_line(out, "footer", s->footer) < 0)
		return gl_err_set(err, "out of memory writing the footer");
	if (fflush(out) != 0 || ferror(out))
		return gl_err_set(err, "writing %s: %s", out_name, strerror(errno ? errno : EIO));
	return 0;
}

/* ---- import ------------------------------------------------------------ */

typedef struct {
	uint64_t addr;
	uint64_t line;
} addr_line;

/* An allocation site read from "alloc": its frames are pairs (file string
 * id, line) in the importer's `frames`, from `first`. */
typedef struct {
	uint64_t hash;
	uint64_t depth;
	uint32_t first, nframe;
} site_rec;

typedef gl_vec(unsigned char) byte_vec;

/* the most frames one "alloc" may have (tracemalloc's own limit) */
#define IMPORT_MAX_FRAMES 65535

typedef struct importer {
	const char *name;
	gl_err *err;
	uint64_t line;
	gl_writer *w;
	gl_vec(addr_line) objs;
	gl_vec(addr_line) dsts;
	gl_vec(unsigned char) buf; /* a decoded preview */
	uint64_t n_objects, n_edges;
	uint64_t n_tracked, n_bytes; /* for the footer: what was written, not what the file said */
	/* the SITE section: the sites deduplicated by their frames, and per
	 * object with one its record index's step and its site id, as varints */
	gl_vec(site_rec) sites;
	gl_index site_ix;
	gl_vec(uint32_t) frames;
	byte_vec entries;
	uint64_t n_sited, last_sited;
	byte_vec section; /* built at the end; the writer reads it at gl_w_finish */
} importer;

#define IFAIL(I, ...) import_fail((I), __VA_ARGS__)

__attribute__((format(printf, 2, 3)))
static int import_fail(importer *I, const char *fmt, ...)
{
	char m[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	return gl_err_set(I->err, "%s: line %" PRIu64 ": %s", I->name, I->line, m);
}

/*
 * The raw text of top-level key `key`'s string value in a JSON object line,
 * as a pointer to its opening quote, or NULL. The line is already known to
 * be valid JSON.
 */
static const char *raw_top_string(const char *s, size_t n, const char *key)
{
	size_t klen = strlen(key);
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			size_t start = i++;
			while (i < n && s[i] != '"') {
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i >= n)
				return NULL;
			if (depth == 1 && i - start - 1 == klen && memcmp(s + start + 1, key, klen) == 0) {
				size_t j = i + 1;
				while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n'))
					j++;
				if (j < n && s[j] == ':') {
					j++;
					while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n'))
						j++;
					return j < n && s[j] == '"' ? s + j : NULL;
				}
			}
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return NULL;
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Decodes the JSON string at q (opening quote) into I->buf, escapes below
 * U+0100 as single bytes. 0 or -1 (out of memory). */
static int decode_raw_preview(importer *I, const char *q, const char *end)
{
	I->buf.n = 0;
	const char *p = q + 1;
	while (p < end && *p != '"') {
		unsigned char tmp[4];
		size_t k = 0;
		if (*p != '\\') {
			tmp[k++] = (unsigned char)*p++;
		} else {
			p++;
			if (p >= end)
				break;
			char c = *p++;
			uint32_t cp;
			switch (c) {
			case 'b': tmp[k++] = '\b'; break;
			case 'f': tmp[k++] = '\f'; break;
			case 'n': tmp[k++] = '\n'; break;
			case 'r': tmp[k++] = '\r'; break;
			case 't': tmp[k++] = '\t'; break;
			case 'u':
				if (end - p < 4 || hex4(p, &cp) < 0)
					return 0;
				p += 4;
				if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
					uint32_t lo;
					if (hex4(p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
						p += 6;
					}
				}
				if (cp < 0x100) {
					tmp[k++] = (unsigned char)cp;
				} else if (cp < 0x800) {
					tmp[k++] = (unsigned char)(0xc0 | (cp >> 6));
					tmp[k++] = (unsigned char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					tmp[k++] = (unsigned char)(0xe0 | (cp >> 12));
					tmp[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
					tmp[k++] = (unsigned char)(0x80 | (cp & 0x3f));
				} else {
					tmp[k++] = (unsigned char)(0xf0 | (cp >> 18));
					tmp[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
					tmp[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
					tmp[k++] = (unsigned char)(0x80 | (cp & 0x3f));
				}
				break;
			default: tmp[k++] = (unsigned char)c; break; /* " \ / */
			}
		}
		if (gl_vec_reserve(&I->buf, k) < 0)
			return -1;
		memcpy(I->buf.v + I->buf.n, tmp, k);
		I->buf.n += k;
	}
	return 0;
}

/* Parses "0x..." (a multiple of 8) into *out. 0 or -1. */
static int parse_addr(const json_t *v, uint64_t *out)
{
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return -1;
	uint64_t a = 0;
	for (const char *p = s + 2; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return -1;
		if (a >> 60)
			return -1;
		a = a << 4 | d;
	}
	if (a & 7)
		return -1;
	*out = a;
	return 0;
}

static int get_uint(importer *I, const json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return IFAIL(I, "the object has no \"%s\"", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return IFAIL(I, "\"%s\" must be an integer from 0 to %" PRIu64, key, max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static uint32_t intern_json(importer *I, const json_t *v)
{
	return gl_w_intern(I->w, json_string_value(v), json_string_length(v));
}

static int put_varint(byte_vec *b, uint64_t v)
{
	unsigned char tmp[GL_VARINT_MAX];
	size_t n = gl_varint_put(tmp, v);
	if (gl_vec_reserve(b, n) < 0)
		return -1;
	memcpy(b->v + b->n, tmp, n);
	b->n += n;
	return 0;
}

static uint64_t site_hash(const void *ctx, size_t row)
{
	return ((const importer *)ctx)->sites.v[row].hash;
}

/* The object being imported (record index I->n_objects) was allocated at
 * `alloc` ([[file, line], ...], most recent first), of `depth` frames in
 * all (NULL: those given). 0, or -1 with the error set. */
static int import_alloc(importer *I, const json_t *alloc, const json_t *depth)
{
	if (!json_is_array(alloc) || json_array_size(alloc) == 0 || json_array_size(alloc) > IMPORT_MAX_FRAMES)
		return IFAIL(I, "\"alloc\" must be an array of 1 to %d frames [file, line]", IMPORT_MAX_FRAMES);
	size_t nf = json_array_size(alloc);
	uint64_t total = nf;
	if (depth) {
		if (!json_is_integer(depth) || json_integer_value(depth) < (json_int_t)nf ||
		    json_integer_value(depth) > (json_int_t)UINT32_MAX)
			return IFAIL(I, "\"alloc_depth\" must be an integer from the number of frames (%zu) to %u", nf,
				     UINT32_MAX);
		total = (uint64_t)json_integer_value(depth);
	}
	if (I->frames.n / 2 + nf >= UINT32_MAX)
		return IFAIL(I, "too many allocation frames in all");
	/* the frames go at the end of `frames`, taken back if the site is known */
	size_t at = I->frames.n;
	if (gl_vec_reserve(&I->frames, 2 * nf) < 0)
		return IFAIL(I, "out of memory");
	size_t k;
	json_t *fr;
	json_array_foreach(alloc, k, fr) {
		json_t *file = json_array_get(fr, 0), *line = json_array_get(fr, 1);
		if (!json_is_array(fr) || json_array_size(fr) != 2 || !json_is_string(file) || !json_is_integer(line) ||
		    json_integer_value(line) < 0 || json_integer_value(line) > (json_int_t)UINT32_MAX) {
			I->frames.n = at;
			return IFAIL(I, "\"alloc\" frame %zu: expected [file, line], a string and an integer from 0 to %u",
				     k, UINT32_MAX);
		}
		I->frames.v[I->frames.n++] = intern_json(I, file);
		I->frames.v[I->frames.n++] = (uint32_t)json_integer_value(line);
	}
	const uint32_t *mine = I->frames.v + at;
	uint64_t h = gl_mix64(gl_hash_more(gl_hash_bytes(mine, 2 * nf * sizeof *mine), &total, sizeof total));
	if (gl_index_room(&I->site_ix, I->sites.n, site_hash, I) < 0)
		return IFAIL(I, "out of memory");
	size_t j = gl_index_at(&I->site_ix, h);
	uint32_t id = 0;
	for (; I->site_ix.slot[j]; j = gl_index_next(&I->site_ix, j)) {
		const site_rec *r = &I->sites.v[I->site_ix.slot[j] - 1];
		if (r->hash == h && r->nframe == nf && r->depth == total &&
		    memcmp(I->frames.v + 2 * (size_t)r->first, mine, 2 * nf * sizeof *mine) == 0) {
			id = I->site_ix.slot[j];
			break;
		}
	}
	if (id) {
		I->frames.n = at; /* known: its frames are there already */
	} else {
		if (I->sites.n >= UINT32_MAX - 1 ||
		    gl_vec_push(&I->sites, ((site_rec){h, total, (uint32_t)(at / 2), (uint32_t)nf})) < 0)
			return IFAIL(I, "out of memory");
		id = (uint32_t)I->sites.n;
		I->site_ix.slot[j] = id;
	}
	uint64_t step = I->n_sited ? I->n_objects - I->last_sited : I->n_objects;
	if (put_varint(&I->entries, step) < 0 || put_varint(&I->entries, id) < 0)
		return IFAIL(I, "out of memory");
	I->last_sited = I->n_objects;
	I->n_sited++;
	return 0;
}

/* The SITE section of what import_alloc gathered, into I->section (docs/
 * snapshot-format.md), given to the writer. 0, or -1 (out of memory). */
static int sites_section(importer *I)
{
	byte_vec *b = &I->section;
	if (put_varint(b, 1) < 0 || put_varint(b, I->sites.n) < 0)
		return -1;
	for (size_t k = 0; k < I->sites.n; k++) {
		const site_rec *r = &I->sites.v[k];
		if (put_varint(b, r->nframe) < 0 || put_varint(b, r->depth) < 0)
			return -1;
		for (size_t f = 0; f < 2 * (size_t)r->nframe; f++)
			if (put_varint(b, I->frames.v[2 * (size_t)r->first + f]) < 0)
				return -1;
	}
	if (put_varint(b, I->n_sited) < 0 || gl_vec_reserve(b, I->entries.n) < 0)
		return -1;
	memcpy(b->v + b->n, I->entries.v, I->entries.n);
	b->n += I->entries.n;
	gl_w_extra_section(I->w, GL_SEC_SITE, b->v, b->n);
	return 0;
}

static int import_object(importer *I, const json_t *o, const char *line, size_t len)
{
	uint64_t addr, flags, size, refcnt, length;
	json_t *a = json_object_get(o, "addr");
	if (!a)
		return IFAIL(I, "expected an object line with \"addr\" (or {\"footer\": {...}})");
	if (parse_addr(a, &addr) < 0)
		return IFAIL(I, "\"addr\" must be a string \"0x...\" holding a multiple of 8 below 2^64");
	json_t *type = json_object_get(o, "type");
	if (!json_is_string(type))
		return IFAIL(I, "\"type\" must be a string");
	if (get_uint(I, o, "flags", GL_OF_KNOWN_MASK, &flags) < 0 ||
	    get_uint(I, o, "size", INT64_MAX, &size) < 0 ||
	    get_uint(I, o, "refcnt", INT64_MAX, &refcnt) < 0 ||
	    get_uint(I, o, "length", INT64_MAX, &length) < 0)
		return -1;
	json_t *pv = json_object_get(o, "preview");
	const void *pbytes = NULL;
	size_t plen = 0;
	if (pv && !json_is_null(pv)) {
		if (!json_is_string(pv))
			return IFAIL(I, "\"preview\" must be a string");
		const char *raw = raw_top_string(line, len, "preview");
		if (raw) {
			if (decode_raw_preview(I, raw, line + len) < 0)
				return IFAIL(I, "out of memory");
			pbytes = I->buf.v;
			plen = I->buf.n;
		} else {
			pbytes = json_string_value(pv);
			plen = json_string_length(pv);
		}
		flags |= GL_OF_PREVIEW;
	} else if (flags & GL_OF_PREVIEW) {
		return IFAIL(I, "flags include PREVIEW (2048) but there is no \"preview\"");
	}
	json_t *edges = json_object_get(o, "edges");
	if (edges && !json_is_array(edges))
		return IFAIL(I, "\"edges\" must be an array");
	if (gl_vec_push(&I->objs, ((addr_line){addr, I->line})) < 0)
		return IFAIL(I, "out of memory");
	uint32_t tsid = intern_json(I, type);
	gl_w_begin_object(I->w, addr, tsid, (uint32_t)flags, size, refcnt, length, pbytes, plen);
	I->n_tracked += (flags & GL_OF_TRACKED) != 0;
	I->n_bytes += size;
	size_t k;
	json_t *ed;
	int prev_kind = -1;
	json_array_foreach(edges, k, ed) {
		uint64_t dst;
		if (!json_is_array(ed) || json_array_size(ed) != 4)
			return IFAIL(I, "edge %zu: expected [dst, kind, payload, extra]", k);
		if (parse_addr(json_array_get(ed, 0), &dst) < 0)
			return IFAIL(I, "edge %zu: dst must be a string \"0x...\" holding a multiple of 8", k);
		json_t *kn = json_array_get(ed, 1);
		int kind = json_is_string(kn) ? gl_edge_kind_from_name(json_string_value(kn)) : -1;
		if (kind < 0)
			return IFAIL(I, "edge %zu: kind must be one of none, index, key, value, attr, field, "
				     "local, member", k);
		json_t *pl = json_array_get(ed, 2);
		uint64_t payload = 0;
		if (kind == GL_EK_INDEX) {
			if (!json_is_integer(pl) || json_integer_value(pl) < 0 ||
			    json_integer_value(pl) > (json_int_t)UINT32_MAX)
				return IFAIL(I, "edge %zu: an index edge needs an integer index from 0 to %u",
					     k, UINT32_MAX);
			payload = (uint64_t)json_integer_value(pl);
		} else if (kind == GL_EK_ATTR || kind == GL_EK_FIELD || kind == GL_EK_LOCAL) {
			if (!json_is_string(pl))
				return IFAIL(I, "edge %zu: a %s edge needs a name (string) as payload", k,
					     gl_edge_kind_name((unsigned)kind));
			payload = intern_json(I, pl);
		} else if (!json_is_null(pl)) {
			return IFAIL(I, "edge %zu: a %s edge takes null as payload", k,
				     gl_edge_kind_name((unsigned)kind));
		}
		json_t *ex = json_array_get(ed, 3);
		if (!json_is_integer(ex) || (json_integer_value(ex) != 0 && json_integer_value(ex) != 1))
			return IFAIL(I, "edge %zu: extra must be 0 or 1", k);
		if (kind == GL_EK_VALUE && prev_kind != GL_EK_KEY)
			return IFAIL(I, "edge %zu: a value edge must follow its key edge", k);
		prev_kind = kind;
		if (gl_vec_push(&I->dsts, ((addr_line){dst, I->line})) < 0)
			return IFAIL(I, "out of memory");
		gl_w_edge(I->w, dst, (unsigned)kind, (int)json_integer_value(ex), payload);
		I->n_edges++;
	}
	json_t *alloc = json_object_get(o, "alloc");
	if (alloc && import_alloc(I, alloc, json_object_get(o, "alloc_depth")) < 0)
		return -1;
	gl_w_end_object(I->w);
	I->n_objects++;
	if (gl_w_failed(I->w))
		return IFAIL(I, "%s", gl_w_error(I->w));
	return 0;
}

static int cmp_addr_line(const void *a, const void *b)
{
	const addr_line *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Duplicate addresses and dangling targets, with line numbers. */
static int check_references(importer *I)
{
	gl_sort(I->objs.v, I->objs.n, sizeof *I->objs.v, cmp_addr_line);
	uint64_t bad_line = 0, first_line = 0, bad_addr = 0;
	for (size_t i = 1; i < I->objs.n; i++) {
		if (I->objs.v[i].addr == I->objs.v[i - 1].addr &&
		    (!bad_line || I->objs.v[i].line < bad_line)) {
			bad_line = I->objs.v[i].line;
			first_line = I->objs.v[i - 1].line;
			bad_addr = I->objs.v[i].addr;
		}
	}
	if (bad_line) {
		I->line = bad_line;
		return IFAIL(I, "object 0x%" PRIx64 " appears again (first on line %" PRIu64 ")",
			     bad_addr, first_line);
	}
	for (size_t i = 0; i < I->dsts.n; i++) {
		uint64_t d = I->dsts.v[i].addr;
		size_t lo = 0, hi = I->objs.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (I->objs.v[mid].addr < d)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == I->objs.n || I->objs.v[lo].addr != d) {
			I->line = I->dsts.v[i].line;
			return IFAIL(I, "an edge points at 0x%" PRIx64 ", which has no object line", d);
		}
	}
	return 0;
}

int gl_jsonl_import(FILE *in, const char *in_name, const char *out_path, unsigned flags,
		    gl_jsonl_stats *st, gl_err *err)
{
	importer I = {.name = in_name, .err = err};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_t *footer = NULL;
	int rc = -1;
	gl_progress pr;
	char what[256];
	snprintf(what, sizeof what, "importing %s", in_name);
	gl_progress_begin(&pr, what);
	/* a file: progress in bytes of it; a pipe: in lines */
	struct stat ist;
	uint64_t in_size = fstat(fileno(in), &ist) == 0 && S_ISREG(ist.st_mode) ? (uint64_t)ist.st_size : 0;
	uint64_t in_done = 0;

	while ((len = getline(&line, &cap, in)) >= 0) {
		I.line++;
		in_done += (uint64_t)len;
		if ((I.line & 0x3fff) == 0)
			gl_progress_update(&pr, in_size ? in_done : I.line, in_size);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		size_t sp = 0;
		while (sp < (size_t)len && (line[sp] == ' ' || line[sp] == '\t'))
			sp++;
		if (sp == (size_t)len) /* blank */
			continue;
		if (footer) {
			IFAIL(&I, "text after the footer line");
			goto done;
		}
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &je);
		if (!o) {
			IFAIL(&I, "not valid JSON: %s (column %d)", je.text, je.column);
			goto done;
		}
		if (!json_is_object(o)) {
			json_decref(o);
			IFAIL(&I, "expected a JSON object");
			goto done;
		}
		json_t *h = json_object_get(o, "header");
		if (!I.w) {
			if (!json_is_object(h)) {
				json_decref(o);
				IFAIL(&I, "expected the header first: {\"header\": {...}}");
				goto done;
			}
			const char *why = gl_header_problem(h);
			if (why) {
				json_decref(o);
				IFAIL(&I, "%s", why);
				goto done;
			}
			char *ht = json_dumps(h, JSON_COMPACT);
			char wm[256] = "";
			if (!ht || gl_w_open(&I.w, out_path, (flags & GL_JSONL_OVERWRITE) ? GL_W_OVERWRITE : 0,
					     ht, strlen(ht), wm, sizeof wm) < 0) {
				free(ht);
				json_decref(o);
				gl_err_set(err, "%s", ht ? wm : "out of memory");
				goto done;
			}
			free(ht);
			json_decref(o);
			continue;
		}
		if (h) {
			json_decref(o);
			IFAIL(&I, "a second header line");
			goto done;
		}
		json_t *f = json_object_get(o, "footer");
		if (f) {
			if (!json_is_object(f)) {
				json_decref(o);
				IFAIL(&I, "the footer must be a JSON object");
				goto done;
			}
			footer = json_incref(f);
			json_decref(o);
			continue;
		}
		int r = import_object(&I, o, line, (size_t)len);
		json_decref(o);
		if (r < 0)
			goto done;
	}
	if (ferror(in)) {
		gl_err_set(err, "%s: read error: %s", in_name, strerror(errno));
		goto done;
	}
	I.line++;
	if (!I.w) {
		IFAIL(&I, "no header line: the file is empty");
		goto done;
	}
	if (!footer) {
		IFAIL(&I, "no footer line at the end ({\"footer\": {...}}); was the export cut short?");
		goto done;
	}
	if (check_references(&I) < 0)
		goto done;
	/* the counts the footer gives are the ones written, whatever the file said */
	json_object_set_new(footer, "objects", json_integer((json_int_t)I.n_objects));
	json_object_set_new(footer, "edges", json_integer((json_int_t)I.n_edges));
	json_object_set_new(footer, "tracked", json_integer((json_int_t)I.n_tracked));
	json_object_set_new(footer, "untracked", json_integer((json_int_t)(I.n_objects - I.n_tracked)));
	json_object_set_new(footer, "bytes", json_integer((json_int_t)I.n_bytes));
	json_t *sites = json_object_get(footer, "sites");
	if (I.n_sited) {
		if (!json_is_object(sites)) {
			sites = json_pack("{s:f}", "seconds", 0.0);
			json_object_set_new(footer, "sites", sites);
		}
		json_object_set_new(sites, "count", json_integer((json_int_t)I.sites.n));
		json_object_set_new(sites, "objects", json_integer((json_int_t)I.n_sited));
		if (sites_section(&I) < 0) {
			gl_err_set(err, "out of memory");
			goto done;
		}
	} else if (json_is_object(sites)) {
		json_object_set_new(sites, "count", json_integer(0));
		json_object_set_new(sites, "objects", json_integer(0));
	}
	char *ft = json_dumps(footer, JSON_COMPACT);
	char wm[256] = "";
	if (!ft) {
		gl_err_set(err, "out of memory");
		goto done;
	}
	gl_writer *w = I.w;
	I.w = NULL;
	if (gl_w_finish(w, ft, strlen(ft), NULL, wm, sizeof wm) < 0) {
		free(ft);
		gl_err_set(err, "%s", wm);
		goto done;
	}
	free(ft);
	if (st) {
		st->lines = I.line - 1;
		st->objects = I.n_objects;
		st->edges = I.n_edges;
	}
	rc = 0;
done:
	gl_progress_end(&pr);
	gl_w_abort(I.w);
	json_decref(footer);
	free(line);
	gl_vec_free(&I.objs);
	gl_vec_free(&I.dsts);
	gl_vec_free(&I.buf);
	gl_vec_free(&I.sites);
	gl_vec_free(&I.frames);
	gl_index_free(&I.site_ix);
	gl_vec_free(&I.entries);
	gl_vec_free(&I.section);
	return rc;
}
