#include "block.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "hex.h"
#include "json.h"
#include "log.h"
#include "message.h"
#include "metrics.h"
#include "rpc.h"
#include "banned.h"

/* Receipts are asked for at most this many transactions a request. */
#define RECEIPTS_CHUNK 100

struct block_fetcher {
	struct rpc_client *rpc;
	uint64_t chain_id;
	int no_block_receipts; /* the node lacks eth_getBlockReceipts */
	struct metric *m_fallback;
	struct metric *m_invalid;
};

struct block_fetcher *block_fetcher_new(struct rpc_client *rpc,
					uint64_t chain_id,
					struct metrics *metrics)
{
	struct block_fetcher *bf = calloc(1, sizeof(*bf));

	if (!bf)
		return NULL;
	bf->rpc = rpc;
	bf->chain_id = chain_id;
	if (metrics) {
		bf->m_fallback = metrics_counter(metrics,
			"block_receipts_fallback_total",
			"blocks whose receipts came from eth_getTransactionReceipt",
			NULL);
		bf->m_invalid = metrics_counter(metrics,
			"block_invalid_answers_total",
			"block or receipts answers rejected as inconsistent", NULL);
	}
	return bf;
}

void block_fetcher_destroy(struct block_fetcher **bf)
{
	if (!*bf)
		return;
	free(*bf);
	*bf = NULL;
}

static int is_null(const char *s, size_t n)
{
	return n == 4 && !memcmp(s, "null", 4);
}

/* What a node says when it does not have a method. */
static int method_missing(const struct rpc_result *r)
{
	const char *m = r->message ? r->message : "";

	if (r->code == -32601)
		return 1;
	return strcasestr(m, "not supported") || strcasestr(m, "unsupported") ||
	       strcasestr(m, "does not exist") || strcasestr(m, "not available") ||
	       (strcasestr(m, "method") && strcasestr(m, "not found"));
}

/* block_msg_build: the members of the block and of each receipt that we
 * check, gathered in one pass each. */
struct block_scan {
	const char *number, *hash, *parent, *txs, *ts;
	size_t number_len, hash_len, parent_len, txs_len, ts_len;
	size_t ntx;      /* transactions' elements, */
	int txs_objects; /* each an object (full transactions) */
};

static int span_is(const struct json_member *m, const char *key)
{
	return m->key && m->keylen == strlen(key) && !memcmp(m->key, key, m->keylen);
}

static int block_scan_cb(void *arg, const struct json_member *m)
{
	struct block_scan *s = arg;

	if (!m->key)
		return 1;
	if (span_is(m, "number")) {
		s->number = m->val;
		s->number_len = m->vallen;
	} else if (span_is(m, "hash")) {
		s->hash = m->val;
		s->hash_len = m->vallen;
	} else if (span_is(m, "parentHash")) {
		s->parent = m->val;
		s->parent_len = m->vallen;
	} else if (span_is(m, "timestamp")) {
		s->ts = m->val;
		s->ts_len = m->vallen;
	} else if (span_is(m, "transactions")) {
		s->txs = m->val;
		s->txs_len = m->vallen;
		s->ntx = m->nelem;
		s->txs_objects = m->all_objects;
	}
	return 0;
}

/* A quoted JSON string span holding a quantity -> *out. */
static int span_quantity(const char *v, size_t n, uint64_t *out)
{
	char num[24];

	if (!v || n < 4 || n - 2 >= sizeof(num) || v[0] != '"' || v[n - 1] != '"')
		return -1;
	memcpy(num, v + 1, n - 2);
	num[n - 2] = '\0';
	return json_hex_u64(num, out);
}

/* A quoted JSON string span holding a 32-byte hash -> out (HASH_HEX_SIZE bytes). */
static int span_hash(const char *v, size_t n, char out[HASH_HEX_SIZE])
{
	if (!v || n != HASH_HEX_LEN + 2 || v[0] != '"' ||
	    v[HASH_HEX_LEN + 1] != '"')
		return -1;
	memcpy(out, v + 1, HASH_HEX_LEN);
	out[HASH_HEX_LEN] = '\0';
	return json_is_hex_len(out, 32) ? 0 : -1;
}

