/* GET /v1/status: what the broadcaster saw of each stage on its SUB
 * sockets, and the states derived from it. A stage is "stalled" when it
 * has been silent for three of its own intervals (at least 3 s) while
 * there was work for it, "behind" when it is more than BEHIND_BLOCKS
 * below the height it should have reached, "ok" otherwise, "unknown"
 * before its first message. */
#include "clock.h"
#include "status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "events.h"
#include "json.h"
#include "node.h"
#include "server.h"
#include "banned.h"

#define MAX_WRITERS 16
#define HISTORY 32
#define BEHIND_BLOCKS 5
#define MIN_STALL_MS 3000
#define DEFAULT_INTERVAL_MS 5000

/* A stream of messages from one stage: when they arrive, how often. */
struct beat {
	int64_t seen_ms;     /* broadcaster's clock, 0 never */
	int64_t interval_ms; /* smoothed time between messages, 0 unknown */
	uint64_t count;
};

struct st_writer {
	char id[192];
	char source[128];
	struct beat beat;
	bool has_watermark, has_to;
	uint64_t watermark, to, time, blocks;
};

struct st_reorg {
	int64_t seen_ms;
	uint64_t seq, emitted_at, depth;
	bool has_ancestor, has_new_tip, deep;
	struct message_ref ancestor, new_tip;
};

struct st_gap {
	int64_t seen_ms;
	char source[128];
	char topic[32];
	uint32_t lost;
};

struct bc_status {
	pthread_mutex_t lock;
	/* verifier: heartbeats, and the blocks it emitted */
	struct beat hb;
	char hb_source[128];
	uint64_t hb_time;
	bool has_hb_tip;
	struct message_ref hb_tip;
	bool has_emitted;
	uint64_t emitted_number, emitted_at;
	/* fetcher: the blocks, by their fetched_at */
	struct beat blocks;
	bool has_fetched;
	uint64_t fetched_number, fetched_at;
	struct st_writer writers[MAX_WRITERS];
	int nwriters;
	struct st_reorg reorgs[HISTORY];
	uint64_t nreorgs; /* total; the last HISTORY kept */
	struct st_gap gaps[HISTORY];
	uint64_t ngaps, lost;
	int64_t input_ms; /* any message */
};

struct bc_status *status_new(void)
{
	struct bc_status *st = calloc(1, sizeof(*st));

	if (st)
		pthread_mutex_init(&st->lock, NULL);
	return st;
}

void status_destroy(struct bc_status **st)
{
	if (!*st)
		return;
	pthread_mutex_destroy(&(*st)->lock);
	free(*st);
	*st = NULL;
}

static void beat(struct beat *b, int64_t now)
{
	if (b->seen_ms && now > b->seen_ms) {
		int64_t d = now - b->seen_ms;

		b->interval_ms = b->interval_ms ? (b->interval_ms * 3 + d) / 4 : d;
	}
	b->seen_ms = now;
	b->count++;
}

static void note_writer(struct bc_status *st, const char *source,
			const struct message_committed *c, int64_t now)
{
	struct st_writer *w = NULL;

	for (int i = 0; i < st->nwriters; i++)
		if (!strcmp(st->writers[i].id, c->writer))
			w = &st->writers[i];
	if (!w && st->nwriters == MAX_WRITERS)
		return; /* more writers than shown: the first ones stay */
	if (!w) {
		w = &st->writers[st->nwriters++];
		snprintf(w->id, sizeof(w->id), "%s", c->writer);
	}
	snprintf(w->source, sizeof(w->source), "%s", source);
	beat(&w->beat, now);
	w->time = c->has_time ? c->time : 0;
	if (c->has_watermark) {
		w->has_watermark = true;
		w->watermark = c->watermark;
	}
	if (c->has_to) {
		w->has_to = true;
		w->to = c->to;
	}
	w->blocks += c->blocks;
}

static void note_block(struct bc_status *st, const struct ev_seen *s,
		       int64_t now)
{
	if (s->u.block.has_emitted_at &&
	    (!st->has_emitted || s->u.block.emitted_at >= st->emitted_at)) {
		st->has_emitted = true;
		st->emitted_number = s->u.block.number;
		st->emitted_at = s->u.block.emitted_at;
	}
	/* Blocks sent again (gap fill, audit) were fetched long ago. */
	if (s->u.block.has_fetched_at &&
	    (!st->has_fetched || s->u.block.fetched_at > st->fetched_at)) {
		beat(&st->blocks, now);
		st->has_fetched = true;
		st->fetched_number = s->u.block.number;
		st->fetched_at = s->u.block.fetched_at;
	}
}

