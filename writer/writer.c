#include "writer.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "clock.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "message.h"
#include "metrics.h"
#include "msg.h"
#include "notify.h"
#include "pg.h"
#include "sig.h"
#include "banned.h"

#define MAX_CHAINS 64
/* Consecutive failures of one batch before the log turns to errors. */
#define LOUD_AFTER 5
/* How long a stopping writer keeps trying to commit what it holds. */
#define STOP_GRACE_MS 5000

/* A chain's progress as this writer knows it: its watermark, and what
 * it has committed since it last published a committed message. */
struct chain_progress {
	uint64_t chain_id;
	int64_t watermark; /* -1: unknown */
	uint64_t blocks;   /* block messages committed, not yet published */
	uint64_t from, to;
	struct metric *m_watermark;
};

/* Two threads: the main thread reads and decodes into `batch`; the
 * committer thread commits `committing` and owns the connection, the
 * chains and the clean-up. The main thread hands a full batch over only
 * when the committer is idle, so at most two batches are held and reading
 * stops while a commit waits for PostgreSQL (back-pressure). */
struct writer {
	const struct writer_cfg *cfg;
	struct decode_opts decode_opts;
	struct batch batch;      /* main thread */
	struct batch committing; /* committer thread, while busy */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy, quit, gave_up; /* under mu */
	atomic_int db_up;        /* /ready: connected to PostgreSQL */
	PGconn *conn;
	int ever_connected;
	struct msg_io *in, *pub;
	struct metrics *metrics;
	char id[160];
	long long batch_started_ms;
	long long next_cleanup_ms;
	long long stop_deadline_ms; /* 0 until stopping */
	unsigned long long nread;   /* messages read, for log lines */
	unsigned long long unsequenced;
	struct chain_progress chains[MAX_CHAINS];
	size_t nchains;

	struct metric *m_rows[WT_NTABLES];
	struct metric *m_batches, *m_latency, *m_reconnects, *m_failures;
	struct metric *m_retry_deadlock, *m_retry_serial, *m_retry_other;
	struct metric *m_malformed, *m_unsequenced, *m_ignored, *m_rejected;
	struct metric *m_duplicate;
	struct metric *m_orphans, *m_published;
};

static void setup_metrics(struct writer *w)
{
	struct metrics *m = w->metrics;
	char labels[64];

	for (int t = 0; t < WT_NTABLES; t++) {
		snprintf(labels, sizeof(labels), "table=\"%s\"",
			 wt_name((enum wt)t));
		w->m_rows[t] = metrics_counter(m, "writer_rows_total",
			"rows written (conflicts excluded), by table", labels);
	}
	w->m_batches = metrics_counter(m, "writer_batches_total",
				       "transactions committed", NULL);
	w->m_latency = metrics_histogram(m, "writer_batch_seconds",
		"time to commit a batch, retries included", NULL,
		metrics_latency_bounds, metrics_latency_nbounds);
	w->m_reconnects = metrics_counter(m, "writer_reconnects_total",
		"connections to PostgreSQL made again after a loss", NULL);
	w->m_failures = metrics_counter(m, "writer_db_failures_total",
		"attempts to commit that failed on the connection", NULL);
	w->m_retry_deadlock = metrics_counter(m, "writer_retries_total",
		"transactions retried", "reason=\"deadlock\"");
	w->m_retry_serial = metrics_counter(m, "writer_retries_total",
		"transactions retried", "reason=\"serialization\"");
	w->m_retry_other = metrics_counter(m, "writer_retries_total",
		"transactions retried", "reason=\"lock\"");
	w->m_malformed = metrics_counter(m, "writer_malformed_total",
		"messages refused as malformed", NULL);
	w->m_duplicate = metrics_counter(m, "writer_duplicate_key_total",
		"malformed messages refused because an object repeats a key",
		NULL);
	w->m_unsequenced = metrics_counter(m, "writer_unsequenced_total",
		"messages refused for lack of seq", NULL);
	w->m_ignored = metrics_counter(m, "writer_ignored_total",
		"heartbeats and messages of other types", NULL);
	w->m_rejected = metrics_counter(m, "writer_rejected_total",
		"messages PostgreSQL refused (logged, skipped)", NULL);
	w->m_orphans = metrics_counter(m, "writer_orphans_deleted_total",
		"orphaned blocks deleted by --keep-orphans", NULL);
	w->m_published = metrics_counter(m, "writer_committed_published_total",
		"committed messages published", NULL);
}

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

static void disconnect(struct writer *w)
{
	atomic_store(&w->db_up, 0);
	if (w->conn) {
		PQfinish(w->conn);
		w->conn = NULL;
	}
}

