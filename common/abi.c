/* Solidity ABI types and events: parsing signatures and JSON fragments
 * (abi.h). Decoding lives in abi_decode.c. */
#include "abi.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "keccak.h"
#include "banned.h"

struct parser {
	const char *s;
	size_t pos;
	int depth;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3))) static void *fail(struct parser *p,
							 const char *fmt, ...)
{
	va_list ap;

	if (p->why && p->whylen && !p->why[0]) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

void abi_type_free(struct abi_type *t)
{
	if (!t)
		return;
	abi_type_free(t->elem);
	for (size_t i = 0; i < t->ncomps; i++) {
		abi_type_free(t->comps[i]);
		free(t->names[i]);
	}
	free(t->comps);
	free(t->names);
	free(t);
}

static struct abi_type *new_type(enum abi_kind kind)
{
	struct abi_type *t = calloc(1, sizeof(*t));

	if (t)
		t->kind = kind;
	return t;
}

static void skip_ws(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	       p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
		p->pos++;
}

static size_t ident_len(const char *s)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == '$'))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '$')
		n++;
	return n;
}

/* Digits of s as a number in [lo, hi]; s must be all digits, no sign. */
static int small_num(const char *s, size_t n, unsigned long lo,
		     unsigned long hi, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 6 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static struct abi_type *elementary(struct parser *p, const char *w, size_t n)
{
	unsigned long v;
	struct abi_type *t = NULL;

	if (n == 7 && !memcmp(w, "address", 7))
		t = new_type(ABI_ADDRESS);
	else if (n == 4 && !memcmp(w, "bool", 4))
		t = new_type(ABI_BOOL);
	else if (n == 6 && !memcmp(w, "string", 6))
		t = new_type(ABI_STRING);
	else if (n == 5 && !memcmp(w, "bytes", 5))
		t = new_type(ABI_BYTES);
	else if (n > 5 && !memcmp(w, "bytes", 5)) {
		if (small_num(w + 5, n - 5, 1, 32, &v) < 0)
			return fail(p, "bad type '%.*s'", (int)n, w);
		if ((t = new_type(ABI_FBYTES)))
			t->size = v;
	} else if ((n >= 4 && !memcmp(w, "uint", 4)) ||
		   (n >= 3 && !memcmp(w, "int", 3))) {
		size_t k = w[0] == 'u' ? 4 : 3;
		if (n == k)
			v = 256;
		else if (small_num(w + k, n - k, 8, 256, &v) < 0 || v % 8)
			return fail(p, "bad type '%.*s'", (int)n, w);
		if ((t = new_type(k == 4 ? ABI_UINT : ABI_INT)))
			t->bits = (unsigned)v;
	} else
		return fail(p, "unknown type '%.*s'", (int)n, w);
	if (!t)
		return fail(p, "out of memory");
	return t;
}

/* Any number of "[]" or "[N]" after a type. Takes t (freed on error). */
static struct abi_type *suffixes(struct parser *p, struct abi_type *t)
{
	while (t && p->s[p->pos] == '[') {
		const char *d = p->s + p->pos + 1;
		size_t n = strspn(d, "0123456789");
		unsigned long len = 0;
		struct abi_type *a;

		if (d[n] != ']' || (n && small_num(d, n, 1, ABI_MAX_FIXED,
						    &len) < 0)) {
			abi_type_free(t);
			return fail(p, "bad array suffix at %zu", p->pos);
		}
		if (++p->depth > ABI_MAX_DEPTH) {
			abi_type_free(t);
			return fail(p, "types nested deeper than %d",
				    ABI_MAX_DEPTH);
		}
		if (!(a = new_type(n ? ABI_FARRAY : ABI_ARRAY))) {
			abi_type_free(t);
			return fail(p, "out of memory");
		}
		a->elem = t;
		a->size = len;
		t = a;
		p->pos += n + 2;
	}
	return t;
}

static struct abi_type *parse_type(struct parser *p);

/* "[NAME]" after a type: copies it into *name ("" when absent). */
static int param_name(struct parser *p, char **name)
{
	size_t n;

	skip_ws(p);
	n = ident_len(p->s + p->pos);
	*name = strndup(p->s + p->pos, n);
	p->pos += n;
	return *name ? 0 : -1;
}

static int add_comp(struct abi_type *t, struct abi_type *c, char *name)
{
	struct abi_type **nc;
	char **nn;

	nc = realloc(t->comps, (t->ncomps + 1) * sizeof(*nc));
	if (nc)
		t->comps = nc;
	nn = realloc(t->names, (t->ncomps + 1) * sizeof(*nn));
	if (nn)
		t->names = nn;
	if (!nc || !nn)
		return -1;
	t->comps[t->ncomps] = c;
	t->names[t->ncomps++] = name;
	return 0;
}

/* "(T1 n1, T2 n2)" at p->pos (the '('). */
static struct abi_type *parse_tuple(struct parser *p)
{
	struct abi_type *t = new_type(ABI_TUPLE), *c;
	char *name;

	if (!t)
		return fail(p, "out of memory");
	if (++p->depth > ABI_MAX_DEPTH)
		goto deep;
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] == ')') {
		abi_type_free(t);
		return fail(p, "empty tuple at %zu", p->pos);
	}
	for (;;) {
		if (!(c = parse_type(p)))
			goto fail;
		if (param_name(p, &name) < 0 || add_comp(t, c, name) < 0) {
			abi_type_free(c);
			goto fail;
		}
		skip_ws(p);
		if (p->s[p->pos] == ')')
			break;
		if (p->s[p->pos] != ',') {
			fail(p, "expected ',' or ')' at %zu", p->pos);
			goto fail;
		}
		p->pos++;
	}
	p->pos++;
	p->depth--;
	return t;
