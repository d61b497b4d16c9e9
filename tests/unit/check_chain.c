/* The verifier's window (verifier/chain.c): what each incoming block is
 * to the chain held, table by table, and the ring's bookkeeping. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "hex.h"

/* A recognisable 32-byte hash for (branch, height). */
static const char *H(char branch, unsigned n)
{
	static char ring[8][HASH_HEX_SIZE];
	static int i;
	char *h = ring[i++ % 8];

	snprintf(h, HASH_HEX_SIZE, "0x%c%063x", branch, n);
	return h;
}

/* Window 4 holding heights 10..13 of branch 'a'. */
static void fill(struct chain *c, size_t cap, unsigned from, unsigned to)
{
	ck_assert_int_eq(chain_init(c, cap), 0);
	for (unsigned n = from; n <= to; n++)
		ck_assert_int_eq(chain_push(c, n, H('a', n)), 0);
}

static const struct {
	const char *what;
	unsigned number;
	char branch;        /* the block's own hash: branch of number */
	char parent_branch; /* its parent: branch of number - 1 */
	enum chain_verdict want;
} cases[] = {
	{ "next block on the same branch", 14, 'a', 'a', CV_EXTEND },
	{ "next height, parent from another branch", 14, 'b', 'b', CV_FORK },
	{ "tip again, same hash", 13, 'a', 'a', CV_DUPLICATE },
	{ "lowest held height again", 10, 'a', 'a', CV_DUPLICATE },
	{ "tip replaced", 13, 'b', 'a', CV_REPLACE },
	{ "middle height replaced", 11, 'b', 'a', CV_REPLACE },
	{ "lowest held height replaced", 10, 'b', 'b', CV_REPLACE },
	{ "one height skipped", 15, 'a', 'a', CV_GAP },
	{ "far ahead", 1000, 'b', 'b', CV_GAP },
	{ "just below the window", 9, 'a', 'a', CV_OLD },
	{ "far below the window", 0, 'b', 'b', CV_OLD },
};

START_TEST(test_classify)
{
	struct chain c;

	fill(&c, 4, 10, 13);
	ck_assert_msg(chain_classify(&c, cases[_i].number,
				     H(cases[_i].branch, cases[_i].number),
				     H(cases[_i].parent_branch,
				       cases[_i].number - 1)) == cases[_i].want,
		      "%s: got %s", cases[_i].what,
		      chain_verdict_name(chain_classify(
			      &c, cases[_i].number,
			      H(cases[_i].branch, cases[_i].number),
			      H(cases[_i].parent_branch, cases[_i].number - 1))));
	chain_release(&c);
}
END_TEST

START_TEST(test_empty_is_anchor)
{
	struct chain c;

	ck_assert_int_eq(chain_init(&c, 4), 0);
	ck_assert(chain_empty(&c));
	ck_assert_int_eq(chain_classify(&c, 7, H('a', 7), H('a', 6)), CV_ANCHOR);
	ck_assert_ptr_null(chain_get(&c, 7));
	ck_assert_int_eq(chain_push(&c, 7, H('a', 7)), 0);
	ck_assert(!chain_empty(&c));
	ck_assert_uint_eq(chain_lo(&c), 7);
	ck_assert_uint_eq(c.tip, 7);
	chain_release(&c);
}
END_TEST

/* The ring keeps the last cap heights; older ones fall out. */
START_TEST(test_ring)
{
	struct chain c;

	fill(&c, 4, 10, 20);
	ck_assert_uint_eq(c.count, 4);
	ck_assert_uint_eq(chain_lo(&c), 17);
	ck_assert_ptr_null(chain_get(&c, 16));
	ck_assert_ptr_null(chain_get(&c, 21));
	for (unsigned n = 17; n <= 20; n++)
		ck_assert_str_eq(chain_get(&c, n), H('a', n));
	/* not the successor: refused, nothing changes */
	ck_assert_int_eq(chain_push(&c, 22, H('a', 22)), -1);
	ck_assert_int_eq(chain_push(&c, 20, H('a', 20)), -1);
	ck_assert_uint_eq(c.tip, 20);
	chain_release(&c);
}
END_TEST

