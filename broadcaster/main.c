/* broadcaster: fan the verifier's blocks and reorgs out to WebSocket
 * clients. This file only turns flags and environment into a
 * struct broadcaster_cfg; server.c does the work. */
#include <stdio.h>
#include <stdlib.h>

#include "addr.h"
#include "broadcaster.h"
#include "cfg.h"
#include "db.h"
#include "history.h"
#include "log.h"
#include "sig.h"
#include "banned.h"

static const struct cfg_prog prog = {
	"broadcaster",
	"--sub ENDPOINT|- [--listen HOST:PORT] [--replay N] "
	"[--queue-depth N] [--drop-on-overflow] [--broadcast-backfill] "
	"[--max-connections N] [--conn-rate N] [--max-message BYTES] "
	"[--max-subscriptions N] [--allowed-origins LIST] [--db DSN] "
	"[--db-pool N] [--replay-max-blocks N] [--replay-rate N] ...",
	"Serve the verifier's blocks, logs and reorgs to WebSocket "
	"clients: a channel protocol at /v1/stream, eth_subscribe at / "
	"and /v1/eth, a live page at /, /metrics /health /ready.",
	"broadcaster --sub tcp://127.0.0.1:5556 --listen 127.0.0.1:8080",
};

/* What the options cannot say alone: an input, a valid --listen, pongs
 * awaited longer than the pings are apart. 0, or cfg_fail()'s status. */
static int check_cfg(const struct broadcaster_cfg *cfg)
{
	struct addr_hostport la;
	char why[128];

	if (!cfg->sub || !*cfg->sub)
		return cfg_fail(&prog, "no input: give --sub ENDPOINT "
				"(BROADCASTER_SUB), or --sub - for stdin");
	if (addr_parse(cfg->listen, &la, why, sizeof(why)) < 0)
		return cfg_fail(&prog, "invalid value '%s' for --listen: %s",
				cfg->listen, why);
	if (cfg->db && db_check_dsn(cfg->db, why, sizeof(why)) < 0)
		return cfg_fail(&prog, "invalid value for --db: %s", why);
	if (cfg->pong_timeout_ms <= cfg->ping_interval_ms)
		return cfg_fail(&prog, "--pong-timeout (%lld ms) must be longer "
				"than --ping-interval (%lld ms)",
				cfg->pong_timeout_ms, cfg->ping_interval_ms);
	return 0;
}

