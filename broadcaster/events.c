/* The event builder (events.h): verifier messages into events. A block's
 * header and transaction frames are blockframes.c's; here are its logs,
 * remembered for the reorg that may orphan them, and the reorg, tip and
 * gap events. */
#include "events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blockframes.h"
#include "buf.h"
#include "frame.h"
#include "hex.h"
#include "json.h"
#include "json_escape.h"
#include "message.h"
#include "span.h"
#include "banned.h"

/* A block whose logs are remembered, for the reorg that may orphan it. */
struct rb_log {
	struct log_key key;
	char *body; /* the log's members as JSON text, without braces or
		       "removed" */
	size_t len;
};

struct rb {
	uint64_t number;
	char hash[HASH_HEX_SIZE];
	struct rb_log *logs;
	size_t nlogs;
};

struct events {
	struct events_opts opts;
	struct rb *blocks; /* circular, oldest at head */
	size_t head, count, cap;
	struct ev_seen seen;
	uint64_t last_seq; /* the highest seq of a message read */
};

void ev_free(struct bc_event *ev)
{
	if (!ev)
		return;
	frame_release(&ev->chan_main);
	frame_release(&ev->chan_txs);
	frame_release(&ev->eth_head);
	frame_release(&ev->eth_block);
	for (size_t i = 0; i < ev->nlogs; i++) {
		frame_release(&ev->logs[i].eth);
		frame_release(&ev->logs[i].chan);
	}
	free(ev->logs);
	free(ev);
}

/* ---- small parsers over raw JSON spans -------------------------------- */

/* Append key as a JSON string (keys come from the node: escape them). */
static int add_key(struct buf *b, const char *k, size_t n)
{
	return json_escape(b, k, n) < 0 ? -1 : buf_adds(b, ":");
}

static int parse_topics(const struct span *s, struct log_key *k)
{
	char tmp[4096], err[64];
	yajl_val v;
	int rc = -1;

	k->ntopics = 0;
	if (!s->p || s->n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s->p, s->n);
	tmp[s->n] = '\0';
	v = json_parse(tmp, err, sizeof(err));
	if (!v || !YAJL_IS_ARRAY(v) || v->u.array.len > 4)
		goto out;
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val t = v->u.array.values[i];

		if (!YAJL_IS_STRING(t) ||
		    json_hex_bytes(YAJL_GET_STRING(t), k->topics[i], 32) != 32)
			goto out;
	}
	k->ntopics = (int)v->u.array.len;
	rc = 0;
out:
	if (v)
		yajl_tree_free(v);
	return rc;
}

/* ---- the recent blocks ------------------------------------------------ */

static void rb_release(struct rb *b)
{
	for (size_t i = 0; i < b->nlogs; i++)
		free(b->logs[i].body);
	free(b->logs);
	memset(b, 0, sizeof(*b));
}

static struct rb *rb_at(struct events *e, size_t i)
{
	return &e->blocks[(e->head + i) % e->cap];
}

static int rb_find(struct events *e, const char *hash)
{
	for (size_t i = 0; i < e->count; i++)
		if (!strcmp(rb_at(e, i)->hash, hash))
			return (int)i;
	return -1;
}

/* Remove the i-th remembered block, keeping the order of the others. */
static void rb_remove(struct events *e, size_t i)
{
	rb_release(rb_at(e, i));
	for (size_t j = i; j + 1 < e->count; j++)
		*rb_at(e, j) = *rb_at(e, j + 1);
	memset(rb_at(e, e->count - 1), 0, sizeof(struct rb));
	e->count--;
}

static void rb_push(struct events *e, struct rb *b)
{
	if (e->count == e->cap) {
		rb_release(rb_at(e, 0));
		e->head = (e->head + 1) % e->cap;
		e->count--;
	}
	*rb_at(e, e->count) = *b;
	e->count++;
}

struct events *events_new(const struct events_opts *opts)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->opts = *opts;
	e->cap = opts->keep_blocks ? opts->keep_blocks : 1;
	e->blocks = calloc(e->cap, sizeof(*e->blocks));
	if (!e->blocks) {
		free(e);
		return NULL;
	}
	return e;
}

