/* docs/protocol.md's messages, building and re-stamping (reading:
 * message.c). The byte layout of the block message and of the stamp is
 * the one the fetcher and the verifier have always written. */
#include "message.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "banned.h"

int message_block_build(struct buf *out, const struct message_block *b)
{
	buf_reset(out);
	if (buf_addf(out, "{\"type\":\"block\",\"chain_id\":%" PRIu64
		     ",\"number\":%" PRIu64 ",\"hash\":\"%s\",\"parent_hash\":"
		     "\"%s\",\"live\":%s", b->chain_id, b->number, b->hash,
		     b->parent_hash, b->live ? "true" : "false") < 0 ||
	    (b->has_fetched_at &&
	     buf_addf(out, ",\"fetched_at\":%" PRIu64, b->fetched_at) < 0) ||
	    buf_adds(out, ",\"block\":") < 0 ||
	    buf_add(out, b->block.p, b->block.n) < 0 ||
	    buf_adds(out, ",\"receipts\":") < 0 ||
	    buf_add(out, b->receipts.p, b->receipts.n) < 0 ||
	    buf_addch(out, '}') < 0)
		return -1;
	return 0;
}

static int plain_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return 1;
}

int message_restamp(struct buf *out, const char *text, size_t len,
		    const struct message_block *read, uint64_t seq,
		    uint64_t emitted_at, const char *reason)
{
	const char *p = text, *end = text + len;
	int n = read ? read->nstamps : 0;

	while (p < end && *p != '{')
		p++;
	if (p == end || (reason && !plain_word(reason)))
		return -1;
	buf_reset(out);
	if (buf_addf(out, "{\"seq\":%" PRIu64 ",\"emitted_at\":%" PRIu64 ",",
		     seq, emitted_at) < 0 ||
	    (reason && buf_addf(out, "\"reason\":\"%s\",", reason) < 0))
		return -1;
	p++;
	if (n == 0)
		return buf_add(out, p, (size_t)(end - p));
	/* Copy the rest without the stamps it had, in text order; the
	 * first member loses its comma when it was a stamp. */
	{
		struct message_span st[3];
		size_t start = out->len;

		memcpy(st, read->stamps, sizeof(st));
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (st[j].p < st[i].p) {
					struct message_span x = st[i];

					st[i] = st[j];
					st[j] = x;
				}
		for (int i = 0; i < n; i++) {
			if (st[i].p < p || st[i].p + st[i].n > end)
				return -1;
			if (buf_add(out, p, (size_t)(st[i].p - p)) < 0)
				return -1;
			p = st[i].p + st[i].n;
		}
		if (buf_add(out, p, (size_t)(end - p)) < 0)
			return -1;
		/* what follows the new stamps: a member (",...") or '}' */
		{
			char *q = out->data + start;

			while (q < out->data + out->len &&
			       (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
				q++;
			if (q < out->data + out->len && *q == ',')
				*q = ' ';
			else if (q < out->data + out->len && *q == '}')
				out->data[start - 1] = ' ';
		}
	}
	return 0;
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
	json_gen_key(g, "number");
	json_gen_u64(g, r->number);
	json_gen_key(g, "hash");
	json_gen_cstr(g, r->hash[0] ? r->hash : NULL);
	yajl_gen_map_close(g);
}

static void gen_opt_u64(yajl_gen g, const char *key, bool has, uint64_t v)
{
	json_gen_key(g, key);
	if (has)
		json_gen_u64(g, v);
	else
		yajl_gen_null(g);
}

/* Open a message: {"type":T,"chain_id":C */
static yajl_gen gen_open(const char *type, uint64_t chain_id)
{
	yajl_gen g = json_gen_new();

	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, type);
	json_gen_key(g, "chain_id");
	json_gen_u64(g, chain_id);
	return g;
}

static int gen_close(yajl_gen g, struct buf *out)
{
	const unsigned char *p;
	size_t n;
	int rc = -1;

	yajl_gen_map_close(g);
	buf_reset(out);
	if (yajl_gen_get_buf(g, &p, &n) == yajl_gen_status_ok &&
	    buf_add(out, p, n) == 0)
		rc = 0;
	yajl_gen_free(g);
	return rc;
}

int message_reorg_build(struct buf *out, const struct message_reorg *r)
{
	yajl_gen g = gen_open("reorg", r->chain_id);

	if (!g)
		return -1;
	if (r->has_seq) {
		json_gen_key(g, "seq");
		json_gen_u64(g, r->seq);
	}
	if (r->has_emitted_at) {
		json_gen_key(g, "emitted_at");
		json_gen_u64(g, r->emitted_at);
	}
	gen_ref(g, "ancestor", r->has_ancestor, &r->ancestor);
	json_gen_key(g, "orphaned");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < r->norphaned; i++) {
		yajl_gen_map_open(g);
		json_gen_key(g, "number");
		json_gen_u64(g, r->orphaned[i].number);
		json_gen_key(g, "hash");
		json_gen_cstr(g, r->orphaned[i].hash);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gen_ref(g, "new_tip", r->has_new_tip, &r->new_tip);
	json_gen_key(g, "depth");
	json_gen_u64(g, r->depth);
	json_gen_key(g, "deep");
	yajl_gen_bool(g, r->deep);
	json_gen_key(g, "invalidate_from");
	json_gen_u64(g, r->invalidate_from);
	json_gen_key(g, "invalidate_to");
	json_gen_u64(g, r->invalidate_to);
	json_gen_key(g, "below_finalized");
	yajl_gen_bool(g, r->below_finalized);
	return gen_close(g, out);
}

int message_heartbeat_build(struct buf *out,
			    const struct message_heartbeat *h)
{
	yajl_gen g = gen_open("heartbeat", h->chain_id);

	if (!g)
		return -1;
	if (h->has_seq) {
		json_gen_key(g, "seq");
		json_gen_u64(g, h->seq);
	}
	json_gen_key(g, "prog");
	json_gen_cstr(g, h->prog);
	json_gen_key(g, "time");
	json_gen_u64(g, h->time);
	gen_ref(g, "tip", h->has_tip, &h->tip);
	return gen_close(g, out);
}

int message_committed_build(struct buf *out,
			    const struct message_committed *c)
{
	yajl_gen g = gen_open("committed", c->chain_id);

	if (!g)
		return -1;
	json_gen_key(g, "writer");
	json_gen_cstr(g, c->writer);
	gen_opt_u64(g, "from", c->has_from, c->from);
	gen_opt_u64(g, "to", c->has_to, c->to);
	json_gen_key(g, "blocks");
	json_gen_u64(g, c->blocks);
	gen_opt_u64(g, "watermark", c->has_watermark, c->watermark);
	json_gen_key(g, "time");
	json_gen_u64(g, c->time);
	return gen_close(g, out);
}
