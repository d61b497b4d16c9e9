/* Committing a batch to PostgreSQL in one transaction: COPY the rows
 * straight into the tables while they are all new, else into temporary
 * tables, then INSERT ... SELECT ... ON CONFLICT into the real ones, in
 * key order (docs/writer.md, DESCRIPTION).
 *
 * Functions return the db_status of the failure (common/db.h) so the
 * caller can tell a retry from a reconnect from a refusal; after a
 * failure the transaction is rolled back (when the connection lives). */
#ifndef WRITER_PG_H
#define WRITER_PG_H

#include <stddef.h>
#include <libpq-fe.h>

#include "batch.h"
#include "db.h"

/* Rows a commit wrote (conflicts excluded), by table. For WT_CANONICAL:
 * pointers and tombstones inserted or replaced. */
struct pg_counts {
	long long rows[WT_NTABLES];
};

/* Prepare a new connection (its settings). The schema must be there;
 * the temporary tables are made when a batch first needs them. */
enum db_status pg_session_init(PGconn *conn);

/* Write messages [from, to) of the batch in one transaction. On failure
 * err holds the server's reason and sqlstate the SQLSTATE ("" when none;
 * at least 6 bytes). */
enum db_status pg_write(PGconn *conn, const struct batch *b, size_t from,
			size_t to, struct pg_counts *counts, char *err,
			size_t errlen, char *sqlstate);

/* Delete blocks, with their transactions and logs, that no canonical row
 * points to and whose timestamp is older than keep_ms. recent_ms 0 looks
 * at every block (a scan of the table); recent_ms > 0 only at the heights
 * of the reorgs recorded in the last recent_ms (a block is orphaned only
 * by a reorg or a repair over its height, and each is recorded in
 * `reorgs`): index lookups, whatever the chain's length. Serialized
 * against every writer's batches by an advisory lock (DB_LOCK_CLEANUP). */
enum db_status pg_clean_orphans(PGconn *conn, long long keep_ms,
				long long recent_ms, long long *deleted);

#endif
