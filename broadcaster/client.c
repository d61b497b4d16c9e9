/* One WebSocket client: its requests (channel protocol or JSON-RPC), its
 * subscriptions, and the frames it is owed from the ring. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "events.h"
#include "hex.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "node.h"
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

static void set_chans(struct client *c, int chans)
{
	static const struct { int bit; enum sub_kind k; } map[] = {
		{ CH_NEWBLOCKS, SK_NEWBLOCKS }, { CH_NEWTXS, SK_NEWTXS },
		{ CH_NEWLOGS, SK_NEWLOGS }, { CH_REORGS, SK_REORGS },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int was = !!(c->chans & map[i].bit), is = !!(chans & map[i].bit);

		if (was != is)
			metric_add(c->srv->m.subs[map[i].k], is - was);
	}
	c->chans = chans;
}

void client_ws_close(struct client *c)
{
	struct bc_server *srv = c->srv;

	if (!srv)
		return;
	replay_cancel(c);
	set_chans(c, 0);
	for (size_t i = 0; i < c->nslots; i++) {
		if (c->subs[i].active)
			metric_add(srv->m.subs[c->subs[i].kind], -1);
		filter_release(&c->subs[i].filter);
	}
	free(c->subs);
	filter_release(&c->chan_filter);
	while (c->ctl_head) {
		struct ctl_msg *m = c->ctl_head;

		c->ctl_head = m->next;
		free(m);
	}
	buf_release(&c->rx);
	buf_release(&c->out);
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

void client_close(struct client *c, int code, const char *reason,
		  enum disc_reason why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_code = code;
	c->close_reason = reason;
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
		lws_callback_on_writable(c->wsi);
	}
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
	} else if (age >= wt / 4 && !c->probe_out && !c->ping_due) {
		c->ping_due = 1;
		lws_callback_on_writable(c->wsi);
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

/* A frame went into the socket: it is unread until a pong says so. */
static void note_written(struct client *c)
{
	int64_t now = clock_mono_ms();

	if (!c->unread_since)
		c->unread_since = now;
	if (c->probe_out && !c->after_probe_since)
		c->after_probe_since = now;
}

/* ---- replies ------------------------------------------------------------ */

static int queue_ctl(struct client *c, const char *p, size_t n)
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

static int queue_gen(struct client *c, yajl_gen g)
{
	const unsigned char *p;
	size_t n;

	if (yajl_gen_get_buf(g, &p, &n) != yajl_gen_status_ok)
		return -1;
	return queue_ctl(c, (const char *)p, n);
}

#define chan_error client_chan_error

void client_chan_error(struct client *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	yajl_gen g = json_gen_new();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	metric_inc(c->srv->m.bad_requests);
	if (!g)
		return;
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "error");
	json_gen_key(g, "error");
	json_gen_cstr(g, msg);
	yajl_gen_map_close(g);
	queue_gen(c, g);
	yajl_gen_free(g);
}

/* ---- channel protocol --------------------------------------------------- */

static int chan_bit(const char *name)
{
	if (!strcmp(name, "newBlocks"))
		return CH_NEWBLOCKS;
	if (!strcmp(name, "newTxs"))
		return CH_NEWTXS;
	if (!strcmp(name, "newLogs"))
		return CH_NEWLOGS;
	if (!strcmp(name, "reorgs"))
		return CH_REORGS;
	return 0;
}

static void chan_ack(struct client *c, const char *type, const char *key,
		     uint64_t from)
{
	static const char *const names[] = { "newBlocks", "newTxs", "newLogs",
					     "reorgs" };
	yajl_gen g = json_gen_new();

	if (!g)
		return;
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, type);
	json_gen_key(g, "channels");
	yajl_gen_array_open(g);
	for (int i = 0; i < 4; i++)
		if (c->chans & (1 << i))
			json_gen_cstr(g, names[i]);
	yajl_gen_array_close(g);
	if (key) {
		json_gen_key(g, key);
		json_gen_u64(g, from);
	}
	yajl_gen_map_close(g);
	queue_gen(c, g);
	yajl_gen_free(g);
}

