/* A client's replay from the database (--db; docs/broadcaster.md "Resume
 * from the database"), on the service thread.
 *
 * A client that asks for more than the ring holds reads, until it is
 * caught up, from a ring of its own holding one page of events from the
 * database (history.h). When it has been written the whole page, the next
 * one is asked for (back-pressure: a slow reader slows only its own
 * replay), no sooner than --replay-rate allows. The seam with the live
 * stream is decided by seq: a page is bounded by the seq of the oldest
 * live event in the shared ring newer than what the client has, with
 * --queue-depth events of room before the ring drops it; once the
 * database has nothing more below that bound (and holds the block below
 * the seam's height, so that writers behind the stream leave no hole),
 * the client moves to the shared ring at that event. Until a live event
 * shows a bound, pages are unbounded and the client waits. */
#ifndef BC_REPLAY_H
#define BC_REPLAY_H

#include <stddef.h>
#include <stdint.h>

struct bc_server;
struct client;
struct ring;

/* The metrics, always (they exist without --db too), and the history
 * pool with --db. 0, or -1 with a log line. */
int replay_setup(struct bc_server *srv);
void replay_teardown(struct bc_server *srv);

/* After lws_cancel_service(): hand finished database work to clients. */
void replay_take(struct bc_server *srv);

enum replay_from { REPLAY_SINCE_HEIGHT, REPLAY_SINCE_SEQ };

/* Begin a channel client's replay of `bits` (channels) from the
 * database. The subscription is answered (subscribed or error) when the
 * database has said where the client resumes. -1 when there is no
 * database (--db) or the client cannot replay now: why says so. */
int replay_begin(struct client *c, int bits, enum replay_from kind,
		 uint64_t since, char *why, size_t whylen);

/* The client leaves: its replay ends, work in flight is dropped. */
void replay_cancel(struct client *c);

/* The ring c reads: its page while it replays, else the shared one. */
struct ring *replay_ring(const struct client *c);

/* c has been written its whole page: ask for the next, or move it to
 * the shared ring. 1 when it now reads the shared ring. */
int replay_drained(struct client *c);

#endif
