#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "buf.h"
#include "hex.h"
#include "json_keys.h"
#include "json_tree.h"
#include "banned.h"

/* Walk a tree without recursion (documents may nest deeply) and refuse
 * an object with a key given twice. */
static int tree_check(yajl_val root, char *err, size_t errlen)
{
	struct json_keys ks = { 0 };
	struct tstep {
		yajl_val v;
		size_t i;
	} *st = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!YAJL_IS_OBJECT(root) && !YAJL_IS_ARRAY(root))
		return 0;
	if (json_keys_grow(&st, &cap, 1, sizeof(*st)) < 0 ||
	    json_keys_push(&ks, YAJL_IS_ARRAY(root)) < 0)
		goto oom;
	st[n++] = (struct tstep){ root, 0 };
	while (n) {
		struct tstep *t = &st[n - 1];
		yajl_val child;

		if (YAJL_IS_OBJECT(t->v)) {
			const char *k;
			int r;

			if (t->i == t->v->u.object.len)
				goto up;
			k = t->v->u.object.keys[t->i];
			child = t->v->u.object.values[t->i++];
			r = json_keys_add(&ks, k, strlen(k), 1);
			if (r > 0) {
				json_keys_dup_error(&ks, k, strlen(k), err, errlen);
				rc = JSON_DUPLICATE;
				break;
			}
			if (r < 0)
				goto oom;
		} else {
			if (t->i == t->v->u.array.len)
				goto up;
			child = t->v->u.array.values[t->i++];
		}
		if (YAJL_IS_OBJECT(child) || YAJL_IS_ARRAY(child)) {
			if (json_keys_grow(&st, &cap, n + 1, sizeof(*st)) < 0 ||
			    json_keys_push(&ks, YAJL_IS_ARRAY(child)) < 0)
				goto oom;
			st[n++] = (struct tstep){ child, 0 };
		} else {
			json_keys_scalar(&ks);
		}
		continue;
up:
		json_keys_pop(&ks);
		n--;
	}
	goto out;
oom:
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	rc = JSON_INVALID;
out:
	free(st);
	json_keys_release(&ks);
	return rc;
}

yajl_val json_parse_st(const char *text, char *err, size_t errlen,
		       enum json_status *st)
{
	char e[256] = "";
	yajl_val v = yajl_tree_parse(text, e, sizeof(e));
	enum json_status s = JSON_OK;

	if (!v) {
		/* yajl's message spans lines; keep the first. */
		e[strcspn(e, "\n")] = '\0';
		if (err && errlen)
			snprintf(err, errlen, "%s", *e ? e : "invalid JSON");
		s = JSON_INVALID;
	} else if ((s = tree_check(v, err, errlen)) != JSON_OK) {
		yajl_tree_free(v);
		v = NULL;
	}
	if (st)
		*st = s;
	return v;
}

yajl_val json_parse(const char *text, char *err, size_t errlen)
{
	return json_parse_st(text, err, errlen, NULL);
}

yajl_val json_get(yajl_val obj, const char *key)
{
	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	/* The first byte first: most keys of an object differ there, and
	 * this is the programs' busiest lookup (every field of every
	 * transaction, receipt and log). */
	for (size_t i = 0; i < obj->u.object.len; i++) {
		const char *k = obj->u.object.keys[i];

		if (k[0] == key[0] && !strcmp(k, key))
			return obj->u.object.values[i];
	}
	return NULL;
}