deep:
	fail(p, "types nested deeper than %d", ABI_MAX_DEPTH);
fail:
	abi_type_free(t);
	return fail(p, "bad tuple");
}

static struct abi_type *parse_type(struct parser *p)
{
	struct abi_type *t;
	size_t n;
	int depth = p->depth;

	skip_ws(p);
	if (!strncmp(p->s + p->pos, "tuple(", 6))
		p->pos += 5;
	if (p->s[p->pos] == '(') {
		t = parse_tuple(p);
	} else {
		n = ident_len(p->s + p->pos);
		if (!n)
			return fail(p, "expected a type at %zu", p->pos);
		t = elementary(p, p->s + p->pos, n);
		p->pos += n;
	}
	t = suffixes(p, t);
	p->depth = depth;
	return t;
}

struct abi_type *abi_type_parse(const char *s, char *why, size_t whylen)
{
	struct parser p = { s, 0, 0, why, whylen };
	struct abi_type *t;

	if (why && whylen)
		why[0] = 0;
	if (!(t = parse_type(&p)))
		return NULL;
	skip_ws(&p);
	if (s[p.pos]) {
		abi_type_free(t);
		return fail(&p, "trailing text at %zu", p.pos);
	}
	return t;
}

bool abi_type_dynamic(const struct abi_type *t)
{
	switch (t->kind) {
	case ABI_BYTES:
	case ABI_STRING:
	case ABI_ARRAY:
		return true;
	case ABI_FARRAY:
		return abi_type_dynamic(t->elem);
	case ABI_TUPLE:
		for (size_t i = 0; i < t->ncomps; i++)
			if (abi_type_dynamic(t->comps[i]))
				return true;
		return false;
	default:
		return false;
	}
}