struct count_scan {
	size_t count;
	int bad;
	const char *want_hash; /* receipts: each blockHash must be this */
};

static int count_cb(void *arg, const struct json_member *m)
{
	struct count_scan *c = arg;

	if (!m->key) {
		c->bad = 1;
		return 1;
	}
	if (m->index + 1 > c->count)
		c->count = m->index + 1;
	if (c->want_hash && span_is(m, "blockHash")) {
		if (m->vallen != HASH_HEX_LEN + 2 ||
		    strncasecmp(m->val + 1, c->want_hash, HASH_HEX_LEN) != 0)
			c->bad = 2;
	}
	return 0;
}

int block_msg_build(struct buf *out, uint64_t chain_id, int live,
		    const char *block, size_t block_len,
		    const char *receipts, size_t receipts_len,
		    struct block_info *info, const char **why)
{
	struct block_scan s = { 0 };
	struct count_scan rc = { 0 };
	struct message_block mb = { 0 };
	int jrc = json_members(block, block_len, block_scan_cb, &s, NULL, 0);

	/* The RPC client refused a node's answer with a repeated key
	 * already; a caller handing raw JSON gets the same rule. */
	if (jrc == JSON_DUPLICATE) {
		*why = "block has a duplicate key";
		return -1;
	}
	if (jrc != 0 || block[0] != '{') {
		*why = "block is not a JSON object";
		return -1;
	}
	if (span_quantity(s.number, s.number_len, &info->number) < 0) {
		*why = "block has no valid number";
		return -1;
	}
	if (span_quantity(s.ts, s.ts_len, &info->timestamp) < 0) {
		*why = "block has no valid timestamp";
		return -1;
	}
	if (span_hash(s.hash, s.hash_len, info->hash) < 0) {
		*why = "block has no valid hash";
		return -1;
	}
	if (span_hash(s.parent, s.parent_len, info->parent_hash) < 0) {
		*why = "block has no valid parentHash";
		return -1;
	}
	/* the walk counted the elements: no second one of the list */
	if (!s.txs || s.txs[0] != '[' || (s.ntx && !s.txs_objects)) {
		*why = "block has no list of full transactions";
		return -1;
	}
	info->tx_count = s.ntx;
	rc.want_hash = info->hash;
	if (!receipts_len || receipts[0] != '[' ||
	    json_members(receipts, receipts_len, count_cb, &rc, NULL, 0) != 0 ||
	    rc.bad == 1) {
		*why = "receipts are not a list of objects";
		return -1;
	}
	if (rc.bad == 2) {
		*why = "receipts belong to another block";
		return -1;
	}
	if (rc.count != s.ntx) {
		*why = "receipt count differs from the transaction count";
		return -1;
	}
	mb.chain_id = chain_id;
	mb.number = info->number;
	memcpy(mb.hash, info->hash, sizeof(mb.hash));
	memcpy(mb.parent_hash, info->parent_hash, sizeof(mb.parent_hash));
	mb.live = live;
	mb.has_fetched_at = true;
	mb.fetched_at = (uint64_t)clock_wall_ms();
	mb.block = (struct message_span){ block, block_len };
	mb.receipts = (struct message_span){ receipts, receipts_len };
	if (message_block_build(out, &mb) < 0) {
		*why = "block message too large";
		return -1;
	}
	return 0;
}

/* A batch of blocks, and the per-block fallback for receipts. */
struct batch_req {
	struct block_fetcher *bf;
	uint64_t first;
	size_t count;
	int live;
	int with_receipts;
	block_done_n_fn done;
	void *arg;
};

struct rcpt_req {
	struct block_fetcher *bf;
	uint64_t number;
	int live;
	block_done_n_fn done;
	void *arg;
	struct buf block;
	size_t ntx;
	char **parts;     /* each receipt's raw JSON, by transaction index */
	size_t *lens;
	size_t remaining; /* chunks not yet answered */
	int failed;       /* 0, or the block_status to report */
	char why[160];
};