/* /ready: 200 while the writer holds a working connection. */
static int db_ready(void *arg)
{
	struct writer *w = arg;

	return atomic_load(&w->db_up);
}

/* Connect, apply the schema, prepare the session. 0 or -1 (logged). */
static int connect_db(struct writer *w)
{
	if (w->conn)
		return 0;
	w->conn = db_connect(w->cfg->db);
	if (!w->conn)
		return -1;
	if (db_apply_schema(w->conn) < 0 || pg_session_init(w->conn) != DB_OK) {
		disconnect(w);
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

/* Back-off before attempt n (1, 2, ...): 100 ms doubling to 5 s. */
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
		if (connect_db(w) < 0) {
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
			disconnect(w);
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

static void handle(struct writer *w, const struct msg *m)
{
	char type[32], why[512];
	enum decode_result r;

	w->nread++;
	r = batch_add(&w->batch, &w->decode_opts, m->data, m->len, type, sizeof(type),
		      why, sizeof(why));
	switch (r) {
	case DECODE_ADDED:
		if (w->batch.n == 1)
			w->batch_started_ms = clock_mono_ms();
		break;
	case DECODE_IGNORED:
		metric_inc(w->m_ignored);
		break;
	case DECODE_DUPLICATE:
		metric_inc(w->m_duplicate);
		__attribute__((fallthrough)); /* malformed too */
	case DECODE_MALFORMED:
		metric_inc(w->m_malformed);
		log_at(LOG_WARN, LOGF(LF_U("message", w->nread),
				      LF_S("type", type), LF_S("error", why)),
		       "malformed message skipped");
		break;
	case DECODE_UNSEQUENCED:
		metric_inc(w->m_unsequenced);
		/* A fetcher piped straight in would flood the log. */
		if (++w->unsequenced <= 10 || w->unsequenced % 1000 == 0)
			log_at(LOG_WARN, LOGF(LF_U("message", w->nread),
					      LF_S("type", type),
					      LF_U("count", w->unsequenced),
					      LF_S("error", why)),
			       "message without seq skipped");
		break;
	}
}

static void maybe_clean(struct writer *w)
{
	long long every, deleted;

	if (w->cfg->keep_orphans_ms <= 0 || clock_mono_ms() < w->next_cleanup_ms)
		return;
	every = w->cfg->keep_orphans_ms / 2;
	if (every < 1000)
		every = 1000;
	if (every > 60000)
		every = 60000;
	w->next_cleanup_ms = clock_mono_ms() + every;
	if (connect_db(w) < 0)
		return;
	switch (pg_clean_orphans(w->conn, w->cfg->keep_orphans_ms, &deleted)) {
	case DB_OK:
		if (deleted) {
			metric_add(w->m_orphans, (double)deleted);
			log_info("deleted %lld orphaned blocks", deleted);
		}
		break;
	case DB_CONN:
		disconnect(w);
		break;
	default:
		break;
	}
}

static void *committer(void *arg)
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

/* Wait for the committer to be idle (reading nothing meanwhile), then
 * give it the batch. 0, or -1 when the committer gave up. */
/* Is the committer waiting for work? */
static int committer_idle(struct writer *w)
{
	int idle;

	pthread_mutex_lock(&w->mu);
	idle = !w->busy;
	pthread_mutex_unlock(&w->mu);
	return idle;
}

/* With w->mu held: wait for the committer a second at a time, feeding
 * systemd's watchdog: a committer retrying a PostgreSQL that is down is
 * not a hung writer. */
static void wait_committer(struct writer *w)
{
	struct timespec ts = clock_wall_after(1000);

	pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	notify_watchdog();
}

static int hand_over(struct writer *w)
{
	struct batch empty;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	while (w->busy)
		wait_committer(w);
	if (w->gave_up) {
		rc = -1;
	} else if (w->batch.n) {
		/* Swap: the committer's emptied batch keeps its storage. */
		empty = w->committing;
		w->committing = w->batch;
		w->batch = empty;
		w->busy = 1;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Hand over what is left, wait for it, stop the committer. */
static int drain(struct writer *w, pthread_t th)
{
	int rc = hand_over(w);

	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->gave_up)
		rc = -1;
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(th, NULL);
	return rc;
}

static int init_schema(const struct writer_cfg *cfg)
{
	PGconn *c = db_connect(cfg->db);
	int rc;

	if (!c)
		return 1;
	rc = db_apply_schema(c) < 0 ? 1 : 0;
	PQfinish(c);
	return rc;
}

int writer_run(const struct writer_cfg *cfg)
{
	struct writer w = { .cfg = cfg, .batch = BATCH_INIT,
			    .committing = BATCH_INIT };
	struct msg_opts mo = MSG_OPTS_INIT;
	unsigned attempts = 0;
	int rc = 0, eof = 0, started = 0;
	pthread_t th;

	if (cfg->init_schema)
		return init_schema(cfg);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.decode_opts.allow_unsequenced = cfg->allow_unsequenced;
	w.decode_opts.max_reorg_range = (uint64_t)cfg->max_reorg_range;
	if (cfg->id) {
		snprintf(w.id, sizeof(w.id), "%s", cfg->id);
	} else {
		char host[128] = "localhost";

		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		snprintf(w.id, sizeof(w.id), "%s:%ld", host, (long)getpid());
	}
	srand((unsigned)getpid() ^ (unsigned)clock_mono_ms());
	w.metrics = metrics_new("writer");
	if (!w.metrics)
		return log_error("out of memory"), 1;
	setup_metrics(&w);
	metrics_set_ready(w.metrics, db_ready, &w);
	if (cfg->metrics_addr && metrics_serve(w.metrics, cfg->metrics_addr) < 0) {
		rc = 1;
		goto out;
	}

	/* The schema first: readers (the verifier's resume) need it even
	 * before the first message. */
	while (connect_db(&w) < 0) {
		if (sig_stopping()) {
			rc = 1;
			goto out;
		}
		attempts++;
		if (attempts >= LOUD_AFTER && attempts % LOUD_AFTER == 0)
			log_error("PostgreSQL still unavailable after %u attempts",
				  attempts);
		clock_sleep_ms(clock_backoff_ms((int)attempts, 100, 5000));
	}

	mo.kind = MSG_IN;
	mo.endpoint = cfg->in;
	mo.stop = sig_flag();
	if (cfg->hwm > 0)
		mo.hwm = (int)cfg->hwm;
	w.in = msg_open(&mo);
	if (!w.in) {
		rc = 1;
		goto out;
	}
	if (cfg->pub) {
		struct msg_opts po = MSG_OPTS_INIT;

		po.kind = MSG_PUB;
		po.endpoint = cfg->pub;
		po.stop = sig_flag();
		w.pub = msg_open(&po);
		if (!w.pub) {
			rc = 1;
			goto out;
		}
	}
	if (pthread_create(&th, NULL, committer, &w) != 0) {
		log_error("cannot start the committer thread");
		rc = 1;
		goto out;
	}
	started = 1;
	log_info("writer %s reading %s", w.id, cfg->in);

	/* Group commit: while the committer works, messages gather (up to
	 * --batch, or --flush-interval of waiting); when it is idle and the
	 * input pauses, what is held is committed at once, so a block at the
	 * tip reaches PostgreSQL without waiting for the interval. */
	while (!sig_stopping()) {
		struct msg m;
		int timeout = 1000, r, idle_committer = 0;

		notify_loop(db_ready(&w));
		if (w.batch.n) {
			long long left = w.batch_started_ms +
					 cfg->flush_interval_ms - clock_mono_ms();

			idle_committer = committer_idle(&w);
			timeout = left > 0 ? (int)(left < 5 ? left : 5) : 0;
			if (idle_committer)
				timeout = 0;
		}
		r = msg_recv(w.in, &m, timeout);
		if (r < 0) {
			eof = 1;
			break;
		}
		if (r == 1)
			handle(&w, &m);
		if (w.batch.n &&
		    (w.batch.n >= (size_t)cfg->batch ||
		     (r == 0 && idle_committer) ||
		     clock_mono_ms() - w.batch_started_ms >= cfg->flush_interval_ms) &&
		    hand_over(&w) < 0) {
			rc = 1;
			break;
		}
	}
	notify_stopping();
	if (drain(&w, th) < 0)
		rc = 1;
	started = 0;
	/* What a threshold held back is reported before leaving. */
	for (size_t i = 0; i < w.nchains; i++)
		if (w.chains[i].blocks)
			publish(&w, &w.chains[i]);
	log_info("writer stopping (%s): %llu messages read",
		 eof ? "end of input" : "signal", w.nread);
out:
	if (started)
		drain(&w, th);
	if (w.in && msg_close(&w.in) < 0)
		rc = 1;
	if (w.pub)
		msg_close(&w.pub);
	disconnect(&w);
	batch_release(&w.batch);
	batch_release(&w.committing);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	metrics_destroy(&w.metrics);
	return rc;
}
