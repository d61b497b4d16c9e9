/* bodyfault: the lies of a buggy or hostile node about a block's body,
 * for faultproxy. Each fault rewrites the raw JSON of a block (the result
 * of eth_getBlockByNumber(n, true)) and of its receipts (the result of
 * eth_getBlockReceipts(n)) and leaves the header alone: the block's hash
 * stays the node's, so that only a check of the body against the
 * header's roots, or of the JSON itself, can tell.
 *
 * The functions only read their input; what they produce goes into
 * buffers the caller owns (buf_release). */
#ifndef BODYFAULT_H
#define BODYFAULT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

enum body_fault {
	BF_DROP_TX,     /* the last transaction and its receipt dropped */
	BF_TX_VALUE,    /* the first transaction's value changed */
	BF_LOG_ADDRESS, /* the first log's address and data changed */
	BF_LOG_TOPIC,   /* the first log's last topic changed */
	BF_DROP_LOG,    /* the first log dropped */
	BF_SWAP_TX,     /* the first two transactions swapped, and their
			   receipts */
	BF_STATUS,      /* the first receipt's status flipped */
	BF_DUP_KEYS,    /* a fake "timestamp" and "miner" before the real
			   ones in the block object */
	BF_DUP_RESULT,  /* the JSON-RPC answer holds two "result" members: a
			   fake block first (tx-value's), then the node's */
	BF_COUNT,
};

extern const char *const body_fault_names[BF_COUNT];

/* The fake members BF_DUP_KEYS puts first, as they appear in the output. */
#define BODY_FAKE_MEMBERS                                                   \
	"\"timestamp\":\"0x1\","                                            \
	"\"miner\":\"0x00000000000000000000000000000000000000ba\","

/* Apply f to a block (blen bytes of JSON) and its receipts (rlen bytes;
 * rcpts NULL when the answer holds none). Returns 1 when applied: bout
 * holds the new block (for BF_DUP_RESULT the fake block to place before
 * the node's result, which stays), rout the new receipts, or nothing
 * when they are unchanged. Returns 0 when the fault does not fit this
 * block (no transaction, no log, no receipts...), -1 when the input is
 * not what a node sends or memory ran out; *why says which. */
int body_fault_apply(enum body_fault f, const char *block, size_t blen,
		     const char *rcpts, size_t rlen, struct buf *bout,
		     struct buf *rout, const char **why);

/* The params of eth_getBlockByNumber or eth_getBlockReceipts, e.g.
 * ["0x2",true] or ["0x2"]: the height and whether full transactions are
 * asked for. 0, or -1 when the first param is not a hex quantity (a tag
 * such as "latest", a block hash). */
int body_params(const char *params, size_t len, uint64_t *number, int *full);

/* The offset in answer of the opening quote of the "result" key whose
 * value starts at result_off, or (size_t)-1. */
size_t body_result_key(const char *answer, size_t result_off);

/* Every fault on a built-in block of two transactions with logs, each
 * result checked; one line per case on out. Returns the number of
 * failed cases. */
int body_fault_self_test(FILE *out);

#endif
