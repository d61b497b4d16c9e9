/* The broadcaster's event ring: positions, eviction, lag, and where a
 * `since` replay starts (reorgs included). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

/* By path: other programs' folders are on the include path too. */
#include "events.h"
#include "ring.h"

static struct bc_event *ev_new(enum ev_kind kind, uint64_t height)
{
	struct bc_event *ev = calloc(1, sizeof(*ev));

	ck_assert_ptr_nonnull(ev);
	ev->kind = kind;
	ev->height = height;
	ev->has_height = 1;
	return ev;
}

START_TEST(test_positions)
{
	struct ring *r = ring_new(4);

	ck_assert_uint_eq(ring_head(r), 0);
	ck_assert_uint_eq(ring_tail(r), 0);
	ck_assert_ptr_null(ring_get(r, 0));
	for (uint64_t i = 0; i < 4; i++)
		ck_assert_uint_eq(ring_push(r, ev_new(EV_BLOCK, 100 + i)), i);
	ck_assert_uint_eq(ring_tail(r), 0);
	ck_assert_uint_eq(ring_head(r), 4);
	ck_assert_uint_eq(ring_get(r, 2)->height, 102);
	ck_assert_uint_eq(ring_lag(r, 1), 3);
	ck_assert_uint_eq(ring_lag(r, 4), 0);
	ck_assert_uint_eq(ring_lag(r, 9), 0);
	/* Full: the oldest goes. */
	ck_assert_uint_eq(ring_push(r, ev_new(EV_BLOCK, 104)), 4);
	ck_assert_uint_eq(ring_tail(r), 1);
	ck_assert_ptr_null(ring_get(r, 0));
	ck_assert_uint_eq(ring_get(r, 1)->height, 101);
	ck_assert_uint_eq(ring_get(r, 4)->height, 104);
	ck_assert_ptr_null(ring_get(r, 5));
	ring_destroy(&r);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_wraps_many_times)
{
	struct ring *r = ring_new(3);

	for (uint64_t i = 0; i < 1000; i++)
		ring_push(r, ev_new(EV_BLOCK, i));
	ck_assert_uint_eq(ring_tail(r), 997);
	ck_assert_uint_eq(ring_head(r), 1000);
	for (uint64_t p = 997; p < 1000; p++)
		ck_assert_uint_eq(ring_get(r, p)->height, p);
	ring_destroy(&r);
}
END_TEST

START_TEST(test_since)
{
	struct ring *r = ring_new(16);
	uint64_t pos, oldest;

	ck_assert_int_eq(ring_find_since(r, 5, &pos, &oldest), RING_SINCE_TOO_OLD);
	ck_assert_uint_eq(oldest, UINT64_MAX);
	ring_push(r, ev_new(EV_GAP, 0));          /* 0 */
	for (uint64_t h = 100; h <= 104; h++)    /* 1..5 */
		ring_push(r, ev_new(EV_BLOCK, h));
	ring_push(r, ev_new(EV_REORG, 103));      /* 6: orphans 103, 104 */
	ring_push(r, ev_new(EV_BLOCK, 103));      /* 7 */
	ring_push(r, ev_new(EV_BLOCK, 104));      /* 8 */
	ring_push(r, ev_new(EV_BLOCK, 105));      /* 9 */

	ck_assert_int_eq(ring_find_since(r, 99, &pos, &oldest), RING_SINCE_TOO_OLD);
	ck_assert_uint_eq(oldest, 100);
	ck_assert_int_eq(ring_find_since(r, 100, &pos, &oldest), RING_SINCE_OK);
	ck_assert_uint_eq(pos, 1);
	/* The first block at or above the height: the old branch, then the
	 * reorg that orphaned it, then the new branch. */
	ck_assert_int_eq(ring_find_since(r, 104, &pos, &oldest), RING_SINCE_OK);
	ck_assert_uint_eq(pos, 5);
	ck_assert_int_eq(ring_find_since(r, 105, &pos, &oldest), RING_SINCE_OK);
	ck_assert_uint_eq(pos, 9);
	ck_assert_int_eq(ring_find_since(r, 106, &pos, &oldest), RING_SINCE_LIVE);
	ck_assert_uint_eq(pos, ring_head(r));
	ring_destroy(&r);
}
END_TEST

