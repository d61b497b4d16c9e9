/* Duplicate keys (common/json_keys.c, behind json.c): refused by the
 * member walker, the tree parser and json_span alike, at any depth, with
 * the key and where it is; many keys (the indexed path), keys that
 * collide in the index, and deep nesting. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

#include "json_helpers.h"

/* Duplicate keys: refused by the walker and the tree alike, at any
 * depth, with the key and where it is. */
static int count_cb(void *arg, const struct json_member *m)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static const struct {
	const char *in;
	const char *err; /* NULL: accepted */
} dups[] = {
	{ "{\"a\":1,\"a\":2}", "duplicate key 'a' in $" },
	{ "{\"a\":1,\"b\":{\"c\":1,\"c\":2}}", "duplicate key 'c' in $.b" },
	{ "{\"block\":{\"timestamp\":\"0x1\",\"miner\":\"0x2\","
	  "\"timestamp\":\"0x3\"}}", "duplicate key 'timestamp' in $.block" },
	{ "{\"r\":[{\"x\":1},{\"logs\":[{},{\"t\":1,\"t\":1}]}]}",
	  "duplicate key 't' in $.r[1].logs[1]" },
	{ "[{\"a\":1},{\"a\":1,\"a\":1}]", "duplicate key 'a' in $[1]" },
	{ "[1,2,[3,{\"k\":1,\"k\":2}]]", "duplicate key 'k' in $[2][1]" },
	/* equal after unescaping */
	{ "{\"a\":1,\"\\u0061\":2}", "duplicate key 'a' in $" },
	{ "{\"x\":{\"\\u00e9\":1,\"\xc3\xa9\":2}}", "duplicate key '\xc3\xa9' in $.x" },
	{ "{\"a\\\"b\":1,\"a\\u0022b\":2}", "duplicate key 'a?b' in $" },
	/* the tree keeps keys as C strings: "a\u0000b" is "a" there */
	{ "{\"a\\u0000b\":1,\"a\":2}", "duplicate key 'a' in $" },
	/* not duplicates */
	{ "{\"a\":1,\"A\":2}", NULL },
	{ "{\"hash\":1,\"Hash\":2,\"HASH\":3}", NULL },
	{ "{\"a\":{\"a\":{\"a\":1}}}", NULL },
	{ "[{\"a\":1},{\"a\":1}]", NULL },
	{ "{\"a\":{\"x\":1},\"b\":{\"x\":1}}", NULL },
	{ "{\"\":1,\" \":2}", NULL },
	{ "{}", NULL },
	{ "[]", NULL },
};

START_TEST(test_dup_keys)
{
	size_t len = strlen(dups[_i].in);
	char *in = exact(dups[_i].in, len);
	char err[160] = "", terr[160] = "";
	int n = 0;
	int rc = json_members(in, len, count_cb, &n, err, sizeof(err));
	enum json_status st = JSON_INVALID;
	yajl_val v = json_parse_st(dups[_i].in, terr, sizeof(terr), &st);

	if (!dups[_i].err) {
		ck_assert_msg(rc == 0, "walker refused %s: %s", dups[_i].in, err);
		ck_assert_msg(v != NULL, "tree refused %s: %s", dups[_i].in, terr);
		ck_assert_int_eq(st, JSON_OK);
		yajl_tree_free(v);
	} else {
		ck_assert_int_eq(rc, JSON_DUPLICATE);
		ck_assert_str_eq(err, dups[_i].err);
		ck_assert_ptr_null(v);
		ck_assert_int_eq(st, JSON_DUPLICATE);
		ck_assert_str_eq(terr, dups[_i].err);
		ck_assert_int_eq(json_parse(dups[_i].in, NULL, 0) == NULL, 1);
		{
			const char *sv;
			size_t sl;

			ck_assert_int_eq(json_span(in, len, "zz", &sv, &sl),
					 JSON_DUPLICATE);
		}
	}
	free(in);
}
END_TEST

