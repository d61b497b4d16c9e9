/* The broadcaster's events: verifier messages into frames (newHeads
 * header, logs with "removed", channel messages), reorgs re-sending
 * orphaned logs, PUB counter gaps, hex to decimal, and log filters. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json.h"
/* By path: other programs' folders are on the include path too. */
#include "events.h"
#include "filter.h"

#define A1 "0x1111111111111111111111111111111111111111"
#define A2 "0x2222222222222222222222222222222222222222"
#define T1 "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T2 "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define T3 "0xcccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* A block message at height n with hash byte h, parent byte p; one tx
 * with two logs (A1 [T1,T2], A2 [T3]). */
static char *block_msg(unsigned n, int h, int p, int live)
{
	static char buf[8192];
	char hash[HASH_HEX_SIZE], parent[HASH_HEX_SIZE];

	snprintf(hash, sizeof(hash), "0x%064x", h);
	snprintf(parent, sizeof(parent), "0x%064x", p);
	snprintf(buf, sizeof(buf),
		 "{\"type\":\"block\",\"chain_id\":31337,\"number\":%u,"
		 "\"hash\":\"%s\",\"parent_hash\":\"%s\",\"live\":%s,"
		 "\"seq\":%u,\"emitted_at\":1700000000000,"
		 "\"block\":{\"number\":\"0x%x\",\"hash\":\"%s\","
		 "\"parentHash\":\"%s\",\"timestamp\":\"0x10\","
		 "\"miner\":\"" A1 "\",\"gasUsed\":\"0x5208\","
		 "\"transactions\":[{\"hash\":\"%s\",\"from\":\"" A1 "\","
		 "\"to\":null,\"value\":\"0xde0b6b3a7640000\"}]},"
		 "\"receipts\":[{\"logs\":["
		 "{\"address\":\"" A1 "\",\"topics\":[\"" T1 "\",\"" T2 "\"],"
		 "\"data\":\"0x\",\"logIndex\":\"0x0\",\"removed\":false},"
		 "{\"address\":\"" A2 "\",\"topics\":[\"" T3 "\"],"
		 "\"data\":\"0x01\",\"logIndex\":\"0x1\"}]}]}",
		 n, hash, parent, live ? "true" : "false", n, n, hash, parent,
		 hash);
	return buf;
}

static struct events *new_events(int backfill)
{
	struct events_opts o = { .backfill = backfill, .keep_blocks = 8 };
	struct events *e = events_new(&o);

	ck_assert_ptr_nonnull(e);
	return e;
}

static struct bc_event *build_ok(struct events *e, const char *msg)
{
	struct bc_event *ev = NULL;
	char why[256] = "";
	enum ev_result r = events_build(e, msg, strlen(msg), &ev, why,
					sizeof(why));

	ck_assert_msg(r == EV_RES_OK, "not built: %s", why);
	ck_assert_ptr_nonnull(ev);
	return ev;
}

START_TEST(test_block)
{
	struct events *e = new_events(0);
	struct bc_event *ev = build_ok(e, block_msg(5, 5, 4, 1));
	yajl_val v;
	char err[64];

	ck_assert_int_eq(ev->kind, EV_BLOCK);
	ck_assert_uint_eq(ev->height, 5);
	ck_assert_uint_eq(ev->seq, 5);
	ck_assert_uint_eq(ev->chain_id, 31337);
	ck_assert_int_eq(ev->emitted_at, 1700000000000LL);
	/* newHeads: the block without transactions. */
	ck_assert_ptr_null(strstr(ev->eth_head.data, "transactions"));
	v = json_parse(ev->eth_head.data, err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_get_str(v, "number"), "0x5");
	ck_assert_str_eq(json_get_str(v, "gasUsed"), "0x5208");
	yajl_tree_free(v);
	/* newBlock. */
	ck_assert_str_eq(ev->chan_main.data,
		"{\"type\":\"newBlock\",\"seq\":5,\"data\":{\"height\":5,"
		"\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000005\","
		"\"parent_hash\":\"0x0000000000000000000000000000000000000000000000000000000000000004\","
		"\"tx_count\":1,\"timestamp\":16,\"miner\":\"" A1 "\",\"gas_used\":21000}}");
	ck_assert_ptr_nonnull(strstr(ev->chan_txs.data,
		"\"from_addr\":\"" A1 "\",\"to_addr\":null,"
		"\"value_wei\":\"1000000000000000000\",\"block_height\":5"));
	/* Logs: the node's object with removed false, twice over. */
	ck_assert_uint_eq(ev->nlogs, 2);
	ck_assert_str_eq(ev->logs[1].eth.data,
		"{\"address\":\"" A2 "\",\"topics\":[\"" T3 "\"],"
		"\"data\":\"0x01\",\"logIndex\":\"0x1\",\"removed\":false}");
	ck_assert_ptr_nonnull(strstr(ev->logs[0].eth.data, "\"logIndex\":\"0x0\",\"removed\":false}"));
	ck_assert_ptr_null(strstr(ev->logs[0].eth.data, "\"removed\":false,"));
	ck_assert_int_eq(ev->logs[0].key.ntopics, 2);
	ck_assert_int_eq(ev->logs[0].key.address[0], 0x11);
	ck_assert_ptr_nonnull(strstr(ev->logs[0].chan.data, "{\"type\":\"newLog\",\"seq\":5,\"data\":{"));
	ev_free(ev);
	events_destroy(&e);
	ck_assert_ptr_null(e);
}
END_TEST

