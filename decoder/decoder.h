/* The decoder: decoded event tables from the raw logs the writers
 * committed (docs/decoder.md, docs/decoding.md).
 *
 * decoder_setup() creates each table of the file, its canonical_* view
 * and its row in decoder_progress; decoder_run() then follows the
 * committed watermark, decoding the logs of canonical blocks table by
 * table, and rewinds a table's progress to below each reorg it has not
 * seen. Rows are keyed by (chain_id, block_hash, log_index) and written
 * with ON CONFLICT DO NOTHING, so decoding twice, or from two decoders, is
 * harmless. */
#ifndef DECODER_H
#define DECODER_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "tables.h"
#include "metrics.h"

struct decoder_cfg {
	const char *db;
	const char *config_path;
	long long chain_id;
	long long start;
	long long batch_blocks;
	long long poll_ms;
	bool once;            /* decode up to the watermark, then exit */
	struct config tables; /* loaded by main */
	struct metrics *metrics;
};

/* The tables, views and progress rows (idempotent). 0, 2 when the
 * database holds a table of that name for another event (a configuration
 * error), or 1 on a database failure. */
int decoder_setup(PGconn *conn, const struct decoder_cfg *cfg);

/* Follow the watermark until SIGTERM (or, with once, until every table
 * has reached it). The exit status: 0, 1 on a failure that reconnecting
 * does not mend, 2 as decoder_setup. */
int decoder_run(struct decoder_cfg *cfg);

#endif
