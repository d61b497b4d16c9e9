#include "body.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hex.h"
#include "jrlp.h"
#include "json.h"
#include "receipt.h"
#include "rlp.h"
#include "sender.h"
#include "trie.h"
#include "txenc.h"
#include "banned.h"

static const char *const names[BODY_NFIELDS] = {
	"ok", "transactionsRoot", "receiptsRoot", "logsBloom",
	"withdrawalsRoot", "tx_hash", "from", "blockHash", "blockNumber",
	"transactionIndex", "logIndex", "transactionHash", "receipt_count",
	"contractAddress", "effectiveGasPrice", "gasUsed", "unknown_type",
	"malformed",
};

const char *body_field_name(enum body_field f)
{
	return f < BODY_NFIELDS ? names[f] : "malformed";
}

/* An ordered list of encoded items and where each starts. */
struct list {
	struct buf data;
	size_t *off;
	size_t n, cap;
};

struct body_checker {
	struct sender *sender; /* NULL: from is not recovered */
	struct txenc tx;
	struct rcptenc rc;
	struct list txs, rcs, wds;
	struct buf text, item;
};

/* What one block's checks carry from a transaction to the next. */
struct blk {
	const char *hash;
	uint64_t number;
	uint8_t base_fee[32];
	int has_base_fee;
	uint8_t bloom[BLOOM_SIZE];
	uint64_t cum;       /* cumulativeGasUsed of the previous receipt */
	uint64_t log_index; /* the next log's logIndex */
	uint8_t from[20];   /* the current transaction's sender */
	const char *tx_hash;
};

static int list_add(struct list *l, const void *p, size_t len)
{
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		size_t *off = realloc(l->off, cap * sizeof(*off));

		if (!off)
			return -1;
		l->off = off;
		l->cap = cap;
	}
	if (!l->n)
		l->off[0] = 0;
	if (buf_add(&l->data, p, len) < 0)
		return -1;
	l->off[++l->n] = l->data.len;
	return 0;
}

static void list_reset(struct list *l)
{
	buf_reset(&l->data);
	l->n = 0;
}

static int list_root(const struct list *l, uint8_t root[32])
{
	return trie_root_list((const uint8_t *)l->data.data, l->off, l->n,
			      root);
}

static void list_release(struct list *l)
{
	buf_release(&l->data);
	free(l->off);
	memset(l, 0, sizeof(*l));
}

/* What fits of p[0..n) as 0x-hex in out[outlen]. */
static void hex(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	if (outlen < 3) {
		if (outlen)
			*out = '\0';
		return;
	}
	if (n > (outlen - 3) / 2)
		n = (outlen - 3) / 2;
	hex_encode(p, n, out);
}

/* A 256-bit quantity as 0x-hex without leading zeros. */
static void hex_qty(const uint8_t q[32], char *out, size_t outlen)
{
	char full[HASH_HEX_SIZE];
	const char *s;

	hex(q, 32, full, sizeof(full));
	for (s = full + 2; *s == '0' && s[1]; s++)
		;
	snprintf(out, outlen, "0x%s", s);
}

