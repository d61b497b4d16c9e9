/* Placing blocks on the chain: continuity, duplicates, gaps, reorgs.
 *
 * Only a block the node itself holds as canonical can orphan anything: a
 * block the node no longer has is stale and dropped, and a height the node
 * does not have yet is waited for (a lagging node), never taken for a
 * reorg. New branches are fetched whole and their parent links checked
 * before anything is emitted, so a node still switching branches while we
 * walk makes us start over, not emit a broken chain. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "block.h"
#include "db.h"
#include "hex.h"
#include "internal.h"
#include "log.h"
#include "metrics.h"
#include "banned.h"

/* place() nests (a gap whose blocks reveal a reorg ...): a bound keeps a
 * node that never settles from recursing without end. */
#define MAX_NESTING 8
/* Walks started over because the node moved under us. */
#define RESOLVE_TRIES 6

static int place(struct verifier *v, struct vblock *b, const char *reason);

static int same(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

static int accept(struct verifier *v, const struct vblock *b,
		  const char *reason)
{
	if (chain_push(&v->chain, b->number, b->hash) < 0)
		return log_error("internal: block %" PRIu64 " is not the tip's "
				 "successor", b->number);
	metric_set(v->m.tip, (double)b->number);
	return emit_block(v, b, reason);
}

static void drop(struct verifier *v, const struct vblock *b, const char *why)
{
	metric_inc(v->m.stale);
	log_at(LOG_INFO, LOGF(LF_I("height", (long long)b->number),
			      LF_S("hash", b->hash), LF_S("reason", why)),
	       "block %" PRIu64 " dropped: %s", b->number, why);
}

/* The hash we hold for height n: the window, or the database's canonical
 * table below it. 0 found, 1 not known, -1 database failure. */
static int held_hash(struct verifier *v, uint64_t n, char out[HASH_HEX_SIZE])
{
	const char *h = chain_get(&v->chain, n);
	struct db_canonical *rows = NULL;
	size_t nrows = 0;
	int rc = 1;

	if (h) {
		memcpy(out, h, HASH_HEX_SIZE);
		return 0;
	}
	if (!v->db)
		return 1;
	if (db_canonical_range(v->db, v->chain_id, n, n, &rows, &nrows) !=
	    DB_OK)
		return -1;
	if (nrows == 1 && rows[0].number == n && rows[0].hash[0]) {
		memcpy(out, rows[0].hash, HASH_HEX_SIZE);
		rc = 0;
	}
	free(rows);
	return rc;
}

/* Walk down from b's parent comparing the node's hash with ours. 0 with
 * the common ancestor in *anc; 1 when the walk left what we know (below
 * the start block, or below the window and the database): *anc is then
 * start - 1 (*have_anc 0 when start is 0); 2 when the node lacks a
 * height (it is switching: start over); -1 when stopping. *beyond tells
 * whether the ancestor lies below the window.
 *
 * b (the node's, verified) names its parent, and so does each header
 * asked for: the node's hash one height down on the same branch, taken
 * without asking again, so that a walk of depth d costs about d/2 round
 * trips. Such a hash is checked as any other of the walk: the verified
 * blocks of fetch_branch must link up to the ancestor, or the walk
 * starts over. */
static int walk(struct verifier *v, const struct vblock *b, uint64_t *anc,
		int *have_anc, int *beyond)
{
	char nh[HASH_HEX_SIZE], mine[HASH_HEX_SIZE], parent[HASH_HEX_SIZE];
	uint64_t lo = chain_empty(&v->chain) ? v->chain.tip : chain_lo(&v->chain);
	int have_parent = 1;

	memcpy(parent, b->parent, sizeof(parent));
	*beyond = 0;
	*have_anc = 1;
	for (uint64_t n = b->number - 1; b->number > 0; n--) {
		enum node_result r;
		int h;

		if (n < v->start)
			break;
		h = held_hash(v, n, mine);
		if (h < 0)
			return -1;
		if (h > 0)
			break;
		if (n < lo)
			*beyond = 1;
		if (have_parent) {
			memcpy(nh, parent, sizeof(nh));
			have_parent = 0;
		} else {
			r = node_header(v, n, nh, parent);
			if (r == NODE_FAILED)
				return -1;
			if (r == NODE_MISSING)
				return 2;
			have_parent = 1;
		}
		if (same(nh, mine)) {
			*anc = n;
			return 0;
		}
		if (n == 0)
			break;
	}
	*beyond = 1;
	if (v->start == 0) {
		*have_anc = 0;
		*anc = 0;
	} else {
		*anc = v->start - 1;
	}
	return 1;
}

static int below_finalized(struct verifier *v, uint64_t anc, int have_anc)
{
	uint64_t fin;

	if (!have_anc || block_tag_number(v->rpc, "finalized", &fin) < 0)
		return 0;
	if (anc >= fin)
		return 0;
	metric_inc(v->m.below_finalized);
	log_at(LOG_ERROR, LOGF(LF_I("ancestor", (long long)anc),
			       LF_I("finalized", (long long)fin)),
	       "ALARM: reorg below the finalized block: ancestor %" PRIu64
	       " < finalized %" PRIu64, anc, fin);
	return 1;
}

static void count_reorg(struct verifier *v, uint64_t depth, int deep)
{
	metric_inc(v->m.reorgs);
	if (deep)
		metric_inc(v->m.deep_reorgs);
	metric_observe(v->m.reorg_depth, (double)depth);
	if ((double)depth > metric_value(v->m.deepest))
		metric_set(v->m.deepest, (double)depth);
}

/* A reorg reaching beyond the window (or below the start block): emit it
 * as deep, forget the window and ingest again from the ancestor. */
static int deep_reorg(struct verifier *v, struct vblock *b, uint64_t anc,
		      int have_anc, const char *reason)
{
	struct reorg_info r;
	uint64_t old_tip = v->chain.tip, from = have_anc ? anc + 1 : 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ancestor = anc;
	r.have_ancestor = have_anc;
	/* The node's hash at the ancestor, not ours: below the start block
	 * (or the anchor) we never verified what we hold, and the node may
	 * have replaced it too (two reorgs in a row at the anchor). */
	if (have_anc && node_hash(v, anc, r.ancestor_hash) != NODE_OK &&
	    held_hash(v, anc, r.ancestor_hash) != 0)
		r.ancestor_hash[0] = '\0';
	r.old_tip = old_tip;
	r.new_tip = b->number;
	memcpy(r.new_tip_hash, b->hash, sizeof(r.new_tip_hash));
	r.deep = 1;
	r.invalidate_from = from;
	r.invalidate_to = old_tip;
	r.below_finalized = below_finalized(v, anc, have_anc);
	log_at(LOG_ERROR, LOGF(LF_I("ancestor", have_anc ? (long long)anc : -1),
			       LF_I("old_tip", (long long)old_tip),
			       LF_I("new_tip", (long long)b->number),
			       LF_I("window", (long long)v->chain.cap)),
	       "DEEP REORG: the chain changed below what the verifier can "
	       "compare; invalidating %" PRIu64 "..%" PRIu64 " and ingesting "
	       "again from %" PRIu64, from, old_tip, from);
	count_reorg(v, old_tip + 1 - from, 1);
	if (emit_reorg(v, &r) < 0)
		return -1;
	if (have_anc) {
		char held[HASH_HEX_SIZE];

		chain_truncate(&v->chain, anc);
		if (r.ancestor_hash[0] &&
		    (chain_empty(&v->chain) || held_hash(v, anc, held) != 0 ||
		     strcasecmp(held, r.ancestor_hash) != 0))
			chain_reset(&v->chain, anc, r.ancestor_hash);
	} else {
		v->chain.count = 0;
	}
	for (uint64_t k = from; k < b->number; k++) {
		struct vblock f;
		enum node_result nr = node_block(v, k, b->live, &f);

		if (nr == NODE_FAILED)
			return -1;
		if (nr == NODE_MISSING) {
			log_error("deep reorg: block %" PRIu64 " unavailable; "
				  "ingest resumes with later input", k);
			return 0;
		}
		rc = verifier_place(v, &f, "reorg");
		vblock_release(&f);
		if (rc < 0)
			return -1;
	}
	(void)reason;
	return verifier_place(v, b, "reorg");
}

/* b is the tip's successor by height, not by parent, and the node does
 * not have its height (yet). If the node holds our tip, b's parent is not
 * canonical: b is stale (a queued block of a branch the node left) and is
 * dropped at once rather than waited for. If the node holds another block
 * at our tip's height, that block is the news: it is placed first, then
 * b again. 1
 * when b was dealt with this way, 0 to wait for the node as usual, -1
 * when stopping. */
static int stale_successor(struct verifier *v, struct vblock *b,
			   const char *reason)
{
	char th[HASH_HEX_SIZE];
	struct vblock nbk;
	enum node_result nr;
	int rc;

	nr = node_hash(v, v->chain.tip, th);
	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING)
		return 0;
	if (same(th, chain_get(&v->chain, v->chain.tip))) {
		drop(v, b, "its parent is not on the node's chain (stale)");
		return 1;
	}
	nr = node_block(v, v->chain.tip, b->live, &nbk);
	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING)
		return 0;
	log_at(LOG_INFO, LOGF(LF_I("height", (long long)v->chain.tip),
			      LF_S("hash", nbk.hash)),
	       "the node replaced the tip at %" PRIu64 "; placing its block "
	       "first", v->chain.tip);
	rc = verifier_place(v, &nbk, reason);
	vblock_release(&nbk);
	if (rc < 0)
		return -1;
	/* b may well extend the node's block: place it again */
	return verifier_place(v, b, reason) < 0 ? -1 : 1;
}

