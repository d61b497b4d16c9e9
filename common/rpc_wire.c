#include "rpc_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "json_escape.h"

#include "banned.h"

int rpc_wire_request(struct buf *body, uint64_t first_id,
		     const struct rpc_call *calls, size_t n)
{
	int rc = 0;

	if (n > 1)
		rc |= buf_addch(body, '[');
	for (size_t i = 0; i < n; i++) {
		rc |= buf_addf(body, "%s{\"jsonrpc\":\"2.0\",\"id\":%llu,"
			       "\"method\":", i ? "," : "",
			       (unsigned long long)(first_id + i));
		rc |= json_escape(body, calls[i].method,
				  strlen(calls[i].method));
		rc |= buf_addf(body, ",\"params\":%s}",
			       calls[i].params && *calls[i].params ?
				       calls[i].params : "[]");
	}
	if (n > 1)
		rc |= buf_addch(body, ']');
	return rc ? -1 : 0;
}

struct parse {
	uint64_t first_id;
	size_t n;
	struct rpc_result *res;
	unsigned char *seen;
	int is_array;
	/* the element being read */
	size_t index;
	int have_elem;
	const char *id, *result, *error;
	size_t idlen, resultlen, errorlen;
	char *err;
	size_t errlen;
};

static int span_is_null(const char *v, size_t len)
{
	return len == 4 && !memcmp(v, "null", 4);
}

/* JSON-RPC allows a number or a string id; ours are numbers, so "1" in
 * quotes is somebody else's answer. */
static int parse_id(const char *v, size_t len, uint64_t *out)
{
	uint64_t id = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (id > (UINT64_MAX - 9) / 10)
			return -1;
		id = id * 10 + (uint64_t)(v[i] - '0');
	}
	*out = id;
	return 0;
}

static char *span_dup(const char *v, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, v, len);
		s[len] = '\0';
	}
	return s;
}

/* Fill res with the error object: a tree parse is fine here, the error
 * is small. A non-object error (some nodes send a bare string) is kept
 * as the message. */
static int set_error(struct rpc_result *res, const char *v, size_t len,
		     char *err, size_t errlen)
{
	char *text = span_dup(v, len);
	yajl_val tree = NULL, code, msg;
	const char *m = NULL;

	if (!text)
		goto nomem;
	tree = json_parse(text, NULL, 0);
	res->status = RPC_ERROR;
	res->code = 0;
	if (tree && YAJL_IS_OBJECT(tree)) {
		code = json_get(tree, "code");
		if (code && YAJL_IS_INTEGER(code))
			res->code = (long)YAJL_GET_INTEGER(code);
		msg = json_get(tree, "message");
		if (msg && YAJL_IS_STRING(msg))
			m = msg->u.string;
	} else if (tree && YAJL_IS_STRING(tree)) {
		m = tree->u.string;
	}
	res->message = strdup(m ? m : "(no message)");
	if (tree)
		yajl_tree_free(tree);
	free(text);
	if (!res->message)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int finish_element(struct parse *p)
{
	struct rpc_result *res;
	uint64_t id;
	size_t i;

	if (!p->have_elem)
		return 0;
	p->have_elem = 0;
	/* A lone error object without id reads as one with id null. */
	if (!p->id && (p->is_array || !p->error || p->result)) {
		snprintf(p->err, p->errlen, "answer without id");
		return -1;
	}
	if (!p->id || span_is_null(p->id, p->idlen)) {
		/* An error about the request as a whole (parse error,
		 * batch too large): it answers every call. */
		if (!p->error || span_is_null(p->error, p->errorlen)) {
			snprintf(p->err, p->errlen, "answer with null id");
			return -1;
		}
		for (i = 0; i < p->n; i++) {
			if (p->seen[i])
				continue;
			if (set_error(&p->res[i], p->error, p->errorlen,
				      p->err, p->errlen) < 0)
				return -1;
			p->seen[i] = 1;
		}
		return 0;
	}
	if (parse_id(p->id, p->idlen, &id) < 0) {
		snprintf(p->err, p->errlen, "unexpected id %.*s",
			 (int)(p->idlen > 40 ? 40 : p->idlen), p->id);
		return -1;
	}
	if (id < p->first_id || id - p->first_id >= p->n) {
		snprintf(p->err, p->errlen, "unexpected id %llu",
			 (unsigned long long)id);
		return -1;
	}
	i = (size_t)(id - p->first_id);
	if (p->seen[i]) {
		snprintf(p->err, p->errlen, "duplicate id %llu",
			 (unsigned long long)id);
		return -1;
	}
	res = &p->res[i];
	/* Some nodes send "error":null next to a result. */
	if (p->error && !span_is_null(p->error, p->errorlen)) {
		if (set_error(res, p->error, p->errorlen, p->err,
			      p->errlen) < 0)
			return -1;
	} else if (p->result) {
		res->status = RPC_OK;
		res->result = p->result;
		res->result_len = p->resultlen;
	} else {
		snprintf(p->err, p->errlen,
			 "answer to id %llu has neither result nor error",
			 (unsigned long long)id);
		return -1;
	}
	p->seen[i] = 1;
	return 0;
}

static int on_member(void *arg, const struct json_member *m)
{
	struct parse *p = arg;

	if (p->have_elem && m->index != p->index && finish_element(p) < 0)
		return 1;
	if (!m->key) {
		snprintf(p->err, p->errlen,
			 "batch element %zu is not an object", m->index);
		return 1;
	}
	if (!p->have_elem) {
		p->have_elem = 1;
		p->index = m->index;
		p->id = p->result = p->error = NULL;
	}
	if (m->keylen == 2 && !memcmp(m->key, "id", 2)) {
		p->id = m->val;
		p->idlen = m->vallen;
	} else if (m->keylen == 6 && !memcmp(m->key, "result", 6)) {
		p->result = m->val;
		p->resultlen = m->vallen;
	} else if (m->keylen == 5 && !memcmp(m->key, "error", 5)) {
		p->error = m->val;
		p->errorlen = m->vallen;
	}
	return 0;
}

void rpc_results_release(struct rpc_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (res[i].status == RPC_ERROR)
			free((char *)res[i].message);
		res[i].message = NULL;
	}
}

