/* Body verification (common/body.c with txenc, receipt, jrlp, sender,
 * trie) on real blocks: mainnet from Frontier to Shanghai and blocks of
 * the execution-apis test chain with blob (0x3), 7702 (0x4) and 2930
 * (0x1) transactions, copied unchanged into tests/fixtures/blocks/ (their
 * sources are in its README.md). The published roots are constants here,
 * so a fixture that drifted would fail too. Then each corruption of a
 * block must be caught, with the field that names it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "buf.h"
#include "hex.h"
#include "json.h"
#include "keccak.h"
#include "receipt.h"
#include "sender.h"
#include "txenc.h"

#ifndef BLOCKPIPE_SRCDIR
#define BLOCKPIPE_SRCDIR "."
#endif
#define FIXTURES BLOCKPIPE_SRCDIR "/tests/fixtures/blocks/"

#define EMPTY "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"

/* Published roots: the headers of the blocks as the sources serve them
 * (mainnet: any explorer shows the same; test chain: ethereum/execution-
 * apis at the commit in the file name). */
static const struct fixture {
	const char *file, *hash, *txroot, *rcroot, *wdroot;
} fixtures[] = {
	/* mainnet 483920, Frontier, pre-EIP-155, receipts with post-state
	 * roots (blockchain-etl/ethereum-etl@9e51c3b8) */
	{ "mainnet-483920.json",
	  "0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae",
	  "0x2744d46ab0647ed91a9bbd08e19d3bb67491067e8cbe04a276ad2afde5ecd65e",
	  "0xada95dd1e1590fe095e67c58f41d633193b238e0e0c588de46682db595738f0b",
	  NULL },
	/* mainnet 1755634, Homestead, empty (ethereum-etl@9e51c3b8) */
	{ "mainnet-1755634.json",
	  "0xa06fc36a7144c4bbb1f7ab13b541144414fa7808c119e8a4635e392ea544c178",
	  EMPTY, EMPTY, NULL },
	/* mainnet 1755635, Homestead (ethereum-etl@9e51c3b8) */
	{ "mainnet-1755635.json",
	  "0x1dec87ec1ba8e65b7773bb6f62249468948a28a427efd3d896a2ff7d7c591a67",
	  "0x36854e7b5bedd028c7b2a89829f6269a76e345edc92c6bffaddfdace512a2818",
	  "0xda8b99b6658dbcb71a03a6978d61d5ad6ad3e74961b58fe71e6e75549c701e1a",
	  NULL },
	/* mainnet 17000000, Paris: 1559 and EIP-155 legacy
	 * (erigontech/rpc-tests@73992926) */
	{ "mainnet-17000000.json",
	  "0x96cfa0fb5e50b0a3f6cc76f3299cfbf48f17e8b41798d1394474e67ec8a97e9f",
	  "0x06ca3364e7ff05c6adad066d09dd50edc25e7935a7aa0bdb2f4ce07d2f5bf82e",
	  "0xdafc7e17d609503a08b1406eb69c714cb3e7ba51e84580977c449999068ae513",
	  NULL },
	/* mainnet 18000000, Shanghai: 16 withdrawals, a creation, one
	 * pre-EIP-155 legacy (erigontech/rpc-tests@73992926) */
	{ "mainnet-18000000.json",
	  "0x95b198e154acbfc64109dfd22d8224fe927fd8dfdedfae01587674482ba4baf3",
	  "0x97dd0200249a35da2c73b366612c2d9c3d112e83ef5e0277cded1352c66628ba",
	  "0xd925652022fa6da2ca5b9781ab2fd50cb05d3b4741a327f52322e2b7917d3a2f",
	  "0x5362ee94b61e8cef92bf61353e62744b4fe6d1f2482aade614054527e6d5de7d" },
	/* test chain block 20: 0x3 blob, 0x2, 0x1, 0x0
	 * (ethereum/execution-apis@d08382ae) */
	{ "testchain-d08382a-20.json",
	  "0x514c48e760c62a38f91e011149b1b4a619bb3a7f750ec4430061bf19c3336635",
	  "0xaef5ff32adb53bc5cc0dac8d00b552e0b4166f0ed2eb54dbe532012afb7d4d43",
	  "0x352a1ceb0040f363d3be40a62c347548c4737a2264a8dc42295d014d29c7c7a2",
	  EMPTY },
	/* test chain block 45: 0x4 (7702), 0x2, 0x1, 0x0, a creation
	 * (ethereum/execution-apis@c710097a) */
	{ "testchain-c710097-45.json",
	  "0xaf51811799f22260e5b4e1f95504dae760505f102dcb2e9ca7d897d8a40124a1",
	  "0xc541c333ff4a96a17d3601f7d628ea27ecf4597a11077e5d9d1c4dbed6c7f401",
	  "0x2c86b2791cdd088d3c3e9d6225f71724d3e8c67bdd13cd6208831058cee1043f",
	  EMPTY },
	/* test chain block 54, Osaka: three creations
	 * (ethereum/execution-apis@033ca6e6) */
	{ "testchain-033ca6e-54.json",
	  "0xd226371d0b1551adb03fb52b71f08e3e11247fe9b1af994768af8cdaa8e7dcd7",
	  "0x1d8e3b1f3ca532f9ea439d21d14dc59b7b5871dcd32c0c4c328d17e18f8f85b3",
	  "0x1a7a488c0a3a5c1f846f03b8f37243cadc7e2b085d95f93612da2bdf3973d5dd",
	  EMPTY },
};

