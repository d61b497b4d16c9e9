/* Transactions of a block, re-encoded from the node's JSON (one object of
 * eth_getBlockByNumber(n, true)'s "transactions") into their canonical
 * EIP-2718 envelope, the bytes the transactions trie holds and whose
 * Keccak-256 is the transaction hash:
 *
 *   legacy   rlp[nonce, gasPrice, gas, to, value, input, v, r, s]
 *   0x01     0x01 || rlp[chainId, nonce, gasPrice, gas, to, value, input,
 *                        accessList, yParity, r, s]            (EIP-2930)
 *   0x02     0x02 || rlp[chainId, nonce, maxPriorityFeePerGas,
 *                        maxFeePerGas, gas, to, value, input, accessList,
 *                        yParity, r, s]                         (EIP-1559)
 *   0x03     as 0x02 with maxFeePerBlobGas, blobVersionedHashes before
 *            the signature, as in a block: without sidecar     (EIP-4844)
 *   0x04     as 0x02 with authorizationList [[chainId, address, nonce,
 *            yParity, r, s]...] before the signature           (EIP-7702)
 *
 * and the hash its sender signed (legacy with or without EIP-155 replay
 * protection), for recovering the sender.
 *
 * struct txenc lives in the caller's memory; txenc_release() frees its
 * buffers. One struct may encode many transactions in turn. */
#ifndef TXENC_H
#define TXENC_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "buf.h"

struct txenc {
	unsigned type;       /* 0 (legacy) .. 4 */
	struct buf env;      /* the envelope */
	uint8_t hash[32];    /* Keccak-256 of env */
	uint8_t sighash[32]; /* what the sender signed */
	uint8_t r[32], s[32];
	int recid;           /* 0 or 1 */
	uint8_t nonce[32];   /* big-endian */
	int create;          /* "to" is null: a contract creation */
	int no_sighash;      /* set by the caller: skip sighash, r, s, recid */
	struct buf fields, scratch, item, entry, list; /* work space */
};

#define TXENC_INIT { 0, BUF_INIT, { 0 }, { 0 }, { 0 }, { 0 }, 0, { 0 }, 0, \
		     0, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT }

enum txenc_status {
	TXENC_OK = 0,
	TXENC_UNKNOWN_TYPE = 1, /* a type this code does not know */
	TXENC_BAD = -1,         /* a field missing or not the hex it must be */
};

/* Encode the transaction object tx into e. On TXENC_BAD the name of the
 * offending field is written into why; on TXENC_UNKNOWN_TYPE its type. */
enum txenc_status txenc_encode(struct txenc *e, yajl_val tx, char *why,
			       size_t whylen);

void txenc_release(struct txenc *e);

#endif
