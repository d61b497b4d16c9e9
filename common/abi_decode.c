/* Decoding logs against an event (abi.h): strict ABI decoding into the
 * PostgreSQL text input of each column, JSON for arrays and tuples. */
#include "abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

struct dec {
	struct buf out;
	bool strings_as_bytes;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3))) static int bad(struct dec *c,
						      const char *fmt, ...)
{
	va_list ap;

	if (c->why && c->whylen && !c->why[0]) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int out_fail(struct dec *c)
{
	return bad(c, "decoded value larger than %zu bytes", ABI_OUT_MAX);
}

/* The bytes a value takes in the head of its tuple; saturates so that a
 * huge static array fails the bounds check instead of overflowing. */
static size_t head_size(const struct abi_type *t)
{
	size_t s = 0, e;

	if (abi_type_dynamic(t))
		return 32;
	switch (t->kind) {
	case ABI_FARRAY:
		e = head_size(t->elem);
		return e && t->size > (SIZE_MAX / 4) / e ? SIZE_MAX / 4
							  : e * t->size;
	case ABI_TUPLE:
		for (size_t i = 0; i < t->ncomps; i++) {
			s += head_size(t->comps[i]);
			if (s > SIZE_MAX / 4)
				return SIZE_MAX / 4;
		}
		return s;
	default:
		return 32;
	}
}

/* Big-endian 32-byte word to decimal (magnitude only). */
static int put_decimal(struct dec *c, const uint8_t w[32], bool neg)
{
	uint8_t v[32];
	char digits[80];
	size_t nd = 0, start = 0;

	memcpy(v, w, 32);
	if (neg) { /* two's complement magnitude */
		unsigned carry = 1;
		for (int i = 31; i >= 0; i--) {
			unsigned x = (uint8_t)~v[i] + carry;
			v[i] = (uint8_t)x;
			carry = x >> 8;
		}
	}
	do {
		unsigned rem = 0;
		while (start < 32 && v[start] == 0)
			start++;
		for (size_t i = start; i < 32; i++) {
			unsigned x = rem << 8 | v[i];
			v[i] = (uint8_t)(x / 10);
			rem = x % 10;
		}
		digits[nd++] = (char)('0' + rem);
		while (start < 32 && v[start] == 0)
			start++;
	} while (start < 32);
	if (neg && buf_addch(&c->out, '-') < 0)
		return out_fail(c);
	for (size_t i = nd; i > 0; i--)
		if (buf_addch(&c->out, digits[i - 1]) < 0)
			return out_fail(c);
	return 0;
}

static int put_hex(struct dec *c, const uint8_t *p, size_t n, bool json)
{
	static const char hex[] = "0123456789abcdef";
	char *o;

	if (n > ABI_OUT_MAX / 2 || buf_grow(&c->out, 2 * n + 4) < 0)
		return out_fail(c);
	if (buf_adds(&c->out, json ? "\"0x" : "\\x") < 0)
		return out_fail(c);
	o = c->out.data + c->out.len;
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = hex[p[i] >> 4];
		o[2 * i + 1] = hex[p[i] & 15];
	}
	c->out.len += 2 * n;
	c->out.data[c->out.len] = 0;
	if (json && buf_addch(&c->out, '"') < 0)
		return out_fail(c);
	return 0;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* A static elementary value in one 32-byte word, checked strictly. */
static int word_value(struct dec *c, const struct abi_type *t,
		      const uint8_t w[32], bool json)
{
	size_t pad;
	bool neg;

	switch (t->kind) {
	case ABI_UINT:
		pad = 32 - t->bits / 8;
		if (!all_bytes(w, pad, 0))
			return bad(c, "uint%u with high bits set", t->bits);
		return json ? (buf_addch(&c->out, '"') < 0 ||
			       put_decimal(c, w, false) < 0 ||
			       buf_addch(&c->out, '"') < 0 ? out_fail(c) : 0)
			    : put_decimal(c, w, false);
	case ABI_INT:
		pad = 32 - t->bits / 8;
		neg = w[pad] & 0x80;
		if (!all_bytes(w, pad, neg ? 0xff : 0))
			return bad(c, "int%u not sign-extended", t->bits);
		return json ? (buf_addch(&c->out, '"') < 0 ||
			       put_decimal(c, w, neg) < 0 ||
			       buf_addch(&c->out, '"') < 0 ? out_fail(c) : 0)
			    : put_decimal(c, w, neg);
	case ABI_ADDRESS:
		if (!all_bytes(w, 12, 0))
			return bad(c, "address with high bytes set");
		return put_hex(c, w + 12, 20, json);
	case ABI_BOOL:
		if (!all_bytes(w, 31, 0) || w[31] > 1)
			return bad(c, "bool neither 0 nor 1");
		return buf_adds(&c->out, w[31] ? "true" : "false") < 0
			       ? out_fail(c) : 0;
	case ABI_FBYTES:
		if (!all_bytes(w + t->size, 32 - t->size, 0))
			return bad(c, "bytes%zu with nonzero padding", t->size);
		return put_hex(c, w, t->size, json);
	default:
		return bad(c, "not a word type");
	}
}

/* Valid UTF-8 without NUL (PostgreSQL text holds no NUL). */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t k;
		uint32_t cp;

		if (b == 0)
			return false;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			k = 1, cp = b & 0x1f;
		else if (b >= 0xe0 && b <= 0xef)
			k = 2, cp = b & 0x0f;
		else if (b >= 0xf0 && b <= 0xf4)
			k = 3, cp = b & 0x07;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static int put_string(struct dec *c, const uint8_t *s, size_t n, bool json)
{
	if (c->strings_as_bytes)
		return put_hex(c, s, n, json);
	if (!utf8_ok(s, n))
		return bad(c, "string not valid UTF-8 (or holding NUL)");
	if (!json)
		return buf_add(&c->out, s, n) < 0 ? out_fail(c) : 0;
	if (buf_addch(&c->out, '"') < 0)
		return out_fail(c);
	for (size_t i = 0; i < n; i++) {
		int r;
		if (s[i] == '"' || s[i] == '\\')
			r = buf_addch(&c->out, '\\') < 0 ||
			    buf_addch(&c->out, (char)s[i]) < 0;
		else if (s[i] < 0x20)
			r = buf_addf(&c->out, "\\u%04x", s[i]) < 0;
		else
			r = buf_addch(&c->out, (char)s[i]) < 0;
		if (r)
			return out_fail(c);
	}
	return buf_addch(&c->out, '"') < 0 ? out_fail(c) : 0;
}

/* A 32-byte word as a length or offset that fits in size_t. */
static int word_size(struct dec *c, const uint8_t w[32], size_t *out,
		     const char *what)
{
	uint64_t v = 0;

	if (!all_bytes(w, 24, 0))
		return bad(c, "%s too large", what);
	for (int i = 24; i < 32; i++)
		v = v << 8 | w[i];
	if (v > SIZE_MAX / 2)
		return bad(c, "%s too large", what);
	*out = (size_t)v;
	return 0;
}

static int value_at(struct dec *c, const struct abi_type *t, const uint8_t *d,
		    size_t n, size_t at, bool json);

static bool json_names(const struct abi_type *t)
{
	for (size_t i = 0; i < t->ncomps; i++) {
		if (!t->names[i][0])
			return false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->names[i], t->names[j]))
				return false;
	}
	return true;
}