#define NFIX (sizeof(fixtures) / sizeof(fixtures[0]))

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	struct buf b = BUF_INIT;
	char tmp[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open fixture '%s'", path);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		ck_assert_int_eq(buf_add(&b, tmp, n), 0);
	fclose(f);
	return buf_detach(&b, len);
}

static yajl_val load(const char *name)
{
	size_t len;
	char *text = slurp(name, &len), err[128];
	yajl_val v = json_parse(text, err, sizeof(err));

	ck_assert_msg(v != NULL, "%s: %s", name, err);
	free(text);
	return v;
}

static yajl_val blk(yajl_val m)
{
	return json_get(m, "block");
}

static yajl_val arr(yajl_val o, const char *key)
{
	yajl_val a = json_get(o, key);

	ck_assert_msg(a && YAJL_IS_ARRAY(a), "no array '%s'", key);
	return a;
}

static yajl_val tx_at(yajl_val m, size_t i)
{
	return arr(blk(m), "transactions")->u.array.values[i];
}

static yajl_val rc_at(yajl_val m, size_t i)
{
	return arr(m, "receipts")->u.array.values[i];
}

static yajl_val log_at(yajl_val m, size_t i, size_t j)
{
	return arr(rc_at(m, i), "logs")->u.array.values[j];
}

/* Replace the string member key of o. */
static void set_str(yajl_val o, const char *key, const char *s)
{
	yajl_val v = json_get(o, key);

	ck_assert_msg(v && YAJL_IS_STRING(v), "no string '%s'", key);
	free(v->u.string);
	v->u.string = strdup(s);
}

static void drop(yajl_val a, size_t i)
{
	ck_assert_uint_lt(i, a->u.array.len);
	yajl_tree_free(a->u.array.values[i]);
	memmove(&a->u.array.values[i], &a->u.array.values[i + 1],
		(a->u.array.len - i - 1) * sizeof(yajl_val));
	a->u.array.len--;
}

static void swap(yajl_val a, size_t i, size_t j)
{
	yajl_val t = a->u.array.values[i];

	a->u.array.values[i] = a->u.array.values[j];
	a->u.array.values[j] = t;
}

static enum body_field check(yajl_val m, int recover, struct body_report *r)
{
	struct body_checker *c = body_checker_new(recover);
	enum body_field f;

	ck_assert_ptr_nonnull(c);
	f = body_check(c, m, r);
	body_checker_free(&c);
	ck_assert_ptr_null(c);
	return f;
}

