/* The tree json_members_tree() builds while it walks a document (json.h):
 * the layout yajl_tree_parse() gives, with the same allocations, so
 * yajl_tree_free() frees it, built from the walk's own callbacks instead
 * of a second parse. Internal to the json module.
 *
 * The walker hands over each event: json_tree_open() when a container
 * opens, json_tree_key() for an object's key, json_tree_scalar() for a
 * value, json_tree_close() when the container ends. Those that allocate
 * return 0, or -1 when out of memory (the tree stays whole, to free). */
#ifndef JSON_TREE_H
#define JSON_TREE_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

struct json_tree_frame {
	yajl_val v;
	size_t cap; /* room in v's keys and values */
};

struct json_tree {
	yajl_val root;
	struct json_tree_frame *st; /* the containers open, innermost last */
	size_t n, cap;
	char *key; /* the key of the member whose value comes next */
};

#define JSON_TREE_INIT { NULL, NULL, 0, 0, NULL }

/* Free what t holds, the tree too unless taken from root. */
void json_tree_release(struct json_tree *t);
int json_tree_open(struct json_tree *t, int is_array);
int json_tree_key(struct json_tree *t, const char *k, size_t n);
/* A scalar of type; s[0..n) is a string's (decoded) characters or a
 * number's text, NULL for the literals. */
int json_tree_scalar(struct json_tree *t, yajl_type type, const char *s,
		     size_t n);
void json_tree_close(struct json_tree *t);

#endif