/* count elements of elem (or the components of tuple) whose heads start
 * at d[0..n): a JSON array, or an object for a tuple with names. */
static int sequence(struct dec *c, const struct abi_type *tuple,
		    const struct abi_type *elem, size_t count,
		    const uint8_t *d, size_t n)
{
	bool obj = tuple && json_names(tuple);
	size_t at = 0;

	if (buf_addch(&c->out, obj ? '{' : '[') < 0)
		return out_fail(c);
	for (size_t i = 0; i < count; i++) {
		const struct abi_type *t = tuple ? tuple->comps[i] : elem;
		if (i && buf_addch(&c->out, ',') < 0)
			return out_fail(c);
		if (obj && (put_string(c, (const uint8_t *)tuple->names[i],
				       strlen(tuple->names[i]), true) < 0 ||
			    buf_addch(&c->out, ':') < 0))
			return out_fail(c);
		if (value_at(c, t, d, n, at, true) < 0)
			return -1;
		at += head_size(t);
	}
	return buf_addch(&c->out, obj ? '}' : ']') < 0 ? out_fail(c) : 0;
}

/* The value of type t whose encoding starts at d[0] (the tail for a
 * dynamic type, the value itself for a static one), within d[0..n). */
static int value_here(struct dec *c, const struct abi_type *t,
		      const uint8_t *d, size_t n, bool json)
{
	size_t len, hs;

	switch (t->kind) {
	case ABI_BYTES:
	case ABI_STRING:
		if (n < 32 || word_size(c, d, &len, "length") < 0)
			return bad(c, "short data for a length");
		if (len > n - 32)
			return bad(c, "length %zu past the data", len);
		return t->kind == ABI_BYTES ? put_hex(c, d + 32, len, json)
					    : put_string(c, d + 32, len, json);
	case ABI_ARRAY:
		if (n < 32 || word_size(c, d, &len, "array length") < 0)
			return bad(c, "short data for an array length");
		hs = head_size(t->elem);
		if (len > (n - 32) / hs)
			return bad(c, "array of %zu past the data", len);
		return sequence(c, NULL, t->elem, len, d + 32, n - 32);
	case ABI_FARRAY:
		if (!abi_type_dynamic(t) && head_size(t) > n)
			return bad(c, "short data");
		return sequence(c, NULL, t->elem, t->size, d, n);
	case ABI_TUPLE:
		if (head_size(t) > n)
			return bad(c, "short data for a tuple");
		return sequence(c, t, NULL, t->ncomps, d, n);
	default:
		if (n < 32)
			return bad(c, "short data");
		return word_value(c, t, d, json);
	}
}