static void chan_request(struct client *c, yajl_val req)
{
	const char *action = json_get_str(req, "action");
	yajl_val chans = json_get(req, "channels");
	yajl_val since = json_get(req, "since");
	yajl_val since_seq = json_get(req, "since_seq");
	int bits = 0, sub;
	struct ring *ring = c->srv->ring;

	if (!action) {
		chan_error(c, "missing 'action' (subscribe, unsubscribe or ping)");
		return;
	}
	if (!strcmp(action, "ping")) {
		queue_ctl(c, "{\"type\":\"pong\"}", 15);
		return;
	}
	sub = !strcmp(action, "subscribe");
	if (!sub && strcmp(action, "unsubscribe")) {
		chan_error(c, "unknown action '%.64s' (use subscribe, unsubscribe "
			   "or ping)", action);
		return;
	}
	if (sub && c->replay) {
		chan_error(c, "a replay from the database is in progress: "
			   "subscribe when it is done");
		return;
	}
	if (!chans || !YAJL_IS_ARRAY(chans) || !chans->u.array.len) {
		chan_error(c, "'channels' must be a non-empty array of newBlocks, "
			   "newTxs, newLogs, reorgs");
		return;
	}
	for (size_t i = 0; i < chans->u.array.len; i++) {
		yajl_val v = chans->u.array.values[i];
		int b = YAJL_IS_STRING(v) ? chan_bit(YAJL_GET_STRING(v)) : 0;

		if (!b) {
			chan_error(c, "unknown channel '%.64s' (use newBlocks, "
				   "newTxs, newLogs, reorgs)",
				   YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "?");
			return;
		}
		bits |= b;
	}
	if (!sub) {
		set_chans(c, c->chans & ~bits);
		chan_ack(c, "unsubscribed", NULL, 0);
		return;
	}
	if (json_get(req, "filter")) {
		struct log_filter f;
		char why[128];

		if (filter_parse(json_get(req, "filter"), &f, why,
				 sizeof(why)) < 0) {
			chan_error(c, "invalid filter: %s", why);
			return;
		}
		filter_release(&c->chan_filter);
		c->chan_filter = f;
	}
	if ((since && !YAJL_IS_NULL(since)) ||
	    (since_seq && !YAJL_IS_NULL(since_seq))) {
		replay_since(c, bits, since, since_seq);
		return;
	}
	if (!c->chans) {
		c->pos = ring_head(ring);
		c->step = 0;
	}
	set_chans(c, c->chans | bits);
	chan_ack(c, "subscribed", NULL, 0);
}

void client_chan_subscribed(struct client *c, int bits, const char *key,
			    uint64_t since)
{
	set_chans(c, c->chans | bits);
	chan_ack(c, "subscribed", key, since);
	lws_callback_on_writable(c->wsi);
}

/* ---- JSON-RPC ----------------------------------------------------------- */

static void gen_id(yajl_gen g, yajl_val id)
{
	if (id && YAJL_IS_NUMBER(id) && YAJL_GET_NUMBER(id))
		json_gen_raw(g, YAJL_GET_NUMBER(id), strlen(YAJL_GET_NUMBER(id)));
	else if (id && YAJL_IS_STRING(id))
		json_gen_cstr(g, YAJL_GET_STRING(id));
	else
		yajl_gen_null(g);
}

static void rpc_head(yajl_gen g, yajl_val id)
{
	yajl_gen_map_open(g);
	json_gen_key(g, "jsonrpc");
	json_gen_cstr(g, "2.0");
	json_gen_key(g, "id");
	gen_id(g, id);
}

static void rpc_error(struct client *c, yajl_gen g, yajl_val id, int code,
		      const char *msg)
{
	metric_inc(c->srv->m.bad_requests);
	rpc_head(g, id);
	json_gen_key(g, "error");
	yajl_gen_map_open(g);
	json_gen_key(g, "code");
	yajl_gen_integer(g, code);
	json_gen_key(g, "message");
	json_gen_cstr(g, msg);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void rpc_result_str(yajl_gen g, yajl_val id, const char *s)
{
	rpc_head(g, id);
	json_gen_key(g, "result");
	json_gen_cstr(g, s);
	yajl_gen_map_close(g);
}

static void new_sub_id(char id[35])
{
	uint8_t r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Not secret, only unique within this process. */
		static uint64_t n;
		uint64_t t = (uint64_t)clock_mono_ms() ^ ++n;

		memcpy(r, &t, 8);
		memcpy(r + 8, &n, 8);
	}
	hex_encode(r, sizeof(r), id);
}

