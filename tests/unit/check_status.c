/* The broadcaster's /v1/status: what each stage's messages make of its
 * state (unknown, ok, behind, stalled), the lag, reorgs and gaps newest
 * first; and events_seen(), which feeds it from the messages read. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
/* By path: other programs' folders are on the include path too. */
#include "../../broadcaster/events.h"
#include "../../broadcaster/status.h"

#define T0 1764000000000LL

static yajl_val render(struct bc_status *st, int64_t now, int has_head,
		       uint64_t head)
{
	struct status_view v = { 0 };
	struct buf b = BUF_INIT;
	char err[256];
	yajl_val doc;

	v.now_ms = now;
	v.has_node_head = has_head;
	v.node_head = head;
	ck_assert_int_eq(status_render(st, &b, &v), 0);
	ck_assert_int_eq(buf_addch(&b, '\0'), 0);
	doc = yajl_tree_parse(b.data, err, sizeof(err));
	ck_assert_msg(doc != NULL, "invalid JSON: %s: %s", err, b.data);
	buf_release(&b);
	return doc;
}

static yajl_val get(yajl_val v, const char *a, const char *b)
{
	const char *path[] = { a, b, NULL };

	return yajl_tree_get(v, path, yajl_t_any);
}

/* A string member, "" when absent or not a string. */
static const char *str(yajl_val v, const char *key)
{
	yajl_val s = get(v, key, NULL);
	const char *p = s && YAJL_IS_STRING(s) ? YAJL_GET_STRING(s) : NULL;

	return p ? p : "";
}

/* The stage named name (a writer: name "writer", id). */
static yajl_val stage(yajl_val doc, const char *name, const char *id)
{
	yajl_val arr = get(doc, "stages", NULL);

	ck_assert(arr && YAJL_IS_ARRAY(arr));
	for (size_t i = 0; i < YAJL_GET_ARRAY(arr)->len; i++) {
		yajl_val s = YAJL_GET_ARRAY(arr)->values[i];

		if (strcmp(str(s, "name"), name))
			continue;
		if (!id || !strcmp(str(s, "id"), id))
			return s;
	}
	return NULL;
}

static const char *state(yajl_val doc, const char *name, const char *id)
{
	yajl_val s = stage(doc, name, id);

	ck_assert_msg(s != NULL, "no stage %s %s", name, id ? id : "");
	return str(s, "state");
}

static long long num(yajl_val doc, const char *a, const char *b)
{
	yajl_val v = get(doc, a, b);

	ck_assert_msg(v && YAJL_IS_INTEGER(v), "%s.%s not a number", a, b ? b : "");
	return YAJL_GET_INTEGER(v);
}

static void heartbeat(struct bc_status *st, int64_t at, uint64_t tip)
{
	struct ev_seen s = { .type = MESSAGE_HEARTBEAT };

	s.u.heartbeat.has_tip = true;
	s.u.heartbeat.tip.number = tip;
	s.u.heartbeat.has_time = true;
	s.u.heartbeat.time = (uint64_t)at;
	status_note(st, "tcp://verifier", &s, at);
}

static void block(struct bc_status *st, int64_t at, uint64_t number)
{
	struct ev_seen s = { .type = MESSAGE_BLOCK };

	s.u.block.number = number;
	s.u.block.live = true;
	s.u.block.has_fetched_at = s.u.block.has_emitted_at = true;
	s.u.block.fetched_at = (uint64_t)at - 20;
	s.u.block.emitted_at = (uint64_t)at - 5;
	status_note(st, "tcp://verifier", &s, at);
}

static void committed(struct bc_status *st, int64_t at, const char *id,
		      uint64_t watermark)
{
	struct ev_seen s = { .type = MESSAGE_COMMITTED };

	snprintf(s.u.committed.writer, sizeof(s.u.committed.writer), "%s", id);
	s.u.committed.has_watermark = s.u.committed.has_to = true;
	s.u.committed.watermark = s.u.committed.to = watermark;
	s.u.committed.blocks = 1;
	status_note(st, "tcp://writer", &s, at);
}

/* Blocks and heartbeats every second up to height tip at T0 + n s, and
 * writer w1 committing each one. */
static void run_chain(struct bc_status *st, int n)
{
	for (int i = 0; i <= n; i++) {
		int64_t at = T0 + i * 1000;

		block(st, at, (uint64_t)(100 + i));
		heartbeat(st, at + 10, (uint64_t)(100 + i));
		committed(st, at + 50, "w1", (uint64_t)(100 + i));
	}
}