/* b is not canonical (any more): the node's block nh at that height
 * decides. 0 or -1 when stopping. */
static int take_node_block(struct verifier *v, struct vblock *b,
			   const char *nh, const char *reason)
{
	const char *mine = chain_get(&v->chain, b->number);
	struct vblock nbk;
	enum node_result nr;
	int rc;

	if (same(mine, nh)) {
		drop(v, b, "not on the node's chain (stale)");
		return 0;
	}
	nr = node_block(v, b->number, b->live, &nbk);
	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING) {
		drop(v, b, "not on the node's chain, and the node's block is "
		     "unavailable");
		return 0;
	}
	drop(v, b, "not on the node's chain; taking the node's block");
	rc = verifier_place(v, &nbk, reason);
	vblock_release(&nbk);
	return rc;
}

/* The blocks of a new branch, anc+1 .. b-1, fetched from the node. */
struct branch {
	struct vblock *blocks;
	size_t n;
};

static void branch_release(struct branch *br)
{
	for (size_t i = 0; i < br->n; i++)
		vblock_release(&br->blocks[i]);
	free(br->blocks);
	memset(br, 0, sizeof(*br));
}

/* Fetch anc+1 .. b-1 into br and check every link up to b. 0 when the
 * branch links up, 1 when it does not (the node switched branches while
 * we walked: br is empty), -1 when stopping or out of memory. */
