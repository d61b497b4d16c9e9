/* How every rpc suite (check_rpc.c, check_rpc_wire.c, check_rpc_retry.c,
 * check_rpc_breaker.c, check_rpc_pool.c) runs: its log lines quiet unless
 * CHECK_RPC_LOG names a level (the failures are the point of these
 * tests). */
#ifndef RPC_SUITE_RUN_H
#define RPC_SUITE_RUN_H

#include <check.h>
#include <stdlib.h>

#include "log.h"

/* Run s as prog; EXIT_SUCCESS when every test passed. */
static inline int rpc_suite_run(Suite *s, const char *prog)
{
	SRunner *sr = srunner_create(s);
	const char *lvl = getenv("CHECK_RPC_LOG");
	enum log_level min = LOG_ERROR + 1;
	int failed;

	if (lvl && log_level_parse(lvl, &min) < 0)
		min = LOG_DEBUG;
	log_init(prog, min);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
