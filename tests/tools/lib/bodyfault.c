/* bodyfault: rewrite a block's body JSON the way a lying node would
 * (bodyfault.h). The input is a node's answer, already checked to be
 * JSON by the caller; a small scanner finds the spans to change (the
 * bytes around them are kept as they are) and a list of edits rebuilds
 * the text. */
#include <stdlib.h>
#include <string.h>

#include "bodyfault.h"
#include "hex.h"
#include "textedit.h"

#include "banned.h"

const char *const body_fault_names[BF_COUNT] = {
	"drop-tx", "tx-value", "log-address", "log-topic", "drop-log",
	"swap-tx", "status", "dup-keys", "dup-result",
};

#define BAD ((size_t)-1)

struct span {
	size_t off, len;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

struct bedits {
	struct text_edit v[8];
	size_t n;
};

/* ---- scanning ---- */

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
			 s[i] == '\r'))
		i++;
	return i;
}

/* s[i] is '"': the index just past the closing quote. */
static size_t string_end(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return BAD;
}

/* The index just past the value that starts at s[i]. */
static size_t value_end(const char *s, size_t n, size_t i)
{
	int depth = 0;

	if (i >= n)
		return BAD;
	if (s[i] == '"')
		return string_end(s, n, i);
	if (s[i] != '{' && s[i] != '[') {
		while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}' &&
		       s[i] != ' ' && s[i] != '\n' && s[i] != '\r' &&
		       s[i] != '\t')
			i++;
		return i;
	}
	for (; i < n; i++) {
		if (s[i] == '"') {
			i = string_end(s, n, i);
			if (i == BAD)
				return BAD;
			i--;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
			return i + 1;
		}
	}
	return BAD;
}

/* The elements of the array at a. 0, or -1 (not an array, no memory). */
static int array_elems(const char *s, struct span a, struct spans *out)
{
	size_t end = a.off + a.len - 1, i, e;

	out->n = 0;
	if (a.len < 2 || s[a.off] != '[' || s[end] != ']')
		return -1;
	i = skip_ws(s, end, a.off + 1);
	while (i < end) {
		e = value_end(s, end, i);
		if (e == BAD)
			return -1;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			struct span *v = realloc(out->v, cap * sizeof(*v));

			if (!v)
				return -1;
			out->v = v;
			out->cap = cap;
		}
		out->v[out->n++] = (struct span){ i, e - i };
		i = skip_ws(s, end, e);
		if (i < end && s[i] != ',')
			return -1;
		if (i < end)
			i = skip_ws(s, end, i + 1);
	}
	return 0;
}

/* The value of key in the object at o (its first occurrence): 0, 1 when
 * absent, -1 when o is not an object. */
static int member(const char *s, struct span o, const char *key,
		  struct span *val)
{
	size_t end = o.off + o.len - 1, klen = strlen(key), i, ke, vs, ve;
	int match;

	if (o.len < 2 || s[o.off] != '{' || s[end] != '}')
		return -1;
	i = skip_ws(s, end, o.off + 1);
	while (i < end) {
		if (s[i] != '"' || (ke = string_end(s, end, i)) == BAD)
			return -1;
		match = ke - i - 2 == klen && !memcmp(s + i + 1, key, klen);
		i = skip_ws(s, end, ke);
		if (i >= end || s[i] != ':')
			return -1;
		vs = skip_ws(s, end, i + 1);
		ve = value_end(s, end, vs);
		if (ve == BAD)
			return -1;
		if (match) {
			*val = (struct span){ vs, ve - vs };
			return 0;
		}
		i = skip_ws(s, end, ve);
		if (i < end && s[i] == ',')
			i = skip_ws(s, end, i + 1);
	}
	return 1;
}

/* ---- edits ---- */

static struct text_edit *edit_add(struct bedits *ed, size_t off, size_t len,
				  const char *rep, size_t replen)
{
	struct text_edit *e;

	if (ed->n == sizeof(ed->v) / sizeof(ed->v[0]))
		return NULL;
	e = &ed->v[ed->n++];
	*e = (struct text_edit){ off, len, rep, replen };
	return e;
}

static int edits_apply(const char *s, size_t n, struct bedits *ed,
		       struct buf *out)
{
	return text_edits_apply(s, n, ed->v, ed->n, out);
}

/* Change the last hex digit of the quoted hex string at v: the lowest bit
 * of its value flipped, so the lie is still hex of the same length
 * (never the same value, never a leading zero added). */
