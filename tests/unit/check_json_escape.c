/* common/json_escape: JSON strings from any bytes (quotes, backslashes,
 * control characters, UTF-8 kept, bytes that are not UTF-8 as U+FFFD),
 * each result also read back by yajl, and the UTF-8 sequence reader. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "json_escape.h"

static const struct {
	const char *in;
	size_t n;       /* 0: strlen(in) */
	const char *out;
} escapes[] = {
	{ "", 0, "\"\"" },
	{ "eth_getBlockByNumber", 0, "\"eth_getBlockByNumber\"" },
	{ "a\"b", 0, "\"a\\\"b\"" },
	{ "a\\b", 0, "\"a\\\\b\"" },
	{ "\"\\\"", 0, "\"\\\"\\\\\\\"\"" },
	{ "/", 0, "\"/\"" },
	{ "tab\there", 0, "\"tab\\u0009here\"" },
	{ "nl\ncr\r", 0, "\"nl\\u000acr\\u000d\"" },
	{ "\x01\x1f", 0, "\"\\u0001\\u001f\"" },
	{ "del\x7f", 0, "\"del\\u007f\"" },
	{ "nul\0x", 5, "\"nul\\u0000x\"" },
	{ "caf\xc3\xa9", 0, "\"caf\xc3\xa9\"" },
	{ "\xe2\x82\xac", 0, "\"\xe2\x82\xac\"" },             /* U+20AC */
	{ "\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\"" },     /* U+1F600 */
	{ "\xf4\x8f\xbf\xbf", 0, "\"\xf4\x8f\xbf\xbf\"" },     /* U+10FFFF */
	{ "x\xffy", 0, "\"x\\ufffdy\"" },
	{ "\x80", 0, "\"\\ufffd\"" },                          /* continuation */
	{ "\xc0\xaf", 0, "\"\\ufffd\\ufffd\"" },               /* overlong */
	{ "\xe0\x80\xaf", 0, "\"\\ufffd\\ufffd\\ufffd\"" },    /* overlong */
	{ "\xed\xa0\x80", 0, "\"\\ufffd\\ufffd\\ufffd\"" },    /* surrogate */
	{ "\xf4\x90\x80\x80", 0, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
	{ "\xc3", 0, "\"\\ufffd\"" },                          /* cut short */
	{ "ab\xe2\x82", 0, "\"ab\\ufffd\\ufffd\"" },
	{ "\xc3\"", 0, "\"\\ufffd\\\"\"" },
	{ "x\xffy\xed\xa0\x80z", 0, "\"x\\ufffdy\\ufffd\\ufffd\\ufffdz\"" },
};

START_TEST(test_escape)
{
	size_t n = escapes[_i].n ? escapes[_i].n : strlen(escapes[_i].in);
	struct buf b = BUF_INIT;
	char doc[256], err[128];
	yajl_val v;

	ck_assert_int_eq(json_escape(&b, escapes[_i].in, n), 0);
	ck_assert_str_eq(b.data, escapes[_i].out);
	/* What is written is a string every reader takes. */
	snprintf(doc, sizeof(doc), "[%s]", b.data);
	v = json_parse(doc, err, sizeof(err));
	ck_assert_msg(v != NULL, "%s: %s", b.data, err);
	ck_assert(YAJL_IS_ARRAY(v) && v->u.array.len == 1 &&
		  YAJL_IS_STRING(v->u.array.values[0]));
	yajl_tree_free(v);
	buf_release(&b);
}
END_TEST

START_TEST(test_escape_appends)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_adds(&b, "{\"k\":"), 0);
	ck_assert_int_eq(json_escape(&b, "v", 1), 0);
	ck_assert_int_eq(buf_addch(&b, '}'), 0);
	ck_assert_str_eq(b.data, "{\"k\":\"v\"}");
	buf_release(&b);
}
END_TEST

START_TEST(test_escape_cap)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(json_escape(&b, "0123456789", 10), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	buf_release(&b);
	buf_init(&b, 8);
	ck_assert_int_eq(json_escape(&b, "\x01\x02", 2), -1);
	buf_release(&b);
}
END_TEST

static const struct {
	const char *s;
	size_t n;
	size_t want;
} seqs[] = {
	{ "a", 1, 1 },
	{ "\0", 1, 1 },
	{ "\x7f", 1, 1 },
	{ "\xc2\x80", 2, 2 },
	{ "\xdf\xbf", 2, 2 },
	{ "\xc1\xbf", 2, 0 },          /* overlong */
	{ "\xc2\x80", 1, 0 },          /* cut short */
	{ "\xc2\x41", 2, 0 },          /* not a continuation */
	{ "\xe0\xa0\x80", 3, 3 },
	{ "\xe0\x9f\xbf", 3, 0 },      /* overlong */
	{ "\xed\x9f\xbf", 3, 3 },      /* U+D7FF */
	{ "\xed\xa0\x80", 3, 0 },      /* U+D800 */
	{ "\xee\x80\x80", 3, 3 },
	{ "\xe2\x82", 2, 0 },
	{ "\xf0\x90\x80\x80", 4, 4 },
	{ "\xf0\x8f\xbf\xbf", 4, 0 },  /* overlong */
	{ "\xf4\x8f\xbf\xbf", 4, 4 },
	{ "\xf4\x90\x80\x80", 4, 0 },  /* above U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xf0\x9f\x98\x41", 4, 0 },
	{ "\x80", 1, 0 },
	{ "\xff", 1, 0 },
};

START_TEST(test_utf8_len)
{
	ck_assert_uint_eq(json_utf8_len((const unsigned char *)seqs[_i].s,
					seqs[_i].n), seqs[_i].want);
}
END_TEST

static Suite *json_escape_suite(void)
{
	Suite *s = suite_create("json_escape");
	TCase *te = tcase_create("escape");
	TCase *tu = tcase_create("utf8");

	tcase_add_loop_test(te, test_escape, 0, sizeof(escapes) / sizeof(*escapes));
	tcase_add_test(te, test_escape_appends);
	tcase_add_test(te, test_escape_cap);
	suite_add_tcase(s, te);
	tcase_add_loop_test(tu, test_utf8_len, 0, sizeof(seqs) / sizeof(*seqs));
	suite_add_tcase(s, tu);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_escape_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
