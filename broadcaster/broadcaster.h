/* The broadcaster: verifier messages in (ZeroMQ SUB or NDJSON on stdin),
 * WebSocket clients out (channel protocol at /v1/stream, eth_subscribe at
 * / and /v1/eth), with a live page, /metrics, /health and /ready on the
 * same port. docs/broadcaster.md describes the behaviour. */
#ifndef BROADCASTER_H
#define BROADCASTER_H

#include <stdbool.h>

struct broadcaster_cfg {
	const char *listen;          /* "HOST:PORT"; port 0 picks one */
	const char *sub;             /* "-" or ZeroMQ endpoints, comma-separated */
	const char *allowed_origins; /* comma-separated; NULL or "*": any */
	bool broadcast_backfill;     /* broadcast live:false blocks too */
	bool drop_on_overflow;       /* drop a slow client's oldest events
					instead of disconnecting it */
	long long replay;            /* blocks kept for `since` */
	long long queue_depth;       /* events a client may lag behind */
	long long max_connections;
	long long conn_rate;         /* new connections per IP per minute; 0 off */
	long long max_message;       /* bytes, a client's message */
	long long max_subscriptions; /* per client */
	long long ping_interval_ms;
	long long pong_timeout_ms;
	long long header_timeout_ms;
	long long write_timeout_ms;
	long long chain_id;          /* until the stream says; 0 unknown */
	const char *rpc;             /* node for eth_chainId, eth_blockNumber
					before the stream says; NULL none */
	const char *db;              /* PostgreSQL, for replays older than
					the ring; NULL none */
	long long db_pool;           /* connections (and threads) for them */
	long long replay_max_blocks; /* blocks a replay may span */
	long long replay_rate;       /* blocks a second a client; 0 no limit */
	long long replay_page;       /* blocks a page of a replay */
};

/* Serve until SIGTERM/SIGINT. Returns 0 after a clean stop, 1 when the
 * server could not start or failed, 2 when the --rpc node serves another
 * chain than --chain-id. */
int broadcaster_run(const struct broadcaster_cfg *cfg);

#endif