static void rpc_subscribe(struct client *c, yajl_gen g, yajl_val id,
			  yajl_val params)
{
	const char *kind;
	struct sub *s = NULL;
	struct log_filter f = LOG_FILTER_INIT;
	enum sub_kind k;
	char why[160];

	if (!params || !YAJL_IS_ARRAY(params) || !params->u.array.len ||
	    !YAJL_IS_STRING(params->u.array.values[0])) {
		rpc_error(c, g, id, -32602, "invalid params: want "
			  "[\"newHeads\"] or [\"logs\", filter]");
		return;
	}
	kind = YAJL_GET_STRING(params->u.array.values[0]);
	if (!strcmp(kind, "newHeads")) {
		k = SK_NEWHEADS;
	} else if (!strcmp(kind, "logs")) {
		k = SK_LOGS;
		if (filter_parse(params->u.array.len > 1 ?
				 params->u.array.values[1] : NULL,
				 &f, why, sizeof(why)) < 0) {
			char msg[200];

			snprintf(msg, sizeof(msg), "invalid params: %s", why);
			rpc_error(c, g, id, -32602, msg);
			return;
		}
	} else {
		char msg[200];

		snprintf(msg, sizeof(msg), "unsupported subscription '%.64s' "
			 "(newHeads and logs are)", kind);
		rpc_error(c, g, id, -32602, msg);
		return;
	}
	if (c->nactive >= (size_t)c->srv->cfg->max_subscriptions) {
		char msg[120];

		filter_release(&f);
		snprintf(msg, sizeof(msg), "too many subscriptions (at most %lld "
			 "a connection)", c->srv->cfg->max_subscriptions);
		rpc_error(c, g, id, -32005, msg);
		return;
	}
	for (size_t i = 0; i < c->nslots; i++)
		if (!c->subs[i].active) {
			s = &c->subs[i];
			break;
		}
	if (!s) {
		struct sub *ns = realloc(c->subs, (c->nslots + 1) * sizeof(*ns));

		if (!ns) {
			filter_release(&f);
			rpc_error(c, g, id, -32603, "out of memory");
			return;
		}
		c->subs = ns;
		s = &c->subs[c->nslots++];
	}
	memset(s, 0, sizeof(*s));
	if (!c->nactive) {
		c->pos = ring_head(c->srv->ring);
		c->phase = c->li = c->si = 0;
	}
	s->active = 1;
	s->kind = k;
	s->filter = f;
	s->from_pos = ring_head(c->srv->ring);
	new_sub_id(s->id);
	c->nactive++;
	metric_add(c->srv->m.subs[k], 1);
	rpc_result_str(g, id, s->id);
}

static void rpc_unsubscribe(struct client *c, yajl_gen g, yajl_val id,
			    yajl_val params)
{
	const char *sid = NULL;
	int found = 0;

	if (params && YAJL_IS_ARRAY(params) && params->u.array.len &&
	    YAJL_IS_STRING(params->u.array.values[0]))
		sid = YAJL_GET_STRING(params->u.array.values[0]);
	if (!sid) {
		rpc_error(c, g, id, -32602, "invalid params: want [id]");
		return;
	}
	for (size_t i = 0; i < c->nslots; i++) {
		struct sub *s = &c->subs[i];

		if (s->active && !strcasecmp(s->id, sid)) {
			s->active = 0;
			filter_release(&s->filter);
			c->nactive--;
			metric_add(c->srv->m.subs[s->kind], -1);
			found = 1;
		}
	}
	rpc_head(g, id);
	json_gen_key(g, "result");
	yajl_gen_bool(g, found);
	yajl_gen_map_close(g);
}

/* eth_getBlockByNumber / eth_getBlockByHash(x, false) for the blocks the
 * ring holds (viem's watchBlocks asks for each head it is sent). The
 * newest event for a height is the canonical one. */
