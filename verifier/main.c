/* verifier: flags and environment -> struct verifier_cfg -> verifier_run. */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "verifier.h"
#include "banned.h"

static const struct cfg_prog prog = {
	"verifier",
	"[--in ENDPOINT] [--out ENDPOINT] [--pub ENDPOINT] --rpc URLS "
	"[--db DSN --start-block N | --state FILE] [--window N] "
	"[--chain-id N] [--no-verify-hash] [--no-verify-body] "
	"[--metrics-addr ADDR] ...",
	"Check parent-hash continuity and block hashes of the fetcher's block "
	"messages, resolve reorgs and gaps against the node, and emit them "
	"stamped with seq.",
	"fetcher --rpc http://127.0.0.1:8545 --from 0 --follow | "
	"verifier --rpc http://127.0.0.1:8545 --state var/verifier.state",
};

/* Each comma-separated URL is http(s)://HOST...; 0 or -1 with the bad
 * one in bad. */
static int check_urls(const char *urls, char *bad, size_t badlen)
{
	const char *p = urls;

	while (*p) {
		size_t n = strcspn(p, ",\n"); /* a file may list one a line */
		size_t skip = !strncmp(p, "http://", 7) ? 7
			      : !strncmp(p, "https://", 8) ? 8 : 0;

		if (!skip || n <= skip || p[skip] == '/' || p[skip] == ':') {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -1;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* The values together: defaults that depend on others, what excludes
 * what. 0, or the exit status of a configuration error (reported). */
static int check_cfg(struct verifier_cfg *c, const struct cfg_opt *opts)
{
	char why[512] = "";

	if (c->chain_id == 0)
		c->chain_id = -1;
	if (!cfg_find(opts, "start-block")->set)
		c->start_block = -1;
	if (!c->rpc || !*c->rpc)
		return cfg_fail(&prog, "no node to ask: give --rpc URLS or set "
				"BLOCKPIPE_RPC_URL");
	if (check_urls(c->rpc, why, sizeof(why)) < 0) {
		char red[512];

		log_redact_url(why, red, sizeof(red));
		return cfg_fail(&prog, "invalid --rpc URL '%s': want http:// "
				"or https:// and a host", red);
	}
	if (c->db && !*c->db)
		c->db = NULL;
	if (c->state && !*c->state)
		c->state = NULL;
	if (c->standby && !c->db)
		return cfg_fail(&prog, "--standby waits for the database's "
				"lock: it needs --db");
	if (c->db && c->state)
		return cfg_fail(&prog, "--db and --state both keep the epoch: "
				"give one");
	if (c->db) {
		if (db_check_dsn(c->db, why, sizeof(why)) < 0)
			return cfg_fail(&prog, "invalid --db: %s", why);
		if (c->start_block < 0)
			return cfg_fail(&prog, "--db needs --start-block N "
					"(BLOCKPIPE_START_BLOCK), the fetcher's "
					"first height");
	}
	return 0;
}

/* Run the verifier (or only report the configuration OK) and turn the
 * outcome into an exit status. */
static int run(const struct verifier_cfg *c)
{
	char why[512] = "";
	int rc;

	if (c->check_config) {
		printf("configuration OK\n");
		return 0;
	}
	rc = verifier_run(c, why, sizeof(why));
	if (rc == VERIFIER_EXIT_CONFIG)
		return cfg_fail(&prog, "%s", why);
	if (fclose(stdout) != 0 && rc == 0) {
		perror("verifier: stdout");
		return 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct verifier_cfg c;
	struct cfg_common common;
	int rc;
	struct cfg_opt opts[] = {
		{ "audit-interval", 0, "VERIFIER_AUDIT_INTERVAL", CFG_DURATION,
		  &c.audit_ms, "30s", 100, 86400000, "DURATION",
		  "how often to audit the database's canonical chain", false },
		{ "audit-sweep", 0, "VERIFIER_AUDIT_SWEEP", CFG_INT,
		  &c.audit_sweep, "10000", 0, 10000000, "N",
		  "heights of the full pass each audit checks (0: none)",
		  false },
		{ "chain-id", 0, "BLOCKPIPE_CHAIN_ID", CFG_INT, &c.chain_id,
		  "0", 0, 0x7fffffffffffffffLL, "N",
		  "refuse to start unless the node's chain id is N (0: any)",
		  false },
		{ "db", 0, "BLOCKPIPE_DB", CFG_SECRET, &c.db, NULL, 0, 0, "DSN",
		  "PostgreSQL: window, epoch, lock and audits", false },
		{ "heartbeat-interval", 0, "VERIFIER_HEARTBEAT_INTERVAL",
		  CFG_DURATION, &c.heartbeat_ms, "5s", 10, 3600000, "DURATION",
		  "heartbeat period on the PUB socket", false },
		{ "in", 'i', "VERIFIER_IN", CFG_STR, &c.in, "-", 0, 0,
		  "ENDPOINT", "input: - (stdin) or a PULL endpoint", false },
		{ "lag-wait", 0, "VERIFIER_LAG_WAIT", CFG_DURATION,
		  &c.lag_wait_ms, "30s", 0, 3600000, "DURATION",
		  "how long to wait for a node that lacks a height", false },
		{ "metrics-addr", 0, "VERIFIER_METRICS_ADDR", CFG_STR,
		  &c.metrics_addr, NULL, 0, 0, "ADDR",
		  "serve /metrics, /health, /ready on ADDR", false },
		{ "no-verify-body", 0, "VERIFIER_NO_VERIFY_BODY", CFG_BOOL,
		  &c.no_verify_body, "0", 0, 0, NULL,
		  "do not verify transactions, receipts and withdrawals against "
		  "the header", false },
		{ "no-verify-hash", 0, "VERIFIER_NO_VERIFY_HASH", CFG_BOOL,
		  &c.no_verify_hash, "0", 0, 0, NULL,
		  "do not recompute block hashes (non-standard headers)", false },
		{ "out", 'o', "VERIFIER_OUT", CFG_STR, &c.out, "-", 0, 0,
		  "ENDPOINT", "output: - (stdout) or a PUSH endpoint", false },
		{ "pub", 0, "VERIFIER_PUB", CFG_STR, &c.pub, NULL, 0, 0,
		  "ENDPOINT", "PUB socket: topics block, reorg, heartbeat",
		  false },
		{ "rpc", 'r', "BLOCKPIPE_RPC_URL", CFG_SECRET, &c.rpc, NULL, 0, 0,
		  "URLS", "node JSON-RPC URLs, comma-separated", false },
		{ "rpc-timeout", 0, "VERIFIER_RPC_TIMEOUT", CFG_DURATION,
		  &c.rpc_timeout_ms, "10s", 100, 600000, "DURATION",
		  "per-request timeout", false },
		{ "start-block", 0, "BLOCKPIPE_START_BLOCK", CFG_INT,
		  &c.start_block, NULL, 0, 0x7fffffffffffffffLL, "N",
		  "nothing below N is emitted or orphaned", false },
		{ "standby", 0, "VERIFIER_STANDBY", CFG_BOOL, &c.standby, "0",
		  0, 0, NULL, "with --db: wait for the lock while another "
		  "verifier holds it, instead of exiting", false },
		{ "state", 0, "VERIFIER_STATE", CFG_STR, &c.state, NULL, 0, 0,
		  "FILE", "keep the seq epoch in FILE (without --db)", false },
		{ "verify-sender", 0, "VERIFIER_VERIFY_SENDER", CFG_BOOL,
		  &c.verify_sender, "0", 0, 0, NULL,
		  "also recover each transaction's signer to check 'from' "
		  "(about 50 us a transaction)", false },
		{ "window", 'w', "VERIFIER_WINDOW", CFG_INT, &c.window, "256",
		  1, 1000000, "N", "recent heights held for reorg detection",
		  false },
		CFG_END,
	};

	memset(&c, 0, sizeof(c));
	c.chain_id = -1;
	c.start_block = -1;
	rc = cfg_parse(&prog, opts, &common, argc, argv);
	if (rc >= 0)
		return rc;
	rc = check_cfg(&c, opts);
	if (rc != 0)
		return rc;
	c.check_config = common.check_config;
	return run(&c);
}