void events_destroy(struct events **ep)
{
	struct events *e = *ep;

	if (!e)
		return;
	for (size_t i = 0; i < e->count; i++)
		rb_release(rb_at(e, i));
	free(e->blocks);
	free(e);
	*ep = NULL;
}

/* ---- block messages: their logs (the other frames: blockframes.c) ---- */

/* Logs of all receipts, one log at a time, into rb_logs. */
struct log_walk {
	struct rb_log *logs;
	size_t n, cap;
	struct buf body;
	struct log_key key;
	size_t cur;
	int open;
	int bad;
};

static int log_flush(struct log_walk *w)
{
	struct rb_log *l;

	if (!w->open)
		return 0;
	w->open = 0;
	if (w->n == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 16;
		struct rb_log *nl = realloc(w->logs, nc * sizeof(*nl));

		if (!nl)
			return -1;
		w->logs = nl;
		w->cap = nc;
	}
	l = &w->logs[w->n];
	l->key = w->key;
	if (w->body.len && w->body.data[w->body.len - 1] == ',')
		w->body.len--;
	l->body = buf_detach(&w->body, &l->len);
	if (!l->body)
		return -1;
	w->n++;
	memset(&w->key, 0, sizeof(w->key));
	return 0;
}

static int log_cb(void *arg, const struct json_member *m)
{
	struct log_walk *w = arg;
	struct span s = { m->val, m->vallen };

	if (!m->key)
		return 0;
	if (!w->open || m->index != w->cur) {
		if (log_flush(w) < 0)
			return -1;
		w->open = 1;
		w->cur = m->index;
	}
	if (span_key_is(m, "removed"))
		return 0;
	if (span_key_is(m, "address")) {
		char a[64];

		if (span_str(&s, a, sizeof(a)) < 0 ||
		    json_hex_bytes(a, w->key.address, 20) != 20)
			w->bad = 1;
	} else if (span_key_is(m, "topics")) {
		if (parse_topics(&s, &w->key) < 0)
			w->bad = 1;
	}
	if (add_key(&w->body, m->key, m->keylen) < 0 ||
	    buf_add(&w->body, m->val, m->vallen) < 0 ||
	    buf_addch(&w->body, ',') < 0)
		return -1;
	return 0;
}

static int receipt_cb(void *arg, const struct json_member *m)
{
	struct log_walk *w = arg;
	int rc;

	if (!span_key_is(m, "logs"))
		return 0;
	w->open = 0;
	rc = json_members(m->val, m->vallen, log_cb, w, NULL, 0);
	if (rc == 0 && log_flush(w) < 0)
		rc = -1;
	if (rc != 0 && !(m->vallen == 2 && m->val[0] == '['))
		w->bad = 1;
	return 0;
}

/* The node's log object with "removed" set, and its channel message. */
static int log_frames(const struct rb_log *l, int removed, uint64_t seq,
		      struct ev_log *out)
{
	struct buf b = BUF_INIT;
	int rc = -1;
	size_t eth_start;

	out->key = l->key;
	if (buf_addf(&b, "{\"type\":\"newLog\",\"seq\":%" PRIu64 ",\"data\":",
		     seq) < 0)
		goto fail;
	eth_start = b.len;
	if (buf_addch(&b, '{') < 0 || buf_add(&b, l->body, l->len) < 0 ||
	    buf_adds(&b, l->len ? "," : "") < 0 ||
	    buf_adds(&b, removed ? "\"removed\":true}" : "\"removed\":false}") < 0)
		goto fail;
	if (frame_set(&out->eth, b.data + eth_start, b.len - eth_start) < 0)
		goto fail;
	if (buf_addch(&b, '}') < 0 || frame_set(&out->chan, b.data, b.len) < 0)
		goto fail;
	rc = 0;
fail:
	buf_release(&b);
	return rc;
}

static enum ev_result fail_why(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return EV_RES_BAD;
}

/* The block's logs: remembered in lw for a reorg that may orphan them,
 * their frames in ev. 0, or -1 with why. */
static int block_logs(struct bc_event *ev, const struct message_block *t,
		      struct log_walk *lw, char *why, size_t whylen)
{
	char err[128];