static int canon(const struct abi_type *t, char *out, size_t len, size_t *at)
{
	int n = 0;

#define PUT(...)                                                          \
	do {                                                              \
		n = snprintf(out + *at, len - *at, __VA_ARGS__);          \
		if (n < 0 || (size_t)n >= len - *at)                      \
			return -1;                                        \
		*at += (size_t)n;                                         \
	} while (0)
	switch (t->kind) {
	case ABI_UINT: PUT("uint%u", t->bits); break;
	case ABI_INT: PUT("int%u", t->bits); break;
	case ABI_ADDRESS: PUT("address"); break;
	case ABI_BOOL: PUT("bool"); break;
	case ABI_FBYTES: PUT("bytes%zu", t->size); break;
	case ABI_BYTES: PUT("bytes"); break;
	case ABI_STRING: PUT("string"); break;
	case ABI_ARRAY:
		if (canon(t->elem, out, len, at) < 0)
			return -1;
		PUT("[]");
		break;
	case ABI_FARRAY:
		if (canon(t->elem, out, len, at) < 0)
			return -1;
		PUT("[%zu]", t->size);
		break;
	case ABI_TUPLE:
		PUT("(");
		for (size_t i = 0; i < t->ncomps; i++) {
			if (i)
				PUT(",");
			if (canon(t->comps[i], out, len, at) < 0)
				return -1;
		}
		PUT(")");
		break;
	}
#undef PUT
	return 0;
}

int abi_type_canonical(const struct abi_type *t, char *out, size_t outlen)
{
	size_t at = 0;

	if (outlen == 0)
		return -1;
	out[0] = 0;
	return canon(t, out, outlen, &at);
}

void abi_event_free(struct abi_event *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->nparams; i++) {
		free(ev->params[i].name);
		abi_type_free(ev->params[i].type);
	}
	free(ev->params);
	free(ev->name);
	free(ev->signature);
	free(ev);
}

static int add_param(struct abi_event *ev, struct abi_type *t, char *name,
		     bool indexed)
{
	struct abi_param *np;

	np = realloc(ev->params, (ev->nparams + 1) * sizeof(*np));
	if (!np)
		return -1;
	ev->params = np;
	np[ev->nparams].type = t;
	np[ev->nparams].name = name;
	np[ev->nparams++].indexed = indexed;
	ev->nindexed += indexed;
	return 0;
}

/* The canonical signature and topic0, and the checks every event needs. */
static int finish_event(struct abi_event *ev, struct parser *p)
{
	char buf[4096];
	size_t at;
	int n;

	if (ev->nindexed > (ev->anonymous ? 4u : 3u))
		return fail(p, "%zu indexed parameters: at most %d", ev->nindexed,
			    ev->anonymous ? 4 : 3), -1;
	n = snprintf(buf, sizeof(buf), "%s(", ev->name);
	at = (size_t)n;
	for (size_t i = 0; i < ev->nparams; i++) {
		if (i && at + 1 < sizeof(buf))
			buf[at++] = ',';
		if (at >= sizeof(buf) - 2 ||
		    abi_type_canonical(ev->params[i].type, buf + at,
				       sizeof(buf) - at - 1) < 0)
			return fail(p, "signature too long"), -1;
		at += strlen(buf + at);
	}
	buf[at++] = ')';
	buf[at] = 0;
	if (!(ev->signature = strdup(buf)))
		return fail(p, "out of memory"), -1;
	keccak256(buf, at, ev->topic0);
	return 0;
}

static bool word_at(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(p->s + p->pos, w, n) || ident_len(p->s + p->pos) != n)
		return false;
	p->pos += n;
	return true;
}

static int parse_params(struct parser *p, struct abi_event *ev)
{
	struct abi_type *t;
	char *name;
	bool indexed;

	skip_ws(p);
	if (p->s[p->pos] == ')')
		return 0;
	for (;;) {
		if (!(t = parse_type(p)))
			return -1;
		skip_ws(p);
		indexed = word_at(p, "indexed");
		if (param_name(p, &name) < 0 ||
		    add_param(ev, t, name, indexed) < 0) {
			free(name);
			abi_type_free(t);
			return fail(p, "out of memory"), -1;
		}
		skip_ws(p);
		if (p->s[p->pos] == ')')
			return 0;
		if (p->s[p->pos++] != ',')
			return fail(p, "expected ',' or ')' at %zu", p->pos - 1),
			       -1;
	}
}

