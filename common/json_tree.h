/* The tree json_members_tree() builds while it walks a document (json.h):
 * the layout yajl_tree_parse() gives (the same types, keys in order,
 * strings and number texts NUL-terminated), built from the walk's own
 * callbacks instead of a second parse, and held in one arena: a handful
 * of large blocks instead of a malloc for every node, key and string.
 * json_tree_free() (json.h) frees it; yajl_tree_free() must not. Internal
 * to the json module.
 *
 * The walker hands over each event: json_tree_open() when a container
 * opens, json_tree_key() for an object's key, json_tree_scalar() for a
 * value, json_tree_close() when the container ends. Each returns 0, or
 * -1 when out of memory (what was built stays in the arena, to release).
 * A container's members wait on a stack until it closes, when its arrays
 * are made at their final size. */
#ifndef JSON_TREE_H
#define JSON_TREE_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

struct json_tree_chunk;

struct json_tree_frame {
	yajl_val v;   /* an open container */
	size_t first; /* its first member on the stack */
};

struct json_tree_member {
	const char *key; /* NULL in an array */
	yajl_val v;
};

struct json_tree {
	struct json_tree_chunk *chunk; /* the arena's newest block */
	size_t hint;                   /* the document's length */
	yajl_val root;
	struct json_tree_frame *st; /* the containers open, innermost last */
	size_t n, cap;
	struct json_tree_member *m; /* the members of the open containers */
	size_t nm, capm;
	const char *key; /* the key of the member whose value comes next */
};

/* hint: the document's length, to size the arena's first block. */
#define JSON_TREE_INIT(h) { .hint = (h) }

/* The finished tree, which the caller then owns (json_tree_free() it);
 * NULL when none was built. t keeps only its stacks, for release. */
yajl_val json_tree_take(struct json_tree *t);
/* Free what t holds, the arena too unless taken. */
void json_tree_release(struct json_tree *t);
int json_tree_open(struct json_tree *t, int is_array);
int json_tree_key(struct json_tree *t, const char *k, size_t n);
/* A scalar of type; s[0..n) is a string's (decoded) characters or a
 * number's text, NULL for the literals. */
int json_tree_scalar(struct json_tree *t, yajl_type type, const char *s,
		     size_t n);
int json_tree_close(struct json_tree *t);

#endif