/* The value whose head is at d[at] within the enclosing area d[0..n). */
static int value_at(struct dec *c, const struct abi_type *t, const uint8_t *d,
		    size_t n, size_t at, bool json)
{
	size_t off;

	if (at > n || n - at < (abi_type_dynamic(t) ? 32 : head_size(t)))
		return bad(c, "short data at %zu", at);
	if (!abi_type_dynamic(t))
		return value_here(c, t, d + at, n - at, json);
	if (word_size(c, d + at, &off, "offset") < 0)
		return -1;
	if (off > n)
		return bad(c, "offset %zu past the data", off);
	return value_here(c, t, d + off, n - off, json);
}

void abi_row_release(struct abi_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		free(row->vals[i]);
	free(row->vals);
	free(row->lens);
	row->vals = NULL;
	row->lens = NULL;
	row->n = 0;
}

/* One parameter into row slot i: from its topic or from the data. */
static int one_param(struct dec *c, const struct abi_param *p,
		     const uint8_t *topic, const uint8_t *data, size_t len,
		     size_t head, struct abi_row *row, size_t i)
{
	enum abi_col col = abi_param_col(p);
	int r;

	buf_reset(&c->out);
	if (p->indexed && col == ABI_COL_BYTEA &&
	    (abi_type_dynamic(p->type) || p->type->kind == ABI_FARRAY ||
	     p->type->kind == ABI_TUPLE))
		r = put_hex(c, topic, 32, false);
	else if (p->indexed)
		r = word_value(c, p->type, topic, false);
	else
		r = value_at(c, p->type, data, len, head,
			     col == ABI_COL_JSONB);
	if (r < 0)
		return -1;
	if (!(row->vals[i] = malloc(c->out.len + 1)))
		return bad(c, "out of memory");
	memcpy(row->vals[i], c->out.len ? c->out.data : "", c->out.len);
	row->vals[i][c->out.len] = 0;
	row->lens[i] = c->out.len;
	return 0;
}

int abi_decode_log(const struct abi_event *ev, const uint8_t (*topics)[32],
		   size_t ntopics, const uint8_t *data, size_t len,
		   bool strings_as_bytes, struct abi_row *row, char *why,
		   size_t whylen)
{
	struct dec c = { BUF_INIT, strings_as_bytes, why, whylen };
	size_t ti = ev->anonymous ? 0 : 1, head = 0;

	if (why && whylen)
		why[0] = 0;
	row->n = 0;
	row->vals = calloc(ev->nparams ? ev->nparams : 1, sizeof(char *));
	row->lens = calloc(ev->nparams ? ev->nparams : 1, sizeof(size_t));
	if (!row->vals || !row->lens) {
		bad(&c, "out of memory");
		goto fail;
	}
	row->n = ev->nparams;
	buf_init(&c.out, ABI_OUT_MAX);
	if (ntopics != ev->nindexed + ti) {
		bad(&c, "%zu topics, the event has %zu", ntopics,
		    ev->nindexed + ti);
		goto fail;
	}
	if (!ev->anonymous && memcmp(topics[0], ev->topic0, 32)) {
		bad(&c, "topic0 is not the event's");
		goto fail;
	}
	for (size_t i = 0; i < ev->nparams; i++) {
		const struct abi_param *p = &ev->params[i];
		if (one_param(&c, p, p->indexed ? topics[ti] : NULL, data, len,
			      head, row, i) < 0)
			goto fail;
		if (p->indexed)
			ti++;
		else
			head += head_size(p->type);
	}
	buf_release(&c.out);
	return 0;
fail:
	buf_release(&c.out);
	abi_row_release(row);
	return -1;
}
