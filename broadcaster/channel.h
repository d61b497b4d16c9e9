/* The channel protocol (/v1/stream): a client's subscribe, unsubscribe
 * and ping requests, and which frames of an event it is owed.
 *
 * Service thread only. These functions work on the channel part of the
 * client (c->chans, c->chan_filter, c->step) and answer through its send
 * queue (client_queue_reply()): a bad request is an error message to the
 * client and a count in bad_requests, never a failure of the caller. */
#ifndef BC_CHANNEL_H
#define BC_CHANNEL_H

#include "json.h"
#include "server.h"

/* One message parsed as JSON; root stays the caller's. */
void chan_on_request(struct client *c, yajl_val root);

/* A message that is no request (err: the parser's words, NULL for
 * BM_BINARY): answered with an error message. */
void chan_on_bad_message(struct client *c, enum bad_message why,
			 const char *err);

/* The next frame owed within ev at or after c->step: 1 with *o set, 0
 * when ev holds no more for this client. With consume the cursor moves
 * past the frame; without, it stops on it (a peek). */
int chan_next(struct client *c, const struct bc_event *ev,
	      struct frame_out *o, int consume);

/* Answers for a replay from the database (replay.c): an error message
 * (counted in bad_requests), and `bits` subscribed with key: since in
 * the reply ("replay_from", "replay_from_seq"). */
void chan_error(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void chan_subscribed(struct client *c, int bits, const char *key,
		     uint64_t since);

/* Leave every channel (the subscription gauges follow) and free the
 * logs filter: the client is closing. */
void chan_release(struct client *c);

#endif
