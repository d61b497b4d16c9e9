/* The writer: reads the verifier's messages, commits them to PostgreSQL
 * in batched transactions, publishes what it committed (docs/writer.md). */
#ifndef WRITER_WRITER_H
#define WRITER_WRITER_H

#include <stdbool.h>

struct writer_cfg {
	const char *db;           /* libpq DSN (required) */
	const char *in;           /* "-" (stdin) or a ZeroMQ endpoint (PULL) */
	const char *pub;          /* PUB endpoint for `committed`, or NULL */
	const char *id;           /* writer id in `committed`; NULL: host:pid */
	const char *metrics_addr; /* serve /metrics here, or NULL */
	long long batch;          /* flush at this many messages */
	long long flush_interval_ms; /* ... or when the oldest waited this long */
	long long keep_orphans_ms;   /* 0: keep orphaned blocks forever */
	long long threshold_blocks;  /* 0: publish after every commit */
	long long start;          /* start block, for the watermark */
	long long max_reorg_range;
	long long hwm;            /* ZeroMQ high-water mark of the input */
	bool init_schema;         /* apply the schema and exit */
	bool allow_unsequenced;   /* seq = block number when seq is missing */
};

/* Run until end of input or SIGINT/SIGTERM. Returns the exit status: 0
 * when everything read was committed (or rejected with a log line), 1 on
 * a runtime failure (the database unreachable at shutdown with messages
 * still held, an endpoint that cannot be opened). */
int writer_run(const struct writer_cfg *cfg);

#endif
