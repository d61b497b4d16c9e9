/* common/clock: the two clocks, the condition-variable deadline, sleeps. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "sig.h"

START_TEST(test_clocks)
{
	long long a = clock_mono_ms(), b, w = clock_wall_ms();
	long long t = (long long)time(NULL) * 1000;

	b = clock_mono_ms();
	ck_assert(b >= a);
	ck_assert_msg(w >= t - 1000 && w <= t + 2000, "wall %lld, time %lld", w,
		      t);
	/* the same clocks in other units */
	ck_assert(clock_mono_s() * 1000 >= (double)a - 1);
	ck_assert(clock_mono_s() * 1000 <= (double)clock_mono_ms() + 1);
	ck_assert(clock_wall_us() / 1000 >= (unsigned long long)w);
	ck_assert(clock_wall_us() / 1000 <= (unsigned long long)clock_wall_ms());
}
END_TEST

START_TEST(test_wall_after)
{
	struct timespec ts = clock_wall_after(1500);
	long long at = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	long long now = clock_wall_ms();

	ck_assert(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
	ck_assert_msg(at >= now + 1400 && at <= now + 1600, "%lld vs %lld", at,
		      now);
}
END_TEST

/* The one doubling rule: the writer's (100 ms to 5 s), the verifier's lag
 * waits (100 ms to 2 s), newHeads reconnects (250 ms to 30 s). */
static const struct {
	int attempt;
	long long base, max, want;
} backoffs[] = {
	{ 1, 100, 5000, 100 },    { 2, 100, 5000, 200 },
	{ 6, 100, 5000, 3200 },   { 7, 100, 5000, 5000 },
	{ 1000, 100, 5000, 5000 }, { 0, 100, 5000, 100 },
	{ -3, 100, 5000, 100 },   { 6, 100, 2000, 2000 },
	{ 7, 250, 30000, 16000 }, { 8, 250, 30000, 30000 },
	{ 3, 0, 5000, 0 },        { 3, -5, 5000, 0 },
	{ 3, 100, -1, 0 },        { 100, 1LL << 40, 1LL << 62, 1LL << 62 },
};

START_TEST(test_backoff)
{
	ck_assert_int_eq(clock_backoff_ms(backoffs[_i].attempt,
					  backoffs[_i].base, backoffs[_i].max),
			 backoffs[_i].want);
}
END_TEST

START_TEST(test_sleep)
{
	long long t0 = clock_mono_ms();

	clock_sleep_ms(0);
	clock_sleep_ms(-5);
	clock_sleep_ms(120);
	ck_assert(clock_mono_ms() - t0 >= 120);
}
END_TEST

START_TEST(test_nap_whole)
{
	long long t0 = clock_mono_ms();
	volatile sig_atomic_t stop = 0;

	ck_assert_int_eq(clock_nap_ms(130, &stop), 0);
	ck_assert(clock_mono_ms() - t0 >= 130);
	ck_assert_int_eq(clock_nap_ms(0, NULL), 0);
}
END_TEST

START_TEST(test_nap_stopped)
{
	volatile sig_atomic_t stop = 1;
	long long t0 = clock_mono_ms();

	ck_assert_int_eq(clock_nap_ms(5000, &stop), -1);
	/* A signal's flag ends it too (each test runs in its own process). */
	sig_request_stop();
	ck_assert_int_eq(clock_nap_ms(5000, NULL), -1);
	ck_assert(clock_mono_ms() - t0 < 1000);
}
END_TEST

static Suite *clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_clocks);
	tcase_add_test(tc, test_wall_after);
	tcase_add_loop_test(tc, test_backoff, 0,
			    (int)(sizeof(backoffs) / sizeof(backoffs[0])));
	tcase_add_test(tc, test_sleep);
	tcase_add_test(tc, test_nap_whole);
	tcase_add_test(tc, test_nap_stopped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(clock_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