int rpc_parse_response(const char *body, size_t len, uint64_t first_id,
		       size_t n, struct rpc_result *res, char *err,
		       size_t errlen)
{
	char ebuf[256];
	struct parse p = { .first_id = first_id, .n = n,
			   .res = res, .err = err ? err : ebuf,
			   .errlen = err ? errlen : sizeof(ebuf) };
	size_t i = 0;
	int rc;

	if (p.errlen)
		p.err[0] = '\0';
	for (size_t k = 0; k < n; k++)
		res[k] = (struct rpc_result){ .status = RPC_FAILED };
	if (n == 0)
		return 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len) {
		snprintf(p.err, p.errlen, "empty answer");
		return -1;
	}
	p.is_array = body[i] == '[';
	if (n == 1 && p.is_array) {
		snprintf(p.err, p.errlen, "batch answer to a single call");
		return -1;
	}
	p.seen = calloc(n, 1);
	if (!p.seen) {
		snprintf(p.err, p.errlen, "out of memory");
		return -1;
	}
	rc = json_members(body, len, on_member, &p, p.err, p.errlen);
	if (rc == 0 && finish_element(&p) < 0)
		rc = -1;
	if (rc != 0)
		goto fail;
	if (n > 1 && !p.is_array) {
		/* A single object answering a batch may only be an error
		 * about the batch as a whole (id null): handled above. */
		for (i = 0; i < n && p.seen[i]; i++)
			;
		if (i < n) {
			snprintf(p.err, p.errlen,
				 "single answer to a batch of %zu", n);
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (!p.seen[i]) {
			snprintf(p.err, p.errlen, "no answer for id %llu",
				 (unsigned long long)(first_id + i));
			goto fail;
		}
	}
	free(p.seen);
	return 0;
fail:
	if (p.errlen && !p.err[0])
		snprintf(p.err, p.errlen, "invalid JSON-RPC answer");
	rpc_results_release(res, n);
	for (size_t k = 0; k < n; k++)
		res[k] = (struct rpc_result){ .status = RPC_FAILED };
	free(p.seen);
	return rc == JSON_DUPLICATE ? JSON_DUPLICATE : -1;
}

/* Rate limits some providers send as JSON-RPC errors (Infura -32005,
 * Alchemy 429) are the transport's business, not the caller's. -32005
 * also means "query returned more than 10000 results", which a retry
 * cannot fix: that one goes to the caller. */
int rpc_wire_rate_limited(const struct rpc_result *res)
{
	const char *m = res->message ? res->message : "";

	if (res->status != RPC_ERROR)
		return 0;
	if (strcasestr(m, "rate limit") || strcasestr(m, "too many requests") ||
	    strcasestr(m, "rate-limit") || strcasestr(m, "ratelimit"))
		return 1;
	if (res->code == 429)
		return 1;
	return res->code == -32005 && !strcasestr(m, "more than");
}
