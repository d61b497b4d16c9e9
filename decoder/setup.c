/* The decoder's tables, views and progress rows (decoder.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "decoder.h"
#include "log.h"
#include "banned.h"

#define DB_LOCK_DECODER 0x62700004 /* decoder DDL, beside db.h's classes */

static const char progress_sql[] =
	"CREATE TABLE IF NOT EXISTS decoder_progress ("
	" chain_id bigint NOT NULL, table_name text NOT NULL,"
	" signature text NOT NULL, height bigint NOT NULL,"
	" reorg_seq bigint NOT NULL DEFAULT 0,"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (chain_id, table_name))";

/* CREATE TABLE, its index and its view, for one table. */
static int table_ddl(const struct config_table *t, struct buf *b)
{
	int r = 0;

	r |= buf_addf(b, "CREATE TABLE IF NOT EXISTS \"%s\" ("
		      " chain_id bigint NOT NULL, block_hash bytea NOT NULL,"
		      " log_index integer NOT NULL, block_number bigint NOT NULL,"
		      " tx_hash bytea NOT NULL, tx_index integer NOT NULL,"
		      " address bytea NOT NULL", t->name);
	for (size_t i = 0; i < t->ncols; i++)
		r |= buf_addf(b, ", \"%s\" %s", t->cols[i].name,
			      abi_col_sql(t->cols[i].col));
	r |= buf_addf(b, ", PRIMARY KEY (chain_id, block_hash, log_index));"
		      "CREATE INDEX IF NOT EXISTS \"%s_number_idx\" ON \"%s\""
		      " (chain_id, block_number);"
		      "CREATE OR REPLACE VIEW \"canonical_%s\" AS SELECT d.*"
		      " FROM canonical c JOIN \"%s\" d ON d.chain_id = c.chain_id"
		      " AND d.block_hash = c.hash;",
		      t->name, t->name, t->name, t->name);
	return r ? -1 : 0;
}

/* Does the table hold the columns the file gives it (it may be older than
 * the file)? 0, 2 when not, 1 on a database failure. */
static int check_columns(PGconn *conn, const struct config_table *t)
{
	static const char *const fixed[][2] = {
		{ "chain_id", "bigint" }, { "block_hash", "bytea" },
		{ "log_index", "integer" }, { "block_number", "bigint" },
		{ "tx_hash", "bytea" }, { "tx_index", "integer" },
		{ "address", "bytea" },
	};
	char rel[CONFIG_NAME_MAX + 3];
	const char *p[1] = { rel };
	PGresult *r;
	int rc = 0;
	size_t n = 7 + t->ncols;

	snprintf(rel, sizeof(rel), "\"%s\"", t->name);
	r = PQexecParams(conn,
			 "SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
			 " FROM pg_attribute a WHERE a.attrelid = to_regclass($1)"
			 " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
			 1, NULL, p, NULL, NULL, 0);
	if (db_classify(conn, r) != DB_OK) {
		PQclear(r);
		return 1;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const char *name = i < 7 ? fixed[i][0] : t->cols[i - 7].name;
		const char *type = i < 7 ? fixed[i][1] : abi_col_sql(t->cols[i - 7].col);
		if ((int)i >= PQntuples(r) || strcmp(PQgetvalue(r, (int)i, 0), name) ||
		    strcmp(PQgetvalue(r, (int)i, 1), type)) {
			log_at(LOG_ERROR, LOGF(LF_S("table", t->name), LF_S("column", name),
					       LF_S("type", type)),
			       "table '%s' exists without the column '%s' %s at"
			       " position %zu: drop it (and its decoder_progress row)"
			       " or name the table otherwise", t->name, name, type, i + 1);
			rc = 2;
		}
	}
	if (!rc && PQntuples(r) != (int)n) {
		log_at(LOG_ERROR, LOGF(LF_S("table", t->name)),
		       "table '%s' exists with %d columns, the file gives it %zu",
		       t->name, PQntuples(r), n);
		rc = 2;
	}
	PQclear(r);
	return rc;
}

/* The progress row; 2 when it names another event. */
static int progress_row(PGconn *conn, const struct decoder_cfg *cfg,
			const struct config_table *t)
{
	char chain[24], start[24];
	const char *p[4] = { chain, t->name, t->event->signature, start };
	PGresult *r;
	int rc = 0;

	snprintf(chain, sizeof(chain), "%lld", cfg->chain_id);
	snprintf(start, sizeof(start), "%lld", cfg->start - 1);
	r = PQexecParams(conn,
			 "INSERT INTO decoder_progress (chain_id, table_name,"
			 " signature, height) VALUES ($1, $2, $3, $4)"
			 " ON CONFLICT (chain_id, table_name) DO UPDATE"
			 " SET updated_at = decoder_progress.updated_at"
			 " RETURNING signature",
			 4, NULL, p, NULL, NULL, 0);
	if (db_classify(conn, r) != DB_OK) {
		char err[256];
		db_error_line(conn, r, err, sizeof(err));
		log_at(LOG_ERROR, LOGF(LF_S("table", t->name), LF_S("error", err)),
		       "cannot record the progress of table '%s'", t->name);
		rc = 1;
	} else if (strcmp(PQgetvalue(r, 0, 0), t->event->signature)) {
		log_at(LOG_ERROR, LOGF(LF_S("table", t->name),
				       LF_S("signature", PQgetvalue(r, 0, 0)),
				       LF_S("want", t->event->signature)),
		       "table '%s' holds another event: drop it (and its"
		       " decoder_progress row) or name the table otherwise",
		       t->name);
		rc = 2;
	}
	PQclear(r);
	return rc;
}

int decoder_setup(PGconn *conn, const struct decoder_cfg *cfg)
{
	struct buf b = BUF_INIT;
	char lock[96];
	int rc = 1;

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, %lld)",
		 DB_LOCK_DECODER, cfg->chain_id & 0x7fffffff);
	if (db_exec(conn, "begin", "BEGIN") != DB_OK)
		return 1;
	if (db_exec(conn, "the decoder lock", lock) != DB_OK ||
	    db_exec(conn, "decoder_progress", progress_sql) != DB_OK)
		goto fail;
	for (size_t i = 0; i < cfg->tables.ntables; i++) {
		const struct config_table *t = &cfg->tables.tables[i];
		buf_reset(&b);
		if (table_ddl(t, &b) < 0)
			goto fail;
		if (db_exec(conn, t->name, b.data) != DB_OK)
			goto fail;
		if ((rc = check_columns(conn, t)) != 0 ||
		    (rc = progress_row(conn, cfg, t)) != 0)
			goto fail;
		rc = 1;
	}
	if (db_exec(conn, "commit", "COMMIT") != DB_OK)
		goto out;
	rc = 0;
	goto out;
fail:
	PQclear(PQexec(conn, "ROLLBACK"));
out:
	buf_release(&b);
	return rc;
}