static int fetch_branch(struct verifier *v, const struct vblock *b,
			uint64_t anc, const char *anc_hash, struct branch *br)
{
	size_t count = (size_t)(b->number - anc - 1);
	enum node_result nr;

	memset(br, 0, sizeof(*br));
	br->blocks = calloc(count + 1, sizeof(*br->blocks));
	if (!br->blocks)
		return log_error("out of memory fetching a branch");
	/* all asked for at once: a deep branch costs one round trip */
	nr = count ? node_blocks(v, anc + 1, count, b->live, br->blocks)
		   : NODE_OK;
	if (nr == NODE_FAILED) {
		branch_release(br);
		return -1;
	}
	if (nr == NODE_MISSING) {
		branch_release(br);
		return 1;
	}
	br->n = count;
	for (size_t i = 0; i < count; i++)
		if (!same(br->blocks[i].parent,
			  i ? br->blocks[i - 1].hash : anc_hash)) {
			branch_release(br);
			return 1;
		}
	if (!same(b->parent, br->n ? br->blocks[br->n - 1].hash : anc_hash)) {
		branch_release(br);
		return 1;
	}
	return 0;
}

/* Emit the reorg to ancestor anc (held as anc_hash) from old_tip, then
 * the new branch br and b. 0, or -1 (stopping, output failed). */