	if (t->receipts.n > 2) {
		if (json_members(t->receipts.p, t->receipts.n, receipt_cb, lw,
				 err, sizeof(err)) != 0) {
			snprintf(why, whylen, "invalid 'receipts': %s", err);
			return -1;
		}
	}
	if (lw->bad) {
		fail_why(why, whylen, "receipts hold a malformed log");
		return -1;
	}
	if (!lw->n)
		return 0;
	ev->logs = calloc(lw->n, sizeof(*ev->logs));
	if (!ev->logs)
		goto oom;
	ev->nlogs = lw->n;
	for (size_t i = 0; i < lw->n; i++)
		if (log_frames(&lw->logs[i], 0, ev->seq, &ev->logs[i]) < 0)
			goto oom;
	return 0;
oom:
	fail_why(why, whylen, "out of memory");
	return -1;
}

static enum ev_result build_block(struct events *e,
				  const struct message_block *t,
				  struct bc_event **out, char *why,
				  size_t whylen)
{
	struct bc_event *ev = NULL;
	struct log_walk lw = { 0 };
	struct rb rb = { 0 };
	enum ev_result res = EV_RES_BAD;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return fail_why(why, whylen, "out of memory");
	ev->kind = EV_BLOCK;
	ev->height = t->number;
	ev->has_height = 1;
	memcpy(ev->hash, t->hash, sizeof(ev->hash));
	ev->chain_id = t->chain_id;
	ev->seq = t->has_seq ? t->seq : 0;
	ev->emitted_at = t->has_emitted_at ? (int64_t)t->emitted_at : 0;
	if (!t->live && !e->opts.backfill) {
		snprintf(why, whylen, "backfill block (live false)");
		res = EV_RES_SKIP;
		goto out;
	}
	if (rb_find(e, ev->hash) >= 0) {
		snprintf(why, whylen, "block already broadcast");
		res = EV_RES_SKIP;
		goto out;
	}
	/* A block at a height already sent without a reorg before it (the
	 * reorg was lost): those blocks are no longer ours to undo. */
	for (size_t i = e->count; i-- > 0;)
		if (rb_at(e, i)->number >= ev->height)
			rb_remove(e, i);

	if (blockframes_build(ev, t, why, whylen) < 0)
		goto out;
	buf_init(&lw.body, 0);
	if (block_logs(ev, t, &lw, why, whylen) < 0)
		goto out;
	rb.number = ev->height;
	memcpy(rb.hash, ev->hash, sizeof(rb.hash));
	rb.logs = lw.logs;
	rb.nlogs = lw.n;
	lw.logs = NULL;
	lw.n = 0;
	rb_push(e, &rb);
	*out = ev;
	ev = NULL;
	res = EV_RES_OK;
out:
	for (size_t i = 0; i < lw.n; i++)
		free(lw.logs[i].body);
	free(lw.logs);
	buf_release(&lw.body);
	ev_free(ev);
	return res;
}

/* ---- reorg and heartbeat ---------------------------------------------- */

static int reorg_data_cb(void *arg, const struct json_member *m)
{
	yajl_gen g = arg;

	if (!m->key || span_key_is(m, "type"))
		return 0;
	yajl_gen_string(g, (const unsigned char *)m->key, m->keylen);
	json_gen_raw(g, m->val, m->vallen);
	return 0;
}

static int hash_in(const struct message_reorg *r, const char *hash)
{
	for (size_t i = 0; i < r->norphaned; i++)
		if (!strcasecmp(r->orphaned[i].hash, hash))
			return 1;
	return 0;
}

/* Was the remembered block b orphaned by r? Listed, or above the
 * ancestor (a deep reorg lists only what the verifier held; a null
 * ancestor is below block 0). */
static int orphaned_by(const struct message_reorg *r, const struct rb *b)
{
	return !r->has_ancestor || b->number > r->ancestor.number ||
	       hash_in(r, b->hash);
}

