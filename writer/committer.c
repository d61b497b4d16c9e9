#include "committer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "message.h"
#include "pg.h"
#include "sig.h"
#include "banned.h"

/* How long a stopping writer keeps trying to commit what it holds. */
#define STOP_GRACE_MS 5000

static struct chain_progress *chain_progress_get(struct writer *w,
						 uint64_t chain_id)
{
	char labels[48];
	struct chain_progress *c;

	for (size_t i = 0; i < w->nchains; i++)
		if (w->chains[i].chain_id == chain_id)
			return &w->chains[i];
	if (w->nchains == MAX_CHAINS)
		return NULL;
	c = &w->chains[w->nchains++];
	memset(c, 0, sizeof(*c));
	c->chain_id = chain_id;
	c->watermark = -1;
	snprintf(labels, sizeof(labels), "chain_id=\"%" PRIu64 "\"", chain_id);
	c->m_watermark = metrics_gauge(w->metrics, "writer_watermark",
		"highest height with every height from --start canonical",
		labels);
	return c;
}

void writer_disconnect(struct writer *w)
{
	atomic_store(&w->db_up, 0);
	if (w->conn) {
		PQfinish(w->conn);
		w->conn = NULL;
	}
}

int writer_connect(struct writer *w)
{
	if (w->conn)
		return 0;
	w->conn = db_connect(w->cfg->db);
	if (!w->conn)
		return -1;
	if (db_apply_schema(w->conn) < 0 || pg_session_init(w->conn) != DB_OK) {
		writer_disconnect(w);
		return -1;
	}
	if (w->ever_connected) {
		metric_inc(w->m_reconnects);
		log_info("reconnected to PostgreSQL");
	}
	w->ever_connected = 1;
	atomic_store(&w->db_up, 1);
	return 0;
}

static int stopping(struct writer *w)
{
	if (!sig_stopping())
		return 0;
	if (!w->stop_deadline_ms)
		w->stop_deadline_ms = clock_mono_ms() + STOP_GRACE_MS;
	return 1;
}

enum commit_result { COMMIT_OK, COMMIT_REFUSED, COMMIT_GAVE_UP };

/* Commit messages [from, to): retry deadlocks and serialization failures,
 * reconnect when the connection is lost, and keep at it (holding the
 * batch, reading nothing: back-pressure) until it works, PostgreSQL
 * refuses the data, or a stopping writer's grace period ends. */
static enum commit_result commit_range(struct writer *w, size_t from,
				       size_t to, struct pg_counts *counts)
{
	unsigned failures = 0, retries = 0;
	char err[512], st[6];

	for (;;) {
		enum db_status s;

		if (stopping(w) && clock_mono_ms() > w->stop_deadline_ms) {
			log_at(LOG_ERROR, LOGF(LF_U("messages", to - from)),
			       "stopping with messages not committed");
			return COMMIT_GAVE_UP;
		}
		if (writer_connect(w) < 0) {
			s = DB_CONN;
			snprintf(err, sizeof(err), "cannot connect");
			st[0] = '\0';
		} else {
			s = pg_write(w->conn, &w->committing, from, to, counts, err,
				     sizeof(err), st);
		}
		switch (s) {
		case DB_OK:
			if (failures)
				log_info("batch committed after %u failed "
					 "attempts", failures);
			return COMMIT_OK;
		case DB_FATAL:
			log_at(LOG_WARN, LOGF(LF_S("sqlstate", st),
					      LF_S("error", err),
					      LF_U("messages", to - from)),
			       "PostgreSQL refused the batch");
			return COMMIT_REFUSED;
		case DB_RETRY:
			retries++;
			metric_inc(!strcmp(st, "40P01") ? w->m_retry_deadlock
				   : !strcmp(st, "40001") ? w->m_retry_serial
				   : w->m_retry_other);
			log_at(retries % 10 ? LOG_DEBUG : LOG_WARN,
			       LOGF(LF_S("sqlstate", st), LF_S("error", err),
				    LF_U("retries", retries)),
			       "transaction retried");
			/* Jittered, so two writers that deadlocked do not
			 * meet again at once. */
			clock_sleep_ms(5 + rand() % (retries < 10 ? 20 * retries : 200));
			break;
		case DB_CONN:
			failures++;
			metric_inc(w->m_failures);
			writer_disconnect(w);
			log_at(failures >= LOUD_AFTER ? LOG_ERROR : LOG_WARN,
			       LOGF(LF_S("sqlstate", st), LF_S("error", err),
				    LF_U("attempts", failures),
				    LF_U("messages", to - from)),
			       failures >= LOUD_AFTER
				       ? "PostgreSQL unavailable: holding the "
					 "batch and reading nothing until it is back"
				       : "cannot commit batch: will reconnect");
			clock_sleep_ms(clock_backoff_ms((int)failures, 100, 5000));
			break;
		}
	}
}

static void count_rows(struct writer *w, const struct pg_counts *c)
{
	for (int t = 0; t < WT_NTABLES; t++)
		metric_add(w->m_rows[t], (double)c->rows[t]);
}

/* Publish a committed message for a chain and forget what it reported. */
static void publish(struct writer *w, struct chain_progress *c)
{
	struct message_committed mc = {
		.chain_id = c->chain_id, .blocks = c->blocks,
		.has_from = c->blocks > 0, .from = c->from,
		.has_to = c->blocks > 0, .to = c->to,
		.has_watermark = c->watermark >= 0,
		.watermark = (uint64_t)c->watermark,
		.time = (uint64_t)clock_wall_ms(),
	};
	struct buf out = BUF_INIT;

	if (!w->pub)
		return;
	snprintf(mc.writer, sizeof(mc.writer), "%s", w->id);
	if (message_committed_build(&out, &mc) == 0 &&
	    msg_send(w->pub, "committed", out.data, out.len) == 0)
		metric_inc(w->m_published);
	buf_release(&out);
	c->blocks = 0;
}

