/* A block message's frames (blockframes.h). The node's block object is
 * read where it stands in the message (span.h), one member at a time. */
#include "blockframes.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "hex.h"
#include "json.h"
#include "span.h"
#include "banned.h"

/* The header: every member of the block but transactions, plus hash. */
struct head_walk {
	yajl_gen g;
	int have_hash;
	struct span transactions, timestamp, miner, gas_used;
};

static int head_cb(void *arg, const struct json_member *m)
{
	struct head_walk *h = arg;

	if (!m->key)
		return 0;
	if (span_key_is(m, "transactions")) {
		h->transactions = (struct span){ m->val, m->vallen };
		return 0;
	}
	if (span_key_is(m, "hash"))
		h->have_hash = 1;
	else if (span_key_is(m, "timestamp"))
		h->timestamp = (struct span){ m->val, m->vallen };
	else if (span_key_is(m, "miner"))
		h->miner = (struct span){ m->val, m->vallen };
	else if (span_key_is(m, "gasUsed"))
		h->gas_used = (struct span){ m->val, m->vallen };
	yajl_gen_string(h->g, (const unsigned char *)m->key, m->keylen);
	json_gen_raw(h->g, m->val, m->vallen);
	return 0;
}

/* Transactions, one element at a time. */
struct tx_walk {
	yajl_gen g;
	uint64_t height;
	size_t count;   /* elements seen */
	size_t cur;     /* index of the element being gathered */
	int open;
	struct span hash, from, to, value;
	struct buf hashes; /* "0x..","0x..", for eth_getBlockByNumber */
};

static void tx_flush(struct tx_walk *t)
{
	char dec[100];
	char hex[80];

	if (!t->open)
		return;
	t->open = 0;
	if (t->hash.p) {
		if (t->hashes.len)
			buf_addch(&t->hashes, ',');
		buf_add(&t->hashes, t->hash.p, t->hash.n);
	}
	yajl_gen_map_open(t->g);
	json_gen_key(t->g, "hash");
	json_gen_raw(t->g, t->hash.p ? t->hash.p : "null",
		     t->hash.p ? t->hash.n : 4);
	json_gen_key(t->g, "from_addr");
	json_gen_raw(t->g, t->from.p ? t->from.p : "null",
		     t->from.p ? t->from.n : 4);
	json_gen_key(t->g, "to_addr");
	json_gen_raw(t->g, t->to.p ? t->to.p : "null", t->to.p ? t->to.n : 4);
	json_gen_key(t->g, "value_wei");
	if (span_str(&t->value, hex, sizeof(hex)) == 0 &&
	    hex_u256_to_dec(hex, strlen(hex), dec, sizeof(dec)) == 0)
		json_gen_cstr(t->g, dec);
	else
		yajl_gen_null(t->g);
	json_gen_key(t->g, "block_height");
	json_gen_u64(t->g, t->height);
	yajl_gen_map_close(t->g);
	t->hash = t->from = t->to = t->value = (struct span){ NULL, 0 };
}

static int tx_cb(void *arg, const struct json_member *m)
{
	struct tx_walk *t = arg;

	if (m->index + 1 > t->count)
		t->count = m->index + 1;
	if (!m->key)
		return 0; /* a hash, not a transaction object */
	if (!t->open || m->index != t->cur) {
		tx_flush(t);
		t->open = 1;
		t->cur = m->index;
	}
	if (span_key_is(m, "hash"))
		t->hash = (struct span){ m->val, m->vallen };
	else if (span_key_is(m, "from"))
		t->from = (struct span){ m->val, m->vallen };
	else if (span_key_is(m, "to"))
		t->to = (struct span){ m->val, m->vallen };
	else if (span_key_is(m, "value"))
		t->value = (struct span){ m->val, m->vallen };
	return 0;
}

/* What the steps below return: done, a bad block (why says what), or out
 * of memory (why not set yet). */
enum { BF_OK = 0, BF_BAD = -1, BF_OOM = -2 };

/* The newHeads result, generated with hw->g: the header as the node
 * sent it, hash included. */
static int head_frame(struct bc_event *ev, const struct message_block *t,
		      struct head_walk *hw, char *why, size_t whylen)
{
	char err[128];

	yajl_gen_map_open(hw->g);
	if (json_members(t->block.p, t->block.n, head_cb, hw, err,
			 sizeof(err)) != 0) {
		snprintf(why, whylen, "invalid 'block' object: %s", err);
		return BF_BAD;
	}
	if (!hw->have_hash) {
		json_gen_key(hw->g, "hash");
		json_gen_cstr(hw->g, ev->hash);
	}
	yajl_gen_map_close(hw->g);
	return frame_from_gen(&ev->eth_head, hw->g) < 0 ? BF_OOM : BF_OK;
}

/* The newTxs batch, generated with tw->g (no frame when the block has no
 * transactions), gathering the hashes for the eth_getBlockByNumber
 * result on the way. */
