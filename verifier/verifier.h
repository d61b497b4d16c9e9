/* The verifier: checks parent-hash continuity and block hashes, resolves
 * reorgs and gaps against the node, and stamps everything it emits with
 * seq (docs/verifier.md, docs/protocol.md). main.c fills a struct
 * verifier_cfg from flags and the environment and calls verifier_run(). */
#ifndef VERIFIER_VERIFIER_H
#define VERIFIER_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>

struct verifier_cfg {
	const char *in;           /* "-" or a PULL endpoint */
	const char *out;          /* "-" or a PUSH endpoint */
	const char *pub;          /* PUB endpoint, or NULL */
	const char *rpc;          /* node URLs, comma-separated */
	const char *db;           /* PostgreSQL DSN, or NULL */
	const char *state;        /* state file (epoch) without a database */
	const char *metrics_addr; /* or NULL */
	long long window;         /* heights held */
	long long start_block;    /* -1: none */
	long long chain_id;       /* -1: take the node's */
	long long heartbeat_ms;
	long long audit_ms;
	long long rpc_timeout_ms;
	long long lag_wait_ms;    /* how long to wait for a lagging node */
	long long audit_sweep;    /* heights of the full pass per audit */
	bool standby;             /* wait for the lock instead of exit 2 */
	bool no_verify_hash;
	bool no_verify_body;      /* skip body verification (body.c) */
	bool verify_sender;       /* recover each transaction's signer too */
	bool check_config;        /* set up, report, and stop */
};

enum verifier_exit {
	VERIFIER_EXIT_OK = 0,
	VERIFIER_EXIT_FAILED = 1,
	VERIFIER_EXIT_CONFIG = 2, /* why holds one line for cfg_fail() */
};

/* Run until end of input or SIGTERM. Returns an exit status; on
 * VERIFIER_EXIT_CONFIG the reason is written into why. */
enum verifier_exit verifier_run(const struct verifier_cfg *cfg, char *why,
				size_t whylen);

#endif