START_TEST(test_since_after_eviction)
{
	struct ring *r = ring_new(4);
	uint64_t pos, oldest;

	for (uint64_t h = 1; h <= 10; h++)
		ring_push(r, ev_new(EV_BLOCK, h));
	ck_assert_int_eq(ring_find_since(r, 6, &pos, &oldest), RING_SINCE_TOO_OLD);
	ck_assert_uint_eq(oldest, 7);
	ck_assert_int_eq(ring_find_since(r, 7, &pos, &oldest), RING_SINCE_OK);
	ck_assert_uint_eq(pos, 6);
	ring_destroy(&r);
}
END_TEST

static struct bc_event *ev_seq(enum ev_kind kind, uint64_t height,
			       uint64_t seq)
{
	struct bc_event *ev = ev_new(kind, height);

	ev->seq = seq;
	return ev;
}

/* since_seq: the ring must hold an event at or below the seq (nothing
 * dropped after it); gaps (no seq) are neither. */
START_TEST(test_find_seq)
{
	struct ring *r = ring_new(4);
	uint64_t pos = 99;

	ck_assert_int_eq(ring_find_seq(r, 5, &pos), 0);
	ck_assert_uint_eq(pos, 0);
	ring_push(r, ev_seq(EV_BLOCK, 10, 10));
	ring_push(r, ev_seq(EV_GAP, 0, 0));
	ring_push(r, ev_seq(EV_REORG, 9, 11));
	ring_push(r, ev_seq(EV_BLOCK, 9, 12));
	ck_assert_int_eq(ring_find_seq(r, 9, &pos), 0); /* older than kept */
	ck_assert_uint_eq(pos, 0);
	ck_assert_int_eq(ring_find_seq(r, 10, &pos), 1);
	ck_assert_uint_eq(pos, 2); /* the reorg, past the gap */
	ck_assert_int_eq(ring_find_seq(r, 11, &pos), 1);
	ck_assert_uint_eq(pos, 3);
	ck_assert_int_eq(ring_find_seq(r, 12, &pos), 1);
	ck_assert_uint_eq(pos, 4); /* live: nothing to replay */
	/* The block at seq 10 leaves: seq 10 is no longer provably kept. */
	ring_push(r, ev_seq(EV_BLOCK, 10, 13));
	ck_assert_int_eq(ring_find_seq(r, 10, &pos), 0);
	ck_assert_int_eq(ring_find_seq(r, 11, &pos), 1);
	ring_destroy(&r);
}
END_TEST

/* since_seq where the seqs started over (a new database's epochs, a
 * removed --state file: events.c lets a lower block seq through): a seq
 * of the old stream goes on through the new one, not past it; the seam
 * of a replay from the database likewise. */
START_TEST(test_find_seq_started_over)
{
	struct ring *r = ring_new(8);
	uint64_t pos = 99;

	ring_push(r, ev_seq(EV_BLOCK, 1, 100));
	ring_push(r, ev_seq(EV_BLOCK, 2, 101));
	ring_push(r, ev_seq(EV_BLOCK, 3, 102));
	ring_push(r, ev_seq(EV_GAP, 0, 0));
	ring_push(r, ev_seq(EV_BLOCK, 3, 5)); /* started over */
	ring_push(r, ev_seq(EV_REORG, 2, 6));
	ring_push(r, ev_seq(EV_BLOCK, 3, 7));
	ck_assert_int_eq(ring_find_seq(r, 101, &pos), 1);
	ck_assert_uint_eq(pos, 2);
	/* the old stream's last: the new stream, all of it */
	ck_assert_int_eq(ring_find_seq(r, 102, &pos), 1);
	ck_assert_uint_eq(pos, 4);
	/* the new stream's seqs */
	ck_assert_int_eq(ring_find_seq(r, 5, &pos), 1);
	ck_assert_uint_eq(pos, 5);
	ck_assert_int_eq(ring_find_seq(r, 7, &pos), 1);
	ck_assert_uint_eq(pos, 7);
	/* above every seq held: live */
	ck_assert_int_eq(ring_find_seq(r, 300, &pos), 1);
	ck_assert_uint_eq(pos, 7);
	/* below the old stream's first, and no run spans it: not kept */
	ck_assert_int_eq(ring_find_seq(r, 50, &pos), 0);
	ck_assert_int_eq(ring_find_seq(r, 99, &pos), 0);
	ck_assert_int_eq(ring_find_seq(r, 4, &pos), 0);
	/* a replay from the database (its seqs the new stream's, the
	 * database emptied) meets the ring in the new stream, not in the
	 * old one's higher seqs */
	ck_assert_uint_eq(ring_find_seq_room(r, 6, 0), 6);
	ck_assert_uint_eq(ring_find_seq_room(r, 3, 0), 4);
	ck_assert_uint_eq(ring_find_seq_room(r, 7, 0), 7);
	ring_destroy(&r);
}
END_TEST