START_TEST(test_skips)
{
	struct events *e = new_events(0);
	struct bc_event *ev = NULL;
	char why[256];
	const char *m = block_msg(5, 5, 4, 0);

	ck_assert_int_eq(events_build(e, m, strlen(m), &ev, why, sizeof(why)),
			 EV_RES_SKIP);
	ck_assert_ptr_nonnull(strstr(why, "backfill"));
	ev_free(build_ok(e, block_msg(6, 6, 5, 1)));
	m = block_msg(6, 6, 5, 1);
	ck_assert_int_eq(events_build(e, m, strlen(m), &ev, why, sizeof(why)),
			 EV_RES_SKIP);
	ck_assert_ptr_nonnull(strstr(why, "already"));
	m = "{\"type\":\"committed\",\"chain_id\":1}";
	ck_assert_int_eq(events_build(e, m, strlen(m), &ev, why, sizeof(why)),
			 EV_RES_SKIP);
	events_destroy(&e);

	e = new_events(1);
	ev_free(build_ok(e, block_msg(5, 5, 4, 0)));
	events_destroy(&e);
}
END_TEST

static const char *const bad_msgs[] = {
	"",
	"nonsense",
	"[1,2]",
	"{\"type\":\"block\"",
	"{\"chain_id\":1}",
	"{\"type\":\"block\",\"number\":1,\"block\":{}}",
	"{\"type\":\"block\",\"number\":1,\"hash\":\"0x12\",\"block\":{}}",
	"{\"type\":\"block\",\"number\":\"x\",\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"block\":{}}",
	"{\"type\":\"block\",\"number\":1,\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"block\":[]}",
	"{\"type\":\"block\",\"number\":1,\"live\":true,\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"block\":{},\"receipts\":[{\"logs\":[{\"address\":\"0x12\"}]}]}",
	"{\"type\":\"reorg\",\"ancestor\":{}}",
};

START_TEST(test_bad)
{
	struct events *e = new_events(0);
	struct bc_event *ev = NULL;
	char why[256] = "";
	const char *m = bad_msgs[_i];

	ck_assert_msg(events_build(e, m, strlen(m), &ev, why, sizeof(why)) ==
		      EV_RES_BAD, "accepted: %s", m);
	ck_assert_ptr_null(ev);
	ck_assert(why[0]);
	events_destroy(&e);
}
END_TEST

