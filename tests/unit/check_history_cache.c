/* The broadcaster's cache of replay pages shared by the history workers:
 * a hit for the same key only, held results never evicted, the least
 * recently used one evicted, expiry. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "clock.h"
#include "history_cache.h"

static PGresult *res(void)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	ck_assert_ptr_nonnull(r);
	return r;
}

static struct history_page_key key(uint64_t after)
{
	struct history_page_key k = { 31337, after, 1000, 50 };

	return k;
}

START_TEST(test_hit_and_miss)
{
	struct history_cache *c = history_cache_new();
	struct history_page_key k = key(5), other = key(5);
	PGresult *b = res(), *r = res();
	const struct history_page_rows *put, *got;

	ck_assert_ptr_null(history_cache_get(c, &k));
	put = history_cache_put(c, &k, b, r);
	ck_assert_ptr_nonnull(put);
	ck_assert_ptr_eq(put->blocks, b);
	got = history_cache_get(c, &k);
	ck_assert_ptr_eq(got, put);
	other.before = 999;
	ck_assert_ptr_null(history_cache_get(c, &other));
	other = k;
	other.limit = 10;
	ck_assert_ptr_null(history_cache_get(c, &other));
	other = k;
	other.chain_id = 1;
	ck_assert_ptr_null(history_cache_get(c, &other));
	history_cache_release(c, put);
	history_cache_release(c, got);
	history_cache_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_held_are_kept)
{
	struct history_cache *c = history_cache_new();
	const struct history_page_rows *held[HISTORY_CACHE_PAGES];
	struct history_page_key k;
	PGresult *b, *r;

	for (int i = 0; i < HISTORY_CACHE_PAGES; i++) {
		k = key((uint64_t)i);
		held[i] = history_cache_put(c, &k, res(), res());
		ck_assert_ptr_nonnull(held[i]);
	}
	/* Every slot held: nothing is evicted, the caller keeps its rows. */
	k = key(1000);
	b = res();
	r = res();
	ck_assert_ptr_null(history_cache_put(c, &k, b, r));
	PQclear(b);
	PQclear(r);
	/* Released, the least recently used goes first: 1 was used last. */
	for (int i = 0; i < HISTORY_CACHE_PAGES; i++)
		history_cache_release(c, held[i]);
	k = key(1);
	history_cache_release(c, history_cache_get(c, &k));
	k = key(1000);
	history_cache_release(c, history_cache_put(c, &k, res(), res()));
	k = key(0);
	ck_assert_ptr_null(history_cache_get(c, &k));
	k = key(1);
	held[0] = history_cache_get(c, &k);
	ck_assert_ptr_nonnull(held[0]);
	history_cache_release(c, held[0]);
	history_cache_free(&c);
}
END_TEST

START_TEST(test_expiry)
{
	struct history_cache *c = history_cache_new();
	struct history_page_key k = key(7);

	history_cache_release(c, history_cache_put(c, &k, res(), res()));
	ck_assert_ptr_nonnull(history_cache_get(c, &k));
	history_cache_release(c, history_cache_get(c, &k));
	history_cache_release(c, history_cache_get(c, &k));
	clock_sleep_ms(HISTORY_CACHE_MS + 50);
	ck_assert_ptr_null(history_cache_get(c, &k));
	history_cache_free(&c);
}
END_TEST

static Suite *history_cache_suite(void)
{
	Suite *s = suite_create("history_cache");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_hit_and_miss);
	tcase_add_test(tc, test_held_are_kept);
	tcase_add_test(tc, test_expiry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(history_cache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