static void finish(struct block_fetcher *bf, uint64_t number, int live,
		   block_done_n_fn done, void *arg, const char *blk,
		   size_t blen, const char *rcpts, size_t rlen)
{
	struct buf msg = BUF_INIT;
	struct block_info info = { 0 };
	const char *why = NULL;

	if (block_msg_build(&msg, bf->chain_id, live, blk, blen, rcpts, rlen,
			    &info, &why) < 0) {
		metric_inc(bf->m_invalid);
		done(arg, number, BLOCK_RETRY, NULL, NULL, why);
	} else if (info.number != number) {
		metric_inc(bf->m_invalid);
		done(arg, number, BLOCK_RETRY, NULL, NULL,
		     "node answered with a block of another height");
	} else {
		done(arg, number, BLOCK_OK, &msg, &info, NULL);
	}
	buf_release(&msg);
}

static void rcpt_req_free(struct rcpt_req *r)
{
	if (r->parts)
		for (size_t i = 0; i < r->ntx; i++)
			free(r->parts[i]);
	free(r->parts);
	free(r->lens);
	buf_release(&r->block);
	free(r);
}

struct rcpt_chunk {
	struct rcpt_req *req;
	size_t first;
	size_t n;
};

static void rcpt_req_complete(struct rcpt_req *r)
{
	struct buf all = BUF_INIT;

	if (r->failed) {
		r->done(r->arg, r->number, (enum block_status)r->failed, NULL,
			NULL, r->why);
		rcpt_req_free(r);
		return;
	}
	buf_addch(&all, '[');
	for (size_t i = 0; i < r->ntx; i++) {
		if (i)
			buf_addch(&all, ',');
		buf_add(&all, r->parts[i], r->lens[i]);
	}
	if (buf_addch(&all, ']') < 0) {
		r->done(r->arg, r->number, BLOCK_RETRY, NULL, NULL,
			"receipts too large");
	} else {
		finish(r->bf, r->number, r->live, r->done, r->arg,
		       r->block.data, r->block.len, all.data, all.len);
	}
	buf_release(&all);
	rcpt_req_free(r);
}

static void rcpt_chunk_done(void *arg, const struct rpc_result *res, size_t n)
{
	struct rcpt_chunk *ch = arg;
	struct rcpt_req *r = ch->req;

	for (size_t i = 0; i < n && !r->failed; i++) {
		const struct rpc_result *x = &res[i];

		if (x->status == RPC_FAILED) {
			r->failed = BLOCK_FAILED;
			snprintf(r->why, sizeof(r->why), "%s", x->message ? x->message : "gave up");
		} else if (x->status == RPC_ERROR) {
			r->failed = BLOCK_RETRY;
			snprintf(r->why, sizeof(r->why), "eth_getTransactionReceipt: %s",
				 x->message ? x->message : "error");
		} else if (is_null(x->result, x->result_len)) {
			r->failed = BLOCK_RETRY;
			snprintf(r->why, sizeof(r->why), "receipt not found yet");
		} else {
			size_t k = ch->first + i;

			r->parts[k] = malloc(x->result_len);
			if (!r->parts[k]) {
				r->failed = BLOCK_RETRY;
				snprintf(r->why, sizeof(r->why), "out of memory");
				continue;
			}
			memcpy(r->parts[k], x->result, x->result_len);
			r->lens[k] = x->result_len;
		}
	}
	free(ch);
	if (--r->remaining == 0)
		rcpt_req_complete(r);
}

/* The node lacks eth_getBlockReceipts: ask for each transaction's receipt,
 * in chunks, and assemble them in transaction order. */
