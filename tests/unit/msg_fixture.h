/* What the unit suites of the messages (check_message, and the writer's through writer_fixtures.h)
 * build their cases from: a valid message as text, and one piece of it
 * replaced to break it. */
#ifndef MSG_FIXTURE_H
#define MSG_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A 32-byte hash as hex text, every digit c. */
#define H(c) "0x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* base with the first occurrence of from replaced by to (malloc'd; from
 * NULL: a copy of base). */
static inline char *subst(const char *base, const char *from, const char *to)
{
	const char *p = from ? strstr(base, from) : NULL;
	size_t n = strlen(base) + (to ? strlen(to) : 0) + 1;
	char *out = malloc(n);

	ck_assert_ptr_nonnull(out);
	if (!from) {
		snprintf(out, n, "%s", base);
		return out;
	}
	ck_assert_msg(p != NULL, "test bug: '%s' not in the message", from);
	snprintf(out, n, "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
	return out;
}

#endif
