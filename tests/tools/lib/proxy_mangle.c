/* proxy_mangle: the faults that rewrite the node's answer (proxy.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "grow.h"
#include "proxy.h"
#include "rng.h"
#include "textedit.h"

#include "banned.h"

/* The longest text a fault puts in place of a span of the answer. */
#define EDIT_TEXT_MAX 80

/* Replace body[off, off+len) by text (which must outlive the edit). */
static void edit_at(struct text_edit *e, const char *text, size_t off,
		    size_t len)
{
	*e = (struct text_edit){ off, len, text, strlen(text) };
}

struct block_fields {
	const char *number, *roots[2];
	size_t numberlen, rootlens[2];
};

static int on_block_member(void *arg, const struct json_member *m)
{
	struct block_fields *b = arg;

	if (!m->key)
		return 0;
	if (m->keylen == 6 && !memcmp(m->key, "number", 6)) {
		b->number = m->val;
		b->numberlen = m->vallen;
	} else if (m->keylen == 9 && !memcmp(m->key, "stateRoot", 9)) {
		b->roots[0] = m->val;
		b->rootlens[0] = m->vallen;
	} else if (m->keylen == 16 &&
		   !memcmp(m->key, "transactionsRoot", 16)) {
		b->roots[1] = m->val;
		b->rootlens[1] = m->vallen;
	}
	return 0;
}

/* Under p->lock: claim block number n for corruption, once. */
static int claim_block(struct proxy *p, uint64_t n)
{
	for (size_t i = 0; i < p->ncorrupted; i++)
		if (p->corrupted[i] == n)
			return 0;
	if (grow((void **)&p->corrupted, p->ncorrupted, &p->capcorrupted,
		 sizeof(*p->corrupted)) < 0)
		return 0;
	p->corrupted[p->ncorrupted++] = n;
	return 1;
}

/* Flip one hex digit of a root in the first block of the answer not
 * corrupted before. Returns 1 when an edit was made. */
static int corrupt_one(struct proxy *p, const struct buf *body,
		       const struct calls *cs, const struct elems *es,
		       struct text_edit *ed, char *text)
{
	for (size_t i = 0; i < es->n; i++) {
		const struct elem *e = &es->v[i];
		struct block_fields b = { 0 };
		uint64_t number, r1, r2;
		int which, claimed;
		size_t pos;
		char c, nc;

		if (!e->result || e->result[0] != '{' ||
		    strcmp(method_of(cs, e->id, e->idlen),
			   "eth_getBlockByNumber"))
			continue;
		if (json_members(e->result, e->resultlen, on_block_member, &b,
				 NULL, 0) != 0 ||
		    hex_span_u64(b.number, b.numberlen, &number) < 0)
			continue;
		pthread_mutex_lock(&p->lock);
		r1 = rng_next(&p->rng);
		r2 = rng_next(&p->rng);
		claimed = claim_block(p, number);
		pthread_mutex_unlock(&p->lock);
		if (!claimed)
			continue;
		which = b.roots[r1 & 1] ? (int)(r1 & 1) : !(r1 & 1);
		/* "0x" + 64 digits inside quotes. */
		if (!b.roots[which] || b.rootlens[which] != 68)
			continue;
		pos = (size_t)(b.roots[which] - body->data) + 3 + r2 % 64;
		c = body->data[pos];
		nc = c == '0' ? '1' : '0';
		snprintf(text, EDIT_TEXT_MAX, "%c", nc);
		edit_at(ed, text, pos, 1);
		return 1;
	}
	return 0;
}

enum fault proxy_mangle(struct proxy *p, enum fault f, const struct calls *cs,
			struct buf *body)
{
	struct elems es = { NULL, 0 };
	struct text_edit *ed = NULL;
	char (*text)[EDIT_TEXT_MAX] = NULL;
	struct buf out = BUF_INIT;
	size_t ned = 0, off;

	if (f == F_TRUNCATE) {
		body->len /= 2;
		if (body->data)
			body->data[body->len] = '\0';
		return f;
	}
	if (!body->len || read_elems(body, &es))
		goto none;
	ed = calloc(es.n ? es.n : 1, sizeof(*ed));
	text = calloc(es.n ? es.n : 1, sizeof(*text));
	if (!ed || !text)
		goto none;
	for (size_t i = 0; i < es.n && f != F_CORRUPT; i++) {
		const struct elem *e = &es.v[i];
		uint64_t head, lag;

		if (!e->result)
			continue;
		off = (size_t)(e->result - body->data);
		if (f == F_DUPKEY && e->result[0] == '{' &&
		    !strcmp(method_of(cs, e->id, e->idlen),
			    "eth_getBlockByNumber")) {
			snprintf(text[ned], EDIT_TEXT_MAX,
				 "\"timestamp\":\"0x1\",\"miner\":\"0x%040d\",", 0);
			edit_at(&ed[ned], text[ned], off + 1, 0);
			ned++;
		} else if (f == F_NULL) {
			edit_at(&ed[ned++], "null", off, e->resultlen);
		} else if (f == F_LAG &&
			   !strcmp(method_of(cs, e->id, e->idlen),
				   "eth_blockNumber") &&
			   hex_span_u64(e->result, e->resultlen, &head) == 0) {
			pthread_mutex_lock(&p->lock);
			lag = 2 + rng_next(&p->rng) % 2;
			pthread_mutex_unlock(&p->lock);
			head = head > lag ? head - lag : 0;
			snprintf(text[ned], EDIT_TEXT_MAX, "\"0x%llx\"",
				 (unsigned long long)head);
			edit_at(&ed[ned], text[ned], off, e->resultlen);
			ned++;
		}
	}
	if (f == F_CORRUPT)
		ned = (size_t)corrupt_one(p, body, cs, &es, ed, text[0]);
	if (!ned || text_edits_apply(body->data, body->len, ed, ned, &out) < 0)
		goto none;
	buf_release(body);
	*body = out;
	free(text);
	free(ed);
	free(es.v);
	return f;
none:
	buf_release(&out);
	free(text);
	free(ed);
	free(es.v);
	return F_NONE;
}

int proxy_body_mangle(struct proxy *p, const struct calls *cs,
		      struct buf *body, char *names, size_t nameslen)
{
	struct elems es = { NULL, 0 };
	struct body_elem *el = NULL;
	int rc = 0;

	names[0] = '\0';
	if (!body->len || !calls_have(cs, "eth_getBlockByNumber") ||
	    read_elems(body, &es))
		goto out;
	el = calloc(es.n + 1, sizeof(*el));
	if (!el)
		goto out;
	for (size_t i = 0; i < es.n; i++) {
		const struct call *c = call_of(cs, es.v[i].id, es.v[i].idlen);

		el[i] = (struct body_elem){ c ? c->method : "",
					    c ? c->number : 0,
					    c && c->has_number, c && c->full,
					    es.v[i].result, es.v[i].resultlen };
	}
	rc = body_lies_tell(&p->body, body, el, es.n, names, nameslen);
out:
	free(el);
	free(es.v);
	return rc;
}