static void note_reorg(struct bc_status *st, const struct ev_seen *s,
		       int64_t now)
{
	struct st_reorg *r = &st->reorgs[st->nreorgs++ % HISTORY];

	r->seen_ms = now;
	r->seq = s->u.reorg.seq;
	r->emitted_at = s->u.reorg.emitted_at;
	r->depth = s->u.reorg.depth;
	r->has_ancestor = s->u.reorg.has_ancestor;
	r->ancestor = s->u.reorg.ancestor;
	r->has_new_tip = s->u.reorg.has_new_tip;
	r->new_tip = s->u.reorg.new_tip;
	r->deep = s->u.reorg.deep;
}

void status_note(struct bc_status *st, const char *source,
		 const struct ev_seen *s, int64_t now)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->input_ms = now;
	switch (s->type) {
	case MESSAGE_BLOCK:
		note_block(st, s, now);
		break;
	case MESSAGE_REORG:
		note_reorg(st, s, now);
		break;
	case MESSAGE_HEARTBEAT:
		beat(&st->hb, now);
		snprintf(st->hb_source, sizeof(st->hb_source), "%s", source);
		st->hb_time = s->u.heartbeat.has_time ? s->u.heartbeat.time : 0;
		st->has_hb_tip = s->u.heartbeat.has_tip;
		st->hb_tip = s->u.heartbeat.tip;
		break;
	case MESSAGE_COMMITTED:
		note_writer(st, source, &s->u.committed, now);
		break;
	case MESSAGE_OTHER:
		break;
	}
	pthread_mutex_unlock(&st->lock);
}

void status_gap(struct bc_status *st, const char *source, const char *topic,
		uint32_t lost, int64_t now)
{
	struct st_gap *g;

	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	g = &st->gaps[st->ngaps++ % HISTORY];
	g->seen_ms = now;
	snprintf(g->source, sizeof(g->source), "%s", source);
	snprintf(g->topic, sizeof(g->topic), "%s", topic);
	g->lost = lost;
	st->lost += lost;
	pthread_mutex_unlock(&st->lock);
}

/* ---- rendering --------------------------------------------------------- */

static int64_t stall_after(const struct beat *b)
{
	int64_t t = 3 * (b->interval_ms ? b->interval_ms : DEFAULT_INTERVAL_MS);

	return t < MIN_STALL_MS ? MIN_STALL_MS : t;
}

static bool silent(const struct beat *b, int64_t now)
{
	return now - b->seen_ms > stall_after(b);
}

static void gen_i64(yajl_gen g, const char *key, int64_t v)
{
	json_gen_key(g, key);
	yajl_gen_integer(g, v);
}

static void gen_u64(yajl_gen g, const char *key, bool has, uint64_t v)
{
	json_gen_key(g, key);
	if (has)
		json_gen_u64(g, v);
	else
		yajl_gen_null(g);
}

static void gen_str(yajl_gen g, const char *key, const char *v)
{
	json_gen_key(g, key);
	json_gen_cstr(g, v);
}

static void gen_ref(yajl_gen g, const char *key, bool has,
		    const struct message_ref *r)
{
	json_gen_key(g, key);
	if (!has) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	gen_u64(g, "number", true, r->number);
	gen_str(g, "hash", r->hash[0] ? r->hash : NULL);
	yajl_gen_map_close(g);
}

/* The common fields of a stage; the caller closes the map. */
static void stage_open(yajl_gen g, const char *name, const char *state,
		       bool has_pos, uint64_t pos, const struct beat *b,
		       int64_t now)
{
	yajl_gen_map_open(g);
	gen_str(g, "name", name);
	gen_str(g, "state", state);
	gen_u64(g, "position", has_pos, pos);
	json_gen_key(g, "seen");
	if (b && b->seen_ms)
		yajl_gen_integer(g, b->seen_ms);
	else
		yajl_gen_null(g);
	json_gen_key(g, "age_ms");
	if (b && b->seen_ms)
		yajl_gen_integer(g, now - b->seen_ms);
	else
		yajl_gen_null(g);
	json_gen_key(g, "interval_ms");
	if (b && b->interval_ms)
		yajl_gen_integer(g, b->interval_ms);
	else
		yajl_gen_null(g);
	gen_i64(g, "stall_after_ms", b ? stall_after(b) : 0);
}

