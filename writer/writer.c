#include "writer.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "committer.h"
#include "context.h"
#include "db.h"
#include "log.h"
#include "notify.h"
#include "sig.h"
#include "banned.h"

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

/* /ready: 200 while the writer holds a working connection. */
static int db_ready(void *arg)
{
	struct writer *w = arg;

	return atomic_load(&w->db_up);
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

/* Wait for the committer to be idle (reading nothing meanwhile), then
 * give it the batch. 0, or -1 when the committer gave up. */
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

/* The writer's name in committed messages: --id, or host:pid. */
static void set_id(struct writer *w)
{
	char host[128] = "localhost";

	if (w->cfg->id) {
		snprintf(w->id, sizeof(w->id), "%s", w->cfg->id);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(w->id, sizeof(w->id), "%s:%ld", host, (long)getpid());
}

/* Everything but the connection and the sockets. 0, or -1 (logged). */
static int writer_init(struct writer *w)
{
	const struct writer_cfg *cfg = w->cfg;

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->decode_opts.allow_unsequenced = cfg->allow_unsequenced;
	w->decode_opts.max_reorg_range = (uint64_t)cfg->max_reorg_range;
	set_id(w);
	srand((unsigned)getpid() ^ (unsigned)clock_mono_ms());
	w->metrics = metrics_new("writer");
	if (!w->metrics)
		return log_error("out of memory");
	setup_metrics(w);
	metrics_set_ready(w->metrics, db_ready, w);
	if (cfg->metrics_addr && metrics_serve(w->metrics, cfg->metrics_addr) < 0)
		return -1;
	return 0;
}

/* The schema first: readers (the verifier's resume) need it even before
 * the first message. 0, or -1 when a signal came first. */
static int wait_for_db(struct writer *w)
{
	unsigned attempts = 0;

	while (writer_connect(w) < 0) {
		if (sig_stopping())
			return -1;
		attempts++;
		if (attempts >= LOUD_AFTER && attempts % LOUD_AFTER == 0)
			log_error("PostgreSQL still unavailable after %u attempts",
				  attempts);
		clock_sleep_ms(clock_backoff_ms((int)attempts, 100, 5000));
	}
	return 0;
}

/* The input and, with --pub, the PUB socket. 0, or -1 (logged). */
static int open_sockets(struct writer *w)
{
	struct msg_opts mo = MSG_OPTS_INIT;

	mo.kind = MSG_IN;
	mo.endpoint = w->cfg->in;
	mo.stop = sig_flag();
	if (w->cfg->hwm > 0)
		mo.hwm = (int)w->cfg->hwm;
	w->in = msg_open(&mo);
	if (!w->in)
		return -1;
	msg_set_metrics(w->in, w->metrics, "in");
	if (w->cfg->pub) {
		struct msg_opts po = MSG_OPTS_INIT;

		po.kind = MSG_PUB;
		po.endpoint = w->cfg->pub;
		po.stop = sig_flag();
		w->pub = msg_open(&po);
		if (!w->pub)
			return -1;
		msg_set_metrics(w->pub, w->metrics, "pub");
	}
	return 0;
}

/* A reorg waits for the tip of its new branch, so that one transaction
 * takes the database from the old branch to the new one, unless the
 * input has gone quiet (the branch went to another writer, or is not
 * coming). */
static int holding_reorg(const struct writer *w)
{
	return w->batch.awaits_branch &&
	       clock_mono_ms() - w->last_read_ms < BRANCH_QUIET_MS;
}

/* Is what the batch holds waited for by someone: a block at the tip
 * (live), or a reorg? A backfill's blocks are not: they gather into
 * fewer, larger commits (PostgreSQL's cost of a commit, and of the
 * watermark after it, is shared by more blocks). */
static int batch_urgent(const struct batch *b)
{
	return b->nlive || b->nreorgs;
}

/* Group commit: while the committer works, messages gather (up to
 * --batch, or --flush-interval of waiting); when it is idle and the input
 * pauses, a batch holding a block at the tip or a reorg is committed at
 * once, so that block reaches PostgreSQL without waiting for the
 * interval. Returns 1 at the end of the input, 0 on a signal, -1 when the
 * committer gave up. */
static int read_loop(struct writer *w)
{
	const struct writer_cfg *cfg = w->cfg;

	while (!sig_stopping()) {
		struct msg m;
		int timeout = 1000, r, commit_now = 0;

		notify_loop(db_ready(w));
		if (w->batch.n) {
			long long left = w->batch_started_ms +
					 cfg->flush_interval_ms - clock_mono_ms();

			commit_now = batch_urgent(&w->batch) &&
				     committer_idle(w) && !holding_reorg(w);
			timeout = left > 0 ? (int)(left < 5 ? left : 5) : 0;
			if (commit_now)
				timeout = 0;
		}
		r = msg_recv(w->in, &m, timeout);
		if (r < 0)
			return 1;
		if (r == 1) {
			w->last_read_ms = clock_mono_ms();
			handle(w, &m);
		}
		if (w->batch.n &&
		    (w->batch.n >= (size_t)cfg->batch || (r == 0 && commit_now) ||
		     clock_mono_ms() - w->batch_started_ms >= cfg->flush_interval_ms) &&
		    hand_over(w) < 0)
			return -1;
	}
	return 0;
}

/* Free what writer_init() and the run built. */
static void writer_release(struct writer *w)
{
	writer_disconnect(w);
	batch_release(&w->batch);
	batch_release(&w->committing);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	metrics_destroy(&w->metrics);
}

int writer_run(const struct writer_cfg *cfg)
{
	struct writer w = { .cfg = cfg, .batch = BATCH_INIT,
			    .committing = BATCH_INIT };
	int rc = 0, r;
	pthread_t th;

	if (cfg->init_schema)
		return init_schema(cfg);
	if (writer_init(&w) < 0 || wait_for_db(&w) < 0 ||
	    open_sockets(&w) < 0) {
		rc = 1;
		goto out;
	}
	if (pthread_create(&th, NULL, committer_main, &w) != 0) {
		log_error("cannot start the committer thread");
		rc = 1;
		goto out;
	}
	log_info("writer %s reading %s", w.id, cfg->in);
	r = read_loop(&w);
	notify_stopping();
	if (drain(&w, th) < 0 || r < 0)
		rc = 1;
	/* What a threshold held back is reported before leaving. */
	committer_publish_held(&w);
	log_info("writer stopping (%s): %llu messages read",
		 r > 0 ? "end of input" : "signal", w.nread);
out:
	if (w.in && msg_close(&w.in) < 0)
		rc = 1;
	if (w.pub)
		msg_close(&w.pub);
	writer_release(&w);
	return rc;
}
