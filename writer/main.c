/* writer: flags and environment -> struct writer_cfg -> writer_run(). */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "db.h"
#include "sig.h"
#include "writer.h"
#include "banned.h"

static const struct cfg_prog prog = {
	"writer",
	"--db DSN [--in ENDPOINT] [--batch N] [--flush-interval DUR]\n"
	"              [--pub ENDPOINT] [--threshold-blocks N] [--keep-orphans DUR]\n"
	"              [--start N] [--allow-unsequenced] [--metrics-addr ADDR]\n"
	"              [--init-schema]",
	"Commit the verifier's block and reorg messages to PostgreSQL in\n"
	"batched, idempotent transactions; any number of writers may run side\n"
	"by side.",
	"verifier --rpc http://127.0.0.1:8545 | writer --db postgresql:///blockpipe",
};

int main(int argc, char **argv)
{
	struct writer_cfg cfg = { 0 };
	struct cfg_common common;
	struct cfg_opt opts[] = {
		{ "allow-unsequenced", 0, "WRITER_ALLOW_UNSEQUENCED", CFG_BOOL,
		  &cfg.allow_unsequenced, NULL, 0, 0, NULL,
		  "accept block messages without seq (no verifier): seq = number",
		  false },
		{ "batch", 'b', "WRITER_BATCH", CFG_INT, &cfg.batch, "500", 1,
		  1000000, "N", "commit after this many messages", false },
		{ "db", 'd', "BLOCKPIPE_DB", CFG_SECRET, &cfg.db, NULL, 0, 0, "DSN",
		  "PostgreSQL connection string or URI (required)", false },
		{ "flush-interval", 'f', "WRITER_FLUSH_INTERVAL", CFG_DURATION,
		  &cfg.flush_interval_ms, "200ms", 1, 3600000, "DUR",
		  "... or when the oldest message held waited this long", false },
		{ "hwm", 0, "WRITER_HWM", CFG_INT, &cfg.hwm, "1000", 1, 1000000, "N",
		  "ZeroMQ high-water mark of the input", false },
		{ "id", 0, "WRITER_ID", CFG_STR, &cfg.id, NULL, 0, 0, "ID",
		  "this writer's name in committed messages (default host:pid)",
		  false },
		{ "in", 'i', "WRITER_IN", CFG_STR, &cfg.in, "-", 0, 0, "ENDPOINT",
		  "'-' for stdin, or a ZeroMQ PULL endpoint (connects by default)",
		  false },
		{ "init-schema", 0, NULL, CFG_BOOL, &cfg.init_schema, NULL, 0, 0,
		  NULL, "apply the schema (idempotent) and exit", false },
		{ "keep-orphans", 'k', "WRITER_KEEP_ORPHANS", CFG_DURATION,
		  &cfg.keep_orphans_ms, "0", 0, 0, "DUR",
		  "delete non-canonical blocks older than this (0: keep them)",
		  false },
		{ "max-reorg-range", 0, "WRITER_MAX_REORG_RANGE", CFG_INT,
		  &cfg.max_reorg_range, "10000000", 1, 1000000000, "N",
		  "refuse reorgs invalidating more heights than this", false },
		{ "metrics-addr", 'm', "WRITER_METRICS_ADDR", CFG_STR,
		  &cfg.metrics_addr, NULL, 0, 0, "ADDR",
		  "serve /metrics, /health, /ready on ADDR (host:port)", false },
		{ "pub", 'p', "WRITER_PUB", CFG_STR, &cfg.pub, NULL, 0, 0,
		  "ENDPOINT", "publish `committed` messages on this PUB endpoint",
		  false },
		{ "start", 's', "WRITER_START", CFG_INT, &cfg.start, "0", 0,
		  (1LL << 53), "N", "start block: the watermark counts from here",
		  false },
		{ "threshold-blocks", 't', "WRITER_THRESHOLD_BLOCKS", CFG_INT,
		  &cfg.threshold_blocks, "0", 0, 1000000000, "N",
		  "publish once per N blocks committed (0: after every commit)",
		  false },
		CFG_END,
	};
	char why[256];
	int rc = cfg_parse(&prog, opts, &common, argc, argv);

	if (rc >= 0)
		return rc;
	if (!cfg.db || !*cfg.db)
		return cfg_fail(&prog, "no database: give --db DSN or set "
				"BLOCKPIPE_DB");
	if (db_check_dsn(cfg.db, why, sizeof(why)) < 0)
		return cfg_fail(&prog, "invalid value for --db: %s", why);
	if (cfg.keep_orphans_ms < 0)
		return cfg_fail(&prog, "--keep-orphans must not be negative");
	if (cfg.pub && cfg.in && !strcmp(cfg.pub, cfg.in))
		return cfg_fail(&prog, "--pub and --in are the same endpoint");
	if (common.check_config) {
		printf("configuration OK\n");
		return 0;
	}
	sig_init();
	return writer_run(&cfg);
}
