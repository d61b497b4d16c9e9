#include "receipt.h"

#include <stdio.h>
#include <string.h>

#include "jrlp.h"
#include "json.h"
#include "keccak.h"
#include "rlp.h"
#include "banned.h"

void bloom_add(uint8_t bloom[BLOOM_SIZE], const void *p, size_t n)
{
	uint8_t h[32];

	keccak256(p, n, h);
	for (int i = 0; i < 6; i += 2) {
		unsigned bit = ((unsigned)h[i] << 8 | h[i + 1]) & 2047u;

		bloom[BLOOM_SIZE - 1 - bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
}

static int fail(char *why, size_t whylen, const char *what, size_t j)
{
	if (j == (size_t)-1)
		snprintf(why, whylen, "%s", what);
	else
		snprintf(why, whylen, "logs[%zu].%s", j, what);
	return -1;
}

/* [address, [topic...], data] */
static int put_log(struct rcptenc *e, yajl_val lg, size_t j, char *why,
		   size_t whylen)
{
	yajl_val topics = json_get(lg, "topics");
	uint8_t b[32];

	buf_reset(&e->log);
	if (jrlp_bytes(json_get(lg, "address"), b, 20) < 0 ||
	    rlp_put_bytes(&e->log, b, 20) < 0)
		return fail(why, whylen, "address", j);
	if (!topics || !YAJL_IS_ARRAY(topics))
		return fail(why, whylen, "topics", j);
	buf_reset(&e->payload);
	for (size_t k = 0; k < topics->u.array.len; k++)
		if (jrlp_bytes(topics->u.array.values[k], b, 32) < 0 ||
		    rlp_put_bytes(&e->payload, b, 32) < 0)
			return fail(why, whylen, "topics", j);
	if (rlp_put_list(&e->log, e->payload.data, e->payload.len) < 0 ||
	    jrlp_data(&e->log, json_get(lg, "data"), &e->scratch) < 0)
		return fail(why, whylen, "data", j);
	return rlp_put_list(&e->logs, e->log.data, e->log.len);
}

/* Before Byzantium (EIP-658) the first item is the post-state root. */
static int put_status(struct rcptenc *e, yajl_val rc)
{
	yajl_val root = json_get(rc, "root");
	uint64_t st;

	if (root && YAJL_IS_STRING(root) && json_is_hex_len(root->u.string, 32))
		return jrlp_fixed(&e->payload, root, 32);
	if (json_get_u64(rc, "status", &st) < 0 || st > 1)
		return -1;
	return st ? rlp_put_bytes(&e->payload, "\x01", 1)
		  : rlp_put_bytes(&e->payload, "", 0);
}

int rcptenc_encode(struct rcptenc *e, yajl_val rc, unsigned type, char *why,
		   size_t whylen)
{
	yajl_val logs;

	buf_reset(&e->logs);
	if (!rc || !YAJL_IS_OBJECT(rc))
		return fail(why, whylen, "receipt (not an object)", (size_t)-1);
	logs = json_get(rc, "logs");
	if (!logs || !YAJL_IS_ARRAY(logs))
		return fail(why, whylen, "logs", (size_t)-1);
	for (size_t j = 0; j < logs->u.array.len; j++)
		if (put_log(e, logs->u.array.values[j], j, why, whylen) < 0)
			return -1;
	if (jrlp_bytes(json_get(rc, "logsBloom"), e->sent, BLOOM_SIZE) < 0)
		return fail(why, whylen, "logsBloom", (size_t)-1);
	buf_reset(&e->payload);
	if (put_status(e, rc) < 0)
		return fail(why, whylen, "status", (size_t)-1);
	if (jrlp_qty(&e->payload, json_get(rc, "cumulativeGasUsed")) < 0)
		return fail(why, whylen, "cumulativeGasUsed", (size_t)-1);
	buf_reset(&e->enc);
	if (rlp_put_bytes(&e->payload, e->sent, BLOOM_SIZE) < 0 ||
	    rlp_put_list(&e->payload, e->logs.data, e->logs.len) < 0 ||
	    (type && buf_addch(&e->enc, (char)type) < 0) ||
	    rlp_put_list(&e->enc, e->payload.data, e->payload.len) < 0)
		return fail(why, whylen, "receipt (out of memory)", (size_t)-1);
	return 0;
}

int receipt_bloom(yajl_val rc, uint8_t bloom[BLOOM_SIZE])
{
	yajl_val logs = json_get(rc, "logs");
	uint8_t b[32];

	memset(bloom, 0, BLOOM_SIZE);
	if (!logs || !YAJL_IS_ARRAY(logs))
		return -1;
	for (size_t j = 0; j < logs->u.array.len; j++) {
		yajl_val lg = logs->u.array.values[j];
		yajl_val topics = json_get(lg, "topics");

		if (jrlp_bytes(json_get(lg, "address"), b, 20) < 0 || !topics ||
		    !YAJL_IS_ARRAY(topics))
			return -1;
		bloom_add(bloom, b, 20);
		for (size_t k = 0; k < topics->u.array.len; k++) {
			if (jrlp_bytes(topics->u.array.values[k], b, 32) < 0)
				return -1;
			bloom_add(bloom, b, 32);
		}
	}
	return 0;
}

void rcptenc_release(struct rcptenc *e)
{
	buf_release(&e->enc);
	buf_release(&e->payload);
	buf_release(&e->logs);
	buf_release(&e->log);
	buf_release(&e->scratch);
}
