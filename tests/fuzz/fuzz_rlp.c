/* libFuzzer target: the strict RLP decoder (rlp_decode, walked
 * recursively into lists) and header hashing (header_rlp, header_hash,
 * header_inspect) of a block object given as JSON text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "hex.h"
#include "log.h"
#include "rlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t len, int depth)
{
	struct rlp_item it;
	const char *why;

	while (len > 0 && depth < 64) {
		if (rlp_decode(p, len, &it, &why) < 0)
			return;
		if (it.size == 0 || it.size > len ||
		    it.payload < p || it.payload + it.len > p + it.size)
			abort(); /* the item must lie inside the input */
		if (it.kind == RLP_LIST)
			walk(it.payload, it.len, depth + 1);
		p += it.size;
		len -= it.size;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, why[256], hash[HASH_HEX_SIZE];
	struct buf out;
	struct header_info hi;

	log_set_level(LOG_ERROR);
	walk(data, size, 0);

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	buf_init(&out, 1 << 20);
	if (header_rlp(s, size, &out, why, sizeof(why)) == 0)
		walk((const uint8_t *)out.data, out.len, 0);
	buf_release(&out);
	header_hash(s, size, hash, why, sizeof(why));
	header_inspect(s, size, &hi, why, sizeof(why));
	free(s);
	return 0;
}