static void fetch_receipts_one_by_one(struct block_fetcher *bf,
				      uint64_t number, int live,
				      block_done_n_fn done, void *arg,
				      const char *blk, size_t blen)
{
	struct rcpt_req *r = calloc(1, sizeof(*r));
	char err[128];
	yajl_val tree = NULL, txs;
	struct rpc_call *calls = NULL;
	char **params = NULL;

	metric_inc(bf->m_fallback);
	if (!r || buf_add(&r->block, blk, blen) < 0)
		goto oom;
	r->bf = bf;
	r->number = number;
	r->live = live;
	r->done = done;
	r->arg = arg;
	tree = json_parse(r->block.data, err, sizeof(err));
	txs = json_get(tree, "transactions");
	if (!txs || !YAJL_IS_ARRAY(txs)) {
		yajl_tree_free(tree);
		rcpt_req_free(r);
		done(arg, number, BLOCK_RETRY, NULL, NULL,
		     "block has no list of transactions");
		return;
	}
	r->ntx = txs->u.array.len;
	if (r->ntx == 0) {
		yajl_tree_free(tree);
		rcpt_req_complete(r);
		return;
	}
	r->parts = calloc(r->ntx, sizeof(*r->parts));
	r->lens = calloc(r->ntx, sizeof(*r->lens));
	calls = calloc(r->ntx, sizeof(*calls));
	params = calloc(r->ntx, sizeof(*params));
	if (!r->parts || !r->lens || !calls || !params)
		goto oom;
	for (size_t i = 0; i < r->ntx; i++) {
		const char *h = json_get_str(txs->u.array.values[i], "hash");
		char p[80];

		if (!json_is_hex_len(h, 32)) {
			r->failed = BLOCK_RETRY;
			snprintf(r->why, sizeof(r->why),
				 "transaction %zu has no valid hash", i);
			h = "0x";
		}
		snprintf(p, sizeof(p), "[\"%s\"]", h);
		params[i] = strdup(p);
		if (!params[i])
			goto oom;
		calls[i] = (struct rpc_call){ "eth_getTransactionReceipt",
					      params[i], (int64_t)number };
	}
	if (r->failed) {
		rcpt_req_complete(r);
		r = NULL;
		goto out;
	}
	r->remaining = (r->ntx + RECEIPTS_CHUNK - 1) / RECEIPTS_CHUNK;
	for (size_t i = 0; i < r->ntx; i += RECEIPTS_CHUNK) {
		struct rcpt_chunk *ch = calloc(1, sizeof(*ch));
		size_t n = r->ntx - i < RECEIPTS_CHUNK ? r->ntx - i : RECEIPTS_CHUNK;

		if (!ch || rpc_submit(bf->rpc, calls + i, n, rcpt_chunk_done, ch) < 0) {
			/* Account for the chunks never sent. */
			free(ch);
			r->failed = BLOCK_RETRY;
			snprintf(r->why, sizeof(r->why), "out of memory");
			r->remaining -= (r->ntx - i + RECEIPTS_CHUNK - 1) / RECEIPTS_CHUNK;
			if (r->remaining == 0)
				rcpt_req_complete(r);
			break;
		}
		ch->req = r;
		ch->first = i;
		ch->n = n;
	}
	r = NULL;
	goto out;
oom:
	if (r)
		rcpt_req_free(r);
	done(arg, number, BLOCK_RETRY, NULL, NULL, "out of memory");
out:
	if (params)
		for (size_t i = 0; tree && i < txs->u.array.len; i++)
			free(params[i]);
	free(params);
	free(calls);
	yajl_tree_free(tree);
}

static void batch_done(void *arg, const struct rpc_result *res, size_t n)
{
	struct batch_req *b = arg;
	size_t per = b->with_receipts ? 2 : 1;

	for (size_t i = 0; i < b->count; i++) {
		uint64_t number = b->first + i;
		const struct rpc_result *blk = &res[i * per];
		const struct rpc_result *rc = b->with_receipts ? &res[i * per + 1] : NULL;

		if (i * per + per > n) {
			b->done(b->arg, number, BLOCK_RETRY, NULL, NULL,
				"short batch answer");
			continue;
		}
		if (blk->status == RPC_FAILED) {
			b->done(b->arg, number, BLOCK_FAILED, NULL, NULL,
				blk->message ? blk->message : "gave up");
			continue;
		}
		if (blk->status == RPC_ERROR) {
			b->done(b->arg, number, BLOCK_RETRY, NULL, NULL,
				blk->message ? blk->message : "JSON-RPC error");
			continue;
		}
		if (is_null(blk->result, blk->result_len)) {
			b->done(b->arg, number, BLOCK_NOT_FOUND, NULL, NULL,
				"block not found");
			continue;
		}
		if (rc && rc->status == RPC_ERROR && method_missing(rc)) {
			if (!b->bf->no_block_receipts)
				log_warn("node lacks eth_getBlockReceipts: falling "
					 "back to eth_getTransactionReceipt (%s)",
					 rc->message ? rc->message : "");
			b->bf->no_block_receipts = 1;
			rc = NULL;
		}
		if (rc && rc->status != RPC_OK) {
			b->done(b->arg, number,
				rc->status == RPC_FAILED ? BLOCK_FAILED : BLOCK_RETRY,
				NULL, NULL, rc->message ? rc->message : "receipts error");
			continue;
		}
		if (rc && is_null(rc->result, rc->result_len)) {
			b->done(b->arg, number, BLOCK_NOT_FOUND, NULL, NULL,
				"receipts not found");
			continue;
		}
		if (!rc) {
			fetch_receipts_one_by_one(b->bf, number, b->live, b->done,
						  b->arg, blk->result,
						  blk->result_len);
			continue;
		}
		finish(b->bf, number, b->live, b->done, b->arg, blk->result,
		       blk->result_len, rc->result, rc->result_len);
	}
	free(b);
}

