/* Reorgs sent again (docs/verifier.md): with --db a reorg is recorded
 * (blockpipe_record_reorg, `unsent`) before its message is sent, and
 * marked sent (blockpipe_reorg_sent) once it went out. A verifier killed
 * in between leaves a reorg that the database knows and the stream never
 * carried; the next verifier, before it emits anything new, sends every
 * such reorg again as recorded, with its own seq. A reorg that did go
 * out but was not marked yet goes out twice with one seq: writers apply
 * it idempotently and the broadcaster passes only the first
 * (docs/protocol.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "internal.h"
#include "log.h"
#include "message.h"
#include "metrics.h"
#include "sig.h"
#include "banned.h"

/* Unsent reorgs read at a start: more than a handful means something
 * else is wrong; the rest go the next time. */
#define RESEND_MAX 1000
/* How long after opening --pub a verifier waits before it sends a reorg
 * again: its subscribers (the broadcaster, taps) were connected to the
 * verifier that died, and ZeroMQ reconnects them every 100 ms; a PUB
 * socket drops what it sends before they are back. */
#define PUB_REJOIN_MS 2000
/* Tries of blockpipe_reorg_sent on a deadlock or serialization failure. */
#define MARK_TRIES 5

enum resend_verdict resend_check(const struct db_unsent_reorg *row,
				 uint64_t chain_id, uint64_t below,
				 uint64_t prev, struct message *m, char *why,
				 size_t whylen)
{
	char err[128];
	const struct message_reorg *r = &m->u.reorg;

	if (message_read(row->message, strlen(row->message), m, err,
			 sizeof(err)) != MESSAGE_OK) {
		snprintf(why, whylen, "not a valid message: %s", err);
		return RESEND_UNREADABLE;
	}
	if (m->type != MESSAGE_REORG || !r->has_seq) {
		snprintf(why, whylen, "a '%s' message%s", m->type_name,
			 m->type == MESSAGE_REORG ? " without seq" : "");
		return RESEND_UNREADABLE;
	}
	if (r->chain_id != chain_id) {
		snprintf(why, whylen, "chain %" PRIu64 ", not %" PRIu64,
			 r->chain_id, chain_id);
		return RESEND_OTHER_CHAIN;
	}
	if (r->seq != row->seq) {
		snprintf(why, whylen, "the message's seq is %" PRIu64, r->seq);
		return RESEND_SEQ_MISMATCH;
	}
	if (r->seq >= below) {
		snprintf(why, whylen, "seq %" PRIu64 " is not below this epoch's "
			 "(%" PRIu64 ")", r->seq, below);
		return RESEND_NOT_BEFORE;
	}
	if (r->seq <= prev) {
		snprintf(why, whylen, "seq %" PRIu64 " comes after %" PRIu64,
			 r->seq, prev);
		return RESEND_OUT_OF_ORDER;
	}
	return RESEND_OK;
}

int resend_mark_sent(struct verifier *v, uint64_t seq)
{
	enum db_status st = DB_RETRY;

	for (int i = 0; i < MARK_TRIES && st == DB_RETRY; i++)
		st = db_reorg_sent(v->db, v->chain_id, seq);
	if (st == DB_OK)
		return 0;
	if (st == DB_CONN)
		return verifier_lock_lost(v, "database connection lost");
	log_at(LOG_WARN, LOGF(LF_U("seq", seq)),
	       "cannot mark the reorg of seq %" PRIu64 " sent; the next start "
	       "sends it again (same seq: consumers ignore it)", seq);
	return 0;
}

/* Subscribers of a PUB socket just opened are not back yet. */
static int wait_for_subscribers(struct verifier *v)
{
	long long left;

	if (!v->pub)
		return 0;
	left = v->pub_opened_at + PUB_REJOIN_MS - clock_mono_ms();
	return left > 0 ? nap(left) : 0;
}

/* Send rows[0..n) again, in order, skipping (logged, counted) those
 * resend_check refuses. */
static int send_rows(struct verifier *v, const struct db_unsent_reorg *rows,
		     size_t n)
{
	uint64_t below = v->seq.epoch << 32, prev = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct message m;
		char why[192];
		enum resend_verdict vd = resend_check(&rows[i], v->chain_id,
						      below, prev, &m, why,
						      sizeof(why));

		if (vd != RESEND_OK) {
			metric_inc(v->m.unsent_refused);
			log_at(LOG_ERROR, LOGF(LF_U("seq", rows[i].seq),
					       LF_S("error", why)),
			       "the unsent reorg of seq %" PRIu64 " in the "
			       "database cannot be sent again: %s",
			       rows[i].seq, why);
		} else {
			rc = emit_reorg_again(v, &m.u.reorg);
			prev = m.u.reorg.seq;
			if (rc == 0)
				log_at(LOG_WARN, LOGF(LF_U("seq", prev),
					LF_I("invalidate_from",
					     (long long)m.u.reorg.invalidate_from),
					LF_I("invalidate_to",
					     (long long)m.u.reorg.invalidate_to)),
				       "reorg of seq %" PRIu64 " sent again: "
				       "recorded, but its message may not have "
				       "gone out", prev);
		}
		message_release(&m);
	}
	return rc;
}

int verifier_resend_unsent(struct verifier *v)
{
	struct db_unsent_reorg *rows = NULL;
	size_t n = 0;
	int rc;

	if (!v->db)
		return 0;
	if (db_unsent_reorgs(v->db, v->chain_id, RESEND_MAX, &rows, &n) != DB_OK) {
		if (PQstatus(v->db) != CONNECTION_OK)
			verifier_lock_lost(v, "database connection lost");
		return log_error("cannot read the unsent reorgs from the "
				 "database");
	}
	if (n == 0)
		return 0;
	log_at(LOG_INFO, LOGF(LF_U("count", n), LF_U("first_seq", rows[0].seq)),
	       "%zu reorg(s) recorded but not confirmed sent: sending them "
	       "again first", n);
	rc = wait_for_subscribers(v);
	if (rc == 0)
		rc = send_rows(v, rows, n);
	db_unsent_reorgs_free(rows, n);
	return rc;
}