static int flip_last_digit(const char *s, struct span v, struct bedits *ed)
{
	/* what the edit's replacement points at */
	static const char digits[] = "0123456789abcdef";
	size_t pos = v.off + v.len - 2;
	int val;

	if (v.len < 5 || s[v.off] != '"' || s[v.off + 1] != '0' ||
	    s[v.off + 2] != 'x' || hex_digit(s[pos]) < 0)
		return -1;
	val = hex_digit(s[pos]);
	return edit_add(ed, pos, 1, &digits[val ^ 1], 1) ? 0 : -1;
}

/* Delete element k of the array whose elements are el, with the comma
 * that separates it from a neighbour. */
static int drop_elem(const struct spans *el, size_t k, struct bedits *ed)
{
	size_t off, end;

	if (k + 1 < el->n) {
		off = el->v[k].off;
		end = el->v[k + 1].off;
	} else if (k > 0) {
		off = el->v[k - 1].off + el->v[k - 1].len;
		end = el->v[k].off + el->v[k].len;
	} else {
		off = el->v[k].off;
		end = off + el->v[k].len;
	}
	return edit_add(ed, off, end - off, "", 0) ? 0 : -1;
}

static int swap_elems(const char *s, const struct spans *el,
		      struct bedits *ed)
{
	struct span a = el->v[0], b = el->v[1];

	if (!edit_add(ed, a.off, a.len, s + b.off, b.len) ||
	    !edit_add(ed, b.off, b.len, s + a.off, a.len))
		return -1;
	return 0;
}

/* ---- the faults ---- */

struct body {
	const char *b, *r; /* block and receipts texts */
	size_t blen, rlen;
	struct spans txs, rcs;
	struct bedits bed, red; /* edits of the block, of the receipts */
	const char *why;
};

static int no_fit(struct body *x, const char *why)
{
	x->why = why;
	return 0;
}

/* The first log of the block (of the first receipt that has one): its
 * span and those of its array's elements. 1 found, 0 none, -1 bad. */
static int first_log(struct body *x, struct spans *logs, size_t *k)
{
	struct span l;

	for (size_t i = 0; i < x->rcs.n; i++) {
		if (member(x->r, x->rcs.v[i], "logs", &l) != 0 ||
		    array_elems(x->r, l, logs) < 0)
			return -1;
		if (logs->n) {
			*k = 0;
			return 1;
		}
	}
	return 0;
}

static int fault_log(struct body *x, enum body_fault f)
{
	struct spans logs = { NULL, 0, 0 }, topics = { NULL, 0, 0 };
	struct span v, lg;
	size_t k = 0;
	int rc = -1, found;

	found = first_log(x, &logs, &k);
	if (found <= 0) {
		free(logs.v);
		return found < 0 ? -1 : no_fit(x, "the block has no log");
	}
	lg = logs.v[k];
	if (f == BF_DROP_LOG) {
		rc = drop_elem(&logs, k, &x->red) < 0 ? -1 : 1;
	} else if (f == BF_LOG_ADDRESS) {
		if (member(x->r, lg, "address", &v) == 0 &&
		    flip_last_digit(x->r, v, &x->red) == 0 &&
		    member(x->r, lg, "data", &v) == 0) {
			/* "0x": no digit to change, one byte added */
			if (v.len == 4)
				rc = edit_add(&x->red, v.off, v.len, "\"0x01\"",
					      6) ? 1 : -1;
			else
				rc = flip_last_digit(x->r, v, &x->red) < 0 ? -1
									   : 1;
		}
	} else if (member(x->r, lg, "topics", &v) == 0 &&
		   array_elems(x->r, v, &topics) == 0) {
		if (!topics.n)
			rc = no_fit(x, "the first log has no topic");
		else
			rc = flip_last_digit(x->r, topics.v[topics.n - 1],
					     &x->red) < 0 ? -1 : 1;
	}
	free(logs.v);
	free(topics.v);
	return rc;
}