/* Objects with many keys (the indexed path): a duplicate far apart is
 * found, distinct keys are not confused; also once the index grows. */
START_TEST(test_dup_keys_large)
{
	size_t sizes[] = { 15, 16, 17, 40, 64, 65, 1000, 20000 };

	for (size_t si = 0; si < sizeof(sizes) / sizeof(*sizes); si++) {
		size_t nk = sizes[si];

		for (int dup = 0; dup < 2; dup++) {
			struct buf b = BUF_INIT;
			char err[160] = "", want[64];
			int n = 0, rc;
			yajl_val v;

			buf_adds(&b, "{\"outer\":[1,{");
			for (size_t i = 0; i < nk; i++)
				buf_addf(&b, "%s\"k%zu\":%zu", i ? "," : "", i, i);
			if (dup)
				buf_addf(&b, ",\"k%zu\":0", nk / 2);
			buf_adds(&b, "}]}");
			rc = json_members(b.data, b.len, count_cb, &n, err,
					  sizeof(err));
			snprintf(want, sizeof(want),
				 "duplicate key 'k%zu' in $.outer[1]", nk / 2);
			if (dup) {
				ck_assert_int_eq(rc, JSON_DUPLICATE);
				ck_assert_str_eq(err, want);
			} else {
				ck_assert_msg(rc == 0, "%zu keys: %s", nk, err);
			}
			err[0] = '\0';
			v = json_parse(b.data, err, sizeof(err));
			if (dup) {
				ck_assert_ptr_null(v);
				ck_assert_str_eq(err, want);
			} else {
				ck_assert_ptr_nonnull(v);
				yajl_tree_free(v);
			}
			buf_release(&b);
		}
	}
}
END_TEST

/* Keys that collide in the hash index but differ are all accepted: the
 * same long prefix, one byte apart. */
START_TEST(test_dup_keys_similar)
{
	struct buf b = BUF_INIT;
	char err[160] = "";
	int n = 0;
	yajl_val v;

	buf_addch(&b, '{');
	for (int i = 0; i < 256; i++)
		buf_addf(&b, "%s\"0x%064x\":null", i ? "," : "", i);
	buf_addch(&b, '}');
	ck_assert_int_eq(json_members(b.data, b.len, count_cb, &n, err,
				      sizeof(err)), 0);
	ck_assert_int_eq(n, 256);
	v = json_parse(b.data, err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	yajl_tree_free(v);
	buf_release(&b);
}
END_TEST

/* A deeply nested document is walked without recursion. */
START_TEST(test_dup_keys_deep)
{
	struct buf b = BUF_INIT;
	char err[256] = "";
	int n = 0;
	yajl_val v;
	const int depth = 20000;

	for (int i = 0; i < depth; i++)
		buf_adds(&b, "{\"a\":[");
	buf_adds(&b, "{\"z\":1,\"z\":2}");
	for (int i = 0; i < depth; i++)
		buf_adds(&b, "]}");
	ck_assert_int_eq(json_members(b.data, b.len, count_cb, &n, err,
				      sizeof(err)), JSON_DUPLICATE);
	ck_assert_msg(!strncmp(err, "duplicate key 'z' in $.a[0].a[0]", 32), "%s", err);
	v = json_parse(b.data, err, sizeof(err));
	ck_assert_ptr_null(v);
	ck_assert_msg(!strncmp(err, "duplicate key 'z' in $.a[0]", 27), "%s", err);
	buf_release(&b);
}
END_TEST

static Suite *json_keys_suite(void)
{
	Suite *s = suite_create("json_keys");
	TCase *td = tcase_create("duplicate keys");

	tcase_add_loop_test(td, test_dup_keys, 0, sizeof(dups) / sizeof(*dups));
	tcase_add_test(td, test_dup_keys_large);
	tcase_add_test(td, test_dup_keys_similar);
	tcase_add_test(td, test_dup_keys_deep);
	tcase_set_timeout(td, 30);
	suite_add_tcase(s, td);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_keys_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
