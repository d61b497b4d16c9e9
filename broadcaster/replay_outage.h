/* What the log says of the database failing under replays (replay.c): a
 * warning when failures begin, again at most once a REPLAY_OUTAGE_WARN_MS
 * while they go on, each with the failures no line told of yet, and a
 * line when a job succeeds again after a warning. An outage under a
 * thousand replaying clients, each retried every 500 ms, is so a few
 * lines, not a line a client a retry; every failure is still counted
 * (broadcaster_db_errors_total, by the history workers).
 *
 * Pure: the caller gives the clock and logs. One thread (the service
 * thread's). */
#ifndef BC_REPLAY_OUTAGE_H
#define BC_REPLAY_OUTAGE_H

#include <stdint.h>

/* The shortest time between two warnings of one outage. */
#define REPLAY_OUTAGE_WARN_MS 60000

struct replay_outage {
	int failing;         /* a failure since the last success */
	int warned;          /* a warning since the last success */
	int64_t since_ms;    /* the first failure since the last success */
	int64_t warned_ms;   /* the last warning (valid once one was) */
	int ever_warned;
	uint64_t failures;   /* since since_ms */
	uint64_t unreported; /* told of by no line yet */
};

#define REPLAY_OUTAGE_INIT { 0, 0, 0, 0, 0, 0, 0 }

/* A replay's job failed at now_ms. 1 when a warning is due: *failures
 * then the failures it reports (this one and those no line told of
 * yet); 0 when the failure is only counted. */
int replay_outage_failed(struct replay_outage *o, int64_t now_ms,
			 uint64_t *failures);

/* A replay's job succeeded at now_ms. 1 when the end of a warned-of
 * outage is to be logged: *failures then the failures since it began,
 * *ms how long it lasted; 0 otherwise. */
int replay_outage_ok(struct replay_outage *o, int64_t now_ms,
		     uint64_t *failures, int64_t *ms);

#endif