static enum body_field report(struct body_report *r, enum body_field f,
			      const char *expected, const char *got,
			      const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum body_field report(struct body_report *r, enum body_field f,
			      const char *expected, const char *got,
			      const char *fmt, ...)
{
	va_list ap;

	r->field = f;
	va_start(ap, fmt);
	vsnprintf(r->where, sizeof(r->where), fmt, ap);
	va_end(ap);
	snprintf(r->expected, sizeof(r->expected), "%s", expected ? expected : "");
	snprintf(r->got, sizeof(r->got), "%s", got ? got : "");
	return f;
}

static const char *str_or(yajl_val v, const char *absent)
{
	if (!v)
		return absent;
	if (YAJL_IS_STRING(v))
		return v->u.string;
	return YAJL_IS_NULL(v) ? "null" : "(not a string)";
}

/* blockHash, blockNumber and transactionIndex of a transaction, receipt
 * or log, each when present. what is "transactions[3]" and so on. */
static enum body_field check_place(yajl_val o, const struct blk *b, size_t i,
				   const char *what, struct body_report *r)
{
	yajl_val v = json_get(o, "blockHash");
	uint64_t n;
	char want[24], got[24];

	if (v && (!YAJL_IS_STRING(v) || strcasecmp(v->u.string, b->hash)))
		return report(r, BODY_BLOCK_HASH, b->hash, str_or(v, ""),
			      "%s.blockHash", what);
	v = json_get(o, "blockNumber");
	if (v && (json_get_u64(o, "blockNumber", &n) < 0 || n != b->number)) {
		snprintf(want, sizeof(want), "0x%llx",
			 (unsigned long long)b->number);
		return report(r, BODY_BLOCK_NUMBER, want, str_or(v, ""),
			      "%s.blockNumber", what);
	}
	v = json_get(o, "transactionIndex");
	if (v && (json_get_u64(o, "transactionIndex", &n) < 0 || n != i)) {
		snprintf(want, sizeof(want), "0x%zx", i);
		snprintf(got, sizeof(got), "%s", str_or(v, ""));
		return report(r, BODY_TRANSACTION_INDEX, want, got,
			      "%s.transactionIndex", what);
	}
	return BODY_OK;
}

/* An address member: 20 bytes. 0, or -1 when absent or malformed. */
static int get_addr(yajl_val o, const char *key, uint8_t out[20])
{
	return jrlp_bytes(json_get(o, key), out, 20);
}

static enum body_field check_tx(struct body_checker *c, struct blk *b,
				size_t i, yajl_val tx, struct body_report *r)
{
	char why[64], want[HASH_HEX_SIZE], got[43];
	uint8_t rec[20];
	const char *h;

	switch (txenc_encode(&c->tx, tx, why, sizeof(why))) {
	case TXENC_OK:
		break;
	case TXENC_UNKNOWN_TYPE:
		return report(r, BODY_UNKNOWN_TYPE, "0x0 .. 0x4", why,
			      "transactions[%zu].type", i);
	default:
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "transactions[%zu].%s", i, why);
	}
	if (list_add(&c->txs, c->tx.env.data, c->tx.env.len) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "out of memory");
	hex(c->tx.hash, 32, want, sizeof(want));
	h = json_get_str(tx, "hash");
	if (!h || strcasecmp(h, want))
		return report(r, BODY_TX_HASH, want, str_or(json_get(tx, "hash"),
							    "(absent)"),
			      "transactions[%zu].hash", i);
	b->tx_hash = h;
	if (get_addr(tx, "from", b->from) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "transactions[%zu].from", i);
	if (c->sender) {
		if (sender_recover(c->sender, c->tx.sighash, c->tx.r, c->tx.s,
				   c->tx.recid, rec) < 0)
			return report(r, BODY_FROM, "a valid signature",
				      "no signer", "transactions[%zu].from", i);
		if (memcmp(rec, b->from, 20)) {
			hex(rec, 20, got, sizeof(got));
			return report(r, BODY_FROM, got,
				      json_get_str(tx, "from"),
				      "transactions[%zu].from", i);
		}
	}
	snprintf(why, sizeof(why), "transactions[%zu]", i);
	return check_place(tx, b, i, why, r);
}

/* The logs' place in the block, and logIndex counting across it. */
static enum body_field check_logs(struct blk *b, size_t i, yajl_val rc,
				  struct body_report *r)
{
	yajl_val logs = json_get(rc, "logs");
	char what[64], want[24];
	enum body_field f;
	uint64_t n;

