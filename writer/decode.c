#include "decode.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "copyrow.h"
#include "hex.h"
#include "json.h"
#include "message.h"
#include "banned.h"

/* topic0..topic3: the columns of a log's topics. */
#define MAX_TOPICS 4
/* Sizes of the byte strings the node sends, checked before they are
 * written. */
#define ADDRESS_BYTES 20
#define BLOOM_BYTES 256
#define NONCE_BYTES 8

static const char *const table_names[WT_NTABLES] = {
	"blocks", "transactions", "logs", "reorgs", "canonical",
};

static const char *const table_columns[WT_NTABLES] = {
	"chain_id, hash, number, parent_hash, timestamp, miner, gas_used, "
	"gas_limit, base_fee, size, tx_count, state_root, transactions_root, "
	"receipts_root, logs_bloom, extra_data, mix_hash, nonce, difficulty, "
	"sha3_uncles, blob_gas_used, excess_blob_gas, withdrawals_root, "
	"parent_beacon_block_root",
	"chain_id, block_hash, tx_index, block_number, hash, from_addr, "
	"to_addr, value, gas, gas_price, max_fee, max_priority_fee, nonce, "
	"type, input, status, gas_used, cumulative_gas_used, "
	"effective_gas_price, contract_address",
	"chain_id, block_hash, log_index, block_number, tx_hash, tx_index, "
	"address, topic0, topic1, topic2, topic3, data",
	"chain_id, seq, ancestor_number, ancestor_hash, old_tip, old_tip_hash, "
	"new_tip_number, new_tip_hash, depth, orphaned, invalidate_from, "
	"invalidate_to, deep, below_finalized, at",
	"chain_id, number, hash, seq",
};

const char *wt_name(enum wt t)
{
	return t < WT_NTABLES ? table_names[t] : "?";
}

const char *wt_columns(enum wt t)
{
	return t < WT_NTABLES ? table_columns[t] : "";
}

/* Decoding state: the row being built and where a failure is reported. */
struct dec {
	const struct decode_opts *o;
	char *why;
	size_t whylen;
	struct copyrow row;
};