static int switch_branch(struct verifier *v, const struct vblock *b,
			 uint64_t anc, const char *anc_hash, uint64_t old_tip,
			 const struct branch *br)
{
	struct reorg_info r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ancestor = anc;
	r.have_ancestor = 1;
	memcpy(r.ancestor_hash, anc_hash, sizeof(r.ancestor_hash));
	r.old_tip = old_tip;
	r.new_tip = b->number;
	memcpy(r.new_tip_hash, b->hash, sizeof(r.new_tip_hash));
	r.invalidate_from = anc + 1;
	r.invalidate_to = old_tip;
	r.below_finalized = below_finalized(v, anc, 1);
	log_at(LOG_WARN, LOGF(LF_I("ancestor", (long long)anc),
			      LF_S("ancestor_hash", anc_hash),
			      LF_I("old_tip", (long long)old_tip),
			      LF_I("new_tip", (long long)b->number),
			      LF_I("depth", (long long)(old_tip - anc))),
	       "reorg: %" PRIu64 " block(s) orphaned above %" PRIu64,
	       old_tip - anc, anc);
	count_reorg(v, old_tip - anc, 0);
	rc = emit_reorg(v, &r);
	if (rc == 0) {
		chain_truncate(&v->chain, anc);
		for (size_t i = 0; i < br->n && rc == 0; i++)
			rc = accept(v, &br->blocks[i], "reorg");
		if (rc == 0)
			rc = accept(v, b, "reorg");
	}
	return rc;
}

/* The node's hash at b's height into nh, dealing first with b as a stale
 * successor of the tip. 0 with nh, 1 when b was dealt with (placed
 * elsewhere or dropped), -1 when stopping. */
static int node_hash_of(struct verifier *v, struct vblock *b,
			const char *reason, char nh[HASH_HEX_SIZE])
{
	enum node_result nr = node_hash_wait(v, b->number, nh, NULL, 0);
	int rc;

	if (nr == NODE_MISSING && b->number == v->chain.tip + 1) {
		rc = stale_successor(v, b, reason);
		if (rc != 0)
			return rc < 0 ? -1 : 1;
	}
	if (nr == NODE_MISSING)
		nr = node_hash(v, b->number, nh);
	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING) {
		drop(v, b, "the node does not have this height");
		return 1;
	}
	return 0;
}

/* b (canonical on the node) does not fit our tip: find the common
 * ancestor, fetch the new branch, check it, emit reorg and branch. */
static int resolve(struct verifier *v, struct vblock *b, const char *reason)
{
	for (int attempt = 0; attempt < RESOLVE_TRIES; attempt++) {
		char nh[HASH_HEX_SIZE], anc_hash[HASH_HEX_SIZE];
		struct branch br;
		uint64_t anc = 0, old_tip = v->chain.tip;
		int have_anc, beyond, rc;

		rc = node_hash_of(v, b, reason, nh);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		if (!same(nh, b->hash))
			return take_node_block(v, b, nh, reason);
		rc = walk(v, b, &anc, &have_anc, &beyond);
		if (rc < 0)
			return -1;
		if (rc == 2)
			continue;
		if (rc == 1 || beyond)
			return deep_reorg(v, b, anc, have_anc, reason);
		if (anc >= old_tip) /* the node moved between our calls */
			continue;
		memcpy(anc_hash, chain_get(&v->chain, anc), sizeof(anc_hash));
		rc = fetch_branch(v, b, anc, anc_hash, &br);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			log_info("the node switched branches while the "
				 "verifier walked back; starting over");
			continue;
		}
		rc = switch_branch(v, b, anc, anc_hash, old_tip, &br);
		branch_release(&br);
		return rc;
	}
	metric_inc(v->m.dropped);
	log_at(LOG_ERROR, LOGF(LF_I("height", (long long)b->number),
			       LF_S("hash", b->hash)),
	       "cannot resolve the chain at block %" PRIu64 ": the node keeps "
	       "switching branches; block dropped, later input heals it",
	       b->number);
	return 0;
}