	for (size_t j = 0; j < logs->u.array.len; j++) {
		yajl_val lg = logs->u.array.values[j];
		const char *th = json_get_str(lg, "transactionHash");

		snprintf(what, sizeof(what), "receipts[%zu].logs[%zu]", i, j);
		f = check_place(lg, b, i, what, r);
		if (f)
			return f;
		if (json_get(lg, "transactionHash") &&
		    (!th || strcasecmp(th, b->tx_hash)))
			return report(r, BODY_TRANSACTION_HASH, b->tx_hash,
				      str_or(json_get(lg, "transactionHash"),
					     ""),
				      "%s.transactionHash", what);
		if (json_get_u64(lg, "logIndex", &n) < 0 ||
		    n != b->log_index) {
			snprintf(want, sizeof(want), "0x%llx",
				 (unsigned long long)b->log_index);
			return report(r, BODY_LOG_INDEX, want,
				      str_or(json_get(lg, "logIndex"),
					     "(absent)"),
				      "%s.logIndex", what);
		}
		b->log_index++;
	}
	return BODY_OK;
}

/* gasUsed is the step of cumulativeGasUsed. */
static enum body_field check_gas(struct blk *b, size_t i, yajl_val rc,
				 struct body_report *r)
{
	uint64_t cum, used;
	char want[24];

	if (json_get_u64(rc, "cumulativeGasUsed", &cum) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "receipts[%zu].cumulativeGasUsed", i);
	if (json_get_u64(rc, "gasUsed", &used) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "receipts[%zu].gasUsed", i);
	if (cum < b->cum || cum - b->cum != used) {
		if (cum < b->cum)
			snprintf(want, sizeof(want), "(cumulative going down)");
		else
			snprintf(want, sizeof(want), "0x%llx",
				 (unsigned long long)(cum - b->cum));
		return report(r, BODY_GAS_USED, want,
			      str_or(json_get(rc, "gasUsed"), ""),
			      "receipts[%zu].gasUsed", i);
	}
	b->cum = cum;
	return BODY_OK;
}

/* contractAddress: keccak(rlp[from, nonce])[12:] for a creation, null (or
 * absent) otherwise. */
static enum body_field check_contract(const struct body_checker *c,
				      const struct blk *b, size_t i,
				      yajl_val rc, struct body_report *r)
{
	yajl_val v = json_get(rc, "contractAddress");
	uint8_t want[20], got[20];
	char ws[43];

	if (!c->tx.create) {
		if (v && !YAJL_IS_NULL(v))
			return report(r, BODY_CONTRACT_ADDRESS, "null",
				      str_or(v, ""),
				      "receipts[%zu].contractAddress", i);
		return BODY_OK;
	}
	sender_create_address(b->from, c->tx.nonce, want);
	hex(want, 20, ws, sizeof(ws));
	if (jrlp_bytes(v, got, 20) < 0 || memcmp(want, got, 20))
		return report(r, BODY_CONTRACT_ADDRESS, ws, str_or(v, "(absent)"),
			      "receipts[%zu].contractAddress", i);
	return BODY_OK;
}

/* a + b, saturating at 2^256 - 1. */
static void add256(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
	unsigned carry = 0;

	for (int k = 31; k >= 0; k--) {
		unsigned s = (unsigned)a[k] + b[k] + carry;

		out[k] = (uint8_t)s;
		carry = s >> 8;
	}
	if (carry)
		memset(out, 0xff, 32);
}

/* What the sender paid a unit of gas: gasPrice before EIP-1559, else
 * min(maxFeePerGas, baseFee + maxPriorityFeePerGas). */
static int price(const struct body_checker *c, const struct blk *b,
		 yajl_val tx, uint8_t out[32])
{
	uint8_t fee[32], tip[32];

	if (c->tx.type < 2)
		return jrlp_qty32(json_get(tx, "gasPrice"), out);
	if (!b->has_base_fee ||
	    jrlp_qty32(json_get(tx, "maxFeePerGas"), fee) < 0 ||
	    jrlp_qty32(json_get(tx, "maxPriorityFeePerGas"), tip) < 0)
		return -1;
	add256(b->base_fee, tip, out);
	if (memcmp(fee, out, 32) < 0)
		memcpy(out, fee, 32);
	return 0;
}

/* The receipt's effectiveGasPrice and a typed transaction's gasPrice,
 * each when present. */
