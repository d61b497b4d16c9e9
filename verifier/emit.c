/* Everything the verifier sends: block messages re-stamped with seq,
 * reorg messages and heartbeats (docs/protocol.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
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
	if (verifier_lock_check(v, LOCK_LEASE_MS) < 0)
		return -1;
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
	if (!seq)
		return -1;
	buf_reset(&v->line);
	if (buf_addf(&v->line, "{\"seq\":%" PRIu64 ",\"emitted_at\":%lld,", seq,
		     clock_wall_ms()) < 0 ||
	    (reason && buf_addf(&v->line, "\"reason\":\"%s\",", reason) < 0) ||
	    buf_add(&v->line, p + 1, (size_t)(end - p - 1)) < 0)
		return log_error("out of memory building block %" PRIu64,
				 b->number);
	if (send_all(v, "block", v->line.data, v->line.len) < 0)
		return -1;
	audit_note(v, b->number);
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

static int add_orphan(struct buf *j, uint64_t n, const char *hash)
{
	return buf_addf(j, "%s{\"number\":%" PRIu64 ",\"hash\":\"%s\"}",
			j->len > 1 ? "," : "", n, hash);
}

/* The JSON array of the orphaned blocks: the caller's list, or the
 * window's hashes of invalidate_from..old_tip and, below the window, the
 * database's (so a reorg deeper than the window lists every block).
 * *old_hash: the hash at old_tip, or "" when not known. */
static int orphaned_json(struct verifier *v, const struct reorg_info *r,
			 struct buf *j, char old_hash[67])
{
	struct db_canonical *rows = NULL;
	size_t n = 0, i = 0;
	uint64_t lo = chain_empty(&v->chain) ? r->old_tip + 1
					      : chain_lo(&v->chain);
	int rc = buf_addch(j, '[');

	old_hash[0] = '\0';
	if (r->orphans) {
		for (i = 0; i < r->norphans && rc == 0; i++)
			if (r->orphans[i].hash[0])
				rc = add_orphan(j, r->orphans[i].number,
						r->orphans[i].hash);
		if (r->norphans)
			memcpy(old_hash, r->orphans[r->norphans - 1].hash, 67);
		return rc < 0 || buf_addch(j, ']') < 0 ? -1 : 0;
	}
	if (v->db && r->invalidate_from < lo &&
	    db_canonical_range(v->db, v->chain_id, r->invalidate_from,
			       lo - 1 < r->old_tip ? lo - 1 : r->old_tip, &rows,
			       &n) != DB_OK)
		return -1;
	for (uint64_t h = r->invalidate_from; h <= r->old_tip && rc == 0; h++) {
		const char *w = chain_get(&v->chain, h);

		while (i < n && rows[i].number < h)
			i++;
		if (!w && i < n && rows[i].number == h && rows[i].hash[0])
			w = rows[i].hash;
		if (w) {
			rc = add_orphan(j, h, w);
			if (h == r->old_tip)
				memcpy(old_hash, w, 67);
		}
	}
	free(rows);
	return rc < 0 || buf_addch(j, ']') < 0 ? -1 : 0;
}

/* The reorg's row and tombstones, before anything is sent. A deadlock
 * with a writer is retried; a lost connection means a lost lock. */
