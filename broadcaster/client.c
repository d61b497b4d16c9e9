/* One WebSocket client's connection: opening and closing it, its send
 * queue of replies, the liveness checks (pings, the write timeout), and
 * the writable path that hands it the frames it is owed from the ring.
 * What its messages mean is the protocol's: channel.c (/v1/stream) or
 * ethsub.c (eth_subscribe). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "clock.h"
#include "ethsub.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "replay.h"
#include "ring.h"
#include "server.h"
#include "banned.h"

/* Replies queued beyond this stop reading from the client; beyond twice
 * this the client is closed as a flooder. */
#define CTL_SOFT 64
#define CTL_HARD 128

static const char *const sk_names[SK__COUNT] = {
	"newHeads", "logs", "newBlocks", "newTxs", "newLogs", "reorgs"
};

int client_subscribed(const struct client *c)
{
	return (c->mode == CM_CHAN && c->chans) ||
	       (c->mode == CM_ETH && c->nactive);
}

void client_ws_open(struct client *c, struct bc_server *srv, struct lws *wsi,
		    enum client_mode mode)
{
	c->srv = srv;
	c->wsi = wsi;
	c->mode = mode;
	buf_init(&c->rx, (size_t)srv->cfg->max_message);
	buf_init(&c->out, 0);
	c->pos = ring_head(srv->ring);
	c->last_progress_ms = c->last_rx_ms = clock_mono_ms();
	lws_get_peer_simple(wsi, c->ip, sizeof(c->ip));
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
	metric_set(srv->m.connections, (double)srv->nclients);
}

void client_ws_close(struct client *c)
{
	struct bc_server *srv = c->srv;

	if (!srv)
		return;
	replay_cancel(c);
	chan_release(c);
	ethsub_release(c);
	while (c->ctl_head) {
		struct ctl_msg *m = c->ctl_head;

		c->ctl_head = m->next;
		free(m);
	}
	buf_release(&c->rx);
	buf_release(&c->out);
	if (srv->tick_next == c)
		srv->tick_next = c->next;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
	metric_set(srv->m.connections, (double)srv->nclients);
	if (!c->closing)
		metric_inc(srv->m.disconnects[DR_CLOSED]);
	c->srv = NULL;
}

static void write_now(struct client *c);

void client_close(struct client *c, int code, const char *reason,
		  enum disc_reason why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_code = code;
	c->close_reason = reason;
	c->close_why = why;
	metric_inc(c->srv->m.disconnects[why]);
	lws_callback_on_writable(c->wsi);
	/* A client that never reads never becomes writable: drop it
	 * after a grace period without the close frame. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE + 1, 3);
}

void client_check_alive(struct client *c, int64_t now)
{
	const struct broadcaster_cfg *cfg = c->srv->cfg;
	int64_t idle = now - c->last_rx_ms;

	if (c->closing)
		return;
	if (idle >= cfg->pong_timeout_ms) {
		log_at(LOG_INFO, LOGF(LF_S("client", c->ip), LF_I("idle_ms", idle)),
		       "client silent past the pong timeout: closing");
		client_close(c, 4002, "pong timeout", DR_PONG_TIMEOUT);
	} else if (idle >= cfg->ping_interval_ms && !c->ping_sent &&
		   !c->probe_out) {
		c->ping_due = 1;
		write_now(c);
	}
}

/* A client's own share of span, the same at every call: clients sent a
 * block at the same moment would otherwise all fall due for their probe
 * at the same tick, and a block arriving then would wait behind 10 000
 * pings and their pongs. */
static int64_t probe_spread(const struct client *c, int64_t span)
{
	uint64_t h = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15u;

	return span > 0 ? (int64_t)((h >> 32) % (uint64_t)span) : 0;
}

/* How long after its oldest write not proven read a client's probe falls
 * due: at its own point between a quarter and three eighths of the write
 * timeout. */
static int64_t probe_due_ms(const struct client *c)
{
	int64_t wt = c->srv->cfg->write_timeout_ms;

	return wt / 4 + probe_spread(c, wt / 8);
}

void client_check_reading(struct client *c, int64_t now)
{
	int64_t wt = c->srv->cfg->write_timeout_ms;
	int64_t age = now - c->unread_since;

	if (c->closing || !c->unread_since)
		return;
	if (age > wt) {
		log_at(LOG_INFO, LOGF(LF_S("client", c->ip),
				      LF_I("unread_ms", age)),
		       "client has not read for the write timeout: closing");
		client_close(c, 4001, "write timeout", DR_WRITE_TIMEOUT);
	} else if (age >= probe_due_ms(c) && !c->probe_out && !c->ping_due) {
		c->ping_due = 1;
		write_now(c);
	}
}

void client_on_pong(struct client *c)
{
	c->last_rx_ms = clock_mono_ms();
	c->ping_sent = 0;
	if (c->probe_out) {
		c->unread_since = c->after_probe_since;
		c->after_probe_since = 0;
		c->probe_out = 0;
	}
}

/* A frame went into the socket: progress (the tick's "not writable for
 * too long" counts from it, also for frames written outside the writable
 * callback), but unread until a pong says so. */
static void note_written(struct client *c)
{
	int64_t now = clock_mono_ms();

	c->last_progress_ms = now;
	if (!c->unread_since)
		c->unread_since = now;
	if (c->probe_out && !c->after_probe_since)
		c->after_probe_since = now;
}

/* ---- replies ------------------------------------------------------------ */

int client_queue_reply(struct client *c, const char *p, size_t n)
{
	struct ctl_msg *m;

	if (c->nctl >= CTL_HARD) {
		client_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			     "too many requests pending", DR_FLOOD);
		return -1;
	}
	m = malloc(sizeof(*m) + EV_PRE + n);
	if (!m)
		return -1;
	m->next = NULL;
	m->len = n;
	memcpy(m->data + EV_PRE, p, n);
	if (c->ctl_tail)
		c->ctl_tail->next = m;
	else
		c->ctl_head = m;
	c->ctl_tail = m;
	c->nctl++;
	if (c->nctl >= CTL_SOFT && !c->rx_paused) {
		c->rx_paused = 1;
		lws_rx_flow_control(c->wsi, 0);
	}
	lws_callback_on_writable(c->wsi);
	return 0;
}

