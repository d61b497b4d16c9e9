/* Who sent a transaction: the address recovered from its ECDSA signature
 * over secp256k1 (libsecp256k1's recovery module), and the address of the
 * contract a creation makes (Keccak-256 of rlp[sender, nonce], last 20
 * bytes).
 *
 * A struct sender holds a libsecp256k1 context; make it once (it is not
 * cheap) with sender_new() and free it with sender_free(). */
#ifndef SENDER_H
#define SENDER_H

#include <stdint.h>

struct sender;

/* NULL when out of memory. */
struct sender *sender_new(void);
/* Frees s and sets *s to NULL. */
void sender_free(struct sender **s);

/* The address that signed hash with (r, s, recid). 0, or -1 when the
 * signature is not valid (r or s zero or out of range, no point). High s
 * is accepted, as it was before Homestead. */
int sender_recover(struct sender *ctx, const uint8_t hash[32],
		   const uint8_t r[32], const uint8_t s[32], int recid,
		   uint8_t addr[20]);

/* The address of the contract created by from with nonce (big-endian). */
void sender_create_address(const uint8_t from[20], const uint8_t nonce[32],
			   uint8_t addr[20]);

#endif
