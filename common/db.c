#include "db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "banned.h"

int db_check_dsn(const char *dsn, char *why, size_t whylen)
{
	char *err = NULL;
	PQconninfoOption *o;

	if (!dsn || !*dsn) {
		snprintf(why, whylen, "empty connection string");
		return -1;
	}
	o = PQconninfoParse(dsn, &err);
	if (!o) {
		snprintf(why, whylen, "%s", err ? err : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		PQfreemem(err);
		return -1;
	}
	PQconninfoFree(o);
	return 0;
}

void db_redact_dsn(const char *dsn, char *out, size_t outlen)
{
	const char *p;
	size_t n = 0;

	if (!outlen)
		return;
	out[0] = '\0';
	if (!dsn)
		return;
	if (strstr(dsn, "://")) {
		/* URI: user:password@ goes, and so does a password= query
		 * parameter (log_redact_url drops the whole query). */
		log_redact_url(dsn, out, outlen);
		return;
	}
	/* key=value form: copy, masking the value of password. */
	p = dsn;
	while (*p && n + 1 < outlen) {
		if (!strncmp(p, "password", 8) && (p == dsn || p[-1] == ' ')) {
			const char *q = p + 8;

			while (*q == ' ')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ')
					q++;
				snprintf(out + n, outlen - n, "password=***");
				n = strlen(out);
				if (*q == '\'') {
					for (q++; *q && *q != '\''; q++)
						if (*q == '\\' && q[1])
							q++;
					if (*q)
						q++;
				} else {
					while (*q && *q != ' ')
						q++;
				}
				p = q;
				continue;
			}
		}
		out[n++] = *p++;
		out[n] = '\0';
	}
}

static void notice_to_log(void *arg, const char *message)
{
	char line[512];

	(void)arg;
	snprintf(line, sizeof(line), "%s", message);
	line[strcspn(line, "\n")] = '\0';
	log_debug("postgresql notice: %s", line);
}

PGconn *db_connect(const char *dsn)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { dsn, "blockpipe", NULL };
	char red[512], err[512];
	PGconn *c;

	c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		log_error("cannot connect to PostgreSQL: out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		db_redact_dsn(dsn, red, sizeof(red));
		db_error_line(c, NULL, err, sizeof(err));
		log_at(LOG_ERROR, LOGF(LF_S("dsn", red), LF_S("error", err)),
		       "cannot connect to PostgreSQL '%s'", red);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice_to_log, NULL);
	return c;
}

const char *db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

const char *db_error_line(PGconn *conn, const PGresult *res, char *out,
			  size_t outlen)
{
	const char *m = NULL;

	if (res)
		m = PQresultErrorMessage(res);
	if ((!m || !*m) && conn)
		m = PQerrorMessage(conn);
	if (!m || !*m)
		m = "unknown error";
	/* libpq prefixes "ERROR:  " and may span lines (DETAIL, HINT). */
	if (!strncmp(m, "ERROR:  ", 8))
		m += 8;
	else if (!strncmp(m, "FATAL:  ", 8))
		m += 8;
	snprintf(out, outlen, "%s", m);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

enum db_status db_classify(PGconn *conn, const PGresult *res)
{
	const char *st;

	if (res) {
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_COPY_IN:
		case PGRES_EMPTY_QUERY:
			return DB_OK;
		default:
			break;
		}
	}
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return DB_CONN;
	st = db_sqlstate(res);
	if (!strcmp(st, "40P01") || !strcmp(st, "40001") ||
	    !strcmp(st, "55P03") || !strcmp(st, "57014"))
		return DB_RETRY;
	/* 08: connection exception; 57P01..03: admin shutdown, crash
	 * shutdown, cannot connect now; 53: out of resources. */
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3) ||
	    !strncmp(st, "53", 2))
		return DB_CONN;
	if (!*st)
		return DB_CONN; /* no SQLSTATE: lost in transit */
	return DB_FATAL;
}

enum db_status db_exec(PGconn *conn, const char *what, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	enum db_status s = db_classify(conn, r);

	if (s != DB_OK) {
		char err[512];

		db_error_line(conn, r, err, sizeof(err));
		log_at(LOG_WARN, LOGF(LF_S("sqlstate", db_sqlstate(r)),
				      LF_S("error", err)),
		       "cannot %s", what);
	}
	PQclear(r);
	return s;
}