START_TEST(test_reorg)
{
	struct events *e = new_events(0);
	struct bc_event *ev;
	char hash[HASH_HEX_SIZE];
	const char *m;
	char msg[1024];

	for (unsigned n = 1; n <= 4; n++)
		ev_free(build_ok(e, block_msg(n, (int)n, (int)n - 1, 1)));
	snprintf(hash, sizeof(hash), "0x%064x", 2);
	snprintf(msg, sizeof(msg),
		 "{\"type\":\"reorg\",\"chain_id\":31337,\"seq\":9,"
		 "\"ancestor\":{\"number\":2,\"hash\":\"%s\"},"
		 "\"orphaned\":[{\"number\":3,\"hash\":\"0x%064x\"},"
		 "{\"number\":4,\"hash\":\"0x%064x\"}],\"depth\":2,"
		 "\"invalidate_from\":3,\"invalidate_to\":4}",
		 hash, 3, 4);
	ev = build_ok(e, msg);
	ck_assert_int_eq(ev->kind, EV_REORG);
	ck_assert_uint_eq(ev->height, 3);
	ck_assert_uint_eq(ev->nlogs, 4);
	/* Undo order: block 4's last log first. */
	ck_assert_ptr_nonnull(strstr(ev->logs[0].eth.data, "\"logIndex\":\"0x1\",\"removed\":true}"));
	ck_assert_ptr_nonnull(strstr(ev->logs[3].eth.data, "\"logIndex\":\"0x0\",\"removed\":true}"));
	ck_assert_ptr_nonnull(strstr(ev->logs[0].chan.data, "\"seq\":9"));
	ck_assert_ptr_nonnull(strstr(ev->chan_main.data,
		"{\"type\":\"reorg\",\"seq\":9,\"data\":{\"chain_id\":31337,"));
	ev_free(ev);
	/* The same reorg again (its seq already read) is not passed on;
	 * the new branch at heights 3 and 4 is new. */
	ck_assert_int_eq(events_build(e, msg, strlen(msg), &ev, hash,
				      sizeof(hash)), EV_RES_REPEAT);
	ck_assert_ptr_null(ev);
	ev_free(build_ok(e, block_msg(3, 0x33, 2, 1)));
	m = block_msg(3, 0x33, 2, 1);
	ck_assert_int_eq(events_build(e, m, strlen(m), &ev, msg, sizeof(msg)),
			 EV_RES_SKIP);
	events_destroy(&e);
}
END_TEST

/* A depth-1 reorg at height 4 over ancestor 3 (hash byte 3), orphaning
 * the block of hash byte orph. */
static const char *reorg_at_4(char *buf, size_t n, unsigned seq, int orph)
{
	snprintf(buf, n,
		 "{\"type\":\"reorg\",\"chain_id\":31337,\"seq\":%u,"
		 "\"ancestor\":{\"number\":3,\"hash\":\"0x%064x\"},"
		 "\"orphaned\":[{\"number\":4,\"hash\":\"0x%064x\"}],"
		 "\"depth\":1,\"invalidate_from\":4,\"invalidate_to\":4}",
		 seq, 3, orph);
	return buf;
}

/* The tip of a reorg's new branch orphaned by the next reorg: its logs
 * are undone too. */
START_TEST(test_reorg_of_a_new_branch)
{
	struct events *e = new_events(0);
	struct bc_event *ev;
	char msg[1024];

	for (unsigned n = 1; n <= 4; n++)
		ev_free(build_ok(e, block_msg(n, (int)n, (int)n - 1, 1)));
	ev = build_ok(e, reorg_at_4(msg, sizeof(msg), 9, 4));
	ck_assert_uint_eq(ev->nlogs, 2);
	ev_free(ev);
	ev_free(build_ok(e, block_msg(4, 0x44, 3, 1)));
	ev = build_ok(e, reorg_at_4(msg, sizeof(msg), 11, 0x44));
	ck_assert_uint_eq(ev->nlogs, 2);
	ev_free(ev);
	events_destroy(&e);
}
END_TEST

static enum ev_result build_why(struct events *e, const char *msg,
				struct bc_event **ev, char *why, size_t n)
{
	*ev = NULL;
	return events_build(e, msg, strlen(msg), ev, why, n);
}

/* msg (block_msg's) with its seq set to seq. */
static const char *with_seq(const char *msg, unsigned seq)
{
	static char out[8192];
	const char *p = strstr(msg, "\"seq\":"), *q = p ? strchr(p, ',') : NULL;

	ck_assert_ptr_nonnull(q);
	snprintf(out, sizeof(out), "%.*s\"seq\":%u%s", (int)(p - msg), msg,
		 seq, q);
	return out;
}