static enum body_field check_price(const struct body_checker *c,
				   const struct blk *b, size_t i, yajl_val tx,
				   yajl_val rc, struct body_report *r)
{
	uint8_t want[32], got[32];
	char ws[68];
	yajl_val v;

	if (price(c, b, tx, want) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "transactions[%zu] (gas price fields or the "
			      "block's baseFeePerGas)", i);
	hex_qty(want, ws, sizeof(ws));
	v = json_get(rc, "effectiveGasPrice");
	if (v && !YAJL_IS_NULL(v) &&
	    (jrlp_qty32(v, got) < 0 || memcmp(want, got, 32)))
		return report(r, BODY_EFFECTIVE_GAS_PRICE, ws, str_or(v, ""),
			      "receipts[%zu].effectiveGasPrice", i);
	v = json_get(tx, "gasPrice");
	if (c->tx.type >= 2 && v && !YAJL_IS_NULL(v) &&
	    (jrlp_qty32(v, got) < 0 || memcmp(want, got, 32)))
		return report(r, BODY_EFFECTIVE_GAS_PRICE, ws, str_or(v, ""),
			      "transactions[%zu].gasPrice", i);
	return BODY_OK;
}

static enum body_field check_receipt(struct body_checker *c, struct blk *b,
				     size_t i, yajl_val tx, yajl_val rc,
				     struct body_report *r)
{
	char why[64], want[43];
	const char *th;
	uint8_t from[20];
	uint64_t t;
	enum body_field f;

	if (rcptenc_encode(&c->rc, rc, c->tx.type, why, sizeof(why)) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "receipts[%zu].%s",
			      i, why);
	if (json_get(rc, "type") &&
	    (json_get_u64(rc, "type", &t) < 0 || t != c->tx.type))
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "receipts[%zu].type (not the transaction's)", i);
	if (list_add(&c->rcs, c->rc.enc.data, c->rc.enc.len) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "out of memory");
	snprintf(why, sizeof(why), "receipts[%zu]", i);
	if ((f = check_place(rc, b, i, why, r)))
		return f;
	th = json_get_str(rc, "transactionHash");
	if (!th || strcasecmp(th, b->tx_hash))
		return report(r, BODY_TRANSACTION_HASH, b->tx_hash,
			      str_or(json_get(rc, "transactionHash"), "(absent)"),
			      "receipts[%zu].transactionHash", i);
	if (json_get(rc, "from") &&
	    (get_addr(rc, "from", from) < 0 || memcmp(from, b->from, 20))) {
		hex(b->from, 20, want, sizeof(want));
		return report(r, BODY_FROM, want, str_or(json_get(rc, "from"), ""),
			      "receipts[%zu].from", i);
	}
	if ((f = check_logs(b, i, rc, r)))
		return f;
	for (size_t k = 0; k < BLOOM_SIZE; k++)
		b->bloom[k] |= c->rc.sent[k];
	if ((f = check_gas(b, i, rc, r)) ||
	    (f = check_contract(c, b, i, rc, r)))
		return f;
	return check_price(c, b, i, tx, rc, r);
}

/* A root member of the block against the one computed. */
static enum body_field check_root(yajl_val block, const char *key,
				  const uint8_t root[32], enum body_field f,
				  struct body_report *r)
{
	const char *sent = json_get_str(block, key);
	char want[HASH_HEX_SIZE];

	hex(root, 32, want, sizeof(want));
	if (!sent || strcasecmp(sent, want))
		return report(r, f, want, str_or(json_get(block, key), "(absent)"),
			      "block.%s", key);
	return BODY_OK;
}

/* Shanghai (EIP-4895): rlp[index, validatorIndex, address, amount] a
 * withdrawal. Before it there is no root and no withdrawal. */
