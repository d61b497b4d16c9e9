/* When the broadcaster says that the database fails under replays: a
 * warning at the first failure and at most one a minute after it, each
 * with the failures no line told of yet; a line at the first success
 * after a warning; nothing when a short failure comes back within the
 * minute. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "replay_outage.h"

#define MIN REPLAY_OUTAGE_WARN_MS

/* One step of a script: a failure (F) or a success (S) at `at` ms, and
 * what it must return and report; op 0 ends the script. */
struct step {
	char op;
	int64_t at;
	int ret;
	uint64_t failures; /* F: warned of; S: during the outage */
	int64_t ms;        /* S: how long the outage lasted */
};

#define STEPS_MAX 10

/* A script of steps from a fresh state (its steps end at op 0). */
static const struct script {
	const char *what;
	struct step steps[STEPS_MAX];
} scripts[] = {
	{ "an outage of 3 minutes, retried every 500 ms: three warnings", {
		{ 'S', 1000, 0, 0, 0 },
		{ 'F', 5000, 1, 1, 0 },
		{ 'F', 5500, 0, 0, 0 },
		{ 'F', 5000 + MIN - 1, 0, 0, 0 },
		{ 'F', 5000 + MIN, 1, 3, 0 },
		{ 'F', 5000 + MIN + 500, 0, 0, 0 },
		{ 'F', 5000 + 2 * MIN + 500, 1, 2, 0 },
		{ 'S', 5000 + 3 * MIN, 1, 6, 3 * MIN },
		{ 'S', 5000 + 3 * MIN + 500, 0, 0, 0 },
	} },
	{ "two outages a minute apart: each warned of, each end logged", {
		{ 'F', 0, 1, 1, 0 },
		{ 'F', 500, 0, 0, 0 },
		{ 'S', 4000, 1, 2, 4000 },
		{ 'F', 4000 + MIN, 1, 1, 0 },
		{ 'S', 5000 + MIN, 1, 1, 1000 },
	} },
	{ "a job failing now and then: a warning and its end a minute, the "
	  "failures between told by the next warning", {
		{ 'F', 100, 1, 1, 0 },
		{ 'S', 200, 1, 1, 100 },
		{ 'F', 300, 0, 0, 0 },
		{ 'S', 400, 0, 0, 0 },
		{ 'F', 500, 0, 0, 0 },
		{ 'S', 600, 0, 0, 0 },
		{ 'F', 100 + MIN, 1, 3, 0 },
		{ 'S', 200 + MIN, 1, 1, 100 },
	} },
	{ "successes alone say nothing", {
		{ 'S', 0, 0, 0, 0 },
		{ 'S', MIN * 5, 0, 0, 0 },
	} },
};

START_TEST(test_script)
{
	const struct script *sc = &scripts[_i];
	struct replay_outage o = REPLAY_OUTAGE_INIT;

	for (size_t i = 0; i < STEPS_MAX && sc->steps[i].op; i++) {
		const struct step *s = &sc->steps[i];
		uint64_t failures = 999;
		int64_t ms = -1;
		int r = s->op == 'F' ?
			replay_outage_failed(&o, s->at, &failures) :
			replay_outage_ok(&o, s->at, &failures, &ms);

		ck_assert_msg(r == s->ret, "%s: step %zu (%c at %lld): "
			      "returned %d", sc->what, i, s->op,
			      (long long)s->at, r);
		if (!r)
			continue;
		ck_assert_msg(failures == s->failures,
			      "%s: step %zu: %llu failures, want %llu", sc->what,
			      i, (unsigned long long)failures,
			      (unsigned long long)s->failures);
		if (s->op == 'S')
			ck_assert_msg(ms == s->ms, "%s: step %zu: %lld ms, "
				      "want %lld", sc->what, i, (long long)ms,
				      (long long)s->ms);
	}
}
END_TEST

static Suite *replay_outage_suite(void)
{
	Suite *s = suite_create("replay_outage");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_script, 0,
			    (int)(sizeof(scripts) / sizeof(scripts[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_outage_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