/* The rule for a reorg a verifier sends again after a restart (same
 * seq): passed on when no message with its seq or a higher one was
 * read (it never went out: the clients still hold the orphans), refused
 * otherwise (they had it, or the new branch after it replaced the
 * orphans: undone again, the new branch's logs would be taken back). */
START_TEST(test_reorg_sent_again)
{
	struct events *e = new_events(0);
	struct bc_event *ev;
	char msg[1024], why[256];
	unsigned hb = 20;

	/* blocks 1..4 with seqs 1..4; the reorg of seq 9 never came */
	for (unsigned n = 1; n <= 4; n++)
		ev_free(build_ok(e, block_msg(n, (int)n, (int)n - 1, 1)));
	/* sent again by the next verifier: the orphan's logs are undone */
	ev = build_ok(e, reorg_at_4(msg, sizeof(msg), 9, 4));
	ck_assert_uint_eq(ev->seq, 9);
	ck_assert_uint_eq(ev->nlogs, 2);
	ev_free(ev);
	/* the new branch's tip (a later seq) ... */
	ev_free(build_ok(e, with_seq(block_msg(4, 0x44, 3, 1), 10)));
	/* ... and the same reorg once more (a verifier killed after the
	 * send, before marking it sent): refused, the tip's logs stay */
	ck_assert_int_eq(build_why(e, reorg_at_4(msg, sizeof(msg), 9, 4), &ev,
				   why, sizeof(why)), EV_RES_REPEAT);
	ck_assert_ptr_null(ev);
	ck_assert_ptr_nonnull(strstr(why, "seq 9"));
	/* a lower seq than one already read is refused as well */
	ck_assert_int_eq(build_why(e, reorg_at_4(msg, sizeof(msg), 8, 0x44),
				   &ev, why, sizeof(why)), EV_RES_REPEAT);
	/* a heartbeat's seq counts: a reorg below it was sent before it */
	snprintf(msg, sizeof(msg), "{\"type\":\"heartbeat\",\"chain_id\":"
		 "31337,\"seq\":%u,\"prog\":\"verifier\",\"time\":1,"
		 "\"tip\":null}", hb);
	ev_free(build_ok(e, msg));
	ck_assert_int_eq(build_why(e, reorg_at_4(msg, sizeof(msg), hb, 0x44),
				   &ev, why, sizeof(why)), EV_RES_REPEAT);
	/* the next reorg, above everything read, undoes the tip */
	ev = build_ok(e, reorg_at_4(msg, sizeof(msg), hb + 1, 0x44));
	ck_assert_uint_eq(ev->nlogs, 2);
	ev_free(ev);
	/* a reorg without seq (a hand-made stream) is not subject to it */
	ev = build_ok(e, "{\"type\":\"reorg\",\"chain_id\":31337,"
		      "\"ancestor\":{\"number\":3,\"hash\":\"0x" 
		      "0000000000000000000000000000000000000000000000000000000000000003\"},"
		      "\"orphaned\":[],\"depth\":1,\"invalidate_from\":4,"
		      "\"invalidate_to\":4}");
	ev_free(ev);
	events_destroy(&e);
}
END_TEST

/* The seqs started over (the database emptied under a running
 * broadcaster, the verifier started again): a block below the highest
 * seq read lowers it, so that the new stream's reorgs are broadcast, not
 * taken for reorgs sent again. */
