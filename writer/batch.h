/* Decoding the verifier's messages into rows, and the batch that holds
 * them until they are committed.
 *
 * Every message is validated completely while it is decoded, before any
 * SQL runs: a malformed message is refused here (with a reason) and never
 * reaches the database, so the rest of its batch commits. A decoded
 * message keeps its rows as COPY text (PostgreSQL's text format, one line
 * a row, columns in the order of batch_columns()).
 *
 * The batch owns its messages; batch_release() frees them. */
#ifndef WRITER_BATCH_H
#define WRITER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The tables a batch writes, in the order a transaction writes them (the
 * same order in every writer, so concurrent writers take row locks in one
 * order). WT_CANONICAL holds block pointers only: tombstones are made in
 * SQL from the reorgs rows. */
enum wt {
	WT_BLOCKS,
	WT_TRANSACTIONS,
	WT_LOGS,
	WT_REORGS,
	WT_CANONICAL,
	WT_NTABLES
};

/* "blocks", "transactions", ... */
const char *batch_table_name(enum wt t);
/* The column list of the COPY text for a table: "chain_id, hash, ...". */
const char *batch_columns(enum wt t);

struct batch_opts {
	/* Accept messages without seq, using the block number as seq
	 * (straight from the fetcher, no verifier). Reorgs always need a
	 * seq. */
	bool allow_unsequenced;
	/* Largest invalidate_to - invalidate_from + 1 a reorg may ask for. */
	uint64_t max_reorg_range;
};

#define BATCH_OPTS_INIT { false, 10000000 }

enum wmsg_kind { WMSG_BLOCK, WMSG_REORG };

/* One decoded message. */
struct wmsg {
	enum wmsg_kind kind;
	uint64_t chain_id;
	uint64_t seq;
	uint64_t number;   /* block: its height; reorg: invalidate_from */
	uint64_t number_to; /* block: its height; reorg: invalidate_to */
	uint8_t hash[32];  /* block hash (zero for a reorg) */
	struct buf rows[WT_NTABLES];
	size_t nrows[WT_NTABLES];
};

void wmsg_free(struct wmsg **m);

/* What became of a message. */
enum batch_result {
	BATCH_ADDED,       /* decoded and queued */
	BATCH_IGNORED,     /* heartbeat, committed, or an unknown type */
	BATCH_MALFORMED,   /* refused: why says what is wrong */
	BATCH_DUPLICATE,   /* refused as malformed: an object of it repeats
			      a key (why: "duplicate key 'K' in PATH") */
	BATCH_UNSEQUENCED, /* no seq and allow_unsequenced is off */
};

/* Decode one message (len bytes of JSON, NUL-terminated at len). On
 * BATCH_ADDED *out is a new message owned by the caller; otherwise *out
 * is NULL and why says what happened (for IGNORED: the type). type gets
 * the message's type ("block", "heartbeat", "?" when there is none). */
enum batch_result wmsg_decode(const char *json, size_t len,
			      const struct batch_opts *o, struct wmsg **out,
			      char *type, size_t typelen, char *why,
			      size_t whylen);

struct batch {
	struct wmsg **msgs;
	size_t n, cap;
	size_t nblocks, nreorgs;
};

#define BATCH_INIT { NULL, 0, 0, 0, 0 }

void batch_init(struct batch *b);
/* Free every message and the array. */
void batch_release(struct batch *b);
/* Free every message, keep the array. */
void batch_reset(struct batch *b);
/* Append m (the batch takes it). 0, or -1 when out of memory (then m is
 * freed). */
int batch_push(struct batch *b, struct wmsg *m);

/* Decode and append: wmsg_decode() then batch_push(). Out of memory is
 * reported as BATCH_MALFORMED with why "out of memory". */
enum batch_result batch_add(struct batch *b, const struct batch_opts *o,
			    const char *json, size_t len, char *type,
			    size_t typelen, char *why, size_t whylen);

/* The COPY text for table t from messages [from, to) of the batch,
 * appended to out, and the number of rows. Rows are ordered by key and
 * deduplicated: a block seen twice gives its rows once; for each (chain,
 * height) only the block pointer with the largest seq is kept; a reorg
 * seen twice gives one row. 0, or -1 when out of memory. */
int batch_copy_text(const struct batch *b, size_t from, size_t to,
		    enum wt t, struct buf *out, size_t *nrows);

#endif
