/* The tree built while the walker of json.c goes (json_tree.h). */
#include "json_tree.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_keys.h"
#include "banned.h"

/* The arena's blocks: the first sized from the document so that one
 * block nearly always holds the tree (a block message's took 2.2 times
 * its text on average over 300 devnet blocks of 20 transactions: a node
 * of 40 bytes for every value besides the characters), each next one
 * twice the last, up to CHUNK_MAX. */
#define CHUNK_MIN 4096
#define CHUNK_MAX (1u << 20)

struct json_tree_chunk {
	struct json_tree_chunk *next; /* the block before */
	size_t used, cap;
	max_align_t data[];
};

/* A tree's first allocation, at the start of its first block: how to
 * free it all from the root alone. */
struct tree_head {
	struct json_tree_chunk *chunk; /* the newest block, set when taken */
	struct yajl_val_s root;
};

static struct tree_head *head_of(yajl_val root)
{
	return (struct tree_head *)((char *)root -
				    offsetof(struct tree_head, root));
}

static void chunks_free(struct json_tree_chunk *c)
{
	while (c) {
		struct json_tree_chunk *next = c->next;

		free(c);
		c = next;
	}
}

void json_tree_free(yajl_val tree)
{
	if (tree)
		chunks_free(head_of(tree)->chunk);
}

/* n bytes aligned to align (a power of 2) from the arena, or NULL. */
static void *arena_alloc(struct json_tree *t, size_t n, size_t align)
{
	struct json_tree_chunk *c = t->chunk;
	size_t cap;

	if (c) {
		size_t at = (c->used + align - 1) & ~(align - 1);

		if (at <= c->cap && n <= c->cap - at) {
			c->used = at + n;
			return (char *)c->data + at;
		}
		cap = c->cap < CHUNK_MAX / 2 ? c->cap * 2 : CHUNK_MAX;
	} else {
		cap = t->hint < CHUNK_MAX / 3 ? 5 * t->hint / 2 + CHUNK_MIN
					      : CHUNK_MAX;
	}
	if (cap < n)
		cap = n;
	if (cap > SIZE_MAX - sizeof(*c) || !(c = malloc(sizeof(*c) + cap)))
		return NULL;
	c->next = t->chunk;
	c->used = n;
	c->cap = cap;
	t->chunk = c;
	return c->data;
}

/* s[0..n) NUL-terminated in the arena (as yajl_tree keeps strings: C
 * strings, so a "\u0000" ends one there). */
static char *arena_str(struct json_tree *t, const char *s, size_t n)
{
	char *p = arena_alloc(t, n + 1, 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

yajl_val json_tree_take(struct json_tree *t)
{
	yajl_val root = t->root;

	if (!root)
		return NULL;
	head_of(root)->chunk = t->chunk;
	t->chunk = NULL;
	t->root = NULL;
	return root;
}

void json_tree_release(struct json_tree *t)
{
	chunks_free(t->chunk);
	free(t->st);
	free(t->m);
	memset(t, 0, sizeof(*t));
}

/* A node of type: the root (the arena's first allocation, in its head)
 * when nothing is open, else a member of the innermost container. */
static yajl_val tree_node(struct json_tree *t, yajl_type type)
{
	yajl_val v;

	if (!t->n) {
		struct tree_head *h;

		if (t->chunk || !(h = arena_alloc(t, sizeof(*h),
						  alignof(struct tree_head))))
			return NULL; /* a second root: the walk gives none */
		h->chunk = NULL;
		v = &h->root;
		t->root = v;
	} else {
		struct json_tree_frame *f = &t->st[t->n - 1];

		if (!(v = arena_alloc(t, sizeof(*v),
				      alignof(struct yajl_val_s))) ||
		    json_keys_grow(&t->m, &t->capm, t->nm + 1, sizeof(*t->m)) < 0)
			return NULL;
		if (YAJL_IS_OBJECT(f->v)) {
			if (!t->key)
				return NULL; /* the walk gives every member a key */
			t->m[t->nm++] = (struct json_tree_member){ t->key, v };
			t->key = NULL;
		} else {
			t->m[t->nm++] = (struct json_tree_member){ NULL, v };
		}
	}
	memset(v, 0, sizeof(*v));
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
	yajl_val v = tree_node(t, type);
	char *end;

	if (!v)
		return -1;
	if (type == yajl_t_string && !(v->u.string = arena_str(t, s, n)))
		return -1;
	if (type == yajl_t_number) {
		/* as yajl_tree: an integer when the digits fit a long long
		 * (else LLONG_MAX or LLONG_MIN), a double when strtod takes
		 * the whole text */
		if (!(v->u.number.r = arena_str(t, s, n)))
			return -1;
		if (tree_integer(v->u.number.r, &v->u.number.i) == 0)
			v->u.number.flags |= YAJL_NUMBER_INT_VALID;
		errno = 0;
		v->u.number.d = strtod(v->u.number.r, &end);
		if (errno == 0 && *end == '\0')
			v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	}
	return 0;
}

int json_tree_open(struct json_tree *t, int is_array)
{
	yajl_val v = tree_node(t, is_array ? yajl_t_array : yajl_t_object);

	if (!v || json_keys_grow(&t->st, &t->cap, t->n + 1, sizeof(*t->st)) < 0)
		return -1;
	t->st[t->n++] = (struct json_tree_frame){ v, t->nm };
	return 0;
}

int json_tree_key(struct json_tree *t, const char *k, size_t n)
{
	if (!t->n)
		return -1;
	t->key = arena_str(t, k, n);
	return t->key ? 0 : -1;
}

/* The innermost container closes: its members leave the stack for
 * arrays of their number in the arena. */
int json_tree_close(struct json_tree *t)
{
	struct json_tree_frame *f = &t->st[t->n - 1];
	size_t cnt = t->nm - f->first;
	const struct json_tree_member *m = cnt ? t->m + f->first : NULL;
	yajl_val c = f->v, *vals = NULL;

	if (cnt && !(vals = arena_alloc(t, cnt * sizeof(*vals),
					alignof(yajl_val))))
		return -1;
	for (size_t i = 0; i < cnt; i++)
		vals[i] = m[i].v;
	if (YAJL_IS_ARRAY(c)) {
		c->u.array.values = vals;
		c->u.array.len = cnt;
	} else {
		const char **keys = NULL;

		if (cnt && !(keys = arena_alloc(t, cnt * sizeof(*keys),
						alignof(const char *))))
			return -1;
		for (size_t i = 0; i < cnt; i++)
			keys[i] = m[i].key;
		c->u.object.keys = keys;
		c->u.object.values = vals;
		c->u.object.len = cnt;
	}
	t->nm = f->first;
	t->n--;
	return 0;
}