static int txs_frame(struct bc_event *ev, const struct head_walk *hw,
		     struct tx_walk *tw, char *why, size_t whylen)
{
	char err[128];

	tw->height = ev->height;
	yajl_gen_map_open(tw->g);
	json_gen_key(tw->g, "type");
	json_gen_cstr(tw->g, "newTxs");
	json_gen_key(tw->g, "seq");
	json_gen_u64(tw->g, ev->seq);
	json_gen_key(tw->g, "height");
	json_gen_u64(tw->g, ev->height);
	json_gen_key(tw->g, "hash");
	json_gen_cstr(tw->g, ev->hash);
	json_gen_key(tw->g, "data");
	yajl_gen_array_open(tw->g);
	if (span_is(&hw->transactions) && hw->transactions.n > 2) {
		if (json_members(hw->transactions.p, hw->transactions.n, tx_cb,
				 tw, err, sizeof(err)) != 0) {
			snprintf(why, whylen, "invalid 'transactions': %s", err);
			return BF_BAD;
		}
		tx_flush(tw);
	}
	yajl_gen_array_close(tw->g);
	yajl_gen_map_close(tw->g);
	if (tw->count && frame_from_gen(&ev->chan_txs, tw->g) < 0)
		return BF_OOM;
	return BF_OK;
}

/* The eth_getBlockByNumber(n, false) result: the header, its closing
 * brace replaced by the transaction hashes. */
static int eth_block_frame(struct bc_event *ev, const struct tx_walk *tw)
{
	struct buf full = BUF_INIT;
	int rc;

	rc = buf_add(&full, ev->eth_head.data, ev->eth_head.len - 1);
	if (rc == 0)
		rc = buf_addf(&full, "%s\"transactions\":[",
			      ev->eth_head.len > 2 ? "," : "");
	if (rc == 0 && tw->hashes.len)
		rc = buf_add(&full, tw->hashes.data, tw->hashes.len);
	if (rc == 0)
		rc = buf_adds(&full, "]}");
	if (rc == 0)
		rc = frame_set(&ev->eth_block, full.data, full.len);
	buf_release(&full);
	return rc < 0 ? BF_OOM : BF_OK;
}

/* The channel protocol's newBlock message. */
static int newblock_frame(struct bc_event *ev, const struct message_block *t,
			  const struct head_walk *hw, const struct tx_walk *tw)
{
	yajl_gen g = json_gen_new();
	char hex[80], miner[64], ph[80];
	uint64_t ts = 0, gas = 0;
	int rc;

	if (!g)
		return BF_OOM;
	if (span_str(&hw->timestamp, hex, sizeof(hex)) == 0)
		json_hex_u64(hex, &ts);
	if (span_str(&hw->gas_used, hex, sizeof(hex)) == 0)
		json_hex_u64(hex, &gas);
	if (span_str(&hw->miner, miner, sizeof(miner)) < 0)
		miner[0] = '\0';
	snprintf(ph, sizeof(ph), "%s", t->parent_hash);
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "newBlock");
	json_gen_key(g, "seq");
	json_gen_u64(g, ev->seq);
	json_gen_key(g, "data");
	yajl_gen_map_open(g);
	json_gen_key(g, "height");
	json_gen_u64(g, ev->height);
	json_gen_key(g, "hash");
	json_gen_cstr(g, ev->hash);
	json_gen_key(g, "parent_hash");
	json_gen_cstr(g, ph[0] ? ph : NULL);
	json_gen_key(g, "tx_count");
	json_gen_u64(g, tw->count);
	json_gen_key(g, "timestamp");
	json_gen_u64(g, ts);
	json_gen_key(g, "miner");
	json_gen_cstr(g, miner[0] ? miner : NULL);
	json_gen_key(g, "gas_used");
	json_gen_u64(g, gas);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	rc = frame_from_gen(&ev->chan_main, g);
	yajl_gen_free(g);
	return rc < 0 ? BF_OOM : BF_OK;
}

int blockframes_build(struct bc_event *ev, const struct message_block *t,
		      char *why, size_t whylen)
{
	struct head_walk hw = { 0 };
	struct tx_walk tw = { 0 };
	int rc;

	hw.g = json_gen_new();
	tw.g = json_gen_new();
	rc = hw.g && tw.g ? head_frame(ev, t, &hw, why, whylen) : BF_OOM;
	if (rc == BF_OK)
		rc = txs_frame(ev, &hw, &tw, why, whylen);
	if (rc == BF_OK)
		rc = eth_block_frame(ev, &tw);
	if (rc == BF_OK)
		rc = newblock_frame(ev, t, &hw, &tw);
	if (rc == BF_OOM)
		snprintf(why, whylen, "out of memory");
	if (hw.g)
		yajl_gen_free(hw.g);
	if (tw.g)
		yajl_gen_free(tw.g);
	buf_release(&tw.hashes);
	return rc == BF_OK ? 0 : -1;
}