/* After a commit: the watermark of every chain the batch touched, and
 * the committed messages that are due. */
static void after_commit(struct writer *w)
{
	int touched[MAX_CHAINS] = { 0 };

	for (size_t i = 0; i < w->committing.n; i++) {
		const struct wmsg *m = w->committing.msgs[i];
		struct chain_progress *c = chain_progress_get(w, m->chain_id);

		if (!c)
			continue;
		touched[c - w->chains] = 1;
		if (m->kind != WMSG_BLOCK)
			continue;
		if (!c->blocks || m->number < c->from)
			c->from = m->number;
		if (!c->blocks || m->number > c->to)
			c->to = m->number;
		c->blocks++;
	}
	for (size_t i = 0; i < w->nchains; i++) {
		struct chain_progress *c = &w->chains[i];
		int64_t wm;

		if (!touched[i])
			continue;
		if (w->conn && db_advance_watermark(w->conn, c->chain_id,
						    (uint64_t)w->cfg->start,
						    c->watermark, &wm) == DB_OK) {
			c->watermark = wm;
			metric_set(c->m_watermark, (double)wm);
		}
		if (!w->cfg->threshold_blocks ||
		    c->blocks >= (uint64_t)w->cfg->threshold_blocks)
			publish(w, c);
	}
}

/* Commit the batch. When PostgreSQL refuses it as a whole, commit the
 * messages one by one so that only the ones it refuses are lost (each
 * with a log line). 0, or -1 when the writer gave up (stopping). */
static int flush(struct writer *w)
{
	struct pg_counts counts;
	long long t0 = clock_mono_ms();
	enum commit_result r;

	if (!w->committing.n)
		return 0;
	r = commit_range(w, 0, w->committing.n, &counts);
	if (r == COMMIT_GAVE_UP)
		return -1;
	if (r == COMMIT_OK) {
		count_rows(w, &counts);
		metric_inc(w->m_batches);
	} else {
		for (size_t i = 0; i < w->committing.n; i++) {
			const struct wmsg *m = w->committing.msgs[i];

			r = commit_range(w, i, i + 1, &counts);
			if (r == COMMIT_GAVE_UP)
				return -1;
			if (r == COMMIT_OK) {
				count_rows(w, &counts);
				metric_inc(w->m_batches);
				continue;
			}
			metric_inc(w->m_rejected);
			log_at(LOG_ERROR,
			       LOGF(LF_S("type", m->kind == WMSG_BLOCK ? "block"
								      : "reorg"),
				    LF_U("chain_id", m->chain_id),
				    LF_U("height", m->number),
				    LF_U("seq", m->seq)),
			       "message refused by PostgreSQL: skipped");
		}
	}
	metric_observe(w->m_latency, (double)(clock_mono_ms() - t0) / 1000.0);
	log_debug("committed %zu messages in %lld ms", w->committing.n,
		  clock_mono_ms() - t0);
	after_commit(w);
	batch_reset(&w->committing);
	return 0;
}

/* The clean-up looks at every block once when the writer starts and
 * once a day (orphans of a time it was not running), and in between only
 * at the heights of the reorgs recorded in the last two --keep-orphans
 * and ten minutes: every orphan turns old enough within --keep-orphans of
 * its reorg, and the margin covers a verifier's clock that is off. */
#define FULL_CLEANUP_EVERY_MS (24LL * 3600 * 1000)
#define CLEANUP_MARGIN_MS (10LL * 60 * 1000)

static void maybe_clean(struct writer *w)
{
	long long every, deleted, recent = 0, now = clock_mono_ms();

	if (w->cfg->keep_orphans_ms <= 0 || now < w->next_cleanup_ms)
		return;
	every = w->cfg->keep_orphans_ms / 2;
	if (every < 1000)
		every = 1000;
	if (every > 60000)
		every = 60000;
	w->next_cleanup_ms = now + every;
	if (writer_connect(w) < 0)
		return;
	if (w->last_full_cleanup_ms &&
	    now - w->last_full_cleanup_ms < FULL_CLEANUP_EVERY_MS)
		recent = 2 * w->cfg->keep_orphans_ms + CLEANUP_MARGIN_MS;
	switch (pg_clean_orphans(w->conn, w->cfg->keep_orphans_ms, recent,
				 &deleted)) {
	case DB_OK:
		if (!recent)
			w->last_full_cleanup_ms = now;
		if (deleted) {
			metric_add(w->m_orphans, (double)deleted);
			log_info("deleted %lld orphaned blocks", deleted);
		}
		break;
	case DB_CONN:
		writer_disconnect(w);
		break;
	default:
		break;
	}
}

void *committer_main(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->busy) {
			int rc;

			pthread_mutex_unlock(&w->mu);
			rc = flush(w);
			if (rc == 0)
				maybe_clean(w);
			pthread_mutex_lock(&w->mu);
			if (rc < 0)
				w->gave_up = 1;
			w->busy = 0;
			pthread_cond_broadcast(&w->cv);
		} else if (w->quit) {
			break;
		} else {
			struct timespec ts = clock_wall_after(1000);

			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT &&
			    !w->busy && !w->quit) {
				pthread_mutex_unlock(&w->mu);
				maybe_clean(w);
				pthread_mutex_lock(&w->mu);
			}
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void committer_publish_held(struct writer *w)
{
	for (size_t i = 0; i < w->nchains; i++)
		if (w->chains[i].blocks)
			publish(w, &w->chains[i]);
}
