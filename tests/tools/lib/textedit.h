/* textedit: a text rebuilt with some of its spans replaced, the one way
 * the fault tools rewrite a node's answer: the bytes between the spans
 * are kept as they are. The edits only point at their replacements; the
 * caller owns both. */
#ifndef TEXTEDIT_H
#define TEXTEDIT_H

#include <stddef.h>

#include "buf.h"

/* Replace text[off, off+len) by rep[0, replen) (len 0: insert at off). */
struct text_edit {
	size_t off, len;
	const char *rep;
	size_t replen;
};

/* Append text (n bytes) with the ned edits applied to out; ed is sorted
 * by offset on the way. -1 when two edits overlap, an edit runs past the
 * text or out reaches its cap. */
int text_edits_apply(const char *text, size_t n, struct text_edit *ed,
		     size_t ned, struct buf *out);

#endif
