/* Decoding the verifier's messages into the rows the writer commits.
 *
 * Every message is validated completely while it is decoded, before any
 * SQL runs: a malformed message is refused here (with a reason) and never
 * reaches the database, so the rest of its batch commits. A decoded
 * message keeps its rows as COPY text (PostgreSQL's text format, one line
 * a row, columns in the order of wt_columns()).
 *
 * wmsg_decode() hands out a new message; the caller owns it and frees it
 * with wmsg_free(). */
#ifndef WRITER_DECODE_H
#define WRITER_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A block or transaction hash, a topic, a root. */
#define HASH_BYTES 32

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
const char *wt_name(enum wt t);
/* The column list of the COPY text for a table: "chain_id, hash, ...". */
const char *wt_columns(enum wt t);

struct decode_opts {
	/* Accept messages without seq, using the block number as seq
	 * (straight from the fetcher, no verifier). Reorgs always need a
	 * seq. */
	bool allow_unsequenced;
	/* Largest invalidate_to - invalidate_from + 1 a reorg may ask for. */
	uint64_t max_reorg_range;
};

#define DECODE_OPTS_INIT { false, 10000000 }

enum wmsg_kind { WMSG_BLOCK, WMSG_REORG };

/* One decoded message. */
struct wmsg {
	enum wmsg_kind kind;
	uint64_t chain_id;
	uint64_t seq;
	uint64_t number;   /* block: its height; reorg: invalidate_from */
	uint64_t number_to; /* block: its height; reorg: invalidate_to */
	/* reorg: the height of the new branch's tip, when the reorg names
	 * one (the writer holds the reorg until that block joins it) */
	bool has_new_tip;
	uint64_t new_tip;
	bool live; /* block: the message's live flag (a block at the tip) */
	uint8_t hash[HASH_BYTES]; /* block hash (zero for a reorg) */
	struct buf rows[WT_NTABLES];
	size_t nrows[WT_NTABLES];
};

void wmsg_free(struct wmsg **m);

/* What became of a message. */
enum decode_result {
	DECODE_ADDED,       /* decoded (and queued, for batch_add) */
	DECODE_IGNORED,     /* heartbeat, committed, or an unknown type */
	DECODE_MALFORMED,   /* refused: why says what is wrong */
	DECODE_DUPLICATE,   /* refused as malformed: an object of it repeats
			       a key (why: "duplicate key 'K' in PATH") */
	DECODE_UNSEQUENCED, /* no seq and allow_unsequenced is off */
};

/* Decode one message (len bytes of JSON, NUL-terminated at len). On
 * DECODE_ADDED *out is a new message owned by the caller; otherwise *out
 * is NULL and why says what happened (for IGNORED: the type). type gets
 * the message's type ("block", "heartbeat", "?" when there is none). */
enum decode_result wmsg_decode(const char *json, size_t len,
			       const struct decode_opts *o, struct wmsg **out,
			       char *type, size_t typelen, char *why,
			       size_t whylen);

#endif