const char *json_get_str(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);

	return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int json_hex_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	s += 2;
	n = strlen(s);
	if (n == 0 || n > 16)
		return -1;
	for (; *s; s++) {
		int d = hex_digit(*s);

		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

long json_hex_bytes(const char *s, uint8_t *out, size_t max)
{
	size_t n;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	s += 2;
	n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	if (hex_to_bytes(s, n / 2, out) < 0)
		return -1;
	return (long)(n / 2);
}

int json_is_hex_len(const char *s, size_t nbytes)
{
	return s && hex_span_bytes(s, strlen(s)) == (long)nbytes;
}

int json_get_u64(yajl_val obj, const char *key, uint64_t *out)
{
	yajl_val v = json_get(obj, key);

	if (!v)
		return -1;
	if (YAJL_IS_STRING(v))
		return json_hex_u64(v->u.string, out);
	if (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0) {
		*out = (uint64_t)YAJL_GET_INTEGER(v);
		return 0;
	}
	return -1;
}

int json_get_i64(yajl_val obj, const char *key, int64_t *out)
{
	yajl_val v = json_get(obj, key);
	uint64_t u;

	if (v && YAJL_IS_INTEGER(v)) {
		*out = YAJL_GET_INTEGER(v);
		return 0;
	}
	if (json_get_u64(obj, key, &u) < 0 || u > INT64_MAX)
		return -1;
	*out = (int64_t)u;
	return 0;
}

int json_get_bool(yajl_val obj, const char *key, int def)
{
	yajl_val v = json_get(obj, key);

	if (v && YAJL_IS_TRUE(v))
		return 1;
	if (v && YAJL_IS_FALSE(v))
		return 0;
	return def;
}

/* The member walker. yajl reports, during each callback, how far into
 * the buffer it has read (just past the current token); that gives the
 * raw extent of every value without a second parser. */
struct walk {
	yajl_handle h;
	const char *buf;
	size_t len;
	int completing; /* in yajl_complete_parse(): offsets are not ours */
	int depth;      /* containers open */
	int obj_depth;  /* depth of the objects whose members we report */
	int is_array;
	size_t index;
	struct buf key;  /* the current member's key, decoded */
	const char *val; /* start of the current member's value */
	int val_depth;   /* depth at which the value started */
	int in_value;
	int val_array;   /* the value is an array: its elements counted */
	size_t nelem;
	int all_objects;
	int stop;
	json_member_fn fn;
	void *arg;
	struct json_keys ks; /* every open container, for duplicate keys */
	int failed;       /* JSON_DUPLICATE, or JSON_INVALID (no memory) */
	char why[256];
	struct json_tree *tb; /* the tree being built, or NULL */
};

/* The tree could not grow: the walk stops as out of memory. */
static int w_nomem(struct walk *w)
{
	w->failed = JSON_INVALID;
	snprintf(w->why, sizeof(w->why), "out of memory");
	return 0;
}

static size_t w_off(struct walk *w)
{
	/* yajl_complete_parse() lexes a last token (a number at the very end
	 * of the input) from a buffer of its own, and reports offsets into
	 * that: such a token ends where our input ends. */
	if (w->completing)
		return w->len;
	return yajl_get_bytes_consumed(w->h);
}

/* Start of the value that follows the token just read (after ':' or ','
 * or '['). */
static const char *w_value_start(struct walk *w, size_t tok_end)
{
	const char *p = w->buf + tok_end;
	const char *end = w->buf + w->len;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
			   *p == '\r' || *p == ':' || *p == ','))
		p++;
	return p;
}

static int w_emit(struct walk *w, const char *end)
{
	struct json_member m = {
		.key = w->key.data, .keylen = w->key.len, .val = w->val,
		.vallen = (size_t)(end - w->val), .index = w->index,
		.nelem = w->val_array ? w->nelem : 0,
		.all_objects = w->val_array && w->all_objects,
	};

	w->in_value = 0;
	w->stop = w->fn(w->arg, &m);
	return w->stop ? 0 : 1;
}

/* A scalar: a member value at obj_depth, or a non-object array element. */
static int w_scalar(struct walk *w, size_t toklen)
{
	const char *end = w->buf + w_off(w);

	(void)toklen;
	json_keys_scalar(&w->ks);
	if (w->in_value && w->depth == w->val_depth + 1) { /* an element */
		w->nelem++;
		w->all_objects = 0;
	}
	if (w->in_value && w->depth == w->val_depth)
		return w_emit(w, end);
	if (w->is_array && w->depth == 1) {
		/* A bare element: its start is found by scanning back over
		 * the token; simpler to report only that it is no object. */
		struct json_member m = { .index = w->index };
		m.val = end;
		w->stop = w->fn(w->arg, &m);
		w->index++;
		return w->stop ? 0 : 1;
	}
	return 1;
}

