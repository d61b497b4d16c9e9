/* The audit: the database's canonical chain proves itself.
 *
 * Every --audit-interval the verifier asks the database (blockpipe_audit)
 * which heights of a range have no canonical block or a canonical block
 * whose parent_hash is not the canonical hash one height below, and
 * compares the canonical hash at its tip with the node's. The ranges are
 * the heights emitted before the previous audit (writers have had a whole
 * interval to commit them) and a slice of a full pass that sweeps from the
 * start block to the tip and starts over, so one audit costs the same on
 * a chain of ten blocks or of twenty million.
 *
 * Each suspect height is compared with the node. A missing block is
 * fetched and emitted again; a wrong pointer (the database names a block
 * the node does not have there: a message about it was lost) is followed
 * down and up to the heights where the database and the node agree, the
 * range is recorded as a repair (a `reorgs` row with repair = true and
 * tombstones, docs/schema.md), and the node's blocks are emitted again
 * with a higher seq. Where the verifier's own window disagrees with the
 * node, the chain reorged under it: the node's block goes through the
 * reorg rules instead. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "hex.h"
#include "internal.h"
#include "log.h"
#include "metrics.h"
#include "banned.h"

/* Problems taken from one range per audit; more wait for the next. */
#define AUDIT_ROWS 1000
/* Heights of the incremental range checked per audit; the rest waits. */
#define AUDIT_RANGE_MAX 50000
/* How far a range of wrong pointers is followed each way per audit. */
#define SPREAD 1024

void audit_note(struct verifier *v, uint64_t from)
{
	struct audit_state *a = &v->audit;

	if (!a->have_dirty || from < a->dirty_lo) {
		a->dirty_lo = from;
		a->have_dirty = 1;
	}
}

static int same(const char *a, const char *b)
{
	return a && b && *a && !strcasecmp(a, b);
}

/* A database failure in the audit: a lost connection is a lost lock;
 * anything else is logged and tried again next time. */
static int db_failed(struct verifier *v, enum db_status st)
{
	if (st != DB_CONN)
		return 0;
	return verifier_lock_lost(v, "database connection lost");
}

/* The node's block at h again: through the reorg rules when the window
 * holds another block there, else emitted as it is. */
static int emit_node_block(struct verifier *v, uint64_t h)
{
	struct vblock f;
	enum node_result nr = node_block(v, h, 0, &f);
	const char *held;
	int rc;

	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING)
		return 0;
	held = chain_get(&v->chain, h);
	if (held && strcasecmp(held, f.hash)) {
		rc = verifier_place(v, &f, "audit");
	} else {
		metric_inc(v->m.audit_repairs);
		rc = emit_block(v, &f, "audit");
	}
	vblock_release(&f);
	return rc;
}

/* The node's hashes of [lo, hi] side by side with the database's. */
struct span {
	struct db_canonical *rows; /* the database's, ascending */
	size_t nrows;
	uint64_t base;             /* height of node[0] */
	char (*node)[HASH_HEX_SIZE];          /* "" where not asked (yet) */
};

static const char *db_at(const struct span *s, uint64_t h)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (s->rows[i].number == h)
			return s->rows[i].hash;
	return "";
}

/* 1 when the database and the node agree at h, 0 when not, 2 when the
 * node lacks h, -1 when stopping. */
static int agree(struct verifier *v, struct span *s, uint64_t h)
{
	char *nh = s->node[h - s->base];
	enum node_result nr = node_hash_wait(v, h, nh, NULL, 0);

	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING) {
		nh[0] = '\0';
		return 2;
	}
	return same(db_at(s, h), nh);
}

/* Record [lo, hi] as a repair and emit the node's blocks over it. */
static int repair(struct verifier *v, struct span *s, uint64_t lo,
		  uint64_t hi)
{
	struct reorg_info r;
	size_t i0 = 0, n = 0;

	while (i0 < s->nrows && s->rows[i0].number < lo)
		i0++;
	while (i0 + n < s->nrows && s->rows[i0 + n].number <= hi)
		n++;
	memset(&r, 0, sizeof(r));
	r.have_ancestor = lo > 0;
	r.ancestor = lo > 0 ? lo - 1 : 0;
	if (lo > s->base)
		memcpy(r.ancestor_hash, s->node[lo - 1 - s->base], HASH_HEX_SIZE);
	r.old_tip = r.new_tip = hi;
	memcpy(r.new_tip_hash, s->node[hi - s->base], HASH_HEX_SIZE);
	r.invalidate_from = lo;
	r.invalidate_to = hi;
	r.repair = 1;
	r.orphans = s->rows + i0;
	r.norphans = n;
	log_at(LOG_WARN, LOGF(LF_I("from", (long long)lo),
			      LF_I("to", (long long)hi),
			      LF_S("db_hash", db_at(s, hi)),
			      LF_S("node_hash", s->node[hi - s->base])),
	       "audit: the database's canonical chain is not the node's at %"
	       PRIu64 "..%" PRIu64 " (a lost message); repairing", lo, hi);
	metric_inc(v->m.repairs);
	metric_add(v->m.repaired_heights, (double)(hi - lo + 1));
	if (emit_reorg(v, &r) < 0)
		return -1;
	for (uint64_t h = lo; h <= hi; h++)
		if (emit_node_block(v, h) < 0)
			return -1;
	return 0;
}

/* h holds a pointer the node does not have: find the whole wrong range
 * around it and repair it, or hand the node's block to the reorg rules
 * where the window disagrees with the node too. *done: the highest
 * height dealt with. */
