/* seq: the counter and its epochs (verifier/seq.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "seq.h"

static void setup(void)
{
	log_init("check_seq", LOG_ERROR);
}

START_TEST(test_epoch_layout)
{
	struct seq_state s;

	seq_init_epoch(&s, 3, NULL, NULL);
	ck_assert_uint_eq(seq_next(&s), (3ULL << 32) | 1);
	ck_assert_uint_eq(seq_next(&s), (3ULL << 32) | 2);
	ck_assert_uint_eq(s.last, (3ULL << 32) | 2);
}
END_TEST

START_TEST(test_epochs_order)
{
	struct seq_state a, b;
	uint64_t last = 0;

	seq_init_epoch(&a, 1, NULL, NULL);
	for (int i = 0; i < 1000; i++)
		last = seq_next(&a);
	seq_init_epoch(&b, 2, NULL, NULL);
	ck_assert_uint_gt(seq_next(&b), last);
}
END_TEST

/* A renewal source: hands out 7, 8, ... or fails when told to. */
struct renewer {
	uint64_t next;
	int calls;
	int fail;
};

static int renew(void *arg, uint64_t *epoch)
{
	struct renewer *r = arg;

	r->calls++;
	if (r->fail)
		return -1;
	*epoch = r->next++;
	return 0;
}

START_TEST(test_counter_overflow_opens_epoch)
{
	struct seq_state s;
	struct renewer r = { 7, 0, 0 };
	uint64_t a, b, c;

	seq_init_epoch(&s, 6, renew, &r);
	s.counter = SEQ_COUNTER_MAX - 1; /* as if 2^32 - 2 were stamped */
	a = seq_next(&s);
	ck_assert_uint_eq(a, (6ULL << 32) | SEQ_COUNTER_MAX);
	ck_assert_int_eq(r.calls, 0);
	b = seq_next(&s); /* the counter ran out: epoch 7 */
	ck_assert_int_eq(r.calls, 1);
	ck_assert_uint_eq(b, (7ULL << 32) | 1);
	ck_assert_uint_gt(b, a);
	c = seq_next(&s);
	ck_assert_uint_eq(c, (7ULL << 32) | 2);
	ck_assert_uint_eq(s.epoch, 7);
}
END_TEST

START_TEST(test_counter_overflow_without_epoch)
{
	struct seq_state s;
	struct renewer r = { 5, 0, 1 };
	uint64_t last;

	/* no source, a failing one, or one that goes backwards: 0, never a
	 * seq below the last one */
	seq_init_epoch(&s, 6, NULL, NULL);
	s.counter = SEQ_COUNTER_MAX;
	ck_assert_uint_eq(seq_next(&s), 0);
	seq_init_epoch(&s, 6, renew, &r);
	s.counter = SEQ_COUNTER_MAX;
	last = s.last;
	ck_assert_uint_eq(seq_next(&s), 0);
	ck_assert_uint_eq(s.last, last);
	r.fail = 0; /* hands out 5 < 6 */
	ck_assert_uint_eq(seq_next(&s), 0);
	r.next = 9;
	ck_assert_uint_eq(seq_next(&s), (9ULL << 32) | 1);
}
END_TEST

START_TEST(test_clock)
{
	struct seq_state s, t;
	uint64_t prev, x;

	seq_init_clock(&s);
	prev = seq_next(&s);
	ck_assert_uint_gt(prev, 1500000000ULL * 1000000ULL); /* microseconds */
	ck_assert_uint_lt(prev, 1ULL << 53);
	for (int i = 0; i < 100000; i++) {
		x = seq_next(&s);
		ck_assert_uint_gt(x, prev);
		prev = x;
	}
	/* a restart: a new clock state starts above the old one unless the
	 * old one ran ahead of the clock by more than the restart took (100000
	 * seqs in a few ms run ahead by up to 100 ms: the documented limit of
	 * clock mode), so the restart here takes longer than that lead */
	{
		struct timespec ts;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000000u +
		      (uint64_t)ts.tv_nsec / 1000u;
		usleep((useconds_t)(s.last > now ? s.last - now : 0) + 2000);
	}
	seq_init_clock(&t);
	ck_assert_uint_gt(seq_next(&t), s.last);
}
END_TEST

static Suite *seq_suite(void)
{
	const TTest *tests[] = {
		test_epoch_layout, test_epochs_order,
		test_counter_overflow_opens_epoch,
		test_counter_overflow_without_epoch, test_clock,
	};
	Suite *s = suite_create("seq");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(seq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
