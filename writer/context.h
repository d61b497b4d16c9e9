/* The writer's context, shared by its two threads (writer.c reads and
 * hands batches over, committer.c commits them): who may touch which
 * field is said beside it. */
#ifndef WRITER_CONTEXT_H
#define WRITER_CONTEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "batch.h"
#include "decode.h"
#include "metrics.h"
#include "msg.h"
#include "writer.h"

/* Chains one writer follows at most. */
#define MAX_CHAINS 64
/* How long the input must be quiet before a reorg is committed without
 * the tip of its new branch (which another writer may have got). */
#define BRANCH_QUIET_MS 30
/* Consecutive failures of one batch before the log turns to errors. */
#define LOUD_AFTER 5

/* A chain's progress as this writer knows it: its watermark, and what
 * it has committed since it last published a committed message. */
struct chain_progress {
	uint64_t chain_id;
	int64_t watermark; /* -1: unknown */
	uint64_t blocks;   /* block messages committed, not yet published */
	uint64_t from, to;
	struct metric *m_watermark;
};

/* Two threads: the main thread reads and decodes into `batch`; the
 * committer thread commits `committing` and owns the connection, the
 * chains and the clean-up. The main thread hands a full batch over only
 * when the committer is idle, so at most two batches are held and reading
 * stops while a commit waits for PostgreSQL (back-pressure). */
struct writer {
	const struct writer_cfg *cfg;
	struct decode_opts decode_opts;
	struct batch batch;      /* main thread */
	struct batch committing; /* committer thread, while busy */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy, quit, gave_up; /* under mu */
	atomic_int db_up;        /* /ready: connected to PostgreSQL */
	PGconn *conn;
	int ever_connected;
	struct msg_io *in, *pub;
	struct metrics *metrics;
	char id[160];
	long long batch_started_ms;
	long long last_read_ms;  /* main thread: when a message last came */
	long long next_cleanup_ms;
	long long last_full_cleanup_ms; /* 0 until the first, a full pass */
	long long stop_deadline_ms; /* 0 until stopping */
	unsigned long long nread;   /* messages read, for log lines */
	unsigned long long unsequenced;
	struct chain_progress chains[MAX_CHAINS];
	size_t nchains;

	struct metric *m_rows[WT_NTABLES];
	struct metric *m_batches, *m_latency, *m_reconnects, *m_failures;
	struct metric *m_retry_deadlock, *m_retry_serial, *m_retry_other;
	struct metric *m_malformed, *m_unsequenced, *m_ignored, *m_rejected;
	struct metric *m_duplicate;
	struct metric *m_orphans, *m_published;
};

#endif
