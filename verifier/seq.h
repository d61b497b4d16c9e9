/* seq: the order of everything the verifier emits (docs/protocol.md).
 *
 *   seq = epoch << 32 | counter     (epoch from PostgreSQL or --state FILE)
 *
 * The epoch grows by one on every start, so seq strictly increases across
 * restarts. With neither a database nor a state file, seq is a clock:
 * max(previous + 1, Unix time in microseconds), which also increases
 * across restarts as long as the wall clock does not step back and the
 * verifier never emitted more than a million messages a second for long
 * (both documented in docs/verifier.md). Either way seq stays below 2^53,
 * where JSON numbers are exact. */
#ifndef VERIFIER_SEQ_H
#define VERIFIER_SEQ_H

#include <stdint.h>

/* The counter's last value in an epoch: the next message opens a new
 * epoch. */
#define SEQ_COUNTER_MAX UINT64_C(0xffffffff)
/* 2^53 / 2^32: from this epoch on seq would no longer be exact in JSON. */
#define SEQ_EPOCH_MAX ((uint64_t)1 << 21)

/* Where a new epoch comes from when the counter runs out: 0 with the new
 * epoch (greater than every one before) in *epoch, or -1. */
typedef int (*seq_renew_fn)(void *arg, uint64_t *epoch);

struct seq_state {
	uint64_t epoch;   /* 0 in clock mode */
	uint64_t counter; /* messages stamped in this epoch */
	uint64_t last;    /* last seq handed out */
	int clock;        /* clock mode */
	seq_renew_fn renew;
	void *renew_arg;
};

/* Epoch mode (the epoch from the database or a state file). renew is
 * asked for the next epoch when the counter passes SEQ_COUNTER_MAX. */
void seq_init_epoch(struct seq_state *s, uint64_t epoch, seq_renew_fn renew,
		    void *renew_arg);
/* Clock mode. */
void seq_init_clock(struct seq_state *s);
/* The next seq; 0 (never a valid seq) when the counter ran out and no new
 * epoch could be had (logged). seq never goes backwards. */
uint64_t seq_next(struct seq_state *s);

#endif