static const struct {
	unsigned truncate_to;
	size_t count;   /* heights left */
	unsigned tip;   /* when count > 0 */
} truncs[] = {
	{ 20, 4, 20 }, /* at the tip: nothing */
	{ 25, 4, 20 }, /* above the tip: nothing */
	{ 19, 3, 19 },
	{ 17, 1, 17 }, /* down to lo */
	{ 16, 0, 0 },  /* below lo: empty */
	{ 0, 0, 0 },
};

START_TEST(test_truncate)
{
	struct chain c;

	fill(&c, 4, 10, 20);
	chain_truncate(&c, truncs[_i].truncate_to);
	ck_assert_uint_eq(c.count, truncs[_i].count);
	if (c.count) {
		ck_assert_uint_eq(c.tip, truncs[_i].tip);
		ck_assert_str_eq(chain_get(&c, c.tip), H('a', c.tip));
		ck_assert_ptr_null(chain_get(&c, c.tip + 1));
		/* the new branch goes on from the ancestor */
		ck_assert_int_eq(chain_classify(&c, c.tip + 1, H('b', c.tip + 1),
						H('a', c.tip)), CV_EXTEND);
		ck_assert_int_eq(chain_push(&c, c.tip + 1, H('b', c.tip + 1)), 0);
		ck_assert_str_eq(chain_get(&c, c.tip), H('b', c.tip));
	}
	chain_release(&c);
}
END_TEST

/* A whole reorg as the verifier applies it: replace at 12 means the
 * ancestor is 11; truncate, then the new branch extends. */
START_TEST(test_reorg_sequence)
{
	struct chain c;

	fill(&c, 8, 10, 15);
	ck_assert_int_eq(chain_classify(&c, 12, H('b', 12), H('a', 11)),
			 CV_REPLACE);
	chain_truncate(&c, 11);
	ck_assert_int_eq(chain_classify(&c, 12, H('b', 12), H('a', 11)),
			 CV_EXTEND);
	chain_push(&c, 12, H('b', 12));
	/* a late block of the old branch is now a replacement candidate
	 * (the verifier asks the node, finds it stale and drops it) */
	ck_assert_int_eq(chain_classify(&c, 12, H('a', 12), H('a', 11)),
			 CV_REPLACE);
	ck_assert_int_eq(chain_classify(&c, 13, H('a', 13), H('a', 12)),
			 CV_FORK);
	ck_assert_int_eq(chain_classify(&c, 13, H('b', 13), H('b', 12)),
			 CV_EXTEND);
	chain_release(&c);
}
END_TEST

START_TEST(test_hash_case)
{
	struct chain c;
	char upper[HASH_HEX_SIZE];

	fill(&c, 4, 10, 13);
	snprintf(upper, sizeof(upper), "0x%s", H('a', 13) + 2);
	for (char *p = upper + 2; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_int_eq(chain_classify(&c, 13, upper, H('a', 12)),
			 CV_DUPLICATE);
	chain_reset(&c, 100, H('c', 100));
	ck_assert_uint_eq(c.count, 1);
	ck_assert_uint_eq(chain_lo(&c), 100);
	chain_release(&c);
}
END_TEST

START_TEST(test_init_zero)
{
	struct chain c;

	ck_assert_int_eq(chain_init(&c, 0), -1);
	chain_release(&c);
}
END_TEST

static Suite *chain_suite(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_classify, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_empty_is_anchor);
	tcase_add_test(tc, test_ring);
	tcase_add_loop_test(tc, test_truncate, 0,
			    sizeof(truncs) / sizeof(truncs[0]));
	tcase_add_test(tc, test_reorg_sequence);
	tcase_add_test(tc, test_hash_case);
	tcase_add_test(tc, test_init_zero);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
