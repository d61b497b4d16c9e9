/* decoder: flags and environment -> struct decoder_cfg -> decoder_run(). */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "db.h"
#include "decoder.h"
#include "log.h"
#include "metrics.h"
#include "sig.h"
#include "banned.h"

static const struct cfg_prog prog = {
	"decoder",
	"--db DSN --config FILE --chain-id N [--start N] [--batch-blocks N]\n"
	"               [--poll-interval DUR] [--once] [--metrics-addr ADDR]",
	"Decode the events a table file declares from the raw logs the\n"
	"writers committed into tables of their own, each with a canonical_*\n"
	"view; follows the committed watermark and reorgs.",
	"decoder --db postgresql:///blockpipe --config events.json --chain-id 1",
};

int main(int argc, char **argv)
{
	struct decoder_cfg cfg = { 0 };
	const char *metrics_addr = NULL;
	struct cfg_common common;
	struct cfg_opt opts[] = {
		{ "batch-blocks", 'b', "DECODER_BATCH_BLOCKS", CFG_INT,
		  &cfg.batch_blocks, "500", 1, 1000000, "N",
		  "heights a table decodes in one transaction", false },
		{ "chain-id", 'c', "DECODER_CHAIN_ID", CFG_INT, &cfg.chain_id,
		  NULL, 0, (1LL << 62), "N", "the chain whose logs are decoded",
		  false },
		{ "config", 'C', "DECODER_CONFIG", CFG_STR, &cfg.config_path, NULL,
		  0, 0, "FILE", "the table file (docs/decoding.md)", false },
		{ "db", 'd', "BLOCKPIPE_DB", CFG_SECRET, &cfg.db, NULL, 0, 0, "DSN",
		  "PostgreSQL connection string or URI", false },
		{ "metrics-addr", 'm', "DECODER_METRICS_ADDR", CFG_STR,
		  &metrics_addr, NULL, 0, 0, "ADDR",
		  "serve Prometheus metrics on HOST:PORT", false },
		{ "once", 0, "DECODER_ONCE", CFG_BOOL, &cfg.once, NULL, 0, 0, NULL,
		  "exit once every table has reached the watermark", false },
		{ "poll-interval", 'p', "DECODER_POLL_INTERVAL", CFG_DURATION,
		  &cfg.poll_ms, "500ms", 10, 60000, "DUR",
		  "how often to look for new heights when caught up", false },
		{ "start", 's', "DECODER_START", CFG_INT, &cfg.start, "0", 0,
		  (1LL << 62), "N", "the first height indexed (the writers' --start)",
		  false },
		CFG_END,
	};
	char why[512];
	int rc = cfg_parse(&prog, opts, &common, argc, argv);

	if (rc >= 0)
		return rc;
	if (!cfg.db || !*cfg.db)
		return cfg_fail(&prog, "no database: give --db DSN or set BLOCKPIPE_DB");
	if (db_check_dsn(cfg.db, why, sizeof(why)) < 0)
		return cfg_fail(&prog, "invalid value for --db: %s", why);
	if (!cfg_find(opts, "chain-id")->set)
		return cfg_fail(&prog, "no chain: give --chain-id N or set DECODER_CHAIN_ID");
	if (!cfg.config_path || !*cfg.config_path)
		return cfg_fail(&prog, "no table file: give --config FILE or set DECODER_CONFIG");
	if (tables_load(cfg.config_path, &cfg.tables, why, sizeof(why)) < 0)
		return cfg_fail(&prog, "invalid table file %s", why);
	if (common.check_config) {
		tables_release(&cfg.tables);
		printf("configuration OK\n");
		return 0;
	}
	sig_init();
	cfg.metrics = metrics_new("decoder");
	if (metrics_addr && metrics_serve(cfg.metrics, metrics_addr) < 0) {
		metrics_destroy(&cfg.metrics);
		tables_release(&cfg.tables);
		return 2;
	}
	rc = decoder_run(&cfg);
	metrics_destroy(&cfg.metrics);
	tables_release(&cfg.tables);
	return rc;
}
