/* namebits: a comma-separated list of names ("429,500", "drop-tx,status")
 * as a set of bits, bit i for names[i], and back: the fault lists of
 * faultproxy's flags, /__control and /__stats; and a count for each
 * name, as /__stats shows them. */
#ifndef NAMEBITS_H
#define NAMEBITS_H

#include <stddef.h>
#include <yajl/yajl_gen.h>

/* The bits of list's names among the count names (empty items are
 * skipped). 0, or -1 on a name not among them, copied into bad. */
int namebits_parse(const char *list, const char *const *names, int count,
		   unsigned *bits, char *bad, size_t badlen);

/* The names of bits, comma-separated, in the order of names, into out
 * (cut to outlen). */
void namebits_join(unsigned bits, const char *const *names, int count,
		   char *out, size_t outlen);

/* Into g: a map of names[i] to counts[i] for the count names. */
void namebits_gen_counts(yajl_gen g, const char *const *names,
			 const unsigned long long *counts, int count);

#endif