enum db_status db_query_i64(PGconn *conn, const char *sql, int nparams,
			    const char *const *params, int64_t *out,
			    int *isnull)
{
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL,
				   NULL, 0);
	enum db_status s = db_classify(conn, r);
	char err[512];

	if (s != DB_OK) {
		db_error_line(conn, r, err, sizeof(err));
		log_at(LOG_WARN, LOGF(LF_S("sqlstate", db_sqlstate(r)),
				      LF_S("error", err)),
		       "query failed: %.80s", sql);
		goto out;
	}
	if (PQntuples(r) != 1 || PQnfields(r) != 1) {
		log_warn("query returned %d rows, expected one: %.80s",
			 PQntuples(r), sql);
		s = DB_FATAL;
		goto out;
	}
	if (isnull)
		*isnull = PQgetisnull(r, 0, 0);
	*out = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
out:
	PQclear(r);
	return s;
}

int db_apply_schema(PGconn *conn)
{
	char lock[128], ver[160];
	int64_t have = 0;
	int isnull = 1;
	enum db_status s;

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, 0)",
		 DB_LOCK_SCHEMA);
	if (db_exec(conn, "begin the schema transaction", "BEGIN") != DB_OK)
		return -1;
	if (db_exec(conn, "take the schema lock", lock) != DB_OK)
		goto fail;
	s = db_query_i64(conn,
			 "SELECT CASE WHEN to_regclass('schema_version') IS NULL"
			 " THEN NULL ELSE 0 END", 0, NULL, &have, &isnull);
	if (s != DB_OK)
		goto fail;
	if (!isnull) {
		s = db_query_i64(conn, "SELECT max(version) FROM schema_version",
				 0, NULL, &have, &isnull);
		if (s != DB_OK)
			goto fail;
		if (!isnull && have >= DB_SCHEMA_VERSION) {
			if (have > DB_SCHEMA_VERSION)
				log_warn("database schema version %" PRId64
					 " is newer than this program's (%d)",
					 have, DB_SCHEMA_VERSION);
			return db_exec(conn, "commit", "COMMIT") == DB_OK ? 0 : -1;
		}
	}
	/* Quiet the "already exists, skipping" notices. */
	if (db_exec(conn, "set client_min_messages",
		    "SET LOCAL client_min_messages = warning") != DB_OK)
		goto fail;
	if (db_exec(conn, "apply the schema", db_schema_sql) != DB_OK)
		goto fail;
	snprintf(ver, sizeof(ver),
		 "INSERT INTO schema_version (version) VALUES (%d)"
		 " ON CONFLICT DO NOTHING", DB_SCHEMA_VERSION);
	if (db_exec(conn, "record the schema version", ver) != DB_OK)
		goto fail;
	if (db_exec(conn, "commit the schema", "COMMIT") != DB_OK)
		return -1;
	log_info("schema version %d applied", DB_SCHEMA_VERSION);
	return 0;
fail:
	PQclear(PQexec(conn, "ROLLBACK"));
	return log_error("cannot apply the schema");
}

static void u64s(char *out, size_t len, uint64_t v)
{
	snprintf(out, len, "%" PRIu64, v);
}

enum db_status db_resume_height(PGconn *conn, uint64_t chain_id,
				uint64_t start, uint64_t *out)
{
	char a[24], b[24];
	const char *p[2] = { a, b };
	int64_t v;
	int isnull;
	enum db_status s;

	u64s(a, sizeof(a), chain_id);
	u64s(b, sizeof(b), start);
	s = db_query_i64(conn, "SELECT blockpipe_resume_height($1, $2)", 2, p,
			 &v, &isnull);
	if (s == DB_OK)
		*out = isnull ? start : (uint64_t)v;
	return s;
}

enum db_status db_advance_watermark(PGconn *conn, uint64_t chain_id,
				    uint64_t start, int64_t hint, int64_t *out)
{
	char a[24], b[24], c[24];
	const char *p[3] = { a, b, hint >= 0 ? c : NULL };
	int isnull;
	enum db_status s;

	u64s(a, sizeof(a), chain_id);
	u64s(b, sizeof(b), start);
	snprintf(c, sizeof(c), "%" PRId64, hint);
	s = db_query_i64(conn, "SELECT blockpipe_advance_watermark($1, $2, $3)",
			 3, p, out, &isnull);
	if (s == DB_OK && isnull)
		*out = (int64_t)start - 1;
	return s;
}

enum db_status db_next_epoch(PGconn *conn, uint64_t chain_id,
			     uint64_t *epoch)
{
	char a[24];
	const char *p[1] = { a };
	int64_t v;
	enum db_status s;

	u64s(a, sizeof(a), chain_id);
	s = db_query_i64(conn, "SELECT blockpipe_next_epoch($1)", 1, p, &v,
			 NULL);
	if (s == DB_OK)
		*epoch = (uint64_t)v;
	return s;
}

