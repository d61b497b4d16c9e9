/* struct buf: appends keep data NUL-terminated, the size cap refuses an
 * append and leaves the buffer as it was, consume/reset/detach/release. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

START_TEST(test_init_empty)
{
	struct buf a = BUF_INIT, b;

	ck_assert_ptr_null(a.data);
	ck_assert_uint_eq(a.len, 0);
	ck_assert_uint_eq(a.cap, 0);
	ck_assert_uint_eq(a.max, 0);
	memset(&b, 0x5a, sizeof(b));
	buf_init(&b, 64);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_uint_eq(b.max, 64);
	/* Releasing, resetting and consuming an empty buffer are no-ops. */
	buf_reset(&a);
	buf_consume(&a, 3);
	buf_release(&a);
	ck_assert_ptr_null(a.data);
}
END_TEST

START_TEST(test_appends)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_adds(&b, "abc"), 0);
	ck_assert_int_eq(buf_addch(&b, '-'), 0);
	ck_assert_int_eq(buf_add(&b, "xyz123", 3), 0);
	ck_assert_int_eq(buf_addf(&b, "|%d|%s|%05.1f", -42, "s", 2.25), 0);
	ck_assert_str_eq(b.data, "abc-xyz|-42|s|002.2");
	ck_assert_uint_eq(b.len, strlen("abc-xyz|-42|s|002.2"));
	ck_assert_uint_ge(b.cap, b.len + 1);
	buf_release(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	/* A released buffer is usable again. */
	ck_assert_int_eq(buf_adds(&b, "again"), 0);
	ck_assert_str_eq(b.data, "again");
	buf_release(&b);
}
END_TEST

START_TEST(test_empty_append_terminates)
{
	struct buf b = BUF_INIT;

	/* "data is always NUL-terminated ... after any append". */
	ck_assert_int_eq(buf_add(&b, NULL, 0), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);

	ck_assert_int_eq(buf_addf(&b, "%s", ""), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);

	ck_assert_int_eq(buf_adds(&b, ""), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);
}
END_TEST

START_TEST(test_binary)
{
	struct buf b = BUF_INIT;
	static const char bin[] = { 'a', '\0', 'b', '\0', '\xff' };

	ck_assert_int_eq(buf_add(&b, bin, sizeof(bin)), 0);
	ck_assert_int_eq(buf_addch(&b, '\0'), 0);
	ck_assert_uint_eq(b.len, sizeof(bin) + 1);
	ck_assert_mem_eq(b.data, bin, sizeof(bin));
	ck_assert_int_eq(b.data[5], '\0');
	ck_assert_int_eq(b.data[6], '\0');
	buf_release(&b);
}
END_TEST

/* Growth past the initial capacity, many times, by every append kind. */
START_TEST(test_growth)
{
	struct buf b = BUF_INIT;
	char *want = malloc(100000);
	size_t n = 0;

	ck_assert_ptr_nonnull(want);
	for (int i = 0; n < 90000; i++) {
		int k = i % 4;

		if (k == 0) {
			ck_assert_int_eq(buf_adds(&b, "0123456789"), 0);
			memcpy(want + n, "0123456789", 10);
			n += 10;
		} else if (k == 1) {
			ck_assert_int_eq(buf_addch(&b, 'z'), 0);
			want[n++] = 'z';
		} else if (k == 2) {
			ck_assert_int_eq(buf_addf(&b, "%0300d", i), 0);
			snprintf(want + n, 301, "%0300d", i);
			n += 300;
		} else {
			ck_assert_int_eq(buf_add(&b, want, 7), 0);
			memcpy(want + n, want, 7);
			n += 7;
		}
		ck_assert_uint_eq(b.len, n);
		ck_assert_int_eq(b.data[b.len], '\0');
		ck_assert_uint_gt(b.cap, b.len);
	}
	ck_assert_mem_eq(b.data, want, n);
	free(want);
	buf_release(&b);
}
END_TEST

/* One format string longer than the default initial capacity. */
START_TEST(test_addf_long)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_adds(&b, "x"), 0);
	ck_assert_int_eq(buf_addf(&b, "%*s|", 5000, "y"), 0);
	ck_assert_uint_eq(b.len, 1 + 5000 + 1);
	ck_assert_int_eq(b.data[0], 'x');
	ck_assert_int_eq(b.data[1], ' ');
	ck_assert_int_eq(b.data[5000], 'y');
	ck_assert_int_eq(b.data[5001], '|');
	ck_assert_int_eq(b.data[5002], '\0');
	buf_release(&b);
}
END_TEST

