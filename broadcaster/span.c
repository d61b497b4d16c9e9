/* Spans: JSON values read where they stand in the text (span.h). */
#include "span.h"

#include <string.h>

#include "banned.h"

int span_is(const struct span *s)
{
	return s->p != NULL;
}

int span_str(const struct span *s, char *out, size_t outlen)
{
	if (!s->p || s->n < 2 || s->p[0] != '"' || s->p[s->n - 1] != '"')
		return -1;
	if (s->n - 2 >= outlen || memchr(s->p, '\\', s->n))
		return -1;
	memcpy(out, s->p + 1, s->n - 2);
	out[s->n - 2] = '\0';
	return 0;
}

int span_key_is(const struct json_member *m, const char *k)
{
	return m->key && m->keylen == strlen(k) && !memcmp(m->key, k, m->keylen);
}
