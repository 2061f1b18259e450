/* test_util.c - varints, zigzag, checked sizes, the growable array, the
 * address table and the human-readable formats. */
#include "testutil.h"

#include "addrmap.h"
#include "arena.h"
#include "humanfmt.h"
#include "snapfmt.h"
#include "vec.h"

static void roundtrip_u(uint64_t v, size_t expect_len)
{
	unsigned char b[GL_VARINT_MAX + 2];
	size_t n = gl_varint_put(b, v);
	assert_int_equal(n, expect_len);
	const unsigned char *p = b;
	uint64_t out = ~v;
	assert_int_equal(gl_varint_get(&p, b + n, &out), 0);
	assert_true(out == v);
	assert_ptr_equal(p, b + n);
	/* every shorter input is refused and leaves the pointer alone */
	for (size_t k = 0; k < n; k++) {
		p = b;
		assert_int_equal(gl_varint_get(&p, b + k, &out), -1);
		assert_ptr_equal(p, b);
	}
}

static void test_varint_edges(void **state)
{
	(void)state;
	roundtrip_u(0, 1);
	roundtrip_u(1, 1);
	roundtrip_u(127, 1);
	roundtrip_u(128, 2);
	roundtrip_u(16383, 2);
	roundtrip_u(16384, 3);
	roundtrip_u((1ull << 32) - 1, 5);
	roundtrip_u(1ull << 32, 5);
	roundtrip_u((1ull << 63) - 1, 9);
	roundtrip_u(1ull << 63, 10);
	roundtrip_u(UINT64_MAX, 10);
}

static void test_varint_overlong(void **state)
{
	(void)state;
	uint64_t v;
	/* 11 bytes of continuation */
	unsigned char b[12];
	memset(b, 0x80, sizeof b);
	b[11] = 0;
	const unsigned char *p = b;
	assert_int_equal(gl_varint_get(&p, b + sizeof b, &v), -1);
	/* 10 bytes whose last carries more than the 64th bit */
	memset(b, 0xff, 9);
	b[9] = 0x02;
	p = b;
	assert_int_equal(gl_varint_get(&p, b + 10, &v), -1);
	b[9] = 0x01;
	p = b;
	assert_int_equal(gl_varint_get(&p, b + 10, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_zigzag(void **state)
{
	(void)state;
	const int64_t vals[] = {0, 1, -1, 2, -2, 63, -64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
				INT64_MAX - 1, INT64_MIN + 1};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		assert_true(gl_unzigzag(gl_zigzag(vals[i])) == vals[i]);
	assert_true(gl_zigzag(0) == 0);
	assert_true(gl_zigzag(-1) == 1);
	assert_true(gl_zigzag(1) == 2);
	assert_true(gl_zigzag(INT64_MIN) == UINT64_MAX);
	assert_true(gl_zigzag(INT64_MAX) == UINT64_MAX - 1);
}

static void test_fixed_width(void **state)
{
	(void)state;
	unsigned char b[8];
	gl_put_u64(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 8);
	assert_int_equal(b[7], 1);
	assert_true(gl_get_u64(b) == 0x0102030405060708ull);
	gl_put_u32(b, 0xdeadbeef);
	assert_true(gl_get_u32(b) == 0xdeadbeef);
	gl_put_u16(b, 0xbeef);
	assert_int_equal(gl_get_u16(b), 0xbeef);
}

static void test_checked_sizes(void **state)
{
	(void)state;
	size_t out;
	assert_int_equal(gl_mul(3, 4, &out), 0);
	assert_int_equal(out, 12);
	assert_int_equal(gl_mul(SIZE_MAX / 2 + 1, 2, &out), -1);
	assert_int_equal(gl_add(SIZE_MAX, 1, &out), -1);
	assert_null(gl_alloc_array(SIZE_MAX / 4, 8));
	assert_null(gl_calloc_array(SIZE_MAX / 4, 8));
	void *p = gl_alloc_array(0, 8);
	assert_non_null(p);
	free(p);
	gl_vec(uint32_t) v = {0};
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(gl_vec_push(&v, i * 3), 0);
	assert_int_equal(v.n, 1000);
	assert_int_equal(v.v[999], 2997);
	assert_true(v.cap >= 1000);
	/* a request that overflows is refused and leaves the array intact */
	size_t cap = v.cap;
	void *data = v.v;
	assert_int_equal(gl_vec_grow_(&data, &cap, SIZE_MAX, 8), -1);
	assert_ptr_equal(data, v.v);
	gl_vec_free(&v);
	assert_null(v.v);
}

static void test_addrmap(void **state)
{
	(void)state;
	gl_arena a = {0};
	gl_addrmap m;
	assert_int_equal(gl_addrmap_init(&m, 1000, &a), 0);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(gl_addrmap_put(&m, 0x7f0000000000ull + 16ull * i, i, NULL), 0);
	uint32_t old = 0;
	assert_int_equal(gl_addrmap_put(&m, 0x7f0000000000ull + 16ull * 5, 99, &old), 1);
	assert_int_equal(old, 5);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(gl_addrmap_get(&m, 0x7f0000000000ull + 16ull * i), i);
	assert_int_equal(gl_addrmap_get(&m, 8), GL_NO_ID);
	assert_int_equal(gl_addrmap_get(&m, 0), GL_NO_ID);
	gl_arena_free(&a);
}

static void test_humanfmt(void **state)
{
	(void)state;
	char b[GL_FMT_BUF];
	assert_string_equal(gl_fmt_bytes(b, 0), "0 B");
	assert_string_equal(gl_fmt_bytes(b, 1023), "1023 B");
	assert_string_equal(gl_fmt_bytes(b, 1024), "1.00 KiB");
	assert_string_equal(gl_fmt_bytes(b, 1536), "1.50 KiB");
	assert_string_equal(gl_fmt_bytes(b, 12897485), "12.3 MiB");
	assert_string_equal(gl_fmt_bytes(b, 1048575), "1.00 MiB");
	assert_string_equal(gl_fmt_bytes(b, 500ull << 20), "500 MiB");
	assert_string_equal(gl_fmt_bytes(b, UINT64_MAX), "16.0 EiB");
	assert_string_equal(gl_fmt_count(b, 0), "0");
	assert_string_equal(gl_fmt_count(b, 999), "999");
	assert_string_equal(gl_fmt_count(b, 1000), "1,000");
	assert_string_equal(gl_fmt_count(b, 10002), "10,002");
	assert_string_equal(gl_fmt_count(b, 1234567), "1,234,567");
	assert_string_equal(gl_fmt_count(b, UINT64_MAX), "18,446,744,073,709,551,615");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_edges),
		cmocka_unit_test(test_varint_overlong),
		cmocka_unit_test(test_zigzag),
		cmocka_unit_test(test_fixed_width),
		cmocka_unit_test(test_checked_sizes),
		cmocka_unit_test(test_addrmap),
		cmocka_unit_test(test_humanfmt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
