/* The tree built while the walker of json.c goes (json_tree.h). */
#include "json_tree.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json_keys.h"
#include "banned.h"

/* Room a container's keys and values get first; doubled as it fills. */
#define JSON_TREE_FIRST_CAP 8

void json_tree_release(struct json_tree *t)
{
	if (t->root)
		yajl_tree_free(t->root);
	free(t->st);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

/* Append v to the innermost container (or make it the root). 0, or -1
 * when out of memory (v is freed). */
static int tree_add(struct json_tree *t, yajl_val v)
{
	struct json_tree_frame *f = t->n ? &t->st[t->n - 1] : NULL;
	yajl_val c = f ? f->v : NULL;

	if (!f) {
		t->root = v;
		return 0;
	}
	if (YAJL_IS_OBJECT(c) ? c->u.object.len == f->cap
			      : c->u.array.len == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : JSON_TREE_FIRST_CAP;
		yajl_val *vals = realloc(YAJL_IS_OBJECT(c) ? c->u.object.values
							   : c->u.array.values,
					 cap * sizeof(*vals));

		if (!vals)
			goto oom;
		if (YAJL_IS_ARRAY(c)) {
			c->u.array.values = vals;
		} else {
			const char **keys = realloc(c->u.object.keys,
						    cap * sizeof(*keys));

			c->u.object.values = vals;
			if (!keys)
				goto oom;
			c->u.object.keys = keys;
		}
		f->cap = cap;
	}
	if (YAJL_IS_ARRAY(c)) {
		c->u.array.values[c->u.array.len++] = v;
		return 0;
	}
	if (!t->key)
		goto oom; /* the walk gives every member a key first */
	c->u.object.keys[c->u.object.len] = t->key;
	c->u.object.values[c->u.object.len++] = v;
	t->key = NULL;
	return 0;
oom:
	yajl_tree_free(v);
	return -1;
}

static yajl_val tree_node(yajl_type type)
{
	yajl_val v = calloc(1, sizeof(*v));

	if (v)
		v->type = type;
	return v;
}

/* yajl_tree's integer rule: digits after an optional '-', a magnitude
 * of at most LLONG_MAX (so LLONG_MIN itself is not one); otherwise -1
 * with LLONG_MAX or LLONG_MIN by the sign, as yajl gives. */
static int tree_integer(const char *s, long long *out)
{
	int neg = *s == '-';
	long long v = 0;

	for (const char *p = s + neg; *p; p++) {
		if (*p < '0' || *p > '9' || v > (LLONG_MAX - (*p - '0')) / 10) {
			*out = neg ? LLONG_MIN : LLONG_MAX;
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

int json_tree_scalar(struct json_tree *t, yajl_type type, const char *s,
		     size_t n)
{
	yajl_val v = tree_node(type);
	char *end;

	if (!v)
		return -1;
	if (type == yajl_t_string && !(v->u.string = strndup(s, n)))
		goto oom;
	if (type == yajl_t_number) {
		/* as yajl_tree: an integer when the digits fit a long long
		 * (else LLONG_MAX or LLONG_MIN), a double when strtod takes
		 * the whole text */
		if (!(v->u.number.r = strndup(s, n)))
			goto oom;
		if (tree_integer(v->u.number.r, &v->u.number.i) == 0)
			v->u.number.flags |= YAJL_NUMBER_INT_VALID;
		errno = 0;
		v->u.number.d = strtod(v->u.number.r, &end);
		if (errno == 0 && *end == '\0')
			v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	}
	return tree_add(t, v);
oom:
	free(v);
	return -1;
}

int json_tree_open(struct json_tree *t, int is_array)
{
	yajl_val v = tree_node(is_array ? yajl_t_array : yajl_t_object);

	if (!v)
		return -1;
	if (json_keys_grow(&t->st, &t->cap, t->n + 1, sizeof(*t->st)) < 0) {
		free(v);
		return -1;
	}
	if (tree_add(t, v) < 0)
		return -1;
	t->st[t->n++] = (struct json_tree_frame){ v, 0 };
	return 0;
}

int json_tree_key(struct json_tree *t, const char *k, size_t n)
{
	free(t->key);
	t->key = strndup(k, n);
	return t->key ? 0 : -1;
}

void json_tree_close(struct json_tree *t)
{
	t->n--;
}