START_TEST(test_seq_started_over)
{
	struct events *e = new_events(0);
	struct bc_event *ev;
	char msg[1024], why[256];

	for (unsigned n = 1; n <= 4; n++)
		ev_free(build_ok(e, with_seq(block_msg(n, (int)n, (int)n - 1, 1),
					     100 + n)));
	ck_assert_uint_eq(events_seen(e)->seq_back_from, 0);
	/* the new verifier's first block, another block 4 */
	ev_free(build_ok(e, with_seq(block_msg(4, 0x44, 3, 1), 5)));
	ck_assert_uint_eq(events_seen(e)->seq_back_from, 104);
	snprintf(msg, sizeof(msg), "{\"type\":\"heartbeat\",\"chain_id\":"
		 "31337,\"seq\":6,\"prog\":\"verifier\",\"time\":1,"
		 "\"tip\":null}");
	ev_free(build_ok(e, msg));
	ck_assert_uint_eq(events_seen(e)->seq_back_from, 0);
	/* its first reorg: broadcast, the new block 4's logs undone */
	ev = build_ok(e, reorg_at_4(msg, sizeof(msg), 7, 0x44));
	ck_assert_uint_eq(ev->nlogs, 2);
	ev_free(ev);
	ck_assert_uint_eq(events_seen(e)->seq_back_from, 0);
	/* sent again: refused, as any reorg at or below the highest seq */
	ck_assert_int_eq(build_why(e, reorg_at_4(msg, sizeof(msg), 7, 0x44),
				   &ev, why, sizeof(why)), EV_RES_REPEAT);
	/* a reorg below the highest seq does not start it over */
	ck_assert_int_eq(build_why(e, reorg_at_4(msg, sizeof(msg), 3, 0x44),
				   &ev, why, sizeof(why)), EV_RES_REPEAT);
	ck_assert_uint_eq(events_seen(e)->seq_back_from, 0);
	ck_assert_int_eq(build_why(e, reorg_at_4(msg, sizeof(msg), 7, 0x44),
				   &ev, why, sizeof(why)), EV_RES_REPEAT);
	events_destroy(&e);
}
END_TEST

/* A reorg down to block 0 has a null ancestor: every block held is
 * orphaned, and the new branch starts at height 0. */
START_TEST(test_reorg_null_ancestor)
{
	struct events *e = new_events(0);
	struct bc_event *ev;

	for (unsigned n = 0; n <= 2; n++)
		ev_free(build_ok(e, block_msg(n, (int)n + 1, (int)n, 1)));
	ev = build_ok(e, "{\"type\":\"reorg\",\"chain_id\":31337,\"seq\":9,"
		      "\"ancestor\":null,\"orphaned\":[],\"depth\":3,"
		      "\"deep\":true,\"invalidate_from\":0,\"invalidate_to\":2}");
	ck_assert_int_eq(ev->kind, EV_REORG);
	ck_assert_uint_eq(ev->height, 0);
	ck_assert_uint_eq(ev->nlogs, 6);
	ck_assert_ptr_nonnull(strstr(ev->chan_main.data, "\"ancestor\":null"));
	ev_free(ev);
	events_destroy(&e);
}
END_TEST

/* A repeated key, at the top or inside the node's block, is refused as
 * such (and counted apart by the input thread). */
START_TEST(test_duplicate_keys)
{
	struct events *e = new_events(0);
	struct bc_event *ev = NULL;
	char why[256] = "", *m;
	const char *good = block_msg(5, 5, 4, 1);
	const char *at;

	/* "number" twice at the top */
	m = malloc(strlen(good) + 32);
	ck_assert_ptr_nonnull(m);
	at = strstr(good, "\"number\":5,");
	snprintf(m, strlen(good) + 32, "%.*s\"number\":6,%s", (int)(at - good),
		 good, at);
	ck_assert_int_eq(events_build(e, m, strlen(m), &ev, why, sizeof(why)),
			 EV_RES_DUPLICATE);
	ck_assert_ptr_null(ev);
	ck_assert_str_eq(why, "duplicate key 'number' in $");
	/* a fake miner before the real one, inside the block */
	at = strstr(good, "\"miner\":");
	snprintf(m, strlen(good) + 32, "%.*s\"miner\":\"0x00\",%s",
		 (int)(at - good), good, at);
	ck_assert_int_eq(events_build(e, m, strlen(m), &ev, why, sizeof(why)),
			 EV_RES_DUPLICATE);
	ck_assert_str_eq(why, "duplicate key 'miner' in $.block");
	free(m);
	/* the block itself is fine and still new */
	ev_free(build_ok(e, good));
	events_destroy(&e);
}
END_TEST

