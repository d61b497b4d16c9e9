/* What a history worker runs: the queries of a replay (the schema's
 * blockpipe_replay_* functions, docs/schema.md) and the page's events,
 * built by events_build() from messages made of the rows, so that a
 * replayed block is the same frames a live one is. */
#include "history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "events.h"
#include "history_cache.h"
#include "log.h"
#include "banned.h"

/* The schema version that has the replay functions. */
#define HISTORY_SCHEMA_VERSION 5

static void set_err(struct history_job *job, enum history_status st,
		    const char *msg)
{
	job->status = st;
	snprintf(job->err, sizeof(job->err), "%s", msg);
}

static int query_i64(PGconn *conn, struct history_job *job, const char *sql,
		     int n, const char *const *p, int64_t *out, int *isnull)
{
	if (db_query_i64(conn, sql, n, p, out, isnull) != DB_OK) {
		set_err(job, HS_FAILED, "a query of the database failed");
		return -1;
	}
	return 0;
}

static int check_schema(PGconn *conn, struct history_job *job)
{
	int64_t v = 0;
	int isnull = 1;

	if (query_i64(conn, job, "SELECT max(version) FROM schema_version", 0,
		      NULL, &v, &isnull) < 0)
		return -1;
	if (isnull || v < HISTORY_SCHEMA_VERSION) {
		log_error("the database's schema is older than version %d "
			  "(a writer of this version applies it): no replay "
			  "from the database", HISTORY_SCHEMA_VERSION);
		set_err(job, HS_FAILED, "the database's schema is too old for "
			"replays");
		return -1;
	}
	return 0;
}

static void run_start(PGconn *conn, struct history_job *job)
{
	char a[24], b[24], c[24];
	const char *p[3] = { a, b, c };
	int64_t v = 0;
	int isnull = 1;

	snprintf(a, sizeof(a), "%" PRIu64, job->chain_id);
	snprintf(b, sizeof(b), "%" PRIu64, job->since);
	snprintf(c, sizeof(c), "%lld", job->max_blocks + 1);
	if (job->by_height) {
		if (query_i64(conn, job, "SELECT max(number) FROM canonical "
			      "WHERE chain_id = $1", 1, p, &v, &isnull) < 0)
			return;
		if (!isnull && (uint64_t)v + 1 > job->since &&
		    (uint64_t)v + 1 - job->since > (uint64_t)job->max_blocks) {
			job->status = HS_REFUSED;
			snprintf(job->err, sizeof(job->err), "cannot replay "
				 "since %" PRIu64 ": more than %lld blocks below "
				 "the tip (%" PRId64 ")", job->since,
				 job->max_blocks, v);
			return;
		}
		if (query_i64(conn, job, "SELECT blockpipe_seq_since_height($1, "
			      "$2)", 2, p, &v, &isnull) < 0)
			return;
		job->resume_seq = isnull || v < 0 ? 0 : (uint64_t)v;
		return;
	}
	if (query_i64(conn, job, "SELECT count(*) FROM (SELECT 1 FROM canonical "
		      "WHERE chain_id = $1 AND seq > $2 LIMIT $3) AS x", 3, p, &v,
		      &isnull) < 0)
		return;
	if (v > job->max_blocks) {
		job->status = HS_REFUSED;
		snprintf(job->err, sizeof(job->err), "cannot replay since seq %"
			 PRIu64 ": more than %lld blocks came after it",
			 job->since, job->max_blocks);
		return;
	}
	job->resume_seq = job->since;
}

static int add_event(struct history_job *job, struct bc_event *ev)
{
	struct bc_event **ne = realloc(job->evs, (job->nevs + 1) * sizeof(*ne));

	if (!ne) {
		ev_free(ev);
		return -1;
	}
	job->evs = ne;
	job->evs[job->nevs++] = ev;
	return 0;
}

/* The block message of a row: number, hash, parent hash, block and
 * receipts in columns col..col+4 (seq given apart). */
static struct bc_event *block_event(struct events *e, uint64_t chain_id,
				    uint64_t seq, PGresult *r, int row,
				    int col)
{
	struct buf m = BUF_INIT;
	struct bc_event *ev = NULL;
	char why[256];
	enum ev_result res;

	if (buf_addf(&m, "{\"type\":\"block\",\"chain_id\":%" PRIu64
		     ",\"number\":%s,\"hash\":\"%s\",\"parent_hash\":\"%s\","
		     "\"live\":true,\"seq\":%" PRIu64 ",\"block\":%s,"
		     "\"receipts\":%s}", chain_id, PQgetvalue(r, row, col),
		     PQgetvalue(r, row, col + 1), PQgetvalue(r, row, col + 2), seq,
		     PQgetvalue(r, row, col + 3), PQgetvalue(r, row, col + 4)) < 0) {
		buf_release(&m);
		return NULL;
	}
	res = events_build(e, m.data, m.len, &ev, why, sizeof(why));
	if (res != EV_RES_OK && res != EV_RES_SKIP)
		log_at(LOG_WARN, LOGF(LF_S("hash", PQgetvalue(r, row, col + 1)),
				      LF_S("error", why)),
		       "a stored block could not be replayed");
	buf_release(&m);
	return res == EV_RES_OK ? ev : NULL;
}

