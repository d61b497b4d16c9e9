#include "sender.h"

#include <stdlib.h>
#include <string.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "keccak.h"
#include "banned.h"

struct sender {
	secp256k1_context *ctx;
};

struct sender *sender_new(void)
{
	struct sender *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
	if (!s->ctx) {
		free(s);
		return NULL;
	}
	return s;
}

void sender_free(struct sender **s)
{
	if (!*s)
		return;
	secp256k1_context_destroy((*s)->ctx);
	free(*s);
	*s = NULL;
}

int sender_recover(struct sender *ctx, const uint8_t hash[32],
		   const uint8_t r[32], const uint8_t s[32], int recid,
		   uint8_t addr[20])
{
	secp256k1_ecdsa_recoverable_signature sig;
	secp256k1_pubkey pub;
	uint8_t rs[64], raw[65], h[32];
	size_t len = sizeof(raw);

	if (recid < 0 || recid > 3)
		return -1;
	memcpy(rs, r, 32);
	memcpy(rs + 32, s, 32);
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx->ctx, &sig,
								 rs, recid) ||
	    !secp256k1_ecdsa_recover(ctx->ctx, &pub, &sig, hash) ||
	    !secp256k1_ec_pubkey_serialize(ctx->ctx, raw, &len, &pub,
					   SECP256K1_EC_UNCOMPRESSED))
		return -1;
	keccak256(raw + 1, 64, h);
	memcpy(addr, h + 12, 20);
	return 0;
}

void sender_create_address(const uint8_t from[20], const uint8_t nonce[32],
			   uint8_t addr[20])
{
	uint8_t enc[64], h[32];
	size_t n = 0, i = 0;

	while (i < 32 && !nonce[i])
		i++;
	/* rlp[from, nonce]: 0xc0+len, 0x94 from, then the nonce */
	enc[n++] = 0;
	enc[n++] = 0x94;
	memcpy(enc + n, from, 20);
	n += 20;
	if (i == 32) {
		enc[n++] = 0x80;
	} else if (i == 31 && nonce[31] < 0x80) {
		enc[n++] = nonce[31];
	} else {
		enc[n++] = (uint8_t)(0x80 + (32 - i));
		memcpy(enc + n, nonce + i, 32 - i);
		n += 32 - i;
	}
	enc[0] = (uint8_t)(0xc0 + (n - 1)); /* at most 54: short form */
	keccak256(enc, n, h);
	memcpy(addr, h + 12, 20);
}