/* Heights between our tip and b are missing: fetch them first. 0 when
 * the tip reached b's parent height, 1 when the gap cannot be filled now
 * (b dropped), -1 when stopping. */
static int fill_gap(struct verifier *v, struct vblock *b)
{
	int stuck = 0;

	log_at(LOG_WARN, LOGF(LF_I("from", (long long)v->chain.tip + 1),
			      LF_I("to", (long long)b->number - 1)),
	       "gap: heights %" PRIu64 "..%" PRIu64 " missing from the input; "
	       "fetching them", v->chain.tip + 1, b->number - 1);
	while (!chain_empty(&v->chain) && v->chain.tip + 1 < b->number) {
		struct vblock f;
		uint64_t k = v->chain.tip + 1, before = v->chain.tip;
		enum node_result nr = node_block(v, k, b->live, &f);
		int rc;

		if (nr == NODE_FAILED)
			return -1;
		if (nr == NODE_MISSING) {
			drop(v, b, "the gap below it cannot be filled now");
			return 1;
		}
		rc = verifier_place(v, &f, "gap");
		vblock_release(&f);
		if (rc < 0)
			return -1;
		if (v->chain.tip == before + 1)
			metric_inc(v->m.gaps_filled);
		if (v->chain.tip <= before && ++stuck >= RESOLVE_TRIES) {
			drop(v, b, "the gap below it does not fill");
			return 1;
		}
	}
	return 0;
}

/* Below the window: no hash to compare with. Forward it when the node
 * holds it as canonical (a replay), drop it otherwise. */
static int place_old(struct verifier *v, struct vblock *b, const char *reason)
{
	char nh[HASH_HEX_SIZE];
	enum node_result nr = node_hash(v, b->number, nh);

	if (nr == NODE_FAILED)
		return -1;
	if (nr != NODE_OK || !same(nh, b->hash)) {
		drop(v, b, "below the window and not on the node's chain");
		return 0;
	}
	metric_inc(v->m.old_blocks);
	return emit_block(v, b, reason);
}

static int place(struct verifier *v, struct vblock *b, const char *reason)
{
	for (;;) {
		enum chain_verdict cv;
		int rc;

		if (v->have_start && b->number < v->start) {
			metric_inc(v->m.below_start);
			log_at(LOG_DEBUG, LOGF(LF_I("height", (long long)b->number)),
			       "block below the start block; ignored");
			return 0;
		}
		cv = chain_classify(&v->chain, b->number, b->hash, b->parent);
		log_at(LOG_DEBUG, LOGF(LF_I("height", (long long)b->number),
				       LF_S("hash", b->hash),
				       LF_S("verdict", chain_verdict_name(cv))),
		       "placing block %" PRIu64, b->number);
		switch (cv) {
		case CV_ANCHOR:
			if (!v->have_start) {
				v->start = b->number;
				v->have_start = 1;
			}
			log_at(LOG_INFO, LOGF(LF_I("height", (long long)b->number),
					      LF_S("hash", b->hash)),
			       "anchored at block %" PRIu64, b->number);
			return accept(v, b, reason);
		case CV_EXTEND:
			return accept(v, b, reason);
		case CV_DUPLICATE:
			metric_inc(v->m.duplicates);
			return emit_block(v, b, reason);
		case CV_GAP:
			rc = fill_gap(v, b);
			if (rc != 0)
				return rc < 0 ? -1 : 0;
			continue;
		case CV_REPLACE:
		case CV_FORK:
			return resolve(v, b, reason);
		case CV_OLD:
			return place_old(v, b, reason);
		}
		return 0;
	}
}

int verifier_place(struct verifier *v, struct vblock *b, const char *reason)
{
	int rc;

	if (v->depth >= MAX_NESTING) {
		metric_inc(v->m.dropped);
		log_at(LOG_ERROR, LOGF(LF_I("height", (long long)b->number)),
		       "block %" PRIu64 " dropped: the chain keeps changing "
		       "while the verifier resolves it", b->number);
		return 0;
	}
	v->depth++;
	rc = place(v, b, reason);
	v->depth--;
	return rc;
}
