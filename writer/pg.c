#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "banned.h"

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
	static const char sql[] =
		"SET client_min_messages = warning;"
		"CREATE TEMP TABLE IF NOT EXISTS w_blocks"
		" (LIKE blocks INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;"
		"CREATE TEMP TABLE IF NOT EXISTS w_transactions"
		" (LIKE transactions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;"
		"CREATE TEMP TABLE IF NOT EXISTS w_logs"
		" (LIKE logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;"
		"CREATE TEMP TABLE IF NOT EXISTS w_reorgs"
		" (LIKE reorgs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;"
		"CREATE TEMP TABLE IF NOT EXISTS w_canonical"
		" (LIKE canonical INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;";

	return db_exec(conn, "create the temporary tables", sql);
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

static enum db_status run(PGconn *conn, const char *sql, long long *rows,
			  char *err, size_t errlen, char *sqlstate)
{
	PGresult *r = PQexec(conn, sql);
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

/* COPY the rows of table t into w_<t> (temp) or, direct, into <t>. */
static enum db_status copy_in(PGconn *conn, enum wt t, int direct,
			      const struct buf *text, char *err, size_t errlen,
			      char *sqlstate)
{
	char sql[512];
	PGresult *r;
	enum db_status s;
	size_t off = 0;
	const size_t chunk = (size_t)1 << 20;

	snprintf(sql, sizeof(sql), "COPY %s%s (%s) FROM STDIN",
		 direct ? "" : "w_", wt_name(t), wt_columns(t));
	r = PQexec(conn, sql);
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

/* Blocks, transactions and logs are content-addressed: in a backfill
 * none of the batch's rows is there yet, and a COPY straight into the
 * table is all it takes (about half the database's work of a COPY into a
 * temporary table and an INSERT ... SELECT ... ON CONFLICT). A row that
 * is there already (a block sent again, another writer's) makes that
 * COPY fail with unique_violation: the savepoint is rolled back and the
 * rows go the idempotent way, through w_<t> and ON CONFLICT DO NOTHING;
 * *conflict then sends the batch's next tables that way at once. */
static enum db_status write_rows(PGconn *conn, enum wt t,
				 const struct buf *text, size_t nrows,
				 int *conflict, long long *rows, char *err,
				 size_t errlen, char *sqlstate)
{
	enum db_status s = DB_OK;

	if (!*conflict) {
		s = run(conn, "SAVEPOINT w_direct", NULL, err, errlen, sqlstate);
		if (s == DB_OK)
			s = copy_in(conn, t, 1, text, err, errlen, sqlstate);
		if (s == DB_OK) {
			*rows = (long long)nrows;
			return run(conn, "RELEASE SAVEPOINT w_direct", NULL, err,
				   errlen, sqlstate);
		}
		if (strcmp(sqlstate, "23505") || PQstatus(conn) != CONNECTION_OK)
			return s;
		*conflict = 1;
		err[0] = sqlstate[0] = '\0';
		s = run(conn, "ROLLBACK TO SAVEPOINT w_direct", NULL, err, errlen,
			sqlstate);
	}
	if (s == DB_OK)
		s = copy_in(conn, t, 0, text, err, errlen, sqlstate);
	if (s == DB_OK)
		s = run(conn, insert_sql[t], rows, err, errlen, sqlstate);
	return s;
}

enum db_status pg_write(PGconn *conn, const struct batch *b, size_t from,
			size_t to, struct pg_counts *counts, char *err,
			size_t errlen, char *sqlstate)
{
	char lock[96];
	struct buf text = BUF_INIT;
	size_t nrows[WT_NTABLES];
	enum db_status s;
	int conflict = 0;

	memset(counts, 0, sizeof(*counts));
	err[0] = sqlstate[0] = '\0';
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock_shared(%d, 0)",
		 DB_LOCK_CLEANUP);
	s = run(conn, "BEGIN", NULL, err, errlen, sqlstate);
	if (s != DB_OK)
		return s;
	s = run(conn, lock, NULL, err, errlen, sqlstate);
	for (int t = 0; s == DB_OK && t < WT_NTABLES; t++) {
		buf_reset(&text);
		if (batch_copy_text(b, from, to, (enum wt)t, &text,
				    &nrows[t]) < 0) {
			snprintf(err, errlen, "out of memory");
			s = DB_FATAL;
			break;
		}
		if (!nrows[t])
			continue;
		if (t == WT_BLOCKS || t == WT_TRANSACTIONS || t == WT_LOGS)
			s = write_rows(conn, (enum wt)t, &text, nrows[t],
				       &conflict, &counts->rows[t], err, errlen,
				       sqlstate);
		else
			s = copy_in(conn, (enum wt)t, 0, &text, err, errlen,
				    sqlstate);
	}
	buf_release(&text);
	for (int t = WT_REORGS; s == DB_OK && t < WT_NTABLES; t++) {
		if (t == WT_CANONICAL && nrows[WT_REORGS]) {
			s = run(conn, tombstone_sql, NULL, err, errlen,
				sqlstate);
			if (s != DB_OK)
				break;
		} else if (!nrows[t]) {
			continue;
		}
		s = run(conn, insert_sql[t], &counts->rows[t], err, errlen,
			sqlstate);
	}
	if (s == DB_OK)
		s = run(conn, "COMMIT", NULL, err, errlen, sqlstate);
	if (s != DB_OK && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return s;
}

enum db_status pg_clean_orphans(PGconn *conn, long long keep_ms,
				long long *deleted)
{
	char lock[96], sql[1024], err[256], st[6];
	enum db_status s;

	*deleted = 0;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, 0)",
		 DB_LOCK_CLEANUP);
	/* One statement: the CTEs see one snapshot, and under the exclusive
	 * lock no writer can point canonical at a block being deleted. */
	snprintf(sql, sizeof(sql),
		 "WITH doomed AS ("
		 " SELECT b.chain_id, b.hash FROM blocks b"
		 " WHERE b.timestamp < now() - interval '%lld milliseconds'"
		 " AND NOT EXISTS (SELECT 1 FROM canonical c"
		 "  WHERE c.chain_id = b.chain_id AND c.hash = b.hash)),"
		 " dl AS (DELETE FROM logs l USING doomed d"
		 "  WHERE l.chain_id = d.chain_id AND l.block_hash = d.hash),"
		 " dt AS (DELETE FROM transactions t USING doomed d"
		 "  WHERE t.chain_id = d.chain_id AND t.block_hash = d.hash)"
		 " DELETE FROM blocks b USING doomed d"
		 " WHERE b.chain_id = d.chain_id AND b.hash = d.hash",
		 keep_ms);
	s = run(conn, "BEGIN", NULL, err, sizeof(err), st);
	if (s == DB_OK)
		s = run(conn, "SET LOCAL lock_timeout = '10s'", NULL, err,
			sizeof(err), st);
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