static int fail(struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, d->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Is s "0x" followed by an even number of hex digits (exactly 2*nbytes
 * when nbytes > 0)? */
static int is_hex_bytes(const char *s, size_t nbytes)
{
	long n = s ? hex_span_bytes(s, strlen(s)) : -1;

	return n >= 0 && (!nbytes || (size_t)n == nbytes);
}

/* The member as a string, or NULL (absent or JSON null): *present says
 * whether it was there and not null. -1 when it is there but no string. */
static int get_opt_str(struct dec *d, yajl_val obj, const char *key,
		       const char *path, const char **out)
{
	yajl_val v = json_get(obj, key);

	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return fail(d, "%s.%s: not a string", path, key);
	*out = v->u.string;
	return 0;
}

/* Bytes: nbytes exactly (0 = any length). */
static int bytes_col(struct dec *d, yajl_val obj, const char *key,
		     size_t nbytes, int required, const char *path)
{
	const char *s;

	if (get_opt_str(d, obj, key, path, &s) < 0)
		return -1;
	if (!s) {
		if (required)
			return fail(d, "%s.%s: missing", path, key);
		copyrow_null(&d->row);
		return 0;
	}
	if (!is_hex_bytes(s, nbytes)) {
		if (nbytes)
			return fail(d, "%s.%s: not %zu bytes of 0x-hex", path,
				    key, nbytes);
		return fail(d, "%s.%s: not 0x-hex bytes", path, key);
	}
	copyrow_bytea(&d->row, s);
	return 0;
}

/* A quantity that fits a bigint. */
static int get_qty(struct dec *d, yajl_val obj, const char *key,
		   const char *path, int *present, uint64_t *out)
{
	yajl_val v = json_get(obj, key);

	*present = 0;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (json_get_u64(obj, key, out) < 0)
		return fail(d, "%s.%s: not a quantity", path, key);
	if (*out > INT64_MAX)
		return fail(d, "%s.%s: too large", path, key);
	*present = 1;
	return 0;
}

static int qty_col(struct dec *d, yajl_val obj, const char *key,
		   int required, const char *path)
{
	uint64_t v;
	int present;

	if (get_qty(d, obj, key, path, &present, &v) < 0)
		return -1;
	if (!present) {
		if (required)
			return fail(d, "%s.%s: missing", path, key);
		copyrow_null(&d->row);
		return 0;
	}
	copyrow_u64(&d->row, v);
	return 0;
}

/* A required quantity of up to 64 bits into numeric(20,0) (a nonce). */
static int u64_col(struct dec *d, yajl_val obj, const char *key,
		   const char *path)
{
	uint64_t v;

	if (!json_get(obj, key))
		return fail(d, "%s.%s: missing", path, key);
	if (json_get_u64(obj, key, &v) < 0)
		return fail(d, "%s.%s: not a 64-bit quantity", path, key);
	copyrow_u64(&d->row, v);
	return 0;
}

/* A 256-bit quantity into numeric(78,0). */
static int num_col(struct dec *d, yajl_val obj, const char *key,
		   int required, const char *path)
{
	yajl_val v = json_get(obj, key);
	char dec[80];

	if (!v || YAJL_IS_NULL(v)) {
		if (required)
			return fail(d, "%s.%s: missing", path, key);
		copyrow_null(&d->row);
		return 0;
	}
	if (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0) {
		copyrow_u64(&d->row, (uint64_t)YAJL_GET_INTEGER(v));
		return 0;
	}
	if (!YAJL_IS_STRING(v) || hex_u256_to_dec(v->u.string, strlen(v->u.string), dec, sizeof(dec)) < 0)
		return fail(d, "%s.%s: not a 256-bit hex quantity", path, key);
	copyrow_text(&d->row, dec);
	return 0;
}

static void hash_bytes(const char *hex, uint8_t out[HASH_BYTES])
{
	for (size_t i = 0; i < HASH_BYTES; i++)
		out[i] = (uint8_t)(hex_digit(hex[2 + 2 * i]) << 4 |
				   hex_digit(hex[3 + 2 * i]));
}

/* The message's own hash fields: a valid 32-byte hash. */
static int get_hash(struct dec *d, yajl_val obj, const char *key,
		    const char *path, const char **out)
{
	if (get_opt_str(d, obj, key, path, out) < 0)
		return -1;
	if (!*out)
		return fail(d, "%s.%s: missing", path, key);
	if (!is_hex_bytes(*out, HASH_BYTES))
		return fail(d, "%s.%s: not a 32-byte 0x-hex hash", path, key);
	return 0;
}

/* The logs of transaction i's receipt rc: log indexes strictly increase
 * across the block (*last_log is the previous one). */
static int decode_logs(struct dec *d, struct wmsg *m, const char *bhash,
		       const char *txh, yajl_val rc, const char *rpath,
		       size_t i, int64_t *last_log)
{
	yajl_val logs = json_get(rc, "logs");
	uint64_t v;
	int present;

	if (!logs || !YAJL_IS_ARRAY(logs))
		return fail(d, "%s.logs: missing or not an array", rpath);
	for (size_t j = 0; j < logs->u.array.len; j++) {
		yajl_val lg = logs->u.array.values[j], topics;
		char lpath[80];

		snprintf(lpath, sizeof(lpath), "%s.logs[%zu]", rpath, j);
		if (!YAJL_IS_OBJECT(lg))
			return fail(d, "%s: not an object", lpath);
		if (get_qty(d, lg, "logIndex", lpath, &present, &v) < 0)
			return -1;
		if (!present)
			return fail(d, "%s.logIndex: missing", lpath);
		if (v > INT32_MAX || (int64_t)v <= *last_log)
			return fail(d, "%s.logIndex: %" PRIu64 " out of order",
				    lpath, v);
		*last_log = (int64_t)v;
		topics = json_get(lg, "topics");
		if (!topics || !YAJL_IS_ARRAY(topics) || topics->u.array.len > MAX_TOPICS)
			return fail(d, "%s.topics: not an array of at most 4",
				    lpath);
		copyrow_begin(&d->row, &m->rows[WT_LOGS]);
		copyrow_u64(&d->row, m->chain_id);
		copyrow_bytea(&d->row, bhash);
		copyrow_u64(&d->row, v);
		copyrow_u64(&d->row, m->number);
		copyrow_bytea(&d->row, txh);
		copyrow_u64(&d->row, i);
		if (bytes_col(d, lg, "address", ADDRESS_BYTES, 1, lpath) < 0)
			return -1;
		for (size_t k = 0; k < MAX_TOPICS; k++) {
			yajl_val t;

			if (k >= topics->u.array.len) {
				copyrow_null(&d->row);
				continue;
			}
			t = topics->u.array.values[k];
			if (!YAJL_IS_STRING(t) || !is_hex_bytes(t->u.string, HASH_BYTES))
				return fail(d, "%s.topics[%zu]: not a 32-byte "
					    "0x-hex topic", lpath, k);
			copyrow_bytea(&d->row, t->u.string);
		}
		if (bytes_col(d, lg, "data", 0, 1, lpath) < 0)
			return -1;
		copyrow_end(&d->row);
		m->nrows[WT_LOGS]++;
	}
	return 0;
}

static int decode_tx(struct dec *d, struct wmsg *m, const char *bhash,
		     yajl_val tx, yajl_val rc, size_t i, int64_t *last_log)
{
	char path[48], rpath[48];
	const char *txh, *rtxh;
	uint64_t v;
	int present;

	snprintf(path, sizeof(path), "block.transactions[%zu]", i);
	snprintf(rpath, sizeof(rpath), "receipts[%zu]", i);
	if (!YAJL_IS_OBJECT(tx))
		return fail(d, "%s: not an object (the block must be fetched "
			    "with full transactions)", path);
	if (!YAJL_IS_OBJECT(rc))
		return fail(d, "%s: not an object", rpath);
	if (get_hash(d, tx, "hash", path, &txh) < 0 ||
	    get_hash(d, rc, "transactionHash", rpath, &rtxh) < 0)
		return -1;
	if (strcasecmp(txh, rtxh))
		return fail(d, "%s.transactionHash: '%s' is not the hash of "
			    "its transaction '%s'", rpath, rtxh, txh);
	if (get_qty(d, tx, "transactionIndex", path, &present, &v) < 0)
		return -1;
	if (present && v != i)
		return fail(d, "%s.transactionIndex: %" PRIu64 ", expected %zu",
			    path, v, i);

	copyrow_begin(&d->row, &m->rows[WT_TRANSACTIONS]);
	copyrow_u64(&d->row, m->chain_id);
	copyrow_bytea(&d->row, bhash);
	copyrow_u64(&d->row, i);
	copyrow_u64(&d->row, m->number);
	copyrow_bytea(&d->row, txh);
	if (bytes_col(d, tx, "from", ADDRESS_BYTES, 1, path) < 0 ||
	    bytes_col(d, tx, "to", ADDRESS_BYTES, 0, path) < 0 ||
	    num_col(d, tx, "value", 1, path) < 0 ||
	    qty_col(d, tx, "gas", 1, path) < 0 ||
	    num_col(d, tx, "gasPrice", 0, path) < 0 ||
	    num_col(d, tx, "maxFeePerGas", 0, path) < 0 ||
	    num_col(d, tx, "maxPriorityFeePerGas", 0, path) < 0 ||
	    u64_col(d, tx, "nonce", path) < 0)
		return -1;
	if (get_qty(d, tx, "type", path, &present, &v) < 0)
		return -1;
	if (present && v > 255)
		return fail(d, "%s.type: %" PRIu64 " is not a transaction type",
			    path, v);
	copyrow_u64(&d->row, present ? v : 0);
	if (bytes_col(d, tx, "input", 0, 1, path) < 0)
		return -1;
	if (get_qty(d, rc, "status", rpath, &present, &v) < 0)
		return -1;
	if (present && v > 1)
		return fail(d, "%s.status: %" PRIu64 ", expected 0 or 1", rpath, v);
	if (present)
		copyrow_u64(&d->row, v);
	else
		copyrow_null(&d->row);
	if (qty_col(d, rc, "gasUsed", 1, rpath) < 0 ||
	    qty_col(d, rc, "cumulativeGasUsed", 0, rpath) < 0 ||
	    num_col(d, rc, "effectiveGasPrice", 0, rpath) < 0 ||
	    bytes_col(d, rc, "contractAddress", ADDRESS_BYTES, 0, rpath) < 0)
		return -1;
	copyrow_end(&d->row);
	m->nrows[WT_TRANSACTIONS]++;

	return decode_logs(d, m, bhash, txh, rc, rpath, i, last_log);
}

/* The blocks row: the header's columns, in the order of wt_columns(). */
static int block_row(struct dec *d, yajl_val blk, const char *hash,
		     const char *parent, size_t ntx, struct wmsg *m)
{
	uint64_t v;
	int present;

	copyrow_begin(&d->row, &m->rows[WT_BLOCKS]);
	copyrow_u64(&d->row, m->chain_id);
	copyrow_bytea(&d->row, hash);
	copyrow_u64(&d->row, m->number);
	copyrow_bytea(&d->row, parent);
	if (get_qty(d, blk, "timestamp", "block", &present, &v) < 0)
		return -1;
	if (!present)
		return fail(d, "block.timestamp: missing");
	if (copyrow_time(&d->row, v, -1) < 0)
		return fail(d, "block.timestamp: %" PRIu64 " out of range", v);
	if (bytes_col(d, blk, "miner", ADDRESS_BYTES, 0, "block") < 0 ||
	    qty_col(d, blk, "gasUsed", 1, "block") < 0 ||
	    qty_col(d, blk, "gasLimit", 1, "block") < 0 ||
	    num_col(d, blk, "baseFeePerGas", 0, "block") < 0 ||
	    qty_col(d, blk, "size", 0, "block") < 0)
		return -1;
	copyrow_u64(&d->row, ntx);
	if (bytes_col(d, blk, "stateRoot", HASH_BYTES, 0, "block") < 0 ||
	    bytes_col(d, blk, "transactionsRoot", HASH_BYTES, 0, "block") < 0 ||
	    bytes_col(d, blk, "receiptsRoot", HASH_BYTES, 0, "block") < 0 ||
	    bytes_col(d, blk, "logsBloom", BLOOM_BYTES, 0, "block") < 0 ||
	    bytes_col(d, blk, "extraData", 0, 0, "block") < 0 ||
	    bytes_col(d, blk, "mixHash", HASH_BYTES, 0, "block") < 0 ||
	    bytes_col(d, blk, "nonce", NONCE_BYTES, 0, "block") < 0 ||
	    num_col(d, blk, "difficulty", 0, "block") < 0 ||
	    bytes_col(d, blk, "sha3Uncles", HASH_BYTES, 0, "block") < 0 ||
	    qty_col(d, blk, "blobGasUsed", 0, "block") < 0 ||
	    qty_col(d, blk, "excessBlobGas", 0, "block") < 0 ||
	    bytes_col(d, blk, "withdrawalsRoot", HASH_BYTES, 0, "block") < 0 ||
	    bytes_col(d, blk, "parentBeaconBlockRoot", HASH_BYTES, 0, "block") < 0)
		return -1;
	copyrow_end(&d->row);
	m->nrows[WT_BLOCKS] = 1;
	return 0;
}

static int decode_block(struct dec *d, const struct message_block *mb,
			yajl_val blk, yajl_val rcs, struct wmsg *m)
{
	const char *hash = mb->hash, *parent = mb->parent_hash, *bhash,
		   *bparent;
	yajl_val txs;
	uint64_t v;
	int present;
	int64_t last_log = -1;

	m->number = mb->number;
	m->number_to = m->number;
	if (!YAJL_IS_OBJECT(blk))
		return fail(d, "message.block: missing or not an object");
	if (get_qty(d, blk, "number", "block", &present, &v) < 0)
		return -1;
	if (!present || v != m->number)
		return fail(d, "block.number: does not match the message's "
			    "number %" PRIu64, m->number);
	if (get_hash(d, blk, "hash", "block", &bhash) < 0 ||
	    get_hash(d, blk, "parentHash", "block", &bparent) < 0)
		return -1;
	if (strcasecmp(bhash, hash))
		return fail(d, "block.hash: '%s' does not match the message's "
			    "hash '%s'", bhash, hash);
	if (strcasecmp(bparent, parent))
		return fail(d, "block.parentHash: '%s' does not match the "
			    "message's parent_hash '%s'", bparent, parent);
	txs = json_get(blk, "transactions");
	if (!txs || !YAJL_IS_ARRAY(txs))
		return fail(d, "block.transactions: missing or not an array");
	if (!YAJL_IS_ARRAY(rcs))
		return fail(d, "message.receipts: missing or not an array");
	if (rcs->u.array.len != txs->u.array.len)
		return fail(d, "message.receipts: %zu receipts for %zu "
			    "transactions", rcs->u.array.len, txs->u.array.len);
	if (txs->u.array.len > INT32_MAX)
		return fail(d, "block.transactions: too many");
	hash_bytes(hash, m->hash);

	if (block_row(d, blk, hash, parent, txs->u.array.len, m) < 0)
		return -1;

	for (size_t i = 0; i < txs->u.array.len; i++)
		if (decode_tx(d, m, hash, txs->u.array.values[i],
			      rcs->u.array.values[i], i, &last_log) < 0)
			return -1;

	copyrow_begin(&d->row, &m->rows[WT_CANONICAL]);
	copyrow_u64(&d->row, m->chain_id);
	copyrow_u64(&d->row, m->number);
	copyrow_bytea(&d->row, hash);
	copyrow_u64(&d->row, m->seq);
	copyrow_end(&d->row);
	m->nrows[WT_CANONICAL] = 1;
	return 0;
}

static int decode_reorg(struct dec *d, const struct message_reorg *r,
			struct wmsg *m)
{
	const struct message_ref *old = r->norphaned ?
		&r->orphaned[r->norphaned - 1] : NULL;
	uint64_t emitted;
	struct buf oj = BUF_INIT;

	if (r->invalidate_to - r->invalidate_from >= d->o->max_reorg_range)
		return fail(d, "message.invalidate_to: range of %" PRIu64
			    " heights is larger than %" PRIu64,
			    r->invalidate_to - r->invalidate_from + 1,
			    d->o->max_reorg_range);
	if (buf_addch(&oj, '[') < 0)
		d->row.oom = 1;
	for (size_t i = 0; i < r->norphaned; i++)
		if (buf_addf(&oj, "%s{\"number\": %" PRIu64 ", \"hash\": \"%s\"}",
			     i ? ", " : "", r->orphaned[i].number,
			     r->orphaned[i].hash) < 0)
			d->row.oom = 1;
	if (buf_addch(&oj, ']') < 0)
		d->row.oom = 1;

	m->number = r->invalidate_from;
	m->number_to = r->invalidate_to;
	m->has_new_tip = r->has_new_tip;
	m->new_tip = r->has_new_tip ? r->new_tip.number : 0;
	copyrow_begin(&d->row, &m->rows[WT_REORGS]);
	copyrow_u64(&d->row, m->chain_id);
	copyrow_u64(&d->row, m->seq);
	/* A null ancestor is below block 0: NULL, without hash. */
	if (r->has_ancestor) {
		copyrow_u64(&d->row, r->ancestor.number);
		copyrow_bytea(&d->row, r->ancestor.hash);
	} else {
		copyrow_null(&d->row);
		copyrow_null(&d->row);
	}
	copyrow_u64(&d->row, old ? old->number : r->invalidate_to);
	if (old)
		copyrow_bytea(&d->row, old->hash);
	else
		copyrow_null(&d->row);
	if (r->has_new_tip) {
		copyrow_u64(&d->row, r->new_tip.number);
		if (r->new_tip.hash[0])
			copyrow_bytea(&d->row, r->new_tip.hash);
		else
			copyrow_null(&d->row);
	} else {
		copyrow_null(&d->row);
		copyrow_null(&d->row);
	}
	copyrow_u64(&d->row, r->has_depth ? r->depth : r->norphaned);
	copyrow_text(&d->row, oj.data ? oj.data : "[]");
	buf_release(&oj);
	copyrow_u64(&d->row, r->invalidate_from);
	copyrow_u64(&d->row, r->invalidate_to);
	copyrow_text(&d->row, r->deep ? "t" : "f");
	copyrow_text(&d->row, r->below_finalized ? "t" : "f");
	/* emitted_at makes `at` the same in every writer; without it the
	 * writer's clock is the best there is. */
	emitted = r->emitted_at;
	if (!r->has_emitted_at) {
		emitted = (uint64_t)clock_wall_ms();
	}
	if (copyrow_time(&d->row, emitted / 1000, (int)(emitted % 1000)) < 0)
		return fail(d, "message.emitted_at: %" PRIu64 " out of range",
			    emitted);
	copyrow_end(&d->row);
	m->nrows[WT_REORGS] = 1;
	return 0;
}

void wmsg_free(struct wmsg **pm)
{
	struct wmsg *m = *pm;

	if (!m)
		return;
	for (int t = 0; t < WT_NTABLES; t++)
		buf_release(&m->rows[t]);
	free(m);
	*pm = NULL;
}

/* The message's kind, chain and seq, or why it is not for the tables. */
static enum decode_result decode_head(struct dec *d, const struct message *msg,
				     enum message_status st, struct wmsg *m)
{
	const struct message_block *b = &msg->u.block;
	const struct message_reorg *r = &msg->u.reorg;
	bool block = msg->type == MESSAGE_BLOCK;

	if (st == MESSAGE_DUPLICATE)
		return DECODE_DUPLICATE;
	if (st != MESSAGE_OK && (st == MESSAGE_INVALID ||
				 st == MESSAGE_NO_TYPE || st == MESSAGE_NOMEM ||
				 block || msg->type == MESSAGE_REORG))
		return DECODE_MALFORMED;
	if (!block && msg->type != MESSAGE_REORG) {
		fail(d, "%s", msg->type_name);
		return DECODE_IGNORED;
	}
	m->kind = block ? WMSG_BLOCK : WMSG_REORG;
	m->chain_id = block ? b->chain_id : r->chain_id;
	m->seq = block ? b->seq : r->seq;
	m->live = block && b->live;
	if (!(block ? b->has_seq : r->has_seq)) {
		if (!block || !d->o->allow_unsequenced) {
			fail(d, "message has no seq (not from the verifier; "
			     "see --allow-unsequenced)");
			return DECODE_UNSEQUENCED;
		}
		/* Block number as seq: a later message about the same height
		 * then never wins, which is the best without a verifier. */
		m->seq = b->number;
	}
	return DECODE_ADDED;
}

enum decode_result wmsg_decode(const char *json, size_t len,
			      const struct decode_opts *o, struct wmsg **out,
			      char *type, size_t typelen, char *why,
			      size_t whylen)
{
	struct dec d = { .o = o, .why = why, .whylen = whylen };
	struct message msg;
	enum message_status st;
	yajl_val tree = NULL;
	struct wmsg *m = NULL;
	enum decode_result res;
	int rc;

	*out = NULL;
	snprintf(type, typelen, "?");
	why[0] = '\0';
	if (strlen(json) != len) {
		fail(&d, "message contains a NUL byte");
		return DECODE_MALFORMED;
	}
	/* One walk reads the message and builds the tree of the node's
	 * block and receipts the rows are made from: parsed once. */
	st = message_read_tree(json, len, &msg, &tree, why, whylen);
	if (msg.type_name[0])
		snprintf(type, typelen, "%s", msg.type_name);
	m = calloc(1, sizeof(*m));
	if (!m) {
		fail(&d, "out of memory");
		res = DECODE_MALFORMED;
		goto out;
	}
	res = decode_head(&d, &msg, st, m);
	if (res != DECODE_ADDED)
		goto out;
	res = DECODE_MALFORMED;
	if (m->kind == WMSG_BLOCK) {
		rc = decode_block(&d, &msg.u.block, json_get(tree, "block"),
				  json_get(tree, "receipts"), m);
	} else {
		rc = decode_reorg(&d, &msg.u.reorg, m);
	}
	if (rc < 0)
		goto out;
	if (d.row.oom) {
		fail(&d, "out of memory (or a message over the buffer cap)");
		goto out;
	}
	*out = m;
	m = NULL;
	res = DECODE_ADDED;
out:
	wmsg_free(&m);
	json_tree_free(tree);
	message_release(&msg);
	return res;
}
