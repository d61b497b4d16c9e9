#include "batch.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "hex.h"
#include "json.h"
#include "message.h"
#include "banned.h"

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

const char *batch_table_name(enum wt t)
{
	return t < WT_NTABLES ? table_names[t] : "?";
}

const char *batch_columns(enum wt t)
{
	return t < WT_NTABLES ? table_columns[t] : "";
}

/* Decoding state: the row being built and where a failure is reported. */
struct dec {
	const struct batch_opts *o;
	char *why;
	size_t whylen;
	struct buf *row;
	int ncol;
	int oom;
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

static void row_begin(struct dec *d, struct buf *b)
{
	d->row = b;
	d->ncol = 0;
}

static void col_sep(struct dec *d)
{
	if (d->ncol++ && buf_addch(d->row, '\t') < 0)
		d->oom = 1;
}

static void row_end(struct dec *d)
{
	if (buf_addch(d->row, '\n') < 0)
		d->oom = 1;
}

static void col_null(struct dec *d)
{
	col_sep(d);
	if (buf_add(d->row, "\\N", 2) < 0)
		d->oom = 1;
}

static void col_u64(struct dec *d, uint64_t v)
{
	col_sep(d);
	if (buf_addf(d->row, "%" PRIu64, v) < 0)
		d->oom = 1;
}

static void col_text(struct dec *d, const char *s)
{
	col_sep(d);
	if (buf_adds(d->row, s) < 0)
		d->oom = 1;
}

/* Is s "0x" followed by an even number of hex digits (exactly 2*nbytes
 * when nbytes > 0)? */
static int is_hex_bytes(const char *s, size_t nbytes)
{
	long n = s ? hex_span_bytes(s, strlen(s)) : -1;

	return n >= 0 && (!nbytes || (size_t)n == nbytes);
}

/* A bytea in COPY text: \\x and lowercase hex. s must be valid. */
static void col_bytea(struct dec *d, const char *s)
{
	size_t n = strlen(s + 2);

	col_sep(d);
	if (buf_grow(d->row, n + 3) < 0) {
		d->oom = 1;
		return;
	}
	buf_add(d->row, "\\\\x", 3);
	for (s += 2; *s; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		buf_addch(d->row, c);
	}
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
		col_null(d);
		return 0;
	}
	if (!is_hex_bytes(s, nbytes)) {
		if (nbytes)
			return fail(d, "%s.%s: not %zu bytes of 0x-hex", path,
				    key, nbytes);
		return fail(d, "%s.%s: not 0x-hex bytes", path, key);
	}
	col_bytea(d, s);
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
		col_null(d);
		return 0;
	}
	col_u64(d, v);
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
	col_u64(d, v);
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
		col_null(d);
		return 0;
	}
	if (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0) {
		col_u64(d, (uint64_t)YAJL_GET_INTEGER(v));
		return 0;
	}
	if (!YAJL_IS_STRING(v) || hex_u256_to_dec(v->u.string, strlen(v->u.string), dec, sizeof(dec)) < 0)
		return fail(d, "%s.%s: not a 256-bit hex quantity", path, key);
	col_text(d, dec);
	return 0;
}

/* Unix seconds (or milliseconds) as timestamptz text in UTC. */
static int time_col(struct dec *d, uint64_t secs, int ms)
{
	struct tm tm;
	time_t t;
	char s[48];

	/* Up to the year 9999, which gmtime and PostgreSQL both take. */
	if (secs >= 253402300800ULL)
		return -1;
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return -1;
	if (ms >= 0)
		snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d.%03d+00",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	else
		snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d+00",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	col_text(d, s);
	return 0;
}

static void hash_bytes(const char *hex, uint8_t out[32])
{
	for (size_t i = 0; i < 32; i++)
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
	if (!is_hex_bytes(*out, 32))
		return fail(d, "%s.%s: not a 32-byte 0x-hex hash", path, key);
	return 0;
}

