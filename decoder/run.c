/* The decoder's loop (decoder.h): follow the committed watermark and
 * decode the logs of canonical blocks into each table. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "db.h"
#include "decoder.h"
#include "keccak.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "sig.h"
#include "banned.h"


struct table_state {
	const struct config_table *t;
	char *select_sql, *stage_sql, *copy_sql, *insert_sql;
	struct metric *rows, *failed, *other, *height;
	int64_t done; /* the height decoded to, as last read */
};

struct run {
	struct decoder_cfg *cfg;
	PGconn *conn;
	struct table_state *ts;
	struct metric *watermark, *db_errors, *batch_seconds;
	char chain[24];
};

/* Connected and set up: /ready 200, READY=1. The metrics server's thread
 * reads it, until after decoder_run has returned. */
static atomic_int ready;

static int is_ready(void *arg)
{
	(void)arg;
	return atomic_load(&ready);
}

static void add_hex_literal(struct buf *b, const uint8_t *p, size_t n)
{
	buf_adds(b, "'\\x");
	for (size_t i = 0; i < n; i++)
		buf_addf(b, "%02x", p[i]);
	buf_adds(b, "'::bytea");
}

/* The logs of the canonical blocks in [$2, $3] the table may want. The
 * values in the filters are checked bytes, written as hex literals. The
 * logs are looked up block by block through their primary key (a LATERAL
 * subquery that OFFSET 0 keeps from being flattened): a join would let
 * the planner scan the whole logs table for every batch. */
