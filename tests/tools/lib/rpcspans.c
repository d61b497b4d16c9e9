/* rpcspans: a JSON-RPC request's calls and its answer's elements as
 * spans (rpcspans.h). */
#include <stdio.h>
#include <string.h>

#include "json.h"

#include "bodyfault.h"
#include "grow.h"
#include "rpcspans.h"

#include "banned.h"

/* The array a json_members walk fills, an element for each index, and
 * what it takes of a member of the element's object. */
struct walk {
	void **v;
	size_t *n, cap, size;
	void (*fill)(void *el, const struct json_member *m);
};

/* The element of this index, zeroed ones added up to it; NULL when out
 * of memory. */
static void *walk_slot(struct walk *w, size_t index)
{
	while (*w->n <= index) {
		if (grow(w->v, *w->n, &w->cap, w->size) < 0)
			return NULL;
		memset((char *)*w->v + *w->n * w->size, 0, w->size);
		(*w->n)++;
	}
	return (char *)*w->v + index * w->size;
}

/* Whether m's key is k. */
static int key_is(const struct json_member *m, const char *k)
{
	return m->keylen == strlen(k) && !memcmp(m->key, k, m->keylen);
}

static int on_member(void *arg, const struct json_member *m)
{
	struct walk *w = arg;
	void *el;

	if (!m->key)
		return 0;
	if (!(el = walk_slot(w, m->index)))
		return 1;
	w->fill(el, m);
	return 0;
}

/* ---- the request ---- */

static void fill_call(void *el, const struct json_member *m)
{
	struct call *c = el;

	if (key_is(m, "id")) {
		snprintf(c->id, sizeof(c->id), "%.*s", (int)m->vallen, m->val);
	} else if (key_is(m, "method") && m->vallen >= 2 && m->val[0] == '"') {
		snprintf(c->method, sizeof(c->method), "%.*s",
			 (int)(m->vallen - 2), m->val + 1);
	} else if (key_is(m, "params")) {
		c->has_number = body_params(m->val, m->vallen, &c->number,
					    &c->full) == 0;
	}
}

void read_calls(const struct buf *in, struct calls *cs)
{
	struct walk w = { (void **)&cs->v, &cs->n, 0, sizeof(*cs->v),
			  fill_call };
	size_t i = 0;

	while (i < in->len && (in->data[i] == ' ' || in->data[i] == '\n' ||
			       in->data[i] == '\r' || in->data[i] == '\t'))
		i++;
	cs->batch = i < in->len && in->data[i] == '[';
	if (in->len)
		json_members(in->data, in->len, on_member, &w, NULL, 0);
}

/* ---- the answer ---- */

static void fill_elem(void *el, const struct json_member *m)
{
	struct elem *e = el;

	if (key_is(m, "id")) {
		e->id = m->val;
		e->idlen = m->vallen;
	} else if (key_is(m, "result")) {
		e->result = m->val;
		e->resultlen = m->vallen;
	}
}

int read_elems(const struct buf *body, struct elems *es)
{
	struct walk w = { (void **)&es->v, &es->n, 0, sizeof(*es->v),
			  fill_elem };

	return json_members(body->data, body->len, on_member, &w, NULL, 0);
}

/* ---- looking calls up ---- */

int calls_have(const struct calls *cs, const char *method)
{
	for (size_t i = 0; i < cs->n; i++)
		if (!strcmp(cs->v[i].method, method))
			return 1;
	return 0;
}

const struct call *call_of(const struct calls *cs, const char *id,
			   size_t idlen)
{
	for (size_t i = 0; i < cs->n; i++)
		if (id && strlen(cs->v[i].id) == idlen &&
		    !memcmp(cs->v[i].id, id, idlen))
			return &cs->v[i];
	return NULL;
}

const char *method_of(const struct calls *cs, const char *id, size_t idlen)
{
	const struct call *c = call_of(cs, id, idlen);

	return c ? c->method : "";
}

int hex_span_u64(const char *v, size_t len, uint64_t *out)
{
	char tmp[40];

	if (len < 3 || len >= sizeof(tmp) || v[0] != '"' || v[len - 1] != '"')
		return -1;
	memcpy(tmp, v + 1, len - 2);
	tmp[len - 2] = '\0';
	return json_hex_u64(tmp, out);
}
