/* docs/protocol.md's messages, reading: one member walk, spans into the
 * text (building and re-stamping: message_build.c). */
#include "message.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "json.h"
#include "banned.h"

/* The top-level members this module knows. */
enum field {
	F_TYPE, F_CHAIN_ID, F_SEQ, F_EMITTED_AT, F_REASON, F_NUMBER, F_HASH,
	F_PARENT_HASH, F_LIVE, F_FETCHED_AT, F_BLOCK, F_RECEIPTS, F_ANCESTOR,
	F_ORPHANED, F_NEW_TIP, F_DEPTH, F_DEEP, F_INVALIDATE_FROM,
	F_INVALIDATE_TO, F_BELOW_FINALIZED, F_PROG, F_TIME, F_TIP, F_WRITER,
	F_FROM, F_TO, F_BLOCKS, F_WATERMARK, NFIELDS
};

static const char *const field_names[NFIELDS] = {
	"type", "chain_id", "seq", "emitted_at", "reason", "number", "hash",
	"parent_hash", "live", "fetched_at", "block", "receipts", "ancestor",
	"orphaned", "new_tip", "depth", "deep", "invalidate_from",
	"invalidate_to", "below_finalized", "prog", "time", "tip", "writer",
	"from", "to", "blocks", "watermark",
};

struct scan {
	struct message_span v[NFIELDS];   /* the value */
	struct message_span ext[NFIELDS]; /* the member, with the comma
					     before it */
	const char *prev_end;
	char *err;
	size_t errlen;
};

const char *message_status_label(enum message_status st)
{
	switch (st) {
	case MESSAGE_OK: return "ok";
	case MESSAGE_INVALID: return "invalid_json";
	case MESSAGE_DUPLICATE: return "duplicate_key";
	case MESSAGE_NO_TYPE: return "no_type";
	case MESSAGE_BAD_FIELD: return "bad_field";
	case MESSAGE_NOMEM: return "out_of_memory";
	}
	return "?";
}

static enum message_status bad(struct scan *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum message_status bad(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err && s->errlen) {
		va_start(ap, fmt);
		vsnprintf(s->err, s->errlen, fmt, ap);
		va_end(ap);
	}
	return MESSAGE_BAD_FIELD;
}

static int scan_cb(void *arg, const struct json_member *m)
{
	struct scan *s = arg;
	const char *end = m->val + m->vallen;

	if (!m->key)
		return 0;
	for (int f = 0; f < NFIELDS; f++) {
		if (strlen(field_names[f]) == m->keylen &&
		    !memcmp(field_names[f], m->key, m->keylen)) {
			s->v[f] = (struct message_span){ m->val, m->vallen };
			s->ext[f] = (struct message_span){
				s->prev_end, (size_t)(end - s->prev_end) };
			break;
		}
	}
	s->prev_end = end;
	return 0;
}

/* ---- field readers: "message.NAME: what is wrong" ------------------- */

static int span_lit(const struct message_span *v, const char *lit)
{
	return v->p && v->n == strlen(lit) && !memcmp(v->p, lit, v->n);
}

/* A JSON integer 0 .. 2^63-1. 0, 1 absent (or null when null_ok), -1. */
static int get_u64(struct scan *s, int f, int required, int null_ok,
		   uint64_t *out)
{
	const struct message_span *v = &s->v[f];
	uint64_t x = 0;

	if (!v->p || (null_ok && span_lit(v, "null"))) {
		if (required)
			bad(s, "message.%s: missing", field_names[f]);
		return required ? -1 : 1;
	}
	if (!v->n || v->n > 19) {
		if (v->n > 19 && v->p[0] >= '0' && v->p[0] <= '9' &&
		    !memchr(v->p, '.', v->n) && !memchr(v->p, 'e', v->n) &&
		    !memchr(v->p, 'E', v->n))
			bad(s, "message.%s: too large", field_names[f]);
		else
			bad(s, "message.%s: not a non-negative integer",
			    field_names[f]);
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->p[i] < '0' || v->p[i] > '9') {
			bad(s, "message.%s: not a non-negative integer",
			    field_names[f]);
			return -1;
		}
		x = x * 10 + (uint64_t)(v->p[i] - '0');
	}
	if (x > INT64_MAX) {
		bad(s, "message.%s: too large", field_names[f]);
		return -1;
	}
	*out = x;
	return 0;
}

static int get_bool(struct scan *s, int f, bool *out)
{
	const struct message_span *v = &s->v[f];

	*out = false;
	if (!v->p)
		return 0;
	if (span_lit(v, "true") || span_lit(v, "false")) {
		*out = v->p[0] == 't';
		return 0;
	}
	bad(s, "message.%s: not a boolean", field_names[f]);
	return -1;
}

