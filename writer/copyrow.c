#include "copyrow.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "banned.h"

/* 10000-01-01T00:00:00Z: gmtime and PostgreSQL both take what is below. */
#define YEAR_10000_SECS 253402300800ULL

void copyrow_begin(struct copyrow *r, struct buf *out)
{
	r->out = out;
	r->ncol = 0;
}

static void col_sep(struct copyrow *r)
{
	if (r->ncol++ && buf_addch(r->out, '\t') < 0)
		r->oom = 1;
}

void copyrow_end(struct copyrow *r)
{
	if (buf_addch(r->out, '\n') < 0)
		r->oom = 1;
}

void copyrow_null(struct copyrow *r)
{
	col_sep(r);
	if (buf_add(r->out, "\\N", 2) < 0)
		r->oom = 1;
}

void copyrow_u64(struct copyrow *r, uint64_t v)
{
	col_sep(r);
	if (buf_add_u64(r->out, v) < 0)
		r->oom = 1;
}

void copyrow_text(struct copyrow *r, const char *s)
{
	col_sep(r);
	if (buf_adds(r->out, s) < 0)
		r->oom = 1;
}

void copyrow_bytea(struct copyrow *r, const char *s)
{
	size_t n = strlen(s + 2);
	char *p;

	col_sep(r);
	if (buf_grow(r->out, n + 3) < 0) {
		r->oom = 1;
		return;
	}
	/* Written in place: this is most of a row's bytes. */
	p = r->out->data + r->out->len;
	memcpy(p, "\\\\x", 3);
	p += 3;
	for (s += 2; *s; s++)
		*p++ = *s >= 'A' && *s <= 'F' ? (char)(*s - 'A' + 'a') : *s;
	*p = '\0';
	r->out->len += n + 3;
}

int copyrow_time(struct copyrow *r, uint64_t secs, int ms)
{
	struct tm tm;
	time_t t;
	char s[64];

	if (secs >= YEAR_10000_SECS)
		return -1;
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return -1;
	if (ms >= 0)
		snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d.%03d+00",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	else
		snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d+00",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	copyrow_text(r, s);
	return 0;
}