static int decode_tx(struct dec *d, struct wmsg *m, const char *bhash,
		     yajl_val tx, yajl_val rc, size_t i, int64_t *last_log)
{
	char path[48], rpath[48];
	const char *txh, *rtxh;
	uint64_t v;
	int present;
	yajl_val logs;

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

	row_begin(d, &m->rows[WT_TRANSACTIONS]);
	col_u64(d, m->chain_id);
	col_bytea(d, bhash);
	col_u64(d, i);
	col_u64(d, m->number);
	col_bytea(d, txh);
	if (bytes_col(d, tx, "from", 20, 1, path) < 0 ||
	    bytes_col(d, tx, "to", 20, 0, path) < 0 ||
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
	col_u64(d, present ? v : 0);
	if (bytes_col(d, tx, "input", 0, 1, path) < 0)
		return -1;
	if (get_qty(d, rc, "status", rpath, &present, &v) < 0)
		return -1;
	if (present && v > 1)
		return fail(d, "%s.status: %" PRIu64 ", expected 0 or 1", rpath, v);
	if (present)
		col_u64(d, v);
	else
		col_null(d);
	if (qty_col(d, rc, "gasUsed", 1, rpath) < 0 ||
	    qty_col(d, rc, "cumulativeGasUsed", 0, rpath) < 0 ||
	    num_col(d, rc, "effectiveGasPrice", 0, rpath) < 0 ||
	    bytes_col(d, rc, "contractAddress", 20, 0, rpath) < 0)
		return -1;
	row_end(d);
	m->nrows[WT_TRANSACTIONS]++;

	logs = json_get(rc, "logs");
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
		if (!topics || !YAJL_IS_ARRAY(topics) || topics->u.array.len > 4)
			return fail(d, "%s.topics: not an array of at most 4",
				    lpath);
		row_begin(d, &m->rows[WT_LOGS]);
		col_u64(d, m->chain_id);
		col_bytea(d, bhash);
		col_u64(d, v);
		col_u64(d, m->number);
		col_bytea(d, txh);
		col_u64(d, i);
		if (bytes_col(d, lg, "address", 20, 1, lpath) < 0)
			return -1;
		for (size_t k = 0; k < 4; k++) {
			yajl_val t;

			if (k >= topics->u.array.len) {
				col_null(d);
				continue;
			}
			t = topics->u.array.values[k];
			if (!YAJL_IS_STRING(t) || !is_hex_bytes(t->u.string, 32))
				return fail(d, "%s.topics[%zu]: not a 32-byte "
					    "0x-hex topic", lpath, k);
			col_bytea(d, t->u.string);
		}
		if (bytes_col(d, lg, "data", 0, 1, lpath) < 0)
			return -1;
		row_end(d);
		m->nrows[WT_LOGS]++;
	}
	return 0;
}

/* The node's block and receipts of a block message, as trees: the
 * message was validated (duplicate keys included) when it was read. */
