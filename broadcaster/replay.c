/* Clients' replays from the database, on the service thread (replay.h):
 * where each one stands, its page of events, the seam with the live
 * ring, the rate limit. The queries run on the history pool. */
#include "replay.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "clock.h"
#include "events.h"
#include "history.h"
#include "log.h"
#include "metrics.h"
#include "replay_outage.h"
#include "ring.h"
#include "server.h"
#include "banned.h"

/* How often waiting replays are looked at (rate, seam, database). */
#define REPLAY_TICK_US (100 * LWS_US_PER_MS)
/* How long a replay waits before it asks the database again after it
 * found nothing new, the block below the seam missing (writers behind
 * the stream) or a failure. */
#define REPLAY_RETRY_MS 500
/* Pages held at once by all replays (being fetched or being written):
 * what bounds their memory however many clients replay. A client gets
 * its next page in turn. */
#define REPLAY_PAGES_MAX 64
/* The pushes a client that joins the ring at its seam may be behind
 * before the ring drops its event: as many as a live client may lag
 * (--queue-depth), so that joining at the ring's tail (it rolled past
 * the first seam while the client replayed) is not a disconnect at the
 * next event. */
#define SEAM_ROOM(srv) ((size_t)(srv)->cfg->queue_depth)

struct replay {
	struct client *c;
	lws_dll2_t list;            /* in the server's replays */
	struct ring *page;          /* the events the client reads now */
	struct history_job *job;    /* in flight; NULL none */
	int bits;                   /* channels, subscribed once started */
	enum replay_from kind;
	uint64_t since;
	int started;
	uint64_t cursor;  /* the client has (or is being sent) every
			     event up to this seq */
	uint64_t had;     /* the seq it had when it came: orphans held */
	int holds_page;   /* counted in the server's replay_pages */
	int waits_turn;   /* found every page taken: counted in the
			     server's replay_waiting, served first */
	int64_t not_before_ms;
	int at_seam;      /* the page ends at the seam: */
	uint64_t seam_pos, seam_seq; /* the live event to go on from */
};

/* ---- setup -------------------------------------------------------------- */

static void metrics_setup(struct bc_server *srv)
{
	static const struct {
		char kind; /* c counter, g gauge */
		const char *name, *help;
		size_t at; /* offsetof(struct bc_metrics, ...) */
	} table[] = {
		{ 'g', "broadcaster_replays",
		  "clients replaying from the database now",
		  offsetof(struct bc_metrics, replays) },
		{ 'c', "broadcaster_replays_total",
		  "replays from the database begun",
		  offsetof(struct bc_metrics, replays_total) },
		{ 'c', "broadcaster_replay_refused_total",
		  "replays from the database refused (limits, state, database)",
		  offsetof(struct bc_metrics, replay_refused) },
		{ 'c', "broadcaster_replay_blocks_total",
		  "blocks sent to clients from the database",
		  offsetof(struct bc_metrics, replay_blocks) },
		{ 'c', "broadcaster_db_errors_total",
		  "failed connections and queries of the database",
		  offsetof(struct bc_metrics, db_errors) },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct metric **slot = (struct metric **)((char *)&srv->m +
							  table[i].at);

		*slot = table[i].kind == 'g' ?
			metrics_gauge(srv->metrics, table[i].name, table[i].help,
				      NULL) :
			metrics_counter(srv->metrics, table[i].name,
					table[i].help, NULL);
	}
	srv->m.db_seconds = metrics_histogram(srv->metrics,
		"broadcaster_db_query_seconds",
		"time a history worker took for a job (a page or a start)",
		NULL, metrics_latency_bounds, metrics_latency_nbounds);
}

static void on_tick(lws_sorted_usec_list_t *sul);

int replay_setup(struct bc_server *srv)
{
	const struct broadcaster_cfg *cfg = srv->cfg;
	struct history_opts o = { 0 };

	metrics_setup(srv);
	if (!cfg->db)
		return 0;
	o.dsn = cfg->db;
	o.pool = (int)cfg->db_pool;
	o.ctx = srv->ctx;
	o.m = &srv->m;
	if (history_start(&srv->history, &o) < 0)
		return -1;
	lws_sul_schedule(srv->ctx, 0, &srv->replay_tick, on_tick, REPLAY_TICK_US);
	return 0;
}