static int record_reorg(struct verifier *v, const struct reorg_info *r,
			uint64_t seq, long long at, const struct buf *orph,
			const char *old_hash)
{
	struct db_reorg d;
	enum db_status st = DB_RETRY;

	memset(&d, 0, sizeof(d));
	d.seq = seq;
	d.have_ancestor = r->have_ancestor;
	d.ancestor = r->ancestor;
	d.ancestor_hash = r->ancestor_hash;
	d.old_tip = r->old_tip;
	d.old_tip_hash = old_hash;
	d.new_tip = r->new_tip;
	d.new_tip_hash = r->new_tip_hash;
	d.depth = r->old_tip - (r->invalidate_from - 1);
	d.orphaned_json = orph->data;
	d.invalidate_from = r->invalidate_from;
	d.invalidate_to = r->invalidate_to;
	d.deep = r->deep;
	d.below_finalized = r->below_finalized;
	d.repair = r->repair;
	d.at_ms = at;
	for (int i = 0; i < 5 && st == DB_RETRY; i++)
		st = db_record_reorg(v->db, v->chain_id, &d);
	if (st == DB_OK)
		return 0;
	if (st == DB_CONN)
		v->lock_lost = 1;
	return log_error("cannot record the reorg at %" PRIu64 " in the "
			 "database; not emitting it", r->invalidate_from);
}

static void gen_reorg(struct verifier *v, yajl_gen g,
		      const struct reorg_info *r, uint64_t seq, long long at,
		      const struct buf *orph)
{
	yajl_gen_map_open(g);
	json_gen_key(g, "type");
	json_gen_cstr(g, "reorg");
	json_gen_key(g, "chain_id");
	json_gen_u64(g, v->chain_id);
	json_gen_key(g, "seq");
	json_gen_u64(g, seq);
	json_gen_key(g, "emitted_at");
	json_gen_u64(g, (uint64_t)at);
	if (r->have_ancestor)
		gen_ref(g, "ancestor", r->ancestor, r->ancestor_hash);
	else {
		json_gen_key(g, "ancestor");
		yajl_gen_null(g);
	}
	json_gen_key(g, "orphaned");
	json_gen_raw(g, orph->data, orph->len);
	gen_ref(g, "new_tip", r->new_tip, r->new_tip_hash);
	json_gen_key(g, "depth");
	json_gen_u64(g, r->old_tip - (r->invalidate_from - 1));
	json_gen_key(g, "deep");
	yajl_gen_bool(g, r->deep);
	json_gen_key(g, "invalidate_from");
	json_gen_u64(g, r->invalidate_from);
	json_gen_key(g, "invalidate_to");
	json_gen_u64(g, r->invalidate_to);
	json_gen_key(g, "below_finalized");
	yajl_gen_bool(g, r->below_finalized);
	yajl_gen_map_close(g);
}

int emit_reorg(struct verifier *v, const struct reorg_info *r)
{
	struct buf orph = BUF_INIT;
	char old_hash[67];
	long long at = clock_wall_ms();
	uint64_t seq;
	yajl_gen g;
	int rc = -1;

	if (verifier_lock_check(v, LOCK_LEASE_MS) < 0)
		return -1;
	if (orphaned_json(v, r, &orph, old_hash) < 0) {
		buf_release(&orph);
		return log_error("cannot list the blocks a reorg orphans");
	}
	seq = seq_next(&v->seq);
	if (seq && (!v->db || record_reorg(v, r, seq, at, &orph, old_hash) == 0))
		rc = 0;
	if (rc == 0 && !r->repair) {
		g = json_gen_new();
		if (!g) {
			buf_release(&orph);
			return log_error("out of memory building a reorg message");
		}
		gen_reorg(v, g, r, seq, at, &orph);
		rc = gen_send(v, g, "reorg");
		if (rc == 0)
			metric_inc(v->m.emitted_reorgs);
	}
	buf_release(&orph);
	if (rc == 0)
		audit_note(v, r->invalidate_from);
	return rc;
}

int emit_heartbeat(struct verifier *v)
{
	yajl_gen g;

	if (!v->pub || v->lock_lost)
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
	json_gen_u64(g, (uint64_t)clock_wall_ms());
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

		if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
			log_warn("cannot build a heartbeat");
		else if (msg_send(v->pub, "heartbeat", (const char *)out,
				  len) < 0)
			log_warn_errno("cannot publish a heartbeat");
		yajl_gen_free(g);
	}
	metric_inc(v->m.heartbeats);
	metric_set(v->m.seq, (double)v->seq.last);
	return 0;
}
