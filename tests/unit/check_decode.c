/* writer/decode.c: decoding messages into COPY rows. Table-driven: one
 * valid block and one valid reorg, and for each malformed case the one
 * piece of text that breaks it; hex -> decimal. */
#include "decode.h"
#include "writer_fixtures.h"

struct dcase {
	const char *name;
	int reorg;           /* base: 0 block, 1 reorg */
	const char *from, *to;
	int allow_unseq;
	enum decode_result want;
	const char *why;     /* substring of the reason */
};

static const struct dcase dcases[] = {
	{ "valid block", 0, NULL, NULL, 0, DECODE_ADDED, "" },
	{ "valid reorg", 1, NULL, NULL, 0, DECODE_ADDED, "" },
	{ "invalid JSON", 0, "\"type\":", "\"type\"", 0, DECODE_MALFORMED, "invalid JSON" },
	{ "not an object", 0, "{\"type\":\"block\"", "[{\"type\":\"block\"", 0,
	  DECODE_MALFORMED, "invalid JSON" },
	{ "no type", 0, "\"type\":\"block\",", "", 0, DECODE_MALFORMED, "message.type" },
	{ "heartbeat", 0, "\"type\":\"block\"", "\"type\":\"heartbeat\"", 0,
	  DECODE_IGNORED, "heartbeat" },
	{ "unknown type", 0, "\"type\":\"block\"", "\"type\":\"blob\"", 0,
	  DECODE_IGNORED, "blob" },
	{ "no seq", 0, ",\"seq\":4294967297", "", 0, DECODE_UNSEQUENCED, "no seq" },
	{ "no seq allowed", 0, ",\"seq\":4294967297", "", 1, DECODE_ADDED, "" },
	{ "reorg without seq", 1, "\"seq\":4294967300,", "", 1, DECODE_UNSEQUENCED,
	  "no seq" },
	{ "seq not a number", 0, "\"seq\":4294967297", "\"seq\":\"abc\"", 0,
	  DECODE_MALFORMED, "message.seq" },
	{ "no chain_id", 0, "\"chain_id\":1,", "", 0, DECODE_MALFORMED,
	  "message.chain_id: missing" },
	{ "short hash", 0, "\"hash\":\"" H("b") "\",\"parent_hash\"",
	  "\"hash\":\"0xbbbb\",\"parent_hash\"", 0, DECODE_MALFORMED, "message.hash" },
	{ "hash mismatch", 0, "\"hash\":\"" H("b") "\",\"parentHash\"",
	  "\"hash\":\"" H("9") "\",\"parentHash\"", 0, DECODE_MALFORMED,
	  "block.hash" },
	{ "number mismatch", 0, "\"number\":\"0x10\"", "\"number\":\"0x11\"", 0,
	  DECODE_MALFORMED, "block.number" },
	{ "no block", 0, "\"block\":{", "\"blok\":{", 0, DECODE_MALFORMED,
	  "message.block" },
	{ "transactions as hashes", 0, "\"transactions\":[{",
	  "\"transactions\":[\"" H("d") "\",{", 0, DECODE_MALFORMED,
	  "receipts" },
	{ "receipt of another tx", 0, "{\"transactionHash\":\"" H("d"),
	  "{\"transactionHash\":\"" H("f"), 0, DECODE_MALFORMED,
	  "is not the hash of its transaction" },
	{ "no receipts", 0, "\"receipts\":[", "\"receipt\":[", 0, DECODE_MALFORMED,
	  "message.receipts" },
	{ "bad value", 0, "\"value\":\"0xde0b6b3a7640000\"", "\"value\":\"0xzz\"", 0,
	  DECODE_MALFORMED, "transactions[0].value" },
	{ "value over 256 bits", 0, "\"value\":\"0xde0b6b3a7640000\"",
	  "\"value\":\"0x10000000000000000000000000000000000000000000000000000000000000000\"",
	  0, DECODE_MALFORMED, "256-bit" },
	{ "gas over int64", 0, "\"gas\":\"0x5208\"", "\"gas\":\"0xffffffffffffffff\"",
	  0, DECODE_MALFORMED, "gas: too large" },
	{ "bad from", 0, "\"from\":\"" A("2") "\"", "\"from\":\"0x12\"", 0,
	  DECODE_MALFORMED, "transactions[0].from" },
	{ "odd input", 0, "\"input\":\"0x\"", "\"input\":\"0x123\"", 0,
	  DECODE_MALFORMED, "input" },
	{ "tx index mismatch", 0, "\"transactionIndex\":\"0x0\"",
	  "\"transactionIndex\":\"0x1\"", 0, DECODE_MALFORMED, "transactionIndex" },
	{ "five topics", 0, "\"topics\":[\"" H("e") "\"]",
	  "\"topics\":[\"" H("e") "\",\"" H("e") "\",\"" H("e") "\",\"" H("e")
	  "\",\"" H("e") "\"]", 0, DECODE_MALFORMED, "topics" },
	{ "bad topic", 0, "\"topics\":[\"" H("e") "\"]", "\"topics\":[7]", 0,
	  DECODE_MALFORMED, "topics[0]" },
	{ "no logIndex", 0, ",\"logIndex\":\"0x0\"", "", 0, DECODE_MALFORMED,
	  "logIndex: missing" },
	{ "timestamp past 9999", 0, "\"timestamp\":\"0x6553f100\"",
	  "\"timestamp\":\"0xffffffffff\"", 0, DECODE_MALFORMED, "timestamp" },
	{ "status 2", 0, "\"status\":\"0x1\"", "\"status\":\"0x2\"", 0,
	  DECODE_MALFORMED, "status" },
	{ "reorg range inverted", 1, "\"invalidate_from\":15",
	  "\"invalidate_from\":17", 0, DECODE_MALFORMED, "invalidate_from" },
	{ "reorg range too large", 1, "\"invalidate_to\":16",
	  "\"invalidate_to\":99999999999", 0, DECODE_MALFORMED, "range of" },
	{ "reorg without ancestor", 1, "\"ancestor\"", "\"ancestr\"", 0,
	  DECODE_MALFORMED, "message.ancestor" },
	{ "reorg bad orphan", 1, "{\"number\":15,\"hash\":\"" H("5") "\"}",
	  "{\"number\":15}", 0, DECODE_MALFORMED, "orphaned[0].hash" },
	{ "reorg without invalidate_to", 1, ",\"invalidate_to\":16", "", 0,
	  DECODE_MALFORMED, "invalidate_to: missing" },
	/* a fake timestamp before the real one: refused, not "first wins" */
	{ "duplicate in block", 0, "\"timestamp\":\"0x6553f100\"",
	  "\"timestamp\":\"0x1\",\"miner\":\"" A("9") "\",\"timestamp\":\"0x6553f100\"",
	  0, DECODE_DUPLICATE, "duplicate key 'timestamp' in $.block" },
	{ "duplicate number", 0, "\"number\":16,", "\"number\":15,\"number\":16,", 0,
	  DECODE_DUPLICATE, "duplicate key 'number' in $" },
	{ "duplicate in a log", 0, "\"data\":\"0x01\"", "\"data\":\"0x01\",\"d\\u0061ta\":\"0x\"",
	  0, DECODE_DUPLICATE, "duplicate key 'data' in $.receipts[0].logs[0]" },
	{ "duplicate in a heartbeat", 0, "\"type\":\"block\"",
	  "\"type\":\"heartbeat\",\"type\":\"heartbeat\"", 0, DECODE_DUPLICATE,
	  "duplicate key 'type'" },
	{ "keys differing by case", 0, "\"number\":16,", "\"number\":16,\"NUMBER\":15,", 0,
	  DECODE_ADDED, "" },
	{ "reorg with null ancestor", 1, "{\"number\":14,\"hash\":\"" H("a") "\"}",
	  "null", 0, DECODE_ADDED, "" },
	{ "heartbeat with odd fields", 0, "\"type\":\"block\"",
	  "\"type\":\"heartbeat\",\"tip\":7", 0, DECODE_IGNORED, "heartbeat" },
};

