/* Asking the node: its hash at a height and its blocks, waiting out a
 * lagging node and fetching again a block that does not verify. */
#include <inttypes.h>
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
	return node_hash_wait(v, n, hash, v->cfg->lag_wait_ms);
}

enum node_result node_hash_wait(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE],
				long long wait_ms)
{
	char parent[HASH_HEX_SIZE];
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
		enum inspect_result ir;

		if (sig_stopping())
			goto failed;
		buf_reset(&msg);
		st = block_fetch_sync(v->bf, n, live, &msg, &info);
		if (st == BLOCK_FAILED)
			goto failed;
		if (st == BLOCK_OK) {
			ir = vblock_inspect(v, msg.data, msg.len, b);
			if (ir == IN_OK && b->number == n) {
				b->text = buf_detach(&msg, &b->len);
				b->own = 1;
				return NODE_OK;
			}
			memset(b, 0, sizeof(*b));
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
