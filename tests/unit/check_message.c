/* common/message.c: reading, re-stamping and building the messages of
 * docs/protocol.md. Table-driven for the malformed cases: one valid
 * message each, and the piece of text that breaks it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "json.h"
#include "message.h"
#include "msg_fixture.h"

#define HS(c) "\"" H(c) "\""

#define BLOCK_OBJ "{\"number\":\"0x10\",\"hash\":" HS("b") ",\"timestamp\":\"0x1\"," \
	"\"transactions\":[{\"hash\":" HS("d") "}]}"
#define RECEIPTS "[{\"transactionHash\":" HS("d") ",\"logs\":[]}]"

static const char block_msg[] =
	"{\"seq\":4294967297,\"emitted_at\":1700000000001,\"reason\":\"gap\","
	"\"type\":\"block\",\"chain_id\":31337,\"number\":16,\"hash\":" HS("b")
	",\"parent_hash\":" HS("a") ",\"live\":true,\"fetched_at\":1700000000000,"
	"\"block\":" BLOCK_OBJ ",\"receipts\":" RECEIPTS "}";

static const char reorg_msg[] =
	"{\"type\":\"reorg\",\"chain_id\":1,\"seq\":4294967300,"
	"\"emitted_at\":1700000000123,"
	"\"ancestor\":{\"number\":14,\"hash\":" HS("a") "},"
	"\"orphaned\":[{\"number\":15,\"hash\":" HS("5") "},"
	"{\"number\":16,\"hash\":" HS("6") "}],"
	"\"new_tip\":{\"number\":17,\"hash\":" HS("7") "},\"depth\":2,"
	"\"deep\":false,\"invalidate_from\":15,\"invalidate_to\":16,"
	"\"below_finalized\":true}";

static const char heartbeat_msg[] =
	"{\"type\":\"heartbeat\",\"chain_id\":10,\"seq\":3,\"prog\":\"verifier\","
	"\"time\":1700000000000,\"tip\":{\"number\":9,\"hash\":" HS("9") "}}";

static const char committed_msg[] =
	"{\"type\":\"committed\",\"chain_id\":1,\"writer\":\"h:1\",\"from\":null,"
	"\"to\":null,\"blocks\":0,\"watermark\":41,\"time\":1700000000000}";

static const struct rcase {
	const char *name;
	const char *base;
	const char *from, *to;
	enum message_status want;
	const char *err; /* substring */
} rcases[] = {
	{ "block", block_msg, NULL, NULL, MESSAGE_OK, "" },
	{ "reorg", reorg_msg, NULL, NULL, MESSAGE_OK, "" },
	{ "heartbeat", heartbeat_msg, NULL, NULL, MESSAGE_OK, "" },
	{ "committed", committed_msg, NULL, NULL, MESSAGE_OK, "" },
	{ "other type", block_msg, "\"type\":\"block\"", "\"type\":\"blob\"",
	  MESSAGE_OK, "" },
	{ "not JSON", block_msg, "\"type\":", "\"type\"", MESSAGE_INVALID,
	  "invalid JSON" },
	{ "array", "[1]", NULL, NULL, MESSAGE_INVALID, "not a JSON object" },
	{ "no type", block_msg, "\"type\":\"block\",", "", MESSAGE_NO_TYPE,
	  "message.type" },
	{ "escaped type", block_msg, "\"type\":\"block\"",
	  "\"type\":\"bl\\u006fck\"", MESSAGE_NO_TYPE, "message.type" },
	{ "type number", block_msg, "\"type\":\"block\"", "\"type\":1",
	  MESSAGE_NO_TYPE, "message.type" },
	/* duplicates, at the top and deep inside */
	{ "dup number", block_msg, "\"number\":16,", "\"number\":16,\"number\":17,",
	  MESSAGE_DUPLICATE, "duplicate key 'number' in $" },
	{ "dup escaped", block_msg, "\"number\":16,",
	  "\"number\":16,\"n\\u0075mber\":16,", MESSAGE_DUPLICATE,
	  "duplicate key 'number' in $" },
	{ "case differs", block_msg, "\"number\":16,", "\"number\":16,\"Number\":17,",
	  MESSAGE_OK, "" },
	{ "dup in block", block_msg, "\"timestamp\":\"0x1\"",
	  "\"timestamp\":\"0x2\",\"miner\":\"0x1\",\"timestamp\":\"0x1\"",
	  MESSAGE_DUPLICATE, "duplicate key 'timestamp' in $.block" },
	{ "dup in receipt", block_msg, "\"logs\":[]", "\"logs\":[],\"logs\":[]",
	  MESSAGE_DUPLICATE, "duplicate key 'logs' in $.receipts[0]" },
	{ "dup in orphaned", reorg_msg, "{\"number\":15,", "{\"number\":15,\"number\":15,",
	  MESSAGE_DUPLICATE, "duplicate key 'number' in $.orphaned[0]" },
	/* block fields */
	{ "no chain_id", block_msg, "\"chain_id\":31337,", "", MESSAGE_BAD_FIELD,
	  "message.chain_id: missing" },
	{ "chain_id as hex", block_msg, "\"chain_id\":31337", "\"chain_id\":\"0x7a69\"",
	  MESSAGE_BAD_FIELD, "message.chain_id: not a non-negative integer" },
	{ "negative number", block_msg, "\"number\":16", "\"number\":-16",
	  MESSAGE_BAD_FIELD, "message.number" },
	{ "fraction", block_msg, "\"number\":16", "\"number\":16.5",
	  MESSAGE_BAD_FIELD, "message.number" },
	{ "number too large", block_msg, "\"number\":16",
	  "\"number\":9223372036854775808", MESSAGE_BAD_FIELD,
	  "message.number: too large" },
	{ "number 2^63-1", block_msg, "\"number\":16",
	  "\"number\":9223372036854775807", MESSAGE_OK, "" },
	{ "seq text", block_msg, "\"seq\":4294967297", "\"seq\":\"abc\"",
	  MESSAGE_BAD_FIELD, "message.seq" },
	{ "short hash", block_msg, "\"hash\":" HS("b") ",\"parent_hash\"",
	  "\"hash\":\"0xbb\",\"parent_hash\"", MESSAGE_BAD_FIELD,
	  "message.hash: not a 32-byte 0x-hex hash" },
	{ "no parent", block_msg, "\"parent_hash\":" HS("a") ",", "",
	  MESSAGE_BAD_FIELD, "message.parent_hash: missing" },
	{ "live text", block_msg, "\"live\":true", "\"live\":\"yes\"",
	  MESSAGE_BAD_FIELD, "message.live: not a boolean" },
	{ "no block", block_msg, "\"block\":{", "\"blok\":{", MESSAGE_BAD_FIELD,
	  "message.block: missing or not an object" },
	{ "block array", block_msg, "\"block\":{\"number\":\"0x10\"",
	  "\"block\":[{\"number\":\"0x10\"", MESSAGE_INVALID, "invalid JSON" },
	{ "no receipts", block_msg, "\"receipts\":[", "\"receipt\":[",
	  MESSAGE_BAD_FIELD, "message.receipts: missing or not an array" },
	{ "long reason", block_msg, "\"reason\":\"gap\"",
	  "\"reason\":\"a-reason-far-too-long\"", MESSAGE_BAD_FIELD,
	  "message.reason" },
	/* reorg fields */
	{ "null ancestor", reorg_msg, "{\"number\":14,\"hash\":" HS("a") "}",
	  "null", MESSAGE_OK, "" },
	{ "no ancestor", reorg_msg, "\"ancestor\"", "\"ancestr\"",
	  MESSAGE_BAD_FIELD, "message.ancestor: missing" },
	{ "ancestor null hash", reorg_msg, "\"number\":14,\"hash\":" HS("a"),
	  "\"number\":14,\"hash\":null", MESSAGE_BAD_FIELD,
	  "message.ancestor.hash" },
	{ "new_tip null hash", reorg_msg, "\"number\":17,\"hash\":" HS("7"),
	  "\"number\":17,\"hash\":null", MESSAGE_OK, "" },
	{ "bad orphan", reorg_msg, "{\"number\":15,\"hash\":" HS("5") "}",
	  "{\"number\":15}", MESSAGE_BAD_FIELD, "message.orphaned[0].hash" },
	{ "orphan not an object", reorg_msg, "{\"number\":16,\"hash\":" HS("6") "}",
	  "16", MESSAGE_BAD_FIELD, "message.orphaned[1]: missing or not an object" },
	{ "orphan number text", reorg_msg, "{\"number\":16,", "{\"number\":\"16\",",
	  MESSAGE_BAD_FIELD, "message.orphaned[1].number" },
	{ "no orphaned", reorg_msg, "\"orphaned\"", "\"orphans\"",
	  MESSAGE_BAD_FIELD, "message.orphaned: missing or not an array" },
	{ "range inverted", reorg_msg, "\"invalidate_from\":15",
	  "\"invalidate_from\":17", MESSAGE_BAD_FIELD, "message.invalidate_from" },
	{ "no invalidate_to", reorg_msg, ",\"invalidate_to\":16", "",
	  MESSAGE_BAD_FIELD, "message.invalidate_to: missing" },
	{ "deep text", reorg_msg, "\"deep\":false", "\"deep\":0",
	  MESSAGE_BAD_FIELD, "message.deep" },
	/* heartbeat and committed */
	{ "null tip", heartbeat_msg, "{\"number\":9,\"hash\":" HS("9") "}", "null",
	  MESSAGE_OK, "" },
	{ "tip without number", heartbeat_msg, "\"number\":9,", "",
	  MESSAGE_BAD_FIELD, "message.tip.number: missing" },
	{ "escaped writer", committed_msg, "\"writer\":\"h:1\"",
	  "\"writer\":\"h\\\"1\"", MESSAGE_OK, "" },
	{ "watermark text", committed_msg, "\"watermark\":41",
	  "\"watermark\":\"41\"", MESSAGE_BAD_FIELD, "message.watermark" },
};