START_TEST(real_blocks_verify)
{
	const struct fixture *fx = &fixtures[_i];
	yajl_val m = load(fx->file), b = blk(m);
	struct body_report r;
	enum body_field f;

	/* the fixture is the published block */
	ck_assert_str_eq(json_get_str(b, "hash"), fx->hash);
	ck_assert_str_eq(json_get_str(b, "transactionsRoot"), fx->txroot);
	ck_assert_str_eq(json_get_str(b, "receiptsRoot"), fx->rcroot);
	if (fx->wdroot)
		ck_assert_str_eq(json_get_str(b, "withdrawalsRoot"), fx->wdroot);
	else
		ck_assert_ptr_null(json_get(b, "withdrawalsRoot"));
	for (int recover = 0; recover < 2; recover++) {
		f = check(m, recover, &r);
		ck_assert_msg(f == BODY_OK, "%s: %s at %s: expected %s, got %s",
			      fx->file, body_field_name(f), r.where, r.expected,
			      r.got);
	}
	yajl_tree_free(m);
}
END_TEST

/* The text entry point reads a whole message, and refuses what is not
 * JSON. */
START_TEST(text_entry_point)
{
	struct body_checker *c = body_checker_new(1);
	struct body_report r;
	size_t len;
	char *text = slurp("testchain-c710097-45.json", &len);

	ck_assert_int_eq(body_check_text(c, text, len, &r), BODY_OK);
	ck_assert_int_eq(body_check_text(c, text, len / 2, &r), BODY_MALFORMED);
	ck_assert_str_eq(r.where, "message");
	ck_assert_int_eq(body_check_text(c, "{}", 2, &r), BODY_MALFORMED);
	ck_assert_str_eq(r.where, "block");
	free(text);
	body_checker_free(&c);
}
END_TEST

/* Each envelope type on its own: the hash the node published. */
START_TEST(envelopes_hash_as_published)
{
	static const struct {
		const char *file;
		size_t i;
		unsigned type;
	} cases[] = {
		{ "mainnet-483920.json", 0, 0 },      /* pre-EIP-155 */
		{ "mainnet-17000000.json", 0, 2 },
		{ "testchain-d08382a-20.json", 0, 3 }, /* blob, no sidecar */
		{ "testchain-d08382a-20.json", 1, 0 }, /* EIP-155 */
		{ "testchain-d08382a-20.json", 3, 1 },
		{ "testchain-c710097-45.json", 1, 4 }, /* authorizationList */
	};
	struct txenc e = TXENC_INIT;
	struct sender *s = sender_new();

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		yajl_val m = load(cases[k].file), tx = tx_at(m, cases[k].i);
		char why[64], h[HASH_HEX_SIZE];
		uint8_t from[20], want[20];

		ck_assert_int_eq(txenc_encode(&e, tx, why, sizeof(why)),
				 TXENC_OK);
		ck_assert_uint_eq(e.type, cases[k].type);
		keccak256_hex(e.hash, h);
		ck_assert_str_eq(h, json_get_str(tx, "hash"));
		ck_assert_int_eq(sender_recover(s, e.sighash, e.r, e.s, e.recid,
						from), 0);
		ck_assert_int_eq(json_hex_bytes(json_get_str(tx, "from"), want,
						20), 20);
		ck_assert_mem_eq(from, want, 20);
		yajl_tree_free(m);
	}
	txenc_release(&e);
	sender_free(&s);
}
END_TEST

/* The bloom of one log of the test chain, as its receipt carries it. */
START_TEST(receipt_bloom_of_logs)
{
	yajl_val m = load("testchain-d08382a-20.json");
	struct rcptenc e = RCPTENC_INIT;
	uint8_t bloom[BLOOM_SIZE], none[BLOOM_SIZE] = { 0 };
	char why[64];

	ck_assert_int_eq(rcptenc_encode(&e, rc_at(m, 0), 3, why, sizeof(why)),
			 0);
	ck_assert_int_eq(receipt_bloom(rc_at(m, 0), bloom), 0);
	ck_assert_mem_eq(bloom, e.sent, BLOOM_SIZE);
	ck_assert_mem_ne(bloom, none, BLOOM_SIZE);
	ck_assert_uint_eq((uint8_t)e.enc.data[0], 3);
	rcptenc_release(&e);
	yajl_tree_free(m);
}
END_TEST

/* ---- corruptions: each must be caught, with its field ---- */

#define TC "testchain-d08382a-20.json" /* 0x3 0x0 0x2 0x1, logs 1 1 0 0 */
#define M17 "mainnet-17000000.json"
#define M18 "mainnet-18000000.json"
#define FRONTIER "mainnet-483920.json"

static void value_changed(yajl_val m)
{
	set_str(tx_at(m, 2), "value", "0x12345");
}

