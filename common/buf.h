/* A growable byte buffer with a size cap (curl's dynbuf, git's strbuf).
 *
 * The buffer owns its storage; buf_release() frees it and leaves an empty
 * buffer. data is always NUL-terminated when len > 0 or after any append,
 * so it can be handed to functions that want a C string. Appending past
 * max fails with -1 and errno = EMSGSIZE, leaving the buffer unchanged. */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define BUF_DEFAULT_MAX ((size_t)256 << 20)

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 means BUF_DEFAULT_MAX */
};

#define BUF_INIT { NULL, 0, 0, 0 }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Empty the buffer, keeping its storage. */
void buf_reset(struct buf *b);
/* Make room for n more bytes; returns 0 or -1 (cap or out of memory). */
int buf_grow(struct buf *b, size_t n);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
/* v in decimal, as "%" PRIu64 writes it, without printf's cost (the
 * writer's rows hold many). */
int buf_add_u64(struct buf *b, uint64_t v);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Remove the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Hand the storage to the caller (free(3) it); the buffer becomes empty.
 * Returns an empty allocated string when the buffer held nothing. */
char *buf_detach(struct buf *b, size_t *len);

#endif
