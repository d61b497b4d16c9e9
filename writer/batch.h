/* The batch: decoded messages held until they are committed, and the
 * COPY text of each table made from them, in key order and deduplicated.
 *
 * The batch owns its messages; batch_release() frees them. */
#ifndef WRITER_BATCH_H
#define WRITER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "decode.h"

struct batch {
	struct wmsg **msgs;
	size_t n, cap;
	size_t nblocks, nreorgs;
	size_t nlive; /* blocks with live: true */
	/* The newest reorg still waits for the tip of its new branch: the
	 * block at that height, of that chain, with a larger seq. */
	bool awaits_branch;
	uint64_t await_chain, await_height, await_seq;
};

#define BATCH_INIT { NULL, 0, 0, 0, 0, 0, false, 0, 0, 0 }

void batch_init(struct batch *b);
/* Free every message and the array. */
void batch_release(struct batch *b);
/* Free every message, keep the array. */
void batch_reset(struct batch *b);
/* Append m (the batch takes it). 0, or -1 when out of memory (then m is
 * freed). A reorg naming its new tip sets awaits_branch; the block of
 * that tip clears it. */
int batch_push(struct batch *b, struct wmsg *m);

/* Decode and append: wmsg_decode() then batch_push(). Out of memory is
 * reported as DECODE_MALFORMED with why "out of memory". */
enum decode_result batch_add(struct batch *b, const struct decode_opts *o,
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
