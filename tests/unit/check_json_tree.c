/* The tree json_members_tree() builds while it walks (common/json_tree.c)
 * is the tree json_parse() gives, on small documents and on the real
 * blocks of tests/fixtures/blocks/; where the walk fails there is none. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

#include "json_helpers.h"

/* json_members_tree() builds the tree json_parse() gives: same types,
 * keys in order, strings, numbers (text, flags, values). */
static void tree_same(yajl_val a, yajl_val b)
{
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(a->type, b->type);
	if (YAJL_IS_STRING(a))
		ck_assert_str_eq(a->u.string, b->u.string);
	if (YAJL_IS_NUMBER(a)) {
		ck_assert_str_eq(a->u.number.r, b->u.number.r);
		ck_assert_uint_eq(a->u.number.flags, b->u.number.flags);
		ck_assert(a->u.number.i == b->u.number.i);
		ck_assert(a->u.number.d == b->u.number.d ||
			  (a->u.number.d != a->u.number.d &&
			   b->u.number.d != b->u.number.d));
	}
	if (YAJL_IS_OBJECT(a)) {
		ck_assert_uint_eq(a->u.object.len, b->u.object.len);
		for (size_t i = 0; i < a->u.object.len; i++) {
			ck_assert_str_eq(a->u.object.keys[i], b->u.object.keys[i]);
			tree_same(a->u.object.values[i], b->u.object.values[i]);
		}
	}
	if (YAJL_IS_ARRAY(a)) {
		ck_assert_uint_eq(a->u.array.len, b->u.array.len);
		for (size_t i = 0; i < a->u.array.len; i++)
			tree_same(a->u.array.values[i], b->u.array.values[i]);
	}
}

static int no_member(void *arg, const struct json_member *m)
{
	(void)arg;
	(void)m;
	return 0;
}

static const char *const trees[] = {
	"{}", "[]", "[{}]", "{\"a\":[]}",
	"{\"a\":1,\"b\":-2,\"c\":1.5,\"d\":1e400,\"e\":-0,\"f\":1e-400,"
	"\"g\":99999999999999999999,\"h\":-99999999999999999999,"
	"\"i\":9223372036854775807,\"j\":-9223372036854775808,\"k\":2E3}",
	"{\"s\":\"x\\\"y\\u0041\\n\",\"t\":true,\"u\":false,\"v\":null}",
	"{\"k\\u0041\":{\"z\":[1,[2,[3,{\"q\":[]}]]]},\"\":\"\"}",
	"[1,{\"a\":1},\"x\",[2,{\"k\":0}],{\"b\":{\"c\":3}},null]",
	"{\"a\":1,\"a\":2}", "{\"a\":1,}", "[1,2", "{\"x\":{\"y\":1,\"y\":2}}",
	"5", "\"s\"", "",
};

static void tree_check_doc(const char *in, size_t len)
{
	char *text = exact(in, len), *z = strndup(in, len);
	char err[160] = "", terr[160] = "";
	yajl_val t = (yajl_val)1, p;
	int rc = json_members_tree(text, len, no_member, NULL, &t, err,
				   sizeof(err));

	p = json_parse(z, terr, sizeof(terr));
	ck_assert_int_eq(rc, json_members(text, len, no_member, NULL, NULL, 0));
	if (rc != 0) {
		ck_assert_ptr_null(t);
	} else if (p) {
		tree_same(t, p);
	}
	if (t)
		json_tree_free(t);
	if (p)
		yajl_tree_free(p);
	free(text);
	free(z);
}

START_TEST(test_members_tree)
{
	tree_check_doc(trees[_i], strlen(trees[_i]));
}
END_TEST

/* The real blocks of tests/fixtures/blocks/. */
START_TEST(test_members_tree_blocks)
{
	static const char *const files[] = {
		"mainnet-17000000.json", "mainnet-483920.json",
		"testchain-033ca6e-54.json",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		struct buf b = BUF_INIT;
		FILE *f;
		size_t n;
		char chunk[65536];

		snprintf(path, sizeof(path), "%s/tests/fixtures/blocks/%s",
			 BLOCKPIPE_SRCDIR, files[i]);
		f = fopen(path, "r");
		ck_assert_msg(f != NULL, "cannot open %s", path);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			ck_assert_int_eq(buf_add(&b, chunk, n), 0);
		fclose(f);
		tree_check_doc(b.data, b.len);
		buf_release(&b);
	}
}
END_TEST

static Suite *json_tree_suite(void)
{
	Suite *s = suite_create("json_tree");
	TCase *tm = tcase_create("members");

	tcase_add_loop_test(tm, test_members_tree, 0,
			    sizeof(trees) / sizeof(*trees));
	tcase_add_test(tm, test_members_tree_blocks);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_tree_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
