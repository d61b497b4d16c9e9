/* namebits: lists of names as bits (namebits.h). */
#include <stdio.h>
#include <string.h>

#include "json.h"

#include "namebits.h"

#include "banned.h"

int namebits_parse(const char *list, const char *const *names, int count,
		   unsigned *bits, char *bad, size_t badlen)
{
	unsigned out = 0;

	for (const char *p = list; *p; p += *p == ',') {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (int i = 0; i < count && len; i++) {
			if (strlen(names[i]) == len &&
			    !strncmp(p, names[i], len)) {
				out |= 1u << i;
				found = 1;
			}
		}
		if (len && !found) {
			snprintf(bad, badlen, "%.*s", (int)len, p);
			return -1;
		}
		p += len;
	}
	*bits = out;
	return 0;
}

void namebits_join(unsigned bits, const char *const *names, int count,
		   char *out, size_t outlen)
{
	size_t n;

	out[0] = '\0';
	for (int i = 0; i < count; i++) {
		if (!(bits & (1u << i)))
			continue;
		n = strlen(out);
		snprintf(out + n, outlen - n, "%s%s", n ? "," : "", names[i]);
	}
}

void namebits_gen_counts(yajl_gen g, const char *const *names,
			 const unsigned long long *counts, int count)
{
	yajl_gen_map_open(g);
	for (int i = 0; i < count; i++) {
		json_gen_key(g, names[i]);
		json_gen_u64(g, counts[i]);
	}
	yajl_gen_map_close(g);
}
