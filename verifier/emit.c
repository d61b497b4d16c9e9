/* Everything the verifier sends: block messages re-stamped with seq,
 * reorg messages and heartbeats (docs/protocol.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "internal.h"
#include "message.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "sig.h"
#include "banned.h"

/* Send to the output and, when there is one, the PUB socket. */
static int send_all(struct verifier *v, const char *topic, const char *data,
		    size_t len)
{
	if (verifier_lock_check(v, LOCK_LEASE_MS) < 0)
		return -1;
	if (v->out && msg_send(v->out, topic, data, len) < 0) {
		if (!sig_stopping())
			log_error_errno("cannot write a %s message", topic);
		return -1;
	}
	if (v->pub && msg_send(v->pub, topic, data, len) < 0)
		log_warn_errno("cannot publish a %s message", topic);
	metric_set(v->m.seq, (double)v->seq.last);
	return 0;
}

int emit_block(struct verifier *v, const struct vblock *b, const char *reason)
{
	uint64_t seq = seq_next(&v->seq);

	if (!seq)
		return -1;
	/* the stamps a message read carries already are replaced */
	if (message_restamp(&v->line, b->text, b->len, &b->read, seq,
			    (uint64_t)clock_wall_ms(), reason) < 0)
		return log_error("cannot stamp block %" PRIu64, b->number);
	if (send_all(v, "block", v->line.data, v->line.len) < 0)
		return -1;
	audit_note(v, b->number);
	metric_inc(v->m.emitted_blocks);
	log_at(LOG_DEBUG, LOGF(LF_I("height", (long long)b->number),
			       LF_S("hash", b->hash), LF_U("seq", seq),
			       LF_S("reason", reason)),
	       "emitted block %" PRIu64, b->number);
	return 0;
}

/* Append (n, hash) to the orphaned list. */
static int add_orphan(struct message_ref **v, size_t *n, uint64_t number,
		      const char *hash)
{
	struct message_ref *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -1;
	*v = p;
	p[*n].number = number;
	snprintf(p[*n].hash, sizeof(p[*n].hash), "%s", hash);
	(*n)++;
	return 0;
}

/* The orphaned blocks: the caller's list, or the window's hashes of
 * invalidate_from..old_tip and, below the window, the database's (so a
 * reorg deeper than the window lists every block). *v is malloc'd. */
static int collect_orphans(struct verifier *v, const struct reorg_info *r,
			   struct message_ref **out, size_t *nout)
{
	struct db_canonical *rows = NULL;
	size_t n = 0, i = 0;
	uint64_t lo = chain_empty(&v->chain) ? r->old_tip + 1
					      : chain_lo(&v->chain);
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (r->orphans) {
		for (i = 0; i < r->norphans && rc == 0; i++)
			if (r->orphans[i].hash[0])
				rc = add_orphan(out, nout, r->orphans[i].number,
						r->orphans[i].hash);
		return rc;
	}
	if (v->db && r->invalidate_from < lo &&
	    db_canonical_range(v->db, v->chain_id, r->invalidate_from,
			       lo - 1 < r->old_tip ? lo - 1 : r->old_tip, &rows,
			       &n) != DB_OK)
		return -1;
	for (uint64_t h = r->invalidate_from; h <= r->old_tip && rc == 0; h++) {
		const char *w = chain_get(&v->chain, h);

		while (i < n && rows[i].number < h)
			i++;
		if (!w && i < n && rows[i].number == h && rows[i].hash[0])
			w = rows[i].hash;
		if (w)
			rc = add_orphan(out, nout, h, w);
	}
	free(rows);
	return rc;
}

/* The orphaned list as the `reorgs` row keeps it. */
static int orphans_json(const struct message_ref *o, size_t n, struct buf *j)
{
	int rc = buf_addch(j, '[');

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = buf_addf(j, "%s{\"number\":%" PRIu64 ",\"hash\":\"%s\"}",
			      i ? "," : "", o[i].number, o[i].hash);
	return rc < 0 || buf_addch(j, ']') < 0 ? -1 : 0;
}

/* The reorg's row and tombstones, before anything is sent. A deadlock
 * with a writer is retried; a lost connection means a lost lock. */
static int record_reorg(struct verifier *v, const struct reorg_info *r,
			uint64_t seq, long long at, const struct buf *orph,
			const char *old_hash)
{
	struct db_reorg d;
	enum db_status st = DB_RETRY;

	memset(&d, 0, sizeof(d));
	d.seq = seq;
	d.have_ancestor = r->have_ancestor;
	d.ancestor = r->ancestor;
	d.ancestor_hash = r->ancestor_hash;
	d.old_tip = r->old_tip;
	d.old_tip_hash = old_hash;
	d.new_tip = r->new_tip;
	d.new_tip_hash = r->new_tip_hash;
	d.depth = r->old_tip - (r->invalidate_from - 1);
	d.orphaned_json = orph->data ? orph->data : "[]";
	d.invalidate_from = r->invalidate_from;
	d.invalidate_to = r->invalidate_to;
	d.deep = r->deep;
	d.below_finalized = r->below_finalized;
	d.repair = r->repair;
	d.at_ms = at;
	for (int i = 0; i < 5 && st == DB_RETRY; i++)
		st = db_record_reorg(v->db, v->chain_id, &d);
	if (st == DB_OK)
		return 0;
	if (st == DB_CONN)
		verifier_lock_lost(v, "database connection lost");
	return log_error("cannot record the reorg at %" PRIu64 " in the "
			 "database; not emitting it", r->invalidate_from);
}

