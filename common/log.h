/* JSON-lines logging on stderr: one object a line, built with yajl_gen so
 * escaping is right:
 *   {"ts":"2026-11-23T04:13:30.123Z","level":"warn","prog":"fetcher",
 *    "msg":"cannot fetch block","height":123,"error":"timeout"}
 *
 * The message is printf-formatted; typed fields follow it. Every logging
 * call returns -1 so that `return log_error(...)` logs and fails in one
 * line. Lines are written with a single write(2), so lines from threads and
 * processes sharing stderr do not interleave. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_ftype { LF_INT_T, LF_UINT_T, LF_DBL_T, LF_STR_T, LF_BOOL_T };

struct log_field {
	const char *key;
	enum log_ftype type;
	union {
		long long i;
		unsigned long long u;
		double d;
		const char *s; /* NULL is written as JSON null */
		int b;
	} v;
};

#define LF_I(k, x) ((struct log_field){ .key = (k), .type = LF_INT_T, .v.i = (long long)(x) })
#define LF_U(k, x) ((struct log_field){ .key = (k), .type = LF_UINT_T, .v.u = (unsigned long long)(x) })
#define LF_D(k, x) ((struct log_field){ .key = (k), .type = LF_DBL_T, .v.d = (double)(x) })
#define LF_S(k, x) ((struct log_field){ .key = (k), .type = LF_STR_T, .v.s = (x) })
#define LF_B(k, x) ((struct log_field){ .key = (k), .type = LF_BOOL_T, .v.b = !!(x) })

/* LOGF(LF_I("height", n), LF_S("hash", h)) expands to the (array, count)
 * pair that log_at() takes. */
#define LOGF(...)                                  \
	(const struct log_field[]){ __VA_ARGS__ }, \
	(sizeof((const struct log_field[]){ __VA_ARGS__ }) / sizeof(struct log_field))

/* Set the program name and the lowest level written. */
void log_init(const char *prog, enum log_level min);
void log_set_level(enum log_level min);
int log_enabled(enum log_level level);
/* "debug", "info", "warn", "error" -> level; 0 or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);

/* Write one line at the level with fields; returns -1. */
int log_at(enum log_level level, const struct log_field *f, size_t nf,
	   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* As log_at, with ", strerror(errno)" in an "error" field. */
int log_at_errno(enum log_level level, const struct log_field *f, size_t nf,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_at(LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, NULL, 0, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, NULL, 0, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, NULL, 0, __VA_ARGS__)
#define log_warn_errno(...) log_at_errno(LOG_WARN, NULL, 0, __VA_ARGS__)
#define log_error_errno(...) log_at_errno(LOG_ERROR, NULL, 0, __VA_ARGS__)

/* Copy url into out naming each node only by scheme, host and port: user
 * information, path, query and fragment go, whatever their length, since
 * providers put keys in all of them ("https://h/v2/KEY" ->
 * "https://h"). url may be a comma-separated list, a URL without scheme
 * ("user:pw@host:port/key" -> "host:port") or a sentence quoting URLs:
 * each "scheme://..." in it is cut so, up to the white space, quote or
 * comma that ends it (ZeroMQ's ipc:// and inproc:// are left alone: a
 * socket file, not a node). Always NUL-terminates; a short out holds a
 * prefix of the whole result. Every log line passes its message and
 * string fields through this, so a caller that forgets is still safe. */
void log_redact_url(const char *url, char *out, size_t outlen);

#endif
