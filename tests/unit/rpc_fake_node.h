/* The fake node of check_rpc.c: a JSON-RPC server on 127.0.0.1 (an
 * ephemeral port, libmicrohttpd through tests/tools/lib/httpmini) that
 * answers every call with its method and params, misbehaving on cue one
 * request at a time (enum act), and counts the requests it saw; and a
 * port nothing listens on. The Makefile links httpmini.o into check_rpc. */
#ifndef RPC_FAKE_NODE_H
#define RPC_FAKE_NODE_H

#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"

#include "../tools/lib/httpmini.h"

/* ---- a misbehaving JSON-RPC server ---- */

enum act {
	ACT_OK,        /* answer every call; batches in reverse order */
	ACT_429,       /* 429 with Retry-After: 1 */
	ACT_500,
	ACT_TRUNCATE,  /* the answer cut in half */
	ACT_GARBAGE,   /* 200 with HTML */
	ACT_404,       /* 404 with HTML: a wrong URL */
	ACT_RATELIMIT, /* JSON-RPC error -32005 "rate limit exceeded" */
	ACT_RPCERR,    /* JSON-RPC error -32000 "header not found" */
	ACT_SLOW,      /* answer after 1.5 s */
	ACT_BIG,       /* a 64 KiB result */
	ACT_DROP,      /* close without answering */
};

struct srv {
	struct httpmini http;
	struct MHD_Daemon *d;
	int port;
	char url[64];
	pthread_mutex_t lock;
	int requests;
	enum act script[16]; /* one per request, then dflt */
	size_t nscript;
	enum act dflt;
};

/* The raw id, method and params of each call in a request. */
struct call_span {
	const char *id, *method, *params;
	size_t idlen, methodlen, paramslen;
};

struct req_spans {
	struct call_span c[64];
	size_t n;
};

static inline int srv_collect(void *arg, const struct json_member *m)
{
	struct req_spans *s = arg;
	struct call_span *c;

	if (!m->key || m->index >= 64)
		return 1;
	if (m->index + 1 > s->n)
		s->n = m->index + 1;
	c = &s->c[m->index];
	if (m->keylen == 2 && !memcmp(m->key, "id", 2)) {
		c->id = m->val;
		c->idlen = m->vallen;
	} else if (m->keylen == 6 && !memcmp(m->key, "method", 6)) {
		c->method = m->val;
		c->methodlen = m->vallen;
	} else if (m->keylen == 6 && !memcmp(m->key, "params", 6)) {
		c->params = m->val;
		c->paramslen = m->vallen;
	}
	return 0;
}

/* Each result echoes the call: {"method":M,"params":P}. */
static inline void srv_answer(struct buf *out, const struct buf *in,
			      enum act act)
{
	struct req_spans s;
	int batch = in->len && in->data[0] == '[';

	memset(&s, 0, sizeof(s));
	if (json_members(in->data, in->len, srv_collect, &s, NULL, 0) != 0) {
		buf_adds(out, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			      "{\"code\":-32700,\"message\":\"parse error\"}}");
		return;
	}
	if (batch)
		buf_addch(out, '[');
	for (size_t k = 0; k < s.n; k++) {
		const struct call_span *c = &s.c[batch ? s.n - 1 - k : k];

		buf_addf(out, "%s{\"jsonrpc\":\"2.0\",\"id\":%.*s,",
			 k ? "," : "", (int)c->idlen, c->id);
		if (act == ACT_RATELIMIT) {
			buf_adds(out, "\"error\":{\"code\":-32005,\"message\":"
				      "\"daily request count exceeded, request "
				      "rate limited\"}}");
		} else if (act == ACT_RPCERR) {
			buf_adds(out, "\"error\":{\"code\":-32000,\"message\":"
				      "\"header not found\"}}");
		} else if (act == ACT_BIG) {
			buf_adds(out, "\"result\":\"0x");
			for (int i = 0; i < 65536; i++)
				buf_addch(out, 'a');
			buf_adds(out, "\"}");
		} else {
			buf_addf(out, "\"result\":{\"method\":%.*s,"
				 "\"params\":%.*s}}",
				 (int)c->methodlen, c->method,
				 (int)c->paramslen, c->params);
		}
	}
	if (batch)
		buf_addch(out, ']');
}

static inline enum MHD_Result srv_on_request(void *arg,
					     struct MHD_Connection *conn,
					     const char *url,
					     const char *method,
					     struct buf *in)
{
	static const char html[] = "<html>oops</html>";
	struct srv *s = arg;
	struct buf out = BUF_INIT;
	enum MHD_Result rc;
	enum act act;

	(void)url;
	(void)method;
	pthread_mutex_lock(&s->lock);
	act = (size_t)s->requests < s->nscript ? s->script[s->requests] :
						 s->dflt;
	s->requests++;
	pthread_mutex_unlock(&s->lock);

	switch (act) {
	case ACT_429:
		return httpmini_reply(conn, 429, "text/plain", "slow down", 9,
				      "1");
	case ACT_500:
		return httpmini_reply(conn, 500, "text/plain", "oops", 4, NULL);
	case ACT_GARBAGE:
		return httpmini_reply(conn, 200, "text/html", html,
				      strlen(html), NULL);
	case ACT_404:
		return httpmini_reply(conn, 404, "text/html", html,
				      strlen(html), NULL);
	case ACT_DROP:
		return MHD_NO;
	case ACT_SLOW:
		usleep(1500 * 1000);
		break;
	default:
		break;
	}
	srv_answer(&out, in, act);
	rc = httpmini_reply(conn, 200, "application/json",
			    out.data ? out.data : "",
			    act == ACT_TRUNCATE ? out.len / 2 : out.len, NULL);
	buf_release(&out);
	return rc;
}

static inline void srv_start(struct srv *s, enum act dflt,
			     const enum act *script, size_t nscript)
{
	struct httpmini_opts opts = { MHD_USE_THREAD_PER_CONNECTION, 0, 0 };

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->dflt = dflt;
	ck_assert_uint_le(nscript, sizeof(s->script) / sizeof(*s->script));
	if (nscript)
		memcpy(s->script, script, nscript * sizeof(*script));
	s->nscript = nscript;
	s->http = (struct httpmini){ srv_on_request, s, 0 };
	s->d = httpmini_start(&s->http, 0, &opts);
	ck_assert_ptr_nonnull(s->d);
	s->port = (int)httpmini_port(s->d);
	ck_assert_int_gt(s->port, 0);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/", s->port);
}

static inline int srv_requests(struct srv *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static inline void srv_stop(struct srv *s)
{
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
}

/* A port nothing listens on: bound for a moment, then closed. */
static inline int closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

#endif
