/* textedit: spans of a text replaced (textedit.h). */
#include <stdlib.h>

#include "textedit.h"

#include "banned.h"

static int edit_cmp(const void *a, const void *b)
{
	const struct text_edit *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

int text_edits_apply(const char *text, size_t n, struct text_edit *ed,
		     size_t ned, struct buf *out)
{
	size_t pos = 0;
	int rc = 0;

	qsort(ed, ned, sizeof(*ed), edit_cmp);
	for (size_t i = 0; i < ned; i++) {
		if (ed[i].off < pos || ed[i].off + ed[i].len > n)
			return -1;
		rc |= buf_add(out, text + pos, ed[i].off - pos);
		rc |= buf_add(out, ed[i].rep, ed[i].replen);
		pos = ed[i].off + ed[i].len;
	}
	rc |= buf_add(out, text + pos, n - pos);
	return rc ? -1 : 0;
}
