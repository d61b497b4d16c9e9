#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "banned.h"

/* COPY data goes to libpq in pieces of this size. */
#define COPY_CHUNK ((size_t)1 << 20)
/* Room for the longest statement this file makes (a COPY with its
 * column list, after the CREATE of its temporary table). */
#define STATEMENT_MAX 2048

/* The statements that move rows from the temporary tables into the real
 * ones. Rows go in key order so that concurrent writers take their row
 * locks in the same order; the canonical pointers are deduplicated by
 * height first (the largest seq wins), because ON CONFLICT DO UPDATE
 * cannot touch one row twice in one statement. */
static const char *const insert_sql[WT_NTABLES] = {
	"INSERT INTO blocks SELECT * FROM w_blocks"
	" ORDER BY chain_id, hash ON CONFLICT DO NOTHING",
	"INSERT INTO transactions SELECT * FROM w_transactions"
	" ORDER BY chain_id, block_hash, tx_index ON CONFLICT DO NOTHING",
	"INSERT INTO logs SELECT * FROM w_logs"
	" ORDER BY chain_id, block_hash, log_index ON CONFLICT DO NOTHING",
	"INSERT INTO reorgs SELECT * FROM w_reorgs"
	" ORDER BY chain_id, seq ON CONFLICT DO NOTHING",
	"INSERT INTO canonical AS c (chain_id, number, hash, seq)"
	" SELECT DISTINCT ON (chain_id, number) chain_id, number, hash, seq"
	" FROM w_canonical ORDER BY chain_id, number, seq DESC"
	" ON CONFLICT (chain_id, number) DO UPDATE"
	" SET hash = excluded.hash, seq = excluded.seq"
	" WHERE c.seq < excluded.seq",
};

/* Tombstones for every height a reorg of the batch invalidates, with the
 * reorg's seq: they compete with the block pointers in w_canonical. */
static const char tombstone_sql[] =
	"INSERT INTO w_canonical (chain_id, number, hash, seq)"
	" SELECT r.chain_id, g, NULL, r.seq FROM w_reorgs r,"
	" generate_series(r.invalidate_from, r.invalidate_to) AS g";

enum db_status pg_session_init(PGconn *conn)
{
	/* The notices of CREATE TEMP TABLE IF NOT EXISTS (copy_in). */
	return db_exec(conn, "prepare the session",
		       "SET client_min_messages = warning");
}

/* Keep the first failure's reason. */
static enum db_status failed(PGconn *conn, PGresult *r, char *err,
			     size_t errlen, char *sqlstate)
{
	enum db_status s = db_classify(conn, r);

	if (s == DB_OK)
		s = DB_FATAL;
	db_error_line(conn, r, err, errlen);
	snprintf(sqlstate, 6, "%s", db_sqlstate(r));
	return s;
}

/* The statements a transaction still owes the server (a RELEASE, the
 * BEGIN and the lock): sent in front of the next one, in the same
 * message, so that they cost no round trip of their own. */
struct pending {
	char sql[256];
};

static void pending_add(struct pending *p, const char *sql)
{
	size_t n = strlen(p->sql);

	snprintf(p->sql + n, sizeof(p->sql) - n, "%s%s", n ? "; " : "", sql);
}

/* The pending statements, then sql, in one message (PQexec runs them in
 * order and stops at the first error). */
static PGresult *exec_after(PGconn *conn, struct pending *p, const char *sql)
{
	char buf[2 * STATEMENT_MAX];
	PGresult *r;

	if (!p->sql[0])
		return PQexec(conn, sql);
	snprintf(buf, sizeof(buf), "%s; %s", p->sql, sql);
	p->sql[0] = '\0';
	r = PQexec(conn, buf);
	return r;
}

