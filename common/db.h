/* PostgreSQL helpers shared by the writer and the verifier (libpq).
 *
 * Connections come from db_connect() and belong to the caller (PQfinish).
 * The schema (common/schema.sql) is compiled into the library and applied
 * by db_apply_schema(); docs/schema.md describes it. Functions that log
 * do so with the subject first and the server's message in "error";
 * DSNs are logged with their password redacted. */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "hex.h"

/* The version db_apply_schema() records in schema_version. Bump it when
 * common/schema.sql changes in a way an older database must receive
 * (5: the broadcaster's resume from the database; 6: reorgs.unsent, the
 * reorgs a verifier sends again at start). */
#define DB_SCHEMA_VERSION 6

/* The text of common/schema.sql, NUL-terminated (generated at build time
 * into build/common/schema_sql.c). */
extern const char db_schema_sql[];
extern const size_t db_schema_sql_len;

/* Does dsn parse as a libpq connection string or URI? 0, or -1 with the
 * reason in why (for a configuration error, exit status 2). */
int db_check_dsn(const char *dsn, char *why, size_t whylen);

/* Copy dsn into out with any password replaced by "***". */
void db_redact_dsn(const char *dsn, char *out, size_t outlen);

/* Connect. NULL on failure with an error line naming the redacted DSN and
 * the server's reason. Notices go to the debug log. */
PGconn *db_connect(const char *dsn);

/* Apply the embedded schema: idempotent and safe to run from many
 * processes at once (it holds an advisory transaction lock while it
 * works). Skips the work when schema_version already holds
 * DB_SCHEMA_VERSION or more. 0, or -1 with a log line. */
int db_apply_schema(PGconn *conn);

/* How a failed command should be handled. */
enum db_status {
	DB_OK = 0,
	DB_RETRY,  /* deadlock, serialization failure, lock timeout: roll
		      back and run the transaction again */
	DB_CONN,   /* the connection is gone or the server is shutting down:
		      reconnect, then run it again */
	DB_FATAL,  /* anything else (bad data, a missing table) */
};

/* Classify a result (NULL counts as a failure) together with the
 * connection state. PGRES_COMMAND_OK, PGRES_TUPLES_OK and PGRES_COPY_IN
 * are DB_OK. */
enum db_status db_classify(PGconn *conn, const PGresult *res);

/* The SQLSTATE of a result, or "" when there is none. */
const char *db_sqlstate(const PGresult *res);

/* The first line of the connection's (or the result's, when res is not
 * NULL) error message, copied into out. Returns out. */
const char *db_error_line(PGconn *conn, const PGresult *res, char *out,
			  size_t outlen);

/* Run one command that returns no rows. The status as db_classify; on
 * failure a warn line with what (a short description) and the error. */
enum db_status db_exec(PGconn *conn, const char *what, const char *sql);

/* Run a query with text parameters (NULL entries are SQL NULL) that
 * returns rows: the result (PQclear it), or NULL with *s set and a warn
 * line naming the query and the server's error. */
PGresult *db_query_rows(PGconn *conn, const char *sql, int nparams,
			const char *const *params, enum db_status *s);

/* Run a query with text parameters whose result is one bigint (or NULL:
 * *isnull is set). The status as db_classify, with a log line on
 * failure. */
enum db_status db_query_i64(PGconn *conn, const char *sql, int nparams,
			    const char *const *params, int64_t *out,
			    int *isnull);

/* blockpipe_resume_height(chain, start): the first height >= start
 * without a canonical block. */
enum db_status db_resume_height(PGconn *conn, uint64_t chain_id,
				uint64_t start, uint64_t *out);

/* blockpipe_advance_watermark(chain, start, hint): the highest height h
 * with every height in [start, h] canonical (start - 1 when none, so -1
 * for start 0), from a watermark known before (hint; < 0: none), and
 * remembered in the watermarks table (the writer's, after a commit), so
 * resume heights and later watermarks need not walk the chain. */
enum db_status db_advance_watermark(PGconn *conn, uint64_t chain_id,
				    uint64_t start, int64_t hint,
				    int64_t *out);