START_TEST(test_unknown_before_messages)
{
	struct bc_status *st = status_new();
	yajl_val doc = render(st, T0, 0, 0);

	ck_assert_str_eq(state(doc, "fetcher", NULL), "unknown");
	ck_assert_str_eq(state(doc, "verifier", NULL), "unknown");
	ck_assert_str_eq(state(doc, "broadcaster", NULL), "unknown");
	ck_assert(stage(doc, "writer", NULL) == NULL);
	ck_assert(YAJL_IS_NULL(get(doc, "lag_blocks", NULL)));
	ck_assert(YAJL_IS_NULL(get(doc, "head", NULL)));
	yajl_tree_free(doc);
	status_destroy(&st);
	ck_assert_ptr_null(st);
}
END_TEST

START_TEST(test_all_ok_and_lag)
{
	struct bc_status *st = status_new();
	yajl_val doc, w;

	run_chain(st, 5);
	doc = render(st, T0 + 5200, 1, 108);
	ck_assert_str_eq(state(doc, "fetcher", NULL), "ok");
	ck_assert_str_eq(state(doc, "verifier", NULL), "ok");
	ck_assert_str_eq(state(doc, "writer", "w1"), "ok");
	ck_assert_str_eq(state(doc, "broadcaster", NULL), "ok");
	ck_assert_int_eq(num(doc, "head", NULL), 108);
	ck_assert_str_eq(str(doc, "head_source"), "node");
	ck_assert_int_eq(num(doc, "tip", NULL), 105);
	ck_assert_int_eq(num(doc, "watermark", NULL), 105);
	ck_assert_int_eq(num(doc, "lag_blocks", NULL), 3);
	w = stage(doc, "writer", "w1");
	ck_assert_int_eq(YAJL_GET_INTEGER(get(w, "interval_ms", NULL)), 1000);
	ck_assert_int_eq(YAJL_GET_INTEGER(get(w, "age_ms", NULL)), 150);
	ck_assert_int_eq(YAJL_GET_INTEGER(get(w, "position", NULL)), 105);
	ck_assert_int_eq(YAJL_GET_INTEGER(get(stage(doc, "fetcher", NULL),
					      "fetched_at", NULL)),
			 T0 + 5000 - 20);
	yajl_tree_free(doc);
	/* Without a node: the verifier's tip is the head. */
	doc = render(st, T0 + 5200, 0, 0);
	ck_assert_str_eq(str(doc, "head_source"), "verifier");
	ck_assert_int_eq(num(doc, "lag_blocks", NULL), 0);
	yajl_tree_free(doc);
	status_destroy(&st);
}
END_TEST

START_TEST(test_writer_stalls_while_the_chain_moves)
{
	struct bc_status *st = status_new();
	yajl_val doc;

	run_chain(st, 5);
	for (int i = 0; i <= 5; i++)
		committed(st, T0 + i * 1000 + 60, "w2", (uint64_t)(100 + i));
	/* The chain goes on; w2 is silent from 5.06 s. */
	for (int i = 6; i <= 9; i++) {
		block(st, T0 + i * 1000, (uint64_t)(100 + i));
		heartbeat(st, T0 + i * 1000 + 10, (uint64_t)(100 + i));
		committed(st, T0 + i * 1000 + 50, "w1", (uint64_t)(100 + i));
	}
	/* 2.9 s after its last commit: not yet (at least 3 s). */
	doc = render(st, T0 + 7960, 1, 107);
	ck_assert_str_eq(state(doc, "writer", "w2"), "ok");
	yajl_tree_free(doc);
	doc = render(st, T0 + 9100, 1, 109);
	ck_assert_str_eq(state(doc, "writer", "w2"), "stalled");
	ck_assert_str_eq(state(doc, "writer", "w1"), "ok");
	ck_assert_str_eq(state(doc, "verifier", NULL), "ok");
	ck_assert_int_eq(num(doc, "watermark", NULL), 109);
	yajl_tree_free(doc);
	status_destroy(&st);
}
END_TEST

START_TEST(test_quiet_chain_is_not_a_stall)
{
	struct bc_status *st = status_new();
	yajl_val doc;

	run_chain(st, 5);
	/* No block for a minute; heartbeats go on. */
	for (int i = 6; i <= 65; i++)
		heartbeat(st, T0 + i * 1000, 105);
	doc = render(st, T0 + 65500, 1, 105);
	ck_assert_str_eq(state(doc, "writer", "w1"), "ok");
	ck_assert_str_eq(state(doc, "fetcher", NULL), "ok");
	ck_assert_str_eq(state(doc, "verifier", NULL), "ok");
	yajl_tree_free(doc);
	/* The node moves on without the fetcher. */
	doc = render(st, T0 + 65500, 1, 107);
	ck_assert_str_eq(state(doc, "fetcher", NULL), "stalled");
	yajl_tree_free(doc);
	/* The verifier stops too. */
	doc = render(st, T0 + 70000, 1, 105);
	ck_assert_str_eq(state(doc, "verifier", NULL), "stalled");
	yajl_tree_free(doc);
	status_destroy(&st);
}
END_TEST

