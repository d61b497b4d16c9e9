/* What the json module's suites (check_json.c, check_json_keys.c,
 * check_json_tree.c) share: the input as an exact-size heap copy, so
 * that a sanitizer sees any read past its end. */
#ifndef JSON_HELPERS_H
#define JSON_HELPERS_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* An exact-size heap copy of s without its NUL. */
static inline char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	return p;
}

#endif
