/* The libwebsockets server: one vhost, one protocol handling HTTP (its
 * answers in http.c) and the WebSocket endpoints (/v1/stream: channel
 * protocol; / and /v1/eth: JSON-RPC), admission limits, the event
 * hand-over from the input thread, and shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ev.h>

#include "addr.h"
#include "cfg.h"
#include "clock.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "node.h"
#include "notify.h"
#include "replay.h"
#include "ring.h"
#include "server.h"
#include "sig.h"
#include "status.h"
#include "banned.h"

#define RATE_SLOTS 4096
#define TICK_US (250 * LWS_US_PER_MS)
#define SHUTDOWN_GRACE_MS 3000

struct rate_slot {
	char ip[64];
	int64_t window_start_ms;
	long long count;
};

static const char *const ft_names[FT__COUNT] = {
	"newBlock", "newTxs", "newLog", "reorg", "gap", "newHeads", "logs",
	"reply",
};
static const char *const ps_names[PS__COUNT] = { "alone", "with_frame" };
static const char *const dr_names[DR__COUNT] = {
	"overflow", "write_timeout", "pong_timeout", "too_large", "flood",
	"shutdown", "closed_by_peer_or_lws", "replay_failed",
};
static const char *const rj_names[RJ__COUNT] = {
	"max_connections", "rate", "origin", "path",
};

static void metrics_setup(struct bc_server *srv)
{
	struct metrics *m = srv->metrics;
	char lbl[64];

	srv->m.connections = metrics_gauge(m, "broadcaster_connections",
		"WebSocket clients connected", NULL);
	for (int i = 0; i < SK__COUNT; i++) {
		snprintf(lbl, sizeof(lbl), "kind=\"%s\"",
			 bc_sub_kind_name((enum sub_kind)i));
		srv->m.subs[i] = metrics_gauge(m, "broadcaster_subscriptions",
			"active subscriptions by kind", lbl);
	}
	for (int i = 0; i < FT__COUNT; i++) {
		snprintf(lbl, sizeof(lbl), "type=\"%s\"", ft_names[i]);
		srv->m.sent[i] = metrics_counter(m, "broadcaster_messages_sent_total",
			"WebSocket messages written, by type", lbl);
	}
	for (int i = 0; i < PS__COUNT; i++) {
		snprintf(lbl, sizeof(lbl), "sent=\"%s\"", ps_names[i]);
		srv->m.pings[i] = metrics_counter(m, "broadcaster_pings_total",
			"pings written, alone or in front of a frame", lbl);
	}
	srv->m.bytes = metrics_counter(m, "broadcaster_bytes_sent_total",
		"WebSocket payload bytes written", NULL);
	for (int i = 0; i < DR__COUNT; i++) {
		snprintf(lbl, sizeof(lbl), "reason=\"%s\"", dr_names[i]);
		srv->m.disconnects[i] = metrics_counter(m,
			"broadcaster_disconnects_total",
			"clients disconnected, by reason", lbl);
	}
	for (int i = 0; i < RJ__COUNT; i++) {
		snprintf(lbl, sizeof(lbl), "reason=\"%s\"", rj_names[i]);
		srv->m.rejected[i] = metrics_counter(m,
			"broadcaster_rejected_total",
			"connections refused, by reason", lbl);
	}
	srv->m.dropped = metrics_counter(m, "broadcaster_dropped_events_total",
		"events skipped for slow clients (--drop-on-overflow)", NULL);
	srv->m.gaps = metrics_counter(m, "broadcaster_seq_gaps_total",
		"messages lost on the PUB socket (counter jumps)", NULL);
	srv->m.latency = metrics_histogram(m, "broadcaster_delivery_seconds",
		"verifier emitted_at to the write of the event's first frame",
		NULL, metrics_latency_bounds, metrics_latency_nbounds);
	srv->m.events_in = metrics_counter(m, "broadcaster_input_messages_total",
		"messages read from the verifier", NULL);
	srv->m.bad_input = metrics_counter(m, "broadcaster_bad_input_total",
		"malformed messages from the verifier, rejected", NULL);
	srv->m.bad_requests = metrics_counter(m, "broadcaster_bad_requests_total",
		"client requests answered with an error", NULL);
	srv->m.dup_input = metrics_counter(m, "broadcaster_duplicate_key_total",
		"messages or requests refused because an object repeats a key",
		"source=\"input\"");
	srv->m.dup_requests = metrics_counter(m, "broadcaster_duplicate_key_total",
		"messages or requests refused because an object repeats a key",
		"source=\"request\"");
	srv->m.repeated_reorgs = metrics_counter(m,
		"broadcaster_repeated_reorgs_total",
		"reorgs at or below a seq already read (a verifier's repeat), "
		"not broadcast again", NULL);
}

/* ---- admission ---------------------------------------------------------- */