static void rpc_get_block(struct client *c, yajl_gen g, yajl_val id,
			  yajl_val params, int by_hash)
{
	struct ring *ring = c->srv->ring;
	const char *arg = NULL;
	uint64_t want = 0;
	int latest = 0;
	char msg[160];

	if (params && YAJL_IS_ARRAY(params) && params->u.array.len &&
	    YAJL_IS_STRING(params->u.array.values[0]))
		arg = YAJL_GET_STRING(params->u.array.values[0]);
	if (!arg || (!by_hash && strcmp(arg, "latest") &&
		     json_hex_u64(arg, &want) < 0) ||
	    (by_hash && !json_is_hex_len(arg, 32))) {
		rpc_error(c, g, id, -32602, "invalid params");
		return;
	}
	if (params->u.array.len > 1 &&
	    YAJL_IS_TRUE(params->u.array.values[1])) {
		rpc_error(c, g, id, -32602, "only transaction hashes are served "
			  "(second parameter false)");
		return;
	}
	latest = !by_hash && !strcmp(arg, "latest");
	for (uint64_t p = ring_head(ring); p-- > ring_tail(ring);) {
		const struct bc_event *ev = ring_get(ring, p);

		if (ev->kind != EV_BLOCK || !ev->eth_block.data)
			continue;
		if (latest || (by_hash ? !strcasecmp(ev->hash, arg) :
				 ev->height == want)) {
			rpc_head(g, id);
			json_gen_key(g, "result");
			json_gen_raw(g, ev->eth_block.data, ev->eth_block.len);
			yajl_gen_map_close(g);
			return;
		}
	}
	snprintf(msg, sizeof(msg), "block %.70s is not among the recent blocks "
		 "the broadcaster keeps", arg);
	rpc_error(c, g, id, -32000, msg);
}

/* One request into g; returns 0 when nothing is to be answered (a
 * notification). */
static int rpc_one(struct client *c, yajl_gen g, yajl_val req)
{
	const char *method = json_get_str(req, "method");
	yajl_val id = json_get(req, "id");
	yajl_val params = json_get(req, "params");
	struct bc_server *srv = c->srv;
	char hex[32];

	if (!YAJL_IS_OBJECT(req) || !method) {
		rpc_error(c, g, id, -32600, "invalid request");
		return 1;
	}
	if (!strcmp(method, "eth_subscribe")) {
		rpc_subscribe(c, g, id, params);
	} else if (!strcmp(method, "eth_unsubscribe")) {
		rpc_unsubscribe(c, g, id, params);
	} else if (!strcmp(method, "eth_chainId") ||
		   !strcmp(method, "net_version")) {
		uint64_t chain = srv->chain_id ? srv->chain_id :
				 node_chain_id(srv->node);

		if (!chain) {
			rpc_error(c, g, id, -32000, "chain id not known yet "
				  "(no message from the verifier, no --rpc "
				  "node answering, no --chain-id)");
			return 1;
		}
		snprintf(hex, sizeof(hex), method[0] == 'e' ? "0x%" PRIx64 :
			 "%" PRIu64, chain);
		rpc_result_str(g, id, hex);
	} else if (!strcmp(method, "eth_blockNumber")) {
		uint64_t tip = srv->tip;

		if (!srv->have_tip && node_head(srv->node, &tip) < 0) {
			rpc_error(c, g, id, -32000, "no block seen yet (no "
				  "message from the verifier, no --rpc node "
				  "answering)");
			return 1;
		}
		snprintf(hex, sizeof(hex), "0x%" PRIx64, tip);
		rpc_result_str(g, id, hex);
	} else if (!strcmp(method, "eth_getBlockByNumber") ||
		   !strcmp(method, "eth_getBlockByHash")) {
		rpc_get_block(c, g, id, params, !strcmp(method, "eth_getBlockByHash"));
	} else if (!strcmp(method, "web3_clientVersion")) {
		rpc_result_str(g, id, "blockpipe-broadcaster/" BLOCKPIPE_VERSION);
	} else {
		char msg[160];

		snprintf(msg, sizeof(msg), "the method %.64s does not exist/is "
			 "not available", method);
		rpc_error(c, g, id, -32601, msg);
	}
	return 1;
}

