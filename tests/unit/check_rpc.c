/* Unit tests for common/rpc*.c: the pure helpers table-driven (the wire
 * format, retry delays, a node's breaker, the pool), then the
 * client end to end against in-process HTTP servers (libmicrohttpd on
 * 127.0.0.1, ephemeral ports) that misbehave on cue. */
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "rpc.h"
#include "rpc_breaker.h"
#include "rpc_pool.h"

#include "../tools/lib/httpmini.h"

#include "banned.h"

/* ---- rpc_parse_response ---- */

struct want {
	enum rpc_status st;
	const char *result; /* RPC_OK: the exact raw bytes */
	long code;          /* RPC_ERROR */
	const char *msg;    /* RPC_ERROR */
};

struct parse_case {
	const char *name;
	const char *body;
	uint64_t first_id;
	size_t n;
	int rc;
	const char *err;    /* rc -1: a substring of the reason */
	struct want want[3];
};

static const struct parse_case parse_cases[] = {
	{ "single ok", "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x10\"}",
	  7, 1, 0, NULL, { { RPC_OK, "\"0x10\"", 0, NULL } } },
	{ "null result", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}",
	  1, 1, 0, NULL, { { RPC_OK, "null", 0, NULL } } },
	{ "error object",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,"
	  "\"message\":\"header not found\"}}",
	  1, 1, 0, NULL, { { RPC_ERROR, NULL, -32000, "header not found" } } },
	{ "error with escapes",
	  "{\"id\":1,\"error\":{\"code\":3,\"message\":\"execution "
	  "reverted: \\\"no\\\"\",\"data\":\"0x08c379a0\"}}",
	  1, 1, 0, NULL,
	  { { RPC_ERROR, NULL, 3, "execution reverted: \"no\"" } } },
	{ "error as a bare string", "{\"id\":1,\"error\":\"boom\"}",
	  1, 1, 0, NULL, { { RPC_ERROR, NULL, 0, "boom" } } },
	{ "batch out of order",
	  "[{\"id\":12,\"result\":\"c\"},{\"id\":10,\"result\":\"a\"},"
	  "{\"id\":11,\"error\":{\"code\":-1,\"message\":\"b\"}}]",
	  10, 3, 0, NULL,
	  { { RPC_OK, "\"a\"", 0, NULL }, { RPC_ERROR, NULL, -1, "b" },
	    { RPC_OK, "\"c\"", 0, NULL } } },
	{ "batch with a missing id",
	  "[{\"id\":1,\"result\":1},{\"id\":3,\"result\":3}]",
	  1, 3, -1, "no answer for id 2", { { 0 } } },
	{ "batch with a duplicate id",
	  "[{\"id\":1,\"result\":1},{\"id\":1,\"result\":2}]",
	  1, 2, -1, "duplicate id 1", { { 0 } } },
	{ "duplicate after an error", /* the error's message is freed */
	  "[{\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}},"
	  "{\"id\":1,\"result\":2}]",
	  1, 2, -1, "duplicate id 1", { { 0 } } },
	{ "garbage", "<html>oops</html>", 1, 1, -1, "", { { 0 } } },
	{ "empty body", "", 1, 1, -1, "empty", { { 0 } } },
	{ "truncated", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":",
	  1, 1, -1, "", { { 0 } } },
	{ "truncated batch after an error",
	  "[{\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}},{\"id\":2,",
	  1, 2, -1, "", { { 0 } } },
	{ "non-object element", "[{\"id\":1,\"result\":1},5]",
	  1, 2, -1, "not an object", { { 0 } } },
	{ "array element", "[[1],{\"id\":2,\"result\":1}]",
	  1, 2, -1, "not an object", { { 0 } } },
	{ "string id is not ours", "{\"id\":\"1\",\"result\":1}",
	  1, 1, -1, "unexpected id", { { 0 } } },
	{ "numeric id", "{\"id\":1,\"result\":1}",
	  1, 1, 0, NULL, { { RPC_OK, "1", 0, NULL } } },
	{ "id out of range", "{\"id\":9,\"result\":1}",
	  1, 1, -1, "unexpected id 9", { { 0 } } },
	{ "negative id", "{\"id\":-1,\"result\":1}",
	  1, 1, -1, "unexpected id", { { 0 } } },
	{ "no id", "{\"result\":1}", 1, 1, -1, "without id", { { 0 } } },
	{ "neither result nor error", "{\"id\":1}",
	  1, 1, -1, "neither", { { 0 } } },
	{ "error null next to a result",
	  "{\"id\":1,\"result\":\"0x1\",\"error\":null}",
	  1, 1, 0, NULL, { { RPC_OK, "\"0x1\"", 0, NULL } } },
	{ "nested result passed through byte-exact",
	  "{\"id\":1,\"result\" :  {\"s\":\"a\\\"b\\u00e9\\n\",\"arr\":"
	  "[{\"k\":null}, 1.5e3],\"id\":99} }",
	  1, 1, 0, NULL,
	  { { RPC_OK, "{\"s\":\"a\\\"b\\u00e9\\n\",\"arr\":[{\"k\":null}, "
		      "1.5e3],\"id\":99}", 0, NULL } } },
	{ "surrounding whitespace", "  {\"id\":1,\"result\":true}\n",
	  1, 1, 0, NULL, { { RPC_OK, "true", 0, NULL } } },
	{ "batch answer to a single call", "[{\"id\":1,\"result\":1}]",
	  1, 1, -1, "batch answer", { { 0 } } },
	{ "single answer to a batch", "{\"id\":1,\"result\":1}",
	  1, 2, -1, "single answer", { { 0 } } },
	{ "batch refused as a whole (id null)",
	  "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	  "\"message\":\"batch too large\"}}",
	  1, 2, 0, NULL,
	  { { RPC_ERROR, NULL, -32600, "batch too large" },
	    { RPC_ERROR, NULL, -32600, "batch too large" } } },
	{ "null id without error", "{\"id\":null,\"result\":1}",
	  1, 1, -1, "null id", { { 0 } } },
	{ "empty batch", "[]", 1, 2, -1, "no answer for id 1", { { 0 } } },
	{ "scalar document", "42", 1, 1, -1, "", { { 0 } } },
	/* a repeated key anywhere refuses the whole answer */
	{ "duplicate result", "{\"id\":1,\"result\":\"0x1\",\"result\":\"0x2\"}",
	  1, 1, -2, "duplicate key 'result' in $", { { 0 } } },
	{ "duplicate inside a block",
	  "{\"id\":1,\"result\":{\"timestamp\":\"0x1\",\"miner\":\"0x0\","
	  "\"timestamp\":\"0x2\"}}",
	  1, 1, -2, "duplicate key 'timestamp' in $.result", { { 0 } } },
	{ "duplicate in a batch element",
	  "[{\"id\":1,\"result\":1},{\"id\":2,\"result\":{\"logs\":[{\"a\":1,"
	  "\"\\u0061\":1}]}}]",
	  1, 2, -2, "duplicate key 'a' in $[1].result.logs[0]", { { 0 } } },
	{ "keys differing by case", "{\"id\":1,\"result\":{\"a\":1,\"A\":2}}",
	  1, 1, 0, NULL, { { RPC_OK, "{\"a\":1,\"A\":2}", 0, NULL } } },
};