/* A scalar of type, text s[0..l) (strings and numbers), for the tree
 * and then the walk. */
static int w_value(struct walk *w, yajl_type type, const char *s, size_t l)
{
	if (w->tb && json_tree_scalar(w->tb, type, s, l) < 0)
		return w_nomem(w);
	return w_scalar(w, l);
}

static int cb_null(void *ctx)
{
	return w_value(ctx, yajl_t_null, NULL, 4);
}

static int cb_bool(void *ctx, int b)
{
	return w_value(ctx, b ? yajl_t_true : yajl_t_false, NULL, 0);
}

static int cb_number(void *ctx, const char *s, size_t l)
{
	return w_value(ctx, yajl_t_number, s, l);
}

static int cb_string(void *ctx, const unsigned char *s, size_t l)
{
	return w_value(ctx, yajl_t_string, (const char *)s, l);
}

static int cb_start(struct walk *w, int is_array)
{
	if (w->depth == 0 && w->obj_depth < 0)
		w->is_array = 0;
	w->depth++;
	if (w->in_value && w->depth == w->val_depth + 1) {
		w->val_array = is_array; /* the member's value opens */
	} else if (w->in_value && w->depth == w->val_depth + 2) {
		w->nelem++; /* an element of it */
		w->all_objects &= !is_array;
	}
	if (json_keys_push(&w->ks, is_array) < 0 ||
	    (w->tb && json_tree_open(w->tb, is_array) < 0))
		return w_nomem(w);
	return 1;
}

static int cb_start_map(void *ctx)
{
	struct walk *w = ctx;

	if (!cb_start(w, 0))
		return 0;
	if (w->depth == 1) {
		w->obj_depth = 1;
		w->is_array = 0;
	} else if (w->depth == 2 && w->is_array) {
		w->obj_depth = 2;
	}
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct walk *w = ctx;

	if (!cb_start(w, 1))
		return 0;
	if (w->depth == 1) {
		w->is_array = 1;
		w->obj_depth = 2;
	} else if (w->depth == 2 && w->is_array) {
		/* An array element that is an array: not an object. */
		struct json_member m = { .index = w->index };
		m.val = w->buf + w_off(w) - 1;
		w->stop = w->fn(w->arg, &m);
		if (w->stop)
			return 0;
	}
	return 1;
}

static int cb_end(void *ctx)
{
	struct walk *w = ctx;
	const char *end = w->buf + w_off(w);

	w->depth--;
	json_keys_pop(&w->ks);
	if (w->tb && json_tree_close(w->tb) < 0)
		return w_nomem(w);
	if (w->in_value && w->depth == w->val_depth)
		return w_emit(w, end);
	if (w->is_array && w->depth == 1)
		w->index++;
	return 1;
}

static int cb_key(void *ctx, const unsigned char *k, size_t l)
{
	struct walk *w = ctx;
	/* yajl hands an unescaped key in place in the input (all of it is
	 * given at once), an escaped one from a scratch buffer. */
	const char *kp = (const char *)k;
	int r = json_keys_add(&w->ks, kp, l,
			      kp >= w->buf && kp + l <= w->buf + w->len);

	if (r == 0 && w->tb && json_tree_key(w->tb, kp, l) < 0)
		return w_nomem(w);
	if (r != 0) {
		w->failed = r > 0 ? JSON_DUPLICATE : JSON_INVALID;
		if (r > 0)
			json_keys_dup_error(&w->ks, (const char *)k, l, w->why,
				     sizeof(w->why));
		else
			snprintf(w->why, sizeof(w->why), "out of memory");
		return 0;
	}
	if (w->depth != w->obj_depth)
		return 1;
	/* yajl may hand keys with escapes from a scratch buffer that the
	 * value overwrites: keep a copy, whole (the input bounds it). */
	buf_reset(&w->key);
	if (buf_add(&w->key, k, l) < 0)
		return 0;
	w->val = w_value_start(w, w_off(w));
	w->val_depth = w->depth;
	w->in_value = 1;
	w->val_array = 0;
	w->nelem = 0;
	w->all_objects = 1;
	return 1;
}

