/*
 * gensnap.c - writes a synthetic snapshot through snapwrite, for measuring
 * the loader (and for tests that need a big input).
 *
 *   graphleak-gensnap OUT.snap N_TRACKED [SEED]
 *
 * Makes 2 * N_TRACKED objects and about 6 * N_TRACKED edges, like a service
 * heap of 1M gc-tracked objects: tracked objects (40% dicts of 4 str keys,
 * 25% lists of 6 items, 20% class instances with 3 slots and __class__,
 * 15% 3-tuples) alternating in file order with untracked leaves (str with a
 * preview, int, float). Addresses are shuffled inside 4096-object windows
 * and the windows shuffled too, so edge targets are scattered the way a
 * real heap's are.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapwrite.h"

static uint64_t n_total, w2mask;

static uint64_t addr_of(uint64_t k)
{
	uint64_t w = k >> 12, lo = k & 4095;
	uint64_t pw = (w * 0x9E3779B1ull) & w2mask;
	uint64_t pl = (lo * 2909 + 17) & 4095;
	return 0x7f0000000000ull + ((pw << 12) | pl) * 16;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT.snap N_TRACKED [SEED]\n", argv[0]);
		return 2;
	}
	uint64_t T = strtoull(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) | 1 : 88172645463325252ull;
	if (T < 64) {
		fprintf(stderr, "N_TRACKED must be at least 64\n");
		return 2;
	}
	n_total = 2 * T;
	uint64_t nw = (n_total >> 12) + 1, w2 = 1;
	while (w2 < nw)
		w2 <<= 1;
	w2mask = w2 - 1;

	const char *hdr = "{\"format\":\"graphleak-snapshot\",\"format_version\":\"1.0\","
			  "\"producer\":\"graphleak-gensnap\",\"python\":{\"version\":\"3.11.7\","
			  "\"implementation\":\"cpython\",\"executable\":\"/usr/bin/python3\"},"
			  "\"pid\":4242,\"argv\":[\"synthetic\"],\"time\":\"2026-11-21T18:40:00Z\","
			  "\"gc\":{\"enabled\":true,\"thresholds\":[700,10,10],\"counts\":[0,0,0],"
			  "\"garbage\":0,\"collected\":false},\"threads\":[]}";
	char err[256];
	gl_writer *w;
	if (gl_w_open(&w, argv[1], GL_W_OVERWRITE, hdr, strlen(hdr), err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	uint32_t t_dict = gl_w_intern(w, "dict", 4), t_list = gl_w_intern(w, "list", 4);
	uint32_t t_tuple = gl_w_intern(w, "tuple", 5), t_rec = gl_w_intern(w, "app.models.Record", 17);
	uint32_t t_type = gl_w_intern(w, "type", 4), t_str = gl_w_intern(w, "str", 3);
	uint32_t t_int = gl_w_intern(w, "int", 3), t_float = gl_w_intern(w, "float", 5);
	uint32_t f_class = gl_w_intern(w, "__class__", 9);
	uint32_t a_names[3] = {gl_w_intern(w, "id", 2), gl_w_intern(w, "name", 4), gl_w_intern(w, "payload", 7)};
	uint64_t bytes = 0;

	for (uint64_t i = 0; i < T; i++) {
		uint64_t k = 2 * i, a = addr_of(k);
		unsigned r = (unsigned)(rnd() % 100);
		const uint32_t fl = GL_OF_TRACKED | GL_OF_GCTYPE;
		if (i == 0) {
			gl_w_begin_object(w, a, t_type, fl | GL_OF_TYPE | GL_OF_PREVIEW, 1072, 1000, 0,
					  "Record", 6);
			bytes += 1072;
		} else if (r < 40) {
			gl_w_begin_object(w, a, t_dict, fl, 232, 1, 4, NULL, 0);
			bytes += 232;
			for (int j = 0; j < 4; j++) {
				/* keys: the first 64 leaves; values: own leaf, then random leaves */
				gl_w_edge(w, addr_of(2 * (uint64_t)(j * 7 % 64) + 1), GL_EK_KEY, 1, 0);
				uint64_t v = j == 0 ? k + 1 : 2 * (rnd() % T) + 1;
				gl_w_edge(w, addr_of(v), GL_EK_VALUE, 0, 0);
			}
		} else if (r < 65) {
			gl_w_begin_object(w, a, t_list, fl, 120, 1, 6, NULL, 0);
			bytes += 120;
			for (int j = 0; j < 6; j++)
				gl_w_edge(w, addr_of(j == 0 ? k + 1 : rnd() % n_total), GL_EK_INDEX, 0, (uint64_t)j);
		} else if (r < 85) {
			gl_w_begin_object(w, a, t_rec, fl, 48, 1, 0, NULL, 0);
			bytes += 48;
			gl_w_edge(w, addr_of(0), GL_EK_FIELD, 0, f_class);
			for (int j = 0; j < 3; j++)
				gl_w_edge(w, addr_of(j == 0 ? k + 1 : rnd() % n_total), GL_EK_ATTR, 0, a_names[j]);
		} else {
			gl_w_begin_object(w, a, t_tuple, fl, 64, 1, 3, NULL, 0);
			bytes += 64;
			for (int j = 0; j < 3; j++)
				gl_w_edge(w, addr_of(j == 0 ? k + 1 : rnd() % n_total), GL_EK_INDEX, 0, (uint64_t)j);
		}
		gl_w_end_object(w);

		/* the leaf after it */
		uint64_t la = addr_of(k + 1);
		unsigned lr = (unsigned)(rnd() % 10);
		char pv[32];
		if (lr < 5 || i < 64) {
			int n = snprintf(pv, sizeof pv, "user-%" PRIu64, i);
			gl_w_begin_object(w, la, t_str, GL_OF_PREVIEW, 49 + (uint64_t)n, 2, (uint64_t)n, pv, (size_t)n);
			bytes += 49 + (uint64_t)n;
		} else if (lr < 8) {
			int n = snprintf(pv, sizeof pv, "%" PRIu64, i * 7919);
			gl_w_begin_object(w, la, t_int, GL_OF_PREVIEW, 28, 1, 0, pv, (size_t)n);
			bytes += 28;
		} else {
			int n = snprintf(pv, sizeof pv, "%" PRIu64 ".5", i);
			gl_w_begin_object(w, la, t_float, GL_OF_PREVIEW, 24, 1, 0, pv, (size_t)n);
			bytes += 24;
		}
		gl_w_end_object(w);
	}
	gl_w_stats st;
	gl_w_get_stats(w, &st);
	char foot[512];
	int fn = snprintf(foot, sizeof foot, "{\"objects\":%" PRIu64 ",\"edges\":%" PRIu64
			  ",\"tracked\":%" PRIu64 ",\"untracked\":%" PRIu64 ",\"bytes\":%" PRIu64
			  ",\"pause_seconds\":0.0,\"warnings\":[]}",
			  st.objects, st.edges, T, T, bytes);
	if (gl_w_finish(w, foot, (size_t)fn, &st, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: %" PRIu64 " objects, %" PRIu64 " edges, %" PRIu64 " bytes (%.1f per tracked object)\n",
	       argv[1], st.objects, st.edges, st.file_bytes, (double)st.file_bytes / (double)T);
	return 0;
}