/* The reorg's event, with removed logs for the orphaned blocks the
 * client held: they are fed to a builder of their own first, as the
 * live builder had them when the reorg came. */
static int reorg_event(PGconn *conn, struct history_job *job, uint64_t seq,
		       const char *msg)
{
	struct events_opts eo = { .backfill = true, .keep_blocks = 0 };
	struct events *e = NULL;
	struct bc_event *ev = NULL;
	char a[24], b[24], c[24], why[256];
	const char *p[3] = { a, b, c };
	enum db_status s;
	PGresult *r;
	int rc = -1;

	snprintf(a, sizeof(a), "%" PRIu64, job->chain_id);
	snprintf(b, sizeof(b), "%" PRIu64, seq);
	snprintf(c, sizeof(c), "%" PRIu64, job->had);
	r = db_query_rows(conn, "SELECT * FROM blockpipe_replay_orphans($1, $2, "
			  "$3)", 3, p, &s);
	if (!r) {
		set_err(job, HS_FAILED, "a query of the database failed");
		return -1;
	}
	eo.keep_blocks = (size_t)PQntuples(r) + 1;
	e = events_new(&eo);
	if (!e)
		goto out;
	for (int i = 0; i < PQntuples(r); i++)
		ev_free(block_event(e, job->chain_id, seq - 1, r, i, 0));
	if (events_build(e, msg, strlen(msg), &ev, why, sizeof(why)) !=
	    EV_RES_OK) {
		log_at(LOG_WARN, LOGF(LF_U("seq", seq), LF_S("error", why)),
		       "a stored reorg could not be replayed");
		rc = 0;
		goto out;
	}
	rc = add_event(job, ev);
out:
	if (rc < 0 && job->status == HS_OK)
		set_err(job, HS_FAILED, "out of memory");
	events_destroy(&e);
	PQclear(r);
	return rc;
}

static PGresult *page_rows(PGconn *conn, struct history_job *job,
			   const char *fn, uint64_t before, size_t limit)
{
	char a[24], b[24], c[24], d[24], sql[128];
	const char *p[4] = { a, b, before ? c : NULL, d };
	enum db_status s;
	PGresult *r;

	snprintf(a, sizeof(a), "%" PRIu64, job->chain_id);
	snprintf(b, sizeof(b), "%" PRIu64, job->after);
	snprintf(c, sizeof(c), "%" PRIu64, before);
	snprintf(d, sizeof(d), "%zu", limit);
	snprintf(sql, sizeof(sql), "SELECT * FROM %s($1, $2, $3, $4)", fn);
	r = db_query_rows(conn, sql, 4, p, &s);
	if (!r)
		set_err(job, HS_FAILED, "a query of the database failed");
	return r;
}

static uint64_t row_seq(PGresult *r, int row)
{
	return strtoull(PQgetvalue(r, row, 0), NULL, 10);
}

/* Blocks and reorgs of the page merged in seq order, each up to `upto`. */
static int merge(PGconn *conn, struct history_job *job, PGresult *blocks,
		 PGresult *reorgs, uint64_t upto)
{
	struct events_opts eo = { .backfill = true, .keep_blocks = job->limit };
	struct events *e = events_new(&eo);
	int nb = PQntuples(blocks), nr = PQntuples(reorgs), i = 0, j = 0;
	int rc = 0;

	if (!e) {
		set_err(job, HS_FAILED, "out of memory");
		return -1;
	}
	while (rc == 0 && (i < nb || j < nr)) {
		int take_block = j >= nr ||
				 (i < nb && row_seq(blocks, i) < row_seq(reorgs, j));
		uint64_t seq = take_block ? row_seq(blocks, i) : row_seq(reorgs, j);
		struct bc_event *ev;

		if (seq > upto)
			break;
		if (!take_block) {
			rc = reorg_event(conn, job, seq,
					 PQgetvalue(reorgs, j++, 1));
			continue;
		}
		ev = block_event(e, job->chain_id, seq, blocks, i++, 1);
		if (ev) {
			rc = add_event(job, ev);
			job->nblocks++;
		}
	}
	events_destroy(&e);
	return rc;
}

static void check_height(PGconn *conn, struct history_job *job)
{
	char a[24], b[24];
	const char *p[2] = { a, b };
	int64_t v = 0;

	snprintf(a, sizeof(a), "%" PRIu64, job->chain_id);
	snprintf(b, sizeof(b), "%" PRIu64, job->check);
	if (query_i64(conn, job, "SELECT count(*) FROM canonical c JOIN blocks b "
		      "ON b.chain_id = c.chain_id AND b.hash = c.hash WHERE "
		      "c.chain_id = $1 AND c.number = $2", 2, p, &v, NULL) == 0)
		job->check_ok = v > 0;
}