/* The height the pipeline should have reached: the node's head, else
 * the verifier's tip. */
struct heights {
	bool has_head, has_tip;
	uint64_t head, tip;
	const char *head_source;
};

static struct heights heights(const struct bc_status *st,
			      const struct status_view *v)
{
	struct heights h = { 0 };

	if (st->has_hb_tip) {
		h.has_tip = true;
		h.tip = st->hb_tip.number;
	}
	if (st->has_emitted && (!h.has_tip || st->emitted_number > h.tip)) {
		h.has_tip = true;
		h.tip = st->emitted_number;
	}
	if (v->has_node_head) {
		h.has_head = true;
		h.head = v->node_head;
		h.head_source = "node";
	} else if (h.has_tip) {
		h.has_head = true;
		h.head = h.tip;
		h.head_source = "verifier";
	}
	return h;
}

static void render_fetcher(yajl_gen g, const struct bc_status *st,
			   const struct heights *h, int64_t now)
{
	const char *state = "unknown";

	if (st->has_fetched) {
		bool waiting = h->has_head && h->head > st->fetched_number;

		if (waiting && silent(&st->blocks, now))
			state = "stalled";
		else if (h->has_head && h->head > st->fetched_number + BEHIND_BLOCKS)
			state = "behind";
		else
			state = "ok";
	}
	stage_open(g, "fetcher", state, st->has_fetched, st->fetched_number,
		   &st->blocks, now);
	gen_u64(g, "fetched_at", st->has_fetched, st->fetched_at);
	yajl_gen_map_close(g);
}

static void render_verifier(yajl_gen g, const struct bc_status *st,
			    const struct heights *h, int64_t now)
{
	const char *state = "unknown";

	if (st->hb.seen_ms)
		state = silent(&st->hb, now) ? "stalled" :
			h->has_head && h->has_tip &&
			h->head > h->tip + BEHIND_BLOCKS ? "behind" : "ok";
	stage_open(g, "verifier", state, h->has_tip, h->tip, &st->hb, now);
	gen_str(g, "source", st->hb.seen_ms ? st->hb_source : NULL);
	gen_u64(g, "time", st->hb_time != 0, st->hb_time);
	gen_ref(g, "tip", st->has_hb_tip, &st->hb_tip);
	gen_u64(g, "emitted_at", st->has_emitted, st->emitted_at);
	yajl_gen_map_close(g);
}

static void render_writer(yajl_gen g, const struct st_writer *w,
			  const struct heights *h, int64_t now)
{
	bool has_target = h->has_tip;
	uint64_t wm = w->has_watermark ? w->watermark : 0;
	const char *state = "ok";

	if (has_target && h->tip > wm && silent(&w->beat, now))
		state = "stalled";
	else if (has_target && h->tip > wm + BEHIND_BLOCKS)
		state = "behind";
	stage_open(g, "writer", state, w->has_watermark, w->watermark,
		   &w->beat, now);
	gen_str(g, "id", w->id);
	gen_str(g, "source", w->source);
	gen_u64(g, "watermark", w->has_watermark, w->watermark);
	gen_u64(g, "to", w->has_to, w->to);
	gen_u64(g, "time", w->time != 0, w->time);
	gen_u64(g, "blocks", true, w->blocks);
	yajl_gen_map_close(g);
}

static void render_broadcaster(yajl_gen g, const struct bc_status *st,
			       const struct status_view *v)
{
	struct beat b = { st->input_ms, 0, 0 };
	const char *state = v->input_failed ? "stalled" :
			    !st->input_ms ? "unknown" :
			    silent(&st->hb, v->now_ms) && silent(&b, v->now_ms) ?
			    "stalled" : "ok";

	stage_open(g, "broadcaster", state, v->has_tip, v->tip, &b, v->now_ms);
	gen_u64(g, "clients", true, v->clients);
	yajl_gen_map_close(g);
}