START_TEST(test_decode_table)
{
	const struct dcase *c = &dcases[_i];
	struct decode_opts o = DECODE_OPTS_INIT;
	struct wmsg *m = NULL;
	char type[32], why[512];
	char *json = subst(c->reorg ? reorg_msg : block_msg, c->from, c->to);
	enum decode_result r;

	o.allow_unsequenced = c->allow_unseq;
	r = wmsg_decode(json, strlen(json), &o, &m, type, sizeof(type), why,
			sizeof(why));
	ck_assert_msg(r == c->want, "%s: result %d, want %d (%s)", c->name,
		      (int)r, (int)c->want, why);
	ck_assert_msg(strstr(why, c->why) != NULL, "%s: reason '%s' lacks '%s'",
		      c->name, why, c->why);
	if (r == DECODE_ADDED)
		ck_assert_ptr_nonnull(m);
	else
		ck_assert_ptr_null(m);
	wmsg_free(&m);
	ck_assert_ptr_null(m);
	free(json);
}
END_TEST

START_TEST(test_nul_byte)
{
	struct decode_opts o = DECODE_OPTS_INIT;
	struct wmsg *m;
	char type[32], why[128];
	const char bad[] = "{\"type\":\"block\"}\0junk";

	ck_assert_int_eq(wmsg_decode(bad, sizeof(bad) - 1, &o, &m, type,
				     sizeof(type), why, sizeof(why)),
			 DECODE_MALFORMED);
	ck_assert_ptr_nonnull(strstr(why, "NUL"));
}
END_TEST

