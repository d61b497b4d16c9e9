/* One row of COPY text: PostgreSQL's text format, columns separated by a
 * tab, the row ended by a newline, NULL as \N.
 *
 * The row is appended to a buffer the caller owns. Out of memory (or a
 * buffer over its cap) sets oom, which stays set: the caller checks it
 * once, when its rows are done, and throws them away. */
#ifndef WRITER_COPYROW_H
#define WRITER_COPYROW_H

#include <stdint.h>

#include "buf.h"

struct copyrow {
	struct buf *out;
	int ncol;
	int oom;
};

/* Start a row in out. */
void copyrow_begin(struct copyrow *r, struct buf *out);
/* End the row (the newline). */
void copyrow_end(struct copyrow *r);
void copyrow_null(struct copyrow *r);
void copyrow_u64(struct copyrow *r, uint64_t v);
/* s as it is: it must hold no tab, newline or backslash. */
void copyrow_text(struct copyrow *r, const char *s);
/* A bytea from 0x-hex text (s must be valid hex): \\x and lowercase hex. */
void copyrow_bytea(struct copyrow *r, const char *s);
/* Unix seconds as timestamptz in UTC, with ms milliseconds when ms >= 0.
 * -1 (nothing written) past the year 9999. */
int copyrow_time(struct copyrow *r, uint64_t secs, int ms);

#endif