int main(int argc, char **argv)
{
	struct broadcaster_cfg cfg = { 0 };
	struct cfg_common common;
	struct cfg_opt opts[] = {
		{ "allowed-origins", 0, "BROADCASTER_ALLOWED_ORIGINS", CFG_STR,
		  &cfg.allowed_origins, "*", 0, 0, "LIST",
		  "Origin values browsers may connect from, comma-separated "
		  "(* any; clients without Origin are always allowed)", false },
		{ "broadcast-backfill", 0, "BROADCASTER_BROADCAST_BACKFILL",
		  CFG_BOOL, &cfg.broadcast_backfill, "0", 0, 0, NULL,
		  "also broadcast blocks marked live:false", false },
		{ "chain-id", 0, "BROADCASTER_CHAIN_ID", CFG_INT, &cfg.chain_id,
		  "0", 0, (1LL << 53), "N",
		  "chain id for eth_chainId until the stream carries one (0 "
		  "unknown; with --rpc, the node must serve it)", false },
		{ "conn-rate", 0, "BROADCASTER_CONN_RATE", CFG_INT, &cfg.conn_rate,
		  "600", 0, 1000000000, "N",
		  "new connections per IP address per minute (0 no limit)",
		  false },
		{ "db", 0, "BLOCKPIPE_DB", CFG_SECRET, &cfg.db, NULL, 0, 0, "DSN",
		  "PostgreSQL to answer a since older than the ring from "
		  "(replays; none without)", false },
		{ "db-pool", 0, "BROADCASTER_DB_POOL", CFG_INT, &cfg.db_pool, "2",
		  1, HISTORY_POOL_MAX, "N",
		  "database connections (and threads) for replays", false },
		{ "drop-on-overflow", 0, "BROADCASTER_DROP_ON_OVERFLOW", CFG_BOOL,
		  &cfg.drop_on_overflow, "0", 0, 0, NULL,
		  "skip a slow client's oldest events instead of closing it",
		  false },
		{ "header-timeout", 0, "BROADCASTER_HEADER_TIMEOUT", CFG_DURATION,
		  &cfg.header_timeout_ms, "10s", 1000, 3600000, "DURATION",
		  "time a client has to send its HTTP/upgrade headers", false },
		{ "listen", 'l', "BROADCASTER_LISTEN", CFG_STR, &cfg.listen,
		  "127.0.0.1:8080", 0, 0, "HOST:PORT",
		  "address to serve on (port 0: any free port, logged)", false },
		{ "max-connections", 0, "BROADCASTER_MAX_CONNECTIONS", CFG_INT,
		  &cfg.max_connections, "10000", 1, 1000000, "N",
		  "WebSocket clients at most", false },
		{ "max-message", 0, "BROADCASTER_MAX_MESSAGE", CFG_INT,
		  &cfg.max_message, "1048576", 64, 1LL << 30, "BYTES",
		  "largest message a client may send (larger: close 1009)",
		  false },
		{ "max-subscriptions", 0, "BROADCASTER_MAX_SUBSCRIPTIONS", CFG_INT,
		  &cfg.max_subscriptions, "100", 1, 100000, "N",
		  "eth_subscribe subscriptions per connection", false },
		{ "ping-interval", 0, "BROADCASTER_PING_INTERVAL", CFG_DURATION,
		  &cfg.ping_interval_ms, "30s", 1000, 3600000, "DURATION",
		  "ping a client idle this long", false },
		{ "pong-timeout", 0, "BROADCASTER_PONG_TIMEOUT", CFG_DURATION,
		  &cfg.pong_timeout_ms, "60s", 2000, 3600000, "DURATION",
		  "close a client silent this long (no pong)", false },
		{ "queue-depth", 0, "BROADCASTER_QUEUE_DEPTH", CFG_INT,
		  &cfg.queue_depth, "256", 1, 1000000, "N",
		  "events a client may lag behind (a block with its txs and "
		  "logs is one event)", false },
		{ "replay", 0, "BROADCASTER_REPLAY", CFG_INT, &cfg.replay, "256",
		  1, 1000000, "N", "recent events kept for 'since' replays",
		  false },
		{ "replay-max-blocks", 0, "BROADCASTER_REPLAY_MAX_BLOCKS", CFG_INT,
		  &cfg.replay_max_blocks, "100000", 1, 1LL << 40, "N",
		  "blocks a replay from the database may span at most", false },
		{ "replay-page", 0, "BROADCASTER_REPLAY_PAGE", CFG_INT,
		  &cfg.replay_page, "50", 1, HISTORY_PAGE_MAX, "N",
		  "blocks a page of a replay from the database (one query; "
		  "the next when the client has been written it)", false },
		{ "replay-rate", 0, "BROADCASTER_REPLAY_RATE", CFG_INT,
		  &cfg.replay_rate, "2000", 0, 1000000000, "N",
		  "blocks a second a client is replayed from the database at "
		  "most (0 no limit)", false },
		{ "rpc", 0, "BLOCKPIPE_RPC_URL", CFG_STR, &cfg.rpc, NULL, 0, 0,
		  "URL", "node(s), comma-separated, that answer eth_chainId and "
		  "eth_blockNumber until the verifier's first message", false },
		{ "sub", 's', "BROADCASTER_SUB", CFG_STR, &cfg.sub, NULL, 0, 0,
		  "ENDPOINT", "verifier PUB endpoint(s), comma-separated, or - "
		  "for NDJSON on stdin", false },
		{ "write-timeout", 0, "BROADCASTER_WRITE_TIMEOUT", CFG_DURATION,
		  &cfg.write_timeout_ms, "30s", 1000, 3600000, "DURATION",
		  "close a client that has not read for this long", false },
		CFG_END,
	};
	int rc;

	rc = cfg_parse(&prog, opts, &common, argc, argv);
	if (rc >= 0)
		return rc;
	rc = check_cfg(&cfg);
	if (rc != 0)
		return rc;
	if (common.check_config) {
		printf("configuration OK\n");
		return 0;
	}
	sig_init();
	rc = broadcaster_run(&cfg);
	return rc == 2 ? 2 : rc != 0;
}
