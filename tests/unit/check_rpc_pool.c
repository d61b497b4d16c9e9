/* rpc_pool (common/rpc_pool.c): the node list parsed from --rpc, and
 * which node a request goes to as breakers open and close. */
#include <check.h>
#include <stdlib.h>

#include "rpc_pool.h"

#include "rpc_suite_run.h"

#include "banned.h"

/* ---- rpc_pool ---- */

START_TEST(test_pool)
{
	struct rpc_pool p;
	int probe;

	ck_assert_int_eq(rpc_pool_init(&p, "http://a:1, https://b:2\n"
				       "http://c:3\n", 1, 500), 0);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_str_eq(p.nodes[1].url, "https://b:2");
	ck_assert_str_eq(p.nodes[2].name, "#3 http://c:3");
	ck_assert_uint_eq(rpc_pool_pick(&p, p.first, 0, &probe), 0);
	rpc_pool_prefer_next(&p);
	ck_assert_uint_eq(rpc_pool_pick(&p, p.first, 0, &probe), 1);
	/* Node 2 (b) open: the next one takes it. */
	rpc_breaker_failure(&p.nodes[1].breaker, p.nodes[1].name, 0, 0);
	ck_assert_uint_eq(rpc_pool_pick(&p, 1, 10, &probe), 2);
	/* Every node open: the one whose cool-down ends first. */
	rpc_breaker_failure(&p.nodes[2].breaker, p.nodes[2].name, 0, 100);
	rpc_breaker_failure(&p.nodes[0].breaker, p.nodes[0].name, 0, 50);
	ck_assert_uint_eq(rpc_pool_pick(&p, 2, 20, &probe), 1);
	ck_assert_int_eq(probe, 0);
	/* Its cool-down over: that one, as the breaker's probe. */
	ck_assert_uint_eq(rpc_pool_pick(&p, 2, 550, &probe), 0);
	ck_assert_int_eq(probe, 1);
	rpc_pool_release(&p);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(rpc_pool_init(&p, " , \n", 1, 500), -1);
	ck_assert_ptr_null(p.nodes);
	ck_assert_int_eq(rpc_pool_init(&p, "http://a:1,ftp://b", 1, 500), -1);
	ck_assert_ptr_null(p.nodes);
}
END_TEST

static Suite *rpc_pool_suite(void)
{
	Suite *s = suite_create("rpc_pool");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_pool);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rpc_suite_run(rpc_pool_suite(), "check_rpc_pool");
}