PGresult *db_query_rows(PGconn *conn, const char *sql, int nparams,
			const char *const *params, enum db_status *s)
{
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL,
				   NULL, 0);

	*s = db_classify(conn, r);
	if (*s != DB_OK) {
		char err[512];

		db_error_line(conn, r, err, sizeof(err));
		log_at(LOG_WARN, LOGF(LF_S("sqlstate", db_sqlstate(r)),
				      LF_S("error", err)),
		       "query failed: %.80s", sql);
		PQclear(r);
		return NULL;
	}
	return r;
}

/* *out = calloc(rows, size), or DB_FATAL with a log line. */
static enum db_status alloc_rows(PGresult *r, size_t size, void **out)
{
	int rows = PQntuples(r);

	*out = NULL;
	if (rows <= 0)
		return DB_OK;
	*out = calloc((size_t)rows, size);
	if (*out)
		return DB_OK;
	log_error("out of memory");
	return DB_FATAL;
}

/* Room for a uint64_t in decimal, with its NUL. */
#define U64_TEXT_SIZE 24
/* The most parameters query_u64_rows() takes. */
#define U64_PARAMS_MAX 8

/* Run sql with the nvals parameters vals (as decimal text) and
 * allocate one zeroed record of size bytes a row into *rows (NULL when
 * there is none). The result, or NULL with the status in *s (logged);
 * the caller fills the records and PQclear()s the result. */
static PGresult *query_u64_rows(PGconn *conn, const char *sql, int nvals,
				const uint64_t *vals, size_t size,
				void **rows, enum db_status *s)
{
	char text[U64_PARAMS_MAX][U64_TEXT_SIZE];
	const char *p[U64_PARAMS_MAX];
	PGresult *r;

	*rows = NULL;
	if (nvals > U64_PARAMS_MAX) {
		*s = DB_FATAL;
		log_error("internal: %d query parameters, at most %d", nvals,
			  U64_PARAMS_MAX);
		return NULL;
	}
	for (int i = 0; i < nvals; i++) {
		u64s(text[i], sizeof(text[i]), vals[i]);
		p[i] = text[i];
	}
	r = db_query_rows(conn, sql, nvals, p, s);
	if (!r)
		return NULL;
	*s = alloc_rows(r, size, rows);
	if (*s != DB_OK) {
		PQclear(r);
		return NULL;
	}
	return r;
}

enum db_status db_canonical_range(PGconn *conn, uint64_t chain_id,
				  uint64_t from, uint64_t to,
				  struct db_canonical **out, size_t *n)
{
	const uint64_t v[] = { chain_id, from, to };
	enum db_status s;
	PGresult *r;
	void *mem;

	*n = 0;
	r = query_u64_rows(conn, "SELECT c.number, COALESCE('0x' ||"
			   " encode(c.hash, 'hex'), ''), COALESCE('0x' ||"
			   " encode(b.parent_hash, 'hex'), ''), c.seq FROM"
			   " canonical c LEFT JOIN blocks b ON b.chain_id ="
			   " c.chain_id AND b.hash = c.hash WHERE c.chain_id = $1"
			   " AND c.number BETWEEN $2 AND $3 ORDER BY c.number",
			   3, v, sizeof(**out), &mem, &s);
	*out = mem;
	if (!r)
		return s;
	for (int i = 0; i < PQntuples(r); i++) {
		struct db_canonical *e = &(*out)[i];

		e->number = strtoull(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(e->hash, sizeof(e->hash), "%s", PQgetvalue(r, i, 1));
		snprintf(e->parent, sizeof(e->parent), "%s",
			 PQgetvalue(r, i, 2));
		e->seq = strtoull(PQgetvalue(r, i, 3), NULL, 10);
		*n = (size_t)i + 1;
	}
	PQclear(r);
	return DB_OK;
}

enum db_status db_audit(PGconn *conn, uint64_t chain_id, uint64_t start,
			uint64_t from, uint64_t to, size_t max,
			struct db_audit_row **out, size_t *n)
{
	const uint64_t v[] = { chain_id, start, from, to, max };
	enum db_status s;
	PGresult *r;
	void *mem;

