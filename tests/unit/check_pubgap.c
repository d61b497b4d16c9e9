/* common/pubgap: the PUB counter rules every subscriber shares. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pubgap.h"

/* One stream: (topic, counter) in, (result, lost) out, in order. */
static const struct {
	const char *topic;
	uint32_t counter;
	enum pubgap_result want;
	uint32_t lost;
} stream[] = {
	{ "block", 7, PUBGAP_FIRST, 0 },   /* joined late: no gap */
	{ "block", 8, PUBGAP_OK, 0 },
	{ "reorg", 0, PUBGAP_FIRST, 0 },
	{ "block", 12, PUBGAP_GAP, 3 },    /* 9, 10, 11 lost */
	{ "block", 13, PUBGAP_OK, 0 },
	{ "block", 0, PUBGAP_RESTART, 0 }, /* the publisher restarted */
	{ "block", 1, PUBGAP_OK, 0 },
	{ "reorg", 1, PUBGAP_OK, 0 },      /* topics are apart */
	{ "block", 1, PUBGAP_RESTART, 0 }, /* the same again: went back */
	{ "block", 5, PUBGAP_GAP, 3 },
	{ "block", 3, PUBGAP_RESTART, 0 }, /* back, not to 0: restarted and
					    * sent a few already */
	{ "block", 4, PUBGAP_OK, 0 },
	{ "heartbeat", 4294967294u, PUBGAP_FIRST, 0 },
	{ "heartbeat", 4294967295u, PUBGAP_OK, 0 },
	{ "heartbeat", 0, PUBGAP_OK, 0 },  /* wrapped: the next one */
	{ "heartbeat", 1, PUBGAP_OK, 0 },
	{ "committed", 4294967290u, PUBGAP_FIRST, 0 },
	{ "committed", 5, PUBGAP_GAP, 10 }, /* lost across the wrap */
};

START_TEST(test_stream)
{
	struct pubgap g = PUBGAP_INIT;

	for (size_t i = 0; i < sizeof(stream) / sizeof(stream[0]); i++) {
		uint32_t lost = 99;
		enum pubgap_result r =
			pubgap_check(&g, stream[i].topic, stream[i].counter, &lost);

		ck_assert_msg(r == stream[i].want, "step %zu (%s %u): %d, want %d",
			      i, stream[i].topic, stream[i].counter, r,
			      stream[i].want);
		ck_assert_msg(lost == stream[i].lost, "step %zu: lost %u, want %u",
			      i, lost, stream[i].lost);
	}
}
END_TEST

START_TEST(test_untracked)
{
	struct pubgap g = PUBGAP_INIT;
	char name[100];
	uint32_t lost;

	memset(name, 't', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(pubgap_check(&g, name, 1, &lost), PUBGAP_UNTRACKED);
	ck_assert_int_eq(pubgap_check(&g, name, 9, &lost), PUBGAP_UNTRACKED);
	ck_assert_int_eq(g.n, 0);
	for (int i = 0; i < PUBGAP_TOPICS; i++) {
		snprintf(name, sizeof(name), "topic%d", i);
		ck_assert_int_eq(pubgap_check(&g, name, 0, &lost), PUBGAP_FIRST);
	}
	ck_assert_int_eq(pubgap_check(&g, "one-too-many", 0, &lost),
			 PUBGAP_UNTRACKED);
	ck_assert_int_eq(pubgap_check(&g, "topic3", 2, &lost), PUBGAP_GAP);
	ck_assert_uint_eq(lost, 1);
}
END_TEST

static Suite *pubgap_suite(void)
{
	Suite *s = suite_create("pubgap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_untracked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pubgap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