START_TEST(test_read_table)
{
	const struct rcase *c = &rcases[_i];
	char *text = subst(c->base, c->from, c->to);
	size_t len = strlen(text);
	char *exact = malloc(len);
	struct message m;
	char err[256] = "";
	enum message_status st;

	/* not NUL-terminated, so a sanitizer sees an overread */
	memcpy(exact, text, len);
	st = message_read(exact, len, &m, err, sizeof(err));
	ck_assert_msg(st == c->want, "%s: status %d (%s), want %d", c->name,
		      (int)st, err, (int)c->want);
	ck_assert_msg(strstr(err, c->err) != NULL, "%s: '%s' lacks '%s'",
		      c->name, err, c->err);
	if (st != MESSAGE_OK)
		ck_assert_msg(err[0], "%s: no reason", c->name);
	message_release(&m);
	/* with the tree: the same verdict, a tree only when read */
	{
		char terr[256] = "";
		yajl_val t = NULL;

		ck_assert_int_eq(message_read_tree(exact, len, &m, &t, terr,
						   sizeof(terr)), st);
		ck_assert_str_eq(terr, err);
		ck_assert(st == MESSAGE_OK ? t != NULL : t == NULL);
		ck_assert(!t || YAJL_IS_OBJECT(t));
		if (t)
			json_tree_free(t);
		message_release(&m);
	}
	free(exact);
	free(text);
}
END_TEST

