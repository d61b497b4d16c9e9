/* libFuzzer target: the broadcaster's handler of a client's message,
 * client_on_message() (broadcaster/client.c), which parses a WebSocket text
 * frame as the channel protocol (broadcaster/channel.c: subscribe,
 * unsubscribe, ping, filters, since) or JSON-RPC (broadcaster/ethsub.c:
 * eth_subscribe, eth_unsubscribe, eth_getBlockByNumber, batches), on a client that has no live connection: the few libwebsockets
 * calls the handler makes on its wsi are stubbed below (the executable's
 * definitions take precedence over libwebsockets.so's).
 *
 * Input: the first byte picks the protocol (bit 0: 0 channel, 1 eth); the
 * rest is a sequence of messages separated by '\n', fed in order to one
 * client, so that a subscribe followed by an unsubscribe is reachable. A
 * message whose first byte is 0x01 arrives as a binary frame.
 *
 * When FUZZ_CLIENT_EVENTS names an NDJSON file of verifier messages, they
 * are built into events and pushed into the ring first, so that "since"
 * replays and eth_getBlockByNumber find blocks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "ring.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	return 1;
}

int lws_rx_flow_control(struct lws *wsi, int enable)
{
	(void)wsi;
	(void)enable;
	return 0;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
	(void)wsi;
	(void)reason;
	(void)secs;
}

static struct broadcaster_cfg cfg = {
	.listen = "127.0.0.1:0",
	.replay = 64,
	.queue_depth = 1024,
	.max_connections = 10,
	.max_message = 1 << 16,
	.max_subscriptions = 16,
	.ping_interval_ms = 30000,
	.pong_timeout_ms = 60000,
};
static struct bc_server srv;

static void load_events(const char *path)
{
	struct events_opts eo = { .backfill = true, .keep_blocks = 64 };
	struct events *e = events_new(&eo);
	FILE *f = fopen(path, "r");
	char *line = NULL, why[256];
	size_t cap = 0, nev = 0;
	ssize_t n;

	if (!e || !f) {
		fprintf(stderr, "fuzz_client: cannot load events from '%s'\n",
			path);
		exit(1);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct bc_event *ev = NULL;

		if (events_build(e, line, (size_t)n, &ev, why, sizeof(why)) ==
		    EV_RES_OK) {
			if (ev->kind == EV_BLOCK) {
				srv.tip = ev->height;
				srv.have_tip = 1;
			}
			ring_push(srv.ring, ev);
			nev++;
		}
	}
	free(line);
	fclose(f);
	events_destroy(&e);
	fprintf(stderr, "fuzz_client: %zu event(s) from '%s' in the ring\n",
		nev, path);
}

static void init(void)
{
	const char *ev = getenv("FUZZ_CLIENT_EVENTS");

	log_set_level(LOG_ERROR);
	srv.cfg = &cfg;
	srv.ring = ring_new(256);
	srv.chain_id = 31337;
	if (!srv.ring)
		abort();
	if (ev && *ev)
		load_events(ev);
}

static void drop_ctl(struct client *c)
{
	while (c->ctl_head) {
		struct ctl_msg *m = c->ctl_head;

		c->ctl_head = m->next;
		free(m);
	}
	c->ctl_tail = NULL;
	c->nctl = 0;
	c->rx_paused = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct client c;
	const uint8_t *p, *end;

	if (!inited) {
		init();
		inited = 1;
	}
	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	c.srv = &srv;
	c.mode = (data[0] & 1) ? CM_ETH : CM_CHAN;
	c.pos = ring_head(srv.ring);
	buf_init(&c.rx, (size_t)cfg.max_message);
	buf_init(&c.out, 0);
	srv.clients = &c;
	srv.nclients = 1;

	p = data + 1;
	end = data + size;
	while (p <= end && !c.closing) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		buf_reset(&c.rx);
		c.rx_binary = n > 0 && p[0] == 0x01;
		if (buf_add(&c.rx, p, n) < 0)
			break;
		if (client_on_message(&c) < 0)
			break;
		drop_ctl(&c); /* the replies would have been written */
		if (!nl)
			break;
		p = nl + 1;
	}
	client_ws_close(&c);
	return 0;
}