START_TEST(test_heartbeat_and_gap)
{
	struct events *e = new_events(0);
	struct bc_event *ev = build_ok(e,
		"{\"type\":\"heartbeat\",\"chain_id\":10,\"seq\":3,"
		"\"tip\":{\"number\":77,\"hash\":\"0x"
		"0000000000000000000000000000000000000000000000000000000000000077\"}}");

	ck_assert_int_eq(ev->kind, EV_TIP);
	ck_assert_uint_eq(ev->chain_id, 10);
	ck_assert_uint_eq(ev->height, 77);
	ev_free(ev);
	ev = build_ok(e, "{\"type\":\"heartbeat\",\"chain_id\":10,\"tip\":null}");
	ck_assert_int_eq(ev->has_height, 0);
	ev_free(ev);
	ev = events_gap("tcp://x:1", "block", 5, 8, 3);
	ck_assert_str_eq(ev->chan_main.data,
		"{\"type\":\"gap\",\"data\":{\"source\":\"tcp://x:1\","
		"\"topic\":\"block\",\"expected\":5,\"got\":8,\"lost\":3}}");
	ev_free(ev);
	events_destroy(&e);
}
END_TEST

static const struct {
	const char *filter; /* JSON, or NULL for none */
	int valid;
	int match_a1_t1t2; /* the log A1 [T1, T2] */
	int match_a2_t3;   /* the log A2 [T3] */
} filters[] = {
	{ NULL, 1, 1, 1 },
	{ "{}", 1, 1, 1 },
	{ "{\"address\":\"" A1 "\"}", 1, 1, 0 },
	{ "{\"address\":\"0x1111111111111111111111111111111111111111\"}", 1, 1, 0 },
	{ "{\"address\":[\"" A2 "\",\"" A1 "\"]}", 1, 1, 1 },
	{ "{\"address\":[]}", 1, 1, 1 },
	{ "{\"topics\":[\"" T1 "\"]}", 1, 1, 0 },
	{ "{\"topics\":[null,\"" T2 "\"]}", 1, 1, 0 },
	{ "{\"topics\":[[\"" T3 "\",\"" T1 "\"]]}", 1, 1, 1 },
	{ "{\"topics\":[null]}", 1, 1, 1 },
	{ "{\"topics\":[null,null]}", 1, 1, 0 }, /* as geth */
	{ "{\"topics\":[]}", 1, 1, 1 },
	{ "{\"address\":\"" A2 "\",\"topics\":[\"" T3 "\"]}", 1, 0, 1 },
	{ "{\"address\":\"0x12\"}", 0, 0, 0 },
	{ "{\"address\":5}", 0, 0, 0 },
	{ "{\"topics\":[\"0x12\"]}", 0, 0, 0 },
	{ "{\"topics\":[null,null,null,null,null]}", 0, 0, 0 },
	{ "{\"topics\":\"" T1 "\"}", 0, 0, 0 },
	{ "[1]", 0, 0, 0 },
};

START_TEST(test_filters)
{
	struct log_filter f;
	struct log_key k1 = { .ntopics = 2 }, k2 = { .ntopics = 1 };
	yajl_val v = NULL;
	char why[128], err[64];
	int r;

	memset(k1.address, 0x11, 20);
	memset(k1.topics[0], 0xaa, 32);
	memset(k1.topics[1], 0xbb, 32);
	memset(k2.address, 0x22, 20);
	memset(k2.topics[0], 0xcc, 32);
	if (filters[_i].filter) {
		char copy[512];

		snprintf(copy, sizeof(copy), "%s", filters[_i].filter);
		v = json_parse(copy, err, sizeof(err));
		ck_assert_ptr_nonnull(v);
	}
	r = filter_parse(v, &f, why, sizeof(why));
	ck_assert_msg((r == 0) == filters[_i].valid, "%s", filters[_i].filter);
	if (r == 0) {
		ck_assert_int_eq(filter_match(&f, &k1), filters[_i].match_a1_t1t2);
		ck_assert_int_eq(filter_match(&f, &k2), filters[_i].match_a2_t3);
		filter_release(&f);
	}
	if (v)
		yajl_tree_free(v);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_block);
	tcase_add_test(tc, test_skips);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad_msgs) / sizeof(bad_msgs[0]));
	tcase_add_test(tc, test_reorg);
	tcase_add_test(tc, test_reorg_of_a_new_branch);
	tcase_add_test(tc, test_reorg_sent_again);
	tcase_add_test(tc, test_seq_started_over);
	tcase_add_test(tc, test_reorg_null_ancestor);
	tcase_add_test(tc, test_duplicate_keys);
	tcase_add_test(tc, test_heartbeat_and_gap);
	tcase_add_loop_test(tc, test_filters, 0, sizeof(filters) / sizeof(filters[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