START_TEST(test_block_rows)
{
	struct decode_opts o = DECODE_OPTS_INIT;
	struct wmsg *m;
	char type[32], why[256];

	ck_assert_int_eq(wmsg_decode(block_msg, strlen(block_msg), &o, &m, type,
				     sizeof(type), why, sizeof(why)),
			 DECODE_ADDED);
	ck_assert_str_eq(type, "block");
	ck_assert_uint_eq(m->chain_id, 1);
	ck_assert_uint_eq(m->number, 16);
	ck_assert_uint_eq(m->seq, 4294967297ULL);
	ck_assert_uint_eq(m->nrows[WT_BLOCKS], 1);
	ck_assert_uint_eq(m->nrows[WT_TRANSACTIONS], 1);
	ck_assert_uint_eq(m->nrows[WT_LOGS], 1);
	ck_assert_uint_eq(m->nrows[WT_CANONICAL], 1);
	ck_assert_uint_eq(m->nrows[WT_REORGS], 0);
	/* COPY text: bytea as \\x (lowercased), NULL as \N, UTC time. */
	ck_assert_ptr_nonnull(strstr(m->rows[WT_BLOCKS].data,
		"1\t\\\\x" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"\t16\t"));
	ck_assert_ptr_nonnull(strstr(m->rows[WT_BLOCKS].data,
				     "\t2023-11-14 22:13:20+00\t"));
	ck_assert_ptr_nonnull(strstr(m->rows[WT_BLOCKS].data, "\t\\\\xabcd\t"));
	ck_assert_ptr_nonnull(strstr(m->rows[WT_TRANSACTIONS].data,
				     "\t1000000000000000000\t21000\t1000000000\t\\N\t\\N\t5\t2\t\\\\x\t1\t"));
	ck_assert_ptr_nonnull(strstr(m->rows[WT_LOGS].data, "\t\\N\t\\N\t\\N\t\\\\x01\n"));
	ck_assert_str_eq(m->rows[WT_CANONICAL].data,
		"1\t16\t\\\\x" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"\t4294967297\n");
	/* Every row has as many columns as its table's COPY list. */
	for (int t = 0; t < WT_NTABLES; t++) {
		const char *p = m->rows[t].data, *cols = wt_columns((enum wt)t);
		size_t tabs = 0, commas = 0;

		if (!m->nrows[t])
			continue;
		for (; *p && *p != '\n'; p++)
			tabs += *p == '\t';
		for (; *cols; cols++)
			commas += *cols == ',';
		ck_assert_msg(tabs == commas, "%s: %zu columns, list has %zu",
			      wt_name((enum wt)t), tabs + 1, commas + 1);
	}
	wmsg_free(&m);
}
END_TEST

START_TEST(test_reorg_rows)
{
	struct decode_opts o = DECODE_OPTS_INIT;
	struct wmsg *m;
	char type[32], why[256];
	const char *cols = wt_columns(WT_REORGS), *p;
	size_t tabs = 0, commas = 0;

	ck_assert_int_eq(wmsg_decode(reorg_msg, strlen(reorg_msg), &o, &m, type,
				     sizeof(type), why, sizeof(why)),
			 DECODE_ADDED);
	ck_assert_int_eq(m->kind, WMSG_REORG);
	ck_assert_uint_eq(m->number, 15);
	ck_assert_uint_eq(m->number_to, 16);
	ck_assert_uint_eq(m->nrows[WT_REORGS], 1);
	ck_assert_uint_eq(m->nrows[WT_CANONICAL], 0);
	p = m->rows[WT_REORGS].data;
	ck_assert_ptr_nonnull(strstr(p, "1\t4294967300\t14\t\\\\xaaaa"));
	ck_assert_ptr_nonnull(strstr(p, "\t16\t\\\\x6666"));
	ck_assert_ptr_nonnull(strstr(p, "\t2\t[{\"number\": 15, \"hash\": \"0x5555"));
	ck_assert_ptr_nonnull(strstr(p, "\t15\t16\tf\tf\t2023-11-14 22:13:20.123+00\n"));
	for (; *p && *p != '\n'; p++)
		tabs += *p == '\t';
	for (; *cols; cols++)
		commas += *cols == ',';
	ck_assert_uint_eq(tabs, commas);
	wmsg_free(&m);
}
END_TEST

/* A reorg down to block 0 has no ancestor (null): ancestor_number NULL,
 * no hash; the rest as usual. */
START_TEST(test_reorg_null_ancestor)
{
	struct decode_opts o = DECODE_OPTS_INIT;
	struct wmsg *m;
	char type[32], why[256];
	char *json = subst(reorg_msg, "{\"number\":14,\"hash\":\"" H("a") "\"}",
			   "null");

	ck_assert_int_eq(wmsg_decode(json, strlen(json), &o, &m, type,
				     sizeof(type), why, sizeof(why)),
			 DECODE_ADDED);
	ck_assert_ptr_nonnull(strstr(m->rows[WT_REORGS].data,
				     "1\t4294967300\t\\N\t\\N\t16\t\\\\x6666"));
	wmsg_free(&m);
	free(json);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_decode_table, 0,
			    (int)(sizeof(dcases) / sizeof(dcases[0])));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_block_rows);
	tcase_add_test(tc, test_reorg_rows);
	tcase_add_test(tc, test_reorg_null_ancestor);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