int client_queue_gen(struct client *c, yajl_gen g)
{
	const unsigned char *p;
	size_t n;

	if (yajl_gen_get_buf(g, &p, &n) != yajl_gen_status_ok)
		return -1;
	return client_queue_reply(c, (const char *)p, n);
}

static void bad_message(struct client *c, enum bad_message why,
			const char *err)
{
	if (c->mode == CM_CHAN)
		chan_on_bad_message(c, why, err);
	else
		ethsub_on_bad_message(c, why, err);
}

int client_on_message(struct client *c)
{
	yajl_val root;
	char err[160];
	enum json_status st;

	if (c->rx_binary) {
		bad_message(c, BM_BINARY, NULL);
		return c->closing ? -1 : 0;
	}
	if (buf_addch(&c->rx, '\0') < 0)
		return -1;
	root = json_parse_st(c->rx.data, err, sizeof(err), &st);
	if (!root) {
		if (st == JSON_DUPLICATE)
			metric_inc(c->srv->m.dup_requests);
		bad_message(c, st == JSON_DUPLICATE ? BM_DUPLICATE : BM_PARSE,
			    err);
		return c->closing ? -1 : 0;
	}
	if (c->mode == CM_CHAN)
		chan_on_request(c, root);
	else
		ethsub_on_request(c, root);
	yajl_tree_free(root);
	return c->closing ? -1 : 0;
}

/* ---- frames owed -------------------------------------------------------- */

/* The next frame owed, advancing the read position past it (consume) or
 * onto it (a peek: it stays owed). 0 when none, -1 when the position fell
 * out of the ring. */
static int next_frame(struct client *c, struct frame_out *o,
		      const struct bc_event **evp, int consume)
{
	struct ring *ring = replay_ring(c);

	if (!client_subscribed(c)) {
		c->pos = ring_head(ring);
		return 0;
	}
	while (c->pos < ring_head(ring)) {
		const struct bc_event *ev = ring_get(ring, c->pos);
		int got;

		if (!ev)
			return -1;
		got = c->mode == CM_CHAN ? chan_next(c, ev, o, consume) :
					   ethsub_next(c, ev, c->pos, o, consume);
		if (got) {
			*evp = ev;
			return 1;
		}
		c->pos++;
		c->step = 0;
		c->phase = c->li = c->si = 0;
	}
	if (c->replay && replay_drained(c))
		return next_frame(c, o, evp, consume);
	return 0;
}

/* A ping's frame: a payload, for lws reports an empty pong to no
 * callback. */