static void replay_free(struct replay *rp);

void replay_teardown(struct bc_server *srv)
{
	while (srv->replays.head)
		replay_cancel(lws_container_of(srv->replays.head, struct replay,
					       list)->c);
	if (srv->ctx && srv->history)
		lws_sul_cancel(&srv->replay_tick);
	history_stop(&srv->history);
}

/* ---- the seam ----------------------------------------------------------- */

/* The seam's event is still in the ring, with room: a client going on
 * from an event the next push drops would be closed as too slow. */
static int seam_holds(const struct replay *rp)
{
	const struct bc_server *srv = rp->c->srv;
	const struct bc_event *ev = ring_get(srv->ring, rp->seam_pos);

	return ev && ev->seq == rp->seam_seq &&
	       ring_keeps(srv->ring, rp->seam_pos, SEAM_ROOM(srv));
}

static void go_live(struct replay *rp)
{
	struct client *c = rp->c;

	log_at(LOG_DEBUG, LOGF(LF_S("client", c->ip), LF_U("seq", rp->cursor)),
	       "replay from the database caught up: live");
	c->pos = rp->seam_pos;
	c->step = 0;
	c->phase = c->li = c->si = 0;
	c->replay_end = ring_head(c->srv->ring);
	replay_free(rp);
	lws_callback_on_writable(c->wsi);
}

/* ---- pages -------------------------------------------------------------- */

static struct history_job *job_new(struct replay *rp,
				   enum history_job_kind kind)
{
	struct history_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->owner = rp;
	job->kind = kind;
	job->chain_id = rp->c->srv->chain_id;
	return job;
}

static int schedule(struct replay *rp);

/* The replays whose page is written out: each asks for its next, in
 * turn (the tick; and when a page is freed while others wait for one). */
static void serve(struct bc_server *srv, int only_waiting)
{
	lws_start_foreach_dll_safe(struct lws_dll2 *, d, nx,
				   lws_dll2_get_head(&srv->replays)) {
		struct replay *rp = lws_container_of(d, struct replay, list);

		if ((!only_waiting || rp->waits_turn) &&
		    rp->c->pos >= ring_head(rp->page))
			schedule(rp);
		if (only_waiting && srv->replay_pages >= REPLAY_PAGES_MAX)
			break;
	} lws_end_foreach_dll_safe(d, nx);
}

/* Ask for the next page, go live, or wait. 1 when the client went live. */
static int schedule(struct replay *rp)
{
	struct bc_server *srv = rp->c->srv;
	const struct bc_event *ev = NULL;
	struct history_job *job;
	uint64_t pos;

	if (rp->job || !rp->started)
		return 0;
	if (rp->at_seam) {
		if (seam_holds(rp)) {
			go_live(rp);
			return 1;
		}
		rp->at_seam = 0; /* it left the ring: read on to the next */
	}
	/* The page is written out: its events are not kept while the next
	 * one is fetched, and its turn goes to another client. */
	ring_clear(rp->page);
	if (rp->holds_page) {
		rp->holds_page = 0;
		srv->replay_pages--;
	}
	if (clock_mono_ms() < rp->not_before_ms)
		return 0;
	if (srv->replay_pages >= REPLAY_PAGES_MAX ||
	    (!rp->waits_turn && srv->replay_waiting)) {
		if (!rp->waits_turn) {
			rp->waits_turn = 1;
			srv->replay_waiting++;
		}
		return 0;
	}
	if (rp->waits_turn) {
		rp->waits_turn = 0;
		srv->replay_waiting--;
	}
	job = job_new(rp, HJ_PAGE);
	if (!job)
		return 0;
	job->after = rp->cursor;
	job->had = rp->had;
	job->limit = (size_t)srv->cfg->replay_page;
	/* The seam: the oldest live block or reorg newer than the cursor
	 * (gaps carry no seq) that leaves the client room in the ring; the
	 * database gives it those before. */
	pos = ring_find_seq_room(srv->ring, rp->cursor, SEAM_ROOM(srv));
	if (pos < ring_head(srv->ring)) {
		ev = ring_get(srv->ring, pos);
		job->before = ev->seq;
		job->check_height = ev->height > 0;
		job->check = ev->height - 1;
		rp->seam_pos = pos;
		rp->seam_seq = ev->seq;
	}
	rp->job = job;
	rp->holds_page = 1;
	srv->replay_pages++;
	/* The tick serves the others first next time. */
	lws_dll2_remove(&rp->list);
	lws_dll2_add_tail(&rp->list, &srv->replays);
	history_submit(srv->history, job);
	return 0;
}

