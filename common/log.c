#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "clock.h"
#include "json_escape.h"
#include "banned.h"

/* The only process-wide state: who we are and how chatty. It is set once
 * by main before any thread starts. */
static const char *log_prog = "blockpipe";
static enum log_level log_min = LOG_INFO;

static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *prog, enum log_level min)
{
	log_prog = prog;
	log_min = min;
}

void log_set_level(enum log_level min)
{
	log_min = min;
}

int log_enabled(enum log_level level)
{
	return level >= log_min;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names); i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (!strcmp(s, "warning")) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

/* Strings come from anywhere (a node's bytes, a message cut short in the
 * middle of a character): each byte that is not UTF-8 is written as '?'
 * so that the line stays JSON that any reader accepts. */
static void gen_str(yajl_gen g, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i, k;
	char *c;

	for (i = 0; i < n; i += k)
		if (!(k = json_utf8_len(u + i, n - i)))
			break;
	if (i == n) {
		yajl_gen_string(g, u, n);
		return;
	}
	c = malloc(n);
	if (!c) {
		yajl_gen_string(g, (const unsigned char *)"?", 1);
		return;
	}
	memcpy(c, s, n);
	for (; i < n; i += k) {
		if (!(k = json_utf8_len(u + i, n - i))) {
			c[i] = '?';
			k = 1;
		}
	}
	yajl_gen_string(g, (const unsigned char *)c, n);
	free(c);
}

/* A value of a line: any URL in it (a node's, a DSN, one quoted in an
 * error from libcurl or a node) loses its user information, path, query
 * and fragment, whoever wrote the call. */
static void gen_text(yajl_gen g, const char *s)
{
	size_t n;
	char *r;

	if (!strstr(s, "://")) {
		gen_str(g, s);
		return;
	}
	n = strlen(s) + 1; /* redaction only ever removes */
	r = malloc(n);
	if (!r) {
		gen_str(g, "?");
		return;
	}
	log_redact_url(s, r, n);
	gen_str(g, r);
	free(r);
}

static void write_line(enum log_level level, const struct log_field *f,
		       size_t nf, const char *msg, const char *err)
{
	char ts[96];
	long long now = clock_wall_ms();
	time_t sec = (time_t)(now / 1000);
	struct tm tm;
	yajl_gen g;
	const unsigned char *out;
	size_t len;

	gmtime_r(&sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)(now % 1000));

	g = yajl_gen_alloc(NULL);
	if (!g)
		return;
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	yajl_gen_map_open(g);
	gen_str(g, "ts");
	gen_str(g, ts);
	gen_str(g, "level");
	gen_str(g, level_names[level]);
	gen_str(g, "prog");
	gen_str(g, log_prog);
	gen_str(g, "msg");
	gen_text(g, msg);
	for (size_t i = 0; i < nf; i++) {
		char num[32];

		gen_str(g, f[i].key);
		switch (f[i].type) {
		case LF_INT_T:
			yajl_gen_integer(g, f[i].v.i);
			break;
		case LF_UINT_T:
			snprintf(num, sizeof(num), "%llu", f[i].v.u);
			yajl_gen_number(g, num, strlen(num));
			break;
		case LF_DBL_T:
			/* JSON has no NaN or infinity, and yajl writes no
			 * value for them, which would shift every later key
			 * into a value. */
			if (!isfinite(f[i].v.d))
				yajl_gen_null(g);
			else
				yajl_gen_double(g, f[i].v.d);
			break;
		case LF_STR_T:
			if (f[i].v.s)
				gen_text(g, f[i].v.s);
			else
				yajl_gen_null(g);
			break;
		case LF_BOOL_T:
			yajl_gen_bool(g, f[i].v.b);
			break;
		}
	}
	if (err) {
		gen_str(g, "error");
		gen_text(g, err);
	}
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok) {
		char *line = malloc(len + 1);

		if (line) {
			memcpy(line, out, len);
			line[len] = '\n';
			/* One write, so that concurrent lines stay whole. */
			if (write(STDERR_FILENO, line, len + 1) < 0)
				(void)0;
			free(line);
		}
	}
	yajl_gen_free(g);
}

static void vlog(enum log_level level, const struct log_field *f, size_t nf,
		 const char *err, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	write_line(level, f, nf, msg, err);
}