#define PING_PAYLOAD "bp"
#define PING_FRAME "\x89\x02" PING_PAYLOAD
#define PING_FRAME_LEN 4

/* A probe that would fall due within a sixteenth of the write timeout
 * rides in front of the frame written now, in the same send: at 10 000
 * clients fed a block every 2 s, probes sent alone were about a fifth of
 * the broadcaster's sends (bench/fanout: 9 to 10 % of its CPU). In
 * front, not behind: its pong proves what was written before it, and
 * the frame waits for the next probe like any frame written after one. */
static int probe_rides(const struct client *c, int64_t now)
{
	return c->unread_since && !c->probe_out && !c->ping_due &&
	       now - c->unread_since >=
		       probe_due_ms(c) - c->srv->cfg->write_timeout_ms / 16;
}

/* The frames of a ping and of the text p[0..n) after it, built in the
 * text's headroom (lws_write's own room for a header, EV_PRE bytes), so
 * that one raw write takes both; lws_issue_raw() keeps what the socket
 * did not take, as it does for a text frame. The start, and *len. */
_Static_assert(EV_PRE >= PING_FRAME_LEN + 10, "no room for a ping and a header");

static unsigned char *ping_and_text(char *p, size_t n, size_t *len)
{
	unsigned char h[PING_FRAME_LEN + 10];
	size_t k = PING_FRAME_LEN;

	memcpy(h, PING_FRAME, PING_FRAME_LEN);
	h[k++] = 0x81; /* FIN, text */
	if (n < 126) {
		h[k++] = (unsigned char)n;
	} else if (n <= 0xffff) {
		h[k++] = 126;
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	} else {
		h[k++] = 127;
		for (int i = 7; i >= 0; i--)
			h[k++] = (unsigned char)((uint64_t)n >> (8 * i));
	}
	memcpy(p - k, h, k);
	*len = k + n;
	return (unsigned char *)p - k;
}

/* A probe is out: what is written from now on waits for the next. */
static void probe_sent(struct client *c)
{
	c->ping_due = 0;
	c->ping_sent = 1;
	if (!c->probe_out) {
		c->probe_out = 1;
		c->after_probe_since = 0;
	}
}

static int write_frame(struct client *c, char *p, size_t n,
		       enum frame_type t)
{
	int w;

	if (probe_rides(c, clock_mono_ms())) {
		size_t len;
		unsigned char *s = ping_and_text(p, n, &len);

		w = lws_write(c->wsi, s, len, LWS_WRITE_RAW);
		if (w < (int)len)
			return -1;
		probe_sent(c);
		metric_inc(c->srv->m.pings[PS_WITH_FRAME]);
	} else if (lws_write(c->wsi, (unsigned char *)p, n, LWS_WRITE_TEXT) <
		   (int)n) {
		return -1;
	}
	note_written(c);
	metric_inc(c->srv->m.sent[t]);
	metric_add(c->srv->m.bytes, (double)n);
	return 0;
}

void client_notify(struct client *c)
{
	struct bc_server *srv = c->srv;
	uint64_t from = c->pos > c->replay_end ? c->pos : c->replay_end;
	uint64_t lag = ring_lag(srv->ring, from);

	if (c->closing || !client_subscribed(c) || c->replay)
		return;
	if (lag > (uint64_t)srv->cfg->queue_depth ||
	    c->pos < ring_tail(srv->ring)) {
		if (srv->cfg->drop_on_overflow) {
			uint64_t to = ring_head(srv->ring) -
				      (uint64_t)srv->cfg->queue_depth;

			if (to < ring_tail(srv->ring))
				to = ring_tail(srv->ring);
			metric_add(srv->m.dropped, (double)(to - c->pos));
			c->pos = to;
			c->step = 0;
			c->phase = c->li = c->si = 0;
		} else {
			log_at(LOG_INFO, LOGF(LF_S("client", c->ip),
					      LF_U("lag", lag)),
			       "client too slow: disconnecting");
			client_close(c, 4000, "queue overflow: client too slow",
				     DR_OVERFLOW);
			return;
		}
	}
	write_now(c);
}

/* A ping alone, which is also the probe of whether the client reads. */
static int write_ping(struct client *c)
{
	unsigned char ping[LWS_PRE + PING_FRAME_LEN] = { 0 };

	memcpy(ping + LWS_PRE, PING_PAYLOAD, sizeof(PING_PAYLOAD) - 1);
	c->ping_due = 0; /* not asked again after a failed write */
	if (lws_write(c->wsi, ping + LWS_PRE, sizeof(PING_PAYLOAD) - 1,
		      LWS_WRITE_PING) < 0)
		return -1;
	probe_sent(c);
	metric_inc(c->srv->m.pings[PS_ALONE]);
	return 0;
}