static int span_eq(const struct message_span *s, const char *want)
{
	return s->n == strlen(want) && !memcmp(s->p, want, s->n);
}

START_TEST(test_read_block)
{
	struct message m;
	char err[128];
	const struct message_block *b = &m.u.block;

	ck_assert_int_eq(message_read(block_msg, strlen(block_msg), &m, err,
				      sizeof(err)), MESSAGE_OK);
	ck_assert_int_eq(m.type, MESSAGE_BLOCK);
	ck_assert_str_eq(m.type_name, "block");
	ck_assert_uint_eq(b->chain_id, 31337);
	ck_assert_uint_eq(b->number, 16);
	ck_assert_str_eq(b->hash, H("b"));
	ck_assert_str_eq(b->parent_hash, H("a"));
	ck_assert(b->live);
	ck_assert(b->has_seq && b->seq == 4294967297ULL);
	ck_assert(b->has_emitted_at && b->emitted_at == 1700000000001ULL);
	ck_assert(b->has_fetched_at && b->fetched_at == 1700000000000ULL);
	ck_assert_str_eq(b->reason, "gap");
	ck_assert(span_eq(&b->block, BLOCK_OBJ));
	ck_assert(span_eq(&b->receipts, RECEIPTS));
	ck_assert_int_eq(b->nstamps, 3);
	message_release(&m);
	{
		yajl_val t;

		ck_assert_int_eq(message_read_tree(block_msg, strlen(block_msg),
						   &m, &t, err, sizeof(err)),
				 MESSAGE_OK);
		ck_assert_str_eq(json_get_str(json_get(t, "block"), "number"),
				 "0x10");
		ck_assert_uint_eq(json_get(t, "receipts")->u.array.len, 1);
		ck_assert(span_eq(&b->block, BLOCK_OBJ));
		json_tree_free(t);
		message_release(&m);
	}
}
END_TEST