static int wrong_range(struct verifier *v, uint64_t h, uint64_t upto,
		       uint64_t *done)
{
	struct span s = { NULL, 0, 0, NULL };
	uint64_t lo = h, hi = h, from, to;
	enum db_status st;
	int rc = 0, a = 0;

	from = h - v->start > SPREAD ? h - SPREAD : v->start;
	to = upto - h > SPREAD ? h + SPREAD : upto;
	*done = h;
	st = db_canonical_range(v->db, v->chain_id, from, to, &s.rows,
				&s.nrows);
	if (st != DB_OK)
		return db_failed(v, st);
	s.base = from;
	s.node = calloc((size_t)(to - from + 1), sizeof(*s.node));
	if (!s.node) {
		free(s.rows);
		return log_error("out of memory in the audit");
	}
	a = agree(v, &s, h);
	if (a != 0) /* it changed since it was asked */
		goto out;
	while (lo > from && (a = agree(v, &s, lo - 1)) == 0)
		lo--;
	if (a < 0)
		goto out;
	while (hi < to && (a = agree(v, &s, hi + 1)) == 0)
		hi++;
	if (a < 0)
		goto out;
	*done = hi;
	for (uint64_t k = lo; k <= hi; k++) {
		const char *w = chain_get(&v->chain, k);

		if (w && strcasecmp(w, s.node[k - s.base])) {
			/* the verifier's own view is the old branch: a reorg */
			rc = emit_node_block(v, k);
			goto out;
		}
	}
	rc = repair(v, &s, lo, hi);
out:
	free(s.rows);
	free(s.node);
	return a < 0 ? -1 : rc;
}

/* Compare the database's canonical block at h with the node's. */
static int check_height(struct verifier *v, uint64_t h, uint64_t upto,
			uint64_t *done)
{
	struct db_canonical *row = NULL;
	size_t n = 0;
	char nh[HASH_HEX_SIZE], dh[HASH_HEX_SIZE] = "";
	int have_block = 0;
	enum db_status st;
	enum node_result nr;

	*done = h;
	st = db_canonical_range(v->db, v->chain_id, h, h, &row, &n);
	if (st != DB_OK)
		return db_failed(v, st);
	if (n == 1) {
		memcpy(dh, row[0].hash, sizeof(dh));
		have_block = row[0].parent[0] != '\0';
	}
	free(row);
	nr = node_hash_wait(v, h, nh, NULL, 0);
	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING) /* the node lags or rolled back: later */
		return 0;
	if (same(dh, nh))
		return have_block ? 0 : emit_node_block(v, h);
	if (!dh[0])
		return emit_node_block(v, h);
	return wrong_range(v, h, upto, done);
}

/* The problems blockpipe_audit() finds in [lo, hi], each settled. */
static int audit_range(struct verifier *v, uint64_t lo, uint64_t hi,
		       uint64_t upto)
{
	struct db_audit_row *rows = NULL;
	size_t n = 0;
	uint64_t next = lo, done;
	enum db_status st;
	int rc = 0;

	metric_add(v->m.audit_heights, (double)(hi - lo + 1));
	st = db_audit(v->db, v->chain_id, v->start, lo, hi, AUDIT_ROWS, &rows,
		      &n);
	if (st != DB_OK)
		return db_failed(v, st);
	if (n)
		log_at(LOG_WARN, LOGF(LF_I("problems", (long long)n),
				      LF_I("first", (long long)rows[0].number),
				      LF_I("from", (long long)lo),
				      LF_I("to", (long long)hi)),
		       "audit: heights missing or with a broken parent link in "
		       "the database; checking them against the node");
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t h = rows[i].number;

		if (!rows[i].missing) {
			metric_inc(v->m.audit_links);
			/* one side of the link is wrong: the lower first */
			if (h > v->start && h - 1 >= next) {
				rc = check_height(v, h - 1, upto, &done);
				next = done + 1;
			}
		}
		if (rc == 0 && h >= next) {
			rc = check_height(v, h, upto, &done);
			next = done + 1;
		}
	}
	free(rows);
	return rc;
}

int verifier_audit(struct verifier *v)
{
	struct audit_state *a = &v->audit;
	uint64_t upto, inc_lo, end;
	int have_inc, rc = 0;

	if (chain_empty(&v->chain) || !v->db)
		return 0;
	upto = a->upto < v->chain.tip ? a->upto : v->chain.tip;
	have_inc = a->have_pending && a->have_upto;
	inc_lo = a->pending_lo;
	/* what was emitted until now is checked next time */
	a->pending_lo = a->dirty_lo;
	a->have_pending = a->have_dirty;
	a->have_dirty = 0;
	if (!a->have_upto) {
		a->upto = v->chain.tip;
		a->have_upto = 1;
		return 0;
	}
	a->upto = v->chain.tip;
	if (upto < v->start)
		return 0;
	metric_inc(v->m.audit_runs);
	if (have_inc) {
		if (inc_lo > v->start)
			inc_lo--; /* the link below the first height too */
		if (inc_lo > upto)
			inc_lo = upto;
		end = upto - inc_lo >= AUDIT_RANGE_MAX ? inc_lo + AUDIT_RANGE_MAX - 1
						       : upto;
		if (end < upto && (!a->have_pending || end + 1 < a->pending_lo)) {
			a->pending_lo = end + 1; /* the rest next time */
			a->have_pending = 1;
		}
		rc = audit_range(v, inc_lo, end, upto);
	}
	if (rc == 0 && v->cfg->audit_sweep > 0) {
		uint64_t s = a->sweep < v->start || a->sweep > upto ? v->start
								    : a->sweep;

		end = upto - s >= (uint64_t)v->cfg->audit_sweep
			      ? s + (uint64_t)v->cfg->audit_sweep - 1
			      : upto;
		a->sweep = end + 1;
		rc = audit_range(v, s, end, upto);
	}
	if (rc == 0)
		rc = check_height(v, upto, upto, &end);
	return rc;
}