static void rpc_request(struct client *c, yajl_val root)
{
	yajl_gen g = json_gen_new();
	int answered = 0;

	if (!g)
		return;
	if (YAJL_IS_ARRAY(root)) {
		if (!root->u.array.len) {
			rpc_error(c, g, NULL, -32600, "invalid request: empty batch");
			answered = 1;
		} else {
			yajl_gen_array_open(g);
			for (size_t i = 0; i < root->u.array.len && i < 100; i++)
				answered |= rpc_one(c, g, root->u.array.values[i]);
			yajl_gen_array_close(g);
		}
	} else {
		answered = rpc_one(c, g, root);
	}
	if (answered)
		queue_gen(c, g);
	yajl_gen_free(g);
}

int client_on_message(struct client *c)
{
	yajl_val root;
	char err[160];
	enum json_status st;

	if (c->rx_binary) {
		if (c->mode == CM_CHAN)
			chan_error(c, "binary frames are not supported: send "
				   "JSON text");
		else {
			static const char m[] = "{\"jsonrpc\":\"2.0\",\"id\":"
				"null,\"error\":{\"code\":-32600,\"message\":"
				"\"binary frames are not supported\"}}";

			queue_ctl(c, m, sizeof(m) - 1);
		}
		return c->closing ? -1 : 0;
	}
	if (buf_addch(&c->rx, '\0') < 0)
		return -1;
	root = json_parse_st(c->rx.data, err, sizeof(err), &st);
	if (!root) {
		if (st == JSON_DUPLICATE)
			metric_inc(c->srv->m.dup_requests);
		if (c->mode == CM_CHAN && st == JSON_DUPLICATE) {
			chan_error(c, "%s", err);
		} else if (c->mode == CM_CHAN) {
			chan_error(c, "invalid JSON: %s", err);
		} else {
			yajl_gen g = json_gen_new();

			/* A repeated key is valid JSON but no valid
			 * request: -32600, saying which key. */
			if (g && st == JSON_DUPLICATE) {
				rpc_error(c, g, NULL, -32600, err);
				queue_gen(c, g);
				yajl_gen_free(g);
			} else if (g) {
				rpc_error(c, g, NULL, -32700, "parse error");
				queue_gen(c, g);
				yajl_gen_free(g);
			}
		}
		return c->closing ? -1 : 0;
	}
	if (c->mode == CM_CHAN) {
		if (YAJL_IS_OBJECT(root))
			chan_request(c, root);
		else
			chan_error(c, "a request is a JSON object with 'action'");
	} else {
		rpc_request(c, root);
	}
	yajl_tree_free(root);
	return c->closing ? -1 : 0;
}

/* ---- frames owed -------------------------------------------------------- */

struct frame_out {
	const struct ev_frame *f;
	const char *sub_id; /* eth: splice into eth_subscription */
	enum frame_type type;
};

/* The next frame owed within ev at or after the cursor. With consume the
 * cursor moves past it; without, it stops on it (a peek). */
static int chan_next(struct client *c, const struct bc_event *ev,
		     struct frame_out *o, int consume)
{
	uint32_t nsteps = 2 + (uint32_t)ev->nlogs;

	for (; c->step < nsteps; c->step++) {
		uint32_t s = c->step;

		if (s == 0) {
			if (!ev->chan_main.data)
				continue;
			if (ev->kind == EV_BLOCK && (c->chans & CH_NEWBLOCKS))
				*o = (struct frame_out){ &ev->chan_main, NULL,
							 FT_NEWBLOCK };
			else if (ev->kind == EV_REORG && (c->chans & CH_REORGS))
				*o = (struct frame_out){ &ev->chan_main, NULL,
							 FT_REORG };
			else if (ev->kind == EV_GAP)
				*o = (struct frame_out){ &ev->chan_main, NULL,
							 FT_GAP };
			else
				continue;
		} else if (s == 1) {
			if (!ev->chan_txs.data || !(c->chans & CH_NEWTXS))
				continue;
			*o = (struct frame_out){ &ev->chan_txs, NULL, FT_NEWTXS };
		} else {
			const struct ev_log *l = &ev->logs[s - 2];

			if (!(c->chans & CH_NEWLOGS) ||
			    !filter_match(&c->chan_filter, &l->key))
				continue;
			*o = (struct frame_out){ &l->chan, NULL, FT_NEWLOG };
		}
		c->step += (uint32_t)consume;
		return 1;
	}
	return 0;
}

