/* Receipts of a block re-encoded from the node's JSON (one object of
 * eth_getBlockReceipts) into the bytes the receipts trie holds:
 *
 *   rlp[statusOrRoot, cumulativeGasUsed, logsBloom, logs]
 *   logs: [[address, [topic...], data]...]
 *
 * prefixed with the transaction's type byte for typed transactions
 * (EIP-2718). statusOrRoot is the post-state root before Byzantium (a
 * "root" member of 32 bytes), the status (empty for 0, 0x01 for 1) after.
 * And the logs bloom (yellow paper 4.3.1): for the address and every
 * topic of every log, three bits picked from Keccak-256 of it. The
 * encoding takes the receipt's logsBloom as sent (the receipts root
 * covers it); receipt_bloom() computes the bloom of its logs, which is
 * a Keccak-256 for each address and topic: on a mainnet block a fifth
 * of the body check's hashing, so the checker does it only to explain a
 * root or bloom that differs.
 *
 * struct rcptenc lives in the caller's memory; rcptenc_release() frees
 * its buffers. */
#ifndef RECEIPT_H
#define RECEIPT_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "buf.h"

#define BLOOM_SIZE 256

struct rcptenc {
	struct buf enc;             /* the encoded receipt */
	uint8_t sent[BLOOM_SIZE];   /* its logsBloom as sent */
	struct buf payload, logs, log, scratch; /* work space */
};

#define RCPTENC_INIT { BUF_INIT, { 0 }, BUF_INIT, BUF_INIT, BUF_INIT, \
		       BUF_INIT }

/* Set the three bloom bits of the item p[0..n) in bloom. */
void bloom_add(uint8_t bloom[BLOOM_SIZE], const void *p, size_t n);

/* Encode the receipt object rc of a transaction of the given type (0 ..
 * 4) into e->enc, reading its logsBloom into e->sent. 0, or -1 with the
 * offending field's name in why. */
int rcptenc_encode(struct rcptenc *e, yajl_val rc, unsigned type, char *why,
		   size_t whylen);

/* The bloom of the logs of the receipt object rc into bloom: 0, or -1
 * when a log's address or topics are not what rcptenc_encode() takes. */
int receipt_bloom(yajl_val rc, uint8_t bloom[BLOOM_SIZE]);

void rcptenc_release(struct rcptenc *e);

#endif