static int is_hash(const char *p, size_t n)
{
	return n == HASH_HEX_LEN && hex_span_bytes(p, n) == 32;
}

static int get_hash(struct scan *s, int f, char out[HASH_HEX_SIZE])
{
	const struct message_span *v = &s->v[f];

	if (!v->p || span_lit(v, "null"))
		return bad(s, "message.%s: missing", field_names[f]), -1;
	if (v->n != HASH_HEX_LEN + 2 || v->p[0] != '"' ||
	    !is_hash(v->p + 1, HASH_HEX_LEN))
		return bad(s, "message.%s: not a 32-byte 0x-hex hash",
			   field_names[f]), -1;
	memcpy(out, v->p + 1, HASH_HEX_LEN);
	out[HASH_HEX_LEN] = '\0';
	return 0;
}

/* A string; escapes are decoded. Absent: "" and 0. */
static int get_str(struct scan *s, int f, char *out, size_t outlen)
{
	const struct message_span *v = &s->v[f];
	char *copy;
	yajl_val t;

	out[0] = '\0';
	if (!v->p)
		return 0;
	if (v->n >= 2 && v->p[0] == '"' && !memchr(v->p, '\\', v->n) &&
	    v->n - 2 < outlen) {
		memcpy(out, v->p + 1, v->n - 2);
		out[v->n - 2] = '\0';
		return 0;
	}
	copy = v->p[0] == '"' && v->n < 4 * outlen ? strndup(v->p, v->n) : NULL;
	t = copy ? json_parse(copy, NULL, 0) : NULL;
	free(copy);
	if (t && YAJL_IS_STRING(t) && strlen(t->u.string) < outlen) {
		snprintf(out, outlen, "%s", t->u.string);
		yajl_tree_free(t);
		return 0;
	}
	if (t)
		yajl_tree_free(t);
	bad(s, "message.%s: not a string of at most %zu bytes", field_names[f],
	    outlen - 1);
	return -1;
}

/* {number, hash} from a tree; path names it in errors. */
static int tree_ref(struct scan *s, yajl_val o, const char *path,
		    int hash_null_ok, struct message_ref *r)
{
	yajl_val n = json_get(o, "number"), h = json_get(o, "hash");

	if (!o || !YAJL_IS_OBJECT(o))
		return bad(s, "%s: missing or not an object", path), -1;
	if (!n)
		return bad(s, "%s.number: missing", path), -1;
	if (!YAJL_IS_INTEGER(n) || YAJL_GET_INTEGER(n) < 0)
		return bad(s, "%s.number: not a non-negative integer", path), -1;
	r->number = (uint64_t)YAJL_GET_INTEGER(n);
	r->hash[0] = '\0';
	if (hash_null_ok && (!h || YAJL_IS_NULL(h)))
		return 0;
	if (!h || !YAJL_IS_STRING(h) ||
	    !is_hash(h->u.string, strlen(h->u.string)))
		return bad(s, "%s.hash: not a 32-byte 0x-hex hash", path), -1;
	memcpy(r->hash, h->u.string, HASH_HEX_SIZE);
	return 0;
}

/* A nested value parsed on its own (the walk validated it already). */
static yajl_val span_tree(const struct message_span *v)
{
	char *copy = strndup(v->p, v->n);
	yajl_val t = copy ? json_parse(copy, NULL, 0) : NULL;

	free(copy);
	return t;
}