struct abi_event *abi_event_parse(const char *sig, char *why, size_t whylen)
{
	struct parser p = { sig, 0, 0, why, whylen };
	struct abi_event *ev;
	size_t n;

	if (why && whylen)
		why[0] = 0;
	if (!(ev = calloc(1, sizeof(*ev))))
		return fail(&p, "out of memory");
	skip_ws(&p);
	if (word_at(&p, "event"))
		skip_ws(&p);
	n = ident_len(sig + p.pos);
	if (!n || !(ev->name = strndup(sig + p.pos, n))) {
		fail(&p, "expected an event name at %zu", p.pos);
		goto fail;
	}
	p.pos += n;
	skip_ws(&p);
	if (sig[p.pos++] != '(') {
		fail(&p, "expected '(' after the event name");
		goto fail;
	}
	if (parse_params(&p, ev) < 0)
		goto fail;
	p.pos++;
	skip_ws(&p);
	ev->anonymous = word_at(&p, "anonymous");
	skip_ws(&p);
	if (sig[p.pos] == ';')
		p.pos++;
	skip_ws(&p);
	if (sig[p.pos]) {
		fail(&p, "trailing text at %zu", p.pos);
		goto fail;
	}
	if (finish_event(ev, &p) < 0)
		goto fail;
	return ev;
fail:
	abi_event_free(ev);
	return NULL;
}

/* JSON fragments. */

