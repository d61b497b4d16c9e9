/* Asking the node: its hash at a height and its blocks, waiting out a
 * lagging node and fetching again a block that does not verify. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "buf.h"
#include "clock.h"
#include "internal.h"
#include "log.h"
#include "metrics.h"
#include "sig.h"
#include "banned.h"

/* Attempts at a block whose hash does not verify before giving up on it. */
#define REFETCH_TRIES 5

int nap(long long ms)
{
	return clock_nap_ms(ms, NULL);
}

/* The delay before lag retry i (0-based): 100 ms doubling to 2 s. */
static long long lag_delay(int i)
{
	return clock_backoff_ms(i + 1, 100, 2000);
}

/* A wait for a lagging node: debug at first, one info line once it has
 * lasted a second (a stuck pipeline then says what it waits for). */
static void lag_log(uint64_t n, long long waited, long long limit)
{
	if (waited < 1000 || waited - lag_delay(5) >= 1000)
		log_at(LOG_DEBUG, LOGF(LF_I("height", (long long)n)),
		       "node has no block %" PRIu64 " yet; waiting", n);
	else
		log_at(LOG_INFO, LOGF(LF_I("height", (long long)n),
				      LF_I("waited_ms", waited),
				      LF_I("limit_ms", limit)),
		       "node has no block %" PRIu64 " yet; still waiting", n);
}

enum node_result node_hash(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE])
{
	return node_hash_wait(v, n, hash, NULL, v->cfg->lag_wait_ms);
}

enum node_result node_header(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE],
			     char parent[HASH_HEX_SIZE])
{
	return node_hash_wait(v, n, hash, parent, v->cfg->lag_wait_ms);
}

enum node_result node_hash_wait(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE],
				char *parent_out, long long wait_ms)
{
	char parent_buf[HASH_HEX_SIZE];
	char *parent = parent_out ? parent_out : parent_buf;
	long long waited = 0;

	for (int i = 0;; i++) {
		int rc;

		if (sig_stopping())
			return NODE_FAILED;
		metric_inc(v->m.walkback_calls);
		rc = block_hash_sync(v->bf, n, hash, parent);
		if (rc == 0)
			return NODE_OK;
		if (rc < 0 && sig_stopping())
			return NODE_FAILED;
		if (waited >= wait_ms)
			return rc > 0 || wait_ms == 0 ? NODE_MISSING
						      : NODE_FAILED;
		metric_inc(v->m.lag_waits);
		lag_log(n, waited, wait_ms);
		if (nap(lag_delay(i)) < 0)
			return NODE_FAILED;
		waited += lag_delay(i);
	}
}

/* The fetched message of block n into b (owned) when it verifies and is
 * block n: 1; else 0 with b empty (msg kept). */
static int take_block(struct verifier *v, uint64_t n, struct buf *msg,
		      struct vblock *b)
{
	if (vblock_inspect(v, msg->data, msg->len, b) == IN_OK &&
	    b->number == n) {
		b->text = buf_detach(msg, &b->len);
		b->own = 1;
		return 1;
	}
	memset(b, 0, sizeof(*b));
	return 0;
}

enum node_result node_block(struct verifier *v, uint64_t n, int live,
			    struct vblock *b)
{
	struct buf msg = BUF_INIT;
	struct block_info info;
	long long waited = 0;
	int bad = 0;

	memset(b, 0, sizeof(*b));
	for (int i = 0;; i++) {
		enum block_status st;

		if (sig_stopping())
			goto failed;
		buf_reset(&msg);
		st = block_fetch_sync(v->bf, n, live, &msg, &info);
		if (st == BLOCK_FAILED)
			goto failed;
		if (st == BLOCK_OK) {
			if (take_block(v, n, &msg, b))
				return NODE_OK;
			if (++bad >= REFETCH_TRIES) {
				metric_inc(v->m.dropped);
				log_at(LOG_ERROR,
				       LOGF(LF_I("height", (long long)n),
					    LF_I("attempts", bad)),
				       "block %" PRIu64 " never verified; giving "
				       "up on it for now", n);
				buf_release(&msg);
				return NODE_MISSING;
			}
			log_at(LOG_WARN, LOGF(LF_I("height", (long long)n),
					      LF_I("attempt", bad)),
			       "fetching block %" PRIu64 " again", n);
			if (nap(lag_delay(bad)) < 0)
				goto failed;
			continue;
		}
		/* not found (a lagging node) or an inconsistent answer */
		if (waited >= v->cfg->lag_wait_ms) {
			buf_release(&msg);
			return NODE_MISSING;
		}
		metric_inc(v->m.lag_waits);
		lag_log(n, waited, v->cfg->lag_wait_ms);
		if (nap(lag_delay(i)) < 0)
			goto failed;
		waited += lag_delay(i);
	}
failed:
	buf_release(&msg);
	return NODE_FAILED;
}

enum node_result node_blocks(struct verifier *v, uint64_t first, size_t count,
			     int live, struct vblock *bs)
{
	struct buf *msg = calloc(count ? count : 1, sizeof(*msg));
	enum block_status *st = calloc(count ? count : 1, sizeof(*st));
	enum node_result r = NODE_OK;
	size_t i;

	memset(bs, 0, count * sizeof(*bs));
	if (!msg || !st) {
		/* out of memory for the arrays: one at a time */
		for (i = 0; i < count && r == NODE_OK; i++)
			r = node_block(v, first + i, live, &bs[i]);
		goto out;
	}
	if (block_fetch_many_sync(v->bf, first, count, live, msg, NULL, st) < 0)
		for (i = 0; i < count; i++)
			st[i] = BLOCK_RETRY; /* one at a time, below */
	for (i = 0; i < count && r == NODE_OK; i++) {
		if (st[i] == BLOCK_FAILED || sig_stopping())
			r = NODE_FAILED;
		else if (st[i] != BLOCK_OK ||
			 !take_block(v, first + i, &msg[i], &bs[i]))
			r = node_block(v, first + i, live, &bs[i]);
	}
out:
	if (r != NODE_OK)
		for (i = 0; i < count; i++)
			vblock_release(&bs[i]);
	for (i = 0; msg && i < count; i++)
		buf_release(&msg[i]);
	free(msg);
	free(st);
	return r;
}
