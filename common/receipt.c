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

/* Call item(ctx, p, n) with what the bloom of the log lg takes, in the
 * order its encoding holds it: its address (n 20), then each topic (n
 * 32). NULL, or the name of the field that is not one or that item
 * refused ("address", "topics"). Inline, so that in the encoder item is
 * put_item's code, not a call a topic (bench: no more instructions than
 * the walk written out). */
static inline const char *
log_walk(yajl_val lg, int (*item)(void *ctx, const uint8_t *p, size_t n),
	 void *ctx)
{
	yajl_val topics = json_get(lg, "topics");
	uint8_t b[32];

	if (jrlp_bytes(json_get(lg, "address"), b, 20) < 0 ||
	    item(ctx, b, 20) < 0)
		return "address";
	if (!topics || !YAJL_IS_ARRAY(topics))
		return "topics";
	for (size_t k = 0; k < topics->u.array.len; k++)
		if (jrlp_bytes(topics->u.array.values[k], b, 32) < 0 ||
		    item(ctx, b, 32) < 0)
			return "topics";
	return NULL;
}

/* The address into e->log, the topics into e->payload. */
static int put_item(void *ctx, const uint8_t *p, size_t n)
{
	struct rcptenc *e = ctx;

	return rlp_put_bytes(n == 20 ? &e->log : &e->payload, p, n);
}

/* [address, [topic...], data] */
static int put_log(struct rcptenc *e, yajl_val lg, size_t j, char *why,
		   size_t whylen)
{
	const char *bad;

	buf_reset(&e->log);
	buf_reset(&e->payload);
	if ((bad = log_walk(lg, put_item, e)))
		return fail(why, whylen, bad, j);
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

static int add_item(void *bloom, const uint8_t *p, size_t n)
{
	bloom_add(bloom, p, n);
	return 0;
}

int receipt_bloom(yajl_val rc, uint8_t bloom[BLOOM_SIZE])
{
	yajl_val logs = json_get(rc, "logs");

	memset(bloom, 0, BLOOM_SIZE);
	if (!logs || !YAJL_IS_ARRAY(logs))
		return -1;
	for (size_t j = 0; j < logs->u.array.len; j++)
		if (log_walk(logs->u.array.values[j], add_item, bloom))
			return -1;
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