static int span_tree(struct dec *d, const struct message_span *sp,
		     const char *path, yajl_val *out)
{
	char *copy = strndup(sp->p, sp->n);
	char err[256];

	*out = NULL;
	if (!copy)
		return fail(d, "out of memory");
	*out = json_parse(copy, err, sizeof(err));
	free(copy);
	if (!*out)
		return fail(d, "%s: %s", path, err);
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

	row_begin(d, &m->rows[WT_BLOCKS]);
	col_u64(d, m->chain_id);
	col_bytea(d, hash);
	col_u64(d, m->number);
	col_bytea(d, parent);
	if (get_qty(d, blk, "timestamp", "block", &present, &v) < 0)
		return -1;
	if (!present)
		return fail(d, "block.timestamp: missing");
	if (time_col(d, v, -1) < 0)
		return fail(d, "block.timestamp: %" PRIu64 " out of range", v);
	if (bytes_col(d, blk, "miner", 20, 0, "block") < 0 ||
	    qty_col(d, blk, "gasUsed", 1, "block") < 0 ||
	    qty_col(d, blk, "gasLimit", 1, "block") < 0 ||
	    num_col(d, blk, "baseFeePerGas", 0, "block") < 0 ||
	    qty_col(d, blk, "size", 0, "block") < 0)
		return -1;
	col_u64(d, txs->u.array.len);
	if (bytes_col(d, blk, "stateRoot", 32, 0, "block") < 0 ||
	    bytes_col(d, blk, "transactionsRoot", 32, 0, "block") < 0 ||
	    bytes_col(d, blk, "receiptsRoot", 32, 0, "block") < 0 ||
	    bytes_col(d, blk, "logsBloom", 256, 0, "block") < 0 ||
	    bytes_col(d, blk, "extraData", 0, 0, "block") < 0 ||
	    bytes_col(d, blk, "mixHash", 32, 0, "block") < 0 ||
	    bytes_col(d, blk, "nonce", 8, 0, "block") < 0 ||
	    num_col(d, blk, "difficulty", 0, "block") < 0 ||
	    bytes_col(d, blk, "sha3Uncles", 32, 0, "block") < 0 ||
	    qty_col(d, blk, "blobGasUsed", 0, "block") < 0 ||
	    qty_col(d, blk, "excessBlobGas", 0, "block") < 0 ||
	    bytes_col(d, blk, "withdrawalsRoot", 32, 0, "block") < 0 ||
	    bytes_col(d, blk, "parentBeaconBlockRoot", 32, 0, "block") < 0)
		return -1;
	row_end(d);
	m->nrows[WT_BLOCKS] = 1;

	for (size_t i = 0; i < txs->u.array.len; i++)
		if (decode_tx(d, m, hash, txs->u.array.values[i],
			      rcs->u.array.values[i], i, &last_log) < 0)
			return -1;

	row_begin(d, &m->rows[WT_CANONICAL]);
	col_u64(d, m->chain_id);
	col_u64(d, m->number);
	col_bytea(d, hash);
	col_u64(d, m->seq);
	row_end(d);
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
		d->oom = 1;
	for (size_t i = 0; i < r->norphaned; i++)
		if (buf_addf(&oj, "%s{\"number\": %" PRIu64 ", \"hash\": \"%s\"}",
			     i ? ", " : "", r->orphaned[i].number,
			     r->orphaned[i].hash) < 0)
			d->oom = 1;
	if (buf_addch(&oj, ']') < 0)
		d->oom = 1;

	m->number = r->invalidate_from;
	m->number_to = r->invalidate_to;
	row_begin(d, &m->rows[WT_REORGS]);
	col_u64(d, m->chain_id);
	col_u64(d, m->seq);
	/* A null ancestor is below block 0: NULL, without hash. */
	if (r->has_ancestor) {
		col_u64(d, r->ancestor.number);
		col_bytea(d, r->ancestor.hash);
	} else {
		col_null(d);
		col_null(d);
	}
	col_u64(d, old ? old->number : r->invalidate_to);
	if (old)
		col_bytea(d, old->hash);
	else
		col_null(d);
	if (r->has_new_tip) {
		col_u64(d, r->new_tip.number);
		if (r->new_tip.hash[0])
			col_bytea(d, r->new_tip.hash);
		else
			col_null(d);
	} else {
		col_null(d);
		col_null(d);
	}
	col_u64(d, r->has_depth ? r->depth : r->norphaned);
	col_text(d, oj.data ? oj.data : "[]");
	buf_release(&oj);
	col_u64(d, r->invalidate_from);
	col_u64(d, r->invalidate_to);
	col_text(d, r->deep ? "t" : "f");
	col_text(d, r->below_finalized ? "t" : "f");
	/* emitted_at makes `at` the same in every writer; without it the
	 * writer's clock is the best there is. */
	emitted = r->emitted_at;
	if (!r->has_emitted_at) {
		emitted = (uint64_t)clock_wall_ms();
	}
	if (time_col(d, emitted / 1000, (int)(emitted % 1000)) < 0)
		return fail(d, "message.emitted_at: %" PRIu64 " out of range",
			    emitted);
	row_end(d);
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
static enum batch_result decode_head(struct dec *d, const struct message *msg,
				     enum message_status st, struct wmsg *m)
{
	const struct message_block *b = &msg->u.block;
	const struct message_reorg *r = &msg->u.reorg;
	bool block = msg->type == MESSAGE_BLOCK;

	if (st == MESSAGE_DUPLICATE)
		return BATCH_DUPLICATE;
	if (st != MESSAGE_OK && (st == MESSAGE_INVALID ||
				 st == MESSAGE_NO_TYPE || st == MESSAGE_NOMEM ||
				 block || msg->type == MESSAGE_REORG))
		return BATCH_MALFORMED;
	if (!block && msg->type != MESSAGE_REORG) {
		fail(d, "%s", msg->type_name);
		return BATCH_IGNORED;
	}
	m->kind = block ? WMSG_BLOCK : WMSG_REORG;
	m->chain_id = block ? b->chain_id : r->chain_id;
	m->seq = block ? b->seq : r->seq;
	if (!(block ? b->has_seq : r->has_seq)) {
		if (!block || !d->o->allow_unsequenced) {
			fail(d, "message has no seq (not from the verifier; "
			     "see --allow-unsequenced)");
			return BATCH_UNSEQUENCED;
		}
		/* Block number as seq: a later message about the same height
		 * then never wins, which is the best without a verifier. */
		m->seq = b->number;
	}
	return BATCH_ADDED;
}

enum batch_result wmsg_decode(const char *json, size_t len,
			      const struct batch_opts *o, struct wmsg **out,
			      char *type, size_t typelen, char *why,
			      size_t whylen)
{
	struct dec d = { .o = o, .why = why, .whylen = whylen };
	struct message msg;
	enum message_status st;
	yajl_val blk = NULL, rcs = NULL;
	struct wmsg *m = NULL;
	enum batch_result res;
	int rc;

	*out = NULL;
	snprintf(type, typelen, "?");
	why[0] = '\0';
	if (strlen(json) != len) {
		fail(&d, "message contains a NUL byte");
		return BATCH_MALFORMED;
	}
	st = message_read(json, len, &msg, why, whylen);
	if (msg.type_name[0])
		snprintf(type, typelen, "%s", msg.type_name);
	m = calloc(1, sizeof(*m));
	if (!m) {
		fail(&d, "out of memory");
		res = BATCH_MALFORMED;
		goto out;
	}
	res = decode_head(&d, &msg, st, m);
	if (res != BATCH_ADDED)
		goto out;
	res = BATCH_MALFORMED;
	if (m->kind == WMSG_BLOCK) {
		rc = span_tree(&d, &msg.u.block.block, "message.block", &blk);
		if (rc == 0)
			rc = span_tree(&d, &msg.u.block.receipts,
				       "message.receipts", &rcs);
		if (rc == 0)
			rc = decode_block(&d, &msg.u.block, blk, rcs, m);
	} else {
		rc = decode_reorg(&d, &msg.u.reorg, m);
	}
	if (rc < 0)
		goto out;
	if (d.oom) {
		fail(&d, "out of memory (or a message over the buffer cap)");
		goto out;
	}
	*out = m;
	m = NULL;
	res = BATCH_ADDED;
out:
	wmsg_free(&m);
	yajl_tree_free(blk);
	yajl_tree_free(rcs);
	message_release(&msg);
	return res;
}

void batch_init(struct batch *b)
{
	*b = (struct batch)BATCH_INIT;
}

void batch_reset(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		wmsg_free(&b->msgs[i]);
	b->n = b->nblocks = b->nreorgs = 0;
}

void batch_release(struct batch *b)
{
	batch_reset(b);
	free(b->msgs);
	batch_init(b);
}

int batch_push(struct batch *b, struct wmsg *m)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct wmsg **p = realloc(b->msgs, cap * sizeof(*p));

		if (!p) {
			wmsg_free(&m);
			return -1;
		}
		b->msgs = p;
		b->cap = cap;
	}
	b->msgs[b->n++] = m;
	if (m->kind == WMSG_BLOCK)
		b->nblocks++;
	else
		b->nreorgs++;
	return 0;
}

