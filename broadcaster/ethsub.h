/* eth_subscribe over JSON-RPC (/ and /v1/eth): a client's requests
 * (eth_subscribe, eth_unsubscribe and the few reads viem and ethers make
 * around them), its subscriptions, and the eth_subscription notifications
 * it is owed.
 *
 * Service thread only. These functions work on the eth part of the
 * client (c->subs, c->phase, c->li, c->si, c->out) and answer through its
 * send queue (client_queue_reply()): a bad request is a JSON-RPC error to
 * the client and a count in bad_requests, never a failure of the caller. */
#ifndef BC_ETHSUB_H
#define BC_ETHSUB_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "server.h"

/* One message parsed as JSON: a request or a batch; root stays the
 * caller's. */
void ethsub_on_request(struct client *c, yajl_val root);

/* A message that is no request (err: the parser's words, NULL for
 * BM_BINARY): answered with a JSON-RPC error. */
void ethsub_on_bad_message(struct client *c, enum bad_message why,
			   const char *err);

/* The next frame owed within ev (at ring position pos) at or after the
 * cursor (c->phase, c->li, c->si): 1 with *o set (o->sub_id names the
 * subscription), 0 when ev holds no more for this client. With consume
 * the cursor moves past the frame; without, it stops on it (a peek). */
int ethsub_next(struct client *c, const struct bc_event *ev, uint64_t pos,
		struct frame_out *o, int consume);

/* The eth_subscription notification carrying o's frame, built in c->out
 * (EV_PRE headroom first): *p and *n are its text, valid until the next
 * call. 0, or -1 when out of memory. */
int ethsub_notification(struct client *c, const struct frame_out *o,
			char **p, size_t *n);

/* Drop every subscription (the subscription gauges follow) and free
 * them: the client is closing. */
void ethsub_release(struct client *c);

#endif
