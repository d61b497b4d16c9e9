#include "keccak.h"

#include <string.h>
#include <nettle/sha3.h>

#include "hex.h"
#include "banned.h"

/* nettle's state is 25 little-endian lanes, a[x + 5y]; the byte order of
 * the sponge is the little-endian byte order of the lanes. */
static void absorb(struct keccak256 *k, const uint8_t *blk)
{
	struct sha3_state st;

	for (size_t i = 0; i < KECCAK256_RATE / 8; i++) {
		uint64_t w = 0;

		for (int j = 7; j >= 0; j--)
			w = (w << 8) | blk[i * 8 + (size_t)j];
		k->a[i] ^= w;
	}
	memcpy(st.a, k->a, sizeof(st.a));
	sha3_permute(&st);
	memcpy(k->a, st.a, sizeof(st.a));
}

void keccak256_init(struct keccak256 *k)
{
	memset(k, 0, sizeof(*k));
}

void keccak256_update(struct keccak256 *k, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (k->index) {
		size_t take = KECCAK256_RATE - k->index;

		if (take > len)
			take = len;
		memcpy(k->block + k->index, p, take);
		k->index += take;
		p += take;
		len -= take;
		if (k->index < KECCAK256_RATE)
			return;
		absorb(k, k->block);
		k->index = 0;
	}
	while (len >= KECCAK256_RATE) {
		absorb(k, p);
		p += KECCAK256_RATE;
		len -= KECCAK256_RATE;
	}
	if (len) {
		memcpy(k->block, p, len);
		k->index = len;
	}
}

void keccak256_final(struct keccak256 *k, uint8_t out[KECCAK256_DIGEST_SIZE])
{
	memset(k->block + k->index, 0, KECCAK256_RATE - k->index);
	k->block[k->index] ^= 0x01;
	k->block[KECCAK256_RATE - 1] ^= 0x80;
	absorb(k, k->block);
	for (size_t i = 0; i < KECCAK256_DIGEST_SIZE; i++)
		out[i] = (uint8_t)(k->a[i / 8] >> (8 * (i % 8)));
	keccak256_init(k);
}

void keccak256(const void *data, size_t len,
	       uint8_t out[KECCAK256_DIGEST_SIZE])
{
	struct keccak256 k;

	keccak256_init(&k);
	keccak256_update(&k, data, len);
	keccak256_final(&k, out);
}

void keccak256_hex(const uint8_t digest[KECCAK256_DIGEST_SIZE],
		  char out[HASH_HEX_SIZE])
{
	hex_encode(digest, KECCAK256_DIGEST_SIZE, out);
}