static int rate_ok(struct bc_server *srv, const char *ip)
{
	long long limit = srv->cfg->conn_rate;
	int64_t now = clock_mono_ms();
	uint32_t h = 2166136261u;
	struct rate_slot *s;

	if (limit <= 0 || !srv->rate)
		return 1;
	for (const char *p = ip; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	s = &srv->rate[h % RATE_SLOTS];
	/* A collision with another address resets the slot: the limit is
	 * then lenient, never wrongly strict. */
	if (strcmp(s->ip, ip) || now - s->window_start_ms >= 60000) {
		snprintf(s->ip, sizeof(s->ip), "%s", ip);
		s->window_start_ms = now;
		s->count = 0;
	}
	return ++s->count <= limit;
}

static int origin_ok(struct bc_server *srv, struct lws *wsi)
{
	char origin[256];
	int n;

	if (!srv->norigins)
		return 1;
	n = lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN);
	if (n <= 0)
		return 1; /* not a browser: no Origin header */
	for (size_t i = 0; i < srv->norigins; i++)
		if (!strcasecmp(srv->origins[i], origin))
			return 1;
	return 0;
}

static enum client_mode path_mode(struct lws *wsi)
{
	char uri[128];

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
		return CM_HTTP;
	if (!strcmp(uri, "/v1/stream"))
		return CM_CHAN;
	if (!strcmp(uri, "/") || !strcmp(uri, "/v1/eth"))
		return CM_ETH;
	return CM_HTTP;
}

/* ---- events from the input thread --------------------------------------- */

static void take_events(struct bc_server *srv)
{
	struct bc_qitem *it = input_take(srv);
	int pushed = 0;

	while (it) {
		struct bc_qitem *nx = it->next;
		struct bc_event *ev = it->ev;

		free(it);
		it = nx;
		if (ev->chain_id)
			srv->chain_id = ev->chain_id;
		if (ev->has_height && (ev->kind == EV_BLOCK ||
				       ev->kind == EV_TIP)) {
			if (ev->kind == EV_BLOCK || !srv->have_tip ||
			    ev->height > srv->tip)
				srv->tip = ev->height;
			srv->have_tip = 1;
			node_stream_has_tip(srv->node);
		}
		if (ev->kind == EV_TIP) {
			ev_free(ev);
			continue;
		}
		ring_push(srv->ring, ev);
		pushed = 1;
	}
	if (!pushed || srv->stopping)
		return;
	for (struct client *c = srv->clients, *nx; c; c = nx) {
		nx = c->next;
		client_notify(c);
	}
}

/* ---- housekeeping ------------------------------------------------------- */

static void begin_shutdown(struct bc_server *srv)
{
	srv->stopping = 1;
	notify_stopping();
	log_at(LOG_INFO, LOGF(LF_U("clients", srv->nclients)),
	       "stopping: closing every client");
	for (struct client *c = srv->clients; c; c = c->next)
		client_close(c, LWS_CLOSE_STATUS_GOINGAWAY,
			     "server shutting down", DR_SHUTDOWN);
}

/* The tick visits every client while there are at most TICK_ALL, and
 * beyond that a quarter of them (at least TICK_ALL) from where the last
 * visit stopped: each client at least once a second, while the walk of
 * 10 000 clients every 250 ms was 7 % of the thread's CPU in
 * bench/fanout. */