static int vaddf_wrap(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vaddf_wrap(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* buf_add_u64 writes what "%" PRIu64 does, at the edges too, and keeps
 * the cap. */
START_TEST(test_add_u64)
{
	static const uint64_t vals[] = { 0, 1, 9, 10, 99, 100, 4294967295u,
					 4294967296u, 10000000000000000000u,
					 UINT64_MAX };
	struct buf b = BUF_INIT, want = BUF_INIT;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		ck_assert_int_eq(buf_add_u64(&b, vals[i]), 0);
		ck_assert_int_eq(buf_addch(&b, ','), 0);
		ck_assert_int_eq(buf_addf(&want, "%" PRIu64 ",", vals[i]), 0);
	}
	ck_assert_str_eq(b.data, want.data);
	ck_assert_str_eq(b.data, "0,1,9,10,99,100,4294967295,4294967296,"
			 "10000000000000000000,18446744073709551615,");
	buf_release(&b);
	buf_init(&b, 3);
	ck_assert_int_eq(buf_add_u64(&b, 123), 0);
	ck_assert_int_eq(buf_add_u64(&b, 4), -1);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.data, "123");
	buf_release(&b);
	buf_release(&want);
}
END_TEST

START_TEST(test_vaddf)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(vaddf_wrap(&b, "%s=%llu", "height",
				    (unsigned long long)UINT64_MAX), 0);
	ck_assert_str_eq(b.data, "height=18446744073709551615");
	buf_release(&b);
}
END_TEST

/* The size cap: what is in the buffer first, what is appended, whether
 * it fits. A refused append leaves the buffer as it was. */
enum op { ADD, ADDS, ADDCH, ADDF };
static const struct {
	size_t max;
	const char *before;
	enum op op;
	const char *arg;
	int rc;
} caps[] = {
	{ 10, "", ADD, "0123456789", 0 },
	{ 10, "", ADD, "0123456789a", -1 },
	{ 10, "01234", ADD, "56789", 0 },
	{ 10, "01234", ADD, "56789a", -1 },
	{ 10, "012345678", ADDCH, "9", 0 },
	{ 10, "0123456789", ADDCH, "a", -1 },
	{ 10, "0123456789", ADD, "", 0 },
	{ 10, "0123", ADDS, "456789", 0 },
	{ 10, "0123", ADDS, "4567890", -1 },
	{ 10, "0123", ADDF, "456789", 0 },
	{ 10, "0123", ADDF, "4567890", -1 },
	{ 1, "", ADDCH, "x", 0 },
	{ 1, "x", ADDCH, "y", -1 },
	{ 300, "", ADDF, "%0299d", 0 },
	{ 300, "", ADDF, "%0301d", -1 },
	{ 256, "", ADDF, "%0256d", 0 },
	{ 256, "", ADDF, "%0257d", -1 },
};

START_TEST(test_cap)
{
	struct buf b;
	const char *arg = caps[_i].arg;
	char *before_data;
	size_t before_len;
	int rc = 0;

	buf_init(&b, caps[_i].max);
	ck_assert_int_eq(buf_adds(&b, caps[_i].before), 0);
	before_data = strdup(b.data);
	before_len = b.len;
	errno = 0;
	switch (caps[_i].op) {
	case ADD:
		rc = buf_add(&b, arg, strlen(arg));
		break;
	case ADDS:
		rc = buf_adds(&b, arg);
		break;
	case ADDCH:
		rc = buf_addch(&b, arg[0]);
		break;
	case ADDF:
		if (strchr(arg, '%'))
			rc = buf_addf(&b, arg, 0);
		else
			rc = buf_addf(&b, "%s", arg);
		break;
	}
	ck_assert_int_eq(rc, caps[_i].rc);
	if (rc < 0) {
		ck_assert_int_eq(errno, EMSGSIZE);
		ck_assert_uint_eq(b.len, before_len);
		ck_assert_str_eq(b.data, before_data);
	} else {
		ck_assert_uint_le(b.len, caps[_i].max);
		ck_assert_int_eq(b.data[b.len], '\0');
	}
	ck_assert_uint_le(b.cap, caps[_i].max + 1);
	free(before_data);
	buf_release(&b);
}
END_TEST

/* buf_grow refuses sizes no buffer may reach, whatever the cap says;
 * the length arithmetic must not wrap. */
static const struct {
	size_t max;
	const char *before;
	size_t n;
} huge[] = {
	{ 0, "", BUF_DEFAULT_MAX + 1 },
	{ 0, "ab", BUF_DEFAULT_MAX - 1 },
	{ 0, "", SIZE_MAX },
	{ 0, "ab", SIZE_MAX - 1 },
	{ 16, "abc", SIZE_MAX },
	{ 16, "abc", SIZE_MAX - 2 },
	{ SIZE_MAX, "", SIZE_MAX },
	{ SIZE_MAX, "abc", SIZE_MAX - 3 },
	{ SIZE_MAX, "abc", SIZE_MAX - 1 },
};