/* Transaction i with its receipt. */
static void drop_tx(yajl_val m, size_t i)
{
	drop(arr(blk(m), "transactions"), i);
	drop(arr(m, "receipts"), i);
}

static void tx_dropped(yajl_val m)
{
	drop_tx(m, 1);
}

static void last_tx_dropped(yajl_val m)
{
	drop_tx(m, 3);
}

static void receipt_dropped(yajl_val m)
{
	drop(arr(m, "receipts"), 2);
}

static void txs_swapped(yajl_val m)
{
	swap(arr(blk(m), "transactions"), 0, 1);
	swap(arr(m, "receipts"), 0, 1);
}

static void log_address(yajl_val m)
{
	set_str(log_at(m, 1, 0), "address",
		"0x00000000000000000000000000000000000000aa");
}

static void log_topic(yajl_val m)
{
	yajl_val t = arr(log_at(m, 0, 0), "topics")->u.array.values[0];

	free(t->u.string);
	t->u.string = strdup("0x000000000000000000000000000000000000000000"
			     "00000000000000656d6975");
}

static void log_data(yajl_val m)
{
	set_str(log_at(m, 0, 0), "data", "0x01");
}

/* Log j of receipt i. */
static void drop_log(yajl_val m, size_t i, size_t j)
{
	drop(arr(rc_at(m, i), "logs"), j);
}

/* TC: the receipt's only log; M17: the first of four */
static void first_log_dropped(yajl_val m)
{
	drop_log(m, 0, 0);
}

static void last_log_dropped(yajl_val m)
{
	drop_log(m, 1, 0);
}

static void status_changed(yajl_val m)
{
	set_str(rc_at(m, 1), "status", "0x0");
}

static void from_changed(yajl_val m)
{
	set_str(tx_at(m, 1), "from", "0x0000000000000000000000000000000000000001");
	set_str(rc_at(m, 1), "from", "0x0000000000000000000000000000000000000001");
}

static void receipt_from_changed(yajl_val m)
{
	set_str(rc_at(m, 1), "from", "0x0000000000000000000000000000000000000001");
}

static void tx_hash_changed(yajl_val m)
{
	const char *h = "0x1111111111111111111111111111111111111111111111111"
			"111111111111111";

	set_str(tx_at(m, 0), "hash", h);
	set_str(rc_at(m, 0), "transactionHash", h);
	set_str(log_at(m, 0, 0), "transactionHash", h);
}

static void receipt_tx_hash(yajl_val m)
{
	set_str(rc_at(m, 2), "transactionHash", json_get_str(tx_at(m, 1),
							     "hash"));
}

static void log_tx_hash(yajl_val m)
{
	set_str(log_at(m, 1, 0), "transactionHash", json_get_str(tx_at(m, 0),
								 "hash"));
}

static void tx_block_hash(yajl_val m)
{
	set_str(tx_at(m, 2), "blockHash", "0x2222222222222222222222222222222"
		"222222222222222222222222222222222");
}

static void log_block_number(yajl_val m)
{
	set_str(log_at(m, 1, 0), "blockNumber", "0x15");
}

static void receipt_index(yajl_val m)
{
	set_str(rc_at(m, 3), "transactionIndex", "0x2");
}

static void log_index(yajl_val m)
{
	set_str(log_at(m, 1, 0), "logIndex", "0x2");
}

static void contract_on_call(yajl_val m)
{
	yajl_val rc = rc_at(m, 2), v = json_get(rc, "contractAddress");

	ck_assert(v && YAJL_IS_NULL(v));
	v->type = yajl_t_string;
	v->u.string = strdup("0x58f8fe237b593c19546e1e758a2544561d04bfe0");
}

static void contract_address(yajl_val m)
{
	/* the 18000000 creation is transaction 9 */
	set_str(rc_at(m, 9), "contractAddress",
		"0x0000000000000000000000000000000000000009");
}

static void effective_price(yajl_val m)
{
	set_str(rc_at(m, 2), "effectiveGasPrice", "0x4426f2d");
}

static void typed_gas_price(yajl_val m)
{
	set_str(tx_at(m, 2), "gasPrice", "0x1");
}

