/* Unit tests of common/block.c: building and checking block messages. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "buf.h"
#include "json.h"

#define H(c) "0x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define HASH_A H("a")
#define HASH_B H("b")
#define HASH_C H("c")

static const char block_ok[] =
	"{\"number\":\"0x10\",\"hash\":\"" HASH_A "\",\"parentHash\":\"" HASH_B "\","
	"\"timestamp\":\"0x5f5e100\",\"extra\":{\"nested\":[1,2,{\"x\":\"\\u00e9\"}]},"
	"\"transactions\":[{\"hash\":\"" HASH_C "\",\"input\":\"0x\"},{\"hash\":\"" HASH_C "\"}]}";
static const char receipts_ok[] =
	"[{\"blockHash\":\"" HASH_A "\",\"logs\":[]},{\"logs\":[],\"blockHash\":\"" HASH_A "\"}]";

struct build_case {
	const char *name;
	const char *block;
	const char *receipts;
	const char *why; /* NULL: success */
};

static const struct build_case cases[] = {
	{ "ok", block_ok, receipts_ok, NULL },
	{ "empty block",
	  "{\"number\":\"0x0\",\"hash\":\"" HASH_A "\",\"parentHash\":\"" HASH_B
	  "\",\"timestamp\":\"0x0\",\"transactions\":[]}", "[]", NULL },
	{ "not an object", "[1]", "[]", "block is not a JSON object" },
	{ "garbage", "{\"number\":", "[]", "block is not a JSON object" },
	{ "repeated key", "{\"number\":\"0x1\",\"number\":\"0x2\"}", "[]",
	  "block has a duplicate key" },
	{ "no number",
	  "{\"hash\":\"" HASH_A "\",\"parentHash\":\"" HASH_B "\",\"timestamp\":\"0x0\",\"transactions\":[]}",
	  "[]", "block has no valid number" },
	{ "number not hex",
	  "{\"number\":\"16\",\"hash\":\"" HASH_A "\",\"parentHash\":\"" HASH_B
	  "\",\"timestamp\":\"0x0\",\"transactions\":[]}", "[]", "block has no valid number" },
	{ "short hash",
	  "{\"number\":\"0x1\",\"hash\":\"0xabc\",\"parentHash\":\"" HASH_B
	  "\",\"timestamp\":\"0x0\",\"transactions\":[]}", "[]", "block has no valid hash" },
	{ "no parent",
	  "{\"number\":\"0x1\",\"hash\":\"" HASH_A "\",\"timestamp\":\"0x0\",\"transactions\":[]}",
	  "[]", "block has no valid parentHash" },
	{ "no timestamp",
	  "{\"number\":\"0x1\",\"hash\":\"" HASH_A "\",\"parentHash\":\"" HASH_B
	  "\",\"transactions\":[]}", "[]", "block has no valid timestamp" },
	{ "hashes only (not full transactions)",
	  "{\"number\":\"0x1\",\"hash\":\"" HASH_A "\",\"parentHash\":\"" HASH_B
	  "\",\"timestamp\":\"0x0\",\"transactions\":[\"" HASH_C "\"]}", "[{}]",
	  "block has no list of full transactions" },
	{ "receipts null", block_ok, "null", "receipts are not a list of objects" },
	{ "receipts of another block", block_ok,
	  "[{\"blockHash\":\"" HASH_B "\"},{\"blockHash\":\"" HASH_B "\"}]",
	  "receipts belong to another block" },
	{ "one receipt missing", block_ok, "[{\"blockHash\":\"" HASH_A "\"}]",
	  "receipt count differs from the transaction count" },
	{ "receipts truncated", block_ok, "[{\"blockHash\":\"" HASH_A "\"},",
	  "receipts are not a list of objects" },
};

START_TEST(test_build)
{
	const struct build_case *c = &cases[_i];
	struct buf out = BUF_INIT;
	struct block_info info;
	const char *why = NULL;
	int rc = block_msg_build(&out, 31337, 1, c->block, strlen(c->block),
				 c->receipts, strlen(c->receipts), &info, &why);

	if (c->why) {
		ck_assert_msg(rc == -1, "%s: accepted", c->name);
		ck_assert_msg(why && !strcmp(why, c->why), "%s: why '%s', want '%s'",
			      c->name, why ? why : "(null)", c->why);
	} else {
		ck_assert_msg(rc == 0, "%s: rejected: %s", c->name, why);
	}
	buf_release(&out);
}
END_TEST

/* The message carries the node's bytes unchanged and the fields of
 * docs/protocol.md. */
START_TEST(test_message)
{
	struct buf out = BUF_INIT;
	struct block_info info;
	const char *why = NULL, *v;
	size_t vl;
	char err[128];
	yajl_val tree;
	uint64_t u;

	ck_assert_int_eq(block_msg_build(&out, 10, 0, block_ok, strlen(block_ok),
					 receipts_ok, strlen(receipts_ok), &info, &why), 0);
	ck_assert_uint_eq(info.number, 16);
	ck_assert_str_eq(info.hash, HASH_A);
	ck_assert_str_eq(info.parent_hash, HASH_B);
	ck_assert_uint_eq(info.timestamp, 100000000);
	ck_assert_uint_eq(info.tx_count, 2);
	ck_assert_int_eq(json_span(out.data, out.len, "block", &v, &vl), 0);
	ck_assert_uint_eq(vl, strlen(block_ok));
	ck_assert(!memcmp(v, block_ok, vl));
	ck_assert_int_eq(json_span(out.data, out.len, "receipts", &v, &vl), 0);
	ck_assert_uint_eq(vl, strlen(receipts_ok));
	ck_assert(!memcmp(v, receipts_ok, vl));
	tree = json_parse(out.data, err, sizeof(err));
	ck_assert_msg(tree != NULL, "%s", err);
	ck_assert_str_eq(json_get_str(tree, "type"), "block");
	ck_assert_int_eq(json_get_u64(tree, "chain_id", &u), 0);
	ck_assert_uint_eq(u, 10);
	ck_assert_int_eq(json_get_u64(tree, "number", &u), 0);
	ck_assert_uint_eq(u, 16);
	ck_assert_str_eq(json_get_str(tree, "hash"), HASH_A);
	ck_assert_str_eq(json_get_str(tree, "parent_hash"), HASH_B);
	ck_assert_int_eq(json_get_bool(tree, "live", 1), 0);
	ck_assert_int_eq(json_get_u64(tree, "fetched_at", &u), 0);
	ck_assert(u > 1700000000000ULL);
	ck_assert(strchr(out.data, '\n') == NULL);
	yajl_tree_free(tree);
	buf_release(&out);
}
END_TEST

static Suite *block_suite(void)
{
	Suite *s = suite_create("block");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_build, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(block_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