static int eth_next(struct client *c, const struct bc_event *ev, uint64_t pos,
		    struct frame_out *o, int consume)
{
	if (c->phase == 0) {
		for (; ev->kind == EV_BLOCK && c->si < c->nslots; c->si++) {
			struct sub *s = &c->subs[c->si];

			if (!s->active || s->kind != SK_NEWHEADS ||
			    pos < s->from_pos)
				continue;
			*o = (struct frame_out){ &ev->eth_head, s->id,
						 FT_NEWHEADS };
			c->si += (uint32_t)consume;
			return 1;
		}
		c->phase = 1;
		c->li = 0;
		c->si = 0;
	}
	for (; c->li < ev->nlogs; c->li++, c->si = 0) {
		const struct ev_log *l = &ev->logs[c->li];

		for (; c->si < c->nslots; c->si++) {
			struct sub *s = &c->subs[c->si];

			if (!s->active || s->kind != SK_LOGS ||
			    pos < s->from_pos || !filter_match(&s->filter, &l->key))
				continue;
			*o = (struct frame_out){ &l->eth, s->id, FT_LOGS };
			c->si += (uint32_t)consume;
			return 1;
		}
	}
	return 0;
}

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
					   eth_next(c, ev, c->pos, o, consume);
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

static int write_frame(struct client *c, char *p, size_t n,
		       enum frame_type t)
{
	int w = lws_write(c->wsi, (unsigned char *)p, n, LWS_WRITE_TEXT);

	if (w < (int)n)
		return -1;
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
	lws_callback_on_writable(c->wsi);
}

int client_on_writable(struct client *c)
{
	struct frame_out o;
	const struct bc_event *ev = NULL;
	int r;

	c->last_progress_ms = clock_mono_ms();
	if (c->closing) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)c->close_reason,
				 strlen(c->close_reason));
		return -1;
	}
	if (c->ping_due) {
		/* A payload: lws reports an empty pong to no callback. */
		unsigned char ping[LWS_PRE + 4] = { 0 };

		memcpy(ping + LWS_PRE, "bp", 2);
		c->ping_due = 0;
		c->ping_sent = 1;
		if (lws_write(c->wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 0)
			return -1;
		if (!c->probe_out) {
			c->probe_out = 1;
			c->after_probe_since = 0;
		}
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->ctl_head) {
		struct ctl_msg *m = c->ctl_head;

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
	r = next_frame(c, &o, &ev, 1);
	if (r < 0) {
		client_notify(c); /* out of the ring: overflow */
		return 0;
	}
	if (!r)
		return 0;
	if (ev->emitted_at && c->observed != c->pos + 1) {
		int64_t d = clock_wall_ms() - ev->emitted_at;

		metric_observe(c->srv->m.latency, d > 0 ? (double)d / 1000 : 0);
		c->observed = c->pos + 1;
	}
	if (o.sub_id) {
		static const char pre[] = "{\"jsonrpc\":\"2.0\",\"method\":"
			"\"eth_subscription\",\"params\":{\"subscription\":\"";
		static const char mid[] = "\",\"result\":";

		buf_reset(&c->out);
		if (buf_grow(&c->out, EV_PRE + sizeof(pre) + 34 + sizeof(mid) +
			     o.f->len + 2) < 0)
			return -1;
		memset(c->out.data, 0, EV_PRE);
		c->out.len = EV_PRE;
		buf_add(&c->out, pre, sizeof(pre) - 1);
		buf_add(&c->out, o.sub_id, 34);
		buf_add(&c->out, mid, sizeof(mid) - 1);
		buf_add(&c->out, o.f->data, o.f->len);
		buf_add(&c->out, "}}", 2);
		r = write_frame(c, c->out.data + EV_PRE, c->out.len - EV_PRE,
				o.type);
	} else {
		r = write_frame(c, o.f->data, o.f->len, o.type);
	}
	if (r < 0)
		return -1;
	/* Skip what is not for this client now, so that a writable
	 * callback is asked for only when a frame is owed. */
	if (next_frame(c, &o, &ev, 0) != 0)
		lws_callback_on_writable(c->wsi);
	return 0;
}

const char *bc_sub_kind_name(enum sub_kind k)
{
	return sk_names[k];
}