/* An optional {number, hash} member: absent or null -> *has = false. */
static int get_ref(struct scan *s, int f, int required, int hash_null_ok,
		   bool *has, struct message_ref *r)
{
	const struct message_span *v = &s->v[f];
	char path[40];
	yajl_val t;
	int rc;

	*has = false;
	if (!v->p) {
		if (required)
			return bad(s, "message.%s: missing", field_names[f]), -1;
		return 0;
	}
	if (span_lit(v, "null"))
		return 0;
	snprintf(path, sizeof(path), "message.%s", field_names[f]);
	if (v->p[0] != '{')
		return bad(s, "%s: missing or not an object", path), -1;
	t = span_tree(v);
	if (!t)
		return bad(s, "%s: out of memory", path), -1;
	rc = tree_ref(s, t, path, hash_null_ok, r);
	yajl_tree_free(t);
	*has = rc == 0;
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

static int read_stamps(struct scan *s, uint64_t *seq, bool *has_seq,
		       uint64_t *emitted, bool *has_emitted)
{
	int rc;

	if ((rc = get_u64(s, F_SEQ, 0, 0, seq)) < 0)
		return -1;
	*has_seq = rc == 0;
	if ((rc = get_u64(s, F_EMITTED_AT, 0, 0, emitted)) < 0)
		return -1;
	*has_emitted = rc == 0;
	return 0;
}

static enum message_status read_block(struct scan *s, struct message_block *b)
{
	const int stamp_fields[] = { F_SEQ, F_EMITTED_AT, F_REASON };
	int rc;

	if (get_u64(s, F_CHAIN_ID, 1, 0, &b->chain_id) < 0 ||
	    read_stamps(s, &b->seq, &b->has_seq, &b->emitted_at,
			&b->has_emitted_at) < 0 ||
	    get_u64(s, F_NUMBER, 1, 0, &b->number) < 0 ||
	    get_hash(s, F_HASH, b->hash) < 0 ||
	    get_hash(s, F_PARENT_HASH, b->parent_hash) < 0 ||
	    get_bool(s, F_LIVE, &b->live) < 0)
		return MESSAGE_BAD_FIELD;
	if ((rc = get_u64(s, F_FETCHED_AT, 0, 0, &b->fetched_at)) < 0)
		return MESSAGE_BAD_FIELD;
	b->has_fetched_at = rc == 0;
	if (s->v[F_REASON].p) {
		if (get_str(s, F_REASON, b->reason, sizeof(b->reason)) < 0)
			return MESSAGE_BAD_FIELD;
	}
	if (!s->v[F_BLOCK].p || s->v[F_BLOCK].p[0] != '{')
		return bad(s, "message.block: missing or not an object");
	if (!s->v[F_RECEIPTS].p || s->v[F_RECEIPTS].p[0] != '[')
		return bad(s, "message.receipts: missing or not an array");
	b->block = s->v[F_BLOCK];
	b->receipts = s->v[F_RECEIPTS];
	for (size_t i = 0; i < 3; i++)
		if (s->v[stamp_fields[i]].p)
			b->stamps[b->nstamps++] = s->ext[stamp_fields[i]];
	return MESSAGE_OK;
}

static enum message_status read_orphaned(struct scan *s,
					 struct message_reorg *r)
{
	const struct message_span *v = &s->v[F_ORPHANED];
	yajl_val t;

	if (!v->p || v->p[0] != '[')
		return bad(s, "message.orphaned: missing or not an array");
	t = span_tree(v);
	if (!t || !YAJL_IS_ARRAY(t)) {
		if (t)
			yajl_tree_free(t);
		return bad(s, "message.orphaned: out of memory");
	}
	if (t->u.array.len) {
		r->orphaned = calloc(t->u.array.len, sizeof(*r->orphaned));
		if (!r->orphaned) {
			yajl_tree_free(t);
			bad(s, "message.orphaned: out of memory");
			return MESSAGE_NOMEM;
		}
	}
	for (size_t i = 0; i < t->u.array.len; i++) {
		char path[48];

		snprintf(path, sizeof(path), "message.orphaned[%zu]", i);
		if (tree_ref(s, t->u.array.values[i], path, 0,
			     &r->orphaned[i]) < 0) {
			yajl_tree_free(t);
			return MESSAGE_BAD_FIELD;
		}
		r->norphaned = i + 1;
	}
	yajl_tree_free(t);
	return MESSAGE_OK;
}

static enum message_status read_reorg(struct scan *s, struct message_reorg *r)
{
	int rc;

	if (get_u64(s, F_CHAIN_ID, 1, 0, &r->chain_id) < 0 ||
	    read_stamps(s, &r->seq, &r->has_seq, &r->emitted_at,
			&r->has_emitted_at) < 0 ||
	    get_ref(s, F_ANCESTOR, 1, 0, &r->has_ancestor, &r->ancestor) < 0 ||
	    get_ref(s, F_NEW_TIP, 0, 1, &r->has_new_tip, &r->new_tip) < 0 ||
	    get_u64(s, F_INVALIDATE_FROM, 1, 0, &r->invalidate_from) < 0 ||
	    get_u64(s, F_INVALIDATE_TO, 1, 0, &r->invalidate_to) < 0)
		return MESSAGE_BAD_FIELD;
	if (r->invalidate_from > r->invalidate_to)
		return bad(s, "message.invalidate_from: %" PRIu64 " is above "
			   "invalidate_to %" PRIu64, r->invalidate_from,
			   r->invalidate_to);
	if ((rc = read_orphaned(s, r)) != MESSAGE_OK)
		return rc;
	if ((rc = get_u64(s, F_DEPTH, 0, 0, &r->depth)) < 0)
		return MESSAGE_BAD_FIELD;
	r->has_depth = rc == 0;
	if (get_bool(s, F_DEEP, &r->deep) < 0 ||
	    get_bool(s, F_BELOW_FINALIZED, &r->below_finalized) < 0)
		return MESSAGE_BAD_FIELD;
	return MESSAGE_OK;
}

static enum message_status read_heartbeat(struct scan *s,
					  struct message_heartbeat *h)
{
	int rc;

	if (get_u64(s, F_CHAIN_ID, 1, 0, &h->chain_id) < 0 ||
	    (rc = get_u64(s, F_SEQ, 0, 0, &h->seq)) < 0)
		return MESSAGE_BAD_FIELD;
	h->has_seq = rc == 0;
	if ((rc = get_u64(s, F_TIME, 0, 0, &h->time)) < 0)
		return MESSAGE_BAD_FIELD;
	h->has_time = rc == 0;
	if (get_str(s, F_PROG, h->prog, sizeof(h->prog)) < 0 ||
	    get_ref(s, F_TIP, 0, 1, &h->has_tip, &h->tip) < 0)
		return MESSAGE_BAD_FIELD;
	return MESSAGE_OK;
}

static enum message_status read_committed(struct scan *s,
					  struct message_committed *c)
{
	struct {
		int f;
		bool *has;
		uint64_t *v;
	} opt[] = {
		{ F_FROM, &c->has_from, &c->from },
		{ F_TO, &c->has_to, &c->to },
		{ F_WATERMARK, &c->has_watermark, &c->watermark },
		{ F_TIME, &c->has_time, &c->time },
	};
	int rc;

	if (get_u64(s, F_CHAIN_ID, 1, 0, &c->chain_id) < 0 ||
	    get_str(s, F_WRITER, c->writer, sizeof(c->writer)) < 0 ||
	    get_u64(s, F_BLOCKS, 0, 0, &c->blocks) < 0)
		return MESSAGE_BAD_FIELD;
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		if ((rc = get_u64(s, opt[i].f, 0, 1, opt[i].v)) < 0)
			return MESSAGE_BAD_FIELD;
		*opt[i].has = rc == 0;
	}
	return MESSAGE_OK;
}

