/* newHeads: a WebSocket subscription (`eth_subscribe` `newHeads`) that
 * learns of new blocks as the node announces them, on its own thread
 * (libwebsockets client). It reconnects with back-off when the connection
 * drops; the fetcher keeps polling eth_blockNumber meanwhile, so a dead
 * subscription slows the fetcher down to the polling interval, nothing
 * more. */
#ifndef HEADS_H
#define HEADS_H

#include <stdint.h>

#include "hex.h"

struct heads;

/* Start the subscription thread for url (ws:// or wss://). NULL (logged)
 * when the URL is invalid or the thread cannot start. */
struct heads *heads_start(const char *url);

/* 1 when a head arrived since the last call, else 0. *out receives the
 * highest head announced; last_number and last_hash the most recent
 * announcement (a replacement at the same height shows there). Either
 * may be NULL. Thread-safe. */
int heads_latest(struct heads *h, uint64_t *out, uint64_t *last_number,
		 char last_hash[HASH_HEX_SIZE]);

/* A descriptor that polls readable when a head arrived (an eventfd
 * cleared by heads_latest), so an idle fetcher can sleep on it. */
int heads_fd(const struct heads *h);

/* Announcements received so far (for tests and metrics). */
uint64_t heads_count(struct heads *h);

/* Stop the thread and free. Accepts NULL. Sets *h to NULL. */
void heads_stop(struct heads **h);

#endif