START_TEST(test_parse)
{
	const struct parse_case *t = &parse_cases[_i];
	struct rpc_result res[3];
	char err[256];
	int rc;

	rc = rpc_parse_response(t->body, strlen(t->body), t->first_id, t->n,
				res, err, sizeof(err));
	ck_assert_msg(rc == t->rc, "%s: rc %d, want %d (%s)", t->name, rc,
		      t->rc, err);
	if (rc < 0) {
		ck_assert_msg(strstr(err, t->err), "%s: reason '%s' lacks '%s'",
			      t->name, err, t->err);
		ck_assert_msg(err[0], "%s: empty reason", t->name);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct want *w = &t->want[i];

		ck_assert_msg(res[i].status == w->st, "%s[%zu]: status %d",
			      t->name, i, res[i].status);
		if (w->st == RPC_OK) {
			ck_assert_uint_eq(res[i].result_len, strlen(w->result));
			ck_assert_msg(!memcmp(res[i].result, w->result,
					      res[i].result_len),
				      "%s[%zu]: result '%.*s'", t->name, i,
				      (int)res[i].result_len, res[i].result);
		} else {
			ck_assert_int_eq(res[i].code, w->code);
			ck_assert_str_eq(res[i].message, w->msg);
		}
	}
	rpc_results_release(res, t->n);
}
END_TEST

/* ---- rpc_backoff_ms, rpc_retry_after_ms ---- */

struct backoff_case {
	int attempt;
	long long base, max;
	double r;
	long long lo, hi; /* inclusive bounds */
};

static const struct backoff_case backoff_cases[] = {
	{ 1, 100, 10000, 0.0, 0, 0 },
	{ 1, 100, 10000, 0.999999, 99, 99 },
	{ 1, 100, 10000, 0.5, 50, 50 },
	{ 2, 100, 10000, 0.5, 100, 100 },
	{ 3, 100, 10000, 0.999999, 399, 399 },
	{ 7, 100, 10000, 0.999999, 6399, 6399 },
	{ 8, 100, 10000, 0.999999, 9999, 9999 },   /* capped */
	{ 8, 100, 10000, 0.0, 0, 0 },
	{ 1000, 100, 10000, 0.999999, 9999, 9999 }, /* no overflow */
	{ 70, 1LL << 40, 1LL << 62, 0.5, 1LL << 61, 1LL << 61 },
	{ 0, 100, 10000, 0.5, 50, 50 },            /* 0 reads as 1 */
	{ 3, 100, 50, 0.999999, 49, 49 },          /* max below base */
	{ 2, 100, 10000, 1.0, 199, 199 },          /* r out of range */
	{ 2, 100, 10000, -1.0, 0, 0 },
};