#define TICK_ALL 2500

static void on_tick(lws_sorted_usec_list_t *sul)
{
	struct bc_server *srv = lws_container_of(sul, struct bc_server, tick);
	int64_t now = clock_mono_ms();
	size_t budget = (srv->nclients + 3) / 4;
	struct client *c = srv->tick_next ? srv->tick_next : srv->clients;

	if (budget < TICK_ALL)
		budget = TICK_ALL;
	if (budget > srv->nclients)
		budget = srv->nclients;

	if (sig_stopping() && !srv->stopping)
		begin_shutdown(srv);
	for (; budget && c; budget--, c = c->next ? c->next : srv->clients) {
		int pending = c->ctl_head ||
			      (client_subscribed(c) && !c->replay &&
			       c->pos < ring_head(srv->ring));

		client_check_alive(c, now);
		client_check_reading(c, now);
		if (!pending || c->closing) {
			c->last_progress_ms = now;
			continue;
		}
		if (now - c->last_progress_ms > srv->cfg->write_timeout_ms) {
			log_at(LOG_INFO, LOGF(LF_S("client", c->ip)),
			       "client not writable for too long: closing");
			client_close(c, 4001, "write timeout", DR_WRITE_TIMEOUT);
		}
	}
	srv->tick_next = c;
	lws_sul_schedule(srv->ctx, 0, &srv->tick, on_tick, TICK_US);
}

/* ---- the protocol callback ---------------------------------------------- */

/* A new TCP connection: 1 refuses it (stopping, or too many new ones
 * from its address). */
static int admit_connection(struct bc_server *srv, int fd)
{
	char ip[64];

	if (srv->stopping)
		return 1;
	if (lws_get_peer_simple_fd(fd, ip, sizeof(ip)) && !rate_ok(srv, ip)) {
		metric_inc(srv->m.rejected[RJ_RATE]);
		log_at(LOG_INFO, LOGF(LF_S("client", ip)),
		       "connection refused: too many new connections "
		       "from this address");
		return 1;
	}
	return 0;
}

/* A WebSocket upgrade: 1 refuses it (stopping, a path without a
 * protocol, an origin not allowed, --max-connections reached). */
static int admit_upgrade(struct bc_server *srv, struct lws *wsi)
{
	if (srv->stopping)
		return 1;
	if (path_mode(wsi) == CM_HTTP) {
		metric_inc(srv->m.rejected[RJ_PATH]);
		return 1;
	}
	if (!origin_ok(srv, wsi)) {
		metric_inc(srv->m.rejected[RJ_ORIGIN]);
		log_info("WebSocket upgrade refused: origin not allowed");
		return 1;
	}
	if (srv->nclients >= (size_t)srv->cfg->max_connections) {
		metric_inc(srv->m.rejected[RJ_MAX_CONNECTIONS]);
		log_at(LOG_WARN, LOGF(LF_U("clients", srv->nclients)),
		       "WebSocket upgrade refused: --max-connections "
		       "reached");
		return 1;
	}
	return 0;
}

/* A fragment of a client's message: gathered in c->rx up to
 * --max-message (beyond: close 1009), handed over when complete. 0, or
 * -1 to close. */
static int receive(struct client *c, struct lws *wsi, const void *in,
		   size_t len)
{
	c->last_rx_ms = clock_mono_ms();
	c->ping_sent = 0;
	if (lws_is_first_fragment(wsi)) {
		buf_reset(&c->rx);
		c->rx_binary = lws_frame_is_binary(wsi);
	}
	if (buf_add(&c->rx, in, len) < 0) {
		static const char r[] = "message too large";

		metric_inc(c->srv->m.disconnects[DR_TOO_LARGE]);
		c->closing = 1;
		c->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
		c->close_reason = r;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)r, sizeof(r) - 1);
		return -1;
	}
	if (!lws_is_final_fragment(wsi))
		return 0;
	return client_on_message(c) < 0 ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct bc_server *srv = ctx ? lws_context_user(ctx) : NULL;
	struct client *c = user;

	if (!srv)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return admit_connection(srv, (int)(lws_intptr_t)in);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return admit_upgrade(srv, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		client_ws_open(c, srv, wsi, path_mode(wsi));
		return 0;
	case LWS_CALLBACK_CLOSED:
		client_ws_close(c);
		return 0;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c->srv)
			client_on_pong(c);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (!c->srv || c->closing)
			return 0;
		return receive(c, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!c->srv)
			return 0;
		return client_on_writable(c);
	case LWS_CALLBACK_HTTP:
		return http_request(srv, c, wsi, in ? (const char *)in : "/") < 0
			       ? -1 : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writable(c, wsi);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c && c->http_body) {
			free(c->http_body - EV_PRE);
			c->http_body = NULL;
		}
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		take_events(srv);
		replay_take(srv);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- setup and the loop ------------------------------------------------- */