/* The seam of a replay from the database: the first block or reorg
 * above the seq that `room` more pushes leave in the ring, not the
 * tail's, which the next push drops. */
START_TEST(test_find_seq_room)
{
	struct ring *r = ring_new(6);

	ck_assert_uint_eq(ring_find_seq_room(r, 0, 2), 0);
	for (uint64_t i = 0; i < 3; i++)
		ring_push(r, ev_seq(EV_BLOCK, 100 + i, 10 + i));
	/* Not full: 3 free slots, every event lasts 3 pushes. */
	ck_assert_uint_eq(ring_find_seq_room(r, 0, 3), 0);
	ck_assert_uint_eq(ring_find_seq_room(r, 10, 3), 1);
	ck_assert_int_eq(ring_keeps(r, 0, 3), 1);
	ck_assert_int_eq(ring_keeps(r, 0, 4), 0);
	ring_push(r, ev_seq(EV_GAP, 0, 0));
	ring_push(r, ev_seq(EV_REORG, 102, 13));
	ring_push(r, ev_seq(EV_BLOCK, 103, 14));
	/* Full (0..5): 2 pushes drop 0 and 1; the gap at 3 has no seq. */
	ck_assert_uint_eq(ring_find_seq_room(r, 0, 0), 0);
	ck_assert_uint_eq(ring_find_seq_room(r, 0, 2), 2);
	ck_assert_uint_eq(ring_find_seq_room(r, 0, 3), 4);
	ck_assert_uint_eq(ring_find_seq_room(r, 13, 1), 5);
	ck_assert_uint_eq(ring_find_seq_room(r, 14, 1), 6); /* none: head */
	ck_assert_uint_eq(ring_find_seq_room(r, 0, 6), 6);  /* no room */
	ck_assert_int_eq(ring_keeps(r, 2, 2), 1);
	ck_assert_int_eq(ring_keeps(r, 1, 2), 0);
	ck_assert_int_eq(ring_keeps(r, 6, 0), 0); /* not pushed yet */
	ring_push(r, ev_seq(EV_BLOCK, 104, 15));
	ck_assert_int_eq(ring_keeps(r, 0, 0), 0); /* dropped */
	ck_assert_uint_eq(ring_find_seq_room(r, 0, 2), 4); /* 3 is the gap */
	ring_destroy(&r);
}
END_TEST

START_TEST(test_clear)
{
	struct ring *r = ring_new(4);

	for (uint64_t i = 0; i < 3; i++)
		ring_push(r, ev_new(EV_BLOCK, i));
	ring_clear(r);
	ck_assert_uint_eq(ring_tail(r), 3);
	ck_assert_uint_eq(ring_head(r), 3);
	ck_assert_ptr_null(ring_get(r, 2));
	ck_assert_uint_eq(ring_push(r, ev_new(EV_BLOCK, 7)), 3);
	ck_assert_uint_eq(ring_get(r, 3)->height, 7);
	ring_destroy(&r);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_wraps_many_times);
	tcase_add_test(tc, test_since);
	tcase_add_test(tc, test_since_after_eviction);
	tcase_add_test(tc, test_find_seq);
	tcase_add_test(tc, test_find_seq_started_over);
	tcase_add_test(tc, test_find_seq_room);
	tcase_add_test(tc, test_clear);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