START_TEST(test_backoff)
{
	const struct backoff_case *t = &backoff_cases[_i];
	long long d = rpc_backoff_ms(t->attempt, t->base, t->max, t->r);

	ck_assert_msg(d >= t->lo && d <= t->hi,
		      "attempt %d r %g: %lld not in [%lld, %lld]", t->attempt,
		      t->r, d, t->lo, t->hi);
}
END_TEST

struct retry_after_case {
	const char *value;
	long long now;
	long long want;
};

#define RA_DATE 1445412480LL /* Wed, 21 Oct 2015 07:28:00 GMT */

static const struct retry_after_case retry_after_cases[] = {
	{ "1", 0, 1000 },
	{ "0", 0, 0 },
	{ " 120 \r\n", 0, 120000 },
	{ "99999999999", 0, 86400000 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", RA_DATE - 30, 30000 },
	{ " Wed, 21 Oct 2015 07:28:00 GMT\r\n", RA_DATE - 2, 2000 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", RA_DATE + 100, 0 }, /* past */
	{ "Wednesday, 21-Oct-15 07:28:00 GMT", RA_DATE - 1, 1000 },
	{ "soon", 0, -1 },
	{ "", 0, -1 },
	{ "-5", 0, -1 },
	{ "1.5", 0, -1 },
	{ "5 oops", 0, -1 },
	{ NULL, 0, -1 },
};

START_TEST(test_retry_after)
{
	const struct retry_after_case *t = &retry_after_cases[_i];

	ck_assert_int_eq(rpc_retry_after_ms(t->value, t->now), t->want);
}
END_TEST

/* ---- rpc_wire_request, rpc_wire_rate_limited ---- */

START_TEST(test_wire_request)
{
	const struct rpc_call one = { "eth_blockNumber", NULL, -1 };
	const struct rpc_call two[] = {
		{ "eth_getBlockByNumber", "[\"0x10\",true]", 16 },
		{ "odd\"name\\", "", -1 },
	};
	struct buf b = BUF_INIT;
	char err[128];
	yajl_val v;

	ck_assert_int_eq(rpc_wire_request(&b, 7, &one, 1), 0);
	ck_assert_str_eq(b.data, "{\"jsonrpc\":\"2.0\",\"id\":7,"
			 "\"method\":\"eth_blockNumber\",\"params\":[]}");
	buf_reset(&b);
	ck_assert_int_eq(rpc_wire_request(&b, 1, two, 2), 0);
	ck_assert_str_eq(b.data,
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		"\"eth_getBlockByNumber\",\"params\":[\"0x10\",true]},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		"\"odd\\\"name\\\\\",\"params\":[]}]");
	v = json_parse(b.data, err, sizeof(err));
	ck_assert_msg(v != NULL, "%s", err);
	ck_assert_str_eq(json_get_str(v->u.array.values[1], "method"),
			 "odd\"name\\");
	yajl_tree_free(v);
	buf_release(&b);
	/* A cap too small is an error, not a request cut short. */
	buf_init(&b, 16);
	ck_assert_int_eq(rpc_wire_request(&b, 1, &one, 1), -1);
	buf_release(&b);
}
END_TEST

static const struct {
	enum rpc_status st;
	long code;
	const char *msg;
	int want;
} rate_cases[] = {
	{ RPC_ERROR, -32005, "daily request count exceeded", 1 },
	{ RPC_ERROR, -32005, "query returned more than 10000 results", 0 },
	{ RPC_ERROR, 429, "whatever", 1 },
	{ RPC_ERROR, -32000, "Rate limit reached", 1 },
	{ RPC_ERROR, -32000, "Too Many Requests", 1 },
	{ RPC_ERROR, -32000, "ratelimit", 1 },
	{ RPC_ERROR, -32000, "header not found", 0 },
	{ RPC_ERROR, -32005, NULL, 1 },
	{ RPC_OK, 429, "rate limit", 0 },
};

START_TEST(test_wire_rate_limited)
{
	struct rpc_result r = { .status = rate_cases[_i].st,
				.code = rate_cases[_i].code,
				.message = rate_cases[_i].msg };

	ck_assert_int_eq(rpc_wire_rate_limited(&r), rate_cases[_i].want);
}
END_TEST

/* ---- rpc_breaker, rpc_pool ---- */

START_TEST(test_breaker_states)
{
	struct rpc_breaker b;
	int probe;

	rpc_breaker_init(&b, 3, 1000);
	ck_assert_int_eq(rpc_breaker_usable(&b, 0, &probe), 1);
	ck_assert_int_eq(probe, 0);
	rpc_breaker_failure(&b, "#1 n", 0, 10);
	rpc_breaker_failure(&b, "#1 n", 0, 20);
	ck_assert_int_eq(b.state, RPC_BREAKER_CLOSED);
	rpc_breaker_success(&b, "#1 n"); /* failures are consecutive */
	for (int i = 0; i < 3; i++)
		rpc_breaker_failure(&b, "#1 n", 0, 100);
	ck_assert_int_eq(b.state, RPC_BREAKER_OPEN);
	ck_assert_int_eq(rpc_breaker_usable(&b, 1099, &probe), 0);
	ck_assert_int_eq(rpc_breaker_usable(&b, 1100, &probe), 1);
	ck_assert_int_eq(probe, 1);
	ck_assert_int_eq(b.state, RPC_BREAKER_HALF_OPEN);
	/* One probe at a time. */
	ck_assert_int_eq(rpc_breaker_usable(&b, 1100, &probe), 0);
	/* A failed probe doubles the cool-down, up to ten times the first. */
	rpc_breaker_failure(&b, "#1 n", 1, 2000);
	ck_assert_int_eq(b.state, RPC_BREAKER_OPEN);
	ck_assert_int_eq(b.open_until, 4000);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(rpc_breaker_usable(&b, b.open_until, &probe), 1);
		rpc_breaker_failure(&b, "#1 n", 1, 0);
	}
	ck_assert_int_eq(b.cooldown_ms, 10000);
	/* A probe that could not be sent leaves it open for the next. */
	ck_assert_int_eq(rpc_breaker_usable(&b, b.open_until, &probe), 1);
	rpc_breaker_probe_dropped(&b);
	ck_assert_int_eq(rpc_breaker_usable(&b, b.open_until, &probe), 1);
	rpc_breaker_success(&b, "#1 n");
	ck_assert_int_eq(b.state, RPC_BREAKER_CLOSED);
	ck_assert_int_eq(b.cooldown_ms, 1000);
}
END_TEST

START_TEST(test_pool)
{
	struct rpc_pool p;
	int probe;

	ck_assert_int_eq(rpc_pool_init(&p, "http://a:1, https://b:2\n"
				       "http://c:3\n", 1, 500), 0);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_str_eq(p.nodes[1].url, "https://b:2");
	ck_assert_str_eq(p.nodes[2].name, "#3 http://c:3");
	ck_assert_uint_eq(rpc_pool_pick(&p, p.first, 0, &probe), 0);
	rpc_pool_prefer_next(&p);
	ck_assert_uint_eq(rpc_pool_pick(&p, p.first, 0, &probe), 1);
	/* Node 2 (b) open: the next one takes it. */
	rpc_breaker_failure(&p.nodes[1].breaker, p.nodes[1].name, 0, 0);
	ck_assert_uint_eq(rpc_pool_pick(&p, 1, 10, &probe), 2);
	/* Every node open: the one whose cool-down ends first. */
	rpc_breaker_failure(&p.nodes[2].breaker, p.nodes[2].name, 0, 100);
	rpc_breaker_failure(&p.nodes[0].breaker, p.nodes[0].name, 0, 50);
	ck_assert_uint_eq(rpc_pool_pick(&p, 2, 20, &probe), 1);
	ck_assert_int_eq(probe, 0);
	/* Its cool-down over: that one, as the breaker's probe. */
	ck_assert_uint_eq(rpc_pool_pick(&p, 2, 550, &probe), 0);
	ck_assert_int_eq(probe, 1);
	rpc_pool_release(&p);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(rpc_pool_init(&p, " , \n", 1, 500), -1);
	ck_assert_ptr_null(p.nodes);
	ck_assert_int_eq(rpc_pool_init(&p, "http://a:1,ftp://b", 1, 500), -1);
	ck_assert_ptr_null(p.nodes);
}
END_TEST

/* ---- client setup ---- */

START_TEST(test_new_rejects)
{
	static const char *const bad[] = {
		NULL, "", " , ", "ftp://127.0.0.1/", "127.0.0.1:8545",
		"http://", "http://127.0.0.1:8545,gopher://x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct rpc_opts o = RPC_OPTS_INIT;
		struct rpc_client *c;

		o.urls = bad[i];
		c = rpc_client_new(&o);
		ck_assert_msg(c == NULL, "accepted '%s'", bad[i]);
	}
}
END_TEST

START_TEST(test_node_names_redacted)
{
	struct rpc_opts o = RPC_OPTS_INIT;
	struct rpc_client *c;

	o.urls = " http://user:secretpw@127.0.0.1:1/v3/0123456789abcdef0123 ,"
		 "https://node.example/?apikey=hush";
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(rpc_node_count(c), 2);
	ck_assert_ptr_null(strstr(rpc_node_name(c, 0), "secretpw"));
	ck_assert_ptr_null(strstr(rpc_node_name(c, 0), "0123456789abcdef"));
	ck_assert_ptr_nonnull(strstr(rpc_node_name(c, 0), "127.0.0.1:1"));
	ck_assert_ptr_null(strstr(rpc_node_name(c, 1), "hush"));
	ck_assert_ptr_null(rpc_node_name(c, 2));
	/* Scheme, host and port only, and the position in the pool. */
	ck_assert_str_eq(rpc_node_name(c, 0), "#1 http://127.0.0.1:1");
	ck_assert_str_eq(rpc_node_name(c, 1), "#2 https://node.example");
	rpc_client_destroy(&c);
	ck_assert_ptr_null(c);
	/* Short keys too, and two keys on one provider stay two nodes. */
	o.urls = "https://eth.example/v2/SECRETKEY,https://eth.example/v2/K2";
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(rpc_node_name(c, 0), "#1 https://eth.example");
	ck_assert_str_eq(rpc_node_name(c, 1), "#2 https://eth.example");
	rpc_client_destroy(&c);
}
END_TEST

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

static int collect(void *arg, const struct json_member *m)
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
static void answer(struct buf *out, const struct buf *in, enum act act)
{
	struct req_spans s;
	int batch = in->len && in->data[0] == '[';

	memset(&s, 0, sizeof(s));
	if (json_members(in->data, in->len, collect, &s, NULL, 0) != 0) {
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

static enum MHD_Result on_request(void *arg, struct MHD_Connection *conn,
				  const char *url, const char *method,
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
	answer(&out, in, act);
	rc = httpmini_reply(conn, 200, "application/json",
			    out.data ? out.data : "",
			    act == ACT_TRUNCATE ? out.len / 2 : out.len, NULL);
	buf_release(&out);
	return rc;
}

static void srv_start(struct srv *s, enum act dflt, const enum act *script,
		      size_t nscript)
{
	struct httpmini_opts opts = { MHD_USE_THREAD_PER_CONNECTION, 0, 0 };

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->dflt = dflt;
	ck_assert_uint_le(nscript, sizeof(s->script) / sizeof(*s->script));
	if (nscript)
		memcpy(s->script, script, nscript * sizeof(*script));
	s->nscript = nscript;
	s->http = (struct httpmini){ on_request, s, 0 };
	s->d = httpmini_start(&s->http, 0, &opts);
	ck_assert_ptr_nonnull(s->d);
	s->port = (int)httpmini_port(s->d);
	ck_assert_int_gt(s->port, 0);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/", s->port);
}

static int srv_requests(struct srv *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void srv_stop(struct srv *s)
{
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
}

/* A port nothing listens on: bound for a moment, then closed. */
static int closed_port(void)
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

static struct rpc_opts fast_opts(const char *urls)
{
	struct rpc_opts o = RPC_OPTS_INIT;

	o.urls = urls;
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 1000;
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 200;
	return o;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One call through rpc_call_sync: status, and the answer in out. */
static enum rpc_status sync_call(struct rpc_client *c, const char *params,
				 char **out, long *code)
{
	return rpc_call_sync(c, "eth_test", params, 42, out, code);
}

/* ---- end to end, one behaviour a case ---- */

struct e2e_case {
	const char *name;
	enum act script[4];
	size_t nscript;
	int max_attempts;
	enum rpc_status want;
	int requests;         /* the server saw exactly this many */
	const char *contains; /* in the answer or the message */
};

static const struct e2e_case e2e_cases[] = {
	{ "ok", { ACT_OK }, 1, 0, RPC_OK, 1, "\"params\":[\"0x1\",true]" },
	{ "500 then ok", { ACT_500, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "truncated then ok", { ACT_TRUNCATE, ACT_OK }, 2, 0, RPC_OK, 2,
	  "0x1" },
	{ "garbage then ok", { ACT_GARBAGE, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "dropped then ok", { ACT_DROP, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "404 then ok", { ACT_404, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "rate limit in JSON-RPC is retried", { ACT_RATELIMIT, ACT_OK }, 2, 0,
	  RPC_OK, 2, "0x1" },
	{ "JSON-RPC error goes to the caller", { ACT_RPCERR, ACT_OK }, 2, 0,
	  RPC_ERROR, 1, "header not found" },
	{ "max_attempts honoured", { ACT_500, ACT_500, ACT_500, ACT_OK }, 4, 3,
	  RPC_FAILED, 3, "gave up after 3 attempts" },
	{ "too large is not retried", { ACT_BIG, ACT_OK }, 2, 0, RPC_FAILED, 1,
	  "larger than" },
};

START_TEST(test_e2e)
{
	const struct e2e_case *t = &e2e_cases[_i];
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	enum rpc_status st;
	char *out = NULL;
	long code = 0;

	srv_start(&s, ACT_OK, t->script, t->nscript);
	o = fast_opts(s.url);
	o.max_attempts = t->max_attempts;
	o.max_response = 4096;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	st = sync_call(c, "[\"0x1\",true]", &out, &code);
	ck_assert_msg(st == t->want, "%s: status %d (%s)", t->name, st, out);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, t->contains), "%s: '%s' lacks '%s'",
		      t->name, out, t->contains);
	ck_assert_int_eq(srv_requests(&s), t->requests);
	if (st == RPC_ERROR)
		ck_assert_int_eq(code, -32000);
	ck_assert_int_eq(rpc_pending(c), 0);
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* ---- asynchronous requests ---- */

struct got {
	int calls;
	size_t n;
	enum rpc_status st[8];
	char *text[8];
	char node[256];
};

static void on_done(void *arg, const struct rpc_result *res, size_t n)
{
	struct got *g = arg;

	g->calls++;
	g->n = n;
	for (size_t i = 0; i < n && i < 8; i++) {
		g->st[i] = res[i].status;
		if (res[i].status == RPC_OK)
			g->text[i] = strndup(res[i].result, res[i].result_len);
		else
			g->text[i] = strdup(res[i].message);
	}
	snprintf(g->node, sizeof(g->node), "%s", res[0].node);
}

static void got_release(struct got *g)
{
	for (size_t i = 0; i < 8; i++)
		free(g->text[i]);
	memset(g, 0, sizeof(*g));
}

static void run_until_done(struct rpc_client *c, long long max_ms)
{
	long long end = mono_ms() + max_ms;

	while (rpc_pending(c) > 0 && mono_ms() < end)
		rpc_client_run(c, 100);
	ck_assert_int_eq(rpc_pending(c), 0);
}

START_TEST(test_batch_out_of_order)
{
	static const char *const params[] = {
		"[\"0x10\",true]", "[\"0x11\",true]", "[\"0x12\"]",
		"[\"0x13\"]", "[]",
	};
	struct rpc_call calls[5];
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	struct got g = { 0 };
	char want[128];

	srv_start(&s, ACT_OK, NULL, 0);
	o = fast_opts(s.url);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < 5; i++) {
		calls[i].method = i < 2 ? "eth_getBlockByNumber" :
					  "eth_getBlockReceipts";
		calls[i].params = params[i];
		calls[i].height = 16 + (int64_t)i;
	}
	ck_assert_int_eq(rpc_submit(c, calls, 5, on_done, &g), 0);
	ck_assert_int_eq(rpc_pending(c), 1);
	run_until_done(c, 10000);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_uint_eq(g.n, 5);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(g.st[i], RPC_OK);
		snprintf(want, sizeof(want),
			 "{\"method\":\"%s\",\"params\":%s}", calls[i].method,
			 params[i]);
		ck_assert_str_eq(g.text[i], want);
	}
	ck_assert_ptr_nonnull(strstr(g.node, "127.0.0.1"));
	ck_assert_int_eq(srv_requests(&s), 1);
	got_release(&g);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(test_many_in_flight)
{
	enum { N = 40 };
	struct got g[N];
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char params[N][32], want[128];

	memset(g, 0, sizeof(g));
	srv_start(&s, ACT_OK, NULL, 0);
	o = fast_opts(s.url);
	o.max_inflight = 4;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < N; i++) {
		struct rpc_call call = { "eth_getBlockByNumber", params[i], i };

		snprintf(params[i], sizeof(params[i]), "[\"0x%x\",false]", i);
		ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g[i]), 0);
	}
	/* The client copied the strings: scribble over ours. */
	memset(params, 'x', sizeof(params));
	run_until_done(c, 20000);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert_int_eq(g[i].st[0], RPC_OK);
		snprintf(want, sizeof(want),
			 "{\"method\":\"eth_getBlockByNumber\","
			 "\"params\":[\"0x%x\",false]}", i);
		ck_assert_str_eq(g[i].text[0], want);
		got_release(&g[i]);
	}
	ck_assert_int_eq(srv_requests(&s), N);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* 429 with Retry-After: 1: the retry waits the second out, not the
 * 10 ms backoff. */
START_TEST(test_429_retry_after)
{
	static const enum act script[] = { ACT_429 };
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char *out = NULL;
	long long t0;

	srv_start(&s, ACT_OK, script, 1);
	o = fast_opts(s.url);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	t0 = mono_ms();
	ck_assert_int_eq(sync_call(c, "[1]", &out, NULL), RPC_OK);
	ck_assert_int_ge(mono_ms() - t0, 900);
	ck_assert_int_eq(srv_requests(&s), 2);
	ck_assert_ptr_nonnull(strstr(out, "\"params\":[1]"));
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(test_timeout_then_ok)
{
	static const enum act script[] = { ACT_SLOW };
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char *out = NULL;

	srv_start(&s, ACT_OK, script, 1);
	o = fast_opts(s.url);
	o.timeout_ms = 300;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[2]", &out, NULL), RPC_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"params\":[2]"));
	ck_assert_int_eq(srv_requests(&s), 2);
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(test_failover)
{
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160], *out = NULL;
	struct got g = { 0 };
	struct rpc_call call = { "eth_chainId", NULL, -1 };

	srv_start(&s, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "http://127.0.0.1:%d,%s", closed_port(),
		 s.url);
	o = fast_opts(urls);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[3]", &out, NULL), RPC_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"params\":[3]"));
	ck_assert_int_eq(srv_requests(&s), 1);
	/* The answer names the node that gave it. */
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	run_until_done(c, 10000);
	ck_assert_int_eq(g.st[0], RPC_OK);
	ck_assert_str_eq(g.text[0],
			 "{\"method\":\"eth_chainId\",\"params\":[]}");
	ck_assert_str_eq(g.node, rpc_node_name(c, 1));
	got_release(&g);
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* rpc_prefer_next: new requests go to the next node first, and stay
 * there; past the last it wraps; a single node (or none) is left alone. */
START_TEST(test_prefer_next)
{
	struct srv a, b;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160], *out = NULL;

	srv_start(&a, ACT_OK, NULL, 0);
	srv_start(&b, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "%s,%s", a.url, b.url);
	o = fast_opts(urls);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[1]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(srv_requests(&a), 1);
	ck_assert_int_eq(srv_requests(&b), 0);
	rpc_prefer_next(c);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sync_call(c, "[2]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&a), 1);
	ck_assert_int_eq(srv_requests(&b), 2);
	rpc_prefer_next(c);
	ck_assert_int_eq(sync_call(c, "[3]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(srv_requests(&a), 2);
	ck_assert_int_eq(srv_requests(&b), 2);
	rpc_client_destroy(&c);
	rpc_prefer_next(NULL);

	o = fast_opts(a.url);
	c = rpc_client_new(&o);
	rpc_prefer_next(c);
	ck_assert_int_eq(sync_call(c, "[4]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(srv_requests(&a), 3);
	rpc_client_destroy(&c);
	srv_stop(&a);
	srv_stop(&b);
}
END_TEST

/* Node 1 always fails: after breaker_failures failures it is set aside
 * and node 2 takes every request. */
START_TEST(test_breaker)
{
	struct srv bad, good;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160];

	srv_start(&bad, ACT_500, NULL, 0);
	srv_start(&good, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "%s,%s", bad.url, good.url);
	o = fast_opts(urls);
	o.breaker_failures = 3;
	o.breaker_cooldown_ms = 60000;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 8; i++) {
		char *out = NULL;

		ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&bad), 3);
	ck_assert_int_eq(srv_requests(&good), 8);
	rpc_client_destroy(&c);
	srv_stop(&bad);
	srv_stop(&good);
}
END_TEST

/* After the cool-down one probe goes to the node; its success closes the
 * breaker and the node takes requests again. */
START_TEST(test_breaker_half_open)
{
	static const enum act script[] = { ACT_500, ACT_500 };
	struct srv first, second;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160], *out = NULL;

	srv_start(&first, ACT_OK, script, 2);
	srv_start(&second, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "%s,%s", first.url, second.url);
	o = fast_opts(urls);
	o.breaker_failures = 2;
	o.breaker_cooldown_ms = 300;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&first), 2);
	ck_assert_int_eq(srv_requests(&second), 3);
	usleep(400 * 1000);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&first), 5);
	ck_assert_int_eq(srv_requests(&second), 3);
	rpc_client_destroy(&c);
	srv_stop(&first);
	srv_stop(&second);
}
END_TEST

