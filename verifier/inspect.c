/* Inspecting block messages (incoming or fetched): reading the message,
 * its chain, the header's hash and the body (docs/verifier.md, "Block
 * hashes" and "Block bodies"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"
#include "internal.h"
#include "json.h"
#include "log.h"
#include "message.h"
#include "metrics.h"
#include "rpc.h"
#include "banned.h"

void vblock_release(struct vblock *b)
{
	if (b->own)
		free(b->text);
	memset(b, 0, sizeof(*b));
}

static enum inspect_result skip(struct metric *m, uint64_t height,
				const char *what, const char *why)
{
	metric_inc(m);
	log_at(LOG_WARN, LOGF(LF_I("height", (long long)height),
			      LF_S("error", why)),
	       "%s", what);
	return IN_SKIP;
}

/* The block's header hashes to its hash, and the message's number, hash
 * and parent_hash are the block's: read from the message's tree msg, or
 * without one from the block's text. 0, or -1 (logged, counted). */
static int check_header(struct verifier *v, const struct vblock *b,
			yajl_val msg)
{
	struct header_info hi;
	char err[160];

	if ((msg ? header_inspect_tree(json_get(msg, "block"), &hi, err,
				       sizeof(err))
		 : header_inspect(b->read.block.p, b->read.block.n, &hi, err,
				  sizeof(err))) < 0) {
		metric_inc(v->m.hash_mismatch);
		log_at(LOG_ERROR, LOGF(LF_I("height", (long long)b->number),
				       LF_S("hash", b->hash),
				       LF_S("error", err)),
		       "cannot hash the header of block %" PRIu64 " (node sent "
		       "corrupted data or the chain uses a non-standard header; "
		       "--no-verify-hash disables this check)", b->number);
		return -1;
	}
	if (hi.number != b->number || strcasecmp(hi.hash, b->hash) ||
	    strcasecmp(hi.parent_hash, b->parent) ||
	    strcasecmp(hi.computed, b->hash)) {
		metric_inc(v->m.hash_mismatch);
		log_at(LOG_ERROR, LOGF(LF_I("height", (long long)b->number),
				       LF_S("hash", b->hash),
				       LF_S("computed", hi.computed),
				       LF_S("parent_hash", b->parent)),
		       "block hash mismatch at height %" PRIu64 " (node sent "
		       "corrupted data or the chain uses a non-standard header; "
		       "--no-verify-hash disables this check)", b->number);
		return -1;
	}
	return 0;
}

/* A block that does not verify is fetched again: from another node of
 * the pool when there are several. */
static enum inspect_result mismatch(struct verifier *v)
{
	rpc_prefer_next(v->rpc);
	return IN_MISMATCH;
}

/* The message's reading failed or is not a block of our chain: counted,
 * logged, IN_SKIP. */
static enum inspect_result refuse(struct verifier *v, enum message_status st,
				  const struct message *m, const char *err,
				  size_t len)
{
	if (st == MESSAGE_OK || (m->type_name[0] && m->type != MESSAGE_BLOCK)) {
		metric_inc(v->m.bad_type);
		log_warn("input message of type '%s' is not a block; dropped",
			 m->type_name);
	} else if (st == MESSAGE_DUPLICATE) {
		metric_inc(v->m.bad_dup);
		log_at(LOG_WARN, LOGF(LF_S("error", err),
				      LF_I("bytes", (long long)len)),
		       "input message repeats a key; dropped");
	} else if (st == MESSAGE_BAD_FIELD) {
		return skip(v->m.bad_fields, m->u.block.number,
			    "block message with a missing or invalid field; "
			    "dropped", err);
	} else {
		metric_inc(v->m.bad_json);
		log_at(LOG_WARN, LOGF(LF_S("error", err),
				      LF_I("bytes", (long long)len)),
		       "input line is not a message; dropped");
	}
	return IN_SKIP;
}

/* The block's chain, header hash (unless --no-verify-hash) and body
 * (unless --no-verify-body), the checks reading the message's tree msg
 * (NULL without body verification). */
static enum inspect_result check_block(struct verifier *v,
				       const struct vblock *b, yajl_val msg)
{
	if (b->read.chain_id != v->chain_id) {
		char why[64];

		snprintf(why, sizeof(why), "chain_id %" PRIu64 ", expected %"
			 PRIu64, b->read.chain_id, v->chain_id);
		return skip(v->m.bad_chain, b->number,
			    "block message of another chain; dropped", why);
	}
	if (!v->cfg->no_verify_hash) {
		if (check_header(v, b, msg) < 0)
			return mismatch(v);
		metric_inc(v->m.verified);
	}
	if (!v->cfg->no_verify_body && vbody_verify(v, b, msg) < 0)
		return mismatch(v);
	return IN_OK;
}

enum inspect_result vblock_inspect(struct verifier *v, const char *text,
				   size_t len, struct vblock *b)
{
	struct message m;
	char err[200];
	enum message_status st;
	enum inspect_result r;
	yajl_val msg = NULL;

	memset(b, 0, sizeof(*b));
	b->text = (char *)text;
	b->len = len;
	/* With body verification one walk reads the message and builds the
	 * tree the header and body checks read: the message is parsed once.
	 * Without it the header alone is read from the block's text, which
	 * costs less than a tree of the whole message. */
	if (v->cfg->no_verify_body)
		st = message_read(text, len, &m, err, sizeof(err));
	else
		st = message_read_tree(text, len, &m, &msg, err, sizeof(err));
	if (st != MESSAGE_OK || m.type != MESSAGE_BLOCK) {
		r = refuse(v, st, &m, err, len);
		message_release(&m);
		if (msg)
			json_tree_free(msg);
		return r;
	}
	b->read = m.u.block; /* its spans point into text */
	message_release(&m);
	b->number = b->read.number;
	memcpy(b->hash, b->read.hash, sizeof(b->hash));
	memcpy(b->parent, b->read.parent_hash, sizeof(b->parent));
	b->live = b->read.live;
	r = check_block(v, b, msg);
	if (msg)
		json_tree_free(msg);
	return r;
}
