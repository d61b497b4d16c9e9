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
#include "tree_equal.h"

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
		const char *d = tree_diff(t, p);

		ck_assert_msg(!d, "the walk's tree and json_parse's: %s", d);
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