/* Retrying forever, until the stop flag is raised. */
START_TEST(test_stop_flag)
{
	volatile sig_atomic_t stop = 0;
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	struct got g = { 0 };
	struct rpc_call call = { "eth_blockNumber", "[]", -1 };
	long long end = mono_ms() + 10000;

	srv_start(&s, ACT_500, NULL, 0);
	o = fast_opts(s.url);
	o.stop = &stop;
	o.backoff_max_ms = 20;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	while (srv_requests(&s) < 3 && mono_ms() < end)
		ck_assert_int_eq(rpc_client_run(c, 50), 1);
	ck_assert_int_ge(srv_requests(&s), 3);
	ck_assert_int_eq(g.calls, 0);
	stop = 1;
	ck_assert_int_eq(rpc_client_run(c, 1000), 0);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.st[0], RPC_FAILED);
	ck_assert_ptr_nonnull(strstr(g.text[0], "stopping"));
	got_release(&g);
	/* Once stopping, a new request ends at once too. */
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	ck_assert_int_eq(rpc_client_run(c, 0), 0);
	ck_assert_int_eq(g.st[0], RPC_FAILED);
	got_release(&g);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* rpc_client_run returns within its timeout even when the only node is
 * down and the request retries forever. */
START_TEST(test_run_returns)
{
	struct rpc_opts o;
	struct rpc_client *c;
	struct got g = { 0 };
	struct rpc_call call = { "eth_blockNumber", "[]", -1 };
	char url[64];
	long long t0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	o = fast_opts(url);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	for (int i = 0; i < 5; i++) {
		t0 = mono_ms();
		ck_assert_int_eq(rpc_client_run(c, 100), 1);
		ck_assert_int_lt(mono_ms() - t0, 1000);
	}
	ck_assert_int_eq(g.calls, 0);
	/* Pending requests are dropped with the client. */
	rpc_client_destroy(&c);
	ck_assert_int_eq(g.calls, 0);
}
END_TEST

