/* seq and the --state file (verifier/state.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state.h"

static char dir[] = "/tmp/check_state.XXXXXX";
static char path[300];

static void setup(void)
{
	log_init("check_state", LOG_ERROR);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/verifier.state", dir);
}

static void teardown(void)
{
	char tmp[320];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
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

START_TEST(test_state_file)
{
	uint64_t e = 0;
	char text[64] = "";
	FILE *f;

	ck_assert_int_eq(state_next_epoch(path, &e), 0); /* missing: 0 -> 1 */
	ck_assert_uint_eq(e, 1);
	ck_assert_int_eq(state_next_epoch(path, &e), 0);
	ck_assert_uint_eq(e, 2);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "epoch 2\n");
	write_file("epoch 41\n");
	ck_assert_int_eq(state_next_epoch(path, &e), 0);
	ck_assert_uint_eq(e, 42);
	write_file("epoch 7"); /* no newline is fine */
	ck_assert_int_eq(state_next_epoch(path, &e), 0);
	ck_assert_uint_eq(e, 8);
}
END_TEST

static const char *const corrupt[] = {
	"", "epoch", "epoch \n", "epoch x\n", "epoch 1x\n", "garbage\n",
	"epoch -1\n", "epoch 99999999999999999999999\n",
	"epoch 2097151\n", /* the last epoch seq can hold */
};

START_TEST(test_state_corrupt)
{
	uint64_t e = 12345;

	write_file(corrupt[_i]);
	ck_assert_int_eq(state_next_epoch(path, &e), -1);
	ck_assert_uint_eq(e, 12345); /* untouched */
}
END_TEST

START_TEST(test_state_unwritable)
{
	uint64_t e;

	ck_assert_int_eq(state_next_epoch("/nonexistent-dir/x/state", &e), -1);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_epoch_layout);
	tcase_add_test(tc, test_epochs_order);
	tcase_add_test(tc, test_counter_overflow_opens_epoch);
	tcase_add_test(tc, test_counter_overflow_without_epoch);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_state_file);
	tcase_add_loop_test(tc, test_state_corrupt, 0,
			    sizeof(corrupt) / sizeof(corrupt[0]));
	tcase_add_test(tc, test_state_unwritable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