START_TEST(test_read_reorg)
{
	struct message m;
	char err[128];
	const struct message_reorg *r = &m.u.reorg;
	char *nul = subst(reorg_msg, "{\"number\":14,\"hash\":" HS("a") "}", "null");

	ck_assert_int_eq(message_read(reorg_msg, strlen(reorg_msg), &m, err,
				      sizeof(err)), MESSAGE_OK);
	ck_assert_int_eq(m.type, MESSAGE_REORG);
	ck_assert_uint_eq(r->chain_id, 1);
	ck_assert(r->has_seq && r->seq == 4294967300ULL);
	ck_assert(r->has_emitted_at && r->emitted_at == 1700000000123ULL);
	ck_assert(r->has_ancestor);
	ck_assert_uint_eq(r->ancestor.number, 14);
	ck_assert_str_eq(r->ancestor.hash, H("a"));
	ck_assert_uint_eq(r->norphaned, 2);
	ck_assert_uint_eq(r->orphaned[0].number, 15);
	ck_assert_str_eq(r->orphaned[1].hash, H("6"));
	ck_assert(r->has_new_tip && r->new_tip.number == 17);
	ck_assert(r->has_depth && r->depth == 2);
	ck_assert(!r->deep && r->below_finalized);
	ck_assert_uint_eq(r->invalidate_from, 15);
	ck_assert_uint_eq(r->invalidate_to, 16);
	message_release(&m);
	ck_assert_ptr_null(m.u.reorg.orphaned);

	ck_assert_int_eq(message_read(nul, strlen(nul), &m, err, sizeof(err)),
			 MESSAGE_OK);
	ck_assert(!m.u.reorg.has_ancestor);
	message_release(&m);
	free(nul);
}
END_TEST

START_TEST(test_read_heartbeat_committed)
{
	struct message m;
	char err[128];

	ck_assert_int_eq(message_read(heartbeat_msg, strlen(heartbeat_msg), &m,
				      err, sizeof(err)), MESSAGE_OK);
	ck_assert_int_eq(m.type, MESSAGE_HEARTBEAT);
	ck_assert_uint_eq(m.u.heartbeat.chain_id, 10);
	ck_assert_str_eq(m.u.heartbeat.prog, "verifier");
	ck_assert(m.u.heartbeat.has_tip && m.u.heartbeat.tip.number == 9);
	message_release(&m);
	ck_assert_int_eq(message_read(committed_msg, strlen(committed_msg), &m,
				      err, sizeof(err)), MESSAGE_OK);
	ck_assert_int_eq(m.type, MESSAGE_COMMITTED);
	ck_assert_str_eq(m.u.committed.writer, "h:1");
	ck_assert(!m.u.committed.has_from && !m.u.committed.has_to);
	ck_assert(m.u.committed.has_watermark && m.u.committed.watermark == 41);
	message_release(&m);
}
END_TEST