static void page_done(struct replay *rp, struct history_job *job)
{
	const struct broadcaster_cfg *cfg = rp->c->srv->cfg;
	uint64_t top = rp->cursor;
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < job->nevs; i++) {
		if (job->evs[i]->seq > top)
			top = job->evs[i]->seq;
		ring_push(rp->page, job->evs[i]);
	}
	job->nevs = 0;
	metric_add(rp->c->srv->m.replay_blocks, (double)job->nblocks);
	rp->not_before_ms = now;
	if (cfg->replay_rate > 0)
		rp->not_before_ms += (int64_t)job->nblocks * 1000 /
				     cfg->replay_rate;
	if (!job->exhausted) {
		rp->cursor = job->last_seq;
	} else if (job->before && job->check_ok && !job->held_back) {
		rp->cursor = job->before - 1;
		rp->at_seam = 1;
	} else {
		/* Nothing newer yet, the writers are behind the stream, or a
		 * reorg's new block is not in yet. */
		rp->cursor = top;
		if (rp->not_before_ms < now + REPLAY_RETRY_MS)
			rp->not_before_ms = now + REPLAY_RETRY_MS;
	}
	lws_callback_on_writable(rp->c->wsi);
}

/* A job the database failed: counted by the workers, logged as the
 * outage it is part of (replay_outage.h), not once a client a retry. */
static void db_failed(struct bc_server *srv, const struct history_job *job)
{
	uint64_t n;

	if (replay_outage_failed(&srv->replay_outage, clock_mono_ms(), &n))
		log_at(LOG_WARN, LOGF(LF_S("error", job->err), LF_U("failures", n),
				      LF_U("replays", srv->replays.count)),
		       "replays from the database failing: pages retried every "
		       "%d ms, the clients wait (a warning a minute at most)",
		       REPLAY_RETRY_MS);
}

static void db_answered(struct bc_server *srv)
{
	uint64_t n;
	int64_t ms;

	if (replay_outage_ok(&srv->replay_outage, clock_mono_ms(), &n, &ms))
		log_at(LOG_INFO, LOGF(LF_U("failures", n), LF_I("ms", ms)),
		       "replays from the database go on: the database answers "
		       "again");
}

static void start_done(struct replay *rp, struct history_job *job)
{
	struct client *c = rp->c;
	int by_seq = rp->kind == REPLAY_SINCE_SEQ;
	uint64_t since = rp->since;

	if (job->status != HS_OK) {
		metric_inc(c->srv->m.replay_refused);
		c->pos = ring_head(c->srv->ring);
		replay_free(rp);
		if (c->mode == CM_CHAN) {
			if (job->status == HS_FAILED)
				chan_error(c, "cannot replay since %s%" PRIu64
					   ": %s", by_seq ? "seq " : "", since,
					   job->err);
			else
				chan_error(c, "%s", job->err);
			return;
		}
		/* eth: the subscription id is out already; closing is
		 * what the client can see (and it reconnects). */
		log_at(job->status == HS_FAILED ? LOG_DEBUG : LOG_WARN,
		       LOGF(LF_S("client", c->ip), LF_S("error", job->err)),
		       "replay from the database refused: closing");
		client_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			     "replay from the database failed", DR_REPLAY);
		return;
	}
	rp->started = 1;
	rp->cursor = rp->had = job->resume_seq;
	metric_inc(c->srv->m.replays_total);
	if (c->mode == CM_CHAN)
		chan_subscribed(c, rp->bits, by_seq ? "replay_from_seq" :
				"replay_from", since);
	schedule(rp);
}