START_TEST(test_behind)
{
	struct bc_status *st = status_new();
	yajl_val doc;

	run_chain(st, 20);
	committed(st, T0 + 20100, "w3", 110);
	doc = render(st, T0 + 20200, 1, 140);
	ck_assert_str_eq(state(doc, "writer", "w3"), "behind");
	ck_assert_str_eq(state(doc, "fetcher", NULL), "behind");
	ck_assert_str_eq(state(doc, "verifier", NULL), "behind");
	yajl_tree_free(doc);
	status_destroy(&st);
}
END_TEST

START_TEST(test_reorgs_and_gaps_newest_first)
{
	struct bc_status *st = status_new();
	yajl_val doc, rec, r0;

	for (int i = 0; i < 40; i++) {
		struct ev_seen s = { .type = MESSAGE_REORG };

		s.u.reorg.depth = (uint64_t)(i % 5 + 1);
		s.u.reorg.has_ancestor = true;
		s.u.reorg.ancestor.number = (uint64_t)(1000 + i);
		snprintf(s.u.reorg.ancestor.hash, sizeof(s.u.reorg.ancestor.hash),
			 "0x%064x", i);
		status_note(st, "tcp://verifier", &s, T0 + i);
	}
	status_gap(st, "tcp://verifier", "block", 3, T0 + 50);
	status_gap(st, "tcp://writer", "committed", 2, T0 + 60);
	doc = render(st, T0 + 100, 0, 0);
	ck_assert_int_eq(num(doc, "reorgs", "total"), 40);
	rec = get(doc, "reorgs", "recent");
	ck_assert_uint_eq(YAJL_GET_ARRAY(rec)->len, 32);
	r0 = YAJL_GET_ARRAY(rec)->values[0];
	ck_assert_int_eq(YAJL_GET_INTEGER(get(r0, "ancestor", "number")), 1039);
	ck_assert_int_eq(YAJL_GET_INTEGER(get(r0, "depth", NULL)), 5);
	ck_assert_int_eq(YAJL_GET_INTEGER(get(YAJL_GET_ARRAY(rec)->values[31],
					      "ancestor", "number")), 1008);
	ck_assert_int_eq(num(doc, "gaps", "total"), 2);
	ck_assert_int_eq(num(doc, "gaps", "lost"), 5);
	rec = get(doc, "gaps", "recent");
	ck_assert_str_eq(str(YAJL_GET_ARRAY(rec)->values[0], "topic"), "committed");
	yajl_tree_free(doc);
	status_destroy(&st);
}
END_TEST

START_TEST(test_events_seen)
{
	static const char hb[] =
		"{\"type\":\"heartbeat\",\"chain_id\":1,\"seq\":7,\"prog\":\"verifier\","
		"\"time\":1700000000000,\"tip\":{\"number\":42,\"hash\":\"0x"
		"1111111111111111111111111111111111111111111111111111111111111111\"}}";
	static const char cm[] =
		"{\"type\":\"committed\",\"chain_id\":1,\"writer\":\"w9\",\"from\":40,"
		"\"to\":42,\"blocks\":3,\"watermark\":41,\"time\":1700000000001}";
	static const char bad[] = "{\"type\":\"heartbeat\",\"chain_id\":1,\"chain_id\":2}";
	struct events_opts o = { .keep_blocks = 8 };
	struct events *e = events_new(&o);
	struct bc_event *ev = NULL;
	char why[256];
	const struct ev_seen *s;

	ck_assert_int_eq(events_build(e, hb, sizeof(hb) - 1, &ev, why, sizeof(why)),
			 EV_RES_OK);
	ev_free(ev);
	s = events_seen(e);
	ck_assert_int_eq(s->type, MESSAGE_HEARTBEAT);
	ck_assert_uint_eq(s->u.heartbeat.tip.number, 42);
	ck_assert_int_eq(events_build(e, cm, sizeof(cm) - 1, &ev, why, sizeof(why)),
			 EV_RES_SKIP);
	ck_assert_ptr_null(ev);
	ck_assert_int_eq(s->type, MESSAGE_COMMITTED);
	ck_assert_str_eq(s->u.committed.writer, "w9");
	ck_assert_uint_eq(s->u.committed.watermark, 41);
	ck_assert_int_eq(events_build(e, bad, sizeof(bad) - 1, &ev, why, sizeof(why)),
			 EV_RES_DUPLICATE);
	ck_assert_int_eq(s->type, MESSAGE_OTHER);
	events_destroy(&e);
}
END_TEST

static Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_unknown_before_messages);
	tcase_add_test(tc, test_all_ok_and_lag);
	tcase_add_test(tc, test_writer_stalls_while_the_chain_moves);
	tcase_add_test(tc, test_quiet_chain_is_not_a_stall);
	tcase_add_test(tc, test_behind);
	tcase_add_test(tc, test_reorgs_and_gaps_newest_first);
	tcase_add_test(tc, test_events_seen);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(status_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
