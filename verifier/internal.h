/* Shared by the verifier's modules; not a public interface. */
#ifndef VERIFIER_INTERNAL_H
#define VERIFIER_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "chain.h"
#include "hex.h"
#include "message.h"
#include "seq.h"
#include "state.h"
#include "verifier.h"

struct metric;
struct vbody;

struct verifier_metrics {
	struct metric *verified, *emitted_blocks, *emitted_reorgs, *heartbeats;
	struct metric *reorgs, *deep_reorgs, *reorg_depth, *deepest;
	struct metric *below_finalized, *duplicates, *gaps_filled;
	struct metric *audit_repairs, *audit_runs, *hash_mismatch;
	struct metric *stale, *old_blocks, *below_start, *tip, *seq;
	struct metric *walkback_calls, *lag_waits, *dropped;
	struct metric *bad_json, *bad_fields, *bad_type, *bad_chain, *bad_dup;
	struct metric *audit_links, *repairs, *repaired_heights;
	struct metric *audit_heights, *lock_checks, *lock_lost, *epochs;
	struct metric *resent_reorgs, *unsent_refused;
};

/* The audit's bookkeeping (audit.c, docs/verifier.md "Audit"). */
struct audit_state {
	uint64_t upto;        /* tip at the previous audit ... */
	int have_upto;        /* ... once there was one */
	uint64_t dirty_lo;    /* lowest height emitted since that audit */
	int have_dirty;
	uint64_t pending_lo;  /* lowest height emitted before it, to check */
	int have_pending;
	uint64_t sweep;       /* the full pass: next height it checks */
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
	struct audit_state audit;
	long long lock_ok_at; /* clock_mono_ms() when the lock was confirmed */
	long long pub_opened_at; /* clock_mono_ms() when --pub was opened */
	int lock_lost;        /* stop emitting until the lock is taken again */
	int depth;            /* nesting of place() (gap in a reorg ...) */
	struct buf line;      /* scratch for emitted messages */
	struct vbody *body;   /* body verification (body.c) */
	atomic_int ready;     /* read by the metrics thread (/ready) */
};

/* A block message, parsed and checked. text is owned when own is set. */
struct vblock {
	char *text;
	size_t len;
	int own;
	uint64_t number;
	char hash[HASH_HEX_SIZE];
	char parent[HASH_HEX_SIZE];
	int live;
	struct message_block read; /* message_read() of text: spans into it */
};

void vblock_release(struct vblock *b);

/* inspect.c: what inspecting a message found. */
enum inspect_result {
	IN_OK = 0,
	IN_SKIP,     /* bad input or another chain: logged, counted, dropped */
	IN_MISMATCH, /* the header does not hash to the block's hash (or
			cannot be hashed), or the body does not verify:
			fetch it again */
};

/* Parse a block message and, unless --no-verify-hash, recompute its hash;
 * unless --no-verify-body, verify its body. On IN_MISMATCH the RPC
 * client is asked to prefer another node. b borrows text. */
enum inspect_result vblock_inspect(struct verifier *v, const char *text,
				   size_t len, struct vblock *b);

/* node.c: results of the node helpers. */
enum node_result { NODE_OK = 0, NODE_MISSING = 1, NODE_FAILED = -1 };

/* The node's hash of height n, waiting out a lagging node (null answers)
 * for up to --lag-wait. NODE_FAILED when stopping or the RPC client gave
 * up. */
enum node_result node_hash(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE]);
/* The same, with the parent hash the node's header at n names. */
enum node_result node_header(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE],
			     char parent[HASH_HEX_SIZE]);
/* The same, waiting at most wait_ms (0: one question, and any failure
 * but stopping is NODE_MISSING); parent may be NULL. */
enum node_result node_hash_wait(struct verifier *v, uint64_t n, char hash[HASH_HEX_SIZE],
				char *parent, long long wait_ms);
/* Fetch block n as a verified message into b (owned), as node_hash waits
 * for a lagging node; a block whose hash does not verify is fetched again
 * a few times, never returned. NODE_MISSING also when it never verified
 * (b is then empty). */
enum node_result node_block(struct verifier *v, uint64_t n, int live,
			    struct vblock *b);
/* Blocks first .. first+count-1 into bs[0 .. count-1], all asked for at
 * once; one that did not come back verified is fetched again as
 * node_block does. NODE_OK with all of them (owned), else NODE_MISSING
 * or NODE_FAILED as node_block, with bs all empty. */
enum node_result node_blocks(struct verifier *v, uint64_t first, size_t count,
			     int live, struct vblock *bs);
/* Sleep ms, waking early when asked to stop. 0, or -1 when stopping. */
int nap(long long ms);

/* body.c: body verification (common/body.h). body_metrics_setup
 * registers verifier_body_* and, unless --no-verify-body, makes the
 * checker: 0, or -1 when out of memory. vbody_verify: 0 when the body of
 * the block message verifies, -1 when it does not (logged and counted:
 * the caller fetches the block again). msg is the message's tree
 * (message_read_tree()): the body is not parsed again. */
