/* Are two yajl trees the same document: types, keys in order, strings,
 * numbers (text, flags, integer and double)? json_members_tree() must
 * build what json_parse() gives; shared by check_json_tree.c and the
 * fuzz target fuzz_msg.c. tree_diff() returns NULL when they are, else
 * what differs first. */
#ifndef TREE_EQUAL_H
#define TREE_EQUAL_H

#include <string.h>
#include <yajl/yajl_tree.h>

static inline const char *tree_diff(yajl_val a, yajl_val b)
{
	const char *d;

	if (!a || !b)
		return a == b ? NULL : "a tree is missing";
	if (a->type != b->type)
		return "types differ";
	if (YAJL_IS_STRING(a) && strcmp(a->u.string, b->u.string))
		return "strings differ";
	if (YAJL_IS_NUMBER(a) &&
	    (strcmp(a->u.number.r, b->u.number.r) ||
	     a->u.number.flags != b->u.number.flags ||
	     a->u.number.i != b->u.number.i ||
	     !(a->u.number.d == b->u.number.d ||
	       (a->u.number.d != a->u.number.d &&
		b->u.number.d != b->u.number.d))))
		return "numbers differ";
	if (YAJL_IS_OBJECT(a)) {
		if (a->u.object.len != b->u.object.len)
			return "objects differ in length";
		for (size_t i = 0; i < a->u.object.len; i++) {
			if (strcmp(a->u.object.keys[i], b->u.object.keys[i]))
				return "keys differ";
			if ((d = tree_diff(a->u.object.values[i],
					   b->u.object.values[i])))
				return d;
		}
	}
	if (YAJL_IS_ARRAY(a)) {
		if (a->u.array.len != b->u.array.len)
			return "arrays differ in length";
		for (size_t i = 0; i < a->u.array.len; i++)
			if ((d = tree_diff(a->u.array.values[i],
					   b->u.array.values[i])))
				return d;
	}
	return NULL;
}

#endif