static void job_done(struct replay *rp, struct history_job *job)
{
	struct bc_server *srv = rp->c->srv;

	rp->job = NULL;
	if (job->status == HS_FAILED)
		db_failed(srv, job);
	else
		db_answered(srv);
	if (job->kind == HJ_START) {
		start_done(rp, job);
		return;
	}
	if (job->status != HS_OK) {
		log_at(LOG_DEBUG, LOGF(LF_S("client", rp->c->ip),
				       LF_S("error", job->err)),
		       "replay page failed: trying again");
		rp->at_seam = 0;
		rp->not_before_ms = clock_mono_ms() + REPLAY_RETRY_MS;
		return;
	}
	page_done(rp, job);
}

void replay_take(struct bc_server *srv)
{
	struct history_job *job;

	if (!srv->history)
		return;
	job = history_take(srv->history);
	while (job) {
		struct history_job *nx = job->next;

		if (job->owner)
			job_done(job->owner, job);
		history_job_free(job);
		job = nx;
	}
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
	struct bc_server *srv = lws_container_of(sul, struct bc_server,
						 replay_tick);

	serve(srv, 0);
	lws_sul_schedule(srv->ctx, 0, &srv->replay_tick, on_tick,
			 REPLAY_TICK_US);
}

/* ---- the client's side -------------------------------------------------- */

int replay_begin(struct client *c, int bits, enum replay_from kind,
		 uint64_t since, char *why, size_t whylen)
{
	struct bc_server *srv = c->srv;
	struct replay *rp;
	struct history_job *job;

	if (!srv->history) {
		snprintf(why, whylen, "no database to replay from (--db)");
		goto refused;
	}
	if (c->replay) {
		snprintf(why, whylen, "a replay is in progress");
		goto refused;
	}
	if (!srv->chain_id) {
		snprintf(why, whylen, "the chain is not known yet (no message "
			 "from the verifier, no --chain-id)");
		goto refused;
	}
	if (kind == REPLAY_SINCE_HEIGHT && srv->have_tip && since <= srv->tip &&
	    srv->tip + 1 - since > (uint64_t)srv->cfg->replay_max_blocks) {
		snprintf(why, whylen, "more than %lld blocks below the tip (%"
			 PRIu64 ")", srv->cfg->replay_max_blocks, srv->tip);
		goto refused;
	}
	rp = calloc(1, sizeof(*rp));
	if (rp) {
		rp->c = c;
		rp->page = ring_new((size_t)srv->cfg->replay_page +
				    HISTORY_PAGE_REORGS + 1);
	}
	job = rp && rp->page ? job_new(rp, HJ_START) : NULL;
	if (!job) {
		if (rp)
			ring_destroy(&rp->page);
		free(rp);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rp->bits = bits;
	rp->kind = kind;
	rp->since = since;
	job->by_height = kind == REPLAY_SINCE_HEIGHT;
	job->since = since;
	job->max_blocks = srv->cfg->replay_max_blocks;
	lws_dll2_add_tail(&rp->list, &srv->replays);
	c->replay = rp;
	c->pos = 0;
	c->step = 0;
	metric_add(srv->m.replays, 1);
	rp->job = job;
	history_submit(srv->history, job);
	return 0;
refused:
	metric_inc(srv->m.replay_refused);
	return -1;
}

static void replay_free(struct replay *rp)
{
	struct bc_server *srv = rp->c->srv;

	if (rp->job)
		rp->job->owner = NULL; /* freed when it comes back */
	lws_dll2_remove(&rp->list);
	if (rp->holds_page)
		srv->replay_pages--;
	if (rp->waits_turn)
		srv->replay_waiting--;
	metric_add(srv->m.replays, -1);
	rp->c->replay = NULL;
	ring_destroy(&rp->page);
	free(rp);
}

void replay_cancel(struct client *c)
{
	if (c->replay)
		replay_free(c->replay);
}

struct ring *replay_ring(const struct client *c)
{
	return c->replay ? c->replay->page : c->srv->ring;
}

int replay_drained(struct client *c)
{
	struct bc_server *srv = c->srv;
	int live;

	if (!c->replay)
		return 0;
	live = schedule(c->replay);
	/* A page freed while others wait for one: theirs now, not at the
	 * next tick. */
	if (srv->replay_waiting && srv->replay_pages < REPLAY_PAGES_MAX)
		serve(srv, 1);
	return live;
}
