/* Spans: a JSON value as it stands in the message text (p, n bytes), read
 * without building a tree. A span points into text it does not own; it is
 * valid as long as that text. */
#ifndef BC_SPAN_H
#define BC_SPAN_H

#include <stddef.h>

#include "json.h"

struct span {
	const char *p; /* NULL: absent */
	size_t n;
};

/* Is the value present? */
int span_is(const struct span *s);

/* A JSON string value without its quotes into out (outlen bytes, NUL
 * included). -1 when s is no string, holds a backslash (hex needs no
 * escapes) or does not fit. */
int span_str(const struct span *s, char *out, size_t outlen);

/* Is m a member (not an array element) whose key is k? */
int span_key_is(const struct json_member *m, const char *k);

#endif