START_TEST(test_metrics)
{
	static const enum act script[] = { ACT_500, ACT_OK, ACT_RPCERR };
	struct metrics *m = metrics_new("check_rpc");
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char *out = NULL, labels[128];

	ck_assert_ptr_nonnull(m);
	srv_start(&s, ACT_OK, script, 3);
	o = fast_opts(s.url);
	o.metrics = m;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_ERROR);
	free(out);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_requests_total", NULL,
				"method=\"eth_test\"")), 3);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_retries_total", NULL, NULL)), 1);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_errors_total", NULL,
				"method=\"eth_test\",kind=\"http_5xx\"")), 1);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_errors_total", NULL,
				"method=\"eth_test\",kind=\"rpc_error\"")), 1);
	ck_assert_double_eq(metric_value(metrics_gauge(m, "rpc_inflight",
						       NULL, NULL)), 0);
	snprintf(labels, sizeof(labels), "node=\"%s\"", rpc_node_name(c, 0));
	ck_assert_double_eq(metric_value(metrics_gauge(m, "rpc_node_up", NULL,
						       labels)), 1);
	rpc_client_destroy(&c);
	srv_stop(&s);
	metrics_destroy(&m);
}
END_TEST

static Suite *rpc_suite(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("pure");
	TCase *e2e = tcase_create("client");

	tcase_add_loop_test(tc, test_parse, 0,
			    sizeof(parse_cases) / sizeof(*parse_cases));
	tcase_add_loop_test(tc, test_backoff, 0,
			    sizeof(backoff_cases) / sizeof(*backoff_cases));
	tcase_add_loop_test(tc, test_retry_after, 0,
			    sizeof(retry_after_cases) /
				    sizeof(*retry_after_cases));
	tcase_add_test(tc, test_wire_request);
	tcase_add_loop_test(tc, test_wire_rate_limited, 0,
			    sizeof(rate_cases) / sizeof(*rate_cases));
	tcase_add_test(tc, test_breaker_states);
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_new_rejects);
	tcase_add_test(tc, test_node_names_redacted);
	suite_add_tcase(s, tc);

	tcase_set_timeout(e2e, 60);
	tcase_add_loop_test(e2e, test_e2e, 0,
			    sizeof(e2e_cases) / sizeof(*e2e_cases));
	tcase_add_test(e2e, test_batch_out_of_order);
	tcase_add_test(e2e, test_many_in_flight);
	tcase_add_test(e2e, test_429_retry_after);
	tcase_add_test(e2e, test_timeout_then_ok);
	tcase_add_test(e2e, test_failover);
	tcase_add_test(e2e, test_prefer_next);
	tcase_add_test(e2e, test_breaker);
	tcase_add_test(e2e, test_breaker_half_open);
	tcase_add_test(e2e, test_stop_flag);
	tcase_add_test(e2e, test_run_returns);
	tcase_add_test(e2e, test_metrics);
	suite_add_tcase(s, e2e);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rpc_suite());
	const char *lvl = getenv("CHECK_RPC_LOG");
	enum log_level min = LOG_ERROR + 1;
	int failed;

	/* Quiet unless asked: the failures are the point of these tests. */
	if (lvl && log_level_parse(lvl, &min) < 0)
		min = LOG_DEBUG;
	log_init("check_rpc", min);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