static const yajl_callbacks walk_callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

static int walk_members(const char *buf, size_t len, json_member_fn fn,
			void *arg, struct json_tree *tb, char *err,
			size_t errlen)
{
	struct walk w = { .buf = buf, .len = len, .obj_depth = -1, .fn = fn,
			  .arg = arg, .tb = tb };
	yajl_status st;
	int rc = 0;

	w.h = yajl_alloc(&walk_callbacks, NULL, &w);
	if (!w.h)
		return -1;
	st = yajl_parse(w.h, (const unsigned char *)buf, len);
	if (st == yajl_status_ok) {
		w.completing = 1;
		st = yajl_complete_parse(w.h);
	}
	if (st == yajl_status_client_canceled && w.failed) {
		if (err && errlen)
			snprintf(err, errlen, "%s", w.why);
		rc = w.failed;
	} else if (st == yajl_status_client_canceled && w.stop) {
		rc = w.stop;
	} else if (st != yajl_status_ok) {
		if (err && errlen) {
			unsigned char *e = yajl_get_error(w.h, 0,
					(const unsigned char *)buf, len);
			snprintf(err, errlen, "%s", e ? (char *)e : "invalid JSON");
			err[strcspn(err, "\n")] = '\0';
			if (e)
				yajl_free_error(w.h, e);
		}
		rc = -1;
	} else if (w.depth != 0 || w.obj_depth < 0) {
		if (err && errlen)
			snprintf(err, errlen, "not a JSON object or array");
		rc = -1;
	}
	yajl_free(w.h);
	buf_release(&w.key);
	json_keys_release(&w.ks);
	return rc;
}

int json_members(const char *buf, size_t len, json_member_fn fn, void *arg,
		 char *err, size_t errlen)
{
	return walk_members(buf, len, fn, arg, NULL, err, errlen);
}

int json_members_tree(const char *buf, size_t len, json_member_fn fn,
		      void *arg, yajl_val *tree, char *err, size_t errlen)
{
	struct json_tree tb = JSON_TREE_INIT(len);
	int rc = walk_members(buf, len, fn, arg, &tb, err, errlen);

	*tree = rc == 0 ? json_tree_take(&tb) : NULL;
	json_tree_release(&tb);
	return rc;
}

struct span_find {
	const char *key;
	const char *val;
	size_t vallen;
};

static int span_cb(void *arg, const struct json_member *m)
{
	struct span_find *f = arg;

	/* Keep the first match but walk on: stopping here would leave the
	 * rest of the document unvalidated ({"result":1,"x":}). */
	if (!f->val && m->key && m->index == 0 &&
	    strlen(f->key) == m->keylen && !memcmp(f->key, m->key, m->keylen)) {
		f->val = m->val;
		f->vallen = m->vallen;
	}
	return 0;
}

int json_span(const char *buf, size_t len, const char *key,
	      const char **val, size_t *vallen)
{
	struct span_find f = { .key = key };
	int rc = json_members(buf, len, span_cb, &f, NULL, 0);

	if (rc < 0)
		return rc;
	if (!f.val)
		return 1;
	*val = f.val;
	*vallen = f.vallen;
	return 0;
}

yajl_gen json_gen_new(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g)
		yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	return g;
}

void json_gen_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void json_gen_cstr(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

void json_gen_raw(yajl_gen g, const char *text, size_t len)
{
	/* yajl_gen_number() writes its text verbatim with the right
	 * separators: the one way to splice pre-encoded JSON into yajl's
	 * output. */
	yajl_gen_number(g, text, len);
}

void json_gen_u64(yajl_gen g, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);

	yajl_gen_number(g, num, (size_t)n);
}
