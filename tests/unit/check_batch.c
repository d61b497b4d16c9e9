/* writer/batch.c: the batch of decoded messages and the COPY text made
 * from it: ordered by key, deduplicated within a batch. */
#include "batch.h"
#include "writer_fixtures.h"

static void add(struct batch *b, const char *json)
{
	struct decode_opts o = DECODE_OPTS_INIT;
	char type[32], why[256];

	ck_assert_int_eq(batch_add(b, &o, json, strlen(json), type, sizeof(type),
				   why, sizeof(why)), DECODE_ADDED);
}

/* Same height three times (two blocks, one twice) and a reorg twice: one
 * pointer, the largest seq's; each block's rows once; one reorg row. */
START_TEST(test_batch_dedupe)
{
	struct batch b = BATCH_INIT;
	struct buf out = BUF_INIT;
	size_t n;
	char *other = subst(block_msg, "\"seq\":4294967297", "\"seq\":4294967299");
	char *other2;

	/* other: another block (hash 9...) at the same height, larger seq */
	other2 = subst(other, "\"hash\":\"" H("b") "\",\"parent_hash\"",
		       "\"hash\":\"" H("9") "\",\"parent_hash\"");
	free(other);
	other = subst(other2, "\"hash\":\"" H("b") "\",\"parentHash\"",
		      "\"hash\":\"" H("9") "\",\"parentHash\"");
	free(other2);

	add(&b, block_msg);
	add(&b, other);
	add(&b, block_msg);
	add(&b, reorg_msg);
	add(&b, reorg_msg);
	ck_assert_uint_eq(b.n, 5);
	ck_assert_uint_eq(b.nblocks, 3);
	ck_assert_uint_eq(b.nreorgs, 2);

	ck_assert_int_eq(batch_copy_text(&b, 0, b.n, WT_CANONICAL, &out, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out.data,
		"1\t16\t\\\\x" "9999999999999999999999999999999999999999999999999999999999999999"
		"\t4294967299\n");
	buf_reset(&out);
	ck_assert_int_eq(batch_copy_text(&b, 0, b.n, WT_BLOCKS, &out, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* ordered by hash: 9... before b... */
	ck_assert_ptr_nonnull(strstr(out.data, "1\t\\\\x9999"));
	ck_assert(strstr(out.data, "\\\\x9999") < strstr(out.data, "\\\\xbbbb"));
	buf_reset(&out);
	ck_assert_int_eq(batch_copy_text(&b, 0, b.n, WT_TRANSACTIONS, &out, &n), 0);
	ck_assert_uint_eq(n, 2);
	buf_reset(&out);
	ck_assert_int_eq(batch_copy_text(&b, 0, b.n, WT_REORGS, &out, &n), 0);
	ck_assert_uint_eq(n, 1);
	/* A sub-range: only the first message. */
	buf_reset(&out);
	ck_assert_int_eq(batch_copy_text(&b, 0, 1, WT_CANONICAL, &out, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(out.data, "\t4294967297\n"));
	buf_reset(&out);
	ck_assert_int_eq(batch_copy_text(&b, 3, 99, WT_CANONICAL, &out, &n), 0);
	ck_assert_uint_eq(n, 0);

	batch_reset(&b);
	ck_assert_uint_eq(b.n, 0);
	add(&b, block_msg);
	batch_release(&b);
	ck_assert_ptr_null(b.msgs);
	buf_release(&out);
	free(other);
}
END_TEST

/* A reorg waits for the tip of its new branch (height 17, a larger seq):
 * not for a block of the old branch, nor for one with a smaller seq. */
START_TEST(test_batch_awaits_branch)
{
	struct batch b = BATCH_INIT;
	char *tip, *t2, *stale;

	t2 = subst(block_msg, "\"number\":16,", "\"number\":17,");
	tip = subst(t2, "\"number\":\"0x10\"", "\"number\":\"0x11\"");
	free(t2);
	stale = strdup(tip);
	ck_assert_ptr_nonnull(stale);
	t2 = subst(tip, "\"seq\":4294967297", "\"seq\":4294967301");
	free(tip);
	tip = t2;

	add(&b, block_msg);
	ck_assert(!b.awaits_branch);
	add(&b, reorg_msg);
	ck_assert(b.awaits_branch);
	add(&b, block_msg); /* the old branch's block at 16 */
	ck_assert(b.awaits_branch);
	add(&b, stale);     /* the tip's height, an older seq */
	ck_assert(b.awaits_branch);
	add(&b, tip);
	ck_assert(!b.awaits_branch);
	add(&b, reorg_msg);
	ck_assert(b.awaits_branch);
	batch_reset(&b);
	ck_assert(!b.awaits_branch);
	batch_release(&b);
	free(tip);
	free(stale);
}
END_TEST

static Suite *batch_suite(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_batch_dedupe);
	tcase_add_test(tc, test_batch_awaits_branch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(batch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
