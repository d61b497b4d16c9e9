/* Shared by the verifier's modules; not a public interface. */
#ifndef VERIFIER_INTERNAL_H
#define VERIFIER_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "buf.h"
#include "chain.h"
#include "state.h"
#include "verifier.h"

struct metric;

struct verifier_metrics {
	struct metric *verified, *emitted_blocks, *emitted_reorgs, *heartbeats;
	struct metric *reorgs, *deep_reorgs, *reorg_depth, *deepest;
	struct metric *below_finalized, *duplicates, *gaps_filled;
	struct metric *audit_repairs, *audit_runs, *hash_mismatch;
	struct metric *stale, *old_blocks, *below_start, *tip, *seq;
	struct metric *walkback_calls, *lag_waits, *dropped;
	struct metric *bad_json, *bad_fields, *bad_type, *bad_chain, *bad_dup;
};

struct verifier {
	const struct verifier_cfg *cfg;
	struct chain chain;
	struct seq_state seq;
	struct msg_io *in, *out, *pub;
	struct rpc_client *rpc;
	struct block_fetcher *bf;
	struct metrics *metrics;
	struct verifier_metrics m;
	PGconn *db;
	uint64_t chain_id;
	uint64_t start;       /* lowest height the verifier cares about */
	int have_start;       /* start known (flag, or the first block) */
	uint64_t audit_upto;  /* tip at the previous audit ... */
	int have_audit_upto;  /* ... once there was one */
	int depth;            /* nesting of place() (gap in a reorg ...) */
	struct buf line;      /* scratch for emitted messages */
	atomic_int ready;     /* read by the metrics thread (/ready) */
};

/* A block message, parsed and checked. text is owned when own is set. */
struct vblock {
	char *text;
	size_t len;
	int own;
	uint64_t number;
	char hash[67];
	char parent[67];
	int live;
};

void vblock_release(struct vblock *b);

/* What inspecting a message found. */
enum inspect_result {
	IN_OK = 0,
	IN_SKIP,     /* bad input or another chain: logged, counted, dropped */
	IN_MISMATCH, /* the header does not hash to the block's hash (or
			cannot be hashed): fetch it again */
};

/* Parse a block message and, unless --no-verify-hash, recompute its hash.
 * b borrows text. */
enum inspect_result vblock_inspect(struct verifier *v, const char *text,
				   size_t len, struct vblock *b);

/* Results of the node helpers. */
enum node_result { NODE_OK = 0, NODE_MISSING = 1, NODE_FAILED = -1 };

/* The node's hash of height n, waiting out a lagging node (null answers)
 * for up to --lag-wait. NODE_FAILED when stopping or the RPC client gave
 * up. */
enum node_result node_hash(struct verifier *v, uint64_t n, char hash[67]);
/* The same, waiting at most wait_ms (0: one question, and any failure
 * but stopping is NODE_MISSING). */
enum node_result node_hash_wait(struct verifier *v, uint64_t n, char hash[67],
				long long wait_ms);
/* Fetch block n as a verified message into b (owned), as node_hash waits
 * for a lagging node; a block whose hash does not verify is fetched again
 * a few times, never returned. NODE_MISSING also when it never verified
 * (b is then empty). */
enum node_result node_block(struct verifier *v, uint64_t n, int live,
			    struct vblock *b);
/* Sleep ms, waking early when asked to stop. 0, or -1 when stopping. */
int nap(long long ms);
long long now_ms(void);

/* emit.c */
int emit_block(struct verifier *v, const struct vblock *b,
	       const char *reason);
struct reorg_info {
	uint64_t ancestor;
	int have_ancestor;          /* false: below genesis / unknown */
	char ancestor_hash[67];     /* "" when unknown */
	uint64_t old_tip;
	uint64_t new_tip;
	char new_tip_hash[67];
	int deep;
	int below_finalized;
	uint64_t invalidate_from, invalidate_to;
};
/* Emit the reorg message; the orphaned list is the window's heights
 * invalidate_from..old_tip that it still holds. */
int emit_reorg(struct verifier *v, const struct reorg_info *r);
int emit_heartbeat(struct verifier *v);

/* reorg.c: place one verified block (incoming, or fetched for a gap, a
 * reorg or an audit) on the chain, resolving what it reveals. 0, or -1
 * when the verifier must stop (stopping, output failed). */
int verifier_place(struct verifier *v, struct vblock *b, const char *reason);

#endif
