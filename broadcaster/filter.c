#include "filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json.h"
#include "banned.h"

void filter_release(struct log_filter *f)
{
	free(f->addr);
	for (int i = 0; i < 4; i++)
		free(f->pos[i].v);
	memset(f, 0, sizeof(*f));
}

static int bad(struct log_filter *f, char *why, size_t whylen,
	       const char *msg)
{
	filter_release(f);
	snprintf(why, whylen, "%s", msg);
	return -1;
}

/* One value or an array of them, each exactly n bytes of hex. */
static int hex_set(yajl_val v, size_t n, uint8_t **out, size_t *count)
{
	size_t len = YAJL_IS_ARRAY(v) ? v->u.array.len : 1;
	uint8_t *a;

	*out = NULL;
	*count = 0;
	if (!len)
		return 0;
	a = calloc(len, n);
	if (!a)
		return -1;
	for (size_t i = 0; i < len; i++) {
		yajl_val e = YAJL_IS_ARRAY(v) ? v->u.array.values[i] : v;

		if (!YAJL_IS_STRING(e) ||
		    json_hex_bytes(YAJL_GET_STRING(e), a + i * n, n) != (long)n) {
			free(a);
			return -1;
		}
	}
	*out = a;
	*count = len;
	return 0;
}

int filter_parse(yajl_val obj, struct log_filter *f, char *why, size_t whylen)
{
	yajl_val addr, topics;

	memset(f, 0, sizeof(*f));
	if (!obj || YAJL_IS_NULL(obj))
		return 0;
	if (!YAJL_IS_OBJECT(obj))
		return bad(f, why, whylen, "filter is not an object");
	addr = json_get(obj, "address");
	if (addr && !YAJL_IS_NULL(addr)) {
		uint8_t *a;

		if (!YAJL_IS_STRING(addr) && !YAJL_IS_ARRAY(addr))
			return bad(f, why, whylen, "invalid address");
		if (hex_set(addr, 20, &a, &f->naddr) < 0)
			return bad(f, why, whylen,
				   "invalid address: want 0x and 40 hex digits");
		f->addr = (uint8_t (*)[20])a;
	}
	topics = json_get(obj, "topics");
	if (topics && !YAJL_IS_NULL(topics)) {
		if (!YAJL_IS_ARRAY(topics))
			return bad(f, why, whylen, "topics is not an array");
		if (topics->u.array.len > 4)
			return bad(f, why, whylen, "more than 4 topic positions");
		f->npos = (int)topics->u.array.len;
		for (int i = 0; i < f->npos; i++) {
			yajl_val t = topics->u.array.values[i];
			uint8_t *v;

			if (YAJL_IS_NULL(t))
				continue;
			if (!YAJL_IS_STRING(t) && !YAJL_IS_ARRAY(t))
				return bad(f, why, whylen, "invalid topic");
			if (hex_set(t, 32, &v, &f->pos[i].n) < 0)
				return bad(f, why, whylen,
					   "invalid topic: want 0x and 64 hex digits");
			f->pos[i].v = (uint8_t (*)[32])v;
		}
	}
	return 0;
}

int filter_match(const struct log_filter *f, const struct log_key *k)
{
	if (f->naddr) {
		size_t i;

		for (i = 0; i < f->naddr; i++)
			if (!memcmp(f->addr[i], k->address, 20))
				break;
		if (i == f->naddr)
			return 0;
	}
	/* As geth: more positions than the log has topics never matches,
	 * even when the extra positions are wildcards. */
	if (f->npos > k->ntopics)
		return 0;
	for (int p = 0; p < f->npos; p++) {
		size_t i;

		if (!f->pos[p].n)
			continue;
		for (i = 0; i < f->pos[p].n; i++)
			if (!memcmp(f->pos[p].v[i], k->topics[p], 32))
				break;
		if (i == f->pos[p].n)
			return 0;
	}
	return 1;
}