enum batch_result batch_add(struct batch *b, const struct batch_opts *o,
			    const char *json, size_t len, char *type,
			    size_t typelen, char *why, size_t whylen)
{
	struct wmsg *m;
	enum batch_result r = wmsg_decode(json, len, o, &m, type, typelen, why,
					  whylen);

	if (r != BATCH_ADDED)
		return r;
	if (batch_push(b, m) < 0) {
		snprintf(why, whylen, "out of memory");
		return BATCH_MALFORMED;
	}
	return BATCH_ADDED;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Blocks by (chain, hash). */
static int cmp_block(const void *pa, const void *pb)
{
	const struct wmsg *a = *(const struct wmsg *const *)pa;
	const struct wmsg *b = *(const struct wmsg *const *)pb;
	int c = cmp_u64(a->chain_id, b->chain_id);

	return c ? c : memcmp(a->hash, b->hash, sizeof(a->hash));
}

/* Reorgs by (chain, seq). */
static int cmp_reorg(const void *pa, const void *pb)
{
	const struct wmsg *a = *(const struct wmsg *const *)pa;
	const struct wmsg *b = *(const struct wmsg *const *)pb;
	int c = cmp_u64(a->chain_id, b->chain_id);

	return c ? c : cmp_u64(a->seq, b->seq);
}

/* Block pointers by (chain, number), the largest seq first. */
static int cmp_pointer(const void *pa, const void *pb)
{
	const struct wmsg *a = *(const struct wmsg *const *)pa;
	const struct wmsg *b = *(const struct wmsg *const *)pb;
	int c = cmp_u64(a->chain_id, b->chain_id);

	if (!c)
		c = cmp_u64(a->number, b->number);
	return c ? c : cmp_u64(b->seq, a->seq);
}

int batch_copy_text(const struct batch *b, size_t from, size_t to,
		    enum wt t, struct buf *out, size_t *nrows)
{
	enum wmsg_kind kind = t == WT_REORGS ? WMSG_REORG : WMSG_BLOCK;
	int (*cmp)(const void *, const void *) =
		t == WT_REORGS ? cmp_reorg : t == WT_CANONICAL ? cmp_pointer
							       : cmp_block;
	struct wmsg **v;
	size_t n = 0;
	int rc = 0;

	*nrows = 0;
	if (to > b->n)
		to = b->n;
	if (from >= to)
		return 0;
	v = malloc((to - from) * sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = from; i < to; i++)
		if (b->msgs[i]->kind == kind && b->msgs[i]->nrows[t])
			v[n++] = b->msgs[i];
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n; i++) {
		const struct wmsg *m = v[i];

		if (i > 0) {
			const struct wmsg *p = v[i - 1];

			/* Same block, same reorg, or a pointer to the same
			 * height with a smaller seq: already written. */
			if (t == WT_CANONICAL
				    ? (p->chain_id == m->chain_id &&
				       p->number == m->number)
				    : !cmp(&p, &m))
				continue;
		}
		if (buf_add(out, m->rows[t].data, m->rows[t].len) < 0) {
			rc = -1;
			break;
		}
		*nrows += m->nrows[t];
	}
	free(v);
	return rc;
}