static enum ev_result build_reorg(struct events *e, const char *json,
				  size_t len, const struct message_reorg *r,
				  struct bc_event **out, char *why,
				  size_t whylen)
{
	struct bc_event *ev = calloc(1, sizeof(*ev));
	yajl_gen g = NULL;
	size_t nlogs = 0, k = 0;
	enum ev_result res = EV_RES_BAD;

	if (!ev)
		return fail_why(why, whylen, "out of memory");
	ev->kind = EV_REORG;
	ev->height = r->has_ancestor ? r->ancestor.number + 1 : 0;
	ev->has_height = 1;
	ev->chain_id = r->chain_id;
	ev->seq = r->has_seq ? r->seq : 0;
	ev->emitted_at = r->has_emitted_at ? (int64_t)r->emitted_at : 0;

	g = json_gen_new();
	if (!g)
		goto oom;
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "reorg");
	json_gen_key(g, "seq");
	json_gen_u64(g, ev->seq);
	json_gen_key(g, "data");
	yajl_gen_map_open(g);
	json_members(json, len, reorg_data_cb, g, NULL, 0);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	if (frame_from_gen(&ev->chan_main, g) < 0)
		goto oom;

	for (size_t i = 0; i < e->count; i++)
		if (orphaned_by(r, rb_at(e, i)))
			nlogs += rb_at(e, i)->nlogs;
	if (nlogs) {
		ev->logs = calloc(nlogs, sizeof(*ev->logs));
		if (!ev->logs)
			goto oom;
	}
	/* Newest block first, its logs last to first: the undo order. */
	for (;;) {
		int best = -1;

		for (size_t i = 0; i < e->count; i++) {
			struct rb *b = rb_at(e, i);

			if (orphaned_by(r, b) &&
			    (best < 0 || b->number > rb_at(e, (size_t)best)->number))
				best = (int)i;
		}
		if (best < 0)
			break;
		for (size_t j = rb_at(e, (size_t)best)->nlogs; j-- > 0;) {
			if (log_frames(&rb_at(e, (size_t)best)->logs[j], 1,
				       ev->seq, &ev->logs[k]) < 0)
				goto oom;
			ev->nlogs = ++k;
		}
		rb_remove(e, (size_t)best);
	}
	*out = ev;
	ev = NULL;
	res = EV_RES_OK;
	goto out;
oom:
	fail_why(why, whylen, "out of memory");
out:
	if (g)
		yajl_gen_free(g);
	ev_free(ev);
	return res;
}

static enum ev_result build_tip(const struct message_heartbeat *h,
				struct bc_event **out, char *why,
				size_t whylen)
{
	struct bc_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return fail_why(why, whylen, "out of memory");
	ev->kind = EV_TIP;
	ev->chain_id = h->chain_id;
	ev->seq = h->has_seq ? h->seq : 0;
	if (h->has_tip) {
		ev->height = h->tip.number;
		ev->has_height = 1;
	}
	*out = ev;
	return EV_RES_OK;
}

static void note_seen(struct ev_seen *s, const struct message *m)
{
	const struct message_block *b = &m->u.block;
	const struct message_reorg *r = &m->u.reorg;

	memset(s, 0, sizeof(*s));
	s->type = m->type;
	switch (m->type) {
	case MESSAGE_BLOCK:
		s->u.block.number = b->number;
		s->u.block.live = b->live;
		s->u.block.has_fetched_at = b->has_fetched_at;
		s->u.block.fetched_at = b->fetched_at;
		s->u.block.has_emitted_at = b->has_emitted_at;
		s->u.block.emitted_at = b->emitted_at;
		break;
	case MESSAGE_REORG:
		s->u.reorg.seq = r->has_seq ? r->seq : 0;
		s->u.reorg.emitted_at = r->has_emitted_at ? r->emitted_at : 0;
		s->u.reorg.depth = r->has_depth ? r->depth : r->norphaned;
		s->u.reorg.has_ancestor = r->has_ancestor;
		s->u.reorg.ancestor = r->ancestor;
		s->u.reorg.has_new_tip = r->has_new_tip;
		s->u.reorg.new_tip = r->new_tip;
		s->u.reorg.deep = r->deep;
		break;
	case MESSAGE_HEARTBEAT:
		s->u.heartbeat = m->u.heartbeat;
		break;
	case MESSAGE_COMMITTED:
		s->u.committed = m->u.committed;
		break;
	case MESSAGE_OTHER:
		break;
	}
}

const struct ev_seen *events_seen(const struct events *e)
{
	return &e->seen;
}

