/* eth_subscribe: JSON-RPC requests and their answers, the client's
 * subscriptions, and the eth_subscription notifications it is owed. */
#include "ethsub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "clock.h"
#include "events.h"
#include "hex.h"
#include "metrics.h"
#include "node.h"
#include "replay.h"
#include "ring.h"
#include "banned.h"

/* Requests of a batch answered; the rest are ignored. */
#define RPC_BATCH_MAX 100

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

static void new_sub_id(char id[SUB_ID_LEN + 1])
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

/* The optional fromBlock of a subscription's parameters (an extension):
 * 1 with *h set, 0 when absent, -1 when invalid. */
static int parse_from_block(yajl_val params, uint64_t *h)
{
	yajl_val opt = params->u.array.len > 1 ? params->u.array.values[1] :
		       NULL;
	yajl_val v = opt && YAJL_IS_OBJECT(opt) ? json_get(opt, "fromBlock") :
		     NULL;

	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (YAJL_IS_STRING(v))
		return json_hex_u64(YAJL_GET_STRING(v), h) < 0 ? -1 : 1;
	if (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0) {
		*h = (uint64_t)YAJL_GET_INTEGER(v);
		return 1;
	}
	return -1;
}

/* Start the connection's subscriptions at height h: from the ring when it
 * holds it, else from the database. A second subscription joins when it
 * names the same height before any notification was written. 0, or -1
 * with why. */
static int start_from_block(struct client *c, uint64_t h, char *why,
			    size_t whylen)
{
	struct ring *ring = c->srv->ring;
	uint64_t pos, oldest;

	if (c->nactive) {
		if (c->eth_from == h + 1 && !c->eth_sent)
			return 0;
		snprintf(why, whylen, "fromBlock: this connection has "
			 "subscriptions already (give each the same fromBlock "
			 "before any notification, or use a connection of its "
			 "own)");
		return -1;
	}
	if (ring_find_since(ring, h, &pos, &oldest) != RING_SINCE_TOO_OLD) {
		c->pos = pos;
		c->phase = c->li = c->si = 0;
		c->replay_end = ring_head(ring);
	} else if (replay_begin(c, 0, REPLAY_SINCE_HEIGHT, h, why,
				whylen) < 0) {
		return -1;
	}
	c->eth_from = h + 1;
	c->eth_sent = 0;
	return 0;
}

/* A subscription slot not in use, or a new one; NULL when out of memory. */
static struct sub *free_slot(struct client *c)
{
	struct sub *ns;

	for (size_t i = 0; i < c->nslots; i++)
		if (!c->subs[i].active)
			return &c->subs[i];
	ns = realloc(c->subs, (c->nslots + 1) * sizeof(*ns));
	if (!ns)
		return NULL;
	c->subs = ns;
	return &c->subs[c->nslots++];
}

/* A new subscription's start: 1 from its fromBlock (the connection set
 * to replay from there), 0 live, -1 after answering an error. */
static int subscribe_from(struct client *c, yajl_gen g, yajl_val id,
			  yajl_val params)
{
	int from;
	uint64_t h = 0;
	char why[160], msg[240];

	from = parse_from_block(params, &h);
	if (from < 0 || (from == 0 && c->replay) ||
	    (from > 0 && start_from_block(c, h, why, sizeof(why)) < 0)) {
		snprintf(msg, sizeof(msg), "invalid params: %s", from < 0 ?
			 "fromBlock must be a block number" : from == 0 ?
			 "a replay (fromBlock) is in progress on this "
			 "connection" : why);
		rpc_error(c, g, id, -32602, msg);
		return -1;
	}
	return from;
}

static void rpc_subscribe(struct client *c, yajl_gen g, yajl_val id,
			  yajl_val params)
{
	const char *kind;
	struct sub *s;
	struct log_filter f = LOG_FILTER_INIT;
	enum sub_kind k;
	int from;
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
	from = subscribe_from(c, g, id, params);
	if (from < 0) {
		filter_release(&f);
		return;
	}
	s = free_slot(c);
	if (!s) {
		filter_release(&f);
		rpc_error(c, g, id, -32603, "out of memory");
		return;
	}
	memset(s, 0, sizeof(*s));
	if (!c->nactive && !from) {
		c->pos = ring_head(c->srv->ring);
		c->phase = c->li = c->si = 0;
		c->eth_from = 0;
	}
	s->active = 1;
	s->kind = k;
	s->filter = f;
	s->from_pos = from ? 0 : ring_head(c->srv->ring);
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

void ethsub_on_request(struct client *c, yajl_val root)
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
			for (size_t i = 0; i < root->u.array.len && i < RPC_BATCH_MAX; i++)
				answered |= rpc_one(c, g, root->u.array.values[i]);
			yajl_gen_array_close(g);
		}
	} else {
		answered = rpc_one(c, g, root);
	}
	if (answered)
		client_queue_gen(c, g);
	yajl_gen_free(g);
}

void ethsub_on_bad_message(struct client *c, enum bad_message why,
			   const char *err)
{
	yajl_gen g;

	if (why == BM_BINARY) {
		static const char m[] = "{\"jsonrpc\":\"2.0\",\"id\":"
			"null,\"error\":{\"code\":-32600,\"message\":"
			"\"binary frames are not supported\"}}";

		client_queue_reply(c, m, sizeof(m) - 1);
		return;
	}
	g = json_gen_new();
	if (!g)
		return;
	/* A repeated key is valid JSON but no valid request: -32600,
	 * saying which key. */
	if (why == BM_DUPLICATE)
		rpc_error(c, g, NULL, -32600, err);
	else
		rpc_error(c, g, NULL, -32700, "parse error");
	client_queue_gen(c, g);
	yajl_gen_free(g);
}

void ethsub_release(struct client *c)
{
	for (size_t i = 0; i < c->nslots; i++) {
		if (c->subs[i].active)
			metric_add(c->srv->m.subs[c->subs[i].kind], -1);
		filter_release(&c->subs[i].filter);
	}
	free(c->subs);
	c->subs = NULL;
	c->nslots = c->nactive = 0;
}

/* ---- notifications owed ------------------------------------------------- */

int ethsub_next(struct client *c, const struct bc_event *ev, uint64_t pos,
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

int ethsub_notification(struct client *c, const struct frame_out *o,
			char **p, size_t *n)
{
	static const char pre[] = "{\"jsonrpc\":\"2.0\",\"method\":"
		"\"eth_subscription\",\"params\":{\"subscription\":\"";
	static const char mid[] = "\",\"result\":";

	c->eth_sent = 1;
	buf_reset(&c->out);
	if (buf_grow(&c->out, EV_PRE + sizeof(pre) + SUB_ID_LEN + sizeof(mid) +
		     o->f->len + 2) < 0)
		return -1;
	memset(c->out.data, 0, EV_PRE);
	c->out.len = EV_PRE;
	buf_add(&c->out, pre, sizeof(pre) - 1);
	buf_add(&c->out, o->sub_id, SUB_ID_LEN);
	buf_add(&c->out, mid, sizeof(mid) - 1);
	buf_add(&c->out, o->f->data, o->f->len);
	buf_add(&c->out, "}}", 2);
	*p = c->out.data + EV_PRE;
	*n = c->out.len - EV_PRE;
	return 0;
}