/* The oldest queued reply; reading resumes once the queue is short. */
static int write_reply(struct client *c)
{
	struct ctl_msg *m = c->ctl_head;
	int r;

	c->ctl_head = m->next;
	if (!c->ctl_head)
		c->ctl_tail = NULL;
	c->nctl--;
	r = write_frame(c, m->data + EV_PRE, m->len, FT_REPLY);
	free(m);
	if (r < 0)
		return -1;
	if (c->rx_paused && c->nctl < CTL_SOFT / 2) {
		c->rx_paused = 0;
		lws_rx_flow_control(c->wsi, 1);
	}
	lws_callback_on_writable(c->wsi);
	return 0;
}

/* Delivery latency, once an event, for events the verifier timed. */
static void observe_latency(struct client *c, const struct bc_event *ev)
{
	int64_t d;

	if (!ev->emitted_at || c->observed == c->pos + 1)
		return;
	d = clock_wall_ms() - ev->emitted_at;
	metric_observe(c->srv->m.latency, d > 0 ? (double)d / 1000 : 0);
	c->observed = c->pos + 1;
}

/* The next frame the client is owed, written: 1, 0 when none is owed, -1
 * when the write failed. */
static int write_owed(struct client *c)
{
	struct frame_out o;
	const struct bc_event *ev = NULL;
	char *p;
	size_t n;
	int r = next_frame(c, &o, &ev, 1);

	if (r < 0) {
		client_notify(c); /* out of the ring: overflow */
		return 0;
	}
	if (!r)
		return 0;
	observe_latency(c, ev);
	if (!o.sub_id) {
		p = o.f->data;
		n = o.f->len;
	} else if (ethsub_notification(c, &o, &p, &n) < 0) {
		return -1;
	}
	return write_frame(c, p, n, o.type) < 0 ? -1 : 1;
}

/* Is a frame owed? Skips what is not for this client now. */
static int frame_owed(struct client *c)
{
	struct frame_out o;
	const struct bc_event *ev = NULL;

	return next_frame(c, &o, &ev, 0) != 0;
}

int client_on_writable(struct client *c)
{
	int r;

	c->last_progress_ms = clock_mono_ms();
	if (c->write_failed)
		return -1;
	/* A replay that failed closes after the replies queued: the
	 * subscription id of its eth_subscribe comes before the 1011. */
	if (c->closing && c->ctl_head && c->close_why == DR_REPLAY)
		return write_reply(c);
	if (c->closing) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)c->close_reason,
				 strlen(c->close_reason));
		return -1;
	}
	if (c->ping_due) {
		if (write_ping(c) < 0)
			return -1;
		if (c->ctl_head || frame_owed(c))
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->ctl_head)
		return write_reply(c);
	r = write_owed(c);
	if (r < 0)
		return -1;
	/* A writable callback is asked for only when a frame is owed. */
	if (r > 0 && frame_owed(c))
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* A ping that falls due and the frames owed after a push go into the
 * socket at once while it takes them whole, up to WRITE_NOW frames: a
 * writable callback for each would cost two epoll_ctl and a turn of the
 * loop a frame, most of the time spent fanning a block out to many
 * clients (and, at 10 000 clients, a ping to each every quarter of the
 * write timeout). A reply owed first, a close, or bytes lws still holds
 * from a partial send leave it all to the writable callback, which keeps
 * the order. */
#define WRITE_NOW 8

static void write_now(struct client *c)
{
	int r = 1;

	for (int i = 0; i < WRITE_NOW && r > 0; i++) {
		if (c->closing || c->ctl_head || c->write_failed ||
		    lws_partial_buffered(c->wsi))
			break;
		r = c->ping_due ? (write_ping(c) < 0 ? -1 : 1) : write_owed(c);
		if (r < 0)
			c->write_failed = 1; /* closed by the callback */
	}
	/* r == 0: write_owed found nothing owed; no second look. */
	if (c->write_failed || c->ping_due || c->ctl_head ||
	    (r > 0 && frame_owed(c)))
		lws_callback_on_writable(c->wsi);
}

const char *bc_sub_kind_name(enum sub_kind k)
{
	return sk_names[k];
}