/* blockpipe_next_epoch(chain): increments and returns the epoch. */
enum db_status db_next_epoch(PGconn *conn, uint64_t chain_id,
			     uint64_t *epoch);

/* One row of the canonical table. hash is "0x" + 64 hex digits, or ""
 * for a tombstone; parent is the parent hash of the block row it points
 * to, or "" when that row is missing (or for a tombstone). */
struct db_canonical {
	uint64_t number;
	char hash[HASH_HEX_SIZE];
	char parent[HASH_HEX_SIZE];
	uint64_t seq;
};

/* The canonical rows with from <= number <= to, ascending: *out is
 * malloc'd (free(3) it). For the verifier's window of recent hashes. */
enum db_status db_canonical_range(PGconn *conn, uint64_t chain_id,
				  uint64_t from, uint64_t to,
				  struct db_canonical **out, size_t *n);

/* A height blockpipe_audit() found wrong: its canonical block is missing,
 * or its parent link to the height below is broken. hash as in struct
 * db_canonical. */
struct db_audit_row {
	uint64_t number;
	char hash[HASH_HEX_SIZE];
	int missing; /* 1: no block; 0: a broken parent link */
};

/* blockpipe_audit(chain, start, from, to), at most max rows: *out is
 * malloc'd (free(3) it), *n its length. */
enum db_status db_audit(PGconn *conn, uint64_t chain_id, uint64_t start,
			uint64_t from, uint64_t to, size_t max,
			struct db_audit_row **out, size_t *n);

/* A reorg (or a repair) as blockpipe_record_reorg() records it: one
 * `reorgs` row and tombstones with its seq over invalidate_from..to.
 * Hashes are "0x..." or "" (NULL); orphaned_json is the JSON array of
 * {number, hash} objects. */
struct db_reorg {
	uint64_t seq;
	int have_ancestor;
	uint64_t ancestor;
	const char *ancestor_hash;
	uint64_t old_tip;
	const char *old_tip_hash;
	uint64_t new_tip;
	const char *new_tip_hash;
	uint64_t depth;
	const char *orphaned_json;
	uint64_t invalidate_from, invalidate_to;
	int deep, below_finalized, repair;
	long long at_ms;
};

enum db_status db_record_reorg(PGconn *conn, uint64_t chain_id,
			       const struct db_reorg *r);

/* blockpipe_reorg_sent(chain, seq): the verifier sent the reorg message
 * of seq; it is no longer unsent. */
enum db_status db_reorg_sent(PGconn *conn, uint64_t chain_id, uint64_t seq);

/* A reorg recorded but not confirmed sent: its seq and its message as
 * blockpipe_unsent_reorgs() builds it (NUL-terminated, malloc'd). */
struct db_unsent_reorg {
	uint64_t seq;
	char *message;
};

/* blockpipe_unsent_reorgs(chain), at most max rows in seq order: *out is
 * malloc'd, *n its length; free both with db_unsent_reorgs_free(). */
enum db_status db_unsent_reorgs(PGconn *conn, uint64_t chain_id, size_t max,
				struct db_unsent_reorg **out, size_t *n);
void db_unsent_reorgs_free(struct db_unsent_reorg *rows, size_t n);

/* Does this connection hold the session advisory lock (classid, objid)?
 * *held is 1 when it does. A lost connection is DB_CONN. */
enum db_status db_lock_held(PGconn *conn, int32_t classid, int32_t objid,
			    int *held);

/* pg_try_advisory_lock(classid, objid) for the session (e.g. one verifier
 * per chain: classid = DB_LOCK_VERIFIER, objid = chain id). *got is 1
 * when the lock is now held by this connection. */
enum db_status db_try_session_lock(PGconn *conn, int32_t classid,
				   int32_t objid, int *got);

/* Advisory lock classes (the first key of the two-int form). */
#define DB_LOCK_SCHEMA 0x62700001   /* db_apply_schema */
#define DB_LOCK_VERIFIER 0x62700002 /* one verifier per chain */
#define DB_LOCK_CLEANUP 0x62700003  /* writers (shared) vs orphan clean-up */

#endif