static void render_reorgs(yajl_gen g, const struct bc_status *st)
{
	uint64_t first = st->nreorgs > HISTORY ? st->nreorgs - HISTORY : 0;

	json_gen_key(g, "reorgs");
	yajl_gen_map_open(g);
	gen_u64(g, "total", true, st->nreorgs);
	json_gen_key(g, "recent"); /* newest first */
	yajl_gen_array_open(g);
	for (uint64_t i = st->nreorgs; i-- > first;) {
		const struct st_reorg *r = &st->reorgs[i % HISTORY];

		yajl_gen_map_open(g);
		gen_i64(g, "seen", r->seen_ms);
		gen_u64(g, "emitted_at", r->emitted_at != 0, r->emitted_at);
		gen_u64(g, "seq", true, r->seq);
		gen_u64(g, "depth", true, r->depth);
		gen_ref(g, "ancestor", r->has_ancestor, &r->ancestor);
		gen_ref(g, "new_tip", r->has_new_tip, &r->new_tip);
		json_gen_key(g, "deep");
		yajl_gen_bool(g, r->deep);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void render_gaps(yajl_gen g, const struct bc_status *st)
{
	uint64_t first = st->ngaps > HISTORY ? st->ngaps - HISTORY : 0;

	json_gen_key(g, "gaps");
	yajl_gen_map_open(g);
	gen_u64(g, "total", true, st->ngaps);
	gen_u64(g, "lost", true, st->lost);
	json_gen_key(g, "recent");
	yajl_gen_array_open(g);
	for (uint64_t i = st->ngaps; i-- > first;) {
		const struct st_gap *x = &st->gaps[i % HISTORY];

		yajl_gen_map_open(g);
		gen_i64(g, "seen", x->seen_ms);
		gen_str(g, "source", x->source);
		gen_str(g, "topic", x->topic);
		gen_u64(g, "lost", true, x->lost);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

/* Lag: the head minus the best committed watermark. */
static void render_lag(yajl_gen g, const struct bc_status *st,
		       const struct heights *h)
{
	bool has_wm = false;
	uint64_t wm = 0;

	for (int i = 0; i < st->nwriters; i++)
		if (st->writers[i].has_watermark &&
		    (!has_wm || st->writers[i].watermark > wm)) {
			has_wm = true;
			wm = st->writers[i].watermark;
		}
	gen_u64(g, "head", h->has_head, h->head);
	gen_str(g, "head_source", h->head_source);
	gen_u64(g, "tip", h->has_tip, h->tip);
	gen_u64(g, "watermark", has_wm, wm);
	json_gen_key(g, "lag_blocks");
	if (has_wm && h->has_head)
		/* the node's head is asked every 2 s: it may lag the stream */
		yajl_gen_integer(g, h->head > wm ? (long long)(h->head - wm) : 0);
	else
		yajl_gen_null(g);
}

int status_render(struct bc_status *st, struct buf *out,
		  const struct status_view *v)
{
	yajl_gen g = json_gen_new();
	const unsigned char *p;
	size_t n;
	struct heights h;
	int rc = -1;

	if (!g)
		return -1;
	pthread_mutex_lock(&st->lock);
	h = heights(st, v);
	yajl_gen_map_open(g);
	gen_i64(g, "now", v->now_ms);
	gen_u64(g, "chain_id", v->chain_id != 0, v->chain_id);
	render_lag(g, st, &h);
	json_gen_key(g, "stages");
	yajl_gen_array_open(g);
	render_fetcher(g, st, &h, v->now_ms);
	render_verifier(g, st, &h, v->now_ms);
	for (int i = 0; i < st->nwriters; i++)
		render_writer(g, &st->writers[i], &h, v->now_ms);
	render_broadcaster(g, st, v);
	yajl_gen_array_close(g);
	render_reorgs(g, st);
	render_gaps(g, st);
	yajl_gen_map_close(g);
	pthread_mutex_unlock(&st->lock);
	if (yajl_gen_get_buf(g, &p, &n) == yajl_gen_status_ok &&
	    buf_add(out, p, n) == 0)
		rc = 0;
	yajl_gen_free(g);
	return rc;
}

int bc_status_answer(struct bc_server *srv, struct buf *out)
{
	struct status_view v = { 0 };

	v.now_ms = clock_wall_ms();
	v.has_node_head = node_head(srv->node, &v.node_head) == 0;
	v.has_tip = srv->have_tip;
	v.tip = srv->tip;
	v.chain_id = srv->chain_id ? srv->chain_id : node_chain_id(srv->node);
	v.clients = srv->nclients;
	v.input_failed = srv->input_failed;
	return status_render(srv->status, out, &v);
}