static enum db_status run_after(PGconn *conn, struct pending *p,
				const char *sql, long long *rows, char *err,
				size_t errlen, char *sqlstate)
{
	PGresult *r = exec_after(conn, p, sql);
	enum db_status s = db_classify(conn, r);

	if (s != DB_OK) {
		s = failed(conn, r, err, errlen, sqlstate);
	} else if (rows) {
		const char *n = PQcmdTuples(r);

		*rows = *n ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(r);
	return s;
}

/* One statement in its own message. */
static enum db_status run(PGconn *conn, const char *sql, long long *rows,
			  char *err, size_t errlen, char *sqlstate)
{
	struct pending none = { "" };

	return run_after(conn, &none, sql, rows, err, errlen, sqlstate);
}

/* COPY the rows of table t into w_<t> (temp) or, direct, into <t>, with
 * the pending statements (and a savepoint, or the temporary table) in the
 * same message as the COPY. */
static enum db_status copy_in(PGconn *conn, struct pending *p, enum wt t,
			      int direct, const struct buf *text, char *err,
			      size_t errlen, char *sqlstate)
{
	char sql[STATEMENT_MAX];
	PGresult *r;
	enum db_status s;
	size_t off = 0;
	const size_t chunk = COPY_CHUNK;

	/* The temporary table is made the first time a session needs it,
	 * so that a backfill, which never does, makes none. */
	if (direct)
		snprintf(sql, sizeof(sql), "SAVEPOINT w_direct; COPY %s (%s) FROM STDIN",
			 wt_name(t), wt_columns(t));
	else
		snprintf(sql, sizeof(sql),
			 "CREATE TEMP TABLE IF NOT EXISTS w_%s (LIKE %s INCLUDING DEFAULTS)"
			 " ON COMMIT DELETE ROWS; COPY w_%s (%s) FROM STDIN",
			 wt_name(t), wt_name(t), wt_name(t), wt_columns(t));
	r = exec_after(conn, p, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		s = failed(conn, r, err, errlen, sqlstate);
		PQclear(r);
		return s;
	}
	PQclear(r);
	while (off < text->len) {
		size_t n = text->len - off < chunk ? text->len - off : chunk;

		if (PQputCopyData(conn, text->data + off, (int)n) != 1) {
			/* The server's reason arrives with the result. */
			PQputCopyEnd(conn, "client error");
			break;
		}
		off += n;
	}
	if (off == text->len && PQputCopyEnd(conn, NULL) != 1) {
		db_error_line(conn, NULL, err, errlen);
		snprintf(sqlstate, 6, "%s", "");
		return DB_CONN;
	}
	s = DB_OK;
	while ((r = PQgetResult(conn))) {
		if (s == DB_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
			s = failed(conn, r, err, errlen, sqlstate);
		PQclear(r);
	}
	if (s == DB_OK && off != text->len) {
		db_error_line(conn, NULL, err, errlen);
		snprintf(sqlstate, 6, "%s", "");
		s = PQstatus(conn) == CONNECTION_OK ? DB_FATAL : DB_CONN;
	}
	return s;
}

/* Blocks, transactions and logs are content-addressed, and a height's
 * pointer is new too unless a reorg or another writer was there: in a
 * backfill none of the batch's rows is there yet, and a COPY straight
 * into the table is all it takes (about half the database's work of a
 * COPY into a temporary table and an INSERT ... SELECT ... ON CONFLICT,
 * and a transaction that never touches a temporary table spares the
 * truncation of all of them at commit). A row that is there already (a
 * block sent again, another writer's, a tombstone) makes that COPY fail
 * with unique_violation: the savepoint is rolled back and the rows go the
 * idempotent, seq-guarded way, through w_<t> and insert_sql[t]; *conflict
 * then sends the batch's next tables that way at once. */
static enum db_status write_rows(PGconn *conn, struct pending *p, enum wt t,
				 const struct buf *text, size_t nrows,
				 int *conflict, long long *rows, char *err,
				 size_t errlen, char *sqlstate)
{
	enum db_status s = DB_OK;

	if (!*conflict) {
		s = copy_in(conn, p, t, 1, text, err, errlen, sqlstate);
		if (s == DB_OK) {
			*rows = (long long)nrows;
			pending_add(p, "RELEASE SAVEPOINT w_direct");
			return DB_OK;
		}
		if (strcmp(sqlstate, "23505") || PQstatus(conn) != CONNECTION_OK)
			return s;
		*conflict = 1;
		err[0] = sqlstate[0] = '\0';
		pending_add(p, "ROLLBACK TO SAVEPOINT w_direct");
	}
	s = copy_in(conn, p, t, 0, text, err, errlen, sqlstate);
	if (s == DB_OK)
		s = run_after(conn, p, insert_sql[t], rows, err, errlen,
			      sqlstate);
	return s;
}

/* The reorgs of the batch: their rows, then their tombstones, which join
 * the block pointers in w_canonical so that one seq-guarded statement
 * settles every height. */
static enum db_status write_reorgs(PGconn *conn, struct pending *p,
				   const struct buf *reorgs,
				   const struct buf *pointers,
				   struct pg_counts *counts, char *err,
				   size_t errlen, char *sqlstate)
{
	enum db_status s;

	s = copy_in(conn, p, WT_REORGS, 0, reorgs, err, errlen, sqlstate);
	if (s == DB_OK && pointers->len)
		s = copy_in(conn, p, WT_CANONICAL, 0, pointers, err, errlen,
			    sqlstate);
	else if (s == DB_OK)
		pending_add(p, "CREATE TEMP TABLE IF NOT EXISTS w_canonical"
			    " (LIKE canonical INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
	if (s == DB_OK)
		s = run_after(conn, p, insert_sql[WT_REORGS],
			      &counts->rows[WT_REORGS], err, errlen, sqlstate);
	if (s == DB_OK)
		s = run_after(conn, p, tombstone_sql, NULL, err, errlen,
			      sqlstate);
	if (s == DB_OK)
		s = run_after(conn, p, insert_sql[WT_CANONICAL],
			      &counts->rows[WT_CANONICAL], err, errlen,
			      sqlstate);
	return s;
}

/* Does the batch's range [from, to) hold a reorg? */
static int has_reorg(const struct batch *b, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < b->n; i++)
		if (b->msgs[i]->kind == WMSG_REORG)
			return 1;
	return 0;
}

/* The COPY text of table t into out (emptied first). */
static enum db_status table_text(const struct batch *b, size_t from,
				 size_t to, enum wt t, struct buf *out,
				 size_t *nrows, char *err, size_t errlen)
{
	buf_reset(out);
	if (batch_copy_text(b, from, to, t, out, nrows) < 0) {
		snprintf(err, errlen, "out of memory");
		return DB_FATAL;
	}
	return DB_OK;
}

enum db_status pg_write(PGconn *conn, const struct batch *b, size_t from,
			size_t to, struct pg_counts *counts, char *err,
			size_t errlen, char *sqlstate)
{
	struct pending p = { "" };
	struct buf text = BUF_INIT, pointers = BUF_INIT;
	size_t nrows, npointers;
	enum db_status s = DB_OK;
	int conflict = 0, reorgs = has_reorg(b, from, to);
	/* With reorgs, the pointers meet the tombstones in SQL. */
	enum wt last = reorgs ? WT_LOGS : WT_CANONICAL;

	memset(counts, 0, sizeof(*counts));
	err[0] = sqlstate[0] = '\0';
	snprintf(p.sql, sizeof(p.sql),
		 "BEGIN; SELECT pg_advisory_xact_lock_shared(%d, 0)",
		 DB_LOCK_CLEANUP);
	for (int t = WT_BLOCKS; s == DB_OK && t <= (int)last; t++) {
		if (t == WT_REORGS)
			continue;
		s = table_text(b, from, to, (enum wt)t, &text, &nrows, err,
			       errlen);
		if (s == DB_OK && nrows)
			s = write_rows(conn, &p, (enum wt)t, &text, nrows,
				       &conflict, &counts->rows[t], err, errlen,
				       sqlstate);
	}
	if (s == DB_OK && reorgs) {
		s = table_text(b, from, to, WT_REORGS, &text, &nrows, err,
			       errlen);
		if (s == DB_OK)
			s = table_text(b, from, to, WT_CANONICAL, &pointers,
				       &npointers, err, errlen);
		if (s == DB_OK)
			s = write_reorgs(conn, &p, &text, &pointers, counts, err,
					 errlen, sqlstate);
	}
	buf_release(&text);
	buf_release(&pointers);
	if (s == DB_OK)
		s = run_after(conn, &p, "COMMIT", NULL, err, errlen, sqlstate);
	if (s != DB_OK && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return s;
}

enum db_status pg_clean_orphans(PGconn *conn, long long keep_ms,
				long long recent_ms, long long *deleted)
{
	char lock[96], sql[1536], doomed[768], err[256], st[6];
	enum db_status s;

	*deleted = 0;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, 0)",
		 DB_LOCK_CLEANUP);
	/* The recent form: the blocks of each reorg's range by the number
	 * index (LATERAL ... OFFSET 0), each looked up in canonical's hash
	 * index (OFFSET 0 keeps NOT EXISTS a per-row lookup): the planner's
	 * guesses for ranges known only at run time would scan both tables. */
	if (recent_ms > 0)
		snprintf(doomed, sizeof(doomed),
			 "SELECT DISTINCT b.chain_id, b.hash FROM reorgs r"
			 " CROSS JOIN LATERAL (SELECT b.chain_id, b.hash,"
			 "  b.timestamp FROM blocks b WHERE b.chain_id = r.chain_id"
			 "  AND b.number BETWEEN r.invalidate_from"
			 "  AND r.invalidate_to OFFSET 0) b"
			 " WHERE r.at > now() - interval '%lld milliseconds'"
			 " AND b.timestamp < now() - interval '%lld milliseconds'"
			 " AND NOT EXISTS (SELECT 1 FROM canonical c"
			 "  WHERE c.chain_id = b.chain_id AND c.hash = b.hash"
			 "  OFFSET 0)", recent_ms, keep_ms);
	else
		snprintf(doomed, sizeof(doomed),
			 "SELECT b.chain_id, b.hash FROM blocks b"
			 " WHERE b.timestamp < now() - interval '%lld milliseconds'"
			 " AND NOT EXISTS (SELECT 1 FROM canonical c"
			 "  WHERE c.chain_id = b.chain_id AND c.hash = b.hash)",
			 keep_ms);
	/* One statement: the CTEs see one snapshot, and under the exclusive
	 * lock no writer can point canonical at a block being deleted. */
	snprintf(sql, sizeof(sql),
		 "WITH doomed AS (%s),"
		 " dl AS (DELETE FROM logs l USING doomed d"
		 "  WHERE l.chain_id = d.chain_id AND l.block_hash = d.hash),"
		 " dt AS (DELETE FROM transactions t USING doomed d"
		 "  WHERE t.chain_id = d.chain_id AND t.block_hash = d.hash)"
		 " DELETE FROM blocks b USING doomed d"
		 " WHERE b.chain_id = d.chain_id AND b.hash = d.hash", doomed);
	s = run(conn, "BEGIN", NULL, err, sizeof(err), st);
	if (s == DB_OK)
		s = run(conn, "SET LOCAL lock_timeout = '10s'; "
			"SET LOCAL jit = off", NULL, err, sizeof(err), st);
	if (s == DB_OK)
		s = run(conn, lock, NULL, err, sizeof(err), st);
	if (s == DB_OK)
		s = run(conn, sql, deleted, err, sizeof(err), st);
	if (s == DB_OK)
		s = run(conn, "COMMIT", NULL, err, sizeof(err), st);
	if (s != DB_OK) {
		log_at(LOG_WARN, LOGF(LF_S("sqlstate", st), LF_S("error", err)),
		       "cannot clean up orphaned blocks");
		if (PQstatus(conn) == CONNECTION_OK &&
		    PQtransactionStatus(conn) != PQTRANS_IDLE)
			PQclear(PQexec(conn, "ROLLBACK"));
	}
	return s;
}
