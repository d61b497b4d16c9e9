/* Keccak-256 as Ethereum uses it: the original Keccak padding (0x01 ..
 * 0x80), not the FIPS 202 SHA3-256 padding (0x06 .. 0x80). Built on
 * nettle's Keccak-f[1600] permutation (sha3_permute); rate 136 bytes.
 *
 * A struct keccak256 lives in the caller's memory and holds nothing to
 * release. */
#ifndef KECCAK_H
#define KECCAK_H

#include <stddef.h>
#include <stdint.h>

#include "hex.h"

#define KECCAK256_DIGEST_SIZE 32
#define KECCAK256_RATE 136

struct keccak256 {
	uint64_t a[25];
	uint8_t block[KECCAK256_RATE];
	size_t index;
};

void keccak256_init(struct keccak256 *k);
void keccak256_update(struct keccak256 *k, const void *data, size_t len);
/* Write the 32-byte digest; the context is re-initialised after. */
void keccak256_final(struct keccak256 *k, uint8_t out[KECCAK256_DIGEST_SIZE]);

/* One-shot digest of data[0..len). */
void keccak256(const void *data, size_t len,
	       uint8_t out[KECCAK256_DIGEST_SIZE]);

/* Write "0x" + 64 lowercase hex digits and a NUL into out[HASH_HEX_SIZE]. */
void keccak256_hex(const uint8_t digest[KECCAK256_DIGEST_SIZE], char out[HASH_HEX_SIZE]);

#endif