/* The reorg message of r, as docs/protocol.md has it. */
static void fill_reorg(struct verifier *v, const struct reorg_info *r,
		       uint64_t seq, long long at, struct message_ref *orph,
		       size_t norph, struct message_reorg *m)
{
	memset(m, 0, sizeof(*m));
	m->chain_id = v->chain_id;
	m->has_seq = m->has_emitted_at = true;
	m->seq = seq;
	m->emitted_at = (uint64_t)at;
	m->has_ancestor = r->have_ancestor;
	m->ancestor.number = r->ancestor;
	snprintf(m->ancestor.hash, sizeof(m->ancestor.hash), "%s",
		 r->ancestor_hash);
	m->orphaned = orph;
	m->norphaned = norph;
	m->has_new_tip = true;
	m->new_tip.number = r->new_tip;
	snprintf(m->new_tip.hash, sizeof(m->new_tip.hash), "%s",
		 r->new_tip_hash);
	m->has_depth = true;
	m->depth = r->old_tip - (r->invalidate_from - 1);
	m->deep = r->deep;
	m->invalidate_from = r->invalidate_from;
	m->invalidate_to = r->invalidate_to;
	m->below_finalized = r->below_finalized;
}

/* Send m to every output, count it, and clear its row's unsent flag
 * (docs/architecture.md): the one way a reorg message leaves, first
 * time or again after a crash. */
static int send_reorg(struct verifier *v, const struct message_reorg *m)
{
	if (message_reorg_build(&v->line, m) < 0)
		return log_error("cannot build the reorg message of seq %" PRIu64,
				 m->seq);
	if (send_all(v, "reorg", v->line.data, v->line.len) < 0)
		return -1;
	metric_inc(v->m.emitted_reorgs);
	return v->db ? resend_mark_sent(v, m->seq) : 0;
}

int emit_reorg(struct verifier *v, const struct reorg_info *r)
{
	struct buf orph = BUF_INIT;
	struct message_ref *refs = NULL;
	struct message_reorg m;
	size_t nrefs = 0;
	long long at = clock_wall_ms();
	const char *old_hash = "";
	uint64_t seq;
	int rc = -1;

	if (verifier_lock_check(v, LOCK_LEASE_MS) < 0)
		return -1;
	if (collect_orphans(v, r, &refs, &nrefs) < 0 ||
	    orphans_json(refs, nrefs, &orph) < 0) {
		free(refs);
		buf_release(&orph);
		return log_error("cannot list the blocks a reorg orphans");
	}
	if (nrefs && refs[nrefs - 1].number == r->old_tip)
		old_hash = refs[nrefs - 1].hash;
	seq = seq_next(&v->seq);
	if (seq && (!v->db || record_reorg(v, r, seq, at, &orph, old_hash) == 0))
		rc = 0;
	if (rc == 0 && !r->repair) {
		fill_reorg(v, r, seq, at, refs, nrefs, &m);
		rc = send_reorg(v, &m);
	}
	free(refs);
	buf_release(&orph);
	if (rc == 0)
		audit_note(v, r->invalidate_from);
	return rc;
}

int emit_reorg_again(struct verifier *v, struct message_reorg *m)
{
	m->has_emitted_at = true;
	m->emitted_at = (uint64_t)clock_wall_ms();
	if (send_reorg(v, m) < 0)
		return -1;
	metric_inc(v->m.resent_reorgs);
	audit_note(v, m->invalidate_from);
	return 0;
}

int emit_heartbeat(struct verifier *v)
{
	struct message_heartbeat h;

	if (!v->pub || v->lock_lost)
		return 0;
	memset(&h, 0, sizeof(h));
	h.chain_id = v->chain_id;
	h.seq = seq_next(&v->seq);
	h.has_seq = h.seq != 0;
	h.has_time = true;
	h.time = (uint64_t)clock_wall_ms();
	snprintf(h.prog, sizeof(h.prog), "verifier");
	h.has_tip = !chain_empty(&v->chain);
	if (h.has_tip) {
		h.tip.number = v->chain.tip;
		snprintf(h.tip.hash, sizeof(h.tip.hash), "%s",
			 chain_get(&v->chain, v->chain.tip));
	}
	if (message_heartbeat_build(&v->line, &h) < 0)
		return log_error("cannot build a heartbeat");
	/* heartbeats go to subscribers only */
	if (msg_send(v->pub, "heartbeat", v->line.data, v->line.len) < 0)
		log_warn_errno("cannot publish a heartbeat");
	metric_inc(v->m.heartbeats);
	metric_set(v->m.seq, (double)v->seq.last);
	return 0;
}
