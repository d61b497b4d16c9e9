/* The fetcher: streams `block` messages (docs/protocol.md) in height order
 * from an EVM node, for a range (backfill) or following the tip. */
#ifndef FETCHER_H
#define FETCHER_H

#include <stdbool.h>

struct fetcher_cfg {
	const char *rpc;          /* comma-separated node URLs */
	const char *ws;           /* newHeads subscription URL, or NULL */
	const char *out;          /* output endpoint ("-" = stdout) */
	long long from;
	bool from_set;
	const char *to;           /* number, "head", "latest", "finalized", "safe", or NULL */
	bool follow;
	long long chain_id;       /* expected chain id, 0 = any */
	long long concurrency;    /* JSON-RPC requests in flight */
	long long batch;          /* blocks per JSON-RPC batch */
	long long poll_ms;        /* eth_blockNumber interval in follow mode */
	long long timeout_ms;     /* per HTTP request */
	long long live_distance;  /* blocks this close to the head are live */
	long long hwm;            /* output high-water mark (messages) */
	const char *metrics_addr;
	const char *db;           /* resume from the database, or NULL */
};

/* Exit statuses, as jq names them. */
enum fetcher_exit { FETCHER_OK = 0, FETCHER_FAILED = 1, FETCHER_CONFIG = 2 };

/* Run until the range is done, or until SIGTERM/SIGINT in follow mode.
 * Returns the exit status. */
enum fetcher_exit fetcher_run(const struct fetcher_cfg *cfg);

#endif