static const char *jstr(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

static struct abi_type *json_type(struct parser *p, yajl_val in);

/* components of a "tuple..." input. */
static struct abi_type *json_tuple(struct parser *p, yajl_val in)
{
	const char *path[] = { "components", NULL };
	yajl_val comps = yajl_tree_get(in, path, yajl_t_array);
	struct abi_type *t, *c;
	const char *nm;
	char *name;

	if (!comps || !YAJL_GET_ARRAY(comps)->len)
		return fail(p, "a tuple without components");
	if (++p->depth > ABI_MAX_DEPTH)
		return fail(p, "types nested deeper than %d", ABI_MAX_DEPTH);
	if (!(t = new_type(ABI_TUPLE)))
		return fail(p, "out of memory");
	for (size_t i = 0; i < YAJL_GET_ARRAY(comps)->len; i++) {
		yajl_val ci = YAJL_GET_ARRAY(comps)->values[i];
		if (!(c = json_type(p, ci)))
			goto fail;
		nm = jstr(ci, "name");
		if (!(name = strdup(nm ? nm : "")) || add_comp(t, c, name) < 0) {
			free(name);
			abi_type_free(c);
			goto fail;
		}
	}
	p->depth--;
	return t;
fail:
	abi_type_free(t);
	return fail(p, "bad tuple components");
}

static struct abi_type *json_type(struct parser *p, yajl_val in)
{
	const char *ty = jstr(in, "type");
	struct parser sub;
	struct abi_type *t;

	if (!YAJL_IS_OBJECT(in) || !ty)
		return fail(p, "an input without a \"type\"");
	if (!strncmp(ty, "tuple", 5) && (ty[5] == 0 || ty[5] == '[')) {
		if (!(t = json_tuple(p, in)))
			return NULL;
		sub = (struct parser){ ty, 5, p->depth, p->why, p->whylen };
		if (!(t = suffixes(&sub, t)))
			return NULL;
		if (ty[sub.pos]) {
			abi_type_free(t);
			return fail(p, "bad type '%s'", ty);
		}
		return t;
	}
	t = abi_type_parse(ty, p->why, p->whylen);
	if (t && t->kind == ABI_TUPLE) {
		abi_type_free(t);
		return fail(p, "bad type '%s'", ty);
	}
	return t;
}

static int json_inputs(struct parser *p, struct abi_event *ev, yajl_val ins)
{
	for (size_t i = 0; i < YAJL_GET_ARRAY(ins)->len; i++) {
		yajl_val in = YAJL_GET_ARRAY(ins)->values[i];
		const char *ipath[] = { "indexed", NULL };
		yajl_val ix = yajl_tree_get(in, ipath, yajl_t_any);
		struct abi_type *t = json_type(p, in);
		const char *nm = t ? jstr(in, "name") : NULL;
		char *name = t ? strdup(nm ? nm : "") : NULL;

		if (!t)
			return -1;
		if (!name || add_param(ev, t, name, ix && YAJL_IS_TRUE(ix)) < 0) {
			free(name);
			abi_type_free(t);
			return fail(p, "out of memory"), -1;
		}
	}
	return 0;
}

struct abi_event *abi_event_from_tree(struct yajl_val_s *root, char *why,
				      size_t whylen)
{
	struct parser p = { "", 0, 0, why, whylen };
	yajl_val ins, an;
	struct abi_event *ev = NULL;
	const char *ty, *nm;
	const char *ipath[] = { "inputs", NULL }, *apath[] = { "anonymous", NULL };

	if (why && whylen)
		why[0] = 0;
	ty = jstr(root, "type");
	nm = jstr(root, "name");
	ins = yajl_tree_get(root, ipath, yajl_t_array);
	if (!YAJL_IS_OBJECT(root) || (ty && strcmp(ty, "event")) || !nm ||
	    !ident_len(nm) || ident_len(nm) != strlen(nm) || !ins)
		return fail(&p, "not an event fragment (type \"event\", a name, inputs)");
	if (!(ev = calloc(1, sizeof(*ev))) || !(ev->name = strdup(nm)))
		goto fail;
	an = yajl_tree_get(root, apath, yajl_t_any);
	ev->anonymous = an && YAJL_IS_TRUE(an);
	if (json_inputs(&p, ev, ins) < 0 || finish_event(ev, &p) < 0)
		goto fail;
	return ev;
fail:
	fail(&p, "out of memory");
	abi_event_free(ev);
	return NULL;
}

struct abi_event *abi_event_from_json(const char *json, size_t len,
				      char *why, size_t whylen)
{
	struct parser p = { "", 0, 0, why, whylen };
	char err[128];
	char *text = strndup(json, len);
	yajl_val root;
	struct abi_event *ev;

	if (why && whylen)
		why[0] = 0;
	if (!text)
		return fail(&p, "out of memory");
	if (!(root = yajl_tree_parse(text, err, sizeof(err)))) {
		free(text);
		return fail(&p, "not JSON: %s", strtok_r(err, "\n", &(char *){ NULL }));
	}
	ev = abi_event_from_tree(root, why, whylen);
	yajl_tree_free(root);
	free(text);
	return ev;
}

enum abi_col abi_param_col(const struct abi_param *p)
{
	const struct abi_type *t = p->type;

	if (p->indexed && abi_type_dynamic(t))
		return ABI_COL_BYTEA;
	if (p->indexed && (t->kind == ABI_FARRAY || t->kind == ABI_TUPLE))
		return ABI_COL_BYTEA; /* hashed too, as the ABI says */
	switch (t->kind) {
	case ABI_UINT: return t->bits <= 32 ? ABI_COL_BIGINT : ABI_COL_NUMERIC;
	case ABI_INT: return t->bits <= 64 ? ABI_COL_BIGINT : ABI_COL_NUMERIC;
	case ABI_BOOL: return ABI_COL_BOOL;
	case ABI_STRING: return ABI_COL_TEXT;
	case ABI_ADDRESS:
	case ABI_FBYTES:
	case ABI_BYTES: return ABI_COL_BYTEA;
	default: return ABI_COL_JSONB;
	}
}

const char *abi_col_sql(enum abi_col c)
{
	static const char *const names[] = {
		[ABI_COL_BIGINT] = "bigint", [ABI_COL_NUMERIC] = "numeric(78,0)",
		[ABI_COL_BOOL] = "boolean", [ABI_COL_BYTEA] = "bytea",
		[ABI_COL_TEXT] = "text", [ABI_COL_JSONB] = "jsonb",
	};
	return names[c];
}
