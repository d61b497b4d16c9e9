/* fetcher: flags and environment -> struct fetcher_cfg -> fetcher_run(). */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "fetcher.h"
#include "sig.h"
#include "banned.h"

static const struct cfg_prog prog = {
	"fetcher",
	"--rpc URL[,URL...] [--from N] [--to M|head|finalized|safe] [--follow]\n"
	"               [--ws URL] [--out ENDPOINT] [--concurrency N] [--batch N]\n"
	"               [--poll-interval DUR] [--chain-id N] [--db DSN] [--metrics-addr ADDR]",
	"Stream an EVM chain's blocks with their receipts as `block` messages,\n"
	"one JSON object a line, strictly in height order: a range (exits when\n"
	"done) or following the tip (--follow).",
	"fetcher --rpc http://127.0.0.1:8545 --from 0 --to 100 | jq .number",
};

int main(int argc, char **argv)
{
	struct fetcher_cfg cfg = { 0 };
	struct cfg_common common;
	struct cfg_opt opts[] = {
		{ "batch", 'b', "FETCHER_BATCH", CFG_INT, &cfg.batch, "4", 1, 1000, "N",
		  "blocks a JSON-RPC batch asks for (2 calls a block)", false },
		{ "chain-id", 0, "BLOCKPIPE_CHAIN_ID", CFG_INT, &cfg.chain_id, "0", 0,
		  (1LL << 53), "N", "refuse to run unless the node serves this chain (0: any)", false },
		{ "concurrency", 'c', "FETCHER_CONCURRENCY", CFG_INT, &cfg.concurrency, "8",
		  1, 256, "N", "JSON-RPC requests in flight", false },
		{ "db", 'd', "BLOCKPIPE_DB", CFG_SECRET, &cfg.db, NULL, 0, 0, "DSN",
		  "resume at the first height from --from on without a canonical block "
		  "in this database", false },
		{ "follow", 'f', "FETCHER_FOLLOW", CFG_BOOL, &cfg.follow, NULL, 0, 0, NULL,
		  "stay at the tip: keep fetching new blocks as they are mined", false },
		{ "from", 's', "FETCHER_FROM", CFG_INT, &cfg.from, NULL, 0, (1LL << 53), "N",
		  "first height (default with --follow: the node's head)", false },
		{ "hwm", 0, "FETCHER_HWM", CFG_INT, &cfg.hwm, "1000", 1, 1000000, "N",
		  "messages queued on a ZeroMQ output before the fetcher waits", false },
		{ "live-distance", 0, "FETCHER_LIVE_DISTANCE", CFG_INT, &cfg.live_distance,
		  "16", 0, 1000000, "N", "blocks this close to the head are marked live", false },
		{ "metrics-addr", 'm', "FETCHER_METRICS_ADDR", CFG_STR, &cfg.metrics_addr,
		  NULL, 0, 0, "ADDR", "serve /metrics, /health, /ready on ADDR (host:port)", false },
		{ "out", 'o', "FETCHER_OUT", CFG_STR, &cfg.out, "-", 0, 0, "ENDPOINT",
		  "'-' for stdout, or a ZeroMQ PUSH endpoint (@bind or >connect)", false },
		{ "poll-interval", 'p', "FETCHER_POLL_INTERVAL", CFG_DURATION, &cfg.poll_ms,
		  "1s", 10, 3600000, "DUR", "polling interval of the latest header (250ms, 1s)", false },
		{ "rpc", 'r', "BLOCKPIPE_RPC_URL", CFG_SECRET, &cfg.rpc, NULL, 0, 0, "URLS",
		  "node JSON-RPC URL(s), comma-separated for failover", false },
		{ "timeout", 't', "FETCHER_TIMEOUT", CFG_DURATION, &cfg.timeout_ms, "10s",
		  100, 600000, "DUR", "timeout of one HTTP request", false },
		{ "to", 'e', "FETCHER_TO", CFG_STR, &cfg.to, NULL, 0, 0, "M",
		  "last height: a number, head, latest, safe or finalized", false },
		{ "ws", 'w', "FETCHER_WS_URL", CFG_SECRET, &cfg.ws, NULL, 0, 0, "URL",
		  "subscribe to newHeads over WebSocket (polling stays as fallback)", false },
		CFG_END,
	};
	int rc = cfg_parse(&prog, opts, &common, argc, argv);

	if (rc >= 0)
		return rc;
	cfg.from_set = cfg_find(opts, "from")->set;
	if (!cfg.rpc || !*cfg.rpc)
		return cfg_fail(&prog, "no node: give --rpc URL or set BLOCKPIPE_RPC_URL");
	if (cfg.follow && cfg.to)
		return cfg_fail(&prog, "--to and --follow exclude each other");
	if (cfg.db && !cfg.from_set)
		return cfg_fail(&prog, "--db needs --from N: the start block to resume from");
	if (!cfg.follow && !cfg.from_set)
		return cfg_fail(&prog, "no start: give --from N (or --follow)");
	if (!cfg.follow && !cfg.to)
		cfg.to = "head";
	if (cfg.to && strcmp(cfg.to, "head") && strcmp(cfg.to, "latest") &&
	    strcmp(cfg.to, "finalized") && strcmp(cfg.to, "safe")) {
		long long v;
		const char *why;

		if (cfg_parse_int(cfg.to, 0, 1LL << 53, &v, &why) < 0)
			return cfg_fail(&prog, "invalid value '%s' for --to: %s (use a "
					"number, head, safe or finalized)", cfg.to, why);
		if (cfg.from_set && v < cfg.from)
			return cfg_fail(&prog, "--to %lld is below --from %lld", v, cfg.from);
	}
	if (common.check_config) {
		printf("configuration OK\n");
		return 0;
	}
	sig_init();
	return (int)fetcher_run(&cfg);
}
