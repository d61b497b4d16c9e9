/* bench/json's driver: parse a synthetic 1 MB block message (hundreds of
 * transactions and receipts with logs) with json_parse and json_members,
 * next to yajl's bare tree parser on the same bytes. Built by bench/json
 * against the json.c (and writer/batch.c) under test. Prints: name, ms a
 * parse, MB/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "buf.h"
#include "json.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hex(struct buf *b, const char *key, unsigned seed, int bytes)
{
	buf_addf(b, "\"%s\":\"0x", key);
	for (int i = 0; i < bytes; i++)
		buf_addf(b, "%02x", (seed * 2654435761u + (unsigned)i * 40503u) >> 24);
	buf_adds(b, "\",");
}

static void obj_end(struct buf *b)
{
	b->data[b->len - 1] = '}';
}

static void make_block(struct buf *b, int ntx)
{
	static const char *const h32[] = { "hash", "parentHash", "sha3Uncles",
		"stateRoot", "transactionsRoot", "receiptsRoot", "mixHash" };

	/* the message's hash and parent_hash are the block's (seeds 0, 1) */
	buf_adds(b, "{\"type\":\"block\",\"chain_id\":1,\"number\":100,");
	hex(b, "hash", 0, 32);
	hex(b, "parent_hash", 1, 32);
	buf_adds(b, "\"live\":true,\"seq\":7,\"fetched_at\":1,\"block\":{");
	for (size_t i = 0; i < sizeof(h32) / sizeof(*h32); i++)
		hex(b, h32[i], (unsigned)i, 32);
	hex(b, "miner", 9, 20);
	hex(b, "logsBloom", 10, 256);
	buf_adds(b, "\"number\":\"0x64\",\"gasLimit\":\"0x1c9c380\","
		 "\"gasUsed\":\"0x5208\",\"timestamp\":\"0x65f0a0b0\","
		 "\"extraData\":\"0x\",\"nonce\":\"0x0000000000000000\","
		 "\"difficulty\":\"0x0\",\"baseFeePerGas\":\"0x7\","
		 "\"size\":\"0x1000\",\"uncles\":[],\"transactions\":[");
	for (int t = 0; t < ntx; t++) {
		buf_addch(b, '{');
		hex(b, "hash", (unsigned)t * 7 + 1, 32);
		hex(b, "blockHash", 1, 32);
		hex(b, "from", (unsigned)t, 20);
		hex(b, "to", (unsigned)t + 3, 20);
		hex(b, "input", (unsigned)t, 68);
		hex(b, "r", (unsigned)t, 32);
		hex(b, "s", (unsigned)t + 1, 32);
		buf_addf(b, "\"blockNumber\":\"0x64\",\"transactionIndex\":\"0x%x\","
			 "\"value\":\"0xde0b6b3a7640000\",\"gas\":\"0x5208\","
			 "\"gasPrice\":\"0x3b9aca00\",\"maxFeePerGas\":\"0x3b9aca00\","
			 "\"maxPriorityFeePerGas\":\"0x1\",\"nonce\":\"0x%x\","
			 "\"type\":\"0x2\",\"chainId\":\"0x1\",\"v\":\"0x0\","
			 "\"yParity\":\"0x0\",\"accessList\":[],", t, t);
		obj_end(b);
		buf_addch(b, ',');
	}
	b->len--;
	buf_adds(b, "]},\"receipts\":[");
	for (int t = 0; t < ntx; t++) {
		buf_addch(b, '{');
		hex(b, "transactionHash", (unsigned)t * 7 + 1, 32);
		hex(b, "blockHash", 1, 32);
		hex(b, "logsBloom", (unsigned)t, 256);
		buf_addf(b, "\"status\":\"0x1\",\"gasUsed\":\"0x5208\","
			 "\"cumulativeGasUsed\":\"0x%x\",\"contractAddress\":null,"
			 "\"effectiveGasPrice\":\"0x3b9aca00\",\"logs\":[", t * 21000);
		for (int l = 0; l < 2; l++) {
			buf_addch(b, '{');
			hex(b, "address", (unsigned)t, 20);
			buf_adds(b, "\"topics\":[");
			for (int k = 0; k < 3; k++) {
				hex(b, "x", (unsigned)(t + k), 32);
			}
			b->len--;
			/* hex() wrote "x":"0x..", keep only the strings */
			buf_adds(b, "],");
			hex(b, "data", (unsigned)l, 64);
			buf_addf(b, "\"logIndex\":\"0x%x\",\"removed\":false,", t * 2 + l);
			obj_end(b);
			buf_addch(b, ',');
		}
		b->len--;
		buf_adds(b, "]}");
		buf_addch(b, ',');
	}
	b->len--;
	buf_adds(b, "]}");
}

static int count_cb(void *arg, const struct json_member *m)
{
	(void)m;
	(*(long *)arg)++;
	return 0;
}

int main(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	int ntx = argc > 1 ? atoi(argv[1]) : 400;
	int iters = argc > 2 ? atoi(argv[2]) : 40;
	double t0, dt[4];
	struct decode_opts bo = DECODE_OPTS_INIT;
	char err[256];
	long n = 0;

	make_block(&b, ntx);
	/* topics were written as "x":"0x.." members; make them strings */
	for (size_t i = 0; i + 5 < b.len; i++)
		if (!memcmp(b.data + i, "[\"x\":", 5) || !memcmp(b.data + i, ",\"x\":", 5))
			memcpy(b.data + i + 1, "    ", 4);
	{
		yajl_val v = json_parse(b.data, err, sizeof(err));

		if (!v) {
			fprintf(stderr, "jsonbench: bad document: %s\n", err);
			return 1;
		}
		yajl_tree_free(v);
	}
	for (int pass = 0; pass < 2; pass++) {
		t0 = now_s();
		for (int i = 0; i < iters; i++)
			yajl_tree_free(yajl_tree_parse(b.data, NULL, 0));
		dt[0] = now_s() - t0;
		t0 = now_s();
		for (int i = 0; i < iters; i++)
			yajl_tree_free(json_parse(b.data, err, sizeof(err)));
		dt[1] = now_s() - t0;
		t0 = now_s();
		for (int i = 0; i < iters; i++)
			json_members(b.data, b.len, count_cb, &n, err, sizeof(err));
		dt[2] = now_s() - t0;
		t0 = now_s();
		for (int i = 0; i < iters; i++) {
			struct wmsg *m = NULL;
			char type[32], why[256];

			if (wmsg_decode(b.data, b.len, &bo, &m, type, sizeof(type),
					why, sizeof(why)) != DECODE_ADDED) {
				fprintf(stderr, "jsonbench: decode: %s\n", why);
				return 1;
			}
			wmsg_free(&m);
		}
		dt[3] = now_s() - t0;
	}
	printf("bytes %zu txs %d\n", b.len, ntx);
	printf("yajl_tree_parse %.3f %.1f\n", dt[0] * 1e3 / iters,
	       b.len * iters / dt[0] / 1e6);
	printf("json_parse %.3f %.1f\n", dt[1] * 1e3 / iters,
	       b.len * iters / dt[1] / 1e6);
	printf("json_members %.3f %.1f\n", dt[2] * 1e3 / iters,
	       b.len * iters / dt[2] / 1e6);
	printf("wmsg_decode %.3f %.1f\n", dt[3] * 1e3 / iters,
	       b.len * iters / dt[3] / 1e6);
	buf_release(&b);
	return 0;
}