static void gas_used(yajl_val m)
{
	set_str(rc_at(m, 1), "gasUsed", "0x5209");
}

static void cumulative(yajl_val m)
{
	set_str(rc_at(m, 3), "cumulativeGasUsed", "0x1");
}

static void unknown_type(yajl_val m)
{
	set_str(tx_at(m, 1), "type", "0x7e");
}

static void bad_input(yajl_val m)
{
	set_str(tx_at(m, 1), "input", "0xzz");
}

static void withdrawal_amount(yajl_val m)
{
	set_str(arr(blk(m), "withdrawals")->u.array.values[3], "amount",
		"0x1");
}

/* The logsBloom of o: 0x, then first, then zeros. */
static void set_bloom(yajl_val o, char first)
{
	char bloom[2 + 512 + 1];

	memset(bloom, '0', sizeof(bloom) - 1);
	bloom[1] = 'x';
	bloom[2] = first;
	bloom[sizeof(bloom) - 1] = '\0';
	set_str(o, "logsBloom", bloom);
}

static void receipt_bloom_changed(yajl_val m)
{
	set_bloom(rc_at(m, 3), '1');
}

static void block_bloom(yajl_val m)
{
	set_bloom(blk(m), '0');
}

static void post_state_root(yajl_val m)
{
	set_str(rc_at(m, 0), "root", "0x3333333333333333333333333333333333333"
		"333333333333333333333333333");
}

static void tx_root(yajl_val m)
{
	set_str(blk(m), "transactionsRoot", EMPTY);
}

static const struct corruption {
	const char *name, *file;
	void (*apply)(yajl_val m);
	enum body_field field;
	const char *where;
} corruptions[] = {
	{ "value changed", TC, value_changed, BODY_TX_HASH,
	  "transactions[2].hash" },
	{ "tx dropped with its receipt", TC, tx_dropped,
	  BODY_TRANSACTION_INDEX, "transactions[1].transactionIndex" },
	{ "last tx dropped with its receipt", TC, last_tx_dropped,
	  BODY_TRANSACTIONS_ROOT, "block.transactionsRoot" },
	{ "receipt dropped", TC, receipt_dropped, BODY_RECEIPT_COUNT,
	  "receipts" },
	{ "two txs swapped", TC, txs_swapped, BODY_TRANSACTION_INDEX,
	  "transactions[0].transactionIndex" },
	{ "log address changed", TC, log_address, BODY_LOGS_BLOOM,
	  "receipts[1].logsBloom" },
	{ "log topic changed", TC, log_topic, BODY_LOGS_BLOOM,
	  "receipts[0].logsBloom" },
	{ "log data changed", TC, log_data, BODY_RECEIPTS_ROOT,
	  "block.receiptsRoot" },
	{ "log dropped (the receipt's only one)", TC, first_log_dropped,
	  BODY_LOG_INDEX, "receipts[1].logs[0].logIndex" },
	{ "the block's last log dropped", TC, last_log_dropped,
	  BODY_LOGS_BLOOM, "receipts[1].logsBloom" },
	{ "log dropped (first of four)", M17, first_log_dropped,
	  BODY_LOG_INDEX, "receipts[0].logs[0].logIndex" },
	{ "status changed", TC, status_changed, BODY_RECEIPTS_ROOT,
	  "block.receiptsRoot" },
	{ "from changed", TC, from_changed, BODY_FROM,
	  "transactions[1].from" },
	{ "receipt from changed", TC, receipt_from_changed, BODY_FROM,
	  "receipts[1].from" },
	{ "tx hash changed everywhere", TC, tx_hash_changed, BODY_TX_HASH,
	  "transactions[0].hash" },
	{ "receipt of another tx", TC, receipt_tx_hash,
	  BODY_TRANSACTION_HASH, "receipts[2].transactionHash" },
	{ "log of another tx", TC, log_tx_hash, BODY_TRANSACTION_HASH,
	  "receipts[1].logs[0].transactionHash" },
	{ "tx blockHash", TC, tx_block_hash, BODY_BLOCK_HASH,
	  "transactions[2].blockHash" },
	{ "log blockNumber", TC, log_block_number, BODY_BLOCK_NUMBER,
	  "receipts[1].logs[0].blockNumber" },
	{ "receipt transactionIndex", TC, receipt_index,
	  BODY_TRANSACTION_INDEX, "receipts[3].transactionIndex" },
	{ "logIndex", TC, log_index, BODY_LOG_INDEX,
	  "receipts[1].logs[0].logIndex" },
	{ "contractAddress on a call", TC, contract_on_call,
	  BODY_CONTRACT_ADDRESS, "receipts[2].contractAddress" },
	{ "contractAddress of a creation", M18, contract_address,
	  BODY_CONTRACT_ADDRESS, "receipts[9].contractAddress" },
	{ "effectiveGasPrice", TC, effective_price, BODY_EFFECTIVE_GAS_PRICE,
	  "receipts[2].effectiveGasPrice" },
	{ "gasPrice of a 1559 tx", TC, typed_gas_price,
	  BODY_EFFECTIVE_GAS_PRICE, "transactions[2].gasPrice" },
	{ "gasUsed", TC, gas_used, BODY_GAS_USED, "receipts[1].gasUsed" },
	{ "cumulativeGasUsed", TC, cumulative, BODY_GAS_USED,
	  "receipts[3].gasUsed" },
	{ "unknown type", TC, unknown_type, BODY_UNKNOWN_TYPE,
	  "transactions[1].type" },
	{ "input not hex", TC, bad_input, BODY_MALFORMED,
	  "transactions[1].input" },
	{ "withdrawal amount", M18, withdrawal_amount, BODY_WITHDRAWALS_ROOT,
	  "block.withdrawalsRoot" },
	{ "receipt bloom", TC, receipt_bloom_changed, BODY_LOGS_BLOOM,
	  "receipts[3].logsBloom" },
	{ "block bloom", M17, block_bloom, BODY_LOGS_BLOOM,
	  "block.logsBloom" },
	{ "post-state root", FRONTIER, post_state_root, BODY_RECEIPTS_ROOT,
	  "block.receiptsRoot" },
	{ "header transactionsRoot", TC, tx_root, BODY_TRANSACTIONS_ROOT,
	  "block.transactionsRoot" },
};