int log_at(enum log_level level, const struct log_field *f, size_t nf,
	   const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return -1;
	va_start(ap, fmt);
	vlog(level, f, nf, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int log_at_errno(enum log_level level, const struct log_field *f, size_t nf,
		 const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!log_enabled(level))
		return -1;
	va_start(ap, fmt);
	vlog(level, f, nf, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* Output that never overruns: what fits of the redaction, NUL-terminated,
 * so a short buffer holds a prefix of it (never a secret). */
struct red_out {
	char *p;
	size_t len, cap;
};

static void red_add(struct red_out *o, const char *s, size_t n)
{
	if (o->len + 1 >= o->cap)
		return;
	if (n > o->cap - o->len - 1)
		n = o->cap - o->len - 1;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* What ends a URL inside a sentence: white space, quotes, angle
 * brackets, and the comma of a list. */
static int url_stop(char c)
{
	return c == '\0' || isspace((unsigned char)c) || c == '"' ||
	       c == '\'' || c == '`' || c == '<' || c == '>' || c == ',';
}

/* What ends the authority (user info, host, port). A backslash too:
 * browsers and some clients take it for a slash. */
static int authority_stop(char c)
{
	return url_stop(c) || c == '/' || c == '?' || c == '#' || c == '\\';
}

static size_t scheme_len(const char *s, size_t n);

/* The authority at s minus its user information; the rest of the URL is
 * skipped up to the white space that ends it (a quote inside a URL must
 * not let its tail through), or a comma before the next URL of a list,
 * but the closing punctuation of the sentence ("'http://h/KEY':") is
 * kept. Returns where the URL ends. */
static const char *red_url_body(struct red_out *o, const char *s)
{
	const char *e = s, *host = s, *t, *p;

	while (!authority_stop(*e))
		e++;
	for (const char *q = s; q < e; q++)
		if (*q == '@') /* the last '@': one may be in the password */
			host = q + 1;
	red_add(o, host, (size_t)(e - host));
	for (t = e; *t && !isspace((unsigned char)*t); t++)
		if (*t == ',' && scheme_len(t + 1, strnlen(t + 1, 40)))
			break;
	for (p = t; p > e && strchr("'\"`>),.:;]", p[-1]); p--)
		;
	red_add(o, p, (size_t)(t - p));
	return t;
}

/* ZeroMQ's local transports name a socket file or an in-process name,
 * not a node: nothing secret to take out. */
static int local_transport(const char *start, const char *sep)
{
	size_t n = (size_t)(sep - start);

	return (n == 3 && !strncasecmp(start, "ipc", 3)) ||
	       (n == 6 && !strncasecmp(start, "inproc", 6));
}

static void redact_text(struct red_out *o, const char *s)
{
	const char *sep;

	while ((sep = strstr(s, "://"))) {
		const char *start = sep;

		while (start > s && (isalnum((unsigned char)start[-1]) ||
				     start[-1] == '+' || start[-1] == '-' ||
				     start[-1] == '.'))
			start--;
		if (local_transport(start, sep)) {
			red_add(o, s, (size_t)(sep + 3 - s));
			s = sep + 3;
			continue;
		}
		red_add(o, s, (size_t)(sep + 3 - s));
		s = red_url_body(o, sep + 3);
	}
	red_add(o, s, strlen(s));
}

/* Does s[0..n) start with "scheme://" (a letter, then letters, digits,
 * '+', '-', '.')? Returns the length of "scheme://", or 0. */
static size_t scheme_len(const char *s, size_t n)
{
	size_t i = 0;

	if (!n || !isalpha((unsigned char)s[0]))
		return 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
			 s[i] == '-' || s[i] == '.'))
		i++;
	return i + 3 <= n && !strncmp(s + i, "://", 3) ? i + 3 : 0;
}

/* One URL of a list, s[0..n): its scheme and host:port, nothing else of
 * it whatever it holds (a quote in a host does not end it here). */
static void red_element(struct red_out *o, const char *s, size_t n)
{
	size_t k = scheme_len(s, n), e;
	const char *host;

	if (k && local_transport(s, s + k - 3)) {
		/* A socket file: kept, but a URL inside it is still one. */
		char *rest = strndup(s + k, n - k);

		red_add(o, s, k);
		if (rest)
			redact_text(o, rest);
		free(rest);
		return;
	}
	red_add(o, s, k);
	s += k;
	n -= k;
	/* The characters an authority may hold (RFC 3986): a host ends at
	 * any other. */
	for (e = 0; e < n && (isalnum((unsigned char)s[e]) ||
			      strchr("-._~%!$&'()*+;=:@[]", s[e])); e++)
		;
	host = memrchr(s, '@', e);
	host = host ? host + 1 : s;
	red_add(o, host, (size_t)(s + e - host));
}

void log_redact_url(const char *url, char *out, size_t outlen)
{
	struct red_out o = { out, 0, outlen };

	if (!outlen)
		return;
	out[0] = '\0';
	if (!url)
		return;
	/* A sentence: each URL in it is cut where it ends. */
	if (url[strcspn(url, " \t\r\n")]) {
		redact_text(&o, url);
		return;
	}
	/* One URL or a comma-separated list ("http://a/KEY,b:1/K"): each
	 * element keeps its scheme and host:port. A token quoting a URL
	 * ("'http://h/KEY'") is a sentence. */
	while (*url) {
		size_t n = strcspn(url, ",");

		if (scheme_len(url, n) || !memmem(url, n, "://", 3)) {
			red_element(&o, url, n);
		} else {
			char *t = strndup(url, n);

			if (t)
				redact_text(&o, t);
			free(t);
		}
		url += n;
		if (*url)
			red_add(&o, url++, 1);
	}
}