static const struct {
	const char *name;
	enum message_type type;
} types[] = {
	{ "block", MESSAGE_BLOCK },
	{ "reorg", MESSAGE_REORG },
	{ "heartbeat", MESSAGE_HEARTBEAT },
	{ "committed", MESSAGE_COMMITTED },
};

/* message_read(), and when tree is not NULL the tree of the whole
 * message from the same walk. */
static enum message_status read_message(const char *text, size_t len,
					struct message *m, yajl_val *tree,
					char *err, size_t errlen)
{
	struct scan s = { .err = err, .errlen = errlen };
	const char *p = text, *end = text + len;
	const struct message_span *ty = &s.v[F_TYPE];
	char jerr[256];
	int rc;

	memset(m, 0, sizeof(*m));
	if (err && errlen)
		err[0] = '\0';
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	s.prev_end = p < end ? p + 1 : p;
	rc = tree ? json_members_tree(text, len, scan_cb, &s, tree, jerr,
				      sizeof(jerr))
		  : json_members(text, len, scan_cb, &s, jerr, sizeof(jerr));
	if (rc == JSON_DUPLICATE) {
		bad(&s, "%s", jerr);
		return MESSAGE_DUPLICATE;
	}
	if (rc != 0) {
		bad(&s, "invalid JSON: %s", jerr);
		return MESSAGE_INVALID;
	}
	if (p == end || *p != '{') {
		bad(&s, "not a JSON object");
		return MESSAGE_INVALID;
	}
	if (!ty->p || ty->n < 2 || ty->p[0] != '"' ||
	    memchr(ty->p, '\\', ty->n) || ty->n - 2 >= sizeof(m->type_name)) {
		bad(&s, "message.type: missing or not a string");
		return MESSAGE_NO_TYPE;
	}
	memcpy(m->type_name, ty->p + 1, ty->n - 2);
	m->type_name[ty->n - 2] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(m->type_name, types[i].name))
			m->type = types[i].type;
	switch (m->type) {
	case MESSAGE_BLOCK:
		return read_block(&s, &m->u.block);
	case MESSAGE_REORG:
		return read_reorg(&s, &m->u.reorg);
	case MESSAGE_HEARTBEAT:
		return read_heartbeat(&s, &m->u.heartbeat);
	case MESSAGE_COMMITTED:
		return read_committed(&s, &m->u.committed);
	case MESSAGE_OTHER:
		break;
	}
	return MESSAGE_OK;
}

enum message_status message_read(const char *text, size_t len,
				 struct message *m, char *err, size_t errlen)
{
	return read_message(text, len, m, NULL, err, errlen);
}

enum message_status message_read_tree(const char *text, size_t len,
				      struct message *m, yajl_val *tree,
				      char *err, size_t errlen)
{
	enum message_status st;

	*tree = NULL;
	st = read_message(text, len, m, tree, err, errlen);
	if (st != MESSAGE_OK && *tree) {
		json_tree_free(*tree);
		*tree = NULL;
	}
	return st;
}

void message_release(struct message *m)
{
	if (m->type == MESSAGE_REORG)
		free(m->u.reorg.orphaned);
	memset(m, 0, sizeof(*m));
}