int block_fetch_batch(struct block_fetcher *bf, uint64_t first, size_t count,
		      int live, block_done_n_fn done, void *arg)
{
	struct batch_req *b;
	struct rpc_call *calls;
	char (*params)[48];
	size_t per = bf->no_block_receipts ? 1 : 2;
	int rc = -1;

	if (count == 0)
		return 0;
	b = calloc(1, sizeof(*b));
	calls = calloc(count * per, sizeof(*calls));
	params = calloc(count * per, sizeof(*params));
	if (!b || !calls || !params)
		goto out;
	*b = (struct batch_req){ bf, first, count, live, per == 2, done, arg };
	for (size_t i = 0; i < count; i++) {
		uint64_t n = first + i;

		snprintf(params[i * per], sizeof(params[0]), "[\"0x%llx\",true]",
			 (unsigned long long)n);
		calls[i * per] = (struct rpc_call){ "eth_getBlockByNumber",
						    params[i * per], (int64_t)n };
		if (per == 2) {
			snprintf(params[i * per + 1], sizeof(params[0]),
				 "[\"0x%llx\"]", (unsigned long long)n);
			calls[i * per + 1] = (struct rpc_call){
				"eth_getBlockReceipts", params[i * per + 1],
				(int64_t)n };
		}
	}
	rc = rpc_submit(bf->rpc, calls, count * per, batch_done, b);
	if (rc == 0)
		b = NULL;
out:
	free(b);
	free(calls);
	free(params);
	return rc;
}

struct single {
	block_done_fn done;
	void *arg;
};

static void single_done(void *arg, uint64_t number, enum block_status st,
			struct buf *msg, const struct block_info *info,
			const char *why)
{
	struct single s = *(struct single *)arg;

	(void)number;
	free(arg);
	s.done(s.arg, st, msg, info, why);
}

int block_fetch(struct block_fetcher *bf, uint64_t number, int live,
		block_done_fn done, void *arg)
{
	struct single *s = malloc(sizeof(*s));

	if (!s)
		return -1;
	s->done = done;
	s->arg = arg;
	if (block_fetch_batch(bf, number, 1, live, single_done, s) < 0) {
		free(s);
		return -1;
	}
	return 0;
}

struct sync_wait {
	int finished;
	enum block_status st;
	struct buf *out;
	struct block_info *info;
};

static void sync_done(void *arg, enum block_status st, struct buf *msg,
		      const struct block_info *info, const char *why)
{
	struct sync_wait *w = arg;

	w->finished = 1;
	w->st = st;
	if (st == BLOCK_OK) {
		buf_reset(w->out);
		if (buf_add(w->out, msg->data, msg->len) < 0)
			w->st = BLOCK_RETRY;
		if (w->info)
			*w->info = *info;
	} else if (st != BLOCK_NOT_FOUND) {
		log_debug("block fetch did not succeed: %s", why ? why : "");
	}
}

enum block_status block_fetch_sync(struct block_fetcher *bf, uint64_t number,
				   int live, struct buf *out,
				   struct block_info *info)
{
	struct sync_wait w = { 0, BLOCK_FAILED, out, info };