START_TEST(corruption_caught)
{
	const struct corruption *k = &corruptions[_i];
	yajl_val m = load(k->file);
	struct body_report r;
	enum body_field f;

	k->apply(m);
	f = check(m, 1, &r);
	ck_assert_msg(f == k->field && !strcmp(r.where, k->where),
		      "%s: %s at %s (expected %s at %s)", k->name,
		      body_field_name(f), r.where, body_field_name(k->field),
		      k->where);
	ck_assert_int_eq(r.field, f);
	yajl_tree_free(m);
}
END_TEST

/* Without sender recovery a changed from is still caught where the
 * receipt repeats it, and a changed signature is not; the names of every
 * field are the ones metrics and logs use. */
START_TEST(without_recovery)
{
	yajl_val m = load(TC);
	struct body_report r;

	set_str(tx_at(m, 1), "from", "0x0000000000000000000000000000000000000001");
	ck_assert_int_eq(check(m, 0, &r), BODY_FROM);
	ck_assert_str_eq(r.where, "receipts[1].from");
	yajl_tree_free(m);
}
END_TEST

START_TEST(field_names)
{
	static const char *const want[BODY_NFIELDS] = {
		"ok", "transactionsRoot", "receiptsRoot", "logsBloom",
		"withdrawalsRoot", "tx_hash", "from", "blockHash",
		"blockNumber", "transactionIndex", "logIndex",
		"transactionHash", "receipt_count", "contractAddress",
		"effectiveGasPrice", "gasUsed", "unknown_type", "malformed",
	};

	for (int f = 0; f < BODY_NFIELDS; f++)
		ck_assert_str_eq(body_field_name((enum body_field)f), want[f]);
	ck_assert_str_eq(body_field_name(BODY_NFIELDS), "malformed");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("body");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, real_blocks_verify, 0, NFIX);
	tcase_add_test(tc, text_entry_point);
	tcase_add_test(tc, envelopes_hash_as_published);
	tcase_add_test(tc, receipt_bloom_of_logs);
	tcase_add_loop_test(tc, corruption_caught, 0,
			    sizeof(corruptions) / sizeof(corruptions[0]));
	tcase_add_test(tc, without_recovery);
	tcase_add_test(tc, field_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
