/*
 * snapfmt.h - the graphleak snapshot format: constants shared by the writer
 * (pyshim, JSON-lines import) and the reader (analyzer).
 *
 * This header is the byte-level contract; docs/snapshot-format.md describes
 * the same layout in prose and tables and must be kept in step with it.
 * It has no dependency beyond <stdint.h> and <stddef.h>, so the shim, which
 * is built once per Python interpreter, can include it.
 *
 * File layout (all integers little-endian):
 *
 *   offset  size  field
 *   0       8     magic  89 47 4C 53 4E 41 50 0A  ("\x89GLSNAP\n")
 *   8       2     major version (GL_FMT_MAJOR); a reader refuses a newer major
 *   10      2     minor version (GL_FMT_MINOR); additions only, readers skip
 *                 sections they do not know
 *   12      4     flags, 0 in this version
 *   16      8     H: length of the header JSON
 *   24      H     header JSON (UTF-8, one object)
 *   24+H    ...   sections, each: tag[4] flags:u32 length:u64 payload[length]
 *
 * Sections, in this order: OBJS, STRS, FOOT, END. END is last and its
 * presence is what makes a snapshot complete.
 *
 *   OBJS  the object stream (records below), n_objects records
 *   STRS  varint count, then count x (varint len, len bytes); id = index,
 *         id 0 is always the empty string
 *   FOOT  footer JSON (counts, timings, warnings written after the walk)
 *   END   fixed 32-byte payload: n_objects u64, n_edges u64, n_strings u64,
 *         file_size u64 (of the whole file, END included)
 *
 * Object record in OBJS:
 *   addr     zigzag varint of (addr>>3) - (previous record's addr>>3),
 *            the previous being 0 for the first record
 *   type     varint string id of the type name (module-qualified for classes)
 *   flags    varint, GL_OF_* bits
 *   size     varint, bytes as sys.getsizeof reports
 *   refcnt   varint, ob_refcnt at the time of the walk
 *   length   varint, len() for containers, str and bytes; 0 otherwise
 *   preview  only if flags & GL_OF_PREVIEW: varint n (<= GL_PREVIEW_MAX),
 *            then n bytes
 *   edges    zero or more edges, then the single varint GL_EDGE_END
 *
 * Edge:
 *   label    varint: payload << 5 | extra << 4 | kind   (kind: GL_EK_*,
 *            never GL_EDGE_END; extra: 1 when tp_traverse does not report
 *            this reference, see below)
 *   dst      zigzag varint of (dst>>3) - (src>>3)
 *
 * Object addresses are multiples of 8 (CPython allocates objects at least
 * 8-byte aligned); the writer refuses any other address.
 */
#ifndef GRAPHLEAK_SNAPFMT_H
#define GRAPHLEAK_SNAPFMT_H

#include <stddef.h>
#include <stdint.h>

#define GL_FMT_MAGIC "\x89GLSNAP\n"
#define GL_FMT_MAGIC_LEN 8
#define GL_FMT_MAJOR 1
#define GL_FMT_MINOR 1
#define GL_FMT_PREAMBLE_LEN 24
#define GL_FMT_SECTION_HDR_LEN 16
#define GL_FMT_END_LEN 32

#define GL_SEC_OBJS "OBJS"
#define GL_SEC_STRS "STRS"
#define GL_SEC_FOOT "FOOT"
#define GL_SEC_SITE "SITE" /* allocation sites (1.1; optional) */
#define GL_SEC_END "END "

/* The longest preview stored for one object, in bytes. */
#define GL_PREVIEW_MAX 64

/* Object flags (GL_OF_*). */
enum {
	GL_OF_TRACKED = 1u << 0,        /* gc-tracked at the time of the walk */
	GL_OF_GCTYPE = 1u << 1,         /* its type has Py_TPFLAGS_HAVE_GC */
	GL_OF_HAS_DEL = 1u << 2,        /* its class defines __del__ */
	GL_OF_HAS_FINALIZE = 1u << 3,   /* its type has tp_finalize */
	GL_OF_LEGACY_DEL = 1u << 4,     /* its type has the legacy tp_del */
	GL_OF_FINALIZED = 1u << 5,      /* the collector already finalized it */
	GL_OF_IN_GARBAGE = 1u << 6,     /* it is an item of gc.garbage */
	GL_OF_MODULE = 1u << 7,         /* a module object */
	GL_OF_TYPE = 1u << 8,           /* a type (class) object */
	GL_OF_FRAME = 1u << 9,          /* a frame object */
	GL_OF_FUNCTION = 1u << 10,      /* a Python function object */
	GL_OF_PREVIEW = 1u << 11,       /* a preview follows in the record */
	GL_OF_PREVIEW_TRUNC = 1u << 12, /* the preview is cut short */
	GL_OF_IMMORTAL = 1u << 13,      /* immortal (3.12+): refcnt is not a count */
	GL_OF_SIZE_APPROX = 1u << 14,   /* size computed without the type's __sizeof__ */
	GL_OF_REDACTED = 1u << 15,      /* a value preview was withheld on request */
};
#define GL_OF_KNOWN_MASK ((1u << 16) - 1)

/* Edge kinds (GL_EK_*): what the reference is. */
enum {
	GL_EK_NONE = 0,   /* unknown: a reference tp_traverse reported, unnamed */
	GL_EK_INDEX = 1,  /* payload: index in a list, tuple, deque, ... */
	GL_EK_KEY = 2,    /* a dict's key */
	GL_EK_VALUE = 3,  /* a dict's value; its key is the previous edge (KEY) */
	GL_EK_ATTR = 4,   /* payload: string id of an attribute name (slots,
	                   * inline values of 3.11+) */
	GL_EK_FIELD = 5,  /* payload: string id of a C-level field
	                   * (__class__, __dict__, __defaults__, f_back, ...) */
	GL_EK_LOCAL = 6,  /* payload: string id of a frame local, cell or free
	                   * variable name */
	GL_EK_MEMBER = 7, /* a member of a set or frozenset */
	GL_EK_MAX_ = 7
};
/* The label varint that ends an object's edge list (kind 15, no payload). */
#define GL_EDGE_END 15u
#define GL_EDGE_KIND_MASK 15u
#define GL_EDGE_EXTRA_BIT 16u
#define GL_EDGE_PAYLOAD_SHIFT 5

/* Largest encoded varint: 10 bytes for a uint64_t. */
#define GL_VARINT_MAX 10

/* Little-endian fixed-width helpers. */
static inline void gl_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void gl_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void gl_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t gl_get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t gl_get_u32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t gl_get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Writes v as LEB128 at p (room for GL_VARINT_MAX bytes); returns bytes written. */
static inline size_t gl_varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/*
 * Reads a LEB128 varint from [*pp, end). On success stores it in *out,
 * advances *pp and returns 0. Returns -1, leaving *pp alone, when the input
 * ends inside the varint or the varint is longer than 10 bytes or overflows
 * 64 bits.
 */
static inline int gl_varint_get(const unsigned char **pp, const unsigned char *end, uint64_t *out)
{
	const unsigned char *p = *pp;
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -1;
		unsigned char b = *p++;
		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

static inline uint64_t gl_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t gl_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif /* GRAPHLEAK_SNAPFMT_H */