static enum body_field check_withdrawals(struct body_checker *c,
					 yajl_val block, struct body_report *r)
{
	yajl_val ws = json_get(block, "withdrawals");
	yajl_val root = json_get(block, "withdrawalsRoot");
	uint8_t got[32];

	if (!root || YAJL_IS_NULL(root)) {
		if (ws && YAJL_IS_ARRAY(ws) && ws->u.array.len)
			return report(r, BODY_WITHDRAWALS_ROOT, "(absent)",
				      "withdrawals without a root",
				      "block.withdrawals");
		return BODY_OK;
	}
	if (!ws || !YAJL_IS_ARRAY(ws))
		return report(r, BODY_MALFORMED, NULL, NULL, "block.withdrawals");
	list_reset(&c->wds);
	for (size_t i = 0; i < ws->u.array.len; i++) {
		yajl_val w = ws->u.array.values[i];

		buf_reset(&c->tx.scratch);
		buf_reset(&c->item);
		if (jrlp_qty(&c->tx.scratch, json_get(w, "index")) < 0 ||
		    jrlp_qty(&c->tx.scratch, json_get(w, "validatorIndex")) < 0 ||
		    jrlp_fixed(&c->tx.scratch, json_get(w, "address"), 20) < 0 ||
		    jrlp_qty(&c->tx.scratch, json_get(w, "amount")) < 0)
			return report(r, BODY_MALFORMED, NULL, NULL,
				      "block.withdrawals[%zu]", i);
		if (rlp_put_list(&c->item, c->tx.scratch.data,
				 c->tx.scratch.len) < 0 ||
		    list_add(&c->wds, c->item.data, c->item.len) < 0)
			return report(r, BODY_MALFORMED, NULL, NULL,
				      "out of memory");
	}
	if (list_root(&c->wds, got) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "out of memory");
	return check_root(block, "withdrawalsRoot", got, BODY_WITHDRAWALS_ROOT,
			  r);
}

/* Why the block's logsBloom or receiptsRoot differs, when a receipt's
 * logsBloom is not the bloom of its logs (a log's address or topic
 * changed, a log dropped, a bloom changed): the first such receipt, or
 * BODY_OK. The blooms are computed only here: with the receipts root
 * equal to the header's, every receipt's logsBloom is the one the chain
 * committed to. */
static enum body_field bloom_differs(yajl_val rcs, struct body_report *r)
{
	uint8_t bloom[BLOOM_SIZE], sent[BLOOM_SIZE];

	for (size_t i = 0; i < rcs->u.array.len; i++) {
		yajl_val rc = rcs->u.array.values[i];

		if (receipt_bloom(rc, bloom) < 0 ||
		    jrlp_bytes(json_get(rc, "logsBloom"), sent, BLOOM_SIZE) < 0)
			return report(r, BODY_MALFORMED, NULL, NULL,
				      "receipts[%zu].logs", i);
		if (memcmp(bloom, sent, BLOOM_SIZE))
			return report(r, BODY_LOGS_BLOOM,
				      "(the bloom of its logs)",
				      "(another bloom)",
				      "receipts[%zu].logsBloom", i);
	}
	return BODY_OK;
}

/* After the transactions: the block's logsBloom, the roots. The block's
 * gasUsed is not compared with the last cumulativeGasUsed: the header
 * hash covers the one, the receipts root the other, so a difference
 * would be an invalid block, not corrupted data (and with
 * --no-verify-hash the header is not to be judged). */
static enum body_field check_block(struct body_checker *c,
				   const struct blk *b, yajl_val block,
				   yajl_val rcs, struct body_report *r)
{
	uint8_t root[32], bloom[BLOOM_SIZE];
	enum body_field f;

	if (jrlp_bytes(json_get(block, "logsBloom"), bloom, BLOOM_SIZE) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "block.logsBloom");
	if (memcmp(bloom, b->bloom, BLOOM_SIZE))
		return (f = bloom_differs(rcs, r))
			       ? f
			       : report(r, BODY_LOGS_BLOOM,
					"(the OR of the receipts')",
					"(another bloom)", "block.logsBloom");
	if (list_root(&c->txs, root) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "out of memory");
	if ((f = check_root(block, "transactionsRoot", root,
			    BODY_TRANSACTIONS_ROOT, r)))
		return f;
	if (list_root(&c->rcs, root) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "out of memory");
	if ((f = check_root(block, "receiptsRoot", root, BODY_RECEIPTS_ROOT,
			    r))) {
		/* r keeps the root's report unless a bloom explains it */
		enum body_field g = bloom_differs(rcs, r);

		return g ? g : f;
	}
	return check_withdrawals(c, block, r);
}