/* The seq of a block, reorg or heartbeat read (0: none). */
static uint64_t message_seq(const struct message *m)
{
	switch (m->type) {
	case MESSAGE_BLOCK:
		return m->u.block.has_seq ? m->u.block.seq : 0;
	case MESSAGE_REORG:
		return m->u.reorg.has_seq ? m->u.reorg.seq : 0;
	case MESSAGE_HEARTBEAT:
		return m->u.heartbeat.has_seq ? m->u.heartbeat.seq : 0;
	default:
		return 0;
	}
}

/* A reorg at or below a seq already read is one the verifier sent again
 * after a restart (docs/protocol.md): its clients had it already, or
 * the blocks after it replaced what it would undo. Undone again, it
 * would take the new branch's logs back. */
static int reorg_passed(struct events *e, const struct message *m,
			char *why, size_t whylen)
{
	uint64_t seq = message_seq(m);

	if (m->type != MESSAGE_REORG || !seq || seq > e->last_seq)
		return 0;
	snprintf(why, whylen, "a reorg of seq %" PRIu64 " at or below seq %"
		 PRIu64 " already read (sent again)", seq, e->last_seq);
	return 1;
}

/* The highest seq read, which a reorg must pass. Only a reorg is ever
 * sent again with an old seq, before anything else of the verifier that
 * sends it: a block or a heartbeat below the highest seq means the seqs
 * started over (the database's epochs after it was emptied, a verifier
 * moved from pipes to a database), and kept, that highest seq would
 * refuse every reorg of the new stream as sent before. A late message of
 * a verifier that lost its lock, read after its successor's, also lowers
 * it; the successor's reorgs sent again all came before its first block,
 * so none of them is taken twice. */
static void note_seq(struct events *e, const struct message *m)
{
	uint64_t seq = message_seq(m);

	if (seq < e->last_seq && seq && m->type != MESSAGE_REORG) {
		e->seen.seq_back_from = e->last_seq;
		e->last_seq = seq;
	} else if (seq > e->last_seq) {
		e->last_seq = seq;
	}
}

enum ev_result events_build(struct events *e, const char *json, size_t len,
			    struct bc_event **out, char *why, size_t whylen)
{
	struct message m;
	enum message_status st;
	enum ev_result r;

	*out = NULL;
	st = message_read(json, len, &m, why, whylen);
	if (st == MESSAGE_OK)
		note_seen(&e->seen, &m);
	else
		e->seen = (struct ev_seen){ .type = MESSAGE_OTHER };
	if (st == MESSAGE_DUPLICATE)
		r = EV_RES_DUPLICATE;
	else if (st != MESSAGE_OK)
		r = EV_RES_BAD;
	else if (reorg_passed(e, &m, why, whylen))
		r = EV_RES_REPEAT;
	else if (m.type == MESSAGE_BLOCK)
		r = build_block(e, &m.u.block, out, why, whylen);
	else if (m.type == MESSAGE_REORG)
		r = build_reorg(e, json, len, &m.u.reorg, out, why, whylen);
	else if (m.type == MESSAGE_HEARTBEAT)
		r = build_tip(&m.u.heartbeat, out, why, whylen);
	else {
		snprintf(why, whylen, "message type '%s' is not broadcast",
			 m.type_name);
		r = EV_RES_SKIP;
	}
	if (st == MESSAGE_OK)
		note_seq(e, &m);
	message_release(&m);
	return r;
}

struct bc_event *events_gap(const char *source, const char *topic,
			    uint32_t expected, uint32_t got, uint32_t lost)
{
	struct bc_event *ev = calloc(1, sizeof(*ev));
	yajl_gen g = json_gen_new();
	int rc = -1;

	if (!ev || !g)
		goto out;
	ev->kind = EV_GAP;
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "gap");
	json_gen_key(g, "data");
	yajl_gen_map_open(g);
	json_gen_key(g, "source");
	json_gen_cstr(g, source);
	json_gen_key(g, "topic");
	json_gen_cstr(g, topic);
	json_gen_key(g, "expected");
	json_gen_u64(g, expected);
	json_gen_key(g, "got");
	json_gen_u64(g, got);
	json_gen_key(g, "lost");
	json_gen_u64(g, lost);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	rc = frame_from_gen(&ev->chan_main, g);
out:
	if (g)
		yajl_gen_free(g);
	if (rc < 0) {
		ev_free(ev);
		return NULL;
	}
	return ev;
}
