/* rpc_breaker (common/rpc_breaker.c): a node's circuit breaker, closed,
 * open and half open, with its cool-down doubling and its probe. */
#include <check.h>
#include <stdlib.h>

#include "rpc_breaker.h"

#include "rpc_suite_run.h"

#include "banned.h"

/* ---- rpc_breaker ---- */

START_TEST(test_breaker_states)
{
	struct rpc_breaker b;
	int probe;

	rpc_breaker_init(&b, 3, 1000);
	ck_assert_int_eq(rpc_breaker_usable(&b, 0, &probe), 1);
	ck_assert_int_eq(probe, 0);
	rpc_breaker_failure(&b, "#1 n", 0, 10);
	rpc_breaker_failure(&b, "#1 n", 0, 20);
	ck_assert_int_eq(b.state, RPC_BREAKER_CLOSED);
	rpc_breaker_success(&b, "#1 n"); /* failures are consecutive */
	for (int i = 0; i < 3; i++)
		rpc_breaker_failure(&b, "#1 n", 0, 100);
	ck_assert_int_eq(b.state, RPC_BREAKER_OPEN);
	ck_assert_int_eq(rpc_breaker_usable(&b, 1099, &probe), 0);
	ck_assert_int_eq(rpc_breaker_usable(&b, 1100, &probe), 1);
	ck_assert_int_eq(probe, 1);
	ck_assert_int_eq(b.state, RPC_BREAKER_HALF_OPEN);
	/* One probe at a time. */
	ck_assert_int_eq(rpc_breaker_usable(&b, 1100, &probe), 0);
	/* A failed probe doubles the cool-down, up to ten times the first. */
	rpc_breaker_failure(&b, "#1 n", 1, 2000);
	ck_assert_int_eq(b.state, RPC_BREAKER_OPEN);
	ck_assert_int_eq(b.open_until, 4000);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(rpc_breaker_usable(&b, b.open_until, &probe), 1);
		rpc_breaker_failure(&b, "#1 n", 1, 0);
	}
	ck_assert_int_eq(b.cooldown_ms, 10000);
	/* A probe that could not be sent leaves it open for the next. */
	ck_assert_int_eq(rpc_breaker_usable(&b, b.open_until, &probe), 1);
	rpc_breaker_probe_dropped(&b);
	ck_assert_int_eq(rpc_breaker_usable(&b, b.open_until, &probe), 1);
	rpc_breaker_success(&b, "#1 n");
	ck_assert_int_eq(b.state, RPC_BREAKER_CLOSED);
	ck_assert_int_eq(b.cooldown_ms, 1000);
}
END_TEST

static Suite *rpc_breaker_suite(void)
{
	Suite *s = suite_create("rpc_breaker");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_breaker_states);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rpc_suite_run(rpc_breaker_suite(), "check_rpc_breaker");
}