int body_metrics_setup(struct verifier *v);
int vbody_verify(struct verifier *v, const struct vblock *b, yajl_val msg);
void vbody_release(struct verifier *v);

/* emit.c */
int emit_block(struct verifier *v, const struct vblock *b,
	       const char *reason);
struct db_canonical;
struct reorg_info {
	uint64_t ancestor;
	int have_ancestor;          /* false: below genesis / unknown */
	char ancestor_hash[HASH_HEX_SIZE];     /* "" when unknown */
	uint64_t old_tip;
	uint64_t new_tip;
	char new_tip_hash[HASH_HEX_SIZE];
	int deep;
	int below_finalized;
	int repair;                 /* the audit's: recorded, not sent */
	uint64_t invalidate_from, invalidate_to;
	/* The orphaned blocks, when the caller knows them (a repair: the
	 * database's wrong pointers); NULL: the window's hashes of
	 * invalidate_from..old_tip, and the database's below the window. */
	const struct db_canonical *orphans;
	size_t norphans;
};
/* Record the reorg in the database (with --db: its `reorgs` row and
 * tombstones, unsent, before anything is sent), then emit the reorg
 * message (not for a repair) and mark it sent. 0, or -1 when it could
 * not be recorded or sent (nothing was sent then), or when marking it
 * sent lost the connection (the lock is lost; it stays unsent). */
int emit_reorg(struct verifier *v, const struct reorg_info *r);
/* Send again the reorg message m as recorded (its seq and contents; only
 * emitted_at is set anew), then mark it sent (resend.c). 0, or -1 when it
 * could not be sent or the lock was lost. */
int emit_reorg_again(struct verifier *v, struct message_reorg *m);
int emit_heartbeat(struct verifier *v);

/* resend.c (docs/verifier.md "Reorgs sent again"): with --db, the
 * reorgs recorded but not confirmed sent. */
struct db_unsent_reorg;
enum resend_verdict {
	RESEND_OK = 0,
	RESEND_UNREADABLE,   /* not a reorg message docs/protocol.md reads */
	RESEND_OTHER_CHAIN,  /* the message names another chain */
	RESEND_SEQ_MISMATCH, /* its seq is not the row's */
	RESEND_NOT_BEFORE,   /* not from an earlier epoch: it would go out
				out of order */
	RESEND_OUT_OF_ORDER, /* not above the seq sent again before it */
};
/* May the recorded reorg row go out again, from a verifier of chain_id
 * whose own seqs are all above below, right after the re-sent seq prev
 * (0: none)? The message read goes into *m (message_release() it
 * whatever the verdict); why says what is wrong. Pure: no I/O. */
enum resend_verdict resend_check(const struct db_unsent_reorg *row,
				 uint64_t chain_id, uint64_t below,
				 uint64_t prev, struct message *m, char *why,
				 size_t whylen);
/* At start and when the lock is taken again, before anything new is
 * emitted: send every unsent reorg again, in seq order, each marked sent
 * once it went out. 0, or -1 (database, output or lock lost). */
int verifier_resend_unsent(struct verifier *v);
/* The reorg of seq went out: blockpipe_reorg_sent (retried on a
 * deadlock). 0; -1 when the connection, and so the lock, is lost. A
 * mark that fails otherwise is logged and leaves the reorg unsent: the
 * next start sends it again, which consumers ignore (same seq). */
int resend_mark_sent(struct verifier *v, uint64_t seq);

/* A message goes out only while the lock was confirmed less than this
 * long ago (the timer in verifier.c confirms it four times a second while
 * the input is quiet, so at the tip no message waits for the check), and
 * a verifier that takes the lock waits this long before its first
 * message: whoever held the lock before has stopped emitting by then
 * (not when its epoch is the chain's first: nobody held it before). */
#define LOCK_LEASE_MS 1000

/* verifier.c: with --db, confirm the verifier still holds its advisory
 * lock when the last confirmation is older than max_age_ms (0: now).
 * 0, or -1 with v->lock_lost set: nothing may be emitted. */
int verifier_lock_check(struct verifier *v, long long max_age_ms);

/* The lock is lost (why: "database connection lost", "lock not held"):
 * set v->lock_lost, count it and log it once; nothing is emitted until
 * the lock is taken again. Always -1. */
int verifier_lock_lost(struct verifier *v, const char *why);

/* audit.c: check the database's canonical chain (docs/verifier.md) and
 * repair what is missing or wrong. 0, or -1 when the verifier must stop
 * or lost its lock. */
int verifier_audit(struct verifier *v);
/* Note that a message about heights from..: the next audits check it. */
void audit_note(struct verifier *v, uint64_t from);

/* reorg.c: place one verified block (incoming, or fetched for a gap, a
 * reorg or an audit) on the chain, resolving what it reveals. 0, or -1
 * when the verifier must stop (stopping, output failed). */
int verifier_place(struct verifier *v, struct vblock *b, const char *reason);

#endif