START_TEST(test_grow_huge)
{
	struct buf b;

	buf_init(&b, huge[_i].max);
	ck_assert_int_eq(buf_adds(&b, huge[_i].before), 0);
	errno = 0;
	ck_assert_int_eq(buf_grow(&b, huge[_i].n), -1);
	ck_assert(errno == EMSGSIZE || errno == ENOMEM);
	ck_assert_str_eq(b.data, huge[_i].before);
	buf_release(&b);
}
END_TEST

/* A buffer without a practical cap (max = SIZE_MAX) works like any other:
 * max + 1 must not wrap to a zero-byte allocation. */
START_TEST(test_max_unlimited)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(buf_adds(&b, "0123456789"), 0);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_uint_gt(b.cap, 1000);
	ck_assert_int_eq(b.data[1000], '\0');
	buf_release(&b);
}
END_TEST

START_TEST(test_grow_reserves)
{
	struct buf b = BUF_INIT;
	char *p;

	ck_assert_int_eq(buf_grow(&b, 1000), 0);
	ck_assert_uint_ge(b.cap, 1001);
	ck_assert_uint_eq(b.len, 0);
	p = b.data;
	/* What was reserved is used without moving the storage. */
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_addch(&b, 'a'), 0);
	ck_assert_ptr_eq(b.data, p);
	buf_release(&b);
}
END_TEST

START_TEST(test_reset_keeps_storage)
{
	struct buf b = BUF_INIT;
	char *p;
	size_t cap;

	ck_assert_int_eq(buf_adds(&b, "hello"), 0);
	p = b.data;
	cap = b.cap;
	buf_reset(&b);
	ck_assert_ptr_eq(b.data, p);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(buf_adds(&b, "x"), 0);
	ck_assert_str_eq(b.data, "x");
	buf_release(&b);
}
END_TEST

static const struct {
	const char *in;
	size_t n;
	const char *out;
} consumes[] = {
	{ "hello world", 0, "hello world" },
	{ "hello world", 1, "ello world" },
	{ "hello world", 6, "world" },
	{ "hello world", 10, "d" },
	{ "hello world", 11, "" },
	{ "hello world", 12, "" },
	{ "hello world", SIZE_MAX, "" },
	{ "", 0, "" },
	{ "", 5, "" },
};

START_TEST(test_consume)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_adds(&b, consumes[_i].in), 0);
	buf_consume(&b, consumes[_i].n);
	ck_assert_uint_eq(b.len, strlen(consumes[_i].out));
	ck_assert_str_eq(b.data, consumes[_i].out);
	/* Appending after consume goes at the new end. */
	ck_assert_int_eq(buf_addch(&b, '!'), 0);
	ck_assert_uint_eq(b.len, strlen(consumes[_i].out) + 1);
	ck_assert_int_eq(b.data[b.len - 1], '!');
	buf_release(&b);
}
END_TEST

START_TEST(test_detach)
{
	struct buf b;
	size_t len = 99;
	char *s;

	buf_init(&b, 100);
	ck_assert_int_eq(buf_adds(&b, "owned"), 0);
	s = buf_detach(&b, &len);
	ck_assert_str_eq(s, "owned");
	ck_assert_uint_eq(len, 5);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	free(s);
	/* The cap survives a detach: the buffer is reused as it was set up. */
	ck_assert_uint_eq(b.max, 100);
	ck_assert_int_eq(buf_adds(&b, "again"), 0);
	s = buf_detach(&b, NULL);
	ck_assert_str_eq(s, "again");
	free(s);
	buf_release(&b);
}
END_TEST

START_TEST(test_detach_empty)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s = buf_detach(&b, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);
	/* Emptied by consume: still a valid, allocated string. */
	ck_assert_int_eq(buf_adds(&b, "abc"), 0);
	buf_consume(&b, 3);
	s = buf_detach(&b, &len);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_init_empty);
	tcase_add_test(tc, test_appends);
	tcase_add_test(tc, test_add_u64);
	tcase_add_test(tc, test_empty_append_terminates);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_addf_long);
	tcase_add_test(tc, test_vaddf);
	tcase_add_loop_test(tc, test_cap, 0, sizeof(caps) / sizeof(*caps));
	tcase_add_loop_test(tc, test_grow_huge, 0, sizeof(huge) / sizeof(*huge));
	tcase_add_test(tc, test_max_unlimited);
	tcase_add_test(tc, test_grow_reserves);
	tcase_add_test(tc, test_reset_keeps_storage);
	tcase_add_loop_test(tc, test_consume, 0,
			    sizeof(consumes) / sizeof(*consumes));
	tcase_add_test(tc, test_detach);
	tcase_add_test(tc, test_detach_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
