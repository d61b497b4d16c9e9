/* Everything the verifier sends: block messages re-stamped with seq,
 * reorg messages and heartbeats (docs/protocol.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "sig.h"
#include "banned.h"

/* Send to the output and, when there is one, the PUB socket. */
static int send_all(struct verifier *v, const char *topic, const char *data,
		    size_t len)
{
	if (v->out && msg_send(v->out, topic, data, len) < 0) {
		if (!sig_stopping())
			log_error_errno("cannot write a %s message", topic);
		return -1;
	}
	if (v->pub && msg_send(v->pub, topic, data, len) < 0)
		log_warn_errno("cannot publish a %s message", topic);
	metric_set(v->m.seq, (double)v->seq.last);
	return 0;
}

int emit_block(struct verifier *v, const struct vblock *b, const char *reason)
{
	const char *p = b->text, *end = b->text + b->len;
	uint64_t seq;

	while (p < end && *p != '{')
		p++;
	if (p == end)
		return log_error("block %" PRIu64 " message is not an object",
				 b->number);
	seq = seq_next(&v->seq);
	buf_reset(&v->line);
	if (buf_addf(&v->line, "{\"seq\":%" PRIu64 ",\"emitted_at\":%lld,", seq,
		     now_ms()) < 0 ||
	    (reason && buf_addf(&v->line, "\"reason\":\"%s\",", reason) < 0) ||
	    buf_add(&v->line, p + 1, (size_t)(end - p - 1)) < 0)
		return log_error("out of memory building block %" PRIu64,
				 b->number);
	if (send_all(v, "block", v->line.data, v->line.len) < 0)
		return -1;
	metric_inc(v->m.emitted_blocks);
	log_at(LOG_DEBUG, LOGF(LF_I("height", (long long)b->number),
			       LF_S("hash", b->hash), LF_U("seq", seq),
			       LF_S("reason", reason)),
	       "emitted block %" PRIu64, b->number);
	return 0;
}

static void gen_ref(yajl_gen g, const char *key, uint64_t number,
		    const char *hash)
{
	json_gen_key(g, key);
	yajl_gen_map_open(g);
	json_gen_key(g, "number");
	json_gen_u64(g, number);
	json_gen_key(g, "hash");
	json_gen_cstr(g, hash && *hash ? hash : NULL);
	yajl_gen_map_close(g);
}

static int gen_send(struct verifier *v, yajl_gen g, const char *topic)
{
	const unsigned char *out;
	size_t len;
	int rc;

	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return log_error("cannot build a %s message", topic);
	}
	rc = send_all(v, topic, (const char *)out, len);
	yajl_gen_free(g);
	return rc;
}

int emit_reorg(struct verifier *v, const struct reorg_info *r)
{
	yajl_gen g = json_gen_new();
	uint64_t seq = seq_next(&v->seq);
	uint64_t depth = r->old_tip - (r->invalidate_from - 1);

	if (!g)
		return log_error("out of memory building a reorg message");
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "reorg");
	json_gen_key(g, "chain_id");
	json_gen_u64(g, v->chain_id);
	json_gen_key(g, "seq");
	json_gen_u64(g, seq);
	json_gen_key(g, "emitted_at");
	json_gen_u64(g, (uint64_t)now_ms());
	if (r->have_ancestor)
		gen_ref(g, "ancestor", r->ancestor, r->ancestor_hash);
	else {
		json_gen_key(g, "ancestor");
		yajl_gen_null(g);
	}
	json_gen_key(g, "orphaned");
	yajl_gen_array_open(g);
	for (uint64_t n = r->invalidate_from; n <= r->old_tip; n++) {
		const char *h = chain_get(&v->chain, n);

		if (!h)
			continue;
		yajl_gen_map_open(g);
		json_gen_key(g, "number");
		json_gen_u64(g, n);
		json_gen_key(g, "hash");
		json_gen_cstr(g, h);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gen_ref(g, "new_tip", r->new_tip, r->new_tip_hash);
	json_gen_key(g, "depth");
	json_gen_u64(g, depth);
	json_gen_key(g, "deep");
	yajl_gen_bool(g, r->deep);
	json_gen_key(g, "invalidate_from");
	json_gen_u64(g, r->invalidate_from);
	json_gen_key(g, "invalidate_to");
	json_gen_u64(g, r->invalidate_to);
	json_gen_key(g, "below_finalized");
	yajl_gen_bool(g, r->below_finalized);
	yajl_gen_map_close(g);
	if (gen_send(v, g, "reorg") < 0)
		return -1;
	metric_inc(v->m.emitted_reorgs);
	return 0;
}

int emit_heartbeat(struct verifier *v)
{
	yajl_gen g;

	if (!v->pub)
		return 0;
	g = json_gen_new();
	if (!g)
		return log_error("out of memory building a heartbeat");
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "heartbeat");
	json_gen_key(g, "chain_id");
	json_gen_u64(g, v->chain_id);
	json_gen_key(g, "seq");
	json_gen_u64(g, seq_next(&v->seq));
	json_gen_key(g, "prog");
	json_gen_cstr(g, "verifier");
	json_gen_key(g, "time");
	json_gen_u64(g, (uint64_t)now_ms());
	if (chain_empty(&v->chain)) {
		json_gen_key(g, "tip");
		yajl_gen_null(g);
	} else {
		gen_ref(g, "tip", v->chain.tip, chain_get(&v->chain,
							  v->chain.tip));
	}
	yajl_gen_map_close(g);
	/* heartbeats go to subscribers only */
	{
		const unsigned char *out;
		size_t len;

		yajl_gen_get_buf(g, &out, &len);
		if (msg_send(v->pub, "heartbeat", (const char *)out, len) < 0)
			log_warn_errno("cannot publish a heartbeat");
		yajl_gen_free(g);
	}
	metric_inc(v->m.heartbeats);
	metric_set(v->m.seq, (double)v->seq.last);
	return 0;
}
