/* Recursive Length Prefix (RLP), Ethereum's serialisation (yellow paper,
 * appendix B): encoding into a struct buf, and a strict decoder of one
 * item at a time for tests and tools.
 *
 * Encoders append to the caller's buffer and return 0, or -1 when the
 * buffer's cap is reached (out of memory). A list is built by encoding its
 * items into a buffer of their own and wrapping it with rlp_put_list(). */
#ifndef RLP_H
#define RLP_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* A byte string: a single byte below 0x80 is itself; otherwise a length
 * prefix (0x80+len, or 0xb7+len-of-len and the length) and the bytes. */
int rlp_put_bytes(struct buf *out, const void *p, size_t len);
/* An unsigned integer as its minimal big-endian byte string (0 is the
 * empty string, 0x80). */
int rlp_put_uint(struct buf *out, uint64_t v);
/* A big-endian integer of any width: leading zero bytes are dropped. */
int rlp_put_uint_be(struct buf *out, const uint8_t *p, size_t len);
/* A list whose items, already encoded, are payload[0..len). */
int rlp_put_list(struct buf *out, const void *payload, size_t len);

enum rlp_kind { RLP_STRING, RLP_LIST };

struct rlp_item {
	enum rlp_kind kind;
	const uint8_t *payload; /* string bytes, or the encoded list items */
	size_t len;             /* payload length */
	size_t size;            /* whole item, prefix included */
};

/* Decode the item at p[0..len) (the input may hold more after it).
 * Strict: rejects non-canonical encodings (a single byte below 0x80 with a
 * prefix, a long form for a short length, leading zeros in a length) and
 * lengths past the end. 0, or -1 with a reason in *why. */
int rlp_decode(const uint8_t *p, size_t len, struct rlp_item *item,
	       const char **why);

#endif