	if (block_fetch(bf, number, live, sync_done, &w) < 0)
		return BLOCK_RETRY;
	while (!w.finished)
		rpc_client_run(bf->rpc, 100);
	return w.st;
}

int block_fetch_many_sync(struct block_fetcher *bf, uint64_t first,
			  size_t count, int live, struct buf *out,
			  struct block_info *info, enum block_status *st)
{
	struct sync_wait *w = calloc(count ? count : 1, sizeof(*w));
	size_t left = 0;

	if (!w)
		return -1;
	for (size_t i = 0; i < count; i++) {
		w[i] = (struct sync_wait){ 0, BLOCK_FAILED, &out[i],
					   info ? &info[i] : NULL };
		if (block_fetch(bf, first + i, live, sync_done, &w[i]) < 0)
			w[i] = (struct sync_wait){ 1, BLOCK_RETRY, NULL, NULL };
	}
	for (;;) {
		left = 0;
		for (size_t i = 0; i < count; i++)
			left += !w[i].finished;
		if (!left)
			break;
		rpc_client_run(bf->rpc, 100);
	}
	for (size_t i = 0; i < count; i++)
		st[i] = w[i].st;
	free(w);
	return 0;
}

int block_hash_sync(struct block_fetcher *bf, uint64_t number,
		    char hash[HASH_HEX_SIZE], char parent_hash[HASH_HEX_SIZE])
{
	char params[48], *out = NULL;
	enum rpc_status st;
	struct block_scan s = { 0 };
	int rc = -1;

	snprintf(params, sizeof(params), "[\"0x%llx\",false]",
		 (unsigned long long)number);
	st = rpc_call_sync(bf->rpc, "eth_getBlockByNumber", params,
			   (int64_t)number, &out, NULL);
	if (st != RPC_OK)
		goto out;
	if (is_null(out, strlen(out))) {
		rc = 1;
		goto out;
	}
	if (json_members(out, strlen(out), block_scan_cb, &s, NULL, 0) != 0 ||
	    span_hash(s.hash, s.hash_len, hash) < 0 ||
	    span_hash(s.parent, s.parent_len, parent_hash) < 0) {
		log_warn("invalid header answer for block %llu",
			 (unsigned long long)number);
		goto out;
	}
	rc = 0;
out:
	free(out);
	return rc;
}

static int sync_quantity(struct rpc_client *rpc, const char *method,
			 const char *params, uint64_t *outv)
{
	char *out = NULL;
	long code = 0;
	enum rpc_status st = rpc_call_sync(rpc, method, params, -1, &out, &code);
	int rc = -1;
	size_t n;

	if (st != RPC_OK)
		goto out;
	n = strlen(out);
	if (n >= 4 && out[0] == '"' && out[n - 1] == '"') {
		out[n - 1] = '\0';
		if (json_hex_u64(out + 1, outv) == 0)
			rc = 0;
	}
	if (rc < 0)
		log_warn("%s answered '%.60s', not a quantity", method, out);
out:
	free(out);
	return rc;
}

int block_chain_id(struct rpc_client *rpc, uint64_t *out)
{
	return sync_quantity(rpc, "eth_chainId", "[]", out);
}

int block_head(struct rpc_client *rpc, uint64_t *out)
{
	return sync_quantity(rpc, "eth_blockNumber", "[]", out);
}

int block_tag_number(struct rpc_client *rpc, const char *tag, uint64_t *out)
{
	char params[64], *res = NULL;
	struct block_scan s = { 0 };
	int rc = -1;

	snprintf(params, sizeof(params), "[\"%s\",false]", tag);
	if (rpc_call_sync(rpc, "eth_getBlockByNumber", params, -1, &res, NULL) !=
	    RPC_OK)
		goto out;
	if (is_null(res, strlen(res)))
		goto out;
	if (json_members(res, strlen(res), block_scan_cb, &s, NULL, 0) != 0 ||
	    span_quantity(s.number, s.number_len, out) < 0)
		goto out;
	rc = 0;
out:
	free(res);
	return rc;
}
