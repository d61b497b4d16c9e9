/* The reorgs a verifier sends again at start (verifier/resend.c): which
 * rows of blockpipe_unsent_reorgs() go out again, and in what order. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "internal.h"
#include "log.h"
#include "message.h"

#define CHAIN 31337
/* The restarted verifier's epoch 7: its own seqs are all above this. */
#define BELOW (UINT64_C(7) << 32)
#define SEQ6 ((UINT64_C(6) << 32) | 41)

static void setup(void)
{
	log_init("check_resend", LOG_ERROR);
}

/* A reorg message as blockpipe_unsent_reorgs() builds it. */
static char *reorg_text(char *buf, size_t n, uint64_t chain, uint64_t seq)
{
	snprintf(buf, n,
		 "{\"type\":\"reorg\",\"chain_id\":%llu,\"seq\":%llu,"
		 "\"ancestor\":{\"number\":10,\"hash\":\"0x%064x\"},"
		 "\"orphaned\":[{\"number\":11,\"hash\":\"0x%064x\"},"
		 "{\"number\":12,\"hash\":\"0x%064x\"}],"
		 "\"new_tip\":{\"number\":12,\"hash\":\"0x%064x\"},"
		 "\"depth\":2,\"deep\":false,\"invalidate_from\":11,"
		 "\"invalidate_to\":12,\"below_finalized\":false}",
		 (unsigned long long)chain, (unsigned long long)seq, 0x10,
		 0x11, 0x12, 0x120);
	return buf;
}

static enum resend_verdict check(uint64_t row_seq, const char *text,
				 uint64_t prev, struct message *m)
{
	struct db_unsent_reorg row = { row_seq, (char *)text };
	char why[192];

	return resend_check(&row, CHAIN, BELOW, prev, m, why, sizeof(why));
}

/* A row of an earlier epoch, read as recorded: its seq, orphaned list,
 * ancestor and new tip are what goes out again. */
START_TEST(test_recorded_reorg_goes_again)
{
	char text[1024];
	struct message m;

	ck_assert_int_eq(check(SEQ6, reorg_text(text, sizeof(text), CHAIN, SEQ6),
			       0, &m), RESEND_OK);
	ck_assert_uint_eq(m.u.reorg.seq, SEQ6);
	ck_assert_uint_eq(m.u.reorg.norphaned, 2);
	ck_assert_uint_eq(m.u.reorg.orphaned[1].number, 12);
	ck_assert_str_eq(m.u.reorg.orphaned[1].hash,
			 "0x0000000000000000000000000000000000000000000000000000000000000012");
	ck_assert(m.u.reorg.has_ancestor);
	ck_assert_uint_eq(m.u.reorg.ancestor.number, 10);
	ck_assert_uint_eq(m.u.reorg.new_tip.number, 12);
	ck_assert(!m.u.reorg.has_emitted_at);
	message_release(&m);
}
END_TEST

/* What is refused, each for its own reason. */
START_TEST(test_refused)
{
	static const struct {
		uint64_t row_seq, msg_seq, chain, prev;
		const char *text; /* NULL: reorg_text() */
		enum resend_verdict want;
	} cases[] = {
		{ SEQ6, SEQ6, CHAIN, 0, "{\"type\":\"reorg\"", RESEND_UNREADABLE },
		{ SEQ6, SEQ6, CHAIN, 0,
		  "{\"type\":\"heartbeat\",\"chain_id\":31337,\"seq\":5}",
		  RESEND_UNREADABLE },
		{ SEQ6, SEQ6, 1, 0, NULL, RESEND_OTHER_CHAIN },
		{ SEQ6, SEQ6 + 1, CHAIN, 0, NULL, RESEND_SEQ_MISMATCH },
		/* recorded in this epoch or later: it would go out after
		 * seqs above its own */
		{ BELOW, BELOW, CHAIN, 0, NULL, RESEND_NOT_BEFORE },
		{ BELOW + 5, BELOW + 5, CHAIN, 0, NULL, RESEND_NOT_BEFORE },
		/* not above the one sent again before it */
		{ SEQ6, SEQ6, CHAIN, SEQ6, NULL, RESEND_OUT_OF_ORDER },
		{ SEQ6, SEQ6, CHAIN, SEQ6 + 9, NULL, RESEND_OUT_OF_ORDER },
		{ SEQ6, SEQ6, CHAIN, SEQ6 - 1, NULL, RESEND_OK },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct message m;
		const char *t = cases[i].text ? cases[i].text
			: reorg_text(text, sizeof(text), cases[i].chain,
				     cases[i].msg_seq);

		ck_assert_msg(check(cases[i].row_seq, t, cases[i].prev, &m) ==
				      cases[i].want, "case %zu", i);
		message_release(&m);
	}
}
END_TEST

/* Several unsent reorgs (one sent but not marked, one never sent) go out
 * in seq order, each checked against the one before. */
START_TEST(test_in_seq_order)
{
	char a[1024], b[1024];
	uint64_t s1 = (UINT64_C(5) << 32) | 3, s2 = SEQ6;
	struct message m;

	ck_assert_int_eq(check(s1, reorg_text(a, sizeof(a), CHAIN, s1), 0, &m),
			 RESEND_OK);
	message_release(&m);
	ck_assert_int_eq(check(s2, reorg_text(b, sizeof(b), CHAIN, s2), s1, &m),
			 RESEND_OK);
	message_release(&m);
	/* the other way round, the older is refused */
	ck_assert_int_eq(check(s1, a, s2, &m), RESEND_OUT_OF_ORDER);
	message_release(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resend");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_recorded_reorg_goes_again);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_in_seq_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