	*n = 0;
	r = query_u64_rows(conn, "SELECT number, COALESCE('0x' || encode(hash,"
			   " 'hex'), ''), problem FROM blockpipe_audit($1, $2,"
			   " $3, $4) LIMIT $5", 5, v, sizeof(**out), &mem, &s);
	*out = mem;
	if (!r)
		return s;
	for (int i = 0; i < PQntuples(r); i++) {
		struct db_audit_row *w = &(*out)[i];

		w->number = strtoull(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(w->hash, sizeof(w->hash), "%s", PQgetvalue(r, i, 1));
		w->missing = !strcmp(PQgetvalue(r, i, 2), "missing");
		*n = (size_t)i + 1;
	}
	PQclear(r);
	return DB_OK;
}

enum db_status db_record_reorg(PGconn *conn, uint64_t chain_id,
			       const struct db_reorg *r)
{
	char v[9][24];
	const char *p[16];
	enum db_status s;
	PGresult *res;

	u64s(v[0], sizeof(v[0]), chain_id);
	u64s(v[1], sizeof(v[1]), r->seq);
	u64s(v[2], sizeof(v[2]), r->ancestor);
	u64s(v[3], sizeof(v[3]), r->old_tip);
	u64s(v[4], sizeof(v[4]), r->new_tip);
	u64s(v[5], sizeof(v[5]), r->depth);
	u64s(v[6], sizeof(v[6]), r->invalidate_from);
	u64s(v[7], sizeof(v[7]), r->invalidate_to);
	snprintf(v[8], sizeof(v[8]), "%lld", r->at_ms);
	p[0] = v[0];
	p[1] = v[1];
	p[2] = r->have_ancestor ? v[2] : NULL;
	p[3] = r->ancestor_hash;
	p[4] = v[3];
	p[5] = r->old_tip_hash;
	p[6] = v[4];
	p[7] = r->new_tip_hash;
	p[8] = v[5];
	p[9] = r->orphaned_json;
	p[10] = v[6];
	p[11] = v[7];
	p[12] = r->deep ? "t" : "f";
	p[13] = r->below_finalized ? "t" : "f";
	p[14] = r->repair ? "t" : "f";
	p[15] = v[8];
	res = db_query_rows(conn, "SELECT blockpipe_record_reorg($1, $2, $3, $4,"
			 " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
			 " $16)", 16, p, &s);
	PQclear(res);
	return s;
}

enum db_status db_reorg_sent(PGconn *conn, uint64_t chain_id, uint64_t seq)
{
	const uint64_t v[] = { chain_id, seq };
	enum db_status s;
	void *none;
	PGresult *r = query_u64_rows(conn, "SELECT blockpipe_reorg_sent($1, $2)",
				     2, v, 1, &none, &s);

	free(none);
	PQclear(r);
	return r ? DB_OK : s;
}

enum db_status db_unsent_reorgs(PGconn *conn, uint64_t chain_id, size_t max,
				struct db_unsent_reorg **out, size_t *n)
{
	const uint64_t v[] = { chain_id, max };
	enum db_status s;
	PGresult *r;
	void *mem;

	*n = 0;
	r = query_u64_rows(conn, "SELECT seq, message FROM"
			   " blockpipe_unsent_reorgs($1, $2)", 2, v,
			   sizeof(**out), &mem, &s);
	*out = mem;
	if (!r)
		return s;
	for (int i = 0; i < PQntuples(r); i++) {
		struct db_unsent_reorg *u = &(*out)[i];

		u->seq = strtoull(PQgetvalue(r, i, 0), NULL, 10);
		u->message = strdup(PQgetvalue(r, i, 1));
		if (!u->message) {
			log_error("out of memory");
			s = DB_FATAL;
			break;
		}
		*n = (size_t)i + 1;
	}
	PQclear(r);
	if (s != DB_OK) {
		db_unsent_reorgs_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return s;
}

void db_unsent_reorgs_free(struct db_unsent_reorg *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].message);
	free(rows);
}

enum db_status db_lock_held(PGconn *conn, int32_t classid, int32_t objid,
			    int *held)
{
	char a[16], b[16];
	const char *p[2] = { a, b };
	int64_t v;
	enum db_status s;

	snprintf(a, sizeof(a), "%d", (int)classid);
	snprintf(b, sizeof(b), "%d", (int)objid);
	/* The two-int form of an advisory lock shows as classid, objid and
	 * objsubid 2 in pg_locks (objid as an oid: the int's bits). */
	s = db_query_i64(conn, "SELECT count(*) FROM pg_locks"
			 " WHERE locktype = 'advisory' AND granted"
			 " AND pid = pg_backend_pid() AND objsubid = 2"
			 " AND classid = ($1::int::bigint & 4294967295)::text::oid"
			 " AND objid = ($2::int::bigint & 4294967295)::text::oid",
			 2, p, &v, NULL);
	if (s == DB_OK)
		*held = v > 0;
	return s;
}

enum db_status db_try_session_lock(PGconn *conn, int32_t classid,
				   int32_t objid, int *got)
{
	char a[16], b[16];
	const char *p[2] = { a, b };
	int64_t v;
	enum db_status s;

	snprintf(a, sizeof(a), "%d", (int)classid);
	snprintf(b, sizeof(b), "%d", (int)objid);
	s = db_query_i64(conn, "SELECT pg_try_advisory_lock($1::int, $2::int)::int",
			 2, p, &v, NULL);
	if (s == DB_OK)
		*got = v == 1;
	return s;
}