static int fault_tx(struct body *x, enum body_fault f)
{
	struct span v;
	size_t n = x->txs.n;

	switch (f) {
	case BF_DROP_TX:
		if (!n)
			return no_fit(x, "the block has no transaction");
		if (drop_elem(&x->txs, n - 1, &x->bed) < 0 ||
		    (x->rcs.n && drop_elem(&x->rcs, x->rcs.n - 1, &x->red) < 0))
			return -1;
		return 1;
	case BF_SWAP_TX:
		if (n < 2)
			return no_fit(x, "the block has fewer than 2 transactions");
		if (swap_elems(x->b, &x->txs, &x->bed) < 0 ||
		    (x->rcs.n >= 2 && swap_elems(x->r, &x->rcs, &x->red) < 0))
			return -1;
		return 1;
	case BF_TX_VALUE:
	case BF_DUP_RESULT:
		if (!n)
			return no_fit(x, "the block has no transaction");
		if (member(x->b, x->txs.v[0], "value", &v) != 0 ||
		    flip_last_digit(x->b, v, &x->bed) < 0)
			return -1;
		return 1;
	case BF_STATUS:
		if (!x->rcs.n)
			return no_fit(x, "no receipts");
		if (member(x->r, x->rcs.v[0], "status", &v) != 0 || v.len != 5)
			return -1;
		return edit_add(&x->red, v.off, v.len,
				x->r[v.off + 3] == '1' ? "\"0x0\"" : "\"0x1\"",
				5) ? 1 : -1;
	case BF_DUP_KEYS:
		return edit_add(&x->bed, 1, 0, BODY_FAKE_MEMBERS,
				strlen(BODY_FAKE_MEMBERS)) ? 1 : -1;
	default:
		return fault_log(x, f);
	}
}

static int needs_receipts(enum body_fault f)
{
	return f == BF_LOG_ADDRESS || f == BF_LOG_TOPIC || f == BF_DROP_LOG ||
	       f == BF_STATUS;
}

int body_fault_apply(enum body_fault f, const char *block, size_t blen,
		     const char *rcpts, size_t rlen, struct buf *bout,
		     struct buf *rout, const char **why)
{
	struct body x = { block, rcpts, blen, rlen, { NULL, 0, 0 },
			  { NULL, 0, 0 }, { .n = 0 }, { .n = 0 }, NULL };
	struct span txs;
	int rc = -1;

	*why = "not a block with full transactions, or receipts not a list";
	if (f >= BF_COUNT || member(block, (struct span){ 0, blen },
				    "transactions", &txs) != 0 ||
	    array_elems(block, txs, &x.txs) < 0 ||
	    (rcpts && array_elems(rcpts, (struct span){ 0, rlen }, &x.rcs) < 0))
		goto out;
	if (x.txs.n && block[x.txs.v[0].off] != '{')
		goto out;
	if (needs_receipts(f) && !rcpts) {
		rc = no_fit(&x, "the answer holds no receipts");
		goto out;
	}
	rc = fault_tx(&x, f);
	if (rc <= 0)
		goto out;
	rc = -1;
	*why = "out of memory";
	if ((x.bed.n && edits_apply(block, blen, &x.bed, bout) < 0) ||
	    (x.red.n && edits_apply(rcpts, rlen, &x.red, rout) < 0))
		goto out;
	rc = 1;
	*why = NULL;
out:
	if (rc == 0)
		*why = x.why;
	free(x.txs.v);
	free(x.rcs.v);
	return rc;
}

int body_params(const char *params, size_t len, uint64_t *number, int *full)
{
	struct spans el = { NULL, 0, 0 };
	struct span p = { 0, len }, v;
	uint64_t n = 0;
	size_t i;
	int rc = -1;

	*full = 0;
	i = skip_ws(params, len, 0);
	p.off = i;
	p.len = len - i;
	while (p.len && (params[p.off + p.len - 1] == ' ' ||
			 params[p.off + p.len - 1] == '\n'))
		p.len--;
	if (array_elems(params, p, &el) < 0 || el.n < 1)
		goto out;
	if (el.n >= 2 && el.v[1].len == 4 &&
	    !memcmp(params + el.v[1].off, "true", 4))
		*full = 1;
	v = el.v[0];
	/* "0x" and 1 to 16 digits */
	if (v.len < 5 || v.len > 20 || params[v.off] != '"' ||
	    params[v.off + 1] != '0' || params[v.off + 2] != 'x')
		goto out;
	for (i = v.off + 3; i < v.off + v.len - 1; i++) {
		char c = params[i];

		if (hex_digit(c) < 0)
			goto out;
		n = n * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	*number = n;
	rc = 0;
out:
	free(el.v);
	return rc;
}

size_t body_result_key(const char *answer, size_t result_off)
{
	size_t i = result_off;

	while (i > 0 && (answer[i - 1] == ' ' || answer[i - 1] == '\n' ||
			 answer[i - 1] == '\t' || answer[i - 1] == '\r'))
		i--;
	if (i == 0 || answer[--i] != ':')
		return BAD;
	while (i > 0 && (answer[i - 1] == ' ' || answer[i - 1] == '\n' ||
			 answer[i - 1] == '\t' || answer[i - 1] == '\r'))
		i--;
	if (i < 8 || memcmp(answer + i - 8, "\"result\"", 8) != 0)
		return BAD;
	return i - 8;
}