/* The block's own hash, number and base fee. */
static enum body_field blk_init(struct blk *b, yajl_val block,
				struct body_report *r)
{
	yajl_val fee = json_get(block, "baseFeePerGas");

	memset(b, 0, sizeof(*b));
	b->hash = json_get_str(block, "hash");
	if (!json_is_hex_len(b->hash, 32))
		return report(r, BODY_MALFORMED, NULL, NULL, "block.hash");
	if (json_get_u64(block, "number", &b->number) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "block.number");
	if (fee && !YAJL_IS_NULL(fee)) {
		if (jrlp_qty32(fee, b->base_fee) < 0)
			return report(r, BODY_MALFORMED, NULL, NULL,
				      "block.baseFeePerGas");
		b->has_base_fee = 1;
	}
	return BODY_OK;
}

enum body_field body_check(struct body_checker *c, yajl_val msg,
			   struct body_report *r)
{
	yajl_val block = json_get(msg, "block"), rcs = json_get(msg, "receipts");
	yajl_val txs = json_get(block, "transactions");
	char want[24], got[24];
	enum body_field f;
	struct blk b;

	memset(r, 0, sizeof(*r));
	if (!block || !YAJL_IS_OBJECT(block))
		return report(r, BODY_MALFORMED, NULL, NULL, "block");
	if (!txs || !YAJL_IS_ARRAY(txs))
		return report(r, BODY_MALFORMED, NULL, NULL,
			      "block.transactions");
	if (!rcs || !YAJL_IS_ARRAY(rcs))
		return report(r, BODY_MALFORMED, NULL, NULL, "receipts");
	if (rcs->u.array.len != txs->u.array.len) {
		snprintf(want, sizeof(want), "%zu", txs->u.array.len);
		snprintf(got, sizeof(got), "%zu", rcs->u.array.len);
		return report(r, BODY_RECEIPT_COUNT, want, got, "receipts");
	}
	if ((f = blk_init(&b, block, r)))
		return f;
	list_reset(&c->txs);
	list_reset(&c->rcs);
	for (size_t i = 0; i < txs->u.array.len; i++) {
		yajl_val tx = txs->u.array.values[i], rc = rcs->u.array.values[i];

		if ((f = check_tx(c, &b, i, tx, r)) ||
		    (f = check_receipt(c, &b, i, tx, rc, r)))
			return f;
	}
	return check_block(c, &b, block, rcs, r);
}

enum body_field body_check_text(struct body_checker *c, const char *text,
				size_t len, struct body_report *r)
{
	char err[128];
	yajl_val msg;
	enum body_field f;

	memset(r, 0, sizeof(*r));
	buf_reset(&c->text);
	if (buf_add(&c->text, text, len) < 0)
		return report(r, BODY_MALFORMED, NULL, NULL, "out of memory");
	msg = json_parse(c->text.data, err, sizeof(err));
	if (!msg)
		return report(r, BODY_MALFORMED, NULL, err, "message");
	f = body_check(c, msg, r);
	yajl_tree_free(msg);
	return f;
}

struct body_checker *body_checker_new(int recover_sender)
{
	struct body_checker *c = calloc(1, sizeof(*c));
	struct txenc tx = TXENC_INIT;
	struct rcptenc rc = RCPTENC_INIT;

	if (!c)
		return NULL;
	c->tx = tx;
	c->tx.no_sighash = !recover_sender;
	c->rc = rc;
	if (recover_sender && !(c->sender = sender_new())) {
		free(c);
		return NULL;
	}
	return c;
}

void body_checker_free(struct body_checker **pc)
{
	struct body_checker *c = *pc;

	if (!c)
		return;
	sender_free(&c->sender);
	txenc_release(&c->tx);
	rcptenc_release(&c->rc);
	list_release(&c->txs);
	list_release(&c->rcs);
	list_release(&c->wds);
	buf_release(&c->text);
	buf_release(&c->item);
	free(c);
	*pc = NULL;
}