/* The fetcher's message, byte for byte, and read back. */
START_TEST(test_block_build)
{
	struct message_block b = {
		.chain_id = 31337, .number = 16, .live = false,
		.has_fetched_at = true, .fetched_at = 1700000000000ULL,
		.block = { BLOCK_OBJ, strlen(BLOCK_OBJ) },
		.receipts = { RECEIPTS, strlen(RECEIPTS) },
	};
	struct buf out = BUF_INIT;
	struct message m;
	char err[128];

	memcpy(b.hash, H("b"), HASH_HEX_SIZE);
	memcpy(b.parent_hash, H("a"), HASH_HEX_SIZE);
	ck_assert_int_eq(message_block_build(&out, &b), 0);
	ck_assert_str_eq(out.data,
		"{\"type\":\"block\",\"chain_id\":31337,\"number\":16,\"hash\":"
		HS("b") ",\"parent_hash\":" HS("a") ",\"live\":false,"
		"\"fetched_at\":1700000000000,\"block\":" BLOCK_OBJ
		",\"receipts\":" RECEIPTS "}");
	ck_assert_int_eq(message_read(out.data, out.len, &m, err, sizeof(err)),
			 MESSAGE_OK);
	ck_assert_uint_eq(m.u.block.number, 16);
	ck_assert(!m.u.block.has_seq && !m.u.block.live);
	ck_assert(span_eq(&m.u.block.block, BLOCK_OBJ));
	ck_assert_int_eq(m.u.block.nstamps, 0);
	message_release(&m);
	buf_release(&out);
}
END_TEST

/* Re-stamping: the verifier's bytes; a second stamp replaces the first. */
START_TEST(test_restamp)
{
	const char *fetched = "{\"type\":\"block\",\"chain_id\":1,\"number\":1,"
		"\"hash\":" HS("b") ",\"parent_hash\":" HS("a") ",\"live\":true,"
		"\"block\":{},\"receipts\":[]}";
	struct buf once = BUF_INIT, twice = BUF_INIT;
	struct message m;
	char err[160];
	yajl_val v;

	ck_assert_int_eq(message_restamp(&once, fetched, strlen(fetched), NULL,
					 7, 1700000000000ULL, NULL), 0);
	ck_assert_str_eq(once.data, "{\"seq\":7,\"emitted_at\":1700000000000,"
			 "\"type\":\"block\",\"chain_id\":1,\"number\":1,"
			 "\"hash\":" HS("b") ",\"parent_hash\":" HS("a")
			 ",\"live\":true,\"block\":{},\"receipts\":[]}");
	ck_assert_int_eq(message_read(once.data, once.len, &m, err, sizeof(err)),
			 MESSAGE_OK);
	ck_assert_int_eq(message_restamp(&twice, once.data, once.len, &m.u.block,
					 8, 1700000000009ULL, "reorg"), 0);
	message_release(&m);
	v = json_parse(twice.data, err, sizeof(err));
	ck_assert_msg(v != NULL, "%s: %s", twice.data, err);
	yajl_tree_free(v);
	ck_assert_int_eq(message_read(twice.data, twice.len, &m, err, sizeof(err)),
			 MESSAGE_OK);
	ck_assert_uint_eq(m.u.block.seq, 8);
	ck_assert_uint_eq(m.u.block.emitted_at, 1700000000009ULL);
	ck_assert_str_eq(m.u.block.reason, "reorg");
	ck_assert(span_eq(&m.u.block.block, "{}"));
	/* and back to no reason, stamps in the middle of the text */
	{
		struct buf third = BUF_INIT;
		char *mid = subst(fetched, "\"live\":true,",
				  "\"live\":true,\"reason\":\"gap\",\"seq\":3,");
		struct message m2;

		ck_assert_int_eq(message_read(mid, strlen(mid), &m2, err,
					      sizeof(err)), MESSAGE_OK);
		ck_assert_int_eq(message_restamp(&third, mid, strlen(mid),
						 &m2.u.block, 9, 5, NULL), 0);
		message_release(&m2);
		ck_assert_int_eq(message_read(third.data, third.len, &m2, err,
					      sizeof(err)), MESSAGE_OK);
		ck_assert_uint_eq(m2.u.block.seq, 9);
		ck_assert_str_eq(m2.u.block.reason, "");
		message_release(&m2);
		buf_release(&third);
		free(mid);
	}
	/* spaces and newlines around the stamps, a stamp first and last */
	{
		const char *spaced = "{ \"seq\" : 3 ,\n \"type\":\"block\",\"chain_id\":1,"
			"\"number\":1,\"hash\":" HS("b") ",\"parent_hash\":" HS("a")
			",\"block\":{},\"receipts\":[] , \"emitted_at\": 9 }";
		struct buf out = BUF_INIT;
		struct message m2;

		ck_assert_int_eq(message_read(spaced, strlen(spaced), &m2, err,
					      sizeof(err)), MESSAGE_OK);
		ck_assert_int_eq(message_restamp(&out, spaced, strlen(spaced),
						 &m2.u.block, 10, 11, "audit"), 0);
		message_release(&m2);
		ck_assert_int_eq(message_read(out.data, out.len, &m2, err,
					      sizeof(err)), MESSAGE_OK);
		ck_assert_uint_eq(m2.u.block.seq, 10);
		ck_assert_uint_eq(m2.u.block.emitted_at, 11);
		ck_assert_str_eq(m2.u.block.reason, "audit");
		ck_assert_int_eq(m2.u.block.nstamps, 3);
		message_release(&m2);
		buf_release(&out);
	}
	/* bad input */
	ck_assert_int_eq(message_restamp(&once, "[]", 2, NULL, 1, 1, NULL), -1);
	ck_assert_int_eq(message_restamp(&once, fetched, strlen(fetched), NULL,
					 1, 1, "a\"b"), -1);
	message_release(&m);
	buf_release(&once);
	buf_release(&twice);
}
END_TEST

