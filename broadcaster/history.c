/* The history pool: worker threads with a PostgreSQL connection each, a
 * queue of jobs in and a queue of finished jobs out (history.h). */
#include "history.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "clock.h"
#include "db.h"
#include "events.h"
#include "history_cache.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "banned.h"

/* How long a worker waits before it connects again after a failure. */
#define HISTORY_RECONNECT_MS 1000

struct history {
	struct history_opts o;
	struct history_cache *cache; /* pages shared by the workers */
	pthread_t threads[HISTORY_POOL_MAX];
	int nthreads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct history_job *todo, *todo_tail;
	struct history_job *done, *done_tail;
	volatile sig_atomic_t stop;
};

static void push(struct history_job **head, struct history_job **tail,
		 struct history_job *job)
{
	job->next = NULL;
	if (*tail)
		(*tail)->next = job;
	else
		*head = job;
	*tail = job;
}

void history_job_free(struct history_job *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < job->nevs; i++)
		ev_free(job->evs[i]);
	free(job->evs);
	free(job);
}

static struct history_job *next_job(struct history *h)
{
	struct history_job *job = NULL;

	pthread_mutex_lock(&h->lock);
	while (!h->stop && !h->todo) {
		struct timespec ts = clock_wall_after(500);

		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	if (!h->stop && h->todo) {
		job = h->todo;
		h->todo = job->next;
		if (!h->todo)
			h->todo_tail = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	return job;
}

static void finish(struct history *h, struct history_job *job)
{
	pthread_mutex_lock(&h->lock);
	push(&h->done, &h->done_tail, job);
	pthread_mutex_unlock(&h->lock);
	lws_cancel_service(h->o.ctx);
}

/* A connection that works, or NULL after a failed attempt (the job then
 * fails, and the next one tries again). */
static PGconn *ensure_conn(struct history *h, PGconn **conn,
			   int64_t *next_try_ms)
{
	if (*conn && PQstatus(*conn) == CONNECTION_OK)
		return *conn;
	if (*conn) {
		PQfinish(*conn);
		*conn = NULL;
	}
	if (clock_mono_ms() < *next_try_ms)
		return NULL;
	*conn = db_connect(h->o.dsn);
	if (!*conn)
		*next_try_ms = clock_mono_ms() + HISTORY_RECONNECT_MS;
	return *conn;
}

static void *worker_main(void *arg)
{
	struct history *h = arg;
	PGconn *conn = NULL;
	int64_t next_try_ms = 0;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		struct history_job *job = next_job(h);
		int64_t t0;

		if (!job)
			break;
		t0 = clock_mono_ms();
		if (!ensure_conn(h, &conn, &next_try_ms)) {
			job->status = HS_FAILED;
			snprintf(job->err, sizeof(job->err),
				 "the database is not reachable");
		} else {
			history_run(conn, h->cache, job);
		}
		/* Every job failed is counted, also one that found the
		 * connection not tried again yet: the log says little of
		 * an outage (replay_outage.h), the counter all of it. */
		if (job->status == HS_FAILED)
			metric_inc(h->o.m->db_errors);
		metric_observe(h->o.m->db_seconds,
			       (double)(clock_mono_ms() - t0) / 1000);
		finish(h, job);
	}
	if (conn)
		PQfinish(conn);
	return NULL;
}

int history_start(struct history **out, const struct history_opts *o)
{
	struct history *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return log_error("out of memory");
	h->o = *o;
	h->cache = history_cache_new();
	if (!h->cache) {
		free(h);
		return log_error("out of memory");
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	for (int i = 0; i < o->pool && i < HISTORY_POOL_MAX; i++) {
		if (pthread_create(&h->threads[i], NULL, worker_main, h) != 0) {
			history_stop(&h);
			return log_error("cannot start a history worker");
		}
		h->nthreads++;
	}
	*out = h;
	return 0;
}

static void free_list(struct history_job *job)
{
	while (job) {
		struct history_job *nx = job->next;

		history_job_free(job);
		job = nx;
	}
}

void history_stop(struct history **hp)
{
	struct history *h = *hp;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	free_list(h->todo);
	free_list(h->done);
	history_cache_free(&h->cache);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
	*hp = NULL;
}

void history_submit(struct history *h, struct history_job *job)
{
	pthread_mutex_lock(&h->lock);
	push(&h->todo, &h->todo_tail, job);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

struct history_job *history_take(struct history *h)
{
	struct history_job *job;

	pthread_mutex_lock(&h->lock);
	job = h->done;
	h->done = h->done_tail = NULL;
	pthread_mutex_unlock(&h->lock);
	return job;
}
