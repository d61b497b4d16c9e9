/* grow: the doubling arrays of the test tools. */
#ifndef TOOLS_GROW_H
#define TOOLS_GROW_H

#include <stdlib.h>

/* Room in *v (n elements of size bytes used, *cap allocated) for one
 * more: the array doubles (16 at first) when full. 0, or -1 when out of
 * memory (*v unchanged). */
static inline int grow(void **v, size_t n, size_t *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, (*cap ? *cap * 2 : 16) * size);
	if (!p)
		return -1;
	*v = p;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

#endif
