/* RLP items from the node's JSON values (0x-hex strings of a yajl tree),
 * for re-encoding what a node sent: transactions, receipts, withdrawals.
 *
 * Each function appends one RLP item to out and returns 0, or -1 when the
 * value is absent, not a string or not the hex it must be (or out of
 * memory). Nothing is kept: the caller owns out and the tree. */
#ifndef JRLP_H
#define JRLP_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

struct buf;

/* A quantity ("0x1a", up to 256 bits) as a minimal big-endian integer.
 * Leading zero digits are accepted and dropped. */
int jrlp_qty(struct buf *out, yajl_val v);
/* A byte string of exactly width bytes (hash, address, bloom). */
int jrlp_fixed(struct buf *out, yajl_val v, size_t width);
/* A recipient: 20 bytes, or the empty string when v is null or absent
 * (contract creation). */
int jrlp_to(struct buf *out, yajl_val v);
/* A byte string of any length ("0x" is empty); decoded through scratch. */
int jrlp_data(struct buf *out, yajl_val v, struct buf *scratch);
/* A list of fixed-width strings (topics, storage keys, blob hashes). */
int jrlp_fixed_list(struct buf *out, yajl_val v, size_t width,
		    struct buf *scratch);

/* A quantity up to 256 bits as 32 big-endian bytes. 0 or -1. */
int jrlp_qty32(yajl_val v, uint8_t out[32]);
/* Exactly width bytes into out. 0 or -1. */
int jrlp_bytes(yajl_val v, uint8_t *out, size_t width);

#endif