START_TEST(test_reorg_build)
{
	struct message_ref orph[2] = { { 15, H("5") }, { 16, H("6") } };
	struct message_reorg r = {
		.chain_id = 1, .has_seq = true, .seq = 4294967300ULL,
		.has_emitted_at = true, .emitted_at = 1700000000123ULL,
		.has_ancestor = true, .ancestor = { 14, H("a") },
		.orphaned = orph, .norphaned = 2,
		.has_new_tip = true, .new_tip = { 17, H("7") },
		.depth = 2, .invalidate_from = 15, .invalidate_to = 16,
		.below_finalized = true,
	};
	struct buf out = BUF_INIT;
	struct message m;
	char err[128];

	ck_assert_int_eq(message_reorg_build(&out, &r), 0);
	ck_assert_str_eq(out.data, reorg_msg);
	/* null ancestor, a new tip without hash */
	r.has_ancestor = false;
	r.new_tip.hash[0] = '\0';
	ck_assert_int_eq(message_reorg_build(&out, &r), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "\"ancestor\":null"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"new_tip\":{\"number\":17,\"hash\":null}"));
	ck_assert_int_eq(message_read(out.data, out.len, &m, err, sizeof(err)),
			 MESSAGE_OK);
	ck_assert(!m.u.reorg.has_ancestor);
	ck_assert(m.u.reorg.has_new_tip && !m.u.reorg.new_tip.hash[0]);
	ck_assert_uint_eq(m.u.reorg.norphaned, 2);
	message_release(&m);
	buf_release(&out);
}
END_TEST

START_TEST(test_heartbeat_committed_build)
{
	struct message_heartbeat h = { .chain_id = 10, .has_seq = true, .seq = 3,
				       .time = 1700000000000ULL, .has_tip = true,
				       .tip = { 9, H("9") } };
	struct message_committed c = { .chain_id = 1, .blocks = 0,
				       .has_watermark = true, .watermark = 41,
				       .time = 1700000000000ULL };
	struct buf out = BUF_INIT;

	snprintf(h.prog, sizeof(h.prog), "verifier");
	snprintf(c.writer, sizeof(c.writer), "h:1");
	ck_assert_int_eq(message_heartbeat_build(&out, &h), 0);
	ck_assert_str_eq(out.data, heartbeat_msg);
	h.has_tip = false;
	ck_assert_int_eq(message_heartbeat_build(&out, &h), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "\"tip\":null}"));
	ck_assert_int_eq(message_committed_build(&out, &c), 0);
	ck_assert_str_eq(out.data, committed_msg);
	buf_release(&out);
}
END_TEST

static Suite *message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tr = tcase_create("read");
	TCase *tb = tcase_create("build");

	tcase_add_loop_test(tr, test_read_table, 0, sizeof(rcases) / sizeof(*rcases));
	tcase_add_test(tr, test_read_block);
	tcase_add_test(tr, test_read_reorg);
	tcase_add_test(tr, test_read_heartbeat_committed);
	suite_add_tcase(s, tr);
	tcase_add_test(tb, test_block_build);
	tcase_add_test(tb, test_restamp);
	tcase_add_test(tb, test_reorg_build);
	tcase_add_test(tb, test_heartbeat_committed_build);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(message_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