static char *select_sql(const struct config_table *t)
{
	struct buf b = BUF_INIT;
	const struct abi_event *ev = t->event;

	buf_adds(&b, "SELECT l.block_hash, l.log_index, l.block_number,"
		 " l.tx_hash, l.tx_index, l.address, l.topic0, l.topic1,"
		 " l.topic2, l.topic3, l.data FROM canonical c CROSS JOIN LATERAL"
		 " (SELECT * FROM logs l WHERE l.chain_id = c.chain_id"
		 " AND l.block_hash = c.hash");
	if (!ev->anonymous) {
		buf_adds(&b, " AND l.topic0 = ");
		add_hex_literal(&b, ev->topic0, 32);
	}
	if (t->naddrs) {
		buf_adds(&b, " AND l.address IN (");
		for (size_t i = 0; i < t->naddrs; i++) {
			if (i)
				buf_adds(&b, ", ");
			add_hex_literal(&b, t->addrs[i], 20);
		}
		buf_adds(&b, ")");
	}
	for (int k = 0; k < 4; k++) {
		if (!t->ntopic[k])
			continue;
		buf_addf(&b, " AND l.topic%d IN (", k);
		for (size_t i = 0; i < t->ntopic[k]; i++) {
			if (i)
				buf_adds(&b, ", ");
			add_hex_literal(&b, t->topic[k][i], 32);
		}
		buf_adds(&b, ")");
	}
	if (buf_adds(&b, " OFFSET 0) l WHERE c.chain_id = $1"
		     " AND c.number BETWEEN $2 AND $3 AND c.hash IS NOT NULL"
		     " ORDER BY c.number, l.log_index") < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static uint32_t be32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static int64_t be64(const char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* One COPY text field: backslash, tab, newline and carriage return
 * escaped (a bytea's "\x" becomes "\\x"). */
static int copy_field(struct buf *b, const char *v, size_t n, bool last)
{
	for (size_t i = 0; i < n; i++) {
		const char *e = NULL;
		switch (v[i]) {
		case '\\': e = "\\\\"; break;
		case '\t': e = "\\t"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		}
		if (e ? buf_adds(b, e) < 0 : buf_addch(b, v[i]) < 0)
			return -1;
	}
	return buf_addch(b, last ? '\n' : '\t');
}

static int copy_hex(struct buf *b, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (buf_adds(b, "\\\\x") < 0 || buf_grow(b, 2 * n + 1) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		b->data[b->len++] = hex[(uint8_t)p[i] >> 4];
		b->data[b->len++] = hex[(uint8_t)p[i] & 15];
	}
	return buf_addch(b, '\t');
}

/* Decode result row i of res into a COPY line of the staging table; a log
 * that does not decode is counted and logged, never fatal. 0, or -1 when
 * out of memory. */
static int add_log(struct table_state *ts, const char *chain, struct buf *b,
		   PGresult *res, int i)
{
	const struct config_table *t = ts->t;
	uint8_t topics[4][32];
	size_t nt = 0;
	struct abi_row d;
	char why[200], hash[67];
	int rc = 0;

	for (int k = 0; k < 4; k++) {
		if (PQgetisnull(res, i, 6 + k) || PQgetlength(res, i, 6 + k) != 32)
			break;
		memcpy(topics[nt++], PQgetvalue(res, i, 6 + k), 32);
	}
	if (nt != t->event->nindexed + !t->event->anonymous) {
		/* Another event with the same topic0: ERC-721's Transfer
		 * has ERC-20's topic0 and a fourth topic. */
		metric_inc(ts->other);
		return 0;
	}
	if (abi_decode_log(t->event, (const uint8_t(*)[32])topics, nt,
			   (const uint8_t *)PQgetvalue(res, i, 10),
			   (size_t)PQgetlength(res, i, 10), t->strings_as_bytes,
			   &d, why, sizeof(why)) < 0) {
		keccak256_hex((const uint8_t *)PQgetvalue(res, i, 0), hash);
		metric_inc(ts->failed);
		log_at(LOG_WARN, LOGF(LF_S("table", t->name),
				      LF_I("block", be64(PQgetvalue(res, i, 2))),
				      LF_S("block_hash", hash),
				      LF_I("log_index", be32(PQgetvalue(res, i, 1))),
				      LF_S("error", why)),
		       "log does not decode as %s", t->event->signature);
		return 0;
	}
	if (buf_addf(b, "%s\t", chain) < 0 ||
	    copy_hex(b, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0)) < 0 ||
	    buf_addf(b, "%" PRIu32 "\t%" PRId64 "\t", be32(PQgetvalue(res, i, 1)),
		     be64(PQgetvalue(res, i, 2))) < 0 ||
	    copy_hex(b, PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3)) < 0 ||
	    buf_addf(b, "%" PRIu32 "\t", be32(PQgetvalue(res, i, 4))) < 0 ||
	    copy_hex(b, PQgetvalue(res, i, 5), (size_t)PQgetlength(res, i, 5)) < 0)
		rc = -1;
	if (t->ncols == 0 && rc == 0)
		b->data[b->len - 1] = '\n';
	for (size_t k = 0; k < t->ncols && rc == 0; k++) {
		size_t a = t->cols[k].arg;
		rc = copy_field(b, d.vals[a], d.lens[a], k + 1 == t->ncols);
	}
	abi_row_release(&d);
	return rc;
}

/* Send what b holds to the COPY in progress and empty it. */
static enum db_status copy_send(struct run *r, struct buf *b)
{
	if (b->len && PQputCopyData(r->conn, b->data, (int)b->len) != 1) {
		log_warn("cannot send decoded rows: %s", PQerrorMessage(r->conn));
		return db_classify(r->conn, NULL);
	}
	buf_reset(b);
	return DB_OK;
}

/* End the COPY (with an error message to abort it when s is not DB_OK). */
static enum db_status copy_end(struct run *r, enum db_status s)
{
	PGresult *res;
	enum db_status e;

	if (PQputCopyEnd(r->conn, s == DB_OK ? NULL : "aborted") != 1)
		return s != DB_OK ? s : db_classify(r->conn, NULL);
	while ((res = PQgetResult(r->conn))) {
		e = db_classify(r->conn, res);
		if (e != DB_OK && s == DB_OK) {
			char err[256];
			db_error_line(r->conn, res, err, sizeof(err));
			log_at(LOG_WARN, LOGF(LF_S("error", err)),
			       "cannot copy decoded rows");
			s = e;
		}
		PQclear(res);
	}
	return s;
}

/* Copy the decoded logs of res into the table's staging table, then into
 * the table. */
static enum db_status stage_rows(struct run *r, struct table_state *ts,
				 PGresult *res)
{
	struct buf b = BUF_INIT;
	enum db_status s;
	PGresult *ins;

	if ((s = db_exec(r->conn, "the staging table", ts->stage_sql)) != DB_OK)
		return s;
	ins = PQexec(r->conn, ts->copy_sql);
	if (PQresultStatus(ins) != PGRES_COPY_IN) {
		s = db_classify(r->conn, ins);
		PQclear(ins);
		return s != DB_OK ? s : DB_FATAL;
	}
	PQclear(ins);
	for (int i = 0; i < PQntuples(res) && s == DB_OK; i++) {
		if (add_log(ts, r->chain, &b, res, i) < 0) {
			log_error("out of memory decoding into '%s'", ts->t->name);
			s = DB_FATAL;
		} else if (b.len >= 1 << 20) {
			s = copy_send(r, &b);
		}
	}
	if (s == DB_OK)
		s = copy_send(r, &b);
	buf_release(&b);
	if ((s = copy_end(r, s)) != DB_OK)
		return s;
	ins = PQexec(r->conn, ts->insert_sql);
	if ((s = db_classify(r->conn, ins)) == DB_OK)
		metric_add(ts->rows, strtod(PQcmdTuples(ins), NULL));
	else {
		char err[256];
		db_error_line(r->conn, ins, err, sizeof(err));
		log_at(LOG_WARN, LOGF(LF_S("table", ts->t->name), LF_S("error", err)),
		       "cannot insert into '%s'", ts->t->name);
	}
	PQclear(ins);
	return s;
}

/* Read (and lock) the table's progress; rewind it below every reorg
 * recorded since it last looked. */
static enum db_status progress(struct run *r, struct table_state *ts,
			       int64_t *height, int64_t *seq)
{
	const char *p[3] = { r->chain, ts->t->name, NULL };
	char seqs[24];
	PGresult *res;
	enum db_status s;

	res = PQexecParams(r->conn,
			   "SELECT height, reorg_seq FROM decoder_progress"
			   " WHERE chain_id = $1 AND table_name = $2 FOR UPDATE",
			   2, NULL, p, NULL, NULL, 0);
	if ((s = db_classify(r->conn, res)) != DB_OK || PQntuples(res) != 1) {
		PQclear(res);
		return s != DB_OK ? s : DB_FATAL;
	}
	*height = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*seq = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	snprintf(seqs, sizeof(seqs), "%" PRId64, *seq);
	p[1] = seqs;
	res = PQexecParams(r->conn,
			   "SELECT max(seq), min(invalidate_from) FROM reorgs"
			   " WHERE chain_id = $1 AND seq > $2",
			   2, NULL, p, NULL, NULL, 0);
	if ((s = db_classify(r->conn, res)) != DB_OK) {
		PQclear(res);
		return s;
	}
	if (!PQgetisnull(res, 0, 0)) {
		int64_t from = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		*seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (from - 1 < *height) {
			log_at(LOG_INFO, LOGF(LF_S("table", ts->t->name),
					      LF_I("from", *height),
					      LF_I("to", from - 1)),
			       "reorg: table '%s' decodes again from %" PRId64,
			       ts->t->name, from);
			*height = from - 1 < r->cfg->start - 1 ? r->cfg->start - 1
							       : from - 1;
		}
	}
	PQclear(res);
	return DB_OK;
}

/* Decode the logs of heights (height, hi] and move the progress. */
static enum db_status decode_range(struct run *r, struct table_state *ts,
				   int64_t height, int64_t hi, int64_t seq)
{
	char lo_s[24], hi_s[24], seq_s[24];
	const char *p[4] = { r->chain, lo_s, hi_s, NULL };
	PGresult *res = NULL;
	enum db_status s = DB_OK;

	snprintf(lo_s, sizeof(lo_s), "%" PRId64, height + 1);
	snprintf(hi_s, sizeof(hi_s), "%" PRId64, hi);
	snprintf(seq_s, sizeof(seq_s), "%" PRId64, seq);
	if (hi > height) {
		res = PQexecParams(r->conn, ts->select_sql, 3, NULL, p, NULL,
				   NULL, 1);
		if ((s = db_classify(r->conn, res)) != DB_OK)
			goto out;
		if (PQntuples(res) && (s = stage_rows(r, ts, res)) != DB_OK)
			goto out;
	} else {
		hi = height;
	}
	PQclear(res);
	snprintf(hi_s, sizeof(hi_s), "%" PRId64, hi);
	const char *u[4] = { r->chain, ts->t->name, hi_s, seq_s };
	res = PQexecParams(r->conn,
			   "UPDATE decoder_progress SET height = $3,"
			   " reorg_seq = $4, updated_at = now()"
			   " WHERE chain_id = $1 AND table_name = $2",
			   4, NULL, u, NULL, NULL, 0);
	s = db_classify(r->conn, res);
	if (s == DB_OK)
		ts->done = hi;
out:
	PQclear(res);
	return s;
}

/* One transaction of one table: at most batch_blocks heights up to the
 * watermark w. *more is set when the table is still behind. */
static enum db_status watermark(struct run *r, int64_t *w)
{
	char start[24];
	const char *p[2] = { r->chain, start };
	int isnull;
	enum db_status s;

	snprintf(start, sizeof(start), "%lld", r->cfg->start);
	s = db_query_i64(r->conn, "SELECT blockpipe_watermark($1, $2)", 2, p,
			 w, &isnull);
	if (s == DB_OK)
		metric_set(r->watermark, (double)*w);
	return s;
}

/* One snapshot (REPEATABLE READ) for the reorgs, the watermark and the
 * logs: the verifier records a reorg before any block of it is written,
 * so a snapshot that holds a replaced block holds its reorg too, and the
 * table is rewound before heights it had decoded are read again. With
 * separate snapshots, a reorg committed between reading the reorgs and
 * reading the watermark could have its new blocks counted done
 * undecoded. */
static enum db_status table_step(struct run *r, struct table_state *ts,
				 bool *more)
{
	int64_t height, seq, hi, w;
	enum db_status s;
	double t0 = clock_mono_s();

	if ((s = db_exec(r->conn, "begin",
			 "BEGIN ISOLATION LEVEL REPEATABLE READ")) != DB_OK)
		return s;
	if ((s = progress(r, ts, &height, &seq)) != DB_OK ||
	    (s = watermark(r, &w)) != DB_OK)
		goto fail;
	hi = w < height + r->cfg->batch_blocks ? w : height + r->cfg->batch_blocks;
	if ((s = decode_range(r, ts, height, hi, seq)) != DB_OK)
		goto fail;
	if ((s = db_exec(r->conn, "commit", "COMMIT")) != DB_OK)
		return s;
	metric_set(ts->height, (double)ts->done);
	*more = *more || ts->done < w;
	if (hi > height)
		metric_observe(r->batch_seconds, clock_mono_s() - t0);
	return DB_OK;
fail:
	PQclear(PQexec(r->conn, "ROLLBACK"));
	return s;
}

/* Sleep ms (until SIGTERM), feeding systemd's watchdog: waiting on
 * purpose is not hanging. */
static void sleep_ms(long long ms)
{
	for (; ms > 0; ms -= 500) {
		if (clock_nap_ms(ms < 500 ? ms : 500, NULL) < 0)
			return;
		notify_watchdog();
	}
}

/* The staging table (one a table and session, emptied at each commit),
 * the COPY into it and the INSERT from it. */
static int stage_sqls(struct table_state *ts)
{
	struct buf b = BUF_INIT;
	const char *n = ts->t->name;

	if (buf_addf(&b, "CREATE TEMP TABLE IF NOT EXISTS \"stage_%s\" (LIKE \"%s\")"
		     " ON COMMIT DELETE ROWS", n, n) < 0)
		goto fail;
	ts->stage_sql = buf_detach(&b, NULL);
	if (buf_addf(&b, "COPY \"stage_%s\" FROM STDIN", n) < 0)
		goto fail;
	ts->copy_sql = buf_detach(&b, NULL);
	if (buf_addf(&b, "INSERT INTO \"%s\" SELECT * FROM \"stage_%s\""
		     " ON CONFLICT DO NOTHING", n, n) < 0)
		goto fail;
	ts->insert_sql = buf_detach(&b, NULL);
	return 0;
fail:
	buf_release(&b);
	return -1;
}

static int states_init(struct run *r)
{
	struct config *c = &r->cfg->tables;
	char labels[96];

	if (!(r->ts = calloc(c->ntables, sizeof(*r->ts))))
		return -1;
	for (size_t i = 0; i < c->ntables; i++) {
		struct table_state *ts = &r->ts[i];
		ts->t = &c->tables[i];
		if (!(ts->select_sql = select_sql(ts->t)) || stage_sqls(ts) < 0)
			return -1;
		snprintf(labels, sizeof(labels), "table=\"%s\"", ts->t->name);
		ts->rows = metrics_counter(r->cfg->metrics, "decoder_rows_total",
					   "decoded rows written", labels);
		ts->failed = metrics_counter(r->cfg->metrics, "decoder_logs_failed_total",
					     "logs of the event that do not decode (logged)", labels);
		ts->other = metrics_counter(r->cfg->metrics, "decoder_logs_other_total",
					    "logs with the event's topic0 and another topic count", labels);
		ts->height = metrics_gauge(r->cfg->metrics, "decoder_height",
					   "the height a table is decoded to", labels);
	}
	r->watermark = metrics_gauge(r->cfg->metrics, "decoder_watermark",
				     "the committed watermark the decoder follows", NULL);
	r->db_errors = metrics_counter(r->cfg->metrics, "decoder_db_errors_total",
				       "database failures (retried)", NULL);
	r->batch_seconds = metrics_histogram(r->cfg->metrics, "decoder_batch_seconds",
					     "one table's decoding transaction",
					     NULL, metrics_latency_bounds,
					     metrics_latency_nbounds);
	return 0;
}

static void states_release(struct run *r)
{
	for (size_t i = 0; r->ts && i < r->cfg->tables.ntables; i++) {
		free(r->ts[i].select_sql);
		free(r->ts[i].stage_sql);
		free(r->ts[i].copy_sql);
		free(r->ts[i].insert_sql);
	}
	free(r->ts);
}

/* Connect and set up, retrying until it works or SIGTERM; the status of
 * decoder_setup when it is a configuration error. */
static int connect_db(struct run *r)
{
	long long wait = 200;
	int rc;

	for (;;) {
		if (sig_stopping())
			return 1;
		if ((r->conn = db_connect(r->cfg->db)) && PQstatus(r->conn) == CONNECTION_OK) {
			if ((rc = decoder_setup(r->conn, r->cfg)) == 0) {
				atomic_store(&ready, 1);
				return 0;
			}
			if (rc == 2)
				return 2;
		}
		PQfinish(r->conn);
		r->conn = NULL;
		metric_inc(r->db_errors);
		sleep_ms(wait);
		wait = wait * 2 > 5000 ? 5000 : wait * 2;
	}
}

/* One pass over every table; *more when one is still behind. */
static enum db_status pass(struct run *r, bool *more)
{
	enum db_status s;

	*more = false;
	for (size_t i = 0; i < r->cfg->tables.ntables && !sig_stopping(); i++)
		if ((s = table_step(r, &r->ts[i], more)) != DB_OK)
			return s;
	return DB_OK;
}

int decoder_run(struct decoder_cfg *cfg)
{
	struct run r = { .cfg = cfg };
	int rc = 1;
	bool more;

	snprintf(r.chain, sizeof(r.chain), "%lld", cfg->chain_id);
	metrics_set_ready(cfg->metrics, is_ready, NULL);
	notify_loop(0);
	if (states_init(&r) < 0)
		goto out;
	if ((rc = connect_db(&r)) != 0)
		goto out;
	log_at(LOG_INFO, LOGF(LF_U("tables", cfg->tables.ntables),
			      LF_I("chain_id", cfg->chain_id)),
	       "decoding %zu table%s", cfg->tables.ntables,
	       cfg->tables.ntables == 1 ? "" : "s");
	while (!sig_stopping()) {
		enum db_status s;

		notify_loop(atomic_load(&ready));
		s = pass(&r, &more);
		if (s == DB_CONN || s == DB_RETRY) {
			metric_inc(r.db_errors);
			sleep_ms(50); /* a second decoder holds the row */
			if (s == DB_CONN) {
				log_warn("database connection lost: reconnecting");
				atomic_store(&ready, 0);
				PQfinish(r.conn);
				r.conn = NULL;
				if ((rc = connect_db(&r)) != 0)
					goto out;
			}
			continue;
		}
		if (s != DB_OK) {
			rc = 1;
			log_error("database failure that retrying does not mend: stopping");
			goto out;
		}
		if (!more && cfg->once)
			break;
		if (!more)
			sleep_ms(cfg->poll_ms);
	}
	rc = 0;
out:
	if (sig_stopping())
		notify_stopping();
	atomic_store(&ready, 0);
	states_release(&r);
	PQfinish(r.conn);
	return rc;
}