/* The page's rows from the database: blocks, then the reorgs up to the
 * last block of a full page. NULL on failure (job says why). */
static int query_page(PGconn *conn, struct history_job *job,
		      struct history_page_rows *rows)
{
	uint64_t upto = UINT64_MAX;
	int nb;

	rows->blocks = page_rows(conn, job, "blockpipe_replay_blocks",
				 job->before, job->limit);
	if (!rows->blocks)
		return -1;
	nb = PQntuples(rows->blocks);
	if ((size_t)nb == job->limit)
		upto = row_seq(rows->blocks, nb - 1);
	else if (job->before)
		upto = job->before - 1;
	rows->reorgs = page_rows(conn, job, "blockpipe_replay_reorgs",
				 upto == UINT64_MAX ? 0 : upto + 1,
				 HISTORY_PAGE_REORGS);
	if (!rows->reorgs) {
		PQclear(rows->blocks);
		return -1;
	}
	return 0;
}

/* The rows of a page bounded by a seam come from the cache when another
 * client asked for them lately. Only full pages are kept: the last one
 * before the seam is where writers behind the stream may still be
 * filling rows in. */
static const struct history_page_rows *page(PGconn *conn,
					    struct history_cache *cache,
					    struct history_job *job,
					    struct history_page_rows *own)
{
	struct history_page_key k = { job->chain_id, job->after, job->before,
				      job->limit };
	const struct history_page_rows *rows;

	if (cache && job->before && (rows = history_cache_get(cache, &k)))
		return rows;
	if (query_page(conn, job, own) < 0)
		return NULL;
	if (cache && job->before &&
	    (size_t)PQntuples(own->blocks) == job->limit &&
	    (rows = history_cache_put(cache, &k, own->blocks, own->reorgs))) {
		own->blocks = own->reorgs = NULL;
		return rows;
	}
	return own;
}

/* A page never reads past a tombstone newer than the cursor: the reorg
 * that wrote it recorded it before its new blocks reached the database,
 * and with several writers a block above may be in before the one it
 * replaces; passing it would skip that one. The page stops below the
 * tombstone's seq (the reorg's), held back until the block is in. */
static int hold_back(PGconn *conn, struct history_job *job)
{
	char a[24], b[24];
	const char *p[2] = { a, b };
	int64_t v = 0;
	int isnull = 1;

	snprintf(a, sizeof(a), "%" PRIu64, job->chain_id);
	snprintf(b, sizeof(b), "%" PRIu64, job->after);
	if (query_i64(conn, job, "SELECT min(seq) FROM canonical WHERE "
		      "chain_id = $1 AND hash IS NULL AND seq > $2", 2, p, &v,
		      &isnull) < 0)
		return -1;
	if (!isnull && (!job->before || (uint64_t)v < job->before)) {
		job->before = (uint64_t)v;
		job->held_back = 1;
	}
	return 0;
}

static void run_page(PGconn *conn, struct history_cache *cache,
		     struct history_job *job)
{
	struct history_page_rows own = { NULL, NULL };
	const struct history_page_rows *rows;
	uint64_t upto;
	int nb, nr;

	if (hold_back(conn, job) < 0)
		return;
	rows = page(conn, cache, job, &own);
	upto = job->before ? job->before - 1 : UINT64_MAX;
	if (!rows)
		return;
	nb = PQntuples(rows->blocks);
	job->exhausted = (size_t)nb < job->limit;
	if (!job->exhausted)
		upto = row_seq(rows->blocks, nb - 1);
	nr = PQntuples(rows->reorgs);
	if (nr == HISTORY_PAGE_REORGS && row_seq(rows->reorgs, nr - 1) < upto) {
		upto = row_seq(rows->reorgs, nr - 1);
		job->exhausted = 0;
	}
	if (merge(conn, job, rows->blocks, rows->reorgs, upto) < 0)
		goto out;
	if (upto == UINT64_MAX) {
		upto = job->after;
		for (size_t k = 0; k < job->nevs; k++)
			if (job->evs[k]->seq > upto)
				upto = job->evs[k]->seq;
	}
	job->last_seq = upto;
	job->check_ok = 1;
	if (job->exhausted && job->check_height)
		check_height(conn, job);
out:
	if (rows != &own)
		history_cache_release(cache, rows);
	PQclear(own.blocks);
	PQclear(own.reorgs);
}

void history_run(PGconn *conn, struct history_cache *cache,
		 struct history_job *job)
{
	job->status = HS_OK;
	job->err[0] = '\0';
	if (job->kind == HJ_START) {
		if (check_schema(conn, job) == 0)
			run_start(conn, job);
	} else {
		run_page(conn, cache, job);
	}
}
