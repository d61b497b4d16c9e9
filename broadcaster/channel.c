/* The channel protocol: subscribe/unsubscribe/ping requests, their
 * replies, and the frames of an event a channel client is owed. */
#include "channel.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "metrics.h"
#include "replay.h"
#include "ring.h"
#include "banned.h"

/* In the order of the CH_ bits. */
static const char *const chan_names[] = { "newBlocks", "newTxs", "newLogs",
					  "reorgs" };
#define NCHANS (sizeof(chan_names) / sizeof(chan_names[0]))

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

void chan_release(struct client *c)
{
	set_chans(c, 0);
	filter_release(&c->chan_filter);
}

void chan_error(struct client *c, const char *fmt, ...)
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
	client_queue_gen(c, g);
	yajl_gen_free(g);
}

void chan_on_bad_message(struct client *c, enum bad_message why,
			 const char *err)
{
	switch (why) {
	case BM_BINARY:
		chan_error(c, "binary frames are not supported: send JSON text");
		break;
	case BM_DUPLICATE:
		chan_error(c, "%s", err);
		break;
	case BM_PARSE:
		chan_error(c, "invalid JSON: %s", err);
		break;
	}
}

static int chan_bit(const char *name)
{
	for (size_t i = 0; i < NCHANS; i++)
		if (!strcmp(name, chan_names[i]))
			return 1 << i;
	return 0;
}

static void chan_ack(struct client *c, const char *type, const char *key,
		     uint64_t from)
{
	yajl_gen g = json_gen_new();

	if (!g)
		return;
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, type);
	json_gen_key(g, "channels");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < NCHANS; i++)
		if (c->chans & (1 << i))
			json_gen_cstr(g, chan_names[i]);
	yajl_gen_array_close(g);
	if (key) {
		json_gen_key(g, key);
		json_gen_u64(g, from);
	}
	yajl_gen_map_close(g);
	client_queue_gen(c, g);
	yajl_gen_free(g);
}

/* The CH_ bits of a request's 'channels'; 0 after answering an error. */
static int chan_bits(struct client *c, yajl_val chans)
{
	int bits = 0;

	if (!chans || !YAJL_IS_ARRAY(chans) || !chans->u.array.len) {
		chan_error(c, "'channels' must be a non-empty array of newBlocks, "
			   "newTxs, newLogs, reorgs");
		return 0;
	}
	for (size_t i = 0; i < chans->u.array.len; i++) {
		yajl_val v = chans->u.array.values[i];
		int b = YAJL_IS_STRING(v) ? chan_bit(YAJL_GET_STRING(v)) : 0;

		if (!b) {
			chan_error(c, "unknown channel '%.64s' (use newBlocks, "
				   "newTxs, newLogs, reorgs)",
				   YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "?");
			return 0;
		}
		bits |= b;
	}
	return bits;
}

void chan_subscribed(struct client *c, int bits, const char *key,
		     uint64_t since)
{
	set_chans(c, c->chans | bits);
	chan_ack(c, "subscribed", key, since);
	lws_callback_on_writable(c->wsi);
}

/* A point not in the ring, and no database to replay it from. */
static void chan_too_old(struct client *c, int by_seq, long long n,
			 uint64_t oldest)
{
	if (by_seq)
		chan_error(c, "cannot replay since seq %lld: older than the "
			   "events kept", n);
	else if (oldest == UINT64_MAX)
		chan_error(c, "cannot replay since %lld: no block kept yet", n);
	else
		chan_error(c, "cannot replay since %lld: the oldest height "
			   "kept is %" PRIu64, n, oldest);
}

/* subscribe with 'since' (a height) or 'since_seq': replay from the
 * ring when it holds that point, else from the database (--db), else
 * answer why not. */
static void chan_subscribe_since(struct client *c, yajl_val since,
				 yajl_val since_seq, int bits)
{
	struct ring *ring = c->srv->ring;
	int by_seq = since_seq && !YAJL_IS_NULL(since_seq);
	yajl_val v = by_seq ? since_seq : since;
	uint64_t pos, oldest = UINT64_MAX;
	int in_ring;
	long long n;
	char why[160];

	if (!YAJL_IS_INTEGER(v) || (n = YAJL_GET_INTEGER(v)) < 0) {
		chan_error(c, by_seq ? "'since_seq' must be a seq" :
			   "'since' must be a block height");
		return;
	}
	if (by_seq)
		in_ring = ring_find_seq(ring, (uint64_t)n, &pos);
	else
		in_ring = ring_find_since(ring, (uint64_t)n, &pos, &oldest) !=
			  RING_SINCE_TOO_OLD;
	if (!in_ring && !c->srv->history) {
		chan_too_old(c, by_seq, n, oldest);
		return;
	}
	if (!in_ring) {
		if (replay_begin(c, bits, by_seq ? REPLAY_SINCE_SEQ :
				 REPLAY_SINCE_HEIGHT, (uint64_t)n, why,
				 sizeof(why)) < 0)
			chan_error(c, "cannot replay since %s%lld: %s",
				   by_seq ? "seq " : "", n, why);
		return;
	}
	c->pos = pos;
	c->step = 0;
	c->replay_end = ring_head(ring);
	chan_subscribed(c, bits, by_seq ? "replay_from_seq" : "replay_from",
			(uint64_t)n);
}

static void chan_request(struct client *c, yajl_val req)
{
	const char *action = json_get_str(req, "action");
	yajl_val since = json_get(req, "since");
	yajl_val since_seq = json_get(req, "since_seq");
	int bits, sub;

	if (!action) {
		chan_error(c, "missing 'action' (subscribe, unsubscribe or ping)");
		return;
	}
	if (!strcmp(action, "ping")) {
		static const char pong[] = "{\"type\":\"pong\"}";

		client_queue_reply(c, pong, sizeof(pong) - 1);
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
	bits = chan_bits(c, json_get(req, "channels"));
	if (!bits)
		return;
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
		chan_subscribe_since(c, since, since_seq, bits);
		return;
	}
	if (!c->chans) {
		c->pos = ring_head(c->srv->ring);
		c->step = 0;
	}
	set_chans(c, c->chans | bits);
	chan_ack(c, "subscribed", NULL, 0);
}

void chan_on_request(struct client *c, yajl_val root)
{
	if (YAJL_IS_OBJECT(root))
		chan_request(c, root);
	else
		chan_error(c, "a request is a JSON object with 'action'");
}

int chan_next(struct client *c, const struct bc_event *ev,
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
