/* rpc_retry (common/rpc_retry.c), table-driven: the jittered backoff
 * (rpc_backoff_ms) and Retry-After in seconds or as a date
 * (rpc_retry_after_ms). */
#include <check.h>
#include <stdlib.h>

#include "rpc_retry.h"

#include "rpc_suite_run.h"

#include "banned.h"

/* ---- rpc_backoff_ms, rpc_retry_after_ms ---- */

struct backoff_case {
	int attempt;
	long long base, max;
	double r;
	long long lo, hi; /* inclusive bounds */
};

static const struct backoff_case backoff_cases[] = {
	{ 1, 100, 10000, 0.0, 0, 0 },
	{ 1, 100, 10000, 0.999999, 99, 99 },
	{ 1, 100, 10000, 0.5, 50, 50 },
	{ 2, 100, 10000, 0.5, 100, 100 },
	{ 3, 100, 10000, 0.999999, 399, 399 },
	{ 7, 100, 10000, 0.999999, 6399, 6399 },
	{ 8, 100, 10000, 0.999999, 9999, 9999 },   /* capped */
	{ 8, 100, 10000, 0.0, 0, 0 },
	{ 1000, 100, 10000, 0.999999, 9999, 9999 }, /* no overflow */
	{ 70, 1LL << 40, 1LL << 62, 0.5, 1LL << 61, 1LL << 61 },
	{ 0, 100, 10000, 0.5, 50, 50 },            /* 0 reads as 1 */
	{ 3, 100, 50, 0.999999, 49, 49 },          /* max below base */
	{ 2, 100, 10000, 1.0, 199, 199 },          /* r out of range */
	{ 2, 100, 10000, -1.0, 0, 0 },
};

START_TEST(test_backoff)
{
	const struct backoff_case *t = &backoff_cases[_i];
	long long d = rpc_backoff_ms(t->attempt, t->base, t->max, t->r);

	ck_assert_msg(d >= t->lo && d <= t->hi,
		      "attempt %d r %g: %lld not in [%lld, %lld]", t->attempt,
		      t->r, d, t->lo, t->hi);
}
END_TEST

struct retry_after_case {
	const char *value;
	long long now;
	long long want;
};

#define RA_DATE 1445412480LL /* Wed, 21 Oct 2015 07:28:00 GMT */

static const struct retry_after_case retry_after_cases[] = {
	{ "1", 0, 1000 },
	{ "0", 0, 0 },
	{ " 120 \r\n", 0, 120000 },
	{ "99999999999", 0, 86400000 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", RA_DATE - 30, 30000 },
	{ " Wed, 21 Oct 2015 07:28:00 GMT\r\n", RA_DATE - 2, 2000 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", RA_DATE + 100, 0 }, /* past */
	{ "Wednesday, 21-Oct-15 07:28:00 GMT", RA_DATE - 1, 1000 },
	{ "soon", 0, -1 },
	{ "", 0, -1 },
	{ "-5", 0, -1 },
	{ "1.5", 0, -1 },
	{ "5 oops", 0, -1 },
	{ NULL, 0, -1 },
};

START_TEST(test_retry_after)
{
	const struct retry_after_case *t = &retry_after_cases[_i];

	ck_assert_int_eq(rpc_retry_after_ms(t->value, t->now), t->want);
}
END_TEST

static Suite *rpc_retry_suite(void)
{
	Suite *s = suite_create("rpc_retry");
	TCase *tc = tcase_create("pure");

	tcase_add_loop_test(tc, test_backoff, 0,
			    sizeof(backoff_cases) / sizeof(*backoff_cases));
	tcase_add_loop_test(tc, test_retry_after, 0,
			    sizeof(retry_after_cases) /
				    sizeof(*retry_after_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rpc_suite_run(rpc_retry_suite(), "check_rpc_retry");
}