static void lws_log_emit(int level, const char *line)
{
	char msg[512];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", line);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_at(level == LLL_ERR ? LOG_WARN : LOG_DEBUG, LOGF(LF_S("lws", msg)),
	       "libwebsockets");
}

static int split_origins(struct bc_server *srv, const char *list)
{
	const char *p = list;

	if (!list || !*list || !strcmp(list, "*"))
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char **no;

		while (n && *p == ' ') {
			p++;
			n--;
		}
		if (n) {
			no = realloc(srv->origins, (srv->norigins + 1) * sizeof(*no));
			if (!no)
				return -1;
			srv->origins = no;
			srv->origins[srv->norigins] = strndup(p, n);
			if (!srv->origins[srv->norigins])
				return -1;
			while (n && srv->origins[srv->norigins][n - 1] == ' ')
				srv->origins[srv->norigins][--n] = '\0';
			srv->norigins++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* What serving needs besides the lws context: the origins, the rate
 * slots, metrics, status, the ring and the --rpc node. 0, 1 on failure,
 * 2 when the node serves another chain than --chain-id. */
static int server_init(struct bc_server *srv)
{
	const struct broadcaster_cfg *cfg = srv->cfg;
	int rc;

	if (split_origins(srv, cfg->allowed_origins) < 0)
		return 1;
	srv->rate = calloc(RATE_SLOTS, sizeof(*srv->rate));
	srv->metrics = metrics_new("broadcaster");
	srv->status = status_new();
	/* Room for the replay window and for every client's allowed lag
	 * (the two overlap: a client lags behind the newest events), plus a
	 * few for the reorg and gap events among them. */
	srv->ring = ring_new((size_t)(cfg->replay > cfg->queue_depth ?
				      cfg->replay : cfg->queue_depth) + 16);
	if (!srv->rate || !srv->metrics || !srv->ring || !srv->status) {
		log_error("out of memory");
		return 1;
	}
	metrics_setup(srv);
	rc = node_start(&srv->node, cfg->rpc, srv->chain_id, srv->metrics);
	if (rc != 0)
		return rc == 1 ? 2 : 1; /* 2: the node serves another chain */
	return 0;
}

/* The lws context, listening on la. 0, or -1. */
static int server_listen(struct bc_server *srv, const struct addr_hostport *la)
{
	static const lws_retry_bo_t no_validity_timers = {
		.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0,
	};
	static const struct lws_protocols protocols[] = {
		{ "blockpipe", callback, sizeof(struct client), 4096, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 },
	};
	const struct broadcaster_cfg *cfg = srv->cfg;
	struct lws_context_creation_info info;
	void *loops[1];
	int logs = LLL_ERR;

	if (log_enabled(LOG_DEBUG))
		logs |= LLL_WARN | LLL_NOTICE;
	lws_set_log_level(logs, lws_log_emit);

	memset(&info, 0, sizeof(info));
	info.port = la->port;
	info.iface = !la->any && strcmp(la->host, "0.0.0.0") ?
		     la->host : NULL;
	info.protocols = protocols;
	info.user = srv;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	if (!la->ipv6)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	/* A policy with no validity times: without one lws applies its
	 * default (ping at 300 s, hang up at 310 s) and re-inserts each
	 * connection's timer into one sorted list (O(n) a time) on every
	 * pong and at every handshake. At 10000 clients the probes' pongs
	 * made that 60 % of the service thread's CPU and the delivery
	 * backlog grow; the tick pings idle clients instead. */
	info.retry_and_idle_policy = &no_validity_timers;
	info.timeout_secs = (unsigned int)((cfg->header_timeout_ms + 999) / 1000);
	info.timeout_secs_ah_idle = info.timeout_secs;
	/* fd_limit_per_thread stays 0: below the process's descriptor
	 * limit lws falls back to a linear fd-to-connection lookup, which
	 * dominated the profile at a few thousand clients. */
	info.pt_serv_buf_size = 32768;
	/* lws on a libev loop of our own, on epoll: lws's own poll() loop
	 * hands the kernel every descriptor on every wake-up (a pong, a
	 * request), which at 10000 clients was a third of the service
	 * thread's CPU. serve() runs the loop. */
	srv->loop = ev_loop_new(EVBACKEND_EPOLL);
	if (!srv->loop)
		return log_error("cannot create the event loop (libev, epoll)");
	loops[0] = srv->loop;
	info.options |= LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	srv->ctx = lws_create_context(&info);
	if (!srv->ctx)
		return log_error("cannot start the WebSocket server on '%s'",
				 cfg->listen);
	srv->vh = lws_get_vhost_by_name(srv->ctx, "default");
	log_at(LOG_INFO, LOGF(LF_S("listen", cfg->listen),
			      LF_I("port", srv->vh ?
				   lws_get_vhost_listen_port(srv->vh) : la->port)),
	       "listening");
	return 0;
}

/* Serve until a signal, then until every client has gone or the grace
 * period is over. 0, or -1 when the service failed. */
static int serve(struct bc_server *srv)
{
	int64_t deadline = 0;

	for (;;) {
		notify_loop(http_ready(srv));
		ev_run(srv->loop, EVRUN_ONCE);
		if (sig_stopping() && !srv->stopping)
			begin_shutdown(srv);
		if (srv->stopping) {
			if (!deadline)
				deadline = clock_mono_ms() + SHUTDOWN_GRACE_MS;
			if (!srv->nclients || clock_mono_ms() > deadline)
				break;
		}
	}
	log_at(LOG_INFO, LOGF(LF_U("clients_left", srv->nclients)), "stopped");
	return 0;
}

/* Stop the input thread and the node, free what srv holds. */
static void server_release(struct bc_server *srv)
{
	input_stop(srv);
	replay_teardown(srv);
	node_stop(&srv->node);
	if (srv->ctx) {
		lws_sul_cancel(&srv->tick);
		lws_context_destroy(srv->ctx);
	}
	if (srv->loop)
		ev_loop_destroy(srv->loop);
	ring_destroy(&srv->ring);
	status_destroy(&srv->status);
	metrics_destroy(&srv->metrics);
	for (size_t i = 0; i < srv->norigins; i++)
		free(srv->origins[i]);
	free(srv->origins);
	free(srv->rate);
	pthread_mutex_destroy(&srv->qlock);
	pthread_cond_destroy(&srv->qcond);
}

int broadcaster_run(const struct broadcaster_cfg *cfg)
{
	struct bc_server srv;
	struct addr_hostport la;
	char why[128];
	int rc = 1;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	srv.chain_id = (uint64_t)cfg->chain_id;
	pthread_mutex_init(&srv.qlock, NULL);
	pthread_cond_init(&srv.qcond, NULL);
	if (addr_parse(cfg->listen, &la, why, sizeof(why)) < 0) {
		log_error("invalid --listen address '%s': %s", cfg->listen, why);
		goto out;
	}
	rc = server_init(&srv);
	if (rc != 0)
		goto out;
	rc = 1;
	if (server_listen(&srv, &la) < 0 || replay_setup(&srv) < 0 ||
	    input_start(&srv) < 0)
		goto out;
	lws_sul_schedule(srv.ctx, 0, &srv.tick, on_tick, TICK_US);
	if (serve(&srv) == 0)
		rc = 0;
out:
	server_release(&srv);
	return rc;
}
