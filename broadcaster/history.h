/* The history pool: a few threads, each with its own PostgreSQL
 * connection, that answer replays from the database (docs/broadcaster.md
 * "Resume from the database") so that no query ever runs on the
 * WebSocket service thread.
 *
 * The service thread submits a job (history_submit) and goes on; a worker
 * runs its queries, builds the page's events (the same frames as the live
 * ones: events_build() over messages made from the rows) and hands the job
 * back, waking the service loop with lws_cancel_service(); the service
 * thread collects finished jobs with history_take(). A job belongs to the
 * pool from submit to take, then to the caller (history_job_free). */
#ifndef BC_HISTORY_H
#define BC_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct bc_event;
struct bc_metrics;
struct lws_context;

/* The blocks a replay page holds at most (--replay-page). A page is
 * the unit of back-pressure: the next is asked for only when the client
 * has been written the last. */
#define HISTORY_PAGE_MAX 1000
/* The most workers (and connections) a pool has (--db-pool). */
#define HISTORY_POOL_MAX 64
/* Reorgs a page holds at most (a page stops at the last one). */
#define HISTORY_PAGE_REORGS 64

enum history_job_kind {
	HJ_START, /* resolve where the client resumes, check the range */
	HJ_PAGE,  /* the next page of events after a seq */
};

enum history_status {
	HS_OK,
	HS_REFUSED, /* the request is outside the limits: err says why */
	HS_FAILED,  /* the database failed: err says what (logged) */
};

struct history_job {
	struct history_job *next;
	void *owner; /* the service thread's; NULL once the owner left */
	enum history_job_kind kind;
	uint64_t chain_id;

	/* HJ_START: in */
	int by_height;      /* since a height, else since a seq */
	uint64_t since;     /* the height or the seq */
	long long max_blocks;
	/* HJ_START: out */
	uint64_t resume_seq; /* the client had every message up to it */

	/* HJ_PAGE: in */
	uint64_t after;     /* rows with a seq above it */
	uint64_t before;    /* ... and below it; 0: no bound */
	uint64_t had;       /* the client's seq: which orphans it held */
	size_t limit;       /* blocks at most */
	int check_height;   /* when exhausted, is height `check` in? */
	uint64_t check;
	/* HJ_PAGE: out */
	struct bc_event **evs; /* in seq order; the job owns them */
	size_t nevs;
	size_t nblocks;        /* block events among them */
	uint64_t last_seq;     /* the highest seq the page covers */
	int exhausted;         /* nothing more below `before` */
	int held_back;         /* `before` was lowered to a tombstone's seq:
				  a reorg's new block not written yet */
	int check_ok;          /* the height checked has its block */

	enum history_status status;
	char err[256];
};

struct history_opts {
	const char *dsn;
	int pool; /* threads and connections */
	struct lws_context *ctx;
	struct bc_metrics *m;
};

struct history;

/* Start the workers; they connect lazily (and again after a failure).
 * 0, or -1 with a log line. */
int history_start(struct history **out, const struct history_opts *o);
/* Stop the workers, free every job still held. Sets *h to NULL. */
void history_stop(struct history **h);

/* Queue a job (the pool takes it). */
void history_submit(struct history *h, struct history_job *job);
/* The finished jobs, a list through next, oldest first (the caller
 * takes them). */
struct history_job *history_take(struct history *h);
/* Free a job and the events it still holds. */
void history_job_free(struct history_job *job);

/* history_sql.c: run a job on a connection (what a worker does), with
 * the pages recently asked for (cache; NULL none). HS_FAILED leaves the
 * connection to be checked (PQstatus) by the caller. */
struct history_cache;
void history_run(PGconn *conn, struct history_cache *cache,
		 struct history_job *job);

#endif
